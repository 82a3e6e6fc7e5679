"""Country search and time zones of a country, for the intake's country and time zone steps."""

from __future__ import annotations

import functools
import importlib.resources
from pathlib import Path

from babel import Locale, UnknownLocaleError

from handlers.i18n import supported_locales
from matchmaking.countries import EVENT_COUNTRIES, normalize_country_code
from matchmaking.zones_data import PRIMARY_ZONES

MAX_CHOICES = 8


@functools.lru_cache(maxsize=1)
def _zone_table() -> dict[str, tuple[str, ...]]:
    """Read tzdata's zone.tab: country code -> zones, the main zone first."""
    text = ""
    try:
        text = importlib.resources.files("tzdata").joinpath("zoneinfo/zone.tab").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        system = Path("/usr/share/zoneinfo/zone.tab")
        if system.exists():
            text = system.read_text("utf-8")
    table: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) >= 3:
            table.setdefault(fields[0], []).append(fields[2])
    return {code: tuple(zones) for code, zones in table.items()}


def country_zones(code: str) -> tuple[str, ...]:
    """Return the IANA zones of a country, its main zone first."""
    main = PRIMARY_ZONES.get(code)
    zones = list(_zone_table().get(code, ()))
    if main:
        zones = [main] + [z for z in zones if z != main]
    return tuple(zones) or ("UTC",)


@functools.lru_cache(maxsize=64)
def _names(locale: str) -> dict[str, str]:
    """Return casefolded country names in one locale -> ISO code."""
    try:
        territories = Locale.parse(locale).territories
    except (UnknownLocaleError, ValueError):
        return {}
    codes = set(PRIMARY_ZONES) | {c.code for c in EVENT_COUNTRIES}
    return {str(name).casefold(): code for code, name in territories.items() if code in codes}


# Names of the event's countries in use beside CLDR's ("Czechia", "Bosnia & Herzegovina", ...).
_OTHER_NAMES: dict[str, str] = {
    "czech republic": "CZ",
    "česká republika": "CZ",
    "slovak republic": "SK",
    "macedonia": "MK",
    "republic of north macedonia": "MK",
    "македонија": "MK",
    "bosnia and herzegovina": "BA",
    "bosnia": "BA",
    "prc": "CN",
    "p.r. china": "CN",
    "people's republic of china": "CN",
    "mainland china": "CN",
    "中华人民共和国": "CN",
    "中國": "CN",
    "hellas": "GR",
    "波黑": "BA",
}


def _search_locales(viewer_locale: str) -> list[str]:
    extra = {lang for c in EVENT_COUNTRIES for lang in c.languages}
    return [viewer_locale, "en", *supported_locales(), *sorted(extra)]


def country_by_name(value: str, viewer_locale: str = "en") -> str | None:
    """Return the ISO code of a country given exactly, by code or name, or None.

    Accepts an ISO alpha-2 code (or an alias such as the alpha-3 codes of the event's
    countries) and a country's name in English, the viewer's language, any catalog language or
    any event country's language ("Croatia", "Hrvatska", "克罗地亚", "Czech Republic").
    """
    key = " ".join(value.split()).casefold()
    if not key:
        return None
    code = normalize_country_code(key) if key.isascii() and len(key) <= 3 else None
    if code is not None:
        return code
    if key in _OTHER_NAMES:
        return _OTHER_NAMES[key]
    for locale in _search_locales(viewer_locale):
        names = _names(locale)
        if key in names:
            return names[key]
    return None


def find_countries(query: str, viewer_locale: str) -> list[str]:
    """Return ISO codes of countries whose code or name (in any event language) fits `query`.

    An exact code or name gives one result; otherwise names that start with or contain the
    query, event countries first, at most `MAX_CHOICES`.
    """
    key = " ".join(query.split()).casefold()
    if not key:
        return []
    exact = country_by_name(key, viewer_locale)
    if exact is not None:
        return [exact]
    found: list[str] = []
    for locale in _search_locales(viewer_locale):
        for name, code in _names(locale).items():
            if (name.startswith(key) or (len(key) >= 3 and key in name)) and code not in found:
                found.append(code)
    event_codes = [c.code for c in EVENT_COUNTRIES]
    found.sort(
        key=lambda c: (c not in event_codes, event_codes.index(c) if c in event_codes else 0)
    )
    return found[:MAX_CHOICES]
