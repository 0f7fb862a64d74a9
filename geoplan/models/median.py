"""The p-median model (:func:`p_median`): minimum total weighted travel time."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from geoplan.models._arrays import _TOL, BoolArray, FloatArray, IntArray, _empty_int
from geoplan.models._greedy import _celf, _fl_value, _online_bound, _Savings, _swap
from geoplan.models._reduce import _merge, _original_positions
from geoplan.models._solve import (
    SolverName,
    _deadline,
    _decide,
    _exact_or_bound,
    _fewer_note,
    _finish,
    _Outcome,
    _Program,
)
from geoplan.models._travel import _allocation, _limit, _times
from geoplan.models._validate import _as_cost, _count, _solver, _times0, _weights
from geoplan.models.solution import Reduction, Solution


def p_median(
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
    """p-median: open p new sites to minimise total weighted travel time.

    Each demand point travels to the nearest of its existing facility
    (``cost0``) and the new sites it reaches. A point reached by neither counts
    with a penalty equal to the search limit ``limit`` -- the same time as a
    point reached at the limit, so unreached demand is never cheaper than
    reached demand.

    Parameters
    ----------
    cost
        Candidates x demand travel times; stored entries are the pairs reached
        within the search limit (absent = unreachable; ``inf`` entries are
        dropped; a dense array is read with ``inf`` = unreachable).
    w
        Demand weights (>= 0).
    p
        Number of new sites (at most; sites that shorten no trip are not
        proposed).
    cost0
        Current travel time to the nearest existing facility (``inf`` = none).
    limit
        The search limit used to build ``cost`` (the penalty for unreached
        demand). Default: the largest stored time in ``cost`` or finite
        ``cost0`` -- a lower bound on the real limit, so pass it when known.
    solver, time_limit, mip_gap, reduce
        As in :func:`mclp` (reduction here: zero-weight demand, demand no
        candidate improves and candidates that improve nothing are left out;
        demand points with identical savings rows are merged).

    Returns
    -------
    Solution
        ``objective`` = total weighted time; ``mean_time`` = objective / total
        weight; ``served`` = weight whose nearest facility is each new site.

    Examples
    --------
    >>> import numpy as np
    >>> cost = np.array([[1.0, 4.0, np.inf], [np.inf, 2.0, 1.0]])
    >>> sol = p_median(cost, [1.0, 1.0, 2.0], 1, limit=10.0)
    >>> sol.chosen.tolist(), sol.objective, sol.mean_time
    ([1], 14.0, 3.5)
    """
    start = time.perf_counter()
    costs = _as_cost(cost, "cost")
    m, n = costs.shape
    weight = _weights(w, n)
    times0 = _times0(cost0, n)
    count = _count(p, m)
    penalty = _limit(costs, times0, limit)
    deadline = _deadline(start, time_limit)
    _solver(solver, mip_gap)
    base = np.where(np.isfinite(times0), times0, penalty)
    model = _reduce_median(_savings_rows(costs, base, weight > 0), weight, reduce=reduce)
    outcome = _solve_median(
        model, count, float(weight @ base), solver=solver, deadline=deadline, mip_gap=mip_gap
    )
    full = sp.csr_array(_savings_rows(costs, base, weight > 0).T)
    order, gains = _order(full, weight, outcome.chosen)
    times = _times(costs, base, order)
    objective = float(weight @ times)
    served, newly = _allocation(costs, base, weight, order, np.isfinite(times0))
    reachable = np.isfinite(times0) | (np.diff(sp.csr_array(costs.T).indptr) > 0)
    return _finish(
        "p_median",
        start,
        outcome,
        objective=objective,
        maximise=False,
        order=order,
        marginal=gains,
        newly=newly,
        reduction=Reduction(n, model.s.shape[1], m, model.s.shape[0], outcome.nonzeros),
        served=served,
        uncoverable=np.flatnonzero((weight > 0) & ~reachable).astype(np.int64),
        mean_time=objective / float(weight.sum()) if weight.sum() > 0 else math.nan,
        total_weight=float(weight.sum()),
        notes=_fewer_note(count, order.size),
    )


def _savings_rows(costs: sp.csr_array, base: FloatArray, active: BoolArray) -> sp.csr_array:
    """Demand-major savings ``base_i - c_ji`` on the pairs that improve on ``base``."""
    n, m = costs.shape[1], costs.shape[0]
    rows_major = sp.csr_array(costs.T)
    rows_major.sort_indices()
    row = np.repeat(np.arange(n), np.diff(rows_major.indptr))
    saving = base[row] - rows_major.data
    keep = (saving > 0) & active[row]
    out = sp.csr_array((saving[keep], (row[keep], rows_major.indices[keep])), shape=(n, m))
    out.sort_indices()
    return out


@dataclass(frozen=True)
class _Median:
    """A p-median model after reduction: candidates x merged rows of savings."""

    s: sp.csr_array
    v: FloatArray
    cand: IntArray

    @property
    def empty(self) -> bool:
        return bool(self.s.shape[0] == 0 or self.s.shape[1] == 0)


def _reduce_median(saving_rows: sp.csr_array, weight: FloatArray, *, reduce: bool) -> _Median:
    useful = np.flatnonzero((np.diff(saving_rows.indptr) > 0) & (weight > 0))
    rows = saving_rows[useful]
    v = weight[useful]
    if reduce:
        rows, v, _ = _merge(rows, v, None)
    s = sp.csr_array(rows.T)
    keep = np.diff(s.indptr) > 0 if reduce else np.ones(s.shape[0], dtype=bool)
    cand = np.flatnonzero(keep).astype(np.int64)
    return _Median(s=sp.csr_array(s[cand]), v=v, cand=cand)


def _median_program(model: _Median, p: int, base: float) -> _Program:
    """Build: min base - sum v_i s_e z_e  s.t. sum_{e in i} z_e <= 1, z_e <= x_j, sum x <= p."""
    m, n = model.s.shape
    e = model.s.nnz
    j_of = np.repeat(np.arange(m), np.diff(model.s.indptr))
    i_of = model.s.indices
    ids = np.arange(e)
    demand = sp.csr_array((np.ones(e), (i_of, m + ids)), shape=(n, m + e))
    link = sp.csr_array(
        (
            np.concatenate([-np.ones(e), np.ones(e)]),
            (np.tile(ids, 2), np.concatenate([j_of, m + ids])),
        ),
        shape=(e, m + e),
    )
    count = sp.csr_array(np.concatenate([np.ones(m), np.zeros(e)])[None, :])
    rows = sp.vstack([demand, link, count]).tocsr()
    upper = np.concatenate([np.ones(n), np.zeros(e), [float(p)]])
    return _Program(
        c=np.concatenate([np.zeros(m), -model.v[i_of] * model.s.data]),
        integrality=np.concatenate([np.ones(m), np.zeros(e)]),
        a=rows,
        lo=np.full(upper.shape, -np.inf),
        hi=upper,
        lb=np.zeros(m + e),
        ub=np.ones(m + e),
        offset=base,
    )


def _solve_median(
    model: _Median, p: int, base: float, *, solver: str, deadline: float, mip_gap: float
) -> _Outcome:
    if model.empty:
        return _Outcome(_empty_int(), base, "trivial", "optimal", ("no site improves any time",))
    f = _Savings(model.s, model.v)
    greedy = _swap(model.s, model.v, _celf(f, limit=p), deadline)
    value = base - _fl_value(model.s, model.v, greedy)
    cheap = base - _online_bound(model.s, model.v, greedy, p=p)
    prog = _median_program(model, p, base)
    if cheap >= value - _TOL * max(1.0, abs(value)):
        return _Outcome(
            _original_positions(model.cand, greedy),
            cheap,
            "greedy",
            "optimal",
            nonzeros=prog.nonzeros,
        )
    exact = _exact_or_bound(
        prog,
        solver=solver,
        deadline=deadline,
        mip_gap=mip_gap,
        n_candidates=model.s.shape[0],
        value=lambda c: base - _fl_value(model.s, model.v, c),
    )
    chosen, bound, name, status = _decide(
        greedy=greedy,
        greedy_value=value,
        run=exact.run,
        milp_value=exact.value,
        milp_chosen=exact.chosen,
        maximise=False,
        heuristic_bound=cheap if exact.lp_bound is None else max(cheap, exact.lp_bound),
    )
    if exact.run is not None:
        bound = max(bound, cheap)
    return _Outcome(
        _original_positions(model.cand, chosen), bound, name, status, nonzeros=prog.nonzeros
    )


def _order(s: sp.csr_array, v: FloatArray, chosen: IntArray) -> tuple[IntArray, FloatArray]:
    """Order sites by marginal value of f (largest first, ties to the lowest position)."""
    f = _Savings(s, v)
    left = sorted(int(j) for j in chosen)
    order: list[int] = []
    gains: list[float] = []
    while left:
        values = [f.gain(j) for j in left]
        k = int(np.argmax(values))
        order.append(left.pop(k))
        gains.append(values[k])
        f.add(order[-1])
    return np.asarray(order, dtype=np.int64), np.asarray(gains, dtype=np.float64)
