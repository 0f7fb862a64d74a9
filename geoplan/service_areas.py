"""Service areas: the ground within a walk of facilities, correct by construction.

A service area is the reached network buffered by ``buffer_m``: the reached
streets, including the reachable part of streets cut by the cutoff, widened
on both sides. It is built on a grid of ``cell_m`` cells: points are sampled
along every reached edge (at most a cell apart, each with its exact
network distance), the cells holding samples within the cutoff are marked,
and a cell is in the area when its centre lies within
``buffer_m - cell_m * sqrt(2)`` of a marked cell's centre (an exact disk
dilation, :func:`disk_dilation`; a Euclidean distance transform where the
area is split among facilities). Many areas (every community's life circles)
are traced together in few passes over one mosaic. So every point of a
polygon is within ``buffer_m`` of a point of the network reached within the
cutoff: no polygon claims ground beyond that, whatever the shape of the
network (a convex hull of the reached nodes does, across rivers and railways).

Modes:

``"per_facility"``
    one polygon per facility and cutoff (they may overlap);
``"dissolved"``
    one polygon per cutoff: the ground within the cutoff of any facility;
``"split"``
    per cutoff, the dissolved area divided among facilities: each cell goes
    to the facility of the nearest reached street point (pieces never
    overlap; their union is the dissolved area);
``"rings"``
    the dissolved areas cut into bands between consecutive cutoffs
    (0-5, 5-10, 10-15 minutes).

Polygons trace the grid, so their edges are stair-stepped at ``cell_m``.

Examples
--------
>>> import geoplan
>>> city = geoplan.datasets.synthetic_city(area_km2=1.0, seed=1)
>>> net = city.network()
>>> shops = city.facilities[city.facilities["category"] == "pharmacy"]
>>> areas = geoplan.service_areas(net, shops, minutes=[5, 10], mode="rings")
>>> list(areas["from_minutes"]), list(areas["cutoff_minutes"])
([0.0, 5.0], [5.0, 10.0])
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import rasterio
import shapely
from numpy.typing import NDArray
from rasterio.features import shapes
from rasterio.transform import Affine
from scipy.ndimage import distance_transform_edt

from geoplan._errors import InputError
from geoplan._segments import expand_ranges, sorted_unique
from geoplan._validate import check_memory
from geoplan.network import Network, SnappedPoints
from geoplan.settings import settings

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["Mode", "group_areas", "service_areas"]

Mode = Literal["per_facility", "dissolved", "split", "rings"]
_MODES = ("per_facility", "dissolved", "split", "rings")

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

_Row = tuple[
    Any, float, float, float, float, Any
]  # facility, from_min, cutoff_min, from_m, cutoff_m, geom


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
    grid = _Grid.make(buffer_m, cell_m)
    fac = network.snap(facilities)
    if len(fac) == 0 or not fac.reachable.any():
        msg = (
            "no facility to draw service areas from: the set is empty or every facility lies "
            "beyond max_snap_m of the network"
        )
        raise InputError(msg)
    labels = _facility_labels(facilities, len(fac))
    with rasterio.Env():  # one GDAL environment for all the tracing
        if mode == "per_facility":
            rows = _per_facility(network, fac, labels, cutoffs, grid)
        else:
            rows = _from_nearest(network, fac, labels, cutoffs, grid, mode=mode)
    return _frame(rows, network, demand, population)


def group_areas(
    network: Network,
    points: Any,
    groups: Sequence[Any] | NDArray[Any],
    *,
    minutes: float | Sequence[float] | None = None,
    distance_m: float | Sequence[float] | None = None,
    buffer_m: float | None = None,
    cell_m: float | None = None,
) -> gpd.GeoDataFrame:
    """Dissolved areas within the cutoffs of each group of points, e.g. a community's homes.

    Parameters
    ----------
    network
        The travel network.
    points
        Points (GeoDataFrame/GeoSeries in the network CRS) or SnappedPoints.
    groups
        The group label of each point.
    minutes, distance_m, buffer_m, cell_m
        As for :func:`service_areas`.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``group``, ``cutoff_minutes``, ``cutoff_m``, ``area_m2`` and
        geometry; one row per group and cutoff, empty polygons for groups
        whose points are all beyond the snap limit.
    """
    cutoffs = _cutoffs(network, minutes, distance_m)
    grid = _Grid.make(buffer_m, cell_m)
    snapped = network.snap(points)
    labels = np.asarray(groups, dtype=object)
    if len(labels) != len(snapped):
        msg = f"groups has {len(labels)} labels for {len(snapped)} points; give one label per point"
        raise InputError(msg)
    metres = [m for _, m in cutoffs]
    tracer = _Tracer()
    scratch = _NodeScratch(network.n_nodes)
    queued: list[tuple[Any, list[int]]] = []
    codes, uniques = pd.factorize(labels, use_na_sentinel=False)  # in order of appearance
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    with rasterio.Env():
        for k, label in enumerate(uniques):
            positions = order[bounds[k] : bounds[k + 1]]
            members = snapped.take(positions[snapped.reachable[positions]])
            if len(members) == 0:
                queued.append((label, [tracer.add(None) for _ in cutoffs]))
                continue
            samples = _group_samples(network, members, metres[-1], grid, scratch)
            queued.append((label, [tracer.add(t) for t in grid.tiles(samples, metres)]))
        tracer.flush()  # every group's circles in few tracings
        empty = shapely.Polygon()
        rows: list[_Row] = [
            (label, _from_minutes(minutes), minutes, 0.0, m, tracer.traced(handle).get(1, empty))
            for label, handles in queued
            for (minutes, m), handle in zip(cutoffs, handles, strict=True)
        ]
    frame = _frame(rows, network, None, "")
    return frame.rename(columns={"facility": "group"}).drop(columns=["from_minutes", "from_m"])


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
        if pairs[-1][1] <= 0:
            msg = (
                f"a cutoff of {value!r} reaches nothing: a service area needs a positive "
                "cutoff, e.g. minutes=[5, 10, 15]"
            )
            raise InputError(msg)
    return sorted(set(pairs), key=lambda p: p[1])


def _facility_labels(facilities: Any, n: int) -> list[Any]:
    index = getattr(facilities, "index", None)
    return list(index) if index is not None and len(index) == n else list(range(n))


# ----------------------------------------------------------------- reached samples
@dataclass(frozen=True)
class _Samples:
    """Points of the network reached within the largest cutoff, with their distance."""

    x: FloatArray
    y: FloatArray
    dist: FloatArray
    owner: IntArray  # which facility reaches the point first (-1 when not tracked)


def _reached_samples(
    network: Network,
    node_dist: FloatArray,
    node_owner: IntArray | None,
    fac: SnappedPoints,
    *,
    spacing: float,
    limit: float,
    reached: IntArray | None = None,
) -> _Samples:
    """Sample the edges around reached nodes and facilities; keep points within ``limit``.

    ``reached`` are the nodes of finite ``node_dist`` when the caller knows them.
    """
    if reached is None:
        reached = np.flatnonzero(np.isfinite(node_dist))
    around = network.incident_edges(reached)
    edges = sorted_unique(np.concatenate([around, fac.edge[fac.reachable]]))
    x, y, edge, t = network._segments.samples(edges, spacing)
    t = np.minimum(t, network.length_m[edge])
    u, v = network.edge_u[edge], network.edge_v[edge]
    # trips run from the samples to the facilities, as the searches do (to_sources)
    leg_u, leg_v = network.point_legs(edge, t, leaving=True)
    via_u = node_dist[u] + leg_u
    via_v = node_dist[v] + leg_v
    dist = np.minimum(via_u, via_v)
    owner = (
        np.where(via_u <= via_v, node_owner[u], node_owner[v])
        if node_owner is not None
        else np.full(len(dist), -1, dtype=np.int64)
    )
    _along_facility_edges(network, fac, edge, t, dist=dist, owner=owner)
    keep = dist <= limit
    return _Samples(x[keep], y[keep], dist[keep], owner[keep])


def _along_facility_edges(
    network: Network,
    fac: SnappedPoints,
    edge: IntArray,
    t: FloatArray,
    *,
    dist: FloatArray,
    owner: IntArray,
) -> None:
    """Shorten distances of samples on a facility's own edge (no end node passed)."""
    ids = np.flatnonzero(fac.reachable)
    ids = ids[np.argsort(fac.edge[ids], kind="stable")]
    lo = np.searchsorted(fac.edge[ids], edge, side="left")
    hi = np.searchsorted(fac.edge[ids], edge, side="right")
    counts = hi - lo
    if not counts.any():
        return
    sample = np.repeat(np.arange(len(edge)), counts)
    facility = ids[expand_ranges(lo, counts)]
    along = network.along_edge(edge[sample], t[sample], fac.offset_m[facility])
    direct = fac.access_m[facility] + along
    order = np.lexsort((facility, direct, sample))
    sample, facility, direct = sample[order], facility[order], direct[order]
    first = np.ones(len(sample), dtype=bool)
    first[1:] = sample[1:] != sample[:-1]
    sample, facility, direct = sample[first], facility[first], direct[first]
    better = direct < dist[sample]
    dist[sample[better]] = direct[better]
    owner[sample[better]] = facility[better]


