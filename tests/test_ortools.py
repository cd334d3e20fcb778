"""The OR-Tools engine enforces every FORMAT.md rule exactly, on tiny hand-made instances.

Each case is small enough to enumerate every solution: the optimum found by brute force with
`evaluate()` is what OR-Tools must return, and where a common shortcut (deliveries first, the
two-dimension backhaul relaxation, a precedence on direct successors only) would give another
answer, the test shows that it would.
"""

from __future__ import annotations

import dataclasses
import math
import os
import signal
import time

import numpy as np
import pytest

from vrp.model.evaluate import evaluate
from vrp.model.generate import generate
from vrp.model.instance import Instance
from vrp.model.solution import Route, Solution
from vrp.solvers import Budget, stop_on_interrupt
from vrp.solvers.ortools import ORToolsSolver

LIMIT = 0.3  # seconds per tiny instance


def make(
    locations: list[tuple[float, float]],
    *,
    depots: int = 1,
    delivery: list[float] | None = None,
    pickup: list[float] | None = None,
    capacity: float = 100,
    windows: dict[int, tuple[float, float]] | None = None,
    service: dict[int, float] | None = None,
    **kw: object,
) -> Instance:
    """An instance from node locations (depots first); loads list the customers only."""
    n = len(locations)
    c = n - depots
    early, late = np.full(n, -np.inf), np.full(n, np.inf)
    for node, (opens, closes) in (windows or {}).items():
        early[node], late[node] = opens, closes
    st = np.zeros(n)
    for node, s in (service or {}).items():
        st[node] = s
    return Instance(
        num_depots=depots,
        locations=np.asarray(locations, dtype=float),
        delivery=np.concatenate([np.zeros(depots), delivery or [0] * c]),
        pickup=np.concatenate([np.zeros(depots), pickup or [0] * c]),
        service_time=st,
        tw_early=early,
        tw_late=late,
        capacity=capacity,
        **kw,  # type: ignore[arg-type]
    )


def all_solutions(inst: Instance):
    """Every set of routes over the customers, with every choice of depots."""

    def sequences(customers: list[int]) -> list[list[list[int]]]:
        if not customers:
            return [[]]
        *rest, last = customers
        out = []
        for routes in sequences(rest):
            for r, route in enumerate(routes):
                for pos in range(len(route) + 1):
                    new = [list(x) for x in routes]
                    new[r].insert(pos, last)
                    out.append(new)
            out.append([*routes, [last]])
        return out

    for routes in sequences(list(inst.customers)):
        for depots in np.ndindex(*([inst.num_depots] * len(routes))):
            yield Solution(Route(d, r) for d, r in zip(depots, routes, strict=True))


def best(inst: Instance, accept=None) -> tuple[float, Solution | None]:
    """The cheapest solution that ``accept(solution, evaluation)`` admits (default: feasible)."""
    accept = accept or (lambda sol, ev: ev.feasible)
    found: tuple[float, Solution | None] = (np.inf, None)
    for sol in all_solutions(inst):
        ev = evaluate(inst, sol)
        if ev.cost < found[0] and accept(sol, ev):
            found = (ev.cost, sol)
    return found


def solve(inst: Instance, limit: float = LIMIT) -> Solution:
    sol = ORToolsSolver().solve(inst, Budget(limit), seed=1)
    assert sol is not None
    ev = evaluate(inst, sol)
    assert ev.feasible, ev.violations
    return sol


def cost(inst: Instance, sol: Solution) -> float:
    return evaluate(inst, sol).cost


# A unit square walked clockwise (depot 0 -> 1 -> 2 -> 3 -> 0) costs 1 per side; against the
# clock it costs 3, diagonals 1.5 both ways. Direction matters, so reversing a route is no escape.
SQUARE = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]
ONE_WAY = np.array(
    [
        [0.0, 1.0, 1.5, 3.0],
        [3.0, 0.0, 1.0, 1.5],
        [1.5, 3.0, 0.0, 1.0],
        [1.0, 1.5, 3.0, 0.0],
    ]
)


