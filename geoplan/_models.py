"""Location-allocation core: which new sites to open, on sparse matrices.

Everything here works on plain arrays, independent of maps and networks:

* ``cover`` -- a candidates x demand sparse matrix; a *stored* entry means the
  candidate covers that demand point within the threshold;
* ``cost`` -- a candidates x demand sparse matrix of travel times whose stored
  entries are the pairs reached within the search limit (absent = unreachable);
* ``w`` -- demand weights (population, >= 0);
* existing facilities, held fixed: ``covered0`` (demand already covered) or
  ``cost0`` (current time to the nearest existing facility, ``inf`` when none).

New sites only add to what exists. Six models share one result type,
:class:`Solution`:

==========================  ==================================================
:func:`mclp`                maximal covering (p sites, or a budget)
:func:`lscp`                set covering: fewest / cheapest sites for a target
:func:`p_median`            minimum total weighted travel time
:func:`p_center`            minimum worst travel time
:func:`capacitated_mclp`    maximal covering with site capacities
:func:`equity_mclp`         max-min community coverage, or coverage floors
==========================  ==================================================

Solvers
-------
``solver="exact"`` solves a mixed-integer program with HiGHS through
:func:`scipy.optimize.milp` and reports HiGHS's proven bound (``mip_dual_bound``)
and gap. ``solver="greedy"`` runs a lazy greedy (CELF) heuristic -- followed,
for fixed-p coverage and p-median, by a swap (interchange) local search -- and
reports its gap to the LP relaxation (:func:`scipy.optimize.linprog`, HiGHS) or
to the submodular bound f(S) + the p largest marginal gains, whichever is
tighter. ``solver="auto"`` (the default) solves exactly when the reduced
program has at most :data:`AUTO_EXACT_NONZEROS` constraint nonzeros and
greedily otherwise; ``time_limit`` caps the exact solve either way.

Every exact run starts from the greedy solution. HiGHS is skipped when the
greedy value already meets the submodular bound (``solver="greedy"``,
``status="optimal"``). When HiGHS does not beat the greedy solution within the
time limit, the greedy solution is returned with HiGHS's bound
(``solver="highs+greedy"``). scipy's ``milp`` takes no starting solution; an
objective cut at the greedy value (covered weight >= greedy) was tried as a
substitute and left out: on clustered 100,000-point MCLPs it halved HiGHS's
time at p = 50 but tripled it at p = 20.

Ties: the greedy heuristics break ties towards the lowest candidate position.
HiGHS is deterministic for the same input, but among several optimal sets it
returns its own choice, not necessarily the lowest positions.

Model reduction
---------------
Before solving, demand that cannot change the answer is left out (zero
weight, already covered by an existing facility, or reached by no candidate --
the last reported as ``uncoverable``); demand points whose covering-candidate
sets are identical are merged (weights summed); candidates that cover nothing
new are dropped; and, for the pure coverage models, candidates whose cover
set is a subset of another candidate's at no lower cost are dropped
(``reduce=False`` keeps every candidate and demand point). None of this
changes the optimum.

Examples
--------
>>> import numpy as np
>>> import scipy.sparse as sp
>>> cover = sp.csr_array(np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]]))
>>> sol = mclp(cover, np.array([10.0, 5.0, 5.0, 10.0]), 2)
>>> sol.chosen.tolist(), sol.objective, sol.status
([0, 2], 30.0, 'optimal')
"""

from __future__ import annotations

import heapq
import logging
import math
import numbers
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from geoplan._errors import InputError

__all__ = [
    "AUTO_EXACT_NONZEROS",
    "Reduction",
    "Solution",
    "capacitated_mclp",
    "equity_mclp",
    "lscp",
    "mclp",
    "p_center",
    "p_median",
]

log = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
SolverName = Literal["auto", "exact", "greedy"]

#: ``solver="auto"`` solves exactly when the reduced program's constraint
#: matrix has at most this many nonzeros, and greedily otherwise.
AUTO_EXACT_NONZEROS = 1_000_000

#: With ``solver="auto"`` on a model too big to solve exactly, the LP relaxation
#: that bounds the greedy answer may take at most this long; past it the looser
#: online bound is reported as the gap (measured: 39 s for the LP of a 441 x 100k
#: MCLP whose greedy answer the online bound already put within 0.0 %).
AUTO_BOUND_SECONDS = 5.0

_TOL = 1e-9
#: LP relaxations with more nonzeros use HiGHS's interior-point method (3.5x faster
#: than dual simplex on a 12k-row MCLP relaxation).
_IPM_NONZEROS = 50_000
#: Above this many candidate-pair products, dominance checks are skipped.
_DOMINANCE_WORK = 20_000_000


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, eq=False)
class Reduction:
    """How much the model shrank before it was solved.

    Attributes
    ----------
    demand_in, demand_out
        Demand points given; demand rows in the solved model (after merging).
    candidates_in, candidates_out
        Candidate sites given; candidates in the solved model.
    nonzeros
        Nonzeros of the solved program's constraint matrix (what ``solver="auto"``
        looks at); 0 when no program was built.
    """

    demand_in: int
    demand_out: int
    candidates_in: int
    candidates_out: int
    nonzeros: int = 0


def _empty_int() -> IntArray:
    return np.zeros(0, dtype=np.int64)


def _empty_float() -> FloatArray:
    return np.zeros(0, dtype=np.float64)


@dataclass(frozen=True, eq=False)
class Solution:
    """The sites a model proposes, with the evidence for them.

    Attributes
    ----------
    model
        ``"mclp"``, ``"lscp"``, ``"p_median"``, ``"p_center"``,
        ``"capacitated_mclp"`` or ``"equity_mclp"``.
    chosen
        Candidate positions (rows of ``cover``/``cost``), in the order a greedy
        pass over them adds the most: largest marginal gain first, ties to the
        lowest position.
    objective
        The model's objective for ``chosen`` (recomputed from the inputs, not
        taken from the solver): newly covered weight (``mclp``), number of
        sites or total cost (``lscp``), total weighted travel time
        (``p_median``), worst travel time (``p_center``), newly served weight
        (``capacitated_mclp``), minimum community share (``equity_mclp``,
        ``"maxmin"``) or newly covered weight (``equity_mclp``, ``"floor"``).
    bound
        Best proven bound on the optimum: an upper bound for maximising models,
        a lower bound for minimising ones.
    gap
        ``|bound - objective| / |objective|`` (0 when they agree; ``inf`` when
        the objective is 0 and the bound is not).
    solver
        ``"highs"`` (HiGHS's MILP solution), ``"greedy"`` (the heuristic's),
        ``"highs+greedy"`` (the greedy solution, kept because HiGHS did not beat
        it within the time limit, with HiGHS's bound) or ``"trivial"`` (nothing
        to optimise).
    status
        ``"optimal"`` (within ``mip_gap`` of the proven bound), ``"time limit"``
        (stopped early; see ``gap``) or ``"heuristic"`` (greedy, not proven).
    seconds
        Wall-clock time of the whole call, reduction included.
    marginal_gain
        Per chosen site, in order: the objective's improvement when it is added
        to the sites before it (for ``lscp`` and ``equity_mclp`` the newly
        covered weight instead).
    newly_covered
        Per chosen site, in order: weight it brings within reach for the first
        time (coverage models: within the threshold; ``p_median``/``p_center``:
        within the search limit).
    served
        Per chosen site: weight allocated to it (nearest site for
        ``p_median``/``p_center``, the flow for ``capacitated_mclp``); empty for
        the other models.
    uncoverable
        Demand positions with positive weight that no candidate and no existing
        facility reaches.
    covered_weight, total_weight
        Weight covered (existing plus new; for ``capacitated_mclp`` served) and
        the total weight; ``covered_share`` is their ratio.
    mean_time
        ``p_median``/``p_center``: weight-averaged travel time, unreached demand
        counted at the penalty (the search limit).
    group_labels, group_share, below_floor, shortfall
        ``equity_mclp``: community labels, each community's coverage share,
        the communities below ``floor`` and the weight short of the floors.
    reduction
        Sizes before and after model reduction.
    notes
        Plain-language remarks (fewer sites than asked, relaxed targets, ...).
    """

    model: str
    chosen: IntArray
    objective: float
    bound: float
    gap: float
    solver: str
    status: str
    seconds: float
    marginal_gain: FloatArray
    newly_covered: FloatArray
    served: FloatArray = field(default_factory=_empty_float)
    uncoverable: IntArray = field(default_factory=_empty_int)
    covered_weight: float = math.nan
    total_weight: float = math.nan
    mean_time: float = math.nan
    group_labels: NDArray[Any] | None = None
    group_share: FloatArray | None = None
    below_floor: tuple[Any, ...] = ()
    shortfall: float = math.nan
    reduction: Reduction | None = None
    notes: tuple[str, ...] = ()

    @property
    def covered_share(self) -> float:
        """Covered weight / total weight (NaN when there is no weight)."""
        if not self.total_weight > 0:
            return math.nan
        return self.covered_weight / self.total_weight

    def __repr__(self) -> str:
        return (
            f"Solution(model={self.model!r}, chosen={self.chosen.tolist()}, "
            f"objective={self.objective:.6g}, bound={self.bound:.6g}, gap={self.gap:.3g}, "
            f"solver={self.solver!r}, status={self.status!r}, seconds={self.seconds:.3f})"
        )


