"""Road networks from line files (.gpkg, .geojson, .shp, .fgb), as planning bureaus give them.

Every network is checked against an oracle built by hand from the same segments
(networkx shortest paths), or against counts that can be checked on the drawing.
"""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString, Point

import geoplan
from geoplan import GeoplanWarning, Network
from geoplan.config import parse_config
from geoplan.network import connectivity
from geoplan.sources._noding import node_lines
from geoplan.sources._road_classes import decide, road_class_table

UTM = "EPSG:32651"  # UTM 51N: Changchun, Jilin
X0, Y0 = 500_000.0, 4_850_000.0  # the zone's central meridian (123° E), about 43.8° N


def line(*points: tuple[float, float]) -> LineString:
    """A line in local metres, placed at (X0, Y0) in UTM 51N."""
    return LineString([(X0 + x, Y0 + y) for x, y in points])


def roads(geometry: list[LineString], crs: str | None = UTM, **columns: list[object]):
    return gpd.GeoDataFrame(columns, geometry=geometry, crs=crs)


def save(frame: gpd.GeoDataFrame, path: Path, **options: object) -> Path:
    frame.to_file(path, **options)
    return path


def oracle(segments: list[tuple[tuple[float, float], tuple[float, float]]]) -> nx.Graph:
    """The graph the drawing means: nodes are places (local metres), edges straight streets."""
    graph = nx.Graph()
    for a, b in segments:
        graph.add_edge(a, b, length=float(np.hypot(b[0] - a[0], b[1] - a[1])))
    return graph


def local_nodes(net: Network) -> list[tuple[float, float]]:
    return [
        (round(float(x - X0), 6), round(float(y - Y0), 6))
        for x, y in zip(net.x, net.y, strict=True)
    ]


def assert_same_distances(net: Network, graph: nx.Graph) -> None:
    """Every shortest path between nodes of the network equals the oracle's."""
    places = local_nodes(net)
    assert set(places) == set(graph.nodes)
    got = dijkstra(net.csr, directed=False)
    expected = dict(nx.all_pairs_dijkstra_path_length(graph, weight="length"))
    for i, a in enumerate(places):
        for j, b in enumerate(places):
            want = expected[a].get(b, np.inf)
            assert got[i, j] == pytest.approx(want, abs=1e-6), (a, b)


# ---------------------------------------------------------------- streets crossing at vertices
def grid_lines() -> list[LineString]:
    """Three streets each way, 100 m apart, crossing at *interior* vertices; 50 m beyond."""
    stops = [-50.0, 0.0, 100.0, 200.0, 250.0]
    east = [line(*[(x, y) for x in stops]) for y in (0.0, 100.0, 200.0)]
    north = [line(*[(x, y) for y in stops]) for x in (0.0, 100.0, 200.0)]
    return east + north


def grid_oracle() -> nx.Graph:
    stops = [-50.0, 0.0, 100.0, 200.0, 250.0]
    segments = []
    for fixed in (0.0, 100.0, 200.0):
        for a, b in itertools.pairwise(stops):
            segments.append(((a, fixed), (b, fixed)))
            segments.append(((fixed, a), (fixed, b)))
    return oracle(segments)


def test_streets_crossing_at_interior_vertices_are_one_network(tmp_path):
    lines = grid_lines()
    path = save(roads(lines, name=[f"街{i}" for i in range(6)]), tmp_path / "grid.gpkg")
    net = geoplan.read_network(path)
    # joined at the 9 crossings: 9 junctions + 12 street ends; each street in 4 edges
    assert (net.n_nodes, net.n_edges, net.n_components) == (21, 24, 1)
    assert_same_distances(net, grid_oracle())
    # joining the lines only at their end points (the obvious glue) leaves 6 pieces
    ends = nx.Graph()
    for geom in lines:
        ends.add_edge(geom.coords[0], geom.coords[-1])
    assert nx.number_connected_components(ends) == 6
    assert connectivity(net)["pieces"] == 1


