"""What the Telegram channels share, so that aiogram and python-telegram-bot behave the same.

- `event_from_message` / `event_from_callback` turn a Bot API `Message` / `CallbackQuery` (as the
  JSON dict the Bot API sends) into a `UserEvent`.
- `split_html` cuts HTML longer than Telegram's 4096 characters into balanced chunks.
- `Delivery` performs a `Response` through a channel's `BotApi` (the five Bot API calls matchbot
  makes): edits with a fallback to a new message, 429 retries, chats that blocked the bot.
- `command_menus`, `job_loop` and `stop_on_signals` are the rest of a channel's life cycle.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import signal
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol

from handlers.types import Button, Document, EventKind, Reply, Response, UserEvent

if TYPE_CHECKING:
    from bot.config import Settings

logger = logging.getLogger(__name__)

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
TOAST_LIMIT = 200
ALLOWED_UPDATES = ("message", "callback_query")
POLL_TIMEOUT_S = 10
JOBS_INTERVAL_S = 30.0
MAX_SEND_ATTEMPTS = 3
MAX_RETRY_AFTER_S = 60.0

Keyboard = tuple[tuple[Button, ...], ...]
CommandMenu = tuple[str | None, list[tuple[str, str]]]

# Bot API message fields that name what was sent, most specific first: an animation also
# carries `document`, a venue also carries `location`.
CONTENT_TYPES = (
    "animation", "audio", "document", "paid_media", "photo", "sticker", "story", "video",
    "video_note", "voice", "checklist", "contact", "dice", "game", "poll", "venue", "location",
    "invoice", "successful_payment", "users_shared", "chat_shared", "web_app_data",
    "passport_data", "giveaway", "new_chat_members", "left_chat_member", "pinned_message",
)  # fmt: skip

_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@\w+)?(?:\s|$)")
_TOKEN = re.compile(r"<[^>]*>|&#?\w+;|.", re.S)
_TAG = re.compile(r"<(/?)([A-Za-z][\w-]*)[^>]*>")
_EDIT_REFUSALS = (
    "message is not modified",
    "message can't be edited",
    "message to edit not found",
    "there is no text in the message to edit",
    "message_id_invalid",
)
_UNREACHABLE = ("chat not found", "user is deactivated", "bot was blocked", "peer_id_invalid")


class ChannelApp(Protocol):
    """The part of `bot.app.App` a channel uses."""

    settings: Settings

    async def start(self) -> None:
        """Open the database and load the index."""

    async def stop(self) -> None:
        """Release what `start` opened."""

    async def handle(self, event: UserEvent) -> Response:
        """Run the dialog for one event."""
        ...

    async def run_due_jobs(self) -> list[Reply]:
        """Run reminders, expiries and pushes; each reply has `chat_id` set."""
        ...

    def bot_commands(self, locale: str) -> list[tuple[str, str]]:
        """Return (command, localized description) pairs for the menu."""
        ...

    def supported_locales(self) -> list[str]:
        """Return the locales the bot speaks ("en", "zh_Hans", ...)."""
        ...


# --- updates -> events ------------------------------------------------------------------------


def _display_name(user: Mapping[str, Any]) -> str:
    return " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p)


def content_type_of(message: Mapping[str, Any]) -> str:
    """Return what a message carries: "text", "sticker", "photo", ... or "unknown"."""
    if "text" in message:
        return "text"
    return next((kind for kind in CONTENT_TYPES if message.get(kind)), "unknown")


def is_command(text: str) -> bool:
    """Tell whether a text is a bot command ("/start", "/start@matchbot payload")."""
    return _COMMAND.match(text) is not None


def event_from_message(message: Mapping[str, Any]) -> UserEvent | None:
    """Turn a Bot API Message into a UserEvent; None for what the dialog must not see.

    Messages without a human sender (channel posts, other bots) and messages outside private
    chats are dropped: the dialog asks for company details and must not run in groups.
    """
    user = message.get("from")
    chat = message.get("chat") or {}
    if not user or user.get("is_bot") or chat.get("type", "private") != "private":
        return None
    text = message.get("text")
    if text is None:
        kind, content_type, text = EventKind.OTHER, content_type_of(message), ""
    else:
        kind = EventKind.COMMAND if is_command(text) else EventKind.TEXT
        content_type = ""
    return UserEvent(
        user_id=int(user["id"]),
        chat_id=int(chat.get("id", user["id"])),
        kind=kind,
        text=text,
        language_code=user.get("language_code"),
        display_name=_display_name(user),
        content_type=content_type,
    )


def event_from_callback(query: Mapping[str, Any]) -> UserEvent | None:
    """Turn a Bot API CallbackQuery into a UserEvent; None if it carries no data."""
    user = query.get("from")
    data = query.get("data")
    if not user or not data:
        return None
    message = query.get("message") or {}
    chat = message.get("chat") or {}
    if chat.get("type", "private") != "private":
        return None
    return UserEvent(
        user_id=int(user["id"]),
        chat_id=int(chat.get("id", user["id"])),
        kind=EventKind.CALLBACK,
        callback_data=data,
        message_id=message.get("message_id"),
        language_code=user.get("language_code"),
        display_name=_display_name(user),
    )


# --- long texts ---------------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Return the length Telegram counts: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


OpenTags = tuple[tuple[str, str], ...]  # (name, opening tag as written), outermost first


def _after_tag(stack: OpenTags, token: str) -> OpenTags:
    match = _TAG.fullmatch(token)
    if match is None or token.endswith("/>"):
        return stack
    closing, name = match.group(1), match.group(2).lower()
    if not closing:
        return (*stack, (name, token))
    for index in range(len(stack) - 1, -1, -1):
        if stack[index][0] == name:
            return stack[:index] + stack[index + 1 :]
    return stack


def _closing(stack: OpenTags) -> str:
    return "".join(f"</{name}>" for name, _ in reversed(stack))


def _fit(tokens: list[str], start: int, stack: OpenTags, limit: int) -> tuple[int, OpenTags]:
    """Return where a chunk starting at `start` should end, and the tags open there.

    Prefers a paragraph break, then a line break, then a space, if one lies in the second half.
    """
    size = sum(utf16_len(tag) for _, tag in stack)
    breaks: dict[int, tuple[int, OpenTags]] = {}
    index = start
    while index < len(tokens):
        token = tokens[index]
        after = _after_tag(stack, token)
        if index > start and size + utf16_len(token) + utf16_len(_closing(after)) > limit:
            break
        size += utf16_len(token)
        stack = after
        index += 1
        if token == "\n":
            paragraph = index - 2 >= start and tokens[index - 2] == "\n"
            breaks[3 if paragraph else 2] = (index, stack)
        elif token.isspace():
            breaks[1] = (index, stack)
    else:
        return index, stack
    for quality in (3, 2, 1):
        if quality in breaks and breaks[quality][0] - start > (index - start) // 2:
            return breaks[quality]
    return index, stack


def split_html(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Cut Telegram HTML into chunks of at most `limit` UTF-16 units, tags kept balanced.

    A tag open at a cut is closed at the end of its chunk and opened again at the start of the
    next one; cuts never fall inside a tag or an entity.
    """
    if utf16_len(text) <= limit:
        return [text]
    tokens = _TOKEN.findall(text)
    chunks: list[str] = []
    start = 0
    stack: OpenTags = ()
    while start < len(tokens):
        end, after = _fit(tokens, start, stack, limit)
        chunk = "".join(tag for _, tag in stack) + "".join(tokens[start:end]) + _closing(after)
        if _TAG.sub("", chunk).strip():
            chunks.append(chunk.strip())
        start, stack = end, after
    return chunks


