"""What a benchmark's records say: gaps to a reference, a summary per solver × variant, files.

References (``--reference``):

- a ``bks.csv`` (the format of the shared benchmark sets): the ``instance`` column is matched
  against the file stem and the instance's own name (and a ``file`` column, when present,
  against the stem of its path). The value is ``bks_distance_only`` when the file has that
  column (Solomon: the importer's default convention is distance-only, distances truncated to
  one decimal), else ``bks``. Several files may be given.
- ``best``: the best feasible cost found on the instance by any solver of the run, any seed.
- a solver name: that solver's mean feasible cost over its seeds on the instance (its own
  mean gap is then 0).
- ``store:SOLVER@SECONDS`` (``store:pyvrp@10``): the reference store
  (`vrp.benchmark.references`): SOLVER's cost with SECONDS CPU s (seed 0) on the instance,
  found by the instance's content, not its name; those the store lacks are solved first and
  added to it. ``stored:SOLVER@SECONDS`` reads the store only: an instance it lacks gets no
  gap.

``gap = (cost - reference) / reference`` for feasible runs; infeasible and failed runs have
no gap and are counted in their own columns, never dropped. A *win* is a (instance, seed,
time limit) on which the solver's feasible cost is the lowest of all solvers (ties count for
each).

Committed records (`write_record`, ``vrp benchmark --record``): each run reduced to
`RECORD_FIELDS`, its reference included, and the set's settings beside them; a section of
docs/benchmarks.md is made from them alone (`recorded_markdown`), the same text as the
``summary.md`` of the full runs.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from statistics import mean
from typing import TYPE_CHECKING, Any

from vrp.benchmark.runner import SIMULATION_FIELDS, machine_text
from vrp.errors import InputError
from vrp.formats.io import atomic_write, write_json

if TYPE_CHECKING:
    from vrp.benchmark.references import ReferenceStore

FAILED = ("no_solution", "error", "timeout", "crashed")
TIE_REL = 1e-9
CSV_FIELDS = (
    "instance", "variant", "num_customers", "solver", "seed", "time_limit", "status", "feasible",
    "cost", "reference", "gap", "routes", "wall_s", "cpu_s", "message", "path", "digest",
)  # fmt: skip


@dataclass(frozen=True)
class Reference:
    """How the gap of a run is measured: ``kind`` is ``bks``, ``best``, ``solver`` or
    ``store``. ``costs`` (instance name or file stem -> cost) holds the known values of
    ``bks`` and, once `with_store_costs` has filled them, of ``store``; a ``store``
    reference is ``solver`` at ``time_limit``, solving missing ones when ``solve``."""

    kind: str
    label: str
    costs: dict[str, float] = field(default_factory=dict)
    solver: str | None = None
    time_limit: float | None = None
    solve: bool = False


def load_bks(path: Path) -> dict[str, float]:
    """Instance name (and file stem) -> best-known cost, from a shared-benchmark ``bks.csv``."""
    try:
        text = path.read_text()
    except OSError:
        raise InputError("cannot read the reference file", path=str(path)) from None
    rows = list(csv.DictReader(io.StringIO(text)))
    header = rows[0].keys() if rows else []
    if "instance" not in header:
        raise InputError("a bks.csv needs an 'instance' column", path=str(path))
    column = "bks_distance_only" if "bks_distance_only" in header else "bks"
    if column not in header:
        raise InputError("a bks.csv needs a 'bks' column", path=str(path))
    out: dict[str, float] = {}
    for row in rows:
        try:
            value = float(row[column])
        except (TypeError, ValueError):
            continue  # no known value for this instance
        out[row["instance"].strip()] = value
        if row.get("file"):
            out.setdefault(Path(row["file"].strip()).stem, value)
    return out


def parse_reference(specs: list[str] | None, solvers: list[str]) -> Reference:
    """``--reference`` values -> a `Reference` (default: ortools when it runs, else best)."""
    if not specs:
        return (
            Reference("solver", "ortools (mean over seeds)", solver="ortools")
            if "ortools" in solvers
            else Reference("best", "best found by any solver in the run")
        )
    if len(specs) == 1 and specs[0] == "best":
        return Reference("best", "best found by any solver in the run")
    if len(specs) == 1 and specs[0] in solvers:
        return Reference("solver", f"{specs[0]} (mean over seeds)", solver=specs[0])
    if len(specs) == 1 and specs[0].startswith(STORE_KINDS):
        return parse_store_reference(specs[0])
    bks: dict[str, float] = {}
    for s in specs:
        p = Path(s)
        if not p.is_file():
            raise InputError(
                "expected a bks.csv file, 'best', a solver of this run or "
                f"store:SOLVER@SECONDS, got {s!r}",
                field="--reference",
            )
        bks.update(load_bks(p))
    return Reference("bks", "best-known solutions from " + ", ".join(specs), costs=bks)


STORE_KINDS = ("store:", "stored:")


def parse_store_reference(spec: str) -> Reference:
    """``store:SOLVER@SECONDS`` or ``stored:SOLVER@SECONDS`` -> a ``store`` `Reference`."""
    kind, _, rest = spec.partition(":")
    solver, _, seconds = rest.partition("@")
    try:
        limit = float(seconds)
    except ValueError:
        limit = math.nan
    if not solver or not limit > 0:
        raise InputError(
            f"expected {kind}:SOLVER@SECONDS, e.g. {kind}:pyvrp@10, got {spec!r}",
            field="--reference",
        )
    from vrp.solvers import get_solver

    try:
        get_solver(solver)
    except InputError as e:
        raise InputError(e.detail, field="--reference") from None
    solve = kind == "store"
    label = f"{solver} at {limit:g} CPU s, seed 0, from the reference store" + (
        " (missing ones solved and added)" if solve else " (stored ones only)"
    )
    return Reference("store", label, solver=solver, time_limit=limit, solve=solve)


def with_store_costs(
    ref: Reference, files: dict[str, Path], store: ReferenceStore | None = None
) -> Reference:
    """``ref`` with the stored reference of each instance file (name -> path) in its
    ``costs``, solving and adding the missing ones when ``ref.solve``; an instance the
    engine cannot take gets none (said on stderr). Other kinds come back as they are."""
    if ref.kind != "store" or ref.solver is None or ref.time_limit is None:
        return ref
    import sys

    from vrp.benchmark.references import ReferenceStore
    from vrp.errors import SolverError
    from vrp.formats.io import read_instance

    store = store or ReferenceStore.default()
    costs: dict[str, float] = {}
    for k, (name, path) in enumerate(files.items()):
        inst = read_instance(path)
        try:
            rec = store.get(inst, ref.solver, ref.time_limit, solve=False)
            if rec is None and ref.solve:
                print(f"[reference {k + 1}/{len(files)}] {name}: {ref.solver} "
                      f"{ref.time_limit:g} s ...", file=sys.stderr, flush=True)  # fmt: skip
                rec = store.get(inst, ref.solver, ref.time_limit)
        except (InputError, SolverError) as e:
            print(f"{name}: no reference: {e}", file=sys.stderr)
            continue
        if rec is not None and rec["cost"] is not None:
            costs[name] = rec["cost"]
    return replace(ref, costs=costs)


def _feasible_cost(r: dict[str, Any]) -> float | None:
    return r["cost"] if r["status"] == "ok" and r["cost"] is not None else None


def reference_costs(records: list[dict[str, Any]], ref: Reference) -> dict[str, float]:
    """Instance (file stem) -> its reference cost, where one is known."""
    out: dict[str, float] = {}
    if ref.kind in ("bks", "store"):
        for r in records:
            for name in (r["instance"], r.get("instance_name")):
                if name in ref.costs:
                    out[r["instance"]] = ref.costs[name]
                    break
        return out
    costs: dict[str, list[float]] = defaultdict(list)
    for r in records:
        c = _feasible_cost(r)
        if c is not None and (ref.kind == "best" or r["solver"] == ref.solver):
            costs[r["instance"]].append(c)
    agg = min if ref.kind == "best" else mean
    return {k: agg(v) for k, v in costs.items()}


def with_gaps(records: list[dict[str, Any]], ref: Reference) -> list[dict[str, Any]]:
    """The records, each with ``reference`` and ``gap`` (None without a feasible cost or ref)."""
    refs = reference_costs(records, ref)
    rows = []
    for r in records:
        c, rc = _feasible_cost(r), refs.get(r["instance"])
        gap = None if c is None or rc is None or rc <= 0 else (c - rc) / rc
        rows.append({**r, "reference": rc, "gap": gap})
    return rows


def _winners(rows: list[dict[str, Any]]) -> set[tuple[str, str, int, float]]:
    best: dict[tuple[str, int, float], float] = {}
    for r in rows:
        c = _feasible_cost(r)
        k = (r["instance"], r["seed"], r["time_limit"])
        if c is not None and c < best.get(k, math.inf):
            best[k] = c
    wins = set()
    for r in rows:
        c = _feasible_cost(r)
        k = (r["instance"], r["seed"], r["time_limit"])
        if c is not None and c <= best[k] * (1 + TIE_REL) + TIE_REL:
            wins.add((r["solver"], *k))
    return wins


def _mean(xs: Iterable[float | None]) -> float | None:
    vals = [x for x in xs if x is not None]
    return mean(vals) if vals else None


def summarize(rows: list[dict[str, Any]], solvers: list[str]) -> list[dict[str, Any]]:
    """One line per solver × variant × time limit, plus an ``all`` line per solver and limit
    when there are several variants."""
    wins = _winners(rows)
    groups: dict[tuple[str, str, float], list[dict[str, Any]]] = defaultdict(list)
    variants = sorted({r["variant"] for r in rows})
    for r in rows:
        groups[(r["solver"], r["variant"], r["time_limit"])].append(r)
        if len(variants) > 1:
            groups[(r["solver"], "all", r["time_limit"])].append(r)
    order = {s: i for i, s in enumerate(solvers)}
    out = []
    for (solver, variant, tl), rs in sorted(
        groups.items(),
        key=lambda kv: (kv[0][2], kv[0][1] == "all", kv[0][1], order.get(kv[0][0], 99)),
    ):
        status = [r["status"] for r in rs]
        gaps = [r["gap"] for r in rs if r["gap"] is not None]
        out.append(
            {
                "solver": solver,
                "variant": variant,
                "time_limit": tl,
                "runs": len(rs),
                "feasible": status.count("ok"),
                "infeasible": status.count("infeasible"),
                "failed": sum(status.count(s) for s in FAILED),
                "unsupported": status.count("unsupported"),
                "mean_cost": _mean(_feasible_cost(r) for r in rs),
                "mean_gap": mean(gaps) if gaps else None,
                "max_gap": max(gaps) if gaps else None,
                "gaps": len(gaps),
                "wins": sum((solver, r["instance"], r["seed"], tl) in wins for r in rs),
                "mean_on_time": _mean(r.get("on_time_rate") for r in rs if r["status"] == "ok"),
                "mean_lateness": _mean(
                    r.get("expected_lateness") for r in rs if r["status"] == "ok"
                ),
                "mean_wall_s": _mean(r["wall_s"] for r in rs if r["status"] != "unsupported"),
                "mean_cpu_s": _mean(r["cpu_s"] for r in rs if r["status"] != "unsupported"),
            }
        )
    return out


# -- text -------------------------------------------------------------------------------------


def _fmt(x: float | None, spec: str, suffix: str = "") -> str:
    if x is None:
        return "–"
    text = format(x, spec)
    return (text[1:] if text.startswith("-") and float(text) == 0 else text) + suffix


SUMMARY_COLUMNS = (
    "solver", "variant", "limit s", "runs", "feasible", "infeasible", "failed", "unsupported",
    "mean cost", "mean gap", "max gap", "wins", "mean wall s", "mean cpu s",
)  # fmt: skip


SIMULATED_COLUMNS = ("on time", "lateness")
"""Added after "wins" when runs were simulated (``vrp benchmark --simulate N``)."""


def simulated(summary: list[dict[str, Any]]) -> bool:
    """Whether some line has simulated figures (then the tables show `SIMULATED_COLUMNS`)."""
    return any(line.get("mean_on_time") is not None for line in summary) or any(
        line.get("mean_lateness") is not None for line in summary
    )


def summary_columns(summary: list[dict[str, Any]]) -> tuple[str, ...]:
    """`SUMMARY_COLUMNS`, with `SIMULATED_COLUMNS` after "wins" when runs were simulated."""
    if not simulated(summary):
        return SUMMARY_COLUMNS
    k = SUMMARY_COLUMNS.index("wins") + 1
    return SUMMARY_COLUMNS[:k] + SIMULATED_COLUMNS + SUMMARY_COLUMNS[k:]


def summary_cells(line: dict[str, Any], with_simulation: bool = False) -> list[str]:
    gap_n = "" if line["gaps"] in (line["feasible"], 0) else f" (of {line['gaps']})"
    on_time = line.get("mean_on_time")
    sim = [
        _fmt(None if on_time is None else 100 * on_time, ".1f", "%"),
        _fmt(line.get("mean_lateness"), ".4g"),
    ]
    return [
        line["solver"],
        line["variant"],
        f"{line['time_limit']:g}",
        str(line["runs"]),
        str(line["feasible"]),
        str(line["infeasible"]),
        str(line["failed"]),
        str(line["unsupported"]),
        _fmt(line["mean_cost"], ".6g"),
        _fmt(None if line["mean_gap"] is None else 100 * line["mean_gap"], ".2f", "%") + gap_n,
        _fmt(None if line["max_gap"] is None else 100 * line["max_gap"], ".2f", "%"),
        str(line["wins"]),
        *(sim if with_simulation else []),
        _fmt(line["mean_wall_s"], ".2f"),
        _fmt(line["mean_cpu_s"], ".2f"),
    ]


FLEET_NOTE = (
    "On fleet variants (h), cost is the fleet cost that evaluate() gives (FORMAT.md rule 9: "
    "each route's fixed cost plus its unit distance cost times its distance), not the distance."
)


def fleet_note(summary: list[dict[str, Any]]) -> str | None:
    """`FLEET_NOTE` when some line is of a fleet variant, else None."""
    from vrp.model.variants import parse_variant

    def fleet(name: str) -> bool:
        try:
            return parse_variant(name).fleet
        except InputError:  # an instance that could not be read has no variant
            return False

    names = {line["variant"] for line in summary} - {"all"}
    return FLEET_NOTE if any(fleet(str(v)) for v in names) else None


def text_table(summary: list[dict[str, Any]]) -> str:
    """The summary as aligned plain text for the terminal (and `FLEET_NOTE` below it when
    some line is of a fleet variant)."""
    columns = summary_columns(summary)
    sim = simulated(summary)
    cells = [list(columns)] + [summary_cells(s, sim) for s in summary]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = ["  ".join(c.rjust(w) if i > 1 else c.ljust(w) for i, (c, w) in
                       enumerate(zip(row, widths, strict=True))) for row in cells]  # fmt: skip
    lines.insert(1, "  ".join("-" * w for w in widths))
    note = fleet_note(summary)
    return "\n".join(lines + ([note] if note else []))


def markdown_table(header: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    header = list(header)
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def settings_lines(meta: dict[str, Any]) -> list[str]:
    """The facts every figure states: command, limits, seeds, workers, machine, reference."""
    m = meta["machine"]
    engines = ", ".join(f"{k} {v}" for k, v in meta.get("versions", {}).items())
    workers = meta["workers"]
    if meta.get("record_workers") and meta["record_workers"] != [workers]:
        workers = f"{workers} (records made with {meta['record_workers']})"
    return [
        f"- command: `{meta['command']}`",
        f"- time limit: {', '.join(f'{t:g}' for t in meta['time_limits'])} CPU s per run "
        f"(wall cap {meta['wall_cap_factor']:g}× the limit)",
        f"- seeds: {meta['seeds']} (0..{meta['seeds'] - 1}); workers: {workers}",
        f"- machine: {machine_text(m)}, Python {m['python']}",
        f"- engines: {engines or '–'}; code: {meta.get('code', 'unknown')}",
        f"- reference: {meta['reference']}",
        f"- instances: {meta['instances']}; runs: {meta['runs']}; finished {meta['finished_at']}",
        *([_simulated_line(meta)] if meta.get("simulate") else []),
    ]


def _simulated_line(meta: dict[str, Any]) -> str:
    return (
        f"- simulated: {meta['simulate']} samples of the default noise model per feasible run "
        "(seed 0)"
    )


def failure_lines(rows: list[dict[str, Any]], limit: int = 30) -> list[str]:
    bad = [r for r in rows if r["status"] not in ("ok", "unsupported")]
    out = [
        f"- {r['instance']} / {r['solver']} / seed {r['seed']} / {r['time_limit']:g} s: "
        f"**{r['status']}** {r['message'][:200]}".rstrip()
        for r in bad[:limit]
    ]
    if len(bad) > limit:
        out.append(f"- … and {len(bad) - limit} more (see runs.csv)")
    return out


def per_instance(rows: list[dict[str, Any]], solvers: list[str]) -> list[dict[str, Any]]:
    """One line per instance: its reference and, per solver, the mean gap (or cost) over seeds
    and time limits, with the count of runs that were not feasible."""
    by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by[r["instance"]].append(r)
    out = []
    for name, rs in by.items():
        line: dict[str, Any] = {
            "instance": name,
            "variant": rs[0]["variant"],
            "num_customers": rs[0]["num_customers"],
            "reference": rs[0]["reference"],
            "solvers": {},
        }
        for solver in solvers:
            mine = [r for r in rs if r["solver"] == solver]
            if mine:
                line["solvers"][solver] = {
                    "cost": _mean(_feasible_cost(r) for r in mine),
                    "gap": _mean(r["gap"] for r in mine),
                    "not_feasible": sum(r["status"] not in ("ok", "unsupported") for r in mine),
                    "unsupported": all(r["status"] == "unsupported" for r in mine),
                }
        out.append(line)
    return out


def _instance_cell(cell: dict[str, Any] | None) -> str:
    if cell is None:
        return ""
    if cell["unsupported"]:
        return "unsupported"
    if cell["gap"] is not None:
        text = _fmt(100 * cell["gap"], ".2f", "%")
    else:
        text = _fmt(cell["cost"], ".6g")
    bad = cell["not_feasible"]
    if bad:
        text = f"{text} ({bad} ✗)" if text != "–" else f"✗ {bad}"
    return text


def instance_table(instances: list[dict[str, Any]], solvers: list[str]) -> str:
    """Per instance: reference and each solver's gap (cost when there is no reference)."""
    rows = [
        [
            i["instance"],
            i["variant"],
            str(i["num_customers"]),
            _fmt(i["reference"], ".10g"),
            *(_instance_cell(i["solvers"].get(s)) for s in solvers),
        ]
        for i in instances
    ]
    return markdown_table(["instance", "variant", "n", "reference", *solvers], rows)


