"""The neural solver: training and resuming, checkpoints, and feasible answers everywhere.

Training tests use a tiny model on tiny instances (CPU, seconds); solving tests use the
shipped checkpoint in checkpoints/, and every answer is judged by `evaluate()`.
"""

from __future__ import annotations

import csv
import json
import signal
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from cli.main import app
from envs.pool import MatrixPool, synthetic_pool
from vrp.errors import InputError
from vrp.model.evaluate import evaluate
from vrp.model.generate import generate, generate_many
from vrp.model.instance import Instance
from vrp.model.variants import VARIANT_NAMES
from vrp.neural.checkpoint import FORMAT, META, load_policy, read_checkpoint, write_checkpoint
from vrp.neural.decode import solve_instances
from vrp.neural.policy import ModelArgs
from vrp.neural.train import (
    PolicyTraining,
    TrainConfig,
    resumed_reference,
    train,
    validation_set,
)
from vrp.solvers.neural import NeuralSolver, checkpoint_dir, pick_checkpoint

TINY_MODEL = ModelArgs(embed_dim=32, num_heads=4, num_layers=1, ffn_dim=64, num_neighbours=4)


def tiny_config(epochs: int = 1, **kw) -> TrainConfig:
    base = dict(
        variants=("vrptw", "mdovrpmb"),
        num_loc=8,
        epochs=epochs,
        instances_per_epoch=32,
        batch_size=16,
        val_per_variant=1,
        val_reference_s=0.05,
        threads=1,
    )
    return TrainConfig(**{**base, **kw})


@pytest.fixture(scope="module", autouse=True)
def reference_cache_in_tmp(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VRP_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        yield


def _validation(config: TrainConfig):
    """The validation set of ``config`` with its costs from the reference store, as `vrp
    train` hands it to `train`."""
    from vrp.benchmark.references import reference_costs

    ref = validation_set(config)
    ref.costs = reference_costs(ref.instances(), ref.solver, ref.time_limit_s, log=None)
    return ref


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("train") / "tiny.ckpt"
    config = tiny_config()
    train(config, out, reference=_validation(config), model_args=TINY_MODEL, progress=False)
    return out


@pytest.fixture(scope="module")
def shipped() -> NeuralSolver:
    if not any(checkpoint_dir().glob("*.ckpt")):
        pytest.fail(f"no shipped checkpoint in {checkpoint_dir()}")
    torch.set_num_threads(1)
    return NeuralSolver()


# -- training ---------------------------------------------------------------------------------


def test_a_tiny_training_run_writes_a_self_describing_checkpoint_and_a_metrics_csv(trained):
    meta = read_checkpoint(trained)[META]
    assert meta["format"] == FORMAT
    assert meta["model_args"] == TINY_MODEL.to_dict()
    assert meta["train_config"]["variants"] == ["vrptw", "mdovrpmb"]
    assert set(meta["reference"]["costs"]) == {"vrptw", "mdovrpmb"}
    (row,) = meta["history"]
    assert row["epoch"] == 1 and row["instances"] == 32 and row["val_infeasible"] == 0
    assert row["val_gap"] > -0.05  # pyvrp's references are near-optimal at n = 8
    with trained.with_suffix(".csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert [r["epoch"] for r in rows] == ["1"]
    assert {"val_gap", "gap_vrptw", "gap_mdovrpmb", "train_loss"} <= set(rows[0])


def test_resuming_continues_the_epochs_the_weights_and_the_optimizer(trained, tmp_path):
    out = tmp_path / "resumed.ckpt"
    before = read_checkpoint(trained)
    history = train(tiny_config(epochs=2), out, resume=trained, progress=False)
    after = read_checkpoint(out)
    assert [r["epoch"] for r in history] == [1, 2]
    assert history[1]["instances"] == 64
    # the reference costs were reused, not recomputed
    assert after[META]["reference"] == before[META]["reference"]
    step = lambda c: max(s["step"] for s in c["optimizer_states"][0]["state"].values())  # noqa: E731
    assert float(step(after)) == float(step(before)) + 2
    assert not torch.equal(
        after["state_dict"]["policy.embed_customer.weight"],
        before["state_dict"]["policy.embed_customer.weight"],
    )


def test_a_checkpoint_from_before_the_pace_feature_loads_decodes_as_it_did_and_resumes(
    trained, tmp_path
):
    key = "policy.embed_global.0.weight"
    ckpt = read_checkpoint(trained)
    ckpt["state_dict"][key][:, -1] = 0.0  # what an old model computes: no pace column
    zeroed = tmp_path / "zeroed.ckpt"
    write_checkpoint(ckpt, zeroed)
    ckpt["state_dict"][key] = ckpt["state_dict"][key][:, :-1].clone()
    opt = ckpt["optimizer_states"][0]
    for st in opt["state"].values():  # the optimizer's moments of that weight, as then
        for k, v in st.items():
            if torch.is_tensor(v) and v.shape == (TINY_MODEL.embed_dim, 11):
                st[k] = v[:, :-1].clone()
    old = tmp_path / "old.ckpt"
    write_checkpoint(ckpt, old)

    insts = [generate("vrptw", 8, seed=s) for s in range(3)]
    assert solve_instances(load_policy(old).policy, insts) == solve_instances(
        load_policy(zeroed).policy, insts
    )
    history = train(tiny_config(epochs=2), tmp_path / "on.ckpt", resume=old, progress=False)
    assert [r["epoch"] for r in history] == [1, 2]
    assert read_checkpoint(tmp_path / "on.ckpt")["state_dict"][key].shape[-1] == 11


def test_a_cpu_budget_stops_training_after_the_epoch_that_reaches_it(trained, tmp_path):
    spent = read_checkpoint(trained)[META]["history"][-1]["train_cpu_s"]
    budget = spent / 60 + 1e-6  # minutes: any further epoch reaches it
    config = tiny_config(epochs=4, max_cpu_minutes=budget)
    history = train(config, tmp_path / "budget.ckpt", resume=trained, progress=False)
    assert [r["epoch"] for r in history] == [1, 2]
    assert history[1]["train_cpu_s"] >= 60 * budget
    cpu, wall = history[1]["train_cpu_s"] - spent, history[1]["train_s"] - history[0]["train_s"]
    assert 0 < cpu <= wall * 2  # one thread, roughly


def test_a_cpu_budget_the_resumed_checkpoint_has_already_spent_is_refused(trained, tmp_path):
    spent = read_checkpoint(trained)[META]["history"][-1]["train_cpu_s"]
    config = tiny_config(epochs=4, max_cpu_minutes=spent / 60)
    with pytest.raises(InputError, match="--max-cpu-minutes") as err:
        train(config, tmp_path / "budget.ckpt", resume=trained, progress=False)
    assert "already trained" in str(err.value) and str(trained) in str(err.value)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["/x/.venv/bin/vrp", "train", "--epochs", "2"], True),
        (["/x/repo/cli/main.py", "train", "--epochs", "2"], True),  # python -m cli.main
        (["/x/repo/cli/main.py", "solve", "a.json"], False),
        (["/x/pytest", "-q"], False),
    ],
)
def test_a_run_names_its_command_when_it_comes_from_vrp_train(monkeypatch, argv, expected):
    from vrp.neural.train import _from_cli

    monkeypatch.setattr(sys, "argv", argv)
    assert _from_cli() is expected


