"""Inequality of access across people and communities: Gini, Palma and Theil.

Every index takes one value per row (a community's or a demand point's access:
minutes saved, facilities in reach, a 2SFCA ratio, a coverage share ...) and,
optionally, the population of each row as its weight, so that the result
describes *people*, not rows: a community of 5,000 counts 5,000 times.

Conventions (aligned with the R ``accessibility`` package of ipeaGIT where it
defines the same measure, and stated where we differ):

* :func:`gini` is the population-weighted Gini index, one minus twice the area
  under the Lorenz curve (equal to ``R accessibility::gini_index``). It is the
  "population" Gini without the small-sample factor ``n / (n - 1)``: values
  ``[0, 0, 0, 1]`` give 0.75.
* :func:`palma` is the classic Palma ratio, the share of the total held by the
  richest 10 % of *people* divided by the share held by the poorest 40 %, with
  a row straddling a boundary split by population (see its docstring);
  ``method="r_accessibility"`` reproduces ``R accessibility::palma_ratio``
  instead, which differs.
* :func:`theil` is the Theil T index with the limit ``0 * log(0) = 0`` (the R
  package returns NaN when any value is zero); :func:`theil_decomposition`
  splits it into within- and between-group parts exactly as
  ``R accessibility::theil_t`` does.

All three are scale invariant (doubling every value changes nothing) and do
not depend on the order of rows. Values and weights must be finite and zero
or positive; NaN, infinite or negative entries raise
:class:`~geoplan.InputError` naming how many there are.

Examples
--------
>>> gini([0, 0, 0, 1])
0.75
>>> round(theil([1, 3]), 4)
0.1308
"""

from __future__ import annotations

import logging
import math
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from geoplan._errors import InputError

__all__ = ["equity_table", "gini", "palma", "theil", "theil_decomposition"]

log = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
PalmaMethod = Literal["share", "r_accessibility"]

_BOTTOM = 0.4
_TOP = 0.9
_OVERALL = "all"


# ----------------------------------------------------------------- validation
def _as_array(data: ArrayLike, name: str) -> FloatArray:
    """Return ``data`` as a 1-D float array, or raise InputError naming ``name``."""
    try:
        if isinstance(data, pd.Series):  # nullable dtypes: pd.NA becomes NaN
            array = data.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            array = np.asarray(data, dtype=np.float64)
    except (TypeError, ValueError):
        msg = f"{name} must be numbers (a list, array or Series of floats); got {type(data)!r}"
        raise InputError(msg) from None
    if array.ndim != 1:
        msg = f"{name} must be one-dimensional (one number per row); got shape {array.shape}"
        raise InputError(msg)
    return array


def _check_entries(array: FloatArray, name: str) -> None:
    """Raise InputError if ``array`` holds NaN, infinite or negative entries."""
    bad = ~np.isfinite(array)
    if bad.any():
        msg = (
            f"{name}: {int(bad.sum())} of {len(array)} entries are NaN or infinite; drop those "
            "rows or fill them (e.g. series.fillna(0) where a missing value means no access) "
            "before measuring inequality"
        )
        raise InputError(msg)
    negative = array < 0
    if negative.any():
        msg = (
            f"{name}: {int(negative.sum())} of {len(array)} entries are negative; access values "
            "and populations must be zero or positive. Check how the column was computed"
        )
        raise InputError(msg)


def _clean(
    values: ArrayLike,
    weights: ArrayLike | None,
    *,
    names: tuple[str, str] = ("values", "weights"),
) -> tuple[FloatArray, FloatArray]:
    """Validate values and weights; return them as float arrays of equal length."""
    value_name, weight_name = names
    x = _as_array(values, value_name)
    if len(x) == 0:
        msg = f"{value_name} is empty: pass at least one value (one per community or point)"
        raise InputError(msg)
    _check_entries(x, value_name)
    if weights is None:
        return x, np.ones(len(x))
    w = _as_array(weights, weight_name)
    if len(w) != len(x):
        msg = (
            f"{weight_name} has {len(w)} entries but {value_name} has {len(x)}; give one "
            "weight per value"
        )
        raise InputError(msg)
    _check_entries(w, weight_name)
    if not w.sum() > 0:
        msg = (
            f"{weight_name} (population) sum to zero: nobody to measure. Pass the population, "
            "or no weights to count every row once"
        )
        raise InputError(msg)
    return x, w


