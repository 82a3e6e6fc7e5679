"""What both Telegram channels share: updates to events, long texts, delivery rules, menus."""

from __future__ import annotations

import asyncio
import os
import re
import signal
from collections.abc import Sequence
from typing import Any

import pytest

from bot.channels.common import (
    ApiFailure,
    Delivery,
    FailureKind,
    Keyboard,
    classify_failure,
    command_menus,
    content_type_of,
    event_from_callback,
    event_from_message,
    run_job_loop,
    split_html,
    stop_on_signals,
    telegram_language_code,
    utf16_len,
)
from handlers.types import Button, Document, EventKind, Reply
from tests.integration.channels.conftest import (
    ANN,
    EchoApp,
    button_update,
    command_update,
    message_update,
)


def test_command_text_and_other_content_become_the_right_event_kinds() -> None:
    command = event_from_message(command_update(1, "/start@matchbot_test cee")["message"])
    text = event_from_message(message_update(2, text="/ not a command")["message"])
    photo = event_from_message(message_update(3, photo=[{"file_id": "p"}], caption="/x")["message"])

    assert command is not None and command.kind is EventKind.COMMAND
    assert (command.command, command.command_args) == ("start", "cee")
    assert text is not None and text.kind is EventKind.TEXT
    assert photo is not None and (photo.kind, photo.content_type, photo.text) == (
        EventKind.OTHER, "photo", "",
    )  # fmt: skip


def test_content_type_names_the_most_specific_field() -> None:
    assert content_type_of({"animation": {}, "document": {"file_id": "d"}}) == "document"
    assert content_type_of({"animation": {"file_id": "a"}, "document": {"file_id": "d"}}) == (
        "animation"
    )
    assert content_type_of({"venue": {"title": "Expo"}, "location": {"latitude": 1}}) == "venue"
    assert content_type_of({"group_chat_created": False, "voice": {"file_id": "v"}}) == "voice"
    assert content_type_of({"something_new": {"x": 1}}) == "unknown"


def test_messages_without_a_human_sender_are_dropped() -> None:
    from_bot = message_update(1, text="hi")["message"] | {"from": {"id": 9, "is_bot": True}}
    channel_post = {k: v for k, v in message_update(2, text="hi")["message"].items() if k != "from"}

    assert event_from_message(from_bot) is None
    assert event_from_message(channel_post) is None


def test_button_press_carries_data_and_the_pressed_message() -> None:
    event = event_from_callback(button_update(1, "m:7:y", 321, "q")["callback_query"])
    no_data = event_from_callback({"id": "q", "from": ANN, "chat_instance": "c"})

    assert event is not None
    assert (event.kind, event.callback_data, event.message_id, event.chat_id) == (
        EventKind.CALLBACK, "m:7:y", 321, ANN["id"],
    )  # fmt: skip
    assert no_data is None


