"""Telegram through python-telegram-bot 22: the same behaviour as the aiogram channel.

Runs on the caller's event loop with PTB's low-level API (`initialize`, `start`,
`updater.start_polling`, ...), so jobs and shutdown work like in `bot.channels.aiogram`.
Updates are handled one at a time, in order (PTB's default). The webhook uses the shared aiohttp
server (`bot.channels.webhook`), so PTB's `webhooks` extra (tornado) is not needed, nor is the
`job-queue` extra: due jobs run in a plain asyncio task. PTB is imported only when used.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from bot.channels.common import (
    ALLOWED_UPDATES,
    POLL_TIMEOUT_S,
    ApiFailure,
    ChannelApp,
    Delivery,
    Keyboard,
    classify_failure,
    event_from_callback,
    event_from_message,
    job_loop,
    jobs_interval,
    set_command_menus,
    stop_on_signals,
)
from bot.channels.webhook import register_and_serve, webhook_path
from handlers.types import Document

if TYPE_CHECKING:
    from telegram import Bot, InlineKeyboardMarkup, Update
    from telegram.ext import Application, ContextTypes
    from telegram.request import BaseRequest

    PtbApplication = Application[Any, Any, Any, Any, Any, Any]

    from bot.config import Settings

logger = logging.getLogger(__name__)


def build_application(settings: Settings, request: BaseRequest | None = None) -> PtbApplication:
    """Return a PTB Application talking HTML to `settings.telegram_api_url`, link previews off.

    Args:
        settings: Token and Bot API server.
        request: HTTP client for all calls instead of httpx (tests pass a recording one).
    """
    from telegram import LinkPreviewOptions
    from telegram.constants import ParseMode
    from telegram.ext import Application, Defaults

    api = settings.telegram_api_url.rstrip("/")
    defaults = Defaults(
        parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
    )
    builder = (
        Application.builder()
        .token(settings.telegram_token.get_secret_value())
        .base_url(api + "/bot")
        .base_file_url(api + "/file/bot")
        .defaults(defaults)
        .job_queue(None)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    return builder.build()


def _markup(buttons: Keyboard) -> InlineKeyboardMarkup | None:
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    if not buttons:
        return None
    rows = [
        [
            InlineKeyboardButton(b.text, url=b.url)
            if b.url
            else InlineKeyboardButton(b.text, callback_data=b.data)
            for b in row
        ]
        for row in buttons
    ]
    return InlineKeyboardMarkup(rows)


class PtbBotApi:
    """The Bot API calls of `common.BotApi`, made with a PTB Bot."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send_text(self, chat_id: int, text: str, buttons: Keyboard) -> None:
        """Send an HTML message with an inline keyboard."""
        await self.bot.send_message(chat_id, text, reply_markup=_markup(buttons))

    async def edit_text(self, chat_id: int, message_id: int, text: str, buttons: Keyboard) -> None:
        """Replace a message's HTML text and keyboard."""
        await self.bot.edit_message_text(
            text, chat_id=chat_id, message_id=message_id, reply_markup=_markup(buttons)
        )

    async def send_document(
        self, chat_id: int, document: Document, caption: str, buttons: Keyboard
    ) -> None:
        """Send a file with an HTML caption."""
        from telegram import InputFile

        upload = InputFile(document.content, filename=document.filename)
        await self.bot.send_document(
            chat_id, upload, caption=caption or None, reply_markup=_markup(buttons)
        )

    async def answer_callback(self, callback_id: str, text: str | None) -> None:
        """Answer a button press, with a toast if `text` is set."""
        await self.bot.answer_callback_query(callback_id, text=text)

    async def set_commands(
        self, commands: Sequence[tuple[str, str]], language_code: str | None
    ) -> None:
        """Set the command menu for one language (None: the default menu)."""
        from telegram import BotCommand

        menu = [BotCommand(name, text) for name, text in commands]
        await self.bot.set_my_commands(menu, language_code=language_code)

    def classify(self, exc: Exception) -> ApiFailure | None:
        """Classify a PTB error; None if `exc` is not a Bot API error."""
        from telegram.error import Forbidden, RetryAfter, TelegramError

        if isinstance(exc, RetryAfter):
            with warnings.catch_warnings():  # int vs timedelta deprecation of PTB 22.2
                warnings.simplefilter("ignore")
                wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            return classify_failure(retry_after=seconds)
        if isinstance(exc, TelegramError):
            return classify_failure(forbidden=isinstance(exc, Forbidden), description=exc.message)
        return None


