"""Catalog loading, translation with placeholders and fallbacks, locale negotiation."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import write_po

from handlers.i18n import (
    NATIVE_NAMES,
    Translator,
    negotiate_locale,
    reload_catalogs,
    supported_locales,
)


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("zh-hans", "zh_Hans"),
        ("zh", "zh_Hans"),
        ("zh-CN", "zh_Hans"),
        ("zh-TW", "zh_Hans"),
        ("en-US", "en"),
        ("en", "en"),
        ("pt-br", None),
        (None, None),
        ("", None),
    ],
)
def test_negotiation_with_the_project_catalogs(tag: str | None, expected: str | None) -> None:
    assert negotiate_locale(tag) == expected


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("sr", "sr"),
        ("sr-Latn", "sr_Latn"),
        ("sr-ME", "sr_Latn"),
        ("cnr", "sr_Latn"),
        ("pl-PL", "pl"),
        ("hr", None),
        ("zh-Hant-TW", "zh_Hans"),
    ],
)
def test_negotiation_with_serbian_catalogs(tag: str, expected: str | None) -> None:
    assert negotiate_locale(tag, ["en", "zh_Hans", "sr", "sr_Latn", "pl"]) == expected


def test_supported_locales_are_the_catalogs_present() -> None:
    found = supported_locales()
    assert found[0] == "en"
    assert "zh_Hans" in found
    assert all(code in NATIVE_NAMES for code in found)
    assert NATIVE_NAMES["zh_Hans"] == "中文" and NATIVE_NAMES["sr"] == "Српски"


def _catalog(tmp_path: Path, entries: dict[object, object], locale: str = "pl") -> Path:
    catalog = Catalog(locale=locale)
    for msgid, msgstr in entries.items():
        catalog.add(msgid, msgstr)  # type: ignore[arg-type]
    folder = tmp_path / locale / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "messages.po").open("wb") as fh:
        write_po(fh, catalog)
    return folder


def test_translation_fills_placeholders_and_falls_back(tmp_path: Path) -> None:
    _catalog(
        tmp_path,
        {
            "Hello {name}": "Cześć {name}",
            "Bye {name}": "Pa {imie}",  # a renamed placeholder: use the English text
            ("{n} match", "{n} matches"): ("{n} dopasowanie", "{n} dopasowania", "{n} dopasowań"),
        },
    )
    reload_catalogs()
    t = Translator("pl", tmp_path)
    assert t.gettext("Hello {name}", name="Ania") == "Cześć Ania"
    assert t.gettext("Bye {name}", name="Ania") == "Bye Ania"
    assert t.gettext("Not translated {x}", x=1) == "Not translated 1"
    assert t.gettext("Missing {param}") == "Missing {param}"
    assert t.ngettext("{n} match", "{n} matches", 1) == "1 dopasowanie"
    assert t.ngettext("{n} match", "{n} matches", 3) == "3 dopasowania"
    assert t.ngettext("{n} match", "{n} matches", 5) == "5 dopasowań"
    assert Translator("xx", tmp_path).gettext("Hello {name}", name="A") == "Hello A"
    assert supported_locales(tmp_path) == ["en", "pl"]


def test_newer_mo_is_preferred(tmp_path: Path) -> None:
    folder = _catalog(tmp_path, {"Yes": "Tak"})
    catalog = Catalog(locale="pl")
    catalog.add("Yes", "Tak!")
    with (folder / "messages.mo").open("wb") as fh:
        write_mo(fh, catalog)
    reload_catalogs()
    assert Translator("pl", tmp_path).gettext("Yes") == "Tak!"


def test_project_chinese_catalog() -> None:
    reload_catalogs()
    t = Translator("zh_Hans")
    assert t.gettext("Time zone: {zone}", zone="Asia/Shanghai") == "时区：Asia/Shanghai"