# ----------------------------------------------------------------- the grid
@dataclass(frozen=True)
class _Grid:
    """A world-aligned grid: cell (i, j) spans x in [j, j+1) * cell and y in (-(i+1), -i] * cell."""

    cell: float
    buffer: float

    @classmethod
    def make(cls, buffer_m: float | None, cell_m: float | None) -> _Grid:
        buffer = float(settings.service_area_buffer_m if buffer_m is None else buffer_m)
        cell = float(settings.service_area_cell_m if cell_m is None else cell_m)
        if not (math.isfinite(cell) and cell > 0):
            msg = f"cell_m={cell_m!r} must be a positive number of metres, e.g. 10"
            raise InputError(msg)
        if not (math.isfinite(buffer) and buffer > cell * math.sqrt(2)):
            msg = (
                f"buffer_m={buffer:g} must be larger than a cell's diagonal "
                f"({cell * math.sqrt(2):.1f} m for cell_m={cell:g}); e.g. buffer_m=100"
            )
            raise InputError(msg)
        return cls(cell, buffer)

    @property
    def spacing(self) -> float:
        """Distance between samples along edges: one cell (the buffer fills the gaps)."""
        return self.cell

    @property
    def reach_cells(self) -> float:
        """Centre-to-centre distance, in cells, from a marked cell to a cell in the area.

        A sample lies within half a diagonal of its cell's centre, and every
        point of a cell within half a diagonal of that cell's centre: a cell
        whose centre is ``buffer - diagonal`` from a marked centre is wholly
        within ``buffer`` of the sample.
        """
        return (self.buffer - self.cell * math.sqrt(2)) / self.cell

    def areas(
        self, samples: _Samples, cutoffs: list[float], *, split: bool = False
    ) -> list[dict[int, Any]]:
        """Trace, per cutoff, the cells within the buffer of samples within the cutoff.

        Returns one ``{label: polygon}`` per cutoff: label 1 for the whole area,
        or facility number + 1 with ``split``.
        """
        tracer = _Tracer()
        tiles = self.tiles(samples, cutoffs, split=split)
        return [tracer.traced(tracer.add(tile)) for tile in tiles]

    def tiles(
        self, samples: _Samples, cutoffs: list[float], *, split: bool = False
    ) -> list[_Tile | None]:
        """Rasterise, per cutoff, the cells within the buffer of samples within the cutoff.

        Returns one label raster per cutoff (None when no sample is within
        it): 1 in the area, or facility number + 1 with ``split``, 0 outside.
        """
        if len(samples.dist) == 0:
            return [None for _ in cutoffs]
        margin = math.ceil(self.reach_cells) + 1
        i = np.floor(-samples.y / self.cell).astype(np.int64)
        j = np.floor(samples.x / self.cell).astype(np.int64)
        i0, j0 = int(i.min()) - margin, int(j.min()) - margin
        shape = (int(i.max()) - i0 + margin + 1, int(j.max()) - j0 + margin + 1)
        check_memory(
            40.0 * shape[0] * shape[1],  # distances, owners, the distance transform, labels
            f"a {shape[0]:,} x {shape[1]:,} service-area grid of {self.cell:g} m cells",
            "raise settings.service_area_cell_m, or shorten the cutoff",
        )
        # a split area keeps each cell's nearest sample (its distance and owner); a whole
        # area only which cells hold a sample within each cutoff
        dist2 = owner2 = None
        if split:
            dist2, owner2 = _nearest_in_cells(samples, (i - i0) * shape[1] + (j - j0), shape)
        tiles: list[_Tile | None] = []
        for cutoff in cutoffs:
            # only the part of the window around samples within this cutoff
            inside = samples.dist <= cutoff
            if not inside.any():
                tiles.append(None)
                continue
            r0, r1 = int(i[inside].min()) - i0 - margin, int(i[inside].max()) - i0 + margin + 1
            c0, c1 = int(j[inside].min()) - j0 - margin, int(j[inside].max()) - j0 + margin + 1
            labels: NDArray[np.int32] | BoolArray
            if dist2 is not None and owner2 is not None:
                marked = dist2[r0:r1, c0:c1] <= cutoff
                gap, (ri, rj) = distance_transform_edt(~marked, return_indices=True)
                labels = np.where(
                    gap <= self.reach_cells, owner2[r0:r1, c0:c1][ri, rj] + 1, 0
                ).astype(np.int32)
            else:  # a cell is marked when any of its samples is within the cutoff
                marked = np.zeros((r1 - r0, c1 - c0), dtype=bool)
                marked[i[inside] - i0 - r0, j[inside] - j0 - c0] = True
                labels = disk_dilation(marked, self.reach_cells)
            x0, y0 = (j0 + c0) * self.cell, -(i0 + r0) * self.cell
            transform = Affine(self.cell, 0.0, x0, 0.0, -self.cell, y0)
            tiles.append(_Tile(labels, transform))  # (a whole area stays boolean: 1 byte a cell)
        return tiles