def add_handlers(application: PtbApplication, app: ChannelApp, delivery: Delivery) -> None:
    """Hand every new message and every button press of `application` to `app`."""
    from telegram.ext import CallbackQueryHandler, MessageHandler, filters

    async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Run the dialog for a message (command, text, sticker, ...) and send the replies."""
        if update.message is not None:
            await delivery.handle(app, event_from_message(update.message.to_dict()))

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Run the dialog for a button press, answer it, and send the replies."""
        query = update.callback_query
        if query is not None:
            await delivery.handle(app, event_from_callback(query.to_dict()), query.id)

    async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log an update whose handling failed."""
        update_id = getattr(update, "update_id", None)
        logger.error("Update %s failed", update_id, exc_info=context.error)

    # Only new private messages: edited messages and channel posts are not dialog input.
    application.add_handler(MessageHandler(filters.UpdateType.MESSAGE, on_message))
    application.add_handler(CallbackQueryHandler(on_button))
    application.add_error_handler(on_error)


async def serve_ptb(
    app: ChannelApp,
    application: PtbApplication,
    *,
    webhook: bool = False,
    stop: asyncio.Event | None = None,
    jobs_every: float | None = None,
) -> None:
    """Start `app`, serve Telegram updates with `application` until `stop` is set, stop `app`.

    Args:
        app: The matchbot App (or anything with its channel interface).
        application: The PTB Application (see `build_application`), not yet initialized.
        webhook: Receive updates by webhook instead of long polling.
        stop: Set to shut down; a new event nobody sets if None (run until cancelled).
        jobs_every: Seconds between due-job runs; from the settings if None.
    """
    from telegram import Update

    settings = app.settings
    stop = stop or asyncio.Event()
    if webhook:
        webhook_path(settings)  # fail before starting anything if it is not configured
    delivery = Delivery(PtbBotApi(application.bot))
    add_handlers(application, app, delivery)
    interval = jobs_interval(settings) if jobs_every is None else jobs_every
    try:
        await app.start()
        async with application:  # initialize (getMe) ... shutdown
            me = application.bot.bot
            logger.info("Bot @%s (id %s) starting with python-telegram-bot", me.username, me.id)
            await set_command_menus(app, delivery)
            await application.start()
            try:
                async with job_loop(app, delivery, interval, stop):
                    if webhook:

                        async def feed(update: dict[str, Any]) -> None:
                            await application.update_queue.put(
                                Update.de_json(update, application.bot)
                            )

                        await register_and_serve(application.bot, settings, feed, stop)
                    else:
                        await _poll(application, stop)
            finally:
                await application.stop()  # handles the updates already fetched
    finally:
        await app.stop()


async def _poll(application: PtbApplication, stop: asyncio.Event) -> None:
    """Long-poll until `stop` is set; the updater confirms fetched updates when it stops."""
    updater = application.updater
    if updater is None:
        raise RuntimeError("the PTB Application was built without an Updater")
    await updater.start_polling(
        timeout=POLL_TIMEOUT_S, allowed_updates=list(ALLOWED_UPDATES), drop_pending_updates=False
    )
    try:
        await stop.wait()
    finally:
        await updater.stop()


async def run_ptb(app: ChannelApp, *, webhook: bool = False) -> None:
    """Run the Telegram bot with python-telegram-bot until SIGINT or SIGTERM.

    Args:
        app: The matchbot App; started here and stopped on the way out.
        webhook: Receive updates on `settings.webhook_url` instead of long polling.
    """
    stop = asyncio.Event()
    with stop_on_signals(stop):
        await serve_ptb(app, build_application(app.settings), webhook=webhook, stop=stop)
