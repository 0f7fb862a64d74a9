"""``geoplan site STUDY.toml``: where to build new facilities."""

from __future__ import annotations

from pathlib import Path

import click

from geoplan._errors import ConfigError
from geoplan.cli._common import OutputOptions, output_options, run_steps, study_argument
from geoplan.config import MODELS, load_config, with_sites

__all__ = ["site"]


@click.command()
@study_argument
@click.option(
    "--type", "type_id", default=None, help="Facility type (default: the study's [[sites]])."
)
@click.option("--p", "p", type=click.IntRange(min=1), default=None, help="New sites to choose.")
@click.option("--model", type=click.Choice(MODELS), default=None, help="Location model.")
@click.option("--minutes", type=click.FloatRange(min=0, min_open=True), default=None)
@output_options
def site(
    *,
    study_file: Path,
    type_id: str | None,
    p: int | None,
    model: str | None,
    minutes: float | None,
    output: OutputOptions,
) -> None:
    """Propose sites for new facilities (the study's [[sites]], or one given here)."""
    config = load_config(study_file)
    if type_id is not None:
        spec: dict[str, object] = {"facility_type": type_id, "model": model or "mclp"}
        spec |= {k: v for k, v in (("p", p), ("minutes", minutes)) if v is not None}
        config = with_sites(config, [spec], origin="the command line")
    elif p is not None or model is not None or minutes is not None:
        msg = "--p, --model and --minutes need --type (the facility type to site)"
        raise ConfigError(msg)
    if not config.sites:
        msg = (
            f"{study_file} has no [[sites]] request; add one or give --type, e.g. "
            "geoplan site study.toml --type community_canteen --p 3"
        )
        raise ConfigError(msg)
    run_steps(
        config,
        ["sites"],
        output,
        suffix="-sites",
    )
