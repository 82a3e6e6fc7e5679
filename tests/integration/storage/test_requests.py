"""Meeting requests, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from matchmaking.errors import NotFoundError
from matchmaking.models import MeetingRequest, RequestStatus
from storage.repositories import Repositories

T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


async def test_add_get_update(repos: Repositories) -> None:
    request = MeetingRequest(
        "a", "b", note="Let us talk 你好", created_at=T0, expires_at=T0 + timedelta(hours=72)
    )
    stored = await repos.requests.add(request)
    assert stored.id is not None
    assert await repos.requests.get(stored.id) == stored

    stored.status = RequestStatus.ACCEPTED
    stored.answered_at = T0 + timedelta(hours=1)
    await repos.requests.update(stored)
    again = await repos.requests.get(stored.id)
    assert again == stored
    assert again is not None and again.answered_at is not None
    assert again.answered_at.tzinfo == UTC


async def test_ids_are_distinct(repos: Repositories) -> None:
    first = await repos.requests.add(MeetingRequest("a", "b"))
    second = await repos.requests.add(MeetingRequest("a", "c"))
    assert first.id != second.id


async def test_update_of_unknown_request_fails(repos: Repositories) -> None:
    with pytest.raises(NotFoundError):
        await repos.requests.update(MeetingRequest("a", "b", id=999))
    with pytest.raises(NotFoundError):
        await repos.requests.update(MeetingRequest("a", "b"))
    assert await repos.requests.get(999) is None


async def test_list_for_and_by_status(repos: Repositories) -> None:
    r1 = await repos.requests.add(MeetingRequest("a", "b", created_at=T0))
    r2 = await repos.requests.add(
        MeetingRequest(
            "c", "a", created_at=T0 + timedelta(minutes=1), status=RequestStatus.DECLINED
        )
    )
    r3 = await repos.requests.add(MeetingRequest("b", "c", created_at=T0 + timedelta(minutes=2)))

    assert [r.id for r in await repos.requests.list_for("a")] == [r1.id, r2.id]
    assert [r.id for r in await repos.requests.list_for("a", RequestStatus.PENDING)] == [r1.id]
    assert [r.id for r in await repos.requests.list_by_status(RequestStatus.PENDING)] == [
        r1.id,
        r3.id,
    ]
    assert await repos.requests.list_by_status(RequestStatus.EXPIRED) == []


async def test_count_sent_since(repos: Repositories) -> None:
    for minutes in (0, 10, 20):
        await repos.requests.add(
            MeetingRequest("a", f"p{minutes}", created_at=T0 + timedelta(minutes=minutes))
        )
    await repos.requests.add(MeetingRequest("x", "a", created_at=T0 + timedelta(minutes=30)))
    await repos.requests.add(
        MeetingRequest(
            "a", "q", created_at=T0 + timedelta(minutes=40), status=RequestStatus.DECLINED
        )
    )

    assert await repos.requests.count_sent_since("a", T0) == 4
    assert await repos.requests.count_sent_since("a", T0 + timedelta(minutes=10)) == 3
    assert await repos.requests.count_sent_since("a", T0 + timedelta(hours=1)) == 0
    assert await repos.requests.count_sent_since("x", T0) == 1
