"""Lagrangian bounds for choosing at most p sites of a facility-location function.

Both the maximal covering model and the p-median in its savings form maximise
f(S) = sum_i v_i max(0, max_{j in S} s_ij) over sets S of at most p candidates
(coverage: s = 1 on covered pairs; p-median: s_ij the time saved). As a program,
with x_j = 1 when j opens and z_ij = 1 when point i is served by j::

    maximise    sum_{i,j} q_ij z_ij              (q_ij = v_i s_ij)
    subject to  sum_j z_ij <= 1                  for every demand point i
                z_ij <= x_j,  sum_j x_j <= p,  x_j in {0, 1}

Relaxing the assignment rows with multipliers lambda_i >= 0 leaves a problem that
separates by candidate (Cornuejols, Fisher & Nemhauser, 1977; Beasley, 1993)::

    L(lambda) = sum_i lambda_i + (sum of the p largest c_j(lambda)),
    c_j(lambda) = sum_i max(0, q_ij - lambda_i)

which is an upper bound on the optimum for every lambda >= 0; it is minimised by
subgradient optimisation (Held, Wolfe & Crowder, 1974) with Polyak's step towards
the best known value. The bound at the best lambda equals the LP relaxation's at
best (the subproblem has integral optima) and costs one pass over the pairs per
step. It starts from lambda_i = q_i(S) for the greedy sites S (each point's value
under S), where L is exactly the submodular bound f(S) + the p largest marginal
gains, so it is never looser than that bound.

With a budget (sum_j cost_j x_j <= B) the subproblem is a knapsack; its LP
relaxation (the fractional knapsack) still gives an upper bound.

The same multipliers prove sites in or out (Beasley, 1993): a candidate outside
the subproblem's p sites whose entry would lower the bound below the best known
value cannot be in a better solution, nor can a solution without a candidate whose
removal does the same.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from geoplan.models._arrays import BoolArray, FloatArray, IntArray, _sums
from geoplan.models._by_point import _ByPoint, _ranges

#: Steps without a better bound before the step scale is halved (Beasley, 1993, uses 30;
#: 60 converged faster on the clustered 20,000 x 1,500 coverage benchmark).
_PATIENCE = 60

#: The subgradient search stops when the step scale falls below this.
_MIN_SCALE = 1e-6

#: Subgradient steps at most (a deadline may stop the search sooner).
_STEPS = 3_000


@dataclass(frozen=True)
class _Dual:
    """The best Lagrangian bound found and what it says about each candidate.

    ``bound`` is an upper bound on max f(S); ``values`` are the c_j at the best
    multipliers ``lam``; ``sites`` the subproblem's choice there (p largest positive
    c_j); ``best_sites`` and ``best_value`` the best solution met on the way;
    ``last`` the multipliers of the last step (to continue from); ``stopped``
    whether the deadline cut the search short.
    """

    bound: float
    lam: FloatArray
    values: FloatArray
    sites: IntArray
    best_sites: list[int]
    best_value: float
    last: FloatArray
    steps: int
    stopped: bool


def _dot(a: FloatArray, b: FloatArray) -> float:
    """Return a @ b without BLAS (OpenBLAS threads long dot products, which stall when busy)."""
    return float(np.multiply(a, b).sum())


class _Pairs:
    """The stored pairs of a candidates x demand savings matrix, ready for L(lambda).

    Coverage (every stored saving 1) takes one sparse product per step; other
    savings take the pairs above each point's multiplier (:class:`_ByPoint`).
    """

    def __init__(self, s: sp.csr_array, v: FloatArray, by: _ByPoint | None = None) -> None:
        self.s = s
        self.v = v
        self.m, self.n = s.shape
        self.unit = bool(np.all(s.data == 1.0))
        self.by = None if self.unit else (_ByPoint(s) if by is None else by)
        self.qmax = np.zeros(self.n)
        np.maximum.at(self.qmax, s.indices, v[s.indices] * s.data)
        self.everyone = np.arange(self.n)

    def columns(self, lam: FloatArray) -> tuple[FloatArray, IntArray | None]:
        """c_j(lambda) = sum_i max(0, v_i s_ij - lambda_i), and the pairs that add to it."""
        if self.by is None:  # coverage: v_i s_ij = v_i on every pair, one sparse product
            return np.asarray(self.s @ np.maximum(self.v - lam, 0.0), dtype=np.float64), None
        with np.errstate(divide="ignore", invalid="ignore"):
            level = np.where(self.v > 0, lam / self.v, np.inf) * (1.0 - 1e-9)
        at = self.by.above(self.everyone, level)
        i = self.by.point[at]
        gain = np.maximum(self.v[i] * self.by.saving[at] - lam[i], 0.0)
        return _sums(self.by.site[at], gain, self.m), at

    def best_savings(self, sites: IntArray) -> FloatArray:
        """Each point's best saving among ``sites`` (0 where none reaches it)."""
        at = _ranges(self.s.indptr[sites], self.s.indptr[sites + 1])
        best = np.zeros(self.n)
        if self.unit:  # every saving 1: a point is reached or not (no np.maximum.at)
            best[self.s.indices[at]] = 1.0
        else:
            np.maximum.at(best, self.s.indices[at], self.s.data[at])
        return best

    def value(self, sites: IntArray) -> float:
        """f(sites) = sum_i v_i (best saving among ``sites``)."""
        return _dot(self.v, self.best_savings(sites))

    def start(self, sites: list[int]) -> FloatArray:
        """lambda_i = v_i max_{j in sites} s_ij: where L is the submodular bound of ``sites``."""
        return self.v * self.best_savings(np.asarray(sites, dtype=np.int64))

    def subgradient(self, lam: FloatArray, x: FloatArray, at: IntArray | None) -> FloatArray:
        """Differentiate: d L / d lambda_i = 1 - (open sites j with v_i s_ij > lambda_i)."""
        if self.by is not None and at is not None:
            j = self.by.site[at]
            use = x[j] > 0
            i = self.by.point[at][use]
            return 1.0 - _sums(i, x[j[use]], self.n)
        open_ = np.flatnonzero(x > 0)
        lo, hi = self.s.indptr[open_], self.s.indptr[open_ + 1]
        idx = self.s.indices[_ranges(lo, hi)]
        weight = np.repeat(x[open_], hi - lo)
        hit = (self.v > lam)[idx]
        return 1.0 - _sums(idx[hit], weight[hit], self.n)


