"""Tests of geoplan.sources.poi: Amap/Baidu POI tables, coordinate systems, classification.

Offline and deterministic. The fixtures are written into tmp_path by the tests:
the facilities of a synthetic city placed in Changchun, converted to GCJ-02 or
BD-09 with geoplan.coords and written as an Amap-like GBK CSV (location column)
or a Baidu-like workbook (title row, merged two-row header, BD-09 lng/lat).
The coordinate check itself is tested in test_coordinate_evidence.py.
"""

from __future__ import annotations

import logging
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pyproj
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geoplan import ConfigError, CRSError, DataSourceError, GeoplanError, InputError, coords
from geoplan.datasets import synthetic_city
from geoplan.sources import read_poi_table
from geoplan.sources._coordinate_evidence import CHECK_STRONG_SCORE
from geoplan.sources._tables import UnreadableCellsWarning
from geoplan.sources.poi import POI_COLUMNS, poi_categories
from geoplan.standards import load_standards

GEOD = pyproj.Geod(ellps="WGS84")
ORIGIN = (125.32, 43.88)
SYSTEMS = ("wgs84", "gcj02", "bd09")


def fullwidth(text: str) -> str:
    """Write ASCII digits, letters and punctuation in their full-width forms (U+FF01-FF5E)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


# ---------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def city():
    # 400 m streets over 16 km2: a sparse network (main roads only, as OpenStreetMap maps many
    # Chinese districts), large enough for the check's random shifts of up to 1.5 km. The
    # facilities lie 16-48 m (4-12 % of a spacing) beside a street. On a dense grid every
    # point is near some street whatever the system (test_dense_grid_refuses_auto_...).
    return synthetic_city(
        area_km2=16, seed=1, origin_lonlat=ORIGIN, spacing_m=400.0, with_buildings=False
    )


@pytest.fixture(scope="module")
def net(city):
    return city.network()


@pytest.fixture(scope="module")
def setback(city, net):
    """Distance of each true facility point from the nearest street (16-48 m)."""
    return np.asarray(net.snap(city.facilities).access_m)


def measured(truth: pd.DataFrame, system: str, net) -> dict[str, np.ndarray]:
    """The oracle of the points the check measures: inside the network's box, per reading."""
    lon, lat = _in(system, truth)
    to_net = pyproj.Transformer.from_crs(4326, net.crs, always_xy=True)
    left, bottom, right, top = net.bounds
    inside = {}
    for candidate in SYSTEMS:
        x, y = to_net.transform(*coords.convert(lon, lat, source=candidate, target="wgs84"))
        inside[candidate] = (x >= left) & (x <= right) & (y >= bottom) & (y <= top)
    return inside


@pytest.fixture(scope="module")
def truth(city):
    wgs = city.facilities.to_crs(4326)
    return pd.DataFrame(
        {
            "name": wgs["name_zh"].to_numpy(),
            "type": wgs["category"].to_numpy(),
            "lon": wgs.geometry.x.to_numpy(),
            "lat": wgs.geometry.y.to_numpy(),
        }
    )


