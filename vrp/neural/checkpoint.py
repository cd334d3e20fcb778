"""Self-describing checkpoints: written atomically, read by one function, no pickles.

A checkpoint is the dictionary Lightning writes (``state_dict``, optimizer and loop states,
so ``vrp train --resume`` continues where it stopped) plus one ``"vrp_neural"`` entry that
describes the model without any code:

===================  ===================================================================
key                  meaning
===================  ===================================================================
``format``           ``"vrp-neural/1"``
``model_args``       the `ModelArgs` of the policy (rebuilds it from the file alone)
``train_config``     the `TrainConfig` of the run (variants, size, budget, seed, ...)
``reference``        the validation set and its reference costs (solver, time limit)
``history``          one row of metrics per finished epoch (losses, validation gaps, time)
``runs``             one entry per training command (command line, epochs, hardware)
``parameters``       the number of weights
``averaged``         (optional) the epochs whose weights were averaged (`average_weights`)
===================  ===================================================================

`model_card` renders this as the Markdown card shipped beside each checkpoint.

Every value is a tensor, a number, a string, a list or a dict, so `read_checkpoint` loads
with ``torch.load(..., weights_only=True)`` and a checkpoint can never run code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path, PurePath
from typing import Any

import torch

from vrp.errors import InputError
from vrp.formats.io import atomic_write
from vrp.neural.policy import ModelArgs, Policy, upgrade_state

FORMAT = "vrp-neural/1"
META = "vrp_neural"
POLICY_PREFIX = "policy."  # the policy's parameters inside the training module's state_dict


def read_checkpoint(path: str | os.PathLike[str], map_location: Any = "cpu") -> dict[str, Any]:
    """The raw checkpoint dictionary: the one place a checkpoint file is loaded.

    Raises:
        InputError: no such file, not a checkpoint, or not one of ours (naming the file).
    """
    p = Path(path)
    if not p.is_file():
        raise InputError("no such checkpoint file", path=str(p))
    try:
        ckpt = torch.load(p, map_location=map_location, weights_only=True)
    except Exception as e:  # torch raises many types for a damaged or foreign file
        raise InputError(
            f"not a readable checkpoint ({e.__class__.__name__})", path=str(p)
        ) from None
    meta = ckpt.get(META) if isinstance(ckpt, dict) else None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise InputError(f"not a {FORMAT} checkpoint (no {META!r} entry)", path=str(p))
    return ckpt


def write_checkpoint(checkpoint: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Write ``checkpoint`` atomically: an interrupted save never leaves half a file."""
    with atomic_write(path, "wb") as fh:
        torch.save(checkpoint, fh)


def average_weights(checkpoints: list[dict[str, Any]]) -> dict[str, Any]:
    """The last of ``checkpoints`` (epoch snapshots of one run, `read_checkpoint`'s dicts:
    each one's history is the start of the last one's) with every floating-point weight
    replaced by its mean over all of them, its optimizer state dropped, and the epochs
    averaged listed under ``averaged`` in its metadata.

    The validation figures in its history stay those of the run's own epochs.

    Raises:
        InputError: no checkpoint, or checkpoints of different models or runs.
    """
    if not checkpoints:
        raise InputError("no checkpoint to average")
    last = checkpoints[-1]
    meta = last[META]
    epochs = []
    for ckpt in checkpoints:
        other = ckpt[META]
        same_model = other["model_args"] == meta["model_args"]
        if not same_model or ckpt["state_dict"].keys() != last["state_dict"].keys():
            raise InputError("the checkpoints to average are of different models")
        history = other.get("history", [])
        # repr: exact for floats, and a NaN in a row (some early rows hold one) equals itself
        if repr(history) != repr(meta.get("history", [])[: len(history)]):
            raise InputError(
                "the checkpoints to average are not epochs of one run (their histories differ)"
            )
        epochs.append(len(history))
    state = dict(last["state_dict"])
    for key, value in state.items():
        if value.is_floating_point():
            state[key] = torch.stack([c["state_dict"][key] for c in checkpoints]).mean(0)
    return {
        **last,
        "state_dict": state,
        "optimizer_states": [],
        "lr_schedulers": [],
        META: {**meta, "averaged": sorted(epochs)},
    }


@dataclass(frozen=True)
class Loaded:
    """A policy rebuilt from a checkpoint, with what the checkpoint says about it."""

    policy: Policy
    meta: dict[str, Any]
    path: Path

    @property
    def variants(self) -> list[str]:
        return list(self.meta["train_config"]["variants"])

    @property
    def num_loc(self) -> int:
        return int(self.meta["train_config"]["num_loc"])