def test_vertices_and_planar_noding_agree_on_a_drawing_with_shared_vertices(tmp_path):
    path = save(roads(grid_lines()), tmp_path / "grid.gpkg")
    for noding in ("vertices", "planar"):
        net = geoplan.read_network(path, noding=noding)
        assert_same_distances(net, grid_oracle())


def test_a_street_crossing_itself_at_a_vertex_and_a_closed_ring_are_noded():
    ring = np.array([line((0, 0), (100, 0), (100, 100), (0, 100), (0, 0))], dtype=object)
    graph = node_lines(ring, np.zeros(1), planar=False)
    assert (len(graph.x), len(graph.edge_u)) == (1, 1)  # a loop through one node
    # a street passing the same vertex twice (a loop drawn as one line) is split there
    loop = line((0, 0), (50, 0), (100, 0), (100, 50), (50, 50), (50, 0), (50, -50))
    graph = node_lines(np.array([loop], dtype=object), np.zeros(1), planar=False)
    assert (len(graph.x), len(graph.edge_u), graph.n_dropped) == (3, 3, 0)
    assert sorted(round(g.length) for g in graph.geometry) == [50, 50, 200]


# ---------------------------------------------------------------- bridges and plain crossings
def bridge_layout():
    """A ring of streets, a bridge (x=500) and a plain street (x=800) crossing it.

    South street y=-50 and north street y=150 have a vertex at x=500 where the bridge's
    ends land; the bridge crosses the streets y=0 and y=100 without shared vertices, as
    does the plain street x=800, whose ends lie on the south and north streets between
    their vertices.
    """
    return [
        line((0, -50), (500, -50), (1000, -50)),  # south
        line((0, 150), (500, 150), (1000, 150)),  # north
        line((0, 0), (1000, 0)),  # bottom
        line((0, 100), (1000, 100)),  # top
        line((0, -50), (0, 0), (0, 100), (0, 150)),  # west
        line((1000, -50), (1000, 0), (1000, 100), (1000, 150)),  # east
        line((500, -50), (500, 150)),  # the bridge
        line((800, -50), (800, 150)),  # a plain street, on the ground
    ]


def bridge_oracle(*, planar: bool) -> nx.Graph:
    segments = [
        ((0, -50), (500, -50)),
        ((0, 150), (500, 150)),
        ((0, -50), (0, 0)),
        ((0, 0), (0, 100)),
        ((0, 100), (0, 150)),
        ((1000, -50), (1000, 0)),
        ((1000, 0), (1000, 100)),
        ((1000, 100), (1000, 150)),
        ((500, -50), (500, 150)),  # the bridge touches ground only at its ends
    ]
    if planar:  # the plain street is joined where it crosses or ends on the others
        segments += [
            ((500, -50), (800, -50)),
            ((800, -50), (1000, -50)),
            ((500, 150), (800, 150)),
            ((800, 150), (1000, 150)),
            ((0, 0), (800, 0)),
            ((800, 0), (1000, 0)),
            ((0, 100), (800, 100)),
            ((800, 100), (1000, 100)),
            ((800, -50), (800, 0)),
            ((800, 0), (800, 100)),
            ((800, 100), (800, 150)),
        ]
    else:  # the plain street stays apart: no vertex is shared with it
        segments += [
            ((500, -50), (1000, -50)),
            ((500, 150), (1000, 150)),
            ((0, 0), (1000, 0)),
            ((0, 100), (1000, 100)),
            ((800, -50), (800, 150)),
        ]
    return oracle(segments)


LEVELS = {
    "bridge": {"bridge": ["no"] * 6 + ["yes", "no"]},
    "layer": {"layer": [0] * 6 + [1, 0]},
    "geofabrik": {"layer": [0] * 8, "bridge": ["F"] * 6 + ["T", "F"], "tunnel": ["F"] * 8},
    "层": {"层": ["地面"] * 6 + ["高架", "地面"]},
}


