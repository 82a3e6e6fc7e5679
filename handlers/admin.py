"""Organizer commands, for `admin_ids` only: /stats, /export, /broadcast, /block, /unblock,
/schedule. Everyone else gets a polite refusal. See `admin.mmd`.
"""

from __future__ import annotations

import csv
import io
import logging
from collections import Counter
from enum import StrEnum

from handlers.callbacks import StaleCallback, pack, part
from handlers.context import Ctx
from handlers.i18n import N_
from handlers.render import esc
from handlers.types import Button, Document
from matchmaking.batch_scheduler import UnscheduledReason
from matchmaking.errors import PermissionDeniedError, ValidationError
from matchmaking.notices import Notice, NoticeKind
from matchmaking.stats import collect_stats

log = logging.getLogger(__name__)

FLOW = "admin"
PREFIX = "ad"
STICKY = False
BROADCAST_MAX = 3500
EXPORT_FIELDS = (
    "id",
    "name",
    "country",
    "city",
    "languages",
    "locale",
    "timezone",
    "section",
    "profile_type",
    "size",
    "website",
    "status",
    "offer",
    "need",
    "user_id",
    "meetings_held",
    "no_shows",
)


class AdminStep(StrEnum):
    """The steps of the admin flow."""

    CONFIRM_BROADCAST = "confirm_broadcast"


class NotAdminError(PermissionDeniedError):
    """A participant tried an organizer command."""

    message = N_("Sorry, this command is only for the event organizers.")


def _require_admin(ctx: Ctx) -> None:
    if not ctx.is_admin:
        raise NotAdminError()


async def cmd_stats(ctx: Ctx) -> None:
    """Show the event figures."""
    _require_admin(ctx)
    s = await collect_stats(ctx.services.repos)
    countries = ", ".join(f"{esc(code)} {n}" for code, n in s.by_country.items()) or "-"
    ctx.say(
        # TRANSLATORS: reply to the organizers' /stats. {participants}, {complete},
        # {paused}, {blocked}, {requests}, {pending}, {accepted}, {declined},
        # {expired}, {scheduled}, {held}, {no_shows}, {memorandums}, {intentions},
        # {follow_ups} and {no_fit} are counts; {acceptance} is a whole-number
        # percentage; {countries} is a list of ISO country codes with counts,
        # e.g. "CN 12, PL 5" (or "-").
        ctx._(
            "<b>Event figures</b>\n"
            "Participants: {participants} (complete profiles: {complete}, paused: {paused}, "
            "blocked: {blocked})\nBy country: {countries}\n"
            "Meeting requests: {requests} (pending {pending}, accepted {accepted}, declined "
            "{declined}, expired {expired})\nAcceptance rate: {acceptance}%\n"
            "Meetings: scheduled {scheduled}, held {held}, no-shows {no_shows}\n"
            "Outcomes: memorandums {memorandums}, intentions {intentions}, follow-ups {follow_ups}, "
            "no fit {no_fit}",
            participants=s.participants,
            complete=s.complete_profiles,
            paused=s.paused,
            blocked=s.blocked,
            countries=countries,
            requests=s.requests,
            pending=s.pending,
            accepted=s.accepted,
            declined=s.declined,
            expired=s.expired,
            acceptance=round(100 * s.acceptance_rate),
            scheduled=s.scheduled,
            held=s.held,
            no_shows=s.no_shows,
            memorandums=s.memorandums,
            intentions=s.intentions,
            follow_ups=s.follow_ups,
            no_fit=s.no_fit,
        )
    )


async def cmd_export(ctx: Ctx) -> None:
    """Send all companies as a CSV file."""
    _require_admin(ctx)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_FIELDS)
    companies = await ctx.services.repos.companies.list()
    for c in companies:
        writer.writerow(
            [
                c.id,
                c.name,
                c.country,
                c.city,
                " ".join(c.languages),
                c.locale,
                c.timezone,
                c.section,
                c.profile_type.value,
                c.size.value if c.size else "",
                c.website,
                c.status.value,
                c.offer,
                c.need,
                c.user_id if c.user_id is not None else "",
                c.meetings_held,
                c.no_shows,
            ]
        )
    content = out.getvalue().encode("utf-8-sig")
    ctx.say(
        # TRANSLATORS: reply to the organizers' /export; {n} is the number of
        # companies in the attached CSV file.
        ctx.ngettext("{n} company exported.", "{n} companies exported.", len(companies)),
        document=Document("companies.csv", content, "text/csv"),
    )


async def cmd_broadcast(ctx: Ctx) -> None:
    """Show the message to send to everyone and ask to confirm."""
    _require_admin(ctx)
    text = ctx.event.command_args
    if not text:
        raise ValidationError(
            # TRANSLATORS: to an organizer who sent /broadcast without a text; keep
            # /broadcast, the example text after it may be translated.
            N_(
                "Write the message after the command, for example: "
                "/broadcast The programme starts at 10:00."
            )
        )
    if len(text) > BROADCAST_MAX:
        raise ValidationError(
            # TRANSLATORS: {length} is the number of characters of the organizer's
            # broadcast text; {limit} is the maximum number.
            N_("The message is too long: {length} characters (at most {limit})."),
            length=len(text),
            limit=BROADCAST_MAX,
        )
    recipients = [c for c in await ctx.services.repos.companies.list() if c.user_id is not None]
    ctx.state.enter(FLOW, AdminStep.CONFIRM_BROADCAST.value, {"text": text})
    ctx.say(
        # TRANSLATORS: {n} is the number of registered participants who will get the
        # organizers' broadcast; the message itself follows below.
        ctx.ngettext(
            "Send this message to {n} participant?",
            "Send this message to {n} participants?",
            len(recipients),
        )
        + "\n\n"
        + esc(text),
        (
            (
                # TRANSLATORS: button under the broadcast preview: send it to everyone (two
                # buttons share a row).
                Button(ctx._("Send"), pack(PREFIX, "bc", "y")),
                # TRANSLATORS: button under the broadcast preview: do not send it (two buttons
                # share a row).
                Button(ctx._("Cancel"), pack(PREFIX, "bc", "n")),
            ),
        ),
    )


