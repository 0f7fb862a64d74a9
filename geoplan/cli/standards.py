"""``geoplan standards``: the facility types geoplan knows, with their thresholds and sources."""

from __future__ import annotations

import click

from geoplan.settings import settings
from geoplan.standards import facility_types

__all__ = ["standards"]


@click.command()
@click.option("--level", default=None, help="Only types of this level (e.g. 15min, 5min).")
@click.option("--required", is_flag=True, help="Only the types the standards require.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV instead of a table.")
def standards(level: str | None, required: bool, as_csv: bool) -> None:
    """List the standard facility types (id, names, level, threshold, source)."""
    table = facility_types(level=level, required=True if required else None)
    name = "name_zh" if settings.lang == "zh" else "name_en"
    columns = [name, "level", "profile", "required", "threshold_minutes", "threshold_source"]
    shown = table[columns]
    if as_csv:
        click.echo(shown.to_csv(), nl=False)
    else:
        click.echo(shown.to_string())