def _visible(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def test_split_html_keeps_tags_balanced_and_entities_whole() -> None:
    text = "<b>" + "&amp;word " * 1200 + "</b>\n<a href='https://x.org'>link</a>"

    chunks = split_html(text, limit=4096)

    assert len(chunks) == 3
    for chunk in chunks:
        assert utf16_len(chunk) <= 4096
        assert chunk.count("<b>") == chunk.count("</b>")
        assert not re.search(r"&[a-z]*$|&[a-z]*\s", _visible(chunk))
    squeeze = re.compile(r"\s+")
    assert squeeze.sub("", "".join(map(_visible, chunks))) == squeeze.sub("", _visible(text))


def test_split_html_prefers_paragraphs_and_counts_utf16() -> None:
    first, second = "🤝" * 1500, "🤝" * 1000  # 3000 + 2000 UTF-16 units, 2500 code points
    text = first + "\n\n" + second

    chunks = split_html(text, limit=4096)

    assert chunks == [first, second]
    assert split_html("fits") == ["fits"]


def test_split_html_cuts_an_endless_word_anywhere_but_inside_a_tag() -> None:
    chunks = split_html("<i>" + "x" * 5000 + "</i>", limit=1000)

    assert all(c.startswith("<i>") and c.endswith("</i>") for c in chunks)
    assert all(utf16_len(c) <= 1000 for c in chunks)
    assert sum(len(_visible(c)) for c in chunks) == 5000


def test_locales_map_to_telegram_codes_plain_locale_winning() -> None:
    assert telegram_language_code("zh_Hans") == "zh"
    assert telegram_language_code("pt-BR") == "pt"
    assert telegram_language_code("fil") is None


def test_command_menus_default_first_then_one_per_telegram_language(settings: Any) -> None:
    class Menus(EchoApp):
        def supported_locales(self) -> list[str]:
            return ["en", "sr_Latn", "sr", "zh_Hans", "zh_Hant", "pl"]

    menus = command_menus(Menus(settings))

    assert [(code, commands[0][1]) for code, commands in menus] == [
        (None, "Start (en)"),
        ("en", "Start (en)"),
        ("sr", "Start (sr)"),
        ("zh", "Start (zh_Hans)"),
        ("pl", "Start (pl)"),
    ]


def test_errors_are_classified_from_what_every_framework_exposes() -> None:
    assert classify_failure(retry_after=3) == ApiFailure(FailureKind.RETRY, 3.0)
    assert classify_failure(forbidden=True).kind is FailureKind.UNREACHABLE
    assert classify_failure(description="Chat not found").kind is FailureKind.UNREACHABLE
    assert (
        classify_failure(description="Bad Request: message is not modified: specified new")
        .kind is FailureKind.NOT_EDITABLE
    )  # fmt: skip
    assert classify_failure(description="Bad Request: can't parse entities").kind is (
        FailureKind.OTHER
    )


class FlakyApi:
    """A BotApi that records calls and fails the ones it is told to."""

    def __init__(self, failures: Sequence[ApiFailure] = ()) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.failures = list(failures)

    async def _record(self, *call: Any) -> None:
        self.calls.append(call)
        if self.failures:
            raise RuntimeError(self.failures.pop(0))

    async def send_text(self, chat_id: int, text: str, buttons: Keyboard) -> None:
        await self._record("text", chat_id, text, buttons)

    async def edit_text(self, chat_id: int, message_id: int, text: str, buttons: Keyboard) -> None:
        await self._record("edit", chat_id, message_id, text, buttons)

    async def send_document(
        self, chat_id: int, document: Document, caption: str, buttons: Keyboard
    ) -> None:
        await self._record("document", chat_id, document.filename, caption, buttons)

    async def answer_callback(self, callback_id: str, text: str | None) -> None:
        await self._record("answer", callback_id, text)

    async def set_commands(
        self, commands: Sequence[tuple[str, str]], language_code: str | None
    ) -> None:
        await self._record("commands", language_code)

    def classify(self, exc: Exception) -> ApiFailure | None:
        failure = exc.args[0] if exc.args else None
        return failure if isinstance(failure, ApiFailure) else None


async def test_document_with_a_caption_too_long_sends_the_text_first() -> None:
    api = FlakyApi()
    keys = ((Button("OK", "ok"),),)
    reply = Reply("x" * 2000, buttons=keys, document=Document("a.ics", b"1"))

    await Delivery(api).deliver([reply], chat_id=5)

    assert api.calls == [("text", 5, "x" * 2000, ()), ("document", 5, "a.ics", "", keys)]


async def test_edit_without_a_pressed_message_sends_and_empty_replies_are_dropped() -> None:
    api = FlakyApi()

    await Delivery(api).deliver([Reply("new", edit=True), Reply("  "), Reply("orphan")], chat_id=5)
    await Delivery(api).deliver([Reply("no chat")])

    assert api.calls == [("text", 5, "new", ()), ("text", 5, "orphan", ())]


async def test_a_retry_after_longer_than_the_cap_is_not_waited_for() -> None:
    api = FlakyApi([ApiFailure(FailureKind.RETRY, 600)])
    waits: list[float] = []

    async def wait(seconds: float) -> None:
        waits.append(seconds)

    await Delivery(api, sleep=wait).deliver([Reply("hi")], chat_id=5)

    assert waits == [] and len(api.calls) == 1


async def test_unknown_errors_propagate() -> None:
    api = FlakyApi()

    async def broken(*args: Any) -> None:
        raise KeyError("bug")

    api.send_text = broken  # type: ignore[method-assign]
    with pytest.raises(KeyError):
        await Delivery(api).deliver([Reply("hi")], chat_id=5)


async def test_toasts_are_cut_to_telegram_limit() -> None:
    api = FlakyApi()

    await Delivery(api).answer("q", "t" * 300)

    assert api.calls == [("answer", "q", "t" * 200)]


async def test_job_loop_delivers_due_replies_and_survives_a_failing_run(settings: Any) -> None:
    runs = 0
    api = FlakyApi()
    third_run = asyncio.Event()

    class Jobs(EchoApp):
        async def run_due_jobs(self) -> list[Reply]:
            nonlocal runs
            runs += 1
            if runs == 3:
                third_run.set()
            if runs == 1:
                raise RuntimeError("database is locked")
            return [Reply("Your meeting starts in 15 minutes", chat_id=9)]

    stop = asyncio.Event()
    task = asyncio.create_task(run_job_loop(Jobs(settings), Delivery(api), 0.001, stop))
    await asyncio.wait_for(third_run.wait(), 5)
    stop.set()
    await asyncio.wait_for(task, 5)

    assert api.calls[0] == ("text", 9, "Your meeting starts in 15 minutes", ())


async def test_sigterm_sets_the_stop_event() -> None:
    stop = asyncio.Event()
    with stop_on_signals(stop):
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(stop.wait(), 1)
    assert stop.is_set()
