"""``geoplan indicators STUDY.toml``: the plan's eight indicators from the study's register."""

from __future__ import annotations

from pathlib import Path

import click

from geoplan._errors import ConfigError
from geoplan.cli._common import OutputOptions, output_options, run_steps, study_argument
from geoplan.config import load_config

__all__ = ["indicators"]


@click.command()
@study_argument
@output_options
def indicators(*, study_file: Path, output: OutputOptions) -> None:
    """Measure the plan's indicators per community, district and study (needs [register])."""
    config = load_config(study_file)
    if config.register_source is None:
        msg = (
            f"{study_file} has no [register]: the plan's indicators are measured from the "
            'community register; add [register] source = "register.xlsx"'
        )
        raise ConfigError(msg)
    run_steps(config, ["indicators"], output, suffix="-indicators")
