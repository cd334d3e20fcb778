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
    *("variants", "solve", "check", "generate", "convert", "train", "benchmark"),
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
