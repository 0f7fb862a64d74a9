"""The capacitated p-median model (:func:`capacitated_p_median`): every demand point assigned."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike
from scipy.optimize import linprog

from geoplan.models._arrays import _TOL, BoolArray, FloatArray, IntArray, _sums
from geoplan.models._explain import _idle_note
from geoplan.models._greedy import _newly
from geoplan.models._program import _Program
from geoplan.models._solve import (
    SolverName,
    _bound_deadline,
    _count_row,
    _deadline,
    _finish,
    _Outcome,
    _solve_lp,
    _solve_milp,
    _use_exact,
)
from geoplan.models._validate import _as_cost, _count, _fail, _sites, _vector, _weights
from geoplan.models.solution import Reduction, Solution


def capacitated_p_median(
    cost: Any,
    w: ArrayLike,
    p: int,
    capacity: ArrayLike,
    *,
    forced: ArrayLike | None = None,
    fill_forced: bool = False,
    split: bool = False,
    solver: SolverName = "auto",
    time_limit: float | None = 60.0,
    mip_gap: float = 1e-6,
) -> Solution:
    """Capacitated p-median: at most p sites, each within its capacity, serving all demand.

    Every demand point with weight is assigned to an open site it reaches,
    no site serves more weight than its capacity, and the total weighted
    travel cost is the least. As in spopt's ``PMedian`` with
    ``facility_capacities``: a demand point goes *whole* to one site
    (single sourcing), and sites forced open count among the p. Points of
    weight 0 are left out (they change nothing).

    Inputs that admit no solution are refused with the reason: more forced
    sites than p; a demand point with weight that reaches no candidate; the
    p largest capacities (forced sites' included) holding less than the
    total demand; a point heavier than every candidate in its reach can hold
    (single sourcing); forced sites to fill (``fill_forced``) holding more
    than the total demand; and, when HiGHS proves it, any other case.

    Parameters
    ----------
    cost
        Candidates x demand travel costs (times or distances): stored entries
        of a scipy sparse matrix, or the finite entries of a dense array
        (``np.inf`` = not reachable), are the pairs a point may be assigned
        to; a stored 0 is a real cost of 0.
    w
        Demand weight (people, pupils) per demand point, finite and >= 0.
    p
        Most sites open, forced ones included.
    capacity
        Weight each candidate can serve (>= 0; ``np.inf`` = unlimited).
    forced
        Candidates that must be open (positions or a True/False mask), as
        spopt's ``predefined_facilities_arr``: existing facilities given as
        rows of ``cost``, or sites already decided.
    fill_forced
        Forced sites must serve exactly their capacity (spopt's
        ``fulfill_predefined_fac=True``: e.g. existing schools filled before
        new ones open). Solved by HiGHS only (the heuristic is skipped).
    split
        Let a demand point's weight be divided between sites (a continuous
        assignment; the transportation problem for given sites) instead of
        spopt's single sourcing.
    solver, time_limit, mip_gap
        As in :func:`mclp`. ``"greedy"`` (and ``"auto"`` above
        :data:`AUTO_EXACT_NONZEROS`) keeps the heuristic answer, bounded by
        the LP relaxation; its swap search runs until no exchange helps or
        ``time_limit`` is reached.

    Returns
    -------
    Solution
        ``objective`` = total weighted cost of the assignment (recomputed from
        ``cost``, ``w`` and ``allocation``); ``allocation`` = candidates x
        demand weights served; ``served`` = weight each chosen site serves,
        also ``marginal_gain``; ``newly_covered`` = weight each site brings
        within reach; ``mean_time`` = objective / total weight (spopt's
        ``mean_dist``); ``chosen`` = the forced sites and the sites that serve
        demand, most served first (spopt also opens sites that serve nobody
        to make exactly p; their cost is the same).

    Raises
    ------
    InputError
        The inputs admit no solution (see above), or no feasible assignment
        was found within ``time_limit``; the message says which and what to
        change.

    Notes
    -----
    The capacitated p-median problem (ReVelle & Swain, 1970, with the
    capacities of Mulvey & Beck, 1984), over the reachable pairs, with
    x_j = 1 when site j opens, z_ij the share of point i's weight w_i that
    site j serves, c_ij the cost and k_j the capacity::

        minimise    sum_{i,j} w_i c_ij z_ij
        subject to  sum_j z_ij = 1                  for every demand point i
                    sum_i w_i z_ij <= k_j x_j       for every candidate j
                    z_ij <= x_j                     for every reachable pair
                    sum_j x_j <= p,  x_j = 1 for forced j
                    sum_i w_i z_ij = k_j            for forced j (fill_forced)
                    x_j in {0, 1},  z_ij in {0, 1}  (0 <= z_ij <= 1 with split)

    spopt writes ``sum_j x_j = p``; since opening another site never raises
    the cost, the optimum is the same. The heuristic opens the forced sites,
    adds sites by the largest drop in uncapacitated cost (greedy p-median),
    swaps small sites for large ones until the capacity suffices, assigns the
    heaviest points first to the cheapest open site with room (the most
    constrained first when that gets stuck) and moves points to cheaper sites
    with room while any is left (single sourcing), or solves the
    transportation LP (``split``); then it exchanges open sites for the closed
    ones that would cut costs most while the cost falls (Teitz & Bart, 1968).

    References
    ----------
    .. [1] ReVelle, C. S. & Swain, R. W. (1970). Central facilities location.
       Geographical Analysis 2(1), 30-42.
    .. [2] Mulvey, J. M. & Beck, M. P. (1984). Solving capacitated clustering
       problems. European Journal of Operational Research 18(3), 339-348.
    .. [3] Teitz, M. B. & Bart, P. (1968). Heuristic methods for estimating the
       generalized vertex median of a weighted graph. Operations Research
       16(5), 955-961.
    .. [4] Daskin, M. S. (2013). Network and Discrete Location: Models,
       Algorithms, and Applications, 2nd ed. Wiley.

    Examples
    --------
    Two points of 4 and 10 people; sites hold 5, 7 and 10. Only site 2 can
    take the 10, so the 4 go to the nearer of sites 0 and 1:

    >>> import numpy as np
    >>> cost = np.array([[12.6, 13.1], [3.9, 4.4], [8.2, 8.7]])
    >>> sol = capacitated_p_median(cost, [4, 10], 2, [5, 7, 10])
    >>> sorted(sol.chosen.tolist()), round(sol.objective, 1)
    ([1, 2], 102.6)
    >>> sol.allocation.toarray().tolist()
    [[0.0, 0.0], [4.0, 0.0], [0.0, 10.0]]
    """
    start = time.perf_counter()
    costs = _as_cost(cost, "cost")
    m, n = costs.shape
    weight = _weights(w, n)
    count = _count(p, m)
    cap = _capacity(capacity, m)
    fixed = _forced(forced, m, count)
    fill = _fill(fill_forced, fixed, cap)
    deadline = _deadline(start, solver=solver, time_limit=time_limit, mip_gap=mip_gap)
    pairs = _Pairs.of(costs, weight, np.minimum(cap, weight.sum()), split=split)
    _check_feasible(pairs, costs, cap, count, fixed, fill=fill)
    outcome, flow = _solve(
        pairs,
        count,
        fixed,
        fill=fill,
        split=split,
        solver=solver,
        deadline=deadline,
        mip_gap=mip_gap,
    )
    return _report(start, outcome, pairs, flow, costs, count=count, fixed=fixed)


# ----------------------------------------------------------------------------- inputs


def _capacity(capacity: ArrayLike, m: int) -> FloatArray:
    arr = _vector(capacity, m, "capacity", "candidate")
    if np.isnan(arr).any() or (arr < 0).any():
        msg = (
            "capacity must be >= 0 for every candidate (np.inf = unlimited; schools: places, "
            "clinics: service population); fix the negative or NaN values"
        )
        raise _fail(msg)
    return arr


def _forced(forced: ArrayLike | None, m: int, p: int) -> IntArray:
    fixed = _sites(forced, m, "forced")
    if fixed.size > p:
        msg = (
            f"forced holds {fixed.size} sites but p={p}: forced sites count among the p sites; "
            f"raise p to at least {fixed.size} or force fewer"
        )
        raise _fail(msg)
    return fixed


def _fill(fill_forced: bool, fixed: IntArray, cap: FloatArray) -> bool:
    if not isinstance(fill_forced, bool | np.bool_):
        msg = f"fill_forced must be True or False; got {fill_forced!r}"
        raise _fail(msg)
    if fill_forced and fixed.size == 0:
        msg = "fill_forced=True fills the forced sites to capacity: pass forced= (the sites)"
        raise _fail(msg)
    if fill_forced and not np.isfinite(cap[fixed]).all():
        msg = (
            "fill_forced=True needs a finite capacity for every forced site (inf cannot be filled)"
        )
        raise _fail(msg)
    return bool(fill_forced)


@dataclass(frozen=True)
class _Pairs:
    """The pairs a demand point may be assigned to, sorted by point and then by cost.

    ``j``, ``i`` and ``c`` give each pair's candidate, point (index into the points
    with weight, ``points``) and cost; ``start`` the first pair of each point;
    ``v`` the points' weights and ``cap`` the candidates' capacities (at most
    the total weight).
    """

    j: IntArray
    i: IntArray
    c: FloatArray
    start: IntArray
    v: FloatArray
    cap: FloatArray
    points: IntArray
    n_all: int

    @classmethod
    def of(cls, costs: sp.csr_array, weight: FloatArray, cap: FloatArray, *, split: bool) -> _Pairs:
        """Build the pairs of the points with weight (single sourcing: those that fit the site)."""
        coo = sp.coo_array(costs)
        points = np.flatnonzero(weight > 0).astype(np.int64)
        local = np.full(weight.size, -1, dtype=np.int64)
        local[points] = np.arange(points.size)
        keep = local[coo.col] >= 0
        if not split:
            keep &= cap[coo.row] >= weight[coo.col] * (1 - 1e-12)
        j, i, c = coo.row[keep].astype(np.int64), local[coo.col[keep]], coo.data[keep]
        order = np.lexsort((j, c, i))
        j, i, c = j[order], i[order], np.asarray(c[order], dtype=np.float64)
        start = np.searchsorted(i, np.arange(points.size + 1))
        return cls(j, i, c, start.astype(np.int64), weight[points], cap, points, weight.size)

    @property
    def m(self) -> int:
        return int(self.cap.size)

    @property
    def n(self) -> int:
        return int(self.v.size)

    def flow_of(self, pick: IntArray) -> FloatArray:
        """Flow per pair when point k goes whole to its pair ``pick[k]``."""
        flow = np.zeros(self.j.size)
        flow[pick] = self.v
        return flow


def _check_feasible(
    pairs: _Pairs,
    costs: sp.csr_array,
    cap: FloatArray,
    p: int,
    fixed: IntArray,
    *,
    fill: bool,
) -> None:
    """Refuse, with the reason, the inputs no assignment can satisfy.

    In order: demand out of reach of every candidate; too little capacity in the p
    largest sites; forced sites to fill holding more than the demand; a point no
    site in its reach can hold whole (single sourcing).
    """
    reached = np.diff(sp.csr_array(costs.T).indptr)[pairs.points] > 0
    if not reached.all():
        lost = np.flatnonzero(~reached)
        msg = (
            f"{_some_points(pairs, lost)} reach no candidate, and every demand point must be "
            "assigned: raise the search limit of cost, add candidates near them, or leave "
            "them out (w=0)"
        )
        raise _fail(msg)
    total = float(pairs.v.sum())
    free = np.setdiff1d(np.arange(cap.size), fixed)
    most = float(cap[fixed].sum() + np.sort(cap[free])[::-1][: p - fixed.size].sum())
    if most < total * (1 - 1e-12):
        every = float(cap.sum())
        msg = (
            f"the p={p} sites with the most capacity (forced ones included) hold at most "
            f"{most:.6g}, but the demand totals {total:.6g}"
            + (f" (all {cap.size} candidates hold {every:.6g})" if every < total else "")
            + ": raise p or the capacities, or add candidates"
        )
        raise _fail(msg)
    if fill and float(cap[fixed].sum()) > total * (1 + 1e-12):
        msg = (
            f"fill_forced=True fills the forced sites to their capacity, "
            f"{float(cap[fixed].sum()):.6g}, but the demand totals only {total:.6g}: force "
            "fewer sites or drop fill_forced"
        )
        raise _fail(msg)
    heavy = np.flatnonzero(np.diff(pairs.start) == 0)
    if heavy.size:
        msg = (
            f"{_some_points(pairs, heavy)} are heavier than the capacity of every candidate in "
            "their reach, and each point goes whole to one site: pass split=True to let a "
            "point be divided between sites, or raise capacities"
        )
        raise _fail(msg)


def _some_points(pairs: _Pairs, local: IntArray) -> str:
    """Say "N demand points (weight W; positions a, b, ...)" for points given by local index."""
    shown = ", ".join(str(int(k)) for k in pairs.points[local[:5]])
    more = " ..." if local.size > 5 else ""
    weight = float(pairs.v[local].sum())
    return f"{local.size} demand points (weight {weight:.6g}; positions {shown}{more})"


# ----------------------------------------------------------------------------- heuristic


def _greedy_sites(pairs: _Pairs, p: int, fixed: IntArray) -> IntArray:
    """Greedy p-median sites (forced first), then swapped for capacity until it suffices."""
    base = np.maximum.reduceat(pairs.c, pairs.start[:-1]) + 1.0
    saving = base[pairs.i] - pairs.c
    best = np.zeros(pairs.n)
    open_ = np.zeros(pairs.m, dtype=bool)
    for j in fixed:
        open_[j] = True
        best = _improve(best, pairs, saving, int(j))
    while open_.sum() < p:
        gain = _sums(pairs.j, pairs.v[pairs.i] * np.maximum(saving - best[pairs.i], 0.0), pairs.m)
        gain[open_] = -1.0
        j = int(np.argmax(gain))
        if gain[j] <= 0:
            break
        open_[j] = True
        best = _improve(best, pairs, saving, j)
    return _enough_capacity(pairs, open_, p, fixed)


def _improve(best: FloatArray, pairs: _Pairs, saving: FloatArray, j: int) -> FloatArray:
    mine = pairs.j == j
    out = best.copy()
    np.maximum.at(out, pairs.i[mine], saving[mine])
    return out


def _enough_capacity(pairs: _Pairs, open_: BoolArray, p: int, fixed: IntArray) -> IntArray:
    """Add (up to p) or swap in the largest capacities until they hold the total demand."""
    useful = np.zeros(pairs.m, dtype=bool)
    useful[pairs.j] = True
    locked = np.zeros(pairs.m, dtype=bool)
    locked[fixed] = True
    total = float(pairs.v.sum())
    while float(pairs.cap[open_].sum()) < total * (1 - 1e-12):
        spare = np.flatnonzero(useful & ~open_)
        if not spare.size:
            break
        big = int(spare[np.argmax(pairs.cap[spare])])
        if open_.sum() < p:
            open_[big] = True
            continue
        mine = np.flatnonzero(open_ & ~locked)
        if not mine.size:
            break
        small = int(mine[np.argmin(pairs.cap[mine])])
        if pairs.cap[big] <= pairs.cap[small]:
            break
        open_[small], open_[big] = False, True
    return np.flatnonzero(open_).astype(np.int64)


#: The regret assignment (the fallback when heaviest-first gets stuck) costs about
#: points x pairs operations; above this it is not tried.
_REGRET_WORK = 300_000_000


def _assign_whole(pairs: _Pairs, sites: IntArray) -> IntArray | None:
    """Single sourcing: each point whole to an open site with room (pair per point), or None.

    Heaviest point first to its cheapest open site with room; when that gets stuck,
    the most constrained point first (fewest sites with room, then the largest
    regret). Then points move to cheaper sites with room while any move helps.
    """
    room = np.zeros(pairs.m)
    room[sites] = pairs.cap[sites]
    slack = 1e-9 * max(1.0, float(pairs.v.max(initial=0.0)))
    pick = _heaviest_first(pairs, room.copy(), slack)
    if pick is None and pairs.n * pairs.j.size <= _REGRET_WORK:
        pick = _most_constrained_first(pairs, room.copy(), slack)
    if pick is None:
        return None
    load = _sums(pairs.j[pick], pairs.v, pairs.m)
    return _shift(pairs, pick, room - load, slack)


def _heaviest_first(pairs: _Pairs, room: FloatArray, slack: float) -> IntArray | None:
    pick = np.full(pairs.n, -1, dtype=np.int64)
    for k in np.argsort(-pairs.v, kind="stable"):
        lo, hi = pairs.start[k], pairs.start[k + 1]
        fits = np.flatnonzero(room[pairs.j[lo:hi]] >= pairs.v[k] - slack)
        if not fits.size:
            return None
        e = lo + int(fits[0])
        pick[k] = e
        room[pairs.j[e]] -= pairs.v[k]
    return pick


def _most_constrained_first(pairs: _Pairs, room: FloatArray, slack: float) -> IntArray | None:
    """Assign the point with the fewest sites with room next (then the largest regret)."""
    pick = np.full(pairs.n, -1, dtype=np.int64)
    left = np.ones(pairs.n, dtype=bool)
    big = float(pairs.c.max(initial=0.0)) + 1.0
    for _ in range(pairs.n):
        ok = left[pairs.i] & (room[pairs.j] >= pairs.v[pairs.i] - slack)
        options = np.bincount(pairs.i[ok], minlength=pairs.n)
        if (options[left] == 0).any():
            return None
        none = pairs.j.size
        first = np.full(pairs.n, none, dtype=np.int64)
        np.minimum.at(first, pairs.i[ok], np.flatnonzero(ok))  # a point's pairs sort by cost
        first[(first == none) | ~left] = -1
        cost = np.where(first >= 0, pairs.c[np.maximum(first, 0)], big)
        second = np.full(pairs.n, big)
        rest = ok & (np.arange(pairs.j.size) != first[pairs.i])
        np.minimum.at(second, pairs.i[rest], pairs.c[rest])
        key = np.lexsort((-pairs.v, -(second - cost), np.where(left, options, pairs.m + 1)))
        k = int(key[0])
        pick[k], left[k] = first[k], False
        room[pairs.j[first[k]]] -= pairs.v[k]
    return pick


def _shift(pairs: _Pairs, pick: IntArray, room: FloatArray, slack: float) -> IntArray:
    """Move points to cheaper open sites with room until no move lowers the cost."""
    for _ in range(20):
        moved = False
        for k in range(pairs.n):
            lo, e = pairs.start[k], pick[k]
            cheaper = lo + np.flatnonzero(room[pairs.j[lo:e]] >= pairs.v[k] - slack)
            if cheaper.size and pairs.c[cheaper[0]] < pairs.c[e]:
                room[pairs.j[e]] += pairs.v[k]
                room[pairs.j[cheaper[0]]] -= pairs.v[k]
                pick[k] = cheaper[0]
                moved = True
        if not moved:
            break
    return pick


def _assign_split(
    pairs: _Pairs, sites: IntArray, *, fill: IntArray | None = None
) -> FloatArray | None:
    """Solve the transportation LP: the least-cost split assignment to ``sites`` (or None)."""
    open_ = np.zeros(pairs.m, dtype=bool)
    open_[sites] = True
    use = np.flatnonzero(open_[pairs.j])
    e = use.size
    ids = np.arange(e)
    demand = sp.csr_array((np.ones(e), (pairs.i[use], ids)), shape=(pairs.n, e))
    supply = sp.csr_array((np.ones(e), (pairs.j[use], ids)), shape=(pairs.m, e))
    eq_rows, eq_rhs = [demand], [pairs.v]
    if fill is not None and fill.size:
        eq_rows.append(sp.csr_array(supply[fill]))
        eq_rhs.append(pairs.cap[fill])
    finite = np.flatnonzero(np.isfinite(pairs.cap) & open_)
    res = linprog(
        pairs.c[use],
        A_ub=sp.csr_array(supply[finite]) if finite.size else None,
        b_ub=pairs.cap[finite] if finite.size else None,
        A_eq=sp.vstack(eq_rows).tocsr(),
        b_eq=np.concatenate(eq_rhs),
        bounds=(0, None),
        method="highs",
    )
    if res.status != 0:
        return None
    flow = np.zeros(pairs.j.size)
    flow[use] = np.maximum(res.x, 0.0)
    return flow


def _greedy_flow(pairs: _Pairs, p: int, fixed: IntArray, *, split: bool) -> FloatArray | None:
    """Return the heuristic's assignment (flow per pair), or None when it finds none."""
    return _assign(pairs, _greedy_sites(pairs, p, fixed), split=split)


