"""What every command shares with the shell: ``-`` for stdin and stdout, output paths checked
before any work starts, a result kept when its file cannot be written, SIGTERM handled like
Ctrl-C, and the exit codes.

Exit codes: 0 done; 1 bad input (`InputError`), no feasible solution, or a result that could
not be written where asked (it is then kept elsewhere, and stderr says where); 2 usage (typer);
130 after Ctrl-C and 143 after SIGTERM (128 + the signal), once the command has saved what it
saves on an interrupt.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from vrp.errors import InputError

if TYPE_CHECKING:
    from vrp.model.instance import Instance

STDIO = "-"
"""The file name that means stdin (an input) or stdout (an output)."""


def is_stdio(path: Path | str | None) -> bool:
    return path is not None and str(path) == STDIO


# -- signals ----------------------------------------------------------------------------------


def exit_code(signum: int | None) -> int:
    """The shell's exit code after signal ``signum``: 130 for Ctrl-C, 143 for SIGTERM."""
    return 128 + (signal.SIGINT if signum is None else signum)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C raises `KeyboardInterrupt`, so that every command stops
    (and saves) the same way for both."""


def interrupt_exit_code(exc: BaseException) -> int:
    """130 for a `KeyboardInterrupt` (also one that a library turned into an exit: its
    context), 143 for a `Terminated` one."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, Terminated):
            return exit_code(signal.SIGTERM)
        seen = seen.__context__
    return exit_code(signal.SIGINT)


@contextmanager
def sigterm_like_ctrl_c() -> Iterator[None]:
    """In this block SIGTERM raises `Terminated` (a `KeyboardInterrupt`) in the main thread.

    A process forked inside the block inherits the handler; there SIGTERM keeps its default
    action (the process ends), so a running worker or engine's child can be terminated.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    owner = os.getpid()

    def handler(signum: int, frame: object) -> None:
        if os.getpid() != owner:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise Terminated

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


# -- output paths, checked before the work --------------------------------------------------


def _writable_folder(folder: Path, target: Path, option: str) -> None:
    """``folder`` (or its nearest existing parent, where the folders will be made) must be a
    folder this process can write in."""
    base = folder
    while not base.exists() and base != base.parent:
        base = base.parent
    if not base.is_dir():
        raise InputError(f"cannot write {target}: {base} is not a folder", field=option)
    try:
        with tempfile.TemporaryFile(dir=base):  # the only sure test (root, read-only mounts)
            pass
    except OSError as e:
        raise InputError(f"cannot write in {base} ({e.strerror or e})", field=option) from None


def check_output_file(path: Path | None, option: str, *, stdout: bool = False) -> None:
    """Fail now, before any work, if the file ``path`` cannot be written (``-``: stdout,
    where ``stdout`` allows it)."""
    if path is None:
        return
    if is_stdio(path):
        if not stdout:
            raise InputError("'-' (stdout) is not possible here; give a file name", field=option)
        return
    if path.is_dir():
        raise InputError(f"{path} is a folder; give a file name", field=option)
    if path.exists() and not path.is_file():
        return  # a device or a pipe (/dev/stdout): written in place
    _writable_folder(path.parent, path, option)


def check_output_folder(path: Path, option: str) -> None:
    """Fail now, before any work, if the files cannot be written into the folder ``path``."""
    if path.exists() and not path.is_dir():
        raise InputError(f"{path} exists and is not a folder", field=option)
    _writable_folder(path, path, option)


def check_not_input(out: Path | None, inputs: list[Path | None], option: str) -> None:
    """An output must not overwrite an input file."""
    if out is None or is_stdio(out) or not out.exists():
        return
    for p in inputs:
        if p is not None and not is_stdio(p) and p.exists() and out.samefile(p):
            raise InputError(f"{out} is an input file; choose another name", field=option)


# -- reading ``-`` ----------------------------------------------------------------------------


def read_instance_arg(path: Path) -> Instance:
    """The instance in ``path``, or on stdin (FORMAT.md JSON only) when ``path`` is ``-``.

    Stdin goes through the same reader as a file (it is saved to a temporary ``stdin.json``),
    so its name defaults to ``stdin`` and its errors name ``<stdin>``.
    """
    from vrp.formats.io import read_instance

    if not is_stdio(path):
        return read_instance(path)
    text = sys.stdin.read()
    with tempfile.TemporaryDirectory(prefix="vrp-stdin-") as tmp:
        p = Path(tmp) / "stdin.json"
        p.write_text(text)
        try:
            return read_instance(p)
        except InputError as e:
            raise e.with_path("<stdin>") from None


def load_json_arg(path: Path) -> Any:
    """The parsed JSON of ``path`` (``-``: stdin); errors name the file."""
    where = "<stdin>" if is_stdio(path) else str(path)
    try:
        text = sys.stdin.read() if is_stdio(path) else path.read_text()
    except FileNotFoundError:
        raise InputError("no such file", path=where) from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(f"cannot read file ({e.__class__.__name__})", path=where) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise InputError(
            f"not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})", path=where
        ) from None


# -- writing, with a fallback -----------------------------------------------------------------


def write_json_out(path: Path, data: Any) -> None:
    """Write JSON to ``path``: ``-`` is stdout, a device or pipe is written in place, a file
    atomically (`vrp.formats.io.write_json`), all laid out by `vrp.formats.io.json_text`."""
    from vrp.formats.io import json_text, write_json

    if is_stdio(path):
        typer.echo(json_text(data))
    elif path.exists() and not path.is_file() and not path.is_dir():
        with open(path, "w") as fh:
            fh.write(json_text(data) + "\n")
    else:
        write_json(path, data)


def fallback_path(kind: str) -> Path:
    """``./vrp-<kind>-<date>-<time>.json`` (``-2``, ... when taken): where a result goes when
    its file cannot be written."""
    stem = f"vrp-{kind}-{time.strftime('%Y%m%d-%H%M%S')}"
    path, k = Path(f"{stem}.json"), 1
    while path.exists():
        k += 1
        path = Path(f"{stem}-{k}.json")
    return path


def keep_json(path: Path, data: Any, kind: str, *, on_stdout: bool) -> str | None:
    """Write ``data`` to ``path``; when that fails, to `fallback_path` in the working folder,
    and when that fails too, to stdout (unless ``on_stdout``: it is there already).

    Returns None when ``path`` was written, else the line for stderr that says where the
    result is.
    """
    try:
        write_json_out(path, data)
        return None
    except OSError as e:
        why = f"cannot write {path} ({e.strerror or e})"
    spare = fallback_path(kind)
    try:
        write_json_out(spare, data)
        return f"{why}; the {kind} is in {spare}"
    except OSError:
        pass
    if not on_stdout:
        from vrp.formats.io import json_text

        typer.echo(json_text(data))
    return f"{why}, nor {spare}; the {kind} JSON is on stdout"
