#!/usr/bin/env python
"""Three ways tried to make OR-Tools' local search see the mixed-backhaul load rule.

    .venv/bin/python scripts/ortools_mixed_probes.py filter --variant vrpmb --limit 3 --seeds 1,2,3
    .venv/bin/python scripts/ortools_mixed_probes.py classes --variant ovrpmb --limit 4 \\
        --seeds 1,2,3 --k 2,4,8
    .venv/bin/python scripts/ortools_mixed_probes.py bounds --variant ovrpmb --limit 4 \\
        --seeds 1,2,3,4,5,6
    .venv/bin/python scripts/ortools_mixed_probes.py log --variant ovrpmb --limit 3 --seeds 1

The adapter (`vrp.solvers.ortools`) enforces "deliveries still on board + pickups so far <=
Q" with per-node sums that only the CP check sees; its local-search filters pass moves that
break it. Each probe patches the adapter, solves generated instances (n = 100, engine seed
0, ``--limit`` wall-clock seconds) with and without the patch, and prints the costs:

- ``filter``: a local-search filter in Python (`routing.AddLocalSearchFilter` with an
  ``IntVarLocalSearchFilter`` subclass) that checks the exact rule on the routes a move
  touches; it also counts its calls.
- ``classes``: K classes of vehicles whose free-start load dimension may start only in
  [cQ/K, (c+1)Q/K] (and whose deliveries at most (c+1)Q/K), so the filters see a relaxation
  at most Q/K loose; the CP sums keep the rule exact.
- ``bounds``: per-node bounds that the filters do check, implied by the rule: on arrival at
  a customer with pickup p and delivery d the deliveries still on board are at most
  Q - p + d, and the pickups so far at most Q - d. Exact for the first pickup of a route,
  loose after it.

``log`` changes nothing: it runs the adapter with OR-Tools' search log on and counts, per
instance, the searches of the iterated local search (one per ruin-and-recreate, plus the
first), those that ended without a solution, and the neighbours generated, passed by the
filters and accepted by the CP check.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import tempfile
from typing import Any

import vrp.solvers.ortools as ortools
from vrp.errors import InputError
from vrp.evaluate import evaluate
from vrp.generate import generate
from vrp.variants import parse_variant

_model, _fleet, _mixed_load = ortools._model, ortools._fleet, ortools._mixed_load


def _filter_class() -> Any:
    from ortools.constraint_solver import pywrapcp

    class MixedLoadFilter(pywrapcp.IntVarLocalSearchFilter):
        """Rejects a move whose touched routes break the mixed load rule."""

        def __init__(self, routing: Any, manager: Any, data: Any):
            size = routing.Size()
            super().__init__([routing.NextVar(i) for i in range(size)])
            self.size, self.calls = size, 0
            vehicles = routing.vehicles()
            self.starts = [routing.Start(v) for v in range(vehicles)]
            total = size + vehicles
            self.is_end = [False] * total
            for v in range(vehicles):
                self.is_end[routing.End(v)] = True
            node = [manager.IndexToNode(i) for i in range(total)]
            customer = [not routing.IsStart(i) and not self.is_end[i] for i in range(total)]
            self.d = [data.delivery[n] if customer[i] else 0 for i, n in enumerate(node)]
            self.p = [data.pickup[n] if customer[i] else 0 for i, n in enumerate(node)]
            self.capacity = data.capacity
            self.nxt = list(range(size))
            self.start_of = [-1] * total
            self.synced = False

        def IsIncremental(self) -> bool:  # noqa: N802 (OR-Tools' name)
            return False

        def _walk(self, s: int) -> bool:
            self.start_of[s] = s
            i, steps = self.nxt[s], 0
            while not self.is_end[i]:
                self.start_of[i] = s
                i, steps = self.nxt[i], steps + 1
                if steps > self.size:
                    return False
            return True

        def Synchronize(self, assignment: Any, delta: Any) -> None:  # noqa: N802
            pywrapcp.IntVarLocalSearchFilter.Synchronize(self, assignment, delta)
            if delta is None or delta.Empty() or not self.synced:
                self.nxt = [self.Value(i) for i in range(self.size)]
                self.start_of = [-1] * len(self.start_of)
                self.synced = all(self._walk(s) for s in self.starts)
                return
            container, touched = delta.IntVarContainer(), set()
            for k in range(container.Size()):
                idx = self.IndexFromVar(container.Element(k).Var())
                if self.start_of[idx] >= 0:
                    touched.add(self.start_of[idx])
                self.nxt[idx] = self.Value(idx)
            self.start_of = [-1 if s in touched else s for s in self.start_of]
            self.synced = all(self._walk(s) for s in touched)

        def Accept(self, delta: Any, deltadelta: Any, lo: int, hi: int) -> bool:  # noqa: N802
            self.calls += 1
            if not self.synced:
                return True
            container, changed = delta.IntVarContainer(), {}
            for k in range(container.Size()):
                element = container.Element(k)
                if not element.Bound():
                    return True
                changed[self.IndexFromVar(element.Var())] = element.Value()
            for s in {self.start_of[i] for i in changed if self.start_of[i] >= 0}:
                route, i = [], changed.get(s, self.nxt[s])
                while not self.is_end[i]:
                    route.append(i)
                    i = changed.get(i, self.nxt[i])
                    if len(route) > self.size:
                        return True
                load = sum(self.d[i] for i in route)
                if load > self.capacity:
                    return False
                for i in route:
                    load += self.p[i] - self.d[i]
                    if load > self.capacity:
                        return False
            return True

    return MixedLoadFilter


def _patch_filter(made: list) -> None:
    cls = _filter_class()

    def model(inst: Any, data: Any, manager: Any, routing: Any, depots: list[int]) -> None:
        _model(inst, data, manager, routing, depots)
        made.append(cls(routing, manager, data))
        routing.AddLocalSearchFilter(made[-1])

    ortools._model = model


def _patch_classes(k: int) -> None:
    def fleet(inst: Any) -> list[int]:
        per = max(4, math.ceil(len(_fleet(inst)) / inst.num_depots / k))
        return [d for d in range(inst.num_depots) for _ in range(per * k)]

    def mixed_load(data: Any, routing: Any, vehicles: range, load_dimension: Any) -> None:
        _mixed_load(data, routing, vehicles, load_dimension)
        transit = [p - d for p, d in zip(data.pickup, data.delivery, strict=True)]
        load = load_dimension(transit, "load", start_at_zero=False)
        remaining = routing.GetDimensionOrDie("remaining")
        for v in vehicles:
            c = v % k
            lo, hi = c * data.capacity // k, (c + 1) * data.capacity // k
            remaining.CumulVar(routing.Start(v)).SetRange(0, hi)  # empty vehicles: 0
            load.CumulVar(routing.Start(v)).SetRange(lo, hi)

    ortools._fleet, ortools._mixed_load = fleet, mixed_load


def _patch_bounds() -> None:
    managers: list = []

    def model(inst: Any, data: Any, manager: Any, routing: Any, depots: list[int]) -> None:
        managers.append(manager)
        _model(inst, data, manager, routing, depots)

    def mixed_load(data: Any, routing: Any, vehicles: range, load_dimension: Any) -> None:
        _mixed_load(data, routing, vehicles, load_dimension)
        remaining = routing.GetDimensionOrDie("remaining")
        picked = routing.GetDimensionOrDie("picked")
        q = data.capacity
        for index in range(routing.Size()):
            if routing.IsStart(index):
                continue
            node = managers[-1].IndexToNode(index)
            d, p = data.delivery[node], data.pickup[node]
            if p > 0:
                remaining.CumulVar(index).SetMax(min(q, q - p + d))
            if d > 0:
                picked.CumulVar(index).SetMax(q - d)

    ortools._model, ortools._mixed_load = model, mixed_load


def _search_log(inst: Any, limit: float) -> str:
    """OR-Tools' search log of one adapter run (it writes to file descriptor 2)."""
    adapter = ortools._parameters

    def parameters(*args: Any) -> Any:
        params, use_ils = adapter(*args)
        params.log_search = True
        return params, use_ils

    ortools._parameters = parameters
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            ortools.ORToolsSolver().solve(inst, limit, 0)
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            ortools._parameters = adapter
        tmp.seek(0)
        return tmp.read().decode(errors="replace")


