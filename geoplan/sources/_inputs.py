"""What a reader was given: the kind of source, the clip area, the tag filter.

Every public reader in :mod:`geoplan.sources` first turns its arguments into
these checked values, so the checks and their messages are the same for all.

Examples
--------
>>> classify_source((126.5, 45.6, 126.8, 45.9), reader="network").kind
'bbox'
>>> clip_area((126.5, 45.6, 126.8, 45.9)).bounds
(126.5, 45.6, 126.8, 45.9)
"""

from __future__ import annotations

import math
import numbers
import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeAlias

import geopandas as gpd
import numpy as np
import pyproj
import shapely
from numpy.typing import NDArray

from geoplan._errors import CRSError, DataSourceError, InputError

__all__ = [
    "CrsRange",
    "Source",
    "TagFilter",
    "check_bbox",
    "check_crs_range",
    "check_regular_file",
    "classify_source",
    "clip_area",
]

BBox: TypeAlias = tuple[float, float, float, float]
Kind = Literal["pbf", "xml", "graphml", "vector", "place", "polygon", "bbox"]
Reader = Literal["network", "features"]

#: File name endings and the kind of file they name, longest first.
SUFFIXES: tuple[tuple[str, Kind], ...] = (
    (".osm.pbf", "pbf"),
    (".osm.bz2", "xml"),
    (".osm.gz", "xml"),
    (".xml.bz2", "xml"),
    (".xml.gz", "xml"),
    (".graphml", "graphml"),
    (".geojson", "vector"),
    (".gpkg", "vector"),
    (".json", "vector"),
    (".pbf", "pbf"),
    (".osm", "xml"),
    (".xml", "xml"),
    (".shp", "vector"),
    (".fgb", "vector"),
)

_FORMATS: dict[Reader, str] = {
    "network": (
        "OSM PBF (.osm.pbf, .pbf), OSM XML (.osm, .xml, .osm.bz2, .osm.gz), GraphML "
        "(.graphml), road lines (.shp, .gpkg, .geojson, .json, .fgb), or an online query "
        "(place name, shapely Polygon in EPSG:4326, or bbox (left, bottom, right, top) in "
        "lon/lat)"
    ),
    "features": (
        "OSM PBF (.osm.pbf, .pbf), OSM XML (.osm, .xml, .osm.bz2, .osm.gz), vector files "
        "(.gpkg, .geojson, .json, .shp, .fgb), or an online query (place name, shapely "
        "Polygon in EPSG:4326, or bbox (left, bottom, right, top) in lon/lat)"
    ),
}
_KINDS: dict[Reader, frozenset[str]] = {
    "network": frozenset({"pbf", "xml", "graphml", "vector", "place", "polygon", "bbox"}),
    "features": frozenset({"pbf", "xml", "vector", "place", "polygon", "bbox"}),
}


@dataclass(frozen=True)
class Source:
    """A checked source: a file of a known kind, or an online query.

    Attributes
    ----------
    kind : str
        ``pbf``, ``xml``, ``graphml``, ``vector``, ``place``, ``polygon`` or ``bbox``.
    name : str
        A label: the file name without its suffix, or the query.
    path : pathlib.Path or None
        The file, for file sources.
    query : str or shapely.Geometry or tuple or None
        The place name, polygon (EPSG:4326) or bbox tuple, for online sources.
    """

    kind: Kind
    name: str
    path: Path | None = None
    query: str | shapely.Geometry | BBox | None = None

    @property
    def is_online(self) -> bool:
        """Whether reading this source queries the internet."""
        return self.kind in ("place", "polygon", "bbox")


def _suffix_kind(path: Path) -> tuple[str, Kind] | None:
    lower = path.name.lower()
    for suffix, kind in SUFFIXES:
        if lower.endswith(suffix) and len(lower) > len(suffix):
            return suffix, kind
    return None


def _looks_like_path(text: str) -> bool:
    return (
        "/" in text
        or "\\" in text
        or os.sep in text
        or _suffix_kind(Path(text)) is not None
        or Path(text).exists()
    )


