"""`vrp train`: train a neural policy by reinforcement learning (REINFORCE, POMO baseline).

Examples::

    vrp train --variant cvrptw --num-loc 20 --epochs 1 --instances-per-epoch 2000 \\
        --out checkpoints/cvrptw-n20.ckpt
    vrp train --variant all --num-loc 50 --epochs 100 --out checkpoints/all-n50.ckpt
    vrp train --variant all --num-loc 50 --epochs 200 --resume checkpoints/all-n50.ckpt \\
        --out checkpoints/all-n50.ckpt

The validation references (PyVRP with ``--val-time`` CPU s per instance) come from the
reference store (`vrp.benchmark.references`: found by instance content, the missing ones
solved and added) or, resuming, from the checkpoint. A progress bar goes to stderr; after
each epoch the validation gap to PyVRP is printed, the metrics are written to ``<out>.csv``
and the checkpoint to ``<out>``. Ctrl-C or SIGTERM saves the checkpoint and exits 130 or 143;
``--resume`` continues from it (``--epochs`` is the total to reach). Lightning's banners (tips,
accelerator lines) and known deprecation warnings are kept off the terminal; its warnings about
the run itself are shown.
"""

from __future__ import annotations

import logging
import re
import signal
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from cli.shell import check_output_file, check_output_folder, exit_code, interrupt_exit_code
from vrp.errors import InputError
from vrp.model.variants import parse_variant, parse_variant_list

# Lightning's own chatter, not about this run: its info lines (accelerators found, tips for its
# cloud products, why fit stopped) and a deprecation inside Lightning itself.
_LIGHTNING_INFO = ("lightning.pytorch.utilities.rank_zero", "lightning.fabric.utilities.rank_zero")
_NOISE = (
    (FutureWarning, r"`isinstance\(treespec, LeafSpec\)` is deprecated"),
    (Warning, r"GPU available but not used"),
)


@contextmanager
def _quiet_lightning() -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in _LIGHTNING_INFO]
    levels = [log.level for log in loggers]
    with warnings.catch_warnings():
        for category, message in _NOISE:
            warnings.filterwarnings("ignore", message=message, category=category)
        for log in loggers:
            log.setLevel(logging.WARNING)
        try:
            yield
        finally:
            for log, level in zip(loggers, levels, strict=True):
                log.setLevel(level)


def _variants(spec: str) -> tuple[str, ...]:
    """Variant names (`parse_variant_list`), an error naming ``--variant``."""
    try:
        names = parse_variant_list(spec)
    except InputError as e:
        raise InputError(e.detail, field="--variant") from None
    fleets = [n for n in names if parse_variant(n).fleet]
    if fleets:
        raise InputError(
            f"the environment has no vehicle types (fleets) yet: {', '.join(fleets)}",
            field="--variant",
        )
    return names


STRATEGIES = ("auto", "ddp", "ddp_find_unused_parameters_true")
"""Lightning strategies `vrp train` takes (ddp_spawn would pickle the module: not tried)."""


def _positive(value: int | float, option: str) -> None:
    if value <= 0:
        raise InputError(f"must be positive, got {value}", field=option)


