"""Measure PyVRP's granular neighbourhood size on large instances: each instance solved once
per ``--neighbours`` value at the same CPU limit and seed, through vrp's PyVRP engine
(`vrp.solvers.pyvrp.neighbours` patched per run), every plan re-scored by `evaluate()`.

    .venv/bin/python scripts/large_settings.py INSTANCE... --neighbours 50,25,12 \\
        --time-limit 60 [--reference BKS.csv] > results/large_settings.md

Prints a Markdown table: cost per setting and each cost's ratio to the best of its row.
docs/solvers.md ("Large instances") quotes it; `neighbours` holds the rule it chose.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import vrp.solvers.pyvrp as engine
from vrp.formats.io import read_instance
from vrp.model.evaluate import evaluate
from vrp.solvers.base import Budget


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("instances", nargs="+", type=Path)
    ap.add_argument("--neighbours", default="50,25,12")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--reference", type=Path, help="CSV with columns instance, bks")
    args = ap.parse_args()
    ks = [int(k) for k in args.neighbours.split(",")]
    bks: dict[str, float] = {}
    if args.reference:
        with open(args.reference) as fh:
            bks = {r["instance"]: float(r["bks"]) for r in csv.DictReader(fh)}
    cols = " | ".join(f"k = {k}" for k in ks)
    print(f"| instance | customers | {cols} | BKS |")
    print("|---|---|" + "---|" * len(ks) + "---|")
    for path in args.instances:
        inst = read_instance(path)
        costs: list[float] = []
        for k in ks:
            engine.neighbours = lambda n, fleet=False, k=k: k  # type: ignore[assignment]
            budget = Budget(args.time_limit, wall_cap_factor=20)  # CPU decides
            c0 = time.process_time()
            sol = engine.PyVRPSolver().solve(inst, budget, seed=args.seed)
            cpu = time.process_time() - c0
            ev = evaluate(inst, sol) if sol is not None else None
            cost = ev.cost if ev is not None and ev.feasible else float("inf")
            costs.append(cost)
            print(f"{path.name} k={k}: {cost:.1f} in {cpu:.1f} CPU s", file=sys.stderr, flush=True)
        best = min(costs)
        cells = " | ".join(f"{c:,.0f} ({c / best:.3f})" for c in costs)
        ref = bks.get(inst.name) or bks.get(path.stem)
        print(f"| {path.stem} | {inst.num_customers} | {cells} | {ref or '-'} |", flush=True)


if __name__ == "__main__":
    main()
