"""``geoplan run STUDY.toml``: the whole study, written as a run folder."""

from __future__ import annotations

from pathlib import Path

import click

from geoplan.cli._common import output_options, run_steps, study_argument
from geoplan.study import STEPS

__all__ = ["run"]


@click.command()
@study_argument
@output_options
def run(
    *,
    study_file: Path,
    out_dir: Path | None,
    force: bool,
    offline_maps: bool | None,
    basemap: str | None,
    no_maps: bool,
) -> None:
    """Run every step of a study and write maps, tables, layers and report.html."""
    run_steps(
        study_file,
        STEPS,
        out_dir=out_dir,
        force=force,
        offline_maps=offline_maps,
        basemap=basemap,
        no_maps=no_maps,
    )