def classify_source(source: object, *, reader: Reader) -> Source:
    """Check a source argument and tell what kind of source it is.

    Parameters
    ----------
    source
        A path (str or Path), a place name, a shapely Polygon/MultiPolygon in
        EPSG:4326, or a bbox ``(left, bottom, right, top)`` in lon/lat.
    reader
        ``"network"`` or ``"features"``: which formats are accepted.

    Returns
    -------
    Source

    Raises
    ------
    DataSourceError
        A file is missing, is a folder, or has a suffix this reader cannot read.
    InputError
        ``source`` is none of the accepted kinds.

    Examples
    --------
    >>> classify_source("Harbin, China", reader="network").kind
    'place'
    """
    formats = _FORMATS[reader]
    if isinstance(source, str | os.PathLike) and not (
        isinstance(source, str) and not _looks_like_path(source)
    ):
        path = Path(os.fspath(source)).expanduser()
        found = _suffix_kind(path)
        if not path.exists():
            hint = (
                f" (relative to the working directory {Path.cwd()})"
                if not path.is_absolute()
                else ""
            )
            msg = f"file not found: {path}{hint}; check the path and its spelling"
            raise DataSourceError(msg)
        if path.is_dir():
            msg = f"{path} is a folder; give a file: {formats}"
            raise DataSourceError(msg)
        check_regular_file(path, what="an OSM or vector file")
        if found is None or found[1] not in _KINDS[reader]:
            msg = f"cannot read {path.name!r}: unknown or unsupported file type; give {formats}"
            raise DataSourceError(msg)
        suffix, kind = found
        return Source(kind=kind, name=path.name[: -len(suffix)], path=path)
    if isinstance(source, str):
        if not source.strip():
            msg = "source is an empty string; give a file path or a place name"
            raise InputError(msg)
        return Source(kind="place", name=source, query=source)
    if isinstance(source, shapely.Geometry):
        if source.geom_type not in ("Polygon", "MultiPolygon") or source.is_empty:
            msg = (
                f"a geometry source must be a Polygon or MultiPolygon in EPSG:4326, "
                f"got {source.geom_type}; e.g. shapely.box(left, bottom, right, top)"
            )
            raise InputError(msg)
        _check_lonlat(source.bounds, what="the query polygon")
        return Source(kind="polygon", name="polygon", query=source)
    if _is_bbox_like(source):
        bbox = check_bbox(source, what="the bbox source")
        name = "bbox({:.5f}, {:.5f}, {:.5f}, {:.5f})".format(*bbox)
        return Source(kind="bbox", name=name, query=bbox)
    if isinstance(source, gpd.GeoDataFrame | gpd.GeoSeries):
        msg = (
            "a GeoDataFrame/GeoSeries cannot be a source; to query OSM inside it pass its "
            "outline in lon/lat: source=frame.to_crs(4326).union_all()"
        )
        raise InputError(msg)
    msg = f"source must be {formats}; got {type(source).__name__}"
    raise InputError(msg)


def check_regular_file(path: Path, *, what: str) -> None:
    """Refuse a path that is a folder or not a regular file (a device such as /dev/zero, a pipe).

    Such files never end or cannot be read twice: reading one would hang or fill
    the memory. Missing files are the caller's to report (with its own hint).

    Parameters
    ----------
    path
        An existing path.
    what
        What the caller expects, for the message (e.g. "a CSV or Excel table").

    Raises
    ------
    DataSourceError
        The path is a folder, a device, a pipe or a socket, or cannot be examined.

    Examples
    --------
    >>> check_regular_file(Path("/dev/null"), what="a table")
    Traceback (most recent call last):
    ...
    geoplan._errors.DataSourceError: /dev/null is not a regular file (a device, pipe or \
socket, which may never end); give a table saved on disk
    """
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        msg = f"{path} cannot be examined ({exc.strerror}); check the path and its permissions"
        raise DataSourceError(msg) from None
    if stat.S_ISDIR(mode):
        msg = f"{path} is a folder, not {what}; give the file inside it"
        raise DataSourceError(msg)
    if not stat.S_ISREG(mode):
        msg = (
            f"{path} is not a regular file (a device, pipe or socket, which may never end); "
            f"give {what} saved on disk"
        )
        raise DataSourceError(msg)


