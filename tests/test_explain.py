"""`vrp explain`: intentions and binding limits on hand-built plans whose answer is known,
slack held to `evaluate`, what-ifs checked against solving the changed problem directly
(every plan enumerated), the reasons for infeasibility, and the command's output and errors."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from cli.main import app
from vrp.errors import InputError, SolverError
from vrp.explain import explain_plan, parse_change, what_if, why_instance, why_plan
from vrp.explain.whatif import penalised
from vrp.formats.io import instance_from_dict, write_instance
from vrp.model.evaluate import evaluate
from vrp.model.generate import generate
from vrp.model.instance import Instance
from vrp.model.solution import Route, Solution
from vrp.solvers import solve
from vrp.solvers.checks import check_solvable

LIMIT = 0.2  # CPU seconds per engine run: the instances have at most six customers


def make(customers: list[dict[str, Any]], **top: Any) -> Instance:
    """An instance with one depot at the origin (``depot``: its fields) and these customers;
    ``vehicles`` fields and other top-level fields as keywords."""
    vehicles = {"capacity": 10, **top.pop("vehicles", {})}
    depot = {"id": "D", "location": [0, 0], **top.pop("depot", {})}
    data = {"depots": [depot], "customers": customers, "vehicles": vehicles, **top}
    return instance_from_dict(data, default_name="hand")


def at(name: str, x: float, y: float = 0.0, **fields: Any) -> dict[str, Any]:
    return {"id": name, "location": [x, y], "delivery": 1, **fields}


def plan(inst: Instance, *routes: list[str]) -> Solution:
    return Solution(Route(0, [inst.ids.index(c) for c in r]) for r in routes)


def intentions(inst: Instance, sol: Solution, k: int = 0) -> list[tuple[str, str, str]]:
    (e,) = explain_plan(inst, sol, [k])
    return [(inst.ids[x.source], inst.ids[x.target], x.intention) for x in e.edges]


def matrix(d: list[list[float]]) -> Instance:
    """Depot D and customers A, B (nodes 0, 1, 2) with this distance matrix."""
    return make([{"id": "A"}, {"id": "B"}], distance_matrix=d)


# -- intentions ------------------------------------------------------------------------------


def test_the_nearest_stop_each_time_is_the_nearest_intention_and_the_last_one_is_last():
    inst = make([at("1", 1), at("2", 2), at("3", 3)])
    assert intentions(inst, plan(inst, ["1", "2", "3"])) == [
        ("D", "1", "nearest"),
        ("1", "2", "nearest"),
        ("2", "3", "last"),
        ("3", "D", "complete"),
    ]


def test_a_stop_whose_window_closes_first_is_forced_by_the_window_though_another_is_nearer():
    # A is nearer (0.8 < 1), but going there first starts B at 0.8 + 1.28 > 1.5
    inst = make([at("A", 0, 0.8), at("B", 1, 0, time_window=[0, 1.5])])
    (e,) = explain_plan(inst, plan(inst, ["B", "A"]))
    first = e.edges[0]
    assert (first.intention, inst.ids[first.alternative]) == ("window", "A")
    assert "at B: service starts at" in first.text
    assert [x.intention for x in e.edges[1:]] == ["last", "complete"]


def test_a_nearer_stop_that_breaks_a_window_makes_the_next_one_the_nearest_feasible():
    # From D: A (0.5) is nearest but breaks C's window; B (1) keeps every rule; C is next
    inst = make([at("A", 0.5), at("B", 0, 1), at("C", 0, 1.2, time_window=[0, 1.3])])
    sol = plan(inst, ["B", "C", "A"])
    e = explain_plan(inst, sol)[0].edges[0]
    assert e.intention == "nearest" and inst.ids[e.alternative] == "A"
    assert "A is nearer" in e.text and "a time window" in e.text


@pytest.mark.parametrize(
    "a_to_b, b_to_a, intention, delta",
    [
        (5.0, 1.0, "saving", 4.0),  # A first: 1 + 5 + 2 = 8 against B first: 2 + 1 + 1 = 4
        (1.0, 5.0, "detour", -4.0),  # A first: 1 + 1 + 2 = 4 against B first: 2 + 5 + 1 = 8
    ],
)
def test_a_farther_first_stop_is_a_saving_when_the_nearer_lengthens_the_route_else_a_detour(
    a_to_b: float, b_to_a: float, intention: str, delta: float
):
    inst = matrix([[0, 1, 2], [1, 0, a_to_b], [2, b_to_a, 0]])
    e = explain_plan(inst, plan(inst, ["B", "A"]))[0].edges[0]
    assert (e.intention, inst.ids[e.alternative]) == (intention, "A")
    assert e.delta == pytest.approx(delta)


def test_a_depot_deadline_or_a_distance_limit_that_only_this_order_keeps_forces_the_edge():
    d = [[0, 1, 1], [2, 0, 1], [1, 3, 0]]  # A then B: 3 long; B then A: 6
    for top, intention in (
        ({"depot": {"time_window": [0, 4]}}, "deadline"),
        ({"vehicles": {"max_distance": 4}}, "distance"),
    ):
        inst = make([{"id": "A"}, {"id": "B"}], distance_matrix=d, **top)
        assert intentions(inst, plan(inst, ["A", "B"]))[0] == ("D", "A", intention)


def test_the_load_forces_a_return_when_no_customer_of_another_route_fits():
    inst = make([at(str(i), i, delivery=5) for i in (1, 2, 3)])
    sol = plan(inst, ["1", "2"], ["3"])
    first, second = explain_plan(inst, sol)
    assert first.edges[-1].intention == "load"
    assert "deliveries 15 > capacity 10" in first.edges[-1].text
    # route 2 could take 2, which would shorten the plan by 2 (route 1: 4 -> 2, route 2: 6 -> 6)
    back = second.edges[-1]
    assert (back.intention, inst.ids[back.alternative], back.delta) == ("detour", "2", -2.0)


def test_a_linehaul_before_a_nearer_backhaul_is_forced_by_the_backhaul_order():
    inst = make([at("L", 1), at("P", 0.5, delivery=0, pickup=1)])
    assert intentions(inst, plan(inst, ["L", "P"]))[0] == ("D", "L", "backhaul")


def test_a_mixed_load_that_a_pickup_first_would_overflow_forces_the_delivery_first():
    inst = make([at("L", 1, delivery=8), at("P", 0.5, delivery=0, pickup=8)], backhaul="mixed")
    assert intentions(inst, plan(inst, ["L", "P"]))[0] == ("D", "L", "load")


# -- slack -----------------------------------------------------------------------------------


def test_a_window_met_exactly_binds_and_a_full_vehicle_binds_its_capacity():
    inst = make([at("A", 1, time_window=[0, 1]), at("B", 2, delivery=2)])
    (e,) = explain_plan(inst, plan(inst, ["A", "B"]))
    a, b = e.slack.stops
    assert (a.time, inst.ids[a.time_bound], a.tightest, a.binding) == (0.0, "A", "time", True)
    assert math.isinf(b.time) and b.capacity == 7 and not b.binding
    full = make([at("A", 1, delivery=4), at("B", 2, delivery=6)])
    stops = explain_plan(full, plan(full, ["A", "B"]))[0].slack.stops
    assert all(s.tightest == "capacity" and s.binding and s.capacity == 0 for s in stops)


def test_waiting_at_a_later_stop_adds_to_the_time_slack_of_the_stops_before_it():
    # A at t=1 (window to 5); B opens at 4, arrival 2: waits 2; B closes at 4.5; deadline 9
    inst = make(
        [at("A", 1, time_window=[0, 5]), at("B", 2, time_window=[4, 4.5])],
        depot={"time_window": [0, 9]},
    )
    a, b = explain_plan(inst, plan(inst, ["A", "B"]))[0].slack.stops
    assert b.visit.wait == pytest.approx(2) and b.time == pytest.approx(0.5)
    assert a.time == pytest.approx(2.5) and inst.ids[a.time_bound] == "B"


@pytest.mark.parametrize("variant", ["vrptw", "vrpmb", "vrpb", "vrpltw"])
def test_every_slack_is_the_largest_change_that_evaluate_still_accepts(variant: str):
    inst = generate(variant, 8, seed=3)
    sol = solve(inst, "pyvrp", LIMIT).solution
    assert sol is not None
    eps = 1e-6
    for e in explain_plan(inst, sol):
        for s in e.slack.stops:
            c, start = s.visit.node, s.visit.start
            if math.isfinite(s.time):  # service here starting later by the slack: still fine
                ok = _with(inst, tw_early=_set(inst.tw_early, c, start + s.time - eps))
                assert evaluate(ok, sol).feasible
                if s.time_bound != c:  # just past it: the bounding limit breaks
                    bad = _with(inst, tw_early=_set(inst.tw_early, c, start + s.time + eps))
                    assert not evaluate(bad, sol).feasible
            kind = "pickup" if inst.pickup[c] > 0 and inst.delivery[c] == 0 else "delivery"
            demand = getattr(inst, kind)
            ok = _with(inst, **{kind: _set(demand, c, demand[c] + s.capacity)})
            assert evaluate(ok, sol).feasible
            if demand[c] + s.capacity + eps <= inst.capacity:
                bad = _with(inst, **{kind: _set(demand, c, demand[c] + s.capacity + eps)})
                assert "capacity" in {v.rule for v in evaluate(bad, sol).violations}


def _set(a, i: int, value: float):
    out = a.copy()
    out[i] = value
    return out


def _with(inst: Instance, **fields: Any) -> Instance:
    return dataclasses.replace(inst, **fields)


# -- what-if, against every plan of the changed problem -------------------------------------

SIX = [
    at("1", 1, 0, delivery=4),
    at("2", 1, 1, delivery=3),
    at("3", 0, 1, delivery=4),
    at("4", -1, 0, delivery=3),
    at("5", -1, -1, delivery=4),
    at("6", 0, -1, delivery=3),
]


def all_plans(inst: Instance):
    """Every plan of a one-depot instance: each order of the customers, cut into routes."""
    seen = set()
    cust = list(inst.customers)
    for order in itertools.permutations(cust):
        for cuts in itertools.product((False, True), repeat=len(cust) - 1):
            routes, current = [], [order[0]]
            for c, cut in zip(order[1:], cuts, strict=True):
                if cut:
                    routes.append(tuple(current))
                    current = []
                current.append(c)
            routes.append(tuple(current))
            key = frozenset(routes)
            if key not in seen:
                seen.add(key)
                yield Solution(Route(0, r) for r in routes)


def best(inst: Instance, keep) -> float:
    costs = [ev.cost for p in all_plans(inst) if keep(p) and (ev := evaluate(inst, p)).feasible]
    return min(costs)


@pytest.fixture(scope="module")
def six() -> tuple[Instance, Solution]:
    inst = make(SIX)
    sol = solve(inst, "pyvrp", LIMIT).solution
    assert sol is not None and evaluate(inst, sol).cost == pytest.approx(best(inst, bool))
    return inst, sol


def _arcs(p: Solution) -> set[tuple[int, int]]:
    return {e for r in p.routes for e in zip([0, *r.customers], [*r.customers, 0], strict=True)}


def test_forbidding_an_edge_re_optimises_to_the_best_plan_without_it(six):
    inst, sol = six
    a, b = sol.routes[0].customers[:2]
    answer = what_if(inst, sol, parse_change(f"forbid {a}->{b}", inst, sol), "pyvrp", LIMIT)
    assert answer.honoured and answer.feasible and not answer.already
    assert answer.cost == pytest.approx(best(inst, lambda p: (a, b) not in _arcs(p)))
    # the same, solved directly on a hand-made instance where a -> b is 1000 long
    d = [list(row) for row in inst.distances]
    d[a][b] = 1000.0
    direct = solve(dataclasses.replace(inst, distance_matrix=d), "pyvrp", LIMIT)
    assert evaluate(inst, direct.solution).cost == pytest.approx(answer.cost)
    assert answer.delta_cost == pytest.approx(answer.cost - evaluate(inst, sol).cost)


def test_visit_x_before_y_re_optimises_to_the_best_plan_that_drives_x_straight_to_y(six):
    inst, sol = six
    x, y = sol.routes[0].customers[0], sol.routes[-1].customers[0]  # on two routes
    answer = what_if(inst, sol, parse_change(f"visit {x} before {y}", inst, sol), "pyvrp", LIMIT)
    assert answer.honoured and answer.feasible
    assert answer.cost == pytest.approx(best(inst, lambda p: (x, y) in _arcs(p)))
    forced = answer.forced
    assert any((x, y) in zip(r.customers, r.customers[1:], strict=False) for r in forced.routes)


def test_moving_a_customer_re_optimises_its_new_route_and_the_rest_to_the_best_such_plan(six):
    inst, sol = six
    x = sol.routes[0].customers[0]
    target = sol.routes[1]
    group = {*target.customers, x}
    answer = what_if(inst, sol, parse_change(f"move {x} to route 2", inst, sol), "pyvrp", LIMIT)
    assert answer.honoured and answer.feasible
    assert answer.cost == pytest.approx(
        best(inst, lambda p: any(set(r.customers) == group for r in p.routes))
    )
    assert answer.forced_cost >= answer.cost - 1e-9 or answer.breaks


def test_a_change_the_plan_already_makes_is_answered_without_solving(six):
    inst, sol = six
    a, b = sol.routes[0].customers[:2]
    answer = what_if(inst, sol, parse_change(f"visit {a} before {b}", inst, sol), "pyvrp", LIMIT)
    assert answer.already and answer.cost == evaluate(inst, sol).cost and answer.solver is None


def test_a_change_no_plan_can_make_says_why_and_the_forced_plan_names_the_broken_rule():
    inst = make([at("A", 1, time_window=[0, 1]), at("B", 2, time_window=[2, 3])])
    sol = plan(inst, ["A", "B"])
    answer = what_if(inst, sol, parse_change("visit B before A", inst, sol), "pyvrp", LIMIT)
    assert answer.plan is None and answer.note.startswith("no plan can do it")
    assert any("[time-window]" in b and "at A" in b for b in answer.breaks)


def test_a_penalised_edge_is_longer_than_any_plan_and_travel_times_stay():
    inst = make(SIX)
    changed = penalised(inst, parse_change("forbid 1->2", inst, plan(inst, ["1", "2"])))
    worst = sum(max(row[1:]) for row in inst.distances.tolist())
    assert changed.distances[1, 2] > worst and (changed.durations == inst.durations).all()


def test_an_engine_that_cannot_express_a_forbidden_edge_says_so_in_one_line():
    inst = make(SIX)
    sol = plan(inst, ["1", "2"], ["3", "4"], ["5", "6"])
    with pytest.raises(SolverError, match="hgs cannot express 'forbid 1->2' exactly: .*symmetric"):
        what_if(inst, sol, parse_change("forbid 1->2", inst, sol), "hgs", LIMIT)


@pytest.mark.parametrize(
    "text, message",
    [
        ("swap 1 and 2", "cannot read 'swap 1 and 2'"),  # no such form
        ("visit 1 before 9", "no customer has the id '9'"),
        ("visit D before 2", "'D' is a depot"),
        ("visit 1 before 1", "cannot come before itself"),
        ("move 1 to route 4", "route '4' does not exist; the plan has routes 1..3"),
        ("move 1 to route two", "route 'two' does not exist"),
        ("forbid D->D", "no route drives from D to D"),
    ],
)
def test_a_what_if_that_cannot_be_read_names_the_option(text: str, message: str):
    inst = make(SIX)
    sol = plan(inst, ["1", "2"], ["3", "4"], ["5", "6"])
    with pytest.raises(InputError, match="--what-if") as e:
        parse_change(text, inst, sol)
    assert message in str(e.value)


# -- why infeasible --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "customers, top, rule, words",
    [
        # reachable at 1 at the earliest, closes at 0.5
        ([at("A", 1, time_window=[0, 0.5])], {}, "unreachable", "earliest start 1 > latest 0.5"),
        ([at("A", 1)], {"depot": {"time_window": [0, 1.5]}}, "late-return", "return 2 > latest"),
        ([at("A", 1)], {"vehicles": {"max_distance": 1.5}}, "too-far", "round trip 2 > vehicles"),
        ([at("A", 1, delivery=6), at("B", 2, delivery=6)], {"vehicles": {"count": 1}}, "fleet",
         "1 vehicles x capacity 10 = 10 < total delivery 12"),
    ],
)  # fmt: skip
def test_an_instance_no_plan_can_satisfy_names_the_customer_and_constraint(
    customers, top, rule: str, words: str
):
    inst = make(customers, **top)
    with pytest.raises(InputError):
        check_solvable(inst)  # what vrp solve refuses, explained here
    (reason,) = why_instance(inst)
    assert reason.rule == rule and words in reason.text, reason.text


def test_customers_that_pairwise_cannot_share_a_vehicle_prove_a_fleet_too_small():
    # each is reachable exactly at t=1 when served first; any second one arrives too late
    square = [
        at(n, x, y, time_window=[1, 1]) for n, x, y in (("A", 1, 0), ("B", -1, 0), ("C", 0, 1))
    ]
    inst = make(square, vehicles={"count": 2})
    (reason,) = why_instance(inst)
    assert reason.rule == "incompatible" and reason.customers == (1, 2, 3)
    assert "need 3 vehicles, vehicles.count is 2" in reason.text
    assert why_instance(make(square, vehicles={"count": 3})) == []


def test_a_plan_over_capacity_is_blamed_on_the_smallest_set_of_customers_that_overflows():
    inst = make([at("1", 1, delivery=6), at("2", 2, delivery=1), at("3", 3, delivery=6)])
    (reason,) = why_plan(inst, plan(inst, ["1", "2", "3"]))
    assert reason.rule == "capacity" and reason.customers == (1, 3)
    assert "customers 1, 3, in this order, break the load" in reason.text
    assert reason.text.endswith("no order lets them share a vehicle")


def test_a_late_customer_is_blamed_with_the_one_before_it_when_another_order_would_do():
    inst = make([at("A", 2), at("B", 1, time_window=[0, 1.5])])
    (reason,) = why_plan(inst, plan(inst, ["A", "B"]))
    assert reason.rule == "time-window" and reason.customers == (1, 2)
    assert "at B: service starts at 3 > latest 1.5" in reason.text
    assert reason.text.endswith("another order keeps every rule")


def test_a_plan_that_misses_or_repeats_customers_or_has_too_many_routes_says_so():
    inst = make([at("A", 1), at("B", 2)], vehicles={"count": 1})
    texts = [r.text for r in why_plan(inst, plan(inst, ["A"], ["A"]))]
    assert "customer A is visited more than once (again on route 2)" in texts
    assert "customer B is not visited" in texts
    assert "the plan has 2 routes > vehicles.count 1" in texts


@pytest.mark.parametrize("seed, factor", [(0, 0.9), (1, 0.99), (2, 1.01), (3, 1.5)])
def test_an_instance_check_solvable_refuses_gets_a_reason_and_one_it_passes_gets_none(
    seed: int, factor: float
):
    # the first three customers' windows close at `factor` x their travel time from the depot
    inst = generate("vrptw", 10, seed=seed)
    early, late = np.array(inst.tw_early), np.array(inst.tw_late)
    early[1:4], late[1:4] = 0.0, inst.durations[0, 1:4] * factor
    tight = dataclasses.replace(inst, tw_early=early, tw_late=late)
    try:
        check_solvable(tight)
        assert why_instance(tight) == []
    except InputError:
        reasons = why_instance(tight)
        assert {r.rule for r in reasons} == {"unreachable"} and len(reasons) == 3


# -- the command -----------------------------------------------------------------------------


def _files(tmp_path: Path, inst: Instance, sol: Solution, name: str | None = None):
    ip, sp = tmp_path / "i.json", tmp_path / "s.json"
    write_instance(inst, ip)
    routes = [{"depot": r.depot, "customers": list(r.customers)} for r in sol.routes]
    data = {"format": "vrp-solution/1", "routes": routes}
    if name is not None:
        data["instance"] = name
    sp.write_text(json.dumps(data))
    return str(ip), str(sp)


def _run(*args: str):
    return CliRunner().invoke(app, ["explain", *args])


def test_vrp_explain_prints_each_edge_its_intention_and_what_binds(tmp_path: Path):
    inst = make([at("A", 0, 0.8), at("B", 1, 0, time_window=[0, 1])])
    result = _run(*_files(tmp_path, inst, plan(inst, ["B", "A"])))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "plan      1 routes, cost" in out and "feasible" in out
    assert "D -> B  window    forced by a time window" in out
    assert "time (binds)" in out  # B is reached at 1, its window closes at 1


def test_vrp_explain_json_holds_the_routes_stops_edges_and_what_ifs(tmp_path: Path):
    inst = make(SIX)
    sol = plan(inst, ["1", "2"], ["3", "4"], ["5", "6"])
    args = ["--json", "--route", "2", "-w", "visit 4 before 3", "-s", "pyvrp", "-t", str(LIMIT)]
    result = _run(*_files(tmp_path, inst, sol), *args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["feasible"] and data["num_routes"] == 3
    (route,) = data["routes"]
    assert route["route"] == 2 and [s["id"] for s in route["stops"]] == ["3", "4"]
    assert [(e["from"], e["to"]) for e in route["edges"]] == [("D", "3"), ("3", "4"), ("4", "D")]
    (answer,) = data["what_if"]
    assert answer["change"] == "visit 4 before 3" and answer["honoured"]
    assert answer["cost"]["reoptimised"] == pytest.approx(best(inst, lambda p: (4, 3) in _arcs(p)))
    assert "what if visit 4 before 3: pyvrp, up to 0.2 s" in result.stderr


def test_vrp_explain_without_a_plan_says_why_no_plan_can_be_feasible(tmp_path: Path):
    inst = make([at("A", 1), at("B", 4.2, time_window=[0, 3.9])])
    path = tmp_path / "i.json"
    write_instance(inst, path)
    result = _run(str(path))
    assert result.exit_code == 0, result.output
    said = "customer B's window closes before any vehicle can reach it: earliest start 4.2 >"
    assert f"{said} latest 3.9" in result.stdout


def test_vrp_explain_of_an_infeasible_plan_names_the_responsible_customers(tmp_path: Path):
    inst = make([at("1", 1, delivery=6), at("2", 2, delivery=6)])
    result = _run(*_files(tmp_path, inst, plan(inst, ["1", "2"])))
    assert result.exit_code == 0, result.output
    assert "why infeasible" in result.stdout
    assert "route 1: customers 1, 2, in this order, break the load" in result.stdout


@pytest.mark.parametrize(
    "routes, name, args, field",
    [
        ([[1, 2]], "other", [], "s.json: instance: the solution is for instance 'other'"),
        ([[1, 7]], None, [], "s.json: routes[0].customers: 7 is not a customer"),
        ([[1, 2]], None, ["--route", "2"], "--route: route 2 does not exist"),
        ([[1, 2]], None, ["-w", "visit 1 after 2"], "--what-if: cannot read"),
        ([[1, 2]], None, ["-t", "0"], "--time-limit: must be a positive number"),
    ],
)
def test_bad_input_gives_one_line_naming_the_field_and_exit_1(tmp_path, routes, name, args, field):
    inst = dataclasses.replace(make([at("1", 1), at("2", 2)]), name="hand")
    result = _run(*_files(tmp_path, inst, Solution.from_lists(routes), name), *args)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: ") and field in line, line


def test_vrp_explain_plot_draws_a_png(tmp_path: Path):
    inst = make([at("A", 0, 0.8), at("B", 1, 0, time_window=[0, 1])])
    png = tmp_path / "why.png"
    result = _run(*_files(tmp_path, inst, plan(inst, ["B", "A"])), "--plot", str(png))
    assert result.exit_code == 0, result.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_vrp_explain_has_help():
    result = CliRunner().invoke(app, ["explain", "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: vrp explain" in " ".join(result.output.split())


def test_an_engine_or_a_plot_path_that_cannot_do_the_job_fails_before_any_work(tmp_path: Path):
    inst = make(SIX)
    ip, sp = _files(tmp_path, inst, plan(inst, ["1", "2"], ["3", "4"], ["5", "6"]))
    for args, field in (
        (["-w", "move 1 to route 2", "-w", "forbid 1->2", "-s", "hgs"], "hgs cannot express"),
        (["--plot", f"{ip}/why.png"], "--plot: cannot write"),
    ):
        result = _run(ip, sp, *args)
        assert result.exit_code == 1, result.output
        (line,) = result.stderr.strip().splitlines()  # no what-if was started
        assert line.startswith("error: ") and field in line, line
