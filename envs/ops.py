"""Batch layout helpers of multi-start (POMO) decoding, on tensors and TensorDicts alike.

A batch of B instances repeated S times is laid out start-major: copy s of instance b sits at
row ``s * B + b`` (`repeat_batch`); `split_batch` turns such rows into ``[B, S, ...]``. This is
the layout rl4co's ``batchify``/``unbatchify`` use, so policies trained with either read the
same rows; `tests/test_env.py` holds the two to each other. Written here so that decoding
imports torch and tensordict only: rl4co (with torchrl and lightning) doubles the start-up of
a solve.
"""

from __future__ import annotations

from typing import TypeVar

import torch
from tensordict import TensorDict

T = TypeVar("T", torch.Tensor, TensorDict)


def repeat_batch(x: T, repeats: int) -> T:
    """``[B, ...] -> [repeats * B, ...]``, copy s of row b at ``s * B + b``."""
    if repeats == 1:
        return x
    size = x.shape[0]
    rest = tuple(x.shape[1:])
    return x.unsqueeze(0).expand(repeats, size, *rest).reshape(repeats * size, *rest)


def split_batch(x: T, repeats: int) -> T:
    """``[repeats * B, ...] -> [B, repeats, ...]``: the inverse of `repeat_batch`, as a view."""
    size = x.shape[0] // repeats
    rest = tuple(x.shape[1:])
    return x.reshape(repeats, size, *rest).transpose(0, 1)


def gather_rows(src: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """``src [B, N, ...]`` at ``idx [B, K]`` -> ``[B, K, ...]``: the rows each batch item picks."""
    trailing = src.shape[2:]
    index = idx.reshape(*idx.shape, *([1] * len(trailing))).expand(*idx.shape, *trailing)
    return src.gather(1, index)


def gather_row(src: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """``src [B, N, ...]`` at ``idx [B]`` -> ``[B, ...]``."""
    return gather_rows(src, idx[:, None])[:, 0]


def dihedral_8(xy: torch.Tensor) -> torch.Tensor:
    """``[B, N, 2] -> [8 * B, N, 2]``: the 8 symmetries of the unit square (rotations and
    reflections about its centre), symmetry a of instance b at row ``a * B + b``; the identity
    comes first."""
    x, y = xy[..., :1], xy[..., 1:]
    images = []
    for u, v in ((x, y), (y, x)):  # then swap the axes
        for fu, fv in ((u, v), (1 - u, v), (u, 1 - v), (1 - u, 1 - v)):
            images.append(torch.cat((fu, fv), dim=-1))
    return torch.cat(images, dim=0)
