"""geoplan.models: matrices that would mislead are refused, and statuses say what happened.

A coverage matrix holding distances is refused unless ``radius=`` says how to read it
(reading every nonzero distance as "covers" would cover everything); boolean and 0/1
matrices, dense or sparse, are read as before. Degenerate inputs (nobody reachable,
all weights zero, no capacity) give notes that say so, and LSCP says "infeasible"
when no candidate reaches the demand.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp

from geoplan._errors import InputError
from geoplan.models import capacitated_mclp, equity_mclp, lscp, mclp, p_center, p_median

# 2 candidates x 3 demand points, in metres; candidate 0 stands on demand point 0
dist_m = np.array([[0.0, 900.0, 300.0], [800.0, 50.0, 1200.0]])
W3 = np.array([1.0, 1.0, 1.0])


def _brute_mclp(cover, w, p):
    return max(w[cover[list(s)].any(axis=0)].sum() for s in itertools.combinations(range(2), p))


# ----------------------------------------------------------------------------- radius


COVERAGE_CALLS = {
    "mclp": lambda cover, **kw: mclp(cover, W3, 1, **kw),
    "lscp": lambda cover, **kw: lscp(cover, W3, **kw),
    "capacitated_mclp": lambda cover, **kw: capacitated_mclp(cover, W3, 1, [5.0, 5.0], **kw),
    "equity_mclp": lambda cover, **kw: equity_mclp(cover, W3, 1, [0, 0, 1], **kw),
}


@pytest.mark.parametrize("model", sorted(COVERAGE_CALLS))
@pytest.mark.parametrize("kind", ["dense", "sparse"])
def test_a_distance_matrix_without_radius_is_refused(model, kind):
    cover = dist_m if kind == "dense" else sp.csr_array(dist_m)
    with pytest.raises(InputError, match=r"other than 0 and 1 \(e.g. 50, 300, 800\).*radius="):
        COVERAGE_CALLS[model](cover)


def test_the_old_reading_covered_everything():
    """What the refusal prevents: every nonzero distance counted as covers (3 of 3)."""
    as_flags = dist_m != 0
    assert mclp(as_flags, W3, 1).objective == 3.0  # candidate 1 "covers" everyone
    assert mclp(dist_m, W3, 1, radius=400.0).objective == 2.0  # really: points 0 and 2


@pytest.mark.parametrize("radius", [0.0, 50.0, 300.0, 850.0, 1200.0, np.inf])
def test_radius_reads_distances_with_zero_included(radius):
    cover = dist_m <= radius  # a 0 distance is "at the site": it covers
    dropped = cover & (dist_m != 0)  # csr_array(dist_m) does not store the 0: out of reach
    for p in (1, 2):
        assert mclp(dist_m, W3, p, radius=radius).objective == _brute_mclp(cover, W3, p)
        sparse = mclp(sp.csr_array(dist_m), W3, p, radius=radius)
        assert sparse.objective == _brute_mclp(dropped, W3, p)
    # the stored zero of a sparse distance matrix covers, an unstored pair does not
    stored = sp.csr_array(
        (dist_m[dist_m < np.inf], np.nonzero(dist_m < np.inf)), shape=dist_m.shape
    )
    assert stored.nnz == 6
    assert mclp(stored, W3, 2, radius=radius).objective == _brute_mclp(cover, W3, 2)


def test_inf_is_out_of_reach_even_for_an_infinite_radius():
    dist = np.array([[0.0, np.inf], [np.inf, 7.0]])
    sol = mclp(dist, [1.0, 2.0], 2, radius=np.inf)
    assert sol.objective == 3.0
    assert mclp(dist, [1.0, 2.0], 1, radius=5.0).uncoverable.tolist() == [1]


def test_lscp_with_radius_equals_lscp_on_the_boolean_matrix():
    rng = np.random.default_rng(3)
    dist = np.linalg.norm(rng.random((7, 1, 2)) - rng.random((1, 30, 2)), axis=2)
    w = rng.integers(1, 9, 30).astype(float)
    for radius in (0.2, 0.35):
        assert lscp(dist, w, radius=radius).objective == lscp(dist <= radius, w).objective


@pytest.mark.parametrize(
    "cover",
    [
        np.array([[1, 1, 0], [0, 1, 1]]),
        np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]]),
        np.array([[True, True, False], [False, True, True]]),
        sp.csr_array(np.array([[1, 1, 0], [0, 1, 1]])),
        sp.csr_matrix(np.array([[True, True, False], [False, True, True]])),
        sp.coo_array(np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]])),
    ],
    ids=["int", "float", "bool", "csr-int", "csr-bool", "coo-float"],
)
def test_boolean_and_zero_one_matrices_are_read_as_before(cover):
    sol = mclp(cover, [5.0, 1.0, 7.0], 1)
    assert sol.chosen.tolist() == [1]
    assert sol.objective == 8.0


def test_a_stored_false_or_zero_flag_does_not_cover():
    rows, cols = np.array([0, 0, 1]), np.array([0, 1, 1])
    flags = sp.csr_array((np.array([True, False, True]), (rows, cols)), shape=(2, 2))
    assert flags.nnz == 3
    assert mclp(flags, [1.0, 5.0], 1).objective == 5.0  # (0, 1) is a stored False
    zero_one = sp.csr_array((np.array([1.0, 0.0, 1.0]), (rows, cols)), shape=(2, 2))
    assert mclp(zero_one, [1.0, 5.0], 1).objective == 5.0
    assert sorted(lscp(zero_one, [1.0, 5.0]).chosen.tolist()) == [0, 1]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: mclp(dist_m, W3, 1, radius=-1.0), "radius must be"),
        (lambda: mclp(dist_m, W3, 1, radius=True), "radius must be"),
        (lambda: mclp(dist_m, W3, 1, radius="800"), "radius must be"),
        (lambda: mclp(dist_m <= 500, W3, 1, radius=500.0), "boolean .* drop radius"),
        (lambda: mclp(-dist_m, W3, 1, radius=500.0), "negative distances"),
        (lambda: mclp(np.full((2, 3), np.nan), W3, 1, radius=500.0), "NaN .* np.inf"),
        (lambda: mclp(np.full((2, 3), np.nan), W3, 1), "NaN"),
        (lambda: mclp(np.array([["a", "b"]]), [1.0, 1.0], 1), "numbers or True/False"),
        (lambda: lscp(sp.csr_array(dist_m), radius=-5), "radius must be"),
    ],
)
def test_bad_radius_and_matrices_say_what_to_pass(call, match):
    with pytest.raises(InputError, match=match):
        call()


# ----------------------------------------------------------------------------- statuses

NOBODY = np.zeros((2, 3), dtype=bool)  # no candidate covers anybody


@pytest.mark.parametrize("target", [1.0, 0.5])
def test_lscp_with_nobody_coverable_is_infeasible_and_says_why(target):
    sol = lscp(NOBODY, [1.0, 2.0, 4.0], target=target)
    assert sol.status == "infeasible"
    assert sol.chosen.size == 0
    assert sol.uncoverable.tolist() == [0, 1, 2]
    assert any(
        "cannot be met for anybody" in n and "3 demand points (weight 7)" in n for n in sol.notes
    )
    assert not any("existing facilities" in n for n in sol.notes)  # none were given


def test_lscp_notes_name_the_real_reason():
    zero = lscp(np.eye(3), [0.0, 0.0, 0.0])
    assert zero.status == "optimal"
    assert zero.notes[0].startswith("every demand weight is 0")
    met = lscp(np.eye(3), [1.0, 1.0, 1.0], covered0=[True, True, False], target=0.6)
    assert met.status == "optimal"
    assert "cover 2 of 3 weight, meeting the target 0.6" in met.notes[0]
    # existing facilities cover all that can be covered; the rest nobody reaches
    rest = lscp(np.array([[0, 0, 0]]), [1.0, 1.0, 1.0], covered0=[True, False, False])
    assert rest.status == "optimal"
    assert "all the coverable weight (1 of 3)" in rest.notes[0]
    assert any("2 demand points (weight 2)" in n and "denominator" in n for n in rest.notes)


def test_trivial_coverage_answers_say_why_nothing_was_chosen():
    nobody = mclp(NOBODY, W3, 1)
    assert nobody.objective == 0.0
    assert "no candidate can cover any of the 3 demand points (weight 3)" in nobody.notes[0]
    done = mclp(np.eye(3), W3, 1, covered0=[True, True, True])
    assert done.notes[0].startswith("existing facilities already cover all the demand")
    zero = mclp(np.eye(3), [0.0, 0.0, 0.0], 1)
    assert zero.notes[0].startswith("every demand weight is 0")
    budget = mclp(np.eye(3), W3, cost=[2.0, 3.0, 4.0], budget=1.0)
    assert budget.chosen.size == 0
    assert any("no candidate fits the budget 1 (the cheapest costs 2)" in n for n in budget.notes)
    empty = capacitated_mclp(np.eye(3), W3, 1, [0.0, 0.0, 0.0])
    assert "every candidate has capacity 0" in empty.notes[0]
    groups = equity_mclp(NOBODY, W3, 1, [0, 0, 1])
    assert "no candidate can cover" in groups.notes[0]


def test_travel_models_without_reach_ask_for_the_limit_or_say_infeasible():
    cost = np.full((2, 3), np.inf)
    for model in (p_median, p_center):
        with pytest.raises(InputError, match="pass limit="):
            model(cost, W3, 1)
    median = p_median(cost, W3, 1, limit=10.0)
    assert median.objective == 30.0  # everyone at the search limit
    assert median.status == "optimal"
    assert "no candidate can reach any of the 3 demand points" in median.notes[0]
    center = p_center(cost, W3, 1, limit=10.0)
    assert center.status == "infeasible"
    assert "no worst travel time to minimise" in center.notes[0]
    # existing facilities nearer than every candidate: nothing to shorten
    nearer = p_median(np.full((2, 3), 5.0), W3, 1, cost0=[1.0, 1.0, 1.0])
    assert nearer.objective == 3.0
    assert "no new site shortens a trip" in nearer.notes[0]
