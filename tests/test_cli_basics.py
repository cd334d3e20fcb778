"""The `vrp` command itself: instant help and version, no heavy imports, clean errors.

How fast `vrp --help` starts is measured by `scripts/help-timing`, not here: a timed test fails
on a busy machine. These tests hold what makes it fast: nothing heavy imported for help.
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app

HEAVY = (
    "numpy",
    "torch",
    "ortools",
    "pyvrp",
    "rl4co",
    "lightning",
    "matplotlib",
    "folium",
    "hygese",
)
COMMANDS = [
    *("variants", "solve", "check", "generate", "convert", "train", "benchmark", "schema"),
    *("simulate", "explain"),
    *("osrm prepare", "osrm serve", "instance from-csv", "instance sample-city"),
]
ROOT = Path(__file__).resolve().parents[1]


def test_importing_the_cli_loads_no_heavy_library():
    code = f"import sys, cli.main; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_importing_vrp_loads_no_heavy_library_and_its_names_resolve_on_use():
    code = (
        f"import sys, vrp; heavy = sorted(m for m in {HEAVY!r} if m in sys.modules)\n"
        "assert all(getattr(vrp, name) for name in vrp.__all__)\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_version_prints_the_distribution_and_its_version():
    for flag in ("--version", "-V"):
        result = CliRunner().invoke(app, [flag])
        assert result.exit_code == 0, result.output
        assert result.output == f"vrp-suite {version('vrp-suite')}\n"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str):
    result = CliRunner().invoke(app, [*command.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage: vrp " + command in " ".join(result.output.split())


def test_help_lists_the_commands():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("variants", "check"):
        assert command in result.output


def test_vrp_variants_lists_all_48():
    result = CliRunner().invoke(app, ["variants"])
    assert result.exit_code == 0, result.output
    rows = [line.split()[0] for line in result.output.splitlines()[2:] if line.strip()]
    from vrp.model.variants import VARIANT_NAMES

    assert [r for r in rows if r in VARIANT_NAMES] == list(VARIANT_NAMES)


def _instance(tmp_path: Path) -> Path:
    data = {
        "depots": [{"location": [0, 0]}],
        "customers": [{"location": [1, 0], "delivery": 2}, {"location": [2, 0], "delivery": 2}],
        "vehicles": {"capacity": 3},
    }
    p = tmp_path / "i.json"
    p.write_text(json.dumps(data))
    return p


def _solution(tmp_path: Path, routes: list[list[int]]) -> Path:
    p = tmp_path / "s.json"
    data = {"format": "vrp-solution/1", "routes": [{"depot": 0, "customers": r} for r in routes]}
    p.write_text(json.dumps(data))
    return p


def test_vrp_check_accepts_a_feasible_solution(tmp_path: Path):
    result = CliRunner().invoke(
        app, ["check", str(_instance(tmp_path)), str(_solution(tmp_path, [[1], [2]]))]
    )
    assert result.exit_code == 0, result.output
    assert "feasible: yes" in result.output
    assert "cost:     6" in result.output


def test_vrp_check_rejects_an_infeasible_solution_naming_the_rule(tmp_path: Path):
    result = CliRunner().invoke(
        app, ["check", str(_instance(tmp_path)), str(_solution(tmp_path, [[1, 2]]))]
    )
    assert result.exit_code == 1
    assert "feasible: no" in result.output
    assert "[capacity] route 0" in result.output


def test_a_bad_file_gives_one_line_and_exit_1_without_traceback(tmp_path: Path):
    bad = tmp_path / "bad.json"
    bad.write_text(
        '{"depots": [{"location": [0, 0]}], "customers": [{"location": [1, 0], '
        '"time_window": [5, 1]}], "vehicles": {"capacity": 1}}'
    )
    sol = _solution(tmp_path, [[1]])
    out = subprocess.run(
        [sys.executable, "-m", "cli.main", "check", str(bad), str(sol)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert out.returncode == 1
    assert (
        out.stderr.strip() == f"error: {bad}: customers[0].time_window: earliest > latest (5 > 1)"
    )
    assert "Traceback" not in out.stderr


def _stated(tmp_path: Path, **fields) -> Path:
    p = tmp_path / "stated.json"
    routes = [{"depot": 0, "customers": [1]}, {"depot": 0, "customers": [2]}]
    data = {"format": "vrp-solution/1", "routes": routes}
    p.write_text(json.dumps({**data, **fields}))
    return p


FALSE_CLAIMS = [
    ({"cost": 5.0}, "[stated-cost] the file states 5"),  # the routes cost 6
    ({"cost": 6.00001}, "[stated-cost]"),  # off by more than 1e-6, relative
    ({"instance": "other"}, "[instance] the solution is for instance 'other'"),
]


def test_vrp_check_reports_a_false_stated_cost_or_instance_name_and_accepts_true_ones(
    tmp_path: Path,
):
    nameless = _instance(tmp_path)
    named = tmp_path / "named.json"
    named.write_text(json.dumps({**json.loads(nameless.read_text()), "name": "mine"}))
    for fields, expected in FALSE_CLAIMS:
        result = CliRunner().invoke(app, ["check", str(named), str(_stated(tmp_path, **fields))])
        assert result.exit_code == 1, result.output
        assert "feasible: yes" in result.output and expected in result.output
    for inst, fields in [
        (named, {"cost": 6.000001, "instance": "mine"}),  # within 1e-6 of 6
        (nameless, {"instance": "renamed"}),  # named after its file: no claim to contradict
    ]:
        result = CliRunner().invoke(app, ["check", str(inst), str(_stated(tmp_path, **fields))])
        assert result.exit_code == 0, result.output


TINY_VRPLIB = """NAME : tiny
TYPE : CVRP
DIMENSION : 3
EDGE_WEIGHT_TYPE : EUC_2D
CAPACITY : 1
NODE_COORD_SECTION
1 0 0
2 3 0
3 0 4
DEMAND_SECTION
1 0
2 1
3 1
DEPOT_SECTION
1
-1
EOF
"""


@pytest.mark.parametrize(
    ("routes", "cost", "exit_code", "expected"),
    [
        ("Route #1: 1\nRoute #2: 2\n", "Cost 14", 0, "feasible: yes"),
        ("Route #1: 1\nRoute #2: 2\n", "Cost 15", 0, "warning: the file states cost 15"),
        ("Route #1: 1 2\n", "Cost 12", 1, "[capacity]"),
    ],
)
def test_vrp_check_reads_a_benchmark_sol_file_as_vrp_convert_does(
    tmp_path: Path, routes: str, cost: str, exit_code: int, expected: str
):
    inst, sol = tmp_path / "tiny.vrp", tmp_path / "tiny.sol"
    inst.write_text(TINY_VRPLIB)
    sol.write_text(routes + cost + "\n")
    result = CliRunner().invoke(app, ["check", str(inst), str(sol)])
    assert result.exit_code == exit_code, result.output
    assert expected in result.output
    assert "not valid JSON" not in result.output


def test_vrp_check_reads_either_file_from_stdin(tmp_path: Path):
    inst, sol = _instance(tmp_path), _solution(tmp_path, [[1], [2]])
    result = CliRunner().invoke(app, ["check", "-", str(sol)], input=inst.read_text())
    assert result.exit_code == 0 and "cost:     6" in result.output, result.output
    result = CliRunner().invoke(app, ["check", str(inst), "-"], input=sol.read_text())
    assert result.exit_code == 0 and "cost:     6" in result.output, result.output


@pytest.mark.parametrize(
    "args",
    [
        ["generate", "--variant", "cvrp", "-n", "5", "--out", "{file}/gen"],
        ["convert", "{vrp}", "--out", "{dir}"],
        ["convert", "{vrp}", "--out", "{vrp}"],  # the file it reads
        ["benchmark", "--generate", "cvrp:5:1", "--solvers", "pyvrp", "--out", "{file}/res"],
        ["train", "--variant", "cvrp", "--num-loc", "10", "--out", "{dir}"],
        ["instance", "sample-city", "-n", "5", "--out", "{file}/city"],
        ["instance", "from-csv", "{csv}", "--out", "{file}/x.json"],
    ],
)
def test_every_command_checks_its_output_path_before_any_work(tmp_path: Path, args: list[str]):
    paths = {"file": tmp_path / "afile", "dir": tmp_path, "vrp": tmp_path / "t.vrp"}
    paths["csv"] = tmp_path / "p.csv"
    paths["file"].write_text("")
    paths["vrp"].write_text("NAME : t\nTYPE : CVRP\nDIMENSION : 2\nEOF\n")
    paths["csv"].write_text("lon,lat\n7.42,43.73\n7.43,43.74\n")
    before = sorted(tmp_path.rglob("*"))
    result = CliRunner().invoke(app, [a.format(**paths) for a in args])
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --out: "), result.stderr
    assert sorted(tmp_path.rglob("*")) == before  # nothing written
