"""envs: the unified TensorDict environment for all 48 VRP variants (rl4co roles).

- `VRPEnv`, `initial_state` (envs.mtvrp): reset / step / action mask / reward; the module
  docstring of envs.mtvrp is the one description of the TensorDict keys and shapes.
- `VRPGenerator` (envs.generator): mixed-variant batches, unit square or a `MatrixPool`.
- `MatrixPool`, `synthetic_pool`, `unit_scale`, `local_projection` (envs.pool): point pools
  with asymmetric matrices and the scaling into environment units.
- `VARIANT_NAMES`, `variant_index`, `variant_names`, `parse_flags` (envs.flags).
- `rollout`, `uniform_policy` (envs.rollout): drive an environment with a simple policy.

This package speaks only tensors: it imports nothing from `vrp` or `cli`.
"""

from envs.flags import VARIANT_NAMES, Flags, parse_flags, variant_index, variant_names
from envs.generator import VRPGenerator, capacity_for
from envs.mtvrp import VRPEnv, initial_state
from envs.pool import MatrixPool, UnitScale, local_projection, synthetic_pool, unit_scale
from envs.rollout import rollout, uniform_policy

__all__ = [
    "VARIANT_NAMES",
    "Flags",
    "MatrixPool",
    "UnitScale",
    "VRPEnv",
    "VRPGenerator",
    "capacity_for",
    "initial_state",
    "local_projection",
    "parse_flags",
    "rollout",
    "synthetic_pool",
    "uniform_policy",
    "unit_scale",
    "variant_index",
    "variant_names",
]
