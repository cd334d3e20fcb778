"""Hand-computed cases for every rule of FORMAT.md, checked against `evaluate`."""

from __future__ import annotations

import dataclasses
import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference_rules import judge

from vrp.model.evaluate import RouteStats, evaluate
from vrp.model.generate import generate
from vrp.model.instance import Instance
from vrp.model.solution import Route, Solution
from vrpspec.variants import ALL_VARIANTS

INF = math.inf


def line_instance(**kw) -> Instance:
    """Depot at 0 and customers at x = 1, 2, 3 on a line (all arcs are |dx|)."""
    n = kw.pop("n", 3)
    D = kw.pop("num_depots", 1)
    locs = kw.pop("locations", [[0.0, 0.0]] * D + [[float(i), 0.0] for i in range(1, n + 1)])
    N = len(locs)
    args = dict(
        num_depots=D,
        locations=np.array(locs),
        delivery=np.array([0.0] * D + [1.0] * (N - D)),
        pickup=np.zeros(N),
        service_time=np.zeros(N),
        tw_early=np.full(N, -INF),
        tw_late=np.full(N, INF),
        capacity=10.0,
    )
    args.update(kw)
    return Instance(**args)


def rules(ev) -> list[str]:
    return [v.rule for v in ev.violations]


def test_cost_is_the_sum_of_route_distances_with_the_return_leg():
    inst = line_instance()
    ev = evaluate(inst, Solution.from_lists([[1, 2], [3]]))
    assert ev.feasible
    assert ev.cost == pytest.approx((1 + 1 + 2) + (3 + 3))


def test_rule1_a_customer_visited_twice_is_named():
    ev = evaluate(line_instance(), Solution.from_lists([[1, 2], [2, 3]]))
    assert rules(ev) == ["visits"]
    assert ev.violations[0].node == 2 and ev.violations[0].route == 1


def test_rule1_a_missing_customer_is_named():
    ev = evaluate(line_instance(), Solution.from_lists([[1, 2]]))
    assert rules(ev) == ["visits"]
    assert ev.violations[0].node == 3


def test_rule1_a_node_that_is_not_a_customer_is_named():
    ev = evaluate(line_instance(), Solution.from_lists([[1, 2, 3, 0]]))
    assert "visits" in rules(ev)
    assert ev.violations[0].node == 0


def test_rule1_an_empty_route_is_rejected():
    ev = evaluate(line_instance(), Solution([Route(0, []), Route(0, [1, 2, 3])]))
    assert rules(ev) == ["visits"]


def test_rule2_a_route_must_start_at_a_depot():
    ev = evaluate(line_instance(), Solution([Route(5, [1, 2, 3])]))
    assert rules(ev)[0] == "depot"


def test_rule2_multi_depot_routes_return_to_their_own_depot():
    # Depots at x=0 and x=10; customer at x=9 is cheap only from depot 1.
    inst = line_instance(num_depots=2, locations=[[0, 0], [10, 0], [1, 0], [9, 0]])
    ev = evaluate(inst, Solution([Route(0, [2]), Route(1, [3])]))
    assert ev.feasible
    assert ev.cost == pytest.approx(2 + 2)
    ev = evaluate(inst, Solution([Route(0, [2, 3])]))
    assert ev.cost == pytest.approx(1 + 8 + 9)


def test_rule2_open_routes_have_no_return_leg():
    inst = line_instance(open=True)
    ev = evaluate(inst, Solution.from_lists([[1, 2, 3]]))
    assert ev.cost == pytest.approx(3)


def test_rule3_distance_uses_the_asymmetric_matrix_in_travel_direction():
    m = np.array([[0, 1, 5], [7, 0, 1], [1, 9, 0]], dtype=float)
    inst = line_instance(n=2, distance_matrix=m)
    assert evaluate(inst, Solution.from_lists([[1, 2]])).cost == pytest.approx(1 + 1 + 1)
    assert evaluate(inst, Solution.from_lists([[2, 1]])).cost == pytest.approx(5 + 9 + 7)


def test_rule3_the_distance_limit_applies_per_route():
    inst = line_instance(max_distance=5.0)
    ev = evaluate(inst, Solution.from_lists([[1, 2], [3]]))  # 4 and 6
    assert rules(ev) == ["distance-limit"]
    assert ev.violations[0].route == 1


def test_rule3_an_open_route_limit_ignores_the_return_leg():
    inst = line_instance(max_distance=3.0, open=True)
    assert evaluate(inst, Solution.from_lists([[1, 2, 3]])).feasible