# --- performing responses -----------------------------------------------------------------------


class FailureKind(Enum):
    """How a failed Bot API call is dealt with."""

    RETRY = "retry"  # 429: wait `retry_after` seconds, try again
    UNREACHABLE = "unreachable"  # blocked the bot, deactivated, unknown chat: skip this chat
    NOT_EDITABLE = "not_editable"  # send a new message instead of editing
    OTHER = "other"  # log it and go on


@dataclass(frozen=True, slots=True)
class ApiFailure:
    """A Bot API error, classified the same way for every framework."""

    kind: FailureKind
    retry_after: float = 0.0


def classify_failure(
    *, retry_after: float | None = None, forbidden: bool = False, description: str = ""
) -> ApiFailure:
    """Classify a Bot API error from what every framework exposes about it."""
    if retry_after is not None:
        return ApiFailure(FailureKind.RETRY, max(0.0, retry_after))
    lowered = description.lower()
    if forbidden or any(reason in lowered for reason in _UNREACHABLE):
        return ApiFailure(FailureKind.UNREACHABLE)
    if any(reason in lowered for reason in _EDIT_REFUSALS):
        return ApiFailure(FailureKind.NOT_EDITABLE)
    return ApiFailure(FailureKind.OTHER)


class BotApi(Protocol):
    """The Bot API calls matchbot makes, implemented once per framework."""

    async def send_text(self, chat_id: int, text: str, buttons: Keyboard) -> None:
        """Send an HTML message with an inline keyboard."""

    async def edit_text(self, chat_id: int, message_id: int, text: str, buttons: Keyboard) -> None:
        """Replace a message's HTML text and keyboard."""

    async def send_document(
        self, chat_id: int, document: Document, caption: str, buttons: Keyboard
    ) -> None:
        """Send a file with an HTML caption."""

    async def answer_callback(self, callback_id: str, text: str | None) -> None:
        """Answer a button press, with a toast if `text` is set."""

    async def set_commands(
        self, commands: Sequence[tuple[str, str]], language_code: str | None
    ) -> None:
        """Set the command menu for one language (None: the default menu)."""

    def classify(self, exc: Exception) -> ApiFailure | None:
        """Classify a Bot API error; None if `exc` is not one (then it propagates)."""
        ...


