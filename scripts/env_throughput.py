"""Step throughput of the RL environment: random rollouts of mixed-variant batches.

    .venv/bin/python scripts/env_throughput.py --batch 512 --num-loc 100 --episodes 3

Prints, per episode, the steps taken, the time inside ``env.step`` (state update + mask) and
the time of the whole rollout (with the uniform random policy), then the median figures.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import torch

from envs import VRPEnv, VRPGenerator, synthetic_pool, uniform_policy, variant_names


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--batch", type=int, default=512)
    p.add_argument("--num-loc", type=int, default=100)
    p.add_argument("--variants", default="all", help='"all" or a variant name')
    p.add_argument("--pool", action="store_true", help="draw from a synthetic matrix pool")
    p.add_argument("--episodes", type=int, default=3)
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--device", default="cpu")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    dtype = getattr(torch, a.dtype)
    pool = synthetic_pool(1000, seed=0) if a.pool else None
    gen = VRPGenerator(a.num_loc, a.variants, pool=pool, dtype=dtype, seed=0)
    env = VRPEnv(gen, device=a.device)
    policy = uniform_policy()
    sync = torch.cuda.synchronize if a.device.startswith("cuda") else (lambda: None)

    print(
        f"batch {a.batch}, n={a.num_loc}, variants {a.variants}, pool {a.pool}, {a.dtype}, "
        f"device {a.device}, torch threads {torch.get_num_threads()}",
        file=sys.stderr,
    )
    rows = []
    for ep in range(a.episodes):
        td = gen(a.batch).to(a.device)
        if ep == 0:
            print(f"variants in batch: {len(set(variant_names(td)))}", file=sys.stderr)
        sync()
        t0 = time.perf_counter()
        td = env.reset(td)
        sync()
        t_reset = time.perf_counter() - t0
        t_step, steps = 0.0, 0
        t1 = time.perf_counter()
        while not td["done"].all():
            td.set("action", policy(td))
            sync()
            s = time.perf_counter()
            td = env.step(td)["next"]
            sync()
            t_step += time.perf_counter() - s
            steps += 1
        t_all = time.perf_counter() - t1
        rows.append((steps, t_reset, t_step, t_all))
        print(
            f"episode {ep}: {steps} steps, reset {t_reset * 1e3:.1f} ms, "
            f"step {t_step / steps * 1e3:.2f} ms/step ({steps / t_step:.0f} steps/s, "
            f"{a.batch * steps / t_step:,.0f} instance-steps/s), "
            f"rollout {t_all:.2f} s",
        )
    med = [statistics.median(r[k] for r in rows) for k in range(4)]
    steps, _, t_step, t_all = med
    print(
        f"median: {steps / t_step:.0f} steps/s = {a.batch * steps / t_step:,.0f} instance-steps/s "
        f"in env.step; a full random rollout of the batch takes {t_all:.2f} s"
    )


if __name__ == "__main__":
    main()
