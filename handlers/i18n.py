"""Translations: catalogs read from `locales/`, a translator with named placeholders, negotiation.

Catalogs are read from `locales/<lang>/LC_MESSAGES/messages.po` with Babel at first use and kept
in memory (a compiled `messages.mo` is used instead when it exists and is newer). No compiled
file is needed at runtime.

Source strings are English sentences with named `{placeholders}`. `Translator.gettext` looks the
English text up, falls back to it when there is no translation or when the translation's
placeholders differ from the English ones (a renamed placeholder would otherwise crash or show
garbage), and fills the placeholders after translating.
"""

from __future__ import annotations

import functools
import gettext as stdlib_gettext
import logging
import string
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

log = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
SOURCE_LOCALE = "en"

# Shown in the language picker, in the language itself. Order is the order of the picker.
NATIVE_NAMES: dict[str, str] = {
    "en": "English",
    "zh_Hans": "中文",
    "pl": "Polski",
    "hr": "Hrvatski",
    "hu": "Magyar",
    "cs": "Čeština",
    "ro": "Română",
    "bg": "Български",
    "el": "Ελληνικά",
    "sk": "Slovenčina",
    "sl": "Slovenščina",
    "lt": "Lietuvių",
    "lv": "Latviešu",
    "et": "Eesti",
    "sr_Latn": "Srpski",
    "sr": "Српски",
    "mk": "Македонски",
    "sq": "Shqip",
    "bs": "Bosanski",
}

Messages = dict[str, str | tuple[str, ...]]


def N_(message: str) -> str:
    """Mark a string for extraction without translating it (translated where it is shown)."""
    return message


class _Catalog:
    """The translations of one locale: messages and the plural rule."""

    def __init__(self, messages: Messages, plural: Callable[[int], int]) -> None:
        self.messages = messages
        self.plural = plural


_cache: dict[str, _Catalog] = {}
_lock = threading.Lock()


def _english_plural(n: int) -> int:
    return 0 if n == 1 else 1


def _read_catalog(locale: str, directory: Path) -> _Catalog | None:
    folder = directory / locale / "LC_MESSAGES"
    po_path, mo_path = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    use_mo = mo_path.exists() and (
        not po_path.exists() or mo_path.stat().st_mtime >= po_path.stat().st_mtime
    )
    if use_mo:
        with mo_path.open("rb") as fh:
            catalog = read_mo(fh)
    elif po_path.exists():
        with po_path.open("rb") as fh:
            catalog = read_po(fh, locale=None, domain=DOMAIN)
    else:
        return None
    messages: Messages = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, (list, tuple)):
            forms = tuple(str(s) for s in message.string or ())
            if forms and all(forms):
                messages[str(message.id[0])] = forms
        elif message.string:
            messages[str(message.id)] = str(message.string)
    try:
        plural = stdlib_gettext.c2py(catalog.plural_expr)
    except (ValueError, SyntaxError):  # a broken header must not take the bot down
        log.warning("bad plural expression in catalog %s", locale)
        plural = _english_plural
    return _Catalog(messages, plural)


def load_catalog(locale: str, directory: Path | None = None) -> _Catalog:
    """Return the (cached) catalog of a locale; an empty one when it does not exist."""
    directory = directory or LOCALES_DIR
    key = f"{directory}:{locale}"
    with _lock:
        cached = _cache.get(key)
        if cached is None:
            cached = _read_catalog(locale, directory) or _Catalog({}, _english_plural)
            _cache[key] = cached
        return cached


def reload_catalogs() -> None:
    """Forget loaded catalogs (tests, or after translators updated the files)."""
    with _lock:
        _cache.clear()
    _supported.cache_clear()


def supported_locales(directory: Path | None = None) -> list[str]:
    """Return the locales that have a catalog, in the order of the language picker."""
    return list(_supported(str(directory or LOCALES_DIR)))


