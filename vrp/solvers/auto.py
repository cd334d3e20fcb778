"""`auto`: the engine that did best on measurements for this kind of instance and budget.

The rule (measurements in docs/solvers.md, made with scripts/compare_engines.py):

1. HGS-CVRP (`hgs`) for plain CVRP (one depot, symmetric matrix) up to
   ``HGS_MAX_CUSTOMERS`` customers: on generated CVRP it had the lower mean cost at n = 100
   and 200 at every limit measured (1 to 30 s) and at n = 300 at 2 and 30 s (PyVRP at 10 s);
   on X instances at 60 s it won at 280, 322 and 439 customers and lost at 573. PyVRP tied
   or won on generated CVRP from n = 500 and won at n = 1000 (by about 2% at 5, 30, 60 s).
2. PyVRP (`pyvrp`) for every other instance it expresses exactly: it was ahead of OR-Tools
   on every variant of the 48-variant sweep.
3. OR-Tools (`ortools`) where PyVRP cannot express the instance (a fleet count shared by
   several depots, classic backhaul with a customer of neither kind).

`choose` gives the engine's name without solving; a result says which engine ran, e.g.
``auto(hgs)`` (`vrp.solvers.base.run_name`).
"""

from __future__ import annotations

from vrp.errors import SolverError
from vrp.model.instance import Instance
from vrp.model.solution import Solution
from vrp.model.variants import Variant
from vrp.solvers.base import Budget, Progress, Solver, refusal
from vrp.solvers.registry import get_solver, solver_names

HGS_MAX_CUSTOMERS = 450
_ORDER = ("hgs", "pyvrp", "ortools")


def _engine(name: str) -> Solver | None:
    return get_solver(name) if name in solver_names() else None


def _hgs_fits(instance: Instance, time_limit: float) -> bool:
    # The measurements show no clear effect of the time limit on the crossover (n = 300
    # went both ways), so the size alone decides.
    return instance.num_customers <= HGS_MAX_CUSTOMERS


class AutoSolver:
    """Picks an engine per instance and time limit (module docstring), then runs it."""

    name = "auto"

    def unsupported(self, variant: Variant) -> str | None:
        reasons = []
        for name in _ORDER:
            engine = _engine(name)
            if engine is not None:
                reason = engine.unsupported(variant)
                if reason is None:
                    return None
                reasons.append(f"{name}: {reason}")
        return "no engine supports it (" + "; ".join(reasons) + ")"

    def unsupported_instance(self, instance: Instance) -> str | None:
        try:
            self.choose(instance, time_limit=float("inf"))
        except SolverError as e:
            return str(e)
        return None

    def choose(self, instance: Instance, time_limit: float) -> str:
        """The engine `auto` runs for ``instance`` with ``time_limit`` seconds."""
        reasons = []
        for name in _ORDER:
            engine = _engine(name)
            if engine is None:
                continue
            reason = refusal(engine, instance)
            if reason is None and name == "hgs" and not _hgs_fits(instance, time_limit):
                reason = f"{instance.num_customers} customers > {HGS_MAX_CUSTOMERS}"
            if reason is None:
                return name
            reasons.append(f"{name}: {reason}")
        raise SolverError("no engine can solve this instance exactly (" + "; ".join(reasons) + ")")

    def solve(
        self,
        instance: Instance,
        budget: Budget,
        seed: int = 0,
        progress: Progress | None = None,
    ) -> Solution | None:
        engine = _engine(self.choose(instance, budget.time_limit))
        assert engine is not None  # choose() returned a registered name
        return engine.solve(instance, budget, seed, progress)
