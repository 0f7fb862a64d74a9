r"""Read POI tables exported from Amap (高德) or Baidu (百度) into WGS-84 facility points.

Map services in mainland China publish coordinates offset from WGS-84: Amap
(and Tencent) in GCJ-02, Baidu in BD-09 (see :mod:`geoplan.coords`). A POI
table keeps those numbers as they are, so :func:`read_poi_table` needs to
know the system the numbers are in. It can be declared
(``coordinates="gcj02"``), guessed from the headers, or, best, checked
against the street network of the study area: points converted with the
right system lie a few metres from the streets, with a wrong one a few
hundred metres off.

Every POI is then sorted into the facility types of the standards by its
name and its provider category (Amap's type path and code, Baidu's industry
category, through ``geoplan/standards/poi_categories.toml``), with the one
precedence of :mod:`geoplan.facilities`: a category rules types out and may
decide one, then the name keywords, then a weak category.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> text = ("名称,类型,location\n朝阳社区卫生服务站,医疗保健服务;诊所;诊所,\"125.33,43.89\"\n"
...         "实验小学(公交站),交通设施服务;公交车站;普通公交站,\"125.34,43.88\"\n")
>>> _ = (folder / "amap.csv").write_text(text, encoding="utf-8")
>>> pois = read_poi_table(folder / "amap.csv", coordinates="gcj02")
>>> pois["facility_type"].tolist(), pois["confidence"].tolist()
(['community_health_station', 'bus_stop'], ['medium', 'medium'])
>>> pois["ruled_out"].iloc[1]
'primary_school (name:小学) ruled out by category:普通公交站'
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from geoplan._errors import CRSError, InputError
from geoplan.coords import convert, normalize_system
from geoplan.facilities import CONFIDENCES, best_types
from geoplan.network import Network
from geoplan.sources._coordinate_evidence import LABELS, decide_table_system
from geoplan.sources._tables import (
    UnreadableCellsWarning,
    normalize_text,
    read_table,
    row_list,
    to_number,
)
from geoplan.standards import Standards, current_standards
from geoplan.standards._categories import category_table

__all__ = [
    "POI_COLUMNS",
    "poi_categories",
    "read_poi_table",
]

log = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]

# ---------------------------------------------------------------- headers
_SYSTEM_PREFIXES: Final = ("gcj", "gcj02", "bd", "bd09", "baidu", "wgs", "wgs84")


def _coordinate_aliases(bases: Sequence[str]) -> tuple[str, ...]:
    prefixed = [f"{p}_{b}" for p in _SYSTEM_PREFIXES for b in bases]
    suffixed = [f"{b}_{p}" for p in _SYSTEM_PREFIXES for b in bases]
    return (*bases, *prefixed, *suffixed)


#: Canonical POI columns and the header texts accepted for them (compared after
#: :func:`geoplan.sources._tables.header_key`: case, spaces, full-width forms and bracketed
#: units ignored). ``lon``/``lat`` also accept the system-prefixed forms ``gcj_lng``,
#: ``bd_lng``, ``wgs_lng``, ``lng_gcj02``, ``baidu_lat``, ... .
POI_COLUMNS: Final[Mapping[str, tuple[str, ...]]] = {
    "name": ("名称", "name", "poi名称", "poi_name", "名字", "店名", "title", "机构名称"),
    "category": (
        "类型",
        "type",
        "分类",
        "category",
        "tag",
        "标签",
        "poi类型",
        "类别",
        "行业分类",
        "所属分类",
    ),
    "category_major": ("大类", "一级分类", "一级类", "big_category"),
    "category_mid": ("中类", "二级分类", "二级类", "mid_category"),
    "category_minor": ("小类", "三级分类", "三级类", "small_category"),
    "typecode": ("typecode", "类型编码", "分类编码", "类型代码", "分类代码", "type_code"),
    "address": ("地址", "address", "详细地址", "addr", "地点"),
    "poi_id": ("id", "uid", "poiid", "poi_id", "poi编号", "编号"),
    "location": (
        "location",
        "经纬度",
        "坐标",
        "lnglat",
        "lng_lat",
        "lonlat",
        "lon_lat",
        "经纬度坐标",
        "gcj_location",
        "bd_location",
        "wgs_location",
    ),
    "lon": ("经度", *_coordinate_aliases(("lng", "lon", "long", "longitude", "x"))),
    "lat": ("纬度", *_coordinate_aliases(("lat", "latitude", "y"))),
}

_OUTPUT_FIRST: Final = ("name", "category", "address", "poi_id", "lon_input", "lat_input")
#: The classification columns read_poi_table adds, after lat_input (see best_types).
_RESULT: Final = (
    "facility_type",
    "match_rule",
    "confidence",
    "facility_name_zh",
    "facility_name_en",
    "ruled_out",
)


# ====================================================================== categories
def poi_categories(standards: Standards | None = None) -> pd.DataFrame:
    """Return the table of provider categories geoplan reads as evidence for and against types.

    Parameters
    ----------
    standards
        The standards whose types the categories must name; the package's
        when omitted.

    Returns
    -------
    pandas.DataFrame
        One row per entry of ``geoplan/standards/poi_categories.toml``:
        ``entry`` (its number), ``facility_type`` (the types it gives, comma
        separated; empty for none), ``strength`` (``strong``, ``weak``,
        ``none``), ``confirms``, ``allows`` (``*`` for any type), ``amap``
        (``code 大类;中类;小类``, ``;``-separated), ``baidu``, ``words``,
        ``verification`` (``verified_secondary`` or ``default``) and ``note``.
        ``attrs["providers"]``: each provider table's name, cite, urls and
        verification.

    Raises
    ------
    ConfigError
        A malformed entry, a category listed twice, or a type the standards
        lack.

    Examples
    --------
    >>> table = poi_categories()
    >>> row = table[table["baidu"].str.contains("医疗;药店")].iloc[0]
    >>> row["facility_type"], row["strength"], row["amap"]
    ('pharmacy', 'strong', '090601 医疗保健服务;医药保健销售店;药房')
    >>> sorted(table["verification"].unique())
    ['default', 'verified_secondary']
    """
    std = current_standards() if standards is None else standards
    table = category_table([t.id for t in std.all_types])
    result = pd.DataFrame(table.rows())
    result.attrs["providers"] = {
        pid: {"name": p.name, "cite": p.cite, "urls": list(p.urls), "verification": p.verification}
        for pid, p in table.providers.items()
    }
    return result


# ====================================================================== reader
def read_poi_table(
    path: str | os.PathLike[str],
    *,
    coordinates: str = "auto",
    network: Network | None = None,
    sheet: str | int | None = None,
    sample: int = 2000,
) -> gpd.GeoDataFrame:
    r"""Read a POI table exported from Amap or Baidu (CSV or Excel) as WGS-84 points.

    **Columns.** The header may sit below a title and span two rows (see
    :func:`geoplan.sources._tables.read_table`); headers are matched in
    Chinese or English, ignoring case, spaces, full-width forms and units
    (all aliases in :data:`POI_COLUMNS`): ``name`` (名称, name, POI名称),
    ``category`` (类型, type, 分类, tag; or 大类/中类/小类 joined with ``;``),
    ``typecode``, ``address`` (地址), ``poi_id`` (id, uid, poiid), and the
    coordinates: either one ``location`` column ``"lng,lat"`` as Amap writes
    it (also 经纬度, 坐标), or a longitude column (经度, lng, lon, longitude, x,
    gcj_lng, bd_lng, wgs_lng ...) and a latitude column (纬度, lat, latitude,
    y, ...). Full-width digits are read. A table without a recognised name
    column is read (its POIs classified by category only) with an
    :class:`~geoplan.UnreadableCellsWarning` listing its columns and the
    accepted name headers.

    **Bad rows.** Rows whose coordinates are blank, not numbers, or outside
    ±180/±90 are left out and reported with their row numbers in an
    :class:`~geoplan.UnreadableCellsWarning` (and in
    ``attrs["dropped_rows"]``); they are never dropped silently. When most
    rows have longitude and latitude swapped (a latitude beyond ±90, or in
    China a "longitude" of 18-54 with a "latitude" of 73-135), a
    :class:`~geoplan.CRSError` says so.

    **Coordinate system.** ``coordinates`` is the system the numbers are in:
    ``"wgs84"``, ``"gcj02"``, ``"bd09"`` (any alias of
    :func:`geoplan.coords.normalize_system`) or ``"auto"``. With a
    ``network``, the system is decided on evidence from the streets
    (:mod:`geoplan.sources._coordinate_evidence`): a seeded sample of at most
    ``sample`` points is placed with each system and compared with the same
    points shifted at random by 100-1,500 m (how well *wrongly* placed points
    still fit this network): the share of points near a street and, where the
    network's edges carry street names, the share of points near the street
    their address (地址) names. Then:

    * ``"auto"`` takes a system only when one fits clearly better than the
      others *and* than the shifted points; otherwise (a dense city centre,
      where any point is near a street) a :class:`~geoplan.CRSError` gives
      every figure and asks to declare the system;
    * a declared system is refused (:class:`~geoplan.CRSError`) when another
      fits clearly better and the declared one no better than the shifted
      points; against weaker evidence it is kept, and the evidence noted.

    The check is recorded in ``attrs["coordinate_check"]`` (see
    :meth:`~geoplan.sources._coordinate_evidence.CoordinateCheck.as_dict`:
    ``decision``, ``evidence`` (strong, weak, none), every figure, the null's
    quantiles, ``median_offset_m``, a ``caveat`` in Chinese and English) and
    logged. With ``"auto"`` and no network (or too few points near it) the
    system is guessed from the headers: a ``bd``/``baidu`` coordinate column
    means BD-09, ``gcj``/``amap`` GCJ-02, ``wgs``/``gps`` WGS-84, and a
    ``location`` column GCJ-02 (Amap); the guess is logged as a warning. Plain
    ``lng``/``lat`` headers give no hint: then a :class:`~geoplan.CRSError`
    asks for ``coordinates=`` or ``network=``.

    **Facility types.** Each POI gets one ``facility_type`` (or None) from its
    name, its category (``category``, or 大类/中类/小类 joined) and Amap's
    ``typecode``, by :func:`geoplan.facilities.best_types`, with the one
    precedence of :mod:`geoplan.facilities`:

    1. the provider category rules out every type it is evidence against (a
       公交车站 named 实验小学站 is no school, a hotel named 电影大酒店 no
       cinema, a shop in 新天地购物公园 no park); the categories and what they
       allow are in ``geoplan/standards/poi_categories.toml`` (see
       :func:`poi_categories`), Amap's codes looked up before its path, the
       most specific part of a path first;
    2. a strong category decides its type (药房, 幼儿园, 便利店, 公交车站, 银行);
    3. else the name keywords of the standards' types, less the type's
       ``name_excludes``; of several, the longest keyword, then the standards'
       order (人民公园应急避难场所 is a shelter);
    4. else a weak category (中学, 超市, 物流速递, 餐饮, 卫生院).

    ``match_rule`` says what decided (``"name:社区卫生服务站"``,
    ``"name+category:幼儿园+幼儿园"``, ``"category:141204 幼儿园"``),
    ``confidence`` how sure that is: ``"high"`` when the name and the category
    agree, ``"medium"`` for one specific signal (a name keyword, a strong
    category), ``"low"`` for a weak category alone. ``ruled_out`` lists what the
    category ruled out. Call :func:`geoplan.classify_facilities` with
    ``category_column="category"`` on the result, without its
    ``facility_type`` column, to list every type a POI fits. The unclassified
    POIs are counted by category in ``attrs["unclassified_by_category"]`` and
    the log.

    Parameters
    ----------
    path
        A ``.csv`` (UTF-8 or GBK), ``.tsv``/``.txt`` or ``.xlsx`` file.
    coordinates
        The system of the coordinates in the file, or ``"auto"``.
    network
        The study area's street network (:class:`geoplan.Network`): checks or
        detects the coordinate system.
    sheet
        Excel only: the sheet name or 0-based position (default: the first).
    sample
        At most this many points are measured against the network.

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326 (true WGS-84), indexed by the row number in the file
        (index name ``"row"``): ``name``, ``category``, ``address``, ``poi_id``
        (text, None where the file has no such column), ``lon_input``,
        ``lat_input`` (the numbers as given, in the file's system),
        ``facility_type`` (a type id, or None), ``match_rule``, ``confidence``
        (``"high"``, ``"medium"``, ``"low"``), ``facility_name_zh``,
        ``facility_name_en`` and ``ruled_out`` (None where they do not apply;
        a file's own columns of these names are kept as ``<name>_input``),
        then every other column of the file as text, and the point geometry.
        ``attrs``: ``coordinate_system`` (``"wgs84"``),
        ``source_coordinate_system`` (the system the file was read in),
        ``coordinate_check`` (with a network), ``dropped_rows``, ``source`` and
        ``unclassified_by_category`` (``{category: number of POIs}``, most
        first, ``"(none)"`` for a blank category).

    Raises
    ------
    InputError
        An empty file, no rows below the header, no coordinate columns (the
        message lists the columns found and the accepted names), no row with
        usable coordinates, a bad ``sample``.
    CRSError
        Swapped longitude and latitude; a declared system the streets clearly
        contradict; ``"auto"`` without clear evidence from the streets, or with
        no network and no hint in the headers.
    ConfigError
        An unknown ``coordinates`` name.
    DataSourceError
        A missing or unreadable file, an ``.xls`` workbook.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> text = "name,tag,bd_lng,bd_lat\n幸福幼儿园,教育培训;幼儿园,125.3365,43.8962\n"
    >>> _ = (folder / "baidu.csv").write_text(text, encoding="utf-8")
    >>> pois = read_poi_table(folder / "baidu.csv")  # bd_ headers: read as BD-09
    >>> pois.attrs["source_coordinate_system"], pois["match_rule"].tolist()
    ('bd09', ['name+category:幼儿园+幼儿园'])
    >>> round(float(pois.geometry.x.iloc[0]), 4), round(float(pois.geometry.y.iloc[0]), 4)
    (125.3234, 43.8881)
    """
    file = Path(path)
    if not _is_auto(coordinates):
        normalize_system(coordinates)  # an unknown name is refused before the file is read
    if isinstance(sample, bool) or not isinstance(sample, int | np.integer) or sample < 1:
        msg = f"sample must be a whole number of points, at least 1; got {sample!r}"
        raise InputError(msg)
    if network is not None and not isinstance(network, Network):
        msg = (
            f"network must be a geoplan.Network, got {type(network).__name__}; build one with "
            "geoplan.read_network(...)"
        )
        raise InputError(msg)
    table = read_table(file, sheet=sheet, expected=POI_COLUMNS)
    headers: dict[str, str] = dict(table.attrs.get("headers", {}))
    if table.empty:
        rows = table.attrs.get("header_rows", [])
        msg = (
            f"{file}: no data rows below the header (row {'-'.join(map(str, rows))}); "
            "export the POIs again, or check that the right sheet was read (sheet=)"
        )
        raise InputError(msg)
    coords = _Coordinates.parse(table, headers, file)
    table = table.loc[coords.kept]
    lon_in, lat_in = coords.lon[coords.kept_mask], coords.lat[coords.kept_mask]
    system, check = decide_table_system(
        coordinates,
        header_texts=coords.header_texts,
        columns=coords.columns,
        lon=lon_in,
        lat=lat_in,
        network=network,
        sample=sample,
        addresses=table["address"].tolist() if "address" in table.columns else None,
        what=file.name,
    )
    lon, lat = convert(lon_in, lat_in, source=system, target="wgs84")
    if "name" not in table.columns:
        _warn_no_names(table, headers, file)
    frame = _assemble(table, coords, lon_in, lat_in)
    classes = _classify(frame, file)
    for i, column in enumerate(_RESULT):
        frame.insert(6 + i, column, classes[column])
    result = gpd.GeoDataFrame(
        frame, geometry=gpd.points_from_xy(lon, lat, crs="EPSG:4326"), crs="EPSG:4326"
    )
    attrs: dict[Hashable, Any] = {
        "source": str(file),
        "coordinate_system": "wgs84",
        "source_coordinate_system": system,
        "dropped_rows": coords.dropped,
        "unclassified_by_category": classes.attrs["unclassified_by_category"],
    }
    if check is not None:
        attrs["coordinate_check"] = check.as_dict()
    result.attrs = attrs
    log.info("%s: read %d POIs (%s → WGS-84)", file.name, len(result), LABELS[system])
    return result


def _is_auto(coordinates: object) -> bool:
    return isinstance(coordinates, str) and coordinates.strip().lower() == "auto"


def _warn_no_names(table: pd.DataFrame, headers: Mapping[str, str], file: Path) -> None:
    """Warn that no column holds the POIs' names: they can only be classified by category."""
    found = ", ".join(repr(headers.get(str(c), str(c))) for c in table.columns)
    accepted = ", ".join(POI_COLUMNS["name"])
    msg = (
        f"{file.name}: no column of names: the header has {found}, and names are recognised "
        f"under {accepted}. The {len(table)} POIs are kept without names (classified by "
        "category only, when there is one); rename the name column to 名称 to use them"
    )
    warnings.warn(msg, UnreadableCellsWarning, stacklevel=3)


# ---------------------------------------------------------------------- coordinates
@dataclass(frozen=True)
class _Coordinates:
    """The parsed coordinates of a table and which rows were kept."""

    lon: FloatArray
    lat: FloatArray
    kept_mask: NDArray[np.bool_]
    kept: pd.Index
    columns: tuple[str, ...]
    header_texts: tuple[str, ...]
    dropped: list[dict[str, Any]]

    @classmethod
    def parse(cls, table: pd.DataFrame, headers: Mapping[str, str], file: Path) -> _Coordinates:
        if "lon" in table.columns and "lat" in table.columns:
            columns: tuple[str, ...] = ("lon", "lat")
            lon, bad_lon = to_number(table["lon"])
            lat, bad_lat = to_number(table["lat"])
            bad = set(bad_lon) | set(bad_lat)
            lon_a: FloatArray = np.asarray(lon, dtype=np.float64)
            lat_a: FloatArray = np.asarray(lat, dtype=np.float64)
            if "location" in table.columns:
                log.info("%s: both lon/lat and location columns; lon/lat are used", file.name)
        elif "location" in table.columns:
            columns = ("location",)
            lon_a, lat_a, bad = _split_location(table["location"])
        else:
            found = ", ".join(repr(headers.get(str(c), str(c))) for c in table.columns)
            msg = (
                f"{file}: no coordinate columns: the header has {found}. Name them either "
                "one 'location' column holding 'lng,lat' (also accepted: 经纬度, 坐标, lnglat) "
                "or a longitude and a latitude column (经度/lng/lon/longitude/x/gcj_lng/bd_lng/"
                "wgs_lng and 纬度/lat/latitude/y/gcj_lat/bd_lat/wgs_lat)"
            )
            raise InputError(msg)
        labels = list(table.index)
        texts = tuple(headers.get(c, c) for c in columns)
        _check_swapped(lon_a, lat_a, labels, texts, file)
        blank = ~(np.isfinite(lon_a) & np.isfinite(lat_a))
        unreadable = np.array([label in bad for label in labels], dtype=bool)
        out_of_range = ~blank & ((np.abs(lon_a) > 180) | (np.abs(lat_a) > 90))
        dropped: list[dict[str, Any]] = []
        reasons = (
            (unreadable, "coordinates are not numbers"),
            (blank & ~unreadable, "no coordinates"),
            (out_of_range, "coordinates beyond ±180/±90"),
        )
        parts = []
        for mask, reason in reasons:
            rows = [labels[i] for i in np.flatnonzero(mask)]
            dropped.extend({"row": int(r), "reason": reason} for r in rows)
            if rows:
                parts.append(f"{reason} in row(s) {row_list(rows)}")
        keep = ~(blank | unreadable | out_of_range)
        if parts:
            msg = (
                f"{file.name}: {int((~keep).sum())} of {len(keep)} POIs left out: "
                + "; ".join(parts)
                + ". Fix those cells in the file to keep them"
            )
            warnings.warn(msg, UnreadableCellsWarning, stacklevel=3)
        if not keep.any():
            msg = (
                f"{file}: no row has usable coordinates in {', '.join(map(repr, texts))}; "
                "check that the columns hold numbers such as 125.3245 and 43.8868"
            )
            raise InputError(msg)
        return cls(
            lon=lon_a,
            lat=lat_a,
            kept_mask=keep,
            kept=table.index[keep],
            columns=columns,
            header_texts=texts,
            dropped=sorted(dropped, key=lambda d: d["row"]),
        )


def _split_location(column: pd.Series[Any]) -> tuple[FloatArray, FloatArray, set[Hashable]]:
    """Parse ``'lng,lat'`` cells (also separated by ``;`` or spaces)."""
    n = len(column)
    first: list[object] = [None] * n
    second: list[object] = [None] * n
    bad: set[Hashable] = set()
    labels = list(column.index)
    for i, value in enumerate(column):
        text = normalize_text(value)
        if not text:
            continue
        parts = [p for p in re.split(r"[,;\s]+", text) if p]
        if len(parts) == 2:
            first[i], second[i] = parts
        else:
            bad.add(labels[i])
    lon, bad_lon = to_number(pd.Series(first, index=column.index, dtype=object))
    lat, bad_lat = to_number(pd.Series(second, index=column.index, dtype=object))
    bad |= set(bad_lon) | set(bad_lat)
    both = np.asarray(lon.notna() & lat.notna(), dtype=bool)
    half = [labels[i] for i in np.flatnonzero(~both & np.asarray(lon.notna() | lat.notna()))]
    bad |= set(half)  # 'lng,—': one half blank
    return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64), bad


def _check_swapped(
    lon: FloatArray, lat: FloatArray, labels: Sequence[Hashable], texts: Sequence[str], file: Path
) -> None:
    """Raise CRSError when most rows hold latitudes where longitudes belong."""
    ok = np.isfinite(lon) & np.isfinite(lat)
    if not ok.any():
        return
    x, y = lon[ok], lat[ok]
    beyond = (np.abs(y) > 90) & (np.abs(x) <= 90)
    china = (x >= 18) & (x <= 54) & (y >= 73) & (y <= 135)
    swapped = beyond | china
    if swapped.sum() * 2 <= len(x):
        return
    first = int(np.flatnonzero(swapped)[0])
    row = [labels[int(i)] for i in np.flatnonzero(ok)][first]
    if len(texts) == 1:
        where = f"the column {texts[0]!r} holds 'lat,lng'"
        fix = "write it as 'lng,lat' (longitude first), or split it into 经度 and 纬度 columns"
    else:
        where = f"the column {texts[0]!r} holds latitudes and {texts[1]!r} longitudes"
        fix = (
            f"swap the two headers ({texts[0]!r} and {texts[1]!r}) so that the longitudes "
            "stand under the longitude header"
        )
    msg = (
        f"{file}: longitude and latitude look swapped in {int(swapped.sum())} of {len(x)} rows: "
        f"{where} (row {row}: {x[first]:g}, {y[first]:g}; longitudes in China are 73-135, "
        f"latitudes 18-54). {fix}"
    )
    raise CRSError(msg)


# ---------------------------------------------------------------------- frame
def _assemble(
    table: pd.DataFrame, coords: _Coordinates, lon: FloatArray, lat: FloatArray
) -> pd.DataFrame:
    frame = table.drop(columns=list(coords.columns))
    if "category" not in frame.columns:
        parts = [c for c in ("category_major", "category_mid", "category_minor") if c in frame]
        if parts:
            joined = [
                ";".join(str(v) for v in values if v is not None) or None
                for values in frame[parts].itertuples(index=False, name=None)
            ]
            frame["category"] = pd.Series(joined, index=frame.index, dtype=object)
    renamed = {c: f"{c}_input" for c in _RESULT if c in frame.columns}
    if renamed:
        log.info("the file's own columns %s are kept as %s", list(renamed), list(renamed.values()))
        frame = frame.rename(columns=renamed)
    for column in ("name", "category", "address", "poi_id"):
        if column not in frame.columns:
            frame[column] = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    frame["lon_input"] = lon
    frame["lat_input"] = lat
    rest = [c for c in frame.columns if c not in _OUTPUT_FIRST]
    return frame[[*_OUTPUT_FIRST, *rest]]


# ---------------------------------------------------------------------- classify
def _classify(frame: pd.DataFrame, file: Path) -> pd.DataFrame:
    """Return each POI's type columns (:func:`geoplan.facilities.best_types`), and log them.

    POIs of the same name, category and type code (chains repeat theirs) are
    classified once.
    """
    keys = ["name", "category", *(["typecode"] if "typecode" in frame.columns else [])]
    texts = pd.DataFrame({k: [normalize_text(v) or None for v in frame[k]] for k in keys})
    unique = texts.drop_duplicates(ignore_index=True)
    best = best_types(
        unique,
        standards=current_standards(),
        category_column="category",
        typecode_column="typecode" if "typecode" in keys else None,
    )
    found = pd.concat([unique, best], axis=1)
    result = texts.merge(found, on=keys, how="left")[list(_RESULT)]
    result = result.astype(object).where(result.notna(), None)
    result.index = frame.index
    result.attrs["unclassified_by_category"] = _unclassified(texts["category"], result)
    _log_classes(result, file)
    return result


def _unclassified(categories: pd.Series[Any], result: pd.DataFrame) -> dict[str, int]:
    """Count the POIs of no type by their category text, most first."""
    blank = result["facility_type"].isna().to_numpy()
    counts = categories[blank].fillna("(none)").value_counts()
    ordered = sorted(counts.items(), key=lambda item: (-int(item[1]), str(item[0])))
    return {str(text): int(n) for text, n in ordered}


def _log_classes(result: pd.DataFrame, file: Path) -> None:
    confidence = result["confidence"].value_counts()
    unclassified = result.attrs["unclassified_by_category"]
    n_found = int(result["facility_type"].notna().sum())
    top = ", ".join(f"{text} ({n})" for text, n in list(unclassified.items())[:5])
    log.info(
        "%s: %d of %d POIs classified (%s); %d unmatched%s; %d with a type ruled out by "
        "their category",
        file.name,
        n_found,
        len(result),
        ", ".join(f"{int(confidence.get(c, 0))} {c}" for c in CONFIDENCES),
        len(result) - n_found,
        f", most of category {top}" if top else "",
        int(result["ruled_out"].notna().sum()),
    )