@pytest.mark.parametrize("levels", list(LEVELS), ids=list(LEVELS))
def test_a_bridge_is_never_joined_to_the_streets_it_crosses(tmp_path, levels):
    path = save(roads(bridge_layout(), **LEVELS[levels]), tmp_path / "bridge.gpkg")
    net = geoplan.read_network(path, noding="planar")
    assert_same_distances(net, bridge_oracle(planar=True))
    assert (500.0, 0.0) not in local_nodes(net)
    assert (500.0, 100.0) not in local_nodes(net)
    assert set(net.edge_attrs["level"]) == {0.0, 1.0}
    # from the street y=0 to the street y=100 beside the bridge: around by the plain street
    here = gpd.GeoSeries([Point(X0 + 510, Y0)], crs=UTM)
    there = gpd.GeoSeries([Point(X0 + 510, Y0 + 100)], crs=UTM)
    found = net.nearest(here, distance_m=10_000, targets=there)
    assert float(found.target_distance_m[0]) == pytest.approx(290 + 100 + 290)


def test_without_levels_planar_noding_joins_the_bridge_where_it_crosses(tmp_path):
    path = save(roads(bridge_layout()), tmp_path / "flat.gpkg")
    net = geoplan.read_network(path, noding="planar")
    assert (500.0, 0.0) in local_nodes(net)
    here = gpd.GeoSeries([Point(X0 + 510, Y0)], crs=UTM)
    there = gpd.GeoSeries([Point(X0 + 510, Y0 + 100)], crs=UTM)
    found = net.nearest(here, distance_m=10_000, targets=there)
    assert float(found.target_distance_m[0]) == pytest.approx(10 + 100 + 10)


def test_vertex_noding_leaves_a_street_that_shares_no_vertex_apart(tmp_path):
    path = save(roads(bridge_layout(), bridge=["no"] * 6 + ["yes", "no"]), tmp_path / "b.gpkg")
    net = geoplan.read_network(path, noding="vertices")  # 96 % in one piece: no warning
    assert_same_distances(net, bridge_oracle(planar=False))
    assert net.n_components == 2


def test_the_warning_counts_the_crossings_and_ends_without_a_shared_vertex(tmp_path):
    geometry = [
        line((0, 0), (1000, 0)),
        line((500, -500), (500, 500)),  # crosses the first street, no shared vertex
        line((200, 0), (200, 300)),  # ends on the first street between its vertices
        line((800, -100), (800, 100)),  # a bridge over it
    ]
    path = save(roads(geometry, layer=[0, 0, 0, 1]), tmp_path / "unnoded.gpkg")
    with pytest.warns(GeoplanWarning, match="largest connected piece") as caught:
        net = geoplan.read_network(path)
    assert net.n_components == 4
    message = str(caught[0].message)
    assert "holds only 40% of its 2.5 km of streets (4 pieces)" in message
    assert "1 crossings of streets of one level and 1 line ends touching" in message
    assert "noding='planar' joins them" in message
    assert "1 crossings are of lines at different levels" in message
    planar = geoplan.read_network(path, noding="planar")  # 92 % joined: no warning
    assert planar.n_components == 2  # the bridge stays apart


def test_a_bridge_with_a_vertex_over_the_street_is_still_not_joined(tmp_path):
    """Drawn with a vertex exactly above the street's vertex: levels keep them apart."""
    geometry = [line((0, 0), (100, 0), (200, 0)), line((100, -100), (100, 0), (100, 100))]
    path = save(roads(geometry, layer=[0, 1]), tmp_path / "over.gpkg")
    with pytest.warns(GeoplanWarning, match="50%"):
        net = geoplan.read_network(path)
    assert (net.n_nodes, net.n_edges, net.n_components) == (4, 2, 2)
    path = save(roads(geometry, layer=[0, 0]), tmp_path / "flat.gpkg")
    assert geoplan.read_network(path).n_components == 1


def test_a_ramp_ending_on_a_street_at_another_level_joins_it(tmp_path):
    geometry = [line((0, 0), (100, 0), (200, 0)), line((100, 0), (100, 100))]
    path = save(roads(geometry, layer=[0, 1]), tmp_path / "ramp.gpkg")
    assert geoplan.read_network(path).n_components == 1


