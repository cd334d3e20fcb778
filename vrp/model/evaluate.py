"""The referee: the only code that computes a solution's cost and feasibility (FORMAT.md rules).

Every solver's answer, every environment rollout and every benchmark figure goes through
`evaluate`. Rules are numbered as in FORMAT.md:

1. ``visits``: every customer exactly once over all routes (and nodes exist).
2. ``depot``: a route starts at a depot (and returns to the same one unless open).
3. ``distance-limit``: a route's distance is at most ``max_distance``.
4. ``time-window`` / ``depot-deadline``: service starts by ``latest``; back at the depot by its
   ``latest`` unless open.
5. ``capacity`` / ``backhaul-order``: the load rule of the backhaul mode.
6. ``fleet-size``: at most ``count`` routes.

With a fleet (FORMAT.md "Fleets"), rules 1-6 hold per route with its type's capacity,
distance limit, travel times and shift, and:

7. ``vehicle``: the route names a type of the fleet; ``vehicle-depot``: from the type's depot
   when it has one; ``shift``: back by the shift's end (``depot-deadline`` when the depot's
   latest is the earlier); ``vehicle-count``: at most ``count`` routes of a type.
8. ``vehicle-type``: every customer on the route allows its type.
9. The cost of a route is ``fixed_cost + distance_cost * distance``, summed over routes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from vrp.model.instance import Instance
from vrp.model.solution import Route, Solution

# Limits are compared with a small tolerance so that floating-point sums of exactly-feasible
# routes (e.g. 0.1-step Solomon distances) are not rejected.
REL_TOL = 1e-9
ABS_TOL = 1e-9


def _exceeds(value: float, limit: float) -> bool:
    return value > limit + ABS_TOL + REL_TOL * abs(limit)


@dataclass(frozen=True)
class Violation:
    """A broken rule, with the route (0-based index in the solution) and node where it breaks."""

    rule: str
    route: int | None
    node: int | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.route is not None:
            where.append(f"route {self.route}")
        if self.node is not None:
            where.append(f"node {self.node}")
        prefix = f"[{self.rule}] " + (", ".join(where) + ": " if where else "")
        return prefix + self.message


@dataclass(frozen=True)
class RouteStats:
    """What one route uses: distance, time (leave to finish), peak load, totals, and its cost
    (its distance without a fleet; rule 9 with one) and vehicle type (index in the fleet)."""

    distance: float
    start_time: float
    end_time: float
    max_load: float
    delivery: float
    pickup: float
    cost: float | None = None  # None: the distance (no fleet)
    vehicle: int | None = None

    def __post_init__(self) -> None:
        if self.cost is None:
            object.__setattr__(self, "cost", self.distance)


@dataclass(frozen=True)
class Evaluation:
    """Cost (total distance; with a fleet, rule 9), feasibility and every violation."""

    cost: float
    violations: tuple[Violation, ...]
    routes: tuple[RouteStats, ...] = field(default=())

    @property
    def feasible(self) -> bool:
        return not self.violations

    @property
    def distance(self) -> float:
        """The total distance of the scored routes (the cost, without a fleet)."""
        return float(sum(st.distance for st in self.routes))


def evaluate(instance: Instance, solution: Solution) -> Evaluation:
    """Score ``solution`` on ``instance`` by the rules of FORMAT.md."""
    violations: list[Violation] = []
    D, N = instance.num_depots, instance.num_nodes
    seen: dict[int, int] = {}
    stats: list[RouteStats] = []
    total = 0.0

    for r, route in enumerate(solution.routes):
        if not 0 <= route.depot < D:
            violations.append(
                Violation(
                    "depot", r, route.depot, f"{route.depot} is not a depot index (0..{D - 1})"
                )
            )
            continue
        if not route.customers:
            violations.append(Violation("visits", r, None, "route has no customers"))
            continue
        bad = [c for c in route.customers if not D <= c < N]
        if bad:
            violations.append(
                Violation("visits", r, bad[0], f"{bad[0]} is not a customer index ({D}..{N - 1})")
            )
            continue
        for c in route.customers:
            if c in seen:
                violations.append(
                    Violation("visits", r, c, f"customer visited again (first on route {seen[c]})")
                )
            else:
                seen[c] = r
        t = _vehicle(instance, r, route, violations)
        st = _route(instance, r, route, violations, t)
        stats.append(st)
        total += st.distance if st.vehicle is None else st.cost  # type: ignore[operator]

    missing = [c for c in instance.customers if c not in seen]
    for c in missing:
        violations.append(Violation("visits", None, c, "customer is not visited"))
    for t, vtype in enumerate(instance.fleet):
        used = sum(1 for st in stats if st.vehicle == t)
        if vtype.count is not None and used > vtype.count:
            violations.append(
                Violation(
                    "vehicle-count",
                    None,
                    None,
                    f"{used} routes of type {vtype.id!r} > its count {vtype.count}",
                )
            )
    if instance.vehicle_count is not None and len(solution.routes) > instance.vehicle_count:
        violations.append(
            Violation(
                "fleet-size",
                None,
                None,
                f"{len(solution.routes)} routes > vehicles.count {instance.vehicle_count}",
            )
        )
    return Evaluation(cost=float(total), violations=tuple(violations), routes=tuple(stats))


def _vehicle(inst: Instance, r: int, route: Route, out: list[Violation]) -> int | None:
    """Rules 7 and 8 that need no schedule: the route's type, its depot and its customers.
    Returns the type's index, or None (no fleet, or no known type named)."""
    if not inst.fleet:
        if route.vehicle is not None:
            out.append(
                Violation(
                    "vehicle",
                    r,
                    None,
                    f"names vehicle type {route.vehicle!r}, but the instance has no fleet",
                )
            )
        return None
    if route.vehicle is None:
        out.append(Violation("vehicle", r, None, "the route names no vehicle type"))
        return None
    t = inst.type_index(route.vehicle)
    if t is None:
        known = ", ".join(v.id for v in inst.fleet)
        out.append(
            Violation("vehicle", r, None, f"unknown vehicle type {route.vehicle!r} ({known})")
        )
        return None
    home = inst.type_depots[t]
    if home is not None and route.depot != home:
        out.append(
            Violation(
                "vehicle-depot",
                r,
                route.depot,
                f"type {route.vehicle!r} is based at depot {inst.ids[home]!r}, not "
                f"{inst.ids[route.depot]!r}",
            )
        )
    assert inst.allowed is not None
    for c in route.customers:
        if not inst.allowed[c, t]:
            kinds = ", ".join(inst.vehicle_types[c] or ())
            out.append(
                Violation(
                    "vehicle-type",
                    r,
                    c,
                    f"type {route.vehicle!r} may not serve this customer (allowed: {kinds})",
                )
            )
    return t


