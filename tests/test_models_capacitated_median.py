"""geoplan.models.capacitated_p_median against brute force, spopt's published answers and spopt.

The oracle enumerates every set of at most p sites that holds the forced ones and, for
each, every assignment of each demand point to one open site in reach within the
capacities (single sourcing, as spopt's ``PMedian`` with ``facility_capacities``); with
``split=True`` it is a minimum-cost flow (networkx) instead.

spopt's published answers come from spopt/tests/test_locate/test_c_p_median.py
(pysal/spopt, BSD-3-Clause):

* ``TestRealWorldLocate.test_mixin_mean_time``: 10 students, 74 schools (places as
  capacities), p=10, the priority-1 schools predefined and filled
  (``fulfill_predefined_fac=True``): ``mean_dist == 87.2``. Data:
  tests/data/spopt_school_times.csv and spopt_schools.csv (see tests/data/README.md).
* its infeasible cases: priority-3 schools filled (more places than pupils); demand 5
  per student (more pupils than the 10 largest schools hold).
* ``TestSyntheticLocate``: 2 clients (demand 4 and 10), 3 facilities (capacities 5, 7,
  10) on spaghetti's 10 x 10 lattice, p=2: ``cli2fac == [[1], [2]]``; the same with
  facility 2 predefined and filled; infeasible with facility 0 predefined and filled.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from geoplan._errors import InputError
from geoplan.models import capacitated_p_median, p_median

DATA = Path(__file__).parent / "data"


# ----------------------------------------------------------------------------- oracles


def brute_whole(cost, w, cap, p, forced=(), fill=False):
    """Least cost with every point (w > 0) whole at one open site; inf when impossible."""
    m, n = cost.shape
    points = [i for i in range(n) if w[i] > 0]
    best = math.inf
    for k in range(len(forced), p + 1):
        for sites in itertools.combinations(range(m), k):
            if not set(forced) <= set(sites):
                continue
            options = [[j for j in sites if np.isfinite(cost[j, i])] for i in points]
            for pick in itertools.product(*options):
                load = np.zeros(m)
                for i, j in zip(points, pick, strict=True):
                    load[j] += w[i]
                if (load > cap + 1e-9).any():
                    continue
                if fill and any(abs(load[j] - cap[j]) > 1e-9 for j in forced):
                    continue
                best = min(best, sum(w[i] * cost[j, i] for i, j in zip(points, pick, strict=True)))
    return best


def flow_cost(cost, w, cap, sites):
    """Least cost of a split assignment to ``sites`` (networkx min-cost flow; inf if none)."""
    graph = nx.DiGraph()
    total = int(w.sum())
    graph.add_node("s", demand=-total)
    graph.add_node("t", demand=total)
    for j in sites:
        graph.add_edge("s", ("site", j), capacity=int(min(cap[j], total)), weight=0)
        for i in np.flatnonzero(np.isfinite(cost[j]) & (w > 0)):
            graph.add_edge(("site", j), ("point", i), weight=int(cost[j, i]))
    for i in np.flatnonzero(w > 0):
        graph.add_edge(("point", i), "t", capacity=int(w[i]), weight=0)
    try:
        return nx.min_cost_flow_cost(graph)
    except nx.NetworkXUnfeasible:
        return math.inf


def brute_split(cost, w, cap, p):
    m = cost.shape[0]
    return min(
        flow_cost(cost, w, cap, sites)
        for k in range(1, p + 1)
        for sites in itertools.combinations(range(m), k)
    )


def _instance(seed, m=5, n=6):
    """Integer costs (some pairs out of reach) and weights, capacities that bind."""
    rng = np.random.default_rng(seed)
    cost = rng.integers(1, 30, (m, n)).astype(float)
    cost[rng.random((m, n)) < 0.25] = np.inf
    for i in np.flatnonzero(~np.isfinite(cost).any(axis=0)):
        cost[rng.integers(m), i] = float(rng.integers(1, 30))  # everyone reaches a site
    w = rng.integers(0, 6, n).astype(float)
    cap = rng.integers(4, 14, m).astype(float)
    return rng, cost, w, cap


def _check_allocation(sol, cost, w, cap, *, whole=True):
    alloc = sol.allocation.toarray()
    np.testing.assert_allclose(alloc.sum(axis=0), w, atol=1e-6)  # everyone served in full
    assert (alloc.sum(axis=1) <= cap + 1e-6).all()  # capacities hold
    assert set(np.flatnonzero(alloc.sum(axis=1) > 0)) <= set(sol.chosen.tolist())
    if whole:
        assert ((alloc > 1e-9).sum(axis=0) <= 1).all()  # one site per point
    used = alloc > 0
    assert np.isfinite(cost[used]).all()
    assert sol.objective == pytest.approx(float((alloc[used] * cost[used]).sum()))
    assert sol.mean_time == pytest.approx(sol.objective / w.sum())
    np.testing.assert_allclose(sol.served, alloc.sum(axis=1)[sol.chosen], atol=1e-6)


# ----------------------------------------------------------------------------- brute force


@pytest.mark.parametrize("seed", range(12))
def test_single_sourcing_matches_brute_force(seed):
    _, cost, w, cap = _instance(seed)
    p = 3
    best = brute_whole(cost, w, cap, p)
    if math.isinf(best):
        with pytest.raises(InputError, match=r"p=3|split=True"):
            capacitated_p_median(cost, w, p, cap, solver="exact")
        return
    sol = capacitated_p_median(cost, w, p, cap, solver="exact")
    assert sol.objective == pytest.approx(best)
    assert sol.status == "optimal"
    assert sol.chosen.size <= p
    _check_allocation(sol, cost, w, cap)
    greedy = capacitated_p_median(cost, w, p, cap, solver="greedy")
    assert greedy.objective >= best - 1e-9
    assert greedy.bound <= best + 1e-9
    _check_allocation(greedy, cost, w, cap)


@pytest.mark.parametrize("seed", range(8))
def test_split_assignment_matches_min_cost_flow(seed):
    _, cost, w, cap = _instance(seed + 50)
    cap = cap + 3.0  # room enough for a split answer more often
    p = 2
    best = brute_split(cost, w, cap, p)
    if math.isinf(best):
        with pytest.raises(InputError):
            capacitated_p_median(cost, w, p, cap, split=True, solver="exact")
        return
    sol = capacitated_p_median(cost, w, p, cap, split=True, solver="exact")
    assert sol.objective == pytest.approx(best)
    _check_allocation(sol, cost, w, cap, whole=False)
    # splitting can only help: never dearer than single sourcing
    whole = brute_whole(cost, w, cap, p)
    assert sol.objective <= whole + 1e-9


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("fill", [False, True])
def test_forced_sites_count_within_p_and_match_brute_force(seed, fill):
    rng, cost, w, cap = _instance(seed + 100)
    forced = [int(rng.integers(cost.shape[0]))]
    if fill:
        cap[forced[0]] = min(cap[forced[0]], w.sum())
    best = brute_whole(cost, w, cap, 3, forced=forced, fill=fill)
    if math.isinf(best):
        with pytest.raises(InputError):
            capacitated_p_median(cost, w, 3, cap, forced=forced, fill_forced=fill)
        return
    sol = capacitated_p_median(cost, w, 3, cap, forced=forced, fill_forced=fill)
    assert sol.objective == pytest.approx(best)
    assert forced[0] in sol.chosen.tolist()
    assert sol.chosen.size <= 3
    _check_allocation(sol, cost, w, cap)
    if fill:
        assert sol.allocation.toarray()[forced[0]].sum() == pytest.approx(cap[forced[0]])


def test_without_binding_capacity_it_is_the_p_median():
    rng = np.random.default_rng(7)
    dist = np.linalg.norm(rng.random((8, 1, 2)) - rng.random((1, 30, 2)), axis=2)
    w = rng.integers(1, 9, 30).astype(float)
    ours = capacitated_p_median(dist, w, 3, np.full(8, np.inf))
    assert ours.objective == pytest.approx(p_median(dist, w, 3).objective)


def test_zero_weight_demand_is_left_out():
    cost = np.array([[1.0, 2.0, np.inf], [3.0, 1.0, np.inf]])
    sol = capacitated_p_median(cost, [2.0, 3.0, 0.0], 1, [10.0, 10.0])  # point 2 reaches nothing
    assert sol.chosen.tolist() == [0]
    assert sol.objective == 2.0 + 6.0
    assert sol.allocation.toarray()[:, 2].tolist() == [0.0, 0.0]


# ----------------------------------------------------------------------------- spopt


def _schools():
    times = pd.read_csv(DATA / "spopt_school_times.csv", index_col="student")
    schools = pd.read_csv(DATA / "spopt_schools.csv")
    assert times.columns.tolist() == schools["school"].tolist()
    return times.to_numpy().T, schools  # 74 schools x 10 students, NaN = no journey


def test_spopt_published_mean_time_is_reproduced():
    """spopt's test_mixin_mean_time: capacitated p-median, priority-1 schools filled: 87.2."""
    times, schools = _schools()
    cost = np.where(np.isnan(times), 10000.0, times)  # spopt's fill_value for no journey
    places = schools["places"].to_numpy(dtype=float)
    priority = np.flatnonzero(schools["priority"] == 1)
    sol = capacitated_p_median(
        cost, np.ones(10), 10, places, forced=priority, fill_forced=True, solver="exact"
    )
    assert sol.mean_time == pytest.approx(87.2)
    assert sol.objective == pytest.approx(872.0)
    assert sol.status == "optimal"  # spopt: problem.status == LpStatusOptimal
    assert set(priority) <= set(sol.chosen.tolist())
    alloc = sol.allocation.toarray()
    np.testing.assert_allclose(alloc[priority].sum(axis=1), places[priority])  # filled
    # the pairs spopt filled with 10000 are never used; as np.inf the answer is the same
    unreached = np.where(np.isnan(times), np.inf, times)
    same = capacitated_p_median(
        unreached, np.ones(10), 10, places, forced=priority, fill_forced=True
    )
    assert same.objective == pytest.approx(872.0)


