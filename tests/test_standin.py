"""The synthetic stand-in of a Chinese district: deterministic, and the documented path reads it."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner

import geoplan
from geoplan import OutputError
from geoplan.cli import cli
from geoplan.datasets._bureau import BAIDU_TAGS, PARCEL_CLASSES, PARCEL_LAYER, ROAD_LAYER
from geoplan.datasets._standin import STANDIN_ORIGIN, STANDIN_SEED, STANDIN_SPACING_M
from geoplan.sources import district_boundary, read_boundaries
from geoplan.sources._sites import read_site_table

FILES = {
    "extract.osm",
    "amap_pois.csv",
    "register.xlsx",
    "communities.gpkg",
    "roads.gpkg",
    "parcels.gpkg",
    "baidu_pois.csv",
    "study.toml",
}


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    return geoplan.datasets.standin_district(tmp_path_factory.mktemp("standin"))


@pytest.fixture(scope="module")
def district(standin):
    return district_boundary(standin.extract, standin.district, within=standin.city)


@pytest.fixture(scope="module")
def net(standin, district):
    return geoplan.read_network(standin.extract, clip=district)


def test_the_files_are_written_into_the_folder_only(tmp_path):
    folder = tmp_path / "nested" / "standin"
    standin = geoplan.datasets.standin_district(str(folder))
    assert {p.name for p in folder.iterdir()} == FILES
    assert {p.name for p in tmp_path.iterdir()} == {"nested"}
    assert standin.folder == folder
    assert standin.extract == folder / "extract.osm"
    assert (standin.roads, standin.parcels) == (folder / "roads.gpkg", folder / "parcels.gpkg")
    assert (standin.baidu_pois, standin.study) == (folder / "baidu_pois.csv", folder / "study.toml")
    assert (standin.district, standin.city) == ("南关区（示例）", "长春市（示例）")
    assert "example" in standin.district_en
    assert standin.seed == STANDIN_SEED
    with pytest.raises(dataclasses.FrozenInstanceError):
        standin.district = "南关区"  # type: ignore[misc]


def test_it_never_overwrites(tmp_path):
    first = geoplan.datasets.standin_district(tmp_path)
    before = first.amap_pois.read_bytes()
    with pytest.raises(OutputError, match="never overwrites"):
        geoplan.datasets.standin_district(tmp_path)
    assert first.amap_pois.read_bytes() == before
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="cannot make the folder"):
        geoplan.datasets.standin_district(tmp_path / "file" / "below")


def test_the_stand_in_is_deterministic(tmp_path, standin):
    again = geoplan.datasets.standin_district(tmp_path / "again")
    for name in ("extract", "amap_pois", "baidu_pois", "study"):  # text: the same bytes
        assert getattr(again, name).read_bytes() == getattr(standin, name).read_bytes(), name
    pd.testing.assert_frame_equal(
        geoplan.read_register(again.register), geoplan.read_register(standin.register)
    )
    for name in ("communities", "roads", "parcels"):  # GeoPackages: the same content
        one, two = gpd.read_file(getattr(standin, name)), gpd.read_file(getattr(again, name))
        pd.testing.assert_frame_equal(one.drop(columns="geometry"), two.drop(columns="geometry"))
        assert bool(one.geometry.geom_equals_exact(two.geometry, tolerance=0).all()), name
        assert one.crs == two.crs


def test_everything_is_marked_as_an_example(standin):
    text = standin.extract.read_text(encoding="utf-8")
    assert "NOT OpenStreetMap data" in text
    boundaries = read_boundaries(standin.extract)
    levels = dict(zip(boundaries["name"], boundaries["admin_level"], strict=True))
    assert levels == {"长春市（示例）": 5, "南关区（示例）": 6, "朝阳区（示例）": 6}
    pois = standin.amap_pois.read_bytes().decode("gb18030")
    names = [line.split(",", 1)[0] for line in pois.splitlines()[1:]]
    assert names
    assert all(name.endswith("（示例）") for name in names)
    with pytest.raises(UnicodeDecodeError):
        standin.amap_pois.read_bytes().decode("utf-8")  # GB18030, as Chinese Windows writes
    title = pd.read_excel(standin.register, header=None).iloc[0, 0]
    assert "合成示例数据" in title
    osm_names = re.findall(r'k="name(?::zh)?" v="([^"]*)"', text)
    assert osm_names
    assert all("示例" in name for name in osm_names)
    register = geoplan.read_register(standin.register)
    for column in ("community_name", "district", "subdistrict"):
        assert register[column].str.contains("示例").all()
    assert gpd.read_file(standin.communities)["name"].str.startswith("示例").all()
    roads = gpd.read_file(standin.roads)
    assert roads["道路名称"].str.startswith("示例").all()
    assert gpd.read_file(standin.parcels)["地块编号"].str.startswith("示例-").all()
    baidu = pd.read_csv(standin.baidu_pois, encoding="utf-8-sig", dtype=str)
    assert baidu["名称"].str.startswith("示例").all()
    assert baidu["地址"].str.contains("（示例）示例").all()  # the district, then the street
    study = standin.study.read_text(encoding="utf-8")
    assert "虚构的合成示例数据" in study
    assert "invented" in study
    assert "示例" in geoplan.load_config(standin.study).title


def test_the_district_lies_in_the_city_by_either_name(standin, district):
    city = district_boundary(standin.extract, standin.city, admin_level=5)
    assert district_boundary(standin.extract, standin.district_en).equals(district)
    assert district_boundary(standin.extract, "南关区(示例)").equals(district)  # half-width
    assert city.covers(district)
    assert 0.6 < district.area / city.area < 0.75  # 6 of the 9 communities
    communities = gpd.read_file(standin.communities)
    inside = communities.geometry.representative_point().within(district)
    assert int(inside.sum()) == 6
    whole = shapely.union_all(communities.geometry.to_numpy())
    assert whole.symmetric_difference(city).area < 1e-5 * city.area  # the same lines, in UTM


def test_the_network_clipped_to_the_district_is_connected_and_inside_it(standin, district, net):
    whole = geoplan.read_network(standin.extract)
    assert net.n_components == 1
    assert 0.5 * whole.n_nodes < net.n_nodes < 0.8 * whole.n_nodes
    city = geoplan.datasets.synthetic_city(
        area_km2=4.0, spacing_m=STANDIN_SPACING_M, seed=STANDIN_SEED, origin_lonlat=STANDIN_ORIGIN
    )
    assert whole.n_edges == len(city.edges)  # every street of the synthetic city, once
    nodes, _ = net.to_gdfs()
    area = gpd.GeoSeries([district], crs=4326).to_crs(net.crs).iloc[0]
    outside = nodes.geometry.distance(area)
    assert float(outside.max()) < 1.5 * STANDIN_SPACING_M  # only the far ends of edges it cuts
    assert float((outside == 0).mean()) > 0.9


def test_buildings_are_read_from_the_extract(standin, district):
    buildings = geoplan.read_buildings(standin.extract, clip=district)
    everything = geoplan.read_buildings(standin.extract)
    assert 0 < len(buildings) < len(everything)
    assert set(buildings["building"]) == {"residential"}
    assert bool((buildings["levels"] >= 1).all())


def test_the_amap_export_is_read_as_declared_gcj02(standin, district, net):
    # the stand-in's 80 m grid is too dense for the streets to tell the systems apart: points
    # shifted 0.3-1.5 km lie as near a street as the true ones, so "auto" refuses and says why
    with pytest.raises(geoplan.CRSError, match=r"cannot tell .* 'extract': share of the points"):
        geoplan.read_poi_table(standin.amap_pois, coordinates="auto", network=net)
    pois = geoplan.read_poi_table(standin.amap_pois, coordinates="gcj02", network=net)
    check = pois.attrs["coordinate_check"]
    assert (check["declared"], check["system"]) == ("gcj02", "gcj02")
    assert (check["decision"], check["evidence"]) == ("kept", "none")
    assert check["distance"]["share"]["gcj02"] == 1.0  # every POI beside a street ...
    assert check["distance"]["null"]["high"] == 1.0  # ... as are 5 % of the shifted points
    assert check["caveat"]["en"].startswith("amap_pois.csv: coordinates read as the declared")
    assert pois.attrs["source_coordinate_system"] == "gcj02"
    assert bool(pois.geometry.within(district).all())  # back in WGS-84, inside the district
    counts = pois["facility_type"].value_counts()
    assert counts["community_canteen"] == 2
    assert counts["kindergarten"] >= 1
    rules = pois.set_index("facility_type")["match_rule"]
    assert set(rules.loc["kindergarten"]) == {"category:幼儿园"}  # named 小太阳N号园
    assert int(pois["facility_type"].isna().sum()) >= 3  # restaurants, banks, ...


def test_the_register_joins_every_community_by_code(standin):
    register = geoplan.read_register(standin.register)
    assert len(register) == 9
    assert register.attrs["problems"] == []
    assert register["community_code"].tolist() == [f"C{i:03d}" for i in range(1, 10)]
    assert set(register["district"]) == {"南关区(示例)", "朝阳区(示例)"}
    assert register.notna().all().all()
    city = geoplan.datasets.synthetic_city(
        area_km2=4.0, spacing_m=STANDIN_SPACING_M, seed=STANDIN_SEED, origin_lonlat=STANDIN_ORIGIN
    )
    expected = geoplan.datasets.synthetic_register(city, seed=STANDIN_SEED + 1)
    np.testing.assert_array_equal(register["households"], expected["households"])
    np.testing.assert_array_equal(register["urban_rural"], expected["urban_rural"])
    communities = geoplan.read_boundaries(standin.communities)
    joined, unmatched = geoplan.join_register(register, communities, on="code")
    assert unmatched.empty
    assert len(joined) == 9
    by_name, unmatched_by_name = geoplan.join_register(register, communities, on="name")
    assert unmatched_by_name.empty  # 示例第1社区 = 示例第1社区居民委员会
    assert by_name.index.equals(joined.index)


def test_the_plans_indicators_are_evaluated(standin):
    register = geoplan.read_register(standin.register)
    joined, _ = geoplan.join_register(register, geoplan.read_boundaries(standin.communities))
    result = geoplan.evaluate_indicators(joined)
    study = result.table[result.table["area_level"] == "study"]
    assert len(study) == 8
    assert result.unsupported.empty
    assert sorted(result.by_district.index) == ["南关区(示例)", "朝阳区(示例)"]
    assert result.by_district["n_communities"].sum() == 9
    summary = result.summary("zh")
    assert len(summary) == 8
    assert summary["现状值"].notna().all()


# ------------------------------------------------------------------ a bureau's own files


@pytest.fixture(scope="module")
def city():
    return geoplan.datasets.synthetic_city(
        area_km2=4.0, spacing_m=STANDIN_SPACING_M, seed=STANDIN_SEED, origin_lonlat=STANDIN_ORIGIN
    )


@pytest.fixture(scope="module")
def roads(standin):
    return gpd.read_file(standin.roads, layer=ROAD_LAYER)


@pytest.fixture(scope="module")
def bureau_net(standin):
    return geoplan.read_network(
        standin.roads, noding="planar", class_column="道路等级", level_column="层"
    )


def _link_kinds(city):
    """0 for a link along a grid row, 1 along a column, 2 a diagonal; and which are bridges."""
    m = round(len(city.nodes) ** 0.5)
    u, v = city.edges["u"].to_numpy(), city.edges["v"].to_numpy()
    kind = np.where(u // m == v // m, 0, np.where(u % m == v % m, 1, 2))
    return kind, city.edges.geometry.intersects(city.river).to_numpy()


def _crossings(roads):
    """Where the riverside path crosses the bridges (no vertex of either there)."""
    path = roads.loc[roads["道路名称"] == "示例滨河步道"].geometry.iloc[0]
    bridges = roads.loc[roads["层"] == 1].geometry
    return [path.intersection(bridge) for bridge in bridges], path, bridges


def test_the_road_lines_are_long_lines_with_chinese_columns(standin, roads, city):
    assert pyogrio.list_layers(standin.roads).tolist() == [[ROAD_LAYER, "LineString"]]
    assert roads.crs.to_epsg() == 4530  # CGCS2000 / 3-degree Gauss-Kruger zone 42
    assert list(roads.columns) == ["道路名称", "道路等级", "层", "geometry"]
    assert set(roads["道路等级"]) == {"主干路", "次干路", "支路", "街巷", "步行道", "梯道"}
    grid = roads[roads["道路等级"].isin(["主干路", "次干路", "支路", "街巷"])]
    vertices = shapely.get_num_coordinates(grid.geometry.to_numpy())
    assert len(grid) < len(city.edges) / 5  # runs of links, not one line per link
    assert vertices.max() >= 10
    kind, _ = _link_kinds(city)
    assert int((vertices - 1).sum()) == int((kind < 2).sum())  # every row and column link
    diagonals = roads[roads["道路名称"].str.endswith("号步道")]
    assert len(diagonals) == int((kind == 2).sum())
    # the main roads are the OSM extract's tertiary roads, with the same names
    text = standin.extract.read_text(encoding="utf-8")
    tertiary = set(re.findall(r'k="highway" v="tertiary"/><tag k="name" v="([^"]*)"', text))
    assert set(roads.loc[roads["道路等级"] == "主干路", "道路名称"]) <= tertiary
    assert {"示例1街", "示例1路", "示例4街"} <= set(
        roads.loc[roads["道路等级"] == "主干路", "道路名称"]
    )
    assert roads.loc[roads["道路名称"] == "示例纬2路", "道路等级"].unique().tolist() == ["支路"]
    assert roads.loc[roads["道路名称"] == "示例经3巷", "道路等级"].unique().tolist() == ["街巷"]


def test_the_bridges_are_on_level_one_and_share_no_vertex_with_the_path_below(roads, city):
    bridges = roads[roads["层"] == 1]
    assert len(bridges) == 3
    river = gpd.GeoSeries([city.river], crs=city.crs).to_crs(roads.crs).iloc[0]
    assert bool(bridges.geometry.crosses(river).all())
    assert set(roads.loc[roads["层"] == 0].index) == set(roads.index) - set(bridges.index)
    crossings, path, lines = _crossings(roads)
    assert all(p.geom_type == "Point" for p in crossings)
    vertices = shapely.points(shapely.get_coordinates([path, *lines]))
    for point in crossings:  # they cross, but no line has a vertex there
        assert float(shapely.distance(vertices, point).min()) > 5.0


def test_the_road_lines_make_one_network_joined_at_shared_vertices(
    standin, roads, bureau_net, city
):
    # every link of the synthetic city, the path and the steps; nothing lost or doubled
    assert bureau_net.n_components == 1
    _, edges = bureau_net.to_gdfs()
    assert float(edges.length.sum()) == pytest.approx(float(roads.length.sum()), rel=1e-9)
    # nodes: every junction of the city (a node inside one straight run is no junction),
    # the path's two ends and the feet of the three flights of steps
    kind, bridge = _link_kinds(city)
    ends = np.r_[city.edges["u"].to_numpy(), city.edges["v"].to_numpy()]
    n = len(city.nodes)
    degree = np.bincount(ends, minlength=n)
    inside_a_run = np.zeros(n, dtype=bool)
    for along in (0, 1):  # both of a node's links run along one row (or column), no bridge
        picked = (np.r_[kind, kind] == along) & ~np.r_[bridge, bridge]
        on = np.bincount(ends[picked], minlength=n)
        inside_a_run |= (degree == 2) & (on == 2)
    assert bureau_net.n_nodes == n - int(inside_a_run.sum()) + 5
    for point in _crossings(roads)[0]:  # the bridges pass over the path: not joined there
        assert float(np.hypot(bureau_net.x - point.x, bureau_net.y - point.y).min()) > 5.0
    names = bureau_net.edge_attrs["name"]
    assert names.str.startswith("示例").all()
    assert set(bureau_net.edge_attrs.loc[bureau_net.edge_attrs["level"] == 1, "name"]) == set(
        roads.loc[roads["层"] == 1, "道路名称"]
    )


def test_only_the_level_keeps_the_bridges_off_the_path(tmp_path, roads, bureau_net):
    flat = tmp_path / "flat.gpkg"
    roads.drop(columns="层").to_file(flat, layer=ROAD_LAYER)
    joined = geoplan.read_network(flat, noding="planar")  # crossings become junctions
    assert joined.n_nodes == bureau_net.n_nodes + 3
    assert joined.n_edges == bureau_net.n_edges + 6
    by_vertices = geoplan.read_network(flat, noding="vertices")  # no shared vertex: not joined
    assert (by_vertices.n_nodes, by_vertices.n_edges) == (bureau_net.n_nodes, bureau_net.n_edges)


@pytest.fixture(scope="module")
def parcels(standin):
    return gpd.read_file(standin.parcels, layer=PARCEL_LAYER)


def test_the_parcels_tile_the_citys_land_one_community_each(parcels, city):
    assert parcels.crs.to_epsg() == 4530
    assert list(parcels.columns) == [
        "地块编号",
        "Level1",
        "Level2",
        "用地名称",
        "容积率",
        "geometry",
    ]
    local = parcels.to_crs(city.crs)
    land = shapely.box(*city.bounds).difference(city.river)
    assert float(local.area.sum()) == pytest.approx(land.area, rel=1e-4)  # two projections apart
    whole = shapely.union_all(local.geometry.to_numpy())
    assert float(whole.symmetric_difference(land).area) < 1e-5 * land.area  # no gap, no overlap
    community = city.communities.geometry.to_numpy()
    share = shapely.area(shapely.intersection(local.geometry.to_numpy()[:, None], community))
    assert np.allclose(share.max(axis=1) / local.area.to_numpy(), 1.0, atol=1e-4)  # never split
    assert set(parcels["Level2"]) == set(PARCEL_CLASSES)  # 0101, 0202, 0502, 0503, 0505
    assert (parcels["Level1"] == parcels["Level2"] // 100).all()
    assert (parcels["用地名称"] == parcels["Level2"].map(PARCEL_CLASSES)).all()


def test_the_floor_area_ratios_are_those_of_the_citys_buildings(parcels, city):
    housing = parcels[parcels["Level2"] == 101]
    assert parcels.loc[parcels["Level2"] != 101, "容积率"].isna().all()
    blank = housing["容积率"].isna().to_numpy()
    assert int(blank.sum()) == len(housing) // 5  # every fifth: geoplan's default applies
    homes = city.buildings.to_crs(parcels.crs)
    inside = gpd.sjoin(
        gpd.GeoDataFrame(homes, geometry=homes.geometry.centroid), housing, predicate="within"
    )
    floor = (homes.area * homes["levels"]).groupby(inside["index_right"]).sum()
    given = housing.loc[~blank]
    expected = (floor.reindex(given.index) / given.area).round(2)
    np.testing.assert_allclose(given["容积率"], expected, atol=0.011)  # the city's floor area


def test_the_parcels_give_each_community_a_plausible_population(parcels, city):
    demand = geoplan.population.population_from_parcels(
        parcels, class_column="Level2", far_column="容积率", scheme="euluc"
    )
    housing = parcels[parcels["Level2"] == 101]
    by_hand = housing.area * housing["容积率"].fillna(2.0) * 0.025  # far_residential, persons/m2
    assert float(demand["population"].sum()) == pytest.approx(float(by_hand.sum()), rel=1e-9)
    communities = city.communities.to_crs(parcels.crs)
    where = gpd.sjoin(demand, communities, predicate="within")["community_id"]
    estimate = demand["population"].groupby(where).sum()
    buildings = city.communities.set_index("community_id")["population"]
    ratio = estimate / buildings.reindex(estimate.index)
    assert len(estimate) == 9
    assert ratio.between(0.8, 1.25).all(), ratio  # near what the buildings hold


def test_the_baidu_export_is_in_bd09_and_its_addresses_decide_it(standin, bureau_net, city):
    text = standin.baidu_pois.read_bytes()
    assert text.startswith(b"\xef\xbb\xbf")  # UTF-8 with a byte-order mark
    assert text.decode("utf-8-sig").splitlines()[0] == "名称,标签,地址,lng,lat,uid"
    # the streets' distances cannot tell the systems apart on an 80 m grid, but every address
    # names the street the point stands on (示例经20路38号): that test singles out BD-09
    sites = read_site_table(
        standin.baidu_pois,
        x="lon",
        y="lat",
        crs="EPSG:4326",
        coordinates="auto",
        network=bureau_net,
    )
    check = sites.attrs["coordinate_check"]
    assert (check["system"], check["evidence"]) == ("bd09", "strong")
    assert check["address"]["share"]["bd09"] == 1.0
    assert check["address"]["n_points"] == len(sites)
    assert sites["标签"].value_counts().to_dict() == {
        "医疗;药店": 8,
        "医疗;诊所": 3,
        "政府机构;福利机构": 2,
        "美食;中餐厅": 1,
        "金融;银行": 1,
        "生活服务;洗衣店": 1,
        "购物;文具用品店": 1,
        "丽人;美发": 1,
    }
    # back in WGS-84, the facilities stand where the synthetic city has them
    facilities = sites[sites["标签"].isin(BAIDU_TAGS.values())].to_crs(city.crs)
    truth = city.facilities[city.facilities["category"].isin(BAIDU_TAGS)]
    gaps = shapely.distance(facilities.geometry.to_numpy()[:, None], truth.geometry.to_numpy())
    assert float(np.min(gaps, axis=1).max()) < 0.5
    assert sorted(np.argmin(gaps, axis=1)) == list(range(len(truth)))  # each one once


def test_the_study_file_names_the_bureau_files_only_by_relative_paths(standin, tmp_path):
    config = geoplan.load_config(standin.study)
    assert config.network_source == standin.roads
    assert config.network_lines == {
        "layer": ROAD_LAYER,
        "noding": "planar",
        "class_column": "道路等级",
        "name_column": "道路名称",
        "level_column": "层",
    }
    assert (config.population_source, config.population_class_column) == (standin.parcels, "Level2")
    assert (config.poi_file, config.poi_coordinates) == (standin.amap_pois, "gcj02")
    assert config.register_source == standin.register
    assert config.communities_id_column == "code"
    files = {s.type_id: (s.file, s.coordinates, s.type_value) for s in config.facility_sources}
    assert files == {
        "community_canteen": (None, "wgs84", None),
        "kindergarten": (None, "wgs84", None),
        **{t: (standin.baidu_pois, "bd09", tag) for t, tag in BAIDU_TAGS.items()},
    }
    assert [(s.facility_type, s.p) for s in config.sites] == [("community_canteen", 2)]
    assert (config.lang, config.basemap) == ("zh", "none")
    assert "extract.osm" not in standin.study.read_text(encoding="utf-8")
    moved = tmp_path / "moved"
    shutil.copytree(standin.folder, moved)
    assert geoplan.load_config(moved / "study.toml").network_source == moved / "roads.gpkg"


# ------------------------------------------------------------------ the study, from its TOML alone


@pytest.fixture(scope="module")
def bureau_run(standin, tmp_path_factory):
    """``geoplan run study.toml --out ...``: the command, the file, nothing else."""
    out = tmp_path_factory.mktemp("bureau") / "run"
    result = CliRunner().invoke(cli, ["-q", "run", str(standin.study), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, json.loads((out / "run.json").read_text(encoding="utf-8"))


def _table(out, name):
    return pd.read_csv(out / "tables" / f"{name}.csv", encoding="utf-8-sig", dtype={"item": str})


@pytest.mark.slow
def test_the_study_reads_the_bureau_files_and_no_extract(bureau_run, standin):
    out, run = bureau_run
    assert {Path(i["path"]).name for i in run["inputs"]} == {
        "roads.gpkg",
        "parcels.gpkg",
        "communities.gpkg",
        "amap_pois.csv",
        "baidu_pois.csv",
        "register.xlsx",
    }
    for record in run["inputs"]:  # each file as written, by its checksum
        path = Path(record["path"])
        assert record["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert run["totals"]["connectivity"]["pieces"] == 1  # bridges joined at their ends only
    summary = _table(out, "summary").set_index(["section", "item"])["value"]
    assert summary[("network", "pieces")] == 1
    assert summary[("study", "communities")] == 9


@pytest.mark.slow
def test_the_studys_population_is_the_parcels_estimate(bureau_run, parcels):
    out, run = bureau_run
    demand = geoplan.population.population_from_parcels(
        parcels, class_column="Level2", far_column="容积率", scheme="euluc"
    )
    total = float(demand["population"].sum())
    summary = _table(out, "summary").set_index(["section", "item"])["value"]
    assert summary[("study", "population")] == pytest.approx(total, rel=1e-9)
    assert summary[("study", "outside_population")] == 0
    assert run["population_method"]["source"] == "parcels"
    by_community = _table(out, "coverage_by_community")
    pharmacy = by_community[by_community["facility_type"] == "pharmacy"]
    assert float(pharmacy["population"].sum()) == pytest.approx(total, rel=1e-9)


@pytest.mark.slow
def test_the_amap_and_baidu_points_land_on_the_streets(bureau_run, city):
    out, run = bureau_run
    facilities = gpd.read_file(out / "layers.gpkg", layer="facilities").to_crs(city.crs)
    streets = gpd.read_file(out / "layers.gpkg", layer="network").to_crs(city.crs)
    truth = city.facilities
    sources = {"community_canteen": "amap", "kindergarten": "amap"} | dict.fromkeys(
        BAIDU_TAGS, "baidu"
    )
    assert set(facilities["facility_type"]) >= set(sources)  # and the other types, for life circles
    for type_id, provider in sources.items():
        found = facilities[facilities["facility_type"] == type_id]
        assert found["source"].str.contains(provider).all(), type_id
        true = truth.loc[truth["category"] == type_id].geometry.to_numpy()
        gaps = shapely.distance(found.geometry.to_numpy()[:, None], true)
        assert len(found) == len(true), type_id  # the city's every site of the type ...
        assert sorted(np.argmin(gaps, axis=1)) == list(range(len(true))), type_id
        assert float(np.min(gaps, axis=1).max()) < 1.0, type_id  # ... within a metre
    beside = shapely.distance(facilities.geometry.to_numpy()[:, None], streets.geometry.to_numpy())
    assert float(beside.min(axis=1).max()) < 0.12 * STANDIN_SPACING_M + 0.5  # on the frontage
    checks = {c["file"]: c for c in run["coordinate_checks"]}
    assert (checks["amap_pois.csv"]["system"], checks["amap_pois.csv"]["decision"]) == (
        "gcj02",
        "kept",
    )
    assert (checks["baidu_pois.csv"]["system"], checks["baidu_pois.csv"]["decision"]) == (
        "bd09",
        "confirmed",
    )


@pytest.mark.slow
def test_the_register_joins_and_every_table_is_written(bureau_run):
    out, _ = bureau_run
    tables = {p.name for p in (out / "tables").iterdir()}
    assert "register_unmatched.csv" not in tables  # every register row found its community
    assert {
        "indicators.csv",
        "indicators_by_community.csv",
        "indicators_by_district.csv",
        "coverage_totals.csv",
        "coverage_by_community.csv",
        "life_circles.csv",
        "sites_community_canteen.csv",
        "sites_community_canteen_before_after.csv",
    } <= tables
    indicators = _table(out, "indicators_by_community")
    assert len(indicators) == 9
    coverage = _table(out, "coverage_totals").set_index("facility_type")
    assert list(coverage.index) == [
        "community_canteen",
        "kindergarten",
        "community_health_station",
        "elderly_day_care",
        "pharmacy",
    ]
    assert coverage["n_facilities"].tolist() == [2, 4, 3, 2, 8]
    sites = _table(out, "sites_community_canteen")
    assert len(sites) == 2
    assert sites["street"].str.startswith("示例").all()  # the road lines' 道路名称
    assert (out / "sites" / "sites_community_canteen.xlsx").is_file()


@pytest.mark.slow
def test_the_run_says_its_data_are_examples_and_estimated(bureau_run):
    _, run = bureau_run
    # the study file's title and description say the data are invented (示例) ...
    assert "示例" in run["title"]
    assert "invented" in run["config"]["study"]["description"]
    # ... and the caveats say what was estimated and what the streets could not confirm
    caveats = {
        topic: [c["en"] for c in run["caveats"] if c["topic"] == topic]
        for topic in {c["topic"] for c in run["caveats"]}
    }
    assert any("housing parcel area x floor-area ratio" in text for text in caveats["estimated"])
    assert any("invented" in text for text in caveats["invented"])  # [study] invented = true
    assert any(
        text.startswith("amap_pois.csv: coordinates read as the declared GCJ-02")
        for text in caveats["coordinates"]
    )
    assert not any("baidu_pois.csv" in text for text in caveats["coordinates"])  # confirmed
    assert run["notes"] == []  # nothing warned while reading
