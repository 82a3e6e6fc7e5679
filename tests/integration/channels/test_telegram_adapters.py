"""The same scripted conversation through the aiogram and the python-telegram-bot adapters.

Both must make exactly the same Bot API calls: that is what "thin adapter" means here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from telegram import Update

from bot.channels.aiogram import AiogramBotApi, build_bot, build_dispatcher
from bot.channels.common import Delivery
from bot.channels.ptb import PtbBotApi, add_handlers, build_application
from bot.config import Settings
from handlers.types import EventKind, Reply
from tests.integration.channels.conftest import (
    ANN,
    PARTNER_CHAT,
    Call,
    EchoApp,
    FakeTelegram,
    RecordingRequest,
    RecordingSession,
    button_update,
    command_update,
    message_update,
    sticker_update,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

HTML: dict[str, Any] = {"parse_mode": "HTML", "link_preview_options": {"is_disabled": True}}
ME = ANN["id"]
WELCOME_KEYS = {
    "inline_keyboard": [
        [
            {"text": "Accept", "callback_data": "m:1:y"},
            {"text": "Decline", "callback_data": "m:1:n"},
        ]
    ]
}


@dataclass
class Channel:
    """One adapter wired to the fake Bot API."""

    name: str
    feed: Callable[[dict[str, Any]], Awaitable[None]]
    delivery: Delivery
    waits: list[float] = field(default_factory=list)


@pytest.fixture(params=["aiogram", "ptb"])
async def channel(
    request: pytest.FixtureRequest, app: EchoApp, settings: Settings, telegram: FakeTelegram
) -> AsyncIterator[Channel]:
    """Yield the aiogram or the PTB adapter, recording into `telegram`."""
    waits: list[float] = []

    async def wait(seconds: float) -> None:
        waits.append(seconds)

    if request.param == "aiogram":
        bot = build_bot(settings, RecordingSession(telegram))
        delivery = Delivery(AiogramBotApi(bot), sleep=wait)
        dispatcher = build_dispatcher(app, delivery)

        async def feed_aiogram(update: dict[str, Any]) -> None:
            await dispatcher.feed_raw_update(bot, update)

        yield Channel("aiogram", feed_aiogram, delivery, waits)
        return
    application = build_application(settings, RecordingRequest(telegram))
    delivery = Delivery(PtbBotApi(application.bot), sleep=wait)
    add_handlers(application, app, delivery)
    async with application:

        async def feed_ptb(update: dict[str, Any]) -> None:
            await application.process_update(Update.de_json(update, application.bot))

        yield Channel("ptb", feed_ptb, delivery, waits)


def send(chat_id: int, text: str, markup: dict[str, Any] | None = None) -> Call:
    """Return the sendMessage call expected for a reply."""
    params: dict[str, Any] = {"chat_id": chat_id, "text": text, **HTML}
    if markup is not None:
        params["reply_markup"] = markup
    return Call("sendMessage", params)


async def test_scripted_conversation_makes_the_same_bot_api_calls(
    channel: Channel, app: EchoApp, telegram: FakeTelegram
) -> None:
    await channel.feed(command_update(1, "/start cee-china"))
    await channel.feed(message_update(2, text="hello <world>"))
    await channel.feed(button_update(3, "m:1:y", message_id=501, query_id="q1"))
    await channel.feed(sticker_update(4))
    await channel.feed(message_update(5, text="invite"))
    await channel.feed(message_update(6, text="partner"))

    assert telegram.sent() == [
        send(ME, "<b>Welcome</b>, Ann &amp; co", WELCOME_KEYS),
        send(ME, "You said: hello &lt;world&gt;"),
        Call("answerCallbackQuery", {"callback_query_id": "q1", "text": "Saved"}),
        Call(
            "editMessageText",
            {"chat_id": ME, "message_id": 501, "text": "Chosen <i>m:1:y</i>", **HTML},
        ),
        send(ME, "I cannot read a sticker."),
        Call(
            "sendDocument",
            {
                "chat_id": ME,
                "document": ("meeting.ics", b"BEGIN:VCALENDAR"),
                "caption": "Your <b>invitation</b>",
                "parse_mode": "HTML",
            },
        ),
        send(PARTNER_CHAT, "Ann wants to meet"),
        send(ME, "Request sent"),
    ]
    kinds = [(e.kind, e.command or e.text or e.callback_data or e.content_type) for e in app.events]
    assert kinds == [
        (EventKind.COMMAND, "start"),
        (EventKind.TEXT, "hello <world>"),
        (EventKind.CALLBACK, "m:1:y"),
        (EventKind.OTHER, "sticker"),
        (EventKind.TEXT, "invite"),
        (EventKind.TEXT, "partner"),
    ]
    first, press = app.events[0], app.events[2]
    assert (first.user_id, first.chat_id, first.language_code, first.display_name) == (
        ME, ME, "zh-hans", "Ann Li",
    )  # fmt: skip
    assert first.command_args == "cee-china"
    assert press.message_id == 501


async def test_edit_that_telegram_refuses_is_sent_as_a_new_message(
    channel: Channel, telegram: FakeTelegram
) -> None:
    telegram.fail("editMessageText", 400, "Bad Request: message can't be edited")

    await channel.feed(button_update(1, "m:1:n", message_id=501, query_id="q9"))

    assert [c.method for c in telegram.sent()] == [
        "answerCallbackQuery",
        "editMessageText",
        "sendMessage",
    ]
    assert telegram.sent()[-1] == send(ME, "Chosen <i>m:1:n</i>")


async def test_flood_control_is_waited_out_and_the_message_sent(
    channel: Channel, telegram: FakeTelegram
) -> None:
    telegram.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)

    await channel.feed(message_update(1, text="hi"))

    assert telegram.sent() == [send(ME, "You said: hi"), send(ME, "You said: hi")]
    assert channel.waits == [1.0]


async def test_flood_control_gives_up_after_bounded_attempts(
    channel: Channel, telegram: FakeTelegram
) -> None:
    for _ in range(3):  # every attempt of the first message
        telegram.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)

    await channel.feed(message_update(1, text="hi"))
    await channel.feed(command_update(2, "/start"))

    texts = [c.params["text"] for c in telegram.sent()]
    assert texts == ["You said: hi"] * 3 + ["<b>Welcome</b>, Ann &amp; co"]
    assert channel.waits == [1.0, 1.0]


async def test_partner_who_blocked_the_bot_does_not_stop_the_sender_reply(
    channel: Channel, telegram: FakeTelegram
) -> None:
    telegram.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")

    await channel.feed(message_update(1, text="partner"))

    assert telegram.sent() == [
        send(PARTNER_CHAT, "Ann wants to meet"),
        send(ME, "Request sent"),
    ]


async def test_long_reply_is_split_with_buttons_on_the_last_part(
    channel: Channel, telegram: FakeTelegram
) -> None:
    await channel.feed(message_update(1, text="long"))

    calls = telegram.sent()
    assert [c.method for c in calls] == ["sendMessage"] * 3  # one paragraph each
    assert [c.params["text"] for c in calls] == [("word " * 500).strip()] * 3
    assert ["reply_markup" in c.params for c in calls] == [False, False, True]
    assert calls[-1].params["reply_markup"] == {
        "inline_keyboard": [[{"text": "Site", "url": "https://example.com"}]]
    }


async def test_job_replies_go_to_their_chats_one_failure_not_stopping_others(
    channel: Channel, telegram: FakeTelegram
) -> None:
    telegram.fail("sendMessage", 400, "Bad Request: chat not found")

    await channel.delivery.deliver(
        [Reply("Reminder", chat_id=5), Reply("Reminder 2", chat_id=5), Reply("Hi", chat_id=6)]
    )

    assert telegram.sent() == [send(5, "Reminder"), send(6, "Hi")]


async def test_button_press_is_answered_once_even_when_the_dialog_fails(
    channel: Channel, app: EchoApp, telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(event: object) -> None:
        raise RuntimeError("dialog bug")

    monkeypatch.setattr(app, "handle", broken)

    try:
        await channel.feed(button_update(1, "m:1:y", message_id=501, query_id="q2"))
    except RuntimeError:
        pass  # aiogram re-raises what no error handler took; PTB logs it

    assert telegram.sent() == [Call("answerCallbackQuery", {"callback_query_id": "q2"})]


async def test_messages_from_groups_and_edits_are_not_dialog_input(
    channel: Channel, app: EchoApp, telegram: FakeTelegram
) -> None:
    group = message_update(1, text="hello")
    group["message"]["chat"] = {"id": -100123, "type": "supergroup", "title": "Expo"}
    edited = message_update(2, text="hello again", edit_date=1)
    edited["edited_message"] = edited.pop("message")

    await channel.feed(group)
    await channel.feed(edited)

    assert app.events == []
    assert telegram.sent() == []


async def test_button_on_a_message_with_link_preview_options_is_handled(
    channel: Channel, telegram: FakeTelegram
) -> None:
    update = button_update(1, "m:1:y", message_id=501, query_id="q3")
    update["callback_query"]["message"]["link_preview_options"] = {"is_disabled": True}

    await channel.feed(update)

    assert [c.method for c in telegram.sent()] == ["answerCallbackQuery", "editMessageText"]
