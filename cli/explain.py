"""`vrp explain instance.json [solution.json]`: why each edge, what binds, what if, why not.

For each edge of a route its intention (`vrp.explain.intentions`: the rule set), for each
stop the time and capacity slack and the limit closest to binding (`vrp.explain.slack`);
``--what-if`` forces a change on the plan and re-optimises under it with the same engine,
time limit and seed as `vrp solve` would use (`vrp.explain.whatif`); a plan that breaks a
rule, or an instance given without a plan, gets minimal sets of customers and
constraints responsible (`vrp.explain.infeasible`). Text on stdout, ``--json`` for tools,
``--plot`` draws the routes with the binding limits marked; progress on stderr.

Exit 0 when the explanation is given, whatever it says (an infeasible plan, a change no
plan can make); 1 for bad input: a solution for another instance, a bad ``--route``, a
``--what-if`` that cannot be read, an engine that cannot express the change exactly.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.shell import check_not_input, check_output_file, is_stdio, load_json_arg, read_instance_arg
from vrp.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Callable

    from vrp.explain import Reason, RouteExplanation, WhatIf
    from vrp.model.evaluate import Evaluation
    from vrp.model.instance import Instance
    from vrp.model.solution import Solution


def _formats(inst: Instance) -> tuple[Callable[[float], str], Callable[[float], str]]:
    """Distances and times as they read: metres and h:mm:ss on roads, numbers on the plane."""

    def num(x: float) -> str:
        return f"{x:.4g}" if math.isfinite(x) else "-"

    if inst.coordinates != "lonlat":
        return num, num

    def metres(x: float) -> str:
        return f"{x:,.0f} m" if math.isfinite(x) else "-"

    def clock(x: float) -> str:
        if not math.isfinite(x):
            return "-"
        s = round(abs(x))
        sign = "-" if x < 0 and s else ""
        return f"{sign}{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"

    return metres, clock


def _read_plan(inst: Instance, path: Path, inst_path: Path) -> Solution:
    """The plan in ``path``, refused when it belongs to another instance."""
    from vrp.formats.io import solution_from_dict

    where = "<stdin>" if is_stdio(path) else str(path)
    data = load_json_arg(path)
    try:
        sol = solution_from_dict(data)
    except InputError as e:
        raise e.with_path(where) from None
    named = data.get("instance")
    if is_stdio(inst_path):
        stated = inst.name != "stdin"
    elif inst_path.suffix.lower() != ".json":
        stated = True  # VRPLIB and Solomon files carry their name
    else:  # a JSON file without a name is named after the file: no claim to contradict
        top = load_json_arg(inst_path)
        stated = isinstance(top, dict) and isinstance(top.get("name"), str)
    if stated and isinstance(named, str) and named and named != inst.name:
        why = f"the solution is for instance {named!r}, this one is {inst.name!r}"
        raise InputError(why, field="instance", path=where)
    D, N = inst.num_depots, inst.num_nodes
    for i, r in enumerate(sol.routes):
        if not 0 <= r.depot < D:
            why = f"{r.depot} is not a depot of this instance (0..{D - 1}): another instance?"
            raise InputError(why, field=f"routes[{i}].depot", path=where)
        bad = [c for c in r.customers if not D <= c < N]
        if bad or not r.customers:
            why = (
                f"{bad[0]} is not a customer of this instance ({D}..{N - 1}): another instance?"
                if bad
                else "a route without customers"
            )
            raise InputError(why, field=f"routes[{i}].customers", path=where)
    return sol


def explain(
    instance: Annotated[
        Path, typer.Argument(help="Instance file (JSON, VRPLIB or Solomon); '-': JSON on stdin.")
    ],
    solution: Annotated[
        Path | None,
        typer.Argument(help="Solution file (vrp-solution/1); none: why no plan can be feasible."),
    ] = None,
    route: Annotated[
        int | None,
        typer.Option("--route", "-r", help="Explain only route K (1-based, as vrp solve counts)."),
    ] = None,
    what_if: Annotated[
        list[str] | None,
        typer.Option(
            "--what-if",
            "-w",
            help="'visit X before Y', 'move X to route R' or 'forbid A->B' (ids from the "
            "instance); repeatable.",
        ),
    ] = None,
    solver: Annotated[
        str, typer.Option("--solver", "-s", help="Engine for --what-if, as for vrp solve.")
    ] = "auto",
    time_limit: Annotated[
        float, typer.Option("--time-limit", "-t", help="CPU seconds per --what-if.")
    ] = 10.0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the engine.")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
    plot: Annotated[
        Path | None,
        typer.Option("--plot", help="Draw the routes with the binding limits to this PNG."),
    ] = None,
) -> None:
    """Explain a plan: each edge's intention, the slack at each stop, what-ifs, infeasibility."""
    from vrp.explain import explain_plan, parse_change, why_instance, why_plan
    from vrp.explain import what_if as ask
    from vrp.explain.report import reason_dict, route_dict, what_if_dict
    from vrp.explain.whatif import check_expressible
    from vrp.model.evaluate import evaluate
    from vrp.solvers import get_solver

    if not (time_limit > 0 and math.isfinite(time_limit)):
        why = f"must be a positive number of seconds, got {time_limit}"
        raise InputError(why, field="--time-limit")
    if seed < 0:
        raise InputError(f"must be a non-negative integer, got {seed}", field="--seed")
    check_output_file(plot, "--plot")
    check_not_input(plot, [instance, solution], "--plot")
    if is_stdio(instance) and is_stdio(solution):
        raise InputError("only one of the two files can be read from stdin", field="solution")
    engine = get_solver(solver) if what_if else None
    inst = read_instance_arg(instance)
    if inst.fleet:
        raise InputError(
            "vrp explain does not know vehicle types (a fleet) yet; `vrp check` names every "
            "broken rule",
            field="fleet",
        )
    if solution is None:
        for given, option in ((route, "--route"), (what_if, "--what-if"), (plot, "--plot")):
            if given:
                raise InputError("needs a solution file", field=option)
        reasons = why_instance(inst)
        if as_json:
            data = {**_head(inst), "why_infeasible": [reason_dict(inst, r) for r in reasons]}
            typer.echo(json.dumps(data, indent=1, allow_nan=False))
        else:
            typer.echo("\n".join(_instance_lines(inst, reasons)))
        return
    if plot is not None:
        from vrp.draw.plot import can_plot

        if (unfit := can_plot(inst)) is not None:
            raise InputError(f"cannot plot: {unfit}", field="--plot")
    sol = _read_plan(inst, solution, instance)
    n = len(sol.routes)
    if route is not None and not 1 <= route <= n:
        why = f"route {route} does not exist; the plan has routes 1..{n}"
        raise InputError(why, field="--route")
    changes = [parse_change(text, inst, sol) for text in what_if or []]  # all read first
    if engine is not None:  # and each one put to the engine, before any work
        for change in changes:
            check_expressible(inst, change, engine)
    ev = evaluate(inst, sol)
    explained = explain_plan(inst, sol, None if route is None else [route - 1])
    plan_reasons = [] if ev.feasible else why_plan(inst, sol)
    inst_reasons = [] if ev.feasible else why_instance(inst)
    answers = []
    for change in changes:
        assert engine is not None  # made above when there are changes
        typer.echo(f"what if {change.text}: {solver}, up to {time_limit:g} s", err=True)
        answers.append(ask(inst, sol, change, engine, time_limit, seed))
    if plot is not None:
        from vrp.explain.draw import plot_explanation

        plot_explanation(inst, sol, explained, plot)
        typer.echo(f"plot written to {plot}", err=True)
    if as_json:
        data = {
            **_head(inst),
            "cost": float(f"{ev.cost:.12g}"),
            "feasible": ev.feasible,
            "num_routes": n,
            "routes": [route_dict(inst, e) for e in explained],
            "why_infeasible": [reason_dict(inst, r) for r in plan_reasons + inst_reasons],
            "what_if": [what_if_dict(a) for a in answers],
        }
        typer.echo(json.dumps(data, indent=1, allow_nan=False))
    else:
        causes = (plan_reasons, inst_reasons)
        typer.echo("\n".join(_plan_lines(inst, ev, explained, causes, answers, time_limit)))


