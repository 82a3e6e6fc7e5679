"""Demo event data: 157 Chinese and 135 CEE companies that write in their own languages.

Everything comes from one `random.Random(seed)`, so a seed always gives the same event. Each
company offers one concept and needs another; Chinese needs are concepts CEE companies offer and
the other way round (complementarity), mostly within the company's section. The concepts are kept
beside the companies as a hidden ground truth for tests and quality metrics.
"""

from __future__ import annotations

import random
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

from bot.demo.vocab import CONCEPTS, PACKS, Concept, Supplier, find_concept
from bot.demo.vocab.places import (
    BA_SERBIAN_CITIES,
    CEE_CITIES,
    CEE_NAME_ROOTS,
    CN_BRANDS,
    CN_CITIES,
    LEGAL_FORMS,
    PHONE_PREFIXES,
)
from matchmaking.countries import get_country
from matchmaking.models import DEFAULT_SECTIONS, Company, CompanySize, ProfileType

CN_COMPANY_COUNT = 157

# Companies per CEE country (135 in all); the bigger economies send more.
CEE_COMPANY_COUNTS: dict[str, int] = {
    "PL": 16, "HU": 13, "CZ": 12, "RO": 11, "GR": 11, "BG": 10, "RS": 10, "HR": 9, "SK": 7,
    "SI": 7, "LT": 5, "BA": 5, "LV": 4, "EE": 4, "MK": 4, "AL": 4, "ME": 3,
}  # fmt: skip

SECTION_SHARES: dict[str, float] = {
    "industry": 0.30,
    "trade": 0.32,
    "tourism": 0.16,
    "health": 0.22,
}

NO_ENGLISH_SHARE = {"cn": 0.25, "cee": 0.15}
ENGLISH_TEXT_SHARE = 0.15
CROSS_SECTION_NEED_SHARE = 0.10

# Where German or Russian is a common second foreign language.
_GERMAN_LIKELY = frozenset({"CZ", "SK", "HU", "SI", "HR", "PL", "RO", "BA", "RS"})
_RUSSIAN_LIKELY = frozenset({"BG", "LV", "LT", "EE", "MK", "RS", "ME"})

DEMO_CREATED_AT = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
DEMO_EVENT_CODE = "cee-china"

_SIZES = (CompanySize.MICRO, CompanySize.SMALL, CompanySize.MEDIUM, CompanySize.LARGE)
_SIZE_WEIGHTS = (25, 35, 30, 10)


@dataclass(frozen=True, slots=True)
class DemoData:
    """A generated demo event with the hidden ground truth beside it.

    Attributes:
        companies: The participants, Chinese first, then CEE by country.
        offer_concept: Company id -> key of the concept its offer text names.
        need_concept: Company id -> key of the concept its need text names.
        text_language: Company id -> language code its texts are written in ("en" for the
            companies that wrote in English).
    """

    companies: list[Company]
    offer_concept: dict[str, str]
    need_concept: dict[str, str]
    text_language: dict[str, str]

    def ground_truth(self, *, cross_border_only: bool = True) -> dict[str, set[str]]:
        """Return company id -> ids of companies whose offer concept is its need concept.

        Args:
            cross_border_only: Count partners from other countries only (the event default).
        """
        return _match_concepts(
            self.companies, self.offer_concept, self.need_concept, cross_border_only
        )


