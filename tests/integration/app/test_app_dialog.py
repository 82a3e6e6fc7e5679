"""The whole App (SQLite, real model, real index) driven through the dialog: two companies meet."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import build_app
from bot.config import load_settings
from handlers.types import EventKind, Response, UserEvent
from tests.unit.handlers.conftest import Chat, register, text_of, to

pytestmark = pytest.mark.slow


def _data(response: Response, prefix: str) -> str:
    """Return the data of the first button whose data starts with `prefix`."""
    for reply in response.replies:
        for row in reply.buttons:
            for button in row:
                if button.data.startswith(prefix):
                    return button.data
    raise AssertionError(f"no button {prefix!r} in {[r.buttons for r in response.replies]}")


async def test_two_companies_register_match_request_accept_and_book(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, admin_ids=[9])
    app = build_app(settings)
    await app.start()
    try:
        cn = Chat(app.dialog, 2001, language_code="zh-hans")
        pl = Chat(app.dialog, 2002, language_code="pl")
        await register(
            cn,
            name="宁波海天光伏有限公司",
            country="CN",
            locale="zh_Hans",
            languages=("zh", "en"),
            offer="我们生产高效单晶硅太阳能电池板和组串式逆变器。",
            need="我们正在寻找波兰的光伏安装商和分销商。",
        )
        assert await app.services.companies.find_by_user(2001) is not None
        await register(
            pl,
            name="SolarBud Sp. z o.o.",
            country="PL",
            locale="en",
            languages=("pl", "en"),
            offer="Projektujemy i montujemy instalacje fotowoltaiczne w całej Polsce.",
            need="Szukamy producenta paneli słonecznych i falowników.",
        )
        pl_company = await app.services.companies.find_by_user(2002)
        assert pl_company is not None

        shown = await cn.cmd("/matches")
        assert "SolarBud" in text_of(shown)
        assert "Polish" in text_of(shown) or "波兰" in text_of(shown)
        sent: Response = await cn.press(_data(shown, "m:req"))
        if not to(sent, 2002):
            sent = await cn.press(_data(sent, "m:"))
        card = to(sent, 2002)
        assert card and "宁波海天光伏有限公司" in card[0].text

        accept = next(b for row in card[0].buttons for b in row if b.data.startswith("mt:acc"))
        accepted = await pl.press(accept.data)
        assert to(accepted, 2001), "the requester is told in their own language"
        times = await pl.press(_data(accepted, "mt:"))
        booked = await pl.press(_data(times, "mt:book"))
        assert to(booked, 2001) and any(r.document for r in booked.replies)
        meetings = await app.services.meetings.meetings_for(pl_company.id)
        assert len(meetings) == 1

        listing = await cn.cmd("/meetings")
        assert "SolarBud" in text_of(listing)
        assert _data(listing, "mt:cx")
    finally:
        await app.stop()


async def test_restart_mid_intake_keeps_the_answers(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    first = build_app(settings)
    await first.start()
    chat = Chat(first.dialog, 3001)
    await chat.cmd("/start")
    await chat.press("st:lang:en")
    await chat.say("Tokaji Borház Kft.")
    await first.stop()

    second = build_app(settings)
    await second.start()
    try:
        event = UserEvent(
            user_id=3001, chat_id=3001, kind=EventKind.TEXT, text="HU", language_code="en"
        )
        response = await second.handle(event)
        state = await second.services.repos.dialogs.load(3001)
        assert state is not None
        assert "Tokaji" in str(state)
        assert response.replies
    finally:
        await second.stop()
