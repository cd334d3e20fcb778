"""One edit of a nested JSON-like dict, for the tests that start from a good file and break one
field (tests/test_io.py, tests/test_fleet_rules.py)."""

from __future__ import annotations

import copy
import re
from typing import Any


def edited_copy(base: dict, path: str, value: Any, *, delete: bool = False) -> dict:
    """A deep copy of ``base`` with the field at ``path`` (dots and ``[i]``, e.g.
    ``customers[0].time_window``) set to ``value``, or deleted."""
    data = copy.deepcopy(base)
    keys = [int(k) if k.isdigit() else k for k in re.split(r"[.\[\]]+", path) if k]
    node = data
    for k in keys[:-1]:
        node = node[k]
    if delete:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return data