def _ratio(top: float, bottom: float) -> float:
    """``top / bottom`` with 0/0 = NaN and positive/0 = inf, without numpy warnings."""
    if bottom > 0:
        return top / bottom
    return math.inf if top > 0 else math.nan


# ----------------------------------------------------------------- Gini
def gini(values: ArrayLike, weights: ArrayLike | None = None) -> float:
    r"""Population-weighted Gini index of access.

    .. math:: G = \frac{\sum_i \sum_j w_i w_j |x_i - x_j|}{2 W^2 \bar x}

    with :math:`W = \sum w_i` and :math:`\bar x` the weighted mean: one minus
    twice the area under the Lorenz curve, as ``R accessibility::gini_index``.
    A weight of ``k`` is the same as repeating the row ``k`` times.

    Parameters
    ----------
    values
        Access per row; zero or positive.
    weights
        Population per row; every row counts once when omitted.

    Returns
    -------
    float
        0 for perfect equality (also when every value is 0), approaching 1
        when one person holds everything.

    Raises
    ------
    InputError
        Empty input, NaN/infinite/negative entries, unequal lengths, or
        weights summing to zero.

    Examples
    --------
    >>> gini([1, 1, 1, 1])
    0.0
    >>> gini([0, 1], weights=[3, 1])
    0.75
    """
    x, w = _clean(values, weights)
    return _gini(x, w)


def _gini(x: FloatArray, w: FloatArray) -> float:
    """Gini of validated arrays: sum_i w_i x_i (2 W_before_i + w_i - W) / (W * sum w x)."""
    total = float(np.dot(w, x))
    if total == 0:
        return 0.0
    order = np.argsort(x, kind="stable")
    xs, ws = x[order], w[order]
    cum = np.cumsum(ws)
    weight = float(cum[-1])
    before = cum - ws
    value = float(np.sum(ws * xs * (2.0 * before + ws - weight))) / (weight * total)
    return max(value, 0.0)


# ----------------------------------------------------------------- Palma
def palma(
    values: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    income: ArrayLike | None = None,
    method: PalmaMethod = "share",
) -> float:
    """Palma ratio: what the top 10 % of people hold relative to the bottom 40 %.

    ``method="share"`` (the default) is the classic definition (Cobham &
    Sumner): rank people by ``income`` (by the values themselves when
    omitted), then divide the share of the total value held by the top 10 %
    of the population by the share held by the bottom 40 %. Quantiles are of
    *people*: a row of population ``w`` is ``w`` people with the same value,
    and a row straddling the 40 % or 90 % boundary is split, the part below
    counted in one group and the rest in the next, so the groups hold exactly
    40 % and 10 % of the population. Rows that tie in ``income`` are pooled
    before splitting (a split takes their population-weighted mean value), so
    the result never depends on row order. Perfect equality gives
    0.1 / 0.4 = 0.25.

    ``method="r_accessibility"`` reproduces ``palma_ratio`` of the R
    ``accessibility`` package (ipeaGIT) instead: the 40 % and 90 % weighted
    quantiles of ``income`` are taken with ``Hmisc::wtd.quantile`` (type
    ``"quantile"``, unnormalised population weights); rows with
    ``income <= q40`` are the poorest and rows with ``income > q90`` the
    wealthiest, whole rows (no splitting, so a tied or large row at a
    boundary falls wholly in one group), and the ratio is of the groups'
    population-weighted *mean* access. When both groups happen to hold
    exactly 40 % and 10 % of the people this is 4 times the share ratio;
    when either group is empty (e.g. all incomes equal) it is NaN. Because
    the weights are frequencies there, this variant needs populations as
    head counts (it changes if every weight is scaled), unlike the default.

    Parameters
    ----------
    values
        Access per row; zero or positive.
    weights
        Population per row; every row counts once when omitted.
    income
        What ranks people from poorest to richest (income per capita, say);
        the values themselves when omitted.
    method
        ``"share"`` or ``"r_accessibility"``, as above.

    Returns
    -------
    float
        The ratio; NaN when every value is 0 (0 / 0: there is nothing to
        share, so no ratio is defined; Gini and Theil are 0 in that case),
        and inf when the bottom group holds nothing but the top group
        something.

    Raises
    ------
    InputError
        As for :func:`gini`, plus an unknown ``method`` or a bad ``income``.

    Examples
    --------
    Ten people; the top one holds 20, the bottom four hold 0 + 1 + 2 + 3:

    >>> round(palma([0, 1, 2, 3, 4, 5, 6, 7, 8, 20]), 4)
    3.3333
    >>> palma([1, 2, 3], weights=[3, 5, 2])  # bottom 4: 1+1+1+2, top 1: 3
    0.6
    """
    x, w = _clean(values, weights)
    rank = x
    if income is not None:
        rank = _as_array(income, "income")
        if len(rank) != len(x):
            msg = f"income has {len(rank)} entries but values has {len(x)}; give one per value"
            raise InputError(msg)
        if not np.isfinite(rank).all():
            msg = (
                f"income: {int((~np.isfinite(rank)).sum())} entries are NaN or infinite; "
                "drop those rows or fill them"
            )
            raise InputError(msg)
    if method == "share":
        return _palma_share(x, w, rank)
    if method == "r_accessibility":
        return _palma_r(x, w, rank)
    msg = f"method must be 'share' or 'r_accessibility', got {method!r}"
    raise InputError(msg)


