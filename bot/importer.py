"""Read companies from a CSV or JSONL file, row by row, keeping the good rows.

Each bad row is named with the reason (missing name, unknown country, empty texts, text too long,
invalid UTF-8, ...) and the rest is imported. A field that only describes the company (languages,
profile type) never loses a row: an unreadable value falls back to a default, and the row is
named in `ParsedFile.notes`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from handlers.places import country_by_name
from matchmaking.countries import default_timezone, get_country
from matchmaking.errors import ValidationError
from matchmaking.models import Company, CompanyStatus, ProfileType, Section
from matchmaking.validation import (
    parse_languages,
    parse_profile_type,
    parse_section,
    parse_size,
    validate_city,
    validate_contact,
    validate_country,
    validate_id,
    validate_name,
    validate_offer_and_need,
    validate_timezone,
    validate_website,
)

_ALIASES = {
    "company": "name",
    "company_name": "name",
    "country_code": "country",
    "lang": "language",
    "section": "sector",
    "type": "profile_type",
    "profile": "profile_type",
    "offers": "offer",
    "needs": "need",
    "tz": "timezone",
    "time_zone": "timezone",
    "email": "contact",
}


@dataclass(slots=True)
class RejectedRow:
    """A row that could not be imported."""

    row: int
    company_id: str
    reason: str


@dataclass(slots=True)
class RowNote:
    """A row that was imported with a value replaced by its default."""

    row: int
    company_id: str
    note: str


@dataclass(slots=True)
class ParsedFile:
    """The companies read from a file, the rows rejected and the rows imported with a note.

    `pairs` maps a company id to its `pair_id` column, where the file has one: the quality and
    adapter-training sets mark complementary pairs with it (an import ignores it).
    """

    companies: list[tuple[int, Company]] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    notes: list[RowNote] = field(default_factory=list)
    rows: int = 0
    pairs: dict[str, str] = field(default_factory=dict)


def _has_bad_bytes(value: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def _norm_key(key: str) -> str:
    k = key.strip().lower().replace(" ", "_").replace("-", "_").lstrip("\ufeff")
    return _ALIASES.get(k, k)


def _iter_csv(text: str) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header: list[str] | None = None
    for values in reader:
        if header is None:
            header = [_norm_key(h) for h in values]
            continue
        row_no = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) > len(header):
            yield row_no, None, "The row has more columns than the header."
            continue
        yield row_no, dict(zip(header, values, strict=False)), ""


def _iter_jsonl(text: str) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            items = json.loads(stripped)
        except json.JSONDecodeError as exc:
            yield 1, None, f"The file is not valid JSON: {exc.msg}."
            return
        for i, item in enumerate(items, start=1):
            if isinstance(item, dict):
                yield i, {_norm_key(k): v for k, v in item.items()}, ""
            else:
                yield i, None, "The item is not a JSON object."
        return
    for i, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            bad = _has_bad_bytes(line)
            yield (
                i,
                None,
                (
                    "The row is not valid UTF-8."
                    if bad
                    else f"The row is not valid JSON: {exc.msg}."
                ),
            )
            continue
        if not isinstance(item, dict):
            yield i, None, "The row is not a JSON object."
            continue
        yield i, {_norm_key(str(k)): v for k, v in item.items()}, ""


def _field(raw: dict[str, Any], name: str) -> str:
    value = raw.get(name)
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return str(value)


def _languages_or_none(value: Any, notes: list[str]) -> tuple[str, ...]:
    """Parse languages; an unreadable value is left out, with a note (the row is kept)."""
    try:
        return parse_languages(value if isinstance(value, (list, tuple)) else str(value))
    except ValidationError as exc:
        notes.append(f"{exc.render()} Left out.")
        return ()


def _profile_type_or_default(value: str, notes: list[str]) -> ProfileType:
    """Parse a profile type; an unknown one becomes a business offer, with a note."""
    try:
        return parse_profile_type(value)
    except ValidationError as exc:
        notes.append(f"{exc.render()} Imported as business_offer.")
        return ProfileType.BUSINESS_OFFER


def company_from_row(
    raw: dict[str, Any],
    sections: tuple[Section, ...],
    event_code: str = "",
    notes: list[str] | None = None,
) -> Company:
    """Build a validated company from one row of an import file.

    Args:
        raw: The row, keys normalized.
        sections: The event's sections.
        event_code: The event the company joins.
        notes: Gets a line for each value replaced by its default.

    Raises:
        ValidationError: With the first problem of the row.
    """
    notes = [] if notes is None else notes
    for key, value in raw.items():
        if isinstance(value, str) and _has_bad_bytes(value):
            raise ValidationError("The field {field} is not valid UTF-8.", field=key)
    company_id = validate_id(_field(raw, "id"))
    name = validate_name(_field(raw, "name"))
    country_value = _field(raw, "country")
    country = validate_country(country_by_name(country_value) or country_value)
    offer, need = validate_offer_and_need(_field(raw, "offer"), _field(raw, "need"))
    language = _languages_or_none(_field(raw, "language"), notes)
    spoken = _languages_or_none(raw.get("languages") or "", notes)
    languages = tuple(dict.fromkeys(language + spoken))
    if not languages:
        languages = get_country(country).languages[:1] or ("en",)
    tz = _field(raw, "timezone")
    sector = _field(raw, "sector")
    return Company(
        id=company_id,
        name=name,
        country=country,
        offer=offer,
        need=need,
        city=validate_city(_field(raw, "city")),
        languages=languages,
        locale=languages[0],
        timezone=validate_timezone(tz) if tz.strip() else default_timezone(country),
        section=parse_section(sector, sections) or sector.strip().lower()[:40],
        profile_type=_profile_type_or_default(_field(raw, "profile_type"), notes),
        size=parse_size(_field(raw, "size")),
        website=validate_website(_field(raw, "website")),
        contact=validate_contact(_field(raw, "contact")),
        status=CompanyStatus.ACTIVE,
        event_code=event_code,
    )


def parse_company_file(
    path: Path, sections: tuple[Section, ...], event_code: str = ""
) -> ParsedFile:
    """Read and validate every row of a CSV or JSONL file."""
    data = path.read_bytes()
    text = data.decode("utf-8", errors="surrogateescape")
    if text.startswith("\ufeff"):
        text = text[1:]
    head = text.lstrip()[:1]
    is_json = path.suffix.lower() in (".jsonl", ".json", ".ndjson") or head in ("{", "[")
    rows = _iter_jsonl(text) if is_json else _iter_csv(text)
    result = ParsedFile()
    seen: dict[str, int] = {}
    for row_no, raw, problem in rows:
        result.rows += 1
        rid = _field(raw, "id")[:64] if raw else ""
        if raw is None:
            result.rejected.append(RejectedRow(row_no, rid, problem))
            continue
        notes: list[str] = []
        try:
            company = company_from_row(raw, sections, event_code, notes)
        except ValidationError as exc:
            result.rejected.append(RejectedRow(row_no, rid, exc.render()))
            continue
        if company.id in seen:
            result.rejected.append(
                RejectedRow(
                    row_no,
                    company.id,
                    f"The id {company.id} appears twice (first on row {seen[company.id]}).",
                )
            )
            continue
        seen[company.id] = row_no
        result.companies.append((row_no, company))
        if pair := _field(raw, "pair_id"):
            result.pairs[company.id] = pair
        result.notes.extend(RowNote(row_no, company.id, note) for note in notes)
    return result
