"""Inference: many instances at once, greedy from every start, 8-fold symmetry augmentation.

Instances go through the bridge (`vrp.neural.bridge.to_batch`) in chunks of equal size; each
chunk is reset once, repeated under the 8 symmetries of the unit square (dihedral group:
rotations and reflections of the coordinates; the matrices of the reset state are kept, so costs are
those of the original instance) and decoded greedily from ``num_starts`` different first
customers (POMO), or sampled from them (``decode="sampling"`` at a ``temperature``: the
neural solver's later rounds when its budget has room, `vrp.solvers.neural`). Each instance
keeps the candidate with the best reward whose routes `evaluate()` finds feasible; the caller
scores what is returned with `evaluate()` again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np
import torch

from envs.mtvrp import VRPRules
from envs.ops import dihedral_8, repeat_batch
from vrp.model.evaluate import evaluate
from vrp.model.instance import Instance
from vrp.model.solution import Solution
from vrp.neural.bridge import to_batch, to_solution
from vrp.neural.policy import Policy

MAX_ROLLOUTS = 4096  # parallel rollouts per chunk (memory: ~100 KB each at n = 100)
ALONE_FROM = 256
"""Rollouts per instance from which instances are decoded one at a time: one instance
repeated for its starts and symmetries shares its matrices (a view), where a chunk of several
copies them for every rollout; at n = 100 from every start, 17 % less CPU time than chunks
of five, and as fast at n = 50 (one thread)."""
MAX_TRIES = 8  # candidates checked by evaluate() before the best one is returned as is


def solve_instances(
    policy: Policy,
    instances: Sequence[Instance],
    *,
    augment: int = 8,
    num_starts: int | None = None,
    device: str | torch.device = "cpu",
    max_rollouts: int = MAX_ROLLOUTS,
    decode: str = "greedy",
    temperature: float = 1.0,
) -> list[Solution]:
    """One solution per instance, in order.

    Args:
        policy: a trained policy (put in eval mode by the caller).
        instances: any mix of sizes and variants (grouped by size internally).
        augment: 1 (no augmentation) or 8 (the dihedral symmetries of the coordinates).
        num_starts: greedy rollouts per instance and symmetry, each from a different first
            customer; None for one per customer, 1 for a single greedy rollout.
        device: where to decode.
        max_rollouts: parallel rollouts per chunk (bounds memory), of instances that have
            fewer than `ALONE_FROM` each.
        decode: ``"greedy"`` or ``"sampling"`` (each step drawn from the policy's
            distribution, from torch's global random generator).
        temperature: of the sampling (`Policy.forward`).
    """
    if augment not in (1, 8):
        raise ValueError(f"augment must be 1 or 8, got {augment}")
    if decode not in ("greedy", "sampling"):
        raise ValueError(f"decode must be 'greedy' or 'sampling', got {decode!r}")
    if not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    groups: dict[int, list[int]] = defaultdict(list)
    for i, inst in enumerate(instances):
        groups[inst.num_customers].append(i)
    out: list[Solution | None] = [None] * len(instances)
    env = VRPRules()
    for n, idx in groups.items():
        starts = n if num_starts is None else max(1, min(num_starts, n))
        per = augment * starts
        chunk = 1 if per >= ALONE_FROM else max(1, max_rollouts // per)
        for lo in range(0, len(idx), chunk):
            part = idx[lo : lo + chunk]
            sols = _solve_chunk(
                policy,
                env,
                [instances[i] for i in part],
                augment,
                starts,
                device,
                decode,
                temperature,
            )
            for i, sol in zip(part, sols, strict=True):
                out[i] = sol
    return [s for s in out if s is not None]


@torch.inference_mode()
def _solve_chunk(
    policy: Policy,
    env: VRPRules,
    instances: list[Instance],
    augment: int,
    starts: int,
    device: str | torch.device,
    decode: str = "greedy",
    temperature: float = 1.0,
) -> list[Solution]:
    batch = to_batch(instances, device=device)
    td = env.reset(batch.td)
    B = len(instances)
    if augment > 1:
        td = repeat_batch(td, augment)  # [A*B], symmetry a of instance b at a * B + b
        td.set("locs", dihedral_8(td["locs"][:B]))
    out = policy(td, env, decode, num_starts=starts, temperature=temperature)
    # rollout (s, a, b) sits at s * A * B + a * B + b
    reward = out["reward"].view(starts, augment, B).permute(2, 1, 0).reshape(B, -1)
    T = out["actions"].shape[-1]
    actions = out["actions"].view(starts, augment, B, T).permute(2, 1, 0, 3).reshape(B, -1, T)
    order = reward.argsort(dim=1, descending=True).cpu()
    actions = actions.cpu()
    sols = []
    for b, inst in enumerate(instances):
        best = None
        for k in order[b, :MAX_TRIES].tolist():
            sol = to_solution(batch, b, actions[b, k].tolist())
            if best is None:
                best = sol
            if evaluate(inst, sol).feasible:
                best = sol
                break
        sols.append(best)
    return sols


@torch.inference_mode()
def successor_scores(policy: Policy, instance: Instance, augment: int = 8) -> np.ndarray:
    """``[n, n]``: how likely the policy is to visit customer j right after customer i.

    Row i is the policy's distribution over the next customer when a route has just begun at
    customer i (the state after that first move, masked as the environment masks it), averaged
    over ``augment`` symmetries; the diagonal is 0. A customer that cannot follow i there has
    probability 0. Used as a candidate neighbourhood for local search
    (`scripts/neural_neighbours.py`): one encoder pass and one decoding step of n starts.
    """
    if augment not in (1, 8):
        raise ValueError(f"augment must be 1 or 8, got {augment}")
    env = VRPRules()
    batch = to_batch([instance])
    td = env.reset(batch.td)
    K, n = batch.num_depot_slots, instance.num_customers
    if augment > 1:
        td = repeat_batch(td, augment)
        td.set("locs", dihedral_8(td["locs"][:1]))
    enc = policy.encode(td)
    first = (K + torch.arange(n))[:, None].expand(n, augment).reshape(-1)  # start-major
    td = repeat_batch(td, n)
    td.set("action", first)
    td = env.step(td)["next"]
    logits = policy.logits(enc, td, n).masked_fill(~td["action_mask"], float("-inf"))
    logits = logits.view(n, augment, -1)[:, :, K:]  # [from, symmetry, to] over customers
    logits[torch.arange(n), :, torch.arange(n)] = float("-inf")
    p = torch.nan_to_num(logits.float().softmax(-1), nan=0.0)  # all masked: a row of zeros
    return p.mean(1).cpu().numpy()
