"""Proposed sites a bureau can find: coordinates in three systems, streets, communities, files."""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely

import geoplan
from geoplan.cli.demo import demo_config
from geoplan.config import parse_config
from geoplan.coords import bd09_to_wgs84, gcj02_to_wgs84
from geoplan.outputs import write_run
from geoplan.outputs.sites import (
    COLUMNS,
    NAMED_STREET_WITHIN_M,
    locate_sites,
    nearest_streets,
    site_sheet,
    split_ids,
    write_site_geojson,
    write_site_kml,
)
from geoplan.siting import SiteProposal

KML = "{http://www.opengis.net/kml/2.2}"
UTM51 = "EPSG:32651"  # Changchun, Jilin
SCRIPT = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://x","y")'
FORMULA_VT = '=HYPERLINK("http://x",\x0b"y")'  # with a control character XML forbids


@pytest.fixture(scope="module")
def canteen_run(tmp_path_factory):
    """A synthetic study in Changchun with two proposed canteens, written as a run."""
    config = parse_config(
        {
            "study": {"name": "sites"},
            "network": {"source": "synthetic"},
            "synthetic": {"area_km2": 1.0, "seed": 3},
            "communities": {"source": "synthetic"},
            "population": {"source": "synthetic"},
            "facilities": {"types": {"community_canteen": {}}},
            "sites": [{"facility_type": "community_canteen", "p": 2}],
            "outputs": {"basemap": "none", "rasters": False, "maps": False},
        }
    )
    result = geoplan.run_study(geoplan.Study.from_config(config))
    out = write_run(result, tmp_path_factory.mktemp("sites") / "sites")
    answer = result.proposals["community_canteen"]
    located = locate_sites(answer.proposal, result.study.network, result.study.communities)
    return result, out, located


# ------------------------------------------------------------------------ coordinates


def test_coordinates_come_back_from_gcj02_and_bd09_to_wgs84(canteen_run):
    _, _, located = canteen_run
    assert len(located) == 2
    wgs = located.geometry.to_crs(4326)
    # WGS-84 is the site itself, to the 6 decimals kept
    np.testing.assert_allclose(located["lon_wgs84"], wgs.x, atol=5e-7)
    np.testing.assert_allclose(located["lat_wgs84"], wgs.y, atol=5e-7)
    lon, lat = gcj02_to_wgs84(located["lon_gcj02"], located["lat_gcj02"])
    np.testing.assert_allclose(lon, located["lon_wgs84"], atol=1e-6)
    np.testing.assert_allclose(lat, located["lat_wgs84"], atol=1e-6)
    lon, lat = bd09_to_wgs84(located["lon_bd09"], located["lat_bd09"])
    np.testing.assert_allclose(lon, located["lon_wgs84"], atol=1e-6)
    np.testing.assert_allclose(lat, located["lat_wgs84"], atol=1e-6)
    # in China the GCJ-02 offset is hundreds of metres: the columns really differ
    assert (np.abs(located["lon_gcj02"] - located["lon_wgs84"]) > 1e-3).all()
    for column in ("lon_wgs84", "lat_gcj02", "lon_bd09"):
        assert (located[column] == located[column].round(6)).all()


def test_the_csv_keeps_its_columns_and_gains_the_new_ones(canteen_run):
    _, out, located = canteen_run
    table = pd.read_csv(out / "tables" / "sites_community_canteen.csv", encoding="utf-8-sig")
    assert list(table.columns[:7]) == [
        "candidate",
        "rank",
        "source",
        "node",
        "newly_covered",
        "marginal_gain",
        "communities_served",
    ]
    added = ["lon_wgs84", "lat_wgs84", "lon_gcj02", "lat_gcj02", "lon_bd09", "lat_bd09"]
    assert list(table.columns[7:]) == [*added, "street", "community_names"]
    np.testing.assert_array_equal(table["lon_gcj02"], located["lon_gcj02"])
    assert table["newly_covered"].tolist() == located["newly_covered"].tolist()


# ------------------------------------------------------------------------ streets


def _named_network(names):
    """Streets of Changchun in UTM 51N: an east-west street, a side path, a north road."""
    segments = [
        (0, 0, 100, 0),  # 人民大街
        (100, 0, 200, 0),  # 人民大街
        (100, 0, 100, 100),  # an unnamed path
        (100, 100, 100, 200),  # 解放大路
        (200, 0, 600, 0),  # unnamed
    ]
    net = geoplan.Network.from_edges(segments, crs=UTM51)
    if names is not None:
        net.edge_attrs = pd.DataFrame({"name": names})
    return net


