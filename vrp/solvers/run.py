"""Running an engine: `solve` checks the instance, builds the run's `Budget` and scores the
answer; `run_solver` is the unchecked core, for callers that check for themselves.

Every argument list reads in the same order: instance, solver, budget (or time limit), seed,
progress.
"""

from __future__ import annotations

import time

from vrp.errors import SolverError
from vrp.model.evaluate import evaluate
from vrp.model.instance import Instance
from vrp.solvers.base import (
    DEFAULT_WALL_CAP_FACTOR,
    Budget,
    Interrupt,
    Progress,
    Solver,
    SolveResult,
    refusal,
)
from vrp.solvers.checks import check_numbers, check_solvable
from vrp.solvers.registry import get_solver


def run_solver(
    instance: Instance,
    solver: Solver,
    budget: Budget,
    seed: int = 0,
    progress: Progress | None = None,
) -> SolveResult:
    """Run ``solver`` on ``instance`` within ``budget`` and score its answer with `evaluate`
    (no checks: see `solve`)."""
    t0, c0 = time.perf_counter(), budget.cpu()
    solve_and_name = getattr(solver, "solve_and_name", None)
    if solve_and_name is not None:  # an engine that hands the work on says to whom
        sol, ran = solve_and_name(instance, budget, seed, progress)
        name = f"{solver.name}({ran})"
    else:
        name = solver.name
        sol = solver.solve(instance, budget, seed, progress)
    wall, cpu = time.perf_counter() - t0, budget.cpu() - c0
    ev = None if sol is None else evaluate(instance, sol)
    return SolveResult(name, sol, ev, wall, cpu, budget.interrupted)


def solve(
    instance: Instance,
    solver: str | Solver = "auto",
    time_limit: float = 10.0,
    seed: int = 0,
    progress: Progress | None = None,
    *,
    wall_cap_factor: float = DEFAULT_WALL_CAP_FACTOR,
    interrupt: Interrupt | None = None,
) -> SolveResult:
    """Solve ``instance`` with a registered engine (by name) or a `Solver`, checked first.

    The run gets ``time_limit`` CPU seconds, capped at ``wall_cap_factor`` times that in wall
    seconds, and stops early with its best routes when ``interrupt`` is requested (pass the
    one `stop_on_interrupt` yields to let Ctrl-C do it).

    Raises:
        InputError: an unknown solver name, a time limit that is not positive, distances
            that overflow (`vrp.solvers.checks.check_numbers`), or an instance that no route
            plan can satisfy (`vrp.solvers.checks.check_solvable`).
        SolverError: the engine cannot express the instance's rules exactly.
    """
    engine = get_solver(solver) if isinstance(solver, str) else solver
    check_numbers(instance)
    reason = refusal(engine, instance)
    if reason is not None:
        raise SolverError(f"{engine.name} cannot solve {instance.variant.name}: {reason}")
    check_solvable(instance)
    budget = Budget(time_limit, wall_cap_factor, interrupt)
    return run_solver(instance, engine, budget, seed, progress)
