"""Every registered solver against `evaluate()`: on every variant it either refuses with a
reason or returns routes that are feasible; the adapters are exact on tiny instances."""

from __future__ import annotations

import dataclasses
import itertools
import math
import warnings

import numpy as np
import pytest

from vrp.errors import InputError, SolverError
from vrp.model.evaluate import evaluate
from vrp.model.generate import generate
from vrp.model.instance import Instance
from vrp.model.solution import Route, Solution
from vrp.model.variants import (
    FLEET_VARIANT_NAMES,
    VARIANT_NAMES,
    all_variants,
    fleet_variants,
    parse_variant,
)
from vrp.solvers import Budget, Interrupt, refusal, registry, run_solver, solve
from vrp.solvers.checks import check_solvable

LIMIT_S = 0.2
CONTRACT_LIMIT_S = 0.1  # x 48 variants x every engine: keep the file fast
CONTRACT_WALL_CAP = 20.0
"""The contract is about CPU time: on a loaded machine the default wall cap (1.5 x 0.1 s) cut
OR-Tools' child process before its first solution (ovrp, under a load of 5 on 2 cores)."""


@pytest.fixture(scope="module")
def instances() -> dict[str, Instance]:
    return {v: generate(v, 20, seed=7) for v in VARIANT_NAMES}


@pytest.mark.parametrize("name", registry.solver_names())
def test_every_solver_solves_or_refuses_each_variant_and_its_routes_are_feasible(
    name: str, instances: dict[str, Instance]
):
    failures = []
    for variant, inst in instances.items():
        engine = registry.get_solver(name)
        reason = refusal(engine, inst)
        if reason is not None:
            assert reason.strip(), f"{name} refuses {variant} without a reason"
            with pytest.raises(SolverError):
                solve(inst, engine, LIMIT_S)
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = solve(
                    inst, engine, CONTRACT_LIMIT_S, seed=1, wall_cap_factor=CONTRACT_WALL_CAP
                )
        except SolverError as e:  # a refusal found at solve time: allowed, with a reason
            assert str(e).strip()
            continue
        if result.solution is None:
            failures.append(f"{variant}: no solution in {CONTRACT_LIMIT_S} s")
        elif not result.feasible:
            assert result.evaluation is not None
            failures.append(f"{variant}: infeasible: {result.evaluation.violations[0]}")
    assert not failures, f"{name}: " + "; ".join(failures)


@pytest.mark.parametrize("name", registry.solver_names())
def test_every_solver_names_a_reason_or_supports_each_variant(name: str):
    engine = registry.get_solver(name)
    for v in all_variants():
        reason = engine.unsupported(v)
        assert reason is None or (isinstance(reason, str) and reason)


def test_pyvrp_supports_all_48_variants_and_hgs_only_cvrp():
    pyvrp, hgs = registry.get_solver("pyvrp"), registry.get_solver("hgs")
    assert all(pyvrp.unsupported(v) is None for v in all_variants())
    supported = [v.name for v in all_variants() if hgs.unsupported(v) is None]
    assert supported == ["cvrp"]
    assert "time windows" in (hgs.unsupported(parse_variant("vrptw")) or "")


# -- exactness on tiny instances: the engine finds the true optimum by FORMAT.md's rules --------


def _optimum(inst: Instance) -> float:
    """Brute force: the cheapest feasible solution (fleet count unset)."""
    cust = list(inst.customers)
    best_route: dict[frozenset[int], float] = {}
    for k in range(1, len(cust) + 1):
        for seq in itertools.permutations(cust, k):
            for d in range(inst.num_depots):
                ev = evaluate(inst, Solution([Route(d, seq)]))
                if any(v.rule != "visits" for v in ev.violations):
                    continue
                key = frozenset(seq)
                best_route[key] = min(best_route.get(key, math.inf), ev.cost)
    best: dict[frozenset[int], float] = {frozenset(): 0.0}
    for size in range(1, len(cust) + 1):
        for subset in itertools.combinations(cust, size):
            s = frozenset(subset)
            first = subset[0]  # the route holding the smallest customer, then the rest
            value = math.inf
            for r, c in best_route.items():
                if first in r and r <= s:
                    value = min(value, c + best[s - r])
            best[s] = value
    return best[frozenset(cust)]


