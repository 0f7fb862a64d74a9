"""Input checks: matrices, per-point and per-candidate vectors, counts and solver options.

Every check raises :class:`geoplan.InputError` with a message that says what to pass instead.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from geoplan._errors import InputError
from geoplan.models._arrays import BoolArray, FloatArray


def _fail(msg: str) -> InputError:
    return InputError(msg)


def _as_pattern(matrix: Any, name: str) -> sp.csr_array:
    """Candidate-major CSR whose stored entries are 1.0: the coverage pattern."""
    if sp.issparse(matrix):
        out = sp.csr_array(matrix, dtype=np.float64, copy=True)
    else:
        dense = _matrix(matrix, name)
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
    if not sp.issparse(matrix):
        return _dense_cost(_matrix(matrix, name, np.float64), name)
    coo = sp.coo_array(matrix)
    rows, cols, data = coo.row, coo.col, np.asarray(coo.data, dtype=np.float64)
    shape = coo.shape
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


def _dense_cost(dense: NDArray[np.float64], name: str) -> sp.csr_array:
    """Return a dense travel-time matrix as CSR (``inf`` left out), checked as `_as_cost` is.

    Its finite cells, taken row by row, are already in CSR order and unique.
    """
    if dense.shape[0] == 0:
        msg = f"{name} has no candidates (0 rows); pass at least one candidate site"
        raise _fail(msg)
    reached = ~np.isinf(dense)
    data = dense[reached]
    if np.isnan(data).any() or (data < 0).any():
        msg = (
            f"{name} holds NaN or negative travel times; store only reachable pairs with "
            "times >= 0 (leave unreachable pairs out)"
        )
        raise _fail(msg)
    indptr = np.concatenate([[0], np.cumsum(reached.sum(axis=1))])
    cols = np.nonzero(reached)[1]
    return sp.csr_array((data, cols, indptr), shape=dense.shape)


def _matrix(matrix: Any, name: str, dtype: type[np.float64] | None = None) -> NDArray[Any]:
    """Read ``matrix`` as a dense 2-D array."""
    dense = np.asarray(matrix, dtype=dtype)
    if dense.ndim != 2:
        msg = f"{name} must be a 2-D candidates x demand matrix; got {dense.ndim} dimension(s)"
        raise _fail(msg)
    return dense


def _one_each(arr: NDArray[Any], n: int, name: str, what: str) -> NDArray[Any]:
    """``arr``, checked to be 1-D with ``n`` entries (``what``: "value per candidate", ...)."""
    if arr.ndim != 1 or arr.shape[0] != n:
        msg = f"{name} must have one {what} ({n}); got shape {arr.shape}"
        raise _fail(msg)
    return arr


def _vector(values: ArrayLike, n: int, name: str, what: str) -> FloatArray:
    return _one_each(np.asarray(values, dtype=np.float64), n, name, f"value per {what}")


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
    arr = _one_each(np.asarray(values), n, name, "True/False per demand point")
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


def _solver(solver: str, time_limit: float | None, mip_gap: float) -> None:
    """Check the solver options: the time limit, the solver's name, the MIP gap (in that order)."""
    if time_limit is not None and (isinstance(time_limit, bool) or not time_limit > 0):
        msg = f"time_limit must be a positive number of seconds (or None); got {time_limit!r}"
        raise _fail(msg)
    if solver not in ("auto", "exact", "greedy"):
        msg = f"solver must be 'auto', 'exact' or 'greedy'; got {solver!r}"
        raise _fail(msg)
    if isinstance(mip_gap, bool) or not isinstance(mip_gap, numbers.Real) or not 0 <= mip_gap < 1:
        msg = f"mip_gap must be a relative gap in [0, 1); got {mip_gap!r}"
        raise _fail(msg)


def _costs(cost: ArrayLike | None, m: int) -> FloatArray:
    if cost is None:
        return np.ones(m)
    arr = _vector(cost, m, "cost", "candidate")
    if not np.all(np.isfinite(arr)) or (arr < 0).any():
        msg = "cost must be finite and >= 0 for every candidate"
        raise _fail(msg)
    return arr
