"""geoplan.models: every model against brute force, PySAL spopt, and bad inputs.

Small instances (8 candidates, 24 demand points, points in the unit square)
are solved exactly and compared with enumeration over all candidate subsets
(itertools.combinations); the greedy solver must never beat the exact answer
and the exact answer must lie within the greedy solver's reported bound.
Mid-size instances are compared with spopt 0.7 (PuLP + CBC) on the same
dense cost matrix: absent pairs become a large value (MCLP/LSCP) or the
search limit (p-median/p-center, the penalty geoplan uses), and existing
facilities become extra columns passed as spopt's ``predefined_facilities_arr``
(with p raised by their number, since spopt counts them among the p).
"""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from geoplan._errors import InputError
from geoplan.models import (
    Solution,
    capacitated_mclp,
    equity_mclp,
    lscp,
    mclp,
    p_center,
    p_median,
)

SEEDS = range(8)
M, N, P = 8, 24, 3


def _points(seed, m=M, n=N):
    rng = np.random.default_rng(seed)
    dist = np.linalg.norm(rng.random((m, 1, 2)) - rng.random((1, n, 2)), axis=2)
    weight = rng.integers(0, 20, n).astype(float)
    covered0 = rng.random(n) < 0.2
    return rng, dist, weight, covered0


def _hit(cover, subset):
    if not subset:
        return np.zeros(cover.shape[1], dtype=bool)
    return cover[list(subset)].any(axis=0)


def _subsets(m, sizes):
    for k in sizes:
        yield from itertools.combinations(range(m), k)


# ----------------------------------------------------------------------------- oracles


def brute_mclp(cover, w, covered0, p):
    return max(w[_hit(cover, s) & ~covered0].sum() for s in _subsets(len(cover), [p]))


def brute_budget(cover, w, covered0, cost, budget):
    return max(
        w[_hit(cover, s) & ~covered0].sum()
        for s in _subsets(len(cover), range(len(cover) + 1))
        if cost[list(s)].sum() <= budget
    )


def brute_lscp(cover, w, covered0, target, cost):
    total = w.sum()
    lost = w[(w > 0) & ~covered0 & ~cover.any(axis=0)].sum()
    denominator = total if target * total <= total - lost else total - lost
    best = math.inf
    for s in _subsets(len(cover), range(len(cover) + 1)):
        if w[covered0 | _hit(cover, s)].sum() >= target * denominator - 1e-9:
            best = min(best, cost[list(s)].sum())
    return best


def times(cost, base, subset):
    return np.minimum(base, cost[list(subset)].min(axis=0)) if subset else base


def brute_median(cost, w, base, p):
    return min((w * times(cost, base, s)).sum() for s in _subsets(len(cost), [p]))


def brute_center(cost, base, counted, p):
    return min(times(cost, base, s)[counted].max() for s in _subsets(len(cost), [p]))


def max_flow(cover, w, open_demand, cap, subset):
    graph = nx.DiGraph()
    graph.add_node("s")
    graph.add_node("t")
    for j in subset:
        graph.add_edge("s", ("site", j), capacity=float(cap[j]))
        for i in np.flatnonzero(cover[j] & open_demand):
            graph.add_edge(("site", j), ("point", i))
    for i in np.flatnonzero(open_demand):
        graph.add_edge(("point", i), "t", capacity=float(w[i]))
    return nx.maximum_flow_value(graph, "s", "t")


def brute_capacitated(cover, w, covered0, cap, p):
    open_demand = (w > 0) & ~covered0
    return max(max_flow(cover, w, open_demand, cap, s) for s in _subsets(len(cover), [p]))


def equity_key(cover, w, covered0, groups, subset, floor):
    new = _hit(cover, subset) & ~covered0
    size = np.bincount(groups, weights=w)
    covered = np.bincount(groups, weights=w * (covered0 | new), minlength=size.size)
    live = size > 0
    if floor is None:
        return (covered[live] / size[live]).min(), w[new].sum()
    return -np.maximum(floor * size - covered, 0)[live].sum(), w[new].sum()


