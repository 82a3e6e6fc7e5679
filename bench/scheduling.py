"""Benchmark of the batch scheduler: how many accepted requests get a slot, how fast, how close
to upper bounds measured in the same run.

Run: `python bench/scheduling.py` (both families at 300/1500 and 5000/50000), `--quick` (60/300),
`--family spec|hard`, `--small-only`, `--no-cp-sat` (skip the 60 s CP-SAT runs).

Two instance families (`make_instance`), both over two event days that straddle the end of
European summer time (Friday 23 and Monday 26 October 2026), 30-minute slots and meetings:

* "issue spec": exactly the issue's setting: half the participants in Asia/Shanghai, the rest
  spread over the CEE zones, default 09:00-18:00 hours, daily limit and break rule, no
  interpreters, exactly the requested number of distinct accepted requests.
* "hard variant": adds narrower or wider hours, blocked hours, lower daily limits, meetings
  already booked and interpreters for pairs without a common language.

Bounds (the smallest is the one the share is measured against; all are valid, see
`matchmaking.batch_scheduler.bounds`): the max-flow relaxation, the Lagrangian dual of the
time-indexed model (subgradient, approaches the LP value), and at 300 participants also the LP
relaxation of that model solved by GLOP and CP-SAT's proven bound within 60 s. Every result is
validated independently (no double booking, hours, blocked time, daily limits, breaks).
"""

from __future__ import annotations

import argparse
import random
import sys
import time as clock
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matchmaking.batch_scheduler import (
    BatchRequest,
    BatchResult,
    _instance,
    bounds,
    schedule_batch,
)
from matchmaking.countries import EVENT_COUNTRIES
from matchmaking.models import Company, Event, Interpreter, Meeting
from matchmaking.scheduling import (
    DEFAULT_BREAK_RULE,
    availability,
    base_language,
    propose_slots,
    run_length,
    to_seconds,
)

EVENT = Event(days=(date(2026, 10, 23), date(2026, 10, 26)), slot_minutes=30, meeting_minutes=30)
NOW = datetime(2026, 10, 1, tzinfo=UTC)
CEE = [c for c in EVENT_COUNTRIES if c.code != "CN"]


