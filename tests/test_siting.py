"""Site proposals on the network: hand-checked instances, scenarios, candidates, bad input."""

from __future__ import annotations

import itertools

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

import geoplan
from geoplan import InputError, Network
from geoplan.siting import candidates, coverage_matrix, propose_sites, scenario

CRS = "EPSG:32651"


@pytest.fixture
def street():
    xs = np.arange(0, 4001, 100.0)
    with geoplan.settings.override(walk_speed_m_s=1.0):
        return Network.from_edges([(a, 0.0, b, 0.0) for a, b in itertools.pairwise(xs)], crs=CRS)


def points(xy, **columns):
    return gpd.GeoDataFrame(columns, geometry=[Point(p) for p in xy], crs=CRS)


@pytest.fixture
def homes():
    # clusters at x = 500 (300 people), 2000 (1,000 people) and 3500 (200 people)
    return points(
        [(450, 10), (550, 10), (1950, 10), (2050, 10), (3500, 10)],
        population=[100, 200, 400, 600, 200],
    )


@pytest.fixture
def towns():
    return gpd.GeoDataFrame(
        geometry=[box(0, -50, 1000, 50), box(1000, -50, 3000, 50), box(3000, -50, 4000, 50)],
        index=pd.Index(["West", "Centre", "East"]),
        crs=CRS,
    )


def test_candidates_from_thinned_nodes(street):
    sites = candidates(street, spacing_m=500)
    assert list(sites.index[:3]) == ["K0001", "K0002", "K0003"]
    xs = sorted(sites.geometry.x)
    # one node per 500 m grid square, the one nearest its centre (250, 250), (750, 250), ...;
    # of two equally near nodes the first: x = 200, 700, ...; x = 4000 is alone in its square
    assert xs == [200 + 500 * k for k in range(8)] + [4000]


def test_candidates_exclude_zones_and_parcels(street):
    parcel = gpd.GeoDataFrame({"name": ["lot"]}, geometry=[box(1200, 30, 1300, 80)], crs=CRS)
    zone = gpd.GeoDataFrame(geometry=[box(0, -10, 2000, 10)], crs=CRS)
    sites = candidates(street, sites=parcel, spacing_m=1000, exclude=zone, cost=5.0)
    assert (sites.geometry.x >= 2000).sum() == len(sites) - 1  # nodes west of 2 km excluded
    lot = sites[sites["source"] == "site"].geometry.iloc[0]
    assert lot.y == 30  # on the parcel's edge nearest the street
    assert 1200 <= lot.x <= 1300
    assert (sites["cost"] == 5.0).all()


def test_mclp_picks_the_biggest_cluster_first(street, homes, towns):
    sites = candidates(street, spacing_m=100)
    proposal = propose_sites(street, sites, homes, minutes=2, p=2, communities=towns)  # 120 m
    chosen = proposal.sites
    assert list(chosen["rank"]) == [1, 2]
    # the centre cluster (1,000 people within 60 m of x=2000) then the west one (300)
    assert chosen.geometry.x.iloc[0] == 2000
    assert chosen.geometry.x.iloc[1] == 500
    assert list(chosen["newly_covered"]) == [1000, 300]
    assert chosen["communities_served"].iloc[0] == "Centre"
    assert proposal.summary["covered_after"] == 1300
    assert proposal.after.loc["East", "share"] == 0
    assert proposal.solution.gap == pytest.approx(0, abs=1e-9)


def test_existing_facilities_are_held_fixed(street, homes):
    sites = candidates(street, spacing_m=100)
    clinic = points([(2000, 0)])
    proposal = propose_sites(street, sites, homes, minutes=2, p=1, existing=clinic)
    assert proposal.before["covered"].sum() == 1000
    assert proposal.sites.geometry.x.iloc[0] == 500  # the centre is covered already
    assert proposal.sites["newly_covered"].iloc[0] == 300


def test_lscp_covers_everyone_coverable_with_the_fewest_sites(street, homes):
    far = pd.concat([homes, points([(2000, 3000)], population=[7])], ignore_index=True)
    sites = candidates(street, spacing_m=100)
    with pytest.warns(geoplan.UnreachablePointsWarning):
        proposal = propose_sites(street, sites, far, minutes=2, model="lscp")
    assert len(proposal.sites) == 3
    assert list(proposal.uncoverable) == [5]
    assert proposal.summary["covered_after"] == 1500


def test_p_median_and_p_center(street, homes):
    sites = candidates(street, spacing_m=100)
    median = propose_sites(street, sites, homes, minutes=60, p=1, model="p_median")
    assert median.sites.geometry.x.iloc[0] == 2000  # the weighted median
    center = propose_sites(street, sites, homes, minutes=60, p=1, model="p_center")
    assert center.sites.geometry.x.iloc[0] == pytest.approx(2000, abs=100)


def test_scenario_close_and_add(street, homes, towns):
    clinics = points([(500, 0), (2000, 0)])
    closed = scenario(street, clinics, homes, minutes=2, close=[1], communities=towns)
    assert closed.totals["covered_before"] == 1300
    assert closed.totals["covered_after"] == 300
    assert closed.communities.loc["Centre", "change"] == -1
    added = scenario(street, clinics, homes, minutes=2, add=points([(3500, 0)]), communities=towns)
    assert added.totals["covered_after"] == 1500
    assert added.totals["gini_after"] == pytest.approx(0)
    assert added.totals["gini_before"] > 0


def test_coverage_matrix_is_sparse_minutes(street, homes):
    sites = candidates(street, spacing_m=1000)
    matrix = coverage_matrix(street, sites, homes, minutes=2)
    assert matrix.shape == (len(sites), len(homes))
    assert matrix.nnz <= len(homes)
    # the node at x=500 reaches the homes at 450 and 550 (50 m + 10 m off the street: 1 min);
    # the node at x=3500 the home 10 m away; nodes at 1500 and 2500 reach nobody within 120 m
    np.testing.assert_allclose(matrix.data, [1.0, 1.0, 10 / 60])


def test_bad_input(street, homes):
    sites = candidates(street, spacing_m=1000)
    with pytest.raises(InputError, match="model"):
        propose_sites(street, sites, homes, minutes=2, p=1, model="hull")
    with pytest.raises(InputError, match="p"):
        propose_sites(street, sites, homes, minutes=2, p=len(sites) + 1)
    with pytest.raises(InputError, match="needs p"):
        propose_sites(street, sites, homes, minutes=2)
    with pytest.raises(InputError, match="cost"):
        propose_sites(street, sites, homes, minutes=2, budget=10)
    with pytest.raises(InputError, match="capacity"):
        propose_sites(street, sites, homes, minutes=2, p=1, model="capacitated")
    with pytest.raises(InputError, match="communities"):
        propose_sites(street, sites, homes, minutes=2, p=1, model="equity")
    with pytest.raises(InputError, match="candidate"):
        candidates(street)
    with pytest.raises(InputError, match="close"):
        scenario(street, points([(0, 0)]), homes, minutes=2, close=["nope"])
