"""``geoplan assets``: fill the local cache that makes maps work without the internet."""

from __future__ import annotations

import click

from geoplan.outputs.assets import AssetCache
from geoplan.outputs.maps import ASSET_URLS

__all__ = ["assets"]


@click.command()
@click.option("--check", is_flag=True, help="Only report whether the cache is complete.")
def assets(*, check: bool) -> None:
    """Fetch Leaflet into the asset cache (with npm) for --offline-maps.

    Run once while online; afterwards every map written with --offline-maps
    (or offline_maps = true) opens without the internet.
    """
    cache = AssetCache()
    if check:
        from geoplan.outputs.assets import npm_source

        missing = []
        for url in ASSET_URLS:
            source = npm_source(url)
            if source is not None and not cache.has(source[0], source[1]):
                missing.append(f"{source[0]}@{source[1]}")
        if missing:
            click.echo(f"asset cache {cache.root}: missing {', '.join(missing)}")
            raise SystemExit(1)
        click.echo(f"asset cache {cache.root}: complete")
        return
    for folder in cache.fill(ASSET_URLS):
        click.echo(f"  cached {folder}")
