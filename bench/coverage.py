"""Coverage of 8 facility types for a million demand points, stage by stage, beside pandana.

Run ``python -m bench coverage`` (full) or ``python -m bench coverage --quick``.
"""

from __future__ import annotations

import gc
import time
import tracemalloc
import warnings

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

import geoplan
from geoplan.datasets import area_for_nodes, synthetic_city

from ._harness import Table

TYPES = [
    "community_health_station",
    "community_health_center",
    "pharmacy",
    "kindergarten",
    "community_canteen",
    "emergency_shelter",
    "convenience_store",
    "elderly_day_care",
]
SPACING_M = 70.0


def city(n_nodes: int):
    return synthetic_city(
        area_for_nodes(n_nodes, spacing_m=SPACING_M),
        spacing_m=SPACING_M,
        seed=0,
        with_buildings=False,
    )


def demand_points(net, n: int, seed: int = 1) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    left, bottom, right, top = net.bounds
    return gpd.GeoDataFrame(
        {"population": rng.integers(1, 40, n).astype(float)},
        geometry=shapely.points(rng.uniform(left, right, n), rng.uniform(bottom, top, n)),
        crs=net.crs,
    )


def stages(net, facilities, demand) -> dict[str, float]:
    """Time each stage of coverage() as a user would run it (8 types, standard thresholds)."""
    times = {}
    start = time.perf_counter()
    snapped = net.snap(demand)
    times["snap demand"] = time.perf_counter() - start
    std = geoplan.standards.load_standards()
    start = time.perf_counter()
    for type_id in TYPES:
        group = facilities[facilities["category"] == type_id]
        net.nearest(group, minutes=std.facility_type(type_id).threshold_minutes, targets=snapped)
    times["nearest, 8 types"] = time.perf_counter() - start
    start = time.perf_counter()
    geoplan.coverage(net, facilities, demand, types=TYPES)
    times["whole coverage() call"] = time.perf_counter() - start
    return times


def pandana_coverage(net, facilities, demand, table: Table, label: str) -> None:
    try:
        import pandana
    except ImportError:
        table.skip("coverage, 8 types", label, "pandana", "pandana not installed")
        return
    coo = sp.triu(net.csr).tocoo()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pnet = pandana.Network(
            pd.Series(net.x),
            pd.Series(net.y),
            pd.Series(coo.row),
            pd.Series(coo.col),
            pd.DataFrame({"length": coo.data}),
            twoway=True,
        )
    table.record(
        "coverage, 8 types", label, "pandana CH build (one-off)", time.perf_counter() - start
    )
    std = geoplan.standards.load_standards()
    xy = shapely.get_coordinates(demand.geometry.values)

    def run() -> None:
        node_ids = pnet.get_node_ids(pd.Series(xy[:, 0]), pd.Series(xy[:, 1]))
        for type_id in TYPES:
            group = facilities[facilities["category"] == type_id]
            cutoff = std.facility_type(type_id).threshold_minutes * 60 * net.speed_m_s
            fxy = shapely.get_coordinates(group.geometry.values)
            pnet.set_pois(type_id, cutoff, 1, pd.Series(fxy[:, 0]), pd.Series(fxy[:, 1]))
            dist = pnet.nearest_pois(cutoff, type_id, num_pois=1)[1]
            (dist.loc[node_ids].to_numpy() < cutoff).mean()

    table.time(
        "coverage, 8 types",
        label,
        "pandana get_node_ids + nearest_pois",
        run,
        repeat=1,
        note="snaps to the nearest node, not edge; no access leg",
    )


def run(quick: bool = False) -> Table:
    table = Table()
    sizes = [(5_000, 20_000)] if quick else [(50_000, 1_000_000), (200_000, 1_000_000)]
    for n_nodes, n_demand in sizes:
        c = city(n_nodes)
        net = c.network()
        _ = net.csr
        demand = demand_points(net, n_demand)
        label = f"{net.n_nodes // 1000}k nodes, {n_demand:,} demand"
        print(f"\n{label}: {len(c.facilities)} facilities")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", geoplan.UnreachablePointsWarning)
            net.snap(demand.iloc[:10])  # the snapping index, built once
            times = stages(net, c.facilities, demand)
            gc.collect()
            tracemalloc.start()
            geoplan.coverage(net, c.facilities, demand, types=TYPES)
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        for stage in ("snap demand", "nearest, 8 types"):
            table.record(f"stage: {stage}", label, "geoplan", times[stage])
        table.record(
            "coverage, 8 types",
            label,
            "geoplan coverage()",
            times["whole coverage() call"],
            "snapping included",
            peak_mb=peak,
        )
        print(f"  coverage(): {times['whole coverage() call']:.2f} s, peak {peak:,.0f} MB")
        if n_nodes <= 60_000:
            pandana_coverage(net, c.facilities, demand, table, label)
        else:
            table.skip(
                "coverage, 8 types",
                label,
                "pandana",
                "CH build too slow at 200k (479 s, DESIGN.md)",
            )
    return table
