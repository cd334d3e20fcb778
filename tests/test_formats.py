"""Benchmark import (vrp.formats.vrplib, `vrp convert`): each .sol scores its published cost."""

from __future__ import annotations

import csv
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from needs import BENCHMARKS
from typer.testing import CliRunner

from cli.main import app
from vrp.errors import InputError
from vrp.formats.io import read_instance, read_solution
from vrp.formats.vrplib import read_external, read_external_solution
from vrp.model.evaluate import evaluate
from vrp.model.solution import Solution

INSTANCE_SUFFIXES = (".vrp", ".vrpb", ".vrpmpd", ".txt")
# Without the folder these tests skip (named in the summary); under CI the run stops first
# (tests/conftest.py).
NO_BENCHMARKS = f"benchmark folder {BENCHMARKS} is absent (CI puts ../shared beside the clone)"

# .sol files per set that vrp imports, as README.md lists them.
SOL_FILES = {
    "cvrplib-x": 67,
    "augerat": 68,
    "cmt": 13,
    "solomon": 56,
    "vrpb/gj": 59,
    "vrpb/tv": 33,
    "vrpb/x": 90,
    "vrpmb": 37,
    "mdvrptw": 21,
}
# .sol files of the fleet sets, whose costs are checked relatively (tests/test_formats.py's
# `test_every_hfvrp_sol_...`): some state them in units 10^5 times ours.
FLEET_SOL_FILES = {"hfvrp": 67}


def _sol_files(sets: dict[str, int] = SOL_FILES) -> list:
    if not BENCHMARKS.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=NO_BENCHMARKS))]
    return [
        pytest.param(p, id=str(p.relative_to(BENCHMARKS)))
        for s in sets
        for p in sorted((BENCHMARKS / s).glob("*.sol"))
    ]


def _instance_of(sol: Path) -> Path:
    for suffix in INSTANCE_SUFFIXES:
        path = sol.with_suffix(suffix)
        if path.exists():
            return path
    raise AssertionError(f"no instance file beside {sol}")


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# -- every published solution ---------------------------------------------------------------


@pytest.mark.parametrize("sol", _sol_files())
def test_every_sol_file_evaluates_feasible_to_its_published_cost(sol: Path):
    inst = read_external(_instance_of(sol))
    published = read_external_solution(sol, instance=_instance_of(sol))
    ev = evaluate(inst, published.solution)
    assert ev.feasible, [str(v) for v in ev.violations[:3]]
    assert published.cost is not None
    assert ev.cost == pytest.approx(published.cost, abs=0.01)


@pytest.mark.parametrize("sol", _sol_files(FLEET_SOL_FILES))
def test_every_hfvrp_sol_evaluates_feasible_at_its_stated_cost(sol: Path):
    # The stated cost in our units: fixed and unit costs / 100 over unrounded distances; 26
    # files state it in PyVRP's exact units (10^5 x, each arc rounded), read back / 10^5.
    inst = read_external(_instance_of(sol))
    published = read_external_solution(sol, instance=_instance_of(sol))
    assert inst.variant.fleet and all(r.vehicle is not None for r in published.solution.routes)
    ev = evaluate(inst, published.solution)
    assert ev.feasible, [str(v) for v in ev.violations[:3]]
    assert published.cost is not None
    assert ev.cost == pytest.approx(published.cost, rel=1e-6)


@pytest.mark.skipif(not BENCHMARKS.is_dir(), reason=NO_BENCHMARKS)
def test_the_benchmark_folder_holds_the_documented_sol_files():
    sets = {**SOL_FILES, **FLEET_SOL_FILES}
    found = {s: len(list((BENCHMARKS / s).glob("*.sol"))) for s in sets}
    assert found == sets
    others = {p.parent.relative_to(BENCHMARKS).parts[0] for p in BENCHMARKS.rglob("*.sol")}
    assert others - {s.split("/")[0] for s in sets} == set()  # every set is imported


