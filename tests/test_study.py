"""Study: inputs from a configuration or from objects; run_study's steps."""

from __future__ import annotations

import hashlib
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

import geoplan
from geoplan.config import parse_config
from geoplan.study import STEPS, Study, run_study
from tests.test_sources import write_pbf

# a 9 x 9 street grid in Changchun, 0.002 degrees apart; the district covers its west half
LON0, LAT0, STEP, N = 125.30, 43.85, 0.002, 9


def grid_osm(path: Path) -> Path:
    nodes, ways = [], []
    ids = {}
    for i in range(N):
        for j in range(N):
            ids[i, j] = len(ids) + 1
            lon, lat = LON0 + i * STEP, LAT0 + j * STEP
            nodes.append(f'<node id="{ids[i, j]}" lat="{lat:.6f}" lon="{lon:.6f}"/>')
    way_id = 1000
    for i in range(N):
        for line in ([ids[i, j] for j in range(N)], [ids[j, i] for j in range(N)]):
            refs = "".join(f'<nd ref="{r}"/>' for r in line)
            ways.append(f'<way id="{way_id}">{refs}<tag k="highway" v="residential"/></way>')
            way_id += 1
    # the district: a closed way around the western half (admin_level 6)
    corners = [(-0.0005, -0.0005), (0.0085, -0.0005), (0.0085, 0.0165), (-0.0005, 0.0165)]
    first = 5000
    for k, (dx, dy) in enumerate(corners):
        nodes.append(f'<node id="{first + k}" lat="{LAT0 + dy:.6f}" lon="{LON0 + dx:.6f}"/>')
    ring = "".join(f'<nd ref="{first + k}"/>' for k in [0, 1, 2, 3, 0])
    ways.append(
        f'<way id="9000">{ring}<tag k="boundary" v="administrative"/>'
        '<tag k="admin_level" v="6"/><tag k="name" v="南关区"/>'
        '<tag k="name:en" v="Nanguan District"/></way>'
    )
    # a few houses (20 m squares) in the blocks of the district
    for k in range(4):
        x, y = LON0 + 0.001 + k * STEP, LAT0 + 0.001 + k * STEP
        square = [(x, y), (x + 0.00025, y), (x + 0.00025, y + 0.00018), (x, y + 0.00018)]
        for c, (cx, cy) in enumerate(square):
            nodes.append(f'<node id="{6000 + 10 * k + c}" lat="{cy:.6f}" lon="{cx:.6f}"/>')
        ring = "".join(f'<nd ref="{6000 + 10 * k + c}"/>' for c in [0, 1, 2, 3, 0])
        ways.append(f'<way id="{9100 + k}">{ring}<tag k="building" v="residential"/></way>')
    nodes.append(
        f'<node id="7000" lat="{LAT0 + 0.004:.6f}" lon="{LON0 + 0.0041:.6f}">'
        '<tag k="amenity" v="clinic"/><tag k="name" v="社区卫生服务站"/></node>'
    )
    text = (
        "<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\">"
        + "".join(nodes)
        + "".join(ways)
        + "</osm>"
    )
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def cached_jilin(tmp_path):
    """A tiny 'Jilin extract' already in the cache, as `geoplan fetch` leaves it."""
    cache = tmp_path / "cache"
    extracts = cache / "extracts"
    extracts.mkdir(parents=True)
    pbf = write_pbf(grid_osm(tmp_path / "grid.osm"), extracts / "jilin-latest.osm.pbf")
    digest = hashlib.md5(pbf.read_bytes()).hexdigest()  # Geofabrik publishes MD5
    (extracts / "jilin-latest.osm.pbf.md5").write_text(f"{digest}  {pbf.name}\n")
    with geoplan.settings.override(cache_dir=cache, offline=True):
        yield pbf


def test_a_study_of_a_district_of_a_cached_provincial_extract(cached_jilin):
    config = parse_config(
        {
            "study": {"name": "nanguan"},
            "network": {"region": "吉林省"},
            "area": {"district": "Nanguan District"},
            "facilities": {
                "types": {"community_health_station": {"tags": {"amenity": ["clinic"]}}}
            },
        }
    )
    assert config.network_region == "jilin"
    study = Study.from_config(config)
    assert study.inputs == [cached_jilin]
    nodes, _ = study.network.to_gdfs()
    lon = nodes.to_crs("EPSG:4326").geometry.x
    # streets are cut near the district (the western five of nine columns, plus the ways
    # that cross its edge up to their next node), not the whole extract
    assert lon.max() <= LON0 + 5 * STEP + 1e-9
    assert lon.min() > LON0 - 0.0006
    assert len(study.sites("community_health_station")) == 1
    result = run_study(study, steps=["coverage"])
    assert result.coverage is not None
    assert 0 < float(result.coverage.totals["share"].iloc[0]) <= 1


