"""Build a road-matrix pool for RL training (RRNCO-style): road points of a prepared OSRM region
with their asymmetric distance and duration tables, saved as an `envs.pool.MatrixPool`.

    .venv/bin/python scripts/make_pool.py monaco 600 pools/monaco-600.npz

Points are drawn along the region's roads (`vrp.roads.city.road_table`: snapped, mutually
reachable), the table comes from a local osrm-routed started for the duration, and the pool
is stored in environment units (`envs.pool.unit_scale`). Train on it with
``vrp train --pool pools/monaco-600.npz --matrix-share 0.25``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from envs.pool import MatrixPool
from vrp.roads.city import road_table
from vrp.roads.osrm import connect, load_region


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("region", help="a region prepared with `vrp osrm prepare`")
    parser.add_argument("points", type=int, help="pool size")
    parser.add_argument("out", type=Path, help=".npz file to write")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    region = load_region(args.region)
    with connect(region=region) as client:
        table = road_table(client, region, args.points, np.random.default_rng(args.seed))
    pool = MatrixPool.from_arrays(table.snapped, table.distances, table.durations, lonlat=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    pool.save(args.out)
    d = pool.distance.numpy()
    asym = np.abs(d - d.T).mean() / d.mean()
    print(f"{args.out}: {pool.size} points, mean |d - d^T| / mean d = {asym:.3f}")


if __name__ == "__main__":
    main()
