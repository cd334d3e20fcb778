"""The one solver interface: every engine is a `Solver`, every answer a checked `SolveResult`.

An engine is configured when it is made (``get_solver("ortools", metaheuristic="gls")``) and
then asked for routes with ``solve(instance, budget, seed, progress)``. It returns routes
only: `vrp.solvers.run` times it, and `evaluate()` alone decides the cost and the
feasibility of what it returned; an engine's own objective is never reported.

Time budget (`Budget`, one per run, built by `vrp.solvers.solve` and handed to the engine):
``time_limit`` is a budget of **CPU seconds of this process**, so that results do not depend
on how busy a shared machine is, capped at ``wall_cap_factor * time_limit`` wall-clock
seconds (default `DEFAULT_WALL_CAP_FACTOR`) so that a run on a crowded machine still
returns. On an idle machine the two coincide. HGS-CVRP and OR-Tools, which Python cannot
stop, run in a child process (`vrp.solvers.child`) whose CPU time the budget counts
(`Budget.add_cpu`) and which is ended when the budget is spent, with the best routes it
reported.

Ctrl-C and SIGTERM: ``with stop_on_interrupt() as interrupt:`` turns the first SIGINT or
SIGTERM into a stop request on ``interrupt`` (an `Interrupt`, which remembers the signal); a
`Budget` that holds it counts as spent from then on, so an engine that checks its budget
returns the best routes found so far, and the result says ``interrupted``. A second signal
raises `KeyboardInterrupt`.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from vrp.errors import InputError
from vrp.model.evaluate import Evaluation
from vrp.model.instance import Instance
from vrp.model.solution import Route, Solution
from vrp.model.variants import Variant

# progress(elapsed_s, best_cost_or_None) is called from time to time by engines that can.
Progress = Callable[[float, float | None], None]

DEFAULT_WALL_CAP_FACTOR = 1.5
"""A run stops after ``wall_cap_factor * time_limit`` wall seconds even if CPU time is left;
this is the factor when none is given. Benchmarks pass a larger one so that engines get
equal CPU time on a crowded machine."""


class Interrupt:
    """A stop request that Ctrl-C or SIGTERM sets (`stop_on_interrupt`) and a `Budget` reads;
    ``signum`` is the signal that set it (None when set by `request` alone)."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.signum: int | None = None

    def request(self) -> None:
        """Ask the run to stop and return its best routes so far."""
        self._event.set()

    @property
    def requested(self) -> bool:
        return self._event.is_set()


@contextmanager
def stop_on_interrupt() -> Iterator[Interrupt]:
    """A fresh `Interrupt` that the first Ctrl-C (SIGINT) or SIGTERM in this block requests,
    recording which signal it was (``interrupt.signum``); a second signal raises
    `KeyboardInterrupt`.

    Only the main thread can own signal handlers; elsewhere the signals are left alone. A
    process forked inside the block inherits the handlers but not the request: there a
    signal acts as it would by default (SIGTERM ends the process), so a running child can be
    terminated. (A child that must never outlive a stop is best ended with SIGKILL or resets
    its handlers: CPython drops a signal that lands in the instant after a fork.)
    """
    interrupt = Interrupt()
    if threading.current_thread() is not threading.main_thread():
        yield interrupt
        return
    owner = os.getpid()

    def handler(signum: int, frame: object) -> None:
        if os.getpid() != owner:  # a forked child: behave as if no handler were set
            if signum == signal.SIGINT:
                signal.signal(signum, signal.default_int_handler)
                raise KeyboardInterrupt
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        if interrupt.requested:
            interrupt.signum = signum
            raise KeyboardInterrupt
        interrupt.signum = signum
        interrupt.request()

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield interrupt
    finally:
        for s, h in previous.items():
            signal.signal(s, signal.SIG_DFL if h is None else h)  # None: set outside Python


