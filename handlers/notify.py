"""Render notices for their recipients: in the recipient's language and time zone, with buttons.

A notice addressed to a company without a chat user (an imported company) is skipped. Every
rendered message is a `Reply` with `chat_id` set to the recipient's user id.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from handlers.calendar import meeting_document
from handlers.callbacks import pack
from handlers.context import Keyboard, rows
from handlers.i18n import Translator, negotiate_locale
from handlers.render import contact_card, esc, meeting_times, profile_card, slot_text
from handlers.types import Button, Document, Reply
from matchmaking.facade import AppServices
from matchmaking.meetings import needs_interpreter
from matchmaking.models import Company, Meeting
from matchmaking.notices import Notice, NoticeKind
from matchmaking.scheduling import company_timezone

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Parts:
    """What one notice renders to."""

    text: str
    buttons: Keyboard = ()
    document: Document | None = None


@dataclass(slots=True)
class _Scene:
    """Everything a notice renderer may need, loaded once."""

    notice: Notice
    recipient: Company
    partner: Company | None
    meeting: Meeting | None
    t: Translator
    services: AppServices

    @property
    def partner_name(self) -> str:
        if self.partner is not None:
            return esc(self.partner.name)
        # TRANSLATORS: fills {name} in meeting notices when the partner's name is
        # unknown (shown in bold, may start a sentence).
        return esc(self.notice.data.get("partner_name", "")) or self.t.gettext("your partner")

    def tz(self, company: Company | None) -> str:
        if company is None:
            return company_timezone(self.services.event, self.recipient)
        return company_timezone(self.services.event, company)

    def when(self) -> str:
        if self.meeting is None:
            return ""
        return slot_text(
            self.meeting.start, self.meeting.end, self.tz(self.recipient), self.t.locale
        )

    def both_times(self) -> str:
        if self.meeting is None:
            return ""
        other = self.tz(self.partner) if self.partner else self.tz(self.recipient)
        return meeting_times(
            self.meeting.start, self.meeting.end, self.tz(self.recipient), other, self.t
        )

    def video(self) -> str:
        if self.meeting is None or not self.meeting.video_link:
            return ""
        # TRANSLATORS: {url} is the web address of the meeting's video call.
        return self.t.gettext("Video link: {url}", url=esc(self.meeting.video_link))


def _cb(*parts: object) -> str:
    return pack("mt", *parts)


def _slots_button(s: _Scene) -> Keyboard:
    if s.notice.request_id is None:
        return ()
    return ((Button("🕒 " + s.t.gettext("Choose a time"), _cb("slots", s.notice.request_id)),),)


async def _request_received(s: _Scene) -> _Parts:
    _ = s.t.gettext
    request = await s.services.repos.requests.get(s.notice.request_id or 0)
    # TRANSLATORS: heading of the notice about a received meeting request; the
    # requester's profile card follows.
    lines = [_("<b>New meeting request</b>"), ""]
    if s.partner is not None:
        lines.append(profile_card(s.partner, s.services.event, s.t))
        if needs_interpreter(s.recipient, s.partner):
            lines.append(_("Interpreter needed: you have no language in common."))
    if request is not None and request.note:
        # TRANSLATORS: {note} is the note the requesting company wrote (in italics, in
        # their language).
        lines += ["", _("Their note: {note}", note="<i>" + esc(request.note) + "</i>")]
    buttons = (
        (
            Button("✓ " + _("Accept"), _cb("acc", s.notice.request_id)),
            Button("✗ " + _("Decline"), _cb("dec", s.notice.request_id)),
        ),
    )
    return _Parts("\n".join(lines), buttons)


async def _request_accepted(s: _Scene) -> _Parts:
    _ = s.t.gettext
    # TRANSLATORS: {name} is the partner company's name (or "your partner" when it
    # is unknown); their contact details follow.
    text = _(
        "<b>{name}</b> accepted your meeting request! Here are their contact details:",
        name=s.partner_name,
    )
    if s.partner is not None:
        text += "\n\n" + contact_card(s.partner, s.t)
    text += "\n\n" + _("Now choose a time for the online meeting.")
    return _Parts(text, _slots_button(s))


async def _request_declined(s: _Scene) -> _Parts:
    return _Parts(
        # TRANSLATORS: {name} is the partner company's name (or "your partner" when it
        # is unknown).
        s.t.gettext(
            "<b>{name}</b> cannot take your meeting request this time. Send /matches to see other "
            "partners.",
            name=s.partner_name,
        )
    )


async def _request_expired(s: _Scene) -> _Parts:
    request = await s.services.repos.requests.get(s.notice.request_id or 0)
    if request is not None and request.requester_id == s.recipient.id:
        return _Parts(
            # TRANSLATORS: {name} is the name of the company the request was sent to (or
            # "your partner").
            s.t.gettext(
                "Your meeting request to <b>{name}</b> expired without an answer.",
                name=s.partner_name,
            )
        )
    return _Parts(
        # TRANSLATORS: {name} is the name of the company that sent the request (or
        # "your partner").
        s.t.gettext("The meeting request from <b>{name}</b> has expired.", name=s.partner_name)
    )


async def _meeting_booked(s: _Scene) -> _Parts:
    _ = s.t.gettext
    # TRANSLATORS: {name} is the partner company's name (or "your partner" when it
    # is unknown); the meeting's times follow.
    lines = [_("<b>Meeting booked</b> with <b>{name}</b>:", name=s.partner_name), s.both_times()]
    if s.video():
        lines.append(s.video())
    if s.meeting is not None and s.meeting.interpreter_needed:
        lines.append(_("An interpreter will join the meeting."))
    document = None
    if s.meeting is not None:
        # TRANSLATORS: title of the event in the .ics calendar file (plain text, no
        # HTML); {name} is the partner company's name (empty if it is no longer
        # registered).
        title = _("Meeting with {name}", name=s.partner.name if s.partner else "")
        document = meeting_document(
            s.meeting,
            s.recipient,
            s.partner,
            title,
            s.meeting.video_link,
            s.services.clock.now(),
            s.services.event.name,
        )
    # TRANSLATORS: button under the notice of a booked meeting: opens /meetings.
    buttons = ((Button(_("My meetings"), _cb("list")),),)
    return _Parts("\n".join(lines), buttons, document)


async def _meeting_cancelled(s: _Scene) -> _Parts:
    return _Parts(
        # TRANSLATORS: {name} is the partner company's name (or "your partner" when it
        # is unknown); {time} is the meeting's date and time, already formatted in the
        # reader's language and time zone (weekday, date, start-end, zone name).
        s.t.gettext(
            "<b>{name}</b> cancelled the meeting on {time}.", name=s.partner_name, time=s.when()
        )
    )


async def _meeting_moved(s: _Scene) -> _Parts:
    # TRANSLATORS: {name} is the partner company's name (or "your partner" when it
    # is unknown); {time} is the meeting's date and time, already formatted in the
    # reader's language and time zone (weekday, date, start-end, zone name).
    text = s.t.gettext(
        "<b>{name}</b> needs to move the meeting on {time}. Please choose a new time.",
        name=s.partner_name,
        time=s.when(),
    )
    return _Parts(text, _slots_button(s))


async def _reminder(s: _Scene) -> _Parts:
    _ = s.t.gettext
    if s.notice.kind is NoticeKind.REMINDER_15M:
        # TRANSLATORS: {name} is the partner company's name (or "your partner" when it
        # is unknown); the meeting's times follow.
        head = _("Your meeting with <b>{name}</b> starts in 15 minutes.", name=s.partner_name)
    else:
        # TRANSLATORS: {name} is the partner company's name (or "your partner" when it
        # is unknown); the meeting's times follow.
        head = _("Reminder: tomorrow you meet <b>{name}</b>.", name=s.partner_name)
    lines = [head, s.both_times()]
    buttons: Keyboard = ()
    if s.meeting is not None and s.meeting.video_link:
        lines.append(s.video())
        # TRANSLATORS: button under a meeting reminder: opens the video call.
        buttons = ((Button(_("Join the meeting"), url=s.meeting.video_link),),)
    return _Parts("\n".join(lines), buttons)


async def _ask_held(s: _Scene) -> _Parts:
    _ = s.t.gettext
    mid = s.notice.meeting_id
    # TRANSLATORS: {name} is the partner company's name (or "your partner" when it
    # is unknown); {time} is the meeting's date and time, already formatted in the
    # reader's language and time zone (weekday, date, start-end, zone name).
    text = _(
        "Did your meeting with <b>{name}</b> ({time}) take place?",
        name=s.partner_name,
        time=s.when(),
    )
    buttons = rows(
        [
            # TRANSLATORS: answer button to "Did your meeting with ... take place?" (one
            # per row): it did.
            Button(_("Yes"), _cb("held", mid, "y")),
            # TRANSLATORS: answer button to "Did your meeting with ... take place?" (one
            # per row).
            Button(_("The other side did not come"), _cb("held", mid, "n")),
            # TRANSLATORS: answer button to "Did your meeting with ... take place?" (one
            # per row).
            Button(_("We rescheduled"), _cb("held", mid, "r")),
        ]
    )
    return _Parts(text, buttons)


def outcome_buttons(t: Translator, meeting_id: int | None) -> Keyboard:
    """Return the buttons that record what came out of a meeting."""
    _ = t.gettext
    return rows(
        [
            # TRANSLATORS: answer button to "What came out of your meeting with ...?" (one
            # per row).
            Button(_("We signed a memorandum"), _cb("out", meeting_id, "m")),
            # TRANSLATORS: answer button to "What came out of your meeting with ...?" (one
            # per row).
            Button(_("We reached a cooperation intention"), _cb("out", meeting_id, "i")),
            # TRANSLATORS: answer button to "What came out of your meeting with ...?" (one
            # per row).
            Button(_("We planned a follow-up"), _cb("out", meeting_id, "f")),
            # TRANSLATORS: answer button to "What came out of your meeting with ...?" (one
            # per row).
            Button(_("No fit"), _cb("out", meeting_id, "x")),
        ]
    )


async def _ask_outcome(s: _Scene) -> _Parts:
    if s.notice.kind is NoticeKind.FOLLOW_UP:
        # TRANSLATORS: {name} is the partner company's name (or "your partner" when it
        # is unknown); the outcome buttons follow.
        text = s.t.gettext(
            "A month ago you met <b>{name}</b>. How is your cooperation going?", name=s.partner_name
        )
    else:
        # TRANSLATORS: {name} is the partner company's name (or "your partner" when it
        # is unknown); the outcome buttons follow.
        text = s.t.gettext("What came out of your meeting with <b>{name}</b>?", name=s.partner_name)
    return _Parts(text, outcome_buttons(s.t, s.notice.meeting_id))


async def _new_matches(s: _Scene) -> _Parts:
    ids = [str(x) for x in s.notice.data.get("partners", []) or []]  # type: ignore[attr-defined]
    names = []
    for cid in ids:
        company = await s.services.repos.companies.get(cid)
        if company is not None:
            names.append("• " + esc(company.name))
    # TRANSLATORS: {n} is the number of newly registered partners; their names
    # follow, one per line.
    text = s.t.ngettext(
        "{n} new partner may fit you:", "{n} new partners may fit you:", len(names) or len(ids)
    )
    buttons = ((Button(s.t.gettext("Show suggested partners"), pack("m", "show")),),)
    return _Parts(text + "\n" + "\n".join(names), buttons)


async def _partner_left(s: _Scene) -> _Parts:
    when = s.when()
    try:
        start = datetime.fromisoformat(str(s.notice.data.get("when", "")))
    except ValueError:
        start = None
    if not when and start is not None:
        end = start + timedelta(minutes=s.services.event.meeting_minutes)
        when = slot_text(start, end, s.tz(s.recipient), s.t.locale)
    return _Parts(
        # TRANSLATORS: {name} is the partner company's name (or "your partner" when it
        # is unknown); {time} is the meeting's date and time, already formatted in the
        # reader's language and time zone (weekday, date, start-end, zone name).
        s.t.gettext(
            "<b>{name}</b> has left the event, so your meeting on {time} is cancelled.",
            name=s.partner_name,
            time=when,
        )
    )


async def _slot_freed(s: _Scene) -> _Parts:
    # TRANSLATORS: {name} is the partner company's name (or "your partner" when it
    # is unknown).
    text = s.t.gettext(
        "A time became free: you can now choose a time for your meeting with <b>{name}</b>.",
        name=s.partner_name,
    )
    return _Parts(text, _slots_button(s))


async def _broadcast(s: _Scene) -> _Parts:
    body = esc(s.notice.data.get("text", ""))
    # TRANSLATORS: heading above a message the organizers sent to all
    # participants.
    return _Parts(s.t.gettext("<b>Message from the organizers</b>") + "\n\n" + body)


RENDERERS: dict[NoticeKind, Callable[[_Scene], Awaitable[_Parts]]] = {
    NoticeKind.REQUEST_RECEIVED: _request_received,
    NoticeKind.REQUEST_ACCEPTED: _request_accepted,
    NoticeKind.REQUEST_DECLINED: _request_declined,
    NoticeKind.REQUEST_EXPIRED: _request_expired,
    NoticeKind.MEETING_BOOKED: _meeting_booked,
    NoticeKind.MEETING_CANCELLED: _meeting_cancelled,
    NoticeKind.MEETING_MOVED: _meeting_moved,
    NoticeKind.REMINDER_24H: _reminder,
    NoticeKind.REMINDER_15M: _reminder,
    NoticeKind.ASK_HELD: _ask_held,
    NoticeKind.ASK_OUTCOME: _ask_outcome,
    NoticeKind.FOLLOW_UP: _ask_outcome,
    NoticeKind.NEW_MATCHES: _new_matches,
    NoticeKind.PARTNER_LEFT: _partner_left,
    NoticeKind.SLOT_FREED: _slot_freed,
    NoticeKind.BROADCAST: _broadcast,
}


async def render_notices(
    services: AppServices, notices: Sequence[Notice], default_locale: str = "en"
) -> list[Reply]:
    """Render each notice for its recipient; skip recipients without a chat user."""
    replies: list[Reply] = []
    for notice in notices:
        try:
            reply = await _render_one(services, notice, default_locale)
        except Exception:  # one broken notice must not stop the others
            log.exception("cannot render notice %s for %s", notice.kind, notice.company_id)
            continue
        if reply is not None:
            replies.append(reply)
    return replies


async def _render_one(services: AppServices, notice: Notice, default_locale: str) -> Reply | None:
    repos = services.repos
    recipient = await repos.companies.get(notice.company_id)
    if recipient is None or recipient.user_id is None:
        return None
    partner = await repos.companies.get(notice.partner_id) if notice.partner_id else None
    meeting = await repos.meetings.get(notice.meeting_id) if notice.meeting_id else None
    locale = negotiate_locale(recipient.locale) or default_locale
    scene = _Scene(notice, recipient, partner, meeting, Translator(locale), services)
    renderer = RENDERERS.get(notice.kind)
    if renderer is None:
        log.warning("no renderer for notice kind %s", notice.kind)
        return None
    parts = await renderer(scene)
    return Reply(parts.text, parts.buttons, recipient.user_id, parts.document)
