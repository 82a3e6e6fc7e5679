"""Scheduling across time zones: overlaps, the slot grid, proposals and the booking-time check."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matchmaking.models import Company, Event, Interpreter, Meeting, MeetingStatus
from matchmaking.scheduling import (
    BreakRule,
    SlotIssue,
    availability,
    fits,
    overlap_hours,
    propose_slots,
    slot_grid,
    validate_slot,
)

WINTER = date(2026, 1, 13)
SUMMER = date(2026, 6, 16)
NOW = datetime(2026, 1, 1, tzinfo=UTC)
CEE_ZONES = (
    "Europe/Warsaw",
    "Europe/Bucharest",
    "Europe/Athens",
    "Europe/Budapest",
    "Europe/Tallinn",
    "Europe/Belgrade",
    "Europe/Sofia",
)
# Event days around the last Sundays of March (29th) and October (25th) 2026.
DST_DAYS = {
    "march": (date(2026, 3, 27), date(2026, 3, 29), date(2026, 3, 30)),
    "october": (date(2026, 10, 23), date(2026, 10, 25), date(2026, 10, 26)),
}


def beijing(cid: str = "cn", **kw: object) -> Company:
    return Company(id=cid, name="Beijing Co", country="CN", timezone="Asia/Shanghai", **kw)  # type: ignore[arg-type]


def warsaw(cid: str = "pl", **kw: object) -> Company:
    return Company(id=cid, name="Warsaw Co", country="PL", timezone="Europe/Warsaw", **kw)  # type: ignore[arg-type]


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), UTC)


def meeting(a: str, b: str, start: datetime, minutes: int = 30, **kw: object) -> Meeting:
    return Meeting(0, a, b, start, start + timedelta(minutes=minutes), **kw)  # type: ignore[arg-type]


def test_beijing_warsaw_share_two_hours_in_winter_three_in_summer() -> None:
    event = Event(days=(WINTER, SUMMER))
    assert overlap_hours(event, "Asia/Shanghai", "Europe/Warsaw", WINTER) == 2.0
    assert overlap_hours(event, "Asia/Shanghai", "Europe/Warsaw", SUMMER) == 3.0
    assert overlap_hours(event, "Asia/Shanghai", "Europe/Bucharest", SUMMER) == 4.0
    assert overlap_hours(event, "Asia/Shanghai", "Europe/Athens", SUMMER) == 4.0
    assert overlap_hours(event, "Europe/Warsaw", "Europe/Bucharest", WINTER) == 8.0


def test_overlap_changes_across_the_october_clock_change() -> None:
    event = Event(days=DST_DAYS["october"])
    friday, _, monday = DST_DAYS["october"]
    assert overlap_hours(event, "Asia/Shanghai", "Europe/Warsaw", friday) == 3.0
    assert overlap_hours(event, "Asia/Shanghai", "Europe/Warsaw", monday) == 2.0


def test_winter_proposals_are_16_to_18_in_beijing_and_9_to_11_in_warsaw() -> None:
    event = Event(days=(WINTER,))
    proposals = propose_slots(event, beijing(), warsaw(), [], [], now=NOW, count=10)
    assert {p.start for p in proposals} == {
        at(WINTER, 8),
        at(WINTER, 8, 30),
        at(WINTER, 9),
        at(WINTER, 9, 30),
    }
    best = proposals[0].start
    assert best in (at(WINTER, 8, 30), at(WINTER, 9))  # the middle of the window, not an edge
    local = best.astimezone(ZoneInfo("Asia/Shanghai"))
    assert time(16) <= local.time() < time(18)


def test_proposals_spread_over_days_first() -> None:
    event = Event(days=(WINTER, WINTER + timedelta(days=1), WINTER + timedelta(days=2)))
    proposals = propose_slots(event, beijing(), warsaw(), [], [], now=NOW, count=3)
    assert len({p.start.date() for p in proposals}) == 3


def test_grid_covers_every_local_day_of_both_zones() -> None:
    event = Event(days=(WINTER,))
    grid = slot_grid(event, ["Asia/Shanghai", "Europe/Warsaw"])
    assert grid[0] == at(WINTER, 0) - timedelta(hours=8)  # Beijing midnight
    assert grid[-1] + timedelta(minutes=30) == at(WINTER, 23)  # Warsaw midnight
    assert all(b - a == timedelta(minutes=30) for a, b in zip(grid, grid[1:], strict=False))


def test_no_proposal_in_the_past_or_on_a_busy_or_blocked_slot() -> None:
    event = Event(days=(WINTER,))
    now = at(WINTER, 8, 10)
    busy = [meeting("pl", "x", at(WINTER, 9))]
    cancelled = [meeting("cn", "y", at(WINTER, 9, 30), status=MeetingStatus.CANCELLED)]
    a = beijing(blocked=((at(WINTER, 8, 30), at(WINTER, 9)),))
    proposals = propose_slots(event, a, warsaw(), cancelled, busy, now=now, count=5)
    assert [p.start for p in proposals] == [at(WINTER, 9, 30)]


def test_daily_limit_is_counted_per_local_day() -> None:
    event = Event(days=(WINTER,), max_meetings_per_day=1)
    # 23:30 UTC on the 12th is already the 13th in Beijing.
    busy = [meeting("cn", "x", at(WINTER, 0) - timedelta(minutes=30))]
    assert propose_slots(event, beijing(), warsaw(), busy, [], now=NOW) == []
    assert propose_slots(event, beijing(max_meetings_per_day=2), warsaw(), busy, [], now=NOW)


def test_break_after_four_back_to_back_meetings() -> None:
    event = Event(days=(SUMMER,))
    busy = [meeting("cn", "x", at(SUMMER, 7) + timedelta(minutes=30 * k)) for k in range(4)]
    starts = {
        p.start for p in propose_slots(event, beijing(), warsaw(), busy, [], now=NOW, count=10)
    }
    assert at(SUMMER, 9) not in starts and at(SUMMER, 6, 30) not in starts
    assert at(SUMMER, 9, 30) in starts
    relaxed = BreakRule(max_back_to_back=5)
    starts = {
        p.start
        for p in propose_slots(
            event, beijing(), warsaw(), busy, [], now=NOW, count=10, rule=relaxed
        )
    }
    assert at(SUMMER, 9) in starts


def test_interpreter_must_cover_the_languages_and_be_free() -> None:
    event = Event(days=(WINTER,))
    a, b = beijing(languages=("zh_Hans",)), warsaw(languages=("pl",))
    wrong = Interpreter("i0", "Anna", (("zh", "ro"),))
    right = Interpreter(
        "i1", "Li", (("pl", "zh_Hans"),), available=((at(WINTER, 8), at(WINTER, 9)),)
    )
    taken = [meeting("p", "q", at(WINTER, 8), interpreter_id="i1")]
    proposals = propose_slots(
        event,
        a,
        b,
        [],
        [],
        interpreters=[wrong, right],
        interpreter_busy=taken,
        need_interpreter=True,
        now=NOW,
        count=5,
    )
    assert [(p.start, p.interpreter_id) for p in proposals] == [(at(WINTER, 8, 30), "i1")]
    assert (
        propose_slots(event, a, b, [], [], interpreters=[wrong], need_interpreter=True, now=NOW)
        == []
    )


def test_validate_slot_names_each_problem() -> None:
    event = Event(days=(WINTER,))
    a, b = beijing(), warsaw()
    ok = validate_slot(event, a, b, at(WINTER, 8), at(WINTER, 8, 30), [], [], now=NOW)
    assert ok == []
    late = validate_slot(event, a, b, at(WINTER, 10), at(WINTER, 10, 30), [], [], now=NOW)
    assert [(p.issue, p.who) for p in late] == [(SlotIssue.OUTSIDE_HOURS, "cn")]
    taken = [meeting("pl", "x", at(WINTER, 8, 15))]
    clash = validate_slot(event, a, b, at(WINTER, 8), at(WINTER, 8, 30), [], taken, now=NOW)
    assert [(p.issue, p.who) for p in clash] == [(SlotIssue.DOUBLE_BOOKED, "pl")]
    past = validate_slot(event, a, b, at(WINTER, 8), at(WINTER, 8, 30), [], [], now=at(WINTER, 9))
    assert [p.issue for p in past] == [SlotIssue.PAST]
    assert not fits(
        event, a, b, at(WINTER, 8), at(WINTER, 8, 30), [], [], now=NOW, need_interpreter=True
    )


def test_company_hours_override_the_event_default() -> None:
    event = Event(days=(WINTER,))
    av = availability(event, warsaw(hours_start=time(10), hours_end=time(12)))
    assert [(w.start, w.end) for w in av.windows] == [(at(WINTER, 9), at(WINTER, 11))]
    assert (
        propose_slots(
            event,
            beijing(),
            warsaw(hours_start=time(10), hours_end=time(12)),
            [],
            [],
            now=NOW,
            count=5,
        )[0].start.hour
        == 9
    )


# Property: across DST changes, random companies and busy meetings, every proposal is valid.

zones = st.sampled_from(CEE_ZONES)
hours = st.tuples(st.integers(6, 11), st.integers(14, 21))


@st.composite
def scenario(draw: st.DrawFn) -> tuple[Event, Company, Company, list[Meeting], list[Meeting]]:
    days = DST_DAYS[draw(st.sampled_from(sorted(DST_DAYS)))]
    event = Event(
        days=tuple(draw(st.lists(st.sampled_from(days), min_size=1, max_size=3, unique=True))),
        max_meetings_per_day=draw(st.integers(1, 8)),
    )
    companies = []
    for k, tz in enumerate(("Asia/Shanghai", draw(zones))):
        h0, h1 = draw(hours)
        companies.append(
            Company(
                id=f"c{k}",
                name="x",
                country="CN" if k == 0 else "PL",
                timezone=tz,
                hours_start=time(h0),
                hours_end=time(h1),
                max_meetings_per_day=draw(st.none() | st.integers(1, 6)),
            )
        )
    busy: list[list[Meeting]] = [[], []]
    for k in range(2):
        for _ in range(draw(st.integers(0, 8))):
            day = draw(st.sampled_from(days))
            start = at(day, 0) + timedelta(minutes=30 * draw(st.integers(-16, 60)))
            busy[k].append(meeting(f"c{k}", "z", start))
    return event, companies[0], companies[1], busy[0], busy[1]


def _violations(
    event: Event, company: Company, busy: list[Meeting], start: datetime, end: datetime
) -> list[str]:
    """Check one side independently of the code under test."""
    tz = ZoneInfo(company.timezone)
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    found = []
    if local_start.date() not in event.days or local_end.date() != local_start.date():
        found.append("not an event day")
    if not (company.hours_start <= local_start.time() and local_end.time() <= company.hours_end):  # type: ignore[operator]
        found.append("out of hours")
    if any(m.start < end and start < m.end for m in busy):
        found.append("double booked")
    same_day = sum(1 for m in busy if m.start.astimezone(tz).date() == local_start.date())
    limit = company.max_meetings_per_day or event.max_meetings_per_day
    if same_day + 1 > limit:
        found.append("daily limit")
    return found


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario())
def test_proposals_never_double_book_or_leave_business_hours(
    case: tuple[Event, Company, Company, list[Meeting], list[Meeting]],
) -> None:
    event, a, b, busy_a, busy_b = case
    proposals = propose_slots(event, a, b, busy_a, busy_b, now=NOW, count=5)
    for p in proposals:
        assert p.end - p.start == timedelta(minutes=event.meeting_minutes)
        assert _violations(event, a, busy_a, p.start, p.end) == []
        assert _violations(event, b, busy_b, p.start, p.end) == []
        assert fits(event, a, b, p.start, p.end, busy_a, busy_b, now=NOW)
    assert len({p.start for p in proposals}) == len(proposals)
