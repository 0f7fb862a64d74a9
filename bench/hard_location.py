"""Hard location instances: each solver path's objective, proven gap and time.

The clustered 20,000 demand x 1,500 candidate MCLP (about 40 candidates per
demand point) at p = 20, 50 and 100, and the dense 5,000 x 500 p-median, both
from :mod:`geoplan.datasets._location` (seeded), and the capacitated MCLP of the
time-limit tests. Every solver path runs with the
same time limit; the gap is the one geoplan reports, |bound - objective| /
objective, with the bound proven (Lagrangian, LP or HiGHS's).

Run ``python -m bench hard-location`` (full) or ``python -m bench hard-location --quick``.
"""

from __future__ import annotations

import time

from geoplan import models
from geoplan.datasets._location import clustered_coverage, dense_median

from ._harness import Table

#: The time limit every solver path gets, seconds (the issue's goal: 1 % within 30 s).
TIME_LIMIT = 30.0

SOLVERS = ("greedy", "auto", "exact")


def _solve(table: Table, case: str, data: str, solver: str, call) -> None:
    """Run one solver path once; record its time, objective, gap and status."""
    start = time.perf_counter()
    sol = call(solver)
    seconds = time.perf_counter() - start
    note = (
        f"objective {sol.objective:,.0f}, bound {sol.bound:,.0f}, gap {sol.gap:.2%}, "
        f"{sol.status} ({sol.solver})"
    )
    table.record(case, data, f"geoplan {solver}", seconds, note)


def _capacitated(table: Table, quick: bool) -> None:
    """The capacitated MCLP of ``tests/test_models_hard.py`` (p = 30), under 2 s and 30 s.

    Each of the 30 sites can serve a thirtieth of the weight; the time includes
    the answer's flows (each site's share and the marginal gains).
    """
    n_dem, n_cand, p = (2_000, 200, 10) if quick else (8_000, 800, 30)
    inst = clustered_coverage(n_dem, n_cand, per_point=40.0, seed=3)
    cap = [float(inst.w.sum()) / p] * n_cand
    for limit in (2.0,) if quick else (2.0, TIME_LIMIT):
        data = f"{n_dem:,} x {n_cand:,}, 40 per point, capacity 1/{p}, limit {limit:g} s"
        print(f"\ncapacitated MCLP {data}")
        for solver in SOLVERS:
            _solve(
                table,
                f"capacitated MCLP p={p}",
                data,
                solver,
                lambda s, limit=limit: models.capacitated_mclp(
                    inst.cover, inst.w, p, cap, solver=s, time_limit=limit
                ),
            )


def run(quick: bool = False) -> Table:
    table = Table()
    limit = 5.0 if quick else TIME_LIMIT
    sizes = (2_000, 150, 10.0) if quick else (20_000, 1_500, 40.0)
    inst = clustered_coverage(sizes[0], sizes[1], per_point=sizes[2], seed=0)
    data = f"{sizes[0]:,} x {sizes[1]:,}, {inst.per_point:.0f} per point, limit {limit:g} s"
    print(f"\nMCLP {data}")
    for p in (5,) if quick else (20, 50, 100):
        for solver in SOLVERS:
            _solve(
                table,
                f"MCLP p={p}",
                data,
                solver,
                lambda s, p=p: models.mclp(inst.cover, inst.w, p, solver=s, time_limit=limit),
            )
    _capacitated(table, quick)
    n_dem, n_cand = (500, 60) if quick else (5_000, 500)
    med = dense_median(n_dem, n_cand, seed=0)
    data = f"dense {n_dem:,} x {n_cand:,}, limit {limit:g} s"
    print(f"\np-median {data}")
    for p in (5,) if quick else (20, 50):
        for solver in SOLVERS:
            _solve(
                table,
                f"p-median p={p}",
                data,
                solver,
                lambda s, p=p: models.p_median(med.cost, med.w, p, solver=s, time_limit=limit),
            )
    return table
