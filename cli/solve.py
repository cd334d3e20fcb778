"""`vrp solve instance.json`: solve, check with `evaluate()`, summarise, write, draw.

The summary goes to stdout (to stderr with ``--json`` or ``--out -``, whose solution JSON then
owns stdout); progress goes to stderr while the engine runs: a live line on a terminal, an
occasional plain line otherwise. ``-`` as the instance reads FORMAT.md JSON from stdin. The
time limit is CPU seconds with a wall-clock cap (see `vrp.solvers.base`). Every output path
is checked before the search starts; a write that still fails leaves the solution in a
fallback file (or on stdout) and says where (`cli.shell`).

The first Ctrl-C or SIGTERM asks the engine to stop and return its best routes so far
(`stop_on_interrupt`): they are written as usual, marked ``"interrupted": true``, and the exit
code is 130 (Ctrl-C) or 143 (SIGTERM); a second signal aborts. A run without a feasible
solution says so and exits 1: an infeasible solution is never presented as a result. The
solution JSON says how it was made: solver and its version, vrp-suite's version, seed, time
limit, variant, checkpoint (neural) and whether it was interrupted.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO

import typer

from cli.shell import (
    check_not_input,
    check_output_file,
    exit_code,
    is_stdio,
    keep_json,
    read_instance_arg,
)
from vrp.errors import InputError, SolverError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from vrp.model.evaluate import Evaluation
    from vrp.model.instance import Instance
    from vrp.solvers import Interrupt, Solver, SolveResult
    from vrp.uncertainty.robust import RobustResult


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
        # None: the engine has not reported a cost (HGS reports none until it ends)
        text = f"{elapsed:7.1f} s  " + (
            f"best {best:.6g}" if best is not None else "searching (no cost reported yet)"
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


def _metres(x: float) -> str:
    return f"{x:,.0f} m"


def _clock(seconds: float) -> str:
    """``h:mm:ss`` (negative times keep their sign)."""
    s = round(abs(seconds))
    sign = "-" if seconds < 0 and s else ""
    return f"{sign}{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def units(inst: Instance) -> tuple[Callable[[float], str], Callable[[float], str]]:
    """How distances and times read: metres and h:mm:ss on roads (``lonlat``: great-circle
    or OSRM metres, seconds), plain numbers on the plane."""
    if inst.coordinates == "lonlat":
        return _metres, _clock
    return _num, _num


def summary(
    inst: Instance,
    result: SolveResult,
    time_limit: float,
    seed: int,
    extra: Sequence[str] = (),
) -> str:
    """The readable report of a feasible result (``extra`` lines before the route table)."""
    ev = result.evaluation
    sol = result.solution
    assert ev is not None and sol is not None
    dist, _ = units(inst)
    D = inst.num_depots
    fleet = (
        "as many vehicles as needed"
        if inst.vehicle_count is None
        else f"{inst.vehicle_count} vehicles available"
    )
    if inst.fleet:
        fleet = f"{len(inst.fleet)} vehicle types"
    lines = [
        f"instance  {inst.name} ({inst.variant.name}, {inst.num_customers} customers, "
        f"{D} depot{'s' if D > 1 else ''})",
        f"solver    {result.solver}, seed {seed}, limit {time_limit:g} s",
        f"cost      {dist(ev.cost)}"
        if not inst.fleet  # with a fleet the cost is rule 9's, in no unit of distance
        else f"cost      {_num(ev.cost)} (fleet cost; {dist(ev.distance)} driven)",
        f"routes    {len(sol.routes)} ({fleet})",
        f"feasible  {'yes' if ev.feasible else 'no'}",
        f"runtime   {result.runtime_s:.2f} s wall, {result.cpu_s:.2f} s CPU"
        + ("  (interrupted: best found so far)" if result.interrupted else ""),
        *extra,
        "",
    ]
    if inst.fleet:
        lines += [*_type_table(inst, result, ev), ""]
    lines += _route_table(inst, result, ev)
    return "\n".join(lines)


def _type_table(inst: Instance, result: SolveResult, ev: Evaluation) -> list[str]:
    """Routes grouped by vehicle type: used of available, load carried of the capacity of the
    used vehicles, distance and cost (rule 9)."""
    sol = result.solution
    assert sol is not None
    dist, _ = units(inst)
    header = f"{'type':<10} {'used':>9}  {'load':>20}  {'distance':>14}  {'cost':>14}"
    rows = [header]
    for t, vtype in enumerate(inst.fleet):
        mine = [st for st in ev.routes if st.vehicle == t]
        available = "any" if vtype.count is None else str(vtype.count)
        carried = sum(max(st.delivery, st.pickup) for st in mine)
        room = len(mine) * vtype.capacity
        share = f" ({100 * carried / room:.0f}%)" if room else ""
        load = f"{_num(carried)} / {_num(room)}{share}" if mine else "-"  # no route: no load
        cost = sum(st.cost or 0.0 for st in mine)
        distance = sum(st.distance for st in mine)
        rows.append(
            f"{vtype.id:<10} {f'{len(mine)} / {available}':>9}  {load:>20}  "
            f"{dist(distance):>14}  {_num(cost):>14}"
        )
    rows.append(
        "(used: routes of the type / available; load: carried / capacity of those routes; "
        "cost: fixed + distance cost)"
    )
    return rows


def _route_table(inst: Instance, result: SolveResult, ev: Evaluation) -> list[str]:
    sol = result.solution
    assert sol is not None
    dist, clock = units(inst)
    q = inst.capacity
    limit = inst.max_distance
    header = (
        f"{'route':>5}  {'depot':<8} {'stops':>5}  {'distance':>18}  {'load':>18}  {'time':>25}"
    )
    if inst.fleet:
        header += "  vehicle"
    rows = [header]
    for k, (route, st) in enumerate(zip(sol.routes, ev.routes, strict=True)):
        deadline = inst.tw_late[route.depot]
        vtype = None if st.vehicle is None or not inst.fleet else inst.fleet[st.vehicle]
        if vtype is not None:  # a fleet: this route's type's limits
            assert st.vehicle is not None
            q, limit = vtype.capacity, vtype.max_distance
            deadline = inst.type_deadline(st.vehicle, route.depot)
        d = dist(st.distance) + (f" / {dist(limit)}" if limit is not None else "")
        load = f"{_num(st.max_load)} / {_num(q)} ({100 * st.max_load / q:.0f}%)"
        time = f"{clock(st.start_time)}-{clock(st.end_time)}"
        if math.isfinite(deadline) and not inst.open:
            time += f" / {clock(deadline)}"
        depot = inst.ids[route.depot]
        row = f"{k + 1:>5}  {depot:<8} {len(route):>5}  {d:>18}  {load:>18}  {time:>25}"
        if inst.fleet:
            row += f"  {route.vehicle or '-'}"
        rows.append(row)
    rows.append("(load: peak on board / capacity; time: leave-finish / depot deadline)")
    return rows


def robust_lines(plan: RobustResult, seed: int) -> list[str]:
    """What ``--robust`` adds to the summary: the simulated on-time rate against the target,
    the inflation chosen and the calibration rounds."""
    from vrp.uncertainty.robust import describe_rounds

    sim = plan.simulation
    assert sim is not None and plan.inflation is not None
    what = "of visits start within their window"
    if sim.on_time_rate is None:
        what = "of routes are back by their depot's deadline"
    rate = plan.reliability
    assert rate is not None
    verdict = (
        f"target {100 * plan.q:g}%"
        if plan.reached
        else f"short of the target {100 * plan.q:g}%: the most reliable plan of the rounds; "
        "a longer --time-limit may help"
    )
    return [
        f"on time   {100 * rate:.1f}% {what} ({verdict})",
        f"          simulated: {sim.noise.name} noise, {sim.samples} samples, seed {seed} "
        "(vrp simulate repeats it)",
        f"robust    planned on travel and service times x{1 + plan.inflation:.3f}; rounds: "
        f"{describe_rounds(plan.rounds)}",
    ]


def robust_meta(plan: RobustResult, seed: int) -> dict[str, Any]:
    """``meta.robust`` of the solution JSON: target, result, inflation and rounds."""
    sim = plan.simulation
    assert sim is not None
    return {
        "q": plan.q,
        "reliability": plan.reliability,
        "reached": plan.reached,
        "on_time_rate": sim.on_time_rate,
        "deadline_rate": sim.deadline_rate,
        "expected_lateness": sim.expected_lateness,
        "noise": sim.noise.name,
        "samples": sim.samples,
        "seed": seed,
        "inflation": plan.inflation,
        "max_inflation": plan.max_inflation,
        "rounds": [
            {
                "inflation": r.inflation,
                "seed": r.seed,
                "cost": r.cost,
                "reliability": r.reliability,
                "solver": r.solver,
                "cpu_s": r.cpu_s,
            }
            for r in plan.rounds
        ],  # fmt: skip
    }


def _engine_ran(result: SolveResult) -> str:
    """The engine that produced the routes: ``hgs`` for ``auto(hgs)``."""
    return result.solver.rsplit("(", 1)[-1].rstrip(")")


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


NEURAL_ENGINES = ("neural", "neural+pyvrp")  # engines that take --checkpoint, and their presets


def provenance(
    inst: Instance,
    engine: Solver,
    result: SolveResult,
    seed: int,
    time_limit: float,
) -> dict[str, Any]:
    """How the solution was made, for `solution_to_dict`: the engine's packages and their
    versions, vrp-suite's version, seed, limit, checkpoint (neural, neural+pyvrp: file name
    and the start of its SHA-256) and whether the run was interrupted."""
    from importlib.metadata import version

    from vrp.benchmark.runner import engine_versions

    ran = _engine_ran(result)
    versions = engine_versions([ran])
    checkpoint = None
    if ran in NEURAL_ENGINES:
        from vrp.solvers.neural import pick_checkpoint

        path = getattr(engine, "checkpoint", None) or pick_checkpoint(inst)
        checkpoint = {"name": Path(path).name, "digest": _digest(Path(path))}
    return {
        "solver_version": ", ".join(f"{k} {v}" for k, v in versions.items()) or None,
        "vrp_version": version("vrp-suite"),
        "seed": seed,
        "time_limit": time_limit,
        "checkpoint": checkpoint,
        "interrupted": result.interrupted,
    }


def solve(
    instance: Annotated[
        Path,
        typer.Argument(
            help="Instance file: JSON (FORMAT.md), VRPLIB or Solomon; '-' reads JSON from stdin."
        ),
    ],
    solver: Annotated[
        str,
        typer.Option(
            "--solver",
            "-s",
            help="auto, pyvrp, hgs, ortools, neural, neural-greedy or neural+pyvrp.",
        ),
    ] = "auto",
    time_limit: Annotated[
        float,
        typer.Option("--time-limit", "-t", help="CPU seconds (wall-clock capped at 1.5x)."),
    ] = 10.0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the engine.")] = 0,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="Write the solution JSON here ('-': stdout, summary to stderr)."
        ),
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
        typer.Option(
            help="Model for --solver neural (or neural+pyvrp); default: the shipped one that fits."
        ),
    ] = None,
    robust: Annotated[
        float | None,
        typer.Option(
            "--robust",
            help="Plan for visits on time with probability Q (0 < Q < 1) under vrp simulate's "
            "default noise: solved on inflated times, calibrated by simulation in a few rounds "
            "within the time limit.",
        ),
    ] = None,
) -> None:
    """Solve an instance; print a summary, write the solution, draw the routes."""
    from vrp.formats.io import solution_to_dict
    from vrp.solvers import (
        Interrupt,
        base_engine,
        get_solver,
        preset_names,
        solve,
        solver_names,
        stop_on_interrupt,
    )

    if not (time_limit > 0 and math.isfinite(time_limit)):
        raise InputError(
            f"must be a positive number of seconds, got {time_limit}", field="--time-limit"
        )
    if seed < 0:
        raise InputError(f"must be a non-negative integer, got {seed}", field="--seed")
    if robust is not None and not (0 < robust < 1):
        raise InputError(
            f"must be a probability strictly between 0 and 1, got {robust:g}", field="--robust"
        )
    check_output_file(out, "--out", stdout=True)
    check_output_file(plot, "--plot")
    check_output_file(map_html, "--map")
    for path, option in ((out, "--out"), (plot, "--plot"), (map_html, "--map")):
        check_not_input(path, [instance, checkpoint], option)
    settings: dict[str, Any] = {}
    names = [*solver_names(), *preset_names()]
    if checkpoint is not None and solver in names:  # else get_solver names a wrong --solver
        if base_engine(solver) not in NEURAL_ENGINES:
            engines = ", ".join(n for n in names if base_engine(n) in NEURAL_ENGINES)
            raise InputError(f"only with --solver {engines}", field="--checkpoint")
        if not checkpoint.is_file():
            raise InputError("no such checkpoint file", field="--checkpoint", path=str(checkpoint))
        settings["checkpoint"] = checkpoint
    engine = get_solver(solver, **settings)
    inst = read_instance_arg(instance)
    if robust is not None:
        from vrp.uncertainty.robust import can_be_late

        if not can_be_late(inst):
            raise InputError(
                "the instance has no time windows and no depot deadlines: nothing can be late",
                field="--robust",
            )
    if plot is not None:
        from vrp.draw.plot import can_plot

        reason = can_plot(inst)
        if reason is not None:
            raise InputError(f"cannot plot: {reason}", field="--plot")
    if map_html is not None:
        from vrp.draw.maps import map_region

        map_region(inst, osrm)  # fails now, not after the solve

    interrupt = Interrupt()  # replaced by the block's own; read if a second signal aborts
    try:
        with stop_on_interrupt() as interrupt:
            progress = _Progress(time_limit, sys.stderr, interrupt)
            try:
                if robust is None:
                    result = solve(inst, engine, time_limit, seed, progress, interrupt=interrupt)
                else:
                    from vrp.uncertainty.robust import solve_robust

                    plan = solve_robust(
                        inst, engine, robust, time_limit, seed, progress, interrupt=interrupt
                    )
                    result = plan.result
            finally:
                progress.clear()
    except KeyboardInterrupt:
        typer.echo("aborted: nothing written", err=True)
        raise typer.Exit(exit_code(interrupt.signum)) from None
    stopped = exit_code(interrupt.signum) if result.interrupted else None
    if result.solution is None or not result.feasible:
        why = "interrupted before one was found" if result.interrupted else f"in {time_limit:g} s"
        found = "" if result.solution is None else " (the engine's answer broke a rule)"
        message = f"{result.solver}: no feasible solution found {why}{found}"
        if stopped is None:
            raise SolverError(message)
        typer.echo(f"error: {message}", err=True)
        raise typer.Exit(stopped)

    extra = [] if robust is None else robust_lines(plan, seed)
    text = summary(inst, result, time_limit, seed, extra)
    data = solution_to_dict(
        inst,
        result.solution,
        solver=result.solver,
        runtime_s=result.runtime_s,
        evaluation=result.evaluation,
        **provenance(inst, engine, result, seed, time_limit),
    )
    if robust is not None:
        data["meta"] = {"robust": robust_meta(plan, seed)}
    on_stdout = as_json or is_stdio(out)
    typer.echo(text, err=on_stdout)
    if as_json:
        typer.echo(json.dumps(data, indent=1))
    failed = []
    if out is not None and not (as_json and is_stdio(out)):
        line = keep_json(out, data, "solution", on_stdout=on_stdout)
        if line is None and not is_stdio(out):
            typer.echo(f"solution written to {out}", err=on_stdout)
        elif line is not None:
            failed.append(line)
    for label, path, draw in (("plot", plot, _plot), ("map", map_html, _map)):
        if path is None:
            continue
        try:
            draw(inst, result, path, osrm)
            typer.echo(f"{label} written to {path}", err=on_stdout)
        except (OSError, InputError, SolverError) as e:
            failed.append(f"cannot write the {label} {path}: {e}")
    for line in failed:
        typer.echo(f"error: {line}", err=True)
    if stopped is not None:
        raise typer.Exit(stopped)
    if failed:
        raise typer.Exit(1)


def _plot(inst: Instance, result: SolveResult, path: Path, osrm: str | None) -> None:
    from vrp.draw.plot import plot_routes

    assert result.solution is not None
    title = f"{inst.name} ({inst.variant.name}, {result.solver})"
    plot_routes(inst, result.solution, path, title=title)


def _map(inst: Instance, result: SolveResult, path: Path, osrm: str | None) -> None:
    from vrp.draw.maps import write_route_map

    assert result.solution is not None
    write_route_map(inst, result.solution, path, osrm_url=osrm)


def register(app: typer.Typer) -> None:
    app.command("solve")(solve)
