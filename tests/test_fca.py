"""2SFCA / E2SFCA: hand-computed values, the PySAL ``access`` oracle, the network wrapper."""

from __future__ import annotations

import logging
import tracemalloc

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from access import Access
from access import weights as access_weights
from shapely.geometry import Point

from geoplan import InputError, Network
from geoplan.fca import fca_ratios, two_step_fca, two_step_fca_from_network

CRS = "EPSG:32651"
ZONES = [(5.0, 1.0), (10.0, 0.68), (15.0, 0.22)]

# PySAL access calls DataFrame.set_index(inplace=True), deprecated in pandas 3.1
pysal_warnings = pytest.mark.filterwarnings("ignore::DeprecationWarning:access.*")


def hand_cost():
    """2 facilities x 3 demand points (minutes); an explicit 0 and a pair beyond 15."""
    facility = [0, 0, 1, 1, 1]
    point = [0, 1, 1, 2, 0]
    minutes = [5.0, 10.0, 0.0, 12.0, 20.0]
    return sp.csr_matrix((minutes, (facility, point)), shape=(2, 3))


SUPPLY = np.array([10.0, 20.0])
POPULATION = np.array([100.0, 200.0, 300.0])


# ----------------------------------------------------------------- by hand
def test_two_step_fca_by_hand():
    cost = hand_cost()
    assert cost.nnz == 5  # the zero-minute pair is stored
    # R_0 = 10 / (100 + 200); R_1 = 20 / (200 + 300): point 0 is 20 min from facility 1
    r0, r1 = 10 / 300, 20 / 500
    assert fca_ratios(cost, SUPPLY, POPULATION, catchment=15) == pytest.approx([r0, r1])
    access = two_step_fca(cost, SUPPLY, POPULATION, catchment=15)
    assert access == pytest.approx([r0, r0 + r1, r1], rel=1e-12)
    # with "step" weights every served facility's supply is shared out in full
    assert POPULATION @ access == pytest.approx(SUPPLY.sum())


def test_enhanced_two_step_fca_by_hand():
    cost = hand_cost()
    # facility 0: point 0 at 5 min (weight 1), point 1 at 10 min (0.68)
    r0 = 10 / (100 * 1.0 + 200 * 0.68)
    # facility 1: point 1 at 0 min (1), point 2 at 12 min (0.22); point 0 beyond
    r1 = 20 / (200 * 1.0 + 300 * 0.22)
    ratios = fca_ratios(cost, SUPPLY, POPULATION, catchment=15, weight=ZONES)
    assert ratios == pytest.approx([r0, r1], rel=1e-12)
    access = two_step_fca(cost, SUPPLY, POPULATION, catchment=15, weight=ZONES)
    assert access == pytest.approx([r0, 0.68 * r0 + r1, 0.22 * r1], rel=1e-12)


def test_callable_weight_by_hand():
    cost = hand_cost()
    access = two_step_fca(cost, SUPPLY, POPULATION, catchment=15, weight=lambda d: 1 / (1 + d))
    w = {(0, 0): 1 / 6, (0, 1): 1 / 11, (1, 1): 1.0, (1, 2): 1 / 13}
    r0 = 10 / (100 * w[0, 0] + 200 * w[0, 1])
    r1 = 20 / (200 * w[1, 1] + 300 * w[1, 2])
    expected = [w[0, 0] * r0, w[0, 1] * r0 + w[1, 1] * r1, w[1, 2] * r1]
    assert access == pytest.approx(expected, rel=1e-12)


def test_explicit_zero_is_a_reached_pair():
    cost = hand_cost()
    dropped = cost.copy()
    dropped.eliminate_zeros()
    with_zero = two_step_fca(cost, SUPPLY, POPULATION, catchment=15)
    without = two_step_fca(dropped, SUPPLY, POPULATION, catchment=15)
    assert with_zero[1] > without[1]
    # without it facility 1 serves only point 2 (300 people)
    r0, r1 = 10 / 300, 20 / 300
    assert without == pytest.approx([r0, r0, r1], rel=1e-12)
    assert fca_ratios(dropped, SUPPLY, POPULATION, catchment=15) == pytest.approx([r0, r1])