def _nearest_in_cells(
    samples: _Samples, flat: IntArray, shape: tuple[int, int]
) -> tuple[FloatArray, IntArray]:
    """Each cell's nearest sample: its distance (inf where none) and owner (-1 where none)."""
    dist = np.full(shape[0] * shape[1], np.inf)
    owner = np.full(shape[0] * shape[1], -1, dtype=np.int64)
    order = np.lexsort((samples.dist, flat))
    first = np.ones(len(order), dtype=bool)
    first[1:] = flat[order][1:] != flat[order][:-1]
    best = order[first]
    dist[flat[best]] = samples.dist[best]
    owner[flat[best]] = samples.owner[best]
    return dist.reshape(shape), owner.reshape(shape)


def disk_dilation(marked: BoolArray, radius: float) -> BoolArray:
    """Cells whose centre is within ``radius`` cells of a marked cell's centre.

    The same cells as ``distance_transform_edt(~marked) <= radius`` (which
    measures the distance to the nearest marked cell as
    ``sqrt(di**2 + dj**2)``), found without the transform: the disk is cut
    into rows, each row a run of cells; every row of marks is widened by each
    run's half-width (:func:`_widened_rows`) and shifted into place.

    Parameters
    ----------
    marked
        A 2-D boolean raster.
    radius
        The distance in cells (centre to centre).

    Returns
    -------
    numpy.ndarray
        A boolean raster of the shape of ``marked``.

    Examples
    --------
    >>> marked = np.zeros((5, 5), dtype=bool)
    >>> marked[2, 2] = True
    >>> disk_dilation(marked, 1.5).astype(int)
    array([[0, 0, 0, 0, 0],
           [0, 1, 1, 1, 0],
           [0, 1, 1, 1, 0],
           [0, 1, 1, 1, 0],
           [0, 0, 0, 0, 0]])
    """
    out = np.zeros(marked.shape, dtype=bool)
    if radius < 0 or not marked.any():
        return out
    halves = _disk_rows(float(radius))
    rows = marked.shape[0]
    # one widening at a time, shifted into every row of the disk that has its half-width
    for half, run in _widened_rows(marked, sorted(set(halves.values()))):
        for di in (di for di, h in halves.items() if h == half):
            if di >= 0:
                out[di:] |= run[: rows - di]
            else:
                out[:di] |= run[-di:]
    return out


