"""Noise models: how travel and service times vary around the instance's numbers.

Only **times** are noised: the duration of each arc (``Instance.durations``, i.e. the
``duration_matrix``, or distance / speed without one) and each customer's ``service_time``.
Distances, and so the cost of a plan (FORMAT.md rule 3), do not change: a plan drives the same
roads whatever the traffic.

The default model (`DEFAULT`) has the shape of the stochastic setting of SVRPBench (Heakl et
al., 2025: time-dependent congestion, log-normal delays, rare accidents); its numbers are
ours, chosen to be plausible, not fitted to data (docs/uncertainty.md says more). One arc
``a -> b`` left at time ``t`` takes

    duration[a, b] * (congestion(t) * X + I)

- ``X``: log-normal with mean 1 and log-standard deviation `NoiseModel.travel_sigma`, drawn
  anew for every arc of every sample (travel times on a link are right-skewed; a log-normal
  is the usual simple fit);
- ``congestion(t)``: 1 plus two Gaussian bumps, the morning and the evening peak, as a
  function of the clock time ``day_start_s + t``. Applied only to instances whose times are
  seconds (road instances, ``"coordinates": "lonlat"``), where ``t = 0`` is taken to be
  `NoiseModel.day_start_s` (08:00: `vrp instance sample-city` times a working day from 0);
  other instances have no clock, and no congestion;
- ``I``: an incident, with probability `NoiseModel.incident_rate` per arc, a Pareto delay of
  at least `NoiseModel.incident_min` times the arc's duration, with tail index
  `NoiseModel.incident_shape` (2: a finite mean and an infinite variance; heavy-tailed).

Service at a customer takes ``service_time * Y``, ``Y`` log-normal with mean 1 and
log-standard deviation `NoiseModel.service_sigma`.

Draws (`Draws`) are made for every arc slot of a plan at once, ``[samples, routes, slots]``;
`vrp.uncertainty.simulate` combines them with the clock. A test, or a study of a particular
scenario, can hand the simulator its own `Draws`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from vrp.errors import InputError

HOUR = 3600.0


@dataclass(frozen=True)
class Draws:
    """The random numbers of one simulation, each ``[S, R, K]`` (samples, routes, arc slots).

    Slot ``k`` of a route is the arc into its ``k``-th customer (``k < n``) or, at ``k = n``
    (its number of customers), the return leg; slots beyond are padding and never read.

    Args:
        travel: ``X``, the multiplier of an arc's duration (1: no noise).
        incident: ``I``, an extra delay in multiples of the arc's duration (0: none).
        service: ``Y``, the multiplier of the service time at the customer the arc leads to
            (slot ``n``, the return leg, has no service).
    """

    travel: np.ndarray
    incident: np.ndarray
    service: np.ndarray

    @property
    def shape(self) -> tuple[int, int, int]:
        s, r, k = self.travel.shape
        return int(s), int(r), int(k)

    @classmethod
    def constant(cls, samples: int, routes: int, slots: int) -> Draws:
        """No noise: every multiplier 1, no incident."""
        ones = np.ones((samples, routes, slots))
        return cls(travel=ones, incident=np.zeros_like(ones), service=ones)


@dataclass(frozen=True)
class Peak:
    """One congestion bump: ``height * exp(-((h - hour) / width_h)^2 / 2)``, ``h`` in hours."""

    hour: float
    height: float
    width_h: float


@dataclass(frozen=True)
class NoiseModel:
    """A noise model (see the module docstring); every default is ours, documented in
    docs/uncertainty.md.

    Args:
        name: what ``--noise`` calls it.
        travel_sigma: log-standard deviation of the per-arc travel multiplier ``X``.
        service_sigma: log-standard deviation of the service multiplier ``Y``.
        incident_rate: probability of an incident on one arc.
        incident_min: smallest incident delay, in multiples of the arc's duration.
        incident_shape: Pareto tail index of the incident delay (> 1: a finite mean).
        congestion: whether road instances (times in seconds) get the time-of-day profile.
        day_start_s: the clock time (seconds after midnight) of the instance's time 0.
        peaks: the bumps of the congestion profile.
    """

    name: str
    travel_sigma: float = 0.0
    service_sigma: float = 0.0
    incident_rate: float = 0.0
    incident_min: float = 0.5
    incident_shape: float = 2.0
    congestion: bool = False
    day_start_s: float = 8 * HOUR
    peaks: tuple[Peak, ...] = field(
        default=(Peak(hour=8.5, height=0.5, width_h=1.0), Peak(hour=17.5, height=0.5, width_h=1.25))
    )

    @property
    def deterministic(self) -> bool:
        """Whether every draw is 1 (travel, service) or 0 (incidents)."""
        return (
            self.travel_sigma == 0
            and self.service_sigma == 0
            and self.incident_rate == 0
            and not self.congestion
        )

    def draw(self, rng: np.random.Generator, samples: int, routes: int, slots: int) -> Draws:
        """``samples`` sets of draws for ``routes`` routes of up to ``slots`` arcs."""
        shape = (samples, routes, slots)
        travel = _lognormal_mean_one(rng, self.travel_sigma, shape)
        service = _lognormal_mean_one(rng, self.service_sigma, shape)
        if self.incident_rate > 0:
            hit = rng.random(shape) < self.incident_rate
            # numpy's pareto is Lomax (Pareto II): 1 + it is a classical Pareto from 1
            size = self.incident_min * (1.0 + rng.pareto(self.incident_shape, shape))
            incident = np.where(hit, size, 0.0)
        else:
            incident = np.zeros(shape)
        return Draws(travel=travel, incident=incident, service=service)

    def congestion_factor(self, t: np.ndarray) -> np.ndarray | float:
        """The travel-time factor of an arc left at instance time ``t`` (seconds); 1 without
        congestion."""
        if not self.congestion:
            return 1.0
        hours = ((self.day_start_s + t) % (24 * HOUR)) / HOUR
        out = np.ones_like(hours)
        for p in self.peaks:
            out += p.height * np.exp(-0.5 * ((hours - p.hour) / p.width_h) ** 2)
        return out

    def describe(self) -> str:
        """One line: the model's name and its parameters."""
        if self.deterministic:
            return f"{self.name} (travel and service times as in the instance)"
        parts = [f"travel log-normal sigma {self.travel_sigma:g}"]
        if self.congestion:
            peaks = ", ".join(f"+{p.height:.0%} at {_hhmm(p.hour * HOUR)}" for p in self.peaks)
            parts.append(f"road congestion {peaks} (time 0 = {_hhmm(self.day_start_s)})")
        if self.service_sigma:
            parts.append(f"service log-normal sigma {self.service_sigma:g}")
        if self.incident_rate:
            parts.append(
                f"incidents {self.incident_rate:.0%} of arcs, Pareto(>= {self.incident_min:g} x"
                f" the arc, tail {self.incident_shape:g})"
            )
        return f"{self.name}: " + "; ".join(parts)