def test_rule4_service_waits_for_the_window_and_must_start_by_latest():
    early = np.array([-INF, 5.0, -INF, -INF])
    late = np.array([INF, 6.0, 6.5, INF])
    inst = line_instance(tw_early=early, tw_late=late, service_time=np.array([0, 1.0, 0, 0]))
    # Arrive at 1 at t=1, wait to 5, serve to 6, arrive at 2 at t=7 > 6.5.
    ev = evaluate(inst, Solution.from_lists([[1, 2], [3]]))
    assert rules(ev) == ["time-window"]
    assert ev.violations[0].node == 2
    ev = evaluate(inst, Solution.from_lists([[2, 1], [3]]))  # 2 at t=2, 1 at t=3 -> wait to 5
    assert ev.feasible
    assert ev.routes[0].end_time == pytest.approx(5 + 1 + 1)


def test_rule4_a_route_leaves_at_the_depot_earliest():
    early = np.array([2.0, -INF, -INF, -INF])
    late = np.array([INF, 2.5, INF, INF])
    inst = line_instance(tw_early=early, tw_late=late)
    ev = evaluate(inst, Solution.from_lists([[1, 2, 3]]))
    assert rules(ev) == ["time-window"]  # leaves at 2, arrives at 3 > 2.5


def test_rule4_the_vehicle_must_be_back_by_the_depot_deadline_unless_open():
    late = np.array([5.0, INF, INF, INF])
    inst = line_instance(tw_early=np.full(4, -INF), tw_late=late)
    ev = evaluate(inst, Solution.from_lists([[1, 2, 3]]))  # back at 6
    assert rules(ev) == ["depot-deadline"]
    inst_open = line_instance(tw_early=np.full(4, -INF), tw_late=late, open=True)
    assert evaluate(inst_open, Solution.from_lists([[1, 2, 3]])).feasible


def test_rule4_duration_comes_from_the_duration_matrix_when_given():
    dur = np.array([[0, 10, 1, 1], [10, 0, 1, 1], [1, 1, 0, 1], [1, 1, 1, 0]], dtype=float)
    late = np.array([INF, 5.0, INF, INF])
    inst = line_instance(duration_matrix=dur, tw_late=late)
    ev = evaluate(inst, Solution.from_lists([[1], [2, 3]]))
    assert rules(ev) == ["time-window"]  # depot -> 1 takes 10 by the matrix, 1 by distance
    assert evaluate(inst, Solution.from_lists([[2, 1], [3]])).feasible


def test_rule4_travel_time_is_distance_over_speed():
    late = np.array([INF, 0.5, INF, INF])
    assert evaluate(
        line_instance(tw_late=late, speed=2.0), Solution.from_lists([[1, 2, 3]])
    ).feasible
    ev = evaluate(line_instance(tw_late=late, speed=1.0), Solution.from_lists([[1, 2, 3]]))
    assert rules(ev) == ["time-window"]


def test_rule5_capacity_without_pickups_sums_the_deliveries():
    inst = line_instance(capacity=2.0)
    ev = evaluate(inst, Solution.from_lists([[1, 2, 3]]))
    assert rules(ev) == ["capacity"]
    assert evaluate(inst, Solution.from_lists([[1, 2], [3]])).feasible


def classic(**kw) -> Instance:
    # Customers 1, 2 deliver 2 each; customers 3, 4 pick up 2 each.
    return line_instance(
        n=4,
        delivery=np.array([0, 2, 2, 0, 0.0]),
        pickup=np.array([0, 0, 0, 2, 2.0]),
        backhaul="classic",
        **kw,
    )


def test_rule5_classic_backhaul_needs_deliveries_before_pickups():
    inst = classic(capacity=4.0)
    assert evaluate(inst, Solution.from_lists([[1, 2, 3, 4]])).feasible
    ev = evaluate(inst, Solution.from_lists([[1, 3, 2, 4]]))
    assert rules(ev) == ["backhaul-order"]
    assert ev.violations[0].node == 2


def test_rule5_classic_backhaul_limits_deliveries_and_pickups_separately():
    inst = classic(capacity=3.0)
    ev = evaluate(inst, Solution.from_lists([[1, 2, 3, 4]]))
    assert rules(ev) == ["capacity", "capacity"]
    assert evaluate(inst, Solution.from_lists([[1, 3], [2, 4]])).feasible


def test_rule5_classic_backhaul_allows_backhaul_only_routes():
    assert evaluate(classic(capacity=4.0), Solution.from_lists([[1, 2], [3, 4]])).feasible


def test_rule5_classic_backhaul_rejects_a_customer_with_both_delivery_and_pickup():
    from vrp.errors import InputError

    with pytest.raises(InputError, match="classic"):
        line_instance(n=1, delivery=np.array([0, 1.0]), pickup=np.array([0, 1.0]))


