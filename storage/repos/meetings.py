"""Meetings, booked without double booking, and their outcomes.

Every meeting that is not cancelled holds one `meeting_slots` row per participant and per step
of a fine UTC grid it touches. The primary key (company, step) makes a second booking of an
overlapping time fail in the database itself, whatever the concurrency and on every backend.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import Select, delete, insert, or_, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from matchmaking.errors import ConflictError, NotFoundError, ValidationError
from matchmaking.models import Meeting, MeetingStatus, Outcome, OutcomeKind
from storage.db import Database
from storage.repos.common import as_utc, is_conflict
from storage.tables import MeetingRow, MeetingSlotRow, OutcomeRow

# Meetings in these states hold their slots; the others free them.
ACTIVE_STATUSES: tuple[MeetingStatus, ...] = (
    MeetingStatus.PROPOSED,
    MeetingStatus.SCHEDULED,
    MeetingStatus.HELD,
    MeetingStatus.NO_SHOW,
)

_SLOT_TAKEN = "This time is no longer free. Please choose another slot."


def slot_steps(start: datetime, end: datetime, step_minutes: int) -> list[datetime]:
    """Return the starts of the UTC grid steps that the interval `[start, end)` touches.

    Two intervals overlap exactly when they share a time, hence a step; intervals that only
    share a step without overlapping are possible only when one of them is not aligned to the
    grid.

    Args:
        start: Start of the meeting.
        end: End of the meeting (after the start).
        step_minutes: Step of the grid, counted from the Unix epoch.

    Returns:
        The aware UTC starts of the steps, in order.
    """
    step = step_minutes * 60
    first = math.floor(as_utc(start).timestamp() / step) * step
    stop = math.ceil(as_utc(end).timestamp() / step) * step
    return [datetime.fromtimestamp(at, UTC) for at in range(first, stop, step)]


def _fill(row: MeetingRow, meeting: Meeting) -> None:
    row.request_id = meeting.request_id
    row.company_a = meeting.company_a
    row.company_b = meeting.company_b
    row.starts_at = meeting.start
    row.ends_at = meeting.end
    row.video_link = meeting.video_link
    row.interpreter_needed = meeting.interpreter_needed
    row.interpreter_id = meeting.interpreter_id
    row.status = meeting.status.value
    row.sequence = meeting.sequence
    row.uid = meeting.uid


def _to_meeting(row: MeetingRow) -> Meeting:
    return Meeting(
        request_id=row.request_id,
        company_a=row.company_a,
        company_b=row.company_b,
        start=as_utc(row.starts_at),
        end=as_utc(row.ends_at),
        video_link=row.video_link,
        interpreter_needed=row.interpreter_needed,
        interpreter_id=row.interpreter_id,
        status=MeetingStatus(row.status),
        sequence=row.sequence,
        uid=row.uid,
        id=row.id,
    )


def _check(meeting: Meeting) -> None:
    if meeting.end <= meeting.start:
        raise ValidationError("A meeting must end after it starts.", field="end")
    if meeting.company_a == meeting.company_b:
        raise ValidationError("A company cannot meet itself.", field="company_b")


class SqlMeetingRepository:
    """`MeetingRepository` on a SQL database.

    Args:
        db: The database.
        slot_minutes: Step of the grid that detects overlaps (exact for meetings whose start
            and end are multiples of it).
    """

    def __init__(self, db: Database, slot_minutes: int = 5) -> None:
        if slot_minutes < 1:
            raise ValueError("slot_minutes must be at least 1")
        self._db = db
        self.slot_minutes = slot_minutes

    async def book(self, meeting: Meeting) -> Meeting:
        """Store a meeting unless either side already has one overlapping it.

        The stored id is set on `meeting`, which is returned.

        Raises:
            ConflictError: If the slot is no longer free for either participant.
            ValidationError: If the meeting ends before it starts or has one participant.
        """
        _check(meeting)
        try:
            async with self._db.begin() as session:
                row = MeetingRow()
                _fill(row, meeting)
                session.add(row)
                await session.flush()
                await self._take_slots(session, row.id, meeting)
        except DBAPIError as exc:
            if is_conflict(exc):
                raise ConflictError(_SLOT_TAKEN) from exc
            raise
        meeting.id = row.id
        return meeting

    async def get(self, meeting_id: int) -> Meeting | None:
        """Return a meeting or None."""
        async with self._db.sessions() as session:
            row = await session.get(MeetingRow, meeting_id)
            return _to_meeting(row) if row is not None else None

    async def update(self, meeting: Meeting) -> None:
        """Store a changed meeting; a new time or status moves or frees its slots.

        Raises:
            NotFoundError: If the meeting was never booked.
            ConflictError: If the new time is not free for either participant.
            ValidationError: If the meeting ends before it starts or has one participant.
        """
        _check(meeting)
        if meeting.id is None:
            raise NotFoundError()
        try:
            async with self._db.begin() as session:
                row = await session.get(MeetingRow, meeting.id, with_for_update=True)
                if row is None:
                    raise NotFoundError()
                _fill(row, meeting)
                await session.execute(
                    delete(MeetingSlotRow).where(MeetingSlotRow.meeting_id == meeting.id)
                )
                await self._take_slots(session, meeting.id, meeting)
        except DBAPIError as exc:
            if is_conflict(exc):
                raise ConflictError(_SLOT_TAKEN) from exc
            raise

    async def list_for(
        self, company_id: str, statuses: Sequence[MeetingStatus] | None = None
    ) -> list[Meeting]:
        """Return a company's meetings ordered by start."""
        query = select(MeetingRow).where(
            or_(MeetingRow.company_a == company_id, MeetingRow.company_b == company_id)
        )
        return await self._list(query, statuses)

    async def list_all(self, statuses: Sequence[MeetingStatus] | None = None) -> list[Meeting]:
        """Return all meetings ordered by start."""
        return await self._list(select(MeetingRow), statuses)

    async def _list(
        self, query: Select[MeetingRow], statuses: Sequence[MeetingStatus] | None
    ) -> list[Meeting]:
        if statuses is not None:
            query = query.where(MeetingRow.status.in_([s.value for s in statuses]))
        query = query.order_by(MeetingRow.starts_at, MeetingRow.id)
        async with self._db.sessions() as session:
            return [_to_meeting(row) for row in await session.scalars(query)]

    async def _take_slots(self, session: AsyncSession, meeting_id: int, meeting: Meeting) -> None:
        if meeting.status not in ACTIVE_STATUSES:
            return
        steps = slot_steps(meeting.start, meeting.end, self.slot_minutes)
        # One ordered multi-row insert: concurrent bookings lock keys in the same order, so
        # they cannot deadlock; the loser fails on the primary key.
        rows = [
            {"company_id": company, "slot_start": step, "meeting_id": meeting_id}
            for company in sorted({meeting.company_a, meeting.company_b})
            for step in steps
        ]
        await session.execute(insert(MeetingSlotRow), rows)


class SqlOutcomeRepository:
    """`OutcomeRepository` on a SQL database.

    Args:
        db: The database.
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(self, outcome: Outcome) -> Outcome:
        """Store an outcome; its new id is set on `outcome`, which is returned."""
        async with self._db.begin() as session:
            row = OutcomeRow(
                meeting_id=outcome.meeting_id,
                reported_by=outcome.reported_by,
                kind=outcome.kind.value,
                note=outcome.note,
                created_at=outcome.created_at,
            )
            session.add(row)
            await session.flush()
            outcome.id = row.id
        return outcome

    async def list_all(self) -> list[Outcome]:
        """Return all outcomes, oldest first."""
        async with self._db.sessions() as session:
            rows = await session.scalars(
                select(OutcomeRow).order_by(OutcomeRow.created_at, OutcomeRow.id)
            )
            return [
                Outcome(
                    meeting_id=row.meeting_id,
                    reported_by=row.reported_by,
                    kind=OutcomeKind(row.kind),
                    note=row.note,
                    created_at=as_utc(row.created_at),
                    id=row.id,
                )
                for row in rows
            ]
