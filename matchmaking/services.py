"""Application services: what the dialog, the CLI and the jobs ask of the domain.

Handlers stay thin: they parse an event, call one method here, and render the result. Every
method works through the ports, so unit tests run it with in-memory fakes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from matchmaking.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
)
from matchmaking.models import (
    Company,
    CompanyStatus,
    Event,
    MatchSuggestion,
    MeetingStatus,
    RequestStatus,
)
from matchmaking.ports import (
    Clock,
    CompanyRepository,
    DialogStateStore,
    InterpreterRepository,
    JobStore,
    MatchEngine,
    MeetingRepository,
    OutcomeRepository,
    PreferenceRepository,
    RequestRepository,
)

log = logging.getLogger(__name__)


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """Return the current aware UTC time."""
        return datetime.now(UTC)


@dataclass(slots=True)
class Repositories:
    """The storage ports one process works with."""

    companies: CompanyRepository
    preferences: PreferenceRepository
    requests: RequestRepository
    meetings: MeetingRepository
    outcomes: OutcomeRepository
    jobs: JobStore
    interpreters: InterpreterRepository
    dialogs: DialogStateStore


def pair_allowed(event: Event, a: Company, b: Company) -> bool:
    """Tell whether the event's rules allow suggesting b to a (before personal preferences).

    Cross-border events (the default) pair companies of different countries only, so a Chinese
    company meets CEE companies and the other way round.
    """
    if a.id == b.id or b.status is not CompanyStatus.ACTIVE:
        return False
    return not event.cross_border_only or a.country != b.country


class CompanyService:
    """Registration, profile changes, pausing and deletion of participants."""

    def __init__(self, repos: Repositories, engine: MatchEngine, clock: Clock) -> None:
        self._repos = repos
        self._engine = engine
        self._clock = clock

    async def get(self, company_id: str) -> Company:
        """Return a company.

        Raises:
            NotFoundError: If there is no such company.
        """
        company = await self._repos.companies.get(company_id)
        if company is None:
            raise NotFoundError("This company is no longer registered.")
        return company

    async def find_by_user(self, user_id: int) -> Company | None:
        """Return the company a chat user registered, if any."""
        return await self._repos.companies.get_by_user(user_id)

    async def save(self, company: Company, *, index: bool = True) -> bool:
        """Store a profile (new or changed) and index its texts; return True when new."""
        company.updated_at = self._clock.now()
        created = await self._repos.companies.upsert(company)
        if index:
            if company.status is CompanyStatus.ACTIVE:
                await self._engine.index([company])
            else:
                await self._engine.remove(company.id)
        return created

    async def save_many(self, companies: Sequence[Company]) -> tuple[int, int]:
        """Store and index many profiles at once; return (added, updated)."""
        added = updated = 0
        now = self._clock.now()
        for company in companies:
            company.updated_at = now
            if await self._repos.companies.upsert(company):
                added += 1
            else:
                updated += 1
        await self._engine.index([c for c in companies if c.status is CompanyStatus.ACTIVE])
        return added, updated

    async def set_paused(self, company_id: str, paused: bool) -> Company:
        """Pause or resume suggestions for a company (paused companies are not suggested)."""
        company = await self.get(company_id)
        if company.status is CompanyStatus.BLOCKED:
            raise PermissionDeniedError()
        company.status = CompanyStatus.PAUSED if paused else CompanyStatus.ACTIVE
        await self.save(company)
        return company

    async def set_blocked(self, company_id: str, blocked: bool) -> Company:
        """Block or unblock a company (organizer moderation)."""
        company = await self.get(company_id)
        company.status = CompanyStatus.BLOCKED if blocked else CompanyStatus.ACTIVE
        await self.save(company)
        return company

    async def delete(self, company_id: str) -> list[tuple[Company, datetime]]:
        """Delete a company, its vectors and pending requests.

        Returns:
            The partners of its future meetings with the meeting start, so they can be told.
        """
        company = await self.get(company_id)
        now = self._clock.now()
        told: list[tuple[Company, datetime]] = []
        for meeting in await self._repos.meetings.list_for(company.id, [MeetingStatus.SCHEDULED]):
            if meeting.start > now:
                meeting.status = MeetingStatus.CANCELLED
                meeting.sequence += 1
                await self._repos.meetings.update(meeting)
                partner = await self._repos.companies.get(meeting.other(company.id))
                if partner is not None:
                    told.append((partner, meeting.start))
            await self._repos.jobs.cancel(f"meeting:{meeting.id}:")
        for request in await self._repos.requests.list_for(company.id, RequestStatus.PENDING):
            request.status = RequestStatus.CANCELLED
            request.answered_at = now
            await self._repos.requests.update(request)
            await self._repos.jobs.cancel(f"request:{request.id}:")
        await self._engine.remove(company.id)
        await self._repos.companies.delete(company.id)
        if company.user_id is not None:
            await self._repos.dialogs.delete(company.user_id)
        return told

    async def export_data(self, company_id: str) -> dict[str, object]:
        """Return everything stored about a company, for `/my_data`."""
        company = await self.get(company_id)
        requests = await self._repos.requests.list_for(company.id)
        meetings = await self._repos.meetings.list_for(company.id)
        declined = sorted(await self._repos.preferences.declined_by(company.id))
        return {
            "profile": {
                "id": company.id,
                "name": company.name,
                "country": company.country,
                "city": company.city,
                "languages": list(company.languages),
                "locale": company.locale,
                "timezone": company.timezone,
                "section": company.section,
                "profile_type": company.profile_type.value,
                "offer": company.offer,
                "need": company.need,
                "size": company.size.value if company.size else None,
                "website": company.website,
                "contact": company.contact,
                "status": company.status.value,
                "created_at": company.created_at.isoformat(),
                "updated_at": company.updated_at.isoformat(),
            },
            "meeting_requests": [
                {
                    "id": r.id,
                    "from": r.requester_id,
                    "to": r.partner_id,
                    "status": r.status.value,
                    "note": r.note,
                    "created_at": r.created_at.isoformat(),
                }
                for r in requests
            ],
            "meetings": [
                {
                    "id": m.id,
                    "with": m.other(company.id),
                    "start": m.start.isoformat(),
                    "end": m.end.isoformat(),
                    "status": m.status.value,
                    "video_link": m.video_link,
                }
                for m in meetings
            ],
            "not_interested_in": declined,
        }


class MatchingService:
    """Partner suggestions: who meets whose need, with the reason."""

    def __init__(self, repos: Repositories, engine: MatchEngine, event: Event) -> None:
        self._repos = repos
        self._engine = engine
        self._event = event

    async def suggest(self, company_id: str, limit: int = 10) -> list[MatchSuggestion]:
        """Return the best partners for a company, best first.

        Never suggests the company itself, companies it already met or asked to meet (or that
        asked it), companies it declined ("not interested"), paused or blocked ones, and, by
        default, companies from its own country.

        Raises:
            NotFoundError: If there is no such company.
        """
        company = await self._repos.companies.get(company_id)
        if company is None:
            raise NotFoundError("This company is no longer registered.")
        excluded = set(await self._repos.preferences.declined_by(company.id))
        for request in await self._repos.requests.list_for(company.id):
            if request.status in (
                RequestStatus.PENDING,
                RequestStatus.ACCEPTED,
                RequestStatus.DECLINED,
            ):
                excluded.add(request.partner_id)
                excluded.add(request.requester_id)
        for meeting in await self._repos.meetings.list_for(company.id):
            excluded.add(meeting.other(company.id))
        excluded.discard(company.id)
        others = {c.id: c for c in await self._repos.companies.list(CompanyStatus.ACTIVE)}

        def allowed(partner_id: str) -> bool:
            partner = others.get(partner_id)
            return (
                partner is not None
                and partner_id not in excluded
                and pair_allowed(self._event, company, partner)
            )

        return await self._engine.rank(company, limit, allowed)

    async def not_interested(self, company_id: str, partner_id: str) -> None:
        """Never suggest this partner to this company again."""
        if company_id == partner_id:
            raise ConflictError()
        await self._repos.preferences.add_declined(company_id, partner_id)

    async def reindex(self) -> None:
        """Rebuild the indexes from the stored vectors."""
        await self._engine.rebuild()

    async def remove(self, company_id: str) -> None:
        """Remove a company from every later suggestion."""
        await self._engine.remove(company_id)


def request_expiry(event: Event, created: datetime) -> datetime:
    """Return when a request created at `created` expires."""
    return created + timedelta(hours=event.request_expiry_hours)
