"""The p-median model (:func:`p_median`): minimum total weighted travel time."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from geoplan.models._arrays import BoolArray, FloatArray, IntArray
from geoplan.models._explain import _explained, _travel_note
from geoplan.models._facility import _choose
from geoplan.models._greedy import (
    _order_by_gain,
    _Savings,
)
from geoplan.models._reduce import _merge, _original_positions
from geoplan.models._solve import (
    SolverName,
    _deadline,
    _fewer_note,
    _finish,
    _Outcome,
)
from geoplan.models._travel import _Travel
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

    Notes
    -----
    The p-median problem (Hakimi, 1964; ReVelle & Swain, 1970). With
    base_i the time to point i's existing facility (the search limit when
    none is reached) and t_i(S) = min(base_i, min_{j in S} c_ij)::

        minimise    sum_i w_i t_i(S)    over sets S of at most p candidates

    It is solved in its savings form, over the pairs that shorten a trip
    (s_ij = base_i - c_ij > 0), with x_j = 1 when candidate j opens and
    z_ij = 1 when point i is served by site j::

        minimise    sum_i w_i base_i - sum_{i,j} w_i s_ij z_ij
        subject to  sum_j z_ij <= 1    for every demand point i
                    z_ij <= x_j        for every improving pair
                    sum_j x_j <= p
                    x_j in {0, 1},  0 <= z_ij <= 1

    The greedy solver is lazy greedy on the savings followed by a swap
    search (Teitz & Bart, 1968).

    References
    ----------
    .. [1] Hakimi, S. L. (1964). Optimum locations of switching centers and the
       absolute centers and medians of a graph. Operations Research 12(3),
       450-459.
    .. [2] ReVelle, C. S. & Swain, R. W. (1970). Central facilities location.
       Geographical Analysis 2(1), 30-42.
    .. [3] Teitz, M. B. & Bart, P. (1968). Heuristic methods for estimating the
       generalized vertex median of a weighted graph. Operations Research
       16(5), 955-961.

    Examples
    --------
    >>> import numpy as np
    >>> cost = np.array([[1.0, 4.0, np.inf], [np.inf, 2.0, 1.0]])
    >>> sol = p_median(cost, [1.0, 1.0, 2.0], 1, limit=10.0)
    >>> sol.chosen.tolist(), sol.objective, sol.mean_time
    ([1], 14.0, 3.5)
    """
    start = time.perf_counter()
    t = _Travel.check(cost, w, p, cost0=cost0, limit=limit)
    deadline = _deadline(start, solver=solver, time_limit=time_limit, mip_gap=mip_gap)
    m, n = t.costs.shape
    savings = _savings_rows(t.costs, t.base, t.weight > 0)
    model = _reduce_median(savings, t.weight, reduce=reduce)
    outcome = _solve_median(
        model, t.p, float(t.weight @ t.base), solver=solver, deadline=deadline, mip_gap=mip_gap
    )
    outcome = _explained(outcome, _travel_note(t))
    f = _Savings(sp.csr_array(savings.T), t.weight)
    order, gains = _order_by_gain(outcome.chosen, lambda left: [f.gain(j) for j in left], f.add)
    times = t.times(order)
    objective = float(t.weight @ times)
    served, newly = t.allocation(order)
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
        uncoverable=t.uncoverable,
        mean_time=t.mean_time(times),
        total_weight=t.total,
        notes=_fewer_note(t.p, order.size),
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


def _solve_median(
    model: _Median, p: int, base: float, *, solver: str, deadline: float, mip_gap: float
) -> _Outcome:
    """Maximise the savings f(S) (:mod:`geoplan.models._facility`); objective = base - f(S)."""
    if model.empty:
        return _Outcome.trivial(base, "no site improves any time")
    choice = _choose(
        model.s, model.v, p, solver=solver, deadline=deadline, mip_gap=mip_gap, base=base
    )
    return _Outcome(
        _original_positions(model.cand, choice.sites),
        base - choice.upper,
        choice.solver,
        choice.status,
        nonzeros=choice.nonzeros,
    )
