"""`vrp convert FILE --out inst.json [--solution FILE.sol --solution-out sol.json]`.

Turns a public benchmark file (VRPLIB ``.vrp``, LKH-3 ``.vrpb``/``.vrpmpd``, Solomon ``.txt``)
into FORMAT.md JSON with the distance convention of its best-known costs (see `vrp.formats.vrplib`),
and optionally a ``.sol`` file into a FORMAT.md solution whose cost `evaluate` recomputes.
Paths written go to stdout (to stderr when a JSON goes there: `--out -` or `--solution-out -`);
the solution's cost check goes to stderr.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.shell import check_not_input, check_output_file, is_stdio, write_json_out
from vrp.errors import InputError

if TYPE_CHECKING:
    from vrp.model.instance import Instance

# Two costs that differ by no more than this are the same published figure (2 decimals).
COST_TOLERANCE = 0.01
FLEET_COST_RTOL = 1e-6


class SolomonDistances(StrEnum):
    truncated = "truncated"
    exact = "exact"


def convert(
    file: Annotated[
        Path,
        typer.Argument(help="Benchmark instance: .vrp (VRPLIB/TSPLIB), .vrpb, .vrpmpd, .txt."),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Instance JSON to write ('-': stdout).")],
    solomon_distances: Annotated[
        SolomonDistances,
        typer.Option(
            "--solomon-distances",
            help="Solomon files only: 'truncated' (floor(10d)/10, the distance-only BKS) or "
            "'exact' (unrounded, the hierarchical BKS).",
        ),
    ] = SolomonDistances.truncated,
    solution: Annotated[
        Path | None,
        typer.Option("--solution", help="A benchmark .sol file for FILE to convert too."),
    ] = None,
    solution_out: Annotated[
        Path | None,
        typer.Option("--solution-out", help="Solution JSON to write ('-': stdout)."),
    ] = None,
) -> None:
    """Convert a benchmark instance (and a .sol solution) to FORMAT.md JSON."""
    from vrp.formats.io import instance_to_dict, solution_to_dict
    from vrp.formats.vrplib import read_external, read_external_solution
    from vrp.model.evaluate import evaluate

    if (solution is None) != (solution_out is None):
        missing = "--solution-out" if solution_out is None else "--solution"
        raise InputError("--solution and --solution-out go together", field=missing)
    check_output_file(out, "--out", stdout=True)
    check_output_file(solution_out, "--solution-out", stdout=True)
    if is_stdio(out) and is_stdio(solution_out):
        raise InputError("only one of --out and --solution-out can be '-'", field="--solution-out")
    if (
        solution_out is not None
        and not is_stdio(out)
        and not is_stdio(solution_out)
        and solution_out.resolve() == out.resolve()
    ):
        raise InputError("the instance and the solution need two files", field="--solution-out")
    check_not_input(out, [file, solution], "--out")
    check_not_input(solution_out, [file, solution], "--solution-out")
    inst = read_external(file, solomon_distances=solomon_distances.value)
    external = None if solution is None else read_external_solution(solution, instance=file)
    json_on_stdout = is_stdio(out) or is_stdio(solution_out)
    write_json_out(out, instance_to_dict(inst))
    if not is_stdio(out):
        typer.echo(str(out), err=json_on_stdout)
    if solution is None or solution_out is None or external is None:
        return
    ev = evaluate(inst, external.solution)
    data = solution_to_dict(inst, external.solution, solver="published", evaluation=ev)
    write_json_out(solution_out, data)
    if not is_stdio(solution_out):
        typer.echo(str(solution_out), err=json_on_stdout)
    stated = "" if external.cost is None else f" (the file states {external.cost:g})"
    typer.echo(
        f"{solution.name}: {len(external.solution)} routes, cost {ev.cost:.6g}{stated}, "
        f"feasible: {'yes' if ev.feasible else 'no'}",
        err=True,
    )
    if not ev.feasible:
        typer.echo(f"warning: {ev.violations[0]}", err=True)
    if stated_cost_differs(inst, ev.cost, external.cost):
        typer.echo(
            "warning: the recomputed cost differs from the file's; check the distance convention",
            err=True,
        )


def stated_cost_differs(inst: Instance, recomputed: float, stated: float | None) -> bool:
    """Whether a benchmark ``.sol`` file's stated cost disagrees with the recomputed one.

    HFVRP costs stated in PyVRP's exact units are read back / 10^5 (`vrp.formats.vrplib`):
    their arcs were rounded, so they agree relatively, not to 0.01.
    """
    if stated is None:
        return False
    tolerance = (
        max(COST_TOLERANCE, FLEET_COST_RTOL * abs(recomputed)) if inst.fleet else COST_TOLERANCE
    )
    return abs(recomputed - stated) > tolerance


def register(app: typer.Typer) -> None:
    app.command("convert")(convert)
