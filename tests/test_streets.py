"""Synthetic street networks (`envs.streets`): cities that do not exist, as road-matrix pools."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_env import assert_rollouts_agree_with_evaluate

from envs.generator import VRPGenerator
from envs.streets import Streets, _point_matrices, street_matrices, street_pool


def _square(forward: bool, backward: bool, speed: list[float] | None = None) -> Streets:
    """Junctions at the corners of a 100 m square, the four sides as segments 0-1-2-3-0."""
    xy = np.array([[0.0, 0.0], [100.0, 0.0], [100.0, 100.0], [0.0, 100.0]])
    a, b = np.array([0, 1, 2, 3]), np.array([1, 2, 3, 0])
    n = len(a)
    return Streets(
        xy, a, b, np.full(n, 100.0), np.array(speed or [10.0] * n),
        np.full(n, forward), np.full(n, backward),
    )  # fmt: skip


@pytest.mark.parametrize("seed", range(6))
def test_every_point_of_a_drawn_city_reaches_every_other_and_durations_keep_the_triangle_inequality(
    seed,
):
    points, dist, dur = street_matrices(120, seed)
    assert points.shape == (120, 2) and dist.shape == dur.shape == (120, 120)
    assert np.isfinite(dist).all() and np.isfinite(dur).all()
    assert (np.diag(dist) == 0).all() and (np.diag(dur) == 0).all()
    off = ~np.eye(120, dtype=bool)
    assert (dur[off] > 0).all()
    via = (dur[:, :, None] + dur[None, :, :]).min(1)  # the best one-stop detour i -> k -> j
    assert (dur <= via + 1e-6).all()
    # along the streets, never shorter than the straight line
    line = np.linalg.norm(points[:, None] - points[None], axis=-1)
    assert (dist >= line - 1e-6).all()


def test_the_same_seed_draws_the_same_city_and_another_seed_another():
    a, b, c = street_matrices(50, 3), street_matrices(50, 3), street_matrices(50, 4)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[1], c[1])


def test_one_way_streets_make_the_matrices_asymmetric_and_two_way_ones_do_not():
    rng = np.random.default_rng(0)
    _, dist, dur = _point_matrices(_square(True, True), 20, rng)
    assert np.allclose(dist, dist.T) and np.allclose(dur, dur.T)
    _, dist, dur = _point_matrices(_square(True, False), 20, rng)  # one way round the block
    assert not np.allclose(dist, dist.T)
    # each pair is one trip round the block: out and back make the 400 m loop
    off = ~np.eye(20, dtype=bool)
    assert np.allclose((dist + dist.T)[off], 400.0)
    assert np.allclose(dur, dist / 10.0)


def test_the_distance_is_that_of_the_fastest_route_not_of_the_shortest():
    # 0 -> 1 -> 2 on slow sides (1 m/s), 0 -> 3 -> 2 on fast ones (100 m/s): the same 200 m, so
    # make the fast way longer by a detour and check that it is still taken.
    s = _square(True, True, speed=[1.0, 1.0, 100.0, 100.0])
    longer = np.array([100.0, 100.0, 150.0, 150.0])
    s = Streets(s.xy, s.a, s.b, longer, s.speed, s.forward, s.backward)
    rng = np.random.default_rng(1)
    points, dist, dur = _point_matrices(s, 40, rng)
    # the points nearest junctions 0 and 2 on the slow sides: the trip between them drives
    # the fast way
    on_slow = (points[:, 1] < 1e-9) | (points[:, 0] > 100 - 1e-9)
    i = int(np.argmin(np.where(on_slow, np.linalg.norm(points, axis=1), np.inf)))
    j = int(np.argmin(np.where(on_slow, np.linalg.norm(points - [100.0, 100.0], axis=1), np.inf)))
    slow_way = np.abs(points[i] - points[j]).sum()  # along the two slow sides
    assert dur[i, j] < slow_way / 1.0
    assert dist[i, j] > slow_way  # the fast way is the longer one


def test_a_street_pool_trains_the_environment_on_feasible_batches():
    pool = street_pool(80, seed=2)
    assert pool.locs.min() >= 0 and pool.locs.max() == pytest.approx(1.0)
    td = VRPGenerator(12, seed=0, pool=pool, dtype=torch.float64)(32)
    assert_rollouts_agree_with_evaluate(td)


def test_too_few_points_are_refused():
    with pytest.raises(ValueError, match="num_points"):
        street_matrices(1, 0)


def test_the_asymmetry_script_names_a_missing_pool_in_one_line():
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "scripts/road_asymmetry.py", "--regions", "", "--pool", "nope.npz"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr == "error: --pool: no such pool file: nope.npz\n"
