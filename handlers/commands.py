"""The command menu per role, localized (for /help and for the channel's command list)."""

from __future__ import annotations

from enum import StrEnum

from handlers.i18n import N_, Translator


class Role(StrEnum):
    """Who is asking: decides which commands are listed."""

    GUEST = "guest"
    PARTICIPANT = "participant"
    ADMIN = "admin"


_GUEST: tuple[tuple[str, str], ...] = (
    ("start", N_("Register your company or show the menu")),
    ("language", N_("Change the language")),
    ("help", N_("What this bot can do")),
    ("cancel", N_("Stop the current step")),
)

_PARTICIPANT: tuple[tuple[str, str], ...] = (
    ("matches", N_("Suggested partners")),
    ("meetings", N_("Your meeting requests and meetings")),
    ("profile", N_("Show or edit your company profile")),
    ("pause", N_("Pause suggestions and requests")),
    ("resume", N_("Resume suggestions and requests")),
    ("my_data", N_("Download everything we store about you")),
    ("delete_me", N_("Delete your profile")),
)

_ADMIN: tuple[tuple[str, str], ...] = (
    ("stats", N_("Event figures")),
    ("export", N_("Export companies as CSV")),
    ("broadcast", N_("Send a message to all participants")),
    ("block", N_("Block a company by its id")),
    ("unblock", N_("Unblock a company by its id")),
    ("schedule", N_("Run the batch scheduler")),
)


def command_table(role: Role) -> tuple[tuple[str, str], ...]:
    """Return (command, English description) pairs for a role."""
    if role is Role.GUEST:
        return _GUEST
    table = _GUEST[:1] + _PARTICIPANT + _GUEST[1:]
    return table + _ADMIN if role is Role.ADMIN else table


def bot_commands(locale: str, role: Role | str = Role.PARTICIPANT) -> list[tuple[str, str]]:
    """Return (command, localized description) pairs for a role, for the chat app's menu."""
    t = Translator(locale)
    return [(cmd, t.gettext(desc)) for cmd, desc in command_table(Role(role))]