def markdown(
    meta: dict[str, Any],
    summary: list[dict[str, Any]],
    failures: list[dict[str, Any]],
    instances: list[dict[str, Any]] | None = None,
    level: int = 1,
) -> str:
    """The summary as a markdown section: settings, the table, every failed run, and the
    per-instance gaps in a folded block."""
    h = "#" * level
    parts = [f"{h} {meta['label']}", "", *settings_lines(meta), ""]
    sim = simulated(summary)
    parts.append(markdown_table(summary_columns(summary), (summary_cells(s, sim) for s in summary)))
    parts += [
        "",
        "Mean cost and gaps are over feasible runs with a reference; infeasible, failed and "
        "unsupported runs are counted in their own columns. A win is an (instance, seed) on "
        "which the solver's cost is the lowest of all solvers (ties count for each).",
    ]
    if sim:
        parts[-1] += (
            " On time: mean share of visits within their window, lateness: mean expected "
            "total lateness per plan, over feasible runs simulated under the default noise "
            "model (`vrp simulate`, docs/uncertainty.md)."
        )
    note = fleet_note(summary)
    if note:
        parts[-1] += " " + note
    fails = failure_lines(failures)
    if fails:
        parts += ["", f"{h}# Infeasible and failed runs", "", *fails]
    if instances:
        parts += [
            "",
            f"<details><summary>Per instance: gap to the reference (✗: runs not feasible)"
            f"</summary>\n\n{instance_table(instances, meta['solvers'])}\n\n</details>",
        ]
    return "\n".join(parts) + "\n"


