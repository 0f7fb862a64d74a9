"""The pairs of a savings matrix by demand point, best saving first, for prefix queries.

Swap search and the Lagrangian bound only ever need, for each demand point, the pairs
whose saving is above a threshold (the point's second-best saving among the chosen
sites; its multiplier): with each point's pairs sorted best first these are a prefix,
found by a binary search per point, so a step costs the pairs that matter rather
than every pair -- on a dense p-median matrix a small share of them.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from geoplan.models._arrays import FloatArray, IntArray


class _ByPoint:
    """Pairs of a candidates x demand savings matrix grouped by point, largest saving first.

    ``ptr`` delimits each point's pairs in ``site`` (candidate), ``saving`` and
    ``point``; ties keep the lower candidate first.
    """

    def __init__(self, s: sp.csr_array) -> None:
        self.m, self.n = s.shape
        rows = sp.csr_array(s.T)
        rows.sort_indices()
        order = _best_first(rows)
        self.point = np.repeat(np.arange(self.n), np.diff(rows.indptr))
        self.site = rows.indices[order].astype(np.int64)
        self.saving = np.asarray(rows.data[order], dtype=np.float64)
        self.ptr = rows.indptr.astype(np.int64)

    def above(self, points: IntArray, threshold: FloatArray) -> IntArray:
        """Positions of the pairs of ``points`` whose saving exceeds the point's ``threshold``."""
        lo = self.ptr[points].copy()
        hi = self.ptr[points + 1].copy()
        while True:
            active = lo < hi
            if not active.any():
                break
            mid = (lo + hi) // 2
            go_right = active & (self.saving[np.minimum(mid, self.saving.size - 1)] > threshold)
            lo = np.where(go_right, mid + 1, lo)
            hi = np.where(active & ~go_right, mid, hi)
        return _ranges(self.ptr[points], lo)

    def all(self, points: IntArray) -> IntArray:
        """Positions of every pair of ``points``."""
        return _ranges(self.ptr[points], self.ptr[points + 1])


def _best_first(rows: sp.csr_array) -> IntArray:
    """Order the entries of ``rows`` so that each row runs from its largest value down.

    Rows of one length are sorted together as a 2-D array (ties keep the
    column order).
    """
    lengths = np.diff(rows.indptr)
    order = np.arange(rows.nnz, dtype=np.int64)
    for length in np.unique(lengths[lengths > 1]):
        starts = rows.indptr[:-1][lengths == length]
        at = starts[:, None] + np.arange(length)
        order[at] = np.take_along_axis(
            at, np.argsort(-rows.data[at], axis=1, kind="stable"), axis=1
        )
    return order


def _ranges(lo: IntArray, hi: IntArray) -> IntArray:
    """Concatenate the positions lo[k] .. hi[k] - 1 of every k."""
    counts = hi - lo
    starts = np.repeat(lo - np.cumsum(counts) + counts, counts)
    return (starts + np.arange(int(counts.sum()))).astype(np.int64)
