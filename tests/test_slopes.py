"""Slopes: Tobler walking times on synthetic hills, worked out by hand in both directions.

Tobler (1993): v(s) = 6 exp(-3.5 |s + 0.05|) km/h, normalised so that the flat keeps the
network's walking speed: an edge piece of run d and gradient s takes
d / speed * exp(3.5 (|s + 0.05| - 0.05)) seconds.
"""

from __future__ import annotations

import math
import warnings

import geopandas as gpd
import networkx as nx
import numpy as np
import pyproj
import pytest
import rasterio
import shapely
from _oracles import oracle_digraph
from affine import Affine

from geoplan import (
    CRSError,
    DataSourceError,
    InputError,
    Network,
    NetworkError,
    UnreachablePointsWarning,
)
from geoplan.slopes import TOBLER_FLAT_KMH, Dem, read_dem, slope_summary, tobler_kmh, with_slopes

UTM = "EPSG:32651"
X0, Y0 = 500_000.0, 4_850_000.0  # the hills stand here, in UTM zone 51N
SPEED = 1.2


def walk_time(run: float, slope: float, speed: float = SPEED) -> float:
    """Seconds to walk ``run`` metres of gradient ``slope`` (hand formula)."""
    return run / speed * math.exp(3.5 * (abs(slope + 0.05) - 0.05))


def seconds(net, which):
    cost = net.forward_cost_m if which == "forward" else net.backward_cost_m
    return cost / net.speed_m_s


def network(segments, speed=SPEED):
    shifted = [(a + X0, b + Y0, c + X0, d + Y0) for a, b, c, d in segments]
    return Network.from_edges(shifted, crs=UTM, speed_m_s=speed)


def grid_dem(z_of, *, size=1.0, half=300, crs=UTM, name="hill"):
    """A DEM of pixels ``size`` wide around (X0, Y0), elevation z_of(dx, dy) at pixel centres."""
    n = int(2 * half / size)
    centres = (np.arange(n) + 0.5) * size - half
    dx, dy = np.meshgrid(centres, -centres)  # rows run southward
    transform = Affine(size, 0, X0 - half, 0, -size, Y0 + half)
    return Dem(z_of(dx, dy), transform, crs, name)


# ----------------------------------------------------------------- Tobler's function
def test_tobler_is_fastest_slightly_downhill():
    np.testing.assert_allclose(tobler_kmh(np.array([-0.05, 0.0])), [6.0, 6 * math.exp(-0.175)])
    assert round(TOBLER_FLAT_KMH, 4) == 5.0367
    assert tobler_kmh(0.1) == pytest.approx(tobler_kmh(-0.2))  # |s + 0.05| = 0.15 both


# ----------------------------------------------------------------- a tilted plane
def test_a_tilted_plane_gives_hand_computed_times_both_ways():
    grade = 0.08
    plane = grid_dem(lambda dx, dy: 50 + grade * dx, size=2.0)
    net = network(
        [
            (0, 0, 200, 0),  # straight up the plane (east)
            (0, 0, 0, 100),  # across it (north): flat
            (0, 0, 60, 80),  # 100 m at a bearing: rises 60 m x 0.08
        ]
    )
    hill = with_slopes(net, plane)
    s_diag = grade * 60 / 100
    np.testing.assert_allclose(
        seconds(hill, "forward"),
        [walk_time(200, grade), walk_time(100, 0), walk_time(100, s_diag)],
        rtol=1e-9,
    )
    np.testing.assert_allclose(
        seconds(hill, "backward"),
        [walk_time(200, -grade), walk_time(100, 0), walk_time(100, -s_diag)],
        rtol=1e-9,
    )
    assert hill.directed
    assert hill.time_weighted
    np.testing.assert_allclose(hill.edge_attrs["climb_m"], [16.0, 0.0, 4.8])
    np.testing.assert_allclose(hill.edge_attrs["descent_m"], [0.0, 0.0, 0.0])
    # a search: from the low end up the hill takes longer than down it
    low, high = hill.snap(points([(0, 0)])), hill.snap(points([(200, 0)]))
    up = hill.nearest(low, minutes=60, targets=high, direction="from_sources")
    down = hill.nearest(high, minutes=60, targets=low, direction="from_sources")
    assert up.target_minutes[0] * 60 == pytest.approx(walk_time(200, grade))
    assert down.target_minutes[0] * 60 == pytest.approx(walk_time(200, -grade))