def test_a_district_that_does_not_exist_suggests_the_close_names(cached_jilin):
    config = parse_config(
        {"study": {"name": "x"}, "network": {"region": "jilin"}, "area": {"district": "南官区"}}
    )
    with pytest.raises(geoplan.InputError, match="南关区"):
        Study.from_config(config)


def test_an_unknown_region_is_refused_when_the_config_is_read():
    with pytest.raises(geoplan.ConfigError, match="jilin"):
        parse_config({"study": {"name": "x"}, "network": {"region": "jillin"}})
    with pytest.raises(geoplan.ConfigError, match="one of them"):
        parse_config({"study": {"name": "x"}, "network": {"region": "jilin", "source": "sample"}})


def test_a_region_not_yet_fetched_says_how_to_fetch_it(tmp_path):
    config = parse_config({"study": {"name": "x"}, "network": {"region": "jilin"}})
    with (
        geoplan.settings.override(cache_dir=tmp_path, offline=True),
        pytest.raises(geoplan.DataSourceError, match="jilin"),
    ):
        Study.from_config(config)


@pytest.fixture(scope="module")
def small_city():
    return geoplan.datasets.synthetic_city(area_km2=1.0, seed=2)


def test_a_study_built_from_objects_runs_like_a_configured_one(small_city):
    net = small_city.network()
    facilities = small_city.facilities.rename(columns={"category": "facility_type"})
    canteens = facilities[facilities["facility_type"] == "community_canteen"]
    study = Study.from_frames(
        net,
        name="objects",
        communities=small_city.communities.set_index("community_id", drop=False),
        demand=small_city.demand(),
        facilities=facilities,
        types=["community_canteen"],
    )
    assert len(study.sites("community_canteen")) == len(canteens)
    result = run_study(study)
    assert result.steps == STEPS
    configured = run_study(
        Study.from_config(
            parse_config(
                {
                    "study": {"name": "configured"},
                    "network": {"source": "synthetic"},
                    "synthetic": {"area_km2": 1.0, "seed": 2},
                    "communities": {"source": "synthetic"},
                    "population": {"source": "synthetic"},
                    "facilities": {"types": {"community_canteen": {}}},
                }
            )
        )
    )
    assert result.coverage is not None
    assert configured.coverage is not None
    assert result.coverage.totals["covered"].to_list() == pytest.approx(
        configured.coverage.totals["covered"].to_list()
    )
    assert result.life_circles is not None
    assert set(result.timings) == {"life_circles", "service_areas", "coverage", "sites"}
    assert result.proposals == {}  # no [[sites]] requests


def test_steps_are_checked_and_sites_bring_coverage(small_city):
    study = Study.from_frames(
        small_city.network(),
        name="steps",
        communities=small_city.communities,
        demand=small_city.demand(),
        facilities=gpd.GeoDataFrame({"facility_type": []}, geometry=[], crs=small_city.crs),
    )
    with pytest.raises(geoplan.ConfigError, match="unknown step"):
        run_study(study, steps=["coverage", "nope"])
    seen = []
    result = run_study(study, steps=["sites"], on_step=seen.append)
    assert result.steps == ("network", "coverage", "sites")
    assert seen == ["coverage", "sites"]


def test_the_newly_covered_area_lies_outside_the_existing_reach(small_city):
    config = parse_config(
        {
            "study": {"name": "area"},
            "network": {"source": "synthetic"},
            "synthetic": {"area_km2": 1.0, "seed": 2},
            "communities": {"source": "synthetic"},
            "population": {"source": "synthetic"},
            "facilities": {"types": {"community_canteen": {"minutes": 5}}},
            "sites": [{"facility_type": "community_canteen", "p": 2, "candidate_spacing_m": 100}],
        }
    )
    study = Study.from_config(config)
    result = run_study(study, steps=["sites"])
    answer = result.proposals["community_canteen"]
    existing = geoplan.service_areas(
        study.network, answer.existing, minutes=5, mode="dissolved"
    ).geometry.union_all()
    new = answer.new_area.geometry.union_all()
    assert new.area > 0
    assert shapely.intersection(new, existing).area < 1e-6 * new.area