def test_a_weights_only_checkpoint_is_smaller_and_still_resumes(trained, tmp_path):
    light = tmp_path / "light.ckpt"
    train(tiny_config(epochs=2), light, resume=trained, weights_only=True, progress=False)
    assert not read_checkpoint(light).get("optimizer_states")
    assert light.stat().st_size < trained.stat().st_size
    history = train(tiny_config(epochs=3), tmp_path / "again.ckpt", resume=light, progress=False)
    assert [r["epoch"] for r in history] == [1, 2, 3]


def test_validation_references_reach_training_from_the_store_found_by_content(trained):
    from vrp.benchmark.references import ReferenceStore

    store = ReferenceStore.default()  # VRP_CACHE_DIR: this module's folder
    costs = read_checkpoint(trained)[META]["reference"]["costs"]
    inst = generate_many("vrptw", 8, 1, seed=987_654)[0]
    assert store.lookup(inst, "pyvrp", 0.05)["cost"] == costs["vrptw"][0]


def test_training_without_references_for_its_validation_set_is_refused(trained, tmp_path):
    with pytest.raises(ValueError, match="validation references"):
        train(tiny_config(), tmp_path / "x.ckpt", progress=False)
    with pytest.raises(ValueError, match="validation references"):  # the checkpoint's are 0.05 s
        train(tiny_config(epochs=2, val_reference_s=0.1), tmp_path / "x.ckpt", resume=trained)


def test_a_resumed_checkpoint_hands_back_its_references_when_the_validation_set_fits(trained):
    stored = read_checkpoint(trained)[META]["reference"]
    assert resumed_reference(trained, tiny_config(epochs=5)).costs == stored["costs"]
    assert resumed_reference(trained, tiny_config(num_loc=9)) is None
    assert resumed_reference(trained, tiny_config(val_reference_s=0.1)) is None