def _assign(pairs: _Pairs, sites: IntArray, *, split: bool) -> FloatArray | None:
    """Assign every point to ``sites`` (split: the LP; whole: the heuristic); None if stuck."""
    if split:
        return _assign_split(pairs, sites)
    pick = _assign_whole(pairs, sites)
    return None if pick is None else pairs.flow_of(pick)


#: The swap search tries, for each open site, this many closed candidates: those
#: that would cut the current travel costs most if capacity did not bind.
_SWAP_SHORTLIST = 8


def _swap_sites(
    pairs: _Pairs, flow: FloatArray, fixed: IntArray, *, split: bool, deadline: float
) -> FloatArray:
    """Exchange an open site for a closed one while that lowers the cost (until ``deadline``).

    First improvement: the open sites that serve least are tried first, each against
    the shortlist of closed candidates (:data:`_SWAP_SHORTLIST`).
    """
    locked = np.zeros(pairs.m, dtype=bool)
    locked[fixed] = True
    best, value = flow, float(flow @ pairs.c)
    scale = _TOL * max(1.0, value)
    for _ in range(10 * pairs.m):
        sites = _used(pairs, best, fixed)
        served = _sums(pairs.j, best, pairs.m)
        shortlist = _shortlist(pairs, best, sites)
        found = None
        for out in sites[np.argsort(served[sites], kind="stable")]:
            if locked[out] or found is not None:
                continue
            for inn in shortlist:
                if time.perf_counter() > deadline:
                    return best
                trial = _assign(pairs, np.append(sites[sites != out], inn), split=split)
                if trial is not None and float(trial @ pairs.c) < value - scale:
                    found = trial
                    break
        if found is None:
            break
        best, value = found, float(found @ pairs.c)
    return best


