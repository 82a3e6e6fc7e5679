"""A faithful in-memory Telegram Bot API server for end-to-end tests.

Unmodified aiogram 3 and python-telegram-bot 22 bots talk to it over real HTTP:

* ``POST|GET /bot<TOKEN>/<method>`` -- parameters as query string, JSON body,
  ``application/x-www-form-urlencoded`` or ``multipart/form-data`` (object-valued
  fields such as ``reply_markup`` may be JSON strings, files are multipart parts,
  referenced directly by field name or via ``attach://<part>``).
* ``GET /file/bot<TOKEN>/<file_path>`` -- downloads of files returned by ``getFile``.
* ``/_test/...`` -- a JSON control API used by the tests to play the human side
  (see :meth:`TelegramServer.build_app`).

Answers follow the Bot API envelope (``{"ok": true, "result": ...}`` or
``{"ok": false, "error_code": N, "description": "..."}`` with HTTP status N) and the
descriptions Telegram uses (``Bad Request: chat not found``, ``Bad Request: can't parse
entities: ...``, ``Conflict: ...``, ``Too Many Requests: retry after S``...).

HTML parse mode is validated and converted into entities like the official server does
(tdlib's parser; same tags, same messages).  Known simplifications: only private chats;
``Markdown``/``MarkdownV2`` are accepted but not parsed; inline messages, media groups,
groups/channels and payments are not implemented; a bare ``&`` in HTML is rejected by
default (Telegram keeps it literally -- pass ``strict_ampersand=False`` for that); webhooks
may use ``http://`` and any port (Telegram: HTTPS on 443/80/88/8443 only).

Run standalone with ``python -m tests.e2e.botapi.server --port N --token T``.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import json
import mimetypes
import re
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

__all__ = [
    "DEFAULT_TOKEN",
    "ApiError",
    "BotState",
    "CallbackRecord",
    "ChatState",
    "HtmlParseError",
    "MessageRecord",
    "Params",
    "StoredFile",
    "TelegramServer",
    "UploadedFile",
    "main",
    "parse_html",
    "serve",
    "strip_text",
    "utf16_len",
]

# ---------------------------------------------------------------------------
# Telegram HTML parse mode (mirrors tdlib parse_html)
# ---------------------------------------------------------------------------

_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_ENTITY_TYPE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
    "a": "text_link",
}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]{2,4}));")


class HtmlParseError(ValueError):
    """Raised for text that Telegram's HTML parser refuses (message is the Telegram reason)."""


def utf16_len(text: str) -> int:
    """Return the length of ``text`` in UTF-16 code units (the unit of entity offsets).

    Args:
        text: Any string.

    Returns:
        Number of UTF-16 code units.
    """
    return len(text.encode("utf-16-le")) // 2


def _decode_entity(text: str, pos: int) -> tuple[str, int] | None:
    match = _ENTITY_RE.match(text, pos)
    if match is None:
        return None
    dec, hexa, name = match.groups()
    if name is not None:
        value = _NAMED.get(name)
        if value is None:
            return None
        return value, match.end() - pos
    code = int(dec) if dec is not None else int(hexa, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end() - pos


@dataclass
class _Open:
    tag: str
    argument: Any
    offset: int
    byte_offset: int
    entity_index: int = field(default=-1)


def parse_html(text: str, *, strict_ampersand: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into plain text and MessageEntity dicts.

    Args:
        text: Text with Telegram HTML markup.
        strict_ampersand: Reject a ``&`` that does not start a supported entity
            (Telegram itself keeps it literally).

    Returns:
        ``(plain_text, entities)``; entity offsets/lengths are in UTF-16 code units and the
        entities are sorted like Telegram sorts them.

    Raises:
        HtmlParseError: The markup is invalid; the message is Telegram's reason text.
    """

    def byte_offset(index: int) -> int:
        return len(text[:index].encode("utf-8"))

    out: list[str] = []
    out_len = 0  # UTF-16 units written so far
    entities: list[dict[str, Any]] = []
    stack: list[_Open] = []
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        if char == "&":
            decoded = _decode_entity(text, i)
            if decoded is not None:
                out.append(decoded[0])
                out_len += utf16_len(decoded[0])
                i += decoded[1]
                continue
            if strict_ampersand:
                raise HtmlParseError(
                    f"Unsupported HTML entity or unescaped '&' at byte offset {byte_offset(i)}"
                )
        if char != "<":
            out.append(char)
            out_len += utf16_len(char)
            i += 1
            continue
        begin = i
        i += 1
        if i >= n:
            raise HtmlParseError(f"Unclosed start tag at byte offset {byte_offset(begin)}")
        if text[i] != "/":
            j = i
            while j < n and not text[j].isspace() and text[j] != ">":
                j += 1
            if j >= n:
                raise HtmlParseError(f"Unclosed start tag at byte offset {byte_offset(begin)}")
            tag = text[i:j].lower()
            if tag not in _TAGS:
                raise HtmlParseError(
                    f'Unsupported start tag "{tag}" at byte offset {byte_offset(begin)}'
                )
            attrs: dict[str, str] = {}
            i = j
            while True:
                while i < n and text[i].isspace():
                    i += 1
                if i >= n:
                    raise HtmlParseError(f"Unclosed start tag at byte offset {byte_offset(begin)}")
                if text[i] == ">":
                    i += 1
                    break
                k = i
                while k < n and not text[k].isspace() and text[k] not in "=>":
                    k += 1
                name = text[i:k].lower()
                if not name:
                    raise HtmlParseError(
                        f'Empty attribute name in the tag "{tag}" at byte offset '
                        f"{byte_offset(begin)}"
                    )
                i = k
                while i < n and text[i].isspace():
                    i += 1
                if i >= n:
                    raise HtmlParseError(f"Unclosed start tag at byte offset {byte_offset(begin)}")
                if text[i] != "=":
                    attrs[name] = ""
                    continue
                i += 1
                while i < n and text[i].isspace():
                    i += 1
                if i >= n:
                    raise HtmlParseError(f"Unclosed start tag at byte offset {byte_offset(begin)}")
                if text[i] in "'\"":
                    quote = text[i]
                    end = text.find(quote, i + 1)
                    if end == -1:
                        raise HtmlParseError(
                            f"Unclosed start tag at byte offset {byte_offset(begin)}"
                        )
                    raw_value = text[i + 1 : end]
                    i = end + 1
                else:
                    k = i
                    while k < n and (text[k].isalnum() or text[k] in ".-"):
                        k += 1
                    raw_value = text[i:k]
                    i = k
                    if i < n and not text[i].isspace() and text[i] != ">":
                        raise HtmlParseError(
                            f"Unexpected end of name token at byte offset {byte_offset(i)}"
                        )
                attrs[name] = _decode_attribute(raw_value)
            argument: Any = None
            if tag == "a":
                argument = attrs.get("href", "")
            elif tag == "code":
                cls = attrs.get("class", "")
                argument = cls[len("language-") :] if cls.startswith("language-") else ""
            elif tag == "span":
                if attrs.get("class") != "tg-spoiler":
                    raise HtmlParseError(
                        'Tag "span" must have class "tg-spoiler" at byte offset '
                        f"{byte_offset(begin)}"
                    )
            elif tag == "tg-emoji":
                emoji_id = attrs.get("emoji-id", "")
                if not emoji_id.isdigit() or int(emoji_id) == 0:
                    raise HtmlParseError(
                        "Custom emoji entity must contain a valid custom emoji identifier"
                    )
                argument = emoji_id
            elif tag == "blockquote":
                argument = "expandable" in attrs
            stack.append(_Open(tag, argument, out_len, byte_offset(begin)))
            continue
        # end tag
        if not stack:
            raise HtmlParseError(f"Unexpected end tag at byte offset {byte_offset(begin)}")
        i += 1
        j = i
        while j < n and not text[j].isspace() and text[j] != ">":
            j += 1
        end_tag = text[i:j].lower()
        while j < n and text[j].isspace():
            j += 1
        if j >= n or text[j] != ">":
            raise HtmlParseError(f"Unclosed end tag at byte offset {byte_offset(begin)}")
        i = j + 1
        opened = stack[-1]
        if end_tag != opened.tag:
            raise HtmlParseError(
                f"Unmatched end tag at byte offset {byte_offset(begin)}, expected "
                f'"</{opened.tag}>", found "</{end_tag}>"'
            )
        stack.pop()
        _close_entity(opened, out_len, entities)
    if stack:
        raise HtmlParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _decode_attribute(value: str) -> str:
    parts: list[str] = []
    i = 0
    while i < len(value):
        if value[i] == "&":
            decoded = _decode_entity(value, i)
            if decoded is not None:
                parts.append(decoded[0])
                i += decoded[1]
                continue
        parts.append(value[i])
        i += 1
    return "".join(parts)


def _close_entity(opened: _Open, end: int, entities: list[dict[str, Any]]) -> None:
    length = end - opened.offset
    if length <= 0:
        return
    kind = _ENTITY_TYPE[opened.tag]
    entity: dict[str, Any] = {"type": kind, "offset": opened.offset, "length": length}
    if opened.tag == "a":
        url = str(opened.argument).strip()
        if not url:
            return
        user = re.fullmatch(r"tg://user\?id=(\d+)", url)
        if user is not None:
            entity = {
                "type": "text_mention",
                "offset": opened.offset,
                "length": length,
                "user": {"id": int(user.group(1)), "is_bot": False, "first_name": ""},
            }
        else:
            if "://" not in url and not url.startswith(("mailto:", "tg:")):
                url = "http://" + url
            entity["url"] = url
    elif opened.tag == "code" and opened.argument:
        entity["language"] = opened.argument  # used if this turns out to be <pre><code>
    elif opened.tag == "pre":
        inner = [
            e
            for e in entities
            if e["type"] == "code" and e["offset"] == opened.offset and e["length"] == length
        ]
        if inner:
            entities.remove(inner[0])
            if inner[0].get("language"):
                entity["language"] = inner[0]["language"]
    elif opened.tag == "blockquote" and opened.argument:
        entity["type"] = "expandable_blockquote"
    elif opened.tag == "tg-emoji":
        entity["custom_emoji_id"] = opened.argument
    entities.append(entity)


def strip_text(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Trim leading/trailing whitespace like Telegram does and fix entity offsets.

    Args:
        text: Plain message text.
        entities: Entities relative to ``text``.

    Returns:
        The trimmed text and the adjusted (clipped, non-empty) entities.
    """
    stripped_left = text.lstrip()
    shift = utf16_len(text) - utf16_len(stripped_left)
    result = stripped_left.rstrip()
    total = utf16_len(result)
    fixed: list[dict[str, Any]] = []
    for entity in entities:
        start = max(entity["offset"] - shift, 0)
        stop = min(entity["offset"] + entity["length"] - shift, total)
        if stop > start:
            fixed.append({**entity, "offset": start, "length": stop - start})
    return result, fixed


# ---------------------------------------------------------------------------
# Errors, parameters, small helpers
# ---------------------------------------------------------------------------

JSON = dict[str, Any]

DEFAULT_TOKEN = "123456789:AAE2e-TestTokenForMatchbotE2eSuite0"
"""A syntactically valid bot token (aiogram validates the ``<digits>:<secret>`` shape)."""

_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "allowed_updates",
        "commands",
        "scope",
        "entities",
        "caption_entities",
        "link_preview_options",
        "reply_parameters",
        "menu_button",
        "media",
        "results",
        "reaction",
    }
)
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_DEFAULT_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
_SCOPE_TYPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_BOT_COMMAND_RE = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?")
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_TOKEN_RE = re.compile(r"^(\d+):[A-Za-z0-9_-]{10,}$")


