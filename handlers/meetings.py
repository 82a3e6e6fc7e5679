"""Meeting requests and meetings: accept/decline, choose a time, /meetings, cancel, reschedule,
calendar file, and after the meeting: did it take place, what came out of it. See `meetings.mmd`.

Buttons: `mt:acc:<request>`, `mt:dec:<request>`, `mt:slots:<request>`,
`mt:book:<request>:<unix start>`, `mt:list`, `mt:cx:<meeting>` (ask), `mt:cxy:<meeting>`
(confirmed), `mt:rs:<meeting>`, `mt:ics:<meeting>`, `mt:held:<meeting>:<y|n|r>`,
`mt:out:<meeting>:<m|i|f|x>`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from handlers.calendar import meeting_document
from handlers.callbacks import StaleCallback, int_part, pack, part
from handlers.context import Ctx, rows
from handlers.render import contact_card, esc, meeting_times, slot_text
from handlers.types import Button
from matchmaking.models import Company, Meeting, OutcomeKind
from matchmaking.scheduling import company_timezone

FLOW = "meetings"
PREFIX = "mt"
STICKY = False

OUTCOMES: dict[str, OutcomeKind] = {
    "m": OutcomeKind.MEMORANDUM,
    "i": OutcomeKind.INTENTION,
    "f": OutcomeKind.FOLLOW_UP,
    "x": OutcomeKind.NO_FIT,
}
ATTENDANCE: dict[str, str] = {"y": "yes", "n": "no_show", "r": "rescheduled"}


class MeetingStep(StrEnum):
    """The screens of the meetings flow (all answered with buttons)."""

    LIST = "list"


def _cb(*parts: object) -> str:
    return pack(PREFIX, *parts)


async def _partner(ctx: Ctx, company_id: str) -> Company | None:
    return await ctx.services.repos.companies.get(company_id)


def _times(ctx: Ctx, me: Company, partner: Company | None, meeting: Meeting) -> str:
    event = ctx.services.event
    mine = company_timezone(event, me)
    theirs = company_timezone(event, partner) if partner is not None else mine
    return meeting_times(meeting.start, meeting.end, mine, theirs, ctx.t)


async def accept(ctx: Ctx, request_id: int) -> None:
    """Accept a meeting request, reveal the contacts and offer to choose a time."""
    me = await ctx.require_company()
    request, notices = await ctx.services.meetings.answer(request_id, me.id, True)
    ctx.notify(notices)
    partner = await _partner(ctx, request.requester_id)
    text = ctx._("You accepted the meeting request.")
    if partner is not None:
        text += "\n\n" + contact_card(partner, ctx.t)
    text += "\n\n" + ctx._("Now choose a time for the online meeting.")
    # TRANSLATORS: button "🕒 Choose a time": shows free times for the meeting.
    ctx.say(text, ((Button("🕒 " + ctx._("Choose a time"), _cb("slots", request_id)),),), edit=True)


async def decline(ctx: Ctx, request_id: int) -> None:
    """Decline a meeting request."""
    me = await ctx.require_company()
    _, notices = await ctx.services.meetings.answer(request_id, me.id, False)
    ctx.notify(notices)
    ctx.say(
        ctx._("You declined the meeting request. We let them know, without giving a reason."),
        edit=True,
    )


async def propose(ctx: Ctx, request_id: int) -> None:
    """Show up to three free times that fit both sides, in the user's time zone."""
    me = await ctx.require_company()
    proposals = await ctx.services.meetings.propose(request_id, me.id)
    if not proposals:
        ctx.say(
            ctx._(
                "There is no free time that fits both of you during the event days. "
                "We will tell you when a time becomes free."
            )
        )
        return
    tz = company_timezone(ctx.services.event, me)
    buttons = [
        Button(
            slot_text(p.start, p.end, tz, ctx.locale),
            _cb("book", request_id, int(p.start.timestamp())),
        )
        for p in proposals
    ]
    ctx.say(
        # TRANSLATORS: {zone} is an IANA time zone name such as Europe/Warsaw (not
        # translated); buttons with the proposed times follow.
        ctx._("Choose a time (shown in your time zone, {zone}):", zone=esc(tz)),
        rows(buttons, 1),
    )