def test_catchment_is_inclusive():
    cost = hand_cost()
    # at catchment=12 the 12-minute pair counts; just below it does not
    assert two_step_fca(cost, SUPPLY, POPULATION, catchment=12)[2] == pytest.approx(20 / 500)
    assert two_step_fca(cost, SUPPLY, POPULATION, catchment=11.999)[2] == 0.0
    # a zone holds its upper bound: 10 minutes is in the 0.68 zone, not the 0.22 one
    ratios = fca_ratios(cost, SUPPLY, POPULATION, catchment=15, weight=ZONES)
    assert ratios[0] == pytest.approx(10 / (100 + 200 * 0.68))
    # weight 0 beyond the last zone, even inside the catchment
    beyond = fca_ratios(cost, SUPPLY, POPULATION, catchment=30, weight=[(11.0, 1.0)])
    assert beyond == pytest.approx([10 / 300, 20 / 200])


def test_facility_without_demand_and_unserved_points(caplog):
    cost = sp.csr_matrix(([4.0, 30.0], ([0, 1], [0, 1])), shape=(3, 3))
    with caplog.at_level(logging.INFO, logger="geoplan.fca"):
        access = two_step_fca(cost, [6, 5, 7], [3, 4, 5], catchment=15)
    assert access == pytest.approx([2.0, 0.0, 0.0])
    assert "2 of 3 facilities have no population within the catchment" in caplog.text
    assert "2 of 3 demand points have no facility within the catchment" in caplog.text
    # people of zero population in reach: still no one to serve, R = 0 (PySAL: inf)
    zero = sp.csr_matrix(([1.0, 1.0], ([0, 1], [0, 1])), shape=(2, 2))
    assert fca_ratios(zero, [5, 5], [0, 8], catchment=15) == pytest.approx([0.0, 5 / 8])


def test_other_sparse_formats_and_duplicates():
    cost = hand_cost()
    expected = two_step_fca(cost, SUPPLY, POPULATION, catchment=15, weight=ZONES)
    for other in (cost.tocsc(), cost.tocoo(), sp.csr_array(cost), sp.coo_array(cost)):
        got = two_step_fca(other, SUPPLY, POPULATION, catchment=15, weight=ZONES)
        assert got == pytest.approx(expected, rel=1e-12)
    # a pair stored twice keeps its lowest cost (it is never summed)
    coo = cost.tocoo()
    twice = sp.coo_matrix(
        (np.r_[coo.data, 14.0], (np.r_[coo.row, 0], np.r_[coo.col, 0])), shape=cost.shape
    )
    got = two_step_fca(twice, SUPPLY, POPULATION, catchment=15, weight=ZONES)
    assert got == pytest.approx(expected, rel=1e-12)


def test_pysal_scalar_weight_functions_are_accepted(caplog):
    cost = hand_cost()
    gravity = access_weights.gravity(scale=5, alpha=-1, min_dist=1)  # max(): not vectorised
    with caplog.at_level(logging.INFO, logger="geoplan.fca"):
        got = two_step_fca(cost, SUPPLY, POPULATION, catchment=15, weight=gravity)
    assert "not vectorised" in caplog.text
    vectorised = two_step_fca(
        cost, SUPPLY, POPULATION, catchment=15, weight=lambda d: 5 / np.maximum(d, 1)
    )
    assert got == pytest.approx(vectorised, rel=1e-12)


