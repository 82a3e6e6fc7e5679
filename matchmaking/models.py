"""Domain model of a matchmaking event: companies, suggestions, requests, meetings, outcomes.

Pure data (dataclasses and enums). Times are timezone-aware UTC datetimes; local times exist only
when something is shown to a person.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from enum import StrEnum

from matchmaking.text_language import detect_text_language


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class ProfileType(StrEnum):
    """What a company brings or looks for (Enterprise Europe Network profile types)."""

    BUSINESS_OFFER = "business_offer"
    BUSINESS_REQUEST = "business_request"
    TECHNOLOGY_OFFER = "technology_offer"
    TECHNOLOGY_REQUEST = "technology_request"
    RD_PARTNERSHIP = "rd_partnership"
    INVESTMENT = "investment"


class CompanySize(StrEnum):
    """Company size class (EU SME definition)."""

    MICRO = "micro"
    SMALL = "small"
    MEDIUM = "medium"
    LARGE = "large"


class CompanyStatus(StrEnum):
    """Lifecycle of a participant."""

    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    BLOCKED = "blocked"


class Side(StrEnum):
    """Which text of a profile: what the company offers or what it needs."""

    OFFER = "offer"
    NEED = "need"


class RequestStatus(StrEnum):
    """State of a meeting request."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class MeetingStatus(StrEnum):
    """State of a meeting."""

    PROPOSED = "proposed"
    SCHEDULED = "scheduled"
    HELD = "held"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


class OutcomeKind(StrEnum):
    """What came out of a meeting, as organizers count it."""

    MEMORANDUM = "memorandum"
    INTENTION = "intention"
    FOLLOW_UP = "follow_up"
    NO_FIT = "no_fit"
    NO_SHOW = "no_show"


@dataclass(frozen=True, slots=True)
class Section:
    """A negotiation section of an event."""

    code: str
    name: str


DEFAULT_SECTIONS: tuple[Section, ...] = (
    Section("industry", "Industry, Industrial Manufacturing"),
    Section("trade", "Trade and Investment, Agriculture"),
    Section("tourism", "Tourism, and People to People Exchange"),
    Section("health", "Medical and Health"),
)


@dataclass(frozen=True, slots=True)
class Event:
    """A matchmaking event: its days, sections and the rules of its slot grid.

    Attributes:
        code: Short identifier used in deep links (`/start <code>`).
        name: Display name.
        days: Event days (dates in the event's time zone).
        timezone: IANA zone of the organizer; participants see their own.
        sections: The negotiation sections.
        meeting_minutes: Length of one meeting.
        slot_minutes: Step of the slot grid (UTC).
        business_start: Default start of business hours, participant-local.
        business_end: Default end of business hours, participant-local.
        cross_border_only: Match companies from different countries only.
        request_expiry_hours: Pending requests expire after this many hours.
        daily_request_budget: Meeting requests one company may send per day.
        max_meetings_per_day: Meetings one company may have per day.
    """

    code: str = "cee-china"
    name: str = "China-CEE SME Matchmaking"
    days: tuple[date, ...] = ()
    timezone: str = "Europe/Warsaw"
    sections: tuple[Section, ...] = DEFAULT_SECTIONS
    meeting_minutes: int = 30
    slot_minutes: int = 30
    business_start: time = time(9, 0)
    business_end: time = time(18, 0)
    cross_border_only: bool = True
    request_expiry_hours: int = 72
    daily_request_budget: int = 10
    max_meetings_per_day: int = 8

    def section(self, code: str) -> Section | None:
        """Return the section with this code, if the event has it."""
        return next((s for s in self.sections if s.code == code), None)


