"""`vrp schema instance|solution`: print the JSON Schema of a FORMAT.md file to stdout."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer


class SchemaKind(StrEnum):
    instance = "instance"
    solution = "solution"


def schema(
    kind: Annotated[SchemaKind, typer.Argument(help="Which file: instance or solution.")],
) -> None:
    """Print the JSON Schema (Draft 2020-12) of the instance or solution JSON.

    Reading is strict: a field the schema does not list is an error; free-form data goes
    under "meta".
    """
    import json

    from vrp.formats.schema import schema as load

    typer.echo(json.dumps(load(kind.value), indent=2))


def register(app: typer.Typer) -> None:
    app.command("schema")(schema)
