"""`vrp benchmark`: outputs, resuming after an interruption, gaps to a bks.csv, honest counts."""

from __future__ import annotations

import csv
import functools
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import benchmark_fakes
import pytest
from needs import BENCHMARKS
from typer.testing import CliRunner

from cli.main import app
from vrp.benchmark import gap_table
from vrp.benchmark import report as rep
from vrp.benchmark import runner as bm
from vrp.benchmark.references import ReferenceStore, instance_digest
from vrp.formats.io import write_instance
from vrp.model.evaluate import evaluate
from vrp.model.generate import generate_many
from vrp.model.variants import parse_variant_list

ROOT = Path(__file__).resolve().parents[1]
SHARED = BENCHMARKS


@pytest.fixture(autouse=True)
def fakes(monkeypatch, tmp_path):
    from vrp.solvers import registry

    monkeypatch.setattr(registry, "_ENGINES", dict(registry._ENGINES))
    benchmark_fakes.register()
    registry._ENGINES["fake-batch"] = (__name__, "Batch")
    registry._ENGINES["fake-wall-cap"] = (__name__, "WallCap")
    monkeypatch.setenv("VRP_CACHE_DIR", str(tmp_path / "cache"))  # the local reference store


class Batch(benchmark_fakes.Alone):
    """Solves many instances in one call, like the neural solver, and writes how many, and
    the time limit and seed it was given, to the file ``$FAKE_BATCH_LOG``."""

    name = "fake-batch"

    def solve_many(self, instances, time_limit=None, seed=0):
        with open(os.environ["FAKE_BATCH_LOG"], "a") as fh:
            fh.write(f"{len(instances)},{time_limit},{seed}\n")
        return [benchmark_fakes._alone(i) for i in instances]


class WallCap(benchmark_fakes.Alone):
    """Writes the wall cap of each run's budget to the file ``$FAKE_WALL_CAP_LOG``."""

    name = "fake-wall-cap"

    def solve(self, instance, budget, seed=0, progress=None):
        with open(os.environ["FAKE_WALL_CAP_LOG"], "a") as fh:
            fh.write(f"{budget.wall_cap}\n")
        return benchmark_fakes._alone(instance)


def _bench(*args: str) -> object:
    plot = [] if "pyvrp" in args else ["--no-plot"]  # the plot is checked once; it takes a second
    result = CliRunner().invoke(app, ["benchmark", *args, *plot])
    assert result.exit_code == 0, result.output
    return result


def _rows(out: Path) -> list[dict[str, str]]:
    with open(out / "runs.csv") as fh:
        return list(csv.DictReader(fh))


def _keys(out: Path) -> list[str]:
    return [r["key"] for r in bm.read_records(out)]


