"""The network engine against networkx Dijkstra, hand-computed values and bad input."""

from __future__ import annotations

import math
import tracemalloc
import warnings

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from _oracles import bent_edges, oracle_distances, oracle_graph, same_matrix
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point

import geoplan
from geoplan import CRSError, InputError, Network, NetworkError, UnreachablePointsWarning

CRS = "EPSG:32651"


def points(xy, crs=CRS):
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    return gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=crs)


# ----------------------------------------------------------------- random graphs
@st.composite
def random_case(draw):
    n = draw(st.integers(2, 25))
    coords = draw(
        st.lists(
            st.tuples(st.integers(0, 40), st.integers(0, 40)), min_size=n, max_size=n, unique=True
        )
    )
    xy = np.array(coords, dtype=float) * 25.0
    m = draw(st.integers(1, 45))
    pairs = draw(
        st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), min_size=m, max_size=m)
    )
    bends = draw(st.lists(st.integers(-40, 40), min_size=m, max_size=m))
    geoms = bent_edges(xy, pairs, bends, straight_every=3)
    n_src = draw(st.integers(1, 6))
    n_tgt = draw(st.integers(0, 12))
    pts = draw(
        st.lists(
            st.tuples(st.floats(-100, 1100), st.floats(-100, 1100)),
            min_size=n_src + n_tgt,
            max_size=n_src + n_tgt,
        )
    )
    # some points exactly on nodes or on an edge: the hard cases
    on_node = draw(st.lists(st.integers(0, n - 1), max_size=3))
    pts = [*pts, *[tuple(xy[i]) for i in on_node]]
    cutoff = draw(st.sampled_from([0.0, 50.0, 200.0, 600.0, math.inf]))
    snap = draw(st.sampled_from([60.0, 10_000.0]))
    net = Network(
        x=xy[:, 0],
        y=xy[:, 1],
        edge_u=[p[0] for p in pairs],
        edge_v=[p[1] for p in pairs],
        geometry=geoms,
        crs=CRS,
    )
    src_xy = pts[:n_src]
    tgt_xy = pts[n_src:]
    return net, src_xy, tgt_xy, cutoff, snap


