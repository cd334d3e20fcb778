"""The only reader and writer of the FORMAT.md JSON (instances and solutions).

`read_instance` also accepts VRPLIB (``.vrp``, ``.vrpb``, ``.vrpmpd``) and Solomon (``.txt``)
files; those importers live in `vrp.formats.vrplib`. Every error is an `InputError` whose message
names the file and the field. Reading is strict: a field the format does not know is an error
that names it and the nearest known name (`vrp.formats.schema`, whose JSON Schemas list the
fields); free-form data goes under ``meta``. Every file is written atomically (`atomic_write`): an
interrupted run never leaves half a file.

Files are parsed with orjson, and a list of numbers is written on one line (`json_text`): at
5000 stops an instance holds two 5001 x 5001 matrices, 50 million numbers, where the standard
library took 41 s to write the file (one number per line) and 24 s to read it back.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np
import orjson

from vrp.errors import InputError
from vrp.formats import schema
from vrp.model.evaluate import Evaluation, evaluate
from vrp.model.fleet import VehicleType
from vrp.model.instance import Instance
from vrp.model.solution import Route, Solution

INSTANCE_FORMAT = "vrp-instance/1"
SOLUTION_FORMAT = "vrp-solution/1"
JSON_SUFFIXES = (".json",)


# -- atomic files ---------------------------------------------------------------------------


@contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success move it over ``path`` in one step."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the file the usual permissions
    try:
        with os.fdopen(fd, mode) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def json_text(data: Any) -> str:
    """``data`` as JSON text, laid out for people and fast for big matrices: objects and
    nested lists one item per line (indented by one space per level, as ``json.dumps(...,
    indent=1)``), a list of plain values on one line. Non-finite numbers are an error, as
    with ``allow_nan=False``."""
    return "".join(json_chunks(data))


_SCALARS = {int, float, str, bool, type(None)}


def json_chunks(x: Any, level: int = 0) -> Iterator[str]:
    """`json_text` in pieces (a matrix row at most), for writing without the whole text in
    memory."""
    if isinstance(x, dict):
        if not x:
            yield "{}"
            return
        pad = "\n" + " " * (level + 1)
        for i, (k, v) in enumerate(x.items()):
            yield ("{" if i == 0 else ",") + pad + json.dumps(str(k)) + ": "
            yield from json_chunks(v, level + 1)
        yield "\n" + " " * level + "}"
    elif isinstance(x, list | tuple):
        kinds = set(map(type, x))
        if kinds <= _SCALARS:
            yield _flat_list(x, kinds)
            return
        pad = "\n" + " " * (level + 1)
        for i, v in enumerate(x):
            yield ("[" if i == 0 else ",") + pad
            yield from json_chunks(v, level + 1)
        yield "\n" + " " * level + "]"
    else:
        yield json.dumps(x, allow_nan=False)


def _flat_list(x: list[Any] | tuple[Any, ...], kinds: set[type]) -> str:
    """A list of plain values on one line (orjson for the numbers: a matrix row of 5000 takes
    about 0.2 ms)."""
    if kinds <= {int, float} and x:
        if float in kinds and not math.isfinite(sum(x)):
            if not all(math.isfinite(v) for v in x):
                raise ValueError("Out of range float values are not JSON compliant")
        try:
            return orjson.dumps(list(x)).decode().replace(",", ", ")
        except TypeError:  # an integer past 64 bits
            pass
    return json.dumps(list(x), allow_nan=False)


def write_json(path: str | os.PathLike[str], data: Any) -> None:
    """Write ``data`` as JSON (`json_text`), atomically, a piece at a time."""
    with atomic_write(path) as fh:
        fh.writelines(json_chunks(data))
        fh.write("\n")


def _load_json(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", path=str(path)) from None
    except OSError as e:
        raise InputError(f"cannot read file ({e.__class__.__name__})", path=str(path)) from None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    # Not strict JSON to orjson: the standard library names the place of the error, and
    # reads the NaN and Infinity that Python writes (the readers then name the field).
    try:
        text = raw.decode()
    except UnicodeDecodeError as e:
        raise InputError(f"cannot read file ({e.__class__.__name__})", path=str(path)) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(
            f"not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})", path=str(path)
        ) from None


# -- field readers --------------------------------------------------------------------------


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _number(obj: dict[str, Any], key: str, where: str, default: float | None) -> float | None:
    v = obj.get(key)
    if v is None:
        return default
    if not _is_number(v):
        raise InputError(f"must be a number, got {json.dumps(v)}", field=f"{where}.{key}")
    if not math.isfinite(v):
        raise InputError(f"must be a finite number, got {v}", field=f"{where}.{key}")
    return float(v)


def _required_number(obj: dict[str, Any], key: str, where: str) -> float:
    if key not in obj or obj[key] is None:
        raise InputError("missing required field", field=f"{where}.{key}")
    value = _number(obj, key, where, None)
    assert value is not None
    return value


def _pair(v: Any, field: str) -> tuple[float, float]:
    if not isinstance(v, list) or len(v) != 2 or not all(_is_number(x) for x in v):
        raise InputError(f"must be a list of two numbers, got {json.dumps(v)}", field=field)
    if not all(math.isfinite(x) for x in v):
        raise InputError(f"must be two finite numbers, got {v}", field=field)
    return float(v[0]), float(v[1])


def _matrix(v: Any, field: str, n: int) -> np.ndarray | None:
    if v is None:
        return None
    if not isinstance(v, list) or not all(isinstance(row, list) for row in v):
        raise InputError("must be a list of lists of numbers", field=field)
    if len(v) != n or any(len(row) != n for row in v):
        shape = f"{len(v)}x{'/'.join(sorted({str(len(r)) for r in v})) or 0}"
        raise InputError(f"has shape {shape}, expected {n}x{n} (depots + customers)", field=field)
    kinds: set[type] = set()
    for row in v:
        kinds.update(map(type, row))
    if not kinds <= {int, float}:  # bool, None and "12" are not numbers here
        raise InputError("must contain numbers only", field=field)
    try:
        return np.array(v, dtype=float)
    except OverflowError:
        raise InputError("must contain numbers only", field=field) from None


# -- instances ------------------------------------------------------------------------------


def _checked_top(data: Any, expected: str, kind: schema.Kind) -> InputError | None:
    """The checks every file starts with: a JSON object of format ``expected``; then
    `vrp.formats.schema.check` of it as ``kind`` (its error, if any, for the caller to raise
    after its own more specific checks)."""
    if not isinstance(data, dict):
        raise InputError("the top level must be a JSON object")
    fmt = data.get("format", expected)
    if fmt != expected:
        raise InputError(f"expected {expected!r}, got {json.dumps(fmt)}", field="format")
    return schema.check(data, kind)


def instance_from_dict(data: Any, default_name: str = "instance") -> Instance:
    """Build an `Instance` from parsed FORMAT.md JSON, naming the field of any error."""
    schema_error = _checked_top(data, INSTANCE_FORMAT, "instance")
    fleet = _fleet(data.get("fleet"))
    for key in ("depots", "customers"):
        if key not in data:
            raise InputError("missing required field", field=key)
        if not isinstance(data[key], list) or not data[key]:
            raise InputError("must be a non-empty list", field=key)
    depots, customers = data["depots"], data["customers"]
    nodes = [(f"depots[{i}]", d) for i, d in enumerate(depots)]
    nodes += [(f"customers[{i}]", c) for i, c in enumerate(customers)]
    n, num_depots = len(nodes), len(depots)
    dist = _matrix(data.get("distance_matrix"), "distance_matrix", n)
    dur = _matrix(data.get("duration_matrix"), "duration_matrix", n)

    ids: list[str] = []
    kinds: list[tuple[str, ...] | None] = []
    locs: list[tuple[float, float]] = []
    cols = {k: np.zeros(n) for k in ("delivery", "pickup", "service_time")}
    early, late = np.full(n, -np.inf), np.full(n, np.inf)
    for k, (where, node) in enumerate(nodes):
        if not isinstance(node, dict):
            raise InputError("must be a JSON object", field=where)
        kinds.append(_type_ids(node.get("vehicle_types"), f"{where}.vehicle_types"))
        is_depot = k < num_depots
        default_id = f"D{k + 1}" if is_depot else str(k - num_depots + 1)
        node_id = node.get("id", default_id)
        if not isinstance(node_id, str | int) or isinstance(node_id, bool):
            raise InputError(f"must be a string, got {json.dumps(node_id)}", field=f"{where}.id")
        ids.append(str(node_id))
        if node.get("location") is not None:
            locs.append(_pair(node["location"], f"{where}.location"))
        elif dist is None:
            raise InputError(
                "missing required field (no distance_matrix given)", field=f"{where}.location"
            )
        for key in cols:
            value = _number(node, key, where, 0.0)
            if is_depot and key in node and value:
                raise InputError("must be 0 on a depot", field=f"{where}.{key}")
            cols[key][k] = value or 0.0
        if node.get("time_window") is not None:
            early[k], late[k] = _pair(node["time_window"], f"{where}.time_window")

    vehicles = data.get("vehicles")
    if vehicles is None:
        raise InputError("missing required field", field="vehicles")
    if not isinstance(vehicles, dict):
        raise InputError("must be a JSON object", field="vehicles")
    # With a fleet, vehicles.capacity, count and max_distance are not used (FORMAT.md).
    capacity = None if fleet else _required_number(vehicles, "capacity", "vehicles")
    count = None if fleet else vehicles.get("count")
    if count is not None and (not isinstance(count, int) or isinstance(count, bool)):
        raise InputError(
            f"must be an integer or null, got {json.dumps(count)}", field="vehicles.count"
        )
    is_open = vehicles.get("open", False)
    if not isinstance(is_open, bool):
        raise InputError(f"must be true or false, got {json.dumps(is_open)}", field="vehicles.open")
    backhaul = data.get("backhaul", "classic")
    coordinates = data.get("coordinates", "euclidean")
    name = data.get("name", default_name)
    if not isinstance(name, str):
        raise InputError(f"must be a string, got {json.dumps(name)}", field="name")
    inst = Instance(
        num_depots=num_depots,
        locations=np.array(locs) if len(locs) == n else None,
        delivery=cols["delivery"],
        pickup=cols["pickup"],
        service_time=cols["service_time"],
        tw_early=early,
        tw_late=late,
        capacity=capacity,
        vehicle_count=count,
        max_distance=None if fleet else _number(vehicles, "max_distance", "vehicles", None),
        open=is_open,
        speed=1.0
        if vehicles.get("speed") is None
        else _required_number(vehicles, "speed", "vehicles"),
        backhaul=backhaul,
        coordinates=coordinates,
        distance_matrix=dist,
        duration_matrix=dur,
        ids=tuple(ids),
        name=name,
        fleet=fleet,
        vehicle_types=tuple(kinds) if any(k is not None for k in kinds) else (),
    )
    if schema_error is not None:
        raise schema_error
    return inst


def _fleet(value: Any) -> tuple[VehicleType, ...]:
    """The ``fleet`` list as vehicle types (ranges are checked by `Instance`)."""
    if value is None:
        return ()
    if not isinstance(value, list) or not value:
        raise InputError("must be a non-empty list of vehicle types", field="fleet")
    out = []
    for i, t in enumerate(value):
        where = f"fleet[{i}]"
        if not isinstance(t, dict):
            raise InputError("must be a JSON object", field=where)
        type_id = t.get("id")
        if not isinstance(type_id, str) or not type_id:
            raise InputError(
                f"must be a non-empty string, got {json.dumps(type_id)}", field=f"{where}.id"
            )
        count = t.get("count")
        if count is not None and (not isinstance(count, int) or isinstance(count, bool)):
            raise InputError(
                f"must be an integer or null, got {json.dumps(count)}", field=f"{where}.count"
            )
        depot = t.get("depot")
        if depot is not None and (not isinstance(depot, str | int) or isinstance(depot, bool)):
            raise InputError(
                f"must be a depot id or null, got {json.dumps(depot)}", field=f"{where}.depot"
            )
        shift = t.get("shift")
        out.append(
            VehicleType(
                id=type_id,
                capacity=_required_number(t, "capacity", where),
                count=count,
                depot=None if depot is None else str(depot),
                shift=None if shift is None else _pair(shift, f"{where}.shift"),
                max_distance=_number(t, "max_distance", where, None),
                fixed_cost=_number(t, "fixed_cost", where, 0.0) or 0.0,
                distance_cost=_number(t, "distance_cost", where, 1.0),  # type: ignore[arg-type]
                duration_factor=_number(t, "duration_factor", where, 1.0),  # type: ignore[arg-type]
            )
        )
    return tuple(out)


def _type_ids(value: Any, field: str) -> tuple[str, ...] | None:
    """A customer's ``vehicle_types``: a list of type ids, or None (every type)."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise InputError(
            f"must be a list of vehicle type ids, got {json.dumps(value)}", field=field
        )
    return tuple(value)


