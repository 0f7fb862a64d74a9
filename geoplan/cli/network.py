"""``geoplan network STUDY.toml``: build the study's network and report on it."""

from __future__ import annotations

from pathlib import Path

import click

from geoplan.cli._common import OutputOptions, output_options, run_steps, study_argument

__all__ = ["network"]


@click.command()
@study_argument
@output_options
def network(
    *,
    study_file: Path,
    output: OutputOptions,
) -> None:
    """Build the travel network of a study: its layers, a map and its size."""
    run_steps(
        study_file,
        ["network"],
        output,
        suffix="-network",
        network_map=True,
    )
