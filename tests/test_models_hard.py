"""Honest answers on hard location instances: bounds, gaps, warm starts, time limits.

Small instances are checked against brute force over every p-subset; the
moderately sized seeded instances of :mod:`geoplan.datasets._location` check
that a solver path never outlives its time limit and never calls a loose
answer optimal.
"""

from __future__ import annotations

import itertools
import math
import time
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

from geoplan import models
from geoplan.datasets._location import clustered_coverage, dense_median
from geoplan.models import _facility, _interchange, _perturb
from geoplan.models._lagrange import _facility_dual, _fixed_sites, _top

SEEDS = range(6)


def _coverage_case(seed: int, m: int = 11, n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """A random 0/1 cover (m x n, each point within reach of 1-4 candidates) and weights."""
    rng = np.random.default_rng(seed)
    cover = np.zeros((m, n))
    for i in range(n):
        cover[rng.choice(m, rng.integers(1, 5), replace=False), i] = 1.0
    return cover, rng.integers(1, 30, n).astype(float)


def _median_case(seed: int, m: int = 10, n: int = 35) -> tuple[np.ndarray, np.ndarray]:
    """A random dense m x n planar distance matrix (every pair reachable) and weights."""
    rng = np.random.default_rng(seed)
    cost = np.linalg.norm(rng.random((m, 1, 2)) - rng.random((1, n, 2)), axis=2)
    return cost, rng.integers(1, 30, n).astype(float)


def _coverage_of(cover: np.ndarray, w: np.ndarray, sites: tuple[int, ...]) -> float:
    return float(w[cover[list(sites)].max(axis=0) > 0].sum()) if sites else 0.0


def _total_time(cost: np.ndarray, w: np.ndarray, sites: tuple[int, ...]) -> float:
    return float(w @ cost[list(sites)].min(axis=0))


def _best_cover(cover: np.ndarray, w: np.ndarray, p: int) -> float:
    """Brute force: the largest weight any p candidates cover."""
    subsets = itertools.combinations(range(cover.shape[0]), p)
    return max(_coverage_of(cover, w, s) for s in subsets)


def _best_median(cost: np.ndarray, w: np.ndarray, p: int) -> float:
    """Brute force: the least total weighted time of any p candidates."""
    subsets = itertools.combinations(range(cost.shape[0]), p)
    return min(_total_time(cost, w, s) for s in subsets)


def _savings(cost: np.ndarray) -> tuple[sp.csr_array, float]:
    """The p-median as savings s_ij = base_i - c_ij (base_i = the worst time of point i)."""
    base = cost.max(axis=0)
    return sp.csr_array(base[None, :] - cost), base


def _greedy_sites(s: sp.csr_array, v: np.ndarray, p: int) -> list[int]:
    """Plain greedy over f(S) = sum_i v_i max_{j in S} s_ij (a valid incumbent)."""
    dense = s.toarray()
    best = np.zeros(dense.shape[1])
    sites: list[int] = []
    for _ in range(p):
        gains = (np.maximum(dense, best) - best) @ v
        gains[sites] = -1.0
        j = int(np.argmax(gains))
        sites.append(j)
        best = np.maximum(best, dense[j])
    return sites


def _dual(s: sp.csr_array, v: np.ndarray, p: int, steps: int = 300):
    return _facility_dual(
        s, v, p, incumbent=_greedy_sites(s, v, p), deadline=math.inf, max_steps=steps
    )


# -- the Lagrangian bound ------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("p", [1, 2, 3, 4])
def test_the_lagrangian_bound_is_never_below_the_best_coverage(seed, p):
    cover, w = _coverage_case(seed)
    dual = _dual(sp.csr_array(cover), w, p)
    best = _best_cover(cover, w, p)
    assert dual.bound >= best - 1e-9 * best
    # the best solution the search met is a real one, and no better than the optimum
    assert dual.best_value == pytest.approx(_coverage_of(cover, w, tuple(dual.best_sites)))
    assert dual.best_value <= best + 1e-9


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("p", [1, 2, 3])
def test_the_lagrangian_bound_on_the_p_median_is_never_above_the_least_time(seed, p):
    cost, w = _median_case(seed)
    s, base = _savings(cost)
    dual = _dual(s, w, p)
    lower = float(w @ base) - dual.bound  # max savings <= L, so min time >= base - L
    best = _best_median(cost, w, p)
    assert lower <= best + 1e-9 * best
    assert float(w @ base) - dual.best_value >= best - 1e-9 * best


@pytest.mark.parametrize("seed", SEEDS)
def test_candidates_the_multipliers_fix_cannot_beat_the_best_known_value(seed):
    # a candidate fixed out is in no better solution; one fixed in is in every better one
    cover, w = _coverage_case(seed, m=10)
    p = 3
    dual = _dual(sp.csr_array(cover), w, p, steps=600)
    out, keep = _fixed_sites(dual, p, dual.best_value)
    subsets = list(itertools.combinations(range(cover.shape[0]), p))
    values = {sub: _coverage_of(cover, w, sub) for sub in subsets}
    for j in np.flatnonzero(out):
        assert max(v for sub, v in values.items() if j in sub) <= dual.best_value + 1e-9
    for j in np.flatnonzero(keep):
        assert max(v for sub, v in values.items() if j not in sub) <= dual.best_value + 1e-9


# -- the reported answer against brute force --------------------------------------------


@pytest.fixture(params=["direct", "lagrangian"])
def path(request, monkeypatch):
    """Solve small programs straight by HiGHS, or through the Lagrangian bound and fixing."""
    if request.param == "lagrangian":
        monkeypatch.setattr(_facility, "_DIRECT_NONZEROS", 0)
    return request.param


def _gap(objective: float, bound: float) -> float:
    return abs(bound - objective) / abs(objective)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("solver", ["exact", "auto", "greedy"])
def test_mclp_bound_gap_and_optimum_agree_with_brute_force(seed, solver, path):
    cover, w = _coverage_case(seed)
    p = 3
    best = _best_cover(cover, w, p)
    sol = models.mclp(cover, w, p, solver=solver, time_limit=30)
    assert sol.objective == pytest.approx(_coverage_of(cover, w, tuple(sol.chosen)))
    assert sol.bound >= best - 1e-9 * best
    assert sol.gap == pytest.approx(_gap(sol.objective, sol.bound), abs=1e-12)
    if sol.status == "optimal":
        assert sol.objective == pytest.approx(best)
    if solver != "greedy":
        assert sol.status == "optimal"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("solver", ["exact", "auto", "greedy"])
def test_p_median_bound_gap_and_optimum_agree_with_brute_force(seed, solver, path):
    cost, w = _median_case(seed)
    p = 3
    best = _best_median(cost, w, p)
    sol = models.p_median(cost, w, p, solver=solver, time_limit=30)
    assert sol.objective == pytest.approx(_total_time(cost, w, tuple(sol.chosen)))
    assert sol.bound <= best + 1e-9 * best
    assert sol.gap == pytest.approx(_gap(sol.objective, sol.bound), abs=1e-12)
    if sol.status == "optimal":
        assert sol.objective == pytest.approx(best)
    if solver != "greedy":
        assert sol.status == "optimal"


# -- warm start ---------------------------------------------------------------------------


@pytest.fixture
def starts(monkeypatch):
    """Record (start value, answer value) of each HiGHS solve (``_facility._exact``), in f."""
    seen: list[tuple[float, float]] = []
    exact = _facility._exact

    def spy(task, part, prog, best):
        choice = exact(task, part, prog, best)
        seen.append((best.value, choice.value))
        return choice

    monkeypatch.setattr(_facility, "_exact", spy)
    return seen


@pytest.mark.parametrize(("p", "limit"), [(10, 0.5), (25, 3.0)])
def test_warm_started_highs_is_never_worse_than_its_start(starts, p, limit):
    inst = clustered_coverage(3_000, 300, per_point=25.0, seed=4)
    sol = models.mclp(inst.cover, inst.w, p, solver="exact", time_limit=limit)
    med = dense_median(800, 80, seed=4)
    median = models.p_median(med.cost, med.w, p, solver="exact", time_limit=limit)
    assert starts  # the coverage model went to HiGHS (the p-median may be proven before)
    assert all(answer >= start - 1e-9 for start, answer in starts)
    assert sol.bound >= sol.objective
    assert median.bound <= median.objective


def test_with_time_to_finish_exact_is_at_least_as_good_as_greedy():
    inst = clustered_coverage(3_000, 300, per_point=25.0, seed=4)
    greedy = models.mclp(inst.cover, inst.w, 10, solver="greedy")
    exact = models.mclp(inst.cover, inst.w, 10, solver="exact", time_limit=60)
    assert exact.status == "optimal"
    assert exact.objective >= greedy.objective
    assert greedy.bound >= exact.objective  # greedy's Lagrangian bound is valid


# -- time limits ----------------------------------------------------------------------------

#: The time limit of the hard runs and the margin a call may take beyond it (reading and
#: reducing the inputs, writing the answer: the solver steps themselves stop on time).
LIMIT = 2.0
MARGIN = 1.0


@pytest.fixture(scope="module")
def hard_cover():
    """A seeded clustered coverage instance HiGHS cannot finish in LIMIT seconds."""
    return clustered_coverage(8_000, 800, per_point=40.0, seed=3)


@pytest.fixture(scope="module")
def hard_median():
    """A seeded dense 2,000 x 300 p-median instance."""
    return dense_median(2_000, 300, seed=3)


def _hard_call(name, cover, median):
    w, cap = cover.w, np.full(cover.cover.shape[0], cover.w.sum() / 30)
    groups = np.random.default_rng(0).integers(0, 20, w.size)
    calls = {
        "mclp": lambda s, t: models.mclp(cover.cover, w, 30, solver=s, time_limit=t),
        "lscp": lambda s, t: models.lscp(cover.cover, w, solver=s, time_limit=t),
        "lscp_b": lambda s, t: models.lscp_b(cover.cover, w, solver=s, time_limit=t),
        "equity_mclp": lambda s, t: models.equity_mclp(
            cover.cover, w, 30, groups, solver=s, time_limit=t
        ),
        "capacitated_mclp": lambda s, t: models.capacitated_mclp(
            cover.cover, w, 30, cap, solver=s, time_limit=t
        ),
        "p_median": lambda s, t: models.p_median(median.cost, median.w, 30, solver=s, time_limit=t),
        "p_center": lambda s, t: models.p_center(median.cost, median.w, 30, solver=s, time_limit=t),
        "capacitated_p_median": lambda s, t: models.capacitated_p_median(
            median.cost,
            median.w,
            30,
            np.full(median.cost.shape[0], median.w.sum() / 20),
            solver=s,
            time_limit=t,
        ),
    }
    return calls[name]


MODELS = [
    "mclp",
    "lscp",
    "lscp_b",
    "equity_mclp",
    "capacitated_mclp",
    "p_median",
    "p_center",
    "capacitated_p_median",
]


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("solver", ["greedy", "auto", "exact"])
def test_every_model_returns_within_its_time_limit(name, solver, hard_cover, hard_median):
    call = _hard_call(name, hard_cover, hard_median)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # unreachable demand is expected and beside the point
        sol = call(solver, LIMIT)
    assert time.perf_counter() - start <= LIMIT + MARGIN
    # never "optimal" with a gap above the tolerance (mip_gap, 1e-6 by default)
    assert sol.status != "optimal" or sol.gap <= 1e-6 + 1e-9
    assert sol.status in ("optimal", "time limit", "heuristic")


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("mip_gap", [1e-6, 0.01, 0.05])
def test_a_status_of_optimal_never_comes_with_a_gap_above_mip_gap(seed, mip_gap, path):
    cover, w = _coverage_case(seed, m=12, n=60)
    cost, wm = _median_case(seed)
    for sol in (
        models.mclp(cover, w, 4, mip_gap=mip_gap),
        models.mclp(cover, w, 4, solver="greedy", mip_gap=mip_gap),
        models.p_median(cost, wm, 3, mip_gap=mip_gap),
        models.p_median(cost, wm, 3, solver="greedy", mip_gap=mip_gap),
    ):
        assert sol.status != "optimal" or sol.gap <= mip_gap + 1e-9


@pytest.mark.parametrize("p", [5, 12])
def test_auto_and_exact_are_never_worse_than_greedy_given_the_time(p):
    # "auto" and "exact" run the greedy solver's whole search first and only add to it
    inst = clustered_coverage(3_000, 300, per_point=25.0, seed=5)
    greedy = models.mclp(inst.cover, inst.w, p, solver="greedy")
    for solver in ("auto", "exact"):
        sol = models.mclp(inst.cover, inst.w, p, solver=solver, time_limit=120)
        assert sol.objective >= greedy.objective
        assert sol.gap <= greedy.gap + 1e-12
    med = dense_median(800, 80, seed=5)
    greedy = models.p_median(med.cost, med.w, p, solver="greedy")
    for solver in ("auto", "exact"):
        sol = models.p_median(med.cost, med.w, p, solver=solver, time_limit=120)
        assert sol.objective <= greedy.objective + 1e-6 * greedy.objective
        assert sol.gap <= greedy.gap + 1e-12


def sorted_top(values, p):
    """The p largest positive values' positions by a full sort (ties to the lowest position)."""
    positive = np.flatnonzero(values > 0)
    order = np.lexsort((positive, -values[positive]))
    return np.sort(positive[order[:p]])


@pytest.mark.parametrize("seed", range(4))
def test_the_linear_time_top_p_is_the_sorted_one(seed):
    rng = np.random.default_rng(seed)
    for trial in range(2_000):
        m, p = int(rng.integers(0, 40)), int(rng.integers(0, 10))
        # ties and non-positive values on odd trials, distinct reals on even ones
        values = rng.integers(-3, 4, m).astype(float) if trial % 2 else rng.normal(size=m)
        assert np.array_equal(_top(values, p), sorted_top(values, p))


# -- the iterated swap search ---------------------------------------------------------


class _NeverTried(set):
    """A set of untried kicks that never runs out: every round is made (the search before)."""

    def __eq__(self, other):
        return False

    __hash__ = None


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("p", [1, 3, 6])
@pytest.mark.parametrize("kind", ["coverage", "median"])
def test_swaps_stop_once_every_single_kick_failed_with_the_sites_of_every_round(
    seed, p, kind, monkeypatch
):
    # an undone round leaves the sites as they were, so once each of the 3p single kicks
    # has failed every further round repeats one: stopping there finds the same sites
    if kind == "coverage":
        cover, w = _coverage_case(seed, m=30, n=120)
        s = sp.csr_array(cover)
    else:
        cost, w = _median_case(seed, m=30, n=90)
        s, _ = _savings(cost)
    start = _greedy_sites(s, w, p)
    rounds: list[int] = []
    climb = _perturb._climb
    monkeypatch.setattr(_perturb, "_climb", lambda *a: (rounds.append(1), climb(*a))[1])
    stopped = _perturb._iterated_swaps(s, w, start, rounds=150, deadline=math.inf)
    made = len(rounds)
    monkeypatch.setattr(_perturb, "_every_kick", lambda state: _NeverTried({(-1, -1)}))
    every = _perturb._iterated_swaps(s, w, start, rounds=150, deadline=math.inf)
    assert stopped == every
    assert len(rounds) - made == 150  # the search before: every round
    assert made < 150  # and this one stopped
    assert made >= min(3 * p, 30 - p)


def test_a_round_without_a_possible_kick_does_not_stop_the_search(monkeypatch):
    # p = 1 of 2 candidates: one kick only (the other candidate); tried, it stops
    s = sp.csr_array(np.array([[1.0, 1.0, 0.0], [0.0, 1.0, 1.0]]))
    w = np.array([5.0, 1.0, 2.0])
    rounds: list[int] = []
    climb = _perturb._climb
    monkeypatch.setattr(_perturb, "_climb", lambda *a: (rounds.append(1), climb(*a))[1])
    assert _perturb._iterated_swaps(s, w, [0], rounds=50, deadline=math.inf) == [0]
    assert len(rounds) == 1


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("p", [1, 2, 4])
def test_the_swap_tables_of_a_coverage_model_are_those_summed_pair_by_pair(seed, p):
    # coverage builds what every uncovered point adds to the gains as one sparse product;
    # the pairs' own sums (as for any savings) give the same bits, weights not whole
    cover, _ = _coverage_case(seed, m=25, n=300)
    w = np.random.default_rng(seed).random(300) * 97.0
    s = sp.csr_array(cover)
    state = _interchange._Interchange(s, w, _greedy_sites(s, w, p))
    assert state.unit
    fast = (state.gains.copy(), state.loss.copy(), state.extra.copy())
    state.unit = False
    state._rebuild()
    for mine, pairwise in zip(fast, (state.gains, state.loss, state.extra), strict=True):
        assert np.array_equal(mine, pairwise)
    assert np.any(state.gains > 0)
    assert np.any(state.extra != 0)
    # unsorted points per candidate: summed pair by pair
    shuffled = sp.csr_array((s.data, s.indices.copy(), s.indptr), shape=s.shape)
    row = slice(shuffled.indptr[0], shuffled.indptr[1])
    shuffled.indices[row] = shuffled.indices[row][::-1]
    shuffled.has_sorted_indices = False
    assert not _interchange._Interchange(shuffled, w, [0]).unit