def points(xy):
    xy = np.asarray(xy, dtype=float).reshape(-1, 2) + np.array([X0, Y0])
    return gpd.GeoSeries(shapely.points(xy), crs=UTM)


# ----------------------------------------------------------------- a cone
def cone(dx, dy):
    return 100.0 - 0.2 * np.hypot(dx, dy)


def test_a_cone_gives_hand_computed_times_both_ways():
    # vertices at pixel centres (1 m pixels, centres at .5): bilinear sampling is exact there
    h = 0.5
    ring = [(30.5, h), (h, 30.5), (-30.5, h)]  # all at r = 30.504 from the apex at (0, 0)
    lines = [
        shapely.LineString([(10.5, h), (50.5, h)]),  # radial, outward: downhill
        shapely.LineString([(-39.5, h), (0.5, h), (40.5, h)]),  # over the top
        shapely.LineString(ring),  # round it: level
    ]
    net = Network(
        x=np.array([10.5, 50.5, -39.5, 40.5, 30.5, -30.5]) + X0,
        y=np.full(6, h) + Y0,
        edge_u=[0, 2, 4],
        edge_v=[1, 3, 5],
        geometry=shapely.transform(lines, lambda xy: xy + np.array([X0, Y0])),
        crs=UTM,
        speed_m_s=SPEED,
    )
    z = grid_dem(cone, size=1.0)
    hill = with_slopes(net, z)
    # radial: from r = 10.51 to r = 50.50, falling 0.2 per metre
    d1 = 40.0
    s1 = (cone(50.5, h) - cone(10.5, h)) / d1
    # over the top: up to the apex pixel (r = 0.707) then down the other side
    up = (cone(0.5, h) - cone(-39.5, h)) / 40.0
    down = (cone(40.5, h) - cone(0.5, h)) / 40.0
    # round it: two chords between points at one radius, so level
    da, db = math.dist(ring[0], ring[1]), math.dist(ring[1], ring[2])
    s3a = (cone(*ring[1]) - cone(*ring[0])) / da
    s3b = (cone(*ring[2]) - cone(*ring[1])) / db
    np.testing.assert_allclose(
        seconds(hill, "forward"),
        [
            walk_time(d1, s1),
            walk_time(40, up) + walk_time(40, down),
            walk_time(da, s3a) + walk_time(db, s3b),
        ],
        rtol=1e-9,
    )
    np.testing.assert_allclose(
        seconds(hill, "backward"),
        [
            walk_time(d1, -s1),
            walk_time(40, -down) + walk_time(40, -up),
            walk_time(da + db, 0),
        ],
        rtol=1e-9,
    )
    assert s1 == pytest.approx(-0.2, abs=1e-3)
    # the way over the top is (almost) as long both ways; the radial one is not
    assert seconds(hill, "backward")[0] / seconds(hill, "forward")[0] == pytest.approx(
        math.exp(3.5 * (0.25 - 0.15)), rel=1e-3
    )
    # only the vertices are sampled: the ring's chords between level points stay level
    assert s3a == 0
    assert s3b == 0


# ----------------------------------------------------------------- other CRSs, files, gaps
def test_a_dem_in_longitude_latitude_is_sampled_where_the_streets_are():
    grade = 0.05
    to_utm = pyproj.Transformer.from_crs(4326, UTM, always_xy=True)
    to_geo = pyproj.Transformer.from_crs(UTM, 4326, always_xy=True)
    lon0, lat0 = to_geo.transform(X0, Y0)
    step = 0.0001  # about 8 x 11 m
    n = 80
    lons = lon0 - n / 2 * step + (np.arange(n) + 0.5) * step
    lats = lat0 + n / 2 * step - (np.arange(n) + 0.5) * step
    glon, glat = np.meshgrid(lons, lats)
    ux, _ = to_utm.transform(glon, glat)
    dem = Dem(
        grade * (ux - X0),
        Affine(step, 0, lon0 - n / 2 * step, 0, -step, lat0 + n / 2 * step),
        "EPSG:4326",
        "geo",
    )
    hill = with_slopes(network([(-100, 0, 100, 0), (0, -100, 0, 100)]), dem)
    # an east-west street climbs 5 %, a north-south one is level (to sampling accuracy)
    np.testing.assert_allclose(
        seconds(hill, "forward"), [walk_time(200, grade), walk_time(200, 0)], rtol=2e-4
    )
    np.testing.assert_allclose(
        seconds(hill, "backward"), [walk_time(200, -grade), walk_time(200, 0)], rtol=2e-4
    )


