"""The ``geoplan`` command: one module per subcommand.

Exit codes: 0 success; 1 an unexpected failure (a bug: please report it);
2 a usage error (unknown option or argument); 3 bad input data or
configuration (a :class:`~geoplan.GeoplanError`, whose message says what to
fix); 4 the output folder cannot be written (an earlier run without
``--force``, a folder geoplan did not make, or no permission); 130 interrupted.
"""

from __future__ import annotations

import logging

import click

from geoplan._errors import GeoplanError, OutputError
from geoplan._version import __version__
from geoplan.cli.assets import assets
from geoplan.cli.coverage import coverage
from geoplan.cli.demo import demo
from geoplan.cli.fetch import fetch
from geoplan.cli.indicators import indicators
from geoplan.cli.life_circles import life_circles
from geoplan.cli.network import network
from geoplan.cli.run import run
from geoplan.cli.run_many import run_many
from geoplan.cli.service_areas import service_areas
from geoplan.cli.site import site
from geoplan.cli.standards import standards
from geoplan.settings import settings

__all__ = ["EXIT_BAD_INPUT", "EXIT_INTERRUPTED", "EXIT_OUTPUT", "cli", "main"]

EXIT_BAD_INPUT = 3
EXIT_OUTPUT = 4
EXIT_INTERRUPTED = 130


class _Group(click.Group):
    """Turns geoplan's own errors into a message and a meaningful exit code."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except OutputError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(EXIT_OUTPUT)
        except GeoplanError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(EXIT_BAD_INPUT)
        except KeyboardInterrupt:
            click.echo("interrupted; earlier outputs are intact", err=True)
            ctx.exit(EXIT_INTERRUPTED)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="geoplan")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors; no progress bars.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, help="Language of labels.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool, lang: str | None) -> None:
    """Plan community service facilities: life circles, coverage, site proposals.

    \b
    geoplan demo                      the whole path on the bundled sample
    geoplan run study.toml            a study from its TOML (see studies/)
    geoplan fetch --region jilin      a provincial OpenStreetMap extract
    geoplan standards                 the facility types and their thresholds
    """  # noqa: D301 (click's \b keeps the example lines as they are)
    level = (
        logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    )
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("geoplan").setLevel(level)
    changes: dict[str, object] = {}
    if quiet:
        changes["progress"] = False
    if lang is not None:
        changes["lang"] = lang
    # in force for this command only (the settings return to what they were after it)
    ctx.with_resource(settings.override(**changes))


for _command in (
    demo,
    run,
    run_many,
    network,
    life_circles,
    service_areas,
    coverage,
    indicators,
    site,
    standards,
    assets,
    fetch,
):
    cli.add_command(_command)


def main() -> None:
    """Run the command line (the ``geoplan`` entry point)."""
    cli.main(prog_name="geoplan")
