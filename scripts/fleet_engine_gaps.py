"""PyVRP against OR-Tools on generated fleet instances: per variant, each one's gap to the better.

    .venv/bin/python scripts/fleet_engine_gaps.py [--variants all-h] [--count 3] [--n 100]
        [--time-limit 10] [--seed 0] [--out docs/data/fleets/engine_gaps]

Draws ``--count`` instances of each variant (`vrp.model.generate.generate_many`, seeded from
``(--seed, i)``), solves each with ``pyvrp`` and ``ortools`` at ``--time-limit`` CPU seconds
(solver seed 0), one run at a time, and scores every answer with `evaluate()` (the fleet cost
of FORMAT.md rule 9). The gap of an engine on an instance is ``cost / best - 1``, ``best`` the
lower feasible cost of the two; a run without a feasible answer has no gap and is counted.

Writes ``OUT.csv`` (one row per run, appended as each finishes; a rerun with the same
``--out`` skips the runs it holds for the same instance, engine and limit, so an interrupted
run continues) and ``OUT.md`` (the table per variant, with the command, commit and machine).
CPU time: about 48 variants x count x 2 engines x limit, plus a second per instance to draw
and check.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import defaultdict
from pathlib import Path
from statistics import mean

from vrp.benchmark.report import markdown_table
from vrp.benchmark.runner import WALL_CAP_FACTOR, code_version, machine, machine_text
from vrp.model.generate import generate_many
from vrp.model.variants import parse_variant, parse_variant_list
from vrp.solvers import Budget, get_solver, refusal, run_solver

ROOT = Path(__file__).resolve().parents[1]
ENGINES = ("pyvrp", "ortools")
FIELDS = ("variant", "instance", "solver", "time_limit", "status", "cost", "routes", "cpu_s",
          "wall_s", "message")  # fmt: skip


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--variants", default="all-h", help='"all-h" or a comma-separated list')
    p.add_argument("--count", type=int, default=3, help="instances per variant (K)")
    p.add_argument("--n", type=int, default=100, help="customers per instance")
    p.add_argument("--time-limit", type=float, default=10.0, help="CPU seconds per run")
    p.add_argument("--seed", type=int, default=0, help="generator seed")
    p.add_argument("--out", default=str(ROOT / "docs/data/fleets/engine_gaps"),
                   help="writes OUT.csv and OUT.md")  # fmt: skip
    a = p.parse_args()
    variants = parse_variant_list(a.variants)
    if not all(parse_variant(v).fleet for v in variants):
        p.error("--variants: fleet variants only (with an h: hcvrp, mdhvrptw, ...)")
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    csv_path, md_path = out.with_suffix(".csv"), out.with_suffix(".md")

    done = _read(csv_path)
    planned = len(variants) * a.count * len(ENGINES)
    print(f"{planned} runs of {a.time_limit:g} CPU s: about "
          f"{planned * a.time_limit / 3600:.2f} CPU h", file=sys.stderr)  # fmt: skip
    rows: list[dict[str, str]] = []
    for v in variants:
        for inst in generate_many(v, a.n, a.count, a.seed):
            for name in ENGINES:
                key = (inst.name, name, f"{a.time_limit:g}")
                row = done.get(key) or _solve(inst, name, a.time_limit)
                if key not in done:
                    _append(csv_path, row)
                    print(f"{inst.name} {name}: {row['status']} {row['cost']}", file=sys.stderr)
                rows.append(row)
    command = ".venv/bin/python scripts/fleet_engine_gaps.py " + " ".join(sys.argv[1:])
    md_path.write_text(_markdown(rows, a, command.strip(), csv_path))
    print(md_path)
    return 0


def _solve(inst, name: str, limit: float) -> dict[str, str]:
    engine = get_solver(name)
    row = {"variant": inst.variant.name, "instance": inst.name, "solver": name,
           "time_limit": f"{limit:g}", "cost": "", "routes": "", "cpu_s": "", "wall_s": "",
           "message": ""}  # fmt: skip
    reason = refusal(engine, inst)
    if reason is not None:
        return {**row, "status": "unsupported", "message": reason}
    res = run_solver(inst, engine, Budget(limit, WALL_CAP_FACTOR))  # as vrp benchmark does
    row.update(cpu_s=f"{res.cpu_s:.2f}", wall_s=f"{res.runtime_s:.2f}")
    if res.solution is None or res.evaluation is None:
        return {**row, "status": "no_solution"}
    ev = res.evaluation
    row.update(cost=f"{ev.cost:.6f}", routes=str(len(res.solution.routes)))
    if not ev.feasible:
        return {**row, "status": "infeasible", "message": str(ev.violations[0])[:200]}
    return {**row, "status": "ok"}


def _read(path: Path) -> dict[tuple[str, str, str], dict[str, str]]:
    if not path.exists():
        return {}
    with open(path, newline="") as fh:
        return {(r["instance"], r["solver"], r["time_limit"]): r for r in csv.DictReader(fh)}


def _append(path: Path, row: dict[str, str]) -> None:
    new = not path.exists()
    with open(path, "a", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=FIELDS)
        if new:
            w.writeheader()
        w.writerow(row)


def gaps(rows: list[dict[str, str]]) -> dict[tuple[str, str], float | None]:
    """(instance, engine) -> cost / best - 1 over the engines' feasible costs, or None."""
    costs: dict[str, dict[str, float]] = defaultdict(dict)
    for r in rows:
        if r["status"] == "ok":
            costs[r["instance"]][r["solver"]] = float(r["cost"])
    out: dict[tuple[str, str], float | None] = {}
    for r in rows:
        mine = costs[r["instance"]]
        best = min(mine.values()) if mine else None
        c = mine.get(r["solver"])
        out[(r["instance"], r["solver"])] = None if c is None or not best else c / best - 1
    return out