def _tight(variant: str, seed: int) -> Instance:
    """A 5-customer instance whose capacity and distance limit bind."""
    inst = generate(variant, 5, seed=seed)
    changes: dict[str, object] = {"capacity": 12.0}
    if inst.max_distance is not None:
        D = inst.num_depots
        trip = inst.distances[0, D:] + (0 if inst.open else inst.distances[D:, 0])
        changes["max_distance"] = float(trip.max()) + 0.2
    return dataclasses.replace(inst, **changes)


TINY = [
    "cvrp", "ovrp", "vrpb", "vrpmb", "ovrpmb", "vrpl", "vrptw", "vrpbtw", "ovrpbltw",
    "vrpmbltw", "mdcvrp", "mdovrpb", "mdvrpmbtw", "mdovrpltw",
]  # fmt: skip


@pytest.mark.parametrize(("name", "variant"), [("pyvrp", v) for v in TINY] + [("hgs", "cvrp")])
def test_our_adapters_find_the_brute_force_optimum_of_tiny_instances(name: str, variant: str):
    engine = registry.get_solver(name)
    for seed in (1, 2):
        inst = _tight(variant, seed)
        result = run_solver(inst, engine, Budget(LIMIT_S), seed=0)
        assert result.feasible, result.evaluation
        assert result.cost == pytest.approx(_optimum(inst), rel=1e-6)


# -- fleet counts, asymmetric matrices, refusals -------------------------------------------------


def _matrix_instance(dist: np.ndarray, delivery: list[float], capacity: float, **kw) -> Instance:
    n = len(delivery)
    return Instance(
        num_depots=1,
        locations=None,
        delivery=np.array(delivery, dtype=float),
        pickup=np.zeros(n),
        service_time=np.zeros(n),
        tw_early=np.full(n, -np.inf),
        tw_late=np.full(n, np.inf),
        capacity=capacity,
        distance_matrix=dist,
        **kw,
    )


def test_pyvrp_follows_an_asymmetric_matrix():
    # Going round 0 -> 1 -> 2 -> 3 -> 0 costs 4; the other direction costs 40.
    dist = np.full((4, 4), 10.0)
    np.fill_diagonal(dist, 0)
    for a in range(4):
        dist[a, (a + 1) % 4] = 1.0
    inst = _matrix_instance(dist, [0, 1, 1, 1], capacity=3)
    result = solve(inst, "pyvrp", LIMIT_S)
    assert result.cost == pytest.approx(4.0)
    assert [r.customers for r in result.solution.routes] == [(1, 2, 3)]


def test_hgs_refuses_an_asymmetric_matrix():
    dist = np.array([[0, 1, 2], [2, 0, 1], [1, 2, 0]], dtype=float)
    inst = _matrix_instance(dist, [0, 1, 1], capacity=2)
    with pytest.raises(SolverError, match="symmetric"):
        solve(inst, "hgs", LIMIT_S)
    assert solve(inst, "auto", LIMIT_S).solver == "auto(pyvrp)"


@pytest.mark.parametrize("name", ["pyvrp", "hgs"])
def test_a_fleet_count_is_respected(name: str):
    inst = dataclasses.replace(generate("cvrp", 20, seed=3), vehicle_count=4, capacity=30.0)
    # 20 demands of 1..9 in 4 vehicles of 30: tight, but the generator's total fits.
    assert inst.delivery.sum() <= 4 * 30
    result = solve(inst, name, 0.5)
    if result.solution is not None:
        assert result.feasible
        assert len(result.solution.routes) <= 4


def test_pyvrp_refuses_a_fleet_count_shared_by_several_depots():
    inst = dataclasses.replace(generate("mdcvrp", 20, seed=3), vehicle_count=8)
    with pytest.raises(SolverError, match="shared"):
        solve(inst, "pyvrp", LIMIT_S)


def test_pyvrp_refuses_classic_backhaul_with_a_customer_of_neither_kind():
    inst = generate("vrpb", 10, seed=3)
    delivery = inst.delivery.copy()
    delivery[int(np.flatnonzero(delivery)[0])] = 0.0
    with pytest.raises(SolverError, match="neither"):
        solve(dataclasses.replace(inst, delivery=delivery), "pyvrp", LIMIT_S)


