"""Features of polygons as geopandas' ``to_geo_dict`` makes them, from one coordinate array.

geopandas maps each geometry through shapely's ``__geo_interface__``, which
reads a polygon's coordinates one point at a time: most of a city's map layers'
time (Harbin's street blocks, service areas and gaps: 0.8 s of its maps'
1.8 s). Here the rings of every polygon are read at once
(:func:`shapely.get_coordinates`) and cut into the same nested tuples, so the
dict is equal to geopandas' (the maps' JSON text is the same); other geometry
types are left to geopandas.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> frame = gpd.GeoDataFrame({"tip": ["a"]}, geometry=[box(0, 0, 1, 1)])
>>> geo_dict(frame) == frame.to_geo_dict(drop_id=True)
True
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["geo_dict"]

_POLYGON = 3
_MULTIPOLYGON = 6


def geo_dict(frame: gpd.GeoDataFrame) -> dict[str, Any]:
    """Return ``frame.to_geo_dict(drop_id=True)`` (missing values as null).

    Parameters
    ----------
    frame
        Features with unique column names; polygons and multipolygons are read
        here, anything else by geopandas.

    Returns
    -------
    dict
        A GeoJSON-like ``FeatureCollection``.
    """
    geometries = _polygon_mappings(frame.geometry.to_numpy())
    if geometries is None or not frame.columns.is_unique:
        data: dict[str, Any] = frame.to_geo_dict(drop_id=True)
        return data
    names = frame.columns.drop(frame.geometry.name)
    values = frame[names]
    properties = values.astype(object)  # Python scalars, missing values as None
    properties[pd.isna(values).to_numpy()] = None
    features = [
        {"type": "Feature", "properties": dict(zip(names, row, strict=True)), "geometry": geometry}
        for row, geometry in zip(properties.to_numpy(), geometries, strict=True)
    ]
    return {"type": "FeatureCollection", "features": features}


def _polygon_mappings(geometries: NDArray[Any]) -> list[dict[str, Any] | None] | None:
    """Return each geometry's ``__geo_interface__`` (None when missing or empty), or None.

    None when one is neither a polygon nor a multipolygon, or has z values.
    """
    types = shapely.get_type_id(geometries)
    if not np.isin(types, (_POLYGON, _MULTIPOLYGON)).all() or shapely.has_z(geometries).any():
        return None
    polygons, owner = shapely.get_parts(geometries, return_index=True)
    rings, ring_owner = shapely.get_rings(polygons, return_index=True)  # exterior, then holes
    ends = np.cumsum(shapely.get_num_coordinates(rings)).tolist()
    points = list(map(tuple, shapely.get_coordinates(rings).tolist()))
    ring_coordinates = [tuple(points[a:b]) for a, b in itertools.pairwise([0, *ends])]
    polygon_rings = _grouped(ring_coordinates, ring_owner, len(polygons))
    by_geometry = _grouped([tuple(r) for r in polygon_rings], owner, len(geometries))
    mappings: list[dict[str, Any] | None] = []
    for kind, empty, parts in zip(
        types.tolist(), shapely.is_empty(geometries).tolist(), by_geometry, strict=True
    ):
        if empty:  # geopandas: ``mapping(geom) if geom else None``
            mappings.append(None)
        elif kind == _POLYGON:
            mappings.append({"type": "Polygon", "coordinates": parts[0]})
        else:
            mappings.append({"type": "MultiPolygon", "coordinates": parts})
    return mappings


def _grouped(items: list[Any], owner: NDArray[np.intp], groups: int) -> list[list[Any]]:
    """Return ``items`` in lists by ``owner`` (sorted ascending), one list per group."""
    bounds = np.searchsorted(owner, np.arange(groups + 1)).tolist()
    return [items[a:b] for a, b in itertools.pairwise(bounds)]
