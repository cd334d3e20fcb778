"""`VRPGenerator`: batches of random instances, variants mixed per instance (RouteFinder style).

The distributions are those of the project's instance generator (``vrp.model.generate``), both
reading `vrpspec.distributions`, drawn here as tensors for a whole batch:

- coordinates uniform in ``[0, 1]^2``; 3 depots for MD (windows and the distance limit are
  drawn from the first), 1 otherwise;
- capacity Q = ``30 + n // 5`` for n > 20 customers, else 30; demands are integers ``1..9``,
  given to the environment divided by Q (so ``capacity`` is 1);
- B/M: each customer is a backhaul customer with probability 0.2 (at least one is), with
  delivery 0 and a pickup in ``1..9``;
- TW: depot window ``[0, 4.6]``, service ``U(0.15, 0.18)``, window length ``U(0.18, 0.2)``,
  window start uniform in ``[t(depot, i), 4.6 - t(i, depot) - service - length]``;
- L: ``U(2 m, max(2.8, 2 m + 1e-6))`` with m the largest depot-customer distance (its low
  end raised by a relative 4e-5, `FLOAT32_SPARE`, so float32 can serve every customer);
- O: open routes.

So every customer can be served alone from depot 0 and every instance is feasible.

Which variant each instance gets: ``variants="all"`` switches each attribute on per instance
with its own probability (the defaults make the 48 variants equally likely); a variant name or
a list of names draws uniformly among them.

With a `envs.pool.MatrixPool`, each instance takes K + n distinct points of one compact part
of the pool (the m points nearest a random one, m log-uniform from K + n to the pool's size:
a few streets to the whole region, where one-way streets weigh more or less) and the matching
sub-matrices (``distance_matrix``, ``duration_matrix``), scaled to its own box as
``vrp.neural.bridge`` scales a road instance; its windows and limit are those of a road
instance (`vrp.roads.city.sample_city`), drawn as the model will see one:

- TW: in seconds on a working day (`vrpspec.distributions.ROAD_WORKDAY_S` and after), the
  pool's time unit drawn per instance from ``ROAD_SECONDS_PER_UNIT`` (log-uniform: regions of
  other sizes than the pool's own); then every time (windows, service, durations) is scaled
  so that the working day is ``[0, 4.6]``, as ``vrp.neural.bridge`` scales a timed instance;
- L: ``U(L0, 2 L0)`` with ``L0`` the longest out-and-back from depot 0 (its low end raised
  by `FLOAT32_SPARE` as above).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from rl4co.envs.common.utils import Generator
from tensordict import TensorDict

from envs.pool import MatrixPool
from vrpspec import distributions as spec
from vrpspec.variants import Variant, parse_variant

FLOAT32_SPARE = 4e-5
"""Relative margin of the lowest distance limit over the farthest out-and-back: four times the
1e-5 that `envs.mtvrp.time_tolerance` keeps to spare in float32."""


class VRPGenerator(Generator):
    """Draws instance TensorDicts (the instance keys of ``envs.mtvrp``) for `VRPEnv`.

    Args:
        num_loc: n, customers per instance.
        variants: ``"all"`` (per-attribute probabilities below), a variant name such as
            ``"vrptw"``, or a list of names drawn uniformly.
        prob_open, prob_backhaul, prob_mixed, prob_limit, prob_time_window,
        prob_multi_depot: with ``"all"``, the chance of each attribute; ``prob_mixed`` is
            the share of mixed among backhaul instances.
        pool: draw points and matrices from this pool instead of the unit square.
        dtype: float dtype of the batch.
        seed: seeds a private torch generator (else the global one is used).
    """

    def __init__(
        self,
        num_loc: int = 50,
        variants: str | Sequence[str] = "all",
        *,
        prob_open: float = 0.5,
        prob_backhaul: float = 2 / 3,
        prob_mixed: float = 0.5,
        prob_limit: float = 0.5,
        prob_time_window: float = 0.5,
        prob_multi_depot: float = 0.5,
        pool: MatrixPool | None = None,
        dtype: torch.dtype = torch.float32,
        seed: int | None = None,
    ):
        if num_loc < 1:
            raise ValueError(f"num_loc must be >= 1, got {num_loc}")
        self.num_loc = num_loc
        self.probs = {
            "open": prob_open,
            "backhaul": prob_backhaul,
            "mixed": prob_mixed,
            "limit": prob_limit,
            "time_windows": prob_time_window,
            "multi_depot": prob_multi_depot,
        }
        for key, p in self.probs.items():
            if not 0.0 <= p <= 1.0:
                raise ValueError(f"prob_{key} must be in [0, 1], got {p}")
        if isinstance(variants, str) and variants == "all":
            self.fixed: tuple[Variant, ...] | None = None
            may_md = prob_multi_depot > 0
        else:
            names = [variants] if isinstance(variants, str) else list(variants)
            if not names:
                raise ValueError("variants must name at least one variant")
            self.fixed = tuple(parse_variant(v) for v in names)
            fleets = [f.name for f in self.fixed if f.fleet]
            if fleets:
                raise ValueError(
                    f"the environment has no vehicle types (fleets) yet: {', '.join(fleets)}"
                )
            may_md = any(f.multi_depot for f in self.fixed)
        self.num_depots = spec.NUM_DEPOTS_MD if may_md else 1
        if pool is not None and pool.size < self.num_depots + num_loc:
            raise ValueError(
                f"the pool has {pool.size} points, fewer than {self.num_depots + num_loc} nodes"
            )
        self.pool = pool
        self.dtype = dtype
        self.rng = None if seed is None else torch.Generator().manual_seed(seed)

    # -- flags ------------------------------------------------------------------------------

    def _flags(self, B: int) -> dict[str, torch.Tensor]:
        """Per-instance attributes: bool ``[B]`` each, backhaul as ``backhaul``/``mixed``."""
        if self.fixed is None:
            u = self._rand(B, 6)
            p = self.probs
            return {
                "open": u[:, 0] < p["open"],
                "backhaul": u[:, 1] < p["backhaul"],
                "mixed": (u[:, 1] < p["backhaul"]) & (u[:, 2] < p["mixed"]),
                "limit": u[:, 3] < p["limit"],
                "time_windows": u[:, 4] < p["time_windows"],
                "multi_depot": u[:, 5] < p["multi_depot"],
            }
        rows = [
            (
                f.open,
                f.backhaul != "none",
                f.backhaul == "mixed",
                f.distance_limit,
                f.time_windows,
                f.multi_depot,
            )
            for f in self.fixed
        ]
        pick = torch.tensor(rows)[torch.randint(len(rows), (B,), generator=self.rng)]
        keys = ("open", "backhaul", "mixed", "limit", "time_windows", "multi_depot")
        return {k: pick[:, j] for j, k in enumerate(keys)}

    def _rand(self, *shape: int) -> torch.Tensor:
        return torch.rand(shape, generator=self.rng, dtype=torch.float64)

    def _uniform(self, lo: float, hi: float, *shape: int) -> torch.Tensor:
        return lo + (hi - lo) * self._rand(*shape)

    def _ints(self, lo: int, hi: int, *shape: int) -> torch.Tensor:
        return torch.randint(lo, hi + 1, shape, generator=self.rng).double()

    def _seconds_per_unit(self, B: int) -> torch.Tensor:
        """``[B]``: log-uniform in ``ROAD_SECONDS_PER_UNIT`` (drawn ``[B, 1]``: the distance
        limit's is the batch's one 1-d draw)."""
        lo, hi = (torch.tensor(x, dtype=torch.float64).log() for x in spec.ROAD_SECONDS_PER_UNIT)
        return (lo + (hi - lo) * self._rand(B, 1)[:, 0]).exp()

    def _pool_points(self, B: int, N: int) -> torch.Tensor:
        """``[B, N]`` distinct pool indices: N drawn among the m pool points nearest a random
        pool point, m log-uniform in ``[N, P]``, so that an instance covers anything from a
        few streets to the whole region."""
        pool = self.pool
        assert pool is not None
        P = pool.size
        centre = pool.locs[torch.randint(P, (B,), generator=self.rng)]  # [B, 2]
        near = ((pool.locs[None] - centre[:, None]) ** 2).sum(-1).argsort(-1)  # [B, P]
        m = (N * (P / N) ** self._rand(B, 1)).floor().clamp(N, P)  # [B, 1]
        keys = self._rand(B, P).masked_fill(torch.arange(P) >= m, 2.0)  # past m: last
        return near.gather(1, keys.argsort(-1)[:, :N])

    def _rescaled(
        self, idx: torch.Tensor, depot_valid: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Locations and matrices of pool points ``idx [B, N]`` in the instance's own units,
        as `envs.pool.unit_scale` gives a road instance of those points: coordinates shifted
        and divided by the larger side of their box, distances by the same, durations so that
        their mean over the instance's nodes equals that of its distances."""
        pool = self.pool
        assert pool is not None
        K = depot_valid.shape[1]
        locs = pool.locs[idx]
        dist = pool.distance[idx[:, :, None], idx[:, None, :]]
        dur = pool.duration[idx[:, :, None], idx[:, None, :]]
        lo = locs.amin(1, keepdim=True)
        side = (locs.amax(1, keepdim=True) - lo).amax(-1, keepdim=True).clamp_min(1e-9)  # [B,1,1]
        valid = torch.cat([depot_valid, torch.ones_like(idx[:, K:], dtype=torch.bool)], 1)
        pair = (valid[:, :, None] & valid[:, None, :]).double()
        ratio = (dist * pair).sum((1, 2)) / (dur * pair).sum((1, 2)).clamp_min(1e-12)
        return (locs - lo) / side, dist / side, dur * ratio[:, None, None] / side

    # -- the draw ---------------------------------------------------------------------------

    def _generate(self, batch_size) -> TensorDict:
        B = batch_size[0] if len(batch_size) else 1
        n, K = self.num_loc, self.num_depots
        N = K + n
        f = self._flags(B)

        depot_locs = self._rand(B, spec.NUM_DEPOTS_MD, 2)
        customer_locs = self._rand(B, n, 2)
        linehaul = self._ints(*spec.DEMAND_RANGE, B, n)
        backhaul_demand = self._ints(*spec.DEMAND_RANGE, B, n)
        is_backhaul = self._rand(B, n) < spec.BACKHAUL_SHARE
        fallback = torch.randint(n, (B,), generator=self.rng)
        service = self._uniform(*spec.SERVICE_TIME_RANGE, B, n)
        length = self._uniform(*spec.WINDOW_LENGTH_RANGE, B, n)
        start_u = self._rand(B, n)
        limit_u = self._rand(B)

        single = ~f["multi_depot"]
        depot_valid = torch.ones(B, K, dtype=torch.bool)
        depot_valid[single, 1:] = False
        out: dict[str, torch.Tensor] = {}
        if self.pool is None:
            locs = torch.cat([depot_locs[:, :K], customer_locs], dim=1)
            locs[single, 1:K] = locs[single, :1]  # unused slots copy depot 0
            dist = (locs[:, :, None] - locs[:, None]).norm(dim=-1)
            dur = dist
        else:
            idx = self._pool_points(B, N)
            idx[single, 1:K] = idx[single, :1]
            locs, dist, dur = self._rescaled(idx, depot_valid)
            out["distance_matrix"] = dist.to(self.dtype)

        # Backhaul customers (at least one when the attribute is on).
        none_drawn = ~is_backhaul.any(-1)
        forced = torch.zeros_like(is_backhaul)
        forced[torch.arange(B), fallback] = True
        is_backhaul = (is_backhaul | (forced & none_drawn[:, None])) & f["backhaul"][:, None]
        q = float(spec.capacity_for(n))
        delivery = torch.where(is_backhaul, 0.0, linehaul) / q
        pickup = torch.where(is_backhaul, backhaul_demand, 0.0) / q

        # Time windows, from depot 0.
        day = torch.full((B,), spec.DEPOT_HORIZON, dtype=torch.float64)
        if self.pool is not None:  # a road instance's day in seconds, in the pool's unit
            unit = self._seconds_per_unit(B)
            service = self._ints(*spec.ROAD_SERVICE_S, B, n) / unit[:, None]
            length = self._ints(*spec.ROAD_WINDOW_S, B, n) / unit[:, None]
            day = spec.ROAD_WORKDAY_S / unit
        to_c, from_c = dur[:, 0, K:], dur[:, K:, 0]
        horizon = torch.maximum((to_c + from_c + service + length).amax(-1), day)
        if self.pool is not None:  # a timed day becomes [0, 4.6], as the bridge scales it
            f_t = torch.where(f["time_windows"], spec.DEPOT_HORIZON / horizon, 1.0)
            dur = dur * f_t[:, None, None]
            service, length = service * f_t[:, None], length * f_t[:, None]
            horizon = torch.where(f["time_windows"], spec.DEPOT_HORIZON, horizon)
            out["duration_matrix"] = dur.to(self.dtype)
            to_c, from_c = dur[:, 0, K:], dur[:, K:, 0]
        first, last = to_c, horizon[:, None] - from_c - service - length
        start = first + start_u * (last - first)
        tw_on = f["time_windows"][:, None]
        inf = torch.full((B, n), torch.inf, dtype=torch.float64)
        customer_tw = torch.stack(
            [torch.where(tw_on, start, 0.0), torch.where(tw_on, start + length, inf)], dim=-1
        )
        depot_tw = torch.zeros(B, K, 2, dtype=torch.float64)
        depot_tw[..., 1] = torch.where(tw_on, horizon[:, None], torch.inf)
        service_time = torch.cat([torch.zeros(B, K, dtype=torch.float64), service * tw_on], 1)

        # Distance limit, from depot 0. The lowest limit keeps FLOAT32_SPARE to spare beyond
        # the farthest out-and-back, so that float32's strict check (`time_tolerance`) still
        # lets every customer be served alone: without it a limit drawn within 1e-5 of 2 m
        # left a customer no route could take, and the episode could never end.
        if self.pool is None:
            reach = 2.0 * torch.maximum(dist[:, 0, K:].amax(-1), dist[:, K:, 0].amax(-1))
        else:  # the longest out-and-back
            reach = (dist[:, 0, K:] + dist[:, K:, 0]).amax(-1)
        low = reach + FLOAT32_SPARE * (1.0 + reach)
        high = (
            torch.clamp(low + 1e-6, min=spec.DISTANCE_LIMIT_CAP) if self.pool is None else 2 * low
        )
        limit = torch.where(f["limit"], low + limit_u * (high - low), torch.inf)

        zeros = torch.zeros(B, K, dtype=torch.float64)
        cast = self.dtype
        out.update(
            {
                "locs": locs.to(cast),
                "depot_valid": depot_valid,
                "delivery": torch.cat([zeros, delivery], 1).to(cast),
                "pickup": torch.cat([zeros, pickup], 1).to(cast),
                "capacity": torch.ones(B, 1, dtype=cast),
                "service_time": service_time.to(cast),
                "time_windows": torch.cat([depot_tw, customer_tw], 1).to(cast),
                "distance_limit": limit[:, None].to(cast),
                "open_route": f["open"][:, None],
                "mixed_backhaul": f["mixed"][:, None],
            }
        )
        return TensorDict(out, batch_size=[B])
