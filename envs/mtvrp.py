"""The rules of the unified environment: one TensorDict state for all 48 variants, on
coordinates or on matrices. `VRPRules` resets, steps, masks and scores given instances with
torch and tensordict alone (what decoding needs); `envs.env.VRPEnv` adds rl4co's environment
base and a batch generator for training.

Every variant is the general problem with some attributes switched off; an attribute that is
off takes its neutral value, so instances of different variants share one batch:

=========  ==============================  ======================================
attribute  key                             neutral value
=========  ==============================  ======================================
O          ``open_route``                  False
B / M      ``pickup``, ``mixed_backhaul``  no pickups (the mode then does not matter)
L          ``distance_limit``              ``inf``
TW         ``time_windows``, service       ``[0, inf)``, service time 0
MD         ``depot_valid``                 only depot slot 0 valid
=========  ==============================  ======================================

Nodes and actions
-----------------
A batch has K depot slots then n customers, N = K + n nodes; slot 0 is always a real depot,
slots a single-depot instance does not use are invalid (``depot_valid`` False) and are never
chosen. An action is a node index:

- a customer: append it to the current route;
- a depot k: close the current route (the vehicle returns to the route's own depot, not to k)
  and start the next route at k. Before the first action the vehicle stands at depot 0 with
  an empty route, and a depot action then only moves the start (once).

The episode is done once every customer is visited; the last route's return leg is counted
all the same. Afterwards the only allowed action is the current depot, which changes nothing
in the cost. The fleet is unlimited: the environment builds as many routes as it needs and
does not know ``vehicles.count`` (the bridge in ``vrp.neural.bridge`` refuses a count it cannot
honour).

Rules (FORMAT.md, enforced by the mask)
---------------------------------------
A customer j may follow node i on a route from depot d, with time t (ready to leave i) and
route distance so far ``len``, iff it is unvisited and

- time: ``start = max(t + dur[i, j], earliest_j) <= latest_j`` and, unless open,
  ``start + service_j + dur[j, d] <= latest_d`` (it can still get home in time);
- distance limit: ``len + dist[i, j] + dist[j, d] <= L`` (no return leg when open);
- load, with D and P the route's delivery and pickup sums so far:
  classic/none — a delivery customer only while P = 0 and ``D + d_j <= Q``, a pickup
  customer only if ``P + p_j <= Q``; mixed — keep x (pickups minus deliveries so far) and
  M (the largest x, departure included); j is allowed iff ``D + d_j + max(M, x - d_j + p_j)
  <= Q``, the exact form of "the load is at most Q after every stop" when the vehicle leaves
  with all of the route's deliveries.

A depot may be chosen as the next start only if some unvisited customer can be served from
it by a route of its own (``start_feasible``), so no route ever starts without a customer
to take and the mask never runs empty — provided every customer can be served alone from
some depot (the generator guarantees it, ``vrp.neural.bridge`` checks it). The look-ahead uses the
direct return leg; with matrices that break the triangle inequality a route that could only
get home in time through a detour is masked, otherwise the mask accepts every route
FORMAT.md accepts. Limits are compared with a tolerance of 1e-9 (float64) times
``1 + |limit|``; in float32 loads get 1e-5 of slack and times and distances must keep 1e-5
to spare (`time_tolerance`), so that float32 rounding never lets through a late arrival.

Reward: minus the total distance (open routes: the return legs count for nothing),
computed from the action sequence by `VRPRules.get_reward`.

TensorDict keys and shapes (the one place they are written down)
----------------------------------------------------------------
Instance keys, read by `VRPRules.reset` (made by `envs.generator.VRPGenerator` or by
``vrp.neural.bridge``). Floats share one dtype (float32 or float64); ``[B, 1]`` is one value per
instance.

====================  ============  =====================================================
key                   shape         meaning
====================  ============  =====================================================
``locs``              [B, N, 2]     coordinates, for features only when matrices are given
``depot_valid``       [B, K] bool   depot slot k is a real depot (slot 0 always)
``delivery``          [B, N]        linehaul demand (0 on depots)
``pickup``            [B, N]        backhaul demand (0 on depots)
``capacity``          [B, 1]        Q
``service_time``      [B, N]        (0 on depots)
``time_windows``      [B, N, 2]     [earliest, latest] service start; on a depot
                                    [departure, return deadline]; times are >= 0
``distance_limit``    [B, 1]        L, ``inf`` for none
``open_route``        [B, 1] bool   O
``mixed_backhaul``    [B, 1] bool   M (else classic B; no effect without pickups)
``distance_matrix``   [B, N, N]     optional; Euclidean distances of ``locs`` if absent
``duration_matrix``   [B, N, N]     optional; equal to ``distance_matrix`` if absent
====================  ============  =====================================================

State keys, added by `VRPRules.reset` and updated by `VRPRules.step` (the matrices above are
always present after a reset):

====================  ============  =====================================================
``current_node``      [B] long      where the vehicle is (a depot: the route is empty)
``current_depot``     [B] long      the depot of the current route
``current_time``      [B, 1]        when the vehicle can leave ``current_node``
``route_length``      [B, 1]        distance of the current route so far
``route_delivery``    [B, 1]        D: deliveries of the current route so far
``route_pickup``      [B, 1]        P: pickups of the current route so far
``route_net_load``    [B, 1]        x: pickups minus deliveries so far (load - departure load)
``route_peak_load``   [B, 1]        M: the largest x so far, 0 at departure
``visited``           [B, N] bool   customers visited (depots stay False)
``at_start``          [B] bool      no action taken yet (the start depot may still move)
``start_feasible``    [B, K, N]     customer j can be served alone from depot slot k
``action_mask``       [B, N] bool   allowed actions
``done``              [B] bool      every customer visited
``reward``            [B]           zeros; the reward comes from `get_reward`
====================  ============  =====================================================
"""

