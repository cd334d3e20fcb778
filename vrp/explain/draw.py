"""A picture of an explanation: the routes, with what binds marked (PNG, matplotlib lazily).

Explained routes are drawn in colour, the others in light grey. An edge forced by a rule is
drawn thick and labelled with its intention (``window``, ``load``, ...), a ``detour`` edge
dashed. A stop whose tightest slack binds gets a ring of that limit's shape (time: a red
circle, capacity: a black square, distance: a magenta diamond); every stop of an explained
route is labelled with its id.
"""

from __future__ import annotations

import os

import numpy as np

from vrp.draw.plot import can_plot
from vrp.errors import InputError
from vrp.explain.intentions import RouteExplanation
from vrp.formats.io import atomic_write
from vrp.model.evaluate import evaluate
from vrp.model.instance import Instance
from vrp.model.solution import Solution

FORCED = ("window", "deadline", "load", "backhaul", "distance")
# limit -> (marker, colour) of the ring round a stop where it binds; unlike any route colour
RING = {"time": ("o", "crimson"), "capacity": ("s", "black"), "distance": ("D", "magenta")}


def plot_explanation(
    inst: Instance,
    sol: Solution,
    explained: list[RouteExplanation],
    path: str | os.PathLike[str],
    title: str | None = None,
) -> None:
    """Draw ``sol`` with the binding limits of the ``explained`` routes to the PNG ``path``.

    Raises:
        InputError: the instance has no locations to draw (field ``--plot``).
    """
    reason = can_plot(inst)
    if reason is not None:
        raise InputError(f"cannot plot: {reason}", field="--plot")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    loc = np.asarray(inst.locations)
    shown = {e.index: e for e in explained}
    fig, ax = plt.subplots(figsize=(8, 8), dpi=100)
    colours = plt.get_cmap("tab10")
    for k, route in enumerate(sol.routes):
        nodes = [route.depot, *route.customers] + ([] if inst.open else [route.depot])
        xy = loc[nodes]
        if k not in shown:
            ax.plot(xy[:, 0], xy[:, 1], "-", lw=0.8, color="0.85", zorder=1)
            continue
        colour = colours(k % 10)
        ax.plot(xy[:, 0], xy[:, 1], "-", lw=1.2, color=colour, zorder=2, label=f"route {k + 1}")
        for edge in shown[k].edges:
            (x0, y0), (x1, y1) = loc[edge.source], loc[edge.target]
            if edge.intention in FORCED:
                ax.plot([x0, x1], [y0, y1], "-", lw=3.5, color=colour, alpha=0.6, zorder=2)
                ax.annotate(
                    edge.intention,
                    ((x0 + x1) / 2, (y0 + y1) / 2),
                    fontsize=7,
                    color=colour,
                    ha="center",
                )
            elif edge.intention == "detour":
                ax.plot([x0, x1], [y0, y1], "--", lw=2.0, color="black", zorder=3)
        for stop in shown[k].slack.stops:
            node = stop.visit.node
            ax.annotate(
                inst.ids[node], loc[node], fontsize=7, xytext=(3, 3), textcoords="offset points"
            )
            if stop.binding:
                marker, ring = RING[stop.tightest]
                x, y = loc[node]
                ax.scatter(x, y, s=170, marker=marker, facecolors="none", edgecolors=ring,
                           linewidths=1.8, zorder=4)  # fmt: skip
    D = inst.num_depots
    ax.scatter(loc[D:, 0], loc[D:, 1], s=12, c="0.3", zorder=3)
    ax.scatter(loc[:D, 0], loc[:D, 1], s=90, marker="s", c="black", zorder=4, label="depot")
    bound = {s.tightest for e in explained for s in e.slack.stops if s.binding}
    for limit, (marker, ring) in RING.items():  # legend entries for the rings drawn
        if limit in bound:
            ax.scatter([], [], s=170, marker=marker, facecolors="none", edgecolors=ring,
                       label=f"{limit} binds")  # fmt: skip
    if any(x.intention == "detour" for e in explained for x in e.edges):
        ax.plot([], [], "--", color="black", label="detour (can improve)")
    ev = evaluate(inst, sol)
    head = title or f"{inst.name} ({inst.variant.name})"
    ax.set_title(f"{head}\ncost {ev.cost:.6g}, {len(sol.routes)} routes; thick: forced edges")
    ax.set_aspect("equal", adjustable="datalim")
    ax.legend(loc="upper right", fontsize="small")
    fig.tight_layout()
    with atomic_write(path, "wb") as fh:
        fig.savefig(fh, format="png")
    plt.close(fig)