def brute_equity(cover, w, covered0, groups, p, floor):
    keys = [equity_key(cover, w, covered0, groups, s, floor) for s in _subsets(len(cover), [p])]
    first = max(k[0] for k in keys)
    return first, max(k[1] for k in keys if abs(k[0] - first) <= 1e-9)


def _within(greedy: Solution, best: float, *, maximise: bool) -> None:
    """Greedy never beats the optimum, and its bound never cuts the optimum off."""
    if maximise:
        assert greedy.objective <= best + 1e-7
        assert greedy.bound >= best - 1e-7
    else:
        assert greedy.objective >= best - 1e-7
        assert greedy.bound <= best + 1e-7
    assert greedy.solver in {"greedy", "trivial"}
    assert greedy.gap >= 0


# ----------------------------------------------------------------------------- MCLP


@pytest.mark.parametrize("seed", SEEDS)
def test_mclp_matches_brute_force(seed):
    _, dist, w, covered0 = _points(seed)
    cover = dist < 0.3
    best = brute_mclp(cover, w, covered0, P)
    for reduce in (True, False):
        sol = mclp(sp.csr_array(cover), w, P, covered0=covered0, solver="exact", reduce=reduce)
        assert sol.objective == pytest.approx(best)
        assert sol.status == "optimal"
    greedy = mclp(sp.csr_array(cover), w, P, covered0=covered0, solver="greedy")
    _within(greedy, best, maximise=True)
    auto = mclp(sp.csr_array(cover), w, P, covered0=covered0)
    assert auto.objective == pytest.approx(best)
    # the reported pieces agree with each other
    assert auto.marginal_gain.sum() == pytest.approx(auto.objective)
    assert np.all(np.diff(auto.marginal_gain) <= 1e-9)
    np.testing.assert_allclose(auto.newly_covered, auto.marginal_gain)
    assert auto.covered_weight == pytest.approx(auto.objective + w[covered0].sum())
    assert auto.chosen.size <= P


@pytest.mark.parametrize("seed", SEEDS)
def test_mclp_budget_form_matches_brute_force(seed):
    rng, dist, w, covered0 = _points(seed)
    cover = dist < 0.3
    cost = rng.integers(0, 5, M).astype(float)
    best = brute_budget(cover, w, covered0, cost, 6.0)
    for reduce in (True, False):
        sol = mclp(
            cover, w, covered0=covered0, cost=cost, budget=6.0, solver="exact", reduce=reduce
        )
        assert sol.objective == pytest.approx(best)
        assert cost[sol.chosen].sum() <= 6.0
    greedy = mclp(cover, w, covered0=covered0, cost=cost, budget=6.0, solver="greedy")
    _within(greedy, best, maximise=True)
    assert cost[greedy.chosen].sum() <= 6.0
    # p and budget together: both limits hold
    both = mclp(cover, w, 2, covered0=covered0, cost=cost, budget=6.0, solver="exact")
    assert both.chosen.size <= 2
    assert cost[both.chosen].sum() <= 6.0


def test_mclp_greedy_ties_go_to_the_lowest_position():
    cover = np.eye(4, dtype=bool)
    sol = mclp(cover, np.ones(4), 2, solver="greedy")
    assert sol.chosen.tolist() == [0, 1]


def test_mclp_stops_when_nothing_new_is_left():
    cover = np.array([[1, 1, 0], [1, 0, 0], [0, 0, 0]])
    sol = mclp(cover, [1.0, 2.0, 4.0], 3)
    assert sol.chosen.tolist() == [0]
    assert sol.objective == 3.0
    assert sol.uncoverable.tolist() == [2]
    assert any("2 of 3" in note or "1 of 3" in note for note in sol.notes)


