r"""Two-step floating catchment area (2SFCA) supply-to-demand ratios.

The 2SFCA measure (Luo & Wang 2003) gives every demand point the supply per
person of the facilities it can reach, with every facility's supply shared
among all the people who can reach it:

1. for each facility ``j``, :math:`R_j = S_j / \sum_k W(d_{kj}) P_k`, the
   supply ``S_j`` (beds, places, square metres) over the weighted population
   ``P_k`` within its catchment;
2. for each demand point ``i``, :math:`A_i = \sum_j W(d_{ij}) R_j` over the
   facilities within the catchment.

``W`` is 1 within the catchment for the classic 2SFCA; the enhanced 2SFCA
(E2SFCA, Luo & Qi 2009) uses stepped zones such as
``[(5, 1.0), (10, 0.68), (15, 0.22)]``; any vectorised decay function works.
``A`` is in units of supply per person: with step weights, every facility
that has somebody in reach shares out all its supply, so the population-
weighted sum of ``A`` is the total supply of those facilities.

Costs, facilities x demand points, come in one of three ways:

* a **dense array** (numpy, or anything ``np.asarray`` reads): every finite
  entry is a pair within reach -- a 0 is a pair at zero cost (the facility
  stands at the demand point) -- and ``np.inf`` or NaN marks the pairs out of
  reach;
* a **scipy sparse matrix** whose *stored entries* are the pairs within reach,
  as :meth:`geoplan.Network.reach` returns them: a stored (explicit) 0 is a
  pair at zero cost, and an implicit (unstored) 0 means "not reachable".
  ``scipy.sparse.csr_matrix(dense)`` does not store the zeros of ``dense``,
  so it silently drops every zero-cost pair -- each such point then loses the
  facility at its own door, and that facility's supply is shared among fewer
  people, so the access of others rises. Pass the dense array itself, build
  the sparse matrix from (cost, (facility, point)) triplets, which keeps
  explicit zeros, or pass ``reachable=``;
* either of the above with ``reachable=``, a True/False matrix (dense or
  sparse) of the pairs within reach: the pairs it marks are in reach at their
  cost in ``cost`` -- where a sparse ``cost`` stores nothing, at cost 0 --
  and no other pair is. This is the plain way to say "reachable at zero cost".

The computation works on CSR arrays with two sparse matrix-vector products,
so a million demand points by thousands of facilities never become dense
(when the costs come sparse).

Conventions, aligned with PySAL ``access`` 1.1.10 (``Access.two_stage_fca``
and ``enhanced_two_stage_fca`` with ``normalize=False``):

* a pair is in the catchment when ``cost <= catchment`` (inclusive);
* a stepped zone ``(upper, weight)`` holds costs up to and including
  ``upper`` (as ``access.weights.step_fn``); beyond the last zone the weight
  is 0;
* the same weight applies in both steps; results are raw, not normalised.

Where PySAL returns NaN or inf we return 0, on purpose: a demand point that
reaches no facility gets ``A = 0`` (PySAL: NaN), and a facility with no
weighted population in its catchment gets ``R = 0`` (PySAL: absent, or inf
when people of zero population are in reach), since its supply serves no one.
Such facilities are counted in an INFO log message.

Examples
--------
>>> import scipy.sparse as sp
>>> facility, point, minutes = [0, 0], [0, 1], [2.0, 8.0]  # facility 1 reaches nobody
>>> cost = sp.csr_matrix((minutes, (facility, point)), shape=(2, 2))
>>> two_step_fca(cost, supply=[10, 5], demand=[100, 400], catchment=10)
array([0.02, 0.02])
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from geoplan._errors import InputError

if TYPE_CHECKING:
    from geoplan.network import Network

__all__ = ["Weight", "fca_ratios", "two_step_fca", "two_step_fca_from_network"]

log = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

Weight: TypeAlias = (
    Literal["step"] | Callable[[FloatArray], ArrayLike] | Sequence[tuple[float, float]]
)
"""How much a pair within the catchment counts, by its cost.