def _bks_rows() -> list[tuple[Path, float, float]]:
    """(sol file, BKS, tolerance) for every .sol with a row in its set's bks.csv."""
    sets = [
        # (bks.csv, column with the BKS, tolerance, how a row names its .sol)
        ("cvrplib-x", "bks", 0.01, lambda r: r["instance"]),
        ("augerat", "bks", 0.01, lambda r: r["instance"]),
        ("cmt", "bks", 0.01, lambda r: r["instance"]),  # CMT11: 1042.12 (the .sol is 1042.12)
        ("solomon", "bks_distance_only", 0.01, lambda r: r["instance"]),  # .sol = distance-only
        ("vrpmb", "bks", 0.01, lambda r: r["instance"]),
        ("mdvrptw", "bks", 0, lambda r: r["instance"]),  # integers, PyVRP's units
        # gj: the literature table (values ~10^5) differs from the re-evaluated LKH-3 tours by
        # up to 0.014 (L1, N5); tv and x agree to 0.01.
        ("vrpb", "bks", 0.02, lambda r: str(Path(r["file"]).with_suffix(""))),
    ]
    rows = []
    for folder, column, tol, stem in sets:
        with open(BENCHMARKS / folder / "bks.csv", newline="") as fh:
            for row in csv.DictReader(fh):
                sol = BENCHMARKS / folder / f"{stem(row)}.sol"
                if sol.exists():
                    rows.append((sol, float(row[column]), tol))
    return rows


@pytest.mark.skipif(not BENCHMARKS.is_dir(), reason=NO_BENCHMARKS)
def test_every_sol_file_states_the_bks_of_its_set_table():
    rows = _bks_rows()
    assert len(rows) == sum(SOL_FILES.values())  # every .sol has a row
    off = [
        (str(sol.relative_to(BENCHMARKS)), cost, bks)
        for sol, bks, tol in rows
        if abs((cost := read_external_solution(sol).cost) - bks) > tol  # type: ignore[operator]
    ]
    assert off == []


# -- conventions, on small hand-made files --------------------------------------------------

EUC_2D = """NAME : {name}
TYPE : CVRP
DIMENSION : 3
EDGE_WEIGHT_TYPE : {kind}
CAPACITY : 10
NODE_COORD_SECTION
1 0 0
2 2 2
3 3 0
DEMAND_SECTION
1 0
2 4
3 5
DEPOT_SECTION
1
-1
EOF
"""


def test_an_hfvrp_file_groups_its_vehicles_into_types_with_costs_over_100(tmp_path: Path):
    text = (
        EUC_2D.format(kind="EUC_2D", name="tiny-hd")
        .replace("TYPE : CVRP", "TYPE : HFVRP")
        .replace("CAPACITY : 10", "VEHICLES : 3")
        .replace(
            "DEPOT_SECTION",
            "CAPACITY_SECTION\n1 10\n2 10\n3 20\nVEHICLES_FIXED_COST_SECTION\n1 500\n2 500\n"
            "3 900\nVEHICLES_UNIT_DISTANCE_COST_SECTION\n1 100\n2 100\n3 150\nDEPOT_SECTION",
        )
    )
    inst = read_external(_write(tmp_path, "tiny-hd.vrp", text))
    assert [(t.id, t.count, t.capacity, t.fixed_cost, t.distance_cost) for t in inst.fleet] == [
        ("t1", 2, 10, 5.0, 1.0),
        ("t2", 1, 20, 9.0, 1.5),
    ]
    # unrounded Euclidean although the file says EUC_2D: sqrt(8), not 3
    assert inst.distances[0, 1] == pytest.approx(8**0.5)
    assert inst.variant.name == "hcvrp"
    sol = _write(tmp_path, "tiny-hd.sol", "Route #1: 1\nRoute #2:\nRoute #3: 2\nCost 0\n")
    published = read_external_solution(sol, instance=tmp_path / "tiny-hd.vrp")
    assert [r.vehicle for r in published.solution.routes] == ["t1", "t2"]


