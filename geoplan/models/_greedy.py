"""Heuristics: lazy greedy (CELF), swap local search, pruning, and the submodular bound.

They work on the facility-location function f(S) = sum_i v_i max(0, max_{j in S} s_ji),
of which coverage is the special case s = 1 on covered pairs.
"""

from __future__ import annotations

import heapq
import math
import time
from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from geoplan.models._arrays import _TOL, BoolArray, FloatArray, IntArray, _row, _sums
from geoplan.models._interchange import _interchange
from geoplan.models._reduce import _Cover


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

    def gain(self, j: int) -> float:
        idx, val = _row(self.s, j)
        return float(self.v[idx] @ np.maximum(val - self.best[idx], 0.0))

    def add(self, j: int) -> None:
        idx, val = _row(self.s, j)
        self.best[idx] = np.maximum(self.best[idx], val)

    def value(self) -> float:
        return float(np.multiply(self.v, self.best).sum())


class _Reach:
    """Weight newly reached as sites are added: ``weight`` summed over points not yet reached."""

    def __init__(
        self, pattern: sp.csr_array, weight: FloatArray, reached: BoolArray | None = None
    ) -> None:
        self.pattern = pattern
        self.weight = weight
        self.reached = np.zeros(pattern.shape[1], dtype=bool) if reached is None else reached.copy()

    def gains(self, sites: list[int]) -> list[float]:
        """Weight each of ``sites`` would newly reach (one pass: this runs k^2 / 2 times)."""
        indices, indptr, weight, reached = (
            self.pattern.indices,
            self.pattern.indptr,
            self.weight,
            self.reached,
        )
        out = []
        for j in sites:
            idx = indices[indptr[j] : indptr[j + 1]]
            out.append(float(weight[idx][~reached[idx]].sum()))
        return out

    def add(self, j: int) -> None:
        self.reached[_row(self.pattern, j)[0]] = True


def _newly(
    pattern: sp.csr_array, weight: FloatArray, order: IntArray, reached: BoolArray | None = None
) -> FloatArray:
    """Weight each site of ``order`` newly reaches (not by the sites before it, nor ``reached``)."""
    reach = _Reach(pattern, weight, reached)
    out = np.zeros(order.size)
    for k, j in enumerate(order):
        out[k] = reach.gains([int(j)])[0]
        reach.add(j)
    return out


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
    deadline: float = math.inf,
) -> list[int]:
    """Lazy greedy (CELF): largest gain (or gain per cost) first, ties to the lowest position.

    Stops after ``limit`` sites, when nothing fits ``budget`` or adds anything,
    when the value reaches ``need``, or -- with at least one site chosen --
    once ``perf_counter()`` passes ``deadline``.
    """
    gains = f.first_gains()
    heap = [(-_key(float(g), cost, j), j, 0, float(g)) for j, g in enumerate(gains) if g > 0]
    heapq.heapify(heap)
    chosen: list[int] = []
    spent = total = 0.0
    while heap and (limit is None or len(chosen) < limit):
        if need is not None and total >= need - _TOL * max(1.0, abs(need)):
            break
        if chosen and time.perf_counter() > deadline:
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
        idx, val = _row(s, j)
        better = val > b1[idx]
        b2[idx] = np.where(better, b1[idx], np.maximum(b2[idx], val))
        b1[idx] = np.where(better, val, b1[idx])
        who[idx[better]] = j
    return b1, b2, who


def _swap(s: sp.csr_array, v: FloatArray, chosen: list[int], deadline: float) -> list[int]:
    """Swap (interchange) local search: best improving exchange until none is left.

    See :mod:`geoplan.models._interchange`; stops early, keeping the exchanges
    made, once ``deadline`` has passed.
    """
    return _interchange(s, v, chosen, deadline)


def _fl_value(s: sp.csr_array, v: FloatArray, chosen: list[int]) -> float:
    """f(chosen): the facility-location value of the sites ``chosen``."""
    f = _Savings(s, v)
    for j in chosen:
        f.add(j)
    return f.value()


def _cover_value(model: _Cover, chosen: list[int]) -> float:
    """Weight the sites ``chosen`` cover in a reduced coverage model."""
    return _fl_value(model.a, model.v, chosen)


def _order_by_gain(
    chosen: IntArray,
    gains_of: Callable[[list[int]], list[float]],
    add: Callable[[int], None],
) -> tuple[IntArray, FloatArray]:
    """Order sites by marginal gain (largest first, ties to the lowest position).

    ``gains_of(sites)`` gives each site's marginal gain given those taken so far;
    ``add(j)`` records site ``j`` as taken. Returns the order and each site's
    gain when it was added.
    """
    left = sorted(int(j) for j in chosen)
    order: list[int] = []
    gains: list[float] = []
    while left:
        values = gains_of(left)
        k = int(np.argmax(values))
        order.append(left.pop(k))
        gains.append(values[k])
        add(order[-1])
    return np.asarray(order, dtype=np.int64), np.asarray(gains, dtype=np.float64)


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
    base = float(np.multiply(v, b1).sum())
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
