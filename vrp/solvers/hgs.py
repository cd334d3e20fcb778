"""HGS-CVRP (Vidal 2022), the original hybrid genetic search, through ``hygese`` 0.1.0.

It solves the plain capacitated problem only: one depot, deliveries, closed routes, a
symmetric distance matrix.

**Scale.** HGS-CVRP refuses a largest distance or demand outside [0.1, 1e5] (Python then sees
``TypeError: The solution pointer is null``) and calls a capacity excess below 1e-5 feasible.
So distances and demands are multiplied by powers of two (exact in floating point: every
comparison HGS makes is the one it would make on our numbers) that put the largest of each in
``[2^15, 2^16)``, where 1e-5 is below `evaluate()`'s relative tolerance. All-zero demands
become one unit each in a vehicle that holds them all, and an all-zero matrix becomes one
unit per arc (every plan then costs 0, so any is optimal). Coordinates, used only for the
polar sectors of SWAP*, are scaled alike and shifted to be non-negative. A one-customer
instance (on which HGS-CVRP's crossover loops forever) has one plan, returned directly.
Non-finite distances are refused.

**Stopping.** HGS-CVRP cannot be stopped from Python and keeps only its own CPU limit, so it
runs in a child process (`vrp.solvers.child`) that the budget's wall cap and Ctrl-C end. As
it reports nothing until it returns, the child runs it twice: a short first run
(`FIRST_RUN_SHARE` of the limit, at most `FIRST_RUN_MAX_S`), whose plan is what a run cut
short returns, then the rest of the limit; the better plan wins.
"""

from __future__ import annotations

import math

import numpy as np

from vrp.errors import SolverError
from vrp.model.instance import Instance
from vrp.model.solution import Route, Solution
from vrp.model.variants import Variant
from vrp.solvers.base import Budget, Progress, one_customer_plan
from vrp.solvers.child import Emit, run_in_child

FIRST_RUN_SHARE = 0.05
FIRST_RUN_MAX_S = 0.5
"""The first, short HGS run takes `FIRST_RUN_SHARE` of the CPU limit, at most
`FIRST_RUN_MAX_S`: its plan is the answer if the run is cut short (wall cap, Ctrl-C) before
the main run returns."""
MIN_RUN_S = 0.01
_TOP = 2.0**15  # largest distance and demand land in [2^15, 2^16)


class HGSSolver:
    """HGS-CVRP on CVRP instances (single depot, no pickups, closed routes, no L or TW)."""

    name = "hgs"

    def unsupported(self, variant: Variant) -> str | None:
        missing = []
        if variant.multi_depot:
            missing.append("several depots")
        if variant.open:
            missing.append("open routes")
        if variant.backhaul != "none":
            missing.append("backhauls")
        if variant.distance_limit:
            missing.append("a distance limit")
        if variant.time_windows:
            missing.append("time windows")
        if variant.fleet:
            missing.append("vehicle types (a fleet)")
        if missing:
            return "HGS-CVRP solves CVRP only; it has no " + ", ".join(missing)
        return None

    def unsupported_instance(self, instance: Instance) -> str | None:
        d = instance.distances
        if not np.isfinite(d).all():
            return "some distances are not finite numbers"
        if not np.allclose(d, d.T, rtol=1e-12, atol=0.0):
            return "HGS-CVRP assumes a symmetric distance matrix"
        return None

    def solve(
        self,
        instance: Instance,
        budget: Budget,
        seed: int = 0,
        progress: Progress | None = None,
    ) -> Solution | None:
        reason = self.unsupported(instance.variant) or self.unsupported_instance(instance)
        if reason is not None:
            raise SolverError(f"hgs cannot solve this instance: {reason}")
        if instance.num_customers == 1:
            return one_customer_plan(instance)
        import hygese  # noqa: F401  (imported here, not in the child: no import after fork)

        return run_in_child(_work, (hgs_data(instance), int(seed)), budget, progress)


def _power_of_two(largest: float) -> float:
    """2^k putting ``largest`` (> 0, finite) in ``[_TOP, 2 _TOP)``."""
    return math.ldexp(1.0, math.floor(math.log2(_TOP)) - math.floor(math.log2(largest)))


def hgs_data(inst: Instance) -> dict[str, object]:
    """``inst`` as hygese's ``solve_cvrp`` data, scaled into HGS-CVRP's range (module doc);
    ``"scale"`` is the distance factor, to report costs in our units."""
    n = inst.num_nodes
    dist = np.ascontiguousarray(inst.distances, dtype=np.float64)
    largest = float(dist.max())
    if largest > 0:
        scale = _power_of_two(largest)
        dist = dist * scale
    else:
        scale = 1.0
        dist = np.ones((n, n)) - np.eye(n)
    demand = np.asarray(inst.delivery, dtype=np.float64)
    capacity = float(inst.capacity)
    if demand.max() > 0:
        q = _power_of_two(float(demand.max()))
        demand, capacity = demand * q, capacity * q
    else:
        demand = np.r_[0.0, np.ones(n - 1)]
        capacity = float(n - 1)
    data: dict[str, object] = {
        "distance_matrix": dist,
        "demands": demand,
        "vehicle_capacity": capacity,
        # HGS's default fleet, ceil(1.3 * demand / Q) + 3, can be too small; n - 1 never is.
        "num_vehicles": inst.vehicle_count or n - 1,
        "depot": 0,
        "scale": scale,
    }
    loc = inst.locations
    if loc is not None and np.isfinite(loc).all():
        # Used only for the polar sectors of SWAP*: angles do not change with a common scale.
        span = float(np.abs(loc).max())
        if span > 0:
            loc = loc * math.ldexp(1.0, -math.frexp(span)[1])
        loc = loc - loc.min(axis=0)
        data["x_coordinates"], data["y_coordinates"] = loc[:, 0], loc[:, 1]
    return data


def _work(budget: Budget, emit: Emit, data: dict[str, object], seed: int) -> None:
    """In the child: a short HGS run, then one with the rest of the CPU limit."""
    import hygese

    hgs_input = {k: v for k, v in data.items() if k != "scale"}
    scale = float(data["scale"])  # type: ignore[arg-type]
    best = math.inf
    first = max(MIN_RUN_S, min(FIRST_RUN_MAX_S, FIRST_RUN_SHARE * budget.time_limit))
    for run in range(2):
        # the main run's limit is what is left after the first run (not before it: the two
        # then took the limit and the first run's share, and the main run was cut off)
        limit = first if run == 0 else budget.time_limit - budget.cpu()
        if limit < MIN_RUN_S:
            break
        params = hygese.AlgorithmParameters(timeLimit=limit, seed=seed)
        try:
            result = hygese.Solver(parameters=params, verbose=False).solve_cvrp(hgs_input)
        except TypeError as e:  # a null solution: HGS found no feasible plan in this run
            if "null" not in str(e):
                raise
            continue
        routes = [Route(0, r) for r in result.routes if r]
        cost = result.cost / scale
        if routes and math.isfinite(cost) and cost < best:
            best = cost
            emit(cost, Solution(routes))