def generate_demo_event(seed: int = 2026) -> DemoData:
    """Generate the demo event: companies, their concepts and text languages.

    Args:
        seed: Seed of the only random generator used; the same seed gives the same event.

    Returns:
        The companies with their hidden concepts.
    """
    rng = random.Random(seed)
    builder = _EventBuilder(rng)
    cn_sections = _spread_sections(CN_COMPANY_COUNT, rng)
    cn_english = _spread_english(CN_COMPANY_COUNT, NO_ENGLISH_SHARE["cn"], rng)
    for number, (section, english) in enumerate(zip(cn_sections, cn_english, strict=True), start=1):
        builder.add_company("CN", number, section, english)
    cee_countries = [code for code, count in CEE_COMPANY_COUNTS.items() for _ in range(count)]
    cee_sections = _spread_sections(len(cee_countries), rng)
    cee_english = _spread_english(len(cee_countries), NO_ENGLISH_SHARE["cee"], rng)
    numbers: Counter[str] = Counter()
    for country, section, english in zip(cee_countries, cee_sections, cee_english, strict=True):
        numbers[country] += 1
        builder.add_company(country, numbers[country], section, english)
    return DemoData(
        builder.companies, builder.offer_concept, builder.need_concept, builder.text_language
    )


def generate_demo_companies(seed: int = 2026) -> list[Company]:
    """Return the companies of `generate_demo_event(seed)`."""
    return generate_demo_event(seed).companies


def demo_ground_truth(
    companies: Sequence[Company], *, cross_border_only: bool = True
) -> dict[str, set[str]]:
    """Return company id -> ids of companies whose offer concept equals its need concept.

    The concepts are read back from the texts (each names exactly one concept phrase in its
    language), so this works on demo companies that went through storage or an import file.

    Args:
        companies: Companies made by the demo generator.
        cross_border_only: Count partners from other countries only (the event default).
    """
    offers: dict[str, str] = {}
    needs: dict[str, str] = {}
    for company in companies:
        offer = find_concept(company.offer, company.text_language)
        need = find_concept(company.need, company.text_language)
        if offer is not None:
            offers[company.id] = offer
        if need is not None:
            needs[company.id] = need
    return _match_concepts(companies, offers, needs, cross_border_only)


def _match_concepts(
    companies: Sequence[Company],
    offers: dict[str, str],
    needs: dict[str, str],
    cross_border_only: bool,
) -> dict[str, set[str]]:
    offerers: dict[str, list[Company]] = {}
    for company in companies:
        if company.id in offers:
            offerers.setdefault(offers[company.id], []).append(company)
    truth: dict[str, set[str]] = {}
    for company in companies:
        candidates = offerers.get(needs.get(company.id, ""), [])
        truth[company.id] = {
            other.id
            for other in candidates
            if other.id != company.id
            and not (cross_border_only and other.country == company.country)
        }
    return truth


def _spread_sections(count: int, rng: random.Random) -> list[str]:
    """Return `count` section codes in the shares of SECTION_SHARES, shuffled."""
    codes = [section.code for section in DEFAULT_SECTIONS]
    exact = {code: SECTION_SHARES[code] * count for code in codes}
    quotas = {code: int(exact[code]) for code in codes}
    by_remainder = sorted(codes, key=lambda code: exact[code] - quotas[code], reverse=True)
    for code in by_remainder[: count - sum(quotas.values())]:
        quotas[code] += 1
    sections = [code for code in codes for _ in range(quotas[code])]
    rng.shuffle(sections)
    return sections


def _spread_english(count: int, no_english_share: float, rng: random.Random) -> list[_English]:
    """Return, per company, whether it speaks English and writes its texts in it.

    Exact shares (rounded) rather than coin flips keep every seed close to the published mix.
    """
    order = list(range(count))
    rng.shuffle(order)
    silent = round(count * no_english_share)
    writers = round(count * ENGLISH_TEXT_SHARE)
    english = [_English.SPEAKS] * count
    for i in order[:silent]:
        english[i] = _English.NONE
    for i in order[silent : silent + writers]:
        english[i] = _English.WRITES
    return english


class _English(Enum):
    """How much English a demo company uses."""

    NONE = "none"
    SPEAKS = "speaks"
    WRITES = "writes"