def _shortlist(pairs: _Pairs, flow: FloatArray, sites: IntArray) -> IntArray:
    """Rank the closed candidates that would cut the current costs most (capacity aside)."""
    now = _sums(pairs.i, flow * pairs.c, pairs.n) / pairs.v  # each point's cost per weight
    cut = _sums(pairs.j, pairs.v[pairs.i] * np.maximum(now[pairs.i] - pairs.c, 0.0), pairs.m)
    cut[sites] = 0.0
    ranked = np.argsort(-cut, kind="stable")[:_SWAP_SHORTLIST]
    return ranked[cut[ranked] > 0]


# ----------------------------------------------------------------------------- exact


def _program(pairs: _Pairs, p: int, fixed: IntArray, *, fill: bool, split: bool) -> _Program:
    """Build the MILP of the docstring over the pairs (columns: m sites, then the pairs)."""
    m, e = pairs.m, pairs.j.size
    ids = np.arange(e)
    w_e = pairs.v[pairs.i]
    assign = sp.csr_array((np.ones(e), (pairs.i, m + ids)), shape=(pairs.n, m + e))
    held = np.flatnonzero(np.isfinite(pairs.cap))
    load = sp.csr_array(
        (
            np.concatenate([w_e, -pairs.cap[held]]),
            (np.concatenate([pairs.j, held]), np.concatenate([m + ids, held])),
        ),
        shape=(m, m + e),
    )[held]
    link = sp.csr_array(
        (
            np.concatenate([np.ones(e), -np.ones(e)]),
            (np.tile(ids, 2), np.concatenate([m + ids, pairs.j])),
        ),
        shape=(e, m + e),
    )
    rows = [assign, load, link, _count_row(m, m + e)]
    lo: list[FloatArray] = [np.ones(pairs.n), np.full(held.size + e + 1, -np.inf)]
    hi: list[FloatArray] = [np.ones(pairs.n), np.zeros(held.size + e), np.array([float(p)])]
    if fill:
        served = sp.csr_array((w_e, (pairs.j, m + ids)), shape=(m, m + e))[fixed]
        rows.append(served)
        lo.append(pairs.cap[fixed])
        hi.append(pairs.cap[fixed])
    lb = np.zeros(m + e)
    lb[fixed] = 1.0
    return _Program(
        c=np.concatenate([np.zeros(m), w_e * pairs.c]),
        integrality=np.concatenate([np.ones(m), np.full(e, 0.0 if split else 1.0)]),
        a=sp.vstack(rows).tocsr(),
        lo=np.concatenate(lo),
        hi=np.concatenate(hi),
        lb=lb,
        ub=np.ones(m + e),
    )


