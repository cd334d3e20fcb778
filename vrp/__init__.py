"""vrp: vehicle routing problems in 96 variants — model, referee, generators and solvers.

The table of contents:

- `Instance` (vrp.model.instance): the immutable problem, validated once.
- `VehicleType` (vrp.model.fleet): one type of an instance's optional fleet.
- `Solution`, `Route` (vrp.model.solution): routes only.
- `evaluate`, `Evaluation`, `Violation` (vrp.model.evaluate): the only code that computes cost
  and feasibility.
- `read_instance`, `write_instance`, `read_solution`, `write_solution` (vrp.formats.io).
- `Variant`, `parse_variant`, `all_variants` (vrp.model.variants).
- `InputError`, `SolverError` (vrp.errors).

Each name is imported on first use (PEP 562), so ``import vrp`` (which every ``import
vrp.x`` runs first) stays light: `vrp --help` must not pay for numpy.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from vrp.errors import InputError, SolverError

if TYPE_CHECKING:
    from vrp.formats.io import read_instance, read_solution, write_instance, write_solution
    from vrp.model.evaluate import Evaluation, Violation, evaluate
    from vrp.model.fleet import VehicleType
    from vrp.model.instance import Instance
    from vrp.model.solution import Route, Solution
    from vrp.model.variants import Variant, all_variants, parse_variant

# name -> the module that defines it
_WHERE = {
    "read_instance": "vrp.formats.io",
    "read_solution": "vrp.formats.io",
    "write_instance": "vrp.formats.io",
    "write_solution": "vrp.formats.io",
    "Evaluation": "vrp.model.evaluate",
    "Violation": "vrp.model.evaluate",
    "evaluate": "vrp.model.evaluate",
    "Instance": "vrp.model.instance",
    "Route": "vrp.model.solution",
    "Solution": "vrp.model.solution",
    "Variant": "vrp.model.variants",
    "VehicleType": "vrp.model.fleet",
    "all_variants": "vrp.model.variants",
    "parse_variant": "vrp.model.variants",
}

__all__ = [
    "Evaluation",
    "InputError",
    "Instance",
    "Route",
    "Solution",
    "SolverError",
    "Variant",
    "VehicleType",
    "Violation",
    "all_variants",
    "evaluate",
    "parse_variant",
    "read_instance",
    "read_solution",
    "write_instance",
    "write_solution",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'vrp' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # once imported, an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
