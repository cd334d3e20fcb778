"""The published JSON Schemas (`vrp schema`): valid, and agreeing with what vrp reads and writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from cli.main import app
from vrp.formats.io import instance_to_dict, read_instance, solution_to_dict
from vrp.model.solution import Solution

INSTANCES = sorted((Path(__file__).resolve().parents[1] / "instances").glob("*.json"))


@pytest.mark.parametrize("kind", ["instance", "solution"])
def test_vrp_schema_prints_a_valid_draft_2020_12_schema(kind: str):
    result = CliRunner().invoke(app, ["schema", kind])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    Draft202012Validator.check_schema(schema)
    assert schema["title"] == f"vrp-{kind}/1"
    assert schema["additionalProperties"] is False and "meta" in schema["properties"]


@pytest.mark.parametrize("path", INSTANCES, ids=lambda p: p.name)
def test_every_bundled_instance_and_what_vrp_writes_of_it_follow_the_schema(path: Path):
    validator = Draft202012Validator(
        json.loads(CliRunner().invoke(app, ["schema", "instance"]).stdout)
    )
    validator.validate(json.loads(path.read_text()))
    inst = read_instance(path)
    validator.validate(instance_to_dict(inst))
    sol = Solution([(inst.num_depots - 1, list(inst.customers))])  # broken rules and all
    solution = json.loads(CliRunner().invoke(app, ["schema", "solution"]).stdout)
    Draft202012Validator(solution).validate(solution_to_dict(inst, sol, solver="hand"))


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        # an instance with a misspelled customer field
        ("instance", {"depots": [{}], "customers": [{"demand": 1}], "vehicles": {"capacity": 1}}),
        # a solution with a misspelled route field
        ("solution", {"routes": [{"depot": 0, "custommers": [1]}]}),
    ],
)
def test_the_schema_itself_refuses_an_unknown_field(kind: str, data: dict):
    schema = json.loads(CliRunner().invoke(app, ["schema", kind]).stdout)
    assert not Draft202012Validator(schema).is_valid(data)


def test_vrp_schema_of_an_unknown_kind_is_a_usage_error():
    assert CliRunner().invoke(app, ["schema", "fleet"]).exit_code == 2
