"""Demand: population rasters, registers spread over buildings, building estimates, grids.

Raster totals are checked against an independent oracle: every cell's polygon
intersected with the study polygon in the raster's CRS with shapely, one cell
at a time.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import rasterio
import shapely
from rasterio.transform import Affine
from shapely.geometry import Point, Polygon, box

from geoplan import CRSError, DataSourceError, GeoplanWarning, InputError
from geoplan.datasets import synthetic_city
from geoplan.population import (
    NODATA,
    NON_RESIDENTIAL_BUILDING_TAGS,
    demand_summary,
    is_residential,
    population_from_buildings,
    population_from_raster,
    population_from_register,
    write_population_raster,
)
from geoplan.standards import load_standards

NET = "EPSG:32651"  # the network's CRS: UTM 51N, Changchun
N = 20  # cells per side of the test rasters
ORIGIN_LONLAT = (125.25, 43.95)  # top-left corner, near Changchun


# ----------------------------------------------------------------- helpers
def write_tif(path, data, *, crs, transform, nodata=NODATA, dtype="float32"):
    data = np.asarray(data)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=data.shape[-1],
        height=data.shape[-2],
        count=1,
        dtype=dtype,
        crs=crs,
        transform=transform,
        nodata=nodata,
    ) as dst:
        dst.write(data.astype(dtype), 1)
    return path


def grid(kind):
    """(crs, transform) of a 20x20 test grid: 0.005 deg in EPSG:4326 or 500 m in EPSG:3857."""
    if kind == "4326":
        return "EPSG:4326", Affine(0.005, 0.0, ORIGIN_LONLAT[0], 0.0, -0.005, ORIGIN_LONLAT[1])
    x0, y0 = pyproj.Transformer.from_crs(4326, 3857, always_xy=True).transform(*ORIGIN_LONLAT)
    return "EPSG:3857", Affine(500.0, 0.0, x0, 0.0, -500.0, y0)


def counts(seed=7, n=N):
    rng = np.random.default_rng(seed)
    data = rng.integers(0, 50, (n, n)).astype(np.float64) + np.round(rng.random((n, n)), 3)
    data[rng.random((n, n)) < 0.1] = 0.0
    data[0, :3] = NODATA
    data[10, 10] = NODATA  # inside the study polygon
    return data.astype(np.float32)


def bounds_of(transform, n=N):
    left, top = transform.c, transform.f
    return left, top + n * transform.e, left + n * transform.a, top


def study_polygon(transform, n=N):
    """An irregular pentagon with a hole, in the raster's CRS, crossing many cells."""
    left, bottom, right, top = bounds_of(transform, n)
    w, h = right - left, top - bottom

    def at(fx, fy):
        return (left + fx * w, bottom + fy * h)

    shell = [at(0.06, 0.11), at(0.83, 0.18), at(0.91, 0.8), at(0.5, 0.94), at(0.08, 0.6)]
    hole = [at(0.4, 0.4), at(0.6, 0.4), at(0.5, 0.55)]
    return Polygon(shell, [hole])


def cell_box(transform, row, col):
    x0, y0 = transform.c + col * transform.a, transform.f + row * transform.e
    x1, y1 = x0 + transform.a, y0 + transform.e
    return box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def oracle_total(data, transform, polygon, nodata=NODATA):
    """Exact area-weighted sum: each cell's intersection with the polygon / cell area x value."""
    total = 0.0
    for row in range(data.shape[0]):
        for col in range(data.shape[1]):
            value = float(data[row, col])
            if value == nodata or value <= 0:
                continue
            cell = cell_box(transform, row, col)
            total += cell.intersection(polygon).area / cell.area * value
    return total


def densified(polygon, source, target, step):
    """The polygon reprojected with its edges split every `step` units (an oracle)."""
    tr = pyproj.Transformer.from_crs(source, target, always_xy=True)
    fine = shapely.segmentize(polygon, step)
    return shapely.transform(fine, tr.transform, interleaved=False)


@pytest.fixture(params=["4326", "3857"])
def raster(request, tmp_path):
    crs, transform = grid(request.param)
    data = counts()
    path = write_tif(tmp_path / f"pop_{request.param}.tif", data, crs=crs, transform=transform)
    return path, data, crs, transform