def _points(*xy):
    return gpd.GeoSeries(shapely.points(np.asarray(xy, dtype=float).reshape(-1, 2)), crs=UTM51)


def test_each_site_gets_the_name_of_its_street():
    net = _named_network(["人民大街", "人民大街", None, " 解放大路 ", np.nan])
    points = _points(
        (50, 5),  # on 人民大街
        (100, 150),  # on 解放大路 (trimmed)
        (100, 40),  # on the unnamed path: 人民大街 40 m away beats 解放大路 60 m away
        (450, 10),  # unnamed street, no named one within 100 m
    )
    assert NAMED_STREET_WITHIN_M == 100.0
    assert nearest_streets(net, points) == ["人民大街", "解放大路", "人民大街", ""]


@pytest.mark.parametrize(
    "names", [None, ["", "", None, np.nan, " "]], ids=["no-edge-attrs", "all-blank"]
)
def test_a_network_without_names_gives_empty_streets(names):
    net = _named_network(names)
    assert nearest_streets(net, _points((50, 5), (100, 150))) == ["", ""]


def test_edge_attrs_without_a_name_column_or_of_the_wrong_length_are_ignored():
    net = _named_network(None)
    net.edge_attrs = pd.DataFrame({"road_class": ["primary"] * 5})
    assert nearest_streets(net, _points((50, 5))) == [""]
    net.edge_attrs = pd.DataFrame({"name": ["人民大街"] * 3})
    assert nearest_streets(net, _points((50, 5))) == [""]


# ------------------------------------------------------------------------ communities


def _proposal(served, before, after, *, at=((50, 5), (100, 150))):
    """A hand-made proposal: sites at ``at`` reaching ``served``; coverage before/after."""
    sites = gpd.GeoDataFrame(
        {
            "rank": list(range(1, len(at) + 1)),
            "newly_covered": [120.0, 30.0][: len(at)],
            "marginal_gain": [120.0, 30.0][: len(at)],
            "communities_served": served,
        },
        geometry=list(_points(*at)),
        crs=UTM51,
        index=pd.Index([f"K{i:04d}" for i in range(1, len(at) + 1)], name="candidate"),
    )
    index = pd.Index(list(before), name="community")
    covered = {
        "population": [100.0] * len(before),
        "covered": list(before.values()),
        "share": [v / 100 for v in before.values()],
    }
    after_covered = {**covered, "covered": [after[c] for c in before]}
    after_covered["share"] = [v / 100 for v in after_covered["covered"]]
    return SiteProposal(
        sites=sites,
        before=pd.DataFrame(covered, index=index),
        after=pd.DataFrame(after_covered, index=index),
        solution=None,
        uncoverable=pd.Index([]),
        totals={"population": 100.0 * len(before), "covered_before": 0.0, "covered_after": 0.0},
    )


def _communities(names):
    return gpd.GeoDataFrame(
        {"name": list(names.values())},
        geometry=[shapely.box(0, 0, 1, 1)] * len(names),
        crs=UTM51,
        index=pd.Index(list(names), name="community"),
    )


def test_a_site_serves_the_communities_it_reaches_whose_coverage_rises():
    communities = _communities(
        {"C1": "曙光社区", "C2": "桃源社区", "C3, 南关": "", "C4": "永吉社区"}
    )
    proposal = _proposal(
        ["C1, C2, C3, 南关", "C2, C4"],
        before={"C1": 10.0, "C2": 50.0, "C3, 南关": 0.0, "C4": 90.0},
        after={"C1": 80.0, "C2": 50.0, "C3, 南关": 40.0, "C4": 95.0},
    )
    net = _named_network(["人民大街", "人民大街", "", "解放大路", ""])
    located = locate_sites(proposal, net, communities, lang="zh")
    # C2's coverage did not rise; "C3, 南关" has no name, so its id stands
    assert located["community_names"].tolist() == ["曙光社区、C3, 南关", "永吉社区"]
    assert located["street"].tolist() == ["人民大街", "解放大路"]
    english = locate_sites(proposal, net, communities, lang="en")
    assert english["community_names"].tolist() == ["曙光社区, C3, 南关", "永吉社区"]
    assert located["newly_covered"].tolist() == [120.0, 30.0]


def test_ids_holding_the_separator_are_split_back_whole():
    known = {"C1", "长春, 南关", "C3"}
    assert split_ids("C1, 长春, 南关, C3", known) == ["C1", "长春, 南关", "C3"]
    assert split_ids("", known) == []
    assert split_ids("X, C1", known) == ["X", "C1"]


