"""`neural+pyvrp`: the neural plan as PyVRP's warm start, and the conversion it rests on."""

from __future__ import annotations

import dataclasses

import pytest

from vrp.errors import InputError
from vrp.model.evaluate import evaluate
from vrp.model.generate import generate
from vrp.model.instance import Instance
from vrp.model.solution import Route, Solution
from vrp.model.variants import parse_variant
from vrp.solvers import Budget, registry, solve
from vrp.solvers.auto import AutoSolver
from vrp.solvers.pyvrp import PyVRPSolver, _fleet_problem, _from_pyvrp, _problem, _Scale, _to_pyvrp

HYBRID_LIMIT_S = 4.0  # the first solve in a process imports torch and loads the model (~3 s)


def _out_and_back(inst: Instance) -> Solution:
    """Every customer alone from depot 0: feasible on every generated instance without a
    fleet (vrp.model.generate)."""
    return Solution([Route(0, [k]) for k in inst.customers])


def _pyvrp_data(inst: Instance) -> tuple[object, list[str | None]]:
    sc = _Scale.of(inst)
    if inst.fleet:
        data, names = _fleet_problem(inst, sc)
        return data, list(names)
    return _problem(inst, sc), []


def _every_depot(inst: Instance) -> Solution:
    """The customers dealt in turn to two routes of every (type, depot) that a route may
    use (feasible or not: the conversion does not judge)."""
    if inst.fleet:
        options = [(d, t.id) for i, t in enumerate(inst.fleet) for d in inst.type_depot_nodes(i)]
    else:
        options = [(d, None) for d in range(inst.num_depots)]
    options *= 2
    customers = list(inst.customers)
    return Solution(
        Route(d, customers[i :: len(options)], kind)
        for i, (d, kind) in enumerate(options)
        if customers[i :: len(options)]
    )


@pytest.mark.parametrize("variant", ["cvrp", "vrptw", "mdvrptw"])
def test_the_hybrid_returns_a_feasible_plan(variant: str):
    inst = generate(variant, 20, seed=3)
    result = solve(inst, "neural+pyvrp", HYBRID_LIMIT_S, seed=1, wall_cap_factor=10.0)
    assert result.solver == "neural+pyvrp"
    assert result.feasible, result.evaluation
    assert result.cost == evaluate(inst, result.solution).cost


@pytest.mark.parametrize("variant", ["vrptw", "mdvrptw", "ovrpltw"])
def test_a_seeded_pyvrp_run_returns_a_plan_no_worse_than_its_seed(variant: str):
    inst = generate(variant, 30, seed=2)
    seed_plan = _out_and_back(inst)
    before = evaluate(inst, seed_plan)
    assert before.feasible
    after = PyVRPSolver().solve(inst, Budget(0.02), initial=seed_plan)
    assert after is not None
    ev = evaluate(inst, after)
    assert ev.feasible and ev.cost <= before.cost


@pytest.mark.parametrize("variant", ["mdvrptw", "mdhvrptw"])
def test_a_seeded_pyvrp_run_with_no_time_left_returns_its_seed(variant: str):
    inst = generate(variant, 20, seed=4)
    seed_plan = solve(inst, "pyvrp", 0.2).solution
    assert seed_plan is not None
    spent = Budget(1e-9)  # PyVRP stops before its first iteration: its best is the seed
    after = PyVRPSolver().solve(inst, spent, initial=seed_plan)
    assert after is not None and set(after.routes) == set(seed_plan.routes)


@pytest.mark.parametrize("variant", ["mdvrptw", "mdovrpb", "mdhcvrp", "mdhvrptw"])
def test_a_plan_of_several_depots_goes_to_pyvrp_and_back_unchanged(variant: str):
    inst = generate(variant, 20, seed=5)
    plan = _every_depot(inst)
    assert len({r.depot for r in plan.routes}) == inst.num_depots
    data, names = _pyvrp_data(inst)
    converted = _to_pyvrp(inst, data, names, plan)
    assert converted is not None
    assert set(_from_pyvrp(inst, converted, names)) == set(plan.routes)


