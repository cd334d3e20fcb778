"""`vrp solve instance.json`: solve, check with `evaluate()`, summarise, write, draw.

The summary goes to stdout (to stderr with ``--json``, whose solution JSON then owns
stdout); progress goes to stderr while the engine runs: a live line on a terminal, an
occasional plain line otherwise. The time limit is CPU seconds with a wall-clock cap (see
`vrp.solvers.base`). The first Ctrl-C asks the engine to stop and return its best routes so
far (`stop_on_interrupt`); a second one aborts. A run without a feasible solution says so
and exits 1: an infeasible solution is never presented as a result.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from vrp.errors import InputError, SolverError

if TYPE_CHECKING:
    from vrp.model.evaluate import Evaluation
    from vrp.model.instance import Instance
    from vrp.solvers import Interrupt, SolveResult


class _Progress:
    """Elapsed time and best cost on stderr: one live line on a terminal, else a line now
    and then (every ``max(2 s, limit / 5)``); one line when ``interrupt`` is requested."""

    def __init__(self, time_limit: float, stream: TextIO, interrupt: Interrupt):
        self.interrupt = interrupt
        self.stream = stream
        self.tty = stream.isatty()
        self.every = 0.2 if self.tty else max(2.0, time_limit / 5)
        self.last = -math.inf  # the first report shows at once
        self.width = 0
        self.told_stop = False

    def __call__(self, elapsed: float, best: float | None) -> None:
        if self.interrupt.requested and not self.told_stop:
            self.told_stop = True
            self._line("stopping: the best solution found so far follows (Ctrl-C again to abort)")
        if elapsed - self.last < self.every:
            return
        self.last = elapsed
        text = f"{elapsed:7.1f} s  " + (
            f"best {best:.6g}" if best is not None else "searching (no feasible cost yet)"
        )
        if self.tty:
            self.width = max(self.width, len(text))
            self.stream.write("\r" + text.ljust(self.width))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def _line(self, text: str) -> None:
        self.clear()
        self.stream.write(text + "\n")
        self.stream.flush()

    def clear(self) -> None:
        if self.tty and self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0


def _num(x: float) -> str:
    return f"{x:.6g}"


def summary(inst: Instance, result: SolveResult, time_limit: float, seed: int) -> str:
    """The readable report of a feasible result."""
    ev = result.evaluation
    sol = result.solution
    assert ev is not None and sol is not None
    D = inst.num_depots
    fleet = (
        "as many vehicles as needed"
        if inst.vehicle_count is None
        else f"{inst.vehicle_count} vehicles available"
    )
    lines = [
        f"instance  {inst.name} ({inst.variant.name}, {inst.num_customers} customers, "
        f"{D} depot{'s' if D > 1 else ''})",
        f"solver    {result.solver}, seed {seed}, limit {time_limit:g} s",
        f"cost      {_num(ev.cost)}",
        f"routes    {len(sol.routes)} ({fleet})",
        f"feasible  {'yes' if ev.feasible else 'no'}",
        f"runtime   {result.runtime_s:.2f} s wall, {result.cpu_s:.2f} s CPU"
        + ("  (interrupted: best found so far)" if result.interrupted else ""),
        "",
    ]
    lines += _route_table(inst, result, ev)
    return "\n".join(lines)


def _route_table(inst: Instance, result: SolveResult, ev: Evaluation) -> list[str]:
    sol = result.solution
    assert sol is not None
    q = inst.capacity
    limit = inst.max_distance
    header = (
        f"{'route':>5}  {'depot':<8} {'stops':>5}  {'distance':>18}  {'load':>18}  {'time':>22}"
    )
    rows = [header]
    for k, (route, st) in enumerate(zip(sol.routes, ev.routes, strict=True)):
        dist = _num(st.distance) + (f" / {_num(limit)}" if limit is not None else "")
        load = f"{_num(st.max_load)} / {_num(q)} ({100 * st.max_load / q:.0f}%)"
        deadline = inst.tw_late[route.depot]
        time = f"{_num(st.start_time)}-{_num(st.end_time)}"
        if math.isfinite(deadline) and not inst.open:
            time += f" / {_num(deadline)}"
        depot = inst.ids[route.depot]
        rows.append(f"{k + 1:>5}  {depot:<8} {len(route):>5}  {dist:>18}  {load:>18}  {time:>22}")
    rows.append("(load: peak on board / capacity; time: leave-finish / depot deadline)")
    return rows


def solve(
    instance: Annotated[
        Path, typer.Argument(help="Instance file: JSON (FORMAT.md), VRPLIB or Solomon.")
    ],
    solver: Annotated[
        str, typer.Option("--solver", "-s", help="auto, pyvrp, hgs, ortools or neural.")
    ] = "auto",
    time_limit: Annotated[
        float,
        typer.Option("--time-limit", "-t", help="CPU seconds (wall-clock capped at 1.5x)."),
    ] = 10.0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the engine.")] = 0,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write the solution JSON here.")
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print the solution JSON on stdout (summary to stderr)."),
    ] = False,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Draw the routes to this PNG file.")
    ] = None,
    map_html: Annotated[
        Path | None,
        typer.Option("--map", help="Draw the routes along the roads (OSRM) to this HTML map."),
    ] = None,
    osrm: Annotated[
        str | None,
        typer.Option("--osrm", help="OSRM server for --map; default: start one for the region."),
    ] = None,
    checkpoint: Annotated[
        Path | None,
        typer.Option(help="Model for --solver neural; default: the shipped one that fits."),
    ] = None,
) -> None:
    """Solve an instance; print a summary, write the solution, draw the routes."""
    from vrp.formats.io import read_instance, solution_to_dict, write_json
    from vrp.solvers import get_solver, solve, solver_names, stop_on_interrupt

    if not (time_limit > 0 and math.isfinite(time_limit)):
        raise InputError(
            f"must be a positive number of seconds, got {time_limit}", field="--time-limit"
        )
    if seed < 0:
        raise InputError(f"must be a non-negative integer, got {seed}", field="--seed")
    settings: dict[str, Any] = {}
    if checkpoint is not None and solver in solver_names():  # get_solver names a wrong --solver
        if solver != "neural":
            raise InputError("only with --solver neural", field="--checkpoint")
        if not checkpoint.is_file():
            raise InputError("no such checkpoint file", field="--checkpoint", path=str(checkpoint))
        settings["checkpoint"] = checkpoint
    engine = get_solver(solver, **settings)
    inst = read_instance(instance)
    if plot is not None:
        from vrp.draw.plot import can_plot

        reason = can_plot(inst)
        if reason is not None:
            raise InputError(f"cannot plot: {reason}", field="--plot")
    if map_html is not None:
        from vrp.draw.maps import map_region

        map_region(inst, osrm)  # fails now, not after the solve

    with stop_on_interrupt() as interrupt:
        progress = _Progress(time_limit, sys.stderr, interrupt)
        try:
            result = solve(inst, engine, time_limit, seed, progress, interrupt=interrupt)
        finally:
            progress.clear()
    if result.solution is None or not result.feasible:
        why = "interrupted before one was found" if result.interrupted else f"in {time_limit:g} s"
        found = "" if result.solution is None else " (the engine's answer broke a rule)"
        raise SolverError(f"{result.solver}: no feasible solution found {why}{found}")

    text = summary(inst, result, time_limit, seed)
    data = solution_to_dict(
        inst,
        result.solution,
        solver=result.solver,
        runtime_s=result.runtime_s,
        evaluation=result.evaluation,
    )
    if out is not None:
        write_json(out, data)
    if plot is not None:
        from vrp.draw.plot import plot_routes

        plot_routes(
            inst, result.solution, plot, title=f"{inst.name} ({inst.variant.name}, {result.solver})"
        )
    if map_html is not None:
        from vrp.draw.maps import write_route_map

        write_route_map(inst, result.solution, map_html, osrm_url=osrm)
    if as_json:
        typer.echo(text, err=True)
        typer.echo(json.dumps(data, indent=1))
    else:
        typer.echo(text)
    for label, path in (("solution", out), ("plot", plot), ("map", map_html)):
        if path is not None:
            typer.echo(f"{label} written to {path}", err=as_json)


def register(app: typer.Typer) -> None:
    app.command("solve")(solve)
