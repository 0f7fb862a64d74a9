"""Demand: where people live, as weighted points for coverage analysis.

Five sources of demand, each returning points with a ``population`` column:

* :func:`population_from_raster` reads a population-count GeoTIFF (WorldPop,
  GHS-POP, a census grid) inside a study area. Only the raster window that
  overlaps the area is read. Every cell with people becomes a point at the
  cell's centre, weighted by the share of the cell's area inside the study
  area (computed exactly for the cells on the boundary), so the total is the
  raster's area-weighted sum inside the area in any pair of CRSs.
* :func:`population_from_register` spreads a community register (population
  per community) over each community's residential buildings by floor area.
* :func:`population_from_buildings` estimates people from the floor area of
  the buildings people live in: :func:`classify_buildings` leaves out
  buildings by tag, by name (read in context: 长春站 and 购物中心 are not
  homes, 站前小区 is), by the land they stand on and when very large and
  untagged, and gives bungalows, houses and village houses their few storeys.
* :func:`population_from_parcels` estimates people from land-use parcels
  (EULUC-China, GB 50137-2011, the 2020 国土空间 classification): parcel
  area x floor-area ratio x persons per m^2 of floor on housing land.
* A file of points or areas with a population column (read by the study).

:func:`calibrate_population` scales any of them to a census total (七普);
:func:`demand_summary` reports the totals; :func:`write_population_raster`
sums demand points back into a GeoTIFF grid.

Every number this module assumes is a documented default in the standards'
parameters (``persons_per_m2_floor``, ``default_building_levels``,
``levels_single_storey_house``, ``levels_house``, ``levels_village_house``,
``max_untagged_footprint_m2``, ``far_residential``,
``far_residential_low_rise``, ``far_residential_old``,
``far_rural_homestead``), marked ``verification = "default"``, and can be
passed explicitly instead.

The method record
-----------------
The building and parcel estimates (and :func:`calibrate_population`, on any
demand) put a JSON-ready record of how the people were counted in
``attrs["population_method"]``:

``source``
    ``"buildings"`` or ``"parcels"`` (or the demand's ``attrs["source"]``).
``method``
    ``{"en": ..., "zh": ...}``: the formula in one line.
``defaults``
    Every number used: ``{"name", "value", "unit", "source",
    "verification", "note"}`` (``source`` is ``"argument"`` when the caller
    gave it, ``"user"`` when a standards file overrode it).
``inputs``
    What was read (buildings or parcels, the land use and how it was read,
    the class and FAR columns).
``kept``
    ``{"count", "people", ...}`` of the buildings or parcels counted.
``excluded``
    By reason, ``{"count", "people"}``: for buildings ``tag``, ``name``,
    ``landuse``, ``very_large`` (and ``caller``), ``people`` being what the
    left-out buildings would have held by the same formula; for parcels
    ``non_residential`` and ``unknown_class`` (with ``area_m2``).
``levels`` (buildings)
    How many homes got their storeys from each basis (:data:`LEVEL_BASES`).
``very_large_kept`` (buildings)
    Homes over the size limit kept because tagged as many dwellings.
``parcels``, ``far``, ``unknown_classes``, ``spread`` (parcels)
    Count, area, floor area and people per land-use kind; how many FARs came
    from the column or a default; the classes not recognised; how the
    people were spread over buildings.
``total``
    The estimate's total, before any calibration.
``calibration``
    None, or ``{"census_total", "estimated_total", "factor", "extreme",
    "warn_below", "warn_above"}``.
``caveats``
    A list of ``{"zh", "en"}`` sentences for a report's caveats.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> homes = gpd.GeoDataFrame(
...     {"levels": [6]}, geometry=[box(0, 0, 10, 20)], crs="EPSG:32651"
... )
>>> demand = population_from_buildings(homes, persons_per_m2=0.025)
>>> float(demand["population"].iloc[0])  # 200 m2 x 6 levels x 0.025
30.0
"""

from __future__ import annotations

import contextlib
import copy
import logging
import math
import os
import re
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyproj
import rasterio
import shapely
from numpy.typing import NDArray
from rasterio.transform import Affine

from geoplan._errors import CRSError, DataSourceError, GeoplanWarning, InputError
from geoplan._io import atomic_path
from geoplan._validate import check_memory, containing
from geoplan.landuse import KINDS, LandUse, land_use_kinds, land_use_under
from geoplan.standards import current_standards

if TYPE_CHECKING:
    import geopandas as gpd

    from geoplan.standards import Standards

__all__ = [
    "EXCLUSION_REASONS",
    "FAR_PARAMETERS",
    "HOUSE_TAGS",
    "LEVEL_BASES",
    "MULTI_DWELLING_TAGS",
    "NON_RESIDENTIAL_BUILDING_TAGS",
    "NON_RESIDENTIAL_NAME_ENDINGS",
    "NON_RESIDENTIAL_NAME_WORDS",
    "RESIDENTIAL_BUILDING_TAGS",
    "RESIDENTIAL_NAME_ENDINGS",
    "RESIDENTIAL_NAME_WORDS",
    "SINGLE_STOREY_TAGS",
    "calibrate_population",
    "classify_buildings",
    "demand_summary",
    "is_residential",
    "non_residential_name",
    "population_from_buildings",
    "population_from_parcels",
    "population_from_raster",
    "population_from_register",
    "residential_name",
    "write_population_raster",
]

log = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

#: OSM ``building=*`` values that are not homes (the OSM wiki's meaning of each value).
#: Buildings tagged with one of these are left out of building-based estimates and
#: register spreading (compared case-insensitively on the ``building`` column).
#: Untagged buildings and ``building=yes`` are kept unless their name, the land they
#: stand on or their size says otherwise: in Chinese cities most homes are tagged ``yes``.
NON_RESIDENTIAL_BUILDING_TAGS: frozenset[str] = frozenset(
    {
        # commerce and work
        "commercial",
        "industrial",
        "retail",
        "office",
        "warehouse",
        "supermarket",
        "kiosk",
        "hotel",
        "manufacture",
        "factory",
        "depot",
        "data_center",
        # education, health, public services
        "school",
        "university",
        "college",
        "kindergarten",
        "hospital",
        "civic",
        "government",
        "public",
        "fire_station",
        "toilets",
        "museum",
        "library",
        "post_office",
        "courthouse",
        "prison",
        # worship
        "church",
        "chapel",
        "cathedral",
        "mosque",
        "temple",
        "shrine",
        "synagogue",
        "religious",
        "monastery",
        "pagoda",
        "wayside_shrine",
        # transport and storage
        "garage",
        "garages",
        "carport",
        "parking",
        "train_station",
        "transportation",
        "hangar",
        "service",
        "shed",
        "hut",
        "boathouse",
        "gatehouse",
        "guardhouse",
        "toll_booth",
        # farm and utility structures
        "barn",
        "cowshed",
        "stable",
        "sty",
        "livestock",
        "greenhouse",
        "glasshouse",
        "farm_auxiliary",
        "slurry_tank",
        "silo",
        "storage_tank",
        "digester",
        "water_tower",
        "transformer_tower",
        "utility",
        "tech_cab",
        "outbuilding",
        # sport and structures
        "stadium",
        "grandstand",
        "sports_hall",
        "sports_centre",
        "riding_hall",
        "pavilion",
        "roof",
        "bridge",
        "bunker",
        "military",
        "construction",
        "ruins",
        "tower",
        "ship",
        "entrance",
        "underpass_entrance",
        "tent",
        "container",
    }
)

#: OSM ``building=*`` values that say "people live here" (the OSM wiki's accommodation
#: values). Such a tag keeps a building that stands on non-residential land or has a
#: non-residential name: the tag is a mapper's deliberate statement.
RESIDENTIAL_BUILDING_TAGS: frozenset[str] = frozenset(
    {
        "apartments",
        "residential",
        "dormitory",
        "barracks",
        "house",
        "detached",
        "semidetached_house",
        "semi",
        "terrace",
        "bungalow",
        "farm",
        "cabin",
        "static_caravan",
        "ger",
        "houseboat",
        "stilt_house",
        "trullo",
        "annexe",
    }
)

#: Residential tags of buildings holding many dwellings: only these keep a very large
#: footprint (a 2 ha "house" or "bungalow" is the outline of a village or compound).
MULTI_DWELLING_TAGS: frozenset[str] = frozenset(
    {"apartments", "residential", "dormitory", "barracks"}
)

#: Building types of one storey unless tagged (parameter ``levels_single_storey_house``):
#: OSM wiki, building=bungalow "a simple single-storey flat house"; cabin "a small, roughly
#: built house"; static_caravan, ger, trullo: single-storey dwellings by construction.
SINGLE_STOREY_TAGS: frozenset[str] = frozenset(
    {"bungalow", "cabin", "static_caravan", "ger", "trullo"}
)

#: Houses of one household (parameter ``levels_house``): OSM wiki, building=house "a
#: dwelling unit inhabited by a single household", detached "a free-standing residential
#: building usually housing a single family", semidetached_house, terrace (a row of
#: houses), farm (a farmhouse), stilt_house, annexe.
HOUSE_TAGS: frozenset[str] = frozenset(
    {"house", "detached", "semidetached_house", "semi", "terrace", "farm", "stilt_house", "annexe"}
)

#: Words that make a building's name residential wherever they stand (they win over
#: every non-residential word: 站前小区, 中心花园小区, 医院宿舍, 商场公寓 stay homes).
RESIDENTIAL_NAME_WORDS: tuple[str, ...] = (
    "小区",
    "花园",
    "公寓",
    "家园",
    "苑",
    "住宅",
    "宿舍",
    "家属",
    "居民楼",
    "居民区",
    "住区",
    "新村",
    "别墅",
    "公馆",
    "大院",
    "四合院",
)
#: Characters that make a name residential at its end only (幸福里, 张家村, 雅居, 官邸;
#: 府 but not 政府).
RESIDENTIAL_NAME_ENDINGS: tuple[str, ...] = ("里", "村", "居", "邸", "府")

#: Words that make a building's name non-residential wherever they stand, unless a
#: residential word is also in it.
NON_RESIDENTIAL_NAME_WORDS: tuple[str, ...] = (
    # transport
    "地铁",
    "机场",
    "航站",
    "客运",
    "候车",
    "车辆段",
    "停车",
    "车库",
    "加油",
    # trade, work and storage
    "商场",
    "商城",
    "商厦",
    "商业",
    "商贸",
    "购物",
    "超市",
    "百货",
    "会展",
    "展览",
    "公司",
    "集团",
    "工厂",
    "厂房",
    "厂区",
    "车间",
    "仓库",
    "仓储",
    "物流",
    "写字楼",
    "办公",
    "银行",
    "产业园",
    "工业园",
    "科技园",
    "园区",
    "酒店",
    "宾馆",
    "饭店",
    "旅馆",
    "旅店",
    "招待所",
    "售楼",
    # public services
    "医院",
    "卫生院",
    "诊所",
    "门诊",
    "学校",
    "小学",
    "中学",
    "大学",
    "学院",
    "幼儿园",
    "托儿所",
    "教学",
    "实验楼",
    "图书",
    "博物",
    "体育",
    "政府",
    "委员会",
    "村委",
    "居委",
    "公安",
    "派出所",
    "法院",
    "检察",
    "税务",
    "邮政",
    "邮局",
    "消防",
    "变电",
    "电厂",
    "监狱",
    "看守所",
    "殡仪",
    "教堂",
    "清真",
    "影院",
    "剧院",
    "礼堂",
)
#: Endings that make a name non-residential, after numbers and parts such as 1号楼, A座,
#: (北门) are set aside: 购物中心 but not 中心街, 长春站 but not 站前街, 人民广场,
#: 体育馆, 印刷厂, 研究院, 派出所, 公安局, 仓库, 车辆段, 餐厅, 酒店, 食堂, 电视塔, 党校, 寺, 庙.
NON_RESIDENTIAL_NAME_ENDINGS: tuple[str, ...] = (
    "中心",
    "站",
    "场",
    "馆",
    "厂",
    "院",
    "所",
    "局",
    "库",
    "段",
    "厅",
    "店",
    "堂",
    "塔",
    "校",
    "寺",
    "庙",
)

#: Nodata value of the grids written by :func:`write_population_raster` (WorldPop's).
NODATA = -99999.0

