"""``geoplan coverage STUDY.toml``: who lives within reach of each facility type."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import click

from geoplan._errors import ConfigError
from geoplan.cli._common import OutputOptions, output_options, run_steps, study_argument
from geoplan.config import load_config

__all__ = ["coverage"]


@click.command()
@study_argument
@click.option(
    "--type",
    "types",
    multiple=True,
    help="Measure only this facility type of the study (repeat for several).",
)
@output_options
def coverage(
    *,
    study_file: Path,
    types: tuple[str, ...],
    output: OutputOptions,
) -> None:
    """Measure population coverage (and shelter capacity) of a study's facility types."""
    config = load_config(study_file)
    if types:
        known = {s.type_id for s in config.facility_sources}
        unknown = [t for t in types if t not in known]
        if unknown:
            msg = (
                f"--type {', '.join(unknown)} is not in [facilities.types] of {study_file}; "
                f"its types: {', '.join(sorted(known)) or 'none'}"
            )
            raise ConfigError(msg)
        sources = tuple(s for s in config.facility_sources if s.type_id in types)
        config = dataclasses.replace(config, facility_sources=sources)
    run_steps(
        config,
        ["coverage"],
        output,
        suffix="-coverage",
    )
