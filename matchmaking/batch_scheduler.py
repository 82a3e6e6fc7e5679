"""Schedule many accepted meeting requests at once (the organizer's "schedule everything" run).

The rules are those of `matchmaking.scheduling` (business hours per participant-local event day,
blocked intervals, existing meetings, daily limits, the break rule, interpreters). The method:

1. Precompute, on the event's UTC slot grid, every request's feasible slots (numpy masks).
2. Greedy in order of scarcity: requests with the fewest feasible slots first (ties: participants
   with fewer requests first, so nobody is starved by busy partners). Each takes the slot that
   the fewest other unscheduled requests of its two participants still want, preferring days
   where both have few meetings and slots away from the edges of both business days.
3. Repair: for each request left over, Kuhn-style augmenting paths of bounded depth: take a
   slot held by one blocking meeting (overlap, daily limit, break, or interpreter), move that
   meeting to another slot (recursively), and keep the change only when everything fits. The
   depth grows from `REPAIR_FIRST_DEPTH` to `REPAIR_DEPTH` as shallower passes stop paying,
   within a time budget proportional to the batch (`schedule_batch`'s `time_limit`).

`upper_bound` gives a valid upper bound on how many requests can be scheduled at all: the
smallest of the bounds of `bounds` (feasible requests, interpreter capacity, the max-flow
relaxation of per-participant capacities, and the Lagrangian dual of the time-indexed model,
which tends to the LP relaxation's value; each is argued where it is computed).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from time import perf_counter
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from matchmaking.models import Company, Event, Interpreter, Meeting, MeetingStatus, utcnow
from matchmaking.scheduling import (
    DEFAULT_BREAK_RULE,
    BreakRule,
    availability,
    covers_languages,
    from_seconds,
    slot_grid,
    to_seconds,
    zone,
)

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

REPAIR_DEPTH = 4
"""Most meetings moved to fit one left-over request (the repair deepens up to this)."""

REPAIR_FIRST_DEPTH = 2
"""Depth of the first repair passes."""

REPAIR_ROUNDS = 6
"""Most passes of the repair over the left-over requests at each depth."""

REPAIR_CHECKS_PER_REQUEST = 4000
"""Work budget of the repair: slot checks per request of the batch (a deterministic ceiling)."""

REPAIR_MAX_CHECKS = 100_000_000
"""Ceiling of the repair's work budget, whatever the batch size."""

REPAIR_SECONDS = 0.25
"""Time budget of the repair: this much, plus `REPAIR_SECONDS_PER_REQUEST` per request."""

REPAIR_SECONDS_PER_REQUEST = 0.0006
"""Time budget of the repair per request (1 500 requests: about 1.2 s; 50 000: about 30 s)."""

LAGRANGE_ITERATIONS = 300
"""Default subgradient steps of the Lagrangian bound."""

LAGRANGE_PATIENCE = 40
"""Steps without a new best before the subgradient step factor halves."""

_MAX_EDGE_SLOTS = 4
"""Beyond this many slots from the nearer day edge a slot counts as 'in the middle'."""


class UnscheduledReason(StrEnum):
    """Why a request got no slot."""

    NO_COMMON_HOURS = "no_common_hours"
    """The two never share business hours on any (remaining) event day."""
    PARTNER_FULL = "partner_full"
    """Common hours exist, but every common slot is taken or a limit is reached."""
    NO_INTERPRETER = "no_interpreter"
    """No interpreter covers the pair, or none is free when both sides are."""


class BatchRequest(NamedTuple):
    """An accepted request to schedule: its id, the two companies, whether it needs an interpreter."""

    request_id: int
    a_id: str
    b_id: str
    need_interpreter: bool = False


class Assignment(NamedTuple):
    """A scheduled request: the UTC slot and the interpreter (or None)."""

    request_id: int
    start: datetime
    end: datetime
    interpreter_id: str | None


class Unscheduled(NamedTuple):
    """A request that got no slot, and why."""

    request_id: int
    reason: UnscheduledReason


@dataclass(slots=True)
class BatchResult:
    """What `schedule_batch` decided: assignments ordered by start, then the left-overs."""

    assigned: list[Assignment] = field(default_factory=list)
    unscheduled: list[Unscheduled] = field(default_factory=list)


def _busy(meetings: Sequence[Meeting]) -> list[Meeting]:
    return [m for m in meetings if m.status is not MeetingStatus.CANCELLED]


