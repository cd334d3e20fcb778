"""Tiny fake engines for the benchmark tests: each one fails (or succeeds) in one known way.

`register()` adds them to the solver registry under ``fake-*`` names; worker processes are
forked, so they see the same registry.
"""

from __future__ import annotations

import os
import time

from vrp.model.instance import Instance
from vrp.model.solution import Route, Solution
from vrp.model.variants import Variant
from vrp.solvers import registry


def _alone(instance: Instance) -> Solution:
    """Every customer on a route of its own from depot 0: feasible on generated instances."""
    return Solution(Route(0, [c]) for c in range(instance.num_depots, instance.num_nodes))


class _Fake:
    name = "fake"

    def unsupported(self, variant: Variant) -> str | None:
        return None


class Alone(_Fake):
    name = "fake-alone"

    def solve(self, instance, budget, seed=0, progress=None):
        return _alone(instance)


class Sleepy(_Fake):
    """Takes a little wall time (not CPU) per run, so that a run can be interrupted."""

    name = "fake-sleepy"

    def solve(self, instance, budget, seed=0, progress=None):
        time.sleep(0.4)
        return _alone(instance)


class Overloaded(_Fake):
    """All customers on one route: breaks the capacity rule on any instance with load > Q."""

    name = "fake-overloaded"

    def solve(self, instance, budget, seed=0, progress=None):
        return Solution([Route(0, range(instance.num_depots, instance.num_nodes))])


class Raises(_Fake):
    name = "fake-raises"

    def solve(self, instance, budget, seed=0, progress=None):
        raise RuntimeError("engine exploded")


class Nothing(_Fake):
    name = "fake-nothing"

    def solve(self, instance, budget, seed=0, progress=None):
        return None


class Dies(_Fake):
    name = "fake-dies"

    def solve(self, instance, budget, seed=0, progress=None):
        os._exit(3)


class Hangs(_Fake):
    name = "fake-hangs"

    def solve(self, instance, budget, seed=0, progress=None):
        time.sleep(60)


class Refuses(_Fake):
    name = "fake-refuses"

    def unsupported(self, variant: Variant) -> str | None:
        return "fakes do not do this"


FAKES = (Alone, Sleepy, Overloaded, Raises, Nothing, Dies, Hangs, Refuses)


def register() -> None:
    for cls in FAKES:
        registry._ENGINES[cls.name] = (__name__, cls.__name__)
