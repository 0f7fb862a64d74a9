"""Tests for geoplan.maps: the folium map builders.

Everything here is offline: the maps are rendered to an HTML string and taken apart
(GeoJSON, legends, layer control); no tile, CDN asset or browser is touched.
"""

from __future__ import annotations

import copy
import html
import json
import os
import re
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pytest
import shapely
from jinja2.utils import htmlsafe_json_dumps
from pyproj import Geod

import geoplan
from geoplan._errors import ConfigError, CRSError, DataSourceError, InputError
from geoplan.coords import wgs84_to_gcj02
from geoplan.outputs import maps
from geoplan.standards import load_standards

ORIGIN = (125.32, 43.88)  # Changchun: inside China, so GCJ-02 differs from WGS-84
CANTEEN = "community_canteen"
GEOD = Geod(ellps="WGS84")

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "\"'><script>alert(1)</script>"
BAD_TYPE = "<b>Bad type</b>"  # not a standard type: its id becomes the layer name
RAW_MARKUP = ("<img src=x", "<script>alert", "<b>Bad type")
DOUBLE_ESCAPED = re.compile(r"&amp;(?:lt|gt|quot|amp|#x27|#39);")


# --------------------------------------------------------------------------- HTML parsing


def render(m: folium.Map) -> str:
    return m.get_root().render()


def without_ids(page: str) -> str:
    """The page with branca's element ids (random, or renumbered by geoplan) blanked out."""
    return re.sub(r"_[0-9a-f]{32}(?![0-9a-f])", "_ID", page)


def embedded(text: str) -> str:
    """``text`` as folium writes it into the page (Jinja's ``tojson``), without quotes."""
    return str(htmlsafe_json_dumps(text))[1:-1]


_DECODER = json.JSONDecoder()
_JSON_STRING = r'"(?:[^"\\]|\\.)*"'


def geojson_blocks(page: str) -> dict[str, tuple[dict[str, Any], str]]:
    """Every embedded GeoJSON layer: variable name -> (decoded data, raw JSON text)."""
    blocks = {}
    for match in re.finditer(r"(geo_json_[0-9a-f]+)_add\((?=\{)", page):
        data, end = _DECODER.raw_decode(page, match.end())
        blocks[match.group(1)] = (data, page[match.end() : end])
    assert blocks, "no GeoJSON in the page"
    return blocks


def features(page: str) -> list[dict[str, Any]]:
    return [f for data, _ in geojson_blocks(page).values() for f in data["features"]]


def layer_features(page: str, layer_name: str) -> list[dict[str, Any]]:
    """The GeoJSON features drawn in the overlay called ``layer_name``."""
    group = overlays(page)[layer_name]
    names = dict.fromkeys(re.findall(rf"(geo_json_[0-9a-f]+)\.addTo\({group}\)", page))
    blocks = geojson_blocks(page)
    return [f for name in names for f in blocks[name][0]["features"]]


def overlays(page: str) -> dict[str, str]:
    """The layer control's overlays: decoded layer name -> feature-group variable."""
    found = re.findall(r"var layer_control_[0-9a-f]+_layers = \{(.*?)\};", page, re.DOTALL)
    assert len(found) == 1, f"expected one layer control, found {len(found)}"
    section = found[0].split("overlays", 1)[1]
    pairs = re.findall(rf"({_JSON_STRING}) : (\w+),", section)
    return {json.loads(name): var for name, var in pairs}


def legends(page: str) -> list[str]:
    """The decoded HTML of every geoplan legend."""
    pattern = rf'"geoplan-legend"\);\s*div\.innerHTML = ({_JSON_STRING});'
    return [json.loads(text) for text in re.findall(pattern, page)]


def titles(page: str) -> list[str]:
    """The decoded HTML of every map title."""
    pattern = rf'"geoplan-title"\);\s*div\.innerHTML = ({_JSON_STRING});'
    return [json.loads(text) for text in re.findall(pattern, page)]


def legend_text(page: str) -> list[str]:
    """Each legend's visible text (tags removed, entities kept as written)."""
    return [re.sub(r"<[^>]+>", " ", legend) for legend in legends(page)]


def check_one_control_after_layers(m: folium.Map, page: str) -> None:
    controls = [c for c in m._children.values() if isinstance(c, folium.LayerControl)]
    assert len(controls) == 1
    assert page.count("L.control.layers(") == 1
    control_at = page.index("_layers = {")
    groups = re.findall(r"var (feature_group_[0-9a-f]+) = L\.featureGroup\(", page)
    assert groups
    for group in groups:
        assert page.index(f"var {group} = ") < control_at
    assert sorted(overlays(page).values()) == sorted(groups)
    legend_vars = re.findall(r"var (geoplan_legend_[0-9a-f]+) = ", page)
    assert all(page.index(f"var {v} = ") < control_at for v in legend_vars)


def point_coordinates(page: str) -> dict[str, tuple[float, float]]:
    """Tooltip -> coordinates of every Point feature."""
    return {
        f["properties"]["tip"]: tuple(f["geometry"]["coordinates"])
        for f in features(page)
        if f["geometry"]["type"] == "Point"
    }


def vertex_count(geometry: dict[str, Any]) -> int:
    return int(shapely.get_num_coordinates(shapely.geometry.shape(geometry)))


