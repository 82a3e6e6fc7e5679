"""Telegram through aiogram 3 (the default channel): long polling, or a webhook.

One router with two handlers turns messages and button presses into `UserEvent`s; everything
else (what a reply becomes, retries, blocked users, menus, jobs) is shared with the
python-telegram-bot channel in `bot.channels.common`. aiogram is imported only when used.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
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
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.base import BaseSession
    from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message, TelegramObject

    from bot.config import Settings

logger = logging.getLogger(__name__)


def build_bot(settings: Settings, session: BaseSession | None = None) -> Bot:
    """Return a Bot talking HTML to `settings.telegram_api_url`, link previews off.

    Args:
        settings: Token and Bot API server.
        session: HTTP session to use instead of aiohttp (tests pass a recording one).
    """
    from aiogram import Bot
    from aiogram.client.default import DefaultBotProperties
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.enums import ParseMode
    from aiogram.types import LinkPreviewOptions

    if session is None:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    return Bot(
        settings.telegram_token.get_secret_value(),
        session=session,
        # `link_preview` rather than `link_preview_is_disabled`, which would also send the
        # deprecated `disable_web_page_preview`.
        default=DefaultBotProperties(
            parse_mode=ParseMode.HTML, link_preview=LinkPreviewOptions(is_disabled=True)
        ),
    )


def _markup(buttons: Keyboard) -> InlineKeyboardMarkup | None:
    from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

    if not buttons:
        return None
    rows = [
        [
            InlineKeyboardButton(text=b.text, url=b.url)
            if b.url
            else InlineKeyboardButton(text=b.text, callback_data=b.data)
            for b in row
        ]
        for row in buttons
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


class AiogramBotApi:
    """The Bot API calls of `common.BotApi`, made with an aiogram Bot."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send_text(self, chat_id: int, text: str, buttons: Keyboard) -> None:
        """Send an HTML message with an inline keyboard."""
        await self.bot.send_message(chat_id, text, reply_markup=_markup(buttons))

    async def edit_text(self, chat_id: int, message_id: int, text: str, buttons: Keyboard) -> None:
        """Replace a message's HTML text and keyboard."""
        await self.bot.edit_message_text(
            text=text, chat_id=chat_id, message_id=message_id, reply_markup=_markup(buttons)
        )

    async def send_document(
        self, chat_id: int, document: Document, caption: str, buttons: Keyboard
    ) -> None:
        """Send a file with an HTML caption."""
        from aiogram.types import BufferedInputFile

        upload = BufferedInputFile(document.content, filename=document.filename)
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
        from aiogram.types import BotCommand

        menu = [BotCommand(command=name, description=text) for name, text in commands]
        await self.bot.set_my_commands(menu, language_code=language_code)

    def classify(self, exc: Exception) -> ApiFailure | None:
        """Classify an aiogram error; None if `exc` is not a Bot API error."""
        from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError, TelegramRetryAfter

        if isinstance(exc, TelegramRetryAfter):
            return classify_failure(retry_after=float(exc.retry_after))
        if isinstance(exc, TelegramAPIError):
            forbidden = isinstance(exc, TelegramForbiddenError)
            return classify_failure(forbidden=forbidden, description=exc.message)
        return None


def _as_json(obj: TelegramObject) -> dict[str, Any]:
    # Python mode: received objects can hold `Default` placeholders (LinkPreviewOptions does),
    # which JSON mode cannot serialize; the converters only read plain fields.
    return obj.model_dump(by_alias=True, exclude_none=True, warnings=False)


def build_dispatcher(app: ChannelApp, delivery: Delivery) -> Dispatcher:
    """Return a Dispatcher whose router hands every message and button press to `app`."""
    from aiogram import Dispatcher, Router

    router = Router(name="matchbot")

    @router.message()
    async def on_message(message: Message) -> None:
        """Run the dialog for a message (command, text, sticker, ...) and send the replies."""
        await delivery.handle(app, event_from_message(_as_json(message)))

    @router.callback_query()
    async def on_button(query: CallbackQuery) -> None:
        """Run the dialog for a button press, answer it, and send the replies."""
        await delivery.handle(app, event_from_callback(_as_json(query)), query.id)

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    return dispatcher


