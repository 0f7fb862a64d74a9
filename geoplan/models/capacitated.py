"""The capacitated maximal covering model (:func:`capacitated_mclp`)."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from geoplan.models._arrays import (
    _TOL,
    BoolArray,
    FloatArray,
    IntArray,
    _empty_float,
    _empty_int,
    _sums,
)
from geoplan.models._covering import _Demand
from geoplan.models._explain import _explained, _idle_note
from geoplan.models._greedy import _newly
from geoplan.models._highs import _run_lp, _run_lp_opening
from geoplan.models._program import _Program, _site_flags
from geoplan.models._reduce import _Cover
from geoplan.models._solve import (
    SolverName,
    _count_row,
    _deadline,
    _fewer_note,
    _finish,
    _improve_greedy,
    _Outcome,
    _pair_columns,
)
from geoplan.models._validate import _as_pattern, _count, _fail, _flags, _vector, _weights
from geoplan.models.solution import Solution

#: The time the answer's flows (each site's share, then one flow per prefix of the sites
#: for the marginal gains) take, in flows of the greedy sites: the solver stops this many
#: of those flows' time before the deadline. Measured 5.5 (30 sites, 8,000 points).
_ANSWER_FLOWS = 8.0


def capacitated_mclp(
    cover: Any,
    w: ArrayLike,
    p: int,
    capacity: ArrayLike,
    *,
    covered0: ArrayLike | None = None,
    radius: float | None = None,
    solver: SolverName = "auto",
    time_limit: float | None = 60.0,
    mip_gap: float = 1e-6,
    reduce: bool = True,
) -> Solution:
    """Capacitated maximal covering: p new sites, each serving at most its capacity.

    Demand may be split between sites. Demand marked ``covered0`` counts as
    served by the existing facilities and is not offered to new sites; to model
    the existing facilities' own capacity, pass as ``w`` the weight they leave
    unserved (e.g. from :func:`geoplan.capacity_coverage`) instead.

    Parameters
    ----------
    cover
        Candidates x demand matrix: boolean or 0/1 (True/1 = within reach), or
        distances with ``radius`` (see :func:`mclp`).
    w
        Demand weight (people) per demand point.
    p
        Number of new sites (at most).
    capacity
        Weight each candidate can serve (shelters: effective area / per-capita
        area; clinics: service population); >= 0, ``inf`` = unlimited.
    covered0, radius, solver, time_limit, mip_gap, reduce
        As in :func:`mclp` (no dominance reduction here: a smaller site can
        still add capacity).

    Returns
    -------
    Solution
        ``objective`` = newly served weight (a maximum flow for ``chosen``);
        ``served`` = weight each site serves in one such allocation (not
        unique); ``chosen`` is ordered by ``served``.

    Notes
    -----
    Maximal covering with site capacities (capacitated covering models:
    Current & Storbeck, 1988), here in the form where a demand point's weight
    may be split between sites. With x_j = 1 when candidate j opens, k_j its
    capacity (at most the total weight) and f_ij the weight of point i that
    site j serves, over the pairs where j covers i::

        maximise    sum_{i,j} f_ij
        subject to  sum_j f_ij <= w_i            for every demand point i
                    sum_i f_ij <= k_j x_j        for every candidate j
                    f_ij <= min(w_i, k_j) x_j    for every covering pair
                    sum_j x_j <= p
                    x_j in {0, 1},  f_ij >= 0

    For given sites the objective is a maximum flow (an LP). The greedy
    solver opens the site with the largest min(capacity, reachable unserved
    weight) and fills it from the demand with the fewest covering candidates
    first; the bound that costs nothing is the smaller of the total weight
    and the sum of the p largest capacities.

    References
    ----------
    .. [1] Current, J. R. & Storbeck, J. E. (1988). Capacitated covering
       models. Environment and Planning B: Planning and Design 15(2),
       153-163.

    Examples
    --------
    >>> import numpy as np
    >>> cover = np.array([[1, 1, 0], [0, 1, 1]])
    >>> sol = capacitated_mclp(cover, [30.0, 30.0, 30.0], 1, [50.0, 40.0])
    >>> sol.chosen.tolist(), sol.objective
    ([0], 50.0)
    """
    start = time.perf_counter()
    pattern = _as_pattern(cover, "cover", radius)
    m, n = pattern.shape
    weight = _weights(w, n)
    done = _flags(covered0, n, "covered0")
    count = _count(p, m)
    cap = _capacities(capacity, m, float(weight.sum()))
    deadline = _deadline(start, solver=solver, time_limit=time_limit, mip_gap=mip_gap)
    demand = _Demand.of(pattern, weight, done)
    model = demand.model(cap, reduce=reduce, dominance=False)
    if reduce:
        useful = np.flatnonzero(model.cost > 0)
        model = _Cover(
            sp.csr_array(model.a[useful]), model.v, model.cand[useful], model.cost[useful]
        )
    outcome = _solve_capacitated(
        model, model.cost, count, solver=solver, deadline=deadline, mip_gap=mip_gap
    )
    outcome = _explained(outcome, _capacity_note(weight, done, demand.reachable, cap))
    order, gains, served, objective = _capacity_order(pattern, demand.gainable, cap, outcome.chosen)
    return _finish(
        "capacitated_mclp",
        start,
        outcome,
        objective=objective,
        maximise=True,
        order=order,
        marginal=gains,
        newly=_newly(pattern, demand.gainable, order),
        reduction=demand.reduction(model, outcome.nonzeros),
        served=served,
        uncoverable=demand.uncoverable,
        covered_weight=demand.existing + objective,
        total_weight=demand.total,
        notes=_fewer_note(count, order.size),
    )


def _capacity_note(
    weight: FloatArray, done: BoolArray, reachable: BoolArray, cap: FloatArray
) -> str:
    """Why no new site serves anybody: the demand (see ``_idle_note``) or no capacity."""
    note = _idle_note(weight, done, reachable, "serve")
    if note or (cap > 0).any():
        return note
    return (
        f"every candidate has capacity 0 ({cap.size} candidates): no site can serve anyone; "
        "pass each candidate's capacity (e.g. its service population)"
    )


def _capacities(capacity: ArrayLike, m: int, total: float) -> FloatArray:
    arr = _vector(capacity, m, "capacity", "candidate")
    if np.isnan(arr).any() or (arr < 0).any():
        msg = (
            "capacity must be >= 0 for every candidate (shelters: effective area / per-capita "
            "area; clinics: service population); fix the negative or NaN values"
        )
        raise _fail(msg)
    return np.minimum(arr, total)


def _flow(
    a: sp.csr_array, v: FloatArray, cap: FloatArray, sites: IntArray
) -> tuple[float, FloatArray]:
    """Most weight the ``sites`` can serve (demand split allowed) and each site's share.

    Solved by HiGHS's interior-point method (with crossover, so the shares are a
    basic optimal allocation): on the 14,500-pair flow of 30 sites over 8,000
    points it took 0.12 s where dual simplex took 1.5 s.
    """
    if sites.size == 0:
        return 0.0, _empty_float()
    prog, site_of = _flow_program(a, v, cap, sites, weighted_only=True)
    if site_of.size == 0:
        return 0.0, np.zeros(sites.size)
    run = _run_lp(prog, math.inf, method="ipm")
    if run.status != "optimal" or run.x is None:
        msg = f"the allocation LP ended {run.status}"
        raise RuntimeError(msg)
    served = _sums(site_of, run.x, sites.size)
    return float(served.sum()), served.astype(np.float64)


def _flow_rows(
    a: sp.csr_array, v: FloatArray, cap: FloatArray, sites: IntArray, *, weighted_only: bool
) -> tuple[sp.csr_array, FloatArray, IntArray]:
    """Build the flow LP's rows over the (site, point) pairs of ``sites``.

    One row per demand point (at most its weight), then one per site (at most
    its capacity); a column per pair (``weighted_only``: pairs with a weight).
    Returns the rows, their upper limits and each column's site.
    """
    sub = sp.csr_array(a[sites])
    site_of = np.repeat(np.arange(sites.size), np.diff(sub.indptr))
    point = sub.indices
    if weighted_only:
        keep = v[point] > 0
        site_of, point = site_of[keep], point[keep]
    users, row = np.unique(point, return_inverse=True)
    e = point.size
    ids = np.arange(e)
    rows = sp.vstack(
        [
            sp.csr_array((np.ones(e), (row, ids)), shape=(users.size, e)),
            sp.csr_array((np.ones(e), (site_of, ids)), shape=(sites.size, e)),
        ]
    ).tocsr()
    return rows, np.concatenate([v[users], cap[sites]]), site_of


def _greedy_capacitated(model: _Cover, cap: FloatArray, p: int) -> list[int]:
    """Largest min(capacity, reachable unserved weight) first; fill the least-served demand."""
    a = model.a
    m, n = a.shape
    residual = model.v.copy()
    options = np.bincount(a.indices, minlength=n)
    taken = np.zeros(m, dtype=bool)
    chosen: list[int] = []
    scale = max(1.0, float(model.v.sum()))
    for _ in range(p):
        score = np.minimum(cap, np.asarray(a @ residual, dtype=np.float64))
        score[taken] = -1.0
        j = int(np.argmax(score))
        if score[j] <= _TOL * scale:
            break
        chosen.append(j)
        taken[j] = True
        idx = a.indices[a.indptr[j] : a.indptr[j + 1]]
        idx = idx[np.lexsort((idx, options[idx]))]
        amounts = residual[idx]
        before = np.cumsum(amounts) - amounts
        residual[idx] -= np.clip(cap[j] - before, 0.0, amounts)
    return chosen


def _capacitated_program(model: _Cover, cap: FloatArray, p: int) -> _Program:
    """Build: max sum f s.t. demand and capacity limits, f_e <= min(v_i, cap_j) x_j, sum x <= p."""
    m = model.a.shape[0]
    e = model.a.nnz
    j_of, i_of, demand = _pair_columns(model.a)
    ids = np.arange(e)
    top = np.minimum(model.v[i_of], cap[j_of])
    site = sp.csr_array(
        (
            np.concatenate([np.ones(e), -cap]),
            (np.concatenate([j_of, np.arange(m)]), np.concatenate([m + ids, np.arange(m)])),
        ),
        shape=(m, m + e),
    )
    tight = sp.csr_array(
        (np.concatenate([np.ones(e), -top]), (np.tile(ids, 2), np.concatenate([m + ids, j_of]))),
        shape=(e, m + e),
    )
    upper = np.concatenate([model.v, np.zeros(m), np.zeros(e), [float(p)]])
    return _Program(
        c=np.concatenate([np.zeros(m), -np.ones(e)]),
        integrality=_site_flags(m, m + e),
        a=sp.vstack([demand, site, tight, _count_row(m, m + e)]).tocsr(),
        lo=np.full(upper.shape, -np.inf),
        hi=upper,
        lb=np.zeros(m + e),
        ub=np.concatenate([np.ones(m), top]),
        sign=-1.0,
    )


def _solve_capacitated(
    model: _Cover, cap: FloatArray, p: int, *, solver: str, deadline: float, mip_gap: float
) -> _Outcome:
    if model.empty:
        return _Outcome.trivial(0.0, "nothing left to serve")

    def served(sites: list[int]) -> float:
        return _flow(model.a, model.v, cap, np.asarray(sites, dtype=np.int64))[0]

    greedy = _greedy_capacitated(model, cap, p)
    started = time.perf_counter()
    value = served(greedy)
    answer_seconds = _ANSWER_FLOWS * (time.perf_counter() - started)
    return _improve_greedy(
        _capacitated_program(model, cap, p),
        greedy,
        value=value,
        cheap=min(float(model.v.sum()), float(np.sort(cap)[::-1][:p].sum())),
        objective=served,
        maximise=True,
        cand=model.cand,
        solver=solver,
        deadline=deadline - answer_seconds,
        mip_gap=mip_gap,
    )


def _capacity_order(
    a: sp.csr_array, v: FloatArray, cap: FloatArray, chosen: IntArray
) -> tuple[IntArray, FloatArray, FloatArray, float]:
    """Sites by weight served (most first); marginal gains from prefix allocations."""
    total, served = _flow(a, v, cap, chosen)
    rank = np.lexsort((chosen, -served)) if chosen.size else _empty_int()
    order = chosen[rank]
    prefix = [0.0, *_prefix_flows(a, v, cap, order)[:-1], total] if order.size else [0.0]
    return order, np.diff(np.asarray(prefix)), served[rank], total


def _prefix_flows(a: sp.csr_array, v: FloatArray, cap: FloatArray, order: IntArray) -> list[float]:
    """Most weight served by each prefix order[:k], k = 1..len(order), as one warm-started LP.

    The flow LP of all the sites starts with every site's capacity row closed;
    the rows are then opened in ``order``, each solve starting from the one
    before (see :func:`~geoplan.models._highs._run_lp_opening`).
    """
    prog, _ = _flow_program(a, v, cap, order, weighted_only=False)
    site_rows = list(range(prog.a.shape[0] - order.size, prog.a.shape[0]))  # the last rows
    return [max(0.0, x) for x in _run_lp_opening(prog, site_rows)[1:]]


def _flow_program(
    a: sp.csr_array, v: FloatArray, cap: FloatArray, sites: IntArray, *, weighted_only: bool
) -> tuple[_Program, IntArray]:
    """Build the flow LP of ``sites`` (max sum f; demand rows, then capacity rows); column sites."""
    rows, upper, site_of = _flow_rows(a, v, cap, sites, weighted_only=weighted_only)
    e = site_of.size
    prog = _Program(
        c=-np.ones(e),
        integrality=np.zeros(e),
        a=rows,
        lo=np.full(upper.shape, -np.inf),
        hi=upper,
        lb=np.zeros(e),
        ub=np.full(e, np.inf),
        sign=-1.0,
    )
    return prog, site_of
