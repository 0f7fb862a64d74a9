"""Directed, time-weighted networks: one-way streets and edge speeds against networkx.

The engine's searches on a network with one-way edges and speeds per edge (and per
direction, as slopes give) must equal networkx Dijkstra on a DiGraph in which every
snapped point is inserted into its edge (``_oracles.oracle_digraph``), in both
directions of travel, for ``nearest`` and ``reach``, with points on one-way edges.
"""

from __future__ import annotations

import math
import warnings

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from _oracles import bent_edges, oracle_digraph, same_matrix
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point

from geoplan import InputError, Network, NetworkError, UnreachablePointsWarning

CRS = "EPSG:32651"


def points(xy, crs=CRS):
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    return gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs)


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


def on_cutoff(d, cutoff):
    return math.isfinite(cutoff) and math.isfinite(d) and abs(d - cutoff) < 1e-6


# ----------------------------------------------------------------- random directed graphs
@st.composite
def directed_case(draw):
    """A random network with one-way edges, speeds per edge and direction, and points."""
    n = draw(st.integers(2, 20))
    coords = draw(
        st.lists(
            st.tuples(st.integers(0, 30), st.integers(0, 30)), min_size=n, max_size=n, unique=True
        )
    )
    xy = np.array(coords, dtype=float) * 25.0
    m = draw(st.integers(1, 40))
    pairs = draw(
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), min_size=m, max_size=m)
    )
    bends = draw(st.lists(st.integers(-30, 30), min_size=m, max_size=m))
    geoms = bent_edges(xy, pairs, bends, straight_every=2)
    oneway = draw(st.lists(st.sampled_from([0, 0, 1, -1]), min_size=m, max_size=m))
    # speeds from a crawl to five times the reference speed of 10 m/s, per direction
    speed = st.sampled_from([2.0, 5.0, 10.0, 10.0, 25.0, 50.0])
    forward = draw(st.lists(speed, min_size=m, max_size=m))
    backward = draw(st.lists(speed, min_size=m, max_size=m))
    net = Network(
        x=xy[:, 0],
        y=xy[:, 1],
        edge_u=[p[0] for p in pairs],
        edge_v=[p[1] for p in pairs],
        geometry=geoms,
        crs=CRS,
        profile="drive",
        speed_m_s=10.0,
        oneway=oneway,
        forward_speed_m_s=forward,
        backward_speed_m_s=backward,
    )
    n_src = draw(st.integers(1, 5))
    n_tgt = draw(st.integers(0, 10))
    pts = draw(
        st.lists(
            st.tuples(st.floats(-50, 800), st.floats(-50, 800)),
            min_size=n_src + n_tgt,
            max_size=n_src + n_tgt,
        )
    )
    on_node = draw(st.lists(st.integers(0, n - 1), max_size=3))
    pts = [*pts, *[tuple(xy[i]) for i in on_node]]
    cutoff = draw(st.sampled_from([0.0, 60.0, 250.0, 900.0, math.inf]))
    direction = draw(st.sampled_from(["to_sources", "from_sources"]))
    return net, pts[:n_src], pts[n_src:], cutoff, direction


def _snap(net, xy):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnreachablePointsWarning)
        return net.snap(points(xy), max_snap_m=10_000.0)