# ----------------------------------------------------------------- rasters: conservation
def test_total_is_exact_area_weighted_sum_in_another_crs(raster):
    path, data, _, transform = raster
    polygon = study_polygon(transform)
    demand = population_from_raster(path, area=polygon, crs=NET)
    expected = oracle_total(data, transform, polygon)
    assert demand["population"].sum() == pytest.approx(expected, rel=1e-9)
    assert demand.attrs["population_total"] == pytest.approx(expected, rel=1e-9)
    assert demand.attrs["source"] == str(path)
    assert demand.crs.to_epsg() == 32651
    assert (demand["population"] > 0).all()
    assert ((demand["cell_share"] > 0) & (demand["cell_share"] <= 1)).all()
    # the nodata cell inside the polygon is skipped
    assert 10 * N + 10 not in demand.index


def test_cells_fully_inside_keep_their_value_exactly(raster):
    path, data, _, transform = raster
    polygon = study_polygon(transform)
    demand = population_from_raster(path, area=polygon, crs=NET)
    inside = [
        (r, c)
        for r in range(N)
        for c in range(N)
        if polygon.contains(cell_box(transform, r, c)) and data[r, c] > 0
    ]
    assert len(inside) > 50
    for r, c in inside:
        row = demand.loc[r * N + c]
        assert row["population"] == float(data[r, c])
        assert row["cell_share"] == 1.0
    boundary = demand[demand["cell_share"] < 1]
    assert len(boundary) > 10


def test_points_land_at_transformed_cell_centres(raster):
    path, _, crs, transform = raster
    demand = population_from_raster(path, area=study_polygon(transform), crs=NET)
    cx = transform.c + (demand["col"].to_numpy() + 0.5) * transform.a
    cy = transform.f + (demand["row"].to_numpy() + 0.5) * transform.e
    ex, ey = pyproj.Transformer.from_crs(crs, NET, always_xy=True).transform(cx, cy)
    np.testing.assert_allclose(demand.geometry.x, ex, rtol=0, atol=1e-6)
    np.testing.assert_allclose(demand.geometry.y, ey, rtol=0, atol=1e-6)
    assert list(demand.index) == list(demand["row"] * N + demand["col"])
    assert demand.index.name == "cell"


def test_default_crs_is_the_rasters(raster):
    path, _, crs, transform = raster
    demand = population_from_raster(path, area=study_polygon(transform))
    assert demand.crs == pyproj.CRS.from_user_input(crs)


def test_area_as_geodataframe_in_the_network_crs(raster):
    path, data, crs, transform = raster
    left, bottom, right, top = bounds_of(transform)
    centre = pyproj.Transformer.from_crs(crs, NET, always_xy=True).transform(
        (left + right) / 2, (bottom + top) / 2
    )
    square = shapely.affinity.rotate(
        box(centre[0] - 2500, centre[1] - 2500, centre[0] + 2500, centre[1] + 2500), 17
    )
    area = gpd.GeoDataFrame({"name": ["district"]}, geometry=[square], crs=NET)
    demand = population_from_raster(path, area=area, crs=NET)
    expected = oracle_total(data, transform, densified(square, NET, crs, 5.0))
    assert demand["population"].sum() == pytest.approx(expected, rel=1e-6)
    # also as a GeoSeries
    again = population_from_raster(path, area=area.geometry, crs=NET)
    assert again["population"].sum() == pytest.approx(demand["population"].sum(), rel=1e-12)


def test_area_as_lonlat_bbox(raster):
    path, data, crs, transform = raster
    bbox = (125.27, 43.87, 125.31, 43.92)
    demand = population_from_raster(path, area=bbox, crs=NET)
    expected = oracle_total(data, transform, densified(box(*bbox), 4326, crs, 1e-5))
    assert demand["population"].sum() == pytest.approx(expected, rel=1e-6)


def test_whole_raster_without_area(raster):
    path, data, _, _ = raster
    demand = population_from_raster(path, crs=NET)
    valid = data[(data != NODATA) & (data > 0)]
    assert demand["population"].sum() == pytest.approx(float(valid.astype(np.float64).sum()))
    assert len(demand) == valid.size
    assert (demand["cell_share"] == 1).all()