class Delivery:
    """Perform dialog responses through a `BotApi`, the same way for every framework.

    Args:
        api: The framework's Bot API calls.
        max_attempts: Tries per call when Telegram answers 429.
        max_retry_after: Longest `retry_after` worth waiting for; longer ones give up.
        sleep: Awaited with the seconds to wait (tests pass a recorder).
    """

    def __init__(
        self,
        api: BotApi,
        *,
        max_attempts: int = MAX_SEND_ATTEMPTS,
        max_retry_after: float = MAX_RETRY_AFTER_S,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.api = api
        self.max_attempts = max_attempts
        self.max_retry_after = max_retry_after
        self.sleep = sleep

    async def handle(self, app: ChannelApp, event: UserEvent | None, callback_id: str = "") -> None:
        """Run the dialog for one event and perform its response.

        A button press is answered exactly once, before the replies are sent, even when the
        event is dropped or the dialog fails.
        """
        response = Response()
        try:
            if event is not None:
                response = await app.handle(event)
        finally:
            if callback_id:
                await self.answer(callback_id, response.toast)
        if event is not None:
            await self.deliver(response.replies, chat_id=event.chat_id, message_id=event.message_id)

    async def answer(self, callback_id: str, toast: str | None) -> None:
        """Answer a button press with an optional toast."""
        text = toast[:TOAST_LIMIT] if toast else None
        await self.call("answerCallbackQuery", None, self.api.answer_callback, callback_id, text)

    async def deliver(
        self, replies: Sequence[Reply], *, chat_id: int | None = None, message_id: int | None = None
    ) -> None:
        """Send replies; one that cannot be delivered does not stop the others.

        Args:
            replies: What to send, in order.
            chat_id: The chat the event came from (for replies without `chat_id`).
            message_id: The message whose button was pressed (for `edit=True` replies).
        """
        unreachable: set[int] = set()
        for reply in replies:
            target = reply.chat_id if reply.chat_id is not None else chat_id
            if target is None:
                logger.warning("Dropped a reply without chat_id")
                continue
            if target in unreachable:
                continue
            editable = message_id if target == chat_id else None
            failure = await self._deliver_one(reply, target, editable)
            if failure is not None and failure.kind is FailureKind.UNREACHABLE:
                unreachable.add(target)

    async def _deliver_one(
        self, reply: Reply, chat_id: int, message_id: int | None
    ) -> ApiFailure | None:
        keyboard = reply.buttons
        if reply.document is not None:
            caption = reply.text if utf16_len(reply.text) <= CAPTION_LIMIT else ""
            if not caption and reply.text:
                failure = await self._send_chunks(chat_id, split_html(reply.text), ())
                if failure is not None:
                    return failure
            return await self.call(
                "sendDocument", chat_id, self.api.send_document, chat_id, reply.document,
                caption, keyboard,
            )  # fmt: skip
        chunks = split_html(reply.text) if reply.text.strip() else []
        if not chunks:
            logger.warning("Dropped an empty reply to chat %s", chat_id)
            return None
        if reply.edit and message_id is not None:
            first_keys = keyboard if len(chunks) == 1 else ()
            failure = await self.call(
                "editMessageText", chat_id, self.api.edit_text, chat_id, message_id, chunks[0],
                first_keys,
            )  # fmt: skip
            if failure is None:
                chunks = chunks[1:]
            elif failure.kind is not FailureKind.NOT_EDITABLE:
                return failure
        return await self._send_chunks(chat_id, chunks, keyboard)

    async def _send_chunks(
        self, chat_id: int, chunks: Sequence[str], keyboard: Keyboard
    ) -> ApiFailure | None:
        for number, chunk in enumerate(chunks, 1):
            keys = keyboard if number == len(chunks) else ()
            failure = await self.call(
                "sendMessage", chat_id, self.api.send_text, chat_id, chunk, keys
            )
            if failure is not None:
                return failure
        return None

    async def call(
        self, method: str, chat_id: int | None, call: Callable[..., Awaitable[None]], *args: Any
    ) -> ApiFailure | None:
        """Make one Bot API call, waiting out 429s; return the failure that ended it, if any."""
        for attempt in range(1, self.max_attempts + 1):
            try:
                await call(*args)
                return None
            except Exception as exc:
                failure = self.api.classify(exc)
                if failure is None:
                    raise
                if (
                    failure.kind is FailureKind.RETRY
                    and attempt < self.max_attempts
                    and failure.retry_after <= self.max_retry_after
                ):
                    logger.info(
                        "%s hit flood control, retrying in %.1f s", method, failure.retry_after
                    )
                    await self.sleep(failure.retry_after)
                    continue
                if failure.kind is FailureKind.UNREACHABLE:
                    logger.info("%s: chat %s cannot be reached: %s", method, chat_id, exc)
                elif failure.kind is not FailureKind.NOT_EDITABLE:
                    logger.warning("%s to chat %s failed: %s", method, chat_id, exc)
                return failure
        return None  # pragma: no cover - the loop always returns


# --- life cycle -----------------------------------------------------------------------------------


def telegram_language_code(locale: str) -> str | None:
    """Return Telegram's two-letter language code for a locale ("zh_Hans" -> "zh")."""
    language = locale.replace("-", "_").split("_", 1)[0].lower()
    return language if len(language) == 2 and language.isalpha() else None


def command_menus(app: ChannelApp) -> list[CommandMenu]:
    """Return the command menus to set: the default one, then one per Telegram language.

    Several locales of one language ("zh_Hans", "zh_Hant") share Telegram's code ("zh"): a
    plain locale wins over one with a script, otherwise the first one listed.
    """
    chosen: dict[str, str] = {}
    for locale in app.supported_locales():
        code = telegram_language_code(locale)
        if code is None:
            continue
        if code not in chosen or ("_" in chosen[code] and "_" not in locale):
            chosen[code] = locale
    menus: list[CommandMenu] = [(None, app.bot_commands(app.settings.default_locale))]
    menus += [(code, app.bot_commands(locale)) for code, locale in chosen.items()]
    return [(code, commands) for code, commands in menus if commands]


async def set_command_menus(app: ChannelApp, delivery: Delivery) -> None:
    """Set the command menu for every supported language; failures are only logged."""
    for code, commands in command_menus(app):
        await delivery.call("setMyCommands", None, delivery.api.set_commands, commands, code)


async def run_job_loop(
    app: ChannelApp, delivery: Delivery, interval: float, stop: asyncio.Event
) -> None:
    """Run due jobs now and every `interval` seconds, sending their replies, until `stop` is set.

    A run in progress when `stop` is set is finished: the jobs it took from the database are
    done, so their messages must go out.
    """
    while not stop.is_set():
        try:
            replies = await app.run_due_jobs()
            if replies:
                await delivery.deliver(replies)
        except Exception:
            logger.exception("Running due jobs failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)


@contextlib.asynccontextmanager
async def job_loop(
    app: ChannelApp, delivery: Delivery, interval: float, stop: asyncio.Event
) -> AsyncIterator[None]:
    """Run `run_job_loop` inside the block; on the way out set `stop` and let it finish."""
    task = asyncio.create_task(run_job_loop(app, delivery, interval, stop))
    try:
        yield
    finally:
        stop.set()
        await task


def jobs_interval(settings: Settings) -> float:
    """Return seconds between job runs (`jobs_interval_s` in the settings if it exists)."""
    return float(getattr(settings, "jobs_interval_s", JOBS_INTERVAL_S))


@contextlib.contextmanager
def stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """Set `stop` on SIGINT or SIGTERM while inside the block."""
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, functools.partial(_on_signal, sig, stop))
        except (NotImplementedError, RuntimeError, ValueError):  # Windows, not the main thread
            continue
        installed.append(sig)
    try:
        yield
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)


def _on_signal(sig: signal.Signals, stop: asyncio.Event) -> None:
    logger.info("Received %s, stopping", sig.name)
    stop.set()


@contextlib.asynccontextmanager
async def background(coro: Coroutine[Any, Any, None]) -> AsyncIterator[asyncio.Task[None]]:
    """Run `coro` as a task inside the block and cancel it on the way out."""
    task = asyncio.create_task(coro)
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
