"""Attribute flags <-> variant names, for all 48 variants (defined once in `vrpspec.variants`).

This module adds what the CLI needs on top of the shared definitions: a bad name is an
`InputError` naming the field ``variant``, caught once in `cli/`.
"""

from __future__ import annotations

from vrp.errors import InputError
from vrpspec import variants as _spec
from vrpspec.variants import ALL_VARIANTS, BACKHAULS, VARIANT_NAMES, Backhaul, Variant

__all__ = [
    "BACKHAULS",
    "VARIANT_NAMES",
    "Backhaul",
    "Variant",
    "all_variants",
    "parse_variant",
    "parse_variant_list",
]


def parse_variant(name: str) -> Variant:
    """The variant for a name such as ``cvrp``, ``ovrpbltw`` or ``mdvrpmb`` (case-insensitive)."""
    try:
        return _spec.parse_variant(name)
    except ValueError as e:
        raise InputError(str(e), field="variant") from None


def all_variants() -> list[Variant]:
    """The 48 variants, single-depot first, simplest first."""
    return list(ALL_VARIANTS)


def parse_variant_list(spec: str) -> tuple[str, ...]:
    """Variant names from ``"all"`` or a comma-separated list (`vrpspec.variants`).

    Raises:
        InputError: an empty list or an unknown name (field ``variant``).
    """
    try:
        return _spec.parse_variant_list(spec)
    except ValueError as e:
        raise InputError(str(e), field="variant") from None
