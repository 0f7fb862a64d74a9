"""Tests of geoplan.sources._coordinate_evidence: coordinate systems decided on evidence.

Offline and deterministic (seeded). The streets are synthetic cities placed in
Changchun, in their UTM zone: a dense grid (80 m streets, where a point shifted
0.5-1.5 km lands as near a street as a right one) and a sparse one (400 m, main
roads only). The points lie beside random streets, as points of interest in
buildings do (5-40 m on the dense grid: anywhere across its 80 m blocks; 5-30 m
on the sparse one), and are written in WGS-84, GCJ-02 or BD-09 with geoplan.coords.
Streets are named row by row (建设N街) and column by column (人民N路), and each
point's address names its street (长春市南关区建设3街12号).
"""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely

from geoplan import ConfigError, CRSError, InputError, coords
from geoplan.datasets import synthetic_city
from geoplan.sources._coordinate_evidence import (
    CHECK_NEAR_M,
    CHECK_SHIFT_MAX_M,
    CHECK_SHIFT_MIN_M,
    CHECK_SHIFTS,
    CHECK_STRONG_SCORE,
    CHECK_WEAK_SCORE,
    Evidence,
    EvidenceRule,
    _decide,
    _shifts,
    check_coordinates,
    check_points,
    street_names,
)
from geoplan.sources._sites import read_site_table

ORIGIN = (125.32, 43.88)
SYSTEMS = ("wgs84", "gcj02", "bd09")
WRONG = [(truth, declared) for truth in SYSTEMS for declared in SYSTEMS if declared != truth]


# ---------------------------------------------------------------------- the data
class Streets:
    """A synthetic city's network with a street name per edge."""

    def __init__(self, area_km2: float, spacing_m: float) -> None:
        self.city = synthetic_city(
            area_km2=area_km2,
            seed=1,
            origin_lonlat=ORIGIN,
            spacing_m=spacing_m,
            with_buildings=False,
        )
        self.net = self.city.network()
        self.spacing = spacing_m
        m = round(math.sqrt(len(self.city.nodes)))  # intersections are numbered row by row
        row_u, col_u = np.divmod(self.city.edges["u"].to_numpy(), m)
        row_v, col_v = np.divmod(self.city.edges["v"].to_numpy(), m)
        self.names = [
            f"建设{ru + 1}街" if ru == rv else (f"人民{cu + 1}路" if cu == cv else None)
            for ru, cu, rv, cv in zip(row_u, col_u, row_v, col_v, strict=True)
        ]

    def beside(self, n: int, seed: int, lo: float = 5.0, hi: float = 30.0):
        """``n`` points lo-hi m beside the middle of random named streets: x, y, addresses."""
        rng = np.random.default_rng(seed)
        named = np.flatnonzero([name is not None for name in self.names])
        edges = rng.choice(named, size=n, replace=False)
        lines = self.net.geometry[edges]
        middle = shapely.line_interpolate_point(lines, rng.uniform(0.3, 0.7, n), normalized=True)
        ends = shapely.get_coordinates(shapely.get_point(lines, -1)) - shapely.get_coordinates(
            shapely.get_point(lines, 0)
        )
        normal = np.column_stack([-ends[:, 1], ends[:, 0]]) / np.hypot(*ends.T)[:, None]
        offset = rng.uniform(lo, hi, n) * rng.choice([-1.0, 1.0], n)
        x = shapely.get_x(middle) + normal[:, 0] * offset
        y = shapely.get_y(middle) + normal[:, 1] * offset
        addresses = [f"长春市南关区{self.names[e]}{k + 1}号" for k, e in enumerate(edges)]
        return x, y, addresses

    def lonlat(self, x, y, system: str):
        """The points' numbers as a file in ``system`` gives them (6 decimals)."""
        to_geo = pyproj.Transformer.from_crs(self.net.crs, 4326, always_xy=True)
        lon, lat = coords.convert(*to_geo.transform(x, y), source="wgs84", target=system)
        return np.round(lon, 6), np.round(lat, 6)


@pytest.fixture(scope="module")
def dense():
    return Streets(area_km2=9, spacing_m=80)