_TILE = 64  # boundary cells are intersected with the study area tile by tile
_DENSIFY = 256  # edges are split into this many parts before reprojecting an area
_MAX_CELLS = 200_000_000  # largest grid write_population_raster builds
_METRES = ("metre", "meter", "m")


# ----------------------------------------------------------------- rasters
def population_from_raster(
    raster: str | os.PathLike[str] | Any,
    *,
    area: Any = None,
    crs: Any = None,
    band: int = 1,
    age_groups: Mapping[str, str | Path] | None = None,
) -> gpd.GeoDataFrame:
    """Read a population-count raster as weighted points inside a study area.

    Only the window of the raster that overlaps the study area is read, so a
    province-sized raster can serve a city. Each cell with people becomes a
    point at the cell's centre, carrying the cell's count times the share of
    the cell's area inside the study area: 1 for cells wholly inside, the exact
    polygon intersection for cells on the boundary. The total therefore equals
    the raster's area-weighted sum inside the area, whatever the CRSs and
    resolutions involved. Nodata cells are skipped.

    Parameters
    ----------
    raster
        Path of a GeoTIFF (any CRS) of persons per cell (WorldPop, GHS-POP,
        ...), or an open rasterio dataset (left open).
    area
        The study area: a shapely (Multi)Polygon in the *raster's* CRS; a
        GeoDataFrame or GeoSeries in any CRS (its geometries are unioned); or a
        bbox ``(left, bottom, right, top)`` in lon/lat (EPSG:4326). The whole
        raster when omitted.
    crs
        CRS of the returned points, usually the network's (``net.crs``; an
        object with a ``.crs`` such as a :class:`~geoplan.Network` also
        works). The raster's CRS when omitted.
    band
        Band holding the counts (1-based).
    age_groups
        Extra count rasters on exactly the same grid, by column name, e.g.
        ``{"age_60_plus": "chn_60plus.tif"}``; each adds a column (band 1 of
        each file; nodata there counts as 0).

    Returns
    -------
    geopandas.GeoDataFrame
        One point per cell with people, indexed by ``cell`` (``row * width +
        col`` in the full raster), with ``population``, one column per age
        group, ``row``, ``col`` and ``cell_share`` (share of the cell inside
        the area). ``attrs`` holds ``population_total``, ``source``,
        ``totals`` (per count column), ``count_columns``, ``window``
        (``col_off, row_off, width, height`` read) and ``raster_crs``.

    Raises
    ------
    DataSourceError
        The file is missing or is not a raster.
    CRSError
        The raster has no CRS, or the area has none.
    InputError
        The raster does not overlap the area; counts are negative or NaN where
        they are not nodata; an age-group raster is on another grid.

    Warns
    -----
    GeoplanWarning
        The raster declares no nodata value, so every cell is read as a count.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np, rasterio
    >>> from rasterio.transform import Affine
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "pop.tif"
    >>> with rasterio.open(
    ...     path, "w", driver="GTiff", width=2, height=2, count=1, dtype="float32",
    ...     crs="EPSG:4326", transform=Affine(0.01, 0, 125.0, 0, -0.01, 44.0), nodata=-1,
    ... ) as dst:
    ...     dst.write(np.array([[10, 20], [30, -1]], dtype="float32"), 1)
    >>> demand = population_from_raster(path, crs="EPSG:32651")
    >>> demand.attrs["population_total"], len(demand)
    (60.0, 3)
    """
    groups = dict(age_groups or {})
    for name in groups:
        if name in ("population", "row", "col", "cell_share", "geometry"):
            msg = (
                f"age group name {name!r} clashes with an output column; rename it, "
                f"e.g. 'age_{name}'"
            )
            raise InputError(msg)
    with _opened(raster, "population raster") as src:
        label = str(src.name)
        raster_crs = _raster_crs(src, label)
        _check_band(src, band, label)
        _check_north_up(src, label)
        target = raster_crs if crs is None else _as_crs(crs, "crs")
        polygon = _area_in(area, raster_crs)
        window = _window(src, polygon, raster_crs, label)
        col_off, row_off, width, height = window
        transform = _window_transform(src.transform, col_off, row_off)
        shares = (
            np.ones((height, width))
            if polygon is None
            else _cell_shares(polygon, transform, (height, width))
        )
        values, valid = _read_counts(src, band, window, label, warn_no_nodata=True)
        in_area = valid & (shares > 0)
        _check_counts(values, in_area, label, band)
        counts = {"population": np.where(in_area, values, 0.0) * shares}
        for name, path in groups.items():
            with _opened(path, f"age-group raster {name!r}") as age:
                _check_same_grid(age, src, name)
                age_values, age_valid = _read_counts(
                    age, 1, window, f"age-group raster {name!r}", warn_no_nodata=False
                )
                age_in = age_valid & (shares > 0)
                _check_counts(age_values, age_in, f"age-group raster {name!r}", 1)
                counts[name] = np.where(age_in, age_values, 0.0) * shares
        full_width, full_height = int(src.width), int(src.height)
    frame = _cell_points(
        counts,
        shares=shares,
        transform=transform,
        window=window,
        full_width=full_width,
        raster_crs=raster_crs,
        target=target,
    )
    totals = {name: float(frame[name].sum()) for name in counts}
    frame.attrs.update(
        {
            "population_total": totals["population"],
            "source": label,
            "totals": totals,
            "count_columns": list(counts),
            "window": window,
            "raster_crs": raster_crs.to_string(),
        }
    )
    log.info(
        "population raster %s: read window %s of %dx%d cells; %d cells with people, total %.1f",
        label,
        window,
        full_width,
        full_height,
        len(frame),
        totals["population"],
    )
    return frame


@contextlib.contextmanager
def _opened(raster: Any, what: str) -> Iterator[Any]:
    """Yield an open rasterio dataset; close it afterwards only if opened here."""
    from rasterio.errors import RasterioIOError

    if isinstance(raster, str | os.PathLike):
        text = os.fspath(raster)
        remote = "://" in text or text.startswith("/vsi")
        if not remote and not Path(text).exists():
            msg = (
                f"{what} {text} does not exist; check the path (relative paths start at "
                f"{Path.cwd()})"
            )
            raise DataSourceError(msg)
        try:
            dataset = rasterio.open(text)
        except RasterioIOError as exc:
            msg = (
                f"cannot read {what} {text} as a raster ({exc}); give a GeoTIFF of counts per cell"
            )
            raise DataSourceError(msg) from None
        try:
            yield dataset
        finally:
            dataset.close()
    elif hasattr(raster, "read") and hasattr(raster, "transform"):
        if getattr(raster, "closed", False):
            msg = f"{what} {raster.name} is closed; pass its path or an open dataset"
            raise InputError(msg)
        yield raster
    else:
        msg = f"{what} must be a file path or an open rasterio dataset, got {type(raster).__name__}"
        raise InputError(msg)


def _raster_crs(src: Any, label: str) -> pyproj.CRS:
    if src.crs is None:
        msg = (
            f"raster {label} has no CRS, so its cells cannot be placed; assign the CRS it was "
            "made in, e.g. `rio edit-info --crs EPSG:4326 file.tif` (WorldPop and GHS-POP "
            "WGS-84 grids are EPSG:4326; GHS-POP Mollweide grids are ESRI:54009)"
        )
        raise CRSError(msg)
    return pyproj.CRS.from_user_input(src.crs.to_wkt())


def _check_band(src: Any, band: int, label: str) -> None:
    if isinstance(band, bool) or not isinstance(band, int) or not 1 <= band <= src.count:
        msg = f"band must be a whole number from 1 to {src.count} for raster {label}, got {band!r}"
        raise InputError(msg)


def _check_north_up(src: Any, label: str) -> None:
    t = src.transform
    if t.b != 0 or t.d != 0:
        msg = (
            f"raster {label} is rotated or sheared (geotransform {tuple(t)[:6]}); warp it to a "
            "north-up grid first, e.g. `gdalwarp in.tif out.tif`"
        )
        raise InputError(msg)


def _as_crs(value: Any, name: str) -> pyproj.CRS:
    if not isinstance(value, str) and getattr(value, "crs", None) is not None:
        value = value.crs
    try:
        return pyproj.CRS.from_user_input(value)
    except pyproj.exceptions.CRSError as exc:
        msg = f"{name}={value!r} is not a CRS pyproj understands ({exc}); e.g. {name}='EPSG:32651'"
        raise CRSError(msg) from None


def _area_in(area: Any, raster_crs: pyproj.CRS) -> Any:
    """Return the study area as one (Multi)Polygon in the raster's CRS; None for no area."""
    import geopandas as gpd
    from shapely.geometry.base import BaseGeometry

    if area is None:
        return None
    if isinstance(area, gpd.GeoDataFrame | gpd.GeoSeries):
        if area.crs is None:
            msg = "area has no CRS; set it first, e.g. area.set_crs('EPSG:4326')"
            raise CRSError(msg)
        if len(area) == 0:
            msg = "area is empty; give at least one polygon"
            raise InputError(msg)
        series = area.geometry if isinstance(area, gpd.GeoDataFrame) else area
        geom = shapely.union_all(np.asarray(series.values))
        geom = _reproject(geom, pyproj.CRS.from_user_input(area.crs), raster_crs)
    elif isinstance(area, BaseGeometry):
        geom = area
    elif isinstance(area, Sequence) and not isinstance(area, str) and len(area) == 4:
        geom = _reproject(_lonlat_box(area), pyproj.CRS.from_epsg(4326), raster_crs)
    else:
        msg = (
            "area must be a shapely polygon in the raster's CRS, a GeoDataFrame/GeoSeries, or a "
            f"lon/lat bbox (left, bottom, right, top); got {type(area).__name__}"
        )
        raise InputError(msg)
    return _polygonal(geom)


def _lonlat_box(bbox: Sequence[Any]) -> Any:
    try:
        left, bottom, right, top = (float(v) for v in bbox)
    except (TypeError, ValueError):
        msg = f"bbox must be four numbers (left, bottom, right, top) in lon/lat, got {bbox!r}"
        raise InputError(msg) from None
    if not all(math.isfinite(v) for v in (left, bottom, right, top)):
        msg = f"bbox must be finite numbers, got {bbox!r}"
        raise InputError(msg)
    if abs(bottom) > 90 or abs(top) > 90:
        msg = (
            f"bbox {bbox!r} has a latitude beyond +-90: give (left, bottom, right, top) as "
            "(lon, lat, lon, lat), e.g. (125.2, 43.8, 125.4, 44.0)"
        )
        raise CRSError(msg)
    if left >= right or bottom >= top:
        msg = (
            "bbox must be (left, bottom, right, top) with left < right and bottom < top, "
            f"got {bbox!r}"
        )
        raise InputError(msg)
    return shapely.box(left, bottom, right, top)


def _reproject(geom: Any, source: pyproj.CRS, target: pyproj.CRS) -> Any:
    """Reproject a geometry, densifying its edges first so they follow the projection."""
    if source == target:
        return geom
    left, bottom, right, top = geom.bounds
    step = max(right - left, top - bottom) / _DENSIFY
    if step > 0:
        geom = shapely.segmentize(geom, step)
    transformer = pyproj.Transformer.from_crs(source, target, always_xy=True)
    out = shapely.transform(geom, transformer.transform, interleaved=False)
    if not np.isfinite(shapely.get_coordinates(out)).all():
        msg = (
            f"the study area cannot be expressed in {target.to_string()} (it falls outside that "
            "CRS's area of use); check the area's CRS"
        )
        raise CRSError(msg)
    return out


def _polygonal(geom: Any) -> Any:
    if geom is None or shapely.is_empty(geom):
        msg = "the study area is empty; give a polygon"
        raise InputError(msg)
    if not shapely.is_valid(geom):
        geom = shapely.make_valid(geom)
    parts = shapely.get_parts(geom)
    polygons = parts[shapely.get_type_id(parts) == 3]
    if len(polygons) == 0:
        msg = (
            f"the study area must be a polygon, got a {geom.geom_type}; buffer points or lines "
            "first, e.g. area.buffer(1000)"
        )
        raise InputError(msg)
    return shapely.multipolygons(polygons) if len(polygons) > 1 else polygons[0]


