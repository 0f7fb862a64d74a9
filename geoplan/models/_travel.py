"""What the travel-time models (p-median, p-center) share: inputs, times, allocation."""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from geoplan.models._arrays import BoolArray, FloatArray, IntArray, _row, _sums
from geoplan.models._greedy import _newly
from geoplan.models._validate import _as_cost, _count, _fail, _times0, _weights


@dataclass(frozen=True)
class _Travel:
    """A travel-time model's inputs, checked, and each point's time without new sites.

    ``base`` is the time to the existing facility, or the search limit (the
    penalty) where none is reached; ``reachable`` points are reached by an
    existing facility or some candidate.
    """

    costs: sp.csr_array
    weight: FloatArray
    times0: FloatArray
    p: int
    base: FloatArray
    reachable: BoolArray

    @classmethod
    def check(
        cls, cost: Any, w: ArrayLike, p: int, *, cost0: ArrayLike | None, limit: float | None
    ) -> _Travel:
        """Check the inputs of :func:`p_median` / :func:`p_center` (in their order)."""
        costs = _as_cost(cost, "cost")
        m, n = costs.shape
        weight = _weights(w, n)
        times0 = _times0(cost0, n)
        count = _count(p, m)
        penalty = _limit(costs, times0, limit)
        base = np.where(np.isfinite(times0), times0, penalty)
        reachable = np.isfinite(times0) | (np.diff(sp.csr_array(costs.T).indptr) > 0)
        return cls(costs, weight, times0, count, base, reachable)

    @property
    def uncoverable(self) -> IntArray:
        """Points with weight that no facility, existing or candidate, reaches."""
        return np.flatnonzero((self.weight > 0) & ~self.reachable).astype(np.int64)

    @property
    def total(self) -> float:
        return float(self.weight.sum())

    def times(self, chosen: IntArray) -> FloatArray:
        """Travel time per point with the sites ``chosen`` open."""
        return _times(self.costs, self.base, chosen)

    def mean_time(self, times: FloatArray) -> float:
        """Weight-averaged ``times`` (NaN without weight)."""
        return float(self.weight @ times) / self.total if self.weight.sum() > 0 else math.nan

    def allocation(self, order: IntArray) -> tuple[FloatArray, FloatArray]:
        """Weight each site serves (its nearest users) and weight each newly reaches."""
        return _allocation(self.costs, self.base, self.weight, order, np.isfinite(self.times0))


def _limit(costs: sp.csr_array, times0: FloatArray, limit: float | None) -> float:
    if limit is not None:
        if isinstance(limit, bool) or not (isinstance(limit, numbers.Real) and limit >= 0):
            msg = f"limit must be the search limit (a number >= 0); got {limit!r}"
            raise _fail(msg)
        return float(limit)
    finite0 = times0[np.isfinite(times0)]
    if costs.nnz == 0 and finite0.size == 0:
        msg = (
            "cost reaches no demand point and cost0 has no finite time, so the search limit "
            "(the time unreached demand counts at) cannot be read from them; pass limit= "
            "(the search limit cost was built with)"
        )
        raise _fail(msg)
    return float(max(costs.data.max(initial=0.0), finite0.max(initial=0.0)))


def _times(costs: sp.csr_array, base: FloatArray, chosen: IntArray) -> FloatArray:
    """Travel time per demand point to the nearest of ``base`` and the chosen sites."""
    out = base.copy()
    for j in chosen:
        idx, val = _row(costs, j)
        out[idx] = np.minimum(out[idx], val)
    return out


def _allocation(
    costs: sp.csr_array, base: FloatArray, weight: FloatArray, order: IntArray, reached0: BoolArray
) -> tuple[FloatArray, FloatArray]:
    """Weight served by each site (its nearest users) and weight newly reached by each."""
    best = base.copy()
    owner = np.full(base.shape, -1, dtype=np.int64)
    for k in np.argsort(order, kind="stable"):
        idx, val = _row(costs, order[k])
        better = val < best[idx]
        best[idx[better]] = val[better]
        owner[idx[better]] = k
    served = _sums(owner[owner >= 0], weight[owner >= 0], order.size)
    return served.astype(np.float64), _newly(costs, weight, order, reached0)