def make_instance(
    n_participants: int, n_requests: int, seed: int = 7, *, hard: bool = True
) -> tuple[dict[str, Company], list[BatchRequest], list[Meeting], list[Interpreter]]:
    """Build a random instance of one family.

    `hard=False` is the issue's specification: half the participants in Asia/Shanghai, the rest
    spread over the CEE zones, default 09:00-18:00 hours, default daily limit and break rule, no
    interpreters, no meetings booked before, exactly `n_requests` distinct accepted requests
    (85 % China-CEE, the rest between CEE companies of different countries).
    `hard=True` adds narrower or wider hours, blocked hours, lower daily limits, meetings already
    booked and interpreters for pairs without a common language (each participant asks 5-15
    partners; the accepted requests are drawn from those, so there may be fewer than asked).
    """
    rng = random.Random(seed)
    companies: dict[str, Company] = {}
    for k in range(n_participants):
        if k % 2 == 0:
            country, zone_name, langs = "CN", "Asia/Shanghai", ["zh_Hans"]
            if rng.random() < 0.75:
                langs.append("en")
        else:
            c = rng.choice(CEE)
            country, zone_name, langs = c.code, c.timezone, [c.main_language]
            roll = rng.random()
            langs += ["en"] if roll < 0.8 else (["de"] if roll < 0.9 else ["ru"])
        extra: dict[str, object] = {}
        if hard:
            roll = rng.random()
            if roll < 0.08:
                extra["hours_start"], extra["hours_end"] = time(10, 0), time(17, 0)
            elif roll < 0.12:
                extra["hours_start"], extra["hours_end"] = time(8, 0), time(19, 0)
            if rng.random() < 0.1:
                day = rng.choice(EVENT.days)
                start = datetime.combine(day, time(rng.randrange(0, 16)), UTC)
                extra["blocked"] = ((start, start + timedelta(hours=1)),)
            if rng.random() < 0.1:
                extra["max_meetings_per_day"] = rng.choice((4, 6))
        companies[f"c{k}"] = Company(
            id=f"c{k}",
            name=f"Company {k}",
            country=country,
            timezone=zone_name,
            languages=tuple(langs),
            **extra,  # type: ignore[arg-type]
        )
    ids = list(companies)
    chinese = [x for x in ids if companies[x].country == "CN"]
    european = [x for x in ids if companies[x].country != "CN"]
    wished: list[tuple[str, str]] = []
    seen: set[frozenset[str]] = set()

    def wish(x: str) -> None:
        across = european if companies[x].country == "CN" else chinese
        same = chinese if companies[x].country == "CN" else european
        pool = across if rng.random() < 0.85 else same
        y = rng.choice(pool)
        key = frozenset((x, y))
        if y == x or key in seen or companies[x].country == companies[y].country:
            return
        seen.add(key)
        wished.append((x, y))

    if hard:
        for x in ids:
            for _ in range(rng.randint(5, 15)):
                wish(x)
    else:
        while len(wished) < n_requests:
            wish(rng.choice(ids))
    rng.shuffle(wished)
    accepted = wished[:n_requests]
    requests = []
    for k, (x, y) in enumerate(accepted):
        la = {base_language(v) for v in companies[x].languages}
        lb = {base_language(v) for v in companies[y].languages}
        requests.append(BatchRequest(k + 1, x, y, hard and not (la & lb)))
    if not hard:
        return companies, requests, [], []
    cee_langs = sorted({c.main_language for c in CEE})
    interpreters = [
        Interpreter(
            f"i{k}",
            f"Interpreter {k}",
            tuple(("zh_Hans", lang) for lang in rng.sample(cee_langs, 4)) + (("zh", "en"),),
        )
        for k in range(max(3, n_participants // 10))
    ]
    existing: list[Meeting] = []
    busy: dict[str, list[Meeting]] = defaultdict(list)
    for k in range(n_participants // 20):
        x, y = rng.sample(ids, 2)
        slots = propose_slots(EVENT, companies[x], companies[y], busy[x], busy[y], now=NOW, count=5)
        if slots:
            pick = rng.choice(slots)
            m = Meeting(-k - 1, x, y, pick.start, pick.end, uid=f"pre-{k}")
            existing.append(m)
            busy[x].append(m)
            busy[y].append(m)
    return companies, requests, existing, interpreters


def validate(
    companies: dict[str, Company],
    requests: Sequence[BatchRequest],
    existing: Sequence[Meeting],
    interpreters: Sequence[Interpreter],
    result: BatchResult,
) -> None:
    """Assert that no one is double-booked, out of hours, over the daily limit or without a break."""
    by_id = {r.request_id: r for r in requests}
    assert len({a.request_id for a in result.assigned}) == len(result.assigned)
    assert len(result.assigned) + len(result.unscheduled) == len(requests)
    timetable: dict[str, list[tuple[int, int]]] = defaultdict(list)
    new_only: dict[str, list[datetime]] = defaultdict(list)
    for m in existing:
        for x in (m.company_a, m.company_b):
            timetable[x].append((to_seconds(m.start), to_seconds(m.end)))
    int_pool = {i.id: i for i in interpreters}
    for a in result.assigned:
        req = by_id[a.request_id]
        assert a.start >= NOW and a.end - a.start == timedelta(minutes=EVENT.meeting_minutes)
        for x in (req.a_id, req.b_id):
            timetable[x].append((to_seconds(a.start), to_seconds(a.end)))
            new_only[x].append(a.start)
        if req.need_interpreter:
            assert a.interpreter_id in int_pool, "meeting without the interpreter it needs"
            timetable["interpreter:" + a.interpreter_id].append(
                (to_seconds(a.start), to_seconds(a.end))
            )
    gap = DEFAULT_BREAK_RULE.min_break_minutes * 60
    for who, slots in timetable.items():
        slots.sort()
        for k, (s, e) in enumerate(slots):
            assert k == 0 or slots[k - 1][1] <= s, f"double booking of {who}"
            rest = slots[:k] + slots[k + 1 :]
            assert run_length(rest, (s, e), gap) <= DEFAULT_BREAK_RULE.max_back_to_back, who
        if who.startswith("interpreter:"):
            continue
        av = availability(EVENT, companies[who])
        per_day: dict[date, int] = defaultdict(int)
        for s, _ in slots:
            per_day[av.local_day(datetime.fromtimestamp(s, UTC))] += 1
        assert all(v <= av.max_per_day for v in per_day.values()), f"daily limit of {who}"
        for start in new_only[who]:
            end = start + timedelta(minutes=EVENT.meeting_minutes)
            assert av.window_for(start, end) is not None, f"out of hours for {who}"
            assert not av.is_blocked(start, end), f"blocked time used for {who}"


class SlotModel:
    """The time-indexed model of an instance: 0/1 variables and linear constraints.

    x[r, t] = request r at grid slot t; y[r, t, i] = interpreter i joins it. Constraints: each
    request at most once; per participant or interpreter and slot at most one meeting; per
    participant-local day at most the daily limit; in every `max_back_to_back + 1` consecutive
    slots at most `max_back_to_back` meetings (the break rule when meetings fill one slot).
    """

    def __init__(
        self,
        companies: dict[str, Company],
        requests: Sequence[BatchRequest],
        existing: Sequence[Meeting],
        interpreters: Sequence[Interpreter],
        event: Event = EVENT,
        now: datetime = NOW,
    ) -> None:
        rule = DEFAULT_BREAK_RULE
        assert event.meeting_minutes == event.slot_minutes
        assert 0 < rule.min_break_minutes <= event.slot_minutes
        inst = _instance(event, companies, requests, existing, interpreters, now, rule)
        self.inst = inst
        self.n_vars = 0
        self.x_of: dict[tuple[int, int], int] = {}
        self.objective: list[int] = []
        self.le: list[tuple[list[int], int]] = []
        self.eq: list[tuple[int, list[int]]] = []
        occupancy: dict[tuple[int, int], list[int]] = defaultdict(list)
        per_day: dict[tuple[int, int], list[int]] = defaultdict(list)
        n_p = len(inst.index)
        for r, slots in enumerate(inst.cand):
            chosen = []
            for t in slots.tolist():
                x = self._var()
                self.x_of[(r, t)] = x
                chosen.append(x)
                for p in (inst.a[r], inst.b[r]):
                    occupancy[(p, t)].append(x)
                    per_day[(p, inst.day(p, t))].append(x)
                if inst.requests[r].need_interpreter:
                    ys = []
                    for i in inst.pool[r]:
                        if inst.int_free[i, t]:
                            y = self._var()
                            ys.append(y)
                            occupancy[(n_p + i, t)].append(y)
                    self.eq.append((x, ys))
            if chosen:
                self.le.append((chosen, 1))
                self.objective.extend(chosen)
        fixed_slot: set[tuple[int, int]] = set()
        for e, intervals in enumerate(inst.fixed + inst.int_fixed):
            for start, _ in intervals:
                t = bisect(inst.start_list, start)
                if t is not None:
                    fixed_slot.add((e, t))
        self.le += [(xs, 1) for xs in occupancy.values() if len(xs) > 1]
        fixed_days = _fixed_days(inst)
        for (p, d), xs in per_day.items():
            self.le.append((xs, max(inst.max_day[p] - fixed_days.get((p, d), 0), 0)))
        n = rule.max_back_to_back + 1
        step = event.slot_minutes * 60
        for e in {e for e, _ in occupancy}:
            for t0 in range(len(inst.start_list) - n + 1):
                if inst.start_list[t0 + n - 1] - inst.start_list[t0] != (n - 1) * step:
                    continue
                window = [v for t in range(t0, t0 + n) for v in occupancy.get((e, t), [])]
                const = sum(1 for t in range(t0, t0 + n) if (e, t) in fixed_slot)
                if window and len(window) + const > rule.max_back_to_back:
                    self.le.append((window, rule.max_back_to_back - const))

    def _var(self) -> int:
        self.n_vars += 1
        return self.n_vars - 1

    def cp_sat(self, hint: BatchResult, limit_s: float) -> tuple[int, bool]:
        """Solve exactly with CP-SAT; return (proven upper bound, optimal)."""
        from ortools.sat.python import cp_model

        model = cp_model.CpModel()
        v = [model.NewBoolVar(f"v{k}") for k in range(self.n_vars)]
        hinted = {a.request_id: to_seconds(a.start) for a in hint.assigned}
        for (r, t), k in self.x_of.items():
            start = hinted.get(self.inst.requests[r].request_id)
            model.AddHint(v[k], start == self.inst.start_list[t])
        for xs, rhs in self.le:
            model.Add(sum(v[k] for k in xs) <= rhs)
        for x, ys in self.eq:
            model.Add(sum(v[k] for k in ys) == v[x])
        model.Maximize(sum(v[k] for k in self.objective))
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = limit_s
        solver.parameters.num_workers = 2
        status = solver.Solve(model)
        return int(solver.BestObjectiveBound() + 1e-6), status == cp_model.OPTIMAL

    def lp(self) -> int | None:
        """Solve the LP relaxation with GLOP; return its value rounded down (None: not solved)."""
        from ortools.linear_solver import pywraplp

        solver = pywraplp.Solver.CreateSolver("GLOP")
        v = [solver.NumVar(0.0, 1.0, "") for _ in range(self.n_vars)]
        for xs, rhs in self.le:
            solver.Add(solver.Sum([v[k] for k in xs]) <= rhs)
        for x, ys in self.eq:
            solver.Add(solver.Sum([v[k] for k in ys]) == v[x])
        solver.Maximize(solver.Sum([v[k] for k in self.objective]))
        if solver.Solve() != pywraplp.Solver.OPTIMAL:
            return None
        return int(solver.Objective().Value() + 1e-6)


def bisect(starts: list[int], s: int) -> int | None:
    """Return the grid index of a start, or None when it is off the grid."""
    from bisect import bisect_left

    k = bisect_left(starts, s)
    return k if k < len(starts) and starts[k] == s else None


def _fixed_days(inst: object) -> dict[tuple[int, int], int]:
    from matchmaking.batch_scheduler import _Timetable

    table = _Timetable(inst)  # type: ignore[arg-type]
    return {(p, d): c for p, days in enumerate(table.day_count) for d, c in days.items()}


def run(
    family: str,
    n_participants: int,
    n_requests: int,
    exact: bool,
    target: float,
    limit_s: float,
    iterations: int,
) -> tuple[bool, str]:
    """Run one family and size; print the figures; return (targets met, a table row)."""
    companies, requests, existing, interpreters = make_instance(
        n_participants, n_requests, hard=family == "hard"
    )
    t0 = clock.perf_counter()
    result = schedule_batch(EVENT, companies, requests, existing, interpreters, now=NOW)
    elapsed = clock.perf_counter() - t0
    validate(companies, requests, existing, interpreters, result)
    done = len(result.assigned)
    t1 = clock.perf_counter()
    inst = _instance(EVENT, companies, requests, existing, interpreters, NOW, DEFAULT_BREAK_RULE)
    found = bounds(inst, iterations, known=done)
    times = {"flow+lagrangian": clock.perf_counter() - t1}
    if exact:
        t1 = clock.perf_counter()
        model = SlotModel(companies, requests, existing, interpreters)
        lp = model.lp()
        if lp is not None:
            found["LP (GLOP)"] = lp
        times["LP"] = clock.perf_counter() - t1
        if exact_sat:
            t1 = clock.perf_counter()
            sat, optimal = model.cp_sat(result, 60.0)
            found["CP-SAT optimum" if optimal else "CP-SAT bound (60 s)"] = sat
            times["CP-SAT"] = clock.perf_counter() - t1
    bound = min(found.values())
    which = "/".join(k for k, v in found.items() if v == bound)
    reasons: dict[str, int] = defaultdict(int)
    for u in result.unscheduled:
        reasons[u.reason.value] += 1
    share = done / bound if bound else 1.0
    ok = share >= target and elapsed < limit_s
    label = FAMILIES[family]
    print(
        f"[{label}] {n_participants} participants / {len(requests)} requests "
        f"({len(interpreters)} interpreters, {len(existing)} meetings already booked)"
    )
    print(f"  scheduled      {done} ({done / len(requests):.1%} of requests) in {elapsed:.2f} s")
    print(
        f"  upper bound    {bound} [{which}]; all: "
        + ", ".join(f"{k} {v}" for k, v in found.items())
        + " ("
        + ", ".join(f"{k} {v:.1f} s" for k, v in times.items())
        + ")"
    )
    print(
        f"  of bound       {share:.1%} (target >= {target:.0%} in < {limit_s:.0f} s): "
        f"{'OK' if ok else 'MISSED'}"
    )
    print(f"  left over      {dict(reasons)}")
    print(
        "  validation     no double booking, out-of-hours, daily-limit or break violation",
        flush=True,
    )
    row = (
        f"| {label} | {n_participants} / {len(requests)} | {done} | {bound} ({which}) | "
        f"{share:.1%} | {elapsed:.2f} s | {'OK' if ok else 'MISSED'} |"
    )
    return ok, row


FAMILIES = {"spec": "issue spec", "hard": "hard variant"}
exact_sat = True


def main() -> None:
    """Parse the arguments and run the families and sizes."""
    global exact_sat
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    parser.add_argument("--family", choices=[*FAMILIES, "both"], default="both")
    parser.add_argument("--no-cp-sat", action="store_true", help="skip CP-SAT (60 s a run)")
    parser.add_argument("--small-only", action="store_true", help="300 / 1 500 only")
    args = parser.parse_args()
    exact_sat = not args.no_cp_sat
    families = list(FAMILIES) if args.family == "both" else [args.family]
    sizes = (
        [(60, 300, True, 0.98, 2.0, 1000)]
        if args.quick
        else [
            (300, 1500, True, 0.98, 2.0, 1000),
            (5000, 50000, False, 0.95, 60.0, 1500),
        ]
    )
    if args.small_only:
        sizes = sizes[:1]
    rows = []
    results = []
    for family in families:
        for size in sizes:
            ok, row = run(family, *size)
            results.append(ok)
            rows.append(row)
    print()
    print("| family | participants / requests | scheduled | upper bound | share | time | target |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