def _lonlat_bounds(geom: Any, crs: pyproj.CRS) -> str:
    with contextlib.suppress(Exception):
        out = _reproject(geom, crs, pyproj.CRS.from_epsg(4326))
        return "(" + ", ".join(f"{v:.5f}" for v in out.bounds) + ")"
    return "(" + ", ".join(f"{v:.1f}" for v in geom.bounds) + f") in {crs.to_string()}"


def _window(
    src: Any, polygon: Any, raster_crs: pyproj.CRS, label: str
) -> tuple[int, int, int, int]:
    """``(col_off, row_off, width, height)`` of the cells that can meet the area."""
    if polygon is None:
        return 0, 0, int(src.width), int(src.height)
    footprint = shapely.box(*src.bounds)
    if shapely.area(shapely.intersection(footprint, polygon)) <= 0:
        msg = (
            f"raster {label} does not overlap the study area: raster bounds "
            f"{_lonlat_bounds(footprint, raster_crs)}, area bounds "
            f"{_lonlat_bounds(polygon, raster_crs)} (lon/lat). Choose the raster that covers "
            "the area; note that a shapely polygon is taken in the raster's CRS "
            f"({raster_crs.to_string()}) - pass a GeoDataFrame with its CRS or a lon/lat bbox "
            "tuple otherwise"
        )
        raise InputError(msg)
    left, bottom, right, top = polygon.bounds
    inverse = ~src.transform
    cols, rows = zip(*(inverse @ (x, y) for x in (left, right) for y in (bottom, top)), strict=True)
    col0 = max(0, math.floor(min(cols)))
    col1 = min(int(src.width), math.ceil(max(cols)))
    row0 = max(0, math.floor(min(rows)))
    row1 = min(int(src.height), math.ceil(max(rows)))
    return col0, row0, col1 - col0, row1 - row0


def _window_transform(transform: Any, col_off: int, row_off: int) -> Any:
    return transform @ transform.translation(col_off, row_off)


def _read_counts(
    src: Any, band: int, window: tuple[int, int, int, int], label: str, *, warn_no_nodata: bool
) -> tuple[FloatArray, BoolArray]:
    """Read a window's counts as float64, and where they are data (not nodata)."""
    from rasterio.enums import MaskFlags
    from rasterio.windows import Window

    win = Window(*window)
    raw = src.read(band, window=win)
    nodata = src.nodatavals[band - 1]
    if nodata is not None:
        valid = ~np.isnan(raw) if np.isnan(nodata) else raw != np.asarray(nodata).astype(raw.dtype)
    elif MaskFlags.per_dataset in src.mask_flag_enums[band - 1]:
        valid = src.read_masks(band, window=win) > 0
    else:
        valid = np.ones(raw.shape, dtype=bool)
        if warn_no_nodata:
            warnings.warn(
                f"raster {label} declares no nodata value: every cell is read as a count, "
                "including zeros and negative fill values; if the raster marks missing cells, "
                "declare their value, e.g. `rio edit-info --nodata -99999 file.tif`",
                GeoplanWarning,
                stacklevel=3,
            )
    return np.asarray(raw, dtype=np.float64), np.asarray(valid, dtype=bool)


def _check_counts(values: FloatArray, where: BoolArray, label: str, band: int) -> None:
    picked = values[where]
    nan = int(np.isnan(picked).sum())
    infinite = int(np.isposinf(picked).sum())
    negative = int((picked < 0).sum())
    if nan or negative or infinite:
        lowest = float(np.nanmin(picked)) if negative else float("nan")
        msg = (
            f"raster {label} band {band} has {negative} negative cells (lowest {lowest:g}), "
            f"{nan} NaN cells and {infinite} infinite cells inside the study area that are not "
            "its nodata value; a population count cannot be negative or infinite. If they mark "
            "missing cells, declare that value as nodata "
            "(e.g. `rio edit-info --nodata -99999 file.tif`), otherwise fix the raster"
        )
        raise InputError(msg)


def _check_same_grid(age: Any, src: Any, name: str) -> None:
    same = (
        age.crs == src.crs
        and (age.width, age.height) == (src.width, src.height)
        and age.transform.almost_equals(src.transform, precision=1e-9)
    )
    if not same:
        left, bottom, right, top = src.bounds
        msg = (
            f"age-group raster {name!r} ({age.name}: {age.width}x{age.height} cells, "
            f"transform {tuple(age.transform)[:6]}, CRS {age.crs}) is not on the grid of the "
            f"population raster ({src.width}x{src.height}, {tuple(src.transform)[:6]}, "
            f"{src.crs}); resample it onto that grid first, e.g. `gdalwarp -r sum "
            f"-t_srs {src.crs} -te {left} {bottom} {right} {top} -ts {src.width} {src.height} "
            f"{age.name} aligned.tif`"
        )
        raise InputError(msg)


def _cell_shares(polygon: Any, transform: Any, shape: tuple[int, int]) -> FloatArray:
    """Share of each cell's area inside the polygon: exact on the boundary, 0/1 elsewhere."""
    from rasterio import features
    from scipy import ndimage

    centre_in = features.rasterize(
        [(polygon, 1)], out_shape=shape, transform=transform, fill=0, dtype="uint8"
    ).astype(bool)
    edge = features.rasterize(
        [(polygon.boundary, 1)],
        out_shape=shape,
        transform=transform,
        fill=0,
        all_touched=True,
        dtype="uint8",
    ).astype(bool)
    # one cell of margin: a cell the boundary merely grazes is computed exactly too
    edge = ndimage.binary_dilation(edge, structure=np.ones((3, 3), dtype=bool))
    shares = centre_in.astype(np.float64)
    rows, cols = np.nonzero(edge)
    if len(rows):
        shares[rows, cols] = _exact_shares(polygon, transform, rows, cols, shape[1])
    return np.asarray(shares, dtype=np.float64)


def _exact_shares(
    polygon: Any, transform: Any, rows: IntArray, cols: IntArray, width: int
) -> FloatArray:
    x0 = transform.c + cols * transform.a
    y0 = transform.f + rows * transform.e
    x1, y1 = x0 + transform.a, y0 + transform.e
    cells = shapely.box(
        np.minimum(x0, x1), np.minimum(y0, y1), np.maximum(x0, x1), np.maximum(y0, y1)
    )
    cell_area = abs(transform.a * transform.e)
    tiles = (rows // _TILE) * (width // _TILE + 1) + cols // _TILE
    order = np.argsort(tiles, kind="stable")
    starts = np.flatnonzero(np.r_[True, tiles[order][1:] != tiles[order][:-1]])
    shares = np.empty(len(rows))
    for group in np.split(order, starts[1:]):
        tile_cells = cells[group]
        piece = shapely.intersection(polygon, shapely.box(*shapely.total_bounds(tile_cells)))
        shapely.prepare(piece)
        # cells wholly inside keep their count exactly; the others get the exact area share
        whole = shapely.covers(piece, tile_cells)
        part = shapely.area(shapely.intersection(tile_cells[~whole], piece)) / cell_area
        shares[group[whole]] = 1.0
        shares[group[~whole]] = part
    return np.clip(shares, 0.0, 1.0)


def _cell_points(
    counts: dict[str, FloatArray],
    *,
    shares: FloatArray,
    transform: Any,
    window: tuple[int, int, int, int],
    full_width: int,
    raster_crs: pyproj.CRS,
    target: pyproj.CRS,
) -> gpd.GeoDataFrame:
    import geopandas as gpd

    keep = np.zeros(shares.shape, dtype=bool)
    for values in counts.values():
        keep |= values > 0
    rows, cols = np.nonzero(keep)
    x = transform.c + (cols + 0.5) * transform.a
    y = transform.f + (rows + 0.5) * transform.e
    if target != raster_crs:
        x, y = pyproj.Transformer.from_crs(raster_crs, target, always_xy=True).transform(x, y)
    col_off, row_off = window[0], window[1]
    full_row, full_col = rows + row_off, cols + col_off
    data: dict[str, Any] = {name: values[rows, cols] for name, values in counts.items()}
    data.update(
        {
            "row": full_row.astype(np.int64),
            "col": full_col.astype(np.int64),
            "cell_share": shares[rows, cols],
        }
    )
    index = pd.Index((full_row * full_width + full_col).astype(np.int64), name="cell")
    return gpd.GeoDataFrame(data, geometry=shapely.points(x, y), index=index, crs=target)


# ----------------------------------------------------------------- buildings
#: Reasons a building is left out, in the order they are tried (the first that applies).
EXCLUSION_REASONS: tuple[str, ...] = ("caller", "tag", "name", "landuse", "very_large")

#: Where each building's storeys came from, in the order tried.
LEVEL_BASES: tuple[str, ...] = (
    "tagged",
    "single_storey_type",
    "village",
    "house_type",
    "low_rise_land",
    "default",
)

_RESIDENTIAL_WORD = re.compile("|".join(RESIDENTIAL_NAME_WORDS))
_RESIDENTIAL_END = re.compile(r"(?:里|村|居|邸|(?<!政)府)$")
_NON_RESIDENTIAL_WORD = re.compile("|".join(NON_RESIDENTIAL_NAME_WORDS))
_NON_RESIDENTIAL_END = re.compile("(?:" + "|".join(NON_RESIDENTIAL_NAME_ENDINGS) + ")$")
# numbers, letters and parts set aside at the end of a name: 1号楼, A座, 3栋, (北门), 东区.
# A run of letters or digits is taken whole (``++``, possessive): no other part can start
# with one, so giving some back never makes a match, and trying every split of each run
# took re 1.3 s for the demo's 81 names (Latin ones such as "Helsingin yliopiston
# päärakennus": exponential in the length of their words).
_NAME_TAIL = re.compile(
    r"(?:[\s\-\uff0d_#·.,，]*(?:[(（\[【][^()（）\[\]【】]*[)）\]】]"
    r"|[0-9A-Za-z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]++(?:号楼|号|栋|幢|座|楼|单元|期|区|门|层)?"
    r"|[一二三四五六七八九十百零〇两]+(?:号楼|号|栋|幢|座|期|区|门|单元|层)"
    r"|[东西南北][门区楼座侧口]|[主副附]楼))+$"
)


def residential_name(names: pd.Series) -> pd.Series:
    """Whether each name says people live there (小区, 花园, 公寓, 宿舍, ... or 幸福里).

    Parameters
    ----------
    names
        Building names (missing names are False).

    Returns
    -------
    pandas.Series
        Booleans indexed like ``names``.

    Examples
    --------
    >>> import pandas as pd
    >>> residential_name(pd.Series(["站前小区", "幸福里3号楼", "市政府", None])).tolist()
    [True, True, False, False]
    """
    text = names.astype("string")
    tail = text.str.replace(_NAME_TAIL, "", regex=True)
    found = text.str.contains(_RESIDENTIAL_WORD) | tail.str.contains(_RESIDENTIAL_END)
    return pd.Series(found.fillna(False).to_numpy(dtype=bool), index=names.index)


def non_residential_name(names: pd.Series) -> pd.Series:
    """Whether each name says the building is not a home, read in context.

    A name is non-residential when it holds one of
    :data:`NON_RESIDENTIAL_NAME_WORDS` (医院, 商场, 公司, 车辆段...) or ends, once
    numbers and parts such as ``1号楼``, ``A座``, ``(北门)`` are set aside, with
    one of :data:`NON_RESIDENTIAL_NAME_ENDINGS` (中心, 站, 场, 馆, 厂...), and it
    holds no residential word (:func:`residential_name`): 长春站 and 购物中心 are
    not homes; 站前小区, 中心花园小区, 站前街 12 号 and 医院宿舍 may be.

    Parameters
    ----------
    names
        Building names (missing names are False).

    Returns
    -------
    pandas.Series
        Booleans indexed like ``names``.

    Examples
    --------
    >>> import pandas as pd
    >>> names = pd.Series(["长春站", "站前小区", "购物中心1号楼", "中心花园小区", "站前街12号"])
    >>> non_residential_name(names).tolist()
    [True, False, True, False, False]
    """
    text = names.astype("string")
    tail = text.str.replace(_NAME_TAIL, "", regex=True)
    found = text.str.contains(_NON_RESIDENTIAL_WORD) | tail.str.contains(_NON_RESIDENTIAL_END)
    found = found.fillna(False).to_numpy(dtype=bool) & ~residential_name(names).to_numpy()
    return pd.Series(found, index=names.index)


def is_residential(buildings: gpd.GeoDataFrame) -> pd.Series:
    """Return True for buildings whose tag and name do not say they are not homes.

    A building is left out when its ``building`` column (the OSM
    ``building=*`` value) is one of :data:`NON_RESIDENTIAL_BUILDING_TAGS`, or
    when its ``name`` is non-residential (:func:`non_residential_name`) and its
    tag is not one of :data:`RESIDENTIAL_BUILDING_TAGS`. Without those columns
    every building counts. Land use and size are judged by
    :func:`classify_buildings`.

    Parameters
    ----------
    buildings
        Building footprints.

    Returns
    -------
    pandas.Series
        Booleans indexed like ``buildings``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> b = gpd.GeoDataFrame(
    ...     {"building": ["yes", "retail", None, "yes"],
    ...      "name": [None, None, "长春站", "站前小区"]},
    ...     geometry=[box(0, 0, 1, 1)] * 4,
    ... )
    >>> is_residential(b).tolist()
    [True, False, False, True]
    """
    tags = _tags(buildings)
    by_name = non_residential_name(_names(buildings)).to_numpy()
    keep = ~tags.isin(NON_RESIDENTIAL_BUILDING_TAGS).to_numpy()
    keep &= ~(by_name & ~tags.isin(RESIDENTIAL_BUILDING_TAGS).to_numpy())
    return pd.Series(keep, index=buildings.index, dtype=bool)


def _tags(buildings: pd.DataFrame) -> pd.Series:
    """Return the ``building`` tag of each building, lower case, or None."""
    if "building" not in buildings.columns:
        return pd.Series(None, index=buildings.index, dtype=object)
    raw = buildings["building"]
    text = raw.astype("string").str.strip().str.lower()
    return text.astype(object).where(raw.notna(), None)


def _names(buildings: pd.DataFrame) -> pd.Series:
    if "name" not in buildings.columns:
        return pd.Series(None, index=buildings.index, dtype=object)
    return buildings["name"]


@dataclass(frozen=True)
class _Setting:
    """One number the estimate uses: its value and where it came from."""

    name: str
    value: float
    record: dict[str, Any]


def _setting(
    value: float | None,
    argument: str,
    std: Standards,
    parameter: str,
    *,
    example: str,
    allow_inf: bool = False,
) -> _Setting:
    """Return a number given by the caller (checked), else the standards' parameter."""
    if value is None:
        known = std.parameter(parameter)
        return _Setting(
            parameter,
            known.low,
            {
                "name": parameter,
                "value": known.low,
                "unit": known.unit,
                "source": known.source,
                "verification": known.verification,
                "note": known.note,
            },
        )
    bad = isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value)
    if bad or value <= 0 or (math.isinf(value) and not allow_inf):
        msg = f"{argument} must be a positive number, got {value!r}; e.g. {argument}={example}"
        raise InputError(msg)
    number = float(value)
    record = {
        "name": parameter,
        "value": number,
        "unit": std.parameter(parameter).unit,
        "source": "argument",
        "verification": "given",
        "note": f"given as {argument}= by the caller",
    }
    return _Setting(parameter, number, record)


