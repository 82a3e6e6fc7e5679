"""Registration and profile editing: one question per step, validated, Back and /cancel anywhere.

The flow is a table (`STEPS`): each step knows how to ask, how to read a typed answer, and
whether it may be skipped; button answers are handled in `on_callback`. Answers are kept in the
dialog state's draft, so Back, /cancel (the draft is parked), a language change or a restart
lose nothing. See `intake.mmd`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from handlers import intake_steps as q
from handlers.callbacks import StaleCallback, int_part, part
from handlers.context import Ctx
from handlers.i18n import N_
from handlers.intake_steps import Step
from handlers.menu import show_language_picker
from handlers.places import country_zones
from handlers.render import esc, profile_card
from handlers.types import Button
from matchmaking import validation as v
from matchmaking.errors import ValidationError
from matchmaking.models import Company, CompanySize, CompanyStatus, ProfileType

FLOW = "intake"
PREFIX = q.PREFIX
STICKY = True


@dataclass(frozen=True, slots=True)
class StepSpec:
    """One row of the intake table: how to ask, how to read a typed answer, what Skip stores."""

    ask: Callable[[Ctx], Awaitable[None]]
    read: Callable[[Ctx, str], Awaitable[None]] | None = None
    skip: Callable[[dict[str, Any]], None] | None = None


def _clear(key: str) -> Callable[[dict[str, Any]], None]:
    def clear(data: dict[str, Any]) -> None:
        data[key] = ""

    return clear


def _skip_need(data: dict[str, Any]) -> None:
    v.validate_offer_and_need(str(data.get("offer", "")), "")
    data["need"] = ""


STEPS: dict[Step, StepSpec] = {
    Step.NAME: StepSpec(q.ask_name, q.read_name),
    Step.COUNTRY: StepSpec(q.ask_country, q.read_country),
    Step.TIMEZONE: StepSpec(q.ask_timezone, q.read_timezone),
    Step.CITY: StepSpec(q.ask_city, q.read_city, _clear("city")),
    Step.LANGUAGES: StepSpec(q.ask_languages, q.read_languages),
    Step.SECTION: StepSpec(q.ask_section, q.read_section),
    Step.PROFILE_TYPE: StepSpec(q.ask_profile_type, q.read_profile_type),
    Step.OFFER: StepSpec(q.ask_offer, q.read_offer, _clear("offer")),
    Step.NEED: StepSpec(q.ask_need, q.read_need, _skip_need),
    Step.SIZE: StepSpec(q.ask_size, q.read_size, _clear("size")),
    Step.WEBSITE: StepSpec(q.ask_website, q.read_website, _clear("website")),
    Step.CONTACT: StepSpec(q.ask_contact, q.read_contact),
    Step.SUMMARY: StepSpec(q.ask_summary),
    Step.EDIT: StepSpec(q.ask_edit),
}


def company_draft(company: Company) -> dict[str, Any]:
    """Return the draft of a saved company, for editing."""
    return {
        "name": company.name,
        "country": company.country,
        "timezone": company.timezone,
        "city": company.city,
        "languages": list(company.languages),
        "section": company.section,
        "profile_type": company.profile_type.value,
        "offer": company.offer,
        "need": company.need,
        "size": company.size.value if company.size else "",
        "website": company.website,
        "contact": company.contact,
        "existing": True,
    }


def _current(ctx: Ctx) -> Step:
    try:
        return Step(ctx.state.step)
    except ValueError:
        return Step.NAME


async def go(ctx: Ctx, step: Step) -> None:
    """Move to a step and ask its question."""
    if step is Step.SUMMARY:
        ctx.state.data.pop("editing", None)
    ctx.state.step = step.value
    await STEPS[step].ask(ctx)


async def begin(ctx: Ctx) -> None:
    """Start the registration, or continue one that was stopped or is under way."""
    if ctx.state.flow == FLOW:
        await resume(ctx)
        return
    if ctx.state.unpark(FLOW):
        ctx.say(ctx._("Let's continue your registration."))
        await resume(ctx)
        return
    ctx.state.enter(FLOW, Step.NAME.value, {})
    await go(ctx, Step.NAME)


async def resume(ctx: Ctx) -> None:
    """Ask the current step's question again."""
    await go(ctx, _current(ctx))


async def advance(ctx: Ctx, done: Step) -> None:
    """Go on after a valid answer: the next step, or back to the summary when editing."""
    if done is Step.COUNTRY:
        await go(ctx, Step.TIMEZONE)
    elif ctx.state.data.get("editing") or done is Step.CONTACT:
        await go(ctx, Step.SUMMARY)
    else:
        await go(ctx, ORDER_NEXT[done])


ORDER_NEXT: dict[Step, Step] = dict(zip(q.ORDER, q.ORDER[1:], strict=False))
ORDER_PREV: dict[Step, Step] = {b: a for a, b in ORDER_NEXT.items()}


async def back(ctx: Ctx, step: Step) -> None:
    """Go back one step, keeping every answer."""
    data = ctx.state.data
    if step is Step.NAME and not data.get("existing"):
        show_language_picker(ctx)
    elif step is Step.SUMMARY:
        await go(ctx, Step.EDIT if data.get("existing") else Step.CONTACT)
    elif step is Step.EDIT:
        await go(ctx, Step.SUMMARY)
    elif step is Step.TIMEZONE and data.get("editing"):
        await go(ctx, Step.COUNTRY)
    elif data.get("editing") or data.get("existing"):
        await go(ctx, Step.SUMMARY)
    else:
        await go(ctx, ORDER_PREV.get(step, Step.NAME))


