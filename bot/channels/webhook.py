"""The webhook server both Telegram channels use (aiohttp).

Telegram POSTs each update to `settings.webhook_url`; the server checks the secret header,
answers at once, and hands updates to the channel one at a time in arrival order, like polling
does. `GET /healthz` answers "ok" for load balancers.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bot.channels.common import ALLOWED_UPDATES, background
from matchmaking.errors import ConfigError

if TYPE_CHECKING:
    from aiohttp import web

    from bot.config import Settings

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DEFAULT_PATH = "/telegram/webhook"
DRAIN_TIMEOUT_S = 10.0

UpdateHandler = Callable[[dict[str, Any]], Awaitable[None]]


def webhook_path(settings: Settings) -> str:
    """Return the path the server listens on: the path of `webhook_url`.

    Raises:
        ConfigError: If `MATCHBOT_WEBHOOK_URL` is not set.
    """
    if not settings.webhook_url:
        raise ConfigError("MATCHBOT_WEBHOOK_URL must be set to run with --webhook")
    return urlsplit(settings.webhook_url).path or DEFAULT_PATH


def webhook_secret(settings: Settings) -> str:
    """Return the secret Telegram sends back: the configured one, or one derived from the token."""
    configured = settings.webhook_secret.get_secret_value()
    if configured:
        return configured
    token = settings.telegram_token.get_secret_value().encode()
    return hashlib.sha256(b"matchbot-webhook:" + token).hexdigest()


async def serve_webhook(settings: Settings, on_update: UpdateHandler, stop: asyncio.Event) -> None:
    """Receive updates on `webhook_host:webhook_port` until `stop` is set.

    Updates already accepted when `stop` is set are still handled (up to `DRAIN_TIMEOUT_S`).

    Args:
        settings: Where to listen (`webhook_url` gives the path) and the secret to expect.
        on_update: Awaited with each update (the Bot API JSON), one at a time.
        stop: Set to shut the server down.
    """
    from aiohttp import web

    path, secret = webhook_path(settings), webhook_secret(settings)
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def receive(request: web.Request) -> web.Response:
        """Queue one update sent by Telegram."""
        if not hmac.compare_digest(request.headers.get(SECRET_HEADER, ""), secret):
            return web.Response(status=401, text="wrong secret token")
        try:
            update = await request.json()
        except ValueError:
            return web.Response(status=400, text="not JSON")
        if not isinstance(update, dict):
            return web.Response(status=400, text="not an update")
        queue.put_nowait(update)
        return web.Response(text="ok")

    async def health(request: web.Request) -> web.Response:
        """Tell a load balancer the bot is up."""
        return web.Response(text="ok")

    async def consume() -> None:
        while True:
            update = await queue.get()
            try:
                await on_update(update)
            except Exception:
                logger.exception("Update %s failed", update.get("update_id"))
            finally:
                queue.task_done()

    server = web.Application()
    server.router.add_post(path, receive)
    server.router.add_get("/healthz", health)
    runner = web.AppRunner(server, access_log=None)
    await runner.setup()
    async with background(consume()):
        try:
            site = web.TCPSite(runner, settings.webhook_host, settings.webhook_port)
            await site.start()
            logger.info(
                "Webhook listening on %s:%s%s", settings.webhook_host, settings.webhook_port, path
            )
            await stop.wait()
        finally:
            await runner.cleanup()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(queue.join(), DRAIN_TIMEOUT_S)


async def register_and_serve(
    bot: Any, settings: Settings, on_update: UpdateHandler, stop: asyncio.Event
) -> None:
    """Point Telegram at `settings.webhook_url`, then serve updates until `stop` is set.

    Args:
        bot: An aiogram or python-telegram-bot `Bot` (their `set_webhook` take the same
            arguments).
        settings: The webhook URL and the secret.
        on_update: Called with each update, one at a time.
        stop: Set to shut the server down.
    """
    await bot.set_webhook(
        settings.webhook_url,
        secret_token=webhook_secret(settings),
        allowed_updates=list(ALLOWED_UPDATES),
        drop_pending_updates=False,
    )
    await serve_webhook(settings, on_update, stop)
