"""A layer shown on many maps is converted to map coordinates once (maps.shared_coordinates)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from geoplan.coords import convert_frame
from geoplan.outputs import maps


@pytest.fixture
def blocks() -> gpd.GeoDataFrame:
    """Street blocks in Changchun's UTM zone: squares with a hole, a speck and one missing."""
    rng = np.random.default_rng(7)
    x0, y0 = 330_000.0, 4_860_000.0
    shapes = []
    for k in range(40):
        x, y = x0 + 180 * (k % 8), y0 + 180 * (k // 8)
        side = 120 + 40 * rng.random()
        shell = shapely.box(x, y, x + side, y + side)
        shapes.append(shell.difference(shapely.box(x + 40, y + 40, x + 60, y + 60)))
    shapes[3] = shapely.box(x0, y0 - 500, x0 + 2, y0 - 498)  # smaller than a map shows
    shapes[5] = None
    frame = gpd.GeoDataFrame(
        {"name": [f"block {k}" for k in range(40)]}, geometry=shapes, crs="EPSG:32651"
    )
    return frame.set_index(np.arange(100, 140))


def spy(monkeypatch) -> list[int]:
    made: list[int] = []
    real = maps._map_geometry

    def counted(geometry, *args):
        made.append(len(geometry))
        return real(geometry, *args)

    monkeypatch.setattr(maps, "_map_geometry", counted)
    return made


@pytest.mark.parametrize("basemap", ["osm", "amap"])
def test_a_layer_shown_again_is_the_same_and_converted_once(blocks, basemap, monkeypatch):
    alone = maps._to_map_coordinates(blocks, basemap)
    wgs = maps._to_map_coordinates(blocks, "osm")
    made = spy(monkeypatch)
    with maps.shared_coordinates(blocks):
        first = maps._to_map_coordinates(blocks, basemap)
        # the same geometries in another frame (other columns, a copy): converted already
        other = blocks.assign(value=np.arange(40.0)).copy()
        again = maps._to_map_coordinates(other, basemap)
    assert made == [39]  # one conversion, of the 39 present geometries
    assert_geodataframe_equal(first, alone)
    assert_geodataframe_equal(again.drop(columns="value"), alone)
    assert list(again["value"]) == [v for v in range(40) if v != 5]
    assert first.attrs == alone.attrs
    if basemap == "amap":  # GCJ-02 numbers, marked as convert_frame marks them
        assert alone.attrs["coordinate_system"] == "gcj02"
        shift = shapely.get_coordinates(alone.geometry) - shapely.get_coordinates(wgs.geometry)
        assert np.all(np.abs(shift) > 1e-4)  # hundreds of metres, as GCJ-02 moves them
    # outside a block nothing is kept
    assert maps._to_map_coordinates(blocks, basemap) is not first
    assert made == [39, 39]


def test_what_is_shown_differently_is_converted_again(blocks, monkeypatch):
    made = spy(monkeypatch)
    with maps.shared_coordinates(blocks):
        plain = maps._to_map_coordinates(blocks, "osm")
        traced = maps._to_map_coordinates(blocks, "osm", tolerance_m=10.0)
        exact = maps._to_map_coordinates(blocks, "osm", simplify=False)
        gcj = maps._to_map_coordinates(blocks, "amap")
        series = maps._to_map_coordinates(blocks.geometry, "osm")  # a GeoSeries: the same
        # equal shapes that are not the shared layer's objects, or only some of them: not shared
        twin = blocks.set_geometry(shapely.from_wkb(shapely.to_wkb(blocks.geometry)))
        maps._to_map_coordinates(twin, "osm")
        maps._to_map_coordinates(twin, "osm")
        maps._to_map_coordinates(blocks.iloc[:20], "osm")
    assert made == [39, 39, 39, 39, 39, 39, 19]
    assert_geodataframe_equal(series, plain[["geometry"]])
    assert 103 in plain.index  # a small shape alone stays (a small area still shows)
    assert not plain.geometry.geom_equals_exact(exact.geometry, 0).all()
    assert not plain.geometry.geom_equals_exact(traced.geometry, 0).all()
    assert not plain.geometry.geom_equals_exact(gcj.geometry.reindex(plain.index), 0).all()


def test_shown_coordinates_are_the_layer_in_lon_lat_rounded(blocks):
    shown = maps._to_map_coordinates(blocks, "osm", simplify=False)
    assert shown.crs == "EPSG:4326"
    expected = blocks.dropna().to_crs("EPSG:4326")
    xy = shapely.get_coordinates(expected.geometry)
    assert np.allclose(shapely.get_coordinates(shown.geometry), np.round(xy, 6), atol=0)
    gcj = convert_frame(expected, source="wgs84", target="gcj02")
    shown_gcj = maps._to_map_coordinates(blocks, "amap", simplify=False)
    assert np.allclose(
        shapely.get_coordinates(shown_gcj.geometry),
        np.round(shapely.get_coordinates(gcj.geometry), 6),
        atol=0,
    )