def test_spopt_published_infeasible_cases_are_refused_with_the_reason():
    times, schools = _schools()
    cost = np.where(np.isnan(times), 10000.0, times)
    places = schools["places"].to_numpy(dtype=float)
    priority3 = np.flatnonzero(schools["priority"] == 3)
    assert priority3.size == 19  # more than p=10 as well: that is said first
    with pytest.raises(InputError, match=r"forced holds 19 sites but p=10"):
        capacitated_p_median(cost, np.ones(10), 10, places, forced=priority3, fill_forced=True)
    with pytest.raises(InputError, match=r"fill_forced=True fills the forced sites .* only 10"):
        capacitated_p_median(cost, np.ones(10), 19, places, forced=priority3, fill_forced=True)
    with pytest.raises(InputError, match=r"the p=10 sites with the most capacity .* totals 50"):
        capacitated_p_median(cost, np.full(10, 5.0), 10, places)
    with pytest.raises(InputError, match="at least 1"):  # spopt: p=0 is infeasible
        capacitated_p_median(cost, np.ones(10), 0, places)


SYNTHETIC = np.array(  # spaghetti's lattice instance, rounded (tested exactly below)
    [[12.603, 13.101], [3.936, 4.434], [8.166, 8.664]]
)


def test_spopt_published_synthetic_answers_hold_on_the_rounded_matrix():
    cap, demand = np.array([5.0, 7.0, 10.0]), np.array([4.0, 10.0])
    sol = capacitated_p_median(SYNTHETIC, demand, 2, cap)
    assert _cli2fac(sol) == [[1], [2]]
    forced = capacitated_p_median(SYNTHETIC, demand, 2, cap, forced=[2], fill_forced=True)
    assert _cli2fac(forced) == [[1], [2]]
    with pytest.raises(InputError, match="as HiGHS proved"):  # 5 places: no pupils add to 5
        capacitated_p_median(SYNTHETIC, demand, 2, cap, forced=[0], fill_forced=True)