def test_large_sparse_inputs_stay_sparse():
    """1M demand points x 2,000 facilities (dense: 16 GB) in a few tens of MB."""
    rng = np.random.default_rng(7)
    n_facilities, n_demand, per_facility = 2_000, 1_000_000, 500
    rows = np.repeat(np.arange(n_facilities), per_facility)
    cols = rng.integers(0, n_demand, n_facilities * per_facility)
    cost = sp.csr_matrix((rng.uniform(0, 20, len(rows)), (rows, cols)), (n_facilities, n_demand))
    cost.sum_duplicates()
    population = rng.integers(0, 50, n_demand).astype(float)
    supply = rng.integers(1, 10, n_facilities).astype(float)
    tracemalloc.start()
    try:
        access = two_step_fca(cost, supply, population, catchment=15, weight=ZONES)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert access.shape == (n_demand,)
    assert peak < 150 * 2**20


# ----------------------------------------------------------------- bad input
def test_bad_input():
    cost = hand_cost()
    with pytest.raises(InputError, match="two-dimensional"):
        two_step_fca(np.ones(3), SUPPLY, POPULATION, catchment=15)
    with pytest.raises(InputError, match="numeric array or a scipy sparse matrix"):
        two_step_fca([["a", "b", "c"], ["d", "e", "f"]], SUPPLY, POPULATION, catchment=15)
    bad = cost.copy()
    bad.data[0] = np.nan
    with pytest.raises(InputError, match="1 of 5 stored entries are NaN or negative"):
        two_step_fca(bad, SUPPLY, POPULATION, catchment=15)
    bad.data[0] = -1
    with pytest.raises(InputError, match="1 of 5 stored entries"):
        two_step_fca(bad, SUPPLY, POPULATION, catchment=15)
    with pytest.raises(
        InputError, match=r"supply has shape \(3,\) but cost has 2 rows \(facilities\)"
    ):
        two_step_fca(cost, [1, 2, 3], POPULATION, catchment=15)
    with pytest.raises(InputError, match="demand: 1 of 3 entries are NaN"):
        two_step_fca(cost, SUPPLY, [1, np.nan, 3], catchment=15)
    with pytest.raises(InputError, match="demand: 1 of 3 entries"):
        two_step_fca(cost, SUPPLY, [1, -1, 3], catchment=15)
    for catchment in (np.nan, -1, "far"):
        with pytest.raises(InputError, match="catchment="):
            two_step_fca(cost, SUPPLY, POPULATION, catchment=catchment)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="weight='gauss' is not known"):
        two_step_fca(cost, SUPPLY, POPULATION, catchment=15, weight="gauss")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="must increase strictly"):
        two_step_fca(cost, SUPPLY, POPULATION, catchment=15, weight=[(10, 1), (5, 0.5)])
    with pytest.raises(InputError, match="zero or positive"):
        two_step_fca(cost, SUPPLY, POPULATION, catchment=15, weight=[(10, -1)])
    with pytest.raises(InputError, match="pairs"):
        two_step_fca(cost, SUPPLY, POPULATION, catchment=15, weight=[(10,)])  # type: ignore[list-item]
    with pytest.raises(InputError, match="empty"):
        two_step_fca(cost, SUPPLY, POPULATION, catchment=15, weight=[])
    with pytest.raises(InputError, match="returned 4 NaN, infinite or negative"):
        two_step_fca(cost, SUPPLY, POPULATION, catchment=15, weight=lambda d: d - 100)
    assert issubclass(InputError, ValueError)


# ----------------------------------------------------------------- dense costs, zero costs
def test_dense_costs_by_hand_keep_zero_costs():
    """Clinic 0 stands at point 0 (0 min) and reaches point 1 (5 min); supply 10, 100 + 100."""
    dense = np.array([[0.0, 5.0]])
    assert two_step_fca(dense, [10.0], [100.0, 100.0], catchment=15) == pytest.approx([0.05, 0.05])
    # scipy does not store the 0 of a dense matrix: point 0 loses its clinic (access 0
    # instead of 0.05) and point 1 gets it alone (0.1 instead of 0.05)
    dropped = sp.csr_matrix(dense)
    assert dropped.nnz == 1
    wrong = two_step_fca(dropped, [10.0], [100.0, 100.0], catchment=15)
    assert wrong == pytest.approx([0.0, 0.1])
    # reachable= says which pairs are in reach: an unstored pair it marks costs 0
    right = two_step_fca(dropped, [10.0], [100.0, 100.0], catchment=15, reachable=[[True, True]])
    assert right == pytest.approx([0.05, 0.05])
    # triplets keep the explicit zero
    triplets = sp.csr_matrix(([0.0, 5.0], ([0, 0], [0, 1])), shape=(1, 2))
    assert triplets.nnz == 2
    assert two_step_fca(triplets, [10.0], [100.0, 100.0], catchment=15) == pytest.approx(
        [0.05, 0.05]
    )


