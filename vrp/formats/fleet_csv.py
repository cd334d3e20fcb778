"""A fleet from CSV: the vehicles file of ``vrp instance from-csv --fleet FILE``.

One row per vehicle type (FORMAT.md ``fleet[]``); a stops CSV names the types allowed to serve
a stop in a ``vehicle_types`` cell, ids joined by ``|`` (``van|bike``; empty: every type).

| column | meaning | empty or absent |
|---|---|---|
| ``id`` (``type``) | the type's name, unique | required |
| ``capacity`` | its load limit Q | required |
| ``count`` | most routes of the type | as many as needed |
| ``depot`` | id of the depot its routes start from and return to | any depot |
| ``shift_start``, ``shift_end`` | its shift, seconds; both or neither | no limit |
| ``max_distance`` | most metres one route may travel | no limit |
| ``fixed_cost`` | cost per route used | 0 |
| ``distance_cost`` | cost per metre | 1 |
| ``duration_factor`` | its travel time = OSRM's duration x this | 1 |

Errors are one line naming the file, the CSV line and the column:
``vehicles.csv: line 3, column capacity: must be a positive number, got -2``.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from vrp.errors import InputError
from vrp.model.fleet import VehicleType, check_vehicle_type

COLUMNS = {
    "id": ("id", "type"),
    "capacity": ("capacity",),
    "count": ("count",),
    "depot": ("depot",),
    "shift_start": ("shift_start",),
    "shift_end": ("shift_end",),
    "max_distance": ("max_distance",),
    "fixed_cost": ("fixed_cost",),
    "distance_cost": ("distance_cost",),
    "duration_factor": ("duration_factor",),
}
TYPE_SEPARATOR = "|"


@dataclass(frozen=True)
class FleetCsv:
    """The vehicle types of a vehicles CSV, each with the CSV line it came from."""

    path: Path
    types: tuple[VehicleType, ...]
    lines: tuple[int, ...]


def read_csv(path: Path, needed: str) -> tuple[list[str], Iterator[list[str]]]:
    """The header of the CSV file ``path`` and a reader of its other lines; an unreadable or
    empty file is an `InputError` naming it (``needed``: the columns the header must name)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError("no such file", path=str(path)) from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read file ({type(e).__name__})", path=str(path)) from None
    reader = csv.reader(text.splitlines())
    header = next(reader, None)
    if not header:
        raise InputError(f"empty file: expected a header line with {needed}", path=str(path))
    return header, reader


def read_fleet_csv(path: str | Path) -> FleetCsv:
    """The vehicle types of the vehicles CSV at ``path``, each checked (`check_vehicle_type`).

    Raises:
        InputError: naming the file, the line and the column at fault.
    """
    p = Path(path)
    header, reader = read_csv(p, "id and capacity")
    where: dict[str, int] = {}
    for i, h in enumerate(header):
        key = next((k for k, names in COLUMNS.items() if h.strip().lower() in names), None)
        if key is None:
            raise InputError(
                f"unknown column {h.strip()!r}; the columns are " + ", ".join(COLUMNS),
                path=str(p),
                field="header",
            )
        if key in where:
            raise InputError(f"two columns mean {key!r}", path=str(p), field="header")
        where[key] = i
    for key in ("id", "capacity"):
        if key not in where:
            raise InputError(f"no {key!r} column (header: {header})", path=str(p))

    types: list[VehicleType] = []
    lines: list[int] = []
    for line, row in enumerate(reader, start=2):
        if not any(c.strip() for c in row):
            continue
        cells = {k: (row[i].strip() if i < len(row) else "") for k, i in where.items()}
        types.append(_vehicle_type(cells, p, line, len(types)))
        lines.append(line)
    if not types:
        raise InputError("no vehicle type: expected one row per type", path=str(p))
    seen: dict[str, int] = {}
    for t, line in zip(types, lines, strict=True):
        if t.id in seen:
            raise InputError(f"type id {t.id!r} is used twice (also line {seen[t.id]})",
                             path=str(p), field=f"line {line}, column id")  # fmt: skip
        seen[t.id] = line
    return FleetCsv(p, tuple(types), tuple(lines))


