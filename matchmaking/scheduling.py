"""Scheduling across time zones: the UTC slot grid, who is available when, and slot proposals.

Everything is computed in UTC. Event days are calendar dates; on each of them every participant
works from `hours_start` to `hours_end` in their own IANA zone (default: the event's business
hours), so a Beijing and a Warsaw company share 2 hours in European winter and 3 in summer, and an
event that spans the last Sunday of March or October has different overlaps on different days.

Rules a slot must satisfy for each participant (and for the interpreter, when one is needed):
    * it lies inside the participant's business hours of one event day and starts in the future;
    * it does not touch a blocked interval or another (non-cancelled) meeting;
    * the participant has fewer than `max_meetings_per_day` meetings on that local day;
    * the break rule (`BreakRule`): meetings that follow each other with less than
      `min_break_minutes` in between are back to back, and at most `max_back_to_back` meetings
      may follow each other like that. The default is 4 meetings (2 hours of 30-minute talks)
      then a pause of at least 15 minutes, which on a 30-minute grid means one free slot.
Interpreters have no daily limit but follow the same break rule.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

from matchmaking.models import Company, Event, Interpreter, Meeting, MeetingStatus, utcnow
from matchmaking.zones_data import PRIMARY_ZONES

Interval = tuple[int, int]
"""A half-open time interval in integer UTC seconds since the epoch."""


@dataclass(frozen=True, slots=True)
class BreakRule:
    """How long a participant may talk without a pause.

    Attributes:
        max_back_to_back: Most meetings in one run of back-to-back meetings.
        min_break_minutes: A gap shorter than this makes two meetings back to back.
    """

    max_back_to_back: int = 4
    min_break_minutes: int = 15


DEFAULT_BREAK_RULE = BreakRule()


class SlotIssue(StrEnum):
    """Why a slot does not fit (see `validate_slot`)."""

    PAST = "past"
    WRONG_LENGTH = "wrong_length"
    OUTSIDE_HOURS = "outside_hours"
    BLOCKED = "blocked"
    DOUBLE_BOOKED = "double_booked"
    DAILY_LIMIT = "daily_limit"
    NO_BREAK = "no_break"
    NO_INTERPRETER = "no_interpreter"
    INTERPRETER_BUSY = "interpreter_busy"


@dataclass(frozen=True, slots=True)
class SlotProblem:
    """One reason a slot does not fit, and whose (a company id or an interpreter id)."""

    issue: SlotIssue
    who: str


@dataclass(frozen=True, slots=True)
class SlotProposal:
    """A free slot both companies (and the interpreter, if any) can take.

    Attributes:
        start: Aware UTC start.
        end: Aware UTC end.
        interpreter_id: The interpreter who would join, or None.
        score: Minutes from the slot to the nearer edge of either side's business day
            (higher is better: both sides are well inside their day).
    """

    start: datetime
    end: datetime
    interpreter_id: str | None
    score: float


@dataclass(frozen=True, slots=True)
class Window:
    """Business hours of one participant on one event day.

    Attributes:
        day: The event date (participant-local).
        start: Aware UTC start.
        end: Aware UTC end.
    """

    day: date
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Availability:
    """When one participant can meet, derived from the event and the company.

    Attributes:
        company_id: The company.
        timezone: Its IANA zone.
        windows: Business hours per event day, in UTC, ordered by start.
        blocked: UTC intervals the company marked as unavailable.
        max_per_day: Most meetings on one participant-local day.
    """

    company_id: str
    timezone: str
    windows: tuple[Window, ...]
    blocked: tuple[tuple[datetime, datetime], ...]
    max_per_day: int

    def window_for(self, start: datetime, end: datetime) -> Window | None:
        """Return the business window that contains [start, end), or None."""
        return next((w for w in self.windows if w.start <= start and end <= w.end), None)

    def is_blocked(self, start: datetime, end: datetime) -> bool:
        """Tell whether [start, end) touches a blocked interval."""
        return any(b_start < end and start < b_end for b_start, b_end in self.blocked)

    def local_day(self, when: datetime) -> date:
        """Return the participant-local date of an instant (daily limits count by it)."""
        return when.astimezone(zone(self.timezone)).date()


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    """Return the ZoneInfo for an IANA name (cached)."""
    return ZoneInfo(name)


def company_timezone(event: Event, company: Company) -> str:
    """Return the company's zone: its own, else its country's main zone, else the event's."""
    if company.timezone:
        return company.timezone
    return PRIMARY_ZONES.get(company.country.strip().upper(), event.timezone)


def to_seconds(when: datetime) -> int:
    """Return integer UTC seconds since the epoch of an aware datetime."""
    return int(when.timestamp())


def from_seconds(seconds: int) -> datetime:
    """Return the aware UTC datetime of integer epoch seconds."""
    return datetime.fromtimestamp(seconds, UTC)