def _is_bbox_like(value: object) -> bool:
    return isinstance(value, tuple | list) and len(value) == 4


def check_bbox(value: object, *, what: str = "bbox") -> BBox:
    """Check a ``(left, bottom, right, top)`` bbox in lon/lat and return it as floats.

    Raises
    ------
    InputError
        Not four finite numbers, or left >= right, or bottom >= top.
    CRSError
        Values outside lon/lat ranges (projected coordinates, or lat/lon swapped).

    Examples
    --------
    >>> check_bbox([126.5, 45.6, 126.8, 45.9])
    (126.5, 45.6, 126.8, 45.9)
    """
    if not (
        isinstance(value, tuple | list)
        and len(value) == 4
        and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value)
    ):
        msg = f"{what} must be four numbers (left, bottom, right, top) in lon/lat; got {value!r}"
        raise InputError(msg)
    left, bottom, right, top = (float(v) for v in value)
    if not all(math.isfinite(v) for v in (left, bottom, right, top)):
        msg = f"{what} contains NaN or inf: {value!r}"
        raise InputError(msg)
    _check_lonlat((left, bottom, right, top), what=what)
    if left >= right or bottom >= top:
        msg = (
            f"{what} {value!r} must be (left, bottom, right, top) = (min lon, min lat, "
            "max lon, max lat), with left < right and bottom < top"
        )
        raise InputError(msg)
    return left, bottom, right, top


def _check_lonlat(bounds: Sequence[float], *, what: str) -> None:
    left, bottom, right, top = bounds
    lon_ok = -180.0 <= left <= 180.0 and -180.0 <= right <= 180.0
    lat_ok = -90.0 <= bottom <= 90.0 and -90.0 <= top <= 90.0
    if lon_ok and lat_ok:
        return
    if -90 <= left <= 90 and -90 <= right <= 90 and lon_ok:
        hint = "; it looks like (bottom, left, top, right): put longitude first"
    else:
        hint = "; it looks projected: give lon/lat (EPSG:4326), e.g. frame.to_crs(4326)"
    msg = (
        f"{what} has bounds {tuple(bounds)!r}, outside lon/lat ranges; it must be "
        f"(left, bottom, right, top) in EPSG:4326{hint}"
    )
    raise CRSError(msg)


def clip_area(clip: object) -> shapely.Geometry | None:
    """Turn a clip argument into one shapely (Multi)Polygon in EPSG:4326, or None.

    Parameters
    ----------
    clip
        None, a shapely Polygon/MultiPolygon in EPSG:4326, a GeoDataFrame or
        GeoSeries in any CRS (its geometries are unioned), or a bbox
        ``(left, bottom, right, top)`` in lon/lat.

    Raises
    ------
    CRSError
        A GeoDataFrame/GeoSeries without CRS, or coordinates outside lon/lat.
    InputError
        Anything else, or an empty area.

    Examples
    --------
    >>> clip_area(None) is None
    True
    """
    if clip is None:
        return None
    if isinstance(clip, shapely.Geometry):
        if clip.geom_type not in ("Polygon", "MultiPolygon") or clip.is_empty:
            msg = (
                "clip must be a Polygon or MultiPolygon in EPSG:4326 (or a bbox tuple, or a "
                f"GeoDataFrame); got {clip.geom_type}"
            )
            raise InputError(msg)
        _check_lonlat(clip.bounds, what="clip")
        return clip
    if isinstance(clip, gpd.GeoDataFrame | gpd.GeoSeries):
        if clip.crs is None:
            msg = "the clip GeoDataFrame/GeoSeries has no CRS; set it, e.g. clip.set_crs(4326)"
            raise CRSError(msg)
        area = shapely.union_all(clip.to_crs(4326).geometry.to_numpy())
        if area is None or area.is_empty or area.area == 0:
            msg = "the clip GeoDataFrame/GeoSeries has no polygon area; give polygons"
            raise InputError(msg)
        return area
    if _is_bbox_like(clip):
        return shapely.box(*check_bbox(clip, what="clip"))
    msg = (
        "clip must be a shapely Polygon in EPSG:4326, a GeoDataFrame/GeoSeries, or a bbox "
        f"(left, bottom, right, top) in lon/lat; got {type(clip).__name__}"
    )
    raise InputError(msg)


