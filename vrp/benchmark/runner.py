"""Batch comparison of solvers: plan (instance, solver, seed, time limit) runs, run them, keep them.

A benchmark is a *plan*: every instance file × solver × seed × time limit. Each run happens in
a fresh worker process (``--workers`` at a time) that reads the instance, asks the engine
whether it can express it exactly (`refusal`), runs it with `run_solver` (so `evaluate()`
alone scores the answer) and sends back one record. A run that overstays its hard timeout is
killed and recorded as ``timeout``; a worker that dies is recorded as ``crashed``. An engine
that solves many instances at once (``solve_many``: the neural solver, whose model would
otherwise be loaded once per run) gets its runs in batches instead, one worker and one call
per engine, seed, limit, variant and size (`batches`): each run keeps its own record, with
its share of the batch's time and the batch's size (``batch``), and for an engine that decodes
a trained model, which model and how (`model_fields`).

Records are appended, one JSON line per finished run, to ``OUT/runs.jsonl`` as soon as the
run ends (``fsync``-ed; a half-written last line from a killed parent is ignored). A run's
key is its instance (file stem and a hash of the file's bytes), solver, seed and time limit:
re-running the same command skips every run already recorded, so an interrupted benchmark
continues where it stopped. Failed runs count as finished (``--retry-failed`` repeats them).

Every record also names its instance's content (``instance_digest``, the key of the reference
store, `vrp.benchmark.references`), the machine and the engine's package versions, so that
records gathered over several sessions and machines say where each came from.

Statuses: ``ok`` (feasible), ``infeasible`` (routes that break a rule), ``no_solution`` (the
engine found nothing), ``unsupported`` (the engine refuses the variant), ``error`` (an
exception, or an instance with no feasible solution), ``timeout``, ``crashed``.

Workers: engines are single-threaded and the budget is CPU time (see `vrp.solvers.base`), so
`default_workers` uses half the CPU cores, leaving room for the machine's other work: on a
2-core machine, 1.
"""

from __future__ import annotations

import functools
import hashlib
import json
import multiprocessing as mp
import os
import platform
import re
import signal
import subprocess
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vrp.errors import InputError
from vrp.formats.io import JSON_SUFFIXES, read_instance, write_instance
from vrp.places import source_root

if TYPE_CHECKING:
    from vrp.model.instance import Instance
    from vrp.model.solution import Solution
from vrp.solvers.base import DEFAULT_WALL_CAP_FACTOR

RUNS_FILE = "runs.jsonl"
INSTANCE_SUFFIXES = (*JSON_SUFFIXES, ".vrp", ".vrpb", ".vrpmpd", ".txt")
"""File endings read as instances when a folder is scanned (``.sol``, ``.csv``, ``.md`` are not)."""
FAILED = ("no_solution", "error", "timeout", "crashed")


