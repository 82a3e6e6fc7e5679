"""Test-side helpers for the Telegram Bot API test server.

* :class:`BotApiServer` -- async context manager that runs a :class:`TelegramServer` on
  ``127.0.0.1`` (free port) in the test's event loop, or as a separate process.
* :class:`ControlClient` -- thin HTTP client of the ``/_test`` control API (works with an
  in-process server and with one started as ``python -m tests.e2e.botapi.server``).
* :class:`TelegramUser` -- plays a human in a private chat with the bot: send text and
  commands, press inline buttons, wait for the bot's answers.
* :class:`BotMessage` -- a message of the bot as seen by the user (current text after
  edits, buttons, reply keyboard, document...).

Example::

    async with BotApiServer() as api:
        # start the bot with base URL api.base_url and token api.token ...
        alice = await api.user(first_name="Alice", language_code="de")
        await alice.send("/start")
        hello = await alice.wait_message(contains="Willkommen")
        await alice.press("English", hello)
        await alice.wait_message(contains="Welcome", include_edits=True)
"""

from __future__ import annotations

import asyncio
import base64
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import aiohttp
from aiohttp import web

from .server import DEFAULT_TOKEN, TelegramServer, serve

__all__ = [
    "BotApiServer",
    "BotMessage",
    "ButtonSpec",
    "ControlClient",
    "ControlError",
    "MessageTimeout",
    "TelegramUser",
]

JSON = dict[str, Any]
ButtonSpec = str | Callable[[JSON], bool]
"""A button selector: its visible text (or, failing that, its ``callback_data``), or a
predicate over the ``InlineKeyboardButton`` dict."""

_REPO_ROOT = Path(__file__).resolve().parents[3]


