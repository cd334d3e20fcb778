"""Neural-seeded search at equal CPU time: neural alone, PyVRP alone and `neural+pyvrp`, each
instance's gap to the best cost any of them found (issue 22, item 5).

    nice -n 15 .venv/bin/python scripts/hybrid_pareto.py \\
        --variants cvrp,vrptw,vrpb,vrpmbtw,mdvrptw,ovrpltw --sizes 100 \\
        --budgets 0.1,0.3,1,3 --count 4 --plot hybrid_pareto.png [--csv runs.csv] > table.md

(the defaults). For each variant and size, instances 0 to count - 1 of
``generate_many(variant, n, count, seed=1)``, and on each:

- **neural**: `NeuralSolver` with 8 symmetries x 1 greedy start, one thread, the whole
  group decoded in ONE batch (`NeuralSolver.solve_many`); its CPU time per instance is the
  batch's CPU time / count. A warm-up decode of one instance first imports torch and loads
  the model: that set-up is excluded and stated below the table.
- **pyvrp** at each budget B: `PyVRPSolver` on a `Budget` of B CPU seconds (solver seed
  ``--seed``).
- **neural+pyvrp** at B: the neural plan of the batch above as PyVRP's initial solution
  (`vrp.solvers.hybrid.seeded_search`, the second half of ``--solver neural+pyvrp``) on a
  `Budget` of B minus the neural CPU time per instance; not applicable (n/a) when nothing is
  left. A neural plan that is infeasible leaves PyVRP unseeded, as the solver does.

Every answer is re-scored by `evaluate()`; one that is infeasible, or none, is missing: it has
no gap and the table counts it. The reference of an instance is the best feasible cost that
ANY engine found for it in this run, so gap = cost / reference - 1 is relative to this run.
The CPU column is what each run measured (PyVRP builds its model before it checks its budget
and may overrun a small one). CPU time: about variants x sizes x count x 2 x sum(budgets),
plus the neural decodes.
"""

from __future__ import annotations

import argparse
import csv
import shlex
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from statistics import mean

from vrp.benchmark.arguments import positive_floats, positive_ints
from vrp.benchmark.report import markdown_table
from vrp.benchmark.runner import WALL_CAP_FACTOR, code_version, machine, machine_text
from vrp.errors import InputError
from vrp.model.evaluate import evaluate
from vrp.model.generate import generate_many
from vrp.model.instance import Instance
from vrp.model.solution import Solution
from vrp.model.variants import parse_variant_list
from vrp.solvers import Budget, refusal
from vrp.solvers.hybrid import NeuralPyVRPSolver, seeded_search
from vrp.solvers.neural import NeuralSolver
from vrp.solvers.pyvrp import PyVRPSolver

DEFAULT_VARIANTS = "cvrp,vrptw,vrpb,vrpmbtw,mdvrptw,ovrpltw"
ENGINES = ("neural", "pyvrp", "neural+pyvrp")


@dataclass
class Run:
    """One engine on one instance at one budget (``budget`` None: neural alone)."""

    variant: str
    n: int
    instance: str
    engine: str
    budget: float | None
    cpu_s: float | None  # None: not applicable
    cost: float | None  # None: missing (no plan, or an infeasible one) or not applicable
    note: str = ""

    @property
    def applicable(self) -> bool:
        return self.cpu_s is not None


def _cost(inst: Instance, sol: Solution | None) -> float | None:
    """The cost by `evaluate()`, None when there is no plan or it is infeasible."""
    if sol is None:
        return None
    ev = evaluate(inst, sol)
    return ev.cost if ev.feasible else None


