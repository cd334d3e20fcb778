#!/usr/bin/env python
"""Our PyVRP adapter against PyVRP's own reader (and HGS-CVRP) on CVRPLIB files.

    .venv/bin/python scripts/compare_pyvrp_native.py 5 X-n101-k25 X-n153-k22

Checks that the adapter's scaling does not cost quality: the adapter and HGS run through
`vrp.solvers.solve` (CPU-second limits), native PyVRP on `pyvrp.read(path,
round_func="round")` with `MaxRuntime` (wall seconds); seed 1. Files are read from
/work/shared/benchmarks/cvrplib-x/.
"""

from __future__ import annotations

import sys
import warnings

from pyvrp import read
from pyvrp import solve as pyvrp_solve
from pyvrp.stop import MaxRuntime

from vrp.io import read_instance
from vrp.solvers import solve

X = "/work/shared/benchmarks/cvrplib-x"


def main() -> None:
    warnings.simplefilter("ignore")
    limit = float(sys.argv[1])
    print("| instance | adapter | pyvrp.read (native) | HGS-CVRP |")
    print("|---|---|---|---|")
    for name in sys.argv[2:]:
        path = f"{X}/{name}.vrp"
        inst = read_instance(path)
        ours = solve(inst, "pyvrp", limit, seed=1).cost
        hgs = solve(inst, "hgs", limit, seed=1).cost
        native = pyvrp_solve(read(path, round_func="round"), MaxRuntime(limit), seed=1).cost()
        print(f"| {name} | {ours:.0f} | {native:.0f} | {hgs:.0f} |", flush=True)


if __name__ == "__main__":
    main()