def test_open_dataset_is_accepted_and_left_open(raster):
    path, data, _, transform = raster
    polygon = study_polygon(transform)
    with rasterio.open(path) as src:
        demand = population_from_raster(src, area=polygon, crs=NET)
        assert not src.closed
    assert demand["population"].sum() == pytest.approx(oracle_total(data, transform, polygon))


def test_only_the_window_over_the_area_is_read(tmp_path):
    n = 400
    crs, _ = grid("4326")
    transform = Affine(0.001, 0.0, 125.0, 0.0, -0.001, 44.2)
    data = counts(seed=3, n=n)
    path = write_tif(tmp_path / "province.tif", data, crs=crs, transform=transform)
    area = box(125.2003, 43.9007, 125.2102, 43.9111)  # about 10 x 10 cells
    reads = []

    class Spy:
        def __init__(self, src):
            self._src = src

        def __getattr__(self, name):
            return getattr(self._src, name)

        def read(self, *args, **kwargs):
            reads.append(kwargs.get("window"))
            return self._src.read(*args, **kwargs)

    with rasterio.open(path) as src:
        demand = population_from_raster(Spy(src), area=area, crs=NET)
    assert reads
    assert all(w is not None and w.width * w.height <= 12 * 12 for w in reads)
    col_off, row_off, width, height = demand.attrs["window"]
    assert (width, height) <= (12, 12)
    assert (col_off, row_off) == (200, 288)
    assert demand["population"].sum() == pytest.approx(
        oracle_total(
            data[row_off : row_off + height, col_off : col_off + width],
            transform @ Affine.translation(col_off, row_off),
            area,
        ),
        rel=1e-9,
    )


def test_age_groups_add_columns_on_the_same_grid(raster, tmp_path):
    path, data, crs, transform = raster
    old = np.where(data == NODATA, NODATA, np.round(data * 0.2, 2)).astype(np.float32)
    young = np.where(data == NODATA, NODATA, np.round(data * 0.15, 2)).astype(np.float32)
    old_path = write_tif(tmp_path / "old.tif", old, crs=crs, transform=transform)
    young_path = write_tif(tmp_path / "young.tif", young, crs=crs, transform=transform)
    polygon = study_polygon(transform)
    demand = population_from_raster(
        path,
        area=polygon,
        crs=NET,
        age_groups={"age_60_plus": old_path, "age_0_14": young_path},
    )
    assert list(demand.columns[:3]) == ["population", "age_60_plus", "age_0_14"]
    assert demand["age_60_plus"].sum() == pytest.approx(oracle_total(old, transform, polygon))
    assert demand["age_0_14"].sum() == pytest.approx(oracle_total(young, transform, polygon))
    assert demand.attrs["count_columns"] == ["population", "age_60_plus", "age_0_14"]
    summary = demand_summary(demand)
    assert summary["points"] == len(demand)
    assert summary["total"] == pytest.approx(demand.attrs["population_total"])
    assert summary["by_column"]["age_60_plus"] == pytest.approx(demand["age_60_plus"].sum())
    assert summary["crs"] == "EPSG:32651"


def test_age_group_on_another_grid_is_refused(raster, tmp_path):
    path, data, crs, transform = raster
    shifted = Affine(transform.a, 0.0, transform.c + transform.a / 2, 0.0, transform.e, transform.f)
    other = write_tif(tmp_path / "other.tif", data, crs=crs, transform=shifted)
    with pytest.raises(InputError, match=r"age_60_plus.*not on the grid.*gdalwarp"):
        population_from_raster(
            path, area=study_polygon(transform), age_groups={"age_60_plus": other}
        )
    with pytest.raises(InputError, match="clashes"):
        population_from_raster(path, age_groups={"population": other})


# ----------------------------------------------------------------- rasters: bad input
def test_missing_file_is_a_data_source_error(tmp_path):
    with pytest.raises(DataSourceError, match="does not exist; check the path"):
        population_from_raster(tmp_path / "nowhere.tif")
    text = tmp_path / "notes.tif"
    text.write_text("not a raster")
    with pytest.raises(DataSourceError, match=r"cannot read .* as a raster"):
        population_from_raster(text)


