"""What the CLI does besides chatting: import, suggest, remove, reindex, schedule, stats, adapters."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.app import App, build_app
from bot.config import Settings
from bot.importer import RejectedRow, RowNote, parse_company_file
from embeddings.adapter_training import TrainingEvent, TrainingSettings
from matchmaking.adapter import LinearAdapter
from matchmaking.countries import get_country
from matchmaking.errors import NotFoundError
from matchmaking.models import Event, Interpreter, MatchSuggestion
from matchmaking.notices import partner_left
from matchmaking.validation import parse_languages

PROGRESS_MIN_ROWS = 200


@asynccontextmanager
async def started(settings: Settings) -> AsyncIterator[App]:
    """Open an App without the dialog for one CLI operation, and close it afterwards."""
    app = build_app(settings)
    await app.start(with_dialog=False)
    try:
        yield app
    finally:
        await app.stop()


BATCH = 64


@dataclass(slots=True)
class ImportReport:
    """How an import went."""

    added: int = 0
    updated: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    notes: list[RowNote] = field(default_factory=list)


async def import_companies(settings: Settings, path: Path) -> ImportReport:
    """Validate, store, embed and index the companies of a file."""
    app = build_app(settings)
    parsed = parse_company_file(path, app.event.sections, app.event.code)
    report = ImportReport(rejected=parsed.rejected, notes=parsed.notes)
    if not parsed.companies:
        return report
    await app.start(with_dialog=False)
    try:
        services = app.services
        merged = []
        for _, company in parsed.companies:
            old = await services.repos.companies.get(company.id)
            if old is not None:
                company.user_id = old.user_id
                company.no_shows = old.no_shows
                company.meetings_held = old.meetings_held
                company.created_at = old.created_at
                company.status = old.status
            merged.append(company)
        batches = [merged[i : i + BATCH] for i in range(0, len(merged), BATCH)]
        if len(merged) >= PROGRESS_MIN_ROWS and sys.stderr.isatty():
            from rich.progress import Progress

            with Progress(transient=True) as progress:
                task = progress.add_task("Embedding and indexing", total=len(merged))
                for batch in batches:
                    added, updated = await services.companies.save_many(batch)
                    report.added += added
                    report.updated += updated
                    progress.advance(task, len(batch))
        else:
            for batch in batches:
                added, updated = await services.companies.save_many(batch)
                report.added += added
                report.updated += updated
    finally:
        await app.stop()
    return report


def language_name(code: str, locale: str = "en") -> str:
    """Return a language's name in a locale ("hr" -> "Croatian")."""
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(code.replace("-", "_")).get_display_name(locale) or code
    except (ValueError, UnknownLocaleError):
        return code


def suggestion_row(s: MatchSuggestion, name: str, country: str) -> dict[str, Any]:
    """Return one suggestion as the JSON object `matchbot suggest --json` prints."""
    lang = language_name(s.reason.their_language) if s.reason.their_language else ""
    parts = []
    if s.reason.their_offer:
        parts.append(f"They offer: {s.reason.their_offer}" + (f" ({lang})" if lang else ""))
    if s.reason.your_need:
        parts.append(f"Your need: {s.reason.your_need}")
    if s.mutual and s.reason.their_need:
        parts.append(f"They need: {s.reason.their_need}; you offer: {s.reason.your_offer}")
    return {
        "company_id": s.partner_id,
        "name": name,
        "country": country,
        "score": round(float(s.score), 4),
        "reason": " | ".join(parts),
        "mutual": s.mutual,
        "need_to_offer": round(float(s.need_to_offer), 4),
        "offer_to_need": round(float(s.offer_to_need), 4),
        "their_offer": s.reason.their_offer,
        "your_need": s.reason.your_need,
        "their_need": s.reason.their_need,
        "your_offer": s.reason.your_offer,
        "their_language": s.reason.their_language,
        "interpreter_needed": s.interpreter_needed,
        "same_section": s.same_section,
    }


async def suggest_for(settings: Settings, company_id: str, limit: int) -> list[dict[str, Any]]:
    """Return the ranked partners of a company as JSON-ready rows."""
    async with started(settings) as app:
        services = app.services
        if await services.repos.companies.get(company_id) is None:
            raise NotFoundError("Unknown company id {company_id}.", company_id=company_id)
        rows = []
        for s in await services.matching.suggest(company_id, limit):
            partner = await services.repos.companies.get(s.partner_id)
            if partner is None:
                continue
            rows.append(suggestion_row(s, partner.name, partner.country))
        return rows


