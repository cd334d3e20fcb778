"""`vrp train --strategy ddp`: two training processes on one CPU machine, over gloo on loopback.

The command runs as users run it (Lightning starts the second process by running the same
command line again); a tiny model, one epoch of four batches, one validation instance.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from vrp.neural.checkpoint import META, read_checkpoint

ROOT = Path(__file__).resolve().parents[1]
VRP = Path(sys.executable).parent / "vrp"


def test_vrp_train_runs_two_ddp_processes_that_share_the_epochs_batches(tmp_path):
    out = tmp_path / "ddp.ckpt"
    args = [str(VRP), "train", "--accelerator", "cpu", "--devices", "2", "--strategy", "ddp",
            "--variant", "cvrp", "--num-loc", "8", "--epochs", "1", "--instances-per-epoch", "32",
            "--batch-size", "8", "--val-per-variant", "1", "--val-time", "0.05",
            "--embed-dim", "16", "--layers", "1", "--threads", "1", "--no-progress",
            "--out", str(out)]  # fmt: skip
    env = {**os.environ, "VRP_CACHE_DIR": str(tmp_path / "cache"), "MASTER_ADDR": "127.0.0.1"}
    if Path("/sys/class/net/lo").exists():
        env["GLOO_SOCKET_IFNAME"] = "lo"  # gloo would otherwise pick the host's address
    done = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=240)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "GLOBAL_RANK: 1, MEMBER: 2/2" in done.stderr
    assert done.stdout.count(f"{out}: epoch 1") == 1  # the result line once, from rank 0
    meta = read_checkpoint(out)[META]
    # Four batches in the epoch, two per process: without a batch of its own each process
    # would have drawn all four, and the history would count 64.
    assert meta["history"][-1]["instances"] == 32
    assert meta["runs"][-1]["strategy"] == "ddp"
    assert meta["runs"][-1]["hardware"]["devices"] == 2


def test_an_unknown_strategy_is_one_line_naming_the_option(tmp_path):
    from typer.testing import CliRunner

    from cli.main import app

    result = CliRunner().invoke(
        app, ["train", "--strategy", "fsdp", "--out", str(tmp_path / "x.ckpt")]
    )
    assert result.exit_code == 1
    assert result.output.startswith("error: --strategy: must be one of auto, ddp")