def _truth_graph(net, src, tgt, direction):
    """The oracle graph, reversed when trips run to the sources."""
    sets = [("src", src)] + ([("tgt", tgt)] if tgt is not None else [])
    graph = oracle_digraph(net, *sets)
    return graph if direction == "from_sources" else graph.reverse(copy=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(directed_case())
def test_directed_nearest_matches_networkx(case):
    net, src_xy, tgt_xy, cutoff, direction = case
    src = _snap(net, src_xy)
    tgt = _snap(net, tgt_xy) if tgt_xy else None
    result = net.nearest(src, distance_m=cutoff, targets=tgt, direction=direction)
    assert result.direction == direction
    graph = _truth_graph(net, src, tgt, direction)
    origins = [("src", "p", i) for i in range(len(src))]
    truth = nx.multi_source_dijkstra_path_length(graph, origins, cutoff=cutoff, weight="weight")

    def check(key, got, got_src):
        expected = truth.get(key, math.inf)
        if on_cutoff(expected, cutoff):
            return
        if math.isinf(expected):
            assert math.isinf(got), (key, got)
            assert got_src == -1
            return
        assert close(got, expected), (key, got, expected)
        own = nx.single_source_dijkstra_path_length(graph, ("src", "p", int(got_src)))
        assert close(own[key], expected)

    for i in range(net.n_nodes):
        check(("n", i), result.node_distance_m[i], result.node_source[i])
    for j in range(len(tgt) if tgt is not None else 0):
        check(("tgt", "p", j), result.target_distance_m[j], result.target_source[j])


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(directed_case(), st.sampled_from([1e-4, 256.0]))
def test_directed_reach_matches_networkx(case, batch_mb):
    net, src_xy, tgt_xy, cutoff, direction = case
    src = _snap(net, src_xy)
    tgt = _snap(net, tgt_xy) if tgt_xy else None
    reach = net.reach(src, distance_m=cutoff, targets=tgt, batch_mb=batch_mb, direction=direction)
    if tgt is not None:
        alone = net.reach_targets(
            src, tgt, distance_m=cutoff, batch_mb=batch_mb, direction=direction
        )
        same_matrix(alone, reach.targets)
    graph = _truth_graph(net, src, tgt, direction)
    for s in range(len(src)):
        truth = nx.single_source_dijkstra_path_length(graph, ("src", "p", s), cutoff=cutoff)
        got = dict(zip(reach.reached_nodes(s), reach.nodes[s].data, strict=True))
        expected = {k[1]: d for k, d in truth.items() if k[0] == "n"}
        kept = {i for i, d in expected.items() if not on_cutoff(d, cutoff)}
        assert {i for i, d in got.items() if not on_cutoff(d, cutoff)} == kept
        for i in kept:
            assert close(got[i], expected[i])
        if tgt is not None:
            got_t = dict(zip(reach.reached_targets(s), reach.targets[s].data, strict=True))
            expected_t = {k[2]: d for k, d in truth.items() if k[:2] == ("tgt", "p")}
            kept_t = {j for j, d in expected_t.items() if not on_cutoff(d, cutoff)}
            assert {j for j, d in got_t.items() if not on_cutoff(d, cutoff)} == kept_t
            for j in kept_t:
                assert close(got_t[j], expected_t[j])


# ----------------------------------------------------------------- hand-computed
@pytest.fixture
def street():
    """Three nodes on a line, 0 -(100 m, one-way east, 20 m/s)- 1 -(100 m, both, 5 m/s)- 2."""
    return Network.from_edges(
        [(0, 0, 100, 0), (100, 0, 200, 0)],
        crs=CRS,
        profile="drive",
        speed_m_s=10.0,
        oneway=[1, 0],
        forward_speed_m_s=[20.0, 5.0],
    )


def test_one_way_edges_are_travelled_one_way(street):
    out = street.nearest(np.array([0]), minutes=60, direction="from_sources")
    # 100 m at 20 m/s = 5 s = 50 cost metres at 10 m/s; then 100 m at 5 m/s = 20 s = 200
    np.testing.assert_allclose(out.node_distance_m, [0, 50, 250])
    np.testing.assert_allclose(out.node_minutes * 60, [0, 5, 25])
    back = street.nearest(np.array([0]), minutes=60, direction="to_sources")
    np.testing.assert_array_equal(back.node_distance_m, [0, np.inf, np.inf])
    assert street.directed
    assert street.time_weighted


def test_points_on_a_one_way_edge_travel_with_it(street):
    shop, home = points([(30, 5)]), points([(70, -5), (10, 0)])
    out = street.nearest(shop, minutes=60, targets=home, direction="from_sources")
    # along the edge eastward: 5 access + 40 m at half price (20) + 5 access; westward closed,
    # and no way round
    np.testing.assert_allclose(out.target_distance_m, [30, np.inf])
    # the shop's own leg: 70 m east to node 1 at half price, then 100 m at double price
    np.testing.assert_allclose(out.node_distance_m, [np.inf, 5 + 35, 5 + 35 + 200])
    to_shop = street.nearest(shop, minutes=60, targets=home, direction="to_sources")
    # from (10, 0): 20 m east at half price + 5 access; from (70,-5): no way back west
    np.testing.assert_allclose(to_shop.target_distance_m, [np.inf, 15])
    np.testing.assert_allclose(to_shop.node_distance_m, [15 + 5, np.inf, np.inf])


def test_a_point_on_an_end_of_a_one_way_edge_stands_on_that_node(street):
    at_node_0 = street.snap(points([(0, 0)]))
    assert at_node_0.offset_m[0] == 0
    out = street.nearest(at_node_0, minutes=60, direction="from_sources")
    np.testing.assert_allclose(out.node_distance_m, [0, 50, 250])
    back = street.nearest(at_node_0, minutes=60, direction="to_sources")
    np.testing.assert_allclose(back.node_distance_m, [0, np.inf, np.inf])


def test_reach_on_a_one_way_ring_goes_round():
    # a square ring, one-way anticlockwise, 100 m sides at the reference speed
    ring = Network.from_edges(
        [(0, 0, 100, 0), (100, 0, 100, 100), (100, 100, 0, 100), (0, 100, 0, 0)],
        crs=CRS,
        profile="drive",
        oneway=[1, 1, 1, 1],
    )
    start = ring.snap(points([(0, 0)]))
    out = ring.reach(start, distance_m=1000, direction="from_sources")
    # nodes sorted by coordinate: (0,0), (0,100), (100,0), (100,100)
    np.testing.assert_allclose(out.nodes.toarray()[0], [0, 300, 100, 200])
    back = ring.reach(start, distance_m=1000, direction="to_sources")
    np.testing.assert_allclose(back.nodes.toarray()[0], [0, 100, 300, 200])
    assert ring.directed
    assert not ring.time_weighted


def test_minutes_are_exact_travel_times_on_a_time_weighted_network(street):
    # 15 s allowed: 5 s on the fast edge, then 10 s = 50 m on the slow one
    homes = points([(150, 0), (151, 0)])
    out = street.nearest(np.array([0]), minutes=0.25, targets=homes, direction="from_sources")
    np.testing.assert_allclose(out.target_minutes[0] * 60, 15.0)
    assert math.isinf(out.target_minutes[1])


def test_reach_windows_cover_fast_edges():
    # a 2 km street at 5 times the reference speed: 2 km reached within 400 cost metres
    fast = Network.from_edges(
        [(0, 0, 1000, 0), (1000, 0, 2000, 0)],
        crs=CRS,
        profile="drive",
        speed_m_s=10.0,
        forward_speed_m_s=[50.0, 50.0],
    )
    out = fast.reach(np.array([0]), distance_m=400, batch_mb=1e-4)
    np.testing.assert_allclose(out.nodes.toarray()[0], [0, 200, 400])


def test_a_network_without_speeds_or_one_way_edges_is_unchanged():
    plain = Network.from_edges([(0, 0, 100, 0), (100, 0, 100, 70)], crs=CRS)
    same = Network.from_edges(
        [(0, 0, 100, 0), (100, 0, 100, 70)],
        crs=CRS,
        oneway=[0, 0],
        forward_speed_m_s=[plain.speed_m_s] * 2,
    )
    assert not same.directed
    assert not same.time_weighted
    assert same.csr_reverse is same.csr
    assert (same.csr != plain.csr).nnz == 0
    pts = points([(30, 3), (101, 40)])
    for direction in ("to_sources", "from_sources"):
        a = plain.nearest(pts, distance_m=500, targets=pts)
        b = same.nearest(pts, distance_m=500, targets=pts, direction=direction)
        np.testing.assert_array_equal(a.target_distance_m, b.target_distance_m)
        np.testing.assert_array_equal(a.node_distance_m, b.node_distance_m)


def test_by_distance_measures_metres_and_keeps_one_way_streets(street):
    metres = street.by_distance()
    assert not metres.time_weighted
    assert metres.directed
    out = metres.nearest(np.array([0]), distance_m=1000, direction="from_sources")
    np.testing.assert_allclose(out.node_distance_m, [0, 100, 200])


def test_directed_networks_round_trip(street):
    _, edges = street.to_gdfs()
    assert edges["oneway"].tolist() == [1, 0]
    assert edges["forward_speed_m_s"].tolist() == [20.0, 5.0]
    graph = street.to_networkx()
    assert graph.is_directed()
    assert sorted(graph.edges()) == [(0, 1), (1, 2), (2, 1)]
    assert graph[0][1][0]["seconds"] == pytest.approx(5.0)
    sub = street.subgraph(np.array([True, True, False]))
    assert sub.oneway.tolist() == [1]
    assert sub.forward_speed_m_s.tolist() == [20.0]
    facts = street.summary()
    assert facts["oneway_edge_share"] == 0.5
    assert (facts["speed_min_m_s"], facts["speed_max_m_s"]) == (5.0, 20.0)


def test_directed_graph_is_the_oracle_of_to_networkx(street):
    graph = street.to_networkx()
    lengths = nx.single_source_dijkstra_path_length(graph, 0, weight="cost")
    out = street.nearest(np.array([0]), distance_m=math.inf, direction="from_sources")
    for node, cost in lengths.items():
        assert close(out.node_distance_m[node], cost)


# ----------------------------------------------------------------- bad input
def test_bad_one_way_codes_are_refused():
    with pytest.raises(NetworkError, match="oneway codes must be 1"):
        Network.from_edges([(0, 0, 1, 0)], crs=CRS, oneway=[2])
    with pytest.raises(NetworkError, match="one code per edge"):
        Network.from_edges([(0, 0, 1, 0)], crs=CRS, oneway=[1, 1])


@pytest.mark.parametrize("bad", [0.0, -3.0, math.nan, math.inf])
def test_bad_edge_speeds_are_refused(bad):
    with pytest.raises(NetworkError, match="positive finite number of metres per second"):
        Network.from_edges([(0, 0, 1, 0)], crs=CRS, forward_speed_m_s=[bad])


def test_a_bad_direction_is_refused(street):
    with pytest.raises(InputError, match="to_sources"):
        street.nearest(np.array([0]), minutes=5, direction="outward")
    with pytest.raises(InputError, match="from_sources"):
        street.reach(np.array([0]), minutes=5, direction=None)


def test_snapping_ignores_direction(street):
    snapped = street.snap(points([(50, 1)]))
    assert snapped.edge[0] == 0
    assert shapely.distance(street.geometry[0], Point(50, 1)) == pytest.approx(1.0)


# ----------------------------------------------------------------- service areas
def test_service_areas_follow_one_way_streets_toward_the_facility():
    from geoplan import service_areas

    # a 1 km street open eastward only, at the reference speed 1 m/s: 10 minutes = 600 m
    street = Network.from_edges(
        [(0, 0, 1000, 0)], crs=CRS, speed_m_s=1.0, profile="bike", oneway=[1]
    )
    east, west = points([(1000, 0)]), points([(0, 0)])
    east_area = service_areas(street, east, minutes=10, buffer_m=50).geometry.iloc[0]
    west_area = service_areas(street, west, minutes=10, buffer_m=50).geometry.iloc[0]
    # trips run to the facility: from x >= 400 one reaches the east end, nobody the west end
    assert east_area.contains(Point(500, 0))
    assert not east_area.contains(Point(300, 0))
    assert not west_area.contains(Point(300, 0))
    assert west_area.area < 0.2 * east_area.area
    # without the one-way rule both ends reach 600 m along the street
    both = street.with_edges(oneway=[0])
    assert (
        service_areas(both, west, minutes=10, buffer_m=50).geometry.iloc[0].contains(Point(500, 0))
    )
