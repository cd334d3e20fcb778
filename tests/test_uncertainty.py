"""`vrp.uncertainty` and `vrp simulate`: the simulator against `evaluate()` without noise, exact
probabilities of hand-computable cases, robust solving, and the commands' figures and errors."""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pytest
from typer.testing import CliRunner

from cli.main import app
from vrp.errors import InputError
from vrp.formats.io import read_solution, write_instance, write_solution
from vrp.model.evaluate import evaluate
from vrp.model.generate import generate
from vrp.model.instance import Instance
from vrp.model.solution import Route, Solution
from vrp.solvers.checks import check_solvable
from vrp.uncertainty.noise import DEFAULT, NONE, Draws, NoiseModel, parse_noise
from vrp.uncertainty.robust import (
    PRIOR_SLOPE,
    can_be_late,
    inflate,
    max_inflation,
    next_inflation,
    solve_robust,
)
from vrp.uncertainty.simulate import simulate

INF = math.inf
PHI = NormalDist()


def _instance(**kw) -> Instance:
    """Depot at 0, customers at x = 1, 2, ... on a line (arcs are |dx|, speed 1), no windows."""
    n = kw.pop("n", 1)
    N = n + 1
    args = dict(
        num_depots=1,
        locations=np.array([[float(i), 0.0] for i in range(N)]),
        delivery=np.array([0.0] + [1.0] * n),
        pickup=np.zeros(N),
        service_time=np.zeros(N),
        tw_early=np.full(N, -INF),
        tw_late=np.full(N, INF),
        capacity=10.0,
    )
    args.update(kw)
    return Instance(**args)


def _window(n: int, node: int, early: float, late: float, base=None) -> tuple:
    e = np.full(n + 1, -INF) if base is None else base[0].copy()
    lt = np.full(n + 1, INF) if base is None else base[1].copy()
    e[node], lt[node] = early, late
    return e, lt


def _greedy(inst: Instance) -> Solution:
    """A feasible plan without a solver: customers by window start, each appended to the open
    route while the route stays feasible (checked by `evaluate`), else a new route; a new
    route tries the last depot first (multi-depot plans use several)."""
    order = sorted(inst.customers, key=lambda c: (inst.tw_early[c], c))
    routes: list[Route] = []
    current: Route | None = None

    def ok(route: Route) -> bool:
        return not [v for v in evaluate(inst, Solution([route])).violations if v.rule != "visits"]

    for c in order:
        if current is not None and ok(Route(current.depot, [*current.customers, c])):
            current = Route(current.depot, [*current.customers, c])
            continue
        if current is not None:
            routes.append(current)
        depots = range(inst.num_depots - 1, -1, -1)
        current = next(Route(d, [c]) for d in depots if ok(Route(d, [c])))
    assert current is not None
    plan = Solution([*routes, current])
    assert evaluate(inst, plan).feasible
    return plan


def _with_matrices(inst: Instance, seed: int = 0) -> Instance:
    """``inst`` on asymmetric distance and duration matrices (durations a little shorter than
    the distances, so that every customer stays servable alone)."""
    rng = np.random.default_rng(seed)
    n = inst.num_nodes
    dist = inst.distances * rng.uniform(1.0, 1.2, (n, n))
    dur = inst.durations * rng.uniform(0.8, 1.0, (n, n))
    return dataclasses.replace(inst, locations=None, distance_matrix=dist, duration_matrix=dur)


VARIANTS = {
    "vrptw": lambda: generate("vrptw", 30, seed=1),
    "ovrptw (open)": lambda: generate("ovrptw", 30, seed=2),
    "mdvrptw (3 depots)": lambda: generate("mdvrptw", 30, seed=3),
    "vrpbltw (backhaul, limit)": lambda: generate("vrpbltw", 30, seed=4),
    "vrptw on asymmetric matrices": lambda: _with_matrices(generate("vrptw", 30, seed=5)),
    "cvrp (no windows)": lambda: generate("cvrp", 30, seed=6),
}


# -- no noise: the plan as evaluate() times it ---------------------------------------------


