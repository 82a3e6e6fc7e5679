"""A terminal REPL that talks to the same App (and database) as the Telegram bot.

Replies are printed as plain text (bold and italics in ANSI on a terminal), buttons as numbered
choices: `[1] Accept  [2] Decline`. Typing a number presses that button, `\\3` sends "3" as text,
`/command` sends a command, anything else is text; `/quit` or Ctrl-D leaves. Documents are saved
under `<data_dir>/downloads`. Replies the dialog addresses to other people (a meeting partner)
are not delivered from here; with `debug=True` they are shown. Due jobs are not run by the
console, so that it never takes reminders away from a Telegram bot on the same database.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from bot.channels.common import ChannelApp, is_command
from handlers.types import Button, Document, EventKind, Reply, Response, UserEvent

InputFn = Callable[[str], str | Awaitable[str]]
OutputFn = Callable[[str], None]

PROMPT = "> "
QUIT = frozenset({"/quit", "/exit"})
_STYLES = {
    "b": "1", "strong": "1", "i": "3", "em": "3", "u": "4", "ins": "4",
    "s": "9", "strike": "9", "del": "9", "code": "36", "pre": "36",
}  # fmt: skip


def console_user_id(name: str) -> int:
    """Return a stable negative user id for a console name; Telegram user ids are positive."""
    digest = hashlib.sha256(b"matchbot-console:" + name.encode("utf-8")).digest()
    return -(int.from_bytes(digest[:6], "big") + 1)


class _TerminalText(HTMLParser):
    """Telegram HTML to terminal text: tags dropped or turned into ANSI, entities decoded."""

    def __init__(self, ansi: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.ansi = ansi
        self.parts: list[str] = []
        self.styles: list[str] = []
        self.links: list[tuple[str, int]] = []  # (href, where the link text starts)

    def _restyle(self) -> None:
        if self.ansi:
            self.parts.append("\033[0m" + "".join(f"\033[{code}m" for code in self.styles))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.parts)))
        elif tag in _STYLES:
            self.styles.append(_STYLES[tag])
            self._restyle()

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self.links:
            href, start = self.links.pop()
            if href and href not in "".join(self.parts[start:]):
                self.parts.append(f" ({href})")
        elif tag in _STYLES and _STYLES[tag] in self.styles:
            self.styles.reverse()
            self.styles.remove(_STYLES[tag])
            self.styles.reverse()
            self._restyle()

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(html: str, *, ansi: bool = False) -> str:
    """Return Telegram HTML as terminal text (ANSI bold/italic/underline if `ansi`)."""
    parser = _TerminalText(ansi)
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    return text + "\033[0m" if ansi and "\033[" in text else text


async def read_stdin(prompt: str) -> str:
    """Read a line from the terminal without blocking the event loop.

    Raises:
        EOFError: On Ctrl-D.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[str] = loop.create_future()

    def settle(line: str | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(line or "")

    def read() -> None:
        try:
            line = input(prompt)
        except BaseException as exc:  # EOFError, KeyboardInterrupt: handed to the loop
            loop.call_soon_threadsafe(settle, None, exc)
        else:
            loop.call_soon_threadsafe(settle, line, None)

    # A daemon thread, so that a pending input() never keeps the process alive on exit.
    threading.Thread(target=read, name="console-input", daemon=True).start()
    return await future


@dataclass
class ConsoleChat:
    """One console conversation: who is talking, and which buttons can be pressed.

    Attributes:
        app: The matchbot App.
        user_id: The console user's id (see `console_user_id`).
        name: Display name.
        language_code: IETF tag sent with each event ("zh-hans").
        output: Where lines go.
        downloads: Folder for documents.
        debug: Show replies addressed to other chats.
        ansi: Render bold and italics with ANSI codes.
    """

    app: ChannelApp
    user_id: int
    name: str
    language_code: str
    output: OutputFn
    downloads: Path
    debug: bool = False
    ansi: bool = False
    buttons: dict[int, tuple[int, Button]] = field(default_factory=dict)
    last_message_id: int = 0

    def event_for(self, line: str) -> UserEvent | None:
        """Return the event a typed line stands for (None: nothing to send)."""
        if line.isdigit() and int(line) in self.buttons:
            message_id, button = self.buttons[int(line)]
            if button.url:
                self.output(f"(open {button.url})")
                return None
            return self._event(EventKind.CALLBACK, callback_data=button.data, message_id=message_id)
        if line.startswith("\\"):
            return self._event(EventKind.TEXT, text=line[1:])
        kind = EventKind.COMMAND if is_command(line) else EventKind.TEXT
        return self._event(kind, text=line)

    def _event(
        self,
        kind: EventKind,
        *,
        text: str = "",
        callback_data: str = "",
        message_id: int | None = None,
    ) -> UserEvent:
        return UserEvent(
            user_id=self.user_id,
            chat_id=self.user_id,
            kind=kind,
            text=text,
            callback_data=callback_data,
            message_id=message_id,
            language_code=self.language_code,
            display_name=self.name,
        )

    def show(self, response: Response, pressed_message: int | None = None) -> None:
        """Print a response; its buttons become the ones that numbers press."""
        if response.toast:
            self.output(f"» {html_to_text(response.toast)}")
        own = [r for r in response.replies if r.chat_id in (None, self.user_id)]
        if own:
            self.buttons = {}
        for reply in response.replies:
            if reply.chat_id in (None, self.user_id):
                self._show_own(reply, pressed_message)
            elif self.debug:
                text = html_to_text(reply.text, ansi=self.ansi)
                self.output(f"(to another participant, chat {reply.chat_id}) {text}")

    def _show_own(self, reply: Reply, pressed_message: int | None) -> None:
        if reply.edit and pressed_message is not None and reply.document is None:
            message_id = pressed_message
            self.output("(updated)")
        else:
            self.last_message_id += 1
            message_id = self.last_message_id
        if reply.text.strip():
            self.output(html_to_text(reply.text, ansi=self.ansi))
        if reply.document is not None:
            self.output(f"(file saved: {self._save(reply.document)})")
        for row in reply.buttons:
            labels = []
            for button in row:
                number = len(self.buttons) + 1
                self.buttons[number] = (message_id, button)
                labels.append(f"[{number}] {button.text}")
            self.output("  " + "  ".join(labels))

    def _save(self, document: Document) -> Path:
        self.downloads.mkdir(parents=True, exist_ok=True)
        path = self.downloads / (Path(document.filename).name or "file")
        path.write_bytes(document.content)
        return path


async def run_console(
    app: ChannelApp,
    *,
    lang: str = "en",
    user: str = "console",
    input_fn: InputFn = read_stdin,
    output_fn: OutputFn = print,
    debug: bool = False,
    ansi: bool | None = None,
) -> None:
    """Talk to the bot in the terminal until `/quit` or Ctrl-D.

    Args:
        app: The matchbot App; started here and stopped on the way out.
        lang: Language of the conversation ("en", "zh", "zh_Hans", "pl", ...).
        user: Who is talking; one profile per name, with a stable negative user id.
        input_fn: Returns the next line (or an awaitable of it) for a prompt; raises EOFError
            at the end. Tests pass a scripted one.
        output_fn: Prints one line.
        debug: Also show replies addressed to other participants.
        ansi: Render bold and italics with ANSI codes; default: when printing to a terminal.
    """
    if ansi is None:
        ansi = output_fn is print and sys.stdout.isatty()
    chat = ConsoleChat(
        app=app,
        user_id=console_user_id(user),
        name=user,
        language_code=lang.replace("_", "-").lower(),
        output=output_fn,
        downloads=app.settings.data_dir / "downloads",
        debug=debug,
        ansi=ansi,
    )
    await app.start()
    try:
        output_fn("Type /start to begin, a number to press a button, /quit to leave.")
        while True:
            try:
                read = input_fn(PROMPT)
                line = (await read if inspect.isawaitable(read) else read).strip()
            except (EOFError, KeyboardInterrupt):
                break
            if line.lower() in QUIT:
                break
            event = chat.event_for(line) if line else None
            if event is not None:
                response = await app.handle(event)
                chat.show(response, event.message_id)
    finally:
        await app.stop()
