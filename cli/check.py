"""`vrp check instance.json solution.json`: cost, feasibility and every violated rule.

Besides the rules of FORMAT.md, the solution file's own claims are checked: a stated ``cost``
that differs from the recomputed one (relative 1e-6) and an ``instance`` name that differs
from the instance's (when the instance states its name) are violations too. Either file may
be ``-`` (stdin, JSON). A benchmark solution (``Route #1: ...`` lines and a ``Cost`` line, the
``.sol`` files of CVRPLIB) is read as ``vrp convert --solution`` reads it; its stated cost
follows the set's distance convention, so a different one is a warning, not a violation.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated, Any

import typer

from cli.shell import is_stdio, load_json_arg, read_instance_arg
from vrp.errors import InputError

COST_RTOL = 1e-6
"""A stated cost within this relative difference of the recomputed one is the same cost (the
solution writer keeps 12 significant digits)."""


def _states_name(path: Path) -> bool:
    """Whether the instance file states its name (a JSON file without ``name`` is named after
    the file, so another file name is no contradiction)."""
    if path.suffix.lower() != ".json":
        return True  # VRPLIB and Solomon files carry their name
    data = load_json_arg(path)
    return isinstance(data, dict) and isinstance(data.get("name"), str)


def false_claims(data: Any, inst_name: str, cost: float, name_stated: bool) -> list[str]:
    """The solution file's stated ``cost`` and ``instance`` where they contradict the routes
    and the instance, as violation lines."""
    out = []
    stated = data.get("cost") if isinstance(data, dict) else None
    if isinstance(stated, int | float) and not isinstance(stated, bool):
        if not math.isclose(stated, cost, rel_tol=COST_RTOL, abs_tol=1e-12):
            out.append(f"[stated-cost] the file states {stated:.10g}, the routes cost {cost:.10g}")
    named = data.get("instance") if isinstance(data, dict) else None
    if name_stated and isinstance(named, str) and named and named != inst_name:
        out.append(f"[instance] the solution is for instance {named!r}, this one is {inst_name!r}")
    return out


def _is_route_list(path: Path) -> bool:
    """Whether ``path`` is a benchmark solution (``Route #1: ...``), not JSON."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4096).lstrip()
    except OSError:
        return False  # load_json_arg names the problem
    return head[:5].lower() == b"route"


def check(
    instance: Annotated[
        Path, typer.Argument(help="Instance file (JSON, VRPLIB or Solomon); '-': JSON on stdin.")
    ],
    solution: Annotated[
        Path,
        typer.Argument(
            help="Solution file (vrp-solution/1 JSON, or a benchmark .sol); '-': JSON on stdin."
        ),
    ],
) -> None:
    """Evaluate a solution by the rules of FORMAT.md and its stated cost and instance name.

    Exit 1 if it breaks a rule or states a false cost or instance name.
    """
    from vrp.formats.io import solution_from_dict
    from vrp.model.evaluate import evaluate

    if is_stdio(instance) and is_stdio(solution):
        raise InputError("only one of the two files can be read from stdin", field="solution")
    if is_stdio(instance):
        inst = read_instance_arg(instance)
        name_stated = inst.name != "stdin"
    else:
        inst = read_instance_arg(instance)
        name_stated = _states_name(instance)
    warnings: list[str] = []
    if not is_stdio(solution) and _is_route_list(solution):
        from cli.convert import stated_cost_differs
        from vrp.formats.vrplib import read_external_solution

        json_instance = is_stdio(instance) or instance.suffix.lower() == ".json"
        external = read_external_solution(solution, instance=None if json_instance else instance)
        sol = external.solution
        ev = evaluate(inst, sol)
        claims = []
        if stated_cost_differs(inst, ev.cost, external.cost):
            warnings.append(
                f"warning: the file states cost {external.cost:.10g}, the routes cost "
                f"{ev.cost:.10g} (check the distance convention)"
            )
    else:
        data = load_json_arg(solution)
        try:
            sol = solution_from_dict(data)
        except InputError as e:
            raise e.with_path("<stdin>" if is_stdio(solution) else str(solution)) from None
        ev = evaluate(inst, sol)
        claims = false_claims(data, inst.name, ev.cost, name_stated)
    typer.echo(f"instance: {inst.name} ({inst.variant.name}, {inst.num_customers} customers)")
    typer.echo(f"routes:   {len(sol.routes)}")
    typer.echo(f"cost:     {ev.cost:.6g}")
    typer.echo(f"feasible: {'yes' if ev.feasible else 'no'}")
    for v in ev.violations:
        typer.echo(f"  {v}")
    for line in claims:
        typer.echo(f"  {line}")
    for line in warnings:
        typer.echo(line, err=True)
    if not ev.feasible or claims:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("check")(check)