# ------------------------------------------------------------------------ the files


def test_the_kml_holds_one_placemark_per_site_at_its_wgs84_position(canteen_run):
    _, out, located = canteen_run
    root = ET.parse(out / "sites" / "sites_community_canteen.kml").getroot()
    assert root.tag == f"{KML}kml"
    placemarks = root.findall(f"{KML}Document/{KML}Placemark")
    assert len(placemarks) == len(located) == 2
    for placemark, (_, site) in zip(placemarks, located.iterrows(), strict=True):
        text = placemark.findtext(f"{KML}Point/{KML}coordinates").strip()
        lon, lat = (float(v) for v in text.split(","))  # KML 2.2: lon,lat in WGS-84
        assert (lon, lat) == (site["lon_wgs84"], site["lat_wgs84"])
        assert placemark.findtext(f"{KML}name") == str(site["rank"])
        data = {d.get("name"): d.findtext(f"{KML}value") for d in placemark.iter(f"{KML}Data")}
        assert float(data["lon_gcj02"]) == site["lon_gcj02"]
        assert data["candidate"] == site.name
    # GDAL's KML reader (QGIS opens KML with it) sees the points and every column
    read = pyogrio.read_dataframe(out / "sites" / "sites_community_canteen.kml", driver="KML")
    assert read.crs.to_epsg() == 4326
    assert set(COLUMNS) <= set(read.columns)
    np.testing.assert_allclose(read.geometry.x, located["lon_wgs84"])
    np.testing.assert_allclose(read.geometry.y, located["lat_wgs84"])
    assert read["street"].tolist() == located["street"].tolist()


def test_the_geojson_is_rfc7946_with_the_sites_properties(canteen_run):
    _, out, located = canteen_run
    collection = json.loads((out / "sites" / "sites_community_canteen.geojson").read_text("utf-8"))
    assert collection["type"] == "FeatureCollection"
    assert "crs" not in collection  # RFC 7946 section 4: always WGS-84 lon/lat
    features = collection["features"]
    assert len(features) == 2
    for feature, (candidate, site) in zip(features, located.iterrows(), strict=True):
        assert feature["geometry"] == {
            "type": "Point",
            "coordinates": [site["lon_wgs84"], site["lat_wgs84"]],
        }
        properties = feature["properties"]
        assert set(properties) == set(COLUMNS)
        assert properties["candidate"] == candidate
        assert properties["lat_gcj02"] == site["lat_gcj02"]
        assert properties["newly_covered"] == site["newly_covered"]
        assert properties["community_names"] == site["community_names"]
    # geopandas reads it back as WGS-84 points
    frame = gpd.read_file(out / "sites" / "sites_community_canteen.geojson")
    assert frame.crs.to_epsg() == 4326
    np.testing.assert_allclose(frame.geometry.x, located["lon_wgs84"])


def test_the_workbook_has_chinese_headers_and_the_values(canteen_run):
    _, out, located = canteen_run
    book = openpyxl.load_workbook(out / "sites" / "sites_community_canteen.xlsx")
    assert book.sheetnames == ["选址建议"]
    rows = list(book.active.iter_rows(values_only=True))
    assert list(rows[0]) == [zh for zh, _ in COLUMNS.values()]
    assert rows[0][:9] == (
        "序号",
        "经度(WGS-84)",
        "纬度(WGS-84)",
        "经度(GCJ-02/高德)",
        "纬度(GCJ-02/高德)",
        "经度(BD-09/百度)",
        "纬度(BD-09/百度)",
        "最近道路",
        "服务社区",
    )
    assert len(rows) == 3
    assert rows[1][0] == 1
    assert rows[1][3] == located["lon_gcj02"].iloc[0]
    assert rows[1][9] == located["newly_covered"].iloc[0]


def test_english_headers_in_english(canteen_run):
    _, _, located = canteen_run
    sheet = site_sheet(located, "canteen", lang="en")
    assert list(sheet.columns[:4]) == [
        "rank",
        "longitude (WGS-84)",
        "latitude (WGS-84)",
        "longitude (GCJ-02, Amap)",
    ]
    assert sheet["facility type"].tolist() == ["canteen", "canteen"]