def measure_group(variant: str, n: int, args: argparse.Namespace, notes: list[str]) -> list[Run]:
    """Every engine on the ``args.count`` instances of ``variant`` at ``n`` customers."""
    instances = generate_many(variant, n, args.count, seed=1)
    hybrid = NeuralPyVRPSolver()
    refused = refusal(hybrid, instances[0])
    if refused is not None:
        notes.append(f"{variant} n={n}: skipped ({refused})")
        return []
    neural = NeuralSolver(augment=8, num_starts=1, threads=1)
    c0 = time.process_time()
    neural.solve_many(instances[:1])  # imports torch, loads the model, warms the kernels
    setup = time.process_time() - c0
    c0 = time.process_time()
    plans = neural.solve_many(instances)
    per_instance = (time.process_time() - c0) / len(instances)
    models = sorted({neural.checkpoint_for(i).name for i in instances})
    notes.append(
        f"{variant} n={n}: neural model {', '.join(models)}; set-up (import, load, one "
        f"warm-up decode) {setup:.2f} CPU s, not counted; batch of {len(instances)}: "
        f"{per_instance:.3f} CPU s per instance"
    )
    runs: list[Run] = []
    for inst, plan in zip(instances, plans, strict=True):
        cost = _cost(inst, plan)
        note = "" if cost is not None else "neural plan infeasible: PyVRP unseeded"
        runs.append(Run(variant, n, inst.name, "neural", None, per_instance, cost))
        for b in args.budgets:
            budget = Budget(b, wall_cap_factor=args.wall_cap_factor)
            sol = PyVRPSolver().solve(inst, budget, args.seed)
            runs.append(Run(variant, n, inst.name, "pyvrp", b, budget.cpu(), _cost(inst, sol)))
            left = b - per_instance
            if left <= 0:
                runs.append(Run(variant, n, inst.name, "neural+pyvrp", b, None, None, "n/a"))
                continue
            budget = Budget(left, wall_cap_factor=args.wall_cap_factor)
            sol = seeded_search(inst, plan, budget, args.seed)
            cpu = per_instance + budget.cpu()
            runs.append(Run(variant, n, inst.name, "neural+pyvrp", b, cpu, _cost(inst, sol), note))
        done = [r for r in runs if r.instance == inst.name]
        summary = ", ".join(
            f"{r.engine}@{r.budget or 'own'}={'-' if r.cost is None else f'{r.cost:.4f}'}"
            for r in done
        )
        print(f"{inst.name}: {summary}", file=sys.stderr, flush=True)
    return runs


def gaps(runs: list[Run]) -> dict[int, float]:
    """Gap of each feasible run (by index in ``runs``) to the best cost of its instance."""
    best: dict[str, float] = {}
    for r in runs:
        if r.cost is not None:
            best[r.instance] = min(best.get(r.instance, r.cost), r.cost)
    return {i: r.cost / best[r.instance] - 1 for i, r in enumerate(runs) if r.cost is not None}


@dataclass
class Cell:
    """A row of the table: mean gap and CPU time of one engine at one budget."""

    gap: float | None  # mean over the runs with a plan; None: none had one
    cpu: float | None  # None: not applicable
    runs: int
    missing: int
    unseeded: int
    not_applicable: int