@pytest.fixture(scope="module")
def sparse():
    return Streets(area_km2=16, spacing_m=400)


def _points(streets: Streets, system: str, n: int = 100, seed: int = 3):
    hi = 40.0 if streets.spacing < 100 else 30.0  # dense: anywhere across a block
    x, y, addresses = streets.beside(n, seed, hi=hi)
    lon, lat = streets.lonlat(x, y, system)
    return lon, lat, addresses


# ---------------------------------------------------------------------- addresses
@pytest.mark.parametrize(
    ("address", "streets"),
    [
        ("人民大街1234号", ("人民大街",)),
        ("长春市南关区人民大街１２３４号", ("长春市南关区人民大街",)),  # full-width digits
        ("南关区解放大路与亚泰大街交汇处", ("南关区解放大路", "与亚泰大街")),
        ("人民中路一段8号", ("人民中路",)),
        ("东三胡同5号", ("东三胡同",)),
        ("世纪大道88号", ("世纪大道",)),
        ("自由大路和亚泰大街路口", ("自由大路", "和亚泰大街")),
        ("红旗街道办事处", ()),  # a subdistrict, not a street: no number follows
        ("南湖公园", ()),
        ("", ()),
        (None, ()),
        (float("nan"), ()),
    ],
)
def test_street_names_are_read_before_a_number_or_a_crossing(address, streets):
    assert street_names([address]) == [streets]


def test_network_names_match_the_end_of_the_address(sparse):
    """Bilingual and sectioned OSM names (人民1路 Renmin Road, 建设1街第一) still match."""
    x, y, addresses = sparse.beside(60, seed=4)
    lon, lat = sparse.lonlat(x, y, "gcj02")
    names = [
        None if n is None else (f"{n} Renmin Road" if n.endswith("路") else f"{n}第一")
        for n in sparse.names
    ]
    check = check_points(lon, lat, sparse.net, addresses=addresses, edge_names=names)
    assert check.address is not None
    assert check.address.n_points == 60
    assert check.address.share["gcj02"] == 1.0  # every point is beside the street it names
    assert check.address.median_m["gcj02"] < 30.5


def test_addresses_naming_no_street_of_the_network_give_no_address_test(sparse):
    lon, lat, _ = _points(sparse, "gcj02", n=60)
    unknown = [f"长春市南关区示例路{k}号" for k in range(60)]
    check = check_points(lon, lat, sparse.net, addresses=unknown, edge_names=sparse.names)
    assert check.address is None
    assert check.detected == "gcj02"  # the street distances still decide


# ---------------------------------------------------------------------- the null
def _grid_share(near: float, spacing: float) -> float:
    """Share of random points within ``near`` of a perfect square grid's lines."""
    return 1.0 - (1.0 - 2.0 * near / spacing) ** 2


def _grid_median(spacing: float) -> float:
    """Median distance of random points to a perfect square grid's lines: (1 - 1/√2) s/2."""
    return (1.0 - 1.0 / math.sqrt(2.0)) * spacing / 2.0


@pytest.mark.parametrize("name", ["dense", "sparse"])
def test_the_null_of_shifted_points_is_that_of_random_points_on_the_grid(name, request):
    """On a grid, points shifted 0.1-1.5 km land like random points: the null's median
    share and median distance are a perfect grid's (jitter, missing links and diagonals
    aside); on 80 m streets almost every shifted point is near one."""
    streets = request.getfixturevalue(name)
    lon, lat, _ = _points(streets, "wgs84", n=100)
    check = check_points(lon, lat, streets.net, coordinates="wgs84")
    test = check.distance
    assert test is not None
    assert test.null["shifts"] == CHECK_SHIFTS
    assert test.null["low"] <= test.null["median"] <= test.null["high"] <= test.null["max"]
    assert test.null_median_m["median"] == pytest.approx(_grid_median(streets.spacing), rel=0.3)
    assert test.null["median"] == pytest.approx(
        _grid_share(test.within_m, streets.spacing), abs=0.12
    )
    if name == "dense":
        assert test.within_m == CHECK_NEAR_M  # 30 m: more than a third of a block
        assert test.null["median"] > 0.8
        assert test.null["high"] > 0.9
    else:
        assert test.within_m == pytest.approx(0.75 * test.null_median_m["median"])
        assert test.null["median"] < 0.5
        assert test.share["wgs84"] == 1.0  # every point within 30 m of its street
        assert test.picked == "wgs84"