async def book(ctx: Ctx, request_id: int, start_ts: int) -> None:
    """Book the chosen time; both sides get the confirmation."""
    me = await ctx.require_company()
    start = datetime.fromtimestamp(start_ts, UTC)
    _, notices = await ctx.services.meetings.book(request_id, start, me.id)
    ctx.notify(notices)
    # TRANSLATORS: short pop-up after the user tapped a meeting time; the
    # confirmation follows as a message.
    ctx.toast(ctx._("Booked."))


async def cmd_meetings(ctx: Ctx) -> None:
    """List requests to answer, meetings to schedule, and upcoming meetings."""
    me = await ctx.require_company()
    service = ctx.services.meetings
    shown = 0
    for request in await service.pending_for(me.id):
        partner = await _partner(ctx, request.requester_id)
        name = esc(partner.name) if partner else "?"
        ctx.say(
            # TRANSLATORS: in /meetings; {name} is the requesting company's name ("?" if
            # it is no longer registered).
            ctx._("Meeting request from <b>{name}</b> waits for your answer.", name=name),
            (
                (
                    # TRANSLATORS: button "✓ Accept" for a received meeting request (two buttons
                    # share a row).
                    Button("✓ " + ctx._("Accept"), _cb("acc", request.id)),
                    # TRANSLATORS: button "✗ Decline" for a received meeting request (two buttons
                    # share a row).
                    Button("✗ " + ctx._("Decline"), _cb("dec", request.id)),
                ),
            ),
        )
        shown += 1
    for request in await service.unscheduled_for(me.id):
        other = request.partner_id if request.requester_id == me.id else request.requester_id
        partner = await _partner(ctx, other)
        name = esc(partner.name) if partner else "?"
        ctx.say(
            # TRANSLATORS: in /meetings; {name} is the partner company's name ("?" if it
            # is no longer registered).
            ctx._("Your meeting with <b>{name}</b> has no time yet.", name=name),
            ((Button("🕒 " + ctx._("Choose a time"), _cb("slots", request.id)),),),
        )
        shown += 1
    for meeting in await service.meetings_for(me.id):
        partner = await _partner(ctx, meeting.other(me.id))
        lines = [
            # TRANSLATORS: heading of a booked meeting in /meetings, its times follow;
            # {name} is the partner company's name ("?" if it is no longer registered).
            ctx._("Meeting with <b>{name}</b>", name=esc(partner.name) if partner else "?"),
            _times(ctx, me, partner, meeting),
        ]
        if meeting.video_link:
            # TRANSLATORS: {url} is the web address of the meeting's video call.
            lines.append(ctx._("Video link: {url}", url=esc(meeting.video_link)))
        ctx.say(
            "\n".join(lines),
            rows(
                [
                    # TRANSLATORS: button under a meeting in /meetings: cancel the meeting (three
                    # buttons share a row: keep it short).
                    Button(ctx._("Cancel"), _cb("cx", meeting.id)),
                    # TRANSLATORS: button under a meeting in /meetings: give up this time and
                    # choose another (three buttons share a row: keep it short).
                    Button(ctx._("Reschedule"), _cb("rs", meeting.id)),
                    # TRANSLATORS: button under a meeting in /meetings: get the meeting as an .ics
                    # calendar file (three buttons share a row: keep it short).
                    Button(ctx._("Calendar file"), _cb("ics", meeting.id)),
                ],
                3,
            ),
        )
        shown += 1
    if not shown:
        ctx.say(ctx._("You have no meetings yet. Send /matches to find partners."))


async def ask_cancel(ctx: Ctx, meeting_id: int) -> None:
    """Ask to confirm cancelling a meeting."""
    me = await ctx.require_company()
    meeting = await ctx.services.meetings.get_meeting(meeting_id, me.id)
    partner = await _partner(ctx, meeting.other(me.id))
    ctx.say(
        # TRANSLATORS: asks to confirm; {name} is the partner company's name ("?" if
        # it is no longer registered); the meeting's times follow.
        ctx._("Cancel the meeting with <b>{name}</b>?", name=esc(partner.name) if partner else "?")
        + "\n"
        + _times(ctx, me, partner, meeting),
        (
            (
                # TRANSLATORS: button that confirms cancelling a meeting (two buttons share a
                # row).
                Button(ctx._("Yes, cancel it"), _cb("cxy", meeting_id)),
                Button(ctx._("No, keep it"), _cb("list")),
            ),
        ),
        edit=True,
    )


