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
from geoplan.models._arrays import BoolArray, FloatArray, IntArray


def _fail(msg: str) -> InputError:
    return InputError(msg)


def _as_pattern(matrix: Any, name: str, radius: float | None = None) -> sp.csr_array:
    """Candidate-major CSR whose stored entries are 1.0: the coverage pattern.

    Without ``radius``, ``matrix`` must be boolean or hold only 0 and 1 (True/1 =
    covers; a stored 0 or False in a sparse matrix does not cover); a matrix with
    other values is refused, since reading every nonzero distance as "covers" would
    cover everything. With ``radius``, ``matrix`` holds distances or times and a
    pair covers when its value is <= ``radius`` -- zeros included (a dense 0 is "at
    the site"); ``np.inf`` in a dense matrix and the unstored pairs of a sparse one
    are out of reach.
    """
    limit = _radius(radius)
    if sp.issparse(matrix):
        coo = sp.coo_array(matrix)
        if coo.ndim != 2:
            msg = f"{name} must be a 2-D candidates x demand matrix"
            raise _fail(msg)
        shape = coo.shape
        hit = _covers(np.asarray(coo.data), name, limit)
        rows, cols = coo.row[hit], coo.col[hit]
    else:
        dense = _matrix(matrix, name)
        shape = dense.shape
        rows, cols = np.nonzero(_covers(dense, name, limit))
    if shape[0] == 0:
        msg = f"{name} has no candidates (0 rows); pass at least one candidate site"
        raise _fail(msg)
    out = sp.csr_array((np.ones(rows.size), (rows, cols)), shape=shape)
    out.sum_duplicates()
    out.data = np.ones_like(out.data)
    return out


def _radius(radius: Any) -> float | None:
    """Check ``radius`` (None, or a distance/time >= 0; ``inf`` = every finite pair)."""
    if radius is None:
        return None
    if isinstance(radius, bool) or not isinstance(radius, numbers.Real) or not float(radius) >= 0:
        msg = (
            f"radius must be the coverage threshold, a number >= 0 in the units of the "
            f"matrix (e.g. radius=800 for metres); got {radius!r}"
        )
        raise _fail(msg)
    return float(radius)


def _covers(values: NDArray[Any], name: str, radius: float | None) -> BoolArray:
    """Which entries of ``values`` mean "covers": True/1, or a distance <= ``radius``."""
    if values.dtype == np.bool_:
        if radius is not None:
            msg = (
                f"{name} is boolean (True = covers), but radius= reads it as distances; "
                "drop radius, or pass the distance matrix itself with radius="
            )
            raise _fail(msg)
        return np.asarray(values, dtype=np.bool_)
    try:
        numbers_ = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        msg = f"{name} must hold numbers or True/False; got {values.dtype} entries"
        raise _fail(msg) from None
    if radius is None:
        return _zero_one(numbers_, name)
    if np.isnan(numbers_).any() or (numbers_ < 0).any():
        msg = (
            f"{name} holds NaN or negative distances; use distances >= 0, with np.inf (dense) "
            "or no stored entry (sparse) for the pairs out of reach"
        )
        raise _fail(msg)
    return np.isfinite(numbers_) & (numbers_ <= radius)


def _zero_one(values: FloatArray, name: str) -> BoolArray:
    """Read a 0/1 matrix (1 = covers); refuse NaN and any other value."""
    if np.isnan(values).any():
        msg = f"{name} holds NaN; use True/1 for covered pairs and False/0 for the rest"
        raise _fail(msg)
    other = (values != 0) & (values != 1)
    if other.any():
        shown = ", ".join(f"{v:g}" for v in np.unique(values[other])[:3])
        msg = (
            f"{name} holds {int(other.sum())} values other than 0 and 1 (e.g. {shown}): it "
            "looks like a distance or time matrix, where every nonzero entry would count as "
            "'covers'. Pass radius= (pairs with a value <= radius cover, zeros included), or "
            "a boolean matrix such as dist <= 800"
        )
        raise _fail(msg)
    return np.asarray(values == 1, dtype=np.bool_)


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


def _sites(values: ArrayLike | None, m: int, name: str) -> IntArray:
    """Candidate positions from positions or a True/False mask over the ``m`` candidates.

    Returns the sorted, unique positions; a mask must be boolean (0/1 integers are
    read as positions, so a 0/1 vector repeating 0 is refused as ambiguous).
    """
    if values is None:
        return np.zeros(0, dtype=np.int64)
    arr = np.asarray(values)
    if arr.dtype == np.bool_:
        return np.flatnonzero(_one_each(arr, m, name, "True/False per candidate")).astype(np.int64)
    if arr.ndim != 1 or arr.dtype.kind not in "iu":
        msg = (
            f"{name} must list candidate positions (whole numbers, rows of the matrix) or be "
            f"a True/False mask with one entry per candidate; got {arr.dtype} of shape {arr.shape}"
        )
        raise _fail(msg)
    if arr.size and (arr.min() < 0 or arr.max() >= m):
        msg = f"{name} holds positions outside 0..{m - 1}; positions are rows of the matrix"
        raise _fail(msg)
    if np.unique(arr).size != arr.size:
        msg = (
            f"{name} repeats a position; list each candidate once, or pass a True/False mask "
            f"as np.asarray({name}, dtype=bool)"
        )
        raise _fail(msg)
    return np.sort(arr.astype(np.int64))
