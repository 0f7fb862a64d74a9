"""``geoplan service-areas STUDY.toml``: walking-time rings of each facility type."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from geoplan.cli._common import OutputOptions, output_options, run_steps, study_argument
from geoplan.config import load_config

__all__ = ["service_areas"]


def _minutes(_: click.Context, __: click.Parameter, value: str | None) -> tuple[float, ...] | None:
    if value is None:
        return None
    try:
        minutes = tuple(float(v) for v in value.split(","))
    except ValueError:
        raise click.BadParameter(
            f"{value!r}: give minutes separated by commas, e.g. 5,10,15"
        ) from None
    if any(m <= 0 for m in minutes) or list(minutes) != sorted(set(minutes)):
        raise click.BadParameter(f"{value!r}: minutes must be positive and increase, e.g. 5,10,15")
    return minutes


@click.command("service-areas")
@study_argument
@click.option("--minutes", callback=_minutes, default=None, help="Rings, e.g. 5,10,15.")
@output_options
def service_areas(
    *,
    study_file: Path,
    minutes: tuple[float, ...] | None,
    output: OutputOptions,
) -> None:
    """Draw the service areas (rings) of every facility type of a study."""
    config = dataclasses.replace(load_config(study_file), service_areas=True)
    if minutes is not None:
        config = dataclasses.replace(config, service_area_minutes=minutes)
    run_steps(
        config,
        ["service_areas"],
        output,
        suffix="-service-areas",
    )
