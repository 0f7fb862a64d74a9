"""One-way streets and driving speeds: tags, the speed table, the readers, a real city.

Expected values are worked out by hand from the OSM wiki's tag semantics and the
figures of geoplan/standards/road_speeds.toml (a limit times 0.8; OSRM's class
speeds; the lowest CJJ 37-2012 design speed of a Chinese grade); the real-extract
test compares the engine with networkx Dijkstra on the directed graph.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from _oracles import oracle_digraph

import geoplan
from geoplan import InputError, UnreachablePointsWarning
from geoplan.sources import edge_speeds, oneway_codes, parse_maxspeed, read_network, speed_table
from geoplan.sources._profiles import PROFILES
from geoplan.sources._road_classes import road_class_table

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm"
UTM = "EPSG:32651"


# ----------------------------------------------------------------- one-way tags
@pytest.mark.parametrize(
    ("tags", "drive", "bike"),
    [
        ({}, 0, 0),
        ({"oneway": "yes"}, 1, 1),
        ({"oneway": "true"}, 1, 1),
        ({"oneway": "1"}, 1, 1),
        ({"oneway": "-1"}, -1, -1),
        ({"oneway": "reverse"}, -1, -1),
        ({"oneway": "no"}, 0, 0),
        ({"oneway": "reversible"}, 0, 0),
        ({"junction": "roundabout"}, 1, 1),
        ({"junction": "circular"}, 1, 1),
        ({"junction": "roundabout", "oneway": "no"}, 0, 0),
        ({"highway": "motorway"}, 1, 1),
        ({"highway": "motorway_link", "oneway": "no"}, 0, 0),
        ({"highway": "primary", "oneway": "yes", "oneway:bicycle": "no"}, 1, 0),
        ({"highway": "residential", "oneway:bicycle": "yes"}, 0, 1),
        ({"oneway": "yes", "cycleway": "opposite_lane"}, 1, 0),
        ({"oneway": "单行"}, 1, 1),
        ({"oneway": "双向"}, 0, 0),
        ({"oneway": "反向"}, -1, -1),
        ({"oneway": 1.0}, 1, 1),
    ],
)
def test_oneway_codes_follow_the_tags(tags, drive, bike):
    def one(key):
        return [tags.get(key)]

    args = {
        "junction": one("junction"),
        "highway": one("highway"),
        "oneway_bicycle": one("oneway:bicycle"),
        "cycleway": one("cycleway"),
    }
    assert oneway_codes(one("oneway"), profile="drive", **args).tolist() == [drive]
    assert oneway_codes(one("oneway"), profile="bike", **args).tolist() == [bike]
    assert oneway_codes(one("oneway"), profile="walk", **args).tolist() == [0]


# ----------------------------------------------------------------- speed limits
@pytest.mark.parametrize(
    ("cell", "kmh"),
    [
        ("50", 50.0),
        (50, 50.0),
        ("50 km/h", 50.0),
        ("30 mph", 30 * 1.609344),
        ("10 knots", 18.52),
        ("CN:urban", 30.0),
        ("cn:rural", 40.0),
        ("CN:motorway", 120.0),
        ("60;80", 60.0),
        ("none", math.nan),
        ("signals", math.nan),
        ("walk", math.nan),
        ("DE:urban", math.nan),  # a zone the table does not know
        ("0", math.nan),
        ("999", math.nan),
        (None, math.nan),
    ],
)
def test_speed_limits_are_read_as_kmh(cell, kmh):
    got = parse_maxspeed([cell])[0]
    if math.isnan(kmh):
        assert math.isnan(got)
    else:
        assert got == pytest.approx(kmh)


def test_a_limit_beats_the_class_which_beats_the_profile():
    found = edge_speeds(
        ["primary", "primary", "主干路", "Ⅱ级次干路", "支路", "景观路", None],
        ["60", None, None, None, "40", None, None],
        default_m_s=10.0,
    )
    # 60 x 0.8 = 48; OSRM primary 65; 主干路 40; 次干路 30; 40 x 0.8 = 32; unknown: 10 m/s
    np.testing.assert_allclose(found.speed_m_s * 3.6, [48, 65, 40, 30, 32, 36, 36])
    assert found.source.tolist() == [
        "maxspeed",
        "class",
        "class",
        "class",
        "maxspeed",
        "default",
        "default",
    ]
    assert found.shares() == {"maxspeed": 2 / 7, "class": 3 / 7, "default": 2 / 7}


def test_a_study_changes_class_speeds_and_the_limit_factor():
    found = edge_speeds(
        ["primary", "主干道", "次干路", "residential"],
        [None, None, None, "50"],
        class_speeds_kmh={"primary": 45, "主干路": 35, "secondary_arterial": 28},
        maxspeed_factor=0.6,
    )
    np.testing.assert_allclose(found.speed_m_s * 3.6, [45, 35, 28, 30])
    with pytest.raises(InputError, match="neither an OSM highway value"):
        edge_speeds(["primary"], None, class_speeds_kmh={"景观路": 20})
    with pytest.raises(InputError, match="positive number"):
        edge_speeds(["primary"], None, class_speeds_kmh={"primary": -5})
    with pytest.raises(InputError, match="maxspeed_factor"):
        edge_speeds(["primary"], None, maxspeed_factor=0)


def test_every_figure_of_the_speed_table_has_a_source_and_its_verification():
    import tomllib
    from importlib import resources

    text = resources.files("geoplan.standards").joinpath("road_speeds.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    sources = {s["id"]: s["verification"] for s in raw["source"]}
    rows = [*raw["speed"], *raw["zone"], raw["maxspeed"]]
    for row in rows:
        assert row["source"] in sources, row
        assert row["verification"] == sources[row["source"]], row
    table = speed_table()
    # every drivable OSM highway value and every drivable Chinese class has a speed
    missing_osm = PROFILES["drive"].highway - set(table.osm)
    assert not missing_osm
    drivable = {c.id for c in road_class_table().classes if c.drive}
    assert drivable <= set(table.classes)
    assert table.factor.value == 0.8


# ----------------------------------------------------------------- OSM XML
NODES = {
    1: (125.3000, 43.8800),
    2: (125.3010, 43.8800),
    3: (125.3020, 43.8800),
    4: (125.3020, 43.8810),
    5: (125.3010, 43.8810),
    6: (125.3000, 43.8810),
}
WAYS = [
    (101, [1, 2, 3], {"highway": "primary", "oneway": "yes", "maxspeed": "60"}),
    (102, [3, 4], {"highway": "residential", "oneway": "-1"}),
    (103, [4, 5], {"highway": "secondary", "oneway": "yes", "oneway:bicycle": "no"}),
    (104, [5, 6], {"highway": "tertiary", "junction": "roundabout"}),
    (105, [6, 1], {"highway": "motorway"}),
    (106, [2, 5], {"highway": "residential"}),
]


def write_osm(path: Path) -> Path:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6">']
    lines += [f'<node id="{i}" lat="{lat}" lon="{lon}"/>' for i, (lon, lat) in NODES.items()]
    for way_id, refs, tags in WAYS:
        lines.append(f'<way id="{way_id}">')
        lines += [f'<nd ref="{r}"/>' for r in refs]
        lines += [f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("</way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def edges_by_ends(net):
    _, edges = net.to_gdfs()
    return {(int(r.u), int(r.v)): r for r in edges.itertuples()}


def test_an_osm_file_gives_one_way_streets_and_speeds(tmp_path):
    path = write_osm(tmp_path / "town.osm")
    drive = read_network(path, profile="drive")
    edges = edges_by_ends(drive)
    assert {k: e.oneway for k, e in edges.items()} == {
        (1, 2): 1,
        (2, 3): 1,
        (3, 4): -1,
        (4, 5): 1,
        (5, 6): 1,  # a roundabout
        (6, 1): 1,  # a motorway
        (2, 5): 0,
    }
    kmh = {k: round(e.forward_speed_m_s * 3.6, 6) for k, e in edges.items()}
    assert kmh == {
        (1, 2): 48.0,  # maxspeed 60 x 0.8
        (2, 3): 48.0,
        (3, 4): 25.0,  # OSRM residential
        (4, 5): 55.0,
        (5, 6): 40.0,
        (6, 1): 90.0,
        (2, 5): 25.0,
    }
    assert drive.edge_attrs["speed_source"].value_counts().to_dict() == {"class": 5, "maxspeed": 2}
    bike = edges_by_ends(read_network(path, profile="bike"))
    assert bike[(4, 5)].oneway == 0  # oneway:bicycle=no
    assert bike[(1, 2)].oneway == 1
    walk = read_network(path, profile="walk")
    assert not walk.directed
    assert not walk.time_weighted
    assert (6, 1) not in edges_by_ends(walk)  # no walking on the motorway
    plain = read_network(path, profile="drive", oneway=False, speeds=False)
    assert not plain.directed
    assert not plain.time_weighted
    assert plain.edge_attrs is None


def test_a_drive_trip_follows_the_one_way_streets(tmp_path):
    net = read_network(write_osm(tmp_path / "town.osm"), profile="drive")
    at = {int(i): k for k, i in enumerate(net.node_id)}
    out = net.nearest(np.array([at[1]]), minutes=60, direction="from_sources")
    # 1 -> 2 on the one-way primary at 48 km/h; 2 -> 1 has no way back but round the block
    graph = net.to_networkx()
    truth = nx.single_source_dijkstra_path_length(graph, at[1], weight="seconds")
    for node, seconds in truth.items():
        assert out.node_minutes[node] * 60 == pytest.approx(seconds)
    length_12 = net.length_m[np.flatnonzero(net.edge_u == at[1])[0]]
    assert out.node_minutes[at[2]] * 60 == pytest.approx(length_12 / (48 / 3.6))


# ----------------------------------------------------------------- road line files
def test_a_road_file_gives_one_way_lines_and_speeds(tmp_path):
    lines = [
        shapely.LineString([(100, 0), (0, 0)]),  # drawn westward, one-way against it: east
        shapely.LineString([(200, 0), (100, 0)]),  # drawn westward, one-way along it: west
        shapely.LineString([(200, 0), (200, 100)]),
    ]
    frame = gpd.GeoDataFrame(
        {
            "道路等级": ["主干路", "支路", "次干路"],
            "单行": ["反向", "是", "否"],
            "限速": [50, None, None],
        },
        geometry=shapely.transform(lines, lambda xy: xy + np.array([500000, 4850000])),
        crs=UTM,
    )
    path = tmp_path / "roads.gpkg"
    frame.to_file(path)
    net = read_network(path, profile="drive")
    east = net.x[net.edge_v] - net.x[net.edge_u]
    assert net.oneway.tolist() == [-1, 1, 0]
    assert east.tolist()[:2] == [-100.0, -100.0]  # each edge runs as its line is drawn
    np.testing.assert_allclose(net.forward_speed_m_s * 3.6, [40.0, 20.0, 30.0])
    assert net.edge_attrs["speed_source"].tolist() == ["maxspeed", "class", "class"]
    # from x=0 eastward: the first line lets cars east (40 km/h: 100 m cost 100 x 30/40),
    # the second only west, so x=200 is out of reach
    start = int(np.argmin(net.x + net.y))
    out = net.nearest(np.array([start]), distance_m=1e5, direction="from_sources")
    np.testing.assert_allclose(
        np.sort(out.node_distance_m), [0, 100 * 8.33 / (40 / 3.6), *[np.inf] * 2]
    )
    walk = read_network(path, profile="walk")
    assert not walk.directed
    named = read_network(path, profile="drive", oneway_column="单行", maxspeed_column="限速")
    assert named.oneway.tolist() == [-1, 1, 0]
    with pytest.raises(InputError, match="oneway_column='方向' is not a column"):
        read_network(path, profile="drive", oneway_column="方向")


def test_line_options_are_refused_for_osm_files(tmp_path):
    path = write_osm(tmp_path / "town.osm")
    with pytest.raises(InputError, match="oneway_column= applies to road line files"):
        read_network(path, profile="drive", oneway_column="单行")


# ----------------------------------------------------------------- GraphML (osmnx)
def test_an_osmnx_graph_is_one_way_where_it_has_no_reverse_copy(tmp_path):
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    for node, (lon, lat) in list(NODES.items())[:3]:
        graph.add_node(node, x=lon, y=lat)
    graph.add_edge(1, 2, osmid=11, highway="primary", oneway=True)
    graph.add_edge(2, 3, osmid=12, highway="residential", oneway=False, maxspeed="30")
    graph.add_edge(3, 2, osmid=12, highway="residential", oneway=False, maxspeed="30")
    path = tmp_path / "town.graphml"
    nx.write_graphml(graph, path)
    net = read_network(path, profile="drive")
    edges = edges_by_ends(net)
    assert {k: e.oneway for k, e in edges.items()} == {(1, 2): 1, (2, 3): 0}
    assert edges[(2, 3)].forward_speed_m_s * 3.6 == pytest.approx(24.0)


# ----------------------------------------------------------------- a real city
def _real(name: str) -> Path:
    pbf = SHARED / f"{name}.osm.pbf"
    if not pbf.exists():
        pytest.skip(f"{pbf} is absent (the shared OSM extracts are optional)")
    return pbf


@pytest.mark.realdata
@pytest.mark.parametrize("name", ["harbin_2017", "chengdu_2017"])
def test_pedestrians_and_cyclists_stay_off_motorways_and_expressways(name):
    from geoplan.sources import _pbf

    osm = _pbf.open_pbf(_real(name), None, keep_node_info=True)
    for profile in ("walk", "bike"):
        src = geoplan.sources._inputs.classify_source(_real(name), reader="network")
        _, edges = geoplan.sources.osm._network_frames(src, profile, None)
        assert not edges["highway"].isin(["motorway", "motorway_link"]).any()
        if "motorroad" in edges.columns:
            assert not (edges["motorroad"] == "yes").any()
    _, drive = _pbf.network(osm, "drive")
    assert drive["highway"].isin(["motorway", "motorway_link", "trunk"]).any()


@pytest.mark.realdata
@pytest.mark.slow
def test_a_real_drive_network_matches_networkx_directed():
    net = read_network(_real("chengdu_2017"), profile="drive")
    facts = net.travel_summary()
    assert facts["directed"]
    assert facts["time_weighted"]
    assert 0.3 < facts["oneway_edge_share"] < 0.7
    rng = np.random.default_rng(7)
    left, bottom, right, top = net.bounds
    xy = rng.uniform([left, bottom], [right, top], size=(40, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnreachablePointsWarning)
        pts = net.snap(gpd.GeoSeries(shapely.points(xy), crs=net.crs))
    src, tgt = pts.take(np.arange(3)), pts.take(np.arange(3, 40))
    for direction in ("from_sources", "to_sources"):
        out = net.nearest(src, minutes=8, targets=tgt, direction=direction)
        graph = oracle_digraph(net, ("src", src), ("tgt", tgt))
        if direction == "to_sources":
            graph = graph.reverse(copy=True)
        origins = [("src", "p", i) for i in np.flatnonzero(src.reachable)]
        truth = nx.multi_source_dijkstra_path_length(graph, origins, cutoff=out.cutoff_m)
        expected = np.array([truth.get(("n", i), np.inf) for i in range(net.n_nodes)])
        np.testing.assert_allclose(out.node_distance_m, expected, rtol=1e-9)
        expected_t = [truth.get(("tgt", "p", j), np.inf) for j in range(len(tgt))]
        np.testing.assert_allclose(out.target_distance_m, expected_t, rtol=1e-9)
        assert np.isfinite(out.node_distance_m).sum() > 100
        reach = net.reach(src, minutes=4, direction=direction, batch_mb=1)
        for s in np.flatnonzero(src.reachable):
            one = nx.single_source_dijkstra_path_length(
                graph, ("src", "p", int(s)), cutoff=reach.cutoff_m
            )
            nodes = {k[1]: d for k, d in one.items() if k[0] == "n"}
            got = dict(zip(reach.reached_nodes(s), reach.nodes[s].data, strict=True))
            assert got.keys() == nodes.keys()
            np.testing.assert_allclose([got[k] for k in nodes], list(nodes.values()))


def test_frames_without_travel_tags_are_two_way():
    from geoplan.sources._speeds import travel_columns

    travel = travel_columns(pd.DataFrame({"u": [1], "v": [2]}), "drive")
    assert travel.oneway.tolist() == [0]
    assert travel.speed_source.tolist() == ["default"]