@functools.lru_cache(maxsize=64)
def _disk_rows(radius: float) -> dict[int, int]:
    """``{row offset: half-width}`` of the cells within ``radius`` cells of a centre (radius >= 0).

    Measured as the distance transform measures, ``sqrt(di**2 + dj**2)``; one
    disk serves every raster dilated by the same radius (every community's circles).
    """
    reach = math.floor(radius)
    steps = np.arange(reach + 1, dtype=np.float64)
    halves = {}
    for di in range(-reach, reach + 1):
        within = np.sqrt(float(di * di) + steps * steps) <= radius  # as the transform measures
        if within.any():
            halves[di] = int(np.flatnonzero(within).max())
    return halves


def _widened_rows(marked: BoolArray, halves: list[int]) -> Iterator[tuple[int, BoolArray]]:
    """For each half-width ``w``: whether any cell ``j - w .. j + w`` of the row is marked.

    Yielded one at a time (``w``, the raster), so that only one is held at once.

    Runs of a power of two are OR-ed from runs half as long; a run of any
    length is the OR of two overlapping runs of the largest power of two in it.
    """
    widest = max(halves)
    cols = marked.shape[1]
    padded = np.zeros((marked.shape[0], cols + 2 * widest), dtype=bool)
    padded[:, widest : widest + cols] = marked
    runs = {1: padded}  # runs[p][:, k]: any of padded[:, k : k + p]
    length = 1
    while 2 * length <= 2 * widest + 1:
        shorter = runs[length]
        runs[2 * length] = shorter[:, :-length] | shorter[:, length:]
        length *= 2
    for half in halves:
        size = 2 * half + 1
        power = 1 << (size.bit_length() - 1)
        start = widest - half  # padded column of cell 0's run start
        table = runs[power]
        yield (
            half,
            (
                table[:, start : start + cols]
                | table[:, start + size - power : start + size - power + cols]
            ),
        )