def business_windows(event: Event, tz: str, start: time, end: time) -> tuple[Window, ...]:
    """Return business hours [start, end) of zone `tz` on every event day, in UTC.

    An `end` earlier than `start` means the hours run past midnight; equal times give no window.
    Nonexistent or repeated local times at a clock change resolve as `zoneinfo` does (fold=0).
    """
    if start == end:
        return ()
    info = zone(tz)
    windows = []
    for day in sorted(set(event.days)):
        end_day = day if end > start else day + timedelta(days=1)
        w_start = datetime.combine(day, start, info).astimezone(UTC)
        w_end = datetime.combine(end_day, end, info).astimezone(UTC)
        if w_end > w_start:
            windows.append(Window(day, w_start, w_end))
    return tuple(sorted(windows, key=lambda w: w.start))


def availability(event: Event, company: Company) -> Availability:
    """Derive when a company can meet during the event."""
    tz = company_timezone(event, company)
    start = company.hours_start or event.business_start
    end = company.hours_end or event.business_end
    limit = company.max_meetings_per_day
    return Availability(
        company_id=company.id,
        timezone=tz,
        windows=business_windows(event, tz, start, end),
        blocked=tuple(company.blocked),
        max_per_day=event.max_meetings_per_day if limit is None else limit,
    )