@dataclass(frozen=True)
class _Outcome:
    """What an engine decided: chosen original positions, bound, provenance."""

    chosen: IntArray
    bound: float
    solver: str
    status: str
    notes: tuple[str, ...] = ()
    nonzeros: int = 0


# --------------------------------------------------------------------------- validation


def _fail(msg: str) -> InputError:
    return InputError(msg)


def _as_pattern(matrix: Any, name: str) -> sp.csr_array:
    """Candidate-major CSR whose stored entries are 1.0: the coverage pattern."""
    if sp.issparse(matrix):
        out = sp.csr_array(matrix, dtype=np.float64, copy=True)
    else:
        dense = np.asarray(matrix)
        if dense.ndim != 2:
            msg = f"{name} must be a 2-D candidates x demand matrix; got {dense.ndim} dimension(s)"
            raise _fail(msg)
        if dense.dtype.kind == "f" and np.isnan(dense).any():
            msg = f"{name} holds NaN; use True/1 for covered pairs and False/0 for the rest"
            raise _fail(msg)
        out = sp.csr_array(dense != 0, dtype=np.float64)
    if out.ndim != 2:
        msg = f"{name} must be a 2-D candidates x demand matrix"
        raise _fail(msg)
    if out.shape[0] == 0:
        msg = f"{name} has no candidates (0 rows); pass at least one candidate site"
        raise _fail(msg)
    out.sum_duplicates()
    out.data = np.ones_like(out.data)
    return out


