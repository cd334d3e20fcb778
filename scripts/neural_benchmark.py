"""Neural solver benchmark: gap to PyVRP on generated instances, and decoding time.

Two parts, each resumable and each printing Markdown:

``timing``: decode one batch of ``--count`` instances of size n (variants drawn in turn from
``--variants``) with the 8 symmetries, greedy from one start and greedy from every start;
wall and CPU seconds of the whole batch (model loaded beforehand)::

    .venv/bin/python scripts/neural_benchmark.py timing --sizes 100 --count 100

``gaps``: for each variant and size, ``--count`` instances of ``vrp generate --seed 1`` (the
seed is apart from training and validation), PyVRP with ``--reference-time`` CPU seconds per
instance (records appended to ``OUT/pyvrp.jsonl``, so an interrupted run continues) and the
neural solver (8 symmetries, every start; its batch time divided by the count); every cost
from `evaluate()`::

    .venv/bin/python scripts/neural_benchmark.py gaps --variants all --sizes 50,100 \\
        --count 100 --reference-time 10 --out results/neural
"""

from __future__ import annotations

import argparse
import contextlib
import glob
import io
import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import torch

from vrp.benchmark import machine
from vrp.benchmark_report import machine_text
from vrp.errors import InputError
from vrp.evaluate import evaluate
from vrp.generate import generate_many
from vrp.io import atomic_write, read_instance
from vrp.solvers.base import run_solver
from vrp.solvers.neural import NeuralSolver
from vrp.solvers.registry import get_solver
from vrp.variants import parse_variant_list

TEST_SEED = 1


def _variants(spec: str) -> list[str]:
    return list(parse_variant_list(spec))


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def timing(args: argparse.Namespace) -> None:
    variants = _variants(args.variants)
    print("| n | instances | decoding | wall s | CPU s | wall s per instance |")
    print("|---|---|---|---|---|---|")
    for n in args.sizes:
        insts = [
            generate_many(variants[i % len(variants)], n, 1, seed=TEST_SEED + i)[0]
            for i in range(args.count)
        ]
        for label, starts in (("8 symmetries x 1 start", 1), ("8 symmetries x every start", None)):
            solver = NeuralSolver(args.checkpoint, augment=8, num_starts=starts)
            solver.solve_many(insts[:1])  # load the model and warm up
            w0, c0 = _clock()
            sols = solver.solve_many(insts)
            w1, c1 = _clock()
            bad = sum(not evaluate(i, s).feasible for i, s in zip(insts, sols, strict=True))
            assert bad == 0, f"{bad} infeasible"
            print(
                f"| {n} | {len(insts)} | {label} | {w1 - w0:.1f} | {c1 - c0:.1f} | "
                f"{(w1 - w0) / len(insts):.3f} |"
            )


def _instance_groups(args: argparse.Namespace):
    """(variant, n, instances): generated ones, or the files given, grouped."""
    if not args.files:
        for n in args.sizes:
            for v in _variants(args.variants):
                yield v, n, generate_many(v, n, args.count, seed=TEST_SEED)
        return
    groups: dict[tuple[str, int], list] = {}
    for path in sorted(glob.glob(args.files)):
        inst = read_instance(path)
        groups.setdefault((inst.variant.name, inst.num_customers), []).append(inst)
    for (v, n), insts in groups.items():
        yield v, n, insts


