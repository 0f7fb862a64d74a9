r"""Convert lon/lat between the Chinese coordinate systems WGS-84, GCJ-02 and BD-09.

Maps published in mainland China do not use WGS-84 longitudes and latitudes
as they are: the law requires them to be offset with the GCJ-02 algorithm
("Mars coordinates", 火星坐标), which Amap/Gaode, Tencent and many
government portals use; Baidu adds a second offset on top of it (BD-09).
Points of interest, addresses and boundaries scraped or exported from those
services are off by a few hundred metres from OpenStreetMap and GPS data
until converted back.

The systems and their links:

* **WGS-84 → GCJ-02** is the published obfuscation formula (a fixed sum of
  sines of the position, in metres on the Krasovsky 1940 ellipsoid,
  ``a = 6378245.0``, ``e² = 0.00669342162296594323``, turned into degrees).
* **GCJ-02 → WGS-84** has no closed form; it is solved here by fixed-point
  iteration ``w ← w - (gcj(w) - g)`` until the forward transform of the
  result reproduces the input to 1e-10 degrees (about 10 µm), which takes
  three or four rounds: the offset varies so slowly that each round shrinks
  the error a hundredfold or more.
* **GCJ-02 → BD-09** is Baidu's ``x_pi = π·3000/180`` rotation-and-scale plus
  a shift of (0.0065, 0.006) degrees. The usual inverse formula is only
  approximate (off by up to about 20 cm); **BD-09 → GCJ-02** here starts
  from it and iterates the same way to 1e-10 degrees.
* WGS-84 ⇄ BD-09 goes through GCJ-02.

Every function takes longitudes first, as array-likes or scalars that
broadcast together, and returns a tuple ``(lon, lat)`` of float64 NumPy
arrays of the broadcast shape; scalars give 0-d arrays (``float(lon)``
turns one into a Python float). NaN comes back as NaN.

Outside China the obfuscation does not apply: points outside the rectangle
of :func:`out_of_china` (longitude 72.004 to 137.8347, latitude
0.8293 to 55.8271, the test every published implementation uses) are returned
unchanged by every transform, BD-09 included. The test is made on the
*input* of each transform, as the algorithm defines it, so within a few
hundred metres of that rectangle's edges a round trip may not return to
the start. Those edges lie more than a degree beyond China's borders, so
this never matters for Chinese data.

The rectangle is much larger than China: Seoul, Osaka, Hanoi or Ulaanbaatar
lie inside it, so do not convert data from neighbouring countries.

Examples
--------
>>> lon, lat = wgs84_to_gcj02(116.404, 39.915)
>>> round(float(lon), 8), round(float(lat), 8)
(116.4102445, 39.91640428)
>>> back = gcj02_to_wgs84(lon, lat)
>>> round(float(back[0]), 9), round(float(back[1]), 9)
(116.404, 39.915)
>>> lon, lat = convert([121.4737, 200.0], [31.2304, 0.0], source="WGS-84", target="baidu")
>>> lon.round(6).tolist(), lat.round(6).tolist()
([121.484781, 200.0], [31.234311, 0.0])
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final, TypeAlias

import numpy as np
from numpy.typing import ArrayLike, NDArray

from geoplan._errors import ConfigError, CRSError, InputError

__all__ = [
    "SYSTEMS",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "convert",
    "convert_frame",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "normalize_system",
    "out_of_china",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

log = logging.getLogger(__name__)

FloatArray: TypeAlias = NDArray[np.float64]
BoolArray: TypeAlias = NDArray[np.bool_]
LonLat: TypeAlias = tuple[FloatArray, FloatArray]

CANONICAL: Final[tuple[str, ...]] = ("wgs84", "gcj02", "bd09")
"""The canonical system names, as :func:`normalize_system` returns them."""

SYSTEMS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "wgs84": "wgs84",
        "wgs-84": "wgs84",
        "epsg:4326": "wgs84",
        "4326": "wgs84",
        "gcj02": "gcj02",
        "gcj-02": "gcj02",
        "mars": "gcj02",
        "bd09": "bd09",
        "bd-09": "bd09",
        "baidu": "bd09",
    }
)
"""Accepted system names (lower case; matched case-insensitively) → canonical name.

