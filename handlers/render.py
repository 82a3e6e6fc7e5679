"""Shared renderers: escaping, names of countries and languages, labels, the profile card.

Every piece of user text that goes into a reply passes through `esc` (replies are Telegram HTML).
Country and language names come from Babel's CLDR data in the viewer's locale, so they need no
catalog entries.
"""

from __future__ import annotations

import html
from datetime import datetime

from babel import Locale, UnknownLocaleError

from handlers.i18n import N_, Translator
from handlers.timefmt import format_slot
from matchmaking.countries import get_country
from matchmaking.jobs import STRONG_MATCH
from matchmaking.models import Company, CompanySize, Event, ProfileType

GOOD_MATCH = 0.3

PROFILE_TYPE_LABELS: dict[ProfileType, str] = {
    # TRANSLATORS: profile type (the kind of partnership sought): a registration
    # button (two per row) and the value after "Profile:" on profile cards.
    ProfileType.BUSINESS_OFFER: N_("Business offer"),
    # TRANSLATORS: profile type (the kind of partnership sought): a registration
    # button (two per row) and the value after "Profile:" on profile cards.
    ProfileType.BUSINESS_REQUEST: N_("Business request"),
    # TRANSLATORS: profile type (the kind of partnership sought): a registration
    # button (two per row) and the value after "Profile:" on profile cards.
    ProfileType.TECHNOLOGY_OFFER: N_("Technology offer"),
    # TRANSLATORS: profile type (the kind of partnership sought): a registration
    # button (two per row) and the value after "Profile:" on profile cards.
    ProfileType.TECHNOLOGY_REQUEST: N_("Technology request"),
    # TRANSLATORS: profile type (the kind of partnership sought): a registration
    # button (two per row) and the value after "Profile:" on profile cards.
    ProfileType.RD_PARTNERSHIP: N_("R&D partnership request"),
    # TRANSLATORS: profile type (the kind of partnership sought): a registration
    # button (two per row) and the value after "Profile:" on profile cards.
    ProfileType.INVESTMENT: N_("Investment (seeking or offering)"),
}

SIZE_LABELS: dict[CompanySize, str] = {
    # TRANSLATORS: company size class of the EU SME definition: a registration
    # button (two per row) and the value after "Size:" on profile cards.
    CompanySize.MICRO: N_("Micro (under 10 people)"),
    # TRANSLATORS: company size class of the EU SME definition: a registration
    # button (two per row) and the value after "Size:" on profile cards.
    CompanySize.SMALL: N_("Small (10-49 people)"),
    # TRANSLATORS: company size class of the EU SME definition: a registration
    # button (two per row) and the value after "Size:" on profile cards.
    CompanySize.MEDIUM: N_("Medium (50-249 people)"),
    # TRANSLATORS: company size class of the EU SME definition: a registration
    # button (two per row) and the value after "Size:" on profile cards.
    CompanySize.LARGE: N_("Large (250 people or more)"),
}

SECTION_LABELS: dict[str, str] = {
    # TRANSLATORS: one of the four negotiation sections of the China-CEE event: a
    # registration button (one per row) and a line on profile cards.
    "industry": N_("Industry, Industrial Manufacturing"),
    # TRANSLATORS: one of the four negotiation sections of the China-CEE event: a
    # registration button (one per row) and a line on profile cards.
    "trade": N_("Trade and Investment, Agriculture"),
    # TRANSLATORS: one of the four negotiation sections of the China-CEE event: a
    # registration button (one per row) and a line on profile cards.
    "tourism": N_("Tourism, and People to People Exchange"),
    # TRANSLATORS: one of the four negotiation sections of the China-CEE event: a
    # registration button (one per row) and a line on profile cards.
    "health": N_("Medical and Health"),
}


def esc(text: object) -> str:
    """Return user text escaped for Telegram HTML."""
    return html.escape(str(text), quote=False)


def _locale(code: str) -> Locale:
    try:
        return Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def flag(country_code: str) -> str:
    """Return the flag emoji of an ISO alpha-2 code ("" when it is not two letters)."""
    code = country_code.strip().upper()
    if len(code) != 2 or not code.isalpha() or not code.isascii():
        return ""
    return "".join(chr(0x1F1E6 + ord(ch) - ord("A")) for ch in code)


def country_name(code: str, locale: str) -> str:
    """Return the country's name in the viewer's language."""
    name = _locale(locale).territories.get(code.upper())
    if name:
        return str(name)
    try:
        return get_country(code.upper()).name
    except KeyError:
        return code


def language_name(code: str, locale: str) -> str:
    """Return a language's name in the viewer's language ("polski" -> "Polish" for en)."""
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name(_locale(locale))
    except (UnknownLocaleError, ValueError):
        return code
    return str(name) if name else code


