"""Training: REINFORCE with the POMO shared baseline, mixed-variant batches, one LightningModule.

Each training step draws a fresh batch from `envs.generator.VRPGenerator` (seeded by run seed,
epoch and batch index, so a resumed run draws what the uninterrupted one would have drawn),
rolls out ``num_starts`` sampled solutions per instance, each beginning at a different
customer (POMO, Kwon et al. 2020), and uses the mean reward over an instance's starts as the
baseline. Variants differ in cost scale (an open route costs less than a closed one with time
windows), so the advantage of an instance is divided by a running mean cost of its variant:
every variant pulls on the gradient with a similar strength.

After every epoch the policy decodes a fixed validation set (instances of `vrp.model.generate`
per variant, seeded apart from training) greedily from every start; `evaluate()` scores the
routes and the gap to reference costs is logged, written to ``<out>.csv`` and stored in the
checkpoint. The reference costs (PyVRP's) reach `train` as data: its caller takes them from
`vrp.benchmark.references`, and a resumed run from its checkpoint; training never solves.
The checkpoint is saved atomically after every epoch and on Ctrl-C or SIGTERM; ``<out>.md`` is
its model card. With a road-matrix pool, a share of every batch is drawn on real asymmetric
matrices instead of the unit square.
"""

from __future__ import annotations

import csv
import io
import math
import os
import platform
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from lightning.fabric.plugins import CheckpointIO
from lightning.pytorch.callbacks import Callback, TQDMProgressBar
from lightning.pytorch.callbacks.progress.tqdm_progress import Tqdm
from torch.utils.data import DataLoader

from envs.env import VRPEnv
from envs.flags import VARIANT_NAMES, variant_index
from envs.generator import VRPGenerator
from envs.mtvrp import euclidean_matrix
from envs.ops import split_batch
from envs.pool import MatrixPool, synthetic_pool
from vrp.errors import InputError
from vrp.formats.io import atomic_write
from vrp.model.generate import generate_many
from vrp.model.instance import Instance
from vrp.neural.checkpoint import FORMAT, META, model_card, read_checkpoint, write_checkpoint
from vrp.neural.decode import solve_instances
from vrp.neural.policy import ModelArgs, Policy, upgrade_state

VAL_SEED = 987_654  # validation instances: `vrp generate --seed 987654`, apart from test sets


class AtomicCheckpointIO(CheckpointIO):
    """Lightning's checkpoint I/O through `write_checkpoint` and `read_checkpoint`."""

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: Any, storage_options: Any = None
    ) -> None:
        write_checkpoint(checkpoint, path)

    def load_checkpoint(
        self, path: Any, map_location: Any = None, weights_only: bool | None = None
    ) -> dict[str, Any]:
        return read_checkpoint(path, map_location=map_location or "cpu")

    def remove_checkpoint(self, path: Any) -> None:
        Path(path).unlink(missing_ok=True)


@dataclass(frozen=True)
class TrainConfig:
    """The settings of a training run (stored in the checkpoint)."""

    variants: tuple[str, ...]
    num_loc: int = 50
    epochs: int = 10
    instances_per_epoch: int = 10_000
    batch_size: int = 64
    num_starts: int | None = None  # POMO starts per instance; None: one per customer
    lr: float = 3e-4
    weight_decay: float = 1e-6
    grad_clip: float = 1.0
    cost_ema: float = 0.99  # running mean cost per variant, for the advantage scale
    # road-matrix pools, separated by ",": .npz files of `envs.pool.MatrixPool` or "synthetic"
    pool: str | None = None
    matrix_share: float = 0.0  # share of each batch drawn from the pools
    val_per_variant: int = 8
    val_reference_s: float = 1.0  # PyVRP time per validation instance
    seed: int = 0
    threads: int = 1
    max_cpu_minutes: float | None = None  # stop after the epoch that reaches this training CPU

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["variants"] = list(self.variants)
        return d


@dataclass
class Reference:
    """The fixed validation set: which instances, and the reference cost of each."""

    variants: list[str]
    num_loc: int
    per_variant: int
    seed: int
    solver: str
    time_limit_s: float
    costs: dict[str, list[float]] = field(default_factory=dict)

    def instances(self) -> dict[str, list[Instance]]:
        return {
            v: generate_many(v, self.num_loc, self.per_variant, self.seed) for v in self.variants
        }

    def matches(self, config: TrainConfig) -> bool:
        return (
            self.variants == list(config.variants)
            and self.num_loc == config.num_loc
            and self.per_variant == config.val_per_variant
            and self.time_limit_s == config.val_reference_s
        )


