"""Seeded random instances for every one of the 48 variants (RouteFinder's distributions).

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
"""

from __future__ import annotations

import numpy as np

from vrp.errors import InputError
from vrp.model.instance import Instance
from vrp.model.variants import Variant, parse_variant
from vrpspec.distances import euclidean_matrix
from vrpspec.distributions import (
    BACKHAUL_SHARE,
    DEMAND_RANGE,
    DEPOT_HORIZON,
    DISTANCE_LIMIT_CAP,
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
    return Instance(
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
