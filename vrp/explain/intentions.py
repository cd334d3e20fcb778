"""Why each edge of a route: its intention, by a fixed rule set that `evaluate` judges.

**Edges to a customer.** For the edge a -> b, the *alternatives* are the other stops still
ahead on the route (at most `MAX_ALTERNATIVES`, the nearest to a): for each, the route with
that stop moved to just after a, the rest in order, is judged by `evaluate`. The first
intention that holds:

- ``last``: b is the only stop left.
- ``window``, ``deadline``, ``load``, ``backhaul``, ``distance`` (*forced*): every
  alternative breaks a rule the route keeps (a time window, the depot deadline, the
  capacity, the backhaul order, the distance limit); named by the rule most of them break.
- ``nearest``: b is the nearest next stop that keeps every rule (a nearer one, if any,
  breaks one).
- ``saving``: a nearer stop keeps every rule too, but every alternative that does makes
  the route longer.
- ``detour``: an alternative keeps every rule and shortens the route: the plan can improve.

**The edge back to the depot** (closed routes). The alternatives are the customers of other
routes (the `MAX_ALTERNATIVES` nearest to the last stop), each added before the return:

- ``window`` ... ``distance`` (*forced*): none of them can be added without breaking a rule.
- ``complete``: every customer is on this route, or those that fit would lengthen the plan
  if moved here (the cheapest such move is named).
- ``detour``: moving one here keeps every rule of both routes and shortens the plan.

Distances are read from the instance's matrix (which stop is nearer); every rule and every
route length comes from `evaluate` (`vrp.explain.probe`).
"""

from __future__ import annotations

from dataclasses import dataclass

from vrp.explain.probe import Judgement, Visit, judge, main_rule, new_breaks, open_copy, visits
from vrp.explain.slack import RouteSlack, route_slack
from vrp.model.evaluate import Violation
from vrp.model.instance import Instance
from vrp.model.solution import Route, Solution

MAX_ALTERNATIVES = 10
"""Most alternatives tried per edge (the nearest): the explanation of a route stays fast."""

INTENTION = {
    "time-window": "window",
    "depot-deadline": "deadline",
    "capacity": "load",
    "backhaul-order": "backhaul",
    "distance-limit": "distance",
    "visits": "visits",
}
WORDS = {
    "time-window": "a time window",
    "depot-deadline": "the depot deadline",
    "capacity": "the load",
    "backhaul-order": "the backhaul order",
    "distance-limit": "the distance limit",
    "visits": "a repeated visit",
}


@dataclass(frozen=True)
class Edge:
    """One edge of a route, its intention and the sentence that says why.

    ``alternative`` is the stop it was compared with (None: none), ``delta`` how much longer
    (> 0) or shorter (< 0) that alternative makes the route (the plan, for a return edge).
    """

    source: int
    target: int
    intention: str
    text: str
    alternative: int | None = None
    delta: float | None = None


@dataclass(frozen=True)
class RouteExplanation:
    """Route ``index`` (0-based in the plan): its edges' intentions, its stops' slack and the
    rules it breaks, if any."""

    index: int
    route: Route
    slack: RouteSlack
    edges: tuple[Edge, ...]
    violations: tuple[Violation, ...]


def describe(inst: Instance, v: Violation) -> str:
    """A violation in words, naming the customer by its id."""
    if v.node is not None and v.node >= inst.num_depots and v.rule != "visits":
        return f"at {inst.ids[v.node]}: {v.message}"
    return v.message


def explain_plan(
    inst: Instance, sol: Solution, routes: list[int] | None = None
) -> list[RouteExplanation]:
    """The explanation of each route of ``sol`` (``routes``: 0-based indices; None: all)."""
    opened = open_copy(inst)
    chosen = range(len(sol.routes)) if routes is None else routes
    return [explain_route(inst, sol, k, opened) for k in chosen]


def explain_route(
    inst: Instance, sol: Solution, k: int, opened: Instance | None = None
) -> RouteExplanation:
    """The explanation of route ``k`` (0-based) of ``sol``."""
    route = sol.routes[k]
    stops = visits(inst, route, opened)
    base = judge(inst, route)
    edges = [_edge(inst, route, i, base) for i in range(len(route.customers))]
    if not inst.open:
        edges.append(_return(inst, sol, k, base))
    slack = route_slack(inst, route, stops)
    return RouteExplanation(k, route, slack, tuple(edges), base.violations)


def _keeps(base: Judgement) -> str:
    """How an alternative that adds no broken rule is described: a route that breaks some
    already does not 'keep every rule'."""
    return "keeps every rule" if base.feasible else "breaks no rule the route keeps"


def _nearest(inst: Instance, source: int, nodes: list[int]) -> list[int]:
    d = inst.distances[source]
    return sorted(nodes, key=lambda c: (float(d[c]), c))[:MAX_ALTERNATIVES]