def test_a_tiny_generated_pyvrp_run_writes_csv_json_markdown_and_plot(tmp_path):
    out = tmp_path / "res"
    result = _bench("--generate", "cvrp:10:3", "--solvers", "pyvrp", "--time-limit", "0.2",
                    "--out", str(out))  # fmt: skip
    rows = _rows(out)
    assert [r["status"] for r in rows] == ["ok"] * 3
    assert {r["instance"] for r in rows} == {f"cvrp-n10-s0-00{i}" for i in range(3)}
    assert all(float(r["cost"]) > 0 and r["gap"] == "0.0" for r in rows)  # reference: best
    assert len(json.loads((out / "runs.json").read_text())) == 3
    md = (out / "summary.md").read_text()
    for fact in ("time limit: 0.2 CPU s", "seeds: 1", "workers: 1", "CPUs", "pyvrp 0.14"):
        assert fact in md
    assert "| pyvrp | cvrp | 0.2 | 3 | 3 | 0 | 0 | 0 |" in md
    assert "| cvrp-n10-s0-001 | cvrp | 10 |" in md  # the per-instance table
    assert (out / "plot.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "pyvrp" in result.stdout and "mean gap" in result.stdout


def test_a_benchmark_run_may_take_three_times_its_cpu_limit_in_wall_time_unless_told(
    tmp_path, monkeypatch
):
    # at vrp solve's 1.5, runs on a crowded machine got 6.6-8 of their 10 CPU s
    log = tmp_path / "caps"
    monkeypatch.setenv("FAKE_WALL_CAP_LOG", str(log))
    _bench("--generate", "cvrp:5:1", "--solvers", "fake-wall-cap", "--time-limit", "2",
           "--out", str(tmp_path / "a"))  # fmt: skip
    _bench("--generate", "cvrp:5:1", "--solvers", "fake-wall-cap", "--time-limit", "2",
           "--wall-cap-factor", "5", "--out", str(tmp_path / "b"))  # fmt: skip
    assert [float(x) for x in log.read_text().split()] == [6.0, 10.0]
    meta = json.loads((tmp_path / "b" / "meta.json").read_text())
    assert meta["wall_cap_factor"] == 5.0


def test_rerunning_after_the_process_is_killed_continues_where_it_stopped(tmp_path):
    out = tmp_path / "res"
    args = ["benchmark", "--generate", "cvrp:5:4", "--solvers", "fake-sleepy,fake-alone",
            "--time-limit", "1", "--out", str(out), "--no-plot"]  # fmt: skip
    code = (
        "import sys; sys.path.insert(0, 'tests'); import benchmark_fakes; "
        "benchmark_fakes.register(); from cli.main import app; app(sys.argv[1:])"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.time() + 30
    while len(_keys(out)) < 1 and time.time() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    first = _keys(out)
    assert 1 <= len(first) < 8, "the kill should land mid-benchmark"

    _bench(*args[1:])
    keys = _keys(out)
    assert keys[: len(first)] == first  # nothing before was redone ...
    assert len(keys) == len(set(keys)) == 8  # ... and the set is now complete
    assert len(_rows(out)) == 8


def test_ctrl_c_keeps_finished_runs_and_the_same_command_finishes_the_rest(tmp_path):
    out = tmp_path / "res"
    # Six runs of 0.4 s: two seconds after the first is recorded for the SIGINT to land, even
    # on a loaded machine (three runs were once all done before it arrived).
    args = ["benchmark", "--generate", "cvrp:5:6", "--solvers", "fake-sleepy", "--out", str(out),
            "--no-plot"]  # fmt: skip
    code = (
        "import sys; sys.path.insert(0, 'tests'); import benchmark_fakes; "
        "benchmark_fakes.register(); from cli.main import app; app(sys.argv[1:])"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.time() + 30
    while len(_keys(out)) < 1 and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    assert "run the same command again to continue" in stderr
    assert 1 <= len(_keys(out)) < 6
    assert "fake-sleepy" in stdout  # the partial summary is printed and written
    _bench(*args[1:])
    assert sorted(_keys(out)) == sorted(set(_keys(out))) and len(_keys(out)) == 6


def test_a_half_written_last_line_is_ignored_and_the_next_record_starts_afresh(tmp_path):
    bm.append_record(tmp_path, {"key": "a", "status": "ok"})
    with open(tmp_path / bm.RUNS_FILE, "a") as fh:
        fh.write('{"key": "b", "sta')  # the parent was killed mid-write
    assert _keys(tmp_path) == ["a"]
    bm.append_record(tmp_path, {"key": "c", "status": "ok"})
    assert _keys(tmp_path) == ["a", "c"]


def test_gaps_to_a_bks_csv_use_the_instance_column_and_are_exact(tmp_path):
    out = tmp_path / "res"
    _bench("--generate", "cvrp:6:2", "--solvers", "fake-alone", "--time-limit", "1",
           "--out", str(out), "--reference", "best")  # fmt: skip
    cost = {r["instance"]: float(r["cost"]) for r in _rows(out)}
    bks = tmp_path / "bks.csv"
    bks.write_text(f"instance,n_customers,bks\ncvrp-n6-s0-000,6,{cost['cvrp-n6-s0-000'] / 1.25}\n")
    _bench("--generate", "cvrp:6:2", "--solvers", "fake-alone", "--time-limit", "1",
           "--out", str(out), "--reference", str(bks))  # fmt: skip
    rows = {r["instance"]: r for r in _rows(out)}
    assert float(rows["cvrp-n6-s0-000"]["gap"]) == pytest.approx(0.25)
    assert rows["cvrp-n6-s0-001"]["gap"] == ""  # no reference for it: no gap, still listed
    summary = json.loads((out / "summary.json").read_text())["summary"]
    assert summary[0]["mean_gap"] == pytest.approx(0.25) and summary[0]["gaps"] == 1


@pytest.mark.parametrize(
    "set_name, instance, value",
    [
        ("solomon", "C101", 827.3),  # bks_distance_only, the importer's convention, not 828.94
        ("cvrplib-x", "X-n101-k25", 27591),
        ("cmt", "CMT1", 524.61),
        ("vrpb", "A1", 229885.65),
        ("vrpb", "eil22.50", 371),
        ("vrpmb", "CMT01T", 520.06),
        ("augerat", "A-n32-k5", 784),
    ],
)
def test_every_shared_bks_csv_gives_the_published_value(set_name, instance, value):
    path = SHARED / set_name / "bks.csv"
    if not path.exists():
        pytest.skip(f"{path} is absent (CI puts ../shared beside the clone)")
    assert rep.load_bks(path)[instance] == pytest.approx(value)


def test_infeasible_failed_and_unsupported_runs_are_counted_and_listed(tmp_path):
    out = tmp_path / "res"
    solvers = (
        "fake-alone,fake-overloaded,fake-raises,fake-nothing,fake-dies,fake-hangs,fake-refuses"
    )
    result = _bench("--generate", "cvrp:30:1", "--solvers", solvers, "--time-limit", "0.1",
                    "--hard-timeout", "1", "--out", str(out))  # fmt: skip
    status = {r["solver"]: r["status"] for r in _rows(out)}
    assert status == {
        "fake-alone": "ok",
        "fake-overloaded": "infeasible",
        "fake-raises": "error",
        "fake-nothing": "no_solution",
        "fake-dies": "crashed",
        "fake-hangs": "timeout",
        "fake-refuses": "unsupported",
    }
    lines = {s["solver"]: s for s in json.loads((out / "summary.json").read_text())["summary"]}
    assert lines["fake-overloaded"]["infeasible"] == 1 and lines["fake-overloaded"]["gaps"] == 0
    assert all(lines[s]["failed"] == 1 for s in ("fake-raises", "fake-nothing", "fake-dies",
                                                 "fake-hangs"))  # fmt: skip
    assert lines["fake-refuses"]["unsupported"] == 1
    assert lines["fake-alone"]["wins"] == 1
    md = (out / "summary.md").read_text()
    for text in ("**infeasible** [capacity]", "**error** RuntimeError: engine exploded",
                 "**crashed**", "**timeout**", "**no_solution**"):  # fmt: skip
        assert text in md
    assert result.stdout.count("fake-") == 7  # every solver has a line in the table


def test_failed_runs_are_skipped_on_rerun_unless_retried(tmp_path):
    out = tmp_path / "res"
    args = ("--generate", "cvrp:5:1", "--solvers", "fake-raises", "--out", str(out))
    _bench(*args)
    _bench(*args)
    assert len(bm.read_records(out)) == 1
    _bench(*args, "--retry-failed")
    assert len(bm.read_records(out)) == 2


def test_the_default_reference_is_ortools_when_it_runs_else_best():
    assert rep.parse_reference(None, ["pyvrp", "ortools"]).solver == "ortools"
    assert rep.parse_reference(None, ["pyvrp", "hgs"]).kind == "best"
    assert rep.parse_reference(["pyvrp"], ["pyvrp", "hgs"]).solver == "pyvrp"


def test_a_solver_reference_is_its_mean_over_seeds():
    recs = [
        {"instance": "a", "solver": "s", "seed": k, "time_limit": 1, "status": "ok", "cost": c}
        for k, c in enumerate((10.0, 12.0))
    ] + [{"instance": "a", "solver": "t", "seed": 0, "time_limit": 1, "status": "ok", "cost": 9.9}]
    rows = rep.with_gaps(recs, rep.parse_reference(["s"], ["s", "t"]))
    assert [r["gap"] for r in rows] == pytest.approx([-1 / 11, 1 / 11, -0.1])


def test_scanning_a_folder_reads_instances_and_skips_solutions_tables_and_notes(tmp_path):
    for name in ("a.json", "sub/b.vrp", "c.txt", "a.sol", "bks.csv", "README.md", ".hidden/d.vrp"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    found = [p.relative_to(tmp_path).as_posix() for p in bm.scan_inputs([tmp_path])]
    assert found == ["a.json", "c.txt", "sub/b.vrp"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--solvers", "nope"], "--solvers: unknown solver"),
        (["--time-limit", "0"], "--time-limit"),
        (["--generate", "cvrp:10"], "--generate"),
        (["--generate", "vrpx:10:1"], "--generate: unknown variant"),
        (["--reference", "missing.csv"], "--reference"),
        (["--reference", "store:pyvrp"], "--reference: expected store:SOLVER@SECONDS"),
        (["--reference", "stored:nope@1"], "--reference: unknown solver"),
        (["--seeds", "0"], "--seeds"),
        (["--wall-cap-factor", "0.5"], "--wall-cap-factor: must be at least 1"),
    ],
)
def test_bad_options_are_one_line_errors(tmp_path, args, message):
    base = ["benchmark", "--generate", "cvrp:5:1", "--out", str(tmp_path)]
    result = CliRunner().invoke(app, [*base, *args])
    assert result.exit_code == 1
    assert message in result.output


def test_the_docs_script_assembles_each_recorded_set_with_its_command_and_settings(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(bm, "code_version", lambda root=None: "abc1234")
    record = tmp_path / "docs" / "data" / "benchmarks" / "tiny.jsonl"
    out = tmp_path / "results" / "tiny"
    _bench("--generate", "cvrp:5:2", "--solvers", "fake-alone,fake-raises", "--out", str(out),
           "--label", "Tiny set", "--record", str(record))  # fmt: skip
    doc = tmp_path / "benchmarks.md"
    done = subprocess.run(
        [sys.executable, "scripts/benchmarks_doc.py", "--root", str(tmp_path), "--out", str(doc)],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    text = doc.read_text()
    assert "## Tiny set" in text and "- command: `vrp benchmark" in text
    assert "workers: 1" in text and "CPUs" in text and "time limit: 10 CPU s" in text
    assert "code: abc1234" in text and "Recorded from uncommitted" not in text
    assert "**fake-alone** 0.00% (2/2 feasible" in text  # the overview row
    assert "**fake-raises** – (0/2 feasible" in text
    assert "**error** RuntimeError: engine exploded" in text


# -- committed records ------------------------------------------------------------------------


@functools.cache
def _doc_script():
    """scripts/benchmarks_doc.py as a module."""
    path = ROOT / "scripts" / "benchmarks_doc.py"
    spec = importlib.util.spec_from_file_location("benchmarks_doc", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _record(root: Path, name: str, label: str, solvers: str, out: Path) -> Path:
    """``vrp benchmark --record`` of two tiny instances into ``root``'s docs/data."""
    record = root / "docs" / "data" / "benchmarks" / f"{name}.jsonl"
    _bench("--generate", "cvrp:5:2", "--solvers", solvers, "--out", str(out), "--label", label,
           "--record", str(record))  # fmt: skip
    return record


def test_recording_from_uncommitted_code_is_refused_before_any_run_unless_allowed(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(bm, "code_version", lambda root=None: "abc1234+dirty")
    out, record = tmp_path / "res", tmp_path / "data" / "tiny.jsonl"
    args = ["benchmark", "--generate", "cvrp:5:2", "--solvers", "fake-alone", "--out", str(out),
            "--no-plot", "--record", str(record)]  # fmt: skip
    refused = CliRunner().invoke(app, args)
    assert refused.exit_code == 1
    assert "--record: refusing to record runs of uncommitted code (abc1234+dirty)" in refused.output
    assert not (out / bm.RUNS_FILE).exists() and not record.exists()

    allowed = CliRunner().invoke(app, [*args, "--allow-dirty"])
    assert allowed.exit_code == 0, allowed.output
    meta, records = rep.read_record(record)
    assert meta["code"] == "abc1234+dirty" and {r["code"] for r in records} == {"abc1234+dirty"}

    # committed since, but the runs kept in the folder are still the old code's
    monkeypatch.setattr(bm, "code_version", lambda root=None: "abc1234")
    kept = CliRunner().invoke(app, args)
    assert kept.exit_code == 1 and f"kept in {out}: move it away" in kept.output


def test_a_record_keeps_compact_runs_that_make_the_same_section_as_the_summary(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(bm, "code_version", lambda root=None: "abc1234")
    out = tmp_path / "res"
    record = _record(tmp_path, "tiny", "Tiny", "fake-alone,fake-overloaded,fake-raises", out)
    meta, records = rep.read_record(record)
    assert len(records) == 6 and all(list(r) == list(rep.RECORD_FIELDS) for r in records)
    assert not any(k in records[0] for k in ("solution", "path", "routes", "versions"))
    assert meta["command"].endswith(f"--record {record}") and meta["solvers"][0] == "fake-alone"
    assert meta["finished_at"] == max(r["finished_at"] for r in records)[:16].replace("T", " ")
    # the summary.md that `vrp benchmark` wrote from the full runs, made from the records alone
    written = json.loads((out / "summary.json").read_text())["meta"]
    assert rep.recorded_markdown(written, records, level=1) == (out / "summary.md").read_text()


def test_a_partial_rerun_replaces_only_its_own_section_and_overview_row(tmp_path, monkeypatch):
    monkeypatch.setattr(bm, "code_version", lambda root=None: "abc1234")
    doc = _doc_script()
    _record(tmp_path, "aaa", "Set A", "fake-alone", tmp_path / "results" / "a1")
    _record(tmp_path, "bbb", "Set B", "fake-alone,fake-raises", tmp_path / "results" / "b")
    legacy = tmp_path / doc.LEGACY / "ccc.md"
    legacy.parent.mkdir()
    legacy.write_text("<!-- overview: | Set C | 5 | 9 of 9 finished | **x** 1.00% | -->\n"
                      "## Set C\n\n> predates the records\n\n- code: 0123abc+dirty\n")  # fmt: skip
    before = doc.build(tmp_path)
    assert doc.build(tmp_path) == before  # the same records make the same bytes
    assert "## Set C\n\n> predates the records\n\n- code: 0123abc+dirty\n" in before
    assert "| Set C | 5 | 9 of 9 finished | **x** 1.00% |" in before

    _record(tmp_path, "aaa", "Set A", "fake-overloaded", tmp_path / "results" / "a2")
    after = doc.build(tmp_path)
    old, new = before.split("\n## "), after.split("\n## ")
    assert [s.split("\n")[0] for s in old] == [s.split("\n")[0] for s in new]
    changed = [s.split("\n")[0] for s, t in zip(old, new, strict=True) if s != t]
    assert changed == ["Overview", "Set A"]
    rows = [(a, b) for a, b in zip(old[1].splitlines(), new[1].splitlines(), strict=True) if a != b]
    assert len(rows) == 1 and rows[0][1].startswith("| Set A |") and "fake-overloaded" in rows[0][1]


def test_a_section_recorded_from_uncommitted_code_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(bm, "code_version", lambda root=None: "abc1234+dirty")
    record = tmp_path / "docs" / "data" / "benchmarks" / "tiny.jsonl"
    _bench("--generate", "cvrp:5:1", "--solvers", "fake-alone", "--out", str(tmp_path / "res"),
           "--label", "Tiny", "--record", str(record), "--allow-dirty")  # fmt: skip
    text = _doc_script().build(tmp_path)
    assert "> Recorded from uncommitted code (code: abc1234+dirty; `--allow-dirty`)" in text
    assert "`./scripts/run_benchmarks tiny` on a committed tree records them again" in text


def test_the_committed_doc_is_what_doc_only_makes_from_the_committed_records_alone(tmp_path):
    shutil.copytree(ROOT / "docs" / "data", tmp_path / "docs" / "data")  # no results/, no shared/
    out = tmp_path / "benchmarks.md"
    done = subprocess.run(
        [sys.executable, "scripts/benchmarks_doc.py", "--root", str(tmp_path), "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert out.read_bytes() == (ROOT / "docs" / "benchmarks.md").read_bytes()


def test_every_set_comes_from_its_record_or_says_it_predates_them_or_is_listed_as_not_run():
    doc = _doc_script()
    built = doc.build(ROOT)
    for name in doc.ORDER:
        if (ROOT / doc.RECORDS / f"{name}.jsonl").is_file():
            meta, records = rep.read_record(ROOT / doc.RECORDS / f"{name}.jsonl")
            assert records and meta["code"] == ", ".join(sorted({r["code"] for r in records}))
            continue
        if not (ROOT / doc.LEGACY / f"{name}.md").is_file():  # never run: the doc says so
            assert "Not run yet: " in built and name in built.split("Not run yet: ")[1], name
            continue
        text = (ROOT / doc.LEGACY / f"{name}.md").read_text()
        assert "predates committed records" in text, name
        assert f"`./scripts/run_benchmarks {name}` runs it again" in text, name
        assert "; code: " in text, name


def test_the_code_stamp_is_dirty_for_changed_code_but_not_for_appended_data(tmp_path):
    def git(*args):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
            cwd=tmp_path,
            check=True,
            capture_output=True,
        )

    (tmp_path / bm.DATA_DIR).mkdir(parents=True)
    store = tmp_path / bm.DATA_DIR / "refs.jsonl"
    store.write_text("{}\n")
    code = tmp_path / "solver.py"
    code.write_text("x = 1\n")
    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "start")
    clean = bm.code_version(tmp_path)
    assert clean and not clean.endswith("+dirty") and clean != "unknown"
    store.write_text("{}\n{}\n")
    assert bm.code_version(tmp_path) == clean
    code.write_text("x = 2\n")
    assert bm.code_version(tmp_path) == clean + "+dirty"


def test_the_code_stamp_stays_clean_when_only_the_generated_benchmarks_doc_changed(tmp_path):
    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
                       cwd=tmp_path, check=True, capture_output=True)  # fmt: skip

    doc = tmp_path / "docs" / "benchmarks.md"
    doc.parent.mkdir()
    doc.write_text("# Benchmarks\n")
    git("init", "-q")
    git("add", ".")
    git("commit", "-qm", "start")
    clean = bm.code_version(tmp_path)
    doc.write_text("# Benchmarks\n\n## cmt, recorded\n")  # ./scripts/run_benchmarks rebuilt it
    assert bm.code_version(tmp_path) == clean and not clean.endswith("+dirty")


# -- the reference store ----------------------------------------------------------------------


COMMITTED = ROOT / "docs" / "data" / "neural-references.jsonl"


def test_the_store_finds_a_committed_reference_by_the_instances_content(tmp_path):
    first = json.loads(COMMITTED.open().readline())  # as committed: no solver field
    inst = generate_many(first["variant"], first["n"], 1, seed=1)[0]
    path = tmp_path / "renamed.json"  # the same data under another name and file
    write_instance(inst, path)
    from vrp.formats.io import read_instance

    again = read_instance(path)
    store = ReferenceStore.default()
    assert len(store) >= 9600 and store.read_only == (COMMITTED,)
    for instance in (inst, again):
        found = store.lookup(instance, "pyvrp", first["time_limit"])
        assert found is not None and found["cost"] == first["cost"]
    assert store.lookup(inst, "pyvrp", 5.0) is None  # another limit is another reference
    assert store.lookup(inst, "ortools", first["time_limit"]) is None


def test_a_stored_reference_for_other_data_under_the_same_name_is_refused(tmp_path):
    inst = generate_many("cvrp", 6, 1, seed=0)[0]
    file = tmp_path / "refs.jsonl"
    stale = {"instance": inst.name, "digest": "0" * 16, "solver": "fake-alone",
             "time_limit": 1.0, "cost": 1.0, "cpu_s": 1.0, "wall_s": 1.0}  # fmt: skip
    file.write_text(json.dumps(stale) + "\n")
    store = ReferenceStore(file)
    assert store.lookup(inst, "fake-alone", 1) is None
    assert store.stale(inst, "fake-alone", 1) == stale
    assert store.get(inst, "fake-alone", 1, solve=False) is None
    fresh = store.get(inst, "fake-alone", 1, log=None)  # solved again, for these data
    assert fresh["digest"] == instance_digest(inst) and fresh["cost"] != 1.0


def test_a_missing_reference_is_solved_once_and_then_read_from_its_file(tmp_path, monkeypatch):
    inst = generate_many("vrptw", 6, 1, seed=3)[0]
    file = tmp_path / "refs.jsonl"
    rec = ReferenceStore(file).get(inst, "fake-alone", 2, log=None)
    assert rec["solver"] == "fake-alone" and rec["seed"] == 0 and rec["time_limit"] == 2.0
    assert rec["cost"] == evaluate(inst, benchmark_fakes._alone(inst)).cost  # evaluate()'s
    assert [json.loads(line) for line in file.read_text().splitlines()] == [rec]

    def no_solving(*args, **kwargs):
        raise AssertionError("solved again")

    monkeypatch.setattr(ReferenceStore, "add", no_solving)
    assert ReferenceStore(file).costs([inst], "fake-alone", 2) == [rec["cost"]]
    assert ReferenceStore(file).costs([inst], "fake-alone", 3, solve=False) == [None]


def test_vrp_benchmark_gaps_to_the_reference_store_solve_the_missing_ones_once(tmp_path):
    out = tmp_path / "res"
    args = ("--generate", "cvrp:6:2", "--solvers", "fake-alone,fake-overloaded",
            "--time-limit", "1", "--out", str(out))  # fmt: skip
    _bench(*args, "--reference", "store:fake-alone@1")
    local = tmp_path / "cache" / "references.jsonl"
    assert len(local.read_text().splitlines()) == 2  # one per instance, solved before the runs
    rows = _rows(out)
    assert {r["gap"] for r in rows if r["solver"] == "fake-alone"} == {"0.0"}
    summary = json.loads((out / "summary.json").read_text())
    assert "fake-alone at 1 CPU s, seed 0, from the reference store" in summary["meta"]["reference"]

    _bench(*args, "--reference", "stored:fake-alone@1")
    assert len(local.read_text().splitlines()) == 2  # nothing solved again
    _bench("--generate", "cvrp:7:1", "--solvers", "fake-alone", "--out", str(tmp_path / "b"),
           "--reference", "stored:fake-alone@1")  # fmt: skip
    assert _rows(tmp_path / "b")[0]["gap"] == ""  # not stored, not solved: no gap
    assert len(local.read_text().splitlines()) == 2


def test_a_batch_engine_gets_one_call_per_variant_and_size_with_the_runs_limit_and_seed(
    tmp_path, monkeypatch
):
    calls = tmp_path / "calls"
    monkeypatch.setenv("FAKE_BATCH_LOG", str(calls))
    out = tmp_path / "res"
    args = ("--generate", "cvrp:5:3", "--generate", "vrptw:5:2", "--solvers",
            "fake-batch,fake-alone", "--time-limit", "0.4", "--out", str(out))  # fmt: skip
    _bench(*args)
    recs = bm.read_records(out)
    batch = {r["instance"]: r for r in recs if r["solver"] == "fake-batch"}
    assert {k: r["batch"] for k, r in batch.items()} == {
        **{f"cvrp-n5-s0-00{i}": 3 for i in range(3)},
        **{f"vrptw-n5-s0-00{i}": 2 for i in range(2)},
    }
    # a warm-up (no time limit, so that it spends none), then the batch with the runs' limit
    assert calls.read_text().split() == ["1,None,0", "3,0.4,0", "1,None,0", "2,0.4,0"]
    assert all(r["status"] == "ok" and r["solution"] for r in batch.values())
    assert all("batch" not in r for r in recs if r["solver"] == "fake-alone")
    assert len(recs) == 10
    _bench(*args)
    assert len(bm.read_records(out)) == 10  # resumed: nothing to run


def test_generate_takes_one_variant_a_list_or_all_like_vrp_generate(tmp_path):
    assert bm.parse_generate("all:5:2") == (tuple(parse_variant_list("all")), 5, 2)
    paths = bm.generate_inputs(["vrptw,cvrp:5:2"], tmp_path, seed=1)
    assert [p.stem for p in paths] == [
        "vrptw-n5-s1-000", "vrptw-n5-s1-001", "cvrp-n5-s1-000", "cvrp-n5-s1-001",
    ]  # fmt: skip
    source = bm.describe(paths[0])
    assert source.content == instance_digest(generate_many("vrptw", 5, 1, seed=1)[0])


# -- the gap table per variant and size: stored runs joined with stored references -----------


def _refuse(*args, **kwargs):
    raise AssertionError("solved or decoded")


def _table_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(("| ", "n = ", "Made from"))]


def test_the_gap_table_joins_stored_runs_to_stored_references_by_content_and_solves_nothing(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("FAKE_BATCH_LOG", str(tmp_path / "calls"))
    out = tmp_path / "res"
    _bench("--generate", "vrptw:5:2", "--generate", "cvrp:5:3", "--solvers", "fake-batch",
           "--reference", "store:fake-alone@1", "--out", str(out))  # fmt: skip
    refs = tmp_path / "cache" / "references.jsonl"
    lines = refs.read_text().splitlines()
    refs.write_text("\n".join(lines[1:]) + "\n")  # vrptw-000 has no reference now
    monkeypatch.setattr(ReferenceStore, "add", _refuse)
    monkeypatch.setattr(bm, "timed_solve_many", _refuse)

    runs = gap_table.read_runs(out, "fake-batch")
    assert len(runs) == 5 and {r["batch"] for r in runs} == {2, 3}
    table = gap_table.gap_table(runs, ReferenceStore(refs), "fake-alone", 1)
    assert table.unmatched == 1
    # cvrp before vrptw, as `vrp variants` lists them; the same routes as the reference: 0%
    assert [(r.variant, r.n, r.instances, r.gap, r.infeasible) for r in table.rows] == [
        ("cvrp", 5, 3, 0.0, 0),
        ("vrptw", 5, 1, 0.0, 0),
    ]
    cvrp = [r for r in runs if r["variant"] == "cvrp"]
    assert table.rows[0].wall_s == pytest.approx(sum(r["wall_s"] for r in cvrp) / 3)
    text = gap_table.markdown(table, "res/runs.jsonl", ["refs.jsonl"])
    assert "| cvrp | 5 | 3 | 0.00% | 0 |" in text
    assert "1 runs without a stored reference are left out." in text
    assert "n = 5: mean gap over 2 variants (4 instances) 0.00%" in text
    # 3 runs of a batch of 3 and 1 of a batch of 2: 1.5 batches, said as they round
    assert "Made from the stores: 4 references (fake-alone (4);" in text
    assert " and 2 fake-batch batches (" in text


def test_the_neural_table_in_the_docs_is_made_from_the_committed_records_alone(monkeypatch):
    from vrp.benchmark.references import COMMITTED
    from vrp.solvers.neural import NeuralSolver

    monkeypatch.setattr(ReferenceStore, "add", _refuse)
    monkeypatch.setattr(NeuralSolver, "solve_many", _refuse)
    runs = gap_table.read_runs(ROOT / gap_table.RUNS, gap_table.SOLVER)
    table = gap_table.gap_table(runs, ReferenceStore(ROOT / COMMITTED), "pyvrp", 10)
    assert len(table.rows) == 96 and table.unmatched == 0 and len(runs) == 960
    assert {r["decoding"] for r in runs} == {"8 symmetries x every start"}
    # each size decoded by the model `vrp solve` picks for it
    assert {(r["num_customers"], r["checkpoint"]) for r in runs} == {
        (50, "all-n50.ckpt"),
        (100, "all-n100.ckpt"),
    }
    doc = (ROOT / "docs" / "benchmarks.md").read_text()
    sampled_title = "### " + _doc_script().SAMPLED_TITLE
    section = doc[doc.index("### Gap to PyVRP") : doc.index(sampled_title)]
    assert _table_lines(gap_table.markdown(table, "", [])) == _table_lines(section)


def test_the_sampled_neural_table_covers_every_variant_and_quotes_greedy_on_its_instances(
    monkeypatch,
):
    from vrp.benchmark.references import COMMITTED
    from vrp.solvers.neural import NeuralSolver

    script = _doc_script()
    monkeypatch.setattr(ReferenceStore, "add", _refuse)
    monkeypatch.setattr(NeuralSolver, "solve_many", _refuse)
    runs = gap_table.read_runs(ROOT / script.SAMPLED, "neural")
    assert len(runs) == 480 and all(r["time_limit"] == 10 for r in runs)
    assert {r["decoding"] for r in runs} == {
        "8 symmetries x every start, then sampled at temperature 0.5"
    }
    table = gap_table.gap_table(runs, ReferenceStore(ROOT / COMMITTED), "pyvrp", 10)
    assert len(table.rows) == 96 and table.unmatched == 0
    doc = (ROOT / "docs" / "benchmarks.md").read_text()
    section = doc[doc.index("### " + script.SAMPLED_TITLE) : doc.index("### With sampling at")]
    assert _table_lines(gap_table.markdown(table, "", [])) == _table_lines(section)
    # the greedy line is the same model's greedy runs on these instances alone
    greedy = gap_table.read_runs(ROOT / gap_table.EARLIER_RUNS, "neural")
    assert {r["checkpoint_digest"] for r in greedy} == {r["checkpoint_digest"] for r in runs}
    digests = {r["instance_digest"] for r in runs}
    same = [r for r in greedy if r["instance_digest"] in digests]
    assert len(same) == 480
    line = script.greedy_on_the_same(ROOT)
    assert line in section and "(240 instances)" in line


def test_the_sampled_table_at_n100_is_all_n100s_and_quotes_its_greedy_runs(monkeypatch):
    from vrp.benchmark.references import COMMITTED, ReferenceStore
    from vrp.solvers.neural import NeuralSolver

    script = _doc_script()
    monkeypatch.setattr(ReferenceStore, "add", _refuse)
    monkeypatch.setattr(NeuralSolver, "solve_many", _refuse)
    runs = gap_table.read_runs(ROOT / script.SAMPLED_N100, "neural")
    assert len(runs) == 240 and {r["num_customers"] for r in runs} == {100}
    assert {r["checkpoint"] for r in runs} == {"all-n100.ckpt"}
    table = gap_table.gap_table(runs, ReferenceStore(ROOT / COMMITTED), "pyvrp", 10)
    assert len(table.rows) == 48 and table.unmatched == 0
    doc = (ROOT / "docs" / "benchmarks.md").read_text()
    section = doc[doc.index("### " + script.SAMPLED_N100_TITLE) : doc.index("### Decoding time")]
    assert _table_lines(gap_table.markdown(table, "", [])) == _table_lines(section)
    greedy = gap_table.read_runs(ROOT / gap_table.RUNS, gap_table.SOLVER)
    digests = {r["instance_digest"] for r in runs}
    same = [r for r in greedy if r["instance_digest"] in digests]
    assert {r["checkpoint_digest"] for r in same} == {r["checkpoint_digest"] for r in runs}
    line = script.greedy_on_the_same(ROOT, script.SAMPLED_N100, (gap_table.RUNS, gap_table.SOLVER))
    assert line in section and "(240 instances)" in line


@pytest.mark.parametrize(
    "text, ints, floats",
    [
        ("100,200", [100, 200], [100.0, 200.0]),
        ("0.3, 1,", None, [0.3, 1.0]),  # spaces and a trailing comma are fine; 0.3 is no int
        ("1.5", None, [1.5]),  # a fraction is refused as a size, not rounded down
        ("0,1", None, None),  # zero is not positive
        ("-2", None, None),
        ("nan", None, None),
        ("a,b", None, None),
        ("", None, None),
    ],
)  # fmt: skip
def test_the_study_scripts_take_comma_separated_positive_numbers(text, ints, floats):
    import argparse

    from vrp.benchmark.arguments import positive_floats, positive_ints

    for parse, want in ((positive_ints, ints), (positive_floats, floats)):
        if want is None:
            with pytest.raises(argparse.ArgumentTypeError):
                parse(text)
        else:
            assert parse(text) == want
