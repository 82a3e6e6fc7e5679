"""Persistent jobs: request expiry, meeting reminders, attendance questions, follow-ups, pushes.

Jobs live in the database (`JobStore`), so they fire after a restart; running one returns the
notices it owes, and the caller renders and delivers them. Work done outside the bot (the CLI)
queues the notices it owes as jobs due at once (`deliver_later`), so the running bot delivers
them.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from matchmaking.meetings import MeetingService
from matchmaking.models import CompanyStatus, Job, JobKind, MeetingStatus
from matchmaking.notices import Notice, NoticeKind, notice_from_payload, notice_payload
from matchmaking.ports import Clock
from matchmaking.services import MatchingService, Repositories

log = logging.getLogger(__name__)

# A suggestion at least this good is pushed, and shown as a "Strong match".
STRONG_MATCH = 0.5
PUSH_LIMIT = 3


class JobRunner:
    """Runs the jobs whose time has come."""

    def __init__(
        self,
        repos: Repositories,
        meetings: MeetingService,
        matching: MatchingService,
        clock: Clock,
        push_interval: timedelta = timedelta(hours=24),
    ) -> None:
        self._repos = repos
        self._meetings = meetings
        self._matching = matching
        self._clock = clock
        self._push_interval = push_interval

    async def schedule_push(self, company_id: str, *, soon: bool = False) -> None:
        """Plan the next push of new strong matches for a company (at most once a day)."""
        delay = timedelta(minutes=1) if soon else self._push_interval
        await self._repos.jobs.put(
            Job(
                f"push:{company_id}",
                JobKind.PUSH_MATCHES,
                self._clock.now() + delay,
                {"company_id": company_id},
            )
        )

    async def deliver_later(self, notices: Sequence[Notice]) -> None:
        """Queue notices for the bot to deliver when it next runs its due jobs."""
        now = self._clock.now()
        for notice in notices:
            await self._repos.jobs.put(
                Job(
                    f"notice:{secrets.token_hex(8)}",
                    JobKind.DELIVER_NOTICE,
                    now,
                    notice_payload(notice),
                )
            )

    async def run_due(self, limit: int = 100) -> list[Notice]:
        """Run due jobs and return the notices they produce."""
        now = self._clock.now()
        notices: list[Notice] = []
        for job in await self._repos.jobs.due(now, limit):
            # Done first: a job that reschedules itself (same key) must not be marked done after.
            if job.id is not None:
                await self._repos.jobs.mark_done(job.id)
            try:
                notices += await self._run(job, now)
            except Exception:  # one broken job must not stop the others
                log.exception("job %s (%s) failed", job.key, job.kind)
        return notices

    async def _run(self, job: Job, now: datetime) -> list[Notice]:
        payload = job.payload
        if job.kind is JobKind.EXPIRE_REQUEST:
            return await self._meetings.expire(int(str(payload["request_id"])))
        if job.kind is JobKind.PUSH_MATCHES:
            return await self._push(str(payload["company_id"]), payload)
        if job.kind is JobKind.DELIVER_NOTICE:
            return [notice_from_payload(payload)]
        if job.kind is JobKind.FOLLOW_UP_30D:
            meeting = await self._repos.meetings.get(int(str(payload["meeting_id"])))
            if meeting is None:
                return []
            cid = str(payload["company_id"])
            return [
                Notice(
                    NoticeKind.FOLLOW_UP, cid, meeting.other(cid), meeting.request_id, meeting.id
                )
            ]
        meeting = await self._repos.meetings.get(int(str(payload["meeting_id"])))
        if meeting is None or meeting.status is not MeetingStatus.SCHEDULED:
            return []
        kind = {
            JobKind.REMIND_24H: NoticeKind.REMINDER_24H,
            JobKind.REMIND_15M: NoticeKind.REMINDER_15M,
            JobKind.ASK_HELD: NoticeKind.ASK_HELD,
            JobKind.ASK_OUTCOME: NoticeKind.ASK_OUTCOME,
        }.get(job.kind)
        if kind is None:
            log.warning("unknown job kind %s", job.kind)
            return []
        if kind in (NoticeKind.REMINDER_24H, NoticeKind.REMINDER_15M) and meeting.start <= now:
            return []
        return [
            Notice(kind, cid, meeting.other(cid), meeting.request_id, meeting.id)
            for cid in (meeting.company_a, meeting.company_b)
        ]

    async def _push(self, company_id: str, payload: dict[str, object]) -> list[Notice]:
        company = await self._repos.companies.get(company_id)
        if company is None:
            return []
        notices: list[Notice] = []
        if company.status is CompanyStatus.ACTIVE and company.user_id is not None:
            already = {str(x) for x in payload.get("pushed", []) or []}  # type: ignore[attr-defined]
            fresh = [
                s
                for s in await self._matching.suggest(company.id, limit=10)
                if s.score >= STRONG_MATCH and s.partner_id not in already
            ][:PUSH_LIMIT]
            if fresh:
                ids = [s.partner_id for s in fresh]
                notices.append(Notice(NoticeKind.NEW_MATCHES, company.id, data={"partners": ids}))
                already.update(ids)
            payload = dict(payload, pushed=sorted(already))
        if company.status is not CompanyStatus.BLOCKED:
            await self._repos.jobs.put(
                Job(
                    f"push:{company_id}",
                    JobKind.PUSH_MATCHES,
                    self._clock.now() + self._push_interval,
                    payload,
                )
            )
        return notices
