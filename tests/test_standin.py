"""The synthetic stand-in of a Chinese district: deterministic, and the documented path reads it."""

from __future__ import annotations

import dataclasses
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import geoplan
from geoplan import OutputError
from geoplan.datasets._standin import STANDIN_ORIGIN, STANDIN_SEED, STANDIN_SPACING_M
from geoplan.sources import district_boundary, read_boundaries

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