# -- files ------------------------------------------------------------------------------------


def csv_fields(rows: list[dict[str, Any]]) -> tuple[str, ...]:
    """`CSV_FIELDS`, with the simulated figures when some run has them."""
    if any("simulated" in r for r in rows):
        return CSV_FIELDS + SIMULATION_FIELDS[:3]
    return CSV_FIELDS


def write_runs(out: Path, rows: list[dict[str, Any]]) -> None:
    """``runs.csv`` and ``runs.json``: one row per planned run that finished, with its gap."""
    fields = csv_fields(rows)
    with atomic_write(out / "runs.csv") as fh:
        w = csv.DictWriter(fh, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if r.get(k) is None else r[k]) for k in fields})
    write_json(out / "runs.json", [{k: r.get(k) for k in fields} for r in rows])


def write_summary(out: Path, meta: dict[str, Any], summary: list[dict[str, Any]],
                  rows: list[dict[str, Any]]) -> None:  # fmt: skip
    """``summary.md`` and ``summary.json`` (settings, summary lines, failures, instances)."""
    failures = [{k: r.get(k) for k in CSV_FIELDS} for r in rows if r["status"] != "ok"]
    instances = per_instance(rows, meta["solvers"])
    with atomic_write(out / "summary.md") as fh:
        fh.write(markdown(meta, summary, failures, instances))
    write_json(
        out / "summary.json",
        {"meta": meta, "summary": summary, "failures": failures, "instances": instances},
    )


