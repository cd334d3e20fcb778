"""The bridge (vrp.neural.bridge) and the env against `evaluate`: random rollouts are feasible
and cost what the reward says; feasible solutions from anywhere step through the mask."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from envs import VRPEnv, VRPGenerator, rollout, synthetic_pool, uniform_policy
from vrp.errors import InputError
from vrp.model.evaluate import evaluate
from vrp.model.generate import generate
from vrp.model.instance import Instance
from vrp.model.solution import Route, Solution
from vrp.model.variants import VARIANT_NAMES
from vrp.neural.bridge import (
    costs,
    from_td,
    to_action_tensor,
    to_actions,
    to_batch,
    to_solution,
    to_solutions,
)

POOL = synthetic_pool(150, seed=1)
F64 = torch.float64


def matrix_instance(name: str, n: int, seed: int) -> Instance:
    """An instance of ``name`` on asymmetric distance and duration matrices."""
    td = VRPGenerator(n, name, pool=POOL, seed=seed, dtype=F64)(1)
    return from_td(td, name=f"{name}-matrix")[0]


def assert_random_rollouts_agree(instances, samples: int = 3, seed: int = 0, dtype=F64):
    """Uniform rollouts: feasible by `evaluate`, cost = -reward (relative 1e-5)."""
    batch = to_batch(instances * samples, num_depot_slots=3, dtype=dtype)
    env = VRPEnv()
    final, actions = rollout(
        env, env.reset(batch.td), uniform_policy(torch.Generator().manual_seed(seed))
    )
    reward = env.get_reward(final, actions)
    for inst, sol, cost in zip(
        batch.instances, to_solutions(batch, actions), costs(batch, reward), strict=True
    ):
        ev = evaluate(inst, sol)
        assert ev.feasible, (inst.name, ev.violations[:3])
        assert ev.cost == pytest.approx(cost, rel=1e-5)


def assert_steps_through(inst: Instance, sol: Solution, dtype=F64) -> None:
    """``sol`` (feasible) is never blocked by the mask and the reward is its cost."""
    ev = evaluate(inst, sol)
    assert ev.feasible, ev.violations[:3]
    batch = to_batch([inst], num_depot_slots=3, dtype=dtype)
    actions = to_action_tensor(batch, [sol])
    env = VRPEnv(check_solution=True)  # replays the actions, raising on a masked one
    reward = env.get_reward(env.reset(batch.td), actions)
    assert costs(batch, reward)[0] == pytest.approx(ev.cost, rel=1e-5)
    assert to_solution(batch, 0, actions[0].tolist()) == sol


def route_ok(inst: Instance, route: Route) -> bool:
    ev = evaluate(inst, Solution([route]))
    return not [v for v in ev.violations if v.route is not None]


def greedy_solution(inst: Instance, rng: np.random.Generator) -> Solution:
    """A feasible solution built independently of the environment: customers in random order,
    each inserted at a random place `evaluate` accepts, else on a new route from a random
    depot; routes in random order."""
    routes: list[Route] = []
    for c in rng.permutation(np.array(inst.customers)).tolist():
        placed = False
        for r in rng.permutation(len(routes)).tolist():
            cust = routes[r].customers
            for pos in rng.permutation(len(cust) + 1)[:4].tolist():
                new = Route(routes[r].depot, cust[:pos] + (c,) + cust[pos:])
                if route_ok(inst, new):
                    routes[r], placed = new, True
                    break
            if placed:
                break
        if not placed:
            for d in rng.permutation(inst.num_depots).tolist():
                if route_ok(inst, Route(d, [c])):
                    routes.append(Route(d, [c]))
                    break
            else:
                raise AssertionError(f"customer {c} cannot be served alone")
    order = rng.permutation(len(routes)).tolist()
    return Solution([routes[k] for k in order])


# -- random rollouts ------------------------------------------------------------------------


@pytest.mark.parametrize("name", VARIANT_NAMES)
def test_random_rollouts_are_feasible_and_cost_minus_the_reward(name):
    for n, seed in ((1, 0), (7, 1), (20, 2)):
        instances = [generate(name, n, seed), matrix_instance(name, n, seed)]
        assert_random_rollouts_agree(instances, seed=seed)


def test_random_rollouts_in_float32_are_feasible_too():
    instances = [generate(name, 20, 3) for name in VARIANT_NAMES]
    assert_random_rollouts_agree(instances, samples=1, dtype=torch.float32)


@settings(max_examples=25, deadline=None)
@given(
    name=st.sampled_from(VARIANT_NAMES),
    n=st.integers(1, 25),
    seed=st.integers(0, 2**20),
    matrices=st.booleans(),
)
def test_random_rollouts_agree_with_evaluate_on_any_variant_size_and_seed(name, n, seed, matrices):
    inst = matrix_instance(name, n, seed) if matrices else generate(name, n, seed)
    assert_random_rollouts_agree([inst], samples=2, seed=seed)


# -- feasible solutions step through --------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(
    name=st.sampled_from(VARIANT_NAMES),
    n=st.integers(1, 20),
    seed=st.integers(0, 2**20),
    matrices=st.booleans(),
)
def test_an_independently_built_feasible_solution_is_never_blocked(name, n, seed, matrices):
    inst = matrix_instance(name, n, seed) if matrices else generate(name, n, seed)
    assert_steps_through(inst, greedy_solution(inst, np.random.default_rng(seed)))


@settings(max_examples=20, deadline=None)
@given(
    name=st.sampled_from(VARIANT_NAMES),
    n=st.integers(1, 12),
    seed=st.integers(0, 2**20),
    matrices=st.booleans(),
)
def test_at_every_step_the_mask_is_exactly_what_evaluate_allows(name, n, seed, matrices):
    # On metric data "j may come next" is exactly "the route so far + j, then home, is
    # feasible", and "depot k may start the next route" is "k can serve someone left alone".
    inst = matrix_instance(name, n, seed) if matrices else generate(name, n, seed)
    K, D = 3, inst.num_depots
    batch = to_batch([inst], num_depot_slots=K, dtype=F64)
    env, policy = VRPEnv(), uniform_policy(torch.Generator().manual_seed(seed))
    state = env.reset(batch.td)
    depot, route, left = 0, [], set(inst.customers)
    while not state["done"].all():
        mask = state["action_mask"][0].tolist()
        for c in left:
            assert mask[c - D + K] == route_ok(inst, Route(depot, [*route, c])), (depot, route, c)
        for k in range(K):
            may_start = k < D and any(route_ok(inst, Route(k, [c])) for c in left)
            expected = may_start and (bool(route) or (state["at_start"].item() and k != depot))
            assert mask[k] == expected, (depot, route, k)
        a = int(policy(state)[0])
        if a < K:
            depot, route = a, []
        else:
            route.append(a - K + D)
            left.discard(a - K + D)
        state.set("action", torch.tensor([a]))
        state = env.step(state)["next"]


@pytest.mark.parametrize("name", [v for v in VARIANT_NAMES if v.startswith("md")])
def test_single_customer_routes_from_every_depot_that_can_serve_them_step_through(name):
    for inst in (generate(name, 12, 5), matrix_instance(name, 12, 5)):
        rng = np.random.default_rng(0)
        routes = []
        for c in inst.customers:
            fits = [d for d in range(inst.num_depots) if route_ok(inst, Route(d, [c]))]
            routes.append(Route(int(rng.choice(fits)), [c]))
        rng.shuffle(routes)
        assert_steps_through(inst, Solution(routes))


@pytest.mark.parametrize("name", VARIANT_NAMES)
def test_a_pyvrp_solution_is_never_blocked(name):
    from vrp.solvers import Budget, get_solver

    solver = get_solver("pyvrp")
    instances = [generate(name, 10, 1)]
    if name in ("vrptw", "mdovrpmbltw", "vrpbl", "ovrpmb"):
        instances.append(matrix_instance(name, 10, 2))
    for inst in instances:
        sol = solver.solve(inst, Budget(0.05), 0)
        if sol is None or not evaluate(inst, sol).feasible:
            continue  # judged by the solver's own tests
        assert_steps_through(inst, sol)


# -- the scaling ----------------------------------------------------------------------------


def shifted_solomon_like() -> Instance:
    """Coordinates in [0, 100], speed 2, a depot window that opens at a negative time."""
    base = generate("vrptw", 15, 4)
    k = 100.0
    return Instance(
        num_depots=1,
        locations=base.locations * k,
        delivery=base.delivery * 7,
        pickup=base.pickup,
        service_time=base.service_time * k / 2,
        tw_early=base.tw_early * k / 2 - 40,
        tw_late=base.tw_late * k / 2 - 40,
        capacity=base.capacity * 7,
        max_distance=400.0,
        speed=2.0,
        name="solomon-like",
    )


def test_scaled_and_shifted_instances_roll_out_to_the_same_rules():
    inst = shifted_solomon_like()
    batch = to_batch([inst])
    s = batch.scales[0]
    assert s.time == pytest.approx(s.extent / 2) and s.capacity == 210.0  # speed 2: planar
    assert s.time_shift == pytest.approx(-40.0)
    locs = batch.td["locs"]
    assert locs.min() >= 0 and locs.max() <= 1 + 1e-6
    assert (batch.td["time_windows"][..., 0] >= 0).all()
    assert_random_rollouts_agree([inst], samples=4)
    assert_steps_through(inst, greedy_solution(inst, np.random.default_rng(1)))


@pytest.mark.parametrize("seconds_per_metre", [0.05, 0.5])
def test_a_timed_road_day_becomes_the_generated_day_whatever_the_citys_pace(seconds_per_metre):
    rng = np.random.default_rng(4)
    n = 9
    dist = rng.uniform(200, 3000, (n + 1, n + 1))
    np.fill_diagonal(dist, 0)
    day = 8 * 3600.0
    inst = Instance(
        num_depots=1,
        locations=None,
        delivery=np.r_[0, np.ones(n)],
        pickup=np.zeros(n + 1),
        service_time=np.r_[0, np.full(n, 300.0)],
        tw_early=np.r_[0, np.full(n, 3600.0)],
        tw_late=np.r_[day, np.full(n, 7200.0)],
        capacity=5,
        distance_matrix=dist,
        duration_matrix=seconds_per_metre * dist,
        name="road",
    )
    td = to_batch([inst]).td
    assert td["time_windows"][0, 0, 1] == pytest.approx(4.6)
    assert td["service_time"][0, 1] == pytest.approx(300 / day * 4.6)
    pace = td["duration_matrix"].mean() / td["distance_matrix"].mean()
    scale = to_batch([inst]).scales[0]
    assert pace == pytest.approx(seconds_per_metre * scale.distance / (day / 4.6), rel=1e-5)
    untimed = replace(inst, tw_early=np.zeros(n + 1), tw_late=np.full(n + 1, np.inf))
    td = to_batch([untimed]).td  # no day: durations at speed 1 on average
    assert td["duration_matrix"].mean() / td["distance_matrix"].mean() == pytest.approx(1, 1e-5)
    assert_random_rollouts_agree([inst], samples=4)  # the scaled day keeps the rules


def test_a_pool_instance_goes_through_the_bridge_as_the_generator_drew_it():
    # Training and solving must show the model one road instance the same way: the
    # generator's own scaling (box, pace, day) is the bridge's.
    td = VRPGenerator(12, ["vrptw", "cvrp", "mdovrpltw"], pool=POOL, seed=6, dtype=F64)(24)
    batch = to_batch(from_td(td), num_depot_slots=3, dtype=F64)
    for key in ("locs", "distance_matrix", "duration_matrix", "service_time", "distance_limit"):
        assert torch.allclose(batch.td[key], td[key], rtol=1e-6, atol=1e-9), key
    w, v = batch.td["time_windows"], td["time_windows"]
    assert torch.equal(torch.isinf(w), torch.isinf(v))
    assert torch.allclose(w[torch.isfinite(w)], v[torch.isfinite(v)], atol=1e-9)


def lonlat_instance() -> Instance:
    rng = np.random.default_rng(3)
    lonlat = np.column_stack([rng.uniform(2.25, 2.45, 13), rng.uniform(48.80, 48.90, 13)])
    return Instance(
        num_depots=2,
        locations=lonlat,
        delivery=np.r_[0, 0, rng.integers(1, 5, 11)],
        pickup=np.zeros(13),
        service_time=np.r_[0, 0, np.full(11, 300.0)],
        tw_early=np.r_[0, 0, np.full(11, -np.inf)],
        tw_late=np.r_[3 * 3600, 3 * 3600, np.full(11, np.inf)],
        capacity=12,
        speed=8.0,  # metres per second
        max_distance=40_000,
        coordinates="lonlat",
        name="paris",
    )


def test_a_lonlat_instance_gets_projected_coordinates_and_great_circle_costs():
    inst = lonlat_instance()
    batch = to_batch([inst])
    locs = batch.td["locs"][0]
    assert locs.min() >= 0 and locs.max() == pytest.approx(1.0)
    d = torch.tensor(inst.distances, dtype=torch.float32) / batch.scales[0].distance
    flat = (locs[:, None] - locs[None]).norm(dim=-1)
    assert torch.allclose(flat, d, rtol=0.01, atol=1e-3)  # a projection good for features
    assert_random_rollouts_agree([inst], samples=4)
    assert_steps_through(inst, greedy_solution(inst, np.random.default_rng(2)))


def test_a_matrix_only_instance_gets_coordinates_for_features():
    base = matrix_instance("vrpltw", 10, 6)
    inst = Instance(
        num_depots=1,
        locations=None,
        delivery=base.delivery,
        pickup=base.pickup,
        service_time=base.service_time,
        tw_early=base.tw_early,
        tw_late=base.tw_late,
        capacity=base.capacity,
        max_distance=base.max_distance,
        distance_matrix=base.distance_matrix,
        duration_matrix=base.duration_matrix,
    )
    batch = to_batch([inst])
    locs = batch.td["locs"]
    assert torch.isfinite(locs).all() and locs.min() >= 0 and locs.max() <= 1 + 1e-6
    assert locs.std() > 0.1
    assert_random_rollouts_agree([inst], samples=4)


def test_instances_of_one_size_batch_with_matrices_and_coordinates_mixed():
    instances = [generate("cvrp", 10, 0), matrix_instance("mdvrptw", 10, 0), lonlat_instance()]
    assert_random_rollouts_agree(instances[:2] + [generate("vrpl", 10, 1)])
    with pytest.raises(ValueError, match="one number of customers"):
        to_batch(instances)
    with pytest.raises(ValueError, match="fewer than"):
        to_batch([generate("mdcvrp", 5, 0)], num_depot_slots=2)


def test_from_td_keeps_a_generated_instance_as_the_core_generator_would_state_it():
    td = VRPGenerator(6, "mdovrpbtw", seed=2, dtype=F64)(1)
    inst = from_td(td)[0]
    assert inst.variant.name == "mdovrpbtw"
    assert inst.num_depots == 3 and inst.capacity == 1.0
    assert np.isfinite(inst.tw_late).all()


# -- fleet and refusals ---------------------------------------------------------------------


def with_count(inst: Instance, count: int) -> Instance:
    return replace(inst, vehicle_count=count)


def test_a_fleet_limit_the_environment_cannot_honour_is_refused_by_name():
    inst = with_count(generate("cvrp", 8, 0), 3)
    with pytest.raises(InputError, match="vehicles.count"):
        to_batch([inst])
    to_batch([inst], allow_fleet_limit=True)  # then evaluate() judges the route count
    to_batch([with_count(generate("cvrp", 8, 0), 8)])  # one route per customer: never binds


def test_a_customer_no_route_can_serve_is_refused_by_name():
    base = generate("vrptw", 5, 0)
    late = base.tw_late.copy()
    early = base.tw_early.copy()
    early[3], late[3] = 0.0, 0.01  # unreachable in time from the depot

    inst = replace(base, tw_early=early, tw_late=late)
    with pytest.raises(InputError, match=r"customers\[2\]"):
        to_batch([inst])


def test_actions_and_routes_map_both_ways_with_depot_slots():
    inst = generate("mdcvrp", 6, 1)
    batch = to_batch([inst], num_depot_slots=4)
    sol = Solution([Route(2, [3, 5]), Route(0, [8]), Route(1, [4, 6, 7])])
    acts = to_actions(batch, 0, sol)
    assert acts == [2, 4, 6, 0, 9, 1, 5, 7, 8, 1]
    assert to_solution(batch, 0, acts + [1, 1]) == sol
    assert_steps_through(inst, sol)
    assert math.isinf(batch.td["distance_limit"].item())
    assert batch.td["depot_valid"].tolist() == [[True, True, True, False]]
