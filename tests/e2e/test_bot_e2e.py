"""The real bot process against the test Bot API server: two companies meet, end to end.

`python -m bot.cli run --channel aiogram` (and again with `--channel ptb`) runs as a subprocess
with its own SQLite database and the bundled encoder, polling the in-process test server. The
test plays two people over the server's control API: a Chinese tea exporter whose Telegram
speaks "zh-hans" and a Polish food distributor ("pl"). They register by answering every
question of the intake (buttons where the bot offers them, text otherwise), find each other in
/matches, one requests a meeting, the other accepts, a time is booked, and both get the
confirmation with the video link and the calendar file.

Steps are recognised by callback data (`in:<step>:back`, `m:req:<ref>`, `mt:acc:<id>` ...),
never by wording, so the test does not depend on translations.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.botapi import BotApiServer, BotMessage, TelegramUser

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

REPO = Path(__file__).resolve().parents[2]
WAIT = 30.0  # seconds for one answer of the bot (the first encoding loads the model)
CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Company:
    """What one person answers during the intake."""

    name: str
    locale: str  # the language button to press: st:lang:<locale>
    country: str  # the country button: in:country:c:<code>
    city: str
    offer: str
    need: str
    website: str
    contact: str


TEA_EXPORTER = Company(
    name="Hangzhou Tea Export Co",
    locale="zh_Hans",
    country="CN",
    city="Hangzhou",
    offer="We grow and export green tea and oolong tea in bulk to European importers.",
    need="We are looking for a food distributor in Poland who sells to supermarkets.",
    website="hztea.cn",
    contact="Li Wei, li@hztea.cn, WeChat liwei",
)
FOOD_DISTRIBUTOR = Company(
    name="Warszawa Food Distribution",
    locale="pl",
    country="PL",
    city="Warszawa",
    offer="We distribute food and drinks to supermarket chains all over Poland.",
    need="We are looking for exporters of tea from China for our supermarket shelves.",
    website="wfd.pl",
    contact="Piotr Nowak, piotr@wfd.pl, +48 600 000 000",
)


@dataclass
class RunningBot:
    """The test Bot API server and the bot process polling it."""

    api: BotApiServer
    process: asyncio.subprocess.Process
    log: Path

    def log_tail(self, lines: int = 40) -> str:
        """Return the end of the bot's log."""
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def running_bot(
    channel: str, folder: Path, *, webhook: bool = False
) -> AsyncIterator[RunningBot]:
    """Start the test server and `matchbot run --channel <channel>`; stop it with SIGTERM."""
    async with BotApiServer() as api:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHBOT_")}
        env |= {
            "PYTHONPATH": str(REPO),
            "MATCHBOT_TELEGRAM_TOKEN": api.token,
            "MATCHBOT_TELEGRAM_API_URL": api.base_url,
            "MATCHBOT_DATA_DIR": str(folder / "data"),
            "MATCHBOT_EMBEDDER": "bundled",
            "MATCHBOT_LOG_LEVEL": "INFO",
            "OMP_WAIT_POLICY": "passive",
        }
        args = ["run", "--channel", channel]
        if webhook:
            port = _free_port()
            env["MATCHBOT_WEBHOOK_URL"] = f"http://127.0.0.1:{port}/telegram/hook"
            env["MATCHBOT_WEBHOOK_PORT"] = str(port)
            args.append("--webhook")
        log = folder / "bot.log"
        with log.open("wb") as sink:
            # cwd is the test folder, so that no developer .env is read
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot.cli", *args, cwd=folder, env=env, stdout=sink,
                stderr=sink,
            )  # fmt: skip
        running = RunningBot(api, process, log)
        try:
            try:
                await api.control.wait_call("setWebhook" if webhook else "getUpdates", wait_for=90)
            except Exception:
                pytest.fail(f"the bot did not start:\n{running.log_tail()}")
            yield running
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            try:
                code = await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()
                pytest.fail(f"the bot did not stop on SIGTERM:\n{running.log_tail()}")
            assert code == 0, f"the bot exited with {code}:\n{running.log_tail()}"