def default_workers() -> int:
    """Half the CPU cores, at least 1 (see the module docstring)."""
    return max(1, (os.cpu_count() or 2) // 2)


WALL_CAP_FACTOR = 3.0
"""A benchmark run gets its CPU limit with at most this many times that in wall seconds (the
default of `vrp solve`, 1.5, cut runs short on a crowded machine: at 10 s, with a training
job and other work on 2 cores, CMT runs got 6.6-8 CPU s); `default_hard_timeout` stays
above it."""


def default_hard_timeout(time_limit: float) -> float:
    """Wall seconds after which a run is killed: generous, since limits are in CPU seconds."""
    return 3.0 * time_limit + 60.0


@dataclass(frozen=True)
class Source:
    """One instance file of the benchmark, identified by its stem and the hash of its bytes."""

    path: Path
    name: str
    digest: str
    variant: str
    num_customers: int
    instance_name: str
    content: str = ""
    """`instance_digest` of its data: what the reference store finds it by."""


@dataclass(frozen=True)
class Run:
    """One planned run."""

    source: Source
    solver: str
    seed: int
    time_limit: float

    @property
    def key(self) -> str:
        return run_key(
            self.source.name, self.source.digest, self.solver, self.seed, self.time_limit
        )


def solution_name(run: Run) -> str:
    """The file a run's routes are written to (the hash tells same-named instances apart)."""
    s = run.source
    return f"{s.name}.{s.digest[:8]}.{run.solver}.s{run.seed}.t{run.time_limit:g}.json"


def run_key(name: str, digest: str, solver: str, seed: int, time_limit: float) -> str:
    return f"{name}|{digest}|{solver}|{seed}|{time_limit:g}"


# -- inputs -----------------------------------------------------------------------------------


def scan_inputs(inputs: Iterable[Path]) -> list[Path]:
    """Instance files from files and folders (folders searched recursively, sorted)."""
    files: list[Path] = []
    for p in inputs:
        if p.is_dir():
            found = sorted(
                (
                    f
                    for f in p.rglob("*")
                    if f.is_file()
                    and f.suffix.lower() in INSTANCE_SUFFIXES
                    and not any(part.startswith(".") for part in f.relative_to(p).parts)
                ),
                key=_natural,
            )
            if not found:
                raise InputError("no instance files in this folder", path=str(p))
            files += found
        elif p.is_file():
            files.append(p)
        else:
            raise InputError("no such file or folder", path=str(p))
    unique = list(dict.fromkeys(f.resolve() for f in files))
    return unique


def _natural(path: Path) -> list[Any]:
    # X-n101 before X-n1001: digits compare as numbers.
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", str(path))]


def parse_generate(spec: str) -> tuple[tuple[str, ...], int, int]:
    """``variants:size:count`` -> its three parts; the variants are one name, a comma list or
    ``all`` (the 48, as ``vrp generate --variant all``)."""
    from vrp.model.variants import parse_variant_list

    parts = spec.split(":")
    if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
        raise InputError(f"expected variant:customers:count, got {spec!r}", field="--generate")
    try:
        variants = parse_variant_list(parts[0])
    except InputError as e:
        raise InputError(e.detail, field="--generate") from None
    return variants, int(parts[1]), int(parts[2])


def generate_inputs(specs: Iterable[str], folder: Path, seed: int = 0) -> list[Path]:
    """Write the generated instances of each ``variants:size:count`` spec to ``folder``."""
    from vrp.model.generate import generate_many

    paths = []
    for spec in specs:
        variants, size, count = parse_generate(spec)
        for variant in variants:
            for inst in generate_many(variant, size, count, seed):
                path = folder / f"{inst.name}.json"
                write_instance(inst, path)
                paths.append(path)
    return paths


def short_hash(data: str | bytes) -> str:
    """16 hex digits of the SHA-256 of ``data``: the content key of the stored runs."""
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()[:16]


def instance_digest(instance: Instance) -> str:
    """16 hex digits of the SHA-256 of the instance's FORMAT.md JSON (keys sorted): the key
    of its references and of its runs' ``instance_digest``. The same data read from any file
    give the same digest."""
    from vrp.formats.io import instance_to_dict

    return short_hash(json.dumps(instance_to_dict(instance), sort_keys=True))


def describe(path: Path) -> Source:
    """Read ``path`` once to learn its variant, size and content; its key is its stem and
    the hash of its bytes."""
    digest = short_hash(path.read_bytes())
    inst = read_instance(path)
    return Source(
        path=path,
        name=path.stem,
        digest=digest,
        variant=inst.variant.name,
        num_customers=inst.num_customers,
        instance_name=inst.name,
        content=instance_digest(inst),
    )


def plan(
    sources: list[Source], solvers: list[str], seeds: int, time_limits: list[float]
) -> list[Run]:
    """Every (instance, solver, seed, time limit), instance-major so partial results compare."""
    return [
        Run(s, solver, seed, tl)
        for tl in time_limits
        for s in sources
        for seed in range(seeds)
        for solver in solvers
    ]


# -- the records file -------------------------------------------------------------------------


def read_records(out: Path) -> list[dict[str, Any]]:
    """Every record in ``out/runs.jsonl``; an unreadable (half-written) line is skipped."""
    return [rec for rec in read_jsonl(out / RUNS_FILE) if "key" in rec]


def append_record(out: Path, record: dict[str, Any]) -> None:
    """Append one record as a line and force it to disk before the run counts as done."""
    append_jsonl(out / RUNS_FILE, record)


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a JSON-lines file, in order; a line that does not parse (half
    written by a killed process) is skipped. A missing file has none."""
    if not path.exists():
        return []
    records = []
    for line in path.read_text().splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict):
            records.append(rec)
    return records


def append_jsonl(path: Path, record: dict[str, Any]) -> None:
    """Append ``record`` as one line of ``path`` (made with its folder if need be) and force
    it to disk; after half a line left by a killed process it starts a new line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, allow_nan=False) + "\n"
    with open(path, "a") as fh:
        if fh.tell() > 0 and not _ends_with_newline(path):
            fh.write("\n")  # a killed process may have left half a line: start afresh
        fh.write(line)
        fh.flush()
        os.fsync(fh.fileno())


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as fh:
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) == b"\n"