class _Instance:
    """The precomputed problem: slot grid, masks per participant and interpreter, requests."""

    def __init__(
        self,
        event: Event,
        companies: Mapping[str, Company],
        requests: Sequence[tuple[int, str, str, bool]],
        existing: Sequence[Meeting],
        interpreters: Sequence[Interpreter],
        now: datetime,
        rule: BreakRule,
    ) -> None:
        self.requests = [BatchRequest(*r) for r in requests]
        ids = sorted({x for r in self.requests for x in (r.a_id, r.b_id)})
        missing = [x for x in ids if x not in companies]
        if missing:
            raise KeyError(f"unknown companies in requests: {missing[:5]}")
        self.index = {cid: k for k, cid in enumerate(ids)}
        avs = [availability(event, companies[cid]) for cid in ids]
        zones = sorted({av.timezone for av in avs})
        grid = slot_grid(event, zones)
        self.length = event.meeting_minutes * 60
        self.gap = rule.min_break_minutes * 60
        self.max_run = rule.max_back_to_back
        self.starts: IntArray = np.array([to_seconds(t) for t in grid], dtype=np.int64)
        self.start_list: list[int] = self.starts.tolist()
        n_slots = len(grid)
        ends = self.starts + self.length
        future = self.starts >= to_seconds(now)
        busy = _busy(existing)

        self.zone_names = zones
        zone_idx = {z: k for k, z in enumerate(zones)}
        self.zone_days: list[list[int]] = [
            [t.astimezone(zone(z)).date().toordinal() for t in grid] for z in zones
        ]
        self.zone_of: list[int] = [zone_idx[av.timezone] for av in avs]
        self.max_day: list[int] = [av.max_per_day for av in avs]

        n = len(ids)
        self.hours = np.zeros((n, n_slots), dtype=np.bool_)
        self.free = np.zeros((n, n_slots), dtype=np.bool_)
        self.edge = np.zeros((n, n_slots), dtype=np.int64)
        self.fixed: list[list[tuple[int, int]]] = [[] for _ in range(n)]
        for m in busy:
            for cid in (m.company_a, m.company_b):
                if cid in self.index:
                    self.fixed[self.index[cid]].append((to_seconds(m.start), to_seconds(m.end)))
        step = max(event.slot_minutes * 60, 1)
        for k, av in enumerate(avs):
            for w in av.windows:
                ws, we = to_seconds(w.start), to_seconds(w.end)
                inside = (self.starts >= ws) & (ends <= we)
                self.hours[k] |= inside
                dist = np.minimum(self.starts - ws, we - ends) // step
                self.edge[k] = np.where(inside, dist, self.edge[k])
            self.hours[k] &= future
            mask = self.hours[k].copy()
            for bs, be in [(to_seconds(s), to_seconds(e)) for s, e in av.blocked]:
                mask &= ~((self.starts < be) & (ends > bs))
            for fs, fe in self.fixed[k]:
                mask &= ~((self.starts < fe) & (ends > fs))
            self.free[k] = mask
            self.fixed[k].sort()
        self.edge = np.minimum(self.edge, _MAX_EDGE_SLOTS)

        self.interpreters = list(interpreters)
        n_int = len(self.interpreters)
        self.int_free = np.zeros((n_int, n_slots), dtype=np.bool_)
        self.int_fixed: list[list[tuple[int, int]]] = [[] for _ in range(n_int)]
        for k, it in enumerate(self.interpreters):
            if it.available:
                mask = np.zeros(n_slots, dtype=np.bool_)
                for s, e in it.available:
                    mask |= (self.starts >= to_seconds(s)) & (ends <= to_seconds(e))
            else:
                mask = np.ones(n_slots, dtype=np.bool_)
            own = sorted(
                (to_seconds(m.start), to_seconds(m.end)) for m in busy if m.interpreter_id == it.id
            )
            for fs, fe in own:
                mask &= ~((self.starts < fe) & (ends > fs))
            self.int_free[k] = mask & future
            self.int_fixed[k] = own

        self.a: list[int] = []
        self.b: list[int] = []
        self.pool: list[tuple[int, ...]] = []
        self.cand: list[IntArray] = []
        self.common_hours: list[bool] = []
        pool_cache: dict[tuple[frozenset[str], frozenset[str]], tuple[int, ...]] = {}
        pool_mask: dict[tuple[int, ...], BoolArray] = {}
        for r in self.requests:
            ia, ib = self.index[r.a_id], self.index[r.b_id]
            self.a.append(ia)
            self.b.append(ib)
            self.common_hours.append(ia != ib and bool((self.hours[ia] & self.hours[ib]).any()))
            mask = self.free[ia] & self.free[ib]
            pool: tuple[int, ...] = ()
            if r.need_interpreter:
                ca, cb = companies[r.a_id], companies[r.b_id]
                key = (
                    frozenset(ca.languages or (ca.locale,)),
                    frozenset(cb.languages or (cb.locale,)),
                )
                if key not in pool_cache:
                    pool_cache[key] = tuple(
                        k for k, it in enumerate(self.interpreters) if covers_languages(it, ca, cb)
                    )
                pool = pool_cache[key]
                if pool not in pool_mask:
                    any_free = np.zeros(n_slots, dtype=np.bool_)
                    for k in pool:
                        any_free |= self.int_free[k]
                    pool_mask[pool] = any_free
                mask = mask & pool_mask[pool]
            if ia == ib:
                mask = np.zeros(n_slots, dtype=np.bool_)
            self.pool.append(pool)
            self.cand.append(np.flatnonzero(mask).astype(np.int64))

    def day(self, participant: int, slot: int) -> int:
        """Return the participant-local date ordinal of a slot's start."""
        return self.zone_days[self.zone_of[participant]][slot]


