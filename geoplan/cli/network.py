"""``geoplan network STUDY.toml``: build the study's network and report on it."""

from __future__ import annotations

from pathlib import Path

import click

from geoplan.cli._common import output_options, run_steps, study_argument

__all__ = ["network"]


@click.command()
@study_argument
@output_options
def network(
    *,
    study_file: Path,
    out_dir: Path | None,
    force: bool,
    offline_maps: bool | None,
    basemap: str | None,
    no_maps: bool,
) -> None:
    """Build the travel network of a study: its layers, a map and its size."""
    run_steps(
        study_file,
        ["network"],
        out_dir=out_dir,
        force=force,
        offline_maps=offline_maps,
        basemap=basemap,
        no_maps=no_maps,
        suffix="-network",
        network_map=True,
    )
