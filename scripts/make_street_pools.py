"""Build road-matrix pools of synthetic cities (`envs.streets`) for RL training, one per seed.

    .venv/bin/python scripts/make_street_pools.py 8 600 pools/   # pools/streets-0.npz ... -7

Each city is drawn from its seed (a grid or an organic street plan, one-way streets,
arterials; see `envs.streets`), and its pool is stored in environment units like those of
`scripts/make_pool.py`. Train on them beside a real region's pool:
``vrp train --pool pools/monaco-600.npz,pools/streets-0.npz,... --matrix-share 0.25``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from envs.streets import street_pool


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, help="how many cities (seeds first-seed, ...)")
    parser.add_argument("points", type=int, help="pool size")
    parser.add_argument("out", type=Path, help="folder for streets-<seed>.npz")
    parser.add_argument("--first-seed", type=int, default=0)
    args = parser.parse_args()
    if args.count < 1 or args.points < 2:
        parser.error("count must be at least 1 and points at least 2")
    args.out.mkdir(parents=True, exist_ok=True)
    for seed in range(args.first_seed, args.first_seed + args.count):
        pool = street_pool(args.points, seed)
        path = args.out / f"streets-{seed}.npz"
        pool.save(path)
        d = pool.distance.numpy()
        asym = abs(d - d.T).mean() / d.mean()
        print(f"{path}: {pool.size} points, mean |d - d^T| / mean d = {asym:.3f}")


if __name__ == "__main__":
    main()
