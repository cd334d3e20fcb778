"""Attribute flags <-> variant names and order, for all 96 variants.

Every variant is the capacitated problem (C) plus any subset of: several depots (MD), open
routes (O), a backhaul mode (none, classic B or mixed M), a route distance limit (L) and time
windows (TW): 2 * 2 * 3 * 2 * 2 = 48; each of them with one kind of vehicle or with a fleet of
vehicle types (H, FORMAT.md "Fleets"): 96. The name follows FORMAT.md: ``md`` if several
depots, ``h`` with a fleet, ``o`` if open, then ``vrp``, then ``b``/``mb``, ``l``, ``tw``; the
plain problem is ``cvrp`` (``mdcvrp``, ``hcvrp``, ``mdhcvrp``). The order (`Variant.index`) is
``48 * H + 24 * MD + 12 * TW + 6 * L + 2 * backhaul + O`` with backhaul 0 none, 1 classic,
2 mixed: single-depot first, simplest first, the fleet variants after the 48 others.

`ALL_VARIANTS` and `VARIANT_NAMES` are the 48 variants with one kind of vehicle (what the
environment and the neural policy know, indices 0..47); `FLEET_VARIANTS` and
`FLEET_VARIANT_NAMES` the 48 with a fleet.

Bad names raise `ValueError`; `vrp.model.variants` turns that into the CLI's `InputError`.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace
from typing import Literal

Backhaul = Literal["none", "classic", "mixed"]
BACKHAULS: tuple[Backhaul, ...] = ("none", "classic", "mixed")

_NAME = re.compile(r"^(md)?(h)?(o)?vrp(b|mb)?(l)?(tw)?$")


@dataclass(frozen=True)
class Variant:
    """The attribute flags of a variant. Capacity is always on."""

    multi_depot: bool = False
    open: bool = False
    backhaul: Backhaul = "none"
    distance_limit: bool = False
    time_windows: bool = False
    fleet: bool = False  # vehicle types (H)

    @property
    def backhaul_code(self) -> int:
        """0 none, 1 classic, 2 mixed (the environment's encoding)."""
        return BACKHAULS.index(self.backhaul)

    @property
    def index(self) -> int:
        """The position of this variant in `VARIANT_NAMES`."""
        return (
            48 * self.fleet
            + 24 * self.multi_depot
            + 12 * self.time_windows
            + 6 * self.distance_limit
            + 2 * self.backhaul_code
            + self.open
        )

    @property
    def name(self) -> str:
        md = ("md" if self.multi_depot else "") + ("h" if self.fleet else "")
        if not (self.open or self.backhaul != "none" or self.distance_limit or self.time_windows):
            return md + "cvrp"
        return (
            md
            + ("o" if self.open else "")
            + "vrp"
            + ("", "b", "mb")[self.backhaul_code]
            + ("l" if self.distance_limit else "")
            + ("tw" if self.time_windows else "")
        )

    @property
    def flags(self) -> str:
        """Short attribute string such as ``C O B L TW``."""
        parts = ["MD"] if self.multi_depot else []
        parts += ["H"] if self.fleet else []
        parts.append("C")
        parts += ["O"] if self.open else []
        parts += [("", "B", "M")[self.backhaul_code]] if self.backhaul != "none" else []
        parts += ["L"] if self.distance_limit else []
        parts += ["TW"] if self.time_windows else []
        return " ".join(parts)

    def __str__(self) -> str:
        return self.name


def parse_variant(name: str) -> Variant:
    """The variant for a name such as ``cvrp``, ``ovrpbltw``, ``mdvrpmb`` or ``hvrptw``
    (case-insensitive).

    Raises:
        ValueError: not one of the 96 names.
    """
    key = name.strip().lower()
    plain = re.fullmatch(r"(md)?(h)?cvrp", key)
    if plain:
        return Variant(multi_depot=plain.group(1) is not None, fleet=plain.group(2) is not None)
    match = _NAME.match(key)
    if match is None or re.fullmatch(r"(md)?(h)?vrp", key):
        raise ValueError(
            f"unknown variant {name!r}{_did_you_mean(key)}; `vrp variants` lists the 96 names"
        )
    md, h, o, b, lim, tw = match.groups()
    return Variant(
        multi_depot=md is not None,
        open=o is not None,
        backhaul=BACKHAULS[(None, "b", "mb").index(b)],
        distance_limit=lim is not None,
        time_windows=tw is not None,
        fleet=h is not None,
    )


def _did_you_mean(key: str) -> str:
    """`` (did you mean hvrptw?)`` for the nearest names, or nothing."""
    import difflib

    near = difflib.get_close_matches(key, (*VARIANT_NAMES, *FLEET_VARIANT_NAMES), n=2, cutoff=0.75)
    return f" (did you mean {' or '.join(near)}?)" if near else ""


ALL_VARIANTS: tuple[Variant, ...] = tuple(
    Variant(md, is_open, backhaul, lim, tw)
    for md, tw, lim, backhaul, is_open in itertools.product(
        (False, True), (False, True), (False, True), BACKHAULS, (False, True)
    )
)
"""The 48 variants with one kind of vehicle, in `Variant.index` order."""

VARIANT_NAMES: tuple[str, ...] = tuple(v.name for v in ALL_VARIANTS)

FLEET_VARIANTS: tuple[Variant, ...] = tuple(replace(v, fleet=True) for v in ALL_VARIANTS)
"""The 48 variants with a fleet of vehicle types (H), in `Variant.index` order (48..95)."""

FLEET_VARIANT_NAMES: tuple[str, ...] = tuple(v.name for v in FLEET_VARIANTS)


def parse_variant_list(spec: str) -> tuple[str, ...]:
    """Variant names from ``"all"`` (the 48 with one kind of vehicle), ``"all-h"`` (the 48
    with a fleet) or a comma-separated list, each checked, without repeats.

    RouteFinder's names with a C for capacity (``cvrptw``, ``mdcvrpl``) are accepted too.

    Raises:
        ValueError: an empty list or an unknown name.
    """
    names = [s.strip().lower() for s in spec.split(",") if s.strip()]
    names = [re.sub(r"^(md)?(h)?c(vrp.+)$", r"\1\2\3", n) for n in names]
    if names == ["all"]:
        return VARIANT_NAMES
    if names == ["all-h"]:
        return FLEET_VARIANT_NAMES
    if not names:
        raise ValueError("give a variant name, a comma-separated list or 'all'")
    return tuple(dict.fromkeys(parse_variant(n).name for n in names))
