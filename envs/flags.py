"""The variant of each instance of a batch, read from its tensors.

The 48 names, their flags and their order (``index = 24 * MD + 12 * TW + 6 * L + 2 * backhaul
+ O``, backhaul 0 none, 1 classic, 2 mixed) are defined once in `vrpspec.variants`.
"""

from __future__ import annotations

import torch
from tensordict import TensorDict

from vrpspec.variants import VARIANT_NAMES

__all__ = ["VARIANT_NAMES", "variant_index", "variant_names"]


def variant_index(td: TensorDict) -> torch.Tensor:
    """``[B]`` long: the index in `VARIANT_NAMES` of each instance of a batch (instance keys).

    Read from the data as FORMAT.md names variants: MD if several valid depots, B/M if any
    pickup, L if a finite limit, TW if any finite latest time or positive earliest time.
    """
    md = td["depot_valid"].sum(-1) > 1
    pickups = (td["pickup"] > 0).any(-1)
    backhaul = torch.where(pickups, 1 + td["mixed_backhaul"][..., 0].long(), 0)
    limit = torch.isfinite(td["distance_limit"][..., 0])
    tw = td["time_windows"]
    timed = torch.isfinite(tw[..., 1]).any(-1) | (tw[..., 0] > 0).any(-1)
    return (
        24 * md.long()
        + 12 * timed.long()
        + 6 * limit.long()
        + 2 * backhaul
        + (td["open_route"][..., 0].long())
    )


def variant_names(td: TensorDict) -> list[str]:
    """The variant name of each instance of a batch."""
    return [VARIANT_NAMES[i] for i in variant_index(td).tolist()]