def mixed(capacity: float) -> Instance:
    # env.md's example scaled by 10: pickup 5, then deliveries 5 and 4, Q = 10.
    return line_instance(
        n=3,
        delivery=np.array([0, 0, 5, 4.0]),
        pickup=np.array([0, 5, 0, 0.0]),
        backhaul="mixed",
        capacity=capacity,
    )


def test_rule5_mixed_backhaul_counts_the_load_after_every_customer():
    # Leaves with 9, picks up 5 -> 14 > 10: the looser published test would accept this.
    ev = evaluate(mixed(10.0), Solution.from_lists([[1, 2, 3]]))
    assert rules(ev) == ["capacity"]
    assert ev.violations[0].node == 1
    # Deliver first: 9 -> 4 -> 0 -> 5.
    assert evaluate(mixed(10.0), Solution.from_lists([[2, 3, 1]])).feasible


def test_rule5_mixed_backhaul_checks_the_departure_load():
    ev = evaluate(mixed(8.0), Solution.from_lists([[2, 3, 1]]))  # leaves with 9
    assert rules(ev) == ["capacity"]


def test_rule5_mixed_backhaul_allows_a_customer_with_delivery_and_pickup():
    def inst(q: float) -> Instance:
        return line_instance(
            n=2,
            delivery=np.array([0, 3, 2.0]),
            pickup=np.array([0, 4, 0.0]),
            backhaul="mixed",
            capacity=q,
        )

    # Leaves with 3 + 2 = 5; after customer 1: 5 - 3 + 4 = 6; after customer 2: 4.
    ev = evaluate(inst(6.0), Solution.from_lists([[1, 2]]))
    assert ev.feasible and ev.routes[0].max_load == 6
    ev = evaluate(inst(5.0), Solution.from_lists([[1, 2]]))
    assert rules(ev) == ["capacity"] and ev.violations[0].node == 1
    assert evaluate(inst(5.0), Solution.from_lists([[2, 1]])).feasible  # 5 -> 3 -> 4


def test_rule6_the_fleet_count_limits_the_number_of_routes():
    inst = line_instance(vehicle_count=2)
    ev = evaluate(inst, Solution.from_lists([[1], [2], [3]]))
    assert rules(ev) == ["fleet-size"]
    assert evaluate(inst, Solution.from_lists([[1], [2, 3]])).feasible


def test_several_violations_are_all_reported():
    inst = line_instance(capacity=2.0, max_distance=3.0, vehicle_count=1)
    ev = evaluate(inst, Solution.from_lists([[1, 2, 3], [2]]))
    assert set(rules(ev)) == {"capacity", "distance-limit", "visits", "fleet-size"}


# -- every rule at its limit: equal is feasible, just past it is not ------------------------
# Line instances keep every sum exact (integers), so "at most" is tested at equality. PAST is
# far above the evaluator's rounding tolerance (1e-9) and far below any real difference.

PAST = 1e-6


def judged(ev) -> list[tuple[str, int | None, int | None]]:
    return [(v.rule, v.route, v.node) for v in ev.violations]


@pytest.mark.parametrize("is_open", [False, True], ids=["closed", "open"])
@pytest.mark.parametrize("heavy", [1, 3], ids=["first", "last"])
def test_capacity_holds_the_deliveries_at_q_and_refuses_them_past_q(is_open, heavy):
    delivery = np.array([0, 1, 1, 1.0])
    delivery[heavy] = 3.0  # the heavy customer first or last on the route
    for q, expected in ((5.0, []), (5.0 - PAST, [("capacity", 0, None)])):
        inst = line_instance(delivery=delivery, capacity=q, open=is_open)
        assert judged(evaluate(inst, Solution.from_lists([[1, 2, 3]]))) == expected


def backhauls(delivery, pickup, q, **kw) -> Instance:
    n = len(delivery)
    return line_instance(
        n=n, delivery=np.array([0.0, *delivery]), pickup=np.array([0.0, *pickup]), capacity=q, **kw
    )


