"""Import of public benchmark files, each with the distance convention of its best-known costs.

`read_external` reads VRPLIB/TSPLIB (``.vrp``), LKH-3 VRPB (``.vrpb``) and VRPMPD
(``.vrpmpd``), and Solomon (``.txt``) instances; the format is told by the content.
`read_external_solution` reads the ``Route #i: ...`` / ``Cost ...`` solution files.
The `vrplib` package parses the text; this module fixes what it gets wrong for our use.

Distance conventions, stored so that `evaluate` reproduces the published costs:

- ``EUC_2D`` (X, Augerat, X-based VRPB): each arc rounded to the nearest integer,
  ``floor(d + 0.5)`` as TSPLIB defines it, stored as an explicit ``distance_matrix``
  (vrplib returns the unrounded distances).
- ``EUC_2D`` files named ``CMT<k>`` (the CMT set as distributed with HGS-CVRP) and
  ``EXACT_2D`` (LKH-3 ``.vrpb``/``.vrpmpd``): unrounded Euclidean from the coordinates; no
  matrix. (vrplib returns ``round(1000 d)`` for ``EXACT_2D``, LKH-3's internal scaling.)
- ``CEIL_2D``: each arc rounded up. ``EXPLICIT``: the matrix in the file (Toth-Vigo VRPB).
- Solomon: by default the distance-only convention of CVRPLIB and the exact methods, every
  travel distance and travel time truncated to one decimal, ``floor(10 d) / 10``, as explicit
  distance and duration matrices; ``solomon_distances="exact"`` keeps unrounded Euclidean
  distances (the hierarchical SINTEF convention).

Route length limits. A VRPLIB ``DISTANCE`` bounds a route's travel distance *plus* the
service times of its customers (CMT6-10, 13, 14 with ``SERVICE_TIME``; the Salhi-Nagy
``.vrpmpd`` files). FORMAT.md's ``max_distance`` counts distance only, so the limit is
expressed exactly as a route duration limit instead: speed 1 (travel time = distance), the
customers' service times, no customer windows, and the depot window ``[0, DISTANCE]``; being
back at the depot by ``DISTANCE`` is then ``distance + service times <= DISTANCE``. Such
instances therefore read as a ``...tw`` variant (CMT6 is ``vrptw``, CMT06H is ``vrpmbtw``),
and the same holds for a file with ``DISTANCE`` but no service time.

Fleet: ``VEHICLES`` (LKH-3 files) and Solomon's ``VEHICLE NUMBER`` become
``vehicles.count``. The ``k`` of an Augerat name (``A-n32-k5``, sets A, B and P) is a limit
too: CVRPLIB's proven optima use k vehicles, and with a free fleet the engines found cheaper
routes with k + 1 of them on five files at 2 s (`./scripts/run_benchmarks augerat` before
this rule; B-n51-k7: 1016 with 8 routes against 1032 with 7), which read as gaps below
zero. (P-n55-k8 keeps one: its 588 is the optimum with exactly 8 routes, and 7 routes give
576; ``../shared/benchmarks/augerat/bks.csv`` notes it.) The ``k`` of an X name is a lower
bound, and any other file without a count has an unlimited fleet.
Backhauls: ``VRPB`` files are ``classic``, ``VRPMPD`` files ``mixed``.

Several depots (``TYPE: MDVRPTW``, Vidal et al. 2013 in PyVRP's dialect): the depots are
nodes 1..D, and the file's numbers are PyVRP's ``exact`` units, in which its best-known costs
are stated: every arc is ``round(1000 d)``, travel time = distance, and time windows and
service times are multiplied by 1000 too. Two of its rules cannot be expressed in FORMAT.md
and are relaxed (the published routes stay feasible at their stated cost; a solver may find
cheaper plans that break them, see docs/benchmarks.md): ``VEHICLES_MAX_DURATION``, a limit on
a route's time from departure to return with a departure the vehicle chooses (FORMAT.md
leaves at the depot's earliest), and ``VEHICLES_DEPOT_SECTION``'s fleet per depot
(``VEHICLES`` becomes the limit over all depots). In its ``.sol`` files ``Route #k`` is
vehicle k and starts at that vehicle's depot (`read_external_solution` with ``instance=``).

Heterogeneous fleets (``TYPE: HFVRP``, Pessoa et al. 2018 in PyVRP's dialect, the
``hfvrp`` set): ``CAPACITY_SECTION``, ``VEHICLES_FIXED_COST_SECTION`` and
``VEHICLES_UNIT_DISTANCE_COST_SECTION`` give one line per vehicle; consecutive vehicles with
the same three values become one vehicle type (ids ``t1``, ``t2``, ... in file order) whose
``count`` is their number. The convention of the best-known costs: the file's fixed and unit
distance costs divided by 100 (PyVRP's dialect multiplied them by 100) over **unrounded**
Euclidean distances, although the files say ``EUC_2D`` (X101-FSMFD: its ``.sol`` costs
35,170.24 so, as stated). In a ``.sol``, ``Route #k`` is vehicle k, so its type is vehicle k's
(`read_external_solution` with ``instance=``). 26 of the 67 ``.sol`` files state their cost
in PyVRP's ``exact`` units instead (every arc ``round(1000 d)`` and the costs x 100: 10^5
times ours, e.g. X129-FSMFD's 5921884811); a stated HFVRP cost of `EXACT_COST_FLOOR` or more
is read in those units and divided by 10^5 (`ExternalSolution.cost`), which agrees with our
cost of its routes within 3e-7 relative (the rounding of its arcs).

Checked, not trusted: a ``TYPE``, a specification line or a section the project cannot
express is refused in one line naming it (prizes, vehicle types, release times, ...), never
dropped in silence.

Node numbering: VRPLIB node ``k`` (1-based, depots first) is our node ``k - 1``; Solomon
customer ``k`` is node ``k``. The customers keep the default ids ``"1".."C"``, so in a
single-depot file customer id ``k`` is node ``k``, and in every file a ``.sol`` index ``k``
is node ``k``.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from vrp.errors import InputError
from vrp.model.fleet import VehicleType
from vrp.model.instance import Instance
from vrp.model.solution import Route, Solution

SolomonDistances = Literal["truncated", "exact"]
SOLOMON_DISTANCES: tuple[SolomonDistances, ...] = ("truncated", "exact")
EXTERNAL_SUFFIXES = (".vrp", ".vrpb", ".vrpmpd", ".txt")

# CMT files (HGS-CVRP's copies) say EUC_2D, but their best-known costs are unrounded.
_UNROUNDED_EUC_2D = re.compile(r"CMT\d+", re.IGNORECASE)
# Augerat's sets A, B and P: the k of the name is the fleet of the best-known costs.
_AUGERAT = re.compile(r"[ABP]-n\d+-k(\d+)")
_SECTION = re.compile(r"^\s*([A-Z_]+_SECTION)\s*:?\s*$", re.MULTILINE)
_SPECIFICATION = re.compile(r"^\s*([A-Z][A-Z0-9_]*)\s*:", re.MULTILINE)

# What vrp reads of a VRPLIB file. Anything else is refused, with the reason when it is known.
_TYPES = ("CVRP", "DCVRP", "VRPB", "VRPMPD", "VRPTW", "CVRPTW", "MDVRPTW", "HFVRP")
_SPECIFICATIONS = {
    "NAME", "COMMENT", "TYPE", "DIMENSION", "CAPACITY", "VEHICLES", "DISTANCE", "SERVICE_TIME",
    "EDGE_WEIGHT_TYPE", "EDGE_WEIGHT_FORMAT", "NODE_COORD_TYPE", "DISPLAY_DATA_TYPE",
    "VEHICLES_MAX_DURATION",
}  # fmt: skip
_SECTIONS = {
    "NODE_COORD_SECTION", "DEMAND_SECTION", "DEPOT_SECTION", "EDGE_WEIGHT_SECTION",
    "BACKHAUL_SECTION", "PICKUP_AND_DELIVERY_SECTION", "TIME_WINDOW_SECTION",
    "SERVICE_TIME_SECTION", "VEHICLES_DEPOT_SECTION", "DISPLAY_DATA_SECTION",
    "CAPACITY_SECTION", "VEHICLES_FIXED_COST_SECTION", "VEHICLES_UNIT_DISTANCE_COST_SECTION",
}  # fmt: skip
_FLEET = "vehicle types are read from TYPE: HFVRP files with per-vehicle sections only"
_CANNOT = {
    "HVRP": _FLEET,
    "FSMVRP": _FLEET,
    "VEHICLES_FIXED_COST": _FLEET,
    "VEHICLES_UNIT_DISTANCE_COST": _FLEET,
    "PCVRP": "prizes cannot be expressed: every customer must be served",
    "PCVRPTW": "prizes cannot be expressed: every customer must be served",
    "PRIZE_SECTION": "prizes cannot be expressed: every customer must be served",
    "PDPTW": "paired pickup-and-delivery requests cannot be expressed",
    "RELEASE_TIME_SECTION": "release times cannot be expressed",
    "VEHICLES_ALLOWED_CLIENTS_SECTION": "customers a vehicle may not serve cannot be expressed",
    "VEHICLES_RELOAD_DEPOT_SECTION": "reloads (multiple trips) cannot be expressed",
    "VEHICLES_MAX_RELOADS": "reloads (multiple trips) cannot be expressed",
    "MUTUALLY_EXCLUSIVE_GROUP_SECTION": "optional customer groups cannot be expressed",
}
# PyVRP's `exact` units of the MDVRPTW set: distances and times x 1000, each arc rounded.
_EXACT_SCALE = 1000.0
# The HFVRP files' costs are x 100 of the published ones (PyVRP's dialect).
_HFVRP_COST_SCALE = 100.0
EXACT_COST_FLOOR = 1e8
"""An HFVRP ``.sol`` cost at least this large is in PyVRP's ``exact`` units (10^5 x ours); no
cost of the set in our units exceeds 10^6."""


@dataclass(frozen=True)
class ExternalSolution:
    """A benchmark solution file: its routes and the cost it states (None without a Cost line)."""

    solution: Solution
    cost: float | None


# -- public entry points --------------------------------------------------------------------


def read_external(
    path: str | os.PathLike[str], *, solomon_distances: SolomonDistances = "truncated"
) -> Instance:
    """Read a VRPLIB, LKH-3 (``.vrpb``/``.vrpmpd``) or Solomon instance; see the module doc.

    Raises:
        InputError: the file is missing, unreadable, of no known format, or inconsistent;
            the message names the file.
    """
    p = Path(path)
    if solomon_distances not in SOLOMON_DISTANCES:
        raise InputError(
            f"unknown value {solomon_distances!r}; expected 'truncated' or 'exact'",
            field="solomon_distances",
        )
    text = _read_text(p)
    try:
        if _is_solomon(text):
            return _from_solomon(text, p.stem, solomon_distances)
        if re.search(r"^\s*DIMENSION\s*:", text, re.MULTILINE):
            return _from_vrplib(text, p.stem)
        raise InputError("not a VRPLIB/TSPLIB, LKH-3 (.vrpb, .vrpmpd) or Solomon instance file")
    except InputError as e:
        raise e.with_path(str(p)) from None


def read_external_solution(
    path: str | os.PathLike[str], *, instance: str | os.PathLike[str] | None = None
) -> ExternalSolution:
    """Read a ``.sol`` file: ``Route #k: c1 c2 ...`` lines (node indices, the depot not
    listed) and an optional ``Cost X`` / ``Cost: X`` line.

    Customer index ``k`` is node ``k``. A route starts at depot node 0, or, when ``instance``
    (the instance file) has a ``VEHICLES_DEPOT_SECTION``, at the depot of vehicle k.
    """
    p = Path(path)
    depots = _vehicle_depots(Path(instance)) if instance is not None else None
    kinds = _vehicle_kinds(Path(instance)) if instance is not None else None
    if kinds is not None:
        depots = [0] * len(kinds)
    num_depots = 1 if depots is None else max(depots) + 1
    routes: list[tuple[int, list[int], str | None]] = []
    cost: float | None = None
    for lineno, line in enumerate(_read_text(p).splitlines(), start=1):
        s = line.strip()
        where = f"line {lineno}"
        route = re.match(r"route\s*#?\s*(\d+)\s*:(.*)$", s, re.IGNORECASE)
        if route:
            try:
                customers = [int(tok) for tok in route.group(2).split()]
            except ValueError:
                raise InputError(
                    "a route must list integer customer indices", field=where, path=str(p)
                ) from None
            if any(c < num_depots for c in customers):
                first = "1 (the depot, 0," if num_depots == 1 else f"{num_depots} (the depots"
                raise InputError(
                    f"customer indices start at {first} is not listed)", field=where, path=str(p)
                )
            vehicle = int(route.group(1))
            if depots is not None and not 1 <= vehicle <= len(depots):
                raise InputError(
                    f"route #{vehicle}: the instance has vehicles 1..{len(depots)}",
                    field=where,
                    path=str(p),
                )
            if customers:  # an empty route is an unused vehicle
                depot = 0 if depots is None else depots[vehicle - 1]
                routes.append((depot, customers, None if kinds is None else kinds[vehicle - 1]))
        elif s.lower().startswith("cost"):
            try:
                cost = float(s[4:].strip(" :\t"))
            except ValueError:
                raise InputError(
                    f"cannot read the cost {s[4:].strip(' :')!r}", field=where, path=str(p)
                ) from None
    if not routes:
        raise InputError("no 'Route #i: ...' lines: not a solution file", path=str(p))
    if kinds is not None and cost is not None and cost >= EXACT_COST_FLOOR:
        cost /= _EXACT_SCALE * _HFVRP_COST_SCALE  # PyVRP's exact units (module doc)
    return ExternalSolution(Solution([Route(d, c, k) for d, c, k in routes]), cost)


def _vehicle_kinds(instance: Path) -> list[str] | None:
    """The vehicle type id of each vehicle of an HFVRP file, or None for another file."""
    text = _read_text(instance)
    if not _section_tokens(text, "CAPACITY_SECTION"):
        return None
    from vrplib.parse import parse_vrplib

    try:
        data = parse_vrplib(text, compute_edge_weights=False)
        return _hfvrp_fleet(data)[1]
    except InputError as e:
        raise e.with_path(str(instance)) from None
    except (ValueError, RuntimeError, IndexError, KeyError, TypeError) as e:
        raise InputError(f"cannot parse as VRPLIB: {_one_line(e)}", path=str(instance)) from None


def _hfvrp_fleet(data: dict[str, Any]) -> tuple[tuple[VehicleType, ...], list[str]]:
    """The vehicle types of an HFVRP file (module doc), and the type id of each vehicle."""
    caps = np.atleast_1d(np.asarray(data.get("capacity"), dtype=float))
    k = len(caps)
    fixed = data.get("vehicles_fixed_cost")
    unit = data.get("vehicles_unit_distance_cost")
    fixed = np.zeros(k) if fixed is None else _array(fixed, (k,), "VEHICLES_FIXED_COST_SECTION")
    unit = (
        np.full(k, _HFVRP_COST_SCALE)
        if unit is None
        else _array(unit, (k,), "VEHICLES_UNIT_DISTANCE_COST_SECTION")
    )
    if "vehicles" in data and _positive_int(data, "vehicles") != k:
        raise InputError(f"{k} vehicles in CAPACITY_SECTION", field="VEHICLES")
    types: list[VehicleType] = []
    kinds: list[str] = []
    last: tuple[float, float, float] | None = None
    for q, f, u in zip(caps.tolist(), fixed.tolist(), unit.tolist(), strict=True):
        if (q, f, u) == last:
            types[-1] = replace(types[-1], count=(types[-1].count or 0) + 1)
        else:
            types.append(
                VehicleType(
                    id=f"t{len(types) + 1}",
                    capacity=q,
                    count=1,
                    fixed_cost=f / _HFVRP_COST_SCALE,
                    distance_cost=u / _HFVRP_COST_SCALE,
                )
            )
            last = (q, f, u)
        kinds.append(types[-1].id)
    return tuple(types), kinds


def _vehicle_depots(instance: Path) -> list[int] | None:
    """The depot node of each vehicle (``VEHICLES_DEPOT_SECTION``), or None without one."""
    tokens = _section_tokens(_read_text(instance), "VEHICLES_DEPOT_SECTION")
    if not tokens:
        return None
    try:
        pairs = np.array([int(t) for t in tokens], dtype=int).reshape(-1, 2)
    except ValueError:
        raise InputError(
            "expected lines 'vehicle depot' of integers",
            field="VEHICLES_DEPOT_SECTION",
            path=str(instance),
        ) from None
    if pairs[:, 0].tolist() != list(range(1, len(pairs) + 1)) or pairs[:, 1].min() < 1:
        raise InputError(
            "expected vehicles 1..K in order, each with a depot node >= 1",
            field="VEHICLES_DEPOT_SECTION",
            path=str(instance),
        )
    return (pairs[:, 1] - 1).tolist()


# -- distance conventions -------------------------------------------------------------------


def _pairwise(locations: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances ``[N, 2] -> [N, N]``, without a ``[N, N, 2]`` temporary."""
    x, y = locations[:, 0], locations[:, 1]
    dx = x[:, None] - x[None, :]
    dy = y[:, None] - y[None, :]
    return dx * dx + dy * dy


