"""Benchmark runs on a Dask distributed cluster (``vrp benchmark --scheduler tcp://HOST:PORT``).

The plan, the records file, resuming and Ctrl-C are those of `vrp.benchmark.runner`; only
where a run happens changes. Each group of runs (`runner.batches`: one run, or a batch of a
``solve_many`` engine) is one Dask task that carries its instance files' bytes, so workers
need no shared disk. On the worker the task writes them to a temporary folder and runs them
in a fresh child process (``python -m vrp.benchmark.cluster``) exactly as a local worker
process does (`runner._worker`): the run's CPU budget is the child's, within the same hard
timeout (killed past it: ``timeout``; a child that dies: ``crashed``). The task returns each
run's fields and its solution file's text, with the worker's host, machine and engine
versions; this process writes the records and solution files under OUT as tasks finish.

Workers: the engines are single-threaded and their budget is CPU time, so give each worker
one thread per run it should hold at once (``dask worker tcp://HOST:8786 --nthreads 4``,
at most its cores). At most twice the runs at a time are on the cluster at once (their
instances in memory); the rest wait here. Workers need the same ``vrp-suite`` installed
(the task is this module's `run_group`). Ctrl-C cancels what waits; runs already started
finish on the workers and are discarded, as a killed local worker's run is.
"""

from __future__ import annotations

import dataclasses
import pickle
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vrp.benchmark.runner import (
    Run,
    append_record,
    batches,
    engine_versions,
    machine,
    machine_text,
    make_record,
    solution_name,
)
from vrp.errors import InputError

CONNECT_TIMEOUT_S = 10.0


def connect(address: str, timeout: float = CONNECT_TIMEOUT_S) -> Any:
    """A `distributed.Client` of the scheduler at ``address`` (``tcp://HOST:PORT``).

    Raises:
        InputError: on ``--scheduler``, when nothing answers there in ``timeout`` seconds
            or the cluster has no worker.
    """
    import distributed

    if "://" not in address:
        address = f"tcp://{address}"
    try:
        client = distributed.Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as e:
        raise InputError(
            f"cannot reach the Dask scheduler at {address} within {timeout:g} s "
            f"({type(e).__name__}): is `dask scheduler` running there?",
            field="--scheduler",
        ) from None
    if not threads(client):
        try:
            client.wait_for_workers(1, timeout=timeout)
        except (OSError, TimeoutError):
            client.close()
            raise InputError(
                f"the Dask scheduler at {address} has no worker (start one: dask worker "
                f"{address} --nthreads N)",
                field="--scheduler",
            ) from None
    return client


def threads(client: Any) -> int:
    """The worker threads of the cluster: how many runs it holds at once."""
    return int(sum(client.nthreads().values()))


def execute_on_cluster(
    runs: list[Run],
    out: Path,
    client: Any,
    workers: int,
    hard_timeout: Callable[[float], float],
    on_done: Callable[[dict[str, Any]], None] | None = None,
    on_tick: Callable[[list[Run]], None] | None = None,
    stamp: dict[str, Any] | None = None,
    wall_cap_factor: float = 1.5,
    simulate: int = 0,
) -> list[dict[str, Any]]:
    """`runner.execute` on a Dask cluster: at most ``2 * workers`` runs' tasks submitted at a
    time; each record is appended to ``out`` as its task finishes. Ctrl-C (KeyboardInterrupt)
    cancels the submitted tasks and propagates."""
    from distributed import as_completed

    from vrp.solvers import registry

    solutions = out / "solutions"
    solutions.mkdir(parents=True, exist_ok=True)
    todo = iter(batches(list(runs)))
    waiting: dict[Any, tuple[list[Run], float]] = {}
    finished: list[dict[str, Any]] = []

    def submit() -> Any:
        group = next(todo, None)
        if group is None:
            return None
        spec = {
            "runs": group,
            "files": {
                r.source.digest: (r.source.path.name, r.source.path.read_bytes()) for r in group
            },  # fmt: skip
            "batch": len(group) > 1 or _batching(group[0].solver),
            "wall_cap_factor": wall_cap_factor,
            "hard_timeout": sum(hard_timeout(r.time_limit) for r in group),
            "engines": {r.solver: registry._ENGINES.get(r.solver) for r in group},
        }
        fut = client.submit(run_group, spec, pure=False)
        waiting[fut] = (group, time.perf_counter())
        return fut

    try:
        first = [submit() for _ in range(2 * max(1, workers))]
        done = as_completed([f for f in first if f is not None], loop=client.loop)
        for fut in done:
            group, started = waiting.pop(fut)
            try:
                answer = fut.result()
            except Exception as e:  # noqa: BLE001 - a lost worker or task becomes a record
                answer = {"results": [(i, _failed(e), None) for i in range(len(group))]}
            for i, fields, text in answer["results"]:
                if text is not None:
                    path = solutions / solution_name(group[i])
                    path.write_text(text)
                    fields["solution"] = str(path)
                fields.update(
                    {k: answer[k] for k in ("host", "machine", "versions") if k in answer}
                )
                elapsed = answer.get("elapsed_s", time.perf_counter() - started)
                rec = make_record(group[i], workers, fields, elapsed, stamp, simulate)
                append_record(out, rec)
                finished.append(rec)
                if on_done is not None:
                    on_done(rec)
            nxt = submit()
            if nxt is not None:
                done.add(nxt)
            if on_tick is not None:
                on_tick([r for g, _ in waiting.values() for r in g])
    finally:
        if waiting:
            client.cancel(list(waiting))
    return finished


