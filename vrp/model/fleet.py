"""Vehicle types: the optional ``fleet`` of FORMAT.md ("Fleets").

A `VehicleType` is one line of the fleet: how many vehicles of it there are, what they carry,
where they are based, when they work, how far they may go, what they cost and how fast they
drive. `Instance` holds a tuple of them and checks each once (`check_vehicle_type`), naming
the field at fault (``fleet[1].shift: start 500 > end 480``).

Rules 7-9 of FORMAT.md, which `vrp.model.evaluate` applies to a route of type ``t``:

7. the route names its type; its depot is the type's ``depot`` when set; it leaves at
   ``max(depot earliest, shift start)`` and, unless open, is back by ``min(depot latest,
   shift end)``; at most ``count`` routes use the type;
8. every customer on the route allows the type (``customers[].vehicle_types``);
9. the route costs ``fixed_cost + distance_cost * distance``.

Its travel times are the instance's durations times ``duration_factor``.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

from vrp.errors import InputError


@dataclass(frozen=True)
class VehicleType:
    """One vehicle type of a fleet (FORMAT.md ``fleet[]``).

    Args:
        id: the type's name, unique in the fleet.
        capacity: Q of this type (> 0).
        count: most routes of this type, or None for as many as needed.
        depot: the id of the depot its routes start from and return to; None: any depot.
        shift: ``(start, end)``: leaves no earlier than start, back (unless open) by end.
        max_distance: most distance one route of this type may travel, or None.
        fixed_cost: cost of each route of this type (>= 0).
        distance_cost: cost per unit of distance (>= 0).
        duration_factor: this type's travel time = the instance's duration x this (> 0).
    """

    id: str
    capacity: float
    count: int | None = None
    depot: str | None = None
    shift: tuple[float, float] | None = None
    max_distance: float | None = None
    fixed_cost: float = 0.0
    distance_cost: float = 1.0
    duration_factor: float = 1.0

    def route_cost(self, distance: float) -> float:
        """Rule 9: what one route of this type that travels ``distance`` costs."""
        return self.fixed_cost + self.distance_cost * distance


def check_vehicle_type(t: VehicleType, where: str) -> None:
    """Raise `InputError` naming ``where.<field>`` if a field of ``t`` is out of range."""
    if not isinstance(t.id, str) or not t.id:
        raise InputError(f"must be a non-empty string, got {t.id!r}", field=f"{where}.id")
    if not _number(t.capacity) or t.capacity <= 0:
        raise InputError(
            f"must be a positive number, got {t.capacity!r}", field=f"{where}.capacity"
        )
    if t.count is not None and (
        isinstance(t.count, bool) or not isinstance(t.count, numbers.Integral) or t.count < 1
    ):
        raise InputError(
            f"must be a positive integer or null, got {t.count!r}", field=f"{where}.count"
        )
    if t.depot is not None and not isinstance(t.depot, str):
        raise InputError(f"must be a depot id or null, got {t.depot!r}", field=f"{where}.depot")
    if t.shift is not None:
        if len(t.shift) != 2 or not all(_number(x) for x in t.shift):
            raise InputError(f"must be two finite numbers, got {t.shift!r}", field=f"{where}.shift")
        if t.shift[0] > t.shift[1]:
            raise InputError(f"start {t.shift[0]:g} > end {t.shift[1]:g}", field=f"{where}.shift")
    if t.max_distance is not None and (not _number(t.max_distance) or t.max_distance <= 0):
        raise InputError(
            f"must be a positive number or null, got {t.max_distance!r}",
            field=f"{where}.max_distance",
        )
    for name in ("fixed_cost", "distance_cost"):
        value = getattr(t, name)
        if not _number(value) or value < 0:
            raise InputError(
                f"must be a finite number >= 0, got {value!r}", field=f"{where}.{name}"
            )
    if not _number(t.duration_factor) or t.duration_factor <= 0:
        raise InputError(
            f"must be a positive number, got {t.duration_factor!r}",
            field=f"{where}.duration_factor",
        )


def _number(x: object) -> bool:
    return isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(float(x))