def latest_by_key(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The last record of each key (a retried run replaces its earlier failure)."""
    return {r["key"]: r for r in records}


def pending(runs: list[Run], done: dict[str, dict[str, Any]], retry_failed: bool) -> list[Run]:
    """The runs still to do: not recorded yet, or recorded as failed when retrying."""
    todo = []
    for r in runs:
        rec = done.get(r.key)
        if rec is None or (retry_failed and rec["status"] in FAILED):
            todo.append(r)
    return todo


# -- one run, in a worker process -------------------------------------------------------------


def _solve_one(
    run: Run, solution_path: Path, send: Callable[[dict[str, Any]], None], wall_cap_factor: float
) -> None:
    """Run ``run`` and send its outcome (status, cost, feasibility, times, message)."""
    from vrp.solvers import Budget, get_solver, refusal, run_solver
    from vrp.solvers.checks import check_solvable

    inst = read_instance(run.source.path)
    engine = get_solver(run.solver)
    reason = refusal(engine, inst)
    if reason is not None:
        send({"status": "unsupported", "message": reason})
        return
    try:
        check_solvable(inst)
    except InputError as e:
        send({"status": "error", "message": f"no feasible solution exists: {e}"})
        return
    res = run_solver(inst, engine, Budget(run.time_limit, wall_cap_factor), run.seed)
    send(_outcome(run, inst, res.solution, res.runtime_s, res.cpu_s, solution_path))


def _outcome(
    run: Run,
    inst: Instance,
    solution: Solution | None,
    wall_s: float,
    cpu_s: float,
    solution_path: Path,
) -> dict[str, Any]:
    """A run's record fields from its routes, scored by `evaluate()`; the routes are written
    to ``solution_path``."""
    from vrp.formats.io import write_solution
    from vrp.model.evaluate import evaluate

    out: dict[str, Any] = {"wall_s": wall_s, "cpu_s": cpu_s}
    if solution is None:
        out["status"] = "no_solution"
        return out
    ev = evaluate(inst, solution)
    out.update(
        status="ok" if ev.feasible else "infeasible",
        cost=ev.cost,
        feasible=ev.feasible,
        routes=len(solution.routes),
    )
    if not ev.feasible:
        out["message"] = "; ".join(str(v) for v in ev.violations[:3])
    write_solution(
        inst, solution, solution_path, solver=run.solver, runtime_s=wall_s, evaluation=ev
    )
    out["solution"] = str(solution_path)
    return out


def _solve_batch(
    runs: list[Run], paths: list[Path], send: Callable[[int, dict[str, Any]], None]
) -> None:
    """Solve ``runs`` (one engine, seed and limit) with one ``solve_many`` call and send each
    run's outcome by its index. Each run is charged an equal share of the batch's wall and
    CPU seconds, and its record says how many shared them (``batch``) and which model decoded
    it (`model_fields`). Its routes and times are those of `timed_solve_many`."""
    from vrp.solvers import get_solver, refusal
    from vrp.solvers.checks import check_solvable

    engine: Any = get_solver(runs[0].solver)
    todo: list[tuple[int, Instance]] = []
    for i, run in enumerate(runs):
        inst = read_instance(run.source.path)
        reason = refusal(engine, inst)
        if reason is not None:
            send(i, {"status": "unsupported", "message": reason})
            continue
        try:
            check_solvable(inst)
        except InputError as e:
            send(i, {"status": "error", "message": f"no feasible solution exists: {e}"})
            continue
        todo.append((i, inst))
    if not todo:
        return
    solutions, wall, cpu = timed_solve_many(
        engine, [inst for _, inst in todo], time_limit=runs[0].time_limit, seed=runs[0].seed
    )
    k = len(todo)
    for (i, inst), sol in zip(todo, solutions, strict=True):
        outcome = _outcome(runs[i], inst, sol, wall / k, cpu / k, paths[i])
        send(i, {**outcome, "batch": k, **model_fields(engine, inst)})


def model_fields(engine: Any, instance: Instance) -> dict[str, Any]:
    """For an engine that decodes a trained model (the neural solver: ``checkpoint``,
    ``augment``, ``num_starts``, ``threads``), what decoded ``instance``: the checkpoint's file
    name and a hash of its bytes (so that runs of another model are told apart), the decoding
    and torch's threads. Other engines: nothing."""
    if not all(hasattr(engine, a) for a in ("checkpoint", "augment", "num_starts", "threads")):
        return {}
    from vrp.solvers.neural import pick_checkpoint

    path = Path(engine.checkpoint or pick_checkpoint(instance))
    k = engine.num_starts
    starts = "every start" if k is None else f"{k} start" + ("s" if k != 1 else "")
    return {
        "checkpoint": path.name,
        "checkpoint_digest": _file_hash(str(path.resolve()), path.stat().st_mtime_ns),
        "decoding": f"{engine.augment} symmetries x {starts}" + _sampling(engine),
        "threads": engine.threads,
    }


def _sampling(engine: Any) -> str:
    """How a neural engine spends the rest of its time limit, for the ``decoding`` field."""
    temperature = getattr(engine, "temperature", None)
    return "" if temperature is None else f", then sampled at temperature {temperature:g}"


@functools.cache
def _file_hash(path: str, mtime_ns: int) -> str:
    return short_hash(Path(path).read_bytes())


def timed_solve_many(
    engine: Any, instances: list[Instance], **options: Any
) -> tuple[list[Solution], float, float]:
    """``engine.solve_many(instances, **options)`` and its wall and CPU seconds, measured after
    a warm-up on the first instance (which loads a model once per process; no options, so a
    time limit is not spent on it)."""
    engine.solve_many(instances[:1])
    t0, c0 = time.perf_counter(), time.process_time()
    solutions = engine.solve_many(instances, **options)
    return solutions, time.perf_counter() - t0, time.process_time() - c0


def _worker(
    conn: Connection, runs: list[Run], paths: list[Path], batch: bool, wall_cap_factor: float
) -> None:
    """Solve ``runs`` (one, or a batch) and send ``(index, fields)`` for each."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent owns Ctrl-C and stops workers
    sent: set[int] = set()

    def send(i: int, fields: dict[str, Any]) -> None:
        conn.send((i, fields))
        sent.add(i)

    try:
        if batch:
            _solve_batch(runs, paths, send)
        else:
            _solve_one(runs[0], paths[0], lambda fields: send(0, fields), wall_cap_factor)
    except BaseException as e:  # noqa: BLE001 - every failure becomes a record
        tb = traceback.format_exception(e)
        error = {"status": "error", "message": f"{type(e).__name__}: {e}", "traceback": tb[-3:]}
        for i in range(len(runs)):
            if i not in sent:
                conn.send((i, error))
    finally:
        conn.close()


BATCH_SIZE = 100
"""At most this many runs share one ``solve_many`` call."""


def _batching(solver: str) -> bool:
    from vrp.solvers import get_solver

    return hasattr(get_solver(solver), "solve_many")


def batches(runs: list[Run]) -> list[list[Run]]:
    """The runs as they go to workers: a run of an engine that solves many instances at once
    (``solve_many``: the neural solver, whose model would otherwise be loaded once per run)
    goes with the others of its engine, seed, time limit, variant and size, up to
    `BATCH_SIZE`; every other run goes alone. The order of first appearance is kept."""
    many = {name: _batching(name) for name in {r.solver for r in runs}}
    groups: dict[Any, list[Run]] = {}
    for k, r in enumerate(runs):
        if many[r.solver]:
            s = r.source
            key: Any = (r.solver, r.seed, r.time_limit, s.variant, s.num_customers)
            if len(groups.get(key, [])) >= BATCH_SIZE:
                groups[(*key, k)] = groups.pop(key)  # full: keep it in place, start another
        else:
            key = k
        groups.setdefault(key, []).append(r)
    return list(groups.values())


# -- the pool ---------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """Where the runs happen, for every summary."""
    cpu_model = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model,
        "python": platform.python_version(),
        "host": platform.node(),
    }


def machine_text(m: dict[str, Any]) -> str:
    """``platform, N CPUs (model)`` of a `machine` record."""
    return f"{m['platform']}, {m['cpu_count']} CPUs ({m['cpu_model'] or 'unknown'})"


@functools.cache
def _this_machine() -> str:
    return machine_text(machine())


def _base_record(run: Run, workers: int) -> dict[str, Any]:
    s = run.source
    return {
        "key": run.key,
        "instance": s.name,
        "instance_name": s.instance_name,
        "path": str(s.path),
        "digest": s.digest,
        "instance_digest": s.content,
        "variant": s.variant,
        "num_customers": s.num_customers,
        "solver": run.solver,
        "seed": run.seed,
        "time_limit": run.time_limit,
        "cost": None,
        "feasible": False,
        "routes": None,
        "wall_s": None,
        "cpu_s": None,
        "message": "",
        "workers": workers,
        "host": platform.node(),
        "machine": _this_machine(),
        "versions": dict(_versions(run.solver)),
    }


def make_record(
    run: Run,
    workers: int,
    fields: dict[str, Any],
    elapsed_s: float,
    stamp: dict[str, Any] | None = None,
    simulate: int = 0,
) -> dict[str, Any]:
    """A finished run's record: `_base_record`, ``stamp``, the worker's ``fields`` (which
    may name another ``host`` and ``machine``), the times, and its simulation if asked."""
    rec = {**_base_record(run, workers), **(stamp or {})}
    rec.update({k: v for k, v in fields.items() if k != "traceback"})
    rec["elapsed_s"] = elapsed_s
    if rec["wall_s"] is None:
        rec["wall_s"] = rec["elapsed_s"]
    rec["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%S")
    if simulate:
        rec.update(simulation_fields(rec, simulate))
    return rec


def _context() -> mp.context.BaseContext:
    # fork is cheap and keeps test-time registry patches; spawn where fork does not exist.
    methods = mp.get_all_start_methods()
    return mp.get_context("fork" if "fork" in methods else "spawn")


@dataclass
class _Active:
    runs: list[Run]
    left: set[int]  # indices of the runs without a record yet
    proc: Any
    conn: Connection
    started: float
    deadline: float


def execute(
    runs: list[Run],
    out: Path,
    workers: int,
    hard_timeout: Callable[[float], float] = default_hard_timeout,
    on_done: Callable[[dict[str, Any]], None] | None = None,
    on_tick: Callable[[list[Run]], None] | None = None,
    stamp: dict[str, Any] | None = None,
    wall_cap_factor: float = DEFAULT_WALL_CAP_FACTOR,
    simulate: int = 0,
) -> list[dict[str, Any]]:
    """Run ``runs`` with ``workers`` processes; append each record to ``out`` as it finishes.

    Each run's budget is its time limit in CPU seconds, capped at ``wall_cap_factor`` times
    that in wall seconds (`vrp.solvers.Budget`). Runs of an engine with ``solve_many`` go to
    a worker in batches (`batches`), whose hard timeout is the sum of theirs. ``stamp`` is
    added to every record (e.g. the code version). With ``simulate`` samples, every feasible
    run is also simulated (`simulation_fields`) before its record is written. Ctrl-C
    (KeyboardInterrupt) kills the running workers and propagates: what finished is on disk,
    the rest runs on the next invocation.
    """
    ctx = _context()
    todo = batches(list(runs))
    todo.reverse()
    active: list[_Active] = []
    finished: list[dict[str, Any]] = []
    solutions = out / "solutions"
    solutions.mkdir(parents=True, exist_ok=True)

    def finish(a: _Active, i: int, fields: dict[str, Any]) -> None:
        a.left.discard(i)
        elapsed = time.perf_counter() - a.started  # the worker's life, reading included
        rec = make_record(a.runs[i], workers, fields, elapsed, stamp, simulate)
        append_record(out, rec)
        finished.append(rec)
        if on_done is not None:
            on_done(rec)

    # Ctrl-C raises KeyboardInterrupt at once, and is also remembered: one that lands inside
    # a callback whose exceptions Python only reports (logging's at-fork lock release, when a
    # worker starts) would otherwise be lost, and the loop checks the flag on every turn.
    asked: list[int] = []

    def on_sigint(signum: int, frame: object) -> None:
        asked.append(signum)
        raise KeyboardInterrupt

    own_sigint = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, on_sigint) if own_sigint else None
    try:
        while todo or active:
            if asked:
                raise KeyboardInterrupt
            while todo and len(active) < workers:
                group = todo.pop()
                batch = len(group) > 1 or _batching(group[0].solver)
                recv, send = ctx.Pipe(duplex=False)
                paths = [solutions / solution_name(r) for r in group]
                args = (send, group, paths, batch, wall_cap_factor)
                proc = ctx.Process(target=_worker, args=args, daemon=True)
                proc.start()
                send.close()
                now = time.perf_counter()
                limit = sum(hard_timeout(r.time_limit) for r in group)
                left = set(range(len(group)))
                active.append(_Active(group, left, proc, recv, now, now + limit))
            ready = wait([a.conn for a in active], timeout=0.5)
            now = time.perf_counter()
            for a in list(active):
                ended: dict[str, Any] | None = None
                if a.conn in ready:
                    try:
                        i, fields = a.conn.recv()
                        finish(a, i, fields)
                    except EOFError:
                        a.proc.join(5)
                        ended = {
                            "status": "crashed",
                            "message": f"worker died (exit code {a.proc.exitcode})",
                        }
                elif now > a.deadline:
                    a.proc.kill()
                    ended = {
                        "status": "timeout",
                        "message": f"killed after {now - a.started:.0f} s wall (hard timeout)",
                    }
                if ended is None and a.left:
                    continue
                a.conn.close()
                a.proc.join(5)
                active.remove(a)
                for i in sorted(a.left):
                    finish(a, i, dict(ended or {"status": "crashed", "message": "no record"}))
            if on_tick is not None:
                on_tick([r for a in active for i, r in enumerate(a.runs) if i in a.left])
    finally:
        if own_sigint:
            signal.signal(signal.SIGINT, previous)
        for a in active:
            a.proc.kill()
            a.proc.join(5)
    return finished


SIMULATION_FIELDS = ("on_time_rate", "expected_lateness", "deadline_rate", "simulated")
"""What ``--simulate N`` adds to a run's record (`simulation_fields`)."""


def simulation_fields(record: dict[str, Any], samples: int) -> dict[str, Any]:
    """A feasible run's plan simulated ``samples`` times under the default noise model
    (seed 0, `vrp.uncertainty.simulate`): its ``on_time_rate``, ``expected_lateness`` and
    ``deadline_rate``, and ``simulated`` (the samples). Nothing for a run without a feasible
    plan; a plan that cannot be read again gets a ``simulate_error``."""
    if record.get("status") != "ok" or not record.get("solution"):
        return {}
    from vrp.formats.io import read_solution
    from vrp.uncertainty.simulate import simulate

    try:
        inst = read_instance(record["path"])
        sim = simulate(inst, read_solution(record["solution"]), samples, seed=0)
    except (InputError, OSError) as e:
        return {"simulate_error": str(e)[:200]}
    return {
        "on_time_rate": sim.on_time_rate,
        "expected_lateness": sim.expected_lateness,
        "deadline_rate": sim.deadline_rate,
        "simulated": samples,
    }


def add_simulations(out: Path, records: Iterable[dict[str, Any]], samples: int) -> int:
    """Simulate the feasible runs among ``records`` (kept from an earlier invocation) that
    have no simulation of ``samples`` samples yet, and append their updated records to
    ``out``; how many."""
    count = 0
    for rec in records:
        if rec.get("simulated") == samples or rec.get("status") != "ok":
            continue
        fields = simulation_fields(rec, samples)
        if fields:
            append_record(out, {**rec, **fields})
            count += 1
    return count


ENGINE_PACKAGES = {
    "pyvrp": ["pyvrp"],
    "ortools": ["ortools"],
    "hgs": ["hygese"],
    "auto": ["pyvrp", "ortools", "hygese"],
    "neural": ["torch", "rl4co"],
    "neural+pyvrp": ["torch", "pyvrp"],
}
"""The packages behind each engine (a preset's are its engine's), for the versions every
summary and reference states."""


@functools.cache
def _versions(solver: str) -> dict[str, str]:
    return engine_versions([solver])


def engine_versions(solvers: Iterable[str]) -> dict[str, str]:
    """Package -> installed version, for the packages behind ``solvers``."""
    from importlib import metadata

    from vrp.solvers.registry import base_engine

    out = {}
    packages = (p for s in solvers for p in ENGINE_PACKAGES.get(base_engine(s), []))
    for pkg in dict.fromkeys(packages):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            continue
    return out


def engine_text(solver: str) -> str:
    """``"pyvrp 0.14.1"``: the engine and its package's version (``"auto (pyvrp 0.14.1,
    ...)"`` for an engine of several packages), as far as they are known."""
    versions = engine_versions([solver])
    if list(versions) == [solver]:
        return f"{solver} {versions[solver]}"
    listed = ", ".join(f"{k} {v}" for k, v in versions.items())
    return f"{solver} ({listed})" if listed else solver


# Committed data that the benchmark scripts append to while they run, and the doc made from
# it: a change there is not a change of the code that produced the numbers.
DATA_DIR = "docs/data"
NOT_CODE = (DATA_DIR, "docs/benchmarks.md")


def code_version(root: Path | None = None) -> str:
    """The git commit of this checkout, with ``+dirty`` when tracked files outside
    `NOT_CODE` differ from it."""
    root = root or source_root()
    if root is None:
        return "unknown"

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10)
        return done.stdout.strip()

    try:
        head = git("rev-parse", "--short", "HEAD")
        dirty = git(
            "status", "--porcelain", "--untracked-files=no", "--", ".",
            *(f":!{p}" for p in NOT_CODE),
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (head or "unknown") + ("+dirty" if dirty else "")


def is_clean(code: str | None) -> bool:
    """Whether a code stamp names a commit and nothing else: not ``+dirty``, ``unknown`` or
    missing (a record made before runs were stamped)."""
    return code is not None and re.fullmatch(r"[0-9a-f]{4,40}", code) is not None


def require_clean(codes: Iterable[str | None], option: str, fix: str = "commit first") -> None:
    """Refuse (`InputError` on ``option``, saying ``fix``) to record runs of code that no
    commit pins: ``codes`` are the tree's stamp, or those of the runs kept from before."""
    bad = sorted({code or "not recorded" for code in codes if not is_clean(code)})
    if bad:
        raise InputError(
            f"refusing to record runs of uncommitted code ({', '.join(bad)}): {fix}, or pass "
            "--allow-dirty to record them with that stamp",
            field=option,
        )
