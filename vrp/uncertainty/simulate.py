"""Monte Carlo of a plan under random travel and service times, vectorised over samples.

Every sample runs every route by the time rules of FORMAT.md (rule 4) with noised times
(`vrp.uncertainty.noise`): a route leaves its depot at the depot's earliest; arrival = the
last departure + the arc's travel time; service starts at ``max(arrival, earliest)``
(the vehicle waits for a window to open); departure = start + service time. Lateness is
counted, not forbidden: a visit whose service starts after its ``latest`` is late by the
difference, a closed route back after its depot's ``latest`` misses its deadline by the
difference, and the route goes on. With `vrp.uncertainty.noise.NONE` the times are exactly
those of `evaluate()` (the same additions in the same order), so a feasible plan is on time
in every sample.

The plan's cost is `evaluate()`'s: distance, which noise on times does not change (its
spread is 0). What varies is time: lateness, on-time shares, route ends, durations.

Arrays are ``[S, R]`` (samples, routes), stepped along the route positions: one numpy step per
position of the longest route, whatever the number of samples.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from vrp.errors import InputError
from vrp.model.evaluate import ABS_TOL, REL_TOL, evaluate
from vrp.model.instance import Instance
from vrp.model.solution import Solution
from vrp.uncertainty.noise import DEFAULT, Draws, NoiseModel, model_for


@dataclass(frozen=True)
class RouteFigures:
    """One route over the samples.

    ``on_time_rate`` is the share of its visits with a window (a finite ``latest``) that start
    in time, None when none has one; ``p_miss_deadline`` the probability that it is back after
    its depot's ``latest``, None for an open route or a depot without a deadline. Times are
    in the instance's unit; ``end_planned`` is `evaluate()`'s (no noise).
    """

    depot: int
    stops: int
    distance: float
    timed_visits: int
    on_time_rate: float | None
    expected_lateness: float
    deadline: float | None
    p_miss_deadline: float | None
    start: float
    end_planned: float
    end_mean: float
    end_p95: float

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Simulation:
    """What a plan does over ``samples`` noised runs (see the module docstring).

    ``on_time_rate``: share of customer visits with a window that start within it, over all
    samples (None when no customer has a window). ``deadline_rate``: share of closed routes
    with a depot deadline back in time (None when there is none). ``p_all_on_time``: share of
    samples in which every visit and every return is in time. Lateness is the total over the
    plan of ``max(0, start - latest)`` at customers and ``max(0, end - latest)`` at the depots,
    per sample. Duration: the sum over routes of (end - leave).
    """

    samples: int
    seed: int | None
    noise: NoiseModel
    cost: float
    feasible: bool
    on_time_rate: float | None
    deadline_rate: float | None
    p_all_on_time: float
    expected_lateness: float
    lateness_std: float
    lateness_p95: float
    planned_duration: float
    expected_duration: float
    duration_std: float
    routes: tuple[RouteFigures, ...]
    ends: np.ndarray = field(repr=False)
    """``[S, R]``: each route's end (back at the depot, or the last departure if open)."""
    lateness: np.ndarray = field(repr=False)
    """``[S, R]``: each route's lateness (its customers' and its return's)."""

    @property
    def expected_cost(self) -> float:
        """`evaluate()`'s cost: distances do not depend on the noise."""
        return self.cost

    def to_dict(self) -> dict[str, Any]:
        """The figures as JSON-ready data (``--json``)."""
        return {
            "samples": self.samples,
            "seed": self.seed,
            "noise": self.noise.name,
            "noise_model": self.noise.describe(),
            "expected_cost": self.cost,
            "cost_std": 0.0,
            "feasible": self.feasible,
            "on_time_rate": self.on_time_rate,
            "deadline_rate": self.deadline_rate,
            "p_all_on_time": self.p_all_on_time,
            "expected_lateness": self.expected_lateness,
            "lateness_std": self.lateness_std,
            "lateness_p95": self.lateness_p95,
            "planned_duration": self.planned_duration,
            "expected_duration": self.expected_duration,
            "duration_std": self.duration_std,
            "routes": [r.to_dict() for r in self.routes],
        }


def check_plan(instance: Instance, solution: Solution) -> None:
    """Raise `InputError` unless ``solution`` is a plan of ``instance``: depots that exist,
    every customer exactly once (FORMAT.md rules 1-2). Other rules may be broken: a
    simulation measures how often times are."""
    ev = evaluate(instance, solution)
    bad = [v for v in ev.violations if v.rule in ("visits", "depot")]
    if bad:
        more = f" ({len(bad) - 1} more)" if len(bad) > 1 else ""
        raise InputError(
            f"the solution does not fit instance {instance.name!r}: {bad[0]}{more}",
            field="routes",
        )


