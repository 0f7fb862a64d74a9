"""Service areas: correct by construction, nested, split without overlap."""

from __future__ import annotations

import itertools
import math

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
import shapely
from _oracles import oracle_graph
from shapely.ops import substring

import geoplan
from geoplan import InputError, Network

BUFFER = 60.0
CELL = 10.0


@pytest.fixture(scope="module")
def city():
    return geoplan.datasets.synthetic_city(area_km2=2.0, seed=4)


@pytest.fixture(scope="module")
def net(city):
    return city.network()


@pytest.fixture(scope="module")
def pharmacies(city):
    return city.facilities[city.facilities["category"] == "pharmacy"]


def reached_network(net: Network, facilities, cutoff: float):
    """The network points reached within cutoff, from networkx: pieces of edges."""
    snapped = net.snap(facilities)
    graph = oracle_graph(net, ("f", snapped))
    origins = [("f", "p", i) for i in np.flatnonzero(snapped.reachable)]
    dist = nx.multi_source_dijkstra_path_length(graph, origins, weight="weight")
    pieces = []
    for e in range(net.n_edges):
        line, length = net.geometry[e], float(net.length_m[e])
        du = dist.get(("n", int(net.edge_u[e])), math.inf)
        dv = dist.get(("n", int(net.edge_v[e])), math.inf)
        if du <= cutoff:
            pieces.append(substring(line, 0, min(length, cutoff - du)))
        if dv <= cutoff:
            pieces.append(substring(line, max(0.0, length - (cutoff - dv)), length))
    for i in np.flatnonzero(snapped.reachable):
        left = cutoff - snapped.access_m[i]
        if left >= 0:
            e, t = snapped.edge[i], snapped.offset_m[i]
            pieces.append(
                substring(net.geometry[e], max(0.0, t - left), min(net.length_m[e], t + left))
            )
    return shapely.union_all(pieces)


def sample_inside(polygon, n, seed=0):
    rng = np.random.default_rng(seed)
    left, bottom, right, top = polygon.bounds
    pts = shapely.points(rng.uniform(left, right, n * 4), rng.uniform(bottom, top, n * 4))
    return pts[shapely.contains(polygon, pts)][:n]


def farthest_from(reached, points):
    return float(shapely.distance(reached, points).max()) if len(points) else 0.0


@pytest.mark.parametrize("mode", ["per_facility", "dissolved"])
def test_no_polygon_claims_ground_beyond_the_buffer(net, pharmacies, mode):
    areas = geoplan.service_areas(
        net, pharmacies, minutes=[5, 10], mode=mode, buffer_m=BUFFER, cell_m=CELL
    )
    for row in areas.itertuples():
        if row.geometry.is_empty:
            continue
        sources = pharmacies.loc[[row.facility]] if mode == "per_facility" else pharmacies
        reached = reached_network(net, sources, row.cutoff_m)
        points = sample_inside(row.geometry, 300, seed=len(row.Index.__str__()))
        assert farthest_from(reached, points) <= BUFFER + 1e-6


def test_convex_hull_recipe_claims_unreachable_ground_where_geoplan_does_not(city, net):
    # a facility beside the river: the hull of what it reaches spans the water
    river = city.river
    fac = city.facilities.iloc[[int(city.facilities.distance(river).argmin())]]
    cutoff = net.cutoff_m(minutes=10)
    reached = reached_network(net, fac, cutoff)
    nearest = net.nearest(fac, distance_m=cutoff)
    nodes = shapely.points(net.x, net.y)[np.isfinite(nearest.node_distance_m)]
    hull = shapely.convex_hull(shapely.multipoints(nodes)).buffer(BUFFER)
    assert farthest_from(reached, sample_inside(hull, 2000)) > BUFFER + 20
    ours = geoplan.service_areas(net, fac, minutes=10, buffer_m=BUFFER, cell_m=CELL).geometry.iloc[
        0
    ]
    assert farthest_from(reached, sample_inside(ours, 2000)) <= BUFFER + 1e-6
    assert ours.area < hull.area


