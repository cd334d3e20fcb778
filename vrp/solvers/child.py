"""Engines that Python cannot stop run in a child process that the parent can end.

HGS-CVRP and OR-Tools' iterated local search run in C++ and see neither Ctrl-C nor our
`Budget` (HGS-CVRP keeps only its own CPU limit; the iterated local search only its own
wall-clock limit). So `run_in_child` forks, runs the engine in the child with what is left of
the budget, and receives every improving plan over a pipe. The parent watches the budget - its
own CPU plus the child's, the wall cap, the `Interrupt` - and kills the child when it is
spent: at once on an interrupt; otherwise after a short grace for the engine to hand over the
plan its own limit ended with, and not before a first plan has come (`HARD_STOP_FACTOR`
bounds that wait). A child that has not yet used the CPU it was given (plus the grace) is
not ended by the CPU limit, only by the wall cap: the parent's own polling counts in the
budget, and ending the engine for it lost the main run of HGS-CVRP under load (CMT5 at 10 s
cost 2.5 % more than in-process). It returns the best plan received.

A child never outlives its parent: it ignores Ctrl-C (the parent decides), dies on SIGTERM,
and on Linux is killed with its parent (``PR_SET_PDEATHSIG``). Without ``os.fork``
(Windows) the work runs in this process, as before: it then obeys only the engine's own
limit.
"""

from __future__ import annotations

import math
import os
import pickle
import signal
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection, Pipe
from typing import Any

from vrp.errors import SolverError
from vrp.model.solution import Solution
from vrp.solvers.base import Budget, Progress

POLL_S = 0.05
PROGRESS_EVERY_S = 0.25
GRACE_S = 0.3
"""When the budget runs out by time, the child may still be handing over the plan its own
limit ended with: by default wait at most this long before killing it."""

HARD_STOP_FACTOR = 2.0
"""Until its first plan, an engine runs to its own limit (its first solution may take longer
than a short budget, as PyVRP's first local search does); past this many times the wall cap
(plus a second) it is ended all the same, so that nothing hangs."""

Emit = Callable[[float, Solution], None]
"""emit(cost_in_our_units, solution): an improving plan, from the child to the parent."""

Work = Callable[..., None]
"""work(budget, emit, *args): the engine, run in the child with a fresh child-side budget."""


