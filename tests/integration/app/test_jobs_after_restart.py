"""Reminders and follow-ups are stored jobs: they fire after the process restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app import build_app
from bot.config import load_settings
from matchmaking.models import OutcomeKind
from tests.fakes import FakeClock, make_company


async def test_reminders_and_follow_up_fire_after_restart(tmp_path: Path) -> None:
    clock = FakeClock(datetime(2026, 6, 10, 6, 0, tzinfo=UTC))
    day = (clock.now() + timedelta(days=3)).date()
    settings = load_settings(data_dir=tmp_path, event_days=[day, day + timedelta(days=1)])

    first = build_app(settings, clock=clock)
    await first.start()
    services = first.services
    cn = make_company("cn-1", "CN", user_id=11, languages=("zh_Hans", "en"), locale="zh_Hans")
    pl = make_company("pl-1", "PL", user_id=12, languages=("pl", "en"), locale="pl")
    await services.companies.save_many([cn, pl])
    request, _ = await services.meetings.request_meeting(cn.id, pl.id)
    await services.meetings.answer(request.id or 0, pl.id, accept=True)
    [slot, *_] = await services.meetings.propose(request.id or 0, cn.id)
    meeting, _ = await services.meetings.book(request.id or 0, slot.start, cn.id)
    await first.stop()

    second = build_app(settings, clock=clock)
    await second.start()
    try:
        assert await second.run_due_jobs() == []
        clock.current = meeting.start - timedelta(hours=23)
        day_before = await second.run_due_jobs()
        assert {r.chat_id for r in day_before} == {11, 12}
        zh = next(r for r in day_before if r.chat_id == 11)
        pl_reply = next(r for r in day_before if r.chat_id == 12)
        assert zh.text != pl_reply.text, "each side reads the reminder in its own language"
        assert await second.run_due_jobs() == [], "a reminder fires once"

        clock.current = meeting.start - timedelta(minutes=10)
        assert {r.chat_id for r in await second.run_due_jobs()} == {11, 12}

        clock.current = meeting.end + timedelta(hours=1, minutes=1)
        asked = await second.run_due_jobs()
        assert {r.chat_id for r in asked} == {11, 12}
        assert all(r.buttons for r in asked), "attendance is answered with buttons"

        await second.services.meetings.record_attendance(meeting.id or 0, cn.id, "yes")
        await second.services.meetings.record_outcome(meeting.id or 0, cn.id, OutcomeKind.FOLLOW_UP)
    finally:
        await second.stop()

    third = build_app(settings, clock=clock)
    await third.start()
    try:
        clock.current += timedelta(days=31)
        follow = await third.run_due_jobs()
        assert [r.chat_id for r in follow] == [11]
    finally:
        await third.stop()
