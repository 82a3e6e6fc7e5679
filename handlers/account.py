"""The participant's own account: /help, /pause, /resume, /my_data, /delete_me. See `account.mmd`.

Deleting a profile cancels its future meetings; the partners are told by notices.
"""

from __future__ import annotations

import json
from enum import StrEnum

from handlers.callbacks import StaleCallback, pack, part
from handlers.commands import Role, command_table
from handlers.context import Ctx
from handlers.render import esc
from handlers.types import Button, Document
from matchmaking.notices import partner_left

FLOW = "account"
PREFIX = "ac"
STICKY = False


class AccountStep(StrEnum):
    """The steps of the account flow."""

    CONFIRM_DELETE = "confirm_delete"


async def role_of(ctx: Ctx) -> Role:
    """Return the user's role."""
    if ctx.is_admin:
        return Role.ADMIN
    return Role.PARTICIPANT if await ctx.company() is not None else Role.GUEST


async def cmd_help(ctx: Ctx) -> None:
    """List the commands this user can use."""
    role = await role_of(ctx)
    lines = [
        # TRANSLATORS: first line of the /help reply; the list of commands with
        # descriptions follows.
        ctx._(
            "I help companies from China and Central and Eastern Europe find partners and "
            "meet online. What you can do:"
        ),
        "",
    ]
    lines += [f"/{cmd} — {esc(ctx._(desc))}" for cmd, desc in command_table(role)]
    ctx.say("\n".join(lines))


async def cmd_pause(ctx: Ctx) -> None:
    """Pause suggestions of this company to others."""
    company = await ctx.require_company()
    await ctx.services.companies.set_paused(company.id, True)
    ctx.forget_company()
    ctx.say(
        ctx._(
            "Paused: you will not be suggested to others and receive no new requests. "
            "Your meetings stay as they are. Send /resume to continue."
        )
    )


async def cmd_resume(ctx: Ctx) -> None:
    """Resume suggestions of this company."""
    company = await ctx.require_company()
    await ctx.services.companies.set_paused(company.id, False)
    ctx.forget_company()
    ctx.say(ctx._("Welcome back! You are visible to other participants again."))


async def cmd_my_data(ctx: Ctx) -> None:
    """Send everything stored about the user's company as a JSON file."""
    company = await ctx.require_company()
    data = await ctx.services.companies.export_data(company.id)
    content = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    ctx.say(
        ctx._("Here is everything we store about your company."),
        document=Document("my-data.json", content, "application/json"),
    )


async def cmd_delete_me(ctx: Ctx) -> None:
    """Ask to confirm deleting the profile."""
    await ctx.require_company()
    ctx.state.enter(FLOW, AccountStep.CONFIRM_DELETE.value)
    ctx.say(
        ctx._(
            "Delete your profile? Your future meetings will be cancelled and your partners "
            "told. This cannot be undone."
        ),
        (
            (
                # TRANSLATORS: button under the /delete_me confirmation: delete the profile
                # (two buttons share a row).
                Button(ctx._("Yes, delete everything"), pack(PREFIX, "del", "y")),
                # TRANSLATORS: button that keeps the profile (after /delete_me) or the meeting
                # (after Cancel in /meetings); two buttons share a row.
                Button(ctx._("No, keep it"), pack(PREFIX, "del", "n")),
            ),
        ),
    )


async def delete_me(ctx: Ctx) -> None:
    """Delete the profile and tell the partners of future meetings."""
    company = await ctx.require_company()
    told = await ctx.services.companies.delete(company.id)
    ctx.notify(partner_left(company.name, told))
    ctx.state.leave()
    ctx.state.forget = True
    ctx.say(
        ctx._(
            "Your profile and everything about it are deleted. Goodbye! You can register "
            "again at any time with /start."
        ),
        edit=True,
    )


async def on_text(ctx: Ctx, text: str) -> None:
    """Point to the confirmation buttons."""
    # TRANSLATORS: shown while the bot waits for a tap on the buttons of its last
    # message (e.g. a confirmation), for instance when the user types text.
    ctx.say(ctx._("Please use the buttons above."))


async def resume(ctx: Ctx) -> None:
    """Ask the delete confirmation again."""
    await cmd_delete_me(ctx)


async def on_callback(ctx: Ctx, parts: list[str]) -> None:
    """Handle the help button and the delete confirmation."""
    action = part(parts, 1)
    if action == "help":
        await cmd_help(ctx)
        return
    if action != "del" or ctx.state.flow != FLOW:
        raise StaleCallback(":".join(parts))
    if part(parts, 2) == "y":
        await delete_me(ctx)
    else:
        ctx.state.leave()
        # TRANSLATORS: replaces the /delete_me confirmation after the user tapped No.
        ctx.say(ctx._("Nothing was deleted."), edit=True)
