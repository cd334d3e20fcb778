"""The `vrp` command: one typer app, one file per command.

Only light modules are imported here; each command imports its heavy engines when it runs,
so `vrp --help` answers at once. Bad input (`InputError`) and solver failures (`SolverError`)
are caught once, here: one line on stderr, exit 1, no traceback.
"""

from __future__ import annotations

from typing import Any

import click
import typer
from typer.core import TyperGroup

from vrp.errors import InputError, SolverError


class _Group(TyperGroup):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (InputError, SolverError) as e:
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(1) from None


app = typer.Typer(
    name="vrp",
    cls=_Group,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    help="Vehicle routing: 48 variants, classical and neural solvers.",
)

# Command registration: one line per command module (each module defines `register(app)`).
from cli import benchmark, check, convert, generate, instance, osrm, solve, train, variants  # noqa: E402

variants.register(app)
solve.register(app)
check.register(app)
generate.register(app)
osrm.register(app)
instance.register(app)
convert.register(app)
train.register(app)
benchmark.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
