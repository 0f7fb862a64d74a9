"""Array types and the small array helpers every model module uses."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

#: Relative tolerance of every "reaches", "covers enough" and "improves" comparison.
_TOL = 1e-9


def _empty_int() -> IntArray:
    return np.zeros(0, dtype=np.int64)


def _empty_float() -> FloatArray:
    return np.zeros(0, dtype=np.float64)


def _sums(index: ArrayLike, weights: ArrayLike, size: int) -> FloatArray:
    """Sum ``weights`` by ``index`` into ``size`` bins."""
    return np.bincount(index, weights=weights, minlength=size).astype(np.float64)


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _row(a: sp.csr_array, j: int) -> tuple[IntArray, FloatArray]:
    """Column indices and values stored in row ``j`` of ``a`` (views, not copies)."""
    lo, hi = a.indptr[j], a.indptr[j + 1]
    return a.indices[lo:hi], a.data[lo:hi]
