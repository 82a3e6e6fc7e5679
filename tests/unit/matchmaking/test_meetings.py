from datetime import timedelta

import pytest

from matchmaking.errors import ConflictError, LimitExceededError, PermissionDeniedError
from matchmaking.models import (
    Event,
    Interpreter,
    MeetingStatus,
    OutcomeKind,
    RequestStatus,
)
from matchmaking.notices import NoticeKind
from matchmaking.scheduling import availability
from tests.fakes import make_company, make_world


async def _world(**event_kw):
    world = make_world()
    if event_kw:
        start = (world.clock.now() + timedelta(days=2)).date()
        world = make_world(
            Event(days=(start, start + timedelta(days=1)), **event_kw), now=world.clock.now()
        )
    cn = make_company("cn-1", "CN", languages=("zh_Hans", "en"), locale="zh_Hans")
    pl = make_company("pl-1", "PL", languages=("pl", "en"), locale="pl")
    for c in (cn, pl):
        await world.services.companies.save(c)
    return world, cn, pl


async def _accepted(world, a, b):
    request, _ = await world.services.meetings.request_meeting(a.id, b.id, "Let us talk")
    await world.services.meetings.answer(request.id, b.id, accept=True)
    return request


async def test_request_notifies_partner_and_schedules_expiry() -> None:
    world, cn, pl = await _world()
    request, notices = await world.services.meetings.request_meeting(cn.id, pl.id, "Hi")
    assert request.status is RequestStatus.PENDING
    assert [(n.kind, n.company_id) for n in notices] == [(NoticeKind.REQUEST_RECEIVED, pl.id)]
    assert [j.key for j in world.jobs.pending()] == [f"request:{request.id}:expire"]


async def test_duplicate_request_either_direction_is_refused() -> None:
    world, cn, pl = await _world()
    await world.services.meetings.request_meeting(cn.id, pl.id)
    with pytest.raises(ConflictError):
        await world.services.meetings.request_meeting(pl.id, cn.id)


async def test_daily_budget_is_enforced() -> None:
    world, cn, _ = await _world(daily_request_budget=2)
    for i in range(3):
        await world.services.companies.save(make_company(f"pl-{i + 2}", "PL"))
    await world.services.meetings.request_meeting(cn.id, "pl-2")
    await world.services.meetings.request_meeting(cn.id, "pl-3")
    with pytest.raises(LimitExceededError):
        await world.services.meetings.request_meeting(cn.id, "pl-4")
    world.clock.advance(days=1, minutes=1)
    await world.services.meetings.request_meeting(cn.id, "pl-4")


async def test_only_the_partner_answers_and_only_once() -> None:
    world, cn, pl = await _world()
    request, _ = await world.services.meetings.request_meeting(cn.id, pl.id)
    with pytest.raises(PermissionDeniedError):
        await world.services.meetings.answer(request.id, cn.id, accept=True)
    _, notices = await world.services.meetings.answer(request.id, pl.id, accept=False)
    assert notices[0].kind is NoticeKind.REQUEST_DECLINED
    with pytest.raises(ConflictError):
        await world.services.meetings.answer(request.id, pl.id, accept=True)


async def test_pending_request_expires_through_the_job_and_both_are_told() -> None:
    world, cn, pl = await _world()
    request, _ = await world.services.meetings.request_meeting(cn.id, pl.id)
    world.clock.advance(hours=world.services.event.request_expiry_hours + 1)
    notices = await world.services.jobs.run_due()
    assert {(n.kind, n.company_id) for n in notices} == {
        (NoticeKind.REQUEST_EXPIRED, cn.id),
        (NoticeKind.REQUEST_EXPIRED, pl.id),
    }
    assert (await world.repos.requests.get(request.id)).status is RequestStatus.EXPIRED


async def test_proposals_fit_both_business_days_and_booking_is_exclusive() -> None:
    world, cn, pl = await _world()
    request = await _accepted(world, cn, pl)
    proposals = await world.services.meetings.propose(request.id, cn.id)
    assert 1 <= len(proposals) <= 3
    av_cn = availability(world.services.event, cn)
    av_pl = availability(world.services.event, pl)
    for p in proposals:
        assert av_cn.window_for(p.start, p.end) is not None
        assert av_pl.window_for(p.start, p.end) is not None
    meeting, notices = await world.services.meetings.book(request.id, proposals[0].start, pl.id)
    assert {n.company_id for n in notices} == {cn.id, pl.id}
    assert meeting.video_link.startswith("https://")
    keys = {j.key for j in world.jobs.pending()}
    assert {
        f"meeting:{meeting.id}:remind24",
        f"meeting:{meeting.id}:remind15",
        f"meeting:{meeting.id}:held",
    } <= keys
    with pytest.raises(ConflictError):
        await world.services.meetings.book(request.id, proposals[0].start, pl.id)


async def test_a_slot_taken_by_another_meeting_cannot_be_booked() -> None:
    world, cn, pl = await _world()
    hu = make_company("hu-1", "HU", languages=("hu", "en"))
    await world.services.companies.save(hu)
    r1 = await _accepted(world, cn, pl)
    r2 = await _accepted(world, hu, cn)
    [first, *_] = await world.services.meetings.propose(r1.id, cn.id)
    await world.services.meetings.book(r1.id, first.start, cn.id)
    with pytest.raises(ConflictError):
        await world.services.meetings.book(r2.id, first.start, cn.id)
    assert all(p.start != first.start for p in await world.services.meetings.propose(r2.id, cn.id))


