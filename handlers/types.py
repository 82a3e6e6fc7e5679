"""What goes into and comes out of the framework-neutral dialog.

A channel (aiogram, python-telegram-bot, console, ...) turns its update into a `UserEvent`, calls
`Dialog.handle`, and performs the returned `Response`: it sends each `Reply` (to the user, or to
`chat_id` when a reply is addressed to someone else, e.g. the partner of a meeting request) and
answers the button press with `Response.toast`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

MAX_CALLBACK_BYTES = 64


class EventKind(StrEnum):
    """What the user did."""

    COMMAND = "command"
    TEXT = "text"
    CALLBACK = "callback"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class UserEvent:
    """One thing a user did in a chat, stripped of any framework.

    Attributes:
        user_id: Stable user id (Telegram user id; the console uses its own).
        chat_id: Where replies go by default.
        kind: Command, text, button press, or anything else (sticker, photo, voice, ...).
        text: For COMMAND the whole text ("/start cee-china"), for TEXT the message text.
        callback_data: For CALLBACK, the button's data.
        message_id: For CALLBACK, the id of the message that carried the button.
        language_code: The client's language (IETF tag such as "zh-hans", "pl"), if known.
        display_name: The user's name as the chat app shows it.
        content_type: For OTHER, what was sent ("sticker", "photo", "voice", ...).
    """

    user_id: int
    chat_id: int
    kind: EventKind
    text: str = ""
    callback_data: str = ""
    message_id: int | None = None
    language_code: str | None = None
    display_name: str = ""
    content_type: str = ""

    @property
    def command(self) -> str:
        """Return the command name without slash and bot suffix ("" if not a command)."""
        if self.kind is not EventKind.COMMAND or not self.text.startswith("/"):
            return ""
        head = self.text.split(maxsplit=1)[0][1:]
        return head.split("@", 1)[0].lower()

    @property
    def command_args(self) -> str:
        """Return the text after the command ("" if none)."""
        parts = self.text.split(maxsplit=1)
        return parts[1].strip() if len(parts) > 1 else ""


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button: callback data (ids only, < 64 bytes) or a URL."""

    text: str
    data: str = ""
    url: str = ""

    def __post_init__(self) -> None:
        if self.data and len(self.data.encode("utf-8")) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data too long: {self.data!r}")


@dataclass(frozen=True, slots=True)
class Document:
    """A file to send (an .ics invitation, a data export)."""

    filename: str
    content: bytes
    mime_type: str = "application/octet-stream"


@dataclass(frozen=True, slots=True)
class Reply:
    """One message to send.

    Attributes:
        text: HTML text, localized, with every piece of user text escaped.
        buttons: Rows of inline buttons.
        chat_id: Recipient; None means the chat the event came from.
        document: A file to send with `text` as caption.
        edit: Replace the message whose button was pressed instead of sending a new one.
    """

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    chat_id: int | None = None
    document: Document | None = None
    edit: bool = False


@dataclass(slots=True)
class Response:
    """Everything the dialog wants the channel to do for one event."""

    replies: list[Reply] = field(default_factory=list)
    toast: str | None = None
