"""The record of docs/uncertainty.md: deterministic against robust plans, cost against on-time rate.

    .venv/bin/python scripts/uncertainty_record.py [--time-limit 5] [--samples 1000]

Instances: five Solomon VRPTW instances read from ``$VRP_SHARED/benchmarks/solomon`` (default
``../shared``), and three Monaco road instances (`vrp instance sample-city --region monaco -n
100 --variant vrptw --count 3 --seed 0`, made into ``.cache/uncertainty/`` when missing: this
needs the prepared OSRM region, ``./scripts/setup``). Each is solved by ``auto`` (seed 0,
``--time-limit`` CPU s) deterministically and with ``--robust Q`` for each Q of `QS` (the same
CPU s over all calibration rounds). Every plan is then simulated under the default noise
model with ``--samples`` samples of seed 1, draws that the calibration (seed 0) never saw:
the on-time figures of the table are these held-out ones.

Writes ``docs/data/uncertainty/runs.csv`` (a row per instance and plan), ``summary.csv``
(per set and plan), ``cost_vs_ontime.png`` and ``meta.json`` (command, code, machine), and
prints the markdown tables of docs/uncertainty.md on stdout. About 3.5 CPU minutes at 5 s.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path
from statistics import mean
from typing import Any

from vrp.benchmark.runner import code_version, instance_digest, machine, machine_text
from vrp.formats.io import read_instance
from vrp.model.instance import Instance
from vrp.solvers import get_solver, solve
from vrp.uncertainty.robust import reliability, solve_robust
from vrp.uncertainty.simulate import simulate

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "data" / "uncertainty"
SOLOMON = ("C101", "C201", "R101", "R201", "RC101")
MONACO = ("monaco", 100, 3, 0)  # region, customers, count, seed
QS = (0.8, 0.9, 0.95, 0.99)
HELD_OUT_SEED = 1


def _solomon() -> list[Instance]:
    shared = Path(os.environ.get("VRP_SHARED", ROOT.parent / "shared"))
    return [read_instance(shared / "benchmarks" / "solomon" / f"{name}.txt") for name in SOLOMON]


def _monaco() -> list[Instance]:
    region, n, count, seed = MONACO
    folder = ROOT / ".cache" / "uncertainty"
    names = [f"{region}-vrptw-n{n}-s{seed}-{i:03d}.json" for i in range(count)]
    if not all((folder / f).exists() for f in names):
        vrp = Path(sys.executable).with_name("vrp")
        cmd = [str(vrp), "instance", "sample-city", "--region", region, "-n", str(n)]
        cmd += ["--variant", "vrptw", "--count", str(count), "--seed", str(seed)]
        subprocess.run([*cmd, "--out", str(folder)], check=True, stdout=sys.stderr)
    return [read_instance(folder / f) for f in names]


def _row(set_name: str, inst: Instance, plan: str, q: float | None, res: Any, cpu: float,
         inflation: float | None, calibrated: float | None, rounds: int,
         samples: int) -> dict[str, Any]:  # fmt: skip
    sim = simulate(inst, res.solution, samples, seed=HELD_OUT_SEED)
    return {
        "set": set_name,
        "instance": inst.name,
        "instance_digest": instance_digest(inst),
        "plan": plan,
        "q": q,
        "solver": res.solver,
        "cost": round(res.cost, 4),
        "routes": len(res.solution.routes),
        "on_time_rate": round(reliability(sim), 5),
        "deadline_rate": None if sim.deadline_rate is None else round(sim.deadline_rate, 5),
        "p_all_on_time": round(sim.p_all_on_time, 4),
        "expected_lateness": round(sim.expected_lateness, 3),
        "lateness_p95": round(sim.lateness_p95, 3),
        "calibration_on_time": None if calibrated is None else round(calibrated, 5),
        "inflation": None if inflation is None else round(inflation, 4),
        "rounds": rounds,
        "cpu_s": round(cpu, 2),
    }


def run(time_limit: float, samples: int) -> list[dict[str, Any]]:
    rows = []
    for set_name, instances in (("solomon", _solomon()), ("monaco", _monaco())):
        for inst in instances:
            det = solve(inst, "auto", time_limit, 0)
            assert det.feasible, inst.name
            rows.append(
                _row(set_name, inst, "deterministic", None, det, det.cpu_s, None, None, 1, samples)
            )
            print(f"{inst.name} deterministic {det.cost:.6g}", file=sys.stderr, flush=True)
            for q in QS:
                rr = solve_robust(inst, get_solver("auto"), q, time_limit, 0, samples=samples)
                res = rr.result
                assert res.feasible, (inst.name, q)
                rows.append(
                    _row(
                        set_name,
                        inst,
                        f"robust {q:g}",
                        q,
                        res,
                        res.cpu_s,
                        rr.inflation,
                        rr.reliability,
                        len(rr.rounds),
                        samples,
                    )  # fmt: skip
                )
                print(
                    f"{inst.name} robust {q:g} {res.cost:.6g} calibrated {rr.reliability:.4f} "
                    f"held-out {rows[-1]['on_time_rate']:.4f}",
                    file=sys.stderr,
                    flush=True,
                )
    return rows


def summarize(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per set and plan: the mean cost over the deterministic plan's (%), the mean held-out
    on-time rate, the share of plans whose held-out rate reached Q, and the mean lateness."""
    det = {r["instance"]: r["cost"] for r in rows if r["plan"] == "deterministic"}
    out = []
    keys = list(dict.fromkeys((r["set"], r["plan"]) for r in rows))
    for set_name, plan in keys:
        rs = [r for r in rows if r["set"] == set_name and r["plan"] == plan]
        q = rs[0]["q"]
        out.append(
            {
                "set": set_name,
                "plan": plan,
                "instances": len(rs),
                "cost_increase_pct": round(
                    100 * mean(r["cost"] / det[r["instance"]] - 1 for r in rs), 2
                ),
                "on_time_rate": round(mean(r["on_time_rate"] for r in rs), 4),
                "min_on_time_rate": round(min(r["on_time_rate"] for r in rs), 4),
                "reached_q": None if q is None else sum(r["on_time_rate"] >= q for r in rs),
                "p_all_on_time": round(mean(r["p_all_on_time"] for r in rs), 4),
                "expected_lateness": round(mean(r["expected_lateness"] for r in rs), 3),
                "routes": round(mean(r["routes"] for r in rs), 1),
            }
        )
    return out


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            w.writerow({k: "" if v is None else v for k, v in r.items()})


