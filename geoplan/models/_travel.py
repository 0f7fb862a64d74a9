"""Pieces the travel-time models (p-median, p-center) share: times, penalty, allocation."""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp

from geoplan.models._arrays import BoolArray, FloatArray, IntArray, _sums
from geoplan.models._validate import _fail


def _limit(costs: sp.csr_array, times0: FloatArray, limit: float | None) -> float:
    if limit is not None:
        if isinstance(limit, bool) or not (isinstance(limit, numbers.Real) and limit >= 0):
            msg = f"limit must be the search limit (a number >= 0); got {limit!r}"
            raise _fail(msg)
        return float(limit)
    finite0 = times0[np.isfinite(times0)]
    return float(max(costs.data.max(initial=0.0), finite0.max(initial=0.0)))


def _times(costs: sp.csr_array, base: FloatArray, chosen: IntArray) -> FloatArray:
    """Travel time per demand point to the nearest of ``base`` and the chosen sites."""
    out = base.copy()
    for j in chosen:
        lo, hi = costs.indptr[j], costs.indptr[j + 1]
        idx = costs.indices[lo:hi]
        out[idx] = np.minimum(out[idx], costs.data[lo:hi])
    return out


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