@dataclass(frozen=True)
class _BuildingSettings:
    """The numbers of a building estimate."""

    persons_per_m2: _Setting
    default_levels: _Setting
    single_storey: _Setting
    house: _Setting
    village: _Setting
    max_footprint: _Setting

    @classmethod
    def resolve(
        cls,
        std: Standards,
        *,
        persons_per_m2: float | None = None,
        default_levels: float | None = None,
        max_untagged_footprint_m2: float | None = None,
    ) -> _BuildingSettings:
        return cls(
            persons_per_m2=_setting(
                persons_per_m2, "persons_per_m2", std, "persons_per_m2_floor", example="0.025"
            ),
            default_levels=_setting(
                default_levels, "default_levels", std, "default_building_levels", example="6"
            ),
            single_storey=_setting(None, "", std, "levels_single_storey_house", example="1"),
            house=_setting(None, "", std, "levels_house", example="2"),
            village=_setting(None, "", std, "levels_village_house", example="1"),
            max_footprint=_setting(
                max_untagged_footprint_m2,
                "max_untagged_footprint_m2",
                std,
                "max_untagged_footprint_m2",
                example="20000",
                allow_inf=True,
            ),
        )

    def records(self) -> list[dict[str, Any]]:
        """Every number used, with its value, unit, source and note."""
        return [
            s.record
            for s in (
                self.persons_per_m2,
                self.default_levels,
                self.single_storey,
                self.house,
                self.village,
                self.max_footprint,
            )
        ]


def classify_buildings(
    buildings: gpd.GeoDataFrame,
    *,
    landuse: gpd.GeoDataFrame | None = None,
    class_column: str | None = None,
    scheme: str = "auto",
    residential: Callable[[gpd.GeoDataFrame], Any] | None = None,
    default_levels: float | None = None,
    max_untagged_footprint_m2: float | None = None,
    standards: Standards | None = None,
) -> pd.DataFrame:
    """Say of every building whether people live in it, and on how many storeys.

    A building is left out for the first of these reasons that applies
    (:data:`EXCLUSION_REASONS`):

    ``caller``
        ``residential`` is given and returns False for it (then the tag and
        name rules are not applied).
    ``tag``
        Its ``building`` tag is in :data:`NON_RESIDENTIAL_BUILDING_TAGS`.
    ``name``
        Its name is non-residential (:func:`non_residential_name`) and its tag
        is not residential (:data:`RESIDENTIAL_BUILDING_TAGS`).
    ``landuse``
        It stands on non-residential land (:func:`geoplan.landuse.land_use_under`
        of its representative point) and neither its tag nor its name is
        residential.
    ``very_large``
        Its footprint exceeds ``max_untagged_footprint_m2`` and it is not
        tagged as a building of many dwellings (:data:`MULTI_DWELLING_TAGS`):
        a footprint that large is a depot, a hall, a mall or the outline of a
        whole compound, not one house.

    Storeys (:data:`LEVEL_BASES`): the ``levels`` (or ``building:levels``)
    column when positive; else ``levels_single_storey_house`` for
    :data:`SINGLE_STOREY_TAGS`; ``levels_village_house`` on village land
    (rural homesteads, ``landuse=residential`` + ``residential=rural``,
    farmyards) unless tagged as many dwellings; ``levels_house`` for
    :data:`HOUSE_TAGS` and on low-rise residential land; else
    ``default_levels``. All are documented parameters of the standards.

    Parameters
    ----------
    buildings
        Footprint polygons in a projected CRS in metres, with optional
        ``building``, ``name`` and ``levels`` columns.
    landuse
        Land-use polygons (any CRS; reprojected to the buildings'): OSM land
        use (:func:`geoplan.landuse.read_landuse`) or a parcel file with
        ``class_column``.
    class_column, scheme
        The class column of a parcel file and how to read it
        (:func:`geoplan.landuse.parcel_land_use`); OSM tags when omitted.
    residential
        A function of the buildings returning a boolean mask of the homes,
        replacing the tag and name rules.
    default_levels, max_untagged_footprint_m2
        Override the standards' parameters ``default_building_levels`` and
        ``max_untagged_footprint_m2`` (``math.inf`` turns the size rule off).
    standards
        Where the defaults are read; the package's standards when omitted.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``buildings``: ``footprint_m2``, ``levels`` (as used),
        ``levels_basis``, ``floor_area_m2``, ``land_use`` (the kind of land
        under it, or None) and ``excluded_by`` (a reason, or ``""`` for homes).

    Raises
    ------
    CRSError
        The buildings are not in a projected CRS in metres, or the land use
        has no CRS.
    InputError
        A bad option, a bad mask, or a class column the parcels lack.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> b = gpd.GeoDataFrame(
    ...     {"building": ["bungalow", "house", "yes", "warehouse"]},
    ...     geometry=[box(x, 0, x + 10, 10) for x in (0, 20, 40, 60)],
    ...     crs="EPSG:32651",
    ... )
    >>> uses = classify_buildings(b)
    >>> uses["levels"].tolist(), uses["excluded_by"].tolist()
    ([1.0, 2.0, 6.0, 6.0], ['', '', '', 'tag'])
    """
    std = standards if standards is not None else current_standards()
    settings = _BuildingSettings.resolve(
        std, default_levels=default_levels, max_untagged_footprint_m2=max_untagged_footprint_m2
    )
    crs = _metric_crs(buildings, "buildings")
    under, _ = _land_under(buildings, landuse, class_column, scheme, crs)
    return _classify(buildings, under, settings, residential)


def _land_under(
    buildings: gpd.GeoDataFrame,
    landuse: gpd.GeoDataFrame | None,
    class_column: str | None,
    scheme: str,
    crs: pyproj.CRS,
) -> tuple[NDArray[np.object_], LandUse | None]:
    """Return the kind of land under each building's representative point, and the land use."""
    if landuse is None:
        return np.full(len(buildings), None, dtype=object), None
    if landuse.crs is None:
        msg = "landuse polygons have no CRS; set it first, e.g. landuse.set_crs('EPSG:4326')"
        raise CRSError(msg)
    land = landuse if pyproj.CRS.from_user_input(landuse.crs) == crs else landuse.to_crs(crs)
    kinds = land_use_kinds(land, class_column=class_column, scheme=scheme)
    geoms = np.asarray(buildings.geometry.values)
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    points = np.full(len(geoms), None, dtype=object)
    points[usable] = shapely.point_on_surface(geoms[usable])
    under = np.full(len(geoms), None, dtype=object)
    under[usable] = land_use_under(points[usable], np.asarray(land.geometry.values), kinds.kinds)
    return under, kinds


def _classify(
    buildings: gpd.GeoDataFrame,
    under: NDArray[np.object_],
    settings: _BuildingSettings,
    residential: Callable[[gpd.GeoDataFrame], Any] | None,
) -> pd.DataFrame:
    tags = _tags(buildings)
    names = _names(buildings)
    footprint = np.asarray(shapely.area(np.asarray(buildings.geometry.values)), dtype=np.float64)
    footprint = np.nan_to_num(footprint)
    levels, basis = _building_levels(buildings, tags, under, settings)
    reason = np.full(len(buildings), "", dtype=object)
    says_home = tags.isin(RESIDENTIAL_BUILDING_TAGS).to_numpy()
    home_name = residential_name(names).to_numpy()
    if residential is not None:
        reason[~_residential_mask(buildings, residential)] = "caller"
    else:
        reason[tags.isin(NON_RESIDENTIAL_BUILDING_TAGS).to_numpy()] = "tag"
        by_name = non_residential_name(names).to_numpy() & ~says_home
        reason[(reason == "") & by_name] = "name"
    off_land = (under == "non_residential") & ~says_home & ~home_name
    reason[(reason == "") & off_land] = "landuse"
    many = tags.isin(MULTI_DWELLING_TAGS).to_numpy()
    too_large = (footprint > settings.max_footprint.value) & ~many
    reason[(reason == "") & too_large] = "very_large"
    return pd.DataFrame(
        {
            "footprint_m2": footprint,
            "levels": levels,
            "levels_basis": basis,
            "floor_area_m2": footprint * levels,
            "land_use": under,
            "excluded_by": reason,
        },
        index=buildings.index,
    )


def _tagged_levels(buildings: pd.DataFrame) -> FloatArray:
    """Return the ``levels`` column, else ``building:levels``; NaN where neither is positive."""
    levels = np.full(len(buildings), np.nan)
    for column in ("levels", "building:levels"):
        if column in buildings.columns:
            values = pd.to_numeric(buildings[column], errors="coerce").to_numpy(dtype=np.float64)
            take = np.isnan(levels) & np.isfinite(values) & (values > 0)
            levels[take] = values[take]
    return levels


def _building_levels(
    buildings: pd.DataFrame,
    tags: pd.Series,
    under: NDArray[np.object_],
    settings: _BuildingSettings,
) -> tuple[FloatArray, NDArray[np.object_]]:
    """Storeys of each building and where they came from (:data:`LEVEL_BASES`)."""
    levels = _tagged_levels(buildings)
    basis = np.where(np.isnan(levels), "", "tagged").astype(object)
    many = tags.isin(MULTI_DWELLING_TAGS).to_numpy()
    rules = (
        ("single_storey_type", tags.isin(SINGLE_STOREY_TAGS).to_numpy(), settings.single_storey),
        ("village", (under == "rural_homestead") & ~many, settings.village),
        ("house_type", tags.isin(HOUSE_TAGS).to_numpy(), settings.house),
        ("low_rise_land", (under == "residential_low_rise") & ~many, settings.house),
        ("default", np.ones(len(levels), dtype=bool), settings.default_levels),
    )
    for name, applies, setting in rules:
        take = (basis == "") & applies
        levels[take] = setting.value
        basis[take] = name
    return levels, basis


