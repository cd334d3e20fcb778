"""Seeded random instances for every one of the 96 variants (RouteFinder's distributions).

The distributions follow the RouteFinder paper (Berto et al., 2024) so that test sets made
here compare with its tables. Every instance lives in the unit square with speed 1:

- **locations**: customers and depots uniform in ``[0, 1]^2``. Multi-depot (MD) instances
  have 3 depots; single-depot instances use the first of them.
- **capacity** Q: ``30 + n // 5`` for n > 20 customers, 30 otherwise.
- **demands**: integers uniform in ``1..9``.
- **backhaul** (B classic, M mixed): each customer is a backhaul customer with probability
  0.2 (at least one is, so the variant comes out as requested); a backhaul customer has
  delivery 0 and a pickup uniform in ``1..9``, the others have pickup 0. Without B/M every
  customer keeps its delivery and no pickup.
- **time windows** (TW): every depot has window ``[0, 4.6]``. Service time ``U(0.15, 0.18)``,
  window length ``U(0.18, 0.2)``; the window start is uniform in
  ``[d(depot, i), 4.6 - d(i, depot) - service - length]``, so a vehicle leaving the depot at
  0 can serve the customer and return in time. Without TW there are no windows and no
  service times.
- **distance limit** (L): ``U(2 * m, max(2.8, 2 * m + 1e-6))`` with m the largest
  depot-to-customer distance, so every out-and-back route fits.
- **open** (O): ``vehicles.open = true``.
- fleet: ``count`` null (as many vehicles as needed).

With several depots, windows and the distance limit are drawn with respect to the FIRST
depot only, as in RouteFinder's test sets. Hence every customer can be served alone by the
route ``depot 0 -> i -> depot 0``, and every generated instance is feasible.

All random numbers are drawn in one fixed order whatever the variant, and features a
variant lacks are dropped afterwards: with the same seed and size, ``cvrp``, ``vrptw`` and
``mdovrpmbltw`` share their customer locations and demands, and differ only in the features
that name them.

**Fleets** (the ``h`` variants): the instance of the variant without ``h`` is drawn first,
then a fleet in the manner of the HFVRP sets (constants in `vrpspec.distributions`):

- 3 to 5 types (`FLEET_TYPES_RANGE`); capacities ``round(r * Q)`` for ratios r drawn from
  `FLEET_CAPACITY_RATIOS` (0.5, 0.75, 1, 1.5, 2), the ratio 1 always among them; type ids
  ``Q<capacity>``;
- fixed cost ``FLEET_FIXED_COST * r ** 1.2`` (about half a route's length for r = 1, growing
  faster than the capacity), distance cost ``r ** 0.5`` to one decimal (growing slower), travel
  time factor 0.9, 0.95, 1, 1.1, 1.2 by ratio (small types are nimbler);
- counts null (as many vehicles of each type as needed, the fleet-size-and-mix setting);
- each customer is restricted with probability `FLEET_RESTRICTED_SHARE` (0.1) to the types up
  to Q (an old town that large trucks may not enter);
- MD: the type of ratio 1 may use any depot, every other type is based at a depot drawn
  uniformly;
- L: every type gets the drawn ``max_distance``;
- TW: types smaller than Q work a shift ``[0, FLEET_SHORT_SHIFT * 4.6]``, the others the
  depot's window.

The type of ratio 1 has the capacity Q, travel time factor 1, the full shift, the distance
limit and any depot, and every customer allows it: every customer can still be served alone
from the first depot, so every fleet instance is feasible too.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from vrp.errors import InputError
from vrp.model.fleet import VehicleType
from vrp.model.instance import Instance
from vrp.model.variants import Variant, parse_variant
from vrpspec.distances import euclidean_matrix
from vrpspec.distributions import (
    BACKHAUL_SHARE,
    DEMAND_RANGE,
    DEPOT_HORIZON,
    DISTANCE_LIMIT_CAP,
    FLEET_CAPACITY_RATIOS,
    FLEET_DISTANCE_EXPONENT,
    FLEET_DURATION_FACTORS,
    FLEET_FIXED_COST,
    FLEET_FIXED_EXPONENT,
    FLEET_RESTRICTED_SHARE,
    FLEET_SHORT_SHIFT,
    FLEET_TYPES_RANGE,
    NUM_DEPOTS_MD,
    SERVICE_TIME_RANGE,
    WINDOW_LENGTH_RANGE,
    capacity_for,
)


def generate(
    variant: str | Variant,
    num_customers: int,
    seed: int = 0,
    *,
    name: str | None = None,
) -> Instance:
    """One random instance of ``variant`` with ``num_customers`` customers.

    Args:
        variant: a variant name (``"vrptw"``) or a `Variant`.
        num_customers: n >= 1.
        seed: a non-negative integer; the same arguments give the same instance.
        name: the instance name; default ``"<variant>-n<n>-s<seed>"``.

    Raises:
        InputError: an unknown variant, n < 1 or a negative seed, naming the option.
    """
    v = _variant(variant)
    n = _positive_int(num_customers, "num_customers")
    s = _seed(seed)
    rng = np.random.default_rng(s)
    return _draw(v, n, rng, name or f"{v.name}-n{n}-s{s}")


def generate_many(
    variant: str | Variant, num_customers: int, count: int, seed: int = 0, *, first: int = 0
) -> list[Instance]:
    """Instances ``first`` to ``first + count - 1`` of ``variant``; instance i is seeded from
    ``(seed, i)``.

    Names are ``"<variant>-n<n>-s<seed>-<i:03d>"``, e.g. ``vrptw-n100-s0-003``. Instance i
    depends neither on ``count`` nor on ``first``, so a longer run extends a shorter one and
    ``first=i, count=1`` draws instance i alone.
    """
    v = _variant(variant)
    n = _positive_int(num_customers, "num_customers")
    k = _positive_int(count, "count")
    s = _seed(seed)
    start = _seed(first, "first")
    return [
        _draw(v, n, np.random.default_rng([s, i]), f"{v.name}-n{n}-s{s}-{i:03d}")
        for i in range(start, start + k)
    ]


# -- the draw -------------------------------------------------------------------------------


def draw_loads(v: Variant, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Deliveries and pickups of ``n`` customers (see the module docstring).

    Four draws, in this order, whatever the variant: linehaul demands, backhaul demands,
    which customers are backhauls, and the customer forced to be one if none was drawn.
    `vrp.roads.city` draws its road instances' loads with it too.
    """
    lo, hi = DEMAND_RANGE
    linehaul = rng.integers(lo, hi + 1, size=n).astype(float)
    backhaul_demand = rng.integers(lo, hi + 1, size=n).astype(float)
    is_backhaul = rng.random(n) < BACKHAUL_SHARE
    fallback = int(rng.integers(n))
    if v.backhaul == "none":
        return linehaul, np.zeros(n)
    if not is_backhaul.any():
        is_backhaul[fallback] = True
    return np.where(is_backhaul, 0.0, linehaul), np.where(is_backhaul, backhaul_demand, 0.0)


