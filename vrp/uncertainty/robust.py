"""Robust solving: a plan whose visits start within their windows with probability about Q.

The engine solves a copy of the instance whose travel and service times are all multiplied
by ``1 + b`` (`inflate`: the ``duration_matrix``, or ``speed`` divided, and ``service_time``;
distances untouched), and the plan it returns is simulated on the original instance under the
noise model (`vrp.uncertainty.simulate`, 1,000 samples, seed = the solve's seed, so that
`vrp simulate` with its defaults repeats the figure). The inflation ``b`` is calibrated over a
few rounds within the one time budget (`solve_robust`):

1. the first round plans on the model's mean travel times (``b`` = the mean excess of an
   arc's multiplier: incidents, and congestion over the instance's day on roads);
2. each next round moves ``b`` so that the reliability's normal score ``z = Phi^-1(rate)``
   hits ``Phi^-1(Q)``: along the secant of the rounds so far, with `PRIOR_SLOPE` while there
   is one round only or the secant does not rise, and inside the bracket once one round is
   short of Q and another is not; a ``b`` already tried is solved again with another seed;
3. the answer is the cheapest plan that reached Q, or, if none did, the most reliable one.

``b`` never exceeds the largest inflation with which every customer can still be served on
a route of its own (`max_inflation`): beyond it the inflated instance has no solution.

**Why the plan is feasible on the original instance.** FORMAT.md's time rule is monotone: with
shorter arcs and services every arrival, every start ``max(arrival, earliest)`` and every
return is no later, so a start within ``latest`` and a return before the depot's deadline stay
so; distances (rule 3 and the distance limit), loads (rule 5) and the fleet size (rule 6) do
not depend on times. `evaluate()` on the original instance scores the plan all the same.

The reliability is the simulated ``on_time_rate`` (share of customer visits within their
window); on an instance whose customers have no windows but whose depots have deadlines, it
is the share of routes back in time (``deadline_rate``). An instance with neither has
nothing to be late for and is refused.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from statistics import NormalDist

import numpy as np

from vrp.errors import InputError
from vrp.model.evaluate import evaluate
from vrp.model.instance import Instance
from vrp.solvers.base import (
    DEFAULT_WALL_CAP_FACTOR,
    Interrupt,
    Progress,
    Solver,
    SolveResult,
)
from vrp.uncertainty.noise import DEFAULT, NoiseModel, model_for
from vrp.uncertainty.simulate import Simulation, simulate

ROUNDS = 3
"""Solves per robust run; each gets an equal share of what is left of the budget."""

SAMPLES = 1000
"""Samples of each round's simulation."""

PRIOR_SLOPE = 7.0
"""Rise of the reliability's normal score per unit of inflation, before two rounds measure
it: a middle value of what PyVRP's plans of C101, C201, R101 and RC101 showed under the
default model (the score rose by 0.5 to 1.2 from b = 0 to b = 0.1: slopes 5 to 12)."""

MAX_INFLATION = 4.0
"""The largest inflation ever tried (times x 5)."""

_Z_CLIP = 1e-4  # a rate of 0 or 1 is read as this far from it, for a finite score


@dataclass(frozen=True)
class Round:
    """One calibration round: the inflation tried, what the engine made of it (None: no
    feasible plan) and the plan's simulated reliability on the original instance."""

    inflation: float
    seed: int
    cost: float | None
    reliability: float | None
    solver: str
    cpu_s: float


@dataclass(frozen=True)
class RobustResult:
    """The chosen plan (``result``: scored by `evaluate()` on the original instance, its
    times summed over the rounds), its simulation, and every round."""

    result: SolveResult
    q: float
    inflation: float | None
    simulation: Simulation | None
    rounds: tuple[Round, ...]
    max_inflation: float

    @property
    def reliability(self) -> float | None:
        return None if self.simulation is None else reliability(self.simulation)

    @property
    def reached(self) -> bool:
        r = self.reliability
        return r is not None and r >= self.q


def reliability(sim: Simulation) -> float:
    """What `solve_robust` calibrates: the on-time rate of visits, or without customer windows
    the share of routes back by their deadline."""
    if sim.on_time_rate is not None:
        return sim.on_time_rate
    assert sim.deadline_rate is not None
    return sim.deadline_rate


