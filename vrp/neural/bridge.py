"""The bridge between `Instance` / `Solution` and the environment's TensorDicts (``envs``).

`to_batch` turns instances with the same number of customers into one batch of instance keys for
``envs.mtvrp.VRPRules`` (keys and shapes are written in that module's docstring), scaled into
environment units by the rule of ``envs.pool`` (coordinates into the unit square, distances by
the same factor, durations to speed 1, times shifted to start at 0 or later, demands divided by
the capacity), except that an instance with a duration matrix whose depot 0 closes has its times
scaled so that depot 0's day is ``[0, 4.6]`` (`vrpspec.distributions.DEPOT_HORIZON`), the
generated instances' day: a road instance's 8 hours in seconds then look like a day the model
was trained on, whatever the size of the city. `to_solutions` maps action sequences back to
routes, and `to_actions` maps routes to the action sequence that builds them. Costs always come
from `vrp.model.evaluate.evaluate` on the returned `Solution`; `costs` only reads a reward back
into instance units (for logging and cross-checks).

Node slots: a batch has K depot slots (K = the most depots of its instances, or more); depot
k of an instance is slot k, slots it does not use copy depot 0 and are marked invalid;
customer ``D + j`` of an instance is slot ``K + j``.

Refused (``InputError``): a ``vehicles.count`` below the number of customers, which the
environment cannot honour since it builds as many routes as it needs (pass
``allow_fleet_limit=True`` to solve anyway and let `evaluate` judge the route count), and a
customer that no route of its own from any depot can serve (the instance is then infeasible
whenever its matrices keep the triangle inequality).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from vrp.errors import InputError
from vrp.model.instance import Instance
from vrp.model.solution import Route, Solution
from vrpspec.distances import local_projection
from vrpspec.distributions import DEPOT_HORIZON

if TYPE_CHECKING:
    import torch
    from tensordict import TensorDict


@dataclass(frozen=True)
class Scale:
    """Instance units from environment units: ``x = offset + extent * x_env`` for coordinates,
    ``distance * d_env`` for distances, ``time_shift + time * t_env`` for times,
    ``capacity * q_env`` for loads."""

    offset: tuple[float, float]
    extent: float
    distance: float
    time: float
    time_shift: float
    capacity: float


@dataclass(frozen=True)
class EnvBatch:
    """Instances as one batch of environment instance keys (``td``, not yet reset)."""

    td: TensorDict
    instances: tuple[Instance, ...]
    scales: tuple[Scale, ...]
    num_depot_slots: int

    def __len__(self) -> int:
        return len(self.instances)


def to_batch(
    instances: Sequence[Instance],
    *,
    num_depot_slots: int | None = None,
    dtype: torch.dtype | None = None,
    device: str | torch.device = "cpu",
    allow_fleet_limit: bool = False,
) -> EnvBatch:
    """One batch of environment instance keys for ``instances`` (all with n customers).

    Args:
        instances: one or more instances with the same number of customers.
        num_depot_slots: K, at least the most depots of any instance (default: that many).
        dtype: float dtype of the batch (default float32).
        device: where the tensors go.
        allow_fleet_limit: accept a ``vehicles.count`` the environment cannot honour.

    Raises:
        InputError: a fleet limit or a customer the environment cannot handle (see module).
        ValueError: no instances, different numbers of customers, or too few depot slots.
    """
    import torch
    from tensordict import TensorDict

    from envs.mtvrp import initial_state

    if not instances:
        raise ValueError("to_batch needs at least one instance")
    sizes = {inst.num_customers for inst in instances}
    if len(sizes) > 1:
        raise ValueError(f"a batch needs one number of customers, got {sorted(sizes)}")
    most = max(inst.num_depots for inst in instances)
    K = most if num_depot_slots is None else num_depot_slots
    if K < most:
        raise ValueError(f"num_depot_slots={K} is fewer than the {most} depots of an instance")
    dtype = torch.float32 if dtype is None else dtype
    for inst in instances:
        _check_fleet(inst, allow_fleet_limit)

    matrices = not all(inst.planar for inst in instances)
    rows = [_arrays(inst, K, matrices) for inst in instances]
    keys = rows[0][0].keys()
    data = {k: torch.as_tensor(np.stack([r[0][k] for r in rows])) for k in keys}
    for k, v in data.items():
        if v.is_floating_point():
            data[k] = v.to(dtype)
    td = TensorDict(data, batch_size=[len(instances)], device=device)
    batch = EnvBatch(td, tuple(instances), tuple(r[1] for r in rows), K)
    _check_servable(batch, initial_state(td))
    return batch


def from_td(td: TensorDict, name: str = "env") -> list[Instance]:
    """The instances of a batch of environment instance keys, in environment units.

    For exporting generated batches as FORMAT.md instances and for judging environment
    rollouts with `evaluate`. Unused depot slots are dropped; a window ``[0, inf)`` (the
    neutral value) becomes no window; matrices are kept when the batch has them. Instance b is
    named ``"<name>-<b>"``.
    """
    import torch

    K = td["depot_valid"].shape[-1]
    cpu = td.to("cpu")

    def np64(key: str) -> np.ndarray:
        return cpu[key].to(torch.float64).numpy()

    out = []
    for b in range(td.batch_size[0]):
        D = int(cpu["depot_valid"][b].sum())
        keep = np.concatenate([np.arange(D), np.arange(K, td["locs"].shape[-2])])
        tw = np64("time_windows")[b][keep]
        neutral = (tw[:, 0] == 0) & np.isinf(tw[:, 1])
        matrices = {
            k: np64(k)[b][np.ix_(keep, keep)] if k in td.keys() else None
            for k in ("distance_matrix", "duration_matrix")
        }
        limit = float(np64("distance_limit")[b, 0])
        out.append(
            Instance(
                num_depots=D,
                locations=np64("locs")[b][keep],
                delivery=np64("delivery")[b][keep],
                pickup=np64("pickup")[b][keep],
                service_time=np64("service_time")[b][keep],
                tw_early=np.where(neutral, -np.inf, tw[:, 0]),
                tw_late=np.where(neutral, np.inf, tw[:, 1]),
                capacity=float(np64("capacity")[b, 0]),
                max_distance=limit if math.isfinite(limit) else None,
                open=bool(cpu["open_route"][b, 0]),
                backhaul="mixed" if bool(cpu["mixed_backhaul"][b, 0]) else "classic",
                distance_matrix=matrices["distance_matrix"],
                duration_matrix=matrices["duration_matrix"],
                name=f"{name}-{b}",
            )
        )
    return out


def to_solutions(
    batch: EnvBatch, actions: torch.Tensor | Sequence[Sequence[int]]
) -> list[Solution]:
    """The routes that the action sequences ``[B, T]`` build, one `Solution` per instance."""
    rows = actions.tolist() if hasattr(actions, "tolist") else [list(a) for a in actions]
    return [to_solution(batch, b, row) for b, row in enumerate(rows)]


def to_solution(batch: EnvBatch, index: int, actions: Sequence[int]) -> Solution:
    """The routes that one action sequence builds on instance ``index`` of ``batch``."""
    inst, K = batch.instances[index], batch.num_depot_slots
    D = inst.num_depots
    routes: list[Route] = []
    depot, route = 0, []
    for a in (int(x) for x in actions):
        if a < K:
            if route:
                routes.append(Route(depot, route))
            if a >= D:
                raise ValueError(f"action {a} is an unused depot slot of instance {index}")
            depot, route = a, []
        else:
            route.append(a - K + D)
    if route:
        routes.append(Route(depot, route))
    return Solution(routes)


def to_actions(batch: EnvBatch, index: int, solution: Solution) -> list[int]:
    """The action sequence that builds ``solution`` on instance ``index``, ending at a depot.

    A first route away from depot 0 begins with a start move; each later route begins with
    its depot (which closes the route before it); the last action closes the last route.
    """
    inst, K = batch.instances[index], batch.num_depot_slots
    D = inst.num_depots
    out: list[int] = []
    for k, route in enumerate(solution.routes):
        if k > 0 or route.depot != 0:
            out.append(route.depot)
        out.extend(c - D + K for c in route.customers)
    if solution.routes:
        out.append(solution.routes[-1].depot)
    return out


def to_action_tensor(batch: EnvBatch, solutions: Sequence[Solution]) -> torch.Tensor:
    """``[B, T]`` long: `to_actions` of each solution, padded with its last depot."""
    import torch

    rows = [to_actions(batch, b, s) for b, s in enumerate(solutions)]
    T = max(len(r) for r in rows)
    padded = [r + [r[-1]] * (T - len(r)) for r in rows]
    return torch.tensor(padded, dtype=torch.long, device=batch.td.device)


def costs(batch: EnvBatch, reward: torch.Tensor) -> list[float]:
    """Environment rewards ``[B]`` as costs in instance units (use `evaluate` for results)."""
    return [-float(r) * s.distance for r, s in zip(reward.tolist(), batch.scales, strict=True)]


# -- one instance ---------------------------------------------------------------------------


def _check_fleet(inst: Instance, allow: bool) -> None:
    count = inst.vehicle_count
    if count is None or count >= inst.num_customers or allow:
        return
    raise InputError(
        f"{inst.name}: {count} vehicles for {inst.num_customers} customers: the RL "
        "environment builds as many routes as it needs and cannot honour a fleet limit",
        field="vehicles.count",
    )


def _planar(inst: Instance) -> np.ndarray:
    """``[N, 2]`` planar points for features: the coordinates, projected, or recovered."""

    if inst.locations is None:
        return _classical_mds(inst.distances)
    if inst.coordinates == "lonlat":
        return local_projection(inst.locations)
    return np.asarray(inst.locations, dtype=float)


def _classical_mds(dist: np.ndarray) -> np.ndarray:
    """2-D points whose distances approximate the symmetrised ``dist`` (classical MDS)."""
    sym = 0.5 * (dist + dist.T)
    n = len(sym)
    centre = np.eye(n) - 1.0 / n
    gram = -0.5 * centre @ (sym**2) @ centre
    vals, vecs = np.linalg.eigh(gram)
    top = np.argsort(vals)[::-1][:2]
    pts = vecs[:, top] * np.sqrt(np.clip(vals[top], 0.0, None))
    if pts.shape[1] < 2:
        pts = np.pad(pts, ((0, 0), (0, 2 - pts.shape[1])))
    return pts


def _scale(inst: Instance, points: np.ndarray) -> Scale:
    from envs.pool import unit_scale

    finite = [v for v in (*inst.tw_early, *inst.tw_late) if math.isfinite(v)]
    shift = min([0.0, *finite])
    if inst.duration_matrix is None:
        s = unit_scale(points)
        time = s.extent / inst.speed
    else:
        s = unit_scale(points, inst.distances, inst.durations)
        time = s.time
        day = float(inst.tw_late[0]) - shift
        if math.isfinite(day) and day > 0:  # road times: the day becomes [0, DEPOT_HORIZON]
            time = day / DEPOT_HORIZON
    return Scale(s.offset, s.extent, s.extent, time, shift, float(inst.capacity))


def _arrays(inst: Instance, K: int, matrices: bool) -> tuple[dict[str, Any], Scale]:
    D, N = inst.num_depots, inst.num_nodes
    points = _planar(inst)
    s = _scale(inst, points)
    # slot -> instance node: depots, unused slots copy depot 0, then customers
    src = np.concatenate([np.arange(D), np.zeros(K - D, dtype=int), np.arange(D, N)])

    early = np.where(np.isfinite(inst.tw_early), inst.tw_early, 0.0)
    early[D:] = np.where(np.isfinite(inst.tw_early[D:]), inst.tw_early[D:], s.time_shift)
    late = inst.tw_late
    windows = np.stack(
        [
            (early - s.time_shift) / s.time,
            np.where(np.isfinite(late), late - s.time_shift, np.inf) / s.time,
        ],
        axis=-1,
    )
    limit = np.inf if inst.max_distance is None else inst.max_distance / s.distance
    out: dict[str, Any] = {
        "locs": ((points - np.asarray(s.offset)) / s.extent)[src],
        "depot_valid": np.arange(K) < D,
        "delivery": inst.delivery[src] / s.capacity,
        "pickup": inst.pickup[src] / s.capacity,
        "capacity": np.ones(1),
        "service_time": inst.service_time[src] / s.time,
        "time_windows": windows[src],
        "distance_limit": np.array([limit]),
        "open_route": np.array([bool(inst.open)]),
        "mixed_backhaul": np.array([inst.backhaul == "mixed"]),
    }
    if matrices:
        out["distance_matrix"] = inst.distances[np.ix_(src, src)] / s.distance
        out["duration_matrix"] = inst.durations[np.ix_(src, src)] / s.time
    return out, s


def _check_servable(batch: EnvBatch, state: TensorDict) -> None:
    K = batch.num_depot_slots
    servable = state["start_feasible"][..., K:].any(1).cpu().numpy()  # [B, n]
    for b, inst in enumerate(batch.instances):
        bad = np.flatnonzero(~servable[b])
        if bad.size:
            raise InputError(
                f"{inst.name}: no route of its own from any depot can serve this customer "
                "(time window, depot deadline or distance limit), so the RL environment cannot",
                field=f"customers[{int(bad[0])}]",
            )
