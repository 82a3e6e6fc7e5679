"""Meeting times shown in each participant's own zone and language."""

from __future__ import annotations

from datetime import UTC, datetime

from handlers.timefmt import babel_locale, format_both, format_slot

START = datetime(2026, 6, 16, 8, 0, tzinfo=UTC)
END = datetime(2026, 6, 16, 8, 30, tzinfo=UTC)


def test_beijing_sees_chinese_afternoon_and_warsaw_polish_morning() -> None:
    zh, pl = format_both(START, END, "Asia/Shanghai", "zh_Hans", "Europe/Warsaw", "pl")
    assert zh.startswith("6月16日 星期二") and "16:00" in zh and "中国标准时间" in zh
    assert pl.startswith("wtorek, 16 czerwca") and "10:00" in pl
    assert "czas środkowoeuropejski letni" in pl


def test_winter_time_names_the_standard_zone() -> None:
    text = format_slot(
        datetime(2026, 1, 13, 8, tzinfo=UTC),
        datetime(2026, 1, 13, 8, 30, tzinfo=UTC),
        "Europe/Warsaw",
        "pl",
    )
    assert "09:00" in text and "letni" not in text


def test_locale_codes_map_robustly() -> None:
    assert babel_locale("sr_Latn").script == "Latn"
    assert babel_locale("zh_Hans").language == "zh"
    assert babel_locale("pt-BR").language == "pt"
    assert babel_locale("xx_Nope").language == "en"
    assert babel_locale("").language == "en"
    text = format_slot(START, END, "Europe/Belgrade", "sr_Latn")
    assert "10:00" in text and "jun" in text


def test_unknown_zone_falls_back_to_utc() -> None:
    assert "8:00" in format_slot(START, END, "Mars/Olympus", "en")