def test_euc_2d_rounds_each_arc_to_the_nearest_integer(tmp_path: Path):
    inst = read_external(_write(tmp_path, "tiny.vrp", EUC_2D.format(kind="EUC_2D", name="tiny")))
    # sqrt(8) = 2.83 -> 3 (up), sqrt(5) = 2.24 -> 2 (down), 3 stays 3.
    assert inst.distances.tolist() == [[0, 3, 3], [3, 0, 2], [3, 2, 0]]
    assert inst.vehicle_count is None and inst.variant.name == "cvrp"
    assert inst.delivery.tolist() == [0, 4, 5]


@pytest.mark.parametrize(
    ("name", "count"), [("B-n51-k7", 7), ("P-n22-k8", 8), ("X-n101-k25", None)]
)
def test_the_k_of_an_augerat_name_limits_the_fleet_and_that_of_an_x_name_does_not(
    tmp_path: Path, name: str, count: int | None
):
    text = EUC_2D.format(kind="EUC_2D", name=name)
    assert read_external(_write(tmp_path, f"{name}.vrp", text)).vehicle_count == count


def test_exact_2d_and_cmt_files_use_unrounded_unscaled_euclidean(tmp_path: Path):
    exact = read_external(_write(tmp_path, "tiny.vrp", EUC_2D.format(kind="EXACT_2D", name="tiny")))
    cmt = read_external(_write(tmp_path, "c.vrp", EUC_2D.format(kind="EUC_2D", name="CMT99")))
    for inst in (exact, cmt):
        assert inst.distance_matrix is None
        assert inst.distances[0, 1] == pytest.approx(math.sqrt(8))
        assert inst.distances[1, 2] == pytest.approx(math.sqrt(5))


LKH_VRPB = """NAME : tinyb
TYPE : VRPB
DIMENSION : 5
VEHICLES : 2
CAPACITY : 10
EDGE_WEIGHT_TYPE : EXACT_2D
NODE_COORD_SECTION
1 0 0
2 1 0
3 2 0
4 0 1
5 0 2
DEMAND_SECTION
1 0
2 3
3 4
4 5
5 6
BACKHAUL_SECTION
3 4
5 -1
DEPOT_SECTION
1
-1
EOF
"""


def test_backhaul_section_lists_node_ids_over_several_lines(tmp_path: Path):
    # vrplib reads this section as rows with an index column (dropping 3 and 5).
    inst = read_external(_write(tmp_path, "tinyb.vrpb", LKH_VRPB))
    assert inst.delivery.tolist() == [0, 3, 0, 0, 0]
    assert inst.pickup.tolist() == [0, 0, 4, 5, 6]
    assert inst.backhaul == "classic" and inst.vehicle_count == 2
    assert inst.variant.name == "vrpb"


def test_a_pyvrp_backhaul_section_gives_a_pickup_per_node(tmp_path: Path):
    text = LKH_VRPB.replace(
        "BACKHAUL_SECTION\n3 4\n5 -1\n", "BACKHAUL_SECTION\n1 0\n2 0\n3 0\n4 7\n5 2\n"
    )
    text = text.replace("4 5\n5 6\nBACK", "4 0\n5 0\nBACK")
    inst = read_external(_write(tmp_path, "pyvrpb.vrp", text))
    assert inst.delivery.tolist() == [0, 3, 4, 0, 0]
    assert inst.pickup.tolist() == [0, 0, 0, 7, 2]


SOLOMON = """TINY

VEHICLE
NUMBER     CAPACITY
  3         200

CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME

    0      40         50          0          0       1236          0
    1      45         68         10        912        967         90
    2      43         54         30        825        870         90
"""


def test_solomon_truncates_distances_and_times_to_one_decimal(tmp_path: Path):
    path = _write(tmp_path, "TINY.txt", SOLOMON)
    inst = read_external(path)
    # depot (40, 50) -> customer 1 (45, 68): sqrt(25 + 324) = 18.681 -> 18.6;
    # depot -> customer 2 (43, 54): sqrt(9 + 16) = 5 exactly, which stays 5.0.
    assert inst.distances[0, 1] == 18.6 and inst.durations[0, 1] == 18.6
    assert inst.distances[0, 2] == 5.0
    assert inst.vehicle_count == 3 and inst.capacity == 200
    assert inst.tw_early.tolist() == [0, 912, 825] and inst.tw_late.tolist() == [1236, 967, 870]
    assert inst.service_time.tolist() == [0, 90, 90]
    assert inst.variant.name == "vrptw"
    exact = read_external(path, solomon_distances="exact")
    assert exact.distance_matrix is None and exact.duration_matrix is None
    assert exact.distances[0, 1] == pytest.approx(math.sqrt(349))