def test_dense_inf_and_nan_are_out_of_reach():
    hand = hand_cost()
    dense = np.full(hand.shape, np.inf)
    coo = hand.tocoo()
    dense[coo.row, coo.col] = coo.data  # the explicit 0 is a 0 here too
    expected = two_step_fca(hand, SUPPLY, POPULATION, catchment=15, weight=ZONES)
    got = two_step_fca(dense, SUPPLY, POPULATION, catchment=15, weight=ZONES)
    assert got == pytest.approx(expected, rel=1e-12)
    with_nan = np.where(np.isinf(dense), np.nan, dense)
    assert two_step_fca(with_nan, SUPPLY, POPULATION, catchment=15, weight=ZONES) == (
        pytest.approx(expected, rel=1e-12)
    )
    frame = pd.DataFrame(dense)  # a pivoted table works as well
    assert fca_ratios(frame, SUPPLY, POPULATION, catchment=15) == pytest.approx(
        fca_ratios(hand, SUPPLY, POPULATION, catchment=15)
    )


def test_reachable_selects_the_pairs_of_dense_and_sparse_costs():
    dense = np.array([[0.0, 4.0, 9.0], [3.0, 0.0, np.inf]])
    mask = np.array([[True, False, True], [True, True, False]])
    expected = two_step_fca(
        np.where(mask, dense, np.inf), SUPPLY, POPULATION, catchment=10, weight=ZONES
    )
    for cost in (dense, sp.csr_matrix(dense), sp.coo_array(dense)):
        for flags in (mask, mask.astype(int), sp.csr_matrix(mask)):
            got = two_step_fca(
                cost, SUPPLY, POPULATION, catchment=10, weight=ZONES, reachable=flags
            )
            assert got == pytest.approx(expected, rel=1e-12)
    with pytest.raises(InputError, match="reachable marks 1 pairs in reach whose cost is inf"):
        two_step_fca(dense, SUPPLY, POPULATION, catchment=10, reachable=np.ones((2, 3), bool))
    with pytest.raises(InputError, match=r"reachable has shape \(2, 2\) but cost has \(2, 3\)"):
        two_step_fca(dense, SUPPLY, POPULATION, catchment=10, reachable=np.ones((2, 2), bool))
    with pytest.raises(InputError, match="True/False"):
        two_step_fca(dense, SUPPLY, POPULATION, catchment=10, reachable=np.full((2, 3), 0.5))
    with pytest.raises(InputError, match="two-dimensional"):
        two_step_fca(dense, SUPPLY, POPULATION, catchment=10, reachable=[True, False])
    with pytest.raises(InputError, match="NaN or negative"):
        two_step_fca(-dense, SUPPLY, POPULATION, catchment=10)


def dense_instance(seed):
    """A dense facilities x demand matrix with many exact zeros, inf and NaN out of reach."""
    cost, supply, population = random_instance(seed)
    rng = np.random.default_rng(seed + 1000)
    dense = np.where(rng.random(cost.shape) < 0.5, np.inf, np.nan)
    coo = cost.tocoo()
    dense[coo.row, coo.col] = coo.data
    zeros = rng.random(cost.shape) < 0.15  # facilities standing at demand points
    dense[zeros] = 0.0
    return dense, supply, population


