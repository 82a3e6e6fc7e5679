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
    head = ctx._("Welcome back, <b>{name}</b>!", name=esc(name)) if name else ""
    body = ctx._("What would you like to do?")
    buttons = (
        Button(ctx._("Suggested partners"), pack("m", "show")),
        Button(ctx._("My meetings"), pack("mt", "list")),
        Button(ctx._("My profile"), pack("in", "prof")),
        Button(ctx._("Language"), pack(START_PREFIX, "pick")),
        Button(ctx._("Help"), pack("ac", "help")),
    )
    ctx.say((head + "\n" if head else "") + body, rows(buttons, 2))
