"""The campaign's validation curve, a power law fitted to it, and the hours it asks for.

Reads a training CSV (``vrp train`` writes ``<out>.csv``: one row per epoch, ``train_s``
cumulative training seconds on one thread, ``val_gap`` the validation gap) and fits
``gap = a * hours ** -b`` (a straight line in log-log) to the means of blocks of ``--block``
epochs from ``--from-epoch`` on. With ``--at GAP`` it prints the training hours at which the
line reaches that validation gap. ``--plot FILE`` draws the blocks and the line::

    python3 scripts/campaign_curve.py checkpoints/campaign/all-n50.csv --from-epoch 52 \\
        --block 10 --at 0.066 --plot docs/data/neural-gaps/campaign-curve.png

The validation gap (greedy, no symmetries, against PyVRP at 1 s) is not the gap of the test
table (8 symmetries x every start, against PyVRP at 10 s); ``--at`` takes a validation gap.
``--shipped EPOCH:GAP`` (repeated) names a shipped checkpoint, the mean of the ``--block``
epochs' weights up to EPOCH, and its test gap; the script prints each one's ratio of test gap
to the mean validation gap of those epochs, and with ``--target GAP`` (a test gap) carries the
target over to the validation curve by their mean ratio and prints the hours for it (and,
from two shipped on, the hours a power law fitted to the shipped test gaps alone gives)::

    python3 scripts/campaign_curve.py checkpoints/campaign/all-n50.csv --from-epoch 52 \\
        --shipped 232:0.0637 --shipped 289:0.0613 --target 0.05

A power law with no floor is the optimistic reading: a curve that flattens towards a floor
above the target never reaches it.
"""

from __future__ import annotations

import argparse
import csv
import math
import statistics
from pathlib import Path

Block = tuple[int, int, float, float]


def blocks(rows: list[dict[str, str]], first: int, size: int) -> list[Block]:
    """``(first epoch, last epoch, hours at the block's end, mean gap)`` per whole block."""
    rows = [r for r in rows if int(r["epoch"]) >= first]
    out = []
    for i in range(0, len(rows) - size + 1, size):
        part = rows[i : i + size]
        gap = statistics.mean(float(r["val_gap"]) for r in part)
        hours = float(part[-1]["train_s"]) / 3600
        out.append((int(part[0]["epoch"]), int(part[-1]["epoch"]), hours, gap))
    return out


Shipped = tuple[int, float, float, float]


def shipped_ratios(
    rows: list[dict[str, str]], shipped: list[tuple[int, float]], size: int
) -> list[Shipped]:
    """``(epoch, training hours, test gap, mean validation gap of the ``size`` epochs up to
    it)`` per shipped checkpoint."""
    by_epoch = {int(r["epoch"]): r for r in rows}
    out = []
    for epoch, test in shipped:
        span = range(epoch - size + 1, epoch + 1)
        missing = [e for e in span if e not in by_epoch]
        if missing:
            raise ValueError(f"--shipped {epoch}: no row for epoch {missing[0]}")
        val = statistics.mean(float(by_epoch[e]["val_gap"]) for e in span)
        out.append((epoch, float(by_epoch[epoch]["train_s"]) / 3600, test, val))
    return out


def fraction(text: str) -> float:
    """A gap as a fraction strictly between 0 and 1 (0.0555 for 5.55%)."""
    try:
        gap = float(text)
    except ValueError:
        gap = math.nan
    if not 0 < gap < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a gap between 0 and 1, e.g. 0.05")
    return gap


def epoch_gap(text: str) -> tuple[int, float]:
    """``EPOCH:GAP`` of ``--shipped``, the gap a `fraction`."""
    epoch, sep, gap = text.partition(":")
    try:
        return int(epoch), fraction(gap)
    except (ValueError, argparse.ArgumentTypeError):
        raise argparse.ArgumentTypeError(f"{text!r}: expected EPOCH:GAP, e.g. 548:0.0555") from None