def _as_cost(matrix: Any, name: str) -> sp.csr_array:
    """Candidate-major CSR of travel times; stored entries are the reachable pairs.

    Stored zeros are kept (a time of 0 is a real time), ``inf`` entries are
    dropped, and of duplicate entries for one pair the shortest is kept.
    """
    if sp.issparse(matrix):
        coo = sp.coo_array(matrix)
        rows, cols, data = coo.row, coo.col, np.asarray(coo.data, dtype=np.float64)
        shape = coo.shape
    else:
        dense = np.asarray(matrix, dtype=np.float64)
        if dense.ndim != 2:
            msg = f"{name} must be a 2-D candidates x demand matrix; got {dense.ndim} dimension(s)"
            raise _fail(msg)
        rows, cols = np.nonzero(~np.isinf(dense))
        data, shape = dense[rows, cols], dense.shape
    if len(shape) != 2 or shape[0] == 0:
        msg = f"{name} has no candidates (0 rows); pass at least one candidate site"
        raise _fail(msg)
    if np.isnan(data).any() or (data < 0).any():
        msg = (
            f"{name} holds NaN or negative travel times; store only reachable pairs with "
            "times >= 0 (leave unreachable pairs out)"
        )
        raise _fail(msg)
    keep = np.isfinite(data)
    rows, cols, data = rows[keep], cols[keep], data[keep]
    order = np.lexsort((data, cols, rows))
    rows, cols, data = rows[order], cols[order], data[order]
    first = np.ones(rows.size, dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
    counts = np.bincount(rows[first], minlength=shape[0])
    indptr = np.concatenate([[0], np.cumsum(counts)])
    return sp.csr_array((data[first], cols[first], indptr), shape=shape)


def _vector(values: ArrayLike, n: int, name: str, what: str) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1 or arr.shape[0] != n:
        msg = f"{name} must have one value per {what} ({n}); got shape {arr.shape}"
        raise _fail(msg)
    return arr


def _weights(w: ArrayLike | None, n: int, name: str = "w") -> FloatArray:
    if w is None:
        return np.ones(n)
    arr = _vector(w, n, name, "demand point")
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        msg = (
            f"{name} has {int(bad.sum())} NaN, infinite or negative weights; weights must be "
            f"finite and >= 0 (e.g. np.nan_to_num({name}).clip(0))"
        )
        raise _fail(msg)
    return arr


def _flags(values: ArrayLike | None, n: int, name: str) -> BoolArray:
    if values is None:
        return np.zeros(n, dtype=bool)
    arr = np.asarray(values)
    if arr.ndim != 1 or arr.shape[0] != n:
        msg = f"{name} must have one True/False per demand point ({n}); got shape {arr.shape}"
        raise _fail(msg)
    if arr.dtype.kind == "f" and np.isnan(arr).any():
        msg = f"{name} holds NaN; pass True for demand already covered, False otherwise"
        raise _fail(msg)
    return arr.astype(bool)


def _times0(cost0: ArrayLike | None, n: int) -> FloatArray:
    if cost0 is None:
        return np.full(n, np.inf)
    arr = _vector(cost0, n, "cost0", "demand point")
    if np.isnan(arr).any() or (arr < 0).any():
        msg = "cost0 holds NaN or negative times; use np.inf where no existing facility is reached"
        raise _fail(msg)
    return arr


def _count(p: Any, m: int, *, name: str = "p") -> int:
    if isinstance(p, bool) or not isinstance(p, numbers.Integral):
        msg = f"{name} must be a whole number of new sites; got {p!r}"
        raise _fail(msg)
    k = int(p)
    if k < 1:
        msg = f"{name} must be at least 1; got {k}"
        raise _fail(msg)
    if k > m:
        msg = (
            f"{name}={k} is larger than the number of candidate sites ({m}); "
            f"lower {name} or add candidates"
        )
        raise _fail(msg)
    return k


def _solver(solver: str, mip_gap: float = 0.0) -> str:
    if solver not in ("auto", "exact", "greedy"):
        msg = f"solver must be 'auto', 'exact' or 'greedy'; got {solver!r}"
        raise _fail(msg)
    _mip_gap(mip_gap)
    return solver


def _deadline(start: float, time_limit: float | None) -> float:
    if time_limit is None:
        return math.inf
    if isinstance(time_limit, bool) or not time_limit > 0:
        msg = f"time_limit must be a positive number of seconds (or None); got {time_limit!r}"
        raise _fail(msg)
    return start + float(time_limit)


def _mip_gap(mip_gap: float) -> float:
    if isinstance(mip_gap, bool) or not isinstance(mip_gap, numbers.Real) or not 0 <= mip_gap < 1:
        msg = f"mip_gap must be a relative gap in [0, 1); got {mip_gap!r}"
        raise _fail(msg)
    return float(mip_gap)


def _costs(cost: ArrayLike | None, m: int) -> FloatArray:
    if cost is None:
        return np.ones(m)
    arr = _vector(cost, m, "cost", "candidate")
    if not np.all(np.isfinite(arr)) or (arr < 0).any():
        msg = "cost must be finite and >= 0 for every candidate"
        raise _fail(msg)
    return arr


def _capacities(capacity: ArrayLike, m: int, total: float) -> FloatArray:
    arr = _vector(capacity, m, "capacity", "candidate")
    if np.isnan(arr).any() or (arr < 0).any():
        msg = (
            "capacity must be >= 0 for every candidate (shelters: effective area / per-capita "
            "area; clinics: service population); fix the negative or NaN values"
        )
        raise _fail(msg)
    return np.minimum(arr, total)


def _sums(index: ArrayLike, weights: ArrayLike, size: int) -> FloatArray:
    """Sum ``weights`` by ``index`` into ``size`` bins."""
    return np.bincount(index, weights=weights, minlength=size).astype(np.float64)


def _bound_deadline(deadline: float) -> float:
    """Return the deadline of a bounding LP in auto mode (capped at AUTO_BOUND_SECONDS)."""
    return min(deadline, time.perf_counter() + AUTO_BOUND_SECONDS)


def _remaining(deadline: float) -> float | None:
    if math.isinf(deadline):
        return None
    return max(deadline - time.perf_counter(), 1e-3)


# --------------------------------------------------------------------------- reduction


@dataclass(frozen=True)
class _Cover:
    """A coverage model after reduction (candidates x merged demand rows)."""

    a: sp.csr_array
    v: FloatArray
    cand: IntArray
    cost: FloatArray
    group: IntArray | None = None

    @property
    def empty(self) -> bool:
        return bool(self.a.shape[0] == 0 or self.a.shape[1] == 0)


def _row_labels(rows: sp.csr_array, extra: IntArray | None = None) -> IntArray:
    """Label rows with identical (sorted) index sets -- and ``extra`` keys -- alike."""
    n = rows.shape[0]
    lengths = np.diff(rows.indptr)
    labels = np.zeros(n, dtype=np.int64)
    start = 0
    for length in np.unique(lengths):
        members = np.flatnonzero(lengths == length)
        at = rows.indptr[members][:, None] + np.arange(length)
        parts = [rows.indices[at].astype(np.int64)]
        if rows.data.size and not np.all(rows.data == 1.0):
            parts.append(rows.data[at].view(np.int64))
        if extra is not None:
            parts.append(extra[members][:, None])
        key = np.hstack(parts)
        if key.shape[1] == 0:
            inverse = np.zeros(len(members), dtype=np.int64)
        else:
            inverse = np.unique(key, axis=0, return_inverse=True)[1].reshape(-1)
        labels[members] = inverse + start
        start += int(inverse.max()) + 1
    return labels


def _merge(
    rows: sp.csr_array, v: FloatArray, extra: IntArray | None
) -> tuple[sp.csr_array, FloatArray, IntArray]:
    """Merge identical demand rows: (merged rows, summed weights, label per row)."""
    rows.sort_indices()
    labels = _row_labels(rows, extra)
    first = np.unique(labels, return_index=True)[1]
    weights = _sums(labels, v, len(first))
    return rows[first], weights, labels


def _dominated(a: sp.csr_array, cost: FloatArray) -> BoolArray:
    """Candidates whose cover set is within another's that costs no more."""
    m = a.shape[0]
    per_row = np.diff(a.tocsc().indptr)
    if float(per_row.astype(np.float64) @ per_row) > _DOMINANCE_WORK:
        log.debug("dominance check skipped: too many overlapping candidate pairs")
        return np.zeros(m, dtype=bool)
    size = np.diff(a.indptr)
    overlap = (a @ a.T).tocoo()
    j, k = overlap.row, overlap.col
    sub = (overlap.data == size[j]) & (j != k)
    better = (cost[k] < cost[j]) | (
        (cost[k] == cost[j]) & ((size[k] > size[j]) | ((size[k] == size[j]) & (k < j)))
    )
    out = np.zeros(m, dtype=bool)
    out[j[sub & better]] = True
    return out


def _reduce_cover(
    demand_rows: sp.csr_array,
    weight: FloatArray,
    active: BoolArray,
    cost: FloatArray,
    *,
    reduce: bool,
    extra: IntArray | None = None,
    dominance: bool = True,
) -> _Cover:
    """Build the coverage model for the active demand (rows of ``demand_rows``)."""
    cols = np.flatnonzero(active)
    rows = demand_rows[cols]
    v = weight[cols]
    group = None if extra is None else extra[cols]
    if reduce:
        rows, v, labels = _merge(rows, v, extra=group)
        if group is not None:
            group = group[np.unique(labels, return_index=True)[1]]
    a = sp.csr_array(rows.T)
    m = a.shape[0]
    keep = np.ones(m, dtype=bool)
    if reduce:
        keep = np.diff(a.indptr) > 0
        if dominance and keep.any():
            idx = np.flatnonzero(keep)
            keep[idx[_dominated(a[idx], cost[idx])]] = False
    cand = np.flatnonzero(keep).astype(np.int64)
    return _Cover(a=sp.csr_array(a[cand]), v=v, cand=cand, cost=cost[cand], group=group)


# --------------------------------------------------------------------------- heuristics


class _Savings:
    """Facility-location function f(S) = sum_i v_i max(0, max_{j in S} s_ji).

    Coverage is the special case s = 1 on covered pairs.
    """

    def __init__(self, s: sp.csr_array, v: FloatArray) -> None:
        self.s = s
        self.v = v
        self.best = np.zeros(s.shape[1])

    def first_gains(self) -> FloatArray:
        return np.asarray(self.s @ self.v, dtype=np.float64)

    def _row(self, j: int) -> tuple[IntArray, FloatArray]:
        lo, hi = self.s.indptr[j], self.s.indptr[j + 1]
        return self.s.indices[lo:hi], self.s.data[lo:hi]

    def gain(self, j: int) -> float:
        idx, val = self._row(j)
        return float(self.v[idx] @ np.maximum(val - self.best[idx], 0.0))

    def add(self, j: int) -> None:
        idx, val = self._row(j)
        self.best[idx] = np.maximum(self.best[idx], val)

    def value(self) -> float:
        return float(self.v @ self.best)


def _key(gain: float, cost: FloatArray | None, j: int) -> float:
    if cost is None:
        return gain
    if cost[j] > 0:
        return gain / float(cost[j])
    return math.inf


def _celf(
    f: _Savings,
    *,
    limit: int | None,
    cost: FloatArray | None = None,
    budget: float | None = None,
    need: float | None = None,
) -> list[int]:
    """Lazy greedy (CELF): largest gain (or gain per cost) first, ties to the lowest position.

    Stops after ``limit`` sites, when nothing fits ``budget`` or adds anything,
    or when the value reaches ``need``.
    """
    gains = f.first_gains()
    heap = [(-_key(float(g), cost, j), j, 0, float(g)) for j, g in enumerate(gains) if g > 0]
    heapq.heapify(heap)
    chosen: list[int] = []
    spent = total = 0.0
    while heap and (limit is None or len(chosen) < limit):
        if need is not None and total >= need - _TOL * max(1.0, abs(need)):
            break
        _, j, stamp, gain = heapq.heappop(heap)
        if cost is not None and budget is not None and spent + cost[j] > budget * (1 + 1e-12):
            continue
        if stamp == len(chosen):
            chosen.append(j)
            f.add(j)
            total += gain
            spent += 0.0 if cost is None else float(cost[j])
            continue
        fresh = f.gain(j)
        if fresh > 0:
            heapq.heappush(heap, (-_key(fresh, cost, j), j, len(chosen), fresh))
    return chosen


def _top_two(s: sp.csr_array, chosen: list[int]) -> tuple[FloatArray, FloatArray, IntArray]:
    n = s.shape[1]
    b1, b2 = np.zeros(n), np.zeros(n)
    who = np.full(n, -1, dtype=np.int64)
    for j in chosen:
        lo, hi = s.indptr[j], s.indptr[j + 1]
        idx, val = s.indices[lo:hi], s.data[lo:hi]
        better = val > b1[idx]
        b2[idx] = np.where(better, b1[idx], np.maximum(b2[idx], val))
        b1[idx] = np.where(better, val, b1[idx])
        who[idx[better]] = j
    return b1, b2, who


def _best_swap(
    s: sp.csr_array, v: FloatArray, chosen: list[int], entry_row: IntArray
) -> tuple[float, int, int]:
    """Find the best single exchange: (gain, position in chosen, candidate in)."""
    m = s.shape[0]
    b1, b2, who = _top_two(s, chosen)
    taken = np.zeros(m, dtype=bool)
    taken[chosen] = True
    weights = v[s.indices]
    best = (0.0, -1, -1)
    for pos, out in enumerate(chosen):
        mine = who == out
        keep = np.where(mine, b2, b1)
        loss = float(v[mine] @ (b1[mine] - b2[mine]))
        gains = _sums(entry_row, weights * np.maximum(s.data - keep[s.indices], 0.0), m)
        gains[taken] = -np.inf
        j = int(np.argmax(gains))
        if gains[j] - loss > best[0]:
            best = (float(gains[j] - loss), pos, j)
    return best


def _swap(s: sp.csr_array, v: FloatArray, chosen: list[int], deadline: float) -> list[int]:
    """Swap (interchange) local search: best improving exchange until none is left."""
    current = list(chosen)
    if not current or len(current) >= s.shape[0]:
        return current
    entry_row = np.repeat(np.arange(s.shape[0]), np.diff(s.indptr))
    scale = max(1.0, float(v.sum()) * float(s.data.max(initial=0.0)))
    for _ in range(10 * len(current) + 10):
        gain, pos, j = _best_swap(s, v, current, entry_row)
        if pos < 0 or gain <= _TOL * scale:
            break
        current[pos] = j
        if time.perf_counter() > deadline:
            break
    return current


def _greedy_cover(model: _Cover, p: int | None, budget: float | None, deadline: float) -> list[int]:
    """Best greedy coverage solution (positions within ``model``)."""
    if budget is None:
        chosen = _celf(_Savings(model.a, model.v), limit=p)
        return _swap(model.a, model.v, chosen, deadline)
    options = [
        _celf(_Savings(model.a, model.v), limit=p, cost=model.cost, budget=budget),
        _budget_plain(model, p, budget),
    ]
    gains = np.asarray(model.a @ model.v, dtype=np.float64)
    affordable = np.flatnonzero(model.cost <= budget * (1 + 1e-12))
    if affordable.size:
        options.append([int(affordable[np.argmax(gains[affordable])])])
    values = [_cover_value(model, c) for c in options]
    return options[int(np.argmax(values))]


def _budget_plain(model: _Cover, p: int | None, budget: float) -> list[int]:
    """Plain largest-gain greedy that skips sites over the remaining budget."""
    f = _Savings(model.a, model.v)
    chosen: list[int] = []
    spent = 0.0
    while p is None or len(chosen) < p:
        gains = np.asarray(model.a @ (model.v * (f.best == 0)), dtype=np.float64)
        gains[model.cost + spent > budget * (1 + 1e-12)] = 0.0
        gains[chosen] = 0.0
        j = int(np.argmax(gains))
        if gains[j] <= 0:
            break
        chosen.append(j)
        f.add(j)
        spent += float(model.cost[j])
    return chosen


def _cover_value(model: _Cover, chosen: list[int]) -> float:
    f = _Savings(model.a, model.v)
    for j in chosen:
        f.add(j)
    return f.value()


def _online_bound(
    s: sp.csr_array,
    v: FloatArray,
    chosen: list[int],
    *,
    p: int | None,
    cost: FloatArray | None = None,
    budget: float | None = None,
) -> float:
    """Submodular bound: f(S) + the best p (or budget-fitting) marginal gains w.r.t. S."""
    b1 = _top_two(s, chosen)[0]
    entry_row = np.repeat(np.arange(s.shape[0]), np.diff(s.indptr))
    gains = _sums(entry_row, v[s.indices] * np.maximum(s.data - b1[s.indices], 0.0), s.shape[0])
    base = float(v @ b1)
    bounds = [base + float(gains.sum())]
    if p is not None:
        bounds.append(base + float(np.sort(gains)[::-1][:p].sum()))
    if cost is not None and budget is not None:
        bounds.append(base + _fractional_knapsack(gains, cost, budget))
    return min(bounds)


def _fractional_knapsack(gains: FloatArray, cost: FloatArray, budget: float) -> float:
    free = cost <= 0
    total = float(gains[free].sum())
    idx = np.flatnonzero(~free & (gains > 0))
    order = idx[np.argsort(-gains[idx] / cost[idx], kind="stable")]
    room = budget
    for j in order:
        if cost[j] <= room:
            total += float(gains[j])
            room -= float(cost[j])
        else:
            total += float(gains[j]) * room / float(cost[j])
            break
    return total


# --------------------------------------------------------------------------- programs


@dataclass(frozen=True)
class _Program:
    """min c @ x subject to lo <= a @ x <= hi, lb <= x <= ub; objective = sign*c@x + offset."""

    c: FloatArray
    integrality: FloatArray
    a: sp.csr_array
    lo: FloatArray
    hi: FloatArray
    lb: FloatArray
    ub: FloatArray
    sign: float = 1.0
    offset: float = 0.0

    @property
    def nonzeros(self) -> int:
        return int(self.a.nnz)

    def model_value(self, raw: float) -> float:
        return self.sign * raw + self.offset


@dataclass(frozen=True)
class _Milp:
    x: FloatArray | None
    bound: float
    status: str


def _solve_milp(prog: _Program, deadline: float, mip_gap: float) -> _Milp:
    options: dict[str, Any] = {"mip_rel_gap": mip_gap}
    limit = _remaining(deadline)
    if limit is not None:
        options["time_limit"] = limit
    res = milp(
        prog.c,
        integrality=prog.integrality,
        bounds=Bounds(prog.lb, prog.ub),
        constraints=LinearConstraint(prog.a, prog.lo, prog.hi),
        options=options,
    )
    raw_bound = res.get("mip_dual_bound")
    if raw_bound is None or not np.isfinite(raw_bound):
        raw_bound = -np.inf
    status = {0: "optimal", 1: "time limit", 2: "infeasible"}.get(int(res.status), "failed")
    x = None if res.x is None else np.asarray(res.x, dtype=np.float64)
    if status == "optimal" and x is not None:
        raw_bound = (
            min(float(raw_bound), float(prog.c @ x)) if raw_bound > -np.inf else float(prog.c @ x)
        )
    return _Milp(x=x, bound=prog.model_value(float(raw_bound)), status=status)


def _solve_lp(prog: _Program, deadline: float) -> float | None:
    """Solve the LP relaxation: its optimum in model units (a bound), or None."""
    a, lo, hi = prog.a, prog.lo, prog.hi
    eq = np.isfinite(lo) & np.isfinite(hi) & (lo == hi)
    upper = np.isfinite(hi) & ~eq
    lower = np.isfinite(lo) & ~eq
    a_ub = sp.vstack([a[np.flatnonzero(upper)], -a[np.flatnonzero(lower)]]).tocsr()
    b_ub = np.concatenate([hi[upper], -lo[lower]])
    options: dict[str, Any] = {}
    limit = _remaining(deadline)
    if limit is not None:
        options["time_limit"] = limit
    res = linprog(
        prog.c,
        A_ub=a_ub if a_ub.shape[0] else None,
        b_ub=b_ub if a_ub.shape[0] else None,
        A_eq=a[np.flatnonzero(eq)] if eq.any() else None,
        b_eq=lo[eq] if eq.any() else None,
        bounds=np.column_stack([prog.lb, prog.ub]),
        method="highs-ipm" if prog.nonzeros > _IPM_NONZEROS else "highs",
        options=options,
    )
    if res.status == 2:
        return math.inf * prog.sign
    if res.status != 0:
        return None
    return prog.model_value(float(res.fun))


def _cover_program(model: _Cover, p: int | None, budget: float | None) -> _Program:
    """Build: max sum v y  s.t.  y_i <= sum_j a_ji x_j,  sum x <= p,  cost @ x <= budget."""
    m, n = model.a.shape
    link = sp.hstack([-model.a.T, sp.eye_array(n)]).tocsr()
    rows = [link]
    hi = [np.zeros(n)]
    if p is not None:
        rows.append(sp.csr_array(np.concatenate([np.ones(m), np.zeros(n)])[None, :]))
        hi.append(np.array([float(p)]))
    if budget is not None:
        rows.append(sp.csr_array(np.concatenate([model.cost, np.zeros(n)])[None, :]))
        hi.append(np.array([float(budget)]))
    upper = np.concatenate(hi)
    return _Program(
        c=np.concatenate([np.zeros(m), -model.v]),
        integrality=np.concatenate([np.ones(m), np.zeros(n)]),
        a=sp.vstack(rows).tocsr(),
        lo=np.full(upper.shape, -np.inf),
        hi=upper,
        lb=np.zeros(m + n),
        ub=np.ones(m + n),
        sign=-1.0,
    )


def _picked(x: FloatArray | None, m: int) -> list[int]:
    if x is None:
        return []
    return [int(j) for j in np.flatnonzero(x[:m] > 0.5)]


@dataclass(frozen=True)
class _Exact:
    """A model's exact solve (``run``, its sites and their value) or, instead, its LP bound."""

    run: _Milp | None
    chosen: list[int]
    value: float | None
    lp_bound: float | None


def _exact_or_bound(
    prog: _Program,
    *,
    solver: str,
    deadline: float,
    mip_gap: float,
    n_candidates: int,
    value: Callable[[list[int]], float | None],
) -> _Exact:
    """Solve the MILP when the solver rule says so; otherwise bound the greedy answer by LP.

    ``value`` gives the objective of the sites the MILP chose (None: not usable).
    """
    if not _use_exact(solver, prog):
        return _Exact(None, [], None, _solve_lp(prog, _bound_deadline(deadline)))
    run = _solve_milp(prog, deadline, mip_gap)
    chosen = _picked(run.x, n_candidates)
    return _Exact(run, chosen, value(chosen) if run.x is not None else None, None)


def _use_exact(solver: str, prog: _Program) -> bool:
    return solver == "exact" or (solver == "auto" and prog.nonzeros <= AUTO_EXACT_NONZEROS)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _decide(
    *,
    greedy: list[int],
    greedy_value: float,
    run: _Milp | None,
    milp_value: float | None,
    milp_chosen: list[int],
    maximise: bool,
    heuristic_bound: float | None,
) -> tuple[list[int], float, str, str]:
    """Pick the better of greedy and MILP and label the result."""
    sign = 1.0 if maximise else -1.0
    if run is None:
        bound = greedy_value if heuristic_bound is None else heuristic_bound
        status = "optimal" if _close(bound, greedy_value) else "heuristic"
        return greedy, bound, "greedy", status
    bound = run.bound
    status = "optimal" if run.status == "optimal" else "time limit"
    if milp_value is not None and sign * milp_value >= sign * greedy_value - _TOL * max(
        1.0, abs(greedy_value)
    ):
        return milp_chosen, bound, "highs", status
    if run.status == "infeasible":
        bound = greedy_value
    return greedy, bound, "highs+greedy", status


# --------------------------------------------------------------------------- shared pieces


def _original_positions(model_cand: IntArray, chosen: list[int]) -> IntArray:
    return np.sort(model_cand[np.asarray(chosen, dtype=np.int64)]) if chosen else _empty_int()


def _cover_order(
    pattern: sp.csr_array, eligible_weight: FloatArray, chosen: IntArray
) -> tuple[IntArray, FloatArray]:
    """Order sites by marginal newly covered weight (largest first, ties to lowest position)."""
    covered = np.zeros(pattern.shape[1], dtype=bool)
    left = sorted(int(j) for j in chosen)
    order: list[int] = []
    gains: list[float] = []
    while left:
        values = []
        for j in left:
            idx = pattern.indices[pattern.indptr[j] : pattern.indptr[j + 1]]
            values.append(float(eligible_weight[idx][~covered[idx]].sum()))
        k = int(np.argmax(values))
        j = left.pop(k)
        order.append(j)
        gains.append(values[k])
        covered[pattern.indices[pattern.indptr[j] : pattern.indptr[j + 1]]] = True
    return np.asarray(order, dtype=np.int64), np.asarray(gains, dtype=np.float64)


def _reached(pattern: sp.csr_array, chosen: IntArray) -> BoolArray:
    if chosen.size == 0:
        return np.zeros(pattern.shape[1], dtype=bool)
    sub = pattern[chosen]
    hit = np.zeros(pattern.shape[1], dtype=bool)
    hit[sub.indices] = True
    return hit


def _gap(objective: float, bound: float) -> float:
    if _close(objective, bound):
        return 0.0
    if objective == 0:
        return math.inf
    return abs(bound - objective) / abs(objective)


def _clamp(bound: float, objective: float, *, maximise: bool) -> float:
    return max(bound, objective) if maximise else min(bound, objective)


# --------------------------------------------------------------------------- MCLP


def _solve_cover(
    model: _Cover,
    *,
    p: int | None,
    budget: float | None,
    solver: str,
    deadline: float,
    mip_gap: float,
) -> _Outcome:
    """Maximise covered weight in a reduced coverage model."""
    if model.empty:
        return _Outcome(_empty_int(), 0.0, "trivial", "optimal", ("nothing left to cover",))
    greedy = _greedy_cover(model, p, budget, deadline)
    value = _cover_value(model, greedy)
    cost = None if budget is None else model.cost
    cheap = _online_bound(model.a, model.v, greedy, p=p, cost=cost, budget=budget)
    prog = _cover_program(model, p, budget)
    if cheap <= value + _TOL * max(1.0, value):
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
        n_candidates=model.a.shape[0],
        value=lambda c: _cover_value(model, c),
    )
    heuristic = cheap if exact.lp_bound is None else min(cheap, exact.lp_bound)
    chosen, bound, name, status = _decide(
        greedy=greedy,
        greedy_value=value,
        run=exact.run,
        milp_value=exact.value,
        milp_chosen=exact.chosen,
        maximise=True,
        heuristic_bound=heuristic,
    )
    if exact.run is not None:
        bound = min(bound, cheap)
    return _Outcome(
        _original_positions(model.cand, chosen), bound, name, status, nonzeros=prog.nonzeros
    )


