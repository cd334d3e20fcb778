"""The three what-if changes a dispatcher can ask for, read from a line of text.

- ``visit X before Y``: the vehicle goes from customer X straight to customer Y (X is Y's
  predecessor, on whichever route).
- ``move X to route R``: route R (1-based, as `vrp solve` numbers them) keeps its customers
  and gains X, in an order of the engine's choosing; the other routes are re-planned without X.
- ``forbid A->B``: no vehicle drives from A straight to B (A, B: customers or depots).

X, Y, A and B are ids from the instance file. "X somewhere before Y" (precedence without
adjacency) is not offered: no engine here can be told it exactly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from vrp.errors import InputError
from vrp.model.instance import Instance
from vrp.model.solution import Route, Solution

Kind = Literal["before", "move", "forbid"]

_FORMS: tuple[tuple[Kind, re.Pattern[str]], ...] = (
    ("before", re.compile(r"visit\s+(\S+)\s+before\s+(\S+)", re.IGNORECASE)),
    ("move", re.compile(r"move\s+(\S+)\s+to\s+route\s+(\S+)", re.IGNORECASE)),
    ("forbid", re.compile(r"forbid\s+(\S+?)\s*->\s*(\S+)", re.IGNORECASE)),
)
FIELD = "--what-if"


@dataclass(frozen=True)
class Change:
    """A what-if: ``before`` (``a`` straight to ``b``), ``move`` (customer ``a`` to route
    ``b``, 0-based) or ``forbid`` (no edge ``a`` -> ``b``); nodes are node indices."""

    kind: Kind
    a: int
    b: int
    text: str


def parse_change(text: str, inst: Instance, sol: Solution) -> Change:
    """The change ``text`` asks for on the plan ``sol`` (module docstring).

    Raises:
        InputError: (field ``--what-if``) text in none of the three forms, an unknown id,
            a route number out of range, or a change that means nothing here.
    """
    for kind, form in _FORMS:  # noqa: B007 (the matching kind is used after the loop)
        m = form.fullmatch(text.strip())
        if m is not None:
            break
    else:
        raise InputError(
            f'cannot read {text!r}: expected "visit X before Y", "move X to route R" or '
            '"forbid A->B" (X, Y, A, B: ids from the instance; R: a route number)',
            field=FIELD,
        )
    first, second = m.group(1), m.group(2)
    if kind == "move":
        a = _node(inst, first, customer=True)
        n = len(sol.routes)
        if not second.isdigit() or not 1 <= int(second) <= n:
            why = f"route {second!r} does not exist; the plan has routes 1..{n}"
            raise InputError(why, field=FIELD)
        return Change("move", a, int(second) - 1, f"move {first} to route {int(second)}")
    if kind == "before":
        a, b = _node(inst, first, customer=True), _node(inst, second, customer=True)
        if a == b:
            raise InputError(f"{text!r}: a customer cannot come before itself", field=FIELD)
        return Change("before", a, b, f"visit {first} before {second}")
    a, b = _node(inst, first), _node(inst, second)
    D = inst.num_depots
    if a == b or (a < D and b < D):
        raise InputError(f"{text!r}: no route drives from {first} to {second}", field=FIELD)
    if b < D and inst.open:
        raise InputError(f"{text!r}: routes are open, none returns to a depot", field=FIELD)
    return Change("forbid", a, b, f"forbid {first}->{second}")


def _node(inst: Instance, name: str, customer: bool = False) -> int:
    try:
        node = inst.ids.index(name)
    except ValueError:
        kind = "customer" if customer else "customer or depot"
        raise InputError(f"no {kind} has the id {name!r}", field=FIELD) from None
    if customer and node < inst.num_depots:
        raise InputError(f"{name!r} is a depot; a customer is needed here", field=FIELD)
    return node


def arcs(route: Route, open_routes: bool) -> list[tuple[int, int]]:
    """The edges a route drives, from its depot and (unless open) back."""
    path = [route.depot, *route.customers] + ([] if open_routes else [route.depot])
    return list(zip(path[:-1], path[1:], strict=True))


def honours(inst: Instance, sol: Solution, change: Change, group: frozenset[int]) -> bool:
    """Whether ``sol`` does what ``change`` asks; ``group``: for ``move``, the customers that
    must share a route (route R's and X)."""
    if change.kind == "move":
        return any(group <= set(r.customers) for r in sol.routes)
    used = {e for r in sol.routes for e in arcs(r, inst.open)}
    if change.kind == "forbid":
        return (change.a, change.b) not in used
    return (change.a, change.b) in used


def group_of(sol: Solution, change: Change) -> frozenset[int]:
    """For ``move``: route R's customers and X; empty for the other changes."""
    if change.kind != "move":
        return frozenset()
    return frozenset([*sol.routes[change.b].customers, change.a])
