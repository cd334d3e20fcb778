"""Time writing and reading a FORMAT.md instance with two N x N matrices, both ways in one run:
the standard library (``json.dump(..., indent=1)``, ``json.loads``: what vrp did before) and
`vrp.formats.io` (orjson, a matrix row per line).

    .venv/bin/python scripts/io_timing.py -n 5000

The matrices are random road-like values (metres and seconds with one decimal, as OSRM gives
them); the instance has N - 1 customers at random points. Prints one line per step: wall and
CPU seconds and the file size. docs/solvers.md quotes its output.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from vrp.formats.io import instance_from_dict, instance_to_dict, read_instance, write_instance


def timed(label: str, fn, path: Path | None = None):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    w, c = time.perf_counter() - w, time.process_time() - c
    size = f", {os.path.getsize(path) / 1e6:.0f} MB" if path is not None else ""
    print(f"{label:<34} {w:6.1f} s wall {c:6.1f} s CPU{size}", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=5000, help="customers (matrices are n + 1 square)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    n = args.n + 1
    rng = np.random.default_rng(args.seed)
    dist = np.round(rng.uniform(0, 20000, (n, n)), 1)
    dur = np.round(dist / rng.uniform(5, 15, (n, n)), 1)
    np.fill_diagonal(dist, 0)
    np.fill_diagonal(dur, 0)
    data = {
        "name": f"io-timing-n{args.n}",
        "depots": [{"location": [0.0, 0.0]}],
        "customers": [
            {"location": [float(x), float(y)], "delivery": 1}
            for x, y in rng.uniform(0, 1e4, (n - 1, 2))
        ],
        "vehicles": {"capacity": 100},
        "distance_matrix": dist.tolist(),
        "duration_matrix": dur.tolist(),
    }
    inst = instance_from_dict(data)
    del data
    print(f"n = {args.n}: two {n} x {n} matrices", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        old, new = Path(tmp) / "stdlib.json", Path(tmp) / "vrp.json"

        def write_stdlib() -> None:
            with open(old, "w") as fh:
                json.dump(instance_to_dict(inst), fh, indent=1, allow_nan=False)

        timed("write, standard library", write_stdlib, old)
        timed("read, standard library", lambda: instance_from_dict(json.loads(old.read_text())))
        old.unlink()
        timed("write, vrp.formats.io", lambda: write_instance(inst, new), new)
        again = timed("read, vrp.formats.io", lambda: read_instance(new))
    assert np.array_equal(again.distance_matrix, inst.distance_matrix)
    assert np.array_equal(again.duration_matrix, inst.duration_matrix)


if __name__ == "__main__":
    main()