def _finish(
    model: str,
    start: float,
    outcome: _Outcome,
    *,
    objective: float,
    maximise: bool,
    order: IntArray,
    marginal: FloatArray,
    newly: FloatArray,
    reduction: Reduction,
    **extra: Any,
) -> Solution:
    bound = _clamp(outcome.bound, objective, maximise=maximise)
    status = outcome.status
    if status != "optimal" and _close(bound, objective):
        status = "optimal"
    notes = outcome.notes + tuple(extra.pop("notes", ()))
    log.info(
        "%s: %d -> %d demand rows, %d -> %d candidates; %s (%s), objective %.6g, gap %.3g",
        model,
        reduction.demand_in,
        reduction.demand_out,
        reduction.candidates_in,
        reduction.candidates_out,
        outcome.solver,
        status,
        objective,
        _gap(objective, bound),
    )
    return Solution(
        model=model,
        chosen=order,
        objective=float(objective),
        bound=float(bound),
        gap=_gap(objective, bound),
        solver=outcome.solver,
        status=status,
        seconds=time.perf_counter() - start,
        marginal_gain=marginal,
        newly_covered=newly,
        reduction=reduction,
        notes=notes,
        **extra,
    )


def mclp(
    cover: Any,
    w: ArrayLike,
    p: int | None = None,
    *,
    covered0: ArrayLike | None = None,
    cost: ArrayLike | None = None,
    budget: float | None = None,
    solver: SolverName = "auto",
    time_limit: float | None = 60.0,
    mip_gap: float = 1e-6,
    reduce: bool = True,
) -> Solution:
    """Maximal covering: open new sites that newly cover the most weight.

    Parameters
    ----------
    cover
        Candidates x demand matrix (scipy sparse; every *stored* entry, whatever
        its value, means "covers within the threshold" -- call
        ``eliminate_zeros()`` first if stored zeros should not count). A dense
        array is read as nonzero = covers.
    w
        Demand weight (population) per demand point, finite and >= 0.
    p
        Number of new sites. May be omitted when ``budget`` is given; with both,
        both limits hold. Sites that would add no newly covered weight are not
        proposed, so ``chosen`` can be shorter than ``p``.
    covered0
        True for demand already covered by existing facilities (held fixed);
        they count in ``covered_weight`` but not in the objective.
    cost, budget
        Cost per candidate and the total budget: the budget form (choose any
        number of sites whose costs sum to at most ``budget``).
    solver
        ``"auto"``, ``"exact"`` or ``"greedy"`` (see the module notes).
    time_limit
        Seconds for the whole solve (HiGHS stops and reports its gap); None for
        no limit.
    mip_gap
        Relative gap at which HiGHS stops and calls the solution optimal.
    reduce
        Merge identical demand rows and drop useless and dominated candidates
        before solving (never changes the optimum).

    Returns
    -------
    Solution
        ``objective`` = newly covered weight; ``uncoverable`` = uncovered demand
        no candidate covers.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> cover = sp.csr_array(np.array([[1, 1, 0], [0, 1, 1], [0, 0, 1]]))
    >>> sol = mclp(cover, [5.0, 1.0, 7.0], 1, covered0=[False, False, True])
    >>> sol.chosen.tolist(), sol.objective, sol.covered_weight
    ([0], 6.0, 13.0)
    """
    start = time.perf_counter()
    pattern = _as_pattern(cover, "cover")
    m, n = pattern.shape
    weight = _weights(w, n)
    done = _flags(covered0, n, "covered0")
    limit, costs, cap = _mclp_limits(p, cost, budget, m)
    deadline = _deadline(start, time_limit)
    _solver(solver, mip_gap)
    demand_rows = sp.csr_array(pattern.T)
    eligible = (weight > 0) & ~done
    reachable = np.diff(demand_rows.indptr) > 0
    model = _reduce_cover(demand_rows, weight, eligible & reachable, costs, reduce=reduce)
    outcome = _solve_cover(
        model, p=limit, budget=cap, solver=solver, deadline=deadline, mip_gap=mip_gap
    )
    gainable = np.where(eligible, weight, 0.0)
    order, gains = _cover_order(pattern, gainable, outcome.chosen)
    objective = float(gainable[_reached(pattern, order)].sum())
    notes = _fewer_note(limit, order.size)
    return _finish(
        "mclp",
        start,
        outcome,
        objective=objective,
        maximise=True,
        order=order,
        marginal=gains,
        newly=gains,
        reduction=Reduction(n, model.a.shape[1], m, model.a.shape[0], outcome.nonzeros),
        uncoverable=np.flatnonzero(eligible & ~reachable).astype(np.int64),
        covered_weight=float(weight[done].sum()) + objective,
        total_weight=float(weight.sum()),
        notes=notes,
    )


