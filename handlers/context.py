"""What every handler receives: the event, the user's state, the services, and a reply builder."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from handlers.i18n import N_, Translator
from handlers.state import DialogState
from handlers.types import Button, Document, EventKind, Reply, Response, UserEvent
from matchmaking.errors import MatchbotError
from matchmaking.facade import AppServices
from matchmaking.models import Company
from matchmaking.notices import Notice

Keyboard = tuple[tuple[Button, ...], ...]


class NotRegisteredError(MatchbotError):
    """The user has no company profile yet."""

    message = N_("You have not registered yet. Send /start to create your company profile.")


def rows(buttons: Sequence[Button], width: int = 1) -> Keyboard:
    """Arrange buttons in rows of `width`."""
    items = list(buttons)
    return tuple(tuple(items[i : i + width]) for i in range(0, len(items), width))


@dataclass(slots=True)
class Ctx:
    """One event being handled.

    Attributes:
        services: The application services.
        event: What the user did.
        state: The user's dialog state (saved by the engine after the handler).
        admin_ids: Telegram ids of the organizers.
        response: What will be sent back.
        notices: Notices for other participants, rendered by the engine in their locale.
    """

    services: AppServices
    event: UserEvent
    state: DialogState
    admin_ids: frozenset[int]
    response: Response = field(default_factory=Response)
    notices: list[Notice] = field(default_factory=list)
    _translator: Translator | None = None
    _company: Company | None = None
    _company_loaded: bool = False

    @property
    def t(self) -> Translator:
        """Return the translator of the user's locale."""
        if self._translator is None or self._translator.locale != self.state.locale:
            self._translator = Translator(self.state.locale or "en")
        return self._translator

    def _(self, msgid: str, /, **params: Any) -> str:
        """Translate into the user's language and fill the placeholders."""
        return self.t.gettext(msgid, **params)

    def ngettext(self, singular: str, plural: str, n: int, /, **params: Any) -> str:
        """Translate a message with a count into the user's language."""
        return self.t.ngettext(singular, plural, n, **params)

    @property
    def is_admin(self) -> bool:
        """Tell whether the user is an organizer."""
        return self.event.user_id in self.admin_ids

    @property
    def locale(self) -> str:
        """Return the user's locale."""
        return self.state.locale or "en"

    async def company(self) -> Company | None:
        """Return the user's company, if registered (loaded once per event)."""
        if not self._company_loaded:
            self._company = await self.services.companies.find_by_user(self.event.user_id)
            self._company_loaded = True
        return self._company

    async def require_company(self) -> Company:
        """Return the user's company.

        Raises:
            NotRegisteredError: If the user has not registered.
        """
        company = await self.company()
        if company is None:
            raise NotRegisteredError()
        return company

    def forget_company(self) -> None:
        """Reload the company on next use (after it changed)."""
        self._company_loaded = False
        self._company = None

    def say(
        self,
        text: str,
        buttons: Keyboard = (),
        *,
        edit: bool = False,
        document: Document | None = None,
    ) -> None:
        """Add a reply to the user; `edit` replaces the message whose button was pressed."""
        edit = edit and self.event.kind is EventKind.CALLBACK and self.event.message_id is not None
        self.response.replies.append(Reply(text, buttons, None, document, edit))

    def edit_last(self) -> None:
        """Make the last reply replace the message whose button was pressed."""
        if self.response.replies and self.event.kind is EventKind.CALLBACK:
            last = self.response.replies[-1]
            self.response.replies[-1] = dataclasses.replace(last, edit=True)

    def toast(self, text: str) -> None:
        """Answer the button press with a short note."""
        self.response.toast = text

    def notify(self, notices: Sequence[Notice]) -> None:
        """Queue notices for other participants (rendered in their language by the engine)."""
        self.notices.extend(notices)