@functools.lru_cache(maxsize=8)
def _supported(directory: str) -> tuple[str, ...]:
    root = Path(directory)
    found = {SOURCE_LOCALE}
    if root.is_dir():
        for child in root.iterdir():
            folder = child / "LC_MESSAGES"
            if (folder / f"{DOMAIN}.po").exists() or (folder / f"{DOMAIN}.mo").exists():
                found.add(child.name)
    order = list(NATIVE_NAMES)
    return tuple(sorted(found, key=lambda c: (order.index(c) if c in order else len(order), c)))


def negotiate_locale(
    language_code: str | None, available: Iterable[str] | None = None
) -> str | None:
    """Return the supported catalog for a client language tag ("zh-hans", "en-US", "sr"), or None.

    Chinese without a script or region goes to Simplified Chinese (zh_Hans); Serbian goes to the
    Cyrillic catalog unless the tag says Latin; "cnr" (Montenegrin) goes to Serbian Latin.
    """
    if not language_code:
        return None
    pool = list(available) if available is not None else supported_locales()
    by_lower = {code.lower(): code for code in pool}
    parts = language_code.replace("-", "_").lower().split("_")
    lang = parts[0]
    rest = set(parts[1:])
    candidates: list[str] = []
    if lang == "zh":
        traditional = bool(rest & {"hant", "tw", "hk", "mo"})
        candidates = ["zh_hant", "zh_hans"] if traditional else ["zh_hans"]
    elif lang in ("sr", "cnr"):
        latin = lang == "cnr" or "latn" in rest or "me" in rest
        candidates = ["sr_latn", "sr"] if latin else ["sr", "sr_latn"]
    candidates += ["_".join(parts), lang]
    for candidate in candidates:
        if candidate in by_lower:
            return by_lower[candidate]
    return next((code for low, code in by_lower.items() if low.split("_")[0] == lang), None)


def placeholders(text: str) -> set[str]:
    """Return the named placeholders of a `{named}` template ("" for positional ones)."""
    names: set[str] = set()
    try:
        for _, name, _, _ in string.Formatter().parse(text):
            if name is not None:
                names.add(name.split(".")[0].split("[")[0])
    except ValueError:
        names.add("<malformed>")
    return names


class _KeepMissing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(template: str, params: dict[str, Any]) -> str:
    """Fill named placeholders; unknown ones stay as they are, a malformed template as is."""
    if not params and "{" not in template:
        return template
    try:
        return template.format_map(_KeepMissing(params))
    except (ValueError, IndexError, AttributeError, KeyError):
        return template


class Translator:
    """Translates English source strings into one locale.

    Args:
        locale: A catalog locale ("en", "zh_Hans", "pl", ...). Unknown locales give English.
        directory: Where the catalogs live (default: the project's `locales/`).
    """

    def __init__(self, locale: str, directory: Path | None = None) -> None:
        self.locale = locale
        self._catalog = load_catalog(locale, directory)

    def gettext(self, msgid: str, /, **params: Any) -> str:
        """Return the translation of `msgid` with its `{placeholders}` filled from `params`."""
        found = self._catalog.messages.get(msgid)
        text = found if isinstance(found, str) else msgid
        if text is not msgid and placeholders(text) != placeholders(msgid):
            log.warning("placeholders differ in %s translation of %r", self.locale, msgid)
            text = msgid
        return fill(text, params)

    def ngettext(self, singular: str, plural: str, n: int, /, **params: Any) -> str:
        """Return the plural form for `n`; `{n}` is filled with `n` unless given otherwise."""
        params.setdefault("n", n)
        english = singular if n == 1 else plural
        found = self._catalog.messages.get(singular)
        text = english
        if isinstance(found, tuple) and found:
            index = self._catalog.plural(n)
            candidate = found[index] if 0 <= index < len(found) else found[-1]
            allowed = placeholders(singular) | placeholders(plural)
            if placeholders(candidate) <= allowed:
                text = candidate
            else:
                log.warning("placeholders differ in %s translation of %r", self.locale, singular)
        return fill(text, params)

    __call__ = gettext
