"""QGIS styles in layers.gpkg: the layer_styles table QGIS reads, with one default per layer."""

from __future__ import annotations

import sqlite3
import xml.etree.ElementTree as ET

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

import geoplan
from geoplan._errors import OutputError
from geoplan.config import parse_config
from geoplan.outputs import write_layers, write_run
from geoplan.outputs.maps import SHARE_BINS
from geoplan.outputs.qgis import (
    NO_DATA_COLOUR,
    SHARE_COLOURS,
    TYPE_COLOURS,
    Symbol,
    layer_styles,
    single_symbol_qml,
    style_geopackage,
    write_layer_styles,
)

#: layer_styles as QGIS creates it (qgsogrprovidermetadata.cpp, saveStyle, through GDAL).
SCHEMA = [
    ("id", "INTEGER"),
    ("f_table_catalog", "TEXT(256)"),
    ("f_table_schema", "TEXT(256)"),
    ("f_table_name", "TEXT(256)"),
    ("f_geometry_column", "TEXT(256)"),
    ("styleName", "TEXT(30)"),
    ("styleQML", "TEXT"),
    ("styleSLD", "TEXT"),
    ("useAsDefault", "BOOLEAN"),
    ("description", "TEXT"),
    ("owner", "TEXT(30)"),
    ("ui", "TEXT(30)"),
    ("update_time", "DATETIME"),
]
RENDERERS = {
    "communities": "graduatedSymbol",
    "facilities": "categorizedSymbol",
    "service_areas": "categorizedSymbol",
}
UTM51 = "EPSG:32651"


@pytest.fixture(scope="module")
def written_twice(tmp_path_factory):
    """One synthetic study with two measured types and a site request, written twice."""
    config = parse_config(
        {
            "study": {"name": "styled"},
            "network": {"source": "synthetic"},
            "synthetic": {"area_km2": 1.0, "seed": 5},
            "communities": {"source": "synthetic"},
            "population": {"source": "synthetic"},
            "facilities": {"types": {"community_canteen": {}, "kindergarten": {}}},
            "sites": [{"facility_type": "community_canteen", "p": 2}],
            "outputs": {"basemap": "none", "rasters": False, "maps": False},
        }
    )
    result = geoplan.run_study(geoplan.Study.from_config(config))
    base = tmp_path_factory.mktemp("qgis")
    first = write_run(result, base / "first") / "layers.gpkg"
    second = write_run(result, base / "second") / "layers.gpkg"
    return result, first, second


def rows(path, sql="SELECT * FROM layer_styles ORDER BY id"):
    with sqlite3.connect(path) as connection:
        return connection.execute(sql).fetchall()


def parse(qml):
    return ET.fromstring(qml.split("\n", 1)[1])  # after the DOCTYPE line QGIS writes


def renderer(qml):
    root = parse(qml)
    assert root.tag == "qgis"
    found = root.find("renderer-v2")
    assert found is not None
    return found


def qgis_class(ranges, value):
    """QgsGraduatedSymbolRenderer::rangeForValue: the first range holding the value."""
    for position, element in enumerate(ranges):
        if float(element.get("lower")) <= value <= float(element.get("upper")):
            return position
    return None


def colour_of(symbol):
    layer = symbol.find("layer")
    red, green, blue, _ = (int(v) for v in layer.find("prop[@k='color']").get("v").split(","))
    return f"#{red:02x}{green:02x}{blue:02x}"


# --------------------------------------------------------------------------- the table


def test_the_table_has_the_schema_qgis_creates_and_is_registered_as_gdal_would(written_twice):
    _, path, _ = written_twice
    info = rows(path, "PRAGMA table_info(layer_styles)")
    assert [(name, kind) for _, name, kind, *_ in info] == SCHEMA
    assert rows(
        path, "SELECT data_type, identifier FROM gpkg_contents WHERE table_name = 'layer_styles'"
    ) == [("attributes", "layer_styles")]
    (count,) = rows(path, "SELECT count(*) FROM layer_styles")[0]
    assert rows(
        path, "SELECT feature_count FROM gpkg_ogr_contents WHERE table_name = 'layer_styles'"
    ) == [(count,)]
    # GDAL reads it as QGIS does: an attribute table, id as its FID, a boolean, a datetime
    styles = pyogrio.read_info(path, layer="layer_styles")
    assert styles["fid_column"] == "id"
    assert styles["features"] == count
    kinds = dict(zip(styles["fields"], styles["ogr_subtypes"], strict=True))
    assert kinds["useAsDefault"] == "OFSTBoolean"
    assert dict(zip(styles["fields"], styles["ogr_types"], strict=True))["update_time"] == (
        "OFTDateTime"
    )


