"""Telegram Bot API test server and user-side helpers for end-to-end tests."""

from .client import (
    BotApiServer,
    BotMessage,
    ControlClient,
    ControlError,
    MessageTimeout,
    TelegramUser,
)
from .server import DEFAULT_TOKEN, TelegramServer

__all__ = [
    "DEFAULT_TOKEN",
    "BotApiServer",
    "BotMessage",
    "ControlClient",
    "ControlError",
    "MessageTimeout",
    "TelegramServer",
    "TelegramUser",
]