@pytest.mark.parametrize("make", VARIANTS.values(), ids=VARIANTS.keys())
def test_without_noise_a_feasible_plan_is_on_time_everywhere_at_evaluates_cost_and_times(make):
    inst = make()
    plan = _greedy(inst)
    ev = evaluate(inst, plan)
    sim = simulate(inst, plan, samples=3, noise=NONE)
    assert sim.cost == ev.cost and sim.expected_cost == ev.cost and sim.feasible
    assert sim.on_time_rate in (1.0, None) and sim.deadline_rate in (1.0, None)
    assert sim.p_all_on_time == 1.0 and sim.expected_lateness == 0.0
    for k, (fig, st) in enumerate(zip(sim.routes, ev.routes, strict=True)):
        assert fig.end_planned == st.end_time and fig.distance == st.distance
        assert np.all(sim.ends[:, k] == st.end_time)  # the same sums in the same order
        assert fig.end_mean == pytest.approx(st.end_time, rel=1e-15)
    assert sim.expected_duration == pytest.approx(sim.planned_duration, rel=1e-12)
    assert sim.duration_std == 0.0


@pytest.mark.parametrize("make", list(VARIANTS.values())[:5], ids=list(VARIANTS.keys())[:5])
def test_without_noise_the_late_visits_and_returns_are_evaluates_violations(make):
    inst = make()
    rng = np.random.default_rng(0)
    customers = rng.permutation(list(inst.customers))
    plan = Solution(
        Route(int(rng.integers(inst.num_depots)), part) for part in np.array_split(customers, 4)
    )  # a random plan: many windows and deadlines broken
    ev = evaluate(inst, plan)
    late = sum(v.rule == "time-window" for v in ev.violations)
    missed = sum(v.rule == "depot-deadline" for v in ev.violations)
    assert late > 0
    sim = simulate(inst, plan, samples=2, noise=NONE)
    timed = sum(r.timed_visits for r in sim.routes)
    assert sim.on_time_rate == pytest.approx(1 - late / timed)
    deadlines = sum(r.p_miss_deadline is not None for r in sim.routes)
    if deadlines:
        assert sim.deadline_rate == pytest.approx(1 - missed / deadlines)
    assert not sim.feasible and sim.cost == ev.cost


def test_explicit_draws_of_ones_are_the_noiseless_run_under_any_model():
    inst = generate("vrptw", 20, seed=7)
    plan = _greedy(inst)
    K = max(len(r) for r in plan.routes) + 1
    draws = Draws.constant(2, len(plan.routes), K)
    a = simulate(inst, plan, noise=DEFAULT, draws=draws)  # euclidean: no congestion
    b = simulate(inst, plan, samples=2, noise=NONE)
    assert np.array_equal(a.ends, b.ends) and a.on_time_rate == b.on_time_rate == 1.0


# -- hand-computable cases ----------------------------------------------------------------


def _stratified_lognormal(sigma: float, samples: int) -> np.ndarray:
    """The ``(i + 1/2) / samples`` quantiles of a log-normal of mean 1: a sample whose share
    below any x is its distribution function at x, within 1 / samples."""
    u = (np.arange(samples) + 0.5) / samples
    return np.exp(-0.5 * sigma**2 + sigma * np.array([PHI.inv_cdf(p) for p in u]))


def _lognormal_cdf(x: float, sigma: float) -> float:
    return PHI.cdf((math.log(x) + 0.5 * sigma**2) / sigma)


@pytest.mark.parametrize("late", [0.8, 1.0, 1.25, 1.6])
def test_one_customer_is_on_time_with_the_lognormal_probability_of_its_window_end(late):
    sigma, S = 0.3, 4000
    e, lt = _window(1, 1, 0.0, late)
    inst = _instance(tw_early=e, tw_late=lt)
    plan = Solution.from_lists([[1]])
    x = _stratified_lognormal(sigma, S)
    travel = np.stack([x, np.ones(S)], axis=1)[:, None, :]  # [S, 1 route, 2 slots]
    draws = Draws(travel=travel, incident=np.zeros_like(travel), service=np.ones_like(travel))
    sim = simulate(inst, plan, draws=draws)
    exact = _lognormal_cdf(late, sigma)  # arrival = 1 * X
    assert sim.on_time_rate == pytest.approx(exact, abs=1.0 / S)
    lateness = np.mean(np.maximum(x - late, 0.0))
    assert sim.expected_lateness == pytest.approx(lateness, rel=1e-12)


def test_monte_carlo_agrees_with_the_lognormal_probability_within_its_error():
    sigma, late, S = 0.25, 1.1, 40_000
    e, lt = _window(1, 1, 0.0, late)
    inst = _instance(tw_early=e, tw_late=lt)
    sim = simulate(inst, Solution.from_lists([[1]]), S, seed=3, noise=parse_noise("lognormal:0.25"))
    exact = _lognormal_cdf(late, sigma)
    se = math.sqrt(exact * (1 - exact) / S)
    assert abs(sim.on_time_rate - exact) < 4 * se


