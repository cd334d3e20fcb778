"""`vrp solve`: the summary, the solution file and JSON, the plot, one-line errors, time,
`-` for stdin and stdout, output paths checked first, a result that survives a failed write."""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cli.main import app
from vrp.formats.io import instance_to_dict, read_instance, read_solution, write_instance
from vrp.model.evaluate import evaluate
from vrp.model.generate import generate
from vrp.solvers import DEFAULT_WALL_CAP_FACTOR as WALL_CAP_FACTOR

LIMIT = "0.2"
ROOT = Path(__file__).resolve().parents[1]


def _write(tmp_path: Path, variant: str = "vrptw", n: int = 20, seed: int = 1) -> Path:
    path = tmp_path / f"{variant}.json"
    write_instance(generate(variant, n, seed=seed), path)
    return path


def _run(*args: str):
    return CliRunner().invoke(app, ["solve", *args])


def _one_error_line(result, after_progress: bool = False) -> str:
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    if after_progress:  # a run that searched: its progress lines come first
        lines = [line for line in lines if not line.lstrip()[:1].isdigit()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_the_summary_shows_cost_routes_loads_and_runtime(tmp_path: Path):
    result = _run(str(_write(tmp_path)), "--time-limit", LIMIT)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for text in ("vrptw, 20 customers", "solver    auto(pyvrp)", "feasible  yes", "s CPU"):
        assert text in out
    cost = float(next(line.split()[1] for line in out.splitlines() if line.startswith("cost")))
    rows = [line for line in out.splitlines() if line.strip()[:1].isdigit()]
    routes = int(next(line.split()[1] for line in out.splitlines() if line.startswith("routes")))
    assert len(rows) == routes and cost > 0
    assert all("/ 30 (" in row for row in rows)  # peak load against capacity 30


def test_out_writes_a_feasible_solution_file_with_the_evaluated_cost(tmp_path: Path):
    inst_path, sol_path = _write(tmp_path, "ovrpmbltw"), tmp_path / "sol.json"
    result = _run(str(inst_path), "-t", LIMIT, "--out", str(sol_path), "--seed", "3")
    assert result.exit_code == 0, result.output
    data = json.loads(sol_path.read_text())
    assert data["format"] == "vrp-solution/1" and data["feasible"] is True
    ev = evaluate(read_instance(inst_path), read_solution(sol_path))
    assert ev.feasible and data["cost"] == pytest.approx(ev.cost, abs=1e-6)
    assert data["solver"] == "auto(pyvrp)"


def test_json_prints_the_solution_on_stdout_and_the_summary_on_stderr(tmp_path: Path):
    result = _run(str(_write(tmp_path, "cvrp")), "-t", LIMIT, "--json", "--solver", "hgs")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["solver"] == "hgs" and data["feasible"] is True
    assert "feasible  yes" in result.stderr


def test_plot_writes_a_png(tmp_path: Path):
    png = tmp_path / "routes.png"
    result = _run(str(_write(tmp_path, "mdvrpb")), "-t", LIMIT, "--plot", str(png))
    assert result.exit_code == 0, result.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_refuses_an_instance_without_locations_before_solving(tmp_path: Path):
    data = instance_to_dict(generate("cvrp", 5, seed=1))
    inst = read_instance(_write(tmp_path, "cvrp", n=5))
    data["distance_matrix"] = np.round(inst.distances, 6).tolist()
    for node in data["depots"] + data["customers"]:
        del node["location"]
    path = tmp_path / "matrix.json"
    path.write_text(json.dumps(data))
    line = _one_error_line(_run(str(path), "-t", LIMIT, "--plot", str(tmp_path / "p.png")))
    assert "--plot: cannot plot" in line


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--solver", "lkh"], "unknown solver 'lkh'"),  # not registered
        (["--solver", "hgs"], "hgs cannot solve vrptw"),  # CVRP only
        (["--time-limit", "0"], "--time-limit"),  # not positive
    ],
)
def test_bad_options_give_one_line_and_exit_1(tmp_path: Path, args: list[str], expected: str):
    line = _one_error_line(_run(str(_write(tmp_path)), *args))
    assert expected in line