def test_every_layer_has_exactly_one_default_style_on_its_geometry_column(written_twice):
    _, path, _ = written_twice
    geometry = dict(rows(path, "SELECT table_name, column_name FROM gpkg_geometry_columns"))
    styled = rows(
        path,
        "SELECT f_table_name, f_geometry_column, sum(useAsDefault), count(*) FROM layer_styles "
        "GROUP BY f_table_name, f_geometry_column",
    )
    assert {name for name, *_ in styled} == set(geometry)  # every layer of this run
    for name, column, defaults, _ in styled:
        assert column == geometry[name] == "geom"
        assert defaults == 1, name
    # the communities have one style per measured type: canteens (the default), kindergartens
    communities = rows(
        path,
        "SELECT styleName, useAsDefault FROM layer_styles WHERE f_table_name = 'communities' "
        "ORDER BY id",
    )
    assert communities == [("share_community_canteen", 1), ("share_kindergarten", 0)]
    catalogue = rows(
        path, "SELECT DISTINCT f_table_catalog, f_table_schema, owner FROM layer_styles"
    )
    assert catalogue == [("", "", "")]  # QGIS finds styles by f_table_schema = ''


def test_two_writes_give_identical_rows(written_twice):
    _, first, second = written_twice
    assert rows(first) == rows(second)
    # a fixed GeoPackage DATETIME (UTC), so that two runs write the same package
    stamps = rows(first, "SELECT DISTINCT update_time FROM layer_styles")
    assert stamps == [("1970-01-01T00:00:00.000Z",)]
    assert rows(first, "SELECT last_change FROM gpkg_contents WHERE table_name = 'layer_styles'")[
        0
    ] == ("1970-01-01T00:00:00.000Z",)


def test_the_geopackage_still_reads_layer_by_layer(written_twice):
    result, path, _ = written_twice
    layers = dict(pyogrio.list_layers(path))
    assert layers["layer_styles"] is None
    for name in set(layers) - {"layer_styles"}:
        frame = gpd.read_file(path, layer=name)
        assert len(frame) > 0, name
        assert frame.crs == result.study.network.crs, name
    communities = gpd.read_file(path, layer="communities")
    assert len(communities) == len(result.study.communities)


# --------------------------------------------------------------------------- the styles


def test_each_style_parses_with_the_renderer_of_its_layer(written_twice):
    _, path, _ = written_twice
    for layer, qml in rows(path, "SELECT f_table_name, styleQML FROM layer_styles"):
        found = renderer(qml)
        assert found.get("type") == RENDERERS.get(layer, "singleSymbol"), layer
        symbols = found.find("symbols")
        assert len(symbols) >= 1
        for symbol in symbols:
            layer_element = symbol.find("layer")
            # QGIS 3.18+ reads the Option map, older QGIS 3 the props: both say the same
            options = {o.get("name"): o.get("value") for o in layer_element.find("Option")}
            props = {p.get("k"): p.get("v") for p in layer_element.findall("prop")}
            assert options == props
            assert symbol.get("type") in {"marker", "line", "fill"}


def test_communities_are_graduated_on_the_maps_breaks_with_no_data_apart(written_twice):
    _, path, _ = written_twice
    (qml,) = rows(
        path,
        "SELECT styleQML FROM layer_styles WHERE styleName = 'share_community_canteen'",
    )[0]
    found = renderer(qml)
    assert found.get("attr") == 'coalesce("share_community_canteen", -1)'
    assert found.find("classificationMethod").get("id") == "Custom"  # QGIS keeps the breaks
    ranges = found.findall("ranges/range")
    symbols = {s.get("name"): s for s in found.find("symbols")}
    shares = [r for r in ranges if float(r.get("upper")) >= 0]
    bounds = sorted({float(r.get(b)) for r in shares for b in ("lower", "upper")})
    assert bounds == list(SHARE_BINS)
    colours = [colour_of(symbols[r.get("symbol")]) for r in shares]
    assert colours == list(reversed(SHARE_COLOURS))  # highest share first
    (no_data,) = [r for r in ranges if float(r.get("upper")) < 0]
    assert no_data.get("label") == "无数据"
    assert colour_of(symbols[no_data.get("symbol")]) == NO_DATA_COLOUR
    assert NO_DATA_COLOUR not in SHARE_COLOURS
    # QGIS's rule puts each share in the class the maps give it (a break goes up)
    for share in (0.0, 0.1, 0.2, 0.39, 0.4, 0.6, 0.8, 0.95, 1.0):
        maps_class = int(np.searchsorted(SHARE_BINS[1:-1], share, side="right"))
        position = qgis_class(ranges, share)
        assert colour_of(symbols[ranges[position].get("symbol")]) == SHARE_COLOURS[maps_class]
    assert ranges[qgis_class(ranges, -1.0)] is no_data