def _palma_share(x: FloatArray, w: FloatArray, rank: FloatArray) -> float:
    """Top-10 % share over bottom-40 % share, splitting boundary rows by population."""
    _, block = np.unique(rank, return_inverse=True)
    people = np.bincount(block, weights=w)
    held = np.bincount(block, weights=w * x)
    if not held.sum() > 0:
        return math.nan
    cum = np.cumsum(people)
    before = cum - people
    total_people = float(cum[-1])
    # people of each row below the 40 % and above the 90 % boundary, counted in tenths so
    # that integer populations meet the boundaries exactly; slivers within rounding error
    # of a boundary (non-integer populations) are no one
    below = np.clip((4.0 * total_people - 10.0 * before) / 10.0, 0.0, people)
    above = np.clip((10.0 * cum - 9.0 * total_people) / 10.0, 0.0, people)
    sliver = 1e-12 * total_people
    below[below <= sliver] = 0.0
    above[above <= sliver] = 0.0
    share = people > 0  # rows of zero population hold nothing
    below[share] /= people[share]
    above[share] /= people[share]
    return _ratio(float(np.dot(held, above)), float(np.dot(held, below)))


def _hmisc_quantiles(x: FloatArray, w: FloatArray, probs: FloatArray) -> FloatArray:
    """``Hmisc::wtd.quantile(x, w, probs, type="quantile", normwt=FALSE)``.

    Weights are frequencies: the quantile interpolates (as R's type 7) between
    the order statistics ``floor(1 + (n - 1) p)`` and the next of a sample of
    ``n = sum(w)``, each order statistic being the smallest value whose
    cumulative weight reaches it (``approx(method="constant", f=1, rule=2)``).
    """
    keep = w != 0
    uniques, block = np.unique(x[keep], return_inverse=True)
    cum = np.cumsum(np.bincount(block, weights=w[keep]))
    n = float(cum[-1])
    order = 1.0 + (n - 1.0) * probs
    low = np.maximum(np.floor(order), 1.0)
    high = np.minimum(low + 1.0, n)
    frac = np.mod(order, 1.0)

    def statistic(position: FloatArray) -> FloatArray:
        at = np.searchsorted(cum, position, side="left")
        return np.asarray(uniques[np.clip(at, 0, len(uniques) - 1)], dtype=np.float64)

    return np.asarray((1.0 - frac) * statistic(low) + frac * statistic(high), dtype=np.float64)