def _cli2fac(sol):
    alloc = sol.allocation.toarray()
    return [np.flatnonzero(alloc[:, i] > 0).tolist() for i in range(alloc.shape[1])]


@pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::DeprecationWarning")
def test_spopt_synthetic_instance_built_with_spaghetti():
    """The lattice instance of spopt's conftest (seeds 5 and 6), built with spaghetti."""
    spaghetti = pytest.importorskip("spaghetti")
    util = pytest.importorskip("spopt.locate.util")
    geopandas = pytest.importorskip("geopandas")
    lattice = spaghetti.regular_lattice((0, 0, 10, 10), 9, exterior=True)
    net = spaghetti.Network(in_data=lattice)
    streets = spaghetti.element_as_gdf(net, arcs=True)
    area = geopandas.GeoDataFrame(geometry=[streets.buffer(0.2).union_all()], crs=streets.crs)
    for name, count, seed in (("clients", 2, 5), ("facilities", 3, 6)):
        points = util.simulated_geo_points(area, needed=count, seed=seed)
        net.snapobservations(points, name, attribute=True)
    clients_x_facilities = net.allneighbordistances(
        sourcepattern=net.pointpatterns["clients"], destpattern=net.pointpatterns["facilities"]
    )
    cost = np.asarray(clients_x_facilities).T
    np.testing.assert_allclose(cost, SYNTHETIC, atol=1e-3)
    sol = capacitated_p_median(cost, [4.0, 10.0], 2, [5.0, 7.0, 10.0])
    assert _cli2fac(sol) == [[1], [2]]  # spopt: cli2fac == [[1], [2]]