def load_policy(path: str | os.PathLike[str], device: str | torch.device = "cpu") -> Loaded:
    """The policy of a checkpoint, in eval mode on ``device``, with its metadata."""
    ckpt = read_checkpoint(path)
    meta = ckpt[META]
    known = {f.name for f in fields(ModelArgs)}
    args = ModelArgs(**{k: v for k, v in meta["model_args"].items() if k in known})
    policy = Policy(args)
    state = {
        k[len(POLICY_PREFIX) :]: v
        for k, v in ckpt["state_dict"].items()
        if k.startswith(POLICY_PREFIX)
    }
    try:
        policy.load_state_dict(upgrade_state(state))
    except RuntimeError as e:
        raise InputError(f"weights do not fit the model arguments ({e})", path=str(path)) from None
    return Loaded(policy.to(device).eval(), meta, Path(path))


def _portable(command: str) -> str:
    """``command`` without the machine's folders: an absolute path, alone or in a list
    separated by commas, keeps its file name only (a card is read on other machines; the
    checkpoint keeps the command as it ran)."""
    words = []
    for word in command.split(" "):
        option, eq, value = word.rpartition("=") if word.startswith("--") else ("", "", word)
        value = ",".join(PurePath(v).name if v.startswith("/") else v for v in value.split(","))
        words.append(option + eq + value)
    return " ".join(words)


def model_card(meta: dict[str, Any], name: str) -> str:
    """The Markdown model card of a checkpoint: what it learned, on what budget, how well."""
    cfg, args = meta["train_config"], meta["model_args"]
    history, runs, ref = meta.get("history", []), meta.get("runs", []), meta["reference"]
    variants = cfg["variants"]
    last = history[-1] if history else {}
    train_s = float(last.get("train_s", 0.0))
    lines = [
        f"# {name}",
        "",
        f"- **variants**: {len(variants)} ("
        + (", ".join(variants) if len(variants) <= 8 else "all 48, mixed in every batch")
        + ")",
        f"- **training size**: n = {cfg['num_loc']} customers",
        f"- **model**: {meta.get('parameters', '?')} weights; embedding {args['embed_dim']}, "
        f"{args['num_layers']} encoder layers, {args['num_heads']} heads, SwiGLU "
        f"{args['ffn_dim']}",
        f"- **budget**: {len(history)} epoch{'' if len(history) == 1 else 's'}, "
        f"{last.get('instances', 0):,} training instances "
        f"(batch {cfg['batch_size']}, {cfg['num_starts'] or cfg['num_loc']} POMO starts), "
        f"{_duration(train_s)} of training",
    ]
    if meta.get("averaged"):
        epochs = meta["averaged"]
        lines.append(
            f"- **weights**: the mean of {len(epochs)} epochs' weights "
            f"(epochs {min(epochs)}-{max(epochs)}; the validation figures below are the run's "
            "own, epoch by epoch)"
        )
    for r in runs:
        hw = r.get("hardware", {})
        where = hw.get("gpu") or f"CPU ({hw.get('cpu_count', '?')} cores, "
        if "gpu" not in hw:
            where += f"{hw.get('torch_threads', '?')} torch thread(s))"
        lines.append(
            f"- **run** {r.get('started', '?')}, epochs {r.get('from_epoch', '?')} -> "
            f"{r.get('to_epoch', '?')} on {where}: `{_portable(r.get('command', '?'))}`"
        )
    lines += [
        "",
        f"## Validation gap to {ref['solver']} ({ref['time_limit_s']:g} s per instance)",
        "",
        f"{ref['per_variant']} instances per variant of `vrp generate --seed {ref['seed']}` "
        f"(n = {ref['num_loc']}), greedy from every start, no augmentation; gap = cost / "
        f"reference - 1, every cost from `evaluate()`.",
        "",
    ]
    if last:
        lines.append(
            f"Mean over variants after epoch {last['epoch']}: "
            f"**{100 * last['val_gap']:.2f}%** ({last.get('val_infeasible', 0)} infeasible)."
        )
        lines += ["", "| variant | gap |", "|---|---|"]
        for v in variants:
            g = last.get(f"gap_{v}")
            if g is not None:
                lines.append(f"| {v} | {100 * g:.2f}% |")
        every = max(1, len(history) // 10)  # about ten rows, the last epoch always among them
        curve = [h for h in history if h["epoch"] % every == 0 or h is last]
        lines += ["", "| epoch | instances | train cost | validation gap |", "|---|---|---|---|"]
        for h in curve:
            lines.append(
                f"| {h['epoch']} | {h['instances']:,} | {h['train_cost']:.4f} | "
                f"{100 * h['val_gap']:.2f}% |"
            )
    return "\n".join(lines) + "\n"


def _duration(seconds: float) -> str:
    """``seconds`` in the unit a reader expects: 19 s, 12 min, 2.0 h."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