def _num(x: float) -> int | float:
    x = float(x)
    return int(x) if x.is_integer() and abs(x) < 2**53 else x


def instance_to_dict(inst: Instance) -> dict[str, Any]:
    """The FORMAT.md JSON of an instance (fields at their default are written too, for clarity)."""

    def node(k: int) -> dict[str, Any]:
        out: dict[str, Any] = {"id": inst.ids[k]}
        if inst.locations is not None:
            out["location"] = [_num(v) for v in inst.locations[k]]
        if k >= inst.num_depots:
            out["delivery"] = _num(inst.delivery[k])
            out["pickup"] = _num(inst.pickup[k])
        e, late = inst.tw_early[k], inst.tw_late[k]
        if math.isfinite(e) or math.isfinite(late):
            lo = e if math.isfinite(e) else 0.0  # no earlier start than 0 is possible
            if not math.isfinite(late):
                raise InputError(
                    "a time window needs a finite latest time to be written", field=f"node {k}"
                )
            out["time_window"] = [_num(lo), _num(late)]
        if k >= inst.num_depots and inst.service_time[k]:
            out["service_time"] = _num(inst.service_time[k])
        kinds = inst.vehicle_types[k] if inst.vehicle_types else None
        if kinds is not None:
            out["vehicle_types"] = list(kinds)
        return out

    D = inst.num_depots
    vehicles: dict[str, Any] = {"open": bool(inst.open), "speed": _num(inst.speed)}
    if not inst.fleet:
        vehicles = {
            "capacity": _num(inst.capacity or 0.0),  # set by `Instance`
            "count": inst.vehicle_count,
            "max_distance": None if inst.max_distance is None else _num(inst.max_distance),
            **vehicles,
        }
    out: dict[str, Any] = {
        "format": INSTANCE_FORMAT,
        "name": inst.name,
        "coordinates": inst.coordinates,
        "depots": [node(k) for k in range(D)],
        "customers": [node(k) for k in range(D, inst.num_nodes)],
        "vehicles": vehicles,
    }
    if inst.fleet:
        out["fleet"] = [_vehicle_type_out(t) for t in inst.fleet]
    out.update(
        backhaul=inst.backhaul,
        distance_matrix=_matrix_out(inst.distance_matrix),
        duration_matrix=_matrix_out(inst.duration_matrix),
    )
    return out