@pytest.mark.parametrize("is_open", [False, True], ids=["closed", "open"])
def test_classic_backhaul_holds_each_sum_at_q_and_refuses_each_past_q(is_open):
    # Deliveries 2 + 3 then pickups 4 + 1: both sums are 5.
    args = ([2, 3, 0, 0], [0, 0, 4, 1])
    route = Solution.from_lists([[1, 2, 3, 4]])
    assert evaluate(backhauls(*args, 5.0, open=is_open), route).feasible
    ev = evaluate(backhauls(*args, 5.0 - PAST, open=is_open), route)
    assert judged(ev) == [("capacity", 0, None)] * 2
    # Pickups alone past Q: 2 + 3 deliveries, 4 + 2 pickups.
    ev = evaluate(backhauls([2, 3, 0, 0], [0, 0, 4, 2], 5.0, open=is_open), route)
    assert judged(ev) == [("capacity", 0, None)]
    # A backhaul-only route at Q and past Q.
    assert evaluate(backhauls([0, 0], [3, 2], 5.0), Solution.from_lists([[1, 2]])).feasible
    ev = evaluate(backhauls([0, 0], [3, 2.5], 5.0), Solution.from_lists([[1, 2]]))
    assert judged(ev) == [("capacity", 0, None)]


@pytest.mark.parametrize(
    "order, late",
    [
        ([3, 1, 2], 1),  # the first customer picks up, both deliveries come after it
        ([1, 3, 2], 2),  # the last customer delivers after a pickup
        ([1, 2, 3], None),  # deliveries first, pickup last: fine
    ],
)
def test_classic_backhaul_refuses_a_delivery_after_a_pickup_at_any_position(order, late):
    inst = backhauls([1, 1, 0], [0, 0, 1], 10.0)
    ev = evaluate(inst, Solution.from_lists([order]))
    assert judged(ev) == ([] if late is None else [("backhaul-order", 0, late)])


@pytest.mark.parametrize("is_open", [False, True], ids=["closed", "open"])
def test_mixed_backhaul_checks_the_load_after_the_last_customer(is_open):
    # Two pickups of 6: the load is 6, then 12 after the last customer. (Checking every load
    # but the last passes this route.)
    inst = backhauls([0, 0], [6, 6], 10.0, backhaul="mixed", open=is_open)
    ev = evaluate(inst, Solution.from_lists([[1, 2]]))
    assert judged(ev) == [("capacity", 0, 2)]
    inst = backhauls([0, 0], [6, 6], 12.0, backhaul="mixed", open=is_open)
    assert evaluate(inst, Solution.from_lists([[1, 2]])).feasible  # 12 = Q


@pytest.mark.parametrize("is_open", [False, True], ids=["closed", "open"])
def test_mixed_backhaul_holds_the_load_at_q_after_the_first_customer_and_at_departure(is_open):
    # Leaves with 4 (customer 2's delivery); customer 1 picks up 6: 10, then 6.
    ev = evaluate(
        backhauls([0, 4], [6, 0], 10.0, backhaul="mixed", open=is_open),
        Solution.from_lists([[1, 2]]),
    )
    assert ev.feasible and ev.routes[0].max_load == 10
    ev = evaluate(
        backhauls([0, 4], [6, 0], 10.0 - PAST, backhaul="mixed", open=is_open),
        Solution.from_lists([[1, 2]]),
    )
    assert judged(ev) == [("capacity", 0, 1)]
    # Departure: deliveries 6 + 4 = Q, and just past it (named at the depot).
    inst = backhauls([6, 4], [0, 0], 10.0, backhaul="mixed", open=is_open)
    assert not inst.has_pickups and evaluate(inst, Solution.from_lists([[1, 2]])).feasible
    inst = backhauls([6, 4, 0], [0, 0, 1], 10.0 - PAST, backhaul="mixed", open=is_open)
    assert judged(evaluate(inst, Solution.from_lists([[1, 2, 3]]))) == [("capacity", 0, 0)]


@pytest.mark.parametrize("is_open", [False, True], ids=["closed", "open"])
def test_the_distance_limit_holds_at_equality_on_the_first_and_the_last_route(is_open):
    # Routes [1] and [2, 3]: closed 2 and 6, open 1 and 3.
    lengths = (1.0, 3.0) if is_open else (2.0, 6.0)
    solution = Solution.from_lists([[1], [2, 3]])
    for r, limit in enumerate(lengths):
        inst = line_instance(max_distance=limit, open=is_open)
        expected = [] if r == 1 else [("distance-limit", 1, None)]
        assert judged(evaluate(inst, solution)) == expected
        inst = line_instance(max_distance=limit - PAST, open=is_open)
        expected = [("distance-limit", 0, None)] * (r == 0) + [("distance-limit", 1, None)]
        assert judged(evaluate(inst, solution)) == expected


