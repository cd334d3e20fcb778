"""SIGTERM is Ctrl-C: every long command stops the same way, keeps its work, and says which
signal it was in its exit code (130 Ctrl-C, 143 SIGTERM)."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from vrp.formats.io import read_instance, read_solution, write_instance
from vrp.model.evaluate import evaluate
from vrp.model.generate import generate
from vrp.solvers import stop_on_interrupt

ROOT = Path(__file__).resolve().parents[1]


class _Unhandled(Exception):
    """SIGTERM reached the handler that was there before the block."""


def _raise(signum: int, frame: object) -> None:
    raise _Unhandled


def _sleep(running: Any) -> None:
    running.set()
    time.sleep(10)


def test_sigterm_requests_the_same_stop_as_ctrl_c_and_a_second_signal_aborts():
    before = signal.signal(signal.SIGTERM, _raise)  # never this test process's default: death
    try:
        with stop_on_interrupt() as interrupt:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.01)  # the handler runs between bytecodes
            assert interrupt.requested and interrupt.signum == signal.SIGTERM
            # a child forked now (an engine's, a benchmark worker) can still be terminated
            ctx = mp.get_context("fork")
            running = ctx.Event()
            child = ctx.Process(target=_sleep, args=(running,))
            child.start()
            assert running.wait(5)  # (a signal in the instant after a fork is lost: CPython)
            child.terminate()
            child.join(2)
            assert child.exitcode == -signal.SIGTERM
            with pytest.raises(KeyboardInterrupt):
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.01)
        assert signal.getsignal(signal.SIGTERM) is _raise  # put back
    finally:
        signal.signal(signal.SIGTERM, before)


def _start(args: list[str], cwd: Path = ROOT) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "cli.main", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
    )


def test_sigterm_makes_vrp_solve_write_its_best_plan_marked_interrupted_and_exit_143(
    tmp_path: Path,
):
    inst, sol = tmp_path / "inst.json", tmp_path / "sol.json"
    write_instance(generate("vrptw", 100, seed=1), inst)
    proc = _start(["solve", str(inst), "-t", "60", "--out", str(sol)])
    assert proc.stderr is not None
    proc.stderr.readline()  # the first progress line: the search is running
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err
    assert "interrupted: best found so far" in out
    data = json.loads(sol.read_text())
    assert data["interrupted"] is True
    assert evaluate(read_instance(inst), read_solution(sol)).feasible


def test_sigterm_makes_vrp_benchmark_keep_its_runs_and_exit_143(tmp_path: Path):
    out = tmp_path / "results"
    args = ["benchmark", "--generate", "cvrp:10:4", "--solvers", "pyvrp", "--time-limit", "30"]
    proc = _start([*args, "--workers", "1", "--no-plot", "--out", str(out)])
    assert proc.stderr is not None
    for line in proc.stderr:
        if "to run with" in line:  # the plan is made: the runs start now
            break
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err
    assert "run the same command again to continue" in err
    assert (out / "summary.md").is_file()


@pytest.mark.slow
def test_sigterm_during_vrp_train_saves_the_checkpoint_and_exits_143_without_banners(
    tmp_path: Path,
):
    ckpt = tmp_path / "t.ckpt"
    args = ["train", "--variant", "cvrp", "--num-loc", "10", "--epochs", "50"]
    args += ["--instances-per-epoch", "64", "--batch-size", "8", "--val-per-variant", "1"]
    args += ["--val-time", "0.05", "--embed-dim", "16", "--layers", "1", "--no-progress"]
    proc = _start([*args, "--out", str(ckpt)])
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if line.startswith("epoch 1"):
            break
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    err = "".join(seen) + err
    assert proc.returncode == 143, err
    assert f"interrupted: saved {ckpt}" in err and ckpt.is_file()
    for noise in ("Tip:", "LeafSpec", "GPU available", "TPU available"):
        assert noise not in err
