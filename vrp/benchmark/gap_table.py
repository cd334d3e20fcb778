"""The gap table per variant and size: one engine's stored runs against the reference store.

The neural solver's table in ``docs/benchmarks.md`` is made here from two committed files and
nothing else, so that it is rebuilt from a fresh clone in seconds, nothing solved or decoded
(``.venv/bin/python scripts/benchmarks_doc.py --neural-only``):

- the run records of `vrp benchmark` (`RUNS`: the ``runs.jsonl`` of its ``--out`` folder, the
  runner's format, one record per run with its share of its batch's time and the batch's
  size; `vrp.benchmark.runner`), which the same command extends with the runs it lacks;
- the reference store (`vrp.benchmark.references`), which a run is joined to by its
  instance's content (the record's ``instance_digest``), never by its name.

Per variant and size, over the runs that have a stored reference: the mean gap (``cost /
reference - 1`` over feasible runs whose reference found a solution), the runs without a
feasible solution, the engine's wall and CPU seconds per instance, the reference's CPU
seconds and how many references got under 90% of their budget (`is_short`). Then the mean
gap of each size over its variants, and where the records come from (`provenance`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from math import fsum
from pathlib import Path
from statistics import fmean
from typing import Any

from vrp.benchmark.references import ReferenceStore, is_short, record_solver
from vrp.benchmark.runner import latest_by_key, read_records
from vrp.model.variants import parse_variant_list
from vrp.solvers.base import DEFAULT_WALL_CAP_FACTOR

RUNS = "docs/data/neural-greedy"
"""The `vrp benchmark` folder of the neural table, relative to the checkout: only its
``runs.jsonl`` is committed (``docs/data/README.md``)."""
SOLVER = "neural-greedy"
"""The engine of the neural table's runs: the greedy decode alone, what the model has learnt."""
EARLIER_RUNS = "docs/data/neural"
"""The neural table's runs of the shipped model before (the campaign at epoch 315, at both
sizes), decoded greedily as ``neural`` was before it sampled; the sampled table's model."""


@dataclass(frozen=True)
class Row:
    """One variant and size of the table."""

    variant: str
    n: int
    instances: int
    gap: float
    """Mean gap in percent."""
    infeasible: int
    """Runs without a feasible solution (infeasible or failed)."""
    wall_s: float
    cpu_s: float
    reference_cpu_s: float
    short: int


@dataclass(frozen=True)
class Table:
    """The rows, and the records they were made from."""

    solver: str
    reference: str
    time_limit: float
    rows: list[Row]
    runs: list[dict[str, Any]]
    references: list[dict[str, Any]]
    unmatched: int
    """Runs of ``solver`` without a stored reference: left out."""


def read_runs(folder: Path, solver: str) -> list[dict[str, Any]]:
    """The latest record of each run of ``solver`` in a `vrp benchmark` folder, in order."""
    return [r for r in latest_by_key(read_records(folder)).values() if r["solver"] == solver]


def gap_table(
    runs: Iterable[dict[str, Any]], store: ReferenceStore, reference: str, time_limit: float
) -> Table:
    """The table of ``runs`` (one engine's records) against the stored references of
    ``reference`` at ``time_limit`` CPU s; looks nothing up but the store, solves nothing."""
    runs = list(runs)
    groups: dict[tuple[int, str], list[tuple[dict[str, Any], dict[str, Any]]]] = defaultdict(list)
    unmatched = 0
    for run in runs:
        ref = store.find(run.get("instance_digest") or "", reference, time_limit)
        if ref is None:
            unmatched += 1
            continue
        groups[(run["num_customers"], run["variant"])].append((run, ref))
    order = {v: i for i, v in enumerate(parse_variant_list("all"))}
    rows, used_runs, used_refs = [], [], []
    for (n, variant), pairs in sorted(
        groups.items(), key=lambda kv: (kv[0][0], order.get(kv[0][1], len(order)), kv[0][1])
    ):
        gaps, infeasible = [], 0
        for run, ref in pairs:
            if run["status"] != "ok" or run["cost"] is None:
                infeasible += 1
            elif ref["cost"]:
                gaps.append(run["cost"] / ref["cost"] - 1)
        refs = [ref for _, ref in pairs]
        rows.append(
            Row(
                variant=variant,
                n=n,
                instances=len(pairs),
                gap=100 * sum(gaps) / max(len(gaps), 1),
                infeasible=infeasible,
                wall_s=fmean(run["wall_s"] or 0.0 for run, _ in pairs),
                cpu_s=fmean(run["cpu_s"] or 0.0 for run, _ in pairs),
                reference_cpu_s=sum(r["cpu_s"] for r in refs) / len(refs),
                short=sum(is_short(r) for r in refs),
            )
        )
        used_runs += [run for run, _ in pairs]
        used_refs += refs
    solver = record_solver(runs[0]) if runs else "?"
    return Table(solver, reference, time_limit, rows, used_runs, used_refs, unmatched)