def simulate(
    instance: Instance,
    solution: Solution,
    samples: int = 1000,
    seed: int | None = 0,
    noise: NoiseModel = DEFAULT,
    draws: Draws | None = None,
) -> Simulation:
    """Run ``solution`` ``samples`` times under ``noise`` (seeded by ``seed``), or once per
    sample of the given ``draws`` (``[S, R, K]``, K at least the longest route + 1).

    Congestion applies only to road instances (``"coordinates": "lonlat"``: times are
    seconds). Raises `InputError` for a plan that does not fit the instance or a number of
    samples that is not positive.
    """
    check_plan(instance, solution)
    ev = evaluate(instance, solution)
    model = model_for(noise, instance.coordinates == "lonlat")
    routes = solution.routes
    R = len(routes)
    n = np.array([len(r) for r in routes])
    K = int(n.max()) + 1
    if draws is None:
        if isinstance(samples, bool) or not isinstance(samples, int | np.integer) or samples < 1:
            raise InputError(f"must be a positive integer, got {samples!r}", field="samples")
        if model.deterministic:
            draws = Draws.constant(int(samples), R, K)
        else:
            draws = model.draw(np.random.default_rng(seed), int(samples), R, K)
    else:
        S_, R_, K_ = draws.shape
        if R_ != R or K_ < K:
            raise InputError(
                f"draws have shape {draws.shape}, expected (samples, {R}, >= {K})", field="draws"
            )
        seed = None
    S = draws.shape[0]

    depots = np.array([r.depot for r in routes])
    # prev[r, k] -> nxt[r, k] is slot k: into the k-th customer, or the return leg at k = n
    nxt = np.tile(depots[:, None], (1, K))
    for i, r in enumerate(routes):
        nxt[i, : len(r)] = r.customers
    prev = np.concatenate([depots[:, None], nxt[:, :-1]], axis=1)
    dur = instance.durations[prev, nxt]  # [R, K]
    early, late, service = instance.tw_early, instance.tw_late, instance.service_time

    start = np.array([instance.depot_start(int(d)) for d in depots])
    t = np.tile(start, (S, 1)).astype(float)  # [S, R]
    lateness = np.zeros((S, R))
    late_visits = np.zeros((S, R), dtype=np.int64)
    for k in range(K - 1):
        active = k < n  # [R]
        c = nxt[:, k]
        factor = model.congestion_factor(t)
        arrival = t + dur[:, k] * (factor * draws.travel[:, :, k] + draws.incident[:, :, k])
        begin = np.maximum(arrival, early[c])
        over = _exceeds(begin, late[c]) & active
        late_visits += over
        lateness += np.where(over, begin - late[c], 0.0)
        t = np.where(active, begin + service[c] * draws.service[:, :, k], t)

    ends = t
    deadline = late[depots]
    has_deadline = np.zeros(R, dtype=bool)
    missed = np.zeros((S, R), dtype=bool)
    if not instance.open:
        rows = np.arange(R)
        back = dur[rows, n]
        travel = draws.travel[:, rows, n]
        incident = draws.incident[:, rows, n]
        ends = t + back * (model.congestion_factor(t) * travel + incident)
        has_deadline = np.isfinite(deadline)
        missed = _exceeds(ends, deadline) & has_deadline
        lateness += np.where(missed, ends - deadline, 0.0)

    timed = np.array([int(np.isfinite(late[list(r.customers)]).sum()) for r in routes])
    total = lateness.sum(axis=1)
    durations = (ends - start).sum(axis=1)
    end_p95 = np.percentile(ends, 95, axis=0)
    figures = []
    for i, r in enumerate(routes):
        figures.append(
            RouteFigures(
                depot=r.depot,
                stops=len(r),
                distance=ev.routes[i].distance,
                timed_visits=int(timed[i]),
                on_time_rate=(
                    1.0 - int(late_visits[:, i].sum()) / (S * int(timed[i])) if timed[i] else None
                ),
                expected_lateness=float(lateness[:, i].mean()),
                deadline=float(deadline[i]) if has_deadline[i] else None,
                p_miss_deadline=float(missed[:, i].mean()) if has_deadline[i] else None,
                start=float(start[i]),
                end_planned=ev.routes[i].end_time,
                end_mean=float(ends[:, i].mean()),
                end_p95=float(end_p95[i]),
            )
        )
    n_timed, n_deadlines = int(timed.sum()), int(has_deadline.sum())
    n_late, n_missed = int(late_visits.sum()), int(missed.sum())
    return Simulation(
        samples=S,
        seed=seed,
        noise=model,
        cost=ev.cost,
        feasible=ev.feasible,
        on_time_rate=1.0 - n_late / (S * n_timed) if n_timed else None,
        deadline_rate=1.0 - n_missed / (S * n_deadlines) if n_deadlines else None,
        p_all_on_time=float(((late_visits.sum(axis=1) == 0) & ~missed.any(axis=1)).mean()),
        expected_lateness=float(total.mean()),
        lateness_std=float(total.std()),
        lateness_p95=float(np.percentile(total, 95)),
        planned_duration=float(sum(st.end_time - st.start_time for st in ev.routes)),
        expected_duration=float(durations.mean()),
        duration_std=float(durations.std()),
        routes=tuple(figures),
        ends=ends,
        lateness=lateness,
    )


def _exceeds(value: np.ndarray, limit: np.ndarray | float) -> np.ndarray:
    # evaluate()'s tolerance, so that with no noise a feasible plan is on time everywhere
    return value > limit + ABS_TOL + REL_TOL * np.abs(limit)