def _without_type(inst: Instance) -> Solution:
    return Solution(Route(r.depot, r.customers) for r in _every_depot(inst).routes)


def _at_a_barred_depot(inst: Instance) -> Solution:
    routes = list(_every_depot(inst).routes)
    homes = {t.id: inst.type_depot_nodes(i) for i, t in enumerate(inst.fleet)}
    k = next(k for k, r in enumerate(routes) if len(homes[str(r.vehicle)]) == 1)
    barred = next(d for d in range(inst.num_depots) if d not in homes[str(routes[k].vehicle)])
    routes[k] = Route(barred, routes[k].customers, routes[k].vehicle)
    return Solution(routes)


def _one_missing(inst: Instance) -> Solution:
    return Solution([Route(0, list(inst.customers)[1:])])


def _two_served_twice(inst: Instance) -> Solution:
    D = inst.num_depots
    return Solution([Route(0, [D, D + 1]), Route(0, inst.customers)])


def _from_a_customer(inst: Instance) -> Solution:
    return Solution([Route(inst.num_depots, inst.customers)])


@pytest.mark.parametrize(
    ("variant", "make"),
    [
        ("mdhcvrp", _without_type),  # a fleet's route that names no vehicle type
        ("mdhcvrp", _at_a_barred_depot),  # a type at a depot it may not start from
        ("mdcvrp", _one_missing),  # a customer left out
        ("cvrp", _two_served_twice),  # customers on two routes
        ("mdcvrp", _from_a_customer),  # a route whose "depot" is a customer
    ],
)
def test_a_plan_with_no_pyvrp_form_is_ignored(variant: str, make):
    inst = generate(variant, 10, seed=6)
    plan = make(inst)
    data, names = _pyvrp_data(inst)
    assert _to_pyvrp(inst, data, names, plan) is None
    after = PyVRPSolver().solve(inst, Budget(0.05), initial=plan)  # solved as without it
    assert after is not None and evaluate(inst, after).feasible


def test_the_hybrid_refuses_what_either_engine_refuses():
    hybrid = registry.get_solver("neural+pyvrp")
    assert "vehicle types" in (hybrid.unsupported(parse_variant("hvrptw")) or "")
    assert hybrid.unsupported(parse_variant("mdovrpmbltw")) is None
    limited = dataclasses.replace(generate("cvrp", 20, seed=1), vehicle_count=5)
    assert "vehicles.count" in (hybrid.unsupported_instance(limited) or "")


def test_the_hybrid_takes_a_checkpoint_and_a_share_but_not_a_share_of_everything():
    assert registry.get_solver("neural+pyvrp", neural_share=0.5).neural_share == 0.5
    with pytest.raises(InputError, match="neural_share"):
        registry.get_solver("neural+pyvrp", neural_share=1.0)


def test_auto_never_runs_the_hybrid():
    auto = AutoSolver()
    for variant in ("cvrp", "vrptw", "mdvrptw", "ovrpltw", "mdhcvrp"):
        assert auto.choose(generate(variant, 20, seed=1), 1.0) in ("hgs", "pyvrp", "ortools")


# -- the neighbourhood as a lever (scripts/neural_neighbours.py) --------------------------


@pytest.mark.parametrize("variant", ["cvrp", "vrptw", "vrpmb", "ovrpltw", "hcvrp"])
def test_pyvrp_given_its_own_neighbourhood_searches_exactly_as_pyvrp_solve_does(variant: str):
    from pyvrp import SolveParams
    from pyvrp import solve as pyvrp_solve
    from pyvrp.search import NeighbourhoodParams
    from pyvrp.stop import MaxIterations

    from vrp.solvers.pyvrp import _solve_with, proximity_neighbours

    inst = generate(variant, 25, seed=3)
    data, _ = _pyvrp_data(inst)
    params = SolveParams(neighbourhood=NeighbourhoodParams(num_neighbours=8))
    ours = _solve_with(data, MaxIterations(200), 4, params, None, proximity_neighbours(inst, 8))
    theirs = pyvrp_solve(data, MaxIterations(200), seed=4, collect_stats=False, params=params)
    assert str(ours.best) == str(theirs.best)
    assert ours.cost() == theirs.cost()


