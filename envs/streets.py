"""Synthetic street networks: road-matrix pools of cities that do not exist.

One real region gives one kind of street plan, and a model trained on Monaco alone meets
central Helsinki's one-way grid as something new (docs/neural.md, "On roads"). `street_pool`
draws a city of its own from a seed and returns its pool, as `scripts/make_pool.py` does from
OSRM for a real region, so that training can see many street plans:

- **grid** (60 % of seeds): 6-16 x 6-16 intersections, blocks of 60-200 m per side (each axis its
  own), every intersection moved by up to 15 % of a block, the plan rotated;
  a share ``U(0, 0.25)`` of the street segments removed; whole streets (a row or a column) are
  one-way with a probability ``U(0, 0.7)`` drawn per city, their direction at random;
- **organic**: 150-350 random junctions in a square of 0.8-3 km, joined by the edges of their
  Gabriel graph (a Delaunay edge stays if no other junction lies in the circle it is the
  diameter of), a share ``U(0, 0.15)`` removed, each segment one-way with a probability
  ``U(0, 0.5)`` drawn per city.

Segments are 1-1.3 times their straight line (curves); 15 % of the streets are arterials at
50 km/h, the others at 30 km/h, each segment times ``U(0.7, 1.1)`` (traffic). Points lie on the
segments of the largest strongly connected part (so every point reaches every other), a
segment drawn in proportion to its length and the point uniform along it, as
`vrp.roads.city.sample_road_points` draws road points. The matrices are those of the fastest
route between two points and the distance along it, as OSRM's table gives them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import Delaunay, cKDTree

from envs.pool import MatrixPool

GRID_SHARE = 0.6
ARTERIAL_SHARE = 0.15
SPEEDS_MS = (30 / 3.6, 50 / 3.6)  # local street, arterial
TRAFFIC = (0.7, 1.1)
CURVE = (1.0, 1.3)
MIN_PIECE_M = 0.01  # keeps every arc's duration positive, so a route's nodes sort by time


@dataclass(frozen=True)
class Streets:
    """A street plan: junctions ``xy [V, 2]`` (metres) and segments ``a -> b`` with their
    length (m), speed (m/s) and the directions allowed (``forward``: a -> b)."""

    xy: np.ndarray
    a: np.ndarray
    b: np.ndarray
    length: np.ndarray
    speed: np.ndarray
    forward: np.ndarray
    backward: np.ndarray


def street_pool(num_points: int = 600, seed: int = 0) -> MatrixPool:
    """A pool of ``num_points`` road points of the city drawn from ``seed``."""
    points, distance, duration = street_matrices(num_points, seed)
    return MatrixPool.from_arrays(points, distance, duration)


def street_matrices(num_points: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``points [P, 2]`` (m), ``distance [P, P]`` (m) and ``duration [P, P]`` (s) of the
    module's city drawn from ``seed``."""
    if num_points < 2:
        raise ValueError(f"num_points must be at least 2, got {num_points}")
    rng = np.random.default_rng(seed)
    streets = _grid(rng) if rng.random() < GRID_SHARE else _organic(rng)
    streets = _strongly_connected(streets)
    return _point_matrices(streets, num_points, rng)


def _grid(rng: np.random.Generator) -> Streets:
    rows, cols = rng.integers(6, 17, size=2)
    block = rng.uniform(60.0, 200.0, size=2)
    i, j = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    xy = np.stack([j, i], -1).reshape(-1, 2) * block
    xy = xy + rng.uniform(-0.15, 0.15, size=xy.shape) * block
    angle = rng.uniform(0.0, np.pi / 2)
    c, s = np.cos(angle), np.sin(angle)
    xy = xy @ np.array([[c, s], [-s, c]])
    node = np.arange(rows * cols).reshape(rows, cols)
    # segments along rows (street = row i), then along columns (street = rows + column j)
    a = np.concatenate([node[:, :-1].ravel(), node[:-1, :].ravel()])
    b = np.concatenate([node[:, 1:].ravel(), node[1:, :].ravel()])
    street = np.concatenate([i[:, :-1].ravel(), rows + j[:-1, :].ravel()])
    n_streets = rows + cols
    one_way = rng.random(n_streets) < rng.uniform(0.0, 0.7)
    direction = rng.random(n_streets) < 0.5
    arterial = rng.random(n_streets) < ARTERIAL_SHARE
    keep = rng.random(len(a)) >= rng.uniform(0.0, 0.25)
    forward = ~one_way[street] | direction[street]
    backward = ~one_way[street] | ~direction[street]
    return _segments(
        rng, xy, a[keep], b[keep], arterial[street][keep], forward[keep], backward[keep]
    )


