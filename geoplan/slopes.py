"""Slopes: walking times up and down hill from a digital elevation model (DEM).

:func:`with_slopes` samples a DEM (a GeoTIFF read with rasterio, or an array
with its transform and CRS) at every vertex of every edge, computes the
gradient of each straight piece of an edge's geometry, and gives each edge a
walking speed in each direction from **Tobler's hiking function** (Tobler
1993, *Three presentations on geographical analysis and modeling*, NCGIA
Technical Report 93-1):

    v(s) = 6 exp(-3.5 |s + 0.05|) km/h,  s = rise / horizontal run

fastest (6 km/h) slightly downhill (s = -0.05), 5.04 km/h on the flat. geoplan
keeps the network's own walking speed on the flat: a piece of gradient ``s``
is walked at ``speed * v(s) / v(0)``. An edge's time one way is the sum of its
pieces' horizontal lengths over their speeds; the other way uses ``-s``. So a
100 m edge climbing 10 m (s = 0.1) at 1 m/s on the flat takes
``100 / exp(-3.5 * 0.15 + 3.5 * 0.05) = 141.9`` s up and 100 s down (at
s = -0.1, ``|s + 0.05|`` is that of the flat).

Sampling: elevations are interpolated **bilinearly** between the four nearest
pixel centres (in the outer half pixel of the raster, the nearest edge
centres); the network's vertices are transformed into the DEM's CRS, so a DEM
in lon/lat or another projection is sampled where the vertices really are,
never warped. An edge with a vertex outside the DEM, or next to a nodata pixel,
keeps its flat time; those edges are counted (:func:`slope_summary`).

The network becomes directed and time-weighted (see :mod:`geoplan.network`):
points snapped mid-edge are charged their share of the edge's time that way,
and access legs are flat.

Examples
--------
>>> import numpy as np
>>> from affine import Affine
>>> from geoplan.network import Network
>>> net = Network.from_edges([(5, 5, 105, 5)], crs=32651, speed_m_s=1.0)
>>> plane = Dem(np.tile(np.arange(12.0), (3, 1)) * 1.0, Affine(10, 0, 0, 0, -10, 30), 32651)
>>> hill = with_slopes(net, plane)  # rises 10 m over the 100 m edge
>>> [round(float(t), 1) for t in hill.forward_cost_m / hill.speed_m_s]  # seconds up
[141.9]
>>> [round(float(t), 1) for t in hill.backward_cost_m / hill.speed_m_s]  # and down
[100.0]
"""

from __future__ import annotations

import logging
import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyproj
import shapely
from affine import Affine
from numpy.typing import NDArray

from geoplan._errors import CRSError, DataSourceError, InputError, NetworkError
from geoplan.network import Network

__all__ = [
    "TOBLER_FLAT_KMH",
    "Dem",
    "read_dem",
    "slope_summary",
    "tobler_kmh",
    "with_slopes",
]

log = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]

#: Tobler's walking speed on the flat, 6 exp(-0.175) km/h.
TOBLER_FLAT_KMH = 6.0 * math.exp(-3.5 * 0.05)
#: Edge attributes :func:`with_slopes` adds.
SLOPE_COLUMNS = ("climb_m", "descent_m", "on_dem")


def tobler_kmh(slope: FloatArray | float) -> FloatArray:
    """Tobler's hiking function: walking speed (km/h) on a gradient (rise over run).

    Examples
    --------
    >>> tobler_kmh(np.array([-0.05, 0.0, 0.1])).round(3).tolist()
    [6.0, 5.037, 3.549]
    """
    return np.asarray(6.0 * np.exp(-3.5 * np.abs(np.asarray(slope, dtype=np.float64) + 0.05)))


# ----------------------------------------------------------------- the DEM
@dataclass(frozen=True)
class Dem:
    """Elevations on a grid: metres, the affine transform of pixel corners, the CRS.

    Attributes
    ----------
    values : numpy.ndarray
        ``(rows, cols)`` elevations in metres; NaN where there is no data.
    transform : affine.Affine
        Pixel ``(col, row)`` corner to CRS coordinates, without rotation.
    crs
        The CRS of the grid (anything pyproj reads).
    name : str
        A label for messages and reports (the file name).
    """

    values: FloatArray
    transform: Affine
    crs: Any
    name: str = "dem"

    def sample(self, x: FloatArray, y: FloatArray) -> FloatArray:
        """Bilinear elevations at points in the DEM's CRS; NaN outside or next to nodata."""
        values = np.asarray(self.values, dtype=np.float64)
        rows, cols = values.shape
        col_f, row_f = ~self.transform @ (np.asarray(x), np.asarray(y))
        col_f, row_f = np.asarray(col_f) - 0.5, np.asarray(row_f) - 0.5  # from pixel centres
        inside = (col_f >= -0.5) & (col_f <= cols - 0.5) & (row_f >= -0.5) & (row_f <= rows - 0.5)
        col_f = np.clip(col_f, 0.0, cols - 1.0)
        row_f = np.clip(row_f, 0.0, rows - 1.0)
        c0 = np.minimum(np.floor(col_f).astype(np.int64), max(cols - 2, 0))
        r0 = np.minimum(np.floor(row_f).astype(np.int64), max(rows - 2, 0))
        c1, r1 = np.minimum(c0 + 1, cols - 1), np.minimum(r0 + 1, rows - 1)
        fc, fr = col_f - c0, row_f - r0
        top = values[r0, c0] * (1 - fc) + values[r0, c1] * fc
        bottom = values[r1, c0] * (1 - fc) + values[r1, c1] * fc
        out = top * (1 - fr) + bottom * fr
        return np.where(inside, out, np.nan)


