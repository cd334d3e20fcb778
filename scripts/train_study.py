"""Learning per CPU-hour (issue 22, item 1): training arms from scratch, each given the same
training CPU budget, compared by the validation gap they reach.

    nice .venv/bin/python scripts/train_study.py run --minutes 10 [--arms base,warm,...]
    .venv/bin/python scripts/train_study.py report --plot docs/data/neural-study/curves.png \\
        > docs/data/neural-study/study.md

``run`` trains each arm with ``vrp train ... --max-cpu-minutes M`` (`TrainConfig.
max_cpu_minutes`: CPU time of the training process, validation not counted) into
``--dir`` (default ``results/neural-study``): ``<arm>.ckpt``, ``<arm>.csv`` (one row per
epoch, with ``train_cpu_s``) and ``<arm>.md``. An arm whose CSV already reached the budget is
skipped, so an interrupted study goes on where it stopped (an arm cut short starts again).
Every arm shares the settings of `COMMON` (the 48 variants at n = 20, 1,280 instances per
epoch, validation on 8 instances per variant against PyVRP at 0.5 s, one thread) and changes
one thing (`ARMS`); the warm arm first runs `WARM_START` (scripts/warm_start.py: imitation of
PyVRP's routes, its CPU counted in the budget), then resumes from it. The first arm also
solves the 384 validation references (about 3.5 CPU minutes, kept in the reference store for
the others).

``report`` reads the CSVs and prints a Markdown table: per arm, its instances per training CPU
second (the warm arm's count includes its teacher instances), and the validation gap at 5 and
10 CPU minutes (the mean of the epochs within a minute of that mark: one epoch's gap moves by
a point or more from the next, so one epoch does not decide) and at its end; ``--plot`` draws
every arm's gap against training CPU minutes.
"""

from __future__ import annotations

import argparse
import csv
import shlex
import subprocess
import sys
from pathlib import Path
from statistics import mean

COMMON = [
    "--variant", "all", "--num-loc", "20", "--epochs", "1000",
    "--instances-per-epoch", "1280", "--val-per-variant", "8", "--val-time", "0.5",
    "--threads", "1", "--no-progress",
]  # fmt: skip
"""What every arm shares (the base arm is these plus `vrp train`'s defaults: batch 64, POMO
from every customer, lr 3e-4, width 128, 4 layers, float32)."""

ARMS: dict[str, tuple[str, list[str]]] = {
    "base": ("float32, batch 64, 20 starts, lr 3e-4, width 128, 4 layers", []),
    "lr1e-3": ("learning rate 1e-3", ["--lr", "1e-3"]),
    "batch32": ("batch 32 (twice the steps)", ["--batch-size", "32"]),
    "starts10": ("10 POMO starts of 20", ["--num-starts", "10"]),
    "small": ("width 64, 3 layers", ["--embed-dim", "64", "--layers", "3"]),
    "warm": ("supervised warm start: 3,000 PyVRP routes (0.05 s each), 5 imitation passes, "
             "then REINFORCE", []),
}  # fmt: skip

WARM_START = [
    "scripts/warm_start.py", "--variant", "all", "--num-loc", "20", "--teacher-instances",
    "3000", "--teacher-time", "0.05", "--epochs", "5", "--val-per-variant", "8",
    "--val-time", "0.5",
]  # fmt: skip
"""The warm arm's first step (its CPU, PyVRP's included, is the first row's ``train_cpu_s``,
so the budget counts it); ``vrp train --resume`` then goes on to the budget."""


def _rows(path: Path) -> list[dict[str, float]]:
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    return [{k: float(v) for k, v in r.items() if v not in ("", None)} for r in rows]


def _done(path: Path, minutes: float) -> bool:
    if not path.is_file():
        return False
    rows = _rows(path)
    return bool(rows) and rows[-1].get("train_cpu_s", 0.0) >= 60 * minutes


def run(args: argparse.Namespace) -> None:
    args.dir.mkdir(parents=True, exist_ok=True)
    for arm in args.arms.split(","):
        if arm not in ARMS:
            sys.exit(f"unknown arm {arm!r}: choose from {', '.join(ARMS)}")
        out = args.dir / f"{arm}.ckpt"
        if _done(out.with_suffix(".csv"), args.minutes):
            print(f"{arm}: done already", file=sys.stderr)
            continue
        for stale in (out, out.with_suffix(".csv"), out.with_suffix(".md")):
            stale.unlink(missing_ok=True)
        if arm == "warm":
            pre = [sys.executable, *WARM_START, "--out", str(out)]
            print(f"{arm}: {shlex.join(pre)}", file=sys.stderr, flush=True)
            subprocess.run(pre, check=True)
        cmd = [sys.executable, "-m", "cli.main", "train", *COMMON, *ARMS[arm][1]]
        cmd += ["--max-cpu-minutes", str(args.minutes), "--out", str(out)]
        cmd += ["--resume", str(out)] if arm == "warm" else []
        print(f"{arm}: {shlex.join(cmd)}", file=sys.stderr, flush=True)
        subprocess.run(cmd, check=True)


def _gap_at(rows: list[dict[str, float]], minutes: float) -> float | None:
    near = [r["val_gap"] for r in rows if abs(r["train_cpu_s"] / 60 - minutes) <= 1.0]
    return mean(near) if near else None


def report(args: argparse.Namespace) -> None:
    arms = [a for a in ARMS if (args.dir / f"{a}.csv").is_file()]
    curves = {a: _rows(args.dir / f"{a}.csv") for a in arms}
    pct = lambda g: "-" if g is None else f"{100 * g:.2f}%"  # noqa: E731
    print("| arm | what changes | instances per CPU s | gap at 5 CPU min | gap at 10 CPU min "
          "| last epoch: CPU min, gap |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    for a in arms:
        rows = curves[a]
        last = rows[-1]
        speed = last["instances"] / last["train_cpu_s"]
        print(
            f"| {a} | {ARMS[a][0]} | {speed:.1f} | {pct(_gap_at(rows, 5))} | "
            f"{pct(_gap_at(rows, 10))} | {last['train_cpu_s'] / 60:.1f}, {pct(last['val_gap'])} |"
        )
    print(f"\nCommon settings: `vrp train {shlex.join(COMMON)}` plus each arm's options and "
          "`--max-cpu-minutes`.")  # fmt: skip
    if args.plot:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(7, 4.5))
        for a in arms:
            rows = curves[a]
            ax.plot([r["train_cpu_s"] / 60 for r in rows], [100 * r["val_gap"] for r in rows],
                    marker=".", label=a)  # fmt: skip
        ax.set_xlabel("training CPU minutes (one thread)")
        ax.set_ylabel("validation gap to PyVRP 0.5 s (%)")
        ax.set_title("Learning per CPU minute: 48 variants, n = 20, from scratch")
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=110)
        print(f"wrote {args.plot}", file=sys.stderr)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="train the arms")
    r.add_argument("--arms", default=",".join(ARMS))
    r.add_argument("--minutes", type=float, default=10.0, help="training CPU minutes per arm")
    r.add_argument("--dir", type=Path, default=Path("results/neural-study"))
    p = sub.add_parser("report", help="the table (stdout) and the plot")
    p.add_argument("--dir", type=Path, default=Path("results/neural-study"))
    p.add_argument("--plot", type=Path)
    args = ap.parse_args()
    run(args) if args.cmd == "run" else report(args)


if __name__ == "__main__":
    main()
