"""Meetings and outcomes, on SQLite and PostgreSQL: nobody is ever double-booked."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from matchmaking.errors import ConflictError, NotFoundError, ValidationError
from matchmaking.models import Meeting, MeetingStatus, Outcome, OutcomeKind
from storage.repos.meetings import slot_steps
from storage.repositories import Repositories

NINE = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
HALF_HOUR = timedelta(minutes=30)


def meeting(a: str, b: str, start: datetime, minutes: int = 30, request_id: int = 1) -> Meeting:
    return Meeting(
        request_id=request_id,
        company_a=a,
        company_b=b,
        start=start,
        end=start + timedelta(minutes=minutes),
        video_link="https://meet.example/x",
        uid="uid@matchbot",
    )


def overlaps(first: Meeting, second: Meeting) -> bool:
    return first.start < second.end and second.start < first.end


def test_slot_steps_cover_the_interval() -> None:
    assert slot_steps(NINE, NINE + HALF_HOUR, 15) == [NINE, NINE + timedelta(minutes=15)]
    odd = slot_steps(NINE + timedelta(minutes=7), NINE + timedelta(minutes=16), 5)
    assert odd == [NINE + timedelta(minutes=m) for m in (5, 10, 15)]


async def test_book_and_get(repos: Repositories) -> None:
    booked = await repos.meetings.book(meeting("a", "b", NINE))
    assert booked.id is not None
    stored = await repos.meetings.get(booked.id)
    assert stored == booked
    assert stored is not None and stored.start.tzinfo == UTC
    assert await repos.meetings.get(booked.id + 100) is None


async def test_overlap_for_either_side_conflicts(repos: Repositories) -> None:
    await repos.meetings.book(meeting("a", "b", NINE))
    for clash in (
        meeting("a", "c", NINE),
        meeting("c", "b", NINE + timedelta(minutes=15)),
        meeting("b", "d", NINE - timedelta(minutes=15)),
        meeting("d", "a", NINE - timedelta(minutes=10), minutes=60),
    ):
        with pytest.raises(ConflictError):
            await repos.meetings.book(clash)
    assert len(await repos.meetings.list_all()) == 1


async def test_back_to_back_and_other_companies_are_fine(repos: Repositories) -> None:
    await repos.meetings.book(meeting("a", "b", NINE))
    await repos.meetings.book(meeting("a", "c", NINE + HALF_HOUR))
    await repos.meetings.book(meeting("b", "d", NINE - HALF_HOUR))
    await repos.meetings.book(meeting("e", "f", NINE))
    assert len(await repos.meetings.list_all()) == 4


async def test_invalid_meetings_are_refused(repos: Repositories) -> None:
    with pytest.raises(ValidationError):
        await repos.meetings.book(meeting("a", "b", NINE, minutes=0))
    with pytest.raises(ValidationError):
        await repos.meetings.book(meeting("a", "a", NINE))


async def test_cancel_frees_the_slot(repos: Repositories) -> None:
    booked = await repos.meetings.book(meeting("a", "b", NINE))
    booked.status = MeetingStatus.CANCELLED
    await repos.meetings.update(booked)
    again = await repos.meetings.book(meeting("a", "b", NINE, request_id=2))
    assert again.id != booked.id


async def test_reschedule_moves_the_slot_or_conflicts(repos: Repositories) -> None:
    first = await repos.meetings.book(meeting("a", "b", NINE))
    await repos.meetings.book(meeting("a", "c", NINE + 2 * HALF_HOUR))

    first.start, first.end, first.sequence = NINE + HALF_HOUR, NINE + 2 * HALF_HOUR, 1
    await repos.meetings.update(first)
    await repos.meetings.book(meeting("b", "d", NINE))  # the old time is free again

    assert first.id is not None
    clash = await repos.meetings.get(first.id)
    assert clash is not None
    clash.start, clash.end = NINE + 2 * HALF_HOUR, NINE + 3 * HALF_HOUR
    with pytest.raises(ConflictError):
        await repos.meetings.update(clash)
    assert await repos.meetings.get(first.id) == first  # unchanged by the failed update


async def test_cancelled_meeting_cannot_come_back_into_a_taken_slot(repos: Repositories) -> None:
    booked = await repos.meetings.book(meeting("a", "b", NINE))
    booked.status = MeetingStatus.CANCELLED
    await repos.meetings.update(booked)
    await repos.meetings.book(meeting("a", "c", NINE))
    booked.status = MeetingStatus.SCHEDULED
    with pytest.raises(ConflictError):
        await repos.meetings.update(booked)


async def test_update_of_unknown_meeting_fails(repos: Repositories) -> None:
    with pytest.raises(NotFoundError):
        await repos.meetings.update(meeting("a", "b", NINE))
    ghost = meeting("a", "b", NINE)
    ghost.id = 12345
    with pytest.raises(NotFoundError):
        await repos.meetings.update(ghost)


async def test_lists_are_ordered_by_start_and_filtered(repos: Repositories) -> None:
    late = await repos.meetings.book(meeting("a", "b", NINE + 2 * HALF_HOUR))
    early = await repos.meetings.book(meeting("c", "a", NINE))
    other = await repos.meetings.book(meeting("c", "d", NINE + HALF_HOUR))
    late.status = MeetingStatus.HELD
    await repos.meetings.update(late)

    assert [m.id for m in await repos.meetings.list_for("a")] == [early.id, late.id]
    held = await repos.meetings.list_for("a", [MeetingStatus.HELD])
    assert [m.id for m in held] == [late.id]
    assert [m.id for m in await repos.meetings.list_all()] == [early.id, other.id, late.id]
    scheduled = await repos.meetings.list_all([MeetingStatus.SCHEDULED])
    assert [m.id for m in scheduled] == [early.id, other.id]
    assert await repos.meetings.list_all([]) == []


async def test_concurrent_bookings_of_one_slot_let_exactly_one_win(repos: Repositories) -> None:
    attempts = [meeting(f"p{i}", "hub", NINE, request_id=i) for i in range(20)]
    results = await asyncio.gather(
        *(repos.meetings.book(m) for m in attempts), return_exceptions=True
    )
    winners = [r for r in results if isinstance(r, Meeting)]
    losers = [r for r in results if isinstance(r, BaseException)]
    assert len(winners) == 1
    assert all(isinstance(r, ConflictError) for r in losers), losers
    assert len(await repos.meetings.list_for("hub")) == 1


async def test_concurrent_overlapping_bookings_never_double_book(repos: Repositories) -> None:
    # Staggered 30-minute meetings every 10 minutes, each with the hub and a neighbour.
    attempts = [
        meeting(f"p{i % 4}", "hub", NINE + timedelta(minutes=10 * i), request_id=i)
        for i in range(24)
    ]
    results = await asyncio.gather(
        *(repos.meetings.book(m) for m in attempts), return_exceptions=True
    )
    assert all(isinstance(r, Meeting | ConflictError) for r in results), results
    stored = await repos.meetings.list_all()
    assert len(stored) == sum(isinstance(r, Meeting) for r in results) >= 1
    for company in {"hub", "p0", "p1", "p2", "p3"}:
        mine = [m for m in stored if company in (m.company_a, m.company_b)]
        for i, first in enumerate(mine):
            for second in mine[i + 1 :]:
                assert not overlaps(first, second), (company, first, second)


async def test_outcomes_roundtrip(repos: Repositories) -> None:
    t0 = datetime(2026, 6, 2, 10, 0, tzinfo=UTC)
    first = await repos.outcomes.add(
        Outcome(1, "a", OutcomeKind.MEMORANDUM, note="MoU signed", created_at=t0)
    )
    second = await repos.outcomes.add(
        Outcome(1, "b", OutcomeKind.FOLLOW_UP, created_at=t0 - timedelta(hours=1))
    )
    assert first.id is not None and second.id is not None and first.id != second.id
    assert await repos.outcomes.list_all() == [second, first]