def test_auto_hands_a_fleet_count_shared_by_depots_to_ortools():
    from vrp.solvers.auto import AutoSolver

    inst = dataclasses.replace(generate("mdcvrp", 20, seed=3), vehicle_count=8)
    assert AutoSolver().choose(inst, 1.0) == "ortools"


def test_auto_runs_hgs_on_small_cvrp_and_pyvrp_elsewhere():
    assert solve(generate("cvrp", 20, seed=1), "auto", LIMIT_S).solver == "auto(hgs)"
    assert solve(generate("vrptw", 20, seed=1), "auto", LIMIT_S).solver == "auto(pyvrp)"


def test_auto_labels_its_result_and_stays_auto():
    auto = registry.get_solver("auto")
    assert solve(generate("cvrp", 20, seed=1), auto, LIMIT_S).solver == "auto(hgs)"
    assert auto.name == "auto"


# -- settings and budgets ----------------------------------------------------------------------


def test_an_engine_takes_its_settings_when_made_and_names_an_unknown_one():
    assert registry.get_solver("ortools", metaheuristic="gls").metaheuristic == "gls"
    with pytest.raises(InputError, match="'pyvrp' has no setting 'checkpoint'"):
        registry.get_solver("pyvrp", checkpoint="model.ckpt")
    with pytest.raises(InputError, match="metaheuristic"):
        registry.get_solver("ortools", metaheuristic="tabu")


def test_a_requested_interrupt_spends_the_budget_and_the_result_says_so():
    interrupt = Interrupt()
    budget = Budget(30.0, interrupt=interrupt)
    assert not budget.expired()
    interrupt.request()
    assert budget.expired()
    result = solve(generate("vrptw", 50, seed=1), "pyvrp", 30.0, interrupt=interrupt)
    assert result.interrupted
    assert result.runtime_s < 5.0


def test_the_wall_cap_is_a_value_of_the_budget():
    assert Budget(2.0).wall_cap == 3.0
    assert Budget(2.0, wall_cap_factor=4.0).wall_cap == 8.0


# -- up-front checks -------------------------------------------------------------------------


def test_a_customer_whose_window_no_depot_reaches_is_rejected_by_name():
    inst = generate("vrptw", 10, seed=2)
    early, late = inst.tw_early.copy(), inst.tw_late.copy()
    k = inst.num_depots + 4
    early[k], late[k] = 0.0, 0.5 * float(inst.durations[0, k])
    bad = dataclasses.replace(inst, tw_early=early, tw_late=late)
    with pytest.raises(InputError, match=r"customers\[4\].*cannot be reached"):
        check_solvable(bad)


def test_a_customer_beyond_the_distance_limit_is_rejected_by_name():
    inst = generate("vrpl", 10, seed=2)
    k = int(np.argmax(inst.distances[0, 1:])) + 1
    trip = float(inst.distances[0, k] + inst.distances[k, 0])
    with pytest.raises(InputError, match=rf"customers\[{k - 1}\].*max_distance"):
        check_solvable(dataclasses.replace(inst, max_distance=trip * 0.99))