def can_be_late(instance: Instance) -> bool:
    """Whether some customer has a window end, or some closed route a depot deadline."""
    D = instance.num_depots
    customers = bool(np.isfinite(instance.tw_late[D:]).any())
    depots = not instance.open and bool(np.isfinite(instance.tw_late[:D]).any())
    return customers or depots


def inflate(instance: Instance, b: float) -> Instance:
    """``instance`` with every travel and service time multiplied by ``1 + b`` and nothing
    else changed (its distances are the same numbers)."""
    if b == 0:
        return instance
    f = 1.0 + b
    service = instance.service_time * f
    if instance.duration_matrix is not None:
        return replace(instance, duration_matrix=instance.duration_matrix * f, service_time=service)
    return replace(instance, speed=instance.speed / f, service_time=service)


def max_inflation(instance: Instance, upper: float = MAX_INFLATION) -> float:
    """The largest ``b`` (to 1e-3) with which every customer can still be served on a route of
    its own (`vrp.solvers.checks.check_solvable` passes), at most ``upper``."""
    from vrp.solvers.checks import check_solvable

    def ok(b: float) -> bool:
        try:
            check_solvable(inflate(instance, b))
        except InputError:
            return False
        return True

    if ok(upper):
        return upper
    lo, hi = 0.0, upper
    while hi - lo > 1e-3:
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if ok(mid) else (lo, mid)
    return lo


def mean_excess(instance: Instance, noise: NoiseModel) -> float:
    """How much longer than the instance says an arc takes on average under ``noise``:
    incidents, and on roads the congestion averaged over the instance's day (from the
    earliest depot departure to the latest finite window end). The first round's ``b``."""
    model = model_for(noise, instance.coordinates == "lonlat")
    excess = 0.0
    if model.incident_rate > 0 and model.incident_shape > 1:
        shape = model.incident_shape
        excess += model.incident_rate * model.incident_min * shape / (shape - 1)
    if model.congestion:
        start = min(instance.depot_start(d) for d in range(instance.num_depots))
        ends = instance.tw_late[np.isfinite(instance.tw_late)]
        end = float(ends.max()) if ends.size else start
        clock = np.linspace(start, max(end, start), 97)
        excess += float(np.mean(model.congestion_factor(clock))) - 1.0
    return excess


def _z(rate: float) -> float:
    return NormalDist().inv_cdf(min(max(rate, _Z_CLIP), 1.0 - _Z_CLIP))


def next_inflation(rounds: list[tuple[float, float]], q: float, upper: float) -> float:
    """The next ``b`` to try from the ``(b, reliability)`` of the rounds so far (module
    docstring, step 2), within ``[0, upper]``."""
    b_last, r_last = rounds[-1]
    slope = PRIOR_SLOPE
    other = [(b, r) for b, r in rounds if b != b_last]
    if other:
        b_o, r_o = other[-1]
        secant = (_z(r_last) - _z(r_o)) / (b_last - b_o)
        if secant > 0.5:  # rising, as it should: noise can make two rounds disagree
            slope = secant
    b = b_last + (_z(q) - _z(r_last)) / slope
    short = [b for b, r in rounds if r < q]
    reached = [b for b, r in rounds if r >= q]
    if short and reached and max(short) < min(reached):  # bracketed: inside, off its ends
        lo, hi = max(short), min(reached)
        b = min(max(b, lo + 0.1 * (hi - lo)), hi - 0.1 * (hi - lo))
    return float(min(max(b, 0.0), upper))