class _Timetable:
    """Mutable schedule of every participant and interpreter, with the fit checks."""

    def __init__(self, inst: _Instance) -> None:
        self.inst = inst
        n_p = len(inst.index)
        entities = inst.fixed + inst.int_fixed
        self.st: list[list[int]] = [[s for s, _ in xs] for xs in entities]
        self.en: list[list[int]] = [[e for _, e in xs] for xs in entities]
        self.owner: list[list[int]] = [[-1] * len(xs) for xs in entities]
        self.n_p = n_p
        self.day_count: list[dict[int, int]] = [{} for _ in range(n_p)]
        for k, xs in enumerate(inst.fixed):
            tz = zone(inst.zone_names[inst.zone_of[k]])
            for s, _ in xs:
                d = from_seconds(s).astimezone(tz).date().toordinal()
                self.day_count[k][d] = self.day_count[k].get(d, 0) + 1
        n_r = len(inst.requests)
        self.checks = 0
        self.slot_of = [-1] * n_r
        self.int_of = [-1] * n_r

    def entity_fits(self, x: int, s: int, e: int) -> bool:
        """Tell whether [s, e) fits entity x: no overlap and the break rule holds."""
        st, en = self.st[x], self.en[x]
        i = bisect_left(st, s)
        if i and en[i - 1] > s:
            return False
        if i < len(st) and st[i] < e:
            return False
        gap, max_run = self.inst.gap, self.inst.max_run
        run = 1
        edge, j = s, i - 1
        while j >= 0 and edge - en[j] < gap:
            run += 1
            edge, j = st[j], j - 1
        edge, j = e, i
        while j < len(st) and st[j] - edge < gap:
            run += 1
            edge, j = en[j], j + 1
        return run <= max_run

    def participant_fits(self, p: int, t: int, s: int, e: int) -> bool:
        """Tell whether slot t fits participant p (daily limit, overlap, break)."""
        if self.day_count[p].get(self.inst.day(p, t), 0) >= self.inst.max_day[p]:
            return False
        return self.entity_fits(p, s, e)

    def can_place(self, r: int, t: int) -> int | None:
        """Return the interpreter index (-1: none needed) if request r fits slot t, else None."""
        inst = self.inst
        self.checks += 1
        s = inst.start_list[t]
        e = s + inst.length
        if not (
            self.participant_fits(inst.a[r], t, s, e) and self.participant_fits(inst.b[r], t, s, e)
        ):
            return None
        if not inst.requests[r].need_interpreter:
            return -1
        best: int | None = None
        best_load = 0
        for i in inst.pool[r]:
            if inst.int_free[i, t] and self.entity_fits(self.n_p + i, s, e):
                load = len(self.st[self.n_p + i])
                if best is None or load < best_load:
                    best, best_load = i, load
        return best

    def _insert(self, x: int, s: int, e: int, r: int) -> None:
        i = bisect_left(self.st[x], s)
        self.st[x].insert(i, s)
        self.en[x].insert(i, e)
        self.owner[x].insert(i, r)

    def _remove(self, x: int, s: int) -> None:
        i = bisect_left(self.st[x], s)
        del self.st[x][i], self.en[x][i], self.owner[x][i]

    def place(self, r: int, t: int, interpreter: int) -> None:
        """Book request r at slot t with an interpreter index (-1: none)."""
        inst = self.inst
        s = inst.start_list[t]
        e = s + inst.length
        for p in (inst.a[r], inst.b[r]):
            self._insert(p, s, e, r)
            d = inst.day(p, t)
            self.day_count[p][d] = self.day_count[p].get(d, 0) + 1
        if interpreter >= 0:
            self._insert(self.n_p + interpreter, s, e, r)
        self.slot_of[r] = t
        self.int_of[r] = interpreter

    def unplace(self, r: int) -> None:
        """Take request r off the timetable."""
        inst = self.inst
        t = self.slot_of[r]
        s = inst.start_list[t]
        for p in (inst.a[r], inst.b[r]):
            self._remove(p, s)
            self.day_count[p][inst.day(p, t)] -= 1
        if self.int_of[r] >= 0:
            self._remove(self.n_p + self.int_of[r], s)
        self.slot_of[r] = -1
        self.int_of[r] = -1

    def blockers(self, r: int, t: int) -> list[int]:
        """Return scheduled requests whose removal might let request r take slot t."""
        inst = self.inst
        s = inst.start_list[t]
        e = s + inst.length
        found: list[int] = []
        reach = inst.max_run * (inst.length + inst.gap)
        entities: list[tuple[int, int]] = []
        for p in (inst.a[r], inst.b[r]):
            if not self.participant_fits(p, t, s, e):
                entities.append((p, inst.day(p, t)))
        if len(entities) == 2:
            return []
        if not entities and inst.requests[r].need_interpreter:
            entities = [(self.n_p + i, -1) for i in inst.pool[r] if inst.int_free[i, t]]
        for x, d in entities:
            st, owner = self.st[x], self.owner[x]
            full = x < self.n_p and self.day_count[x].get(d, 0) >= inst.max_day[x]
            lo = bisect_left(st, s - reach)
            hi = bisect_left(st, e + reach)
            if full:
                found.extend(q for q in owner if q >= 0 and inst.day(x, self.slot_of[q]) == d)
            else:
                found.extend(q for q in owner[lo:hi] if q >= 0)
        return list(dict.fromkeys(found))


