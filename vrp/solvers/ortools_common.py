"""What the two OR-Tools models share (`vrp.solvers.ortools` for one kind of vehicle,
`vrp.solvers.ortools_fleet` for fleets): the instance in OR-Tools integers (`_Scaled`,
rounded up or down as each use needs) and the classic-backhaul precedence."""

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
