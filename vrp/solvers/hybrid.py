"""`neural+pyvrp`: the neural plan as PyVRP's initial solution, in one budget.

The policy decodes first (`NeuralSolver`: one greedy rollout, then up to
``NEURAL_AUGMENT`` symmetries x ``NEURAL_STARTS`` start as its `fit_decoding` allows, and no
sampling rounds after them) within at most ``neural_share`` of the time limit; then PyVRP
searches from that plan (`PyVRPSolver.solve` with ``initial=``) in what is left of the SAME
`Budget`, so that the CPU time of both parts counts against one limit. A neural plan that
`evaluate()` finds infeasible, or none, leaves PyVRP to start from its own, as ``--solver
pyvrp`` does. The first call in a process pays for importing torch and loading the model
(seconds) out of the budget.

`seeded_search` is the second half alone, for callers that decoded their plans elsewhere (in
one batch for many instances: scripts/hybrid_pareto.py measures the hybrid that way).
"""

from __future__ import annotations

import os
from pathlib import Path

from vrp.errors import InputError
from vrp.model.evaluate import evaluate
from vrp.model.instance import Instance
from vrp.model.solution import Solution
from vrp.model.variants import Variant
from vrp.solvers.base import Budget, Progress
from vrp.solvers.neural import NeuralSolver
from vrp.solvers.pyvrp import PyVRPSolver

NEURAL_SHARE = 0.2
"""The largest share of the time limit that the neural decode may plan for (its first greedy
rollout always runs): PyVRP gets the rest."""
NEURAL_AUGMENT = 8  # symmetries of the second decode, at most
NEURAL_STARTS = 1  # greedy starts per symmetry, at most


class NeuralPyVRPSolver:
    """PyVRP warm-started from the neural plan (module docstring)."""

    name = "neural+pyvrp"

    def __init__(
        self,
        checkpoint: str | os.PathLike[str] | None = None,
        *,
        neural_share: float = NEURAL_SHARE,
    ):
        if not 0 < neural_share < 1:
            raise InputError(
                f"must be between 0 and 1 (exclusive), got {neural_share}", field="neural_share"
            )
        self.neural = NeuralSolver(
            checkpoint, augment=NEURAL_AUGMENT, num_starts=NEURAL_STARTS, temperature=None
        )
        self.pyvrp = PyVRPSolver()
        self.neural_share = neural_share

    @property
    def checkpoint(self) -> Path | None:
        """The model set when made, None for the best fit per instance."""
        return self.neural.checkpoint

    def unsupported(self, variant: Variant) -> str | None:
        return self.neural.unsupported(variant) or self.pyvrp.unsupported(variant)

    def unsupported_instance(self, instance: Instance) -> str | None:
        return self.neural.unsupported_instance(instance) or self.pyvrp.unsupported_instance(
            instance
        )

    def solve(
        self,
        instance: Instance,
        budget: Budget,
        seed: int = 0,
        progress: Progress | None = None,
    ) -> Solution | None:
        """The neural plan within ``neural_share`` of ``budget``, then PyVRP from it in the
        rest of ``budget``."""
        left = budget.time_limit - budget.cpu()
        # A budget of its own for the decode, so that `fit_decoding` plans within the share;
        # its CPU time counts in `budget` as well (both read this process's clock).
        share = min(self.neural_share * budget.time_limit, left)
        part = Budget(max(share, 1e-9), budget.wall_cap_factor, budget.interrupt)

        def relay(elapsed: float, cost: float | None) -> None:  # on the whole run's clock
            if progress is not None:
                progress(budget.elapsed(), cost)

        plan = self.neural.solve(instance, part, seed, None if progress is None else relay)
        return seeded_search(instance, plan, budget, seed, progress)


def seeded_search(
    instance: Instance,
    plan: Solution | None,
    budget: Budget,
    seed: int = 0,
    progress: Progress | None = None,
) -> Solution | None:
    """PyVRP within what is left of ``budget``, from ``plan`` when `evaluate()` finds it
    feasible and from its own first solution otherwise; never worse than a feasible
    ``plan`` (`PyVRPSolver.solve`)."""
    usable = plan is not None and evaluate(instance, plan).feasible
    initial = plan if usable else None
    return PyVRPSolver().solve(instance, budget, seed, progress, initial=initial)
