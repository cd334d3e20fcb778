"""`VRPEnv`: the unified environment (`envs.mtvrp.VRPRules`) as an rl4co environment, with a
generator that draws training batches when `reset` gets no data."""

from __future__ import annotations

import torch
from rl4co.envs.common.base import RL4COEnvBase
from tensordict import TensorDict

from envs.generator import VRPGenerator
from envs.mtvrp import VRPRules, initial_state


class VRPEnv(VRPRules, RL4COEnvBase):
    """The unified VRP environment (keys, actions and rules: the docstring of `envs.mtvrp`).

    `VRPRules` supplies reset, step, mask and reward (ahead of rl4co's in the method order);
    rl4co's base makes it an environment its training code accepts.

    Args:
        generator: draws training batches when `reset` gets no data; a mixed-variant
            `VRPGenerator` over 50 customers by default.
        check_solution: replay every action sequence given to `get_reward` and raise
            ``ValueError`` if it breaks the mask (slow; for tests and debugging).
        device: where generated batches go; given data keeps its own device.
        seed: handed to rl4co, which seeds torch's global generator with it (with a random
            draw when None); `envs.mtvrp.initial_state` needs no environment object.
    """

    name = "vrp48"

    def __init__(
        self,
        generator: VRPGenerator | None = None,
        check_solution: bool = False,
        device: str | torch.device = "cpu",
        seed: int | None = None,
    ):
        RL4COEnvBase.__init__(self, check_solution=check_solution, device=device, seed=seed)
        self.generator = generator if generator is not None else VRPGenerator()

    def reset(self, td: TensorDict | None = None, batch_size=None) -> TensorDict:  # type: ignore[override]
        """The first state of ``td`` (instance keys), or of a fresh batch from the generator.

        Tensors stay on ``td``'s device. Unlike torchrl's reset this adds no ``terminated``
        key and keeps ``done`` as ``[B]``, as `step` does.
        """
        if td is None or td.is_empty():
            if batch_size is None:
                batch_size = self.batch_size
            td = self.generator(batch_size).to(self.device)
        return initial_state(td)

    def _reset(self, td: TensorDict | None = None, batch_size=None) -> TensorDict:
        assert td is not None
        return initial_state(td)