def _highs_flow(
    pairs: _Pairs, x: FloatArray, fixed: IntArray, *, fill: bool, split: bool
) -> FloatArray | None:
    """HiGHS's assignment as a flow per pair (re-optimised for its sites), or None."""
    m = pairs.m
    sites = np.flatnonzero(x[:m] > 0.5)
    z = np.clip(x[m:], 0.0, 1.0)
    if split:
        return _assign_split(pairs, sites, fill=fixed if fill else None)
    pick = np.zeros(pairs.n, dtype=np.int64)
    for k in range(pairs.n):
        lo, hi = pairs.start[k], pairs.start[k + 1]
        pick[k] = lo + int(np.argmax(z[lo:hi]))
    if not fill:
        load = _sums(pairs.j[pick], pairs.v, m)
        room = np.where(np.isin(np.arange(m), sites), pairs.cap - load, 0.0)
        pick = _shift(pairs, pick, room, 1e-9 * max(1.0, float(pairs.v.max(initial=0.0))))
    return pairs.flow_of(pick)


def _solve(
    pairs: _Pairs,
    p: int,
    fixed: IntArray,
    *,
    fill: bool,
    split: bool,
    solver: str,
    deadline: float,
    mip_gap: float,
) -> tuple[_Outcome, FloatArray]:
    """Heuristic, then HiGHS (or the LP bound); the better assignment and the bound."""
    if pairs.n == 0:
        note = _idle_note(pairs.v, np.zeros(0, dtype=bool), np.zeros(0, dtype=bool), "serve")
        return _Outcome(fixed, 0.0, "trivial", "optimal", (note,)), np.zeros(pairs.j.size)
    prog = _program(pairs, p, fixed, fill=fill, split=split)
    cheap = float(pairs.v @ pairs.c[pairs.start[:-1]]) if pairs.n else 0.0
    greedy = None if fill else _greedy_flow(pairs, p, fixed, split=split)
    if not (fill or _use_exact(solver, prog.nonzeros)):
        lp = _solve_lp(prog, _bound_deadline(deadline))
        if lp is not None and math.isinf(lp):
            raise _fail(_infeasible_message(p, fill=fill, split=split))
        if greedy is None:
            msg = (
                "the heuristic found no assignment that fits the capacities; solve exactly "
                "(solver='exact'), or pass split=True"
            )
            raise _fail(msg)
        bound = cheap if lp is None else max(cheap, lp)
        greedy = _swap_sites(pairs, greedy, fixed, split=split, deadline=deadline)
        return _Outcome(
            _used(pairs, greedy, fixed), bound, "greedy", "heuristic", nonzeros=prog.nonzeros
        ), greedy
    run = _solve_milp(prog, deadline, mip_gap)
    if run.status == "infeasible":
        raise _fail(_infeasible_message(p, fill=fill, split=split))
    found = None if run.x is None else _highs_flow(pairs, run.x, fixed, fill=fill, split=split)
    options = [
        (f, name) for f, name in ((found, "highs"), (greedy, "highs+greedy")) if f is not None
    ]
    if not options:
        msg = (
            "no assignment that fits the capacities was found within time_limit (HiGHS did not "
            "prove there is none): raise time_limit, or pass split=True"
        )
        raise _fail(msg)
    flow, name = min(options, key=lambda o: float(o[0] @ pairs.c))
    status = "optimal" if run.status == "optimal" else "time limit"
    bound = max(cheap, run.bound)
    return _Outcome(_used(pairs, flow, fixed), bound, name, status, nonzeros=prog.nonzeros), flow