def nint_matrix(locations: np.ndarray) -> np.ndarray:
    """TSPLIB ``EUC_2D``: ``nint(d) = floor(d + 0.5)`` per arc."""
    return np.floor(np.sqrt(_pairwise(locations)) + 0.5)


def truncated_matrix(locations: np.ndarray) -> np.ndarray:
    """Solomon distance-only convention: ``floor(10 d) / 10`` per arc.

    Computed as ``floor(sqrt(100 d^2)) / 10`` so that integer coordinates at a whole or
    one-decimal distance are not pushed below it by rounding in ``10 * sqrt(d^2)``.
    """
    return np.floor(np.sqrt(100.0 * _pairwise(locations))) / 10.0


# -- VRPLIB / LKH-3 -------------------------------------------------------------------------


def _check_vrplib(text: str) -> str:
    """The file's TYPE, once its TYPE, specifications and sections are all ones vrp reads."""
    kind = ""
    for m in _SPECIFICATION.finditer(text):
        key = m.group(1)
        if key.endswith("_SECTION"):
            continue
        if key == "TYPE":
            kind = text[m.end() :].split("\n", 1)[0].strip().upper()
        elif key in _CANNOT:
            raise InputError(_CANNOT[key], field=key)
        elif key not in _SPECIFICATIONS:
            raise InputError("a specification vrp does not read", field=key)
    if kind in _CANNOT:
        raise InputError(f"{kind}: {_CANNOT[kind]}", field="TYPE")
    if kind and kind not in _TYPES:
        raise InputError(f"{kind}: not a type vrp reads ({', '.join(_TYPES)})", field="TYPE")
    for m in _SECTION.finditer(text):
        section = m.group(1)
        if section in _CANNOT:
            raise InputError(_CANNOT[section], field=section)
        if section not in _SECTIONS:
            raise InputError("a section vrp does not read", field=section)
    return kind or "CVRP"


