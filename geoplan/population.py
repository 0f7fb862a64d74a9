"""Demand: where people live, as weighted points for coverage analysis.

Three sources of demand, each returning points with a ``population`` column
whose total is conserved from the source:

* :func:`population_from_raster` reads a population-count GeoTIFF (WorldPop,
  GHS-POP, a census grid) inside a study area. Only the raster window that
  overlaps the area is read. Every cell with people becomes a point at the
  cell's centre, weighted by the share of the cell's area inside the study
  area (computed exactly for the cells on the boundary), so the total is the
  raster's area-weighted sum inside the area in any pair of CRSs.
* :func:`population_from_register` spreads a community register (population
  per community) over each community's residential buildings by floor area.
* :func:`population_from_buildings` estimates people from building floor
  area alone (a documented default of persons per m^2 of floor).

:func:`demand_summary` reports the totals; :func:`write_population_raster`
sums demand points back into a GeoTIFF grid.

Every number this module assumes is a documented default in the standards'
parameters (``persons_per_m2_floor``, ``default_building_levels``), marked
``verification = "default"``, and can be passed explicitly instead.

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
import logging
import math
import os
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
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
from geoplan.standards import current_standards

if TYPE_CHECKING:
    import geopandas as gpd

    from geoplan.standards import Standards

__all__ = [
    "NON_RESIDENTIAL_BUILDING_TAGS",
    "demand_summary",
    "is_residential",
    "population_from_buildings",
    "population_from_raster",
    "population_from_register",
    "write_population_raster",
]

log = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

#: OSM ``building=*`` values that are obviously not homes. Buildings tagged with
#: one of these are left out of building-based estimates and register spreading
#: (compared case-insensitively on the ``building`` column). Untagged buildings
#: and ``building=yes`` are kept: in Chinese cities most homes are tagged ``yes``.
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
        # worship
        "church",
        "chapel",
        "cathedral",
        "mosque",
        "temple",
        "shrine",
        "synagogue",
        "religious",
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
        # farm and utility structures
        "barn",
        "cowshed",
        "stable",
        "sty",
        "greenhouse",
        "farm_auxiliary",
        "silo",
        "storage_tank",
        "water_tower",
        "transformer_tower",
        # sport and structures
        "stadium",
        "grandstand",
        "sports_hall",
        "sports_centre",
        "pavilion",
        "roof",
        "bridge",
        "bunker",
        "military",
        "construction",
        "ruins",
    }
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
def is_residential(buildings: gpd.GeoDataFrame) -> pd.Series:
    """Return True for buildings not tagged with an obviously non-residential use.

    A building counts as residential unless its ``building`` column (the OSM
    ``building=*`` value) is one of :data:`NON_RESIDENTIAL_BUILDING_TAGS`;
    without a ``building`` column every building counts.

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
    >>> b = gpd.GeoDataFrame({"building": ["yes", "retail", None]}, geometry=[box(0, 0, 1, 1)] * 3)
    >>> is_residential(b).tolist()
    [True, False, True]
    """
    if "building" not in buildings.columns:
        return pd.Series(True, index=buildings.index, dtype=bool)
    tags = buildings["building"].astype("string").str.strip().str.lower()
    return pd.Series(~tags.isin(NON_RESIDENTIAL_BUILDING_TAGS).fillna(False), dtype=bool)


def population_from_buildings(
    buildings: gpd.GeoDataFrame,
    *,
    persons_per_m2: float | None = None,
    default_levels: float | None = None,
    residential: Callable[[gpd.GeoDataFrame], Any] | None = None,
    standards: Standards | None = None,
) -> gpd.GeoDataFrame:
    """Estimate residents from building floor area.

    population = footprint area (m^2) x levels x persons per m^2 of floor.
    This is a geoplan default estimate, not a planning standard: it assumes
    every kept building is housing, so it overestimates wherever offices,
    shops or schools are not tagged as such. Buildings whose ``building`` tag
    is in :data:`NON_RESIDENTIAL_BUILDING_TAGS` are left out.

    Parameters
    ----------
    buildings
        Footprint polygons in a projected CRS in metres, with an optional
        ``levels`` column (missing, NaN or non-positive levels take
        ``default_levels``) and an optional ``building`` tag column.
    persons_per_m2
        Persons per m^2 of floor area; the standards' parameter
        ``persons_per_m2_floor`` (0.025, i.e. about 40 m^2 of housing floor per
        person; a documented default) when omitted.
    default_levels
        Levels of buildings without a level count; the standards' parameter
        ``default_building_levels`` (6, a documented default) when omitted.
    residential
        A function of the buildings returning a boolean mask of the homes;
        :func:`is_residential` (the tag filter) when omitted.
    standards
        Where the defaults are read; the package's standards when omitted.

    Returns
    -------
    geopandas.GeoDataFrame
        Building centroids (points), indexed like ``buildings`` (residential
        ones only), with ``population``, ``floor_area_m2`` and ``levels`` (as
        used). ``attrs`` holds ``population_total``, ``source``,
        ``persons_per_m2``, ``default_levels``, ``levels_defaulted`` and
        ``excluded`` (the number of non-residential buildings left out).

    Raises
    ------
    CRSError
        The buildings have no CRS, a geographic one, or one not in metres.
    InputError
        An option is not a positive number, or ``residential`` returns a bad mask.

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
    per_m2 = _positive(
        persons_per_m2, "persons_per_m2", std, "persons_per_m2_floor", example="0.025"
    )
    levels_default = _positive(
        default_levels, "default_levels", std, "default_building_levels", example="6"
    )
    _metric_crs(buildings, "buildings")
    mask = _residential_mask(buildings, residential)
    homes = buildings[mask]
    geoms = np.asarray(homes.geometry.values)
    usable = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not usable.all():
        log.warning("%d buildings without a geometry left out", int((~usable).sum()))
        homes, geoms = homes[usable], geoms[usable]
    levels, defaulted = _levels(homes, levels_default)
    floor = shapely.area(geoms) * levels
    result = _points(
        homes.index,
        shapely.centroid(geoms),
        buildings.crs,
        {"population": floor * per_m2, "floor_area_m2": floor, "levels": levels},
    )
    total = float(result["population"].sum())
    result.attrs.update(
        {
            "population_total": total,
            "source": "buildings",
            "persons_per_m2": per_m2,
            "default_levels": levels_default,
            "levels_defaulted": defaulted,
            "excluded": int((~mask).sum()),
        }
    )
    log.info(
        "building estimate: %d homes (%d non-residential left out, %d without levels given %g), "
        "%.0f m2 of floor x %g persons/m2 = %.1f persons",
        len(result),
        int((~mask).sum()),
        defaulted,
        levels_default,
        float(floor.sum()),
        per_m2,
        total,
    )
    return result


def _positive(
    value: float | None, name: str, std: Standards, parameter: str, *, example: str
) -> float:
    if value is None:
        return std.parameter(parameter).low
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        msg = f"{name} must be a positive number, got {value!r}; e.g. {name}={example}"
        raise InputError(msg)
    return float(value)


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


def _levels(buildings: gpd.GeoDataFrame, default: float) -> tuple[FloatArray, int]:
    if "levels" in buildings.columns:
        levels = pd.to_numeric(buildings["levels"], errors="coerce").to_numpy(dtype=np.float64)
    else:
        levels = np.full(len(buildings), np.nan)
    missing = ~np.isfinite(levels) | (levels <= 0)
    return np.where(missing, default, levels), int(missing.sum())


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
    levels_default = _positive(
        default_levels, "default_levels", std, "default_building_levels", example="6"
    )
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
    levels, _ = _levels(homes, levels_default)
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
