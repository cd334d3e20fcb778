"""Variant names <-> attribute flags, in tensor land (``envs`` does not import ``vrp``).

The 48 names and their order are those of ``vrp.variants.all_variants`` (a test holds the two
together): index ``= 24 * MD + 12 * TW + 6 * L + 2 * backhaul + O`` with backhaul 0 none,
1 classic, 2 mixed.
"""

from __future__ import annotations

import itertools
import re
from typing import NamedTuple

import torch
from tensordict import TensorDict

_NAME = re.compile(r"^(md)?(o)?vrp(b|mb)?(l)?(tw)?$")


class Flags(NamedTuple):
    """The attributes of one variant; ``backhaul`` is 0 none, 1 classic, 2 mixed."""

    multi_depot: bool
    open: bool
    backhaul: int
    limit: bool
    time_windows: bool

    @property
    def name(self) -> str:
        md = "md" if self.multi_depot else ""
        if not (self.open or self.backhaul or self.limit or self.time_windows):
            return md + "cvrp"
        return (
            md
            + ("o" if self.open else "")
            + "vrp"
            + ("", "b", "mb")[self.backhaul]
            + ("l" if self.limit else "")
            + ("tw" if self.time_windows else "")
        )

    @property
    def index(self) -> int:
        return (
            24 * self.multi_depot
            + 12 * self.time_windows
            + 6 * self.limit
            + 2 * self.backhaul
            + self.open
        )


ALL_FLAGS: tuple[Flags, ...] = tuple(
    Flags(md, o, b, lim, tw)
    for md, tw, lim, b, o in itertools.product(
        (False, True), (False, True), (False, True), (0, 1, 2), (False, True)
    )
)
VARIANT_NAMES: tuple[str, ...] = tuple(f.name for f in ALL_FLAGS)


def parse_flags(name: str) -> Flags:
    """The flags of a variant name such as ``cvrp``, ``ovrpbltw`` or ``mdvrpmb``."""
    key = name.strip().lower()
    if key in ("cvrp", "mdcvrp"):
        return Flags(key == "mdcvrp", False, 0, False, False)
    match = _NAME.match(key)
    if match is None or key in ("vrp", "mdvrp"):
        raise ValueError(f"unknown variant {name!r}")
    md, o, b, lim, tw = match.groups()
    backhaul = {None: 0, "b": 1, "mb": 2}[b]
    return Flags(md is not None, o is not None, backhaul, lim is not None, tw is not None)


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
