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
    # TRANSLATORS: description of the /start command, in /help and in Telegram's
    # command menu.
    ("start", N_("Register your company or show the menu")),
    # TRANSLATORS: description of the /language command, in /help and in
    # Telegram's command menu.
    ("language", N_("Change the language")),
    # TRANSLATORS: description of the /help command, in /help and in Telegram's
    # command menu.
    ("help", N_("What this bot can do")),
    # TRANSLATORS: description of the /cancel command, in /help and in Telegram's
    # command menu.
    ("cancel", N_("Stop the current step")),
)

_PARTICIPANT: tuple[tuple[str, str], ...] = (
    # TRANSLATORS: description of the /matches command, in /help and in Telegram's
    # command menu.
    ("matches", N_("Suggested partners")),
    # TRANSLATORS: description of the /meetings command, in /help and in
    # Telegram's command menu.
    ("meetings", N_("Your meeting requests and meetings")),
    # TRANSLATORS: description of the /profile command, in /help and in Telegram's
    # command menu.
    ("profile", N_("Show or edit your company profile")),
    # TRANSLATORS: description of the /pause command, in /help and in Telegram's
    # command menu.
    ("pause", N_("Pause suggestions and requests")),
    # TRANSLATORS: description of the /resume command, in /help and in Telegram's
    # command menu.
    ("resume", N_("Resume suggestions and requests")),
    # TRANSLATORS: description of the /my_data command, in /help and in Telegram's
    # command menu.
    ("my_data", N_("Download everything we store about you")),
    # TRANSLATORS: description of the /delete_me command, in /help and in
    # Telegram's command menu.
    ("delete_me", N_("Delete your profile")),
)

_ADMIN: tuple[tuple[str, str], ...] = (
    # TRANSLATORS: description of the organizers' /stats command, in /help and in
    # Telegram's command menu.
    ("stats", N_("Event figures")),
    # TRANSLATORS: description of the organizers' /export command, in /help and in
    # Telegram's command menu.
    ("export", N_("Export companies as CSV")),
    # TRANSLATORS: description of the organizers' /broadcast command, in /help and
    # in Telegram's command menu.
    ("broadcast", N_("Send a message to all participants")),
    # TRANSLATORS: description of the organizers' /block command, in /help and in
    # Telegram's command menu.
    ("block", N_("Block a company by its id")),
    # TRANSLATORS: description of the organizers' /unblock command, in /help and
    # in Telegram's command menu.
    ("unblock", N_("Unblock a company by its id")),
    # TRANSLATORS: description of the organizers' /schedule command, in /help and
    # in Telegram's command menu.
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