def _organic(rng: np.random.Generator) -> Streets:
    m = int(rng.integers(150, 351))
    xy = rng.uniform(0.0, rng.uniform(800.0, 3000.0), size=(m, 2))
    simplices = Delaunay(xy).simplices
    pairs = np.concatenate([simplices[:, [0, 1]], simplices[:, [1, 2]], simplices[:, [0, 2]]])
    pairs = np.unique(np.sort(pairs, axis=1), axis=0)
    a, b = pairs[:, 0], pairs[:, 1]
    mid, radius = (xy[a] + xy[b]) / 2, np.linalg.norm(xy[a] - xy[b], axis=1) / 2
    near, _ = cKDTree(xy).query(mid, k=1)  # the nearest junction to the midpoint
    gabriel = near >= radius * (1 - 1e-9)  # none closer than the two ends
    keep = gabriel & (rng.random(len(a)) >= rng.uniform(0.0, 0.15))
    a, b = a[keep], b[keep]
    one_way = rng.random(len(a)) < rng.uniform(0.0, 0.5)
    direction = rng.random(len(a)) < 0.5
    arterial = rng.random(len(a)) < ARTERIAL_SHARE
    return _segments(rng, xy, a, b, arterial, ~one_way | direction, ~one_way | ~direction)


def _segments(
    rng: np.random.Generator,
    xy: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    arterial: np.ndarray,
    forward: np.ndarray,
    backward: np.ndarray,
) -> Streets:
    length = np.linalg.norm(xy[a] - xy[b], axis=1) * rng.uniform(*CURVE, size=len(a))
    speed = np.where(arterial, SPEEDS_MS[1], SPEEDS_MS[0]) * rng.uniform(*TRAFFIC, size=len(a))
    return Streets(xy, a, b, length, speed, forward, backward)


def _strongly_connected(s: Streets) -> Streets:
    """The segments inside the largest strongly connected set of junctions."""
    V = len(s.xy)
    tail = np.concatenate([s.a[s.forward], s.b[s.backward]])
    head = np.concatenate([s.b[s.forward], s.a[s.backward]])
    graph = csr_matrix((np.ones(len(tail)), (tail, head)), shape=(V, V))
    _, label = connected_components(graph, directed=True, connection="strong")
    biggest = np.bincount(label).argmax()
    keep = (label[s.a] == biggest) & (label[s.b] == biggest)
    return Streets(
        s.xy, s.a[keep], s.b[keep], s.length[keep], s.speed[keep], s.forward[keep],
        s.backward[keep],
    )  # fmt: skip


def _point_matrices(
    s: Streets, P: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    V = len(s.xy)
    seg = rng.choice(len(s.a), size=P, p=s.length / s.length.sum())
    t = rng.random(P)
    points = s.xy[s.a[seg]] + t[:, None] * (s.xy[s.b[seg]] - s.xy[s.a[seg]])
    # Each segment becomes a chain a -> its points by t -> b, arcs where it may be driven.
    tails, heads, lengths, speeds = [], [], [], []
    order = np.lexsort((t, seg))
    bounds = np.searchsorted(seg[order], np.arange(len(s.a) + 1))
    for e in range(len(s.a)):
        on = order[bounds[e] : bounds[e + 1]]
        chain = np.concatenate([[s.a[e]], V + on, [s.b[e]]])
        at = np.concatenate([[0.0], t[on], [1.0]])
        piece = np.maximum(np.diff(at) * s.length[e], MIN_PIECE_M)
        ways = ((s.forward[e], chain[:-1], chain[1:]), (s.backward[e], chain[1:], chain[:-1]))
        for allowed, u, v in ways:
            if allowed:
                tails.append(u)
                heads.append(v)
                lengths.append(piece)
                speeds.append(np.full(len(piece), s.speed[e]))
    tail, head = np.concatenate(tails), np.concatenate(heads)
    length, speed = np.concatenate(lengths), np.concatenate(speeds)
    n = V + P
    graph = csr_matrix((length / speed, (tail, head)), shape=(n, n))
    time, pred = dijkstra(graph, directed=True, indices=V + np.arange(P), return_predecessors=True)
    arc = np.zeros((n, n))
    arc[tail, head] = length
    # the distance along each fastest route: nodes in order of arrival, each one arc past its
    # predecessor (every arc takes time, so the predecessor comes first)
    dist = np.zeros_like(time)
    rows = np.arange(P)
    arrival = np.argsort(time, axis=1)
    for k in range(1, n):
        v = arrival[:, k]
        p = pred[rows, v]
        ok = p >= 0
        dist[rows[ok], v[ok]] = dist[rows[ok], p[ok]] + arc[p[ok], v[ok]]
    cols = V + np.arange(P)
    duration, distance = time[:, cols], dist[:, cols]
    if not (np.isfinite(duration).all() and np.isfinite(distance).all()):
        raise AssertionError("a point the largest strongly connected part does not reach")
    return points, distance, duration