def as_triplets(dense):
    rows, cols = np.nonzero(np.isfinite(dense))
    return sp.csr_matrix((dense[rows, cols], (rows, cols)), shape=dense.shape)


@pysal_warnings
@pytest.mark.parametrize("seed", range(12))
def test_dense_costs_with_zeros_match_pysal_access(seed):
    """PySAL reads a long table of every finite pair, zeros included: the oracle."""
    dense, supply, population = dense_instance(seed)
    triplets = as_triplets(dense)
    model, order = pysal_access(triplets, supply, population)
    for catchment in (0.0, 10.0, 35.0):
        theirs = as_ours(model.two_stage_fca(name="fca", max_cost=catchment), "fca_capacity", order)
        assert_equal_access(two_step_fca(dense, supply, population, catchment=catchment), theirs)
        assert_equal_access(two_step_fca(triplets, supply, population, catchment=catchment), theirs)
    step = access_weights.step_fn(dict(ZONES))
    theirs = model.enhanced_two_stage_fca(name="e15", max_cost=15, weight_fn=step)
    ours = two_step_fca(dense, supply, population, catchment=15, weight=ZONES)
    assert_equal_access(ours, as_ours(theirs, "e15_capacity", order))


@pytest.mark.parametrize("seed", range(12))
def test_zero_cost_pairs_count(seed):
    """Dropping the zero-cost pairs (csr_matrix(dense)) changes the answer; keeping them not."""
    dense, supply, population = dense_instance(seed)
    zero = dense == 0
    right = two_step_fca(dense, supply, population, catchment=15)
    dropped = sp.csr_matrix(np.where(np.isfinite(dense), dense, 0.0))
    assert dropped.nnz == int((np.isfinite(dense) & ~zero).sum())
    wrong = two_step_fca(dropped, supply, population, catchment=15)
    restored = two_step_fca(dropped, supply, population, catchment=15, reachable=np.isfinite(dense))
    np.testing.assert_allclose(restored, right, rtol=1e-12)
    lost = zero[supply > 0].any(axis=0)  # points at a facility with supply
    if lost.any():
        assert not np.allclose(wrong, right)
        assert (right[lost] > 0).all()


# ----------------------------------------------------------------- PySAL oracle
def random_instance(seed):
    """Facilities x demand costs with ties at the catchment and zone bounds, zero costs,
    facilities that reach nobody and demand points that reach nothing."""
    rng = np.random.default_rng(seed)
    n_facilities, n_demand = int(rng.integers(1, 9)), int(rng.integers(1, 60))
    reach = rng.random((n_facilities, n_demand)) < rng.uniform(0.1, 0.9)
    if n_facilities > 1:
        reach[0] = False  # a facility that reaches nobody
    reach[:, 0] = False  # a demand point that reaches nothing
    rows, cols = np.nonzero(reach)
    costs = rng.uniform(0, 35, len(rows))
    snap = rng.random(len(rows))
    costs[snap < 0.3] = np.round(costs[snap < 0.3] / 5) * 5  # exactly 0, 5, 10, ... 35
    cost = sp.csr_matrix((costs, (rows, cols)), shape=(n_facilities, n_demand))
    supply = rng.integers(0, 30, n_facilities).astype(float)
    population = rng.integers(1, 800, n_demand).astype(float)
    return cost, supply, population


def pysal_access(cost, supply, population):
    """The same instance as a PySAL ``access.Access`` object (long cost table)."""
    coo = cost.tocoo()
    demand_df = pd.DataFrame({"point": [f"p{i}" for i in range(cost.shape[1])], "pop": population})
    supply_df = pd.DataFrame(
        {"facility": [f"f{j}" for j in range(cost.shape[0])], "capacity": supply}
    )
    cost_df = pd.DataFrame(
        {
            "origin": [f"p{i}" for i in coo.col],  # PySAL: origin = demand, dest = supply
            "dest": [f"f{j}" for j in coo.row],
            "minutes": coo.data,
        }
    )
    model = Access(
        demand_df=demand_df,
        demand_index="point",
        demand_value="pop",
        supply_df=supply_df,
        supply_index="facility",
        supply_value="capacity",
        cost_df=cost_df,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="minutes",
    )
    return model, [f"p{i}" for i in range(cost.shape[1])]


