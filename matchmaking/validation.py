"""Validation and normalization of profile fields, shared by the bot intake and the importer.

Every failure raises `ValidationError` with an English message template (a msgid) and the name
of the field, so a chat user and an import report both get a clear, localizable reason.
"""

from __future__ import annotations

import re
import unicodedata
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from matchmaking.countries import normalize_country_code
from matchmaking.errors import ValidationError
from matchmaking.models import DEFAULT_SECTIONS, CompanySize, ProfileType, Section

NAME_MIN, NAME_MAX = 2, 200
CITY_MAX = 100
TEXT_MIN, TEXT_MAX = 10, 3000
CONTACT_MAX = 300
WEBSITE_MAX = 300
ID_MAX = 64

_URL_RE = re.compile(
    r"^(https?://)?([a-z0-9\u00a1-\uffff]([a-z0-9\u00a1-\uffff-]{0,61}[a-z0-9\u00a1-\uffff])?\.)+"
    r"[a-z\u00a1-\uffff]{2,63}(:\d{1,5})?(/[^\s]*)?$",
    re.IGNORECASE,
)
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$")
_TAG_RE = re.compile(r"^[A-Za-z]{2,3}(_(?:[A-Za-z]{2,4}|[0-9]{3})){0,2}$")

_PROFILE_ALIASES: dict[str, ProfileType] = {
    "bo": ProfileType.BUSINESS_OFFER,
    "br": ProfileType.BUSINESS_REQUEST,
    "to": ProfileType.TECHNOLOGY_OFFER,
    "tr": ProfileType.TECHNOLOGY_REQUEST,
    "rdr": ProfileType.RD_PARTNERSHIP,
    "rd": ProfileType.RD_PARTNERSHIP,
    "r&d": ProfileType.RD_PARTNERSHIP,
    "r&d partnership request": ProfileType.RD_PARTNERSHIP,
    "research": ProfileType.RD_PARTNERSHIP,
    "offer": ProfileType.BUSINESS_OFFER,
    "request": ProfileType.BUSINESS_REQUEST,
    "invest": ProfileType.INVESTMENT,
    "investment offer": ProfileType.INVESTMENT,
    "investment request": ProfileType.INVESTMENT,
}


def clean_text(value: str) -> str:
    """Normalize Unicode (NFC), drop control characters and collapse runs of spaces."""
    value = unicodedata.normalize("NFC", value)
    value = "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch)[0] != "C")
    value = re.sub(r"[ \t\u00a0]+", " ", value)
    value = re.sub(r"\n{3,}", "\n\n", value)
    return value.strip()


def validate_id(value: str) -> str:
    """Return a valid external company id."""
    value = value.strip()
    if not value:
        raise ValidationError("The id is missing.", field="id")
    if len(value) > ID_MAX or not _ID_RE.match(value):
        raise ValidationError(
            "The id {value} is not valid: use letters, digits, '-', '_', '.' or ':' "
            "(at most {limit} characters).",
            field="id",
            value=value[:80],
            limit=ID_MAX,
        )
    return value


def validate_name(value: str) -> str:
    """Return a cleaned company name."""
    value = clean_text(value).replace("\n", " ")
    if not value:
        raise ValidationError("The company name is missing.", field="name")
    if len(value) < NAME_MIN:
        raise ValidationError(
            "The company name is too short (at least {limit} characters).",
            field="name",
            limit=NAME_MIN,
        )
    if len(value) > NAME_MAX:
        raise ValidationError(
            "The company name is too long: {length} characters (at most {limit}).",
            field="name",
            length=len(value),
            limit=NAME_MAX,
        )
    return value


def validate_country(value: str) -> str:
    """Return the ISO alpha-2 code of a country."""
    if not value.strip():
        raise ValidationError("The country is missing.", field="country")
    code = normalize_country_code(value)
    if code is None:
        raise ValidationError(
            "Unknown country code {value}: use a two-letter ISO code such as CN, PL or HR.",
            field="country",
            value=value.strip()[:40],
        )
    return code


def validate_city(value: str) -> str:
    """Return a cleaned city name (may be empty)."""
    value = clean_text(value).replace("\n", " ")
    if len(value) > CITY_MAX:
        raise ValidationError(
            "The city name is too long: {length} characters (at most {limit}).",
            field="city",
            length=len(value),
            limit=CITY_MAX,
        )
    return value


