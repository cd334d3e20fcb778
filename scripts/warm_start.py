"""Supervised warm start: imitate PyVRP's routes, then hand the policy to ``vrp train --resume``.

One arm of the learning-per-CPU-minute study (scripts/train_study.py): instead of starting
reinforcement learning from random weights, a fresh policy (`ModelArgs` defaults, as ``vrp
train`` builds it) first learns to reproduce the routes PyVRP finds::

    nice .venv/bin/python scripts/warm_start.py --variant all --num-loc 20 \\
        --teacher-instances 2000 --teacher-time 0.05 --epochs 3 --out results/warm/w.ckpt
    nice .venv/bin/python -m cli.main train --variant all --num-loc 20 --epochs 100 \\
        --instances-per-epoch 1280 --val-per-variant 8 --val-time 0.5 --threads 1 \\
        --resume results/warm/w.ckpt --out results/warm/w.ckpt --no-progress

1. **Teacher**: ``--teacher-instances`` instances of ``vrp generate`` (an equal share per
   variant, seeded by `TEACHER_SEED` + ``--seed``, instance numbers running on across
   variants, so none repeats the validation seed 987654 or the test seed 1), each solved in
   this process by PyVRP with ``--teacher-time`` CPU s and checked by `evaluate()`. Routes
   become environment actions through `vrp.neural.bridge.to_action_tensor`; those the
   float32 environment would refuse (none seen so far) are dropped and counted.
2. **Imitation**: ``--epochs`` shuffled passes over them, minimizing the mean per-step negative
   log-likelihood of the teacher's actions (`Policy.teacher_log_likelihood`, one start),
   AdamW (``--lr``, `TrainConfig`'s weight decay) with the gradient norm clipped at 1.
3. **Checkpoint**: the format ``vrp train`` writes (`PolicyTraining._meta`), its history one
   row for epoch 1 (``instances`` = teacher instances drawn, ``train_loss`` = the last pass's
   imitation loss, ``train_cost`` = the teacher's mean cost, ``train_cpu_s`` = ALL the CPU of
   steps 1 and 2, PyVRP included) and one ``runs`` entry naming this command; no optimizer
   state, so ``--resume`` starts a fresh AdamW (a choice, not measured: the imitation's
   moment estimates are those of another loss). ``<out>.csv`` and ``<out>.md`` as ``vrp
   train`` writes them.

As in ``vrp train``, validation (once, at the end, on the validation set of the matching
`TrainConfig`) and its PyVRP references (from the reference store, solved when missing) are
not counted as training CPU. A one-line summary goes to stderr.

CPU cost (one thread, n = 20, counted as ``train_cpu_s``): the teacher takes
``--teacher-time`` per instance (PyVRP's budget, plus about 1 ms), an imitation pass about
5 ms per instance. ``--teacher-instances 200 --teacher-time 0.05 --epochs 2`` counted 12 CPU s
(10 of them PyVRP's), so the first command above should count about 2.2 CPU minutes; loading,
validation and the report add about 8 CPU s that are not counted.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from cli.train import _variants  # the rule of `vrp train --variant` (no fleets)
from envs.mtvrp import VRPRules
from vrp.benchmark.references import reference_costs
from vrp.errors import InputError
from vrp.model.evaluate import evaluate
from vrp.model.generate import generate_many
from vrp.model.instance import Instance
from vrp.neural.bridge import EnvBatch, to_action_tensor, to_batch
from vrp.neural.checkpoint import META, read_checkpoint, write_checkpoint
from vrp.neural.policy import ModelArgs, Policy
from vrp.neural.train import (
    PolicyTraining,
    TrainConfig,
    hardware,
    validation_gaps,
    validation_set,
)
from vrp.solvers import Budget
from vrp.solvers.pyvrp import PyVRPSolver

TEACHER_SEED = 2_718_281
"""Teacher instances are ``vrp generate --seed TEACHER_SEED + --seed``: above the validation
seed (987654) and the test seed (1) for every ``--seed`` >= 0."""

Log = Callable[[str], None]


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Teacher:
    """PyVRP's routes on the teacher instances, as environment actions."""

    batch: EnvBatch  # every kept instance, in one batch (not reset)
    actions: torch.Tensor  # [M, T] long, padded with each sequence's last depot
    costs: list[float]  # evaluate() cost of each kept solution
    drawn: int
    unsolved: int  # PyVRP found no feasible routes
    blocked: int  # routes the environment's mask refuses

    def __len__(self) -> int:
        return len(self.costs)