@dataclass(slots=True)
class Company:
    """A participating company and the profile it registered.

    `contact` stays hidden from other participants until both sides accept a meeting.
    `id` is the external id (from an import file, or `tg<user id>` for bot registrations).
    """

    id: str
    name: str
    country: str
    offer: str = ""
    need: str = ""
    city: str = ""
    languages: tuple[str, ...] = ()
    locale: str = "en"
    timezone: str = ""
    section: str = ""
    profile_type: ProfileType = ProfileType.BUSINESS_OFFER
    size: CompanySize | None = None
    website: str = ""
    contact: str = ""
    status: CompanyStatus = CompanyStatus.ACTIVE
    user_id: int | None = None
    event_code: str = ""
    no_shows: int = 0
    meetings_held: int = 0
    hours_start: time | None = None
    hours_end: time | None = None
    blocked: tuple[tuple[datetime, datetime], ...] = ()
    max_meetings_per_day: int | None = None
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)

    def replace(self, **changes: object) -> Company:
        """Return a copy with the given fields changed."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    @property
    def text_language(self) -> str:
        """Return the language the offer and need are written in (see `detect_text_language`).

        The declared languages (spoken, then the bot locale) decide within a script; without
        letters to read, the first declared language is taken.
        """
        declared = (*self.languages, self.locale)
        detected = detect_text_language(f"{self.offer}\n{self.need}", declared)
        return detected or (self.languages[0] if self.languages else self.locale)


@dataclass(frozen=True, slots=True)
class MatchReason:
    """Why two companies were suggested: the best-meeting sentence pairs, in their own words.

    Attributes:
        your_need: Sentence of the viewer's need that the partner's offer meets best.
        their_offer: The partner's offer sentence that meets it.
        their_need: Sentence of the partner's need that the viewer's offer meets best.
        your_offer: The viewer's offer sentence that meets it.
        their_language: Language code of the partner's texts.
    """

    your_need: str = ""
    their_offer: str = ""
    their_need: str = ""
    your_offer: str = ""
    their_language: str = ""


@dataclass(frozen=True, slots=True)
class MatchSuggestion:
    """A proposed partner for a company, with the score and the reason.

    `score` is what suggestions are ranked by, clipped into [0, 1]: the two directions' best
    sentence pairs summed, the section bonus and no-show penalty applied and, where the engine
    corrects hubs (CSLS), the partner's hub score taken relative to the event's mean; so a
    ranked list's scores never increase. `need_to_offer` and `offer_to_need` are the two
    directions alone.
    """

    company_id: str
    partner_id: str
    score: float
    need_to_offer: float
    offer_to_need: float
    mutual: bool
    reason: MatchReason
    interpreter_needed: bool = False
    same_section: bool = False


@dataclass(slots=True)
class MeetingRequest:
    """A request of one company to meet another."""

    requester_id: str
    partner_id: str
    note: str = ""
    status: RequestStatus = RequestStatus.PENDING
    created_at: datetime = field(default_factory=utcnow)
    expires_at: datetime | None = None
    answered_at: datetime | None = None
    id: int | None = None


@dataclass(slots=True)
class Meeting:
    """A meeting between two companies in a UTC slot."""

    request_id: int
    company_a: str
    company_b: str
    start: datetime
    end: datetime
    video_link: str = ""
    interpreter_needed: bool = False
    interpreter_id: str | None = None
    status: MeetingStatus = MeetingStatus.SCHEDULED
    sequence: int = 0
    uid: str = ""
    id: int | None = None

    def other(self, company_id: str) -> str:
        """Return the id of the other participant."""
        return self.company_b if company_id == self.company_a else self.company_a


@dataclass(slots=True)
class Outcome:
    """What a participant reported about a meeting."""

    meeting_id: int
    reported_by: str
    kind: OutcomeKind
    note: str = ""
    created_at: datetime = field(default_factory=utcnow)
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Interpreter:
    """An interpreter the organizer can assign to meetings that need one.

    Attributes:
        id: Stable identifier.
        name: Display name.
        language_pairs: Pairs of language codes the interpreter covers (either direction).
        available: UTC intervals when the interpreter can work.
    """

    id: str
    name: str
    language_pairs: tuple[tuple[str, str], ...] = ()
    available: tuple[tuple[datetime, datetime], ...] = ()


class JobKind(StrEnum):
    """Persistent jobs that must survive a restart."""

    EXPIRE_REQUEST = "expire_request"
    REMIND_24H = "remind_24h"
    REMIND_15M = "remind_15m"
    ASK_HELD = "ask_held"
    ASK_OUTCOME = "ask_outcome"
    FOLLOW_UP_30D = "follow_up_30d"
    PUSH_MATCHES = "push_matches"
    DELIVER_NOTICE = "deliver_notice"


@dataclass(slots=True)
class Job:
    """A stored job: run `kind` with `payload` once `due_at` has passed.

    `key` is unique; adding a job with an existing key replaces it (so rescheduling a meeting
    moves its reminders instead of duplicating them).
    """

    key: str
    kind: JobKind
    due_at: datetime
    payload: dict[str, object] = field(default_factory=dict)
    done: bool = False
    id: int | None = None