def _batching(solver: str) -> bool:
    from vrp.benchmark.runner import _batching as local

    return local(solver)


def _failed(e: BaseException) -> dict[str, Any]:
    return {"status": "crashed", "message": f"on the cluster: {type(e).__name__}: {e}"[:300]}


# -- on a worker ------------------------------------------------------------------------------


def run_group(spec: dict[str, Any]) -> dict[str, Any]:
    """The Dask task: run ``spec["runs"]`` in a child process here, from the instance bytes
    it carries; each run's ``(index, fields, solution text)``, and where it ran."""
    tmp = Path(tempfile.mkdtemp(prefix="vrp-benchmark-"))
    try:
        runs = []
        for run in spec["runs"]:
            name, data = spec["files"][run.source.digest]
            path = tmp / run.source.digest / name
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            runs.append(dataclasses.replace(run, source=dataclasses.replace(run.source, path=path)))
        paths = [tmp / "solutions" / solution_name(r) for r in runs]
        paths[0].parent.mkdir()
        spec_file, results = tmp / "spec.pickle", tmp / "results.pickle"
        child = {k: spec[k] for k in ("batch", "wall_cap_factor", "engines")}
        spec_file.write_bytes(pickle.dumps({**child, "runs": runs, "paths": paths}))
        started = time.perf_counter()
        with open(tmp / "child.log", "wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "vrp.benchmark.cluster", str(spec_file), str(results)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
            try:
                proc.wait(spec["hard_timeout"])
                ended = {
                    "status": "crashed",
                    "message": f"worker died (exit code {proc.returncode})",
                }
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                ended = {
                    "status": "timeout",
                    "message": f"killed after {time.perf_counter() - started:.0f} s wall "
                    "(hard timeout)",
                }
        got = dict(_read_results(results))
        out = []
        for i, path in enumerate(paths):
            fields = got.get(i, dict(ended))
            text = path.read_text() if fields.get("solution") and path.exists() else None
            out.append((i, fields, text))
        solvers = sorted({r.solver for r in runs})
        return {
            "results": out,
            "elapsed_s": time.perf_counter() - started,
            "host": platform.node(),
            "machine": machine_text(machine()),
            "versions": engine_versions(solvers),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _read_results(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """The ``(index, fields)`` pairs the child wrote; a half-written last one is ignored."""
    out = []
    if path.exists():
        with open(path, "rb") as fh:
            while True:
                try:
                    out.append(pickle.load(fh))
                except (EOFError, pickle.UnpicklingError):
                    break
    return out


class _FileConn:
    """What `runner._worker` sends to: each ``(index, fields)`` appended to a file at once."""

    def __init__(self, path: str):
        self.fh = open(path, "ab")  # noqa: SIM115 - closed by close(), as a pipe end is

    def send(self, item: Any) -> None:
        self.fh.write(pickle.dumps(item))
        self.fh.flush()

    def close(self) -> None:
        self.fh.close()


def _child_main(spec_file: str, results: str) -> None:
    from vrp.benchmark.runner import _worker
    from vrp.solvers import registry

    spec = pickle.loads(Path(spec_file).read_bytes())
    for name, entry in spec["engines"].items():
        if entry is not None:  # an engine registered where the benchmark was started
            registry._ENGINES.setdefault(name, tuple(entry))
    conn: Any = _FileConn(results)
    _worker(conn, spec["runs"], spec["paths"], spec["batch"], spec["wall_cap_factor"])


if __name__ == "__main__":
    _child_main(sys.argv[1], sys.argv[2])