from __future__ import annotations

import torch
from tensordict import TensorDict

INSTANCE_KEYS = (
    "locs",
    "depot_valid",
    "delivery",
    "pickup",
    "capacity",
    "service_time",
    "time_windows",
    "distance_limit",
    "open_route",
    "mixed_backhaul",
)
MATRIX_KEYS = ("distance_matrix", "duration_matrix")


def tolerance(dtype: torch.dtype) -> float:
    """Relative slack for limit checks: float rounding must not mask a feasible move."""
    return 1e-9 if dtype == torch.float64 else 1e-5


def time_tolerance(dtype: torch.dtype) -> float:
    """Relative slack for the time and distance limits.

    float64 agrees with `evaluate()` (1e-9). In float32 the slack is *negative*: a move is
    allowed only with 1e-5 of the limit to spare, so that float32 sums of travel and service
    times never reach a window, a deadline or a distance limit that `evaluate()` then finds
    broken (the permissive slack of loads let a validation route of n = 50 start service
    4e-5 after a window closed). Times and distances are continuous, so nothing is given up
    but that sliver. Loads keep the permissive `tolerance`: integer loads fill a vehicle
    exactly.
    """
    return 1e-9 if dtype == torch.float64 else -1e-5


def euclidean_matrix(locs: torch.Tensor) -> torch.Tensor:
    """``[B, N, 2] -> [B, N, N]``, exact (no matmul shortcut, unlike ``torch.cdist``)."""
    return (locs[..., :, None, :] - locs[..., None, :, :]).norm(dim=-1)