def test_mixed_backhaul_interleaves_pickups_and_deliveries_when_that_is_cheapest() -> None:
    # Pickup 3 at node 1, delivery 5 at node 2, pickup 3 at node 3; the square tour 1-2-3 is
    # load-feasible (5, 8, 3, 6 <= 10) and costs 4; serving the delivery first costs more.
    inst = make(SQUARE, delivery=[0, 5, 0], pickup=[3, 0, 3], capacity=10, backhaul="mixed")
    deliveries_first, _ = best(
        inst,
        lambda sol, ev: (
            ev.feasible
            and all(
                not (inst.pickup[a] > 0 and inst.delivery[b] > 0)
                for r in sol.routes
                for i, a in enumerate(r.customers)
                for b in r.customers[i + 1 :]
            )
        ),
    )
    optimum, _ = best(inst)
    assert optimum == pytest.approx(4.0)
    assert deliveries_first > optimum + 0.5
    sol = solve(inst)
    assert cost(inst, sol) == pytest.approx(optimum)


def test_mixed_backhaul_never_overloads_where_the_two_dimension_relaxation_would() -> None:
    # Pickup 6 first, then deliveries 6 and 4: totals fit (10 and 6 <= 10), but the vehicle
    # leaves with 10 and carries 16 after the pickup.
    inst = make(
        SQUARE,
        delivery=[0, 6, 4],
        pickup=[6, 0, 0],
        capacity=10,
        backhaul="mixed",
        distance_matrix=ONE_WAY,
    )

    def relaxed(sol: Solution, ev) -> bool:  # noqa: ANN001
        totals_fit = all(
            inst.delivery[list(r.customers)].sum() <= 10
            and inst.pickup[list(r.customers)].sum() <= 10
            for r in sol.routes
        )
        return totals_fit and all(v.rule == "capacity" for v in ev.violations)

    relaxed_cost, relaxed_sol = best(inst, relaxed)
    optimum, _ = best(inst)
    assert relaxed_sol is not None and not evaluate(inst, relaxed_sol).feasible
    assert relaxed_cost < optimum
    sol = solve(inst)
    assert cost(inst, sol) == pytest.approx(optimum)


def test_classic_backhaul_serves_every_delivery_before_any_pickup() -> None:
    # The cheap clockwise tour visits the pickup (node 1), a customer with neither load (node 2),
    # then the delivery (node 3): a precedence on direct successors alone would accept it.
    inst = make(SQUARE, delivery=[0, 0, 5], pickup=[3, 0, 0], capacity=10, distance_matrix=ONE_WAY)
    tour = Solution([Route(0, [1, 2, 3])])
    assert [v.rule for v in evaluate(inst, tour).violations] == ["backhaul-order"]
    optimum, _ = best(inst)
    assert optimum > cost(inst, tour)
    sol = solve(inst)
    assert cost(inst, sol) == pytest.approx(optimum)


def test_classic_backhaul_forbids_what_mixed_backhaul_allows() -> None:
    # The tour that mixed backhaul takes (pickup, delivery, pickup) breaks the classic order.
    inst = make(SQUARE, delivery=[0, 5, 0], pickup=[3, 0, 3], capacity=10)
    optimum, _ = best(inst)
    assert optimum > 4.0 + 0.5
    sol = solve(inst)
    assert cost(inst, sol) == pytest.approx(optimum)


def test_classic_backhaul_allows_routes_of_pickups_only() -> None:
    inst = make(SQUARE, delivery=[0, 0, 0], pickup=[4, 4, 4], capacity=12)
    sol = solve(inst)
    assert len(sol.routes) == 1 and cost(inst, sol) == pytest.approx(4.0)


def test_open_routes_pay_nothing_for_the_return() -> None:
    # Node 1 is near the depot both ways, node 2 is far to come back from: with the return
    # leg the cheaper tour is 0 -> 2 -> 1 -> 0; without it, 0 -> 1 -> 2 costs 5.
    matrix = np.array([[0.0, 1.0, 5.0], [1.0, 0.0, 4.0], [10.0, 4.0, 0.0]])
    inst = make([(0, 0), (1, 0), (5, 0)], open=True, distance_matrix=matrix)
    sol = solve(inst)
    assert sol.routes == (Route(0, [1, 2]),)
    assert cost(inst, sol) == pytest.approx(5.0) == best(inst)[0]


def test_open_routes_ignore_the_depot_deadline_and_the_return_in_the_distance_limit() -> None:
    inst = make([(0, 0), (1, 0), (2, 0)], open=True, max_distance=2.0, windows={0: (0, 1.5)})
    sol = solve(inst)
    assert sol.routes == (Route(0, [1, 2]),)


