"""Countries of the event and what the bot knows about each: languages, time zone, flag.

The 18 countries of the China-CEE event are described in detail; any other ISO 3166-1 alpha-2
code is accepted with its main time zone, so an event can invite whoever it wants.
"""

from __future__ import annotations

from dataclasses import dataclass

from matchmaking.zones_data import PRIMARY_ZONES


@dataclass(frozen=True, slots=True)
class Country:
    """A country as the bot uses it."""

    code: str
    name: str
    languages: tuple[str, ...]
    timezone: str

    @property
    def flag(self) -> str:
        """Return the flag emoji built from the regional indicator symbols."""
        return "".join(chr(0x1F1E6 + ord(ch) - ord("A")) for ch in self.code)

    @property
    def main_language(self) -> str:
        """Return the main language (a catalog locale code)."""
        return self.languages[0] if self.languages else "en"


EVENT_COUNTRIES: tuple[Country, ...] = (
    Country("CN", "China", ("zh_Hans",), "Asia/Shanghai"),
    Country("AL", "Albania", ("sq",), "Europe/Tirane"),
    Country("BA", "Bosnia and Herzegovina", ("bs", "hr", "sr"), "Europe/Sarajevo"),
    Country("BG", "Bulgaria", ("bg",), "Europe/Sofia"),
    Country("HR", "Croatia", ("hr",), "Europe/Zagreb"),
    Country("CZ", "Czechia", ("cs",), "Europe/Prague"),
    Country("EE", "Estonia", ("et",), "Europe/Tallinn"),
    Country("GR", "Greece", ("el",), "Europe/Athens"),
    Country("HU", "Hungary", ("hu",), "Europe/Budapest"),
    Country("LV", "Latvia", ("lv",), "Europe/Riga"),
    Country("LT", "Lithuania", ("lt",), "Europe/Vilnius"),
    Country("ME", "Montenegro", ("sr_Latn",), "Europe/Podgorica"),
    Country("MK", "North Macedonia", ("mk",), "Europe/Skopje"),
    Country("PL", "Poland", ("pl",), "Europe/Warsaw"),
    Country("RO", "Romania", ("ro",), "Europe/Bucharest"),
    Country("RS", "Serbia", ("sr", "sr_Latn"), "Europe/Belgrade"),
    Country("SK", "Slovakia", ("sk",), "Europe/Bratislava"),
    Country("SI", "Slovenia", ("sl",), "Europe/Ljubljana"),
)

CEE_CODES: frozenset[str] = frozenset(c.code for c in EVENT_COUNTRIES if c.code != "CN")

_BY_CODE: dict[str, Country] = {c.code: c for c in EVENT_COUNTRIES}

# Common alternative spellings in import files: UK, EL (the EU's code for Greece) and the ISO
# alpha-3 codes of the event's countries.
_ALIASES: dict[str, str] = {
    "UK": "GB",
    "EL": "GR",
    "CHN": "CN",
    "ALB": "AL",
    "BIH": "BA",
    "BGR": "BG",
    "HRV": "HR",
    "CZE": "CZ",
    "EST": "EE",
    "GRC": "GR",
    "HUN": "HU",
    "LVA": "LV",
    "LTU": "LT",
    "MNE": "ME",
    "MKD": "MK",
    "POL": "PL",
    "ROU": "RO",
    "SRB": "RS",
    "SVK": "SK",
    "SVN": "SI",
}


def normalize_country_code(value: str) -> str | None:
    """Return the ISO alpha-2 code for a user-supplied code (or an alias), None if unknown."""
    code = value.strip().upper()
    code = _ALIASES.get(code, code)
    if code in _BY_CODE or code in PRIMARY_ZONES:
        return code
    return None


def get_country(code: str) -> Country:
    """Return the country for a valid ISO code (see `normalize_country_code`).

    Raises:
        KeyError: If the code is not a known country.
    """
    if code in _BY_CODE:
        return _BY_CODE[code]
    if code in PRIMARY_ZONES:
        return Country(code, code, (), PRIMARY_ZONES[code])
    raise KeyError(code)


def default_timezone(code: str) -> str:
    """Return the default IANA zone of a country (UTC for an unknown one)."""
    try:
        return get_country(code).timezone
    except KeyError:
        return "UTC"


def is_cross_border(a: str, b: str) -> bool:
    """Tell whether two countries make a cross-border pair (China with CEE, or any two countries)."""
    return a != b
