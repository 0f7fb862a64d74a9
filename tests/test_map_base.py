"""The maps' base layer (the study's own data beneath every layer) and a user's own layer."""

from __future__ import annotations

import html
import json
import re

import geopandas as gpd
import numpy as np
import pytest
import shapely

import geoplan
from geoplan._i18n import describe_cutoff
from geoplan.coords import wgs84_to_gcj02
from geoplan.outputs import maps
from geoplan.sources.context import read_context
from geoplan.standards import facility_type, load_standards
from tests.test_maps import check_one_control_after_layers, legends, overlays, point_coordinates

ORIGIN = (125.32, 43.88)  # Changchun


@pytest.fixture(scope="module")
def city():
    return geoplan.datasets.synthetic_city(area_km2=1.0, seed=2, origin_lonlat=ORIGIN)


@pytest.fixture(scope="module")
def net(city):
    return city.network()


def base_layers(net, n_buildings: int = 3) -> gpd.GeoDataFrame:
    """A lake, a park and a row of buildings inside the synthetic city (network CRS)."""
    x0, y0, x1, y1 = net.bounds
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    shapes = [shapely.Point(cx, cy).buffer(60), shapely.box(x0 + 50, y0 + 50, x0 + 200, y0 + 200)]
    kinds = ["water", "green"]
    for i in range(n_buildings):
        shapes.append(shapely.box(cx + 100 + 30 * i, cy, cx + 120 + 30 * i, cy + 15))
        kinds.append("building")
    return gpd.GeoDataFrame({"kind": kinds}, geometry=shapes, crs=net.crs)


def decode_polyline(text: str) -> list[tuple[float, float]]:
    """The published polyline decoding, written out plainly: -> [(lon, lat), ...]."""
    values, shift, result = [], 0, 0
    for char in text:
        byte = ord(char) - 63
        result |= (byte & 31) << shift
        shift += 5
        if byte < 32:
            values.append(~(result >> 1) if result & 1 else result >> 1)
            shift, result = 0, 0
    lat = np.cumsum(values[0::2]) / 1e5
    lon = np.cumsum(values[1::2]) / 1e5
    return list(zip(lon.tolist(), lat.tolist(), strict=True))


def decoded(text: str) -> dict:
    """The base layer's features, each with its shapely geometry."""
    data = json.loads(text)
    for feature in data["features"]:
        if "lines" in feature:
            lines = [decode_polyline(t) for t in feature["lines"]]
            feature["geometry"] = shapely.MultiLineString(lines)
        else:
            polygons = [[decode_polyline(r) for r in rings] for rings in feature["polygons"]]
            feature["geometry"] = shapely.MultiPolygon([(p[0], p[1:]) for p in polygons])
    return data


def test_the_base_layer_holds_streets_water_green_and_buildings(city, net):
    m = maps.base_map(city.communities, basemap="none")
    data = decoded(maps.base_layer_json(net, m, base_layers(net)))
    shapes = {f["kind"]: f["geometry"] for f in data["features"]}
    assert sorted(shapes) == ["building", "green", "road", "water"]
    assert len(shapes["building"].geoms) == 3  # each building drawn
    # the lake and the park are where they were put, within the 2 m generalisation and 1 m units
    expected = base_layers(net)
    for kind in ("water", "green"):
        truth = expected.geometry[expected["kind"] == kind].iloc[0]
        drawn = gpd.GeoSeries([shapes[kind]], crs="EPSG:4326").to_crs(net.crs).iloc[0]
        assert drawn.hausdorff_distance(truth) < 3.0
    # every street is in it: the merged lines are as long as the network
    drawn = gpd.GeoSeries([shapes["road"]], crs="EPSG:4326").to_crs(net.crs).length.sum()
    _, edges = net.to_gdfs()
    assert drawn == pytest.approx(edges.length.sum(), rel=0.02)


def test_holes_and_parts_keep_their_rings_in_order(city, net):
    """A park with a pond and a lake in two parts: each polygon's rings stay its own."""
    x0, y0, x1, y1 = net.bounds
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    park = shapely.box(x0 + 50, y0 + 50, x0 + 250, y0 + 250).difference(
        shapely.box(x0 + 100, y0 + 100, x0 + 160, y0 + 160)
    )
    lake = shapely.MultiPolygon(
        [shapely.Point(cx, cy).buffer(60), shapely.box(cx + 200, cy, cx + 260, cy + 40)]
    )
    layers = gpd.GeoDataFrame({"kind": ["green", "water"]}, geometry=[park, lake], crs=net.crs)
    data = decoded(
        maps.base_layer_json(net, maps.base_map(city.communities, basemap="none"), layers)
    )
    shapes = {f["kind"]: f["geometry"] for f in data["features"]}
    assert [len(p.interiors) for p in shapes["green"].geoms] == [1]
    assert sorted(len(p.interiors) for p in shapes["water"].geoms) == [0, 0]
    for kind, truth in (("green", park), ("water", lake)):
        drawn = gpd.GeoSeries([shapes[kind]], crs="EPSG:4326").to_crs(net.crs).iloc[0]
        assert drawn.symmetric_difference(truth).area < 0.05 * truth.area


