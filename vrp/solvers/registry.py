"""The solver registry: names -> engines, imported only when asked for.

Engine modules must import their heavy library (pyvrp, ortools, hygese, torch) inside
`solve`, so that building a solver object and asking `unsupported()` stays instant.
"""

from __future__ import annotations

import importlib

from vrp.errors import InputError
from vrp.solvers.base import Solver

# name -> (module, class). Order is the order shown by `vrp variants`.
_ENGINES: dict[str, tuple[str, str]] = {
    "auto": ("vrp.solvers.auto", "AutoSolver"),
    "pyvrp": ("vrp.solvers.pyvrp", "PyVRPSolver"),
    "hgs": ("vrp.solvers.hgs", "HGSSolver"),
    "ortools": ("vrp.solvers.ortools", "ORToolsSolver"),
    "neural": ("vrp.solvers.neural", "NeuralSolver"),
}


def solver_names() -> list[str]:
    """Names of the registered solvers."""
    return list(_ENGINES)


def get_solver(name: str) -> Solver:
    """A solver by name; `InputError` for an unknown one."""
    try:
        module, cls = _ENGINES[name]
    except KeyError:
        raise InputError(
            f"unknown solver {name!r}; choose from {', '.join(_ENGINES)}", field="--solver"
        ) from None
    return getattr(importlib.import_module(module), cls)()
