"""One error tree for the product.

Every error a user can cause carries an English message template with named placeholders; the
handlers' error boundary translates it into the user's language. Nothing here knows how.
"""

from __future__ import annotations

from typing import Any


class MatchbotError(Exception):
    """Base of all expected errors.

    Attributes:
        message: English message template with `{named}` placeholders (a msgid).
        params: Values for the placeholders.
    """

    message: str = "Something went wrong. Please try again."

    def __init__(self, message: str | None = None, **params: Any) -> None:
        if message is not None:
            self.message = message
        self.params = params
        super().__init__(self.render())

    def render(self) -> str:
        """Return the English text with placeholders filled in."""
        try:
            return self.message.format(**self.params)
        except (KeyError, IndexError, ValueError):
            return self.message


class ValidationError(MatchbotError):
    """A value a user typed or imported is not acceptable."""

    def __init__(self, message: str, field: str = "", **params: Any) -> None:
        self.field = field
        super().__init__(message, **params)


class NotFoundError(MatchbotError):
    """Something the user referred to does not exist (any more)."""

    message = "This item no longer exists."


class PermissionDeniedError(MatchbotError):
    """The user may not do this."""

    message = "You are not allowed to do this."


class ConflictError(MatchbotError):
    """The action clashes with the current state (already answered, slot taken, ...)."""

    message = "This was already done or is no longer possible."


class LimitExceededError(MatchbotError):
    """A budget or limit was reached (daily requests, meetings per day)."""

    message = "You have reached the limit for today. Please try again tomorrow."


class ConfigError(MatchbotError):
    """Configuration is missing or wrong."""


class EmbeddingError(MatchbotError):
    """The encoder or the index cannot be used (model mismatch, missing backend)."""
