"""The neural model choosing what PyVRP ruins, at equal CPU time (issue 22, item 5).

    nice -n 5 .venv/bin/python scripts/neural_ruin.py \\
        --variants cvrp,vrptw,vrpb,vrpmbtw,mdvrptw,ovrpltw --size 100 \\
        --budgets 0.3,1 --count 3 --seeds 3 > table.md

(the defaults). PyVRP 0.14 draws the customers its perturbation moves inside its compiled
local search, so a model cannot choose them there (docs/solvers.md). What Python can do is
hand PyVRP's iterated local search (`pyvrp.IteratedLocalSearch`, which keeps its penalty
management and acceptance) a search method of its own: each iteration removes k customers
(k drawn from 5 to 20) from the current solution, puts each back where it adds the least
distance (in random order; capacity, windows and the rest are left to the penalised local
search that follows), then runs PyVRP's local search over the whole solution
(``exhaustive=True``). Four arms, each at each budget for PyVRP seeds 0 to seeds - 1:

- **pyvrp**: PyVRP's own loop (its perturbation, its 50 nearest neighbours), as
  `PyVRPSolver` runs it;
- **random ruin**: the loop above, the k customers drawn uniformly;
- **distance ruin**: the same, a customer drawn with weight its mean distance to its customer
  neighbours in the route (a customer alone in its route gets the largest weight seen): the
  classical "worst removal", the control for the next arm;
- **model ruin**: the same with -log p in place of the distance (p:
  `vrp.neural.decode.successor_scores`, made symmetric, at least 1e-4): the edges the policy
  would not have taken go first. Scoring's CPU time comes out of the budget.

The gap of a run is its cost over the best cost of any run on that instance, minus 1; the
table gives the mean over instances and seeds and the mean number of iterations. Runs
without a feasible plan are counted as missing. CPU time: about variants x count x seeds x 4 x
sum(budgets).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
import warnings
from collections import defaultdict
from statistics import mean

import numpy as np

from vrp.benchmark.arguments import positive_floats
from vrp.benchmark.report import markdown_table
from vrp.benchmark.runner import code_version, machine, machine_text
from vrp.errors import InputError
from vrp.model.evaluate import evaluate
from vrp.model.generate import generate_many
from vrp.model.instance import Instance
from vrp.model.variants import parse_variant_list
from vrp.solvers import Budget

# the adapter's own mapping, so that every arm solves the very problem `PyVRPSolver` solves
from vrp.solvers.pyvrp import _forbid, _found, _problem, _Scale, _Stop, neighbours

ARMS = ("pyvrp", "random ruin", "distance ruin", "model ruin")


class RuinRecreate:
    """A search method for `pyvrp.IteratedLocalSearch`: ruin, cheapest reinsertion, then
    PyVRP's local search ``ls`` over the whole solution. ``weigh(routes) -> [num_clients]``
    gives the chance of each customer to be removed (None: uniform)."""

    def __init__(self, data, ls, weigh, seed: int, k_min: int = 5, k_max: int = 20):
        self.data, self.ls, self.weigh = data, ls, weigh
        self.rng = np.random.default_rng(seed)
        self.dist = np.asarray(data.distance_matrix(0), dtype=float)
        self.k = (k_min, k_max)

    def __call__(self, solution, cost_evaluator, exhaustive: bool = False):
        from pyvrp import Route, Solution

        if exhaustive:  # the ILS asks for this after a new best: PyVRP's own
            return self.ls(solution, cost_evaluator, exhaustive=True)
        D = self.data.num_depots
        routes = [
            (r.vehicle_type(), r.start_depot(), [a.idx for a in r if a.is_client()])
            for r in solution.routes()
        ]
        served = np.array(sorted(c for _, _, cs in routes for c in cs))
        k = min(int(self.rng.integers(self.k[0], self.k[1] + 1)), served.size)
        p = None
        if self.weigh is not None:
            w = self.weigh(routes)[served]
            p = w / w.sum()
        drop = self.rng.choice(served, k, replace=False, p=p)
        gone = set(drop.tolist())
        routes = [(t, d, [c for c in cs if c not in gone]) for t, d, cs in routes]
        for c in self.rng.permutation(drop).tolist():
            best = (np.inf, 0, 0)
            for i, (_, depot, cs) in enumerate(routes):
                nodes = np.array([depot, *(D + x for x in cs), depot])
                add = (
                    self.dist[nodes[:-1], D + c]
                    + self.dist[D + c, nodes[1:]]
                    - self.dist[nodes[:-1], nodes[1:]]
                )
                j = int(add.argmin())
                if add[j] < best[0]:
                    best = (add[j], i, j)
            routes[best[1]][2].insert(best[2], c)
        rebuilt = Solution(self.data, [Route(self.data, cs, t) for t, _, cs in routes if cs])
        return self.ls(rebuilt, cost_evaluator, exhaustive=True)


def edge_weights(cost: np.ndarray):
    """``weigh`` for `RuinRecreate` from edge costs ``cost [n, n]`` between customers: a
    customer's mean cost over the edges to its customer neighbours in its route."""

    def weigh(routes) -> np.ndarray:
        total, count = np.zeros(len(cost)), np.zeros(len(cost))
        for _, _, cs in routes:
            for a, b in zip(cs[:-1], cs[1:], strict=False):
                total[[a, b]] += cost[a, b]
                count[[a, b]] += 1
        w = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
        w[count == 0] = w.max(initial=0.0)  # alone in its route
        return w + 1e-6

    return weigh


