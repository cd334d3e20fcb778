"""How each engine stops: wall time to a time limit, and from Ctrl-C to its answer.

    .venv/bin/python scripts/measure_stopping.py [--limit 2] [--ctrl-c-at 1] [--load]

Solves a generated CVRP-100 (seed 0) with every engine through `vrp.solvers.solve`, twice:
once to the limit, once with SIGINT sent to this process ``--ctrl-c-at`` seconds after the
start (inside `stop_on_interrupt`, as `vrp solve` does). ``--load`` keeps one more busy
process running meanwhile. Prints one markdown row per engine (docs/solvers.md).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time

from vrp.model.generate import generate
from vrp.solvers import solve, stop_on_interrupt


def run(engine: str, limit: float, ctrl_c_at: float | None) -> tuple[float, float, float, bool]:
    """Wall s, CPU s, wall s from the signal to the answer (nan without one), plan found."""
    inst = generate("cvrp", 100, seed=0)
    sent: list[float] = []

    def interrupt() -> None:
        sent.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGINT)

    t0 = time.perf_counter()
    timer = None
    if ctrl_c_at is not None:
        timer = threading.Timer(ctrl_c_at, interrupt)
        timer.start()
    with stop_on_interrupt() as stop:
        result = solve(inst, engine, limit, interrupt=stop)
    end = time.perf_counter()
    if timer is not None:
        timer.cancel()
    after = end - sent[0] if sent else float("nan")
    return end - t0, result.cpu_s, after, result.feasible


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=float, default=2.0)
    parser.add_argument("--ctrl-c-at", type=float, default=1.0)
    parser.add_argument("--load", action="store_true", help="one more busy process meanwhile")
    parser.add_argument("--engines", default="pyvrp,hgs,ortools,neural")
    args = parser.parse_args()
    busy = None
    if args.load:
        busy = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        run("pyvrp", 0.1, None)  # imports out of the way
        print("| engine | limit s | wall s to the limit | CPU s | Ctrl-C at s | s after Ctrl-C |")
        print("|---|---|---|---|---|---|")
        for engine in args.engines.split(","):
            wall, cpu, _, ok = run(engine, args.limit, None)
            _, _, after, ok2 = run(engine, args.limit, args.ctrl_c_at)
            plans = "" if ok and ok2 else " (no plan)"
            print(
                f"| {engine} | {args.limit:g} | {wall:.2f} | {cpu:.2f} | {args.ctrl_c_at:g} "
                f"| {after:.2f}{plans} |",
                flush=True,
            )
    finally:
        if busy is not None:
            busy.kill()


if __name__ == "__main__":
    main()
