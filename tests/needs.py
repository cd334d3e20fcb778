"""What some tests need from outside the checkout, and the one place that finds it.

``SHARED``: the shared folder (published benchmark sets), ``$VRP_SHARED`` or ``../shared``
beside the checkout, as CI lays it. Without it, OSRM or OR-Tools those tests skip on a
developer's machine (the reason shows in the summary); under CI (``CI=true``) `missing`
names what is absent and tests/conftest.py stops the run before any test, in one line.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("VRP_SHARED") or ROOT.parent / "shared")
BENCHMARKS = SHARED / "benchmarks"


def in_ci() -> bool:
    """True when the run is CI's (``CI=true``, as CI services set it)."""
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def missing() -> list[str]:
    """One phrase for each outside requirement that is absent, empty when all are there."""
    out = []
    if not BENCHMARKS.is_dir():
        out.append(f"{BENCHMARKS} is absent (put shared/ beside the checkout or set VRP_SHARED)")
    try:
        from vrp.roads.osrm import executable, load_region

        load_region("monaco")
        executable("osrm-routed")
    except Exception as e:  # InputError with the fix, or anything else that broke
        out.append(f"OSRM is not set up ({e})")
    for module in ("ortools.constraint_solver.pywrapcp", "pyvrp", "hygese", "distributed"):
        try:
            importlib.import_module(module)
        except Exception as e:
            out.append(f"the dependency {module} does not import ({type(e).__name__}: {e})")
    return out
