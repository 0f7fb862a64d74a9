"""What a map shows beneath its layers when there are no tiles: water and green space.

The maps of a run draw the study's own data light beneath every layer (the
streets, and from an OpenStreetMap extract its water, green space and the
buildings the population was estimated from), so a map opened offline, or on a
network that blocks tile servers, still shows where things are.
:func:`read_context` reads the water and green areas of an extract.

Examples
--------
>>> from geoplan.datasets import sample_pbf
>>> context = read_context(sample_pbf())
>>> sorted(set(context["kind"]))
['green', 'water']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from geoplan.sources.osm import ClipLike, SourceLike, read_facilities

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["CONTEXT_KINDS", "CONTEXT_TAGS", "read_context"]

#: The OSM tags of the areas drawn as water and as green space.
CONTEXT_TAGS: dict[str, list[str]] = {
    "natural": ["water", "wood", "scrub", "grassland", "wetland"],
    "waterway": ["riverbank"],
    "landuse": [
        "reservoir",
        "basin",
        "grass",
        "forest",
        "meadow",
        "recreation_ground",
        "village_green",
    ],
    "leisure": ["park", "garden", "nature_reserve"],
}

#: What each kind of base-layer area is.
CONTEXT_KINDS = ("water", "green")

_WATER = {
    "natural": {"water", "wetland"},
    "waterway": {"riverbank"},
    "landuse": {"reservoir", "basin"},
}


def read_context(source: SourceLike, *, clip: ClipLike = None) -> gpd.GeoDataFrame:
    """Read the water and green areas of an OpenStreetMap extract.

    Parameters
    ----------
    source
        An OSM PBF or XML file.
    clip
        Keep areas intersecting this area (Polygon in EPSG:4326, GeoDataFrame,
        or a lon/lat bbox).

    Returns
    -------
    geopandas.GeoDataFrame
        Polygons in EPSG:4326 with ``kind``: ``"water"`` (natural=water,
        wetland, waterway=riverbank, landuse=reservoir/basin) or ``"green"``
        (parks, gardens, grass, woods, meadows).
    """
    frame = read_facilities(source, tags=CONTEXT_TAGS, clip=clip)
    polygons = frame[frame.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()]
    water = np.zeros(len(polygons), dtype=bool)
    for key, values in _WATER.items():
        if key in polygons.columns:
            water |= polygons[key].isin(values).to_numpy()
    kinds = np.where(water, "water", "green")
    return polygons[["geometry"]].assign(kind=kinds)[["kind", "geometry"]]
