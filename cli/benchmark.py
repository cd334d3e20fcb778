"""`vrp benchmark INPUT... --solvers pyvrp,ortools --time-limit S --out results/`: compare solvers.

Every (instance, solver, seed, time limit) runs in a worker process and is scored by
`evaluate()`; records land in ``OUT/runs.jsonl`` as runs finish, so re-running the same
command continues an interrupted benchmark. Writes ``runs.csv``/``runs.json`` (per run, with
the gap), ``summary.md``/``summary.json`` (per solver × variant) and ``plot.png``; prints the
summary table on stdout and progress on stderr. See `vrp.benchmark.runner` and
`vrp.benchmark.report` for the rules.
"""

from __future__ import annotations

import functools
import shlex
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cli.shell import check_output_folder, interrupt_exit_code
from vrp.errors import InputError

if TYPE_CHECKING:
    from vrp.benchmark import report as rep
    from vrp.benchmark import runner as bm

REPORT_EVERY_S = 120.0
"""During a long benchmark, the summary files are rewritten this often (without the plot)."""


def _clock(seconds: float) -> str:
    s = int(max(0.0, seconds))
    return (
        f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"
    )


class _Progress:
    """A progress line with an estimate of the time left, on stderr."""

    def __init__(self, runs: list[bm.Run], workers: int):
        self.total = len(runs)
        self.left = {r.key: r.time_limit for r in runs}
        self.workers = workers
        self.done = 0
        self.t0 = time.perf_counter()
        self.ratios: list[float] = []  # elapsed / time limit of finished runs
        self.tty = sys.stderr.isatty()
        self.last = ""
        self.active: list[bm.Run] = []

    def finished(self, rec: dict[str, Any]) -> None:
        self.done += 1
        self.left.pop(rec["key"], None)
        if rec["status"] != "unsupported":
            self.ratios.append(rec["elapsed_s"] / rec["time_limit"])
        cost = "" if rec["cost"] is None else f" {rec['cost']:.6g}"
        self.last = f"{rec['instance']} {rec['solver']} s{rec['seed']}: {rec['status']}{cost}"
        self.show(final_line=not self.tty)

    def tick(self, active: list[bm.Run]) -> None:
        self.active = active
        if self.tty:
            self.show()

    def eta(self) -> float:
        ratio = sorted(self.ratios)[len(self.ratios) // 2] if self.ratios else 1.2
        work = sum(self.left.values())  # the running runs are still in `left`
        return ratio * work / self.workers

    def show(self, final_line: bool = False) -> None:
        pct = 100 * self.done / max(1, self.total)
        elapsed = time.perf_counter() - self.t0
        text = (
            f"[{self.done}/{self.total} {pct:3.0f}%] {_clock(elapsed)} elapsed, "
            f"ETA {_clock(self.eta())} | {self.last}"
        )
        if final_line:
            typer.echo(text, err=True)
        else:
            typer.echo("\r" + text[:150].ljust(150), err=True, nl=False)

    def close(self) -> None:
        if self.tty:
            typer.echo("", err=True)


def _floats(spec: str, option: str) -> list[float]:
    try:
        values = [float(x) for x in spec.split(",") if x.strip()]
    except ValueError:
        raise InputError(
            f"expected numbers separated by commas, got {spec!r}", field=option
        ) from None
    if not values or any(not v > 0 for v in values):
        raise InputError(f"expected positive numbers, got {spec!r}", field=option)
    return values


def _solvers(spec: str) -> list[str]:
    from vrp.solvers import get_solver

    names = list(dict.fromkeys(s.strip() for s in spec.split(",") if s.strip()))
    if not names:
        raise InputError("give at least one solver", field="--solvers")
    for name in names:
        try:
            get_solver(name)  # an unknown name is an InputError listing the known ones
        except InputError as e:
            raise InputError(e.detail, field="--solvers") from None
    return names


def _command(
    inputs: list[Path] | None,
    solvers: list[str],
    time_limit: str,
    workers: int,
    reference: list[str] | None,
    seeds: int,
    generate: list[str] | None,
    generate_seed: int,
    out: Path,
    label: str | None,
    record: Path | None = None,
    simulate: int | None = None,
    scheduler: str | None = None,
) -> str:
    """The command that reproduces these runs, options spelt out (workers included)."""
    args = ["vrp", "benchmark", *map(str, inputs or [])]
    for spec in generate or []:
        args += ["--generate", spec]
    if generate and generate_seed:
        args += ["--generate-seed", str(generate_seed)]
    args += ["--solvers", ",".join(solvers), "--time-limit", time_limit]
    for ref in reference or []:
        args += ["--reference", ref]
    if seeds != 1:
        args += ["--seeds", str(seeds)]
    args += ["--workers", str(workers), "--out", str(out)]
    if scheduler:
        args += ["--scheduler", scheduler]
    if simulate:
        args += ["--simulate", str(simulate)]
    if label:
        args += ["--label", label]
    if record:
        args += ["--record", str(record)]
    return shlex.join(args)


def report(
    out: Path,
    runs: list[bm.Run],
    ref: rep.Reference,
    meta: dict[str, Any],
    solvers: list[str],
    plot: bool = True,
    record: Path | None = None,
) -> str:
    """Write runs.csv/json, summary.md/json and plot.png for the planned runs, and the
    committed records to ``record`` when every run has finished; the table."""
    from vrp.benchmark import report as rep
    from vrp.benchmark import runner as bm
    from vrp.formats.io import write_json

    records = bm.latest_by_key(bm.read_records(out))
    mine = [records[r.key] for r in runs if r.key in records]
    rows = rep.with_gaps(mine, ref)
    summary = rep.summarize(rows, solvers)
    meta = {
        **meta,
        "runs": f"{len(mine)} of {len(runs)} finished",
        "record_workers": sorted({r.get("workers") for r in mine if r.get("workers")}),
        "code": ", ".join(sorted({r.get("code") or "not recorded" for r in mine})) or meta["code"],
        "finished_at": time.strftime("%Y-%m-%d %H:%M"),
    }
    rep.write_runs(out, rows)
    rep.write_summary(out, meta, summary, rows)
    if rows and plot:
        rep.write_plot(out, meta, summary, rows)
    write_json(out / "meta.json", meta)
    if record is not None and len(mine) == len(runs):
        rep.write_record(record, meta, rows)
    return rep.text_table(summary)


def benchmark(
    inputs: Annotated[
        list[Path] | None,
        typer.Argument(help="Instance files or folders (JSON, VRPLIB, Solomon), searched deeply."),
    ] = None,
    solvers: Annotated[
        str, typer.Option("--solvers", help="Comma-separated solver names.")
    ] = "pyvrp,ortools",
    time_limit: Annotated[
        str, typer.Option("--time-limit", help="CPU seconds per run; a comma list runs each.")
    ] = "10",
    workers: Annotated[
        int | None,
        typer.Option("--workers", help="Runs at a time (default: half the CPU cores, at least 1)."),
    ] = None,
    reference: Annotated[
        list[str] | None,
        typer.Option(
            "--reference",
            help="bks.csv file(s), 'best', a solver name, or store:SOLVER@SECONDS, the "
            "reference store's cost of SOLVER with SECONDS CPU s (seed 0), found by instance "
            "content, the missing ones solved first and stored (stored:SOLVER@SECONDS: "
            "stored ones only). Default: ortools if it runs, else best.",
        ),
    ] = None,
    seeds: Annotated[int, typer.Option("--seeds", help="Seeds 0..K-1 per instance.")] = 1,
    generate: Annotated[
        list[str] | None,
        typer.Option("--generate", help="Generated instances, variant:customers:count."),
    ] = None,
    generate_seed: Annotated[
        int, typer.Option("--generate-seed", help="Base seed of --generate.")
    ] = 0,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Results folder (re-use it to resume).")
    ] = Path("results"),
    label: Annotated[
        str | None, typer.Option("--label", help="Title of the summary (default: the folder name).")
    ] = None,
    retry_failed: Annotated[
        bool, typer.Option("--retry-failed", help="Run again the runs recorded as failed.")
    ] = False,
    plot: Annotated[bool, typer.Option("--plot/--no-plot", help="Write plot.png.")] = True,
    hard_timeout: Annotated[
        float | None,
        typer.Option(
            "--hard-timeout",
            help="Kill a run after this many wall seconds (default: 3 × limit + 60).",
        ),
    ] = None,
    wall_cap_factor: Annotated[
        float | None,
        typer.Option(
            "--wall-cap-factor",
            help="A run ends after this many times its CPU limit in wall seconds (default: 3, "
            "so that runs get their CPU time on a crowded machine; recorded in the settings).",
        ),
    ] = None,
    record: Annotated[
        Path | None,
        typer.Option(
            "--record",
            help="When every run has finished, also write their compact records to this "
            ".jsonl and the settings beside it (docs/data/benchmarks/SET.jsonl: what "
            "docs/benchmarks.md is made from). Refused for uncommitted code.",
        ),
    ] = None,
    allow_dirty: Annotated[
        bool,
        typer.Option("--allow-dirty", help="--record runs of uncommitted code all the same."),
    ] = False,
    simulate: Annotated[
        int | None,
        typer.Option(
            "--simulate",
            help="Simulate every feasible plan N times under vrp simulate's default noise "
            "(seed 0): on-time rate and expected lateness columns.",
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Run on a Dask distributed cluster, tcp://HOST:PORT of its scheduler "
            "(instances travel with the runs; --workers: runs at a time, default the "
            "cluster's worker threads). Default: local worker processes.",
        ),
    ] = None,
) -> None:
    """Run every instance × solver × seed, score each by evaluate(), summarise the gaps."""
    from vrp.benchmark import report as rep
    from vrp.benchmark import runner as bm

    names = _solvers(solvers)
    limits = _floats(time_limit, "--time-limit")
    if seeds < 1:
        raise InputError(f"must be at least 1, got {seeds}", field="--seeds")
    if simulate is not None and simulate < 1:
        raise InputError(f"must be a positive integer, got {simulate}", field="--simulate")
    n_workers = bm.default_workers() if workers is None else workers
    if n_workers < 1:
        raise InputError(f"must be at least 1, got {n_workers}", field="--workers")
    ref = rep.parse_reference(reference, names)
    check_output_folder(out, "--out")
    if not inputs and not generate:
        raise InputError("give instance files or folders, or --generate variant:size:count")
    if record is not None and record.suffix != ".jsonl":
        raise InputError(f"expected a .jsonl file, got {str(record)!r}", field="--record")
    code = bm.code_version()
    if record is not None and not allow_dirty:  # before any work: hours of it, unrecordable
        bm.require_clean([code], "--record")

    cluster = None
    if scheduler:  # a cluster that cannot be reached is an error before any work
        from vrp.benchmark import cluster as dask_cluster

        cluster = dask_cluster.connect(scheduler)
        n_workers = dask_cluster.threads(cluster) if workers is None else workers
    files = bm.scan_inputs(inputs or [])
    if generate:
        files += bm.generate_inputs(generate, out / "instances", generate_seed)
    typer.echo(f"reading {len(files)} instances ...", err=True)
    sources = [bm.describe(f) for f in files]
    ref = rep.with_store_costs(ref, {s.name: s.path for s in sources})
    runs = bm.plan(sources, names, seeds, limits)
    done = bm.latest_by_key(bm.read_records(out))
    todo = bm.pending(runs, done, retry_failed)

    if wall_cap_factor is None:
        wall_cap_factor = bm.WALL_CAP_FACTOR
    if not wall_cap_factor >= 1:
        raise InputError(f"must be at least 1, got {wall_cap_factor}", field="--wall-cap-factor")
    meta = {
        "label": label or out.resolve().name,
        "command": _command(
            inputs,
            names,
            time_limit,
            n_workers,
            reference,
            seeds,
            generate,
            generate_seed,
            out,
            label,
            record,
            simulate,
            scheduler,
        ),
        "time_limits": limits,
        "wall_cap_factor": wall_cap_factor,
        "seeds": seeds,
        "workers": n_workers,
        "solvers": names,
        "machine": bm.machine(),
        "versions": bm.engine_versions(names),
        "reference": ref.label,
        "instances": len(sources),
        "code": code,
        **({"simulate": simulate} if simulate else {}),
    }
    if record is not None and not allow_dirty:  # the runs kept from before, too
        again = {r.key for r in todo}
        kept = [done[r.key].get("code") for r in runs if r.key in done and r.key not in again]
        bm.require_clean(kept, "--record", f"they are kept in {out}: move it away to run again")
    typer.echo(
        f"{len(runs)} runs ({len(sources)} instances × {len(names)} solvers × {seeds} seeds × "
        f"{len(limits)} limits); {len(runs) - len(todo)} already done, {len(todo)} to run "
        + (
            f"on the Dask cluster at {scheduler}, {n_workers} at a time"
            if cluster is not None
            else f"with {n_workers} worker(s)"
        ),
        err=True,
    )
    if simulate:  # runs kept from an invocation without --simulate N get theirs now
        again = {r.key for r in todo}
        kept = [done[r.key] for r in runs if r.key in done and r.key not in again]
        if bm.add_simulations(out, kept, simulate):
            done = bm.latest_by_key(bm.read_records(out))
    progress = _Progress(todo, n_workers)
    timeout = (lambda tl: hard_timeout) if hard_timeout else bm.default_hard_timeout
    last_report = time.perf_counter()

    def finished(rec: dict[str, Any]) -> None:
        nonlocal last_report
        progress.finished(rec)
        if time.perf_counter() - last_report > REPORT_EVERY_S:  # partial results stay readable
            report(out, runs, ref, meta, names, plot=False)
            last_report = time.perf_counter()

    run_all: Any = bm.execute
    if cluster is not None:
        from vrp.benchmark.cluster import execute_on_cluster

        run_all = functools.partial(execute_on_cluster, client=cluster)
    try:
        run_all(
            todo,
            out,
            workers=n_workers,
            hard_timeout=timeout,
            on_done=finished,
            on_tick=progress.tick,
            stamp={"code": meta["code"]},
            wall_cap_factor=wall_cap_factor,
            simulate=simulate or 0,
        )
    except KeyboardInterrupt as e:  # Ctrl-C, or SIGTERM (cli.shell): the runs so far are kept
        progress.close()
        table = report(out, runs, ref, meta, names, plot)
        typer.echo(table)
        typer.echo(
            f"interrupted: {progress.done} runs recorded in {out / bm.RUNS_FILE}; run the same "
            "command again to continue",
            err=True,
        )
        raise typer.Exit(interrupt_exit_code(e)) from None
    finally:
        if cluster is not None:
            cluster.close()
    progress.close()
    typer.echo(report(out, runs, ref, meta, names, plot, record))
    written = "runs.csv, runs.json, summary.md, summary.json" + (", plot.png" if plot else "")
    if record is not None:
        written += f"; records: {record}, {rep.record_meta_path(record)}"
    typer.echo(f"wrote {out}/: {written} (reference: {ref.label})", err=True)


def register(app: typer.Typer) -> None:
    app.command("benchmark")(benchmark)