@pytest.mark.parametrize("variant", ["cvrp", "vrptw", "vrpb", "mdvrptw", "hvrptw"])
def test_pyvrp_with_a_neighbourhood_of_our_own_returns_a_feasible_plan(variant: str):
    inst = generate(variant, 20, seed=5)
    n = inst.num_customers
    backwards = [[(i - d) % n for d in range(1, 4)] for i in range(n)]  # 3 arbitrary others
    sol = PyVRPSolver().solve(inst, Budget(0.3), 0, neighbourhood=backwards)
    assert sol is not None
    assert evaluate(inst, sol).feasible


def test_a_neighbourhood_with_a_list_per_customer_missing_is_refused():
    inst = generate("cvrp", 10, seed=1)
    with pytest.raises(ValueError, match="9 lists for 10 customers"):
        PyVRPSolver().solve(inst, Budget(0.1), 0, neighbourhood=[[0]] * 9)


@pytest.mark.parametrize("bad", [10, -1, 3])
def test_a_neighbourhood_naming_no_other_customer_is_refused(bad: int):
    inst = generate("cvrp", 10, seed=1)
    lists = [[(i + 1) % 10] for i in range(10)]
    lists[3] = [4, bad]
    with pytest.raises(ValueError, match=rf"neighbourhood\[3\]: {bad} is not another"):
        PyVRPSolver().solve(inst, Budget(0.1), 0, neighbourhood=lists)


@pytest.mark.parametrize("variant", ["cvrp", "vrptw", "vrpb"])
def test_successor_scores_are_the_policy_s_next_move_from_each_customer(variant: str):
    import numpy as np
    import torch

    from vrp.neural.decode import successor_scores
    from vrp.neural.policy import Policy

    torch.manual_seed(0)
    policy = Policy().eval()
    inst = generate(variant, 12, seed=2)
    p = successor_scores(policy, inst)
    assert p.shape == (12, 12)
    assert np.all(np.diag(p) == 0) and np.all(p >= 0)
    sums = p.sum(1)
    assert np.all((np.abs(sums - 1) < 1e-4) | (sums == 0))
    assert (sums > 0).sum() >= 6
    one = successor_scores(policy, inst, augment=1)
    assert not np.allclose(one, p)  # the 8 symmetries are averaged


def test_successor_scores_give_no_weight_to_a_customer_whose_window_has_closed():
    import numpy as np
    import torch

    from vrp.neural.decode import successor_scores
    from vrp.neural.policy import Policy

    base = generate("vrptw", 8, seed=4)
    late = np.array(base.tw_late, dtype=float)
    early = np.array(base.tw_early, dtype=float)
    # customer 0 (node 1) can be reached straight from the depot, and from nowhere else
    early[1], late[1] = 0.0, base.depot_start(0) + base.durations[0, 1] * 1.001
    inst = dataclasses.replace(base, tw_early=early, tw_late=late)
    torch.manual_seed(0)
    p = successor_scores(Policy().eval(), inst)
    assert np.all(p[1:, 0] == 0)


