"""A picture of a solution's routes, as a PNG (matplotlib, Agg backend, imported lazily)."""

from __future__ import annotations

import os

import numpy as np

from vrp.errors import InputError
from vrp.formats.io import atomic_write
from vrp.model.evaluate import evaluate
from vrp.model.instance import Instance
from vrp.model.solution import Solution


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
    triangles; each route has its own colour and, unless routes are open, returns to its
    depot. Raises `InputError` for an instance without locations.
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
    for k, route in enumerate(solution.routes):
        nodes = [route.depot, *route.customers] + ([] if instance.open else [route.depot])
        xy = loc[nodes]
        ax.plot(xy[:, 0], xy[:, 1], "-", lw=1.2, color=colours(k % 20), zorder=1)
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
    ax.set_title(f"{head}\ncost {ev.cost:.6g}, {len(solution.routes)} routes")
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(loc="upper right", fontsize="small")
    if instance.coordinates == "lonlat":
        ax.set_xlabel("longitude")
        ax.set_ylabel("latitude")
    fig.tight_layout()
    with atomic_write(path, "wb") as fh:
        fig.savefig(fh, format="png")
    plt.close(fig)
