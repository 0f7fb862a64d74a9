"""``geoplan run STUDY.toml``: the whole study, written as a run folder."""

from __future__ import annotations

from pathlib import Path

import click

from geoplan.cli._common import OutputOptions, output_options, run_steps, study_argument
from geoplan.study import STEPS

__all__ = ["run"]


@click.command()
@study_argument
@output_options
def run(
    *,
    study_file: Path,
    output: OutputOptions,
) -> None:
    """Run every step of a study and write maps, tables, layers and report.html."""
    run_steps(
        study_file,
        STEPS,
        output,
    )