def solve_robust(
    instance: Instance,
    solver: Solver,
    q: float,
    time_limit: float = 10.0,
    seed: int = 0,
    progress: Progress | None = None,
    *,
    noise: NoiseModel = DEFAULT,
    samples: int = SAMPLES,
    rounds: int = ROUNDS,
    wall_cap_factor: float = DEFAULT_WALL_CAP_FACTOR,
    interrupt: Interrupt | None = None,
) -> RobustResult:
    """Solve ``instance`` for a simulated reliability of at least ``q`` (module docstring),
    with ``time_limit`` CPU seconds over all ``rounds``.

    Raises:
        InputError: ``q`` not in (0, 1), an instance with nothing to be late for, and every
            error of `vrp.solvers.solve`.
        SolverError: the engine cannot express the instance exactly.
    """
    from vrp.solvers import solve

    if not (isinstance(q, int | float) and 0 < q < 1):
        raise InputError(f"must be a probability strictly between 0 and 1, got {q!r}", field="q")
    if not can_be_late(instance):
        raise InputError(
            "the instance has no time windows and no depot deadlines: nothing can be late",
            field="q",
        )
    if rounds < 1:
        raise InputError(f"must be at least 1, got {rounds}", field="rounds")
    interrupt = interrupt if interrupt is not None else Interrupt()
    t0, c0 = time.perf_counter(), time.process_time()
    upper = max_inflation(instance)
    b = min(mean_excess(instance, noise), upper)
    tried: list[tuple[float, float]] = []
    log: list[Round] = []
    best: tuple[tuple[bool, float], SolveResult, Simulation, float] | None = None
    # CPU spent: the engines' (`SolveResult.cpu_s`, which counts a child process's too) and
    # this process's own work outside them (the inflation bound, the simulations)
    engines_cpu = during_solves = 0.0

    def spent() -> float:
        return engines_cpu + (time.process_time() - c0 - during_solves)

    interrupted = False
    last_label = solver.name
    for k in range(rounds):
        left = time_limit - spent()
        if left <= 0.05 * time_limit / rounds and k > 0:
            break
        share = left / (rounds - k)
        run_seed = seed + sum(1 for r in log if abs(r.inflation - b) < 1e-9)
        offset = time.perf_counter() - t0
        shifted = None if progress is None else _shifted(progress, offset)
        before = time.process_time()
        res = solve(
            inflate(instance, b),
            solver,
            share,
            run_seed,
            shifted,
            wall_cap_factor=wall_cap_factor,
            interrupt=interrupt,
        )
        during_solves += time.process_time() - before
        engines_cpu += res.cpu_s
        last_label = res.solver
        interrupted = interrupted or res.interrupted
        if res.solution is None or not res.feasible:
            log.append(Round(b, run_seed, None, None, res.solver, res.cpu_s))
            upper = min(upper, 0.9 * b)  # no plan on these times: less inflation from now on
        else:
            sim = simulate(instance, res.solution, samples, seed, noise)
            rel = reliability(sim)
            ev = evaluate(instance, res.solution)
            log.append(Round(b, run_seed, ev.cost, rel, res.solver, res.cpu_s))
            tried.append((b, rel))
            scored = SolveResult(res.solver, res.solution, ev, 0.0, 0.0, False)
            key = (rel < q, ev.cost if rel >= q else -rel)
            if best is None or key < best[0]:
                best = (key, scored, sim, b)
        if interrupted:
            break
        b = next_inflation(tried, q, upper) if tried else 0.5 * b
    runtime, cpu = time.perf_counter() - t0, spent()
    if best is None:
        empty = SolveResult(last_label, None, None, runtime, cpu, interrupted)
        return RobustResult(empty, q, None, None, tuple(log), upper)
    _, chosen, sim, b_chosen = best
    result = SolveResult(
        chosen.solver, chosen.solution, chosen.evaluation, runtime, cpu, interrupted
    )
    return RobustResult(result, q, b_chosen, sim, tuple(log), upper)


def _shifted(progress: Progress, offset: float) -> Progress:
    """``progress`` with elapsed times counted from the first round."""

    def report(elapsed: float, best: float | None) -> None:
        progress(offset + elapsed, best)

    return report


def describe_rounds(rounds: tuple[Round, ...]) -> str:
    """``x1.02 87.1%, x1.15 92.3%, x1.11 (no plan)``: the rounds in one line."""
    parts = []
    for r in rounds:
        rate = "no plan" if r.reliability is None else f"{100 * r.reliability:.1f}%"
        parts.append(f"x{1 + r.inflation:.3f} {rate}")
    return ", ".join(parts)


def is_probability(x: float) -> bool:
    """Whether ``x`` is a number strictly between 0 and 1."""
    return isinstance(x, int | float) and math.isfinite(x) and 0 < x < 1