def _vehicle_type_out(t: VehicleType) -> dict[str, Any]:
    return {
        "id": t.id,
        "count": t.count,
        "capacity": _num(t.capacity),
        "depot": t.depot,
        "shift": None if t.shift is None else [_num(x) for x in t.shift],
        "max_distance": None if t.max_distance is None else _num(t.max_distance),
        "fixed_cost": _num(t.fixed_cost),
        "distance_cost": _num(t.distance_cost),
        "duration_factor": _num(t.duration_factor),
    }


def _matrix_out(m: np.ndarray | None) -> list[list[int | float]] | None:
    if m is None:
        return None
    if np.all(m == np.round(m)) and np.abs(m).max() < 2**53:
        return m.astype(np.int64).tolist()
    return m.tolist()


def read_instance(path: str | os.PathLike[str]) -> Instance:
    """Read an instance: FORMAT.md JSON, or VRPLIB / Solomon text (see `vrp.formats.vrplib`)."""
    p = Path(path)
    if p.suffix.lower() not in JSON_SUFFIXES:
        from vrp.formats.vrplib import read_external

        return read_external(p)
    data = _load_json(p)
    try:
        return instance_from_dict(data, default_name=p.stem)
    except InputError as e:
        raise e.with_path(str(p)) from None


def write_instance(inst: Instance, path: str | os.PathLike[str]) -> None:
    """Write ``inst`` as FORMAT.md JSON, atomically."""
    write_json(path, instance_to_dict(inst))


