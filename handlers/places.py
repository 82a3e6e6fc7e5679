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


def _search_locales(viewer_locale: str) -> list[str]:
    extra = {lang for c in EVENT_COUNTRIES for lang in c.languages}
    return [viewer_locale, "en", *supported_locales(), *sorted(extra)]


def find_countries(query: str, viewer_locale: str) -> list[str]:
    """Return ISO codes of countries whose code or name (in any event language) fits `query`.

    An exact code or name gives one result; otherwise names that start with or contain the
    query, event countries first, at most `MAX_CHOICES`.
    """
    key = query.strip().casefold()
    if not key:
        return []
    if len(key) == 2 and key.isascii():
        code = normalize_country_code(key)
        if code is not None:
            return [code]
    found: list[str] = []
    for locale in _search_locales(viewer_locale):
        names = _names(locale)
        if key in names:
            return [names[key]]
        for name, code in names.items():
            if (name.startswith(key) or (len(key) >= 3 and key in name)) and code not in found:
                found.append(code)
    event_codes = [c.code for c in EVENT_COUNTRIES]
    found.sort(
        key=lambda c: (c not in event_codes, event_codes.index(c) if c in event_codes else 0)
    )
    return found[:MAX_CHOICES]