def test_shifts_stay_in_range_and_away_from_every_candidate():
    avoid = [(0.0, 0.0), (400.0, 300.0), (900.0, 1000.0)]
    rule = EvidenceRule()
    shifts = _shifts(rule, avoid)
    assert shifts.shape == (CHECK_SHIFTS, 2)
    length = np.hypot(shifts[:, 0], shifts[:, 1])
    assert length.min() >= CHECK_SHIFT_MIN_M
    assert length.max() <= CHECK_SHIFT_MAX_M
    for ax, ay in avoid:
        assert np.hypot(shifts[:, 0] - ax, shifts[:, 1] - ay).min() >= CHECK_SHIFT_MIN_M
    np.testing.assert_array_equal(shifts, _shifts(rule, avoid))  # seeded


# ---------------------------------------------------------------------- dense streets
@pytest.mark.parametrize("truth", SYSTEMS)
def test_dense_grid_refuses_auto_with_the_evidence(dense, truth):
    lon, lat, _ = _points(dense, truth)
    with pytest.raises(CRSError, match="cannot tell the coordinate system") as info:
        check_points(lon, lat, dense.net, what="pois.csv")
    message = str(info.value)
    assert message.startswith("pois.csv: cannot tell the coordinate system from the streets")
    for part in (
        "share of the points within 30 m of a street: WGS-84 ",
        ", GCJ-02 ",
        ", BD-09 ",
        "points shifted at random by 100-1,500 m: median ",
        "95th percentile",
        "median distance to a street",
        "Declare the system: coordinates='gcj02' (Amap/Gaode, Tencent), 'bd09' (Baidu)",
        "[pois]",
    ):
        assert part in message


@pytest.mark.parametrize("truth", SYSTEMS)
def test_dense_grid_with_street_named_addresses_picks_the_right_system(dense, truth):
    lon, lat, addresses = _points(dense, truth)
    check = check_points(lon, lat, dense.net, addresses=addresses, edge_names=dense.names)
    assert (check.system, check.decision, check.evidence) == (truth, "detected", "strong")
    assert check.distance is not None
    assert check.distance.picked is None  # the street distances cannot tell
    assert check.address is not None
    assert check.address.picked == truth
    assert check.address.share[truth] == 1.0
    for other in SYSTEMS:
        if other != truth:
            assert check.address.share[other] < 0.5
            assert check.address.median_m[other] > 250  # a wrong system: far from its street


def test_dense_grid_names_from_the_networks_edge_attrs(dense):
    lon, lat, addresses = _points(dense, "bd09")
    named = dense.city.network()
    named.edge_attrs = pd.DataFrame({"name": dense.names})  # as networks read from road lines
    check = check_points(lon, lat, named, addresses=addresses)
    assert check.detected == "bd09"
    assert check.address is not None


def test_dense_grid_declared_wrong_is_kept_with_weak_evidence(dense):
    """Points hugging the streets (1-6 m, as Amap often places shops) on the 80 m grid: the
    true system stands out of the null a little (beyond its 95th percentile), not clearly."""
    x, y, _ = dense.beside(300, seed=7, lo=1.0, hi=6.0)
    lon, lat = dense.lonlat(x, y, "gcj02")
    check = check_points(lon, lat, dense.net, coordinates="wgs84", what="pois.csv")
    assert (check.system, check.decision, check.evidence) == ("wgs84", "contradicted", "weak")
    assert check.favoured == "gcj02"
    assert check.distance is not None
    assert CHECK_WEAK_SCORE < check.distance.score["gcj02"] < CHECK_STRONG_SCORE
    caveat = check.caveat()
    assert caveat is not None
    assert caveat["en"].startswith(
        "pois.csv: coordinates read as the declared WGS-84, although they fit the streets "
        "better as GCJ-02 (weak evidence"
    )
    assert caveat["zh"].startswith("pois.csv：坐标按声明的WGS-84读取，但按GCJ-02与路网更吻合")
    record = check.as_dict()
    assert (record["decision"], record["evidence"], record["favoured"]) == (
        "contradicted",
        "weak",
        "gcj02",
    )
    with pytest.raises(CRSError, match="cannot tell"):
        check_points(lon, lat, dense.net)  # weak evidence never decides "auto"


