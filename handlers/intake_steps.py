"""The questions of the intake and the readers of typed answers (the flow is `intake.py`).

Every reader validates with `matchmaking.validation` (shared with the importer) and stores the
cleaned value in the draft; a `ValidationError` is explained to the user and the step repeats.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_time

from handlers.callbacks import pack
from handlers.context import Ctx, Keyboard, rows
from handlers.i18n import N_
from handlers.places import country_zones, find_countries
from handlers.render import (
    PROFILE_TYPE_LABELS,
    SIZE_LABELS,
    country_name,
    esc,
    flag,
    language_name,
    profile_card,
    section_label,
)
from handlers.types import Button
from matchmaking import validation as v
from matchmaking.countries import EVENT_COUNTRIES, default_timezone, get_country
from matchmaking.errors import ValidationError
from matchmaking.models import Company, CompanySize, ProfileType

PREFIX = "in"
COMMON_LANGUAGES = ("en", "zh_Hans", "de", "ru")


class Step(StrEnum):
    """The steps of the intake, in order."""

    NAME = "name"
    COUNTRY = "country"
    TIMEZONE = "tz"
    CITY = "city"
    LANGUAGES = "langs"
    SECTION = "section"
    PROFILE_TYPE = "ptype"
    OFFER = "offer"
    NEED = "need"
    SIZE = "size"
    WEBSITE = "web"
    CONTACT = "contact"
    SUMMARY = "summary"
    EDIT = "edit"


ORDER: tuple[Step, ...] = tuple(s for s in Step if s not in (Step.SUMMARY, Step.EDIT))

# TRANSLATORS: names of profile fields on the "which field do you want to change" buttons.
FIELD_LABELS: dict[Step, str] = {
    # TRANSLATORS: button on the "which field do you want to change" screen (two
    # per row): the company's name.
    Step.NAME: N_("Company name"),
    # TRANSLATORS: button on the "which field do you want to change" screen (two
    # per row): the company's country.
    Step.COUNTRY: N_("Country"),
    # TRANSLATORS: button on the "which field do you want to change" screen (two
    # per row): the time zone meeting times are shown in.
    Step.TIMEZONE: N_("Time zone"),
    # TRANSLATORS: button on the "which field do you want to change" screen (two
    # per row): the company's city.
    Step.CITY: N_("City"),
    # TRANSLATORS: button on the "which field do you want to change" screen (two
    # per row): the languages its people can speak in meetings.
    Step.LANGUAGES: N_("Languages"),
    # TRANSLATORS: button on the "which field do you want to change" screen (two
    # per row): the event section the company negotiates in.
    Step.SECTION: N_("Section"),
    # TRANSLATORS: button on the "which field do you want to change" screen (two
    # per row): the kind of partnership sought (business offer, technology request
    # ...).
    Step.PROFILE_TYPE: N_("Profile type"),
    # TRANSLATORS: button on the "which field do you want to change" screen (two
    # per row): the text about what the company offers.
    Step.OFFER: N_("What you offer"),
    # TRANSLATORS: button on the "which field do you want to change" screen (two
    # per row): the text about what the company looks for in a partner.
    Step.NEED: N_("What you need"),
    # TRANSLATORS: button on the "which field do you want to change" screen (two
    # per row): the size class (number of people).
    Step.SIZE: N_("Company size"),
    # TRANSLATORS: button on the "which field do you want to change" screen (two
    # per row): the company's website.
    Step.WEBSITE: N_("Website"),
    # TRANSLATORS: button on the "which field do you want to change" screen (two
    # per row): the private contact details (name, e-mail, phone ...).
    Step.CONTACT: N_("Contact"),
}


def _cb(step: Step, *parts: object) -> str:
    return pack(PREFIX, step.value, *parts)


def _nav(ctx: Ctx, step: Step, *, skip: bool = False) -> tuple[Button, ...]:
    # TRANSLATORS: button "◀ Back" under every registration question: go to the
    # previous question.
    buttons = [Button("◀ " + ctx._("Back"), _cb(step, "back"))]
    if skip:
        # TRANSLATORS: button "Skip ▶" under the optional registration questions.
        buttons.append(Button(ctx._("Skip") + " ▶", _cb(step, "skip")))
    return tuple(buttons)


def _ask(ctx: Ctx, step: Step, text: str, extra: Keyboard = (), *, skip: bool = False) -> None:
    ctx.say(text, (*extra, _nav(ctx, step, skip=skip)))


# -- questions ------------------------------------------------------------------------------


async def ask_name(ctx: Ctx) -> None:
    """Ask for the company name."""
    _ask(
        ctx,
        Step.NAME,
        # TRANSLATORS: first registration question; "Back" is the label of the button
        # below (translated separately: use the same word); keep /cancel.
        ctx._(
            "What is the name of your company or institution?\n"
            "(You can go back with the Back button or stop with /cancel at any step.)"
        ),
    )


async def ask_country(ctx: Ctx) -> None:
    """Ask for the country with a button per event country."""
    buttons = [
        Button(f"{c.flag} {country_name(c.code, ctx.locale)}", _cb(Step.COUNTRY, "c", c.code))
        for c in EVENT_COUNTRIES
    ]
    _ask(
        ctx,
        Step.COUNTRY,
        ctx._(
            "Which country is your company in? Choose below, or type its name or two-letter code "
            "(for example PL)."
        ),
        rows(buttons, 3),
    )


async def ask_timezone(ctx: Ctx) -> None:
    """Show the time zone derived from the country and offer to change it."""
    zone = str(ctx.state.data.get("timezone") or "UTC")
    now = format_time(
        ctx.services.clock.now(), format="short", tzinfo=ZoneInfo(zone), locale=ctx.locale
    )
    others = [z for z in country_zones(str(ctx.state.data.get("country", ""))) if z != zone]
    # TRANSLATORS: button "✓ Yes, this is right" under the time zone question (one
    # per row).
    buttons = [Button("✓ " + ctx._("Yes, this is right"), _cb(Step.TIMEZONE, "ok"))]
    zones = country_zones(str(ctx.state.data.get("country", "")))
    buttons += [Button(z, _cb(Step.TIMEZONE, "z", zones.index(z))) for z in others[:8]]
    _ask(
        ctx,
        Step.TIMEZONE,
        # TRANSLATORS: {zone} is an IANA time zone name such as Europe/Warsaw (not
        # translated); {time} is the current time there, formatted for the reader's
        # language (e.g. 14:05). Keep Europe/Warsaw as it is.
        ctx._(
            "Your time zone: <b>{zone}</b> (it is {time} there now). All meeting times will be shown "
            "in it. Is this right? If not, choose another one or type its name, for example "
            "Europe/Warsaw.",
            zone=esc(zone),
            time=esc(now),
        ),
        rows(buttons, 1),
    )


async def ask_city(ctx: Ctx) -> None:
    """Ask for the city (skippable)."""
    _ask(ctx, Step.CITY, ctx._("In which city is your company?"), skip=True)


async def ask_languages(ctx: Ctx) -> None:
    """Ask which languages the company's people speak (multi-select)."""
    chosen = list(ctx.state.data.get("languages") or [])
    country = str(ctx.state.data.get("country", ""))
    try:
        local = list(get_country(country).languages)
    except KeyError:
        local = []
    options = list(dict.fromkeys([*local, *COMMON_LANGUAGES, ctx.locale, *chosen]))
    buttons = [
        Button(
            ("✓ " if code in chosen else "") + language_name(code, ctx.locale),
            _cb(Step.LANGUAGES, "t", code),
        )
        for code in options
    ]
    # TRANSLATORS: button "Done ▶" under the language buttons: finish choosing
    # languages.
    done = (Button(ctx._("Done") + " ▶", _cb(Step.LANGUAGES, "done")),)
    _ask(
        ctx,
        Step.LANGUAGES,
        # TRANSLATORS: "Done" is the label of the button below (translated separately:
        # use the same word); en, de and zh are language codes: keep them.
        ctx._(
            "Which languages can your people speak in a meeting? Tap all that apply, then Done. "
            "You can also type language codes, for example: en, de, zh."
        ),
        (*rows(buttons, 2), done),
    )


