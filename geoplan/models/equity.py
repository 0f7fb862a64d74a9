"""The equity-aware maximal covering model (:func:`equity_mclp`) over communities."""

from __future__ import annotations

import math
import numbers
import time
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from geoplan.models._arrays import _TOL, BoolArray, FloatArray, IntArray, _empty_int, _row, _sums
from geoplan.models._covering import _Demand, _reached
from geoplan.models._explain import _explained, _idle_note
from geoplan.models._program import _Program, _site_flags
from geoplan.models._reduce import _Cover, _original_positions
from geoplan.models._solve import (
    SolverName,
    _count_row,
    _deadline,
    _finish,
    _Outcome,
    _picked,
    _solve_lp,
    _solve_milp,
    _use_exact,
)
from geoplan.models._validate import _as_pattern, _count, _fail, _flags, _one_each, _weights
from geoplan.models.solution import Solution


def equity_mclp(
    cover: Any,
    w: ArrayLike,
    p: int,
    groups: ArrayLike,
    *,
    covered0: ArrayLike | None = None,
    floor: float | None = None,
    objective: Literal["maxmin", "floor"] | None = None,
    radius: float | None = None,
    solver: SolverName = "auto",
    time_limit: float | None = 60.0,
    mip_gap: float = 1e-6,
    reduce: bool = True,
) -> Solution:
    """Equity-aware maximal covering over communities.

    A community's share is (its weight covered by existing facilities + by new
    sites) / its total weight; communities with no weight are ignored.

    * ``"maxmin"`` (default without ``floor``): maximise the smallest community
      share; among the solutions that reach it, maximise total newly covered
      weight. The two are solved *lexicographically* (two MILPs: the best
      minimum share first, then the most total coverage holding that share),
      not with a weighted sum.
    * ``"floor"`` (default with ``floor``): maximise total newly covered weight
      subject to every community's share >= ``floor``. When p sites cannot lift
      every community to the floor, the model first minimises the total
      weight short of the floors (people below their community's floor, summed
      over communities), then maximises total coverage at that shortfall; the
      communities still below are reported in ``below_floor`` (a note lists
      those that cannot reach it even with every candidate).

    Parameters
    ----------
    cover, w, p, covered0, radius
        As in :func:`mclp`.
    groups
        Community id per demand point (ints or strings).
    floor
        Minimum coverage share per community, in [0, 1].
    objective
        ``"maxmin"`` or ``"floor"``; None picks by whether ``floor`` is given.
    solver, time_limit, mip_gap, reduce
        As in :func:`mclp`; the greedy solver is SATURATE-style bisection on the
        reachable share (``"maxmin"``) or greedy on closed deficit then
        coverage (``"floor"``), bounded by the LP relaxation.

    Returns
    -------
    Solution
        ``objective`` = smallest community share (``"maxmin"``) or newly covered
        weight (``"floor"``); ``group_labels``/``group_share`` per community;
        ``shortfall`` (floor mode); ``marginal_gain`` and ``newly_covered`` are
        newly covered weight per site.

    Notes
    -----
    With x_j and y_i as in :func:`mclp`, W_g the weight of community g and
    B_g its weight covered by existing facilities, community g's share is
    s_g = (B_g + sum_{i in g} w_i y_i) / W_g, and every program also has
    y_i <= sum_{j covers i} x_j, sum_j x_j <= p, x_j in {0, 1}. ``"maxmin"``
    solves, in turn::

        1.  maximise t               subject to  s_g >= t      for every g
        2.  maximise sum_i w_i y_i   subject to  s_g >= t*     for every g

    with t* the optimum of the first; ``"floor"``, with d_g >= 0 the weight
    community g falls short of the floor::

        1.  minimise sum_g d_g       subject to  W_g s_g + d_g >= floor W_g
        2.  maximise sum_i w_i y_i   subject to  the same rows, sum_g d_g <= d*

    These lexicographic forms are geoplan's own; max-min and threshold
    objectives are among the equity measures reviewed by Marsh & Schilling
    (1994). The greedy ``"maxmin"`` solver follows SATURATE (Krause et al.,
    2008): a bisection on the share every community can reach, each step a
    greedy that closes the communities' deficits.

    References
    ----------
    .. [1] Marsh, M. T. & Schilling, D. A. (1994). Equity measurement in
       facility location analysis: a review and framework. European Journal
       of Operational Research 74(1), 1-17.
    .. [2] Krause, A., McMahan, H. B., Guestrin, C. & Gupta, A. (2008). Robust
       submodular observation selection. Journal of Machine Learning Research
       9, 2761-2801.

    Examples
    --------
    >>> import numpy as np
    >>> cover = np.array([[1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
    >>> sol = equity_mclp(cover, [5.0, 5.0, 2.0, 2.0], 2, ["a", "a", "b", "b"])
    >>> sol.chosen.tolist(), sol.objective
    ([0, 1], 0.5)
    """
    start = time.perf_counter()
    pattern = _as_pattern(cover, "cover", radius)
    m, n = pattern.shape
    weight = _weights(w, n)
    count = _count(p, m)
    labels, codes = _communities(groups, n)
    done = _flags(covered0, n, "covered0")
    level = _equity_mode(objective, floor)
    deadline = _deadline(start, solver=solver, time_limit=time_limit, mip_gap=mip_gap)
    demand = _Demand.of(pattern, weight, done)
    eq = _Equity(
        model=demand.model(np.ones(m), reduce=reduce, extra=codes),
        size=_sums(codes, weight, labels.size),
        base=_sums(codes[done], weight[done], labels.size),
        floor=level,
    )
    outcome = _solve_equity(eq, count, solver=solver, deadline=deadline, mip_gap=mip_gap)
    outcome = _explained(outcome, _idle_note(weight, done, demand.reachable, "cover"))
    order, gains = demand.order(outcome.chosen)
    return _equity_finish(
        start, outcome, eq, demand, labels=labels, codes=codes, order=order, gains=gains
    )


