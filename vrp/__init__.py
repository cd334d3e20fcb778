"""vrp: vehicle routing problems in 48 variants — model, referee, generators and solvers.

The table of contents:

- `Instance` (vrp.instance): the immutable problem, validated once.
- `Solution`, `Route` (vrp.solution): routes only.
- `evaluate` (vrp.evaluate): the only code that computes cost and feasibility.
- `read_instance`, `write_instance`, `read_solution`, `write_solution` (vrp.io).
- `Variant`, `parse_variant`, `all_variants` (vrp.variants).
"""

from vrp.errors import InputError, SolverError
from vrp.evaluate import Evaluation, Violation, evaluate
from vrp.instance import Instance
from vrp.io import read_instance, read_solution, write_instance, write_solution
from vrp.solution import Route, Solution
from vrp.variants import Variant, all_variants, parse_variant

__all__ = [
    "Evaluation",
    "InputError",
    "Instance",
    "Route",
    "Solution",
    "SolverError",
    "Variant",
    "Violation",
    "all_variants",
    "evaluate",
    "parse_variant",
    "read_instance",
    "read_solution",
    "write_instance",
    "write_solution",
]