CMT_LIMIT = """NAME : CMT99
TYPE : CVRP
DIMENSION : 3
EDGE_WEIGHT_TYPE : EUC_2D
CAPACITY : 100
DISTANCE : 20
SERVICE_TIME : 5
NODE_COORD_SECTION
1 0 0
2 3 0
3 3 4
DEMAND_SECTION
1 0
2 1
3 1
DEPOT_SECTION
1
-1
EOF
"""


def test_a_route_within_distance_but_over_it_with_service_times_is_infeasible(tmp_path: Path):
    inst = read_external(_write(tmp_path, "CMT99.vrp", CMT_LIMIT))
    assert inst.max_distance is None and inst.speed == 1.0
    assert inst.tw_early[0] == 0 and inst.tw_late[0] == 20
    assert inst.service_time.tolist() == [0, 5, 5]
    assert inst.variant.name == "vrptw"
    # 3 + 4 + 5 = 12 distance <= 20, but 12 + 2 * 5 = 22 > 20.
    both = evaluate(inst, Solution.from_lists([[1, 2]]))
    assert both.cost == 12 and [v.rule for v in both.violations] == ["depot-deadline"]
    # 6 + 5 = 11 and 10 + 5 = 15 are within the limit.
    apart = evaluate(inst, Solution.from_lists([[1], [2]]))
    assert apart.feasible and apart.cost == 16


VRPMPD = """NAME : tinym
TYPE : VRPMPD
DIMENSION : 3
VEHICLES : 1
CAPACITY : 10
DISTANCE : 30
EDGE_WEIGHT_TYPE : EXACT_2D
NODE_COORD_SECTION
1 0 0
2 3 0
3 3 4
PICKUP_AND_DELIVERY_SECTION
1 0 0 10000000 0 0 0
2 0 0 10000000 2 6 0
3 0 0 10000000 2 0 8
DEPOT_SECTION
1
-1
EOF
"""


def test_vrpmpd_columns_give_pickup_delivery_service_and_a_duration_limit(tmp_path: Path):
    inst = read_external(_write(tmp_path, "tinym.vrpmpd", VRPMPD))
    assert inst.backhaul == "mixed" and inst.vehicle_count == 1
    assert inst.pickup.tolist() == [0, 6, 0] and inst.delivery.tolist() == [0, 0, 8]
    assert inst.service_time.tolist() == [0, 2, 2]
    # The [0, 10^7] windows are no constraint; DISTANCE becomes the depot deadline.
    assert inst.tw_early.tolist()[1:] == [-math.inf] * 2 and inst.tw_late[0] == 30
    assert inst.variant.name == "vrpmbtw"
    # Leaves with 8, picks up 6 first: 14 > 10. The other order peaks at 8, within 12 + 4 <= 30.
    assert [v.rule for v in evaluate(inst, Solution.from_lists([[1, 2]])).violations] == [
        "capacity"
    ]
    assert evaluate(inst, Solution.from_lists([[2, 1]])).feasible