@pytest.fixture(params=["aiogram", "ptb"])
async def bot(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[RunningBot]:
    """Run the bot with one channel, polling, for one test."""
    async with running_bot(request.param, tmp_path) as running:
        yield running


def data_of(message: BotMessage) -> list[str]:
    """Return the callback data of a message's buttons."""
    return [str(b.get("callback_data", "")) for b in message.buttons]


def button(prefix: str) -> Callable[[dict[str, Any]], bool]:
    """Select the button whose callback data starts with `prefix`."""
    return lambda b: str(b.get("callback_data", "")).startswith(prefix)


def offers(prefix: str) -> Callable[[BotMessage], bool]:
    """Select a message with a button whose callback data starts with `prefix`."""
    return lambda m: any(d.startswith(prefix) for d in data_of(m))


def intake_step(message: BotMessage) -> str | None:
    """Return the intake step a message asks for (from its Back button), if any."""
    for data in data_of(message):
        parts = data.split(":")
        if parts[0] == "in" and (parts[-1] == "back" or parts[1] == "summary"):
            return parts[1]
    return None


async def register(user: TelegramUser, company: Company) -> tuple[BotMessage, BotMessage]:
    """Answer the whole intake as the bot asks; return the greeting and the "saved" message."""
    await user.start()
    picker = await user.wait_message(predicate=offers("st:lang:"), timeout=WAIT)
    await user.press(button(f"st:lang:{company.locale}"), picker)
    typed = {
        "name": company.name, "city": company.city, "offer": company.offer,
        "need": company.need, "web": company.website, "contact": company.contact,
    }  # fmt: skip
    previous: str | None = None
    while True:
        question = await user.wait_message(
            include_edits=True,
            timeout=WAIT,
            predicate=lambda m, done=previous: intake_step(m) not in (None, done),
        )
        step = previous = intake_step(question)
        if step == "summary":
            assert company.name in question.text and company.contact in question.text
            await user.press(button("in:summary:ok"), question)
            break
        if step == "country":
            await user.press(button(f"in:country:c:{company.country}"), question)
        elif step == "tz":
            await user.press(button("in:tz:ok"), question)
        elif step == "langs":
            await user.press(button("in:langs:t:en"), question)
            ticked = await user.wait_edit(question, timeout=WAIT)
            await user.press(button("in:langs:done"), ticked)
        elif step in ("section", "ptype", "size"):
            first = data_of(question)[0]  # the first choice; Back and Skip come last
            assert not first.endswith((":back", ":skip")), data_of(question)
            await user.press(button(first), question)
        elif step in typed:
            await user.send(typed[str(step)])
        else:
            pytest.fail(f"unexpected intake step {step!r}: {question}")
    saved = await user.wait_message(predicate=offers("m:show"), timeout=WAIT)
    return picker, saved


async def test_two_companies_register_find_each_other_and_book_a_meeting(bot: RunningBot) -> None:
    api = bot.api
    li = await api.user(first_name="Li", last_name="Wei", language_code="zh-hans")
    piotr = await api.user(first_name="Piotr", last_name="Nowak", language_code="pl")

    menus = {entry.get("language_code") or "" for entry in await api.commands()}
    assert {"", "zh", "pl"} <= menus

    welcome, saved = await register(li, TEA_EXPORTER)
    assert CJK.search(welcome.text), "the zh-hans client is greeted in Chinese"
    assert CJK.search(saved.text)
    await register(piotr, FOOD_DISTRIBUTOR)

    # Each sees the other among the suggested partners, in their own language.
    await li.send("/matches")
    li_card = await li.wait_message(predicate=offers("m:req:"), timeout=WAIT)
    assert FOOD_DISTRIBUTOR.name in li_card.text and "波兰" in li_card.text
    await piotr.send("/matches")
    card = await piotr.wait_message(predicate=offers("m:req:"), timeout=WAIT)
    assert TEA_EXPORTER.name in card.text and "Chiny" in card.text

    # Piotr requests a meeting with a note.
    await piotr.press(button("m:req:"), card)
    await piotr.wait_message(include_edits=True, predicate=offers("m:skip:"), timeout=WAIT)
    await piotr.send("Let us talk about tea for our shelves.")
    sent = await piotr.wait_message(predicate=offers("m:show"), timeout=WAIT)
    assert TEA_EXPORTER.name in sent.text

    # Li gets the request in Chinese, with Piotr's note, and accepts: contacts are revealed.
    request = await li.wait_message(predicate=offers("mt:acc:"), timeout=WAIT)
    assert FOOD_DISTRIBUTOR.name in request.text and "Let us talk about tea" in request.text
    assert CJK.search(request.text) and "piotr@wfd.pl" not in request.text
    await li.press(button("mt:acc:"), request)
    accepted = await li.wait_message(
        include_edits=True, predicate=offers("mt:slots:"), timeout=WAIT
    )
    assert "piotr@wfd.pl" in accepted.text
    told = await piotr.wait_message(predicate=offers("mt:slots:"), timeout=WAIT)
    assert TEA_EXPORTER.name in told.text and "li@hztea.cn" in told.text

    # Li books the first proposed time; both get the booking with video link and .ics file.
    await li.press(button("mt:slots:"), accepted)
    times = await li.wait_message(predicate=offers("mt:book:"), timeout=WAIT)
    press = await li.press(button("mt:book:"), times)
    toast = await li.wait_callback_answer(press, timeout=WAIT)
    assert toast.get("text")
    for user, partner in ((li, FOOD_DISTRIBUTOR), (piotr, TEA_EXPORTER)):
        booked = await user.wait_message(
            contains=partner.name, regex=r"https://meet\.jit\.si/", timeout=WAIT
        )
        document = booked.document or {}
        assert str(document.get("file_name", "")).endswith(".ics"), booked
        assert offers("mt:")(booked)


async def test_flood_control_is_waited_out(bot: RunningBot) -> None:
    user = await bot.api.user(first_name="Ana", language_code="sl")
    await bot.api.rate_limit("sendMessage", count=2, retry_after=1)

    await user.start()

    picker = await user.wait_message(predicate=offers("st:lang:"), timeout=WAIT)
    assert picker.text
    statuses = [c.get("status") for c in await bot.api.calls("sendMessage")]
    assert statuses[:2] == [429, 429], statuses  # the picker was refused twice, then sent


@pytest.mark.parametrize("channel", ["aiogram", "ptb"])
async def test_webhook_mode_answers_over_the_webhook(channel: str, tmp_path: Path) -> None:
    async with running_bot(channel, tmp_path, webhook=True) as running:
        info = await running.api.control.webhook()
        user = await running.api.user(first_name="Li", language_code="zh-hans")

        await user.start()

        picker = await user.wait_message(predicate=offers("st:lang:"), timeout=WAIT)
        assert CJK.search(picker.text)
        assert info["url"].endswith("/telegram/hook") and info["secret_token"]
        assert sorted(info["allowed_updates"]) == ["callback_query", "message"]