def test_raster_without_crs_is_a_crs_error(tmp_path):
    _, transform = grid("4326")
    path = write_tif(tmp_path / "nocrs.tif", counts(), crs=None, transform=transform)
    with pytest.raises(CRSError, match=r"no CRS.*rio edit-info --crs"):
        population_from_raster(path)


def test_raster_without_nodata_warns_and_reads_every_cell(tmp_path):
    crs, transform = grid("4326")
    data = np.abs(counts()) % 100
    path = write_tif(tmp_path / "nonodata.tif", data, crs=crs, transform=transform, nodata=None)
    with pytest.warns(GeoplanWarning, match=r"no nodata value.*rio edit-info --nodata"):
        demand = population_from_raster(path)
    assert demand["population"].sum() == pytest.approx(float(data.astype(np.float64).sum()))


def test_negative_counts_are_refused_with_the_fix(tmp_path):
    crs, transform = grid("4326")
    data = counts()
    data[5, 5] = -3.0
    data[6, 6] = -1.0
    data[15, 15] = 12.0
    path = write_tif(tmp_path / "neg.tif", data, crs=crs, transform=transform)
    with pytest.raises(InputError, match=r"2 negative cells \(lowest -3\).*declare that value"):
        population_from_raster(path, area=study_polygon(transform))
    # outside the study area they do not matter
    corner = cell_box(transform, 15, 15).buffer(-1e-4)
    inner = population_from_raster(path, area=corner)
    assert inner["population"].sum() == pytest.approx(
        12.0 * corner.area / cell_box(transform, 15, 15).area
    )


def test_nan_counts_are_refused(tmp_path):
    crs, transform = grid("4326")
    data = counts()
    data[8, 8] = np.nan
    path = write_tif(tmp_path / "nan.tif", data, crs=crs, transform=transform)
    with pytest.raises(InputError, match=r"1 NaN cells.*nodata"):
        population_from_raster(path, area=study_polygon(transform))


def test_nan_nodata_is_skipped(tmp_path):
    crs, transform = grid("4326")
    data = counts()
    data[data == NODATA] = np.nan
    path = write_tif(tmp_path / "nannodata.tif", data, crs=crs, transform=transform, nodata=np.nan)
    demand = population_from_raster(path)
    assert demand["population"].sum() == pytest.approx(float(np.nansum(data.astype(np.float64))))


def test_area_outside_the_raster_shows_both_bounds_in_lonlat(raster):
    path, *_ = raster
    far = gpd.GeoSeries([box(126.5, 45.0, 126.6, 45.1)], crs=4326)
    with pytest.raises(InputError, match=r"does not overlap.*125\.25.*126\.5.*lon/lat"):
        population_from_raster(path, area=far)


def test_other_bad_options(raster):
    path, *_ = raster
    with pytest.raises(InputError, match="band must be"):
        population_from_raster(path, band=2)
    with pytest.raises(CRSError, match="latitude beyond"):
        population_from_raster(path, area=(43.8, 125.2, 44.0, 125.4))
    with pytest.raises(CRSError, match="no CRS"):
        population_from_raster(path, area=gpd.GeoSeries([box(0, 0, 1, 1)]))
    with pytest.raises(InputError, match="must be a polygon"):
        population_from_raster(path, area=Point(125.3, 43.9))
    with pytest.raises(CRSError, match="not a CRS"):
        population_from_raster(path, crs="EPSG:not-a-code")


# ----------------------------------------------------------------- registers
@pytest.fixture
def town():
    communities = gpd.GeoDataFrame(
        {"cid": ["A", "B", "C", "D"]},
        geometry=[
            box(0, 0, 100, 100),
            box(100, 0, 200, 100),
            box(0, 100, 100, 200),
            box(100, 100, 200, 200),
        ],
        crs=NET,
    )
    buildings = gpd.GeoDataFrame(
        {
            "levels": [2, None, 3, 5, 4, 1],
            "building": ["residential", "yes", None, "retail", "apartments", "yes"],
        },
        geometry=[
            box(10, 10, 20, 20),  # A, 100 m2 x 2 = 200
            box(40, 40, 60, 50),  # A, 200 m2 x (default 6) = 1200
            box(150, 50, 160, 60),  # B, 100 m2 x 3 = 300
            box(60, 60, 90, 90),  # A, retail: not a home
            box(10, 110, 20, 120),  # C, not in the register
            box(300, 300, 310, 310),  # in no community
        ],
        index=pd.Index(["b1", "b2", "b3", "shop", "c1", "far"], name="building_id"),
        crs=NET,
    )
    register = pd.DataFrame({"cid": ["A", "B", "D", "Z"], "people": [700, 90, 40, 50]})
    return buildings, communities, register