async def test_cancel_tells_partner_and_frees_slot_for_waiting_request() -> None:
    world, cn, pl = await _world()
    hu = make_company("hu-1", "HU")
    await world.services.companies.save(hu)
    r1 = await _accepted(world, cn, pl)
    await _accepted(world, hu, cn)
    [first, *_] = await world.services.meetings.propose(r1.id, cn.id)
    meeting, _ = await world.services.meetings.book(r1.id, first.start, cn.id)
    cancelled, notices = await world.services.meetings.cancel(meeting.id, cn.id)
    assert cancelled.status is MeetingStatus.CANCELLED
    assert cancelled.sequence == 1
    kinds = {(n.kind, n.company_id) for n in notices}
    assert (NoticeKind.MEETING_CANCELLED, pl.id) in kinds
    assert (NoticeKind.SLOT_FREED, cn.id) in kinds
    assert not [j for j in world.jobs.pending() if j.key.startswith(f"meeting:{meeting.id}:")]


async def test_reschedule_keeps_request_open_for_new_slot() -> None:
    world, cn, pl = await _world()
    r1 = await _accepted(world, cn, pl)
    [first, second, *_] = await world.services.meetings.propose(r1.id, cn.id)
    meeting, _ = await world.services.meetings.book(r1.id, first.start, cn.id)
    _, notices = await world.services.meetings.cancel(meeting.id, pl.id, reschedule=True)
    assert notices[0].kind is NoticeKind.MEETING_MOVED
    again, _ = await world.services.meetings.book(r1.id, second.start, pl.id)
    assert again.start == second.start


async def test_interpreter_pool_limits_slots_when_no_common_language() -> None:
    world, _, _ = await _world()
    zh = make_company("cn-9", "CN", languages=("zh_Hans",), locale="zh_Hans")
    hr = make_company("hr-9", "HR", languages=("hr",), locale="hr")
    for c in (zh, hr):
        await world.services.companies.save(c)
    request = await _accepted(world, zh, hr)
    day = world.services.event.days[0]
    from datetime import UTC, datetime

    window = (
        datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=8),
        datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=9),
    )
    await world.interpreters.upsert(Interpreter("i1", "Li", (("zh", "hr"),), (window,)))
    proposals = await world.services.meetings.propose(request.id, zh.id)
    assert proposals
    assert all(p.interpreter_id == "i1" and window[0] <= p.start < window[1] for p in proposals)


async def test_attendance_and_outcomes_feed_reliability_and_follow_up() -> None:
    world, cn, pl = await _world()
    r1 = await _accepted(world, cn, pl)
    [first, *_] = await world.services.meetings.propose(r1.id, cn.id)
    meeting, _ = await world.services.meetings.book(r1.id, first.start, cn.id)
    world.clock.current = meeting.end + timedelta(hours=1, minutes=1)
    notices = await world.services.jobs.run_due()
    assert {(n.kind, n.company_id) for n in notices} >= {
        (NoticeKind.ASK_HELD, cn.id),
        (NoticeKind.ASK_HELD, pl.id),
    }
    asked = await world.services.meetings.record_attendance(meeting.id, cn.id, "yes")
    assert asked[0].kind is NoticeKind.ASK_OUTCOME
    await world.services.meetings.record_outcome(meeting.id, cn.id, OutcomeKind.FOLLOW_UP)
    assert any(j.key.startswith(f"meeting:{meeting.id}:followup") for j in world.jobs.pending())
    world.clock.advance(days=31)
    follow = await world.services.jobs.run_due()
    assert [n.kind for n in follow] == [NoticeKind.FOLLOW_UP]


async def test_no_show_counts_against_the_absent_company() -> None:
    world, cn, pl = await _world()
    r1 = await _accepted(world, cn, pl)
    [first, *_] = await world.services.meetings.propose(r1.id, cn.id)
    meeting, _ = await world.services.meetings.book(r1.id, first.start, cn.id)
    await world.services.meetings.record_attendance(meeting.id, cn.id, "no_show")
    assert (await world.repos.companies.get(pl.id)).no_shows == 1
    assert (await world.repos.meetings.get(meeting.id)).status is MeetingStatus.NO_SHOW


async def test_schedule_all_books_every_accepted_request_without_overlap() -> None:
    world, cn, pl = await _world()
    others = [make_company(f"ro-{i}", "RO") for i in range(4)]
    for c in others:
        await world.services.companies.save(c)
    await _accepted(world, cn, pl)
    for c in others:
        await _accepted(world, c, cn)
    outcome = await world.services.meetings.schedule_all()
    assert len(outcome.scheduled) == 5
    assert not outcome.unscheduled
    cn_meetings = sorted(m.start for m in outcome.scheduled)
    assert len(set(cn_meetings)) == 5
    again = await world.services.meetings.schedule_all()
    assert again.scheduled == []