def _head(inst: Instance) -> dict[str, Any]:
    return {"instance": inst.name, "variant": inst.variant.name}


def _instance_head(inst: Instance) -> list[str]:
    D = inst.num_depots
    return [
        f"instance  {inst.name} ({inst.variant.name}, {inst.num_customers} customers, "
        f"{D} depot{'s' if D > 1 else ''})"
    ]


def _plan_lines(
    inst: Instance,
    ev: Evaluation,
    explained: list[RouteExplanation],
    why: tuple[list[Reason], list[Reason]],
    answers: list[WhatIf],
    time_limit: float,
) -> list[str]:
    """The text report: the plan, each explained route, why it is infeasible, each what-if."""
    verdict = "feasible" if ev.feasible else "infeasible"
    cost = _formats(inst)[0](ev.cost)
    lines = [*_instance_head(inst), f"plan      {len(ev.routes)} routes, cost {cost}, {verdict}"]
    for e in explained:
        lines += ["", *_route_lines(inst, e)]
    plan_reasons, inst_reasons = why
    if not ev.feasible:
        lines += ["", "why infeasible", *(f"  {r.text}" for r in plan_reasons)]
        if inst_reasons:
            lines += ["  no plan can be feasible:", *(f"  {r.text}" for r in inst_reasons)]
    for a in answers:
        lines += ["", *_what_if_lines(inst, a, time_limit)]
    return lines


