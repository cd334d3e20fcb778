"""The neural solver: a trained attention policy, greedy from every start, then sampled.

Which model: ``checkpoint`` if set (``vrp solve --solver neural --checkpoint P``), else the
checkpoint that fits the instance best among the shipped ones and those in the folders of
``$VRP_CHECKPOINTS`` (see `checkpoint_dirs`): one trained on its variant, then on road
matrices if the instance has matrices, then the nearest training size, then the lowest
validation gap on its variant, then the fewest variants.

Decoding fits the time limit (`fit_decoding`): one greedy rollout first, always (a first
answer, as the other engines' first solutions), then as many starts and symmetries as the
time left allows by the greedy rollout's own time, at most ``augment`` x ``num_starts``;
then, while the budget has room for another round as long as the last, rounds of the same
decode sampled at ``temperature`` (`SAMPLING_TEMPERATURE`; None: none), seeded by ``seed``,
keeping the best plan. Importing torch and tensordict (about 2.8 CPU s on a busy 2-core
machine; decoding needs neither rl4co nor lightning) and loading the model count in the
budget but cannot be cut short: below that limit only the greedy rollout runs. Ctrl-C is
seen between decodes. The answer is scored by `evaluate()` like any engine's.
`checkpoint_for` names the model an instance gets. `solve_many` solves a list of instances in
batches with every start and symmetry, which is much faster per instance than one call each,
and given a time limit per instance samples rounds over the whole batch in the rest of it.
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

from vrp.errors import InputError, SolverError
from vrp.model.evaluate import Evaluation, evaluate
from vrp.model.instance import Instance
from vrp.model.solution import Solution
from vrp.model.variants import Variant
from vrp.solvers.base import Budget, Progress, one_customer_plan

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


SAMPLING_TEMPERATURE = 0.5
"""The temperature of the sampling rounds that use what the greedy decodes leave of a budget
(docs/neural.md, "Sampling in the rest of the budget")."""


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
        temperature: float | None = SAMPLING_TEMPERATURE,
    ):
        if temperature is not None and not temperature > 0:
            raise InputError(f"must be positive, got {temperature}", field="temperature")
        self.checkpoint = None if checkpoint is None else Path(checkpoint)
        self.augment = augment
        self.num_starts = num_starts
        # None: no sampling after the greedy decodes, however much budget is left
        self.temperature = temperature
        self.device = device
        # torch's default (all cores) oversubscribes a shared CPU: on 2 busy cores one thread
        # decoded 10-50x faster than two (wall and CPU time alike)
        self.threads = threads

    def unsupported(self, variant: Variant) -> str | None:
        if variant.fleet:
            return (
                "the policy was trained on one kind of vehicle; it has no vehicle types "
                "(a fleet) yet (use --solver pyvrp or ortools)"
            )
        return None

    def unsupported_instance(self, instance: Instance) -> str | None:
        if instance.fleet:
            return self.unsupported(instance.variant)
        count = instance.vehicle_count
        if count is not None and count < instance.num_customers:
            return (
                f"vehicles.count = {count}: the policy builds as many routes as it needs and "
                "cannot honour a fleet limit"
            )
        return None

    def checkpoint_for(self, instance: Instance) -> Path:
        """The checkpoint that solves ``instance``: ``checkpoint`` if set, else the best fit
        (`pick_checkpoint`)."""
        return self.checkpoint or pick_checkpoint(instance)

    def solve(
        self,
        instance: Instance,
        budget: Budget,
        seed: int = 0,
        progress: Progress | None = None,
    ) -> Solution | None:
        """A greedy rollout, then a decode with as many starts and symmetries as the budget
        has room for (module docstring)."""
        if instance.num_customers == 1:  # the policy's batch shapes need two customers
            return one_customer_plan(instance)
        import torch

        from vrp.neural.decode import solve_instances

        previous = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            device = self.device or _default_device()
            policy = _load(str(self.checkpoint_for(instance)), device).policy
            t0 = time.perf_counter()
            best = solve_instances(policy, [instance], augment=1, num_starts=1, device=device)[0]
            greedy_s = time.perf_counter() - t0
            best_ev = evaluate(instance, best)
            if progress is not None:
                progress(budget.elapsed(), best_ev.cost if best_ev.feasible else None)
            left = budget.left()
            augment, starts = fit_decoding(
                instance.num_customers, greedy_s, left, self.augment, self.num_starts
            )
            if augment * starts > 1 and not budget.expired():
                t0 = time.perf_counter()
                sol = solve_instances(
                    policy, [instance], augment=augment, num_starts=starts, device=device
                )[0]
                round_s = time.perf_counter() - t0
                best, best_ev = _better(instance, (best, best_ev), sol, progress, budget)
                if self.temperature is not None:
                    best, best_ev = self._sample(
                        policy,
                        instance,
                        (best, best_ev),
                        (augment, starts),
                        round_s,
                        budget,
                        seed,
                        progress,
                        device,
                    )
            return best
        finally:
            torch.set_num_threads(previous)

    def _sample(
        self,
        policy: Any,
        instance: Instance,
        incumbent: tuple[Solution, Evaluation],
        decoding: tuple[int, int],
        round_s: float,
        budget: Budget,
        seed: int,
        progress: Progress | None,
        device: str,
    ) -> tuple[Solution, Evaluation]:
        """Rounds of ``decoding`` (symmetries, starts) sampled at `temperature`, each planned
        to take ``round_s`` as the last did, while the budget has room for one more."""
        import torch

        from vrp.neural.decode import solve_instances

        augment, starts = decoding
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            while not budget.expired() and FIT_SHARE * budget.left() >= round_s:
                t0 = time.perf_counter()
                sol = solve_instances(
                    policy,
                    [instance],
                    augment=augment,
                    num_starts=starts,
                    device=device,
                    decode="sampling",
                    temperature=self.temperature or 1.0,
                )[0]
                round_s = time.perf_counter() - t0
                incumbent = _better(instance, incumbent, sol, progress, budget)
        return incumbent

    def solve_many(
        self, instances: Sequence[Instance], time_limit: float | None = None, seed: int = 0
    ) -> list[Solution]:
        """One solution per instance, decoded in batches (grouped by model and size) with
        every start and symmetry; then, given a ``time_limit`` (CPU seconds per instance) and
        a `temperature`, rounds of sampling over all of them while the batch's CPU time has
        room for one more round within ``time_limit`` times the number of instances."""
        import torch

        previous = torch.get_num_threads()
        torch.set_num_threads(self.threads)
        try:
            c0 = time.process_time()
            out = self._solve_many(instances)
            if time_limit is None or self.temperature is None:
                return out
            budget = time_limit * len(instances)
            round_s = time.process_time() - c0
            best = [(s, evaluate(inst, s)) for inst, s in zip(instances, out, strict=True)]
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                while time.process_time() - c0 + round_s <= budget:
                    t0 = time.process_time()
                    sampled = self._solve_many(instances, "sampling")
                    best = [
                        _better(inst, b, s)
                        for inst, b, s in zip(instances, best, sampled, strict=True)
                    ]
                    round_s = time.process_time() - t0
            return [s for s, _ in best]
        finally:
            torch.set_num_threads(previous)

    def _solve_many(self, instances: Sequence[Instance], decode: str = "greedy") -> list[Solution]:
        from vrp.neural.decode import solve_instances

        device = self.device or _default_device()
        by_model: dict[Path, list[int]] = defaultdict(list)
        out: list[Solution | None] = [None] * len(instances)
        for i, inst in enumerate(instances):
            if inst.num_customers == 1:  # the policy's batch shapes need two customers
                out[i] = one_customer_plan(inst)
            else:
                by_model[self.checkpoint_for(inst)].append(i)
        for path, idx in by_model.items():
            loaded = _load(str(path), device)
            sols = solve_instances(
                loaded.policy,
                [instances[i] for i in idx],
                augment=self.augment,
                num_starts=self.num_starts,
                device=device,
                decode=decode,
                temperature=self.temperature or 1.0,
            )
            for i, s in zip(idx, sols, strict=True):
                out[i] = s
        return [s for s in out if s is not None]


ROLLOUT_WIDTH = 8000
"""Decoding R rollouts of n customers at once took about ``greedy_s * (1 + R * n /
ROLLOUT_WIDTH)``, where ``greedy_s`` is the time of one rollout (measured on CPU, one thread:
R = 800 at n = 100 took 11.6 times one rollout, R = 1600 at n = 200 36 times; a smaller
width would be more cautious)."""
FIT_SHARE = 0.8  # of the time left that the second decode is planned to take


def fit_decoding(
    n: int,
    greedy_s: float,
    left_s: float,
    max_augment: int = 8,
    max_starts: int | None = None,
) -> tuple[int, int]:
    """Symmetries and starts per symmetry for a decode of ``n`` customers that should take
    about `FIT_SHARE` of ``left_s`` seconds, given that one greedy rollout took ``greedy_s``
    (`ROLLOUT_WIDTH`); (1, 1) when there is no room for more. Symmetries (8) come first once
    there is room for 8 rollouts, then starts, up to ``max_augment`` and ``max_starts``
    (None: one per customer)."""
    cap = n if max_starts is None else max(1, min(max_starts, n))
    if not (greedy_s > 0 and left_s > 0):
        return (1, 1) if left_s <= 0 else (max_augment, cap)
    ratio = FIT_SHARE * left_s / greedy_s - 1
    rollouts = int(ratio * ROLLOUT_WIDTH / max(n, 1)) if ratio > 0 else 0
    if rollouts < 2:
        return 1, 1
    if max_augment >= 8 and rollouts >= 8:
        return 8, max(1, min(cap, rollouts // 8))
    return 1, min(cap, rollouts)


def _better(
    instance: Instance,
    incumbent: tuple[Solution, Evaluation],
    candidate: Solution,
    progress: Progress | None = None,
    budget: Budget | None = None,
) -> tuple[Solution, Evaluation]:
    """The better of ``incumbent`` and ``candidate`` by `evaluate()` (feasible first, then
    cost); an improvement that is feasible is reported to ``progress``."""
    ev = evaluate(instance, candidate)
    if (ev.feasible, -ev.cost) > (incumbent[1].feasible, -incumbent[1].cost):
        if progress is not None and budget is not None and ev.feasible:
            progress(budget.elapsed(), ev.cost)
        return candidate, ev
    return incumbent


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
