"""The solver registry: names -> engines, imported only when asked for.

Engine modules must import their heavy library (pyvrp, ortools, hygese, torch) inside
`solve`, so that building a solver object and asking `unsupported()` stays instant.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

from vrp.errors import InputError
from vrp.solvers.base import Solver

# name -> (module, class). Order is the order shown by `vrp variants`.
_ENGINES: dict[str, tuple[str, str]] = {
    "auto": ("vrp.solvers.auto", "AutoSolver"),
    "pyvrp": ("vrp.solvers.pyvrp", "PyVRPSolver"),
    "hgs": ("vrp.solvers.hgs", "HGSSolver"),
    "ortools": ("vrp.solvers.ortools", "ORToolsSolver"),
    "neural": ("vrp.solvers.neural", "NeuralSolver"),
    "neural+pyvrp": ("vrp.solvers.hybrid", "NeuralPyVRPSolver"),
}


def solver_names() -> list[str]:
    """Names of the registered solvers."""
    return list(_ENGINES)


def get_solver(name: str, **settings: Any) -> Solver:
    """The engine ``name``, made with ``settings`` (its constructor's keyword arguments,
    e.g. ``get_solver("neural", checkpoint=path)``).

    Raises:
        InputError: an unknown solver, or a setting that the engine does not have.
    """
    try:
        module, cls_name = _ENGINES[name]
    except KeyError:
        raise InputError(
            f"unknown solver {name!r}; choose from {', '.join(_ENGINES)}", field="--solver"
        ) from None
    cls = getattr(importlib.import_module(module), cls_name)
    known = _settings(cls)
    for key in settings:
        if key not in known:
            have = f"its settings: {', '.join(known)}" if known else "it has no settings"
            raise InputError(f"solver {name!r} has no setting {key!r} ({have})")
    return cls(**settings)


def _settings(cls: type) -> list[str]:
    """The keyword arguments an engine class takes."""
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    params = inspect.signature(cls).parameters.values()
    return [p.name for p in params if p.kind in kinds]
