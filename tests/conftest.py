"""Session-wide set-up: hypothesis profiles, and CI's refusal to skip what it must test."""

from __future__ import annotations

import os

import pytest
from hypothesis import settings
from needs import in_ci, missing

# "mutation" (scripts/mutation): the same examples for every mutant, so that a verdict does
# not depend on the draw. The default profile draws anew on every run.
settings.register_profile("mutation", derandomize=True, database=None)
settings.load_profile(os.environ.get("VRP_HYPOTHESIS_PROFILE", "default"))


def pytest_sessionstart(session: pytest.Session) -> None:
    """Under CI a missing shared folder, OSRM set-up or dependency fails the run in one line.

    Elsewhere the tests that need them skip, and pytest's ``-ra`` lists each skip with its
    reason.
    """
    if in_ci() and (absent := missing()):
        raise pytest.UsageError("CI=true: " + "; ".join(absent))
