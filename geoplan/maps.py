"""folium maps of a study's results: the public name of :mod:`geoplan.outputs.maps`.

Examples
--------
>>> import geoplan
>>> geoplan.maps.coverage_map is geoplan.outputs.maps.coverage_map
True
"""

from __future__ import annotations

from geoplan.outputs.maps import (
    ASSET_URLS,
    CLUSTER_ABOVE,
    SHARE_BINS,
    InlineMap,
    add_base_layer,
    add_layer,
    add_title,
    base_layer_json,
    base_map,
    coverage_map,
    indicator_map,
    life_circle_map,
    map_html,
    network_map,
    save_map,
    service_area_map,
    show,
    site_map,
    study_map,
)

__all__ = [
    "ASSET_URLS",
    "CLUSTER_ABOVE",
    "SHARE_BINS",
    "InlineMap",
    "add_base_layer",
    "add_layer",
    "add_title",
    "base_layer_json",
    "base_map",
    "coverage_map",
    "indicator_map",
    "life_circle_map",
    "map_html",
    "network_map",
    "save_map",
    "service_area_map",
    "show",
    "site_map",
    "study_map",
]
