"""The neural solver: a trained attention policy, greedy from every start, 8 symmetries.

Which model: ``checkpoint`` if set (``vrp solve --solver neural --checkpoint P``), else the
checkpoint in ``checkpoints/`` (or ``$VRP_CHECKPOINTS``) that fits the instance best: one
trained on its variant, then on road matrices if the instance has matrices, then the nearest
training size, then the lowest validation gap on its variant, then the fewest variants.

Decoding takes a fixed amount of work whatever the time limit (one greedy rollout per start
and symmetry); the answer is scored by `evaluate()` like any engine's. `solve_many` solves a
list of instances in batches, which is much faster per instance than one call each.
"""

from __future__ import annotations

import math
import os
import time
from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vrp.errors import SolverError
from vrp.instance import Instance
from vrp.solution import Solution
from vrp.solvers.base import Progress
from vrp.variants import Variant

if TYPE_CHECKING:
    from vrp.neural.checkpoint import Loaded

CHECKPOINT_DIR = Path(__file__).resolve().parents[2] / "checkpoints"


def checkpoint_dir() -> Path:
    """Where shipped checkpoints live: ``$VRP_CHECKPOINTS`` or the repository's checkpoints/."""
    env = os.environ.get("VRP_CHECKPOINTS")
    return Path(env) if env else CHECKPOINT_DIR


class NeuralSolver:
    """A trained policy behind the `Solver` interface (all 48 variants, coordinates or
    matrices)."""

    name = "neural"

    def __init__(
        self,
        checkpoint: str | os.PathLike[str] | None = None,
        *,
        augment: int = 8,
        num_starts: int | None = None,
        device: str | None = None,
        threads: int = 1,
    ):
        self.checkpoint = None if checkpoint is None else Path(checkpoint)
        self.augment = augment
        self.num_starts = num_starts
        self.device = device
        # torch's default (all cores) oversubscribes a shared CPU: on 2 busy cores one thread
        # decoded 10-50x faster than two (wall and CPU time alike)
        self.threads = threads

    def unsupported(self, variant: Variant) -> str | None:
        return None

    def unsupported_instance(self, instance: Instance) -> str | None:
        count = instance.vehicle_count
        if count is not None and count < instance.num_customers:
            return (
                f"vehicles.count = {count}: the policy builds as many routes as it needs and "
                "cannot honour a fleet limit"
            )
        return None

    def solve(
        self,
        instance: Instance,
        time_limit: float,
        seed: int = 0,
        progress: Progress | None = None,
    ) -> Solution | None:
        t0 = time.perf_counter()
        sol = self.solve_many([instance])[0]
        if progress is not None:
            from vrp.evaluate import evaluate

            ev = evaluate(instance, sol)
            progress(time.perf_counter() - t0, ev.cost if ev.feasible else None)
        return sol

    def solve_many(self, instances: Sequence[Instance]) -> list[Solution]:
        """One solution per instance, decoded in batches (grouped by model and size)."""
        import torch

        previous = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            return self._solve_many(instances)
        finally:
            torch.set_num_threads(previous)

    def _solve_many(self, instances: Sequence[Instance]) -> list[Solution]:
        from vrp.neural.decode import solve_instances

        device = self.device or _default_device()
        by_model: dict[Path, list[int]] = defaultdict(list)
        for i, inst in enumerate(instances):
            by_model[self.checkpoint or pick_checkpoint(inst)].append(i)
        out: list[Solution | None] = [None] * len(instances)
        for path, idx in by_model.items():
            loaded = _load(str(path), device)
            sols = solve_instances(
                loaded.policy,
                [instances[i] for i in idx],
                augment=self.augment,
                num_starts=self.num_starts,
                device=device,
            )
            for i, s in zip(idx, sols, strict=True):
                out[i] = s
        return [s for s in out if s is not None]


def _default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


@lru_cache(maxsize=8)
def _load(path: str, device: str) -> Loaded:
    from vrp.neural.checkpoint import load_policy

    return load_policy(path, device)


def _needs_matrices(inst: Instance) -> bool:
    return inst.distance_matrix is not None or inst.coordinates != "euclidean"


def pick_checkpoint(instance: Instance, directory: Path | None = None) -> Path:
    """The shipped checkpoint that fits ``instance`` best (see the module docstring)."""
    folder = checkpoint_dir() if directory is None else directory
    found = sorted(folder.glob("*.ckpt")) if folder.is_dir() else []
    if not found:
        raise SolverError(
            f"no neural checkpoint in {folder}/; train one with `vrp train` or pass --checkpoint"
        )
    name, n = instance.variant.name, instance.num_customers
    matrices = _needs_matrices(instance)

    def score(path: Path) -> tuple[Any, ...]:
        meta = _describe(str(path), path.stat().st_mtime)
        cfg = meta["train_config"]
        history = meta.get("history") or [{}]
        gap = history[-1].get(f"gap_{name}", math.inf)
        return (
            name not in cfg["variants"],
            matrices and not cfg.get("matrix_share"),
            round(abs(math.log(max(int(cfg["num_loc"]), 1) / n)), 6),
            gap if gap == gap else math.inf,  # NaN last
            len(cfg["variants"]),
            path.name,
        )

    return min(found, key=score)


@lru_cache(maxsize=64)
def _describe(path: str, mtime: float) -> dict[str, Any]:
    from vrp.neural.checkpoint import META, read_checkpoint

    return read_checkpoint(path)[META]
