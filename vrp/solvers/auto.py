"""`auto`: the engine that did best on measurements for this kind of instance and budget.

The rule (measurements in docs/solvers.md; `vrp benchmark` measures it again):

1. HGS-CVRP (`hgs`) for plain CVRP (one depot, symmetric matrix) up to
   ``HGS_MAX_CUSTOMERS`` customers: on generated CVRP it had the lower mean cost at n = 100
   and 200 at every limit measured (1 to 30 s) and at n = 300 at 2 and 30 s (PyVRP at 10 s);
   on X instances at 60 s it won at 280, 322 and 439 customers and lost at 573. PyVRP tied
   or won on generated CVRP from n = 500 and won at n = 1000 (by about 2% at 5, 30, 60 s).
2. PyVRP (`pyvrp`) for every other instance it expresses exactly: it was ahead of OR-Tools
   on every variant of the 48-variant sweep. Fleets (the ``h`` variants) come here too, on
   few runs so far: X101-FSMFD and X110-HD at 2 CPU s, 1.95 % above the BKS on average
   against OR-Tools' 5.55 %, and never worse on six generated fleet instances (n = 20).
3. OR-Tools (`ortools`) where PyVRP cannot express the instance (a fleet count shared by
   several depots, classic backhaul with a customer of neither kind).

`choose` gives the engine's name without solving; a result says which engine ran, e.g.
``auto(hgs)`` (`solve_and_name`, which `vrp.solvers.run` asks).

**Fallback.** When the chosen engine fails (any exception but Ctrl-C's), returns nothing or
returns a plan that `evaluate()` finds infeasible, the next engine of the order above that
can express the instance runs in what is left of the same budget (none when the budget is
spent or Ctrl-C was pressed). The result says so in one line:
``auto(pyvrp after hgs failed: TypeError: The solution pointer is null.)``.
"""

from __future__ import annotations

from vrp.errors import SolverError
from vrp.model.evaluate import evaluate
from vrp.model.instance import Instance
from vrp.model.solution import Solution
from vrp.model.variants import Variant
from vrp.solvers.base import Budget, Progress, Solver, refusal
from vrp.solvers.registry import get_solver, solver_names

HGS_MAX_CUSTOMERS = 450
_ORDER = ("hgs", "pyvrp", "ortools")
_REASON_CHARS = 100  # of an engine's failure, in the result's label


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
        return self.solve_and_name(instance, budget, seed, progress)[0]

    def solve_and_name(
        self,
        instance: Instance,
        budget: Budget,
        seed: int = 0,
        progress: Progress | None = None,
    ) -> tuple[Solution | None, str]:
        """The routes, and what ran: ``hgs``, or ``pyvrp after hgs failed: ...`` when the
        chosen engine failed and the next one answered (module docstring)."""
        chosen = self.choose(instance, budget.time_limit)
        order = [chosen] + [
            name
            for name in _ORDER
            if name != chosen and (e := _engine(name)) is not None and refusal(e, instance) is None
        ]
        notes: list[str] = []
        kept: tuple[str, Solution] | None = None  # an infeasible plan, the last resort
        ran = chosen
        for name in order:
            if notes and budget.expired():
                break
            engine = _engine(name)
            assert engine is not None  # choose() and refusal() saw it registered
            ran = name
            try:
                sol = engine.solve(instance, budget, seed, progress)
            except Exception as e:  # any engine failure: the next engine runs
                notes.append(f"{name} failed: {_one_line(e)}")
                continue
            if sol is None:
                notes.append(f"{name} found no plan")
            elif evaluate(instance, sol).feasible:
                return sol, _label(name, notes)
            else:
                notes.append(f"{name} returned an infeasible plan")
                kept = kept or (name, sol)
        if kept is not None:
            return kept[1], _label(kept[0], [n for n in notes if not n.startswith(kept[0])])
        return None, _label(ran, notes[:-1] if notes and notes[-1].startswith(ran) else notes)


def _one_line(e: Exception) -> str:
    text = " ".join(str(e).split())
    text = f"{type(e).__name__}: {text}" if not isinstance(e, SolverError) else text
    if len(text) > _REASON_CHARS:
        text = text[: _REASON_CHARS - 3] + "..."
    return text


def _label(name: str, notes: list[str]) -> str:
    return name if not notes else f"{name} after {'; '.join(notes)}"
