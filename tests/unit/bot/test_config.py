from pathlib import Path

import pytest

from bot.config import load_settings
from matchmaking.errors import ConfigError


def test_defaults_need_no_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.resolved_database_url == "sqlite+aiosqlite:///var/matchbot.sqlite3"
    assert settings.telegram_token.get_secret_value() == ""
    assert len(settings.event().days) == 2


def test_environment_overrides_and_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCHBOT_ADMIN_IDS", "1, 2;3")
    monkeypatch.setenv("MATCHBOT_EVENT_DAYS", "2026-12-01,2026-12-02")
    monkeypatch.setenv("MATCHBOT_TELEGRAM_TOKEN", "123:abc")
    settings = load_settings()
    assert settings.admin_ids == [1, 2, 3]
    assert [d.isoformat() for d in settings.event().days] == ["2026-12-01", "2026-12-02"]
    assert "123:abc" not in repr(settings)


def test_empty_values_fall_back_to_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCHBOT_WEBHOOK_PORT", "")
    monkeypatch.setenv("MATCHBOT_EVENT_DAYS", "")
    assert load_settings().webhook_port == 8080


def test_encoder_backend_and_onnx_file_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    assert (load_settings().embedder_backend, load_settings().embedder_onnx_file) == ("torch", "")
    monkeypatch.setenv("MATCHBOT_EMBEDDER_BACKEND", "onnx")
    monkeypatch.setenv("MATCHBOT_EMBEDDER_ONNX_FILE", "model_quint8_avx2.onnx")
    settings = load_settings()
    assert settings.embedder_backend == "onnx"
    assert settings.embedder_onnx_file == "model_quint8_avx2.onnx"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MATCHBOT_WEBHOOK_PORT", "abc"),
        ("MATCHBOT_ADMIN_IDS", "alice"),
        ("MATCHBOT_EVENT_TIMEZONE", "Mars/Base"),
        ("MATCHBOT_EVENT_DAYS", "tomorrow"),
        ("MATCHBOT_CHANNEL", "wechat"),
        ("MATCHBOT_EMBEDDER_BACKEND", "tensorrt"),
    ],
)
def test_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert err.value.render().count(name) == 1
    assert "\n" not in err.value.render()
