"""Attribute flags <-> variant names, for all 48 variants.

Every variant is the capacitated problem (C) plus any subset of: several depots (MD), open
routes (O), a backhaul mode (none, classic B or mixed M), a route distance limit (L) and time
windows (TW): 2 * 2 * 3 * 2 * 2 = 48. The name follows FORMAT.md: ``md`` if several depots,
``o`` if open, then ``vrp``, then ``b``/``mb``, ``l``, ``tw``; the plain problem is ``cvrp``
(``mdcvrp`` with several depots).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Literal

from vrp.errors import InputError

Backhaul = Literal["none", "classic", "mixed"]
BACKHAULS: tuple[Backhaul, ...] = ("none", "classic", "mixed")

_NAME = re.compile(r"^(md)?(o)?vrp(b|mb)?(l)?(tw)?$")


@dataclass(frozen=True)
class Variant:
    """The attribute flags of a variant. Capacity is always on."""

    multi_depot: bool = False
    open: bool = False
    backhaul: Backhaul = "none"
    distance_limit: bool = False
    time_windows: bool = False

    @property
    def name(self) -> str:
        md = "md" if self.multi_depot else ""
        if not (self.open or self.backhaul != "none" or self.distance_limit or self.time_windows):
            return md + "cvrp"
        return (
            md
            + ("o" if self.open else "")
            + "vrp"
            + {"none": "", "classic": "b", "mixed": "mb"}[self.backhaul]
            + ("l" if self.distance_limit else "")
            + ("tw" if self.time_windows else "")
        )

    @property
    def flags(self) -> str:
        """Short attribute string such as ``C O B L TW``."""
        parts = ["C"]
        if self.multi_depot:
            parts.insert(0, "MD")
        if self.open:
            parts.append("O")
        if self.backhaul == "classic":
            parts.append("B")
        elif self.backhaul == "mixed":
            parts.append("M")
        if self.distance_limit:
            parts.append("L")
        if self.time_windows:
            parts.append("TW")
        return " ".join(parts)

    def __str__(self) -> str:
        return self.name


def parse_variant(name: str) -> Variant:
    """The variant for a name such as ``cvrp``, ``ovrpbltw`` or ``mdvrpmb`` (case-insensitive)."""
    key = name.strip().lower()
    if key in ("cvrp", "mdcvrp"):
        return Variant(multi_depot=key == "mdcvrp")
    match = _NAME.match(key)
    if match is None or key in ("vrp", "mdvrp"):
        raise InputError(
            f"unknown variant {name!r}; `vrp variants` lists the 48 names", field="variant"
        )
    md, o, b, lim, tw = match.groups()
    backhauls: dict[str | None, Backhaul] = {None: "none", "b": "classic", "mb": "mixed"}
    backhaul = backhauls[b]
    return Variant(
        multi_depot=md is not None,
        open=o is not None,
        backhaul=backhaul,
        distance_limit=lim is not None,
        time_windows=tw is not None,
    )


def all_variants() -> list[Variant]:
    """The 48 variants, single-depot first, simplest first."""
    out = []
    for md, tw, lim, backhaul, is_open in itertools.product(
        (False, True), (False, True), (False, True), BACKHAULS, (False, True)
    ):
        out.append(Variant(md, is_open, backhaul, lim, tw))
    return out


VARIANT_NAMES: tuple[str, ...] = tuple(v.name for v in all_variants())


def parse_variant_list(spec: str) -> tuple[str, ...]:
    """Variant names from ``"all"`` or a comma-separated list, each checked, without repeats.

    RouteFinder's names with a C for capacity (``cvrptw``, ``mdcvrpl``) are accepted too.

    Raises:
        InputError: an empty list or an unknown name (field ``variant``).
    """
    names = [s.strip().lower() for s in spec.split(",") if s.strip()]
    names = [re.sub(r"^(md)?c(vrp.+)$", r"\1\2", n) for n in names]
    if names == ["all"]:
        return VARIANT_NAMES
    if not names:
        raise InputError("give a variant name, a comma-separated list or 'all'", field="variant")
    return tuple(dict.fromkeys(parse_variant(n).name for n in names))