def run_in_child(
    work: Work,
    args: tuple[Any, ...],
    budget: Budget,
    progress: Progress | None = None,
    *,
    grace: float | None = None,
) -> Solution | None:
    """Run ``work(child_budget, emit, *args)`` in a child process within ``budget``.

    ``child_budget`` holds the CPU seconds left and the wall seconds left of ``budget``; the
    plan with the lowest emitted cost is returned (None when none came). ``grace``: how long
    the child may go on after the budget is spent by time, to hand over a plan its own limit
    ended with (default: a tenth of the limit, between 0.05 and `GRACE_S` seconds; 0 for an
    engine that streams its plans as it finds them).

    Raises:
        SolverError: the engine failed in the child (its exception, in one line).
    """
    if not hasattr(os, "fork"):
        return _run_here(work, args, budget, progress)
    cpu_left = max(1e-3, budget.time_limit - budget.cpu())
    wall_left = max(1e-3, budget.wall_cap - budget.elapsed())
    reader, writer = Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # the child: never returns
        reader.close()
        _child(work, args, cpu_left, wall_left, writer)
    writer.close()
    best: tuple[float, Solution] | None = None
    error: str | None = None
    ended = False  # the child said "done" or "error"
    counted = 0.0  # child CPU already added to the budget
    last_progress = 0.0
    done = False
    grace_until: float | None = None
    if grace is None:
        grace = max(0.05, min(GRACE_S, 0.1 * budget.time_limit))
    hard_stop = HARD_STOP_FACTOR * budget.wall_cap + 1.0
    try:
        while not done:
            if reader.poll(POLL_S):
                message = _receive(reader)
                if message is None:
                    done = True
                elif message[0] == "done":
                    done = ended = True
                elif message[0] == "error":
                    error = message[1]
                    done = ended = True
                else:
                    _, cost, sol = message
                    if best is None or cost < best[0]:
                        if best is None:
                            last_progress = -math.inf  # show the first plan at once
                        best = (cost, sol)
            used = _cpu_of(pid)
            if used > counted:
                budget.add_cpu(used - counted)
                counted = used
            now = budget.elapsed()
            if progress is not None and now - last_progress >= PROGRESS_EVERY_S:
                last_progress = now
                progress(now, None if best is None else best[0])
            if not done and budget.expired():
                if budget.interrupted:
                    break
                if best is None and now < hard_stop:
                    continue  # no plan yet: the engine's own limit decides, as in-process
                if now < budget.wall_cap and used < cpu_left + grace:
                    # Spent by the parent's own polling, not by the engine, which stops at
                    # its own limit (the CPU left when it started): wait for its plan.
                    continue
                grace_until = now + grace if grace_until is None else grace_until
                if now >= grace_until:
                    break
    finally:
        if not done:
            _kill(pid)
        # Plans that arrived just before the end still count.
        while not done and reader.poll(0):
            message = _receive(reader)
            if message is None or message[0] != "plan":
                break
            _, cost, sol = message
            if best is None or cost < best[0]:
                best = (cost, sol)
        reader.close()
        used, status = _reap(pid)
        if used > counted:
            budget.add_cpu(used - counted)
    if done and not ended:  # the pipe closed without a word: the child crashed
        error = f"the engine's process ended unexpectedly ({_describe(status)})"
    if error is not None and best is None:
        raise SolverError(error)
    return None if best is None else best[1]


def _run_here(
    work: Work, args: tuple[Any, ...], budget: Budget, progress: Progress | None
) -> Solution | None:
    best: list[tuple[float, Solution]] = []

    def emit(cost: float, sol: Solution) -> None:
        if not best or cost < best[0][0]:
            best[:] = [(cost, sol)]
            if progress is not None:
                progress(budget.elapsed(), cost)

    work(budget, emit, *args)
    return best[0][1] if best else None


def _child(work: Work, args: tuple[Any, ...], cpu: float, wall: float, out: Connection) -> None:
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _die_with_parent()

        def emit(cost: float, sol: Solution) -> None:
            out.send(("plan", float(cost), sol))

        work(Budget(cpu, wall_cap_factor=wall / cpu), emit, *args)
        out.send(("done",))
    except BaseException as e:  # reported to the parent in one line
        code = 1
        try:
            out.send(("error", _one_line(e)))
        except BaseException:
            pass
    finally:
        os._exit(code)


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    return text if isinstance(e, SolverError) else f"{type(e).__name__}: {text}"


def _receive(reader: Connection) -> tuple[Any, ...] | None:
    """The next message, or None at the end of the pipe (or a message cut short by a kill)."""
    try:
        return reader.recv()
    except (EOFError, OSError, pickle.UnpicklingError, AttributeError, ValueError):
        return None


def _die_with_parent() -> None:
    """Ask Linux to kill this process when its parent dies (no orphaned search)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    PR_SET_PDEATHSIG = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before the request took effect
        os._exit(1)


_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _cpu_of(pid: int) -> float:
    """CPU seconds (user + system) of a running child; 0 where /proc cannot tell."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(b")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime, stime (fields 14, 15)


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _reap(pid: int) -> tuple[float, int]:
    """Wait for the child to end: its CPU seconds and its wait status."""
    while True:
        try:
            _, status, usage = os.wait4(pid, 0)
            return usage.ru_utime + usage.ru_stime, status
        except InterruptedError:
            continue
        except ChildProcessError:
            return 0.0, 0


def _describe(status: int) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            return f"killed by {signal.Signals(sig).name}"
        except ValueError:
            return f"killed by signal {sig}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"
