"""How asymmetric road matrices are: sampled road instances per region, and training instances
drawn from a pool.

Asymmetry is ``mean |d - d^T| / mean d`` over an instance's distance matrix (the policy's
global feature). For each region, the instances of ``vrp instance sample-city --region R
--variant cvrp -n N --seed 1`` (the first ``--count``); for ``--pool``, ``--count`` times 40
training instances of `envs.VRPGenerator` on that pool (seed 1), as quantiles; with several
pools (separated by commas, as ``vrp train --pool`` takes them), that many from each, the
quantiles over all of them::

    .venv/bin/python scripts/road_asymmetry.py --regions monaco,helsinki -n 50 --count 10 \\
        --pool pools/monaco-600.npz
    .venv/bin/python scripts/road_asymmetry.py --regions "" -n 50 --count 10 \\
        --pool pools/streets-0.npz,pools/streets-1.npz   # pools only
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np


def asymmetry(d: np.ndarray) -> float:
    off = ~np.eye(len(d), dtype=bool)
    return float(np.abs(d - d.T)[off].mean() / d[off].mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", default="monaco,helsinki")
    parser.add_argument("-n", type=int, default=50)
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--pool", default=None, help="pools (.npz), separated by commas")
    args = parser.parse_args()

    from vrp.errors import InputError
    from vrp.roads.city import sample_city
    from vrp.roads.osrm import connect, load_region

    names = list(filter(None, args.regions.split(",")))
    pools = args.pool.split(",") if args.pool else []
    try:
        missing = [p for p in pools if not Path(p).is_file()]
        if missing:
            raise InputError(f"no such pool file: {missing[0]}", field="--pool")
        regions = [load_region(name) for name in names]
    except InputError as e:
        parser.exit(1, f"error: {e}\n")
    for name, region in zip(names, regions, strict=True):
        with connect(region=region) as client:
            insts = sample_city(client, region, "cvrp", args.n, args.count, seed=1)
        a = [asymmetry(i.distances) for i in insts]
        print(
            f"{name}: {len(a)} instances of n = {args.n}, asymmetry mean {np.mean(a):.3f}, "
            f"from {min(a):.3f} to {max(a):.3f}"
        )
    if args.pool:
        from envs import VRPGenerator
        from envs.pool import MatrixPool

        a, whole = [], []
        for path in pools:
            pool = MatrixPool.load(path)
            td = VRPGenerator(args.n, "cvrp", pool=pool, seed=1)(40 * args.count)
            a += [asymmetry(d) for d in td["distance_matrix"].double().numpy()]
            whole.append(asymmetry(pool.distance.numpy()))
        q = np.quantile(a, [0.1, 0.5, 0.9, 0.99])
        print(
            f"pool {args.pool}: {len(a)} training instances of n = {args.n}, asymmetry "
            f"quantiles 10/50/90/99%: {' '.join(f'{x:.3f}' for x in q)}; the whole pool"
            f"{'s' if len(whole) > 1 else ''}: {', '.join(f'{x:.3f}' for x in whole)}"
        )


if __name__ == "__main__":
    main()
