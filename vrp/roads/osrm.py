"""A local OSRM: prepare a region from an OpenStreetMap extract, serve it on loopback.

Layout (``VRP_OSRM_HOME``, default ``<repo>/.osrm``, filled by ``scripts/setup-osrm``)::

    bin-pkg/osrm/bin/osrm-{extract,contract,routed}   from the osrm-bindings wheel
    bin-pkg/osrm/share/profiles/car.lua
    regions/<name>/<name>.osrm.*   extract + contract (CH) output
    regions/<name>/roads.npz       drivable road segments, for sampling points along roads
    regions/<name>/region.json     what was prepared from what, and the roads' bounding box
    logs/routed-<name>-<port>.log  each server's output (a file: a full pipe would hang it)

``VRP_OSRM_BIN`` (the folder of the executables) and ``VRP_OSRM_PROFILE`` (a Lua profile)
override the defaults. Servers listen on 127.0.0.1 only.

Roads for sampling (`sample_road_points`) are the OSM ways a car may use, read with pyosmium:
``highway`` in `ROAD_CLASSES` (no motorways, no service roads or tracks), without
``tunnel``, ``bridge``, ``area=yes`` or a private / no access tag. A point falls on a segment
with probability proportional to the segment's length, uniformly along it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from vrp.errors import InputError, SolverError
from vrp.formats.io import atomic_write, write_json
from vrp.places import osrm_home
from vrpspec.distances import great_circle

if TYPE_CHECKING:
    from vrp.roads.matrix import OsrmClient

DEFAULT_REGION = "monaco"
DEFAULT_MAX_TABLE_SIZE = 1000  # locations per table request on servers started here
LOOPBACK = "127.0.0.1"
ROAD_CLASSES = frozenset(
    {
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
        "unclassified",
        "residential",
        "living_street",
    }
)
_NO = (None, "no")


# -- where things are -----------------------------------------------------------------------


def bin_dir() -> Path:
    """The folder of ``osrm-extract``, ``osrm-contract`` and ``osrm-routed``."""
    env = os.environ.get("VRP_OSRM_BIN")
    if env:
        return Path(env)
    packaged = osrm_home() / "bin-pkg" / "osrm" / "bin"
    if (packaged / "osrm-routed").exists():
        return packaged
    found = shutil.which("osrm-routed")
    return Path(found).parent if found else packaged


def executable(name: str) -> Path:
    path = bin_dir() / name
    if not os.access(path, os.X_OK):
        raise InputError(
            f"OSRM executable {name} not found in {path.parent}: run ./scripts/setup-osrm "
            "or set VRP_OSRM_BIN"
        )
    return path


def profile_path() -> Path:
    env = os.environ.get("VRP_OSRM_PROFILE")
    path = Path(env) if env else bin_dir().parent / "share" / "profiles" / "car.lua"
    if not path.exists():
        raise InputError(f"OSRM profile {path} not found: set VRP_OSRM_PROFILE")
    return path


@cache
def _version(routed: Path) -> str:
    out = subprocess.run([str(routed), "--version"], capture_output=True, text=True, timeout=30)
    return out.stdout.strip() or out.stderr.strip()


@cache
def _help(routed: Path) -> str:
    out = subprocess.run([str(routed), "--help"], capture_output=True, text=True, timeout=30)
    return out.stdout + out.stderr


def osrm_version() -> str:
    """The version the executables report, e.g. ``v26.10.0``."""
    return _version(executable("osrm-routed"))


# -- regions --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Region:
    """A prepared region: its folder and the ``region.json`` written by `prepare_region`."""

    name: str
    path: Path
    meta: dict[str, Any]

    @property
    def base(self) -> Path:
        """The ``<name>.osrm`` base path that osrm-routed loads."""
        return self.path / f"{self.name}.osrm"

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """``(min_lon, min_lat, max_lon, max_lat)`` of the drivable roads."""
        a, b, c, d = self.meta["bbox"]
        return float(a), float(b), float(c), float(d)

    @property
    def cache_key(self) -> str:
        """Names the data behind this region's matrices: name, source file and OSRM version."""
        return f"{self.name}:{self.meta['source_sha256'][:16]}:{self.meta['osrm_version']}"


