"""`vrp variants`: the 96 variants, their attribute flags and which solver handles each."""

from __future__ import annotations

import typer

from vrp.model.variants import all_variants, fleet_variants


def variants() -> None:
    """List the 96 variants with their attribute flags and the solvers that support each."""
    from vrp.solvers import registry

    names = registry.solver_names()
    header = f"{'variant':<13} {'flags':<16} " + " ".join(f"{n:<8}" for n in names)
    typer.echo(header)
    typer.echo("-" * len(header))
    every = all_variants() + fleet_variants()
    for v in every:
        marks = " ".join(
            f"{'yes' if registry.get_solver(n).unsupported(v) is None else '-':<8}" for n in names
        )
        typer.echo(f"{v.name:<13} {v.flags:<16} {marks}")
    typer.echo(
        f"\n{len(every)} variants; flags: MD multi-depot, H vehicle types (a fleet), C capacity, "
        "O open, B classic backhaul, M mixed backhaul, L distance limit, TW time windows."
    )


def register(app: typer.Typer) -> None:
    app.command("variants")(variants)