``"wgs84"`` (aliases ``"WGS-84"``, ``"EPSG:4326"``, ``"4326"``), ``"gcj02"``
(``"GCJ-02"``, ``"mars"``) and ``"bd09"`` (``"BD-09"``, ``"baidu"``).
"""

# Krasovsky 1940 ellipsoid, as the GCJ-02 formula uses it.
_A: Final = 6378245.0
_EE: Final = 0.00669342162296594323
# Baidu's constant: pi * 3000 / 180.
_X_PI: Final = math.pi * 3000.0 / 180.0
# The rectangle in which the offsets apply.
_LON_MIN: Final = 72.004
_LON_MAX: Final = 137.8347
_LAT_MIN: Final = 0.8293
_LAT_MAX: Final = 55.8271
# Inverse transforms stop once the forward transform reproduces the input to
# this many degrees (1e-10 deg is about 0.01 mm), or after _MAX_ITER rounds.
_TOLERANCE: Final = 1e-10
_MAX_ITER: Final = 30


def normalize_system(name: str) -> str:
    """Return the canonical name of a coordinate system.

    Parameters
    ----------
    name : str
        ``"wgs84"``, ``"gcj02"`` or ``"bd09"``, or an alias of one: ``"WGS-84"``,
        ``"WGS84"``, ``"EPSG:4326"``, ``"4326"``, ``"GCJ-02"``, ``"GCJ02"``,
        ``"mars"``, ``"BD-09"``, ``"BD09"``, ``"baidu"``. Case and surrounding
        spaces are ignored.

    Returns
    -------
    str
        ``"wgs84"``, ``"gcj02"`` or ``"bd09"``.

    Raises
    ------
    ConfigError
        If ``name`` is not a string or not a known system; the message lists
        the accepted names.

    Examples
    --------
    >>> normalize_system("GCJ-02"), normalize_system("Baidu"), normalize_system("EPSG:4326")
    ('gcj02', 'bd09', 'wgs84')
    """
    key = name.strip().lower() if isinstance(name, str) else None
    if key is None or key not in SYSTEMS:
        aliases = ", ".join(f"{alias!r}" for alias in SYSTEMS if alias not in CANONICAL)
        msg = (
            f"unknown coordinate system {name!r}; use one of {', '.join(map(repr, CANONICAL))} "
            f"(aliases, any case: {aliases})"
        )
        raise ConfigError(msg)
    return SYSTEMS[key]


def _as_lonlat(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    """Return ``lon`` and ``lat`` as float64 arrays of their broadcast shape (fresh copies)."""
    try:
        lon_a, lat_a = np.broadcast_arrays(
            np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
        )
    except ValueError as exc:
        msg = (
            f"lon and lat must be numbers of the same (or broadcastable) shape: "
            f"shapes {np.shape(lon)} and {np.shape(lat)} do not broadcast ({exc})"
        )
        raise InputError(msg) from None
    except TypeError as exc:
        msg = f"lon and lat must be numbers (or arrays of numbers): {exc}"
        raise InputError(msg) from None
    return lon_a.copy(), lat_a.copy()


def out_of_china(lon: ArrayLike, lat: ArrayLike) -> BoolArray:
    """Tell which points lie outside the rectangle where the Chinese offsets apply.

    The rectangle is the one the published algorithm uses, longitude 72.004
    to 137.8347 and latitude 0.8293 to 55.8271 (bounds included); it is a
    rough box, much larger than China. Every transform in this module
    returns points outside it unchanged. NaN coordinates count as inside
    (so that they come back as NaN).

    Parameters
    ----------
    lon, lat : array_like
        Longitudes and latitudes in degrees, of broadcastable shapes.

    Returns
    -------
    numpy.ndarray of bool
        True where the point is outside, of the broadcast shape.

    Examples
    --------
    >>> out_of_china([116.4, 139.7, 2.35], [39.9, 35.7, 48.86]).tolist()
    [False, True, True]
    """
    lon_a, lat_a = _as_lonlat(lon, lat)
    return _outside(lon_a, lat_a)


def _outside(lon: FloatArray, lat: FloatArray) -> BoolArray:
    outside: BoolArray = (lon < _LON_MIN) | (lon > _LON_MAX) | (lat < _LAT_MIN) | (lat > _LAT_MAX)
    return outside


def _gcj_offset(lon: FloatArray, lat: FloatArray) -> LonLat:
    """Return the GCJ-02 offset (dlon, dlat) in degrees at WGS-84 ``lon, lat``, everywhere."""
    x = lon - 105.0
    y = lat - 35.0
    pi = math.pi
    common = 20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)
    # The offsets in metres on the ellipsoid (the published polynomial and sine series).
    d_lat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + 0.1 * x * y
        + 0.2 * np.sqrt(np.abs(x))
        + (common + 20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
        + (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y / 30.0 * pi)) * 2.0 / 3.0
    )
    d_lon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + 0.1 * x * y
        + 0.1 * np.sqrt(np.abs(x))
        + (common + 20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
        + (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    )
    # Metres to degrees with the Krasovsky meridian and prime-vertical radii.
    rad_lat = lat / 180.0 * pi
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrt_magic) * pi)
    d_lon = (d_lon * 180.0) / (_A / sqrt_magic * np.cos(rad_lat) * pi)
    return d_lon, d_lat


def _wgs_to_gcj_everywhere(lon: FloatArray, lat: FloatArray) -> LonLat:
    d_lon, d_lat = _gcj_offset(lon, lat)
    return lon + d_lon, lat + d_lat


def _gcj_to_bd_everywhere(lon: FloatArray, lat: FloatArray) -> LonLat:
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _bd_to_gcj_approximate(lon: FloatArray, lat: FloatArray) -> LonLat:
    """Return the usual closed-form approximate inverse of :func:`_gcj_to_bd_everywhere`."""
    x = lon - 0.0065
    y = lat - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def _invert(
    forward: Callable[[FloatArray, FloatArray], LonLat],
    lon: FloatArray,
    lat: FloatArray,
    start: LonLat,
    what: str,
) -> LonLat:
    """Solve ``forward(x) = (lon, lat)`` by fixed-point iteration from ``start``.

    ``forward`` is the identity plus a small, slowly varying offset, so
    ``x ← x - (forward(x) - target)`` contracts quickly. Only the finite
    points still off by more than the tolerance are iterated further.
    """
    x_lon, x_lat = start[0].copy(), start[1].copy()
    todo = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
    flat_lon, flat_lat = x_lon.reshape(-1), x_lat.reshape(-1)
    target_lon, target_lat = lon.reshape(-1), lat.reshape(-1)
    rounds = 0
    while todo.size and rounds < _MAX_ITER:
        rounds += 1
        f_lon, f_lat = forward(flat_lon[todo], flat_lat[todo])
        r_lon = f_lon - target_lon[todo]
        r_lat = f_lat - target_lat[todo]
        flat_lon[todo] -= r_lon
        flat_lat[todo] -= r_lat
        todo = todo[np.maximum(np.abs(r_lon), np.abs(r_lat)) > _TOLERANCE]
    if todo.size:
        log.warning(
            "%s: %d of %d points did not converge to %g degrees in %d rounds",
            what,
            todo.size,
            lon.size,
            _TOLERANCE,
            _MAX_ITER,
        )
    else:
        log.debug("%s: %d points converged in %d rounds", what, lon.size, rounds)
    return flat_lon.reshape(lon.shape), flat_lat.reshape(lat.shape)


def _keep_outside(lon: FloatArray, lat: FloatArray, result: LonLat) -> LonLat:
    """Put the points outside the rectangle back to their input values."""
    outside = _outside(lon, lat)
    return np.where(outside, lon, result[0]), np.where(outside, lat, result[1])


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    """Convert WGS-84 lon/lat to GCJ-02 (Amap/Gaode, Tencent) with the published formula.

    Parameters
    ----------
    lon, lat : array_like
        WGS-84 longitudes and latitudes in degrees, of broadcastable shapes.

    Returns
    -------
    lon, lat : numpy.ndarray
        GCJ-02 longitudes and latitudes (float64, of the broadcast shape;
        0-d for scalar input). Points outside :func:`out_of_china`'s
        rectangle are unchanged; NaN stays NaN.

    Examples
    --------
    >>> lon, lat = wgs84_to_gcj02([116.404, 0.0], [39.915, 0.0])
    >>> lon.round(8).tolist(), lat.round(8).tolist()
    ([116.4102445, 0.0], [39.91640428, 0.0])
    """
    lon_a, lat_a = _as_lonlat(lon, lat)
    return _keep_outside(lon_a, lat_a, _wgs_to_gcj_everywhere(lon_a, lat_a))


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    """Convert GCJ-02 lon/lat back to WGS-84 by iterating the forward formula.

    The result ``w`` satisfies ``wgs84_to_gcj02(w) == (lon, lat)`` to 1e-10
    degrees (about 0.01 mm), not the few metres of the one-step inverse
    many libraries use.

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 longitudes and latitudes in degrees, of broadcastable shapes.

    Returns
    -------
    lon, lat : numpy.ndarray
        WGS-84 longitudes and latitudes (float64, of the broadcast shape;
        0-d for scalar input). Points outside :func:`out_of_china`'s
        rectangle are unchanged; NaN stays NaN.

    Examples
    --------
    >>> lon, lat = gcj02_to_wgs84(116.4102445, 39.91640428)
    >>> round(float(lon), 7), round(float(lat), 7)
    (116.404, 39.915)
    """
    lon_a, lat_a = _as_lonlat(lon, lat)
    d_lon, d_lat = _gcj_offset(lon_a, lat_a)
    start = (lon_a - d_lon, lat_a - d_lat)
    result = _invert(_wgs_to_gcj_everywhere, lon_a, lat_a, start, "gcj02_to_wgs84")
    return _keep_outside(lon_a, lat_a, result)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    """Convert GCJ-02 lon/lat to BD-09 (Baidu) with the ``x_pi = π·3000/180`` formula.

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 longitudes and latitudes in degrees, of broadcastable shapes.

    Returns
    -------
    lon, lat : numpy.ndarray
        BD-09 longitudes and latitudes (float64, of the broadcast shape;
        0-d for scalar input). Points outside :func:`out_of_china`'s
        rectangle are unchanged; NaN stays NaN.

    Examples
    --------
    >>> lon, lat = gcj02_to_bd09(116.404, 39.915)
    >>> round(float(lon), 8), round(float(lat), 8)
    (116.41036949, 39.92133699)
    """
    lon_a, lat_a = _as_lonlat(lon, lat)
    return _keep_outside(lon_a, lat_a, _gcj_to_bd_everywhere(lon_a, lat_a))


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    """Convert BD-09 (Baidu) lon/lat to GCJ-02, refining the usual formula by iteration.

    The closed-form inverse in common use is off by up to about 20 cm;
    starting from it, the result is refined until ``gcj02_to_bd09`` of it
    reproduces the input to 1e-10 degrees.

    Parameters
    ----------
    lon, lat : array_like
        BD-09 longitudes and latitudes in degrees, of broadcastable shapes.

    Returns
    -------
    lon, lat : numpy.ndarray
        GCJ-02 longitudes and latitudes (float64, of the broadcast shape;
        0-d for scalar input). Points outside :func:`out_of_china`'s
        rectangle are unchanged; NaN stays NaN.

    Examples
    --------
    >>> lon, lat = bd09_to_gcj02(116.41036949, 39.92133699)
    >>> round(float(lon), 7), round(float(lat), 7)
    (116.404, 39.915)
    """
    lon_a, lat_a = _as_lonlat(lon, lat)
    start = _bd_to_gcj_approximate(lon_a, lat_a)
    result = _invert(_gcj_to_bd_everywhere, lon_a, lat_a, start, "bd09_to_gcj02")
    return _keep_outside(lon_a, lat_a, result)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    """Convert WGS-84 lon/lat to BD-09 (Baidu), through GCJ-02.

    Parameters
    ----------
    lon, lat : array_like
        WGS-84 longitudes and latitudes in degrees, of broadcastable shapes.

    Returns
    -------
    lon, lat : numpy.ndarray
        BD-09 longitudes and latitudes (float64, of the broadcast shape;
        0-d for scalar input). Points outside :func:`out_of_china`'s
        rectangle are unchanged; NaN stays NaN.

    Examples
    --------
    >>> lon, lat = wgs84_to_bd09(116.404, 39.915)
    >>> round(float(lon), 6), round(float(lat), 6)
    (116.416627, 39.9227)
    """
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> LonLat:
    """Convert BD-09 (Baidu) lon/lat to WGS-84, through GCJ-02 (both steps iterated).

    Parameters
    ----------
    lon, lat : array_like
        BD-09 longitudes and latitudes in degrees, of broadcastable shapes.

    Returns
    -------
    lon, lat : numpy.ndarray
        WGS-84 longitudes and latitudes (float64, of the broadcast shape;
        0-d for scalar input). Points outside :func:`out_of_china`'s
        rectangle are unchanged; NaN stays NaN.

    Examples
    --------
    >>> lon, lat = bd09_to_wgs84(116.416627, 39.9227)
    >>> round(float(lon), 5), round(float(lat), 5)
    (116.404, 39.915)
    """
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


_CONVERTERS: Final[Mapping[tuple[str, str], Callable[[ArrayLike, ArrayLike], LonLat]]] = (
    MappingProxyType(
        {
            ("wgs84", "gcj02"): wgs84_to_gcj02,
            ("gcj02", "wgs84"): gcj02_to_wgs84,
            ("gcj02", "bd09"): gcj02_to_bd09,
            ("bd09", "gcj02"): bd09_to_gcj02,
            ("wgs84", "bd09"): wgs84_to_bd09,
            ("bd09", "wgs84"): bd09_to_wgs84,
        }
    )
)


def convert(lon: ArrayLike, lat: ArrayLike, *, source: str, target: str) -> LonLat:
    """Convert lon/lat between any two of WGS-84, GCJ-02 and BD-09.

    Parameters
    ----------
    lon, lat : array_like
        Longitudes and latitudes in degrees, of broadcastable shapes.
    source, target : str
        The systems, by any name :func:`normalize_system` accepts
        (``"wgs84"``, ``"gcj02"``, ``"bd09"``, ``"WGS-84"``, ``"mars"``,
        ``"baidu"`` ...).

    Returns
    -------
    lon, lat : numpy.ndarray
        The converted coordinates (float64, of the broadcast shape; 0-d for
        scalar input); a copy of the input when ``source`` and ``target``
        are the same system.

    Raises
    ------
    ConfigError
        If ``source`` or ``target`` is not a known system.

    Examples
    --------
    >>> lon, lat = convert(116.404, 39.915, source="WGS-84", target="GCJ-02")
    >>> round(float(lon), 8), round(float(lat), 8)
    (116.4102445, 39.91640428)
    >>> convert(116.404, 39.915, source="baidu", target="bd09")[0].tolist()
    116.404
    """
    src = normalize_system(source)
    dst = normalize_system(target)
    if src == dst:
        return _as_lonlat(lon, lat)
    return _CONVERTERS[src, dst](lon, lat)


def _check_lonlat(geoms: Any, name: str, source: str) -> None:
    """Raise CRSError unless the GeoSeries ``geoms`` holds lon/lat degrees."""
    crs = geoms.crs
    if crs is None:
        bounds = geoms.total_bounds
        minx, miny, maxx, maxy = bounds
        # Bounds are NaN when there is no coordinate at all (empty or missing geometries).
        if np.isfinite(bounds).all() and not (
            minx >= -180.0 and maxx <= 180.0 and miny >= -90.0 and maxy <= 90.0
        ):
            msg = (
                f"the geometries in {name!r} have no CRS and coordinates up to "
                f"x {minx:.6g}..{maxx:.6g}, y {miny:.6g}..{maxy:.6g}, which are not longitudes "
                f"and latitudes in degrees; {source} coordinates must be lon/lat: set the "
                "right CRS and reproject with .to_crs(4326) first"
            )
            raise CRSError(msg)
        log.info("%r has no CRS; its coordinates look like lon/lat and are taken as such", name)
        return
    if crs.equals("EPSG:4326", ignore_axis_order=True) or crs.to_epsg() == 4490:
        return
    kind = "projected" if crs.is_projected else "geographic" if crs.is_geographic else "other"
    msg = (
        f"the geometries in {name!r} are in {crs.to_string()} ({kind}), but coordinate-system "
        f"conversion needs lon/lat degrees (EPSG:4326, EPSG:4490 or no CRS); reproject with "
        ".to_crs(4326) first (for GCJ-02 numbers in Web Mercator, as Amap tiles use, this is "
        "also the right step)"
    )
    raise CRSError(msg)


def _convert_geometries(geoms: Any, src: str, dst: str) -> Any:
    """Return the geometry array of GeoSeries ``geoms`` with all coordinates converted."""
    import shapely

    def apply(x: FloatArray, y: FloatArray, *z: FloatArray) -> tuple[FloatArray, ...]:
        new_x, new_y = convert(x, y, source=src, target=dst)
        return (new_x, new_y, *z)

    values = np.asarray(geoms.array, dtype=object)
    return shapely.transform(values, apply, include_z=None, interleaved=False)


def convert_frame(frame: Any, *, source: str, target: str = "wgs84") -> Any:
    """Convert every coordinate of a GeoDataFrame or GeoSeries between WGS-84, GCJ-02 and BD-09.

    GCJ-02 and BD-09 have no EPSG code: their "coordinates" are longitudes
    and latitudes that are stored, by convention, as EPSG:4326 numbers. So
    the input must be in lon/lat (EPSG:4326, CGCS2000 EPSG:4490, or no CRS
    with coordinates that look like degrees), the result is always tagged
    EPSG:4326 whatever the system, and the system is recorded in
    ``result.attrs["coordinate_system"]`` (``"wgs84"``, ``"gcj02"`` or
    ``"bd09"``). All geometry columns are converted (points, lines, polygons
    and their multi-part and collection forms, Z kept as is); missing
    geometries stay missing.

    Parameters
    ----------
    frame : geopandas.GeoDataFrame or geopandas.GeoSeries
        The data, in lon/lat. It is not modified.
    source : str
        The system its coordinates are in, by any name
        :func:`normalize_system` accepts. If ``frame.attrs`` already records
        a ``"coordinate_system"`` (set by an earlier call), it must agree.
    target : str, default "wgs84"
        The system to convert to.

    Returns
    -------
    geopandas.GeoDataFrame or geopandas.GeoSeries
        A new object of the same kind, index and columns, in EPSG:4326,
        with ``attrs["coordinate_system"] = target`` (canonical name).

    Raises
    ------
    ConfigError
        If ``source`` or ``target`` is not a known system.
    CRSError
        If the data are not in lon/lat (a projected or other geographic CRS,
        or no CRS and coordinates outside ±180/±90), or their
        ``attrs["coordinate_system"]`` contradicts ``source``.
    InputError
        If ``frame`` is not a GeoDataFrame or GeoSeries.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> pois = gpd.GeoDataFrame({"name": ["天安门"]}, geometry=[Point(116.3975, 39.9087)], crs=4326)
    >>> wgs = convert_frame(pois, source="gcj02")
    >>> wgs.crs.to_epsg(), wgs.attrs["coordinate_system"]
    (4326, 'wgs84')
    >>> round(float(wgs.geometry.x.iloc[0]), 5), round(float(wgs.geometry.y.iloc[0]), 5)
    (116.39126, 39.9073)
    """
    import geopandas as gpd

    src = normalize_system(source)
    dst = normalize_system(target)
    if not isinstance(frame, gpd.GeoDataFrame | gpd.GeoSeries):
        msg = f"convert_frame needs a GeoDataFrame or GeoSeries, not {type(frame).__name__}"
        raise InputError(msg)
    recorded = frame.attrs.get("coordinate_system")
    if recorded is not None and normalize_system(str(recorded)) != src:
        msg = (
            f"the data are recorded as {recorded!r} (attrs['coordinate_system']) but "
            f"source={source!r}; converting them would shift them twice. Pass "
            f"source={recorded!r}, or clear the record with frame.attrs.pop('coordinate_system')"
        )
        raise CRSError(msg)

    if isinstance(frame, gpd.GeoSeries):
        _check_lonlat(frame, str(frame.name) if frame.name is not None else "the GeoSeries", src)
        result = gpd.GeoSeries(
            _convert_geometries(frame, src, dst), index=frame.index, crs=4326, name=frame.name
        )
    else:
        columns = [col for col in frame.columns if isinstance(frame[col], gpd.GeoSeries)]
        for col in columns:
            _check_lonlat(frame[col], str(col), src)
        result = frame.copy()
        for col in columns:
            result[col] = gpd.GeoSeries(
                _convert_geometries(frame[col], src, dst), index=frame.index, crs=4326, name=col
            )
    # A new dict: frame.copy() may share the attrs values with the input.
    result.attrs = {**frame.attrs, "coordinate_system": dst}
    log.debug("converted %d geometries from %s to %s", len(frame), src, dst)
    return result
