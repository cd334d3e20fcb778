#!/usr/bin/env python
"""Compare engines on generated instances: mean gap of each to the best cost found by any.

    .venv/bin/python scripts/compare_engines.py --variant cvrp -n 100 --limit 1 --count 5 \
        --solvers hgs,pyvrp

Budgets are CPU seconds (see vrp.solvers.base); the wall cap is raised (--wall-cap) so that
every engine gets its CPU time even on a crowded machine. Instances come from
`vrp.generate.generate_many(variant, n, count, seed)`, or are the files given with --files
(any format `vrp solve` reads). One run per engine and instance, one process, one at a time.
Prints one line per instance and a summary line per engine: mean gap to the best found by
any engine on that instance, mean wall and CPU seconds, feasible runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import warnings

from vrp.generate import generate_many
from vrp.io import read_instance
from vrp.solvers import base
from vrp.solvers.base import solve


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variant", default="cvrp")
    ap.add_argument("-n", type=int, default=100)
    ap.add_argument("--limit", type=float, default=1.0)
    ap.add_argument("--count", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--solvers", default="hgs,pyvrp")
    ap.add_argument(
        "--wall-cap",
        type=float,
        default=10.0,
        help="wall-clock cap as a multiple of --limit (high: equal CPU time on a busy machine)",
    )
    ap.add_argument("--files", nargs="*", help="instance files to use instead of generated ones")
    args = ap.parse_args()
    base.WALL_CAP_FACTOR = args.wall_cap
    warnings.simplefilter("ignore")
    names = args.solvers.split(",")
    gaps: dict[str, list[float]] = {s: [] for s in names}
    wall: dict[str, list[float]] = {s: [] for s in names}
    cpu: dict[str, list[float]] = {s: [] for s in names}
    if args.files:
        instances = [read_instance(f) for f in args.files]
    else:
        instances = generate_many(args.variant, args.n, args.count, args.seed)
    for inst in instances:
        costs = {}
        for s in names:
            r = solve(inst, s, args.limit, seed=0)
            wall[s].append(r.runtime_s)
            cpu[s].append(r.cpu_s)
            costs[s] = r.cost if r.feasible else float("inf")
        best = min(costs.values())
        for s in names:
            gaps[s].append(100 * (costs[s] - best) / best)
        row = " ".join(f"{s}={costs[s]:.4f}" for s in names)
        print(f"{inst.name} {row}", flush=True)
    head = f"{args.variant} n={args.n} limit={args.limit}s count={args.count}"
    if args.files:
        head = f"{len(args.files)} files, limit={args.limit}s"
    for s in names:
        print(
            f"{head} {s}: mean gap {statistics.fmean(gaps[s]):.2f}% "
            f"wall {statistics.fmean(wall[s]):.2f}s cpu {statistics.fmean(cpu[s]):.2f}s "
            f"feasible {sum(g != float('inf') for g in gaps[s])}/{len(gaps[s])}",
            flush=True,
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
