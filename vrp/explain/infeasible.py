"""Why no plan, or this plan, is feasible: minimal sets of customers and constraints
responsible, in words.

**An instance** (`why_instance`), by these rules, each judged by `evaluate` on small routes
(the rule, then who is responsible):

- ``unreachable`` (a customer, its window): served alone from any depot, its service would
  start after its window closes.
- ``late-return`` (a customer, the depot deadline): served alone from any depot, the vehicle
  is back after the deadline.
- ``too-far`` (a customer, ``vehicles.max_distance``): its round trip alone, from any depot,
  is longer than the limit.
- ``alone`` (a customer): alone it breaks a mix of these rules, depending on the depot.
- ``fleet`` (``vehicles.count``, ``vehicles.capacity``): count x Q is less than the total
  delivery or pickup (as `check_solvable` finds).
- ``incompatible`` (count + 1 customers, ``vehicles.count``): no two of them can share a
  route (each pair, in both orders, from every depot, breaks a rule), so they need more
  vehicles than there are.

`vrp.solvers.checks.check_solvable` screens first: when it finds nothing, no customer breaks
a rule alone. Like it, these rules take a route with more customers to arrive no earlier and
travel no less (the triangle inequality, certain for distances from coordinates). The
`incompatible` rule looks for the customers greedily (largest number of incompatible partners
first), on instances with a fleet count and at most `PAIR_LIMIT` customers, when the
``fleet`` rule does not apply already; it can miss a set, never report a false one. A demand
above the capacity is rejected when the instance is read (``customers[k].delivery``), before
any of this. An empty list means that no rule of this set proves the instance infeasible.

**A plan** (`why_plan`): customers not visited or visited twice, more routes than
``vehicles.count``, and for each rule a route breaks, a minimal subset of its customers
that, kept in the route's order, still breaks it (customers dropped one at a time while the
rule stays broken). When that set has at most `ORDER_LIMIT` customers, every order from every
depot is tried too: if none keeps the rules, they cannot share any vehicle.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from vrp.errors import InputError
from vrp.explain.intentions import WORDS, describe
from vrp.explain.probe import RULE_ORDER, Judgement, judge, open_copy, visits
from vrp.model.evaluate import evaluate
from vrp.model.instance import Instance, node_field
from vrp.model.solution import Route, Solution
from vrp.solvers.checks import check_solvable

PAIR_LIMIT = 150
"""Most customers for the pairwise `incompatible` rule (pairs x orders x depots routes)."""
ORDER_LIMIT = 5
"""Most customers in a minimal set whose every order is tried."""


@dataclass(frozen=True)
class Reason:
    """One cause of infeasibility: its rule, the customers (nodes) and the FORMAT.md fields
    responsible, and a sentence."""

    rule: str
    customers: tuple[int, ...]
    constraints: tuple[str, ...]
    text: str


def why_instance(inst: Instance) -> list[Reason]:
    """The reasons no plan of ``inst`` can be feasible (module docstring); empty: none found."""
    try:
        check_solvable(inst)
        screened = None
    except InputError as e:
        screened = e
    out = [] if screened is None else _alone(inst)
    if screened is not None and screened.field == "vehicles.count":
        fields = ("vehicles.count", "vehicles.capacity")
        out.append(Reason("fleet", (), fields, f"the fleet is too small: {screened.detail}"))
    elif screened is not None and not out:  # check_solvable saw more than these rules
        out.append(Reason("alone", (), (), str(screened)))
    fleet = any(r.rule == "fleet" for r in out)
    if inst.vehicle_count is not None and inst.num_customers <= PAIR_LIMIT and not fleet:
        skip = {c for r in out for c in r.customers}
        clique = _incompatible(inst, [c for c in inst.customers if c not in skip])
        if len(clique) > inst.vehicle_count:
            names = ", ".join(inst.ids[c] for c in clique)
            text = (
                f"customers {names} cannot share a vehicle, no two of them in either order: "
                f"they need {len(clique)} vehicles, vehicles.count is {inst.vehicle_count}"
            )
            out.append(Reason("incompatible", tuple(clique), ("vehicles.count",), text))
    return out


def _alone(inst: Instance) -> list[Reason]:
    """Customers that break a rule even alone on a route, from every depot."""
    opened, out = open_copy(inst), []
    for c in inst.customers:
        tries = [judge(inst, Route(d, [c])) for d in range(inst.num_depots)]
        if any(t.feasible for t in tries):
            continue
        rules = set.intersection(*(t.rules for t in tries))
        name = inst.ids[c]
        if "time-window" in rules:
            start = min(visits(inst, Route(d, [c]), opened)[0].start for d in range(len(tries)))
            text = (
                f"customer {name}'s window closes before any vehicle can reach it: earliest "
                f"start {start:.6g} > latest {inst.tw_late[c]:.6g}"
            )
            out.append(Reason("unreachable", (c,), (_field(inst, c, "time_window"),), text))
            continue
        stats = [t.stats for t in tries if t.stats is not None]
        if "depot-deadline" in rules:
            d = min(range(len(tries)), key=lambda d: _late_by(inst, d, tries[d]))
            back, late = _end(tries[d]), float(inst.tw_late[d])
            at = f" at {inst.ids[d]}" if inst.num_depots > 1 else ""
            text = (
                f"serving customer {name}, no vehicle is back at its depot in time: earliest "
                f"return{at} {back:.6g} > latest {late:.6g}"
            )
            fields = tuple(_field(inst, d, "time_window") for d in range(inst.num_depots))
            out.append(Reason("late-return", (c,), fields, text))
        elif "distance-limit" in rules:
            trip = min(st.distance for st in stats)
            text = (
                f"customer {name} is too far: its shortest round trip {trip:.6g} > "
                f"vehicles.max_distance {inst.max_distance:.6g}"
            )
            out.append(Reason("too-far", (c,), ("vehicles.max_distance",), text))
        else:
            said = "; ".join(f"from {inst.ids[d]}: {_rules(t.rules)}" for d, t in enumerate(tries))
            out.append(Reason("alone", (c,), (), f"customer {name} cannot be served: {said}"))
    return out


def _end(t: Judgement) -> float:
    return math.inf if t.stats is None else t.stats.end_time


def _late_by(inst: Instance, depot: int, t: Judgement) -> float:
    return _end(t) - float(inst.tw_late[depot])


def _field(inst: Instance, node: int, name: str) -> str:
    return f"{node_field(inst.num_depots, node)}.{name}"


def _rules(rules: set[str]) -> str:
    return ", ".join(WORDS.get(r, r) for r in RULE_ORDER if r in rules) or "a rule"


def _compatible(inst: Instance, a: int, b: int) -> bool:
    return any(
        judge(inst, Route(d, order)).feasible
        for d in range(inst.num_depots)
        for order in ((a, b), (b, a))
    )


def _incompatible(inst: Instance, customers: list[int]) -> list[int]:
    """A set of customers no two of which can share a route, found greedily."""
    clash: dict[int, set[int]] = {c: set() for c in customers}
    for a, b in itertools.combinations(customers, 2):
        if not _compatible(inst, a, b):
            clash[a].add(b)
            clash[b].add(a)
    best: list[int] = []
    for seed in sorted(customers, key=lambda c: -len(clash[c])):
        if len(clash[seed]) < len(best):
            break
        group = [seed]
        for c in sorted(clash[seed], key=lambda c: -len(clash[c])):
            if all(c in clash[g] for g in group):
                group.append(c)
        if len(group) > len(best):
            best = group
    return sorted(best) if len(best) > 1 else []


def why_plan(inst: Instance, sol: Solution) -> list[Reason]:
    """The reasons ``sol`` is infeasible (module docstring); empty when it is feasible."""
    ev = evaluate(inst, sol)
    ids, out = inst.ids, []
    for v in ev.violations:
        if v.rule == "visits" and v.node is not None and v.route is None:
            text = f"customer {ids[v.node]} is not visited"
            out.append(Reason("unvisited", (v.node,), (), text))
        elif v.rule == "visits" and v.node is not None:
            again = "" if v.route is None else f" (again on route {v.route + 1})"
            text = f"customer {ids[v.node]} is visited more than once{again}"
            out.append(Reason("repeated", (v.node,), (), text))
        elif v.rule == "fleet-size":
            out.append(Reason("fleet-size", (), ("vehicles.count",), f"the plan has {v.message}"))
    for k, route in enumerate(sol.routes):
        broken = judge(inst, route).rules - {"visits"}
        for rule in [r for r in RULE_ORDER if r in broken]:
            out.append(_minimal(inst, k, route, rule))
    return out


def _minimal(inst: Instance, k: int, route: Route, rule: str) -> Reason:
    keep = list(route.customers)
    for c in route.customers:
        trial = [x for x in keep if x != c]
        if trial and rule in judge(inst, Route(route.depot, trial)).rules:
            keep = trial
    v = next(v for v in judge(inst, Route(route.depot, keep)).violations if v.rule == rule)
    names = ", ".join(inst.ids[c] for c in keep)
    fits = len(keep) > ORDER_LIMIT or fits_one_route(inst, keep)
    if len(keep) == 1:
        text = f"route {k + 1}: customer {names} alone breaks {WORDS[rule]}"
        also = "from another depot it would not" if fits else "from any depot"
    else:
        text = f"route {k + 1}: customers {names}, in this order, break {WORDS[rule]}"
        also = "another order keeps every rule" if fits else "no order lets them share a vehicle"
        if len(keep) > ORDER_LIMIT:
            also = f"other orders of these {len(keep)} customers were not tried"
    text += f": {describe(inst, v)}; {also}"
    if rule in ("time-window", "depot-deadline") and v.node is not None:
        field = _field(inst, v.node, "time_window")
    else:
        field = _FIELD.get(rule, "")
    return Reason(rule, tuple(keep), (field,) if field else (), text)


_FIELD = {
    "capacity": "vehicles.capacity",
    "distance-limit": "vehicles.max_distance",
    "backhaul-order": "backhaul",
}


def fits_one_route(inst: Instance, customers: list[int], depots: list[int] | None = None) -> bool:
    """Whether some order of ``customers`` from some depot (of ``depots``; None: any) keeps
    every rule: all orders are tried, so keep the list short (`ORDER_LIMIT`)."""
    return any(
        judge(inst, Route(d, order)).feasible
        for d in (range(inst.num_depots) if depots is None else depots)
        for order in itertools.permutations(customers)
    )