def test_the_distance_limit_counts_the_return_leg_only_when_closed():
    # [3]: out 3, back 3; [1, 2]: 2 out, 2 back. A limit of 4 holds both open routes and
    # refuses the closed [3] by its return leg.
    solution = Solution.from_lists([[3], [1, 2]])
    assert evaluate(line_instance(max_distance=4.0, open=True), solution).feasible
    ev = evaluate(line_instance(max_distance=3.0 - PAST, open=True), solution)
    assert judged(ev) == [("distance-limit", 0, None)]
    ev = evaluate(line_instance(max_distance=4.0), solution)
    assert judged(ev) == [("distance-limit", 0, None)]
    assert evaluate(line_instance(max_distance=6.0), solution).feasible


@pytest.mark.parametrize("is_open", [False, True], ids=["closed", "open"])
@pytest.mark.parametrize("node", [1, 3], ids=["first", "last"])
def test_service_may_start_exactly_at_latest_and_not_after(is_open, node):
    # Route [1, 2, 3] with service 1 at each: starts at 1, 3, 5.
    start = {1: 1.0, 3: 5.0}[node]
    service = np.array([0, 1, 1, 1.0])
    for latest, expected in ((start, []), (start - PAST, [("time-window", 0, node)])):
        late = np.full(4, INF)
        late[node] = latest
        inst = line_instance(tw_late=late, service_time=service, open=is_open)
        assert judged(evaluate(inst, Solution.from_lists([[1, 2, 3]]))) == expected


@pytest.mark.parametrize("is_open", [False, True], ids=["closed", "open"])
def test_waiting_for_earliest_delays_every_later_customer(is_open):
    # Customer 1 opens at 4: service 4..5, customer 2 at 6, customer 3 at 7.
    early = np.array([-INF, 4.0, -INF, -INF])
    service = np.array([0, 1, 0, 0.0])
    for latest, expected in ((7.0, []), (7.0 - PAST, [("time-window", 0, 3)])):
        late = np.array([INF, INF, INF, latest])
        inst = line_instance(tw_early=early, tw_late=late, service_time=service, open=is_open)
        ev = evaluate(inst, Solution.from_lists([[1, 2, 3]]))
        assert judged(ev) == expected
    # Without the wait customer 3 would start at 4: the window [0, 3.5] shows the wait counts.
    late = np.array([INF, INF, INF, 3.5])
    inst = line_instance(tw_early=early, tw_late=late, service_time=service, open=is_open)
    assert judged(evaluate(inst, Solution.from_lists([[1, 2, 3]]))) == [("time-window", 0, 3)]


@pytest.mark.parametrize("wait", [False, True], ids=["direct", "after-a-wait"])
def test_back_at_the_depot_exactly_at_its_deadline_is_feasible_and_later_is_not(wait):
    # Route [1, 2, 3], service 1 at the last customer: back at 3 + 1 + 3 = 7 (10 after
    # waiting at customer 3 until 6).
    early = np.array([-INF, -INF, -INF, 6.0 if wait else -INF])
    service = np.array([0, 0, 0, 1.0])
    back = 10.0 if wait else 7.0
    for deadline, expected in ((back, []), (back - PAST, [("depot-deadline", 0, 0)])):
        late = np.array([deadline, INF, INF, INF])
        inst = line_instance(tw_early=early, tw_late=late, service_time=service)
        ev = evaluate(inst, Solution.from_lists([[1, 2, 3]]))
        assert judged(ev) == expected
        assert ev.routes[0].end_time == back
        # Open: no return, no deadline.
        inst = line_instance(tw_early=early, tw_late=late, service_time=service, open=True)
        assert evaluate(inst, Solution.from_lists([[1, 2, 3]])).feasible


def test_the_depot_deadline_is_judged_on_every_route_not_only_the_first():
    late = np.array([4.0, INF, INF, INF])
    ev = evaluate(line_instance(tw_late=late), Solution.from_lists([[1], [2], [3]]))
    assert judged(ev) == [("depot-deadline", 2, 0)]  # back at 2, 4 and 6


@pytest.mark.parametrize("count", [1, 2, 3])
def test_the_fleet_count_holds_at_equality(count):
    ev = evaluate(line_instance(vehicle_count=count), Solution.from_lists([[1], [2], [3]]))
    assert judged(ev) == ([] if count == 3 else [("fleet-size", None, None)])


@pytest.mark.parametrize(
    "routes, named",
    [
        ([[1, 2, 3, 1]], [("visits", 0, 1)]),  # twice on one route
        ([[1, 2, 3], [3, 2, 1]], [("visits", 1, 3), ("visits", 1, 2), ("visits", 1, 1)]),
        ([[3]], [("visits", None, 1), ("visits", None, 2)]),  # the first two missing
        ([[1]], [("visits", None, 2), ("visits", None, 3)]),  # the last two missing
        ([[3, 2, 1]], []),
    ],
)
def test_every_customer_exactly_once(routes, named):
    assert judged(evaluate(line_instance(), Solution.from_lists(routes))) == named


