"""Model reduction: leave out demand and candidates that cannot change the optimum.

Identical demand rows are merged (weights summed), candidates that cover nothing are
dropped, and -- for the pure coverage models -- so are candidates whose cover set lies
within another's that costs no more.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from geoplan.models._arrays import BoolArray, FloatArray, IntArray, _empty_int, _sums

log = logging.getLogger("geoplan.models")

#: Rows of one length are first told apart by a hash when they hold more than this
#: many cells together (a dense p-median matrix: no two rows alike, and sorting
#: them all took a second for 5,000 x 500).
_FINGERPRINT_CELLS = 1_000_000

#: Above this many candidate-pair products, dominance checks are skipped.
_DOMINANCE_WORK = 20_000_000


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


def _all_distinct(key: IntArray) -> bool:
    """Whether the rows of ``key`` all differ, told by a hash of each (equal rows hash alike)."""
    weights = np.random.default_rng(0).integers(1, 2**62, key.shape[1]) | 1
    with np.errstate(over="ignore"):
        fingerprint = (key * weights).sum(axis=1)
    return bool(np.unique(fingerprint).size == key.shape[0])


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
        elif key.size > _FINGERPRINT_CELLS and _all_distinct(key):
            inverse = np.arange(len(members), dtype=np.int64)
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


def _original_positions(model_cand: IntArray, chosen: list[int]) -> IntArray:
    return np.sort(model_cand[np.asarray(chosen, dtype=np.int64)]) if chosen else _empty_int()
