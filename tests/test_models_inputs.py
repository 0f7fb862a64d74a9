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
from geoplan.models import capacitated_mclp, equity_mclp, lscp, mclp

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