def test_facilities_are_categorised_by_type_in_the_colours_of_their_own_layers(written_twice):
    result, path, _ = written_twice
    styles = dict(rows(path, "SELECT f_table_name, styleQML FROM layer_styles"))
    found = renderer(styles["facilities"])
    assert found.get("attr") == "facility_type"
    values = [c.get("value") for c in found.findall("categories/category")]
    assert values == sorted(result.study.facilities["facility_type"].astype(str).unique())
    symbols = {s.get("name"): s for s in found.find("symbols")}
    colours = {
        c.get("value"): colour_of(symbols[c.get("symbol")])
        for c in found.findall("categories/category")
    }
    assert list(colours.values()) == list(TYPE_COLOURS[: len(values)])
    for type_id in ("community_canteen", "kindergarten"):
        (symbol,) = renderer(styles[f"facilities_{type_id}"]).find("symbols")
        assert colour_of(symbol) == colours[type_id]
    (star,) = renderer(styles["proposed_community_canteen"]).find("symbols")
    assert star.find("layer/prop[@k='name']").get("v") == "star"
    (outline,) = renderer(styles["life_circle_areas"]).find("symbols")
    assert outline.find("layer/prop[@k='style']").get("v") == "no"  # outlines only


# --------------------------------------------------------------------------- unit checks


def _communities(shares, column="share_clinic"):
    return gpd.GeoDataFrame(
        {column: shares},
        geometry=[shapely.box(i, 0, i + 1, 1) for i in range(len(shares))],
        crs=UTM51,
    )


def test_a_community_without_a_share_is_null_in_the_package_so_it_draws_grey(tmp_path):
    path = write_layers(tmp_path / "l.gpkg", {"communities": _communities([0.5, np.nan])})
    style_geopackage(path, {"communities": _communities([0.5, np.nan])}, update_time=86400.0)
    assert rows(path, 'SELECT "share_clinic" IS NULL FROM communities ORDER BY fid') == [
        (0,),
        (1,),
    ]
    assert rows(path, "SELECT update_time FROM layer_styles") == [("1970-01-02T00:00:00.000Z",)]


def test_hostile_column_names_stay_one_quoted_field():
    frame = _communities([0.5], column='share_a"b<c')
    (style,) = layer_styles({"communities": frame}, lang="en")
    found = renderer(style.qml)
    assert found.get("attr") == 'coalesce("share_a""b<c", -1)'
    assert [r.get("label") for r in found.findall("ranges/range")][-1] == "no data"
    assert len(style.name) <= 30


def test_layers_without_features_or_unknown_get_no_style():
    empty = _communities([]).iloc[:0]
    other = _communities([0.1]).rename(columns={"share_clinic": "x"})
    assert layer_styles({"communities": empty, "something_else": other}) == []
    (style,) = layer_styles({"communities": other})
    assert renderer(style.qml).get("type") == "singleSymbol"  # outlines without any share


def test_a_symbol_knows_its_qgis_properties():
    qml = single_symbol_qml(Symbol("marker", "#d7191c", size_mm=5.0, shape="star", outline=None))
    (symbol,) = renderer(qml).find("symbols")
    props = {p.get("k"): p.get("v") for p in symbol.find("layer").findall("prop")}
    assert symbol.find("layer").get("class") == "SimpleMarker"
    assert props["name"] == "star"
    assert props["color"] == "215,25,28,255"
    assert props["size"] == "5"
    assert props["outline_style"] == "no"


def test_styles_are_refused_where_they_cannot_go(tmp_path):
    path = write_layers(tmp_path / "l.gpkg", {"communities": _communities([0.5])})
    styles = layer_styles({"communities": _communities([0.5])})
    assert write_layer_styles(path, styles, update_time=0.0) == 1
    with pytest.raises(OutputError, match="layer_styles"):
        write_layer_styles(path, styles, update_time=0.0)  # a table that is there already
    text = tmp_path / "not.gpkg"
    text.write_text("not a database", encoding="utf-8")
    with pytest.raises(OutputError, match="GeoPackage"):
        write_layer_styles(text, styles, update_time=0.0)