def region_dir(name: str) -> Path:
    return osrm_home() / "regions" / name


def load_region(name: str) -> Region:
    """The prepared region ``name``; an `InputError` says how to prepare it when it is not."""
    _check_name(name)
    path = region_dir(name)
    try:
        meta = json.loads((path / "region.json").read_text())
    except (OSError, ValueError):
        hint = "./scripts/setup-osrm" if name == DEFAULT_REGION else "vrp osrm prepare X.osm.pbf"
        raise InputError(
            f"region {name!r} is not prepared (no {path}/region.json): run {hint}",
            field="--region",
        ) from None
    return Region(name, path, meta)


def prepared_regions() -> list[Region]:
    """Every prepared region, by name."""
    root = osrm_home() / "regions"
    names = sorted(p.parent.name for p in root.glob("*/region.json"))
    return [load_region(n) for n in names if not n.startswith(".")]


def region_for(lonlat: np.ndarray) -> Region:
    """The prepared region whose roads' bounding box holds every point (the smallest such)."""
    pts = np.asarray(lonlat, dtype=float).reshape(-1, 2)
    fits = []
    for reg in prepared_regions():
        lon0, lat0, lon1, lat1 = reg.bbox
        inside = (pts[:, 0] >= lon0) & (pts[:, 0] <= lon1)
        inside &= (pts[:, 1] >= lat0) & (pts[:, 1] <= lat1)
        if inside.all():
            fits.append(((lon1 - lon0) * (lat1 - lat0), reg.name, reg))
    if not fits:
        raise InputError(
            "no prepared region covers these points: prepare one (vrp osrm prepare X.osm.pbf)"
            " or give a running server (--osrm URL)"
        )
    return min(fits)[2]


def prepare_region(pbf: str | os.PathLike[str], name: str | None = None) -> Region:
    """Extract and contract (CH) an OpenStreetMap extract into ``regions/<name>``.

    The work happens in a temporary folder that replaces the region's folder only on
    success, so an interrupted or failed run leaves the previous preparation intact.
    """
    src = Path(pbf)
    if not src.is_file():
        raise InputError("no such file", path=str(src))
    name = name or src.name.split(".")[0]
    _check_name(name)
    extract, contract = executable("osrm-extract"), executable("osrm-contract")
    profile, version = profile_path(), osrm_version()
    final = region_dir(name)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.parent / f".{name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        # OSRM cuts ".osrm" out of the paths it is given, and our home is ".osrm": run in
        # the region's folder with a relative base path.
        base = f"{name}.osrm"
        log = tmp / "prepare.log"
        threads = str(min(os.cpu_count() or 1, 4))
        _run([extract, "-p", profile, "-t", threads, src.resolve(), "-o", base], log, src, tmp)
        _run([contract, "-t", threads, base], log, src, tmp)
        roads = extract_roads(src)
        if not len(roads["length_m"]):
            raise InputError("no drivable road in this extract", path=str(src))
        with atomic_write(tmp / "roads.npz", "wb") as fh:
            np.savez(fh, **roads)
        pts = np.concatenate([roads["a"], roads["b"]])
        meta = {
            "name": name,
            "source": str(src.resolve()),
            "source_sha256": _sha256(src),
            "osrm_version": version,
            "algorithm": "CH",
            "profile": profile.name,
            "bbox": [*map(float, pts.min(axis=0)), *map(float, pts.max(axis=0))],
            "road_segments": int(len(roads["length_m"])),
            "road_km": round(float(roads["length_m"].sum()) / 1000, 3),
        }
        write_json(tmp / "region.json", meta)
        old = final.parent / f".{name}.old-{os.getpid()}"
        if final.exists():
            final.rename(old)
        tmp.rename(final)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return load_region(name)


