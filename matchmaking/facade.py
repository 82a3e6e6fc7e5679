"""The bundle of services one process runs, built by `bot.app` (or by tests, with fakes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from matchmaking.jobs import JobRunner
from matchmaking.meetings import MeetingService
from matchmaking.models import Event
from matchmaking.ports import Clock, MatchEngine
from matchmaking.services import CompanyService, MatchingService, Repositories


@dataclass(slots=True)
class AppServices:
    """Everything the dialog, the CLI and the job loop call."""

    event: Event
    repos: Repositories
    clock: Clock
    engine: MatchEngine
    companies: CompanyService
    matching: MatchingService
    meetings: MeetingService
    jobs: JobRunner


def build_services(
    event: Event,
    repos: Repositories,
    engine: MatchEngine,
    clock: Clock,
    *,
    video_template: str = "",
    push_interval: timedelta = timedelta(hours=24),
) -> AppServices:
    """Wire the services over the given ports."""
    companies = CompanyService(repos, engine, clock)
    matching = MatchingService(repos, engine, event)
    meetings = MeetingService(repos, event, clock, video_template)
    jobs = JobRunner(repos, meetings, matching, clock, push_interval)
    return AppServices(event, repos, clock, engine, companies, matching, meetings, jobs)