def _fewer_note(p: int | None, k: int) -> tuple[str, ...]:
    if p is not None and k < p:
        return (f"{k} of {p} sites proposed: more sites would cover nothing new",)
    return ()


def _mclp_limits(
    p: int | None, cost: ArrayLike | None, budget: float | None, m: int
) -> tuple[int | None, FloatArray, float | None]:
    if budget is None:
        if cost is not None:
            msg = "cost= is used only with budget=; pass budget= (the total to spend) or drop cost"
            raise _fail(msg)
        if p is None:
            msg = "give p (the number of new sites) or cost= and budget= for the budget form"
            raise _fail(msg)
        return _count(p, m), np.ones(m), None
    if isinstance(budget, bool) or not (isinstance(budget, numbers.Real) and budget >= 0):
        msg = f"budget must be a number >= 0; got {budget!r}"
        raise _fail(msg)
    if cost is None:
        msg = "budget= needs cost= (one cost per candidate)"
        raise _fail(msg)
    return (None if p is None else _count(p, m)), _costs(cost, m), float(budget)


# --------------------------------------------------------------------------- LSCP


def _lscp_target(target: float) -> float:
    if isinstance(target, bool) or not isinstance(target, numbers.Real) or not 0 < target <= 1:
        msg = f"target must be a covered-weight share in (0, 1] (1.0 = everyone); got {target!r}"
        raise _fail(msg)
    return float(target)