def _top(values: FloatArray, p: int) -> IntArray:
    """Positions of the p largest positive ``values`` (ties to the lowest position).

    In linear time: everything above the p-th largest value, then the lowest
    positions holding that value (a full sort of 13,500 candidates at every
    subgradient step took 3 s of a 50k-node city's siting).
    """
    positive = np.flatnonzero(values > 0)
    if positive.size <= p:
        return positive.astype(np.int64)
    if p <= 0:
        return np.zeros(0, dtype=np.int64)
    candidates = values[positive]
    kth = np.partition(candidates, candidates.size - p)[candidates.size - p]
    above = positive[candidates > kth]
    tied = positive[candidates == kth][: p - above.size]
    return np.sort(np.concatenate([above, tied])).astype(np.int64)


def _knapsack(
    values: FloatArray, cost: FloatArray, budget: float, p: int | None
) -> tuple[float, FloatArray]:
    """Upper bound on max values @ x, cost @ x <= budget (and sum x <= p), 0 <= x <= 1.

    The fractional knapsack, with the p largest values as a second bound when p
    is given; returns the smaller bound and the x that reaches it.
    """
    x = np.zeros(values.size)
    free = (cost <= 0) & (values > 0)
    x[free] = 1.0
    idx = np.flatnonzero(~free & (values > 0))
    room = budget
    for j in idx[np.argsort(-values[idx] / cost[idx], kind="stable")]:
        take = min(1.0, room / float(cost[j]))
        x[j] = take
        room -= take * float(cost[j])
        if take < 1.0:
            break
    total = _dot(values, x)
    if p is not None:
        top = _top(values, p)
        if float(values[top].sum()) < total:
            x = np.zeros(values.size)
            x[top] = 1.0
            total = float(values[top].sum())
    return total, x


@dataclass(frozen=True)
class _Step:
    """L(lambda) at one lambda: the bound, the c_j, the subproblem's x and its pairs."""

    bound: float
    lam: FloatArray
    values: FloatArray
    x: FloatArray
    at: IntArray | None


def _evaluate(
    pairs: _Pairs,
    lam: FloatArray,
    p: int | None,
    cost: FloatArray | None,
    budget: float | None,
) -> _Step:
    """Solve the subproblem at ``lam``: x is 0/1 (fractional under a budget)."""
    values, at = pairs.columns(lam)
    if cost is not None and budget is not None:
        best, x = _knapsack(values, cost, budget, p)
    else:
        x = np.zeros(values.size)
        x[_top(values, p if p is not None else values.size)] = 1.0
        best = _dot(values, x)
    return _Step(float(lam.sum()) + best, lam, values, x, at)


