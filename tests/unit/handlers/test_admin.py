"""Organizer commands: refusal for participants, stats, export, broadcast, block, schedule."""

from __future__ import annotations

import csv
import io

import pytest

from handlers.engine import Dialog
from matchmaking.models import CompanyStatus
from tests.fakes import FakeWorld, make_company
from tests.unit.handlers.conftest import ADMIN_ID, Chat, own, register, text_of, to


@pytest.fixture
def admin(dialog: Dialog) -> Chat:
    return Chat(dialog, ADMIN_ID)


@pytest.mark.parametrize(
    "command", ["/stats", "/export", "/broadcast hello", "/block x", "/unblock x", "/schedule"]
)
async def test_participants_get_a_polite_refusal(chat: Chat, command: str) -> None:
    await register(chat)
    response = await chat.cmd(command)
    assert "only for the event organizers" in text_of(response)


async def test_stats(admin: Chat, chat: Chat) -> None:
    await register(chat)
    text = text_of(await admin.cmd("/stats"))
    assert "Participants: 1" in text
    assert "PL 1" in text


async def test_export_csv(admin: Chat, chat: Chat, world: FakeWorld) -> None:
    await register(chat)
    await world.services.companies.save(
        make_company("imp-1", "CN", name="Imported, Co", no_shows=2, meetings_held=3)
    )
    document = own(await admin.cmd("/export"))[0].document
    assert document is not None and document.mime_type == "text/csv"
    rows = list(csv.reader(io.StringIO(document.content.decode("utf-8-sig"))))
    assert rows[0][0] == "id"
    assert {r[1] for r in rows[1:]} == {"Baltic Amber Ltd", "Imported, Co"}
    imported = dict(zip(rows[0], next(r for r in rows if r[0] == "imp-1"), strict=True))
    assert (imported["meetings_held"], imported["no_shows"]) == ("3", "2")


async def test_broadcast_confirms_then_reaches_everyone(
    admin: Chat, chat: Chat, dialog: Dialog
) -> None:
    await register(chat)
    zh = Chat(dialog, 2002, "zh-hans")
    await register(zh, name="Jade Trading", country="CN", locale="zh_Hans")
    ask = await admin.cmd("/broadcast The programme starts at <10:00>.")
    assert "2 participants" in text_of(ask)
    assert "&lt;10:00&gt;" in text_of(ask)
    assert not to(ask, 1001)
    sent = await admin.tap("Send")
    assert "Sent to 2 participants" in text_of(sent)
    assert "Message from the organizers" in to(sent, 1001)[0].text
    assert "主办方消息" in to(sent, 2002)[0].text
    assert (await admin.press("ad:bc:y")).toast == "This button is no longer valid."


async def test_broadcast_can_be_cancelled_and_needs_text(admin: Chat) -> None:
    assert "Write the message after the command" in text_of(await admin.cmd("/broadcast"))
    await admin.cmd("/broadcast hello")
    response = await admin.tap("Cancel")
    assert "Nothing was sent" in text_of(response)


async def test_block_and_unblock(admin: Chat, chat: Chat, world: FakeWorld) -> None:
    await register(chat)
    assert "is blocked" in text_of(await admin.cmd("/block tg1001"))
    assert world.companies.items["tg1001"].status is CompanyStatus.BLOCKED
    assert "is unblocked" in text_of(await admin.cmd("/unblock tg1001"))
    assert world.companies.items["tg1001"].status is CompanyStatus.ACTIVE
    assert "no longer registered" in text_of(await admin.cmd("/block nobody"))
    assert "company id" in text_of(await admin.cmd("/block"))


async def test_schedule_books_accepted_requests_and_tells_both_sides(
    admin: Chat, world: FakeWorld
) -> None:
    cn = make_company("cn-1", "CN", user_id=501, languages=("zh_Hans", "en"), locale="zh_Hans")
    pl = make_company("pl-1", "PL", user_id=502, languages=("pl", "en"), locale="pl")
    for company in (cn, pl):
        await world.services.companies.save(company)
    request, _ = await world.services.meetings.request_meeting(cn.id, pl.id)
    await world.services.meetings.answer(request.id, pl.id, accept=True)
    response = await admin.cmd("/schedule")
    assert "scheduler booked 1 meeting" in text_of(response)
    assert to(response, 501) and to(response, 502)
    assert len(world.meetings.items) == 1
    again = await admin.cmd("/schedule")
    assert "booked 0 meetings" in text_of(again)