def validation_set(config: TrainConfig) -> Reference:
    """The validation set of ``config``, its costs still to fill: PyVRP with
    ``val_reference_s`` CPU s per instance. Training does not solve: the caller (``vrp
    train``) fills ``costs`` from `vrp.benchmark.references.reference_costs`."""
    return Reference(
        list(config.variants),
        config.num_loc,
        config.val_per_variant,
        VAL_SEED,
        "pyvrp",
        config.val_reference_s,
    )


def resumed_reference(checkpoint: Path, config: TrainConfig) -> Reference | None:
    """The validation references stored in ``checkpoint``, if they are for the validation
    set of ``config`` (the same variants, size, count and time limit), else None."""
    return _stored_reference(read_checkpoint(checkpoint)[META], config)


def _stored_reference(meta: dict[str, Any], config: TrainConfig) -> Reference | None:
    stored = meta.get("reference")
    if not stored:
        return None
    ref = Reference(**stored)
    return ref if ref.matches(config) and ref.costs else None


def validation_gaps(
    policy: Policy, ref: Reference, device: torch.device
) -> tuple[float, dict[str, float], int]:
    """Mean gap (cost / reference - 1) overall and per variant, over the feasible solutions,
    and the infeasible count (reported beside it)."""
    from vrp.model.evaluate import evaluate

    by_variant, infeasible = {}, 0
    for v, insts in ref.instances().items():
        sols = solve_instances(policy, insts, augment=1, device=device)
        gaps = []
        for inst, sol, r in zip(insts, sols, ref.costs[v], strict=True):
            ev = evaluate(inst, sol)
            infeasible += not ev.feasible
            if ev.feasible:
                gaps.append(ev.cost / r - 1.0)
        by_variant[v] = sum(gaps) / len(gaps) if gaps else math.nan
    overall = sum(by_variant.values()) / len(by_variant)
    return overall, by_variant, infeasible


# -- the LightningModule ----------------------------------------------------------------------


