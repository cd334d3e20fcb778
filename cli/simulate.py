"""`vrp simulate instance.json solution.json`: how often a plan is on time when times vary.

Runs the plan ``--samples`` times under a noise model (`vrp.uncertainty`: log-normal travel
and service times, incidents, congestion on road instances; ``--noise none``: the plan as
`evaluate()` times it) and prints the on-time rate of the visits, the expected lateness, each
route's probability of missing its depot deadline and its 95th-percentile end. The summary
and the per-route table go to stdout; ``--json`` prints the figures as JSON instead. Either
file may be ``-`` (stdin, JSON).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.shell import is_stdio, load_json_arg, read_instance_arg
from vrp.errors import InputError

if TYPE_CHECKING:
    from vrp.model.instance import Instance
    from vrp.uncertainty.simulate import Simulation


def parse_samples(text: str) -> int:
    """``--samples``: a positive integer written as digits."""
    s = text.strip()
    if not s.isdigit() or int(s) < 1:
        raise InputError(f"must be a positive integer, got {text!r}", field="--samples")
    return int(s)


def _check_names(data: Any, inst: Instance, instance: Path, solution: Path) -> None:
    """A solution file that names another instance than this one is refused (a JSON instance
    without ``name`` is named after its file: no contradiction then)."""
    named = data.get("instance") if isinstance(data, dict) else None
    if not isinstance(named, str) or not named or named == inst.name:
        return
    if is_stdio(instance):
        stated = inst.name != "stdin"
    elif instance.suffix.lower() == ".json":
        raw = load_json_arg(instance)
        stated = isinstance(raw, dict) and isinstance(raw.get("name"), str)
    else:
        stated = True  # VRPLIB and Solomon files carry their name
    if stated:
        raise InputError(
            f"the solution is for instance {named!r}, this one is {inst.name!r}",
            field="instance",
            path="<stdin>" if is_stdio(solution) else str(solution),
        )


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def report(inst: Instance, sim: Simulation, routes: int) -> str:
    """The summary and the per-route table, in the instance's units."""
    from cli.solve import units

    dist, road_clock = units(inst)
    clock = road_clock if inst.coordinates == "lonlat" else (lambda x: f"{x:.4g}")
    lines = [
        f"instance   {inst.name} ({inst.variant.name}, {inst.num_customers} customers), "
        f"{routes} routes",
        f"noise      {sim.noise.describe()}",
        f"samples    {sim.samples}" + (f", seed {sim.seed}" if sim.seed is not None else ""),
        f"cost       {dist(sim.cost)} (distance: the same in every sample)"
        + ("" if sim.feasible else "; the plan breaks a rule even without noise (vrp check)"),
        f"on time    {_pct(sim.on_time_rate)} of visits start within their window",
        f"deadlines  {_pct(sim.deadline_rate)} of routes are back by their depot's deadline",
        f"all        {_pct(sim.p_all_on_time)} of samples have every visit and return in time",
        f"lateness   {clock(sim.expected_lateness)} expected per run (sd "
        f"{clock(sim.lateness_std)}, p95 {clock(sim.lateness_p95)})",
        f"duration   {clock(sim.expected_duration)} expected, all routes (sd "
        f"{clock(sim.duration_std)}; planned {clock(sim.planned_duration)})",
        "",
        f"{'route':>5}  {'depot':<8} {'stops':>5}  {'on time':>7}  {'lateness':>9}  "
        f"{'P(late back)':>12}  {'end planned':>11}  {'end mean':>9}  {'end p95':>9}  "
        f"{'deadline':>9}",
    ]
    for k, r in enumerate(sim.routes):
        deadline = "–" if r.deadline is None else clock(r.deadline)
        lines.append(
            f"{k + 1:>5}  {inst.ids[r.depot]:<8} {r.stops:>5}  {_pct(r.on_time_rate):>7}  "
            f"{clock(r.expected_lateness):>9}  {_pct(r.p_miss_deadline):>12}  "
            f"{clock(r.end_planned):>11}  {clock(r.end_mean):>9}  {clock(r.end_p95):>9}  "
            f"{deadline:>9}"
        )
    lines.append(
        "(on time: share of the route's visits with a window that start in it; lateness: "
        "expected total per run; P(late back): back after the depot's deadline)"
    )
    return "\n".join(lines)


def simulate(
    instance: Annotated[
        Path, typer.Argument(help="Instance file (JSON, VRPLIB or Solomon); '-': JSON on stdin.")
    ],
    solution: Annotated[
        Path, typer.Argument(help="Solution file (vrp-solution/1 JSON); '-': stdin.")
    ],
    samples: Annotated[
        str, typer.Option("--samples", "-n", help="Monte Carlo samples (a positive integer).")
    ] = "1000",
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the noise.")] = 0,
    noise: Annotated[
        str,
        typer.Option(
            "--noise",
            help="default (travel, service, incidents, congestion on roads), none "
            "(deterministic), or lognormal[:SIGMA] (travel only).",
        ),
    ] = "default",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the figures as JSON instead of the table.")
    ] = False,
) -> None:
    """Simulate a plan under random travel and service times: on-time rate, lateness, ends."""
    import json

    from vrp.formats.io import solution_from_dict
    from vrp.uncertainty.noise import parse_noise
    from vrp.uncertainty.simulate import simulate as run

    n = parse_samples(samples)
    if seed < 0:
        raise InputError(f"must be a non-negative integer, got {seed}", field="--seed")
    model = parse_noise(noise)
    if is_stdio(instance) and is_stdio(solution):
        raise InputError("only one of the two files can be read from stdin", field="solution")
    inst = read_instance_arg(instance)
    data = load_json_arg(solution)
    where = "<stdin>" if is_stdio(solution) else str(solution)
    try:
        sol = solution_from_dict(data)
    except InputError as e:
        raise e.with_path(where) from None
    _check_names(data, inst, instance, solution)
    try:
        sim = run(inst, sol, n, seed, model)
    except InputError as e:
        raise e.with_path(where) from None
    if as_json:
        out = {"instance": inst.name, "variant": inst.variant.name, **sim.to_dict()}
        typer.echo(json.dumps(out, indent=1, allow_nan=False))
    else:
        typer.echo(report(inst, sim, len(sol.routes)))


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate)
