"""Neural solver benchmark: the PyVRP references of its gap table, and decoding time.

The gap table (docs/benchmarks.md, "Neural solver against PyVRP on generated instances") is
a use of ``vrp benchmark``: the first 10 instances of ``vrp generate --seed 1`` per variant
and size (apart from training and validation), decoded by the neural solver in one batch per
variant and size, their records committed in ``docs/data/neural-greedy/runs.jsonl``::

    vrp benchmark --generate all:50:10 --generate all:100:10 --generate-seed 1 \\
        --solvers neural-greedy --time-limit 10 --reference stored:pyvrp@10 --no-plot \\
        --out docs/data/neural-greedy

which runs nothing when every run is stored and decodes (and appends) those it lacks; the
table is made from the stored records alone (`vrp.benchmark.gap_table`) by
``.venv/bin/python scripts/benchmarks_doc.py --neural-only``.

``references``: the PyVRP references of those instances, ``--reference-time`` CPU s each, in
the committed file of the reference store (``--references``, `REFERENCES`; 9,600 at 10 s
cost 26.7 CPU-hours), found by a hash of each instance's data. They are added in index order
over all variants and sizes (instance 0 of every variant and size, then instance 1, ...),
so that a run stopped at any point leaves every variant about as far along; ``--shard K/M``
takes the instances whose index is K modulo M, so that M processes can add references side
by side; ``--redo-short`` solves again those that got under 90% of their CPU budget (on a
busy machine PyVRP's wall cap, 1.5x the limit, can cut one short)::

    .venv/bin/python scripts/neural_benchmark.py references --variants all --sizes 50,100 \\
        --count 100 --reference-time 10 [--shard 0/2] [--redo-short]

``gaps``: the gap table of one checkpoint on the first ``--count`` test instances per variant
and size (at most 10 per variant and size answers "how far from the targets", issue 22),
decoded greedily (8 symmetries x greedy from every start, one batch per variant and size, one
thread; with ``--time-limit S``, then sampled as ``vrp solve`` does in the rest of S CPU s per
instance), each against its committed reference (the instance must have one).
Prints a Markdown table, one row per variant, the mean gap per size in the last row, and
the checkpoint's training compute below it::

    .venv/bin/python scripts/neural_benchmark.py gaps \\
        --checkpoint checkpoints/campaign/all-n50.ckpt --sizes 50,100 --count 10 \\
        > results/campaign-gaps.md

``timing``: decode one batch of ``--count`` instances of size n (variants drawn in turn from
``--variants``) with the 8 symmetries, greedy from one start and greedy from every start;
wall and CPU seconds of the whole batch, model loaded beforehand (`timed_solve_many`, as
``vrp benchmark`` times a batch); with ``--one-by-one K``, the first K of them decoded
from every start one at a time as well (as ``vrp solve`` decodes before it samples). Writes
``OUT/timing.md``, which ``scripts/benchmarks_doc.py`` quotes::

    .venv/bin/python scripts/neural_benchmark.py timing --sizes 100 --count 100 --out results/neural

``roads``: the road table of one checkpoint (issue 22, item 3): for each region of
``--regions`` (prepared with ``vrp osrm prepare``; ``./scripts/setup-osrm`` prepares monaco,
the training pool's region, and helsinki, which no training saw) and each variant and size,
the first ``--count`` instances of ``vrp instance sample-city --region R --variant V -n N
--seed 1`` (metres and seconds, windows on a working day), each against PyVRP at
``--reference-time`` CPU s from ``--road-references`` (missing ones are solved first and
appended there), decoded as ``gaps`` does; beside them the same checkpoint's gap on the
generated instances of ``gaps`` and the ratio of each region's gap to it (the aim: at most
1.5 on the region left out of training)::

    .venv/bin/python scripts/neural_benchmark.py roads --checkpoint C \
        --regions monaco,helsinki --variants cvrp,vrptw --sizes 50,100 --count 10
"""

from __future__ import annotations

import argparse
import io
import shlex
import sys
import time
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

from vrp.benchmark.references import COMMITTED, ReferenceStore
from vrp.benchmark.runner import machine, machine_text, timed_solve_many
from vrp.errors import InputError
from vrp.formats.io import atomic_write
from vrp.model.evaluate import evaluate
from vrp.model.generate import generate_many
from vrp.model.instance import Instance
from vrp.model.variants import parse_variant_list