# -- solutions ------------------------------------------------------------------------------


def solution_from_dict(data: Any, inst: Instance | None = None) -> Solution:
    """Routes from FORMAT.md solution JSON (only ``routes`` is read; the rest is derived).

    Every field must be one the format knows (`vrp.formats.schema`), with a value of its type.
    """
    schema_error = _checked_top(data, SOLUTION_FORMAT, "solution")
    routes = data.get("routes")
    if not isinstance(routes, list):
        raise InputError("missing required list", field="routes")
    out = []
    for i, r in enumerate(routes):
        where = f"routes[{i}]"
        if not isinstance(r, dict):
            raise InputError("must be a JSON object", field=where)
        depot = r.get("depot", 0)
        if not isinstance(depot, int) or isinstance(depot, bool):
            raise InputError(
                f"must be a node index, got {json.dumps(depot)}", field=f"{where}.depot"
            )
        cust = r.get("customers")
        if not isinstance(cust, list) or not all(
            isinstance(c, int) and not isinstance(c, bool) for c in cust
        ):
            raise InputError("must be a list of node indices", field=f"{where}.customers")
        vehicle = r.get("vehicle")
        if vehicle is not None and not isinstance(vehicle, str):
            raise InputError(
                f"must be a vehicle type id, got {json.dumps(vehicle)}", field=f"{where}.vehicle"
            )
        out.append(Route(depot, cust, vehicle))
    if schema_error is not None:
        raise schema_error
    return Solution(out)


