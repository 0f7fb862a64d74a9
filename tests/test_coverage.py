"""Coverage and capacity against hand-computed values, networkx max-flow, and bad input."""

from __future__ import annotations

import itertools
import math
import warnings

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import rasterio
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

import geoplan
from geoplan import CRSError, InputError, Network, UnreachablePointsWarning
from geoplan.coverage import (
    capacity_coverage,
    clinic_capacity,
    coverage,
    shelter_capacity,
    travel_time_raster,
    write_travel_time_raster,
)

CRS = "EPSG:32651"


def street_network(length=4000.0, step=100.0):
    xs = np.arange(0, length + 1, step)
    with geoplan.settings.override(walk_speed_m_s=1.0):
        return Network.from_edges([(a, 0.0, b, 0.0) for a, b in itertools.pairwise(xs)], crs=CRS)


def points(xy, **columns):
    return gpd.GeoDataFrame(columns, geometry=[Point(p) for p in xy], crs=CRS)


@pytest.fixture
def street():
    return street_network()


# ----------------------------------------------------------------- coverage
def test_coverage_by_hand(street):
    homes = points(
        [(100, 10), (500, 10), (900, 10), (1100, 10), (1900, 10)],
        population=[100, 300, 600, 50, 950],
        age_60_plus=[10, 100, 0, 50, 0],
    )
    towns = gpd.GeoDataFrame(
        geometry=[box(0, -100, 1000, 100), box(1000, -100, 2000, 100)],
        index=pd.Index(["A", "B"]),
        crs=CRS,
    )
    shops = points([(0, 0), (1800, 0)], category=["pharmacy", "convenience_store"])
    result = coverage(street, shops, homes, communities=towns, groups=["age_60_plus"])
    totals = result.totals
    # pharmacy 8 min = 480 m from x=0: only the home at x=100 (110 m)
    assert totals.loc["pharmacy", "threshold_minutes"] == 8
    assert totals.loc["pharmacy", "covered"] == 100
    assert totals.loc["pharmacy", "share"] == pytest.approx(100 / 2000)
    assert totals.loc["pharmacy", "share_age_60_plus"] == pytest.approx(10 / 160)
    # convenience store 5 min = 300 m from x=1800: only x=1900 (110 m)
    assert totals.loc["convenience_store", "covered"] == 950
    demand = result.demand
    np.testing.assert_allclose(demand["pharmacy_distance_m"].iloc[:2], [110, np.inf])
    np.testing.assert_allclose(demand["pharmacy_minutes"].iloc[0], 110 / 60)
    assert demand["pharmacy_facility"].iloc[0] == 0
    assert demand["pharmacy_facility"].iloc[1] is None
    by = result.by_community.set_index(["community", "facility_type"])
    assert by.loc[("A", "pharmacy"), "share"] == pytest.approx(0.1)
    assert by.loc[("B", "convenience_store"), "share"] == pytest.approx(0.95)
    assert by.loc[("B", "convenience_store"), "share_age_60_plus"] == pytest.approx(0.0)
    # equity across communities (A 0.1, B 0.0 for the pharmacy; equal populations)
    table = result.equity()
    assert table.loc[("pharmacy", "communities"), "gini"] == pytest.approx(0.5)
    assert table.loc[("pharmacy", "people"), "gini"] == pytest.approx(0.5)
    # the gaps hold exactly the uncovered people
    gaps = result.gaps
    for type_id in ("pharmacy", "convenience_store"):
        uncovered = totals.loc[type_id, "population"] - totals.loc[type_id, "covered"]
        assert gaps.loc[gaps["facility_type"] == type_id, "population"].sum() == pytest.approx(
            uncovered
        )


def test_type_without_facilities_is_zero_and_stated(street):
    homes = points([(100, 10)], population=[5])
    shops = points([(0, 0)], category=["pharmacy"])
    result = coverage(street, shops, homes, types=["pharmacy", "kindergarten"])
    assert result.totals.loc["kindergarten", "covered"] == 0
    assert "no facilities" in result.totals.loc["kindergarten", "note"]
    assert result.totals.loc["pharmacy", "covered"] == 5


def test_one_threshold_for_all_types(street):
    homes = points([(100, 10), (700, 10)], population=[1, 1])
    shops = points([(0, 0)], category=["pharmacy"])
    result = coverage(street, shops, homes, distance_m=720)
    assert result.totals.loc["pharmacy", "covered"] == 2