def population_from_buildings(
    buildings: gpd.GeoDataFrame,
    *,
    persons_per_m2: float | None = None,
    default_levels: float | None = None,
    residential: Callable[[gpd.GeoDataFrame], Any] | None = None,
    landuse: gpd.GeoDataFrame | None = None,
    class_column: str | None = None,
    scheme: str = "auto",
    max_untagged_footprint_m2: float | None = None,
    standards: Standards | None = None,
) -> gpd.GeoDataFrame:
    """Estimate residents from the floor area of the buildings people live in.

    population = footprint area (m^2) x storeys x persons per m^2 of floor,
    for the buildings :func:`classify_buildings` keeps as homes: buildings
    are left out by tag, by name, by the land they stand on (when
    ``landuse`` is given) and when very large and untagged; storeys come
    from the tags, else from the building type (a bungalow 1, a house 2,
    a village house 1) or the default. Every number is a documented
    geoplan default of the standards' parameters, not a planning standard.

    Parameters
    ----------
    buildings
        Footprint polygons in a projected CRS in metres, with optional
        ``building`` (OSM tag), ``name`` and ``levels`` (or
        ``building:levels``) columns.
    persons_per_m2
        Persons per m^2 of floor area; the standards' parameter
        ``persons_per_m2_floor`` (0.025, i.e. about 40 m^2 of housing floor per
        person; a documented default) when omitted.
    default_levels
        Storeys of buildings whose storeys neither a tag nor their type gives;
        the parameter ``default_building_levels`` (6) when omitted.
    residential
        A function of the buildings returning a boolean mask of the homes,
        replacing the tag and name rules.
    landuse, class_column, scheme
        Land-use polygons whose non-residential kinds leave the buildings on
        them out (OSM land use, or a parcel file with its class column); see
        :func:`classify_buildings`.
    max_untagged_footprint_m2
        Footprints larger than this are left out unless tagged as many
        dwellings; the parameter ``max_untagged_footprint_m2`` (20,000 m^2)
        when omitted, ``math.inf`` to keep them.
    standards
        Where the defaults are read; the package's standards when omitted.

    Returns
    -------
    geopandas.GeoDataFrame
        Building centroids (points) of the homes, indexed like ``buildings``,
        with ``population``, ``floor_area_m2``, ``levels`` (as used) and
        ``levels_basis``. ``attrs`` holds ``population_total``, ``source``
        (``"buildings"``), ``persons_per_m2``, ``default_levels``,
        ``levels_defaulted``, ``excluded`` (buildings left out),
        ``excluded_by`` (reason -> count) and ``population_method`` (the
        method record: see the module's docstring).

    Raises
    ------
    CRSError
        The buildings have no CRS, a geographic one, or one not in metres.
    InputError
        An option is not a positive number, ``residential`` returns a bad
        mask, or the land use lacks its class column.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> homes = gpd.GeoDataFrame(
    ...     {"levels": [6, None]}, geometry=[box(0, 0, 10, 20), box(50, 0, 60, 10)],
    ...     crs="EPSG:32651",
    ... )
    >>> population_from_buildings(homes, persons_per_m2=0.025, default_levels=2)[
    ...     "population"
    ... ].tolist()
    [30.0, 5.0]
    """
    std = standards if standards is not None else current_standards()
    settings = _BuildingSettings.resolve(
        std,
        persons_per_m2=persons_per_m2,
        default_levels=default_levels,
        max_untagged_footprint_m2=max_untagged_footprint_m2,
    )
    crs = _metric_crs(buildings, "buildings")
    geoms = np.asarray(buildings.geometry.values)
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not usable.all():
        log.warning("%d buildings without a geometry left out", int((~usable).sum()))
    frame = buildings[usable]
    under, land = _land_under(frame, landuse, class_column, scheme, crs)
    uses = _classify(frame, under, settings, residential)
    per_m2 = settings.persons_per_m2.value
    people = uses["floor_area_m2"].to_numpy() * per_m2
    home = (uses["excluded_by"] == "").to_numpy()
    homes = uses[home]
    result = _points(
        homes.index,
        shapely.centroid(np.asarray(frame.geometry.values)[home]),
        buildings.crs,
        {
            "population": people[home],
            "floor_area_m2": homes["floor_area_m2"].to_numpy(),
            "levels": homes["levels"].to_numpy(),
            "levels_basis": homes["levels_basis"].to_numpy(),
        },
    )
    record = _buildings_record(uses, people, settings, land, missing=int((~usable).sum()))
    excluded_by = {reason: value["count"] for reason, value in record["excluded"].items()}
    result.attrs.update(
        {
            "population_total": record["total"],
            "source": "buildings",
            "persons_per_m2": per_m2,
            "default_levels": settings.default_levels.value,
            "levels_defaulted": record["levels"]["default"],
            "excluded": int((~home).sum()),
            "excluded_by": excluded_by,
            "population_method": record,
        }
    )
    log.info(
        "building estimate: %d homes, %.0f m2 of floor x %g persons/m2 = %.1f persons; left out %s",
        len(result),
        float(homes["floor_area_m2"].sum()),
        per_m2,
        record["total"],
        excluded_by,
    )
    return result


def _buildings_record(
    uses: pd.DataFrame,
    people: FloatArray,
    settings: _BuildingSettings,
    land: LandUse | None,
    *,
    missing: int,
) -> dict[str, Any]:
    """Build the method record of a building estimate (see the module's docstring)."""
    reason = uses["excluded_by"].to_numpy()
    home = reason == ""
    excluded = {
        why: {"count": int((reason == why).sum()), "people": float(people[reason == why].sum())}
        for why in EXCLUSION_REASONS
        if why != "caller" or (reason == "caller").any()
    }
    basis = uses["levels_basis"].to_numpy()[home]
    big = home & (uses["footprint_m2"].to_numpy() > settings.max_footprint.value)
    total = float(people[home].sum())
    record: dict[str, Any] = {
        "source": "buildings",
        "method": {
            "en": "footprint area x storeys x persons per m2 of floor, over the buildings "
            "kept as homes",
            "zh": "基底面积 × 层数 × 每平方米建筑面积人数，仅计入判定为住宅的建筑",
        },
        "defaults": settings.records(),
        "inputs": {
            "buildings": len(uses) + missing,
            "without_geometry": missing,
            "land_use": None if land is None else land.scheme,
            "land_use_polygons": None if land is None else len(land.kinds),
        },
        "kept": {
            "count": int(home.sum()),
            "people": total,
            "floor_area_m2": float(uses["floor_area_m2"].to_numpy()[home].sum()),
        },
        "excluded": excluded,
        "very_large_kept": {"count": int(big.sum()), "people": float(people[big].sum())},
        "levels": {name: int((basis == name).sum()) for name in LEVEL_BASES},
        "total": total,
        "calibration": None,
    }
    record["caveats"] = _buildings_caveats(record, settings)
    return record


def _buildings_caveats(record: dict[str, Any], settings: _BuildingSettings) -> list[dict[str, str]]:
    """Say what a reader must know about a building estimate, in Chinese and English."""
    per_m2 = settings.persons_per_m2.value
    levels = (
        settings.default_levels.value,
        settings.single_storey.value,
        settings.house.value,
        settings.village.value,
    )
    default_note = _default_words(settings)
    caveats = [
        {
            "zh": (
                f"人口为估算值：建筑基底面积 × 层数 × 每平方米建筑面积 {per_m2:g} 人；未标注层数的"
                f"建筑按 {levels[0]:g} 层、平房 {levels[1]:g} 层、独立住宅 {levels[2]:g} 层、村庄"
                f"住宅 {levels[3]:g} 层计（{default_note[0]}）。"
            ),
            "en": (
                f"Population is estimated: building footprint x storeys x {per_m2:g} persons "
                f"per m2 of floor; buildings without a storey count are taken as "
                f"{levels[0]:g} storeys, bungalows {levels[1]:g}, houses {levels[2]:g}, village "
                f"houses {levels[3]:g} ({default_note[1]})."
            ),
        }
    ]
    left = {k: v for k, v in record["excluded"].items() if v["count"]}
    if left:
        zh_names = {
            "caller": "按调用方的判定",
            "tag": "按建筑标签",
            "name": "按名称",
            "landuse": "按所在用地",
            "very_large": "因基底面积过大且未标注为住宅",
        }
        en_names = {
            "caller": "by the caller's mask",
            "tag": "by tag",
            "name": "by name",
            "landuse": "by the land they stand on",
            "very_large": f"as untagged footprints over {settings.max_footprint.value:,.0f} m2",
        }
        count = sum(v["count"] for v in left.values())
        caveats.append(
            {
                "zh": f"{count:,} 栋建筑判定为非住宅，不计人口："
                + "；".join(
                    f"{zh_names[k]} {v['count']:,} 栋（按上式约 {v['people']:,.0f} 人）"
                    for k, v in left.items()
                )
                + "。",
                "en": f"{count:,} buildings were left out as not homes: "
                + "; ".join(
                    f"{v['count']:,} {en_names[k]} (about {v['people']:,.0f} people by the formula)"
                    for k, v in left.items()
                )
                + ".",
            }
        )
    return caveats


def _default_words(settings: _BuildingSettings) -> tuple[str, str]:
    """Say whether the numbers are geoplan's defaults or given."""
    used = (settings.persons_per_m2, settings.default_levels, settings.house, settings.village)
    if all(s.record["source"] == "geoplan_default" for s in used):
        return "geoplan 默认值，非规划标准", "geoplan defaults, not planning standards"
    return "部分数值由用户给定", "some values given by the user"


def _metric_crs(frame: Any, name: str) -> pyproj.CRS:
    if frame.crs is None:
        msg = f"{name} have no CRS; set it first, e.g. {name}.set_crs('EPSG:4326')"
        raise CRSError(msg)
    crs = pyproj.CRS.from_user_input(frame.crs)
    if not crs.is_projected:
        msg = (
            f"{name} are in the geographic CRS {crs.to_string()}, where areas are not in m2; "
            f"reproject first, e.g. {name}.to_crs({name}.estimate_utm_crs()) or "
            f"{name}.to_crs('EPSG:32651') (the network's CRS)"
        )
        raise CRSError(msg)
    unit = crs.axis_info[0].unit_name if crs.axis_info else ""
    if unit not in _METRES:
        msg = (
            f"{name} are in {crs.to_string()} with units of {unit!r}, not metres; reproject "
            f"first, e.g. {name}.to_crs({name}.estimate_utm_crs())"
        )
        raise CRSError(msg)
    return crs


def _residential_mask(
    buildings: gpd.GeoDataFrame, residential: Callable[[gpd.GeoDataFrame], Any] | None
) -> BoolArray:
    raw = is_residential(buildings) if residential is None else residential(buildings)
    mask = np.asarray(raw)
    if mask.shape != (len(buildings),) or mask.dtype != bool:
        msg = (
            "residential must return one True/False per building (a boolean mask), got "
            f"{type(raw).__name__} of shape {mask.shape} and dtype {mask.dtype}; e.g. "
            "residential=lambda b: b['building'].isin(['residential', 'apartments', 'yes'])"
        )
        raise InputError(msg)
    return mask


def _points(index: pd.Index, points: Any, crs: Any, data: Mapping[str, Any]) -> gpd.GeoDataFrame:
    import geopandas as gpd

    return gpd.GeoDataFrame(dict(data), geometry=np.asarray(points), index=index, crs=crs)


