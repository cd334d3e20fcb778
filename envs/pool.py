"""Point pools with asymmetric distance and duration matrices, and the unit scaling.

A `MatrixPool` holds P points (road points from OSRM, or a synthetic stand-in) with their
``[P, P]`` distance and duration matrices; `envs.generator.VRPGenerator` samples instances
from it (the RRNCO idea: train on real, asymmetric matrices). Everything in a pool is in
environment units, fixed by `unit_scale` — the same rule ``vrp.neural.bridge`` applies to a single
instance, so that the model sees both on one scale:

- coordinates already inside ``[0, 1]^2`` stay as they are; others are shifted to the origin
  and divided by their extent (the larger side of their bounding box); ``[lon, lat]`` is first
  projected to local metres (`local_projection`);
- distances are divided by the same extent (coordinates and distances share a unit);
- durations are divided so that their mean equals the mean of the scaled distances (speed 1
  in environment units, as in the unit-square instances).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from vrpspec.distances import local_projection

POOL_FIELDS = ("locs", "distance", "duration")  # the arrays of a saved pool


@dataclass(frozen=True)
class UnitScale:
    """Environment units from instance units: ``env = (x - offset) / extent``, ``t / time``."""

    offset: tuple[float, float]
    extent: float  # coordinate and distance units per environment unit
    time: float  # duration units per environment unit


def unit_scale(
    points: np.ndarray, distance: np.ndarray | None = None, duration: np.ndarray | None = None
) -> UnitScale:
    """The scaling of the module docstring for planar ``points [P, 2]`` and optional matrices."""
    points = np.asarray(points, dtype=float)
    lo, hi = points.min(axis=0), points.max(axis=0)
    if lo.min() >= 0.0 and hi.max() <= 1.0:
        offset, extent = (0.0, 0.0), 1.0
    else:
        side = float((hi - lo).max())
        offset, extent = (float(lo[0]), float(lo[1])), side if side > 0 else 1.0
    ratio = 1.0
    if distance is not None and duration is not None:
        off = ~np.eye(len(distance), dtype=bool)
        mean_dist, mean_dur = float(distance[off].mean()), float(duration[off].mean())
        if mean_dist > 0 and mean_dur > 0:
            ratio = mean_dur / mean_dist
    return UnitScale(offset, extent, extent * ratio)


@dataclass(frozen=True)
class MatrixPool:
    """P points in environment units: ``locs [P, 2]`` in ``[0, 1]^2``, ``distance [P, P]``,
    ``duration [P, P]`` (float64, CPU; the generator casts)."""

    locs: torch.Tensor
    distance: torch.Tensor
    duration: torch.Tensor

    def __post_init__(self) -> None:
        P = self.locs.shape[0]
        if self.locs.shape != (P, 2):
            raise ValueError(f"locs has shape {tuple(self.locs.shape)}, expected (P, 2)")
        for name in ("distance", "duration"):
            m = getattr(self, name)
            if m.shape != (P, P):
                raise ValueError(f"{name} has shape {tuple(m.shape)}, expected ({P}, {P})")
            if not torch.isfinite(m).all() or (m < 0).any():
                raise ValueError(f"{name} must hold finite numbers >= 0")

    @property
    def size(self) -> int:
        return self.locs.shape[0]

    @classmethod
    def from_arrays(
        cls,
        points: np.ndarray,
        distance: np.ndarray,
        duration: np.ndarray | None = None,
        *,
        lonlat: bool = False,
    ) -> MatrixPool:
        """A pool from points and matrices in instance units (metres and seconds, say).

        ``points`` are ``[x, y]``, or ``[lon, lat]`` with ``lonlat``; ``duration`` defaults to
        ``distance``.
        """
        pts = local_projection(points) if lonlat else np.asarray(points, dtype=float)
        dist = np.asarray(distance, dtype=float)
        dur = dist if duration is None else np.asarray(duration, dtype=float)
        s = unit_scale(pts, dist, dur)
        locs = (pts - np.asarray(s.offset)) / s.extent
        return cls(
            torch.as_tensor(locs, dtype=torch.float64),
            torch.as_tensor(dist / s.extent, dtype=torch.float64),
            torch.as_tensor(dur / s.time, dtype=torch.float64),
        )

    def save(self, path: str | Path) -> None:
        """Write the pool as ``.npz`` (keys ``locs``, ``distance``, ``duration``)."""
        np.savez_compressed(
            path,
            locs=self.locs.numpy(),
            distance=self.distance.numpy(),
            duration=self.duration.numpy(),
        )

    @classmethod
    def load(cls, path: str | Path) -> MatrixPool:
        """Read a pool written by `save` (already in environment units)."""
        with np.load(path) as z:
            return cls(*(torch.as_tensor(z[k], dtype=torch.float64) for k in POOL_FIELDS))


def synthetic_pool(num_points: int = 400, seed: int = 0) -> MatrixPool:
    """A stand-in for a road pool: asymmetric matrices that keep the triangle inequality.

    Points are uniform in the unit square. Distance ``i -> j`` is 1.2 times the straight line
    plus 0.3 times the climb ``max(0, h_j - h_i)`` of a random height h; duration is the
    straight line plus 0.4 times the climb of another random field plus a fixed 0.02 per leg.
    Each is a metric plus a quasi-metric, so the triangle inequality holds while
    ``dist[i, j] != dist[j, i]``.
    """
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0.0, 1.0, size=(num_points, 2))
    h, g = rng.uniform(size=num_points), rng.uniform(size=num_points)
    line = np.sqrt(((pts[:, None, :] - pts[None, :, :]) ** 2).sum(-1))
    dist = 1.2 * line + 0.3 * np.maximum(0.0, h[None, :] - h[:, None])
    dur = line + 0.4 * np.maximum(0.0, g[None, :] - g[:, None]) + 0.02
    np.fill_diagonal(dur, 0.0)
    return MatrixPool.from_arrays(pts, dist, dur)
