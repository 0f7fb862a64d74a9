"""``geoplan run-many STUDY.toml...``: many studies on a Dask cluster, merged into one summary."""

from __future__ import annotations

from pathlib import Path

import click

from geoplan.parallel import run_many as run_many_studies

__all__ = ["run_many"]


@click.command("run-many")
@click.argument(
    "study_files",
    metavar="STUDY.toml...",
    nargs=-1,
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
)
@click.option(
    "--scheduler",
    default=None,
    help="A Dask scheduler's address (tcp://host:8786), or 'serial'; default a LocalCluster.",
)
@click.option("--workers", type=click.IntRange(min=1), default=2, help="LocalCluster workers.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder of the run folders (default: the output_dir setting).",
)
@click.option("--name", default="many", help="Name of the merged folder (e.g. the province).")
@click.option("--force", is_flag=True, help="Replace earlier runs (only geoplan's own).")
def run_many(
    *,
    study_files: tuple[Path, ...],
    scheduler: str | None,
    workers: int,
    out_dir: Path | None,
    name: str,
    force: bool,
) -> None:
    """Run many studies as tasks on Dask and merge their summaries (a province of counties)."""
    merged = run_many_studies(
        study_files,
        scheduler=scheduler,
        n_workers=workers,
        out_dir=out_dir,
        name=name,
        force=force,
    )
    click.echo(f"  {len(merged.table)} studies in {merged.seconds:.1f} s")
    click.echo(f"  wrote {merged.folder} (summary.csv, studies.gpkg, map.html, report.html)")