def slot_grid(event: Event, zones: Iterable[str]) -> list[datetime]:
    """Return the UTC starts of all slots that cover the event days in any of these zones.

    For every event date and zone, the whole local day (midnight to midnight) is covered, so a
    slot exists wherever any participant might work. Starts are aligned to multiples of
    `slot_minutes` from UTC midnight; a slot is kept when a whole meeting fits before the end.
    """
    names = sorted(set(zones)) or [event.timezone]
    step = timedelta(minutes=event.slot_minutes)
    length = timedelta(minutes=event.meeting_minutes)
    starts: set[datetime] = set()
    for day in sorted(set(event.days)):
        lo = min(datetime.combine(day, time(0), zone(z)).astimezone(UTC) for z in names)
        hi = max(
            datetime.combine(day + timedelta(days=1), time(0), zone(z)).astimezone(UTC)
            for z in names
        )
        midnight = datetime.combine(lo.date(), time(0), UTC)
        t = midnight + step * ((lo - midnight) // step)
        while t + length <= hi:
            starts.add(t)
            t += step
    return sorted(starts)


def overlap_hours(event: Event, tz_a: str, tz_b: str, day: date) -> float:
    """Return how many hours the event's default business hours of two zones share on a date.

    Example: Asia/Shanghai and Europe/Warsaw on a winter day share 2.0 hours (16:00-18:00 in
    Beijing is 09:00-11:00 in Warsaw).
    """
    one_day = Event(
        days=(day,), business_start=event.business_start, business_end=event.business_end
    )
    total = 0.0
    for wa in business_windows(one_day, tz_a, event.business_start, event.business_end):
        for wb in business_windows(one_day, tz_b, event.business_start, event.business_end):
            shared = min(wa.end, wb.end) - max(wa.start, wb.start)
            total += max(shared.total_seconds(), 0.0)
    return total / 3600.0


def busy_intervals(meetings: Iterable[Meeting]) -> list[Interval]:
    """Return the sorted intervals of the meetings that occupy time (all but cancelled)."""
    return sorted(
        (to_seconds(m.start), to_seconds(m.end))
        for m in meetings
        if m.status is not MeetingStatus.CANCELLED
    )


def run_length(intervals: Sequence[Interval], new: Interval, min_gap: int) -> int:
    """Return the length of the back-to-back run that `new` would join.

    Args:
        intervals: Existing non-overlapping intervals sorted by start (not containing `new`).
        new: The interval to add (must not overlap any of them).
        min_gap: Gaps shorter than this (same unit as the intervals) make meetings back to back.
    """
    i = bisect_left(intervals, new)
    count = 1
    edge = new[0]
    j = i - 1
    while j >= 0 and edge - intervals[j][1] < min_gap:
        count += 1
        edge = intervals[j][0]
        j -= 1
    edge = new[1]
    k = i
    while k < len(intervals) and intervals[k][0] - edge < min_gap:
        count += 1
        edge = intervals[k][1]
        k += 1
    return count


def overlaps(intervals: Sequence[Interval], new: Interval) -> bool:
    """Tell whether `new` overlaps one of the sorted, non-overlapping `intervals`."""
    i = bisect_left(intervals, new)
    if i > 0 and intervals[i - 1][1] > new[0]:
        return True
    return i < len(intervals) and intervals[i][0] < new[1]


def _timetable_problem(
    busy: Sequence[Interval], new: Interval, rule: BreakRule
) -> SlotIssue | None:
    if overlaps(busy, new):
        return SlotIssue.DOUBLE_BOOKED
    if run_length(busy, new, rule.min_break_minutes * 60) > rule.max_back_to_back:
        return SlotIssue.NO_BREAK
    return None


def _participant_problem(
    av: Availability, busy: Sequence[Interval], start: datetime, end: datetime, rule: BreakRule
) -> SlotIssue | None:
    if av.window_for(start, end) is None:
        return SlotIssue.OUTSIDE_HOURS
    if av.is_blocked(start, end):
        return SlotIssue.BLOCKED
    day = av.local_day(start)
    same_day = sum(1 for s, _ in busy if av.local_day(from_seconds(s)) == day)
    new = (to_seconds(start), to_seconds(end))
    problem = _timetable_problem(busy, new, rule)
    if problem is not None:
        return problem
    if same_day >= av.max_per_day:
        return SlotIssue.DAILY_LIMIT
    return None


def base_language(code: str) -> str:
    """Return the primary language subtag of a locale code ("zh_Hans" -> "zh", "sr-Latn" -> "sr")."""
    return code.replace("-", "_").split("_", 1)[0].lower()


def _company_languages(company: Company) -> set[str]:
    langs = company.languages or (company.locale,)
    return {base_language(x) for x in langs if x}


def covers_languages(interpreter: Interpreter, a: Company, b: Company) -> bool:
    """Tell whether an interpreter covers a language pair spoken by the two companies."""
    la, lb = _company_languages(a), _company_languages(b)
    for x, y in interpreter.language_pairs:
        bx, by = base_language(x), base_language(y)
        if (bx in la and by in lb) or (by in la and bx in lb):
            return True
    return False


def interpreter_available(interpreter: Interpreter, start: datetime, end: datetime) -> bool:
    """Tell whether [start, end) lies in the interpreter's availability (none listed: always)."""
    if not interpreter.available:
        return True
    return any(s <= start and end <= e for s, e in interpreter.available)


def _interpreter_busy(interpreter_id: str, meetings: Iterable[Meeting]) -> list[Interval]:
    return busy_intervals(m for m in meetings if m.interpreter_id == interpreter_id)


def validate_slot(
    event: Event,
    a: Company,
    b: Company,
    start: datetime,
    end: datetime,
    busy_a: Sequence[Meeting],
    busy_b: Sequence[Meeting],
    *,
    interpreter: Interpreter | None = None,
    interpreter_busy: Sequence[Meeting] = (),
    need_interpreter: bool = False,
    now: datetime | None = None,
    rule: BreakRule = DEFAULT_BREAK_RULE,
) -> list[SlotProblem]:
    """Check a chosen slot again (at booking time); return every problem found (empty: fits).

    Args:
        event: The event (days, hours, meeting length, daily limit).
        a: One company.
        b: The other company.
        start: Aware UTC start.
        end: Aware UTC end (must be `meeting_minutes` after the start).
        busy_a: Meetings of `a` (cancelled ones are ignored; leave out the meeting being moved).
        busy_b: Meetings of `b`, likewise.
        interpreter: The interpreter who would join, if any.
        interpreter_busy: Meetings with an interpreter assigned (any interpreter; filtered by id).
        need_interpreter: The meeting needs an interpreter; None given is a problem.
        now: Current time (default: the clock); slots starting before it are past.
        rule: The break rule.
    """
    now = now or utcnow()
    problems: list[SlotProblem] = []
    if start < now:
        problems.append(SlotProblem(SlotIssue.PAST, ""))
    if end - start != timedelta(minutes=event.meeting_minutes):
        problems.append(SlotProblem(SlotIssue.WRONG_LENGTH, ""))
    for company, busy in ((a, busy_a), (b, busy_b)):
        issue = _participant_problem(
            availability(event, company), busy_intervals(busy), start, end, rule
        )
        if issue is not None:
            problems.append(SlotProblem(issue, company.id))
    if interpreter is None:
        if need_interpreter:
            problems.append(SlotProblem(SlotIssue.NO_INTERPRETER, ""))
        return problems
    if not covers_languages(interpreter, a, b):
        problems.append(SlotProblem(SlotIssue.NO_INTERPRETER, interpreter.id))
    if not interpreter_available(interpreter, start, end):
        problems.append(SlotProblem(SlotIssue.INTERPRETER_BUSY, interpreter.id))
    else:
        issue = _timetable_problem(
            _interpreter_busy(interpreter.id, interpreter_busy),
            (to_seconds(start), to_seconds(end)),
            rule,
        )
        if issue is not None:
            problems.append(SlotProblem(SlotIssue.INTERPRETER_BUSY, interpreter.id))
    return problems


def fits(
    event: Event,
    a: Company,
    b: Company,
    start: datetime,
    end: datetime,
    busy_a: Sequence[Meeting],
    busy_b: Sequence[Meeting],
    *,
    interpreter: Interpreter | None = None,
    interpreter_busy: Sequence[Meeting] = (),
    need_interpreter: bool = False,
    now: datetime | None = None,
    rule: BreakRule = DEFAULT_BREAK_RULE,
) -> bool:
    """Tell whether a slot fits both companies (see `validate_slot` for the arguments)."""
    return not validate_slot(
        event,
        a,
        b,
        start,
        end,
        busy_a,
        busy_b,
        interpreter=interpreter,
        interpreter_busy=interpreter_busy,
        need_interpreter=need_interpreter,
        now=now,
        rule=rule,
    )


def _edge_minutes(av: Availability, start: datetime, end: datetime) -> float:
    window = av.window_for(start, end)
    if window is None:
        return -1.0
    return min(start - window.start, window.end - end).total_seconds() / 60.0


def _pick_spread(
    candidates: list[tuple[SlotProposal, date]], count: int, min_apart: timedelta
) -> list[SlotProposal]:
    """Pick the best `count` proposals, preferring different days, then distant hours."""
    ranked = sorted(candidates, key=lambda c: (-c[0].score, c[0].start))
    chosen: list[tuple[SlotProposal, date]] = []

    def accept(level: int, proposal: SlotProposal, day: date) -> bool:
        if level == 2:
            return True
        if any(abs(proposal.start - c.start) < min_apart for c, _ in chosen):
            return False
        return level == 1 or all(day != cd for _, cd in chosen)

    for level in range(3):
        for proposal, day in ranked:
            if len(chosen) >= count:
                return [p for p, _ in chosen]
            if all(proposal is not c for c, _ in chosen) and accept(level, proposal, day):
                chosen.append((proposal, day))
    return [p for p, _ in chosen]


def propose_slots(
    event: Event,
    a: Company,
    b: Company,
    busy_a: Sequence[Meeting],
    busy_b: Sequence[Meeting],
    *,
    interpreters: Sequence[Interpreter] = (),
    interpreter_busy: Sequence[Meeting] = (),
    need_interpreter: bool = False,
    now: datetime | None = None,
    count: int = 3,
    rule: BreakRule = DEFAULT_BREAK_RULE,
) -> list[SlotProposal]:
    """Return up to `count` free future slots that fit both companies, best first.

    Slots deep inside both business days score higher than slots at either side's edge, and the
    picks are spread over different days (then hours at least two meetings apart) when possible.

    Args:
        event: The event.
        a: One company.
        b: The other company.
        busy_a: Meetings of `a` (cancelled ones are ignored).
        busy_b: Meetings of `b`.
        interpreters: The interpreter pool (used only when `need_interpreter`).
        interpreter_busy: Meetings with an interpreter assigned.
        need_interpreter: Propose only slots where an interpreter covering a language pair of
            the two companies is free; that interpreter's id comes with the proposal.
        now: Current time (default: the clock).
        count: How many proposals at most.
        rule: The break rule.

    Returns:
        The proposals (empty when nothing fits).
    """
    now = now or utcnow()
    av_a, av_b = availability(event, a), availability(event, b)
    busy = (busy_intervals(busy_a), busy_intervals(busy_b))
    pool = [i for i in interpreters if covers_languages(i, a, b)] if need_interpreter else []
    if need_interpreter and not pool:
        return []
    pool_busy = {i.id: _interpreter_busy(i.id, interpreter_busy) for i in pool}
    length = timedelta(minutes=event.meeting_minutes)
    candidates: list[tuple[SlotProposal, date]] = []
    for start in slot_grid(event, (av_a.timezone, av_b.timezone)):
        end = start + length
        if start < now:
            continue
        if any(
            _participant_problem(av, bs, start, end, rule) is not None
            for av, bs in ((av_a, busy[0]), (av_b, busy[1]))
        ):
            continue
        interpreter_id: str | None = None
        if need_interpreter:
            interpreter_id = _free_interpreter(pool, pool_busy, start, end, rule)
            if interpreter_id is None:
                continue
        score = min(_edge_minutes(av_a, start, end), _edge_minutes(av_b, start, end))
        candidates.append((SlotProposal(start, end, interpreter_id, score), av_a.local_day(start)))
    return _pick_spread(candidates, count, 2 * length)


def _free_interpreter(
    pool: Sequence[Interpreter],
    pool_busy: dict[str, list[Interval]],
    start: datetime,
    end: datetime,
    rule: BreakRule,
) -> str | None:
    """Return the least-booked interpreter of the pool free at [start, end), or None."""
    new = (to_seconds(start), to_seconds(end))
    free = [
        i
        for i in pool
        if interpreter_available(i, start, end)
        and _timetable_problem(pool_busy[i.id], new, rule) is None
    ]
    if not free:
        return None
    return min(free, key=lambda i: (len(pool_busy[i.id]), i.id)).id