def test_stored_zero_distances_cover_with_a_radius():
    cover = sp.csr_array((np.array([0.0, 5.0]), (np.array([0, 1]), np.array([0, 1]))), shape=(2, 2))
    sol = mclp(cover, [3.0, 1.0], 1, radius=4.0)  # a stored 0 is a distance of 0: it covers
    assert sol.chosen.tolist() == [0]
    assert sol.objective == 3.0
    with pytest.raises(InputError, match="radius="):  # 5.0 is no 0/1 flag
        mclp(cover, [3.0, 1.0], 1)


def test_reduction_merges_identical_rows_and_drops_dominated_candidates():
    cover = np.zeros((3, 100), dtype=bool)
    cover[0, :50] = True
    cover[1, :100] = True  # covers everything candidate 0 covers: 0 is dominated
    cover[2, 50:] = True
    sol = mclp(cover, np.ones(100), 1, solver="exact")
    assert sol.chosen.tolist() == [1]
    assert sol.reduction.demand_out == 2  # two distinct covering sets
    assert sol.reduction.candidates_out == 1  # 0 and 2 are both inside 1
    plain = mclp(cover, np.ones(100), 1, solver="exact", reduce=False)
    assert plain.reduction.demand_out == 100
    assert plain.objective == sol.objective == 100.0


def test_solution_is_frozen():
    sol = mclp(np.eye(2), [1.0, 1.0], 1)
    with pytest.raises(AttributeError):
        sol.objective = 0.0  # type: ignore[misc]
    assert "mclp" in repr(sol)


@settings(derandomize=True, max_examples=30, deadline=None)
@given(
    m=st.integers(6, 9),
    n=st.integers(10, 30),
    p=st.integers(1, 4),
    radius=st.floats(0.15, 0.45),
    seed=st.integers(0, 2**16),
)
def test_coverage_and_travel_models_match_brute_force_on_random_sizes(m, n, p, radius, seed):
    rng = np.random.default_rng(seed)
    dist = np.linalg.norm(rng.random((m, 1, 2)) - rng.random((1, n, 2)), axis=2)
    w = rng.integers(0, 9, n).astype(float)
    covered0 = rng.random(n) < 0.15
    cover = dist < radius
    assert mclp(cover, w, p, covered0=covered0).objective == pytest.approx(
        brute_mclp(cover, w, covered0, p)
    )
    assert lscp(cover, w, covered0=covered0).objective == pytest.approx(
        brute_lscp(cover, w, covered0, 1.0, np.ones(m))
    )
    cost = np.where(dist <= 2 * radius, dist, np.inf)
    base = np.full(n, 2 * radius)
    assert p_median(cost, w, p, limit=2 * radius).objective == pytest.approx(
        brute_median(cost, w, base, p)
    )
    counted = (w > 0) & np.isfinite(cost).any(axis=0)
    if counted.any():
        assert p_center(cost, w, p, limit=2 * radius).objective == pytest.approx(
            brute_center(cost, base, counted, p)
        )


# ----------------------------------------------------------------------------- LSCP


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("target", [1.0, 0.6])
@pytest.mark.parametrize("priced", [False, True])
def test_lscp_matches_brute_force(seed, target, priced):
    rng, dist, w, covered0 = _points(seed)
    cover = dist < 0.25
    cost = rng.integers(1, 4, M).astype(float) if priced else None
    best = brute_lscp(cover, w, covered0, target, np.ones(M) if cost is None else cost)
    for reduce in (True, False):
        sol = lscp(
            cover, w, covered0=covered0, target=target, cost=cost, solver="exact", reduce=reduce
        )
        assert sol.objective == pytest.approx(best)
    greedy = lscp(cover, w, covered0=covered0, target=target, cost=cost, solver="greedy")
    _within(greedy, best, maximise=False)
    assert greedy.covered_share >= sol.covered_share - 1e-9 or greedy.covered_share >= target - 1e-9