class ApiError(Exception):
    """A Bot API error answer (``{"ok": false, "error_code": ..., "description": ...}``).

    Args:
        code: ``error_code`` and HTTP status.
        description: Full Telegram description, e.g. ``"Bad Request: chat not found"``.
        parameters: Optional ``ResponseParameters`` (``retry_after``...).
    """

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def payload(self) -> JSON:
        """Return the JSON body Telegram sends for this error."""
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str) -> ApiError:
    """Build a ``400 Bad Request: <reason>`` error."""
    return ApiError(400, f"Bad Request: {reason}")


@dataclass
class UploadedFile:
    """A file part of a multipart request."""

    filename: str
    content_type: str
    data: bytes


class Params:
    """Request parameters with Telegram-like coercion (form fields are strings, JSON not).

    Args:
        values: Parameter name -> value (strings for query/form data, any JSON for JSON body).
        files: Multipart file parts by field name.
    """

    def __init__(self, values: JSON, files: dict[str, UploadedFile] | None = None) -> None:
        self.values = values
        self.files = files or {}

    def has(self, name: str) -> bool:
        """Whether the parameter was given (and is not null)."""
        return self.values.get(name) is not None or name in self.files

    def as_str(self, name: str, *, required: bool = False) -> str | None:
        """Return a string parameter (numbers are converted)."""
        value = self.values.get(name)
        if value is None:
            if required:
                raise bad_request(f"{name} is empty")
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, dict | list):
            return json.dumps(value)
        return str(value)

    def as_int(self, name: str, *, required: bool = False) -> int | None:
        """Return an integer parameter."""
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(f"{name} is empty")
            return None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        try:
            return int(str(value).strip())
        except ValueError:
            raise bad_request(f"invalid {name} specified") from None

    def as_bool(self, name: str, default: bool = False) -> bool:
        """Return a boolean parameter (``true``/``false``/``1``/``0`` for form data)."""
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return bool(value)
        return str(value).strip().lower() in {"true", "1", "yes", "on"}

    def as_json(self, name: str) -> Any:
        """Return an object/array parameter; strings are decoded as JSON like Telegram does."""
        value = self.values.get(name)
        if isinstance(value, str):
            if value == "":
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value

    def as_file(self, name: str) -> UploadedFile | str | None:
        """Return an InputFile parameter: an uploaded part, or a string (file_id / URL)."""
        if name in self.files:
            return self.files[name]
        value = self.as_str(name)
        if value is None:
            return None
        if value.startswith("attach://"):
            part = self.files.get(value[len("attach://") :])
            if part is None:
                raise bad_request(f"file for {name} not found in the request")
            return part
        return value

    def logged(self) -> JSON:
        """Parameters as recorded in the call log (JSON fields decoded, files summarised)."""
        result: JSON = {}
        for key, value in self.values.items():
            if key in _JSON_FIELDS and isinstance(value, str):
                try:
                    result[key] = json.loads(value)
                except ValueError:
                    result[key] = value
            else:
                result[key] = value
        for key, part in self.files.items():
            result[key] = {
                "filename": part.filename,
                "content_type": part.content_type,
                "size": len(part.data),
            }
        return result


class _Notifier:
    """Wake-all notification primitive bound to whatever loop is running at wait time."""

    def __init__(self) -> None:
        self._waiters: list[asyncio.Future[None]] = []

    async def wait(self, seconds: float) -> None:
        """Wait until :meth:`notify` or ``seconds`` pass (no exception on timeout)."""
        if seconds <= 0:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        try:
            await asyncio.wait_for(asyncio.shield(future), seconds)
        except TimeoutError:
            pass
        finally:
            if future in self._waiters:
                self._waiters.remove(future)

    def notify(self) -> None:
        """Wake every waiter."""
        waiters, self._waiters = self._waiters, []
        for future in waiters:
            if not future.done():
                future.set_result(None)


# ---------------------------------------------------------------------------
# State
# ---------------------------------------------------------------------------


@dataclass
class StoredFile:
    """A file known to the server (uploaded by the bot or sent by a user)."""

    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    file_name: str | None = None
    mime_type: str | None = None


@dataclass
class MessageRecord:
    """One message of a chat as the server stores it.

    Attributes:
        message: The current Bot API ``Message`` object (after edits).
        from_bot: True for messages sent by the bot.
        seq: Bot-wide change sequence number of the last change (send/edit/delete).
        created_seq: Sequence number of the creation.
        deleted: Whether the message was deleted.
        reply_keyboard: Non-inline ``reply_markup`` sent with the message (not echoed in
            the Message object by Telegram, kept here for assertions).
        history: Previous versions of ``message`` (oldest first).
    """

    message: JSON
    from_bot: bool
    seq: int
    created_seq: int
    deleted: bool = False
    reply_keyboard: JSON | None = None
    history: list[JSON] = field(default_factory=list)

    def to_json(self) -> JSON:
        """Serialise for the control API."""
        return {
            "message_id": self.message["message_id"],
            "chat_id": self.message["chat"]["id"],
            "from_bot": self.from_bot,
            "seq": self.seq,
            "created_seq": self.created_seq,
            "deleted": self.deleted,
            "edited": bool(self.history),
            "message": self.message,
            "reply_keyboard": self.reply_keyboard,
            "history": self.history,
        }


@dataclass
class ChatState:
    """A private chat between a user and a bot."""

    user: JSON
    next_message_id: int = 1
    messages: dict[int, MessageRecord] = field(default_factory=dict)
    reply_keyboard: JSON | None = None
    menu_button: JSON | None = None
    started: bool = False
    blocked: bool = False

    @property
    def chat(self) -> JSON:
        """The ``Chat`` object of this private chat."""
        chat: JSON = {
            "id": self.user["id"],
            "type": "private",
            "first_name": self.user["first_name"],
        }
        for key in ("last_name", "username"):
            if self.user.get(key):
                chat[key] = self.user[key]
        return chat


@dataclass
class CallbackRecord:
    """A callback query the server created and the bot's answer to it."""

    query: JSON
    created: float
    answer: JSON | None = None

    def to_json(self) -> JSON:
        """Serialise for the control API."""
        return {"id": self.query["id"], "query": self.query, "answer": self.answer}


@dataclass
class BotState:
    """Everything the server knows about one bot (one token)."""

    token: str
    user: JSON
    updates: list[JSON] = field(default_factory=list)
    next_update_id: int = 1
    allowed_updates: frozenset[str] = _DEFAULT_UPDATE_TYPES
    webhook: JSON | None = None
    webhook_error: tuple[int, str] | None = None
    webhook_task: asyncio.Task[None] | None = None
    chats: dict[int, ChatState] = field(default_factory=dict)
    files: dict[str, StoredFile] = field(default_factory=dict)
    callbacks: dict[str, CallbackRecord] = field(default_factory=dict)
    commands: dict[tuple[str, str], list[JSON]] = field(default_factory=dict)
    default_menu_button: JSON = field(default_factory=lambda: {"type": "commands"})
    descriptions: dict[tuple[str, str], str] = field(default_factory=dict)
    calls: list[JSON] = field(default_factory=list)
    rate_limits: dict[str, list[int]] = field(default_factory=dict)
    seq: int = 0
    poll_generation: int = 0
    logged_out: bool = False
    notifier: _Notifier = field(default_factory=_Notifier)
    changes: _Notifier = field(default_factory=_Notifier)

    @property
    def id(self) -> int:
        """The bot's user id (the numeric part of the token)."""
        return int(self.user["id"])

    def next_seq(self) -> int:
        """Advance and return the change sequence number."""
        self.seq += 1
        return self.seq