def test_waiting_for_a_window_to_open_absorbs_the_noise_before_it():
    # customer 1 (x = 1) opens at 5: any arrival before waits, so customer 2 (x = 2) starts at
    # 5 + X2 and is on time with probability P(X2 <= late2 - 5), whatever X1 was
    sigma, S = 0.3, 4000
    e, lt = _window(2, 1, 5.0, 10.0)
    e, lt = _window(2, 2, 0.0, 6.1, base=(e, lt))
    inst = _instance(n=2, tw_early=e, tw_late=lt)
    x = _stratified_lognormal(sigma, S)
    rng = np.random.default_rng(0)
    travel = np.stack([rng.permutation(x) * 1.5, x, np.ones(S)], axis=1)[:, None, :]  # X1 < 5
    draws = Draws(travel=travel, incident=np.zeros_like(travel), service=np.ones_like(travel))
    sim = simulate(inst, Solution.from_lists([[1, 2]]), draws=draws)
    p2 = _lognormal_cdf(1.1, sigma)
    assert sim.on_time_rate == pytest.approx((1.0 + p2) / 2, abs=1.0 / S)


def test_the_depot_deadline_is_missed_exactly_when_the_noised_route_ends_after_it():
    # out 1, service 0.5, back 1 (x = 1, speed 1); deadline 3
    e, lt = _window(1, 0, 0.0, 3.0)
    inst = _instance(tw_early=e, tw_late=lt, service_time=np.array([0.0, 0.5]))
    rows = [  # (out, back, service multipliers, incident on the way back) -> end
        ((1.0, 1.0, 1.0, 0.0), 2.5),
        ((1.2, 1.0, 2.0, 0.0), 3.2),  # 1.2 + 1.0 + 1.0
        ((1.0, 1.0, 1.0, 0.6), 3.1),  # an incident of 0.6 x the arc on the way back
        ((0.5, 1.4, 1.0, 0.0), 2.4),
    ]
    travel = np.array([[[out, back]] for (out, back, _, _), _ in rows])
    service = np.array([[[s, 1.0]] for (_, _, s, _), _ in rows])
    incident = np.array([[[0.0, i]] for (_, _, _, i), _ in rows])
    sim = simulate(inst, Solution.from_lists([[1]]), draws=Draws(travel, incident, service))
    ends = np.array([end for _, end in rows])
    assert np.allclose(sim.ends[:, 0], ends)
    assert sim.routes[0].p_miss_deadline == pytest.approx(0.5)
    assert sim.deadline_rate == pytest.approx(0.5)
    assert sim.expected_lateness == pytest.approx((0.2 + 0.1) / 4)
    assert sim.routes[0].end_p95 == pytest.approx(np.percentile(ends, 95))
    assert sim.on_time_rate is None  # the customer has no window


def test_an_open_route_has_no_return_leg_and_no_deadline_to_miss():
    e, lt = _window(1, 0, 0.0, 1.5)
    inst = _instance(tw_early=e, tw_late=lt, open=True)
    travel = np.array([[[1.4, 9.0]], [[1.0, 9.0]]])
    sim = simulate(
        inst,
        Solution.from_lists([[1]]),
        draws=Draws(travel, np.zeros_like(travel), np.ones_like(travel)),
    )
    assert np.allclose(sim.ends[:, 0], [1.4, 1.0]) and sim.deadline_rate is None
    assert sim.routes[0].p_miss_deadline is None


def _road(n: int = 1, arc_s: float = 600.0) -> Instance:
    N = n + 1
    dur = np.full((N, N), arc_s)
    np.fill_diagonal(dur, 0.0)
    return Instance(
        num_depots=1,
        locations=np.array([[7.42, 43.73 + 0.001 * i] for i in range(N)]),
        delivery=np.array([0.0] + [1.0] * n),
        pickup=np.zeros(N),
        service_time=np.zeros(N),
        tw_early=np.full(N, -INF),
        tw_late=np.full(N, INF),
        capacity=10.0,
        coordinates="lonlat",
        distance_matrix=dur * 10.0,
        duration_matrix=dur,
    )