def _snap(net, xy, limit):
    """Snap, or None when every point is beyond the limit (which snap refuses)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnreachablePointsWarning)
        try:
            return net.snap(points(xy), max_snap_m=limit)
        except InputError:
            nearest = [shapely.distance(net.geometry, Point(p)).min() for p in xy]
            assert min(nearest) > limit
            return None


def on_cutoff(d, cutoff):
    """Whether d is so near the cutoff that float rounding decides membership."""
    return math.isfinite(cutoff) and math.isfinite(d) and abs(d - cutoff) < 1e-6


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_case())
def test_nearest_matches_networkx(case):
    net, src_xy, tgt_xy, cutoff, limit = case
    src = _snap(net, src_xy, limit)
    tgt = _snap(net, tgt_xy, limit) if tgt_xy else None
    if src is None or not src.reachable.any():
        return
    result = net.nearest(src, distance_m=cutoff, targets=tgt)
    sets = [("src", src)] + ([("tgt", tgt)] if tgt is not None else [])
    graph = oracle_graph(net, *sets)
    origins = [("src", "p", int(i)) for i in np.flatnonzero(src.reachable)]
    truth = oracle_distances(graph, origins, cutoff)

    def check(key, got_dist, got_src):
        expected = truth.get(key, math.inf)
        if on_cutoff(expected, cutoff):
            return  # on the cutoff itself: rounding decides
        if math.isinf(expected):
            assert math.isinf(got_dist), (key, got_dist)
            assert got_src == -1
            return
        assert close(got_dist, expected), (key, got_dist, expected)
        # the named source really is at that distance
        own = nx.single_source_dijkstra_path_length(
            graph, ("src", "p", int(got_src)), weight="weight"
        )
        assert close(own[key], expected)

    for i in range(net.n_nodes):
        check(("n", i), result.node_distance_m[i], result.node_source[i])
    if tgt is not None:
        for j in range(len(tgt)):
            if not tgt.reachable[j]:
                assert math.isinf(result.target_distance_m[j])
                continue
            check(("tgt", "p", j), result.target_distance_m[j], result.target_source[j])


@pytest.mark.parametrize("direction", ["to_sources", "from_sources"])
def test_nearest_on_the_part_in_reach_is_the_whole_network_search(monkeypatch, direction):
    """A few sources search only the nodes within the cutoff's radius: the same arrays.

    The synthetic city's regular grid makes many ties between sources; the part
    of the network keeps the nodes' order, so even the tie-breaks are the same.
    """
    city = geoplan.datasets.synthetic_city(area_km2=6.0, spacing_m=80.0, seed=3)
    net = city.network()
    homes = city.buildings.geometry.centroid
    rng = np.random.default_rng(7)
    # a community's homes: the nearest to one home (and one group from all over the city)
    xy = np.column_stack([homes.x, homes.y])
    near = [np.argsort(((xy - xy[rng.integers(len(xy))]) ** 2).sum(1))[:n] for n in (1, 9, 40)]
    groups = [*near, rng.choice(len(homes), size=30, replace=False)]
    cases = [(homes.iloc[g], homes.iloc[rng.choice(len(homes), 60)]) for g in groups]
    cases.append((np.array([0, 5, net.n_nodes - 1]), None))  # node sources, far apart
    windowed = []
    for sources, _ in cases:
        for cutoff in (0.0, 240.0, 800.0):
            area = net._search_area(net._seeds(sources, direction), cutoff)
            windowed.append(area is not None and len(area) < net.n_nodes)
    assert sum(windowed) >= 8  # most searches here do use a part of the network

    def searches():
        return [
            net.nearest(sources, distance_m=cutoff, targets=targets, direction=direction)
            for sources, targets in cases
            for cutoff in (0.0, 240.0, 800.0)
        ]

    found = searches()
    monkeypatch.setattr(Network, "_search_area", lambda self, seeds, cutoff: None)
    whole = searches()
    for got, expected in zip(found, whole, strict=True):
        np.testing.assert_array_equal(got.node_distance_m, expected.node_distance_m)
        np.testing.assert_array_equal(got.node_source, expected.node_source)
        if expected.target_distance_m is not None:
            np.testing.assert_array_equal(got.target_distance_m, expected.target_distance_m)
            np.testing.assert_array_equal(got.target_source, expected.target_source)


@pytest.mark.parametrize("direction", ["to_sources", "from_sources"])
def test_reach_is_the_same_whichever_cell_side_groups_the_sources(monkeypatch, direction):
    """Sources grouped in cells of one to four reaches: the same matrices, bit for bit.

    The grid city's many ties included: a window keeps the nodes' order, so the
    searches take the same steps whichever sources share it.
    """
    city = geoplan.datasets.synthetic_city(area_km2=6.0, spacing_m=80.0, seed=3)
    net = city.network()
    homes = city.buildings.geometry.centroid
    rng = np.random.default_rng(11)
    sources = homes.iloc[rng.choice(len(homes), size=120, replace=False)]
    targets = homes.iloc[rng.choice(len(homes), size=300, replace=False)]

    def matrices():
        reach = net.reach(sources, distance_m=400.0, targets=targets, direction=direction)
        alone = net.reach_targets(sources, targets, distance_m=400.0, direction=direction)
        return reach.nodes, reach.targets, alone

    chosen = Network._cell_side
    expected = None
    for k in (1, 2, 3, 4):
        monkeypatch.setattr(Network, "_cell_side", lambda self, x, y, reach, k=k: k * reach)
        found = matrices()
        assert found[0].nnz > 0
        if expected is None:
            expected = found
        for got, want in zip(found, expected, strict=True):
            same_matrix(got, want)
    monkeypatch.setattr(Network, "_cell_side", chosen)
    for got, want in zip(matrices(), expected, strict=True):
        same_matrix(got, want)


def test_sources_far_apart_share_wider_cells_and_dense_ones_keep_one_reach():
    city = geoplan.datasets.synthetic_city(area_km2=6.0, spacing_m=80.0, seed=3)
    net = city.network()
    rng = np.random.default_rng(5)
    # 200 sources over 6 km2: a cell of one reach (100 m) holds a third of one on average,
    # so each source would set up a window of its own; a cell of four reaches holds five
    x = rng.uniform(net.x.min(), net.x.max(), 200)
    y = rng.uniform(net.y.min(), net.y.max(), 200)
    assert net._cell_side(x, y, 100.0) > 100.0
    # every node a source, at a reach of 1 km: one reach already holds hundreds
    assert net._cell_side(net.x, net.y, 1000.0) == 1000.0
    assert net._cell_side(np.empty(0), np.empty(0), 100.0) == 100.0


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 12), st.integers(1, 6)), min_size=1, max_size=40))
def test_entries_in_row_order_are_a_stable_sort_by_row(runs):
    from geoplan.network import _in_row_order

    rows = np.repeat([r for r, _ in runs], [n for _, n in runs])
    cols = np.arange(len(rows))
    vals = np.linspace(0.0, 1.0, len(rows))
    order = np.argsort(rows, kind="stable")
    got_cols, got_vals = _in_row_order(rows, cols, vals)
    np.testing.assert_array_equal(got_cols, cols[order])
    np.testing.assert_array_equal(got_vals, vals[order])


def test_node_density_is_measured_around_the_sources():
    city = geoplan.datasets.synthetic_city(area_km2=6.0, spacing_m=80.0, seed=3)
    net = city.network()
    # inside the grid city: about one node per 80 m x 80 m block
    cx, cy = np.median(net.x), np.median(net.y)
    x, y = cx + np.linspace(-300, 300, 9), cy + np.linspace(-300, 300, 9)
    assert net._density_around(x, y, 200.0) == pytest.approx(1 / 80**2, rel=0.3)
    # far outside it (a province's countryside): no nodes, whatever the extract's size
    assert net._density_around(x + 50_000, y, 200.0) == 0.0


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_case(), st.sampled_from([1e-4, 256.0]))
def test_reach_matches_networkx(case, batch_mb):
    net, src_xy, tgt_xy, cutoff, limit = case
    src = _snap(net, src_xy, limit)
    tgt = _snap(net, tgt_xy, limit) if tgt_xy else None
    if src is None or not src.reachable.any():
        return
    reach = net.reach(src, distance_m=cutoff, targets=tgt, batch_mb=batch_mb)
    assert reach.nodes.has_sorted_indices
    assert tgt is None or reach.targets.has_sorted_indices
    if tgt is not None:  # the targets alone: the same matrix, entry for entry
        same_matrix(
            net.reach_targets(src, tgt, distance_m=cutoff, batch_mb=batch_mb), reach.targets
        )
    sets = [("src", src)] + ([("tgt", tgt)] if tgt is not None else [])
    graph = oracle_graph(net, *sets)
    for s in range(len(src)):
        row_nodes = dict(zip(reach.reached_nodes(s), reach.nodes[s].data, strict=True))
        if not src.reachable[s]:
            assert not row_nodes
            continue
        truth = nx.single_source_dijkstra_path_length(
            graph, ("src", "p", s), cutoff=cutoff, weight="weight"
        )
        expected_nodes = {
            k[1]: d for k, d in truth.items() if k[0] == "n" and not on_cutoff(d, cutoff)
        }
        got = {i: d for i, d in row_nodes.items() if not on_cutoff(d, cutoff)}
        assert got.keys() == expected_nodes.keys()
        for i, d in got.items():
            assert close(d, expected_nodes[i])
        if tgt is not None:
            row_t = dict(zip(reach.reached_targets(s), reach.targets[s].data, strict=True))
            expected_t = {
                k[2]: d
                for k, d in truth.items()
                if k[:2] == ("tgt", "p") and not on_cutoff(d, cutoff)
            }
            got_t = {j: d for j, d in row_t.items() if not on_cutoff(d, cutoff)}
            assert got_t.keys() == expected_t.keys()
            for j, d in got_t.items():
                assert close(d, expected_t[j])


@settings(max_examples=80, deadline=None)
@given(random_case())
def test_snap_picks_the_nearest_edge(case):
    net, src_xy, tgt_xy, _, limit = case
    snapped = _snap(net, src_xy + tgt_xy, limit)
    if snapped is None:
        return
    pts = shapely.points(np.asarray(src_xy + tgt_xy, dtype=float))
    for i, p in enumerate(pts):
        d_all = shapely.distance(net.geometry, p)
        if snapped.reachable[i]:
            assert close(snapped.access_m[i], d_all.min())
            e = snapped.edge[i]
            assert 0 <= snapped.offset_m[i] <= net.length_m[e] + 1e-9
            assert close(snapped.access_m[i], d_all[e])
        else:
            assert d_all.min() > limit - 1e-9


# ----------------------------------------------------------------- hand-computed
@pytest.fixture
def ell():
    """An L: (0,0)-(100,0)-(100,100), plus a far island edge."""
    return Network.from_edges([(0, 0, 100, 0), (100, 0, 100, 100), (1000, 0, 1100, 0)], crs=CRS)


def test_hand_computed_distances(ell):
    result = ell.nearest(points([(0, 10)]), distance_m=1000, targets=points([(110, 50), (20, -5)]))
    # nodes sorted by coordinate: (0,0), (100,0), (100,100), (1000,0), (1100,0)
    np.testing.assert_allclose(result.node_distance_m, [10, 110, 210, np.inf, np.inf])
    np.testing.assert_array_equal(result.node_source, [0, 0, 0, -1, -1])
    # (110,50): 10 + 100 + 50 + 10; (20,-5): along the shared edge 10 + 20 + 5
    np.testing.assert_allclose(result.target_distance_m, [170, 35])
    assert ell.n_components == 2


def test_minutes_use_the_profile_speed(ell):
    with geoplan.settings.override(walk_speed_m_s=1.0):
        net = Network.from_edges([(0, 0, 600, 0)], crs=CRS)
    result = net.nearest(np.array([0]), minutes=5)  # 300 m
    np.testing.assert_allclose(result.node_distance_m, [0, np.inf])
    result = net.nearest(np.array([0]), minutes=10)
    np.testing.assert_allclose(result.node_minutes, [0, 10])


def test_nearest_names_the_nearest_of_two_sources(ell):
    result = ell.nearest(points([(0, 0), (100, 80)]), distance_m=500)
    np.testing.assert_array_equal(result.node_source[:3], [0, 1, 1])
    np.testing.assert_allclose(result.node_distance_m[:3], [0, 80, 20])


def test_reach_keeps_zero_distance_entries(ell):
    reach = ell.reach(np.array([0]), distance_m=150)
    assert list(reach.reached_nodes(0)) == [0, 1]
    np.testing.assert_allclose(reach.nodes[0].data, [0, 100])


def test_reach_targets_keeps_zero_distances_and_asks_for_targets(ell):
    homes = points([(0, 0), (100, 0), (400, 0)])  # on the source, 100 m along, beyond 150 m
    pairs = ell.reach_targets(np.array([0]), homes, distance_m=150)
    assert pairs.shape == (1, 3)
    assert list(pairs[0].indices) == [0, 1]
    np.testing.assert_allclose(pairs[0].data, [0, 100])
    with pytest.raises(InputError, match="needs target points"):
        ell.reach_targets(np.array([0]), None, distance_m=150)


def test_parallel_edges_use_the_shortest(ell):
    bent = LineString([(0, 0), (50, 80), (100, 0)])
    net = Network(
        x=[0, 100],
        y=[0, 0],
        edge_u=[0, 0],
        edge_v=[1, 1],
        geometry=[bent, LineString([(0, 0), (100, 0)])],
        crs=CRS,
    )
    np.testing.assert_allclose(net.nearest(np.array([0]), distance_m=1e6).node_distance_m, [0, 100])


def test_geometry_is_oriented_from_u():
    line = LineString([(100, 0), (0, 0)])  # drawn from v to u
    net = Network(x=[0, 100], y=[0, 0], edge_u=[0], edge_v=[1], geometry=[line], crs=CRS)
    snapped = net.snap(points([(30, 5)]))
    assert close(snapped.offset_m[0], 30)


# ----------------------------------------------------------------- memory and scale
def test_reach_memory_does_not_grow_as_sources_times_nodes():
    city = geoplan.datasets.synthetic_city(area_km2=40, spacing_m=40, seed=3, with_buildings=False)
    net = city.network()
    rng = np.random.default_rng(0)
    sources = rng.choice(net.n_nodes, size=2000, replace=False)
    dense_bytes = 2000 * net.n_nodes * 8
    tracemalloc.start()
    reach = net.reach(sources, minutes=5, batch_mb=16)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert reach.nodes.shape == (2000, net.n_nodes)
    assert peak < dense_bytes / 10, (peak, dense_bytes)
    # and it agrees with the one-shot scipy answer for a few rows
    from scipy.sparse.csgraph import dijkstra

    cutoff = net.cutoff_m(minutes=5)
    full = dijkstra(net.csr, indices=sources[:5], limit=cutoff)
    for i in range(5):
        reached = np.flatnonzero(np.isfinite(full[i]))
        np.testing.assert_array_equal(reach.reached_nodes(i), reached)
        np.testing.assert_allclose(reach.nodes[i].data, full[i, reached])


def test_nearest_equals_scipy_min_only_on_a_city():
    from scipy.sparse.csgraph import dijkstra

    net = geoplan.datasets.synthetic_city(area_km2=4, seed=5, with_buildings=False).network()
    sources = np.arange(0, net.n_nodes, 37)
    cutoff = net.cutoff_m(minutes=15)
    expected = dijkstra(net.csr, indices=sources, limit=cutoff, min_only=True)
    np.testing.assert_allclose(net.nearest(sources, minutes=15).node_distance_m, expected)


# ----------------------------------------------------------------- bad input
def test_points_without_crs(ell):
    with pytest.raises(CRSError, match="no CRS"):
        ell.snap(gpd.GeoSeries([Point(0, 0)]))


def test_points_in_another_crs(ell):
    with pytest.raises(CRSError, match=r"to_crs\('EPSG:32651'\)"):
        ell.snap(gpd.GeoSeries([Point(125, 43)], crs=4326))


def test_swapped_longitude_latitude_far_outside():
    # a network near Helsinki (lon 24.94, lat 60.17), in UTM 35N
    center = gpd.GeoSeries([Point(24.94, 60.17)], crs=4326).to_crs(32635).iloc[0]
    x0, y0 = center.x, center.y
    net = Network.from_edges(
        [(x0, y0, x0 + 500, y0), (x0 + 500, y0, x0 + 500, y0 + 500)], crs=32635
    )
    swapped = gpd.GeoSeries([Point(60.17, 24.94), Point(60.171, 24.941)], crs=4326).to_crs(32635)
    with pytest.raises(CRSError, match="swapped"):
        net.snap(swapped)


def test_swapped_axes_giving_infinite_coordinates(ell):
    bad = gpd.GeoSeries([Point(43.9, 125.3)], crs=4326).to_crs(CRS)  # latitude 125.3
    with pytest.raises(CRSError, match="swapped"):
        ell.snap(bad)


def test_nan_coordinates(ell):
    with pytest.raises(InputError, match="NaN"):
        ell.snap(points([(0, 0), (np.nan, 1)]))


def test_points_far_from_the_network(ell):
    with pytest.raises(InputError, match="none of the 1 points"):
        ell.snap(points([(1e6, 1e6)]))


def test_unreachable_points_are_flagged_not_dropped(ell):
    with pytest.warns(UnreachablePointsWarning, match="1 of 2 points"):
        snapped = ell.snap(points([(0, 1), (0, 900)]), max_snap_m=100)
    assert list(snapped.reachable) == [True, False]
    assert len(snapped.to_frame()) == 2
    with pytest.warns(UnreachablePointsWarning):
        result = ell.nearest(points([(0, 0)]), distance_m=1e6, targets=points([(0, 1), (0, 900)]))
    assert math.isinf(result.target_distance_m[1])


def test_empty_source_set(ell):
    with pytest.raises(InputError, match="empty"):
        ell.nearest(points(np.empty((0, 2))), distance_m=100)
    with pytest.raises(InputError, match="empty"):
        ell.nearest(np.array([], dtype=int), distance_m=100)


@pytest.mark.parametrize("bad", [-1.0, float("nan"), "ten"])
def test_bad_cutoffs(ell, bad):
    with pytest.raises(InputError, match="cutoff"):
        ell.nearest(np.array([0]), distance_m=bad)


def test_cutoff_needs_exactly_one_unit(ell):
    with pytest.raises(InputError, match="exactly one"):
        ell.nearest(np.array([0]), distance_m=1, minutes=1)


def test_geographic_crs_is_refused():
    with pytest.raises(CRSError, match="projected"):
        Network.from_edges([(0, 0, 1, 1)], crs=4326)


def test_network_without_edges():
    with pytest.raises(NetworkError, match="at least two nodes joined by an edge"):
        Network(x=[0.0], y=[0.0], edge_u=[], edge_v=[], crs=CRS)


def test_inputs_are_not_mutated(ell):
    pts = points([(0, 10), (20, -5)])
    before = pts.copy()
    ell.nearest(pts, distance_m=100, targets=pts)
    assert pts.equals(before)


def test_round_trip_through_gdfs_and_networkx(ell):
    nodes, edges = ell.to_gdfs()
    again = Network.from_gdfs(nodes, edges, crs=CRS)
    np.testing.assert_allclose(again.length_m, ell.length_m)
    graph = ell.to_networkx()
    assert graph.number_of_edges() == ell.n_edges
    back = Network.from_networkx(graph, crs=CRS)
    assert back.n_nodes == ell.n_nodes
