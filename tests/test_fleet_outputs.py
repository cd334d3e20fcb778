"""Fleets beyond the model: a vehicles CSV for ``vrp instance from-csv``, routes coloured by
vehicle type in plots and maps, the fleet cost in benchmark reports, and the engine-gap script.

The roads here are a stand-in (`StraightRoads`: great-circle metres at 10 m/s); the tests on
a real OSRM server are in tests/test_osrm.py.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cli.main import app
from vrp.errors import InputError
from vrp.formats.io import read_instance, write_instance
from vrp.model.evaluate import evaluate
from vrp.model.fleet import VehicleType
from vrp.model.solution import Route, Solution
from vrp.roads.city import instance_from_csv
from vrp.roads.matrix import Table
from vrpspec.distances import great_circle_matrix

ROOT = Path(__file__).resolve().parents[1]

STOPS_HEADER = ["id", "lon", "lat", "depot", "delivery", "vehicle_types"]
STOPS = [
    ["hub", 7.4275, 43.7392, 1, "", ""],
    ["north", 7.4322, 43.7463, 0, 4, "bike"],
    ["port", 7.4216, 43.7359, 0, 6, "van|bike"],
    ["rock", 7.4198, 43.7314, 0, 9, ""],
]
VEHICLES_HEADER = ["id", "count", "capacity", "depot", "shift_start", "shift_end",
                   "max_distance", "fixed_cost", "distance_cost", "duration_factor"]  # fmt: skip
VEHICLES = [
    ["van", 2, 30, "hub", 0, 28800, "", 50, 0.002, 1],
    ["bike", "", 8, "", "", "", 5000, 0, 0.0005, 1.6],
]


class StraightRoads:
    """A stand-in OSRM: great-circle metres, 10 m/s, every point on a road."""

    def table(self, coords):
        c = np.asarray(coords, float)
        d = great_circle_matrix(c)
        return Table(d, d / 10, c, np.zeros(len(c)))

    def route_geometry(self, coords):
        return np.asarray(coords, float)


def write_csv(path: Path, header: list, rows: list[list]) -> Path:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def from_csv(tmp_path: Path, stops=STOPS, vehicles=VEHICLES, vehicles_header=VEHICLES_HEADER):
    s = write_csv(tmp_path / "s.csv", STOPS_HEADER, stops)
    v = write_csv(tmp_path / "v.csv", vehicles_header, vehicles)
    return instance_from_csv(s, StraightRoads(), fleet=v)


# -- vrp instance from-csv --fleet FILE ---------------------------------------------------


def test_a_vehicles_csv_beside_the_stops_csv_gives_the_instance_its_fleet(tmp_path):
    inst = from_csv(tmp_path)
    assert inst.fleet == (
        VehicleType("van", 30, count=2, depot="hub", shift=(0, 28800), fixed_cost=50,
                    distance_cost=0.002),
        VehicleType("bike", 8, max_distance=5000, distance_cost=0.0005, duration_factor=1.6),
    )  # fmt: skip
    assert inst.vehicle_types == (None, ("bike",), ("van", "bike"), None)
    assert inst.variant.name == "hvrpltw"  # a shift is a time limit, a type's max_distance L
    again = read_instance(_written(inst, tmp_path / "i.json"))
    assert again.fleet == inst.fleet and again.vehicle_types == inst.vehicle_types
    # rule 9 in CSV units: 50 + 0.002 per metre for the van, 0.0005 per metre for the bike
    sol = Solution([Route(0, [3, 2], "van"), Route(0, [1], "bike")])
    ev = evaluate(inst, sol)
    assert ev.feasible, ev.violations
    d = inst.distances
    van, bike = d[0, 3] + d[3, 2] + d[2, 0], d[0, 1] + d[1, 0]
    assert ev.cost == pytest.approx(50 + 0.002 * van + 0.0005 * bike)


def _written(inst, path: Path) -> Path:
    write_instance(inst, path)
    return path


def _vehicles(**cells) -> list[list]:
    """VEHICLES with cells of its first row (the van, CSV line 2) replaced."""
    row = dict(zip(VEHICLES_HEADER, VEHICLES[0], strict=True)) | cells
    return [list(row.values()), VEHICLES[1]]


def _stops(line: int, types: str) -> list[list]:
    """STOPS with the vehicle_types cell of CSV line ``line`` replaced."""
    rows = [list(r) for r in STOPS]
    rows[line - 2][-1] = types
    return rows


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        # the vehicles CSV: each row checked, naming its line and column
        ({"vehicles": _vehicles(capacity=-2)},
         "v.csv: line 2, column capacity: must be a positive number, got -2.0"),
        ({"vehicles": _vehicles(capacity="")},
         "v.csv: line 2, column capacity: missing: every type needs a capacity"),
        ({"vehicles": _vehicles(count="two")},
         "v.csv: line 2, column count: must be a positive integer, got 'two'"),
        ({"vehicles": _vehicles(count=0)},
         "v.csv: line 2, column count: must be a positive integer or null, got 0"),
        ({"vehicles": _vehicles(shift_end="")},
         "v.csv: line 2, column shift_start, shift_end: give both, or neither"),
        ({"vehicles": _vehicles(shift_start=500, shift_end=480)},
         "v.csv: line 2, column shift_start, shift_end: start 500 > end 480"),
        ({"vehicles": _vehicles(distance_cost="cheap")},
         "v.csv: line 2, column distance_cost: must be a number, got 'cheap'"),
        ({"vehicles": _vehicles(duration_factor=0)},
         "v.csv: line 2, column duration_factor: must be a positive number, got 0.0"),
        ({"vehicles": _vehicles(id="bike")},
         "v.csv: line 3, column id: type id 'bike' is used twice (also line 2)"),
        ({"vehicles": _vehicles(id="a|b")},
         "v.csv: line 2, column id: must not contain '|', got 'a|b'"),
        # a depot the stops CSV does not have: the vehicles CSV is at fault
        ({"vehicles": _vehicles(depot="dock")},
         "v.csv: line 2, column depot: unknown depot 'dock'; the depots of s.csv are hub"),
        # the header: a misspelt column would silently take its default
        ({"vehicles_header": [*VEHICLES_HEADER[:-1], "speed_factor"]},
         "v.csv: header: unknown column 'speed_factor'; the columns are id, capacity"),
        ({"vehicles_header": ["id", "count", "cap", *VEHICLES_HEADER[3:]]},
         "v.csv: header: unknown column 'cap'"),
        # the stops CSV: types it names must be the vehicles CSV's, and only on customers
        ({"stops": _stops(3, "truck")},
         "s.csv: line 3, column vehicle_types: unknown vehicle type 'truck'; v.csv has van, bike"),
        ({"stops": _stops(4, "van||bike")},
         "s.csv: line 4, column vehicle_types: an empty type id in 'van||bike'"),
        ({"stops": _stops(2, "van")},
         "s.csv: line 2, column vehicle_types: is for customers only, not depots"),
    ],
)  # fmt: skip
def test_a_bad_vehicles_or_stops_csv_is_one_line_naming_file_line_and_column(
    tmp_path, kwargs, message
):
    with pytest.raises(InputError) as e:
        from_csv(tmp_path, **kwargs)
    text = str(e.value)
    assert "\n" not in text
    assert text.startswith(str(tmp_path / message.split(":")[0]))
    assert message in text.replace(str(tmp_path) + "/", "")


def test_stops_that_name_vehicle_types_need_a_vehicles_csv(tmp_path):
    s = write_csv(tmp_path / "s.csv", STOPS_HEADER, STOPS)
    with pytest.raises(InputError, match=r"s\.csv: line 3, column vehicle_types: names vehicle "
                       r"types, but no vehicles CSV was given \(--fleet FILE\)"):  # fmt: skip
        instance_from_csv(s, StraightRoads(), capacity=30)


def test_with_a_vehicles_csv_capacity_is_not_used(tmp_path):
    s = write_csv(tmp_path / "s.csv", STOPS_HEADER, STOPS)
    v = write_csv(tmp_path / "v.csv", VEHICLES_HEADER, VEHICLES)
    with pytest.raises(InputError, match="--capacity: is not used with a vehicles CSV"):
        instance_from_csv(s, StraightRoads(), capacity=30, fleet=v)


def test_without_a_vehicles_csv_an_empty_vehicle_types_column_changes_nothing(tmp_path):
    rows = [r[:-1] + [""] for r in STOPS]
    s = write_csv(tmp_path / "s.csv", STOPS_HEADER, rows)
    plain = write_csv(tmp_path / "p.csv", STOPS_HEADER[:-1], [r[:-1] for r in STOPS])
    a = instance_from_csv(s, StraightRoads(), capacity=30)
    b = instance_from_csv(plain, StraightRoads(), capacity=30)
    assert a.fleet == () and a.vehicle_types == ()
    assert json.dumps(_dict(a)) == json.dumps(_dict(b)).replace('"p"', '"s"')


def _dict(inst):
    from vrp.formats.io import instance_to_dict

    return instance_to_dict(inst)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--fleet", "trucks.csv"], "trucks.csv: --fleet: no such file"),
        (["--fleet", "{v}", "--vehicles", "3"], "--vehicles: --fleet gives each type's count"),
    ],
)
def test_a_fleet_file_that_is_missing_or_comes_with_vehicles_is_one_line(tmp_path, extra, message):
    s = write_csv(tmp_path / "s.csv", STOPS_HEADER[:-1], [r[:-1] for r in STOPS])
    v = write_csv(tmp_path / "v.csv", VEHICLES_HEADER, VEHICLES)
    args = ["instance", "from-csv", str(s), "--out", str(tmp_path / "i.json"),
            *(x.format(v=v) for x in extra), "--osrm", "http://127.0.0.1:9"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert result.output.strip().count("\n") == 0
    assert message in result.output


def test_vrp_solve_gives_a_road_fleets_cost_as_a_fleet_cost_not_in_metres(tmp_path):
    pytest.importorskip("pyvrp")
    path = _written(from_csv(tmp_path), tmp_path / "i.json")
    result = CliRunner().invoke(app, ["solve", str(path), "--solver", "pyvrp", "-t", "0.2"])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("cost "))
    assert re.fullmatch(r"cost      [\d.]+ \(fleet cost; [\d,]+ m driven\)", line), line


# -- plots and maps: routes coloured by vehicle type -----------------------------------------


def _plotted_lines(monkeypatch, inst, sol, tmp_path) -> list[tuple[str, str | None]]:
    """(colour, label) of every route line `plot_routes` draws."""
    pytest.importorskip("matplotlib")
    from matplotlib.axes import Axes

    from vrp.draw.plot import plot_routes

    drawn: list[tuple[str, str | None]] = []
    real = Axes.plot

    def spy(self, *args, **kwargs):
        colour = kwargs.get("color")
        drawn.append((colour if isinstance(colour, str) else tuple(colour), kwargs.get("label")))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Axes, "plot", spy)
    plot_routes(inst, sol, tmp_path / "p.png")
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"
    return drawn


def test_the_plot_colours_each_route_by_its_vehicle_type_with_one_legend_entry_per_type(
    tmp_path, monkeypatch
):
    from vrp.draw.plot import TYPE_COLOURS

    inst = from_csv(tmp_path)
    sol = Solution([Route(0, [3], "van"), Route(0, [1], "bike"), Route(0, [2], "bike")])
    van, bike = TYPE_COLOURS[0], TYPE_COLOURS[1]
    assert _plotted_lines(monkeypatch, inst, sol, tmp_path) == [
        (van, "van: 1 route"),
        (bike, "bike: 2 routes"),
        (bike, None),
    ]


def test_without_a_fleet_the_plot_still_gives_each_route_its_own_colour(tmp_path, monkeypatch):
    import matplotlib.pyplot as plt

    from vrp.model.generate import generate

    inst = generate("cvrp", 6, seed=0)
    sol = Solution.from_lists([[1, 2], [3, 4], [5, 6]])
    tab20 = plt.get_cmap("tab20")
    assert _plotted_lines(monkeypatch, inst, sol, tmp_path) == [
        (tuple(tab20(k)), None) for k in range(3)
    ]


def test_the_map_colours_routes_by_vehicle_type_names_them_and_shows_the_fleet_cost(tmp_path):
    pytest.importorskip("folium")
    from vrp.draw.maps import COLOURS, route_map_html
    from vrp.draw.plot import TYPE_COLOURS

    inst = from_csv(tmp_path)
    sol = Solution([Route(0, [3, 2], "van"), Route(0, [1], "bike")])
    page = route_map_html(inst, sol, StraightRoads())
    assert page.count(f'"color": "{TYPE_COLOURS[0]}"') == 3  # the van's line and two stops
    assert page.count(f'"color": "{TYPE_COLOURS[1]}"') == 2
    assert f'"color": "{COLOURS[0]}"' not in page
    assert "<b>vehicle types</b>" in page and "van: 1 route" in page and "bike: 1 route" in page
    assert f"fleet cost {evaluate(inst, sol).cost:.6g}" in page
    assert "route 1 (van): 2 customers" in page


def test_without_a_fleet_the_map_has_no_type_legend_and_its_cost_in_km(tmp_path):
    pytest.importorskip("folium")
    from vrp.draw.maps import COLOURS, route_map_html

    s = write_csv(tmp_path / "s.csv", STOPS_HEADER[:-1], [r[:-1] for r in STOPS])
    inst = instance_from_csv(s, StraightRoads(), capacity=30)
    sol = Solution.from_lists([[3, 2], [1]])
    page = route_map_html(inst, sol, StraightRoads())
    assert page.count(f'"color": "{COLOURS[0]}"') == 3
    assert page.count(f'"color": "{COLOURS[1]}"') == 2
    assert "vehicle types" not in page and "fleet cost" not in page
    assert f"2 routes, {evaluate(inst, sol).cost / 1000:.2f} km" in page


# -- vrp benchmark: the fleet cost -----------------------------------------------------------


def test_a_benchmark_of_fleet_instances_reports_evaluates_fleet_cost_and_says_so(tmp_path):
    pytest.importorskip("pyvrp")
    from vrp.benchmark.runner import read_records
    from vrp.formats.io import read_solution
    from vrp.model.generate import generate_many

    out = tmp_path / "res"
    result = CliRunner().invoke(
        app,
        ["benchmark", "--generate", "hcvrp:8:1", "--solvers", "pyvrp", "--time-limit", "0.2",
         "--out", str(out), "--no-plot"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with open(out / "runs.csv") as fh:
        (row,) = list(csv.DictReader(fh))
    inst = generate_many("hcvrp", 8, 1)[0]
    (record,) = read_records(out)
    ev = evaluate(inst, read_solution(record["solution"]))
    assert row["status"] == "ok" and float(row["cost"]) == pytest.approx(ev.cost)
    fixed = sum(inst.fleet[st.vehicle].fixed_cost for st in ev.routes)
    assert fixed > 0 and ev.cost != pytest.approx(ev.distance)
    note = "On fleet variants (h), cost is the fleet cost that evaluate() gives"
    assert note in (out / "summary.md").read_text()
    assert note in result.stdout


def test_the_fleet_cost_note_appears_only_with_fleet_variants():
    from vrp.benchmark.report import FLEET_NOTE, fleet_note

    assert fleet_note([{"variant": "cvrp"}, {"variant": "all"}, {"variant": "?"}]) is None
    assert fleet_note([{"variant": "cvrp"}, {"variant": "mdhvrptw"}]) == FLEET_NOTE


# -- scripts/fleet_engine_gaps.py ------------------------------------------------------------


def _script():
    spec = importlib.util.spec_from_file_location("gaps", ROOT / "scripts/fleet_engine_gaps.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_each_engines_gap_is_to_the_better_of_the_two_and_a_failed_run_has_none():
    rows = [
        {"instance": "a", "solver": "pyvrp", "status": "ok", "cost": "100"},
        {"instance": "a", "solver": "ortools", "status": "ok", "cost": "110"},
        {"instance": "b", "solver": "pyvrp", "status": "ok", "cost": "50"},
        {"instance": "b", "solver": "ortools", "status": "infeasible", "cost": "40"},
    ]
    assert _script().gaps(rows) == {
        ("a", "pyvrp"): 0.0,
        ("a", "ortools"): pytest.approx(0.1),
        ("b", "pyvrp"): 0.0,
        ("b", "ortools"): None,
    }


def test_the_engine_gap_script_writes_its_table_and_raw_runs_and_resumes(tmp_path):
    pytest.importorskip("pyvrp")
    pytest.importorskip("ortools")
    out = tmp_path / "gaps"
    args = [sys.executable, str(ROOT / "scripts/fleet_engine_gaps.py"), "--variants", "hcvrp",
            "--n", "6", "--count", "1", "--time-limit", "0.2", "--out", str(out)]  # fmt: skip
    subprocess.run(args, check=True, capture_output=True, cwd=ROOT, timeout=120)
    with open(out.with_suffix(".csv")) as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["instance"], r["solver"], r["status"]) for r in rows] == [
        ("hcvrp-n6-s0-000", "pyvrp", "ok"),
        ("hcvrp-n6-s0-000", "ortools", "ok"),
    ]
    md = out.with_suffix(".md").read_text()
    assert "| variant | instances | pyvrp mean gap |" in md
    assert "| hcvrp | 1 |" in md and "| all |" not in md  # one variant: no "all" line
    again = subprocess.run(args, check=True, capture_output=True, text=True, cwd=ROOT,
                           timeout=120)  # fmt: skip
    assert "hcvrp-n6-s0-000" not in again.stderr  # nothing solved again
    assert out.with_suffix(".csv").read_text().count("\n") == 3