def metres(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> np.ndarray:
    return np.abs(GEOD.inv(lon1, lat1, lon2, lat2)[2])


def type_name(type_id: str, lang: str) -> str:
    found = load_standards().facility_type(type_id)
    return found.name_zh if lang == "zh" else found.name_en


# ------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def city() -> geoplan.datasets.SyntheticCity:
    return geoplan.datasets.synthetic_city(area_km2=1.5, seed=1, origin_lonlat=ORIGIN)


@pytest.fixture(scope="module")
def net(city):
    return city.network()


@pytest.fixture(scope="module")
def demand(city):
    return city.demand()


@pytest.fixture(scope="module")
def lc(city, net, demand):
    return geoplan.life_circles(net, city.communities, city.facilities, demand=demand)


@pytest.fixture(scope="module")
def cov(city, net, demand):
    return geoplan.coverage(net, city.facilities, demand, communities=city.communities)


@pytest.fixture(scope="module")
def canteens(city):
    return city.facilities[city.facilities["category"] == CANTEEN]


@pytest.fixture(scope="module")
def areas(net, canteens):
    rings = geoplan.service_areas(net, canteens, minutes=[5, 10, 15], mode="rings")
    return rings.assign(facility_type=CANTEEN)


@pytest.fixture(scope="module")
def proposal(city, net, demand, canteens):
    cands = geoplan.siting.candidates(net, spacing_m=200)
    return geoplan.propose_sites(
        net, cands, demand, minutes=10, p=3, existing=canteens, communities=city.communities
    )


@pytest.fixture(scope="module")
def hostile_facilities(city):
    fac = city.facilities.copy()
    fac.loc[fac.index[0], "name"] = IMG
    fac.loc[fac.index[1], "name"] = SCRIPT
    canteen = fac.index[fac["category"] == CANTEEN][0]
    fac.loc[canteen, "name"] = IMG + " canteen"
    other = fac.index[~fac["category"].isin([CANTEEN])][-1]
    fac.loc[other, "category"] = BAD_TYPE
    fac.loc[other, "name"] = SCRIPT + " bad"
    return fac


@pytest.fixture(scope="module")
def hostile_communities(city):
    """The city's communities (same index) with hostile names."""
    communities = city.communities.copy()
    communities.loc[communities.index[0], "name"] = IMG
    communities.loc[communities.index[1], "name"] = SCRIPT
    return communities


@pytest.fixture(scope="module")
def hostile_lc(city, net, demand):
    """Life circles of communities whose ids and names (the map labels them by) are hostile."""
    ids = [IMG, SCRIPT] + [f"C{i}" for i in range(2, len(city.communities))]
    communities = city.communities.set_axis(ids)
    communities["name"] = ids
    return geoplan.life_circles(net, communities, city.facilities, demand=demand)


def _builders(name, city, net, lc, cov, areas, proposal, canteens, **kwargs):
    if name == "life_circle":
        return maps.life_circle_map(lc, facilities=city.facilities, **kwargs)
    if name == "coverage":
        return maps.coverage_map(
            cov, city.facilities, facility_type=CANTEEN, communities=city.communities, **kwargs
        )
    if name == "service_area":
        return maps.service_area_map(areas, facilities=canteens, **kwargs)
    if name == "site":
        return maps.site_map(
            proposal,
            existing=canteens,
            communities=city.communities,
            facility_type=CANTEEN,
            **kwargs,
        )
    assert name == "network"
    return maps.network_map(net, **kwargs)


BUILDERS = ["life_circle", "coverage", "service_area", "site", "network"]


@pytest.fixture(scope="module")
def build(city, net, lc, cov, areas, proposal, canteens):
    def make(name: str, **kwargs: Any) -> folium.Map:
        return _builders(name, city, net, lc, cov, areas, proposal, canteens, **kwargs)

    return make


# -------------------------------------------------------------------- builders & layers


def test_base_map_is_an_empty_framed_map(city):
    m = maps.base_map(city.communities, basemap="none")
    assert isinstance(m, folium.Map)
    page = render(m)
    assert "fitBounds" in page
    assert "L.control.layers(" not in page
    assert "tileLayer" not in page  # basemap "none": no tiles at all


@pytest.mark.parametrize("name", BUILDERS)
@pytest.mark.parametrize("basemap", ["none", "osm", "amap"])
def test_each_builder_returns_a_map_with_legend_and_one_control(build, name, basemap):
    m = build(name, basemap=basemap)
    assert isinstance(m, folium.Map)
    page = render(m)
    assert page.count('L.DomUtil.create("div", "geoplan-legend")') >= 1
    assert legends(page)
    check_one_control_after_layers(m, page)


def test_layers_compose_onto_one_map(build, areas, net):
    alone_coverage = render(build("coverage", basemap="none"))
    alone_site = render(build("site", basemap="none"))
    m = build("coverage", basemap="none")
    assert build("site", m=m) is m
    page = render(m)
    check_one_control_after_layers(m, page)
    assert list(overlays(page)) == list(overlays(alone_coverage)) + list(overlays(alone_site))
    assert len(legends(page)) == len(legends(alone_coverage)) + len(legends(alone_site))
    # three builders (and a network on top) still leave exactly one control, last
    m = build("coverage", basemap="none")
    build("site", m=m)
    maps.service_area_map(areas, m=m)
    maps.network_map(net, m=m)
    page = render(m)
    check_one_control_after_layers(m, page)
    assert set(overlays(alone_coverage)) | set(overlays(alone_site)) < set(overlays(page))


def test_composed_layers_all_reach_the_control(build):
    m = build("coverage", basemap="none")  # draws the canteens: "<canteen name> (1)"
    build("service_area", m=m)  # draws them again, hidden, under the same name
    page = render(m)
    check_one_control_after_layers(m, page)


def test_composing_after_saving_keeps_one_control(build, tmp_path):
    m = build("coverage", basemap="none")
    maps.save_map(m, tmp_path / "coverage.html", offline=False)
    build("site", m=m)
    page = maps.map_html(m, offline=False)
    check_one_control_after_layers(m, page)


def test_builder_adopts_a_plain_folium_map(build):
    plain = folium.Map(tiles=None)
    m = build("coverage", m=plain)
    assert m is plain
    check_one_control_after_layers(m, render(m))


@pytest.mark.parametrize(
    ("lang", "share", "uncovered", "completeness"),
    [
        ("zh", "覆盖率", "未覆盖人口", "生活圈完整度: 15分钟生活圈"),
        ("en", "covered share", "people not covered", "life-circle completeness: "),
    ],
)
def test_layer_names_use_standard_type_names(build, city, lang, share, uncovered, completeness):
    canteen = type_name(CANTEEN, lang)
    names = list(overlays(render(build("coverage", basemap="none", lang=lang))))
    assert f"{canteen}: {share}" in names
    assert f"{canteen}: {uncovered}" in names
    assert f"{canteen} (1)" in names

    names = list(overlays(render(build("life_circle", basemap="none", lang=lang))))
    assert any(n.startswith(completeness) for n in names)
    counts = city.facilities["category"].value_counts()
    for type_id, count in counts.items():
        assert f"{type_name(str(type_id), lang)} ({count})" in names

    names = list(overlays(render(build("service_area", basemap="none", lang=lang))))
    areas_label = "服务范围" if lang == "zh" else "service areas"
    assert f"{canteen} {areas_label}" in names

    legend = " ".join(legends(render(build("coverage", basemap="none", lang=lang))))
    assert html.escape(canteen) in legend


def test_language_follows_settings(build):
    with geoplan.settings.override(lang="en"):
        names = list(overlays(render(build("coverage", basemap="none"))))
    assert f"{type_name(CANTEEN, 'en')}: covered share" in names


def test_network_map_layer_counts_edges(build, net):
    page = render(build("network", basemap="none", lang="en"))
    assert f"network ({net.n_edges:,} edges)" in overlays(page)


# ------------------------------------------------------------------------------ escaping


@pytest.fixture(scope="module", params=["zh", "en"])
def hostile_page(
    request, hostile_lc, cov, proposal, areas, hostile_facilities, hostile_communities
):
    lang = request.param
    m = maps.life_circle_map(hostile_lc, facilities=hostile_facilities, basemap="none", lang=lang)
    maps.coverage_map(
        cov, hostile_facilities, facility_type=CANTEEN, communities=hostile_communities, m=m
    )
    maps.service_area_map(areas.assign(facility_type=BAD_TYPE), facilities=hostile_facilities, m=m)
    existing = hostile_facilities[hostile_facilities["category"] == CANTEEN]
    maps.site_map(
        proposal, existing=existing, communities=hostile_communities, facility_type=BAD_TYPE, m=m
    )
    return lang, render(m)


def page_titles(page: str) -> list[str]:
    return re.findall(r"<title>(.*?)</title>", page, flags=re.DOTALL)


def test_the_page_is_named_by_its_map_title_in_its_language(hostile_page):
    lang, page = hostile_page
    (title,) = page_titles(page)  # one, the first map's (a map drawn onto keeps it)
    assert title.startswith("生活圈完整度: " if lang == "zh" else "life-circle completeness: ")


def test_the_page_title_is_escaped_and_follows_the_last_title(city):
    m = maps.base_map(city.communities, basemap="none")
    maps.add_title(m, "first")
    name = "{{ 7*7 }} " + SCRIPT + " 社区"  # a template in a name stays text
    maps.add_title(m, name, "subtitle")
    assert page_titles(render(m)) == [html.escape(name)]


@pytest.mark.parametrize(("lang", "code"), [("zh", "zh-CN"), ("en", "en")])
def test_a_saved_page_says_its_language(city, lang, code, tmp_path):
    m = maps.base_map(city.communities, basemap="none", lang=lang)
    page = maps.save_map(m, tmp_path / "m.html").read_text(encoding="utf-8")
    assert re.findall(r"<html[^>]*>", page) == [f'<html lang="{code}">']


def test_raw_markup_never_reaches_the_page(hostile_page):
    _, page = hostile_page
    for raw in RAW_MARKUP:
        assert raw not in page
        assert raw.lower() not in page.lower()


@pytest.mark.parametrize("text", [IMG, SCRIPT, BAD_TYPE])
def test_escaped_text_is_embedded(hostile_page, text):
    _, page = hostile_page
    assert embedded(html.escape(text)) in page


def test_tooltips_and_popups_are_escaped_once(hostile_page):
    _, page = hostile_page
    tips = [f["properties"]["tip"] for f in features(page)]
    pops = [f["properties"].get("pop", "") for f in features(page)]
    # facility names (tooltip = the name; popup = a table holding it)
    for name in (IMG, SCRIPT, IMG + " canteen", SCRIPT + " bad"):
        assert html.escape(name) in tips
        assert any(f"<b>{html.escape(name)}</b>" in p for p in pops)
    # community names in the coverage and site layers
    for name in (IMG, SCRIPT):
        assert any(t.startswith(f"{html.escape(name)}: ") for t in tips)
    # community ids labelling the life-circle layer
    assert any(t.startswith(f"{html.escape(SCRIPT)}: ") for t in tips)
    for text in tips + pops:
        assert not DOUBLE_ESCAPED.search(text)  # escaped exactly once
        assert "<img" not in text
        assert "<script" not in text


def test_layer_names_are_escaped(hostile_page):
    lang, page = hostile_page
    names = list(overlays(page))
    bad = html.escape(BAD_TYPE)
    areas_label = "服务范围" if lang == "zh" else "service areas"
    share_after = "建设后覆盖率" if lang == "zh" else "covered after"
    assert f"{bad} (1)" in names
    assert f"{bad} {areas_label}" in names
    assert f"{bad}: {share_after}" in names
    # the life circles of the most populous community (its id is SCRIPT)
    assert any(n.startswith(html.escape(SCRIPT)) for n in names)
    for name in names:
        assert "<" not in name
        assert not DOUBLE_ESCAPED.search(name)


def test_legends_are_escaped(hostile_page):
    _, page = hostile_page
    texts = legend_text(page)
    bad = html.escape(BAD_TYPE)
    assert any(bad in t for t in texts)  # facility legend row, service-area and site titles
    for legend in legends(page):
        assert "<b>" not in legend
        assert "<script" not in legend
        assert "<img" not in legend


@pytest.mark.parametrize(
    "name",
    [
        "service_area",
        "site",
        pytest.param(
            "life_circle",
        ),
    ],
)
def test_legend_text_is_escaped_exactly_once(
    name, hostile_lc, areas, proposal, hostile_facilities, hostile_communities
):
    expected = html.escape(BAD_TYPE)
    if name == "life_circle":
        # titled by the id of the most populous community: SCRIPT
        m = maps.life_circle_map(hostile_lc, basemap="none")
        expected = html.escape(SCRIPT)
    elif name == "service_area":
        m = maps.service_area_map(
            areas.assign(facility_type=BAD_TYPE), facilities=hostile_facilities, basemap="none"
        )
    else:
        m = maps.site_map(
            proposal, communities=hostile_communities, facility_type=BAD_TYPE, basemap="none"
        )
    texts = legends(render(m))
    for legend in texts:
        assert not DOUBLE_ESCAPED.search(legend)
    assert any(expected in t for t in texts)


# --------------------------------------------------------------------------- coordinates


@pytest.mark.parametrize("basemap", ["osm", "none", "amap"])
def test_point_coordinates_follow_the_basemap(city, lc, basemap):
    fac = city.facilities
    page = render(maps.life_circle_map(lc, facilities=fac, basemap=basemap))
    shown = point_coordinates(page)
    wgs = fac.to_crs("EPSG:4326")
    lon, lat = wgs.geometry.x.to_numpy(), wgs.geometry.y.to_numpy()
    gcj_lon, gcj_lat = wgs84_to_gcj02(lon, lat)
    assert fac["name"].is_unique
    got = np.array([shown[html.escape(n)] for n in fac["name"]])
    assert got.shape == (len(fac), 2)
    if basemap == "amap":
        np.testing.assert_allclose(got[:, 0], gcj_lon, rtol=0, atol=1e-6)
        np.testing.assert_allclose(got[:, 1], gcj_lat, rtol=0, atol=1e-6)
        shift = metres(got[:, 0], got[:, 1], lon, lat)
        assert np.all((shift > 100) & (shift < 700))
    else:
        np.testing.assert_allclose(got[:, 0], lon, rtol=0, atol=1e-6)
        np.testing.assert_allclose(got[:, 1], lat, rtol=0, atol=1e-6)
        assert np.all(metres(got[:, 0], got[:, 1], gcj_lon, gcj_lat) > 100)


@pytest.mark.parametrize("basemap", ["none", "amap"])
def test_polygon_vertices_follow_the_basemap(city, cov, basemap):
    communities = city.communities
    m = maps.coverage_map(cov, facility_type=CANTEEN, communities=communities, basemap=basemap)
    page = render(m)
    by_name = {f["properties"]["tip"].split(": ")[0]: f for f in features(page)}
    wgs = communities.to_crs("EPSG:4326")
    for name, polygon in zip(communities["name"], wgs.geometry, strict=True):
        shown = np.asarray(by_name[name]["geometry"]["coordinates"][0])
        expected = np.asarray(polygon.exterior.coords)
        if basemap == "amap":
            expected = np.column_stack(wgs84_to_gcj02(expected[:, 0], expected[:, 1]))
        assert shown.shape == expected.shape  # rectangles keep their corners
        np.testing.assert_allclose(shown, expected, rtol=0, atol=1e-6)


@pytest.mark.parametrize("name", BUILDERS)
@pytest.mark.parametrize("basemap", ["none", "amap"])
def test_coordinates_have_at_most_six_decimals(build, name, basemap):
    page = render(build(name, basemap=basemap))
    n_numbers = 0
    for data, raw in geojson_blocks(page).values():
        for coordinates in re.findall(r'"coordinates": (\[[-\d.,\[\]\s]*\])', raw):
            numbers = re.findall(r"-?\d+(?:\.\d+)?", coordinates)
            n_numbers += len(numbers)
            assert all(len(n.partition(".")[2]) <= 6 for n in numbers)
        for feature in data["features"]:
            flat = np.asarray(shapely.get_coordinates(shapely.geometry.shape(feature["geometry"])))
            np.testing.assert_array_equal(flat, np.round(flat, 6))
    assert n_numbers > 0


def test_map_leaves_the_input_untouched(city, cov):
    communities = city.communities.copy()
    before = communities.geometry.copy()
    maps.coverage_map(cov, communities=communities, basemap="amap")
    assert communities.crs == city.crs
    assert before.geom_equals_exact(communities.geometry, tolerance=0).all()


# ------------------------------------------------------------------------ simplification


def _wobbly_square(crs, *, n_side: int = 2500, side: float = 1000.0, seed: int = 0):
    """A 1 km square of 4 * n_side vertices, each within 0.5 m of its side."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, side, n_side, endpoint=False)

    def jitter() -> np.ndarray:
        return rng.uniform(-0.5, 0.5, n_side)

    x0, y0 = 687000.0, 4862000.0
    xs = np.concatenate([x0 + t, x0 + side + jitter(), x0 + side - t, x0 + jitter()])
    ys = np.concatenate([y0 + jitter(), y0 + t, y0 + side + jitter(), y0 + side - t])
    polygon = shapely.Polygon(np.column_stack([xs, ys]))
    assert polygon.is_valid
    return gpd.GeoDataFrame(
        {"cutoff_minutes": [10.0], "cutoff_m": [600.0]}, geometry=[polygon], crs=crs
    )


def _shown_polygon(m: folium.Map, crs) -> tuple[int, float]:
    (feature,) = features(render(m))
    shown = shapely.geometry.shape(feature["geometry"])
    area = gpd.GeoSeries([shown], crs="EPSG:4326").to_crs(crs).area.iloc[0]
    return vertex_count(feature["geometry"]), float(area)


def turn_degrees(ring: list[list[float]]) -> np.ndarray:
    """The turn at every vertex of a closed ring (0 = straight on, 180 = a reversal)."""
    xy = np.asarray(ring)[:-1]
    a = np.roll(xy, 1, axis=0) - xy
    b = np.roll(xy, -1, axis=0) - xy
    cos = (a * b).sum(axis=1) / (np.hypot(*a.T) * np.hypot(*b.T))
    return 180 - np.degrees(np.arccos(np.clip(cos, -1, 1)))


def test_grid_traced_polygons_lose_their_staircase_and_specks(city):
    """Service areas are traced on a grid: shown smooth at the grid's precision, specks dropped."""
    cell = geoplan.settings.service_area_cell_m
    # a 1 km diagonal staircase of one-cell steps, as a grid tracing of a slanted edge gives
    steps = [(k * cell, k * cell) for k in range(101)]
    stairs = [p for i in range(100) for p in (steps[i], (steps[i + 1][0], steps[i][1]))]
    outline = [(0.0, -500.0), *stairs, (1000.0, 1000.0), (1000.0, -500.0)]
    x0, y0 = 687000.0, 4862000.0
    shell = [(x0 + x, y0 + y) for x, y in outline]
    hole = [(x0 + 700, y0 - 300), (x0 + 720, y0 - 300), (x0 + 720, y0 - 280), (x0 + 700, y0 - 280)]
    polygon = shapely.Polygon(shell, [hole])
    frame = gpd.GeoDataFrame(
        {"cutoff_minutes": [10.0], "cutoff_m": [600.0]}, geometry=[polygon], crs=city.crs
    )
    (feature,) = features(render(maps.service_area_map(frame, basemap="none")))
    shown = shapely.geometry.shape(feature["geometry"])
    assert len(shown.interiors) == 0  # a 20 m hole does not show at map precision
    assert vertex_count(feature["geometry"]) < 60  # 200 steps are gone
    ring = gpd.GeoSeries([shown], crs="EPSG:4326").to_crs(city.crs).iloc[0]
    xy = np.asarray(ring.exterior.coords)[:-1] - (x0, y0)
    along = (np.abs(xy[:, 0] - xy[:, 1]) < 30) & (xy[:, 0] > 50) & (xy[:, 0] < 950)
    turns = turn_degrees(list(ring.exterior.coords))[along]
    assert (turns < 50).all()  # along the slanted edge, no right-angled step is left
    assert ring.area == pytest.approx(polygon.area, rel=0.02)


def specks_one_by_one(geometry: np.ndarray, min_area_m2: float) -> np.ndarray:
    """The rule, shape by shape: parts and holes under the area go; if no part is left,
    the largest (the first of equals) stays as it is."""
    out = geometry.copy()
    for i, shape in enumerate(geometry):
        if shape is None or shape.is_empty or shape.geom_type not in ("Polygon", "MultiPolygon"):
            continue
        parts = list(getattr(shape, "geoms", [shape]))
        kept = [
            shapely.Polygon(
                p.exterior, [h for h in p.interiors if shapely.Polygon(h).area >= min_area_m2]
            )
            for p in parts
            if p.area >= min_area_m2
        ] or [max(parts, key=lambda p: p.area)]
        out[i] = kept[0] if len(kept) == 1 else shapely.MultiPolygon(kept)
    return out


@pytest.mark.parametrize("min_area_m2", [0.0, 10.0, 400.0, 5000.0, 1e7])
def test_specks_are_dropped_as_shape_by_shape(min_area_m2):
    rng = np.random.default_rng(7)
    shapes = [shapely.LineString([(0, 0), (1, 1)]), None, shapely.Point(1, 1), shapely.Polygon()]
    for _ in range(300):
        blobs = shapely.points(rng.uniform(0, 1000, (rng.integers(1, 8), 2)))
        shape = shapely.union_all(shapely.buffer(blobs, rng.uniform(1, 80, len(blobs))))
        if rng.random() < 0.5:  # holes of every size
            holes = shapely.points(rng.uniform(0, 1000, (6, 2)))
            shape = shape.difference(
                shapely.union_all(shapely.buffer(holes, rng.uniform(1, 30, 6)))
            )
        shapes.append(shape)
    geometry = np.array(shapes, dtype=object)
    got = maps._without_specks(geometry, min_area_m2)
    expected = specks_one_by_one(geometry, min_area_m2)
    assert [None if g is None else g.wkb for g in got] == [
        None if g is None else g.wkb for g in expected
    ]
    changed = sum(a.wkb != b.wkb for a, b in zip(got[4:], geometry[4:], strict=True))
    assert changed > 0 if min_area_m2 >= 10 else changed == 0


def test_simplification_drops_vertices_but_keeps_area(city):
    square = _wobbly_square(city.crs)
    original = square.geometry.iloc[0]
    assert shapely.get_num_coordinates(original) == 10_001
    n, area = _shown_polygon(maps.service_area_map(square, basemap="none"), city.crs)
    assert n <= 20
    assert area == pytest.approx(original.area, rel=0.01)
    assert shapely.get_num_coordinates(square.geometry.iloc[0]) == 10_001  # input untouched


def test_map_tolerance_setting_controls_simplification(city):
    square = _wobbly_square(city.crs)
    original_area = square.geometry.iloc[0].area
    counts = {}
    for tolerance in (0.05, 2.0, 50.0):
        # service areas are generalised to their grid cell too: make it small here
        with geoplan.settings.override(map_tolerance_m=tolerance, service_area_cell_m=0.05):
            m = maps.service_area_map(square, basemap="none")
        counts[tolerance], area = _shown_polygon(m, city.crs)
        assert area == pytest.approx(original_area, rel=0.01)
    assert counts[0.05] > 5000
    assert counts[0.05] > counts[2.0] >= counts[50.0] >= 4


def test_tolerance_is_in_metres_for_lonlat_input(city):
    square = _wobbly_square(city.crs).to_crs("EPSG:4326")
    with geoplan.settings.override(map_tolerance_m=0.05, service_area_cell_m=0.05):
        n, _ = _shown_polygon(maps.service_area_map(square, basemap="none"), city.crs)
    assert n > 5000  # 0.05 m, not 0.05 degrees
    with geoplan.settings.override(map_tolerance_m=2.0):
        n, _ = _shown_polygon(maps.service_area_map(square, basemap="none"), city.crs)
    assert n <= 20


# -------------------------------------------------------------------------------- errors


def test_missing_crs_says_how_to_set_it(city, cov):
    no_crs = city.communities.set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match=r"set_crs"):
        maps.base_map(no_crs, basemap="none")
    with pytest.raises(CRSError, match=r"no CRS.*set_crs\('EPSG:4326'\)"):
        maps.coverage_map(cov, communities=no_crs, basemap="none")