@dataclass(frozen=True)
class TagFilter:
    """OSM features having any of some tags: ``{key: True | value | [values]}``.

    ``True`` matches any value of the key (except ``no``), a string that one
    value, and a list any of its values, as in osmnx and pyrosm.

    Examples
    --------
    >>> TagFilter.from_dict({"amenity": ["clinic", "pharmacy"]}).matches({"amenity": "clinic"})
    True
    """

    wanted: Mapping[str, frozenset[str] | None]

    @classmethod
    def from_dict(cls, tags: Mapping[str, object]) -> TagFilter:
        """Check a tag dictionary and build the filter.

        Raises
        ------
        InputError
            Not a non-empty dict of ``{str: True | str | list of str}``.
        """
        if not isinstance(tags, Mapping) or not tags:
            msg = (
                "tags must be a non-empty dict such as {'amenity': True} or "
                f"{{'healthcare': ['clinic', 'hospital']}}; got {tags!r}"
            )
            raise InputError(msg)
        wanted: dict[str, frozenset[str] | None] = {}
        for key, value in tags.items():
            if not isinstance(key, str) or not key:
                msg = f"tags keys must be non-empty strings such as 'amenity'; got {key!r}"
                raise InputError(msg)
            if value is True:
                wanted[key] = None
            elif isinstance(value, str):
                wanted[key] = frozenset({value})
            elif isinstance(value, list | tuple | set | frozenset) and all(
                isinstance(v, str) for v in value
            ):
                wanted[key] = frozenset(value)
            else:
                msg = (
                    f"tags[{key!r}] must be True (any value), a value, or a list of values; "
                    f"got {value!r}"
                )
                raise InputError(msg)
        return cls(wanted)

    @property
    def keys(self) -> list[str]:
        """The tag keys, in the order given."""
        return list(self.wanted)

    def matches(self, tags: Mapping[str, str]) -> bool:
        """Return whether an element with these tags has any of the wanted tags."""
        for key, values in self.wanted.items():
            value = tags.get(key)
            if value is None:
                continue
            if (values is None and value != "no") or (values is not None and value in values):
                return True
        return False

    def as_pyrosm(self) -> dict[str, bool | list[str]]:
        """Return the filter as pyrosm's ``custom_filter``."""
        return {k: True if v is None else sorted(v) for k, v in self.wanted.items()}

    def as_osmnx(self) -> dict[str, bool | str | list[str]]:
        """Return the filter as osmnx's ``tags``."""
        return {k: True if v is None else sorted(v) for k, v in self.wanted.items()}


# ====================================================================== CRS ranges
#: Degrees beyond a projected CRS's area of use that still count as inside it (zones are
#: often used beyond their nominal strip, e.g. a city straddling two UTM zones).
AREA_OF_USE_MARGIN_DEG = 5.0


@dataclass(frozen=True)
class CrsRange:
    """Which points lie outside the range of a CRS, and what they look like instead.

    Attributes
    ----------
    outside : numpy.ndarray
        True for each point that is not finite or outside the CRS's range.
    kind : str
        ``""`` when every point is inside; else what the points look like:
        ``"swapped"`` (latitude, longitude in a geographic CRS), ``"projected"``
        (metres in a geographic CRS), ``"degrees"`` (longitude/latitude in a
        projected CRS), ``"outside"`` (beyond the CRS's area of use) or
        ``"range"`` (beyond ±180/±90, or NaN/inf).
    """

    outside: NDArray[np.bool_]
    kind: str

    def explain(self, crs: pyproj.CRS) -> str:
        """Return what the outside points look like, for a message."""
        texts = {
            "swapped": (
                "longitude and latitude look swapped (x within ±90, y beyond ±90): longitude "
                "must come first"
            ),
            "projected": f"they look projected (metres), not the degrees of {crs.to_string()}",
            "degrees": (
                f"they look like longitude/latitude degrees, not the metres of {crs.to_string()}"
            ),
            "outside": (
                f"they lie outside the area {crs.to_string()} is made for ({_area_text(crs)})"
            ),
            "range": "longitudes must be numbers within ±180 and latitudes within ±90",
        }
        return texts.get(self.kind, "")

    @property
    def declare(self) -> str:
        """Return the CRS to declare instead, as words for a message."""
        if self.kind == "degrees":
            return "'EPSG:4326' (longitude/latitude)"
        if self.kind == "projected":
            return "the projected CRS the numbers are in (e.g. their UTM zone, 'EPSG:32651')"
        return "the CRS the numbers are in"