def _hhmm(seconds: float) -> str:
    m = round(seconds / 60)
    return f"{m // 60:02d}:{m % 60:02d}"


def _lognormal_mean_one(
    rng: np.random.Generator, sigma: float, shape: tuple[int, ...]
) -> np.ndarray:
    if sigma == 0:
        return np.ones(shape)
    return rng.lognormal(mean=-0.5 * sigma * sigma, sigma=sigma, size=shape)


NONE = NoiseModel(name="none")
"""Deterministic: the plan runs exactly as `evaluate()` times it."""

DEFAULT = NoiseModel(
    name="default",
    travel_sigma=0.2,
    service_sigma=0.25,
    incident_rate=0.02,
    incident_min=0.5,
    incident_shape=2.0,
    congestion=True,
)
"""The default model (module docstring); its numbers are ours."""

LOGNORMAL_SIGMA = 0.2


def noise_names() -> list[str]:
    """What ``--noise`` accepts."""
    return ["default", "none", "lognormal", "lognormal:SIGMA"]


def parse_noise(spec: str) -> NoiseModel:
    """The model ``spec`` names: ``default``, ``none``, or ``lognormal[:SIGMA]`` (travel noise
    only: log-normal with mean 1, log-standard deviation SIGMA, default 0.2).

    Raises:
        InputError: an unknown name or a SIGMA that is not a number >= 0.
    """
    text = spec.strip().lower()
    if text == "default":
        return DEFAULT
    if text == "none":
        return NONE
    name, _, arg = text.partition(":")
    if name == "lognormal":
        try:
            sigma = float(arg) if arg else LOGNORMAL_SIGMA
        except ValueError:
            sigma = math.nan
        if not (math.isfinite(sigma) and sigma >= 0):
            raise InputError(
                f"lognormal:SIGMA needs a number >= 0, got {arg!r}", field="--noise"
            ) from None
        return NoiseModel(name=f"lognormal:{sigma:g}", travel_sigma=sigma)
    raise InputError(
        f"unknown noise model {spec!r}; choose from {', '.join(noise_names())}", field="--noise"
    )


def model_for(model: NoiseModel, road: bool) -> NoiseModel:
    """``model`` as it applies to an instance: congestion only where times are seconds of a
    day (``road``)."""
    if model.congestion and not road:
        from dataclasses import replace

        return replace(model, congestion=False)
    return model