def _route(
    inst: Instance, r: int, route: Route, out: list[Violation], t: int | None = None
) -> RouteStats:
    dist = inst.distances
    dur = inst.durations if t is None else inst.type_durations(t)
    vtype = None if t is None else inst.fleet[t]
    depot = route.depot
    path = np.asarray([depot, *route.customers] + ([] if inst.open else [depot]))
    distance = float(dist[path[:-1], path[1:]].sum())

    limit = inst.max_distance if vtype is None else vtype.max_distance
    if limit is not None and _exceeds(distance, limit):
        where = "vehicles.max_distance" if vtype is None else f"the max_distance of {vtype.id!r}"
        out.append(
            Violation(
                "distance-limit",
                r,
                None,
                f"route distance {distance:.6g} > {where} {limit:.6g}",
            )
        )

    # Rule 4: time (rule 7: a type leaves at its shift's start and is back by its end).
    start = inst.depot_start(depot) if t is None else inst.type_start(t, depot)
    clock, prev = start, depot
    for c in route.customers:
        arrival = clock + dur[prev, c]
        begin = max(arrival, inst.tw_early[c])
        if _exceeds(begin, inst.tw_late[c]):
            out.append(
                Violation(
                    "time-window",
                    r,
                    c,
                    f"service starts at {begin:.6g} > latest {inst.tw_late[c]:.6g}",
                )
            )
        clock = begin + inst.service_time[c]
        prev = c
    end = clock
    if not inst.open:
        end = clock + dur[prev, depot]
        deadline = float(inst.tw_late[depot]) if t is None else inst.type_deadline(t, depot)
        if _exceeds(end, deadline):
            if deadline < inst.tw_late[depot]:
                assert vtype is not None
                out.append(
                    Violation(
                        "shift",
                        r,
                        depot,
                        f"back at the depot at {end:.6g} > the end of the shift of "
                        f"{vtype.id!r} {deadline:.6g}",
                    )
                )
            else:
                out.append(
                    Violation(
                        "depot-deadline",
                        r,
                        depot,
                        f"back at the depot at {end:.6g} > latest {deadline:.6g}",
                    )
                )

    # Rule 5: load.
    cust = np.asarray(route.customers)
    deliv, pick = inst.delivery[cust], inst.pickup[cust]
    q = inst.capacity if vtype is None else vtype.capacity
    assert q is not None  # `Instance` always sets it
    total_d, total_p = float(deliv.sum()), float(pick.sum())
    kind = inst.backhaul_kind
    if kind == "mixed":
        loads = total_d + np.cumsum(pick - deliv)
        peak = max(total_d, float(loads.max()))
        if _exceeds(total_d, q):
            out.append(
                Violation("capacity", r, depot, f"departure load {total_d:.6g} > capacity {q:.6g}")
            )
        else:
            over = np.flatnonzero(loads > q + ABS_TOL + REL_TOL * q)
            if over.size:
                k = int(over[0])
                out.append(
                    Violation(
                        "capacity",
                        r,
                        int(cust[k]),
                        f"load {loads[k]:.6g} after this customer > capacity {q:.6g}",
                    )
                )
    else:
        peak = max(total_d, total_p)
        if _exceeds(total_d, q):
            out.append(
                Violation("capacity", r, None, f"deliveries {total_d:.6g} > capacity {q:.6g}")
            )
        if kind == "classic":
            if _exceeds(total_p, q):
                out.append(
                    Violation("capacity", r, None, f"pickups {total_p:.6g} > capacity {q:.6g}")
                )
            backs = np.flatnonzero(pick > 0)
            if backs.size:
                first_back = int(backs[0])
                late = np.flatnonzero(deliv[first_back:] > 0)
                if late.size:
                    node = int(cust[first_back + int(late[0])])
                    out.append(
                        Violation(
                            "backhaul-order",
                            r,
                            node,
                            f"delivery customer after backhaul customer {int(cust[first_back])}",
                        )
                    )
    return RouteStats(
        distance=distance,
        start_time=start,
        end_time=float(end) if math.isfinite(end) else end,
        max_load=float(peak),
        delivery=total_d,
        pickup=total_p,
        cost=None if vtype is None else vtype.route_cost(distance),  # rule 9
        vehicle=t,
    )