def test_on_roads_an_arc_left_in_the_morning_peak_takes_longer_by_the_congestion_profile():
    inst = _road()
    plan = Solution.from_lists([[1]])
    model = DEFAULT
    draws = Draws.constant(1, 1, 2)
    sim = simulate(inst, plan, noise=model, draws=draws)
    # leaves at 0 = 08:00, arrives after 600 s x factor(08:00), leaves again at once
    f0 = float(model.congestion_factor(np.array(0.0)))
    arrive = 600.0 * f0
    f1 = float(model.congestion_factor(np.array(arrive)))
    assert f0 == pytest.approx(
        1 + 0.5 * math.exp(-0.5 * 0.5**2) + 0.5 * math.exp(-0.5 * (9.5 / 1.25) ** 2)
    )
    assert sim.ends[0, 0] == pytest.approx(arrive + 600.0 * f1)
    # the same instance read as planar (no clock): no congestion
    flat = dataclasses.replace(inst, coordinates="euclidean", locations=None)
    assert simulate(flat, plan, noise=model, draws=draws).ends[0, 0] == pytest.approx(1200.0)


def test_the_same_seed_gives_the_same_figures_and_another_seed_others():
    inst = generate("vrptw", 20, seed=8)
    plan = _greedy(inst)
    a, b = (simulate(inst, plan, 300, seed=1) for _ in range(2))
    c = simulate(inst, plan, 300, seed=2)
    assert np.array_equal(a.ends, b.ends) and a.on_time_rate == b.on_time_rate
    assert not np.array_equal(a.ends, c.ends)


def test_the_default_model_makes_a_tight_plan_late_sometimes_and_never_changes_its_cost():
    inst = generate("vrptw", 30, seed=9)
    plan = _greedy(inst)
    sim = simulate(inst, plan, 500, seed=0)
    assert sim.cost == evaluate(inst, plan).cost
    assert 0.0 < sim.on_time_rate < 1.0 and sim.expected_lateness > 0
    assert all(r.end_p95 >= r.end_planned * 0.9 for r in sim.routes)


def test_a_plan_of_another_instance_is_refused_naming_the_routes():
    inst = generate("vrptw", 10, seed=0)
    with pytest.raises(InputError, match=r"^routes: the solution does not fit instance"):
        simulate(inst, Solution.from_lists([list(range(1, 21))]), 10)
    with pytest.raises(InputError, match="samples: must be a positive integer"):
        simulate(inst, _greedy(inst), 0)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("fog", "unknown noise model 'fog'"),  # not a model
        ("lognormal:x", "lognormal:SIGMA needs a number >= 0"),  # SIGMA not a number
        ("lognormal:-1", "lognormal:SIGMA needs a number >= 0"),  # SIGMA negative
        ("", "unknown noise model ''"),  # empty
    ],
)
def test_an_unknown_noise_model_is_an_error_naming_the_option(spec, message):
    with pytest.raises(InputError, match=f"^--noise: {message}"):
        parse_noise(spec)


def test_the_noise_models_by_name():
    assert parse_noise("default") is DEFAULT and parse_noise("NONE") is NONE
    assert parse_noise("lognormal").travel_sigma == 0.2
    m = parse_noise("lognormal:0.1")
    assert m.travel_sigma == 0.1 and m.service_sigma == 0 and not m.congestion
    assert NONE.deterministic and not DEFAULT.deterministic


def test_incident_delays_are_pareto_from_their_minimum_at_their_rate():
    model = NoiseModel(name="t", incident_rate=0.1, incident_min=0.5, incident_shape=3.0)
    d = model.draw(np.random.default_rng(0), 20_000, 1, 5).incident
    hit = d[d > 0]
    assert hit.size / d.size == pytest.approx(0.1, abs=0.01)
    assert hit.min() >= 0.5 and np.mean(hit) == pytest.approx(0.5 * 3 / 2, rel=0.05)


# -- robust solving -------------------------------------------------------------------------


@pytest.mark.parametrize("with_matrix", [False, True])
def test_inflation_multiplies_travel_and_service_times_and_keeps_the_distances(with_matrix):
    inst = generate("vrptw", 15, seed=0)
    if with_matrix:
        inst = _with_matrices(inst)
    big = inflate(inst, 0.25)
    assert np.array_equal(big.distances, inst.distances)
    assert np.allclose(big.durations, 1.25 * inst.durations)
    assert np.allclose(big.service_time, 1.25 * inst.service_time)
    assert big.planar == inst.planar and np.array_equal(big.tw_late, inst.tw_late)


def test_a_plan_feasible_on_inflated_times_is_feasible_on_the_original_instance():
    for seed in range(5):
        inst = generate("vrpltw", 25, seed=seed)
        b = 0.5 * max_inflation(inst)
        plan = _greedy(inflate(inst, b))
        assert evaluate(inst, plan).feasible


