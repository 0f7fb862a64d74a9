"""``geoplan fetch``: download a regional OpenStreetMap extract into the cache once."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from pathlib import Path

import click

from geoplan.sources.extracts import REGIONS, fetch_extract

__all__ = ["fetch", "region_table"]


def _width(text: str) -> int:
    """Columns ``text`` takes in a terminal (Chinese characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def region_table() -> str:
    """Return the table of regions :func:`geoplan.sources.fetch_extract` knows.

    Returns
    -------
    str
        One line per region: slug, Chinese name, English name (and what the
        extract covers beyond it), aligned for a terminal.

    Examples
    --------
    >>> print(region_table().splitlines()[0])
    slug            中文              English
    """
    rows: list[Sequence[str]] = [("slug", "中文", "English")]
    for region in REGIONS.values():
        english = f"{region.name_en} ({region.note})" if region.note else region.name_en
        rows.append((region.slug, region.name_zh, english))
    widths = [max(_width(row[i]) for row in rows) + 2 for i in range(2)]
    return "\n".join(
        _pad(row[0], widths[0]) + _pad(row[1], widths[1]) + row[2] for row in rows
    ).rstrip()


@click.command()
@click.option(
    "--region",
    default=None,
    metavar="NAME",
    help="A province-level region: slug, Chinese or English name (jilin, 吉林省, 'Jilin').",
)
@click.option("--url", default=None, help="Any http(s) URL of an .osm.pbf file instead.")
@click.option("--list", "list_regions", is_flag=True, help="List the regions and exit.")
@click.option("--force", is_flag=True, help="Download again even when the cache has it.")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Cache folder (default: settings.cache_dir); files go to its extracts/.",
)
def fetch(
    *,
    region: str | None,
    url: str | None,
    list_regions: bool,
    force: bool,
    cache_dir: Path | None,
) -> None:
    """Download a Geofabrik extract of a Chinese province (or any .osm.pbf URL) once.

    The file is checked against the MD5 the server publishes, kept in the
    cache folder and reused by later calls without the network; the path is
    printed. An interrupted download resumes. The server is Geofabrik's unless
    the environment variable GEOPLAN_EXTRACTS_URL names a mirror.

    \b
    geoplan fetch --list
    geoplan fetch --region jilin
    geoplan fetch --region 吉林省 --force
    geoplan fetch --url https://download.geofabrik.de/asia/china/jilin-latest.osm.pbf
    """  # noqa: D301 (click's \b, the backspace character, keeps the examples' lines)
    if list_regions:
        if region is not None or url is not None:
            msg = "--list takes no --region or --url"
            raise click.UsageError(msg)
        click.echo(region_table())
        return
    if (region is None) == (url is None):
        msg = "give one of --region NAME or --url URL (or --list to see the regions)"
        raise click.UsageError(msg)
    target = region if region is not None else str(url)
    path = fetch_extract(target, cache_dir=cache_dir, force=force)
    click.echo(str(path))
