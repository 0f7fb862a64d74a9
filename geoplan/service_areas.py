"""Service areas: the ground within a walk of facilities, correct by construction.

The study area is covered by a grid of ``cell_m`` cells. Each cell is attached
to the street location nearest to its centre (the same edge snapping as
everything else); a cell belongs to a service area when that street location
is reached within the cutoff and lies within ``buffer_m - cell_m * sqrt(2) / 2``
of the centre. So every point of a polygon is within ``buffer_m`` of a point
of the network that the engine reaches within the cutoff: no polygon claims
ground beyond that, whatever the shape of the network (a convex hull of the
reached nodes does, across rivers and railways). Ground whose nearest street
is not reached is left out, so areas stop at a river even where a reached
street runs along the far bank.

Modes:

``"per_facility"``
    one polygon per facility and cutoff (they may overlap);
``"dissolved"``
    one polygon per cutoff: the ground within the cutoff of any facility;
``"split"``
    per cutoff, the dissolved area divided among facilities, each cell going
    to its nearest facility (pieces never overlap; their union is the
    dissolved area);
``"rings"``
    the dissolved areas cut into bands between consecutive cutoffs
    (0-5, 5-10, 10-15 minutes).

Polygons trace the grid, so their edges are stair-stepped at ``cell_m``.

Examples
--------
>>> import geoplan
>>> city = geoplan.datasets.synthetic_city(area_km2=1.0, seed=1)
>>> net = city.network()
>>> clinics = city.facilities[city.facilities["category"] == "pharmacy"]
>>> areas = geoplan.service_areas(net, clinics, minutes=[5, 10], mode="rings")
>>> list(areas["from_minutes"]), list(areas["cutoff_minutes"])
([0.0, 5.0], [5.0, 10.0])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from rasterio.features import shapes
from rasterio.transform import Affine
from scipy.spatial import cKDTree

from geoplan._errors import InputError
from geoplan.network import Network, SnappedPoints
from geoplan.settings import settings

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["Mode", "service_areas"]

Mode = Literal["per_facility", "dissolved", "split", "rings"]
_MODES = ("per_facility", "dissolved", "split", "rings")
_TILE = 32  # cells per tile side when deciding which part of the grid is needed

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def service_areas(
    network: Network,
    facilities: Any,
    *,
    minutes: float | Sequence[float] | None = None,
    distance_m: float | Sequence[float] | None = None,
    mode: Mode = "per_facility",
    buffer_m: float | None = None,
    cell_m: float | None = None,
    demand: Any = None,
    population: str = "population",
) -> gpd.GeoDataFrame:
    """Polygons of the ground within one or several cutoffs of facilities.

    Parameters
    ----------
    network
        The travel network.
    facilities
        Facility points (GeoDataFrame or GeoSeries in the network CRS).
    minutes, distance_m
        One cutoff or several (exactly one of the two arguments).
    mode
        ``"per_facility"``, ``"dissolved"``, ``"split"`` or ``"rings"``.
    buffer_m
        How far polygons extend beside reached streets;
        ``settings.service_area_buffer_m`` (100 m) by default.
    cell_m
        Grid resolution; ``settings.service_area_cell_m`` (10 m) by default.
    demand
        Optional demand points; each polygon then gets the population inside it.
    population
        Column of ``demand`` holding population; each point counts 1 when absent.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per polygon: ``facility`` (the facility's index label; None
        for dissolved areas and rings), ``from_minutes``/``cutoff_minutes``
        (NaN when cutoffs were given in metres), ``from_m``/``cutoff_m``,
        ``area_m2``, ``population`` (with ``demand``) and the geometry, in the
        network CRS. Facilities that reach nothing keep a row with an empty
        polygon.
    """
    if mode not in _MODES:
        msg = f"mode={mode!r} is not one of {', '.join(_MODES)}"
        raise InputError(msg)
    cutoffs = _cutoffs(network, minutes, distance_m)
    buffer, cell = _buffer_and_cell(buffer_m, cell_m)
    fac = network.snap(facilities)
    if len(fac) == 0 or not fac.reachable.any():
        msg = (
            "no facility to draw service areas from: the set is empty or every facility lies "
            "beyond max_snap_m of the network"
        )
        raise InputError(msg)
    labels = _facility_labels(facilities, len(fac))
    grid = _Grid.around(network, fac, radius=cutoffs[-1][1] + buffer, cell=cell)
    cells = network.snap_xy(grid.x, grid.y, max_snap_m=buffer - cell * math.sqrt(2) / 2)
    job = _Job(network, fac, cells, grid, cutoffs, labels)
    rows = _per_facility(job) if mode == "per_facility" else _from_nearest(job, mode)
    return _frame(rows, network, demand, population)


# ----------------------------------------------------------------- inputs
def _cutoffs(
    network: Network,
    minutes: float | Sequence[float] | None,
    distance_m: float | Sequence[float] | None,
) -> list[tuple[float, float]]:
    """Sorted (minutes or NaN, metres) pairs."""
    if (minutes is None) == (distance_m is None):
        msg = "give the cutoffs as exactly one of minutes=[5, 10, 15] or distance_m=[300, 600]"
        raise InputError(msg)
    given = minutes if minutes is not None else distance_m
    values: list[Any] = [given] if isinstance(given, int | float) else list(given or [])
    if not values:
        msg = "the list of cutoffs is empty; e.g. minutes=[5, 10, 15]"
        raise InputError(msg)
    pairs = []
    for value in values:
        if minutes is not None:
            metres = network.cutoff_m(minutes=value)
            pairs.append((float(value), metres))
        else:
            pairs.append((math.nan, network.cutoff_m(distance_m=value)))
        if not math.isfinite(pairs[-1][1]):
            msg = "service areas need finite cutoffs"
            raise InputError(msg)
    return sorted(set(pairs), key=lambda p: p[1])


def _buffer_and_cell(buffer_m: float | None, cell_m: float | None) -> tuple[float, float]:
    buffer = float(settings.service_area_buffer_m if buffer_m is None else buffer_m)
    cell = float(settings.service_area_cell_m if cell_m is None else cell_m)
    if not (math.isfinite(cell) and cell > 0):
        msg = f"cell_m={cell_m!r} must be a positive number of metres, e.g. 10"
        raise InputError(msg)
    if not (math.isfinite(buffer) and buffer > cell * math.sqrt(2) / 2):
        msg = (
            f"buffer_m={buffer:g} must be larger than half a cell's diagonal "
            f"({cell * math.sqrt(2) / 2:.1f} m for cell_m={cell:g}); e.g. buffer_m=100"
        )
        raise InputError(msg)
    return buffer, cell


def _facility_labels(facilities: Any, n: int) -> list[Any]:
    index = getattr(facilities, "index", None)
    return list(index) if index is not None and len(index) == n else list(range(n))


# ----------------------------------------------------------------- the grid
@dataclass(frozen=True)
class _Grid:
    """The cells of a regular grid near facilities: centres and raster positions."""

    left: float
    top: float
    cell: float
    n_rows: int
    n_cols: int
    row: IntArray
    col: IntArray

    @classmethod
    def around(cls, network: Network, fac: SnappedPoints, *, radius: float, cell: float) -> _Grid:
        """Cells within ``radius`` of a facility and inside the network's extent."""
        fx, fy = fac.x[fac.reachable], fac.y[fac.reachable]
        left_n, bottom_n, right_n, top_n = network.bounds
        left = math.floor(max(fx.min() - radius, left_n - radius) / cell) * cell
        bottom = math.floor(max(fy.min() - radius, bottom_n - radius) / cell) * cell
        right = min(fx.max() + radius, right_n + radius)
        top = math.ceil(min(fy.max() + radius, top_n + radius) / cell) * cell
        n_rows = max(1, math.ceil((top - bottom) / cell))
        n_cols = max(1, math.ceil((right - left) / cell))
        tile_rows, tile_cols = -(-n_rows // _TILE), -(-n_cols // _TILE)
        tr, tc = np.divmod(np.arange(tile_rows * tile_cols), tile_cols)
        tile_x = left + (tc + 0.5) * _TILE * cell
        tile_y = top - (tr + 0.5) * _TILE * cell
        half_diag = _TILE * cell * math.sqrt(2) / 2
        near, _ = cKDTree(np.column_stack([fx, fy])).query(
            np.column_stack([tile_x, tile_y]), distance_upper_bound=radius + half_diag
        )
        keep = np.flatnonzero(np.isfinite(near))
        within = np.arange(_TILE * _TILE)
        row = (tr[keep][:, None] * _TILE + within[None, :] // _TILE).ravel()
        col = (tc[keep][:, None] * _TILE + within[None, :] % _TILE).ravel()
        inside = (row < n_rows) & (col < n_cols)
        return cls(left, top, cell, n_rows, n_cols, row[inside], col[inside])

    @property
    def x(self) -> FloatArray:
        """Cell-centre x coordinates."""
        return np.asarray(self.left + (self.col + 0.5) * self.cell, dtype=np.float64)

    @property
    def y(self) -> FloatArray:
        """Cell-centre y coordinates."""
        return np.asarray(self.top - (self.row + 0.5) * self.cell, dtype=np.float64)

    def polygons(self, cells: IntArray, values: IntArray) -> dict[int, Any]:
        """Trace cells carrying positive integer values into one (Multi)Polygon per value."""
        if cells.size == 0:
            return {}
        r, c = self.row[cells], self.col[cells]
        r0, c0 = int(r.min()), int(c.min())
        raster = np.zeros((int(r.max()) - r0 + 1, int(c.max()) - c0 + 1), dtype=np.int32)
        raster[r - r0, c - c0] = values
        transform = Affine(
            self.cell, 0.0, self.left + c0 * self.cell, 0.0, -self.cell, self.top - r0 * self.cell
        )
        pieces: dict[int, list[Any]] = {}
        for geometry, value in shapes(raster, mask=raster > 0, connectivity=4, transform=transform):
            pieces.setdefault(int(value), []).append(shapely.geometry.shape(geometry))
        return {value: _multipolygon(parts) for value, parts in pieces.items()}


def _multipolygon(parts: list[Any]) -> Any:
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


# ----------------------------------------------------------------- modes
_Row = tuple[
    Any, float, float, float, float, Any
]  # facility, from_min, cutoff_min, from_m, cutoff_m, geom


@dataclass(frozen=True)
class _Job:
    """Everything one call traces: the network, facilities, grid cells and cutoffs."""

    network: Network
    fac: SnappedPoints
    cells: SnappedPoints
    grid: _Grid
    cutoffs: list[tuple[float, float]]  # (minutes or NaN, metres), ascending
    labels: list[Any]


def _from_minutes(minutes: float) -> float:
    return math.nan if math.isnan(minutes) else 0.0


def _per_facility(job: _Job) -> list[_Row]:
    network, fac, cells, grid, cutoffs, labels = (
        job.network,
        job.fac,
        job.cells,
        job.grid,
        job.cutoffs,
        job.labels,
    )
    # the engine counts the cells' access legs; the street distance is what matters here
    reach = network.reach(fac, distance_m=cutoffs[-1][1] + cells.max_snap_m, targets=cells)
    matrix = reach.targets
    assert matrix is not None
    empty = shapely.Polygon()
    rows: list[_Row] = []
    for i, label in enumerate(labels):
        start, stop = matrix.indptr[i], matrix.indptr[i + 1]
        ids = np.asarray(matrix.indices[start:stop], dtype=np.int64)
        street = matrix.data[start:stop] - cells.access_m[ids]
        for minutes, metres in cutoffs:
            inside = ids[street <= metres]
            geometry = grid.polygons(inside, np.ones(len(inside), dtype=np.int64)).get(1, empty)
            rows.append((label, _from_minutes(minutes), minutes, 0.0, metres, geometry))
    return rows


def _from_nearest(job: _Job, mode: str) -> list[_Row]:
    network, fac, cells, grid, cutoffs, labels = (
        job.network,
        job.fac,
        job.cells,
        job.grid,
        job.cutoffs,
        job.labels,
    )
    nearest = network.nearest(fac, distance_m=cutoffs[-1][1] + cells.max_snap_m, targets=cells)
    assert nearest.target_distance_m is not None
    assert nearest.target_source is not None
    street = nearest.target_distance_m - np.where(cells.reachable, cells.access_m, 0.0)
    reached = np.flatnonzero(np.isfinite(street))
    street, source = street[reached], nearest.target_source[reached]
    empty = shapely.Polygon()
    rows: list[_Row] = []
    if mode == "rings":
        band = np.searchsorted([m for _, m in cutoffs], street, side="left") + 1
        traced = grid.polygons(reached, band)
        previous = (0.0, 0.0)
        for k, (minutes, metres) in enumerate(cutoffs, start=1):
            rows.append((None, previous[0], minutes, previous[1], metres, traced.get(k, empty)))
            previous = (minutes, metres)
        return rows
    for minutes, metres in cutoffs:
        inside = street <= metres
        from_minutes = _from_minutes(minutes)
        if mode == "dissolved":
            geometry = grid.polygons(
                reached[inside], np.ones(int(inside.sum()), dtype=np.int64)
            ).get(1, empty)
            rows.append((None, from_minutes, minutes, 0.0, metres, geometry))
        else:  # split
            traced = grid.polygons(reached[inside], source[inside] + 1)
            rows.extend(
                (label, from_minutes, minutes, 0.0, metres, traced.get(i + 1, empty))
                for i, label in enumerate(labels)
            )
    return rows


# ----------------------------------------------------------------- output
def _frame(rows: list[_Row], network: Network, demand: Any, population: str) -> gpd.GeoDataFrame:
    import geopandas as gpd

    frame = gpd.GeoDataFrame(
        {
            "facility": pd.Series([r[0] for r in rows], dtype=object),
            "from_minutes": [r[1] for r in rows],
            "cutoff_minutes": [r[2] for r in rows],
            "from_m": [r[3] for r in rows],
            "cutoff_m": [r[4] for r in rows],
        },
        geometry=[r[5] for r in rows],
        crs=network.crs,
    )
    frame["area_m2"] = frame.geometry.area
    if demand is not None:
        frame["population"] = _population_inside(frame, demand, population, network)
    return frame


def _population_inside(
    frame: gpd.GeoDataFrame, demand: Any, column: str, network: Network
) -> FloatArray:
    import geopandas as gpd

    points = demand if isinstance(demand, gpd.GeoDataFrame) else gpd.GeoDataFrame(geometry=demand)
    if points.crs is None or not network.crs.equals(points.crs):
        msg = f"demand must be in the network CRS {network.crs.to_string()}; use demand.to_crs(...)"
        raise InputError(msg)
    weights = (
        pd.to_numeric(points[column], errors="coerce").fillna(0.0).to_numpy()
        if column in points
        else np.ones(len(points))
    )
    centroids = shapely.centroid(np.asarray(points.geometry.values))
    tree = shapely.STRtree(centroids)
    totals = np.zeros(len(frame))
    for i, geometry in enumerate(frame.geometry):
        if geometry is None or geometry.is_empty:
            continue
        hits = tree.query(geometry, predicate="contains")
        totals[i] = weights[hits].sum()
    return totals
