"""The one solver interface: every engine is a `Solver`, every answer a checked `SolveResult`.

An engine returns routes only. `run_solver` times it, and `evaluate()` alone decides the cost
and the feasibility of what it returned: an engine's own objective is never reported.

Time budget (`Budget`): ``time_limit`` is a budget of **CPU seconds of this process**, so
that results do not depend on how busy a shared machine is, capped at
``WALL_CAP_FACTOR * time_limit`` wall-clock seconds so that a run on a crowded machine still
returns. On an idle machine the two coincide. Two engines differ, and say so in their
results' runtimes: HGS-CVRP cannot be stopped from Python and applies its own CPU-time limit,
with no wall cap (a 2 s run took 8 s of wall time on a loaded machine); OR-Tools' iterated
local search (its default here) obeys only its own **wall-clock** limit, so on a busy
machine it gets less CPU than PyVRP at the same nominal limit (its guided local search
follows `Budget`, see `vrp.solvers.ortools`).

Ctrl-C: inside `stop_on_interrupt()` (which `solve` enters when asked) the first SIGINT only
sets a flag that `Budget.expired()` reads, so an engine that checks its budget returns the
best routes found so far; a second Ctrl-C raises `KeyboardInterrupt` as usual.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from vrp.errors import InputError, SolverError
from vrp.evaluate import Evaluation, evaluate
from vrp.instance import Instance
from vrp.solution import Solution
from vrp.variants import Variant

# progress(elapsed_s, best_cost_or_None) is called from time to time by engines that can.
Progress = Callable[[float, float | None], None]

WALL_CAP_FACTOR = 1.5
"""A run stops after ``WALL_CAP_FACTOR * time_limit`` wall seconds even if CPU time is left.
Benchmark scripts raise it so that engines get equal CPU time on a crowded machine."""


class Solver(Protocol):
    """An engine behind the registry.

    An engine may also define ``unsupported_instance(instance) -> str | None`` for rules it
    cannot express that the variant name does not show (a fleet count shared by several
    depots, an asymmetric matrix); `refusal` asks both.
    """

    name: str

    def unsupported(self, variant: Variant) -> str | None:
        """Why this engine cannot express ``variant`` exactly, or None when it can."""
        ...

    def solve(
        self,
        instance: Instance,
        time_limit: float,
        seed: int = 0,
        progress: Progress | None = None,
    ) -> Solution | None:
        """The best routes found within ``time_limit`` seconds, or None when none were found."""
        ...


@dataclass(frozen=True)
class SolveResult:
    """What a solver run produced, scored by `evaluate`."""

    solver: str
    solution: Solution | None
    evaluation: Evaluation | None
    runtime_s: float
    cpu_s: float
    interrupted: bool = False

    @property
    def feasible(self) -> bool:
        return self.evaluation is not None and self.evaluation.feasible

    @property
    def cost(self) -> float | None:
        return None if self.evaluation is None else self.evaluation.cost


# -- time budget and Ctrl-C -------------------------------------------------------------------

_interrupt = threading.Event()


def interrupted() -> bool:
    """Whether Ctrl-C was pressed inside the current `stop_on_interrupt` block."""
    return _interrupt.is_set()


@contextmanager
def stop_on_interrupt() -> Iterator[None]:
    """Turn the first Ctrl-C into a stop request (see the module docstring).

    Only the main thread can own signal handlers; elsewhere this does nothing.
    """
    _interrupt.clear()
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        if _interrupt.is_set():
            raise KeyboardInterrupt
        _interrupt.set()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class Budget:
    """``time_limit`` CPU seconds of this process, at most ``WALL_CAP_FACTOR`` times that in
    wall seconds; also spent when Ctrl-C was pressed (`stop_on_interrupt`)."""

    def __init__(self, time_limit: float, wall_cap_factor: float | None = None):
        if not time_limit > 0:
            raise InputError(
                f"must be a positive number of seconds, got {time_limit}", field="time_limit"
            )
        self.time_limit = float(time_limit)
        factor = WALL_CAP_FACTOR if wall_cap_factor is None else wall_cap_factor
        self.wall_cap = factor * self.time_limit
        self._wall0 = time.perf_counter()
        self._cpu0 = time.process_time()

    def elapsed(self) -> float:
        """Wall seconds since the budget started."""
        return time.perf_counter() - self._wall0

    def cpu(self) -> float:
        """CPU seconds this process used since the budget started."""
        return time.process_time() - self._cpu0

    def expired(self) -> bool:
        return interrupted() or self.cpu() >= self.time_limit or self.elapsed() >= self.wall_cap


# -- running an engine ------------------------------------------------------------------------


def refusal(solver: Solver, instance: Instance) -> str | None:
    """Why ``solver`` cannot solve ``instance`` exactly, or None when it can."""
    reason = solver.unsupported(instance.variant)
    if reason is None and hasattr(solver, "unsupported_instance"):
        reason = solver.unsupported_instance(instance)
    return reason


def run_solver(
    solver: Solver,
    instance: Instance,
    time_limit: float,
    seed: int = 0,
    progress: Progress | None = None,
) -> SolveResult:
    """Run ``solver`` and score its answer with `evaluate`."""
    t0, c0 = time.perf_counter(), time.process_time()
    sol = solver.solve(instance, time_limit, seed, progress)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    ev = None if sol is None else evaluate(instance, sol)
    return SolveResult(solver.name, sol, ev, wall, cpu, interrupted())


def solve(
    instance: Instance,
    solver: str | Solver = "auto",
    time_limit: float = 10.0,
    seed: int = 0,
    progress: Progress | None = None,
    *,
    catch_interrupt: bool = False,
) -> SolveResult:
    """Solve ``instance`` with a registered engine (by name) or a `Solver`, checked first.

    Raises:
        InputError: an unknown solver name, or an instance that no route plan can satisfy
            (`vrp.solvers.checks.check_solvable`).
        SolverError: the engine cannot express the instance's rules exactly.
    """
    from vrp.solvers.checks import check_solvable
    from vrp.solvers.registry import get_solver

    engine = get_solver(solver) if isinstance(solver, str) else solver
    reason = refusal(engine, instance)
    if reason is not None:
        raise SolverError(f"{engine.name} cannot solve {instance.variant.name}: {reason}")
    check_solvable(instance)
    if not catch_interrupt:
        _interrupt.clear()
        return run_solver(engine, instance, time_limit, seed, progress)
    with stop_on_interrupt():
        return run_solver(engine, instance, time_limit, seed, progress)
