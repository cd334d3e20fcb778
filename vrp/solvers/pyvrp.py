"""PyVRP 0.14 (an iterated local search) for all 96 variants.

The mapping, attribute by attribute (node k of the instance is PyVRP location k; depots
first, so client i is node ``D + i``):

- capacity, deliveries, pickups: one load dimension with ``delivery`` and ``pickup`` on each
  client. PyVRP's load profile (all deliveries on board at departure, then ``- delivery +
  pickup`` at each stop) is exactly our mixed-backhaul rule, and without pickups it is the
  plain capacity rule. Classic backhaul uses two dimensions instead (deliveries, pickups),
  each limited by Q, which is its load rule whatever the order.
- classic backhaul order: PyVRP has no precedence rule, so every backhaul -> linehaul arc
  costs more than any whole solution that avoids them (`_forbid`). That is a cost, not a
  constraint: a returned solution that still uses such an arc is discarded (None). A
  customer with neither delivery nor pickup could sit between the two and hide such a link,
  so those instances are refused.
- time windows, service times, depot windows (the vehicle leaves at the depot's earliest,
  must be back by its latest): client and vehicle-type time windows. PyVRP may start later
  than the earliest; that never helps reach a window, so its routes are feasible from the
  earliest start as our rule has it.
- multi-depot: one vehicle type per depot, starting and ending there.
- open routes: zero distance and duration on every arc into a depot, and no depot deadline.
- distance limit: ``VehicleType.max_distance``.
- asymmetric distance and duration matrices: passed as they are.
- fleet count: ``num_available`` (single depot). A count shared by several depots is not
  expressible with one count per vehicle type, so it is refused unless it cannot bind.
- a fleet (H, `_fleet_problem`): one PyVRP vehicle type per type and depot it may use, with
  its capacity, start and end depot, shift (``tw_early`` = max(depot earliest, shift start),
  ``tw_late`` = min(depot latest, shift end)), ``max_distance``, ``fixed_cost`` and
  ``unit_distance_cost``; its travel times (``duration_factor``) through a routing profile.
  Customers a type may not serve, and classic backhaul's backhaul -> linehaul arcs, are made
  unreachable in time rather than dear: every arc into such a customer takes longer than the
  horizon (`_Horizon`) in that type's profile, and every type must be back by the horizon, so
  a route that uses one has time warp and is infeasible to PyVRP itself (a fixed cost or a
  unit cost of 0 would make a dear arc cheap). A type's count shared by several depots is
  refused like ``vehicles.count``.

A warm start (``solve(..., initial=plan)``): a plan of ours becomes PyVRP's initial solution
(`_to_pyvrp`), each route on the vehicle type of its depot (one per depot) or, with a fleet,
of its type and depot. A plan that has no such mapping (a route without its type, a type at a
depot it may not use, more routes than a type has vehicles, a customer missing or served
twice) is ignored and PyVRP starts from its own. PyVRP keeps its best solution, and the seed
is its first best; since `evaluate()` may order two plans differently from PyVRP's rounded
integers, the seed itself is returned when `evaluate()` finds it better than PyVRP's answer.

Integers: PyVRP truncates floats, so values are scaled here (`_Scale`) by powers of ten that
put the largest distance (duration) in ``[1e5, 1e6)``: about five significant digits per
arc. Rounding is conservative wherever a limit is checked: durations, service times and
earliest times round up, latest times and the distance limit round down, distances round up
when a distance limit exists (to the nearest integer otherwise), loads round up and the
capacity down. So a solution PyVRP finds feasible is feasible by `evaluate()`, and the cost
it optimised differs from the re-evaluated one by at most half a scaled unit per arc.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from vrp.errors import SolverError
from vrp.model.evaluate import evaluate
from vrp.model.instance import Instance
from vrp.model.solution import Route, Solution
from vrp.model.variants import Variant
from vrp.solvers.base import Budget, Progress

_MAX_VALUE = 1 << 44  # PyVRP's documented largest safe matrix entry (pyvrp.constants)
_EPS = 1e-6  # in scaled units: float noise such as 0.1 * 1e5 = 10000.000000000002
_PROGRESS_EVERY_S = 0.25


LARGE_CUSTOMERS = 1000
"""From this many customers PyVRP searches a granular neighbourhood of `LARGE_NEIGHBOURS`."""
LARGE_FLEET_CUSTOMERS = 600
"""The same from this many customers on an instance with a fleet (vehicle types)."""
LARGE_NEIGHBOURS = 25


def neighbours(num_customers: int, fleet: bool = False) -> int:
    """The size of PyVRP's granular neighbourhood for an instance of ``num_customers``, with
    or without a ``fleet`` (``NeighbourhoodParams.num_neighbours``; PyVRP's default is 50).

    Measured by scripts/large_settings.py at 60 CPU s (docs/solvers.md, "Large
    instances"): on X-n1001-k43, a generated VRPTW of 1000 and Monaco road CVRPs of 2000 and
    5000 customers, 25 neighbours gave the lowest cost on all four (0.0 to 0.8 % below 50);
    12 was worse on three (up to 61 % at 5000: too narrow to repair the first solution).
    On 16 instances of the HFVRP set (fleets), 25 was lower on 7 of the 9 from 600 to 1000
    customers (by 0.4 % on average) and higher on 5 of the 7 from 300 to 599. Below these
    sizes PyVRP's default stays.
    """
    large = LARGE_FLEET_CUSTOMERS if fleet else LARGE_CUSTOMERS
    return LARGE_NEIGHBOURS if num_customers >= large else 50


def _power_of_ten(largest: float, low: float = 1e5) -> float:
    """10^k putting ``largest`` in ``[low, 10 low)``; 1 when there is nothing to scale."""
    if not largest > 0 or not math.isfinite(largest):
        return 1.0
    return 10.0 ** (math.floor(math.log10(low)) - math.floor(math.log10(largest)))


def _up(x: np.ndarray | float) -> np.ndarray:
    return np.ceil(np.asarray(x, dtype=float) - _EPS).astype(np.int64)


def _down(x: np.ndarray | float) -> np.ndarray:
    return np.floor(np.asarray(x, dtype=float) + _EPS).astype(np.int64)


@dataclass(frozen=True)
class _Scale:
    """Factors from our units to PyVRP's integers: distance, time and load."""

    distance: float
    time: float
    load: float
    time_origin: float  # subtracted from every time before scaling
    cost: float = 1.0  # a fleet's distance costs x this are PyVRP's integer unit costs

    @classmethod
    def of(cls, inst: Instance) -> _Scale:
        s_d = _power_of_ten(float(inst.distances.max()))
        times = [inst.depot_start(d) for d in range(inst.num_depots)]
        shifts = [float(x) for t in inst.fleet if t.shift is not None for x in t.shift]
        finite = np.concatenate([inst.tw_early, inst.tw_late, shifts])
        finite = finite[np.isfinite(finite)]
        origin = min(times + ([float(finite.min())] if finite.size else []))
        # Time: scaled like the travel times (so time warp and distance weigh alike in the
        # search), from the windows and service times when there is no travel time at all,
        # and coarser only if the horizon would leave PyVRP's safe integer range.
        factor = max([t.duration_factor for t in inst.fleet], default=1.0)
        smax, dmax = float(inst.service_time.max()), float(inst.durations.max()) * factor
        span = max(smax, float(finite.max()) - origin if finite.size else 0.0)
        s_t = _power_of_ten(dmax if dmax > 0 else span)
        longest = span + inst.num_nodes * (dmax + smax)  # no schedule runs past this
        while longest * s_t > _MAX_VALUE / 16:
            s_t /= 10
        # Load: PyVRP's penalty per unit of excess load lives in [0.1, 1e5] against a cost of
        # 1 per distance unit; keep Q about as large as the largest arc, as in the classic
        # integer benchmarks, so the penalties can balance. Never coarser than the data.
        ratio = float(inst.distances.max()) * s_d / inst.capacity
        s_q = 10.0 ** max(0, round(math.log10(ratio))) if ratio > 0 else 1.0
        return cls(s_d, s_t, s_q, origin, _cost_scale([t.distance_cost for t in inst.fleet]))

    def t_up(self, x: float) -> int:
        """A time (earliest, departure) in PyVRP's units, rounded up."""
        return int(_up((x - self.time_origin) * self.time))

    def t_down(self, x: float) -> int:
        """A time (latest, deadline) in PyVRP's units, rounded down."""
        return int(_down((x - self.time_origin) * self.time))


def _cost_scale(unit_costs: list[float]) -> float:
    """10^k making every unit distance cost an integer (k <= 3), else putting the largest in
    ``[1e3, 1e4)``: the objective then rounds each unit cost to four significant digits
    (`evaluate()` scores the answer exactly)."""
    if not unit_costs:
        return 1.0
    for k in range(4):
        scaled = np.asarray(unit_costs, dtype=float) * 10.0**k
        if np.allclose(scaled, np.round(scaled), rtol=0.0, atol=1e-9 * max(1.0, scaled.max())):
            return 10.0**k
    return _power_of_ten(max(unit_costs), low=1e3)


def _forbid(inst: Instance) -> np.ndarray:
    """[N, N] mask of the backhaul -> linehaul arcs that classic backhaul forbids."""
    mask = np.zeros((inst.num_nodes, inst.num_nodes), dtype=bool)
    if inst.backhaul_kind == "classic":
        mask[np.ix_(inst.pickup > 0, inst.delivery > 0)] = True
    return mask


def _problem(inst: Instance, sc: _Scale):  # -> pyvrp.ProblemData
    from pyvrp import Depot, Location, ProblemData, VehicleType

    D, N, C = inst.num_depots, inst.num_nodes, inst.num_customers
    limited = inst.max_distance is not None
    dist = inst.distances * sc.distance
    dist = _up(dist) if limited else np.rint(dist).astype(np.int64)
    dur = _up(inst.durations * sc.time)
    if inst.open:  # the return leg counts for nothing
        dist[:, :D] = 0
        dur[:, :D] = 0
    forbidden = _forbid(inst)
    if forbidden.any():
        # Dearer than any solution without such arcs: at most 2N arcs of the largest length.
        big = 2 * N * int(dist.max()) + 1
        if big >= _MAX_VALUE:
            raise SolverError("distances too large for PyVRP's integer arithmetic")
        dist[forbidden] = big
    np.fill_diagonal(dist, 0)
    np.fill_diagonal(dur, 0)

    classic = inst.backhaul_kind == "classic"
    q = int(_down(inst.capacity * sc.load))
    depots, types = [], []
    shared_count = inst.vehicle_count is not None and D > 1
    per_depot = C if inst.vehicle_count is None or shared_count else inst.vehicle_count
    for d in range(D):
        kw = {"tw_early": sc.t_up(inst.depot_start(d))}
        if math.isfinite(inst.tw_late[d]) and not inst.open:
            kw["tw_late"] = sc.t_down(inst.tw_late[d])
        depots.append(Depot(location=d, name=inst.ids[d], **kw))
        vkw = dict(kw)
        if limited:
            vkw["max_distance"] = int(_down(inst.max_distance * sc.distance))
        types.append(
            VehicleType(
                num_available=per_depot,
                capacity=[q, q] if classic else [q],
                start_depot=d,
                end_depot=d,
                **vkw,
            )
        )
    if inst.locations is not None:
        locations = [Location(float(x), float(y)) for x, y in inst.locations]
    else:  # coordinates are for plotting only; the search reads the matrices
        locations = [Location(0.0, 0.0) for _ in range(N)]
    return ProblemData(
        locations=locations,
        clients=_clients(inst, sc, classic),
        depots=depots,
        vehicle_types=types,
        distance_matrices=[dist],
        duration_matrices=[dur],
    )


def _clients(inst: Instance, sc: _Scale, classic: bool) -> list:  # list[pyvrp.Client]
    """One PyVRP client per customer: its loads (two dimensions if ``classic``), service time
    and window, in PyVRP's units."""
    from pyvrp import Client

    deliv = _up(inst.delivery * sc.load)
    pick = _up(inst.pickup * sc.load)
    clients = []
    for k in inst.customers:
        e, late = inst.tw_early[k], inst.tw_late[k]
        kw = {}
        if math.isfinite(e):
            kw["tw_early"] = sc.t_up(e)
        if math.isfinite(late):
            kw["tw_late"] = sc.t_down(late)
            # A window narrower than one scaled unit rounds to an empty one: keep its end
            # (optimistic by under one unit there; evaluate() has the last word).
            kw["tw_early"] = min(kw.get("tw_early", 0), kw["tw_late"])
        if classic:
            load = {"delivery": [int(deliv[k]), 0], "pickup": [0, int(pick[k])]}
        else:
            load = {"delivery": [int(deliv[k])], "pickup": [int(pick[k])]}
        clients.append(
            Client(
                location=k,
                service_duration=int(_up(inst.service_time[k] * sc.time)),
                name=inst.ids[k],
                **load,
                **kw,
            )
        )
    return clients


def _horizon(inst: Instance, sc: _Scale) -> int:
    """A time no feasible schedule reaches: waiting for the last window, then every arc at
    the slowest type's speed with every service (in PyVRP's units)."""
    factor = max([t.duration_factor for t in inst.fleet], default=1.0)
    shifts = [float(x) for t in inst.fleet if t.shift is not None for x in t.shift]
    times = np.concatenate([inst.tw_early, inst.tw_late, shifts, [inst.depot_start(0)]])
    latest = float(times[np.isfinite(times)].max())
    longest = float((inst.durations.max(axis=1) * factor + inst.service_time).sum())
    return sc.t_up(latest) + int(_up((longest + 1.0) * sc.time)) + inst.num_nodes + 1


def _fleet_problem(inst: Instance, sc: _Scale):  # -> tuple[pyvrp.ProblemData, list[str]]
    """The ProblemData of an instance with a fleet (module docstring), and the type id of
    each PyVRP vehicle type."""
    from pyvrp import Depot, Location, ProblemData, VehicleType

    D, N, C = inst.num_depots, inst.num_nodes, inst.num_customers
    assert inst.allowed is not None
    limited = inst.has_distance_limit
    dist = inst.distances * sc.distance
    dist = _up(dist) if limited else np.rint(dist).astype(np.int64)
    if inst.open:
        dist[:, :D] = 0
    np.fill_diagonal(dist, 0)
    horizon = _horizon(inst, sc)
    unreachable = 2 * horizon + 1
    if unreachable >= _MAX_VALUE:
        raise SolverError("times too large for PyVRP's integer arithmetic")
    forbidden = _forbid(inst)
    restricted = forbidden.any() or not inst.allowed.all()

    profiles: dict[tuple[float, bytes], int] = {}
    durations: list[np.ndarray] = []
    vehicle_types, names = [], []
    for t, vtype in enumerate(inst.fleet):
        barred = ~inst.allowed[:, t]
        key = (vtype.duration_factor, barred.tobytes())
        if key not in profiles:
            dur = _up(inst.type_durations(t) * sc.time)
            if inst.open:
                dur[:, :D] = 0
            dur[forbidden] = unreachable
            dur[:, barred] = unreachable
            np.fill_diagonal(dur, 0)
            profiles[key] = len(durations)
            durations.append(dur)
        homes = inst.type_depot_nodes(t)
        available = C if vtype.count is None or len(homes) > 1 else vtype.count
        q = int(_down(vtype.capacity * sc.load))
        for d in homes:
            kw: dict[str, int] = {"tw_early": sc.t_up(inst.type_start(t, d))}
            deadline = inst.type_deadline(t, d)
            if math.isfinite(deadline) and not inst.open:
                kw["tw_late"] = min(sc.t_down(deadline), horizon)
            elif restricted:
                kw["tw_late"] = horizon
            if vtype.max_distance is not None:
                kw["max_distance"] = int(_down(vtype.max_distance * sc.distance))
            vehicle_types.append(
                VehicleType(
                    num_available=available,
                    capacity=[q, q] if inst.backhaul_kind == "classic" else [q],
                    start_depot=d,
                    end_depot=d,
                    fixed_cost=int(round(vtype.fixed_cost * sc.distance * sc.cost)),
                    unit_distance_cost=int(round(vtype.distance_cost * sc.cost)),
                    profile=profiles[key],
                    name=vtype.id,
                    **kw,
                )
            )
            names.append(vtype.id)
    depots = []
    for d in range(D):
        kw = {"tw_early": sc.t_up(inst.depot_start(d))}
        if math.isfinite(inst.tw_late[d]) and not inst.open:
            kw["tw_late"] = sc.t_down(inst.tw_late[d])
        depots.append(Depot(location=d, name=inst.ids[d], **kw))
    if inst.locations is not None:
        locations = [Location(float(x), float(y)) for x, y in inst.locations]
    else:
        locations = [Location(0.0, 0.0) for _ in range(N)]
    data = ProblemData(
        locations=locations,
        clients=_clients(inst, sc, inst.backhaul_kind == "classic"),
        depots=depots,
        vehicle_types=vehicle_types,
        distance_matrices=[dist] * len(durations),
        duration_matrices=durations,
    )
    return data, names


def _to_pyvrp(inst: Instance, data, names: list[str | None], plan: Solution):  # -> pyvrp.Solution
    """``plan`` as a PyVRP solution of ``data`` (made by `_problem`, or by `_fleet_problem`
    with its type ids ``names``), or None when it has no such form (module docstring)."""
    from pyvrp import Route as PyVRPRoute
    from pyvrp import Solution as PyVRPSolution

    D, N = inst.num_depots, inst.num_nodes
    if names:  # a fleet: one PyVRP vehicle type per (type, depot)
        types = range(data.num_vehicle_types)
        kind = {(names[i], data.vehicle_type(i).start_depot): i for i in types}
    else:  # one vehicle type per depot, numbered like the depots
        kind = {(None, d): d for d in range(D)}
    routes = []
    for r in plan.routes:
        if not r.customers:
            continue
        vehicle_type = kind.get((r.vehicle, r.depot))
        if vehicle_type is None or not all(D <= c < N for c in r.customers):
            return None
        # PyVRP numbers clients from 0: client i is our node D + i
        routes.append(PyVRPRoute(data, [c - D for c in r.customers], vehicle_type))
    try:
        solution = PyVRPSolution(data, routes)
    except RuntimeError:  # more routes than vehicles of a type, a client served twice
        return None
    return solution if solution.is_complete() else None


def _from_pyvrp(inst: Instance, solution, names: list[str | None]) -> list[Route]:
    """The routes of a PyVRP ``solution`` (see `_to_pyvrp`), empty ones left out."""
    D = inst.num_depots
    routes = []
    for route in solution.routes():
        customers = [act.idx + D for act in route if act.is_client()]
        if customers:
            vehicle = names[route.vehicle_type()] if names else None
            routes.append(Route(route.start_depot(), customers, vehicle))
    return routes


class _Stop:
    """PyVRP stopping criterion: our `Budget`, reporting progress on the way."""

    def __init__(self, budget: Budget, progress: Progress | None, scale: float, cap: int):
        self.budget, self.progress, self.scale, self.cap = budget, progress, scale, cap
        self._last = -math.inf

    def __call__(self, best_cost: int) -> bool:
        if self.progress is not None:
            now = self.budget.elapsed()
            if now - self._last >= _PROGRESS_EVERY_S:
                self._last = now
                # PyVRP's cost is INT_MAX while infeasible; above `cap` it uses a forbidden arc.
                cost = best_cost / self.scale if best_cost < self.cap else None
                self.progress(now, cost)
        return self.budget.expired()


class PyVRPSolver:
    """PyVRP 0.14's iterated local search: every variant, mapped exactly (module docstring)."""

    name = "pyvrp"

    def unsupported(self, variant: Variant) -> str | None:
        return None

    def unsupported_instance(self, instance: Instance) -> str | None:
        for label, m in (("distances", instance.distances), ("durations", instance.durations)):
            if not np.isfinite(m).all():
                return f"some {label} are not finite numbers"
        if instance.backhaul_kind == "classic":
            D = instance.num_depots
            idle = np.flatnonzero((instance.delivery[D:] == 0) & (instance.pickup[D:] == 0))
            if idle.size:
                return (
                    f"customer {instance.ids[D + int(idle[0])]!r} has neither a delivery nor a "
                    "pickup; PyVRP's arc costs cannot stop it from linking a backhaul to a "
                    "linehaul customer (use --solver ortools)"
                )
        count = instance.vehicle_count
        if instance.num_depots > 1 and count is not None and count < instance.num_customers:
            return (
                f"vehicles.count {count} is shared by {instance.num_depots} depots; PyVRP can "
                "only limit the vehicles of each depot (use --solver ortools)"
            )
        for t, vtype in enumerate(instance.fleet):
            shared = instance.num_depots > 1 and instance.type_depots[t] is None
            if shared and vtype.count is not None and vtype.count < instance.num_customers:
                return (
                    f"the count {vtype.count} of vehicle type {vtype.id!r} is shared by "
                    f"{instance.num_depots} depots; PyVRP can only limit the vehicles of each "
                    "depot (use --solver ortools)"
                )
        return None

    def solve(
        self,
        instance: Instance,
        budget: Budget,
        seed: int = 0,
        progress: Progress | None = None,
        *,
        initial: Solution | None = None,
        neighbourhood: Sequence[Sequence[int]] | None = None,
    ) -> Solution | None:
        """PyVRP's best routes within ``budget``, None when it found no feasible ones;
        ``initial``, a plan of ours, is its warm start (module docstring). ``neighbourhood``
        replaces PyVRP's granular neighbourhood (by proximity, `neighbours`): for each
        customer (0-based, in the instance's order), the customers its local search and
        perturbation try next to it."""
        reason = self.unsupported_instance(instance)
        if reason is not None:
            raise SolverError(f"pyvrp cannot solve this instance: {reason}")
        from pyvrp import SolveParams
        from pyvrp import solve as pyvrp_solve
        from pyvrp.exceptions import PenaltyBoundWarning
        from pyvrp.search import NeighbourhoodParams

        sc = _Scale.of(instance)
        names: list[str | None] = []
        forbidden = _forbid(instance)
        if instance.fleet:
            data, fleet_names = _fleet_problem(instance, sc)
            names = list(fleet_names)
            cap = 2**62  # forbidden arcs are not dear but unreachable in time
        else:
            data = _problem(instance, sc)
            cap = int(data.distance_matrix(0)[forbidden].min()) if forbidden.any() else 2**62
        seed_solution = None if initial is None else _to_pyvrp(instance, data, names, initial)
        stop = _Stop(budget, progress, sc.distance * sc.cost, cap)
        with warnings.catch_warnings():
            # "penalty at its maximum": we answer None ("no feasible solution") instead.
            warnings.simplefilter("ignore", PenaltyBoundWarning)
            params = SolveParams(
                neighbourhood=NeighbourhoodParams(
                    num_neighbours=neighbours(instance.num_customers, bool(instance.fleet))
                )
            )
            if neighbourhood is None:
                result = pyvrp_solve(
                    data,
                    stop,
                    seed=seed,
                    collect_stats=False,
                    display=False,
                    params=params,
                    initial_solution=seed_solution,
                )
            else:
                result = _solve_with(data, stop, seed, params, seed_solution, neighbourhood)
        found = _found(instance, result.best, names, forbidden)
        if initial is None or seed_solution is None:
            return found
        return _better(instance, found, initial)


def proximity_neighbours(instance: Instance, k: int) -> list[list[int]]:
    """PyVRP's own granular neighbourhood of ``k`` customers for ``instance`` (by distance
    and, with time windows, the wait and time warp between two customers), in the form that
    `PyVRPSolver.solve` takes as ``neighbourhood``."""
    from pyvrp.search import NeighbourhoodParams, compute_neighbours

    sc = _Scale.of(instance)
    data = _fleet_problem(instance, sc)[0] if instance.fleet else _problem(instance, sc)
    near = compute_neighbours(data, NeighbourhoodParams(num_neighbours=k))
    out: list[list[int]] = [[] for _ in range(data.num_clients)]
    for a, bs in near.items():
        out[a.idx] = [b.idx for b in bs]
    return out


def _solve_with(data, stop, seed: int, params, init, neighbours: Sequence[Sequence[int]]):
    """`pyvrp.solve` (0.14) step by step, with ``neighbours`` as the granular neighbourhood
    in place of ``compute_neighbours(data, params.neighbourhood)``."""
    from pyvrp import Activity, ActivityType, RandomNumberGenerator
    from pyvrp import Solution as PyVRPSolution
    from pyvrp.IteratedLocalSearch import IteratedLocalSearch
    from pyvrp.PenaltyManager import PenaltyManager
    from pyvrp.search import LocalSearch, PerturbationManager

    n = data.num_clients
    if len(neighbours) != n:
        raise ValueError(f"neighbourhood: {len(neighbours)} lists for {n} customers")
    for i, js in enumerate(neighbours):
        bad = [j for j in js if not (0 <= j < n) or j == i]
        if bad:
            raise ValueError(f"neighbourhood[{i}]: {bad[0]} is not another of the {n} customers")

    def client(i: int) -> Activity:
        return Activity(ActivityType.CLIENT, int(i))

    near = {client(i): [client(j) for j in js] for i, js in enumerate(neighbours)}
    rng = RandomNumberGenerator(seed=seed)
    ls = LocalSearch(data, rng, near, PerturbationManager(params.perturbation))
    for op in params.operators:
        if op.supports(data):
            ls.add_operator(op(data))
    pm = PenaltyManager(params.penalty.midpoint_penalties(data), params.penalty)
    if init is None:
        init = ls(PyVRPSolution.make_random(data, rng), pm.max_cost_evaluator(), exhaustive=True)
    algo = IteratedLocalSearch(data, pm, ls, init, params.ils)
    return algo.run(stop, False, False, params.display_interval)


def _found(inst: Instance, best, names: list[str | None], forbidden: np.ndarray) -> Solution | None:
    """The routes of PyVRP's ``best``, None when it is infeasible or, for classic backhaul,
    uses a forbidden arc (module docstring)."""
    if not best.is_feasible():
        return None
    routes = _from_pyvrp(inst, best, names)
    for r in routes:
        if forbidden[r.customers[:-1], r.customers[1:]].any():
            return None
    return Solution(routes)


def _better(inst: Instance, found: Solution | None, seed: Solution) -> Solution | None:
    """PyVRP's answer, or the seed when `evaluate()` finds the seed feasible and cheaper
    (PyVRP's integers can order two nearly equal plans the other way)."""
    before = evaluate(inst, seed)
    if not before.feasible:
        return found
    if found is None:
        return seed
    return seed if before.cost < evaluate(inst, found).cost else found