def two_depots(**kw) -> Instance:
    # Depots at x = 0 and x = 10; customers at x = 1 and x = 9.
    return line_instance(num_depots=2, locations=[[0, 0], [10, 0], [1, 0], [9, 0]], **kw)


def test_a_multi_depot_route_is_timed_and_limited_from_and_back_to_its_own_depot():
    solution = Solution([Route(0, [2]), Route(1, [3])])
    # Depot 1 opens at 5 and closes at 7: 5 -> 6 at customer 3 -> 7 back. Depot 0 closes at 2.
    early = np.array([-INF, 5.0, -INF, -INF])
    for d1_late, expected in ((7.0, []), (7.0 - PAST, [("depot-deadline", 1, 1)])):
        inst = two_depots(tw_early=early, tw_late=np.array([2.0, d1_late, INF, INF]))
        assert judged(evaluate(inst, solution)) == expected
    inst = two_depots(tw_early=early, tw_late=np.array([INF, INF, INF, 6.0 - PAST]))
    assert judged(evaluate(inst, solution)) == [("time-window", 1, 3)]
    assert evaluate(two_depots(max_distance=2.0), solution).feasible  # both routes are 2
    ev = evaluate(two_depots(max_distance=2.0), Solution([Route(0, [2]), Route(0, [3])]))
    assert judged(ev) == [("distance-limit", 1, None)]  # 9 + 9 from depot 0
    ev = evaluate(two_depots(max_distance=2.0, open=True), Solution([Route(1, [2, 3])]))
    assert judged(ev) == [("distance-limit", 0, None)] and ev.cost == 9 + 8


# -- evaluate() against a second reading of FORMAT.md (tests/reference_rules.py) ------------


def integer_instance(variant, n: int, seed: int, skew: list[int]) -> Instance:
    """A generated instance on an integer grid (distances, times, limits x 10, rounded), so
    sums are exact and "at most" can be met with equality; ``skew`` makes the matrices
    asymmetric."""
    inst = generate(variant, n, seed)
    N = inst.num_nodes
    noise = np.resize(np.asarray(skew, dtype=float), (N, N))
    np.fill_diagonal(noise, 0.0)
    dist = np.round(inst.distances * 10) + noise
    grid = {
        "service_time": np.round(inst.service_time * 10),
        "tw_early": np.where(np.isfinite(inst.tw_early), np.round(inst.tw_early * 10), -INF),
        "tw_late": np.where(np.isfinite(inst.tw_late), np.round(inst.tw_late * 10) + 40, INF),
    }
    limit = None if inst.max_distance is None else float(np.round(inst.max_distance * 10))
    return dataclasses.replace(
        inst, distance_matrix=dist, duration_matrix=dist.T.copy(), max_distance=limit, **grid
    )


def random_case(draw_int) -> tuple[Instance, list[tuple[int, list[int]]]]:
    """A random instance of any of the 48 variants, a random plan for it (valid or broken),
    and limits moved onto that plan's values: exactly at them, or one unit short."""
    variant = ALL_VARIANTS[draw_int(0, len(ALL_VARIANTS) - 1)]
    n = draw_int(1, 7)
    inst = integer_instance(variant, n, draw_int(0, 10_000), [draw_int(0, 2) for _ in range(5)])
    D = inst.num_depots
    if inst.backhaul == "mixed" and inst.has_pickups and draw_int(0, 1):
        # mixed backhaul allows a customer with both a delivery and a pickup
        pickup = inst.pickup.copy()
        pickup[D::2] = np.maximum(pickup[D::2], inst.delivery[D::2] % 5)
        inst = dataclasses.replace(inst, pickup=pickup)

    # The plan: a permutation cut into routes, each from some depot, then perhaps broken.
    order = list(inst.customers)
    for i in range(len(order) - 1, 0, -1):
        k = draw_int(0, i)
        order[i], order[k] = order[k], order[i]
    cuts = sorted({draw_int(1, n) for _ in range(draw_int(0, n - 1))} - {n})
    pieces = [order[a:b] for a, b in zip([0, *cuts], [*cuts, n], strict=True)]
    routes = [(draw_int(0, D - 1), p) for p in pieces]
    damage = draw_int(0, 5)
    if damage == 1 and n > 1:  # a customer missing
        r = draw_int(0, len(routes) - 1)
        if len(routes[r][1]) > 1:
            routes[r][1].pop(draw_int(0, len(routes[r][1]) - 1))
    elif damage == 2:  # a customer twice
        r = draw_int(0, len(routes) - 1)
        routes[r][1].insert(draw_int(0, len(routes[r][1])), order[draw_int(0, n - 1)])

    # Limits on the plan's own values: at equality (0) or just past (-1).
    facts = judge(inst, routes).routes
    r = draw_int(0, len(routes) - 1)
    depot, customers = routes[r]
    f = facts[r]
    off = -float(draw_int(0, 1))
    changes: dict = {}
    tighten = draw_int(0, 5)
    if tighten == 1:
        if inst.backhaul_kind == "mixed":
            used = max(f.loads)
        elif inst.backhaul_kind == "classic":
            used = max(sum(inst.delivery[customers]), sum(inst.pickup[customers]))
        else:
            used = sum(inst.delivery[customers])
        largest = max(inst.delivery.max(), inst.pickup.max())
        changes["capacity"] = float(max(used + off, largest))
    elif tighten == 2 and inst.max_distance is not None and f.distance + off > 0:
        changes["max_distance"] = f.distance + off
    elif tighten == 3 and inst.has_time_windows:
        k = draw_int(0, len(customers) - 1)
        late = inst.tw_late.copy()
        late[customers[k]] = max(f.start[k] + off, inst.tw_early[customers[k]])
        changes["tw_late"] = late
    elif tighten == 4 and inst.has_time_windows and f.back is not None:
        late = inst.tw_late.copy()
        late[depot] = max(f.back + off, inst.tw_early[depot])
        changes["tw_late"] = late
    elif tighten == 5:
        changes["vehicle_count"] = max(1, len(routes) + int(off))
    return dataclasses.replace(inst, **changes), routes