def test_dense_grid_declared_wrong_is_refused_when_the_addresses_say_so(dense):
    lon, lat, addresses = _points(dense, "gcj02")
    with pytest.raises(CRSError, match=r"declared BD-09 .* look like GCJ-02"):
        check_points(
            lon, lat, dense.net, coordinates="bd09", addresses=addresses, edge_names=dense.names
        )


# ---------------------------------------------------------------------- sparse streets
@pytest.mark.parametrize("truth", SYSTEMS)
def test_sparse_grid_picks_the_right_system(sparse, truth):
    lon, lat, _ = _points(sparse, truth, n=100)
    check = check_points(lon, lat, sparse.net)
    assert (check.system, check.decision, check.evidence) == (truth, "detected", "strong")
    test = check.distance
    assert test is not None
    assert test.picked == truth
    assert test.share[truth] == 1.0
    assert test.score[truth] >= CHECK_STRONG_SCORE
    assert test.median_m[truth] < 30.5
    assert min(test.median_m[s] for s in SYSTEMS if s != truth) > 2 * test.median_m[truth]
    assert check.address is None  # no street names given
    assert check.caveat() is None


@pytest.mark.parametrize(("truth", "declared"), WRONG)
def test_sparse_grid_refuses_a_wrongly_declared_system(sparse, truth, declared):
    lon, lat, _ = _points(sparse, truth, n=100)
    labels = {"wgs84": "WGS-84", "gcj02": "GCJ-02", "bd09": "BD-09"}
    with pytest.raises(CRSError) as info:
        check_points(lon, lat, sparse.net, coordinates=declared, what="sites.csv")
    message = str(info.value)
    assert message.startswith(f"sites.csv: coordinates declared {labels[declared]} but")
    assert f"look like {labels[truth]}" in message
    assert f"pass coordinates='{truth}'" in message


@pytest.mark.parametrize("truth", SYSTEMS)
def test_sparse_grid_confirms_the_right_declared_system(sparse, truth):
    lon, lat, addresses = _points(sparse, truth, n=100)
    check = check_points(
        lon, lat, sparse.net, coordinates=truth, addresses=addresses, edge_names=sparse.names
    )
    assert (check.system, check.decision, check.evidence) == (truth, "confirmed", "strong")
    assert check.address is not None
    assert check.address.picked == truth


def test_the_check_is_deterministic(sparse):
    lon, lat, addresses = _points(sparse, "gcj02", n=100)
    first = check_points(lon, lat, sparse.net, addresses=addresses, edge_names=sparse.names)
    again = check_points(lon, lat, sparse.net, addresses=addresses, edge_names=sparse.names)
    assert first.as_dict() == again.as_dict()


def test_a_sample_limits_the_points_measured(sparse):
    lon, lat, _ = _points(sparse, "gcj02", n=100)
    check = check_points(lon, lat, sparse.net, sample=40)
    assert check.n_points <= 40
    assert check.detected == "gcj02"


# ---------------------------------------------------------------------- the decision table
def _evidence(test: str, scores: dict[str, float], picked: str | None) -> Evidence:
    return Evidence(
        test=test,
        n_points=100,
        counts=dict.fromkeys(SYSTEMS, 100),
        within_m=30.0,
        share={s: 0.5 + 0.1 * v for s, v in scores.items()},
        score=scores,
        null={
            "low": 0.3,
            "median": 0.4,
            "high": 0.5,
            "max": 0.6,
            "unit": 0.1,
            "shifts": 200.0,
            "quantile": 0.95,
            "shift_min_m": 100.0,
            "shift_max_m": 1500.0,
        },
        picked=picked,
        median_m=dict.fromkeys(SYSTEMS, 20.0),
        null_median_m={"low": 10.0, "median": 20.0, "high": 30.0},
    )


