"""Counterfactuals: what a change (`vrp.explain.changes`) costs, forced and re-optimised.

**Forced** (`vrp.explain.forced`): the plan changed as little as possible, nothing
re-optimised; `evaluate` says which rules it breaks that the given plan keeps.

**Re-optimised** (`what_if`): the same engine, time limit and seed solve the instance under
the change, and `evaluate` scores the answer on the original instance. How each change is
put to the engine:

- ``forbid A->B`` and ``visit X before Y`` (every edge into Y but X's forbidden): each
  forbidden edge gets a length above any whole plan's (`penalised`), so every plan that
  uses one costs more than every plan that does not; travel times stay. The engine's answer
  is checked to use none. Engines that need a symmetric matrix (HGS-CVRP) cannot take this
  and say so; `auto` then runs PyVRP. The long edges coarsen PyVRP's integer rounding of
  the other edges by about log10(customers) digits.
- ``move X to route R``: route R's customers with X are solved as an instance of their own
  with one vehicle from R's depot, the other customers with the rest of the fleet (`restrict`),
  the time limit split by the number of customers (at least a fifth each).

The answer compares with the given plan: a re-optimised plan cheaper than the given one means
the given plan was not the best the engine finds, not that the change saves.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from vrp.errors import InputError, SolverError
from vrp.explain.changes import Change, group_of, honours
from vrp.explain.forced import forced_plan
from vrp.explain.infeasible import ORDER_LIMIT, fits_one_route, why_instance
from vrp.explain.intentions import WORDS, describe
from vrp.explain.probe import judge
from vrp.model.evaluate import evaluate
from vrp.model.instance import Instance
from vrp.model.solution import Route, Solution
from vrp.solvers import Budget, Solver, get_solver, refusal, run_solver, solve
from vrp.solvers.checks import check_numbers


@dataclass(frozen=True)
class WhatIf:
    """The answer to one change: the given plan, the forced plan and the re-optimised one.

    ``already``: the given plan does it already (nothing forced or solved). ``breaks``: the
    rules the forced plan breaks that the given plan keeps, in words. ``how``: how the change
    was put to the engine. ``plan`` is None when the engine found none; ``note`` says in one
    line what became of the re-optimisation.
    """

    change: Change
    already: bool
    base_cost: float
    base_routes: int
    forced: Solution
    forced_cost: float
    breaks: tuple[str, ...]
    how: str
    solver: str | None
    plan: Solution | None
    cost: float | None
    feasible: bool
    honoured: bool
    note: str

    @property
    def delta_cost(self) -> float | None:
        return None if self.cost is None else self.cost - self.base_cost

    @property
    def delta_routes(self) -> int | None:
        return None if self.plan is None else len(self.plan.routes) - self.base_routes


def what_if(
    inst: Instance,
    sol: Solution,
    change: Change,
    solver: str | Solver = "auto",
    time_limit: float = 10.0,
    seed: int = 0,
) -> WhatIf:
    """Force ``change`` on ``sol`` and re-optimise under it (module docstring).

    Raises:
        SolverError: the engine cannot express the instance, or the change, exactly.
    """
    engine = get_solver(solver) if isinstance(solver, str) else solver
    check_expressible(inst, change, engine)
    base = evaluate(inst, sol)
    group = group_of(sol, change)
    if honours(inst, sol, change, group):
        return WhatIf(
            change,
            already=True,
            base_cost=base.cost,
            base_routes=len(sol.routes),
            forced=sol,
            forced_cost=base.cost,
            breaks=(),
            how="",
            solver=None,
            plan=sol,
            cost=base.cost,
            feasible=base.feasible,
            honoured=True,
            note="the plan does this already",
        )
    forced = forced_plan(inst, sol, change)
    fev = evaluate(inst, forced)
    seen = {(v.rule, v.node) for v in base.violations}
    breaks = tuple(
        (f"route {v.route + 1}: " if v.route is not None else "")
        + f"{describe(inst, v)}"
        + f" [{v.rule}]"
        for v in fev.violations
        if (v.rule, v.node) not in seen
    )
    impossible = _impossible(inst, sol, change)
    if impossible is not None:
        how, label, plan, note = "", None, None, impossible
    elif change.kind == "move":
        how, label, plan, note = _solve_move(inst, sol, change, engine, time_limit, seed)
    else:
        how, label, plan, note = _solve_penalised(inst, change, engine, time_limit, seed)
    cost, feasible, honoured = None, False, False
    if plan is not None:
        ev = evaluate(inst, plan)
        cost, feasible, honoured = ev.cost, ev.feasible, honours(inst, plan, change, group)
        if not honoured:
            note = f"{label}'s best plan does not do it: no plan that does was found"
        elif not feasible:
            note = f"{label}'s plan breaks a rule: no feasible plan found under the change"
        elif not fev.violations and fev.cost < ev.cost - 1e-9 * max(1.0, ev.cost):
            note = "re-optimised, but the forced plan is cheaper: the search fell short"
    return WhatIf(
        change,
        already=False,
        base_cost=base.cost,
        base_routes=len(sol.routes),
        forced=forced,
        forced_cost=fev.cost,
        breaks=breaks,
        how=how,
        solver=label,
        plan=plan,
        cost=cost,
        feasible=feasible,
        honoured=honoured,
        note=note,
    )


def check_expressible(inst: Instance, change: Change, engine: Solver) -> None:
    """Raise `SolverError` unless ``engine`` can solve ``inst`` under ``change`` exactly."""
    reason = refusal(engine, inst)
    if reason is not None:
        raise SolverError(f"{engine.name} cannot solve {inst.variant.name}: {reason}")
    if change.kind != "move":
        reason = refusal(engine, penalised(inst, change))
        if reason is not None:
            raise SolverError(f"{engine.name} cannot express {change.text!r} exactly: {reason}")


def _impossible(inst: Instance, sol: Solution, change: Change) -> str | None:
    """Why no plan at all can make ``change``, when a small case proves it; else None."""
    ids = inst.ids
    # x then y failing alone proves it only when a detour never saves time or distance (the
    # triangle inequality): certain for distances from coordinates, not for given matrices.
    derived = inst.distance_matrix is None and inst.duration_matrix is None
    if change.kind == "before" and derived:
        pair = [change.a, change.b]
        tries = [judge(inst, Route(d, pair)) for d in range(inst.num_depots)]
        if not any(t.feasible for t in tries):
            v = tries[0].violations[0]
            said = f"{ids[change.a]} then {ids[change.b]}, even alone on a route"
            return f"no plan can do it: {said}, break {WORDS[v.rule]} ({describe(inst, v)})"
    if change.kind == "move":
        route = sol.routes[change.b]
        group = [*route.customers, change.a]
        if len(group) <= ORDER_LIMIT + 1 and not fits_one_route(inst, group, [route.depot]):
            return (
                f"no plan can do it: no order of route {change.b + 1}'s customers with "
                f"{ids[change.a]} keeps every rule"
            )
    return None


# -- re-optimised -----------------------------------------------------------------------------

Outcome = tuple[str, str | None, Solution | None, str]  # how, solver label, plan, note


def penalised(inst: Instance, change: Change) -> Instance:
    """``inst`` with the edges the change forbids longer than any whole plan (travel times
    kept): a plan using one costs more than every plan that does not."""
    dist = np.array(inst.distances, dtype=float)
    if change.kind == "forbid":
        banned = [(change.a, change.b)]
    else:
        banned = [(i, change.b) for i in range(inst.num_nodes) if i not in (change.a, change.b)]
    D = inst.num_depots
    # Each customer leaves once and each route leaves its depot for a different customer.
    bound = float(dist[D:].max(axis=1).sum() + dist[:D, D:].max(axis=0).sum())
    for i, j in banned:
        dist[i, j] = bound + 1.0
    durations = np.array(inst.durations, dtype=float)
    return dataclasses.replace(inst, distance_matrix=dist, duration_matrix=durations)


def _solve_penalised(
    inst: Instance, change: Change, engine: Solver, time_limit: float, seed: int
) -> Outcome:
    changed = penalised(inst, change)
    n = 1 if change.kind == "forbid" else inst.num_nodes - 2
    how = f"{n} edge{'s' if n > 1 else ''} made longer than any plan, the answer checked"
    check_numbers(changed)
    result = run_solver(changed, engine, Budget(time_limit), seed)
    note = "re-optimised" if result.solution is not None else "no plan found within the limit"
    return how, result.solver, result.solution, note


def _solve_move(
    inst: Instance, sol: Solution, change: Change, engine: Solver, time_limit: float, seed: int
) -> Outcome:
    target = sol.routes[change.b]
    group = [c for c in target.customers if c != change.a] + [change.a]
    rest = [c for c in inst.customers if c not in set(group)]
    how = (
        f"route {change.b + 1} with {inst.ids[change.a]} solved alone with one vehicle, "
        f"the other customers with the rest of the fleet"
    )
    count = inst.vehicle_count
    if rest and count == 1:
        return how, None, None, "no vehicle is left for the other customers (vehicles.count 1)"
    # split by customers, at least a fifth of the limit each: an engine needs a moment
    share = time_limit * min(0.8, max(0.2, len(group) / inst.num_customers)) if rest else time_limit
    parts: list[tuple[list[int], list[int], int | None, float]] = [
        ([target.depot], group, 1, share)
    ]
    if rest:
        left = None if count is None else count - 1
        parts.append((list(range(inst.num_depots)), rest, left, time_limit - share))
    routes: list[Route] = []
    labels = []
    whose = [f"route {change.b + 1} with {inst.ids[change.a]} on one vehicle", "the others"]
    for (depots, customers, n, limit), who in zip(parts, whose, strict=False):
        sub, nodes = restrict(inst, depots, customers, n)
        try:
            result = solve(sub, engine, limit, seed)
        except InputError as e:
            said = "; ".join(r.text for r in why_instance(sub)) or e.detail
            return how, None, None, f"no plan can do it: {who}: {said}"
        labels.append(result.solver)
        if result.solution is None or not result.feasible:
            return how, " + ".join(labels), None, "no feasible plan found within the limit"
        routes += [
            Route(nodes[r.depot], [nodes[c] for c in r.customers]) for r in result.solution.routes
        ]
    return how, " + ".join(labels), Solution(routes), "re-optimised"


def restrict(
    inst: Instance, depots: list[int], customers: list[int], vehicle_count: int | None
) -> tuple[Instance, list[int]]:
    """The instance of only these depots and customers (and fleet count), and the original
    node of each of its nodes."""
    nodes = [*depots, *customers]
    ix = np.ix_(nodes, nodes)

    def cut(m: np.ndarray | None) -> np.ndarray | None:
        return None if m is None else np.asarray(m)[ix]

    sub = dataclasses.replace(
        inst,
        num_depots=len(depots),
        locations=None if inst.locations is None else np.asarray(inst.locations)[nodes],
        delivery=inst.delivery[nodes],
        pickup=inst.pickup[nodes],
        service_time=inst.service_time[nodes],
        tw_early=inst.tw_early[nodes],
        tw_late=inst.tw_late[nodes],
        vehicle_count=vehicle_count,
        distance_matrix=cut(inst.distance_matrix),
        duration_matrix=cut(inst.duration_matrix),
        ids=tuple(inst.ids[n] for n in nodes),
    )
    return sub, nodes


__all__ = ["WhatIf", "check_expressible", "penalised", "restrict", "what_if"]