def test_register_spread_by_floor_area_by_hand(town):
    buildings, communities, register = town
    before = (buildings.copy(), communities.copy(), register.copy())
    demand = population_from_register(
        buildings, communities, register, community_id="cid", population="people"
    )
    # A: 700 x 200/1400 and 700 x 1200/1400; B: all 90 on b3; D: no building -> one point
    assert demand.loc["b1", "population"] == pytest.approx(100.0)
    assert demand.loc["b2", "population"] == pytest.approx(600.0)
    assert demand.loc["b3", "population"] == pytest.approx(90.0)
    assert demand.loc["b2", "floor_area_m2"] == pytest.approx(1200.0)
    assert demand.loc["community:D", "population"] == pytest.approx(40.0)
    assert demand.loc["community:D", "basis"] == "community"
    assert communities.geometry[3].contains(demand.geometry["community:D"])
    assert set(demand.index) == {"b1", "b2", "b3", "community:D"}
    assert demand.index.name == "building_id"
    assert list(demand.loc[["b1", "b2", "b3"], "cid"]) == ["A", "A", "B"]
    assert demand.geometry["b1"].equals(Point(15, 15))
    # total conserved over the matched communities; the rest reported
    assert demand["population"].sum() == pytest.approx(830.0)
    assert demand.attrs["population_total"] == pytest.approx(830.0)
    assert demand.attrs["unmatched_register"] == ["Z"]
    assert demand.attrs["communities_without_register"] == ["C"]
    assert demand.attrs["communities_without_buildings"] == ["D"]
    assert demand.attrs["buildings_outside_communities"] == 1
    pd.testing.assert_frame_equal(buildings, before[0])
    pd.testing.assert_frame_equal(communities, before[1])
    pd.testing.assert_frame_equal(register, before[2])


def test_register_options(town):
    buildings, communities, register = town
    series = register.set_index("cid")["people"]
    as_series = population_from_register(buildings, communities, series, community_id="cid")
    assert as_series["population"].sum() == pytest.approx(830.0)
    # every building a home, 1 level where unknown: A = 200 + 200 + 900 (the shop)
    everything = population_from_register(
        buildings,
        communities,
        register,
        community_id="cid",
        population="people",
        residential=lambda b: np.ones(len(b), dtype=bool),
        default_levels=1,
    )
    assert everything.loc["shop", "population"] == pytest.approx(700 * 4500 / 4900)
    assert everything.loc["b2", "population"] == pytest.approx(700 * 200 / 4900)


def test_register_errors_name_the_fix(town):
    buildings, communities, register = town
    numeric = communities.assign(cid=[1, 2, 3, 4])
    with pytest.raises(InputError, match=r"none of the 4 register ids.*astype\(str\)"):
        population_from_register(
            buildings, numeric, register, community_id="cid", population="people"
        )
    doubled = pd.concat([register, register.iloc[:1]])
    with pytest.raises(InputError, match=r"duplicates \['A'\].*groupby"):
        population_from_register(
            buildings, communities, doubled, community_id="cid", population="people"
        )
    negative = register.assign(people=[700, -1, 40, 50])
    with pytest.raises(InputError, match="negative"):
        population_from_register(
            buildings, communities, negative, community_id="cid", population="people"
        )
    with pytest.raises(InputError, match=r"no column.*community_id="):
        population_from_register(buildings, communities, register, community_id="code")
    with pytest.raises(CRSError, match=r"different CRSs.*to_crs"):
        population_from_register(
            buildings.set_crs(32650, allow_override=True),
            communities,
            register,
            community_id="cid",
            population="people",
        )
    with pytest.raises(InputError, match="boolean mask"):
        population_from_register(
            buildings,
            communities,
            register,
            community_id="cid",
            population="people",
            residential=lambda b: [1, 0],
        )


