"""The seeded generator (vrp.model.generate) and `vrp generate`: all variants, RouteFinder draws."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cli.main import app
from vrp.errors import InputError
from vrp.formats.io import read_instance, write_instance
from vrp.model.evaluate import evaluate
from vrp.model.generate import capacity_for, generate, generate_many
from vrp.model.instance import Instance
from vrp.model.solution import Route, Solution
from vrp.model.variants import VARIANT_NAMES, Variant, parse_variant, parse_variant_list

ARRAYS = ("locations", "delivery", "pickup", "service_time", "tw_early", "tw_late")


def assert_same_instance(a: Instance, b: Instance) -> None:
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert (a.num_depots, a.capacity, a.max_distance, a.open, a.speed, a.backhaul) == (
        b.num_depots,
        b.capacity,
        b.max_distance,
        b.open,
        b.speed,
        b.backhaul,
    )
    assert a.vehicle_count == b.vehicle_count


def one_route_per_customer(inst: Instance) -> Solution:
    return Solution(Route(0, [c]) for c in inst.customers)


# -- every variant --------------------------------------------------------------------------


@pytest.mark.parametrize("n", [10, 20])
@pytest.mark.parametrize("name", VARIANT_NAMES)
def test_every_variant_comes_out_as_requested_and_every_customer_is_servable_alone(name, n):
    inst = generate(name, n, seed=3)
    assert inst.variant.name == name
    assert inst.num_customers == n
    assert inst.num_depots == (3 if name.startswith("md") else 1)
    # depot 0 -> i -> depot 0 for every i: each route feasible, hence the instance is.
    ev = evaluate(inst, one_route_per_customer(inst))
    assert ev.feasible, ev.violations[:3]


@pytest.mark.parametrize("name", VARIANT_NAMES)
def test_a_single_customer_instance_still_has_every_feature_of_its_variant(name):
    # With one customer the 20% backhaul draw usually misses; B/M must still come out.
    for seed in range(5):
        inst = generate(name, 1, seed)
        assert inst.variant.name == name
        assert evaluate(inst, one_route_per_customer(inst)).feasible


def test_a_variant_object_is_accepted_like_its_name():
    v = parse_variant("ovrpmbltw")
    assert isinstance(v, Variant)
    assert_same_instance(generate(v, 15, 2), generate("ovrpmbltw", 15, 2))


# -- seeds ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["cvrp", "vrpbtw", "mdovrpmbltw"])
def test_the_same_seed_gives_identical_arrays_and_another_seed_different_ones(name):
    a, b, c = generate(name, 30, 5), generate(name, 30, 5), generate(name, 30, 6)
    assert_same_instance(a, b)
    assert a.name == b.name == f"{name}-n30-s5"
    assert not np.array_equal(a.locations, c.locations)


def test_generate_many_seeds_instance_i_from_seed_and_i_and_names_it():
    many = generate_many("vrptw", 12, 4, seed=9)
    assert [i.name for i in many] == [f"vrptw-n12-s9-{k:03d}" for k in range(4)]
    # Instance i does not depend on the count: a longer run extends a shorter one.
    for a, b in zip(generate_many("vrptw", 12, 2, seed=9), many, strict=False):
        assert_same_instance(a, b)
    locs = [i.locations.tobytes() for i in many]
    assert len(set(locs)) == 4
    # Neighbouring seeds share no instance (as seeding from seed + i would).
    other = {i.locations.tobytes() for i in generate_many("vrptw", 12, 4, seed=10)}
    assert not other & set(locs)


def test_generate_many_from_a_first_index_draws_those_instances_alone():
    many = generate_many("ovrpmbtw", 12, 5, seed=3)
    (third,) = generate_many("ovrpmbtw", 12, 1, seed=3, first=2)
    assert third.name == "ovrpmbtw-n12-s3-002"
    assert_same_instance(third, many[2])
    for a, b in zip(generate_many("ovrpmbtw", 12, 2, seed=3, first=3), many[3:], strict=True):
        assert_same_instance(a, b)


def test_variants_of_one_seed_share_their_customers():
    plain, rich = generate("cvrp", 25, 4), generate("mdovrpltw", 25, 4)
    np.testing.assert_array_equal(plain.locations[1:], rich.locations[3:])
    np.testing.assert_array_equal(plain.locations[0], rich.locations[0])
    np.testing.assert_array_equal(plain.delivery[1:], rich.delivery[3:])
    b, m = generate("vrpb", 25, 4), generate("vrpmb", 25, 4)
    np.testing.assert_array_equal(b.pickup, m.pickup)
    np.testing.assert_array_equal(b.delivery, m.delivery)


# -- distributions --------------------------------------------------------------------------


@pytest.mark.parametrize(("n", "q"), [(1, 30), (10, 30), (20, 30), (21, 34), (50, 40), (100, 50)])
def test_capacity_is_30_plus_n_div_5_above_20_customers(n, q):
    assert capacity_for(n) == q
    assert generate("cvrp", n).capacity == q


def test_demands_are_integers_1_to_9_and_every_value_occurs():
    inst = generate("cvrp", 500, 1)
    d = inst.delivery[1:]
    assert np.array_equal(d, np.round(d))
    assert set(d.astype(int).tolist()) == set(range(1, 10))
    assert not inst.pickup.any()


@pytest.mark.parametrize("name", ["vrpb", "vrpmb"])
def test_about_20_percent_of_customers_are_backhauls_with_only_a_pickup(name):
    batch = generate_many(name, 250, 20, seed=2)  # 5000 customers in small instances
    delivery = np.concatenate([i.delivery[1:] for i in batch])
    pickup = np.concatenate([i.pickup[1:] for i in batch])
    back = pickup > 0
    assert abs(back.mean() - 0.2) < 0.02  # 3.5 standard deviations at 5000 customers
    assert not delivery[back].any()
    assert set(pickup[back].astype(int).tolist()) == set(range(1, 10))
    assert set(delivery[~back].astype(int).tolist()) == set(range(1, 10))
    assert not pickup[~back].any()
    assert {i.backhaul for i in batch} == {"mixed" if name == "vrpmb" else "classic"}


@pytest.mark.parametrize("name", ["vrptw", "mdovrpbtw"])
def test_time_windows_follow_routefinder_and_fit_a_round_trip_from_the_first_depot(name):
    inst = generate(name, 500, 3)
    D = inst.num_depots
    np.testing.assert_array_equal(inst.tw_early[:D], 0.0)
    np.testing.assert_array_equal(inst.tw_late[:D], 4.6)
    assert not inst.service_time[:D].any()
    s, e, late = inst.service_time[D:], inst.tw_early[D:], inst.tw_late[D:]
    assert s.min() >= 0.15 and s.max() <= 0.18 and s.max() - s.min() > 0.025
    length = late - e
    assert length.min() >= 0.18 - 1e-12 and length.max() <= 0.2 + 1e-12
    d = inst.distances[0, D:]
    assert np.all(e >= d)
    assert np.all(e + s + length + inst.distances[D:, 0] <= 4.6 + 1e-12)
    # starts spread over the whole allowed range, not bunched at one end
    last = 4.6 - inst.distances[D:, 0] - s - length
    frac = (e - d) / (last - d)
    assert frac.min() < 0.01 and frac.max() > 0.99


@pytest.mark.parametrize("name", ["cvrp", "ovrpb", "mdvrpmbl"])
def test_without_tw_there_are_no_windows_and_no_service_times(name):
    inst = generate(name, 40, 0)
    assert not inst.has_time_windows
    assert not inst.service_time.any()


def test_the_distance_limit_is_uniform_between_twice_the_farthest_customer_and_2_8():
    limits = []
    for seed in range(200):
        inst = generate("mdvrpl" if seed % 2 else "vrpl", 20, seed)
        far = 2 * inst.distances[0, inst.num_depots :].max()
        assert far <= inst.max_distance <= max(2.8, far + 1e-6)
        limits.append(inst.max_distance)
    assert max(limits) > 2.7 and min(limits) < 2.3
    assert generate("vrptw", 20).max_distance is None


def test_vehicles_open_unlimited_at_speed_1_inside_the_unit_square():
    inst = generate("mdovrp", 50, 0)
    assert inst.open is True
    assert inst.vehicle_count is None and inst.speed == 1.0
    assert inst.locations.min() >= 0 and inst.locations.max() <= 1
    assert generate("cvrp", 5).open is False


# -- JSON -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", VARIANT_NAMES)
def test_a_written_and_reread_instance_has_identical_arrays(name, tmp_path: Path):
    inst = generate(name, 10, 1)
    path = tmp_path / f"{inst.name}.json"
    write_instance(inst, path)
    back = read_instance(path)
    assert_same_instance(inst, back)
    assert back.name == inst.name and back.variant.name == name


# -- bad arguments --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"variant": "vrpx"}, "variant"),  # not one of the 48
        ({"variant": "mdvrp"}, "variant"),  # the plain problem is spelled mdcvrp
        ({"variant": 7}, "variant"),  # not a name
        ({"num_customers": 0}, "num_customers"),  # no customer
        ({"num_customers": -5}, "num_customers"),
        ({"num_customers": 2.5}, "num_customers"),  # not an integer
        ({"num_customers": True}, "num_customers"),  # a bool is not a count
        ({"seed": -1}, "seed"),  # numpy seeds are non-negative
    ],
)
def test_bad_arguments_raise_input_error_naming_the_option(kwargs, field):
    args = {"variant": "cvrp", "num_customers": 10, "seed": 0} | kwargs
    with pytest.raises(InputError) as e:
        generate(args["variant"], args["num_customers"], args["seed"])
    assert e.value.field == field


@pytest.mark.parametrize("count", [0, -2])
def test_generate_many_rejects_a_count_below_1(count):
    with pytest.raises(InputError) as e:
        generate_many("cvrp", 10, count)
    assert e.value.field == "count"


def test_generate_many_rejects_a_negative_first_index():
    with pytest.raises(InputError) as e:
        generate_many("cvrp", 10, 2, first=-1)
    assert e.value.field == "first"


# -- the command ----------------------------------------------------------------------------


def test_vrp_generate_writes_one_file_per_instance_and_prints_each_path(tmp_path: Path):
    out = tmp_path / "set"
    argv = ["generate", "--variant", "vrptw", "-n", "12", "--count", "3", "--seed", "7"]
    result = CliRunner().invoke(app, [*argv, "--out", str(out)])
    assert result.exit_code == 0, result.output
    paths = result.stdout.split()
    assert paths == [str(out / f"vrptw-n12-s7-{i:03d}.json") for i in range(3)]
    assert "wrote 3" in result.stderr
    for path, expected in zip(paths, generate_many("vrptw", 12, 3, seed=7), strict=True):
        assert_same_instance(read_instance(path), expected)


def test_vrp_generate_all_writes_every_one_of_the_48_variants(tmp_path: Path):
    result = CliRunner().invoke(
        app, ["generate", "--variant", "all", "-n", "5", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    files = sorted(tmp_path.glob("*.json"))
    assert len(files) == 48
    assert sorted(read_instance(f).variant.name for f in files) == sorted(VARIANT_NAMES)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--variant", "vrpz", "-n", "5"], "error: --variant: unknown variant 'vrpz'"),
        (["--variant", "cvrp,bad", "-n", "5"], "error: --variant: unknown variant 'bad'"),
        (
            ["--variant", "hcvrptw", "-n", "5"],
            "error: --variant: unknown variant 'hcvrptw' (did you mean hvrptw",
        ),
        (["--variant", "cvrp", "-n", "0"], "error: -n/--num-customers: must be a positive"),
        (["--variant", "cvrp", "-n", "5", "--count", "0"], "error: --count: must be a positive"),
        (["--variant", "cvrp", "-n", "5", "--seed", "-3"], "error: --seed: must be a non-neg"),
    ],
)
def test_vrp_generate_bad_arguments_exit_1_with_one_line_and_write_nothing(
    args, message, tmp_path: Path
):
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["generate", *args, "--out", str(out)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), result.stderr
    assert result.stdout == ""
    assert not out.exists() or not any(out.iterdir())


def test_vrp_generate_refuses_an_out_path_that_is_a_file(tmp_path: Path):
    file = tmp_path / "taken"
    file.write_text("")
    result = CliRunner().invoke(
        app, ["generate", "--variant", "cvrp", "-n", "5", "--out", str(file)]
    )
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: --out: {file} exists and is not a folder"


def test_a_variant_list_is_all_or_checked_names_with_routefinders_c_accepted():
    assert parse_variant_list("all") == VARIANT_NAMES
    assert parse_variant_list(" cvrptw, VRPB,vrptw ") == ("vrptw", "vrpb")
    assert parse_variant_list("mdcvrpl") == ("mdvrpl",)
    for bad, message in (("", "give a variant name"), ("vrpb,foo", "unknown variant 'foo'")):
        with pytest.raises(InputError, match=message):
            parse_variant_list(bad)
