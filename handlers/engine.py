"""The dialog engine: one event in, replies out. Framework-neutral.

It loads the user's state, routes the event (command, button, text, anything else) to a flow,
saves the state after every step, renders the notices the flow produced for other participants in
their own language, and is the one error boundary: a `MatchbotError` becomes a localized message,
anything unexpected is logged and answered with a generic apology; it never crashes.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from handlers import account, admin, intake, matches, meetings, start
from handlers.callbacks import StaleCallback, unpack
from handlers.commands import Role
from handlers.commands import bot_commands as _bot_commands
from handlers.context import Ctx
from handlers.i18n import N_, Translator, negotiate_locale
from handlers.notify import render_notices as _render_notices
from handlers.render import esc
from handlers.state import DialogState
from handlers.types import EventKind, Reply, Response, UserEvent
from matchmaking.errors import (
    MatchbotError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from matchmaking.facade import AppServices
from matchmaking.notices import Notice
from matchmaking.ports import DialogStateStore

log = logging.getLogger(__name__)

Handler = Callable[[Ctx], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Flow:
    """How the engine talks to one flow module."""

    name: str
    prefix: str
    sticky: bool
    on_text: Callable[[Ctx, str], Awaitable[None]]
    on_callback: Callable[[Ctx, list[str]], Awaitable[None]]
    resume: Handler


def _flow(module: ModuleType) -> Flow:
    return Flow(
        module.FLOW, module.PREFIX, module.STICKY, module.on_text, module.on_callback, module.resume
    )


# Order matters only for reading: each flow owns one callback prefix and one state name.
# start (language, deep links, menu) -> intake (registration, /profile) -> matches -> meetings
# -> account (/help, /pause, /my_data, /delete_me) -> admin (organizers only).
FLOWS: tuple[Flow, ...] = tuple(
    _flow(m) for m in (start, intake, matches, meetings, account, admin)
)
BY_NAME: dict[str, Flow] = {f.name: f for f in FLOWS}
BY_PREFIX: dict[str, Flow] = {f.prefix: f for f in FLOWS}

COMMANDS: dict[str, Handler] = {
    "start": start.cmd_start,
    "language": start.cmd_language,
    "profile": intake.show_profile,
    "matches": matches.cmd_matches,
    "meetings": meetings.cmd_meetings,
    "help": account.cmd_help,
    "pause": account.cmd_pause,
    "resume": account.cmd_resume,
    "my_data": account.cmd_my_data,
    "delete_me": account.cmd_delete_me,
    "stats": admin.cmd_stats,
    "export": admin.cmd_export,
    "broadcast": admin.cmd_broadcast,
    "block": admin.cmd_block,
    "unblock": admin.cmd_unblock,
    "schedule": admin.cmd_schedule,
}
# Commands that work in the middle of any flow without leaving it.
ANYWHERE = frozenset({"cancel", "help", "language", "start"})


class Dialog:
    """Turns user events into responses, keeping per-user state in a `DialogStateStore`.

    Args:
        services: The application services.
        states: Where dialog states are kept (written after every step).
        admin_ids: Telegram ids of the organizers.
        default_locale: Locale for users whose client language has no catalog.
        event_code: The event that `/start <code>` deep links join.
    """

    def __init__(
        self,
        services: AppServices,
        states: DialogStateStore,
        *,
        admin_ids: set[int],
        default_locale: str = "en",
        event_code: str,
    ) -> None:
        self.services = services
        self.states = states
        self.admin_ids = frozenset(admin_ids)
        self.default_locale = default_locale
        self.event_code = event_code

    async def handle(self, event: UserEvent) -> Response:
        """Handle one event and return what to send; never raises."""
        try:
            raw = await self.states.load(event.user_id)
        except Exception:
            log.exception("cannot load dialog state of user %s", event.user_id)
            return Response([Reply(Translator(self.default_locale).gettext(APOLOGY))])
        state = DialogState.from_dict(raw)
        before = copy.deepcopy(state.to_dict())
        if not state.locale:
            state.locale = negotiate_locale(event.language_code) or self.default_locale
        if not state.event_code:
            state.event_code = self.event_code
        ctx = Ctx(self.services, event, state, self.admin_ids)
        try:
            await self._route(ctx)
        except StaleCallback:
            log.debug("stale callback from user %s", event.user_id)
            # TRANSLATORS: short pop-up after a tap on an outdated or unknown button.
            return Response(toast=ctx._("This button is no longer valid."))
        except MatchbotError as err:
            if not await self._explain(ctx, err):
                return Response(toast=ctx._("This button is no longer valid."))
        except Exception:
            log.exception("unexpected error for user %s (%s)", event.user_id, event.kind)
            return Response([Reply(ctx._(APOLOGY))])
        ctx.response.replies += await self.render_notices(ctx.notices)
        await self._save(event.user_id, state, before)
        return ctx.response

    async def _save(self, user_id: int, state: DialogState, before: dict[str, Any]) -> None:
        try:
            if state.forget:
                await self.states.delete(user_id)
            elif state.to_dict() != before:
                await self.states.save(user_id, state.to_dict())
        except Exception:
            log.exception("cannot save dialog state of user %s", user_id)

    async def _explain(self, ctx: Ctx, err: MatchbotError) -> bool:
        """Turn an expected error into a localized reply; False for a foreign/stale button."""
        if (
            ctx.event.kind is EventKind.CALLBACK
            and isinstance(err, (NotFoundError, PermissionDeniedError))
            and not isinstance(err, admin.NotAdminError)
        ):
            return False
        params = {k: esc(v) if isinstance(v, str) else v for k, v in err.params.items()}
        ctx.response.replies.clear()
        ctx.notices.clear()
        ctx.say("⚠️ " + ctx._(err.message, **params))
        flow = BY_NAME.get(ctx.state.flow)
        if isinstance(err, ValidationError) and flow is not None:
            try:
                await flow.resume(ctx)
            except MatchbotError:
                log.debug("cannot ask again after a validation error")
        return True

    async def _route(self, ctx: Ctx) -> None:
        kind = ctx.event.kind
        if kind is EventKind.COMMAND:
            await self._command(ctx)
        elif kind is EventKind.CALLBACK:
            await self._callback(ctx)
        elif kind is EventKind.TEXT:
            await self._text(ctx)
        else:
            ctx.say(ctx._("Sorry, I can only read text messages and buttons."))

    async def _command(self, ctx: Ctx) -> None:
        name = ctx.event.command
        if name == "cancel":
            await self._cancel(ctx)
            return
        handler = COMMANDS.get(name)
        if handler is None:
            ctx.say(ctx._("I do not know this command. Send /help to see what I can do."))
            return
        flow = BY_NAME.get(ctx.state.flow)
        if flow is not None and name not in ANYWHERE:
            if flow.sticky:
                ctx.say(ctx._("Please finish this step first, or send /cancel to stop."))
                await flow.resume(ctx)
                return
            ctx.state.leave()
        await handler(ctx)

    async def _cancel(self, ctx: Ctx) -> None:
        state = ctx.state
        if not state.flow or state.flow == start.FLOW:
            state.leave()
            ctx.say(ctx._("There is nothing to cancel."))
        elif state.flow == intake.FLOW and not state.data.get("existing"):
            state.leave(park=True)
            ctx.say(
                ctx._(
                    "Registration stopped. Your answers are kept: send /start to "
                    "continue where you stopped."
                )
            )
        elif state.flow == intake.FLOW:
            state.leave()
            ctx.say(ctx._("Editing cancelled. Your profile is unchanged."))
        else:
            state.leave()
            # TRANSLATORS: reply to /cancel that stopped the current step (e.g. a meeting
            # request note or a broadcast).
            ctx.say(ctx._("Cancelled."))

    async def _callback(self, ctx: Ctx) -> None:
        parts = unpack(ctx.event.callback_data)
        flow = BY_PREFIX.get(parts[0])
        if flow is None:
            raise StaleCallback(ctx.event.callback_data)
        if ctx.event.message_id is not None:
            ctx.state.screen = ctx.event.message_id
        previous = BY_NAME.get(ctx.state.flow)
        kept = (ctx.state.flow, ctx.state.step, copy.deepcopy(ctx.state.data))
        await flow.on_callback(ctx, parts)
        if (
            previous is not None
            and previous.sticky
            and previous is not flow
            and ctx.state.flow not in ("", previous.name)
        ):
            # A button of another flow took the user away: keep the unfinished draft.
            ctx.state.parked[kept[0]] = {"step": kept[1], "data": kept[2]}

    async def _text(self, ctx: Ctx) -> None:
        flow = BY_NAME.get(ctx.state.flow)
        if flow is not None:
            await flow.on_text(ctx, ctx.event.text)
            return
        company = await ctx.company()
        if company is None:
            ctx.say(ctx._("Send /start to register your company."))
        else:
            ctx.say(
                ctx._(
                    "Send /matches to see suggested partners, /meetings for your meetings, "
                    "or /help for everything else."
                )
            )

    async def render_notices(self, notices: Sequence[Notice]) -> list[Reply]:
        """Render notices for their recipients (in their locale and time zone)."""
        return await _render_notices(self.services, notices, self.default_locale)

    def bot_commands(
        self, locale: str, role: Role | str = Role.PARTICIPANT
    ) -> list[tuple[str, str]]:
        """Return (command, localized description) pairs for a role, for the chat app's menu."""
        return _bot_commands(locale, role)

    async def role_of(self, user_id: int) -> Role:
        """Return the role of a chat user (for the command menu)."""
        if user_id in self.admin_ids:
            return Role.ADMIN
        company = await self.services.companies.find_by_user(user_id)
        return Role.PARTICIPANT if company is not None else Role.GUEST


APOLOGY = N_("Sorry, something went wrong on our side. Please try again in a moment.")


def bot_commands(locale: str, role: Role | str = Role.PARTICIPANT) -> list[tuple[str, str]]:
    """Return (command, localized description) pairs for a role, for the chat app's menu."""
    return _bot_commands(locale, role)