@dataclass(frozen=True)
class _Tile:
    """A label raster (0: outside) and its transform, traced into one shape per label."""

    labels: NDArray[np.int32] | BoolArray
    transform: Affine


class _Tracer:
    """Trace many label rasters in few ``rasterio.features.shapes`` calls.

    Tiles are stacked into mosaics of at most ``max_cells`` cells (each tile
    keeps the empty border it was made with, so no two tiles' shapes touch),
    traced in pixel coordinates and moved back with each tile's transform in
    the order GDAL applies a geotransform, so every coordinate is the one a
    call per tile gives. :meth:`add` queues a tile and returns a handle;
    :meth:`traced` returns its ``{label: polygon}``, tracing the queue then.
    """

    def __init__(self, max_cells: int = 1_000_000) -> None:
        self.max_cells = max_cells
        self._queue: list[tuple[int, _Tile]] = []
        self._queued_cells = 0
        self._done: dict[int, dict[int, Any]] = {}
        self._next = 0

    def add(self, tile: _Tile | None) -> int:
        """Queue a tile (None: nothing to trace); return its handle."""
        handle = self._next
        self._next += 1
        if tile is None:
            self._done[handle] = {}
            return handle
        self._queue.append((handle, tile))
        self._queued_cells += tile.labels.size
        if self._queued_cells >= self.max_cells:
            self.flush()
        return handle

    def traced(self, handle: int) -> dict[int, Any]:
        """Return (and forget) the shapes of a queued tile, tracing the queue if needed."""
        if handle not in self._done:
            self.flush()
        return self._done.pop(handle)

    def flush(self) -> None:
        """Trace every queued tile."""
        if not self._queue:
            return
        queue, self._queue, self._queued_cells = self._queue, [], 0
        corners, shape = _shelves([tile.labels.shape for _, tile in queue])
        firsts = np.concatenate([[0], np.cumsum([int(t.labels.max()) for _, t in queue])])
        mosaic = np.zeros(shape, dtype=np.int32)
        for k, ((_, tile), (top, left)) in enumerate(zip(queue, corners, strict=True)):
            rows, cols = tile.labels.shape
            place = mosaic[top : top + rows, left : left + cols]
            if tile.labels.dtype == bool:  # a whole area: one label, set where marked
                place[tile.labels] = 1 + firsts[k]
            else:
                place[:] = np.where(tile.labels > 0, tile.labels + firsts[k], 0)
        pieces: list[dict[int, list[Any]]] = [{} for _ in queue]
        for geometry, value in shapes(mosaic, mask=mosaic > 0, connectivity=4):
            k = int(np.searchsorted(firsts, value, side="left")) - 1
            top, left = corners[k]
            polygon = _polygon(geometry["coordinates"], queue[k][1].transform, top, left)
            pieces[k].setdefault(int(value) - int(firsts[k]), []).append(polygon)
        for (handle, _), found in zip(queue, pieces, strict=True):
            self._done[handle] = {
                label: parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)
                for label, parts in found.items()
            }