def write_plot(out: Path, meta: dict[str, Any], summary: list[dict[str, Any]],
               rows: list[dict[str, Any]]) -> Path:  # fmt: skip
    """``plot.png``: mean gap per solver and variant (bars), and gap against CPU time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    solvers = list(dict.fromkeys(s["solver"] for s in summary))
    colors = {s: plt.get_cmap("tab10")(i % 10) for i, s in enumerate(solvers)}
    groups = [
        (v, t) for v, t in dict.fromkeys((s["variant"], s["time_limit"]) for s in summary)
        if v != "all" or len({s["variant"] for s in summary}) == 1
    ]  # fmt: skip
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 5))
    width = 0.8 / max(1, len(solvers))
    line = {(s["solver"], s["variant"], s["time_limit"]): s for s in summary}
    for i, solver in enumerate(solvers):
        for j, (v, t) in enumerate(groups):
            s = line.get((solver, v, t))
            if s is None:
                continue
            x = j + (i - (len(solvers) - 1) / 2) * width
            gap = 0.0 if s["mean_gap"] is None else 100 * s["mean_gap"]
            ax1.bar(x, gap, width, color=colors[solver], label=solver if j == 0 else None)
            bad = s["infeasible"] + s["failed"]
            value = "n/a" if s["mean_gap"] is None else f"{gap:.2f}"
            note = value + (f"\n{bad}✗" if bad else "")
            if s["unsupported"] == s["runs"]:
                note = "unsupported"
            ax1.annotate(note, (x, gap), ha="center", va="bottom", fontsize=7)
    ax1.axhline(0, color="black", linewidth=0.6)
    multi_tl = len({t for _, t in groups}) > 1
    ax1.set_xticks(range(len(groups)))
    ax1.set_xticklabels([f"{v}\n{t:g}s" if multi_tl else v for v, t in groups], fontsize=8)
    ax1.set_ylabel("mean gap to reference (%)")
    ax1.set_title("Gap per solver and variant (✗: infeasible or failed runs)", fontsize=9)
    ax1.legend(fontsize=8)

    for solver in solvers:
        pts = [(r["cpu_s"], 100 * r["gap"]) for r in rows
               if r["solver"] == solver and r["gap"] is not None and r["cpu_s"]]  # fmt: skip
        if pts:
            ax2.scatter(*zip(*pts, strict=True), s=10, alpha=0.4, color=colors[solver])
        means = sorted(
            (s["mean_cpu_s"], 100 * s["mean_gap"]) for s in summary
            if s["solver"] == solver and s["mean_gap"] is not None and s["mean_cpu_s"]
            and (s["variant"] == "all" or len({x["variant"] for x in summary}) == 1)
        )  # fmt: skip
        if means:
            ax2.plot(*zip(*means, strict=True), "o-", color=colors[solver], label=solver)
    ax2.set_xlabel("CPU seconds per run")
    ax2.set_ylabel("gap to reference (%)")
    ax2.set_title("Gap against time (dots: runs; line: mean per time limit)", fontsize=9)
    if ax2.get_legend_handles_labels()[0]:
        ax2.legend(fontsize=8)
    else:
        ax2.text(0.5, 0.5, "no gaps: no feasible run with a reference", ha="center",
                 transform=ax2.transAxes)  # fmt: skip
    tls = ", ".join(f"{t:g}" for t in meta["time_limits"])
    m = meta["machine"]
    fig.suptitle(
        f"{meta['label']}: limit {tls} CPU s, {meta['seeds']} seed(s), {meta['workers']} "
        f"worker(s), {m['cpu_count']} CPUs, {m['platform']}; reference: {meta['reference']}",
        fontsize=8,
    )
    fig.tight_layout()
    path = out / "plot.png"
    with atomic_write(path, "wb") as fh:
        fig.savefig(fh, format="png", dpi=110)
    plt.close(fig)
    return path


def read_summary(folder: Path) -> dict[str, Any]:
    """A results folder's ``summary.json``."""
    path = folder / "summary.json"
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise InputError(f"cannot read ({e.__class__.__name__})", path=str(path)) from None