def read_dem(path: str | os.PathLike[str], *, band: int = 1) -> Dem:
    """Read a DEM (GeoTIFF or any raster rasterio opens) as :class:`Dem`.

    Parameters
    ----------
    path
        The raster file; elevations in metres.
    band
        The band holding the elevations.

    Raises
    ------
    DataSourceError
        The file is missing or not a raster.
    CRSError
        The raster has no CRS.
    InputError
        The raster is rotated or sheared.
    """
    import rasterio

    path = Path(path)
    if not path.is_file():
        msg = f"the DEM {path} does not exist; give the path of an elevation GeoTIFF"
        raise DataSourceError(msg)
    try:
        with warnings.catch_warnings():
            # a raster without a CRS is refused below, saying how to set one
            warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
            with rasterio.open(path) as src:
                values = src.read(band, masked=True).astype(np.float64)
                transform, crs = src.transform, src.crs
    except rasterio.errors.RasterioIOError as exc:
        msg = (
            f"cannot read the DEM {path} as a raster ({exc}); give an elevation GeoTIFF (.tif) "
            "in metres, e.g. SRTM or ASTER GDEM cut to the study area"
        )
        raise DataSourceError(msg) from None
    except IndexError:
        msg = f"the DEM {path} has no band {band}; give band=1 (or the band of elevations)"
        raise InputError(msg) from None
    if crs is None:
        msg = (
            f"the DEM {path} has no CRS, so its pixels cannot be placed under the streets; set "
            "it (e.g. gdal_edit.py -a_srs EPSG:4326 dem.tif, or in QGIS: Set CRS) and save again"
        )
        raise CRSError(msg)
    return Dem(np.ma.filled(values, np.nan), transform, crs, path.name)


def _as_dem(dem: Dem | str | os.PathLike[str]) -> Dem:
    if isinstance(dem, Dem):
        if dem.transform.b != 0 or dem.transform.d != 0:
            msg = f"the DEM {dem.name} is rotated; warp it to a north-up grid first (gdalwarp)"
            raise InputError(msg)
        if np.asarray(dem.values).ndim != 2:
            msg = f"the DEM {dem.name} must be a 2-D array of elevations (rows, cols)"
            raise InputError(msg)
        return dem
    return _as_dem(read_dem(dem))


# ----------------------------------------------------------------- slopes of edges
def with_slopes(network: Network, dem: Dem | str | os.PathLike[str]) -> Network:
    """Return the walking network with times up and down hill (Tobler's hiking function).

    Parameters
    ----------
    network
        A walking network (flat times: each edge's own speed, the network's
        by default, is the speed on the flat).
    dem
        A :class:`Dem`, or the path of an elevation raster (:func:`read_dem`);
        in any CRS.

    Returns
    -------
    Network
        Directed and time-weighted, with edge attributes ``climb_m`` and
        ``descent_m`` (metres up and down from ``u`` to ``v``) and ``on_dem``
        (False where the edge kept its flat time: a vertex outside the DEM
        or next to nodata).

    Raises
    ------
    NetworkError
        The network is not a walking network (Tobler's function is for people
        on foot).
    CRSError, DataSourceError, InputError
        The DEM cannot be read or placed.
    """
    if network.profile != "walk":
        msg = (
            f"slopes apply Tobler's hiking function, a walking speed; the network "
            f"{network.name!r} is for {network.profile!r}. Read the walking network "
            "(profile='walk') for slopes"
        )
        raise NetworkError(msg)
    if network.edge_attrs is not None and "on_dem" in network.edge_attrs.columns:
        msg = (
            f"the network {network.name!r} already has slopes; apply a DEM to the flat "
            "network it was made from"
        )
        raise InputError(msg)
    dem = _as_dem(dem)
    coords, edge = shapely.get_coordinates(network.geometry, return_index=True)
    z = dem.sample(*_to_dem_crs(coords, network.crs, dem))
    run = np.hypot(*np.diff(coords, axis=0).T)
    piece = edge[1:] == edge[:-1]  # consecutive vertices of one edge
    run, rise, owner = run[piece], np.diff(z)[piece], edge[1:][piece]
    slope = np.divide(rise, run, out=np.zeros_like(rise), where=run > 0)
    ahead = _time_factor(run, slope, owner, network.n_edges)
    back = _time_factor(run, -slope, owner, network.n_edges)
    on_dem = ~np.isnan(np.bincount(edge, weights=z, minlength=network.n_edges))
    ahead[~on_dem], back[~on_dem] = 1.0, 1.0
    kept = int((~on_dem).sum())
    if kept:
        log.info(
            "%s: %d of %d edges lie (partly) outside the DEM %s or next to nodata; they keep "
            "their flat walking time",
            network.name,
            kept,
            network.n_edges,
            dem.name,
        )
    rise_piece = np.where(np.isnan(rise), 0.0, rise)
    attrs = pd.DataFrame(
        {
            "climb_m": np.bincount(owner, np.maximum(rise_piece, 0), minlength=network.n_edges),
            "descent_m": np.bincount(owner, np.maximum(-rise_piece, 0), minlength=network.n_edges),
            "on_dem": on_dem,
        }
    )
    attrs.loc[~on_dem, ["climb_m", "descent_m"]] = np.nan
    return _rebuilt(network, ahead, back, attrs)


