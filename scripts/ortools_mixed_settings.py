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
- ``savings``: savings first solution;
- ``pca`` / ``pci`` / ``lci``: path cheapest arc / parallel cheapest insertion / local
  cheapest insertion first solution;
- ``walkmix``: SISR or a random-walk ruin of 10 visits, one drawn per iteration;
- ``greedy``: greedy acceptance of the reference solution instead of simulated annealing;
- ``noimprove``: no local search after each ruin-and-recreate;
- ``ops``: cross-exchange, relocate-neighbors and extended swap-active operators on;
- ``gls``: guided local search (the adapter's ``metaheuristic="gls"``) instead of the ILS;
- ``near``: local-search operators look at the nearest 20% of the nodes only (at least 10;
  default: all);
- ``bandit``: the multi-armed-bandit choice among the local-search operators;
- ``costins``: local cheapest *cost* insertion to recreate (the model's whole cost, not
  arcs only);
- ``usage`` / ``random``: the recreate inserts the removed visits by decreasing load
  (highest dimension usage first) / in random order (default: OR-Tools' own order).
"""

from __future__ import annotations

import argparse
import math
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
    from ortools.constraint_solver.routing_heuristic_parameters_pb2 import (
        LocalCheapestInsertionParameters,
    )
    from ortools.constraint_solver.routing_ils_pb2 import RuinCompositionStrategy
    from ortools.util.optional_boolean_pb2 import BOOL_TRUE

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
            elif part in ("pca", "pci", "lci"):
                names = {"pca": "PATH_CHEAPEST_ARC", "pci": "PARALLEL_CHEAPEST_INSERTION"}
                names["lci"] = "LOCAL_CHEAPEST_INSERTION"
                params.first_solution_strategy = getattr(first, names[part])
            elif part == "walkmix":
                rr.ruin_strategies.add().random_walk.num_removed_visits = 10
                rr.ruin_composition_strategy = RuinCompositionStrategy.RUN_ONE_RANDOMLY
            elif part == "greedy":
                ils = params.iterated_local_search_parameters
                ils.reference_solution_acceptance_strategy.greedy_descent.SetInParent()
            elif part == "noimprove":
                params.iterated_local_search_parameters.improve_perturbed_solution = False
            elif part == "ops":
                ops = params.local_search_operators
                ops.use_cross_exchange = ops.use_relocate_neighbors = BOOL_TRUE
                ops.use_extended_swap_active = BOOL_TRUE
            elif part == "near":
                params.ls_operator_neighbors_ratio = 0.2
                params.ls_operator_min_neighbors = 10
            elif part == "bandit":
                params.use_multi_armed_bandit_concatenate_operators = True
            elif part == "costins":
                rr.recreate_strategy.heuristic = first.LOCAL_CHEAPEST_COST_INSERTION
            elif part in ("usage", "random"):
                lci = rr.recreate_strategy.parameters.local_cheapest_insertion
                prop = "HIGHEST_DIMENSION_USAGE" if part == "usage" else "RANDOM"
                lci.insertion_sorting_properties.append(
                    getattr(LocalCheapestInsertionParameters, "SORTING_PROPERTY_" + prop)
                )
        return params, use_ils

    return parameters


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("settings", nargs="+")
    ap.add_argument("--limit", type=float, default=3.0)
    ap.add_argument("--count", type=int, default=12)
    ap.add_argument("--variants", default="ovrpmb,vrpmb")
    args = ap.parse_args()
    known = {"default", "big", "seq", "par", "walk", "savings", "walkmix", "greedy", "noimprove"}
    known |= {"ops", "gls", "near", "bandit", "costins", "usage", "random"}
    known |= {"pca", "pci", "lci"}
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
                solver = ortools.ORToolsSolver("gls" if "gls" in setting.split("+") else "auto")
                sol = solver.solve(inst, args.limit, 0)
                ev = None if sol is None else evaluate(inst, sol)
                costs[setting].append(ev.cost if ev is not None and ev.feasible else math.nan)
            pairs = zip(costs[setting], costs[args.settings[0]], strict=True)
            ratios = [c / b for c, b in pairs if not (math.isnan(c) or math.isnan(b))]
            failed = len(instances) - len(ratios)
            se = statistics.stdev(ratios) / len(ratios) ** 0.5 if len(ratios) > 1 else 0.0
            print(
                f"{variant} {setting}: mean cost ratio to {args.settings[0]} "
                f"{statistics.mean(ratios) if ratios else math.nan:.4f} (standard error "
                f"{se:.4f})"
                + (
                    f"; {failed} of {len(instances)} left out (no feasible solution)"
                    if failed
                    else ""
                ),
                flush=True,
            )
    ortools._parameters = _adapter_parameters


if __name__ == "__main__":
    main()