def test_unknown_basemap_is_a_config_error():
    with pytest.raises(ConfigError, match=r"basemap='google'.*osm"):
        maps.base_map(basemap="google")


def test_tianditu_without_key_names_the_variable(monkeypatch):
    monkeypatch.delenv("GEOPLAN_TIANDITU_KEY", raising=False)
    with pytest.raises(ConfigError, match="GEOPLAN_TIANDITU_KEY"):
        maps.base_map(basemap="tianditu")


@pytest.mark.parametrize("how", ["environment", "argument"])
def test_tianditu_key_goes_into_the_tile_url(monkeypatch, how):
    key = "tk0123456789abcdef"
    if how == "environment":
        monkeypatch.setenv("GEOPLAN_TIANDITU_KEY", key)
        m = maps.base_map(basemap="tianditu")
    else:
        monkeypatch.delenv("GEOPLAN_TIANDITU_KEY", raising=False)
        m = maps.base_map(basemap="tianditu", tianditu_key=key)
    tiles = [c.tiles for c in m._children.values() if isinstance(c, folium.TileLayer)]
    assert len(tiles) == 2
    for url in tiles:
        assert f"tk={key}" in url
        assert "{s}" in url
        assert "TILEMATRIX={z}&TILEROW={y}&TILECOL={x}" in url
    assert f"tk={key}" in render(m)


