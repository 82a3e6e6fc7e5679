"""Meeting times as a person reads them: in their own zone, language and calendar habits.

Times are stored in UTC; these helpers render them with Babel (CLDR) patterns per locale, e.g.
"6月16日 星期二 16:00–16:30 (中国标准时间)" or "wtorek, 16 czerwca 10:00–10:30 (czas
środkowoeuropejski letni)".
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton, format_time, get_timezone_name

FALLBACK_LOCALE = "en"
_DATE_FIRST = frozenset({"zh", "ja", "ko"})
"""Languages that write the date before the weekday ("6月16日 星期二")."""


@lru_cache(maxsize=128)
def babel_locale(code: str) -> Locale:
    """Return the Babel locale for a catalog code ("zh_Hans", "sr-Latn", "pl"); English if unknown."""
    cleaned = (code or "").strip().replace("-", "_")
    for candidate in (cleaned, cleaned.split("_", 1)[0]):
        if not candidate:
            continue
        try:
            return Locale.parse(candidate)
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse(FALLBACK_LOCALE)


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def format_slot(start_utc: datetime, end_utc: datetime, tz: str, locale: str) -> str:
    """Render a UTC slot in the viewer's zone and locale: date, weekday, times and zone name."""
    loc = babel_locale(locale)
    info = _zone(tz)
    start = start_utc.astimezone(UTC).astimezone(info)
    end = end_utc.astimezone(UTC).astimezone(info)
    month_day = format_skeleton("MMMMd", start, locale=loc)
    weekday = format_date(start, "EEEE", locale=loc)
    day = f"{month_day} {weekday}" if loc.language in _DATE_FIRST else f"{weekday}, {month_day}"
    times = (
        f"{format_time(start, 'short', locale=loc)}\u2013{format_time(end, 'short', locale=loc)}"
    )
    if end.date() != start.date():
        times += " " + format_skeleton("MMMd", end, locale=loc)
    zone_name = get_timezone_name(start, "long", locale=loc)
    return f"{day} {times} ({zone_name})"


def format_both(
    start: datetime, end: datetime, tz_a: str, loc_a: str, tz_b: str, loc_b: str
) -> tuple[str, str]:
    """Render one slot for both participants, each in their own zone and language."""
    return format_slot(start, end, tz_a, loc_a), format_slot(start, end, tz_b, loc_b)