class PolicyTraining(L.LightningModule):
    """REINFORCE with the POMO shared baseline and per-variant advantage scaling."""

    def __init__(
        self,
        model_args: ModelArgs,
        config: TrainConfig,
        reference: Reference,
        out: Path,
        weights_only: bool = False,
        snapshots: Path | None = None,
    ):
        super().__init__()
        self.policy = Policy(model_args)
        self.model_args, self.config, self.reference = model_args, config, reference
        self.out, self.weights_only, self.snapshots = out, weights_only, snapshots
        self.env = VRPEnv()
        self.register_buffer("cost_scale", torch.zeros(len(VARIANT_NAMES)))
        self.history: list[dict[str, Any]] = []
        self.runs: list[dict[str, Any]] = []  # one entry per `train()` call, resumed ones too
        self._optimizer_state: dict[str, Any] | None = None
        self.epoch_offset = 0
        self._pools: list[MatrixPool] | None = None
        self._epoch_sums: dict[str, float] = {}
        self._epoch_t0 = time.perf_counter()
        self._epoch_cpu0 = time.process_time()

    def restore(self, checkpoint: dict[str, Any]) -> None:
        """Continue from ``checkpoint``: weights, cost scales, history and (if saved) the
        optimizer state; the epochs it finished are not trained again."""
        self.load_state_dict(upgrade_state(checkpoint["state_dict"], prefix="policy."))
        self.history = list(checkpoint[META].get("history", []))
        self.runs = list(checkpoint[META].get("runs", []))
        self.epoch_offset = len(self.history)
        states = checkpoint.get("optimizer_states") or []
        self._optimizer_state = states[0] if states else None

    @property
    def epoch(self) -> int:
        """0-based index of the current epoch over every resumed run."""
        return self.epoch_offset + self.current_epoch

    # -- data: batches are drawn inside the step; the loader only numbers them ---------------

    def train_dataloader(self) -> DataLoader:
        steps = max(1, self.config.instances_per_epoch // self.config.batch_size)
        return DataLoader(range(steps), batch_size=None, shuffle=False)

    def _batch(self, index: int):
        """A reset batch: coordinates, and a ``matrix_share`` drawn from the matrix pool."""
        c = self.config
        seed = (c.seed * 1_000_003 + self.epoch) * 100_003 + int(index)
        on_pool = round(c.batch_size * c.matrix_share) if c.pool else 0
        parts = []
        if on_pool < c.batch_size:
            gen = VRPGenerator(num_loc=c.num_loc, variants=list(c.variants), seed=seed)
            parts.append(gen(c.batch_size - on_pool))
        if on_pool:
            pools, variants = self.pools, list(c.variants)
            pick = np.random.default_rng(seed).integers(len(pools), size=on_pool)
            for k, count in enumerate(np.bincount(pick, minlength=len(pools))):
                if count:
                    gen = VRPGenerator(c.num_loc, variants, pool=pools[k], seed=seed + 1 + k)
                    parts.append(gen(int(count)))
            if on_pool < c.batch_size:  # coordinates get their matrices: a uniform batch
                dist = euclidean_matrix(parts[0]["locs"])
                parts[0].update({"distance_matrix": dist, "duration_matrix": dist.clone()})
        return self.env.reset(torch.cat(parts).to(self.device))

    @property
    def pools(self) -> list[MatrixPool]:
        """The pools of ``config.pool``, loaded once; each pool instance picks one uniformly."""
        if self._pools is None:
            names = (self.config.pool or "").split(",")
            self._pools = [
                synthetic_pool(1000) if name == "synthetic" else MatrixPool.load(name)
                for name in names
            ]
        return self._pools

    # -- the step ----------------------------------------------------------------------------

    def training_step(self, index: torch.Tensor, batch_idx: int) -> torch.Tensor:
        c = self.config
        td = self._batch(int(index))
        starts = c.num_starts or c.num_loc
        out = self.policy(td, self.env, "sampling", num_starts=starts)
        reward = split_batch(out["reward"], starts).float()  # [B, S]
        ll = split_batch(out["log_likelihood"], starts)  # [B, S]
        v = variant_index(td)  # [B]
        cost = -reward.mean(1)
        self._update_cost_scale(v, cost.detach())
        advantage = (reward - reward.mean(1, keepdim=True)) / self.cost_scale[v][:, None]
        loss = -(advantage.detach() * ll).mean()

        best = -reward.max(1).values.mean()
        self.log("loss", loss, prog_bar=True, batch_size=c.batch_size)
        self.log("cost", best, prog_bar=True, batch_size=c.batch_size)
        s = self._epoch_sums
        s["loss"] = s.get("loss", 0.0) + float(loss.detach())
        s["cost"] = s.get("cost", 0.0) + float(best)
        s["steps"] = s.get("steps", 0.0) + 1
        return loss

    @torch.no_grad()
    def _update_cost_scale(self, v: torch.Tensor, cost: torch.Tensor) -> None:
        n = len(VARIANT_NAMES)
        sums = torch.zeros(n, device=cost.device).index_add_(0, v, cost)
        counts = torch.zeros(n, device=cost.device).index_add_(0, v, torch.ones_like(cost))
        seen = counts > 0
        mean = sums[seen] / counts[seen]
        old = self.cost_scale[seen]
        beta = self.config.cost_ema
        self.cost_scale[seen] = torch.where(old > 0, beta * old + (1 - beta) * mean, mean)

    def configure_optimizers(self):
        c = self.config
        opt = torch.optim.AdamW(self.policy.parameters(), lr=c.lr, weight_decay=c.weight_decay)
        if self._optimizer_state is not None:
            opt.load_state_dict(self._optimizer_state)
            for group in opt.param_groups:  # this run's settings win over the saved ones
                group["lr"], group["weight_decay"] = c.lr, c.weight_decay
                for p in group["params"]:  # a weight grown since (`upgrade_state`): zeros
                    for k, v in opt.state.get(p, {}).items():
                        if torch.is_tensor(v) and v.dim() and v.shape != p.shape:
                            grown = torch.zeros_like(p)
                            grown[tuple(slice(0, d) for d in v.shape)] = v
                            opt.state[p][k] = grown
        return opt

    # -- end of epoch: validate, record, save -------------------------------------------------

    def on_train_epoch_start(self) -> None:
        self._epoch_sums = {}
        self._epoch_t0 = time.perf_counter()
        self._epoch_cpu0 = time.process_time()

    def on_train_epoch_end(self) -> None:
        t_train = time.perf_counter() - self._epoch_t0
        cpu_train = time.process_time() - self._epoch_cpu0  # this process, all its threads
        self.policy.eval()
        gap, by_variant, infeasible = validation_gaps(self.policy, self.reference, self.device)
        self.policy.train()
        s = self._epoch_sums
        steps = max(s.get("steps", 0.0), 1.0)
        prev = self.history[-1] if self.history else {}
        row = {
            "epoch": self.epoch + 1,
            "num_loc": self.config.num_loc,
            "instances": int(prev.get("instances", 0))
            + int(s.get("steps", 0)) * self.config.batch_size * self.trainer.world_size,
            "train_loss": s.get("loss", 0.0) / steps,
            "train_cost": s.get("cost", 0.0) / steps,
            "val_gap": gap,
            "val_infeasible": infeasible,
            "epoch_s": t_train,
            "train_s": float(prev.get("train_s", 0.0)) + t_train,
            "train_cpu_s": float(prev.get("train_cpu_s", 0.0)) + cpu_train,
            **{f"gap_{v}": g for v, g in by_variant.items()},
        }
        self.history.append(row)
        self.log("val_gap", gap, prog_bar=True, sync_dist=False)
        if self.trainer.is_global_zero:
            self.write_curve_and_card()
            print(
                f"epoch {row['epoch']}: train cost {row['train_cost']:.4f}, "
                f"validation gap {100 * gap:.2f}% ({infeasible} infeasible), "
                f"{t_train:.0f} s",
                file=sys.stderr,
            )
        self.trainer.save_checkpoint(self.out, weights_only=self.weights_only)
        if self.snapshots is not None:  # every epoch's weights, for `average_weights`
            path = self.snapshots / f"epoch{row['epoch']}.ckpt"
            self.trainer.save_checkpoint(path, weights_only=True)
        budget = self.config.max_cpu_minutes
        if budget is not None and row["train_cpu_s"] >= 60 * budget:
            self.trainer.should_stop = True

    # -- checkpoint contents ------------------------------------------------------------------

    def write_curve_and_card(self) -> None:
        """``<out>.csv`` (the history, one row per epoch) and ``<out>.md`` (the model card)."""
        _write_csv(self.history, self.out.with_suffix(".csv"))
        with atomic_write(self.out.with_suffix(".md")) as fh:
            fh.write(model_card(self._meta(), self.out.stem))

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint[META] = self._meta()

    def _meta(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "model_args": self.model_args.to_dict(),
            "train_config": self.config.to_dict(),
            "reference": asdict(self.reference),
            "history": list(self.history),
            "runs": list(self.runs),
            "parameters": sum(p.numel() for p in self.policy.parameters()),
        }


def hardware(accelerator: str, devices: int | str, num_nodes: int, threads: int) -> dict[str, Any]:
    """Where a run trains: what was asked for and what the machine has."""
    info: dict[str, Any] = {
        "accelerator": accelerator,
        "devices": devices,
        "num_nodes": num_nodes,
        "torch_threads": threads,
        "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch": str(torch.__version__),
    }
    if torch.cuda.is_available() and accelerator in ("auto", "gpu", "cuda"):
        info["gpu"] = torch.cuda.get_device_name(0)
    return info


def _from_cli() -> bool:
    """Whether this process is ``vrp train`` (the executable, or ``python -m cli.main``)."""
    program = Path(sys.argv[0])
    is_vrp = program.name == "vrp" or program.match("cli/main.py")
    return is_vrp and len(sys.argv) > 1 and sys.argv[1] == "train"


def _write_csv(rows: Sequence[dict[str, Any]], path: Path) -> None:
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=keys)
    w.writeheader()
    w.writerows(rows)
    with atomic_write(path) as fh:
        fh.write(buf.getvalue())


