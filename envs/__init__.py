"""envs: the unified TensorDict environment for all 48 VRP variants (rl4co roles).

- `VRPRules`, `initial_state` (envs.mtvrp): reset / step / action mask / reward; the module
  docstring of envs.mtvrp is the one description of the TensorDict keys and shapes.
- `VRPEnv` (envs.env): the same as an rl4co environment, with a generator (training).
- `repeat_batch`, `split_batch`, `gather_rows`, `dihedral_8` (envs.ops): the multi-start
  batch layout and the symmetries of the unit square.
- `VRPGenerator` (envs.generator): mixed-variant batches, unit square or a `MatrixPool`.
- `MatrixPool`, `synthetic_pool`, `unit_scale` (envs.pool): point pools
  with asymmetric matrices and the scaling into environment units.
- `VARIANT_NAMES`, `variant_index`, `variant_names` (envs.flags): the variant of each instance.
- `rollout`, `uniform_policy` (envs.rollout): drive an environment with a simple policy.

`VRPEnv` and `VRPGenerator`, which subclass rl4co's classes, are imported on first use
(`__getattr__`): decoding needs torch and tensordict only, and rl4co (with torchrl and
lightning) doubled the start-up of a neural solve. This package speaks only
tensors: it imports nothing from `vrp` or `cli`; the definitions it shares with `vrp`
(variants, distributions, distances) come from `vrpspec`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from envs.flags import VARIANT_NAMES, variant_index, variant_names
from envs.mtvrp import VRPRules, initial_state
from envs.ops import dihedral_8, gather_rows, repeat_batch, split_batch
from envs.pool import MatrixPool, UnitScale, synthetic_pool, unit_scale
from envs.rollout import rollout, uniform_policy

if TYPE_CHECKING:
    from envs.env import VRPEnv
    from envs.generator import VRPGenerator

__all__ = [
    "MatrixPool",
    "UnitScale",
    "VARIANT_NAMES",
    "VRPEnv",
    "VRPGenerator",
    "VRPRules",
    "dihedral_8",
    "gather_rows",
    "initial_state",
    "repeat_batch",
    "rollout",
    "split_batch",
    "synthetic_pool",
    "uniform_policy",
    "unit_scale",
    "variant_index",
    "variant_names",
]


def __getattr__(name: str) -> Any:
    """`VRPEnv` and `VRPGenerator` (rl4co's subclasses) are imported on first use."""
    if name == "VRPEnv":
        from envs.env import VRPEnv

        return VRPEnv
    if name == "VRPGenerator":
        from envs.generator import VRPGenerator

        return VRPGenerator
    raise AttributeError(f"module 'envs' has no attribute {name!r}")
