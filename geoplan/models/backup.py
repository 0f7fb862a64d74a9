"""Backup coverage (:func:`lscp_b`): the fewest sites that cover everyone, then the most twice."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from geoplan.models._arrays import _TOL, BoolArray, FloatArray, IntArray
from geoplan.models._covering import _Demand
from geoplan.models._explain import _infeasible, _out_of_reach
from geoplan.models._program import _Program, _site_flags
from geoplan.models._reduce import _merge
from geoplan.models._solve import (
    SolverName,
    _count_row,
    _deadline,
    _finish,
    _improve_greedy,
    _Outcome,
)
from geoplan.models._validate import _as_pattern, _fail, _sites, _weights
from geoplan.models.coverage import lscp
from geoplan.models.solution import Reduction, Solution

#: How backed-up demand is counted: see :func:`lscp_b`.
Backup = Literal["plain", "spopt"]


def lscp_b(
    cover: Any,
    w: ArrayLike | None = None,
    *,
    forced: ArrayLike | None = None,
    backup: Backup = "plain",
    radius: float | None = None,
    solver: SolverName = "auto",
    time_limit: float | None = 60.0,
    mip_gap: float = 1e-6,
    reduce: bool = True,
) -> Solution:
    """Backup covering: the fewest sites covering all demand, then the most demand covered twice.

    Two stages. First the location set covering problem: the fewest sites
    (``forced`` ones included) that put every coverable demand point within
    range of one open site. Then, with that many sites and every point still
    covered, the sites that maximise the *backed-up* weight: demand with at
    least two open sites in range, so that it is still covered when its
    nearest site is busy or closed.

    Demand with positive weight that no candidate covers cannot be covered at
    all: it is left out of both stages, listed in ``uncoverable`` and named in
    a note. When no demand can be covered the status is ``"infeasible"``.

    Parameters
    ----------
    cover
        Candidates x demand matrix: boolean or 0/1, or distances with
        ``radius`` (see :func:`mclp`).
    w
        Demand weights (>= 0); None counts every demand point once (as spopt
        does). Points of weight 0 need no cover and count for nothing.
    forced
        Candidates that must be open -- existing facilities given as rows of
        ``cover``, or sites already decided -- as positions or a True/False
        mask. They count among the sites (as spopt's
        ``predefined_facilities_arr``) and provide cover and backup.
    backup
        ``"plain"`` (default): backed up = two or more open sites in range.
        ``"spopt"``: spopt's ``LSCPB`` count, which also counts as backed up
        the covered demand that has only *one* candidate in range (its
        constraint ``sum_j a_ij y_j >= 1 + U_i`` is written only for demand
        with two or more candidates in range, so ``U_i`` is free -- and 1 --
        for the rest). The sites chosen are the same either way; only the
        reported weight differs, by the weight of the demand with one
        candidate in range.
    radius, solver, time_limit, mip_gap, reduce
        As in :func:`mclp` (``time_limit`` covers both stages; reduction merges
        demand points with the same candidates in range and drops candidates
        that cover nothing, never a forced one).

    Returns
    -------
    Solution
        ``objective`` = backed-up weight (``objective / total_weight`` is
        spopt's ``backup_perc`` / 100 with ``backup="spopt"`` and ``w=None``);
        ``bound`` = an upper bound on it with that many sites; ``chosen`` =
        every open site, forced ones included; ``covered_weight`` = weight
        with at least one open site in range; ``marginal_gain`` and
        ``newly_covered`` = newly covered weight per site. ``status`` is
        ``"optimal"`` only when both stages are proven (a note gives the
        number of sites and whether it is proven the fewest).

    Notes
    -----
    Stage 1 is :func:`lscp` (Toregas et al., 1971) with the forced sites'
    cover held fixed; it gives k, the fewest sites. Stage 2, with x_j = 1 when
    candidate j opens, a_ij = 1 when j covers demand point i, and u_i the
    backed-up share of point i, over the coverable demand I::

        maximise    sum_{i in I} w_i u_i
        subject to  sum_j a_ij x_j >= 1          for every i in I
                    sum_j a_ij x_j >= 1 + u_i    for every i in I with two or
                                                 more candidates in range
                    sum_j x_j <= k,  x_j = 1 for forced j
                    x_j in {0, 1},  0 <= u_i <= 1

    (u_i is 0 for the demand with one candidate in range; ``backup="spopt"``
    adds their weight). This is the hierarchical set covering of Daskin &
    Stern (1981) -- fewest vehicles first, then the most multiple coverage --
    with the second objective counted as Hogan & ReVelle's (1986) backup
    coverage: demand covered at least twice, each such point once. spopt's
    ``LSCPB`` (after Church & Murray, 2018) solves the same two stages with
    ``sum_j x_j = k``. The greedy solver keeps the stage-1 sites and swaps
    sites in and out while every point stays covered and the backed-up weight
    grows (Teitz & Bart, 1968), bounded by the LP relaxation.

    References
    ----------
    .. [1] Toregas, C., Swain, R., ReVelle, C. & Bergman, L. (1971). The
       location of emergency service facilities. Operations Research 19(6),
       1363-1373.
    .. [2] Daskin, M. S. & Stern, E. H. (1981). A hierarchical objective set
       covering model for emergency medical service vehicle deployment.
       Transportation Science 15(2), 137-152. doi:10.1287/trsc.15.2.137
    .. [3] Hogan, K. & ReVelle, C. (1986). Concepts and applications of backup
       coverage. Management Science 32(11), 1434-1444.
       doi:10.1287/mnsc.32.11.1434
    .. [4] Church, R. L. & Murray, A. T. (2018). Location Covering Models:
       History, Applications and Advancements. Springer.
       doi:10.1007/978-3-319-99846-6
    .. [5] Teitz, M. B. & Bart, P. (1968). Heuristic methods for estimating the
       generalized vertex median of a weighted graph. Operations Research
       16(5), 955-961.

    Examples
    --------
    Two sites cover the four points; the pair {1, 2} also backs up points 1
    and 2, and point 3 (one candidate in range) counts as backed up only in
    spopt's way:

    >>> import numpy as np
    >>> cover = np.array([[1, 1, 0, 0], [1, 1, 1, 0], [0, 1, 1, 1]], dtype=bool)
    >>> sol = lscp_b(cover)
    >>> sol.chosen.tolist(), sol.objective, lscp_b(cover, backup="spopt").objective
    ([1, 2], 2.0, 3.0)
    """
    start = time.perf_counter()
    pattern = _as_pattern(cover, "cover", radius)
    m, n = pattern.shape
    weight = _weights(w, n)
    fixed = _sites(forced, m, "forced")
    mode = _backup_mode(backup)
    deadline = _deadline(start, solver=solver, time_limit=time_limit, mip_gap=mip_gap)
    first = _fewest(
        pattern, weight, fixed, solver=solver, time_limit=time_limit, mip_gap=mip_gap, reduce=reduce
    )
    demand = _Demand.of(pattern, weight, np.zeros(n, dtype=bool))
    if first.status == "infeasible":
        note = _out_of_reach(weight, demand.eligible, "cover")
        outcome = _infeasible(0.0, f"no demand can be covered, let alone twice: {note}")
        model = _BackupModel.of(demand, fixed)
        return _report(start, outcome, demand, first=first, mode=mode, model=model)
    k = fixed.size + first.chosen.size
    model = _BackupModel.of(demand, fixed, reduce=reduce)
    sites = np.union1d(fixed, first.chosen)
    outcome = _solve_backup(model, sites, k, solver=solver, deadline=deadline, mip_gap=mip_gap)
    return _report(start, outcome, demand, first=first, mode=mode, model=model)


def _backup_mode(backup: str) -> Backup:
    if backup not in ("plain", "spopt"):
        msg = (
            f"backup must be 'plain' (two or more open sites in range) or 'spopt' (spopt's "
            f"LSCPB count); got {backup!r}"
        )
        raise _fail(msg)
    return "plain" if backup == "plain" else "spopt"


def _fewest(
    pattern: sp.csr_array,
    weight: FloatArray,
    fixed: IntArray,
    *,
    solver: SolverName,
    time_limit: float | None,
    mip_gap: float,
    reduce: bool,
) -> Solution:
    """Stage 1: the fewest new sites that, with the forced ones, cover all coverable demand."""
    by_forced = np.zeros(pattern.shape[1], dtype=bool)
    if fixed.size:
        by_forced[sp.csr_array(pattern[fixed]).indices] = True
    return lscp(
        pattern,
        weight,
        covered0=by_forced,
        solver=solver,
        time_limit=time_limit,
        mip_gap=mip_gap,
        reduce=reduce,
    )


@dataclass(frozen=True)
class _BackupModel:
    """Stage 2's data: candidates x (merged) coverable demand rows and their weights.

    ``twice`` marks the rows with two or more candidates in range (the only ones
    that can be backed up); ``cand`` maps model candidates to positions;
    ``fixed`` marks the forced ones.
    """

    a: sp.csr_array
    v: FloatArray
    twice: BoolArray
    cand: IntArray
    fixed: BoolArray

    @classmethod
    def of(cls, demand: _Demand, fixed: IntArray, *, reduce: bool = True) -> _BackupModel:
        """Build stage 2 over the demand with weight that some candidate covers."""
        m = demand.pattern.shape[0]
        rows = sp.csr_array(demand.rows[np.flatnonzero(demand.eligible & demand.reachable)])
        v = demand.weight[demand.eligible & demand.reachable]
        if reduce:
            rows, v, _ = _merge(rows, v, None)
        a = sp.csr_array(rows.T)
        keep = np.ones(m, dtype=bool)
        forced = np.zeros(m, dtype=bool)
        forced[fixed] = True
        if reduce:
            keep = (np.diff(a.indptr) > 0) | forced
        cand = np.flatnonzero(keep).astype(np.int64)
        twice = np.diff(rows.indptr) >= 2
        return cls(sp.csr_array(a[cand]), v, twice, cand, forced[cand])

    def counts(self, sites: list[int]) -> IntArray:
        """Open sites in range of every row."""
        if not sites:
            return np.zeros(self.a.shape[1], dtype=np.int64)
        return np.bincount(sp.csr_array(self.a[sites]).indices, minlength=self.a.shape[1])

    def value(self, sites: list[int]) -> float | None:
        """Backed-up weight of ``sites`` (None when they leave a row uncovered)."""
        counts = self.counts(sites)
        if (counts == 0).any():
            return None
        return float(self.v[counts >= 2].sum())


def _solve_backup(
    model: _BackupModel,
    sites: IntArray,
    k: int,
    *,
    solver: str,
    deadline: float,
    mip_gap: float,
) -> _Outcome:
    """Stage 2: the k sites (stage 1's to start from) that back up the most weight."""
    if model.a.shape[1] == 0:
        return _Outcome.trivial(0.0, "no demand with weight to cover or back up")
    position = {int(j): i for i, j in enumerate(model.cand)}
    start = [position[int(j)] for j in sites]
    greedy = _backup_swap(model, start, deadline)
    value = model.value(greedy)
    if value is None:  # pragma: no cover - stage 1's sites cover every row, and swaps keep it
        msg = "the backup search lost the cover of stage 1"
        raise RuntimeError(msg)
    return _improve_greedy(
        _backup_program(model, k),
        greedy,
        value=value,
        cheap=float(model.v[model.twice].sum()),
        objective=model.value,
        maximise=True,
        cand=model.cand,
        solver=solver,
        deadline=deadline,
        mip_gap=mip_gap,
    )


def _backup_swap(model: _BackupModel, sites: list[int], deadline: float) -> list[int]:
    """Swap search: exchange an open site for a closed one while every row stays covered."""
    current = list(sites)
    scale = max(1.0, float(model.v.sum()))
    for _ in range(10 * len(current) + 10):
        gain, pos, j = _best_backup_swap(model, current)
        if pos < 0 or gain <= _TOL * scale:
            break
        current[pos] = j
        if time.perf_counter() > deadline:
            break
    return current


def _best_backup_swap(model: _BackupModel, current: list[int]) -> tuple[float, int, int]:
    """Find the best exchange (gain, position in ``current``, site in) that keeps the cover."""
    a, v = model.a, model.v
    counts = model.counts(current)
    closed = np.ones(a.shape[0], dtype=bool)
    closed[current] = False
    best = (0.0, -1, -1)
    for pos, out in enumerate(current):
        if model.fixed[out]:
            continue
        idx = a.indices[a.indptr[out] : a.indptr[out + 1]]
        left = counts.copy()
        left[idx] -= 1
        lost = float(v[idx][counts[idx] == 2].sum())
        bare = (left == 0).astype(np.float64)
        fits = np.asarray(a @ bare) >= bare.sum() - 0.5
        gains = np.asarray(a @ np.where(left == 1, v, 0.0), dtype=np.float64) - lost
        gains[~(fits & closed)] = -np.inf
        j = int(np.argmax(gains))
        if gains[j] > best[0]:
            best = (float(gains[j]), pos, j)
    return best


def _backup_program(model: _BackupModel, k: int) -> _Program:
    """Build: max v @ u  s.t.  A x >= 1,  A x - u >= 1 (rows in range of 2+),  sum x <= k."""
    m, n = model.a.shape
    rows_twice = np.flatnonzero(model.twice)
    t = rows_twice.size
    at = sp.csr_array(model.a.T)
    u = sp.csr_array((-np.ones(t), (np.arange(t), np.arange(t))), shape=(t, t))
    cover = sp.hstack([at, sp.csr_array((n, t))])
    twice = sp.hstack([at[rows_twice], u])
    count = _count_row(m, m + t)
    lower = np.concatenate([np.ones(n), np.ones(t), [-np.inf]])
    upper = np.concatenate([np.full(n + t, np.inf), [float(k)]])
    lb = np.concatenate([model.fixed.astype(np.float64), np.zeros(t)])
    return _Program(
        c=np.concatenate([np.zeros(m), -model.v[rows_twice]]),
        integrality=_site_flags(m, m + t),
        a=sp.vstack([cover, twice, count]).tocsr(),
        lo=lower,
        hi=upper,
        lb=lb,
        ub=np.ones(m + t),
        sign=-1.0,
    )


def _report(
    start: float,
    outcome: _Outcome,
    demand: _Demand,
    *,
    first: Solution,
    mode: Backup,
    model: _BackupModel,
) -> Solution:
    """Recompute the backed-up weight from the inputs and say how it was counted."""
    order, gains = demand.order(outcome.chosen)
    in_range = np.diff(demand.rows.indptr)
    counts = np.zeros(in_range.size, dtype=np.int64)
    if order.size:
        counts = np.bincount(sp.csr_array(demand.pattern[order]).indices, minlength=in_range.size)
    weight = demand.weight
    plain = float(weight[counts >= 2].sum())
    single = float(weight[(counts >= 1) & (in_range == 1)].sum()) if mode == "spopt" else 0.0
    objective = plain + single
    shifted = replace(outcome, bound=outcome.bound + single)
    sol = _finish(
        "lscp_b",
        start,
        shifted,
        objective=objective,
        maximise=True,
        order=order,
        marginal=gains,
        newly=gains,
        reduction=_sizes(demand, model, outcome.nonzeros),
        uncoverable=demand.uncoverable,
        covered_weight=float(weight[counts >= 1].sum()),
        total_weight=demand.total,
        notes=_backup_notes(demand, first, k=order.size, plain=plain, single=single, mode=mode),
    )
    if first.status != "optimal" and sol.status == "optimal":
        sol = replace(sol, status=first.status)
    return sol


def _sizes(demand: _Demand, model: _BackupModel, nonzeros: int) -> Reduction:
    m, n = demand.pattern.shape
    return Reduction(n, model.a.shape[1], m, model.a.shape[0], nonzeros)


def _backup_notes(
    demand: _Demand, first: Solution, *, k: int, plain: float, single: float, mode: Backup
) -> tuple[str, ...]:
    """Say how many sites, whether proven the fewest, how backup was counted, what is lost."""
    total = demand.total
    notes = []
    if first.status != "infeasible":
        proven = "proven the fewest"
        if first.status != "optimal":
            proven = (
                f"not proven the fewest (stage 1 {first.status}; at least "
                f"{first.bound:.6g} new sites)"
            )
        notes.append(f"{k} sites cover every coverable demand point: {proven}")
    share = (plain + single) / total if total > 0 else float("nan")
    if mode == "plain":
        notes.append(
            f"{plain:.6g} of {total:.6g} weight ({100 * share:.4g} %) has two or more open "
            "sites in range"
        )
    else:
        notes.append(
            f"{plain + single:.6g} of {total:.6g} weight ({100 * share:.4g} %) counted as "
            f"backed up the spopt way: {plain:.6g} with two or more open sites in range plus "
            f"{single:.6g} with only one candidate in range"
        )
    lost = demand.uncoverable
    if lost.size:
        notes.append(
            f"{lost.size} demand points (weight {float(demand.weight[lost].sum()):.6g}) are out "
            "of range of every candidate and are left out (see uncoverable); add candidates "
            "near them (or a larger radius) to cover them"
        )
    return tuple(notes)