def _shelves(shapes_: list[tuple[int, int]]) -> tuple[list[tuple[int, int]], tuple[int, int]]:
    """Place rectangles on shelves, tallest first, in the mosaic width that wastes least.

    Returns each rectangle's top-left (row, column) and the mosaic's shape.
    Rectangles never overlap. Every cell of the mosaic is traced, empty or not
    (GDAL's cost is per cell), so a few widths are tried: the square's, ten
    steps from the widest rectangle to twice that, and each width at which the
    first shelf ends flush; the one giving the smallest mosaic is kept (the
    square's alone made a 200k-node city's mosaics 24 % larger than their
    tiles, these 10 %).
    """
    order = sorted(range(len(shapes_)), key=lambda k: -shapes_[k][0])
    widest = max(cols for _, cols in shapes_)
    square = max(math.isqrt(sum(rows * cols for rows, cols in shapes_)), widest)
    widths = {square, *(widest + (2 * square - widest) * i // 10 for i in range(11))}
    flush = itertools.accumulate(shapes_[k][1] for k in order)
    widths.update(w for w in flush if widest <= w <= 2 * square)
    packed = {w: _on_shelves(shapes_, order, w) for w in sorted(widths)}
    width = min(packed, key=lambda w: packed[w][1] * w)
    corners, height = packed[width]
    return corners, (height, width)


def _on_shelves(
    shapes_: list[tuple[int, int]], order: list[int], width: int
) -> tuple[list[tuple[int, int]], int]:
    """Place rectangles in ``order`` on shelves ``width`` wide; return corners and height."""
    corners: list[tuple[int, int]] = [(0, 0)] * len(shapes_)
    top = left = shelf = 0
    for k in order:
        rows, cols = shapes_[k]
        if left + cols > width:  # a new shelf under the last
            top, left, shelf = top + shelf, 0, 0
        corners[k] = (top, left)
        left += cols
        shelf = max(shelf, rows)
    return corners, top + shelf


def _polygon(rings: Any, transform: Affine, top: int, left: int) -> Any:
    """Return a polygon of rings in mosaic pixels, placed with its tile's transform."""
    placed = []
    for ring in rings:
        flat = itertools.chain.from_iterable(ring)  # (x, y) tuples: twice as fast as asarray
        xy = np.fromiter(flat, dtype=np.float64, count=2 * len(ring)).reshape(-1, 2)
        col, row = xy[:, 0] - left, xy[:, 1] - top
        x = transform.c + col * transform.a + row * transform.b  # as GDAL: gt0 + x gt1 + y gt2
        y = transform.f + col * transform.d + row * transform.e
        placed.append(np.column_stack([x, y]))
    holes = np.empty(len(placed) - 1, dtype=object)
    holes[:] = [shapely.linearrings(r) for r in placed[1:]]
    return shapely.polygons(placed[0], holes=holes if len(holes) else None)


# ----------------------------------------------------------------- modes
def _from_minutes(minutes: float) -> float:
    return math.nan if math.isnan(minutes) else 0.0


def _per_facility(
    network: Network,
    fac: SnappedPoints,
    labels: list[Any],
    cutoffs: list[tuple[float, float]],
    grid: _Grid,
) -> list[_Row]:
    metres = [m for _, m in cutoffs]
    reach = network.reach(fac, distance_m=metres[-1])
    node_dist = np.full(network.n_nodes, np.inf)
    empty = shapely.Polygon()
    rows: list[_Row] = []
    for i, label in enumerate(labels):
        traced: list[dict[int, Any]] = [{} for _ in cutoffs]
        if fac.reachable[i]:
            nodes = reach.reached_nodes(i)
            node_dist[nodes] = reach.nodes[i].data
            samples = _reached_samples(
                network,
                node_dist,
                None,
                fac.take([i]),
                spacing=grid.spacing,
                limit=metres[-1],
                reached=nodes[np.isfinite(node_dist[nodes])],
            )
            node_dist[nodes] = np.inf
            traced = grid.areas(samples, metres)
        rows.extend(
            (label, _from_minutes(minutes), minutes, 0.0, m, area.get(1, empty))
            for (minutes, m), area in zip(cutoffs, traced, strict=True)
        )
    return rows


class _NodeScratch:
    """Whole-network arrays of node distance (inf) and owner (-1), reused search after search.

    Each search fills only the nodes it reached and clears them after, so
    many small searches (one per community) cost what they reach, not the
    network's size each.
    """

    def __init__(self, n_nodes: int) -> None:
        self.dist = np.full(n_nodes, np.inf)
        self.owner = np.full(n_nodes, -1, dtype=np.int64)


def _group_samples(
    network: Network,
    members: SnappedPoints,
    limit: float,
    grid: _Grid,
    scratch: _NodeScratch | None = None,
) -> _Samples:
    """Return the reached street points within ``limit`` of any of a group's points.

    The nodes' distances and owners are :meth:`Network.nearest`'s
    (``node_distance_m``, ``node_source``), set in ``scratch`` only where reached.
    """
    nodes, dist, source = network._nearest_reached(members, limit)
    scratch = scratch if scratch is not None else _NodeScratch(network.n_nodes)
    scratch.dist[nodes], scratch.owner[nodes] = dist, source
    try:
        return _reached_samples(
            network,
            scratch.dist,
            scratch.owner,
            members,
            spacing=grid.spacing,
            limit=limit,
            reached=nodes,
        )
    finally:
        scratch.dist[nodes], scratch.owner[nodes] = np.inf, -1


def _from_nearest(
    network: Network,
    fac: SnappedPoints,
    labels: list[Any],
    cutoffs: list[tuple[float, float]],
    grid: _Grid,
    *,
    mode: str,
) -> list[_Row]:
    metres = [m for _, m in cutoffs]
    samples = _group_samples(network, fac, metres[-1], grid)
    traced = grid.areas(samples, metres, split=mode == "split")
    empty = shapely.Polygon()
    rows: list[_Row] = []
    previous_area: Any = empty
    previous = (0.0, 0.0)
    for (minutes, m), area in zip(cutoffs, traced, strict=True):
        if mode == "split":
            rows.extend(
                (label, _from_minutes(minutes), minutes, 0.0, m, area.get(k + 1, empty))
                for k, label in enumerate(labels)
            )
        elif mode == "rings":
            whole = area.get(1, empty)
            rows.append(
                (None, previous[0], minutes, previous[1], m, whole.difference(previous_area))
            )
            previous_area, previous = whole, (minutes, m)
        else:
            rows.append((None, _from_minutes(minutes), minutes, 0.0, m, area.get(1, empty)))
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
