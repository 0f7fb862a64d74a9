"""How time grows with network size: the engine (50k-1M nodes) and a whole study.

Run ``python -m bench scaling`` (full) or ``--quick``. The exponent ``b`` of
``time = a * nodes**b`` is fitted by least squares on log-log; near 1 is linear.
"""

from __future__ import annotations

import time

import numpy as np

import geoplan
from geoplan.config import parse_config
from geoplan.datasets import area_for_nodes

from ._harness import Table
from .engine import MINUTES, synthetic

ENGINE_SIZES = (50_000, 100_000, 200_000, 500_000, 1_000_000)
STUDY_SIZES = (12_500, 25_000, 50_000)
FACILITIES_PER_10K_NODES = 20


def fitted_exponent(sizes: list[float], seconds: list[float]) -> float:
    """The b of seconds = a * size**b (least squares on logs)."""
    slope, _ = np.polyfit(np.log(sizes), np.log(seconds), 1)
    return float(slope)


def engine(table: Table, sizes: tuple[int, ...]) -> list[tuple[int, float, float]]:
    points = []
    rng = np.random.default_rng(42)
    for n in sizes:
        net = synthetic(n)
        k = max(10, n * FACILITIES_PER_10K_NODES // 10_000)
        sources = np.sort(rng.choice(net.n_nodes, size=k, replace=False))
        label = f"{net.n_nodes:,} nodes, {k} facilities"
        table.time(
            "scaling: nearest",
            label,
            "geoplan Network.nearest",
            lambda net=net, sources=sources: net.nearest(sources, minutes=MINUTES),
        )
        start = time.perf_counter()
        net.reach(sources, minutes=MINUTES)
        reach_s = time.perf_counter() - start
        table.record("scaling: reach", label, "geoplan Network.reach", reach_s)
        points.append((net.n_nodes, table.rows[-2].seconds, reach_s))
    return points


def study(table: Table, sizes: tuple[int, ...]) -> list[tuple[int, float, float]]:
    points = []
    for n in sizes:
        config = parse_config(
            {
                "study": {"name": f"scaling-{n}"},
                "network": {"source": "synthetic"},
                "synthetic": {"area_km2": area_for_nodes(n, spacing_m=80.0), "seed": 0},
                "communities": {"source": "synthetic"},
                "population": {"source": "synthetic"},
                "facilities": {"types": {"community_canteen": {}, "community_health_station": {}}},
                "register": {"source": "synthetic"},
                "sites": [{"facility_type": "community_canteen", "p": 3}],
            }
        )
        start = time.perf_counter()
        result = geoplan.run_study(geoplan.Study.from_config(config))
        seconds = time.perf_counter() - start
        steps = ", ".join(f"{k} {v:.1f} s" for k, v in result.timings.items())
        label = f"{result.study.network.n_nodes:,} nodes"
        table.record("scaling: whole study", label, "geoplan run_study", seconds, note=steps)
        points.append((result.study.network.n_nodes, seconds, seconds - result.timings["sites"]))
    return points


def real_cities(table: Table) -> None:
    """A whole study (walk, street blocks, buildings, OSM facilities) on each real extract."""
    from .readers import SHARED

    for path in sorted(SHARED.glob("*.osm.pbf")) if SHARED.is_dir() else []:
        config = parse_config(
            {
                "study": {"name": path.stem},
                "network": {"source": str(path)},
                "facilities": {
                    "types": {
                        "community_health_station": {
                            "tags": {"amenity": ["clinic", "doctors", "hospital"]}
                        },
                        "convenience_store": {},
                    }
                },
                "sites": [{"facility_type": "community_health_station", "p": 3}],
            }
        )
        start = time.perf_counter()
        result = geoplan.run_study(geoplan.Study.from_config(config))
        seconds = time.perf_counter() - start
        steps = ", ".join(f"{k} {v:.1f} s" for k, v in result.timings.items())
        label = f"{path.name}: {result.study.network.n_nodes:,} nodes"
        table.record("whole study, real city", label, "geoplan run_study", seconds, note=steps)


def run(quick: bool = False) -> Table:
    table = Table()
    if not quick:
        real_cities(table)
    engine_points = engine(table, (5_000, 20_000) if quick else ENGINE_SIZES)
    study_points = study(table, (3_000, 6_000) if quick else STUDY_SIZES)
    sizes = [p[0] for p in engine_points]
    for name, column in (("nearest", 1), ("reach", 2)):
        b = fitted_exponent(sizes, [p[column] for p in engine_points])
        label = f"{sizes[0]:,}-{sizes[-1]:,} nodes"
        table.note(f"scaling exponent: {name}", label, "geoplan", f"time ~ nodes^{b:.2f}")
    label = f"{study_points[0][0]:,}-{study_points[-1][0]:,} nodes"
    for name, column in (("whole study", 1), ("whole study without siting", 2)):
        b = fitted_exponent([p[0] for p in study_points], [p[column] for p in study_points])
        table.note(f"scaling exponent: {name}", label, "geoplan", f"time ~ nodes^{b:.2f}")
    return table
