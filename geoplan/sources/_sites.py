r"""Read a table of sites (CSV or Excel with coordinate columns) as points.

A study's ``[facilities.types.X] file = "clinics.csv"`` names such a table:
one row per site, an x and a y column in a declared CRS. It is read with the
same reader as POI tables and registers (:func:`geoplan.sources._tables.read_table`:
UTF-8, UTF-16, GBK/GB18030 and Big5 CSV, ``.xlsx``, a title above the
header, Chinese headers), and every row must hold usable coordinates: a
row without them is refused with its row number, never dropped.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> text = "名称,经度,纬度\n朝阳社区卫生服务站,125.3245,43.8868\n"
>>> _ = (folder / "clinics.csv").write_text(text, encoding="gbk")
>>> sites = read_site_table(folder / "clinics.csv", x="lon", y="lat", crs="EPSG:4326")
>>> sites["名称"].tolist(), sites.geometry.x.tolist()
(['朝阳社区卫生服务站'], [125.3245])
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
from numpy.typing import NDArray

from geoplan._errors import ConfigError, CRSError, InputError
from geoplan.coords import convert, normalize_system
from geoplan.network import Network
from geoplan.sources._coordinate_evidence import check_points
from geoplan.sources._inputs import check_crs_range
from geoplan.sources._tables import normalize_text, read_table, row_list, to_number

__all__ = [
    "ADDRESS_HEADERS",
    "LAT_HEADERS",
    "LON_HEADERS",
    "NAME_HEADERS",
    "SITE_TABLE_SUFFIXES",
    "read_site_table",
    "site_crs",
]

FloatArray = NDArray[np.float64]

#: Files read as tables of sites (the others as vector files).
SITE_TABLE_SUFFIXES: Final = (".csv", ".tsv", ".txt", ".tab", ".xlsx", ".xlsm", ".xls")
#: Headers taken for the x column when ``x`` is left at its default ``"lon"``.
LON_HEADERS: Final = ("lon", "lng", "long", "longitude", "经度", "經度", "x")
#: Headers taken for the y column when ``y`` is left at its default ``"lat"``.
LAT_HEADERS: Final = ("lat", "latitude", "纬度", "緯度", "y")
#: Headers of a name column (kept under its own header; it helps find the header row).
NAME_HEADERS: Final = ("名称", "名稱", "name", "名字", "机构名称", "设施名称", "单位名称")
#: Headers of an address column, used by the coordinate check's address test.
ADDRESS_HEADERS: Final = ("地址", "address", "详细地址", "addr", "地點", "地点")


def site_crs(crs: str, *, where: str = "") -> pyproj.CRS:
    """Return the CRS a site table declares; refuse one pyproj does not know.

    Parameters
    ----------
    crs
        The declared CRS (``"EPSG:4326"``).
    where
        The setting's place, for messages (``"[facilities.types.clinic]"``).

    Raises
    ------
    ConfigError
        ``crs`` is not a CRS (``"EPSG:99999"``, ``"wgs"``).

    Examples
    --------
    >>> site_crs("EPSG:4326").is_geographic
    True
    """
    try:
        return pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as exc:
        reason = str(exc).split(": (", 1)[-1].rstrip(")")
        msg = (
            f"{where} crs = {crs!r} is not a coordinate reference system pyproj knows "
            f'({reason}); e.g. crs = "EPSG:4326" for longitude/latitude (WGS-84), or the '
            "EPSG code of the projected CRS the x/y are in"
        ).strip()
        raise ConfigError(msg) from None


def read_site_table(
    file: Path,
    *,
    x: str,
    y: str,
    crs: str,
    where: str = "",
    coordinates: str = "wgs84",
    network: Network | None = None,
) -> gpd.GeoDataFrame:
    """Read a CSV or Excel table of sites as points in its declared CRS.

    Parameters
    ----------
    file
        The table (any file :func:`~geoplan.sources._tables.read_table` reads).
    x, y
        The coordinate columns' headers. Left at ``"lon"``/``"lat"``, the
        usual other names are taken too (:data:`LON_HEADERS`,
        :data:`LAT_HEADERS`: 经度/纬度 (also in traditional characters), lng,
        longitude, x/y ...).
    crs
        The CRS of the coordinates.
    where
        The setting's place, for messages (``"[facilities.types.clinic]"``).
    coordinates
        For longitude/latitude: the system the numbers are in, ``"wgs84"``
        (default), ``"gcj02"`` (Amap, Tencent), ``"bd09"`` (Baidu) or
        ``"auto"`` (needs ``network``). GCJ-02 and BD-09 are converted to
        WGS-84 (the result is in ``crs``, EPSG:4326).
    network
        The study area's streets: the system is checked against them as
        :func:`geoplan.sources._coordinate_evidence.check_points` does (an
        address column, 地址, adds the address test), and the check recorded
        in ``attrs["coordinate_check"]``.

    Returns
    -------
    geopandas.GeoDataFrame
        Every row, indexed by its row number in the file, with its columns
        as text under their header names, and Point geometries.
        ``attrs["source_coordinate_system"]`` is the system read (for
        longitude/latitude).

    Raises
    ------
    ConfigError
        An unknown ``crs``; no column named ``x`` or ``y``; an unknown
        ``coordinates``, or one other than ``"wgs84"`` for a projected
        ``crs``, or ``"auto"`` without a network.
    InputError
        An empty table, or rows whose coordinates are blank or not numbers.
    CRSError
        Rows whose coordinates lie outside the range of ``crs`` (swapped
        longitude/latitude, degrees declared as metres, ...); a coordinate
        system the streets clearly contradict, or ``"auto"`` they cannot
        decide.
    DataSourceError
        A file that cannot be read (see ``read_table``).
    """
    target = site_crs(crs, where=where)
    declared = _site_system(coordinates, target, crs=crs, network=network, where=where)
    expected = {
        "x": _headers(x, "lon", LON_HEADERS),
        "y": _headers(y, "lat", LAT_HEADERS),
        "name": NAME_HEADERS,  # finds the header row of a table whose x/y are misnamed
    }
    table = read_table(file, expected=expected)
    headers: dict[str, str] = dict(table.attrs.get("headers", {}))
    missing = [f"{axis} = {name!r}" for axis, name in (("x", x), ("y", y)) if axis not in table]
    if missing:
        found = ", ".join(repr(headers.get(str(c), str(c))) for c in table.columns)
        msg = (
            f"{where} {file.name} has no coordinate column for {' and '.join(missing)}; its "
            f"columns are {found}. Set x = ... and y = ... to its longitude and latitude "
            "(or easting and northing) columns"
        ).strip()
        raise ConfigError(msg)
    if table.empty:
        msg = (
            f"{where} {file.name} has a header but no rows of sites; fill it in, or remove "
            "file = ... to use the sites found in OpenStreetMap"
        ).strip()
        raise InputError(msg)
    lon, lat = _coordinates(table, headers, file, where)
    _check_range(lon, lat, target, rows=list(table.index), headers=headers, file=file, where=where)
    renamed = {c: headers[c] for c in expected if c in table and headers.get(c) not in table}
    frame = table.rename(columns=renamed)
    attrs: dict[Hashable, Any] = {}
    if target.is_geographic:
        what = f"{where} {file.name}".strip()
        lon, lat, attrs = _in_wgs84(frame, lon, lat, declared=declared, network=network, what=what)
    sites = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(lon, lat), crs=target)
    sites.attrs.update(attrs)
    return sites


def _site_system(
    coordinates: str, target: pyproj.CRS, *, crs: str, network: Network | None, where: str
) -> str:
    """Return the declared system (or ``"auto"``); refuse one that cannot apply."""
    auto = isinstance(coordinates, str) and coordinates.strip().lower() == "auto"
    declared = "auto" if auto else normalize_system(coordinates)
    if declared != "wgs84" and not target.is_geographic:
        msg = (
            f"{where} coordinates = {coordinates!r} applies to longitude/latitude, but crs = "
            f'{crs!r} is a projected CRS; leave coordinates = "wgs84" for projected x/y, or '
            'set crs = "EPSG:4326" if the numbers are degrees'
        ).strip()
        raise ConfigError(msg)
    if declared == "auto" and network is None:
        msg = (
            f"{where} coordinates = 'auto' needs the street network to decide on; declare the "
            "system instead: 'gcj02' (Amap/Gaode, Tencent), 'bd09' (Baidu) or 'wgs84' (GPS, "
            "OpenStreetMap)"
        ).strip()
        raise ConfigError(msg)
    return declared


def _in_wgs84(
    frame: pd.DataFrame,
    lon: FloatArray,
    lat: FloatArray,
    *,
    declared: str,
    network: Network | None,
    what: str,
) -> tuple[FloatArray, FloatArray, dict[Hashable, Any]]:
    """Check the system against the streets (with a network) and convert to WGS-84."""
    attrs: dict[Hashable, Any] = {}
    system = declared
    if network is not None:
        address = next((c for c in frame.columns if _is_address(c)), None)
        check = check_points(
            lon,
            lat,
            network,
            coordinates=declared,
            addresses=None if address is None else frame[address].tolist(),
            what=what,
        )
        attrs["coordinate_check"] = check.as_dict()
        if check.system is None:
            msg = (
                f"{what}: cannot check the coordinate system against the streets "
                f"({check.reason}); declare it: coordinates = 'gcj02' (Amap/Gaode, Tencent), "
                "'bd09' (Baidu) or 'wgs84' (GPS, OpenStreetMap)"
            )
            raise CRSError(msg)
        system = check.system
    attrs["source_coordinate_system"] = system
    if system != "wgs84":
        lon, lat = convert(lon, lat, source=system, target="wgs84")
    return lon, lat, attrs


def _is_address(column: Hashable) -> bool:
    return normalize_text(column).casefold() in {h.casefold() for h in ADDRESS_HEADERS}


def _headers(given: str, default: str, usual: Sequence[str]) -> list[str]:
    return list(dict.fromkeys([given, *usual])) if given == default else [given]


def _coordinates(
    table: pd.DataFrame, headers: dict[str, str], file: Path, where: str
) -> tuple[FloatArray, FloatArray]:
    """Parse both coordinate columns; refuse rows with a blank or non-number coordinate."""
    lon, bad_x = to_number(table["x"])
    lat, bad_y = to_number(table["y"])
    unreadable = set(bad_x) | set(bad_y)
    blank = [r for r in table.index[lon.isna() | lat.isna()] if r not in unreadable]
    problems = []
    in_order = [r for r in table.index if r in unreadable]
    for rows, what in ((in_order, "coordinates that are not numbers"), (blank, "no coordinates")):
        if rows:
            problems.append(
                f"{what} in row(s) {row_list(rows)} ({_example(table, rows[0], headers)})"
            )
    if problems:
        msg = (
            f"{where} {file.name}: {len(unreadable) + len(blank)} of {len(table)} sites have "
            f"{'; '.join(problems)}. Correct or delete those rows: every site needs a "
            "number in both coordinate columns (e.g. 125.3245 and 43.8868)"
        ).strip()
        raise InputError(msg)
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


def _example(table: pd.DataFrame, row: Hashable, headers: dict[str, str]) -> str:
    x, y = table.loc[[row], ["x", "y"]].to_numpy()[0]
    return f"row {row}: {headers.get('x', 'x')}={x!r}, {headers.get('y', 'y')}={y!r}"


def _check_range(
    lon: FloatArray,
    lat: FloatArray,
    crs: pyproj.CRS,
    *,
    rows: list[Hashable],
    headers: dict[str, str],
    file: Path,
    where: str,
) -> None:
    found = check_crs_range(lon, lat, crs)
    if not found.outside.any():
        return
    bad = [rows[i] for i in np.flatnonzero(found.outside)]
    first = int(np.flatnonzero(found.outside)[0])
    x_name, y_name = headers.get("x", "x"), headers.get("y", "y")
    fixes = {
        "swapped": (
            f"Swap the two headers ({x_name!r} and {y_name!r}) in the file, or set "
            f"x = {y_name!r} and y = {x_name!r}"
        ),
        "degrees": 'Set crs = "EPSG:4326"',
        "projected": 'Set crs to the CRS the numbers are in (e.g. crs = "EPSG:32651")',
        "outside": "Set crs to the CRS the numbers are in",
    }
    msg = (
        f"{where} {file.name}: {len(bad)} of {len(rows)} sites lie outside the range of "
        f"{crs.to_string()} (rows {row_list(bad)}; e.g. row {rows[first]}: "
        f"{x_name}={lon[first]:g}, {y_name}={lat[first]:g}): {found.explain(crs)}. "
        f"{fixes.get(found.kind, 'Correct those rows')}"
    ).strip()
    raise CRSError(msg)