# -- committed records ------------------------------------------------------------------------

RECORD_FIELDS = (
    "instance", "instance_digest", "variant", "num_customers", "solver", "seed", "time_limit",
    "status", "feasible", "cost", "reference", "wall_s", "cpu_s", "message", "code",
    "finished_at",
)  # fmt: skip
"""What a committed run record keeps: what a section of docs/benchmarks.md is made from, and
where the run came from; not its routes, path or engine versions (those are the set's)."""
MESSAGE_CHARS = 200
"""A failure's message is cut to what `failure_lines` shows."""


def record_meta_path(path: Path) -> Path:
    """``cmt.meta.json`` beside ``cmt.jsonl``: a recorded set's settings."""
    return path.with_name(path.name.removesuffix(".jsonl") + ".meta.json")


def compact(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The committed record of each run (`RECORD_FIELDS`), from rows with their reference."""
    out = []
    for r in rows:
        rec = {k: r.get(k) for k in RECORD_FIELDS}
        rec["message"] = (r.get("message") or "")[:MESSAGE_CHARS]
        if "simulated" in r:  # vrp benchmark --simulate N
            rec.update({k: r.get(k) for k in SIMULATION_FIELDS})
        out.append(rec)
    return out


def write_record(path: Path, meta: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    """Commit-ready records of a finished benchmark: ``path`` (one line per run, in plan
    order, rewritten whole) and its `record_meta_path` (the settings, ``finished_at`` the
    last run's). ``rows`` are `with_gaps`' rows of every planned run."""
    runs = compact(rows)
    last = max((str(r["finished_at"] or "") for r in runs), default="")
    meta = {**meta, "finished_at": last[:16].replace("T", " ") or meta.get("finished_at")}
    with atomic_write(path) as fh:
        for rec in runs:
            fh.write(json.dumps(rec, allow_nan=False) + "\n")
    write_json(record_meta_path(path), meta)


def read_record(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The settings and run records of a recorded set (`write_record`)."""
    from vrp.benchmark.runner import read_jsonl

    meta_path = record_meta_path(path)
    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, json.JSONDecodeError) as e:
        raise InputError(f"cannot read ({e.__class__.__name__})", path=str(meta_path)) from None
    return meta, read_jsonl(path)


def recorded_summary(
    meta: dict[str, Any], records: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The summary lines and the rows (with gaps) of a recorded set, from its records alone:
    each record carries the reference it was measured against."""
    costs = {r["instance"]: r["reference"] for r in records if r.get("reference") is not None}
    rows = with_gaps(records, Reference("bks", meta["reference"], costs=costs))
    return summarize(rows, meta["solvers"]), rows


def recorded_markdown(meta: dict[str, Any], records: list[dict[str, Any]], level: int = 2) -> str:
    """The `markdown` section of a recorded set, made from its records alone: the same text
    as its ``summary.md`` (at heading ``level``)."""
    summary, rows = recorded_summary(meta, records)
    failures = [r for r in rows if r["status"] != "ok"]
    return markdown(meta, summary, failures, per_instance(rows, meta["solvers"]), level=level)
