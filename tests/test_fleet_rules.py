"""Fleets of vehicle types (FORMAT.md "Fleets", rules 7-9): hand-computed costs and violations
of `evaluate()` (the mutation tests of vrp/model/evaluate.py run these with
tests/test_evaluate.py; the rest of the fleet tests are in tests/test_fleet.py).

The instance of most tests (distances by hand: 3-4-5 triangles):

    D1 (0, 0)   D2 (6, 0)   a (3, 4) delivery 5, bike only   b (6, 8) delivery 20
    D1-a 5, D1-b 10, a-b 5, D2-a 5, D2-b 8
    van:  count 1, Q 30, based at D1, shift [0, 25], fixed 50, 2 per unit of distance
    bike: Q 8, any depot, 0.5 per unit of distance, travel time x 2
"""

from __future__ import annotations

import pytest
from editing import edited_copy

from vrp.formats.io import (
    instance_from_dict,
)
from vrp.model.evaluate import evaluate
from vrp.model.solution import Route, Solution

D1, D2, A, B = 0, 1, 2, 3

FLEET = {
    "format": "vrp-instance/1",
    "name": "two-types",
    "depots": [{"id": "D1", "location": [0, 0]}, {"id": "D2", "location": [6, 0]}],
    "customers": [
        {"id": "a", "location": [3, 4], "delivery": 5, "vehicle_types": ["bike"]},
        {"id": "b", "location": [6, 8], "delivery": 20},
    ],
    "vehicles": {"open": False, "speed": 1.0},
    "fleet": [
        {
            "id": "van",
            "count": 1,
            "capacity": 30,
            "depot": "D1",
            "shift": [0, 25],
            "fixed_cost": 50,
            "distance_cost": 2,
        },
        {"id": "bike", "capacity": 8, "distance_cost": 0.5, "duration_factor": 2},
    ],
}


def edited(path: str, value, *, delete: bool = False) -> dict:
    """A copy of FLEET with the field at ``path`` (dots and [i]) set to ``value`` or deleted."""
    return edited_copy(FLEET, path, value, delete=delete)


def rules(inst, *routes: Route) -> list[str]:
    return [v.rule for v in evaluate(inst, Solution(routes)).violations]


@pytest.fixture
def inst():
    return instance_from_dict(FLEET)


# -- rule 9: cost -----------------------------------------------------------------------------


def test_a_route_costs_its_types_fixed_cost_plus_its_distance_times_the_unit_cost(inst):
    # bike D1-a-D1: 0 + 0.5 * 10 = 5; van D1-b-D1: 50 + 2 * 20 = 90.
    ev = evaluate(inst, Solution([Route(D1, [A], "bike"), Route(D1, [B], "van")]))
    assert ev.feasible
    assert ev.cost == pytest.approx(95.0)
    assert ev.distance == pytest.approx(30.0)
    assert [st.cost for st in ev.routes] == pytest.approx([5.0, 90.0])
    assert [st.vehicle for st in ev.routes] == [1, 0]


def test_a_bike_from_the_other_depot_costs_by_its_own_distance(inst):
    # bike D2-a-D2: 10, and D2-b-D2 would be 16 but b is too heavy; a alone: 0.5 * 10.
    ev = evaluate(inst, Solution([Route(D2, [A], "bike"), Route(D1, [B], "van")]))
    assert ev.feasible and ev.cost == pytest.approx(5.0 + 90.0)


def test_without_a_fleet_the_cost_is_the_distance_as_before():
    data = edited("fleet", None, delete=True)
    data["vehicles"]["capacity"] = 30
    del data["customers"][0]["vehicle_types"]
    plain = instance_from_dict(data)
    ev = evaluate(plain, Solution([Route(D1, [A, B])]))
    assert ev.feasible and ev.cost == pytest.approx(20.0) and ev.routes[0].cost == ev.cost


# -- rule 7: type, depot, count, shift ---------------------------------------------------------


def test_a_route_without_a_type_or_with_an_unknown_one_breaks_rule_7(inst):
    assert rules(inst, Route(D1, [A], "bike"), Route(D1, [B])) == ["vehicle"]
    assert rules(inst, Route(D1, [A], "bike"), Route(D1, [B], "truck")) == ["vehicle"]


def test_a_route_naming_a_type_on_an_instance_without_a_fleet_is_a_violation():
    data = edited("fleet", None, delete=True)
    data["vehicles"]["capacity"] = 30
    del data["customers"][0]["vehicle_types"]
    assert rules(instance_from_dict(data), Route(D1, [A, B], "van")) == ["vehicle"]


def test_a_wrong_vehicle_reads_as_its_route_and_what_is_wrong(inst):
    def lines(instance, *routes: Route) -> list[str]:
        return [str(v) for v in evaluate(instance, Solution(routes)).violations]

    ok = Route(D1, [A], "bike")
    assert lines(inst, ok, Route(D1, [B])) == ["[vehicle] route 1: the route names no vehicle type"]
    assert lines(inst, ok, Route(D1, [B], "truck")) == [
        "[vehicle] route 1: unknown vehicle type 'truck' (van, bike)"
    ]
    data = edited("fleet", None, delete=True)
    data["vehicles"]["capacity"] = 30
    del data["customers"][0]["vehicle_types"]
    plain = instance_from_dict(data)
    assert lines(plain, Route(D1, [A]), Route(D1, [B], "van")) == [
        "[vehicle] route 1: names vehicle type 'van', but the instance has no fleet"
    ]


