"""A solution is routes, nothing else: cost and feasibility come from `vrp.model.evaluate`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Route:
    """One route: its depot (node index), its customers in visiting order (node indices) and,
    with a fleet, the id of its vehicle type (None otherwise)."""

    depot: int
    customers: tuple[int, ...]
    vehicle: str | None = None

    def __init__(self, depot: int, customers: Iterable[int], vehicle: str | None = None):
        object.__setattr__(self, "depot", int(depot))
        object.__setattr__(self, "customers", tuple(int(c) for c in customers))
        object.__setattr__(self, "vehicle", None if vehicle is None else str(vehicle))

    def __len__(self) -> int:
        return len(self.customers)


@dataclass(frozen=True)
class Solution:
    """A set of routes (FORMAT.md ``vrp-solution/1`` without its derived fields)."""

    routes: tuple[Route, ...]

    def __init__(self, routes: Iterable[Route | tuple[int, Sequence[int]]]):
        rs = tuple(r if isinstance(r, Route) else Route(r[0], r[1]) for r in routes)
        object.__setattr__(self, "routes", rs)

    @classmethod
    def from_lists(cls, routes: Iterable[Sequence[int]], depot: int = 0) -> Solution:
        """Routes given as customer lists, all from one depot."""
        return cls(Route(depot, r) for r in routes)

    def __len__(self) -> int:
        return len(self.routes)