def test_a_sol_file_gives_routes_from_depot_0_and_its_cost(tmp_path: Path):
    path = _write(tmp_path, "x.sol", "Route #1: 2 1\nRoute #2:\nRoute #3: 3\nCost: 42.5\n")
    sol = read_external_solution(path)
    assert [(r.depot, r.customers) for r in sol.solution.routes] == [(0, (2, 1)), (0, (3,))]
    assert sol.cost == 42.5


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        # no format at all
        ("g.vrp", "hello\x00world\n", "not a VRPLIB/TSPLIB"),
        # a VRPLIB header, then garbage
        ("h.vrp", "NAME : h\nDIMENSION : 3\nthis is not a line\n", "cannot parse as VRPLIB"),
        # sections shorter than DIMENSION
        ("s.vrp", EUC_2D.format(kind="EUC_2D", name="tiny").replace("3 5\n", ""), "DEMAND_SECTION"),
        # an edge weight type we do not know the convention of
        ("t.vrp", EUC_2D.format(kind="GEO", name="tiny"), "EDGE_WEIGHT_TYPE"),
        # Solomon header, unreadable table
        ("s.txt", SOLOMON.replace("   0      40", "   0      forty"), "cannot parse as a Solomon"),
    ],
)
def test_an_unreadable_file_raises_one_line_naming_the_file(tmp_path, name, text, message):
    path = _write(tmp_path, name, text)
    with pytest.raises(InputError) as err:
        read_external(path)
    assert str(err.value).startswith(f"{path}: ") and message in str(err.value)
    assert "\n" not in str(err.value)


def test_a_sol_file_without_routes_is_rejected(tmp_path: Path):
    with pytest.raises(InputError, match="no 'Route #i"):
        read_external_solution(_write(tmp_path, "x.sol", "Cost 3\n"))


# -- vrp convert -----------------------------------------------------------------------------