def _communities(groups: ArrayLike, n: int) -> tuple[NDArray[Any], IntArray]:
    arr = _one_each(np.asarray(groups), n, "groups", "community id per demand point")
    if arr.dtype.kind == "f" and np.isnan(arr).any():
        msg = "groups holds NaN; give every demand point a community id (e.g. -1 for 'none')"
        raise _fail(msg)
    try:
        labels, codes = np.unique(arr, return_inverse=True)
    except TypeError as exc:
        msg = "groups must be comparable ids of one kind (all ints or all strings)"
        raise _fail(msg) from exc
    return labels, codes.reshape(-1).astype(np.int64)


def _equity_mode(objective: str | None, floor: float | None) -> float | None:
    if objective not in (None, "maxmin", "floor"):
        msg = f"objective must be 'maxmin' or 'floor'; got {objective!r}"
        raise _fail(msg)
    if floor is None:
        if objective == "floor":
            msg = "objective='floor' needs floor= (the share every community should reach)"
            raise _fail(msg)
        return None
    if objective == "maxmin":
        msg = "floor= is used with objective='floor'; drop floor or set objective='floor'"
        raise _fail(msg)
    if isinstance(floor, bool) or not isinstance(floor, numbers.Real) or not 0 <= floor <= 1:
        msg = f"floor must be a coverage share in [0, 1]; got {floor!r}"
        raise _fail(msg)
    return float(floor)


