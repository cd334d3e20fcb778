"""The wheel: what `pip install vrp-suite` gives, away from the checkout.

The wheel is built from a copy of the sources (so the checkout gets no build/ folder), without
network, and installed into a fresh virtual environment that borrows the dependencies of this
one through a ``.pth`` line (a path added that way does not run the ``.pth`` files inside it,
so the editable install's finder stays behind). Commands run from an empty folder with no
PYTHONPATH: the checkout is nowhere on the path.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest
from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[1]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_the_packaging_lists_every_package_folder_of_the_checkout():
    folders = set(find_packages(str(ROOT), exclude=["tests", "tests.*"]))
    mapped = {folder: name for name, folder in SETUPTOOLS["package-dir"].items()}
    assert {mapped.get(f, f) for f in folders} == set(SETUPTOOLS["packages"])


def _run(cmd: list[str | Path], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"{cmd}\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("src")
    folders = {name.split(".")[0] for name in SETUPTOOLS["packages"]}
    folders |= set(SETUPTOOLS["package-dir"].values())  # checkpoints/
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for folder in folders:
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        shutil.copytree(ROOT / folder, src / folder, ignore=ignore)
    dist = tmp_path_factory.mktemp("dist")
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index"]
    _run([*pip, "--quiet", "--wheel-dir", dist, src], cwd=src, env=dict(os.environ))
    (built,) = dist.glob("vrp_suite-*.whl")
    return built


def test_the_wheel_ships_the_checkpoints_and_their_cards(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = [p.name for p in (ROOT / "checkpoints").glob("*.ckpt")]
    cards = [p.name for p in (ROOT / "checkpoints").glob("*.md")]
    assert shipped and {f"vrp/checkpoints/{n}" for n in shipped + cards} <= names
    assert "vrpspec/__init__.py" in names and "cli/main.py" in names


@pytest.mark.slow
def test_an_installed_wheel_solves_with_the_shipped_checkpoint_from_any_folder(
    wheel: Path, tmp_path: Path
):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    python = venv / "bin" / "python"
    site = Path(
        _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
             cwd=tmp_path, env={}).stdout.strip()
    )  # fmt: skip
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "vrp-dependencies.pth").write_text("".join(f"{p}\n" for p in sorted(ours)))

    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VRP_CHECKPOINTS")}
    env |= {"HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env |= {"XDG_DATA_HOME": str(tmp_path / "data"), "VIRTUAL_ENV": str(venv)}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    # --ignore-installed: this environment's editable vrp-suite is visible through the .pth
    # line; pip must neither count it as installed nor try to remove it.
    install = [python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index"]
    _run([*install, "--ignore-installed", wheel], cwd=work, env=env)

    vrp = venv / "bin" / "vrp"
    version = _run([vrp, "--version"], cwd=work, env=env).stdout.strip()
    assert version.startswith("vrp-suite ") and version.split()[1][0].isdigit()

    instance = work / "cvrp-n20.json"
    shutil.copy(ROOT / "instances" / "cvrp-n20.json", instance)
    solved = _run([vrp, "solve", instance, "--solver", "neural", "--json"], cwd=work, env=env)
    answer = json.loads(solved.stdout)
    assert answer["solver"] == "neural" and answer["feasible"] is True

    where = (
        "import json, sys, vrp, cli.main\n"
        "from vrp.formats.io import read_instance\n"
        "from vrp.solvers.neural import pick_checkpoint\n"
        "print(json.dumps({'vrp': vrp.__file__, 'cli': cli.main.__file__,\n"
        f"    'checkpoint': str(pick_checkpoint(read_instance({str(instance)!r}))),\n"
        "    'editable': [m for m in sys.modules if 'editable' in m]}))\n"
    )
    found = json.loads(_run([python, "-c", where], cwd=work, env=env).stdout)
    for key in ("vrp", "cli", "checkpoint"):
        assert Path(found[key]).is_relative_to(site), (key, found[key])
    assert Path(found["checkpoint"]).parent == site / "vrp" / "checkpoints"
    assert found["editable"] == []


def test_vrp_checkpoints_adds_folders_searched_before_the_shipped_ones(tmp_path, monkeypatch):
    from vrp.errors import InputError
    from vrp.formats.io import read_instance
    from vrp.solvers.neural import checkpoint_dir, checkpoint_dirs, pick_checkpoint

    mine, other = tmp_path / "mine", tmp_path / "other"
    mine.mkdir()
    other.mkdir()
    instance = read_instance(ROOT / "instances" / "cvrp-n20.json")
    shipped = pick_checkpoint(instance)
    assert shipped.parent == checkpoint_dir()
    shutil.copy(shipped, mine / shipped.name)  # the same model: a full tie
    monkeypatch.setenv("VRP_CHECKPOINTS", f"{mine}{os.pathsep}{other}")
    assert checkpoint_dirs() == [mine, other, checkpoint_dir()]
    assert pick_checkpoint(instance) == mine / shipped.name
    monkeypatch.setenv("VRP_CHECKPOINTS", str(tmp_path / "missing"))
    with pytest.raises(InputError, match=r"\$VRP_CHECKPOINTS: .*missing is not a folder"):
        checkpoint_dirs()
