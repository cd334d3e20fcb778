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

    from envs.mtvrp import VRPRules
    from envs.ops import dihedral_8, repeat_batch
    from vrp.benchmark.references import COMMITTED, ReferenceStore, instance_digest
    from vrp.formats.io import read_instance
    from vrp.model.evaluate import evaluate
    from vrp.model.variants import parse_variant_list
    from vrp.neural.bridge import to_batch, to_solution
    from vrp.neural.checkpoint import load_policy

    torch.set_num_threads(1)
    policy = load_policy(args.checkpoint).policy
    store = ReferenceStore(ROOT / COMMITTED)
    env = VRPRules()
    plain = policy.logits

    def best_cost(inst, batch, out, A: int, S: int) -> float:
        reward = out["reward"].view(S, A).T.reshape(-1)
        T = out["actions"].shape[-1]
        actions = out["actions"].view(S, A, T).permute(1, 0, 2).reshape(-1, T)
        for k in reward.argsort(descending=True)[:8].tolist():
            ev = evaluate(inst, to_solution(batch, 0, actions[k].tolist()))
            if ev.feasible:
                return ev.cost
        return float("inf")

    n = args.size
    for variant in parse_variant_list(args.variants):
        for i in range(args.count):
            name = f"{variant}-n{n}-s1-{i:03d}"
            inst = read_instance(ROOT / "docs/data/neural/instances" / f"{name}.json")
            ref = store.find(instance_digest(inst), "pyvrp", 10.0)
            if ref is None or ref.get("cost") is None:
                sys.exit(f"error: {name}: no stored PyVRP reference at 10 s")
            cost0 = ref["cost"]
            batch = to_batch([inst])
            A, S = 8, n
            td = repeat_batch(env.reset(batch.td), A)
            td.set("locs", dihedral_8(td["locs"][:1]))
            with torch.inference_mode():
                policy.logits = plain
                t0 = time.process_time()
                greedy = best_cost(inst, batch, policy(td.clone(), env, "greedy", S), A, S)
                row: dict = {
                    "name": name,
                    "greedy": 100 * (greedy / cost0 - 1),
                    "greedy_s": time.process_time() - t0,
                }
                for temp in args.temperatures:
                    torch.manual_seed(0)
                    best, curve = greedy, []
                    t0 = time.process_time()
                    for _ in range(args.rounds):
                        out = policy(td.clone(), env, "sampling", S, temperature=temp)
                        best = min(best, best_cost(inst, batch, out, A, S))
                        curve.append(round(100 * (best / cost0 - 1), 3))
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
