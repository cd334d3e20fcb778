"""Road distance and duration matrices from an OSRM server.

`OsrmClient.table` asks OSRM's table service itself (plain HTTP GET through requests, the
answer in OSRM's flatbuffers format, `vrp.roads.fbresult`); route geometries for maps go
through osrm-py (0.5). What a matrix needs beside the requests:

- **blocks**: a table of N points is asked block by block, at most ``table_size`` sources
  against ``table_size`` destinations (the server's ``--max-table-size``); a block off the
  diagonal carries its rows' and its columns' points, so a request names up to
  ``2 * table_size`` points. A server that answers ``TooBig``, or that closes the
  connection without an answer while it still answers small requests (a request line over
  its ``--max-header-size``), gets smaller blocks. ``parallel`` blocks are in flight at once,
  and the matrices are filled block by block, so memory holds the two N x N float64
  matrices and a few blocks' answers, never the whole answer;
- **flatbuffers** (`vrp.roads.fbresult`): about 4x faster than JSON end to end on a
  1000 x 1000 table (docs/osrm.md). Its one loss: a pair without a route is 0 rather than
  null. A 0/0 pair of points more than `NEAR_M` apart cannot be a real route, so it is NaN;
  the few 0/0 pairs of points closer than that are asked again in JSON, which tells a
  route of length 0 from none. A server that refuses flatbuffers is asked in JSON;
- **retries**: connection failures and 5xx answers are retried with backoff;
- **OSRM's round-off**: a value of at most `NEGATIVE_SLACK` below 0 (OSRM's answer for two
  points under a metre apart on one edge) is written as 0; any larger negative is an error;
- **a disk cache** (``.cache/osrm/`` or ``$VRP_CACHE_DIR/osrm/``), keyed by the coordinates
  (rounded to 1e-6 degrees, OSRM's precision) and the region, written atomically.

A pair with no road route comes back as NaN, never as a number; `Table.unreachable` lists
such pairs by point. Road positions (`Table.snapped`) are OSRM's float32 ones, rounded to
1e-6 degrees (within about 0.4 m of the JSON answer's).
"""

from __future__ import annotations

import hashlib
import json
import struct
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from vrp.errors import InputError, SolverError
from vrp.formats.io import atomic_write
from vrp.places import cache_home
from vrp.roads.fbresult import CONTENT_TYPE, FbError, read_table
from vrpspec.distances import great_circle

CACHE_VERSION = 2
OSRM_DEFAULT_TABLE_SIZE = 100  # osrm-routed's own default --max-table-size
NEGATIVE_SLACK = 5.0  # metres or seconds of OSRM's edge-offset round-off set to 0 (see below)
MAX_VIAROUTE = 400  # waypoints per route request, under osrm-routed's default of 500
NEAR_M = 5.0  # points closer than this may truly be 0 m apart by road (see the docstring)
SMALLEST_DROPPED = 16  # a server that drops requests of this many points is broken, not full
OUTPUTS = ("flatbuffers", "json")
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def header_bytes(points: int) -> int:
    """The longest request line (bytes) of a table request naming ``points`` points, as
    `OsrmClient` writes it: at most 22 + 1 characters a coordinate, 6 an index, some options."""
    return 32 * points + 4096


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


def _osrm() -> Any:
    """osrm-py's module (for route requests), imported on first use."""
    import osrm

    return osrm


@dataclass(frozen=True)
class _Block:
    """One table answer: ``[rows, cols]`` matrices, the sources' road positions, and whether
    it came as flatbuffers (where 0/0 may mean "no route")."""

    distances: np.ndarray
    durations: np.ndarray
    snapped: np.ndarray
    snap_m: np.ndarray
    flat: bool


