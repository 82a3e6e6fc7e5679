"""Suggested partners, one card at a time: request a meeting (with an optional note), not
interested (never shown again), or next. See `matches.mmd`.

Buttons carry a short reference to the partner (`m:req:3`), resolved through the dialog state,
because company ids may be longer than Telegram's 64-byte callback data allows.
"""

from __future__ import annotations

from enum import StrEnum

from handlers.callbacks import StaleCallback, pack, part
from handlers.context import Ctx, rows
from handlers.render import country_name, esc, flag, language_name, score_label, section_label
from handlers.types import Button
from matchmaking.models import Company, MatchSuggestion

FLOW = "matches"
PREFIX = "m"
STICKY = False
SUGGESTION_LIMIT = 30


class MatchStep(StrEnum):
    """The steps of the matches flow."""

    BROWSE = "browse"
    NOTE = "note"


def render_card(ctx: Ctx, partner: Company, suggestion: MatchSuggestion) -> str:
    """Return the HTML card of a suggested partner."""
    event = ctx.services.event
    lines = [
        f"<b>{esc(partner.name)}</b> {flag(partner.country)} "
        f"{esc(country_name(partner.country, ctx.locale))}"
    ]
    if partner.section:
        lines.append(section_label(event, partner.section, ctx.t))
    reason = suggestion.reason
    offer = reason.their_offer or partner.offer
    if offer:
        lang = language_name(reason.their_language or partner.text_language, ctx.locale)
        lines += [
            "",
            # TRANSLATORS: on a suggested partner's card; {language} is the name of the
            # language the partner wrote in, in the reader's language (e.g. Polish); the
            # partner's text follows in italics.
            ctx._("<b>What they offer</b> (in {language}):", language=esc(lang)),
            "<i>" + esc(offer) + "</i>",
        ]
    if reason.your_need:
        lines.append(
            # TRANSLATORS: on a suggested partner's card; {need} is a sentence from the
            # reader's own "what you need" text (in italics) that the partner's offer
            # meets.
            ctx._("This meets your need: {need}", need="<i>" + esc(reason.your_need) + "</i>")
        )
    lines += ["", "⭐ " + score_label(suggestion.score, ctx.t)]
    if suggestion.mutual:
        # TRANSLATORS: on a suggested partner's card: the reader's offer meets the
        # partner's need too.
        lines.append(ctx._("Your offer also meets their need."))
    if suggestion.interpreter_needed:
        # TRANSLATORS: line on a partner's card or meeting request (after 🗣): the two
        # companies share no language.
        lines.append("🗣 " + ctx._("Interpreter needed: you have no language in common."))
    return "\n".join(lines)


async def show_next(ctx: Ctx, *, edit: bool = False) -> None:
    """Show the best suggestion not yet passed over in this browse."""
    company = await ctx.require_company()
    skipped = set(ctx.state.data.get("skipped") or [])
    suggestions = await ctx.services.matching.suggest(company.id, limit=SUGGESTION_LIMIT)
    for suggestion in suggestions:
        if suggestion.partner_id in skipped:
            continue
        partner = await ctx.services.repos.companies.get(suggestion.partner_id)
        if partner is None:
            continue
        ref = ctx.state.ref(partner.id)
        buttons = rows(
            [
                # TRANSLATORS: button "🤝 Request a meeting" under a suggested partner's card
                # (one per row).
                Button("🤝 " + ctx._("Request a meeting"), pack(PREFIX, "req", ref)),
                # TRANSLATORS: button under a suggested partner's card: never show this
                # partner again (one per row).
                Button(ctx._("Not interested"), pack(PREFIX, "no", ref)),
                # TRANSLATORS: button "Next ▶" under a suggested partner's card: show the next
                # suggestion (one per row).
                Button(ctx._("Next") + " ▶", pack(PREFIX, "next", ref)),
            ],
            1,
        )
        ctx.say(render_card(ctx, partner, suggestion), buttons, edit=edit)
        return
    ctx.say(
        ctx._(
            "There are no more suggestions for now. We will tell you when new partners "
            "register. Send /meetings to see your meeting requests."
        ),
        edit=edit,
    )


async def cmd_matches(ctx: Ctx) -> None:
    """Start browsing suggested partners from the best one."""
    await ctx.require_company()
    ctx.state.enter(FLOW, MatchStep.BROWSE.value, {"skipped": []})
    await show_next(ctx)