class Budget:
    """``time_limit`` CPU seconds of this process from now, at most ``wall_cap_factor`` times
    that in wall seconds; spent early when ``interrupt`` is requested.

    Raises:
        InputError: ``time_limit`` is not a positive number.
    """

    def __init__(
        self,
        time_limit: float,
        wall_cap_factor: float = DEFAULT_WALL_CAP_FACTOR,
        interrupt: Interrupt | None = None,
    ):
        if not time_limit > 0:
            raise InputError(
                f"must be a positive number of seconds, got {time_limit}", field="time_limit"
            )
        if not wall_cap_factor > 0:
            raise InputError(f"must be positive, got {wall_cap_factor}", field="wall_cap_factor")
        self.time_limit = float(time_limit)
        self.wall_cap_factor = float(wall_cap_factor)
        self.wall_cap = self.wall_cap_factor * self.time_limit
        self.interrupt = Interrupt() if interrupt is None else interrupt
        self._wall0 = time.perf_counter()
        self._cpu0 = time.process_time()
        self._cpu_elsewhere = 0.0

    def elapsed(self) -> float:
        """Wall seconds since the budget started."""
        return time.perf_counter() - self._wall0

    def cpu(self) -> float:
        """CPU seconds spent on the run: this process's since the budget started, plus what
        `add_cpu` counted (an engine's child process)."""
        return time.process_time() - self._cpu0 + self._cpu_elsewhere

    def left(self) -> float:
        """Seconds left: CPU to the limit or wall to the cap, whichever is less."""
        return min(self.time_limit - self.cpu(), self.wall_cap - self.elapsed())

    def add_cpu(self, seconds: float) -> None:
        """Count ``seconds`` of CPU used outside this process (a child running the engine)."""
        self._cpu_elsewhere += seconds

    @property
    def interrupted(self) -> bool:
        """Whether Ctrl-C or SIGTERM asked the run to stop."""
        return self.interrupt.requested

    def expired(self) -> bool:
        return self.interrupted or self.cpu() >= self.time_limit or self.elapsed() >= self.wall_cap


class Solver(Protocol):
    """An engine behind the registry, configured by its constructor's keyword arguments.

    An engine may also define ``unsupported_instance(instance) -> str | None`` for rules it
    cannot express that the variant name does not show (a fleet count shared by several
    depots, an asymmetric matrix); `refusal` asks both. An engine that hands the work to
    another defines ``solve_and_name(instance, budget, seed, progress) -> (routes, label)``
    instead of being labelled by its name alone: its results are labelled ``name(label)``,
    e.g. ``auto(hgs)`` or ``auto(pyvrp after hgs failed: ...)``.
    """

    name: str

    def unsupported(self, variant: Variant) -> str | None:
        """Why this engine cannot express ``variant`` exactly, or None when it can."""
        ...

    def solve(
        self,
        instance: Instance,
        budget: Budget,
        seed: int = 0,
        progress: Progress | None = None,
    ) -> Solution | None:
        """The best routes found within ``budget``, or None when none were found."""
        ...


@dataclass(frozen=True)
class SolveResult:
    """What a solver run produced, scored by `evaluate`.

    ``solver`` is the engine that ran (``pyvrp``; ``auto(hgs)`` for one that handed it on).
    """

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


def one_customer_plan(instance: Instance) -> Solution:
    """The best plan of a one-customer instance, found by trying every depot: engines whose
    search needs two customers or more (HGS-CVRP's crossover, the neural policy's batch
    shapes) answer with it."""
    from vrp.model.evaluate import evaluate

    customer = instance.num_depots
    plans = [Solution([Route(d, [customer])]) for d in range(instance.num_depots)]
    if instance.fleet:  # every type from every depot it may use
        plans = [
            Solution([Route(d, [customer], t.id)])
            for i, t in enumerate(instance.fleet)
            for d in instance.type_depot_nodes(i)
        ]
    scored = [(not (ev := evaluate(instance, p)).feasible, ev.cost, k) for k, p in enumerate(plans)]
    return plans[min(scored)[2]]


def refusal(solver: Solver, instance: Instance) -> str | None:
    """Why ``solver`` cannot solve ``instance`` exactly, or None when it can."""
    reason = solver.unsupported(instance.variant)
    if reason is None and hasattr(solver, "unsupported_instance"):
        reason = solver.unsupported_instance(instance)
    return reason
