"""Companies and declined partners, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone

import pytest

from matchmaking.errors import ConflictError
from matchmaking.models import (
    Company,
    CompanySize,
    CompanyStatus,
    Meeting,
    MeetingRequest,
    MeetingStatus,
    ProfileType,
    RequestStatus,
)
from storage.repositories import Repositories

NOON = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def full_company(company_id: str = "c1", **changes: object) -> Company:
    company = Company(
        id=company_id,
        name="Łódź Textiles 纺织",
        country="PL",
        offer="We weave technical fabrics.",
        need="Distributors in China.",
        city="Łódź",
        languages=("pl", "en"),
        locale="pl",
        timezone="Europe/Warsaw",
        section="industry",
        profile_type=ProfileType.TECHNOLOGY_OFFER,
        size=CompanySize.SMALL,
        website="https://example.pl",
        contact="anna@example.pl",
        status=CompanyStatus.ACTIVE,
        user_id=1001,
        event_code="cee-china",
        no_shows=1,
        meetings_held=2,
        hours_start=time(9, 30),
        hours_end=time(17, 0),
        blocked=((NOON, NOON + timedelta(hours=1)),),
        max_meetings_per_day=5,
        created_at=datetime(2026, 5, 1, 8, 0, 0, 123456, tzinfo=UTC),
        updated_at=datetime(2026, 5, 2, 9, 0, tzinfo=UTC),
    )
    return company.replace(**changes)


async def test_upsert_inserts_then_updates(repos: Repositories) -> None:
    company = full_company()
    assert await repos.companies.upsert(company) is True
    assert await repos.companies.get("c1") == company

    changed = company.replace(name="Renamed", languages=("en",), size=None, user_id=None)
    assert await repos.companies.upsert(changed) is False
    assert await repos.companies.get("c1") == changed
    assert await repos.companies.count() == 1


async def test_times_come_back_as_aware_utc(repos: Repositories) -> None:
    beijing = timezone(timedelta(hours=8))
    local = datetime(2026, 6, 1, 20, 0, tzinfo=beijing)
    await repos.companies.upsert(
        full_company(created_at=local, blocked=((local, local + timedelta(minutes=30)),))
    )
    stored = await repos.companies.get("c1")
    assert stored is not None
    assert stored.created_at == NOON and stored.created_at.tzinfo == UTC
    assert stored.blocked[0][0] == NOON and stored.blocked[0][0].tzinfo == UTC


async def test_minimal_company_roundtrips(repos: Repositories) -> None:
    company = Company(id="tg42", name="Min", country="CN")
    await repos.companies.upsert(company)
    assert await repos.companies.get("tg42") == company


async def test_missing_company_is_none(repos: Repositories) -> None:
    assert await repos.companies.get("nope") is None
    assert await repos.companies.get_by_user(5) is None


async def test_get_by_user(repos: Repositories) -> None:
    await repos.companies.upsert(full_company("a", user_id=1))
    await repos.companies.upsert(full_company("b", user_id=2))
    found = await repos.companies.get_by_user(2)
    assert found is not None and found.id == "b"


async def test_one_user_cannot_own_two_companies(repos: Repositories) -> None:
    await repos.companies.upsert(full_company("a", user_id=7))
    with pytest.raises(ConflictError):
        await repos.companies.upsert(full_company("b", user_id=7))
    assert await repos.companies.get("b") is None


async def test_list_filters_and_orders_by_id(repos: Repositories) -> None:
    await repos.companies.upsert(full_company("c", user_id=None, event_code="e1"))
    await repos.companies.upsert(
        full_company("a", user_id=None, event_code="e1", status=CompanyStatus.DRAFT)
    )
    await repos.companies.upsert(full_company("b", user_id=None, event_code="e2"))

    assert [c.id for c in await repos.companies.list()] == ["a", "b", "c"]
    assert [c.id for c in await repos.companies.list(status=CompanyStatus.ACTIVE)] == ["b", "c"]
    assert [c.id for c in await repos.companies.list(event_code="e1")] == ["a", "c"]
    both = await repos.companies.list(status=CompanyStatus.ACTIVE, event_code="e1")
    assert [c.id for c in both] == ["c"]


async def test_declined_is_seen_from_both_sides(repos: Repositories) -> None:
    await repos.preferences.add_declined("a", "b")
    await repos.preferences.add_declined("a", "b")
    await repos.preferences.add_declined("c", "a")
    assert await repos.preferences.declined_by("a") == {"b", "c"}
    assert await repos.preferences.declined_by("b") == {"a"}
    assert await repos.preferences.declined_by("d") == set()


async def test_delete_removes_company_and_frees_what_it_held(repos: Repositories) -> None:
    await repos.companies.upsert(full_company("a", user_id=1))
    await repos.companies.upsert(full_company("b", user_id=2))
    await repos.preferences.add_declined("a", "x")
    await repos.preferences.add_declined("y", "a")
    await repos.preferences.add_declined("b", "x")
    sent = await repos.requests.add(MeetingRequest("a", "b"))
    received = await repos.requests.add(MeetingRequest("b", "a"))
    answered = await repos.requests.add(MeetingRequest("a", "b", status=RequestStatus.DECLINED))
    meeting = await repos.meetings.book(
        Meeting(
            request_id=1, company_a="a", company_b="b", start=NOON, end=NOON + timedelta(minutes=30)
        )
    )
    held = await repos.meetings.book(
        Meeting(
            request_id=3,
            company_a="a",
            company_b="b",
            start=NOON - timedelta(days=1),
            end=NOON - timedelta(days=1, minutes=-30),
            status=MeetingStatus.HELD,
        )
    )

    await repos.companies.delete("a")

    assert await repos.companies.get("a") is None
    assert await repos.companies.get_by_user(1) is None
    assert await repos.companies.count() == 1
    assert await repos.preferences.declined_by("a") == set()
    assert await repos.preferences.declined_by("x") == {"b"}
    for request_id, status in (
        (sent.id, RequestStatus.CANCELLED),
        (received.id, RequestStatus.CANCELLED),
        (answered.id, RequestStatus.DECLINED),
    ):
        assert request_id is not None
        stored = await repos.requests.get(request_id)
        assert stored is not None and stored.status == status
    assert meeting.id is not None
    cancelled = await repos.meetings.get(meeting.id)
    assert cancelled is not None and cancelled.status == MeetingStatus.CANCELLED
    assert held.id is not None
    kept = await repos.meetings.get(held.id)
    assert kept is not None and kept.status == MeetingStatus.HELD
    # The partner's slot is free again.
    await repos.meetings.book(
        Meeting(
            request_id=2, company_a="b", company_b="z", start=NOON, end=NOON + timedelta(minutes=30)
        )
    )
    # The chat user can register a new company.
    assert await repos.companies.upsert(full_company("a2", user_id=1)) is True


async def test_delete_of_unknown_company_does_nothing(repos: Repositories) -> None:
    await repos.companies.delete("ghost")
    assert await repos.companies.count() == 0
