"""Solvers behind one interface (`base.Solver`) and a registry (`registry.get_solver`).

`solve(instance, "auto", time_limit, seed)` is the one call most code needs: it checks that
the engine expresses the instance exactly and that the instance can be feasible, runs the
engine and scores its routes with `evaluate()`.
"""

from vrp.solvers.base import Solver, SolveResult, run_solver, solve
from vrp.solvers.registry import get_solver, solver_names

__all__ = ["SolveResult", "Solver", "get_solver", "run_solver", "solve", "solver_names"]