def compare_with_reference(inst: Instance, routes) -> None:
    ev = evaluate(inst, Solution(routes))
    ref = judge(inst, routes)
    ours = {(v.rule, None if v.rule == "visits" else v.route, v.node) for v in ev.violations}
    where = inst.variant.name, routes
    assert ev.feasible == ref.feasible, (where, ours, ref.violations)
    assert ev.cost == ref.cost, where  # integer sums: exact
    assert {(rule, r) for rule, r, _ in ours} == ref.rules_by_route(), where
    for rule in ("time-window", "depot-deadline", "backhaul-order"):
        assert {v for v in ours if v[0] == rule} == {v for v in ref.violations if v[0] == rule}
    if inst.backhaul_kind == "mixed":
        assert {v for v in ours if v[0] == "capacity"} == {
            v for v in ref.violations if v[0] == "capacity"
        }


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_evaluate_agrees_with_a_separate_reading_of_format_md(data):
    inst, routes = random_case(lambda lo, hi: data.draw(st.integers(lo, hi)))
    compare_with_reference(inst, routes)


def test_the_random_cases_reach_both_sides_of_every_limit():
    # The property test is only as good as its cases: over a fixed draw every rule is met at
    # equality by some route and broken by some other.
    rng = random.Random(0)
    held, broken = set(), set()
    for _ in range(1500):
        inst, routes = random_case(rng.randint)
        compare_with_reference(inst, routes)
        verdict = judge(inst, routes)
        broken |= {rule for rule, _, _ in verdict.violations}
        for (depot, customers), f in zip(routes, verdict.routes, strict=True):
            if inst.max_distance is not None and f.distance == inst.max_distance:
                held.add("distance-limit")
            if f.back is not None and f.back == inst.tw_late[depot]:
                held.add("depot-deadline")
            if any(s == inst.tw_late[c] for s, c in zip(f.start, customers, strict=True)):
                held.add("time-window")
            if f.loads and max(f.loads) == inst.capacity:
                held.add("capacity")
    rules = {"visits", "distance-limit", "time-window", "depot-deadline", "capacity"}
    assert rules | {"backhaul-order", "fleet-size"} <= broken
    assert rules - {"visits"} <= held


def test_a_violation_reads_as_its_rule_route_node_and_numbers():
    # What `vrp check` prints, one line per violation.
    inst = line_instance(
        capacity=2.0,
        max_distance=5.0,
        vehicle_count=1,
        tw_late=np.array([5.0, INF, 1.5, INF]),
    )
    ev = evaluate(inst, Solution.from_lists([[1, 2, 3], [2]]))
    assert [str(v) for v in ev.violations] == [
        "[distance-limit] route 0: route distance 6 > vehicles.max_distance 5",
        "[time-window] route 0, node 2: service starts at 2 > latest 1.5",
        "[depot-deadline] route 0, node 0: back at the depot at 6 > latest 5",
        "[capacity] route 0: deliveries 3 > capacity 2",
        "[visits] route 1, node 2: customer visited again (first on route 0)",
        "[time-window] route 1, node 2: service starts at 2 > latest 1.5",
        "[fleet-size] 2 routes > vehicles.count 1",
    ]


