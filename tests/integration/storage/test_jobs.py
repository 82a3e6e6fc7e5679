"""Persistent jobs, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from matchmaking.models import Job, JobKind
from storage.repositories import Repositories

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


async def test_put_replaces_a_pending_job_with_the_same_key(repos: Repositories) -> None:
    first = await repos.jobs.put(Job("meeting:1:remind_24h", JobKind.REMIND_24H, T0, {"m": 1}))
    moved = await repos.jobs.put(
        Job("meeting:1:remind_24h", JobKind.REMIND_24H, T0 + timedelta(hours=2), {"m": 1, "v": 2})
    )
    assert moved.id == first.id
    assert await repos.jobs.due(T0 + timedelta(hours=1)) == []
    due = await repos.jobs.due(T0 + timedelta(hours=3))
    assert due == [
        Job(
            "meeting:1:remind_24h",
            JobKind.REMIND_24H,
            T0 + timedelta(hours=2),
            {"m": 1, "v": 2},
            id=first.id,
        )
    ]
    assert due[0].due_at.tzinfo == UTC


async def test_a_done_job_does_not_block_its_key(repos: Repositories) -> None:
    first = await repos.jobs.put(Job("k", JobKind.ASK_HELD, T0))
    assert first.id is not None
    await repos.jobs.mark_done(first.id)
    assert await repos.jobs.due(T0) == []
    second = await repos.jobs.put(Job("k", JobKind.ASK_HELD, T0 + timedelta(minutes=1)))
    assert second.id != first.id
    assert [j.id for j in await repos.jobs.due(T0 + timedelta(minutes=1))] == [second.id]
    await repos.jobs.mark_done(987654)  # unknown ids are ignored


async def test_due_is_oldest_first_and_limited(repos: Repositories) -> None:
    for minutes in (30, 10, 20, 90):
        await repos.jobs.put(
            Job(f"j{minutes}", JobKind.EXPIRE_REQUEST, T0 + timedelta(minutes=minutes))
        )
    due = await repos.jobs.due(T0 + timedelta(minutes=60))
    assert [j.key for j in due] == ["j10", "j20", "j30"]
    assert [j.key for j in await repos.jobs.due(T0 + timedelta(minutes=60), limit=2)] == [
        "j10",
        "j20",
    ]
    # A due time in another zone is compared as the same instant.
    beijing = T0.astimezone(timezone(timedelta(hours=8)))
    assert [j.key for j in await repos.jobs.due(beijing + timedelta(minutes=10))] == ["j10"]


async def test_cancel_by_prefix_removes_pending_jobs_only(repos: Repositories) -> None:
    for key in ("meeting:1:a", "meeting:1:b", "meeting:10:a", "Meeting:1:c", "meeting_1:x"):
        await repos.jobs.put(Job(key, JobKind.REMIND_15M, T0))
    done = await repos.jobs.put(Job("meeting:1:done", JobKind.REMIND_15M, T0))
    assert done.id is not None
    await repos.jobs.mark_done(done.id)

    assert await repos.jobs.cancel("meeting:1:") == 2
    assert await repos.jobs.cancel("meeting:1:") == 0
    assert sorted(j.key for j in await repos.jobs.due(T0)) == [
        "Meeting:1:c",
        "meeting:10:a",
        "meeting_1:x",
    ]
    assert await repos.jobs.cancel("meeting%") == 0  # LIKE wildcards are plain characters
