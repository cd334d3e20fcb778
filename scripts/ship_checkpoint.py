"""Ship a trained model: copy a training checkpoint into checkpoints/ with its model card.

checkpoints/ is the package data `vrp.checkpoints` (`vrp.solvers.neural.checkpoint_dir`): the
folder the neural solver reads is the one this script writes, in the checkout whose `.venv`
runs it.

The copy keeps the weights, the per-variant cost scales and every piece of metadata (model
arguments, training configuration, validation references, history, runs) but drops the
optimizer state, so it stays a few MB; `vrp train --resume` still continues from it (with a
fresh optimizer). The card (``NAME.md``) is rendered from the metadata by
`vrp.neural.checkpoint.model_card`.

    .venv/bin/python scripts/ship_checkpoint.py /work/neural-runs/all-n20.ckpt all-n20

With ``--average-with``, the shipped weights are the mean of the source's and those of the
given checkpoints of the same run (epoch snapshots of ``vrp train --snapshots DIR``;
`vrp.neural.checkpoint.average_weights`); the card says which epochs::

    .venv/bin/python scripts/ship_checkpoint.py runs/all-n50.ckpt campaign/all-n50 \
        --average-with runs/snaps/epoch24{1..9}.ckpt
"""

from __future__ import annotations

import argparse
from pathlib import Path

from vrp.errors import InputError
from vrp.neural.checkpoint import (
    META,
    average_weights,
    model_card,
    read_checkpoint,
    write_checkpoint,
)
from vrp.solvers.neural import checkpoint_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="training checkpoint")
    parser.add_argument("name", help="shipped name: checkpoints/NAME.ckpt and NAME.md")
    parser.add_argument(
        "--note", action="append", default=[], help="a line added to the card (repeatable)"
    )
    parser.add_argument(
        "--average-with",
        nargs="+",
        type=Path,
        default=[],
        metavar="CKPT",
        help="checkpoints of the same run whose weights are averaged with the source's",
    )
    args = parser.parse_args()
    try:
        ckpt = read_checkpoint(args.source)
        if args.average_with:
            others = [read_checkpoint(p) for p in args.average_with]
            ckpt = average_weights(sorted([*others, ckpt], key=lambda c: len(c[META]["history"])))
    except InputError as e:
        parser.exit(1, f"error: {e}\n")
    ckpt["optimizer_states"] = []
    ckpt["lr_schedulers"] = []
    out = checkpoint_dir() / f"{args.name}.ckpt"
    write_checkpoint(ckpt, out)
    card = model_card(ckpt[META], args.name)
    if args.note:
        head, rest = card.split("\n\n", 1)
        card = head + "\n\n" + "\n".join(args.note) + "\n\n" + rest
    out.with_suffix(".md").write_text(card)
    print(f"{out} ({out.stat().st_size / 1e6:.1f} MB) and {out.with_suffix('.md')}")


if __name__ == "__main__":
    main()