def test_lscp_sets_uncoverable_demand_aside_only_when_needed():
    cover = np.array([[1, 1, 0, 0], [0, 1, 1, 0]])
    w = np.array([1.0, 1.0, 1.0, 1.0])
    full = lscp(cover, w)  # point 3 cannot be covered: 1.0 becomes "all coverable"
    assert full.uncoverable.tolist() == [3]
    assert full.objective == 2.0
    assert any("denominator" in note for note in full.notes)
    half = lscp(cover, w, target=0.5)  # 2 of 4 is reachable with the full denominator
    assert half.objective == 1.0
    assert not any("denominator" in note for note in half.notes)


def test_lscp_needs_nothing_when_existing_facilities_meet_the_target():
    sol = lscp(np.eye(3), [1.0, 1.0, 1.0], covered0=[True, True, False], target=0.6)
    assert sol.chosen.size == 0
    assert sol.objective == 0.0
    assert sol.solver == "trivial"


# ----------------------------------------------------------------------------- p-median, p-center


def _travel(seed, limit=0.5):
    rng, dist, w, _ = _points(seed)
    cost = np.where(dist <= limit, dist, np.inf)
    cost0 = np.where(rng.random(N) < 0.3, rng.random(N) * 0.6, np.inf)
    base = np.where(np.isfinite(cost0), cost0, limit)
    return cost, w, cost0, base


@pytest.mark.parametrize("seed", SEEDS)
def test_p_median_matches_brute_force(seed):
    cost, w, cost0, base = _travel(seed)
    best = brute_median(np.where(np.isfinite(cost), cost, np.inf), w, base, P)
    for reduce in (True, False):
        sol = p_median(cost, w, P, cost0=cost0, limit=0.5, solver="exact", reduce=reduce)
        assert sol.objective == pytest.approx(best)
    assert sol.mean_time == pytest.approx(best / w.sum())
    greedy = p_median(cost, w, P, cost0=cost0, limit=0.5, solver="greedy")
    _within(greedy, best, maximise=False)
    assert greedy.objective + greedy.marginal_gain.sum() == pytest.approx(w @ base)


@pytest.mark.parametrize("seed", SEEDS)
def test_p_center_matches_brute_force(seed):
    cost, w, cost0, base = _travel(seed)
    counted = (w > 0) & (np.isfinite(cost0) | np.isfinite(cost).any(axis=0))
    best = brute_center(cost, base, counted, P)
    for reduce in (True, False):
        sol = p_center(cost, w, P, cost0=cost0, limit=0.5, solver="exact", reduce=reduce)
        assert sol.objective == pytest.approx(best)
        assert sol.status == "optimal"
    greedy = p_center(cost, w, P, cost0=cost0, limit=0.5, solver="greedy")
    _within(greedy, best, maximise=False)


def test_unreached_demand_counts_at_the_search_limit():
    cost = sp.csr_array(np.array([[2.0, 0.0, 0.0], [0.0, 3.0, 0.0]]))  # stored: (0,0), (1,1)
    cost.eliminate_zeros()
    sol = p_median(cost, [1.0, 1.0, 5.0], 1, limit=10.0)
    assert sol.chosen.tolist() == [0]  # ties on savings (8 vs 7): the larger saving wins
    assert sol.objective == pytest.approx(2.0 + 10.0 + 50.0)
    assert sol.uncoverable.tolist() == [2]
    center = p_center(cost, [1.0, 1.0, 5.0], 2, limit=10.0)
    assert center.objective == 3.0  # point 2 is reached by nothing: left out of the worst
    assert center.uncoverable.tolist() == [2]


def test_cost_matrix_keeps_zero_times_and_the_shortest_duplicate():
    rows, cols = np.array([0, 0, 1]), np.array([0, 0, 1])
    cost = sp.coo_array((np.array([5.0, 1.0, 0.0]), (rows, cols)), shape=(2, 3))
    sol = p_median(cost, [1.0, 1.0, 1.0], 2, limit=10.0)
    # point 0: 1 (the shorter duplicate); point 1: 0 (a stored zero); point 2: unreached, 10
    assert sol.objective == 11.0
    dense = np.array([[1.0, np.inf, np.inf], [np.inf, 0.0, np.inf]])  # inf = unreachable
    assert p_median(dense, [1.0, 1.0, 1.0], 2, limit=10.0).objective == 11.0