async def cancel(ctx: Ctx, meeting_id: int) -> None:
    """Cancel a meeting and tell the partner."""
    me = await ctx.require_company()
    _, notices = await ctx.services.meetings.cancel(meeting_id, me.id)
    ctx.notify(notices)
    ctx.say(ctx._("The meeting is cancelled. We told your partner."), edit=True)


async def reschedule(ctx: Ctx, meeting_id: int) -> None:
    """Free the meeting's time and offer new times to both sides."""
    me = await ctx.require_company()
    meeting, notices = await ctx.services.meetings.cancel(meeting_id, me.id, reschedule=True)
    ctx.notify(notices)
    await propose(ctx, meeting.request_id)


async def calendar_file(ctx: Ctx, meeting_id: int) -> None:
    """Send the meeting's calendar file."""
    me = await ctx.require_company()
    meeting = await ctx.services.meetings.get_meeting(meeting_id, me.id)
    partner = await _partner(ctx, meeting.other(me.id))
    # TRANSLATORS: title of the event in the .ics calendar file (plain text, no
    # HTML); {name} is the partner company's name (empty if it is no longer
    # registered).
    title = ctx._("Meeting with {name}", name=partner.name if partner else "")
    document = meeting_document(
        meeting,
        me,
        partner,
        title,
        meeting.video_link,
        ctx.services.clock.now(),
        ctx.services.event.name,
    )
    ctx.say(
        # TRANSLATORS: caption of the .ics calendar file sent in the chat; {name} is
        # the partner company's name ("?" if it is no longer registered).
        ctx._(
            "Calendar file for your meeting with <b>{name}</b>.",
            name=esc(partner.name) if partner else "?",
        ),
        document=document,
    )


async def attendance(ctx: Ctx, meeting_id: int, answer: str) -> None:
    """Record whether the meeting took place."""
    me = await ctx.require_company()
    notices = await ctx.services.meetings.record_attendance(meeting_id, me.id, answer)
    ctx.notify(notices)
    # TRANSLATORS: reply after the user answered whether a meeting took place.
    ctx.say(ctx._("Thank you for telling us."), edit=True)


async def outcome(ctx: Ctx, meeting_id: int, kind: OutcomeKind) -> None:
    """Record what came out of the meeting."""
    me = await ctx.require_company()
    await ctx.services.meetings.record_outcome(meeting_id, me.id, kind)
    text = ctx._("Thank you! We wish you a fruitful cooperation.")
    if kind in (OutcomeKind.FOLLOW_UP, OutcomeKind.INTENTION):
        text += "\n" + ctx._("We will ask you again in a month how it is going.")
    ctx.say(text, edit=True)


async def on_text(ctx: Ctx, text: str) -> None:
    """Point to the buttons (this flow has no typed answers)."""
    ctx.say(ctx._("Please use the buttons, or send /help."))


async def resume(ctx: Ctx) -> None:
    """Show the meetings again."""
    await cmd_meetings(ctx)


async def on_callback(ctx: Ctx, parts: list[str]) -> None:
    """Route a meetings button to its handler."""
    action = part(parts, 1)
    if action == "list":
        await cmd_meetings(ctx)
        return
    target = int_part(parts, 2)
    if action == "acc":
        await accept(ctx, target)
    elif action == "dec":
        await decline(ctx, target)
    elif action == "slots":
        await propose(ctx, target)
    elif action == "book":
        await book(ctx, target, int_part(parts, 3))
    elif action == "cx":
        await ask_cancel(ctx, target)
    elif action == "cxy":
        await cancel(ctx, target)
    elif action == "rs":
        await reschedule(ctx, target)
    elif action == "ics":
        await calendar_file(ctx, target)
    elif action == "held" and part(parts, 3) in ATTENDANCE:
        await attendance(ctx, target, ATTENDANCE[parts[3]])
    elif action == "out" and part(parts, 3) in OUTCOMES:
        await outcome(ctx, target, OUTCOMES[parts[3]])
    else:
        raise StaleCallback(":".join(parts))
