"""geoplan.models.lscp_b: backup covering against brute force, spopt's published answer and spopt.

The oracle enumerates every candidate subset: the fewest sites (forced ones included)
that cover all coverable demand, then, among the subsets of that size, the most weight
with two or more open sites in range ("plain") -- plus, in spopt's way of counting,
the covered weight that has only one candidate in range.

spopt's published value: ``test_mixin_lscpb_get_percentage`` in
spopt/tests/test_locate/test_lscpb.py (pysal/spopt, BSD-3-Clause) expects
``backup_perc == 81.46341463414633`` for ``LSCPB`` on the San Francisco network distances
(16 candidate stores x 205 census tracts) with ``service_radius=5000``. The distances are
tests/data/spopt_sf_store_distances.csv (see tests/data/README.md).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from geoplan._errors import InputError
from geoplan.models import lscp, lscp_b

DATA = Path(__file__).parent / "data"


def brute_lscp_b(cover, w, forced=(), mode="plain"):
    """(fewest sites, best backed-up weight) by enumeration; None when nothing is coverable."""
    m = cover.shape[0]
    need = (w > 0) & cover.any(axis=0)
    if not need.any():
        return None
    single = (cover.sum(axis=0) == 1) & need
    for k in range(len(forced), m + 1):
        values = []
        for s in itertools.combinations(range(m), k):
            if not set(forced) <= set(s):
                continue
            counts = cover[list(s)].sum(axis=0) if s else np.zeros(cover.shape[1])
            if (counts[need] >= 1).all():
                value = w[counts >= 2].sum() + (w[single].sum() if mode == "spopt" else 0.0)
                values.append(value)
        if values:
            return k, max(values)
    raise AssertionError("unreachable: all candidates together cover every coverable point")


def _instance(seed, m=7, n=22, radius=0.3):
    rng = np.random.default_rng(seed)
    dist = np.linalg.norm(rng.random((m, 1, 2)) - rng.random((1, n, 2)), axis=2)
    w = rng.integers(0, 9, n).astype(float)
    return rng, dist, w, radius


# ----------------------------------------------------------------------------- by hand


def test_backup_by_hand_and_how_spopt_counts_it():
    # site 0 covers points 0-1, site 1 points 0-2, site 2 points 1-3
    cover = np.array([[1, 1, 0, 0], [1, 1, 1, 0], [0, 1, 1, 1]], dtype=bool)
    sol = lscp_b(cover)
    # point 3 needs site 2; then site 1 (points 0, 1, 2) beats site 0 (points 0, 1):
    # {1, 2} puts points 1 and 2 in range of two sites, {0, 2} only point 1
    assert sorted(sol.chosen.tolist()) == [1, 2]
    assert sol.objective == 2.0
    assert sol.covered_weight == 4.0
    assert sol.status == "optimal"
    assert sol.notes[0] == "2 sites cover every coverable demand point: proven the fewest"
    # spopt also counts point 3 (one candidate in range) as backed up
    spopt = lscp_b(cover, backup="spopt")
    assert sorted(spopt.chosen.tolist()) == [1, 2]
    assert spopt.objective == 3.0
    assert (
        "2 with two or more open sites in range plus 1 with only one candidate" in (spopt.notes[1])
    )
    # weights: point 1 weighs 10
    weighted = lscp_b(cover, [1.0, 10.0, 1.0, 1.0])
    assert weighted.objective == 11.0


def test_forced_sites_count_among_the_sites_and_stay_open():
    cover = np.array([[1, 1, 0, 0], [1, 1, 1, 0], [0, 1, 1, 1]], dtype=bool)
    sol = lscp_b(cover, forced=[0])
    # site 0 is open; site 2 is still needed for point 3: 2 sites, backup of point 1 only
    assert sorted(sol.chosen.tolist()) == [0, 2]
    assert sol.objective == 1.0
    mask = lscp_b(cover, forced=np.array([True, False, False]))
    assert mask.chosen.tolist() == sol.chosen.tolist()


def test_uncoverable_demand_is_set_aside_and_nobody_coverable_is_infeasible():
    cover = np.array([[1, 1, 0], [1, 1, 0]], dtype=bool)
    sol = lscp_b(cover, [1.0, 1.0, 5.0])
    assert sol.uncoverable.tolist() == [2]
    assert sol.chosen.size == 1  # one site covers points 0 and 1: no second one to back up
    assert sol.objective == 0.0
    assert any("1 demand points (weight 5) are out of range" in n for n in sol.notes)
    nobody = lscp_b(np.zeros((2, 3), dtype=bool), [1.0, 1.0, 5.0])
    assert nobody.status == "infeasible"
    assert nobody.chosen.size == 0
    assert "no candidate can cover any of the 3 demand points (weight 7)" in nobody.notes[0]


# ----------------------------------------------------------------------------- brute force


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("mode", ["plain", "spopt"])
def test_lscp_b_matches_brute_force(seed, mode):
    _, dist, w, radius = _instance(seed)
    cover = dist <= radius
    k, best = brute_lscp_b(cover, w, mode=mode)
    for reduce in (True, False):
        sol = lscp_b(dist, w, radius=radius, backup=mode, solver="exact", reduce=reduce)
        assert sol.chosen.size == k
        assert sol.objective == pytest.approx(best)
        assert sol.status == "optimal"
        counts = cover[sol.chosen].sum(axis=0)
        assert (counts[(w > 0) & cover.any(axis=0)] >= 1).all()  # everyone coverable is covered
    greedy = lscp_b(dist, w, radius=radius, backup=mode, solver="greedy")
    assert greedy.chosen.size >= k
    if greedy.chosen.size == k:  # same number of sites: greedy never beats the optimum
        assert greedy.objective <= best + 1e-9
        assert greedy.bound >= best - 1e-9


@pytest.mark.parametrize("seed", range(6))
def test_lscp_b_with_forced_sites_matches_brute_force(seed):
    rng, dist, w, radius = _instance(seed + 100)
    cover = dist <= radius
    forced = sorted(rng.choice(cover.shape[0], 2, replace=False).tolist())
    k, best = brute_lscp_b(cover, w, forced=forced)
    sol = lscp_b(cover, w, forced=forced, solver="exact")
    assert sol.chosen.size == k
    assert set(forced) <= set(sol.chosen.tolist())
    assert sol.objective == pytest.approx(best)


def test_stage_one_is_lscp():
    _, dist, w, radius = _instance(4, m=9, n=40)
    assert lscp_b(dist, w, radius=radius).chosen.size == lscp(dist, w, radius=radius).objective


# ----------------------------------------------------------------------------- spopt


def _sf():
    table = pd.read_csv(DATA / "spopt_sf_store_distances.csv", index_col="tract", dtype=str)
    return table.astype(float).to_numpy().T  # 16 stores x 205 tracts, metres


def test_spopt_published_backup_percentage_is_reproduced():
    """spopt's test_lscpb.py: LSCPB(SF distances, service_radius=5000).backup_perc == 81.46..."""
    dist = _sf()
    assert dist.shape == (16, 205)
    spopt_way = lscp_b(dist, radius=5000.0, backup="spopt", solver="exact")
    assert spopt_way.objective / spopt_way.total_weight * 100 == pytest.approx(81.46341463414633)
    assert spopt_way.objective == 167.0  # of 205 tracts
    assert spopt_way.chosen.size == 8
    # the plain count: spopt's 167 less the 22 tracts with a single store within 5 km
    plain = lscp_b(dist, radius=5000.0, solver="exact")
    single = int(((dist <= 5000.0).sum(axis=0) == 1).sum())
    assert single == 22
    assert plain.objective == 167.0 - single == 145.0
    assert sorted(plain.chosen.tolist()) == sorted(spopt_way.chosen.tolist())


