"""Screens several flows share: the language picker and the main menu."""

from __future__ import annotations

from handlers.callbacks import pack
from handlers.context import Ctx, rows
from handlers.i18n import NATIVE_NAMES, supported_locales
from handlers.render import esc
from handlers.types import Button

START_PREFIX = "st"


def language_buttons(ctx: Ctx) -> tuple[tuple[Button, ...], ...]:
    """Return one button per supported catalog, named in its own language."""
    buttons = [
        Button(
            ("✓ " if code == ctx.locale else "") + NATIVE_NAMES.get(code, code),
            pack(START_PREFIX, "lang", code),
        )
        for code in supported_locales()
    ]
    return rows(buttons, 3)


def show_language_picker(ctx: Ctx) -> None:
    """Ask the user to choose a language."""
    # TRANSLATORS: shown above the buttons with language names.
    ctx.say(ctx._("Please choose your language:"), language_buttons(ctx))


def show_menu(ctx: Ctx, name: str = "") -> None:
    """Show what a registered participant can do."""
    # TRANSLATORS: {name} is the user's own company name; the main menu follows.
    head = ctx._("Welcome back, <b>{name}</b>!", name=esc(name)) if name else ""
    # TRANSLATORS: shown above the main menu buttons.
    body = ctx._("What would you like to do?")
    buttons = (
        # TRANSLATORS: main menu button (two per row): browse the suggested partners.
        Button(ctx._("Suggested partners"), pack("m", "show")),
        # TRANSLATORS: main menu button (two per row): the user's meeting requests and
        # meetings.
        Button(ctx._("My meetings"), pack("mt", "list")),
        # TRANSLATORS: main menu button (two per row): show or edit the company
        # profile.
        Button(ctx._("My profile"), pack("in", "prof")),
        # TRANSLATORS: main menu button (two per row): choose the bot's language.
        Button(ctx._("Language"), pack(START_PREFIX, "pick")),
        # TRANSLATORS: main menu button (two per row): what the bot can do (the /help
        # list).
        Button(ctx._("Help"), pack("ac", "help")),
    )
    ctx.say((head + "\n" if head else "") + body, rows(buttons, 2))