# ----------------------------------------------------------------------------- capacitated, equity


@pytest.mark.parametrize("seed", SEEDS)
def test_capacitated_mclp_matches_brute_force(seed):
    rng, dist, w, covered0 = _points(seed)
    cover = dist < 0.35
    cap = rng.integers(5, 60, M).astype(float)
    best = brute_capacitated(cover, w, covered0, cap, P)
    for reduce in (True, False):
        sol = capacitated_mclp(cover, w, P, cap, covered0=covered0, solver="exact", reduce=reduce)
        assert sol.objective == pytest.approx(best)
    assert np.all(sol.served <= cap[sol.chosen] + 1e-6)
    assert sol.served.sum() == pytest.approx(sol.objective)
    assert sol.marginal_gain.sum() == pytest.approx(sol.objective)
    greedy = capacitated_mclp(cover, w, P, cap, covered0=covered0, solver="greedy")
    _within(greedy, best, maximise=True)
    open_demand = (w > 0) & ~covered0
    for found in (sol, greedy):  # each gain is what its site adds to the sites before it
        prefix = [max_flow(cover, w, open_demand, cap, found.chosen[:k]) for k in range(P + 1)]
        assert found.marginal_gain == pytest.approx(np.diff(prefix), abs=1e-6)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("floor", [None, 0.5])
def test_equity_mclp_matches_brute_force(seed, floor):
    rng, dist, w, covered0 = _points(seed)
    cover = dist < 0.3
    groups = rng.integers(0, 4, N)
    first, total = brute_equity(cover, w, covered0, groups, P, floor)
    for reduce in (True, False):
        sol = equity_mclp(
            cover, w, P, groups, covered0=covered0, floor=floor, solver="exact", reduce=reduce
        )
        got = equity_key(cover, w, covered0, groups, list(sol.chosen), floor)
        assert got[0] == pytest.approx(first, abs=1e-9)
        assert got[1] == pytest.approx(total)  # lexicographic tie-break on total coverage
    greedy = equity_mclp(cover, w, P, groups, covered0=covered0, floor=floor, solver="greedy")
    if floor is None:
        assert sol.objective == pytest.approx(first)
        _within(greedy, first, maximise=True)
    else:
        assert sol.objective == pytest.approx(total)
        assert sol.shortfall == pytest.approx(-first)
        assert greedy.bound >= total - 1e-7
    assert sol.group_labels.tolist() == sorted(set(groups.tolist()))


def test_equity_reports_communities_below_the_floor():
    cover = np.array([[1, 1, 0, 0, 0], [0, 0, 1, 0, 0]])
    w = np.array([4.0, 4.0, 1.0, 9.0, 2.0])
    groups = np.array(["a", "a", "b", "b", "c"])  # c: nobody can cover it
    sol = equity_mclp(cover, w, 1, groups, floor=0.5)
    assert sol.chosen.tolist() == [0]
    assert set(sol.below_floor) == {"b", "c"}
    assert any("cannot reach the floor" in note for note in sol.notes)
    maxmin = equity_mclp(cover, w, 2, groups)
    assert maxmin.objective == 0.0  # c stays at 0 whatever is built
    assert maxmin.chosen.tolist() == [0, 1]  # ... so total coverage decides


# ----------------------------------------------------------------------------- spopt


# PuLP 3.3 warns about its own 4.0 API changes from inside spopt; not ours to fix.
pulp_warnings = pytest.mark.filterwarnings("ignore:.*PuLP 4.0:DeprecationWarning")