``"step"`` (1 everywhere in the catchment: classic 2SFCA); a function of
cost (Gaussian, gravity ...), best vectorised, array of costs in and array
of weights out, e.g. ``lambda d: np.exp(-d / 10)`` (a scalar function, such
as PySAL's ``access.weights.gravity``, is evaluated pair by pair, slowly); or
E2SFCA zones ``[(upper_bound, weight), ...]`` with increasing upper bounds,
each zone holding costs ``<= upper_bound``, and weight 0 beyond the last.
"""


# ----------------------------------------------------------------- inputs
def _cost_csr(cost: Any, reachable: Any = None) -> sp.csr_matrix:
    """Return the pairs within reach as CSR, facilities x demand, zero costs kept.

    ``cost`` is a scipy sparse matrix (stored entries are the pairs in reach; a
    duplicate keeps its lowest cost) or a dense array (finite entries are in
    reach, ``np.inf``/NaN are not). With ``reachable`` (True = in reach) the
    pairs are those it marks, at their cost in ``cost`` -- where a sparse matrix
    stores nothing, that cost is 0.
    """
    if reachable is not None:
        return _masked(cost, reachable)
    if not sp.issparse(cost):
        dense = _dense(cost)
        rows, cols = np.nonzero(np.isfinite(dense))
        return _canonical(rows, cols, dense[rows, cols], dense.shape)
    if cost.ndim != 2:
        msg = f"cost must be two-dimensional (facilities x demand points); got {cost.shape}"
        raise InputError(msg)
    if cost.format == "csr" and cost.has_canonical_format:
        return sp.csr_matrix(cost)
    coo = cost.tocoo()
    return _canonical(coo.row, coo.col, coo.data, cost.shape)


def _dense(cost: Any) -> FloatArray:
    """Read a dense cost array (facilities x demand points) as floats."""
    try:
        dense = np.asarray(cost, dtype=np.float64)
    except (TypeError, ValueError):
        msg = (
            f"cost must be a numeric array or a scipy sparse matrix (facilities x demand "
            f"points); got {type(cost)!r}"
        )
        raise InputError(msg) from None
    if dense.ndim != 2:
        msg = f"cost must be two-dimensional (facilities x demand points); got {dense.shape}"
        raise InputError(msg)
    return dense


def _canonical(row: ArrayLike, col: ArrayLike, data: ArrayLike, shape: Any) -> sp.csr_matrix:
    """CSR of the pairs (row, col, data), each pair once with its lowest cost."""
    row = np.asarray(row, dtype=np.int64)
    col = np.asarray(col, dtype=np.int64)
    data = np.asarray(data, dtype=np.float64)
    order = np.lexsort((data, col, row))
    row, col, data = row[order], col[order], data[order]
    first = np.ones(len(row), dtype=bool)
    first[1:] = (row[1:] != row[:-1]) | (col[1:] != col[:-1])
    row, col, data = row[first], col[first], data[first]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(row, minlength=shape[0]))])
    return sp.csr_matrix((data, col, indptr), shape=shape)


def _masked(cost: Any, reachable: Any) -> sp.csr_matrix:
    """Return the pairs ``reachable`` marks, at their cost (0 where a sparse cost stores none)."""
    rows, cols, shape = _flags(reachable)
    if sp.issparse(cost):
        matrix = _cost_csr(cost)
        _same_shape(matrix.shape, shape)
        found = np.asarray(matrix[rows, cols], dtype=np.float64).ravel()
    else:
        dense = _dense(cost)
        _same_shape(dense.shape, shape)
        found = dense[rows, cols]
        bad = int((~np.isfinite(found)).sum())
        if bad:
            msg = (
                f"reachable marks {bad} pairs in reach whose cost is inf or NaN; give their "
                "cost, or mark them False"
            )
            raise InputError(msg)
    return _canonical(rows, cols, found, shape)


def _flags(reachable: Any) -> tuple[IntArray, IntArray, tuple[int, int]]:
    """Rows, columns and shape of the pairs a True/False (or 1/0) matrix marks True."""
    if sp.issparse(reachable):
        coo = sp.coo_matrix(reachable)
        coo.sum_duplicates()
        rows, cols, values, shape = coo.row, coo.col, np.asarray(coo.data), coo.shape
    else:
        flags = np.asarray(reachable)
        if flags.ndim != 2:
            msg = (
                f"reachable must be two-dimensional (facilities x demand points); got {flags.shape}"
            )
            raise InputError(msg)
        rows, cols = np.nonzero(flags)
        values, shape = flags[rows, cols], flags.shape
    if values.dtype != np.bool_ and not np.isin(values, (0, 1)).all():
        msg = "reachable must hold True/False (or 1/0): True where the pair is within reach"
        raise InputError(msg)
    keep = values.astype(bool)
    shape2 = (int(shape[0]), int(shape[1]))
    return rows[keep].astype(np.int64), cols[keep].astype(np.int64), shape2


def _same_shape(cost_shape: tuple[int, ...], shape: tuple[int, int]) -> None:
    if tuple(cost_shape) != shape:
        msg = (
            f"reachable has shape {shape} but cost has {tuple(cost_shape)}; give one flag per "
            "pair (facilities x demand points)"
        )
        raise InputError(msg)


def _amounts(data: ArrayLike, n: int, name: str, axis: str) -> FloatArray:
    """Validate supply or demand: ``n`` finite, zero-or-positive numbers."""
    try:
        if isinstance(data, pd.Series):  # nullable dtypes: pd.NA becomes NaN
            array = data.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            array = np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError):
        msg = f"{name} must be numbers, one per {axis}; got {type(data)!r}"
        raise InputError(msg) from None
    if array.ndim != 1 or len(array) != n:
        where, kind = ("rows", "facilities") if axis == "facility" else ("columns", "demand points")
        msg = (
            f"{name} has shape {array.shape} but cost has {n} {where} ({kind}); give one number "
            f"per {axis}, in the order of the cost matrix's {where}"
        )
        raise InputError(msg)
    bad = ~np.isfinite(array) | (array < 0)
    if bad.any():
        msg = (
            f"{name}: {int(bad.sum())} of {n} entries are NaN, infinite or negative; fill "
            "missing ones with 0 (e.g. series.fillna(0)) or drop those rows"
        )
        raise InputError(msg)
    return array


def _catchment(catchment: float) -> float:
    try:
        value = float(catchment)
    except (TypeError, ValueError):
        msg = f"catchment={catchment!r} is not a number; e.g. catchment=15 (minutes)"
        raise InputError(msg) from None
    if math.isnan(value) or value < 0:
        msg = f"catchment={catchment!r} must be zero or positive; e.g. catchment=15 (minutes)"
        raise InputError(msg)
    return value


def _check_costs(data: FloatArray) -> None:
    bad = np.isnan(data) | (data < 0)
    if bad.any():
        msg = (
            f"cost: {int(bad.sum())} of {len(data)} stored entries are NaN or negative; a "
            "travel cost must be zero or positive. Drop pairs that are out of reach instead "
            "of storing NaN"
        )
        raise InputError(msg)


# ----------------------------------------------------------------- weights
def _zones(weight: Sequence[tuple[float, float]]) -> tuple[FloatArray, FloatArray]:
    """Validate E2SFCA zones; return (upper bounds, weights)."""
    try:
        table = np.asarray([(float(u), float(v)) for u, v in weight], dtype=np.float64)
    except (TypeError, ValueError):
        msg = (
            "weight zones must be (upper_bound, weight) pairs, e.g. "
            "[(5, 1.0), (10, 0.68), (15, 0.22)]"
        )
        raise InputError(msg) from None
    if len(table) == 0:
        msg = "weight zones are empty; give at least one (upper_bound, weight) pair, or 'step'"
        raise InputError(msg)
    upper, value = table[:, 0], table[:, 1]
    if np.isnan(upper).any() or (np.diff(upper) <= 0).any():
        msg = f"weight zones' upper bounds must increase strictly; got {upper.tolist()}"
        raise InputError(msg)
    if not np.isfinite(value).all() or (value < 0).any():
        msg = f"weight zones' weights must be finite and zero or positive; got {value.tolist()}"
        raise InputError(msg)
    return upper, value


def _weigh(costs: FloatArray, weight: Weight) -> FloatArray:
    """Weight of every cost within the catchment."""
    if isinstance(weight, str):
        if weight != "step":
            msg = (
                f"weight={weight!r} is not known; use 'step', a function of cost, or zones "
                "like [(5, 1.0), (10, 0.68), (15, 0.22)]"
            )
            raise InputError(msg)
        return np.ones(len(costs))
    if callable(weight):
        return _call_weight(weight, costs)
    upper, value = _zones(weight)
    zone = np.searchsorted(upper, costs, side="left")  # first zone with cost <= upper
    inside = zone < len(upper)
    out = np.zeros(len(costs))
    out[inside] = value[zone[inside]]
    return out


def _call_weight(weight: Callable[[FloatArray], ArrayLike], costs: FloatArray) -> FloatArray:
    """Apply a weight function to all costs at once, else pair by pair; check the weights."""
    try:
        result = np.asarray(weight(costs.copy()), dtype=np.float64)
    except (TypeError, ValueError):  # a scalar function, e.g. access.weights.gravity
        result = np.empty(0)
    if result.shape != costs.shape:
        log.info(
            "the weight function is not vectorised (array in, array out); evaluating it for "
            "each of %d pairs, which is slow on large matrices",
            len(costs),
        )
        scalar: Callable[[float], float] = weight  # type: ignore[assignment]
        result = np.fromiter((scalar(c) for c in costs.tolist()), np.float64, len(costs))
    bad = ~np.isfinite(result) | (result < 0)
    if bad.any():
        msg = (
            f"the weight function returned {int(bad.sum())} NaN, infinite or negative weights "
            f"(for costs such as {costs[bad][:3].tolist()}); weights must be zero or positive"
        )
        raise InputError(msg)
    return result


# ----------------------------------------------------------------- core
def _weighted_reach(
    cost: Any, catchment: float, weight: Weight, reachable: Any = None
) -> sp.csr_matrix:
    """Facilities x demand CSR matrix of weights W(d) for the pairs within the catchment."""
    matrix = _cost_csr(cost, reachable)
    limit = _catchment(catchment)
    data = np.asarray(matrix.data, dtype=np.float64)
    _check_costs(data)
    inside = data <= limit  # inf costs are never inside, whatever the catchment
    inside &= np.isfinite(data)
    weights = np.zeros(len(data))
    weights[inside] = _weigh(data[inside], weight)
    return sp.csr_matrix((weights, matrix.indices, matrix.indptr), shape=matrix.shape)


def _ratios(reach: sp.csr_matrix, supply: FloatArray, demand: FloatArray) -> FloatArray:
    """Step 1: supply over weighted population in reach, 0 where nobody is in reach."""
    people = np.asarray(reach @ demand, dtype=np.float64)
    served = people > 0
    ratio = np.zeros(len(supply))
    ratio[served] = supply[served] / people[served]
    idle = int((~served).sum())
    if idle:
        log.info(
            "%d of %d facilities have no population within the catchment; their "
            "supply-to-demand ratio is set to 0 (their supply of %g serves no one)",
            idle,
            len(supply),
            float(supply[~served].sum()),
        )
    return ratio


def _prepare(
    cost: Any,
    supply: ArrayLike,
    demand: ArrayLike,
    catchment: float,
    weight: Weight,
    *,
    reachable: Any = None,
) -> tuple[sp.csr_matrix, FloatArray, FloatArray]:
    reach = _weighted_reach(cost, catchment, weight, reachable)
    n_facilities, n_demand = reach.shape
    return (
        reach,
        _amounts(supply, n_facilities, "supply", "facility"),
        _amounts(demand, n_demand, "demand", "demand point"),
    )


def fca_ratios(
    cost: Any,
    supply: ArrayLike,
    demand: ArrayLike,
    *,
    catchment: float,
    weight: Weight = "step",
    reachable: Any = None,
) -> FloatArray:
    r"""Step 1 of 2SFCA: every facility's supply per weighted person in its catchment.

    :math:`R_j = S_j / \sum_k W(d_{kj}) P_k` over the demand points ``k``
    within the catchment of facility ``j``. (PySAL's ``fca_ratio`` is a
    different, per-location measure.)

    Parameters
    ----------
    cost
        Travel cost (minutes or metres), facilities x demand points: a dense
        array (finite = in reach, zeros included; ``np.inf``/NaN = out of
        reach) or a scipy sparse matrix (stored entries, explicit zeros
        included, are the pairs in reach; an unstored pair is out of reach).
    supply
        Capacity per facility (row), zero or positive.
    demand
        Population per demand point (column), zero or positive.
    catchment
        Largest cost counted, inclusive (in the units of ``cost``); ``inf``
        keeps every stored pair.
    weight
        ``"step"``, a vectorised function of cost, or E2SFCA zones; see
        :data:`Weight`.
    reachable
        True/False matrix (dense or sparse, the shape of ``cost``) of the
        pairs within reach; they are in reach at their cost in ``cost`` (0
        where a sparse ``cost`` stores nothing) and no other pair is.

    Returns
    -------
    numpy.ndarray
        ``R`` per facility; 0 for a facility with no weighted population in
        its catchment (logged).

    Raises
    ------
    InputError
        A malformed ``cost`` or ``reachable``, negative costs (or NaN stored
        in a sparse matrix), supply or demand of the wrong length or with
        NaN/negative entries, a bad catchment or weight.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> cost = sp.csr_matrix(([3.0, 12.0], ([0, 0], [0, 1])), shape=(1, 2))
    >>> fca_ratios(cost, [6], [100, 200], catchment=15, weight=[(5, 1.0), (15, 0.5)])
    array([0.03])
    """
    reach, supply_, demand_ = _prepare(cost, supply, demand, catchment, weight, reachable=reachable)
    return _ratios(reach, supply_, demand_)


def two_step_fca(
    cost: Any,
    supply: ArrayLike,
    demand: ArrayLike,
    *,
    catchment: float,
    weight: Weight = "step",
    reachable: Any = None,
) -> FloatArray:
    r"""2SFCA (or E2SFCA) access of every demand point: supply per person in reach.

    :math:`A_i = \sum_j W(d_{ij}) R_j` with :math:`R_j` from
    :func:`fca_ratios`. The population-weighted sum of ``A`` equals the total
    supply of the facilities that have somebody in reach (with ``"step"``).

    Parameters
    ----------
    cost, supply, demand, catchment, weight, reachable
        As for :func:`fca_ratios`.

    Returns
    -------
    numpy.ndarray
        ``A`` per demand point (column of ``cost``); 0 where no facility is
        within the catchment.

    Raises
    ------
    InputError
        As for :func:`fca_ratios`.

    Examples
    --------
    Two clinics of 10 and 20 doctors; three neighbourhoods of 100 people:

    >>> import scipy.sparse as sp
    >>> cost = sp.csr_matrix(([5.0, 10.0, 0.0, 12.0], ([0, 0, 1, 1], [0, 1, 1, 2])),
    ...                      shape=(2, 3))
    >>> two_step_fca(cost, [10, 20], [100, 100, 100], catchment=15)
    array([0.05, 0.15, 0.1 ])

    The same as a dense array: ``np.inf`` out of reach, the 0 a real cost of 0:

    >>> import numpy as np
    >>> dense = np.array([[5.0, 10.0, np.inf], [np.inf, 0.0, 12.0]])
    >>> two_step_fca(dense, [10, 20], [100, 100, 100], catchment=15)
    array([0.05, 0.15, 0.1 ])
    """
    reach, supply_, demand_ = _prepare(cost, supply, demand, catchment, weight, reachable=reachable)
    ratio = _ratios(reach, supply_, demand_)
    access = np.asarray(reach.T @ ratio, dtype=np.float64)
    if log.isEnabledFor(logging.INFO):
        served = np.bincount(reach.indices[reach.data > 0], minlength=len(access)) > 0
        if not served.all():
            log.info(
                "%d of %d demand points have no facility within the catchment; their access is 0",
                int((~served).sum()),
                len(access),
            )
    return access


def two_step_fca_from_network(
    network: Network,
    facilities: Any,
    demand: Any,
    *,
    minutes: float,
    supply: str,
    population: str = "population",
    weight: Weight = "step",
) -> pd.Series:
    """2SFCA (or E2SFCA) access of demand points along a walking network.

    Network distances come from :meth:`geoplan.Network.reach` (facilities to
    demand points, including the snapping legs) and are turned into minutes
    at ``network.speed_m_s``; pairs farther than ``minutes`` are out of reach.

    Parameters
    ----------
    network
        The travel network.
    facilities
        GeoDataFrame of facilities in the network CRS, with a ``supply``
        column.
    demand
        GeoDataFrame of demand points in the network CRS, with a
        ``population`` column.
    minutes
        The catchment in minutes of travel.
    supply
        Column of ``facilities`` holding capacity.
    population
        Column of ``demand`` holding population.
    weight
        ``"step"``, a vectorised function of *minutes*, or E2SFCA zones in
        minutes; see :data:`Weight`.

    Returns
    -------
    pandas.Series
        Access (supply per person) indexed like ``demand``, named
        ``"2sfca_<supply>"``. Points that cannot be snapped to the network
        (reported by an :class:`~geoplan.UnreachablePointsWarning`) get 0.

    Raises
    ------
    InputError
        A missing column, or anything :func:`two_step_fca` rejects.
    CRSError
        Facilities or demand not in the network CRS.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> from geoplan import Network
    >>> net = Network.from_edges([(0, 0, 600, 0)], crs=32651, speed_m_s=1.0)
    >>> clinic = gpd.GeoDataFrame({"doctors": [3]}, geometry=[Point(0, 0)], crs=32651)
    >>> homes = gpd.GeoDataFrame({"population": [100, 200]},
    ...                          geometry=[Point(60, 0), Point(600, 0)], crs=32651)
    >>> two_step_fca_from_network(net, clinic, homes, minutes=5, supply="doctors").tolist()
    [0.03, 0.0]
    """
    for frame, column, what in ((facilities, supply, "facilities"), (demand, population, "demand")):
        if column not in frame.columns:
            msg = f"the {what} have no column {column!r}; columns are {list(frame.columns)}"
            raise InputError(msg)
    limit = _catchment(minutes)
    metres = network.reach_targets(facilities, demand, minutes=limit)
    # reach keeps d <= minutes * 60 * speed; dividing back may overshoot by one ulp
    in_minutes = np.minimum(np.asarray(metres.data) / (60.0 * network.speed_m_s), limit)
    cost = sp.csr_matrix((in_minutes, metres.indices, metres.indptr), shape=metres.shape)
    access = two_step_fca(
        cost,
        facilities[supply],
        demand[population],
        catchment=limit,
        weight=weight,
    )
    return pd.Series(access, index=demand.index, name=f"2sfca_{supply}")