def test_the_largest_inflation_keeps_every_customer_servable_and_a_little_more_does_not():
    inst = generate("vrptw", 20, seed=1)
    b = max_inflation(inst)
    assert 0 < b < 4
    check_solvable(inflate(inst, b))
    with pytest.raises(InputError):
        check_solvable(inflate(inst, b + 2e-3))


def test_calibration_raises_a_short_inflation_and_stays_inside_a_bracket():
    up = next_inflation([(0.1, 0.8)], 0.9, 2.0)
    assert up == pytest.approx(0.1 + (PHI.inv_cdf(0.9) - PHI.inv_cdf(0.8)) / PRIOR_SLOPE)
    assert next_inflation([(0.3, 0.99)], 0.9, 2.0) < 0.3  # more than enough: less
    assert next_inflation([(0.3, 0.5)], 0.9, 0.31) == 0.31  # never past the largest
    between = next_inflation([(0.1, 0.85), (0.2, 0.97), (0.12, 0.86)], 0.9, 2.0)
    assert 0.12 < between < 0.2


def test_nothing_to_be_late_for_is_refused():
    assert not can_be_late(generate("cvrp", 10, seed=0))
    assert can_be_late(generate("vrptw", 10, seed=0))
    with pytest.raises(InputError, match="nothing can be late"):
        solve_robust(generate("cvrp", 10, seed=0), _pyvrp(), 0.9, 0.2)
    with pytest.raises(InputError, match="strictly between 0 and 1"):
        solve_robust(generate("vrptw", 10, seed=0), _pyvrp(), 1.0, 0.2)


def _pyvrp():
    from vrp.solvers import get_solver

    return get_solver("pyvrp")


def test_a_robust_plan_is_feasible_on_the_original_and_its_simulation_is_vrp_simulates():
    inst = generate("vrptw", 20, seed=3)
    plan = solve_robust(inst, _pyvrp(), 0.95, time_limit=0.6, seed=0, samples=400)
    res = plan.result
    assert res.solution is not None and res.feasible
    assert res.evaluation == evaluate(inst, res.solution)
    assert len(plan.rounds) >= 2 and plan.inflation is not None
    again = simulate(inst, res.solution, 400, seed=0)
    assert plan.reliability == again.on_time_rate
    tried = [r for r in plan.rounds if r.reliability is not None]
    best = max(r.reliability for r in tried)
    if plan.reached:  # the cheapest of the rounds that reached the target
        assert res.cost == min(r.cost for r in tried if r.reliability >= 0.95)
    else:
        assert plan.reliability == best


# -- the commands -------------------------------------------------------------------------


def _files(tmp_path: Path, seed: int = 3) -> tuple[Path, Path]:
    inst = generate("vrptw", 20, seed=seed)
    ip, sp = tmp_path / "inst.json", tmp_path / "sol.json"
    write_instance(inst, ip)
    write_solution(inst, _greedy(inst), sp, solver="greedy")
    return ip, sp


