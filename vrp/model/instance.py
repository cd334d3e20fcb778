"""The immutable problem model: one `Instance` covers all 96 variants.

Nodes are indexed as in FORMAT.md: depots ``0..D-1`` in file order, then customers
``D..D+C-1``. Every per-node array has length ``N = D + C``. An absent time window is
``(-inf, +inf)``; a route leaves a depot without a window at time 0.

An `Instance` checks itself once, at construction, and raises `InputError` naming the
FORMAT.md field at fault (``customers[3].time_window: earliest > latest``). Its arrays are
read-only; derive a changed instance with `dataclasses.replace`.

With a ``fleet`` (FORMAT.md "Fleets", `vrp.model.fleet`) the vehicles are a tuple of
`VehicleType`; ``capacity`` is then derived (the largest type's, a scale for engines, never a
limit), and ``vehicle_count`` and ``max_distance`` must be None: each type has its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from vrp.errors import InputError
from vrp.model.fleet import VehicleType, check_vehicle_type
from vrp.model.variants import Backhaul, Variant
from vrpspec.distances import euclidean_matrix, great_circle_matrix

Coordinates = Literal["euclidean", "lonlat"]
BackhaulMode = Literal["classic", "mixed"]


def node_field(num_depots: int, node: int) -> str:
    """The FORMAT.md path of a node: ``depots[0]`` or ``customers[4]`` (0-based in the list)."""
    if node < num_depots:
        return f"depots[{node}]"
    return f"customers[{node - num_depots}]"


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a, dtype=float, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Instance:
    """A vehicle routing instance (FORMAT.md ``vrp-instance/1``).

    Args:
        num_depots: D, the number of depots (nodes ``0..D-1``).
        locations: ``[N, 2]`` coordinates (``[lon, lat]`` when ``coordinates="lonlat"``), or
            None when a distance matrix is given.
        delivery, pickup, service_time: ``[N]``, zero on depots.
        tw_early, tw_late: ``[N]`` time windows; ``-inf``/``+inf`` where there is none.
        capacity: Q, the load limit of every vehicle (with a fleet: derived, the largest
            type capacity; leave it None).
        vehicle_count: most routes in total, or None for as many as needed (None with a
            fleet).
        max_distance: most distance one route may travel (L), or None (None with a fleet).
        open: routes end at their last customer (O).
        speed: travel time = distance / speed when no duration matrix is given.
        backhaul: ``"classic"`` (B) or ``"mixed"`` (M); matters only when some pickup > 0.
        distance_matrix, duration_matrix: ``[N, N]`` as given in the file, or None.
        ids: one string per node, unique.
        fleet: the vehicle types (FORMAT.md ``fleet``), or empty for one kind of vehicle.
        vehicle_types: per node, the ids of the types allowed to serve it, or None for
            every type (always None on depots); empty for all nodes allowed.
    """

    num_depots: int
    locations: np.ndarray | None
    delivery: np.ndarray
    pickup: np.ndarray
    service_time: np.ndarray
    tw_early: np.ndarray
    tw_late: np.ndarray
    capacity: float | None = None
    vehicle_count: int | None = None
    max_distance: float | None = None
    open: bool = False
    speed: float = 1.0
    backhaul: BackhaulMode = "classic"
    coordinates: Coordinates = "euclidean"
    distance_matrix: np.ndarray | None = None
    duration_matrix: np.ndarray | None = None
    ids: tuple[str, ...] = ()
    name: str = "instance"
    fleet: tuple[VehicleType, ...] = ()
    vehicle_types: tuple[tuple[str, ...] | None, ...] = ()

    # Derived once in __post_init__.
    distances: np.ndarray = field(init=False, repr=False)
    durations: np.ndarray = field(init=False, repr=False)
    allowed: np.ndarray | None = field(init=False, repr=False)
    """``[N, T]`` bool with a fleet: type t may serve node k (True on depots); else None."""
    type_depots: tuple[int | None, ...] = field(init=False, repr=False)
    """With a fleet: the depot node of each type, None where any depot will do."""

    def __post_init__(self) -> None:
        D = self.num_depots
        if not isinstance(D, int) or D < 1:
            raise InputError("at least one depot is required", field="depots")
        arrays = ("delivery", "pickup", "service_time", "tw_early", "tw_late")
        n = len(np.asarray(self.delivery))
        for name in arrays:
            arr = np.asarray(getattr(self, name), dtype=float)
            if arr.shape != (n,):
                raise InputError(f"{name} has shape {arr.shape}, expected ({n},)", field=name)
            object.__setattr__(self, name, _readonly(arr))
        if n <= D:
            raise InputError("at least one customer is required", field="customers")
        ids = tuple(self.ids) or tuple(
            [f"D{i + 1}" for i in range(D)] + [str(i + 1) for i in range(n - D)]
        )
        if len(ids) != n:
            raise InputError(f"{len(ids)} ids for {n} nodes", field="id")
        if len(set(ids)) != n:
            dup = next(i for i in ids if ids.count(i) > 1)
            raise InputError(f"id {dup!r} is used twice", field="id")
        object.__setattr__(self, "ids", ids)

        if self.coordinates not in ("euclidean", "lonlat"):
            raise InputError(
                f"unknown value {self.coordinates!r}; expected 'euclidean' or 'lonlat'",
                field="coordinates",
            )
        if self.backhaul not in ("classic", "mixed"):
            raise InputError(
                f"unknown backhaul mode {self.backhaul!r}; expected 'classic' or 'mixed'",
                field="backhaul",
            )
        self._check_fleet(n)
        self._check_vehicles()
        self._check_nodes()
        self._set_matrices(n)

    # -- validation -------------------------------------------------------------------------

    def _check_fleet(self, n: int) -> None:
        """Check the fleet and the customers' ``vehicle_types``; derive `allowed`,
        `type_depots` and, with a fleet, ``capacity``."""
        D = self.num_depots
        fleet = tuple(self.fleet)
        object.__setattr__(self, "fleet", fleet)
        kinds = tuple(self.vehicle_types)
        if kinds and len(kinds) != n:
            raise InputError(f"{len(kinds)} entries for {n} nodes", field="vehicle_types")
        if not fleet:
            object.__setattr__(self, "allowed", None)
            object.__setattr__(self, "type_depots", ())
            if any(k is not None for k in kinds):
                k = next(i for i, v in enumerate(kinds) if v is not None)
                raise InputError(
                    "names vehicle types, but the instance has no fleet",
                    field=f"{node_field(D, k)}.vehicle_types",
                )
            object.__setattr__(self, "vehicle_types", ())
            return
        for name, label in (("vehicle_count", "count"), ("max_distance", "max_distance")):
            if getattr(self, name) is not None:
                raise InputError(
                    f"is not used with a fleet: give each vehicle type its {label}",
                    field=f"vehicles.{label}",
                )
        type_ids = [t.id if isinstance(t, VehicleType) else None for t in fleet]
        depot_ids = self.ids[:D]
        depots: list[int | None] = []
        for i, t in enumerate(fleet):
            where = f"fleet[{i}]"
            if not isinstance(t, VehicleType):
                raise InputError("must be a VehicleType", field=where)
            check_vehicle_type(t, where)
            if type_ids.index(t.id) != i:
                raise InputError(f"type id {t.id!r} is used twice", field=f"{where}.id")
            if t.depot is None:
                depots.append(None)
            elif t.depot in depot_ids:
                depots.append(depot_ids.index(t.depot))
            else:
                raise InputError(
                    f"unknown depot {t.depot!r}; the depots are {', '.join(depot_ids)}",
                    field=f"{where}.depot",
                )
        allowed = np.ones((n, len(fleet)), dtype=bool)
        for k, kind in enumerate(kinds):
            if kind is None:
                continue
            where = f"{node_field(D, k)}.vehicle_types"
            if k < D:
                raise InputError("is for customers only", field=where)
            kind = tuple(kind)
            if not kind:
                raise InputError("is empty: no vehicle type may serve this customer", field=where)
            unknown = [x for x in kind if x not in type_ids]
            if unknown:
                raise InputError(
                    f"unknown vehicle type {unknown[0]!r}; the fleet has "
                    + ", ".join(str(x) for x in type_ids),
                    field=where,
                )
            allowed[k] = [x in kind for x in type_ids]
        allowed.setflags(write=False)
        object.__setattr__(
            self,
            "vehicle_types",
            tuple(None if k is None else tuple(k) for k in kinds) if kinds else (),
        )
        object.__setattr__(self, "allowed", allowed)
        object.__setattr__(self, "type_depots", tuple(depots))
        object.__setattr__(self, "capacity", float(max(t.capacity for t in fleet)))

    def _check_vehicles(self) -> None:
        q = self.capacity
        if q is None:
            raise InputError("missing required field", field="vehicles.capacity")
        if not _finite_number(q) or q <= 0:
            raise InputError(f"must be a positive number, got {q!r}", field="vehicles.capacity")
        if self.vehicle_count is not None and (
            isinstance(self.vehicle_count, bool)
            or not isinstance(self.vehicle_count, int | np.integer)
            or self.vehicle_count < 1
        ):
            raise InputError(
                f"must be a positive integer or null, got {self.vehicle_count!r}",
                field="vehicles.count",
            )
        if self.max_distance is not None and (
            not _finite_number(self.max_distance) or self.max_distance <= 0
        ):
            raise InputError(
                f"must be a positive number or null, got {self.max_distance!r}",
                field="vehicles.max_distance",
            )
        if not _finite_number(self.speed) or self.speed <= 0:
            raise InputError(
                f"must be a positive number, got {self.speed!r}", field="vehicles.speed"
            )
        if not isinstance(self.open, bool | np.bool_):
            raise InputError(f"must be true or false, got {self.open!r}", field="vehicles.open")

    def _check_nodes(self) -> None:
        D, q = self.num_depots, self.capacity
        for name, label in (
            ("delivery", "delivery"),
            ("pickup", "pickup"),
            ("service_time", "service_time"),
        ):
            arr = getattr(self, name)
            bad = np.flatnonzero(~np.isfinite(arr) | (arr < 0))
            if bad.size:
                i = int(bad[0])
                raise InputError(
                    f"must be a finite number >= 0, got {arr[i]}",
                    field=f"{node_field(D, i)}.{label}",
                )
            if D and np.any(arr[:D] != 0):
                i = int(np.flatnonzero(arr[:D])[0])
                raise InputError("must be 0 on a depot", field=f"{node_field(D, i)}.{label}")
        if self.fleet:
            self._check_carried()
        for label, arr in (("delivery", self.delivery), ("pickup", self.pickup)):
            over = np.flatnonzero(arr > q)
            if over.size and not self.fleet:
                i = int(over[0])
                raise InputError(
                    f"{label} {arr[i]:g} exceeds vehicles.capacity {q:g}: no route can serve it",
                    field=f"{node_field(D, i)}.{label}",
                )
        if self.backhaul == "classic":
            both = np.flatnonzero((self.delivery > 0) & (self.pickup > 0))
            if both.size:
                i = int(both[0])
                raise InputError(
                    "a customer has both a delivery and a pickup, which classic backhaul forbids"
                    ' (use "backhaul": "mixed")',
                    field=node_field(D, i),
                )
        early, late = self.tw_early, self.tw_late
        bad = np.flatnonzero(
            np.isnan(early) | np.isnan(late) | (early == np.inf) | (late == -np.inf)
        )
        if bad.size:
            raise InputError(
                "must be two finite numbers",
                field=f"{node_field(D, int(bad[0]))}.time_window",
            )
        rev = np.flatnonzero(early > late)
        if rev.size:
            i = int(rev[0])
            raise InputError(
                f"earliest > latest ({early[i]:g} > {late[i]:g})",
                field=f"{node_field(D, i)}.time_window",
            )

    def _check_carried(self) -> None:
        """With a fleet: every customer fits in some type it allows."""
        assert self.allowed is not None
        caps = np.array([t.capacity for t in self.fleet])
        load = np.maximum(self.delivery, self.pickup)
        best = np.where(self.allowed, caps[None, :], 0.0).max(axis=1)
        over = np.flatnonzero(load > best)
        if over.size:
            k = int(over[0])
            label = "delivery" if self.delivery[k] >= self.pickup[k] else "pickup"
            kinds = [t for t, ok in zip(self.fleet, self.allowed[k], strict=True) if ok]
            largest = max(kinds, key=lambda t: t.capacity)
            raise InputError(
                f"{label} {load[k]:g} exceeds the capacity of every vehicle type allowed to "
                f"serve it (largest: {largest.id!r}, {largest.capacity:g})",
                field=f"{node_field(self.num_depots, k)}.{label}",
            )

    def _set_matrices(self, n: int) -> None:
        loc = self.locations
        if loc is not None:
            loc = np.asarray(loc, dtype=float)
            if loc.shape != (n, 2):
                raise InputError(
                    f"locations have shape {loc.shape}, expected ({n}, 2)", field="location"
                )
            bad = np.flatnonzero(~np.isfinite(loc).all(axis=1))
            if bad.size:
                raise InputError(
                    "must be two finite numbers",
                    field=f"{node_field(self.num_depots, int(bad[0]))}.location",
                )
            if self.coordinates == "lonlat":
                off = np.flatnonzero((np.abs(loc[:, 0]) > 180) | (np.abs(loc[:, 1]) > 90))
                if off.size:
                    raise InputError(
                        "is not a [lon, lat] pair (lon in [-180, 180], lat in [-90, 90])",
                        field=f"{node_field(self.num_depots, int(off[0]))}.location",
                    )
            object.__setattr__(self, "locations", _readonly(loc))
        for name in ("distance_matrix", "duration_matrix"):
            m = getattr(self, name)
            if m is None:
                continue
            m = np.asarray(m, dtype=float)
            if m.shape != (n, n):
                raise InputError(f"has shape {m.shape}, expected ({n}, {n})", field=name)
            object.__setattr__(self, name, _readonly(_nonnegative(m, name)))
        if self.distance_matrix is not None:
            dist = self.distance_matrix
        elif self.locations is None:
            raise InputError(
                "every node needs a location unless distance_matrix is given", field="location"
            )
        elif self.coordinates == "lonlat":
            dist = _readonly(great_circle_matrix(self.locations))
        else:
            dist = _readonly(euclidean_matrix(self.locations))
        if self.duration_matrix is not None:
            dur = self.duration_matrix
        else:
            dur = _readonly(dist / self.speed)
        object.__setattr__(self, "distances", dist)
        object.__setattr__(self, "durations", dur)

    # -- derived views ----------------------------------------------------------------------

    @property
    def num_nodes(self) -> int:
        """N = D + C."""
        return len(self.delivery)

    @property
    def num_customers(self) -> int:
        """C."""
        return self.num_nodes - self.num_depots

    @property
    def customers(self) -> range:
        """Node indices of the customers."""
        return range(self.num_depots, self.num_nodes)

    @property
    def has_pickups(self) -> bool:
        return bool(np.any(self.pickup > 0))

    @property
    def has_time_windows(self) -> bool:
        """Any node's time window, or any vehicle type's shift (rule 7)."""
        return bool(np.any(np.isfinite(self.tw_early) | np.isfinite(self.tw_late))) or any(
            t.shift is not None for t in self.fleet
        )

    @property
    def has_distance_limit(self) -> bool:
        """``max_distance``, or any vehicle type's."""
        return self.max_distance is not None or any(t.max_distance is not None for t in self.fleet)

    @property
    def planar(self) -> bool:
        """Whether every distance and duration follows from Euclidean coordinates (no matrix,
        no lon/lat): what the generator makes, as opposed to a road instance."""
        return (
            self.locations is not None
            and self.coordinates == "euclidean"
            and self.distance_matrix is None
            and self.duration_matrix is None
        )

    @property
    def backhaul_kind(self) -> Backhaul:
        """``"none"`` without pickups, else the backhaul mode."""
        return self.backhaul if self.has_pickups else "none"

    @property
    def variant(self) -> Variant:
        """The variant, derived from the instance as FORMAT.md says."""
        return Variant(
            multi_depot=self.num_depots > 1,
            open=bool(self.open),
            backhaul=self.backhaul_kind,
            distance_limit=self.has_distance_limit,
            time_windows=self.has_time_windows,
            fleet=bool(self.fleet),
        )

    def depot_start(self, depot: int) -> float:
        """The time a route leaves ``depot``: its earliest, or 0 without a window."""
        e = float(self.tw_early[depot])
        return e if math.isfinite(e) else 0.0

    # -- the fleet (rules 7-9) --------------------------------------------------------------

    def type_index(self, type_id: str) -> int | None:
        """The position of the vehicle type ``type_id`` in `fleet`, or None."""
        for i, t in enumerate(self.fleet):
            if t.id == type_id:
                return i
        return None

    def type_start(self, t: int, depot: int) -> float:
        """Rule 7: when a route of type ``t`` leaves ``depot``: max(depot earliest, shift
        start)."""
        shift = self.fleet[t].shift
        start = self.depot_start(depot)
        return start if shift is None else max(start, float(shift[0]))

    def type_deadline(self, t: int, depot: int) -> float:
        """Rule 7: by when a (closed) route of type ``t`` is back at ``depot``: min(depot
        latest, shift end)."""
        shift = self.fleet[t].shift
        late = float(self.tw_late[depot])
        return late if shift is None else min(late, float(shift[1]))

    def type_durations(self, t: int) -> np.ndarray:
        """``[N, N]`` travel times of type ``t``: `durations` x its ``duration_factor``."""
        factor = self.fleet[t].duration_factor
        return self.durations if factor == 1 else self.durations * factor

    def type_depot_nodes(self, t: int) -> list[int]:
        """The depots a route of type ``t`` may start from."""
        d = self.type_depots[t]
        return list(range(self.num_depots)) if d is None else [d]