class VRPRules:
    """Reset, step, mask and reward of the unified environment (module docstring), on the
    instances given to `reset`; `envs.env.VRPEnv` is the same with rl4co's base and a
    generator.

    Args:
        check_solution: replay every action sequence given to `get_reward` and raise
            ``ValueError`` if it breaks the mask (slow; for tests and debugging).
    """

    def __init__(self, check_solution: bool = False):
        self.check_solution = check_solution

    # -- reset / step ---------------------------------------------------------------------

    def reset(self, td: TensorDict) -> TensorDict:
        """The first state of the instances in ``td`` (instance keys), on ``td``'s device."""
        return initial_state(td)

    def step(self, td: TensorDict) -> dict[str, TensorDict]:
        """``{"next": state}`` after ``td["action"]`` (``td`` is updated in place), the
        return shape of rl4co's step."""
        return {"next": self._step(td)}

    def get_reward(
        self, td: TensorDict, actions: torch.Tensor, check_solution: bool | None = None
    ) -> torch.Tensor:
        """``[B]``: minus the total distance of ``actions [B, T]`` (`_get_reward`), replayed
        against the mask first if ``check_solution`` (default: the object's setting)."""
        if self.check_solution if check_solution is None else check_solution:
            self.check_solution_validity(td, actions)
        return self._get_reward(td, actions)

    def _step(self, td: TensorDict) -> TensorDict:
        a = td["action"]
        K = td["depot_valid"].shape[-1]
        ar = torch.arange(a.shape[0], device=a.device)
        i = td["current_node"]
        is_depot = (a < K)[:, None]
        tw = td["time_windows"]

        leg_dist = td["distance_matrix"][ar, i, a][:, None]
        leg_dur = td["duration_matrix"][ar, i, a][:, None]
        early = tw[ar, a, 0][:, None]
        start = torch.maximum(td["current_time"] + leg_dur, early)
        ready = start + td["service_time"][ar, a][:, None]
        d_a = td["delivery"][ar, a][:, None]
        p_a = td["pickup"][ar, a][:, None]
        net = td["route_net_load"] - d_a + p_a
        zero = torch.zeros_like(net)

        visited = td["visited"] | (
            torch.nn.functional.one_hot(a, td["visited"].shape[-1]).bool() & ~is_depot
        )
        td.update(
            {
                "current_node": a,
                "current_depot": torch.where(is_depot[:, 0], a, td["current_depot"]),
                # a depot action starts a new route there: leave at the depot's earliest
                "current_time": torch.where(is_depot, early, ready),
                "route_length": torch.where(is_depot, zero, td["route_length"] + leg_dist),
                "route_delivery": torch.where(is_depot, zero, td["route_delivery"] + d_a),
                "route_pickup": torch.where(is_depot, zero, td["route_pickup"] + p_a),
                "route_net_load": torch.where(is_depot, zero, net),
                "route_peak_load": torch.where(
                    is_depot, zero, torch.maximum(td["route_peak_load"], net)
                ),
                "visited": visited,
                "at_start": torch.zeros_like(td["at_start"]),
                "done": visited[:, K:].all(-1),
            }
        )
        td.set("action_mask", self.get_action_mask(td))
        return td

    # -- the mask ---------------------------------------------------------------------------

    @staticmethod
    def get_action_mask(td: TensorDict) -> torch.Tensor:
        """``[B, N]`` bool: the actions allowed in the current state (see the module rules)."""
        K = td["depot_valid"].shape[-1]
        i, d = td["current_node"], td["current_depot"]
        ar = torch.arange(i.shape[0], device=i.device)
        dist, dur = td["distance_matrix"], td["duration_matrix"]
        ok = _append_ok(
            td,
            dist_row=_rows(dist, i),
            dur_row=_rows(dur, i),
            dist_back=dist[ar, :, d],
            dur_back=dur[ar, :, d],
            depot_late=td["time_windows"][ar, d, 1][:, None],
            time=td["current_time"],
            length=td["route_length"],
            delivered=td["route_delivery"],
            picked=td["route_pickup"],
            net=td["route_net_load"],
            peak=td["route_peak_load"],
        )
        customers = ok[:, K:] & ~td["visited"][:, K:]

        remaining = ~td["visited"][:, K:]
        has_work = (td["start_feasible"][..., K:] & remaining[:, None, :]).any(-1)
        slots = torch.arange(K, device=i.device)
        here = slots[None, :] == d[:, None]
        route_open = (i >= K)[:, None]
        moving_start = td["at_start"][:, None] & ~here
        depots = has_work & (route_open | moving_start)
        finished = ~remaining.any(-1, keepdim=True)
        depots = torch.where(finished, here, depots)
        return torch.cat([depots, customers], dim=-1)

    @staticmethod
    def _start_feasible(td: TensorDict, K: int) -> torch.Tensor:
        """``[B, K, N]``: customer j fits a route of its own from depot slot k.

        Computed by the same `_append_ok` as the step mask from the same fresh-route state,
        so a depot chosen for its work always offers that work as its first customer.
        """
        dist, dur = td["distance_matrix"], td["duration_matrix"]
        tw = td["time_windows"]
        zeros = torch.zeros_like(tw[:, :K, 0:1])
        ok = _append_ok(
            td,
            dist_row=dist[:, :K, :],
            dur_row=dur[:, :K, :],
            dist_back=dist[:, :, :K].transpose(1, 2),
            dur_back=dur[:, :, :K].transpose(1, 2),
            depot_late=tw[:, :K, 1:2],
            time=tw[:, :K, 0:1],
            length=zeros,
            delivered=zeros,
            picked=zeros,
            net=zeros,
            peak=zeros,
            per_depot=True,
        )
        ok[..., :K] = False
        return ok & td["depot_valid"][..., None]

    # -- reward -----------------------------------------------------------------------------

    def _get_reward(self, td: TensorDict, actions: torch.Tensor) -> torch.Tensor:
        """``[B]``: minus the total distance of the routes that ``actions [B, T]`` build."""
        K = td["depot_valid"].shape[-1]
        dist = td["distance_matrix"]
        B, T = actions.shape
        N = dist.shape[-1]
        ar = torch.arange(B, device=actions.device)[:, None]
        is_depot = actions < K
        prev = torch.cat([torch.zeros_like(actions[:, :1]), actions[:, :-1]], dim=1)
        prev_is_depot = prev < K
        # The depot of the route being built just before step k: the last depot action
        # before k, or depot 0.
        pos = torch.arange(T, device=actions.device).expand(B, T)
        last = torch.where(is_depot, pos, torch.full_like(pos, -1)).cummax(dim=1).values
        before = torch.cat([torch.full_like(last[:, :1], -1), last[:, :-1]], dim=1)
        route_depot = torch.where(
            before >= 0, actions.gather(1, before.clamp(min=0)), torch.zeros_like(actions)
        )
        closed = td["open_route"].expand(B, T)
        # A customer action adds the leg from the previous node; a depot action after a
        # customer adds the return leg to the route's own depot (unless open).
        to = torch.where(is_depot, route_depot, actions)
        legs = dist.reshape(B, N * N)[ar, prev * N + to]
        counted = ~is_depot | (~prev_is_depot & ~closed)
        total = torch.where(counted, legs, torch.zeros_like(legs)).sum(-1)
        # The last route, if no depot action closed it.
        final_depot = torch.where(
            last[:, -1] >= 0,
            actions[ar[:, 0], last[:, -1].clamp(min=0)],
            torch.zeros_like(actions[:, -1]),
        )
        tail = dist[ar[:, 0], actions[:, -1], final_depot]
        add_tail = ~is_depot[:, -1] & ~td["open_route"][:, 0]
        total = total + torch.where(add_tail, tail, torch.zeros_like(tail))
        return -total

    def replay(self, td: TensorDict, actions: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Replay ``actions [B, T]`` from the instances in ``td``: ``[B]`` the step of each
        sequence's first masked action (T where none) and ``[B]`` whether it visits every
        customer."""
        state = initial_state(td.select(*INSTANCE_KEYS, *MATRIX_KEYS, strict=False))
        B, T = actions.shape
        ar = torch.arange(B, device=actions.device)
        first = torch.full((B,), T, dtype=torch.long, device=actions.device)
        for k in range(T):
            a = actions[:, k]
            masked = ~state["action_mask"][ar, a] & (first == T)
            first = torch.where(masked, k, first)
            state.set("action", a)
            state = self._step(state)
        return first, state["done"]

    def check_solution_validity(self, td: TensorDict, actions: torch.Tensor) -> None:
        """Replay ``actions`` from the instance in ``td`` (`replay`); ``ValueError`` on a
        masked action (the earliest) or an unfinished sequence."""
        first, done = self.replay(td, actions)
        if (first < actions.shape[1]).any():
            k = int(first.min())
            bad = int((first == k).nonzero()[0, 0])
            raise ValueError(
                f"instance {bad}: action {int(actions[bad, k])} at step {k} is not allowed"
            )
        if not done.all():
            bad = int((~done).nonzero()[0, 0])
            raise ValueError(f"instance {bad}: not every customer is visited")

    # -- multi-start (POMO) -----------------------------------------------------------------

    def get_num_starts(self, td: TensorDict) -> int:
        """One start per customer."""
        return td["action_mask"].shape[-1] - td["depot_valid"].shape[-1]

    def select_start_nodes(self, td: TensorDict, num_starts: int) -> torch.Tensor:
        """``[num_starts * B]`` first actions (start s of instance b at ``s * B + b``).

        Start s is the s-th customer allowed at reset (cycling if fewer are allowed); an
        instance with no customer allowed from depot 0 cycles through its depot moves.
        """
        K = td["depot_valid"].shape[-1]
        mask = td["action_mask"]
        customers = mask.clone()
        customers[:, :K] = False
        use = torch.where(customers.any(-1, keepdim=True), customers, mask)
        count = use.sum(-1)  # [B] >= 1
        N = mask.shape[-1]
        # allowed indices first, in index order
        order = torch.argsort(
            (~use).long() * N + torch.arange(N, device=mask.device), dim=-1
        )  # [B, N]
        s = torch.arange(num_starts, device=mask.device)[:, None]  # [S, 1]
        col = s % count[None, :]  # [S, B]
        picked = order.gather(1, col.T).T  # [S, B]
        return picked.reshape(-1)


def initial_state(td: TensorDict) -> TensorDict:
    """The state before the first action of the instances in ``td``: `VRPRules.reset` without an
    object (`envs.env.VRPEnv`'s rl4co constructor reseeds torch's global generator)."""
    locs = td["locs"]
    device = locs.device
    bs = td.batch_size
    K = td["depot_valid"].shape[-1]
    dist = td.get("distance_matrix", None)
    if dist is None:
        dist = euclidean_matrix(locs)
    dur = td.get("duration_matrix", None)
    if dur is None:
        dur = dist
    zeros = torch.zeros((*bs, 1), dtype=locs.dtype, device=device)
    depot0 = torch.zeros(bs, dtype=torch.long, device=device)
    out = TensorDict({k: td[k] for k in INSTANCE_KEYS}, batch_size=bs, device=device)
    out.update(
        {
            "distance_matrix": dist,
            "duration_matrix": dur,
            "current_node": depot0,
            "current_depot": depot0.clone(),
            "current_time": td["time_windows"][..., 0, 0:1].clone(),
            "route_length": zeros,
            "route_delivery": zeros.clone(),
            "route_pickup": zeros.clone(),
            "route_net_load": zeros.clone(),
            "route_peak_load": zeros.clone(),
            "visited": torch.zeros(locs.shape[:-1], dtype=torch.bool, device=device),
            "at_start": torch.ones(bs, dtype=torch.bool, device=device),
            "done": torch.zeros(bs, dtype=torch.bool, device=device),
            "reward": torch.zeros(bs, dtype=locs.dtype, device=device),
        }
    )
    out.set("start_feasible", VRPRules._start_feasible(out, K))
    out.set("action_mask", VRPRules.get_action_mask(out))
    return out


def _rows(m: torch.Tensor, i: torch.Tensor) -> torch.Tensor:
    """``m[b, i[b], :]`` for ``m [B, N, N]``: one row copy each (faster than ``m[ar, i]``).

    A matrix that is not contiguous (one instance repeated for its starts and symmetries is a
    view with batch stride 0) is indexed as it is: reshaping it would copy all of it.
    """
    B, N = m.shape[0], m.shape[-1]
    if not m.is_contiguous():
        return m[torch.arange(B, device=i.device), i]
    flat = torch.arange(B, device=i.device) * N + i
    return m.reshape(B * N, N).index_select(0, flat)


def _append_ok(
    td: TensorDict,
    *,
    dist_row: torch.Tensor,
    dur_row: torch.Tensor,
    dist_back: torch.Tensor,
    dur_back: torch.Tensor,
    depot_late: torch.Tensor,
    time: torch.Tensor,
    length: torch.Tensor,
    delivered: torch.Tensor,
    picked: torch.Tensor,
    net: torch.Tensor,
    peak: torch.Tensor,
    per_depot: bool = False,
) -> torch.Tensor:
    """Whether each node may be appended to a route in the given state (customers only).

    Node tensors are ``[B, N]`` (``[B, K, N]`` with ``per_depot``); state tensors broadcast
    against them (``[B, 1]`` or ``[B, K, 1]``).
    """

    def get(key: str) -> torch.Tensor:
        x = td[key]
        return x[:, None] if per_depot else x

    tol, time_tol = tolerance(dist_row.dtype), time_tolerance(dist_row.dtype)

    def le(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return a <= b + tol * (1 + b.abs())

    def le_time(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        # No limit (inf) stays no limit: a negative slack must not turn inf into nan.
        return (a <= b + time_tol * (1 + b.abs())) | torch.isposinf(b)

    tw = get("time_windows")
    is_open = get("open_route")
    start = torch.maximum(time + dur_row, tw[..., 0])
    ok = le_time(start, tw[..., 1])
    home = start + get("service_time") + dur_back
    ok &= is_open | le_time(home, depot_late)
    back = torch.where(is_open, torch.zeros_like(dist_back), dist_back)
    ok &= le_time(length + dist_row + back, get("distance_limit"))

    q = get("capacity")
    d, p = get("delivery"), get("pickup")
    new_delivered = delivered + d
    classic = (d <= 0) | ((picked <= 0) & le(new_delivered, q))
    classic &= (p <= 0) | le(picked + p, q)
    mixed = le(new_delivered + torch.maximum(peak, net - d + p), q)
    return ok & torch.where(get("mixed_backhaul"), mixed, classic)