def test_vrp_simulate_prints_the_figures_and_a_row_per_route(tmp_path):
    ip, sp = _files(tmp_path)
    result = CliRunner().invoke(app, ["simulate", str(ip), str(sp), "--samples", "200"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    for text in ("on time", "lateness", "deadlines", "P(late back)", "end p95", "samples    200"):
        assert text in out
    routes = len(read_solution(sp).routes)
    rows = [line for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert len(rows) == routes and result.stderr == ""


def test_vrp_simulate_json_has_the_expected_cost_rates_lateness_and_routes(tmp_path):
    ip, sp = _files(tmp_path)
    result = CliRunner().invoke(app, ["simulate", str(ip), str(sp), "-n", "100", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    inst_cost = evaluate(generate("vrptw", 20, seed=3), read_solution(sp)).cost
    assert data["expected_cost"] == pytest.approx(inst_cost) and data["cost_std"] == 0
    for key in ("on_time_rate", "expected_lateness", "deadline_rate", "p_all_on_time"):
        assert 0 <= data[key] <= (1 if "rate" in key or key.startswith("p_") else math.inf)
    assert {"p_miss_deadline", "end_p95", "on_time_rate"} <= set(data["routes"][0])
    quiet = CliRunner().invoke(app, ["simulate", str(ip), str(sp), "--noise", "none", "--json"])
    assert json.loads(quiet.stdout)["on_time_rate"] == 1.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--samples", "0"], "--samples: must be a positive integer"),  # zero
        (["--samples", "abc"], "--samples: must be a positive integer"),  # not a number
        (["--samples", "2.5"], "--samples: must be a positive integer"),  # not an integer
        (["--samples", "-3"], "--samples: must be a positive integer"),  # negative
        (["--noise", "fog"], "--noise: unknown noise model 'fog'"),  # unknown model
    ],
)
def test_vrp_simulate_bad_options_are_one_line_errors(tmp_path, args, message):
    ip, sp = _files(tmp_path)
    result = CliRunner().invoke(app, ["simulate", str(ip), str(sp), *args])
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {message}"), result.stderr


def test_vrp_simulate_refuses_a_solution_for_another_instance(tmp_path):
    ip, sp = _files(tmp_path)
    other = generate("vrptw", 30, seed=4, name="other")
    op = tmp_path / "other.json"
    write_instance(other, op)
    named = CliRunner().invoke(app, ["simulate", str(op), str(sp)])  # says another name
    assert named.exit_code == 1
    assert named.stderr.strip() == (
        f"error: {sp}: instance: the solution is for instance 'vrptw-n20-s3', this one is 'other'"
    )
    data = json.loads(sp.read_text())
    del data["instance"]
    sp.write_text(json.dumps(data))
    unnamed = CliRunner().invoke(app, ["simulate", str(op), str(sp)])  # 20 of 30 customers
    assert unnamed.exit_code == 1 and len(unnamed.stderr.strip().splitlines()) == 1
    assert "routes: the solution does not fit instance 'other'" in unnamed.stderr


@pytest.mark.parametrize("q", ["0", "1", "1.5", "-0.2", "nan"])
def test_vrp_solve_robust_outside_0_1_is_a_one_line_error_before_any_work(tmp_path, q):
    ip, _ = _files(tmp_path)
    result = CliRunner().invoke(app, ["solve", str(ip), "--robust", q])
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --robust: must be a probability")


def test_vrp_solve_robust_on_an_instance_without_windows_says_nothing_can_be_late(tmp_path):
    path = tmp_path / "cvrp.json"
    write_instance(generate("cvrp", 10, seed=0), path)
    result = CliRunner().invoke(app, ["solve", str(path), "--robust", "0.9"])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: --robust: the instance has no time windows and no depot deadlines: "
        "nothing can be late"
    )


def test_vrp_solve_robust_prints_the_simulated_rate_that_vrp_simulate_repeats(tmp_path):
    ip, _ = _files(tmp_path)
    sol = tmp_path / "robust.json"
    args = ["solve", str(ip), "--robust", "0.9", "-t", "0.6", "--solver", "pyvrp", "-o", str(sol)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    line = next(x for x in result.stdout.splitlines() if x.startswith("on time"))
    meta = json.loads(sol.read_text())["meta"]["robust"]
    assert f"{100 * meta['reliability']:.1f}%" in line and meta["q"] == 0.9
    assert "rounds:" in result.stdout and len(meta["rounds"]) >= 2
    check = CliRunner().invoke(app, ["simulate", str(ip), str(sol), "--json"])
    assert json.loads(check.stdout)["on_time_rate"] == meta["on_time_rate"]


def test_vrp_benchmark_simulate_adds_on_time_and_lateness_also_to_runs_kept_from_before(tmp_path):
    out = tmp_path / "res"
    base = ["benchmark", "--generate", "vrptw:10:1", "--solvers", "pyvrp", "--time-limit"]
    base += ["0.2", "--out", str(out), "--no-plot"]
    plain = CliRunner().invoke(app, base)
    assert plain.exit_code == 0, plain.output
    assert "on time" not in plain.stdout
    again = CliRunner().invoke(app, [*base, "--simulate", "100"])  # nothing to run: kept runs
    assert again.exit_code == 0, again.output
    assert "on time" in again.stdout and "lateness" in again.stdout
    header = (out / "runs.csv").read_text().splitlines()[0]
    assert header.endswith("on_time_rate,expected_lateness,deadline_rate")
    assert "simulated: 100 samples" in (out / "summary.md").read_text()
    bad = CliRunner().invoke(app, [*base, "--simulate", "0"])
    assert bad.exit_code == 1 and "--simulate: must be a positive integer" in bad.stderr


def test_vrp_simulate_has_help_and_is_listed():
    assert "simulate" in CliRunner().invoke(app, ["--help"]).output
    result = CliRunner().invoke(app, ["simulate", "--help"])
    assert result.exit_code == 0 and "--samples" in result.output