class _Scheduler:
    """Greedy by scarcity, then bounded augmenting paths."""

    def __init__(self, inst: _Instance) -> None:
        self.inst = inst
        self.tt = _Timetable(inst)
        self.deadline = 0.0
        self.max_checks = 0
        self.exhausted = False

    def greedy(self) -> None:
        inst, tt = self.inst, self.tt
        n_p, n_slots = len(inst.index), len(inst.start_list)
        demand = np.zeros((n_p, n_slots), dtype=np.int64)
        degree = np.zeros(n_p, dtype=np.int64)
        for r, c in enumerate(inst.cand):
            if len(c):
                demand[inst.a[r], c] += 1
                demand[inst.b[r], c] += 1
                degree[inst.a[r]] += 1
                degree[inst.b[r]] += 1
        order = sorted(
            (r for r, c in enumerate(inst.cand) if len(c)),
            key=lambda r: (len(inst.cand[r]), degree[inst.a[r]] + degree[inst.b[r]], r),
        )
        for r in order:
            a, b, c = inst.a[r], inst.b[r], inst.cand[r]
            demand[a, c] -= 1
            demand[b, c] -= 1
            if len(c) == 1:
                ranked = c.tolist()
            else:
                day_a = tt.day_count[a]
                day_b = tt.day_count[b]
                load = np.array(
                    [
                        day_a.get(inst.day(a, t), 0) + day_b.get(inst.day(b, t), 0)
                        for t in c.tolist()
                    ],
                    dtype=np.int64,
                )
                key = (
                    (demand[a, c] + demand[b, c]) * 16
                    + load * 4
                    - np.minimum(inst.edge[a, c], inst.edge[b, c])
                )
                ranked = c[np.argsort(key, kind="stable")].tolist()
            for t in ranked:
                interpreter = tt.can_place(r, t)
                if interpreter is not None:
                    tt.place(r, t, interpreter)
                    break

    def augment(self, r: int, depth: int, visited: set[int]) -> bool:
        """Try to schedule request r, moving at most `depth` other meetings."""
        inst, tt = self.inst, self.tt
        ranked = inst.cand[r][np.argsort(-inst.edge[inst.a[r], inst.cand[r]], kind="stable")]
        slots: list[int] = ranked.tolist()
        for t in slots:
            interpreter = tt.can_place(r, t)
            if interpreter is not None:
                tt.place(r, t, interpreter)
                return True
        if depth == 0 or self.out_of_budget():
            return False
        visited.add(r)
        for t in slots:
            for q in tt.blockers(r, t):
                if q in visited:
                    continue
                old_t, old_i = tt.slot_of[q], tt.int_of[q]
                tt.unplace(q)
                interpreter = tt.can_place(r, t)
                if interpreter is not None:
                    tt.place(r, t, interpreter)
                    visited.add(q)
                    if self.augment(q, depth - 1, visited):
                        return True
                    tt.unplace(r)
                tt.place(q, old_t, old_i)
        return False

    def out_of_budget(self) -> bool:
        """Tell whether the repair has spent its work or time budget."""
        if self.tt.checks > self.max_checks or perf_counter() > self.deadline:
            self.exhausted = True
        return self.exhausted

    def repair(self, capacity: Sequence[int], seconds: float) -> None:
        """Augmenting paths for the left-overs, one move deeper each time a depth stops paying.

        Bounded by `seconds` of wall time and a work ceiling proportional to the batch size.
        """
        inst, tt = self.inst, self.tt
        count = [0] * len(inst.index)
        for r, t in enumerate(tt.slot_of):
            if t >= 0:
                count[inst.a[r]] += 1
                count[inst.b[r]] += 1
        self.deadline = perf_counter() + seconds
        self.max_checks = tt.checks + min(
            REPAIR_CHECKS_PER_REQUEST * len(inst.requests), REPAIR_MAX_CHECKS
        )
        self.exhausted = False
        for depth in range(REPAIR_FIRST_DEPTH, REPAIR_DEPTH + 1):
            for _ in range(REPAIR_ROUNDS):
                improved = False
                left = sorted(
                    (r for r, c in enumerate(inst.cand) if len(c) and tt.slot_of[r] < 0),
                    key=lambda r: len(inst.cand[r]),
                )
                for r in left:
                    if self.out_of_budget():
                        return
                    a, b = inst.a[r], inst.b[r]
                    if count[a] >= capacity[a] or count[b] >= capacity[b]:
                        continue
                    if self.augment(r, depth, set()):
                        count[a] += 1
                        count[b] += 1
                        improved = True
                if not improved:
                    break

    def reason(self, r: int) -> UnscheduledReason:
        inst, tt = self.inst, self.tt
        if not inst.common_hours[r]:
            return UnscheduledReason.NO_COMMON_HOURS
        if not inst.requests[r].need_interpreter:
            return UnscheduledReason.PARTNER_FULL
        if not inst.pool[r]:
            return UnscheduledReason.NO_INTERPRETER
        a, b = inst.a[r], inst.b[r]
        for t in np.flatnonzero(inst.free[a] & inst.free[b]).tolist():
            s = inst.start_list[t]
            if tt.participant_fits(a, t, s, s + inst.length) and tt.participant_fits(
                b, t, s, s + inst.length
            ):
                return UnscheduledReason.NO_INTERPRETER
        return UnscheduledReason.PARTNER_FULL

    def result(self) -> BatchResult:
        inst, tt = self.inst, self.tt
        out = BatchResult()
        length = timedelta(seconds=inst.length)
        for r, req in enumerate(inst.requests):
            t = tt.slot_of[r]
            if t < 0:
                out.unscheduled.append(Unscheduled(req.request_id, self.reason(r)))
                continue
            start = from_seconds(inst.start_list[t])
            i = tt.int_of[r]
            out.assigned.append(
                Assignment(
                    req.request_id,
                    start,
                    start + length,
                    inst.interpreters[i].id if i >= 0 else None,
                )
            )
        out.assigned.sort(key=lambda x: (x.start, x.request_id))
        return out