def check_crs_range(x: Any, y: Any, crs: Any) -> CrsRange:
    """Tell which points lie outside the range of their CRS, and why.

    In a geographic CRS the range is ±180 (x) and ±90 (y). In a projected
    CRS, points whose every coordinate fits ±180/±90 are taken for degrees
    (no metre-based CRS in use puts a whole data set within 180 m of its
    origin), and points that fall more than :data:`AREA_OF_USE_MARGIN_DEG`
    degrees outside the CRS's area of use (when it has one) are outside.

    Parameters
    ----------
    x, y
        Coordinates, array-like.
    crs
        Anything :meth:`pyproj.CRS.from_user_input` takes.

    Returns
    -------
    CrsRange

    Examples
    --------
    >>> check_crs_range([43.8], [125.3], 4326).kind
    'swapped'
    >>> check_crs_range([125.3], [43.8], 32651).kind
    'degrees'
    >>> check_crs_range([500000.0], [4850000.0], 32651).kind
    ''
    """
    target = pyproj.CRS.from_user_input(crs)
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    finite = np.isfinite(xs) & np.isfinite(ys)
    fits = finite & (np.abs(xs) <= 180) & (np.abs(ys) <= 90)
    if target.is_geographic:
        return _geographic_range(xs, ys, finite, fits)
    if finite.any() and fits[finite].all():
        return CrsRange(np.ones(len(xs), dtype=bool), "degrees")
    outside = ~finite | _beyond_area_of_use(xs, ys, target)
    return CrsRange(outside, "" if not outside.any() else "outside" if finite.any() else "range")


def _geographic_range(
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    finite: NDArray[np.bool_],
    fits: NDArray[np.bool_],
) -> CrsRange:
    outside = ~fits
    wrong = outside & finite
    if not wrong.any():
        return CrsRange(outside, "range" if outside.any() else "")
    swapped = wrong & (np.abs(x) <= 90) & (np.abs(y) <= 180)
    if swapped.sum() * 2 > wrong.sum():
        return CrsRange(outside, "swapped")
    big = wrong & ((np.abs(x) > 1000) | (np.abs(y) > 1000))
    return CrsRange(outside, "projected" if big.sum() * 2 > wrong.sum() else "range")


def _beyond_area_of_use(
    x: NDArray[np.float64], y: NDArray[np.float64], crs: pyproj.CRS
) -> NDArray[np.bool_]:
    area = crs.area_of_use
    if area is None:
        return np.zeros(len(x), dtype=bool)
    to_lonlat = pyproj.Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    with np.errstate(all="ignore"):
        lon, lat = to_lonlat.transform(x, y, errcheck=False)
    lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    margin = AREA_OF_USE_MARGIN_DEG
    west, east = area.west - margin, area.east + margin
    if area.west > area.east:  # crossing the antimeridian
        east += 360.0
        lon = np.where(lon < west, lon + 360.0, lon)
    inside = (
        np.isfinite(lon)
        & np.isfinite(lat)
        & (lon >= west)
        & (lon <= east)
        & (lat >= area.south - margin)
        & (lat <= area.north + margin)
    )
    return np.asarray(~inside, dtype=bool)


def _area_text(crs: pyproj.CRS) -> str:
    area = crs.area_of_use
    if area is None:
        return "no area of use recorded"
    return (
        f"{area.name}: longitude {area.west:g} to {area.east:g}, latitude {area.south:g} "
        f"to {area.north:g}"
    )
