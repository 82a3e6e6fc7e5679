"""In-memory fakes of every port, for unit tests: no model, no database, no network."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np

from matchmaking.errors import ConflictError
from matchmaking.facade import AppServices, build_services
from matchmaking.models import (
    Company,
    CompanyStatus,
    Event,
    Interpreter,
    Job,
    MatchReason,
    MatchSuggestion,
    Meeting,
    MeetingRequest,
    MeetingStatus,
    Outcome,
    RequestStatus,
)
from matchmaking.services import Repositories


class FakeClock:
    """A clock that only moves when told."""

    def __init__(self, now: datetime | None = None) -> None:
        self.current = now or datetime(2026, 6, 15, 6, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> None:
        self.current += timedelta(**kwargs)


class FakeCompanies:
    def __init__(self, companies: Iterable[Company] = ()) -> None:
        self.items: dict[str, Company] = {c.id: c for c in companies}

    async def get(self, company_id: str) -> Company | None:
        c = self.items.get(company_id)
        return copy.deepcopy(c) if c else None

    async def get_by_user(self, user_id: int) -> Company | None:
        for c in self.items.values():
            if c.user_id == user_id:
                return copy.deepcopy(c)
        return None

    async def upsert(self, company: Company) -> bool:
        new = company.id not in self.items
        self.items[company.id] = copy.deepcopy(company)
        return new

    async def list(
        self, status: CompanyStatus | None = None, event_code: str | None = None
    ) -> list[Company]:
        return [
            copy.deepcopy(c)
            for _, c in sorted(self.items.items())
            if (status is None or c.status is status)
            and (event_code is None or c.event_code == event_code)
        ]

    async def delete(self, company_id: str) -> None:
        self.items.pop(company_id, None)

    async def count(self) -> int:
        return len(self.items)


class FakePreferences:
    def __init__(self) -> None:
        self.pairs: set[tuple[str, str]] = set()

    async def add_declined(self, company_id: str, partner_id: str) -> None:
        self.pairs.add((company_id, partner_id))

    async def declined_by(self, company_id: str) -> set[str]:
        return {b for a, b in self.pairs if a == company_id} | {
            a for a, b in self.pairs if b == company_id
        }


class FakeRequests:
    def __init__(self) -> None:
        self.items: dict[int, MeetingRequest] = {}

    async def add(self, request: MeetingRequest) -> MeetingRequest:
        request = copy.deepcopy(request)
        request.id = len(self.items) + 1
        self.items[request.id] = request
        return copy.deepcopy(request)

    async def get(self, request_id: int) -> MeetingRequest | None:
        r = self.items.get(request_id)
        return copy.deepcopy(r) if r else None

    async def update(self, request: MeetingRequest) -> None:
        assert request.id is not None
        self.items[request.id] = copy.deepcopy(request)

    async def list_for(
        self, company_id: str, status: RequestStatus | None = None
    ) -> list[MeetingRequest]:
        return [
            copy.deepcopy(r)
            for r in self.items.values()
            if company_id in (r.requester_id, r.partner_id)
            and (status is None or r.status is status)
        ]

    async def list_by_status(self, status: RequestStatus) -> list[MeetingRequest]:
        return [copy.deepcopy(r) for r in self.items.values() if r.status is status]

    async def count_sent_since(self, company_id: str, since: datetime) -> int:
        return sum(
            1 for r in self.items.values() if r.requester_id == company_id and r.created_at >= since
        )


class FakeMeetings:
    def __init__(self) -> None:
        self.items: dict[int, Meeting] = {}

    async def book(self, meeting: Meeting) -> Meeting:
        for m in self.items.values():
            if m.status is not MeetingStatus.SCHEDULED:
                continue
            shared = {m.company_a, m.company_b} & {meeting.company_a, meeting.company_b}
            if shared and m.start < meeting.end and meeting.start < m.end:
                raise ConflictError("This time is no longer free. Please choose another one.")
        meeting = copy.deepcopy(meeting)
        meeting.id = len(self.items) + 1
        meeting.uid = meeting.uid or f"meeting-{meeting.id}@matchbot"
        self.items[meeting.id] = meeting
        return copy.deepcopy(meeting)

    async def get(self, meeting_id: int) -> Meeting | None:
        m = self.items.get(meeting_id)
        return copy.deepcopy(m) if m else None

    async def update(self, meeting: Meeting) -> None:
        assert meeting.id is not None
        self.items[meeting.id] = copy.deepcopy(meeting)

    async def list_for(
        self, company_id: str, statuses: Sequence[MeetingStatus] | None = None
    ) -> list[Meeting]:
        return sorted(
            (
                copy.deepcopy(m)
                for m in self.items.values()
                if company_id in (m.company_a, m.company_b)
                and (statuses is None or m.status in statuses)
            ),
            key=lambda m: m.start,
        )

    async def list_all(self, statuses: Sequence[MeetingStatus] | None = None) -> list[Meeting]:
        return sorted(
            (
                copy.deepcopy(m)
                for m in self.items.values()
                if statuses is None or m.status in statuses
            ),
            key=lambda m: m.start,
        )


class FakeOutcomes:
    def __init__(self) -> None:
        self.items: list[Outcome] = []

    async def add(self, outcome: Outcome) -> Outcome:
        outcome = copy.deepcopy(outcome)
        outcome.id = len(self.items) + 1
        self.items.append(outcome)
        return outcome

    async def list_all(self) -> list[Outcome]:
        return copy.deepcopy(self.items)


class FakeJobs:
    def __init__(self) -> None:
        self.items: dict[int, Job] = {}
        self._next = 1

    async def put(self, job: Job) -> Job:
        for existing in list(self.items.values()):
            if existing.key == job.key and not existing.done:
                del self.items[existing.id or 0]
        job = copy.deepcopy(job)
        job.id = self._next
        self._next += 1
        self.items[job.id] = job
        return copy.deepcopy(job)

    async def due(self, now: datetime, limit: int = 100) -> list[Job]:
        jobs = sorted(
            (j for j in self.items.values() if not j.done and j.due_at <= now),
            key=lambda j: j.due_at,
        )
        return copy.deepcopy(jobs[:limit])

    async def mark_done(self, job_id: int) -> None:
        if job_id in self.items:
            self.items[job_id].done = True

    async def cancel(self, key_prefix: str) -> int:
        n = 0
        for j in self.items.values():
            if not j.done and j.key.startswith(key_prefix):
                j.done = True
                n += 1
        return n

    def pending(self) -> list[Job]:
        return [j for j in self.items.values() if not j.done]


class FakeInterpreters:
    def __init__(self) -> None:
        self.items: dict[str, Interpreter] = {}

    async def list(self) -> list[Interpreter]:
        return list(self.items.values())

    async def upsert(self, interpreter: Interpreter) -> None:
        self.items[interpreter.id] = interpreter

    async def delete(self, interpreter_id: str) -> None:
        self.items.pop(interpreter_id, None)


class FakeDialogStates:
    def __init__(self) -> None:
        self.items: dict[int, dict[str, Any]] = {}

    async def load(self, user_id: int) -> dict[str, Any] | None:
        s = self.items.get(user_id)
        return copy.deepcopy(s) if s is not None else None

    async def save(self, user_id: int, state: dict[str, Any]) -> None:
        self.items[user_id] = copy.deepcopy(state)

    async def delete(self, user_id: int) -> None:
        self.items.pop(user_id, None)


class FakeVectorStore:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], np.ndarray] = {}

    async def get_many(self, model: str, keys: Sequence[str]) -> dict[str, np.ndarray]:
        return {k: self.items[(model, k)].copy() for k in keys if (model, k) in self.items}

    async def put_many(self, model: str, items: Mapping[str, np.ndarray]) -> None:
        for k, v in items.items():
            self.items.setdefault((model, k), np.asarray(v, dtype=np.float32).copy())


_WORD = re.compile(r"\w{3,}", re.UNICODE)


def _words(text: str) -> set[str]:
    return {w.lower()[:6] for w in _WORD.findall(text)}


class FakeMatchEngine:
    """Ranks partners by word overlap between one side's need and the other's offer."""

    def __init__(self) -> None:
        self.indexed: dict[str, Company] = {}

    async def index(self, companies: Sequence[Company]) -> None:
        for c in companies:
            self.indexed[c.id] = copy.deepcopy(c)

    async def remove(self, company_id: str) -> None:
        self.indexed.pop(company_id, None)

    async def rebuild(self) -> None:
        return None

    async def rank(
        self, company: Company, limit: int, allowed: Callable[[str], bool]
    ) -> list[MatchSuggestion]:
        out: list[MatchSuggestion] = []
        for other in self.indexed.values():
            if other.id == company.id or not allowed(other.id):
                continue
            n2o = _overlap(company.need, other.offer)
            o2n = _overlap(other.need, company.offer)
            score = max(n2o, o2n) + 0.5 * min(n2o, o2n)
            if score <= 0:
                continue
            out.append(
                MatchSuggestion(
                    company_id=company.id,
                    partner_id=other.id,
                    score=min(1.0, score),
                    need_to_offer=n2o,
                    offer_to_need=o2n,
                    mutual=n2o > 0 and o2n > 0,
                    reason=MatchReason(
                        company.need, other.offer, other.need, company.offer, other.text_language
                    ),
                    interpreter_needed=not set(company.languages) & set(other.languages),
                    same_section=company.section == other.section,
                )
            )
        out.sort(key=lambda s: -s.score)
        return out[:limit]


def _overlap(a: str, b: str) -> float:
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return 0.0
    return len(wa & wb) / min(len(wa), len(wb))


@dataclass
class FakeWorld:
    """Fake ports plus the real services wired over them."""

    services: AppServices
    repos: Repositories
    clock: FakeClock
    engine: FakeMatchEngine
    companies: FakeCompanies
    requests: FakeRequests
    meetings: FakeMeetings
    jobs: FakeJobs
    dialogs: FakeDialogStates
    interpreters: FakeInterpreters


def make_world(event: Event | None = None, now: datetime | None = None) -> FakeWorld:
    """Build AppServices over fresh fakes; event days default to two days after `now`."""
    clock = FakeClock(now)
    if event is None:
        start = (clock.now() + timedelta(days=2)).date()
        event = Event(days=(start, start + timedelta(days=1)))
    companies, requests, meetings = FakeCompanies(), FakeRequests(), FakeMeetings()
    jobs, dialogs, interpreters = FakeJobs(), FakeDialogStates(), FakeInterpreters()
    repos = Repositories(
        companies=companies,
        preferences=FakePreferences(),
        requests=requests,
        meetings=meetings,
        outcomes=FakeOutcomes(),
        jobs=jobs,
        interpreters=interpreters,
        dialogs=dialogs,
    )
    engine = FakeMatchEngine()
    services = build_services(event, repos, engine, clock)
    return FakeWorld(
        services, repos, clock, engine, companies, requests, meetings, jobs, dialogs, interpreters
    )


def make_company(cid: str, country: str = "CN", **kw: Any) -> Company:
    """Return a valid active company with sensible defaults."""
    from matchmaking.countries import default_timezone

    defaults: dict[str, Any] = {
        "name": f"Company {cid}",
        "offer": "We manufacture CNC machine tools and industrial robots.",
        "need": "We are looking for distributors of machine tools in Europe.",
        "languages": ("en",),
        "locale": "en",
        "timezone": default_timezone(country),
        "section": "industry",
    }
    defaults.update(kw)
    return Company(id=cid, country=country, **defaults)