def _pack_bound(starts: Sequence[int], length: int, gap: int, max_run: int) -> int:
    """Return an upper bound on meetings that fit at these sorted start times (break rule too)."""
    if not starts:
        return 0
    total = 0
    cluster: list[int] = [starts[0]]
    for s in [*starts[1:], None]:
        if s is not None and s - cluster[-1] < length + gap:
            cluster.append(s)
            continue
        count, last_end = 0, cluster[0] - 1
        for c in cluster:
            if c >= last_end:
                count, last_end = count + 1, c + length
        span = cluster[-1] + length - cluster[0]
        best = 0
        for runs in range(1, count + 1):
            room = span - (runs - 1) * gap
            if room < runs * length:
                break
            best = max(best, min(runs * max_run, room // length))
        total += min(count, best)
        if s is not None:
            cluster = [s]
    return total


def _capacities(inst: _Instance) -> tuple[list[int], list[int], dict[tuple[int, int], int]]:
    """Return upper bounds on meetings per participant, per interpreter, per participant-day.

    A participant takes at most, on each of its local days, the smaller of the room left under
    the daily limit and what fits (break rule included, see `_pack_bound`) into the union of its
    requests' feasible slots that day; the per-day figures are keyed by (participant, ordinal).
    """
    n_p, n_slots = len(inst.index), len(inst.start_list)
    wanted = np.zeros((n_p, n_slots), dtype=np.bool_)
    int_wanted = np.zeros((len(inst.interpreters), n_slots), dtype=np.bool_)
    degree = [0] * n_p
    for r, c in enumerate(inst.cand):
        if len(c):
            wanted[inst.a[r], c] = True
            wanted[inst.b[r], c] = True
            degree[inst.a[r]] += 1
            degree[inst.b[r]] += 1
            for i in inst.pool[r]:
                int_wanted[i, c] = True
    fixed_days: list[dict[int, int]] = _Timetable(inst).day_count
    caps = []
    day_caps: dict[tuple[int, int], int] = {}
    for p in range(n_p):
        by_day: dict[int, list[int]] = {}
        for t in np.flatnonzero(wanted[p]).tolist():
            by_day.setdefault(inst.day(p, t), []).append(inst.start_list[t])
        total = 0
        for d, starts in by_day.items():
            room = max(inst.max_day[p] - fixed_days[p].get(d, 0), 0)
            cap = min(room, _pack_bound(starts, inst.length, inst.gap, inst.max_run))
            day_caps[(p, d)] = cap
            total += cap
        caps.append(min(total, degree[p]))
    int_caps = [
        _pack_bound(
            [inst.start_list[t] for t in np.flatnonzero(int_wanted[i] & inst.int_free[i]).tolist()],
            inst.length,
            inst.gap,
            inst.max_run,
        )
        for i in range(len(inst.interpreters))
    ]
    return caps, int_caps, day_caps


FloatArray = npt.NDArray[np.float64]


class _Lagrangian:
    """Lagrangian relaxation of the time-indexed model; every multiplier vector gives a bound.

    The model (an integer program whose solutions include every valid schedule): x[r, t] = 1
    when request r takes grid slot t (t feasible for r, so inside both participants' hours, not
    blocked, not overlapping a fixed meeting, and, when needed, some interpreter of r's pool
    free) and, for interpreted requests, y[r, t, i] = 1 when interpreter i joins. Constraints
    that every valid schedule satisfies:

    * each request at most once: sum_t x[r, t] <= 1;
    * (P) per participant p and slot t at most one meeting: sum_{r at p} x[r, t] <= 1;
    * (D) per participant p and local day d at most cap(p, d) meetings, with cap(p, d) from
      `_capacities` (the daily limit less fixed meetings, and what fits that day);
    * (W) when two meetings in neighbouring grid slots are back to back (meeting no longer than
      a slot, and the gap between them shorter than the minimum break), in every
      `max_back_to_back + 1` consecutive grid slots p holds at most `max_back_to_back` meetings,
      less its fixed meetings in those slots (all occupied would be a run that is too long);
    * (I) per interpreter and slot at most one meeting.

    Dualising (P), (D), (W), (I) with multipliers u, v, w, z >= 0 gives, for every request and
    slot, a price c[r, t] = u[a, t] + u[b, t] + v[a, day] + v[b, day] + w-terms of a and b
    + (for interpreted requests) the cheapest free interpreter's z[i, t], and the function
    L(u, v, w, z) = sum u + sum v * cap + sum w * rhs + sum z + sum_r max(0, max_t 1 - c[r, t]).
    For every schedule S and multipliers >= 0: |S| = sum x <= sum x (1 - c) + (terms of the
    dualised constraints, each >= their left-hand side times the multiplier) <= L, because x
    respects the kept constraint (one slot per request) and every dualised right-hand side is
    at least its left-hand side (weak duality). So min over the multipliers tried is a valid
    upper bound on the optimum; subgradient steps drive it towards the LP relaxation's value.
    """

    def __init__(self, inst: _Instance, day_caps: Mapping[tuple[int, int], int]) -> None:
        self.inst = inst
        n_p, n_slots = len(inst.index), len(inst.start_list)
        self.n_p, self.n_slots = n_p, n_slots
        lengths = np.array([len(c) for c in inst.cand], dtype=np.int64)
        self.reqs = np.flatnonzero(lengths)
        self.n_req = len(inst.cand)
        self.rid: IntArray = np.repeat(np.arange(len(inst.cand), dtype=np.int64), lengths)
        self.slot: IntArray = (
            np.concatenate(inst.cand) if len(inst.cand) else np.zeros(0, dtype=np.int64)
        )
        self.offsets: IntArray = np.concatenate(([0], np.cumsum(lengths[self.reqs])[:-1])).astype(
            np.int64
        )
        a = np.array(inst.a, dtype=np.int64)
        b = np.array(inst.b, dtype=np.int64)
        self.pa: IntArray = a[self.rid] * n_slots + self.slot
        self.pb: IntArray = b[self.rid] * n_slots + self.slot
        # Participant-local day of every (participant, slot), as an index into `cap`.
        zone_days = np.array(inst.zone_days, dtype=np.int64).reshape(len(inst.zone_days), n_slots)
        first = int(zone_days.min()) if zone_days.size else 0
        n_days = int(zone_days.max()) - first + 1 if zone_days.size else 1
        zone_of = np.array(inst.zone_of, dtype=np.int64)
        self.pday: IntArray = (
            (np.arange(n_p, dtype=np.int64)[:, None] * n_days + zone_days[zone_of] - first).reshape(
                -1
            )
            if n_p
            else np.zeros(0, dtype=np.int64)
        )
        self.cap: FloatArray = np.zeros(n_p * n_days, dtype=np.float64)
        for (p, d), c in day_caps.items():
            self.cap[p * n_days + d - first] = c
        # Break-rule windows: valid starts on the grid, right-hand sides per participant.
        self.k = inst.max_run + 1
        step = int(inst.starts[1] - inst.starts[0]) if n_slots > 1 else 0
        use_windows = (
            n_slots >= self.k
            and step > 0
            and inst.length <= step
            and step - inst.length < inst.gap
            and bool(np.all(np.diff(inst.starts) % step == 0))
        )
        self.win_ok = np.zeros(n_slots, dtype=np.bool_)
        if use_windows:
            span = inst.starts[self.k - 1 :] - inst.starts[: n_slots - self.k + 1]
            self.win_ok[: n_slots - self.k + 1] = span == (self.k - 1) * step
        on_grid = np.zeros((n_p, n_slots), dtype=np.int64)
        for p, xs in enumerate(inst.fixed):
            for s, _ in xs:
                t = bisect_left(inst.start_list, s)
                if t < n_slots and inst.start_list[t] == s:
                    on_grid[p, t] = 1
        fixed_in = np.zeros((n_p, n_slots), dtype=np.int64)
        for j in range(self.k):
            fixed_in[:, : n_slots - j] += on_grid[:, j:]
        self.win_rhs: FloatArray = np.maximum(inst.max_run - fixed_in, 0).astype(np.float64)
        self.win_rhs[:, ~self.win_ok] = 0.0
        # Interpreters: pools as index lists; per interpreted pair, its pool.
        self.n_int = len(inst.interpreters)
        pools = sorted(
            {inst.pool[r] for r in range(len(inst.cand)) if inst.requests[r].need_interpreter}
        )
        self.pools: list[IntArray] = [np.array(pl, dtype=np.int64) for pl in pools]
        pool_id = {pl: k for k, pl in enumerate(pools)}
        need = np.array(
            [
                pool_id[inst.pool[r]] if inst.requests[r].need_interpreter else -1
                for r in range(len(inst.cand))
            ],
            dtype=np.int64,
        )
        pair_pool = need[self.rid] if len(self.rid) else np.zeros(0, dtype=np.int64)
        self.interp: IntArray = np.flatnonzero(pair_pool >= 0)
        self.interp_key: IntArray = pair_pool[self.interp] * n_slots + self.slot[self.interp]

    def evaluate(
        self, u: FloatArray, v: FloatArray, w: FloatArray, z: FloatArray
    ) -> tuple[float, FloatArray, IntArray]:
        """Return L at these multipliers, the reduced profit of every pair, the chosen pairs."""
        n_slots = self.n_slots
        wc = np.zeros_like(w)
        for j in range(self.k):
            wc[:, j:] += w[:, : n_slots - j]
        price = (u + v[self.pday].reshape(u.shape) + wc).reshape(-1)
        cost = price[self.pa] + price[self.pb]
        if len(self.interp):
            zmin = np.full((max(len(self.pools), 1), n_slots), np.inf)
            for k, members in enumerate(self.pools):
                if len(members):
                    free = self.inst.int_free[members]
                    zmin[k] = np.where(free, z[members], np.inf).min(axis=0)
            cost[self.interp] += zmin.reshape(-1)[self.interp_key]
        profit = 1.0 - cost
        if not len(profit):
            return (
                float(u.sum() + v @ self.cap + (w * self.win_rhs).sum() + z.sum()),
                profit,
                self.rid,
            )
        best = np.maximum.reduceat(profit, self.offsets)
        gain = np.maximum(best, 0.0)
        value = float(u.sum() + v @ self.cap + (w * self.win_rhs).sum() + z.sum() + gain.sum())
        top = np.repeat(best, np.diff(np.append(self.offsets, len(profit))))
        hit = np.flatnonzero((profit >= top) & (profit > 0.0))
        _, first = np.unique(self.rid[hit], return_index=True)
        return value, profit, hit[first]

    def bound(self, iterations: int, lower: float) -> tuple[float, FloatArray]:
        """Run subgradient steps; return the smallest L seen and the profits where it was seen.

        Polyak steps towards `lower` (a schedule's size, or anything below the optimum); the
        step factor halves after `LAGRANGE_PATIENCE` steps without a new best.
        """
        n_p, n_slots = self.n_p, self.n_slots
        u = np.zeros((n_p, n_slots))
        v = np.zeros(len(self.cap))
        w = np.zeros((n_p, n_slots))
        z = np.zeros((self.n_int, n_slots))
        best, best_profit = np.inf, np.zeros(len(self.slot))
        theta, stall = 2.0, 0
        for _ in range(iterations):
            value, profit, chosen = self.evaluate(u, v, w, z)
            if value < best - 1e-9:
                best, best_profit, stall = value, profit, 0
            else:
                stall += 1
                if stall >= LAGRANGE_PATIENCE:
                    theta, stall = theta / 2, 0
            counts = np.bincount(self.pa[chosen], minlength=n_p * n_slots) + np.bincount(
                self.pb[chosen], minlength=n_p * n_slots
            )
            occ: FloatArray = counts.astype(np.float64).reshape(n_p, n_slots)
            gu = 1.0 - occ
            gv = self.cap - np.bincount(self.pday, weights=occ.reshape(-1), minlength=len(self.cap))
            wocc = np.zeros_like(occ)
            for j in range(self.k):
                wocc[:, : n_slots - j] += occ[:, j:]
            gw = np.where(self.win_ok, self.win_rhs - wocc, 0.0)
            gz = np.zeros_like(z)
            if len(self.interp):
                gz += 1.0
                ci = np.intersect1d(chosen, self.interp, assume_unique=True)
                if len(ci):
                    keys = np.searchsorted(self.interp, ci)
                    for k, members in enumerate(self.pools):
                        mine = ci[self.interp_key[keys] // n_slots == k]
                        if not len(mine) or not len(members):
                            continue
                        ts = self.slot[mine]
                        free = self.inst.int_free[members][:, ts]
                        pick = members[np.where(free, z[members][:, ts], np.inf).argmin(axis=0)]
                        np.subtract.at(gz, (pick, ts), 1.0)
            grads = [(u, gu), (v, gv), (w, gw), (z, gz)]
            norm = 0.0
            for x, g in grads:
                g[(x <= 0.0) & (g > 0.0)] = 0.0
                norm += float((g * g).sum())
            if norm <= 0.0:
                break
            target = min(lower, 0.95 * best) if lower > 0 else 0.95 * best
            step = theta * max(value - target, 1e-3) / norm
            for x, g in grads:
                np.maximum(x - step * g, 0.0, out=x)
        return best, best_profit


def _max_flow(n: int, edges: Sequence[tuple[int, int, int]], source: int, sink: int) -> int:
    """Return the value of a maximum flow (Dinic, with a greedy start)."""
    head: list[list[int]] = [[] for _ in range(n)]
    to: list[int] = []
    cap: list[int] = []
    for u, v, c in edges:
        head[u].append(len(to))
        to.append(v)
        cap.append(c)
        head[v].append(len(to))
        to.append(u)
        cap.append(0)
    flow = 0
    while True:
        level = [-1] * n
        level[source] = 0
        queue = deque([source])
        while queue:
            u = queue.popleft()
            for e in head[u]:
                if cap[e] and level[to[e]] < 0:
                    level[to[e]] = level[u] + 1
                    queue.append(to[e])
        if level[sink] < 0:
            return flow
        pointer = [0] * n
        while True:
            pushed = _augment_path(source, sink, head, to, cap, level, pointer)
            if not pushed:
                break
            flow += pushed


def _augment_path(
    source: int,
    sink: int,
    head: list[list[int]],
    to: list[int],
    cap: list[int],
    level: list[int],
    pointer: list[int],
) -> int:
    """Find one blocking-flow path iteratively and push its bottleneck; return it (0: none)."""
    path: list[int] = []
    u = source
    while True:
        if u == sink:
            pushed = min(cap[e] for e in path)
            for e in path:
                cap[e] -= pushed
                cap[e ^ 1] += pushed
            return pushed
        edges = head[u]
        while pointer[u] < len(edges):
            e = edges[pointer[u]]
            if cap[e] and level[to[e]] == level[u] + 1:
                break
            pointer[u] += 1
        else:
            if u == source:
                return 0
            level[u] = -1
            e = path.pop()
            u = to[e ^ 1]
            pointer[u] += 1
            continue
        path.append(e)
        u = to[e]


def _instance(
    event: Event,
    companies: Mapping[str, Company],
    requests: Sequence[tuple[int, str, str, bool]],
    existing: Sequence[Meeting],
    interpreters: Sequence[Interpreter],
    now: datetime | None,
    rule: BreakRule,
) -> _Instance:
    return _Instance(event, companies, requests, existing, interpreters, now or utcnow(), rule)


def schedule_batch(
    event: Event,
    companies: Mapping[str, Company],
    requests: Sequence[tuple[int, str, str, bool]],
    existing: Sequence[Meeting] = (),
    interpreters: Sequence[Interpreter] = (),
    *,
    now: datetime | None = None,
    rule: BreakRule = DEFAULT_BREAK_RULE,
    time_limit: float | None = None,
) -> BatchResult:
    """Give as many accepted requests as possible a slot, fairly spread.

    Args:
        event: The event (days, hours, grid, limits).
        companies: Every company named in the requests, by id.
        requests: `(request_id, a_id, b_id, need_interpreter)` tuples (or `BatchRequest`).
        existing: Meetings already booked (cancelled ones are ignored); they stay where they are.
        interpreters: The interpreter pool.
        now: Current time (default: the clock); only future slots are used.
        rule: The break rule.
        time_limit: Seconds the whole run may take, roughly (default: 0.25 s + 0.6 ms per
            request); the repair stops when they are spent, keeping what it has.

    Returns:
        The assignments (ordered by start) and the requests left over with a reason each.

    Raises:
        KeyError: If a request names a company missing from `companies`.
    """
    began = perf_counter()
    inst = _instance(event, companies, requests, existing, interpreters, now, rule)
    scheduler = _Scheduler(inst)
    scheduler.greedy()
    caps, _, _ = _capacities(inst)
    if time_limit is None:
        time_limit = REPAIR_SECONDS + REPAIR_SECONDS_PER_REQUEST * len(requests)
    scheduler.repair(caps, max(time_limit - (perf_counter() - began), 0.0))
    return scheduler.result()


def upper_bound(
    event: Event,
    companies: Mapping[str, Company],
    requests: Sequence[tuple[int, str, str, bool]],
    existing: Sequence[Meeting] = (),
    interpreters: Sequence[Interpreter] = (),
    *,
    now: datetime | None = None,
    rule: BreakRule = DEFAULT_BREAK_RULE,
    iterations: int = LAGRANGE_ITERATIONS,
    known: int = 0,
) -> int:
    """Return a number no schedule can exceed (same arguments as `schedule_batch`).

    The smallest of the bounds of `bounds` (see there for why each holds).

    Args:
        iterations: Subgradient steps of the Lagrangian bound (0: skip it; more: tighter).
        known: Size of some known schedule, to aim the steps (0: a greedy run finds one). It
            changes only how fast the bound tightens, never its validity.
    """
    inst = _instance(event, companies, requests, existing, interpreters, now, rule)
    return min(bounds(inst, iterations, known).values())


def bounds(
    inst: _Instance, iterations: int = LAGRANGE_ITERATIONS, known: int = 0
) -> dict[str, int]:
    """Return valid upper bounds on the optimum, by name.

    * "feasible": requests with at least one feasible slot (the others cannot be scheduled).
    * "interpreters": requests without an interpreter, plus at most what the interpreters can
      cover (each at most `_pack_bound` of the slots it could serve).
    * "flow": the largest fractional b-matching of the feasible requests when every participant
      takes at most `_capacities` meetings (a max flow on the bipartite double cover: a schedule
      gives a flow of twice its size, so half the maximum flow bounds it).
    * "lagrangian": the time-indexed model's Lagrangian dual (`_Lagrangian`), at the best
      multipliers of `iterations` subgradient steps; it approaches the LP relaxation from above.
    """
    caps, int_caps, day_caps = _capacities(inst)
    feasible = [r for r, c in enumerate(inst.cand) if len(c)]
    need = sum(1 for r in feasible if inst.requests[r].need_interpreter)
    by_interpreters = len(feasible) - need + min(need, sum(int_caps))
    n_p = len(inst.index)
    source, sink = 2 * n_p, 2 * n_p + 1
    pairs: dict[tuple[int, int], int] = {}
    for r in feasible:
        for u, v in ((inst.a[r], inst.b[r]), (inst.b[r], inst.a[r])):
            pairs[(u, v)] = pairs.get((u, v), 0) + 1
    edges = [(source, p, caps[p]) for p in range(n_p) if caps[p]]
    edges += [(u, n_p + v, c) for (u, v), c in pairs.items()]
    edges += [(n_p + p, sink, caps[p]) for p in range(n_p) if caps[p]]
    by_flow = _max_flow(2 * n_p + 2, edges, source, sink) // 2
    out = {"feasible": len(feasible), "interpreters": by_interpreters, "flow": by_flow}
    if iterations > 0 and feasible:
        if known <= 0:
            greedy = _Scheduler(inst)
            greedy.greedy()
            known = sum(1 for t in greedy.tt.slot_of if t >= 0)
        value, _ = _Lagrangian(inst, day_caps).bound(iterations, float(known))
        out["lagrangian"] = int(np.floor(value + 1e-6))
    return out
