"""The ``geoplan`` command: one module per subcommand.

Exit codes: 0 success; 1 an unexpected failure (a bug: please report it);
2 a usage error (unknown option); 3 bad input data or configuration
(a :class:`~geoplan.GeoplanError`, whose message says what to fix).
"""

from __future__ import annotations

import logging
import sys

import click

from geoplan import __version__
from geoplan._errors import GeoplanError
from geoplan.cli.demo import demo
from geoplan.settings import settings

__all__ = ["cli", "main"]

EXIT_BAD_INPUT = 3


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="geoplan")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only errors; no progress bars.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default=None, help="Language of labels.")
def cli(verbose: int, quiet: bool, lang: str | None) -> None:
    """Plan community service facilities: life circles, coverage, site proposals."""
    level = (
        logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    )
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("geoplan").setLevel(level)
    if quiet:
        settings.progress = False
    if lang is not None:
        settings.lang = lang


cli.add_command(demo)


def main() -> None:
    """Run the command line, turning geoplan's own errors into a message and exit code 3."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except GeoplanError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    sys.exit(0)
