"""`argparse` types shared by the study scripts (``scripts/hybrid_pareto.py``,
``neural_neighbours.py``, ``neural_ruin.py``): comma-separated positive numbers."""

from __future__ import annotations

import argparse


def positive_floats(text: str) -> list[float]:
    """``"0.3,1"`` -> ``[0.3, 1.0]``; anything else than positive numbers is an argparse error."""
    try:
        values = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected numbers like 0.3,1, got {text!r}") from None
    if not values or any(not v > 0 for v in values):  # `not >` also catches nan
        raise argparse.ArgumentTypeError(f"expected positive numbers, got {text!r}")
    return values


def positive_ints(text: str) -> list[int]:
    """``"100,200"`` -> ``[100, 200]``; a fraction is an error, not rounded."""
    values = positive_floats(text)
    if any(v != int(v) for v in values):
        raise argparse.ArgumentTypeError(f"expected whole numbers like 100,200, got {text!r}")
    return [int(v) for v in values]
