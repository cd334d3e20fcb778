"""Read osrm-routed's flatbuffers answer to a table request (``.../table/v1/...​.flatbuffers``).

The JSON answer to a 1000 x 1000 table is 13 MB of text that the server takes about 0.3 s to
write and Python about 0.5 s to parse; the flatbuffers answer is 8 MB of little-endian
float32 arrays that numpy reads in place. Only the few fields a matrix needs are read, by the
field numbers of OSRM's schema (``include/engine/api/flatbuffers/*.fbs``, OSRM 5.23 on):

- ``FBResult``: 0 ``error`` (bool), 1 ``code`` (``Error``: 0 ``code``, 1 ``message``),
  3 ``waypoints`` (the sources), 5 ``table``;
- ``TableResult``: 0 ``durations`` [float], 1 ``rows`` (ushort), 2 ``cols`` (ushort),
  3 ``distances`` [float];
- ``Waypoint``: 1 ``distance`` (float, metres to the road), 3 ``location`` (struct of two
  floats, lon and lat).

Two things differ from the JSON answer: a pair without a route is 0 in both matrices (JSON
says null), and road positions are float32 (about 0.4 m at Monaco's longitude and latitude).
Values are otherwise the same once rounded to 0.1 as the JSON writer rounds them.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

CONTENT_TYPE = "application/x-flatbuffers"


@dataclass(frozen=True)
class FbTable:
    """A decoded table answer: ``[rows, cols]`` float64 matrices and the sources' waypoints."""

    distances: np.ndarray
    durations: np.ndarray
    snapped: np.ndarray  # [rows, 2] lon, lat
    snap_m: np.ndarray  # [rows]


class FbError(Exception):
    """An OSRM error answer in flatbuffers: ``code`` (``TooBig``, ``NoSegment``, ...), message."""

    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


def _u32(buf: bytes, pos: int) -> int:
    return int(struct.unpack_from("<I", buf, pos)[0])


def _field(buf: bytes, table: int, index: int) -> int:
    """The position of field ``index`` of the table at ``table``, 0 when it is absent."""
    vtable = table - struct.unpack_from("<i", buf, table)[0]
    size = struct.unpack_from("<H", buf, vtable)[0]
    if 4 + 2 * index >= size:
        return 0
    offset = struct.unpack_from("<H", buf, vtable + 4 + 2 * index)[0]
    return table + offset if offset else 0


def _ref(buf: bytes, pos: int) -> int:
    """Follow the offset stored at ``pos`` (to a table, vector or string)."""
    return pos + _u32(buf, pos)


def _string(buf: bytes, table: int, index: int) -> str:
    pos = _field(buf, table, index)
    if not pos:
        return ""
    at = _ref(buf, pos)
    return buf[at + 4 : at + 4 + _u32(buf, at)].decode("utf-8", "replace")


def _floats(buf: bytes, table: int, index: int) -> np.ndarray | None:
    pos = _field(buf, table, index)
    if not pos:
        return None
    at = _ref(buf, pos)
    return np.frombuffer(buf, dtype="<f4", count=_u32(buf, at), offset=at + 4)


def read_table(buf: bytes, rows: int, cols: int) -> FbTable:
    """Decode a table answer of ``rows`` sources x ``cols`` destinations.

    Raises `FbError` for an error answer and ValueError for one that is not what was asked.
    """
    root = _u32(buf, 0)
    err = _field(buf, root, 0)
    if err and buf[err]:
        pos = _field(buf, root, 1)
        code = _ref(buf, pos) if pos else 0
        raise FbError(_string(buf, code, 0) or "?", _string(buf, code, 1) if code else "")
    tpos = _field(buf, root, 5)
    if not tpos:
        raise ValueError("a flatbuffers answer without a table")
    table = _ref(buf, tpos)
    out = []
    for index in (3, 0):  # distances, durations
        values = _floats(buf, table, index)
        if values is None or values.size != rows * cols:
            raise ValueError(f"a flatbuffers table without {rows}x{cols} values")
        out.append(np.round(values.astype(np.float64), 1).reshape(rows, cols))
    snapped, snap_m = np.zeros((rows, 2)), np.zeros(rows)
    wpos = _field(buf, root, 3)
    if not wpos or _u32(buf, _ref(buf, wpos)) != rows:
        raise ValueError(f"a flatbuffers table without {rows} source waypoints")
    vec = _ref(buf, wpos)
    for k in range(rows):
        wp = _ref(buf, vec + 4 + 4 * k)
        loc, dist = _field(buf, wp, 3), _field(buf, wp, 1)
        snapped[k] = struct.unpack_from("<ff", buf, loc) if loc else (np.nan, np.nan)
        snap_m[k] = struct.unpack_from("<f", buf, dist)[0] if dist else 0.0
    return FbTable(out[0], out[1], np.round(snapped, 6), snap_m)