# ---------------------------------------------------------------------------------- size


@pytest.fixture(scope="module")
def large_city():
    city = geoplan.datasets.synthetic_city(area_km2=25, seed=2, origin_lonlat=ORIGIN)
    net = city.network()
    cov = geoplan.coverage(net, city.facilities, city.demand(), communities=city.communities)
    return city, net, cov


def _layer_bytes(page: str, layer_name: str) -> int:
    """Bytes of the script that defines and fills one overlay."""
    group = overlays(page)[layer_name]
    start = page.index(f"var {group} = ")
    end = page.index(f"{group}.addTo(", start)
    return end - start


def test_large_city_map_stays_small(large_city):
    city, net, cov = large_city
    assert net.n_nodes > 3000
    m = maps.coverage_map(
        cov, city.facilities, facility_type=CANTEEN, communities=city.communities, basemap="none"
    )
    page = render(m)
    assert len(page.encode()) < 2_000_000
    name = f"{type_name(CANTEEN, 'zh')}: 覆盖率"
    per_community = _layer_bytes(page, name) / len(city.communities)
    assert per_community < 3000


def test_bytes_grow_linearly_with_features(city):
    def grid(n_side: int) -> gpd.GeoDataFrame:
        x0, y0, size = 687000.0, 4862000.0, 40.0
        cells = [
            shapely.box(x0 + i * size, y0 + j * size, x0 + (i + 0.9) * size, y0 + (j + 0.9) * size)
            for i in range(n_side)
            for j in range(n_side)
        ]
        minutes = np.resize([5.0, 10.0, 15.0], len(cells))
        return gpd.GeoDataFrame(
            {"cutoff_minutes": minutes, "cutoff_m": minutes * 60}, geometry=cells, crs=city.crs
        )

    sizes = {}
    for n_side in (10, 20, 40):
        page = render(maps.service_area_map(grid(n_side), basemap="none", lang="en"))
        sizes[n_side**2] = _layer_bytes(page, "service areas")
    (n1, s1), (n2, s2), (n3, s3) = sorted(sizes.items())
    marginal_low = (s2 - s1) / (n2 - n1)
    marginal_high = (s3 - s2) / (n3 - n2)
    assert marginal_low < 600
    assert marginal_high < 600
    assert marginal_high / marginal_low < 1.3


