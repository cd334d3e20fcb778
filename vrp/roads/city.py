"""Instances on real roads: from a CSV of locations, or sampled along a region's roads.

Both give FORMAT.md instances with ``"coordinates": "lonlat"``, ``distance_matrix`` in metres
and ``duration_matrix`` in seconds from OSRM (`vrp.roads.matrix`), asymmetric as the roads are.

**Sampling** (`sample_city`, after RRNCO): points fall on the region's drivable roads with
probability proportional to road length (`vrp.roads.osrm.sample_road_points`: no motorways,
tunnels or bridges), a few more than needed, all in one table request. Points OSRM snaps
more than `MAX_ROAD_SNAP_M` away (roads cut off by the extract's border or closed to cars)
and points in a pair without a route are dropped; the first ``depots + n`` survivors, in draw
order, are kept at their snapped positions. Attributes follow `vrp.model.generate` (same demands,
capacity, backhaul share and draw order), with time in seconds on a working day:

- every depot is open ``[0, WORKDAY_S]`` (8 hours); service times ``U(300, 600)`` s; window
  lengths ``U(3600, 7200)`` s; a window starts uniformly in ``[t(depot, i), WORKDAY_S -
  t(i, depot) - service - length]`` (whole seconds), so ``depot -> i -> depot`` is always
  feasible;
- a distance limit is ``U(L0, 2 L0)`` with ``L0 = max_i d(depot, i) + d(i, depot)``;
- as in `vrp.model.generate`, windows and the limit refer to the first depot;
- H (a fleet): the generator's (`vrp.model.generate.with_fleet`), drawn after everything
  else, in metres and seconds: the type of capacity Q has a fixed cost of one mean round trip
  ``depot -> i -> depot`` from the first depot (whole metres; about 1 in the unit square), the
  types smaller than Q a shift ``[0, 0.75 WORKDAY_S]`` (6 h) with time windows; distance
  costs are per metre.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vrp.errors import InputError, SolverError
from vrp.formats.fleet_csv import (
    check_fleet_references,
    parse_type_list,
    read_csv,
    read_fleet_csv,
)
from vrp.model.generate import draw_loads, with_fleet
from vrp.model.instance import Instance
from vrp.model.variants import Variant, parse_variant
from vrp.roads.osrm import Region, sample_road_points
from vrpspec.distributions import (
    FLEET_FIXED_COST,
    FLEET_SHORT_SHIFT,
    NUM_DEPOTS_MD,
    ROAD_SERVICE_S,
    ROAD_WINDOW_S,
    ROAD_WORKDAY_S,
    capacity_for,
)

if TYPE_CHECKING:
    from vrp.roads.matrix import OsrmClient, Table

WORKDAY_S = ROAD_WORKDAY_S
SERVICE_S = ROAD_SERVICE_S
WINDOW_S = ROAD_WINDOW_S
MAX_ROAD_SNAP_M = 10.0  # a point drawn on a road OSRM routes snaps within centimetres
MAX_SNAP_M = 500.0  # default: a CSV point farther than this from any road is outside


# -- sampled along the roads ----------------------------------------------------------------


def road_table(client: OsrmClient, region: Region, n: int, rng: np.random.Generator) -> Table:
    """``n`` road points of ``region`` that all reach one another, with their table.

    ``Table.snapped`` holds the points; usually one table request. This is the pool for
    real-matrix batches (RL training) as well as for `sample_city`.
    """
    for _ in range(4):
        extra = max(8, n // 5)
        pts = sample_road_points(region, n + extra, rng)
        table = client.table(pts)
        keep = list(np.flatnonzero(table.snap_m <= MAX_ROAD_SNAP_M))
        keep = _mutually_reachable(table, keep)
        if len(keep) >= n:
            return table.subset(keep[:n])
    raise SolverError(f"could not draw {n} mutually reachable road points in {region.name}")


def _mutually_reachable(table: Table, keep: list[int]) -> list[int]:
    """Drop the point in most unroutable pairs until every pair of ``keep`` has a route."""
    keep = list(keep)
    while keep:
        sub = np.isnan(table.distances[np.ix_(keep, keep)])
        sub |= np.isnan(table.durations[np.ix_(keep, keep)])
        bad = sub.sum(axis=0) + sub.sum(axis=1)
        if not bad.any():
            break
        del keep[int(np.argmax(bad))]
    return keep


def sample_city(
    client: OsrmClient,
    region: Region,
    variant: str | Variant,
    num_customers: int,
    count: int = 1,
    seed: int = 0,
) -> list[Instance]:
    """``count`` instances of ``variant`` on ``region``'s roads; instance i seeded by (seed, i).

    Names are ``"<region>-<variant>-n<n>-s<seed>-<i:03d>"``.
    """
    v = variant if isinstance(variant, Variant) else parse_variant(variant)
    for value, option in ((num_customers, "-n/--num-customers"), (count, "--count")):
        if value < 1:
            raise InputError(f"must be a positive integer, got {value}", field=option)
    if seed < 0:
        raise InputError(f"must be a non-negative integer, got {seed}", field="--seed")
    out = []
    for i in range(count):
        rng = np.random.default_rng([seed, i])
        name = f"{region.name}-{v.name}-n{num_customers}-s{seed}-{i:03d}"
        out.append(_draw(client, region, v, num_customers, rng, name))
    return out


def _draw(
    client: OsrmClient, region: Region, v: Variant, n: int, rng: np.random.Generator, name: str
) -> Instance:
    D = NUM_DEPOTS_MD if v.multi_depot else 1
    table = road_table(client, region, D + n, rng)
    dist, dur = table.distances, table.durations
    # The generator's draws, in its order (vrp.model.generate._draw), for every variant.
    delivery, pickup = draw_loads(v, n, rng)
    service = rng.integers(SERVICE_S[0], SERVICE_S[1] + 1, size=n).astype(float)
    length = rng.integers(WINDOW_S[0], WINDOW_S[1] + 1, size=n).astype(float)
    start_u = rng.random(n)
    limit_u = rng.random()

    early, late = np.full(D + n, -np.inf), np.full(D + n, np.inf)
    service_time = np.zeros(D + n)
    if v.time_windows:
        first = np.ceil(dur[0, D:])
        last = np.floor(WORKDAY_S - dur[D:, 0] - service - length)
        if np.any(last < first):
            raise SolverError(f"{region.name}: a customer is too far for an {WORKDAY_S} s day")
        start = np.minimum(first + np.floor(start_u * (last - first + 1)), last)
        early[:D], late[:D] = 0.0, WORKDAY_S
        early[D:], late[D:] = start, start + length
        service_time[D:] = service

    max_distance = None
    if v.distance_limit:
        low = float((dist[0, D:] + dist[D:, 0]).max())
        max_distance = round(low + limit_u * low, 1)
        max_distance = max(max_distance, low)

    zeros = np.zeros(D)
    inst = Instance(
        num_depots=D,
        locations=table.snapped,
        delivery=np.concatenate([zeros, delivery]),
        pickup=np.concatenate([zeros, pickup]),
        service_time=service_time,
        tw_early=early,
        tw_late=late,
        capacity=float(capacity_for(n)),
        max_distance=max_distance,
        open=v.open,
        backhaul="mixed" if v.backhaul == "mixed" else "classic",
        coordinates="lonlat",
        distance_matrix=dist,
        duration_matrix=dur,
        name=name,
    )
    if not v.fleet:
        return inst
    # The generator's fleet, its unit-square figures made metres and seconds: a fixed cost of
    # FLEET_FIXED_COST mean round trips from the first depot (about 1 in the unit square),
    # the small types' shift the same share of the working day.
    trip = float((dist[0, D:] + dist[D:, 0]).mean())
    fixed = round(FLEET_FIXED_COST * trip)
    return with_fleet(inst, rng, fixed_cost=fixed, short_shift_end=FLEET_SHORT_SHIFT * WORKDAY_S)


# -- from a CSV of locations ----------------------------------------------------------------

_COLUMNS = {
    "lon": ("lon", "lng", "longitude"),
    "lat": ("lat", "latitude"),
    "id": ("id", "name"),
    "depot": ("depot", "is_depot"),
    "delivery": ("delivery", "demand"),
    "pickup": ("pickup",),
    "tw_early": ("tw_early", "earliest", "ready_time"),
    "tw_late": ("tw_late", "latest", "due_time"),
    "service_time": ("service_time", "service"),
    "vehicle_types": ("vehicle_types",),
}
_TRUE, _FALSE = ("1", "true", "yes", "y", "x"), ("", "0", "false", "no", "n")


def read_points_csv(path: str | Path) -> dict[str, list]:
    """The columns of a points CSV, by canonical name (see `_COLUMNS`), one entry per row.

    Numbers are parsed; an empty cell is None. Errors name the file, line and column.
    """
    p = Path(path)
    header, reader = read_csv(p, "lon and lat")
    names = [h.strip().lower() for h in header]
    where: dict[str, int] = {}
    for key, aliases in _COLUMNS.items():
        hits = [i for i, h in enumerate(names) if h in aliases]
        if len(hits) > 1:
            raise InputError(f"two columns mean {key!r}", path=str(p), field="header")
        if hits:
            where[key] = hits[0]
    for key in ("lon", "lat"):
        if key not in where:
            raise InputError(f"no {key!r} column (header: {header})", path=str(p))
    cols: dict[str, list] = {key: [] for key in where}
    cols["line"] = []
    for line_no, row in enumerate(reader, start=2):
        if not any(c.strip() for c in row):
            continue
        cols["line"].append(line_no)
        for key, i in where.items():
            cell = row[i].strip() if i < len(row) else ""
            cols[key].append(_cell(key, cell, p, line_no, header[i]))
    if len(cols["line"]) < 2:
        raise InputError("needs a depot and at least one customer (two rows)", path=str(p))
    return cols


def _cell(key: str, cell: str, path: Path, line: int, column: str) -> object:
    if key == "id":
        return cell or None
    if key == "vehicle_types":
        return parse_type_list(cell, path, line, column)
    if key == "depot":
        if cell.lower() in _TRUE or cell.lower() in _FALSE:
            return cell.lower() in _TRUE
        raise InputError(f"must be 1/0 or true/false, got {cell!r}", path=str(path),
                         field=f"line {line}, column {column}")  # fmt: skip
    if not cell:
        if key in ("lon", "lat"):
            raise InputError("missing", path=str(path), field=f"line {line}, column {column}")
        return None
    try:
        value = float(cell)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InputError(f"must be a number, got {cell!r}", path=str(path),
                         field=f"line {line}, column {column}")  # fmt: skip
    return value


def instance_from_csv(
    path: str | Path,
    client: OsrmClient,
    *,
    capacity: float | None = None,
    vehicle_count: int | None = None,
    backhaul: str = "classic",
    region: Region | None = None,
    max_snap_m: float = MAX_SNAP_M,
    name: str | None = None,
    fleet: str | Path | None = None,
) -> Instance:
    """A FORMAT.md instance from a points CSV, with OSRM matrices (see ``vrp instance``).

    Depots: rows with a true ``depot`` cell, or the first row when there is no such column.
    ``fleet``: a vehicles CSV (`vrp.formats.fleet_csv`) in place of ``capacity`` and
    ``vehicle_count``; the stops' ``vehicle_types`` cells name its types.
    Points keep their CSV coordinates; the matrices run between their road positions.
    """
    p = Path(path)
    cols = read_points_csv(p)
    lines = cols["line"]
    N = len(lines)
    is_depot = np.array(cols["depot"], bool) if "depot" in cols else np.arange(N) == 0
    if not is_depot.any():
        raise InputError("no row is marked as a depot", path=str(p), field="depot")
    order = np.concatenate([np.flatnonzero(is_depot), np.flatnonzero(~is_depot)])
    D = int(is_depot.sum())
    if D == N:
        raise InputError("every row is a depot: no customer", path=str(p), field="depot")

    def column(key: str, default: float) -> np.ndarray:
        vals = cols.get(key, [None] * N)
        return np.array([default if v is None else v for v in vals], dtype=float)[order]

    loc = np.stack([column("lon", 0), column("lat", 0)], axis=1)
    at = [lines[i] for i in order]  # CSV line of each node
    ids = [cols["id"][i] if "id" in cols and cols["id"][i] else None for i in order]
    labels = [f"line {ln}" + (f" (id {i})" if i else "") for ln, i in zip(at, ids, strict=True)]
    bad = np.flatnonzero((np.abs(loc[:, 0]) > 180) | (np.abs(loc[:, 1]) > 90))
    if bad.size:
        k = int(bad[0])
        raise InputError(f"{labels[k]}: ({loc[k, 0]}, {loc[k, 1]}) is not a lon, lat pair",
                         path=str(p))  # fmt: skip
    if region is not None:
        _check_in_bbox(loc, region, max_snap_m, labels, p)
    delivery, pickup = column("delivery", 0.0), column("pickup", 0.0)
    tw_given = [cols.get(k, [None] * N) for k in ("tw_early", "tw_late")]
    for k in range(N):
        e, late = tw_given[0][order[k]], tw_given[1][order[k]]
        if (e is None) != (late is None):
            raise InputError(f"{labels[k]}: give both tw_early and tw_late, or neither",
                             path=str(p))  # fmt: skip
    early, late = column("tw_early", -np.inf), column("tw_late", np.inf)
    node_ids = tuple(i or (f"D{k + 1}" if k < D else str(k - D + 1)) for k, i in enumerate(ids))
    types = None if fleet is None else read_fleet_csv(fleet)
    kinds = [cols["vehicle_types"][i] for i in order] if "vehicle_types" in cols else []
    check_fleet_references(types, p, node_ids[:D], kinds, at)
    if types is not None:
        if capacity is not None:
            raise InputError("is not used with a vehicles CSV: each type has its capacity",
                             field="--capacity")  # fmt: skip
    elif capacity is None:
        if delivery.any() or pickup.any():
            raise InputError("the CSV has demands: give the vehicle capacity", field="--capacity")
        capacity = 1.0  # no demands: the capacity binds nothing

    table = client.table(loc)
    far = np.flatnonzero(table.snap_m > max_snap_m)
    if far.size:
        k = int(far[0])
        raise InputError(
            f"{labels[k]}: ({loc[k, 0]}, {loc[k, 1]}) is {table.snap_m[k] / 1000:.1f} km from "
            f"the nearest road{_of(region)}: outside the region (limit {max_snap_m:g} m)"
            + (f"; {far.size - 1} more such point(s)" if far.size > 1 else ""),
            path=str(p),
        )
    unreachable = table.unreachable()
    if unreachable:
        parts = [
            f"{labels[k]} cannot reach {a} and cannot be reached from {b} point(s)"
            for k, (a, b) in list(unreachable.items())[:5]
        ]
        more = len(unreachable) - len(parts)
        raise InputError(
            "no road route between some points: " + "; ".join(parts)
            + (f"; and {more} more point(s)" if more > 0 else ""),
            path=str(p),
        )  # fmt: skip
    try:
        return Instance(
            num_depots=D,
            locations=loc,
            delivery=delivery,
            pickup=pickup,
            service_time=column("service_time", 0.0),
            tw_early=early,
            tw_late=late,
            capacity=None if capacity is None else float(capacity),
            vehicle_count=vehicle_count,
            backhaul=backhaul,  # type: ignore[arg-type]
            coordinates="lonlat",
            distance_matrix=table.distances,
            duration_matrix=table.durations,
            ids=node_ids,
            name=name or p.stem,
            fleet=() if types is None else types.types,
            vehicle_types=tuple(kinds) if types is not None else (),
        )
    except InputError as e:
        raise e.with_path(str(p)) from None


def _of(region: Region | None) -> str:
    return f" of region {region.name}" if region is not None else ""


def _check_in_bbox(
    loc: np.ndarray, region: Region, margin_m: float, labels: list[str], path: Path
) -> None:
    lon0, lat0, lon1, lat1 = region.bbox
    dlat = margin_m / 111_320.0
    dlon = dlat / max(math.cos(math.radians((lat0 + lat1) / 2)), 1e-6)
    out = np.flatnonzero(
        (loc[:, 0] < lon0 - dlon) | (loc[:, 0] > lon1 + dlon)
        | (loc[:, 1] < lat0 - dlat) | (loc[:, 1] > lat1 + dlat)
    )  # fmt: skip
    if out.size:
        k = int(out[0])
        raise InputError(
            f"{labels[k]}: ({loc[k, 0]}, {loc[k, 1]}) is outside region {region.name} "
            f"(lon {lon0:.4f}..{lon1:.4f}, lat {lat0:.4f}..{lat1:.4f})"
            + (f"; {out.size - 1} more such point(s)" if out.size > 1 else ""),
            path=str(path),
        )
