#!/usr/bin/env python
"""Solve every one of the 48 variants with each engine and check every answer with evaluate().

    .venv/bin/python scripts/sweep_variants.py --n 100 --limit 2 --solvers pyvrp,hgs,ortools \
        --out docs/sweep-n100-2s.md --csv docs/sweep-n100-2s.csv

For each variant, ``--count`` generated instances (`vrp.generate.generate_many`, RouteFinder
distributions) are solved by each engine that supports them, one run at a time in this
process. A cell shows the cost, or why there is none: ``refused`` (the engine does not
express the variant), ``none`` (no solution in time), ``INFEASIBLE`` (a returned solution
broke a rule: a bug). The gap column of an engine is its mean gap to the best cost any engine
found on the same instance. Budgets are CPU seconds; the wall cap is raised (``--wall-cap``)
so that engines get their CPU time on a busy machine. Exit status 1 if any returned
solution was infeasible.
"""

from __future__ import annotations

import argparse
import csv
import math
import shlex
import statistics
import sys
import time
import warnings
from pathlib import Path

from vrp.errors import SolverError
from vrp.generate import generate_many
from vrp.io import atomic_write
from vrp.solvers import base, registry
from vrp.variants import VARIANT_NAMES


def _run(name: str, inst, limit: float, seed: int) -> dict:
    engine = registry.get_solver(name)
    reason = base.refusal(engine, inst)
    if reason is not None:
        return {"status": "refused", "reason": reason}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = base.solve(inst, engine, limit, seed)
    except SolverError as e:
        return {"status": "refused", "reason": str(e)}
    row = {"wall": r.runtime_s, "cpu": r.cpu_s, "solver": r.solver}
    if r.solution is None:
        return {**row, "status": "none"}
    if not r.feasible:
        return {**row, "status": "INFEASIBLE", "violation": str(r.evaluation.violations[0])}
    return {**row, "status": "ok", "cost": r.cost, "routes": len(r.solution.routes)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100)
    ap.add_argument("--limit", type=float, default=2.0)
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--solvers", default="pyvrp,hgs,ortools")
    ap.add_argument("--variants", default="all")
    ap.add_argument("--wall-cap", type=float, default=3.0)
    ap.add_argument("--out", type=Path, required=True, help="markdown table")
    ap.add_argument("--csv", type=Path, help="one row per (instance, solver)")
    args = ap.parse_args()
    base.WALL_CAP_FACTOR = args.wall_cap
    names = args.solvers.split(",")
    variants = list(VARIANT_NAMES) if args.variants == "all" else args.variants.split(",")
    command = ".venv/bin/python scripts/sweep_variants.py " + shlex.join(sys.argv[1:])

    rows: list[dict] = []
    table: list[str] = []
    gaps: dict[str, dict[str, list[float]]] = {}
    bad = 0
    t0 = time.perf_counter()
    for variant in variants:
        per_solver: dict[str, list[dict]] = {s: [] for s in names}
        for inst in generate_many(variant, args.n, args.count, args.seed):
            results = {s: _run(s, inst, args.limit, args.seed) for s in names}
            costs = [r["cost"] for r in results.values() if r["status"] == "ok"]
            best = min(costs) if costs else math.nan
            for s, r in results.items():
                r["gap"] = 100 * (r["cost"] - best) / best if r["status"] == "ok" else None
                per_solver[s].append(r)
                rows.append({"instance": inst.name, "variant": variant, "engine": s, **r})
                bad += r["status"] == "INFEASIBLE"
        cells = []
        for s in names:
            rs = per_solver[s]
            ok = [r for r in rs if r["status"] == "ok"]
            if len(ok) == len(rs):
                g = statistics.fmean(r["gap"] for r in ok)
                cost = statistics.fmean(r["cost"] for r in ok)
                cells.append(f"{cost:.3f} ({g:+.2f}%)")
                gaps.setdefault(s, {}).setdefault(variant, []).append(g)
            else:
                cells.append(", ".join(sorted({r["status"] for r in rs if r["status"] != "ok"})))
        table.append(f"| {variant} | " + " | ".join(cells) + " |")
        print(table[-1], flush=True)

    elapsed = time.perf_counter() - t0
    lines = [
        f"# Sweep: 48 variants, n = {args.n}, {args.limit:g} CPU s per run",
        "",
        f"Command: `{command}`",
        "",
        f"{args.count} generated instance(s) per variant (seed {args.seed}); each cell: mean "
        "cost (mean gap to the best engine on the same instance). `refused`: the engine does "
        "not express the variant; `none`: no solution; `INFEASIBLE`: a returned solution broke "
        f"a rule (found: {bad}). Every returned solution was checked by `evaluate()`. "
        f"Sweep wall time {elapsed:.0f} s.",
        "",
        "| variant | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
        *table,
        "",
        "Mean gap to the best engine, by backhaul kind (variants the engine solved):",
        "",
        "| engine | no backhaul | classic (B) | mixed (M) | all |",
        "|---|---|---|---|---|",
    ]
    for s in names:
        by_kind: dict[str, list[float]] = {"none": [], "classic": [], "mixed": []}
        for variant, gs in gaps.get(s, {}).items():
            kind = "mixed" if "mb" in variant else "classic" if "vrpb" in variant else "none"
            by_kind[kind] += gs
        cells = [f"{statistics.fmean(v):.2f}% ({len(v)})" if v else "-" for v in by_kind.values()]
        every = [g for v in by_kind.values() for g in v]
        cells.append(f"{statistics.fmean(every):.2f}% ({len(every)})" if every else "-")
        lines.append(f"| {s} | " + " | ".join(cells) + " |")
    with atomic_write(args.out) as fh:
        fh.write("\n".join(lines) + "\n")
    if args.csv is not None:
        fields = ["instance", "variant", "engine", "solver", "status", "cost", "gap"]
        fields += ["routes", "wall", "cpu", "reason", "violation"]
        with atomic_write(args.csv) as fh:
            w = csv.DictWriter(fh, fieldnames=fields)
            w.writeheader()
            for r in rows:
                w.writerow({k: r.get(k, "") for k in fields})
    print(f"wrote {args.out}; infeasible answers: {bad}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