def summarise(runs: list[Run], gap: dict[int, float], keep) -> dict[tuple, Cell]:
    """(engine, budget) -> `Cell` over the runs for which ``keep(run)`` holds."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for i, r in enumerate(runs):
        if keep(r):
            groups[(r.engine, r.budget)].append(i)
    out = {}
    for key, idx in groups.items():
        applicable = [i for i in idx if runs[i].applicable]
        found = [gap[i] for i in applicable if i in gap]
        out[key] = Cell(
            gap=mean(found) if found else None,
            cpu=mean(runs[i].cpu_s or 0.0 for i in applicable) if applicable else None,
            runs=len(idx),
            missing=len(applicable) - len(found),
            unseeded=sum(1 for i in applicable if runs[i].note.startswith("neural plan")),
            not_applicable=len(idx) - len(applicable),
        )
    return out


def _order(key: tuple) -> tuple:
    engine, budget = key
    return (ENGINES.index(engine), -1.0 if budget is None else budget)


def _cells(cell: Cell) -> list[str]:
    if cell.cpu is None:
        return ["n/a (neural alone took the budget)", "n/a", "-"]
    gap = "-" if cell.gap is None else f"{100 * cell.gap:.2f} %"
    missing = f"{cell.missing} of {cell.runs}" if cell.missing else "0"
    if cell.unseeded:
        missing += f" ({cell.unseeded} unseeded)"
    if cell.not_applicable:
        missing += f"; n/a on {cell.not_applicable} of {cell.runs}"
    return [gap, f"{cell.cpu:.3f}", missing]


def table(runs: list[Run], gap: dict[int, float]) -> tuple[str, dict[int, dict[tuple, Cell]]]:
    """The Markdown table (per variant, then overall per size), and the overall cells."""
    rows = []
    for variant, n in dict.fromkeys((r.variant, r.n) for r in runs):
        cells = summarise(runs, gap, lambda r, v=variant, k=n: r.variant == v and r.n == k)
        for key in sorted(cells, key=_order):
            engine, budget = key
            b = "own" if budget is None else f"{budget:g}"
            rows.append([variant, str(n), engine, b, *_cells(cells[key])])
    overall = {}
    for n in dict.fromkeys(r.n for r in runs):
        overall[n] = summarise(runs, gap, lambda r, k=n: r.n == k)
        for key in sorted(overall[n], key=_order):
            engine, budget = key
            b = "own" if budget is None else f"{budget:g}"
            rows.append(["**all**", str(n), engine, b, *_cells(overall[n][key])])
    header = ["variant", "n", "engine", "budget (CPU s)", "mean gap", "mean CPU s", "missing"]
    return markdown_table(header, rows), overall


def plot(overall: dict[int, dict[tuple, Cell]], path: Path) -> None:
    """Mean gap against mean CPU time per instance, one line per engine and size."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for n, cells in overall.items():
        for engine in ENGINES:
            points = sorted(
                (c.cpu, 100 * c.gap)
                for (e, _), c in cells.items()
                if e == engine and c.cpu is not None and c.gap is not None
            )
            if points:
                xs, ys = zip(*points, strict=True)
                marker = {"neural": "s", "pyvrp": "o", "neural+pyvrp": "^"}[engine]
                ax.plot(xs, ys, marker=marker, label=f"{engine}, n = {n}")
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("mean CPU seconds per instance (log)")
    ax.set_ylabel("mean gap to the best found (%)")
    ax.set_title("Neural-seeded search at equal CPU time")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--variants", default=DEFAULT_VARIANTS, help="comma-separated variant names")
    p.add_argument("--sizes", type=positive_ints, default=[100], help="customers, e.g. 100,200,500")
    p.add_argument("--budgets", type=positive_floats, default=[0.1, 0.3, 1.0, 3.0], help="CPU s")
    p.add_argument("--count", type=int, default=4, help="instances per variant and size")
    p.add_argument("--seed", type=int, default=0, help="PyVRP's seed")
    p.add_argument(
        "--wall-cap-factor",
        type=float,
        default=WALL_CAP_FACTOR,
        help="a run stops after this many times its budget in wall seconds",
    )
    p.add_argument("--plot", type=Path, help="write the gap-vs-CPU-time plot (PNG) here")
    p.add_argument("--csv", type=Path, help="write one row per run here")
    args = p.parse_args()
    if args.count < 1:
        p.error("--count: at least 1")
    try:
        variants = parse_variant_list(args.variants)
    except InputError as e:
        p.exit(1, f"error: {e}\n")

    notes: list[str] = []
    runs: list[Run] = []
    for n in args.sizes:
        for variant in variants:
            runs += measure_group(variant, n, args, notes)
    if not runs:
        print("nothing measured: " + "; ".join(notes), file=sys.stderr)
        return 1
    gap = gaps(runs)
    text, overall = table(runs, gap)
    command = "scripts/hybrid_pareto.py " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    print(f"`{command.strip()}`\n")
    print(text)
    print(
        "\nGap: cost / reference - 1, the reference of an instance being the best feasible cost "
        "that any engine found for it in this run (not a best-known solution). Missing: no "
        "plan, or one that `evaluate()` finds infeasible; not in the mean gap. Unseeded: the "
        "neural plan was infeasible, so PyVRP started from its own. Budget `own`: neural "
        "alone, at its batch CPU time per instance. CPU s: measured per run, single-threaded; "
        f"{len(args.budgets)} budgets, {args.count} instances per variant and size, PyVRP "
        f"seed {args.seed}, wall cap {args.wall_cap_factor:g}x. Machine: "
        f"{machine_text(machine())}; code {code_version()}."
    )
    for note in notes:
        print(f"- {note}")
    if args.csv is not None:
        with open(args.csv, "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["variant", "n", "instance", "engine", "budget", "cpu_s", "cost", "gap"])
            for i, r in enumerate(runs):
                g = gap.get(i)
                w.writerow([r.variant, r.n, r.instance, r.engine, r.budget, r.cpu_s, r.cost, g])
    if args.plot is not None:
        plot(overall, args.plot)
        print(f"plot: {args.plot}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