# ----------------------------------------------------------------- registers
def population_from_register(
    buildings: gpd.GeoDataFrame,
    communities: gpd.GeoDataFrame,
    register: pd.DataFrame | pd.Series | Mapping[Any, float],
    *,
    community_id: str,
    population: str = "population",
    residential: Callable[[gpd.GeoDataFrame], Any] | None = None,
    default_levels: float | None = None,
    standards: Standards | None = None,
) -> gpd.GeoDataFrame:
    """Spread a community register's population over each community's homes.

    A building belongs to the community containing its centroid. Each
    community's registered population is shared among its residential
    buildings in proportion to floor area (footprint area x levels). A
    community with no residential building gets one point at its
    representative point. The total equals the register's sum over the
    communities it matches.

    Parameters
    ----------
    buildings
        Footprint polygons with an optional ``levels`` and ``building`` tag
        column, in the same projected CRS (metres) as ``communities``.
    communities
        Community polygons with an id column ``community_id``.
    register
        The register: a table with columns ``community_id`` and
        ``population`` (or the id as its index), a Series of population by
        id, or a mapping id -> population.
    community_id
        Name of the id column in ``communities`` (and ``register``).
    population
        Name of the population column in ``register``.
    residential
        A function of the buildings returning a boolean mask of the homes;
        :func:`is_residential` (the tag filter) when omitted.
    default_levels
        Levels of buildings without a level count; the standards' parameter
        ``default_building_levels`` (6) when omitted.
    standards
        Where the defaults are read; the package's standards when omitted.

    Returns
    -------
    geopandas.GeoDataFrame
        Points with the ``community_id`` column, ``population``,
        ``floor_area_m2`` (NaN for community points) and ``basis``
        (``"building"`` or ``"community"``). Building points are indexed like
        ``buildings``; community points are labelled ``"community:<id>"``.
        ``attrs`` holds ``population_total``, ``source``,
        ``unmatched_register`` (register ids matching no community),
        ``communities_without_register``, ``communities_without_buildings``
        and ``buildings_outside_communities`` (a count).

    Raises
    ------
    CRSError
        The two layers lack a CRS, differ in CRS, or are not projected in metres.
    InputError
        Missing columns, duplicate ids, negative or missing register counts,
        or no register id matching any community.

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> communities = gpd.GeoDataFrame(
    ...     {"cid": ["A"]}, geometry=[box(0, 0, 100, 100)], crs="EPSG:32651"
    ... )
    >>> buildings = gpd.GeoDataFrame(
    ...     {"levels": [1, 3]}, geometry=[box(10, 10, 20, 20), box(50, 50, 60, 60)],
    ...     crs="EPSG:32651",
    ... )
    >>> register = pd.DataFrame({"cid": ["A"], "population": [400]})
    >>> population_from_register(buildings, communities, register, community_id="cid")[
    ...     "population"
    ... ].tolist()
    [100.0, 300.0]
    """
    std = standards if standards is not None else current_standards()
    settings = _BuildingSettings.resolve(std, default_levels=default_levels)
    crs = _metric_crs(communities, "communities")
    _metric_crs(buildings, "buildings")
    if pyproj.CRS.from_user_input(buildings.crs) != crs:
        msg = (
            f"buildings ({buildings.crs.to_string()}) and communities ({crs.to_string()}) are in "
            "different CRSs; reproject one, e.g. buildings.to_crs(communities.crs)"
        )
        raise CRSError(msg)
    ids = _community_ids(communities, community_id)
    counts = _register_counts(register, community_id, population)
    people, unmatched, absent = _match_register(counts, ids, community_id)

    mask = _residential_mask(buildings, residential)
    homes = buildings[mask]
    geoms = np.asarray(homes.geometry.values)
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    homes, geoms = homes[usable], geoms[usable]
    home_of = containing(
        np.asarray(communities.geometry.values), shapely.centroid(geoms), predicate="intersects"
    )
    outside = int((home_of < 0).sum())
    if outside:
        log.warning("%d residential buildings lie in no community and are left out", outside)
    home_ids = pd.Index(ids).take(np.maximum(home_of, 0))
    take = (home_of >= 0) & home_ids.isin(people.index)
    homes, geoms, home_ids = homes[take], geoms[take], home_ids[take]
    levels, _ = _building_levels(
        homes, _tags(homes), np.full(len(homes), None, dtype=object), settings
    )
    floor = shapely.area(geoms) * levels
    shares = _shares_within(home_ids, floor)
    building_people = shares * people.reindex(home_ids).to_numpy(dtype=np.float64)
    parts = [
        _points(
            homes.index,
            shapely.centroid(geoms),
            crs,
            {
                community_id: np.asarray(home_ids),
                "population": building_people,
                "floor_area_m2": floor,
                "basis": "building",
            },
        )
    ]
    empty = people.index[~people.index.isin(home_ids)]
    if len(empty):
        rows = ids.isin(empty).to_numpy()
        where = communities.geometry[rows]
        empty_ids = ids[rows]
        parts.append(
            _points(
                pd.Index([f"community:{v}" for v in empty_ids], name=buildings.index.name),
                shapely.point_on_surface(np.asarray(where.values)),
                crs,
                {
                    community_id: empty_ids.to_numpy(),
                    "population": people.reindex(empty_ids).to_numpy(dtype=np.float64),
                    "floor_area_m2": np.nan,
                    "basis": "community",
                },
            )
        )
        log.info(
            "%d registered communities have no residential building; one point each", len(empty)
        )
    result = parts[0] if len(parts) == 1 else _concat(parts, crs)
    result.index.name = buildings.index.name
    total = float(result["population"].sum())
    result.attrs.update(
        {
            "population_total": total,
            "source": "register",
            "unmatched_register": unmatched,
            "communities_without_register": absent,
            "communities_without_buildings": [_plain(v) for v in empty],
            "buildings_outside_communities": outside,
        }
    )
    log.info(
        "register spread over %d buildings in %d communities: %.1f persons",
        int(take.sum()),
        len(people),
        total,
    )
    return result


def _match_register(
    counts: pd.Series, ids: pd.Series, community_id: str
) -> tuple[pd.Series, list[Any], list[Any]]:
    """Split the register into matched counts, unmatched register ids and unlisted communities."""
    known = pd.Index(ids)
    matched = counts.index.isin(known)
    unmatched = [_plain(v) for v in counts.index[~matched]]
    absent = [_plain(v) for v in known[~known.isin(counts.index)]]
    if not matched.any():
        msg = (
            f"none of the {len(counts)} register ids matches a community id: register ids such "
            f"as {list(counts.index[:3])} ({counts.index.dtype}), community ids such as "
            f"{list(known[:3])} ({known.dtype}); make both the same type, e.g. "
            f"register[{community_id!r}] = register[{community_id!r}].astype(str)"
        )
        raise InputError(msg)
    if unmatched:
        log.warning(
            "%d register rows match no community and are left out (%.0f persons): %s",
            len(unmatched),
            float(counts[~matched].sum()),
            unmatched[:20],
        )
    if absent:
        log.warning("%d communities are not in the register: %s", len(absent), absent[:20])
    return counts[matched], unmatched, absent


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _community_ids(communities: gpd.GeoDataFrame, column: str) -> pd.Series:
    if column not in communities.columns:
        msg = (
            f"communities have no column {column!r}; columns: {list(communities.columns)}. "
            "Pass community_id= the name of the id column"
        )
        raise InputError(msg)
    ids = communities[column]
    if ids.isna().any() or ids.duplicated().any():
        dup = list(ids[ids.duplicated()].unique()[:5])
        msg = (
            f"community ids in {column!r} must be unique and present; found "
            f"{int(ids.isna().sum())} missing and duplicates {dup}; dissolve duplicates first, "
            f"e.g. communities.dissolve({column!r}).reset_index()"
        )
        raise InputError(msg)
    result: pd.Series = ids.reset_index(drop=True)
    return result


def _register_counts(register: Any, column: str, population: str) -> pd.Series:
    """Return the register as a Series of persons by community id."""
    if isinstance(register, pd.DataFrame):
        table = register.reset_index() if column not in register.columns else register
        missing = [c for c in (column, population) if c not in table.columns]
        if missing:
            msg = (
                f"register has no column(s) {missing}; columns: {list(register.columns)}. Pass "
                "community_id= and population= the names of its id and population columns"
            )
            raise InputError(msg)
        series = pd.Series(table[population].to_numpy(), index=pd.Index(table[column]))
    elif isinstance(register, pd.Series):
        series = register
    elif isinstance(register, Mapping):
        series = pd.Series(dict(register))
    else:
        msg = f"register must be a DataFrame, Series or mapping, got {type(register).__name__}"
        raise InputError(msg)
    values = pd.to_numeric(series, errors="coerce").astype(np.float64)
    bad = ~np.isfinite(values.to_numpy()) | (values.to_numpy() < 0)
    if bad.any():
        msg = (
            f"{int(bad.sum())} register rows have a missing, non-numeric or negative "
            f"{population!r} (ids {list(series.index[bad][:5])}); fix or drop them first, "
            f"e.g. register.dropna(subset=[{population!r}])"
        )
        raise InputError(msg)
    if values.index.isna().any() or values.index.duplicated().any():
        dup = list(values.index[values.index.duplicated()].unique()[:5])
        msg = (
            f"register ids must be unique and present; found duplicates {dup}; sum them first, "
            f"e.g. register.groupby({column!r}, as_index=False)[{population!r}].sum()"
        )
        raise InputError(msg)
    return values


def _shares_within(groups: pd.Index, weights: FloatArray) -> FloatArray:
    """Each weight's share of its group's total; equal shares where a group's total is 0."""
    codes, _ = pd.factorize(groups)
    totals = np.bincount(codes, weights=weights) if len(codes) else np.zeros(0)
    sizes = np.bincount(codes) if len(codes) else np.zeros(0, dtype=np.int64)
    group_total = totals[codes]
    equal = 1.0 / sizes[codes]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(group_total > 0, weights / group_total, equal)


def _concat(parts: list[gpd.GeoDataFrame], crs: Any) -> gpd.GeoDataFrame:
    import geopandas as gpd

    return gpd.GeoDataFrame(pd.concat(parts), geometry="geometry", crs=crs)


# ----------------------------------------------------------------- land-use parcels
#: The floor-area-ratio parameter of each housing kind of land (see :mod:`geoplan.landuse`).
FAR_PARAMETERS: dict[str, str] = {
    "residential": "far_residential",
    "residential_low_rise": "far_residential_low_rise",
    "residential_old": "far_residential_old",
    "rural_homestead": "far_rural_homestead",
}