class ControlError(RuntimeError):
    """The control API refused a request (status and description from the server)."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(f"{status}: {description}")
        self.status = status
        self.description = description


class MessageTimeout(AssertionError):
    """No matching bot message arrived in time (the message lists what the chat holds)."""


@dataclass
class BotMessage:
    """A bot message as stored by the server (its current version).

    Attributes:
        message_id: Message id (per chat).
        chat_id: Private chat id (= user id).
        raw: The Bot API ``Message`` object.
        seq: Server change sequence number of the last send/edit/delete.
        created_seq: Sequence number of the creation.
        deleted: Deleted by the bot.
        history: Previous versions (oldest first); non-empty means edited.
        reply_keyboard: Non-inline ``reply_markup`` sent with the message, if any.
        from_bot: False for the user's own messages (``include_user`` listings).
    """

    message_id: int
    chat_id: int
    raw: JSON
    seq: int = 0
    created_seq: int = 0
    deleted: bool = False
    history: list[JSON] = field(default_factory=list)
    reply_keyboard: JSON | None = None
    from_bot: bool = True

    @classmethod
    def from_record(cls, record: JSON) -> BotMessage:
        """Build from a control-API message record."""
        return cls(
            message_id=int(record["message_id"]),
            chat_id=int(record["chat_id"]),
            raw=record["message"],
            seq=int(record.get("seq", 0)),
            created_seq=int(record.get("created_seq", 0)),
            deleted=bool(record.get("deleted")),
            history=list(record.get("history") or []),
            reply_keyboard=record.get("reply_keyboard"),
            from_bot=bool(record.get("from_bot", True)),
        )

    @property
    def text(self) -> str:
        """Plain text (HTML already turned into entities) or caption; ``""`` if none."""
        return str(self.raw.get("text") or self.raw.get("caption") or "")

    @property
    def caption(self) -> str | None:
        """Caption of a document/photo message."""
        return self.raw.get("caption")

    @property
    def entities(self) -> list[JSON]:
        """Text or caption entities."""
        return list(self.raw.get("entities") or self.raw.get("caption_entities") or [])

    @property
    def date(self) -> int:
        """Unix time in seconds."""
        return int(self.raw["date"])

    @property
    def edited(self) -> bool:
        """Whether the bot edited the message."""
        return bool(self.history)

    @property
    def reply_markup(self) -> JSON | None:
        """Inline keyboard markup echoed in the Message, if any."""
        return self.raw.get("reply_markup")

    @property
    def button_rows(self) -> list[list[JSON]]:
        """Inline keyboard rows."""
        return [list(row) for row in (self.reply_markup or {}).get("inline_keyboard", [])]

    @property
    def buttons(self) -> list[JSON]:
        """All inline buttons, row by row."""
        return [button for row in self.button_rows for button in row]

    @property
    def button_texts(self) -> list[str]:
        """Visible texts of the inline buttons."""
        return [str(button.get("text", "")) for button in self.buttons]

    @property
    def has_buttons(self) -> bool:
        """Whether the message carries an inline keyboard."""
        return bool(self.buttons)

    @property
    def reply_keyboard_texts(self) -> list[str]:
        """Texts of the reply-keyboard buttons sent with this message."""
        rows = (self.reply_keyboard or {}).get("keyboard") or []
        return [b if isinstance(b, str) else str(b.get("text", "")) for row in rows for b in row]

    @property
    def document(self) -> JSON | None:
        """The ``Document`` object, for sendDocument messages."""
        return self.raw.get("document")

    @property
    def photo(self) -> list[JSON] | None:
        """The ``PhotoSize`` list, for sendPhoto messages."""
        return self.raw.get("photo")

    def button(self, which: ButtonSpec) -> JSON:
        """Find an inline button.

        Args:
            which: Button text (exact), else ``callback_data`` (exact), or a predicate.

        Returns:
            The ``InlineKeyboardButton`` dict.

        Raises:
            LookupError: No such button (the error lists the available ones).
        """
        buttons = self.buttons
        if callable(which):
            found = [b for b in buttons if which(b)]
        else:
            found = [b for b in buttons if b.get("text") == which] or [
                b for b in buttons if b.get("callback_data") == which
            ]
        if not found:
            available = [(b.get("text"), b.get("callback_data")) for b in buttons]
            raise LookupError(
                f"no button {which!r} on message {self.message_id} ({self.text[:60]!r}); "
                f"buttons: {available}"
            )
        return found[0]

    def __str__(self) -> str:
        extra = f" buttons={self.button_texts}" if self.buttons else ""
        return f"#{self.message_id} {self.text!r}{extra}"


class ControlClient:
    """HTTP client of the test server's ``/_test`` control API.

    Args:
        base_url: Server root, e.g. ``http://127.0.0.1:8081``.
        token: Bot token to address (None = the server's default bot).
        session: Optional aiohttp session to reuse (not closed by :meth:`close`).
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._session = session
        self._own_session = session is None

    async def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
            self._own_session = True
        return self._session

    async def close(self) -> None:
        """Close the HTTP session if this client created it."""
        if self._own_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def request(self, verb: str, name: str, *, wait: float = 10.0, **args: Any) -> Any:
        """Call ``/_test/<name>``; GET args go to the query string, POST args as JSON.

        Args:
            verb: ``GET`` or ``POST``.
            name: Endpoint name, e.g. ``"send_message"``.
            wait: Extra client-side timeout budget in seconds.
            **args: Endpoint arguments (None values are dropped).

        Returns:
            The ``result`` of the answer.

        Raises:
            ControlError: The server answered ``ok: false``.
        """
        session = await self._get_session()
        payload = {k: v for k, v in args.items() if v is not None}
        if self.token is not None:
            payload.setdefault("bot", self.token)
        url = f"{self.base_url}/_test/{name}"
        timeout = aiohttp.ClientTimeout(total=wait + 10)
        if verb == "GET":
            query = {k: _query_value(v) for k, v in payload.items()}
            response_cm = session.get(url, params=query, timeout=timeout)
        else:
            response_cm = session.post(url, json=payload, timeout=timeout)
        async with response_cm as response:
            body = await response.json()
        if not body.get("ok"):
            raise ControlError(response.status, str(body.get("description")))
        return body.get("result")

    # -- users & updates --------------------------------------------------------

    async def create_user(
        self,
        user_id: int | None = None,
        first_name: str = "Test",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> JSON:
        """Create a Telegram user; returns its ``User`` object."""
        result: JSON = await self.request(
            "POST",
            "users",
            id=user_id,
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        return result

    async def send_text(self, user_id: int, text: str, **extra: Any) -> JSON:
        """User ``user_id`` sends ``text``; returns the Update."""
        result: JSON = await self.request(
            "POST", "send_message", user_id=user_id, text=text, **extra
        )
        return result

    async def press_button(
        self, user_id: int, message_id: int, data: str | None = None, text: str | None = None
    ) -> JSON:
        """User presses a callback button (by data or text); returns the Update."""
        result: JSON = await self.request(
            "POST", "press_button", user_id=user_id, message_id=message_id, data=data, text=text
        )
        return result

    async def inject_update(self, update: JSON) -> JSON:
        """Queue a raw update (``update_id`` assigned by the server)."""
        result: JSON = await self.request("POST", "update", update=update)
        return result

    # -- observations -----------------------------------------------------------

    async def messages(
        self, chat_id: int, *, include_user: bool = False, include_deleted: bool = False
    ) -> list[BotMessage]:
        """Messages of a chat, oldest first (bot messages only by default)."""
        records = await self.request(
            "GET",
            "messages",
            chat_id=chat_id,
            include_user=include_user,
            include_deleted=include_deleted,
        )
        return [BotMessage.from_record(record) for record in records]

    async def wait_message(
        self,
        chat_id: int,
        *,
        after_seq: int = 0,
        contains: str | None = None,
        regex: str | None = None,
        has_buttons: bool | None = None,
        include_edits: bool = False,
        wait_for: float = 10.0,
    ) -> BotMessage | None:
        """Long-poll for a bot message changed after ``after_seq``; None on timeout."""
        try:
            record = await self.request(
                "GET",
                "wait_message",
                wait=wait_for,
                chat_id=chat_id,
                after_seq=after_seq,
                contains=contains,
                regex=regex,
                has_buttons=has_buttons,
                include_edits=include_edits,
                timeout=wait_for,
            )
        except ControlError as exc:
            if exc.status == 408:
                return None
            raise
        return BotMessage.from_record(record)

    async def chat(self, chat_id: int) -> JSON:
        """Chat state: ``reply_keyboard`` (current), ``menu_button``, ``blocked``..."""
        result: JSON = await self.request("GET", "chat", chat_id=chat_id)
        return result

    async def calls(self, method: str | None = None, since: int = 0) -> list[JSON]:
        """The bot's API call log: ``[{seq, time, method, params, status, ok, description?}]``."""
        result: list[JSON] = await self.request("GET", "calls", method=method, since=since)
        return result

    async def wait_call(
        self, method: str | None = None, since: int = 0, wait_for: float = 10.0
    ) -> JSON:
        """Wait for a call-log entry newer than ``since`` (optionally of ``method``).

        Raises:
            ControlError: Status 408 on timeout.
        """
        result: JSON = await self.request(
            "GET", "wait_call", wait=wait_for, method=method, since=since, timeout=wait_for
        )
        return result

    async def commands(self) -> list[JSON]:
        """Command lists set by the bot: ``[{scope, language_code, commands}]``."""
        result: list[JSON] = await self.request("GET", "commands")
        return result

    async def callbacks(self) -> list[JSON]:
        """Callback queries created so far with the bot's answers: ``[{id, query, answer}]``."""
        result: list[JSON] = await self.request("GET", "callbacks")
        return result

    async def wait_callback_answer(self, query_id: str, wait_for: float = 10.0) -> JSON:
        """Wait for answerCallbackQuery on ``query_id``; returns the answer dict."""
        record = await self.request(
            "GET", "wait_callback_answer", wait=wait_for, id=query_id, timeout=wait_for
        )
        return dict(record["answer"])

    async def pending_updates(self) -> list[JSON]:
        """Updates not yet confirmed by the bot."""
        result: list[JSON] = await self.request("GET", "updates")
        return result

    async def webhook(self) -> JSON:
        """WebhookInfo plus the configured ``secret_token``."""
        result: JSON = await self.request("GET", "webhook")
        return result

    async def rate_limit(self, method: str, count: int = 1, retry_after: int = 1) -> None:
        """Make the next ``count`` calls of ``method`` (``"*"``: any) answer 429."""
        await self.request(
            "POST", "rate_limit", method=method, count=count, retry_after=retry_after
        )

    async def file_bytes(self, file_id: str) -> bytes:
        """Content of a stored file (a document the bot sent, for instance)."""
        session = await self._get_session()
        query = {"bot": self.token} if self.token else {}
        async with session.get(f"{self.base_url}/_test/files/{file_id}", params=query) as resp:
            if resp.status != 200:
                raise ControlError(resp.status, await resp.text())
            return await resp.read()

    async def reset(self) -> None:
        """Forget all users, chats, updates, files and logs."""
        await self.request("POST", "reset")

    async def user(
        self,
        user_id: int | None = None,
        first_name: str = "Test",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> TelegramUser:
        """Create a user and return a :class:`TelegramUser` driving it."""
        data = await self.create_user(
            user_id,
            first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )
        return TelegramUser(self, data)


class TelegramUser:
    """A human user talking to the bot in a private chat, driven through the control API.

    The user keeps a *cursor* (the server sequence number of the last bot message it
    consumed): :meth:`wait_message` returns the first matching bot message newer than
    the cursor and moves the cursor to it, so consecutive waits walk through the bot's
    answers in order.

    Args:
        control: Control API client.
        user: The ``User`` object (as returned by :meth:`ControlClient.create_user`).
    """

    def __init__(self, control: ControlClient, user: JSON) -> None:
        self.control = control
        self.user = user
        self.cursor = 0

    @property
    def id(self) -> int:
        """User id (also the private chat id)."""
        return int(self.user["id"])

    @property
    def chat_id(self) -> int:
        """Id of the private chat with the bot (= user id)."""
        return self.id

    @property
    def first_name(self) -> str:
        """First name."""
        return str(self.user["first_name"])

    @property
    def language_code(self) -> str | None:
        """Language the client reports."""
        return self.user.get("language_code")

    async def send(self, text: str, *, reply_to: BotMessage | int | None = None) -> JSON:
        """Send a text message (commands get ``bot_command`` entities).

        Args:
            text: Message text, e.g. ``"hello"``, ``"/start"``, ``"/start ref-42"``.
            reply_to: Optional message (or id) to reply to.

        Returns:
            The ``Message`` the bot will receive.
        """
        reply_id = reply_to.message_id if isinstance(reply_to, BotMessage) else reply_to
        update = await self.control.send_text(self.id, text, reply_to_message_id=reply_id)
        return dict(update["message"])

    async def command(self, name: str, payload: str | None = None) -> JSON:
        """Send ``/name`` or ``/name payload`` (deep link style)."""
        name = name.lstrip("/")
        return await self.send(f"/{name} {payload}" if payload else f"/{name}")

    async def start(self, payload: str | None = None) -> JSON:
        """Send ``/start`` (optionally with a deep-link payload)."""
        return await self.command("start", payload)

    async def send_sticker(self, emoji: str = "👍") -> JSON:
        """Send a sticker; returns the Message."""
        update = await self.control.request("POST", "send_sticker", user_id=self.id, emoji=emoji)
        return dict(update["message"])

    async def send_photo(self, caption: str | None = None) -> JSON:
        """Send a photo; returns the Message."""
        update = await self.control.request("POST", "send_photo", user_id=self.id, caption=caption)
        return dict(update["message"])

    async def send_document(
        self,
        content: bytes | str,
        file_name: str = "file.txt",
        mime_type: str = "text/plain",
        caption: str | None = None,
    ) -> JSON:
        """Send a file; returns the Message."""
        data = content.encode("utf-8") if isinstance(content, str) else content
        update = await self.control.request(
            "POST",
            "send_document",
            user_id=self.id,
            content_b64=base64.b64encode(data).decode("ascii"),
            file_name=file_name,
            mime_type=mime_type,
            caption=caption,
        )
        return dict(update["message"])

    async def block(self, blocked: bool = True) -> JSON:
        """Block (or unblock) the bot; the bot gets a ``my_chat_member`` update."""
        result: JSON = await self.control.request("POST", "block", user_id=self.id, blocked=blocked)
        return result

    async def messages(
        self, *, include_deleted: bool = False, include_user: bool = False
    ) -> list[BotMessage]:
        """The bot's messages in this chat, oldest first (current versions)."""
        return await self.control.messages(
            self.chat_id, include_user=include_user, include_deleted=include_deleted
        )

    async def last_message(self, *, with_buttons: bool = False) -> BotMessage | None:
        """The newest bot message (optionally: the newest one with inline buttons)."""
        for message in reversed(await self.messages()):
            if not with_buttons or message.has_buttons:
                return message
        return None

    async def reply_keyboard(self) -> list[str]:
        """Texts of the reply keyboard currently shown to the user (empty if none)."""
        state = await self.control.chat(self.chat_id)
        rows = (state.get("reply_keyboard") or {}).get("keyboard") or []
        return [b if isinstance(b, str) else str(b.get("text", "")) for row in rows for b in row]

    async def press(self, button: ButtonSpec, message: BotMessage | int | None = None) -> JSON:
        """Press an inline callback button.

        Args:
            button: Button text (exact; falls back to ``callback_data``) or a predicate
                over the ``InlineKeyboardButton`` dict.
            message: The message carrying it (BotMessage or id); default: the latest bot
                message that has inline buttons. The current version is used.

        Returns:
            The ``CallbackQuery`` the bot will receive (its ``id`` can be passed to
            :meth:`wait_callback_answer`).
        """
        current: BotMessage | None
        if message is None:
            current = await self.last_message(with_buttons=True)
            if current is None:
                raise LookupError(f"user {self.id}: no bot message with inline buttons")
        else:
            wanted = message.message_id if isinstance(message, BotMessage) else int(message)
            current = next((m for m in await self.messages() if m.message_id == wanted), None)
            if current is None:
                raise LookupError(f"user {self.id}: bot message {wanted} not found")
        spec = current.button(button)
        if "callback_data" not in spec:
            raise LookupError(f"button {spec.get('text')!r} is not a callback button: {spec}")
        update = await self.control.press_button(
            self.id, current.message_id, data=str(spec["callback_data"])
        )
        return dict(update["callback_query"])

    async def wait_message(
        self,
        contains: str | None = None,
        timeout: float = 10.0,  # noqa: ASYNC109 - plain timeout is the public test API
        *,
        regex: str | None = None,
        predicate: Callable[[BotMessage], bool] | None = None,
        has_buttons: bool | None = None,
        include_edits: bool = False,
    ) -> BotMessage:
        """Wait for the next bot message (after the cursor) that matches, and consume it.

        Args:
            contains: Substring of the text/caption.
            timeout: Seconds to wait.
            regex: ``re.search`` pattern on the text/caption.
            predicate: Extra check on the :class:`BotMessage`.
            has_buttons: Require/forbid an inline keyboard.
            include_edits: Also accept messages *edited* after the cursor (bots often
                answer a button press by editing the message).

        Returns:
            The matching message; the cursor moves to it.

        Raises:
            MessageTimeout: Nothing matched in time.
        """
        deadline = time.monotonic() + timeout
        scan_from = self.cursor
        while True:
            remaining = deadline - time.monotonic()
            found = None
            if remaining > 0:
                found = await self.control.wait_message(
                    self.chat_id,
                    after_seq=scan_from,
                    contains=contains,
                    regex=regex,
                    has_buttons=has_buttons,
                    include_edits=include_edits,
                    wait_for=remaining,
                )
            if found is None:
                recent = await self.messages()
                listing = "\n  ".join(str(m) for m in recent[-8:]) or "(none)"
                raise MessageTimeout(
                    f"user {self.id}: no bot message matching contains={contains!r} "
                    f"regex={regex!r} has_buttons={has_buttons} within {timeout}s "
                    f"(cursor={self.cursor}); bot messages in chat:\n  {listing}"
                )
            mark = found.seq if include_edits else found.created_seq
            if predicate is None or predicate(found):
                self.cursor = max(self.cursor, mark)
                return found
            scan_from = mark

    async def wait_edit(
        self,
        message: BotMessage,
        timeout: float = 10.0,  # noqa: ASYNC109 - plain timeout is the public test API
        *,
        contains: str | None = None,
    ) -> BotMessage:
        """Wait until ``message`` is edited (again) and return the new version."""

        def same(candidate: BotMessage) -> bool:
            return candidate.message_id == message.message_id and candidate.seq > message.seq

        deadline = time.monotonic() + timeout
        while True:
            for candidate in await self.messages():
                if same(candidate) and (contains is None or contains in candidate.text):
                    return candidate
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise MessageTimeout(f"message {message.message_id} was not edited in {timeout}s")
            await self.control.wait_message(
                self.chat_id,
                after_seq=message.seq,
                include_edits=True,
                wait_for=min(remaining, 1.0),
            )

    async def wait_callback_answer(
        self,
        query: JSON | str,
        timeout: float = 10.0,  # noqa: ASYNC109 - plain timeout is the public test API
    ) -> JSON:
        """Wait for the bot's answerCallbackQuery; returns ``{text, show_alert, url, ...}``."""
        query_id = query if isinstance(query, str) else str(query["id"])
        return await self.control.wait_callback_answer(query_id, wait_for=timeout)

    def mark_seen(self, message: BotMessage) -> None:
        """Move the cursor past ``message`` (skip everything up to it)."""
        self.cursor = max(self.cursor, message.seq)

    async def skip_pending(self) -> None:
        """Move the cursor past every bot message/edit currently in the chat."""
        for message in await self.messages(include_deleted=True):
            self.cursor = max(self.cursor, message.seq)

    def __repr__(self) -> str:
        return f"TelegramUser(id={self.id}, first_name={self.first_name!r})"


class BotApiServer:
    """Run the test Bot API server on ``127.0.0.1`` for the duration of a ``with`` block.

    In-process mode (default) serves from the current event loop and exposes the
    :class:`TelegramServer` as :attr:`server` for direct state access; ``subprocess=True``
    starts ``python -m tests.e2e.botapi.server`` instead (state only via :attr:`control`).

    Args:
        token: Token of the default bot.
        bot_username: The bot's username.
        bot_first_name: The bot's display name.
        host: Interface to bind.
        port: Port (0 = pick a free one).
        subprocess: Run the server as a child process.
        strict_ampersand: Reject a bare ``&`` in HTML text (stricter than Telegram).

    Attributes:
        base_url: ``http://127.0.0.1:PORT`` -- what aiogram's
            ``TelegramAPIServer.from_base`` and ``matchbot run`` need.
        token: The default bot's token.
        server: The in-process :class:`TelegramServer` (None in subprocess mode).
        control: :class:`ControlClient` for the default bot.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "matchbot_test_bot",
        bot_first_name: str = "Matchbot Test",
        host: str = "127.0.0.1",
        port: int = 0,
        subprocess: bool = False,
        strict_ampersand: bool = True,
    ) -> None:
        self.token = token
        self.host = host
        self.port = port
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.subprocess = subprocess
        self.strict_ampersand = strict_ampersand
        self.server: TelegramServer | None = None
        self._runner: web.AppRunner | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._control: ControlClient | None = None

    @property
    def base_url(self) -> str:
        """Server root URL (no trailing slash)."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """``<base_url>/bot<token>`` -- append ``/<method>``."""
        return f"{self.base_url}/bot{self.token}"

    @property
    def ptb_base_url(self) -> str:
        """Value for PTB's ``base_url`` (``<base_url>/bot``; PTB appends the token)."""
        return f"{self.base_url}/bot"

    @property
    def ptb_base_file_url(self) -> str:
        """Value for PTB's ``base_file_url`` (``<base_url>/file/bot``)."""
        return f"{self.base_url}/file/bot"

    @property
    def control(self) -> ControlClient:
        """Control API client for the default bot."""
        if self._control is None:
            raise RuntimeError("BotApiServer is not started")
        return self._control

    async def start(self) -> BotApiServer:
        """Start the server (idempotent) and return self."""
        if self._control is not None:
            return self
        if self.subprocess:
            await self._start_process()
        else:
            self.server = TelegramServer(
                self.token,
                bot_username=self.bot_username,
                bot_first_name=self.bot_first_name,
                strict_ampersand=self.strict_ampersand,
            )
            self._runner, self.port = await serve(self.server, self.host, self.port)
        self._control = ControlClient(self.base_url)
        return self

    async def _start_process(self) -> None:
        args = [
            sys.executable,
            "-m",
            "tests.e2e.botapi.server",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--token",
            self.token,
            "--username",
            self.bot_username,
        ]
        if not self.strict_ampersand:
            args.append("--lenient-ampersand")
        self._process = await asyncio.create_subprocess_exec(
            *args, cwd=str(_REPO_ROOT), stdout=asyncio.subprocess.PIPE
        )
        assert self._process.stdout is not None
        try:
            line = await asyncio.wait_for(self._process.stdout.readline(), 20)
        except TimeoutError:
            await self._stop_process()
            raise RuntimeError("test Bot API server process did not start") from None
        match = re.search(rb"LISTENING http://[^:]+:(\d+)", line)
        if match is None:
            await self._stop_process()
            raise RuntimeError(f"unexpected output from server process: {line!r}")
        self.port = int(match.group(1))

    async def _stop_process(self) -> None:
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 5)
        except TimeoutError:
            process.kill()
            await process.wait()

    async def stop(self) -> None:
        """Stop the server and close the control client."""
        if self._control is not None:
            await self._control.close()
            self._control = None
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()
        await self._stop_process()

    async def __aenter__(self) -> BotApiServer:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def user(
        self,
        user_id: int | None = None,
        first_name: str = "Test",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> TelegramUser:
        """Create a user and return a :class:`TelegramUser` for it."""
        return await self.control.user(
            user_id,
            first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
        )

    async def calls(self, method: str | None = None) -> list[JSON]:
        """The default bot's call log (optionally one method)."""
        return await self.control.calls(method)

    async def wait_polling(self, wait_for: float = 10.0) -> JSON:
        """Wait until the bot has called ``getUpdates`` (it is up and polling).

        Returns:
            The call-log entry of the first getUpdates call.
        """
        return await self.control.wait_call("getUpdates", wait_for=wait_for)

    async def commands(self) -> list[JSON]:
        """Command lists set by the default bot."""
        return await self.control.commands()

    async def rate_limit(self, method: str, count: int = 1, retry_after: int = 1) -> None:
        """Make the next ``count`` calls of ``method`` answer 429 with ``retry_after``."""
        await self.control.rate_limit(method, count, retry_after)


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