async def send_broadcast(ctx: Ctx) -> None:
    """Send the confirmed message to every registered participant."""
    _require_admin(ctx)
    text = str(ctx.state.data.get("text", ""))
    ctx.state.leave()
    companies = [c for c in await ctx.services.repos.companies.list() if c.user_id is not None]
    ctx.notify([Notice(NoticeKind.BROADCAST, c.id, data={"text": text}) for c in companies])
    log.info("broadcast to %d participants by %s", len(companies), ctx.event.user_id)
    ctx.say(
        # TRANSLATORS: {n} is the number of participants the organizers' broadcast was
        # sent to.
        ctx.ngettext("Sent to {n} participant.", "Sent to {n} participants.", len(companies)),
        edit=True,
    )


async def _set_blocked(ctx: Ctx, blocked: bool) -> None:
    _require_admin(ctx)
    company_id = ctx.event.command_args.strip()
    if not company_id:
        raise ValidationError(
            # TRANSLATORS: to an organizer who sent /block or /unblock without an id; keep
            # /block and the example id tg12345 as they are.
            N_("Write the company id after the command, for example: /block tg12345")
        )
    company = await ctx.services.companies.set_blocked(company_id, blocked)
    if blocked:
        # TRANSLATORS: reply to the organizers' /block; {name} is the blocked
        # company's name.
        ctx.say(ctx._("<b>{name}</b> is blocked.", name=esc(company.name)))
    else:
        # TRANSLATORS: reply to the organizers' /unblock; {name} is the unblocked
        # company's name.
        ctx.say(ctx._("<b>{name}</b> is unblocked.", name=esc(company.name)))


async def cmd_block(ctx: Ctx) -> None:
    """Block a company."""
    await _set_blocked(ctx, True)


async def cmd_unblock(ctx: Ctx) -> None:
    """Unblock a company."""
    await _set_blocked(ctx, False)


async def cmd_schedule(ctx: Ctx) -> None:
    """Schedule every accepted request without a slot and report what was left over."""
    _require_admin(ctx)
    result = await ctx.services.meetings.schedule_all()
    ctx.notify(result.notices)
    ctx.say(
        # TRANSLATORS: reply to the organizers' /schedule; {n} is the number of
        # meetings the batch scheduler booked.
        ctx.ngettext(
            "The scheduler booked {n} meeting.",
            "The scheduler booked {n} meetings.",
            len(result.scheduled),
        )
    )
    if result.unscheduled:
        reasons = Counter(reason for _, reason in result.unscheduled)
        lines = [
            # TRANSLATORS: {n} is the number of meeting requests left without a time; one
            # line per reason follows ("• reason: count").
            ctx.ngettext(
                "{n} request could not be scheduled:",
                "{n} requests could not be scheduled:",
                len(result.unscheduled),
            )
        ]
        for reason, count in reasons.most_common():
            lines.append(f"• {ctx._(UNSCHEDULED_REASONS[reason])}: {count}")
        ctx.say("\n".join(lines))


UNSCHEDULED_REASONS: dict[UnscheduledReason, str] = {
    # TRANSLATORS: why the batch scheduler could not give a meeting request a
    # slot: a line "• reason: count" in the /schedule report (starts in lower
    # case).
    UnscheduledReason.NO_COMMON_HOURS: N_("the two sides share no business hours"),
    # TRANSLATORS: why the batch scheduler could not give a meeting request a
    # slot: a line "• reason: count" in the /schedule report (starts in lower
    # case).
    UnscheduledReason.PARTNER_FULL: N_("no common free slot left (calendar full)"),
    # TRANSLATORS: why the batch scheduler could not give a meeting request a
    # slot: a line "• reason: count" in the /schedule report (starts in lower
    # case).
    UnscheduledReason.NO_INTERPRETER: N_("no interpreter available"),
}


async def on_text(ctx: Ctx, text: str) -> None:
    """Point to the confirmation buttons."""
    ctx.say(ctx._("Please use the buttons above."))


async def resume(ctx: Ctx) -> None:
    """Say that the broadcast waits for confirmation."""
    ctx.say(ctx._("Please use the buttons above."))


async def on_callback(ctx: Ctx, parts: list[str]) -> None:
    """Handle the broadcast confirmation."""
    _require_admin(ctx)
    if part(parts, 1) != "bc" or ctx.state.step != AdminStep.CONFIRM_BROADCAST.value:
        raise StaleCallback(":".join(parts))
    if part(parts, 2) == "y":
        await send_broadcast(ctx)
    else:
        ctx.state.leave()
        # TRANSLATORS: replaces the broadcast preview after the organizer tapped
        # Cancel.
        ctx.say(ctx._("Nothing was sent."), edit=True)