def test_a_city_of_buildings_is_left_out_of_the_base_layer(city, net, monkeypatch):
    monkeypatch.setattr(maps, "MAX_BUILDINGS_DRAWN", 2)
    m = maps.base_map(city.communities, basemap="none")
    data = decoded(maps.base_layer_json(net, m, base_layers(net, n_buildings=3)))
    assert "building" not in {f["kind"] for f in data["features"]}


def test_the_base_layer_is_in_gcj02_on_amap(city, net):
    m = maps.base_map(city.communities, basemap="amap")
    data = decoded(maps.base_layer_json(net, m, None))
    shown = data["features"][0]["geometry"]
    nodes, _ = net.to_gdfs()
    wgs = nodes.to_crs("EPSG:4326")
    gcj = np.column_stack(wgs84_to_gcj02(wgs.geometry.x.to_numpy(), wgs.geometry.y.to_numpy()))
    # every drawn vertex is a node moved into GCJ-02 (the lines run node to node)
    drawn = shapely.get_coordinates(shown)
    nearest = np.min(np.hypot(*(drawn[:, None, :] - gcj[None, :, :]).transpose(2, 0, 1)), axis=1)
    assert nearest.max() < 2e-5


def test_maps_of_a_run_share_one_base_file(city, net, tmp_path):
    data = maps.base_layer_json(net, maps.base_map(city.communities, basemap="none"), None)
    pages = []
    for name in ("a", "b"):
        m = maps.base_map(city.communities, basemap="none")
        maps.add_base_layer(m, net, data=data)
        pages.append(maps.save_map(m, tmp_path / f"{name}.html").read_text(encoding="utf-8"))
    shared = sorted(p.name for p in (tmp_path / "lib").glob("base-*.js"))
    assert len(shared) == 1
    for page in pages:
        assert f'<script src="lib/{shared[0]}"></script>' in page
        assert "window.geoplanBase = {" not in page  # not inline as well
    body = (tmp_path / "lib" / shared[0]).read_text(encoding="utf-8")
    assert body.startswith("window.geoplanBase = ")
    # one page alone (a notebook's) keeps its data inline
    m = maps.base_map(city.communities, basemap="none")
    assert "window.geoplanBase = {" in maps.map_html(maps.add_base_layer(m, net, data=data))


def test_read_context_tells_water_from_green():
    context = read_context(geoplan.datasets.sample_pbf())
    assert set(context["kind"]) == {"water", "green"}
    assert context.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    assert context.crs.to_epsg() == 4326


def test_a_users_layer_lands_in_the_maps_coordinates(city):
    m = maps.base_map(city.communities, basemap="amap")
    maps.add_layer(m, city.communities.head(2), "社区")  # a finished map with a layer
    lon, lat = ORIGIN[0] + 0.004, ORIGIN[1] + 0.003
    sites = gpd.GeoDataFrame(
        {"label": ["<b>规划点</b>"]}, geometry=[shapely.Point(lon, lat)], crs="EPSG:4326"
    )
    maps.add_layer(m, sites, "规划用地 <i>", tooltip="label")
    page = m.get_root().render()
    check_one_control_after_layers(m, page)
    assert {"社区", html.escape("规划用地 <i>")} <= set(overlays(page))
    assert any(html.escape("规划用地 <i>") in legend for legend in legends(page))
    shown = point_coordinates(page)[html.escape("<b>规划点</b>")]
    np.testing.assert_allclose(shown, wgs84_to_gcj02(lon, lat), atol=1e-6)
    assert "<b>规划点</b>" not in page


def test_every_source_has_a_short_name_in_both_languages():
    sources = load_standards()._sources.values()
    assert all(s.short_zh and s.short_en for s in sources)
    assert len({s.short_zh for s in sources}) == len(list(sources))


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("zh", "300 米（按路网距离；GB 50180-93（2002 年版）附表，已核实（标准原文））"),
        (
            "en",
            "300 m (network distance; GB 50180-93 (2002 rev.) table, verified (the text itself))",
        ),
    ],
)
def test_a_threshold_is_described_in_words(lang, expected):
    assert describe_cutoff(facility_type("kindergarten").cutoff, lang) == expected
    assert not re.search(
        r"[a-z]+_[a-z]+", describe_cutoff(facility_type("kindergarten").cutoff, "zh")
    )


def test_parts_given_end_to_end_encode_as_each_part_alone():
    from geoplan.outputs._polyline import encode_joined, encode_parts

    rng = np.random.default_rng(7)
    parts = [ORIGIN + rng.normal(0, 0.01, (n, 2)) for n in (1, 2, 9, 3, 40)]
    joined = encode_joined(np.concatenate(parts), np.array([len(p) for p in parts]))
    assert joined == encode_parts(parts)
    for text, part in zip(joined, parts, strict=True):
        assert np.allclose(decode_polyline(text), part, atol=0.6e-5)
    assert encode_joined(np.empty((0, 2)), np.array([], dtype=np.int64)) == []
