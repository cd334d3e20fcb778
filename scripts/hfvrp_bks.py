"""The best-known costs of the HFVRP set in our units: ``docs/data/hfvrp/bks.csv``.

    .venv/bin/python scripts/hfvrp_bks.py [--shared ../shared]

``../shared/benchmarks/hfvrp/bks.csv`` copies each ``.sol`` file's ``Cost`` line, and 26 of
the 67 state it in PyVRP's ``exact`` units (10^5 times ours, each arc rounded: see
`vrp.formats.vrplib`). This script reads every ``.sol`` with its instance, checks that
`evaluate()` finds it feasible at its stated cost (relative 1e-6, after that conversion) and
writes the cost `evaluate()` gives its routes, to two decimals, as the ``bks`` column, so
that ``vrp benchmark --reference docs/data/hfvrp/bks.csv`` measures gaps in our units.
A second of CPU time.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import sys
from pathlib import Path

from vrp.formats.vrplib import read_external, read_external_solution
from vrp.model.evaluate import evaluate

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "data" / "hfvrp" / "bks.csv"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    default = os.environ.get("VRP_SHARED") or str(ROOT.parent / "shared")
    parser.add_argument("--shared", default=default, help="the shared folder")
    args = parser.parse_args()
    folder = Path(args.shared) / "benchmarks" / "hfvrp"
    rows = []
    for vrp_file in sorted(folder.glob("*.vrp")):
        inst = read_external(vrp_file)
        published = read_external_solution(vrp_file.with_suffix(".sol"), instance=vrp_file)
        ev = evaluate(inst, published.solution)
        stated = published.cost
        if not ev.feasible or stated is None or not math.isclose(ev.cost, stated, rel_tol=1e-6):
            print(f"{vrp_file.name}: cost {ev.cost} against {stated}, feasible {ev.feasible}")
            return 1
        rows.append(
            {
                "instance": inst.name,
                "n_customers": inst.num_customers,
                "kind": inst.name.split("-")[1],
                "bks": f"{ev.cost:.2f}",
                "routes_in_bks": len(published.solution),
            }
        )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print(f"{OUT.relative_to(ROOT)}: {len(rows)} instances", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