class OsrmClient:
    """Tables and route geometries from one OSRM server.

    Args:
        url: the server, e.g. ``http://127.0.0.1:5000``.
        table_size: the most locations per side of one table request (the server's
            ``--max-table-size``; osrm-routed's default is 100).
        cache_key: names the road data (a region) for the disk cache; None: no cache.
        retries: attempts for a request that fails in transit or with a 5xx answer.
        timeout: seconds per HTTP request.
        parallel: table blocks asked at once.
        output: ``"flatbuffers"`` (falls back to JSON on a server that refuses it) or
            ``"json"``.
    """

    def __init__(
        self,
        url: str,
        *,
        table_size: int = OSRM_DEFAULT_TABLE_SIZE,
        cache_key: str | None = None,
        retries: int = 3,
        timeout: float = 120.0,
        parallel: int = 2,
        output: str = "flatbuffers",
    ):
        if table_size < 1:
            raise InputError(f"must be at least 1, got {table_size}", field="table_size")
        if output not in OUTPUTS:
            raise InputError(f"must be one of {', '.join(OUTPUTS)}, got {output!r}", field="output")
        self.url = url.rstrip("/")
        self.table_size = int(table_size)
        self.cache_key = cache_key
        self.retries = max(1, int(retries))
        self.timeout = timeout
        self.parallel = max(1, int(parallel))
        self.output = output
        self.requests_sent = 0  # HTTP requests that reached the network layer
        self._lock = threading.Lock()
        self._local = threading.local()  # a requests.Session per thread
        self._route_client: Any = None

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
            except _TooBig as e:
                if e.dropped and size <= SMALLEST_DROPPED:
                    raise SolverError(
                        f"the OSRM server at {self.url} closed the connection without an "
                        f"answer to a table request of {e.dropped}, after smaller and smaller "
                        "ones (see its log)"
                    ) from None
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
        zeros: list[tuple[np.ndarray, np.ndarray]] = []  # 0/0 pairs of flatbuffers answers
        starts = range(0, n, size)
        blocks = [(i, i) for i in starts] + [(i, j) for i in starts for j in starts if i != j]

        def take(block: tuple[int, int], ans: _Block) -> None:
            (i0, j0), (rows, cols) = block, ans.distances.shape
            dist[i0 : i0 + rows, j0 : j0 + cols] = ans.distances
            dur[i0 : i0 + rows, j0 : j0 + cols] = ans.durations
            if i0 == j0:
                snapped[i0 : i0 + rows], snap_m[i0 : i0 + rows] = ans.snapped, ans.snap_m
            if ans.flat:
                zi, zj = np.nonzero((ans.distances == 0) & (ans.durations == 0))
                zi, zj = zi + i0, zj + j0
                zeros.append((zi[zi != zj], zj[zi != zj]))

        def ask(block: tuple[int, int]) -> _Block:
            i0, j0 = block
            rows, cols = np.arange(i0, min(i0 + size, n)), np.arange(j0, min(j0 + size, n))
            return self._block(coords, rows, cols)

        self._each(blocks, ask, take)
        if zeros:
            self._no_route_or_zero(coords, dist, dur, snapped, zeros, size)
        for m in (dist, dur):
            # OSRM gives -0.x between points under a metre apart on one road edge (its
            # offsets along the edge cancel unevenly): that is 0, not a way to gain distance.
            neg = m < 0
            if np.any(m[neg] < -NEGATIVE_SLACK):
                raise SolverError(f"OSRM at {self.url} answered a negative value {m[neg].min()}")
            m[neg] = 0.0
        return Table(dist, dur, snapped, snap_m)

    def _each(
        self,
        blocks: Sequence[Any],
        ask: Callable[[Any], _Block],
        take: Callable[[Any, _Block], None],
    ) -> None:
        """``take(block, ask(block))`` for every block, ``parallel`` asks at a time; at most
        twice that many answers wait in memory. The first error stops the rest."""
        if self.parallel == 1 or len(blocks) == 1:
            for block in blocks:
                take(block, ask(block))
            return
        pending = iter(blocks)
        pool = ThreadPoolExecutor(self.parallel)
        running: dict[Future[_Block], Any] = {}
        try:
            for block in pending:
                running[pool.submit(ask, block)] = block
                if len(running) == 2 * self.parallel:
                    break
            while running:
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in done:
                    take(running.pop(fut), fut.result())
                    nxt = next(pending, None)
                    if nxt is not None:
                        running[pool.submit(ask, nxt)] = nxt
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _no_route_or_zero(
        self,
        coords: np.ndarray,
        dist: np.ndarray,
        dur: np.ndarray,
        snapped: np.ndarray,
        zeros: list[tuple[np.ndarray, np.ndarray]],
        size: int,
    ) -> None:
        """Flatbuffers write 0 for "no route": a 0/0 pair of points more than `NEAR_M`
        apart has none (NaN); nearer pairs are asked again in JSON, which says null."""
        zi = np.concatenate([z[0] for z in zeros])
        zj = np.concatenate([z[1] for z in zeros])
        near = great_circle(snapped[zi], snapped[zj]) <= NEAR_M
        dist[zi[~near], zj[~near]] = np.nan
        dur[zi[~near], zj[~near]] = np.nan
        zi, zj = zi[near], zj[near]
        for k in range(0, len(zi), size):  # rarely more than a handful
            ci, cj = zi[k : k + size], zj[k : k + size]
            rows, cols = np.unique(ci), np.unique(cj)
            ans = self._block(coords, rows, cols, output="json")
            r, c = np.searchsorted(rows, ci), np.searchsorted(cols, cj)
            dist[ci, cj], dur[ci, cj] = ans.distances[r, c], ans.durations[r, c]

    def _block(
        self, coords: np.ndarray, rows: np.ndarray, cols: np.ndarray, output: str | None = None
    ) -> _Block:
        """The table from ``coords[rows]`` to ``coords[cols]`` in one request."""
        if np.array_equal(rows, cols) and len(rows) > 1:
            pts, src, dst = coords[rows], None, None
        else:  # OSRM wants two coordinates at least: a lone point goes in twice
            pts = np.concatenate([coords[rows], coords[cols]])
            src, dst = range(len(rows)), range(len(rows), len(rows) + len(cols))
        output = output or self.output
        try:
            return self._ask(pts, src, dst, len(rows), len(cols), output)
        except _Refused as e:
            if output != "flatbuffers":
                raise InputError(f"OSRM at {self.url} refused the request: {e}") from None
            self.output = "json"  # a server without flatbuffers (OSRM before 5.23)
            return self._block(coords, rows, cols, "json")

    def _ask(
        self,
        pts: np.ndarray,
        src: range | None,
        dst: range | None,
        rows: int,
        cols: int,
        output: str,
    ) -> _Block:
        url = self._table_url(pts, src, dst, output)
        content_type, body = self._get(url, len(pts))
        if CONTENT_TYPE in content_type:
            try:
                t = read_table(body, rows, cols)
            except FbError as e:
                raise self._answer_error(e.code, e.message) from None
            except (ValueError, struct.error) as e:
                raise SolverError(f"OSRM at {self.url} answered an unreadable table: {e}") from None
            return _Block(t.distances, t.durations, t.snapped, t.snap_m, flat=True)
        try:
            ans = json.loads(body)
        except ValueError:
            raise SolverError(
                f"OSRM at {self.url} answered something else than JSON: {body[:80]!r}"
            ) from None
        if ans.get("code") != "Ok":
            raise self._answer_error(ans.get("code", "?"), ans.get("message", ""))
        wps = ans.get("sources") or []
        if len(wps) != rows:
            raise SolverError(f"OSRM at {self.url} answered a table without its {rows} sources")
        return _Block(
            _array(ans, "distances", rows, cols),
            _array(ans, "durations", rows, cols),
            np.array([wp["location"] for wp in wps], dtype=float).reshape(rows, 2),
            np.array([wp["distance"] for wp in wps], dtype=float),
            flat=False,
        )

    def _table_url(self, pts: np.ndarray, src: range | None, dst: range | None, output: str) -> str:
        """The GET URL of a table request; `header_bytes` bounds its length."""
        where = ";".join(f"{_num(lon)},{_num(lat)}" for lon, lat in pts.tolist())
        suffix = ".flatbuffers" if output == "flatbuffers" else ""
        query = "annotations=duration,distance&generate_hints=false"
        if src is not None and dst is not None:
            query += "&sources=" + ";".join(map(str, src))
            query += "&destinations=" + ";".join(map(str, dst))
        return f"{self.url}/table/v1/driving/{where}{suffix}?{query}"

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
        osrm = _osrm()
        coords = np.round(np.asarray(coordinates, dtype=float).reshape(-1, 2), 6).tolist()
        line: list[list[float]] = []
        step = MAX_VIAROUTE - 1
        for k in range(0, max(len(coords) - 1, 1), step):
            part = coords[k : k + step + 1]
            if len(part) < 2:
                break
            req = osrm.RouteRequest(
                coordinates=part,
                overview=osrm.overview.full,
                geometries=osrm.geometries.geojson,
            )
            ans = self._send(req)
            line += ans["routes"][0]["geometry"]["coordinates"]
        return line

    # -- transport ----------------------------------------------------------------------

    def _session(self) -> Any:
        session = getattr(self._local, "session", None)
        if session is None:
            import requests

            session = self._local.session = requests.Session()
            if urlsplit(self.url).hostname in LOOPBACK_NAMES:
                # osrm-routed compresses for a client that takes gzip: on loopback that
                # costs more time than it saves (an 8 MB answer per 1000 x 1000 block).
                session.headers["Accept-Encoding"] = "identity"
        return session

    def _count(self) -> None:
        with self._lock:
            self.requests_sent += 1

    def _get(self, url: str, points: int) -> tuple[str, bytes]:
        """GET ``url`` (a table request naming ``points`` points): its content type and body.

        A connection closed without an answer by a server that still answers is a request
        too big for it (`_TooBig`); one that does not answer is "cannot reach".
        """
        import requests

        dropped = 0
        for attempt in range(self.retries):
            last = attempt == self.retries - 1
            try:
                self._count()
                r = self._session().get(url, timeout=self.timeout)
            except requests.ConnectTimeout:
                if last:
                    raise self._unreachable("ConnectTimeout") from None
            except requests.Timeout:
                raise SolverError(
                    f"the OSRM server at {self.url} did not answer a table request of {points} "
                    f"points within {self.timeout:g} s"
                ) from None
            except requests.ConnectionError as e:
                if self._answers():  # it is up, yet closed on us: once may be a stale
                    dropped += 1  # keep-alive connection, twice is this request's doing
                    if dropped == 2 or last:
                        raise _TooBig(f"{points} points ({len(url):,}-byte URL)") from None
                    continue
                if last:
                    raise self._unreachable(type(e).__name__) from None
            else:
                if r.status_code < 500:
                    ctype = r.headers.get("Content-Type", "")
                    if r.status_code >= 400 and CONTENT_TYPE not in ctype:
                        try:
                            body = r.json()
                        except ValueError:
                            body = None
                        if not isinstance(body, dict):  # not OSRM's error object
                            body = {"code": str(r.status_code), "message": r.text[:200]}
                        raise self._answer_error(body.get("code", "?"), body.get("message", ""))
                    return ctype, r.content
                if last:
                    raise SolverError(f"OSRM server at {self.url} failed: {r.text[:200]}")
            time.sleep(0.2 * 2**attempt)
        raise self._unreachable("ConnectionError")

    def _answers(self) -> bool:
        """Whether the server accepts a connection now (after one was closed on us)."""
        import socket

        parts = urlsplit(self.url)
        try:
            with socket.create_connection((parts.hostname, parts.port or 80), timeout=2.0):
                return True
        except OSError:
            return False

    def _unreachable(self, why: str) -> InputError:
        return InputError(
            f"cannot reach the OSRM server at {self.url} ({why}): is it running? "
            "(vrp osrm serve, or leave out --osrm)",
            field="--osrm",
        )

    def _answer_error(self, code: str, message: str) -> Exception:
        if code == "TooBig":
            return _TooBig()
        if code == "NoSegment":
            return InputError(f"a point is not near any road of the server's region: {message}")
        return _Refused(f"{code}: {message}")

    def _send(self, request: Any) -> dict[str, Any]:
        """An osrm-py request (route), with the retries and errors of `_get`."""
        import requests

        osrm = _osrm()
        if self._route_client is None:
            self._route_client = osrm.Client(host=self.url, timeout=self.timeout, max_retries=1)
        for attempt in range(self.retries):
            last = attempt == self.retries - 1
            try:
                self._count()
                ans = self._route_client._request(request)
            except (requests.ConnectionError, requests.Timeout) as e:
                if last:
                    raise self._unreachable(type(e).__name__) from None
            except osrm.OSRMClientException as e:
                body = e.args[0] if e.args and isinstance(e.args[0], dict) else {}
                err = self._answer_error(body.get("code", "?"), body.get("message", str(e)))
                if isinstance(err, _Refused):
                    raise InputError(f"OSRM at {self.url} refused the request: {err}") from None
                raise err from None
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
    """The blocks are too big for the server: it said ``TooBig``, or it closed the connection
    on a request it could not take in (``dropped`` says which)."""

    def __init__(self, dropped: str = ""):
        super().__init__(dropped)
        self.dropped = dropped


class _Refused(Exception):
    """A 4xx answer other than ``TooBig`` and ``NoSegment``: ``code: message``."""


def _num(x: float) -> str:
    """A coordinate with at most 6 decimals and no trailing zeros (shorter URLs)."""
    return f"{x:.6f}".rstrip("0").rstrip(".")


def _array(ans: dict[str, Any], key: str, rows: int, cols: int) -> np.ndarray:
    if key not in ans:
        raise SolverError(f"OSRM answered a table without {key!r}")
    return np.array(ans[key], dtype=float).reshape(rows, cols)  # null (no route) -> NaN