async def ask_note(ctx: Ctx, partner: Company) -> None:
    """Ask for an optional note to send with the meeting request."""
    ref = ctx.state.ref(partner.id)
    ctx.state.enter(FLOW, MatchStep.NOTE.value, {**ctx.state.data, "partner": ref})
    buttons = (
        (
            # TRANSLATORS: button under the note question: send the meeting request
            # without a note (two per row).
            Button(ctx._("Send without a note"), pack(PREFIX, "skip", ref)),
            # TRANSLATORS: button "◀ Back" under the note question: back to the partner's
            # card (two per row).
            Button("◀ " + ctx._("Back"), pack(PREFIX, "back", ref)),
        ),
    )
    ctx.say(
        # TRANSLATORS: {name} is the partner company's name.
        ctx._(
            "Add a short note for <b>{name}</b> (for example what you would like to "
            "discuss), or send the request without one.",
            name=esc(partner.name),
        ),
        buttons,
    )


async def send_request(ctx: Ctx, partner_id: str, note: str) -> None:
    """Send the meeting request and tell the partner."""
    company = await ctx.require_company()
    _, notices = await ctx.services.meetings.request_meeting(company.id, partner_id, note)
    ctx.notify(notices)
    partner = await ctx.services.companies.get(partner_id)
    skipped = list(ctx.state.data.get("skipped") or []) + [partner_id]
    ctx.state.enter(FLOW, MatchStep.BROWSE.value, {"skipped": skipped})
    ctx.say(
        # TRANSLATORS: {name} is the partner company's name.
        ctx._(
            "Your meeting request was sent to <b>{name}</b>. We will tell you when they answer.",
            name=esc(partner.name),
        ),
        # TRANSLATORS: button "Next suggestion ▶" under the confirmation that a
        # meeting request was sent.
        ((Button(ctx._("Next suggestion") + " ▶", pack(PREFIX, "show")),),),
    )


async def on_text(ctx: Ctx, text: str) -> None:
    """Send the meeting request with the typed note, or point to the buttons."""
    if ctx.state.step == MatchStep.NOTE.value:
        partner_id = ctx.state.deref(str(ctx.state.data.get("partner", "")))
        if partner_id is None:
            ctx.state.leave()
            ctx.say(ctx._("Send /matches to see suggested partners."))
            return
        await send_request(ctx, partner_id, text)
        return
    ctx.say(ctx._("Please use the buttons under the card, or send /help."))


async def resume(ctx: Ctx) -> None:
    """Show the current card or note question again."""
    if ctx.state.step == MatchStep.NOTE.value:
        partner_id = ctx.state.deref(str(ctx.state.data.get("partner", "")))
        if partner_id is not None:
            await ask_note(ctx, await ctx.services.companies.get(partner_id))
            return
    await show_next(ctx)


async def on_callback(ctx: Ctx, parts: list[str]) -> None:
    """Handle the card buttons: request, note skip/back, not interested, next."""
    action = part(parts, 1)
    if action == "show":
        if ctx.state.flow != FLOW:
            ctx.state.enter(FLOW, MatchStep.BROWSE.value, {"skipped": []})
        ctx.state.step = MatchStep.BROWSE.value
        await show_next(ctx)
        return
    partner_id = ctx.state.deref(part(parts, 2))
    if partner_id is None:
        raise StaleCallback(":".join(parts))
    company = await ctx.require_company()
    if action == "req":
        await ask_note(ctx, await ctx.services.companies.get(partner_id))
    elif action in ("skip", "back"):
        if (
            ctx.state.flow != FLOW
            or ctx.state.step != MatchStep.NOTE.value
            or (ctx.state.deref(str(ctx.state.data.get("partner", ""))) != partner_id)
        ):
            raise StaleCallback(":".join(parts))
        if action == "skip":
            await send_request(ctx, partner_id, "")
        else:
            ctx.state.step = MatchStep.BROWSE.value
            await show_next(ctx)
    elif action == "no":
        await ctx.services.matching.not_interested(company.id, partner_id)
        _browse(ctx, partner_id)
        await show_next(ctx, edit=True)
    elif action == "next":
        _browse(ctx, partner_id)
        await show_next(ctx, edit=True)
    else:
        raise StaleCallback(":".join(parts))


def _browse(ctx: Ctx, passed_over: str) -> None:
    if ctx.state.flow != FLOW:
        ctx.state.enter(FLOW, MatchStep.BROWSE.value, {"skipped": []})
    ctx.state.step = MatchStep.BROWSE.value
    skipped = list(ctx.state.data.get("skipped") or [])
    if passed_over not in skipped:
        skipped.append(passed_over)
    ctx.state.data["skipped"] = skipped
