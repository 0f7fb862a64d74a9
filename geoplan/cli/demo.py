"""``geoplan demo``: a whole study on the bundled sample, written as a run folder."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import click

from geoplan.cli._common import OutputOptions, run_steps
from geoplan.config import StudyConfig, parse_config
from geoplan.settings import BASEMAPS
from geoplan.study import STEPS

__all__ = ["demo", "demo_config"]


def demo_config() -> StudyConfig:
    """Return the demo study: ``geoplan/studies/demo.toml`` (copied to ``studies/``)."""
    import tomllib

    text = resources.files("geoplan").joinpath("studies/demo.toml").read_text(encoding="utf-8")
    return parse_config(tomllib.loads(text), origin="demo.toml")


@click.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Run folder (default: data/processed/demo).",
)
@click.option(
    "--offline-maps/--online-maps",
    default=None,
    help="Write Leaflet beside the maps so they open without the internet.",
)
@click.option("--basemap", type=click.Choice(BASEMAPS), default=None, help="Base map.")
def demo(out_dir: Path | None, offline_maps: bool | None, basemap: str | None) -> None:
    """Run the demo study on the bundled OpenStreetMap sample of central Helsinki.

    The demo replaces its own earlier run; never a folder geoplan did not
    make, nor a run of a user's own study named ``demo``.
    """
    click.echo(
        "geoplan demo: central Helsinki (© OpenStreetMap contributors, ODbL), walking network"
    )
    output = OutputOptions(out_dir=out_dir, offline_maps=offline_maps, basemap=basemap)
    run_steps(demo_config(), STEPS, output, command="demo")