def _facility_dual(
    s: sp.csr_array,
    v: FloatArray,
    p: int | None,
    *,
    incumbent: list[int],
    deadline: float,
    cost: FloatArray | None = None,
    budget: float | None = None,
    gap: float = 0.0,
    max_steps: int = _STEPS,
    lam: FloatArray | None = None,
    by: _ByPoint | None = None,
) -> _Dual:
    """Minimise L(lambda) by subgradient steps, from ``lam`` or the greedy sites ``incumbent``.

    Stops at ``deadline`` (``perf_counter`` seconds), when the bound is within
    ``gap`` of the best known value, when the step scale has been halved
    below :data:`_MIN_SCALE`, or after ``max_steps`` steps. Every step's
    subproblem sites (the p largest c_j) are tried as a solution too, and the
    best value known is Polyak's target.
    """
    pairs = _Pairs(s, v, by)
    search = _Search(pairs, incumbent, p, cost, budget)
    step = _evaluate(pairs, pairs.start(incumbent) if lam is None else lam, p, cost, budget)
    search.offer(step)
    scale, stale, steps = 2.0, 0, 0
    stopped = False
    while steps < max_steps and scale >= _MIN_SCALE:
        if search.best.bound - search.lower <= gap:
            break
        if time.perf_counter() > deadline:
            stopped = True
            break
        g = pairs.subgradient(step.lam, step.x, step.at)
        norm = _dot(g, g)
        if norm <= 0:
            break
        size = scale * max(step.bound - search.lower, 0.0) / norm
        step = _evaluate(pairs, np.clip(step.lam - size * g, 0.0, pairs.qmax), p, cost, budget)
        steps += 1
        if search.offer(step):
            stale = 0
        else:
            stale += 1
            if stale >= _PATIENCE:
                scale, stale = scale / 2.0, 0
    best = search.best
    return _Dual(
        bound=best.bound,
        lam=best.lam,
        values=best.values,
        sites=np.flatnonzero(best.x > 0).astype(np.int64),
        best_sites=search.sites,
        best_value=search.lower,
        last=step.lam,
        steps=steps,
        stopped=stopped,
    )


class _Search:
    """The best bound and the best solution met by the subgradient search."""

    def __init__(
        self,
        pairs: _Pairs,
        incumbent: list[int],
        p: int | None,
        cost: FloatArray | None,
        budget: float | None,
    ) -> None:
        self.pairs = pairs
        self.cost = cost
        self.budget = budget
        self.sites = list(incumbent)
        self.lower = pairs.value(np.asarray(incumbent, dtype=np.int64))
        self.best: _Step = _Step(math.inf, np.zeros(0), np.zeros(0), np.zeros(0), None)
        self.seen: tuple[int, ...] = ()

    def offer(self, step: _Step) -> bool:
        """Keep ``step`` if its bound is better, its sites if they are; whether the bound was."""
        self._try(step.x)
        best = self.best.bound
        if math.isinf(best) or step.bound < best - 1e-12 * max(1.0, abs(best)):
            self.best = step
            return True
        return False

    def _try(self, x: FloatArray) -> None:
        sites = np.flatnonzero(x >= 1.0)
        key = tuple(int(j) for j in sites)
        if key == self.seen:
            return
        self.seen = key
        cost, budget = self.cost, self.budget
        if cost is not None and budget is not None and cost[sites].sum() > budget * (1 + 1e-12):
            return
        value = self.pairs.value(sites)
        if value > self.lower:
            self.lower, self.sites = value, list(key)


def _fixed_sites(dual: _Dual, p: int, lower: float) -> tuple[BoolArray, BoolArray]:
    """Find the candidates proven out (x_j = 0) or in (x_j = 1) of every solution beating ``lower``.

    With c the values at the best multipliers, c_p the p-th largest positive one
    and c_{p+1} the next: forcing an outside candidate j in gives at most
    bound - c_p + c_j, forcing a chosen one out at most bound - c_j + c_{p+1}.
    Whichever cannot beat ``lower`` is fixed (the bound of the other side).
    """
    values = dual.values
    inside = np.zeros(values.size, dtype=bool)
    inside[dual.sites] = True
    ranked = np.sort(values[values > 0])[::-1]
    c_p = float(ranked[p - 1]) if ranked.size >= p else 0.0
    c_next = float(ranked[p]) if ranked.size > p else 0.0
    slack = dual.bound - lower
    out = ~inside & (c_p - values >= slack)
    keep = inside & (values - c_next >= slack)
    return out, keep


def _gap_closed(bound: float, lower: float, rel_gap: float) -> bool:
    """Whether ``bound`` is within ``rel_gap`` of ``lower`` (relative to |lower|)."""
    return bound - lower <= rel_gap * max(1.0, abs(lower)) or math.isclose(bound, lower)