def text_weight(value: str) -> int:
    """Return a length that counts a CJK character like three letters (a word's worth)."""
    return sum(3 if "\u2e80" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" else 1 for ch in value)


def validate_text(
    value: str, field: str, *, required: bool = True, min_length: int = TEXT_MIN
) -> str:
    """Return a cleaned offer or need text.

    Args:
        value: The text as typed or imported.
        field: "offer" or "need".
        required: Whether an empty text is an error.
        min_length: Shortest acceptable text (CJK characters count three).
    """
    value = clean_text(value)
    if not value:
        if required:
            raise ValidationError(
                "Please describe what you offer."
                if field == "offer"
                else "Please describe what you need.",
                field=field,
            )
        return ""
    if text_weight(value) < min_length:
        raise ValidationError(
            "This text is too short: please write at least {limit} characters.",
            field=field,
            limit=min_length,
        )
    if len(value) > TEXT_MAX:
        raise ValidationError(
            "This text is too long: {length} characters (at most {limit}).",
            field=field,
            length=len(value),
            limit=TEXT_MAX,
        )
    return value


def validate_offer_and_need(offer: str, need: str, min_length: int = 2) -> tuple[str, str]:
    """Return both texts cleaned; at least one of them must be given."""
    offer_c = validate_text(offer, "offer", required=False, min_length=min_length)
    need_c = validate_text(need, "need", required=False, min_length=min_length)
    if not offer_c and not need_c:
        raise ValidationError("Both the offer and the need are empty.", field="offer")
    return offer_c, need_c


def validate_website(value: str) -> str:
    """Return a normalized website URL (may be empty)."""
    value = value.strip()
    if not value:
        return ""
    if len(value) > WEBSITE_MAX or not _URL_RE.match(value):
        raise ValidationError(
            "This does not look like a website address, for example: example.com",
            field="website",
        )
    if not value.lower().startswith(("http://", "https://")):
        value = "https://" + value
    return value


def validate_contact(value: str) -> str:
    """Return a cleaned contact text (may be empty)."""
    value = clean_text(value)
    if len(value) > CONTACT_MAX:
        raise ValidationError(
            "The contact details are too long: {length} characters (at most {limit}).",
            field="contact",
            length=len(value),
            limit=CONTACT_MAX,
        )
    return value


def validate_timezone(value: str) -> str:
    """Return a valid IANA time zone name."""
    value = value.strip()
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationError(
            "Unknown time zone {value}: use a name such as Europe/Warsaw or Asia/Shanghai.",
            field="timezone",
            value=value[:60],
        ) from None
    return value


LANGUAGE_NAMES: dict[str, str] = {
    "english": "en",
    "chinese": "zh_Hans",
    "mandarin": "zh_Hans",
    "中文": "zh_Hans",
    "汉语": "zh_Hans",
    "普通话": "zh_Hans",
    "albanian": "sq",
    "shqip": "sq",
    "bosnian": "bs",
    "bosanski": "bs",
    "bulgarian": "bg",
    "български": "bg",
    "croatian": "hr",
    "hrvatski": "hr",
    "czech": "cs",
    "čeština": "cs",
    "cestina": "cs",
    "estonian": "et",
    "eesti": "et",
    "greek": "el",
    "ελληνικά": "el",
    "hungarian": "hu",
    "magyar": "hu",
    "latvian": "lv",
    "latviešu": "lv",
    "lithuanian": "lt",
    "lietuvių": "lt",
    "montenegrin": "sr_Latn",
    "crnogorski": "sr_Latn",
    "macedonian": "mk",
    "македонски": "mk",
    "polish": "pl",
    "polski": "pl",
    "romanian": "ro",
    "română": "ro",
    "serbian": "sr",
    "српски": "sr",
    "srpski": "sr_Latn",
    "slovak": "sk",
    "slovenčina": "sk",
    "slovenian": "sl",
    "slovene": "sl",
    "slovenščina": "sl",
    "german": "de",
    "deutsch": "de",
    "russian": "ru",
    "русский": "ru",
    "french": "fr",
    "français": "fr",
    "italian": "it",
    "spanish": "es",
    "ukrainian": "uk",
    "turkish": "tr",
}


def parse_languages(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Return language codes from a list or a comma/space separated text (codes or names)."""
    items = value if isinstance(value, (list, tuple)) else re.split(r"[,;/\s]+", value)
    out: list[str] = []
    for item in items:
        code = str(item).strip().replace("-", "_")
        if not code:
            continue
        code = LANGUAGE_NAMES.get(code.lower(), code)
        if not _TAG_RE.match(code):
            raise ValidationError(
                "Unknown language code {value}: use codes such as en, zh, pl.",
                field="languages",
                value=str(item)[:20],
            )
        code = _language_of_tag(code)
        if code not in out:
            out.append(code)
    return tuple(out)


def _language_of_tag(tag: str) -> str:
    """Return the catalog language of a tag such as hu, hu_HU, zh_TW, sr_Latn_RS or cnr.

    Region subtags are dropped (hu_HU is hu); only Chinese and Serbian keep their script, the
    way the catalogs are named (zh_Hans / zh_Hant, sr for Cyrillic and sr_Latn).
    """
    lang, *rest = tag.split("_")
    lang = lang.lower()
    script = next((part.capitalize() for part in rest if len(part) == 4), "")
    region = next((part.upper() for part in rest if len(part) in (2, 3)), "")
    if lang in ("zh", "cn"):
        traditional = script == "Hant" or (not script and region in ("TW", "HK", "MO"))
        return "zh_Hant" if traditional else "zh_Hans"
    if lang in ("cnr", "me") or (lang == "sr" and (script == "Latn" or region == "ME")):
        return "sr_Latn"
    return lang


def parse_profile_type(value: str) -> ProfileType:
    """Return the profile type for a code or a human name ("business offer", "BO", ...)."""
    key = re.sub(r"[\s_-]+", " ", value.strip().lower())
    if not key:
        return ProfileType.BUSINESS_OFFER
    for pt in ProfileType:
        if key in (pt.value, pt.value.replace("_", " ")):
            return pt
    if key in _PROFILE_ALIASES:
        return _PROFILE_ALIASES[key]
    for alias, pt in _PROFILE_ALIASES.items():
        if key.startswith(alias + " "):
            return pt
    if "technolog" in key:
        return ProfileType.TECHNOLOGY_REQUEST if "request" in key else ProfileType.TECHNOLOGY_OFFER
    if "invest" in key:
        return ProfileType.INVESTMENT
    if "r&d" in key or "research" in key:
        return ProfileType.RD_PARTNERSHIP
    if "request" in key:
        return ProfileType.BUSINESS_REQUEST
    if "offer" in key:
        return ProfileType.BUSINESS_OFFER
    raise ValidationError(
        "Unknown profile type {value}: use business_offer, business_request, technology_offer, "
        "technology_request, rd_partnership or investment.",
        field="profile_type",
        value=value.strip()[:40],
    )


_SECTION_KEYWORDS: dict[str, tuple[str, ...]] = {
    "industry": (
        "industr",
        "manufactur",
        "machin",
        "engineer",
        "energy",
        "automotive",
        "制造",
        "工业",
    ),
    "trade": ("trade", "invest", "agri", "food", "farm", "logist", "wine", "贸易", "农业", "投资"),
    "tourism": ("touris", "travel", "people", "culture", "education", "hotel", "旅游", "人文"),
    "health": ("medic", "health", "pharma", "hospital", "biotech", "医疗", "健康", "医药"),
}


def parse_section(value: str, sections: tuple[Section, ...] = DEFAULT_SECTIONS) -> str:
    """Return the code of the event section a sector or section name belongs to ("" if none)."""
    key = value.strip().lower()
    if not key:
        return ""
    for section in sections:
        if key in (section.code, section.name.lower()):
            return section.code
    if key.isdigit() and 1 <= int(key) <= len(sections):
        return sections[int(key) - 1].code
    codes = {s.code for s in sections}
    for code, words in _SECTION_KEYWORDS.items():
        if code in codes and any(w in key for w in words):
            return code
    return ""


def parse_size(value: str) -> CompanySize | None:
    """Return the size class from a code or a head count ("" gives None)."""
    key = value.strip().lower()
    if not key:
        return None
    for size in CompanySize:
        if key == size.value:
            return size
    digits = re.sub(r"[^0-9]", "", key.split("-")[-1])
    if digits:
        n = int(digits)
        if n < 10:
            return CompanySize.MICRO
        if n < 50:
            return CompanySize.SMALL
        if n < 250:
            return CompanySize.MEDIUM
        return CompanySize.LARGE
    raise ValidationError(
        "Unknown company size {value}: use micro, small, medium, large or a head count.",
        field="size",
        value=value.strip()[:20],
    )
