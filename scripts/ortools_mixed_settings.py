#!/usr/bin/env python
"""Paired comparison of OR-Tools search settings on mixed-backhaul (or any) variants.

    .venv/bin/python scripts/ortools_mixed_settings.py --limit 3 --count 12 \\
        --variants ovrpmb,vrpmb default big seq big+seq

Each setting patches `vrp.solvers.ortools._parameters` (the iterated local search of the
adapter) and solves the same generated instances (`generate_many(v, 100, count, seed=101)`,
engine seed 0, ``--limit`` wall-clock seconds); printed is the mean ratio of its costs to
those of the first setting, with its standard error. Settings, joined with ``+``:

- ``default``: the adapter as it is;
- ``big``: SISR removes 20 visits on average instead of 10;
- ``seq`` / ``par``: sequential / parallel cheapest insertion to recreate (default: local);
- ``walk``: random-walk ruin of 10 visits instead of SISR;
- ``savings``: savings first solution.
"""

from __future__ import annotations

import argparse
import statistics
from typing import Any

import vrp.solvers.ortools as ortools
from vrp.errors import InputError
from vrp.evaluate import evaluate
from vrp.generate import generate_many
from vrp.variants import Variant, parse_variant_list

_adapter_parameters = ortools._parameters


def _with(setting: str):
    from ortools.constraint_solver import routing_enums_pb2

    first = routing_enums_pb2.FirstSolutionStrategy

    def parameters(variant: Variant, metaheuristic: Any, first_solution: str):
        params, use_ils = _adapter_parameters(variant, metaheuristic, first_solution)
        rr = params.iterated_local_search_parameters.ruin_recreate_parameters
        for part in setting.split("+"):
            if part == "big":
                rr.ruin_strategies[0].sisr.avg_num_removed_visits = 20
            elif part == "seq":
                rr.recreate_strategy.heuristic = first.SEQUENTIAL_CHEAPEST_INSERTION
            elif part == "par":
                rr.recreate_strategy.heuristic = first.PARALLEL_CHEAPEST_INSERTION
            elif part == "walk":
                del rr.ruin_strategies[:]
                rr.ruin_strategies.add().random_walk.num_removed_visits = 10
            elif part == "savings":
                params.first_solution_strategy = first.SAVINGS
        return params, use_ils

    return parameters


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("settings", nargs="+")
    ap.add_argument("--limit", type=float, default=3.0)
    ap.add_argument("--count", type=int, default=12)
    ap.add_argument("--variants", default="ovrpmb,vrpmb")
    args = ap.parse_args()
    known = {"default", "big", "seq", "par", "walk", "savings"}
    for setting in args.settings:
        if not set(setting.split("+")) <= known:
            ap.error(f"unknown setting {setting!r}; known: {', '.join(sorted(known))}")
    try:
        variants = parse_variant_list(args.variants)
    except InputError as e:
        ap.error(f"--variants: {e.detail}")
    for variant in variants:
        instances = generate_many(variant, 100, args.count, seed=101)
        costs: dict[str, list[float]] = {}
        for setting in args.settings:
            ortools._parameters = _with(setting)
            costs[setting] = []
            for inst in instances:
                ev = evaluate(inst, ortools.ORToolsSolver().solve(inst, args.limit, 0))
                costs[setting].append(ev.cost if ev.feasible else float("nan"))
            ratios = [c / b for c, b in zip(costs[setting], costs[args.settings[0]], strict=True)]
            se = statistics.stdev(ratios) / len(ratios) ** 0.5 if len(ratios) > 1 else 0.0
            print(
                f"{variant} {setting}: mean cost ratio to {args.settings[0]} "
                f"{statistics.mean(ratios):.4f} (standard error {se:.4f})",
                flush=True,
            )
    ortools._parameters = _adapter_parameters


if __name__ == "__main__":
    main()