@dataclass(slots=True)
class Removal:
    """What removing a company did."""

    name: str
    cancelled_meetings: int


async def remove_company(settings: Settings, company_id: str) -> Removal:
    """Delete a company and everything about it; queue the notices its partners are owed.

    Its future meetings are cancelled and the bot tells those partners when it next runs its
    due jobs (the command line cannot message anyone itself).

    Raises:
        NotFoundError: For an unknown company id.
    """
    async with started(settings) as app:
        services = app.services
        company = await services.repos.companies.get(company_id)
        if company is None:
            raise NotFoundError("Unknown company id {company_id}.", company_id=company_id)
        told = await services.companies.delete(company_id)
        await services.jobs.deliver_later(partner_left(company.name, told))
        return Removal(company.name, len(told))


async def set_blocked(settings: Settings, company_id: str, blocked: bool) -> str:
    """Block a company (never suggested, keeps its data) or unblock it; return its name.

    The command-line twin of the organizers' /block and /unblock: a soft withdrawal that
    `remove` is not.

    Raises:
        NotFoundError: For an unknown company id.
    """
    async with started(settings) as app:
        company = await app.services.repos.companies.get(company_id)
        if company is None:
            raise NotFoundError("Unknown company id {company_id}.", company_id=company_id)
        await app.services.companies.set_blocked(company_id, blocked)
        return company.name


async def reindex(settings: Settings) -> int:
    """Rebuild the matching indexes from the stored vectors; return the companies indexed."""
    async with started(settings) as app:
        await app.services.matching.reindex()
        return len(await app.services.repos.companies.list())


async def schedule_all(settings: Settings) -> str:
    """Run the batch scheduler and return its report as text."""
    async with started(settings) as app:
        result = await app.services.meetings.schedule_all()
    lines = [f"scheduled: {len(result.scheduled)}", f"unscheduled: {len(result.unscheduled)}"]
    for request_id, reason in result.unscheduled:
        lines.append(f"  request {request_id}: {reason}")
    return "\n".join(lines)


async def stats_text(settings: Settings) -> str:
    """Return the organizer's figures as text."""
    from matchmaking.stats import collect_stats

    async with started(settings) as app:
        s = await collect_stats(app.services.repos)
    countries = ", ".join(
        f"{get_country(code).name if len(code) == 2 else code}: {n}"
        for code, n in s.by_country.items()
    )
    return "\n".join(
        [
            f"participants: {s.participants} ({s.complete_profiles} complete profiles)",
            f"by country: {countries}",
            f"by section: {', '.join(f'{k}: {v}' for k, v in s.by_section.items())}",
            f"requests: {s.requests} (pending {s.pending}, accepted {s.accepted}, "
            f"declined {s.declined}, expired {s.expired})",
            f"meetings: {s.scheduled} scheduled, {s.held} held, {s.no_shows} no-shows",
            f"outcomes: {s.memorandums} memorandums, {s.intentions} intentions, "
            f"{s.follow_ups} follow-ups, {s.no_fit} no fit",
        ]
    )


def parse_interpreter(
    interpreter_id: str, name: str, pairs: list[str], available: list[str]
) -> Interpreter:
    """Build an interpreter from command-line values.

    Raises:
        ValueError: With a readable message when a pair or an interval is malformed.
    """
    from datetime import UTC, datetime

    language_pairs = []
    for pair in pairs:
        parts = [p for p in pair.replace(":", "-").replace("/", "-").split("-") if p]
        if len(parts) != 2:
            raise ValueError(f"a language pair looks like zh-hr, not {pair!r}")
        a, b = parse_languages(parts)
        language_pairs.append((a, b))
    intervals = []
    for item in available:
        start_s, sep, end_s = item.partition("/")
        try:
            start = datetime.fromisoformat(start_s)
            end = datetime.fromisoformat(end_s)
        except ValueError:
            raise ValueError(
                f"an interval looks like 2026-12-01T08:00/2026-12-01T12:00, not {item!r}"
            ) from None
        start = start if start.tzinfo else start.replace(tzinfo=UTC)
        end = end if end.tzinfo else end.replace(tzinfo=UTC)
        if not sep or end <= start:
            raise ValueError(f"the interval {item!r} must end after it starts")
        intervals.append((start.astimezone(UTC), end.astimezone(UTC)))
    if not language_pairs:
        raise ValueError("give at least one --pair")
    return Interpreter(
        interpreter_id.strip(),
        name.strip() or interpreter_id,
        tuple(language_pairs),
        tuple(intervals),
    )