def _infeasible_message(p: int, *, fill: bool, split: bool) -> str:
    fixes = ["raise p or the capacities"]
    if not split:
        fixes.append("pass split=True to let a point be divided between sites")
    if fill:
        fixes.append("drop fill_forced (forced sites need not be full)")
    return (
        f"no assignment of every demand point to at most p={p} sites within their capacities "
        f"exists{' (forced sites filled exactly)' if fill else ''}, as HiGHS proved: "
        + ", or ".join(fixes)
    )


def _used(pairs: _Pairs, flow: FloatArray, fixed: IntArray) -> IntArray:
    """Return the sites that serve some weight, and the forced ones."""
    served = _sums(pairs.j, flow, pairs.m)
    return np.union1d(np.flatnonzero(served > _TOL * max(1.0, float(pairs.v.sum()))), fixed)


# ----------------------------------------------------------------------------- report


def _report(
    start: float,
    outcome: _Outcome,
    pairs: _Pairs,
    flow: FloatArray,
    costs: sp.csr_array,
    *,
    count: int,
    fixed: IntArray,
) -> Solution:
    """Recompute the cost from the inputs and the allocation; order the sites by weight served."""
    m = pairs.m
    allocation = sp.csr_array((flow, (pairs.j, pairs.points[pairs.i])), shape=(m, pairs.n_all))
    allocation.eliminate_zeros()
    served_all = _sums(pairs.j, flow, m)
    chosen = outcome.chosen
    order = chosen[np.lexsort((chosen, -served_all[chosen]))] if chosen.size else chosen
    objective = float(flow @ pairs.c)
    total = float(pairs.v.sum())
    pattern = sp.csr_array((np.ones(costs.nnz), costs.indices, costs.indptr), shape=costs.shape)
    weight = np.zeros(pairs.n_all)
    weight[pairs.points] = pairs.v
    notes: tuple[str, ...] = ()
    if order.size < count:
        notes = (
            f"{order.size} of {count} sites serve demand: more sites would not lower the cost",
        )
    return _finish(
        "capacitated_p_median",
        start,
        outcome,
        objective=objective,
        maximise=False,
        order=order,
        marginal=served_all[order],
        newly=_newly(pattern, weight, order),
        reduction=Reduction(pairs.n_all, pairs.n, m, m, outcome.nonzeros),
        served=served_all[order],
        covered_weight=total,
        total_weight=total,
        mean_time=objective / total if total > 0 else math.nan,
        allocation=allocation,
        notes=notes,
    )