def test_a_column_of_heights_is_not_taken_for_levels(tmp_path):
    heights = [152.3, 150.0, 148.5, 151.2, 149.9, 153.0]  # z of a surveyed layer, in metres
    path = save(roads(grid_lines(), z=heights), tmp_path / "z.gpkg")
    with pytest.warns(GeoplanWarning, match="heights rather than levels") as caught:
        net = geoplan.read_network(path)
    assert "level_column='z'" in str(caught[0].message)
    assert net.n_components == 1
    assert set(net.edge_attrs["level"]) == {0.0}
    with pytest.warns(GeoplanWarning, match="largest connected piece"):  # as asked: 6 levels
        assert geoplan.read_network(path, level_column="z").n_components == 6


def test_level_cells_that_are_no_level_are_put_on_the_ground_with_a_warning(tmp_path):
    path = save(
        roads(grid_lines(), 层=["地面", "一层", None, "1", "地下", "-1层"]), tmp_path / "l.gpkg"
    )
    with pytest.warns(GeoplanWarning) as caught:  # and the lines of 4 levels fall apart
        net = geoplan.read_network(path)
    messages = [str(w.message) for w in caught]
    assert any("1 cells of the level column '层' are neither numbers" in m for m in messages)
    assert any("(一层); those lines were put on the ground" in m for m in messages)
    levels = net.edge_attrs.groupby("source_row")["level"].first().to_dict()
    assert levels == {0: 0.0, 1: 0.0, 2: 0.0, 3: 1.0, 4: -1.0, 5: -1.0}


# ---------------------------------------------------------------- road classes
def test_chinese_road_classes_decide_the_profiles():
    walkable = {
        "快速路": "no",
        "城市快速路": "no",
        "主干路": "yes",
        "主干道": "yes",
        "次干道": "yes",
        "支路": "yes",
        "街巷": "yes",
        "小区路": "yes",
        "人行道": "yes",
        "步行街": "yes",
        "自行车道": "no",
        "高速公路": "no",
        "匝道": "no",
        "快速路辅路": "yes",
        "Ⅱ级主干路": "yes",
        " 次干路（一级） ": "yes",
    }
    assert decide(list(walkable), profile="walk").tolist() == list(walkable.values())
    bike = decide(["快速路", "高速公路", "自行车道", "人行道", "支路"], profile="bike")
    assert bike.tolist() == ["no", "no", "yes", "no", "yes"]
    drive = decide(["快速路", "高速公路", "人行道", "机耕路", "主干路"], profile="drive")
    assert drive.tolist() == ["yes", "yes", "no", "no", "yes"]


def test_every_road_class_names_its_source_and_verification():
    table = road_class_table()
    for road in table.classes:
        assert road.verification in ("verified_secondary", "weak_secondary", "default")
        assert road.note
    grades = {table.lookup(n).id: table.lookup(n).source for n in ("快速路", "主干路", "支路")}
    assert grades["arterial"] == "cjj37_2012_grades"
    assert table.lookup("高速公路").source == "road_traffic_safety_law_67"


def test_osm_and_geofabrik_classes_follow_the_osm_profiles():
    assert decide(["motorway", "trunk", "footway", "track_grade2", "construction"], profile="walk")[
        [0, 2, 3, 4]
    ].tolist() == ["no", "yes", "yes", "no"]
    tags = pd.DataFrame({"foot": ["yes", None], "motorroad": [None, "yes"]})
    assert decide(["cycleway", "trunk"], profile="walk", tags=tags).tolist() == ["yes", "no"]
    assert decide(["footway", "unknown"], profile="drive").tolist() == ["no", "unknown"]


def classes_layout(column: str, values: list[str]) -> gpd.GeoDataFrame:
    """A cross of four streets and an expressway beside them, with names."""
    geometry = [
        line((0, 0), (100, 0)),
        line((100, 0), (200, 0)),
        line((100, -100), (100, 0)),
        line((100, 0), (100, 100)),
        line((0, 0), (0, 100)),
    ]
    names = ["人民大街", "人民大街", "解放大路", "解放大路", "东环城快速路"]
    return roads(geometry, **{column: values, "名称": names})


