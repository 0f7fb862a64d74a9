"""Pieces the coverage-family models share: ordering chosen sites and the set-cover program."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from geoplan.models._arrays import BoolArray, FloatArray, IntArray
from geoplan.models._reduce import _Cover
from geoplan.models._solve import _Program


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


def _cover_newly(pattern: sp.csr_array, gainable: FloatArray, order: IntArray) -> FloatArray:
    covered = np.zeros(pattern.shape[1], dtype=bool)
    out = np.zeros(order.size)
    for k, j in enumerate(order):
        idx = pattern.indices[pattern.indptr[j] : pattern.indptr[j + 1]]
        out[k] = float(gainable[idx][~covered[idx]].sum())
        covered[idx] = True
    return out


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
