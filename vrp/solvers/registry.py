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


_PRESETS: dict[str, tuple[str, dict[str, Any]]] = {
    "neural-greedy": ("neural", {"temperature": None}),
}
"""Names of a registered engine with some settings fixed: ``neural-greedy`` is the neural
solver without sampling rounds (the greedy decodes alone, as the gap tables measure it).
`get_solver` makes them; `solver_names` does not list them (`vrp variants` shows their engine)."""


def solver_names() -> list[str]:
    """Names of the registered solvers."""
    return list(_ENGINES)


def preset_names() -> list[str]:
    """Names of the presets (`_PRESETS`), which `get_solver` takes as well."""
    return list(_PRESETS)


def base_engine(name: str) -> str:
    """The registered engine behind ``name``: a preset's engine, else ``name`` itself."""
    return _PRESETS[name][0] if name in _PRESETS else name


def get_solver(name: str, **settings: Any) -> Solver:
    """The engine ``name``, made with ``settings`` (its constructor's keyword arguments,
    e.g. ``get_solver("neural", checkpoint=path)``).

    Raises:
        InputError: an unknown solver, or a setting that the engine does not have.
    """
    if name in _PRESETS:
        engine, fixed = _PRESETS[name]
        return get_solver(engine, **{**fixed, **settings})
    try:
        module, cls_name = _ENGINES[name]
    except KeyError:
        names = ", ".join([*_ENGINES, *_PRESETS])
        raise InputError(
            f"unknown solver {name!r}; choose from {names}", field="--solver"
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
