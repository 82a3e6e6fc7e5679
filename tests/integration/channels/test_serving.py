"""Both Telegram channels from start to stop: polling and webhook, menus, jobs, shutdown.

The Bot API is the in-process fake; the webhook test listens on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Coroutine
from typing import Any

import aiohttp
import pytest

from bot.channels.aiogram import build_bot, serve_aiogram
from bot.channels.ptb import build_application, serve_ptb
from bot.config import Settings
from handlers.types import Reply, Response, UserEvent
from tests.integration.channels.conftest import (
    ANN,
    EchoApp,
    FakeTelegram,
    RecordingRequest,
    RecordingSession,
    command_update,
)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

Serve = Callable[[EchoApp, Settings, FakeTelegram, asyncio.Event, bool], Coroutine[Any, Any, None]]


async def _serve_aiogram(
    app: EchoApp, settings: Settings, telegram: FakeTelegram, stop: asyncio.Event, webhook: bool
) -> None:
    bot = build_bot(settings, RecordingSession(telegram))
    await serve_aiogram(app, bot, webhook=webhook, stop=stop, jobs_every=0.05)


async def _serve_ptb(
    app: EchoApp, settings: Settings, telegram: FakeTelegram, stop: asyncio.Event, webhook: bool
) -> None:
    application = build_application(settings, RecordingRequest(telegram))
    await serve_ptb(app, application, webhook=webhook, stop=stop, jobs_every=0.05)


@pytest.fixture(params=["aiogram", "ptb"])
def serve(request: pytest.FixtureRequest) -> Serve:
    """Return the serve function of one channel, wired to the fake Bot API."""
    return _serve_aiogram if request.param == "aiogram" else _serve_ptb


async def wait_for(condition: Callable[[], bool], within: float = 5.0) -> None:
    """Wait until `condition()` holds (it reads the fake's call log, which signals nothing)."""
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


def _texts_to(telegram: FakeTelegram, chat_id: int) -> list[str]:
    return [
        c.params["text"]
        for c in telegram.calls
        if c.method == "sendMessage" and c.params["chat_id"] == chat_id
    ]


async def test_polling_sets_menus_runs_jobs_handles_updates_and_confirms_them(
    serve: Serve, app: EchoApp, settings: Settings, telegram: FakeTelegram
) -> None:
    telegram.updates = [command_update(10, "/start")]
    telegram.job_replies = [Reply("Your meeting starts in 15 minutes", chat_id=5)]
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, settings, telegram, stop, False))

    await wait_for(lambda: bool(_texts_to(telegram, ANN["id"]) and _texts_to(telegram, 5)))
    stop.set()
    await asyncio.wait_for(task, 10)

    methods = [c.method for c in telegram.calls]
    assert methods[:6] == ["getMe"] + ["setMyCommands"] * 5
    menus = [c.params.get("language_code") for c in telegram.calls if c.method == "setMyCommands"]
    assert menus == [None, "en", "zh", "pl", "sr"]
    assert telegram.calls[1].params["commands"] == [
        {"command": "start", "description": "Start (en)"},
        {"command": "matches", "description": "Matches (en)"},
    ]
    assert methods.index("deleteWebhook") < methods.index("getUpdates")
    delete = next(c for c in telegram.calls if c.method == "deleteWebhook")
    assert delete.params.get("drop_pending_updates") in (None, False)
    polls = [c.params for c in telegram.calls if c.method == "getUpdates"]
    assert polls[0]["allowed_updates"] == ["message", "callback_query"]
    assert polls[-1]["offset"] == 11  # the handled update is confirmed on the way out
    assert _texts_to(telegram, 5) == ["Your meeting starts in 15 minutes"]
    assert _texts_to(telegram, ANN["id"]) == ["<b>Welcome</b>, Ann &amp; co"]
    assert (app.started, app.stopped) == (1, 1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def test_webhook_checks_the_secret_and_handles_updates_in_order(
    serve: Serve, app: EchoApp, settings: Settings, telegram: FakeTelegram
) -> None:
    settings = app.settings = settings.model_copy(update={"webhook_port": _free_port()})
    url = f"http://127.0.0.1:{settings.webhook_port}"
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, settings, telegram, stop, True))
    await wait_for(lambda: any(c.method == "setWebhook" for c in telegram.calls))

    async with aiohttp.ClientSession() as http:
        for _ in range(100):  # the site starts right after setWebhook
            try:
                async with http.get(url + "/healthz") as health:
                    if health.status == 200:
                        break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.02)
        good = {"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
        bad = {"X-Telegram-Bot-Api-Secret-Token": "guess"}
        async with http.post(url + "/tg/hook", json=command_update(1, "/start"), headers=bad) as r:
            assert r.status == 401
        for update_id in range(2, 7):
            update = command_update(update_id, "/start") | {"update_id": update_id}
            async with http.post(url + "/tg/hook", json=update, headers=good) as r:
                assert r.status == 200
    await wait_for(lambda: len(_texts_to(telegram, ANN["id"])) == 5)
    stop.set()
    await asyncio.wait_for(task, 10)

    hook = next(c for c in telegram.calls if c.method == "setWebhook")
    assert hook.params["url"] == "https://bot.example.com/tg/hook"
    assert hook.params["secret_token"] == "s3cret"
    assert hook.params["allowed_updates"] == ["message", "callback_query"]
    assert [e.kind.value for e in app.events] == ["command"] * 5
    assert (app.started, app.stopped) == (1, 1)


async def test_webhook_without_url_fails_before_starting_the_app(
    serve: Serve, app: EchoApp, settings: Settings, telegram: FakeTelegram
) -> None:
    from matchmaking.errors import ConfigError

    settings = app.settings = settings.model_copy(update={"webhook_url": ""})
    with pytest.raises(ConfigError):
        await serve(app, settings, telegram, asyncio.Event(), True)
    assert app.started == 0


async def test_update_in_progress_when_stopping_is_finished_and_confirmed(
    serve: Serve,
    app: EchoApp,
    settings: Settings,
    telegram: FakeTelegram,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    entered = asyncio.Event()
    handle = app.handle

    async def slow_handle(event: UserEvent) -> Response:
        entered.set()
        await asyncio.sleep(0.2)
        return await handle(event)

    monkeypatch.setattr(app, "handle", slow_handle)
    telegram.updates = [command_update(10, "/start")]
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, settings, telegram, stop, False))

    await asyncio.wait_for(entered.wait(), 5)
    stop.set()
    await asyncio.wait_for(task, 10)

    assert _texts_to(telegram, ANN["id"]) == ["<b>Welcome</b>, Ann &amp; co"]
    polls = [c.params for c in telegram.calls if c.method == "getUpdates"]
    assert polls[-1]["offset"] == 11
