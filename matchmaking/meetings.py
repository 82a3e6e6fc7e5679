"""Meeting requests, slot proposals, booking, cancellation and what came out of a meeting."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from matchmaking import scheduling
from matchmaking.batch_scheduler import UnscheduledReason, schedule_batch
from matchmaking.errors import (
    ConflictError,
    LimitExceededError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from matchmaking.matching import shares_language
from matchmaking.models import (
    Company,
    CompanyStatus,
    Event,
    Job,
    JobKind,
    Meeting,
    MeetingRequest,
    MeetingStatus,
    Outcome,
    OutcomeKind,
    RequestStatus,
)
from matchmaking.notices import Notice, NoticeKind
from matchmaking.ports import Clock
from matchmaking.services import Repositories
from matchmaking.video import make_video_link

log = logging.getLogger(__name__)

NOTE_MAX = 500
FOLLOW_UP_DAYS = 30
ACTIVE_MEETING = (MeetingStatus.SCHEDULED,)


@dataclass(slots=True)
class BatchOutcome:
    """What the batch scheduler did."""

    scheduled: list[Meeting]
    unscheduled: list[tuple[int, UnscheduledReason]]
    notices: list[Notice]


def needs_interpreter(a: Company, b: Company) -> bool:
    """Tell whether two companies share no spoken language (the same rule as the suggestions)."""
    return not shares_language(a.languages or (a.locale,), b.languages or (b.locale,))


class MeetingService:
    """Everything between "I want to meet them" and "we signed a memorandum"."""

    def __init__(
        self, repos: Repositories, event: Event, clock: Clock, video_template: str = ""
    ) -> None:
        self._repos = repos
        self._event = event
        self._clock = clock
        self._video_template = video_template or "https://meet.jit.si/matchbot-{room}"

    @property
    def event(self) -> Event:
        """Return the event the meetings belong to."""
        return self._event

    async def _company(self, company_id: str) -> Company:
        company = await self._repos.companies.get(company_id)
        if company is None:
            raise NotFoundError("This company is no longer registered.")
        return company

    async def _request(self, request_id: int) -> MeetingRequest:
        request = await self._repos.requests.get(request_id)
        if request is None:
            raise NotFoundError("This meeting request no longer exists.")
        return request

    async def _meeting(self, meeting_id: int) -> Meeting:
        meeting = await self._repos.meetings.get(meeting_id)
        if meeting is None:
            raise NotFoundError("This meeting no longer exists.")
        return meeting

    # -- requests ---------------------------------------------------------------------------

    async def request_meeting(
        self, requester_id: str, partner_id: str, note: str = ""
    ) -> tuple[MeetingRequest, list[Notice]]:
        """Send a meeting request to a partner, within the daily budget.

        Raises:
            ConflictError: If a request between the two is already open or they already meet.
            LimitExceededError: If the daily request budget is used up.
        """
        if requester_id == partner_id:
            raise ConflictError("You cannot request a meeting with yourself.")
        requester = await self._company(requester_id)
        partner = await self._company(partner_id)
        if partner.status is not CompanyStatus.ACTIVE:
            raise ConflictError("This company is not taking meeting requests right now.")
        note = note.strip()
        if len(note) > NOTE_MAX:
            raise ValidationError(
                "The note is too long: {length} characters (at most {limit}).",
                field="note",
                length=len(note),
                limit=NOTE_MAX,
            )
        for other in await self._repos.requests.list_for(requester.id):
            if {other.requester_id, other.partner_id} == {requester.id, partner.id} and (
                other.status in (RequestStatus.PENDING, RequestStatus.ACCEPTED)
            ):
                raise ConflictError("You already have a meeting request with this company.")
        now = self._clock.now()
        sent = await self._repos.requests.count_sent_since(requester.id, now - timedelta(days=1))
        if sent >= self._event.daily_request_budget:
            raise LimitExceededError(
                "You can send at most {limit} meeting requests a day. Please try again tomorrow.",
                limit=self._event.daily_request_budget,
            )
        expires = now + timedelta(hours=self._event.request_expiry_hours)
        request = await self._repos.requests.add(
            MeetingRequest(requester.id, partner.id, note, created_at=now, expires_at=expires)
        )
        await self._repos.jobs.put(
            Job(
                f"request:{request.id}:expire",
                JobKind.EXPIRE_REQUEST,
                expires,
                {"request_id": request.id},
            )
        )
        notice = Notice(NoticeKind.REQUEST_RECEIVED, partner.id, requester.id, request.id)
        return request, [notice]

    async def answer(
        self, request_id: int, by_company_id: str, accept: bool
    ) -> tuple[MeetingRequest, list[Notice]]:
        """Accept or decline a request addressed to this company.

        Raises:
            PermissionDeniedError: If the request is not addressed to this company.
            ConflictError: If the request was already answered, expired or cancelled.
        """
        request = await self._request(request_id)
        if request.partner_id != by_company_id:
            raise PermissionDeniedError("This request is not addressed to you.")
        if request.status is not RequestStatus.PENDING:
            raise ConflictError("This request was already answered or has expired.")
        now = self._clock.now()
        if request.expires_at is not None and request.expires_at <= now:
            request.status = RequestStatus.EXPIRED
            request.answered_at = now
            await self._repos.requests.update(request)
            raise ConflictError("This request has expired.")
        request.status = RequestStatus.ACCEPTED if accept else RequestStatus.DECLINED
        request.answered_at = now
        await self._repos.requests.update(request)
        await self._repos.jobs.cancel(f"request:{request.id}:")
        kind = NoticeKind.REQUEST_ACCEPTED if accept else NoticeKind.REQUEST_DECLINED
        return request, [Notice(kind, request.requester_id, request.partner_id, request.id)]

    async def expire(self, request_id: int) -> list[Notice]:
        """Expire a request that is still pending past its expiry; tell both sides."""
        request = await self._repos.requests.get(request_id)
        if request is None or request.status is not RequestStatus.PENDING:
            return []
        now = self._clock.now()
        if request.expires_at is not None and request.expires_at > now:
            return []
        request.status = RequestStatus.EXPIRED
        request.answered_at = now
        await self._repos.requests.update(request)
        return [
            Notice(
                NoticeKind.REQUEST_EXPIRED, request.requester_id, request.partner_id, request.id
            ),
            Notice(
                NoticeKind.REQUEST_EXPIRED, request.partner_id, request.requester_id, request.id
            ),
        ]

    async def pending_for(self, company_id: str) -> list[MeetingRequest]:
        """Return the pending requests a company received."""
        return [
            r
            for r in await self._repos.requests.list_for(company_id, RequestStatus.PENDING)
            if r.partner_id == company_id
        ]

    async def unscheduled_for(self, company_id: str) -> list[MeetingRequest]:
        """Return accepted requests of a company that have no meeting yet."""
        booked = {
            m.request_id
            for m in await self._repos.meetings.list_for(company_id)
            if m.status is not MeetingStatus.CANCELLED
        }
        return [
            r
            for r in await self._repos.requests.list_for(company_id, RequestStatus.ACCEPTED)
            if r.id not in booked
        ]

    # -- slots and booking ------------------------------------------------------------------

    async def _busy(self, company_id: str) -> list[Meeting]:
        return await self._repos.meetings.list_for(company_id, ACTIVE_MEETING)

    async def propose(self, request_id: int, by_company_id: str) -> list[scheduling.SlotProposal]:
        """Return up to 3 free slots that fit both sides of an accepted request."""
        request = await self._request(request_id)
        if by_company_id not in (request.requester_id, request.partner_id):
            raise PermissionDeniedError("This request is not yours.")
        if request.status is not RequestStatus.ACCEPTED:
            raise ConflictError("This request is not accepted (any more).")
        return await self._slots(request, count=3)

    async def _slots(self, request: MeetingRequest, count: int) -> list[scheduling.SlotProposal]:
        a = await self._company(request.requester_id)
        b = await self._company(request.partner_id)
        interpreters = await self._repos.interpreters.list()
        # Without an interpreter pool the meeting is only flagged; with one, one must be free.
        need = needs_interpreter(a, b) and bool(interpreters)
        busy_interp = (
            [m for m in await self._repos.meetings.list_all(ACTIVE_MEETING) if m.interpreter_id]
            if need
            else []
        )
        return scheduling.propose_slots(
            self._event,
            a,
            b,
            await self._busy(a.id),
            await self._busy(b.id),
            interpreters=interpreters,
            interpreter_busy=busy_interp,
            need_interpreter=need,
            now=self._clock.now(),
            count=count,
        )

    async def book(
        self, request_id: int, start: datetime, by_company_id: str
    ) -> tuple[Meeting, list[Notice]]:
        """Book a slot for an accepted request, atomically (never double-booked).

        Raises:
            ConflictError: If the slot no longer fits either side.
        """
        request = await self._request(request_id)
        if by_company_id not in (request.requester_id, request.partner_id):
            raise PermissionDeniedError("This request is not yours.")
        if request.status is not RequestStatus.ACCEPTED:
            raise ConflictError("This request is not accepted (any more).")
        existing = [m for m in await self._busy(request.requester_id) if m.request_id == request.id]
        if existing:
            raise ConflictError("This meeting is already scheduled.")
        # Every free slot, not only the three proposed: a stale proposal that still fits is fine.
        candidates = await self._slots(request, count=10_000)
        chosen = next((p for p in candidates if p.start == start), None)
        if chosen is None:
            raise ConflictError("This time is no longer free. Please choose another one.")
        a_id, b_id = request.requester_id, request.partner_id
        meeting = Meeting(
            request_id=request.id or 0,
            company_a=a_id,
            company_b=b_id,
            start=chosen.start,
            end=chosen.end,
            video_link=make_video_link(self._video_template),
            interpreter_needed=needs_interpreter(
                await self._company(a_id), await self._company(b_id)
            ),
            interpreter_id=chosen.interpreter_id,
        )
        meeting = await self._repos.meetings.book(meeting)
        await self._schedule_meeting_jobs(meeting)
        notices = [
            Notice(NoticeKind.MEETING_BOOKED, cid, meeting.other(cid), request.id, meeting.id)
            for cid in (a_id, b_id)
        ]
        return meeting, notices

    async def _schedule_meeting_jobs(self, meeting: Meeting) -> None:
        prefix = f"meeting:{meeting.id}:"
        await self._repos.jobs.cancel(prefix)
        payload: dict[str, object] = {"meeting_id": meeting.id}
        now = self._clock.now()
        plan = (
            ("remind24", JobKind.REMIND_24H, meeting.start - timedelta(hours=24)),
            ("remind15", JobKind.REMIND_15M, meeting.start - timedelta(minutes=15)),
            ("held", JobKind.ASK_HELD, meeting.end + timedelta(hours=1)),
        )
        for name, kind, due in plan:
            if due > now or kind is JobKind.ASK_HELD:
                await self._repos.jobs.put(Job(prefix + name, kind, due, dict(payload)))

    async def meetings_for(self, company_id: str, *, upcoming_only: bool = True) -> list[Meeting]:
        """Return a company's scheduled meetings, soonest first."""
        meetings = await self._busy(company_id)
        if upcoming_only:
            now = self._clock.now()
            meetings = [m for m in meetings if m.end > now]
        return meetings

    async def get_meeting(self, meeting_id: int, company_id: str) -> Meeting:
        """Return a meeting the company takes part in."""
        meeting = await self._meeting(meeting_id)
        if company_id not in (meeting.company_a, meeting.company_b):
            raise PermissionDeniedError("This meeting is not yours.")
        return meeting

    async def cancel(
        self, meeting_id: int, by_company_id: str, *, reschedule: bool = False
    ) -> tuple[Meeting, list[Notice]]:
        """Cancel a meeting (or free it to pick a new slot); tell the other side.

        With `reschedule`, the request stays accepted so both can pick a new slot.
        """
        meeting = await self.get_meeting(meeting_id, by_company_id)
        if meeting.status is not MeetingStatus.SCHEDULED:
            raise ConflictError("This meeting is not scheduled any more.")
        meeting.status = MeetingStatus.CANCELLED
        meeting.sequence += 1
        await self._repos.meetings.update(meeting)
        await self._repos.jobs.cancel(f"meeting:{meeting.id}:")
        if not reschedule:
            request = await self._repos.requests.get(meeting.request_id)
            if request is not None and request.status is RequestStatus.ACCEPTED:
                request.status = RequestStatus.CANCELLED
                await self._repos.requests.update(request)
        other = meeting.other(by_company_id)
        kind = NoticeKind.MEETING_MOVED if reschedule else NoticeKind.MEETING_CANCELLED
        notices = [Notice(kind, other, by_company_id, meeting.request_id, meeting.id)]
        notices += await self._offer_freed_slot(meeting)
        return meeting, notices

    async def _offer_freed_slot(self, meeting: Meeting) -> list[Notice]:
        """Tell each participant's next waiting request that a slot became free."""
        notices: list[Notice] = []
        for cid in (meeting.company_a, meeting.company_b):
            waiting = [r for r in await self.unscheduled_for(cid) if r.id != meeting.request_id]
            if waiting:
                first = min(waiting, key=lambda r: r.created_at)
                other = first.partner_id if first.requester_id == cid else first.requester_id
                notices.append(Notice(NoticeKind.SLOT_FREED, cid, other, first.id))
        return notices

    async def schedule_all(self) -> BatchOutcome:
        """Give every accepted request without a meeting a slot, as many and as fair as possible.

        Returns:
            The meetings booked and, for each request left over, the reason.
        """
        requests = await self._repos.requests.list_by_status(RequestStatus.ACCEPTED)
        existing = await self._repos.meetings.list_all(ACTIVE_MEETING)
        booked = {m.request_id for m in existing}
        todo = [r for r in requests if r.id is not None and r.id not in booked]
        if not todo:
            return BatchOutcome([], [], [])
        companies = {c.id: c for c in await self._repos.companies.list()}
        todo = [r for r in todo if r.requester_id in companies and r.partner_id in companies]
        interpreters = await self._repos.interpreters.list()
        batch = [
            (
                r.id or 0,
                r.requester_id,
                r.partner_id,
                bool(interpreters)
                and needs_interpreter(companies[r.requester_id], companies[r.partner_id]),
            )
            for r in todo
        ]
        result = schedule_batch(
            self._event, companies, batch, existing, interpreters, now=self._clock.now()
        )
        by_id = {r.id: r for r in todo}
        meetings: list[Meeting] = []
        notices: list[Notice] = []
        unscheduled = [(u.request_id, u.reason) for u in result.unscheduled]
        for assignment in result.assigned:
            request = by_id[assignment.request_id]
            a, b = companies[request.requester_id], companies[request.partner_id]
            try:
                meeting = await self._repos.meetings.book(
                    Meeting(
                        request_id=assignment.request_id,
                        company_a=a.id,
                        company_b=b.id,
                        start=assignment.start,
                        end=assignment.end,
                        video_link=make_video_link(self._video_template),
                        interpreter_needed=needs_interpreter(a, b),
                        interpreter_id=assignment.interpreter_id,
                    )
                )
            except ConflictError:
                # Booked meanwhile by the participants themselves: leave it to them.
                unscheduled.append((assignment.request_id, UnscheduledReason.PARTNER_FULL))
                continue
            await self._schedule_meeting_jobs(meeting)
            meetings.append(meeting)
            notices += [
                Notice(
                    NoticeKind.MEETING_BOOKED,
                    cid,
                    meeting.other(cid),
                    meeting.request_id,
                    meeting.id,
                )
                for cid in (a.id, b.id)
            ]
        return BatchOutcome(meetings, unscheduled, notices)

    # -- after the meeting ------------------------------------------------------------------

    async def record_attendance(
        self, meeting_id: int, by_company_id: str, answer: str
    ) -> list[Notice]:
        """Record whether a meeting took place: "yes", "no_show" or "rescheduled"."""
        meeting = await self.get_meeting(meeting_id, by_company_id)
        if answer == "yes":
            if meeting.status is MeetingStatus.SCHEDULED:
                meeting.status = MeetingStatus.HELD
                await self._repos.meetings.update(meeting)
                for cid in (meeting.company_a, meeting.company_b):
                    company = await self._repos.companies.get(cid)
                    if company is not None:
                        company.meetings_held += 1
                        await self._repos.companies.upsert(company)
            return [
                Notice(
                    NoticeKind.ASK_OUTCOME,
                    by_company_id,
                    meeting.other(by_company_id),
                    meeting.request_id,
                    meeting.id,
                )
            ]
        if answer == "no_show":
            if meeting.status in (MeetingStatus.SCHEDULED, MeetingStatus.HELD):
                meeting.status = MeetingStatus.NO_SHOW
                await self._repos.meetings.update(meeting)
                absent = await self._repos.companies.get(meeting.other(by_company_id))
                if absent is not None:
                    absent.no_shows += 1
                    await self._repos.companies.upsert(absent)
                await self._repos.outcomes.add(
                    Outcome(
                        meeting.id or 0,
                        by_company_id,
                        OutcomeKind.NO_SHOW,
                        created_at=self._clock.now(),
                    )
                )
            return []
        if answer == "rescheduled":
            if meeting.status is MeetingStatus.SCHEDULED:
                _, notices = await self.cancel(meeting.id or 0, by_company_id, reschedule=True)
                return notices
            return []
        raise ValidationError("Please choose one of the buttons.")

    async def record_outcome(
        self, meeting_id: int, by_company_id: str, kind: OutcomeKind, note: str = ""
    ) -> Outcome:
        """Record what came out of a meeting; plan a follow-up in 30 days when asked for."""
        meeting = await self.get_meeting(meeting_id, by_company_id)
        now = self._clock.now()
        outcome = await self._repos.outcomes.add(
            Outcome(meeting.id or 0, by_company_id, kind, note[:NOTE_MAX], created_at=now)
        )
        if meeting.status is MeetingStatus.SCHEDULED:
            meeting.status = MeetingStatus.HELD
            await self._repos.meetings.update(meeting)
        if kind in (OutcomeKind.FOLLOW_UP, OutcomeKind.INTENTION):
            await self._repos.jobs.put(
                Job(
                    f"meeting:{meeting.id}:followup:{by_company_id}",
                    JobKind.FOLLOW_UP_30D,
                    now + timedelta(days=FOLLOW_UP_DAYS),
                    {"meeting_id": meeting.id, "company_id": by_company_id},
                )
            )
        return outcome