def as_ours(result, column, order):
    # PySAL leaves demand points that reach no facility as NaN; we report 0
    return result[column].reindex(order).fillna(0.0).to_numpy()


def assert_equal_access(ours, theirs):
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-300)


@pysal_warnings
@pytest.mark.parametrize("seed", range(25))
def test_two_step_fca_matches_pysal_access(seed):
    """Aligned: PySAL keeps ``cost <= max_cost`` (inclusive, as our catchment) and
    returns raw ratios with ``normalize=False`` (its default); its NaN for points
    reaching nothing is our 0."""
    cost, supply, population = random_instance(seed)
    model, order = pysal_access(cost, supply, population)
    for catchment in (0.0, 10.0, 15.0, 35.0):
        theirs = model.two_stage_fca(name="fca", max_cost=catchment)
        ours = two_step_fca(cost, supply, population, catchment=catchment)
        assert_equal_access(ours, as_ours(theirs, "fca_capacity", order))


@pysal_warnings
@pytest.mark.parametrize("seed", range(25))
def test_enhanced_two_step_fca_matches_pysal_access(seed):
    """Aligned: our zones ``[(upper, weight)]`` are ``access.weights.step_fn`` (each zone
    includes its upper bound, weight 0 beyond the last), applied in both steps."""
    cost, supply, population = random_instance(seed)
    model, order = pysal_access(cost, supply, population)
    # PySAL's default E2SFCA: step_fn({10: 1, 20: 0.68, 30: 0.22}) and no max_cost
    theirs = model.enhanced_two_stage_fca(name="e2")
    ours = two_step_fca(
        cost, supply, population, catchment=np.inf, weight=[(10, 1), (20, 0.68), (30, 0.22)]
    )
    assert_equal_access(ours, as_ours(theirs, "e2_capacity", order))
    # our ZONES with a 15-minute catchment
    step = access_weights.step_fn(dict(ZONES))
    theirs = model.enhanced_two_stage_fca(name="e15", max_cost=15, weight_fn=step)
    ours = two_step_fca(cost, supply, population, catchment=15, weight=ZONES)
    assert_equal_access(ours, as_ours(theirs, "e15_capacity", order))


@pysal_warnings
@pytest.mark.parametrize("seed", range(10))
def test_decay_weights_and_normalisation_match_pysal_access(seed):
    cost, supply, population = random_instance(seed)
    model, order = pysal_access(cost, supply, population)
    gaussian = access_weights.gaussian(sigma=8)
    theirs = model.two_stage_fca(name="g", max_cost=25, weight_fn=gaussian)
    ours = two_step_fca(cost, supply, population, catchment=25, weight=gaussian)
    assert_equal_access(ours, as_ours(theirs, "g_capacity", order))
    # normalize=True divides by the population-weighted mean access (points reaching
    # nothing count as 0 there too); we return raw values and leave that to the caller
    normalised = model.two_stage_fca(name="n", max_cost=25, normalize=True)
    raw = two_step_fca(cost, supply, population, catchment=25)
    mean = population @ raw / population.sum()
    if mean > 0:
        assert_equal_access(raw / mean, as_ours(normalised, "n_capacity", order))


# ----------------------------------------------------------------- network
def line_network(speed_m_s=1.0):
    # one straight 1 km street; at 1 m/s a minute is 60 m
    return Network.from_edges([(0, 0, 500, 0), (500, 0, 1000, 0)], crs=CRS, speed_m_s=speed_m_s)


def frames():
    facilities = gpd.GeoDataFrame(
        {"doctors": [4.0, 6.0]}, geometry=[Point(0, 0), Point(1000, 0)], crs=CRS
    )
    demand = gpd.GeoDataFrame(
        {"population": [100.0, 200.0, 300.0]},
        geometry=[Point(100, 0), Point(500, 0), Point(900, 0)],
        index=pd.Index(["a", "b", "c"], name="block"),
        crs=CRS,
    )
    return facilities, demand


