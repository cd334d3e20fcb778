"""Drive a `VRPEnv` to the end with a simple policy (random rollouts, replays, benchmarks)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from tensordict import TensorDict

Policy = Callable[[TensorDict], torch.Tensor]


def uniform_policy(generator: torch.Generator | None = None) -> Policy:
    """A policy that picks uniformly among the allowed actions."""

    def act(td: TensorDict) -> torch.Tensor:
        mask = td["action_mask"]
        weights = mask.to(torch.float64 if mask.device.type == "cpu" else torch.float32)
        if generator is not None and generator.device != mask.device:
            # a generator lives on one device: draw there, then move
            return torch.multinomial(weights.cpu(), 1, generator=generator)[:, 0].to(mask.device)
        return torch.multinomial(weights, 1, generator=generator)[:, 0]

    return act


def rollout(
    env, td: TensorDict, policy: Policy, max_steps: int | None = None
) -> tuple[TensorDict, torch.Tensor]:
    """Step ``td`` (a reset state) until every instance is done.

    Returns the final state and the actions ``[B, T]``. ``max_steps`` defaults to
    ``2 * N + 1``, more than any episode needs (n customers, at most n route ends, one start
    move); exceeding it raises ``RuntimeError``.
    """
    limit = 2 * td["action_mask"].shape[-1] + 1 if max_steps is None else max_steps
    actions = []
    while not td["done"].all():
        if len(actions) >= limit:
            raise RuntimeError(f"rollout not done after {limit} steps")
        a = policy(td)
        actions.append(a)
        td.set("action", a)
        td = env.step(td)["next"]
    return td, torch.stack(actions, dim=1)
