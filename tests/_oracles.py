"""Independent answers for the tests: networkx on a graph with every point inserted."""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
from shapely.geometry import LineString

from geoplan import Network


def oracle_graph(net: Network, *snapped_sets):
    """networkx graph with every snapped point inserted into its edge."""
    graph = nx.Graph()
    graph.add_nodes_from(("n", i) for i in range(net.n_nodes))
    on_edge: dict[int, list] = {}
    for tag, snapped in snapped_sets:
        for i in np.flatnonzero(snapped.reachable):
            on_edge.setdefault(int(snapped.edge[i]), []).append(
                (float(snapped.offset_m[i]), (tag, "s", int(i)))
            )
            graph.add_edge(
                (tag, "p", int(i)), (tag, "s", int(i)), weight=float(snapped.access_m[i])
            )

    def add(a, b, w):
        if a == b:
            return
        if graph.has_edge(a, b):
            w = min(w, graph[a][b]["weight"])
        graph.add_edge(a, b, weight=w)

    for e in range(net.n_edges):
        u, v, length = int(net.edge_u[e]), int(net.edge_v[e]), float(net.length_m[e])
        stops = sorted(on_edge.get(e, []))
        chain = [(0.0, ("n", u)), *stops, (length, ("n", v))]
        for (o1, a), (o2, b) in itertools.pairwise(chain):
            add(a, b, o2 - o1)
    return graph


def oracle_distances(graph, origins, cutoff):
    return nx.multi_source_dijkstra_path_length(graph, origins, cutoff=cutoff, weight="weight")


def oracle_digraph(net: Network, *snapped_sets):
    """networkx DiGraph of a directed, time-weighted network with every snapped point inserted.

    Each piece of an edge between two stops costs its length times the edge's
    pace that way (``Network.pace``; no arc where the edge is closed); stops at
    the same place (a point on an end node, two points at one offset) are joined
    both ways at no cost; access legs cost their length both ways.
    """
    graph = nx.DiGraph()
    graph.add_nodes_from(("n", i) for i in range(net.n_nodes))
    on_edge: dict[int, list] = {}
    for tag, snapped in snapped_sets:
        for i in np.flatnonzero(snapped.reachable):
            on_edge.setdefault(int(snapped.edge[i]), []).append(
                (float(snapped.offset_m[i]), (tag, "s", int(i)))
            )
            access = float(snapped.access_m[i])
            graph.add_edge((tag, "p", int(i)), (tag, "s", int(i)), weight=access)
            graph.add_edge((tag, "s", int(i)), (tag, "p", int(i)), weight=access)

    def add(a, b, w):
        if a == b or not np.isfinite(w):
            return
        if graph.has_edge(a, b):
            w = min(w, graph[a][b]["weight"])
        graph.add_edge(a, b, weight=w)

    forward, backward = net.pace
    for e in range(net.n_edges):
        u, v, length = int(net.edge_u[e]), int(net.edge_v[e]), float(net.length_m[e])
        stops = sorted(on_edge.get(e, []))
        chain = [(0.0, ("n", u)), *stops, (length, ("n", v))]
        for (o1, a), (o2, b) in itertools.pairwise(chain):
            if o2 == o1:
                add(a, b, 0.0)
                add(b, a, 0.0)
                continue
            add(a, b, (o2 - o1) * float(forward[e]))
            add(b, a, (o2 - o1) * float(backward[e]))
    return graph


def bent_edges(xy, pairs, bends, *, straight_every: int) -> list[LineString]:
    """Edges of a random test network: loops, straight lines and lines bent by ``bend``.

    A pair ``(u, u)`` is a loop; a bend that ``straight_every`` divides gives a
    straight line; any other bend pushes the line's middle sideways by ``bend``.
    """
    geoms = []
    for (u, v), bend in zip(pairs, bends, strict=True):
        (x0, y0), (x1, y1) = xy[u], xy[v]
        if u == v:
            geoms.append(
                LineString([(x0, y0), (x0 + 30, y0 + bend), (x0, y0 + 1 + abs(bend)), (x0, y0)])
            )
        elif bend % straight_every == 0:
            geoms.append(LineString([(x0, y0), (x1, y1)]))
        else:
            mx, my = (x0 + x1) / 2, (y0 + y1) / 2
            dx, dy = y1 - y0, x0 - x1
            norm = math.hypot(dx, dy)
            geoms.append(
                LineString([(x0, y0), (mx + bend * dx / norm, my + bend * dy / norm), (x1, y1)])
            )
    return geoms


def same_matrix(got, expected) -> None:
    """Assert the same sparse matrix: shape, stored pattern (zeros too), values bit for bit."""
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got.indptr, expected.indptr)
    np.testing.assert_array_equal(got.indices, expected.indices)
    np.testing.assert_array_equal(got.data, expected.data)