def _draw(v: Variant, n: int, rng: np.random.Generator, name: str) -> Instance:
    # Every draw happens, in this order, for every variant (see the module docstring).
    depot_locs = rng.uniform(0.0, 1.0, size=(NUM_DEPOTS_MD, 2))
    customer_locs = rng.uniform(0.0, 1.0, size=(n, 2))
    delivery, pickup = draw_loads(v, n, rng)
    service = rng.uniform(*SERVICE_TIME_RANGE, size=n)
    length = rng.uniform(*WINDOW_LENGTH_RANGE, size=n)
    start_u = rng.random(n)
    limit_u = rng.random()

    D = NUM_DEPOTS_MD if v.multi_depot else 1
    locations = np.concatenate([depot_locs[:D], customer_locs])
    dist = euclidean_matrix(locations)  # the same matrix `Instance` and `evaluate` use
    to_c, from_c = dist[0, D:], dist[D:, 0]  # from / to the first depot

    early = np.full(D + n, -np.inf)
    late = np.full(D + n, np.inf)
    service_time = np.zeros(D + n)
    if v.time_windows:
        first, last = to_c, DEPOT_HORIZON - from_c - service - length
        # last >= first always holds in the unit square: 2 * sqrt(2) + 0.38 < 4.6.
        start = first + start_u * (last - first)
        early[:D], late[:D] = 0.0, DEPOT_HORIZON
        early[D:], late[D:] = start, start + length
        service_time[D:] = service

    max_distance = None
    if v.distance_limit:
        low = 2.0 * float(max(to_c.max(), from_c.max()))
        high = max(DISTANCE_LIMIT_CAP, low + 1e-6)
        max_distance = low + limit_u * (high - low)

    zeros = np.zeros(D)
    inst = Instance(
        num_depots=D,
        locations=locations,
        delivery=np.concatenate([zeros, delivery]),
        pickup=np.concatenate([zeros, pickup]),
        service_time=service_time,
        tw_early=early,
        tw_late=late,
        capacity=float(capacity_for(n)),
        vehicle_count=None,
        max_distance=max_distance,
        open=v.open,
        speed=1.0,
        backhaul="mixed" if v.backhaul == "mixed" else "classic",
        name=name,
    )
    return with_fleet(inst, rng) if v.fleet else inst