# FORMAT.md: a negative matrix entry whose magnitude is at most this share of the matrix's
# largest entry is read as 0 (OSRM returns -0.1 to -0.7 m on some arcs of a city table).
NEGATIVE_TOLERANCE = 1e-3


def _nonnegative(m: np.ndarray, name: str) -> np.ndarray:
    """``m`` with its tiny negative entries read as 0; any other bad entry is an error."""
    cells = np.argwhere(~np.isfinite(m))
    if cells.size:
        i, j = (int(v) for v in cells[0])
        raise InputError(f"[{i}][{j}] must be a finite number >= 0, got {m[i, j]}", field=name)
    if not np.any(m < 0):
        return m
    slack = NEGATIVE_TOLERANCE * max(float(m.max()), 0.0)
    cells = np.argwhere(m < -slack)
    if cells.size:
        i, j = (int(v) for v in cells[0])
        raise InputError(
            f"[{i}][{j}] must be a finite number >= 0, got {m[i, j]:g} (a negative entry is"
            f" read as 0 only within 0.1 % of the largest entry, here {slack:g})",
            field=name,
        )
    return np.where(m < 0, 0.0, m)


def _finite_number(x: object) -> bool:
    return (
        isinstance(x, int | float | np.integer | np.floating)
        and not isinstance(x, bool)
        and math.isfinite(float(x))  # type: ignore[arg-type]
    )