def _from_vrplib(text: str, name: str) -> Instance:
    from vrplib.parse import parse_vrplib

    kind = _check_vrplib(text)
    try:
        data = parse_vrplib(text, compute_edge_weights=False)
    except (ValueError, RuntimeError, IndexError, KeyError, TypeError) as e:
        raise InputError(f"cannot parse as VRPLIB: {_one_line(e)}") from None
    n = _positive_int(data, "dimension")
    fleet: tuple[VehicleType, ...] = ()
    if kind == "HFVRP" or "capacity_section" in text.lower():
        if np.ndim(data.get("capacity")) == 0:
            raise InputError(
                "an HFVRP file gives one capacity per vehicle", field="CAPACITY_SECTION"
            )
        fleet = _hfvrp_fleet(data)[0]
        capacity = None
    else:
        capacity = _number(data, "capacity")
    if "vehicles_max_duration" in data and kind != "MDVRPTW":
        raise InputError(
            "a route duration limit is read only from MDVRPTW files, where it is relaxed"
            " (docs/benchmarks.md)",
            field="VEHICLES_MAX_DURATION",
        )

    depots = np.atleast_1d(np.asarray(data.get("depot", [0]))).astype(int)
    num_depots = len(depots)
    if depots.tolist() != list(range(num_depots)):
        raise InputError(
            f"the depots must be the first nodes, 1..D (got nodes {(depots + 1).tolist()})",
            field="DEPOT_SECTION",
        )
    if num_depots > 1 and kind != "MDVRPTW":
        raise InputError(
            f"several depots are read from MDVRPTW files only (TYPE is {kind})",
            field="DEPOT_SECTION",
        )
    if "vehicles_depot" in data:
        on = np.atleast_1d(np.asarray(data["vehicles_depot"], dtype=float))
        if on.min() < 1 or on.max() > num_depots or not np.all(on == np.round(on)):
            raise InputError(
                f"depots must be nodes 1..{num_depots}", field="VEHICLES_DEPOT_SECTION"
            )

    coords = data.get("node_coord")
    locations = None
    if coords is not None:
        locations = _array(coords, (n, 2), "NODE_COORD_SECTION")
    scale = _EXACT_SCALE if kind == "MDVRPTW" else 1.0
    if scale != 1.0:
        if str(data.get("edge_weight_type", "")).upper() != "EUC_2D" or locations is None:
            raise InputError(
                "MDVRPTW files are read with EUC_2D coordinates", field="EDGE_WEIGHT_TYPE"
            )
        distance_matrix: np.ndarray | None = np.round(scale * np.sqrt(_pairwise(locations)))
    else:
        distance_matrix = _vrplib_distances(data, n, name, locations)

    delivery, pickup = np.zeros(n), np.zeros(n)
    service = np.zeros(n)
    early, late = np.full(n, -np.inf), np.full(n, np.inf)
    backhaul: Literal["classic", "mixed"] = "classic"
    if kind == "VRPMPD" or "pickup_and_delivery" in data:
        backhaul = "mixed"
        # LKH-3: id, demand (unused), earliest, latest, service time, pickup, delivery.
        pd = _array(data.get("pickup_and_delivery"), (n, 6), "PICKUP_AND_DELIVERY_SECTION")
        service, pickup, delivery = pd[:, 3].copy(), pd[:, 4].copy(), pd[:, 5].copy()
        windows = pd[:, 1:3]
        # The Salhi-Nagy files give every node the depot's window [0, 10^7]: no constraint.
        if np.any(windows[1:, 0] > windows[0, 0]) or np.any(windows[1:, 1] < windows[0, 1]):
            early[:], late[:] = windows[:, 0], windows[:, 1]
    else:
        if "demand" in data:
            delivery = _array(data["demand"], (n,), "DEMAND_SECTION").copy()
        if "backhaul" in data:
            delivery, pickup = _backhauls(text, data["backhaul"], delivery, n)
        if "time_window" in data:
            windows = _array(data["time_window"], (n, 2), "TIME_WINDOW_SECTION")
            early[:], late[:] = windows[:, 0], windows[:, 1]
        if "service_time" in data:
            st = data["service_time"]
            service = (
                np.full(n, float(st))
                if np.ndim(st) == 0
                else _array(st, (n,), "SERVICE_TIME_SECTION").copy()
            )
    service[:num_depots] = 0.0  # the depot rows of a section may carry the common service time
    if scale != 1.0:
        service = np.round(scale * service)
        early, late = np.round(scale * early), np.round(scale * late)

    if "distance" in data:
        limit = _number(data, "distance")
        if np.isfinite(early[1:]).any() or np.isfinite(late[1:]).any():
            raise InputError(
                "a route length limit together with customer time windows is not supported",
                field="DISTANCE",
            )
        early[0] = 0.0
        late[0] = min(late[0], limit)

    vehicles = data.get("vehicles")
    count = None if vehicles is None or fleet else _positive_int(data, "vehicles")
    if count is None and (augerat := _AUGERAT.fullmatch(name)):
        count = int(augerat.group(1))
    if fleet:  # the BKS are over unrounded Euclidean distances (module doc)
        distance_matrix = None
    return Instance(
        num_depots=num_depots,
        locations=locations,
        delivery=delivery,
        pickup=pickup,
        service_time=service,
        tw_early=early,
        tw_late=late,
        capacity=capacity,
        vehicle_count=count,
        backhaul=backhaul,
        distance_matrix=distance_matrix,
        name=name,
        fleet=fleet,
    )