@pytest.mark.parametrize(
    "inst, routes, lines",
    [
        (  # a depot index past the depots: the first customer's index
            line_instance(),
            [Route(1, [1, 2, 3])],
            ["[depot] route 0, node 1: 1 is not a depot index (0..0)"]
            + [f"[visits] node {c}: customer is not visited" for c in (1, 2, 3)],
        ),
        (  # an empty route, then a node that is no customer
            line_instance(),
            [Route(0, []), Route(0, [1, 2, 3, 4])],
            [
                "[visits] route 0: route has no customers",
                "[visits] route 1, node 4: 4 is not a customer index (1..3)",
            ]
            + [f"[visits] node {c}: customer is not visited" for c in (1, 2, 3)],
        ),
        (
            backhauls([3, 4, 0], [0, 0, 6], 6.0, backhaul="mixed"),
            [Route(0, [1, 2, 3])],
            ["[capacity] route 0, node 0: departure load 7 > capacity 6"],
        ),
        (
            backhauls([3, 0, 0], [0, 4, 2.5], 6.0, backhaul="mixed"),
            [Route(0, [1, 2, 3])],
            ["[capacity] route 0, node 3: load 6.5 after this customer > capacity 6"],
        ),
        (
            backhauls([3, 1, 0, 0], [0, 0, 2.5, 2], 4.0),
            [Route(0, [1, 3, 2, 4])],
            [
                "[capacity] route 0: pickups 4.5 > capacity 4",
                "[backhaul-order] route 0, node 2: delivery customer after backhaul customer 3",
            ],
        ),
    ],
    ids=["depot", "visits", "departure", "mixed-load", "classic"],
)
def test_every_kind_of_violation_reads_in_one_line(inst, routes, lines):
    assert [str(v) for v in evaluate(inst, Solution(routes)).violations] == lines


def test_a_bad_route_does_not_hide_the_routes_after_it():
    routes = [Route(7, [1]), Route(0, [9]), Route(0, [2, 3])]
    ev = evaluate(line_instance(capacity=1.0), Solution(routes))
    assert judged(ev) == [
        ("depot", 0, 7),
        ("visits", 1, 9),
        ("capacity", 2, None),
        ("visits", None, 1),
    ]


def test_route_statistics_give_distance_times_and_loads():
    early = np.array([2.0, -INF, -INF, -INF])
    inst = backhauls([3, 0, 0], [0, 2, 4], 10.0, tw_early=early, backhaul="mixed")
    stats = evaluate(inst, Solution.from_lists([[1, 2], [3]])).routes
    assert stats[0] == RouteStats(
        distance=4, start_time=2, end_time=6, max_load=3, delivery=3, pickup=2
    )
    assert stats[1] == RouteStats(
        distance=6, start_time=2, end_time=8, max_load=4, delivery=0, pickup=4
    )


@pytest.mark.parametrize("scale", [1.0, 1000.0], ids=["absolute", "relative"])
@pytest.mark.parametrize("rule", ["distance-limit", "time-window", "depot-deadline", "load"])
def test_limits_forgive_float_rounding_and_nothing_more(rule, scale):
    # evaluate() accepts a value past its limit by less than 1e-9 * (1 + |limit|) (rounding
    # in sums such as 0.1-step Solomon distances) and refuses one past it by more.
    slack = 1e-9 * (1 + scale)
    for over, ok in ((0.4 * slack, True), (2.5 * slack, False)):
        if rule == "load":  # two pickups of scale / 2, capacity a little less than scale
            inst = line_instance(
                n=2,
                delivery=np.zeros(3),
                pickup=np.array([0, scale / 2, scale / 2]),
                capacity=scale - over,
                backhaul="mixed",
            )
            ev = evaluate(inst, Solution.from_lists([[1, 2]]))
            assert ev.feasible == ok, (over, ev.violations)
            continue
        leg = (scale + over) / 2  # there and back is scale + over; one way is half of it
        m = np.array([[0, leg], [leg, 0]])
        args: dict = dict(n=1, delivery=np.zeros(2), distance_matrix=m)
        if rule == "distance-limit":
            args["max_distance"] = scale
        elif rule == "time-window":
            args.update(tw_late=np.array([INF, scale]), distance_matrix=2 * m)
        else:
            args["tw_late"] = np.array([scale, INF])
        ev = evaluate(line_instance(**args), Solution.from_lists([[1]]))
        assert ev.feasible == ok, (over, ev.violations)
