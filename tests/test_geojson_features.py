"""The maps' features read from one coordinate array equal geopandas' ``to_geo_dict``.

The oracle is geopandas itself: the same dict (tuples where shapely makes
tuples, so that the maps' JSON text is the same), for polygons with holes,
multipolygons, empty shapes and missing property values, and geopandas' own
answer for what is read elsewhere.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box

from geoplan.outputs._geojson import geo_dict


def random_shapes(seed: int, n: int = 60) -> list[object]:
    rng = np.random.default_rng(seed)
    shapes: list[object] = []
    for _ in range(n):
        x, y = rng.normal(size=2) * 1e3
        kind = rng.integers(0, 4)
        outer = box(x, y, x + rng.random() * 50 + 1, y + rng.random() * 50 + 1)
        if kind == 0:
            shapes.append(outer)
        elif kind == 1:  # a hole, and a ring of irrational coordinates
            shapes.append(outer.difference(Point(x + 0.5, y + 0.5).buffer(0.3)))
        elif kind == 2:
            shapes.append(MultiPolygon([outer, box(x - 9.1, y - 9.3, x - 2 / 3, y - 1 / 7)]))
        else:
            shapes.append(Polygon())
    return shapes


@pytest.mark.parametrize("seed", range(4))
def test_polygon_features_equal_geopandas(seed):
    rng = np.random.default_rng(seed)
    shapes = random_shapes(seed)
    frame = gpd.GeoDataFrame(
        {
            "tip": [f"<b>{i}</b>" for i in range(len(shapes))],
            "share": np.where(rng.random(len(shapes)) < 0.2, np.nan, rng.random(len(shapes))),
            "count": rng.integers(0, 9, len(shapes)),
        },
        geometry=shapes,
        index=rng.permutation(len(shapes)),
    )
    ours, theirs = geo_dict(frame), frame.to_geo_dict(drop_id=True)
    assert ours == theirs
    assert json.dumps(ours) == json.dumps(theirs)
    assert any(f["geometry"] is None for f in ours["features"])  # the empty ones
    assert any(f["properties"]["share"] is None for f in ours["features"])
    kinds = {f["geometry"]["type"] for f in ours["features"] if f["geometry"] is not None}
    assert kinds == {"Polygon", "MultiPolygon"}


def test_other_geometries_are_left_to_geopandas():
    shapes = [
        box(0, 0, 1, 1),
        Point(2, 3),
        None,
        shapely.Polygon([(0, 0, 1), (1, 0, 1), (1, 1, 1)]),
    ]
    for shape in shapes[1:]:
        frame = gpd.GeoDataFrame({"tip": ["a", "b"]}, geometry=[shapes[0], shape])
        assert geo_dict(frame) == frame.to_geo_dict(drop_id=True)