@pytest.mark.parametrize(
    ("column", "values"),
    [
        ("道路等级", ["支路", "支路", "次干路", "次干路", "快速路"]),
        ("fclass", ["residential", "residential", "tertiary", "tertiary", "motorway"]),
        ("highway", ["residential", "residential", "tertiary", "tertiary", "motorway"]),
        ("等级", ["街巷", "支路", "主干路", "主干道", "城市快速路"]),
    ],
)
def test_the_class_column_leaves_the_expressway_out_of_walking(tmp_path, column, values):
    path = save(classes_layout(column, values), tmp_path / "classes.gpkg")
    walk = geoplan.read_network(path, profile="walk")
    assert walk.n_edges == 4
    _, edges = walk.to_gdfs()
    assert sorted(set(edges["name"])) == ["人民大街", "解放大路"]
    assert set(edges["road_class"]) == set(values[:4])
    assert edges["source_row"].tolist() == sorted(edges["source_row"]) == [0, 1, 2, 3]
    drive = geoplan.read_network(path, profile="drive")
    assert drive.n_edges == 5
    assert "东环城快速路" in set(drive.edge_attrs["name"])


def test_unknown_classes_are_kept_with_a_warning_or_dropped(tmp_path):
    frame = classes_layout("道路等级", ["支路", "景观路", "支路", None, "支路"])
    path = save(frame, tmp_path / "unknown.gpkg")
    with pytest.warns(GeoplanWarning, match=r"2 of 5 lines have a road class .*'景观路' \(1\)"):
        net = geoplan.read_network(path)
    assert net.n_edges == 5
    with pytest.warns(GeoplanWarning, match="left out") as caught:
        net = geoplan.read_network(path, unknown_classes="drop")
    assert "unknown_classes='keep'" in str(caught[0].message)
    assert net.n_edges == 3


def test_named_columns_are_used_and_a_missing_one_is_refused(tmp_path):
    frame = classes_layout("kind", ["支路"] * 4 + ["快速路"]).rename(columns={"名称": "路"})
    path = save(frame.assign(z=[0] * 5), tmp_path / "named.gpkg")
    net = geoplan.read_network(path, class_column="kind", name_column="路", level_column="z")
    assert net.n_edges == 4
    assert set(net.edge_attrs["name"]) == {"人民大街", "解放大路"}
    with pytest.raises(geoplan.InputError, match=r"class_column='等级' is not a column"):
        geoplan.read_network(path, class_column="等级")


def test_a_road_file_without_a_class_column_uses_every_line(tmp_path):
    path = save(roads(grid_lines()), tmp_path / "plain.gpkg")
    net = geoplan.read_network(path, profile="drive")
    assert net.n_edges == 24
    assert net.edge_attrs["road_class"].isna().all()


# ---------------------------------------------------------------- file formats and CRS
def test_geojson_in_lon_lat_is_projected_to_the_local_utm_zone(tmp_path):
    frame = roads(grid_lines(), name=[f"街{i}" for i in range(6)])
    path = save(frame.to_crs(4326), tmp_path / "grid.geojson", driver="GeoJSON")
    net = geoplan.read_network(path)
    assert net.crs.to_epsg() == 32651
    assert net.length_m.sum() == pytest.approx(6 * 300, rel=1e-6)
    assert net.n_components == 1


def test_a_projected_file_in_metres_keeps_its_crs_unless_another_is_asked(tmp_path):
    path = save(roads(grid_lines()).to_crs("EPSG:4529"), tmp_path / "cgcs2000.fgb")
    net = geoplan.read_network(path)  # CGCS2000 / 3-degree Gauss-Kruger zone 41 (FlatGeobuf)
    assert net.crs.to_epsg() == 4529
    assert net.n_components == 1
    assert geoplan.read_network(path, crs=32651).crs.to_epsg() == 32651


@pytest.mark.parametrize("encoding", ["GBK", "UTF-8"])
def test_a_shapefile_with_chinese_attributes_in_its_cpg_encoding(tmp_path, encoding):
    # DBF field names hold 10 bytes: 等级 and 名称 fit in GBK and in UTF-8
    frame = classes_layout("等级", ["支路", "支路", "次干路", "次干路", "快速路"])
    path = save(frame, tmp_path / "roads.shp", encoding=encoding)
    assert path.with_suffix(".cpg").read_text().strip().upper().replace("-", "") in (
        encoding.replace("-", ""),
        "936" if encoding == "GBK" else "UTF8",
    )
    net = geoplan.read_network(path)
    assert net.n_edges == 4
    assert set(net.edge_attrs["name"]) == {"人民大街", "解放大路"}