class _UpdateTracker:
    """Outer middleware: remember the last handled update and whether one is in progress."""

    def __init__(self) -> None:
        self.last_id: int | None = None
        self.idle = asyncio.Event()
        self.idle.set()

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        update: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        self.idle.clear()
        try:
            return await handler(update, data)
        finally:
            update_id = getattr(update, "update_id", None)
            if update_id is not None:
                self.last_id = max(update_id, self.last_id or 0)
            self.idle.set()


async def _poll(bot: Bot, dispatcher: Dispatcher, stop: asyncio.Event) -> None:
    """Long-poll until `stop` is set; finish the update in progress and confirm it.

    Updates are handled one at a time, in order (like python-telegram-bot's default); at the end
    the handled updates are confirmed to Telegram so a restart does not see them again.
    """
    try:
        await bot.delete_webhook(drop_pending_updates=False)
    except Exception as exc:  # a Bot API server without webhooks still serves getUpdates
        logger.warning("deleteWebhook failed (%s); polling anyway", type(exc).__name__)
    tracker = _UpdateTracker()
    dispatcher.update.outer_middleware(tracker)
    polling = asyncio.create_task(
        dispatcher.start_polling(
            bot,
            polling_timeout=POLL_TIMEOUT_S,
            handle_as_tasks=True,
            tasks_concurrency_limit=1,  # one at a time, and not cancelled by stop_polling
            allowed_updates=list(ALLOWED_UPDATES),
            handle_signals=False,
            close_bot_session=False,
        )
    )
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({polling, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        if not polling.done():
            with contextlib.suppress(RuntimeError):
                await dispatcher.stop_polling()
        # stop_polling leaves the update task it started running: let it finish.
        started = set(getattr(dispatcher, "_handle_update_tasks", ()))
        await asyncio.gather(*started, return_exceptions=True)
        await tracker.idle.wait()
        if tracker.last_id is not None:
            with contextlib.suppress(Exception):
                await bot.get_updates(offset=tracker.last_id + 1, limit=1, timeout=0)
    await polling  # a crashed polling loop raises here


async def serve_aiogram(
    app: ChannelApp,
    bot: Bot,
    *,
    webhook: bool = False,
    stop: asyncio.Event | None = None,
    jobs_every: float | None = None,
) -> None:
    """Start `app`, serve Telegram updates with `bot` until `stop` is set, then stop `app`.

    Args:
        app: The matchbot App (or anything with its channel interface).
        bot: The aiogram Bot (see `build_bot`); its session is closed at the end.
        webhook: Receive updates by webhook instead of long polling.
        stop: Set to shut down; a new event nobody sets if None (run until cancelled).
        jobs_every: Seconds between due-job runs; from the settings if None.
    """
    settings = app.settings
    stop = stop or asyncio.Event()
    if webhook:
        webhook_path(settings)  # fail before starting anything if it is not configured
    delivery = Delivery(AiogramBotApi(bot))
    dispatcher = build_dispatcher(app, delivery)
    interval = jobs_interval(settings) if jobs_every is None else jobs_every
    try:
        await app.start()
        me = await bot.me()
        logger.info("Bot @%s (id %s) starting with aiogram", me.username, me.id)
        await set_command_menus(app, delivery)
        async with job_loop(app, delivery, interval, stop):
            if not webhook:
                await _poll(bot, dispatcher, stop)
                return

            async def feed(update: dict[str, Any]) -> None:
                await dispatcher.feed_raw_update(bot, update)

            await register_and_serve(bot, settings, feed, stop)
    finally:
        await bot.session.close()
        await app.stop()


async def run_aiogram(app: ChannelApp, *, webhook: bool = False) -> None:
    """Run the Telegram bot with aiogram until SIGINT or SIGTERM.

    Args:
        app: The matchbot App; started here and stopped on the way out.
        webhook: Receive updates on `settings.webhook_url` instead of long polling.
    """
    stop = asyncio.Event()
    with stop_on_signals(stop):
        await serve_aiogram(app, build_bot(app.settings), webhook=webhook, stop=stop)