def gaps(args: argparse.Namespace) -> None:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ref_file = out / "pyvrp.jsonl"
    done = {}
    if ref_file.exists():
        for line in ref_file.read_text().splitlines():
            try:
                r = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut by an interruption
            if r["time_limit"] == args.reference_time:
                done[r["instance"]] = r
    pyvrp = get_solver("pyvrp")
    neural = NeuralSolver(args.checkpoint)
    rows = []
    for v, n, insts in _instance_groups(args):
        for inst in insts:
            if inst.name in done:
                continue
            res = run_solver(pyvrp, inst, args.reference_time, seed=0)
            rec = {
                "instance": inst.name,
                "time_limit": args.reference_time,
                "cost": res.cost if res.feasible else None,
                "wall_s": res.runtime_s,
                "cpu_s": res.cpu_s,
            }
            with ref_file.open("a") as fh:
                fh.write(json.dumps(rec) + "\n")
            done[inst.name] = rec
        if args.reference_only:
            continue
        neural.solve_many(insts[:1])  # load the model and warm up
        w0, c0 = _clock()
        sols = neural.solve_many(insts)
        w1, c1 = _clock()
        gap_list, infeasible = [], 0
        for inst, sol in zip(insts, sols, strict=True):
            ev = evaluate(inst, sol)
            ref = done[inst.name]["cost"]
            if not ev.feasible:
                infeasible += 1
            elif ref:
                gap_list.append(ev.cost / ref - 1)
        ref_s = sum(done[i.name]["cpu_s"] for i in insts) / len(insts)
        rows.append(
            (
                v,
                n,
                len(insts),
                100 * sum(gap_list) / max(len(gap_list), 1),
                infeasible,
                (w1 - w0) / len(insts),
                (c1 - c0) / len(insts),
                ref_s,
            )
        )
        print(f"{v} n={n}: gap {rows[-1][3]:.2f}%", file=sys.stderr, flush=True)
    if args.reference_only:
        return
    counts = sorted({r[2] for r in rows})
    print(
        f"Instances per variant and size: {', '.join(map(str, counts))} (`vrp generate "
        f"--seed {TEST_SEED}`, apart from training and validation). Reference: PyVRP with "
        f"{args.reference_time:g} CPU s per instance (wall cap 1.5x). Neural: 8 symmetries x "
        "greedy from every start, batched; every cost from `evaluate()`.\n"
    )
    print(
        "| variant | n | instances | neural gap to pyvrp | infeasible | neural wall s / inst "
        "| neural CPU s / inst | pyvrp CPU s / inst |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for v, n, k, g, bad, w, c, r in rows:
        print(f"| {v} | {n} | {k} | {g:.2f}% | {bad} | {w:.3f} | {c:.3f} | {r:.1f} |")
    for n in sorted({r[1] for r in rows}):
        sel = [r for r in rows if r[1] == n]
        mean = sum(r[3] for r in sel) / len(sel)
        print(f"\nn = {n}: mean gap over {len(sel)} variants {mean:.2f}%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=("timing", "gaps"))
    parser.add_argument("--variants", default="all")
    parser.add_argument("--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[100])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--reference-time", type=float, default=10.0)
    parser.add_argument("--checkpoint", default=None, help="default: the shipped one that fits")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default="results/neural")
    parser.add_argument("--files", default=None, help="gaps: instance files (a glob) instead")
    parser.add_argument(
        "--reference-only", action="store_true", help="gaps: only run (and record) pyvrp"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    buf = io.StringIO()
    try:
        _variants(args.variants)  # a bad name stops here, before any run
        with contextlib.redirect_stdout(_Tee(sys.stdout, buf)):
            (timing if args.part == "timing" else gaps)(args)
    except InputError as e:
        parser.error(str(e))
    if args.reference_only:
        return  # no table: keep OUT/gaps.md of the last full run
    # OUT/<part>.md: the same Markdown with what made it; scripts/benchmarks_doc.py quotes it.
    shipped = ", ".join(sorted(p.name for p in Path("checkpoints").glob("*.ckpt"))) or "none"
    header = [
        f"- command: `.venv/bin/python scripts/neural_benchmark.py {shlex.join(sys.argv[1:])}`",
        f"- checkpoint: {args.checkpoint or f'the shipped one that fits ({shipped})'}",
        f"- machine: {machine_text(machine())}, "
        f"torch {torch.__version__} on CPU with {args.threads} thread(s); "
        f"finished {time.strftime('%Y-%m-%d %H:%M')}",
    ]
    with atomic_write(Path(args.out) / f"{args.part}.md") as fh:
        fh.write("\n".join(header) + "\n\n" + buf.getvalue())


class _Tee(io.TextIOBase):
    def __init__(self, *streams: Any):
        self.streams = streams

    def write(self, text: str) -> int:
        for stream in self.streams:
            stream.write(text)
        return len(text)

    def flush(self) -> None:
        for stream in self.streams:
            stream.flush()


if __name__ == "__main__":
    main()