def test_a_file_without_crs_is_refused_naming_the_fix(tmp_path):
    path = tmp_path / "nocrs.shp"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # writing without a CRS is the point
        roads(grid_lines(), crs=None).to_file(path)
    with pytest.raises(geoplan.CRSError, match="has no CRS; set it") as info:
        geoplan.read_network(path)
    assert "Set CRS" in str(info.value)


def test_coordinates_that_do_not_fit_the_declared_crs_are_refused(tmp_path):
    frame = roads(grid_lines()).set_crs(4326, allow_override=True)
    path = save(frame, tmp_path / "wrong.gpkg")
    with pytest.raises(geoplan.CRSError, match="look projected") as info:
        geoplan.read_network(path)
    assert "Layer > Set CRS" in str(info.value)


def test_a_geopackage_of_several_layers_needs_the_layer(tmp_path):
    path = tmp_path / "city.gpkg"
    roads(grid_lines()).to_file(path, layer="roads")
    blocks = gpd.GeoDataFrame(geometry=[shapely.box(X0, Y0, X0 + 100, Y0 + 100)], crs=UTM)
    blocks.to_file(path, layer="blocks")
    with pytest.raises(geoplan.DataSourceError, match="2 layers") as info:
        geoplan.read_network(path)
    assert "'roads' (LineString)" in str(info.value)
    assert 'layer="roads"' in str(info.value)
    assert geoplan.read_network(path, layer="roads").n_edges == 24
    with pytest.raises(geoplan.InputError, match="holds no lines"):
        geoplan.read_network(path, layer="blocks")


def test_features_that_are_not_lines_are_left_out_with_a_warning(tmp_path):
    frame = roads([*grid_lines(), Point(X0, Y0)])
    path = save(frame, tmp_path / "mixed.gpkg")
    with pytest.warns(geoplan.DroppedFeaturesWarning, match=r"1 of 7 features .* \(1 Point\)"):
        net = geoplan.read_network(path)
    assert net.n_edges == 24


def test_line_options_are_refused_for_osm_sources():
    with pytest.raises(geoplan.InputError, match="noding= applies to road line files"):
        geoplan.read_network(geoplan.datasets.sample_pbf(), noding="planar")


def test_clip_keeps_the_lines_in_the_area(tmp_path):
    path = save(roads(grid_lines()), tmp_path / "grid.gpkg")
    corner = gpd.GeoSeries([shapely.box(X0 - 60, Y0 - 60, X0 + 10, Y0 + 10)], crs=UTM)
    net = geoplan.read_network(path, clip=corner)
    # the two streets through the corner, whole, joined where they cross
    assert (net.n_nodes, net.n_edges) == (5, 4)
    with pytest.raises(geoplan.NetworkError, match="intersects the clip area"):
        geoplan.read_network(path, clip=(100.0, 10.0, 100.1, 10.1))


# ---------------------------------------------------------------- connectivity
def test_a_network_in_pieces_warns_with_the_share_and_the_fix(tmp_path):
    east = [line((0, 0), (300, 0)), line((0, 0), (0, 300))]
    far = [line((5000, 0), (5100, 0))]
    path = save(roads(east + far), tmp_path / "pieces.gpkg")
    with pytest.warns(GeoplanWarning) as caught:
        net = geoplan.read_network(path)
    message = str(caught[0].message)
    assert "holds only 86% of its 0.7 km of streets (2 pieces)" in message
    assert "largest_component=True" in message
    assert "noding" in message
    facts = connectivity(net)
    assert facts == {
        "pieces": 2,
        "largest_piece_length_share": pytest.approx(600 / 700),
        "largest_piece_node_share": pytest.approx(3 / 5),
        "largest_piece_km": pytest.approx(0.6),
        "total_km": pytest.approx(0.7),
        "min_share": 0.9,
        "connected": False,
    }
    assert net.summary()["largest_component_length_share"] == pytest.approx(600 / 700)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kept = geoplan.read_network(path, largest_component=True)
    assert (kept.n_components, kept.n_edges) == (1, 2)
    assert kept.edge_attrs["source_row"].tolist() == [0, 1]


