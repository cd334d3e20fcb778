"""The PyVRP adapter's integer model: scaled exactly, rounded conservatively, cost preserved."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from vrp.model.evaluate import evaluate
from vrp.model.generate import generate
from vrp.model.instance import Instance
from vrp.solvers import solve
from vrp.solvers.pyvrp import _forbid, _problem, _Scale


def _times(inst: Instance, factor: float) -> Instance:
    """The same instance in other units: every length and time multiplied by ``factor``."""
    return dataclasses.replace(
        inst,
        locations=inst.locations * factor,
        service_time=inst.service_time * factor,
        tw_early=inst.tw_early * factor,
        tw_late=inst.tw_late * factor,
        max_distance=None if inst.max_distance is None else inst.max_distance * factor,
    )


def _model(inst: Instance) -> tuple:
    data = _problem(inst, _Scale.of(inst))
    clients = [
        (c.delivery, c.pickup, c.service_duration, c.tw_early, c.tw_late)
        for c in (data.client(i) for i in range(data.num_clients))
    ]
    types = [
        (t.capacity, t.tw_early, t.tw_late, t.max_distance, t.num_available)
        for t in (data.vehicle_type(i) for i in range(data.num_vehicle_types))
    ]
    return data.distance_matrix(0), data.duration_matrix(0), clients, types


@pytest.mark.parametrize("variant", ["vrptw", "ovrpbltw", "mdvrpmbltw"])
def test_a_change_of_units_gives_the_same_integer_model(variant: str):
    inst = generate(variant, 15, seed=4)
    base = _model(inst)
    for factor, q in ((1000.0, 1.0), (0.01, 10.0)):
        other = _times(inst, factor)
        other = dataclasses.replace(
            other, capacity=inst.capacity * q, delivery=inst.delivery * q, pickup=inst.pickup * q
        )
        dist, dur, clients, types = _model(other)
        assert np.array_equal(dist, base[0]) and np.array_equal(dur, base[1])
        assert clients == base[2] and types == base[3]


def test_limits_round_inwards_and_travel_rounds_outwards():
    inst = generate("vrpltw", 15, seed=4)
    sc = _Scale.of(inst)
    data = _problem(inst, sc)
    dur = data.duration_matrix(0)
    assert np.all(dur >= inst.durations * sc.time - 1e-6)
    dist = data.distance_matrix(0)
    assert np.all(dist >= inst.distances * sc.distance - 1e-6)  # a distance limit: round up
    vt = data.vehicle_type(0)
    assert vt.max_distance <= inst.max_distance * sc.distance
    assert vt.tw_late <= (inst.tw_late[0] - sc.time_origin) * sc.time
    for i in range(data.num_clients):
        c, k = data.client(i), i + 1
        assert c.tw_early >= (inst.tw_early[k] - sc.time_origin) * sc.time - 1e-6
        assert c.tw_late <= (inst.tw_late[k] - sc.time_origin) * sc.time + 1e-6
        assert c.service_duration >= inst.service_time[k] * sc.time - 1e-6


@pytest.mark.parametrize("variant", ["cvrp", "ovrpmb", "vrpbtw"])
def test_the_reevaluated_cost_is_the_cost_pyvrp_optimised(variant: str):
    inst = generate(variant, 50, seed=2)
    sc = _Scale.of(inst)
    dist = _problem(inst, sc).distance_matrix(0)
    result = solve(inst, "pyvrp", 0.2)
    assert result.feasible
    internal = 0
    for r in result.solution.routes:
        path = [r.depot, *r.customers] + ([] if inst.open else [r.depot])
        internal += int(dist[path[:-1], path[1:]].sum())
    arcs = sum(len(r) + 1 for r in result.solution.routes)
    assert abs(internal / sc.distance - result.cost) <= 0.5 * arcs / sc.distance + 1e-9
    assert 0.5 * arcs / sc.distance < 1e-4 * result.cost  # five significant digits or better


def test_classic_backhaul_arcs_cost_more_than_any_solution_without_them():
    inst = generate("vrpb", 30, seed=2)
    sc = _Scale.of(inst)
    dist = _problem(inst, sc).distance_matrix(0)
    forbidden = _forbid(inst)
    assert forbidden.any()
    allowed = np.where(forbidden, 0, dist)
    assert dist[forbidden].min() > 2 * inst.num_nodes * allowed.max()
    result = solve(inst, "pyvrp", 0.2)
    assert result.feasible and not any(
        forbidden[list(r.customers[:-1]), list(r.customers[1:])].any()
        for r in result.solution.routes
    )


def test_a_window_narrower_than_the_scale_still_builds():
    inst = generate("vrptw", 10, seed=1)
    early, late = inst.tw_early.copy(), inst.tw_late.copy()
    late[3] = early[3] + 1e-9  # one point in time, below the adapter's resolution
    narrow = dataclasses.replace(inst, tw_early=early, tw_late=late)
    result = solve(narrow, "pyvrp", 0.2)
    # Feasible or nothing: never an infeasible answer.
    assert result.solution is None or evaluate(narrow, result.solution).feasible


@pytest.mark.parametrize(
    ("variant", "customers", "expected"),
    [("cvrp", 999, 50), ("cvrp", 1000, 25), ("hcvrp", 599, 50), ("hcvrp", 600, 25)],
)
def test_pyvrp_searches_a_narrower_neighbourhood_from_a_thousand_customers_or_600_with_a_fleet(
    monkeypatch, variant, customers, expected
):
    import pyvrp

    from vrp.solvers import Budget
    from vrp.solvers.pyvrp import PyVRPSolver

    seen = []
    real = pyvrp.solve

    def spy(data, stop, **kwargs):
        seen.append(kwargs["params"].neighbourhood.num_neighbours)
        return real(data, stop, **kwargs)

    monkeypatch.setattr(pyvrp, "solve", spy)
    inst = generate(variant, customers, seed=0)
    sol = PyVRPSolver().solve(inst, Budget(0.05, wall_cap_factor=200))
    assert seen == [expected]
    assert sol is None or evaluate(inst, sol).feasible