def test_register_conserves_the_synthetic_city():
    city = synthetic_city(area_km2=1.0, seed=3)
    register = city.communities[["community_id", "population"]]
    demand = population_from_register(
        city.buildings, city.communities, register, community_id="community_id"
    )
    assert demand["population"].sum() == pytest.approx(float(register["population"].sum()))
    assert demand.attrs["unmatched_register"] == []


# ----------------------------------------------------------------- building estimates
def test_building_estimate_by_hand():
    buildings = gpd.GeoDataFrame(
        {"levels": [6, None, "3"]},
        geometry=[box(0, 0, 10, 20), box(100, 0, 110, 20), box(200, 0, 220, 10)],
        index=pd.Index([11, 12, 13], name="osm_id"),
        crs=NET,
    )
    before = buildings.copy()
    demand = population_from_buildings(buildings, persons_per_m2=0.025)
    assert demand.loc[11, "population"] == pytest.approx(30.0)  # 200 m2 x 6 x 0.025
    assert demand.loc[11, "floor_area_m2"] == pytest.approx(1200.0)
    assert demand.loc[12, "population"] == pytest.approx(30.0)  # default 6 levels
    assert demand.loc[13, "population"] == pytest.approx(15.0)  # 200 m2 x 3 x 0.025
    assert demand.geometry[11].equals(Point(5, 10))
    assert demand.index.name == "osm_id"
    assert demand.attrs["levels_defaulted"] == 1
    assert demand.attrs["population_total"] == pytest.approx(75.0)
    # the documented defaults give the same
    defaults = population_from_buildings(buildings)
    assert defaults["population"].tolist() == pytest.approx([30.0, 30.0, 15.0])
    explicit = population_from_buildings(buildings, persons_per_m2=0.05, default_levels=2)
    assert explicit.loc[12, "population"] == pytest.approx(200 * 2 * 0.05)
    pd.testing.assert_frame_equal(buildings, before)


def test_non_residential_tags_are_left_out():
    assert {
        "commercial",
        "industrial",
        "retail",
        "school",
        "hospital",
        "church",
        "garage",
        "garages",
        "shed",
    } <= NON_RESIDENTIAL_BUILDING_TAGS
    tags = ["yes", "residential", None, "commercial", "Garages", " shed ", "apartments", "school"]
    buildings = gpd.GeoDataFrame(
        {"building": tags}, geometry=[box(i * 50, 0, i * 50 + 10, 10) for i in range(8)], crs=NET
    )
    assert is_residential(buildings).tolist() == [
        True,
        True,
        True,
        False,
        False,
        False,
        True,
        False,
    ]
    demand = population_from_buildings(buildings)
    assert list(demand.index) == [0, 1, 2, 6]
    assert demand.attrs["excluded"] == 4


def test_building_estimate_matches_the_synthetic_city():
    city = synthetic_city(area_km2=1.0, seed=3)
    demand = population_from_buildings(city.buildings)
    diff = demand["population"] - city.buildings["population"]
    assert (diff.abs() <= 0.5 + 1e-9).all()  # the city rounds area x levels x 0.025


def test_building_estimate_needs_metres():
    buildings = gpd.GeoDataFrame({"levels": [6]}, geometry=[box(0, 0, 1e-4, 1e-4)], crs=4326)
    with pytest.raises(CRSError, match=r"geographic.*to_crs\("):
        population_from_buildings(buildings)
    with pytest.raises(CRSError, match="no CRS"):
        population_from_buildings(buildings.set_crs(None, allow_override=True))
    feet = buildings.set_crs(2263, allow_override=True)  # NY state plane, US feet
    with pytest.raises(CRSError, match="not metres"):
        population_from_buildings(feet)
    metric = buildings.set_crs(NET, allow_override=True)
    with pytest.raises(InputError, match=r"persons_per_m2=0\.025"):
        population_from_buildings(metric, persons_per_m2=0)
    with pytest.raises(InputError, match="default_levels"):
        population_from_buildings(metric, default_levels=math.nan)


