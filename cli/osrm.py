"""`vrp osrm prepare REGION.osm.pbf` and `vrp osrm serve`: a local OSRM on loopback.

`prepare` turns any OpenStreetMap extract into a region under ``.osrm/regions/<name>`` (see
`vrp.roads.osrm`); `serve` runs osrm-routed for a region on 127.0.0.1 until Ctrl-C and prints its
URL on stdout, for ``--osrm URL`` in other commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vrp.errors import SolverError

osrm_app = typer.Typer(
    name="osrm",
    no_args_is_help=True,
    help="A local OSRM road server: prepare regions, serve them on 127.0.0.1.",
)


@osrm_app.command("prepare")
def prepare(
    pbf: Annotated[Path, typer.Argument(help="An OpenStreetMap extract (.osm.pbf).")],
    name: Annotated[
        str | None, typer.Option("--name", help="Region name; default: the file's name.")
    ] = None,
    if_needed: Annotated[
        bool,
        typer.Option(
            "--if-needed", help="Do nothing when the region is already prepared from this file."
        ),
    ] = False,
) -> None:
    """Prepare a region for routing: osrm-extract (car profile) + osrm-contract, road list."""
    from vrp.roads.osrm import prepare_region, region_is_current

    region_name = name or pbf.name.split(".")[0]
    if if_needed and region_is_current(region_name, pbf):
        typer.echo(f"region {region_name} is up to date", err=True)
        return
    typer.echo(f"preparing region {region_name} from {pbf} ...", err=True)
    region = prepare_region(pbf, region_name)
    m = region.meta
    typer.echo(
        f"region {region.name}: {m['road_km']:g} km of roads for sampling, OSRM "
        f"{m['osrm_version']} ({m['algorithm']}), in {region.path}",
        err=True,
    )
    typer.echo(str(region.path))


@osrm_app.command("serve")
def serve(
    region: Annotated[str, typer.Option("--region", help="A prepared region.")] = "monaco",
    port: Annotated[
        int | None, typer.Option("--port", help="Port on 127.0.0.1; default: a free one.")
    ] = None,
    max_table_size: Annotated[
        int, typer.Option("--max-table-size", help="Most locations in one table request.")
    ] = 1000,
) -> None:
    """Serve a region on 127.0.0.1 until Ctrl-C or SIGTERM (its normal end: exit 0); prints
    the URL for --osrm."""
    from vrp.roads.osrm import serve as serve_region

    # SIGTERM arrives as a KeyboardInterrupt too (cli.shell), and stops the server as cleanly
    with serve_region(region, port=port, max_table_size=max_table_size, keep_log=True) as server:
        typer.echo(server.url)
        typer.echo(
            f"serving {region} at {server.url} (log: {server.log_path}); Ctrl-C stops it",
            err=True,
        )
        try:
            code = server.process.wait()
        except KeyboardInterrupt:
            typer.echo("stopping", err=True)
            return
    raise SolverError(f"osrm-routed stopped by itself (exit {code}); log: {server.log_path}")


def register(app: typer.Typer) -> None:
    app.add_typer(osrm_app)
