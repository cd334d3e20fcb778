"""The one exception type for bad input, caught once in `cli/`."""

from __future__ import annotations


class InputError(ValueError):
    """Bad user input: a file, a field or an argument that cannot be used.

    The message is one line that names the field (and, once the file is known,
    the file): ``a.json: customers[17].time_window: earliest > latest``.
    """

    def __init__(self, message: str, *, field: str | None = None, path: str | None = None):
        self.detail = message
        self.field = field
        self.path = path
        super().__init__(self._render())

    def _render(self) -> str:
        parts = [p for p in (self.path, self.field) if p]
        return ": ".join([*parts, self.detail])

    def with_path(self, path: str) -> InputError:
        """The same error, with the file it came from in front."""
        return InputError(self.detail, field=self.field, path=str(path))


class SolverError(RuntimeError):
    """A solver could not produce an answer (unsupported variant, no feasible solution, ...)."""
