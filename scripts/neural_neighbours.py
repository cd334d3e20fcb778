"""The neural model as PyVRP's candidate neighbourhood, at equal CPU time (issue 22, item 5).

    nice -n 15 .venv/bin/python scripts/neural_neighbours.py \\
        --variants cvrp,vrptw,vrpb,vrpmbtw,mdvrptw,ovrpltw --sizes 100,200 \\
        --budgets 0.3,1 --count 3 --seeds 3 --k 20 > table.md

(the defaults). PyVRP's local search and perturbation only try to put a customer next to its
granular neighbours: by default the ``neighbours(n)`` (50) customers nearest by distance and,
with time windows, wait and time warp. NeuroLKH learns such candidate lists; here the
trained policy supplies them instead: `vrp.neural.decode.successor_scores`, the probability
that the policy goes from customer i straight to customer j when a route begins at i
(averaged over the 8 symmetries), made symmetric (p_ij + p_ji), each customer keeping its k
best. For each variant and size, instances 0 to count - 1 of ``generate_many(variant, n,
count, seed=1)``, and on each, at each budget B, for PyVRP seeds 0 to seeds - 1:

- **pyvrp**: `PyVRPSolver` as shipped (``neighbours(n)`` by proximity);
- **proximity-k**: PyVRP's own proximity lists cut to k (`proximity_neighbours`);
- **neural-k**: the policy's k; the CPU time of scoring (policy loaded and warmed up before)
  comes out of B;
- **neural-k free**: the same lists, scoring not charged: what the lists are worth at best;
- **rerank-k**: PyVRP's 2k nearest, the k the policy scores highest among them (charged).

The gap of a run is its cost over the best cost of ANY run on that instance in this run,
minus 1; the table gives the mean over instances and seeds. A run with no feasible plan, or
with no time left after scoring, is counted as missing. CPU time: about variants x sizes x
count x seeds x 5 x sum(budgets).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections import defaultdict
from statistics import mean

import numpy as np

from vrp.benchmark.arguments import positive_floats, positive_ints
from vrp.benchmark.report import markdown_table
from vrp.benchmark.runner import code_version, machine, machine_text
from vrp.errors import InputError
from vrp.model.evaluate import evaluate
from vrp.model.generate import generate_many
from vrp.model.instance import Instance
from vrp.model.variants import parse_variant_list
from vrp.solvers import Budget
from vrp.solvers.pyvrp import PyVRPSolver, proximity_neighbours

DEFAULT_VARIANTS = "cvrp,vrptw,vrpb,vrpmbtw,mdvrptw,ovrpltw"


def top_k(scores: np.ndarray, k: int) -> list[list[int]]:
    """Each customer's ``k`` highest-scoring others (``scores [n, n]``, larger is nearer)."""
    s = scores.astype(float).copy()
    np.fill_diagonal(s, -np.inf)
    order = np.argsort(-s, axis=1, kind="stable")[:, : min(k, s.shape[0] - 1)]
    return order.tolist()


def rerank(candidates: list[list[int]], scores: np.ndarray, k: int) -> list[list[int]]:
    """Each customer's ``k`` candidates that ``scores`` ranks highest, ties in list order."""
    return [sorted(c, key=lambda j, i=i: -scores[i, j])[:k] for i, c in enumerate(candidates)]


def _cost(inst: Instance, sol) -> float | None:
    if sol is None:
        return None
    ev = evaluate(inst, sol)
    return ev.cost if ev.feasible else None