TEST_SEED = 1
REFERENCE_SOLVER = "pyvrp"
REFERENCES = Path(COMMITTED)
ROAD_REFERENCES = Path("docs/data/neural-road-references.jsonl")
"""The PyVRP references of the road table, which ``roads`` grows."""
"""The committed PyVRP references of the gap table: a file of the reference store, which
``references`` grows."""
DECODINGS = (("8 symmetries x 1 start", 1), ("8 symmetries x every start", None))
"""What ``timing`` measures: a label and the number of greedy starts (None: every one)."""


def references(args: argparse.Namespace) -> None:
    """Add references in index order over all variants and sizes (see the module doc)."""
    store = ReferenceStore(Path(args.references))
    shard, shards = args.shard
    variants = parse_variant_list(args.variants)
    order = [(i, n, v) for i in range(args.count) for n in args.sizes for v in variants]
    added = 0
    for k, (i, n, v) in enumerate(order):
        if i % shards != shard:
            continue
        inst = generate_many(v, n, 1, seed=TEST_SEED, first=i)[0]
        before = store.lookup(inst, REFERENCE_SOLVER, args.reference_time)
        rec = store.get(inst, REFERENCE_SOLVER, args.reference_time, redo_short=args.redo_short)
        if rec is not None and rec is not before:
            added += 1
            print(
                f"[{k + 1}/{len(order)}] {inst.name}: {rec['cost']} "
                f"({rec['cpu_s']:.1f} CPU s, {rec['wall_s']:.1f} s)",
                file=sys.stderr,
                flush=True,
            )
    print(f"added {added} references to {args.references}", file=sys.stderr)


def timing(args: argparse.Namespace) -> None:
    """Decoding time of one batch per size, printed and written to ``OUT/timing.md``."""
    import torch

    from vrp.solvers.neural import NeuralSolver, checkpoint_dir

    if args.checkpoint and not Path(args.checkpoint).is_file():
        raise InputError(f"--checkpoint {args.checkpoint}: no such checkpoint")
    variants = parse_variant_list(args.variants)
    buf = io.StringIO()
    with redirect_stdout(buf):
        print(
            "| n | instances | decoding | wall s | CPU s | wall s per instance "
            "| instances per CPU s |"
        )
        print("|---|---|---|---|---|---|---|")
        for n in args.sizes:
            insts = [
                generate_many(variants[i % len(variants)], n, 1, seed=TEST_SEED + i)[0]
                for i in range(args.count)
            ]
            for label, starts in DECODINGS:
                solver = NeuralSolver(
                    args.checkpoint, augment=8, num_starts=starts, threads=args.threads
                )
                sols, wall, cpu = timed_solve_many(solver, insts)
                bad = sum(not evaluate(i, s).feasible for i, s in zip(insts, sols, strict=True))
                if bad:
                    raise RuntimeError(f"{bad} infeasible solutions")
                print(
                    f"| {n} | {len(insts)} | {label} | {wall:.1f} | {cpu:.1f} | "
                    f"{wall / len(insts):.3f} | {len(insts) / cpu:.1f} |"
                )
            if args.one_by_one:
                # as `vrp solve` decodes before it samples: a batch of one instance
                solver = NeuralSolver(args.checkpoint, augment=8, threads=args.threads)
                alone = insts[: args.one_by_one]
                wall = cpu = 0.0
                for inst in alone:
                    sols, w, c = timed_solve_many(solver, [inst])
                    if not evaluate(inst, sols[0]).feasible:
                        raise RuntimeError(f"{inst.name}: infeasible solution")
                    wall, cpu = wall + w, cpu + c
                print(
                    f"| {n} | {len(alone)} | {DECODINGS[-1][0]}, one instance at a time | "
                    f"{wall:.1f} | {cpu:.1f} | {wall / len(alone):.3f} | {len(alone) / cpu:.1f} |"
                )
    sys.stdout.write(buf.getvalue())
    names = ", ".join(sorted(p.name for p in checkpoint_dir().glob("*.ckpt"))) or "none"
    shipped = f"the shipped one that fits ({names})"
    header = [
        f"- command: `.venv/bin/python scripts/neural_benchmark.py {shlex.join(sys.argv[1:])}`",
        f"- checkpoint: {args.checkpoint or shipped}",
        f"- machine: {machine_text(machine())}, torch {torch.__version__} on CPU with "
        f"{args.threads} thread(s); finished {time.strftime('%Y-%m-%d %H:%M')}",
    ]
    with atomic_write(Path(args.out) / "timing.md") as fh:
        fh.write("\n".join(header) + "\n\n" + buf.getvalue())