def test_defaults_are_documented_parameters():
    std = load_standards()
    per_m2 = std.parameter("persons_per_m2_floor")
    levels = std.parameter("default_building_levels")
    assert per_m2.value == 0.025
    assert levels.value == 6
    for value in (per_m2, levels):
        assert value.verification == "default"
        assert value.source == "geoplan_default"
        assert "not a planning standard" in value.note or "not from a standard" in value.note
    assert "40 m2" in per_m2.note
    assert "overestimates" in per_m2.note


# ----------------------------------------------------------------- grids
def test_write_population_raster_round_trip(raster, tmp_path):
    path, _, _, transform = raster
    demand = population_from_raster(path, area=study_polygon(transform), crs=NET)
    demand = demand.assign(elderly=demand["population"] * 0.2)
    out = write_population_raster(
        demand, tmp_path / "out" / "grid.tif", resolution_m=250, columns=("population", "elderly")
    )
    assert out == tmp_path / "out" / "grid.tif"
    assert [p.name for p in out.parent.iterdir()] == ["grid.tif"]  # no temporary left
    with rasterio.open(out) as src:
        assert src.crs.to_epsg() == 32651
        assert src.count == 2
        assert src.dtypes == ("float32", "float32")
        assert src.nodata == NODATA
        assert src.descriptions == ("population", "elderly")
        assert src.res == (250.0, 250.0)
        assert src.transform.c % 250 == 0
        assert src.transform.f % 250 == 0
        total = src.read(1).astype(np.float64).sum()
        elderly = src.read(2).astype(np.float64).sum()
    assert total == pytest.approx(demand["population"].sum(), rel=1e-6)
    assert elderly == pytest.approx(demand["elderly"].sum(), rel=1e-6)
    back = population_from_raster(out)
    assert back.attrs["population_total"] == pytest.approx(demand["population"].sum(), rel=1e-6)


def test_write_population_raster_puts_points_in_their_cells(tmp_path):
    demand = gpd.GeoDataFrame(
        {"population": [2.0, 3.0, 4.0]},
        geometry=[Point(5, 5), Point(15, 5), Point(10, 25)],
        crs=NET,
    )
    out = write_population_raster(demand, tmp_path / "g.tif", resolution_m=10)
    with rasterio.open(out) as src:
        grid_ = src.read(1)
        assert src.bounds == (0.0, 0.0, 20.0, 30.0)
    np.testing.assert_array_equal(grid_, [[0, 4], [0, 0], [2, 3]])


def test_write_population_raster_bad_input(tmp_path):
    demand = gpd.GeoDataFrame({"population": [2.0]}, geometry=[Point(5, 5)], crs=NET)
    with pytest.raises(CRSError, match=r"projected CRS in metres.*crs='EPSG:32651'"):
        write_population_raster(demand, tmp_path / "a.tif", resolution_m=10, crs=4326)
    with pytest.raises(CRSError, match="no CRS"):
        write_population_raster(
            demand.set_crs(None, allow_override=True), tmp_path / "a.tif", resolution_m=10
        )
    with pytest.raises(InputError, match="resolution_m"):
        write_population_raster(demand, tmp_path / "a.tif", resolution_m=0)
    with pytest.raises(InputError, match="negative"):
        write_population_raster(demand.assign(population=-1.0), tmp_path / "a.tif", resolution_m=10)
    with pytest.raises(InputError, match="no column"):
        write_population_raster(demand, tmp_path / "a.tif", resolution_m=10, columns=("old",))
    with pytest.raises(InputError, match="no points"):
        write_population_raster(demand.iloc[:0], tmp_path / "a.tif", resolution_m=10)
    assert not (tmp_path / "a.tif").exists()


def test_demand_summary_defaults_and_errors():
    demand = gpd.GeoDataFrame(
        {"population": [2.0, 3.5], "floor_area_m2": [1.0, 2.0]},
        geometry=[Point(0, 0), Point(1, 1)],
        crs=NET,
    )
    summary = demand_summary(demand)
    assert summary == {
        "total": 5.5,
        "points": 2,
        "by_column": {"population": 5.5},
        "crs": "EPSG:32651",
        "source": None,
    }
    with pytest.raises(InputError, match="no column"):
        demand_summary(demand.drop(columns="population"))