async def save_interpreter(settings: Settings, interpreter: Interpreter) -> None:
    """Add or change an interpreter of the pool."""
    async with started(settings) as app:
        await app.services.repos.interpreters.upsert(interpreter)


async def list_interpreters(settings: Settings) -> list[Interpreter]:
    """Return the interpreter pool."""
    async with started(settings) as app:
        return await app.services.repos.interpreters.list()


async def remove_interpreter(settings: Settings, interpreter_id: str) -> None:
    """Remove an interpreter from the pool."""
    async with started(settings) as app:
        await app.services.repos.interpreters.delete(interpreter_id)


@dataclass(slots=True)
class AdapterFigures:
    """Recall of one event's partners without and with a freshly learned adapter."""

    kind: str
    name: str
    companies: int
    pairs: int
    before: dict[int, float]
    after: dict[int, float]


@dataclass(slots=True)
class AdapterReport:
    """What `train_adapter_files` learned and measured."""

    adapter: LinearAdapter
    figures: list[AdapterFigures] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)


def read_pairs_file(path: Path, event: Event) -> tuple[TrainingEvent, list[str]]:
    """Read a file of companies with a `pair_id` column as one event of pairs.

    The rows are read as `matchbot import` reads them.

    Returns:
        The event, and one line per rejected row ("file row N: why").
    """
    parsed = parse_company_file(path, event.sections, event.code)
    rejected = [f"{path.name} row {r.row}: {r.reason}" for r in parsed.rejected]
    companies = [company for _, company in parsed.companies]
    return TrainingEvent(path.name, companies, parsed.pairs), rejected


def train_adapter_files(
    settings: Settings,
    files: list[Path],
    out: Path,
    holdout: list[Path] | None = None,
    training: TrainingSettings | None = None,
) -> AdapterReport:
    """Learn a matching adapter from files of pairs (one event each) and write it to `out`.

    Each file is read as `matchbot import` reads it, plus its `pair_id` column. The figures are
    the partners' recall@1 and @5 per file, other country only, without and with the adapter:
    in-sample for the training files, out of sample for the `holdout` files.
    """
    from embeddings.adapter import save_adapter
    from embeddings.adapter_training import (
        embed_event,
        event_recall,
        fit_adapter,
        training_meta,
    )
    from embeddings.encoders import make_encoder
    from matchmaking.matching import ScoringConfig

    event = settings.event()
    config = ScoringConfig()
    training = training or TrainingSettings()
    encoder = make_encoder(
        settings.embedder,
        settings.embedder_model,
        settings.embedder_threads,
        backend=settings.embedder_backend,
        onnx_file=settings.embedder_onnx_file,
    )
    rejected: list[str] = []

    def embedded(path: Path) -> Any:
        pairs, bad = read_pairs_file(path, event)
        rejected.extend(bad)
        return embed_event(encoder, pairs, config)

    learn = [embedded(path) for path in files]
    held = [embedded(path) for path in holdout or []]
    meta = training_meta(learn, config, training)
    adapter = fit_adapter(learn, config, encoder.name, encoder.dim, training, meta)
    figures = [
        AdapterFigures(
            kind,
            vectors.name,
            len(vectors.countries),
            vectors.pairs,
            event_recall(vectors, config, None),
            event_recall(vectors, config, adapter),
        )
        for kind, group in (("train", learn), ("held out", held))
        for vectors in group
    ]
    meta["recall"] = [
        {"kind": f.kind, "name": f.name, "before": f.before, "after": f.after} for f in figures
    ]
    adapter = replace(adapter, meta=meta)
    save_adapter(adapter, out)
    return AdapterReport(adapter, figures, rejected)