def measure(inst: Instance, policy, args) -> list[tuple[str, float, float | None]]:
    """(arm, budget, cost) of every run on ``inst``."""
    from vrp.neural.decode import successor_scores

    c0 = time.process_time()
    p = successor_scores(policy, inst)
    near = top_k(p + p.T, args.k)
    scoring = time.process_time() - c0
    c0 = time.process_time()
    reranked = rerank(proximity_neighbours(inst, 2 * args.k), p + p.T, args.k)
    scoring_rerank = scoring + time.process_time() - c0
    arms = {
        "pyvrp": (0.0, None),
        f"proximity-{args.k}": (0.0, proximity_neighbours(inst, args.k)),
        f"neural-{args.k}": (scoring, near),
        f"neural-{args.k} free": (0.0, near),
        f"rerank-{args.k}": (scoring_rerank, reranked),
    }
    runs = []
    for b in args.budgets:
        for arm, (charge, lists) in arms.items():
            for seed in range(args.seeds):
                left = b - charge
                sol = None
                if left > 0:
                    sol = PyVRPSolver().solve(inst, Budget(left), seed, neighbourhood=lists)
                runs.append((arm, b, _cost(inst, sol)))
    firsts = runs[:: args.seeds]
    print(
        f"{inst.name}: scoring {scoring:.3f} CPU s; "
        + ", ".join(f"{a}@{b:g}={c if c is None else round(c, 3)}" for a, b, c in firsts),
        file=sys.stderr,
        flush=True,
    )
    return runs


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--variants", default=DEFAULT_VARIANTS, help="comma-separated variant names")
    p.add_argument("--sizes", type=positive_ints, default=[100, 200])
    p.add_argument("--budgets", type=positive_floats, default=[0.3, 1.0], help="CPU s per run")
    p.add_argument("--count", type=int, default=3, help="instances per variant and size")
    p.add_argument("--seeds", type=int, default=3, help="PyVRP seeds per arm")
    p.add_argument("--k", type=int, default=20, help="neighbours per customer")
    p.add_argument("--checkpoint", help="policy (default: the one `vrp solve` picks)")
    args = p.parse_args()
    if args.count < 1 or args.seeds < 1 or args.k < 1:
        p.error("--count, --seeds and --k: at least 1")

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
    arms: list[str] = []
    for n in args.sizes:
        for variant in variants:
            instances = generate_many(variant, n, args.count, seed=1)
            path = str(args.checkpoint or pick_checkpoint(instances[0]))
            if path not in policies:
                policies[path] = load_policy(path).policy.eval()
            policy = policies[path]
            successor_scores(policy, instances[0])  # warm-up: not charged
            gaps: dict[tuple[str, float], list[float]] = defaultdict(list)
            missing: dict[tuple[str, float], int] = defaultdict(int)
            for inst in instances:
                runs = measure(inst, policy, args)
                best = min(c for _, _, c in runs if c is not None)
                for arm, b, c in runs:
                    if arm not in arms:
                        arms.append(arm)
                    if c is None:
                        missing[(arm, b)] += 1
                    else:
                        gaps[(arm, b)].append(c / best - 1)
                        overall[(n, arm, b)].append(c / best - 1)
            for b in args.budgets:
                rows.append(
                    [variant, str(n), f"{b:g}"]
                    + [_cell(gaps[(a, b)], missing[(a, b)]) for a in arms]
                )
    for n in args.sizes:
        for b in args.budgets:
            rows.append(
                ["**all**", str(n), f"{b:g}"] + [_cell(overall[(n, a, b)], 0) for a in arms]
            )
    command = "scripts/neural_neighbours.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    print(f"`{command.strip()}`\n")
    print(markdown_table(["variant", "n", "budget (CPU s)", *arms], rows))
    print(
        f"\nMean gap to the best cost any run found on the instance, over {args.count} "
        f"instances x {args.seeds} PyVRP seeds; (m missing) counts runs without a feasible "
        f"plan, or whose scoring took the whole budget. Model: {', '.join(sorted(policies))}. "
        f"Machine: {machine_text(machine())}; "
        f"code {code_version()}."
    )
    return 0


def _cell(gaps: list[float], missing: int) -> str:
    text = f"{100 * mean(gaps):.2f} %" if gaps else "-"
    return text + (f" ({missing} missing)" if missing else "")


if __name__ == "__main__":
    sys.exit(main())