def _to_dem_crs(coords: FloatArray, crs: pyproj.CRS, dem: Dem) -> tuple[FloatArray, FloatArray]:
    """Vertex coordinates in the DEM's CRS."""
    try:
        target = pyproj.CRS.from_user_input(dem.crs)
    except pyproj.exceptions.CRSError:
        msg = f"the DEM {dem.name}'s CRS {dem.crs!r} is not a CRS pyproj knows"
        raise CRSError(msg) from None
    if target == crs:
        return coords[:, 0], coords[:, 1]
    to_dem = pyproj.Transformer.from_crs(crs, target, always_xy=True)
    x, y = to_dem.transform(coords[:, 0], coords[:, 1])
    return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)


def _time_factor(run: FloatArray, slope: FloatArray, owner: NDArray[Any], n: int) -> FloatArray:
    """Per edge: its walking time on the slopes over its time on the flat (NaN: no data)."""
    flat = np.bincount(owner, weights=run, minlength=n)
    hilly = np.bincount(owner, weights=run * TOBLER_FLAT_KMH / tobler_kmh(slope), minlength=n)
    return np.divide(hilly, flat, out=np.ones(n), where=flat > 0)


def _rebuilt(network: Network, ahead: FloatArray, back: FloatArray, attrs: pd.DataFrame) -> Network:
    """Return the network with each direction's speed divided by its time factor."""
    table = attrs if network.edge_attrs is None else network.edge_attrs.assign(**attrs)
    return Network(
        x=network.x,
        y=network.y,
        edge_u=network.edge_u,
        edge_v=network.edge_v,
        geometry=network.geometry,
        node_id=network.node_id,
        crs=network.crs,
        profile=network.profile,
        speed_m_s=network.speed_m_s,
        name=network.name,
        edge_attrs=table,
        oneway=network.oneway,
        forward_speed_m_s=network.forward_speed_m_s / ahead,
        backward_speed_m_s=network.backward_speed_m_s / back,
    )


def slope_summary(network: Network) -> dict[str, Any]:
    """Return how slopes changed a network's walking times, as plain numbers.

    ``slopes`` (False, and nothing else, for a network without them),
    ``edges``, ``edges_off_dem`` (kept flat), ``climb_km`` (metres climbed
    walking every edge from u to v, in km), ``steep_share`` (share of the
    street length whose mean gradient is 5 % or more) and
    ``time_factor_max`` (the slowest edge's time, either way, over its time
    at the reference speed).
    """
    attrs = network.edge_attrs
    if attrs is None or not set(SLOPE_COLUMNS) <= set(attrs.columns):
        return {"slopes": False}
    on = attrs["on_dem"].to_numpy(dtype=bool)
    length = network.length_m
    gradient = np.divide(
        np.abs(attrs["climb_m"].to_numpy() - attrs["descent_m"].to_numpy()),
        length,
        out=np.zeros(len(length)),
        where=on & (length > 0),
    )
    paces = np.concatenate(network.pace)
    paces = paces[np.isfinite(paces)]
    return {
        "slopes": True,
        "edges": network.n_edges,
        "edges_off_dem": int((~on).sum()),
        "climb_km": float(np.nansum(attrs["climb_m"].to_numpy()) / 1000.0),
        "steep_share": float(length[gradient >= 0.05].sum() / max(length.sum(), 1e-9)),
        "time_factor_max": float(paces.max()) if paces.size else 1.0,
    }
