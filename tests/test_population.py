"""Demand: population rasters, registers spread over buildings, building estimates, grids.

Raster totals are checked against an independent oracle: every cell's polygon
intersected with the study polygon in the raster's CRS with shapely, one cell
at a time.
"""

from __future__ import annotations

import json
import math
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import pytest
import rasterio
import shapely
from rasterio.transform import Affine
from shapely.geometry import Point, Polygon, box

from geoplan import ConfigError, CRSError, DataSourceError, GeoplanWarning, InputError, Study
from geoplan._loader import Loader
from geoplan.config import parse_config
from geoplan.datasets import sample_pbf, synthetic_city
from geoplan.landuse import land_use_kinds, osm_land_use, parcel_land_use, read_landuse
from geoplan.population import (
    NODATA,
    NON_RESIDENTIAL_BUILDING_TAGS,
    RESIDENTIAL_BUILDING_TAGS,
    calibrate_population,
    classify_buildings,
    demand_summary,
    is_residential,
    non_residential_name,
    population_from_buildings,
    population_from_parcels,
    population_from_raster,
    population_from_register,
    residential_name,
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
    expected = {
        "levels_single_storey_house": 1,
        "levels_house": 2,
        "levels_village_house": 1,
        "max_untagged_footprint_m2": 20000,
        "far_residential": 2.0,
        "far_residential_low_rise": 0.8,
        "far_residential_old": 1.0,
        "far_rural_homestead": 0.3,
    }
    for name, number in expected.items():
        value = std.parameter(name)
        assert value.value == number
        assert (value.source, value.verification) == ("geoplan_default", "default")
        assert "not a planning standard" in value.note
    assert "single-storey" in std.parameter("levels_single_storey_house").note  # the OSM wiki
    assert "OSM wiki" in std.parameter("levels_house").note


def test_osm_land_use_from_columns_or_tags():
    frame = gpd.GeoDataFrame(
        {
            "tags": [
                {"landuse": "Industrial"},
                {"landuse": "residential", "residential": "rural"},
                {"landuse": "farmyard"},
                {"military": "barracks"},
                {"military": "no", "landuse": "grass"},
                {"aeroway": "aerodrome"},
                {},
            ]
        },
        geometry=[box(0, 0, 1, 1)] * 7,
        crs=NET,
    )
    assert osm_land_use(frame).kinds.tolist() == [
        "non_residential",
        "rural_homestead",
        "rural_homestead",
        "non_residential",
        "other",
        "non_residential",
        "other",
    ]
    with pytest.raises(InputError, match=r"need a class column or OSM tags.*class_column='Level1'"):
        land_use_kinds(frame.drop(columns="tags").assign(Level1=1))


def test_osm_land_use_of_the_sample():
    land = read_landuse(sample_pbf())
    kinds = osm_land_use(land).kinds
    assert set(land.geom_type) <= {"Polygon", "MultiPolygon"}
    assert set(kinds) <= {"residential", "non_residential", "other"}
    commercial = (land["landuse"] == "commercial").to_numpy()
    assert commercial.any()
    assert (kinds[commercial] == "non_residential").all()


# ----------------------------------------------------------------- buildings people live in
def row_of(tags, *, names=None, levels=None, side=10.0, gap=100.0, **columns):
    """Square footprints of ``side`` m in a row, ``gap`` m apart, in the network's CRS."""
    n = len(tags)
    data = {"building": tags, "name": names or [None] * n, "levels": levels or [None] * n}
    data.update(columns)
    geometry = [box(i * gap, 0, i * gap + side, side) for i in range(n)]
    return gpd.GeoDataFrame(data, geometry=geometry, crs=NET)


def test_storeys_by_building_type():
    tags = ["bungalow", "cabin", "house", "detached", "semidetached_house", "terrace", "farm"]
    tags += ["apartments", "residential", "yes", None, "bungalow", "house"]
    levels = [None] * 11 + [3, "4"]
    buildings = row_of(tags, levels=levels)
    demand = population_from_buildings(buildings)
    # 100 m2 footprints x storeys x 0.025 persons per m2
    assert demand["levels"].tolist() == [1, 1, 2, 2, 2, 2, 2, 6, 6, 6, 6, 3, 4]
    assert demand["population"].tolist() == pytest.approx(
        [2.5, 2.5, 5, 5, 5, 5, 5, 15, 15, 15, 15, 7.5, 10]
    )
    assert demand["levels_basis"].tolist() == (
        ["single_storey_type"] * 2 + ["house_type"] * 5 + ["default"] * 4 + ["tagged"] * 2
    )
    record = demand.attrs["population_method"]
    assert record["levels"] == {
        "tagged": 2,
        "single_storey_type": 2,
        "village": 0,
        "house_type": 5,
        "low_rise_land": 0,
        "default": 4,
    }
    assert demand.attrs["levels_defaulted"] == 4


def test_building_levels_column_counts_as_a_tag():
    buildings = row_of(["bungalow", "yes"]).drop(columns="levels")
    buildings["building:levels"] = ["2", None]
    demand = population_from_buildings(buildings)
    assert demand["levels"].tolist() == [2, 6]
    assert demand["levels_basis"].tolist() == ["tagged", "default"]


def test_the_bungalow_outline_is_no_longer_a_tower_block():
    # the Jilin case: a 23.6 ha polygon tagged building=bungalow became 35,368 people
    outline = gpd.GeoDataFrame({"building": ["bungalow"]}, geometry=[box(0, 0, 400, 590)], crs=NET)
    demand = population_from_buildings(outline)
    assert len(demand) == 0
    record = demand.attrs["population_method"]
    # left out as very large; it would have held 236,000 m2 x 1 storey x 0.025
    assert record["excluded"]["very_large"] == {"count": 1, "people": pytest.approx(5900.0)}
    kept = population_from_buildings(outline, max_untagged_footprint_m2=math.inf)
    assert kept["population"].tolist() == pytest.approx([5900.0])  # 1 storey, not 6


def test_extended_non_residential_tags():
    assert {
        "train_station",
        "transportation",
        "depot",
        "hangar",
        "warehouse",
        "industrial",
        "commercial",
        "retail",
        "office",
        "hotel",
        "hospital",
        "school",
        "university",
        "stadium",
        "church",
        "temple",
        "museum",
        "library",
    } <= NON_RESIDENTIAL_BUILDING_TAGS
    assert not NON_RESIDENTIAL_BUILDING_TAGS & RESIDENTIAL_BUILDING_TAGS
    buildings = row_of(["depot", "Train_Station", "yes", "museum"])
    demand = population_from_buildings(buildings)
    assert list(demand.index) == [2]
    assert demand.attrs["excluded_by"]["tag"] == 3


@pytest.mark.parametrize(
    ("name", "not_a_home"),
    [
        ("长春站", True),
        ("长春站(北口)", True),
        ("长春西站2号楼", True),
        ("站前小区", False),
        ("站前街12号", False),
        ("欧亚卖场", True),
        ("人民广场", True),
        ("万达广场东区", True),
        ("红旗街万达广场小区", False),
        ("购物中心", True),
        ("国际会展中心", True),
        ("国际会展中心B馆", True),
        ("中心花园小区", False),
        ("中心街3号", False),
        ("第一汽车制造厂", True),
        ("印刷厂宿舍", False),
        ("吉林大学第一医院", True),
        ("医院家属楼", False),
        ("东北师范大学", True),
        ("第二实验中学", True),
        ("长春市体育馆", True),
        ("长白山宾馆", True),
        ("香格里拉大酒店", True),
        ("物流仓库", True),
        ("地下车库", True),
        ("长春地铁车辆段", True),
        ("吉林省宏达有限公司", True),
        ("公司宿舍", False),
        ("市政府", True),
        ("南湖公馆", False),
        ("幸福里3号楼", False),
        ("桃源居", False),
        ("明珠苑A座", False),
        ("光明村", False),
        ("村委会", True),
        ("南湖公园", False),
        ("3号楼", False),
        ("", False),
        (None, False),
    ],
)
def test_names_read_in_context(name, not_a_home):
    names = pd.Series([name], dtype=object)
    assert non_residential_name(names).tolist() == [not_a_home]


def test_residential_words_win():
    names = pd.Series(["站前小区", "中心花园小区", "医院宿舍", "幸福里", "市政府", "体育馆", None])
    assert residential_name(names).tolist() == [True, True, True, True, False, False, False]


def test_a_name_s_tail_is_set_aside_as_by_trying_every_split_of_its_runs():
    """The tail pattern takes a run of letters or digits whole; the pattern that may split
    runs between its parts (exponential on long Latin names) sets aside the same tails."""
    from geoplan import population

    fast = population._NAME_TAIL
    splitting = re.compile(fast.pattern.replace("]++(?:号楼", "]+(?:号楼"))
    assert splitting.pattern != fast.pattern
    rng = np.random.default_rng(0)
    alphabet = [*"aZ09ä -_#·.,，()（）[]【】一二十百零两号楼栋座单元期区门层"]
    alphabet += [*"东南北侧口主副附小区府村"]
    alphabet += [*"\uff11\uff21\uff5a\u3000\uff0d"]  # full-width 1, A, z, space, hyphen
    names = ["".join(rng.choice(alphabet, rng.integers(0, 11))) for _ in range(20_000)]
    names += ["幸福里3号楼", "站前小区A座", "中心花园（北门）", "市医院 2号楼 东门", "12栋"]
    assert [fast.sub("", n) for n in names] == [splitting.sub("", n) for n in names]
    # a long Latin name, which the splitting pattern takes minutes over: its trailing
    # words are letters, set aside up to the first letter outside A-Z (ö)
    long_name = "Svenska Social-och Kommunalhögskolan vid Helsingfors universitet"
    assert fast.sub("", long_name) == "Svenska Social-och Kommunalhö"


def test_names_leave_buildings_out_unless_the_tag_says_home():
    buildings = row_of(
        ["yes", "yes", "apartments", "yes", None],
        names=["长春站", "站前小区", "长春站公寓楼", "国贸中心", "南湖新村"],
    )
    uses = classify_buildings(buildings)
    assert uses["excluded_by"].tolist() == ["name", "", "", "name", ""]
    demand = population_from_buildings(buildings)
    assert list(demand.index) == [1, 2, 4]
    assert demand.attrs["population_method"]["excluded"]["name"] == {
        "count": 2,
        "people": pytest.approx(30.0),  # two 100 m2 footprints x 6 storeys x 0.025
    }
    assert is_residential(buildings).tolist() == [False, True, True, False, True]


def land_under_test():
    """OSM land use: an industrial estate with a lawn in it, a residential area with a school
    ground in it, a village, all in lon/lat (reprojected to the buildings' CRS)."""
    frame = gpd.GeoDataFrame(
        {
            "landuse": ["industrial", "grass", "residential", None, "residential"],
            "amenity": [None, None, None, "school", None],
            "residential": [None, None, None, None, "rural"],
        },
        geometry=[
            box(0, 0, 1000, 1000),
            box(100, 100, 400, 400),  # a lawn inside the estate says nothing
            box(2000, 0, 3000, 1000),
            box(2100, 100, 2400, 400),  # the school's ground inside the residential area
            box(4000, 0, 5000, 1000),
        ],
        crs=NET,
    )
    return frame.to_crs(4326)


def test_buildings_on_non_residential_land_are_left_out():
    land = land_under_test()
    buildings = gpd.GeoDataFrame(
        {
            "building": ["yes", "yes", "apartments", "yes", "yes", "yes", "yes", "apartments"],
            "name": [None, None, None, "钢厂宿舍", None, None, None, None],
        },
        geometry=[
            box(500, 500, 510, 510),  # industrial estate
            box(200, 200, 210, 210),  # the lawn in the estate: still the estate
            box(600, 600, 610, 610),  # tagged apartments: kept
            box(700, 700, 710, 710),  # a dormitory by name: kept
            box(2500, 500, 2510, 510),  # residential area
            box(2200, 200, 2210, 210),  # the school ground in it
            box(4500, 500, 4510, 510),  # a village: one storey
            box(4600, 600, 4610, 610),  # apartments in the village keep the default
        ],
        crs=NET,
    )
    uses = classify_buildings(buildings, landuse=land)
    assert uses["excluded_by"].tolist() == ["landuse", "landuse", "", "", "", "landuse", "", ""]
    assert uses["land_use"].tolist() == [
        "non_residential",
        "non_residential",
        "non_residential",
        "non_residential",
        "residential",
        "non_residential",
        "rural_homestead",
        "rural_homestead",
    ]
    demand = population_from_buildings(buildings, landuse=land)
    assert demand["levels"].tolist() == [6, 6, 6, 1, 6]
    assert demand.loc[6, "levels_basis"] == "village"
    record = demand.attrs["population_method"]
    assert record["excluded"]["landuse"] == {"count": 3, "people": pytest.approx(45.0)}
    assert record["inputs"]["land_use"] == "osm"
    assert record["inputs"]["land_use_polygons"] == 5


def test_land_use_from_a_parcel_file():
    parcels = parcels_of(["M1", "R2", "H14", "R1"]).rename(columns={"cls": "Level2"})
    buildings = row_of(["yes", "yes", "yes", "yes", "yes"], gap=100, side=10)
    buildings = buildings.set_geometry(buildings.geometry.translate(40, 40))
    uses = classify_buildings(buildings, landuse=parcels, class_column="Level2")
    assert uses["excluded_by"].tolist() == ["landuse", "", "", "", ""]
    # 0703 rural homestead: a village house; R1 low-rise: a house; outside: the default
    assert uses["levels"].tolist() == [6, 6, 1, 2, 6]
    assert uses["levels_basis"].tolist()[1:] == ["default", "village", "low_rise_land", "default"]
    with pytest.raises(InputError, match=r"no class column 'DLBM'.*class_column="):
        classify_buildings(buildings, landuse=parcels, class_column="DLBM")


def test_very_large_untagged_footprints_are_left_out_and_reported():
    buildings = gpd.GeoDataFrame(
        {"building": ["yes", "apartments", None, "yes", "house"]},
        geometry=[
            box(0, 0, 150, 150),  # 22,500 m2 untagged: a hall or a depot
            box(1000, 0, 1150, 150),  # 22,500 m2 tagged apartments: kept
            box(2000, 0, 2140, 140),  # 19,600 m2: under the limit
            box(3000, 0, 3010, 3000),  # 30,000 m2 long and thin
            box(5000, 0, 5150, 150),  # a 2.25 ha "house" is not a house
        ],
        crs=NET,
    )
    demand = population_from_buildings(buildings)
    assert list(demand.index) == [1, 2]
    record = demand.attrs["population_method"]
    # they would have held 22,500 x 6 x 0.025 + 30,000 x 6 x 0.025 + 22,500 x 2 x 0.025
    assert record["excluded"]["very_large"] == {
        "count": 3,
        "people": pytest.approx(3375 + 4500 + 1125),
    }
    assert record["very_large_kept"] == {"count": 1, "people": pytest.approx(3375.0)}
    looser = population_from_buildings(buildings, max_untagged_footprint_m2=25_000)
    assert list(looser.index) == [0, 1, 2, 4]
    assert looser.attrs["population_method"]["defaults"][-1] == {
        "name": "max_untagged_footprint_m2",
        "value": 25_000.0,
        "unit": "m2",
        "source": "argument",
        "verification": "given",
        "note": "given as max_untagged_footprint_m2= by the caller",
    }
    with pytest.raises(InputError, match=r"max_untagged_footprint_m2=20000"):
        population_from_buildings(buildings, max_untagged_footprint_m2=0)


def test_a_building_is_left_out_for_the_first_reason_only():
    land = gpd.GeoDataFrame({"landuse": ["retail"]}, geometry=[box(-10, -10, 900, 900)], crs=NET)
    buildings = gpd.GeoDataFrame(
        {"building": ["retail", "yes", "yes"], "name": ["商场", "商场", None]},
        geometry=[box(0, 0, 200, 200), box(300, 0, 500, 200), box(600, 0, 800, 200)],
        crs=NET,
    )
    uses = classify_buildings(buildings, landuse=land)
    assert uses["excluded_by"].tolist() == ["tag", "name", "landuse"]


def test_the_callers_mask_replaces_tag_and_name_rules():
    buildings = row_of(["retail", "yes"], names=[None, "长春站"])
    demand = population_from_buildings(buildings, residential=lambda b: np.array([True, False]))
    assert list(demand.index) == [0]
    assert demand.attrs["excluded_by"] == {
        "caller": 1,
        "tag": 0,
        "name": 0,
        "landuse": 0,
        "very_large": 0,
    }


def test_the_method_record_of_a_building_estimate():
    buildings = row_of(["yes", "retail", "bungalow"], names=[None, None, None])
    demand = population_from_buildings(buildings)
    record = demand.attrs["population_method"]
    json.dumps(record)  # ready for run.json
    assert record["source"] == "buildings"
    assert set(record["method"]) == {"en", "zh"}
    assert [d["name"] for d in record["defaults"]] == [
        "persons_per_m2_floor",
        "default_building_levels",
        "levels_single_storey_house",
        "levels_house",
        "levels_village_house",
        "max_untagged_footprint_m2",
    ]
    assert [d["value"] for d in record["defaults"]] == [0.025, 6, 1, 2, 1, 20000]
    assert {d["source"] for d in record["defaults"]} == {"geoplan_default"}
    assert record["kept"] == {"count": 2, "people": 17.5, "floor_area_m2": 700.0}
    assert record["excluded"]["tag"] == {"count": 1, "people": 15.0}
    assert record["total"] == demand.attrs["population_total"] == 17.5
    assert record["calibration"] is None
    assert record["inputs"] == {
        "buildings": 3,
        "without_geometry": 0,
        "land_use": None,
        "land_use_polygons": None,
    }
    zh, en = record["caveats"][0]["zh"], record["caveats"][0]["en"]
    assert "0.025" in zh
    assert "未标注层数的建筑按 6 层、平房 1 层、独立住宅 2 层、村庄住宅 1 层" in zh
    assert "taken as 6 storeys, bungalows 1, houses 2, village houses 1 (geoplan defaults" in en
    assert "1 by tag (about 15 people" in record["caveats"][1]["en"]
    assert "按建筑标签 1 栋" in record["caveats"][1]["zh"]


def test_a_standards_override_is_named_in_the_record(tmp_path):
    path = tmp_path / "jilin.toml"
    path.write_text("[parameter]\nlevels_village_house = 2\n", encoding="utf-8")
    std = load_standards(path)
    buildings = row_of(["house"])
    demand = population_from_buildings(buildings, standards=std)
    village = demand.attrs["population_method"]["defaults"][4]
    assert (village["name"], village["value"], village["source"]) == (
        "levels_village_house",
        2,
        "user",
    )
    assert "some values given by the user" in demand.attrs["population_method"]["caveats"][0]["en"]


# ----------------------------------------------------------------- land-use parcels
def parcels_of(classes, *, far=None, width=100.0):
    """Parcels ``width`` x 100 m side by side with the given classes (and FARs)."""
    data = {"cls": classes}
    if far is not None:
        data["far"] = far
    geometry = [box(i * width, 0, (i + 1) * width, 100) for i in range(len(classes))]
    return gpd.GeoDataFrame(data, geometry=geometry, crs=NET)


def test_parcels_times_floor_area_ratio_by_hand():
    # EULUC-China codes as integers (101 = 0101 Residential); 10,000 m2 parcels
    parcels = parcels_of([101, 101, 301, 502, 101], far=[1.5, None, 3.0, None, 0.0])
    demand = population_from_parcels(parcels, class_column="cls", far_column="far")
    # 10,000 m2 x 1.5 x 0.025 = 375; x 2.0 (the default) x 0.025 = 500; FAR 0: nobody
    assert demand["population"].tolist() == pytest.approx([375.0, 500.0, 0.0])
    assert list(demand.index) == [0, 1, 4]
    assert demand["far"].tolist() == [1.5, 2.0, 0.0]
    assert demand["far_basis"].tolist() == ["column", "default", "column"]
    assert demand["basis"].tolist() == ["parcel"] * 3
    assert demand.attrs["population_total"] == pytest.approx(875.0)
    for i in demand.index:  # each point lies in its parcel
        assert parcels.geometry[i].contains(demand.geometry[i])
    record = demand.attrs["population_method"]
    assert record["inputs"]["scheme"] == "euluc"
    assert record["excluded"]["non_residential"] == {
        "count": 2,
        "area_m2": 20000.0,
        "people": 0.0,
    }
    assert record["far"] == {"column": 2, "default": 1}
    assert [d["name"] for d in record["defaults"]] == ["persons_per_m2_floor", "far_residential"]
    json.dumps(record)


@pytest.mark.parametrize(
    ("classes", "scheme", "expected"),
    [
        # GB 50137-2011: R1 0.8, R2 2.0, R3 1.0, R12 services, H14 village 0.3, M1 industry
        (["R1", "R2", "R3", "R12", "H14", "M1"], "gb50137", [200, 500, 250, 0, 75, 0]),
        # the 2020 classification: 070101 0.8, 070102 2.0, 070103 1.0, 0702, 0703 0.3, 1001
        (
            ["070101", "070102", "070103", "0702", "0703", "1001"],
            "guotu",
            [200, 500, 250, 0, 75, 0],
        ),
        # integers lose their leading zero: 701 is 0701
        ([701, 702, 70301, 1201, 1202, 1203], "guotu", [500, 0, 75, 0, 0, 0]),
        # names
        (
            [
                "一类居住用地",
                "二类居住用地",
                "三类城镇住宅用地",
                "城镇社区服务设施用地",
                "农村宅基地",
                "工业用地",
            ],
            "names",
            [200, 500, 250, 0, 75, 0],
        ),
        (
            [
                "Residential",
                "Industrial",
                "Business office",
                "Residential",
                "Park and greenspace",
                "Medical",
            ],
            "names",
            [500, 0, 0, 500, 0, 0],
        ),
    ],
)
def test_parcel_classes_of_each_scheme(classes, scheme, expected):
    parcels = parcels_of(classes)
    demand = population_from_parcels(parcels, class_column="cls")
    people = demand["population"].reindex(parcels.index, fill_value=0.0)
    assert people.tolist() == pytest.approx(expected)  # 10,000 m2 x FAR x 0.025
    assert demand.attrs["population_method"]["inputs"]["scheme"] == scheme


def test_parcel_classes_read_alone():
    # with 0701 (not an EULUC code) present, codes are the 2020 classification's: 0101 is paddy
    kinds = parcel_land_use(pd.Series(["0101", "0701", "0201"])).kinds.tolist()
    assert kinds == ["non_residential", "residential", "non_residential"]
    euluc = parcel_land_use(pd.Series(["0101", "0201"]))
    assert (euluc.scheme, euluc.kinds.tolist()) == ("euluc", ["residential", "non_residential"])
    guotu = parcel_land_use(pd.Series(["0101", "0201"]), scheme="guotu")  # paddy and orchard
    assert guotu.kinds.tolist() == ["non_residential", "non_residential"]
    unknown = parcel_land_use(pd.Series(["Rb", "商住混合", None, "H11"]))
    assert unknown.kinds.tolist() == ["unknown"] * 4
    assert unknown.unknown == ("(blank)", "H11", "Rb", "商住混合")
    with pytest.raises(InputError, match="scheme='auto'"):
        parcel_land_use(pd.Series(["R2"]), scheme="gb")


def test_unknown_parcel_classes_hold_nobody_and_are_recorded():
    parcels = parcels_of(["R2", "Rb"])
    demand = population_from_parcels(parcels, class_column="cls")
    record = demand.attrs["population_method"]
    assert list(demand.index) == [0]
    assert record["unknown_classes"] == ["Rb"]
    assert record["excluded"]["unknown_class"]["count"] == 1
    assert "(unrecognised: Rb)" in record["caveats"][1]["en"]
    assert "（无法识别的类别：Rb）" in record["caveats"][1]["zh"]


def test_parcel_people_spread_over_their_buildings():
    parcels = parcels_of(["R2", "R2", "M1"])
    buildings = gpd.GeoDataFrame(
        {"building": ["yes", "apartments", "retail", "yes"], "levels": [None, 6, None, None]},
        geometry=[
            box(10, 10, 20, 20),  # 100 m2 x 6 = 600 m2 of floor
            box(40, 40, 60, 50),  # 200 m2 x 6 = 1,200
            box(70, 70, 80, 80),  # a shop: no share
            box(210, 10, 220, 20),  # on industrial land: not counted
        ],
        index=pd.Index(["a", "b", "shop", "works"], name="building_id"),
        crs=NET,
    )
    demand = population_from_parcels(parcels, class_column="cls", buildings=buildings)
    # parcel 0 holds 10,000 x 2.0 x 0.025 = 500 people, shared 1:2; parcel 1 has no building
    assert demand.loc["a", "population"] == pytest.approx(500 / 3)
    assert demand.loc["b", "population"] == pytest.approx(1000 / 3)
    assert demand.loc["parcel:1", "population"] == pytest.approx(500.0)
    assert set(demand.index) == {"a", "b", "parcel:1"}
    assert demand["basis"].tolist() == ["building", "building", "parcel"]
    assert demand["parcel"].tolist() == [0, 0, 1]
    assert demand["population"].sum() == pytest.approx(1000.0)
    assert demand.attrs["population_method"]["spread"] == {
        "buildings": 2,
        "parcels_with_buildings": 1,
        "parcels_without_buildings": 1,
    }
    with pytest.raises(CRSError, match=r"to_crs\(parcels.crs\)"):
        population_from_parcels(parcels, class_column="cls", buildings=buildings.to_crs(3857))


def test_parcel_defaults_can_be_given():
    parcels = parcels_of(["R2", "H14"])
    demand = population_from_parcels(
        parcels, class_column="cls", far={"residential": 2.5}, persons_per_m2=0.03
    )
    assert demand["population"].tolist() == pytest.approx(
        [10_000 * 2.5 * 0.03, 10_000 * 0.3 * 0.03]
    )
    record = demand.attrs["population_method"]
    assert [(d["name"], d["source"]) for d in record["defaults"]] == [
        ("persons_per_m2_floor", "argument"),
        ("far_residential", "argument"),
        ("far_rural_homestead", "geoplan_default"),
    ]
    with pytest.raises(InputError, match="unknown land-use kinds"):
        population_from_parcels(parcels, class_column="cls", far={"housing": 2})


def test_parcel_inputs_are_checked():
    parcels = parcels_of(["R2", "M1"], far=["1.2", "high"])
    with pytest.raises(InputError, match=r"not a number >= 0 \(parcels \[1\], e\.g\. 'high'\)"):
        population_from_parcels(parcels, class_column="cls", far_column="far")
    with pytest.raises(InputError, match=r"no floor-area-ratio column 'FAR'.*far_column="):
        population_from_parcels(parcels, class_column="cls", far_column="FAR")
    with pytest.raises(InputError, match=r"none of the 2 parcels is housing land.*'M1'"):
        population_from_parcels(parcels_of(["M1", "A2"]), class_column="cls")
    with pytest.raises(CRSError, match="no CRS"):
        population_from_parcels(parcels.set_crs(None, allow_override=True), class_column="cls")
    with pytest.raises(CRSError, match="geographic"):
        population_from_parcels(parcels.to_crs(4326), class_column="cls")


# ----------------------------------------------------------------- calibration
def test_calibration_to_a_census_total():
    demand = population_from_buildings(row_of(["yes", "house", "bungalow"]))  # 15 + 5 + 2.5
    scaled, factor = calibrate_population(demand, 45)
    assert factor == pytest.approx(2.0)
    assert scaled["population"].sum() == pytest.approx(45.0)
    assert scaled["population"].tolist() == pytest.approx([30.0, 10.0, 5.0])
    assert scaled.attrs["population_total"] == 45.0
    assert scaled.attrs["calibration_factor"] == pytest.approx(2.0)
    calibration = scaled.attrs["population_method"]["calibration"]
    assert calibration == {
        "census_total": 45.0,
        "estimated_total": 22.5,
        "factor": pytest.approx(2.0),
        "extreme": False,
        "warn_below": 0.5,
        "warn_above": 2.0,
    }
    assert scaled.attrs["population_method"]["total"] == 22.5  # the estimate, kept
    assert "45" in scaled.attrs["population_method"]["caveats"][-1]["zh"]
    assert demand["population"].sum() == pytest.approx(22.5)  # the input is left alone
    assert demand.attrs["population_method"]["calibration"] is None


def test_an_extreme_calibration_factor_is_warned_about():
    demand = population_from_buildings(row_of(["yes", "yes"]))  # 30 people
    with pytest.warns(GeoplanWarning, match=r"census total 100 is 3\.33 times the estimate 30"):
        scaled, factor = calibrate_population(demand, 100)
    assert factor == pytest.approx(100 / 30)
    assert scaled["population"].sum() == pytest.approx(100.0)
    assert scaled.attrs["population_method"]["calibration"]["extreme"] is True
    with pytest.warns(GeoplanWarning, match=r"0\.33 times"):
        calibrate_population(demand, 10)


def test_calibration_scales_age_groups_too(raster, tmp_path):
    path, data, crs, transform = raster
    old = np.where(data == NODATA, NODATA, np.round(data * 0.2, 2)).astype(np.float32)
    ages = write_tif(tmp_path / "old.tif", old, crs=crs, transform=transform)
    demand = population_from_raster(path, age_groups={"age_60_plus": ages})
    total = demand["population"].sum()
    scaled, factor = calibrate_population(demand, round(total * 1.2))
    assert scaled["age_60_plus"].sum() == pytest.approx(demand["age_60_plus"].sum() * factor)
    assert scaled.attrs["population_method"]["source"] == demand.attrs["source"]


def test_calibration_refuses_what_it_cannot_scale():
    demand = population_from_buildings(row_of(["yes"]))
    for bad in (0, -5, math.nan, math.inf, "1000", True, None):
        with pytest.raises(InputError, match=r"census total must be a positive number.*total="):
            calibrate_population(demand, bad)
    with pytest.raises(InputError, match="holds 0 people"):
        calibrate_population(demand.assign(population=0.0), 100)


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


# ----------------------------------------------------------------- the study's keys
def test_the_population_keys_of_a_study(tmp_path):
    parcels = parcels_of(["R2"])
    parcels.to_file(tmp_path / "parcels.gpkg")
    config = parse_config(
        {
            "study": {"name": "x"},
            "network": {"source": "synthetic"},
            "population": {
                "source": "parcels.gpkg",
                "class_column": "cls",
                "far_column": "far",
                "class_scheme": "gb50137",
                "total": 1234567,
            },
        },
        base_dir=tmp_path,
    )
    assert config.population_source == tmp_path / "parcels.gpkg"
    assert (config.population_class_column, config.population_far_column) == ("cls", "far")
    assert (config.population_class_scheme, config.population_total) == ("gb50137", 1234567)
    buildings = parse_config(
        {
            "study": {"name": "x"},
            "network": {"source": "sample"},
            "population": {
                "landuse": "parcels.gpkg",
                "class_column": "cls",
                "max_untagged_footprint_m2": 15000,
            },
        },
        base_dir=tmp_path,
    )
    assert buildings.population_source == "buildings"
    assert buildings.population_landuse == tmp_path / "parcels.gpkg"
    assert buildings.population_max_untagged_footprint_m2 == 15000
    minimal = parse_config({"study": {"name": "x"}, "network": {"source": "sample"}})
    assert (minimal.population_total, minimal.population_landuse) == (None, None)
    assert minimal.population_class_scheme == "auto"
    bad = {
        "landuse": ("synthetic", {"landuse": "none"}),
        "class_column": ("buildings", {"class_column": "cls"}),  # OSM land use has tags
        "class_scheme": ("buildings", {"class_scheme": "euluc"}),
        "max_untagged_footprint_m2": ("synthetic", {"max_untagged_footprint_m2": 1}),
    }
    for key, (source, table) in bad.items():
        raw = {"study": {"name": "x"}, "network": {"source": "sample"}}
        raw["population"] = {"source": source, **table}
        with pytest.raises(ConfigError, match=rf"\[population\] {key} does not apply"):
            parse_config(raw, base_dir=tmp_path)


def test_a_study_counts_people_on_parcels_and_calibrates(tmp_path):
    city = synthetic_city(area_km2=1.0, seed=5)
    left, bottom, right, top = city.communities.total_bounds
    step = (right - left) / 4
    parcels = gpd.GeoDataFrame(
        {"用地代码": ["R2", "M1", "R1", "R2"], "容积率": [1.5, None, None, None]},
        geometry=[box(left + i * step, bottom, left + (i + 1) * step, top) for i in range(4)],
        crs=city.crs,
    )
    parcels.to_file(tmp_path / "parcels.gpkg")
    raw = {
        "study": {"name": "parcels"},
        "network": {"source": "synthetic"},
        "synthetic": {"area_km2": 1.0, "seed": 5},
        "communities": {"source": "synthetic"},
        "population": {
            "source": "parcels.gpkg",
            "class_column": "用地代码",
            "far_column": "容积率",
        },
    }
    study = Study.from_config(parse_config(raw, base_dir=tmp_path))
    area = step * (top - bottom)
    # R2 at FAR 1.5, industry, R1 at the default 0.8, R2 at the default 2.0; 0.025 per m2
    assert study.demand["population"].sum() == pytest.approx(area * (1.5 + 0.8 + 2.0) * 0.025)
    record = study.demand.attrs["population_method"]
    assert record["inputs"]["class_column"] == "用地代码"
    assert record["far"] == {"column": 1, "default": 2}
    raw["population"]["total"] = 12345
    scaled = Study.from_config(parse_config(raw, base_dir=tmp_path))
    assert scaled.demand["population"].sum() == pytest.approx(12345.0)
    calibration = scaled.demand.attrs["population_method"]["calibration"]
    assert calibration["factor"] == pytest.approx(12345 / (area * 4.3 * 0.025))


def test_a_study_of_the_sample_leaves_out_buildings_on_osm_land_use():
    network = None
    records = {}
    for landuse in ("osm", "none"):
        config = parse_config(
            {
                "study": {"name": "x"},
                "network": {"source": "sample"},
                "population": {"landuse": landuse},
            }
        )
        loader = Loader(config)
        network = network or loader.network()
        records[landuse] = loader.demand(network).attrs["population_method"]
    osm, none = records["osm"], records["none"]
    assert osm["inputs"]["land_use"] == "osm"
    assert none["inputs"]["land_use"] is None
    assert osm["excluded"]["landuse"]["count"] > 0
    assert none["excluded"]["landuse"]["count"] == 0
    assert osm["excluded"]["tag"] == none["excluded"]["tag"]
    # what land use left out is what the other estimate counted more
    assert none["total"] - osm["total"] == pytest.approx(osm["excluded"]["landuse"]["people"])