def test_a_network_whose_largest_piece_holds_90_percent_does_not_warn(tmp_path):
    east = [line((0, 0), (900, 0))]
    far = [line((5000, 0), (5100, 0))]
    path = save(roads(east + far), tmp_path / "ok.gpkg")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net = geoplan.read_network(path)
    assert connectivity(net)["connected"]


# ---------------------------------------------------------------- edge attributes
def test_edge_attributes_follow_the_edges_through_subgraphs():
    net = Network(
        x=[0, 100, 200, 1000, 1100],
        y=[0, 0, 0, 0, 0],
        edge_u=[0, 1, 3],
        edge_v=[1, 2, 4],
        crs=UTM,
        edge_attrs=pd.DataFrame({"name": ["甲", "乙", "丙"]}, index=[7, 8, 9]),
    )
    assert net.edge_attrs.index.tolist() == [0, 1, 2]
    biggest = net.largest_component()
    assert biggest.edge_attrs["name"].tolist() == ["甲", "乙"]
    _, edges = biggest.to_gdfs()
    assert edges["name"].tolist() == ["甲", "乙"]
    assert Network.from_edges([(0, 0, 1, 0)], crs=UTM).edge_attrs is None
    with pytest.raises(geoplan.InputError, match="one row per edge"):
        Network(x=[0, 1], y=[0, 0], edge_u=[0], edge_v=[1], crs=UTM, edge_attrs=pd.DataFrame())
    with pytest.raises(geoplan.InputError, match="may not have the columns"):
        Network(
            x=[0, 1],
            y=[0, 0],
            edge_u=[0],
            edge_v=[1],
            crs=UTM,
            edge_attrs=pd.DataFrame({"length_m": [3.0]}),
        )


# ---------------------------------------------------------------- study files
def test_study_keys_of_road_line_files_are_checked(tmp_path):
    path = save(roads(grid_lines()), tmp_path / "roads.gpkg")
    raw = {
        "study": {"name": "lines"},
        "network": {"source": path.name, "noding": "planar", "layer": "roads"},
    }
    cfg = parse_config(raw, base_dir=tmp_path)
    assert cfg.network_lines == {"noding": "planar", "layer": "roads"}
    raw["network"]["noding"] = "snap"
    with pytest.raises(geoplan.ConfigError, match=r"\[network\] noding = 'snap' is not one of"):
        parse_config(raw, base_dir=tmp_path)
    osm = {"study": {"name": "x"}, "network": {"source": "sample", "class_column": "等级"}}
    with pytest.raises(geoplan.ConfigError, match="class_column applies to road line files"):
        parse_config(osm, base_dir=tmp_path)