async def ask_section(ctx: Ctx) -> None:
    """Ask for the event section."""
    event = ctx.services.event
    buttons = [
        Button(section_label(event, s.code, ctx.t), _cb(Step.SECTION, "s", i))
        for i, s in enumerate(event.sections)
    ]
    _ask(
        ctx,
        Step.SECTION,
        ctx._("In which section of the event do you want to negotiate?"),
        rows(buttons, 1),
    )


async def ask_profile_type(ctx: Ctx) -> None:
    """Ask for the profile type."""
    buttons = [
        Button(ctx._(label), _cb(Step.PROFILE_TYPE, "p", i))
        for i, label in enumerate(PROFILE_TYPE_LABELS.values())
    ]
    _ask(
        ctx,
        Step.PROFILE_TYPE,
        ctx._("What kind of partnership are you looking for?"),
        rows(buttons, 2),
    )


async def ask_offer(ctx: Ctx) -> None:
    """Ask what the company offers, with an example."""
    _ask(
        ctx,
        Step.OFFER,
        # TRANSLATORS: the text in <i> is an example answer, translate it.
        ctx._(
            "What does your company offer? Write a few sentences in any language.\n"
            "Example: <i>We produce organic honey and dried fruit and export them in bulk.</i>"
        ),
        skip=True,
    )