def _markdown(rows: list[dict[str, str]], a: argparse.Namespace, command: str,
              csv_path: Path) -> str:  # fmt: skip
    g = gaps(rows)
    by_variant: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        by_variant[r["variant"]].append(r)
    by_variant["all"] = rows
    header = ["variant", "instances"]
    for e in ENGINES:
        header += [f"{e} mean gap", f"{e} max gap", f"{e} better", f"{e} not feasible"]
    table = []
    for v, rs in by_variant.items():
        if v == "all" and len(by_variant) == 2:
            continue  # one variant: its line is the whole
        cells = [v, str(len({r["instance"] for r in rs}))]
        for e in ENGINES:
            mine = [g[(r["instance"], e)] for r in rs if r["solver"] == e]
            found = [x for x in mine if x is not None]
            cells += [
                f"{100 * mean(found):.2f} %" if found else "–",
                f"{100 * max(found):.2f} %" if found else "–",
                str(sum(x == 0 for x in found)),
                str(len(mine) - len(found)),
            ]
        table.append(cells)
    cpu = sum(float(r["cpu_s"] or 0) for r in rows)
    lines = [
        "# Fleets: PyVRP and OR-Tools, each against the better of the two",
        "",
        f"Made by `{command}` at commit `{code_version(ROOT)}` on "
        f"{time.strftime('%Y-%m-%d')}; {machine_text(machine())}; runs one at a time, "
        f"{cpu / 60:.1f} CPU min of solving.",
        "",
        f"- instances: `vrp.model.generate.generate_many(variant, {a.n}, {a.count}, "
        f"seed={a.seed})` per variant",
        f"- engines: {', '.join(ENGINES)}, {a.time_limit:g} CPU s per run, solver seed 0",
        "- cost: `evaluate()`'s fleet cost (FORMAT.md rule 9: fixed + distance costs)",
        "- gap: cost / (the lower feasible cost of the two on the instance) - 1; *better*: "
        "instances where the engine's cost is that lower one (ties count for both); *not "
        "feasible*: runs without a feasible answer (no gap)",
        f"- raw runs: `{_shown(csv_path)}`",
        "",
        markdown_table(header, table),
        "",
    ]
    return "\n".join(lines)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