def with_fleet(
    inst: Instance,
    rng: np.random.Generator,
    *,
    fixed_cost: float = FLEET_FIXED_COST,
    short_shift_end: float = FLEET_SHORT_SHIFT * DEPOT_HORIZON,
) -> Instance:
    """``inst`` with a fleet drawn as the module docstring says, in place of its one kind of
    vehicle (its capacity is Q, its ``max_distance`` every type's). Draws the same numbers
    whatever the instance.

    ``fixed_cost`` (that of the type of capacity Q) and ``short_shift_end`` (the end of the
    shift of the types smaller than Q, with time windows) are in the instance's units: the
    defaults suit the unit square; `vrp.roads.city` passes metres and seconds.
    """
    lo, hi = FLEET_TYPES_RANGE
    k = int(rng.integers(lo, hi + 1))
    middle = FLEET_CAPACITY_RATIOS.index(1.0)
    others = [i for i in range(len(FLEET_CAPACITY_RATIOS)) if i != middle]
    picked = sorted([middle, *rng.choice(others, size=k - 1, replace=False).tolist()])
    restricted = rng.random(inst.num_customers) < FLEET_RESTRICTED_SHARE
    homes = rng.integers(inst.num_depots, size=len(FLEET_CAPACITY_RATIOS))

    q = inst.capacity
    assert q is not None
    timed = inst.has_time_windows
    fleet = []
    for i in picked:
        r = FLEET_CAPACITY_RATIOS[i]
        small = r < 1.0
        fleet.append(
            VehicleType(
                id=f"Q{round(r * q)}",
                capacity=float(round(r * q)),
                depot=None if r == 1.0 else inst.ids[int(homes[i])],
                shift=(0.0, round(short_shift_end, 6)) if timed and small else None,
                max_distance=inst.max_distance,
                fixed_cost=round(fixed_cost * r**FLEET_FIXED_EXPONENT, 3),
                distance_cost=round(r**FLEET_DISTANCE_EXPONENT, 1),
                duration_factor=FLEET_DURATION_FACTORS[i],
            )
        )
    up_to_q = tuple(t.id for t in fleet if t.capacity <= q)
    kinds = [None] * inst.num_depots + [up_to_q if x else None for x in restricted]
    return replace(
        inst,
        capacity=None,
        vehicle_count=None,
        max_distance=None,
        fleet=tuple(fleet),
        vehicle_types=tuple(kinds),
    )


# -- argument checks ------------------------------------------------------------------------


def _variant(variant: str | Variant) -> Variant:
    if isinstance(variant, Variant):
        return variant
    if not isinstance(variant, str):
        raise InputError(f"must be a variant name, got {variant!r}", field="variant")
    return parse_variant(variant)


def _positive_int(value: int, option: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InputError(f"must be a positive integer, got {value!r}", field=option)
    return int(value)


def _seed(seed: int, field: str = "seed") -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InputError(f"must be a non-negative integer, got {seed!r}", field=field)
    return int(seed)
