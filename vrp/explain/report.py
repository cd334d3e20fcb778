"""The JSON of an explanation (``vrp explain --json``): plain dicts, nodes named by their ids.

A number without a limit (a slack where nothing limits it) is null, as JSON has no infinity.
"""

from __future__ import annotations

import math
from typing import Any

from vrp.explain.infeasible import Reason
from vrp.explain.intentions import RouteExplanation, describe
from vrp.explain.whatif import WhatIf
from vrp.model.instance import Instance
from vrp.model.solution import Solution


def _num(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(f"{x:.12g}")


def _id(inst: Instance, node: int | None) -> str | None:
    return None if node is None else inst.ids[node]


def route_dict(inst: Instance, e: RouteExplanation) -> dict[str, Any]:
    """One explained route: its limits, each stop's times and slack, each edge's intention."""
    s = e.slack
    stops = [
        {
            "id": inst.ids[st.visit.node],
            "node": st.visit.node,
            "arrival": _num(st.visit.arrival),
            "start": _num(st.visit.start),
            "wait": _num(st.visit.wait),
            "departure": _num(st.visit.departure),
            "load": _num(st.visit.load),
            "slack": {
                "time": _num(st.time),
                "time_bound_by": _id(inst, st.time_bound),
                "capacity": _num(st.capacity),
            },
            "tightest": st.tightest or None,
            "binding": st.binding,
            "broken": st.broken,
        }
        for st in s.stops
    ]
    edges = [
        {
            "from": inst.ids[x.source],
            "to": inst.ids[x.target],
            "intention": x.intention,
            "text": x.text,
            "alternative": _id(inst, x.alternative),
            "delta": _num(x.delta),
        }
        for x in e.edges
    ]
    return {
        "route": e.index + 1,
        "depot": inst.ids[e.route.depot],
        "distance": _num(s.distance),
        "distance_slack": _num(s.distance_slack),
        "end_time": _num(s.end_time),
        "deadline_slack": _num(s.deadline_slack),
        "peak_load": _num(s.peak_load),
        "capacity": _num(inst.capacity),
        "stops": stops,
        "edges": edges,
        "violations": [
            {"rule": v.rule, "node": _id(inst, v.node), "text": describe(inst, v)}
            for v in e.violations
        ],
    }


def reason_dict(inst: Instance, r: Reason) -> dict[str, Any]:
    """One cause of infeasibility."""
    return {
        "rule": r.rule,
        "customers": [inst.ids[c] for c in r.customers],
        "constraints": list(r.constraints),
        "text": r.text,
    }


def _routes(sol: Solution | None) -> list[dict[str, Any]] | None:
    if sol is None:
        return None
    return [{"depot": r.depot, "customers": list(r.customers)} for r in sol.routes]


def what_if_dict(w: WhatIf) -> dict[str, Any]:
    """One what-if: the costs and route counts of the given, forced and re-optimised plans."""
    return {
        "change": w.change.text,
        "already": w.already,
        "cost": {
            "given": _num(w.base_cost),
            "forced": _num(w.forced_cost),
            "reoptimised": _num(w.cost),
            "difference": _num(w.delta_cost),
        },
        "routes": {
            "given": w.base_routes,
            "reoptimised": None if w.plan is None else len(w.plan.routes),
            "difference": w.delta_routes,
        },
        "forced_breaks": list(w.breaks),
        "how": w.how or None,
        "solver": w.solver,
        "feasible": w.feasible,
        "honoured": w.honoured,
        "note": w.note,
        "plan": _routes(w.plan),
    }