NET = SimpleNamespace(name="streets")
STRONG_GCJ = ({"wgs84": 0.0, "gcj02": 3.0, "bd09": 0.2}, "gcj02")
STRONG_BD = ({"wgs84": 0.0, "gcj02": 0.2, "bd09": 3.0}, "bd09")
WEAK_GCJ = ({"wgs84": 0.3, "gcj02": 1.5, "bd09": 0.2}, None)
NONE = ({"wgs84": 0.3, "gcj02": 0.5, "bd09": 0.2}, None)
BOTH_GOOD = ({"wgs84": 1.6, "gcj02": 3.0, "bd09": 0.2}, "gcj02")


@pytest.mark.parametrize(
    ("declared", "distance", "address", "expected"),
    [
        ("auto", STRONG_GCJ, None, ("gcj02", "detected", "strong")),
        ("auto", NONE, STRONG_GCJ, ("gcj02", "detected", "strong")),  # the addresses decide
        ("auto", WEAK_GCJ, None, CRSError),
        ("auto", NONE, None, CRSError),
        ("auto", STRONG_GCJ, STRONG_BD, CRSError),  # the tests disagree
        ("gcj02", STRONG_GCJ, None, ("gcj02", "confirmed", "strong")),
        ("wgs84", STRONG_GCJ, None, CRSError),  # strong, and WGS-84 no better than the null
        ("wgs84", BOTH_GOOD, None, ("wgs84", "contradicted", "weak")),  # WGS-84 beats the null
        ("wgs84", WEAK_GCJ, None, ("wgs84", "contradicted", "weak")),
        ("gcj02", WEAK_GCJ, None, ("gcj02", "kept", "weak")),
        ("bd09", NONE, None, ("bd09", "kept", "none")),
        ("gcj02", STRONG_GCJ, STRONG_BD, ("gcj02", "contradicted", "weak")),
    ],
)
def test_the_decision_rule(declared, distance, address, expected):
    tests = {
        "distance": _evidence("distance", *distance),
        "address": None if address is None else _evidence("address", *address),
    }
    rule = EvidenceRule()
    if expected is CRSError:
        with pytest.raises(CRSError):
            _decide(declared, tests["distance"], tests["address"], network=NET, rule=rule, what="x")
        return
    check = _decide(declared, tests["distance"], tests["address"], network=NET, rule=rule, what="x")
    assert (check.system, check.decision, check.evidence) == expected
    if check.decision == "contradicted":
        assert check.favoured in {"gcj02", "bd09"}
        assert check.caveat() is not None


# ---------------------------------------------------------------------- unchecked, arguments
def test_a_network_too_small_to_calibrate_leaves_the_points_unchecked():
    small = Streets(area_km2=0.05, spacing_m=80)
    lon, lat, _ = _points(small, "gcj02", n=8)
    check = check_points(lon, lat, small.net, coordinates="gcj02", what="pois.csv")
    assert (check.system, check.decision, check.evidence) == ("gcj02", "unchecked", "none")
    assert "too small to calibrate" in check.reason
    assert "not checked against the streets" in check.caveat()["en"]
    assert check_points(lon, lat, small.net).system is None  # auto: nothing to decide on


def test_bad_arguments(sparse):
    lon, lat, _ = _points(sparse, "gcj02", n=20)
    with pytest.raises(InputError, match=r"one name .* per edge"):
        check_points(lon, lat, sparse.net, addresses=["x"] * 20, edge_names=["a", "b"])
    with pytest.raises(InputError, match="lon has 20 values but lat 19"):
        check_points(lon, lat[:-1], sparse.net)
    with pytest.raises(InputError, match="sample"):
        check_points(lon, lat, sparse.net, sample=0)
    with pytest.raises(ConfigError, match="unknown coordinate system"):
        check_points(lon, lat, sparse.net, coordinates="utm")
    with pytest.raises(InputError, match=r"strong_score=0\.5 must be at least weak_score"):
        EvidenceRule(strong_score=0.5)
    with pytest.raises(InputError, match="shifts=5 must be at least 20"):
        EvidenceRule(shifts=5)