# ---------------------------------------------------------------------------
# The emulator
# ---------------------------------------------------------------------------

Handler = Callable[[BotState, Params], Awaitable[Any]]


class TelegramServer:
    """In-memory Telegram Bot API server plus a test-control API, as an aiohttp app.

    The Bot API is served at ``/bot<TOKEN>/<method>`` (GET or POST; query string, JSON,
    urlencoded or multipart parameters), files at ``/file/bot<TOKEN>/<file_path>`` and the
    control API under ``/_test/`` (see :meth:`build_app`). State can also be driven
    directly from Python when the server runs in the test's event loop.

    Args:
        token: Token of the first (default) bot.
        bot_username: Username of the default bot.
        bot_first_name: First name of the default bot.
        strict_ampersand: Reject a bare ``&`` in HTML text (Telegram keeps it literally).
        clock: Source of Unix time for message dates (seconds).
        webhook_retry_delay: Seconds between webhook delivery retries.
        allow_http_webhook: Accept ``http://`` webhook URLs (Telegram requires HTTPS).
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "matchbot_test_bot",
        bot_first_name: str = "Matchbot Test",
        strict_ampersand: bool = True,
        clock: Callable[[], float] = time.time,
        webhook_retry_delay: float = 0.2,
        allow_http_webhook: bool = True,
    ) -> None:
        self.strict_ampersand = strict_ampersand
        self.clock = clock
        self.webhook_retry_delay = webhook_retry_delay
        self.allow_http_webhook = allow_http_webhook
        self.bots: dict[str, BotState] = {}
        self.users: dict[int, JSON] = {}
        self.default_token = token
        self._closing = False
        self._file_counter = 0
        self._query_counter = 0
        self._http: aiohttp.ClientSession | None = None
        self._methods: dict[str, tuple[str, Handler]] = {}
        self._register_methods()
        self.add_bot(token, username=bot_username, first_name=bot_first_name)

    # -- setup ---------------------------------------------------------------

    def add_bot(
        self, token: str, *, username: str = "matchbot_test_bot", first_name: str = "Test Bot"
    ) -> BotState:
        """Register a bot token (``<digits>:<secret>``) and return its state.

        Args:
            token: Bot token; the numeric prefix becomes the bot's user id.
            username: Bot username (without ``@``).
            first_name: Bot display name.

        Returns:
            The bot state.
        """
        match = _TOKEN_RE.match(token)
        if match is None:
            raise ValueError(f"invalid bot token {token!r}: expected '<digits>:<secret>'")
        user: JSON = {
            "id": int(match.group(1)),
            "is_bot": True,
            "first_name": first_name,
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        state = BotState(token=token, user=user)
        self.bots[token] = state
        return state

    def bot(self, token: str | None = None) -> BotState:
        """Return a bot's state (the default bot when ``token`` is None)."""
        state = self.bots.get(token or self.default_token)
        if state is None:
            raise KeyError(f"unknown bot token {token!r}")
        return state

    def add_user(
        self,
        user_id: int | None = None,
        first_name: str = "Test",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        is_premium: bool | None = None,
    ) -> JSON:
        """Create (or replace) a Telegram user and return its ``User`` object.

        Args:
            user_id: User id; allocated when None.
            first_name: First name.
            last_name: Optional last name.
            username: Optional username (without ``@``).
            language_code: IETF language tag the client reports, or None.
            is_premium: Optional premium flag.

        Returns:
            The ``User`` JSON object.
        """
        if user_id is None:
            user_id = 100_000_001 + len(self.users)
            while user_id in self.users:
                user_id += 1
        user: JSON = {"id": int(user_id), "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        if is_premium is not None:
            user["is_premium"] = is_premium
        self.users[int(user_id)] = user
        for state in self.bots.values():
            chat = state.chats.get(int(user_id))
            if chat is not None:
                chat.user = user
        return user

    def reset(self) -> None:
        """Forget users, chats, updates, files, commands and logs of every bot."""
        self.users.clear()
        for token, state in self.bots.items():
            if state.webhook_task is not None:
                state.webhook_task.cancel()
            fresh = BotState(token=token, user=state.user)
            # keep identity, notifiers and the poll generation so in-flight long polls
            # of a running bot keep working against the cleared state
            fresh.notifier, fresh.changes = state.notifier, state.changes
            fresh.poll_generation = state.poll_generation
            state.__dict__.update(fresh.__dict__)
            state.notifier.notify()
            state.changes.notify()

    def now(self) -> int:
        """Current Unix time in whole seconds (Telegram dates are seconds)."""
        return int(self.clock())

    # -- user side -----------------------------------------------------------

    def _user(self, user_id: int) -> JSON:
        user = self.users.get(int(user_id))
        if user is None:
            raise bad_request(f"unknown user {user_id}: create it with /_test/users first")
        return user

    def _chat_for_user(self, state: BotState, user_id: int) -> ChatState:
        user = self._user(user_id)
        chat = state.chats.get(user["id"])
        if chat is None:
            chat = ChatState(user=user)
            state.chats[user["id"]] = chat
        return chat

    def _user_message(self, state: BotState, user_id: int, content: JSON) -> MessageRecord:
        chat = self._chat_for_user(state, user_id)
        if chat.blocked:
            chat.blocked = False  # writing to the bot unblocks it, as in Telegram
            self._member_update(state, chat, "member")
        chat.started = True
        message: JSON = {
            "message_id": chat.next_message_id,
            "from": chat.user,
            "chat": chat.chat,
            "date": self.now(),
            **content,
        }
        chat.next_message_id += 1
        seq = state.next_seq()
        record = MessageRecord(message=message, from_bot=False, seq=seq, created_seq=seq)
        chat.messages[message["message_id"]] = record
        state.changes.notify()
        return record

    def user_sends_text(
        self,
        user_id: int,
        text: str,
        *,
        token: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> JSON:
        """Simulate a user writing ``text`` to the bot; returns the queued Update.

        ``bot_command`` entities are computed like Telegram does (``/start payload`` is a
        deep link: command entity ``/start`` and the payload as plain text).

        Args:
            user_id: Sender (must exist).
            text: Message text (1..4096 characters).
            token: Bot token (default bot when None).
            reply_to_message_id: Make the message a reply to this message of the chat.

        Returns:
            The ``Update`` object.
        """
        state = self.bot(token)
        if not text.strip():
            raise bad_request("message text is empty")
        if len(text) > 4096:
            raise bad_request("message is too long")
        content: JSON = {"text": text}
        entities = [
            {
                "type": "bot_command",
                "offset": utf16_len(text[: m.start()]),
                "length": utf16_len(m.group()),
            }
            for m in _BOT_COMMAND_RE.finditer(text)
        ]
        if entities:
            content["entities"] = entities
        if reply_to_message_id is not None:
            content["reply_to_message"] = self._reply_target(
                state, self._chat_for_user(state, user_id), reply_to_message_id
            )
        record = self._user_message(state, user_id, content)
        return self._enqueue(state, "message", record.message)

    def user_sends_sticker(
        self,
        user_id: int,
        *,
        emoji: str = "👍",
        set_name: str | None = None,
        token: str | None = None,
    ) -> JSON:
        """Simulate a user sending a sticker; returns the queued Update."""
        state = self.bot(token)
        stored = self._store_file(state, "stickers", b"RIFF-sticker", "sticker.webp", "image/webp")
        sticker: JSON = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "file_size": len(stored.data),
        }
        if set_name:
            sticker["set_name"] = set_name
        record = self._user_message(state, user_id, {"sticker": sticker})
        return self._enqueue(state, "message", record.message)

    def user_sends_photo(
        self,
        user_id: int,
        *,
        caption: str | None = None,
        data: bytes = b"\x89PNG\r\n\x1a\n",
        token: str | None = None,
    ) -> JSON:
        """Simulate a user sending a photo (two sizes); returns the queued Update."""
        state = self.bot(token)
        sizes = []
        for width, height in ((90, 90), (800, 800)):
            stored = self._store_file(state, "photos", data, None, "image/jpeg")
            sizes.append(
                {
                    "file_id": stored.file_id,
                    "file_unique_id": stored.file_unique_id,
                    "width": width,
                    "height": height,
                    "file_size": len(data),
                }
            )
        content: JSON = {"photo": sizes}
        if caption:
            content["caption"] = caption
        record = self._user_message(state, user_id, content)
        return self._enqueue(state, "message", record.message)

    def user_sends_document(
        self,
        user_id: int,
        data: bytes,
        *,
        file_name: str = "file.txt",
        mime_type: str = "text/plain",
        caption: str | None = None,
        token: str | None = None,
    ) -> JSON:
        """Simulate a user sending a file; returns the queued Update."""
        state = self.bot(token)
        stored = self._store_file(state, "documents", data, file_name, mime_type)
        content: JSON = {"document": self._document_json(stored)}
        if caption:
            content["caption"] = caption
        record = self._user_message(state, user_id, content)
        return self._enqueue(state, "message", record.message)

    def user_presses_button(
        self,
        user_id: int,
        message_id: int,
        data: str | None = None,
        *,
        text: str | None = None,
        token: str | None = None,
    ) -> JSON:
        """Simulate a press on an inline callback button; returns the queued Update.

        The button is looked up on the current (edited) version of the bot message, by
        ``callback_data`` (``data``) or by button ``text``; pressing a button that is not
        on the message (any more) is refused with 400.

        Args:
            user_id: The user pressing the button (the chat is the user's private chat).
            message_id: Id of the bot message carrying the button.
            data: ``callback_data`` of the button.
            text: Alternatively, the visible text of the button.
            token: Bot token (default bot when None).

        Returns:
            The ``Update`` with a ``callback_query``.
        """
        state = self.bot(token)
        chat = self._chat_for_user(state, user_id)
        record = chat.messages.get(int(message_id))
        if record is None or record.deleted or not record.from_bot:
            raise bad_request(f"bot message {message_id} not found in chat {user_id}")
        keyboard = (record.message.get("reply_markup") or {}).get("inline_keyboard") or []
        button: JSON | None = None
        for row in keyboard:
            for candidate in row:
                if "callback_data" not in candidate:
                    continue
                if (data is not None and candidate["callback_data"] == data) or (
                    data is None and text is not None and candidate.get("text") == text
                ):
                    button = candidate
                    break
            if button is not None:
                break
        if button is None:
            available = [b.get("callback_data") for row in keyboard for b in row]
            raise bad_request(
                f"no callback button data={data!r} text={text!r} on message {message_id}; "
                f"buttons: {available}"
            )
        self._query_counter += 1
        query_id = str(4_000_000_000_000_000_000 + self._query_counter * 7919 + state.id % 1000)
        query: JSON = {
            "id": query_id,
            "from": chat.user,
            "message": record.message,
            "chat_instance": str((state.id * 1_000_003 + chat.user["id"]) % 10**19),
            "data": button["callback_data"],
        }
        state.callbacks[query_id] = CallbackRecord(query=query, created=self.clock())
        return self._enqueue(state, "callback_query", query)

    def set_blocked(self, user_id: int, blocked: bool = True, *, token: str | None = None) -> JSON:
        """Make a user block (or unblock) the bot; emits ``my_chat_member``.

        While blocked, sending to the user answers ``403 Forbidden: bot was blocked by the
        user``.
        """
        state = self.bot(token)
        chat = self._chat_for_user(state, user_id)
        chat.blocked = blocked
        return self._member_update(state, chat, "kicked" if blocked else "member")

    def inject_update(self, update: JSON, *, token: str | None = None) -> JSON:
        """Queue an arbitrary update (``update_id`` is assigned); returns it."""
        state = self.bot(token)
        kinds = [key for key in update if key != "update_id"]
        if len(kinds) != 1:
            raise bad_request("update must contain exactly one update type field")
        return self._enqueue(state, kinds[0], update[kinds[0]])

    def rate_limit(
        self, method: str, count: int = 1, retry_after: int = 1, *, token: str | None = None
    ) -> None:
        """Make the next ``count`` calls of ``method`` (``"*"`` = any) answer 429.

        The answer is ``{"ok": false, "error_code": 429, "description": "Too Many Requests:
        retry after S", "parameters": {"retry_after": S}}``.
        """
        state = self.bot(token)
        state.rate_limits[method.lower()] = [int(count), int(retry_after)]

    def _member_update(self, state: BotState, chat: ChatState, status: str) -> JSON:
        old = "member" if status == "kicked" else "kicked"
        member: JSON = {
            "chat": chat.chat,
            "from": chat.user,
            "date": self.now(),
            "old_chat_member": {"status": old, "user": state.user},
            "new_chat_member": {"status": status, "user": state.user},
        }
        if status == "kicked":
            member["new_chat_member"]["until_date"] = 0
        else:
            member["old_chat_member"]["until_date"] = 0
        return self._enqueue(state, "my_chat_member", member)

    def _enqueue(self, state: BotState, kind: str, payload: JSON) -> JSON:
        update = {"update_id": state.next_update_id, kind: payload}
        state.next_update_id += 1
        if kind in state.allowed_updates:
            state.updates.append(update)
            state.notifier.notify()
        return update

    # -- bot message store ---------------------------------------------------

    def _bot_chat(self, state: BotState, params: Params) -> ChatState:
        raw = params.as_str("chat_id", required=True)
        assert raw is not None
        if raw.startswith("@"):
            raise bad_request("chat not found")
        try:
            chat_id = int(raw)
        except ValueError:
            raise bad_request("chat not found") from None
        chat = state.chats.get(chat_id)
        if chat is None:
            if chat_id in self.users:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
            raise bad_request("chat not found")
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    def _reply_target(self, state: BotState, chat: ChatState, message_id: int) -> JSON:
        record = chat.messages.get(message_id)
        if record is None or record.deleted:
            raise bad_request("message to be replied not found")
        return {k: v for k, v in record.message.items() if k != "reply_to_message"}

    def _format(
        self, text: str | None, parse_mode: str | None, entities: Any, *, caption: bool = False
    ) -> tuple[str, list[JSON]]:
        text = text or ""
        result_entities: list[JSON] = []
        mode = (parse_mode or "").strip()
        if mode.lower() == "html":
            try:
                text, result_entities = parse_html(text, strict_ampersand=self.strict_ampersand)
            except HtmlParseError as exc:
                raise bad_request(f"can't parse entities: {exc}") from None
        elif mode.lower() in {"markdown", "markdownv2"}:
            result_entities = []  # accepted, not parsed (see module docs)
        elif mode:
            raise bad_request(f"unsupported parse_mode {mode!r}")
        elif isinstance(entities, list):
            result_entities = [e for e in entities if isinstance(e, dict)]
        text, result_entities = strip_text(text, result_entities)
        if not caption and not text:
            raise bad_request("message text is empty")
        limit = 1024 if caption else 4096
        if len(text) > limit:
            raise bad_request("message caption is too long" if caption else "message is too long")
        return text, result_entities

    def _validate_markup(self, markup: Any, *, inline_only: bool = False) -> JSON | None:
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad_request(
                    'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of '
                    "Arrays"
                )
            total = 0
            for row in rows:
                for button in row:
                    total += 1
                    self._validate_inline_button(button)
            if total > 100:
                raise bad_request("reply markup is too long")
            return {"inline_keyboard": [[dict(b) for b in row] for row in rows]}
        if inline_only:
            raise bad_request("inline keyboard expected")
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad_request(
                    'field "keyboard" of the ReplyKeyboardMarkup should be an Array of Arrays'
                )
            for row in rows:
                for button in row:
                    label = button if isinstance(button, str) else (button or {}).get("text")
                    if not isinstance(label, str) or not label:
                        raise bad_request("keyboard button text is empty")
            return markup
        if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
            return markup
        raise bad_request("can't parse reply keyboard markup JSON object")

    @staticmethod
    def _validate_inline_button(button: Any) -> None:
        if not isinstance(button, dict):
            raise bad_request("can't parse inline keyboard button: InlineKeyboardButton expected")
        text = button.get("text")
        if not isinstance(text, str) or not text.strip():
            raise bad_request("text buttons are unallowed in the inline keyboard")
        actions = [
            key
            for key in (
                "url",
                "callback_data",
                "web_app",
                "login_url",
                "switch_inline_query",
                "switch_inline_query_current_chat",
                "switch_inline_query_chosen_chat",
                "copy_text",
                "callback_game",
                "pay",
            )
            if key in button and button[key] is not None
        ]
        if not actions:
            raise bad_request("text buttons are unallowed in the inline keyboard")
        if "callback_data" in actions:
            data = button["callback_data"]
            if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64:
                raise bad_request("BUTTON_DATA_INVALID")
        if "url" in actions:
            url = button["url"]
            if not isinstance(url, str) or not _valid_button_url(url):
                raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")

    def _bot_message(
        self, state: BotState, chat: ChatState, content: JSON, params: Params, markup: JSON | None
    ) -> MessageRecord:
        message: JSON = {
            "message_id": chat.next_message_id,
            "from": {k: state.user[k] for k in ("id", "is_bot", "first_name", "username")},
            "chat": chat.chat,
            "date": self.now(),
        }
        reply_to = params.as_int("reply_to_message_id")
        reply_parameters = params.as_json("reply_parameters")
        if isinstance(reply_parameters, dict) and reply_parameters.get("message_id") is not None:
            reply_to = int(reply_parameters["message_id"])
        if reply_to is not None:
            try:
                message["reply_to_message"] = self._reply_target(state, chat, reply_to)
            except ApiError:
                allow = params.as_bool("allow_sending_without_reply") or (
                    isinstance(reply_parameters, dict)
                    and bool(reply_parameters.get("allow_sending_without_reply"))
                )
                if not allow:
                    raise
        message.update(content)
        reply_keyboard: JSON | None = None
        if markup is not None:
            if "inline_keyboard" in markup:
                message["reply_markup"] = markup
            else:
                reply_keyboard = markup
                chat.reply_keyboard = None if markup.get("remove_keyboard") else markup
        chat.next_message_id += 1
        seq = state.next_seq()
        record = MessageRecord(
            message=message,
            from_bot=True,
            seq=seq,
            created_seq=seq,
            reply_keyboard=reply_keyboard,
        )
        chat.messages[message["message_id"]] = record
        state.changes.notify()
        return record

    def _store_file(
        self, state: BotState, folder: str, data: bytes, file_name: str | None, mime: str | None
    ) -> StoredFile:
        self._file_counter += 1
        number = self._file_counter
        suffix = ""
        if file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1]
        digest = hashlib.sha256(data + number.to_bytes(8, "big")).hexdigest()
        stored = StoredFile(
            file_id=f"BQACAgIAAx{digest[:40]}{number}",
            file_unique_id=f"AgAD{digest[40:52]}",
            file_path=f"{folder}/file_{number}{suffix}",
            data=data,
            file_name=file_name,
            mime_type=mime,
        )
        state.files[stored.file_id] = stored
        return stored

    @staticmethod
    def _document_json(stored: StoredFile) -> JSON:
        document: JSON = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        if stored.file_name:
            document["file_name"] = stored.file_name
        if stored.mime_type:
            document["mime_type"] = stored.mime_type
        return document

    def _input_file(self, state: BotState, params: Params, name: str, folder: str) -> StoredFile:
        value = params.as_file(name)
        if value is None:
            raise bad_request(f"there is no {name} in the request")
        if isinstance(value, UploadedFile):
            if len(value.data) > 50 * 1024 * 1024:
                raise ApiError(413, "Request Entity Too Large")
            if not value.data:
                raise bad_request("file must be non-empty")
            mime = value.content_type
            if not mime or mime == "application/octet-stream":
                mime = mimetypes.guess_type(value.filename)[0] or "application/octet-stream"
            return self._store_file(state, folder, value.data, value.filename, mime)
        stored = state.files.get(value)
        if stored is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return stored

    # -- queries for tests -----------------------------------------------------

    def messages(
        self,
        chat_id: int,
        *,
        token: str | None = None,
        include_user: bool = False,
        include_deleted: bool = False,
    ) -> list[MessageRecord]:
        """Messages of a private chat, oldest first (bot messages only by default)."""
        state = self.bot(token)
        chat = state.chats.get(int(chat_id))
        if chat is None:
            return []
        return [
            record
            for record in chat.messages.values()
            if (include_user or record.from_bot) and (include_deleted or not record.deleted)
        ]

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
        token: str | None = None,
    ) -> MessageRecord | None:
        """Wait for a bot message in the chat changed after ``after_seq`` that matches.

        Args:
            chat_id: Private chat (= user) id.
            after_seq: Only messages whose creation (or last edit when ``include_edits``)
                sequence number is greater than this.
            contains: Substring the text/caption must contain.
            regex: Regular expression the text/caption must match (``re.search``).
            has_buttons: Require (True) or forbid (False) an inline keyboard.
            include_edits: Also match messages edited after ``after_seq``.
            wait_for: Seconds to wait.
            token: Bot token (default bot when None).

        Returns:
            The first matching record (lowest sequence number), or None on timeout.
        """
        state = self.bot(token)
        pattern = re.compile(regex) if regex else None
        deadline = time.monotonic() + wait_for
        while True:
            chat = state.chats.get(int(chat_id))
            candidates: list[tuple[int, MessageRecord]] = []
            for record in chat.messages.values() if chat else ():
                if not record.from_bot or record.deleted:
                    continue
                seq = record.seq if include_edits else record.created_seq
                if seq <= after_seq:
                    continue
                body = record.message.get("text") or record.message.get("caption") or ""
                if contains is not None and contains not in body:
                    continue
                if pattern is not None and not pattern.search(body):
                    continue
                buttons = bool((record.message.get("reply_markup") or {}).get("inline_keyboard"))
                if has_buttons is not None and buttons != has_buttons:
                    continue
                candidates.append((seq, record))
            if candidates:
                return min(candidates, key=lambda item: item[0])[1]
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._closing:
                return None
            await state.changes.wait(remaining)

    async def wait_callback_answer(
        self, query_id: str, *, wait_for: float = 10.0, token: str | None = None
    ) -> CallbackRecord | None:
        """Wait until the bot answered the callback query; None on timeout."""
        state = self.bot(token)
        deadline = time.monotonic() + wait_for
        while True:
            record = state.callbacks.get(query_id)
            if record is None:
                raise bad_request(f"unknown callback query {query_id}")
            if record.answer is not None:
                return record
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._closing:
                return None
            await state.changes.wait(remaining)

    async def wait_call(
        self,
        method: str | None = None,
        *,
        since: int = 0,
        wait_for: float = 10.0,
        token: str | None = None,
    ) -> JSON | None:
        """Wait for a Bot API call (optionally of one method) logged after ``since``.

        Useful to know that a freshly started bot is polling (``method="getUpdates"``).

        Returns:
            The first matching call-log entry, or None on timeout.
        """
        state = self.bot(token)
        wanted = (method or "").lower()
        deadline = time.monotonic() + wait_for
        while True:
            for entry in state.calls:
                if entry["seq"] > since and (not wanted or entry["method"].lower() == wanted):
                    return entry
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._closing:
                return None
            await state.changes.wait(remaining)

    # -- Bot API dispatch ------------------------------------------------------

    async def call(self, token: str, method: str, params: Params) -> tuple[int, JSON]:
        """Execute a Bot API call as the HTTP endpoint does.

        Args:
            token: Bot token from the URL.
            method: Method name (case-insensitive).
            params: Parsed parameters.

        Returns:
            ``(http_status, response_body)``.
        """
        state = self.bots.get(token)
        if state is None:
            return 401, ApiError(401, "Unauthorized").payload()
        entry = self._methods.get(method.lower())
        log: JSON = {
            "seq": len(state.calls) + 1,
            "time": self.clock(),
            "method": entry[0] if entry else method,
            "params": params.logged(),
        }
        state.calls.append(log)
        state.changes.notify()
        try:
            if entry is None:
                raise ApiError(404, "Not Found: method not found")
            if state.logged_out and entry[0] != "logOut":
                raise ApiError(401, "Unauthorized")
            self._check_rate_limit(state, entry[0])
            result = await entry[1](state, params)
        except ApiError as exc:
            log.update(status=exc.code, ok=False, description=exc.description)
            state.changes.notify()
            return exc.code, exc.payload()
        log.update(status=200, ok=True)
        state.changes.notify()
        return 200, {"ok": True, "result": result}

    def _check_rate_limit(self, state: BotState, method: str) -> None:
        for key in (method.lower(), "*"):
            limit = state.rate_limits.get(key)
            if limit and limit[0] > 0:
                limit[0] -= 1
                if limit[0] == 0:
                    del state.rate_limits[key]
                raise ApiError(
                    429,
                    f"Too Many Requests: retry after {limit[1]}",
                    {"retry_after": limit[1]},
                )

    def _register_methods(self) -> None:
        handlers: dict[str, Handler] = {
            "getMe": self._get_me,
            "logOut": self._log_out,
            "close": self._close,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "answerCallbackQuery": self._answer_callback_query,
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "getFile": self._get_file,
            "sendChatAction": self._send_chat_action,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
            "setMyDescription": self._set_description("description"),
            "getMyDescription": self._get_description("description"),
            "setMyShortDescription": self._set_description("short_description"),
            "getMyShortDescription": self._get_description("short_description"),
            "getChat": self._get_chat,
        }
        self._methods = {name.lower(): (name, handler) for name, handler in handlers.items()}

    async def _get_me(self, state: BotState, params: Params) -> Any:
        return state.user

    async def _log_out(self, state: BotState, params: Params) -> Any:
        state.logged_out = True
        return True

    async def _close(self, state: BotState, params: Params) -> Any:
        return True

    async def _get_updates(self, state: BotState, params: Params) -> Any:
        if state.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use "
                "deleteWebhook to delete the webhook first",
            )
        offset = params.as_int("offset")
        limit = params.as_int("limit") or 100
        limit = max(1, min(limit, 100))
        timeout = max(0, min(params.as_int("timeout") or 0, 50))
        allowed = params.as_json("allowed_updates")
        if isinstance(allowed, list):
            state.allowed_updates = (
                frozenset(str(a) for a in allowed) if allowed else _DEFAULT_UPDATE_TYPES
            )
        if offset is not None:
            if offset < 0:
                state.updates = state.updates[offset:]
            else:
                state.updates = [u for u in state.updates if u["update_id"] >= offset]
        # a newer getUpdates terminates a pending one, as in Telegram
        state.poll_generation += 1
        generation = state.poll_generation
        state.notifier.notify()
        deadline = time.monotonic() + timeout
        while True:
            state.updates = [
                u
                for u in state.updates
                if any(k in state.allowed_updates for k in u if k != "update_id")
            ]
            if state.updates:
                return state.updates[:limit]
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._closing:
                return []
            await state.notifier.wait(remaining)
            if state.poll_generation != generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one "
                    "bot instance is running",
                )
            if state.webhook is not None:
                return []

    async def _set_webhook(self, state: BotState, params: Params) -> Any:
        url = (params.as_str("url") or "").strip()
        if params.as_bool("drop_pending_updates"):
            state.updates.clear()
        allowed = params.as_json("allowed_updates")
        if isinstance(allowed, list):
            state.allowed_updates = (
                frozenset(str(a) for a in allowed) if allowed else _DEFAULT_UPDATE_TYPES
            )
        if not url:
            await self._stop_webhook(state)
            return True
        parsed = urlsplit(url)
        if parsed.scheme != "https" and not (self.allow_http_webhook and parsed.scheme == "http"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if not parsed.hostname:
            raise bad_request("bad webhook: Failed to resolve host: Name or service not known")
        secret = params.as_str("secret_token")
        if secret is not None and not _SECRET_RE.match(secret):
            raise bad_request("secret token contains unallowed characters")
        max_connections = params.as_int("max_connections") or 40
        if not 1 <= max_connections <= 100:
            raise bad_request("bad webhook: max_connections must be between 1 and 100")
        await self._stop_webhook(state)
        state.webhook = {"url": url, "secret_token": secret, "max_connections": max_connections}
        state.webhook_error = None
        state.poll_generation += 1
        state.notifier.notify()
        state.webhook_task = asyncio.get_running_loop().create_task(self._deliver(state))
        return True

    async def _delete_webhook(self, state: BotState, params: Params) -> Any:
        if params.as_bool("drop_pending_updates"):
            state.updates.clear()
        await self._stop_webhook(state)
        return True

    async def _stop_webhook(self, state: BotState) -> None:
        state.webhook = None
        task, state.webhook_task = state.webhook_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _get_webhook_info(self, state: BotState, params: Params) -> Any:
        info: JSON = {
            "url": state.webhook["url"] if state.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(state.updates),
        }
        if state.webhook:
            info["max_connections"] = state.webhook["max_connections"]
            info["ip_address"] = "127.0.0.1"
            if state.allowed_updates != _DEFAULT_UPDATE_TYPES:
                info["allowed_updates"] = sorted(state.allowed_updates)
            if state.webhook_error:
                info["last_error_date"], info["last_error_message"] = state.webhook_error
        return info

    async def _deliver(self, state: BotState) -> None:
        """Webhook delivery loop: POST pending updates one by one, retrying failures."""
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession()
        http = self._http
        while state.webhook is not None and not self._closing:
            if not state.updates:
                await state.notifier.wait(1.0)
                continue
            update = state.updates[0]
            headers = {"Content-Type": "application/json"}
            if state.webhook.get("secret_token"):
                headers["X-Telegram-Bot-Api-Secret-Token"] = state.webhook["secret_token"]
            try:
                async with http.post(
                    state.webhook["url"],
                    data=json.dumps(update),
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=10),
                ) as response:
                    body = await response.read()
                    status = response.status
                    content_type = response.content_type
            except (aiohttp.ClientError, TimeoutError) as exc:
                state.webhook_error = (self.now(), f"Connection error: {exc}")
                await asyncio.sleep(self.webhook_retry_delay)
                continue
            if not 200 <= status < 300:
                state.webhook_error = (self.now(), f"Wrong response from the webhook: {status}")
                await asyncio.sleep(self.webhook_retry_delay)
                continue
            if state.updates and state.updates[0] is update:
                state.updates.pop(0)
            if content_type == "application/json" and body:
                with contextlib.suppress(ValueError):
                    payload = json.loads(body)
                    if isinstance(payload, dict) and isinstance(payload.get("method"), str):
                        values = {k: v for k, v in payload.items() if k != "method"}
                        await self.call(state.token, payload["method"], Params(values))

    async def _send_message(self, state: BotState, params: Params) -> Any:
        chat = self._bot_chat(state, params)
        text, entities = self._format(
            params.as_str("text"), params.as_str("parse_mode"), params.as_json("entities")
        )
        markup = self._validate_markup(params.as_json("reply_markup"))
        content: JSON = {"text": text}
        if entities:
            content["entities"] = entities
        link_preview = params.as_json("link_preview_options")
        if isinstance(link_preview, dict) and link_preview:
            content["link_preview_options"] = link_preview
        return self._bot_message(state, chat, content, params, markup).message

    def _target(
        self, state: BotState, params: Params, verb: str
    ) -> tuple[ChatState, MessageRecord]:
        if params.has("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        chat = self._bot_chat(state, params)
        message_id = params.as_int("message_id", required=True)
        assert message_id is not None
        record = chat.messages.get(message_id)
        if record is None or record.deleted:
            raise bad_request(f"message to {verb} not found")
        return chat, record

    def _apply_edit(self, state: BotState, record: MessageRecord, new: JSON) -> JSON:
        def comparable(message: JSON) -> JSON:
            return {
                k: v
                for k, v in message.items()
                if k in {"text", "entities", "caption", "caption_entities", "reply_markup"}
            }

        if comparable(new) == comparable(record.message):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        record.history.append(record.message)
        new["edit_date"] = self.now()
        record.message = new
        record.seq = state.next_seq()
        state.changes.notify()
        return new

    async def _edit_message_text(self, state: BotState, params: Params) -> Any:
        _, record = self._target(state, params, "edit")
        if not record.from_bot:
            raise bad_request("message can't be edited")
        if "text" not in record.message:
            raise bad_request("there is no text in the message to edit")
        text, entities = self._format(
            params.as_str("text"), params.as_str("parse_mode"), params.as_json("entities")
        )
        markup = self._validate_markup(params.as_json("reply_markup"), inline_only=True)
        new = {
            k: v
            for k, v in record.message.items()
            if k not in {"text", "entities", "reply_markup", "edit_date"}
        }
        new["text"] = text
        if entities:
            new["entities"] = entities
        if markup is not None:
            new["reply_markup"] = markup
        return self._apply_edit(state, record, new)

    async def _edit_message_caption(self, state: BotState, params: Params) -> Any:
        _, record = self._target(state, params, "edit")
        if not record.from_bot:
            raise bad_request("message can't be edited")
        if "text" in record.message:
            raise bad_request("there is no caption in the message to edit")
        caption, entities = self._format(
            params.as_str("caption"),
            params.as_str("parse_mode"),
            params.as_json("caption_entities"),
            caption=True,
        )
        markup = self._validate_markup(params.as_json("reply_markup"), inline_only=True)
        new = {
            k: v
            for k, v in record.message.items()
            if k not in {"caption", "caption_entities", "reply_markup", "edit_date"}
        }
        if caption:
            new["caption"] = caption
        if entities:
            new["caption_entities"] = entities
        if markup is not None:
            new["reply_markup"] = markup
        return self._apply_edit(state, record, new)

    async def _edit_message_reply_markup(self, state: BotState, params: Params) -> Any:
        _, record = self._target(state, params, "edit")
        if not record.from_bot:
            raise bad_request("message can't be edited")
        markup = self._validate_markup(params.as_json("reply_markup"), inline_only=True)
        new = {k: v for k, v in record.message.items() if k not in {"reply_markup", "edit_date"}}
        if markup is not None and markup.get("inline_keyboard"):
            new["reply_markup"] = markup
        return self._apply_edit(state, record, new)

    async def _delete_message(self, state: BotState, params: Params) -> Any:
        _, record = self._target(state, params, "delete")
        record.deleted = True
        record.seq = state.next_seq()
        state.changes.notify()
        return True

    async def _delete_messages(self, state: BotState, params: Params) -> Any:
        chat = self._bot_chat(state, params)
        ids = params.as_json("message_ids")
        if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
            raise bad_request("message_ids must be a non-empty array of at most 100 ids")
        for message_id in ids:
            record = chat.messages.get(int(message_id))
            if record is not None and not record.deleted:
                record.deleted = True
                record.seq = state.next_seq()
        state.changes.notify()
        return True

    async def _answer_callback_query(self, state: BotState, params: Params) -> Any:
        query_id = params.as_str("callback_query_id", required=True)
        record = state.callbacks.get(query_id or "")
        if record is None or record.answer is not None:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = params.as_str("text")
        if text is not None and len(text) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        answer: JSON = {
            "text": text,
            "show_alert": params.as_bool("show_alert"),
            "url": params.as_str("url"),
            "cache_time": params.as_int("cache_time") or 0,
            "date": self.clock(),
        }
        record.answer = answer
        state.changes.notify()
        return True

    async def _send_document(self, state: BotState, params: Params) -> Any:
        chat = self._bot_chat(state, params)
        stored = self._input_file(state, params, "document", "documents")
        return self._send_media(state, chat, params, {"document": self._document_json(stored)})

    async def _send_photo(self, state: BotState, params: Params) -> Any:
        chat = self._bot_chat(state, params)
        stored = self._input_file(state, params, "photo", "photos")
        width, height = _image_size(stored.data)
        photo = [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "file_size": len(stored.data),
                "width": width,
                "height": height,
            }
        ]
        return self._send_media(state, chat, params, {"photo": photo})

    def _send_media(self, state: BotState, chat: ChatState, params: Params, content: JSON) -> Any:
        caption, entities = self._format(
            params.as_str("caption"),
            params.as_str("parse_mode"),
            params.as_json("caption_entities"),
            caption=True,
        )
        if caption:
            content["caption"] = caption
        if entities:
            content["caption_entities"] = entities
        markup = self._validate_markup(params.as_json("reply_markup"))
        return self._bot_message(state, chat, content, params, markup).message

    async def _get_file(self, state: BotState, params: Params) -> Any:
        file_id = params.as_str("file_id", required=True)
        stored = state.files.get(file_id or "")
        if stored is None:
            raise bad_request("invalid file_id")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    async def _send_chat_action(self, state: BotState, params: Params) -> Any:
        self._bot_chat(state, params)
        action = params.as_str("action", required=True)
        if action not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    @staticmethod
    def _scope_key(params: Params) -> tuple[str, str]:
        scope = params.as_json("scope") or {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPE_TYPES:
            raise bad_request("can't parse BotCommandScope JSON object")
        language = params.as_str("language_code") or ""
        if language and not re.fullmatch(r"[a-z]{2}", language):
            raise bad_request("invalid language code specified")
        return json.dumps(scope, sort_keys=True), language

    async def _set_my_commands(self, state: BotState, params: Params) -> Any:
        commands = params.as_json("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("too much commands specified")
        cleaned: list[JSON] = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse BotCommand JSON object")
            name = str(command.get("command", "")).strip()
            description = str(command.get("description", "")).strip()
            if name.startswith("/"):
                name = name[1:]
            if not _COMMAND_RE.match(name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise bad_request("command description is empty or too long")
            cleaned.append({"command": name, "description": description})
        key = self._scope_key(params)
        if cleaned:
            state.commands[key] = cleaned
        else:
            state.commands.pop(key, None)
        return True

    async def _get_my_commands(self, state: BotState, params: Params) -> Any:
        return state.commands.get(self._scope_key(params), [])

    async def _delete_my_commands(self, state: BotState, params: Params) -> Any:
        state.commands.pop(self._scope_key(params), None)
        return True

    async def _set_chat_menu_button(self, state: BotState, params: Params) -> Any:
        button = params.as_json("menu_button") or {"type": "default"}
        if not isinstance(button, dict) or button.get("type") not in {
            "default",
            "commands",
            "web_app",
        }:
            raise bad_request("can't parse MenuButton JSON object")
        if params.has("chat_id"):
            self._bot_chat(state, params).menu_button = button
        else:
            state.default_menu_button = button
        return True

    async def _get_chat_menu_button(self, state: BotState, params: Params) -> Any:
        if params.has("chat_id"):
            chat = self._bot_chat(state, params)
            if chat.menu_button and chat.menu_button.get("type") != "default":
                return chat.menu_button
        if state.default_menu_button.get("type") == "default":
            return {"type": "commands"}
        return state.default_menu_button

    def _set_description(self, kind: str) -> Handler:
        async def handler(state: BotState, params: Params) -> Any:
            value = params.as_str(kind) or ""
            limit = 512 if kind == "description" else 120
            if len(value) > limit:
                raise bad_request(f"{kind} is too long")
            state.descriptions[(kind, params.as_str("language_code") or "")] = value
            return True

        return handler

    def _get_description(self, kind: str) -> Handler:
        async def handler(state: BotState, params: Params) -> Any:
            value = state.descriptions.get((kind, params.as_str("language_code") or ""), "")
            return {kind: value}

        return handler

    async def _get_chat(self, state: BotState, params: Params) -> Any:
        raw = params.as_str("chat_id", required=True) or ""
        try:
            chat_id = int(raw)
        except ValueError:
            raise bad_request("chat not found") from None
        if chat_id == state.id:
            user = state.user
        elif chat_id in self.users:
            user = self.users[chat_id]
        else:
            raise bad_request("chat not found")
        info: JSON = {
            "id": user["id"],
            "type": "private",
            "first_name": user["first_name"],
            "accent_color_id": user["id"] % 7,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": True,
                "limited_gifts": True,
                "unique_gifts": True,
                "premium_subscription": True,
                "gifts_from_channels": True,
            },
        }
        for key in ("last_name", "username"):
            if user.get(key):
                info[key] = user[key]
        return info

    # -- HTTP layer ------------------------------------------------------------

    def build_app(self) -> web.Application:
        """Create the aiohttp application (Bot API + files + ``/_test`` control API).

        Control API (JSON in/out; every endpoint takes an optional ``bot`` = token to
        address another registered bot):

        * ``POST /_test/users`` ``{id?, first_name, last_name?, username?, language_code?}``
          -> User. ``GET /_test/users`` -> list.
        * ``POST /_test/bots`` ``{token, username?, first_name?}`` -> bot User.
        * ``POST /_test/send_message`` ``{user_id, text, reply_to_message_id?}`` -> Update.
        * ``POST /_test/press_button`` ``{user_id, message_id, data? | text?}`` -> Update.
        * ``POST /_test/send_sticker`` ``{user_id, emoji?, set_name?}`` -> Update.
        * ``POST /_test/send_photo`` ``{user_id, caption?}`` -> Update.
        * ``POST /_test/send_document`` ``{user_id, content (text) | content_b64, file_name?,
          mime_type?, caption?}`` -> Update.
        * ``POST /_test/block`` ``{user_id, blocked=true}`` -> my_chat_member Update.
        * ``POST /_test/update`` ``{update: {...}}`` -> Update (raw injection).
        * ``GET /_test/messages?chat_id=&include_user=&include_deleted=`` -> records.
        * ``GET /_test/wait_message?chat_id=&after_seq=&contains=&regex=&has_buttons=&
          include_edits=&timeout=`` -> record, or 408.
        * ``GET /_test/chat?chat_id=`` -> chat state (reply keyboard, menu button...).
        * ``GET /_test/callbacks`` -> callback queries with answers;
          ``GET /_test/wait_callback_answer?id=&timeout=`` -> record, or 408.
        * ``GET /_test/commands`` -> ``[{scope, language_code, commands}]``.
        * ``GET /_test/calls?method=&since=`` -> call log;
          ``GET /_test/wait_call?method=&since=&timeout=`` -> first newer entry, or 408.
        * ``GET /_test/updates`` -> pending (unconfirmed) updates; ``GET /_test/webhook``.
        * ``POST /_test/rate_limit`` ``{method, count=1, retry_after=1}``.
        * ``GET /_test/files/{file_id}`` -> raw bytes.  ``POST /_test/reset``.
        * ``GET /_test/health`` -> ``{"ok": true}``.

        Returns:
            The application; its ``on_shutdown`` wakes long polls and stops webhooks.
        """
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        control = {
            ("POST", "users"): self._c_add_user,
            ("GET", "users"): self._c_users,
            ("POST", "bots"): self._c_add_bot,
            ("POST", "send_message"): self._c_send_message,
            ("POST", "press_button"): self._c_press_button,
            ("POST", "send_sticker"): self._c_send_sticker,
            ("POST", "send_photo"): self._c_send_photo,
            ("POST", "send_document"): self._c_send_document,
            ("POST", "block"): self._c_block,
            ("POST", "update"): self._c_update,
            ("GET", "messages"): self._c_messages,
            ("GET", "wait_message"): self._c_wait_message,
            ("GET", "chat"): self._c_chat,
            ("GET", "callbacks"): self._c_callbacks,
            ("GET", "wait_callback_answer"): self._c_wait_callback_answer,
            ("GET", "commands"): self._c_commands,
            ("GET", "calls"): self._c_calls,
            ("GET", "wait_call"): self._c_wait_call,
            ("GET", "updates"): self._c_updates,
            ("GET", "webhook"): self._c_webhook,
            ("POST", "rate_limit"): self._c_rate_limit,
            ("POST", "reset"): self._c_reset,
            ("GET", "health"): self._c_health,
        }
        for (verb, name), handler in control.items():
            app.router.add_route(verb, f"/_test/{name}", self._control(handler))
        app.router.add_get("/_test/files/{file_id}", self._c_file)
        app.on_shutdown.append(self._on_shutdown)
        return app

    async def _on_shutdown(self, app: web.Application) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Wake all long polls/waiters, stop webhook delivery and close the HTTP client."""
        self._closing = True
        for state in self.bots.values():
            state.notifier.notify()
            state.changes.notify()
            await self._stop_webhook(state)
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def _handle_api(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        method = request.match_info["method"]
        try:
            params = await _read_params(request)
        except ApiError as exc:
            return web.json_response(exc.payload(), status=exc.code)
        status, body = await self.call(token, method, params)
        return web.json_response(body, status=status)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        state = self.bots.get(request.match_info["token"])
        if state is None:
            return web.json_response(ApiError(401, "Unauthorized").payload(), status=401)
        path = request.match_info["path"]
        for stored in state.files.values():
            if stored.file_path == path:
                return web.Response(
                    body=stored.data, content_type=stored.mime_type or "application/octet-stream"
                )
        return web.json_response(ApiError(404, "Not Found").payload(), status=404)

    def _control(
        self, handler: Callable[[JSON], Awaitable[Any]]
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def wrapped(request: web.Request) -> web.Response:
            args: JSON = dict(request.query)
            if request.can_read_body:
                try:
                    body = await request.json()
                except ValueError:
                    return web.json_response(
                        {"ok": False, "description": "invalid JSON"}, status=400
                    )
                if isinstance(body, dict):
                    args.update(body)
            try:
                result = await handler(args)
            except ApiError as exc:
                return web.json_response(
                    {"ok": False, "description": exc.description}, status=exc.code
                )
            except KeyError as exc:
                return web.json_response(
                    {"ok": False, "description": f"missing or unknown: {exc}"}, status=400
                )
            return web.json_response({"ok": True, "result": result})

        return wrapped

    async def _c_add_user(self, args: JSON) -> Any:
        return self.add_user(
            _opt_int(args.get("id")),
            str(args.get("first_name") or "Test"),
            last_name=args.get("last_name"),
            username=args.get("username"),
            language_code=args.get("language_code", "en"),
            is_premium=args.get("is_premium"),
        )

    async def _c_users(self, args: JSON) -> Any:
        return list(self.users.values())

    async def _c_add_bot(self, args: JSON) -> Any:
        try:
            state = self.add_bot(
                str(args["token"]),
                username=str(args.get("username") or "matchbot_test_bot"),
                first_name=str(args.get("first_name") or "Test Bot"),
            )
        except ValueError as exc:
            raise bad_request(str(exc)) from None
        return state.user

    async def _c_send_message(self, args: JSON) -> Any:
        return self.user_sends_text(
            int(args["user_id"]),
            str(args["text"]),
            token=args.get("bot"),
            reply_to_message_id=_opt_int(args.get("reply_to_message_id")),
        )

    async def _c_press_button(self, args: JSON) -> Any:
        return self.user_presses_button(
            int(args["user_id"]),
            int(args["message_id"]),
            args.get("data"),
            text=args.get("text"),
            token=args.get("bot"),
        )

    async def _c_send_sticker(self, args: JSON) -> Any:
        return self.user_sends_sticker(
            int(args["user_id"]),
            emoji=str(args.get("emoji") or "👍"),
            set_name=args.get("set_name"),
            token=args.get("bot"),
        )

    async def _c_send_photo(self, args: JSON) -> Any:
        return self.user_sends_photo(
            int(args["user_id"]), caption=args.get("caption"), token=args.get("bot")
        )

    async def _c_send_document(self, args: JSON) -> Any:
        if args.get("content_b64") is not None:
            data = base64.b64decode(str(args["content_b64"]))
        else:
            data = str(args.get("content", "")).encode("utf-8")
        return self.user_sends_document(
            int(args["user_id"]),
            data,
            file_name=str(args.get("file_name") or "file.txt"),
            mime_type=str(args.get("mime_type") or "text/plain"),
            caption=args.get("caption"),
            token=args.get("bot"),
        )

    async def _c_block(self, args: JSON) -> Any:
        blocked = args.get("blocked", True)
        if isinstance(blocked, str):
            blocked = blocked.lower() in {"1", "true", "yes"}
        return self.set_blocked(int(args["user_id"]), bool(blocked), token=args.get("bot"))

    async def _c_update(self, args: JSON) -> Any:
        update = args.get("update")
        if not isinstance(update, dict):
            raise bad_request("update object expected")
        return self.inject_update(update, token=args.get("bot"))

    async def _c_messages(self, args: JSON) -> Any:
        records = self.messages(
            int(args["chat_id"]),
            token=args.get("bot"),
            include_user=_flag(args.get("include_user")),
            include_deleted=_flag(args.get("include_deleted")),
        )
        return [record.to_json() for record in records]

    async def _c_wait_message(self, args: JSON) -> Any:
        has_buttons = args.get("has_buttons")
        record = await self.wait_message(
            int(args["chat_id"]),
            after_seq=int(args.get("after_seq") or 0),
            contains=args.get("contains"),
            regex=args.get("regex"),
            has_buttons=None if has_buttons in (None, "") else _flag(has_buttons),
            include_edits=_flag(args.get("include_edits")),
            wait_for=float(args.get("timeout") or 10),
            token=args.get("bot"),
        )
        if record is None:
            raise ApiError(408, "timed out waiting for a matching bot message")
        return record.to_json()

    async def _c_chat(self, args: JSON) -> Any:
        state = self.bot(args.get("bot"))
        chat = state.chats.get(int(args["chat_id"]))
        if chat is None:
            raise ApiError(404, "chat not found")
        return {
            "chat": chat.chat,
            "user": chat.user,
            "started": chat.started,
            "blocked": chat.blocked,
            "reply_keyboard": chat.reply_keyboard,
            "menu_button": chat.menu_button,
            "next_message_id": chat.next_message_id,
        }

    async def _c_callbacks(self, args: JSON) -> Any:
        return [record.to_json() for record in self.bot(args.get("bot")).callbacks.values()]

    async def _c_wait_callback_answer(self, args: JSON) -> Any:
        record = await self.wait_callback_answer(
            str(args["id"]), wait_for=float(args.get("timeout") or 10), token=args.get("bot")
        )
        if record is None:
            raise ApiError(408, "timed out waiting for answerCallbackQuery")
        return record.to_json()

    async def _c_commands(self, args: JSON) -> Any:
        state = self.bot(args.get("bot"))
        return [
            {"scope": json.loads(scope), "language_code": language, "commands": commands}
            for (scope, language), commands in state.commands.items()
        ]

    async def _c_calls(self, args: JSON) -> Any:
        state = self.bot(args.get("bot"))
        method = (args.get("method") or "").lower()
        since = int(args.get("since") or 0)
        return [
            call
            for call in state.calls
            if call["seq"] > since and (not method or call["method"].lower() == method)
        ]

    async def _c_wait_call(self, args: JSON) -> Any:
        entry = await self.wait_call(
            args.get("method"),
            since=int(args.get("since") or 0),
            wait_for=float(args.get("timeout") or 10),
            token=args.get("bot"),
        )
        if entry is None:
            raise ApiError(408, "timed out waiting for a matching Bot API call")
        return entry

    async def _c_updates(self, args: JSON) -> Any:
        return self.bot(args.get("bot")).updates

    async def _c_webhook(self, args: JSON) -> Any:
        state = self.bot(args.get("bot"))
        info = await self._get_webhook_info(state, Params({}))
        info["secret_token"] = (state.webhook or {}).get("secret_token")
        return info

    async def _c_rate_limit(self, args: JSON) -> Any:
        self.rate_limit(
            str(args["method"]),
            int(args.get("count", 1)),
            int(args.get("retry_after", 1)),
            token=args.get("bot"),
        )
        return True

    async def _c_reset(self, args: JSON) -> Any:
        self.reset()
        return True

    async def _c_health(self, args: JSON) -> Any:
        return {"bots": [state.user for state in self.bots.values()]}

    async def _c_file(self, request: web.Request) -> web.Response:
        state = self.bot(request.query.get("bot"))
        stored = state.files.get(request.match_info["file_id"])
        if stored is None:
            return web.json_response({"ok": False, "description": "file not found"}, status=404)
        return web.Response(
            body=stored.data, content_type=stored.mime_type or "application/octet-stream"
        )


def _valid_button_url(url: str) -> bool:
    """Telegram accepts tg:// links and http(s) URLs whose host is an IP or a dotted domain.

    (``http://localhost/...`` is refused by Telegram with "Wrong HTTP URL".)
    """
    if re.match(r"^tg://\S+$", url):
        return True
    if not re.match(r"^https?://\S+$", url):
        return False
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    if re.fullmatch(r"\d{1,3}(\.\d{1,3}){3}", host):
        return True
    labels = host.split(".")
    return len(labels) >= 2 and all(labels) and labels[-1].isalpha()


def _opt_int(value: Any) -> int | None:
    return None if value in (None, "") else int(value)


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in {"1", "true", "yes", "on"}
    return bool(value)


def _image_size(data: bytes) -> tuple[int, int]:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return 320, 320


async def _read_params(request: web.Request) -> Params:
    values: JSON = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if not request.can_read_body:
        return Params(values, files)
    content_type = request.content_type
    if content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON encoded request body") from None
        if not isinstance(body, dict):
            raise bad_request("JSON object expected")
        values.update(body)
    elif content_type == "multipart/form-data":
        reader = await request.multipart()
        while True:
            part = await reader.next()
            if part is None:
                break
            if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                continue
            data = await part.read(decode=True)
            if part.filename is not None:
                files[part.name] = UploadedFile(
                    filename=part.filename,
                    content_type=part.headers.get("Content-Type", "application/octet-stream"),
                    data=bytes(data),
                )
            else:
                values[part.name] = bytes(data).decode(part.get_charset(default="utf-8"))
    else:
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = UploadedFile(
                    filename=value.filename, content_type=value.content_type, data=value.file.read()
                )
            else:
                values[key] = str(value)
    return Params(values, files)


# ---------------------------------------------------------------------------
# Standalone process
# ---------------------------------------------------------------------------


async def serve(
    server: TelegramServer, host: str = "127.0.0.1", port: int = 0
) -> tuple[web.AppRunner, int]:
    """Start ``server`` on ``host:port`` in the running loop.

    Args:
        server: The emulator.
        host: Interface to bind.
        port: Port, 0 for a free one.

    Returns:
        ``(runner, bound_port)``; call ``await runner.cleanup()`` to stop.
    """
    runner = web.AppRunner(server.build_app(), access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1] if runner.addresses else port
    return runner, int(bound)


def main(argv: list[str] | None = None) -> None:
    """Run the server as a process: ``python -m tests.e2e.botapi.server --port N --token T``.

    Prints ``LISTENING http://HOST:PORT`` on stdout once ready and runs until SIGINT/SIGTERM.
    """
    parser = argparse.ArgumentParser(description="Telegram Bot API test server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", action="append", help="bot token (repeatable)")
    parser.add_argument("--username", default="matchbot_test_bot")
    parser.add_argument("--lenient-ampersand", action="store_true")
    args = parser.parse_args(argv)
    tokens = args.token or [DEFAULT_TOKEN]

    async def run() -> None:
        server = TelegramServer(
            tokens[0], bot_username=args.username, strict_ampersand=not args.lenient_ampersand
        )
        for index, extra in enumerate(tokens[1:], start=2):
            server.add_bot(extra, username=f"{args.username}{index}")
        runner, port = await serve(server, args.host, args.port)
        print(f"LISTENING http://{args.host}:{port}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            await runner.cleanup()

    asyncio.run(run())


if __name__ == "__main__":
    main()
