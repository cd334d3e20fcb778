"""`vrp variants`: the 48 variants, their attribute flags and which solver handles each."""

from __future__ import annotations

import typer

from vrp.model.variants import all_variants


def variants() -> None:
    """List the 48 variants with their attribute flags and the solvers that support each."""
    from vrp.solvers import registry

    names = registry.solver_names()
    header = f"{'variant':<13} {'flags':<16} " + " ".join(f"{n:<8}" for n in names)
    typer.echo(header)
    typer.echo("-" * len(header))
    for v in all_variants():
        marks = " ".join(
            f"{'yes' if registry.get_solver(n).unsupported(v) is None else '-':<8}" for n in names
        )
        typer.echo(f"{v.name:<13} {v.flags:<16} {marks}")
    typer.echo(
        f"\n{len(all_variants())} variants; flags: MD multi-depot, C capacity, O open, "
        "B classic backhaul, M mixed backhaul, L distance limit, TW time windows."
    )


def register(app: typer.Typer) -> None:
    app.command("variants")(variants)