def test_a_window_that_no_depot_reaches_is_named_before_solving(tmp_path: Path):
    data = instance_to_dict(generate("vrptw", 10, seed=1))
    data["customers"][3]["time_window"] = [0, 0.001]
    path = tmp_path / "late.json"
    path.write_text(json.dumps(data))
    line = _one_error_line(_run(str(path), "-t", LIMIT))
    assert "customers[3]" in line and "cannot be reached" in line


def test_a_run_without_a_feasible_solution_says_so_and_prints_no_routes(tmp_path: Path):
    # Six customers of demand 26 with capacity 50 need six routes; four vehicles pass the
    # total-load check (4 x 50 >= 156) but no solution exists.
    data = {
        "depots": [{"location": [0, 0]}],
        "customers": [{"location": [i, 1], "delivery": 26} for i in range(6)],
        "vehicles": {"capacity": 50, "count": 4},
    }
    path = tmp_path / "tight.json"
    path.write_text(json.dumps(data))
    result = _run(str(path), "-t", LIMIT, "--solver", "pyvrp")
    line = _one_error_line(result, after_progress=True)
    assert "no feasible solution found" in line


def test_the_time_limit_holds_within_the_stated_wall_cap(tmp_path: Path):
    limit = 1.0
    path = _write(tmp_path, "vrptw", n=100)
    t0 = time.perf_counter()
    result = _run(str(path), "-t", str(limit), "--json", "--solver", "pyvrp")
    wall = time.perf_counter() - t0
    assert result.exit_code == 0, result.output
    # CPU budget, capped at WALL_CAP_FACTOR x limit wall seconds; 0.5 s for reading the
    # file, building the model and the first local search at n = 100.
    assert json.loads(result.stdout)["runtime_s"] <= WALL_CAP_FACTOR * limit + 0.5
    assert wall <= WALL_CAP_FACTOR * limit + 1.5


def test_ctrl_c_returns_the_best_solution_found_so_far(tmp_path: Path):
    path = _write(tmp_path, "vrptw", n=100)
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "solve", str(path), "-t", "60", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert proc.stderr is not None
    first = proc.stderr.readline()  # the first progress line: the search is running
    assert "searching" in first or "best" in first, first
    time.sleep(0.5)
    t0 = time.perf_counter()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err  # the shell's code for Ctrl-C: the plan follows anyway
    assert time.perf_counter() - t0 < 5.0
    data = json.loads(out)
    assert data["feasible"] is True and data["interrupted"] is True
    assert "interrupted: best found so far" in err


VRPLIB = """NAME : tiny
TYPE : CVRP
DIMENSION : 4
EDGE_WEIGHT_TYPE : EUC_2D
CAPACITY : 10
NODE_COORD_SECTION
1 0 0
2 3 4
3 6 8
4 -3 -4
DEMAND_SECTION
1 0
2 4
3 4
4 4
DEPOT_SECTION
1
-1
EOF
"""

SOLOMON = """tiny

VEHICLE
NUMBER     CAPACITY
  5         10

CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE TIME

    0      0          0          0          0        100          0
    1      3          4          4          0         50          1
    2      6          8          4          0         50          1
    3     -3         -4          4          0         50          1
"""


