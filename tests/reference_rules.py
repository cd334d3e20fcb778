"""A second, plain reading of FORMAT.md's rules, to check `vrp.model.evaluate` against.

Written from FORMAT.md alone, on purpose slow and literal: plain loops over Python floats, no
numpy, nothing imported from the evaluator. Limits are compared exactly (``>``), so the
property tests in tests/test_evaluate.py feed it data whose sums are exact in floating point
(integers), where "at most" means exactly that. The rule names are the evaluator's, so the
two verdicts can be compared rule by rule:

``visits`` (1), ``depot`` (2), ``distance-limit`` (3), ``time-window`` and
``depot-deadline`` (4), ``capacity`` and ``backhaul-order`` (5), ``fleet-size`` (6).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from vrp.model.instance import Instance


@dataclass
class RouteFacts:
    """What one route uses, by the rules: distance, times, loads."""

    distance: float = 0.0
    start: list[float] = field(default_factory=list)  # service start at each customer
    back: float | None = None  # arrival at the depot, None when open
    loads: list[float] = field(default_factory=list)  # mixed: at departure, then after each


@dataclass
class Verdict:
    cost: float
    violations: set[tuple[str, int | None, int | None]]  # (rule, route, node)
    routes: list[RouteFacts]

    @property
    def feasible(self) -> bool:
        return not self.violations

    def rules_by_route(self) -> set[tuple[str, int | None]]:
        return {(rule, route) for rule, route, _ in self.violations}


def judge(inst: Instance, routes: list[tuple[int, list[int]]]) -> Verdict:
    """Cost and broken rules of ``routes`` (pairs of depot index and customer indices)."""
    D, N = inst.num_depots, inst.num_nodes
    dist = [[float(x) for x in row] for row in inst.distances]
    dur = [[float(x) for x in row] for row in inst.durations]
    delivery = [float(x) for x in inst.delivery]
    pickup = [float(x) for x in inst.pickup]
    service = [float(x) for x in inst.service_time]
    early = [float(x) for x in inst.tw_early]
    late = [float(x) for x in inst.tw_late]
    Q = float(inst.capacity)
    any_pickup = any(p > 0 for p in pickup)

    bad: set[tuple[str, int | None, int | None]] = set()
    facts: list[RouteFacts] = []
    times_seen = {c: 0 for c in range(D, N)}
    cost = 0.0
    for r, (depot, customers) in enumerate(routes):
        if not 0 <= depot < D:
            bad.add(("depot", r, depot))
            continue
        if not customers or any(not D <= c < N for c in customers):
            bad.add(("visits", r, None))
            continue
        for c in customers:
            times_seen[c] += 1
        f = RouteFacts()

        # Rule 2 and 3: from the depot, through the customers, back to the same depot.
        nodes = [depot] + customers + ([] if inst.open else [depot])
        for a, b in zip(nodes, nodes[1:], strict=False):
            f.distance += dist[a][b]
        cost += f.distance
        if inst.max_distance is not None and f.distance > inst.max_distance:
            bad.add(("distance-limit", r, None))

        # Rule 4: leave at the depot's earliest (0 without a window), wait for earliest.
        t = early[depot] if math.isfinite(early[depot]) else 0.0
        here = depot
        for c in customers:
            arrival = t + dur[here][c]
            begin = arrival if arrival > early[c] else early[c]
            f.start.append(begin)
            if begin > late[c]:
                bad.add(("time-window", r, c))
            t = begin + service[c]
            here = c
        if not inst.open:
            f.back = t + dur[here][depot]
            if f.back > late[depot]:
                bad.add(("depot-deadline", r, depot))

        # Rule 5: load.
        total_d = sum(delivery[c] for c in customers)
        total_p = sum(pickup[c] for c in customers)
        if not any_pickup:
            if total_d > Q:
                bad.add(("capacity", r, None))
        elif inst.backhaul == "classic":
            if total_d > Q:
                bad.add(("capacity", r, None))
            if total_p > Q:
                bad.add(("capacity", r, None))
            seen_pickup = False
            for c in customers:
                if pickup[c] > 0:
                    seen_pickup = True
                elif delivery[c] > 0 and seen_pickup:
                    bad.add(("backhaul-order", r, c))
                    break
        else:  # mixed: leave with every delivery of the route on board
            load = total_d
            f.loads.append(load)
            if load > Q:
                bad.add(("capacity", r, depot))
            for c in customers:
                load = load - delivery[c] + pickup[c]
                f.loads.append(load)
            if total_d <= Q:
                over = [c for c, x in zip(customers, f.loads[1:], strict=True) if x > Q]
                if over:
                    bad.add(("capacity", r, over[0]))
        facts.append(f)

    # Rule 1: every customer exactly once.
    for c, k in times_seen.items():
        if k == 0:
            bad.add(("visits", None, c))
        elif k > 1:
            bad.add(("visits", None, c))
    # Rule 6.
    if inst.vehicle_count is not None and len(routes) > inst.vehicle_count:
        bad.add(("fleet-size", None, None))
    return Verdict(cost=cost, violations=bad, routes=facts)