async def ask_need(ctx: Ctx) -> None:
    """Ask what the company needs, with an example."""
    _ask(
        ctx,
        Step.NEED,
        # TRANSLATORS: the text in <i> is an example answer, translate it.
        ctx._(
            "What are you looking for in a partner? Write a few sentences in any language.\n"
            "Example: <i>We are looking for a distributor of food products in China.</i>"
        ),
        skip=True,
    )


async def ask_size(ctx: Ctx) -> None:
    """Ask for the company size (skippable)."""
    buttons = [
        Button(ctx._(label), _cb(Step.SIZE, "s", size.value)) for size, label in SIZE_LABELS.items()
    ]
    _ask(
        ctx,
        Step.SIZE,
        ctx._("How big is your company? You can also type the number of people."),
        rows(buttons, 2),
        skip=True,
    )


async def ask_website(ctx: Ctx) -> None:
    """Ask for the website (skippable)."""
    _ask(ctx, Step.WEBSITE, ctx._("What is your website? (for example: example.com)"), skip=True)


async def ask_contact(ctx: Ctx) -> None:
    """Ask for the private contact and explain who sees it."""
    _ask(
        ctx,
        Step.CONTACT,
        ctx._(
            "How can a partner reach you (name, e-mail, phone, WeChat ...)?\n"
            "This stays private: a partner sees it only after you both agreed to meet."
        ),
    )


def draft_company(ctx: Ctx, base: Company | None = None) -> Company:
    """Return the company described by the draft (over `base` when editing)."""
    d = ctx.state.data
    size = d.get("size") or None
    fields: dict[str, Any] = {
        "name": d.get("name", ""),
        "country": d.get("country", ""),
        "timezone": d.get("timezone", ""),
        "city": d.get("city", ""),
        "languages": tuple(d.get("languages") or ()),
        "section": d.get("section", ""),
        "profile_type": ProfileType(d.get("profile_type") or ProfileType.BUSINESS_OFFER),
        "offer": d.get("offer", ""),
        "need": d.get("need", ""),
        "size": CompanySize(size) if size else None,
        "website": d.get("website", ""),
        "contact": d.get("contact", ""),
        "locale": ctx.locale,
    }
    if base is not None:
        return base.replace(**fields)
    return Company(
        id=f"tg{ctx.event.user_id}",
        user_id=ctx.event.user_id,
        event_code=ctx.state.event_code or ctx.services.event.code,
        **fields,
    )


async def ask_summary(ctx: Ctx) -> None:
    """Show the summary card and ask to save or edit."""
    card = profile_card(draft_company(ctx), ctx.services.event, ctx.t, private=True)
    # TRANSLATORS: line under the profile card; {zone} is an IANA time zone name
    # such as Europe/Warsaw (not translated).
    tz = ctx._("Time zone: {zone}", zone=esc(ctx.state.data.get("timezone", "")))
    buttons = (
        (
            # TRANSLATORS: button "✓ Save" under the profile summary at the end of the
            # registration (two per row).
            Button("✓ " + ctx._("Save"), _cb(Step.SUMMARY, "ok")),
            # TRANSLATORS: button "✏ Edit" under the profile summary at the end of the
            # registration (two per row).
            Button("✏ " + ctx._("Edit"), _cb(Step.SUMMARY, "edit")),
        ),
    )
    _ask(
        ctx,
        Step.SUMMARY,
        # TRANSLATORS: shown above the profile summary at the end of the registration.
        ctx._("Please check your profile:") + "\n\n" + card + "\n" + tz,
        buttons,
    )