def region_is_current(name: str, pbf: str | os.PathLike[str]) -> bool:
    """Whether ``name`` is prepared from this very file with the executables present."""
    try:
        region = load_region(name)
        return (
            region.meta.get("source_sha256") == _sha256(Path(pbf))
            and region.meta.get("osrm_version") == osrm_version()
            and (region.path / "roads.npz").exists()
        )
    except (InputError, OSError):
        return False


def extract_roads(pbf: Path) -> dict[str, np.ndarray]:
    """Drivable road segments of an extract: ``a``, ``b`` ``[M, 2]`` lon/lat, ``length_m [M]``."""
    import osmium

    segments: list[tuple[float, float, float, float]] = []
    ways = osmium.FileProcessor(str(pbf)).with_locations()
    for way in ways.with_filter(osmium.filter.KeyFilter("highway")):
        if not way.is_way() or not _is_road(way.tags):
            continue
        nodes = list(way.nodes)
        for p, q in zip(nodes, nodes[1:], strict=False):
            # Extracts cut at a border drop nodes: never bridge the gap a missing node leaves.
            if p.location.valid() and q.location.valid():
                segments.append((p.lon, p.lat, q.lon, q.lat))
    seg = np.array(segments, dtype=float).reshape(-1, 4)
    a, b = seg[:, :2], seg[:, 2:]
    length = great_circle(a, b)
    keep = length > 0
    return {"a": a[keep], "b": b[keep], "length_m": length[keep]}


def _is_road(tags: Any) -> bool:
    return (
        tags.get("highway") in ROAD_CLASSES
        and tags.get("tunnel") in _NO
        and tags.get("bridge") in _NO
        and tags.get("area") in _NO
        and tags.get("access") not in ("no", "private")
        and tags.get("motor_vehicle") not in ("no", "private")
        and tags.get("motorcar") not in ("no", "private")
    )


def sample_road_points(region: str | Region, n: int, seed: int | np.random.Generator = 0):
    """``n`` points ``[n, 2]`` (lon, lat) along the region's drivable roads, length-weighted.

    Needs no server. Points are rounded to 1e-6 degrees, OSRM's own precision.
    """
    reg = load_region(region) if isinstance(region, str) else region
    path = reg.path / "roads.npz"
    if not path.exists():
        raise InputError(f"region {reg.name!r} has no roads.npz: prepare it again")
    with np.load(path) as roads:
        a, b, length = roads["a"], roads["b"], roads["length_m"]
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    idx = rng.choice(len(length), size=n, p=length / length.sum())
    t = rng.random(n)[:, None]
    return np.round(a[idx] + t * (b[idx] - a[idx]), 6)


# -- the server -----------------------------------------------------------------------------