# -------------------------------------------------------------------------------- saving


def without_language(page: str) -> str:
    """The page as folium renders it: geoplan adds its language to ``<html>``."""
    assert page.count('<html lang="zh-CN">') == 1
    return page.replace('<html lang="zh-CN">', "<html>", 1)


def test_save_map_writes_the_rendered_page(build, tmp_path):
    m = build("coverage", basemap="none")
    twin = copy.deepcopy(m)  # rendered separately: folium's render is not idempotent
    folder = tmp_path / "maps"  # created by save_map
    path = maps.save_map(m, folder / "coverage.html", offline=False)
    assert path == folder / "coverage.html"
    assert [p.name for p in folder.iterdir()] == ["coverage.html"]
    saved = path.read_text(encoding="utf-8")
    assert without_ids(without_language(saved)) == without_ids(render(twin))
    # overwriting leaves no temporary file behind either
    maps.save_map(build("site", basemap="none"), path, offline=False)
    assert [p.name for p in folder.iterdir()] == ["coverage.html"]
    assert "L.control.layers(" in path.read_text(encoding="utf-8")


def test_map_html_is_the_rendered_page(build):
    m = build("site", basemap="none")
    twin = copy.deepcopy(m)
    page = maps.map_html(m, offline=False)
    # folium's page, ids renumbered, and saying its language
    assert without_ids(without_language(page)) == without_ids(render(twin))
    assert page == maps.map_html(m, offline=False)  # and the same every time
    assert "_00000000000000000000000000000001" in page