def _lscp_need(
    total: float, already: float, unreachable: float, target: float
) -> tuple[float, tuple[str, ...]]:
    """Weight new sites must cover, and a note when uncoverable demand was set aside."""
    if target * total <= (total - unreachable) * (1 + 1e-12):
        return target * total - already, ()
    note = (
        f"{unreachable:.6g} weight that no candidate covers was left out of the target's "
        f"denominator: the target {target:g} applies to the coverable weight "
        f"{total - unreachable:.6g}"
    )
    return target * (total - unreachable) - already, (note,)


def _prune(model: _Cover, chosen: list[int], need: float) -> list[int]:
    """Drop sites (most expensive first, then latest) the target does not need."""
    counts = np.zeros(model.a.shape[1], dtype=np.int64)
    for j in chosen:
        counts[model.a.indices[model.a.indptr[j] : model.a.indptr[j + 1]]] += 1
    covered = float(model.v[counts > 0].sum())
    keep = list(chosen)
    order = sorted(range(len(chosen)), key=lambda k: (-model.cost[chosen[k]], -k))
    for k in order:
        j = chosen[k]
        idx = model.a.indices[model.a.indptr[j] : model.a.indptr[j + 1]]
        loss = float(model.v[idx][counts[idx] == 1].sum())
        if covered - loss >= need - _TOL * max(1.0, abs(need)):
            counts[idx] -= 1
            covered -= loss
            keep.remove(j)
    return keep


def _lscp_program(model: _Cover, need: float) -> _Program:
    """Build: min cost @ x s.t. every row covered (full target) or sum v y >= need (partial)."""
    m, n = model.a.shape
    if need >= float(model.v.sum()) * (1 - 1e-12):
        return _Program(
            c=model.cost.astype(np.float64),
            integrality=np.ones(m),
            a=sp.csr_array(model.a.T),
            lo=np.ones(n),
            hi=np.full(n, np.inf),
            lb=np.zeros(m),
            ub=np.ones(m),
        )
    link = sp.hstack([-model.a.T, sp.eye_array(n)])
    total = sp.csr_array(np.concatenate([np.zeros(m), model.v])[None, :])
    return _Program(
        c=np.concatenate([model.cost, np.zeros(n)]),
        integrality=np.concatenate([np.ones(m), np.zeros(n)]),
        a=sp.vstack([link, total]).tocsr(),
        lo=np.concatenate([np.full(n, -np.inf), [need]]),
        hi=np.concatenate([np.zeros(n), [np.inf]]),
        lb=np.zeros(m + n),
        ub=np.ones(m + n),
    )


def _solve_lscp(
    model: _Cover, need: float, *, unit: bool, solver: str, deadline: float, mip_gap: float
) -> _Outcome:
    if need <= _TOL * max(1.0, abs(need)) or model.empty:
        return _Outcome(
            _empty_int(),
            0.0,
            "trivial",
            "optimal",
            ("existing facilities already meet the target",),
        )
    greedy = _prune(
        model, _celf(_Savings(model.a, model.v), limit=None, cost=model.cost, need=need), need
    )
    greedy_cost = float(model.cost[greedy].sum())
    prog = _lscp_program(model, need)

    def covering_cost(sites: list[int]) -> float | None:
        """Return the sites' cost when they cover what is needed (a timed-out run may not)."""
        covers = _cover_value(model, sites) >= need - _TOL * max(1.0, need)
        return float(model.cost[sites].sum()) if covers else None

    exact = _exact_or_bound(
        prog,
        solver=solver,
        deadline=deadline,
        mip_gap=mip_gap,
        n_candidates=model.a.shape[0],
        value=covering_cost,
    )
    chosen, bound, name, status = _decide(
        greedy=greedy,
        greedy_value=greedy_cost,
        run=exact.run,
        milp_value=exact.value,
        milp_chosen=exact.chosen,
        maximise=False,
        heuristic_bound=0.0 if exact.lp_bound is None else exact.lp_bound,
    )
    if unit and math.isfinite(bound):
        bound = float(math.ceil(bound - 1e-6))
    return _Outcome(
        _original_positions(model.cand, chosen), bound, name, status, nonzeros=prog.nonzeros
    )


def lscp(
    cover: Any,
    w: ArrayLike | None = None,
    *,
    covered0: ArrayLike | None = None,
    target: float = 1.0,
    cost: ArrayLike | None = None,
    solver: SolverName = "auto",
    time_limit: float | None = 60.0,
    mip_gap: float = 1e-6,
    reduce: bool = True,
) -> Solution:
    """Set covering: the fewest (or cheapest) new sites that reach a coverage target.

    The covered share is (weight covered by existing facilities + weight
    covered by new sites) / total weight. Demand with positive weight that no
    candidate covers and no existing facility covers is reported in
    ``uncoverable`` and never makes the call fail: when ``target`` x total
    weight is more than the coverable weight (total minus uncoverable), the
    uncoverable weight is removed from the denominator -- the target then
    applies to the coverable weight, so ``target=1.0`` means "everyone who can
    be covered" -- and a note says so. Otherwise the denominator is the total
    weight.

    Parameters
    ----------
    cover
        Candidates x demand matrix; every stored entry means "covers" (see
        :func:`mclp`).
    w
        Demand weights (>= 0); None counts every demand point once.
    covered0
        True for demand already covered by existing facilities.
    target
        Covered-weight share to reach, in (0, 1].
    cost
        Cost per candidate: minimise total cost instead of the number of sites.
    solver, time_limit, mip_gap, reduce
        As in :func:`mclp`.

    Returns
    -------
    Solution
        ``objective`` = number of new sites (or their total cost);
        ``marginal_gain`` and ``newly_covered`` = newly covered weight per site.

    Examples
    --------
    >>> import numpy as np
    >>> cover = np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 0]])
    >>> sol = lscp(cover)
    >>> sol.chosen.tolist(), sol.objective, sol.uncoverable.tolist()
    ([0, 1], 2.0, [3])
    """
    start = time.perf_counter()
    pattern = _as_pattern(cover, "cover")
    m, n = pattern.shape
    weight = _weights(w, n)
    done = _flags(covered0, n, "covered0")
    share = _lscp_target(target)
    costs = _costs(cost, m)
    deadline = _deadline(start, time_limit)
    _solver(solver, mip_gap)
    demand_rows = sp.csr_array(pattern.T)
    eligible = (weight > 0) & ~done
    reachable = np.diff(demand_rows.indptr) > 0
    lost = eligible & ~reachable
    need, notes = _lscp_need(
        float(weight.sum()), float(weight[done].sum()), float(weight[lost].sum()), share
    )
    model = _reduce_cover(demand_rows, weight, eligible & reachable, costs, reduce=reduce)
    outcome = _solve_lscp(
        model, need, unit=cost is None, solver=solver, deadline=deadline, mip_gap=mip_gap
    )
    gainable = np.where(eligible, weight, 0.0)
    order, gains = _cover_order(pattern, gainable, outcome.chosen)
    new = float(gainable[_reached(pattern, order)].sum())
    return _finish(
        "lscp",
        start,
        outcome,
        objective=float(costs[order].sum()),
        maximise=False,
        order=order,
        marginal=gains,
        newly=gains,
        reduction=Reduction(n, model.a.shape[1], m, model.a.shape[0], outcome.nonzeros),
        uncoverable=np.flatnonzero(lost).astype(np.int64),
        covered_weight=float(weight[done].sum()) + new,
        total_weight=float(weight.sum()),
        notes=notes,
    )