def test_a_stricter_rule_is_honoured(sparse):
    lon, lat, _ = _points(sparse, "gcj02", n=100)
    with pytest.raises(CRSError, match="cannot tell"):
        check_points(lon, lat, sparse.net, rule=EvidenceRule(strong_score=50.0))


# ---------------------------------------------------------------------- frames and files
def test_community_boundaries_are_checked_along_their_edges(sparse):
    """Communities bounded by streets (the blocks of the sparse grid): their boundaries, not
    their centroids, carry the evidence."""
    blocks = shapely.get_parts(shapely.polygonize(list(sparse.net.geometry)))
    frame = gpd.GeoDataFrame(geometry=blocks, crs=sparse.net.crs).to_crs(4326)
    gcj = coords.convert_frame(frame, source="wgs84", target="gcj02")
    check = check_coordinates(gcj, sparse.net, coordinates="auto", what="communities.gpkg")
    assert (check.system, check.decision) == ("gcj02", "detected")
    assert check.n_points > 10 * len(gcj)  # points every 25 m along the boundaries
    assert check.distance is not None
    assert check.distance.median_m["gcj02"] < 1.0  # on the streets
    with pytest.raises(CRSError, match=r"communities\.gpkg: coordinates declared WGS-84"):
        check_coordinates(gcj, sparse.net, what="communities.gpkg")  # declared WGS-84 by default
    assert check_coordinates(frame, sparse.net).decision == "confirmed"


def test_facility_points_in_a_geoseries_with_addresses(sparse):
    x, y, addresses = sparse.beside(60, seed=9)
    lon, lat = sparse.lonlat(x, y, "bd09")
    frame = gpd.GeoDataFrame(
        {"地址": addresses}, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326"
    )
    check = check_coordinates(
        frame, sparse.net, coordinates="auto", address_column="地址", edge_names=sparse.names
    )
    assert check.detected == "bd09"
    assert check.address is not None
    assert check.address.n_points == 60
    series = check_coordinates(frame.geometry, sparse.net, coordinates="auto")
    assert series.detected == "bd09"
    assert series.what == "the features"


def test_frames_that_are_not_lonlat_are_refused(sparse):
    frame = sparse.city.communities  # in UTM metres
    with pytest.raises(CRSError, match="projected CRS; WGS-84, GCJ-02 and BD-09 are"):
        check_coordinates(frame, sparse.net)
    with pytest.raises(CRSError, match=r"no CRS.*set_crs\(4326\)"):
        check_coordinates(frame.set_crs(None, allow_override=True), sparse.net)
    with pytest.raises(InputError, match="GeoDataFrame or GeoSeries"):
        check_coordinates(pd.DataFrame({"a": [1]}), sparse.net)
    with pytest.raises(InputError, match="no column '地址'"):
        check_coordinates(frame.to_crs(4326), sparse.net, address_column="地址")


def _site_file(folder: Path, streets: Streets, system: str) -> tuple[Path, np.ndarray]:
    x, y, addresses = streets.beside(60, seed=11)
    lon, lat = streets.lonlat(x, y, system)
    path = folder / "clinics.csv"
    pd.DataFrame(
        {"名称": [f"诊所{k}" for k in range(60)], "地址": addresses, "经度": lon, "纬度": lat}
    ).to_csv(path, index=False, encoding="gbk")
    to_geo = pyproj.Transformer.from_crs(streets.net.crs, 4326, always_xy=True)
    return path, np.column_stack(to_geo.transform(x, y))


def test_a_site_table_in_gcj02_is_read_as_wgs84(tmp_path, sparse):
    path, truth = _site_file(tmp_path, sparse, "gcj02")
    sites = read_site_table(path, x="lon", y="lat", crs="EPSG:4326", coordinates="gcj02")
    assert sites.attrs["source_coordinate_system"] == "gcj02"
    geod = pyproj.Geod(ellps="WGS84")
    _, _, off = geod.inv(sites.geometry.x, sites.geometry.y, truth[:, 0], truth[:, 1])
    assert np.max(off) < 0.5
    checked = read_site_table(
        path, x="lon", y="lat", crs="EPSG:4326", coordinates="auto", network=sparse.net
    )
    assert checked.attrs["coordinate_check"]["decision"] == "detected"
    assert checked.attrs["source_coordinate_system"] == "gcj02"
    np.testing.assert_allclose(checked.geometry.x, sites.geometry.x)