def test_dissolved_areas_nest(net, pharmacies):
    areas = geoplan.service_areas(net, pharmacies, minutes=[5, 10, 15], mode="dissolved")
    five, ten, fifteen = areas.geometry
    assert five.difference(ten).area == pytest.approx(0, abs=1e-6)
    assert ten.difference(fifteen).area == pytest.approx(0, abs=1e-6)
    assert five.area < ten.area < fifteen.area


def test_rings_partition_the_dissolved_area(net, pharmacies):
    rings = geoplan.service_areas(net, pharmacies, minutes=[5, 10, 15], mode="rings")
    dissolved = geoplan.service_areas(net, pharmacies, minutes=[5, 10, 15], mode="dissolved")
    assert list(rings["from_minutes"]) == [0, 5, 10]
    for a, b in itertools.combinations(rings.geometry, 2):
        assert a.intersection(b).area == pytest.approx(0, abs=1e-6)
    for k in range(3):
        union = shapely.union_all(rings.geometry.iloc[: k + 1])
        assert union.symmetric_difference(dissolved.geometry.iloc[k]).area == pytest.approx(
            0, abs=1e-3
        )


def test_split_pieces_do_not_overlap_and_union_to_the_dissolved_area(net, pharmacies):
    split = geoplan.service_areas(net, pharmacies, minutes=10, mode="split")
    dissolved = geoplan.service_areas(net, pharmacies, minutes=10, mode="dissolved").geometry.iloc[
        0
    ]
    assert len(split) == len(pharmacies)
    assert set(split["facility"]) == set(pharmacies.index)
    for a, b in itertools.combinations(split.geometry, 2):
        assert a.intersection(b).area == pytest.approx(0, abs=1e-6)
    union = shapely.union_all(split.geometry.to_numpy())
    assert union.symmetric_difference(dissolved).area == pytest.approx(0, abs=1e-3)


def test_each_facility_area_lies_within_the_dissolved_area(net, pharmacies):
    per = geoplan.service_areas(net, pharmacies, minutes=10)
    dissolved = geoplan.service_areas(net, pharmacies, minutes=10, mode="dissolved").geometry.iloc[
        0
    ]
    for geometry in per.geometry:
        assert geometry.difference(dissolved).area == pytest.approx(0, abs=1e-6)


def test_population_is_the_demand_inside_each_polygon(city, net, pharmacies):
    demand = city.demand()
    areas = geoplan.service_areas(net, pharmacies, minutes=[5, 10], mode="dissolved", demand=demand)
    points = demand.geometry.centroid
    for row in areas.itertuples():
        inside = points.within(row.geometry)
        assert row.population == pytest.approx(demand.loc[inside, "population"].sum())
    assert areas["area_m2"].is_monotonic_increasing


def test_hand_computed_area_on_a_straight_street():
    # a 1 km street, a facility in its middle, 100 m cutoff: the reached network is the
    # street from x=400 to x=600. The area lies within 20 m of it (the buffer) and holds
    # everything within 20 - 3 m of it (the grid loses at most three 1 m cells).
    net = Network.from_edges([(0, 0, 1000, 0)], crs="EPSG:32651")
    fac = gpd.GeoSeries(shapely.points([500.0], [0.0]), crs="EPSG:32651")
    area = geoplan.service_areas(net, fac, distance_m=100, buffer_m=20, cell_m=1).geometry.iloc[0]
    reached = shapely.LineString([(400, 0), (600, 0)])
    assert area.difference(reached.buffer(20, quad_segs=64)).area < 1e-6
    assert reached.buffer(17).difference(area).area < 1e-6
    assert 200 * 34 + math.pi * 17**2 < area.area < 200 * 40 + math.pi * 20**2


def test_bad_input(net, pharmacies):
    with pytest.raises(InputError, match="mode"):
        geoplan.service_areas(net, pharmacies, minutes=5, mode="hull")
    with pytest.raises(InputError, match="buffer_m"):
        geoplan.service_areas(net, pharmacies, minutes=5, buffer_m=5, cell_m=10)
    with pytest.raises(InputError, match="exactly one"):
        geoplan.service_areas(net, pharmacies, minutes=5, distance_m=300)
    with pytest.raises(InputError, match="empty"):
        geoplan.service_areas(net, pharmacies.iloc[:0], minutes=5)
    with pytest.raises(InputError, match="cutoff"):
        geoplan.service_areas(net, pharmacies, minutes=[5, -1])