def test_edges_off_the_dem_or_on_nodata_keep_their_flat_time(tmp_path):
    values = grid_dem(lambda dx, dy: 0.1 * dx, size=2.0, half=100).values.copy()
    values[50, 70] = np.nan  # a hole at the pixel centred on (41, -1)
    path = tmp_path / "dem.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=values.shape[1],
        height=values.shape[0],
        count=1,
        dtype="float32",
        crs=UTM,
        transform=Affine(2.0, 0, X0 - 100, 0, -2.0, Y0 + 100),
        nodata=-9999.0,
    ) as dst:
        dst.write(np.where(np.isnan(values), -9999.0, values).astype(np.float32), 1)
    net = network([(-50, 50, 50, 50), (0, 0, 300, 0), (41, -1, 51, -1)])
    hill = with_slopes(net, path)
    np.testing.assert_allclose(
        seconds(hill, "forward"), [walk_time(100, 0.1), walk_time(300, 0), walk_time(10, 0)]
    )
    assert hill.edge_attrs["on_dem"].tolist() == [True, False, False]
    facts = slope_summary(hill)
    assert facts["edges_off_dem"] == 2
    assert facts["climb_km"] == pytest.approx(0.010, abs=1e-6)
    assert facts["time_factor_max"] == pytest.approx(math.exp(3.5 * 0.1))
    assert slope_summary(net) == {"slopes": False}
    assert read_dem(path).name == "dem.tif"


def test_slopes_are_refused_where_they_make_no_sense(tmp_path):
    plane = grid_dem(lambda dx, dy: dx * 0.0, size=10.0)
    drive = Network.from_edges([(X0, Y0, X0 + 10, Y0)], crs=UTM, profile="drive")
    with pytest.raises(NetworkError, match="profile='walk'"):
        with_slopes(drive, plane)
    walk = network([(0, 0, 10, 0)])
    with pytest.raises(InputError, match="already has slopes"):
        with_slopes(with_slopes(walk, plane), plane)
    with pytest.raises(DataSourceError, match="does not exist"):
        with_slopes(walk, tmp_path / "none.tif")
    (tmp_path / "text.tif").write_text("not a raster")
    with pytest.raises(DataSourceError, match="cannot read the DEM"):
        with_slopes(walk, tmp_path / "text.tif")
    rotated = Dem(plane.values, Affine(10, 1, X0, 0, -10, Y0), UTM)
    with pytest.raises(InputError, match="rotated"):
        with_slopes(walk, rotated)
    bare = tmp_path / "bare.tif"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with rasterio.open(
            bare, "w", driver="GTiff", width=2, height=2, count=1, dtype="float32"
        ) as dst:
            dst.write(np.zeros((1, 2, 2), dtype=np.float32))
    with pytest.raises(CRSError, match="has no CRS"):
        with_slopes(walk, bare)


def test_searches_on_a_hill_match_networkx():
    rng = np.random.default_rng(3)
    segments = []
    for _ in range(60):
        a, b = (int(v) for v in rng.integers(-8, 8, size=2) * 25)
        step = rng.choice([(25, 0), (0, 25)])
        segments.append((a, b, a + step[0], b + step[1]))
    hill = with_slopes(network(segments), grid_dem(cone, size=5.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnreachablePointsWarning)
        pts = hill.snap(points(rng.uniform(-200, 200, size=(12, 2))))
    src, tgt = pts.take(np.arange(3)), pts.take(np.arange(3, 12))
    for direction in ("from_sources", "to_sources"):
        out = hill.nearest(src, minutes=5, targets=tgt, direction=direction)
        graph = oracle_digraph(hill, ("src", src), ("tgt", tgt))
        if direction == "to_sources":
            graph = graph.reverse(copy=True)
        origins = [("src", "p", i) for i in np.flatnonzero(src.reachable)]
        truth = nx.multi_source_dijkstra_path_length(graph, origins, cutoff=out.cutoff_m)
        expected = [truth.get(("n", i), np.inf) for i in range(hill.n_nodes)]
        np.testing.assert_allclose(out.node_distance_m, expected, rtol=1e-9)
        expected_t = [truth.get(("tgt", "p", j), np.inf) for j in range(len(tgt))]
        np.testing.assert_allclose(out.target_distance_m, expected_t, rtol=1e-9)