def plot(rows: list[dict[str, Any]], path: Path, time_limit: float, samples: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    det = {r["instance"]: r["cost"] for r in rows if r["plan"] == "deterministic"}
    sets = list(dict.fromkeys(r["set"] for r in rows))
    fig, axes = plt.subplots(1, len(sets), figsize=(6 * len(sets), 4.8))
    marks = {"deterministic": "o", **{f"robust {q:g}": m for q, m in zip(QS, "s^Dv", strict=True)}}
    for ax, set_name in zip(axes, sets, strict=True):
        names = list(dict.fromkeys(r["instance"] for r in rows if r["set"] == set_name))
        for k, name in enumerate(names):
            rs = [r for r in rows if r["instance"] == name]
            xs = [100 * r["on_time_rate"] for r in rs]
            ys = [100 * (r["cost"] / det[name] - 1) for r in rs]
            color = plt.get_cmap("tab10")(k % 10)
            ax.plot(xs, ys, "-", color=color, alpha=0.5, label=name)
            for x, y, r in zip(xs, ys, rs, strict=True):
                ax.plot(x, y, marks[r["plan"]], color=color)
        for q in QS:
            ax.axvline(100 * q, color="grey", linewidth=0.5, linestyle=":")
        ax.set_xlabel("on-time rate of visits, held-out simulation (%)")
        ax.set_ylabel("cost over the deterministic plan (%)")
        ax.set_title(f"{set_name}: o deterministic, ■ ▲ ◆ ▼ robust Q = "
                     + ", ".join(f"{q:g}" for q in QS), fontsize=9)  # fmt: skip
        ax.legend(fontsize=7)
    fig.suptitle(
        f"Cost against on-time rate: auto, {time_limit:g} CPU s per plan, default noise, "
        f"{samples} samples (seed {HELD_OUT_SEED})",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def markdown(summary: list[dict[str, Any]], rows: list[dict[str, Any]]) -> str:
    lines = [
        "| set | plan | cost vs deterministic | on-time rate (mean, min) | reached Q | "
        "all on time | expected lateness | routes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in summary:
        reached = "–" if s["reached_q"] is None else f"{s['reached_q']} of {s['instances']}"
        lines.append(
            f"| {s['set']} | {s['plan']} | {s['cost_increase_pct']:+.1f}% | "
            f"{100 * s['on_time_rate']:.1f}%, {100 * s['min_on_time_rate']:.1f}% | {reached} | "
            f"{100 * s['p_all_on_time']:.1f}% | {s['expected_lateness']:.4g} | {s['routes']:g} |"
        )
    lines += [
        "",
        "| instance | plan | cost | routes | on time | all on time | lateness | inflation | "
        "calibration on time |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        infl = "–" if r["inflation"] is None else f"x{1 + r['inflation']:.3f}"
        cal = "–" if r["calibration_on_time"] is None else f"{100 * r['calibration_on_time']:.1f}%"
        lines.append(
            f"| {r['instance']} | {r['plan']} | {r['cost']:.6g} | {r['routes']} | "
            f"{100 * r['on_time_rate']:.1f}% | {100 * r['p_all_on_time']:.1f}% | "
            f"{r['expected_lateness']:.4g} | {infl} | {cal} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--time-limit", type=float, default=5.0)
    ap.add_argument("--samples", type=int, default=1000)
    args = ap.parse_args()
    t0, c0 = time.perf_counter(), time.process_time()
    code = code_version()
    rows = run(args.time_limit, args.samples)
    summary = summarize(rows)
    OUT.mkdir(parents=True, exist_ok=True)
    _write_csv(OUT / "runs.csv", rows)
    _write_csv(OUT / "summary.csv", summary)
    plot(rows, OUT / "cost_vs_ontime.png", args.time_limit, args.samples)
    command = "scripts/uncertainty_record.py " + shlex.join(sys.argv[1:])
    meta = {
        "command": command.strip(),
        "time_limit": args.time_limit,
        "samples": args.samples,
        "held_out_seed": HELD_OUT_SEED,
        "qs": list(QS),
        "code": code,
        "machine": machine_text(machine()),
        "python": platform.python_version(),
        "wall_s": round(time.perf_counter() - t0, 1),
        "cpu_s": round(time.process_time() - c0, 1),
        "finished_at": time.strftime("%Y-%m-%d %H:%M"),
    }
    (OUT / "meta.json").write_text(json.dumps(meta, indent=1) + "\n")
    print(markdown(summary, rows))


if __name__ == "__main__":
    main()