def fit(points: list[tuple[float, float]]) -> tuple[float, float]:
    """``(a, b)`` of ``gap = a * hours ** -b``, least squares in log-log."""
    xs = [math.log(h) for h, _ in points]
    ys = [math.log(g) for _, g in points]
    mx, my = statistics.mean(xs), statistics.mean(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )
    return math.exp(my - slope * mx), -slope


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", type=Path)
    parser.add_argument("--from-epoch", type=int, default=1)
    parser.add_argument("--block", type=int, default=10)
    parser.add_argument("--at", type=fraction, action="append", default=[], help="a validation gap")
    parser.add_argument(
        "--shipped",
        type=epoch_gap,
        action="append",
        default=[],
        help="EPOCH:GAP, a shipped mean of --block epochs and its test gap (repeatable)",
    )
    parser.add_argument(
        "--target", type=fraction, default=None, help="a test gap, carried over by --shipped"
    )
    parser.add_argument("--plot", type=Path, default=None)
    args = parser.parse_args()
    if args.target is not None and not args.shipped:
        parser.error("--target needs --shipped, the test gaps to carry it over by")
    with args.csv.open() as fh:
        rows = list(csv.DictReader(fh))
    bs = blocks(rows, args.from_epoch, args.block)
    if len(bs) < 2:
        parser.error(f"{args.csv}: fewer than 2 blocks of {args.block} epochs to fit")
    a, b = fit([(h, g) for _, _, h, g in bs])
    print("| epochs | training hours | mean validation gap | fitted |")
    print("|---|---|---|---|")
    for e0, e1, h, g in bs:
        print(f"| {e0}-{e1} | {h:.1f} | {100 * g:.2f}% | {100 * a * h**-b:.2f}% |")
    print(f"\nfit: gap = {a:.4f} * hours ^ -{b:.3f} over epochs {bs[0][0]}-{bs[-1][1]}")
    try:
        ships = shipped_ratios(rows, args.shipped, args.block)
    except ValueError as e:
        parser.error(f"{args.csv}: {e}")
    if ships:
        print("\n| shipped epoch | test gap | mean validation gap of its epochs | ratio |")
        print("|---|---|---|---|")
        for epoch, _, test, val in ships:
            print(f"| {epoch} | {100 * test:.2f}% | {100 * val:.2f}% | {test / val:.3f} |")
    if args.target is not None:
        if len(ships) >= 2:
            ta, tb = fit([(hours, test) for _, hours, test, _ in ships])
            print(
                f"\nthe shipped test gaps alone: gap = {ta:.4f} * hours ^ -{tb:.3f}, "
                f"test gap {100 * args.target:.2f}% at {(ta / args.target) ** (1 / tb):,.0f} "
                "training hours"
            )
        ratio = statistics.mean(test / val for *_, test, val in ships)
        args.at.append(args.target / ratio)
        print(
            f"\ntest gap {100 * args.target:.2f}% is validation gap {100 * args.at[-1]:.2f}% "
            f"(the mean ratio, {ratio:.3f})"
        )
    for target in args.at:
        hours = (a / target) ** (1 / b)
        print(f"validation gap {100 * target:.2f}% at {hours:,.0f} training hours")
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 4))
        hs = [h for _, _, h, _ in bs]
        ax.plot(hs, [100 * g for *_, g in bs], "o", label=f"blocks of {args.block} epochs")
        top = max([hs[-1] * 4, *[(a / t) ** (1 / b) for t in args.at]])
        grid = [hs[0] * (top / hs[0]) ** (i / 99) for i in range(100)]
        ax.plot(grid, [100 * a * h**-b for h in grid], "-", label="power law fitted")
        for target in args.at:
            ax.axhline(100 * target, ls=":", color="grey")
        ax.set_xscale("log")
        ax.set_xlabel("training hours (one thread)")
        ax.set_ylabel("validation gap (%)")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)


if __name__ == "__main__":
    main()