def _mid(seed, m=40, n=300, limit=1000.0):
    rng = np.random.default_rng(seed)
    cand = rng.random((m, 2)) * 2000
    points = rng.random((n, 2)) * 2000
    existing = rng.random((3, 2)) * 2000
    detour = rng.uniform(1.0, 1.3, (m + 3, n))
    dist = np.linalg.norm(np.vstack([cand, existing])[:, None] - points[None], axis=2) * detour
    w = rng.integers(1, 20, n).astype(float)
    return dist[:m], dist[m:], w, limit


def _cbc():
    pulp = pytest.importorskip("pulp")
    return pulp.PULP_CBC_CMD(msg=False)


def _sparse(dist, limit):
    keep = dist <= limit
    return sp.csr_array((dist[keep], np.nonzero(keep)), shape=dist.shape)


@pulp_warnings
@pytest.mark.parametrize("seed", [0, 1])
def test_mclp_equals_spopt(seed):
    locate = pytest.importorskip("spopt.locate")
    dist, old, w, _ = _mid(seed)
    radius = 350.0
    cover = _sparse(dist, radius)
    covered0 = (old <= radius).any(axis=0)
    ours = mclp(cover, w, 5, covered0=covered0, radius=radius, solver="exact")
    both = np.vstack([dist, old])
    matrix = np.where(both <= radius, both, 1e9).T
    predefined = np.r_[np.zeros(len(dist)), np.ones(len(old))].astype(int)
    theirs = locate.MCLP.from_cost_matrix(
        matrix, w, radius, 5 + len(old), predefined_facilities_arr=predefined
    ).solve(_cbc())
    assert ours.objective + w[covered0].sum() == pytest.approx(theirs.problem.objective.value())


@pulp_warnings
def test_lscp_equals_spopt():
    locate = pytest.importorskip("spopt.locate")
    dist, old, _, _ = _mid(3)
    radius = 450.0
    both = np.vstack([dist, old])
    coverable = (both <= radius).any(axis=0)
    covered0 = (old <= radius).any(axis=0)
    ours = lscp(_sparse(dist, radius), covered0=covered0, radius=radius, solver="exact")
    assert ours.uncoverable.tolist() == np.flatnonzero(~coverable).tolist()
    matrix = np.where(both <= radius, both, 1e9).T[coverable]  # spopt cannot drop them itself
    predefined = np.r_[np.zeros(len(dist)), np.ones(len(old))].astype(int)
    theirs = locate.LSCP.from_cost_matrix(
        matrix, radius, predefined_facilities_arr=predefined
    ).solve(_cbc())
    assert ours.objective + len(old) == pytest.approx(theirs.problem.objective.value())


@pulp_warnings
def test_p_median_equals_spopt():
    locate = pytest.importorskip("spopt.locate")
    dist, old, w, limit = _mid(4)
    cost0 = np.where(old <= limit, old, np.inf).min(axis=0)
    ours = p_median(_sparse(dist, limit), w, 5, cost0=cost0, limit=limit, solver="exact")
    both = np.vstack([dist, old])
    matrix = np.where(both <= limit, both, limit).T  # unreachable = the penalty
    predefined = np.r_[np.zeros(len(dist)), np.ones(len(old))].astype(int)
    theirs = locate.PMedian.from_cost_matrix(
        matrix, w, 5 + len(old), predefined_facilities_arr=predefined
    ).solve(_cbc())
    assert ours.objective == pytest.approx(theirs.problem.objective.value(), rel=1e-7)


@pulp_warnings
def test_p_center_equals_spopt():
    locate = pytest.importorskip("spopt.locate")
    # CBC needs 5-50 s for p-center at 40 x 300; 25 x 150 keeps the suite fast
    dist, _, w, limit = _mid(1, m=25, n=150)
    ours = p_center(_sparse(dist, limit), w, 4, limit=limit, solver="exact")
    assert ours.uncoverable.size == 0
    matrix = np.where(dist <= limit, dist, limit).T
    theirs = locate.PCenter.from_cost_matrix(matrix, 4).solve(_cbc())
    assert ours.objective == pytest.approx(theirs.problem.objective.value(), rel=1e-6)