@dataclass(frozen=True)
class _Equity:
    """An equity model: the reduced cover (rows carry a community code) and community sizes."""

    model: _Cover
    size: FloatArray
    base: FloatArray
    floor: float | None

    @property
    def live(self) -> BoolArray:
        return self.size > 0

    def new_by_group(self, chosen: list[int]) -> FloatArray:
        group = self.model.group
        if group is None:
            msg = "equity model without community codes"
            raise RuntimeError(msg)
        hit = np.zeros(self.model.a.shape[1], dtype=bool)
        for j in chosen:
            hit[_row(self.model.a, j)[0]] = True
        return _sums(group[hit], self.model.v[hit], self.size.size)

    def deficit(self, share: float) -> FloatArray:
        return np.where(self.live, np.maximum(share * self.size - self.base, 0.0), 0.0)

    def key(self, chosen: list[int]) -> tuple[float, float]:
        """Lexicographic objective: (min share, total) or (-shortfall, total)."""
        new = self.new_by_group(chosen)
        total = float(new.sum())
        if self.floor is None:
            shares = (self.base + new)[self.live] / self.size[self.live]
            return float(shares.min(initial=1.0)), total
        return -float(np.maximum(self.deficit(self.floor) - new, 0.0).sum()), total


def _lex_better(a: tuple[float, float], b: tuple[float, float], scale: float) -> bool:
    if a[0] > b[0] + _TOL * scale:
        return True
    if a[0] < b[0] - _TOL * scale:
        return False
    return a[1] > b[1] + _TOL * max(1.0, abs(b[1]))


def _best_of(eq: _Equity, options: list[list[int]]) -> int:
    scale = 1.0 if eq.floor is None else max(1.0, float(eq.size.sum()))
    best = 0
    for k in range(1, len(options)):
        if _lex_better(eq.key(options[k]), eq.key(options[best]), scale):
            best = k
    return best


def _deficit_greedy(eq: _Equity, deficit: FloatArray, p: int) -> tuple[list[int], FloatArray]:
    """Greedy on (deficit closed, then newly covered weight); ties to the lowest position."""
    a, v = eq.model.a, eq.model.v
    group = eq.model.group if eq.model.group is not None else np.zeros(a.shape[1], dtype=np.int64)
    m, n = a.shape
    covered = np.zeros(n, dtype=bool)
    taken = np.zeros(m, dtype=bool)
    left = deficit.copy()
    chosen: list[int] = []
    tol = _TOL * max(1.0, float(v.sum()))
    for _ in range(p):
        free = np.where(covered, 0.0, v)
        per = sp.coo_array(a @ sp.csr_array((free, (np.arange(n), group)), shape=(n, left.size)))
        closed = _sums(per.row, np.minimum(per.data, left[per.col]), m)
        total = np.asarray(a @ free, dtype=np.float64)
        closed[taken], total[taken] = -1.0, -1.0
        j = int(np.lexsort((np.arange(m), -total, -closed))[0])
        if closed[j] <= tol and total[j] <= tol:
            break
        chosen.append(j)
        taken[j] = True
        idx = a.indices[a.indptr[j] : a.indptr[j + 1]]
        fresh = idx[~covered[idx]]
        covered[fresh] = True
        left = np.maximum(left - _sums(group[fresh], v[fresh], left.size), 0.0)
    return chosen, left


def _saturate(eq: _Equity, p: int, until: float = math.inf) -> list[int]:
    """Max-min greedy (SATURATE): bisect on the share every community can reach.

    The bisection stops at ``until`` (``perf_counter`` seconds) with the best
    sites found so far.
    """
    everything = list(range(eq.model.a.shape[0]))
    lo = eq.key([])[0]
    hi = eq.key(everything)[0]
    options = [_deficit_greedy(eq, eq.deficit(lo), p)[0]]
    for _ in range(40):
        if hi - lo <= 1e-9 or time.perf_counter() >= until:
            break
        mid = 0.5 * (lo + hi)
        chosen, left = _deficit_greedy(eq, eq.deficit(mid), p)
        if left.sum() <= _TOL * max(1.0, float(eq.size.sum())):
            lo = mid
            options.append(chosen)
        else:
            hi = mid
    return options[_best_of(eq, options)]


