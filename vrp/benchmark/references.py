"""The one store of reference costs: what an engine reached on an instance in a time limit.

A reference is found by the instance's **content** (`instance_digest`: a hash of its
FORMAT.md JSON), the engine's name and the time limit in CPU seconds, never by the
instance's name: a changed generator or an edited file cannot pass an old cost off as its
reference. A missing one can be solved (seed 0, through `vrp.solvers.solve`, so
`evaluate()` scores it) and appended (`ReferenceStore.get`).

Records are JSON lines, appended as they are made (the fields of ``docs/data/README.md``;
records made here add ``solver`` and ``seed``). A store reads two kinds of files:

- read-only ones: by default ``docs/data/neural-references.jsonl`` of the checkout
  (`COMMITTED`), the 9,600 PyVRP references at 10 CPU s behind the neural gap table;
- the one it appends to: by default ``references.jsonl`` in `vrp.places.cache_home`
  (``.cache/`` of a checkout). A script that grows a committed file names that file instead.

For each (digest, solver, time limit) the last record read wins, so a reference solved
again replaces the old one. Its users: `vrp train` (validation references, handed to
training as data), ``vrp benchmark --reference store:SOLVER@SECONDS``, the neural gap table
(`vrp.benchmark.gap_table`, which joins run records to references by ``instance_digest``)
and ``scripts/neural_benchmark.py references``, which grows the committed file. Torch-free;
the solvers are imported only to solve.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from vrp.benchmark.runner import (
    append_jsonl,
    code_version,
    engine_text,
    instance_digest,
    read_jsonl,
)
from vrp.model.instance import Instance
from vrp.places import cache_home, source_root

COMMITTED = "docs/data/neural-references.jsonl"
"""The committed references, relative to the checkout."""
LOCAL = "references.jsonl"
"""The file in `vrp.places.cache_home` that references made on this machine go to."""
SHORT = 0.9
"""A reference that used under this share of its CPU budget counts as short (a busy machine's
wall cap cut it): ``redo_short`` solves it again."""

Log = Callable[[str], None]


def record_solver(record: Mapping[str, Any]) -> str:
    """The engine a record was made by: its ``solver`` field, or the first word of its
    ``engine`` (``"pyvrp 0.14.1"``), the form of the committed records."""
    return str(record.get("solver") or str(record.get("engine", "")).split(" ")[0])


def is_short(record: Mapping[str, Any]) -> bool:
    """Whether a reference got under `SHORT` of its CPU budget."""
    return record["cpu_s"] < SHORT * record["time_limit"]


def _key(digest: str, solver: str, time_limit: float) -> tuple[str, str, float]:
    return digest, solver, float(time_limit)


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class ReferenceStore:
    """Reference records read from ``read_only`` files and ``path``; new ones go to ``path``.

    Look-ups are by instance content, solver and time limit (see the module docstring).
    """

    def __init__(self, path: Path, read_only: Sequence[Path] = ()):
        self.path = Path(path)
        self.read_only = tuple(Path(p) for p in read_only if Path(p) != self.path)
        self._records: dict[tuple[str, str, float], dict[str, Any]] = {}
        self._by_name: dict[tuple[str, str, float], dict[str, Any]] = {}
        for file in (*self.read_only, self.path):
            for record in read_jsonl(file):
                self._index(record)

    @classmethod
    def default(cls) -> ReferenceStore:
        """The committed records of this checkout (if any) and the local cache file."""
        root = source_root()
        committed = [root / COMMITTED] if root is not None else []
        return cls(cache_home() / LOCAL, read_only=committed)

    def _index(self, record: dict[str, Any]) -> None:
        try:
            key = _key(record["digest"], record_solver(record), record["time_limit"])
        except (KeyError, TypeError, ValueError):
            return  # not a reference record
        self._records[key] = record
        self._by_name[(str(record.get("instance")), key[1], key[2])] = record

    def __len__(self) -> int:
        return len(self._records)

    def records(self) -> list[dict[str, Any]]:
        """Every reference in force (the last one of each key)."""
        return list(self._records.values())

    def lookup(
        self, instance: Instance, solver: str, time_limit: float, digest: str | None = None
    ) -> dict[str, Any] | None:
        """The stored reference of these data, solver and limit, or None."""
        return self.find(digest or instance_digest(instance), solver, time_limit)

    def find(self, digest: str, solver: str, time_limit: float) -> dict[str, Any] | None:
        """The stored reference of the instance whose `instance_digest` is ``digest`` (a run
        record's ``instance_digest``), or None."""
        return self._records.get(_key(digest, solver, time_limit))

    def stale(self, instance: Instance, solver: str, time_limit: float) -> dict[str, Any] | None:
        """A stored reference for an instance of this name but other data (a changed
        generator or file), or None: it is never used, only reported."""
        old = self._by_name.get((instance.name, solver, float(time_limit)))
        if old is None or old["digest"] == instance_digest(instance):
            return None
        return old

    def get(
        self,
        instance: Instance,
        solver: str,
        time_limit: float,
        *,
        solve: bool = True,
        redo_short: bool = False,
        log: Log | None = _stderr,
    ) -> dict[str, Any] | None:
        """The reference of ``instance``; with ``solve``, a missing one (and with
        ``redo_short`` a short one) is solved now and appended to `path`. None when it is
        missing and not solved.

        Raises what `vrp.solvers.solve` raises for an instance the engine cannot take.
        """
        digest = instance_digest(instance)
        found = self.lookup(instance, solver, time_limit, digest)
        if found is not None and not (redo_short and is_short(found)):
            return found
        if not solve:
            return None
        if log is not None:
            if found is not None:
                log(f"{instance.name}: stored reference got {found['cpu_s']} CPU s; solving again")
            elif self.stale(instance, solver, time_limit) is not None:
                log(f"{instance.name}: stored reference is for other data; solving again")
        return self.add(instance, solver, time_limit, digest)

    def add(
        self, instance: Instance, solver: str, time_limit: float, digest: str | None = None
    ) -> dict[str, Any]:
        """Solve ``instance`` (seed 0) and append its reference record to `path`."""
        from vrp.solvers import solve

        res = solve(instance, solver, time_limit, seed=0)
        record = {
            "instance": instance.name,
            "variant": instance.variant.name,
            "n": instance.num_customers,
            "digest": digest or instance_digest(instance),
            "solver": solver,
            "time_limit": float(time_limit),
            "seed": 0,
            "cost": res.cost if res.feasible else None,
            "wall_s": round(res.runtime_s, 3),
            "cpu_s": round(res.cpu_s, 3),
            **_provenance(solver),
            "date": time.strftime("%Y-%m-%d %H:%M"),
        }
        append_jsonl(self.path, record)
        self._index(record)
        return record

    def costs(
        self,
        instances: Iterable[Instance],
        solver: str,
        time_limit: float,
        *,
        solve: bool = True,
        log: Log | None = _stderr,
    ) -> list[float | None]:
        """The reference cost of each instance (None: none stored and not solved, or the
        engine found no feasible routes)."""
        out = []
        for inst in instances:
            rec = self.get(inst, solver, time_limit, solve=solve, log=log)
            out.append(None if rec is None else rec["cost"])
        return out


@functools.cache
def _provenance(solver: str) -> dict[str, str]:
    """The engine's version and the commit this process started from, read once."""
    return {"engine": engine_text(solver), "code": code_version()}


def reference_costs(
    groups: Mapping[str, Sequence[Instance]],
    solver: str,
    time_limit: float,
    store: ReferenceStore | None = None,
    log: Log | None = _stderr,
) -> dict[str, list[float]]:
    """The reference cost of every instance of every group, solving those the store lacks
    (training's validation set: ``Reference.instances()`` of `vrp.neural.train`).

    Raises:
        RuntimeError: the engine found no feasible routes for one of them.
    """
    store = store or ReferenceStore.default()
    before, t0 = len(store), time.perf_counter()
    out: dict[str, list[float]] = {}
    for name, insts in groups.items():
        costs = store.costs(insts, solver, time_limit, log=log)
        for inst, cost in zip(insts, costs, strict=True):
            if cost is None:
                raise RuntimeError(f"{solver} found no feasible solution for {inst.name}")
        out[name] = [c for c in costs if c is not None]
    if log is not None:
        total = sum(len(v) for v in groups.values())
        log(
            f"reference: {total} instances, {len(store) - before} solved now by {solver} "
            f"({time_limit:g} s each) in {time.perf_counter() - t0:.0f} s, the rest from "
            f"{', '.join(map(str, (*store.read_only, store.path)))}"
        )
    return out