def draw_instances(variants: Sequence[str], num_loc: int, count: int, seed: int) -> list[Instance]:
    """``count`` instances, an equal share per variant; instance numbers run on across
    variants, so no two share their random draws."""
    out: list[Instance] = []
    for k, v in enumerate(variants):
        m = count // len(variants) + (k < count % len(variants))
        out += generate_many(v, num_loc, m, TEACHER_SEED + seed, first=len(out)) if m else []
    return out


def teacher_data(
    variants: Sequence[str],
    num_loc: int,
    count: int,
    time_limit: float,
    seed: int = 0,
    log: Log | None = _stderr,
) -> Teacher:
    """Solve ``count`` generated instances with PyVRP (``time_limit`` CPU s each, in this
    process) and turn the feasible routes into action sequences.

    Raises:
        RuntimeError: no instance gave a usable teacher solution.
    """
    solver = PyVRPSolver()
    instances = draw_instances(variants, num_loc, count, seed)
    kept, sols, costs = [], [], []
    for i, inst in enumerate(instances):
        sol = solver.solve(inst, Budget(time_limit), seed=0)
        ev = evaluate(inst, sol) if sol is not None else None
        if ev is not None and ev.feasible:
            kept.append(inst)
            sols.append(sol)
            costs.append(ev.cost)
        if log is not None and (i + 1) % max(1, count // 10) == 0:
            log(f"teacher: {i + 1}/{count} solved")
    if not kept:
        raise RuntimeError("PyVRP found no feasible routes for any teacher instance")
    K = max(inst.num_depots for inst in kept)
    batch = to_batch(kept, num_depot_slots=K)
    actions = to_action_tensor(batch, sols)
    ok = ~blocked(VRPRules(), batch.td, actions)
    if not ok.all():
        keep = ok.nonzero()[:, 0].tolist()
        batch = to_batch([kept[i] for i in keep], num_depot_slots=K)
        actions, costs = actions[ok], [costs[i] for i in keep]
    if not costs:
        raise RuntimeError("the environment refuses every teacher solution")
    return Teacher(batch, actions, costs, count, count - len(kept), len(kept) - len(costs))


def blocked(env: VRPRules, td, actions: torch.Tensor) -> torch.Tensor:
    """``[B]`` bool: the action sequence takes a masked action or does not finish
    (`VRPRules.replay`, the check of ``check_solution``)."""
    first, done = env.replay(td, actions)
    return (first < actions.shape[1]) | ~done


def _nll(policy: Policy, env: VRPRules, data: Teacher, idx: torch.Tensor) -> torch.Tensor:
    """``[len(idx)]``: minus the teacher's log-likelihood per step on instances ``idx``."""
    ll, steps = policy.teacher_log_likelihood(env.reset(data.batch.td[idx]), env, data.actions[idx])
    return -ll / steps.clamp_min(1)


@torch.no_grad()
def teacher_loss(policy: Policy, env: VRPRules, data: Teacher, batch_size: int = 256) -> float:
    """The mean per-step negative log-likelihood of the teacher's actions under ``policy``."""
    idx = torch.arange(len(data))
    return float(torch.cat([_nll(policy, env, data, i) for i in idx.split(batch_size)]).mean())


def imitate(
    policy: Policy,
    env: VRPRules,
    data: Teacher,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    weight_decay: float = 1e-6,
    grad_clip: float = 1.0,
    seed: int = 0,
    log: Log | None = _stderr,
) -> list[float]:
    """Train ``policy`` on the teacher's actions; the mean loss of each epoch."""
    opt = torch.optim.AdamW(policy.parameters(), lr=lr, weight_decay=weight_decay)
    order = torch.Generator().manual_seed(seed)
    policy.train()
    losses = []
    for epoch in range(epochs):
        t0, total = time.perf_counter(), 0.0
        for idx in torch.randperm(len(data), generator=order).split(batch_size):
            loss = _nll(policy, env, data, idx).mean()
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(policy.parameters(), grad_clip)
            opt.step()
            total += float(loss.detach()) * len(idx)
        losses.append(total / len(data))
        if log is not None:
            log(
                f"imitation epoch {epoch + 1}: loss {losses[-1]:.4f} per step, "
                f"{time.perf_counter() - t0:.0f} s"
            )
    return losses


def _positive(kind: type) -> Callable[[str], float]:
    def parse(text: str):
        value = kind(text)
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value

    return parse


def main(argv: Sequence[str] | None = None) -> Path:
    """Run the warm start; the checkpoint's path."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--variant", default="all", help="a name, a comma-separated list, or all")
    ap.add_argument("--num-loc", type=_positive(int), default=20)
    ap.add_argument("--teacher-instances", type=_positive(int), default=2000)
    ap.add_argument(
        "--teacher-time", type=_positive(float), default=0.05, help="PyVRP CPU s per instance"
    )
    ap.add_argument("--epochs", type=_positive(int), default=3, help="imitation passes")
    ap.add_argument("--batch-size", type=_positive(int), default=64)
    ap.add_argument("--lr", type=_positive(float), default=3e-4)
    ap.add_argument("--val-per-variant", type=_positive(int), default=8)
    ap.add_argument(
        "--val-time", type=_positive(float), default=0.5, help="PyVRP s per validation ref."
    )
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=_positive(int), default=1)
    ap.add_argument("--embed-dim", type=int, default=ModelArgs.embed_dim)
    ap.add_argument("--layers", type=_positive(int), default=ModelArgs.num_layers)
    ap.add_argument("--out", type=Path, required=True)
    words = list(sys.argv[1:] if argv is None else argv)
    args = ap.parse_args(words)
    if args.seed < 0:
        ap.error("--seed must be >= 0")
    if args.embed_dim % 8 or args.embed_dim < 16:
        ap.error("--embed-dim must be a multiple of 8, at least 16")
    try:
        variants = _variants(args.variant)
    except InputError as e:
        ap.error(str(e))

    torch.set_num_threads(args.threads)
    out: Path = args.out
    config = TrainConfig(
        variants=variants,
        num_loc=args.num_loc,
        epochs=1,
        instances_per_epoch=args.teacher_instances,
        batch_size=args.batch_size,
        lr=args.lr,
        val_per_variant=args.val_per_variant,
        val_reference_s=args.val_time,
        seed=args.seed,
        threads=args.threads,
    )
    torch.manual_seed(args.seed)
    model_args = ModelArgs(embed_dim=args.embed_dim, num_layers=args.layers)
    module = PolicyTraining(model_args, config, validation_set(config), out, weights_only=True)
    started = time.strftime("%Y-%m-%d %H:%M:%S")

    # -- counted: the teacher and the imitation ---------------------------------------------
    wall0, cpu0 = time.perf_counter(), time.process_time()
    data = teacher_data(
        variants, args.num_loc, args.teacher_instances, args.teacher_time, args.seed
    )
    teacher_cpu = time.process_time() - cpu0
    _stderr(
        f"teacher: {len(data)} of {data.drawn} instances kept ({data.unsolved} unsolved, "
        f"{data.blocked} refused by the environment), {teacher_cpu:.0f} CPU s"
    )
    losses = imitate(
        module.policy,
        module.env,
        data,
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        weight_decay=config.weight_decay,
        grad_clip=config.grad_clip,
        seed=args.seed,
    )
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0

    # -- not counted (as in `vrp train`): validation and its references ---------------------
    ref = module.reference
    ref.costs = reference_costs(ref.instances(), ref.solver, ref.time_limit_s)
    module.policy.eval()
    gap, by_variant, infeasible = validation_gaps(module.policy, ref, torch.device("cpu"))
    teacher_cost = sum(data.costs) / len(data.costs)
    module.history.append(
        {
            "epoch": 1,
            "num_loc": args.num_loc,
            "instances": data.drawn,
            "train_loss": losses[-1],
            "train_cost": teacher_cost,
            "val_gap": gap,
            "val_infeasible": infeasible,
            "epoch_s": wall,
            "train_s": wall,
            "train_cpu_s": cpu,
            **{f"gap_{v}": g for v, g in by_variant.items()},
        }
    )
    module.runs.append(
        {
            "command": " ".join(["scripts/warm_start.py", *words]),
            "started": started,
            "from_epoch": 0,
            "to_epoch": 1,
            "hardware": hardware("cpu", 1, 1, args.threads),
            "strategy": "imitation of pyvrp",
            "teacher": {
                "solver": "pyvrp",
                "time_limit_s": args.teacher_time,
                "seed": TEACHER_SEED + args.seed,
                "drawn": data.drawn,
                "kept": len(data),
                "unsolved": data.unsolved,
                "blocked": data.blocked,
                "mean_cost": teacher_cost,
                "cpu_s": teacher_cpu,
            },
            "imitation_losses": losses,
        }
    )
    meta = module._meta()
    write_checkpoint({"state_dict": module.state_dict(), "optimizer_states": [], META: meta}, out)
    read_checkpoint(out)  # the file `vrp train --resume` will read
    module.write_curve_and_card()
    gap_text = f"{100 * gap:.2f}%" if math.isfinite(gap) else "nan"
    _stderr(
        f"{out}: teacher mean cost {teacher_cost:.4f} ({len(data)} instances, "
        f"{args.teacher_time:g} s each); imitation loss {losses[-1]:.4f} per step; validation "
        f"gap {gap_text} ({infeasible} infeasible); {cpu:.0f} CPU s ({teacher_cpu:.0f} teacher)"
    )
    return out


if __name__ == "__main__":
    main()
