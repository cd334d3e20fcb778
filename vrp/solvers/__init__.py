"""Solvers behind one interface (`base.Solver`) and a registry (`registry.get_solver`)."""

from vrp.solvers.base import SolveResult, Solver, run_solver
from vrp.solvers.registry import get_solver, solver_names

__all__ = ["SolveResult", "Solver", "get_solver", "run_solver", "solver_names"]
