"""Catalog checks: parse, compile, complete, placeholders and HTML tags kept, .pot up to date."""

from __future__ import annotations

import ast
import io
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from handlers.domain_messages import DOMAIN_MESSAGES
from handlers.i18n import placeholders

ROOT = Path(__file__).resolve().parents[3]
LOCALES = ROOT / "locales"
POT = LOCALES / "messages.pot"
CATALOGS = sorted(LOCALES.glob("*/LC_MESSAGES/messages.po"))
# Catalogs that must translate every message (others may be partial while translators work).
COMPLETE = {"en", "zh_Hans", "pl"}
EXTRACT = [
    "-F",
    "babel.cfg",
    "-c",
    "TRANSLATORS:",
    "-k",
    "_",
    "-k",
    "gettext",
    "-k",
    "ngettext:1,2",
    "-k",
    "N_",
]


def _ids(catalog: Catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}


def _read(path: Path) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh)


def _locale(path: Path) -> str:
    return path.parent.parent.name


def test_there_are_catalogs() -> None:
    assert {_locale(p) for p in CATALOGS} >= {"en", "zh_Hans"}


@pytest.mark.parametrize("path", CATALOGS, ids=_locale)
def test_catalog_parses_and_compiles(path: Path) -> None:
    catalog = _read(path)
    errors = [(m.id, errs) for m, errs in catalog.check()]
    assert not errors
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    assert buffer.getvalue()


@pytest.mark.parametrize("path", CATALOGS, ids=_locale)
def test_catalog_matches_the_template_and_is_complete(path: Path) -> None:
    catalog, template = _read(path), _read(POT)
    assert _ids(catalog) >= _ids(template), "run pybabel update (see locales/README.md)"
    if _locale(path) in COMPLETE:
        untranslated = [
            m.id
            for m in catalog
            if m.id
            and (m.fuzzy or not m.string or (not isinstance(m.string, str) and not all(m.string)))
        ]
        assert not untranslated


def _placeholder_problems(message: Message) -> list[str]:
    if isinstance(message.id, str):
        if message.string and placeholders(message.string) != placeholders(message.id):
            return [message.id]
        return []
    allowed = placeholders(message.id[0]) | placeholders(message.id[1])
    return [
        message.id[0] for form in message.string or () if form and not placeholders(form) <= allowed
    ]


@pytest.mark.parametrize("path", CATALOGS, ids=_locale)
def test_placeholders_are_kept(path: Path) -> None:
    problems = [p for m in _read(path) if m.id for p in _placeholder_problems(m)]
    assert not problems


@pytest.mark.parametrize("path", CATALOGS, ids=_locale)
def test_pofilter_finds_no_problems(path: Path, tmp_path: Path) -> None:
    pofilter = shutil.which("pofilter") or str(Path(sys.executable).parent / "pofilter")
    if not Path(pofilter).exists():
        pytest.skip("translate-toolkit is not installed")
    out = tmp_path / "failures.po"
    subprocess.run(
        [
            pofilter,
            "--progress=none",
            "--test=variables",
            "--test=xmltags",
            "--test=pythonbraceformat",
            "-i",
            str(path),
            "-o",
            str(out),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    failures = [m.id for m in _read(out) if m.id] if out.exists() else []
    assert not failures, out.read_text("utf-8")


def test_template_is_up_to_date(tmp_path: Path) -> None:
    fresh = tmp_path / "messages.pot"
    pybabel = shutil.which("pybabel") or str(Path(sys.executable).parent / "pybabel")
    subprocess.run(
        [pybabel, "extract", *EXTRACT, "-o", str(fresh), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    extracted, committed = _ids(_read(fresh)), _ids(_read(POT))
    assert extracted - committed == set(), "strings missing from locales/messages.pot"
    assert committed - extracted == set(), "stale strings in locales/messages.pot"


def _domain_messages() -> set[str]:
    """Return every English message a `matchmaking` error can carry (found by reading the code)."""

    def strings(node: ast.AST) -> list[str]:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return [node.value]
        if isinstance(node, ast.IfExp):
            return strings(node.body) + strings(node.orelse)
        return []

    found: set[str] = set()
    for path in (ROOT / "matchmaking").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                name = getattr(func, "id", None) or getattr(func, "attr", "")
                if name.endswith("Error") and name not in (
                    "ValueError",
                    "KeyError",
                    "TypeError",
                    "RuntimeError",
                ):
                    args = node.args[:1] + [k.value for k in node.keywords if k.arg == "message"]
                    for arg in args:
                        found.update(strings(arg))
            elif isinstance(node, ast.ClassDef) and node.name.endswith("Error"):
                for stmt in node.body:
                    if (
                        isinstance(stmt, ast.Assign)
                        and len(stmt.targets) == 1
                        and getattr(stmt.targets[0], "id", "") == "message"
                    ):
                        found.update(strings(stmt.value))
    return found


def test_every_domain_error_message_is_translatable() -> None:
    missing = _domain_messages() - set(DOMAIN_MESSAGES)
    assert not missing, "add these to handlers/domain_messages.py and re-extract"
    assert set(DOMAIN_MESSAGES) <= _ids(_read(POT))
