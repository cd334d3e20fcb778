"""Routes on an interactive map (folium/Leaflet), along the real roads from OSRM.

Each route is drawn through OSRM's route service (full geometry) in its own colour (with a
fleet: its vehicle type's, named in a legend), with its distance and duration from the
instance's matrices (the figures `evaluate` uses). Depots are marked with a house, customers
with numbered circles. The map credits OpenStreetMap contributors (map tiles and road data,
ODbL) and OSRM.
"""

from __future__ import annotations

import html
import math
import os
from typing import TYPE_CHECKING, Any

from vrp.draw.plot import type_colour, type_labels
from vrp.errors import InputError
from vrp.model.evaluate import evaluate
from vrp.model.instance import Instance
from vrp.model.solution import Solution

if TYPE_CHECKING:
    from vrp.roads.matrix import OsrmClient
    from vrp.roads.osrm import Region

COLOURS = (
    "#e6194b", "#3cb44b", "#4363d8", "#f58231", "#911eb4", "#42d4f4", "#f032e6", "#9a6324",
    "#469990", "#800000", "#808000", "#000075", "#bfef45", "#fabed4", "#dcbeff", "#aaffc3",
)  # fmt: skip
ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
    " (ODbL); routes by OSRM"
)


def map_region(instance: Instance, osrm_url: str | None = None) -> Region | None:
    """The region whose server draws ``instance``'s map (None with ``osrm_url``).

    Raises `InputError` when no map can be drawn: call it before a long solve.
    """
    from vrp.roads.osrm import region_for

    if instance.coordinates != "lonlat" or instance.locations is None:
        raise InputError(
            'a map needs an instance with "coordinates": "lonlat" and locations',
            field="--map",
        )
    if osrm_url:
        return None
    try:
        return region_for(instance.locations)
    except InputError as e:
        raise InputError(e.detail, field="--map") from None


def write_route_map(
    instance: Instance,
    solution: Solution,
    path: str | os.PathLike[str],
    osrm_url: str | None = None,
    region: str | Region | None = None,
) -> None:
    """Write an HTML map of ``solution``'s routes to ``path``.

    Road geometry comes from the OSRM server at ``osrm_url``; without one, a server for
    ``region`` (default: the prepared region that covers the instance) runs for the
    duration of the call.

    Raises:
        InputError: the instance has no ``lonlat`` locations, or OSRM cannot be used.
    """
    from vrp.roads.osrm import connect

    found = map_region(instance, osrm_url)
    with connect(osrm_url, region or found, cache_key=None) as client:
        html = route_map_html(instance, solution, client)
    from vrp.formats.io import atomic_write

    with atomic_write(path) as fh:
        fh.write(html)


def route_map_html(instance: Instance, solution: Solution, client: OsrmClient) -> str:
    """The map as a standalone HTML page (see `write_route_map`)."""
    import folium

    loc = instance.locations
    assert loc is not None
    fmap = folium.Map(tiles=None, control_scale=True)
    folium.TileLayer("OpenStreetMap", attr=ATTRIBUTION, name="OpenStreetMap").add_to(fmap)
    ev = evaluate(instance, solution)
    aligned = len(ev.routes) == len(solution.routes)  # evaluate skips malformed routes
    by_type = type_labels(instance, solution) if instance.fleet else None
    for k, route in enumerate(solution.routes):
        colour = COLOURS[k % len(COLOURS)]
        if by_type is not None:
            colour = type_colour(by_type[route.vehicle][0])
        nodes = [route.depot, *route.customers]
        if not all(0 <= v < instance.num_nodes for v in nodes):
            raise InputError(f"route {k} has a node index outside 0..{instance.num_nodes - 1}")
        if not instance.open:
            nodes.append(route.depot)
        line = client.route_geometry(loc[nodes])
        stats = ev.routes[k] if aligned else None
        tip = f"route {k + 1}: {len(route)} customers"
        if stats is not None:
            tip += f", {stats.distance / 1000:.2f} km, {_hms(stats.end_time - stats.start_time)}"
        name = f"route {k + 1}"
        if by_type is not None:
            name += f" ({route.vehicle})"
            tip = tip.replace(":", f" ({route.vehicle}):", 1)
            if stats is not None:
                tip += f", cost {stats.cost:.6g}"
        group = folium.FeatureGroup(name=name)
        folium.PolyLine(
            [(lat, lon) for lon, lat in line],
            color=colour,
            weight=4,
            opacity=0.8,
            tooltip=tip,
        ).add_to(group)
        for pos, c in enumerate(route.customers, start=1):
            _customer(instance, c, pos, colour).add_to(group)
        group.add_to(fmap)
    for d in range(instance.num_depots):
        folium.Marker(
            (loc[d, 1], loc[d, 0]),
            tooltip=f"depot {instance.ids[d]}",
            icon=folium.Icon(color="black", icon="home"),
        ).add_to(fmap)
    fmap.fit_bounds([(loc[:, 1].min(), loc[:, 0].min()), (loc[:, 1].max(), loc[:, 0].max())])
    folium.LayerControl(collapsed=True).add_to(fmap)
    title = (
        f"<b>{instance.name}</b>: {len(solution.routes)} routes, "
        f"{ev.cost / 1000:.2f} km{'' if ev.feasible else ' (INFEASIBLE)'}"
    )
    if by_type is not None:  # the cost is rule 9's, not a distance
        title = (
            f"<b>{instance.name}</b>: {len(solution.routes)} routes, "
            f"{ev.distance / 1000:.2f} km, fleet cost {ev.cost:.6g}"
            f"{'' if ev.feasible else ' (INFEASIBLE)'}"
        )
        fmap.get_root().html.add_child(folium.Element(_legend(by_type)))
    fmap.get_root().html.add_child(folium.Element(_banner(title)))
    return fmap.get_root().render()


def _customer(inst: Instance, node: int, pos: int, colour: str) -> Any:
    import folium

    lines = [f"customer {inst.ids[node]} (stop {pos})"]
    if inst.delivery[node]:
        lines.append(f"delivery {inst.delivery[node]:g}")
    if inst.pickup[node]:
        lines.append(f"pickup {inst.pickup[node]:g}")
    e, late = inst.tw_early[node], inst.tw_late[node]
    if math.isfinite(e) or math.isfinite(late):
        lines.append(f"window {_hms(max(e, 0))}-{_hms(late)}")
    if inst.service_time[node]:
        lines.append(f"service {_hms(inst.service_time[node])}")
    assert inst.locations is not None
    lon, lat = inst.locations[node]
    return folium.CircleMarker(
        (lat, lon), radius=5, color=colour, fill=True, fill_opacity=0.9,
        tooltip="<br>".join(lines),
    )  # fmt: skip


def _hms(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "-"
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _legend(by_type: dict[str | None, tuple[int, str]]) -> str:
    """A box naming each vehicle type beside its colour (`vrp.draw.plot.type_labels`)."""
    rows = "".join(
        f'<div><span style="display:inline-block;width:18px;height:4px;margin:0 6px 3px 0;'
        f'background:{type_colour(index)}"></span>{html.escape(label)}</div>'
        for index, label in by_type.values()
    )
    return (
        '<div style="position:fixed;bottom:24px;left:10px;z-index:1000;background:white;'
        f'padding:4px 8px;border-radius:4px;font:13px sans-serif"><b>vehicle types</b>{rows}</div>'
    )


def _banner(text: str) -> str:
    return (
        '<div style="position:fixed;top:10px;left:50px;z-index:1000;background:white;'
        f'padding:4px 8px;border-radius:4px;font:14px sans-serif">{text}</div>'
    )
