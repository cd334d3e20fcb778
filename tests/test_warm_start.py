"""The supervised warm start (scripts/warm_start.py): teacher forcing, imitation, and a
checkpoint that ``vrp train --resume`` continues.

Tiny sizes on the CPU (n = 8, a handful of teacher instances at 0.02 s), as in test_neural.py.
"""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from envs.env import VRPEnv
from vrp.model.generate import generate_many
from vrp.neural.bridge import costs
from vrp.neural.checkpoint import META, read_checkpoint
from vrp.neural.policy import ModelArgs, Policy
from vrp.neural.train import TrainConfig, train

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = ("vrptw", "mdovrpmb")
TINY_MODEL = ModelArgs(embed_dim=32, num_heads=4, num_layers=1, ffn_dim=64, num_neighbours=4)


def _script():
    spec = importlib.util.spec_from_file_location("warm_start", ROOT / "scripts/warm_start.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


ws = _script()


@pytest.fixture(scope="module", autouse=True)
def reference_cache_in_tmp(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VRP_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(scope="module")
def teacher():
    torch.set_num_threads(1)
    return ws.teacher_data(VARIANTS, 8, 8, 0.02, log=None)


def test_teacher_forcing_a_policys_greedy_actions_gives_the_log_likelihood_forward_reported(
    teacher,
):
    torch.manual_seed(0)
    policy, env = Policy(TINY_MODEL).eval(), VRPEnv()
    with torch.no_grad():
        out = policy(env.reset(teacher.batch.td), env, "greedy")
        ll, steps = policy.teacher_log_likelihood(env.reset(teacher.batch.td), env, out["actions"])
    assert torch.allclose(ll, out["log_likelihood"], atol=1e-4)
    assert (steps >= 8 + 1).all()  # every customer, and a depot to close the last route
    assert (steps <= out["actions"].shape[1]).all()


def test_teacher_routes_are_pyvrps_feasible_solutions_and_replay_to_their_cost(teacher):
    assert len(teacher) + teacher.unsolved + teacher.blocked == teacher.drawn == 8
    assert {inst.name.split("-")[0] for inst in teacher.batch.instances} == set(VARIANTS)
    env = VRPEnv(check_solution=True)  # raises on a masked action or an unfinished sequence
    reward = env.get_reward(env.reset(teacher.batch.td), teacher.actions)
    assert costs(teacher.batch, reward) == pytest.approx(teacher.costs, rel=1e-4)


def test_teacher_instances_are_drawn_apart_from_the_validation_and_test_seeds():
    drawn = ws.draw_instances(VARIANTS, 8, 6, seed=0)
    assert [i.name.split("-")[0] for i in drawn] == ["vrptw"] * 3 + ["mdovrpmb"] * 3
    others = [i.locations for s in (987_654, 1) for i in generate_many("vrptw", 8, 6, s)]
    points = [i.locations for i in drawn] + others
    for a in range(len(points)):  # no two instances share their customers
        for b in range(a):
            assert not np.allclose(points[a][-8:], points[b][-8:])


def test_imitation_lowers_the_teacher_loss_on_its_own_data(teacher):
    torch.manual_seed(0)
    policy, env = Policy(TINY_MODEL), VRPEnv()
    before = ws.teacher_loss(policy, env, teacher)
    losses = ws.imitate(policy, env, teacher, epochs=4, batch_size=4, lr=1e-3, log=None)
    after = ws.teacher_loss(policy, env, teacher)
    assert len(losses) == 4
    assert after < before - 0.05


def test_the_script_writes_a_checkpoint_that_vrp_train_resumes(tmp_path):
    out = tmp_path / "warm.ckpt"
    args = ["--variant", ",".join(VARIANTS), "--num-loc", "8", "--teacher-instances", "6"]
    args += ["--teacher-time", "0.02", "--epochs", "1", "--batch-size", "4", "--embed-dim", "32"]
    args += ["--layers", "1", "--val-per-variant", "1", "--val-time", "0.05", "--out", str(out)]
    ws.main(args)
    meta = read_checkpoint(out)[META]
    (row,) = meta["history"]
    assert row["epoch"] == 1 and row["instances"] == 6 and row["num_loc"] == 8
    (run,) = meta["runs"]
    assert run["command"].startswith("scripts/warm_start.py --variant vrptw,mdovrpmb")
    assert 0 < run["teacher"]["cpu_s"] <= row["train_cpu_s"]  # PyVRP's CPU is counted
    assert out.with_suffix(".md").is_file()
    with out.with_suffix(".csv").open() as fh:
        assert [r["epoch"] for r in csv.DictReader(fh)] == ["1"]

    config = TrainConfig(
        variants=VARIANTS,
        num_loc=8,
        epochs=2,
        instances_per_epoch=16,
        batch_size=16,
        val_per_variant=1,
        val_reference_s=0.05,
    )
    history = train(config, tmp_path / "rl.ckpt", resume=out, progress=False)
    assert [r["epoch"] for r in history] == [1, 2]
    assert history[0] == row
    assert set(history[1]) == set(row)  # the row has the columns `vrp train` writes
    assert history[1]["train_cpu_s"] > row["train_cpu_s"]
    assert history[1]["instances"] == 6 + 16
    resumed = read_checkpoint(tmp_path / "rl.ckpt")[META]
    assert resumed["model_args"] == meta["model_args"]
    assert len(resumed["runs"]) == 2