def _group_rows(eq: _Equity, scale: FloatArray, width: int, offset: int) -> sp.csr_array:
    """Rows sum_{i in g} scale_i y_i for the live communities (y starts at ``offset``)."""
    group = eq.model.group if eq.model.group is not None else _empty_int()
    live = np.flatnonzero(eq.live)
    slot = np.full(eq.size.size, -1, dtype=np.int64)
    slot[live] = np.arange(live.size)
    rows = slot[group]
    keep = rows >= 0
    n = group.size
    return sp.csr_array(
        (scale[keep], (rows[keep], offset + np.arange(n)[keep])), shape=(live.size, width)
    )


def _equity_program(eq: _Equity, p: int, *, stage: int, level: float = 0.0) -> _Program:
    """Stage 1: max t (maxmin) or min shortfall (floor); stage 2: max total at ``level``."""
    m, n = eq.model.a.shape
    live = np.flatnonzero(eq.live)
    g = live.size
    extra = 1 if eq.floor is None else g
    width = m + n + (extra if stage == 1 or eq.floor is not None else 0)
    link = sp.hstack([-eq.model.a.T, sp.eye_array(n), sp.csr_array((n, width - m - n))])
    v = eq.model.v
    rows: list[Any] = [link, _count_row(m, width)]
    lo = [np.full(n, -np.inf), [-np.inf]]
    hi = [np.zeros(n), [float(p)]]
    cost = np.zeros(width)
    if eq.floor is None and stage == 1:
        share = _group_rows(eq, v / eq.size[eq.model.group], width, m)
        rows.append(
            sp.csr_array((np.ones(g), (np.arange(g), np.full(g, m + n))), shape=(g, width)) - share
        )
        lo.append(np.full(g, -np.inf))
        hi.append(eq.base[live] / eq.size[live])
        cost[m + n] = -1.0
    elif eq.floor is None:
        rows.append(_group_rows(eq, v, width, m))
        lo.append(level * eq.size[live] - eq.base[live] - _TOL * eq.size[live])
        hi.append(np.full(g, np.inf))
        cost[m : m + n] = -v
    else:
        short = sp.csr_array((np.ones(g), (np.arange(g), m + n + np.arange(g))), shape=(g, width))
        rows.append(_group_rows(eq, v, width, m) + short)
        lo.append(eq.floor * eq.size[live] - eq.base[live])
        hi.append(np.full(g, np.inf))
        if stage == 1:
            cost[m + n :] = 1.0
        else:
            rows.append(sp.csr_array(np.concatenate([np.zeros(m + n), np.ones(g)])[None, :]))
            lo.append([-np.inf])
            hi.append([level + _TOL * max(1.0, float(eq.size.sum()))])
            cost[m : m + n] = -v
    ub = np.ones(width)
    ub[m + n :] = np.inf if eq.floor is not None else 1.0
    maximise = eq.floor is None or stage == 2
    return _Program(
        c=cost,
        integrality=_site_flags(m, width),
        a=sp.vstack(rows).tocsr(),
        lo=np.concatenate([np.asarray(x, dtype=np.float64) for x in lo]),
        hi=np.concatenate([np.asarray(x, dtype=np.float64) for x in hi]),
        lb=np.zeros(width),
        ub=ub,
        sign=-1.0 if maximise else 1.0,
    )


def _halfway(deadline: float) -> float:
    """Return the clock time halfway from now to ``deadline`` (the greedy's share)."""
    now = time.perf_counter()
    return now + 0.5 * max(deadline - now, 0.0)


