"""The policy: one attention model for all 48 variants, on coordinates or road matrices.

RouteFinder's shape (Berto et al., 2024) with RRNCO's matrix input (Son et al., 2025), small
enough to train on a CPU:

- **Encoder**: node features -> embeddings; a gate mixes a coordinate embedding with a distance
  embedding (the sorted distances to and from each node's nearest neighbours, and to and from
  depot 0, read from the distance matrix, so asymmetric road matrices are seen); the instance-
  level attributes (open, backhaul mode, distance limit, depot window, several depots,
  asymmetry, time per distance) form a global embedding added to every depot, so the model knows
  the variant. Then pre-norm transformer layers (RMSNorm, SwiGLU feed-forward) whose attention
  is biased by ``-slope_h * dist[i, j]`` per head (the matrix again, direction included).
- **Decoder**: a pointer network (Kool et al., 2019) whose query holds the current node, the
  route's depot, the global embedding and the route state (loads, time, distance left); the
  logits get a learned term of the distances ``current -> j`` and ``j -> route depot``.

Inputs are the environment state keys documented in `envs.mtvrp` (``locs``, ``depot_valid``,
``delivery``, ``pickup``, ``capacity``, ``service_time``, ``time_windows``,
``distance_limit``, ``open_route``, ``mixed_backhaul``, the two matrices and the ``route_*``
state); they are read only in `node_features`, `global_features` and `state_features`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import torch
import torch.nn.functional as F
from tensordict import TensorDict
from torch import Tensor, nn

from envs.ops import gather_rows, repeat_batch, split_batch

NODE_DIM = 7  # x, y, delivery/Q, pickup/Q, earliest, latest, service time
GLOBAL_DIM = 11
GLOBAL_DIM_BEFORE_PACE = 10
"""Checkpoints from before the pace feature (the last global one) have this many; `upgrade_state`
gives them a zero column for it, which changes nothing where the pace is 0."""
STATE_DIM = 9


@dataclass(frozen=True)
class ModelArgs:
    """Everything needed to rebuild a `Policy` (stored in every checkpoint)."""

    embed_dim: int = 128
    num_heads: int = 8
    num_layers: int = 4
    ffn_dim: int = 256  # hidden width of the SwiGLU feed-forward
    num_neighbours: int = 8  # k of the nearest-neighbour distance features
    tanh_clip: float = 10.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- features (the only code that reads the environment's keys) -----------------------------


def _finite(x: Tensor) -> Tensor:
    """``inf`` (an attribute that is off) -> 0; the matching flag says which it was."""
    return torch.where(torch.isfinite(x), x, torch.zeros_like(x))


def node_features(td: TensorDict) -> Tensor:
    """``[B, N, NODE_DIM]`` per-node features (loads relative to the capacity)."""
    q = td["capacity"]
    tw = _finite(td["time_windows"])
    return torch.stack(
        [
            td["locs"][..., 0],
            td["locs"][..., 1],
            td["delivery"] / q,
            td["pickup"] / q,
            tw[..., 0],
            tw[..., 1],
            td["service_time"],
        ],
        dim=-1,
    )


def distance_features(dist: Tensor, valid: Tensor, k: int) -> Tensor:
    """``[B, N, 2k + 2]``: the k shortest distances out of and into each node (to other valid
    nodes, sorted) and the distances from and to depot 0. ``dist [B, N, N]``, row = from;
    ``valid [B, N]`` bool."""
    n = dist.shape[-1]
    eye = torch.eye(n, dtype=torch.bool, device=dist.device)
    hide = eye | ~valid[:, None, :] | ~valid[:, :, None]
    big = dist.masked_fill(hide, float("inf"))
    # With fewer than k other nodes the missing neighbours are padded as hidden ones are (0),
    # so the width, and the model, stays the same for tiny instances.
    pad = max(0, k - (n - 1))
    out_k = F.pad(big.topk(k - pad, dim=-1, largest=False).values, (0, pad), value=torch.inf)
    in_k = big.transpose(1, 2).topk(k - pad, dim=-1, largest=False).values
    in_k = F.pad(in_k, (0, pad), value=torch.inf)
    near = torch.cat([out_k, in_k], dim=-1)
    near = torch.where(torch.isfinite(near), near, torch.zeros_like(near))
    return torch.cat([near, dist[:, 0, :, None], dist[:, :, 0, None]], dim=-1)


def global_features(td: TensorDict) -> Tensor:
    """``[B, GLOBAL_DIM]``: the instance-level attributes that name the variant."""
    limit = td["distance_limit"]
    depot_late = td["time_windows"][:, 0, 1:2]
    has_tw = (
        torch.isfinite(td["time_windows"][..., 1]).any(-1, keepdim=True)
        | (td["time_windows"][..., 0] > 0).any(-1, keepdim=True)
        | (td["service_time"] > 0).any(-1, keepdim=True)
    )
    dist = td["distance_matrix"]
    asym = (dist - dist.transpose(1, 2)).abs().mean((1, 2)) / dist.mean((1, 2)).clamp_min(1e-9)
    # pace: log(mean duration / mean distance), 0 on generated instances (speed 1), below 0
    # where times were scaled to a day of 4.6 on a road instance (vrp.neural.bridge)
    pace = torch.log(td["duration_matrix"].mean((1, 2)).clamp_min(1e-9)) - torch.log(
        dist.mean((1, 2)).clamp_min(1e-9)
    )
    num_depots = td["depot_valid"].sum(-1, keepdim=True)
    pickups = (td["pickup"] > 0).any(-1, keepdim=True)
    f = lambda x: x.to(dist.dtype)  # noqa: E731
    return torch.cat(
        [
            f(td["open_route"]),
            f(pickups & ~td["mixed_backhaul"]),
            f(pickups & td["mixed_backhaul"]),
            f(torch.isfinite(limit)),
            _finite(limit),
            f(has_tw),
            _finite(depot_late),
            f(num_depots > 1),
            f(num_depots) / td["depot_valid"].shape[-1],
            asym[:, None],
            pace[:, None],
        ],
        dim=-1,
    )


def upgrade_state(state: dict[str, Tensor], prefix: str = "") -> dict[str, Tensor]:
    """``state`` (a policy's ``state_dict``, keys after ``prefix``) with the input columns
    added since it was saved, as zeros: an older model computes what it did."""
    key = f"{prefix}embed_global.0.weight"
    w = state.get(key)
    if w is not None and w.shape[-1] == GLOBAL_DIM_BEFORE_PACE:
        state = {**state, key: F.pad(w, (0, GLOBAL_DIM - GLOBAL_DIM_BEFORE_PACE))}
    return state


def state_features(td: TensorDict) -> Tensor:
    """``[B, STATE_DIM]``: the current route's loads (per capacity), time and distance left."""
    q = td["capacity"]
    K = td["depot_valid"].shape[-1]
    limit = td["distance_limit"]
    left = torch.where(torch.isfinite(limit), limit - td["route_length"], torch.zeros_like(limit))
    remaining = 1.0 - td["visited"][:, K:].float().mean(-1, keepdim=True)
    return torch.cat(
        [
            td["route_delivery"] / q,
            td["route_pickup"] / q,
            td["route_net_load"] / q,
            td["route_peak_load"] / q,
            (td["route_delivery"] + td["route_peak_load"]) / q,
            td["current_time"],
            td["route_length"],
            left,
            remaining.to(q.dtype),
        ],
        dim=-1,
    )


# -- layers -----------------------------------------------------------------------------------


def sample(logp: Tensor) -> Tensor:
    """``[B]``: one index per row of the log-probabilities ``logp [B, N]``, drawn from torch's
    global generator; never one of probability 0.

    The inverse of each row's cumulative distribution at a uniform draw: the same
    distribution as ``torch.multinomial(logp.exp(), 1)``, about 8 times faster on one CPU
    thread at N = 100 (a decode calls it at every step).
    """
    logp = logp.detach().float()  # no gradient through the draw; float32 sums under autocast
    cum = logp.exp().cumsum(-1)
    u = torch.rand_like(cum[:, -1:]) * cum[:, -1:]
    a = torch.searchsorted(cum, u, right=True)[:, 0].clamp_max(cum.shape[-1] - 1)
    # u rounded up to the row's total lands past its last allowed node: take the likeliest
    drawn = logp.gather(1, a[:, None])[:, 0] > float("-inf")
    return torch.where(drawn, a, logp.argmax(-1))


class SwiGLU(nn.Module):
    """Gated feed-forward ``W_out(silu(W_a x) * W_b x)`` (Shazeer, 2020)."""

    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.w_in = nn.Linear(dim, 2 * hidden, bias=False)
        self.w_out = nn.Linear(hidden, dim, bias=False)

    def forward(self, x: Tensor) -> Tensor:
        a, b = self.w_in(x).chunk(2, dim=-1)
        return self.w_out(F.silu(a) * b)


class BiasedSelfAttention(nn.Module):
    """Multi-head self-attention with an additive ``[B, H, N, N]`` bias (distances, padding)."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=False)
        self.out = nn.Linear(dim, dim, bias=False)

    def forward(self, x: Tensor, bias: Tensor) -> Tensor:
        B, N, E = x.shape
        q, k, v = self.qkv(x).view(B, N, 3, self.heads, E // self.heads).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=bias.to(q.dtype))
        return self.out(y.transpose(1, 2).reshape(B, N, E))


class EncoderLayer(nn.Module):
    """Pre-norm transformer layer: ``x + attn(norm(x))``, then ``x + swiglu(norm(x))``."""

    def __init__(self, dim: int, heads: int, ffn_dim: int):
        super().__init__()
        self.norm_attn = nn.RMSNorm(dim)
        self.attn = BiasedSelfAttention(dim, heads)
        self.norm_ffn = nn.RMSNorm(dim)
        self.ffn = SwiGLU(dim, ffn_dim)
        # softplus(-2) ~ 0.13 per unit of distance at the start; learned per head
        self.slope = nn.Parameter(torch.full((heads,), -2.0))

    def forward(self, x: Tensor, dist: Tensor, pad: Tensor) -> Tensor:
        # one fused pass over the [B, H, N, N] bias (a multiply, then an add, took 2.3x as long)
        bias = torch.addcmul(pad, dist[:, None], -F.softplus(self.slope)[None, :, None, None])
        x = x + self.attn(self.norm_attn(x), bias)
        return x + self.ffn(self.norm_ffn(x))


@dataclass
class Encoded:
    """The encoder's output, computed once per instance and reused at every decoding step."""

    nodes: Tensor  # [B, N, E] node embeddings
    glimpse_key: Tensor  # [B, H, N, E / H], contiguous: read at every step
    glimpse_val: Tensor  # [B, H, N, E / H], contiguous
    logit_key: Tensor  # [B, E, N], transposed and contiguous (strided reads at every step
    # doubled the decoder's attention time on CPU)
    graph: Tensor  # [B, E] pooled nodes + global attributes
    valid: Tensor  # [B, N] bool, False for unused depot slots


# -- the policy -------------------------------------------------------------------------------


class Policy(nn.Module):
    """Encoder-decoder attention policy over the `envs.mtvrp` state (see module docstring)."""

    def __init__(self, args: ModelArgs | None = None):
        super().__init__()
        a = args if args is not None else ModelArgs()
        self.args = a
        E, k = a.embed_dim, a.num_neighbours
        self.embed_customer = nn.Linear(NODE_DIM, E)
        self.embed_depot = nn.Linear(NODE_DIM, E)
        self.embed_dist = nn.Linear(2 * k + 2, E)
        self.gate = nn.Linear(2 * E, E)
        self.embed_global = nn.Sequential(nn.Linear(GLOBAL_DIM, E), nn.SiLU(), nn.Linear(E, E))
        self.layers = nn.ModuleList(
            [EncoderLayer(E, a.num_heads, a.ffn_dim) for _ in range(a.num_layers)]
        )
        self.norm_out = nn.RMSNorm(E)
        # decoder
        self.project_nodes = nn.Linear(E, 3 * E, bias=False)
        self.project_graph = nn.Linear(2 * E, E, bias=False)
        self.project_step = nn.Linear(2 * E + STATE_DIM, E, bias=False)
        self.project_glimpse = nn.Linear(E, E, bias=False)
        # logit terms per candidate (see `_edge_terms`); at the start: prefer near candidates
        self.edge_logit = nn.Linear(5, 1)
        with torch.no_grad():
            self.edge_logit.weight.zero_()
            self.edge_logit.bias.zero_()
            self.edge_logit.weight[0, 0] = -1.0

    # -- encoder --------------------------------------------------------------------------

    def encode(self, td: TensorDict) -> Encoded:
        """Embed every node of a reset state ``td [B]`` (the matrices must be present)."""
        dtype = self.embed_customer.weight.dtype
        K = td["depot_valid"].shape[-1]
        dist = td["distance_matrix"].to(dtype)
        x = node_features(td).to(dtype)
        glob = self.embed_global(global_features(td).to(dtype))  # [B, E]
        h = torch.cat(
            [self.embed_depot(x[:, :K]) + glob[:, None], self.embed_customer(x[:, K:])], dim=1
        )
        valid = torch.cat(
            [td["depot_valid"], torch.ones_like(td["delivery"][:, K:], dtype=torch.bool)], dim=1
        )
        hd = self.embed_dist(distance_features(dist, valid, self.args.num_neighbours))
        g = torch.sigmoid(self.gate(torch.cat([h, hd], dim=-1)))
        h = g * h + (1 - g) * hd
        pad = torch.zeros_like(dist).masked_fill(~valid[:, None, :], float("-inf"))[:, None]
        for layer in self.layers:
            h = layer(h, dist, pad)
        h = self.norm_out(h)

        gk, gv, lk = self.project_nodes(h).chunk(3, dim=-1)
        B, N, E = gk.shape
        H = self.args.num_heads

        def heads(x: Tensor) -> Tensor:
            return x.reshape(B, N, H, E // H).transpose(1, 2).contiguous()

        w = valid.to(dtype)[..., None]
        mean = (h * w).sum(1) / w.sum(1)
        graph = self.project_graph(torch.cat([mean, glob], dim=-1))
        return Encoded(h, heads(gk), heads(gv), lk.transpose(1, 2).contiguous(), graph, valid)

    # -- decoder --------------------------------------------------------------------------

    def logits(self, enc: Encoded, td: TensorDict, num_starts: int = 1) -> Tensor:
        """Unmasked logits ``[S*B, N]`` for the state ``td [S*B]`` (start-major, as
        `envs.ops.repeat_batch` lays it out) of the instances encoded in ``enc [B]``."""
        S = max(num_starts, 1)
        dtype = enc.nodes.dtype
        cur = split_batch(td["current_node"], S)  # [B, S]
        dep = split_batch(td["current_depot"], S)
        state = split_batch(state_features(td).to(dtype), S)  # [B, S, F]
        mask = split_batch(td["action_mask"], S)  # [B, S, N]

        h_cur = gather_rows(enc.nodes, cur)  # [B, S, E]
        h_dep = gather_rows(enc.nodes, dep)
        query = self.project_step(torch.cat([h_cur, h_dep, state], dim=-1))
        query = query + enc.graph[:, None]  # [B, S, E]

        B, E, N = enc.logit_key.shape
        H = self.args.num_heads
        q = query.view(B, S, H, E // H).transpose(1, 2)  # [B, H, S, d]
        k, v = enc.glimpse_key, enc.glimpse_val
        attend = mask & enc.valid[:, None]
        attend = attend | ~attend.any(-1, keepdim=True)  # a finished state: attend anywhere
        glimpse = F.scaled_dot_product_attention(q, k, v, attn_mask=attend[:, None])
        glimpse = self.project_glimpse(glimpse.transpose(1, 2).reshape(B, S, E))
        logits = glimpse @ enc.logit_key / math.sqrt(E)  # [B, S, N]

        logits = logits + self._edge_terms(td, cur, dep, S).to(dtype)
        logits = self.args.tanh_clip * torch.tanh(logits)
        return logits.transpose(0, 1).reshape(S * B, N)

    def _edge_terms(self, td: TensorDict, cur: Tensor, dep: Tensor, S: int) -> Tensor:
        """``[B, S, N]``: a learned linear score of cheap per-candidate quantities: the
        distance from the current node (and its log, for a sharp preference for near nodes),
        the distance from the candidate to the route's depot (matrix rows and columns, so
        direction counts), the wait before its window opens and the slack left in its window
        (0 without windows)."""
        B = cur.shape[0]

        def per_instance(key: str) -> Tensor:
            x = td[key]
            return split_batch(x, S)[:, 0]

        dist, dur = per_instance("distance_matrix"), per_instance("duration_matrix")
        N = dist.shape[-1]
        rows = cur[..., None].expand(B, S, N)
        d_out = dist.gather(1, rows)
        d_home = dist.transpose(1, 2).gather(1, dep[..., None].expand(B, S, N))
        tw = per_instance("time_windows")  # [B, N, 2]
        t = split_batch(td["current_time"], S)
        arrive = t + dur.gather(1, rows)  # [B, S, N]
        early, late = tw[:, None, :, 0], tw[:, None, :, 1]
        wait = (early - arrive).clamp_min(0.0)
        slack = _finite(late - torch.maximum(arrive, early)).clamp(0.0, 5.0)
        w = self.edge_logit.weight[0]
        near = torch.log(d_out + 0.01)
        terms = w[0] * near + w[1] * d_out + w[2] * d_home + w[3] * wait + w[4] * slack
        return terms + self.edge_logit.bias

    # -- rollout --------------------------------------------------------------------------

    def forward(
        self,
        td: TensorDict,
        env: Any,
        decode: str = "sampling",
        num_starts: int = 1,
        temperature: float = 1.0,
    ) -> dict[str, Tensor]:
        """Build complete solutions for the reset states ``td [B]``.

        Args:
            td: reset environment states (`envs.VRPRules.reset`).
            env: the environment that steps them.
            decode: ``"sampling"`` or ``"greedy"``.
            num_starts: S > 1 gives POMO multi-start: rollout s of instance b (at ``s * B + b``)
                begins with the s-th allowed customer (`env.select_start_nodes`).
            temperature: the logits are divided by it before the softmax (below 1: sampling
                nearer to greedy); the log-likelihood is that of the tempered distribution.

        Returns:
            ``actions [S*B, T]``, ``log_likelihood [S*B]`` (sum over the steps taken while not
            done) and ``reward [S*B]`` (minus the total distance).
        """
        enc = self.encode(td)
        S = max(num_starts, 1)
        actions, logps = [], []
        if S > 1:
            first = env.select_start_nodes(td, num_starts=S)
            td = repeat_batch(td, S)
            td.set("action", first)
            td = env.step(td)["next"]
            actions.append(first)
        while not td["done"].all():
            active = ~td["done"]
            logp = self.logits(enc, td, S).masked_fill(~td["action_mask"], float("-inf"))
            if temperature != 1.0:
                logp = logp / temperature
            logp = logp.log_softmax(-1)
            if decode == "greedy":
                a = logp.argmax(-1)
            else:
                a = sample(logp)
            logps.append(torch.where(active, logp.gather(1, a[:, None])[:, 0], 0.0))
            actions.append(a)
            td.set("action", a)
            td = env.step(td)["next"]
        acts = torch.stack(actions, dim=1)
        ll = torch.stack(logps, 1).sum(1) if logps else torch.zeros(acts.shape[0])
        return {"actions": acts, "log_likelihood": ll, "reward": env.get_reward(td, acts)}

    def teacher_log_likelihood(
        self, td: TensorDict, env: Any, actions: Tensor
    ) -> tuple[Tensor, Tensor]:
        """Score given action sequences as `forward` scores its own (teacher forcing).

        Args:
            td: reset environment states ``[B]``, one start each (stepped in place).
            env: the environment that steps them.
            actions: ``[B, T]`` long, padded past the end as
                `vrp.neural.bridge.to_action_tensor` pads them.

        Returns:
            ``log_likelihood [B]`` (sum over the steps taken while not done; ``-inf`` where
            an action is masked) and ``steps [B]`` (how many steps that was).
        """
        enc = self.encode(td)
        logps, taken = [], []
        for t in range(actions.shape[1]):
            if td["done"].all():
                break
            active = ~td["done"]
            logp = self.logits(enc, td).masked_fill(~td["action_mask"], float("-inf"))
            a = actions[:, t]
            logps.append(torch.where(active, logp.log_softmax(-1).gather(1, a[:, None])[:, 0], 0.0))
            taken.append(active)
            td.set("action", a)
            td = env.step(td)["next"]
        if not logps:
            return torch.zeros(actions.shape[0]), torch.zeros(actions.shape[0], dtype=torch.long)
        return torch.stack(logps, 1).sum(1), torch.stack(taken, 1).sum(1)
