"""Neural solver benchmark: gap to PyVRP on generated instances, and decoding time.

Two parts, each resumable and each printing Markdown:

``timing``: decode one batch of ``--count`` instances of size n (variants drawn in turn from
``--variants``) with the 8 symmetries, greedy from one start and greedy from every start;
wall and CPU seconds of the whole batch (model loaded beforehand)::

    .venv/bin/python scripts/neural_benchmark.py timing --sizes 100 --count 100

``gaps``: for each variant and size, ``--count`` instances of ``vrp generate --seed 1`` (the
seed is apart from training and validation), PyVRP with ``--reference-time`` CPU seconds per
instance and the neural solver (8 symmetries, every start; its batch time divided by the
count); every cost from `evaluate()`::

    .venv/bin/python scripts/neural_benchmark.py gaps --variants all --sizes 50,100 \\
        --count 100 --reference-time 10 --out results/neural

The PyVRP references are the costly part (100 per variant and size at 10 s: 26.7 CPU-hours),
so they are kept in a file that is committed, ``--references`` (`REFERENCES`): a file of
the reference store (`vrp.benchmark.references`), one JSON line per instance with a hash
of its data, found by that hash, so that they accumulate from session to session and a
changed generator cannot pass old costs off as references. ``vrp train`` and ``vrp
benchmark --reference store:pyvrp@10`` read the same records. ``--reference-only`` only
adds references, in index order over all variants and sizes (instance 0 of every variant
and size, then instance 1, ...), so that a run stopped at any point leaves every variant
about as far along; ``--shard K/M`` takes the instances whose index is K modulo M, in
every variant and size, so that M processes can add references side by side and every
variant gains alike even when one of them runs longer; ``--redo-short`` solves again those that got
under 90% of their CPU budget (on a busy machine PyVRP's wall cap, 1.5x the limit, can cut
one short). ``gaps`` then uses the first ``--count`` instances of each variant and size;
with ``--with-references``, only those that have a reference.

The neural batches are kept the same way, in ``--runs`` (`RUNS`), one JSON line per variant
and size with a hash of its instances and of the checkpoint file, the cost of each solution
and the batch's wall and CPU seconds: the 96 batches of the table are slow on a CPU (its
CPU s / inst, times 100). ``--neural-only`` only adds batches (``--shard K/M``: every M-th
one), so that they can run while the references do, or in another session; ``gaps``
decodes those it lacks, timed as `vrp benchmark` times a batch (`timed_solve_many`).

Beyond this table, the same comparison is a use of ``vrp benchmark``, which decodes the
neural solver's runs in batches and keeps them with its other runs::

    vrp benchmark --generate cvrp:50:100 --generate-seed 1 --solvers neural \\
        --reference stored:pyvrp@10 --out results/neural-cvrp
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import glob
import io
import json
import shlex
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import torch

from vrp.benchmark.references import ReferenceStore, instance_digest, is_short
from vrp.benchmark.report import machine_text
from vrp.benchmark.runner import (
    append_jsonl,
    code_version,
    machine,
    read_jsonl,
    short_hash,
    timed_solve_many,
)
from vrp.errors import InputError
from vrp.formats.io import atomic_write, read_instance
from vrp.model.evaluate import evaluate
from vrp.model.generate import generate_many
from vrp.model.variants import parse_variant_list
from vrp.solvers.neural import NeuralSolver, pick_checkpoint

TEST_SEED = 1
REFERENCE_SOLVER = "pyvrp"
REFERENCES = Path("docs/data/neural-references.jsonl")
"""The committed PyVRP references of the gap table: a file of the reference store
(`vrp.benchmark.references`), which this script reads and grows."""
RUNS = Path("docs/data/neural-runs.jsonl")
"""The committed store of neural runs (one batch per variant and size) for the gap table."""


def _variants(spec: str) -> list[str]:
    return list(parse_variant_list(spec))


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
            sols, wall, cpu = timed_solve_many(solver, insts)  # the model loaded beforehand
            bad = sum(not evaluate(i, s).feasible for i, s in zip(insts, sols, strict=True))
            assert bad == 0, f"{bad} infeasible"
            print(
                f"| {n} | {len(insts)} | {label} | {wall:.1f} | {cpu:.1f} | "
                f"{wall / len(insts):.3f} |"
            )


def reference_store(args: argparse.Namespace) -> ReferenceStore:
    """The reference store on ``--references`` (the committed file by default): looked up
    by instance content, grown by the PyVRP runs this script makes."""
    return ReferenceStore(Path(args.references))


def reference_for(inst, store: ReferenceStore, args: argparse.Namespace) -> dict[str, Any]:
    """The stored reference of ``inst``, or a new PyVRP run added to the store (a short one
    solved again with ``--redo-short``)."""
    rec = store.get(inst, REFERENCE_SOLVER, args.reference_time, redo_short=args.redo_short)
    assert rec is not None  # solve=True
    return rec


def references_only(args: argparse.Namespace) -> None:
    """Add references in index order over all variants and sizes (see the module doc)."""
    store = reference_store(args)
    shard, shards = args.shard
    order = [
        (i, n, v) for i in range(args.count) for n in args.sizes for v in _variants(args.variants)
    ]
    added = 0
    for k, (i, n, v) in enumerate(order):
        if i % shards != shard:
            continue
        inst = generate_many(v, n, 1, seed=TEST_SEED, first=i)[0]
        before = store.lookup(inst, REFERENCE_SOLVER, args.reference_time)
        rec = reference_for(inst, store, args)
        if rec is not before:
            added += 1
            print(
                f"[{k + 1}/{len(order)}] {inst.name}: {rec['cost']} "
                f"({rec['cpu_s']:.1f} CPU s, {rec['wall_s']:.1f} s)",
                file=sys.stderr,
                flush=True,
            )
    print(f"added {added} references to {args.references}", file=sys.stderr)


def _instance_groups(args: argparse.Namespace, store: ReferenceStore):
    """(variant, n, instances): generated ones (with ``--with-references``, those the store
    has a reference for), or the files given."""
    if not args.files:
        for n in args.sizes:
            for v in _variants(args.variants):
                insts = generate_many(v, n, args.count, seed=TEST_SEED)
                if args.with_references:
                    tl = args.reference_time
                    insts = [i for i in insts if store.lookup(i, REFERENCE_SOLVER, tl)]
                if insts:
                    yield v, n, insts
        return
    groups: dict[tuple[str, int], list] = {}
    for path in sorted(glob.glob(args.files)):
        inst = read_instance(path)
        groups.setdefault((inst.variant.name, inst.num_customers), []).append(inst)
    for (v, n), insts in groups.items():
        yield v, n, insts


def neural_run_for(
    v: str, n: int, insts: list, runs: dict[str, dict[str, Any]], args: argparse.Namespace
) -> dict[str, Any]:
    """The stored neural run of this batch (same instances, checkpoint file and threads), or
    a new one appended to the store: the cost `evaluate()` gives each solution (None if
    infeasible) and the wall and CPU seconds of the whole batch, model loaded beforehand.
    The checkpoint is ``--checkpoint`` or the shipped one that fits the first instance."""
    path = Path(args.checkpoint) if args.checkpoint else pick_checkpoint(insts[0])
    if not path.is_file():
        raise InputError(f"--checkpoint {path}: no such checkpoint")
    key = {
        "variant": v,
        "n": n,
        "digest": short_hash(" ".join(instance_digest(i) for i in insts)),
        "checkpoint": path.name,
        "checkpoint_digest": short_hash(path.read_bytes()),
        "decoding": "8 symmetries x every start",
        "threads": args.threads,
    }
    name = _run_name(key)
    if name in runs:
        return runs[name]
    neural = NeuralSolver(str(path), augment=8, num_starts=None, threads=args.threads)
    sols, wall, cpu = timed_solve_many(neural, insts)  # the model loaded beforehand
    evals = [evaluate(i, s) for i, s in zip(insts, sols, strict=True)]
    rec = {
        **key,
        "costs": [e.cost if e.feasible else None for e in evals],
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "torch": torch.__version__,
        "machine": machine_text(machine()),
        "code": _code(),
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    append_jsonl(Path(args.runs), rec)
    runs[name] = rec
    return rec


def read_runs(path: Path) -> dict[str, dict[str, Any]]:
    """The stored neural runs by `_run_name` (the last wins)."""
    runs = {}
    for r in read_jsonl(path):
        with contextlib.suppress(KeyError):
            runs[_run_name(r)] = r
    return runs


RUN_KEY = ("variant", "n", "digest", "checkpoint", "checkpoint_digest", "decoding", "threads")
"""What a stored neural run is looked up by: all but its results."""


def _run_name(rec: dict[str, Any]) -> str:
    return json.dumps([rec[k] for k in RUN_KEY])


def gaps(args: argparse.Namespace) -> None:
    if args.reference_only:
        references_only(args)
        return
    store = reference_store(args)
    runs = read_runs(Path(args.runs))
    rows, used_refs, used_runs = [], [], []
    shard, shards = args.shard
    for k, (v, n, insts) in enumerate(_instance_groups(args, store)):
        if args.neural_only:
            if k % shards == shard:
                rec = neural_run_for(v, n, insts, runs, args)
                print(f"{v} n={n}: {rec['wall_s']:.1f} s", file=sys.stderr, flush=True)
            continue
        refs = [reference_for(inst, store, args) for inst in insts]
        run = neural_run_for(v, n, insts, runs, args)
        used_refs += refs
        used_runs.append(run)
        gap_list, infeasible = [], 0
        for cost, ref in zip(run["costs"], refs, strict=True):
            if cost is None:
                infeasible += 1
            elif ref["cost"]:
                gap_list.append(cost / ref["cost"] - 1)
        short = sum(is_short(r) for r in refs)
        rows.append(
            (
                v,
                n,
                len(insts),
                100 * sum(gap_list) / max(len(gap_list), 1),
                infeasible,
                run["wall_s"] / len(insts),
                run["cpu_s"] / len(insts),
                sum(r["cpu_s"] for r in refs) / len(refs),
                short,
            )
        )
        print(f"{v} n={n}: gap {rows[-1][3]:.2f}%", file=sys.stderr, flush=True)
    counts = sorted({r[2] for r in rows})
    print(
        f"Instances per variant and size: {', '.join(map(str, counts))} (`vrp generate "
        f"--seed {TEST_SEED}`, apart from training and validation). Reference: PyVRP with "
        f"{args.reference_time:g} CPU s per instance (wall cap 1.5x; the last column counts "
        f"references that got under 90% of it), stored in `{args.references}`. Neural: 8 "
        "symmetries x greedy from every start, one batch per variant and size, stored in "
        f"`{args.runs}`; every cost from `evaluate()`.\n"
    )
    print(
        "| variant | n | instances | neural gap to pyvrp | infeasible | neural wall s / inst "
        "| neural CPU s / inst | pyvrp CPU s / inst | pyvrp short |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for v, n, k, g, bad, w, c, r, sh in rows:
        print(f"| {v} | {n} | {k} | {g:.2f}% | {bad} | {w:.3f} | {c:.3f} | {r:.1f} | {sh} |")
    for n in sorted({r[1] for r in rows}):
        sel = [r for r in rows if r[1] == n]
        mean = sum(r[3] for r in sel) / len(sel)
        total = sum(r[2] for r in sel)
        print(f"\nn = {n}: mean gap over {len(sel)} variants ({total} instances) {mean:.2f}%")
    if rows:
        print("\n" + provenance(used_refs, used_runs))


def provenance(refs: list[dict[str, Any]], runs: list[dict[str, Any]]) -> str:
    """Where the stored records behind a table come from: a table is quoted from the stores,
    so the machine that prints it need not be the one that made them."""

    def spread(records: list[dict[str, Any]], field: str) -> str:
        seen = Counter(str(r.get(field)) for r in records)
        return "; ".join(f"{k} ({v})" for k, v in sorted(seen.items()))

    dates = sorted(r["date"] for r in refs)
    run_dates = sorted(r["date"] for r in runs)
    commits = len({r["code"] for r in refs})
    return (
        f"Made from the stores: {len(refs)} references ({spread(refs, 'engine')}; "
        f"{dates[0]} to {dates[-1]}; {commits} code commits) and {len(runs)} neural "
        f"batches (torch {spread(runs, 'torch')}; {run_dates[0]} to {run_dates[-1]}; "
        f"code {spread(runs, 'code')}; decoded on {spread(runs, 'machine')})."
    )


@functools.cache
def _code() -> str:
    """The commit this run started from, read once (later commits of the checkout do not
    change it)."""
    return code_version()


def _shard(text: str) -> tuple[int, int]:
    try:
        k, m = (int(x) for x in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected K/M, e.g. 0/2, got {text!r}") from None
    if not (m >= 1 and 0 <= k < m):
        raise argparse.ArgumentTypeError(f"expected 0 <= K < M, got {text!r}")
    return k, m


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
    only = parser.add_mutually_exclusive_group()
    only.add_argument(
        "--reference-only", action="store_true", help="gaps: only run (and record) pyvrp"
    )
    parser.add_argument(
        "--references", default=str(REFERENCES), help="gaps: the reference store (JSON lines)"
    )
    only.add_argument(
        "--neural-only",
        action="store_true",
        help="gaps: only decode (and record) the neural batches, no PyVRP and no table",
    )
    parser.add_argument("--runs", default=str(RUNS), help="gaps: the neural run store (JSON lines)")
    parser.add_argument(
        "--shard",
        type=_shard,
        default=(0, 1),
        help="K/M: with --reference-only the instance indices, with --neural-only the "
        "variant-size batches, equal to K mod M",
    )
    parser.add_argument(
        "--redo-short",
        action="store_true",
        help="gaps: solve again the stored references that got under 90%% of their CPU budget",
    )
    parser.add_argument(
        "--with-references",
        action="store_true",
        help="gaps: only the instances that already have a reference (no new PyVRP runs)",
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
    if args.reference_only or args.neural_only:
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
