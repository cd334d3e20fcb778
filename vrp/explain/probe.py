"""Every judgement an explanation makes, asked of `evaluate()`.

An explanation never applies a FORMAT.md rule itself: it builds a route (the plan's, or the
plan's with one change) and asks `evaluate` what it costs and which rules it breaks
(`judge`). The times and loads shown at each stop come from `evaluate` too (`visits`): it
scores the route's prefixes on an open copy of the instance, where a prefix's end time is the
departure from its last stop and its distance the distance travelled so far.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from vrp.model.evaluate import RouteStats, Violation, evaluate
from vrp.model.instance import Instance
from vrp.model.solution import Route, Solution

PLAN_RULES = ("visits", "fleet-size")
"""Rules about the whole plan; a route judged alone breaks them for the customers it lacks."""

RULE_ORDER = ("time-window", "depot-deadline", "capacity", "backhaul-order", "distance-limit")
"""The route rules, in the order an explanation names them when several apply."""


@dataclass(frozen=True)
class Judgement:
    """What `evaluate` says of one route on its own: its distance and the rules it breaks
    (rules about the whole plan left out, except a customer repeated on the route)."""

    distance: float
    violations: tuple[Violation, ...]
    stats: RouteStats | None

    @property
    def feasible(self) -> bool:
        return not self.violations

    @property
    def rules(self) -> set[str]:
        return {v.rule for v in self.violations}


def judge(inst: Instance, route: Route) -> Judgement:
    """`evaluate` on a plan of this one route; rules about the plan's other customers dropped."""
    ev = evaluate(inst, Solution([route]))
    own = tuple(v for v in ev.violations if not (v.rule in PLAN_RULES and v.route is None))
    stats = ev.routes[0] if ev.routes else None
    return Judgement(math.inf if stats is None else stats.distance, own, stats)


def new_breaks(base: Judgement, other: Judgement) -> list[Violation]:
    """The violations of ``other`` that ``base`` does not have (same rule at the same node)."""
    seen = {(v.rule, v.node) for v in base.violations}
    return [v for v in other.violations if (v.rule, v.node) not in seen]


def main_rule(rules: list[set[str]]) -> str:
    """The rule broken by the most of ``rules`` (ties in `RULE_ORDER`)."""
    counts = {r: sum(r in s for s in rules) for r in RULE_ORDER}
    extra = {r for s in rules for r in s} - set(RULE_ORDER)
    counts.update({r: sum(r in s for s in rules) for r in sorted(extra)})
    return max(counts, key=lambda r: (counts[r], -list(counts).index(r)))


@dataclass(frozen=True)
class Visit:
    """One stop as `evaluate` times it.

    ``arrival`` is the departure from the previous node plus the travel time; ``start`` the
    start of service; ``distance`` travelled up to here; ``load`` on board when leaving
    (the route's deliveries, less those made, plus the pickups made).
    """

    node: int
    arrival: float
    start: float
    departure: float
    distance: float
    load: float

    @property
    def wait(self) -> float:
        return max(0.0, self.start - self.arrival)


def open_copy(inst: Instance) -> Instance:
    """The instance with open routes: a route's end time is then its last departure."""
    return inst if inst.open else dataclasses.replace(inst, open=True)


def visits(inst: Instance, route: Route, opened: Instance | None = None) -> list[Visit]:
    """The stops of ``route`` with their times, distance so far and load on board, read from
    `evaluate` on each prefix of the route (``opened``: `open_copy` of ``inst``, if made)."""
    opened = opened if opened is not None else open_copy(inst)
    total = judge(inst, route).stats
    total_delivery = 0.0 if total is None else total.delivery
    out: list[Visit] = []
    prev, leave = route.depot, inst.depot_start(route.depot)
    for i, c in enumerate(route.customers):
        st = evaluate(opened, Solution([Route(route.depot, route.customers[: i + 1])])).routes[0]
        start = st.end_time - float(inst.service_time[c])
        arrival = leave + float(inst.durations[prev, c])
        load = total_delivery - st.delivery + st.pickup
        out.append(Visit(c, arrival, start, st.end_time, st.distance, load))
        prev, leave = c, st.end_time
    return out
