"""The RL environment (envs): generator draws, mask rules on small hand-made cases, mixed
batches run to the end and judged by `evaluate`, devices."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from rl4co.data.transforms import dihedral_8_augmentation
from rl4co.utils.ops import batchify, gather_by_index, unbatchify
from tensordict import TensorDict

from envs import (
    VARIANT_NAMES,
    MatrixPool,
    VRPEnv,
    VRPGenerator,
    rollout,
    synthetic_pool,
    uniform_policy,
    variant_index,
    variant_names,
)
from envs.generator import FLOAT32_SPARE
from envs.ops import dihedral_8, gather_rows, repeat_batch, split_batch
from envs.pool import POOL_FIELDS
from vrp.model.evaluate import evaluate
from vrp.model.solution import Route, Solution
from vrp.neural.bridge import from_td
from vrpspec.distances import great_circle_matrix
from vrpspec.distributions import capacity_for
from vrpspec.variants import parse_variant

POOL = synthetic_pool(120, seed=0)
INF = math.inf


def run(env: VRPEnv, td: TensorDict, seed: int = 0) -> tuple[TensorDict, torch.Tensor]:
    return rollout(env, env.reset(td), uniform_policy(torch.Generator().manual_seed(seed)))


def cast(td: TensorDict, dtype: torch.dtype) -> TensorDict:
    return td.apply(lambda x: x.to(dtype) if x.is_floating_point() else x)


def assert_rollouts_agree_with_evaluate(
    td: TensorDict, seed: int = 0, dtype: torch.dtype = torch.float64, rel: float = 1e-5
):
    """Roll ``td`` (float64) out in ``dtype``; judge the routes on the float64 instances."""
    env = VRPEnv()
    final, actions = run(env, cast(td, dtype), seed)
    reward = env.get_reward(final, actions)
    from vrp.neural.bridge import EnvBatch, to_solutions

    instances = from_td(td)
    K = td["depot_valid"].shape[-1]
    batch = EnvBatch(td, tuple(instances), (), K)
    for inst, sol, r in zip(instances, to_solutions(batch, actions), reward.tolist(), strict=True):
        ev = evaluate(inst, sol)
        assert ev.feasible, (inst.variant.name, ev.violations[:3])
        assert ev.cost == pytest.approx(-r, rel=rel)


# -- names and the generator ----------------------------------------------------------------


def test_the_environment_reads_each_variant_at_its_index_in_the_shared_table():
    for i, name in enumerate(VARIANT_NAMES):
        assert variant_index(VRPGenerator(6, name, seed=i)(2)).tolist() == [i, i]
    assert [parse_variant(name).index for name in VARIANT_NAMES] == list(range(48))


@pytest.mark.parametrize("name", VARIANT_NAMES)
def test_a_fixed_variant_generator_makes_only_that_variant(name):
    td = VRPGenerator(8, name, seed=1)(6)
    assert variant_names(td) == [name] * 6
    assert {inst.variant.name for inst in from_td(td)} == {name}


def test_the_all_generator_mixes_the_48_variants_about_evenly():
    counts = torch.bincount(variant_index(VRPGenerator(3, seed=0)(4800)), minlength=48)
    assert counts.min() > 50 and counts.max() < 150  # 100 expected each


def test_a_list_of_variants_is_drawn_among_those_only():
    td = VRPGenerator(5, ["cvrp", "vrptw"], seed=2)(200)
    assert set(variant_names(td)) == {"cvrp", "vrptw"}
    assert td["depot_valid"].shape[-1] == 1  # no depot slots for MD when no MD is drawn


@pytest.mark.parametrize("pool", [None, POOL], ids=["square", "pool"])
def test_generated_batches_follow_the_instance_generators_distributions(pool):
    n = 40
    td = VRPGenerator(n, seed=3, pool=pool, dtype=torch.float64)(300)
    K = td["depot_valid"].shape[-1]
    assert K == 3
    q = capacity_for(n)
    variants = [parse_variant(v) for v in variant_names(td)]
    flags = torch.tensor(
        [
            (v.multi_depot, v.open, v.backhaul_code, v.distance_limit, v.time_windows)
            for v in variants
        ]
    )
    md, is_open, backhaul, limit, tw = flags.T.bool()
    locs = td["locs"]
    assert ((locs >= 0) & (locs <= 1)).all()
    assert (td["depot_valid"].sum(-1) == torch.where(md, 3, 1)).all()
    assert (locs[~md, 1:K] == locs[~md, :1]).all()  # unused slots copy depot 0

    dem = td["delivery"][:, K:] * q
    pick = td["pickup"][:, K:] * q
    assert torch.allclose(dem, dem.round()) and torch.allclose(pick, pick.round())
    is_b = pick > 0
    assert ((dem > 0) ^ is_b).all()  # every customer exactly one of the two
    assert (dem.round() <= 9).all() and (pick.round() <= 9).all()
    assert not is_b[~backhaul].any() and is_b[backhaul].any(-1).all()
    share = is_b[backhaul].float().mean().item()
    assert 0.18 < share < 0.22
    assert set(dem[dem > 0].round().unique().tolist()) == set(range(1, 10))

    dist = td.get("distance_matrix", None)
    if dist is None:
        dist = (locs[:, :, None] - locs[:, None]).norm(dim=-1)
    dur = td.get("duration_matrix", dist)
    w = td["time_windows"]
    serv = td["service_time"][:, K:]
    assert (w[~tw][..., 0] == 0).all() and torch.isinf(w[~tw][..., 1]).all()
    assert (td["service_time"][~tw] == 0).all()
    cw = w[tw][:, K:]
    width = cw[..., 1] - cw[..., 0]
    horizon = w[tw][:, 0, 1]
    if pool is None:
        assert ((width >= 0.18 - 1e-12) & (width <= 0.2 + 1e-12)).all()
        assert ((serv[tw] >= 0.15) & (serv[tw] <= 0.18)).all()
        assert (horizon >= 4.6).all()
        assert (horizon == 4.6).all() and (w[tw][:, :K, 0] == 0).all()
    else:  # a road day of 8 h, 1-2 h windows, 5-10 min service, scaled to [0, 4.6]
        day = 4.6 / (8 * 3600)
        assert (horizon == 4.6).all() and (w[tw][:, :K, 0] == 0).all()
        assert (width <= 7200 * day + 1e-9).all() and (serv[tw] <= 600 * day + 1e-9).all()
        ratio = serv[tw] / width  # the same scale for both
        assert ((ratio >= 300 / 7200 - 1e-9) & (ratio <= 600 / 3600 + 1e-9)).all()
        # durations scaled by a day of 100 to 2000 s per unit of the pool (about its mean)
        pace = dur.mean((1, 2)) / dist.mean((1, 2))
        assert ((pace[~tw] - 1).abs() < 0.1).all()  # the pool's own: its mean is 1
        assert ((pace[tw] > 0.5 * 100 * day) & (pace[tw] < 2 * 2000 * day)).all()
        assert pace[tw].max() / pace[tw].min() > 5  # cities of many sizes
    assert (cw[..., 0] >= dur[tw][:, 0, K:] - 1e-12).all()
    back = cw[..., 1] + serv[tw] + dur[tw][:, K:, 0]
    assert (back <= horizon[:, None] + 1e-9).all()

    L = td["distance_limit"][:, 0]
    assert torch.isinf(L[~limit]).all()
    if pool is None:
        m = 2 * torch.maximum(dist[:, 0, K:].amax(-1), dist[:, K:, 0].amax(-1))
    else:  # the longest out-and-back, as sample_city's U(L0, 2 L0)
        m = (dist[:, 0, K:] + dist[:, K:, 0]).amax(-1)
    low = m[limit] + FLOAT32_SPARE * (1 + m[limit])
    assert (L[limit] >= low).all()
    high = torch.clamp(low + 1e-6, min=2.8) if pool is None else 2 * low
    assert (L[limit] <= high).all()
    if pool is not None:
        assert (L[limit] > 1.5 * low).any()
    assert (td["open_route"][:, 0] == is_open).all()
    assert (td["mixed_backhaul"][:, 0] == (flags[:, 2] == 2)).all()

    # every customer can be served alone from depot 0
    state = VRPEnv().reset(td)
    assert state["start_feasible"][:, 0, K:].all()


def test_pool_instances_cover_a_few_streets_to_the_whole_region_each_in_its_own_box():
    gen = VRPGenerator(20, "cvrp", pool=POOL, seed=8)
    idx = gen._pool_points(400, 21)
    assert all(len(set(row)) == 21 for row in idx.tolist())  # distinct points
    pts = POOL.locs[idx]
    side = (pts.amax(1) - pts.amin(1)).amax(-1)  # in the pool's box, whose side is 1
    assert side.min() < 0.4 and side.max() > 0.9
    td = gen(50)  # cvrp: one depot slot, no windows
    locs = td["locs"]
    box = (locs.amax(1) - locs.amin(1)).amax(-1)
    assert torch.allclose(box, torch.ones(50)) and (locs.amin(1) == 0).all()
    d, t = td["distance_matrix"], td["duration_matrix"]
    assert torch.allclose(d.mean((1, 2)), t.mean((1, 2)))  # pace 1 without windows


def test_a_seeded_generator_repeats_itself():
    a, b = VRPGenerator(10, seed=5)(4), VRPGenerator(10, seed=5)(4)
    assert all(torch.equal(a[k], b[k]) for k in a.keys())


def test_the_pool_matrices_are_asymmetric_and_keep_the_triangle_inequality():
    d, t = POOL.distance, POOL.duration
    assert not torch.allclose(d, d.T) and not torch.allclose(t, t.T)
    for m in (d, t):
        via = (m[:, :, None] + m[None, :, :]).amin(1)  # best two-leg path i -> k -> j
        assert (m <= via + 1e-12).all()


# -- mixed batches end to end ---------------------------------------------------------------


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("pool", [None, POOL], ids=["square", "pool"])
def test_mixed_variant_batches_roll_out_to_solutions_evaluate_finds_feasible(pool, dtype):
    td = VRPGenerator(15, seed=11, pool=pool, dtype=torch.float64)(96)
    assert len(set(variant_names(td))) > 30
    assert_rollouts_agree_with_evaluate(td, seed=1, dtype=dtype)


def test_a_batch_runs_where_its_tensors_are_without_touching_another_device():
    # Arithmetic between a meta tensor and one made on the CPU by mistake raises, so this
    # runs every reset, step, mask and reward operation as a GPU batch would.
    env = VRPEnv()
    td = VRPGenerator(6, seed=0, pool=POOL)(4).to("meta")
    state = env.reset(td)
    assert all(v.device.type == "meta" for v in state.values())
    state.set("action", torch.full((4,), 3, device="meta"))
    state = env.step(state)["next"]
    assert state["action_mask"].device.type == "meta"
    actions = torch.full((4, 3), 3, device="meta")
    assert env.get_reward(state, actions).device.type == "meta"


def test_the_mask_of_one_instance_repeated_for_its_starts_never_copies_its_matrices():
    # One instance decoded from every start under 8 symmetries is a view with batch stride 0:
    # reshaping its matrices to read a row each would copy all of them at every step.
    from torch.utils._python_dispatch import TorchDispatchMode

    env = VRPEnv()
    state = env.reset(VRPGenerator(30, seed=2, pool=POOL)(1))
    many = repeat_batch(state, 8 * 30)
    assert many["distance_matrix"].stride(0) == 0
    many.set("action", torch.arange(240) % 30 + 1)
    copy = many.apply(lambda x: x.clone())  # the same states, contiguous

    class Largest(TorchDispatchMode):
        numel = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            for t in out if isinstance(out, tuple) else (out,):
                if isinstance(t, torch.Tensor):
                    Largest.numel = max(Largest.numel, t.numel())
            return out

    with Largest():
        stepped = env.step(many)["next"]
    N = many["distance_matrix"].shape[-1]
    assert Largest.numel < 240 * N * N / 8  # rows and masks, not matrices
    assert torch.equal(stepped["action_mask"], env.step(copy)["next"]["action_mask"])


def test_a_batch_moved_with_to_cpu_gives_the_same_rollout():
    td = VRPGenerator(10, seed=4)(8)
    env = VRPEnv()
    _, a1 = run(env, td, seed=3)
    final, a2 = run(env, td.to("cpu"), seed=3)
    assert torch.equal(a1, a2) and final.device == torch.device("cpu")


# -- the mask on hand-made cases --------------------------------------------------------------


def tiny(
    locs,
    delivery,
    pickup=None,
    *,
    depots=1,
    mixed=False,
    open_=False,
    limit=INF,
    windows=None,
    service=None,
) -> TensorDict:
    """One instance; node lists include the depots (first ``depots`` entries)."""
    N = len(locs)
    f = torch.float64

    def row(x):
        return torch.tensor([x], dtype=f)

    return TensorDict(
        {
            "locs": row(locs),
            "depot_valid": torch.ones(1, depots, dtype=torch.bool),
            "delivery": row(delivery),
            "pickup": row(pickup or [0.0] * N),
            "capacity": row([1.0]),
            "service_time": row(service or [0.0] * N),
            "time_windows": row(windows or [[0.0, INF]] * N),
            "distance_limit": row([limit]),
            "open_route": torch.tensor([[open_]]),
            "mixed_backhaul": torch.tensor([[mixed]]),
        },
        batch_size=[1],
    )


def steps(td: TensorDict, actions: list[int]) -> tuple[VRPEnv, TensorDict]:
    env = VRPEnv()
    state = env.reset(td)
    for a in actions:
        assert state["action_mask"][0, a], f"action {a} masked"
        state.set("action", torch.tensor([a]))
        state = env.step(state)["next"]
    return env, state


def allowed(state: TensorDict) -> set[int]:
    return set(state["action_mask"][0].nonzero()[:, 0].tolist())


LINE = [[0.0, 0.0], [0.1, 0.0], [0.2, 0.0], [0.3, 0.0]]


def test_mixed_backhaul_masks_a_delivery_the_load_after_an_earlier_pickup_cannot_take():
    # env.md's example: pickup 0.5, then deliveries 0.5 and 0.4, Q = 1: the vehicle leaves
    # with 0.9, carries 1.4 after the pickup. A looser published test accepts this route.
    td = tiny(LINE, [0, 0, 0.5, 0.4], [0, 0.5, 0, 0], mixed=True)
    _, state = steps(td, [1, 2])
    assert 3 not in allowed(state)
    _, state = steps(td, [2, 3])  # deliveries first: 0.9 -> 0.4 -> 0.9, fine
    assert 1 in allowed(state)
    inst = from_td(td)[0]
    assert not evaluate(inst, Solution([Route(0, [1, 2, 3])])).feasible
    assert evaluate(inst, Solution([Route(0, [2, 3, 1])])).feasible


def test_classic_backhaul_keeps_deliveries_before_pickups_and_sums_them_apart():
    td = tiny(LINE, [0, 0.6, 0, 0.3], [0, 0, 0.8, 0])
    _, state = steps(td, [1])
    assert {2, 3} <= allowed(state)  # 0.6 + 0.8 > 1 but the sums are apart
    _, state = steps(td, [1, 2])
    assert 3 not in allowed(state)  # no delivery after a pickup
    _, state = steps(td, [2])  # a backhaul-only route may start
    assert 3 not in allowed(state) and 0 in allowed(state)
    _, state = steps(td, [1, 3])
    assert 2 in allowed(state)


def test_the_capacity_limit_is_exact_at_q():
    td = tiny(LINE, [0, 0.5, 0.5, 0.1])
    _, state = steps(td, [1])
    assert 2 in allowed(state)
    _, state = steps(td, [1, 2])
    assert 3 not in allowed(state)


def test_an_open_route_counts_no_return_leg_for_cost_limit_or_deadline():
    locs = [[0.0, 0.0], [1.0, 0.0]]
    for kw in ({"limit": 1.5}, {"windows": [[0.0, 1.5], [0.0, 10.0]]}):
        _, state = steps(tiny(locs, [0, 0.1], **kw), [])
        assert 1 not in allowed(state)  # out and back is 2
        env, state = steps(tiny(locs, [0, 0.1], open_=True, **kw), [1])
        assert env.get_reward(state, torch.tensor([[1, 0]])).item() == pytest.approx(-1.0)
    env, state = steps(tiny(locs, [0, 0.1]), [1])
    assert env.get_reward(state, torch.tensor([[1]])).item() == pytest.approx(-2.0)


def test_the_mask_looks_ahead_to_the_depot_deadline_after_service():
    locs = [[0.0, 0.0], [0.5, 0.0], [0.6, 0.0]]
    windows = [[0.0, 2.0], [0.0, 0.6], [1.0, 1.1]]
    td = tiny(locs, [0, 0.1, 0.1], windows=windows, service=[0, 0.3, 0.5])
    _, state = steps(td, [])
    assert 1 in allowed(state)  # 0.5 + 0.3 + 0.5 = 1.3 <= 2
    assert 2 not in allowed(state)  # starts at 1.0, done at 1.5, home at 2.1 > 2
    _, state = steps(td, [1])
    assert 2 not in allowed(state)
    td = tiny(locs, [0, 0.1, 0.1], windows=windows, service=[0, 0.3, 0.4])
    _, state = steps(td, [1])
    assert 2 in allowed(state)  # waits until 1.0, home at 1.0 + 0.4 + 0.6 = 2.0


class _LowestLimit(VRPGenerator):
    """Draws every distance limit at the low end of its range (the one 1-d draw)."""

    def _rand(self, *shape: int) -> torch.Tensor:
        draw = super()._rand(*shape)
        return torch.zeros_like(draw) if len(shape) == 1 else draw


@pytest.mark.parametrize("pool", [None, POOL], ids=["square", "pool"])
def test_float32_batches_at_the_lowest_distance_limit_still_serve_every_customer(pool):
    # A limit drawn within float32's strict slack of the farthest out-and-back used to leave
    # a customer that no route could take: the mask ran empty and training crashed.
    K = 3
    td = VRPEnv().reset(_LowestLimit(30, "mdvrpl", seed=5, pool=pool, dtype=torch.float32)(64))
    assert td["start_feasible"][:, :1, K:].all()  # each customer alone from depot 0
    _, reward = run(VRPEnv(), td)
    assert torch.isfinite(reward).all()


@pytest.mark.parametrize("limit", ["window", "deadline", "distance"])
def test_float32_rounding_never_lets_through_a_limit_evaluate_finds_broken(limit):
    # Via customer 1, customer 2 is reached at 2.0, 1e-5 after its limit; alone it is
    # reached at sqrt(2). float32's permissive load slack (1e-5 of the limit) would allow
    # the detour; times and distances must keep that slack to spare instead.
    locs = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0]]
    tight = 2.0 - 1e-5
    kw = {
        "window": {"windows": [[0.0, INF], [0.0, INF], [0.0, tight]], "open_": True},
        "deadline": {"windows": [[0.0, tight + 2**0.5], [0.0, INF], [0.0, INF]]},
        "distance": {"limit": tight + 2**0.5},
    }[limit]
    td = tiny(locs, [0, 0.1, 0.1], **kw)
    assert not evaluate(from_td(td)[0], Solution([Route(0, [1, 2])])).feasible
    for dtype in (torch.float64, torch.float32):
        _, state = steps(cast(td, dtype), [1])
        assert 2 not in allowed(state), dtype
        _, state = steps(cast(td, dtype), [])
        assert 2 in allowed(state), dtype


def test_a_multi_depot_route_returns_to_its_own_depot_and_a_depot_action_starts_the_next():
    locs = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 0.5], [0.0, 0.5]]
    td = tiny(locs, [0, 0, 0, 0.1, 0.1], depots=3)
    env, state = steps(td, [])
    assert allowed(state) == {1, 2, 3, 4}  # move the start to depot 1 or 2, or go
    env, state = steps(td, [1])
    assert allowed(state) == {3, 4}  # the start moves once
    actions = [1, 3, 2, 4]  # depot 1 -> 3 -> depot 1; depot 2 -> 4 -> depot 2
    env, state = steps(td, actions)
    assert state["done"].all() and allowed(state) == {2}  # only the current depot now
    expected = 0.5 + 0.5 + 0.5 + 0.5
    for tail in ([], [2], [2, 2, 2]):
        reward = env.get_reward(state, torch.tensor([actions + tail]))
        assert reward.item() == pytest.approx(-expected)
    inst = from_td(td)[0]
    assert evaluate(inst, Solution([Route(1, [3]), Route(2, [4])])).cost == pytest.approx(2.0)


def test_a_depot_is_offered_as_the_next_start_only_if_it_can_serve_someone_left():
    locs = [[0.0, 0.0], [0.9, 0.9], [0.1, 0.0], [0.9, 1.0]]
    td = tiny(locs, [0, 0, 0.1, 0.1], depots=2, limit=0.5)  # 2 only from 0, 3 only from 1
    _, state = steps(td, [])
    assert allowed(state) == {1, 2}
    _, state = steps(td, [2])
    assert allowed(state) == {1}  # depot 0 has nothing left; 3 is too far from 0
    _, state = steps(td, [1, 3])
    assert allowed(state) == {0}  # 2 is out of range of depot 1: close, start at depot 0


def test_check_solution_refuses_a_masked_action_and_an_unfinished_sequence():
    td = tiny(LINE, [0, 0.6, 0.6, 0.1])
    env = VRPEnv(check_solution=True)
    state = env.reset(td)
    with pytest.raises(ValueError, match="not allowed"):
        env.get_reward(state, torch.tensor([[1, 2, 0, 3]]))
    with pytest.raises(ValueError, match="not every customer"):
        env.get_reward(state, torch.tensor([[1, 0, 2]]))
    assert env.get_reward(state, torch.tensor([[1, 3, 0, 2, 0]])).item() < 0


def test_multi_start_picks_only_allowed_first_actions_in_pomo_order():
    td = VRPGenerator(5, seed=0)(3)
    env = VRPEnv()
    state = env.reset(td)
    assert env.get_num_starts(state) == 5
    starts = env.select_start_nodes(state, 7).view(7, 3)
    K = td["depot_valid"].shape[-1]
    for b in range(3):
        assert state["action_mask"][b, starts[:, b]].all()
        assert (starts[:, b] >= K).all()
        assert len(set(starts[:5, b].tolist())) == int(state["action_mask"][b, K:].sum())
    # the multi-start expansion puts start s of instance b at s * B + b
    expanded = repeat_batch(state, 7)
    expanded.set("action", env.select_start_nodes(state, 7))
    after = env.step(expanded)["next"]
    assert after["visited"].view(7, 3, -1)[:, :, K:].sum(-1).eq(1).all()
    assert torch.equal(after["current_node"].view(7, 3), starts)


def test_an_instance_needs_at_most_2n_plus_1_steps():
    td = VRPGenerator(12, seed=9, prob_multi_depot=1.0)(64)
    _, actions = run(VRPEnv(), td, seed=2)
    assert actions.shape[1] <= 2 * 12 + 1


# -- pools ----------------------------------------------------------------------------------


def test_a_lonlat_pool_is_projected_into_environment_units_and_survives_a_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    lonlat = np.column_stack([rng.uniform(4.80, 4.95, 30), rng.uniform(52.33, 52.40, 30)])
    metres = great_circle_matrix(lonlat) * rng.uniform(1.2, 1.4, (30, 30))
    np.fill_diagonal(metres, 0.0)
    seconds = metres / 9.0 + 20.0 * (1 - np.eye(30))
    pool = MatrixPool.from_arrays(lonlat, metres, seconds, lonlat=True)
    assert pool.locs.min() >= 0 and pool.locs.max() == pytest.approx(1.0)
    extent = metres.max() / pool.distance.max().item()  # one factor for all distances
    assert torch.allclose(pool.distance * extent, torch.as_tensor(metres))
    off = ~torch.eye(30, dtype=torch.bool)
    assert pool.duration[off].mean() == pytest.approx(pool.distance[off].mean().item())
    pool.save(tmp_path / "pool.npz")
    again = MatrixPool.load(tmp_path / "pool.npz")
    assert all(torch.equal(getattr(pool, k), getattr(again, k)) for k in POOL_FIELDS)
    td = VRPGenerator(10, "mdvrptw", pool=again, seed=0, dtype=torch.float64)(8)
    assert_rollouts_agree_with_evaluate(td)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: MatrixPool(torch.zeros(3, 2), torch.zeros(3, 2), torch.zeros(3, 3)), "shape"),
        (lambda: MatrixPool(torch.zeros(2, 2), -torch.ones(2, 2), torch.zeros(2, 2)), ">= 0"),
        (lambda: VRPGenerator(0), "num_loc"),  # no customers
        (lambda: VRPGenerator(5, prob_open=1.5), "prob_open"),  # not a probability
        (lambda: VRPGenerator(5, "vrpx"), "unknown variant"),
        (lambda: VRPGenerator(5, []), "at least one"),
        (lambda: VRPGenerator(200, pool=POOL), "fewer than"),  # pool smaller than an instance
    ],
)
def test_bad_pool_and_generator_arguments_are_refused(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_envs_imports_nothing_from_vrp_or_cli():
    import ast
    from pathlib import Path

    for path in Path(__file__).parents[1].joinpath("envs").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            for name in names:
                assert name.split(".")[0] not in ("vrp", "cli"), f"{path.name} imports {name}"


# -- the mask at every limit: equal is allowed, just past it is not ---------------------------
# Each case builds the route ``prefix + [j]`` and asks the mask whether j may come next (after
# ``prefix``: j first on the route when the prefix is empty, last when it is not), then asks
# `evaluate` about the same route: both must say the same. float64, where the mask's
# tolerance is evaluate's (1e-9).

PAST = 1e-6
ON_A_LINE = [[0.0, 0.0], [0.1, 0.0], [0.2, 0.0], [0.3, 0.0]]


def agree(td: TensorDict, prefix: list[int], j: int, expected: bool, depot: int = 0) -> None:
    """The mask offers j after ``prefix`` iff ``expected``, and so does `evaluate`."""
    actions = ([depot] if depot else []) + prefix
    _, state = steps(td, actions)
    assert (j in allowed(state)) == expected, (prefix, j)
    ev = evaluate(from_td(td)[0], Solution([Route(depot, [*prefix, j])]))
    broken = [v for v in ev.violations if v.rule != "visits"]
    assert (not broken) == expected, (prefix, j, broken)


@pytest.mark.parametrize("is_open", [False, True], ids=["closed", "open"])
@pytest.mark.parametrize("prefix", [[], [1, 2]], ids=["first", "last"])
def test_the_mask_holds_deliveries_at_q_and_refuses_them_past_q(prefix, is_open):
    used = sum([0.2, 0.3][: len(prefix)])
    for extra, ok in ((0.0, True), (PAST, False)):
        td = tiny(ON_A_LINE, [0, 0.2, 0.3, 1.0 - used + extra], open_=is_open)
        if not prefix and not ok:
            continue  # a customer alone past Q is no instance (evaluate refuses to read it)
        agree(td, prefix, 3, ok)


@pytest.mark.parametrize("is_open", [False, True], ids=["closed", "open"])
def test_the_mask_holds_classic_pickups_at_q_and_refuses_them_past_q(is_open):
    for extra, ok in ((0.0, True), (PAST, False)):
        td = tiny(ON_A_LINE, [0, 0.5, 0, 0], [0, 0, 0.75, 0.25 + extra], open_=is_open)
        agree(td, [1, 2], 3, ok)  # deliveries 0.5, pickups 0.75 + 0.25
        agree(td, [2], 3, ok)  # a backhaul-only route


def test_the_mask_refuses_a_classic_delivery_after_a_pickup_first_or_later():
    td = tiny(ON_A_LINE, [0, 0.1, 0, 0.1], [0, 0, 0.1, 0])
    agree(td, [2], 1, False)  # the pickup was the first customer
    agree(td, [1, 2], 3, False)  # and the last delivery comes too late
    agree(td, [1, 3], 2, True)


@pytest.mark.parametrize("is_open", [False, True], ids=["closed", "open"])
def test_the_mixed_mask_checks_the_load_after_the_last_pickup(is_open):
    # Pickups 0.6 + 0.6 with Q = 1: 1.2 after the last one. The route, scaled by 1/10.
    td = tiny(ON_A_LINE, [0, 0, 0, 0], [0, 0.6, 0.6, 0.4], mixed=True, open_=is_open)
    agree(td, [1], 2, False)
    agree(td, [1], 3, True)  # 1.0 = Q


@pytest.mark.parametrize("is_open", [False, True], ids=["closed", "open"])
def test_the_mixed_mask_holds_the_departure_and_each_load_at_q(is_open):
    for extra, ok in ((0.0, True), (PAST, False)):
        # Departure: deliveries 0.5 + 0.5 (+ PAST).
        td = tiny(ON_A_LINE, [0, 0.5, 0.5 + extra, 0], mixed=True, open_=is_open)
        agree(td, [1], 2, ok)
        # A pickup of 0.5 first, then a delivery: leaves with 0.5, carries 1.0 after the pickup.
        td = tiny(ON_A_LINE, [0, 0, 0.5 + extra, 0], [0, 0.5, 0, 0], mixed=True, open_=is_open)
        agree(td, [1], 2, ok)
        # A customer that delivers 0.4 and picks up 0.3 (0.3 on board), then a pickup of 0.7.
        td = tiny(ON_A_LINE, [0, 0.4, 0, 0], [0, 0.3, 0.7 + extra, 0], mixed=True)
        agree(td, [1], 2, ok)


@pytest.mark.parametrize("is_open", [False, True], ids=["closed", "open"])
@pytest.mark.parametrize("prefix", [[], [1, 2]], ids=["first", "last"])
def test_the_mask_holds_the_distance_limit_at_equality(prefix, is_open):
    # Customer 3 at x = 0.3: the route is 0.3 out, and 0.3 back unless open.
    length = 0.3 if is_open else 0.6
    for extra, ok in ((0.0, True), (-PAST, False)):
        td = tiny(ON_A_LINE, [0, 0.1, 0.1, 0.1], limit=length + extra, open_=is_open)
        agree(td, prefix, 3, ok)


@pytest.mark.parametrize("is_open", [False, True], ids=["closed", "open"])
@pytest.mark.parametrize("prefix", [[], [1, 2]], ids=["first", "last"])
def test_the_mask_lets_service_start_exactly_at_latest(prefix, is_open):
    # Service 0.1 at 1 and 2: customer 3 is reached at 0.3 alone, at 0.5 after them.
    start = 0.5 if prefix else 0.3
    for extra, ok in ((0.0, True), (-PAST, False)):
        windows = [[0.0, INF]] * 3 + [[0.0, start + extra]]
        td = tiny(ON_A_LINE, [0, 0.1, 0.1, 0.1], windows=windows, service=[0, 0.1, 0.1, 0])
        td["open_route"][:] = is_open
        agree(td, prefix, 3, ok)


def test_the_mask_waits_for_earliest_and_times_the_next_customer_from_there():
    # Customer 1 opens at 1.0: customer 2 is reached at 1.1 (at 0.2 without the wait).
    for extra, ok in ((0.0, True), (-PAST, False)):
        windows = [[0.0, INF], [1.0, INF], [0.0, 1.1 + extra], [0.0, INF]]
        agree(tiny(ON_A_LINE, [0, 0.1, 0.1, 0.1], windows=windows), [1], 2, ok)


@pytest.mark.parametrize("prefix", [[], [1, 2]], ids=["first", "last"])
def test_the_mask_lets_a_route_return_exactly_at_the_depot_deadline(prefix):
    # Customer 3 alone: back at 0.6; after 1 and 2 (service 0.1 each): back at 0.8.
    back = 0.8 if prefix else 0.6
    for extra, ok in ((0.0, True), (-PAST, False)):
        windows = [[0.0, back + extra]] + [[0.0, INF]] * 3
        td = tiny(ON_A_LINE, [0, 0.1, 0.1, 0.1], windows=windows, service=[0, 0.1, 0.1, 0])
        agree(td, prefix, 3, ok)
        td["open_route"][:] = True  # no return, no deadline
        agree(td, prefix, 3, True)


def test_the_mask_offers_a_customer_once_and_ends_only_when_every_one_is_served():
    td = tiny(ON_A_LINE, [0, 0.1, 0.1, 0.1])
    _, state = steps(td, [2])
    assert allowed(state) == {0, 1, 3}
    _, state = steps(td, [2, 0, 3])
    assert allowed(state) == {0, 1} and not state["done"].any()
    _, state = steps(td, [2, 0, 3, 1])
    assert allowed(state) == {0} and state["done"].all()


def test_the_mask_judges_a_multi_depot_route_by_its_own_depot():
    # Depot 0 at x = 0 closes at 0.25, depot 1 at x = 1 closes at 0.2 after opening at 0;
    # customer 3 at x = 0.9 (0.1 from depot 1), customer 2 at x = 0.1.
    locs = [[0.0, 0.0], [1.0, 0.0], [0.1, 0.0], [0.9, 0.0]]
    for extra, ok in ((0.0, True), (-PAST, False)):
        windows = [[0.0, 0.25], [0.0, 0.2 + extra], [0.0, INF], [0.0, INF]]
        for td in (
            tiny(locs, [0, 0, 0.1, 0.1], depots=2, windows=windows),
            tiny(locs, [0, 0, 0.1, 0.1], depots=2, limit=0.2 + extra),
        ):
            _, state = steps(td, [])
            # Only depot 1 can serve customer 3 alone, and only at the limit; a depot with
            # no one to serve is not offered as a start.
            assert state["start_feasible"][0, :, 3].tolist() == [False, ok]
            assert (1 in allowed(state)) == ok
            if ok:
                agree(td, [], 3, ok, depot=1)
            ev = evaluate(from_td(td)[0], Solution([Route(1, [3]), Route(0, [2])]))
            assert ev.feasible == ok


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_the_state_keys_have_the_documented_shapes_and_dtypes_after_reset_and_a_step(dtype):
    B, n = 3, 5
    td = VRPGenerator(n, "mdvrptw", seed=0, dtype=dtype)(B)
    K = td["depot_valid"].shape[-1]
    N = K + n
    long, flag = torch.long, torch.bool
    want = {
        "current_node": ([B], long),
        "current_depot": ([B], long),
        "current_time": ([B, 1], dtype),
        "route_length": ([B, 1], dtype),
        "route_delivery": ([B, 1], dtype),
        "route_pickup": ([B, 1], dtype),
        "route_net_load": ([B, 1], dtype),
        "route_peak_load": ([B, 1], dtype),
        "visited": ([B, N], flag),
        "at_start": ([B], flag),
        "start_feasible": ([B, K, N], flag),
        "action_mask": ([B, N], flag),
        "done": ([B], flag),
        "reward": ([B], dtype),
        "distance_matrix": ([B, N, N], dtype),
        "duration_matrix": ([B, N, N], dtype),
    }
    env = VRPEnv()
    state = env.reset(td)
    for _ in range(2):
        got = {k: (list(state[k].shape), state[k].dtype) for k in want}
        assert got == want
        assert not state["start_feasible"][..., :K].any()  # a depot is no customer to serve
        first = state["action_mask"][:, K:].float().argmax(-1) + K
        state.set("action", first)
        state = env.step(state)["next"]


@pytest.mark.parametrize("scale", [1.0, 1000.0], ids=["absolute", "relative"])
@pytest.mark.parametrize("limit", ["window", "deadline", "distance", "load"])
def test_the_float64_mask_forgives_rounding_and_nothing_more(limit, scale):
    # Like evaluate(): a value past its limit by less than 1e-9 * (1 + |limit|) is allowed
    # (float sums of exactly feasible routes), one past it by more is not.
    slack = 1e-9 * (1 + scale)
    for over, ok in ((0.4 * slack, True), (1.3 * slack, False)):
        value = scale + over
        x = value if limit in ("window", "load") else value / 2  # out (and back)
        locs = [[0.0, 0.0], [x, 0.0]]
        kw = {
            "window": {"windows": [[0.0, INF], [0.0, scale]], "open_": True},
            "deadline": {"windows": [[0.0, scale], [0.0, INF]]},
            "distance": {"limit": scale},
            "load": {},
        }[limit]
        td = tiny(locs, [0, value if limit == "load" else 0.0], **kw)
        td["capacity"][:] = scale
        _, state = steps(td, [])
        assert (1 in allowed(state)) == ok, over


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_float32_keeps_times_and_distances_1e_5_to_spare_and_forgives_loads_1e_5(dtype):
    # A customer 4e-6 (relative) inside its window, the deadline and the distance limit: float64
    # takes it, float32 wants 1e-5 to spare. Loads 4e-6 past Q: float32 forgives them (integer
    # loads fill a vehicle exactly), float64 does not.
    f64 = dtype == torch.float64
    inside = 1.0 - 4e-6
    cases = [
        ({"windows": [[0.0, INF], [0.0, 1.0]], "open_": True}, inside, 0.1, f64),
        ({"windows": [[0.0, 2.0], [0.0, INF]]}, inside, 0.1, f64),
        ({"limit": 2.0}, inside, 0.1, f64),
        ({}, 0.5, 1.0 + 4e-6, not f64),
    ]
    for kw, x, load, ok in cases:
        td = cast(tiny([[0.0, 0.0], [x, 0.0]], [0, load], **kw), dtype)
        _, state = steps(td, [])
        assert (1 in allowed(state)) == ok, (kw, dtype)


def test_the_multi_start_layout_is_rl4cos_so_policies_trained_with_either_read_the_same_rows():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(3, 5, 2, generator=g)
    td = TensorDict({"x": x, "y": torch.arange(3)}, batch_size=[3])
    for s in (1, 2, 7):
        assert torch.equal(repeat_batch(x, s), batchify(x, s))
        rep = repeat_batch(td, s)
        assert rep.batch_size == torch.Size([3 * s])
        assert torch.equal(rep["y"], batchify(td, s)["y"])
        assert torch.equal(split_batch(repeat_batch(x, s), s), unbatchify(batchify(x, s), s))
    idx = torch.tensor([[4, 0], [1, 1], [3, 2]])
    assert torch.equal(gather_rows(x, idx), gather_by_index(x, idx, squeeze=False))


def test_the_eight_symmetries_are_the_images_of_the_unit_square_with_the_identity_first():
    xy = torch.rand(4, 6, 2, generator=torch.Generator().manual_seed(1))
    ours = dihedral_8(xy).view(8, 4, 6, 2)
    theirs = dihedral_8_augmentation(xy).view(8, 4, 6, 2)
    assert torch.equal(ours[0], xy)
    # the same eight images (ours may list them in another order)
    key = [sorted(map(tuple, img.reshape(-1, 12).tolist())) for img in ours]
    assert sorted(key) == sorted(sorted(map(tuple, img.reshape(-1, 12).tolist())) for img in theirs)
    # every image keeps the pairwise distances
    d = torch.cdist(xy, xy)
    for img in ours:
        assert torch.allclose(torch.cdist(img, img), d, atol=1e-6)


def test_decoding_loads_neither_rl4co_nor_lightning():
    import subprocess
    import sys

    code = (
        "import sys, vrp.neural.decode, vrp.neural.checkpoint, vrp.solvers.neural; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'rl4co', 'lightning', 'torchrl'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