def train(
    variant: Annotated[
        str, typer.Option(help="Variant name, a comma-separated list, or 'all' for the 48.")
    ] = "all",
    num_loc: Annotated[int, typer.Option("--num-loc", help="Customers per instance.")] = 50,
    epochs: Annotated[int, typer.Option(help="Epochs in total (with --resume: to reach).")] = 10,
    instances_per_epoch: Annotated[
        int,
        typer.Option(
            "--instances-per-epoch",
            help="Training instances per epoch (rounded down to whole batches, at least one).",
        ),
    ] = 10_000,
    batch_size: Annotated[int, typer.Option("--batch-size", help="Instances per step.")] = 64,
    num_starts: Annotated[
        int | None, typer.Option("--num-starts", help="POMO starts per instance (default: n).")
    ] = None,
    lr: Annotated[float, typer.Option(help="Learning rate (AdamW).")] = 3e-4,
    pool: Annotated[
        str | None,
        typer.Option(
            help="Road-matrix pools to train on, separated by commas: .npz files of "
            "envs.pool.MatrixPool (scripts/make_pool.py: a real region; "
            "scripts/make_street_pools.py: synthetic cities), or 'synthetic'. Each pool "
            "instance picks one of them at random."
        ),
    ] = None,
    matrix_share: Annotated[
        float, typer.Option("--matrix-share", help="Share of each batch drawn from the pools.")
    ] = 0.5,
    val_per_variant: Annotated[
        int, typer.Option("--val-per-variant", help="Validation instances per variant.")
    ] = 8,
    val_time: Annotated[
        float,
        typer.Option("--val-time", help="PyVRP seconds per validation instance (reference)."),
    ] = 1.0,
    seed: Annotated[int, typer.Option(help="Seed of the training batches.")] = 0,
    threads: Annotated[int, typer.Option(help="CPU threads for torch.")] = 1,
    max_cpu_minutes: Annotated[
        float | None,
        typer.Option(
            "--max-cpu-minutes",
            help="Stop after the epoch in which training (validation not counted) reaches "
            "this many CPU minutes, those of the resumed checkpoint included.",
        ),
    ] = None,
    embed_dim: Annotated[int, typer.Option("--embed-dim", help="Model width.")] = 128,
    layers: Annotated[int, typer.Option(help="Encoder layers.")] = 4,
    accelerator: Annotated[str, typer.Option(help="auto, cpu or gpu (Lightning).")] = "auto",
    devices: Annotated[
        str, typer.Option(help="Devices per node (Lightning: a number or 'auto').")
    ] = "1",
    num_nodes: Annotated[int, typer.Option("--num-nodes", help="Machines (Lightning DDP).")] = 1,
    strategy: Annotated[
        str,
        typer.Option(
            help="Lightning strategy: auto, or ddp (one process per device, gloo on CPUs, "
            "NCCL on GPUs; each draws its own batches)."
        ),
    ] = "auto",
    precision: Annotated[
        str | None, typer.Option(help="Lightning precision: 32-true, bf16-mixed, 16-mixed.")
    ] = None,
    resume: Annotated[
        Path | None, typer.Option(help="Continue from this checkpoint (weights, optimizer).")
    ] = None,
    weights_only: Annotated[
        bool,
        typer.Option(
            "--weights-only",
            help="Save weights and metadata only (a few MB; --resume then restarts the optimizer).",
        ),
    ] = False,
    snapshots: Annotated[
        Path | None,
        typer.Option(
            "--snapshots",
            help="Folder for a weights-only copy of every epoch (epoch<N>.ckpt), to average "
            "the last ones when shipping (scripts/ship_checkpoint.py --average-with).",
        ),
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="Checkpoint file to write (default: checkpoints/<variant>-n<num-loc>.ckpt, "
            "where `vrp solve --solver neural` finds it).",
        ),
    ] = None,
) -> None:
    """Train a neural policy for one variant, a list, or all 48, and save its checkpoint."""
    for value, option in (
        (num_loc, "--num-loc"),
        (epochs, "--epochs"),
        (instances_per_epoch, "--instances-per-epoch"),
        (batch_size, "--batch-size"),
        (val_per_variant, "--val-per-variant"),
        (val_time, "--val-time"),
        (lr, "--lr"),
        (threads, "--threads"),
        (num_nodes, "--num-nodes"),
    ):
        _positive(value, option)
    if not 0.0 <= matrix_share <= 1.0:
        raise InputError(f"must be in [0, 1], got {matrix_share}", field="--matrix-share")
    if pool is not None:
        names = [name.strip() for name in pool.split(",") if name.strip()]
        if not names:
            raise InputError("names no pool", field="--pool")
        for name in names:
            if name != "synthetic" and not Path(name).is_file():
                raise InputError("no such pool file", field="--pool", path=name)
        pool = ",".join(names)
    if num_starts is not None:
        _positive(num_starts, "--num-starts")
    if max_cpu_minutes is not None:
        _positive(max_cpu_minutes, "--max-cpu-minutes")
    if accelerator not in ("auto", "cpu", "gpu", "cuda", "mps"):
        raise InputError(f"unknown accelerator {accelerator!r}", field="--accelerator")
    if devices != "auto" and not devices.isdigit():
        raise InputError(f"must be a number or 'auto', got {devices!r}", field="--devices")
    if strategy not in STRATEGIES:
        raise InputError(
            f"must be one of {', '.join(STRATEGIES)}, got {strategy!r}", field="--strategy"
        )
    if resume is not None and not resume.is_file():
        raise InputError("no such checkpoint file", field="--resume", path=str(resume))
    if embed_dim % 8 or embed_dim < 16:
        raise InputError(f"must be a multiple of 8, at least 16, got {embed_dim}",
                         field="--embed-dim")  # fmt: skip
    if out is None:
        label = "mixed" if "," in variant else re.sub(r"[^a-z0-9_-]", "", variant.lower())
        out = Path("checkpoints") / f"{label}-n{num_loc}.ckpt"
    check_output_file(out, "--out")  # <out>.csv and <out>.md go beside it
    if snapshots is not None:
        check_output_folder(snapshots, "--snapshots")
    from vrp.neural.policy import ModelArgs
    from vrp.neural.train import TrainConfig, resumed_reference, validation_set
    from vrp.neural.train import train as run

    config = TrainConfig(
        variants=_variants(variant),
        num_loc=num_loc,
        epochs=epochs,
        instances_per_epoch=instances_per_epoch,
        batch_size=batch_size,
        num_starts=num_starts,
        lr=lr,
        pool=pool,
        matrix_share=matrix_share if pool is not None else 0.0,
        val_per_variant=val_per_variant,
        val_reference_s=val_time,
        seed=seed,
        threads=threads,
        max_cpu_minutes=max_cpu_minutes,
    )
    # The validation references: the resumed checkpoint's when they fit, else the store's
    # (solving those it lacks); training itself never solves.
    reference = resumed_reference(resume, config) if resume is not None else None
    if reference is None:
        from vrp.benchmark.references import reference_costs

        reference = validation_set(config)
        reference.costs = reference_costs(
            reference.instances(), reference.solver, reference.time_limit_s
        )
    try:
        with _quiet_lightning():
            history = run(
                config,
                out,
                reference=reference,
                model_args=ModelArgs(embed_dim=embed_dim, num_layers=layers),
                resume=resume,
                weights_only=weights_only,
                snapshots=snapshots,
                accelerator=accelerator,
                devices=int(devices) if devices.isdigit() else devices,
                num_nodes=num_nodes,
                strategy=strategy,
                precision=precision,
                progress=progress,
            )
    except SystemExit as e:
        # Lightning ends an interrupted fit with sys.exit(1) (Ctrl-C, or SIGTERM raised as
        # Ctrl-C by `cli.shell`) or SIGTERMException, once the checkpoint is saved
        # (`vrp.neural.train.SaveOnInterrupt`); the exit code says which signal it was.
        code = _interrupt_code(e)
        if code is None:
            raise
        raise typer.Exit(code) from None
    if history and _rank_zero():  # with ddp every process gets here: one line is enough
        last = history[-1]
        typer.echo(
            f"{out}: epoch {last['epoch']}, validation gap {100 * last['val_gap']:.2f}% "
            f"to pyvrp ({last['instances']} training instances, {last['train_s']:.0f} s)"
        )


def _rank_zero() -> bool:
    from lightning.fabric.utilities.rank_zero import rank_zero_only

    return getattr(rank_zero_only, "rank", 0) == 0


def _interrupt_code(exc: SystemExit) -> int | None:
    """130 or 143 for Lightning's exit after an interrupt, None for any other exit."""
    if type(exc).__name__ == "SIGTERMException":
        return exit_code(signal.SIGTERM)
    if isinstance(exc.__context__, KeyboardInterrupt):
        return interrupt_exit_code(exc)
    return None


def register(app: typer.Typer) -> None:
    app.command("train")(train)
