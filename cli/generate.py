"""`vrp generate --variant vrptw -n 100 --count 10 --seed 0 --out DIR`: random instances.

Writes ``DIR/<name>.json`` (FORMAT.md) for each instance, atomically, and prints each path
written on stdout. The distributions are RouteFinder's, and for fleets (``h`` variants) the
HFVRP sets' type mixes; see `vrp.model.generate`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cli.shell import check_output_folder
from vrp.errors import InputError
from vrp.model.variants import FLEET_VARIANT_NAMES, VARIANT_NAMES, Variant, parse_variant

# The generator names its arguments; the user typed these options.
_OPTION = {
    "variant": "--variant",
    "num_customers": "-n/--num-customers",
    "count": "--count",
    "seed": "--seed",
}


def _variants(spec: str) -> list[Variant]:
    names = [s.strip() for s in spec.split(",") if s.strip()]
    if not names:
        raise InputError("give a variant name, a comma-separated list or 'all'", field="variant")
    if [n.lower() for n in names] == ["all"]:
        names = list(VARIANT_NAMES)
    elif [n.lower() for n in names] == ["all-h"]:
        names = list(FLEET_VARIANT_NAMES)
    return [parse_variant(n) for n in names]


def generate(
    variant: Annotated[
        str,
        typer.Option(
            "--variant",
            help="Variant name (vrptw, ovrpbl, hcvrp with a fleet, ...), a comma-separated "
            "list, 'all' for the 48 with one kind of vehicle or 'all-h' for the 48 with a fleet.",
        ),
    ],
    num_customers: Annotated[
        int, typer.Option("--num-customers", "-n", help="Customers per instance.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the files into.")],
    count: Annotated[int, typer.Option("--count", help="Instances per variant.")] = 1,
    seed: Annotated[
        int, typer.Option("--seed", help="Base seed; instance i is seeded from (seed, i).")
    ] = 0,
) -> None:
    """Generate seeded random instances (RouteFinder distributions) as FORMAT.md JSON files."""
    from vrp.formats.io import write_instance
    from vrp.model.generate import generate_many

    check_output_folder(out, "--out")
    written = 0
    try:
        # Every argument is checked by the first `generate_many`, before any file is written.
        for v in _variants(variant):
            for inst in generate_many(v, num_customers, count, seed):
                path = out / f"{inst.name}.json"
                write_instance(inst, path)
                typer.echo(str(path))
                written += 1
    except InputError as e:
        raise InputError(e.detail, field=_OPTION.get(e.field or "", e.field)) from None
    except OSError as e:
        typer.echo(
            f"error: cannot write {e.filename or out} ({e.strerror or e}) after {written} "
            "file(s); the same command writes the same files",
            err=True,
        )
        raise typer.Exit(1) from None
    typer.echo(
        f"wrote {written} instance file(s) to {out}",
        err=True,
    )


def register(app: typer.Typer) -> None:
    app.command("generate")(generate)