def population_from_parcels(
    parcels: gpd.GeoDataFrame,
    *,
    class_column: str,
    far_column: str | None = None,
    scheme: str = "auto",
    buildings: gpd.GeoDataFrame | None = None,
    persons_per_m2: float | None = None,
    far: Mapping[str, float] | None = None,
    standards: Standards | None = None,
) -> gpd.GeoDataFrame:
    """Estimate residents from land-use parcels: area x floor-area ratio x persons per m^2.

    Each parcel's class (EULUC-China, GB 50137-2011 or the 2020 国土空间
    classification; :func:`geoplan.landuse.parcel_land_use`) says whether
    people live on it. On housing land, residential floor area = parcel area
    x floor-area ratio (FAR: the parcel's value in ``far_column`` when given
    and not blank, else the documented default of its kind,
    :data:`FAR_PARAMETERS`), and people = floor area x persons per m^2 of
    floor. Non-residential and unrecognised parcels hold nobody.

    The people of a parcel are placed at its representative point, or, when
    ``buildings`` are given, spread over the homes on it (the buildings
    :func:`is_residential` keeps whose representative point lies in the
    parcel) by their floor area (footprint x storeys as in
    :func:`classify_buildings`); the parcel's total is kept either way.

    Parameters
    ----------
    parcels
        Parcel polygons in a projected CRS in metres.
    class_column
        The column of land-use classes (codes or names).
    far_column
        A column of floor-area ratios (容积率); blanks take the default.
    scheme
        How numeric class codes are read: ``"auto"``, ``"euluc"``,
        ``"guotu"`` or ``"gb50137"``.
    buildings
        Building footprints in the parcels' CRS to spread people over.
    persons_per_m2
        Persons per m^2 of floor; the parameter ``persons_per_m2_floor``
        (0.025) when omitted.
    far
        Default FARs by kind (``{"residential": 2.5}``) replacing the
        parameters for those kinds.
    standards
        Where the defaults are read; the package's standards when omitted.

    Returns
    -------
    geopandas.GeoDataFrame
        Points with ``population``, ``floor_area_m2``, ``far``,
        ``far_basis`` (``"column"`` or ``"default"``), ``land_use`` (the
        kind), ``parcel`` (the parcel's index label) and ``basis``
        (``"parcel"`` or ``"building"``). Parcel points are indexed like
        ``parcels``; building points like ``buildings``. ``attrs`` holds
        ``population_total``, ``source`` (``"parcels"``) and
        ``population_method`` (the method record).

    Raises
    ------
    CRSError
        The parcels have no CRS or one not in metres; the buildings are in
        another CRS.
    InputError
        A missing class or FAR column, negative or non-numeric FARs, an
        unknown scheme, or no housing parcel at all.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> parcels = gpd.GeoDataFrame(
    ...     {"Level2": [101, 301], "far": [1.5, None]},
    ...     geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs="EPSG:32651",
    ... )
    >>> demand = population_from_parcels(parcels, class_column="Level2", far_column="far")
    >>> demand["population"].tolist()  # 10,000 m2 x 1.5 x 0.025; the industrial parcel: none
    [375.0]
    """
    std = standards if standards is not None else current_standards()
    per_m2 = _setting(
        persons_per_m2, "persons_per_m2", std, "persons_per_m2_floor", example="0.025"
    )
    defaults = _far_settings(std, far)
    crs = _metric_crs(parcels, "parcels")
    land = land_use_kinds(parcels, class_column=class_column, scheme=scheme)
    kinds = land.kinds.to_numpy()
    area = np.nan_to_num(np.asarray(shapely.area(np.asarray(parcels.geometry.values)), dtype=float))
    ratio, basis = _parcel_far(parcels, far_column, kinds, defaults)
    housing = np.isin(kinds, list(FAR_PARAMETERS)) & (area > 0)
    if not housing.any():
        found = sorted({str(v) for v in parcels[class_column].dropna().unique()})[:10]
        msg = (
            f"none of the {len(parcels)} parcels is housing land in {class_column!r} (classes "
            f"found: {found}, read as {land.scheme}); name the column of land-use classes with "
            "class_column=, or say how its codes read with scheme='euluc', 'guotu' or "
            "'gb50137' ([population] class_column / class_scheme in a study)"
        )
        raise InputError(msg)
    floor = area * ratio
    people = floor * per_m2.value
    table = pd.DataFrame(
        {
            "population": people,
            "floor_area_m2": floor,
            "far": ratio,
            "far_basis": basis,
            "land_use": kinds,
        },
        index=parcels.index,
    )[housing]
    points = shapely.point_on_surface(np.asarray(parcels.geometry.values)[housing])
    if buildings is None:
        result = _points(table.index, points, parcels.crs, {**_columns(table), "basis": "parcel"})
        result["parcel"] = table.index.to_numpy()
        spread = None
    else:
        result, spread = _spread_over_buildings(table, points, parcels, buildings, crs=crs, std=std)
    record = _parcels_record(
        table,
        land,
        area,
        settings=[per_m2, *defaults.values()],
        class_column=class_column,
        far_column=far_column,
    )
    record["spread"] = spread
    result.attrs.update(
        {
            "population_total": record["total"],
            "source": "parcels",
            "population_method": record,
        }
    )
    log.info(
        "parcel estimate: %d housing parcels of %d, %.0f m2 of floor x %g persons/m2 = %.1f",
        int(housing.sum()),
        len(parcels),
        float(floor[housing].sum()),
        per_m2.value,
        record["total"],
    )
    return result


def _columns(frame: pd.DataFrame) -> dict[str, Any]:
    return {str(column): frame[column].to_numpy() for column in frame.columns}


def _far_settings(std: Standards, far: Mapping[str, float] | None) -> dict[str, _Setting]:
    given = dict(far or {})
    unknown = sorted(set(given) - set(FAR_PARAMETERS))
    if unknown:
        msg = (
            f"far= has unknown land-use kinds {unknown}; the kinds are {list(FAR_PARAMETERS)}, "
            "e.g. far={'residential': 2.5}"
        )
        raise InputError(msg)
    return {
        kind: _setting(given.get(kind), f"far['{kind}']", std, parameter, example="2.0")
        for kind, parameter in FAR_PARAMETERS.items()
    }


def _parcel_far(
    parcels: pd.DataFrame,
    far_column: str | None,
    kinds: NDArray[np.object_],
    defaults: Mapping[str, _Setting],
) -> tuple[FloatArray, NDArray[np.object_]]:
    """Return each parcel's FAR (its column's value, else its kind's default) and basis."""
    default = np.array(
        [defaults[k].value if k in defaults else 0.0 for k in kinds], dtype=np.float64
    )
    if far_column is None:
        return default, np.full(len(kinds), "default", dtype=object)
    if far_column not in parcels.columns:
        columns = [c for c in parcels.columns if c != "geometry"]
        msg = (
            f"parcels have no floor-area-ratio column {far_column!r}; their columns are "
            f"{columns}. Name the column of 容积率 with far_column=, or leave it out to use "
            "the documented defaults"
        )
        raise InputError(msg)
    raw = parcels[far_column]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
    bad = (raw.notna().to_numpy() & np.isnan(values)) | np.isinf(values) | (values < 0)
    if bad.any():
        labels = list(parcels.index[bad][:5])
        msg = (
            f"{int(bad.sum())} parcels have a floor-area ratio in {far_column!r} that is not a "
            f"number >= 0 (parcels {labels}, e.g. {raw[bad].iloc[0]!r}); correct them, or "
            "blank them to use the default of their land use"
        )
        raise InputError(msg)
    given = ~np.isnan(values)
    return np.where(given, values, default), np.where(given, "column", "default").astype(object)


