"""Fleets of vehicle types (FORMAT.md "Fleets", rules 7-9): hand-computed costs and violations,
one-line errors for a bad fleet, and the JSON round trip.

The instance of most tests (distances by hand: 3-4-5 triangles):

    D1 (0, 0)   D2 (6, 0)   a (3, 4) delivery 5, bike only   b (6, 8) delivery 20
    D1-a 5, D1-b 10, a-b 5, D2-a 5, D2-b 8
    van:  count 1, Q 30, based at D1, shift [0, 25], fixed 50, 2 per unit of distance
    bike: Q 8, any depot, 0.5 per unit of distance, travel time x 2
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vrp.errors import InputError
from vrp.formats.io import (
    instance_from_dict,
    instance_to_dict,
    solution_from_dict,
    solution_to_dict,
)
from vrp.model.evaluate import evaluate
from vrp.model.fleet import VehicleType
from vrp.model.solution import Route, Solution

D1, D2, A, B = 0, 1, 2, 3

FLEET = {
    "format": "vrp-instance/1",
    "name": "two-types",
    "depots": [{"id": "D1", "location": [0, 0]}, {"id": "D2", "location": [6, 0]}],
    "customers": [
        {"id": "a", "location": [3, 4], "delivery": 5, "vehicle_types": ["bike"]},
        {"id": "b", "location": [6, 8], "delivery": 20},
    ],
    "vehicles": {"open": False, "speed": 1.0},
    "fleet": [
        {
            "id": "van",
            "count": 1,
            "capacity": 30,
            "depot": "D1",
            "shift": [0, 25],
            "fixed_cost": 50,
            "distance_cost": 2,
        },
        {"id": "bike", "capacity": 8, "distance_cost": 0.5, "duration_factor": 2},
    ],
}


def edited(path: str, value, *, delete: bool = False) -> dict:
    """A copy of FLEET with the field at ``path`` (dots and [i]) set to ``value`` or deleted."""
    data = copy.deepcopy(FLEET)
    keys = [int(k) if k.isdigit() else k for k in re.split(r"[.\[\]]+", path) if k]
    node = data
    for k in keys[:-1]:
        node = node[k]
    if delete:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return data


def rules(inst, *routes: Route) -> list[str]:
    return [v.rule for v in evaluate(inst, Solution(routes)).violations]


@pytest.fixture
def inst():
    return instance_from_dict(FLEET)


# -- rule 9: cost -----------------------------------------------------------------------------


def test_a_route_costs_its_types_fixed_cost_plus_its_distance_times_the_unit_cost(inst):
    # bike D1-a-D1: 0 + 0.5 * 10 = 5; van D1-b-D1: 50 + 2 * 20 = 90.
    ev = evaluate(inst, Solution([Route(D1, [A], "bike"), Route(D1, [B], "van")]))
    assert ev.feasible
    assert ev.cost == pytest.approx(95.0)
    assert ev.distance == pytest.approx(30.0)
    assert [st.cost for st in ev.routes] == pytest.approx([5.0, 90.0])
    assert [st.vehicle for st in ev.routes] == [1, 0]


def test_a_bike_from_the_other_depot_costs_by_its_own_distance(inst):
    # bike D2-a-D2: 10, and D2-b-D2 would be 16 but b is too heavy; a alone: 0.5 * 10.
    ev = evaluate(inst, Solution([Route(D2, [A], "bike"), Route(D1, [B], "van")]))
    assert ev.feasible and ev.cost == pytest.approx(5.0 + 90.0)


def test_without_a_fleet_the_cost_is_the_distance_as_before():
    data = edited("fleet", None, delete=True)
    data["vehicles"]["capacity"] = 30
    del data["customers"][0]["vehicle_types"]
    plain = instance_from_dict(data)
    ev = evaluate(plain, Solution([Route(D1, [A, B])]))
    assert ev.feasible and ev.cost == pytest.approx(20.0) and ev.routes[0].cost == ev.cost


# -- rule 7: type, depot, count, shift ---------------------------------------------------------


def test_a_route_without_a_type_or_with_an_unknown_one_breaks_rule_7(inst):
    assert rules(inst, Route(D1, [A], "bike"), Route(D1, [B])) == ["vehicle"]
    assert rules(inst, Route(D1, [A], "bike"), Route(D1, [B], "truck")) == ["vehicle"]


def test_a_route_naming_a_type_on_an_instance_without_a_fleet_is_a_violation():
    data = edited("fleet", None, delete=True)
    data["vehicles"]["capacity"] = 30
    del data["customers"][0]["vehicle_types"]
    assert rules(instance_from_dict(data), Route(D1, [A, B], "van")) == ["vehicle"]


def test_a_type_based_at_a_depot_cannot_start_from_another(inst):
    assert rules(inst, Route(D1, [A], "bike"), Route(D2, [B], "van")) == ["vehicle-depot"]


def test_more_routes_of_a_type_than_its_count_break_rule_7(inst):
    unlimited = edited("customers[0].vehicle_types", None, delete=True)
    ev = evaluate(
        instance_from_dict(unlimited), Solution([Route(D1, [A], "van"), Route(D1, [B], "van")])
    )
    assert [(v.rule, v.route, v.node) for v in ev.violations] == [("vehicle-count", None, None)]
    assert "2 routes of type 'van' > its count 1" in str(ev.violations[0])


def test_a_route_back_after_its_shift_ends_breaks_the_shift(inst):
    # van D1-b-D1 takes 20; a shift ending at 19 is missed, one ending at 20 is kept.
    for end, expected in ((19, ["shift"]), (20, [])):
        short = instance_from_dict(edited("fleet[0].shift", [0, end]))
        assert rules(short, Route(D1, [A], "bike"), Route(D1, [B], "van")) == expected


def test_the_earlier_of_depot_deadline_and_shift_end_binds_and_is_named(inst):
    data = edited("fleet[0].shift", [0, 25])
    data["depots"][0]["time_window"] = [0, 19]
    # depot D1 closes at 19 before the van's shift ends at 25: the depot's rule is broken
    assert rules(instance_from_dict(data), Route(D1, [B], "van"), Route(D2, [A], "bike")) == [
        "depot-deadline"
    ]


def test_a_route_leaves_at_the_later_of_depot_opening_and_shift_start():
    data = edited("fleet[0].shift", [10, 100])
    data["customers"][1]["time_window"] = [0, 15]
    inst = instance_from_dict(data)
    # leaves at 10, reaches b at 20 > 15
    ev = evaluate(inst, Solution([Route(D1, [A], "bike"), Route(D1, [B], "van")]))
    assert [v.rule for v in ev.violations] == ["time-window"]
    assert ev.routes[1].start_time == 10 and ev.routes[1].end_time == 30


def test_an_open_route_is_not_held_to_the_end_of_its_shift():
    data = edited("fleet[0].shift", [0, 12])
    data["vehicles"]["open"] = True
    inst = instance_from_dict(data)
    # open: D1-b is 10 <= 12 at b; without the return leg the shift end does not apply
    assert rules(inst, Route(D1, [A], "bike"), Route(D1, [B], "van")) == []


def test_a_types_duration_factor_scales_its_travel_times():
    data = edited("depots[0].time_window", [0, 15])
    inst = instance_from_dict(data)
    # the bike's D1-a-D1 is 10 long but takes 20 > 15; the van's D1-b-D1 takes 20 too
    ev = evaluate(inst, Solution([Route(D1, [A], "bike")]))
    assert ev.routes[0].end_time == pytest.approx(20.0)
    assert "depot-deadline" in [v.rule for v in ev.violations]


# -- rule 8 and per-type limits -----------------------------------------------------------------


def test_a_customer_served_by_a_type_it_does_not_allow_breaks_rule_8(inst):
    ev = evaluate(inst, Solution([Route(D1, [A, B], "van")]))
    assert [(v.rule, v.node) for v in ev.violations] == [("vehicle-type", A)]
    assert "allowed: bike" in str(ev.violations[0])


def test_each_route_is_held_to_its_own_types_capacity_and_distance_limit(inst):
    assert rules(inst, Route(D1, [A], "bike"), Route(D2, [B], "bike")) == ["capacity"]
    limited = instance_from_dict(edited("fleet[1].max_distance", 9))
    assert rules(limited, Route(D1, [A], "bike"), Route(D1, [B], "van")) == ["distance-limit"]


# -- the variant --------------------------------------------------------------------------------


def test_a_fleet_puts_an_h_after_md_in_the_variant_name(inst):
    assert inst.variant.name == "mdhvrptw"  # the van's shift is a time limit
    one_depot = edited("depots", FLEET["depots"][:1])
    one_depot["fleet"][0]["shift"] = None
    assert instance_from_dict(one_depot).variant.name == "hcvrp"
    one_depot["fleet"][1]["max_distance"] = 40
    assert instance_from_dict(one_depot).variant.name == "hvrpl"


# -- one line per bad fleet -----------------------------------------------------------------------

BAD_FLEETS = [
    # a customer names a type the fleet lacks
    (edited("customers[0].vehicle_types", ["cargo-bike"]), "customers[0].vehicle_types: unknown"),
    # a type based at a depot that does not exist
    (edited("fleet[0].depot", "D9"), "fleet[0].depot: unknown depot 'D9'"),
    # a shift that ends before it starts
    (edited("fleet[0].shift", [500, 480]), "fleet[0].shift: start 500 > end 480"),
    # negative costs
    (edited("fleet[0].fixed_cost", -1), "fleet[0].fixed_cost: must be"),
    (edited("fleet[1].distance_cost", -0.5), "fleet[1].distance_cost: must be"),
    # a capacity that is not positive
    (edited("fleet[1].capacity", -8), "fleet[1].capacity: must be a positive number"),
    (edited("fleet[1].capacity", 0), "fleet[1].capacity: must be a positive number"),
    # the only type customer a may use cannot carry it
    (edited("customers[0].delivery", 9), "customers[0].delivery: delivery 9 exceeds the capacity"),
    # a customer no type at all can carry
    (edited("customers[1].delivery", 31), "customers[1].delivery: delivery 31 exceeds"),
    # two types of one name
    (edited("fleet[1].id", "van"), "fleet[1].id: type id 'van' is used twice"),
    # a customer no type may serve
    (edited("customers[0].vehicle_types", []), "customers[0].vehicle_types: is empty"),
    # a type without a capacity
    (edited("fleet[0].capacity", None, delete=True), "fleet[0].capacity: missing required"),
    # a count that is not a positive integer
    (edited("fleet[0].count", 0), "fleet[0].count: must be a positive integer"),
    # a travel-time factor that is not positive
    (edited("fleet[1].duration_factor", 0), "fleet[1].duration_factor: must be a positive"),
]


@pytest.mark.parametrize(("data", "message"), BAD_FLEETS)
def test_a_bad_fleet_is_one_line_naming_the_field(tmp_path: Path, data, message):
    from vrp.formats.io import read_instance

    p = tmp_path / "fleet.json"
    p.write_text(json.dumps(data))
    with pytest.raises(InputError) as err:
        read_instance(p)
    text = str(err.value)
    assert text.startswith(f"{p}: {message}"), text
    assert "\n" not in text


def test_without_a_fleet_vehicles_capacity_is_still_required():
    data = edited("fleet", None, delete=True)
    del data["customers"][0]["vehicle_types"]
    with pytest.raises(InputError, match=r"vehicles.capacity: missing required field"):
        instance_from_dict(data)


def test_with_a_fleet_vehicles_count_capacity_and_max_distance_are_not_used():
    data = edited("vehicles", {"capacity": 1, "count": 1, "max_distance": 0.5, "open": False})
    inst = instance_from_dict(data)
    assert inst.vehicle_count is None and inst.max_distance is None
    assert inst.capacity == 30  # derived: the largest type's, never a limit


def test_the_instance_itself_refuses_a_shared_count_with_a_fleet():
    inst = instance_from_dict(FLEET)
    with pytest.raises(InputError, match="vehicles.count: is not used with a fleet"):
        replace(inst, vehicle_count=3)


# -- JSON round trips ------------------------------------------------------------------------------


def test_a_fleet_instance_survives_a_round_trip(inst):
    again = instance_from_dict(json.loads(json.dumps(instance_to_dict(inst))))
    assert again.fleet == inst.fleet
    assert again.vehicle_types == inst.vehicle_types
    assert again.variant == inst.variant
    assert "capacity" not in instance_to_dict(inst)["vehicles"]
    assert inst.fleet[1] == VehicleType(id="bike", capacity=8, distance_cost=0.5, duration_factor=2)


def test_a_solution_keeps_each_routes_vehicle_type(inst):
    sol = Solution([Route(D1, [A], "bike"), Route(D1, [B], "van")])
    data = solution_to_dict(inst, sol)
    assert [r["vehicle"] for r in data["routes"]] == ["bike", "van"]
    assert data["cost"] == pytest.approx(95.0) and data["variant"] == "mdhvrptw"
    assert solution_from_dict(json.loads(json.dumps(data))) == sol


# -- vrp check -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("routes", "rule"),
    [
        # the van may not serve customer a
        ([{"depot": 0, "customers": [2, 3], "vehicle": "van"}], "[vehicle-type]"),
        # two vans, one available
        (
            [
                {"depot": 0, "customers": [2], "vehicle": "bike"},
                {"depot": 0, "customers": [3], "vehicle": "van"},
                {"depot": 0, "customers": [3], "vehicle": "van"},
            ],
            "[vehicle-count]",
        ),
        # the van starts from D2
        (
            [
                {"depot": 0, "customers": [2], "vehicle": "bike"},
                {"depot": 1, "customers": [3], "vehicle": "van"},
            ],
            "[vehicle-depot]",
        ),
    ],
)
def test_vrp_check_names_the_broken_fleet_rule(tmp_path: Path, routes, rule):
    from cli.main import app

    inst_path, sol_path = tmp_path / "i.json", tmp_path / "s.json"
    inst_path.write_text(json.dumps(FLEET))
    sol_path.write_text(json.dumps({"format": "vrp-solution/1", "routes": routes}))
    result = CliRunner().invoke(app, ["check", str(inst_path), str(sol_path)])
    assert result.exit_code == 1
    assert rule in result.output


def test_vrp_check_names_a_missed_shift(tmp_path: Path):
    from cli.main import app

    inst_path, sol_path = tmp_path / "i.json", tmp_path / "s.json"
    inst_path.write_text(json.dumps(edited("fleet[0].shift", [0, 19])))
    routes = [
        {"depot": 0, "customers": [2], "vehicle": "bike"},
        {"depot": 0, "customers": [3], "vehicle": "van"},
    ]
    sol_path.write_text(json.dumps({"format": "vrp-solution/1", "routes": routes}))
    result = CliRunner().invoke(app, ["check", str(inst_path), str(sol_path)])
    assert result.exit_code == 1 and "[shift]" in result.output and "'van'" in result.output


# -- the command line --------------------------------------------------------------------------


def test_vrp_variants_lists_the_48_fleet_variants_after_the_others():
    from cli.main import app
    from vrp.model.variants import FLEET_VARIANT_NAMES, VARIANT_NAMES

    result = CliRunner().invoke(app, ["variants"])
    assert result.exit_code == 0, result.output
    rows = [line.split()[0] for line in result.output.splitlines()[2:] if line.strip()]
    assert rows[:96] == list(VARIANT_NAMES + FLEET_VARIANT_NAMES)


def test_the_summary_groups_routes_by_vehicle_type(tmp_path: Path):
    from cli.main import app

    path = tmp_path / "i.json"
    path.write_text(json.dumps(FLEET))
    result = CliRunner().invoke(
        app, ["solve", str(path), "--solver", "pyvrp", "--time-limit", "0.2"]
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "routes    2 (2 vehicle types)" in out
    # one row per type: routes used of available, load of capacity, distance, cost
    assert re.search(r"van\s+1 / 1\s+20 / 30 \(67%\)\s+20\s+90", out), out
    assert re.search(r"bike\s+1 / any\s+5 / 8 \(62%\)\s+10\s+5", out), out
    assert re.search(r"D1\s+1\s+20\s+20 / 30 \(67%\)\s+0-20 / 25\s+van", out), out


@pytest.mark.parametrize("solver", ["hgs", "neural"])
def test_hgs_and_the_neural_solver_refuse_a_fleet_in_one_line(tmp_path: Path, solver: str):
    from cli.main import app

    path = tmp_path / "i.json"
    path.write_text(json.dumps(FLEET))
    result = CliRunner().invoke(app, ["solve", str(path), "--solver", solver])
    assert result.exit_code == 1
    assert "vehicle types" in result.output and result.output.strip().count("\n") == 0


def test_the_environment_refuses_fleet_variants_by_name():
    pytest.importorskip("torch")
    from envs.generator import VRPGenerator

    with pytest.raises(ValueError, match="no vehicle types .* hcvrp"):
        VRPGenerator(num_loc=10, variants=["cvrp", "hcvrp"])