def test_saving_twice_writes_the_same_file(build, tmp_path):
    m = build("coverage", basemap="none")
    first = maps.save_map(m, tmp_path / "a.html", offline=False).read_text(encoding="utf-8")
    second = maps.save_map(m, tmp_path / "b.html", offline=False).read_text(encoding="utf-8")
    assert first == second


def test_save_map_is_atomic_when_writing_fails(build, tmp_path, monkeypatch):
    path = tmp_path / "map.html"
    path.write_text("old map", encoding="utf-8")

    def broken_write(self: Path, text: str, encoding: str | None = None) -> int:
        with open(self, "w", encoding=encoding) as handle:
            handle.write(text[:100])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_text", broken_write)
    with pytest.raises(OSError, match="No space left"):
        maps.save_map(build("network", basemap="none"), path, offline=False)
    monkeypatch.undo()
    assert path.read_text(encoding="utf-8") == "old map"
    assert [p.name for p in tmp_path.iterdir()] == ["map.html"]


def test_save_map_into_unwritable_folder_is_a_data_source_error(build, tmp_path):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file", encoding="utf-8")
    with pytest.raises(DataSourceError, match="cannot write"):
        maps.save_map(build("network", basemap="none"), blocker / "map.html", offline=False)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can write anywhere"
)
def test_save_map_into_read_only_folder_is_a_data_source_error(build, tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(DataSourceError):
            maps.save_map(build("network", basemap="none"), folder / "map.html", offline=False)
    finally:
        folder.chmod(0o755)


def test_save_map_onto_a_folder_is_a_data_source_error(build, tmp_path):
    target = tmp_path / "map.html"
    target.mkdir()
    try:
        with pytest.raises(DataSourceError):
            maps.save_map(build("network", basemap="none"), target, offline=False)
    finally:
        assert [p.name for p in tmp_path.iterdir()] == ["map.html"]  # no temporary file left


# -------------------------------------------------------------------------- life circles


def _shown_name(lc, community) -> str:
    """How the map names a community: its ``name`` when it has one, else its id."""
    table = lc.communities
    return str(table.loc[community, "name"]) if "name" in table.columns else str(community)


def _circle_layers(page: str) -> list[str]:
    return [n for n in overlays(page) if n.endswith(" 生活圈")]


def test_life_circle_map_draws_the_most_populous_community(lc):
    page = render(maps.life_circle_map(lc, basemap="none"))
    populous = lc.communities["population"].astype(float).idxmax()
    shown = _shown_name(lc, populous)
    assert _circle_layers(page) == [f"{shown} 生活圈"]
    rings = layer_features(page, f"{shown} 生活圈")
    expected = lc.circles[lc.circles["community"] == populous]
    assert len(rings) == len(expected) == 3
    # the largest ring drawn is the community's 15-minute circle
    largest = max(rings, key=lambda f: shapely.geometry.shape(f["geometry"]).area)
    bounds = shapely.geometry.shape(largest["geometry"]).bounds
    circle = expected.sort_values("cutoff_minutes").to_crs("EPSG:4326").geometry.iloc[-1]
    np.testing.assert_allclose(bounds, circle.bounds, atol=1e-4)


def test_life_circle_map_draws_a_chosen_community(lc):
    populous = lc.communities["population"].astype(float).idxmax()
    chosen = next(c for c in lc.communities.index if c != populous)
    page = render(maps.life_circle_map(lc, community=chosen, basemap="none"))
    shown = _shown_name(lc, chosen)
    assert _circle_layers(page) == [f"{shown} 生活圈"]
    rings = layer_features(page, f"{shown} 生活圈")
    assert len(rings) == int((lc.circles["community"] == chosen).sum())


def test_life_circle_map_level(lc):
    page = render(maps.life_circle_map(lc, level="10min", basemap="none", lang="en"))
    assert "life-circle completeness: 10-minute life circle" in overlays(page)


def test_unmeasured_level_names_the_measured_ones(lc):
    with pytest.raises(InputError, match="block") as caught:
        maps.life_circle_map(lc, level="block", basemap="none")
    for level in ("15min", "10min", "5min"):
        assert level in str(caught.value)


def test_unmeasured_facility_type_lists_the_measured_ones(cov):
    with pytest.raises(InputError, match="library") as caught:
        maps.coverage_map(cov, facility_type="library", basemap="none")
    for type_id in cov.totals.index:
        assert str(type_id) in str(caught.value)


# ---------------------------------------------------------------------------- site map


@pytest.mark.parametrize(
    ("lang", "proposed", "share"),
    [("zh", "建议新建", "覆盖率"), ("en", "proposed sites", "covered share")],
)
def test_site_map_counts_sites_and_shows_before_after(build, proposal, lang, proposed, share):
    page = render(build("site", basemap="none", lang=lang))
    n_sites = len(proposal.sites)
    assert n_sites == proposal.summary["sites"] == 3
    assert f"{proposed} ({n_sites})" in overlays(page)
    assert len(layer_features(page, f"{proposed} ({n_sites})")) == n_sites
    before = f"{proposal.summary['share_before']:.0%}"
    after = f"{proposal.summary['share_after']:.0%}"
    assert before != after
    text = " ".join(legend_text(page))
    assert f"{share}: {before} → {after}" in text
    assert f"{proposed}: {n_sites}" in text


def test_show_embeds_leaflet_from_the_installed_packages(city, tmp_path):
    m = maps.base_map(city.communities, basemap="none")
    linked = maps.show(m, offline=False)
    assert "cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js" in linked.page
    frame = linked._repr_html_()
    assert frame.startswith("<iframe srcdoc=")
    assert "<script" not in frame  # the page is escaped into the attribute
    # with an empty cache and no network: Leaflet comes from the XStatic package pip installed
    with geoplan.settings.override(cache_dir=tmp_path / "empty", offline=True):
        embedded = maps.show(m)
    assert "Leaflet 1.9.3" in embedded.page
    assert "cdn.jsdelivr.net" not in embedded.page
    assert not (tmp_path / "empty").exists()  # nothing was fetched or cached


def test_each_communitys_indicator_popup_shows_its_own_values_targets_and_marks():
    import types

    import pandas as pd

    communities = gpd.GeoDataFrame(
        index=pd.Index(["a", "b"]),
        geometry=[shapely.box(0, 0, 500, 500), shapely.box(600, 0, 1100, 500)],
        crs="EPSG:32651",
    )
    by_community = pd.DataFrame(
        {
            "community_name": ["甲<b>", "乙"],
            "service_area_per_100_households": [35.0, 10.0],  # target 30 m2 (plan table)
            "meets_service_area_per_100_households": [True, False],
            "activity_area_share": [0.75, np.nan],  # target 60 %
            "meets_activity_area_share": [True, None],
        },
        index=communities.index,
    )
    result = types.SimpleNamespace(by_community=by_community)
    m = maps.indicator_map(result, communities, lang="en", basemap="none")
    page = maps.map_html(m, offline=False)
    popups = [json.loads(f'"{text}"') for text in re.findall(r'"pop": "((?:[^"\\]|\\.)*)"', page)]
    assert len(popups) == 2
    first, second = popups
    expected = ("甲&lt;b&gt;", "floor area per 100 households", "35.0 (≥ 30.0) ✓", "75% (≥ 60%) ✓")
    for shown in expected:
        assert shown in first
    for shown in ("乙", "10.0 (≥ 30.0) ✗"):
        assert shown in second
    assert "activity area" not in second  # no value: no line


@pytest.mark.parametrize("repeated", [False, True])
def test_popup_rows_hold_what_iterrows_gives(repeated):
    # the popups read rows without a Series each; every value, its type and the row's
    # name and columns are those iterrows gives (a repeated column name: iterrows itself)
    import pandas as pd

    frame = gpd.GeoDataFrame(
        {
            "name": ["甲", None, "<b>", np.nan],
            "population": [1200, 0, 35, 7],
            "meets": [True, False, True, False],
            "score": [0.5, np.nan, 1.0, 0.0],
        },
        geometry=[shapely.Point(i, i) for i in range(4)],
        index=pd.Index(["C1", "C2", "C3", "C4"], name="community"),
    )
    if repeated:
        frame = pd.concat([frame, frame[["score"]]], axis=1)
    for row, (name, series) in zip(maps._rows(frame), frame.iterrows(), strict=True):
        assert row.name == name
        assert list(row.index) == list(series.index)
        for column in dict.fromkeys(series.index):
            got, want = row[column], series[column]
            if isinstance(want, pd.Series):  # a repeated name gives a Series, as iterrows does
                assert isinstance(got, pd.Series)
                assert got.equals(want)
                continue
            assert type(got) is type(want)
            assert got is want or got == want or (pd.isna(got) and pd.isna(want))
        assert row.get("absent", "none") == series.get("absent", "none")
