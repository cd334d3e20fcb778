"""HGS-CVRP (Vidal 2022), the original hybrid genetic search, through ``hygese`` 0.1.0.

It solves the plain capacitated problem only: one depot, deliveries, closed routes, a
symmetric distance matrix. Our matrix goes in as it is (HGS works in doubles, so nothing is
rounded). The time limit is HGS-CVRP's own, in CPU seconds of this process (its ``clock()``);
it cannot be stopped from outside, so there is no wall cap and Ctrl-C is only noticed once it
returns. It runs in a helper thread so that progress can be shown meanwhile (elapsed time
only: HGS reports nothing until the end).
"""

from __future__ import annotations

import threading

import numpy as np

from vrp.errors import SolverError
from vrp.model.instance import Instance
from vrp.model.solution import Route, Solution
from vrp.model.variants import Variant
from vrp.solvers.base import Budget, Progress

_POLL_S = 0.25


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
        if missing:
            return "HGS-CVRP solves CVRP only; it has no " + ", ".join(missing)
        return None

    def unsupported_instance(self, instance: Instance) -> str | None:
        d = instance.distances
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
        import hygese

        n = instance.num_nodes
        data = {
            "distance_matrix": np.ascontiguousarray(instance.distances, dtype=np.float64),
            "demands": np.asarray(instance.delivery, dtype=np.float64),
            "vehicle_capacity": float(instance.capacity),
            # HGS's default fleet, ceil(1.3 * demand / Q) + 3, can be too small; n - 1 never is.
            "num_vehicles": instance.vehicle_count or n - 1,
            "depot": 0,
        }
        if instance.locations is not None:
            # Used only for the polar sectors of SWAP*; HGS wants them non-negative.
            loc = instance.locations - instance.locations.min(axis=0)
            data["x_coordinates"], data["y_coordinates"] = loc[:, 0], loc[:, 1]
        params = hygese.AlgorithmParameters(timeLimit=budget.time_limit, seed=int(seed))
        engine = hygese.Solver(parameters=params, verbose=False)

        box: dict[str, object] = {}

        def work() -> None:
            try:
                box["result"] = engine.solve_cvrp(data)
            except BaseException as e:  # re-raised in the calling thread
                box["error"] = e

        thread = threading.Thread(target=work, name="hgs", daemon=True)
        thread.start()
        while thread.is_alive():
            thread.join(_POLL_S)
            if progress is not None and thread.is_alive():
                progress(budget.elapsed(), None)
        if "error" in box:
            raise box["error"]  # type: ignore[misc]
        result = box["result"]
        routes = [Route(0, r) for r in result.routes if r]  # type: ignore[attr-defined]
        if not routes or result.cost == float("inf"):  # type: ignore[attr-defined]
            return None
        return Solution(routes)