def _log_counts(text: str) -> str:
    searches = failed = 0
    found = False
    for line in text.splitlines():
        if "] Start search" in line:
            searches, found = searches + 1, False
        elif "] Solution #" in line:
            found = True
        elif "] End search" in line and not found:
            failed += 1
    last = re.findall(
        r"neighbors = (\d+), filtered neighbors = (\d+), accepted neigh?bors = (\d+)", text
    )
    n, f, a = last[-1] if last else ("?", "?", "?")
    return (
        f"{searches} searches, {failed} without a solution; neighbours {n}, "
        f"passed the filters {f}, accepted {a}"
    )


def _restore() -> None:
    ortools._model, ortools._fleet, ortools._mixed_load = _model, _fleet, _mixed_load


def _cost(inst: Any, limit: float) -> float:
    sol = ortools.ORToolsSolver().solve(inst, limit, 0)
    ev = evaluate(inst, sol) if sol is not None else None
    return ev.cost if ev is not None and ev.feasible else math.nan


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("probe", choices=("filter", "classes", "bounds", "log"))
    ap.add_argument("--variant", default="vrpmb")
    ap.add_argument("--limit", type=float, default=3.0)
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--k", default="2,4,8", help="classes: the numbers of classes to try")
    args = ap.parse_args()
    try:
        seeds = [int(s) for s in args.seeds.split(",")]
        ks = [int(k) for k in args.k.split(",")]
    except ValueError:
        ap.error("--seeds and --k take comma-separated integers")
    try:
        variant = parse_variant(args.variant).name
    except InputError as e:
        ap.error(f"--variant: {e.detail}")
    instances = [generate(variant, 100, seed=s) for s in seeds]
    if args.probe == "log":
        for inst in instances:
            print(f"{inst.name}: {_log_counts(_search_log(inst, args.limit))}")
        return
    base = [_cost(inst, args.limit) for inst in instances]
    print(f"{args.variant} adapter: {' '.join(f'{c:.3f}' for c in base)}")
    settings: list[str | int] = [args.probe] if args.probe != "classes" else list(ks)
    for setting in settings:
        made: list = []
        if setting == "filter":
            _patch_filter(made)
        elif setting == "bounds":
            _patch_bounds()
        else:
            _patch_classes(int(setting))
        costs = [_cost(inst, args.limit) for inst in instances]
        _restore()
        ratio = sum(c / b for c, b in zip(costs, base, strict=True)) / len(base)
        label = setting if isinstance(setting, str) else f"K = {setting}"
        calls = (
            f"; filter calls per run {sum(f.calls for f in made) / len(made):.0f}" if made else ""
        )
        print(
            f"{args.variant} {label}: {' '.join(f'{c:.3f}' for c in costs)} "
            f"(mean ratio to the adapter {ratio:.3f}{calls})"
        )


if __name__ == "__main__":
    main()