def _synthetic_config(**tables):
    config = {
        "study": {"name": "files"},
        "network": {"source": "synthetic"},
        "synthetic": {"area_km2": 1.0, "seed": 2},
        "communities": {"source": "synthetic"},
        "population": {"source": "synthetic"},
    }
    config.update(tables)
    return config


def test_an_amap_poi_export_in_gcj02_feeds_the_facility_types(small_city, tmp_path):
    from geoplan.coords import wgs84_to_gcj02

    sites = small_city.facilities.to_crs("EPSG:4326")
    lon, lat = wgs84_to_gcj02(sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy())
    table = sites[["name_zh"]].rename(columns={"name_zh": "名称"})
    table["经纬度"] = [f"{x:.7f},{y:.7f}" for x, y in zip(lon, lat, strict=True)]
    table["地址"] = "示例路1号"
    path = tmp_path / "amap.csv"
    table.to_csv(path, index=False, encoding="gb18030")
    config = parse_config(
        _synthetic_config(
            facilities={"classify": False, "types": {"community_canteen": {}}},
            pois={"file": "amap.csv", "coordinates": "gcj02"},
        ),
        base_dir=tmp_path,
    )
    study = Study.from_config(config)
    assert path in study.inputs
    canteens = study.sites("community_canteen")
    expected = small_city.facilities[small_city.facilities["category"] == "community_canteen"]
    assert len(canteens) == len(expected) > 0
    # back in place: the declared GCJ-02 was undone
    distance = canteens.geometry.distance(expected.geometry.union_all())
    assert float(distance.max()) < 0.5
    # every classified POI is there for the life circles too
    assert len(study.facilities) >= len(expected)


def test_a_register_file_joins_to_community_boundaries_by_code(small_city, tmp_path):
    communities = small_city.communities.rename(columns={"community_id": "code"})
    communities.to_file(tmp_path / "communities.gpkg")
    register = geoplan.datasets.synthetic_register(small_city)
    register.iloc[:-1].to_csv(tmp_path / "register.csv", index=False, encoding="utf-8-sig")
    config = parse_config(
        _synthetic_config(
            communities={"source": "communities.gpkg"},
            register={"source": "register.csv", "join": "code", "boundary_code": "code"},
        ),
        base_dir=tmp_path,
    )
    study = Study.from_config(config)
    assert study.register is not None
    assert len(study.register) == len(communities) - 1
    unmatched = study.register_unmatched
    assert unmatched is not None
    assert list(unmatched["side"]) == ["boundary"]  # the community left out of the register
    result = run_study(study, steps=["indicators"])
    assert result.indicators is not None
    by_community = result.indicators.by_community
    assert len(by_community) == len(communities) - 1
    out = geoplan.write_run(result, tmp_path / "run")
    assert (out / "maps" / "indicators.html").is_file()
    assert (out / "tables" / "register_unmatched.csv").is_file()


def test_community_boundaries_digitised_in_gcj02_are_checked_and_moved_back():
    """A boundary file tagged EPSG:4326 whose numbers are GCJ-02 (drawn over Amap imagery)."""
    from geoplan._loader import Loader
    from geoplan.coords import convert_frame

    city = geoplan.datasets.synthetic_city(
        area_km2=16.0, spacing_m=400.0, seed=3, origin_lonlat=(125.32, 43.86)
    )
    net = city.network()
    truth = city.communities.to_crs("EPSG:4326")
    drawn = convert_frame(truth, source="wgs84", target="gcj02")
    loader = Loader(parse_config({"study": {"name": "x"}, "network": {"source": "synthetic"}}))
    back = loader._in_wgs84(drawn, net, "gcj02", "communities.gpkg")
    offset = back.to_crs(city.crs).geometry.hausdorff_distance(
        truth.to_crs(city.crs).geometry, align=True
    )
    assert float(offset.max()) < 0.5  # metres: moved back onto the streets
    (check,) = loader.coordinate_checks
    assert (check["file"], check["system"]) == ("communities.gpkg", "gcj02")
    # declared WGS-84: boundaries along a street grid give only weak evidence (long lines
    # shifted along the grid still lie on streets), so the file is kept, with a caveat
    loader._in_wgs84(drawn, net, "wgs84", "communities.gpkg")
    second = loader.coordinate_checks[1]
    assert (second["decision"], second["favoured"]) == ("contradicted", "gcj02")
    assert "GCJ-02" in second["caveat"]["en"]
