"""Road distance and duration matrices from an OSRM server, through osrm-py.

osrm-py (0.5) knows the route, nearest and match services; `TableRequest` adds the table
service to its request classes, and `OsrmClient` wraps its synchronous (requests) client with
what a matrix needs:

- **chunking**: a table of N points larger than the server's limit (``table_size``) is asked
  block by block, ``table_size`` sources against ``table_size`` destinations; a server that
  answers ``TooBig`` makes the blocks smaller;
- **retries**: connection failures and 5xx answers are retried with backoff;
- **OSRM's round-off**: a value of at most `NEGATIVE_SLACK` below 0 (OSRM's answer for two
  points under a metre apart on one edge) is written as 0; any larger negative is an error;
- **a disk cache** (``.cache/osrm/`` or ``$VRP_CACHE_DIR/osrm/``), keyed by the coordinates
  (rounded to 1e-6 degrees, OSRM's precision) and the region, written atomically.

A pair with no road route comes back as NaN (OSRM's ``null``), never as a number;
`Table.unreachable` lists such pairs by point.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from vrp.errors import InputError, SolverError
from vrp.formats.io import atomic_write
from vrp.places import cache_home

CACHE_VERSION = 2
OSRM_DEFAULT_TABLE_SIZE = 100  # osrm-routed's own default --max-table-size
NEGATIVE_SLACK = 5.0  # metres or seconds of OSRM's edge-offset round-off set to 0 (see below)
MAX_VIAROUTE = 400  # waypoints per route request, under osrm-routed's default of 500


def cache_dir() -> Path:
    return cache_home() / "osrm"


@dataclass(frozen=True)
class Table:
    """An OSRM table over N points.

    Attributes:
        distances: ``[N, N]`` metres, NaN where there is no route.
        durations: ``[N, N]`` seconds, NaN where there is no route.
        snapped: ``[N, 2]`` the road point (lon, lat) each coordinate was snapped to.
        snap_m: ``[N]`` metres from each coordinate to its road point.
    """

    distances: np.ndarray
    durations: np.ndarray
    snapped: np.ndarray
    snap_m: np.ndarray

    def unreachable(self) -> dict[int, tuple[int, int]]:
        """Points in a pair without a route: ``{i: (cannot reach, cannot be reached from)}``."""
        bad = np.isnan(self.distances) | np.isnan(self.durations)
        out_, in_ = bad.sum(axis=1), bad.sum(axis=0)
        return {int(i): (int(out_[i]), int(in_[i])) for i in np.flatnonzero(out_ + in_)}

    def subset(self, idx: np.ndarray | list[int]) -> Table:
        ix = np.asarray(idx, dtype=int)
        return Table(
            self.distances[np.ix_(ix, ix)],
            self.durations[np.ix_(ix, ix)],
            self.snapped[ix],
            self.snap_m[ix],
        )


def _requests() -> tuple[Any, Any]:
    """osrm-py's module and a request class for the table service (built on first use)."""
    import osrm

    class TableRequest(osrm.BaseRequest):  # type: ignore[misc]
        """The OSRM ``table`` service: durations and distances between sources and targets."""

        service = "table"

        def __init__(self, sources=(), destinations=(), annotations=("duration", "distance"), **kw):
            super().__init__(**kw)
            self.sources = [int(i) for i in sources]
            self.destinations = [int(i) for i in destinations]
            self.annotations = tuple(annotations)

        def get_options(self) -> dict[str, str]:
            options = super().get_options()
            # BaseRequest._encode_array would turn index 0 into "", so join here.
            options["sources"] = ";".join(map(str, self.sources))
            options["destinations"] = ";".join(map(str, self.destinations))
            options["annotations"] = ",".join(self.annotations)
            return options

    return osrm, TableRequest


