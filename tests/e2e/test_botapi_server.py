"""Checks that the Bot API test server speaks the wire protocol aiogram 3 and PTB 22 expect."""

from __future__ import annotations

import asyncio
import html
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiogram import Bot as AiogramBot
from aiogram import Dispatcher, F
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonCommands,
    Message,
)
from aiohttp import web
from telegram import Bot as PtbBot
from telegram import BotCommand as PtbBotCommand
from telegram import InlineKeyboardButton as PtbButton
from telegram import InlineKeyboardMarkup as PtbMarkup
from telegram import Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, RetryAfter
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.e2e.botapi.client import BotApiServer, ControlError, MessageTimeout, TelegramUser

pytestmark = [pytest.mark.e2e, pytest.mark.asyncio, pytest.mark.timeout(30)]

JSON = dict[str, Any]


@pytest_asyncio.fixture
async def api() -> AsyncIterator[BotApiServer]:
    """A fresh in-process Bot API server."""
    async with BotApiServer() as server:
        yield server


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A plain HTTP client for raw wire checks."""
    async with aiohttp.ClientSession() as session:
        yield session


async def call(
    http: aiohttp.ClientSession, api: BotApiServer, method: str, **params: Any
) -> tuple[int, JSON]:
    """POST a Bot API method as JSON; return ``(status, body)``."""
    async with http.post(f"{api.api_url}/{method}", json=params) as response:
        return response.status, await response.json()


async def started_user(api: BotApiServer, **kwargs: Any) -> TelegramUser:
    """A user who already wrote /start (so the bot may message them)."""
    user = await api.user(**kwargs)
    await user.send("/start")
    return user


# ---------------------------------------------------------------------------
# Raw wire protocol
# ---------------------------------------------------------------------------


async def test_get_me_envelope_and_auth(api: BotApiServer, http: aiohttp.ClientSession) -> None:
    status, body = await call(http, api, "getMe")
    assert status == 200 and body["ok"] is True
    me = body["result"]
    assert me["is_bot"] is True and me["id"] == int(api.token.split(":")[0])
    assert me["username"] == "matchbot_test_bot" and me["can_join_groups"] is True

    async with http.get(f"{api.api_url}/getme") as response:  # case-insensitive, GET works
        assert response.status == 200

    status, body = await call(http, api, "noSuchMethod")
    assert status == 404
    assert body == {"ok": False, "error_code": 404, "description": "Not Found: method not found"}

    async with http.post(f"{api.base_url}/bot1:WRONGTOKEN-xxxxxxxx/getMe") as response:
        assert response.status == 401
        assert await response.json() == {
            "ok": False,
            "error_code": 401,
            "description": "Unauthorized",
        }


async def test_send_message_validation(api: BotApiServer, http: aiohttp.ClientSession) -> None:
    status, body = await call(http, api, "sendMessage", chat_id=999, text="hi")
    assert (status, body["description"]) == (400, "Bad Request: chat not found")

    user = await api.user(first_name="Ann")
    status, body = await call(http, api, "sendMessage", chat_id=user.id, text="hi")
    assert (status, body["description"]) == (
        403,
        "Forbidden: bot can't initiate conversation with a user",
    )
    await user.send("/start")

    status, body = await call(
        http, api, "sendMessage", chat_id=user.id, text="1 < 2", parse_mode="HTML"
    )
    assert status == 400 and body["error_code"] == 400
    assert body["description"].startswith(
        "Bad Request: can't parse entities: Unsupported start tag"
    )

    for bad in ("Tom & Jerry", "<b>open", "<b>x</i>", "<script>x</script>", '<a href="x>y'):
        status, body = await call(
            http, api, "sendMessage", chat_id=user.id, text=bad, parse_mode="HTML"
        )
        assert status == 400, bad
        assert body["description"].startswith("Bad Request: can't parse entities: "), bad

    status, body = await call(
        http, api, "sendMessage", chat_id=user.id, text="x" * 4097, parse_mode="HTML"
    )
    assert (status, body["description"]) == (400, "Bad Request: message is too long")
    status, body = await call(http, api, "sendMessage", chat_id=user.id, text="  \n")
    assert (status, body["description"]) == (400, "Bad Request: message text is empty")

    good = f"<b>Hi</b> {html.escape('Tom & <Jerry>')} <a href='https://x.org'>site</a>"
    status, body = await call(
        http, api, "sendMessage", chat_id=user.id, text=good, parse_mode="HTML"
    )
    assert status == 200
    message = body["result"]
    assert message["text"] == "Hi Tom & <Jerry> site"
    assert message["entities"] == [
        {"type": "bold", "offset": 0, "length": 2},
        {"type": "text_link", "offset": 17, "length": 4, "url": "https://x.org"},
    ]
    assert message["from"]["is_bot"] is True
    assert message["chat"] == {"id": user.id, "type": "private", "first_name": "Ann"}
    assert isinstance(message["date"], int) and abs(message["date"] - time.time()) < 5
    assert message["message_id"] == 2  # the user's /start was message 1 of the chat

    status, body = await call(http, api, "sendMessage", chat_id=user.id, text="x" * 4096)
    assert status == 200


async def test_inline_keyboard_validation(api: BotApiServer, http: aiohttp.ClientSession) -> None:
    user = await started_user(api)

    def markup(data: str) -> JSON:
        return {"inline_keyboard": [[{"text": "Go", "callback_data": data}]]}

    ok_data = "é" * 32  # 64 bytes in UTF-8
    status, body = await call(
        http, api, "sendMessage", chat_id=user.id, text="k", reply_markup=markup(ok_data)
    )
    assert status == 200 and body["result"]["reply_markup"] == markup(ok_data)

    for bad in ("é" * 32 + "x", "", "x" * 65):
        status, body = await call(
            http, api, "sendMessage", chat_id=user.id, text="k", reply_markup=markup(bad)
        )
        assert (status, body["description"]) == (400, "Bad Request: BUTTON_DATA_INVALID")

    url_button = {"inline_keyboard": [[{"text": "Cal", "url": "http://localhost:8080/x.ics"}]]}
    status, body = await call(
        http, api, "sendMessage", chat_id=user.id, text="k", reply_markup=url_button
    )
    assert status == 400 and body["description"].endswith("Wrong HTTP URL")
    url_button["inline_keyboard"][0][0]["url"] = "https://example.org/x.ics"
    status, _ = await call(
        http, api, "sendMessage", chat_id=user.id, text="k", reply_markup=url_button
    )
    assert status == 200

    # form-urlencoded with reply_markup as a JSON string, as aiogram/PTB send it
    form = {
        "chat_id": str(user.id),
        "text": "reply kb",
        "reply_markup": json.dumps({"keyboard": [["A", {"text": "B"}]], "resize_keyboard": True}),
    }
    async with http.post(f"{api.api_url}/sendMessage", data=form) as response:
        assert response.status == 200
        result = (await response.json())["result"]
    assert "reply_markup" not in result  # Telegram echoes only inline keyboards
    assert await user.reply_keyboard() == ["A", "B"]
    form["reply_markup"] = json.dumps({"remove_keyboard": True})
    async with http.post(f"{api.api_url}/sendMessage", data=form) as response:
        assert response.status == 200
    assert await user.reply_keyboard() == []


async def test_edit_delete_and_not_modified(api: BotApiServer, http: aiohttp.ClientSession) -> None:
    user = await started_user(api)
    kb = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    _, body = await call(http, api, "sendMessage", chat_id=user.id, text="v1", reply_markup=kb)
    mid = body["result"]["message_id"]

    status, body = await call(
        http, api, "editMessageText", chat_id=user.id, message_id=mid, text="v1", reply_markup=kb
    )
    assert status == 400 and body["description"].startswith("Bad Request: message is not modified")

    status, body = await call(
        http,
        api,
        "editMessageText",
        chat_id=user.id,
        message_id=mid,
        text="<i>v2</i>",
        parse_mode="HTML",
    )
    assert status == 200 and body["result"]["text"] == "v2" and "edit_date" in body["result"]
    assert "reply_markup" not in body["result"]  # omitted markup removes the keyboard

    status, body = await call(
        http, api, "editMessageReplyMarkup", chat_id=user.id, message_id=mid, reply_markup=kb
    )
    assert status == 200 and body["result"]["reply_markup"] == kb
    [message] = await user.messages()
    assert message.text == "v2" and message.edited and message.button_texts == ["A"]

    status, body = await call(
        http, api, "editMessageText", chat_id=user.id, message_id=99, text="x"
    )
    assert (status, body["description"]) == (400, "Bad Request: message to edit not found")
    status, body = await call(http, api, "deleteMessage", chat_id=user.id, message_id=mid)
    assert (status, body["result"]) == (200, True)
    status, body = await call(http, api, "deleteMessage", chat_id=user.id, message_id=mid)
    assert (status, body["description"]) == (400, "Bad Request: message to delete not found")
    assert await user.messages() == []


async def test_get_updates_long_poll_offsets_and_webhook_conflict(
    api: BotApiServer, http: aiohttp.ClientSession
) -> None:
    started = time.monotonic()
    status, body = await call(http, api, "getUpdates", timeout=1)
    assert (status, body["result"]) == (200, [])
    assert 0.9 <= time.monotonic() - started < 3  # the timeout is honoured

    user = await api.user()

    async def later() -> None:
        await asyncio.sleep(0.3)
        await user.send("/start ref-42")

    sender = asyncio.create_task(later())
    started = time.monotonic()
    status, body = await call(http, api, "getUpdates", timeout=5)
    await sender
    assert time.monotonic() - started < 2  # returned as soon as the update arrived
    [update] = body["result"]
    message = update["message"]
    assert message["text"] == "/start ref-42"
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert message["from"]["id"] == user.id and message["chat"]["type"] == "private"

    # not confirmed yet -> delivered again; offset confirms
    _, body = await call(http, api, "getUpdates")
    assert [u["update_id"] for u in body["result"]] == [update["update_id"]]
    _, body = await call(http, api, "getUpdates", offset=update["update_id"] + 1)
    assert body["result"] == []
    assert await api.control.pending_updates() == []

    status, body = await call(http, api, "setWebhook", url="ftp://example.org/hook")
    assert status == 400
    status, body = await call(http, api, "setWebhook", url="http://127.0.0.1:9/hook")
    assert (status, body["result"]) == (200, True)
    status, body = await call(http, api, "getUpdates")
    assert status == 409 and body["error_code"] == 409
    assert body["description"].startswith("Conflict: can't use getUpdates method while webhook")
    _, body = await call(http, api, "getWebhookInfo")
    assert body["result"]["url"] == "http://127.0.0.1:9/hook"
    await call(http, api, "deleteWebhook")
    status, _ = await call(http, api, "getUpdates")
    assert status == 200


async def test_concurrent_get_updates_conflict(
    api: BotApiServer, http: aiohttp.ClientSession
) -> None:
    first = asyncio.create_task(call(http, api, "getUpdates", timeout=5))
    await asyncio.sleep(0.2)
    second = asyncio.create_task(call(http, api, "getUpdates", timeout=0))
    status, body = await first
    assert status == 409 and "terminated by other getUpdates request" in body["description"]
    assert (await second)[0] == 200


async def test_webhook_delivery_with_secret_retry_and_reply(api: BotApiServer) -> None:
    received: list[tuple[str | None, JSON]] = []
    failures = {"left": 1}

    async def hook(request: web.Request) -> web.Response:
        if failures["left"]:
            failures["left"] -= 1
            return web.Response(status=500)
        update = await request.json()
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), update))
        chat_id = update["message"]["chat"]["id"]
        # answer with a method in the webhook response, as aiogram can do
        return web.json_response({"method": "sendMessage", "chat_id": chat_id, "text": "hooked"})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession() as http:
            status, _ = await call(
                http, api, "setWebhook", url=f"http://127.0.0.1:{port}/hook", secret_token="s3cr-t"
            )
            assert status == 200
            user = await api.user()
            await user.send("hello")
            reply = await user.wait_message(contains="hooked", timeout=5)
            assert reply.text == "hooked"
            assert received[0][0] == "s3cr-t"
            assert received[0][1]["message"]["text"] == "hello"
            info = await api.control.webhook()
            assert info["pending_update_count"] == 0
            assert info["last_error_message"] == "Wrong response from the webhook: 500"
            await call(http, api, "deleteWebhook")
    finally:
        await runner.cleanup()


async def test_rate_limit_injection(api: BotApiServer, http: aiohttp.ClientSession) -> None:
    user = await started_user(api)
    await api.rate_limit("sendMessage", count=2, retry_after=3)
    for _ in range(2):
        status, body = await call(http, api, "sendMessage", chat_id=user.id, text="x")
        assert status == 429
        assert body == {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 3",
            "parameters": {"retry_after": 3},
        }
    status, _ = await call(http, api, "sendMessage", chat_id=user.id, text="x")
    assert status == 200
    log = await api.calls("sendMessage")
    assert [entry["status"] for entry in log] == [429, 429, 200]
    assert log[-1]["params"] == {"chat_id": user.id, "text": "x"}


async def test_user_side_updates_and_control_errors(api: BotApiServer) -> None:
    user = await started_user(api, first_name="Zoe", language_code="uk", username="zoe")
    assert api.server is not None
    await user.send_sticker("🔥")
    await user.send_photo(caption="me")
    await user.send_document("a,b\n1,2\n", file_name="x.csv", mime_type="text/csv")
    updates = await api.control.pending_updates()
    messages = [u["message"] for u in updates]
    assert messages[0]["from"]["language_code"] == "uk"
    assert messages[1]["sticker"]["emoji"] == "🔥" and messages[1]["sticker"]["type"] == "regular"
    assert len(messages[2]["photo"]) == 2 and messages[2]["caption"] == "me"
    assert messages[3]["document"]["file_name"] == "x.csv"
    with pytest.raises(ControlError) as error:
        await api.control.press_button(user.id, 1, data="nope")
    assert error.value.status == 400
    with pytest.raises(MessageTimeout):
        await user.wait_message(timeout=0.2)


# ---------------------------------------------------------------------------
# aiogram
# ---------------------------------------------------------------------------


def aiogram_bot(api: BotApiServer) -> AiogramBot:
    """A real aiogram Bot pointed at the test server."""

    session = AiohttpSession(api=TelegramAPIServer.from_base(api.base_url))
    return AiogramBot(api.token, session=session, default=DefaultBotProperties(parse_mode="HTML"))


async def test_aiogram_bot_methods(api: BotApiServer) -> None:

    user = await started_user(api, first_name="Ada")
    bot = aiogram_bot(api)
    try:
        me = await bot.get_me()
        assert me.is_bot and me.username == "matchbot_test_bot"
        markup = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Yes", callback_data="vote:yes")]]
        )
        sent = await bot.send_message(user.id, "<b>Vote?</b>", reply_markup=markup)
        assert sent.text == "Vote?" and sent.entities and sent.entities[0].type == "bold"
        assert sent.reply_markup is not None and sent.chat.id == user.id
        assert sent.reply_markup.inline_keyboard[0][0].callback_data == "vote:yes"

        with pytest.raises(TelegramBadRequest, match="can't parse entities"):
            await bot.send_message(user.id, "a < b")

        query = await user.press("Yes")
        assert query["data"] == "vote:yes" and query["message"]["message_id"] == sent.message_id
        assert await bot.answer_callback_query(query["id"], text="Thanks!")
        assert (await user.wait_callback_answer(query))["text"] == "Thanks!"
        with pytest.raises(TelegramBadRequest, match="query is too old"):
            await bot.answer_callback_query(query["id"])

        edited = await bot.edit_message_text("Voted", chat_id=user.id, message_id=sent.message_id)
        assert not isinstance(edited, bool) and edited.text == "Voted"
        assert (await user.wait_message(include_edits=True)).text == "Voted"

        doc = await bot.send_document(
            user.id,
            BufferedInputFile(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", filename="meet.ics"),
            caption="Your <i>meeting</i>",
        )
        assert doc.document is not None and doc.document.file_name == "meet.ics"
        assert doc.caption == "Your meeting"
        file = await bot.get_file(doc.document.file_id)
        assert file.file_path is not None
        downloaded = await bot.download_file(file.file_path)
        assert downloaded is not None
        downloaded_bytes = downloaded.read()
        assert downloaded_bytes.startswith(b"BEGIN:VCALENDAR")
        last = await user.last_message()
        assert last is not None and last.document is not None
        assert await api.control.file_bytes(last.document["file_id"]) == downloaded_bytes

        commands = [
            BotCommand(command="start", description="Start"),
            BotCommand(command="help", description="Help"),
        ]
        assert await bot.set_my_commands(commands)
        assert await bot.set_my_commands(
            [BotCommand(command="start", description="Starten")],
            scope=BotCommandScopeAllPrivateChats(),
            language_code="de",
        )
        assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
        assert (await bot.get_my_commands(language_code="de")) == []
        listed = await api.commands()
        assert {(c["scope"]["type"], c["language_code"]) for c in listed} == {
            ("default", ""),
            ("all_private_chats", "de"),
        }
        assert await bot.delete_my_commands()
        assert await bot.get_my_commands() == []
        with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
            await bot.set_my_commands([BotCommand(command="Bad-Name", description="x")])

        assert await bot.set_chat_menu_button(user.id, MenuButtonCommands())
        assert await bot.send_chat_action(user.id, "typing")
        chat = await bot.get_chat(user.id)
        assert chat.first_name == "Ada" and chat.type == "private"
        assert await bot.delete_message(user.id, sent.message_id)
        methods = [c["method"] for c in await api.calls()]
        assert "sendChatAction" in methods and "setChatMenuButton" in methods
    finally:
        await bot.session.close()


async def test_aiogram_rate_limit_retry(api: BotApiServer) -> None:

    user = await started_user(api)
    bot = aiogram_bot(api)
    try:
        await api.rate_limit("sendMessage", count=1, retry_after=1)
        attempts = 0
        started = time.monotonic()
        while True:
            attempts += 1
            try:
                message = await bot.send_message(user.id, "after flood")
                break
            except TelegramRetryAfter as exc:
                assert exc.retry_after == 1
                await asyncio.sleep(exc.retry_after)
        assert attempts == 2 and message.text == "after flood"
        assert time.monotonic() - started >= 1
    finally:
        await bot.session.close()


async def test_aiogram_polling_echo_and_callback(api: BotApiServer) -> None:
    bot = aiogram_bot(api)
    dp = Dispatcher()

    @dp.message(F.text)
    async def echo(message: Message) -> None:
        markup = InlineKeyboardMarkup(
            inline_keyboard=[[InlineKeyboardButton(text="Ping", callback_data="ping")]]
        )
        await message.answer(f"echo: {html.escape(message.text or '')}", reply_markup=markup)

    @dp.callback_query(F.data == "ping")
    async def on_ping(query: CallbackQuery) -> None:
        await query.answer("pong")
        assert isinstance(query.message, Message)
        await query.message.edit_text("pressed")

    polling = asyncio.create_task(
        dp.start_polling(bot, polling_timeout=1, handle_signals=False, close_bot_session=False)
    )
    try:
        first_poll = await api.wait_polling(wait_for=5)
        assert str(first_poll["params"].get("timeout")) == "1"
        alice = await api.user(first_name="Alice")
        await alice.send("hi <there> & you")
        reply = await alice.wait_message(contains="echo:", timeout=5)
        assert reply.text == "echo: hi <there> & you" and reply.button_texts == ["Ping"]
        query = await alice.press("Ping")
        assert (await alice.wait_callback_answer(query, timeout=5))["text"] == "pong"
        edited = await alice.wait_message(include_edits=True, timeout=5)
        assert edited.text == "pressed" and not edited.has_buttons
        await alice.send("/start")
        assert (await alice.wait_message(timeout=5)).text == "echo: /start"
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(polling, 5)
        await bot.session.close()
    polls = await api.calls("getUpdates")
    assert polls and all(str(c["params"].get("timeout")) == "1" for c in polls)
    offsets = [int(c["params"]["offset"]) for c in polls if "offset" in c["params"]]
    assert offsets == sorted(offsets) and offsets[-1] >= 3  # updates 1..3 were confirmed


# ---------------------------------------------------------------------------
# python-telegram-bot
# ---------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_ptb_bot_methods(api: BotApiServer) -> None:

    user = await started_user(api, first_name="Bob")
    async with PtbBot(
        api.token, base_url=api.ptb_base_url, base_file_url=api.ptb_base_file_url
    ) as bot:
        me = await bot.get_me()
        assert me.is_bot and me.username == "matchbot_test_bot"
        markup = PtbMarkup([[PtbButton("Go", callback_data="go")]])
        sent = await bot.send_message(
            user.id, "<b>Hello</b> &amp; bye", parse_mode=ParseMode.HTML, reply_markup=markup
        )
        assert sent.text == "Hello & bye" and sent.reply_markup == markup
        with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
            await bot.send_message(
                user.id,
                "x",
                reply_markup=PtbMarkup([[PtbButton("Go", callback_data="x" * 65)]]),
            )
        query = await user.press("Go", sent.message_id)
        assert await bot.answer_callback_query(query["id"], text="ok")
        edited = await bot.edit_message_text("Bye", chat_id=user.id, message_id=sent.message_id)
        assert not isinstance(edited, bool) and edited.text == "Bye"
        doc = await bot.send_document(user.id, b"hello file", filename="hello.txt")
        assert doc.document is not None and doc.document.file_name == "hello.txt"
        tg_file = await bot.get_file(doc.document.file_id)
        assert bytes(await tg_file.download_as_bytearray()) == b"hello file"
        assert await bot.set_my_commands([PtbBotCommand("start", "Start")], language_code="en")
        assert [c.command for c in await bot.get_my_commands(language_code="en")] == ["start"]
        assert await bot.send_chat_action(user.id, "typing")
        await api.rate_limit("sendMessage", retry_after=2)
        with pytest.raises(RetryAfter):
            await bot.send_message(user.id, "flood")
    assert [m.text for m in await user.messages()] == ["Bye", ""]


async def test_ptb_polling_echo_and_callback(api: BotApiServer) -> None:

    application = (
        ApplicationBuilder()
        .token(api.token)
        .base_url(api.ptb_base_url)
        .base_file_url(api.ptb_base_file_url)
        .build()
    )

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"start args={context.args}")

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        markup = PtbMarkup([[PtbButton("Ping", callback_data="ping")]])
        await update.effective_message.reply_text(
            f"echo: {update.effective_message.text}", reply_markup=markup
        )

    async def on_ping(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("pong")
        await query.edit_message_text("pressed")

    application.add_handler(CommandHandler("start", start))
    application.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    application.add_handler(CallbackQueryHandler(on_ping, pattern="^ping$"))

    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(timeout=1, poll_interval=0)
        try:
            bob = await api.user(first_name="Bob", language_code="fr")
            await bob.start("ref-7")
            assert (await bob.wait_message(timeout=5)).text == "start args=['ref-7']"
            await bob.send("bonjour")
            reply = await bob.wait_message(contains="echo", timeout=5)
            assert reply.text == "echo: bonjour"
            query = await bob.press("Ping")
            assert (await bob.wait_callback_answer(query, timeout=5))["text"] == "pong"
            assert (await bob.wait_message(include_edits=True, timeout=5)).text == "pressed"
        finally:
            await application.updater.stop()
            await application.stop()
    # PTB's shutdown confirms the last offset: nothing left pending
    assert await api.control.pending_updates() == []
    polls = await api.calls("getUpdates")
    assert any(str(c["params"].get("timeout")) == "1" for c in polls)


# ---------------------------------------------------------------------------
# Separate process
# ---------------------------------------------------------------------------


async def test_server_as_subprocess() -> None:
    async with BotApiServer(subprocess=True) as api, aiohttp.ClientSession() as http:
        assert api.server is None and api.port > 0
        status, body = await call(http, api, "getMe")
        assert status == 200 and body["result"]["is_bot"]
        user = await started_user(api)
        status, _ = await call(http, api, "sendMessage", chat_id=user.id, text="from process")
        assert status == 200
        assert (await user.wait_message(timeout=5)).text == "from process"