def test_the_neighbourhood_study_script_measures_every_arm(tmp_path):
    import subprocess
    import sys

    out = subprocess.run(
        [
            sys.executable,
            "scripts/neural_neighbours.py",
            "--variants",
            "cvrp",
            "--sizes",
            "10",
            "--budgets",
            "0.05",
            "--count",
            "1",
            "--seeds",
            "1",
            "--k",
            "3",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    header = next(line for line in out.splitlines() if line.startswith("| variant"))
    for arm in ("pyvrp", "proximity-3", "neural-3", "neural-3 free", "rerank-3"):
        assert f"| {arm} |" in header + " |" or f" {arm} |" in header
    row = next(line for line in out.splitlines() if line.startswith("| cvrp | 10 | 0.05 |"))
    assert "0.00 %" in row  # the best run of the instance is the reference


@pytest.mark.parametrize(
    "script, args, message",
    [
        ("neural_neighbours.py", ["--sizes", "10", "--count", "1", "--variants", "nope"],
         "error: variant: unknown variant 'nope'"),
        ("neural_neighbours.py", ["--sizes", "10", "--count", "1", "--checkpoint", "missing.ckpt"],
         "error: missing.ckpt: no such checkpoint file"),
        ("hybrid_pareto.py", ["--variants", "cvrp,nope", "--count", "1"],
         "error: variant: unknown variant 'nope'"),
        ("neural_ruin.py", ["--size", "10", "--count", "1", "--variants", "nope"],
         "error: variant: unknown variant 'nope'"),
        ("neural_ruin.py", ["--size", "10", "--count", "1", "--checkpoint", "missing.ckpt"],
         "error: missing.ckpt: no such checkpoint file"),
    ],
)  # fmt: skip
def test_the_neighbourhood_and_pareto_scripts_name_a_bad_input_in_one_line(script, args, message):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, f"scripts/{script}", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert done.stderr.startswith(message)


# -- the model choosing what to ruin (scripts/neural_ruin.py) ---------------------------------


def _ruin_module():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scripts" / "neural_ruin.py"
    spec = importlib.util.spec_from_file_location("neural_ruin", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("variant", ["cvrp", "vrptw", "mdvrptw", "ovrpb"])
@pytest.mark.parametrize("weighted", [False, True])
def test_a_ruin_and_recreate_step_keeps_every_customer_exactly_once(variant: str, weighted: bool):
    import numpy as np
    from pyvrp import RandomNumberGenerator, SolveParams
    from pyvrp import Solution as PyVRPSolution
    from pyvrp.PenaltyManager import PenaltyManager
    from pyvrp.search import LocalSearch, PerturbationManager, compute_neighbours

    ruin = _ruin_module()
    inst = generate(variant, 30, seed=6)
    data, _ = _pyvrp_data(inst)
    params = SolveParams()
    rng = RandomNumberGenerator(seed=1)
    ls = LocalSearch(data, rng, compute_neighbours(data), PerturbationManager(params.perturbation))
    for op in params.operators:
        if op.supports(data):
            ls.add_operator(op(data))
    cost = PenaltyManager(params.penalty.midpoint_penalties(data), params.penalty).cost_evaluator()
    D = inst.num_depots
    weigh = ruin.edge_weights(inst.distances[D:, D:]) if weighted else None
    step = ruin.RuinRecreate(data, ls, weigh, seed=2)
    solution = ls(PyVRPSolution.make_random(data, rng), cost, exhaustive=True)
    for _ in range(5):
        solution = step(solution, cost)
        visits = sorted(a.idx for r in solution.routes() for a in r if a.is_client())
        assert visits == list(range(inst.num_customers))
        assert solution.is_complete()
    assert np.isfinite(cost.penalised_cost(solution))


def test_the_ruin_weights_favour_a_customer_on_dear_edges_and_one_alone_in_its_route():
    import numpy as np

    ruin = _ruin_module()
    cost = np.ones((5, 5))
    cost[1, 2] = cost[2, 1] = 9.0
    # routes as (vehicle type, depot, customers): 0-1-2-3 and 4 alone
    w = ruin.edge_weights(cost)([(0, 0, [0, 1, 2, 3]), (0, 0, [4])])
    assert w[1] == w[2] == pytest.approx(5.0, abs=1e-5)  # one edge of 1 and one of 9
    assert w[0] == w[3] == pytest.approx(1.0, abs=1e-5)
    assert w[4] == pytest.approx(w.max())  # alone: the largest weight seen


def test_the_ruin_study_script_measures_every_arm():
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "scripts/neural_ruin.py", "--variants", "cvrp", "--size", "10",
         "--budgets", "0.05", "--count", "1", "--seeds", "1"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout  # fmt: skip
    header = next(line for line in out.splitlines() if line.startswith("| variant"))
    assert header.split("|")[3:7] == [" pyvrp ", " random ruin ", " distance ruin ", " model ruin "]
    row = next(line for line in out.splitlines() if line.startswith("| cvrp | 0.05 |"))
    assert "0.00 %" in row  # the best run of the instance is the reference
    assert " it)" in row