def _vrplib_distances(
    data: dict[str, Any], n: int, name: str, locations: np.ndarray | None
) -> np.ndarray | None:
    """The explicit matrix of the file's convention, or None for unrounded Euclidean."""
    kind = str(data.get("edge_weight_type", "")).upper()
    if kind == "EXPLICIT":
        if "edge_weight" not in data:
            raise InputError("EDGE_WEIGHT_TYPE is EXPLICIT but there is no EDGE_WEIGHT_SECTION")
        return _array(data["edge_weight"], (n, n), "EDGE_WEIGHT_SECTION")
    if kind not in ("EUC_2D", "EXACT_2D", "CEIL_2D"):
        raise InputError(
            f"{kind or 'missing'}; supported: EUC_2D, EXACT_2D, CEIL_2D, EXPLICIT",
            field="EDGE_WEIGHT_TYPE",
        )
    if locations is None:
        raise InputError(f"{kind} needs node coordinates", field="NODE_COORD_SECTION")
    if kind == "EXACT_2D" or _UNROUNDED_EUC_2D.fullmatch(str(data.get("name", name))):
        return None
    if kind == "CEIL_2D":
        return np.ceil(np.sqrt(_pairwise(locations)))
    return nint_matrix(locations)


def _backhauls(text: str, parsed: Any, demand: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Delivery and pickup per node from the two BACKHAUL_SECTION dialects.

    LKH-3 lists backhaul node ids ending with -1; their DEMAND is a pickup. vrplib reads that
    list as rows with an index column, dropping ids, so it is read from the text here.
    PyVRP's dialect gives a pickup amount per node, which vrplib reads correctly.
    """
    tokens = _section_tokens(text, "BACKHAUL_SECTION")
    if tokens and tokens[-1] == "-1":
        try:
            ids = np.array([int(t) for t in tokens[:-1]], dtype=int)
        except ValueError:
            raise InputError("node ids must be integers", field="BACKHAUL_SECTION") from None
        if ids.size and (ids.min() < 2 or ids.max() > n):
            raise InputError(f"node ids must be in 2..{n}", field="BACKHAUL_SECTION")
        pickup = np.zeros(n)
        pickup[ids - 1] = demand[ids - 1]
        delivery = demand.copy()
        delivery[ids - 1] = 0.0
        return delivery, pickup
    return demand, _array(parsed, (n,), "BACKHAUL_SECTION").copy()


def _section_tokens(text: str, section: str) -> list[str]:
    """The whitespace-separated tokens of one section of a VRPLIB text."""
    starts = list(_SECTION.finditer(text))
    for i, m in enumerate(starts):
        if m.group(1) == section:
            end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
            body = text[m.end() : end]
            eof = re.search(r"^\s*EOF\s*$", body, re.MULTILINE)
            return (body[: eof.start()] if eof else body).split()
    return []


# -- Solomon --------------------------------------------------------------------------------


def _is_solomon(text: str) -> bool:
    lines = [s for line in text.splitlines()[:8] if (s := line.strip())]
    return len(lines) >= 3 and lines[1].upper().startswith("VEHICLE") and "CAPACITY" in lines[2]


def _from_solomon(text: str, name: str, convention: SolomonDistances) -> Instance:
    from vrplib.parse import parse_solomon

    try:
        data = parse_solomon(text, compute_edge_weights=False)
        # vrplib's genfromtxt turns a non-number into -1 silently: check the table here.
        rows = [line.split() for line in text.splitlines() if line.strip()][6:]
        for k, row in enumerate(rows):
            if len(row) != 7 or not all(_is_number(t) for t in row) or float(row[0]) != k:
                raise ValueError(f"customer row {k} is not 'CUST NO. X Y DEMAND READY DUE SERVICE'")
        locations = np.asarray(data["node_coord"], dtype=float)
    except (ValueError, RuntimeError, IndexError, KeyError, TypeError) as e:
        raise InputError(f"cannot parse as a Solomon instance: {_one_line(e)}") from None
    n = len(locations)
    windows = np.asarray(data["time_window"], dtype=float)
    service = np.asarray(data["service_time"], dtype=float)
    # The depot's due date is the end of the horizon; it has no service time.
    truncated = truncated_matrix(locations) if convention == "truncated" else None
    return Instance(
        num_depots=1,
        locations=locations,
        delivery=np.asarray(data["demand"], dtype=float),
        pickup=np.zeros(n),
        service_time=service,
        tw_early=windows[:, 0],
        tw_late=windows[:, 1],
        capacity=float(data["capacity"]),
        vehicle_count=int(data["vehicles"]),
        distance_matrix=truncated,
        duration_matrix=truncated,
        name=name,
    )


# -- helpers --------------------------------------------------------------------------------


def _read_text(p: Path) -> str:
    try:
        return p.read_text()
    except FileNotFoundError:
        raise InputError("no such file", path=str(p)) from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read file ({e.__class__.__name__})", path=str(p)) from None


def _is_number(token: str) -> bool:
    try:
        return math.isfinite(float(token))
    except ValueError:
        return False


def _one_line(e: BaseException) -> str:
    msg = " ".join(str(e).split()) or e.__class__.__name__
    return msg[:200]


def _number(data: dict[str, Any], key: str) -> float:
    v = data.get(key)
    if v is None:
        raise InputError("missing required field", field=key.upper())
    if isinstance(v, np.ndarray | list) and len(v) > 1:
        raise InputError(
            f"{len(v)} values, one per vehicle: heterogeneous fleets are not imported yet",
            field=key.upper(),
        )
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v <= 0:
        raise InputError(f"must be a positive number, got {v!r}", field=key.upper())
    return float(v)


def _positive_int(data: dict[str, Any], key: str) -> int:
    v = _number(data, key)
    if not v.is_integer():
        raise InputError(f"must be a positive integer, got {v:g}", field=key.upper())
    return int(v)


def _array(value: Any, shape: tuple[int, ...], section: str) -> np.ndarray:
    if value is None:
        raise InputError("missing section", field=section)
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise InputError("rows of unequal length or non-numeric values", field=section) from None
    if arr.shape != shape:
        raise InputError(f"has shape {arr.shape}, expected {shape} (DIMENSION)", field=section)
    return arr
