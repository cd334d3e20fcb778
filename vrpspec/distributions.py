"""The generator's distributions (RouteFinder, Berto et al. 2024), one set for both generators.

`vrp.model.generate` draws single instances with numpy, `envs.generator` whole batches with
torch; both read these numbers, so a test set and a training batch come from one distribution.
Everything lives in the unit square with speed 1:

- coordinates uniform in ``[0, 1]^2``; `NUM_DEPOTS_MD` depots for MD, 1 otherwise;
- capacity Q: `capacity_for` (``30 + n // 5`` above 20 customers, else 30);
- demands: integers uniform in `DEMAND_RANGE` (both ends included);
- B/M: each customer is a backhaul customer with probability `BACKHAUL_SHARE`;
- TW: depot window ``[0, DEPOT_HORIZON]``, service uniform in `SERVICE_TIME_RANGE`, window
  length uniform in `WINDOW_LENGTH_RANGE`;
- L: ``U(2 m, max(DISTANCE_LIMIT_CAP, 2 m + 1e-6))`` with m the largest depot-customer
  distance.
- H (a fleet, `vrp.model.generate` only): see `FLEET_CAPACITY_RATIOS` and the constants
  after it.

Road instances (`vrp.roads.city.sample_city`, and the pool instances of `envs.generator`)
keep the demands and capacities but time their windows in seconds on a working day: see
`ROAD_WORKDAY_S` and the constants after it.
"""

from __future__ import annotations

NUM_DEPOTS_MD = 3
DEPOT_HORIZON = 4.6
DEMAND_RANGE = (1, 9)  # integers, both ends included
BACKHAUL_SHARE = 0.2
SERVICE_TIME_RANGE = (0.15, 0.18)
WINDOW_LENGTH_RANGE = (0.18, 0.2)
DISTANCE_LIMIT_CAP = 2.8


def capacity_for(num_customers: int) -> int:
    """Vehicle capacity Q for ``num_customers`` customers: ``30 + n // 5`` above 20, else 30."""
    return 30 + num_customers // 5 if num_customers > 20 else 30


# -- fleets (H) ------------------------------------------------------------------------------
# A type mix in the manner of the HFVRP sets (Golden et al. 1984, Taillard 1999): a few types
# of growing capacity whose fixed cost grows faster than the capacity and whose cost per unit
# of distance grows slower. Q is `capacity_for(n)`; the type of capacity Q is always drawn.
FLEET_TYPES_RANGE = (3, 5)  # number of types, both ends included
FLEET_CAPACITY_RATIOS = (0.5, 0.75, 1.0, 1.5, 2.0)  # type capacity = round(ratio * Q)
FLEET_FIXED_COST = 1.0  # fixed cost of the type of capacity Q (about half a route's length)
FLEET_FIXED_EXPONENT = 1.2  # fixed cost = FLEET_FIXED_COST * ratio ** this
FLEET_DISTANCE_EXPONENT = 0.5  # distance cost = ratio ** this, to one decimal
FLEET_DURATION_FACTORS = (0.9, 0.95, 1.0, 1.1, 1.2)  # per ratio: small types are nimbler
FLEET_RESTRICTED_SHARE = 0.1  # customers (an "old town") only types up to Q may serve
FLEET_SHORT_SHIFT = 0.75  # TW: types smaller than Q work [0, this * DEPOT_HORIZON]


# -- road instances (metres and seconds) -----------------------------------------------------
# `vrp.roads.city.sample_city` draws these in seconds; `envs.generator` draws its pool
# instances the same way, in the pool's time unit (`ROAD_SECONDS_PER_UNIT`).
ROAD_WORKDAY_S = 8 * 3600  # every depot is open [0, this]
ROAD_SERVICE_S = (300, 600)  # service time, integer seconds, both ends included
ROAD_WINDOW_S = (3600, 7200)  # window length, integer seconds, both ends included
ROAD_SECONDS_PER_UNIT = (100.0, 2000.0)
"""Seconds per time unit of a pool instance (the mean of its durations equals the mean of its
distances there, `envs.pool.unit_scale`), drawn log-uniformly per instance: about the time
to cross a town 1 km wide (100 s) to a city 30 km wide (2000 s). A pool is one region, so
the draw stands in for regions of other sizes."""
