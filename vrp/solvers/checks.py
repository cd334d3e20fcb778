"""Up-front checks for instances that no route plan can satisfy, before any engine runs.

`Instance` already rejects a demand above the capacity. Here: a customer that no depot can
serve even on a route of its own (its time window cannot be reached, or the round trip is
longer than the distance limit), and a fleet count too small for the total load. Each
failure is one `InputError` naming the field, so `vrp solve` answers in one line instead of
searching in vain.
"""

from __future__ import annotations

import numpy as np

from vrp.errors import InputError
from vrp.model.evaluate import ABS_TOL, REL_TOL
from vrp.model.instance import Instance, node_field


def _over(value: np.ndarray, limit: np.ndarray | float) -> np.ndarray:
    # The evaluator's tolerance, so that what evaluate() accepts is never rejected here.
    return value > limit + ABS_TOL + REL_TOL * np.abs(limit)


def check_solvable(inst: Instance) -> None:
    """Raise `InputError` if ``inst`` has obviously no feasible solution, or numbers no
    engine can add up (distances or durations that overflow a floating-point number)."""
    check_numbers(inst)
    if inst.fleet:
        _check_fleet(inst)
        return
    D = inst.num_depots
    cust = np.arange(D, inst.num_nodes)
    depots = np.arange(D)
    dist, dur = inst.distances, inst.durations
    start = np.array([inst.depot_start(d) for d in depots])[:, None]  # [D, 1]

    # Serving each customer alone, from each depot: [D, C] arrays.
    begin = np.maximum(start + dur[np.ix_(depots, cust)], inst.tw_early[cust][None, :])
    late_ok = ~_over(begin, inst.tw_late[cust][None, :])
    back = begin + inst.service_time[cust][None, :] + dur[np.ix_(cust, depots)].T
    back_ok = np.ones_like(late_ok) if inst.open else ~_over(back, inst.tw_late[:D, None])
    time_ok = late_ok & back_ok
    trip = dist[np.ix_(depots, cust)] + (0.0 if inst.open else dist[np.ix_(cust, depots)].T)
    if inst.max_distance is None:
        dist_ok = np.ones_like(time_ok)
    else:
        dist_ok = ~_over(trip, inst.max_distance)

    bad = np.flatnonzero(~(time_ok & dist_ok).any(axis=0))
    if bad.size:
        k = int(bad[0])
        node = int(cust[k])
        where = f"{node_field(D, node)} (id {inst.ids[node]!r})"
        others = f" ({bad.size - 1} more customers too)" if bad.size > 1 else ""
        if not time_ok[:, k].any():
            e, late = inst.tw_early[node], inst.tw_late[node]
            if not late_ok[:, k].any():
                why = (
                    f"time window [{e:g}, {late:g}] cannot be reached from any depot "
                    f"(earliest arrival {float(begin[:, k].min()):g})"
                )
            else:
                why = (
                    "no vehicle serving it can be back at its depot by the depot's latest "
                    f"time (earliest return {float(back[:, k].min()):g})"
                )
        elif not dist_ok[:, k].any():
            why = (
                f"the shortest trip to serve it is {float(trip[:, k].min()):g} > "
                f"vehicles.max_distance {inst.max_distance:g}"
            )
        else:
            why = "no depot can serve it within both its time window and the distance limit"
        raise InputError(f"cannot be served by any route: {why}{others}", field=where)

    count = inst.vehicle_count
    if count is not None:
        fleet = count * inst.capacity
        for label, total in (
            ("delivery", float(inst.delivery.sum())),
            ("pickup", float(inst.pickup.sum())),
        ):
            if _over(np.array(total), fleet):
                raise InputError(
                    f"{count} vehicles x capacity {inst.capacity:g} = {fleet:g} "
                    f"< total {label} {total:g}",
                    field="vehicles.count",
                )


def _check_fleet(inst: Instance) -> None:
    """`check_solvable` with a fleet: every customer can be served alone by some type it
    allows, from a depot that type may use (its load is checked by `Instance`); and a fleet
    whose every type has a count can carry the total load."""
    D = inst.num_depots
    cust = np.arange(D, inst.num_nodes)
    assert inst.allowed is not None
    served = np.zeros(len(cust), dtype=bool)
    for t, vtype in enumerate(inst.fleet):
        dur = inst.type_durations(t)
        for d in inst.type_depot_nodes(t):
            begin = np.maximum(inst.type_start(t, d) + dur[d, cust], inst.tw_early[cust])
            ok = ~_over(begin, inst.tw_late[cust]) & inst.allowed[cust, t]
            if not inst.open:
                back = begin + inst.service_time[cust] + dur[cust, d]
                ok &= ~_over(back, np.array(inst.type_deadline(t, d)))
            if vtype.max_distance is not None:
                trip = inst.distances[d, cust] + (0.0 if inst.open else inst.distances[cust, d])
                ok &= ~_over(trip, vtype.max_distance)
            served |= ok
    bad = np.flatnonzero(~served)
    if bad.size:
        node = int(cust[bad[0]])
        others = f" ({bad.size - 1} more customers too)" if bad.size > 1 else ""
        raise InputError(
            "cannot be served by any route: no vehicle type allowed to serve it can reach its "
            "time window, be back by its shift's end and depot's latest time, and keep to its "
            f"max_distance, from any depot it may use{others}",
            field=f"{node_field(D, node)} (id {inst.ids[node]!r})",
        )
    if all(t.count is not None for t in inst.fleet):
        fleet = sum(t.count * t.capacity for t in inst.fleet)  # type: ignore[operator]
        for label, total in (
            ("delivery", float(inst.delivery.sum())),
            ("pickup", float(inst.pickup.sum())),
        ):
            if _over(np.array(total), fleet):
                raise InputError(
                    f"the vehicle types' counts x capacities add up to {fleet:g} < total "
                    f"{label} {total:g}",
                    field="fleet",
                )


def check_numbers(inst: Instance) -> None:
    """Raise `InputError` unless distances and durations (and a route's sum of them) are
    finite numbers: locations near 1e308 apart overflow."""
    for label, m in (("distance", inst.distances), ("duration", inst.durations)):
        if np.isfinite(m).all() and np.isfinite(m.max(axis=1).sum()):
            continue
        if inst.locations is not None and not (
            label == "distance" and inst.distance_matrix is not None
        ):
            big = float(np.abs(inst.locations).max())
            raise InputError(
                f"coordinates up to {big:g} overflow the {label}s between them; rescale them",
                field="location",
            )
        raise InputError(f"{label}s overflow a floating-point number; rescale them")