def test_the_distance_limit_splits_a_route_that_would_be_cheaper_whole() -> None:
    inst = make([(0, 0), (1, 0), (1, 0.2)], max_distance=2.1)
    whole = Solution([Route(0, [1, 2])])
    assert [v.rule for v in evaluate(inst, whole).violations] == ["distance-limit"]
    sol = solve(inst)
    assert len(sol.routes) == 2
    assert cost(inst, sol) == pytest.approx(best(inst)[0])


def test_time_windows_are_met_by_waiting() -> None:
    # Node 2 must be served by 3, node 1 not before 5: only 0 -> 2 -> 1 -> 0 works in one route,
    # waiting at node 1; node 2 takes 1 unit of service.
    inst = make(
        [(0, 0), (1, 0), (2, 0)],
        windows={0: (0, 6.5), 1: (5, 6), 2: (0, 3)},
        service={2: 1.0},
    )
    sol = solve(inst)
    assert sol.routes == (Route(0, [2, 1]),)
    assert evaluate(inst, sol).routes[0].end_time == pytest.approx(6.0)


def test_no_solution_is_returned_when_a_window_cannot_be_reached() -> None:
    # The depot closes at 5.5; node 1 opens at 5 and lies 1 away: no route can come back.
    inst = make([(0, 0), (1, 0)], windows={0: (0, 5.5), 1: (5, 6)})
    assert ORToolsSolver().solve(inst, Budget(LIMIT)) is None


def test_routes_leave_at_the_depot_opening_and_not_before() -> None:
    # The depot opens at 2: node 1 (1 away, closing at 2.5) cannot be reached in time,
    # node 2 (opening at 3) can.
    late = make([(0, 0), (1, 0)], windows={0: (2, 10), 1: (0, 2.5)})
    assert ORToolsSolver().solve(late, Budget(LIMIT)) is None
    fine = make([(0, 0), (1, 0), (0, 1)], windows={0: (2, 10), 1: (0, 3), 2: (3, 3.5)})
    sol = solve(fine)
    assert evaluate(fine, sol).routes[0].start_time == 2


def test_asymmetric_distances_set_the_cost_and_durations_the_schedule() -> None:
    # Clockwise is cheap, but the duration matrix makes it slow: node 3 closes at 2.5.
    durations = ONE_WAY.T.copy()
    inst = make(
        SQUARE,
        distance_matrix=ONE_WAY,
        duration_matrix=durations,
        windows={3: (0, 2.5)},
    )
    clockwise = Solution([Route(0, [1, 2, 3])])
    assert [v.rule for v in evaluate(inst, clockwise).violations] == ["time-window"]
    optimum, _ = best(inst)
    sol = solve(inst)
    assert cost(inst, sol) == pytest.approx(optimum)


def test_the_vehicle_count_bounds_the_routes() -> None:
    # Three loads of 5 with capacity 10 need two routes.
    locations = [(0, 0), (1, 0), (0, 1), (-1, 0)]
    two = make(locations, delivery=[5, 5, 5], capacity=10, vehicle_count=2)
    sol = solve(two)
    assert len(sol.routes) == 2
    assert cost(two, sol) == pytest.approx(best(two)[0])
    one = make(locations, delivery=[5, 5, 5], capacity=10, vehicle_count=1)
    assert ORToolsSolver().solve(one, Budget(LIMIT)) is None


@pytest.mark.parametrize(("variant", "seed"), [("vrpb", 0), ("vrpb", 2), ("vrpmb", 3)])
def test_a_fleet_with_little_spare_capacity_still_gets_routes(variant: str, seed: int) -> None:
    # The fewest vehicles the loads allow: path-cheapest-arc alone found no first solution
    # on these (as on most VRPB and mixed-backhaul benchmark files).
    inst = generate(variant, 30, seed=seed)
    fewest = math.ceil(max(inst.delivery.sum(), inst.pickup.sum()) / inst.capacity)
    inst = dataclasses.replace(inst, vehicle_count=fewest)
    sol = ORToolsSolver().solve(inst, Budget(1.0))
    assert sol is not None
    assert evaluate(inst, sol).feasible
    assert len(sol.routes) <= fewest