def test_vrp_train_resuming_reuses_the_checkpoints_references_without_solving(
    trained, tmp_path, monkeypatch
):
    from vrp.benchmark import references

    def no_solving(*args, **kwargs):
        raise AssertionError("solved a reference")

    monkeypatch.setattr(references.ReferenceStore, "add", no_solving)
    out = tmp_path / "more.ckpt"
    args = ["train", "--variant", "vrptw,mdovrpmb", "--num-loc", "8", "--epochs", "2"]
    args += ["--instances-per-epoch", "16", "--batch-size", "16", "--val-per-variant", "1"]
    args += ["--val-time", "0.05", "--no-progress", "--resume", str(trained), "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert read_checkpoint(out)[META]["reference"] == read_checkpoint(trained)[META]["reference"]


def test_nothing_in_the_neural_package_imports_the_solvers():
    import ast

    for path in sorted((Path(__file__).resolve().parents[1] / "vrp" / "neural").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            assert not any(n == "vrp.solvers" or n.startswith("vrp.solvers.") for n in names), (
                f"{path.name} imports {names}"
            )


def test_resuming_a_finished_run_asks_for_more_epochs(trained, tmp_path):
    with pytest.raises(InputError, match="--epochs"):
        train(tiny_config(epochs=1), tmp_path / "x.ckpt", resume=trained, progress=False)


def test_ctrl_c_during_training_saves_a_checkpoint_that_resumes(trained, tmp_path):
    out = tmp_path / "stopped.ckpt"

    class CtrlC(PolicyTraining):
        def training_step(self, index, batch_idx):
            if batch_idx == 1:
                raise KeyboardInterrupt
            return super().training_step(index, batch_idx)

    module = CtrlC(TINY_MODEL, tiny_config(), _reference(trained), out)
    handler = signal.getsignal(signal.SIGINT)
    try:
        with pytest.raises(SystemExit):
            _fit(module, out)
    finally:
        signal.signal(signal.SIGINT, handler)  # Lightning ignores SIGINT after a Ctrl-C
    assert read_checkpoint(out)[META]["history"] == []  # stopped inside the first epoch
    history = train(tiny_config(), tmp_path / "resumed.ckpt", resume=out, progress=False)
    assert [r["epoch"] for r in history] == [1]


def _reference(path: Path):
    from vrp.neural.train import Reference

    return Reference(**read_checkpoint(path)[META]["reference"])


def _fit(module: PolicyTraining, out: Path) -> None:
    import lightning as L

    from vrp.neural.train import AtomicCheckpointIO, SaveOnInterrupt

    trainer = L.Trainer(
        max_epochs=1,
        accelerator="cpu",
        devices=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[SaveOnInterrupt(out)],
        plugins=[AtomicCheckpointIO()],
    )
    trainer.fit(module)


def test_the_advantage_scale_is_a_running_mean_cost_per_variant():
    module = PolicyTraining(TINY_MODEL, tiny_config(cost_ema=0.5), _dummy_reference(), Path("x"))
    v = torch.tensor([0, 0, 5])
    module._update_cost_scale(v, torch.tensor([2.0, 4.0, 10.0]))
    assert module.cost_scale[0] == 3.0 and module.cost_scale[5] == 10.0
    module._update_cost_scale(torch.tensor([0]), torch.tensor([5.0]))
    assert module.cost_scale[0] == 4.0 and module.cost_scale[5] == 10.0
    assert module.cost_scale[1] == 0.0  # never seen


def _dummy_reference():
    from vrp.neural.train import Reference

    return Reference(["cvrp"], 8, 1, 0, "pyvrp", 0.1, {"cvrp": [1.0]})


# -- checkpoints ------------------------------------------------------------------------------


def test_a_checkpoint_round_trips_through_weights_only_loading(trained):
    raw = torch.load(trained, weights_only=True)
    loaded = load_policy(trained)
    state = loaded.policy.state_dict()
    for key, value in state.items():
        assert torch.equal(value, raw["state_dict"]["policy." + key])
    assert loaded.variants == ["vrptw", "mdovrpmb"] and loaded.num_loc == 8
    assert not loaded.policy.training


class _Payload:
    pass


@pytest.mark.parametrize(
    "content, message",
    [
        ({META: {"format": FORMAT}, "x": _Payload()}, "not a readable checkpoint"),  # a pickle
        ({"state_dict": {}}, "not a vrp-neural/1 checkpoint"),  # someone else's
        ([1, 2, 3], "not a vrp-neural/1 checkpoint"),  # not a dictionary
    ],
)
def test_foreign_or_unsafe_files_are_refused_naming_the_file(tmp_path, content, message):
    path = tmp_path / "bad.ckpt"
    torch.save(content, path)
    with pytest.raises(InputError, match=message) as err:
        read_checkpoint(path)
    assert str(path) in str(err.value)


def test_a_missing_checkpoint_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no such checkpoint"):
        load_policy(tmp_path / "none.ckpt")


def test_the_best_fitting_checkpoint_is_picked(trained, tmp_path):
    ckpt = read_checkpoint(trained)

    def variant_copy(name: str, variants: list[str], num_loc: int, gap: float = 0.1) -> None:
        meta = dict(ckpt[META])
        meta["train_config"] = {**meta["train_config"], "variants": variants, "num_loc": num_loc}
        meta["history"] = [{f"gap_{v}": gap for v in variants}]
        write_checkpoint({**ckpt, META: meta}, tmp_path / name)

    variant_copy("all-n20.ckpt", list(VARIANT_NAMES), 20)
    variant_copy("all-n50.ckpt", list(VARIANT_NAMES), 50)
    variant_copy("vrptw-n50.ckpt", ["vrptw"], 50, gap=0.05)
    variant_copy("ovrptw-n50.ckpt", ["ovrptw"], 50, gap=0.3)
    pick = lambda v, n: pick_checkpoint(generate(v, n), tmp_path).name  # noqa: E731
    assert pick("vrptw", 60) == "vrptw-n50.ckpt"  # its variant, nearest size, best gap
    assert pick("ovrptw", 60) == "all-n50.ckpt"  # the specialist validated worse
    assert pick("ovrptw", 15) == "all-n20.ckpt"  # the nearest size first
    assert pick("cvrp", 50) == "all-n50.ckpt"
    with pytest.raises(Exception, match="no neural checkpoint"):
        pick_checkpoint(generate("cvrp", 5), tmp_path / "empty")


def test_the_shipped_models_are_picked_by_size_all_n100_from_71_customers(shipped):
    # docs/neural.md, "Results": the nearest training size by ratio, 50 or 100
    sizes = (20, 70, 71, 200)
    picked = [pick_checkpoint(generate("vrptw", n), checkpoint_dir()).name for n in sizes]
    assert picked == ["all-n50.ckpt", "all-n50.ckpt", "all-n100.ckpt", "all-n100.ckpt"]


# -- solving ----------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [20, 50, 100])
def test_the_shipped_model_solves_all_48_variants_feasibly(shipped, size):
    instances = [generate(v, size, seed=11) for v in VARIANT_NAMES]
    solutions = NeuralSolver(augment=1).solve_many(instances)  # the mask, not the symmetries
    bad = [
        f"{inst.name}: {ev.violations[0]}"
        for inst, sol in zip(instances, solutions, strict=True)
        if not (ev := evaluate(inst, sol)).feasible
    ]
    assert not bad


@pytest.mark.parametrize("size", [1, 3, 7])
def test_instances_with_fewer_customers_than_the_models_neighbours_solve(shipped, size):
    # The distance features take the 8 nearest nodes; below 9 nodes they used to come out
    # narrower than the model's input and the solver crashed.
    instances = [generate(v, size, seed=3) for v in ("cvrp", "vrptw", "mdovrpmb")]
    for inst, sol in zip(instances, NeuralSolver().solve_many(instances), strict=True):
        assert evaluate(inst, sol).feasible, inst.name


@pytest.mark.parametrize("variant", ["cvrp", "vrptw", "ovrpbl", "mdvrpmbtw"])
def test_vrp_solve_with_the_neural_solver_prints_a_feasible_solution(tmp_path, variant, shipped):
    from vrp.formats.io import read_solution, write_instance

    inst = generate(variant, 15, seed=3)
    path, out = tmp_path / "inst.json", tmp_path / "sol.json"
    write_instance(inst, path)
    result = CliRunner().invoke(app, ["solve", str(path), "--solver", "neural", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "feasible  yes" in result.output
    assert evaluate(inst, read_solution(out)).feasible


def _matrix_instance(seed: int, lonlat: bool) -> Instance:
    """n = 15 on an asymmetric matrix (with lon/lat points, or no coordinates at all)."""
    pool = synthetic_pool(40, seed=seed)
    base = generate("vrptw", 15, seed=seed)
    idx = np.arange(16)
    dist = pool.distance.numpy()[np.ix_(idx, idx)] * 1000.0
    dur = pool.duration.numpy()[np.ix_(idx, idx)] * 1000.0
    lonlat_pts = 7.4 + 0.02 * pool.locs.numpy()[idx]  # near Monaco
    return Instance(
        num_depots=1,
        locations=lonlat_pts if lonlat else None,
        coordinates="lonlat" if lonlat else "euclidean",
        delivery=base.delivery,
        pickup=base.pickup,
        service_time=np.zeros(16),
        tw_early=np.full(16, -np.inf),
        tw_late=np.full(16, np.inf),
        capacity=base.capacity,
        max_distance=float(dist[0].max() + dist[:, 0].max()) * 1.5,
        distance_matrix=dist,
        duration_matrix=dur,
        name=f"matrix-{seed}",
    )


@pytest.mark.parametrize("lonlat", [True, False])
def test_real_matrix_instances_get_feasible_routes(shipped, lonlat):
    instances = [_matrix_instance(s, lonlat) for s in range(3)]
    assert not np.allclose(instances[0].distances, instances[0].distances.T)
    for inst, sol in zip(instances, shipped.solve_many(instances), strict=True):
        assert evaluate(inst, sol).feasible


def test_eight_symmetries_never_do_worse_than_the_identity_alone(trained):
    policy = load_policy(trained).policy
    instances = generate_many("vrptw", 10, 4, seed=5)
    one = solve_instances(policy, instances, augment=1)
    eight = solve_instances(policy, instances, augment=8)
    for inst, a, b in zip(instances, one, eight, strict=True):
        assert evaluate(inst, b).cost <= evaluate(inst, a).cost + 1e-9


def _counting_sampling_rounds(monkeypatch) -> list[str]:
    """Patch the solver's decoder to record each call's ``decode``; the list it fills."""
    import vrp.neural.decode as decode

    calls: list[str] = []
    real = decode.solve_instances

    def counted(*args, **kwargs):
        calls.append(kwargs.get("decode", "greedy"))
        return real(*args, **kwargs)

    monkeypatch.setattr(decode, "solve_instances", counted)
    return calls


def test_sampling_rounds_fill_the_rest_of_a_budget_and_keep_the_best_plan(shipped, monkeypatch):
    from vrp.solvers import Budget

    insts = [generate(v, 20, seed=4) for v in ("cvrp", "vrptw", "ovrpmbl")]
    calls = _counting_sampling_rounds(monkeypatch)
    for inst in insts:
        greedy = NeuralSolver(temperature=None).solve(inst, Budget(1.0))
        assert calls and "sampling" not in calls  # greedy decodes only
        calls.clear()
        budget = Budget(1.0)
        sampled = NeuralSolver().solve(inst, budget)
        assert calls.count("sampling") >= 2, calls  # n = 20 decodes in well under 0.1 s
        assert budget.cpu() <= 1.0 + 0.3  # a round more at most, and never a long one
        assert evaluate(inst, sampled).feasible
        assert evaluate(inst, sampled).cost <= evaluate(inst, greedy).cost + 1e-9
        calls.clear()


def test_a_batch_with_a_time_limit_samples_in_it_and_never_does_worse(shipped, monkeypatch):
    import time

    insts = generate_many("vrpbtw", 20, 3, seed=6)
    greedy = NeuralSolver().solve_many(insts)  # no time limit: no sampling
    calls = _counting_sampling_rounds(monkeypatch)
    c0 = time.process_time()
    sampled = NeuralSolver().solve_many(insts, time_limit=0.2, seed=1)
    assert time.process_time() - c0 <= 3 * 0.2 + 0.3
    assert calls[0] == "greedy" and calls.count("sampling") >= 1, calls
    for inst, g, s in zip(insts, greedy, sampled, strict=True):
        assert evaluate(inst, s).feasible
        assert evaluate(inst, s).cost <= evaluate(inst, g).cost + 1e-9


def test_instances_with_hundreds_of_rollouts_each_are_decoded_one_at_a_time(trained, monkeypatch):
    import vrp.neural.decode as decode

    policy = load_policy(trained).policy
    instances = generate_many("vrptw", 40, 3, seed=5)  # 8 x 40 rollouts each
    together = solve_instances(policy, instances, augment=8, num_starts=8)  # 64 each
    sizes: list[int] = []
    real = decode._solve_chunk

    def spy(policy, env, chunk, *args, **kwargs):
        sizes.append(len(chunk))
        return real(policy, env, chunk, *args, **kwargs)

    monkeypatch.setattr(decode, "_solve_chunk", spy)
    alone = solve_instances(policy, instances, augment=8)
    assert sizes == [1, 1, 1]
    solve_instances(policy, instances, augment=8, num_starts=8)
    assert sizes[3:] == [3]
    for inst, a, b in zip(instances, alone, together, strict=True):
        assert evaluate(inst, a).cost <= evaluate(inst, b).cost + 1e-9  # every start, or 8


def test_sampling_near_zero_temperature_follows_the_greedy_choice(trained):
    policy = load_policy(trained).policy
    instances = generate_many("vrptw", 10, 4, seed=5)
    greedy = solve_instances(policy, instances, augment=1, num_starts=1)
    torch.manual_seed(0)
    cold = solve_instances(
        policy, instances, augment=1, num_starts=1, decode="sampling", temperature=1e-4
    )
    assert [s.routes for s in cold] == [s.routes for s in greedy]
    torch.manual_seed(0)
    hot = [  # at temperature 1 a few draws leave the greedy route somewhere
        solve_instances(policy, instances, augment=1, num_starts=1, decode="sampling")
        for _ in range(5)
    ]
    assert any([s.routes for s in h] != [s.routes for s in greedy] for h in hot)


def test_a_sampled_step_follows_the_policy_and_never_picks_a_masked_node(monkeypatch):
    from vrp.neural.policy import sample

    probs = torch.tensor([[0.5, 0.0, 0.3, 0.2, 0.0], [0.0, 0.0, 0.0, 0.0, 1.0]])
    logp = probs.log().repeat(20_000, 1)
    torch.manual_seed(3)
    drawn = sample(logp).view(20_000, 2)
    freq = torch.stack([torch.bincount(drawn[:, r], minlength=5) / 20_000 for r in (0, 1)])
    assert torch.allclose(freq, probs, atol=0.015), freq  # 4 standard errors
    low = sample(probs.log().bfloat16().repeat(500, 1))  # as under bf16 autocast
    assert low.dtype == torch.int64 and bool(
        (probs.repeat(500, 1)[torch.arange(1000), low] > 0).all()
    )
    # A uniform draw rounded up to the row's total lands past its last allowed node.
    monkeypatch.setattr(torch, "rand_like", torch.ones_like)
    assert sample(probs.log()).tolist() == [0, 4]


def test_a_temperature_that_is_not_positive_or_an_unknown_decoding_is_refused(trained):
    with pytest.raises(InputError, match="temperature"):
        NeuralSolver(temperature=0.0)
    policy = load_policy(trained).policy
    inst = generate("cvrp", 5, seed=1)
    with pytest.raises(ValueError, match="decode"):
        solve_instances(policy, [inst], decode="beam")
    with pytest.raises(ValueError, match="temperature"):
        solve_instances(policy, [inst], decode="sampling", temperature=-1.0)


def test_vrp_train_names_the_option_at_fault():
    result = CliRunner().invoke(app, ["train", "--variant", "vrpx", "--out", "x.ckpt"])
    assert result.exit_code == 1
    assert "--variant" in result.output
    result = CliRunner().invoke(app, ["train", "--epochs", "0", "--out", "x.ckpt"])
    assert result.exit_code == 1 and "--epochs" in result.output
    args = ["train", "--snapshots", "pyproject.toml", "--out", "x.ckpt"]  # a file, not a folder
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1 and "--snapshots" in result.output


def test_vrp_solve_uses_the_checkpoint_it_is_given(tmp_path, trained):
    from vrp.formats.io import write_instance

    path = tmp_path / "inst.json"
    write_instance(generate("mdovrpmb", 8, seed=2), path)
    ok = CliRunner().invoke(app, ["solve", str(path), "-s", "neural", "--checkpoint", str(trained)])
    assert ok.exit_code == 0, ok.output
    assert "feasible  yes" in ok.output
    wrong = CliRunner().invoke(app, ["solve", str(path), "--checkpoint", str(trained)])
    assert wrong.exit_code == 1 and "--checkpoint" in wrong.output
    missing = CliRunner().invoke(app, ["solve", str(path), "-s", "neural", "--checkpoint", "no"])
    assert missing.exit_code == 1 and "no such checkpoint" in missing.output


def _benchmark(*args: str) -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    cmd = [sys.executable, str(root / "scripts" / "neural_benchmark.py"), *args]
    subprocess.run(cmd, check=True, cwd=root, capture_output=True, text=True, timeout=300)


def test_references_accumulate_in_their_store_in_shards_and_stale_or_short_ones_are_redone(
    tmp_path,
):
    store = tmp_path / "refs.jsonl"
    common = ["references", "--variants", "cvrp,vrpb", "--sizes", "8"]
    common += ["--count", "2", "--reference-time", "0.05", "--references", str(store)]
    _benchmark(*common, "--shard", "1/2")
    records = [json.loads(line) for line in store.read_text().splitlines()]
    # Index order over variants: cvrp-0, vrpb-0, cvrp-1, vrpb-1; shard 1/2 takes index 1.
    assert [r["instance"] for r in records] == ["cvrp-n8-s1-001", "vrpb-n8-s1-001"]
    for r in records:
        inst = generate_many(r["variant"], 8, 2, seed=1)[int(r["instance"][-3:])]
        assert r["cost"] == pytest.approx(evaluate(inst, _pyvrp(inst)).cost, rel=0.05)
        assert r["time_limit"] == 0.05 and r["digest"] and r["engine"].startswith("pyvrp")

    _benchmark(*common)  # the other shard's two are added, the stored two kept
    names = [json.loads(line)["instance"] for line in store.read_text().splitlines()]
    assert sorted(names) == sorted(f"{v}-n8-s1-00{i}" for v in ("cvrp", "vrpb") for i in (0, 1))

    lines = store.read_text().splitlines()
    stale = json.loads(lines[0])
    stale["digest"] = "0" * 16  # as if the generator had drawn other data
    store.write_text("\n".join([json.dumps(stale), *lines[1:]]) + "\n")
    _benchmark(*common)
    again = [json.loads(line) for line in store.read_text().splitlines()]
    assert len(again) == 5 and again[-1]["instance"] == stale["instance"]
    assert again[-1]["digest"] != stale["digest"]

    cut = dict(again[-1], cpu_s=0.001)  # as if the wall cap had stopped it at once
    store.write_text(store.read_text() + json.dumps(cut) + "\n")
    _benchmark(*common)
    assert len(store.read_text().splitlines()) == 6  # kept without --redo-short
    store.write_text(store.read_text() + '{"instance": "cut by a kill')  # no newline
    _benchmark(*common, "--redo-short")
    lines = store.read_text().splitlines()
    assert lines[6] == '{"instance": "cut by a kill'  # left alone, not joined to the next
    redone = [json.loads(line) for line in lines[7:]]
    latest = [r for r in redone if r["instance"] == cut["instance"]]
    assert latest and latest[-1]["cpu_s"] > 0.01  # solved again, with its budget


def test_the_benchmark_script_refuses_bad_options_and_a_missing_checkpoint_in_one_line(tmp_path):
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    script = [sys.executable, str(root / "scripts" / "neural_benchmark.py")]
    tiny = ["--variants", "cvrp", "--sizes", "8", "--count", "1"]
    for extra, says in (
        (["references", "--references", str(tmp_path / "r.jsonl"), "--shard", "2/2"],
         "expected 0 <= K < M"),
        (["timing", "--checkpoint", str(tmp_path / "no.ckpt"), "--out", str(tmp_path)],
         "no such checkpoint"),
        (["references", "--variants", "vrpx"], "unknown variant"),
        (["gaps"], "no such checkpoint"),
        (["gaps", "--checkpoint", "README.md"], "no reference for cvrp-n8-s1-000"),
        (["gaps", "--time-limit", "0"], "--time-limit: must be a positive number"),
    ):  # fmt: skip
        done = subprocess.run(script + tiny + extra, cwd=root, capture_output=True, text=True)
        assert done.returncode == 2 and says in done.stderr.splitlines()[-1]
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "r.jsonl").exists() and not (tmp_path / "timing.md").exists()


def test_the_gap_table_of_a_checkpoint_is_measured_against_the_committed_references(trained):
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    cmd = [sys.executable, str(root / "scripts" / "neural_benchmark.py"), "gaps"]
    cmd += ["--checkpoint", str(trained), "--variants", "cvrp,vrptw", "--sizes", "50"]
    done = subprocess.run(cmd + ["--count", "1"], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    rows = {r.split("|")[1].strip(): r.split("|")[2].strip() for r in done.stdout.splitlines()
            if r.startswith("| ") and "%" in r}  # fmt: skip
    assert set(rows) == {"cvrp", "vrptw", "**mean**"}
    gaps = [float(rows[v].rstrip("%")) for v in ("cvrp", "vrptw")]
    assert all(g > -1 for g in gaps)  # PyVRP at 10 s is near-optimal; an untrained model is not
    assert float(rows["**mean**"].strip("*%")) == pytest.approx(sum(gaps) / 2, abs=0.011)
    assert "1 instances per variant" in done.stdout and "1 epochs" in done.stdout


def test_neural_greedy_is_the_neural_solver_without_sampling_in_solve_and_benchmark(tmp_path):
    import subprocess
    import sys

    from vrp.benchmark import runner as bm
    from vrp.solvers import get_solver, solver_names

    engine = get_solver("neural-greedy", threads=1)
    assert isinstance(engine, NeuralSolver) and engine.temperature is None
    assert "neural-greedy" not in solver_names()  # not a column of `vrp variants`
    with pytest.raises(InputError, match="neural-greedy"):
        get_solver("neural-greed")

    root, out = Path(__file__).resolve().parents[1], tmp_path / "greedy"
    cmd = [sys.executable, "-m", "cli.main", "benchmark", "--generate", "cvrp:8:2"]
    cmd += ["--generate-seed", "1", "--solvers", "neural-greedy", "--time-limit", "0.5"]
    done = subprocess.run([*cmd, "--no-plot", "--out", str(out)], cwd=root, text=True,
                          capture_output=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    runs = bm.read_records(out)
    insts = generate_many("cvrp", 8, 2, seed=1)
    greedy = NeuralSolver(temperature=None, threads=1).solve_many(insts)
    for r, inst, sol in zip(runs, insts, greedy, strict=True):
        assert r["solver"] == "neural-greedy" and r["decoding"] == "8 symmetries x every start"
        assert r["cost"] == pytest.approx(evaluate(inst, sol).cost)
        assert r["versions"]["torch"] == torch.__version__

    ckpt = checkpoint_dir() / "campaign" / "all-n20.ckpt"  # one that is never picked
    args = ["solve", str(out / "instances" / f"{runs[0]['instance']}.json"), "--solver"]
    args += ["neural-greedy", "--checkpoint", str(ckpt), "--time-limit", "1"]
    result = CliRunner().invoke(app, [*args, "-o", str(tmp_path / "sol.json")])
    assert result.exit_code == 0, result.output
    sol = json.loads((tmp_path / "sol.json").read_text())
    assert sol["checkpoint"]["name"] == "all-n20.ckpt" and sol["solver"] == "neural"


def test_a_missing_neural_run_is_decoded_by_vrp_benchmark_in_a_batch_and_the_table_reads_it(
    tmp_path, monkeypatch
):
    import subprocess
    import sys

    from vrp.benchmark import gap_table
    from vrp.benchmark import runner as bm
    from vrp.benchmark.references import ReferenceStore, instance_digest

    def vrp_benchmark(spec: str) -> None:  # a process of its own: workers fork without torch
        cmd = [sys.executable, "-m", "cli.main", "benchmark", "--generate", spec]
        cmd += ["--generate-seed", "1", "--solvers", "neural", "--time-limit", "0.5"]
        done = subprocess.run([*cmd, "--no-plot", "--out", str(out)], cwd=root, text=True,
                              capture_output=True, timeout=300)  # fmt: skip
        assert done.returncode == 0, done.stderr[-2000:]

    root, out = Path(__file__).resolve().parents[1], tmp_path / "neural"
    vrp_benchmark("cvrp:8:2")
    first = (out / "runs.jsonl").read_text()
    vrp_benchmark("cvrp:8:3")  # one run more
    assert (out / "runs.jsonl").read_text().startswith(first)  # the stored two kept as they are
    runs = bm.read_records(out)
    assert [r["batch"] for r in runs] == [2, 2, 1]  # the missing one alone, in its own batch

    insts = generate_many("cvrp", 8, 3, seed=1)
    solved = NeuralSolver(threads=1).solve_many(insts)  # greedy only: sampling can but improve
    costs = [evaluate(i, s).cost for i, s in zip(insts, solved, strict=True)]
    assert all(r["cost"] <= c + 1e-9 for r, c in zip(runs, costs, strict=True))
    ckpt = pick_checkpoint(insts[0])
    for r, inst in zip(runs, insts, strict=True):
        assert r["instance_digest"] == instance_digest(inst)
        assert r["checkpoint"] == ckpt.name
        assert r["checkpoint_digest"] == bm.short_hash(ckpt.read_bytes())
        assert r["decoding"] == "8 symmetries x every start, then sampled at temperature 0.5"
        assert r["threads"] == 1 and r["time_limit"] == 0.5
        assert r["versions"]["torch"] == torch.__version__ and r["machine"]

    refs = tmp_path / "refs.jsonl"  # references at twice the neural cost: a gap of -50%
    lines = [
        {"instance": i.name, "digest": instance_digest(i), "solver": "pyvrp", "time_limit": 10.0,
         "cost": 2 * r["cost"], "cpu_s": 10.0, "wall_s": 10.0, "engine": "pyvrp 0",
         "code": "c", "date": "2026-01-01 00:00"}
        for i, r in zip(insts, runs, strict=True)
    ]  # fmt: skip
    refs.write_text("".join(json.dumps(line) + "\n" for line in lines))

    def refuse(*args, **kwargs):
        raise AssertionError("solved or decoded")

    monkeypatch.setattr(NeuralSolver, "solve_many", refuse)
    monkeypatch.setattr(ReferenceStore, "add", refuse)
    table = gap_table.gap_table(
        gap_table.read_runs(out, "neural"), ReferenceStore(refs), "pyvrp", 10
    )
    text = gap_table.markdown(table, "runs.jsonl", ["refs.jsonl"])
    assert "| cvrp | 8 | 3 | -50.00% | 0 |" in text
    assert "and 2 neural batches (torch " in text and f"checkpoint {ckpt.name} (" in text


def _pyvrp(inst: Instance):
    from vrp.solvers import Budget, get_solver, run_solver

    return run_solver(inst, get_solver("pyvrp"), Budget(0.05)).solution


def test_device_train_stops_at_its_limit_and_hands_back_a_loadable_checkpoint(tmp_path):
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHON": sys.executable, "NO_WHEELS": "1"}
    env["VRP_CACHE_DIR"] = str(tmp_path / "cache")
    ckpt, out = tmp_path / "run" / "tiny.ckpt", tmp_path / "out"
    tiny = ["--variant", "cvrp", "--num-loc", "8", "--instances-per-epoch", "32"]
    tiny += ["--batch-size", "16", "--val-per-variant", "1", "--val-time", "0.05"]
    tiny += ["--embed-dim", "32", "--layers", "1", "--no-progress", "--out", str(ckpt)]
    cmd = [str(root / "scripts" / "device-train"), "run", "40", str(out), "--epochs", "100000"]
    done = subprocess.run(cmd + tiny, env=env, capture_output=True, text=True, timeout=200)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "exited with 124" in done.stderr  # stopped by the limit, not by the epochs
    assert sorted(p.name for p in out.iterdir()) == ["tiny.ckpt", "tiny.csv", "tiny.md"]
    epochs = read_checkpoint(out / "tiny.ckpt")["epoch"]
    assert epochs >= 1
    loaded = load_policy(out / "tiny.ckpt")
    assert loaded.meta["model_args"]["embed_dim"] == 32 and loaded.policy.training is False


def test_a_model_card_ends_its_curve_at_the_last_epoch_and_states_short_runs_in_seconds():
    from vrp.neural.checkpoint import model_card

    meta = read_checkpoint(checkpoint_dir() / "all-n50.ckpt")[META]
    history = meta["history"]
    assert len(history) % 10 != 0  # so the every-k-th rows alone would miss the last
    card = model_card(meta, "all-n50")
    curve = [r for r in card.splitlines() if r.startswith("| ") and r[2].isdigit()]
    assert curve[-1].startswith(f"| {history[-1]['epoch']} |")
    assert " h of training" in card

    short = dict(meta, history=[dict(history[0], epoch=1, train_s=19.2)])
    card = model_card(short, "tiny")
    assert "1 epoch, " in card and "19 s of training" in card
    assert card.rstrip().splitlines()[-1].startswith("| 1 |")


def test_a_model_card_names_no_folder_of_the_machine_that_trained_it():
    from vrp.neural.checkpoint import model_card

    meta = read_checkpoint(checkpoint_dir() / "all-n50.ckpt")[META]
    assert any("/work/" in r["command"] for r in meta["runs"])  # as it ran, kept in the file
    card = model_card(meta, "all-n50")
    assert "/work/" not in card
    assert "--resume all-n20.ckpt --out all-n50.ckpt" in card
    run = {**meta["runs"][-1], "command": "vrp train --pool /a/monaco.npz,/b/streets-0.npz"}
    card = model_card({**meta, "runs": [*meta["runs"], run]}, "all-n50")
    assert "--pool monaco.npz,streets-0.npz" in card


def test_a_training_batch_draws_its_matrix_share_from_every_pool_it_is_given(tmp_path):
    from envs.streets import street_pool
    from vrp.neural.train import PolicyTraining

    symmetric, one_way = tmp_path / "sym.npz", tmp_path / "one-way.npz"
    pts = np.random.default_rng(0).uniform(size=(60, 2))
    line = np.linalg.norm(pts[:, None] - pts[None], axis=-1)
    MatrixPool.from_arrays(pts, 1.3 * line).save(symmetric)  # symmetric, not the straight line
    street_pool(60, seed=2).save(one_way)  # a grid with one-way streets
    config = tiny_config(batch_size=64, pool=f"{symmetric},{one_way}", matrix_share=0.5)
    module = PolicyTraining(TINY_MODEL, config, _dummy_reference(), tmp_path / "x.ckpt")
    td = module._batch(0)
    assert td.batch_size == torch.Size([64])
    d = td["distance_matrix"].double()
    asym = (d - d.transpose(1, 2)).abs().amax((1, 2))
    square = (td["locs"][:, :, None] - td["locs"][:, None]).norm(dim=-1)
    euclidean = (d - square).abs().amax((1, 2)) < 1e-5
    # 32 on the unit square, and the other 32 split between the two pools
    assert euclidean[:32].all() and not euclidean[32:].any()
    assert (asym[32:] < 1e-5).sum() > 0 and (asym[32:] > 1e-3).sum() > 0


def test_vrp_train_names_a_missing_pool_among_several(tmp_path):
    pool = tmp_path / "a.npz"
    synthetic_pool(30).save(pool)
    missing = tmp_path / "b.npz"
    args = ["train", "--pool", f"{pool}, {missing}", "--out", str(tmp_path / "x.ckpt")]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert "--pool" in result.output and str(missing) in result.output


def test_snapshots_keep_every_epochs_weights_and_their_average_ships_with_its_epochs(
    trained, tmp_path
):
    from vrp.neural.checkpoint import average_weights, model_card, write_checkpoint

    snaps = tmp_path / "snaps"
    train(tiny_config(epochs=3), tmp_path / "run.ckpt", resume=trained, snapshots=snaps,
          progress=False)  # fmt: skip
    assert sorted(p.name for p in snaps.iterdir()) == ["epoch2.ckpt", "epoch3.ckpt"]
    two, three = (read_checkpoint(snaps / f"epoch{e}.ckpt") for e in (2, 3))
    assert not two.get("optimizer_states")  # weights only
    mean = average_weights([two, three])
    key = next(k for k, v in three["state_dict"].items() if v.is_floating_point())
    expected = (two["state_dict"][key] + three["state_dict"][key]) / 2
    assert torch.allclose(mean["state_dict"][key], expected)
    assert not torch.equal(two["state_dict"][key], three["state_dict"][key])
    assert mean[META]["averaged"] == [2, 3] and mean[META]["history"] == three[META]["history"]
    write_checkpoint(mean, tmp_path / "mean.ckpt")
    assert load_policy(tmp_path / "mean.ckpt").policy is not None
    assert "the mean of 2 epochs' weights (epochs 2-3" in model_card(mean[META], "mean")


def test_checkpoints_of_different_models_or_runs_are_not_averaged(trained):
    from vrp.neural.checkpoint import average_weights

    one = read_checkpoint(trained)
    other = {**one, META: {**one[META], "model_args": {**one[META]["model_args"], "ffn_dim": 8}}}
    with pytest.raises(InputError, match="different models"):
        average_weights([one, other])
    history = [{**one[META]["history"][-1], "val_gap": 0.5}]  # another run's epoch 1
    fork = {**one, META: {**one[META], "history": history}}
    with pytest.raises(InputError, match="not epochs of one run"):
        average_weights([fork, one])
    with pytest.raises(InputError, match="no checkpoint"):
        average_weights([])


def _curve(tmp_path, *args):
    import subprocess

    rows = ["epoch,train_s,val_gap"]
    for e in range(1, 41):  # gap = 0.2 * hours ** -0.2, an hour an epoch
        rows.append(f"{e},{3600 * e},{0.2 * e**-0.2}")
    path = tmp_path / "run.csv"
    path.write_text("\n".join(rows) + "\n")
    script = Path(__file__).resolve().parents[1] / "scripts" / "campaign_curve.py"
    return subprocess.run(
        [sys.executable, str(script), str(path), "--block", "1", *args],
        capture_output=True,
        text=True,
    )


def test_the_campaign_curve_carries_a_test_target_over_by_the_shipped_ratios(tmp_path):
    # shipped means of 1 epoch at epochs 10 and 20, testing at half their validation gap
    half = [f"{e}:{0.1 * e**-0.2}" for e in (10, 20)]
    done = _curve(tmp_path, "--shipped", half[0], "--shipped", half[1], "--target", "0.05")
    assert done.returncode == 0, done.stderr
    assert "fit: gap = 0.2000 * hours ^ -0.200" in done.stdout
    assert "| 10 | " in done.stdout and "| 0.500 |" in done.stdout
    # 5 % on the test table is 10 % on the validation curve: 0.2 * h ** -0.2 = 0.1 at h = 32
    assert "test gap 5.00% is validation gap 10.00% (the mean ratio, 0.500)" in done.stdout
    assert "validation gap 10.00% at 32 training hours" in done.stdout
    # the two shipped test gaps alone lie on 0.1 * h ** -0.2: 5 % at h = 32
    assert "gap = 0.1000 * hours ^ -0.200, test gap 5.00% at 32 training hours" in done.stdout


@pytest.mark.parametrize(
    "args, said",
    [
        (["--target", "0.05"], "--target needs --shipped"),
        (["--shipped", "10"], "expected EPOCH:GAP"),
        (["--shipped", "10:5.5"], "expected EPOCH:GAP"),  # a percentage, not a fraction
        (["--shipped", "99:0.05"], "--shipped 99: no row for epoch 99"),
        (["--shipped", "10:0.05", "--target", "0"], "expected a gap between 0 and 1"),
        (["--at", "6.6"], "expected a gap between 0 and 1"),  # a percentage
    ],
)
def test_the_campaign_curve_refuses_a_shipped_checkpoint_it_cannot_read(tmp_path, args, said):
    done = _curve(tmp_path, *args)
    assert done.returncode == 2 and said in done.stderr
