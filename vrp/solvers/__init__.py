"""Solvers behind one interface (`base.Solver`) and a registry (`registry.get_solver`).

`solve(instance, "auto", time_limit, seed)` is the one call most code needs: it checks that
the engine expresses the instance exactly and that the instance can be feasible, runs the
engine within one `Budget` and scores its routes with `evaluate()`. Engines take their
settings when they are made: ``get_solver("ortools", metaheuristic="gls")``.
"""

from vrp.solvers.base import (
    DEFAULT_WALL_CAP_FACTOR,
    Budget,
    Interrupt,
    Progress,
    Solver,
    SolveResult,
    refusal,
    stop_on_interrupt,
)
from vrp.solvers.registry import base_engine, get_solver, preset_names, solver_names
from vrp.solvers.run import run_solver, solve

__all__ = [
    "base_engine",
    "DEFAULT_WALL_CAP_FACTOR",
    "Budget",
    "Interrupt",
    "Progress",
    "SolveResult",
    "Solver",
    "get_solver",
    "preset_names",
    "refusal",
    "run_solver",
    "solve",
    "solver_names",
    "stop_on_interrupt",
]
