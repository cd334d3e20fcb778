"""`vrp benchmark --scheduler`: the same plan on a real Dask cluster on 127.0.0.1.

A `dask scheduler` and two `dask worker` processes (one thread each) run on loopback for the
module; the fake engines (tests/benchmark_fakes.py) reach the workers' run processes through
PYTHONPATH. Without the `distributed` package this module skips on a developer's machine;
under CI (CI=true) tests/conftest.py stops the run instead (tests/needs.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("distributed", reason="the Dask cluster tests need `distributed`")

import benchmark_fakes  # noqa: E402

from cli.main import app  # noqa: E402
from vrp.benchmark import runner as bm  # noqa: E402
from vrp.roads.osrm import free_port  # noqa: E402
from vrp.solvers import registry  # noqa: E402

TESTS = Path(__file__).resolve().parent
FAKES = "fake-alone,fake-overloaded,fake-raises,fake-nothing,fake-dies,fake-refuses"
COMPARED = ("status", "cost", "feasible", "routes", "message", "instance_digest")


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """``tcp://127.0.0.1:PORT`` of a scheduler with two one-thread workers; stopped after."""
    logs = tmp_path_factory.mktemp("dask")
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), str(TESTS.parent)])}
    common = ["--no-dashboard"]
    cmds = [
        [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
         "--port", str(port), *common],
        *[[sys.executable, "-m", "distributed.cli.dask_worker", address, "--host", "127.0.0.1",
           "--nthreads", "1", "--name", f"w{k}", *common] for k in (1, 2)],
    ]  # fmt: skip
    procs = []
    try:
        for k, cmd in enumerate(cmds):
            with open(logs / f"{k}.log", "wb") as log:
                procs.append(
                    subprocess.Popen(
                        cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
                    )  # fmt: skip
                )
        from vrp.benchmark.cluster import connect, threads

        client = connect(address, timeout=60)
        deadline = time.monotonic() + 60
        while threads(client) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert threads(client) == 2, (logs / "2.log").read_text()[-2000:]
        client.close()
        yield address
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


@pytest.fixture(autouse=True)
def fakes(monkeypatch, tmp_path):
    monkeypatch.setattr(registry, "_ENGINES", dict(registry._ENGINES))
    benchmark_fakes.register()
    monkeypatch.setenv("VRP_CACHE_DIR", str(tmp_path / "cache"))


def bench(*args: str):
    result = CliRunner().invoke(app, ["benchmark", *args, "--reference", "best", "--no-plot"])
    assert result.exit_code == 0, result.output
    return result


def by_key(out: Path) -> dict[str, dict]:
    return bm.latest_by_key(bm.read_records(out))


def test_a_benchmark_on_the_cluster_equals_the_local_one(scheduler, tmp_path):
    # The instances sit in a folder the workers are never told about: they travel with the runs.
    common = ("--generate", "cvrp:6:3", "--solvers", FAKES, "--time-limit", "0.2")
    bench(*common, "--out", str(tmp_path / "local"), "--workers", "2")
    result = bench(*common, "--out", str(tmp_path / "dask"), "--scheduler", scheduler)
    assert f"on the Dask cluster at {scheduler}, 2 at a time" in result.output
    local, dask = by_key(tmp_path / "local"), by_key(tmp_path / "dask")
    assert len(local) == 18
    strip = lambda rec: {k: rec.get(k) for k in COMPARED}  # noqa: E731
    assert {k: strip(r) for k, r in dask.items()} == {k: strip(r) for k, r in local.items()}
    statuses = {r["solver"]: r["status"] for r in dask.values()}
    assert statuses["fake-dies"] == "crashed" and statuses["fake-refuses"] == "unsupported"
    for rec in dask.values():  # the routes came back and were written here
        if rec["status"] in ("ok", "infeasible"):
            assert Path(rec["solution"]).parent == tmp_path / "dask" / "solutions"
            assert Path(rec["solution"]).exists()
    meta = (tmp_path / "dask" / "meta.json").read_text()
    assert f"--scheduler {scheduler}" in meta


def test_a_cluster_benchmark_resumes_where_it_stopped(scheduler, tmp_path):
    out = tmp_path / "dask"
    common = ("--generate", "cvrp:5:2", "--solvers", "fake-alone", "--time-limit", "0.2")
    bench(*common, "--out", str(out), "--scheduler", scheduler)
    first = by_key(out)
    result = bench(*common, "--solvers", "fake-alone,fake-overloaded", "--out", str(out),
                   "--scheduler", scheduler)  # fmt: skip
    assert "2 already done, 2 to run" in result.output
    again = by_key(out)
    assert len(again) == 4
    assert all(again[k]["finished_at"] == rec["finished_at"] for k, rec in first.items())


def test_ctrl_c_on_a_cluster_benchmark_keeps_finished_runs_and_the_rerun_finishes(
    scheduler, tmp_path
):
    out = tmp_path / "dask"
    # Eight runs of 0.4 s on two workers: the SIGINT lands after the first record.
    args = ["benchmark", "--generate", "cvrp:5:8", "--solvers", "fake-sleepy", "--out", str(out),
            "--no-plot", "--reference", "best", "--scheduler", scheduler]  # fmt: skip
    # Ctrl-C as in a terminal: a test run started in the background (`nohup ... &`) hands
    # its children SIGINT ignored, and the cluster path keeps what it inherits.
    code = (
        "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); "
        "import sys; sys.path.insert(0, 'tests'); import benchmark_fakes; "
        "benchmark_fakes.register(); from cli.main import app; app(sys.argv[1:])"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, *args], cwd=TESTS.parent,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.time() + 60
    while not (out / bm.RUNS_FILE).exists() and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "run the same command again to continue" in stderr
    assert 1 <= len(by_key(out)) < 8
    bench(*args[1:-4], "--scheduler", scheduler)
    assert len(by_key(out)) == 8


def test_a_scheduler_that_does_not_answer_is_one_clear_error(tmp_path):
    from vrp.benchmark.cluster import connect
    from vrp.errors import InputError

    address = f"tcp://127.0.0.1:{free_port()}"
    with pytest.raises(InputError, match=f"cannot reach the Dask scheduler at {address}"):
        connect(address, timeout=1)