# PuLP 3.3 warns about its own 4.0 API changes from inside spopt; not ours to fix.
pulp_warnings = pytest.mark.filterwarnings("ignore:.*PuLP 4.0:DeprecationWarning")


@pulp_warnings
@pytest.mark.parametrize("seed", range(4))
def test_capacitated_p_median_equals_spopt(seed):
    locate = pytest.importorskip("spopt.locate")
    pulp = pytest.importorskip("pulp")
    rng = np.random.default_rng(seed)
    m, n, p = 8, 25, 4
    dist = np.round(np.linalg.norm(rng.random((m, 1, 2)) - rng.random((1, n, 2)), axis=2), 3)
    w = rng.integers(1, 10, n).astype(float)
    cap = rng.integers(20, 60, m).astype(float)
    theirs = locate.PMedian.from_cost_matrix(dist.T, w, p, facility_capacities=cap).solve(
        pulp.PULP_CBC_CMD(msg=False)
    )
    ours = capacitated_p_median(dist, w, p, cap, solver="exact")
    assert ours.objective == pytest.approx(theirs.problem.objective.value(), rel=1e-7)
    forced = np.array([int(rng.integers(m))])
    theirs = locate.PMedian.from_cost_matrix(
        dist.T, w, p, predefined_facilities_arr=forced, facility_capacities=cap
    ).solve(pulp.PULP_CBC_CMD(msg=False))
    ours = capacitated_p_median(dist, w, p, cap, forced=forced, solver="exact")
    assert ours.objective == pytest.approx(theirs.problem.objective.value(), rel=1e-7)


# ----------------------------------------------------------------------------- bad inputs

COST = np.array([[1.0, 2.0, 3.0], [2.0, 1.0, np.inf], [4.0, 4.0, 1.0]])
W = np.array([3.0, 3.0, 3.0])
CAP = np.array([5.0, 5.0, 5.0])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: capacitated_p_median(COST, W, 1, CAP, forced=[0, 1]),
            r"forced holds 2 sites but p=1: .* raise p to at least 2",
        ),
        (
            lambda: capacitated_p_median(COST, W, 1, CAP),
            r"the p=1 sites with the most capacity .* hold at most 5, but the demand totals 9",
        ),
        (
            lambda: capacitated_p_median(COST, W, 3, [1.0, 1.0, 1.0]),
            r"all 3 candidates hold 3\)",
        ),
        (
            lambda: capacitated_p_median(np.array([[1.0, np.inf]]), [1.0, 2.0], 1, [9.0]),
            r"1 demand points \(weight 2; positions 1\) reach no candidate, .* \(w=0\)",
        ),
        (
            lambda: capacitated_p_median(COST, [3.0, 3.0, 9.0], 3, [8.0, 8.0, 8.0]),
            r"1 demand points \(weight 9; positions 2\) are heavier than .* pass split=True",
        ),
        (
            lambda: capacitated_p_median(
                np.array([[1.0, np.inf]]), [1.0, 2.0], 1, [9.0], split=True
            ),
            r"reach no candidate, and every demand point must be assigned",
        ),
        (lambda: capacitated_p_median(COST, W, 2, CAP, fill_forced=True), "pass forced="),
        (
            lambda: capacitated_p_median(COST, W, 2, [np.inf, 5, 5], forced=[0], fill_forced=True),
            "finite capacity",
        ),
        (lambda: capacitated_p_median(COST, W, 2, CAP, fill_forced="yes"), "True or False"),
        (lambda: capacitated_p_median(COST, W, 2, [5.0, -1.0, 5.0]), "capacity must be >= 0"),
        (lambda: capacitated_p_median(COST, W, 2, [5.0, 5.0]), "one value per candidate"),
        (lambda: capacitated_p_median(COST, W, 2, CAP, forced=[3]), "outside 0..2"),
        (lambda: capacitated_p_median(-COST, W, 2, CAP), "negative travel times"),
    ],
)
def test_infeasible_and_bad_inputs_say_why_and_what_to_change(call, match):
    with pytest.raises(InputError, match=match):
        call()


def test_a_packing_no_single_assignment_fits_is_proven_infeasible():
    # 3 points of 4 and two sites of 6: 12 fit in total, but no site takes two points
    cost = np.ones((2, 3))
    with pytest.raises(InputError, match="as HiGHS proved: raise p or the capacities, or pass"):
        capacitated_p_median(cost, [4.0, 4.0, 4.0], 2, [6.0, 6.0], solver="exact")
    split = capacitated_p_median(cost, [4.0, 4.0, 4.0], 2, [6.0, 6.0], split=True)
    assert split.objective == 12.0
