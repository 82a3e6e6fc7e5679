"""Batch scheduling: everything fits the rules, left-overs say why, and the bound holds."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matchmaking.batch_scheduler import (
    BatchRequest,
    BatchResult,
    UnscheduledReason,
    _instance,
    bounds,
    schedule_batch,
    upper_bound,
)
from matchmaking.models import Company, Event, Interpreter, Meeting
from matchmaking.scheduling import DEFAULT_BREAK_RULE, run_length, to_seconds

NOW = datetime(2026, 1, 1, tzinfo=UTC)
WINTER = date(2026, 1, 13)
CEE_ZONES = ("Europe/Warsaw", "Europe/Bucharest", "Europe/Athens", "Europe/Prague")
DST_DAYS = (date(2026, 3, 27), date(2026, 3, 30), date(2026, 10, 23), date(2026, 10, 26))


def company(cid: str, tz: str, **kw: object) -> Company:
    country = "CN" if tz == "Asia/Shanghai" else "PL"
    return Company(id=cid, name=cid, country=country, timezone=tz, **kw)  # type: ignore[arg-type]


def check(
    event: Event,
    companies: dict[str, Company],
    requests: list[BatchRequest],
    existing: list[Meeting],
    result: BatchResult,
) -> None:
    """Assert the rules independently of the code under test."""
    by_id = {r.request_id: r for r in requests}
    assert sorted(
        [a.request_id for a in result.assigned] + [u.request_id for u in result.unscheduled]
    ) == sorted(by_id)
    table: dict[str, list[tuple[int, int]]] = defaultdict(list)
    new: dict[str, list[int]] = defaultdict(list)
    for m in existing:
        for x in (m.company_a, m.company_b):
            table[x].append((to_seconds(m.start), to_seconds(m.end)))
        if m.interpreter_id:
            table["i:" + m.interpreter_id].append((to_seconds(m.start), to_seconds(m.end)))
    for a in result.assigned:
        req = by_id[a.request_id]
        assert a.start >= NOW
        assert a.end - a.start == timedelta(minutes=event.meeting_minutes)
        for cid in (req.a_id, req.b_id):
            c = companies[cid]
            tz = ZoneInfo(c.timezone)
            ls, le = a.start.astimezone(tz), a.end.astimezone(tz)
            assert ls.date() in event.days and le.date() == ls.date()
            assert (c.hours_start or event.business_start) <= ls.time()
            assert le.time() <= (c.hours_end or event.business_end)
            assert not any(s < a.end and a.start < e for s, e in c.blocked)
            table[cid].append((to_seconds(a.start), to_seconds(a.end)))
            new[cid].append(to_seconds(a.start))
        assert (a.interpreter_id is not None) == req.need_interpreter
        if a.interpreter_id:
            table["i:" + a.interpreter_id].append((to_seconds(a.start), to_seconds(a.end)))
    gap = DEFAULT_BREAK_RULE.min_break_minutes * 60
    for who, slots in table.items():
        slots.sort()
        for k in range(1, len(slots)):
            assert slots[k - 1][1] <= slots[k][0], f"{who} double-booked"
        for k, s in enumerate(slots):
            assert run_length(slots[:k] + slots[k + 1 :], s, gap) <= 4
        if who.startswith("i:"):
            continue
        c = companies[who]
        tz = ZoneInfo(c.timezone)
        per_day: dict[date, int] = defaultdict(int)
        for s, _ in slots:
            per_day[datetime.fromtimestamp(s, tz).date()] += 1
        limit = c.max_meetings_per_day or event.max_meetings_per_day
        # Imported meetings may already exceed a limit; a new meeting must never do so.
        for s in new[who]:
            assert per_day[datetime.fromtimestamp(s, tz).date()] <= limit, f"{who} over the limit"


def test_reasons_for_left_over_requests() -> None:
    event = Event(days=(WINTER,), max_meetings_per_day=1)
    companies = {
        "cn": company("cn", "Asia/Shanghai", languages=("zh",)),
        "cn2": company("cn2", "Asia/Shanghai", languages=("zh",)),
        "early": company("early", "Asia/Shanghai", hours_start=time(6), hours_end=time(9)),
        "pl": company("pl", "Europe/Warsaw", languages=("pl",)),
        "ro": company("ro", "Europe/Bucharest", languages=("ro",)),
    }
    requests = [
        BatchRequest(1, "cn", "pl"),
        BatchRequest(2, "cn", "ro"),  # cn already has its one meeting of the day
        BatchRequest(3, "early", "pl"),  # 06-09 Beijing is 23-02 Warsaw
        BatchRequest(4, "cn2", "ro", True),  # nobody interprets zh-ro
    ]
    result = schedule_batch(event, companies, requests, now=NOW)
    check(event, companies, requests, [], result)
    reasons = {u.request_id: u.reason for u in result.unscheduled}
    assert [a.request_id for a in result.assigned] == [1]
    assert reasons == {
        2: UnscheduledReason.PARTNER_FULL,
        3: UnscheduledReason.NO_COMMON_HOURS,
        4: UnscheduledReason.NO_INTERPRETER,
    }
    assert upper_bound(event, companies, requests, now=NOW) == 1


def test_interpreter_is_assigned_and_never_double_booked() -> None:
    event = Event(days=(WINTER,))
    companies = {
        f"cn{k}": company(f"cn{k}", "Asia/Shanghai", languages=("zh_Hans",)) for k in range(6)
    }
    companies |= {f"pl{k}": company(f"pl{k}", "Europe/Warsaw", languages=("pl",)) for k in range(6)}
    requests = [BatchRequest(k, f"cn{k}", f"pl{k}", True) for k in range(6)]
    pool = [Interpreter("i1", "Li", (("zh", "pl"),))]
    result = schedule_batch(event, companies, requests, interpreters=pool, now=NOW)
    check(event, companies, requests, [], result)
    # Two common hours are four slots; one interpreter with a break after four meetings.
    assert len(result.assigned) == 4
    assert {u.reason for u in result.unscheduled} == {UnscheduledReason.NO_INTERPRETER}


def test_existing_meetings_stay_and_block_their_slots() -> None:
    event = Event(days=(WINTER,))
    companies = {
        "cn": company("cn", "Asia/Shanghai"),
        "pl": company("pl", "Europe/Warsaw"),
        "ro": company("ro", "Europe/Bucharest"),
    }
    existing = [
        Meeting(
            9,
            "cn",
            "ro",
            datetime(2026, 1, 13, 8, tzinfo=UTC),
            datetime(2026, 1, 13, 8, 30, tzinfo=UTC),
        )
    ]
    requests = [BatchRequest(1, "cn", "pl")]
    result = schedule_batch(event, companies, requests, existing, now=NOW)
    check(event, companies, requests, existing, result)
    assert result.assigned[0].start != existing[0].start


def test_scarce_requests_go_first_so_everyone_fits() -> None:
    event = Event(days=(WINTER,))
    companies = {
        "cn": company("cn", "Asia/Shanghai"),
        "pl": company("pl", "Europe/Warsaw"),
        "narrow": company("narrow", "Europe/Warsaw", hours_start=time(9), hours_end=time(9, 30)),
    }
    # "narrow" can only meet at 08:00 UTC; "pl" can meet any time 08-10.
    requests = [BatchRequest(1, "cn", "pl"), BatchRequest(2, "cn", "narrow")]
    result = schedule_batch(event, companies, requests, now=NOW)
    assert len(result.assigned) == 2


def test_unknown_company_is_an_error() -> None:
    with pytest.raises(KeyError):
        schedule_batch(Event(days=(WINTER,)), {}, [BatchRequest(1, "a", "b")], now=NOW)


@st.composite
def instance(
    draw: st.DrawFn,
) -> tuple[Event, dict[str, Company], list[BatchRequest], list[Meeting], list[Interpreter]]:
    days = tuple(draw(st.lists(st.sampled_from(DST_DAYS), min_size=1, max_size=2, unique=True)))
    event = Event(days=days, max_meetings_per_day=draw(st.integers(1, 6)))
    n = draw(st.integers(2, 10))
    companies = {}
    for k in range(n):
        tz = "Asia/Shanghai" if k % 2 == 0 else draw(st.sampled_from(CEE_ZONES))
        h0 = draw(st.integers(7, 10))
        blocked = ()
        if draw(st.booleans()):
            start = datetime.combine(
                draw(st.sampled_from(days)), time(draw(st.integers(0, 20))), UTC
            )
            blocked = ((start, start + timedelta(hours=1)),)
        companies[f"c{k}"] = company(
            f"c{k}",
            tz,
            hours_start=time(h0),
            hours_end=time(draw(st.integers(h0 + 2, 19))),
            blocked=blocked,
            languages=(("zh",) if k % 2 == 0 else ("pl",)),
        )
    ids = sorted(companies)
    pairs = draw(
        st.lists(
            st.tuples(st.sampled_from(ids), st.sampled_from(ids)).filter(lambda p: p[0] != p[1]),
            max_size=25,
        )
    )
    requests = [BatchRequest(k, x, y, draw(st.booleans())) for k, (x, y) in enumerate(pairs)]
    existing = []
    for k in range(draw(st.integers(0, 3))):
        x, y = draw(st.sampled_from(ids)), draw(st.sampled_from(ids))
        start = datetime.combine(draw(st.sampled_from(days)), time(draw(st.integers(0, 20))), UTC)
        existing.append(
            Meeting(
                -k,
                x,
                y,
                start,
                start + timedelta(minutes=30),
                interpreter_id=draw(st.sampled_from([None, "i0"])),
            )
        )
    pool = [Interpreter(f"i{k}", "x", (("zh", "pl"),)) for k in range(draw(st.integers(0, 2)))]
    return event, companies, requests, existing, pool


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instance())
def test_batch_never_breaks_a_rule_and_stays_under_the_bound(
    case: tuple[Event, dict[str, Company], list[BatchRequest], list[Meeting], list[Interpreter]],
) -> None:
    event, companies, requests, existing, pool = case
    # Existing meetings may clash among themselves (imported data): check only new ones then.
    result = schedule_batch(event, companies, requests, existing, pool, now=NOW)
    clean = _consistent(existing)
    check(event, companies, requests, existing if clean else [], result)
    assert len(result.assigned) <= upper_bound(event, companies, requests, existing, pool, now=NOW)


def _consistent(existing: list[Meeting]) -> bool:
    seen: dict[str, list[Meeting]] = defaultdict(list)
    for m in existing:
        for x in (m.company_a, m.company_b, "i:" + (m.interpreter_id or "")):
            if x == "i:":
                continue
            if (
                any(o.start < m.end and m.start < o.end for o in seen[x])
                or m.company_a == m.company_b
            ):
                return False
            seen[x].append(m)
    return True


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instance())
def test_upper_bound_is_at_least_the_exact_optimum(
    case: tuple[Event, dict[str, Company], list[BatchRequest], list[Meeting], list[Interpreter]],
) -> None:
    """Compare with CP-SAT on small instances (OR-Tools is a dev dependency)."""
    bench = pytest.importorskip("bench.scheduling")
    event, companies, requests, existing, pool = case
    if not _consistent(existing):
        return
    model = bench.SlotModel(companies, requests, existing, pool, event, NOW)
    result = schedule_batch(event, companies, requests, existing, pool, now=NOW)
    optimum, proven = model.cp_sat(result, 10.0)
    assert proven
    assert (
        len(result.assigned)
        <= optimum
        <= upper_bound(event, companies, requests, existing, pool, now=NOW)
    )
    # Every bound on its own, the Lagrangian one pushed hard (from a poor aim too), and the LP.
    inst = _instance(event, companies, requests, existing, pool, NOW, DEFAULT_BREAK_RULE)
    for iterations, known in ((400, 0), (200, 1)):
        assert all(v >= optimum for v in bounds(inst, iterations, known).values())
    lp = model.lp()
    assert lp is None or lp >= optimum


def test_lagrangian_bound_is_tight_where_time_is_scarce() -> None:
    """Beijing and Warsaw share 07-10 UTC (6 slots) on 23 Oct: 5 fit under the break rule."""
    event = Event(days=(date(2026, 10, 23),))
    companies = {"cn": company("cn", "Asia/Shanghai")}
    companies |= {f"pl{k}": company(f"pl{k}", "Europe/Warsaw") for k in range(8)}
    requests = [BatchRequest(k, "cn", f"pl{k}") for k in range(8)]
    inst = _instance(event, companies, requests, [], [], NOW, DEFAULT_BREAK_RULE)
    found = bounds(inst)
    assert found["lagrangian"] == 5
    result = schedule_batch(event, companies, requests, now=NOW)
    check(event, companies, requests, [], result)
    assert len(result.assigned) == 5


def test_repair_moves_meetings_to_make_room() -> None:
    """Greedy order can block a pair; the repair moves a meeting so that all three fit."""
    event = Event(days=(WINTER,))
    companies = {
        "cn": company("cn", "Asia/Shanghai"),
        "cn2": company("cn2", "Asia/Shanghai"),
        "pl": company("pl", "Europe/Warsaw"),
        "narrow": company("narrow", "Europe/Warsaw", hours_start=time(9), hours_end=time(10)),
    }
    requests = [
        BatchRequest(1, "cn", "narrow"),
        BatchRequest(2, "cn2", "narrow"),
        BatchRequest(3, "cn", "pl"),
        BatchRequest(4, "cn2", "pl"),
    ]
    result = schedule_batch(event, companies, requests, now=NOW)
    check(event, companies, requests, [], result)
    assert len(result.assigned) == 4 == upper_bound(event, companies, requests, now=NOW)
