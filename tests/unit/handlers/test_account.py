"""/help per role, /pause, /resume, /my_data, /delete_me (partners of future meetings told)."""

from __future__ import annotations

import json

from handlers.commands import Role, bot_commands
from handlers.engine import Dialog
from matchmaking.models import CompanyStatus, MeetingStatus
from tests.fakes import FakeWorld
from tests.unit.handlers.conftest import ADMIN_ID, Chat, find_button, own, register, text_of, to


async def test_help_lists_commands_for_the_role(chat: Chat, dialog: Dialog) -> None:
    guest = text_of(await chat.cmd("/help"))
    assert "/start" in guest and "/matches" not in guest
    await register(chat)
    member = text_of(await chat.cmd("/help"))
    assert "/matches" in member and "/delete_me" in member and "/stats" not in member
    admin = text_of(await Chat(dialog, ADMIN_ID).cmd("/help"))
    assert "/stats" in admin and "/broadcast" in admin


def test_bot_commands_are_localized_per_role() -> None:
    en = dict(bot_commands("en", Role.PARTICIPANT))
    zh = dict(bot_commands("zh_Hans", Role.PARTICIPANT))
    assert en["matches"] == "Suggested partners"
    assert zh["matches"] == "推荐的合作伙伴"
    assert "stats" not in en
    assert "stats" in dict(bot_commands("en", Role.ADMIN))
    assert [c for c, _ in bot_commands("en", "guest")] == ["start", "language", "help", "cancel"]
    assert all(c.islower() and len(c) <= 32 for c, _ in bot_commands("en", Role.ADMIN))


async def test_pause_and_resume(chat: Chat, world: FakeWorld) -> None:
    await register(chat)
    assert "Paused" in text_of(await chat.cmd("/pause"))
    assert world.companies.items["tg1001"].status is CompanyStatus.PAUSED
    assert "paused" in text_of(await chat.cmd("/profile"))
    await chat.cmd("/resume")
    assert world.companies.items["tg1001"].status is CompanyStatus.ACTIVE


async def test_my_data_sends_json(chat: Chat) -> None:
    await register(chat)
    response = await chat.cmd("/my_data")
    document = own(response)[0].document
    assert document is not None and document.filename.endswith(".json")
    data = json.loads(document.content)
    assert data["profile"]["name"] == "Baltic Amber Ltd"
    assert data["profile"]["contact"].startswith("anna@amber.example.com")


async def test_delete_me_confirms_and_tells_meeting_partners(
    dialog: Dialog, world: FakeWorld
) -> None:
    pl, cn = Chat(dialog, 1001, "en"), Chat(dialog, 2002, "zh-hans")
    await register(pl)
    await register(
        cn,
        name="Jade Trading",
        country="CN",
        locale="zh_Hans",
        offer="We are jewellery distributors with retail shops across China.",
        need="We look for amber jewellery makers in Europe.",
    )
    await pl.cmd("/matches")
    await pl.tap("Request a meeting")
    await pl.tap("Send without a note")
    await cn.press("mt:acc:1")
    slots = await pl.press("mt:slots:1")
    await pl.press(own(slots)[0].buttons[0][0].data)
    ask = await pl.cmd("/delete_me")
    assert "cannot be undone" in text_of(ask)
    kept = await pl.tap("No, keep it")
    assert "Nothing was deleted" in text_of(kept)
    assert "tg1001" in world.companies.items
    await pl.cmd("/delete_me")
    response = await pl.tap("Yes, delete everything")
    assert "deleted" in text_of(response)
    assert "tg1001" not in world.companies.items
    assert world.meetings.items[1].status is MeetingStatus.CANCELLED
    told = to(response, 2002)
    assert told and "Baltic Amber Ltd" in told[0].text and "已退出活动" in told[0].text
    assert await world.dialogs.load(1001) is None
    # a stale confirmation button afterwards is rejected politely
    assert (await pl.press("ac:del:y")).toast == "This button is no longer valid."


async def test_account_commands_need_a_profile(chat: Chat) -> None:
    for command in ("/pause", "/resume", "/my_data", "/delete_me"):
        assert "not registered yet" in text_of(await chat.cmd(command))


async def test_menu_help_button(chat: Chat) -> None:
    await register(chat)
    response = await chat.cmd("/start")
    assert "Welcome back" in text_of(response)
    help_text = text_of(await chat.press(find_button(response, "Help").data))
    assert "/matches" in help_text


def test_dialog_bot_commands_match_the_module_function(dialog: Dialog) -> None:
    assert dialog.bot_commands("zh_Hans") == bot_commands("zh_Hans", Role.PARTICIPANT)
    assert dialog.bot_commands("en", Role.ADMIN)[-1][0] == "schedule"


async def test_role_of(dialog: Dialog, chat: Chat) -> None:
    assert await dialog.role_of(chat.user_id) is Role.GUEST
    await register(chat)
    assert await dialog.role_of(chat.user_id) is Role.PARTICIPANT
    assert await dialog.role_of(ADMIN_ID) is Role.ADMIN
