"""envs: the unified TensorDict environment for all 48 VRP variants (rl4co roles).

- `VRPEnv`, `initial_state` (envs.mtvrp): reset / step / action mask / reward; the module
  docstring of envs.mtvrp is the one description of the TensorDict keys and shapes.
- `VRPGenerator` (envs.generator): mixed-variant batches, unit square or a `MatrixPool`.
- `MatrixPool`, `synthetic_pool`, `unit_scale` (envs.pool): point pools
  with asymmetric matrices and the scaling into environment units.
- `VARIANT_NAMES`, `variant_index`, `variant_names` (envs.flags): the variant of each instance.
- `rollout`, `uniform_policy` (envs.rollout): drive an environment with a simple policy.

This package speaks only tensors: it imports nothing from `vrp` or `cli`; the definitions it
shares with `vrp` (variants, distributions, distances) come from `vrpspec`.
"""

from envs.flags import VARIANT_NAMES, variant_index, variant_names
from envs.generator import VRPGenerator
from envs.mtvrp import VRPEnv, initial_state
from envs.pool import MatrixPool, UnitScale, synthetic_pool, unit_scale
from envs.rollout import rollout, uniform_policy

__all__ = [
    "VARIANT_NAMES",
    "MatrixPool",
    "UnitScale",
    "VRPEnv",
    "VRPGenerator",
    "initial_state",
    "rollout",
    "synthetic_pool",
    "uniform_policy",
    "unit_scale",
    "variant_index",
    "variant_names",
]