# PuLP 3.3 warns about its own 4.0 API changes from inside spopt; not ours to fix.
pulp_warnings = pytest.mark.filterwarnings("ignore:.*PuLP 4.0:DeprecationWarning")


@pulp_warnings
def test_spopt_lscpb_on_the_published_data():
    locate = pytest.importorskip("spopt.locate")
    pulp = pytest.importorskip("pulp")
    dist = _sf()
    theirs = locate.LSCPB.from_cost_matrix(dist.T, 5000.0, pulp.PULP_CBC_CMD(msg=False)).solve()
    assert theirs.backup_perc == pytest.approx(81.46341463414633)
    ours = lscp_b(dist, radius=5000.0, backup="spopt")
    assert ours.objective / ours.total_weight * 100 == pytest.approx(theirs.backup_perc)


@pulp_warnings
@pytest.mark.parametrize("seed", range(4))
def test_lscp_b_equals_spopt_lscpb(seed):
    locate = pytest.importorskip("spopt.locate")
    pulp = pytest.importorskip("pulp")
    rng = np.random.default_rng(seed)
    dist = np.linalg.norm(rng.random((12, 1, 2)) - rng.random((1, 80, 2)), axis=2)
    radius = float(np.max(dist.min(axis=0))) + 0.05  # everyone coverable: spopt needs that
    predefined = np.zeros(12, dtype=int)
    predefined[int(rng.integers(12))] = 1
    for pre in (None, predefined):
        theirs = locate.LSCPB.from_cost_matrix(
            dist.T, radius, pulp.PULP_CBC_CMD(msg=False), predefined_facilities_arr=pre
        ).solve()
        forced = None if pre is None else pre.astype(bool)
        ours = lscp_b(dist, radius=radius, forced=forced, backup="spopt")
        assert ours.chosen.size == theirs.lscp_obj_value
        assert ours.objective / 80 * 100 == pytest.approx(theirs.backup_perc)


# ----------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"backup": "twice"}, "backup must be 'plain'"),
        ({"forced": [0, 0]}, "repeats a position"),
        ({"forced": [5]}, "outside 0..2"),
        ({"forced": [0.5]}, "candidate positions"),
        ({"forced": [True, False]}, "one True/False per candidate"),
    ],
)
def test_bad_options_say_what_to_pass(kwargs, match):
    with pytest.raises(InputError, match=match):
        lscp_b(np.eye(3, dtype=bool), **kwargs)