# --------------------------------------------------------------------------- travel-time models


def _limit(costs: sp.csr_array, times0: FloatArray, limit: float | None) -> float:
    if limit is not None:
        if isinstance(limit, bool) or not (isinstance(limit, numbers.Real) and limit >= 0):
            msg = f"limit must be the search limit (a number >= 0); got {limit!r}"
            raise _fail(msg)
        return float(limit)
    finite0 = times0[np.isfinite(times0)]
    return float(max(costs.data.max(initial=0.0), finite0.max(initial=0.0)))


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


def _fl_value(s: sp.csr_array, v: FloatArray, chosen: list[int]) -> float:
    f = _Savings(s, v)
    for j in chosen:
        f.add(j)
    return f.value()


def _times(costs: sp.csr_array, base: FloatArray, chosen: IntArray) -> FloatArray:
    """Travel time per demand point to the nearest of ``base`` and the chosen sites."""
    out = base.copy()
    for j in chosen:
        lo, hi = costs.indptr[j], costs.indptr[j + 1]
        idx = costs.indices[lo:hi]
        out[idx] = np.minimum(out[idx], costs.data[lo:hi])
    return out


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


def _allocation(
    costs: sp.csr_array, base: FloatArray, weight: FloatArray, order: IntArray, reached0: BoolArray
) -> tuple[FloatArray, FloatArray]:
    """Weight served by each site (its nearest users) and weight newly reached by each."""
    best = base.copy()
    owner = np.full(base.shape, -1, dtype=np.int64)
    newly = np.zeros(order.size)
    reached = reached0.copy()
    for k in np.argsort(order, kind="stable"):
        lo, hi = costs.indptr[order[k]], costs.indptr[order[k] + 1]
        idx, val = costs.indices[lo:hi], costs.data[lo:hi]
        better = val < best[idx]
        best[idx[better]] = val[better]
        owner[idx[better]] = k
    for k, j in enumerate(order):
        idx = costs.indices[costs.indptr[j] : costs.indptr[j + 1]]
        newly[k] = float(weight[idx][~reached[idx]].sum())
        reached[idx] = True
    served = _sums(owner[owner >= 0], weight[owner >= 0], order.size)
    return served.astype(np.float64), newly


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
        return _Outcome(_empty_int(), 0.0, "trivial", "optimal", ("no demand to serve",))
    exact = solver == "exact" or (solver == "auto" and data.vals.size <= AUTO_EXACT_NONZEROS)
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

    Examples
    --------
    >>> import numpy as np
    >>> cost = np.array([[1.0, 4.0, 9.0], [8.0, 2.0, 3.0]])
    >>> p_center(cost, [1.0, 1.0, 1.0], 1).objective
    8.0
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
    reachable = np.isfinite(times0) | (np.diff(sp.csr_array(costs.T).indptr) > 0)
    part = (weight > 0) & reachable
    data = _center_data(costs, base, part)
    outcome = _solve_center(
        data, count, solver=solver, deadline=deadline, mip_gap=mip_gap, reduce=reduce
    )
    order, gains = _center_order(costs, base, part, weight, outcome.chosen)
    times = _times(costs, base, order)
    served, newly = _allocation(costs, base, weight, order, np.isfinite(times0))
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
        uncoverable=np.flatnonzero((weight > 0) & ~reachable).astype(np.int64),
        mean_time=float(weight @ times) / float(weight.sum()) if weight.sum() > 0 else math.nan,
        total_weight=float(weight.sum()),
    )


# --------------------------------------------------------------------------- capacitated MCLP


def _flow(
    a: sp.csr_array, v: FloatArray, cap: FloatArray, sites: IntArray
) -> tuple[float, FloatArray]:
    """Most weight the ``sites`` can serve (demand split allowed) and each site's share."""
    if sites.size == 0:
        return 0.0, _empty_float()
    sub = sp.csr_array(a[sites])
    site_of = np.repeat(np.arange(sites.size), np.diff(sub.indptr))
    keep = v[sub.indices] > 0
    site_of, point = site_of[keep], sub.indices[keep]
    if point.size == 0:
        return 0.0, np.zeros(sites.size)
    users, row = np.unique(point, return_inverse=True)
    e = point.size
    ids = np.arange(e)
    a_ub = sp.vstack(
        [
            sp.csr_array((np.ones(e), (row, ids)), shape=(users.size, e)),
            sp.csr_array((np.ones(e), (site_of, ids)), shape=(sites.size, e)),
        ]
    ).tocsr()
    res = linprog(
        -np.ones(e),
        A_ub=a_ub,
        b_ub=np.concatenate([v[users], cap[sites]]),
        bounds=(0, None),
        method="highs",
    )
    if res.status != 0:
        msg = f"the allocation LP failed: {res.message}"
        raise RuntimeError(msg)
    served = _sums(site_of, res.x, sites.size)
    return float(served.sum()), served.astype(np.float64)


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
    m, n = model.a.shape
    e = model.a.nnz
    j_of = np.repeat(np.arange(m), np.diff(model.a.indptr))
    i_of = model.a.indices
    ids = np.arange(e)
    top = np.minimum(model.v[i_of], cap[j_of])
    demand = sp.csr_array((np.ones(e), (i_of, m + ids)), shape=(n, m + e))
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
    count = sp.csr_array(np.concatenate([np.ones(m), np.zeros(e)])[None, :])
    upper = np.concatenate([model.v, np.zeros(m), np.zeros(e), [float(p)]])
    return _Program(
        c=np.concatenate([np.zeros(m), -np.ones(e)]),
        integrality=np.concatenate([np.ones(m), np.zeros(e)]),
        a=sp.vstack([demand, site, tight, count]).tocsr(),
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
        return _Outcome(_empty_int(), 0.0, "trivial", "optimal", ("nothing left to serve",))
    greedy = _greedy_capacitated(model, cap, p)
    value = _flow(model.a, model.v, cap, np.asarray(greedy, dtype=np.int64))[0]
    cheap = min(float(model.v.sum()), float(np.sort(cap)[::-1][:p].sum()))
    prog = _capacitated_program(model, cap, p)
    if cheap <= value + _TOL * max(1.0, value):
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
        n_candidates=model.a.shape[0],
        value=lambda c: float(_flow(model.a, model.v, cap, np.asarray(c, dtype=np.int64))[0]),
    )
    chosen, bound, name, status = _decide(
        greedy=greedy,
        greedy_value=value,
        run=exact.run,
        milp_value=exact.value,
        milp_chosen=exact.chosen,
        maximise=True,
        heuristic_bound=cheap if exact.lp_bound is None else min(cheap, exact.lp_bound),
    )
    return _Outcome(
        _original_positions(model.cand, chosen),
        min(bound, cheap),
        name,
        status,
        nonzeros=prog.nonzeros,
    )


def _capacity_order(
    a: sp.csr_array, v: FloatArray, cap: FloatArray, chosen: IntArray
) -> tuple[IntArray, FloatArray, FloatArray, float]:
    """Sites by weight served (most first); marginal gains from prefix allocations."""
    total, served = _flow(a, v, cap, chosen)
    rank = np.lexsort((chosen, -served)) if chosen.size else _empty_int()
    order = chosen[rank]
    prefix = [0.0]
    for k in range(1, order.size + 1):
        prefix.append(total if k == order.size else _flow(a, v, cap, order[:k])[0])
    return order, np.diff(np.asarray(prefix)), served[rank], total