@dataclass
class Server:
    """A running osrm-routed on loopback (see `serve`)."""

    region: Region
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    max_table_size: int

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def client(self, **kwargs: Any) -> OsrmClient:
        """A matrix/route client for this server, caching under the region's key."""
        from vrp.roads.matrix import OsrmClient

        kwargs.setdefault("table_size", self.max_table_size)
        kwargs.setdefault("cache_key", self.region.cache_key)
        return OsrmClient(self.url, **kwargs)

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def port_is_free(port: int) -> bool:
    """Whether ``port`` on 127.0.0.1 can be listened on (nothing else holds it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(
    region: str | Region = DEFAULT_REGION,
    *,
    port: int | None = None,
    max_table_size: int = DEFAULT_MAX_TABLE_SIZE,
    threads: int = 2,
    ready_timeout: float = 30.0,
    keep_log: bool = False,
) -> Iterator[Server]:
    """Run osrm-routed for ``region`` on 127.0.0.1 until the block ends.

    Yields once the server answers. A given ``port`` must be free; without one a free port
    is picked. The server is stopped (SIGTERM, then SIGKILL) however the block ends. Its
    log (``.osrm/logs/``) is removed after a clean stop unless ``keep_log``.
    """
    reg = load_region(region) if isinstance(region, str) else region
    routed = executable("osrm-routed")
    if port is not None and not port_is_free(port):
        raise InputError(f"port {port} on {LOOPBACK} is already in use", field="--port")
    port = port if port is not None else free_port()
    log_dir = osrm_home() / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"routed-{reg.name}-{port}.log"
    from vrp.roads.matrix import header_bytes

    cmd = [str(routed), "-i", LOOPBACK, "-p", str(port), "-a", "CH", "-t", str(threads)]
    cmd += ["--max-table-size", str(max_table_size)]
    # osrm-routed 26 sizes its request line for --max-table-size points (48 bytes each) and
    # closes the connection on a longer one, without an answer; a block off the diagonal
    # names twice as many points (vrp.roads.matrix), so say the size it needs.
    if "--max-header-size" in _help(routed):  # OSRM 26 on; older ones have no such limit
        cmd += ["--max-header-size", str(header_bytes(2 * max_table_size))]
    cmd += [reg.base.name]  # relative: see prepare
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            cwd=reg.path, start_new_session=True, preexec_fn=_die_with_parent,
        )  # fmt: skip
    server = Server(reg, port, proc, log_path, max_table_size)
    ready = False
    try:
        _wait_ready(server, ready_timeout)
        ready = True
        yield server
    finally:
        server.stop()
        if ready and not keep_log and server.process.returncode in (0, -signal.SIGTERM):
            log_path.unlink(missing_ok=True)


def _die_with_parent() -> None:
    """In the child: get SIGTERM when the parent dies, so no server outlives its owner."""
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PDEATHSIG
        except OSError:
            pass


def _wait_ready(server: Server, timeout: float) -> None:
    import urllib.error
    import urllib.request

    lon0, lat0, lon1, lat1 = server.region.bbox
    probe = f"{server.url}/nearest/v1/driving/{(lon0 + lon1) / 2:.6f},{(lat0 + lat1) / 2:.6f}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SolverError(
                f"osrm-routed exited with code {server.process.returncode} before it was ready:"
                f" {_last_line(server.log_path)} (log: {server.log_path})"
            )
        try:
            with urllib.request.urlopen(probe, timeout=1.0) as r:  # loopback only
                if r.status == 200:
                    return
        except urllib.error.HTTPError:
            return  # it answers: ready, even if this probe point found no road
        except OSError:
            pass
        time.sleep(0.05)
    server.stop()
    raise SolverError(f"osrm-routed not ready after {timeout:g} s (log: {server.log_path})")


@contextmanager
def connect(
    url: str | None = None, region: str | Region | None = None, **client_kwargs: Any
) -> Iterator[OsrmClient]:
    """A client for ``url``, or for a server of ``region`` started for the block's duration.

    With ``url``, matrices are cached under ``region`` (a prepared `Region` or a label) when
    given, else under the URL.
    """
    from vrp.roads.matrix import OsrmClient

    if url:
        key = region.cache_key if isinstance(region, Region) else region
        client_kwargs.setdefault("cache_key", key or url)
        yield OsrmClient(url, **client_kwargs)
        return
    with serve(region or DEFAULT_REGION) as server:
        yield server.client(**client_kwargs)


# -- helpers --------------------------------------------------------------------------------


def _check_name(name: str) -> None:
    if not name or not all(c.isalnum() or c in "-_" for c in name):
        raise InputError(f"must be letters, digits, '-' or '_', got {name!r}", field="region name")


def _run(cmd: list[Any], log: Path, src: Path, cwd: Path) -> None:
    with open(log, "ab") as fh:
        rc = subprocess.run(
            [str(c) for c in cmd], stdout=fh, stderr=subprocess.STDOUT, cwd=cwd
        ).returncode
    if rc != 0:
        tool = Path(str(cmd[0])).name
        raise InputError(f"{tool} failed (exit {rc}): {_last_line(log)}", path=str(src))


def _last_line(path: Path) -> str:
    try:
        lines = [ln for ln in path.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        return "(no log)"
    errors = [ln for ln in lines if "[error]" in ln]
    return (errors or lines or ["(empty log)"])[-1].strip()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


__all__ = [
    "DEFAULT_REGION",
    "Region",
    "Server",
    "connect",
    "load_region",
    "prepare_region",
    "sample_road_points",
    "serve",
]