def _instance_lines(inst: Instance, reasons: list[Reason]) -> list[str]:
    if not reasons:
        return [
            *_instance_head(inst),
            "no rule of vrp explain's set proves it infeasible (docs/explain.md); "
            "vrp solve may still find no plan",
        ]
    return [*_instance_head(inst), "no plan can be feasible:", *(f"  {r.text}" for r in reasons)]


def _route_lines(inst: Instance, e: RouteExplanation) -> list[str]:
    from vrp.explain.intentions import WORDS, describe

    dist, clock = _formats(inst)
    s, ids = e.slack, inst.ids
    limit = "" if inst.max_distance is None else f" of {dist(inst.max_distance)}"
    back = ""
    if not inst.open:
        deadline = float(inst.tw_late[e.route.depot])
        back = f", back at {clock(s.end_time)}"
        if math.isfinite(deadline):
            back += f" (deadline {clock(deadline)})"
    lines = [
        f"route {e.index + 1} from {ids[e.route.depot]}: {len(e.route)} stops, distance "
        f"{dist(s.distance)}{limit}, peak load {s.peak_load:g} of {inst.capacity:g}{back}",
        f"  {'stop':<8} {'arrive':>8} {'start':>8} {'wait':>8} {'load':>7}  "
        f"{'time slack':>10} {'bound by':<8} {'cap slack':>9}  tightest",
    ]
    for st in s.stops:
        v = st.visit
        bound = "" if st.time_bound is None else ids[st.time_bound]
        tight = st.tightest + (" (binds)" if st.binding else " (broken)" if st.broken else "")
        lines.append(
            f"  {ids[v.node]:<8} {clock(v.arrival):>8} {clock(v.start):>8} {clock(v.wait):>8} "
            f"{v.load:>7g}  {clock(st.time):>10} {bound:<8} {st.capacity:>9g}  {tight}"
        )
    lines.append("  why this next stop:")
    width = max(len(f"{ids[x.source]} -> {ids[x.target]}") for x in e.edges)
    for x in e.edges:
        arc = f"{ids[x.source]} -> {ids[x.target]}"
        lines.append(f"  {arc:<{width}}  {x.intention:<9} {x.text}")
    for broken in e.violations:
        lines.append(f"  breaks {WORDS.get(broken.rule, broken.rule)}: {describe(inst, broken)}")
    return lines


def _what_if_lines(inst: Instance, a: WhatIf, time_limit: float) -> list[str]:
    dist = _formats(inst)[0]
    lines = [f"what if: {a.change.text}"]
    if a.already:
        return [*lines, "  the plan does this already: nothing changes"]

    def diff(x: float) -> str:  # float noise (a reversed route) reads as 0
        x = 0.0 if abs(x) <= 1e-9 * max(1.0, a.base_cost) else x
        return ("+" if x >= 0 else "-") + dist(abs(x))

    forced = f"  forced (nothing re-optimised): cost {dist(a.forced_cost)} "
    forced += f"({diff(a.forced_cost - a.base_cost)})"
    lines.append(forced + (", keeps every rule" if not a.breaks else ", breaks:"))
    lines += [f"    {b}" for b in a.breaks]
    if a.plan is None or a.cost is None or not (a.honoured and a.feasible):
        lines.append(f"  re-optimised: {a.note}")
    else:
        d_routes = a.delta_routes or 0
        lines.append(
            f"  re-optimised ({a.solver}, {time_limit:g} s): cost {dist(a.cost)} "
            f"({diff(a.cost - a.base_cost)}), {len(a.plan.routes)} routes ({d_routes:+d})"
        )
        if a.note != "re-optimised":
            lines.append(f"  ({a.note})")
        elif a.cost < a.base_cost:
            lines.append("  (cheaper than the given plan: the engine found a better plan anyway)")
    if a.how:
        lines.append(f"  how: {a.how}")
    return lines


def register(app: typer.Typer) -> None:
    app.command("explain")(explain)