def size_means(table: Table) -> list[tuple[int, int, int, float]]:
    """Per size, in order: ``(n, variants, instances, mean gap over the variants)``."""
    out = []
    for n in sorted({r.n for r in table.rows}):
        sel = [r for r in table.rows if r.n == n]
        out.append((n, len(sel), sum(r.instances for r in sel), sum(r.gap for r in sel) / len(sel)))
    return out


def markdown(table: Table, runs_file: str, reference_files: Sequence[str]) -> str:
    """The table in Markdown: what it compares, the rows, the mean gap of each size and the
    provenance line; ``runs_file`` and ``reference_files`` are named as where the records are."""
    s, ref = table.solver, table.reference
    counts = sorted({r.instances for r in table.rows})
    left_out = (
        f" {table.unmatched} runs without a stored reference are left out."
        if table.unmatched
        else ""
    )
    how = [
        _values(table.runs, "decoding"),
        _values(table.runs, "checkpoint", "checkpoint_digest", "checkpoint "),
        _values(table.runs, "batch", prefix="in batches of ", suffix=" runs (each run's time is "
                "its share of its batch's)"),
    ]  # fmt: skip
    lines = [
        f"Instances per variant and size: {', '.join(map(str, counts))}. Reference: {ref} "
        f"with {table.time_limit:g} CPU s per instance (wall cap {DEFAULT_WALL_CAP_FACTOR:g}x; "
        f"the last column counts references that got under 90% of it), stored in "
        f"{', '.join(f'`{f}`' for f in reference_files)}. {s.capitalize()}: "
        f"{', '.join(h for h in how if h)}, stored in `{runs_file}`; every cost from "
        f"`evaluate()`.{left_out}",
        "",
        f"| variant | n | instances | {s} gap to {ref} | infeasible | {s} wall s / inst "
        f"| {s} CPU s / inst | {ref} CPU s / inst | {ref} short |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in table.rows:
        lines.append(
            f"| {r.variant} | {r.n} | {r.instances} | {r.gap:.2f}% | {r.infeasible} | "
            f"{r.wall_s:.3f} | {r.cpu_s:.3f} | {r.reference_cpu_s:.1f} | {r.short} |"
        )
    for n, variants, total, mean in size_means(table):
        lines += ["", f"n = {n}: mean gap over {variants} variants ({total} instances) {mean:.2f}%"]
    if table.rows:
        lines += ["", provenance(table)]
    return "\n".join(lines) + "\n"


def provenance(table: Table) -> str:
    """Where the stored records behind a table come from: a table is quoted from the stores,
    so the machine that prints it need not be the one that made them. Runs are counted by
    batch (a run of a batch of k counts 1/k), as they were decoded."""
    refs, runs = table.references, table.runs
    dates = sorted(r["date"] for r in refs)
    run_dates = sorted(_date(r) for r in runs)
    commits = len({r["code"] for r in refs})
    batches = round(fsum(_weight(r) for r in runs))
    return (
        f"Made from the stores: {len(refs)} references ({_spread(refs, 'engine', False)}; "
        f"{dates[0]} to {dates[-1]}; {commits} code commits) and {batches} {table.solver} "
        f"batches ({_spread(runs, 'versions')}; {run_dates[0]} to {run_dates[-1]}; "
        f"code {_spread(runs, 'code')}; decoded on {_spread(runs, 'machine')})."
    )


def _date(run: dict[str, Any]) -> str:
    """``YYYY-MM-DD HH:MM`` of a run record's ``finished_at``."""
    return str(run.get("finished_at") or "unknown")[:16].replace("T", " ")


def _weight(run: dict[str, Any]) -> float:
    return 1 / (run.get("batch") or 1)


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items()) or "unknown"
    return "unknown" if value is None else str(value)


def _spread(records: list[dict[str, Any]], field: str, by_batch: bool = True) -> str:
    """``value (count); ...`` of a field, sorted by value; runs counted by batch."""
    seen: dict[str, float] = defaultdict(float)
    for r in records:
        seen[_text(r.get(field))] += _weight(r) if by_batch else 1
    return "; ".join(f"{k} ({round(v)})" for k, v in sorted(seen.items()))


def _values(
    records: list[dict[str, Any]], field: str, detail: str = "", prefix: str = "", suffix: str = ""
) -> str:
    """The distinct values of a field (with ``detail``'s in brackets), or "" where no record
    has it."""
    seen = sorted(
        {
            str(r[field]) + (f" ({r.get(detail)})" if detail else "")
            for r in records
            if r.get(field) is not None
        }
    )
    return f"{prefix}{' or '.join(seen)}{suffix}" if seen else ""
