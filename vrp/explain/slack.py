"""How much room each stop of a route leaves, and which limit is closest to binding.

At every stop (times and loads from `vrp.explain.probe.visits`, that is, from `evaluate`):

- **time**: how much later service could start here before some rule breaks: this stop's
  window, a later stop's window (a delay shrinks by the waiting at the stops after it) or the
  depot deadline. ``time_bound`` names the node that sets it (a depot: its deadline).
- **capacity**: how much this stop's demand (its delivery, or its pickup for a pickup-only
  stop) could grow before the load rule of the instance's backhaul mode breaks.
- **distance** (the whole route): how much longer the route could be before
  ``vehicles.max_distance``.

The tightest of the three, each measured against its scale (the depot's horizon, Q, L), is
named per stop; it *binds* when it is zero within `BIND_TOL` of its scale, and is *broken*
when it is below zero (a plan that breaks a rule there). Tests hold every
figure to `evaluate`: a delay or a demand just above the slack breaks a rule, just below
does not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from vrp.explain.probe import Visit, judge
from vrp.model.instance import Instance
from vrp.model.solution import Route

BIND_TOL = 1e-6
"""A slack at most this share of its scale binds."""


@dataclass(frozen=True)
class StopSlack:
    """One stop: when the vehicle is there, how much room each limit leaves it (``inf``: no
    limit), the node whose limit sets the time slack, and the tightest limit (``""``: none)."""

    visit: Visit
    time: float
    time_bound: int | None
    capacity: float
    tightest: str
    binding: bool
    broken: bool


@dataclass(frozen=True)
class RouteSlack:
    """A route's distance and its room under the distance limit and the depot deadline
    (``inf`` where there is none), its peak load, and each stop's slack."""

    distance: float
    distance_slack: float
    end_time: float
    deadline_slack: float
    peak_load: float
    stops: tuple[StopSlack, ...]


def route_slack(inst: Instance, route: Route, stops: list[Visit]) -> RouteSlack:
    """The slack of ``route`` and of each of its ``stops`` (module docstring)."""
    st = judge(inst, route).stats
    assert st is not None, "a route of the plan has a depot and customers"
    depot = route.depot
    L = inst.max_distance
    dist_slack = math.inf if L is None else L - st.distance
    late = float(inst.tw_late[depot])
    deadline = math.inf if inst.open or not math.isfinite(late) else late - st.end_time
    times = _time_slack(inst, depot, stops, deadline)
    caps = _capacity_slack(inst, stops, st.delivery, st.pickup)
    horizon = _horizon(inst, depot, stops)
    out = []
    for v, (t, bound), cap in zip(stops, times, caps, strict=True):
        scaled = {"time": t / horizon, "capacity": cap / inst.capacity}
        if L is not None:
            scaled["distance"] = dist_slack / L
        finite = {k: s for k, s in scaled.items() if math.isfinite(s)}
        tightest = min(finite, key=lambda k: finite[k]) if finite else ""
        room = finite[tightest] if finite else math.inf
        binding, broken = abs(room) <= BIND_TOL, room < -BIND_TOL
        out.append(StopSlack(v, t, bound, cap, tightest, binding, broken))
    return RouteSlack(st.distance, dist_slack, st.end_time, deadline, st.max_load, tuple(out))


def _time_slack(
    inst: Instance, depot: int, stops: list[Visit], deadline: float
) -> list[tuple[float, int | None]]:
    """Per stop, the largest delay of its start that keeps every later time limit, and the
    node whose limit it is. Backwards: a delay at stop i reaches stop i+1 less its waiting."""
    best: float = deadline
    bound: int | None = depot if math.isfinite(deadline) else None
    out: list[tuple[float, int | None]] = []
    for i in range(len(stops) - 1, -1, -1):
        v = stops[i]
        after = stops[i + 1].wait if i + 1 < len(stops) else 0.0
        best += after
        own = float(inst.tw_late[v.node]) - v.start
        if own <= best:
            best, bound = own, v.node
        out.append((best, bound if math.isfinite(best) else None))
    out.reverse()
    return out


def _capacity_slack(
    inst: Instance, stops: list[Visit], delivery: float, pickup: float
) -> list[float]:
    q, kind = inst.capacity, inst.backhaul_kind
    out = []
    for i, v in enumerate(stops):
        picks = inst.pickup[v.node] > 0 and inst.delivery[v.node] == 0
        if kind == "none":
            out.append(q - delivery)
        elif kind == "classic":
            out.append(q - (pickup if picks else delivery))
        else:  # mixed: a delivery rides from the depot to here, a pickup from here on
            loads = [delivery] + [s.load for s in stops]
            side = loads[i + 1 :] if picks else loads[: i + 1]
            out.append(q - max(side))
    return out


def _horizon(inst: Instance, depot: int, stops: list[Visit]) -> float:
    """The time scale a time slack is measured against: the depot's working day, else the
    span up to the latest window on the route."""
    start = inst.depot_start(depot)
    lates = [float(inst.tw_late[depot])] + [float(inst.tw_late[v.node]) for v in stops]
    finite = [t - start for t in lates if math.isfinite(t)]
    span = finite[0] if math.isfinite(lates[0]) else max(finite, default=0.0)
    return span if span > 0 else 1.0