def _mean_gap(
    solver: Any,
    insts: list[Instance],
    refs: list[dict[str, Any] | None],
    where: str,
    time_limit: float | None = None,
) -> tuple[float, float]:
    """Mean gap of ``solver``'s plans for ``insts`` over ``refs``, and the CPU s of decoding
    (greedy, or sampled in the rest of ``time_limit`` CPU s per instance)."""
    missing = [i.name for i, r in zip(insts, refs, strict=True) if r is None]
    if missing:
        raise InputError(f"{where}: no reference for {', '.join(missing)}")
    sols, _, cpu = timed_solve_many(solver, insts, time_limit=time_limit)
    gs = []
    for inst, sol, ref in zip(insts, sols, refs, strict=True):
        ev = evaluate(inst, sol)
        if not ev.feasible:
            raise RuntimeError(f"{inst.name}: the neural plan is infeasible")
        gs.append(ev.cost / float(ref["cost"]) - 1)  # type: ignore[index]
    return sum(gs) / len(gs), cpu


def _neural(args: argparse.Namespace) -> Any:
    from vrp.solvers.neural import NeuralSolver

    if not args.checkpoint or not Path(args.checkpoint).is_file():
        raise InputError(f"--checkpoint {args.checkpoint}: no such checkpoint")
    return NeuralSolver(args.checkpoint, augment=8, num_starts=None, threads=args.threads)


def _generated_gaps(
    args: argparse.Namespace, solver: Any, variants: list[str]
) -> tuple[dict[str, dict[int, float]], float]:
    """The ``gaps`` table: variant -> size -> mean gap on the generated test instances."""
    store = ReferenceStore(Path(args.references))  # lookup only: nothing is added
    table: dict[str, dict[int, float]] = {}
    cpu_total = 0.0
    for n in args.sizes:
        for v in variants:
            insts = generate_many(v, n, args.count, seed=TEST_SEED)
            refs = [store.lookup(i, REFERENCE_SOLVER, args.reference_time) for i in insts]
            gap, cpu = _mean_gap(solver, insts, refs, args.references, args.time_limit)
            cpu_total += cpu
            table.setdefault(v, {})[n] = gap
            print(f"{v} n={n}: {100 * gap:.2f}% ({cpu:.1f} CPU s)", file=sys.stderr)
    return table, cpu_total


def _training_text(checkpoint: str) -> str:
    from vrp.neural.checkpoint import META, read_checkpoint

    history = read_checkpoint(Path(checkpoint))[META].get("history", [])
    last = history[-1] if history else {}
    return (
        f"checkpoint {Path(checkpoint).name}: {len(history)} epochs, "
        f"{int(last.get('instances', 0)):,} training instances, "
        f"{float(last.get('train_s', 0.0)) / 3600:.1f} training hours on one thread"
    )


def gaps(args: argparse.Namespace) -> None:
    """Per-variant mean gap of ``--checkpoint`` against the committed references (module doc)."""
    solver = _neural(args)
    variants = parse_variant_list(args.variants)
    table, cpu_total = _generated_gaps(args, solver, variants)
    print("| variant | " + " | ".join(f"n = {n}" for n in args.sizes) + " |")
    print("|---|" + "---|" * len(args.sizes))
    for v in variants:
        print(f"| {v} | " + " | ".join(f"{100 * table[v][n]:.2f}%" for n in args.sizes) + " |")
    means = [sum(table[v][n] for v in variants) / len(variants) for n in args.sizes]
    print("| **mean** | " + " | ".join(f"**{100 * m:.2f}%**" for m in means) + " |")
    print(
        f"\n{args.count} instances per variant and size (`vrp generate --seed {TEST_SEED}`, "
        f"instances 0-{args.count - 1}), references PyVRP at {args.reference_time:g} CPU s; "
        f"{_training_text(args.checkpoint)}; "
        f"{_decoding(args)}; decoding took {cpu_total / 60:.1f} CPU minutes. Command: "
        f"`.venv/bin/python scripts/neural_benchmark.py {shlex.join(sys.argv[1:])}`."
    )


def _decoding(args: argparse.Namespace) -> str:
    if args.time_limit is None:
        return "8 symmetries x greedy from every start"
    return f"8 symmetries x every start, then sampled in the rest of {args.time_limit:g} CPU s"