class OsrmClient:
    """Tables and route geometries from one OSRM server.

    Args:
        url: the server, e.g. ``http://127.0.0.1:5000``.
        table_size: the most locations per side of one table request (the server's
            ``--max-table-size``; osrm-routed's default is 100).
        cache_key: names the road data (a region) for the disk cache; None: no cache.
        retries: attempts for a request that fails in transit or with a 5xx answer.
        timeout: seconds per HTTP request.
    """

    def __init__(
        self,
        url: str,
        *,
        table_size: int = OSRM_DEFAULT_TABLE_SIZE,
        cache_key: str | None = None,
        retries: int = 3,
        timeout: float = 120.0,
    ):
        if table_size < 1:
            raise InputError(f"must be at least 1, got {table_size}", field="table_size")
        self.url = url.rstrip("/")
        self.table_size = int(table_size)
        self.cache_key = cache_key
        self.retries = max(1, int(retries))
        self.timeout = timeout
        self.requests_sent = 0  # HTTP requests that reached the network layer
        osrm, self._table_request = _requests()
        self._osrm = osrm
        self._client = osrm.Client(host=self.url, timeout=timeout, max_retries=1)

    # -- table --------------------------------------------------------------------------

    def table(self, coordinates: Any) -> Table:
        """Distances and durations between all ``coordinates`` ``[N, 2]`` (lon, lat)."""
        coords = np.round(np.asarray(coordinates, dtype=float).reshape(-1, 2), 6)
        if not len(coords):
            raise InputError("no points to build a matrix of")
        path = self._cache_path(coords)
        if path is not None and path.exists():
            try:
                with np.load(path) as z:
                    return Table(z["distances"], z["durations"], z["snapped"], z["snap_m"])
            except (OSError, ValueError, KeyError):
                pass  # a damaged cache file is rebuilt below
        size = self.table_size
        while True:
            try:
                table = self._table_blocks(coords, size)
                break
            except _TooBig:
                if size <= 1:
                    raise SolverError(f"{self.url} refuses even a 1x1 table") from None
                size = max(1, size // 2)
        self.table_size = size
        if path is not None:
            with atomic_write(path, "wb") as fh:
                np.savez(fh, **table.__dict__)
        return table

    def _table_blocks(self, coords: np.ndarray, size: int) -> Table:
        n = len(coords)
        dist, dur = np.full((n, n), np.nan), np.full((n, n), np.nan)
        snapped, snap_m = np.zeros((n, 2)), np.zeros(n)
        starts = range(0, n, size)
        for i0 in starts:
            rows = np.arange(i0, min(i0 + size, n))
            for j0 in starts:
                cols = np.arange(j0, min(j0 + size, n))
                if i0 == j0 and len(rows) > 1:
                    pts, src, dst = coords[rows], (), ()
                else:  # OSRM wants two coordinates at least: a lone point goes in twice
                    pts = np.concatenate([coords[rows], coords[cols]])
                    src, dst = range(len(rows)), range(len(rows), len(rows) + len(cols))
                req = self._table_request(coordinates=pts.tolist(), sources=src, destinations=dst)
                ans = self._send(req)
                dist[np.ix_(rows, cols)] = _array(ans, "distances", len(rows), len(cols))
                dur[np.ix_(rows, cols)] = _array(ans, "durations", len(rows), len(cols))
                if i0 == j0:
                    for k, wp in zip(rows, ans["sources"], strict=True):
                        snapped[k], snap_m[k] = wp["location"], wp["distance"]
        for m in (dist, dur):
            # OSRM gives -0.x between points under a metre apart on one road edge (its
            # offsets along the edge cancel unevenly): that is 0, not a way to gain distance.
            neg = m < 0
            if np.any(m[neg] < -NEGATIVE_SLACK):
                raise SolverError(f"OSRM at {self.url} answered a negative value {m[neg].min()}")
            m[neg] = 0.0
        return Table(dist, dur, snapped, snap_m)

    def _cache_path(self, coords: np.ndarray) -> Path | None:
        if self.cache_key is None:
            return None
        blob = json.dumps(
            {"v": CACHE_VERSION, "key": self.cache_key, "coords": coords.tolist()}
        ).encode()
        return cache_dir() / f"{hashlib.sha256(blob).hexdigest()}.npz"

    # -- route --------------------------------------------------------------------------

    def route_geometry(self, coordinates: Any) -> list[list[float]]:
        """The road path ``[[lon, lat], ...]`` through ``coordinates`` in order (full detail)."""
        coords = np.round(np.asarray(coordinates, dtype=float).reshape(-1, 2), 6).tolist()
        line: list[list[float]] = []
        step = MAX_VIAROUTE - 1
        for k in range(0, max(len(coords) - 1, 1), step):
            part = coords[k : k + step + 1]
            if len(part) < 2:
                break
            req = self._osrm.RouteRequest(
                coordinates=part,
                overview=self._osrm.overview.full,
                geometries=self._osrm.geometries.geojson,
            )
            ans = self._send(req)
            line += ans["routes"][0]["geometry"]["coordinates"]
        return line

    # -- transport ----------------------------------------------------------------------

    def _send(self, request: Any) -> dict[str, Any]:
        import requests

        osrm = self._osrm
        for attempt in range(self.retries):
            last = attempt == self.retries - 1
            try:
                self.requests_sent += 1
                ans = self._client._request(request)
            except (requests.ConnectionError, requests.Timeout) as e:
                if last:
                    raise InputError(
                        f"cannot reach the OSRM server at {self.url} ({type(e).__name__}):"
                        " is it running? (vrp osrm serve, or leave out --osrm)",
                        field="--osrm",
                    ) from None
            except osrm.OSRMClientException as e:
                body = e.args[0] if e.args and isinstance(e.args[0], dict) else {}
                code, message = body.get("code", "?"), body.get("message", str(e))
                if code == "TooBig":
                    raise _TooBig() from None
                if code == "NoSegment":
                    raise InputError(
                        f"a point is not near any road of the server's region: {message}"
                    ) from None
                raise InputError(
                    f"OSRM at {self.url} refused the request: {code}: {message}"
                ) from None
            except osrm.OSRMServerException as e:
                if last:
                    detail = str(e.args[-1])[:200] if e.args else ""
                    raise SolverError(f"OSRM server at {self.url} failed: {detail}") from None
            else:
                if ans.get("code") != "Ok":
                    raise SolverError(f"OSRM at {self.url} answered {ans.get('code')!r}")
                return ans
            time.sleep(0.2 * 2**attempt)
        raise AssertionError("unreachable")


class _TooBig(Exception):
    """The server's table limit is smaller than the blocks asked for."""


def _array(ans: dict[str, Any], key: str, rows: int, cols: int) -> np.ndarray:
    if key not in ans:
        raise SolverError(f"OSRM answered a table without {key!r}")
    return np.array(ans[key], dtype=float).reshape(rows, cols)  # null (no route) -> NaN