def test_vrp_convert_writes_instance_and_solution_that_round_trip(tmp_path: Path):
    src = _write(tmp_path, "TINY.txt", SOLOMON)
    sol = _write(tmp_path, "TINY.sol", "Route #1: 2\nRoute #2: 1\nCost 47.2\n")
    out, sol_out = tmp_path / "i.json", tmp_path / "s.json"
    result = CliRunner().invoke(
        app,
        ["convert", str(src), "--out", str(out), "--solution", str(sol)]
        + ["--solution-out", str(sol_out)],
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [str(out), str(sol_out)]
    assert "warning" not in result.stderr
    back = read_instance(out)
    orig = read_external(src)
    assert np.array_equal(back.distances, orig.distances)
    assert np.array_equal(back.durations, orig.durations)
    assert back.name == "TINY" and back.variant == orig.variant
    data = json.loads(sol_out.read_text())
    # 2 * 5.0 + 2 * 18.6 = 47.2, recomputed rather than copied.
    assert data["feasible"] is True and data["cost"] == pytest.approx(47.2)
    assert [r.customers for r in read_solution(sol_out).routes] == [(2,), (1,)]


def test_vrp_convert_writes_either_json_to_stdout_with_a_dash_and_the_paths_to_stderr(
    tmp_path: Path,
):
    src = _write(tmp_path, "TINY.txt", SOLOMON)
    sol = _write(tmp_path, "TINY.sol", "Route #1: 2\nRoute #2: 1\nCost 47.2\n")
    result = CliRunner().invoke(app, ["convert", str(src), "--out", "-"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["name"] == "TINY"
    out = tmp_path / "i.json"
    args = ["convert", str(src), "--out", str(out), "--solution", str(sol), "--solution-out", "-"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["cost"] == pytest.approx(47.2)
    assert str(out) in result.stderr and read_instance(out).name == "TINY"
    both = ["convert", str(src), "--out", "-", "--solution", str(sol), "--solution-out", "-"]
    result = CliRunner().invoke(app, both)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "only one of --out and --solution-out" in result.stderr


def test_vrp_convert_exact_solomon_distances_keeps_coordinates_only(tmp_path: Path):
    src = _write(tmp_path, "TINY.txt", SOLOMON)
    out = tmp_path / "i.json"
    result = CliRunner().invoke(
        app, ["convert", str(src), "--out", str(out), "--solomon-distances", "exact"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["distance_matrix"] is None and data["duration_matrix"] is None
    assert read_instance(out).distances[0, 1] == pytest.approx(math.sqrt(349))


def test_vrp_convert_warns_when_the_sol_cost_disagrees(tmp_path: Path):
    src = _write(tmp_path, "tiny.vrp", EUC_2D.format(kind="EUC_2D", name="tiny"))
    sol = _write(tmp_path, "tiny.sol", "Route #1: 1 2\nCost 8.5\n")
    result = CliRunner().invoke(
        app,
        ["convert", str(src), "--out", str(tmp_path / "i.json")]
        + ["--solution", str(sol), "--solution-out", str(tmp_path / "s.json")],
    )
    assert result.exit_code == 0, result.output
    assert "cost 8 (the file states 8.5)" in result.stderr
    assert "warning: the recomputed cost differs" in result.stderr


def test_vrp_convert_of_a_garbage_file_exits_1_with_one_line(tmp_path: Path):
    bad = _write(tmp_path, "bad.vrp", "just some words\n")
    out = tmp_path / "i.json"
    result = CliRunner().invoke(app, ["convert", str(bad), "--out", str(out)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {bad}: not a VRPLIB/TSPLIB, LKH-3 (.vrpb, .vrpmpd) or Solomon instance file"
    ]
    assert result.stdout == "" and not out.exists()


@pytest.mark.skipif(not BENCHMARKS.is_dir(), reason=NO_BENCHMARKS)
def test_vrp_convert_of_a_distance_limited_cmt_file_keeps_its_published_cost(tmp_path: Path):
    src, sol = BENCHMARKS / "cmt" / "CMT6.vrp", BENCHMARKS / "cmt" / "CMT6.sol"
    out, sol_out = tmp_path / "CMT6.json", tmp_path / "CMT6.sol.json"
    result = CliRunner().invoke(
        app,
        ["convert", str(src), "--out", str(out)]
        + ["--solution", str(sol), "--solution-out", str(sol_out)],
    )
    assert result.exit_code == 0, result.output
    inst = read_instance(out)
    ev = evaluate(inst, read_solution(sol_out))
    assert ev.feasible and ev.cost == pytest.approx(555.43, abs=0.01)
    assert inst.variant.name == "vrptw" and inst.tw_late[0] == 200


# -- several depots (MDVRPTW, PyVRP's dialect) -----------------------------------------------

MDVRPTW = """NAME: tinymd
TYPE: MDVRPTW
EDGE_WEIGHT_TYPE: EUC_2D
DIMENSION: 4
VEHICLES: 3
CAPACITY: 10
VEHICLES_MAX_DURATION: 50
NODE_COORD_SECTION
1 0 0
2 10 0
3 0.3 0.4
4 10 1.0004
DEMAND_SECTION
1 0
2 0
3 4
4 5
SERVICE_TIME_SECTION
1 0
2 0
3 2
4 3
TIME_WINDOW_SECTION
1 0 100
2 0 100
3 1 20
4 0 30
VEHICLES_DEPOT_SECTION
1 1
2 2
3 2
DEPOT_SECTION
1
2
EOF
"""


def test_an_mdvrptw_file_reads_its_depots_in_pyvrp_exact_units(tmp_path: Path):
    inst = read_external(_write(tmp_path, "tinymd.vrp", MDVRPTW))
    assert inst.num_depots == 2 and inst.variant.name == "mdvrptw"
    # Arcs are round(1000 d): 0.5 -> 500; 1.0004 -> 1000.4 -> 1000.
    assert inst.distances[0, 2] == 500 and inst.distances[1, 3] == 1000
    assert inst.durations[0, 2] == 500
    assert inst.tw_early.tolist() == [0, 0, 1000, 0]
    assert inst.tw_late.tolist() == [100_000, 100_000, 20_000, 30_000]
    assert inst.service_time.tolist() == [0, 0, 2000, 3000]
    # VEHICLES_MAX_DURATION and the fleet per depot are relaxed: VEHICLES limits all routes.
    assert inst.vehicle_count == 3 and inst.max_distance is None


def test_an_mdvrptw_sol_route_starts_at_the_depot_of_its_vehicle(tmp_path: Path):
    src = _write(tmp_path, "tinymd.vrp", MDVRPTW)
    sol = _write(tmp_path, "tinymd.sol", "Route #1: 2\nRoute #2:\nRoute #3: 3\nCost: 3000\n")
    published = read_external_solution(sol, instance=src)
    assert [(r.depot, r.customers) for r in published.solution.routes] == [(0, (2,)), (1, (3,))]
    ev = evaluate(read_external(src), published.solution)
    assert ev.feasible and ev.cost == 3000


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # route #4 of three vehicles
        ("Route #4: 2 3\n", "route #4: the instance has vehicles 1..3"),
        # a depot listed as a customer
        ("Route #1: 1 2 3\n", "customer indices start at 2 (the depots"),
    ],
)
def test_a_bad_mdvrptw_sol_file_is_one_line(tmp_path: Path, text: str, message: str):
    src = _write(tmp_path, "tinymd.vrp", MDVRPTW)
    with pytest.raises(InputError, match=re.escape(message)):
        read_external_solution(_write(tmp_path, "x.sol", text), instance=src)


# -- what the project cannot express is refused, never dropped -------------------------------

_TINY = EUC_2D.format(kind="EUC_2D", name="tiny")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # prize-collecting: solved with the prizes dropped before
        (
            _TINY.replace("TYPE : CVRP", "TYPE : PCVRPTW"),
            "TYPE: PCVRPTW: prizes cannot be expressed",
        ),
        # a prize section in a file that says CVRP
        (
            _TINY.replace("DEPOT_SECTION", "PRIZE_SECTION\n1 0\n2 3\n3 4\nDEPOT_SECTION"),
            "PRIZE_SECTION: prizes cannot be expressed",
        ),
        # heterogeneous fleet without a capacity per vehicle: printed a numpy array before
        (
            _TINY.replace("TYPE : CVRP", "TYPE : HFVRP"),
            "CAPACITY_SECTION: an HFVRP file gives one capacity per vehicle",
        ),
        # one fixed cost for every vehicle type (PyVRP's dialect): not read
        (
            _TINY.replace("CAPACITY : 10", "CAPACITY : 10\nVEHICLES_FIXED_COST : 5"),
            "VEHICLES_FIXED_COST: vehicle types are read from TYPE: HFVRP files",
        ),
        # release times
        (
            _TINY.replace("DEPOT_SECTION", "RELEASE_TIME_SECTION\n1 0\n2 3\n3 4\nDEPOT_SECTION"),
            "RELEASE_TIME_SECTION: release times cannot be expressed",
        ),
        # a type nobody told us about
        (_TINY.replace("TYPE : CVRP", "TYPE : TSP"), "TYPE: TSP: not a type vrp reads"),
        # a section nobody told us about
        (
            _TINY.replace("DEPOT_SECTION", "COLOUR_SECTION\n1 0\n2 3\n3 4\nDEPOT_SECTION"),
            "COLOUR_SECTION: a section vrp does not read",
        ),
        # a specification nobody told us about
        (
            _TINY.replace("CAPACITY : 10", "CAPACITY : 10\nVEHICLES_MAX_DISTANCE : 5"),
            "VEHICLES_MAX_DISTANCE: a specification vrp does not read",
        ),
        # a duration limit outside the one set where its relaxation is documented
        (
            _TINY.replace("CAPACITY : 10", "CAPACITY : 10\nVEHICLES_MAX_DURATION : 5"),
            "VEHICLES_MAX_DURATION: a route duration limit is read only from MDVRPTW files",
        ),
        # two depots in a CVRP file
        (
            _TINY.replace("DEPOT_SECTION\n1\n", "DEPOT_SECTION\n1\n2\n"),
            "DEPOT_SECTION: several depots are read from MDVRPTW files only",
        ),
        # depots that are not the first nodes
        (
            MDVRPTW.replace("DEPOT_SECTION\n1\n2\n", "DEPOT_SECTION\n1\n3\n"),
            "DEPOT_SECTION: the depots must be the first nodes, 1..D (got nodes [1, 3])",
        ),
    ],
)
def test_a_file_vrp_cannot_express_is_refused_in_one_line_naming_it(
    tmp_path: Path, text: str, message: str
):
    path = _write(tmp_path, "x.vrp", text)
    with pytest.raises(InputError) as err:
        read_external(path)
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value) and "\n" not in str(err.value)
