"""The bundled instances/: every file loads, is feasible alone per customer, and is what it says."""

from __future__ import annotations

from pathlib import Path

import pytest

from vrp.formats.io import read_instance
from vrp.model.evaluate import evaluate
from vrp.model.solution import Route, Solution

INSTANCES = Path(__file__).resolve().parents[1] / "instances"
FILES = sorted(INSTANCES.glob("*.json"))


def test_the_bundled_set_is_there():
    names = {f.stem for f in FILES}
    expected = {f"{v}-n{n}" for v in ("cvrp", "vrpb", "vrpmb") for n in (20, 50, 100)}
    expected |= {"vrptw-n50", "vrptw-n100", "mdvrptw-n50", "ovrp-n50"}
    assert expected <= names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_bundled_file_loads_and_its_variant_matches_its_name(path: Path):
    inst = read_instance(path)
    prefix, _, size = path.stem.rpartition("-n")
    assert inst.variant.name == prefix
    assert inst.num_customers == int(size)
    assert inst.name == path.stem
    routes = Solution(Route(0, [c]) for c in inst.customers)
    assert evaluate(inst, routes).feasible
