"""The shapes of the demo vocabulary: product concepts and per-language phrase packs."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Supplier(StrEnum):
    """Which side of the event typically offers a concept (the other side needs it)."""

    CN = "cn"
    CEE = "cee"
    BOTH = "both"


@dataclass(frozen=True, slots=True)
class Concept:
    """A product or service that demo companies offer or need.

    Attributes:
        key: Stable identifier, also the key of the phrase in every language pack.
        section: Code of the event section (see `matchmaking.models.DEFAULT_SECTIONS`).
        supplier: The side that typically offers it.
        cn_name_word: Chinese business-line word of a company name ("精工机械").
        name_word: Latin brand word of a CEE company name ("Metal").
        origins: CEE countries that may offer it; empty means any.
        technology: Whether a technology offer/request profile fits it.
    """

    key: str
    section: str
    supplier: Supplier
    cn_name_word: str
    name_word: str
    origins: frozenset[str] = frozenset()
    technology: bool = False


@dataclass(frozen=True, slots=True)
class LanguagePack:
    """Phrases of one language: a nominative phrase per concept and sentence templates.

    Every product phrase is placed after a colon, where it stands in the nominative, so
    inflected languages need one form per concept only.

    Attributes:
        code: Catalog locale code ("pl", "zh_Hans", "sr_Latn").
        products: Concept key -> product phrase (nominative, lower case unless a name).
        offer_leads: Offer sentences with a `{product}` placeholder.
        need_leads: Need sentences with a `{product}` placeholder.
        offer_extras: Further offer sentences (may use `{region}`, the partner side).
        need_extras: Further need sentences (may use `{region}`).
        regions: Partner region by the writer's side ("cn" or "cee") for `{region}`.
    """

    code: str
    products: dict[str, str]
    offer_leads: tuple[str, ...]
    need_leads: tuple[str, ...]
    offer_extras: tuple[str, ...]
    need_extras: tuple[str, ...]
    regions: dict[str, str] = field(default_factory=dict)