def read_solution(path: str | os.PathLike[str]) -> Solution:
    """Read the routes of a FORMAT.md solution file."""
    p = Path(path)
    data = _load_json(p)
    try:
        return solution_from_dict(data)
    except InputError as e:
        raise e.with_path(str(p)) from None


def solution_to_dict(
    inst: Instance,
    sol: Solution,
    *,
    solver: str = "",
    runtime_s: float | None = None,
    evaluation: Evaluation | None = None,
    solver_version: str | None = None,
    vrp_version: str | None = None,
    seed: int | None = None,
    time_limit: float | None = None,
    checkpoint: dict[str, str] | None = None,
    interrupted: bool | None = None,
) -> dict[str, Any]:
    """The FORMAT.md JSON of a solution; cost and feasibility are recomputed by `evaluate`.

    The instance's ``variant`` is always written. The answer of a solver run (``interrupted``
    given) also says how it was made: ``solver_version`` (its packages, ``"pyvrp 0.14.1"``),
    ``vrp_version``, ``seed``, ``time_limit``, ``checkpoint`` (a neural model's
    ``{"name", "digest"}``, null otherwise) and ``interrupted``; an unknown value is null.
    """
    ev = evaluation if evaluation is not None else evaluate(inst, sol)
    out: dict[str, Any] = {
        "format": SOLUTION_FORMAT,
        "instance": inst.name,
        "variant": inst.variant.name,
        "solver": solver,
    }
    if interrupted is not None:
        out.update(
            solver_version=solver_version,
            vrp_version=vrp_version,
            seed=seed,
            time_limit=time_limit,
            checkpoint=checkpoint,
            interrupted=interrupted,
        )
    out.update(
        # 12 significant digits: exact enough for `vrp check` (relative 1e-6) at any scale
        cost=float(f"{ev.cost:.12g}"),
        feasible=ev.feasible,
        runtime_s=None if runtime_s is None else round(runtime_s, 3),
        routes=[_route_out(r) for r in sol.routes],
    )
    if not ev.feasible:
        out["violations"] = [
            {"rule": v.rule, "route": v.route, "node": v.node, "message": v.message}
            for v in ev.violations
        ]
    return out


def _route_out(r: Route) -> dict[str, Any]:
    out: dict[str, Any] = {"depot": r.depot, "customers": list(r.customers)}
    if r.vehicle is not None:
        out["vehicle"] = r.vehicle
    return out


def write_solution(
    inst: Instance,
    sol: Solution,
    path: str | os.PathLike[str],
    **kwargs: Any,
) -> None:
    """Write a FORMAT.md solution file, atomically."""
    write_json(path, solution_to_dict(inst, sol, **kwargs))