def test_a_fleet_too_small_for_the_load_is_rejected():
    inst = generate("cvrp", 20, seed=2)
    count = int(inst.delivery.sum() // inst.capacity)  # one vehicle short
    with pytest.raises(InputError, match="vehicles.count"):
        check_solvable(dataclasses.replace(inst, vehicle_count=count))


def test_generated_instances_pass_the_up_front_checks():
    for v in VARIANT_NAMES:
        check_solvable(generate(v, 30, seed=5))


# -- fleets of vehicle types (the 48 `h` variants) ---------------------------------------------

# At n = 100 a sample: every fifth fleet variant (10 of 48, with O, B, M, L, TW and MD among
# them), to keep the suite within CI's budget; n = 20 covers all 48.
FLEET_SAMPLE_N100 = FLEET_VARIANT_NAMES[::5]


@pytest.fixture(scope="module")
def fleet_instances() -> dict[str, Instance]:
    return {v: generate(v, 20, seed=7) for v in FLEET_VARIANT_NAMES}


def _solved_or_refused(name: str, instances: dict[str, Instance], limit: float) -> list[str]:
    """The failures of engine ``name`` on ``instances``: a refusal must come with a reason and
    a `SolverError`; an answer must be feasible by `evaluate()` at the cost it reports."""
    failures = []
    for variant, inst in instances.items():
        engine = registry.get_solver(name)
        reason = refusal(engine, inst)
        if reason is not None:
            assert reason.strip() and "\n" not in reason, f"{name} on {variant}: {reason!r}"
            with pytest.raises(SolverError):
                solve(inst, engine, LIMIT_S)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # CPU seconds decide, not a crowded machine's wall clock (the default cap, 1.5x,
            # left OR-Tools without a first plan of a fleet instance under load)
            result = solve(inst, engine, limit, seed=1, wall_cap_factor=10.0)
        if result.solution is None:
            failures.append(f"{variant}: no solution in {limit} s")
            continue
        again = evaluate(inst, result.solution)
        assert result.cost == again.cost
        if not again.feasible:
            failures.append(f"{variant}: infeasible: {again.violations[0]}")
        elif any(r.vehicle is None for r in result.solution.routes):
            failures.append(f"{variant}: a route without its vehicle type")
    return failures


@pytest.mark.parametrize("name", registry.solver_names())
def test_every_solver_solves_or_refuses_each_fleet_variant_at_20_customers(
    name: str, fleet_instances: dict[str, Instance]
):
    # LIMIT_S, not CONTRACT_LIMIT_S: OR-Tools' model of a fleet (a vehicle per type and
    # depot) took most of 0.1 s to build on a loaded machine and found no plan in time
    failures = _solved_or_refused(name, fleet_instances, LIMIT_S)
    assert not failures, f"{name}: " + "; ".join(failures)


@pytest.mark.parametrize("name", ["pyvrp", "ortools"])
def test_pyvrp_and_ortools_solve_a_sample_of_fleet_variants_at_100_customers(name: str):
    instances = {v: generate(v, 100, seed=7) for v in FLEET_SAMPLE_N100}
    failures = _solved_or_refused(name, instances, 2 * LIMIT_S)
    assert not failures, f"{name}: " + "; ".join(failures)


def test_pyvrp_and_ortools_support_all_96_variants_and_hgs_and_neural_refuse_fleets():
    for name in ("pyvrp", "ortools"):
        engine = registry.get_solver(name)
        assert all(engine.unsupported(v) is None for v in all_variants() + fleet_variants())
    assert "vehicle types" in (registry.get_solver("hgs").unsupported(parse_variant("hcvrp")) or "")
    neural = registry.get_solver("neural").unsupported(parse_variant("hvrptw"))
    assert neural is not None and "vehicle types" in neural and "\n" not in neural


def test_auto_runs_pyvrp_on_a_fleet_and_ortools_on_a_type_count_shared_by_depots():
    from vrp.solvers.auto import AutoSolver

    inst = generate("mdhcvrp", 20, seed=3)
    assert AutoSolver().choose(inst, 1.0) == "pyvrp"
    # the type that may use any depot gets a count: PyVRP cannot share it between depots
    anywhere = next(i for i, t in enumerate(inst.fleet) if t.depot is None)
    fleet = list(inst.fleet)
    fleet[anywhere] = dataclasses.replace(fleet[anywhere], count=3)
    shared = dataclasses.replace(inst, fleet=tuple(fleet))
    assert "shared" in (refusal(registry.get_solver("pyvrp"), shared) or "")
    assert AutoSolver().choose(shared, 1.0) == "ortools"
    result = solve(shared, "auto", 0.5)
    assert result.solver == "auto(ortools)" and result.feasible


@pytest.mark.parametrize("name", ["pyvrp", "ortools"])
def test_each_types_count_is_respected(name: str):
    inst = generate("hcvrp", 30, seed=4)
    # at most two routes of every type but the largest
    largest = max(range(len(inst.fleet)), key=lambda t: inst.fleet[t].capacity)
    fleet = tuple(
        t if i == largest else dataclasses.replace(t, count=2) for i, t in enumerate(inst.fleet)
    )
    limited = dataclasses.replace(inst, fleet=fleet)
    result = solve(limited, name, 0.5)
    assert result.feasible
    for t in fleet:
        used = sum(1 for r in result.solution.routes if r.vehicle == t.id)
        assert t.count is None or used <= t.count


def _fleet_optimum(inst: Instance) -> float:
    """`_optimum` with a fleet: every route of every type from every depot it may use (type
    counts unset)."""
    options = [(d, t.id) for i, t in enumerate(inst.fleet) for d in inst.type_depot_nodes(i)]
    cust = list(inst.customers)
    best_route: dict[frozenset[int], float] = {}
    for k in range(1, len(cust) + 1):
        for seq in itertools.permutations(cust, k):
            for d, kind in options:
                ev = evaluate(inst, Solution([Route(d, seq, kind)]))
                if any(v.rule != "visits" for v in ev.violations):
                    continue
                key = frozenset(seq)
                best_route[key] = min(best_route.get(key, math.inf), ev.cost)
    best: dict[frozenset[int], float] = {frozenset(): 0.0}
    for size in range(1, len(cust) + 1):
        for subset in itertools.combinations(cust, size):
            s = frozenset(subset)
            value = math.inf
            for r, c in best_route.items():
                if subset[0] in r and r <= s:
                    value = min(value, c + best[s - r])
            best[s] = value
    return best[frozenset(cust)]


def _tight_fleet(variant: str, seed: int) -> Instance:
    """A 5-customer fleet instance whose type capacities and distance limits bind."""
    inst = generate(variant, 5, seed=seed)
    D = inst.num_depots
    trip = inst.distances[0, D:] + (0 if inst.open else inst.distances[D:, 0])
    fleet = tuple(
        dataclasses.replace(
            t,
            capacity=max(9.0, round(0.4 * t.capacity)),
            max_distance=None if t.max_distance is None else float(trip.max()) + 0.2,
        )
        for t in inst.fleet
    )
    return dataclasses.replace(inst, fleet=fleet)


TINY_FLEET = [
    "hcvrp", "hovrp", "hvrpb", "hvrpmb", "hvrpl", "hvrptw", "hovrpbltw", "hvrpmbltw",
    "mdhcvrp", "mdhovrpb", "mdhvrpmbtw", "mdhovrpltw",
]  # fmt: skip


@pytest.mark.parametrize("variant", TINY_FLEET)
def test_pyvrp_finds_the_brute_force_optimum_of_tiny_fleet_instances(variant: str):
    engine = registry.get_solver("pyvrp")
    for seed in (1, 2):
        inst = _tight_fleet(variant, seed)
        result = run_solver(inst, engine, Budget(LIMIT_S), seed=0)
        assert result.feasible, result.evaluation
        assert result.cost == pytest.approx(_fleet_optimum(inst), rel=1e-6)


@pytest.mark.parametrize("variant", TINY_FLEET[::3])
def test_ortools_never_beats_the_brute_force_optimum_of_tiny_fleet_instances(variant: str):
    # Not always the optimum: its insertions put one customer at a time in the cheapest
    # vehicle, and no move swaps a route's type (hcvrp seed 2: 4.595 against 4.451, also at
    # 3 s). Below the optimum would mean a rule left out of the model. Its first solutions are
    # poor (hcvrp seed 1: 9.87 at 5 ms, 6.85 at 20 ms, 5.08 from 50 ms), and on a loaded machine
    # 0.2 s once ended at 7.13: the 5 % bound gets 1 s.
    engine = registry.get_solver("ortools")
    for seed in (1, 2):
        inst = _tight_fleet(variant, seed)
        result = run_solver(inst, engine, Budget(1.0), seed=0)
        assert result.feasible, result.evaluation
        optimum = _fleet_optimum(inst)
        assert optimum * (1 - 1e-9) <= result.cost <= optimum * 1.05


def test_generated_fleet_instances_pass_the_up_front_checks():
    for v in FLEET_VARIANT_NAMES:
        check_solvable(generate(v, 30, seed=5))


def test_a_customer_no_allowed_type_can_reach_is_rejected_by_name():
    inst = generate("hvrptw", 10, seed=2)
    kinds = list(inst.vehicle_types or [None] * inst.num_nodes)
    early, late = inst.tw_early.copy(), inst.tw_late.copy()
    k = inst.num_depots + 4
    early[k], late[k] = 0.0, 0.5 * float(inst.durations[0, k]) * 0.9
    kinds[k] = None
    bad = dataclasses.replace(inst, tw_early=early, tw_late=late, vehicle_types=tuple(kinds))
    with pytest.raises(InputError, match=r"customers\[4\].*no vehicle type"):
        check_solvable(bad)