async def ask_edit(ctx: Ctx) -> None:
    """Ask which field to change."""
    buttons = [
        Button(ctx._(label), _cb(Step.EDIT, "f", step.value))
        for step, label in FIELD_LABELS.items()
    ]
    # TRANSLATORS: shown above the buttons with the profile fields.
    _ask(ctx, Step.EDIT, ctx._("What do you want to change?"), rows(buttons, 2))


# -- typed answers --------------------------------------------------------------------------


async def read_name(ctx: Ctx, text: str) -> None:
    """Store the company name."""
    ctx.state.data["name"] = v.validate_name(text)


async def read_country(ctx: Ctx, text: str) -> None:
    """Store the typed country, or offer the countries that fit the search."""
    found = find_countries(text, ctx.locale)
    if not found:
        if len(text.strip()) == 2:
            v.validate_country(text)
        raise ValidationError(
            # TRANSLATORS: {value} is the text the user typed as their country.
            N_(
                "No country matches {value}. Choose a button or type the name or the two-letter "
                "code of your country."
            ),
            field="country",
            value=text.strip()[:40],
        )
    if len(found) > 1:
        buttons = [
            Button(f"{flag(c)} {country_name(c, ctx.locale)}", _cb(Step.COUNTRY, "c", c))
            for c in found
        ]
        # TRANSLATORS: asked when the typed country name fits several countries; their
        # buttons follow.
        _ask(ctx, Step.COUNTRY, ctx._("Which one do you mean?"), rows(buttons, 2))
        raise AskedAgain()
    set_country(ctx, found[0])


def set_country(ctx: Ctx, code: str) -> None:
    """Store a country and the time zone that comes with it."""
    code = v.validate_country(code)
    if ctx.state.data.get("country") != code or not ctx.state.data.get("timezone"):
        ctx.state.data["timezone"] = default_timezone(code)
    ctx.state.data["country"] = code


async def read_timezone(ctx: Ctx, text: str) -> None:
    """Store a typed IANA time zone."""
    ctx.state.data["timezone"] = v.validate_timezone(text)


async def read_city(ctx: Ctx, text: str) -> None:
    """Store the city."""
    ctx.state.data["city"] = v.validate_city(text)


async def read_languages(ctx: Ctx, text: str) -> None:
    """Store typed language codes."""
    langs = v.parse_languages(text)
    if not langs:
        raise ValidationError(N_("Please choose at least one language."), field="languages")
    ctx.state.data["languages"] = list(langs)


async def read_section(ctx: Ctx, text: str) -> None:
    """Store a typed section name or number."""
    code = v.parse_section(text, ctx.services.event.sections)
    if not code:
        raise ValidationError(N_("Please choose one of the sections."), field="section")
    ctx.state.data["section"] = code


async def read_profile_type(ctx: Ctx, text: str) -> None:
    """Store a typed profile type."""
    ctx.state.data["profile_type"] = v.parse_profile_type(text).value


async def read_offer(ctx: Ctx, text: str) -> None:
    """Store what the company offers."""
    ctx.state.data["offer"] = v.validate_text(text, "offer")


async def read_need(ctx: Ctx, text: str) -> None:
    """Store what the company needs."""
    need = v.validate_text(text, "need")
    v.validate_offer_and_need(str(ctx.state.data.get("offer", "")), need)
    ctx.state.data["need"] = need


async def read_size(ctx: Ctx, text: str) -> None:
    """Store the size from a typed class or head count."""
    size = v.parse_size(text)
    ctx.state.data["size"] = size.value if size else ""


async def read_website(ctx: Ctx, text: str) -> None:
    """Store the website."""
    ctx.state.data["website"] = v.validate_website(text)


async def read_contact(ctx: Ctx, text: str) -> None:
    """Store the private contact."""
    contact = v.validate_contact(text)
    if not contact:
        raise ValidationError(N_("Please give at least one way to reach you."), field="contact")
    ctx.state.data["contact"] = contact


class AskedAgain(Exception):
    """The reader asked a follow-up question itself (e.g. which of several countries)."""