def test_unreachable_demand_counts_unless_excluded(street):
    homes = points([(100, 10), (100, 5000)], population=[10, 90])
    shops = points([(0, 0)], category=["pharmacy"])
    with pytest.warns(UnreachablePointsWarning):
        counted = coverage(street, shops, homes)
    assert counted.totals.loc["pharmacy", "share"] == pytest.approx(0.1)
    assert counted.totals.loc["pharmacy", "unreachable_population"] == 90
    with pytest.warns(UnreachablePointsWarning):
        excluded = coverage(street, shops, homes, exclude_unreachable=True)
    assert excluded.totals.loc["pharmacy", "share"] == pytest.approx(1.0)


def test_synthetic_city_coverage_matches_nearest(tmp_path):
    city = geoplan.datasets.synthetic_city(area_km2=2.0, seed=3)
    net = city.network()
    demand = city.demand()
    result = coverage(net, city.facilities, demand, types=["pharmacy", "kindergarten"])
    pharmacies = city.facilities[city.facilities["category"] == "pharmacy"]
    expected = net.nearest(pharmacies, minutes=8, targets=demand).target_distance_m
    np.testing.assert_allclose(result.demand["pharmacy_distance_m"], expected)
    covered = demand["population"].to_numpy()[np.isfinite(expected)].sum()
    assert result.totals.loc["pharmacy", "covered"] == pytest.approx(covered)


# ----------------------------------------------------------------- capacity
def test_nearest_shelter_full_people_go_to_the_second(street):
    shelters = points([(0, 0), (1000, 0)], cap=[100, 1000])
    homes = points([(100, 10), (1950, 10), (3900, 10)], population=[150, 2000, 77])
    result = capacity_coverage(street, shelters, homes, capacity="cap", minutes=20)  # 1,200 m
    demand = result.demand
    assert list(demand["assigned"]) == [150, 950, 0]
    assert list(demand["over_capacity"]) == [0, 1050, 0]
    assert list(demand["out_of_reach"]) == [0, 0, 77]
    moves = result.assignments.set_index(["demand", "facility"])["people"]
    assert moves[(0, 0)] == 100  # the nearest shelter fills up...
    assert moves[(0, 1)] == 50  # ...and the rest walk on to the second nearest
    assert list(result.facilities["utilisation"]) == [1.0, 1.0]
    assert result.totals["assigned"] == 1100


def test_optimal_rule_places_at_least_as_many(street):
    # home 0 is 290 m from shelter 0 and 310 m from shelter 1; home 1 (380 m off the street's
    # end) reaches only shelter 0. Nearest first gives shelter 0 to home 0 and leaves home 1 out.
    shelters = points([(0, 0), (600, 0)], cap=[100, 100])
    homes = points([(290, 0), (-380, 0)], population=[100, 100])
    nearest = capacity_coverage(street, shelters, homes, capacity="cap", distance_m=400)
    optimal = capacity_coverage(
        street, shelters, homes, capacity="cap", distance_m=400, rule="optimal"
    )
    assert nearest.totals["assigned"] == 100
    assert optimal.totals["assigned"] == 200


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 3000), min_size=1, max_size=6),
    st.lists(st.integers(0, 3000), min_size=1, max_size=8),
    st.lists(st.integers(0, 500), min_size=6, max_size=6),
    st.lists(st.integers(1, 400), min_size=8, max_size=8),
)
def test_capacity_rules_against_max_flow(fac_x, home_x, caps, pops):
    net = street_network()
    shelters = points([(x, 0) for x in fac_x], cap=caps[: len(fac_x)])
    homes = points([(x, 5) for x in home_x], population=pops[: len(home_x)])
    results = {
        rule: capacity_coverage(net, shelters, homes, capacity="cap", distance_m=800, rule=rule)
        for rule in ("nearest", "optimal")
    }
    graph = nx.DiGraph()
    for i, p in enumerate(homes["population"]):
        graph.add_edge("s", ("h", i), capacity=float(p))
    for j, c in enumerate(shelters["cap"]):
        graph.add_edge(("f", j), "t", capacity=float(c))
    for i, hx in enumerate(home_x):
        for j, fx in enumerate(fac_x):
            if abs(hx - fx) + 5 <= 800:
                graph.add_edge(("h", i), ("f", j), capacity=math.inf)
    best = nx.maximum_flow_value(graph, "s", "t") if graph.has_node("t") else 0.0
    assert results["optimal"].totals["assigned"] == pytest.approx(best, abs=1e-6)
    assert results["nearest"].totals["assigned"] <= best + 1e-6
    for result in results.values():
        assert (result.facilities["assigned"] <= result.facilities["capacity"] + 1e-6).all()
        d = result.demand
        np.testing.assert_allclose(
            d["assigned"] + d["over_capacity"] + d["out_of_reach"], d["population"]
        )


