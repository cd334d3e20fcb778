"""Attribute flags <-> variant names, for all 96 variants (defined once in `vrpspec.variants`).

This module adds what the CLI needs on top of the shared definitions: a bad name is an
`InputError` naming the field ``variant``, caught once in `cli/`.
"""

from __future__ import annotations

from vrp.errors import InputError
from vrpspec import variants as _spec
from vrpspec.variants import (
    ALL_VARIANTS,
    BACKHAULS,
    FLEET_VARIANT_NAMES,
    FLEET_VARIANTS,
    VARIANT_NAMES,
    Backhaul,
    Variant,
)

__all__ = [
    "BACKHAULS",
    "FLEET_VARIANT_NAMES",
    "VARIANT_NAMES",
    "Backhaul",
    "Variant",
    "all_variants",
    "fleet_variants",
    "parse_variant",
    "parse_variant_list",
]


def parse_variant(name: str) -> Variant:
    """The variant for a name such as ``cvrp``, ``ovrpbltw``, ``mdvrpmb`` or ``hvrptw``
    (case-insensitive)."""
    try:
        return _spec.parse_variant(name)
    except ValueError as e:
        raise InputError(str(e), field="variant") from None


def all_variants() -> list[Variant]:
    """The 48 variants with one kind of vehicle, single-depot first, simplest first."""
    return list(ALL_VARIANTS)


def fleet_variants() -> list[Variant]:
    """The 48 variants with a fleet of vehicle types (``h``), in the same order."""
    return list(FLEET_VARIANTS)


def parse_variant_list(spec: str) -> tuple[str, ...]:
    """Variant names from ``"all"``, ``"all-h"`` or a comma-separated list (`vrpspec.variants`).

    Raises:
        InputError: an empty list or an unknown name (field ``variant``).
    """
    try:
        return _spec.parse_variant_list(spec)
    except ValueError as e:
        raise InputError(str(e), field="variant") from None
