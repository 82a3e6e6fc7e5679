"""A chat harness over the fakes: users send commands, text and button presses to a Dialog."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import pytest

from handlers.engine import Dialog
from handlers.types import Button, EventKind, Reply, Response, UserEvent
from tests.fakes import FakeWorld, make_company, make_world

ADMIN_ID = 999


@dataclass
class Chat:
    """One Telegram user talking to the dialog."""

    dialog: Dialog
    user_id: int
    __test__ = False
    language_code: str | None = "en"
    last: Response = field(default_factory=Response)
    message_id: int = 100

    async def _send(self, **kw: Any) -> Response:
        event = UserEvent(
            user_id=self.user_id,
            chat_id=self.user_id,
            language_code=self.language_code,
            display_name="Test",
            **kw,
        )
        self.last = await self.dialog.handle(event)
        check_response(self.last)
        return self.last

    async def cmd(self, text: str) -> Response:
        return await self._send(kind=EventKind.COMMAND, text=text)

    async def say(self, text: str) -> Response:
        return await self._send(kind=EventKind.TEXT, text=text)

    async def press(self, data: str) -> Response:
        self.message_id += 1
        return await self._send(
            kind=EventKind.CALLBACK, callback_data=data, message_id=self.message_id
        )

    async def tap(self, label: str) -> Response:
        """Press the button whose text contains `label` in the last response."""
        return await self.press(find_button(self.last, label).data)

    async def send_sticker(self) -> Response:
        return await self._send(kind=EventKind.OTHER, content_type="sticker")

    async def state(self) -> dict[str, Any]:
        raw = await self.dialog.states.load(self.user_id)
        return raw or {}


TELEGRAM_TAGS = {"b", "i", "u", "s", "a", "code", "pre", "blockquote", "tg-spoiler"}


class _TagChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        assert tag in TELEGRAM_TAGS, f"tag <{tag}> is not Telegram HTML"
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"unbalanced </{tag}>"
        self.stack.pop()


def check_response(response: Response) -> None:
    """Assert what every response must satisfy: Telegram HTML, short callback data."""
    for reply in response.replies:
        checker = _TagChecker()
        checker.feed(reply.text)
        checker.close()
        assert not checker.stack, f"unclosed tags {checker.stack} in {reply.text!r}"
        for row in reply.buttons:
            for button in row:
                assert button.text
                assert button.data or button.url
                assert len(button.data.encode("utf-8")) < 64


def own(response: Response) -> list[Reply]:
    """Return the replies for the chat that sent the event."""
    return [r for r in response.replies if r.chat_id is None]


def to(response: Response, chat_id: int) -> list[Reply]:
    """Return the replies addressed to another chat."""
    return [r for r in response.replies if r.chat_id == chat_id]


def text_of(response: Response) -> str:
    """Return all own reply texts joined."""
    return "\n".join(r.text for r in own(response))


def buttons(response: Response) -> list[Button]:
    """Return every button of every reply."""
    return [b for r in response.replies for row in r.buttons for b in row]


def find_button(response: Response, label: str) -> Button:
    """Return the first button whose text contains `label` (or whose data equals it)."""
    for b in buttons(response):
        if label in b.text or b.data == label:
            return b
    raise AssertionError(f"no button {label!r} in {[b.text for b in buttons(response)]}")


@pytest.fixture
def world() -> FakeWorld:
    return make_world()


@pytest.fixture
def dialog(world: FakeWorld) -> Dialog:
    return Dialog(world.services, world.dialogs, admin_ids={ADMIN_ID}, event_code="cee-china")


@pytest.fixture
def chat(dialog: Dialog) -> Chat:
    return Chat(dialog, 1001)


async def register(
    chat: Chat,
    *,
    name: str = "Baltic Amber Ltd",
    country: str = "PL",
    offer: str = "We make amber jewellery and sell it wholesale.",
    need: str = "We look for jewellery distributors and retail shops in China.",
    languages: tuple[str, ...] = ("en",),
    locale: str = "en",
) -> Response:
    """Walk through the whole intake with valid answers and save."""
    await chat.cmd("/start")
    await chat.press(f"st:lang:{locale}")
    await chat.say(name)
    await chat.press(f"in:country:c:{country}")
    await chat.press("in:tz:ok")
    await chat.say("Gdańsk")
    await chat.say(", ".join(languages))
    await chat.press("in:section:s:0")
    await chat.press("in:ptype:p:0")
    await chat.say(offer)
    await chat.say(need)
    await chat.press("in:size:s:small")
    await chat.say("amber.example.com")
    await chat.say("anna@amber.example.com, +48 600 000 000")
    return await chat.press("in:summary:ok")


__all__ = ["ADMIN_ID", "Chat", "make_company", "register"]
