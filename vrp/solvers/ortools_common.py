"""What the two OR-Tools models share (`vrp.solvers.ortools` for one kind of vehicle,
`vrp.solvers.ortools_fleet` for fleets): the instance in OR-Tools integers (`_Scaled`,
rounded up or down as each use needs; `scaled_loads`), the load dimensions (`add_loads`)
and the time-window dimension (`add_time_windows`). The two differ in their vehicles, so
these take per-vehicle capacities, transits and hours."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from vrp.model.instance import Instance

INT_BOUND = 2**40
"""Every scaled cumulative quantity (route cost, time, distance, load) stays below this."""

MAX_FREE_FLEET = 250
"""Vehicles per depot when ``vehicles.count`` is null and there are more customers."""

SNAP = 1e-4
"""Float noise (in scaled units) that conservative rounding forgives, so that decimal data
such as 0.1 + 0.2 <= 0.3 is not rounded into infeasibility. With scaled magnitudes near
2^40 it gives away under 1e-15 of the largest value per term, far inside `evaluate()`'s
tolerance."""

_DROP_PENALTY = 20
"""With a fixed fleet, leaving a customer out costs this many times the longest arc: more
than the detour of serving it anywhere (at most twice the longest arc), so an optimum
serves everyone whenever the fleet can."""


@dataclass(frozen=True)
class _Scaled:
    """The instance in OR-Tools integers: ``round(value * scale)``, rounded as each use needs."""

    scale: float  # times and distances
    origin: float  # subtracted from every time before scaling
    horizon: int  # no route's time cumul can exceed it
    cost: list[list[int]]  # arc costs, to the nearest (open: 0 into depots)
    time: list[list[int]] | None  # service at the tail + travel, up (time windows only)
    dist: list[list[int]] | None  # distances, up (distance limit only)
    max_distance: int
    delivery: list[int]
    pickup: list[int]
    capacity: int

    def early(self, t: float) -> int:
        """A window opening (or departure) in time cumul units, rounded up."""
        if not math.isfinite(t):
            return 0
        return int(min(_up(t - self.origin, self.scale), self.horizon))

    def late(self, t: float) -> int:
        """A deadline in time cumul units, rounded down."""
        if not math.isfinite(t):
            return self.horizon
        return int(min(_down(t - self.origin, self.scale), self.horizon))


def _up(values: np.ndarray | float, scale: float) -> np.ndarray:
    return np.ceil(np.asarray(values, dtype=float) * scale - SNAP)


def _down(values: np.ndarray | float, scale: float) -> np.ndarray:
    return np.floor(np.asarray(values, dtype=float) * scale + SNAP)


def _power_of_ten(magnitude: float) -> float:
    """The largest 10^k (k <= 12) with ``magnitude * 10^k <= INT_BOUND``."""
    if not magnitude > 0:
        return 1.0
    return 10.0 ** min(12, math.floor(math.log10(INT_BOUND / magnitude)))


def scaled_loads(inst: Instance, capacities: list[float]) -> tuple[list[int], list[int], list[int]]:
    """Deliveries and pickups (rounded up) and ``capacities`` (down) in OR-Tools integers:
    as they are when all are integers, else all scaled by one power of ten."""
    caps = np.array(capacities)
    loads = np.concatenate([inst.delivery, inst.pickup, caps])
    total = float(inst.delivery.sum() + inst.pickup.sum() + caps.max())
    integral = bool(np.all(loads == np.round(loads))) and total < INT_BOUND
    scale = 1.0 if integral else _power_of_ten(total)
    return (
        _up(inst.delivery, scale).astype(np.int64).tolist(),
        _up(inst.pickup, scale).astype(np.int64).tolist(),
        [int(_down(q, scale)) for q in caps],
    )


def add_loads(
    inst: Instance, data: _Scaled, manager: Any, routing: Any, capacities: list[int]
) -> None:
    """The load dimensions of ``inst``, vehicle ``v`` carrying at most ``capacities[v]``.

    No backhaul: one dimension of deliveries. Classic backhaul: one of deliveries and one of
    pickups, and the precedence (`_precedence`). Mixed backhaul: `_mixed_load`.
    """

    def dimension(values: list[int], name: str, start_at_zero: bool = True) -> Any:
        transit = routing.RegisterUnaryTransitVector(values)
        routing.AddDimensionWithVehicleCapacity(transit, 0, capacities, start_at_zero, name)
        return routing.GetDimensionOrDie(name)

    kind = inst.backhaul_kind
    if kind == "none":
        dimension(data.delivery, "load")
    elif kind == "classic":
        dimension(data.delivery, "deliveries")
        dimension(data.pickup, "pickups")
        _precedence(inst, manager, routing)
    else:
        remaining = dimension([-d for d in data.delivery], "remaining", start_at_zero=False)
        picked = dimension(data.pickup, "picked")
        _mixed_load(routing, remaining, picked, capacities)


def _mixed_load(routing: Any, remaining: Any, picked: Any, capacities: list[int]) -> None:
    """Mixed backhaul, exactly: remaining deliveries + pickups so far <= Q at every node, Q
    being the capacity of the vehicle that visits it.

    "remaining" starts free and must end at 0, so it starts at the route's total delivery
    (the departure load) and on arrival at a node holds the deliveries still on board;
    "picked" holds the pickups collected so far. Their sum is the load on arrival, which is
    the load after the previous customer; at the end node it is the load after the last one.
    With capacities that differ, the bound at a node is an ``Element`` on its ``VehicleVar``.
    """
    solver = routing.solver()
    for v, q in enumerate(capacities):
        end = routing.End(v)
        remaining.CumulVar(end).SetValue(0)
        solver.Add(remaining.CumulVar(end) + picked.CumulVar(end) <= q)
    top = max(capacities)
    uniform = len(set(capacities)) == 1
    bound = [top, *capacities]  # index 0: a dropped node (VehicleVar -1)
    for index in range(routing.Size()):
        if routing.IsStart(index):
            continue
        if uniform:
            solver.Add(remaining.CumulVar(index) + picked.CumulVar(index) <= top)
            continue
        q = solver.Element(bound, (routing.VehicleVar(index) + 1).Var())
        solver.Add(remaining.CumulVar(index) + picked.CumulVar(index) <= q)


def _precedence(inst: Instance, manager: Any, routing: Any) -> None:
    """Classic backhaul: no customer with a delivery after a customer with a pickup."""
    line = [manager.NodeToIndex(c) for c in inst.customers if inst.delivery[c] > 0]
    back = [c for c in inst.customers if inst.pickup[c] > 0]
    for b in back:
        routing.NextVar(manager.NodeToIndex(b)).RemoveValues(line)
    if any(inst.delivery[c] == 0 and inst.pickup[c] == 0 for c in inst.customers):
        after_backhaul = [1 if inst.pickup[i] > 0 else 0 for i in range(inst.num_nodes)]
        transit = routing.RegisterUnaryTransitVector(after_backhaul)
        routing.AddDimension(transit, 0, len(back), True, "phase")
        phase = routing.GetDimensionOrDie("phase")
        for index in line:
            phase.CumulVar(index).SetMax(0)


def add_time_windows(
    inst: Instance,
    data: _Scaled,
    manager: Any,
    routing: Any,
    transits: list[int],
    hours: list[tuple[float, float]],
) -> None:
    """A "time" dimension whose slack is waiting: vehicle ``v`` runs on the transit callback
    ``transits[v]`` (service at the tail + travel), leaves at ``hours[v][0]`` and, unless
    routes are open, is back by ``hours[v][1]``; every customer is served in its window."""
    routing.AddDimensionWithVehicleTransits(transits, data.horizon, data.horizon, False, "time")
    clock = routing.GetDimensionOrDie("time")
    for c in inst.customers:
        index = manager.NodeToIndex(c)
        clock.CumulVar(index).SetRange(data.early(inst.tw_early[c]), data.late(inst.tw_late[c]))
    for v, (start, deadline) in enumerate(hours):
        leave = data.early(start)
        clock.CumulVar(routing.Start(v)).SetRange(leave, leave)
        if not inst.open:
            clock.CumulVar(routing.End(v)).SetMax(data.late(deadline))
