"""The one solver interface: every engine is a `Solver`, every answer a checked `SolveResult`.

An engine returns routes only. `run_solver` times it, and `evaluate()` alone decides the cost
and the feasibility of what it returned: an engine's own objective is never reported.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from vrp.evaluate import Evaluation, evaluate
from vrp.instance import Instance
from vrp.solution import Solution
from vrp.variants import Variant

# progress(elapsed_s, best_cost_or_None) is called from time to time by engines that can.
Progress = Callable[[float, float | None], None]


class Solver(Protocol):
    """An engine behind the registry."""

    name: str

    def unsupported(self, variant: Variant) -> str | None:
        """Why this engine cannot express ``variant`` exactly, or None when it can."""
        ...

    def solve(
        self,
        instance: Instance,
        time_limit: float,
        seed: int = 0,
        progress: Progress | None = None,
    ) -> Solution | None:
        """The best routes found within ``time_limit`` seconds, or None when none were found."""
        ...


@dataclass(frozen=True)
class SolveResult:
    """What a solver run produced, scored by `evaluate`."""

    solver: str
    solution: Solution | None
    evaluation: Evaluation | None
    runtime_s: float
    cpu_s: float

    @property
    def feasible(self) -> bool:
        return self.evaluation is not None and self.evaluation.feasible

    @property
    def cost(self) -> float | None:
        return None if self.evaluation is None else self.evaluation.cost


def run_solver(
    solver: Solver,
    instance: Instance,
    time_limit: float,
    seed: int = 0,
    progress: Progress | None = None,
) -> SolveResult:
    """Run ``solver`` and score its answer with `evaluate`."""
    t0, c0 = time.perf_counter(), time.process_time()
    sol = solver.solve(instance, time_limit, seed, progress)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    ev = None if sol is None else evaluate(instance, sol)
    return SolveResult(solver.name, sol, ev, wall, cpu)
