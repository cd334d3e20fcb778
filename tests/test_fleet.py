"""Fleets of vehicle types beyond the rules (those are in tests/test_fleet_rules.py): one-line
errors for a bad fleet, the JSON round trip, `vrp check`, the summary and the refusals."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from test_fleet_rules import D1, FLEET, A, B, edited
from typer.testing import CliRunner

from vrp.errors import InputError
from vrp.formats.io import (
    instance_from_dict,
    instance_to_dict,
    solution_from_dict,
    solution_to_dict,
)
from vrp.model.fleet import VehicleType
from vrp.model.solution import Route, Solution


@pytest.fixture
def inst():
    return instance_from_dict(FLEET)


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


def test_a_vehicle_type_no_route_uses_shows_no_load_in_the_summary(tmp_path: Path):
    from cli.main import app

    truck = {"id": "truck", "count": 1, "capacity": 40, "depot": "D2", "fixed_cost": 10_000}
    path = tmp_path / "i.json"
    path.write_text(json.dumps({**FLEET, "fleet": [*FLEET["fleet"], truck]}))
    result = CliRunner().invoke(
        app, ["solve", str(path), "--solver", "pyvrp", "--time-limit", "0.2"]
    )
    assert result.exit_code == 0, result.output
    assert re.search(r"truck\s+0 / 1\s+-\s+0\s+0\n", result.output), result.output


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
