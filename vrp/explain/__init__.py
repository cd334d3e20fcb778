"""Explanations of a plan (`vrp explain`): why each edge, what binds, what if, why infeasible.

The table of contents:

- `explain_plan`, `explain_route` (intentions): each edge's intention by a fixed rule set,
  and each stop's slack (`slack`: time, capacity, distance; which binds).
- `parse_change` (changes), `what_if` (whatif): a change forced on the plan (forced) and
  re-optimised with the same engine and budget.
- `why_instance`, `why_plan` (infeasible): minimal sets of customers and constraints
  that make an instance, or a plan, infeasible.
- `plot_explanation` (draw): the picture; `route_dict`, `what_if_dict`, `reason_dict`
  (report): the JSON.

Every cost and every rule comes from `vrp.model.evaluate.evaluate` (`probe`).
"""

from vrp.explain.changes import Change, parse_change
from vrp.explain.infeasible import Reason, why_instance, why_plan
from vrp.explain.intentions import Edge, RouteExplanation, explain_plan, explain_route
from vrp.explain.whatif import WhatIf, what_if

__all__ = [
    "Change",
    "Edge",
    "Reason",
    "RouteExplanation",
    "WhatIf",
    "explain_plan",
    "explain_route",
    "parse_change",
    "what_if",
    "why_instance",
    "why_plan",
]
