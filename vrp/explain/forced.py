"""A what-if forced on the plan: the change made, nothing else re-optimised.

- ``visit X before Y``: X taken out and put in just before Y.
- ``move X to route R``: X taken out and put in route R where `evaluate` finds the plan
  cheapest, feasible positions first.
- ``forbid A->B``: B (A, when B is a depot) taken out and put where `evaluate` finds the plan
  cheapest, feasible first, anywhere but right after A (a route of its own included).
"""

from __future__ import annotations

from collections.abc import Callable

from vrp.errors import InputError
from vrp.explain.changes import FIELD, Change, honours
from vrp.model.evaluate import evaluate
from vrp.model.instance import Instance
from vrp.model.solution import Route, Solution


def forced_plan(inst: Instance, sol: Solution, change: Change) -> Solution:
    """The plan with the change made and nothing re-optimised (module docstring)."""
    if change.kind == "before":
        x, y = change.a, change.b
        routes = _without(sol, x)
        k = next((k for k, (_, cust) in enumerate(routes) if y in cust), None)
        if k is None:
            raise InputError(f"{inst.ids[y]} is on no route of the plan", field=FIELD)
        routes[k][1].insert(routes[k][1].index(y), x)
        return _plan(routes)
    if change.kind == "move":
        routes = _without(sol, change.a)
        return _best(inst, routes, change.a, [change.b], _anywhere)
    x = change.b if change.b >= inst.num_depots else change.a
    routes = _without(sol, x)

    def allowed(plan: Solution) -> bool:
        return honours(inst, plan, change, frozenset())

    return _best(inst, routes, x, list(range(len(routes))), allowed, alone=True)


Routes = list[tuple[int, list[int]]]


def _without(sol: Solution, x: int) -> Routes:
    """The routes without ``x``, an emptied route kept (as ``[]``) so indices stay."""
    return [(r.depot, [c for c in r.customers if c != x]) for r in sol.routes]


def _plan(routes: Routes) -> Solution:
    return Solution(Route(d, c) for d, c in routes if c)


def _anywhere(plan: Solution) -> bool:
    return True


def _best(
    inst: Instance,
    routes: Routes,
    x: int,
    where: list[int],
    allowed: Callable[[Solution], bool],
    alone: bool = False,
) -> Solution:
    """The cheapest plan, feasible ones first, with ``x`` put in a route of ``where`` (or,
    with ``alone``, on a new route from any depot) that ``allowed`` accepts."""
    options = []
    for k in where:
        d, cust = routes[k]
        for i in range(len(cust) + 1):
            changed = list(routes)
            changed[k] = (d, [*cust[:i], x, *cust[i:]])
            options.append(_plan(changed))
    if alone:
        options += [_plan([*routes, (d, [x])]) for d in range(inst.num_depots)]
    scored = []
    for n, plan in enumerate(options):
        if allowed(plan):
            ev = evaluate(inst, plan)
            scored.append((not ev.feasible, ev.cost, n))
    if not scored:
        raise InputError("no plan can do this: every place for the customer breaks it", field=FIELD)
    return options[min(scored)[2]]
