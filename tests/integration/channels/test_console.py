"""The console channel with scripted input: the same echo App, typed instead of tapped."""

from __future__ import annotations

from collections.abc import Callable

from bot.channels.console import console_user_id, html_to_text, run_console
from handlers.types import EventKind
from tests.integration.channels.conftest import EchoApp


def scripted(*lines: str) -> Callable[[str], str]:
    """Return an input function that types `lines`, then Ctrl-D."""
    pending = list(lines)

    def read(prompt: str) -> str:
        if not pending:
            raise EOFError
        return pending.pop(0)

    return read


async def test_console_conversation_with_buttons_documents_and_quit(app: EchoApp) -> None:
    out: list[str] = []

    await run_console(
        app,
        lang="zh_Hans",
        user="Ann",
        input_fn=scripted("/start", "1", "hello", "\\2", "invite", "partner", "/quit", "never"),
        output_fn=out.append,
    )

    ics = app.settings.data_dir / "downloads" / "meeting.ics"
    assert out[1:] == [
        "Welcome, Ann & co",
        "  [1] Accept  [2] Decline",
        "» Saved",
        "(updated)",
        "Chosen m:1:y",
        "You said: hello",
        "You said: 2",
        "Your invitation",
        f"(file saved: {ics})",
        "Request sent",
    ]
    assert ics.read_bytes() == b"BEGIN:VCALENDAR"
    press = app.events[1]
    assert (press.kind, press.callback_data, press.message_id) == (EventKind.CALLBACK, "m:1:y", 1)
    assert {e.user_id for e in app.events} == {console_user_id("Ann")}
    assert {e.language_code for e in app.events} == {"zh-hans"}
    assert len(app.events) == 6  # "never" was not sent after /quit
    assert (app.started, app.stopped) == (1, 1)


async def test_numbers_press_only_buttons_currently_shown(app: EchoApp) -> None:
    out: list[str] = []

    await run_console(app, input_fn=scripted("/start", "hello", "1", "7"), output_fn=out.append)

    assert [e.kind for e in app.events] == [EventKind.COMMAND] + [EventKind.TEXT] * 3
    assert out[-2:] == ["You said: 1", "You said: 7"]


async def test_debug_shows_replies_to_other_participants(app: EchoApp) -> None:
    out: list[str] = []

    async def read(prompt: str) -> str:
        if app.events:
            raise EOFError
        return "partner"

    await run_console(app, input_fn=read, output_fn=out.append, debug=True)

    assert out[1:] == ["(to another participant, chat 777) Ann wants to meet", "Request sent"]


def test_console_user_ids_are_stable_negative_and_distinct() -> None:
    assert console_user_id("Ann") == console_user_id("Ann") < 0
    assert console_user_id("Ann") != console_user_id("Piotr")


def test_html_becomes_terminal_text() -> None:
    html = '<b>Match</b> &lt;3 <a href="https://x.org/m">profile</a> <a href="https://y.org">https://y.org</a>'

    assert html_to_text(html) == "Match <3 profile (https://x.org/m) https://y.org"
    colored = html_to_text("<b>bold <i>both</i></b> plain", ansi=True)
    assert "\033[1m" in colored and "\033[3m" in colored and colored.endswith("\033[0m")
