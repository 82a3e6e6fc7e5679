"""What organizers count: participants, the request funnel, meetings and outcomes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from matchmaking.models import CompanyStatus, MeetingStatus, OutcomeKind, RequestStatus
from matchmaking.services import Repositories


@dataclass(slots=True)
class EventStats:
    """Counts for the organizer's dashboard and the demo report."""

    participants: int = 0
    complete_profiles: int = 0
    by_country: dict[str, int] = field(default_factory=dict)
    by_section: dict[str, int] = field(default_factory=dict)
    paused: int = 0
    blocked: int = 0
    requests: int = 0
    pending: int = 0
    accepted: int = 0
    declined: int = 0
    expired: int = 0
    cancelled: int = 0
    scheduled: int = 0
    held: int = 0
    no_shows: int = 0
    memorandums: int = 0
    intentions: int = 0
    follow_ups: int = 0
    no_fit: int = 0

    @property
    def acceptance_rate(self) -> float:
        """Return accepted / answered-or-expired requests (0 when none)."""
        answered = self.accepted + self.declined + self.expired
        return self.accepted / answered if answered else 0.0

    @property
    def held_rate(self) -> float:
        """Return held / (held + no-shows) meetings (0 when none)."""
        done = self.held + self.no_shows
        return self.held / done if done else 0.0


async def collect_stats(repos: Repositories) -> EventStats:
    """Count everything organizers report."""
    stats = EventStats()
    companies = await repos.companies.list()
    stats.participants = len(companies)
    stats.complete_profiles = sum(
        1 for c in companies if c.name and c.country and c.offer and c.need and c.section
    )
    stats.by_country = dict(Counter(c.country for c in companies).most_common())
    stats.by_section = dict(Counter(c.section or "-" for c in companies).most_common())
    stats.paused = sum(1 for c in companies if c.status is CompanyStatus.PAUSED)
    stats.blocked = sum(1 for c in companies if c.status is CompanyStatus.BLOCKED)
    for status in RequestStatus:
        n = len(await repos.requests.list_by_status(status))
        stats.requests += n
        setattr(
            stats,
            {
                "pending": "pending",
                "accepted": "accepted",
                "declined": "declined",
                "expired": "expired",
                "cancelled": "cancelled",
            }[status.value],
            n,
        )
    meetings = await repos.meetings.list_all()
    counted = Counter(m.status for m in meetings)
    stats.held = counted[MeetingStatus.HELD]
    stats.no_shows = counted[MeetingStatus.NO_SHOW]
    stats.scheduled = counted[MeetingStatus.SCHEDULED] + stats.held + stats.no_shows
    outcomes = await repos.outcomes.list_all()
    by_meeting: dict[int, set[OutcomeKind]] = {}
    for o in outcomes:
        by_meeting.setdefault(o.meeting_id, set()).add(o.kind)
    for kinds in by_meeting.values():
        # A meeting counts once, for the best thing either side reported.
        for kind, attr in (
            (OutcomeKind.MEMORANDUM, "memorandums"),
            (OutcomeKind.INTENTION, "intentions"),
            (OutcomeKind.FOLLOW_UP, "follow_ups"),
            (OutcomeKind.NO_FIT, "no_fit"),
        ):
            if kind in kinds:
                setattr(stats, attr, getattr(stats, attr) + 1)
                break
    return stats