def run(inst: Instance, budget: float, seed: int, arm: str, weigh) -> tuple[float | None, int]:
    """(cost, iterations) of one run; cost None without a feasible plan."""
    from pyvrp import RandomNumberGenerator, SolveParams
    from pyvrp import Solution as PyVRPSolution
    from pyvrp.exceptions import PenaltyBoundWarning
    from pyvrp.IteratedLocalSearch import IteratedLocalSearch
    from pyvrp.PenaltyManager import PenaltyManager
    from pyvrp.search import (
        LocalSearch,
        NeighbourhoodParams,
        PerturbationManager,
        compute_neighbours,
    )

    sc = _Scale.of(inst)
    data, forbidden = _problem(inst, sc), _forbid(inst)
    cap = int(data.distance_matrix(0)[forbidden].min()) if forbidden.any() else 2**62
    stop = _Stop(Budget(budget), None, sc.distance * sc.cost, cap)
    params = SolveParams(
        neighbourhood=NeighbourhoodParams(num_neighbours=neighbours(inst.num_customers))
    )
    rng = RandomNumberGenerator(seed=seed)
    near = compute_neighbours(data, params.neighbourhood)
    ls = LocalSearch(data, rng, near, PerturbationManager(params.perturbation))
    for op in params.operators:
        if op.supports(data):
            ls.add_operator(op(data))
    pm = PenaltyManager(params.penalty.midpoint_penalties(data), params.penalty)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        init = ls(PyVRPSolution.make_random(data, rng), pm.max_cost_evaluator(), exhaustive=True)
        search = ls if arm == "pyvrp" else RuinRecreate(data, ls, weigh, seed)
        result = IteratedLocalSearch(data, pm, search, init, params.ils).run(stop, False, False)
    found = _found(inst, result.best, [], forbidden)
    ev = None if found is None else evaluate(inst, found)
    return (ev.cost if ev is not None and ev.feasible else None), result.num_iterations


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--variants", default="cvrp,vrptw,vrpb,vrpmbtw,mdvrptw,ovrpltw")
    p.add_argument("--size", type=int, default=100, help="customers per instance")
    p.add_argument("--budgets", type=positive_floats, default=[0.3, 1.0], help="CPU s per run")
    p.add_argument("--count", type=int, default=3, help="instances per variant")
    p.add_argument("--seeds", type=int, default=3, help="seeds per arm")
    p.add_argument("--checkpoint", help="policy (default: the one `vrp solve` picks)")
    args = p.parse_args()
    if min(args.count, args.seeds, args.size) < 1:
        p.error("--count, --seeds and --size: at least 1")

    import torch

    from vrp.neural.checkpoint import load_policy
    from vrp.neural.decode import successor_scores
    from vrp.solvers.neural import pick_checkpoint

    torch.set_num_threads(1)
    policies = {}  # checkpoint path -> policy, each loaded once
    try:
        variants = parse_variant_list(args.variants)
        if args.checkpoint:
            policies[str(args.checkpoint)] = load_policy(args.checkpoint).policy.eval()
    except InputError as e:
        p.exit(1, f"error: {e}\n")
    rows, overall = [], defaultdict(list)
    for variant in variants:
        instances = generate_many(variant, args.size, args.count, seed=1)
        path = str(args.checkpoint or pick_checkpoint(instances[0]))
        if path not in policies:
            policies[path] = load_policy(path).policy.eval()
        policy = policies[path]
        successor_scores(policy, instances[0])  # warm-up: not charged
        gaps, its, missing = defaultdict(list), defaultdict(list), defaultdict(int)
        for inst in instances:
            c0 = time.process_time()
            p = successor_scores(policy, inst)
            by_model = edge_weights(-np.log(np.clip((p + p.T) / 2, 1e-4, 1.0)))
            scoring = time.process_time() - c0
            D = inst.num_depots
            weighs = {"model ruin": by_model, "distance ruin": edge_weights(inst.distances[D:, D:])}
            runs = []
            for b in args.budgets:
                for arm in ARMS:
                    left = b - scoring if arm == "model ruin" else b
                    for seed in range(args.seeds):
                        w = weighs.get(arm)
                        runs.append((arm, b, *run(inst, left, seed, arm, w)))
            best = min(c for *_, c, _ in runs if c is not None)
            for arm, b, c, n_it in runs:
                its[(arm, b)].append(n_it)
                if c is None:
                    missing[(arm, b)] += 1
                else:
                    gaps[(arm, b)].append(c / best - 1)
                    overall[(arm, b)].append(c / best - 1)
            print(f"{inst.name}: scoring {scoring:.3f} CPU s", file=sys.stderr, flush=True)
        for b in args.budgets:
            rows.append(
                [variant, f"{b:g}"]
                + [_cell(gaps[(a, b)], its[(a, b)], missing[(a, b)]) for a in ARMS]
            )
    for b in args.budgets:
        rows.append(["**all**", f"{b:g}"] + [_cell(overall[(a, b)], [], 0) for a in ARMS])
    command = "scripts/neural_ruin.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    print(f"`{command.strip()}`\n")
    print(markdown_table(["variant", "budget (CPU s)", *ARMS], rows))
    print(
        f"\nn = {args.size}. Mean gap to the best cost any run found on the instance, over "
        f"{args.count} instances x {args.seeds} seeds, and (it) the mean iterations of the "
        f"iterated local search; (m missing) counts runs without a feasible plan. Model: "
        f"{', '.join(sorted(policies))}. Machine: {machine_text(machine())}; code {code_version()}."
    )
    return 0


def _cell(gaps: list[float], its: list[int], missing: int) -> str:
    text = f"{100 * mean(gaps):.2f} %" if gaps else "-"
    if its:
        text += f" ({mean(its):.0f} it)"
    return text + (f" ({missing} missing)" if missing else "")


if __name__ == "__main__":
    sys.exit(main())