def roads(args: argparse.Namespace) -> None:
    """The road table: gaps per region beside the generated gaps (module doc)."""
    from vrp.roads.city import sample_city
    from vrp.roads.osrm import connect, load_region

    regions = [load_region(r) for r in args.regions.split(",")]  # unprepared: stop now
    solver = _neural(args)
    variants = parse_variant_list(args.variants)
    generated, cpu_total = _generated_gaps(args, solver, variants)
    store = ReferenceStore(Path(args.road_references))
    road: dict[str, dict[str, dict[int, float]]] = {}
    for region in regions:
        with connect(region=region) as client:
            sampled = {
                (v, n): sample_city(client, region, v, n, args.count, seed=TEST_SEED)
                for n in args.sizes
                for v in variants
            }
        for (v, n), insts in sampled.items():
            refs = [store.get(i, REFERENCE_SOLVER, args.reference_time) for i in insts]
            gap, cpu = _mean_gap(solver, insts, refs, args.road_references, args.time_limit)
            cpu_total += cpu
            road.setdefault(region.name, {}).setdefault(v, {})[n] = gap
            print(f"{region.name} {v} n={n}: {100 * gap:.2f}% ({cpu:.1f} CPU s)", file=sys.stderr)
    names = [r.name for r in regions]
    print(
        "| variant | n | generated | "
        + " | ".join(names)
        + " | "
        + " | ".join(f"{r} / generated" for r in names)
        + " |"
    )
    print("|---|---|---|" + "---|" * (2 * len(names)))
    for v in variants:
        for n in args.sizes:
            g = generated[v][n]
            cells = [f"{100 * road[r][v][n]:.2f}%" for r in names]
            ratios = [f"{road[r][v][n] / g:.2f}" if g > 0 else "-" for r in names]
            print(f"| {v} | {n} | {100 * g:.2f}% | " + " | ".join(cells + ratios) + " |")
    print(
        f"\n{args.count} instances per variant, size and region (`vrp instance sample-city "
        f"--seed {TEST_SEED}`; generated: `vrp generate --seed {TEST_SEED}`), references PyVRP "
        f"at {args.reference_time:g} CPU s; {_training_text(args.checkpoint)}; "
        f"{_decoding(args)}; decoding took {cpu_total / 60:.1f} CPU minutes. Command: "
        f"`.venv/bin/python scripts/neural_benchmark.py {shlex.join(sys.argv[1:])}`."
    )


def _shard(text: str) -> tuple[int, int]:
    try:
        k, m = (int(x) for x in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected K/M, e.g. 0/2, got {text!r}") from None
    if not (m >= 1 and 0 <= k < m):
        raise argparse.ArgumentTypeError(f"expected 0 <= K < M, got {text!r}")
    return k, m


def _sizes(text: str) -> list[int]:
    return [int(x) for x in text.split(",")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=("references", "gaps", "timing", "roads"))
    parser.add_argument("--variants", default="all")
    parser.add_argument("--sizes", type=_sizes, default=[100])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--reference-time", type=float, default=10.0)
    parser.add_argument(
        "--references", default=str(REFERENCES), help="references: the store file it grows"
    )
    parser.add_argument(
        "--shard",
        type=_shard,
        default=(0, 1),
        help="references: K/M, the instance indices equal to K mod M",
    )
    parser.add_argument(
        "--redo-short",
        action="store_true",
        help="references: solve again those that got under 90%% of their CPU budget",
    )
    parser.add_argument(
        "--checkpoint", default=None, help="gaps: required; timing: default the one that fits"
    )
    parser.add_argument("--threads", type=int, default=1, help="timing: torch threads")
    parser.add_argument(
        "--one-by-one",
        type=int,
        default=0,
        metavar="K",
        help="timing: also decode the first K instances one at a time, as vrp solve does",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="gaps, roads: CPU s per instance to sample in after the greedy decode (none: greedy)",
    )
    parser.add_argument("--regions", default="monaco,helsinki", help="roads: prepared regions")
    parser.add_argument(
        "--road-references",
        default=str(ROAD_REFERENCES),
        help="roads: the store file of the road references, which it grows",
    )
    parser.add_argument("--out", default="results/neural", help="timing: OUT/timing.md")
    args = parser.parse_args()
    if args.time_limit is not None and not args.time_limit > 0:
        parser.error(f"--time-limit: must be a positive number of seconds, got {args.time_limit}")
    if not 0 <= args.one_by_one <= args.count:
        parser.error(f"--one-by-one: must be between 0 and --count, got {args.one_by_one}")
    try:
        parse_variant_list(args.variants)  # a bad name stops here, before any run
        parts = {"references": references, "gaps": gaps, "timing": timing, "roads": roads}
        parts[args.part](args)
    except InputError as e:
        parser.error(str(e))


if __name__ == "__main__":
    main()