class _EventBuilder:
    """Adds companies one by one, balancing concepts so that every one finds partners."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.companies: list[Company] = []
        self.offer_concept: dict[str, str] = {}
        self.need_concept: dict[str, str] = {}
        self.text_language: dict[str, str] = {}
        self._used: Counter[tuple[str, str, str]] = Counter()
        self._names: set[str] = set()

    def add_company(self, country: str, number: int, section: str, english: _English) -> None:
        """Create one company of `country` in `section` and remember its concepts."""
        rng = self.rng
        side = "cn" if country == "CN" else "cee"
        offer = self._pick_concept(side, "offer", section, country, exclude="")
        need_section = section
        if rng.random() < CROSS_SECTION_NEED_SHARE:
            need_section = rng.choice([s.code for s in DEFAULT_SECTIONS if s.code != section])
        need = self._pick_concept(side, "need", need_section, country, exclude=offer.key)
        own_language = self._own_language(country)
        languages = self._languages(country, own_language, english)
        text_language = "en" if english is _English.WRITES else own_language
        size = rng.choices(_SIZES, weights=_SIZE_WEIGHTS)[0]
        if country == "CN":
            name, city, slug = self._chinese_name(offer, size)
        else:
            name, city, slug = self._cee_name(country, offer, own_language)
        company_id = f"{country.lower()}-{number:03d}"
        self.companies.append(
            Company(
                id=company_id,
                name=name,
                country=country,
                offer=self._text(text_language, side, "offer", offer),
                need=self._text(text_language, side, "need", need),
                city=city,
                languages=languages,
                locale=own_language,
                timezone=get_country(country).timezone,
                section=section,
                profile_type=self._profile_type(offer, need),
                size=size,
                website=f"https://www.{slug}.example",
                contact=f"info@{slug}.example, {self._phone(country)}",
                event_code=DEMO_EVENT_CODE,
                created_at=DEMO_CREATED_AT,
                updated_at=DEMO_CREATED_AT,
            )
        )
        self.offer_concept[company_id] = offer.key
        self.need_concept[company_id] = need.key
        self.text_language[company_id] = text_language

    def _pick_concept(
        self, side: str, role: str, section: str, country: str, exclude: str
    ) -> Concept:
        """Pick the least used fitting concept (ties broken at random).

        Offers of a side are concepts that side supplies; needs are what the other side
        supplies. Balancing the use keeps every concept on both sides of the market.
        """
        supplier_side = side if role == "offer" else ("cee" if side == "cn" else "cn")
        suppliers = {Supplier(supplier_side), Supplier.BOTH}
        fitting = [
            c
            for c in CONCEPTS
            if c.section == section
            and c.supplier in suppliers
            and c.key != exclude
            and (role == "need" or not c.origins or country in c.origins)
        ]
        least = min(self._used[(side, role, c.key)] for c in fitting)
        chosen = self.rng.choice([c for c in fitting if self._used[(side, role, c.key)] == least])
        self._used[(side, role, chosen.key)] += 1
        return chosen

    def _own_language(self, country: str) -> str:
        if country == "BA":
            return self.rng.choices(("bs", "hr", "sr"), weights=(6, 2, 2))[0]
        if country == "RS":
            return self.rng.choices(("sr", "sr_Latn"), weights=(6, 4))[0]
        return get_country(country).main_language

    def _languages(self, country: str, own: str, english: _English) -> tuple[str, ...]:
        """Return the languages spoken, the language of the texts first."""
        rng = self.rng
        extra: list[str] = []
        if country == "CN":
            if rng.random() < 0.05:
                extra.append("ru")
        else:
            if rng.random() < (0.3 if country in _GERMAN_LIKELY else 0.1):
                extra.append("de")
            if rng.random() < (0.25 if country in _RUSSIAN_LIKELY else 0.05):
                extra.append("ru")
        if english is _English.WRITES:
            return ("en", own, *extra)
        return (own, "en", *extra) if english is _English.SPEAKS else (own, *extra)

    def _text(self, language: str, side: str, role: str, concept: Concept) -> str:
        """Return 1-3 sentences naming the concept, in `language`."""
        pack = PACKS[language]
        leads, extras = (
            (pack.offer_leads, pack.offer_extras)
            if role == "offer"
            else (pack.need_leads, pack.need_extras)
        )
        region = pack.regions.get(side, "")
        sentences = [self.rng.choice(leads).format(product=concept_phrase(language, concept.key))]
        count = self.rng.choice((0, 1, 1, 2))
        chosen = sorted(self.rng.sample(range(len(extras)), count))
        sentences += [extras[i].format(region=region) for i in chosen]
        return ("" if language == "zh_Hans" else " ").join(sentences)

    def _chinese_name(self, offer: Concept, size: CompanySize) -> tuple[str, str, str]:
        """Return (name, city, web slug), e.g. ("宁波华信精工机械有限公司", "Ningbo", ...)."""
        suffix = "股份有限公司" if size is CompanySize.LARGE else "有限公司"
        while True:
            city_zh, city = self.rng.choice(CN_CITIES)
            brand_zh, brand = self.rng.choice(CN_BRANDS)
            name = f"{city_zh}{brand_zh}{offer.cn_name_word}{suffix}"
            if name not in self._names:
                self._names.add(name)
                slug = f"{brand}-{_ascii_slug(city)}-{_ascii_slug(offer.name_word)}"
                return name, city, slug

    def _cee_name(self, country: str, offer: Concept, language: str) -> tuple[str, str, str]:
        """Return (name, city, web slug), e.g. ("Mazur Berry Sp. z o.o.", "Olsztyn", ...)."""
        rng = self.rng
        cities = BA_SERBIAN_CITIES if country == "BA" and language == "sr" else CEE_CITIES[country]
        city = rng.choice(cities)
        while True:
            root = rng.choice(CEE_NAME_ROOTS[country])
            base = rng.choice(
                (
                    f"{root} {offer.name_word}",
                    f"{offer.name_word}-{root}",
                    f"{root}-{offer.name_word}",
                )
            )
            form, form_first = rng.choice(LEGAL_FORMS[country])
            name = f"{form} {base}" if form_first else f"{base} {form}"
            if name not in self._names:
                self._names.add(name)
                return name, city, f"{_ascii_slug(base)}-{country.lower()}"

    def _profile_type(self, offer: Concept, need: Concept) -> ProfileType:
        roll = self.rng.random()
        if offer.key == "clinical_trials" or roll < 0.05:
            return ProfileType.RD_PARTNERSHIP
        if roll < 0.12:
            return ProfileType.INVESTMENT
        if roll < 0.32:
            return (
                ProfileType.TECHNOLOGY_REQUEST if need.technology else ProfileType.BUSINESS_REQUEST
            )
        if offer.technology and roll < 0.55:
            return ProfileType.TECHNOLOGY_OFFER
        return ProfileType.BUSINESS_OFFER

    def _phone(self, country: str) -> str:
        rng = self.rng
        return f"{PHONE_PREFIXES[country]} {rng.randint(100, 999)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"


def concept_phrase(language: str, concept_key: str) -> str:
    """Return the phrase of a concept in a language (English when the language has no pack)."""
    pack = PACKS.get(language, PACKS["en"])
    return pack.products[concept_key]


_NOT_DECOMPOSED = str.maketrans({"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ø": "o", "ß": "ss"})


def _ascii_slug(text: str) -> str:
    """Return a lower-case ASCII web-address part of a Latin-script name ("Bałtyk" -> "baltyk")."""
    folded = unicodedata.normalize("NFKD", text.translate(_NOT_DECOMPOSED))
    kept = "".join(ch for ch in folded if ch.isascii() and (ch.isalnum() or ch in " -"))
    return "-".join(_words(kept.lower()))


def _words(text: str) -> Iterable[str]:
    return (word for word in text.replace("-", " ").split() if word)