def test_network_wrapper_by_hand():
    net = line_network()
    facilities, demand = frames()
    # 8 minutes = 480 m: each clinic reaches only its nearest block (100 m away)
    result = two_step_fca_from_network(net, facilities, demand, minutes=8, supply="doctors")
    assert result.index.equals(demand.index)
    assert result.name == "2sfca_doctors"
    assert result.to_numpy() == pytest.approx([4 / 100, 0.0, 6 / 300])
    # 10 minutes = 600 m: block b (500 m from both) shares both clinics
    result = two_step_fca_from_network(net, facilities, demand, minutes=10, supply="doctors")
    r0, r1 = 4 / 300, 6 / 500
    assert result.to_numpy() == pytest.approx([r0, r0 + r1, r1], rel=1e-12)
    # zones in minutes: 100 m = 1.7 min (weight 1), 500 m = 8.3 min (weight 0.5)
    zones = [(5.0, 1.0), (10.0, 0.5)]
    result = two_step_fca_from_network(
        net, facilities, demand, minutes=10, supply="doctors", weight=zones
    )
    r0, r1 = 4 / (100 + 0.5 * 200), 6 / (0.5 * 200 + 300)
    assert result.to_numpy() == pytest.approx([r0, 0.5 * r0 + 0.5 * r1, r1], rel=1e-12)


def test_network_wrapper_matches_the_matrix_function():
    net = line_network(speed_m_s=1.3)
    facilities, demand = frames()
    reach = net.reach(facilities, minutes=9, targets=demand)
    minutes = reach.targets.copy()
    minutes.data = minutes.data / (60 * 1.3)
    expected = two_step_fca(
        minutes, [4, 6], [100, 200, 300], catchment=9, weight=lambda d: np.exp(-d / 4)
    )
    got = two_step_fca_from_network(
        net, facilities, demand, minutes=9, supply="doctors", weight=lambda d: np.exp(-d / 4)
    )
    assert got.to_numpy() == pytest.approx(expected, rel=1e-12)


def test_network_wrapper_keeps_points_exactly_at_the_cutoff():
    # at 0.56 m/s, metres / (60 * 0.56) of a point exactly at the cutoff exceeds 10 minutes
    # by one ulp; the pair is reached and must stay in the catchment and its last zone
    speed = 0.56
    cutoff = 10 * 60.0 * speed
    net = Network.from_edges([(0, 0, cutoff, 0), (cutoff, 0, 1000, 0)], crs=CRS, speed_m_s=speed)
    facilities = gpd.GeoDataFrame({"doctors": [2.0]}, geometry=[Point(0, 0)], crs=CRS)
    demand = gpd.GeoDataFrame({"population": [50.0]}, geometry=[Point(cutoff, 0)], crs=CRS)
    for weight in ("step", [(5.0, 1.0), (10.0, 0.5)]):
        result = two_step_fca_from_network(
            net, facilities, demand, minutes=10, supply="doctors", weight=weight
        )
        assert result.iloc[0] == pytest.approx(2 / 50 if weight == "step" else 2 / 25 * 0.5)


def test_network_wrapper_bad_columns():
    net = line_network()
    facilities, demand = frames()
    with pytest.raises(InputError, match="facilities have no column 'beds'"):
        two_step_fca_from_network(net, facilities, demand, minutes=10, supply="beds")
    with pytest.raises(InputError, match="demand have no column 'people'"):
        two_step_fca_from_network(
            net, facilities, demand, minutes=10, supply="doctors", population="people"
        )
    with pytest.raises(InputError, match="supply: 1 of 2 entries"):
        two_step_fca_from_network(
            net, facilities.assign(doctors=[1.0, np.nan]), demand, minutes=10, supply="doctors"
        )