def _vehicle_type(cells: dict[str, str], path: Path, line: int, index: int) -> VehicleType:
    def fail(column: str, message: str) -> InputError:
        return InputError(message, path=str(path), field=f"line {line}, column {column}")

    def number(key: str) -> float | None:
        cell = cells.get(key, "")
        if not cell:
            return None
        try:
            value = float(cell)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            raise fail(key, f"must be a number, got {cell!r}")
        return value

    if not cells["id"]:
        raise fail("id", "missing: every type needs an id")
    if TYPE_SEPARATOR in cells["id"]:
        raise fail("id", f"must not contain {TYPE_SEPARATOR!r}, got {cells['id']!r}")
    capacity = number("capacity")
    if capacity is None:
        raise fail("capacity", "missing: every type needs a capacity")
    count: int | None = None
    if cells.get("count"):
        try:
            count = int(cells["count"])
        except ValueError:
            raise fail("count", f"must be a positive integer, got {cells['count']!r}") from None
    start, end = number("shift_start"), number("shift_end")
    if (start is None) != (end is None):
        raise fail("shift_start, shift_end", "give both, or neither")
    defaults = {"fixed_cost": 0.0, "distance_cost": 1.0, "duration_factor": 1.0}
    costs = {k: (v if (v := number(k)) is not None else d) for k, d in defaults.items()}
    t = VehicleType(
        id=cells["id"],
        capacity=capacity,
        count=count,
        depot=cells.get("depot") or None,
        shift=None if start is None or end is None else (start, end),
        max_distance=number("max_distance"),
        **costs,
    )
    try:
        check_vehicle_type(t, "type")
    except InputError as e:
        name = (e.field or "").split(".", 1)[-1]
        column = "shift_start, shift_end" if name == "shift" else name
        raise fail(column, e.detail) from None
    return t


def parse_type_list(cell: str, path: Path, line: int, column: str) -> tuple[str, ...] | None:
    """A stops CSV's ``vehicle_types`` cell: type ids joined by ``|``; None when empty."""
    if not cell.strip():
        return None
    ids = tuple(x.strip() for x in cell.split(TYPE_SEPARATOR))
    if not all(ids):
        raise InputError(f"an empty type id in {cell!r}; join ids with {TYPE_SEPARATOR!r}",
                         path=str(path), field=f"line {line}, column {column}")  # fmt: skip
    return ids


def check_fleet_references(
    fleet: FleetCsv | None,
    stops: Path,
    depot_ids: Sequence[str],
    kinds: Sequence[tuple[str, ...] | None],
    lines: Sequence[int],
    column: str = "vehicle_types",
) -> None:
    """Check that each type's depot is a depot of the stops CSV, and that each stop names
    known types (``kinds[k]`` at CSV line ``lines[k]``, depots first); before any request.

    Raises:
        InputError: naming the file, line and column (the vehicles CSV for a depot, the
            stops CSV for a type).
    """
    D = len(depot_ids)
    for k, kind in enumerate(kinds):
        if kind is None:
            continue
        at = f"line {lines[k]}, column {column}"
        if fleet is None:
            raise InputError("names vehicle types, but no vehicles CSV was given "
                             "(--fleet FILE)", path=str(stops), field=at)  # fmt: skip
        if k < D:
            raise InputError("is for customers only, not depots", path=str(stops), field=at)
        known = [t.id for t in fleet.types]
        unknown = [x for x in kind if x not in known]
        if unknown:
            raise InputError(
                f"unknown vehicle type {unknown[0]!r}; {fleet.path.name} has " + ", ".join(known),
                path=str(stops),
                field=at,
            )
    if fleet is None:
        return
    for t, line in zip(fleet.types, fleet.lines, strict=True):
        if t.depot is not None and t.depot not in depot_ids:
            raise InputError(
                f"unknown depot {t.depot!r}; the depots of {stops.name} are "
                + ", ".join(depot_ids),
                path=str(fleet.path),
                field=f"line {line}, column depot",
            )