def test_a_wrong_depot_type_or_type_distance_limit_reads_as_route_node_and_numbers(inst):
    def lines(instance, *routes: Route) -> list[str]:
        return [str(v) for v in evaluate(instance, Solution(routes)).violations]

    assert lines(inst, Route(D1, [A], "bike"), Route(D2, [B], "van")) == [
        "[vehicle-depot] route 1, node 1: type 'van' is based at depot 'D1', not 'D2'"
    ]
    data = edited("customers[0].vehicle_types", ["bike", "truck"])
    data["fleet"].append({"id": "truck", "capacity": 40})
    assert lines(instance_from_dict(data), Route(D1, [B], "truck"), Route(D1, [A], "van")) == [
        "[vehicle-type] route 1, node 2: type 'van' may not serve this customer "
        "(allowed: bike, truck)"
    ]
    short = instance_from_dict(edited("fleet[1].max_distance", 4))
    assert lines(short, Route(D1, [B], "van"), Route(D1, [A], "bike")) == [
        "[distance-limit] route 1: route distance 10 > the max_distance of 'bike' 4"
    ]


def test_a_type_based_at_a_depot_cannot_start_from_another(inst):
    assert rules(inst, Route(D1, [A], "bike"), Route(D2, [B], "van")) == ["vehicle-depot"]


def test_more_routes_of_a_type_than_its_count_break_rule_7(inst):
    unlimited = edited("customers[0].vehicle_types", None, delete=True)
    ev = evaluate(
        instance_from_dict(unlimited), Solution([Route(D1, [A], "van"), Route(D1, [B], "van")])
    )
    assert [(v.rule, v.route, v.node) for v in ev.violations] == [("vehicle-count", None, None)]
    assert "2 routes of type 'van' > its count 1" in str(ev.violations[0])


def test_a_route_back_after_its_shift_ends_breaks_the_shift(inst):
    # van D1-b-D1 takes 20; a shift ending at 19 is missed, one ending at 20 is kept.
    for end, expected in ((19, ["shift"]), (20, [])):
        short = instance_from_dict(edited("fleet[0].shift", [0, end]))
        assert rules(short, Route(D1, [A], "bike"), Route(D1, [B], "van")) == expected
    short = instance_from_dict(edited("fleet[0].shift", [0, 15]))
    broken = evaluate(short, Solution([Route(D1, [A], "bike"), Route(D1, [B], "van")]))
    assert [str(v) for v in broken.violations] == [
        "[shift] route 1, node 0: back at the depot at 20 > the end of the shift of 'van' 15"
    ]


def test_the_earlier_of_depot_deadline_and_shift_end_binds_and_is_named(inst):
    data = edited("fleet[0].shift", [0, 25])
    data["depots"][0]["time_window"] = [0, 19]
    # depot D1 closes at 19 before the van's shift ends at 25: the depot's rule is broken
    assert rules(instance_from_dict(data), Route(D1, [B], "van"), Route(D2, [A], "bike")) == [
        "depot-deadline"
    ]


def test_a_route_leaves_at_the_later_of_depot_opening_and_shift_start():
    data = edited("fleet[0].shift", [10, 100])
    data["customers"][1]["time_window"] = [0, 15]
    inst = instance_from_dict(data)
    # leaves at 10, reaches b at 20 > 15
    ev = evaluate(inst, Solution([Route(D1, [A], "bike"), Route(D1, [B], "van")]))
    assert [v.rule for v in ev.violations] == ["time-window"]
    assert ev.routes[1].start_time == 10 and ev.routes[1].end_time == 30


def test_an_open_route_is_not_held_to_the_end_of_its_shift():
    data = edited("fleet[0].shift", [0, 12])
    data["vehicles"]["open"] = True
    inst = instance_from_dict(data)
    # open: D1-b is 10 <= 12 at b; without the return leg the shift end does not apply
    assert rules(inst, Route(D1, [A], "bike"), Route(D1, [B], "van")) == []


def test_a_types_duration_factor_scales_its_travel_times():
    data = edited("depots[0].time_window", [0, 15])
    inst = instance_from_dict(data)
    # the bike's D1-a-D1 is 10 long but takes 20 > 15; the van's D1-b-D1 takes 20 too
    ev = evaluate(inst, Solution([Route(D1, [A], "bike")]))
    assert ev.routes[0].end_time == pytest.approx(20.0)
    assert "depot-deadline" in [v.rule for v in ev.violations]


# -- rule 8 and per-type limits -----------------------------------------------------------------


def test_a_customer_served_by_a_type_it_does_not_allow_breaks_rule_8(inst):
    ev = evaluate(inst, Solution([Route(D1, [A, B], "van")]))
    assert [(v.rule, v.node) for v in ev.violations] == [("vehicle-type", A)]
    assert "allowed: bike" in str(ev.violations[0])


def test_each_route_is_held_to_its_own_types_capacity_and_distance_limit(inst):
    assert rules(inst, Route(D1, [A], "bike"), Route(D2, [B], "bike")) == ["capacity"]
    limited = instance_from_dict(edited("fleet[1].max_distance", 9))
    assert rules(limited, Route(D1, [A], "bike"), Route(D1, [B], "van")) == ["distance-limit"]


# -- the variant --------------------------------------------------------------------------------


def test_a_fleet_puts_an_h_after_md_in_the_variant_name(inst):
    assert inst.variant.name == "mdhvrptw"  # the van's shift is a time limit
    one_depot = edited("depots", FLEET["depots"][:1])
    one_depot["fleet"][0]["shift"] = None
    assert instance_from_dict(one_depot).variant.name == "hcvrp"
    one_depot["fleet"][1]["max_distance"] = 40
    assert instance_from_dict(one_depot).variant.name == "hvrpl"
