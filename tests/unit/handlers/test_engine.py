"""The engine: routing, the one error boundary, state persistence, callback data limits."""

from __future__ import annotations

import logging

import pytest

from handlers.callbacks import pack
from handlers.engine import Dialog
from handlers.types import EventKind, UserEvent
from matchmaking.errors import ConflictError
from tests.fakes import FakeWorld
from tests.unit.handlers.conftest import Chat, register, text_of


async def test_unexpected_exception_gives_a_localized_apology(
    chat: Chat,
    world: FakeWorld,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await register(chat)

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(world.services.matching, "suggest", broken)
    with caplog.at_level(logging.ERROR):
        response = await chat.cmd("/matches")
    assert "something went wrong on our side" in text_of(response)
    assert any("unexpected error" in r.message for r in caplog.records)
    state = await chat.state()
    assert state["flow"] == ""  # the failed step did not leave a half-written state


async def test_matchbot_error_is_translated_with_params(
    dialog: Dialog, world: FakeWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    zh = Chat(dialog, 5, "zh")
    await register(zh, locale="zh_Hans")

    async def limited(*args: object, **kwargs: object) -> None:
        raise ConflictError(
            "The note is too long: {length} characters (at most {limit}).", length=900, limit=500
        )

    monkeypatch.setattr(world.services.companies, "set_paused", limited)
    response = await zh.cmd("/pause")
    assert "留言太长：900 个字符（最多 500 个）" in text_of(response)


async def test_error_params_are_escaped(chat: Chat) -> None:
    await chat.cmd("/start")
    await chat.press("st:lang:en")
    await chat.say("Baltic Amber Ltd")
    response = await chat.say("<script>")
    assert "&lt;script&gt;" in text_of(response)


async def test_unknown_command_and_plain_text(chat: Chat) -> None:
    assert "do not know this command" in text_of(await chat.cmd("/frobnicate"))
    assert "/start" in text_of(await chat.say("hello"))
    await register(chat)
    assert "/matches" in text_of(await chat.say("hello"))


async def test_cancel_without_a_flow(chat: Chat) -> None:
    assert "nothing to cancel" in text_of(await chat.cmd("/cancel"))


async def test_non_sticky_flow_is_left_by_another_command(chat: Chat) -> None:
    await register(chat)
    await chat.cmd("/delete_me")
    assert (await chat.state())["flow"] == "account"
    await chat.cmd("/meetings")
    assert (await chat.state())["flow"] == ""


async def test_state_store_failure_is_survived(world: FakeWorld) -> None:
    class Broken:
        async def load(self, user_id: int) -> None:
            raise OSError("redis down")

        async def save(self, user_id: int, state: object) -> None:
            raise OSError("redis down")

        async def delete(self, user_id: int) -> None:
            raise OSError("redis down")

    dialog = Dialog(world.services, Broken(), admin_ids=set(), event_code="cee-china")
    response = await dialog.handle(UserEvent(1, 1, EventKind.COMMAND, text="/start"))
    assert "something went wrong" in response.replies[0].text


def test_callback_data_is_packed_under_64_bytes() -> None:
    assert pack("mt", "book", 2**31, 1_900_000_000) == "mt:book:2147483648:1900000000"
    with pytest.raises(ValueError):
        pack("m", "req", "x" * 64)
    with pytest.raises(ValueError):
        pack("m", "a:b")


async def test_button_press_from_a_different_step_after_restart(
    chat: Chat, world: FakeWorld
) -> None:
    await chat.cmd("/start")
    await chat.press("st:lang:en")
    await chat.say("Baltic Amber Ltd")
    fresh = Chat(
        Dialog(world.services, world.dialogs, admin_ids=set(), event_code="cee-china"), chat.user_id
    )
    response = await fresh.press("in:country:c:PL")
    assert "time zone" in text_of(response)
    assert (await fresh.state())["data"]["country"] == "PL"
