"""Site selection on the network beside PySAL spopt (PuLP + CBC), on the same matrix.

Run ``python -m bench siting`` (full) or ``python -m bench siting --quick``.
"""

from __future__ import annotations

import time
import warnings

import geopandas as gpd
import numpy as np
import scipy.sparse as sp
import shapely

import geoplan
from geoplan import models
from geoplan.datasets import area_for_nodes, synthetic_city
from geoplan.siting import coverage_matrix

from ._harness import Table

SPACING_M = 70.0
MINUTES = 10.0


def instance(n_nodes: int, n_candidates: int, n_demand: int, seed: int = 0):
    """Candidates at random nodes; demand clustered around 60 centres (Gaussian, sd 600 m)."""
    city = synthetic_city(
        area_for_nodes(n_nodes, spacing_m=SPACING_M),
        spacing_m=SPACING_M,
        seed=seed,
        with_buildings=False,
    )
    net = city.network()
    rng = np.random.default_rng(seed)
    nodes = np.sort(rng.choice(net.n_nodes, n_candidates, replace=False))
    candidates = gpd.GeoSeries(shapely.points(net.x[nodes], net.y[nodes]), crs=net.crs)
    left, bottom, right, top = net.bounds
    centres = np.column_stack([rng.uniform(left, right, 60), rng.uniform(bottom, top, 60)])
    pick = rng.integers(0, 60, n_demand)
    xy = centres[pick] + rng.normal(0, 600, (n_demand, 2))
    xy[:, 0] = np.clip(xy[:, 0], left, right)
    xy[:, 1] = np.clip(xy[:, 1], bottom, top)
    demand = gpd.GeoDataFrame(
        {"population": rng.integers(1, 50, n_demand).astype(float)},
        geometry=shapely.points(xy[:, 0], xy[:, 1]),
        crs=net.crs,
    )
    return net, candidates, demand


def spopt_mclp(cost: sp.csr_matrix, w: np.ndarray, p: int, radius: float):
    import pulp
    from spopt.locate import MCLP

    dense = np.full(cost.shape, radius * 10.0)
    coo = cost.tocoo()
    dense[coo.row, coo.col] = coo.data
    model = MCLP.from_cost_matrix(dense.T, w, radius, p_facilities=p)
    model.solve(pulp.PULP_CBC_CMD(msg=False))
    return model


def run(quick: bool = False) -> Table:
    table = Table()
    n_nodes, n_cand, n_dem = (5_000, 100, 3_000) if quick else (200_000, 1_000, 100_000)
    net, candidates, demand = instance(n_nodes, n_cand, n_dem)
    label = f"{net.n_nodes // 1000}k nodes, {n_cand} candidates, {n_dem:,} demand"
    print(f"\n{label}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", geoplan.UnreachablePointsWarning)
        start = time.perf_counter()
        cost = coverage_matrix(net, candidates, demand, minutes=MINUTES)
    table.record(
        "coverage matrix",
        label,
        "geoplan coverage_matrix",
        time.perf_counter() - start,
        f"{cost.nnz:,} pairs within {MINUTES:g} min",
    )
    cover = cost.copy()
    cover.data[:] = 1.0
    w = demand["population"].to_numpy()
    for p in (5,) if quick else (10, 50):
        case = f"MCLP p={p}"
        exact = table.time(
            case,
            label,
            "geoplan exact (HiGHS)",
            lambda p=p: models.mclp(cover, w, p, solver="exact", time_limit=600),
            repeat=1,
        )
        greedy = table.time(
            case,
            label,
            "geoplan greedy (CELF)",
            lambda p=p: models.mclp(cover, w, p, solver="greedy"),
            repeat=1,
        )
        gap = 1 - greedy.objective / exact.objective if exact.objective else 0.0
        table.rows[-1].note = f"{gap:.2%} below the optimum"
        table.rows[-2].note = f"objective {exact.objective:,.0f}, gap {exact.gap:.1e}"
        model = table.time(
            case,
            label,
            "spopt MCLP (PuLP + CBC)",
            lambda p=p: spopt_mclp(cost, w, p, MINUTES),
            repeat=1,
        )
        import pulp

        spopt_objective = float(pulp.value(model.problem.objective))
        same = abs(spopt_objective - exact.objective) <= 1e-6 * max(1.0, exact.objective)
        table.rows[
            -1
        ].note = f"objective {spopt_objective:,.0f} ({'equal' if same else 'DIFFERENT'})"
    big = cost.copy()
    case = "p-median p=10"
    sol = table.time(
        case,
        label,
        "geoplan exact (HiGHS)",
        lambda: models.p_median(big, w, 10, solver="exact", time_limit=600),
        repeat=1,
    )
    table.rows[-1].note = f"mean time {sol.mean_time:.2f} min, gap {sol.gap:.1e}"
    sol = table.time(
        case,
        label,
        "geoplan greedy + swap",
        lambda: models.p_median(big, w, 10, solver="greedy"),
        repeat=1,
    )
    table.rows[-1].note = f"mean time {sol.mean_time:.2f} min"
    case = "LSCP (everyone coverable)"
    sol = table.time(
        case,
        label,
        "geoplan exact (HiGHS)",
        lambda: models.lscp(cover, w, solver="exact", time_limit=600),
        repeat=1,
    )
    table.rows[-1].note = f"{len(sol.chosen)} sites"
    sol = table.time(
        case,
        label,
        "geoplan greedy (CELF)",
        lambda: models.lscp(cover, w, solver="greedy"),
        repeat=1,
    )
    table.rows[-1].note = f"{len(sol.chosen)} sites"
    return table
