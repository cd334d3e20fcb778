"""`vrp check instance.json solution.json`: cost, feasibility and every violated rule."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def check(
    instance: Annotated[Path, typer.Argument(help="Instance file (JSON, VRPLIB or Solomon).")],
    solution: Annotated[Path, typer.Argument(help="Solution file (vrp-solution/1 JSON).")],
) -> None:
    """Evaluate a solution by the rules of FORMAT.md; exit 1 if it is infeasible."""
    from vrp.formats.io import read_instance, read_solution
    from vrp.model.evaluate import evaluate

    inst = read_instance(instance)
    sol = read_solution(solution)
    ev = evaluate(inst, sol)
    typer.echo(f"instance: {inst.name} ({inst.variant.name}, {inst.num_customers} customers)")
    typer.echo(f"routes:   {len(sol.routes)}")
    typer.echo(f"cost:     {ev.cost:.6g}")
    typer.echo(f"feasible: {'yes' if ev.feasible else 'no'}")
    for v in ev.violations:
        typer.echo(f"  {v}")
    if not ev.feasible:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("check")(check)
