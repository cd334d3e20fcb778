"""How much do rounds of sampling add to the greedy decode, and at what temperature?

    V=cvrp,ovrp,vrpb,vrptw,vrpl,ovrpmbltw,mdcvrp,mdvrptw,vrpmbtw,ovrpltw,mdovrpbl,vrpbltw
    .venv/bin/python scripts/sampling_rounds.py run --size 50 --variants $V \\
        --count 3 --rounds 8 --temperatures 1,0.5 >> docs/data/neural-sampling/rounds.jsonl
    .venv/bin/python scripts/sampling_rounds.py report docs/data/neural-sampling/rounds.jsonl

``run``: on instances 0 to count - 1 of each variant of the committed gap table's instances
(``vrp generate --seed 1``, read from ``docs/data/neural/instances/``, which ``vrp benchmark
... --out docs/data/neural`` writes), the shipped model (``--checkpoint``) decodes greedily
with 8 symmetries x every start, then, per temperature, ``--rounds`` rounds of the same decode
sampled from torch seed 0; each round keeps the best plan `evaluate()` finds feasible. One
JSON line per instance: the greedy gap to the stored PyVRP reference at 10 CPU s (percent),
the gap after each round per temperature, and the CPU seconds of the greedy decode and of a
round (one thread). ``report``: per size and temperature, over the instances that have it,
the mean greedy gap and the mean gap after each round (percent), and the median CPU seconds
of a round; ``--common``: only the instances that have every temperature of their size.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from statistics import fmean, median

ROOT = Path(__file__).resolve().parents[1]


def run(args: argparse.Namespace) -> None:
    import torch

    from vrp.benchmark.references import COMMITTED, ReferenceStore, instance_digest
    from vrp.formats.io import read_instance
    from vrp.model.evaluate import evaluate
    from vrp.model.variants import parse_variant_list
    from vrp.neural.checkpoint import load_policy
    from vrp.neural.decode import solve_instances

    torch.set_num_threads(1)
    policy = load_policy(args.checkpoint).policy
    store = ReferenceStore(ROOT / COMMITTED)

    def decode(inst, how: str, temperature: float = 1.0) -> float:
        """The cost of the best feasible plan of one decode (8 symmetries x every start)."""
        sol = solve_instances(policy, [inst], decode=how, temperature=temperature)[0]
        ev = evaluate(inst, sol)
        return ev.cost if ev.feasible else float("inf")

    n = args.size
    for variant in parse_variant_list(args.variants):
        for i in range(args.count):
            name = f"{variant}-n{n}-s1-{i:03d}"
            inst = read_instance(ROOT / "docs/data/neural/instances" / f"{name}.json")
            ref = store.find(instance_digest(inst), "pyvrp", 10.0)
            if ref is None or ref.get("cost") is None:
                sys.exit(f"error: {name}: no stored PyVRP reference at 10 s")
            gap = lambda cost, ref_cost=ref["cost"]: 100 * (cost / ref_cost - 1)  # noqa: E731
            t0 = time.process_time()
            greedy = decode(inst, "greedy")
            row: dict = {"name": name, "greedy": gap(greedy), "greedy_s": time.process_time() - t0}
            for temp in args.temperatures:
                torch.manual_seed(0)
                best, curve = greedy, []
                t0 = time.process_time()
                for _ in range(args.rounds):
                    best = min(best, decode(inst, "sampling", temp))
                    curve.append(round(gap(best), 3))
                row[f"T{temp:g}"] = curve
                row[f"T{temp:g}_s"] = (time.process_time() - t0) / args.rounds
            print(json.dumps(row), flush=True)


def report(args: argparse.Namespace) -> None:
    merged: dict[str, dict] = {}  # lines of several runs on one instance (other temperatures)
    for line in args.file.read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            merged.setdefault(row["name"], {}).update(row)
    by_size: dict[int, list[dict]] = defaultdict(list)
    for name, row in merged.items():
        by_size[int(name.split("-n")[1].split("-")[0])].append(row)
    print("| n | temperature | instances | greedy | after round 1, 2, ... | CPU s / round |")
    print("|---|---|---|---|---|---|")
    for n, rows in sorted(by_size.items()):
        temps = {k for r in rows for k in r if k.startswith("T") and not k.endswith("_s")}
        for temp in sorted(temps, key=lambda t: -float(t[1:])):
            sel = [r for r in rows if temp in r and (not args.common or temps <= r.keys())]
            if not sel:
                continue
            k = min(len(r[temp]) for r in sel)
            curve = ", ".join(f"{fmean(r[temp][j] for r in sel):.2f}" for j in range(k))
            greedy = fmean(r["greedy"] for r in sel)
            cpu = median(r[temp + "_s"] for r in sel)
            print(f"| {n} | {temp[1:]} | {len(sel)} | {greedy:.2f} | {curve} | {cpu:.2f} |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--size", type=int, default=50)
    r.add_argument("--variants", default="cvrp,vrptw")
    r.add_argument("--count", type=int, default=3)
    r.add_argument("--rounds", type=int, default=8)
    r.add_argument("--temperatures", type=lambda t: [float(x) for x in t.split(",")],
                   default=[1.0, 0.5])  # fmt: skip
    r.add_argument("--checkpoint", default=str(ROOT / "checkpoints" / "all-n50.ckpt"))
    q = sub.add_parser("report")
    q.add_argument("file", type=Path)
    q.add_argument("--common", action="store_true", help="only instances with every temperature")
    args = p.parse_args()
    run(args) if args.cmd == "run" else report(args)


if __name__ == "__main__":
    main()
