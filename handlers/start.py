"""First contact: greeting in the user's language, the language picker, deep links, the menu.

`/start` greets in the Telegram language when there is a catalog for it (else English), offers
the language picker and asks the first registration question at once; choosing a language asks
the current question again in that language. `/start <event-code>` joins
that event. Registered users get their menu. `/language` works at any time, even in the middle of
the intake, which then goes on in the new language. See `start.mmd`.
"""

from __future__ import annotations

from enum import StrEnum

from handlers import intake
from handlers.callbacks import StaleCallback, part
from handlers.context import Ctx
from handlers.i18n import negotiate_locale, supported_locales
from handlers.menu import START_PREFIX, language_buttons, show_language_picker, show_menu
from handlers.render import esc

FLOW = "start"
PREFIX = START_PREFIX
STICKY = False


class StartStep(StrEnum):
    """The steps of the start flow."""

    LANGUAGE = "language"


async def cmd_start(ctx: Ctx) -> None:
    """Greet the user, join the event of a deep link, and show the picker or the menu."""
    code = ctx.event.command_args
    event = ctx.services.event
    if code:
        if code == event.code:
            ctx.state.event_code = code
        else:
            ctx.say(
                # TRANSLATORS: after /start with an unknown event link; {event} is the name of
                # the event the user joins instead.
                ctx._(
                    "This event link is not valid. You are joining {event}.", event=esc(event.name)
                )
            )
    company = await ctx.company()
    if company is not None:
        ctx.state.leave()
        show_menu(ctx, company.name)
        return
    if ctx.state.flow == intake.FLOW or intake.FLOW in ctx.state.parked:
        await intake.begin(ctx)
        return
    # The picker is offered, not imposed: the first question follows at once, and choosing
    # another language asks it again in that language.
    ctx.say(
        # TRANSLATORS: first message after /start; {event} is the event's name;
        # "Please choose your language:" and the language buttons follow.
        ctx._(
            "Welcome to <b>{event}</b>! I will help your company find business partners "
            "and arrange online meetings with them.",
            event=esc(event.name),
        )
        + "\n\n"
        + ctx._("Please choose your language:"),
        language_buttons(ctx),
    )
    await intake.begin(ctx)


async def cmd_language(ctx: Ctx) -> None:
    """Show the language picker."""
    show_language_picker(ctx)


async def on_text(ctx: Ctx, text: str) -> None:
    """Remind the user to pick a language with the buttons."""
    show_language_picker(ctx)


async def resume(ctx: Ctx) -> None:
    """Show the language picker again."""
    show_language_picker(ctx)


async def choose_language(ctx: Ctx, code: str) -> None:
    """Switch to the chosen language and go on with what the user was doing."""
    if code not in supported_locales():
        raise StaleCallback(code)
    ctx.state.locale = code
    company = await ctx.company()
    if company is not None and company.locale != code:
        await ctx.services.companies.save(company.replace(locale=code), index=False)
    # TRANSLATORS: short pop-up after the user picked a language.
    ctx.toast(ctx._("Language changed."))
    if ctx.state.flow == intake.FLOW:
        await intake.resume(ctx)
    elif company is None:
        await intake.begin(ctx)
    else:
        ctx.state.leave()
        show_menu(ctx)


async def on_callback(ctx: Ctx, parts: list[str]) -> None:
    """Handle the language buttons and the menu button."""
    action = part(parts, 1)
    if action == "lang":
        await choose_language(ctx, part(parts, 2))
    elif action == "pick":
        show_language_picker(ctx)
    elif action == "menu":
        company = await ctx.require_company()
        show_menu(ctx, company.name)
    else:
        raise StaleCallback(":".join(parts))


def initial_locale(language_code: str | None, default: str) -> str:
    """Return the locale a new user starts with: their client's language if supported."""
    return negotiate_locale(language_code) or default