def _palma_r(x: FloatArray, w: FloatArray, rank: FloatArray) -> float:
    """``R accessibility::palma_ratio``: mean access of the richest over the poorest."""
    q40, q90 = _hmisc_quantiles(rank, w, np.array([_BOTTOM, _TOP]))
    poorest = (rank <= q40) & (w > 0)
    richest = (rank > q90) & (w > 0)
    if not poorest.any() or not richest.any():
        return math.nan
    mean_rich = float(np.dot(w[richest], x[richest]) / w[richest].sum())
    mean_poor = float(np.dot(w[poorest], x[poorest]) / w[poorest].sum())
    return _ratio(mean_rich, mean_poor)


# ----------------------------------------------------------------- Theil
def theil(values: ArrayLike, weights: ArrayLike | None = None) -> float:
    r"""Population-weighted Theil T index of access.

    .. math:: T = \frac{1}{W} \sum_i w_i \frac{x_i}{\bar x} \ln \frac{x_i}{\bar x}

    with the limit :math:`0 \ln 0 = 0`, so people with zero access count
    (``R accessibility::theil_t`` returns NaN for them instead).

    Parameters
    ----------
    values
        Access per row; zero or positive.
    weights
        Population per row; every row counts once when omitted.

    Returns
    -------
    float
        0 for perfect equality (also when every value is 0, where the mean is
        0 and nobody differs from anybody), at most ``ln(total population)``.

    Raises
    ------
    InputError
        As for :func:`gini`.

    Examples
    --------
    >>> theil([5, 5, 5])
    0.0
    >>> round(theil([0, 0, 0, 1]), 6)  # ln 4
    1.386294
    """
    x, w = _clean(values, weights)
    return _theil(x, w)


def _theil(x: FloatArray, w: FloatArray) -> float:
    """Theil T of validated arrays: (1 / sum w x) * sum w x ln(x / mean)."""
    total = float(np.dot(w, x))
    if total == 0:
        return 0.0
    mean = total / float(w.sum())
    held = (x > 0) & (w > 0)
    value = float(np.sum(w[held] * x[held] * np.log(x[held] / mean))) / total
    return max(value, 0.0)


def theil_decomposition(
    values: ArrayLike, weights: ArrayLike | None, groups: ArrayLike
) -> dict[str, float]:
    r"""Split the Theil T index into inequality within and between groups.

    With :math:`s_g` the share of the total access held by group :math:`g`
    and :math:`\bar x_g` its weighted mean:

    .. math::

        T = \underbrace{\sum_g s_g T_g}_{\text{within}}
          + \underbrace{\sum_g s_g \ln(\bar x_g / \bar x)}_{\text{between}}

    exactly as ``R accessibility::theil_t`` reports its ``within_group`` and
    ``between_group`` components. Groups holding nothing contribute nothing.

    Parameters
    ----------
    values
        Access per row; zero or positive.
    weights
        Population per row, or None to weight rows equally.
    groups
        A group label per row (district, income decile, ...); no missing
        labels.

    Returns
    -------
    dict
        ``{"total": T, "within": ..., "between": ...}``; ``total`` equals
        ``within + between`` up to rounding and :func:`theil` of the values.

    Raises
    ------
    InputError
        As for :func:`gini`, plus missing group labels or unequal lengths.

    Examples
    --------
    >>> parts = theil_decomposition([1, 1, 3, 3], None, ["a", "a", "b", "b"])
    >>> parts["within"], round(parts["between"], 4) == round(parts["total"], 4)
    (0.0, True)
    """
    x, w = _clean(values, weights)
    codes, _ = _group_codes(groups, len(x))
    total = float(np.dot(w, x))
    if total == 0:
        return {"total": 0.0, "within": 0.0, "between": 0.0}
    group_people = np.bincount(codes, weights=w)
    group_held = np.bincount(codes, weights=w * x)
    mean = total / float(w.sum())
    holds = group_held > 0
    group_mean = np.zeros(len(group_held))
    group_mean[holds] = group_held[holds] / group_people[holds]
    held = (x > 0) & (w > 0)
    within = float(np.sum(w[held] * x[held] * np.log(x[held] / group_mean[codes[held]]))) / total
    between = float(np.sum(group_held[holds] * np.log(group_mean[holds] / mean))) / total
    return {"total": _theil(x, w), "within": max(within, 0.0), "between": max(between, 0.0)}