def section_label(event: Event, code: str, t: Translator) -> str:
    """Return the translated name of an event section (escaped; "" when unset)."""
    section = event.section(code)
    if section is None:
        return esc(code)
    if SECTION_LABELS.get(code) == section.name:
        return esc(t.gettext(section.name))
    return esc(section.name)


def score_label(score: float, t: Translator) -> str:
    """Return how good a match is, in words (never the number)."""
    if score >= STRONG_MATCH:
        # TRANSLATORS: how well a suggested partner fits, on their card after ⭐ (the
        # number is never shown).
        return t.gettext("Strong match")
    if score >= GOOD_MATCH:
        # TRANSLATORS: how well a suggested partner fits, on their card after ⭐ (the
        # number is never shown).
        return t.gettext("Good match")
    # TRANSLATORS: how well a suggested partner fits, on their card after ⭐ (the
    # number is never shown).
    return t.gettext("Possible match")


def slot_text(start: datetime, end: datetime, tz: str, locale: str) -> str:
    """Return a meeting slot in a zone and locale ("Tue 16 Jun, 16:00-16:30 (Beijing)")."""
    return esc(format_slot(start, end, tz, locale))


def profile_card(company: Company, event: Event, t: Translator, *, private: bool = False) -> str:
    """Return the HTML profile card of a company; `private` adds contact and website."""
    lines = [f"<b>{esc(company.name)}</b> {flag(company.country)}"]
    where = country_name(company.country, t.locale)
    if company.city:
        where = f"{esc(company.city)}, {esc(where)}"
    else:
        where = esc(where)
    lines.append(where)
    if company.section:
        lines.append(
            # TRANSLATORS: line on a profile card; {section} is the name of an event
            # section (e.g. "Medical and Health").
            t.gettext("Section: {section}", section=section_label(event, company.section, t))
        )
    lines.append(
        # TRANSLATORS: line on a profile card; {profile_type} is a profile type such
        # as "Business offer".
        t.gettext(
            "Profile: {profile_type}",
            profile_type=esc(t.gettext(PROFILE_TYPE_LABELS[company.profile_type])),
        )
    )
    if company.languages:
        names = ", ".join(esc(language_name(code, t.locale)) for code in company.languages)
        # TRANSLATORS: line on a profile card; {languages} is a comma-separated list
        # of language names in the reader's language.
        lines.append(t.gettext("Languages: {languages}", languages=names))
    if company.size is not None:
        # TRANSLATORS: line on a profile card; {size} is a size class such as
        # "Small (10-49 people)".
        lines.append(t.gettext("Size: {size}", size=esc(t.gettext(SIZE_LABELS[company.size]))))
    if company.offer:
        # TRANSLATORS: line on a profile card; {text} is what the company offers, as
        # it wrote it (any language).
        lines.append(t.gettext("<b>Offers:</b> {text}", text=esc(company.offer)))
    if company.need:
        # TRANSLATORS: line on a profile card; {text} is what the company looks for,
        # as it wrote it (any language).
        lines.append(t.gettext("<b>Looks for:</b> {text}", text=esc(company.need)))
    if company.website:
        # TRANSLATORS: line on a profile card; {url} is the company's website address.
        lines.append(t.gettext("Website: {url}", url=esc(company.website)))
    if private and company.contact:
        # TRANSLATORS: line on the user's own profile card; {contact} is their private
        # contact details as typed (name, e-mail, phone ...).
        lines.append(t.gettext("Contact: {contact}", contact=esc(company.contact)))
    return "\n".join(lines)


def contact_card(company: Company, t: Translator) -> str:
    """Return the contact details of a partner, shown once both sides accepted a meeting."""
    # TRANSLATORS: heading shown once both sides accepted a meeting; {name} is the
    # partner company's name; the contact details follow.
    lines = [t.gettext("<b>{name}</b>: contact details", name=esc(company.name))]
    lines.append(
        # TRANSLATORS: in place of a partner's contact details when they gave none.
        esc(company.contact) if company.contact else t.gettext("(no contact details given)")
    )
    if company.website:
        lines.append(esc(company.website))
    return "\n".join(lines)


def meeting_times(
    start: datetime, end: datetime, viewer_tz: str, partner_tz: str, t: Translator
) -> str:
    """Return a meeting's time for the viewer and, when it differs, for the partner."""
    # TRANSLATORS: {time} is the meeting's date and time in the reader's own time
    # zone, already formatted in their language (weekday, date, start-end, zone
    # name).
    mine = t.gettext("{time} (your time)", time=slot_text(start, end, viewer_tz, t.locale))
    if partner_tz == viewer_tz:
        return mine
    # TRANSLATORS: {time} is the meeting's date and time in the partner's time
    # zone, already formatted in the reader's language (weekday, date, start-end,
    # zone name).
    theirs = t.gettext("{time} (their time)", time=slot_text(start, end, partner_tz, t.locale))
    return mine + "\n" + theirs