def capacitated_mclp(
    cover: Any,
    w: ArrayLike,
    p: int,
    capacity: ArrayLike,
    *,
    covered0: ArrayLike | None = None,
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
        Candidates x demand matrix; every stored entry means "within reach".
    w
        Demand weight (people) per demand point.
    p
        Number of new sites (at most).
    capacity
        Weight each candidate can serve (shelters: effective area / per-capita
        area; clinics: service population); >= 0, ``inf`` = unlimited.
    covered0, solver, time_limit, mip_gap, reduce
        As in :func:`mclp` (no dominance reduction here: a smaller site can
        still add capacity).

    Returns
    -------
    Solution
        ``objective`` = newly served weight (a maximum flow for ``chosen``);
        ``served`` = weight each site serves in one such allocation (not
        unique); ``chosen`` is ordered by ``served``.

    Examples
    --------
    >>> import numpy as np
    >>> cover = np.array([[1, 1, 0], [0, 1, 1]])
    >>> sol = capacitated_mclp(cover, [30.0, 30.0, 30.0], 1, [50.0, 40.0])
    >>> sol.chosen.tolist(), sol.objective
    ([0], 50.0)
    """
    start = time.perf_counter()
    pattern = _as_pattern(cover, "cover")
    m, n = pattern.shape
    weight = _weights(w, n)
    done = _flags(covered0, n, "covered0")
    count = _count(p, m)
    cap = _capacities(capacity, m, float(weight.sum()))
    deadline = _deadline(start, time_limit)
    _solver(solver, mip_gap)
    demand_rows = sp.csr_array(pattern.T)
    eligible = (weight > 0) & ~done
    reachable = np.diff(demand_rows.indptr) > 0
    model = _reduce_cover(
        demand_rows, weight, eligible & reachable, cap, reduce=reduce, dominance=False
    )
    if reduce:
        useful = np.flatnonzero(model.cost > 0)
        model = _Cover(
            sp.csr_array(model.a[useful]), model.v, model.cand[useful], model.cost[useful]
        )
    outcome = _solve_capacitated(
        model, model.cost, count, solver=solver, deadline=deadline, mip_gap=mip_gap
    )
    gainable = np.where(eligible, weight, 0.0)
    order, gains, served, objective = _capacity_order(pattern, gainable, cap, outcome.chosen)
    newly = _cover_newly(pattern, gainable, order)
    return _finish(
        "capacitated_mclp",
        start,
        outcome,
        objective=objective,
        maximise=True,
        order=order,
        marginal=gains,
        newly=newly,
        reduction=Reduction(n, model.a.shape[1], m, model.a.shape[0], outcome.nonzeros),
        served=served,
        uncoverable=np.flatnonzero(eligible & ~reachable).astype(np.int64),
        covered_weight=float(weight[done].sum()) + objective,
        total_weight=float(weight.sum()),
        notes=_fewer_note(count, order.size),
    )


def _cover_newly(pattern: sp.csr_array, gainable: FloatArray, order: IntArray) -> FloatArray:
    covered = np.zeros(pattern.shape[1], dtype=bool)
    out = np.zeros(order.size)
    for k, j in enumerate(order):
        idx = pattern.indices[pattern.indptr[j] : pattern.indptr[j + 1]]
        out[k] = float(gainable[idx][~covered[idx]].sum())
        covered[idx] = True
    return out


# --------------------------------------------------------------------------- equity MCLP


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
            hit[self.model.a.indices[self.model.a.indptr[j] : self.model.a.indptr[j + 1]]] = True
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


def _saturate(eq: _Equity, p: int) -> list[int]:
    """Max-min greedy (SATURATE): bisect on the share every community can reach."""
    everything = list(range(eq.model.a.shape[0]))
    lo = eq.key([])[0]
    hi = eq.key(everything)[0]
    options = [_deficit_greedy(eq, eq.deficit(lo), p)[0]]
    for _ in range(40):
        if hi - lo <= 1e-9:
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
    count = sp.csr_array(np.concatenate([np.ones(m), np.zeros(width - m)])[None, :])
    v = eq.model.v
    rows: list[Any] = [link, count]
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
        integrality=np.concatenate([np.ones(m), np.zeros(width - m)]),
        a=sp.vstack(rows).tocsr(),
        lo=np.concatenate([np.asarray(x, dtype=np.float64) for x in lo]),
        hi=np.concatenate([np.asarray(x, dtype=np.float64) for x in hi]),
        lb=np.zeros(width),
        ub=ub,
        sign=-1.0 if maximise else 1.0,
    )


def _solve_equity(eq: _Equity, p: int, *, solver: str, deadline: float, mip_gap: float) -> _Outcome:
    m = eq.model.a.shape[0]
    if eq.model.empty:
        return _Outcome(_empty_int(), eq.key([])[0], "trivial", "optimal", ("nothing to cover",))
    if eq.floor is None:
        greedy = _saturate(eq, p)
    else:
        greedy = _deficit_greedy(eq, eq.deficit(eq.floor), p)[0]
    first = _equity_program(eq, p, stage=1)
    if not _use_exact(solver, first):
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


def _communities(groups: ArrayLike, n: int) -> tuple[NDArray[Any], IntArray]:
    arr = np.asarray(groups)
    if arr.ndim != 1 or arr.shape[0] != n:
        msg = f"groups must have one community id per demand point ({n}); got shape {arr.shape}"
        raise _fail(msg)
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


def equity_mclp(
    cover: Any,
    w: ArrayLike,
    p: int,
    groups: ArrayLike,
    *,
    covered0: ArrayLike | None = None,
    floor: float | None = None,
    objective: Literal["maxmin", "floor"] | None = None,
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
    cover, w, p, covered0
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

    Examples
    --------
    >>> import numpy as np
    >>> cover = np.array([[1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
    >>> sol = equity_mclp(cover, [5.0, 5.0, 2.0, 2.0], 2, ["a", "a", "b", "b"])
    >>> sol.chosen.tolist(), sol.objective
    ([0, 1], 0.5)
    """
    start = time.perf_counter()
    pattern = _as_pattern(cover, "cover")
    m, n = pattern.shape
    weight = _weights(w, n)
    count = _count(p, m)
    labels, codes = _communities(groups, n)
    done = _flags(covered0, n, "covered0")
    level = _equity_mode(objective, floor)
    deadline = _deadline(start, time_limit)
    _solver(solver, mip_gap)
    demand_rows = sp.csr_array(pattern.T)
    eligible = (weight > 0) & ~done
    reachable = np.diff(demand_rows.indptr) > 0
    model = _reduce_cover(
        demand_rows, weight, eligible & reachable, np.ones(m), reduce=reduce, extra=codes
    )
    size = _sums(codes, weight, labels.size)
    base = _sums(codes[done], weight[done], labels.size)
    eq = _Equity(model=model, size=size, base=base, floor=level)
    outcome = _solve_equity(eq, count, solver=solver, deadline=deadline, mip_gap=mip_gap)
    gainable = np.where(eligible, weight, 0.0)
    order, gains = _cover_order(pattern, gainable, outcome.chosen)
    hit = _reached(pattern, order) & eligible
    covered = base + _sums(codes[hit], weight[hit], labels.size)
    share = np.divide(covered, size, out=np.full(size.shape, np.nan), where=size > 0)
    return _equity_finish(
        start,
        outcome,
        eq,
        labels=labels,
        share=share,
        covered=covered,
        order=order,
        gains=gains,
        weight=weight,
        eligible=eligible,
        reachable=reachable,
        codes=codes,
        reduction=Reduction(n, model.a.shape[1], m, model.a.shape[0], outcome.nonzeros),
    )


def _equity_finish(
    start: float,
    outcome: _Outcome,
    eq: _Equity,
    *,
    labels: NDArray[Any],
    share: FloatArray,
    covered: FloatArray,
    order: IntArray,
    gains: FloatArray,
    weight: FloatArray,
    eligible: BoolArray,
    reachable: BoolArray,
    codes: IntArray,
    reduction: Reduction,
) -> Solution:
    live = eq.live
    new_total = float(covered.sum() - eq.base.sum())
    notes: list[str] = []
    below: tuple[Any, ...] = ()
    shortfall = math.nan
    if eq.floor is None:
        objective = float(share[live].min(initial=1.0))
    else:
        objective = new_total
        gap = np.where(live, np.maximum(eq.floor * eq.size - covered, 0.0), 0.0)
        shortfall = float(gap.sum())
        below = tuple(labels[gap > _TOL * np.maximum(eq.size, 1.0)].tolist())
        open_ = eligible & reachable
        reach = eq.base + _sums(codes[open_], weight[open_], labels.size)
        never = labels[live & (reach < eq.floor * eq.size - _TOL * np.maximum(eq.size, 1.0))]
        if never.size:
            shown = ", ".join(str(x) for x in never[:10].tolist())
            notes.append(
                f"{never.size} communities cannot reach the floor even with every candidate: "
                f"{shown}{' ...' if never.size > 10 else ''}"
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
        reduction=reduction,
        uncoverable=np.flatnonzero(eligible & ~reachable).astype(np.int64),
        covered_weight=float(covered.sum()),
        total_weight=float(weight.sum()),
        group_labels=labels,
        group_share=share,
        below_floor=below,
        shortfall=shortfall,
        notes=tuple(notes) + _fewer_note(None, order.size),
    )
