"""`matchbot demo`: a whole matchmaking event, simulated end to end on the embedded defaults.

Generates companies like the real China-CEE event, imports, embeds and indexes them, computes
suggestions, simulates requests and answers with a simulated clock, schedules the accepted
meetings with the batch scheduler, simulates attendance and outcomes, and reports.
"""

from __future__ import annotations

import logging
import random
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import build_app
from bot.config import Settings
from bot.demo.generator import generate_demo_event
from bot.demo.report import DemoReport, ExampleMatch, render_text, write_report_files
from bot.operations import language_name
from handlers.i18n import Translator
from handlers.render import score_label
from matchmaking.countries import get_country
from matchmaking.errors import MatchbotError
from matchmaking.models import Company, MatchSuggestion, OutcomeKind
from matchmaking.stats import collect_stats

log = logging.getLogger(__name__)

SUGGESTIONS_PER_COMPANY = 5


class SimClock:
    """A clock the simulation moves forward."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        """Return the simulated time."""
        return self.current


def _timed(timings: dict[str, float], name: str) -> Callable[[], None]:
    start = time.perf_counter()

    def stop() -> None:
        timings[name] = round(time.perf_counter() - start, 2)

    return stop


def _outcome_for(rng: random.Random, score: float) -> OutcomeKind:
    """Draw what came out of a held meeting; better matches sign more often."""
    r = rng.random()
    mou = 0.06 + 0.12 * score
    intention = mou + 0.05 + 0.06 * score
    follow_up = intention + 0.35
    if r < mou:
        return OutcomeKind.MEMORANDUM
    if r < intention:
        return OutcomeKind.INTENTION
    if r < follow_up:
        return OutcomeKind.FOLLOW_UP
    return OutcomeKind.NO_FIT


async def run_demo(settings: Settings, *, seed: int = 2026) -> str:
    """Run the demo event and return the console report (files go to the data dir)."""
    rng = random.Random(seed)
    timings: dict[str, float] = {}
    skipped: list[str] = []
    demo_dir = settings.data_dir / "demo"
    if demo_dir.exists():
        shutil.rmtree(demo_dir)
    demo_dir.mkdir(parents=True)
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    day1 = (start + timedelta(days=14)).date()
    demo_settings = settings.model_copy(
        update={
            "data_dir": demo_dir,
            "database_url": "",
            "event_days": [day1, day1 + timedelta(days=1)],
        }
    )
    clock = SimClock(start)
    app = build_app(demo_settings, clock=clock)
    stop = _timed(timings, "generate")
    data = generate_demo_event(seed)
    companies = data.companies
    stop()
    await app.start(with_dialog=False)
    try:
        services = app.services
        stop = _timed(timings, "embed_and_index")
        await services.companies.save_many(companies)
        stop()

        stop = _timed(timings, "suggest")
        suggestions: dict[str, list[MatchSuggestion]] = {}
        for company in companies:
            suggestions[company.id] = await services.matching.suggest(
                company.id, SUGGESTIONS_PER_COMPANY
            )
        stop()
        shown = sum(len(s) for s in suggestions.values())

        stop = _timed(timings, "requests")
        scores: dict[frozenset[str], float] = {}
        request_ids: list[tuple[int, str, float]] = []
        order = list(companies)
        rng.shuffle(order)
        for company in order:
            wanted = rng.choice((2, 3, 4, 4, 5))
            for s in suggestions[company.id][:wanted]:
                try:
                    request, _ = await services.meetings.request_meeting(company.id, s.partner_id)
                except MatchbotError:
                    continue  # already asked by the other side, or budget used up
                scores[frozenset((company.id, s.partner_id))] = s.score
                request_ids.append((request.id or 0, s.partner_id, s.score))
        for request_id, partner_id, score in request_ids:
            if rng.random() < 0.12:
                continue  # never answered: expires
            accept = rng.random() < min(0.85, max(0.25, 0.2 + 0.6 * score))
            await services.meetings.answer(request_id, partner_id, accept)
        clock.current += timedelta(hours=app.event.request_expiry_hours + 1)
        await services.jobs.run_due(limit=100_000)
        stop()

        stop = _timed(timings, "schedule")
        batch = await services.meetings.schedule_all()
        stop()

        stop = _timed(timings, "outcomes")
        clock.current = datetime.combine(
            app.event.days[-1] + timedelta(days=2), datetime.min.time(), UTC
        )
        for meeting in batch.scheduled:
            a_id, b_id = meeting.company_a, meeting.company_b
            if rng.random() < 0.78:
                await services.meetings.record_attendance(meeting.id or 0, a_id, "yes")
                kind = _outcome_for(rng, scores.get(frozenset((a_id, b_id)), 0.3))
                await services.meetings.record_outcome(meeting.id or 0, a_id, kind)
            else:
                await services.meetings.record_attendance(meeting.id or 0, a_id, "no_show")
        stop()

        stats = await collect_stats(services.repos)
        truth = data.ground_truth()
        by_id = {c.id: c for c in companies}
        report = DemoReport(
            stats=stats,
            suggestions=shown,
            unscheduled=len(batch.unscheduled),
            examples=_examples(companies, by_id, suggestions, truth),
            skipped=skipped,
            timings=timings,
        )
        truth_hits = _precision_at_1(suggestions, truth)
    finally:
        await app.stop()
    md_path, png_path = write_report_files(report, settings.data_dir)
    text = render_text(report)
    if truth_hits is not None:
        text += (
            f"\n\nTop suggestion offers what the company needs (generator's ground truth): "
            f"{truth_hits:.0%} of companies"
        )
    return f"{text}\n\nReport: {md_path}\nChart:  {png_path}"


def _precision_at_1(
    suggestions: dict[str, list[MatchSuggestion]], truth: dict[str, set[str]]
) -> float | None:
    """Return the share of companies whose first suggestion offers what they need."""
    judged = [(cid, s[0].partner_id) for cid, s in suggestions.items() if s and truth.get(cid)]
    if not judged:
        return None
    return round(sum(1 for cid, pid in judged if pid in truth[cid]) / len(judged), 3)


def _examples(
    companies: list[Company],
    by_id: dict[str, Company],
    suggestions: dict[str, list[MatchSuggestion]],
    all_truth: dict[str, set[str]],
) -> list[ExampleMatch]:
    """Pick three good cross-language matches from different sections."""
    english = Translator("en")
    examples: list[ExampleMatch] = []
    seen_sections: set[str] = set()
    for company in companies:
        if company.text_language != "zh_Hans" or company.section in seen_sections:
            continue
        truth = all_truth.get(company.id, set())
        for s in suggestions.get(company.id, [])[:1]:
            partner = by_id[s.partner_id]
            if partner.text_language in ("en", company.text_language) or not s.reason.their_offer:
                continue
            if truth and s.partner_id not in truth:
                continue
            examples.append(
                ExampleMatch(
                    company=f"{company.name} ({get_country(company.country).name})",
                    partner=f"{partner.name} ({get_country(partner.country).name})",
                    need=s.reason.your_need,
                    offer=s.reason.their_offer,
                    their_language=language_name(partner.text_language),
                    score_label=score_label(s.score, english),
                    reason=(
                        "Both ways: each offers what the other needs"
                        if s.mutual
                        else "Their offer meets your need"
                    ),
                )
            )
            seen_sections.add(company.section)
        if len(examples) == 3:
            break
    return examples


def demo_dir(settings: Settings) -> Path:
    """Return where the demo keeps its database and index."""
    return settings.data_dir / "demo"