def _in(system: str, truth: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    lon, lat = coords.convert(truth["lon"], truth["lat"], source="wgs84", target=system)
    return np.round(lon, 6), np.round(lat, 6)  # the 6 decimals Amap and Baidu export


def _distance_m(pois, truth: pd.DataFrame) -> np.ndarray:
    _, _, dist = GEOD.inv(
        pois.geometry.x.to_numpy(), pois.geometry.y.to_numpy(), truth["lon"], truth["lat"]
    )
    return np.asarray(dist)


def write_amap_csv(
    path: Path, truth: pd.DataFrame, system: str = "gcj02", encoding: str = "gbk"
) -> Path:
    """An Amap-style export: id, 名称, 类型, typecode, 地址, location 'lng,lat'."""
    lon, lat = _in(system, truth)
    location = [f"{x:.6f},{y:.6f}" for x, y in zip(lon, lat, strict=True)]
    location[2] = fullwidth(location[2])  # full-width digits, point and comma
    frame = pd.DataFrame(
        {
            "id": [f"B0FFG{i:05d}" for i in range(len(truth))],
            "名称": truth["name"],
            "类型": ["生活服务;生活服务场所;生活服务场所"] * len(truth),
            "typecode": ["070000"] * len(truth),
            "地址": [f"南关区{i + 1}号" for i in range(len(truth))],
            "location": location,
        }
    )
    frame.to_csv(path, index=False, encoding=encoding)
    return path


def write_baidu_xlsx(path: Path, truth: pd.DataFrame, system: str = "bd09") -> Path:
    """A Baidu-style workbook: title row, merged two-row header, separate lng/lat, 合计 row."""
    lon, lat = _in(system, truth)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "POI"
    sheet["A1"] = "百度地图POI导出（长春市南关区）"
    sheet.merge_cells("A1:F1")
    for col, text in zip("ABCF", ("uid", "名称", "标签", "地址"), strict=True):
        sheet[f"{col}2"] = text
        sheet.merge_cells(f"{col}2:{col}3")
    sheet["D2"] = "坐标（BD-09）"
    sheet.merge_cells("D2:E2")
    sheet["D3"], sheet["E3"] = "lng", "lat"
    for i, row in enumerate(truth.itertuples()):
        x, y = float(lon[i]), float(lat[i])
        sheet.append(
            [
                f"uid{i:04d}",
                row.name,
                "生活服务;其他",
                fullwidth(f"{x:.6f}") if i == 3 else x,  # a full-width text cell
                y,
                f"长春市南关区{i + 1}号",
            ]
        )
    sheet.append(["合计", len(truth)])
    book.save(path)
    return path


def write_csv(path: Path, columns: dict[str, Sequence[object]], encoding: str = "utf-8") -> Path:
    pd.DataFrame(columns).to_csv(path, index=False, encoding=encoding)
    return path


# ---------------------------------------------------------------------- Amap / Baidu files
def test_amap_gbk_csv_auto_with_network(tmp_path, truth, net, setback, caplog):
    path = write_amap_csv(tmp_path / "amap.csv", truth)
    before = sorted(tmp_path.iterdir())
    with caplog.at_level(logging.INFO, logger="geoplan"):
        pois = read_poi_table(path, network=net)
    assert "gb18030" in caplog.text  # the encoding used is logged
    assert sorted(tmp_path.iterdir()) == before  # nothing written beside the input
    assert pois.crs.to_epsg() == 4326
    assert _distance_m(pois, truth).max() < 0.5
    check = pois.attrs["coordinate_check"]
    assert check["declared"] == "auto"
    assert (check["decision"], check["evidence"]) == ("detected", "strong")
    assert check["detected"] == check["system"] == "gcj02"
    assert pois.attrs["source_coordinate_system"] == "gcj02"
    inside = measured(truth, "gcj02", net)
    assert check["n_points"] == int(np.logical_or.reduce(list(inside.values())).sum())
    assert check["distance"]["counts"] == {s: int(inside[s].sum()) for s in SYSTEMS}
    offsets = check["median_offset_m"]  # 6 decimals in the file: 0.1 m off
    assert offsets["gcj02"] == pytest.approx(np.median(setback[inside["gcj02"]]), abs=0.2)
    assert min(offsets["wgs84"], offsets["bd09"]) > 2 * offsets["gcj02"]
    distance = check["distance"]
    assert distance["within_m"] > setback.max()  # every true point counts as near a street
    assert distance["share"]["gcj02"] == 1.0
    assert distance["score"]["gcj02"] >= CHECK_STRONG_SCORE
    assert check["address"] is None  # the network's edges carry no street names
    assert check["caveat"] is None
    assert list(pois.columns[:8]) == [
        "name",
        "category",
        "address",
        "poi_id",
        "lon_input",
        "lat_input",
        "facility_type",
        "match_rule",
    ]
    assert "typecode" in pois.columns
    assert pois.index.name == "row"
    assert pois.index.tolist() == list(range(2, len(truth) + 2))
    assert pois["poi_id"].iloc[0] == "B0FFG00000"
    lon, lat = _in("gcj02", truth)
    np.testing.assert_allclose(pois["lon_input"], lon)
    np.testing.assert_allclose(pois["lat_input"], lat)
    assert pois["facility_type"].tolist() == truth["type"].tolist()


def test_baidu_excel_merged_header_auto_with_network(tmp_path, truth, net, setback):
    path = write_baidu_xlsx(tmp_path / "baidu.xlsx", truth)
    pois = read_poi_table(path, network=net)
    assert pois.attrs["coordinate_check"]["detected"] == "bd09"
    offsets = pois.attrs["coordinate_check"]["median_offset_m"]
    inside = measured(truth, "bd09", net)["bd09"]
    assert offsets["bd09"] == pytest.approx(np.median(setback[inside]), abs=0.2)
    assert _distance_m(pois, truth).max() < 0.5
    # the title (row 1) and the two header rows are gone; the 合计 row is dropped
    assert pois.index.tolist() == list(range(4, len(truth) + 4))
    assert pois["name"].tolist() == truth["name"].tolist()
    assert pois["category"].iloc[0] == "生活服务;其他"
    assert pois["poi_id"].iloc[0] == "uid0000"
    assert pois["address"].iloc[0] == "长春市南关区1号"


@pytest.mark.parametrize("system", SYSTEMS)
def test_auto_detects_each_system(tmp_path, truth, net, setback, system):
    lon, lat = _in(system, truth)
    path = write_csv(tmp_path / "pois.csv", {"名称": truth["name"], "经度": lon, "纬度": lat})
    pois = read_poi_table(path, network=net)
    check = pois.attrs["coordinate_check"]
    assert check["detected"] == system
    assert pois.attrs["source_coordinate_system"] == system
    offsets = check["median_offset_m"]
    assert list(offsets) == list(SYSTEMS)
    inside = measured(truth, system, net)[system]
    assert offsets[system] == pytest.approx(np.median(setback[inside]), abs=0.2)
    scores = check["distance"]["score"]
    for other in SYSTEMS:
        if other != system:
            assert offsets[other] > 2 * offsets[system], offsets
            assert scores[system] - scores[other] >= 1.0, scores
    assert _distance_m(pois, truth).max() < 0.5


@pytest.mark.parametrize("system", SYSTEMS)
def test_declared_right_system_passes_the_check(tmp_path, truth, net, system):
    path = write_amap_csv(tmp_path / "amap.csv", truth, system=system, encoding="utf-8")
    pois = read_poi_table(path, coordinates=system, network=net)
    check = pois.attrs["coordinate_check"]
    assert check["declared"] == system
    assert check["detected"] == system
    assert (check["decision"], check["evidence"]) == ("confirmed", "strong")
    assert _distance_m(pois, truth).max() < 0.5


def test_declared_wgs84_but_gcj02_raises(tmp_path, truth, net):
    path = write_amap_csv(tmp_path / "amap.csv", truth, system="gcj02")
    with pytest.raises(CRSError, match="declared WGS-84") as info:
        read_poi_table(path, coordinates="wgs84", network=net)
    message = str(info.value)
    assert message.startswith("amap.csv: ")
    assert "GCJ-02" in message
    assert "look like GCJ-02" in message
    assert "pass coordinates='gcj02'" in message
    assert "(median)" in message
    assert "GCJ-02 100%" in message  # the share of the points near a street, per system
    assert "points shifted at random by 100-1,500 m" in message


def test_declared_gcj02_but_bd09_raises(tmp_path, truth, net):
    path = write_baidu_xlsx(tmp_path / "baidu.xlsx", truth)
    with pytest.raises(CRSError, match=r"declared GCJ-02 .* look like BD-09.*coordinates='bd09'"):
        read_poi_table(path, coordinates="GCJ-02", network=net)


def _dense_table(tmp_path: Path, system: str) -> tuple[Path, object]:
    """Points 5-30 m beside the streets of an 80 m grid, as POIs in buildings lie."""
    dense = synthetic_city(
        area_km2=9, seed=1, origin_lonlat=ORIGIN, spacing_m=80.0, with_buildings=False
    )
    dense_net = dense.network()
    rng = np.random.default_rng(5)
    edges = rng.choice(dense_net.n_edges, size=200, replace=False)
    lines = dense_net.geometry[edges]
    middle = np.array([line.interpolate(0.5, normalized=True).coords[0] for line in lines])
    ends = np.array([np.subtract(line.coords[-1], line.coords[0]) for line in lines])
    normal = np.column_stack([-ends[:, 1], ends[:, 0]]) / np.hypot(*ends.T)[:, None]
    xy = middle + normal * rng.uniform(5, 30, size=(200, 1)) * rng.choice([-1, 1], size=(200, 1))
    to_geo = pyproj.Transformer.from_crs(dense_net.crs, 4326, always_xy=True)
    lon, lat = to_geo.transform(xy[:, 0], xy[:, 1])
    facts = pd.DataFrame({"lon": lon, "lat": lat})
    lon, lat = _in(system, facts)
    path = write_csv(
        tmp_path / "p.csv", {"name": [f"店{i}" for i in edges], "lng": lon, "lat": lat}
    )
    return path, dense_net


def test_dense_grid_refuses_auto_and_keeps_a_declared_system(tmp_path, caplog):
    """On an 80 m grid points shifted 0.5-1.5 km are nearly as near a street as right ones
    (realistic POIs, 5-30 m from the street): auto refuses with every figure; a wrongly
    declared system is kept, with the weak evidence against it recorded."""
    path, dense_net = _dense_table(tmp_path, "gcj02")
    with pytest.raises(CRSError, match="cannot tell the coordinate system") as info:
        read_poi_table(path, coordinates="auto", network=dense_net)
    message = str(info.value)
    for figure in ("WGS-84 ", "GCJ-02 ", "BD-09 ", "within 30 m of a street", "95th percentile"):
        assert figure in message
    assert "Declare the system: coordinates='gcj02'" in message
    with caplog.at_level(logging.WARNING, logger="geoplan"):
        kept = read_poi_table(path, coordinates="wgs84", network=dense_net)  # wrong, not refused
    assert kept.attrs["source_coordinate_system"] == "wgs84"
    check = kept.attrs["coordinate_check"]
    assert (check["decision"], check["evidence"], check["favoured"]) == (
        "contradicted",
        "weak",
        "gcj02",
    )
    scores = check["distance"]["score"]
    assert 1.0 < scores["gcj02"] < CHECK_STRONG_SCORE  # beyond the null's 95th percentile only
    assert check["caveat"]["en"].startswith(
        "p.csv: coordinates read as the declared WGS-84, although they fit the streets better "
        "as GCJ-02 (weak evidence"
    )
    assert "GCJ-02与路网更吻合" in check["caveat"]["zh"]
    assert "better as GCJ-02" in caplog.text


def test_far_away_network_skips_the_check(tmp_path, truth, caplog):
    elsewhere = synthetic_city(area_km2=1, seed=2, origin_lonlat=(126.55, 45.80))  # Harbin
    path = write_amap_csv(tmp_path / "amap.csv", truth)
    with caplog.at_level(logging.WARNING, logger="geoplan"):
        pois = read_poi_table(path, coordinates="gcj02", network=elsewhere.network())
    check = pois.attrs["coordinate_check"]
    assert check["detected"] is None
    assert (check["decision"], check["evidence"], check["n_points"]) == ("unchecked", "none", 0)
    assert "cover different areas" in check["reason"]
    assert "not checked against the streets" in check["caveat"]["en"]
    assert "coordinate check skipped" in caplog.text
    assert _distance_m(pois, truth).max() < 0.5


def test_sample_limits_the_points_checked(tmp_path, truth, net):
    path = write_amap_csv(tmp_path / "amap.csv", truth)
    pois = read_poi_table(path, network=net, sample=60)
    assert 50 < pois.attrs["coordinate_check"]["n_points"] <= 60  # inside the network's box
    assert pois.attrs["coordinate_check"]["detected"] == "gcj02"
    again = read_poi_table(path, network=net, sample=60)
    assert again.attrs["coordinate_check"] == pois.attrs["coordinate_check"]


# ---------------------------------------------------------------------- guessing without a network
def test_auto_without_network_guesses_from_location_column(tmp_path, truth, caplog):
    path = write_amap_csv(tmp_path / "amap.csv", truth)
    with caplog.at_level(logging.WARNING, logger="geoplan"):
        pois = read_poi_table(path)
    assert pois.attrs["source_coordinate_system"] == "gcj02"
    assert "coordinate_check" not in pois.attrs
    assert "guessed as GCJ-02" in caplog.text
    assert "network=" in caplog.text
    assert _distance_m(pois, truth).max() < 0.5


@pytest.mark.parametrize(
    ("headers", "system"),
    [
        (("bd_lng", "bd_lat"), "bd09"),
        (("baidu_lng", "baidu_lat"), "bd09"),
        (("gcj_lng", "gcj_lat"), "gcj02"),
        (("wgs_lng", "wgs_lat"), "wgs84"),
        (("经度（WGS84）", "纬度（WGS84）"), "wgs84"),
        (("LNG_BD09", "LAT_BD09"), "bd09"),
    ],
)
def test_auto_without_network_guesses_from_headers(tmp_path, truth, headers, system):
    lon, lat = _in(system, truth)
    path = write_csv(tmp_path / "p.csv", {"name": truth["name"], headers[0]: lon, headers[1]: lat})
    pois = read_poi_table(path)
    assert pois.attrs["source_coordinate_system"] == system
    assert _distance_m(pois, truth).max() < 0.5


def test_auto_without_network_and_plain_headers_asks(tmp_path, truth):
    path = write_csv(
        tmp_path / "p.csv", {"name": truth["name"], "lng": truth["lon"], "lat": truth["lat"]}
    )
    with pytest.raises(CRSError, match=r"cannot tell .*coordinates='gcj02'.*network="):
        read_poi_table(path)


def test_headers_naming_two_systems(tmp_path, truth):
    path = write_csv(tmp_path / "p.csv", {"bd_lng": truth["lon"], "wgs_lat": truth["lat"]})
    with pytest.raises(CRSError, match="different systems"):
        read_poi_table(path)


@pytest.mark.parametrize("alias", ["GCJ-02", "mars", "gcj02", " Gcj02 "])
def test_system_aliases(tmp_path, truth, alias):
    path = write_amap_csv(tmp_path / "amap.csv", truth)
    pois = read_poi_table(path, coordinates=alias)
    assert pois.attrs["source_coordinate_system"] == "gcj02"


def test_unknown_system_and_bad_arguments(tmp_path, truth, net):
    path = write_amap_csv(tmp_path / "amap.csv", truth)
    with pytest.raises(ConfigError, match="unknown coordinate system"):
        read_poi_table(path, coordinates="utm")
    with pytest.raises(InputError, match="sample"):
        read_poi_table(path, network=net, sample=0)
    with pytest.raises(InputError, match=r"geoplan\.Network"):
        read_poi_table(path, network="streets.gpkg")


# ---------------------------------------------------------------------- bad input
def test_swapped_columns(tmp_path, truth):
    lon, lat = _in("gcj02", truth)
    path = write_csv(tmp_path / "p.csv", {"名称": truth["name"], "经度": lat, "纬度": lon})
    with pytest.raises(CRSError, match="swapped") as info:
        read_poi_table(path, coordinates="gcj02")
    message = str(info.value)
    assert "'经度' holds latitudes and '纬度' longitudes" in message
    assert "swap the two headers" in message


def test_swapped_location(tmp_path, truth):
    lon, lat = _in("gcj02", truth)
    cells = [f"{y},{x}" for x, y in zip(lon, lat, strict=True)]
    path = write_csv(tmp_path / "p.csv", {"name": truth["name"], "location": cells})
    with pytest.raises(CRSError, match=r"swapped.*'location' holds 'lat,lng'.*'lng,lat'"):
        read_poi_table(path, coordinates="gcj02")


def test_latitude_beyond_90_is_swapped(tmp_path):
    path = write_csv(tmp_path / "p.csv", {"lon": [10.0, 11.0], "lat": [120.0, 121.0]})
    with pytest.raises(CRSError, match="swapped"):
        read_poi_table(path, coordinates="wgs84")


def test_missing_coordinate_columns(tmp_path):
    path = write_csv(
        tmp_path / "p.csv", {"名称": ["甲", "乙"], "地址": ["一路", "二路"], "备注": ["", ""]}
    )
    with pytest.raises(InputError, match="no coordinate columns") as info:
        read_poi_table(path, coordinates="gcj02")
    message = str(info.value)
    assert "'名称', '地址', '备注'" in message
    assert "经度" in message
    assert "location" in message


def test_bad_coordinates_are_dropped_and_reported(tmp_path, truth):
    lon, lat = _in("gcj02", truth)
    lon_cells: list[object] = list(lon)
    lat_cells: list[object] = list(lat)
    lon_cells[1] = "东经125度"  # row 3 of the file
    lat_cells[4] = ""  # row 6
    lon_cells[6] = "—"  # row 8: a blank marker, still no coordinates
    lat_cells[9] = "99.5"  # row 11: beyond ±90 (one row: not a swap)
    path = write_csv(
        tmp_path / "p.csv", {"名称": truth["name"], "经度": lon_cells, "纬度": lat_cells}
    )
    with pytest.warns(UnreadableCellsWarning) as record:
        pois = read_poi_table(path, coordinates="gcj02")
    message = str(record[0].message)
    assert f"4 of {len(truth)} POIs left out" in message
    assert "coordinates are not numbers in row(s) 3" in message
    assert "no coordinates in row(s) 6, 8" in message
    assert "beyond ±180/±90 in row(s) 11" in message
    assert len(pois) == len(truth) - 4
    assert pois.attrs["dropped_rows"] == [
        {"row": 3, "reason": "coordinates are not numbers"},
        {"row": 6, "reason": "no coordinates"},
        {"row": 8, "reason": "no coordinates"},
        {"row": 11, "reason": "coordinates beyond ±180/±90"},
    ]
    assert 3 not in pois.index
    assert 4 in pois.index


def test_no_usable_coordinates(tmp_path):
    path = write_csv(
        tmp_path / "p.csv", {"名称": ["甲", "乙"], "经度": ["a", "b"], "纬度": ["c", "d"]}
    )
    with pytest.warns(UnreadableCellsWarning), pytest.raises(InputError, match="no row has usable"):
        read_poi_table(path, coordinates="gcj02")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_poi_table(path, coordinates="gcj02")
    blank = tmp_path / "blank.csv"
    blank.write_text("\n,,\n\n", encoding="utf-8")
    with pytest.raises(InputError, match="empty"):
        read_poi_table(blank, coordinates="gcj02")


def test_header_without_rows(tmp_path):
    path = tmp_path / "header.csv"
    path.write_text("名称,类型,location\n合计,,\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"no data rows below the header \(row 1\)"):
        read_poi_table(path, coordinates="gcj02")


def test_no_header_found(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("foo,bar\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"no header row found.*'foo', 'bar'.*经度"):
        read_poi_table(path, coordinates="gcj02")


def test_xls_and_unknown_files(tmp_path):
    old = tmp_path / "pois.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(DataSourceError, match=r"save it as \.xlsx"):
        read_poi_table(old)
    with pytest.raises(DataSourceError, match="no such file"):
        read_poi_table(tmp_path / "missing.csv")
    odd = tmp_path / "pois.json"
    odd.write_text("{}", encoding="utf-8")
    with pytest.raises(DataSourceError, match="unknown table type"):
        read_poi_table(odd)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"not a zip file")
    with pytest.raises(DataSourceError, match=r"not a readable \.xlsx"):
        read_poi_table(broken)


def test_sheet_selection(tmp_path, truth):
    path = write_baidu_xlsx(tmp_path / "b.xlsx", truth)
    book = openpyxl.load_workbook(path)
    book.create_sheet("说明", 0)["A1"] = "本表由百度地图导出"
    book.save(path)
    pois = read_poi_table(path, sheet="POI", coordinates="bd09")
    assert len(pois) == len(truth)
    assert len(read_poi_table(path, sheet=1, coordinates="bd09")) == len(truth)
    with pytest.raises(InputError, match=r"no sheet 'pois'.*'说明', 'POI'"):
        read_poi_table(path, sheet="pois", coordinates="bd09")


# ---------------------------------------------------------------------- classification
CLASSIFIED = [
    # name, provider category, expected type, rule, confidence
    (
        "朝阳社区卫生服务站",
        "医疗保健服务;诊所;诊所",
        "community_health_station",
        "name:社区卫生服务站",
        "medium",
    ),  # 诊所 gives no type, allows the health types
    (
        "南湖社区卫生服务中心",
        "医疗保健服务;综合医院;综合医院",
        "community_health_center",
        "name:社区卫生服务中心",
        "medium",
    ),
    ("幸福老年食堂", "餐饮服务;中餐厅;中餐厅", "community_canteen", "name:老年食堂", "medium"),
    ("阳光宝贝", "科教文化服务;学校;幼儿园", "kindergarten", "category:幼儿园", "medium"),
    ("金色摇篮", "教育培训;幼儿园", "kindergarten", "category:幼儿园", "medium"),
    ("华润万家", "购物服务;超级市场;超市", "comprehensive_supermarket", "name:华润万家", "medium"),
    ("老王超市", "购物服务;超级市场;超市", "convenience_store", "category:超市", "low"),
    (
        "7-ELEVEn",
        "购物服务;便民商店/便利店;便利店",
        "convenience_store",
        "category:便利店",
        "medium",
    ),
    ("老百姓", "医疗保健服务;医药保健销售店;药房", "pharmacy", "category:药房", "medium"),
    ("益丰", "医疗;药店", "pharmacy", "category:药店", "medium"),
    ("益丰大药房", "医疗;药店", "pharmacy", "name+category:大药房+药店", "high"),
    ("红旗", "购物服务;综合市场;农副产品市场", "fresh_market", "category:农副产品市场", "medium"),
    (
        "人民广场",
        "公共设施;紧急避难场所;紧急避难场所",
        "emergency_shelter",
        "category:紧急避难场所",
        "medium",
    ),
    (
        "东岭派出所",
        "政府机构及社会团体;公检法机构;公安警察",
        "police_station",
        "name:派出所",
        "medium",
    ),
    (
        "解放大路",
        "交通设施服务;公交车站;公交车站相关",
        "bus_stop",
        "category:公交车站相关",
        "medium",
    ),
    ("夕阳红", "生活服务;养老院", "nursing_home", "category:养老院", "medium"),
    # the first path rules nothing in, the second decides
    ("民康", "商务住宅;住宅区|公共设施;公共厕所", "public_toilet", "category:公共厕所", "medium"),
    ("长春市第二高级中学", "科教文化服务;学校;中学", None, None, None),  # 高级中学 excluded
    ("张记面馆", "餐饮服务;中餐厅;中餐厅", "specialty_dining", "category:中餐厅", "low"),
    ("张记面馆", "美食;其他", "specialty_dining", "category:美食", "low"),  # 其他: the 一级
    ("无名", None, None, None, None),
    (
        "南关区第一中学",
        "科教文化服务;学校;中学",
        "junior_middle_school",
        "name+category:中学+中学",
        "high",
    ),
    ("ＡＢＣ便利店", "", "convenience_store", "name:便利店", "medium"),
    ("", "科教文化服务;学校;小学", "primary_school", "category:小学", "medium"),
    (
        "人民公园应急避难场所",
        "风景名胜;公园广场;公园",
        "emergency_shelter",
        "name:避难场所",
        "medium",
    ),  # the longest keyword; the park category allows a shelter
    ("南湖公园", "风景名胜;公园广场;公园", "park_15min", "name+category:公园+公园", "high"),
    ("牡丹园", "旅游景点;公园", "park_15min", "category:公园", "low"),
    # hard cases of a real export: the category rules the name's type out
    (
        "实验小学(公交站)",
        "交通设施服务;公交车站;普通公交站",
        "bus_stop",
        "category:普通公交站",
        "medium",
    ),
    ("胜利公园", "交通设施;公交车站", "bus_stop", "category:公交车站", "medium"),
    ("优衣库(新天地购物公园店)", "购物服务;服装鞋帽皮具店;服装鞋帽皮具店", None, None, None),
    ("新天地购物公园", "购物服务;商场;购物中心", None, None, None),
    (
        "7-ELEVEn便利店(南湖公园店)",
        "购物服务;便民商店/便利店;便民商店/便利店",
        "convenience_store",
        "name+category:便利店+便民商店/便利店",
        "high",
    ),
    ("星光影城大酒店", "住宿服务;宾馆酒店;宾馆酒店", None, None, None),
    ("中国工商银行ATM(红旗街)", "金融保险服务;自动提款机;中国工商银行ATM", None, None, None),
    (
        "中国邮政储蓄银行(南关支行)",
        "金融保险服务;银行;中国邮政储蓄银行",
        "bank",
        "name+category:银行+中国邮政储蓄银行",
        "high",
    ),
    (
        "西五社区居民委员会",
        "政府机构及社会团体;政府机关;乡镇以下级政府及事业单位",
        "community_service_station",
        "name:居民委员会",
        "medium",
    ),
    (
        "团山社区",
        "政府机构;居民委员会",
        "community_service_station",
        "category:居民委员会",
        "medium",
    ),
]


def test_classification(tmp_path, caplog):
    names = [c[0] for c in CLASSIFIED]
    path = write_csv(
        tmp_path / "p.csv",
        {
            "名称": names,
            "类型": [c[1] for c in CLASSIFIED],
            "经度": [125.33] * len(names),
            "纬度": [43.89] * len(names),
        },
    )
    with caplog.at_level(logging.INFO, logger="geoplan"):
        pois = read_poi_table(path, coordinates="wgs84")
    got = list(zip(pois["facility_type"], pois["match_rule"], pois["confidence"], strict=True))
    assert got == [c[2:] for c in CLASSIFIED]
    assert list(pois.columns[6:12]) == [
        "facility_type",
        "match_rule",
        "confidence",
        "facility_name_zh",
        "facility_name_en",
        "ruled_out",
    ]
    assert pois["facility_name_en"].iloc[0] == "Community health service station"
    ruled_out = dict(zip(pois["name"], pois["ruled_out"], strict=True))
    assert ruled_out["实验小学(公交站)"] == (
        "primary_school (name:小学) ruled out by category:普通公交站"
    )
    assert ruled_out["胜利公园"] == (
        "park_15min (name:公园), park_10min (name:公园) ruled out by category:公交车站"
    )
    assert (
        ruled_out["星光影城大酒店"] == "culture_leisure (name:影城) ruled out by category:宾馆酒店"
    )
    assert ruled_out["南湖公园"] is None
    # 5 with no type: the senior high school, 无名 (no category), the mall, its shop, the
    # hotel, the ATM -- counted by category, most first
    assert pois.attrs["unclassified_by_category"] == {
        "(none)": 1,
        "住宿服务;宾馆酒店;宾馆酒店": 1,
        "购物服务;商场;购物中心": 1,
        "购物服务;服装鞋帽皮具店;服装鞋帽皮具店": 1,
        "科教文化服务;学校;中学": 1,
        "金融保险服务;自动提款机;中国工商银行ATM": 1,
    }
    n = len(CLASSIFIED)
    high = sum(c[4] == "high" for c in CLASSIFIED)
    low = sum(c[4] == "low" for c in CLASSIFIED)
    assert (
        f"p.csv: {n - 6} of {n} POIs classified ({high} high, {n - 6 - high - low} medium, "
        f"{low} low); 6 unmatched, most of category (none) (1)"
    ) in caplog.text
    # the stop, the stop named after a park, the mall, its shop, the hotel, and the
    # convenience store: its type stands, the park its name suggests is ruled out
    assert sorted(n for n, r in ruled_out.items() if r) == sorted(
        [
            "实验小学(公交站)",
            "胜利公园",
            "新天地购物公园",
            "优衣库(新天地购物公园店)",
            "星光影城大酒店",
            "7-ELEVEn便利店(南湖公园店)",
        ]
    )
    assert "6 with a type ruled out by their category" in caplog.text


def test_amap_typecode_comes_before_the_path(tmp_path):
    path = write_csv(
        tmp_path / "p.csv",
        {
            "名称": ["阳光宝贝", "甲", "乙", "丙"],
            # the codes tell more than the (hand-edited) text; 60200: Excel's dropped zero
            "类型": [
                "科教文化服务;学校;学校",
                "",
                "生活服务",
                "汽车销售;大众特约销售;一汽-大众销售",
            ],
            "typecode": ["141204", "60200", "070603|060200", "020102"],
            "经度": [125.33] * 4,
            "纬度": [43.89] * 4,
        },
    )
    pois = read_poi_table(path, coordinates="wgs84")
    assert pois["facility_type"].tolist() == [
        "kindergarten",
        "convenience_store",
        "telecom_service",  # the first code of several
        None,  # 0201xx falls back to the 大类 020000: cars, none of the types
    ]
    assert pois["match_rule"].tolist()[:3] == [
        "category:141204 幼儿园",
        "category:060200 便民商店/便利店",
        "category:070603 中国移动营业厅",
    ]


def test_category_from_separate_levels(tmp_path):
    path = write_csv(
        tmp_path / "p.csv",
        {
            "名称": ["甲", "乙"],
            "大类": ["科教文化服务", "购物服务"],
            "中类": ["学校", "便民商店/便利店"],
            "小类": ["幼儿园", None],
            "lng": [125.33, 125.34],
            "lat": [43.89, 43.88],
        },
    )
    pois = read_poi_table(path, coordinates="wgs84")
    assert pois["category"].tolist() == ["科教文化服务;学校;幼儿园", "购物服务;便民商店/便利店"]
    assert pois["match_rule"].tolist() == ["category:幼儿园", "category:便民商店/便利店"]
    assert {"category_major", "category_mid", "category_minor"} <= set(pois.columns)


def test_own_facility_type_column_is_kept_aside(tmp_path):
    path = write_csv(
        tmp_path / "p.csv",
        {"name": ["第1药店"], "facility_type": ["mine"], "lng": [125.33], "lat": [43.89]},
    )
    pois = read_poi_table(path, coordinates="wgs84")
    assert pois["facility_type"].tolist() == ["pharmacy"]
    assert pois["facility_type_input"].tolist() == ["mine"]


def test_poi_category_table():
    table = poi_categories()
    known = {t.id for t in load_standards().all_types}
    named = {
        t
        for column in ("facility_type", "confirms", "allows")
        for v in table[column]
        for t in v.split(", ")
        if t and t != "*"
    }
    assert named <= known
    assert set(table["strength"]) == {"strong", "weak", "none"}
    # provider categories are seen in the cited tables; other exports' words are defaults
    provider = (table["amap"] != "") | (table["baidu"] != "")
    assert set(table.loc[provider, "verification"]) == {"verified_secondary"}
    assert set(table.loc[~provider, "verification"]) == {"default"}
    assert (table.loc[~provider, "words"] != "").all()
    assert table.loc[~provider, "note"].str.startswith("Not a provider category").all()
    assert table.attrs["providers"]["amap"]["verification"] == "verified_secondary"
    assert "lbs.amap.com" in table.attrs["providers"]["amap"]["urls"][0]
    assert "lbsyun.baidu.com" in table.attrs["providers"]["baidu"]["urls"][0]

    def entry(text: str) -> pd.Series:
        column = "amap" if text[0].isdigit() else "baidu"
        found = table[table[column].str.split("; ").map(lambda items: text in items)]
        assert len(found) == 1, text
        return found.iloc[0]

    def types(text: str) -> tuple[str, str]:
        row = entry(text)
        return row["facility_type"], row["strength"]

    # Amap codes and paths as the table gives them
    assert types("060200 购物服务;便民商店/便利店;便民商店/便利店") == (
        "convenience_store",
        "strong",
    )
    assert types("090601 医疗保健服务;医药保健销售店;药房") == ("pharmacy", "strong")
    assert types("141204 科教文化服务;学校;幼儿园") == ("kindergarten", "strong")
    assert types("141202 科教文化服务;学校;中学") == ("junior_middle_school", "weak")
    assert types("150702 交通设施服务;公交车站;普通公交站") == ("bus_stop", "strong")
    assert types("160139 金融保险服务;银行;中国邮政储蓄银行") == ("bank", "strong")
    assert types("070603 生活服务;电讯营业厅;中国移动营业厅") == ("telecom_service", "strong")
    assert types("071000 生活服务;电力营业厅;电力营业厅") == ("power_service_point", "strong")
    assert types("200400 公共设施;紧急避难场所;紧急避难场所") == ("emergency_shelter", "strong")
    # Baidu's 一级;二级
    assert types("医疗;药店") == ("pharmacy", "strong")
    assert types("政府机构;居民委员会") == ("community_service_station", "strong")
    assert types("交通设施;公交车站") == ("bus_stop", "strong")
    assert types("美食") == ("specialty_dining", "weak")
    assert types("金融;银行") == ("bank", "strong")
    # evidence against: every type ruled out
    for text in (
        "150500 交通设施服务;地铁站;地铁站",
        "150904 交通设施服务;停车场;公共停车场",
        "100100 住宿服务;宾馆酒店;宾馆酒店",
        "120201 商务住宅;楼宇;商务写字楼",
        "160300 金融保险服务;自动提款机;自动提款机",
        "酒店;快捷酒店",
        "房地产;住宅区",
        "交通设施;地铁站",
    ):
        row = entry(text)
        assert (row["facility_type"], row["strength"], row["allows"]) == ("", "none", ""), text
    # a mall allows its hypermarket only; a company commerce, no institution
    assert entry("060101 购物服务;商场;购物中心")["allows"] == "comprehensive_supermarket"
    company = entry("170200 公司企业;公司;公司")["allows"].split(", ")
    assert "housekeeping" in company
    assert "park_15min" not in company
    assert "primary_school" not in company


def test_poi_category_table_is_checked(monkeypatch):
    from geoplan.standards import _categories

    data = {
        "provider": {
            p: {"name": p, "cite": "c", "urls": [], "verification": "verified_secondary"}
            for p in ("amap", "baidu")
        },
        "category": [
            {
                "facility_type": "pharmacy",
                "strength": "strong",
                "baidu": ["医疗;药店"],
                "verification": "verified_secondary",
            },
            {"strength": "none", "baidu": ["购物;药店"], "verification": "verified_secondary"},
        ],
    }
    with pytest.raises(ConfigError, match=r"word '药店' is indexed by entry 1 .* and entry 2"):
        _categories.parse_table(data)
    data["category"][1] = {"strength": "weak", "words": ["药铺"], "verification": "default"}
    with pytest.raises(ConfigError, match="strength must be 'strong' or 'weak' with a facility"):
        _categories.parse_table(data)
    data["category"][1] = {
        "strength": "none",
        "words": ["药铺"],
        "verification": "verified_secondary",
    }
    with pytest.raises(ConfigError, match="write verification = 'default'"):
        _categories.parse_table(data)
    data["category"][1] = {"strength": "none", "amap": ["0906 药房"], "verification": "default"}
    with pytest.raises(ConfigError, match="must read '<six-digit code> 大类;中类;小类'"):
        _categories.parse_table(data)
    data["category"][1] = {
        "facility_type": "pharmacie",
        "strength": "weak",
        "words": ["药铺"],
        "verification": "default",
        "note": "n",
    }
    table = _categories.parse_table(data)
    with pytest.raises(ConfigError, match="names 'pharmacie', not facility types"):
        table.check_types({t.id for t in load_standards().all_types})


def test_input_file_not_modified(tmp_path, truth):
    path = write_amap_csv(tmp_path / "amap.csv", truth)
    data = path.read_bytes()
    read_poi_table(path, coordinates="gcj02")
    assert path.read_bytes() == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["amap.csv"]


# ---------------------------------------------------------------------- fuzz
HEADER_POOL = [
    "名称",
    "name",
    "类型",
    "tag",
    "地址",
    "id",
    "location",
    "经度",
    "纬度",
    "lng",
    "lat",
    "bd_lng",
    "gcj_lat",
    "合计",
    "备注",
    "",
]
LONS = st.floats(min_value=73, max_value=135)
LATS = st.floats(min_value=18, max_value=54)
CELLS = st.one_of(
    st.none(),
    LONS,
    LATS,
    st.builds(lambda x, y: f"{x},{y}", LONS, LATS),
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.sampled_from(["43.9,125.3", "—", "无", "合计", fullwidth("125.3"), "abc", ""]),
    st.text(max_size=8),
)
HEADERS = st.one_of(
    st.lists(st.sampled_from(HEADER_POOL), min_size=1, max_size=5),
    st.permutations(["名称", "经度", "纬度", "类型", "备注"]),
    st.permutations(["name", "location", "tag", "id", "地址"]),
    st.permutations(["bd_lng", "bd_lat", "名称", "合计", ""]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    headers=HEADERS,
    rows=st.lists(st.lists(CELLS, min_size=5, max_size=5), max_size=6),
    system=st.sampled_from(["auto", "wgs84", "gcj02", "bd09"]),
    encoding=st.sampled_from(["utf-8", "gbk"]),
)
def test_fuzz_read_poi_table(headers, rows, system, encoding):
    """Random small tables give a GeoDataFrame or a geoplan error, nothing else."""
    width = len(headers)
    lines = [headers] + [row[:width] for row in rows]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p.csv"
        frame = pd.DataFrame(lines)
        try:
            frame.to_csv(path, index=False, header=False, encoding=encoding)
        except UnicodeEncodeError:
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnreadableCellsWarning)
            try:
                pois = read_poi_table(path, coordinates=system)
            except GeoplanError:
                return
    assert pois.crs.to_epsg() == 4326
    assert len(pois) >= 1
    assert np.isfinite(pois.geometry.x).all()
    assert set(POI_COLUMNS) >= {"name", "lon", "lat"}
