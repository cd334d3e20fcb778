"""`vrp instance from-csv` and `vrp instance sample-city`: instances on real roads.

Both write FORMAT.md instances with ``"coordinates": "lonlat"``, distances in metres and
durations in seconds from OSRM. Without ``--osrm URL`` they start a server for ``--region``
on 127.0.0.1 and stop it when done. See `vrp.roads.city` for the CSV columns and the sampling.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.shell import check_not_input, check_output_file, check_output_folder, fallback_path
from vrp.errors import InputError

if TYPE_CHECKING:
    from vrp.model.instance import Instance

instance_app = typer.Typer(
    name="instance",
    no_args_is_help=True,
    help="Instances on real roads (OSRM matrices): from a CSV of points, or sampled in a city.",
)

OsrmUrl = Annotated[
    str | None,
    typer.Option(
        "--osrm", help="A running OSRM server (http://127.0.0.1:PORT); default: start one."
    ),
]


@instance_app.command("from-csv")
def from_csv(
    points: Annotated[
        Path,
        typer.Argument(
            help="CSV with columns lon, lat and optionally id, depot, delivery, pickup, "
            "tw_early, tw_late, service_time (seconds), vehicle_types (type ids joined by |, "
            "with --fleet FILE). Without a depot column the first row is the depot."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="The instance file to write.")],
    capacity: Annotated[
        float | None,
        typer.Option("--capacity", help="Vehicle capacity (required when there are demands)."),
    ] = None,
    vehicles: Annotated[
        int | None, typer.Option("--vehicles", help="Most routes; default: as many as needed.")
    ] = None,
    fleet: Annotated[
        Path | None,
        typer.Option(
            "--fleet",
            help="A vehicles CSV (one row per vehicle type: id, capacity, count, depot, "
            "shift_start, shift_end, max_distance, fixed_cost, distance_cost, "
            "duration_factor), in place of --capacity and --vehicles.",
        ),
    ] = None,
    backhaul: Annotated[
        str, typer.Option("--backhaul", help="classic or mixed (with pickups).")
    ] = "classic",
    osrm: OsrmUrl = None,
    region: Annotated[
        str | None,
        typer.Option("--region", help="Region to serve (default monaco), or to cache under."),
    ] = None,
    max_snap: Annotated[
        float,
        typer.Option("--max-snap", help="Metres from a road beyond which a point is outside."),
    ] = 500.0,
    name: Annotated[str | None, typer.Option("--name", help="Instance name.")] = None,
) -> None:
    """Turn a CSV of locations into an instance with real road matrices."""
    from vrp.roads.city import instance_from_csv
    from vrp.roads.osrm import DEFAULT_REGION, Region, connect, load_region

    check_output_file(out, "--out")
    if fleet is not None and vehicles is not None:
        raise InputError(
            "--fleet gives each type's count; leave --vehicles out", field="--vehicles"
        )
    if fleet is not None and not fleet.is_file():
        raise InputError("no such file", field="--fleet", path=str(fleet))
    check_not_input(out, [points, fleet], "--out")
    reg: Region | None = None
    if not osrm or region:
        try:
            reg = load_region(region or DEFAULT_REGION)
        except InputError:
            if not osrm:
                raise  # with --osrm, an unprepared --region only names the cache
    with connect(osrm, reg or region) as client:
        inst = instance_from_csv(
            points,
            client,
            capacity=capacity,
            vehicle_count=vehicles,
            backhaul=backhaul,
            region=reg,
            max_snap_m=max_snap,
            name=name,
            fleet=fleet,
        )
    written = _keep(inst, out)
    typer.echo(str(written))
    typer.echo(
        f"{inst.name}: {inst.num_depots} depot(s), {inst.num_customers} customers, "
        f"variant {inst.variant.name}",
        err=True,
    )
    if written != out:
        raise typer.Exit(1)


@instance_app.command("sample-city")
def sample_city(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the files into.")],
    region: Annotated[str, typer.Option("--region", help="A prepared region.")] = "monaco",
    num_customers: Annotated[
        int, typer.Option("--num-customers", "-n", help="Customers per instance.")
    ] = 100,
    variant: Annotated[
        str, typer.Option("--variant", help="Variant name (vrptw; hvrptw with a fleet; ...).")
    ] = "cvrp",
    count: Annotated[int, typer.Option("--count", help="Instances to write.")] = 1,
    seed: Annotated[
        int, typer.Option("--seed", help="Base seed; instance i is seeded from (seed, i).")
    ] = 0,
    osrm: OsrmUrl = None,
) -> None:
    """Sample instances along a region's roads (RRNCO-style), with real road matrices."""
    from vrp.model.variants import parse_variant
    from vrp.roads.city import sample_city as sample
    from vrp.roads.osrm import connect, load_region

    check_output_folder(out, "--out")
    v = parse_variant(variant)
    reg = load_region(region)
    with connect(osrm, reg) as client:
        instances = sample(client, reg, v, num_customers, count, seed)
    paths = [_keep(inst, out / f"{inst.name}.json") for inst in instances]
    for path in paths:
        typer.echo(str(path))
    typer.echo(f"wrote {len(instances)} instance file(s) to {out}", err=True)
    if any(path.parent != out for path in paths):
        raise typer.Exit(1)


def _keep(inst: Instance, path: Path) -> Path:
    """Write ``inst`` to ``path``, or, when that fails (the road matrices took a while), to
    a fallback file in the working folder; the path written."""
    from vrp.formats.io import write_instance

    try:
        write_instance(inst, path)
        return path
    except OSError as e:
        spare = fallback_path(f"instance-{inst.name}")
        write_instance(inst, spare)  # an error here is the last word (main prints it)
        typer.echo(f"error: cannot write {path} ({e.strerror or e}); it is in {spare}", err=True)
        return spare


def register(app: typer.Typer) -> None:
    app.add_typer(instance_app)