def _spread_over_buildings(
    table: pd.DataFrame,
    points: NDArray[Any],
    parcels: gpd.GeoDataFrame,
    buildings: gpd.GeoDataFrame,
    *,
    crs: pyproj.CRS,
    std: Standards,
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """Share each housing parcel's people among the homes on it by floor area."""
    if buildings.crs is None or pyproj.CRS.from_user_input(buildings.crs) != crs:
        msg = (
            f"buildings ({getattr(buildings.crs, 'name', None)}) and parcels ({crs.name}) are "
            "in different CRSs; reproject the buildings first, e.g. "
            "buildings.to_crs(parcels.crs)"
        )
        raise CRSError(msg)
    geoms = np.asarray(buildings.geometry.values)
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    homes = buildings[usable & is_residential(buildings).to_numpy()]
    home_geoms = np.asarray(homes.geometry.values)
    housing = parcels.loc[table.index]
    where = containing(np.asarray(housing.geometry.values), shapely.point_on_surface(home_geoms))
    inside = where >= 0
    homes, home_geoms, where = homes[inside], home_geoms[inside], where[inside]
    kinds = table["land_use"].to_numpy()[where].astype(object)
    settings = _BuildingSettings.resolve(std)
    levels, _ = _building_levels(homes, _tags(homes), kinds, settings)
    floor = np.asarray(shapely.area(home_geoms), dtype=np.float64) * levels
    parcel_label = table.index.take(where)
    share = _shares_within(parcel_label, floor)
    parts = []
    if len(homes):
        parts.append(
            _points(
                homes.index,
                shapely.centroid(home_geoms),
                parcels.crs,
                {
                    "population": share * table["population"].to_numpy()[where],
                    "floor_area_m2": share * table["floor_area_m2"].to_numpy()[where],
                    "far": table["far"].to_numpy()[where],
                    "far_basis": table["far_basis"].to_numpy()[where],
                    "land_use": kinds,
                    "parcel": parcel_label.to_numpy(),
                    "basis": "building",
                },
            )
        )
    empty = ~table.index.isin(parcel_label)
    if empty.any():
        rows = table[empty]
        parts.append(
            _points(
                pd.Index([f"parcel:{v}" for v in rows.index]),
                points[empty],
                parcels.crs,
                {**_columns(rows), "parcel": rows.index.to_numpy(), "basis": "parcel"},
            )
        )
    result = parts[0] if len(parts) == 1 else _concat(parts, parcels.crs)
    spread = {
        "buildings": len(homes),
        "parcels_with_buildings": int((~empty).sum()),
        "parcels_without_buildings": int(empty.sum()),
    }
    return result, spread


def _parcels_record(
    table: pd.DataFrame,
    land: LandUse,
    area: FloatArray,
    *,
    settings: Sequence[_Setting],
    class_column: str,
    far_column: str | None,
) -> dict[str, Any]:
    """Build the method record of a parcel estimate (see the module's docstring)."""
    kinds = land.kinds.to_numpy()
    by_kind: dict[str, dict[str, Any]] = {}
    for kind in KINDS:
        rows = kinds == kind
        if not rows.any():
            continue
        held = table[table["land_use"] == kind]
        by_kind[kind] = {
            "count": int(rows.sum()),
            "area_m2": float(area[rows].sum()),
            "floor_area_m2": float(held["floor_area_m2"].sum()),
            "people": float(held["population"].sum()),
        }
    total = float(table["population"].sum())
    excluded = {
        "non_residential": _kind_count(kinds, area, "non_residential"),
        "unknown_class": _kind_count(kinds, area, "unknown"),
    }
    used_kinds = set(table["land_use"])
    defaults = [
        s.record
        for s in settings
        if s.name == "persons_per_m2_floor" or any(FAR_PARAMETERS[k] == s.name for k in used_kinds)
    ]
    record: dict[str, Any] = {
        "source": "parcels",
        "method": {
            "en": "parcel area x floor-area ratio x persons per m2 of floor, on housing land",
            "zh": "地块面积 × 容积率 × 每平方米建筑面积人数，仅计居住类用地",
        },
        "defaults": defaults,
        "inputs": {
            "parcels": len(kinds),
            "class_column": class_column,
            "far_column": far_column,
            "scheme": land.scheme,
        },
        "parcels": by_kind,
        "far": {
            "column": int((table["far_basis"] == "column").sum()),
            "default": int((table["far_basis"] == "default").sum()),
        },
        "unknown_classes": list(land.unknown),
        "kept": {"count": len(table), "people": total},
        "excluded": excluded,
        "total": total,
        "calibration": None,
    }
    record["caveats"] = _parcels_caveats(record)
    return record


def _kind_count(kinds: NDArray[np.object_], area: FloatArray, kind: str) -> dict[str, Any]:
    rows = kinds == kind
    return {"count": int(rows.sum()), "area_m2": float(area[rows].sum()), "people": 0.0}


def _parcels_caveats(record: dict[str, Any]) -> list[dict[str, str]]:
    """Say what a reader must know about a parcel estimate, in Chinese and English."""
    used = {d["name"]: d["value"] for d in record["defaults"]}
    per_m2 = used["persons_per_m2_floor"]
    far_text = ", ".join(
        f"{name.removeprefix('far_')} {value:g}"
        for name, value in used.items()
        if name in FAR_PARAMETERS.values()
    )
    defaulted = record["far"]["default"]
    caveats = [
        {
            "zh": (
                f"人口为估算值：居住类地块面积 × 容积率 × 每平方米建筑面积 {per_m2:g} 人；"
                f"{defaulted:,} 个地块未给容积率，按用地类别的 geoplan 默认值计（{far_text}），"
                "非规划标准。"
            ),
            "en": (
                f"Population is estimated: housing parcel area x floor-area ratio x {per_m2:g} "
                f"persons per m2 of floor; {defaulted:,} parcels without a floor-area ratio "
                f"take geoplan's default for their class ({far_text}), not a planning standard."
            ),
        }
    ]
    other = record["excluded"]
    count = other["non_residential"]["count"] + other["unknown_class"]["count"]
    if count:
        unknown = record["unknown_classes"]
        caveats.append(
            {
                "zh": f"{other['non_residential']['count']:,} 个非居住地块和 "
                f"{other['unknown_class']['count']:,} 个类别无法识别的地块不计人口"
                + (f"（无法识别的类别：{'、'.join(unknown[:10])}）" if unknown else "")
                + "。",
                "en": f"{other['non_residential']['count']:,} non-residential parcels and "
                f"{other['unknown_class']['count']:,} parcels of unrecognised classes hold "
                "nobody" + (f" (unrecognised: {', '.join(unknown[:10])})" if unknown else "") + ".",
            }
        )
    return caveats


# ----------------------------------------------------------------- calibration
def calibrate_population(
    demand: gpd.GeoDataFrame,
    total: float,
    *,
    columns: Sequence[str] = (),
    warn_below: float = 0.5,
    warn_above: float = 2.0,
) -> tuple[gpd.GeoDataFrame, float]:
    """Scale every demand point so that the study's total equals a census figure.

    Every point's ``population`` (and each other count column a raster read
    recorded, e.g. age groups) is multiplied by ``factor = total / current
    total``, so the shares of the points are kept and the total is exactly
    ``total`` (e.g. the 七普 / 2020 census population of the study area).

    Parameters
    ----------
    demand
        Demand points with a ``population`` column whose total is positive.
    total
        The census population of the study area (persons).
    columns
        Further columns that count people (a population group's own column, such as
        ``age_60_plus``), scaled by the same factor as ``population``.
    warn_below, warn_above
        A factor outside ``[warn_below, warn_above]`` is extreme and warned
        about: the estimate and the census disagree by more than half or
        twice, so the census area and the study area may differ. geoplan
        defaults, not from a standard.

    Returns
    -------
    tuple of (geopandas.GeoDataFrame, float)
        A scaled copy (``attrs["population_total"]`` is ``total``;
        ``attrs["calibration_factor"]`` and the method record's
        ``calibration`` say what was done) and the factor.

    Raises
    ------
    InputError
        ``total`` is not a positive number, or the demand holds nobody.

    Warns
    -----
    GeoplanWarning
        The factor is extreme.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> d = gpd.GeoDataFrame({"population": [30.0, 10.0]}, geometry=[Point(0, 0), Point(1, 1)])
    >>> scaled, factor = calibrate_population(d, 60)
    >>> scaled["population"].tolist(), factor
    ([45.0, 15.0], 1.5)
    """
    census = _census_total(total)
    if "population" not in demand.columns:
        msg = (
            f"demand has no 'population' column (columns: {list(demand.columns)}); build it "
            "with population_from_buildings/_parcels/_raster/_register first"
        )
        raise InputError(msg)
    estimate = float(pd.to_numeric(demand["population"], errors="coerce").sum())
    if not estimate > 0:
        msg = (
            f"demand holds {estimate:g} people, so it cannot be scaled to the census total "
            f"{census:,.0f}; give demand with people in the study area first"
        )
        raise InputError(msg)
    factor = census / estimate
    scaled = demand.copy()
    counted = [c for c in [*_count_columns(demand), *columns] if c in demand.columns]
    for column in dict.fromkeys(["population", *counted]):
        scaled[column] = pd.to_numeric(demand[column], errors="coerce") * factor
    extreme = not warn_below <= factor <= warn_above
    calibration = {
        "census_total": census,
        "estimated_total": estimate,
        "factor": factor,
        "extreme": extreme,
        "warn_below": warn_below,
        "warn_above": warn_above,
    }
    record = copy.deepcopy(demand.attrs.get("population_method")) or {
        "source": demand.attrs.get("source"),
        "total": estimate,
        "caveats": [],
    }
    record["calibration"] = calibration
    record["caveats"] = [*record.get("caveats", []), _calibration_caveat(calibration)]
    scaled.attrs = {
        **copy.deepcopy(demand.attrs),
        "population_total": census,
        "calibration_factor": factor,
        "population_method": record,
    }
    if extreme:
        warnings.warn(
            f"the census total {census:,.0f} is {factor:.2f} times the estimate "
            f"{estimate:,.0f} (outside {warn_below:g}-{warn_above:g}); every point was scaled "
            "by that factor. Check that the census figure is for the study area itself (not "
            "the whole district or city) and that the estimate's buildings or parcels cover it",
            GeoplanWarning,
            stacklevel=2,
        )
    log.info("population scaled by %.4f to the census total %.0f", factor, census)
    return scaled, factor


def _census_total(total: Any) -> float:
    number = None
    if not isinstance(total, bool) and isinstance(total, int | float | np.number):
        number = float(total)
    if number is None or not math.isfinite(number) or number <= 0:
        msg = (
            f"the census total must be a positive number of people, got {total!r}; give the "
            "study area's census population, e.g. total=1234567 ([population] total = 1234567)"
        )
        raise InputError(msg)
    return number


def _calibration_caveat(calibration: Mapping[str, Any]) -> dict[str, str]:
    census, estimate = calibration["census_total"], calibration["estimated_total"]
    factor = calibration["factor"]
    zh = (
        f"人口已按普查总数 {census:,.0f} 人校准：估算总数 {estimate:,.0f} 人，"
        f"每个点乘以 {factor:.4f}。"
    )
    en = (
        f"Population was scaled to the census total {census:,.0f}: the estimate was "
        f"{estimate:,.0f}, every point multiplied by {factor:.4f}."
    )
    if calibration["extreme"]:
        zh += "系数偏离 1 过多，请核对普查数据的范围是否与研究区一致。"
        en += " The factor is extreme: check that the census area is the study area."
    return {"zh": zh, "en": en}


# ----------------------------------------------------------------- summaries and grids
def demand_summary(
    demand: gpd.GeoDataFrame, *, columns: Sequence[str] | None = None
) -> dict[str, Any]:
    """Summarise demand points: total population, number of points, sums by column.

    Parameters
    ----------
    demand
        Demand points with a ``population`` column (any function of this module).
    columns
        Count columns to sum; those a raster read recorded (``population`` and
        the age groups), else ``("population",)``.

    Returns
    -------
    dict
        ``total`` (persons), ``points``, ``by_column`` (column -> sum),
        ``crs`` (text, or None) and ``source`` (where the demand came from).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> d = gpd.GeoDataFrame({"population": [2.0, 3.5]}, geometry=[Point(0, 0), Point(1, 1)])
    >>> demand_summary(d)["total"]
    5.5
    """
    names = list(columns) if columns is not None else _count_columns(demand)
    _require_counts(demand, names)
    by_column = {name: float(pd.to_numeric(demand[name]).sum()) for name in names}
    return {
        "total": float(pd.to_numeric(demand["population"]).sum()),
        "points": len(demand),
        "by_column": by_column,
        "crs": None if demand.crs is None else pyproj.CRS.from_user_input(demand.crs).to_string(),
        "source": demand.attrs.get("source"),
    }


def _count_columns(demand: Any) -> list[str]:
    recorded = demand.attrs.get("count_columns")
    if recorded and all(c in demand.columns for c in recorded):
        return list(recorded)
    return ["population"]


def _require_counts(demand: Any, names: Sequence[str]) -> None:
    missing = [c for c in ("population", *names) if c not in demand.columns]
    if missing:
        msg = (
            f"demand has no column(s) {sorted(set(missing))}; columns: {list(demand.columns)}. "
            "Build demand with population_from_raster/_register/_buildings, or name the count "
            "columns"
        )
        raise InputError(msg)


def write_population_raster(
    demand: gpd.GeoDataFrame,
    path: str | os.PathLike[str],
    *,
    resolution_m: float,
    crs: Any = None,
    columns: Sequence[str] = ("population",),
) -> Path:
    """Sum demand points into a GeoTIFF grid, one float32 band per column, atomically.

    The grid is aligned to multiples of ``resolution_m`` and just covers the
    points; each point adds its values to the cell it falls in (cells are
    half-open: left and bottom edges included), so every band's total equals
    the column's total. Cells without points hold 0; the nodata value is
    declared (-99999) but not used.

    Parameters
    ----------
    demand
        Demand points (other geometries are represented by their centroids).
    path
        The GeoTIFF to (re)write; written to a temporary file and moved into place.
    resolution_m
        Cell size in metres.
    crs
        Projected CRS (metres) of the grid; the demand's CRS when omitted.
    columns
        Columns to grid, one band each, named by the band descriptions.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    CRSError
        The demand has no CRS, or the grid CRS is not projected in metres.
    InputError
        No points, a bad resolution, missing or negative values, or a grid
        too large for the resolution.

    Examples
    --------
    >>> import tempfile, pathlib, geopandas as gpd, rasterio
    >>> from shapely.geometry import Point
    >>> d = gpd.GeoDataFrame(
    ...     {"population": [2.0, 3.0]}, geometry=[Point(5, 5), Point(15, 5)], crs="EPSG:32651"
    ... )
    >>> out = write_population_raster(
    ...     d, pathlib.Path(tempfile.mkdtemp()) / "pop.tif", resolution_m=10
    ... )
    >>> with rasterio.open(out) as src:
    ...     float(src.read(1).sum()), src.shape
    (5.0, (1, 2))
    """
    res = _positive_metres(resolution_m)
    names, values, target = _grid_inputs(demand, columns, crs)
    centres = shapely.centroid(np.asarray(demand.geometry.values))
    x, y = shapely.get_x(centres), shapely.get_y(centres)
    source_crs = pyproj.CRS.from_user_input(demand.crs)
    if target != source_crs:
        x, y = pyproj.Transformer.from_crs(source_crs, target, always_xy=True).transform(x, y)
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        msg = "some demand points have no coordinates (missing or empty geometry); drop them first"
        raise InputError(msg)
    left = math.floor(float(x.min()) / res) * res
    bottom = math.floor(float(y.min()) / res) * res
    col = np.floor((x - left) / res).astype(np.int64)
    up = np.floor((y - bottom) / res).astype(np.int64)
    width, height = int(col.max()) + 1, int(up.max()) + 1
    check_memory(
        8.0 * width * height * max(1, len(names)),
        f"a {height:,} x {width:,} population raster at {res:g} m",
        "choose a coarser resolution_m",
    )
    if width * height > _MAX_CELLS:
        msg = (
            f"a {width}x{height} grid at {res:g} m is too large to write; choose a coarser "
            "resolution_m or split the demand"
        )
        raise InputError(msg)
    flat = (height - 1 - up) * width + col
    final = Path(path)
    with (
        atomic_path(final) as tmp,
        rasterio.open(
            tmp,
            "w",
            driver="GTiff",
            width=width,
            height=height,
            count=len(names),
            dtype="float32",
            crs=target.to_wkt(),
            transform=Affine(res, 0.0, left, 0.0, -res, bottom + height * res),
            nodata=NODATA,
            compress="deflate",
        ) as dst,
    ):
        for band, name in enumerate(names, start=1):
            grid = np.bincount(flat, weights=values[:, band - 1], minlength=width * height)
            dst.write(grid.reshape(height, width).astype(np.float32), band)
            dst.set_band_description(band, name)
            dst.update_tags(band, total=repr(float(values[:, band - 1].sum())))
    log.info(
        "wrote %s: %dx%d cells of %g m, %s, totals %s",
        final,
        width,
        height,
        res,
        target.to_string(),
        {n: float(values[:, i].sum()) for i, n in enumerate(names)},
    )
    return final


def _positive_metres(value: Any) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        msg = f"resolution_m must be a positive number of metres, got {value!r}; e.g. 100"
        raise InputError(msg)
    return float(value)


def _grid_inputs(
    demand: Any, columns: Sequence[str], crs: Any
) -> tuple[list[str], FloatArray, pyproj.CRS]:
    """Check what to grid: the columns, their values (rows x columns) and the grid CRS."""
    names = list(columns)
    if not names:
        msg = "columns must name at least one column, e.g. columns=('population',)"
        raise InputError(msg)
    missing = [c for c in names if c not in demand.columns]
    if missing:
        msg = f"demand has no column(s) {missing}; columns: {list(demand.columns)}"
        raise InputError(msg)
    if len(demand) == 0:
        msg = "demand has no points; nothing to write"
        raise InputError(msg)
    if demand.crs is None:
        msg = "demand has no CRS; set it first, e.g. demand.set_crs('EPSG:32651')"
        raise CRSError(msg)
    target = pyproj.CRS.from_user_input(demand.crs) if crs is None else _as_crs(crs, "crs")
    unit = target.axis_info[0].unit_name if target.axis_info else ""
    if not target.is_projected or unit not in _METRES:
        msg = (
            f"the grid needs a projected CRS in metres (resolution_m is in metres), got "
            f"{target.to_string()}; pass crs=, e.g. crs='EPSG:32651'"
        )
        raise CRSError(msg)
    values = np.column_stack(
        [pd.to_numeric(demand[c], errors="coerce").to_numpy(dtype=np.float64) for c in names]
    )
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        msg = (
            f"{int(bad.any(axis=1).sum())} demand rows have missing or negative values in "
            f"{names}; fill or drop them first, e.g. demand.dropna(subset={names})"
        )
        raise InputError(msg)
    return names, values, target
