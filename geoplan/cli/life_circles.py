"""``geoplan life-circles STUDY.toml``: 5/10/15-minute life circles and their completeness."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from geoplan.cli._common import OutputOptions, output_options, run_steps, study_argument
from geoplan.config import load_config

__all__ = ["life_circles"]


@click.command("life-circles")
@study_argument
@click.option(
    "--level",
    "levels",
    multiple=True,
    help="Life-circle level to measure (repeat; default those of the study): 15min, 10min, 5min.",
)
@output_options
def life_circles(
    *,
    study_file: Path,
    levels: tuple[str, ...],
    output: OutputOptions,
) -> None:
    """Measure every community's life circles against the standards."""
    config = load_config(study_file)
    config = dataclasses.replace(config, life_circles=True)
    if levels:
        config = dataclasses.replace(config, life_circle_levels=levels)
    run_steps(
        config,
        ["life_circles"],
        output,
        suffix="-life-circles",
    )