def write_line_study(tmp: Path) -> Path:
    """A study on a bureau's road file: communities, people and canteens from files."""
    stops = [-50.0, *(float(v) for v in range(0, 1001, 100)), 1050.0]
    geometry, grades, names = [], [], []
    for k, fixed in enumerate(range(0, 1001, 100)):
        grade = "主干路" if k in (0, 5, 10) else "支路"
        geometry.append(line(*[(x, float(fixed)) for x in stops]))
        geometry.append(line(*[(float(fixed), y) for y in stops]))
        grades += [grade, grade]
        names += [f"{k}号路", f"{k}号街"]
    geometry.append(line((-50, -40), (1050, 1060)))  # an expressway across: not for walking
    grades.append("快速路")
    names.append("环城快速路")
    save(roads(geometry, 道路等级=grades, 道路名称=names), tmp / "roads.gpkg", layer="roads")
    blocks = [
        shapely.box(X0, Y0, X0 + 500, Y0 + 1000),
        shapely.box(X0 + 500, Y0, X0 + 1000, Y0 + 1000),
    ]
    communities = gpd.GeoDataFrame(
        {"社区代码": ["220102001", "220102002"], "社区名称": ["东岭社区", "西岭社区"]},
        geometry=blocks,
        crs=UTM,
    )
    save(communities, tmp / "communities.gpkg")
    homes = [Point(X0 + x, Y0 + y) for x in range(50, 1000, 200) for y in range(50, 1000, 200)]
    people = gpd.GeoDataFrame({"人口": [100] * len(homes)}, geometry=homes, crs=UTM)
    save(people, tmp / "people.gpkg")
    canteens = gpd.GeoSeries([Point(X0 + 150, Y0 + 150), Point(X0 + 850, Y0 + 850)], crs=UTM)
    lonlat = canteens.to_crs(4326)
    pd.DataFrame({"名称": ["东岭食堂", "西岭食堂"], "lon": lonlat.x, "lat": lonlat.y}).to_csv(
        tmp / "canteens.csv", index=False, encoding="utf-8-sig"
    )
    study = tmp / "study.toml"
    study.write_text(
        '[study]\nname = "lines"\n'
        '[network]\nsource = "roads.gpkg"\nlayer = "roads"\nnoding = "vertices"\n'
        'class_column = "道路等级"\nname_column = "道路名称"\n'
        '[communities]\nsource = "communities.gpkg"\nid = "社区代码"\nname_column = "社区名称"\n'
        '[population]\nsource = "people.gpkg"\ncolumn = "人口"\n'
        "[facilities]\nclassify = false\n"
        '[facilities.types.community_canteen]\nfile = "canteens.csv"\nminutes = 5\n'
        "[life_circles]\nenabled = false\n[service_areas]\nenabled = false\n"
        "[outputs]\nmaps = false\nrasters = false\n",
        encoding="utf-8",
    )
    return study


def test_a_study_runs_on_a_road_line_file(tmp_path):
    from geoplan.cli import cli

    study = write_line_study(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["-q", "run", str(study), "--out", str(out)])
    assert result.exit_code == 0, result.output
    totals = pd.read_csv(out / "tables/coverage_totals.csv", encoding="utf-8-sig", index_col=0)
    assert list(totals.index) == ["community_canteen"]
    assert totals.loc["community_canteen", "population"] == 2500
    # 5 minutes at 1 m/s: 300 m along the grid from (150, 150) and (850, 850)
    net = geoplan.read_network(tmp_path / "roads.gpkg", layer="roads", class_column="道路等级")
    canteens = gpd.GeoSeries([Point(X0 + 150, Y0 + 150), Point(X0 + 850, Y0 + 850)], crs=UTM)
    people = gpd.read_file(tmp_path / "people.gpkg")
    found = net.nearest(canteens, distance_m=300, targets=people.geometry)
    expected = float(people["人口"][np.isfinite(found.target_distance_m)].sum())
    assert totals.loc["community_canteen", "covered"] == pytest.approx(expected)
    assert 0 < expected < 2500
    assert "环城快速路" not in set(net.edge_attrs["name"])


# ---------------------------------------------------------------- a real city's ways as lines
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm"


@pytest.mark.realdata
def test_a_real_citys_ways_as_lines_read_like_its_osm_extract(tmp_path):
    pbf = SHARED / "harbin_2017.osm.pbf"
    if not pbf.exists():
        pytest.skip(f"{pbf} is absent (the shared OSM extracts are optional)")
    from bench.lines import end_point_pieces, osm_ways_as_lines

    path = osm_ways_as_lines(pbf, tmp_path)
    osm = connectivity(geoplan.read_network(pbf))
    lines = list(gpd.read_file(path).to_crs(32652).explode().geometry)
    pieces, share = end_point_pieces(lines)
    assert pieces > 1000  # Chinese ways cross at shared interior nodes
    assert share < 0.2
    read = connectivity(geoplan.read_network(path))
    assert read["pieces"] == osm["pieces"]
    assert read["largest_piece_length_share"] == pytest.approx(
        osm["largest_piece_length_share"], abs=0.002
    )
    assert read["total_km"] == pytest.approx(osm["total_km"], rel=0.005)