async def on_text(ctx: Ctx, text: str) -> None:
    """Validate and store a typed answer, then ask the next question."""
    step = _current(ctx)
    reader = STEPS[step].read
    if reader is None:
        ctx.say(ctx._("Please use the buttons above."))
        await resume(ctx)
        return
    try:
        await reader(ctx, text)
    except q.AskedAgain:
        return
    await advance(ctx, step)


async def save(ctx: Ctx) -> None:
    """Save the profile, index it and plan the first suggestions."""
    existing = await ctx.company()
    company = q.draft_company(ctx, existing)
    v.validate_name(company.name)
    v.validate_offer_and_need(company.offer, company.need)
    if existing is None:
        company.status = CompanyStatus.ACTIVE
    await ctx.services.companies.save(company)
    await ctx.services.jobs.schedule_push(company.id, soon=True)
    ctx.state.leave()
    ctx.state.parked.pop(FLOW, None)
    ctx.forget_company()
    text = (
        ctx._("Your profile is updated.")
        if existing is not None
        else ctx._(
            "Thank you! Your profile is saved. We will suggest partners whose offer meets your "
            "need, and tell you when new ones register."
        )
    )
    # TRANSLATORS: button that opens the suggested partners (one per row).
    ctx.say(text, ((Button(ctx._("Show suggested partners"), "m:show"),),))


async def show_profile(ctx: Ctx) -> None:
    """Show the user's profile with an Edit button, or start the registration."""
    company = await ctx.company()
    if company is None:
        await begin(ctx)
        return
    card = profile_card(company, ctx.services.event, ctx.t, private=True)
    # TRANSLATORS: line under the profile card; {zone} is an IANA time zone name
    # such as Europe/Warsaw (not translated).
    lines = [card, ctx._("Time zone: {zone}", zone=esc(company.timezone))]
    if company.status is CompanyStatus.PAUSED:
        lines.append(ctx._("Suggestions are paused. Send /resume to get them again."))
    # TRANSLATORS: button "✏ Edit" under the user's own profile card: change the
    # profile.
    ctx.say("\n".join(lines), ((Button("✏ " + ctx._("Edit"), "in:pedit"),),))


async def start_edit(ctx: Ctx) -> None:
    """Open the saved profile for editing at the field chooser."""
    company = await ctx.require_company()
    ctx.state.enter(FLOW, Step.EDIT.value, company_draft(company))
    await go(ctx, Step.EDIT)


async def on_callback(ctx: Ctx, parts: list[str]) -> None:
    """Handle an intake button: an answer, Skip, Back, Save or Edit."""
    action = part(parts, 1)
    if action == "prof":
        await show_profile(ctx)
        return
    if action == "pedit":
        await start_edit(ctx)
        return
    try:
        step = Step(action)
    except ValueError:
        raise StaleCallback(":".join(parts)) from None
    if ctx.state.flow != FLOW or ctx.state.step != step.value:
        raise StaleCallback(":".join(parts))
    verb = part(parts, 2)
    if verb == "back":
        await back(ctx, step)
    elif verb == "skip":
        skip = STEPS[step].skip
        if skip is None:
            raise StaleCallback(":".join(parts))
        skip(ctx.state.data)
        await advance(ctx, step)
    else:
        await _button_answer(ctx, step, verb, parts)


E = TypeVar("E", bound=StrEnum)


def _enum_part(kind: type[E], parts: list[str]) -> E:
    try:
        return kind(part(parts, 3))
    except ValueError:
        raise StaleCallback(":".join(parts)) from None


def _language_code(parts: list[str]) -> str:
    try:
        return v.parse_languages(part(parts, 3))[0]
    except (ValidationError, IndexError):
        raise StaleCallback(":".join(parts)) from None


async def _button_answer(ctx: Ctx, step: Step, verb: str, parts: list[str]) -> None:
    data = ctx.state.data
    if step is Step.COUNTRY and verb == "c":
        q.set_country(ctx, part(parts, 3))
    elif step is Step.TIMEZONE and verb == "z":
        zones = country_zones(str(data.get("country", "")))
        index = int_part(parts, 3)
        if not 0 <= index < len(zones):
            raise StaleCallback(":".join(parts))
        data["timezone"] = zones[index]
    elif step is Step.TIMEZONE and verb == "ok":
        pass
    elif step is Step.LANGUAGES and verb == "t":
        code = _language_code(parts)
        chosen: list[str] = list(data.get("languages") or [])
        data["languages"] = [c for c in chosen if c != code] if code in chosen else chosen + [code]
        await q.ask_languages(ctx)
        ctx.edit_last()
        return
    elif step is Step.LANGUAGES and verb == "done":
        if not data.get("languages"):
            raise ValidationError(N_("Please choose at least one language."), field="languages")
    elif step is Step.SECTION and verb == "s":
        sections = ctx.services.event.sections
        index = int_part(parts, 3)
        if not 0 <= index < len(sections):
            raise StaleCallback(":".join(parts))
        data["section"] = sections[index].code
    elif step is Step.PROFILE_TYPE and verb == "p":
        types = list(ProfileType)
        index = int_part(parts, 3)
        if not 0 <= index < len(types):
            raise StaleCallback(":".join(parts))
        data["profile_type"] = types[index].value
    elif step is Step.SIZE and verb == "s":
        data["size"] = _enum_part(CompanySize, parts).value
    elif step is Step.SUMMARY and verb == "ok":
        await save(ctx)
        return
    elif step is Step.SUMMARY and verb == "edit":
        await go(ctx, Step.EDIT)
        return
    elif step is Step.EDIT and verb == "f":
        target = _enum_part(Step, parts)
        if target not in q.FIELD_LABELS:
            raise StaleCallback(":".join(parts))
        data["editing"] = True
        await go(ctx, target)
        return
    else:
        raise StaleCallback(":".join(parts))
    await advance(ctx, step)
