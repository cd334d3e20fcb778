"""How long `vrp simulate` takes: 1,000 samples of a 200-customer plan (docs/uncertainty.md).

    .venv/bin/python scripts/simulate_timing.py [--samples 1000] [--repeat 7]

Plans: a generated 200-customer VRPTW instance solved by PyVRP (2 CPU s, seed 0), and the same
customers on one single route (the worst case for the simulator, which steps along the
longest route). Each `simulate` call is timed ``--repeat`` times (wall clock, one process,
after one warm-up call); the table gives the median and the fastest, in milliseconds, with
the noise model and the plan's shape. Output: a markdown table on stdout.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

from vrp.benchmark.runner import machine, machine_text
from vrp.model.generate import generate
from vrp.model.solution import Solution
from vrp.solvers import solve
from vrp.uncertainty.noise import DEFAULT, NONE
from vrp.uncertainty.simulate import simulate


def _time(fn, repeat: int) -> tuple[float, float]:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()

    inst = generate("vrptw", 200, seed=0)
    plan = solve(inst, "pyvrp", 2.0, 0).solution
    assert plan is not None
    one = Solution.from_lists([list(inst.customers)])
    rows = []
    for label, sol in (("PyVRP plan", plan), ("one route", one)):
        longest = max(len(r) for r in sol.routes)
        for model in (DEFAULT, NONE):
            med, best = _time(
                lambda s=sol, m=model: simulate(inst, s, args.samples, 0, m), args.repeat
            )
            rows.append(
                f"| {label} | {len(sol.routes)} | {longest} | {model.name} | {args.samples} "
                f"| {1000 * med:.1f} | {1000 * best:.1f} |"
            )
    print(f"machine: {machine_text(machine())}, Python {platform.python_version()}; "
          f"instance {inst.name}\n")  # fmt: skip
    print("| plan | routes | longest route | noise | samples | median ms | fastest ms |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