def test_shelter_capacity_from_area(street):
    park = gpd.GeoDataFrame(geometry=[box(-50, 10, 50, 40)], crs=CRS)  # 3,000 m2
    homes = points([(100, 10)], population=[5000])
    result = shelter_capacity(street, park, homes)
    # 3,000 m2 x 0.5 usable / 1.5 m2 per person (GB 21734-2008 5.4) = 1,000 people
    assert result.facilities["capacity"].iloc[0] == pytest.approx(1000)
    assert result.totals["assigned"] == pytest.approx(1000)
    given = park.assign(effective_area_m2=[600.0])
    assert shelter_capacity(street, given, homes).facilities["capacity"].iloc[0] == pytest.approx(
        400
    )


def test_clinic_capacity_from_the_service_population(street):
    clinics = points([(0, 0)])
    homes = points([(100, 10), (200, 10)], population=[40_000, 20_000])
    result = clinic_capacity(street, clinics, homes)
    # one community health centre serves up to 50,000 people (设置原则, verified primary)
    assert result.facilities["capacity"].iloc[0] == 50_000
    assert list(result.demand["assigned"]) == [40_000, 10_000]
    low = clinic_capacity(street, clinics, homes, bound="low")
    assert low.totals["assigned"] == 30_000


def test_shelters_without_area(street):
    homes = points([(100, 10)], population=[5])
    with pytest.raises(InputError, match="no area"):
        shelter_capacity(street, points([(0, 0)]), homes)


# ----------------------------------------------------------------- rasters
def test_travel_time_raster_equals_nearest_at_cell_centres(street, tmp_path):
    shops = points([(0, 0)])
    grid, transform = travel_time_raster(
        street, shops, resolution_m=200, bounds=(0, -200, 2000, 200)
    )
    assert (transform.a, transform.c, transform.f) == (200, 0, 200)
    assert grid.shape == (2, 10)
    # cell (0, 3): centre (700, 100): 700 m along + 100 m access at 1 m/s
    assert grid[0, 3] == pytest.approx(800 / 60, rel=1e-6)
    path = write_travel_time_raster(
        tmp_path / "tt.tif", street, shops, resolution_m=200, bounds=(0, -200, 2000, 200)
    )
    with rasterio.open(path) as src:
        np.testing.assert_allclose(src.read(1), grid)
        assert src.crs.to_epsg() == 32651


# ----------------------------------------------------------------- bad input
def test_bad_population(street):
    shops = points([(0, 0)], category=["pharmacy"])
    with pytest.raises(InputError, match="NaN or negative 'population'"):
        coverage(street, shops, points([(1, 1)], population=[float("nan")]))
    with pytest.raises(InputError, match="negative"):
        coverage(street, shops, points([(1, 1)], population=[-3]))


def test_demand_in_another_crs(street):
    shops = points([(0, 0)], category=["pharmacy"])
    with pytest.raises(CRSError, match="to_crs"):
        coverage(street, shops, points([(1, 1)], population=[1]).to_crs(4326))


def test_unknown_type(street):
    shops = points([(0, 0)], category=["pharmacy"])
    with pytest.raises(InputError, match="pharmacy"):
        coverage(street, shops, points([(1, 1)]), types=["pharmacie"])


def test_missing_age_group(street):
    shops = points([(0, 0)], category=["pharmacy"])
    with pytest.raises(InputError, match="age_60_plus"):
        coverage(street, shops, points([(1, 1)]), groups=["age_60_plus"])


def test_inputs_not_mutated(street):
    shops = points([(0, 0)], category=["pharmacy"])
    homes = points([(1, 1)], population=[1])
    before = homes.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        coverage(street, shops, homes)
    pd.testing.assert_frame_equal(homes, before)