@pytest.mark.parametrize(("name", "text"), [("tiny.vrp", VRPLIB), ("tiny.txt", SOLOMON)])
def test_vrplib_and_solomon_files_are_solved_directly(tmp_path: Path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    result = _run(str(path), "-t", LIMIT, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    # Best: 0 -> (3,4) -> (6,8) -> 0 and 0 -> (-3,-4) -> 0: 5 + 5 + 10 + 5 + 5 = 30.
    assert data["feasible"] is True and data["cost"] == pytest.approx(30.0)


def test_the_solution_json_says_how_it_was_made(tmp_path: Path):
    path = _write(tmp_path, "vrpb")
    result = _run(str(path), "-t", LIMIT, "-s", "pyvrp", "--seed", "4", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["solver"] == "pyvrp" and data["solver_version"] == f"pyvrp {version('pyvrp')}"
    assert data["vrp_version"] == version("vrp-suite")
    assert (data["seed"], data["time_limit"], data["variant"]) == (4, 0.2, "vrpb")
    assert data["checkpoint"] is None and data["interrupted"] is False


def test_a_neural_solution_names_the_checkpoint_that_decoded_it(tmp_path: Path):
    from vrp.solvers.neural import pick_checkpoint

    path = _write(tmp_path, "cvrp", n=10)
    result = _run(str(path), "-t", "5", "-s", "neural", "--json")
    assert result.exit_code == 0, result.output
    used = pick_checkpoint(read_instance(path))
    digest = hashlib.sha256(used.read_bytes()).hexdigest()[:16]
    assert json.loads(result.stdout)["checkpoint"] == {"name": used.name, "digest": digest}


def test_an_instance_on_stdin_gives_its_solution_on_stdout_with_out_dash(tmp_path: Path):
    text = _write(tmp_path, "cvrp", n=10).read_text()
    result = CliRunner().invoke(app, ["solve", "-", "-t", LIMIT, "--out", "-"], input=text)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # nothing else on stdout
    assert data["instance"] == json.loads(text)["name"] and data["feasible"] is True
    assert "feasible  yes" in result.stderr


def test_a_bad_instance_on_stdin_names_stdin(tmp_path: Path):
    result = CliRunner().invoke(app, ["solve", "-", "-t", LIMIT], input='{"depots": [')
    assert _one_error_line(result).startswith("error: <stdin>: not valid JSON")


@pytest.mark.parametrize(
    ("option", "target", "expected"),
    [
        ("--out", "inst.json", "is an input file"),  # would overwrite the instance
        ("--out", ".", "is a folder"),
        ("--out", "afile/sol.json", "afile is not a folder"),
        ("--plot", "afile/p.png", "afile is not a folder"),
        ("--map", "afile/m/m.html", "afile is not a folder"),
    ],
)
def test_output_paths_are_checked_before_the_search(
    tmp_path: Path, option: str, target: str, expected: str
):
    inst = tmp_path / "inst.json"
    write_instance(generate("cvrp", 5, seed=1), inst)
    (tmp_path / "afile").write_text("")
    line = _one_error_line(_run(str(inst), "-t", "2", option, str(tmp_path / target)))
    assert line.startswith(f"error: {option}: ") and expected in line  # no progress: no search


def test_a_solution_that_cannot_be_written_after_the_search_goes_to_a_named_file(tmp_path: Path):
    inst, target = _write(tmp_path, "vrptw", n=30), tmp_path / "a" / "b" / "sol.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "solve", str(inst), "-t", "2", "--out", str(target)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stderr is not None
    proc.stderr.readline()  # the search runs: the path was fine when it started
    (tmp_path / "a").write_text("")  # now the folder cannot be made
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1, err
    assert "feasible  yes" in out
    kept = list(tmp_path.glob("vrp-solution-*.json"))
    assert len(kept) == 1 and f"the solution is in {kept[0].name}" in err
    assert evaluate(read_instance(inst), read_solution(kept[0])).feasible


def test_road_instances_give_distances_in_metres_and_times_as_clock_times(tmp_path: Path):
    points = [[7.40 + 0.01 * (i % 5), 43.70 + 0.01 * (i // 5)] for i in range(11)]
    data = {
        "coordinates": "lonlat",
        "depots": [{"location": points[0], "time_window": [28800, 64800]}],
        "customers": [{"location": p, "delivery": 1} for p in points[1:]],
        "vehicles": {"capacity": 4, "speed": 10.0},
    }
    path = tmp_path / "road.json"
    path.write_text(json.dumps(data))
    result = _run(str(path), "-t", LIMIT)
    assert result.exit_code == 0, result.output
    cost = next(line for line in result.stdout.splitlines() if line.startswith("cost"))
    assert re.fullmatch(r"cost +\d{1,3}(,\d{3})+ m", cost), cost  # e.g. 12,345 m
    rows = [line for line in result.stdout.splitlines() if line.strip()[:1].isdigit()]
    assert rows and all(re.search(r"8:00:00-\d+:\d\d:\d\d / 18:00:00$", r) for r in rows)
