"""Fakes for the channel tests: a canned Bot API, HTTP layers that record into it, an echo App.

No network: aiogram gets a `BaseSession` and python-telegram-bot a `BaseRequest` whose requests
go to `FakeTelegram`, which records `(method, params)` the way the Bot API would receive them
and answers like Telegram (including errors queued with `fail`).
"""

from __future__ import annotations

import asyncio
import html
import json
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import TelegramMethod
from telegram.request import BaseRequest, RequestData

from bot.config import Settings
from handlers.types import Button, Document, EventKind, Reply, Response, UserEvent

TOKEN = "123456:TEST-token"
ANN = {
    "id": 1001,
    "is_bot": False,
    "first_name": "Ann",
    "last_name": "Li",
    "language_code": "zh-hans",
}
PARTNER_CHAT = 777


@dataclass
class Call:
    """One Bot API request as Telegram would receive it."""

    method: str
    params: dict[str, Any]


@dataclass
class FakeTelegram:
    """A canned Bot API: records every call and answers it like Telegram."""

    calls: list[Call] = field(default_factory=list)
    failures: dict[str, list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    updates: list[dict[str, Any]] = field(default_factory=list)
    next_message_id: int = 500
    job_replies: list[Reply] = field(default_factory=list)

    def fail(
        self, method: str, status: int, description: str, retry_after: int | None = None
    ) -> None:
        """Make the next call of `method` fail like Telegram does."""
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if retry_after is not None:
            body["parameters"] = {"retry_after": retry_after}
        self.failures.setdefault(method, []).append((status, body))

    def sent(self, *, skip: tuple[str, ...] = ("getMe", "getUpdates")) -> list[Call]:
        """Return the calls made, without the polling chatter."""
        return [call for call in self.calls if call.method not in skip]

    async def respond(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Record a call and return (HTTP status, JSON body)."""
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            pending = [u for u in self.updates if u["update_id"] >= offset]
            if not pending and params.get("timeout"):
                await asyncio.sleep(0.01)
            self.calls.append(Call(method, params))
            return 200, {"ok": True, "result": pending[: int(params.get("limit") or 100)]}
        self.calls.append(Call(method, params))
        if self.failures.get(method):
            return self.failures[method].pop(0)
        return 200, {"ok": True, "result": self._result(method, params)}

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {"id": 42, "is_bot": True, "first_name": "Matchbot", "username": "matchbot_test"}
        if method in ("sendMessage", "sendDocument", "editMessageText"):
            self.next_message_id += 1
            message: dict[str, Any] = {
                "message_id": params.get("message_id", self.next_message_id),
                "date": 0,
                "chat": {"id": int(params["chat_id"]), "type": "private"},
            }
            if method == "sendDocument":
                message["document"] = {"file_id": "f", "file_unique_id": "u"}
            else:
                message["text"] = params["text"]
            return message
        return True


class RecordingSession(BaseSession):
    """aiogram session that sends every request to a FakeTelegram."""

    def __init__(self, telegram: FakeTelegram) -> None:
        super().__init__()
        self.telegram = telegram

    async def close(self) -> None:
        """Close nothing: there is no connection."""

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[Any],
        timeout: int | None = None,  # noqa: ASYNC109 - BaseSession's signature
    ) -> Any:
        """Record the request as the Bot API would see it and return the canned result."""
        files: dict[str, Any] = {}
        params = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            if prepared is not None:
                params[key] = json.loads(json.dumps(prepared))  # str enums become str
        for key, value in list(params.items()):
            if isinstance(value, str) and value.startswith("attach://"):
                upload = files[value.removeprefix("attach://")]
                params[key] = (
                    upload.filename,
                    b"".join([chunk async for chunk in upload.read(bot)]),
                )
        status, body = await self.telegram.respond(method.__api_method__, params)
        response = self.check_response(bot, method, status, json.dumps(body))
        return response.result

    async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncGenerator[bytes, None]:
        """Stream nothing."""
        yield b""


class RecordingRequest(BaseRequest):
    """python-telegram-bot request that sends every call to a FakeTelegram."""

    def __init__(self, telegram: FakeTelegram) -> None:
        self.telegram = telegram

    async def initialize(self) -> None:
        """Open nothing."""

    async def shutdown(self) -> None:
        """Close nothing."""

    @property
    def read_timeout(self) -> float | None:
        """Return no timeout."""
        return None

    async def do_request(
        self, url: str, method: str, request_data: RequestData | None = None, **timeouts: Any
    ) -> tuple[int, bytes]:
        """Record the request as the Bot API would see it and return the canned answer."""
        params = dict(request_data.parameters) if request_data else {}
        if request_data is not None and request_data.contains_files:
            for key, (filename, content, *_) in request_data.multipart_data.items():
                params[key] = (filename, content)
        status, body = await self.telegram.respond(url.rsplit("/", 1)[-1], params)
        return status, json.dumps(body).encode()


class EchoApp:
    """A tiny dialog with every kind of reply the real one produces."""

    def __init__(self, settings: Settings, telegram: FakeTelegram | None = None) -> None:
        self.settings = settings
        self.telegram = telegram
        self.events: list[UserEvent] = []
        self.started = 0
        self.stopped = 0

    async def start(self) -> None:
        """Count the start."""
        self.started += 1

    async def stop(self) -> None:
        """Count the stop."""
        self.stopped += 1

    async def handle(self, event: UserEvent) -> Response:
        """Answer the scripted conversation."""
        self.events.append(event)
        if event.kind is EventKind.COMMAND:
            keys = ((Button("Accept", "m:1:y"), Button("Decline", "m:1:n")),)
            return Response([Reply("<b>Welcome</b>, Ann &amp; co", buttons=keys)])
        if event.kind is EventKind.CALLBACK:
            return Response(
                [Reply(f"Chosen <i>{event.callback_data}</i>", edit=True)], toast="Saved"
            )
        if event.kind is EventKind.OTHER:
            return Response([Reply(f"I cannot read a {event.content_type}.")])
        if event.text == "invite":
            ics = Document("meeting.ics", b"BEGIN:VCALENDAR", "text/calendar")
            return Response([Reply("Your <b>invitation</b>", document=ics)])
        if event.text == "partner":
            return Response(
                [Reply("Ann wants to meet", chat_id=PARTNER_CHAT), Reply("Request sent")]
            )
        if event.text == "long":
            para = "word " * 500
            link = (Button("Site", url="https://example.com"),)
            return Response([Reply("\n\n".join([para] * 3), buttons=(link,))])
        return Response([Reply(f"You said: {html.escape(event.text)}")])

    async def run_due_jobs(self) -> list[Reply]:
        """Return the replies queued on the fake Telegram, once."""
        if self.telegram is None:
            return []
        replies, self.telegram.job_replies = self.telegram.job_replies, []
        return replies

    def bot_commands(self, locale: str) -> list[tuple[str, str]]:
        """Return a menu naming its locale."""
        return [("start", f"Start ({locale})"), ("matches", f"Matches ({locale})")]

    def supported_locales(self) -> list[str]:
        """Return locales that exercise the Telegram code mapping."""
        return ["en", "zh_Hans", "zh_Hant", "pl", "sr_Latn"]


def message_update(update_id: int, **content: Any) -> dict[str, Any]:
    """Return an update with a message from Ann."""
    message = {"message_id": update_id, "date": 0, "chat": {"id": ANN["id"], "type": "private"}}
    return {"update_id": update_id, "message": {**message, "from": ANN, **content}}


def command_update(update_id: int, text: str) -> dict[str, Any]:
    """Return an update with a command from Ann."""
    entity = {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
    return message_update(update_id, text=text, entities=[entity])


def sticker_update(update_id: int) -> dict[str, Any]:
    """Return an update with a sticker from Ann."""
    sticker = {
        "file_id": "s", "file_unique_id": "su", "type": "regular", "width": 512,
        "height": 512, "is_animated": False, "is_video": False,
    }  # fmt: skip
    return message_update(update_id, sticker=sticker)


def button_update(update_id: int, data: str, message_id: int, query_id: str) -> dict[str, Any]:
    """Return an update with Ann pressing a button on one of the bot's messages."""
    message = {
        "message_id": message_id,
        "date": 0,
        "chat": {"id": ANN["id"], "type": "private"},
        "from": {"id": 42, "is_bot": True, "first_name": "Matchbot"},
        "text": "Welcome",
    }
    query = {"id": query_id, "from": ANN, "chat_instance": "ci", "message": message, "data": data}
    return {"update_id": update_id, "callback_query": query}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Return settings for a bot on a Bot API server nobody listens to."""
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        telegram_token=TOKEN,
        telegram_api_url="http://127.0.0.1:9",
        data_dir=tmp_path,
        webhook_url="https://bot.example.com/tg/hook",
        webhook_host="127.0.0.1",
        webhook_secret="s3cret",
    )


@pytest.fixture
def telegram() -> FakeTelegram:
    """Return a fresh canned Bot API."""
    return FakeTelegram()


@pytest.fixture
def app(settings: Settings, telegram: FakeTelegram) -> EchoApp:
    """Return the echo App."""
    return EchoApp(settings, telegram)


@pytest.fixture
async def sleeps() -> AsyncIterator[list[float]]:
    """Collect the waits a Delivery asks for instead of sleeping."""
    yield []