def _solve_equity(eq: _Equity, p: int, *, solver: str, deadline: float, mip_gap: float) -> _Outcome:
    m = eq.model.a.shape[0]
    if eq.model.empty:
        return _Outcome.trivial(eq.key([])[0], "nothing to cover")
    if eq.floor is None:
        greedy = _saturate(eq, p, until=_halfway(deadline))
    else:
        greedy = _deficit_greedy(eq, eq.deficit(eq.floor), p)[0]
    first = _equity_program(eq, p, stage=1)
    if not _use_exact(solver, first.nonzeros):
        return _equity_heuristic(eq, p, greedy, first, deadline)
    run1 = _solve_milp(first, deadline, mip_gap)
    options = [greedy, _picked(run1.x, m)] if run1.x is not None else [greedy]
    best = options[_best_of(eq, options)]
    level = eq.key(best)[0] if eq.floor is None else -eq.key(best)[0]
    run2 = _solve_milp(_equity_program(eq, p, stage=2, level=level), deadline, mip_gap)
    if run2.x is not None:
        options.append(_picked(run2.x, m))
    pick = _best_of(eq, options)
    bound = run1.bound if eq.floor is None else run2.bound
    proven = run1.status == "optimal" and run2.status in ("optimal", "infeasible")
    return _Outcome(
        _original_positions(eq.model.cand, options[pick]),
        bound,
        "highs" if pick > 0 else "highs+greedy",
        "optimal" if proven else "time limit",
        nonzeros=first.nonzeros,
    )


def _equity_heuristic(
    eq: _Equity, p: int, greedy: list[int], first: _Program, deadline: float
) -> _Outcome:
    key = eq.key(greedy)
    if eq.floor is None:
        bound = _solve_lp(first, deadline)
    else:
        bound = _solve_lp(_equity_program(eq, p, stage=2, level=-key[0]), deadline)
    fallback = 1.0 if eq.floor is None else float(eq.model.v.sum())
    return _Outcome(
        _original_positions(eq.model.cand, greedy),
        fallback if bound is None else bound,
        "greedy",
        "heuristic",
        nonzeros=first.nonzeros,
    )


def _equity_finish(
    start: float,
    outcome: _Outcome,
    eq: _Equity,
    demand: _Demand,
    *,
    labels: NDArray[Any],
    codes: IntArray,
    order: IntArray,
    gains: FloatArray,
) -> Solution:
    hit = _reached(demand.pattern, order) & demand.eligible
    covered = eq.base + _sums(codes[hit], demand.weight[hit], labels.size)
    share = np.divide(covered, eq.size, out=np.full(eq.size.shape, np.nan), where=eq.size > 0)
    below: tuple[Any, ...] = ()
    shortfall = math.nan
    notes: tuple[str, ...] = ()
    if eq.floor is None:
        objective = float(share[eq.live].min(initial=1.0))
    else:
        objective = float(covered.sum() - eq.base.sum())
        below, shortfall, notes = _below_floor(
            eq, eq.floor, demand, labels=labels, codes=codes, covered=covered
        )
    return _finish(
        "equity_mclp",
        start,
        outcome,
        objective=objective,
        maximise=True,
        order=order,
        marginal=gains,
        newly=gains,
        reduction=demand.reduction(eq.model, outcome.nonzeros),
        uncoverable=demand.uncoverable,
        covered_weight=float(covered.sum()),
        total_weight=demand.total,
        group_labels=labels,
        group_share=share,
        below_floor=below,
        shortfall=shortfall,
        notes=notes,
    )


def _below_floor(
    eq: _Equity,
    floor: float,
    demand: _Demand,
    *,
    labels: NDArray[Any],
    codes: IntArray,
    covered: FloatArray,
) -> tuple[tuple[Any, ...], float, tuple[str, ...]]:
    """Communities below ``floor``, the weight short of it, and a note on the hopeless ones."""
    tol = _TOL * np.maximum(eq.size, 1.0)
    gap = np.where(eq.live, np.maximum(floor * eq.size - covered, 0.0), 0.0)
    below = tuple(labels[gap > tol].tolist())
    open_ = demand.eligible & demand.reachable
    reach = eq.base + _sums(codes[open_], demand.weight[open_], labels.size)
    never = labels[eq.live & (reach < floor * eq.size - tol)]
    if not never.size:
        return below, float(gap.sum()), ()
    shown = ", ".join(str(x) for x in never[:10].tolist())
    note = (
        f"{never.size} communities cannot reach the floor even with every candidate: "
        f"{shown}{' ...' if never.size > 10 else ''}"
    )
    return below, float(gap.sum()), (note,)
