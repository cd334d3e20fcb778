"""A picture of a solution's routes, as a PNG (matplotlib, Agg backend, imported lazily)."""

from __future__ import annotations

import os

import numpy as np

from vrp.errors import InputError
from vrp.formats.io import atomic_write
from vrp.model.evaluate import evaluate
from vrp.model.instance import Instance
from vrp.model.solution import Solution

TYPE_COLOURS = (
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    "#bcbd22", "#7f7f7f",
)  # fmt: skip
"""Route colours by vehicle type (the fleet's order, cycling); a route of no known type is
drawn in `UNTYPED_COLOUR`."""
UNTYPED_COLOUR = "#000000"


def type_labels(instance: Instance, solution: Solution) -> dict[str | None, tuple[int, str]]:
    """Per vehicle type id a route names: the index of its colour in `TYPE_COLOURS` (-1: no
    type of the fleet, drawn in `UNTYPED_COLOUR`) and its legend label, ``"Q30: 3 routes"``."""
    ids = [t.id for t in instance.fleet]
    used: dict[str | None, int] = {}
    for route in solution.routes:
        used[route.vehicle] = used.get(route.vehicle, 0) + 1
    out: dict[str | None, tuple[int, str]] = {}
    for vid in sorted(used, key=lambda v: ids.index(v) if v in ids else len(ids)):
        n = used[vid]
        index = ids.index(vid) % len(TYPE_COLOURS) if vid in ids else -1
        name = vid if vid in ids else f"{vid or 'no'} type (not in the fleet)"
        out[vid] = (index, f"{name}: {n} route{'s' if n != 1 else ''}")
    return out


def type_colour(index: int) -> str:
    """The colour of `type_labels`'s index."""
    return UNTYPED_COLOUR if index < 0 else TYPE_COLOURS[index]


def can_plot(instance: Instance) -> str | None:
    """Why ``instance`` cannot be drawn (no locations), or None."""
    if instance.locations is None:
        return "the instance has only a distance matrix, no locations to draw"
    return None


def plot_routes(
    instance: Instance,
    solution: Solution,
    path: str | os.PathLike[str],
    title: str | None = None,
) -> None:
    """Draw depots, customers and routes of ``solution`` to the PNG file ``path``, atomically.

    Depots are black squares, linehaul customers dots, backhaul customers (pickup > 0)
    triangles; each route has its own colour (with a fleet: its vehicle type's, named in the
    legend) and, unless routes are open, returns to its depot. Raises `InputError` for an
    instance without locations.
    """
    reason = can_plot(instance)
    if reason is not None:
        raise InputError(f"cannot plot: {reason}", field="--plot")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    loc = np.asarray(instance.locations)
    D = instance.num_depots
    fig, ax = plt.subplots(figsize=(8, 8), dpi=100)
    colours = plt.get_cmap("tab20")
    by_type = type_labels(instance, solution) if instance.fleet else None
    labelled: set[str | None] = set()  # one legend entry per type
    for k, route in enumerate(solution.routes):
        nodes = [route.depot, *route.customers] + ([] if instance.open else [route.depot])
        xy = loc[nodes]
        if by_type is None:
            ax.plot(xy[:, 0], xy[:, 1], "-", lw=1.2, color=colours(k % 20), zorder=1)
        else:
            t, label = by_type[route.vehicle]
            first = route.vehicle not in labelled
            labelled.add(route.vehicle)
            ax.plot(xy[:, 0], xy[:, 1], "-", lw=1.4, color=type_colour(t), zorder=1,
                    label=label if first else None)  # fmt: skip
    cust = np.arange(D, instance.num_nodes)
    back = cust[instance.pickup[D:] > 0]
    line = cust[instance.pickup[D:] <= 0]
    ax.scatter(loc[line, 0], loc[line, 1], s=14, c="0.25", zorder=2, label="customer")
    if back.size:
        ax.scatter(
            loc[back, 0], loc[back, 1], s=22, marker="^", c="tab:red", zorder=2, label="pickup"
        )
    ax.scatter(loc[:D, 0], loc[:D, 1], s=90, marker="s", c="black", zorder=3, label="depot")
    ev = evaluate(instance, solution)
    head = title or f"{instance.name} ({instance.variant.name})"
    cost = "fleet cost" if instance.fleet else "cost"  # rule 9's, not a distance
    ax.set_title(f"{head}\n{cost} {ev.cost:.6g}, {len(solution.routes)} routes")
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(loc="best" if by_type else "upper right", fontsize="small")
    if instance.coordinates == "lonlat":
        ax.set_xlabel("longitude")
        ax.set_ylabel("latitude")
    fig.tight_layout()
    with atomic_write(path, "wb") as fh:
        fig.savefig(fh, format="png")
    plt.close(fig)
