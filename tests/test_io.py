"""The FORMAT.md JSON: round trips, defaults, and one clear error for every bad input."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from editing import edited_copy

from vrp.errors import InputError
from vrp.formats.io import (
    atomic_write,
    instance_from_dict,
    instance_to_dict,
    read_instance,
    read_solution,
    write_instance,
    write_solution,
)
from vrp.model.evaluate import evaluate
from vrp.model.solution import Solution

GOOD = {
    "format": "vrp-instance/1",
    "name": "demo-vrptw",
    "coordinates": "euclidean",
    "depots": [{"id": "D", "location": [0.5, 0.5], "time_window": [0, 4.6]}],
    "customers": [
        {
            "id": "c1",
            "location": [0.12, 0.80],
            "delivery": 3,
            "pickup": 0,
            "time_window": [0.4, 1.9],
            "service_time": 0.2,
        },
        {"id": "c2", "location": [0.9, 0.1], "delivery": 0, "pickup": 4},
        {"id": "c3", "location": [0.7, 0.7], "delivery": 2},
    ],
    "vehicles": {"capacity": 50, "count": None, "max_distance": None, "open": False, "speed": 1.0},
    "backhaul": "classic",
    "distance_matrix": None,
    "duration_matrix": None,
}


def edited(path: str, value, *, delete: bool = False) -> dict:
    """A copy of GOOD with the field at ``path`` (dots and [i]) set to ``value`` or deleted."""
    return edited_copy(GOOD, path, value, delete=delete)


def test_a_good_instance_loads_with_its_defaults(tmp_path: Path):
    p = tmp_path / "a.json"
    p.write_text(json.dumps(GOOD))
    inst = read_instance(p)
    assert inst.name == "demo-vrptw"
    assert inst.ids == ("D", "c1", "c2", "c3")
    assert inst.variant.name == "vrpbtw"
    assert inst.service_time.tolist() == [0, 0.2, 0, 0]
    assert math.isinf(inst.tw_late[2]) and inst.tw_late[1] == 1.9
    assert inst.delivery.tolist() == [0, 3, 0, 2]


def test_minimal_instance_takes_every_default():
    inst = instance_from_dict(
        {
            "depots": [{"location": [0, 0]}],
            "customers": [{"location": [3, 4]}],
            "vehicles": {"capacity": 1},
        }
    )
    assert inst.ids == ("D1", "1")
    assert inst.variant.name == "cvrp"
    assert inst.distances[0, 1] == 5.0 and inst.durations[1, 0] == 5.0
    assert not inst.open and inst.vehicle_count is None and inst.backhaul == "classic"


def test_instance_json_round_trips(tmp_path: Path):
    inst = instance_from_dict(GOOD)
    write_instance(inst, tmp_path / "b.json")
    again = read_instance(tmp_path / "b.json")
    assert instance_to_dict(again) == instance_to_dict(inst)
    for name in ("delivery", "pickup", "service_time", "tw_early", "tw_late", "distances"):
        a, b = getattr(inst, name), getattr(again, name)
        assert np.array_equal(np.nan_to_num(a, posinf=9e99), np.nan_to_num(b, posinf=9e99)), name


def test_matrix_instance_round_trips_without_locations(tmp_path: Path):
    data = {
        "depots": [{}],
        "customers": [{"delivery": 1}, {"delivery": 2}],
        "vehicles": {"capacity": 5, "open": True, "count": 2, "max_distance": 30},
        "distance_matrix": [[0, 4, 9], [5, 0, 2.5], [7, 3, 0]],
        "duration_matrix": [[0, 1, 2], [1, 0, 1], [2, 1, 0]],
        "backhaul": "mixed",
    }
    inst = instance_from_dict(data)
    assert inst.locations is None
    assert inst.variant.name == "ovrpl"
    write_instance(inst, tmp_path / "m.json")
    again = read_instance(tmp_path / "m.json")
    assert np.array_equal(again.distances, inst.distances)
    assert np.array_equal(again.durations, inst.durations)
    assert again.vehicle_count == 2 and again.open and again.max_distance == 30


def test_a_matrix_is_written_a_row_per_line_and_reads_back_exactly(tmp_path: Path):
    rng = np.random.default_rng(3)
    n = 30
    dist = np.round(rng.uniform(0, 5e4, (n, n)), 1)
    dur = rng.uniform(0, 1e4, (n, n))  # full-precision floats must survive the text
    np.fill_diagonal(dist, 0)
    np.fill_diagonal(dur, 0)
    data = {
        "depots": [{}],
        "customers": [{"delivery": 1} for _ in range(n - 1)],
        "vehicles": {"capacity": 5},
        "distance_matrix": dist.tolist(),
        "duration_matrix": dur.tolist(),
    }
    write_instance(instance_from_dict(data), tmp_path / "m.json")
    lines = (tmp_path / "m.json").read_text().splitlines()
    start = lines.index(' "distance_matrix": [')
    rows = lines[start + 1 : start + 1 + n]
    assert all(row.strip().rstrip(",").count(", ") == n - 1 for row in rows)
    again = read_instance(tmp_path / "m.json")
    assert np.array_equal(again.distance_matrix, dist)
    assert np.array_equal(again.duration_matrix, dur)


def test_lonlat_instances_use_great_circle_metres():
    data = {
        "coordinates": "lonlat",
        "depots": [{"location": [7.42, 43.73]}],
        "customers": [{"location": [7.43, 43.74]}],
        "vehicles": {"capacity": 1},
    }
    d = instance_from_dict(data).distances[0, 1]
    assert 1300 < d < 1400  # about 1.36 km in Monaco


def test_solution_json_round_trips_with_recomputed_cost(tmp_path: Path):
    inst = instance_from_dict(GOOD)
    sol = Solution.from_lists([[1, 3, 2]])
    write_solution(inst, sol, tmp_path / "s.json", solver="hand", runtime_s=0.5)
    data = json.loads((tmp_path / "s.json").read_text())
    assert data["format"] == "vrp-solution/1"
    assert data["cost"] == pytest.approx(evaluate(inst, sol).cost, abs=1e-6)
    assert data["feasible"] is True and "violations" not in data
    assert read_solution(tmp_path / "s.json") == sol


def test_an_infeasible_solution_is_written_with_its_violations(tmp_path: Path):
    inst = instance_from_dict(GOOD)
    sol = Solution.from_lists([[2, 1, 3]])  # pickup before deliveries
    write_solution(inst, sol, tmp_path / "s.json")
    data = json.loads((tmp_path / "s.json").read_text())
    assert data["feasible"] is False
    assert data["violations"][0]["rule"] == "backhaul-order"


def test_an_interrupted_write_leaves_the_old_file_whole(tmp_path: Path):
    target = tmp_path / "keep.json"
    target.write_text('{"old": true}')
    with pytest.raises(RuntimeError), atomic_write(target) as fh:
        fh.write('{"new": ')
        raise RuntimeError("interrupted")
    assert json.loads(target.read_text()) == {"old": True}
    assert [p.name for p in tmp_path.iterdir()] == ["keep.json"]


BAD_INSTANCES = [
    # (data, expected message fragment) -- one row per kind of bad input
    (edited("vehicles.capacity", None, delete=True), "vehicles.capacity: missing required field"),
    (edited("depots", None, delete=True), "depots: missing required field"),
    (edited("customers", []), "customers: must be a non-empty list"),
    (edited("customers[0].location", None, delete=True), "customers[0].location: missing"),
    (edited("customers[1].delivery", "3"), 'customers[1].delivery: must be a number, got "3"'),
    (edited("vehicles.open", "yes"), "vehicles.open: must be true or false"),
    (edited("vehicles.count", 2.5), "vehicles.count: must be an integer or null"),
    (edited("customers[2].delivery", -1), "customers[2].delivery: must be a finite number >= 0"),
    (edited("customers[1].pickup", -4), "customers[1].pickup: must be a finite number >= 0"),
    (edited("customers[0].time_window", [1.9, 0.4]), "customers[0].time_window: earliest > latest"),
    (edited("customers[0].time_window", [1]), "customers[0].time_window: must be a list of two"),
    (edited("distance_matrix", [[0, 1], [1, 0]]), "distance_matrix: has shape 2x2, expected 4x4"),
    (edited("duration_matrix", [[0] * 4] * 3), "duration_matrix: has shape 3x4, expected 4x4"),
    (
        edited("distance_matrix", [[0, 1, 1, 1], [1, 0, "1", 1], [1, 1, 0, 1], [1, 1, 1, 0]]),
        "distance_matrix: must contain numbers only",
    ),
    (
        edited("duration_matrix", [[0, 1, 1, 1], [1, 0, True, 1], [1, 1, 0, 1], [1, 1, 1, 0]]),
        "duration_matrix: must contain numbers only",
    ),
    (
        edited("customers[0].location", [0.1, float("nan")]),
        "customers[0].location: must be two finite",
    ),
    (edited("vehicles.capacity", float("nan")), "vehicles.capacity: must be a finite number"),
    (
        edited("customers[0].service_time", float("inf")),
        "customers[0].service_time: must be a finite",
    ),
    (edited("backhaul", "sometimes"), "backhaul: unknown backhaul mode 'sometimes'"),
    (
        edited("customers[0].delivery", 51),
        "customers[0].delivery: delivery 51 exceeds vehicles.capacity 50",
    ),
    (
        edited("customers[1].pickup", 99),
        "customers[1].pickup: pickup 99 exceeds vehicles.capacity 50",
    ),
    (edited("vehicles.capacity", 0), "vehicles.capacity: must be a positive number"),
    (edited("vehicles.max_distance", -3), "vehicles.max_distance: must be a positive number"),
    (edited("vehicles.speed", 0), "vehicles.speed: must be a positive number"),
    (edited("customers[1].id", "D"), "id: id 'D' is used twice"),
    (edited("format", "vrp-instance/9"), "format: expected 'vrp-instance/1'"),
    (edited("coordinates", "polar"), "coordinates: unknown value 'polar'"),
    (
        edited("customers[1].delivery", 2),
        "customers[1]: a customer has both a delivery and a pickup",
    ),
    (edited("depots[0].delivery", 2), "depots[0].delivery: must be 0 on a depot"),
    (
        edited("distance_matrix", [[0, 1, 1, 1], [1, 0, 1, 1], [1, 1, 0, -1], [1, 1, 1, 0]]),
        "distance_matrix: [2][3] must be a finite number >= 0",
    ),
    ([1, 2, 3], "the top level must be a JSON object"),
]


@pytest.mark.parametrize(("data", "message"), BAD_INSTANCES)
def test_a_bad_instance_gives_one_clear_error_naming_file_and_field(tmp_path, data, message):
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(data))
    with pytest.raises(InputError) as err:
        read_instance(p)
    text = str(err.value)
    assert text.startswith(f"{p}: ")
    assert message in text
    assert "\n" not in text


def test_an_unreadable_file_gives_one_clear_error(tmp_path: Path):
    with pytest.raises(InputError, match=r"nope\.json: no such file"):
        read_instance(tmp_path / "nope.json")
    p = tmp_path / "broken.json"
    p.write_text('{"depots": [')
    with pytest.raises(InputError, match=r"broken\.json: not valid JSON \(line 1"):
        read_instance(p)
    p = tmp_path / "binary.json"
    p.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputError, match=r"binary\.json: cannot read file"):
        read_instance(p)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"routes": "x"}, "routes: missing required list"),
        ({"routes": [{"depot": 0, "customers": [1, "2"]}]}, "routes[0].customers: must be a list"),
        ({"routes": [{"depot": True, "customers": [1]}]}, "routes[0].depot: must be a node index"),
        ({"format": "vrp-instance/1", "routes": []}, "format: expected 'vrp-solution/1'"),
    ],
)
def test_a_bad_solution_file_gives_one_clear_error(tmp_path, data, message):
    p = tmp_path / "sol.json"
    p.write_text(json.dumps(data))
    with pytest.raises(InputError) as err:
        read_solution(p)
    assert str(err.value).startswith(f"{p}: ") and message in str(err.value)


def test_written_files_get_the_usual_permissions(tmp_path: Path):
    import os

    umask = os.umask(0o022)
    try:
        write_instance(instance_from_dict(GOOD), tmp_path / "p.json")
    finally:
        os.umask(umask)
    assert (tmp_path / "p.json").stat().st_mode & 0o777 == 0o644


# -- strict fields ---------------------------------------------------------------------------


def _with(path: str, value) -> dict:
    """A copy of GOOD with the field at ``path`` added (its parent must exist)."""
    return edited(path, value)


UNKNOWN_FIELDS = [
    # (data, expected message) -- one row per level of the file
    # VRPLIB's and OR-Tools' name for a delivery: every delivery was read as 0
    (_with("customers[0].demand", 3), "unknown field customers[0].demand: did you mean delivery?"),
    # a plural that dropped the window
    (
        _with("customers[1].time_windows", [0, 1]),
        "unknown field customers[1].time_windows: did you mean time_window?",
    ),
    # a typo that dropped the distance limit
    (
        _with("vehicles.max_distanse", 3),
        "unknown field vehicles.max_distanse: did you mean max_distance?",
    ),
    # a typo at the top level
    (_with("backhual", "mixed"), "unknown field backhual: did you mean backhaul?"),
    # a depot field with no near name: the known ones are listed
    (_with("depots[0].colour", "red"), "unknown field depots[0].colour: known are id, location"),
]


@pytest.mark.parametrize(("data", "message"), UNKNOWN_FIELDS)
def test_an_unknown_field_is_an_error_naming_it_and_the_nearest_known_name(
    tmp_path: Path, data, message
):
    p = tmp_path / "typo.json"
    p.write_text(json.dumps(data))
    with pytest.raises(InputError) as err:
        read_instance(p)
    assert str(err.value).startswith(f"{p}: {message}") and "\n" not in str(err.value)


def test_free_form_data_under_meta_is_accepted_at_the_top_and_on_nodes():
    data = _with("meta", {"source": "depot survey", "tags": [1, None]})
    data["customers"][0]["meta"] = "door code 1234"
    data["depots"][0]["meta"] = {"dock": 3}
    assert instance_from_dict(data).delivery.tolist() == instance_from_dict(GOOD).delivery.tolist()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        # vehicle types named without a fleet (tests/test_fleet.py has the fleet itself)
        (_with("customers[0].vehicle_types", ["van"]), "customers[0].vehicle_types: names"),
        # a fleet that is not a list
        (_with("fleet", {"id": "van", "capacity": 30}), "fleet: must be a non-empty list"),
    ],
)
def test_vehicle_types_without_a_fleet_are_one_line(data, message):
    with pytest.raises(InputError, match=re.escape(message)):
        instance_from_dict(data)


PROVENANCE = {
    "format": "vrp-solution/1",
    "instance": "demo-vrptw",
    "solver": "pyvrp",
    "solver_version": "0.14.1",
    "vrp_version": "0.1.0",
    "seed": 0,
    "time_limit": 2.0,
    "variant": "vrpbtw",
    "checkpoint": None,
    "interrupted": False,
    "runtime_s": 1.9,
    "cost": 3.2,
    "feasible": True,
    "violations": [],
    "meta": {"run": "nightly"},
    "routes": [{"depot": 0, "customers": [1, 3, 2]}],
}


def test_a_solution_with_every_provenance_field_reads(tmp_path: Path):
    p = tmp_path / "s.json"
    p.write_text(json.dumps(PROVENANCE))
    assert read_solution(p) == Solution.from_lists([[1, 3, 2]])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        # a typo of a provenance field
        ({**PROVENANCE, "sead": 1}, "unknown field sead: did you mean seed?"),
        # a typo in a route
        (
            {"routes": [{"depot": 0, "customer": [1]}]},
            "unknown field routes[0].customer: did you mean customers?",
        ),
        # a provenance field of the wrong type
        ({**PROVENANCE, "seed": "zero"}, 'seed: must be an integer or null, got "zero"'),
        # a route's vehicle type that is not a type id
        ({"routes": [{"customers": [1], "vehicle": 3}]}, "routes[0].vehicle: must be"),
    ],
)
def test_a_solution_with_an_unknown_or_mistyped_field_is_one_line(tmp_path: Path, data, message):
    p = tmp_path / "s.json"
    p.write_text(json.dumps(data))
    with pytest.raises(InputError) as err:
        read_solution(p)
    assert str(err.value).startswith(f"{p}: {message}")


# -- matrix entries ----------------------------------------------------------------------------


def test_a_tiny_negative_matrix_entry_is_read_as_zero():
    # OSRM: -0.7 m on a table whose largest entry is 1000 m (0.07 %).
    dist = [[0, 1000, -0.7, 5], [1000, 0, 3, 4], [-0.1, 3, 0, 2], [5, 4, 2, 0]]
    inst = instance_from_dict(_with("distance_matrix", dist))
    assert inst.distances[0, 2] == 0 and inst.distances[2, 0] == 0
    assert inst.distances[0, 1] == 1000 and (inst.distances >= 0).all()


@pytest.mark.parametrize(
    "entry",
    [
        -1.01,  # just over 0.1 % of the largest entry (1000)
        -50,  # a plainly wrong entry
    ],
)
def test_a_negative_matrix_entry_beyond_the_tolerance_is_an_error(entry: float):
    dist = [[0, 1000, entry, 5], [1000, 0, 3, 4], [1, 3, 0, 2], [5, 4, 2, 0]]
    with pytest.raises(
        InputError, match=r"distance_matrix: \[0\]\[2\] must be a finite number >= 0"
    ):
        instance_from_dict(_with("duration_matrix", None) | {"distance_matrix": dist})
