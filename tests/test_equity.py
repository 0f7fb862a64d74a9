"""Gini, Palma and Theil: hand-computed values, brute-force oracles, invariants, bad input."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geoplan import InputError
from geoplan.equity import equity_table, gini, palma, theil, theil_decomposition

# zeros, or numbers far enough from zero that scaling by 1e-3 cannot underflow
number_st = st.one_of(st.just(0.0), st.floats(1e-3, 1e6))
values_st = st.lists(number_st, min_size=1, max_size=40)


@st.composite
def weighted(draw, min_size=1):
    x = draw(st.lists(number_st, min_size=min_size, max_size=30))
    w = draw(st.lists(st.integers(1, 12), min_size=len(x), max_size=len(x)))
    return np.array(x), np.array(w, dtype=float)


def expand(x, w):
    """One row per person: integer weights as repeated rows."""
    return np.repeat(x, w.astype(int))


def brute_gini(x):
    x = np.asarray(x, dtype=float)
    if x.sum() == 0:
        return 0.0
    return np.abs(x[:, None] - x[None, :]).sum() / (2 * len(x) ** 2 * x.mean())


def brute_palma(people):
    """Classic Palma on a list of people whose count is a multiple of 10."""
    people = np.sort(people)
    n = len(people)
    assert n % 10 == 0
    top, bottom = people[n - n // 10 :].sum(), people[: 4 * n // 10].sum()
    if bottom == 0:
        return math.nan if top == 0 else math.inf
    return top / bottom


def close(a, b, rel=1e-9, abs_=1e-12):
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_)


# ----------------------------------------------------------------- Gini
def test_gini_hand_values():
    assert gini([1, 1, 1, 1]) == pytest.approx(0.0, abs=1e-15)
    assert gini([0, 0, 0, 1]) == pytest.approx(0.75)
    assert gini([0, 1], weights=[3, 1]) == pytest.approx(0.75)  # = [0, 0, 0, 1]
    assert gini([7.0]) == 0.0
    # 10 people with 0 and 10 with 1 and 40 with 2 (mean 1.5): 2600 / (2 * 60^2 * 1.5)
    assert gini([0, 1, 2], weights=[10, 10, 40]) == pytest.approx(2600 / 10800)


def test_gini_all_zero_is_zero():
    assert gini([0, 0, 0]) == 0.0
    assert gini([0, 0], weights=[5, 1]) == 0.0


@settings(max_examples=80, deadline=None)
@given(weighted())
def test_gini_weights_equal_repeated_rows(case):
    x, w = case
    assert close(gini(x, w), gini(expand(x, w)))
    assert close(gini(expand(x, w)), brute_gini(expand(x, w)))


@settings(max_examples=80, deadline=None)
@given(values_st)
def test_gini_matches_mean_difference_and_bounds(x):
    g = gini(x)
    assert close(g, brute_gini(x), rel=1e-9, abs_=1e-12)
    assert 0.0 <= g < 1.0


# ----------------------------------------------------------------- Theil
def test_theil_two_values_by_hand():
    # mean 2: T = 1/2 * (1/2 ln 1/2 + 3/2 ln 3/2)
    expected = 0.5 * (0.5 * math.log(0.5) + 1.5 * math.log(1.5))
    assert theil([1, 3]) == pytest.approx(expected, rel=1e-12)
    assert theil([1, 3], weights=[2, 2]) == pytest.approx(expected, rel=1e-12)
    # weights 3:1, mean 1.5: T = (3 * 1/1.5 ln(1/1.5) + 3/1.5 ln(3/1.5)) / 4
    expected = (3 * (1 / 1.5) * math.log(1 / 1.5) + 2 * math.log(2)) / 4
    assert theil([1, 3], weights=[3, 1]) == pytest.approx(expected, rel=1e-12)


def test_theil_zero_values_use_the_limit():
    assert theil([0, 0, 0, 1]) == pytest.approx(math.log(4))
    assert theil([5, 5, 5]) == pytest.approx(0.0, abs=1e-15)
    assert theil([0, 0, 0]) == 0.0


@settings(max_examples=80, deadline=None)
@given(weighted())
def test_theil_weights_equal_repeated_rows_and_bounds(case):
    x, w = case
    t = theil(x, w)
    assert close(t, theil(expand(x, w)), rel=1e-9, abs_=1e-11)
    assert -1e-12 <= t <= math.log(w.sum()) + 1e-9


def test_theil_decomposition_by_hand():
    parts = theil_decomposition([1, 1, 3, 3], None, ["a", "a", "b", "b"])
    assert parts["within"] == pytest.approx(0.0, abs=1e-15)
    assert parts["between"] == pytest.approx(theil([1, 3]))
    assert parts["total"] == pytest.approx(theil([1, 3]))
    parts = theil_decomposition([1, 3, 1, 3], [1, 1, 1, 1], ["a", "a", "b", "b"])
    assert parts["between"] == pytest.approx(0.0, abs=1e-15)
    assert parts["within"] == pytest.approx(theil([1, 3]))
    # group a holds 1 + 3 = 4 of the 4 + 10 = 14; group b is [10]
    parts = theil_decomposition([1, 3, 10], None, [1, 1, 2])
    mean = 14 / 3
    between = 4 / 14 * math.log(2 / mean) + 10 / 14 * math.log(10 / mean)
    within = 4 / 14 * theil([1, 3])
    assert parts["between"] == pytest.approx(between, rel=1e-12)
    assert parts["within"] == pytest.approx(within, rel=1e-12)


@settings(max_examples=80, deadline=None)
@given(weighted(), st.data())
def test_theil_decomposition_adds_up(case, data):
    x, w = case
    groups = data.draw(st.lists(st.sampled_from("abcd"), min_size=len(x), max_size=len(x)))
    parts = theil_decomposition(x, w, groups)
    assert close(parts["total"], theil(x, w))
    assert close(parts["within"] + parts["between"], parts["total"], rel=1e-9, abs_=1e-10)
    assert parts["within"] >= 0
    assert parts["between"] >= 0


def test_theil_decomposition_all_zero_and_bad_groups():
    assert theil_decomposition([0, 0], None, ["a", "b"]) == {
        "total": 0.0,
        "within": 0.0,
        "between": 0.0,
    }
    with pytest.raises(InputError, match="1 of 3 labels are missing"):
        theil_decomposition([1, 2, 3], None, ["a", None, "b"])
    with pytest.raises(InputError, match="groups has 2 entries"):
        theil_decomposition([1, 2, 3], None, ["a", "b"])


# ----------------------------------------------------------------- Palma
def test_palma_ten_people_by_hand():
    people = [0, 1, 2, 3, 4, 5, 6, 7, 8, 20]
    # top 10 %: the one holding 20; bottom 40 %: 0 + 1 + 2 + 3 = 6
    assert palma(people) == pytest.approx(20 / 6)
    assert palma(people[::-1]) == pytest.approx(20 / 6)
    assert palma(list(range(1, 11))) == pytest.approx(10 / 10)


def test_palma_splits_the_row_at_the_boundary():
    # people: 1 1 1 2 2 2 2 2 3 3 -> bottom four 1+1+1+2 = 5, top one 3
    assert palma([1, 2, 3], weights=[3, 5, 2]) == pytest.approx(3 / 5)
    assert palma([1, 1, 1, 2, 2, 2, 2, 2, 3, 3]) == pytest.approx(3 / 5)
    # equality: the top 10 % hold 10 %, the bottom 40 % hold 40 %
    assert palma([4, 4, 4]) == pytest.approx(0.25)
    assert palma([9.0], weights=[123]) == pytest.approx(0.25)


def test_palma_degenerate_cases():
    assert math.isnan(palma([0, 0, 0]))  # nothing to share: 0 / 0
    assert palma([0] * 9 + [1]) == math.inf  # the bottom 40 % hold nothing
    # rows with no people hold nothing and change nothing
    assert palma([1, 2, 3, 100], weights=[3, 5, 2, 0]) == pytest.approx(3 / 5)


def test_palma_with_income_pools_ties():
    # both rows have the same income: the population is one group of mean 5
    assert palma([0, 10], income=[7, 7]) == pytest.approx(0.25)
    assert palma([10, 0], income=[7, 7]) == pytest.approx(0.25)
    # ranked by income, the poorest (income 1) hold the most access
    x, income = [10, 10, 10, 10, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 2, 2, 2, 2, 2, 3]
    assert palma(x, income=income) == pytest.approx(1 / 40)


@settings(max_examples=100, deadline=None)
@given(weighted())
def test_palma_matches_brute_force_over_people(case):
    x, w = case
    # ten copies of everybody: the 40 % and 90 % boundaries fall between people
    people = np.repeat(expand(x, w), 10)
    assert close(palma(x, w), brute_palma(people), rel=1e-9, abs_=1e-12)
    assert close(palma(x, w * 10), palma(x, w), rel=1e-9, abs_=1e-12)


def test_palma_r_accessibility_by_hand():
    people = [0, 1, 2, 3, 4, 5, 6, 7, 8, 20]
    # Hmisc quantiles: q40 = 3 + 0.6 * (4 - 3) = 3.6, q90 = 8 + 0.1 * (20 - 8) = 9.2;
    # poorest {0, 1, 2, 3} (mean 1.5), wealthiest {20}: 20 / 1.5 = 4 x the share ratio
    assert palma(people, method="r_accessibility") == pytest.approx(20 / 1.5)
    # cumulative weights 4, 7, 9, 10: q40 = 1 + 0.6 * (2 - 1) = 1.6, q90 = 3 + 0.1 * 7
    assert palma([1, 2, 3, 10], weights=[4, 3, 2, 1], method="r_accessibility") == 10.0
    assert palma([1, 2, 3, 10], weights=[4, 3, 2, 1]) == pytest.approx(10 / 4)
    # whole rows, no splitting: q40 = 2 puts all 8 people of values 1 and 2 in the
    # poorest group, q90 = 3 leaves nobody above it, so the ratio is NaN
    assert math.isnan(palma([1, 2, 3], weights=[3, 5, 2], method="r_accessibility"))
    assert math.isnan(palma([4, 4, 4], method="r_accessibility"))


def test_palma_r_accessibility_ranks_by_income():
    # poorest by income: rows 0-3 (access 5); richest: the last row (access 50)
    access = [5, 5, 5, 5, 9, 9, 9, 9, 9, 50]
    income = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert palma(access, income=income, method="r_accessibility") == pytest.approx(10.0)
    reverse = income[::-1]
    # reversed: the poorest are rows 6-9 (mean (9 + 9 + 9 + 50) / 4), the richest row 0
    assert palma(access, income=reverse, method="r_accessibility") == pytest.approx(20 / 77)


def test_palma_bad_options():
    with pytest.raises(InputError, match="method must be"):
        palma([1, 2], method="bogus")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="income has 1 entries"):
        palma([1, 2], income=[1])
    with pytest.raises(InputError, match="income: 1 entries are NaN"):
        palma([1, 2], income=[1, np.nan])


# ----------------------------------------------------------------- invariants
@settings(max_examples=80, deadline=None)
@given(weighted(), st.floats(1e-3, 1e3))
def test_scale_invariance(case, factor):
    x, w = case
    for index in (gini, theil, palma):
        assert close(index(x * factor, w), index(x, w), rel=1e-8, abs_=1e-10)
        assert close(index(x, w * factor), index(x, w), rel=1e-8, abs_=1e-10)


@settings(max_examples=80, deadline=None)
@given(weighted(), st.data())
def test_permutation_invariance(case, data):
    x, w = case
    order = np.array(data.draw(st.permutations(range(len(x)))), dtype=int)
    for index in (gini, theil, palma):
        assert close(index(x[order], w[order]), index(x, w), rel=1e-9, abs_=1e-12)
    assert close(
        palma(x[order], w[order], method="r_accessibility"),
        palma(x, w, method="r_accessibility"),
    )


# ----------------------------------------------------------------- validation
@pytest.mark.parametrize("index", [gini, palma, theil])
def test_bad_values_and_weights(index):
    with pytest.raises(InputError, match="2 of 4 entries are NaN") as info:
        index([1, np.nan, 2, np.nan])
    assert "fillna" in str(info.value)
    assert isinstance(info.value, ValueError)
    with pytest.raises(InputError, match="values: 1 of 3 entries are negative"):
        index([1, -2, 3])
    with pytest.raises(InputError, match="weights: 1 of 2 entries are NaN"):
        index([1, 2], [1, np.nan])
    with pytest.raises(InputError, match="weights: 1 of 2 entries are negative"):
        index([1, 2], [1, -1])
    with pytest.raises(InputError, match="empty"):
        index([])
    with pytest.raises(InputError, match="sum to zero"):
        index([1, 2], [0, 0])
    with pytest.raises(InputError, match="weights has 1 entries"):
        index([1, 2], [1])
    with pytest.raises(InputError, match="one-dimensional"):
        index([[1, 2], [3, 4]])
    with pytest.raises(InputError, match="must be numbers"):
        index(["a", "b"])


def test_all_zero_values():
    assert gini([0, 0, 0]) == 0.0
    assert theil([0, 0, 0]) == 0.0
    assert math.isnan(palma([0, 0, 0]))


def test_accepts_series():
    x = pd.Series([0, 0, 0, 1], index=[10, 11, 12, 13])
    assert gini(x) == pytest.approx(0.75)
    assert theil(x, pd.Series([1, 1, 1, 1])) == pytest.approx(math.log(4))


# ----------------------------------------------------------------- table
def test_equity_table_overall_and_groups():
    frame = pd.DataFrame(
        {
            "access": [0.0, 1.0, 2.0, 2.0, 5.0],
            "pop": [10, 10, 20, 20, 40],
            "district": ["b", "b", "a", "a", "a"],
        }
    )
    table = equity_table(frame, "access", weight="pop", by="district")
    assert table.index.tolist() == ["all", "a", "b"]
    assert table.index.name == "district"
    assert list(table.columns) == [
        "n",
        "population",
        "mean",
        "weighted_mean",
        "gini",
        "palma",
        "theil",
    ]
    overall = table.loc["all"]
    assert overall["n"] == 5
    assert overall["population"] == 100
    assert overall["mean"] == pytest.approx(2.0)
    assert overall["weighted_mean"] == pytest.approx((10 + 40 + 40 + 200) / 100)
    assert overall["gini"] == pytest.approx(gini(frame["access"], frame["pop"]))
    assert overall["palma"] == pytest.approx(palma(frame["access"], frame["pop"]))
    assert overall["theil"] == pytest.approx(theil(frame["access"], frame["pop"]))
    a = frame[frame["district"] == "a"]
    assert table.loc["a", "gini"] == pytest.approx(gini(a["access"], a["pop"]))
    assert table.loc["b", "weighted_mean"] == pytest.approx(0.5)
    assert table["n"].dtype == np.int64


def test_equity_table_without_weights_or_groups():
    frame = pd.DataFrame({"access": [0, 0, 0, 1]})
    table = equity_table(frame, "access")
    assert table.index.tolist() == ["all"]
    assert table.loc["all", "population"] == 4
    assert table.loc["all", "gini"] == pytest.approx(0.75)
    assert table.loc["all", "mean"] == table.loc["all", "weighted_mean"]


def test_equity_table_edge_cases():
    frame = pd.DataFrame({"access": [1.0, 2.0, 3.0], "pop": [0, 5, 5], "g": ["all", "x", "x"]})
    table = equity_table(frame, "access", weight="pop", by="g")
    assert table.index.tolist() == ["(all)", "all", "x"]
    assert math.isnan(table.loc["all", "gini"])  # a group without people
    assert table.loc["all", "population"] == 0
    with pytest.raises(InputError, match="no column 'people'"):
        equity_table(frame, "access", weight="people")
    with pytest.raises(InputError, match="column 'access': 1 of 3 entries are NaN"):
        equity_table(frame.assign(access=[1, np.nan, 3]), "access")
    nullable = frame.assign(pop=pd.array([1, None, 2], dtype="Int64"))
    with pytest.raises(InputError, match="column 'pop': 1 of 3 entries are NaN"):
        equity_table(nullable, "access", weight="pop")
    with pytest.raises(InputError, match="column 'g' must be numbers"):
        equity_table(frame, "g")
    with pytest.raises(InputError, match="labels are missing"):
        equity_table(frame.assign(g=["a", None, "b"]), "access", by="g")