def test_hostile_names_are_escaped_in_kml_and_neutralised_in_sheets(tmp_path):
    communities = _communities({"C1": SCRIPT, "C2": FORMULA_VT})
    proposal = _proposal(
        ["C1, C2", "C2"],
        before={"C1": 0.0, "C2": 0.0},
        after={"C1": 50.0, "C2": 50.0},
    )
    net = _named_network(["@SUM(A1)", "@SUM(A1)", "", "R&D <b>路</b>", ""])
    located = locate_sites(proposal, net, communities, lang="zh")
    sheet = site_sheet(located, FORMULA)
    kml = write_site_kml(tmp_path / "hostile.kml", sheet, title=SCRIPT)
    root = ET.parse(kml).getroot()  # well-formed: the vertical tab was dropped
    assert root.findtext(f"{KML}Document/{KML}name") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    for placemark in root.iter(f"{KML}Placemark"):
        description = placemark.findtext(f"{KML}description")
        assert "<script" not in description  # Google Earth renders it as HTML
        assert "&lt;script&gt;" in description or "R&amp;D &lt;b&gt;" in description
        for value in placemark.iter(f"{KML}value"):
            assert "<" not in (value.text or "")
    text = kml.read_text(encoding="utf-8")
    assert "<script>" not in text
    assert "\x0b" not in text
    # every cell of the sheet is spreadsheet-safe: formulas start with a quote
    assert sheet["设施类型"].tolist() == ["'" + FORMULA] * 2
    assert sheet["最近道路"].tolist() == ["'@SUM(A1)", "R&D <b>路</b>"]
    assert sheet["服务社区"].iloc[1] == "'" + FORMULA_VT
    path = write_site_geojson(tmp_path / "hostile.geojson", located, FORMULA)
    properties = json.loads(path.read_text(encoding="utf-8"))["features"][0]["properties"]
    assert properties["facility_type"] == "'" + FORMULA
    assert properties["community_names"] == f"{SCRIPT}、{FORMULA_VT}"
    book = tmp_path / "hostile.xlsx"
    geoplan.outputs.write_workbook(book, {"s": sheet})
    rows = list(openpyxl.load_workbook(book).active.iter_rows(values_only=True))
    cells = [c for row in rows for c in row if isinstance(c, str)]
    assert not any(c.startswith(("=", "@")) for c in cells)
    assert rows[2][8] == "'" + FORMULA_VT.replace("\x0b", "")  # dropped, not refused


def test_a_proposal_without_sites_writes_empty_files(tmp_path):
    proposal = _proposal([], before={"C1": 0.0}, after={"C1": 0.0}, at=())
    located = locate_sites(proposal, _named_network(None), _communities({"C1": "曙光社区"}))
    assert len(located) == 0
    assert {"lon_gcj02", "street", "community_names"} <= set(located.columns)
    sheet = site_sheet(located, "x")
    root = ET.parse(write_site_kml(tmp_path / "none.kml", sheet, title="x")).getroot()
    assert root.findall(f"{KML}Document/{KML}Placemark") == []
    geojson = json.loads(write_site_geojson(tmp_path / "none.geojson", located).read_text("utf-8"))
    assert geojson == {"type": "FeatureCollection", "features": []}


# ------------------------------------------------------------------------ the demo


def test_the_demo_run_writes_its_three_clinics_in_every_format(tmp_path):
    config = dataclasses.replace(demo_config(), maps=False, rasters=False)
    result = geoplan.run_study(geoplan.Study.from_config(config))
    out = geoplan.write_run(result, tmp_path / "demo")
    folder = out / "sites"
    stem = "sites_community_health_station"
    assert sorted(p.name for p in folder.iterdir()) == [
        f"{stem}.geojson",
        f"{stem}.kml",
        f"{stem}.xlsx",
    ]
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["outputs"]["sites"] == [f"sites/{stem}.{e}" for e in ("xlsx", "geojson", "kml")]
    rows = list(openpyxl.load_workbook(folder / f"{stem}.xlsx").active.iter_rows(values_only=True))
    assert len(rows) == 1 + 3
    for row in rows[1:]:
        lon, lat, gcj_lon, gcj_lat = row[1:5]
        assert 24.8 < lon < 25.1
        assert 60.1 < lat < 60.2  # central Helsinki
        # outside China GCJ-02 is WGS-84 itself (geoplan.coords.out_of_china)
        assert (gcj_lon, gcj_lat) == (lon, lat)
    features = json.loads((folder / f"{stem}.geojson").read_text("utf-8"))["features"]
    assert len(features) == 3
    assert all(f["properties"]["lon_gcj02"] is not None for f in features)
    placemarks = ET.parse(folder / f"{stem}.kml").getroot().iter(f"{KML}Placemark")
    assert len(list(placemarks)) == 3