class ProgressBar(TQDMProgressBar):
    """Lightning's bar on stderr (stdout is for results)."""

    def init_train_tqdm(self) -> Tqdm:
        return Tqdm(
            desc=self.train_description,
            position=2 * self.process_position,
            disable=self.is_disabled,
            leave=True,
            dynamic_ncols=True,
            file=sys.stderr,
            smoothing=0,
            bar_format=self.BAR_FORMAT,
        )


class SaveOnInterrupt(Callback):
    """Ctrl-C (SIGINT) or SIGTERM during training saves the checkpoint before Lightning exits
    (Lightning stops a SIGTERM-ed run after the current batch)."""

    def __init__(self, out: Path):
        self.out = out

    def on_exception(self, trainer: L.Trainer, pl_module: L.LightningModule, exc: BaseException):
        from lightning.pytorch.utilities.exceptions import SIGTERMException

        if isinstance(exc, KeyboardInterrupt | SIGTERMException):
            trainer.save_checkpoint(self.out, weights_only=pl_module.weights_only)
            if trainer.is_global_zero:
                print(
                    f"\ninterrupted: saved {self.out}; continue with --resume {self.out}",
                    file=sys.stderr,
                )


# -- the entry point --------------------------------------------------------------------------


def train(
    config: TrainConfig,
    out: Path,
    *,
    reference: Reference | None = None,
    model_args: ModelArgs | None = None,
    resume: Path | None = None,
    weights_only: bool = False,
    snapshots: Path | None = None,
    accelerator: str = "auto",
    devices: int | str = 1,
    num_nodes: int = 1,
    strategy: str = "auto",
    precision: str | None = None,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Train (or continue training) a policy and write its checkpoint to ``out``.

    ``reference`` is the validation set with its reference costs (`validation_set`, costs
    from `vrp.benchmark.references.reference_costs`): training decodes and scores, it never
    solves. With ``resume``, the model arguments, the weights, the per-variant cost scales,
    the history, the optimizer state (unless the checkpoint was saved ``weights_only``) and,
    when no ``reference`` is given, the validation references (`resumed_reference`) come
    from that checkpoint; ``config.epochs`` is the total to reach, counting the epochs it
    already has. With ``snapshots``, every epoch's weights are also saved there as
    ``epoch<N>.ckpt`` (weights only, a few MB each), for `vrp.neural.checkpoint.average_weights`.
    Returns the history of per-epoch metrics.

    ``strategy`` is Lightning's (``"ddp"``: one process per device, over ``num_nodes``
    machines; gloo on CPUs, NCCL on GPUs). Each process draws its own batches: Lightning
    deals the epoch's batch indices out among them, and a batch is seeded by its index.

    Raises:
        ValueError: no reference for the validation set of ``config``.
    """
    torch.set_num_threads(config.threads)
    out = Path(out)
    previous = read_checkpoint(resume) if resume is not None else None
    if previous is not None:
        meta = previous[META]
        model_args = ModelArgs(**meta["model_args"])
        done = len(meta.get("history", []))
        if done >= config.epochs:
            raise InputError(
                f"{resume} already has {done} epochs; ask for more with --epochs", field="--epochs"
            )
        spent = float((meta.get("history") or [{}])[-1].get("train_cpu_s", 0.0)) / 60
        if config.max_cpu_minutes is not None and spent >= config.max_cpu_minutes:
            raise InputError(
                f"{resume} has already trained {spent:.1f} CPU minutes, which the budget "
                f"counts; ask for more than that with --max-cpu-minutes",
                field="--max-cpu-minutes",
            )
        if reference is None:
            reference = _stored_reference(meta, config)
    if reference is None or not reference.matches(config):
        raise ValueError(
            "train() needs the validation references of its config: fill "
            "validation_set(config).costs with vrp.benchmark.references.reference_costs"
        )
    if snapshots is not None:
        Path(snapshots).mkdir(parents=True, exist_ok=True)
    module = PolicyTraining(
        model_args or ModelArgs(), config, reference, out, weights_only, snapshots
    )
    if previous is not None:
        module.restore(previous)
    module.runs.append(
        {
            "command": " ".join(["vrp", *sys.argv[1:]]) if _from_cli() else "train()",
            "started": time.strftime("%Y-%m-%d %H:%M:%S"),
            "from_epoch": module.epoch_offset,
            "to_epoch": config.epochs,
            "hardware": hardware(accelerator, devices, num_nodes, config.threads),
            "strategy": strategy,
        }
    )
    callbacks: list[Callback] = [SaveOnInterrupt(out)]
    if progress:
        callbacks.append(ProgressBar(refresh_rate=10))
    trainer = L.Trainer(
        max_epochs=config.epochs - module.epoch_offset,
        accelerator=accelerator,
        devices=devices,
        num_nodes=num_nodes,
        strategy=strategy,
        precision=precision,
        logger=False,
        enable_checkpointing=False,
        enable_model_summary=False,
        enable_progress_bar=progress,
        callbacks=callbacks,
        plugins=[AtomicCheckpointIO()],
        gradient_clip_val=config.grad_clip,
        limit_val_batches=0,
        num_sanity_val_steps=0,
    )
    trainer.fit(module)
    return module.history
