"""OR-Tools routing for instances with a fleet of vehicle types (FORMAT.md rules 7-9), exactly.

`vrp.solvers.ortools` builds this model instead of its own when the instance has a fleet;
search, budget, seeds and integer rounding are the same (see its module doc). Per vehicle
type, rule by rule:

- vehicles: each type gets vehicles at each depot it may use: its ``count`` when that can
  bind, else as many as `vrp.solvers.ortools.MAX_FREE_FLEET` shared by the types (never
  fewer than three times the type's load lower bound, never more than the customers it may
  serve). A count shared by several depots limits the active vehicles of the type over all
  of them (a sum of ``ActiveVehicleVar``). A count makes customers droppable at a penalty,
  as ``vehicles.count`` does.
- rule 9: one arc cost matrix per distinct ``distance_cost`` (``SetArcCostEvaluatorOfVehicle``)
  and ``fixed_cost`` as each vehicle's fixed cost.
- capacity: per-vehicle capacities on every load dimension; mixed backhaul bounds the load at
  each node by the capacity of the vehicle that visits it (an ``Element`` on ``VehicleVar``).
- ``max_distance``: a distance dimension with per-vehicle capacities.
- time: one transit matrix per distinct ``duration_factor`` (``AddDimensionWithVehicleTransits``);
  a vehicle leaves at max(depot earliest, shift start) and, unless open, ends by min(depot
  latest, shift end).
- rule 8: the vehicles of the types a customer does not allow are removed from its
  ``VehicleVar``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from vrp.model.instance import Instance
from vrp.solvers.ortools_common import (
    _DROP_PENALTY,
    INT_BOUND,
    MAX_FREE_FLEET,
    _down,
    _power_of_ten,
    _Scaled,
    _up,
    add_loads,
    add_time_windows,
    scaled_loads,
)


@dataclass(frozen=True)
class Vehicles:
    """The OR-Tools vehicles of a fleet: the depot and the type (index in the fleet) of each."""

    depots: list[int]
    types: list[int]


@dataclass(frozen=True)
class FleetScaled:
    """What a fleet adds to `_Scaled`: per-type integers (see `fleet_scale`)."""

    costs: dict[float, list[list[int]]]  # arc costs by distance_cost, to the nearest
    times: dict[float, list[list[int]]] | None  # service + travel by duration_factor, up
    capacity: list[int]  # per type, down
    fixed: list[int]  # per type, to the nearest
    max_distance: list[int]  # per type, down (a bound no route reaches when it has none)


def vehicles(inst: Instance) -> Vehicles:
    """The vehicles of each type at each depot it may use (module doc)."""
    assert inst.allowed is not None
    depots: list[int] = []
    types: list[int] = []
    share = math.ceil(MAX_FREE_FLEET / len(inst.fleet))
    for t, vtype in enumerate(inst.fleet):
        served = inst.allowed[inst.num_depots :, t]
        cust = np.flatnonzero(served) + inst.num_depots
        load = max(float(inst.delivery[cust].sum()), float(inst.pickup[cust].sum()))
        free = min(len(cust), max(share, 3 * math.ceil(load / vtype.capacity)))
        if vtype.count is not None and vtype.count < len(cust):
            per_depot = vtype.count
        else:
            per_depot = free
        for d in inst.type_depot_nodes(t):
            depots += [d] * per_depot
            types += [t] * per_depot
    return Vehicles(depots, types)


def fleet_scale(inst: Instance) -> tuple[_Scaled, FleetScaled]:
    """The instance in OR-Tools integers, as `vrp.solvers.ortools._scale` but per type."""
    D, n = inst.num_depots, inst.num_nodes
    dist, dur = inst.distances, inst.durations
    fleet = inst.fleet
    factor = max(t.duration_factor for t in fleet)
    unit = max(1.0, max(t.distance_cost for t in fleet))
    fixed = max(t.fixed_cost for t in fleet)
    magnitude = float(dist.max(axis=1).sum()) * unit + fixed
    origin, top = 0.0, 0.0
    if inst.has_time_windows:
        shifts = np.array([x for t in fleet if t.shift is not None for x in t.shift], dtype=float)
        windows = np.concatenate([inst.tw_early, inst.tw_late, shifts])
        finite = windows[np.isfinite(windows)]
        origin = min(0.0, float(finite.min()))
        starts = np.array([t.shift[0] for t in fleet if t.shift is not None], dtype=float)
        earliest = np.concatenate([inst.tw_early[np.isfinite(inst.tw_early)], starts])
        start = max(0.0, float(earliest.max())) if earliest.size else 0.0
        top = start - origin + float((dur.max(axis=1) * factor + inst.service_time).sum())
        magnitude = max(magnitude, top)
    scale = _power_of_ten(magnitude)

    def open_zero(m: np.ndarray) -> list[list[int]]:
        if inst.open:
            m[:, :D] = 0
        return m.astype(np.int64).tolist()

    costs = {
        c: open_zero(np.rint(dist * c * scale)) for c in sorted({t.distance_cost for t in fleet})
    }
    times = None
    if inst.has_time_windows:
        times = {
            f: open_zero(_up(dur * f + inst.service_time[:, None], scale))
            for f in sorted({t.duration_factor for t in fleet})
        }
    dist_m = open_zero(_up(dist, scale)) if inst.has_distance_limit else None
    horizon = int(math.ceil(top * scale)) + n + 1
    no_limit = 2 * INT_BOUND
    limits = [
        no_limit if t.max_distance is None else int(min(_down(t.max_distance, scale), no_limit))
        for t in fleet
    ]
    delivery, pickup, capacity = scaled_loads(inst, [t.capacity for t in fleet])
    base = _Scaled(
        scale=scale,
        origin=origin,
        horizon=horizon,
        cost=costs[max(costs)],
        time=None,
        dist=dist_m,
        max_distance=max(limits),
        delivery=delivery,
        pickup=pickup,
        capacity=max(capacity),
    )
    extra = FleetScaled(
        costs=costs,
        times=times,
        capacity=capacity,
        fixed=[int(round(t.fixed_cost * scale)) for t in fleet],
        max_distance=limits,
    )
    return base, extra


def droppable(inst: Instance, data: _Scaled, extra: FleetScaled, manager: Any, routing: Any):
    """With a count on some type, every customer may be dropped at a penalty (as with
    ``vehicles.count``): more than serving it on a route of its own can cost."""
    if all(t.count is None for t in inst.fleet):
        return None
    longest = max(max(max(row) for row in m) for m in extra.costs.values())
    penalty = _DROP_PENALTY * max(1, longest) + max(extra.fixed)
    for c in inst.customers:
        routing.AddDisjunction([manager.NodeToIndex(c)], penalty)
    return penalty


def fleet_model(
    inst: Instance,
    data: _Scaled,
    extra: FleetScaled,
    fleet: Vehicles,
    manager: Any,
    routing: Any,
) -> None:
    """Add the arc costs, fixed costs and every constraint of ``inst`` to ``routing``."""
    assert inst.allowed is not None
    solver = routing.solver()
    types = fleet.types
    vehicles_of = [[v for v, t in enumerate(types) if t == k] for k in range(len(inst.fleet))]
    evaluators = {c: routing.RegisterTransitMatrix(m) for c, m in extra.costs.items()}
    for v, t in enumerate(types):
        routing.SetArcCostEvaluatorOfVehicle(evaluators[inst.fleet[t].distance_cost], v)
        routing.SetFixedCostOfVehicle(extra.fixed[t], v)
    for t, vtype in enumerate(inst.fleet):
        if vtype.count is not None and len(vehicles_of[t]) > vtype.count:
            active = [routing.ActiveVehicleVar(v) for v in vehicles_of[t]]
            solver.Add(solver.Sum(active) <= vtype.count)
    for c in inst.customers:
        if not inst.allowed[c].all():
            barred = [v for v, t in enumerate(types) if not inst.allowed[c, t]]
            routing.VehicleVar(manager.NodeToIndex(c)).RemoveValues(barred)

    add_loads(inst, data, manager, routing, [extra.capacity[t] for t in types])

    if data.dist is not None:
        transit = routing.RegisterTransitMatrix(data.dist)
        limits = [extra.max_distance[t] for t in types]
        routing.AddDimensionWithVehicleCapacity(transit, 0, limits, True, "distance")

    if extra.times is not None:
        by_factor = {f: routing.RegisterTransitMatrix(m) for f, m in extra.times.items()}
        transits = [by_factor[inst.fleet[t].duration_factor] for t in types]
        hours = [
            (inst.type_start(t, d), inst.type_deadline(t, d))
            for t, d in zip(types, fleet.depots, strict=True)
        ]
        add_time_windows(inst, data, manager, routing, transits, hours)