def _edge(inst: Instance, route: Route, i: int, base: Judgement) -> Edge:
    cust = list(route.customers)
    a = route.depot if i == 0 else cust[i - 1]
    b = cust[i]
    ids, dist = inst.ids, inst.distances[a]
    ahead = cust[i + 1 :]
    if not ahead:
        return Edge(a, b, "last", "the only stop left")
    tried = _nearest(inst, a, ahead)
    of = (
        f"each of the {len(tried)} nearest other stops"
        if len(tried) < len(ahead)
        else "every other stop"
    )
    broken: dict[int, list[Violation]] = {}
    longer: dict[int, float] = {}
    for c in tried:
        rest = [x for x in cust[i:] if x != c]
        alt = judge(inst, Route(route.depot, [*cust[:i], c, *rest]))
        breaks = new_breaks(base, alt)
        if breaks:
            broken[c] = breaks
        else:
            longer[c] = alt.distance - base.distance
    if not longer:
        rule = main_rule([{v.rule for v in vs} for vs in broken.values()])
        c = next(c for c in tried if rule in {v.rule for v in broken[c]})
        v = next(v for v in broken[c] if v.rule == rule)
        text = (
            f"forced by {WORDS[rule]}: {of} left breaks it if visited next "
            f"(e.g. {ids[c]} first, {describe(inst, v)})"
        )
        return Edge(a, b, INTENTION.get(rule, rule), text, c)
    nearer = sorted((c for c in ahead if dist[c] < dist[b]), key=lambda x: float(dist[x]))
    if all(c in broken for c in nearer):  # every nearer stop was tried and breaks a rule
        if nearer:
            c, v = nearer[0], broken[nearer[0]][0]
            text = (
                f"nearest next stop that {_keeps(base)} ({dist[b]:.4g}); {ids[c]} is nearer "
                f"({dist[c]:.4g}) but breaks {WORDS.get(v.rule, 'a rule')} first: "
                f"{describe(inst, v)}"
            )
            return Edge(a, b, "nearest", text, c)
        c = tried[0]
        text = f"nearest of the {len(ahead) + 1} stops left ({dist[b]:.4g}; next {ids[c]} at"
        return Edge(a, b, "nearest", f"{text} {dist[c]:.4g})", c, longer.get(c))
    c = min(longer, key=lambda x: longer[x])
    if longer[c] < -1e-9 * max(1.0, base.distance):
        text = f"going to {ids[c]} first instead {_keeps(base)} and saves {-longer[c]:.4g}"
        return Edge(a, b, "detour", text, c, longer[c])
    near = min((x for x in nearer if x in longer), key=lambda x: float(dist[x]))
    text = (
        f"{ids[near]} is nearer ({dist[near]:.4g}) but going there first makes the route "
        f"{longer[near]:.4g} longer"
    )
    return Edge(a, b, "saving", text, near, longer[near])


def _return(inst: Instance, sol: Solution, k: int, base: Judgement) -> Edge:
    route = sol.routes[k]
    last, depot, ids = route.customers[-1], route.depot, inst.ids
    where = {c: j for j, r in enumerate(sol.routes) if j != k for c in r.customers}
    if not where:
        return Edge(last, depot, "complete", "return: every customer is on this route")
    tried = _nearest(inst, last, list(where))
    broken: dict[int, list[Violation]] = {}
    moves: dict[int, tuple[float, bool]] = {}
    for u in tried:
        grown = judge(inst, Route(depot, [*route.customers, u]))
        breaks = new_breaks(base, grown)
        if breaks:
            broken[u] = breaks
            continue
        other = sol.routes[where[u]]
        left = [c for c in other.customers if c != u]
        before = judge(inst, other)
        after = judge(inst, Route(other.depot, left)) if left else None
        keeps = after is None or not new_breaks(before, after)
        shrunk = 0.0 if after is None else after.distance
        moves[u] = (grown.distance - base.distance + shrunk - before.distance, keeps)
    of = f"the {len(tried)} nearest" if len(tried) < len(where) else "the"
    if not moves:
        rule = main_rule([{v.rule for v in vs} for vs in broken.values()])
        u = next(u for u in tried if rule in {v.rule for v in broken[u]})
        v = next(v for v in broken[u] if v.rule == rule)
        text = (
            f"return forced by {WORDS[rule]}: none of {of} customers of other routes can be "
            f"added (e.g. with {ids[u]}, {describe(inst, v)})"
        )
        return Edge(last, depot, INTENTION.get(rule, rule), text, u)
    good = {u: d for u, (d, keeps) in moves.items() if keeps}
    if not good:  # possible only where a detour saves time or distance (given matrices)
        u = next(iter(moves))
        text = (
            f"return: {ids[u]} would fit, but taking it out of route {where[u] + 1} breaks a "
            "rule there"
        )
        return Edge(last, depot, "complete", text, u)
    u = min(good, key=lambda x: good[x])
    delta = good[u]
    if delta < -1e-9 * max(1.0, base.distance):
        text = (
            f"moving {ids[u]} here from route {where[u] + 1} {_keeps(base)} and shortens "
            f"the plan by {-delta:.4g}"
        )
        return Edge(last, depot, "detour", text, u, delta)
    text = (
        f"return: {ids[u]} (route {where[u] + 1}) would fit, but moving it here lengthens the "
        f"plan by {delta:.4g}"
    )
    return Edge(last, depot, "complete", text, u, delta)


__all__ = ["Edge", "RouteExplanation", "Visit", "describe", "explain_plan", "explain_route"]
