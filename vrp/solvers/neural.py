"""The neural solver: a trained attention policy, greedy from every start, 8 symmetries.

Which model: ``checkpoint`` if set (``vrp solve --solver neural --checkpoint P``), else the
checkpoint that fits the instance best among the shipped ones and those in the folders of
``$VRP_CHECKPOINTS`` (see `checkpoint_dirs`): one trained on its variant, then on road
matrices if the instance has matrices, then the nearest training size, then the lowest
validation gap on its variant, then the fewest variants.

Decoding takes a fixed amount of work whatever the time limit (one greedy rollout per start
and symmetry); the answer is scored by `evaluate()` like any engine's. `solve_many` solves a
list of instances in batches, which is much faster per instance than one call each.
"""

from __future__ import annotations

import math
import os
from collections import defaultdict
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vrp.errors import InputError, SolverError
from vrp.model.instance import Instance
from vrp.model.solution import Solution
from vrp.model.variants import Variant
from vrp.solvers.base import Budget, Progress

if TYPE_CHECKING:
    from vrp.neural.checkpoint import Loaded


def checkpoint_dir() -> Path:
    """The shipped checkpoints: the package data ``vrp.checkpoints``.

    In a checkout (and its editable install) that is the top-level ``checkpoints/`` folder; a
    wheel installs the same files inside the package.
    """
    from importlib import resources
    from importlib.util import find_spec

    from vrp.places import source_root

    if find_spec("vrp.checkpoints") is None and (root := source_root()) is not None:
        # a checkout on sys.path that pip did not install (a copy elsewhere, a stale install)
        return root / "checkpoints"
    shipped = resources.files("vrp.checkpoints")
    if not isinstance(shipped, Path):  # a zipped install: checkpoints are read as files
        raise SolverError(f"the shipped checkpoints are not a folder on disk: {shipped}")
    return shipped


def checkpoint_dirs() -> list[Path]:
    """The folders searched for a checkpoint: those of ``$VRP_CHECKPOINTS`` (separated by
    ``os.pathsep``, searched first), then the shipped ones (`checkpoint_dir`).

    The variable adds folders, it does not hide the shipped checkpoints: `pick_checkpoint`
    takes the best fit among all of them.
    """
    extra = [Path(p) for p in os.environ.get("VRP_CHECKPOINTS", "").split(os.pathsep) if p]
    for folder in extra:
        if not folder.is_dir():
            raise InputError(f"{folder} is not a folder", field="$VRP_CHECKPOINTS")
    return [*extra, checkpoint_dir()]


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
        budget: Budget,
        seed: int = 0,
        progress: Progress | None = None,
    ) -> Solution | None:
        sol = self.solve_many([instance])[0]
        if progress is not None:
            from vrp.model.evaluate import evaluate

            ev = evaluate(instance, sol)
            progress(budget.elapsed(), ev.cost if ev.feasible else None)
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


def pick_checkpoint(instance: Instance, directory: Path | None = None) -> Path:
    """The checkpoint that fits ``instance`` best (see the module docstring), in ``directory``
    or else in `checkpoint_dirs`; on a full tie, the one in the earlier folder."""
    folders = checkpoint_dirs() if directory is None else [directory]
    found = [p for f in folders if f.is_dir() for p in sorted(f.glob("*.ckpt"))]
    if not found:
        where = ", ".join(f"{f}/" for f in folders)
        raise SolverError(
            f"no neural checkpoint in {where}; train one with `vrp train` or pass --checkpoint"
        )
    name, n = instance.variant.name, instance.num_customers
    matrices = not instance.planar

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