def test_every_multi_depot_route_starts_and_ends_at_its_own_depot() -> None:
    locations = [(0, 0), (10, 0), (0, 1), (1, 1), (10, 1), (11, 1)]
    inst = make(locations, depots=2)
    sol = solve(inst)
    assert sorted(r.depot for r in sol.routes) == [0, 1]
    assert cost(inst, sol) == pytest.approx(best(inst)[0])


def test_the_vehicle_count_is_a_total_over_all_depots() -> None:
    locations = [(0, 0), (10, 0), (0, 1), (1, 1), (10, 1), (11, 1)]
    inst = make(locations, depots=2, vehicle_count=1)
    sol = solve(inst)
    assert len(sol.routes) == 1
    assert cost(inst, sol) == pytest.approx(best(inst)[0])


def test_decimal_loads_and_times_fill_their_limits_exactly() -> None:
    # 0.27 scales to 270000000000.00003, which a plain ceiling would push over the capacity;
    # windows that close exactly on arrival are still met.
    inst = make(
        [(0, 0), (0.1, 0), (0.3, 0)],
        delivery=[0.03, 0.27],
        capacity=0.3,
        windows={1: (0, 0.1), 2: (0, 0.3)},
    )
    sol = solve(inst)
    assert sol.routes == (Route(0, [1, 2]),)


def test_metre_and_second_magnitudes_are_scaled_without_overflow() -> None:
    small = generate("vrpltw", 12, seed=3)
    k = 1e5  # unit square -> about 100 km in metres
    big = Instance(
        num_depots=small.num_depots,
        locations=None,
        delivery=small.delivery,
        pickup=small.pickup,
        service_time=small.service_time * k,
        tw_early=small.tw_early * k,
        tw_late=small.tw_late * k,
        capacity=small.capacity,
        max_distance=small.max_distance * k,
        distance_matrix=small.distances * k,
        duration_matrix=small.durations * k,
    )
    solve(big)


def test_ctrl_c_ends_a_guided_local_search_with_the_best_routes_so_far() -> None:
    inst = generate("vrptw", 40, seed=2)

    sent: list[float] = []

    def interrupt(elapsed: float, best_cost: float | None) -> None:
        if best_cost is not None and not sent:
            sent.append(elapsed)
            os.kill(os.getpid(), signal.SIGINT)

    t0 = time.perf_counter()
    with stop_on_interrupt() as stop:
        budget = Budget(30.0, interrupt=stop)
        sol = ORToolsSolver(metaheuristic="gls").solve(inst, budget, progress=interrupt)
    assert time.perf_counter() - t0 < 5.0
    assert sol is not None and evaluate(inst, sol).feasible


def test_the_time_limit_holds_and_progress_is_reported() -> None:
    inst = generate("vrpmbtw", 100, seed=4)
    reports: list[tuple[float, float | None]] = []
    t0 = time.perf_counter()
    budget = Budget(1.0)
    sol = ORToolsSolver().solve(inst, budget, progress=lambda e, c: reports.append((e, c)))
    assert time.perf_counter() - t0 < budget.wall_cap + 0.3
    assert sol is not None and evaluate(inst, sol).feasible
    costs = [c for _, c in reports if c is not None]
    assert costs and all(c > 0 for c in costs)


def test_a_seed_relabels_the_customers_and_keeps_the_depots() -> None:
    from vrp.solvers.ortools import _relabelled

    inst = generate("mdvrpmbtw", 12, seed=4)
    same, identity = _relabelled(inst, 0)
    assert same is inst and list(identity) == list(range(inst.num_nodes))
    moved, order = _relabelled(inst, 5)
    D = inst.num_depots
    assert list(order[:D]) == list(range(D))
    assert sorted(order[D:]) == list(inst.customers) and list(order) != list(range(inst.num_nodes))
    assert np.array_equal(moved.distances, inst.distances[np.ix_(order, order)])
    assert np.array_equal(moved.tw_late, inst.tw_late[order])
    assert moved.ids == tuple(inst.ids[i] for i in order)


def test_different_seeds_take_different_search_paths() -> None:
    # OR-Tools has no seed of its own; the relabelling is what makes runs differ.
    inst = generate("cvrp", 50, seed=1)
    runs = set()
    for seed in range(4):
        sol = ORToolsSolver().solve(inst, Budget(0.5), seed)
        assert sol is not None and evaluate(inst, sol).feasible
        runs.add(tuple(sorted(tuple(r.customers) for r in sol.routes)))
    assert len(runs) > 1