# ----------------------------------------------------------------------------- bad inputs

COVER = np.eye(3, dtype=bool)
W = np.ones(3)
COST = np.eye(3) + 1.0


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: mclp(COVER, W, 4), "larger than the number of candidate"),
        (lambda: mclp(COVER, W, 0), "at least 1"),
        (lambda: mclp(COVER, W, 1.5), "whole number"),
        (lambda: mclp(COVER, W, None), "give p"),
        (lambda: mclp(np.zeros((0, 3)), W, 1), "no candidates"),
        (lambda: mclp(np.ones(3), W, 1), "2-D"),
        (lambda: mclp(COVER, np.ones(4), 1), "one value per demand point"),
        (lambda: mclp(COVER, [1.0, -1.0, 1.0], 1), "negative"),
        (lambda: mclp(COVER, [1.0, np.nan, 1.0], 1), "NaN"),
        (lambda: mclp(COVER, W, 1, covered0=[True]), "one True/False per demand point"),
        (lambda: mclp(COVER, W, 1, solver="cplex"), "solver must be"),
        (lambda: mclp(COVER, W, 1, time_limit=0), "time_limit"),
        (lambda: mclp(COVER, W, 1, mip_gap=-0.1), "mip_gap"),
        (lambda: mclp(COVER, W, 1, cost=[1, 1, 1]), "only with budget"),
        (lambda: mclp(COVER, W, budget=2.0), "needs cost"),
        (lambda: mclp(COVER, W, budget=-1.0, cost=[1, 1, 1]), "budget must be"),
        (lambda: mclp(COVER, W, budget=2.0, cost=[1, 1]), "one value per candidate"),
        (lambda: mclp(COVER, W, budget=2.0, cost=[1, -1, 1]), "cost must be"),
        (lambda: lscp(COVER, W, target=0.0), r"target must be .* \(0, 1\]"),
        (lambda: lscp(COVER, W, target=1.5), r"\(0, 1\]"),
        (lambda: lscp(COVER, W, target=math.nan), r"\(0, 1\]"),
        (lambda: p_median(COST, W, 4), "larger than the number of candidate"),
        (lambda: p_median(-COST, W, 1), "negative travel times"),
        (lambda: p_median(COST, W, 1, cost0=[1.0, -1.0, 1.0]), "cost0"),
        (lambda: p_median(COST, W, 1, cost0=[1.0]), "one value per demand point"),
        (lambda: p_median(COST, W, 1, limit=-5.0), "limit"),
        (lambda: p_center(COST, np.ones(2), 1), "one value per demand point"),
        (lambda: p_center(np.full((3, 3), np.nan), W, 1), "NaN"),
        (lambda: capacitated_mclp(COVER, W, 1, [1.0, -2.0, 1.0]), "capacity must be >= 0"),
        (lambda: capacitated_mclp(COVER, W, 1, [1.0, np.nan, 1.0]), "capacity"),
        (lambda: capacitated_mclp(COVER, W, 1, [1.0, 1.0]), "one value per candidate"),
        (lambda: equity_mclp(COVER, W, 1, [0, 1]), "one community id"),
        (lambda: equity_mclp(COVER, W, 1, [0, 1, 1], floor=1.5), r"floor must be"),
        (lambda: equity_mclp(COVER, W, 1, [0, 1, 1], objective="floor"), "needs floor"),
        (lambda: equity_mclp(COVER, W, 1, [0, 1, 1], floor=0.5, objective="maxmin"), "drop floor"),
        (lambda: equity_mclp(COVER, W, 1, [0, 1, 1], objective="gini"), "objective must be"),
        (lambda: equity_mclp(COVER, W, 1, [0.0, np.nan, 1.0]), "NaN"),
    ],
)
def test_bad_inputs_raise_input_error(call, match):
    with pytest.raises(InputError, match=match):
        call()


def test_input_errors_are_value_errors():
    with pytest.raises(ValueError, match="at least 1"):
        mclp(COVER, W, 0)
