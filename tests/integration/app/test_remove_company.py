"""Removing a company outside the bot (the CLI's `remove`): gone from suggestions, partners told."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.app import build_app
from bot.config import load_settings
from bot.operations import reindex, remove_company
from matchmaking.errors import NotFoundError
from tests.fakes import make_company


async def test_removed_company_is_never_suggested_and_its_partner_is_told(tmp_path: Path) -> None:
    day = date.today() + timedelta(days=3)
    settings = load_settings(data_dir=tmp_path, event_days=[day, day + timedelta(days=1)])
    first = build_app(settings)
    await first.start()
    try:
        services = first.services
        cn = make_company("cn-1", "CN", user_id=11, name="Ningbo Tools")
        pl = make_company(
            "pl-1", "PL", user_id=12, name="Mazury Maszyny", languages=("pl", "en"), locale="pl",
            offer="We distribute machine tools across Poland.",
            need="We are looking for a manufacturer of CNC machine tools.",
        )  # fmt: skip
        hr = make_company("hr-1", "HR", user_id=13, name="Split Robotics")
        await services.companies.save_many([cn, pl, hr])
        assert "pl-1" in [s.partner_id for s in await services.matching.suggest("cn-1", 5)]
        request, _ = await services.meetings.request_meeting(cn.id, pl.id)
        await services.meetings.answer(request.id or 0, pl.id, accept=True)
        [slot, *_] = await services.meetings.propose(request.id or 0, cn.id)
        await services.meetings.book(request.id or 0, slot.start, cn.id)
    finally:
        await first.stop()

    removal = await remove_company(settings, "pl-1")
    assert (removal.name, removal.cancelled_meetings) == ("Mazury Maszyny", 1)
    with pytest.raises(NotFoundError):
        await remove_company(settings, "pl-1")
    assert await reindex(settings) == 2

    bot = build_app(settings)
    await bot.start()
    try:
        suggested = [s.partner_id for s in await bot.services.matching.suggest("cn-1", 5)]
        assert suggested == ["hr-1"]
        told = await bot.run_due_jobs()
        assert [r.chat_id for r in told] == [11]
        assert "Mazury Maszyny" in told[0].text and "cancelled" in told[0].text
        assert await bot.run_due_jobs() == [], "a queued notice is delivered once"
    finally:
        await bot.stop()
