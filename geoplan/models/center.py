"""The p-center model (:func:`p_center`): minimum worst travel time."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from geoplan.models._arrays import _TOL, BoolArray, FloatArray, IntArray, _empty_int
from geoplan.models._covering import _lscp_program
from geoplan.models._explain import _nobody_counted
from geoplan.models._greedy import _celf, _cover_value, _prune, _Savings
from geoplan.models._program import _Program
from geoplan.models._reduce import _Cover, _original_positions, _reduce_cover
from geoplan.models._solve import (
    SolverName,
    _deadline,
    _finish,
    _Outcome,
    _picked,
    _solve_lp,
    _solve_milp,
    _use_exact,
)
from geoplan.models._travel import _times, _Travel
from geoplan.models.solution import Reduction, Solution


def p_center(
    cost: Any,
    w: ArrayLike,
    p: int,
    *,
    cost0: ArrayLike | None = None,
    limit: float | None = None,
    solver: SolverName = "auto",
    time_limit: float | None = 60.0,
    mip_gap: float = 1e-6,
    reduce: bool = True,
) -> Solution:
    """p-center: open up to p new sites to minimise the worst travel time.

    The worst is taken over demand points with ``w > 0``; times are as in
    :func:`p_median` (nearest of the existing facility and the new sites; a
    point no facility reaches counts at the search limit). Points that no
    candidate and no existing facility reaches cannot be helped by any choice;
    they are left out of the worst time and listed in ``uncoverable``.

    The exact solver is a binary search over the possible objective values
    (the distinct times), each step a set-covering question ("can <= p sites
    bring every point within this time?") answered by greedy (a yes),
    the LP relaxation (a proven no) or HiGHS. The greedy solver answers with
    greedy and LP only and reports the smallest time the LP cannot rule out as
    its bound. Sites beyond those needed for the optimal worst time are not
    proposed, so ``chosen`` can be shorter than ``p``.

    Parameters
    ----------
    cost, w, p, cost0, limit
        As in :func:`p_median`.
    solver, time_limit, mip_gap, reduce
        As in :func:`mclp`; ``"auto"`` solves exactly when there are at most
        :data:`AUTO_EXACT_NONZEROS` improving pairs.

    Returns
    -------
    Solution
        ``objective`` = worst travel time; ``marginal_gain`` = drop in the worst
        time as the sites are added in order; ``mean_time`` and ``served`` as in
        :func:`p_median`.

    Notes
    -----
    The (vertex) p-center problem (Hakimi, 1965; Daskin, 2013). With t_i(S)
    as in :func:`p_median` and I the demand that counts (``w > 0`` and
    reached by some existing facility or candidate)::

        minimise    max_{i in I} t_i(S)    over sets S of at most p candidates

    The optimum is one of the distinct times, and "can at most p sites bring
    every point of I within time r?" is a set-covering question (Minieka,
    1970)::

        sum_{j : c_ij <= r} x_j >= 1    for every i in I with base_i > r
        sum_j x_j <= p,  x_j in {0, 1}

    which the binary search above asks of one time a step.

    References
    ----------
    .. [1] Hakimi, S. L. (1965). Optimum distribution of switching centers in
       a communication network and some related graph theoretic problems.
       Operations Research 13(3), 462-475.
    .. [2] Minieka, E. (1970). The m-center problem. SIAM Review 12(1),
       138-139.
    .. [3] Daskin, M. S. (2013). Network and Discrete Location: Models,
       Algorithms, and Applications, 2nd ed. Wiley.

    Examples
    --------
    >>> import numpy as np
    >>> cost = np.array([[1.0, 4.0, 9.0], [8.0, 2.0, 3.0]])
    >>> p_center(cost, [1.0, 1.0, 1.0], 1).objective
    8.0
    """
    start = time.perf_counter()
    t = _Travel.check(cost, w, p, cost0=cost0, limit=limit)
    deadline = _deadline(start, solver=solver, time_limit=time_limit, mip_gap=mip_gap)
    m, n = t.costs.shape
    part = (t.weight > 0) & t.reachable
    data = _center_data(t.costs, t.base, part)
    outcome = _solve_center(
        data, t.p, solver=solver, deadline=deadline, mip_gap=mip_gap, reduce=reduce
    )
    if outcome.solver == "trivial":
        outcome = _nobody_counted(t)
    order, gains = _center_order(t.costs, t.base, part, t.weight, outcome.chosen)
    times = t.times(order)
    served, newly = t.allocation(order)
    return _finish(
        "p_center",
        start,
        outcome,
        objective=float(times[part].max(initial=0.0)),
        maximise=False,
        order=order,
        marginal=gains,
        newly=newly,
        reduction=Reduction(n, int(part.sum()), m, m, outcome.nonzeros),
        served=served,
        uncoverable=t.uncoverable,
        mean_time=t.mean_time(times),
        total_weight=t.total,
    )


@dataclass(frozen=True)
class _Center:
    """p-center data: improving pairs of the demand that counts, and the candidate radii."""

    rows: IntArray
    cols: IntArray
    vals: FloatArray
    base: FloatArray
    part: BoolArray
    radii: FloatArray
    shape: tuple[int, int]


def _center_data(costs: sp.csr_array, base: FloatArray, part: BoolArray) -> _Center:
    m, n = costs.shape
    rows_major = sp.csr_array(costs.T)
    row = np.repeat(np.arange(n), np.diff(rows_major.indptr))
    keep = part[row] & (rows_major.data < base[row])
    rows, cols, vals = row[keep], rows_major.indices[keep].astype(np.int64), rows_major.data[keep]
    best = base.copy()
    np.minimum.at(best, rows, vals)
    floor = float(best[part].max(initial=0.0))
    radii = np.unique(np.concatenate([base[part], vals]))
    return _Center(
        rows=rows.astype(np.int64),
        cols=cols,
        vals=vals,
        base=base,
        part=part,
        radii=radii[radii >= floor],
        shape=(m, n),
    )


def _center_cover(data: _Center, radius: float, *, reduce: bool) -> _Cover:
    """Build the set cover "every counted point farther than radius gets a site within it"."""
    m, n = data.shape
    needed = data.part & (data.base > radius)
    sel = (data.vals <= radius) & needed[data.rows]
    rows = sp.csr_array((np.ones(int(sel.sum())), (data.rows[sel], data.cols[sel])), shape=(n, m))
    return _reduce_cover(rows, np.ones(n), needed, np.ones(m), reduce=reduce)


def _covering_program(model: _Cover, p: int) -> _Program:
    full = _lscp_program(model, float(model.v.sum()))
    m = model.a.shape[0]
    return _Program(
        c=full.c,
        integrality=full.integrality,
        a=sp.vstack([full.a, sp.csr_array(np.ones((1, m)))]).tocsr(),
        lo=np.concatenate([full.lo, [-np.inf]]),
        hi=np.concatenate([full.hi, [float(p)]]),
        lb=full.lb,
        ub=full.ub,
    )


def _cover_check(
    model: _Cover, p: int, *, exact: bool, deadline: float, mip_gap: float
) -> tuple[bool | None, list[int]]:
    """Can <= p sites cover every row? (True, sites), (False, []) proven, or (None, [])."""
    if model.empty:
        return True, []
    total = float(model.v.sum())
    greedy = _prune(model, _celf(_Savings(model.a, model.v), limit=None, need=total), total)
    if len(greedy) <= p:
        return True, greedy
    prog = _covering_program(model, p)
    relaxed = _solve_lp(prog, deadline)
    if relaxed is not None and relaxed > p + 1e-6:
        return False, []
    return _milp_cover_check(model, prog, deadline, mip_gap) if exact else (None, [])


def _milp_cover_check(
    model: _Cover, prog: _Program, deadline: float, mip_gap: float
) -> tuple[bool | None, list[int]]:
    run = _solve_milp(prog, deadline, mip_gap)
    if run.status == "infeasible":
        return False, []
    sites = _picked(run.x, model.a.shape[0])
    total = float(model.v.sum())
    if run.x is not None and _cover_value(model, sites) >= total - _TOL * total:
        return True, sites
    return None, []


def _solve_center(
    data: _Center, p: int, *, solver: str, deadline: float, mip_gap: float, reduce: bool
) -> _Outcome:
    radii = data.radii
    if radii.size == 0:
        return _Outcome.trivial(0.0, "no demand to serve")
    exact = _use_exact(solver, int(data.vals.size))
    lo, hi, proven = 0, radii.size - 1, 0
    best = _empty_int()
    while lo < hi and time.perf_counter() < deadline:
        mid = (lo + hi) // 2
        model = _center_cover(data, float(radii[mid]), reduce=reduce)
        ok, sites = _cover_check(model, p, exact=exact, deadline=deadline, mip_gap=mip_gap)
        if ok:
            hi, best = mid, _original_positions(model.cand, sites)
        else:
            lo = mid + 1
            proven = mid + 1 if ok is False else proven
    if not exact:
        proven = _center_lp_bound(data, p, proven, hi, deadline=deadline, reduce=reduce)
    bound = float(radii[min(proven, hi)])
    status = "optimal" if proven >= hi else ("time limit" if exact else "heuristic")
    return _Outcome(
        best, bound, "highs" if exact else "greedy", status, nonzeros=int(data.vals.size)
    )


def _center_lp_bound(
    data: _Center, p: int, lo: int, hi: int, *, deadline: float, reduce: bool
) -> int:
    """Smallest radius index whose LP relaxation admits <= p sites (a proven lower bound)."""
    while lo < hi and time.perf_counter() < deadline:
        mid = (lo + hi) // 2
        model = _center_cover(data, float(data.radii[mid]), reduce=reduce)
        relaxed = 0.0 if model.empty else _solve_lp(_covering_program(model, p), deadline)
        if relaxed is not None and relaxed > p + 1e-6:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _center_order(
    costs: sp.csr_array, base: FloatArray, part: BoolArray, weight: FloatArray, chosen: IntArray
) -> tuple[IntArray, FloatArray]:
    """Order by the drop in worst time, then in total weighted time, then position."""
    times = base.copy()
    worst = float(times[part].max(initial=0.0))
    left = sorted(int(j) for j in chosen)
    order: list[int] = []
    gains: list[float] = []
    while left:
        scores = []
        for j in left:
            trial = _times(costs, times, np.array([j]))
            scores.append((float(trial[part].max(initial=0.0)), float(weight @ trial), j))
        k = min(range(len(left)), key=lambda q: scores[q])
        order.append(left.pop(k))
        times = _times(costs, times, np.array([order[-1]]))
        gains.append(worst - scores[k][0])
        worst = scores[k][0]
    return np.asarray(order, dtype=np.int64), np.asarray(gains, dtype=np.float64)
