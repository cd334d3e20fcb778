"""Where vrp keeps files outside its package; the one module that decides.

A checkout (running in place, or an editable install) keeps its working files beside the
code, as the README's commands expect: ``.osrm/`` (OSRM executables and prepared regions) and
``.cache/`` (road matrices, reference costs). An installed wheel has no checkout and uses the
user's folders instead (``$XDG_DATA_HOME/vrp``, ``$XDG_CACHE_HOME/vrp``). Environment
variables override both: ``VRP_OSRM_HOME``, ``VRP_CACHE_DIR``.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path


@cache
def source_root() -> Path | None:
    """The checkout this package runs from, or None when it is installed (a wheel)."""
    root = Path(__file__).resolve().parent.parent
    pyproject = root / "pyproject.toml"
    if pyproject.is_file() and 'name = "vrp-suite"' in pyproject.read_text(encoding="utf-8"):
        return root
    return None


def _user_dir(variable: str, default: str) -> Path:
    base = os.environ.get(variable)
    return (Path(base) if base else Path.home() / default) / "vrp"


def osrm_home() -> Path:
    """The folder of the OSRM executables and the prepared regions."""
    env = os.environ.get("VRP_OSRM_HOME")
    if env:
        return Path(env).resolve()
    root = source_root()
    return root / ".osrm" if root else _user_dir("XDG_DATA_HOME", ".local/share") / "osrm"


def cache_home() -> Path:
    """The folder of caches that can be rebuilt (road matrices, reference costs)."""
    env = os.environ.get("VRP_CACHE_DIR")
    if env:
        return Path(env)
    root = source_root()
    return root / ".cache" if root else _user_dir("XDG_CACHE_HOME", ".cache")
