"""The `vrp` command: one typer app, one file per command.

Only light modules are imported here and by the command modules at their top (typer,
`vrp.errors`, `vrp.model.variants`); each command imports numpy, its engines and its file
formats when it runs, so `vrp --help` and `vrp --version` answer at once
(`tests/test_cli_basics.py` holds that line, `scripts/help-timing` measures it). Bad input
(`InputError`), solver failures (`SolverError`) and files that cannot be read or written
(`OSError`) are caught once, here: one line on stderr, exit 1, no traceback. SIGTERM is
handled like Ctrl-C by every command (`cli.shell`): a command that saves its work on an
interrupt does so, and the exit code is 130 after Ctrl-C, 143 after SIGTERM.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from cli.shell import interrupt_exit_code, sigterm_like_ctrl_c
from vrp.errors import InputError, SolverError

if TYPE_CHECKING:
    from typer._click import Context  # typer vendors click: the click package is not needed


class _Group(TyperGroup):
    def invoke(self, ctx: Context) -> Any:
        try:
            with sigterm_like_ctrl_c():
                return super().invoke(ctx)
        except (InputError, SolverError) as e:
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(1) from None
        except OSError as e:
            where = f"{e.filename}: " if e.filename else ""
            typer.echo(f"error: {where}{e.strerror or e}", err=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt as e:
            typer.echo("\ninterrupted", err=True)
            raise typer.Exit(interrupt_exit_code(e)) from None


app = typer.Typer(
    name="vrp",
    cls=_Group,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"vrp-suite {version('vrp-suite')}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            callback=_print_version,
            is_eager=True,
            help="Print the installed version (vrp-suite X.Y.Z) and exit.",
        ),
    ] = False,
) -> None:
    """Vehicle routing: 48 variants, classical and neural solvers."""


# Command registration: one line per command module (each module defines `register(app)`).
from cli import (  # noqa: E402
    benchmark,
    check,
    convert,
    explain,
    generate,
    instance,
    osrm,
    schema,
    simulate,
    solve,
    train,
    variants,
)

variants.register(app)
solve.register(app)
check.register(app)
generate.register(app)
osrm.register(app)
instance.register(app)
convert.register(app)
train.register(app)
benchmark.register(app)
schema.register(app)
simulate.register(app)
explain.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