def _group_codes(groups: ArrayLike, n: int) -> tuple[IntArray, pd.Index]:
    """Codes 0..k-1 of group labels and the sorted labels; raise on missing labels."""
    labels = groups if isinstance(groups, pd.Series) else pd.Series(np.asarray(groups).ravel())
    if len(labels) != n:
        msg = f"groups has {len(labels)} entries but values has {n}; give one label per value"
        raise InputError(msg)
    codes, uniques = pd.factorize(labels, sort=True)
    missing = codes < 0
    if missing.any():
        msg = (
            f"groups: {int(missing.sum())} of {n} labels are missing (NaN/None); every row "
            "must belong to a group. Fill them (e.g. .fillna('unknown')) or drop those rows"
        )
        raise InputError(msg)
    return np.asarray(codes, dtype=np.int64), pd.Index(uniques)


# ----------------------------------------------------------------- tables
_COLUMNS = ["n", "population", "mean", "weighted_mean", "gini", "palma", "theil"]


def equity_table(
    frame: pd.DataFrame, value: str, *, weight: str | None = None, by: str | None = None
) -> pd.DataFrame:
    """Inequality of one access column, overall and per group.

    Parameters
    ----------
    frame
        One row per community or demand point (a GeoDataFrame works too).
    value
        The column of access values (zero or positive).
    weight
        The population column; every row counts once when omitted.
    by
        A column of group labels (district, street, income decile); when
        given, every group gets its own row after the overall one.

    Returns
    -------
    pandas.DataFrame
        Indexed by group, the first row labelled ``"all"`` (``"(all)"`` if a
        group is already called ``"all"``); columns ``n`` (rows),
        ``population`` (sum of weights), ``mean`` (unweighted mean over rows),
        ``weighted_mean`` (per person), ``gini``, ``palma`` (classic share
        definition, see :func:`palma`) and ``theil``. A group with no
        population gets NaN for the weighted figures.

    Raises
    ------
    InputError
        A missing column, or values/weights/groups rejected as by
        :func:`gini` and :func:`theil_decomposition`.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"access": [0, 1, 2, 2], "pop": [10, 10, 20, 20],
    ...                       "district": ["a", "a", "b", "b"]})
    >>> table = equity_table(frame, "access", weight="pop", by="district")
    >>> table.index.tolist(), table["weighted_mean"].tolist()
    (['all', 'a', 'b'], [1.5, 0.5, 2.0])
    >>> table["gini"].round(3).tolist()
    [0.241, 0.5, 0.0]
    """
    for column in (value, weight, by):
        if column is not None and column not in frame.columns:
            msg = f"frame has no column {column!r}; columns are {list(frame.columns)}"
            raise InputError(msg)
    x, w = _clean(
        frame[value],
        None if weight is None else frame[weight],
        names=(f"column {value!r}", f"column {weight!r}"),
    )
    labels: list[object] = [_OVERALL]
    rows = [_summary(x, w)]
    if by is not None:
        codes, names = _group_codes(frame[by], len(x))
        for code, name in enumerate(names):
            members = codes == code
            labels.append(name)
            rows.append(_summary(x[members], w[members]))
        if _OVERALL in labels[1:]:
            labels[0] = f"({_OVERALL})"
    index = pd.Index(labels, name=by if by is not None else "group")
    table = pd.DataFrame(rows, index=index, columns=_COLUMNS)
    return table.astype({"n": np.int64})


def _summary(x: FloatArray, w: FloatArray) -> list[float]:
    """One row of :func:`equity_table` for validated arrays."""
    people = float(w.sum())
    mean = float(x.mean())
    if not people > 0:
        return [float(len(x)), people, mean, math.nan, math.nan, math.nan, math.nan]
    return [
        float(len(x)),
        people,
        mean,
        float(np.dot(w, x)) / people,
        _gini(x, w),
        _palma_share(x, w, x),
        _theil(x, w),
    ]