def test_a_site_table_declared_wrongly_is_refused(tmp_path, sparse):
    path, _ = _site_file(tmp_path, sparse, "gcj02")
    where = "[facilities.types.clinic]"
    with pytest.raises(CRSError, match=r"\[facilities.types.clinic\] clinics.csv: coordinates"):
        read_site_table(path, x="lon", y="lat", crs="EPSG:4326", where=where, network=sparse.net)


def test_site_table_coordinates_that_cannot_apply(tmp_path, sparse):
    path, _ = _site_file(tmp_path, sparse, "gcj02")
    with pytest.raises(ConfigError, match="applies to longitude/latitude"):
        read_site_table(path, x="lon", y="lat", crs="EPSG:32651", coordinates="gcj02")
    with pytest.raises(ConfigError, match="'auto' needs the street network"):
        read_site_table(path, x="lon", y="lat", crs="EPSG:4326", coordinates="auto")
    with pytest.raises(ConfigError, match="unknown coordinate system"):
        read_site_table(path, x="lon", y="lat", crs="EPSG:4326", coordinates="utm")


# ---------------------------------------------------------------------- real streets
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm"
REAL = ("harbin_2017.osm.pbf", "chengdu_2017.osm.pbf")


@pytest.fixture(scope="module", params=REAL)
def real(request):
    from geoplan.sources import read_facilities, read_network

    path = SHARED / request.param
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared OSM extracts are optional)")
    pois = read_facilities(path).to_crs(4326).geometry.representative_point()
    return read_network(path), pois


def _beside_real(net, n: int, seed: int):
    """Points 5-30 m beside the middle of random edges longer than 40 m, in WGS-84."""
    rng = np.random.default_rng(seed)
    edges = rng.choice(np.flatnonzero(net.length_m > 40), size=n, replace=False)
    lines = net.geometry[edges]
    middle = shapely.line_interpolate_point(lines, 0.5, normalized=True)
    ahead = shapely.line_interpolate_point(lines, 0.5 + 10 / net.length_m[edges], normalized=True)
    tangent = shapely.get_coordinates(ahead) - shapely.get_coordinates(middle)
    normal = np.column_stack([-tangent[:, 1], tangent[:, 0]]) / np.hypot(*tangent.T)[:, None]
    offset = rng.uniform(5, 30, n) * rng.choice([-1.0, 1.0], n)
    xy = shapely.get_coordinates(middle) + normal * offset[:, None]
    to_geo = pyproj.Transformer.from_crs(net.crs, 4326, always_xy=True)
    return to_geo.transform(xy[:, 0], xy[:, 1])


@pytest.mark.realdata
@pytest.mark.parametrize("truth", SYSTEMS)
def test_real_streets_decide_points_beside_them(real, truth):
    """OpenStreetMap's 2017 streets of Harbin and Chengdu (main roads mostly): points 5-30 m
    beside them are placed right in every system."""
    net, _ = real
    lon, lat = coords.convert(*_beside_real(net, 300, seed=1), source="wgs84", target=truth)
    check = check_points(lon, lat, net)
    assert (check.system, check.evidence) == (truth, "strong")


@pytest.mark.realdata
@pytest.mark.parametrize("truth", SYSTEMS)
def test_real_points_of_interest_are_never_placed_in_a_wrong_system(real, truth):
    """OpenStreetMap's own points of interest, mapped in WGS-84 and written in each system:
    the streets either find the system or refuse; they never pick a wrong one."""
    net, pois = real
    lon, lat = coords.convert(pois.x, pois.y, source="wgs84", target=truth)
    assert _system_or_refusal(lon, lat, net) in {truth, "refused"}


def _system_or_refusal(lon, lat, net) -> str:
    try:
        return str(check_points(lon, lat, net).system)
    except CRSError:
        return "refused"
