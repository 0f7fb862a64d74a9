"""Read road networks from line files: Shapefile, GeoPackage, GeoJSON, FlatGeobuf.

Planning institutes and bureaus give their road network as a layer of lines,
not as OpenStreetMap. :func:`read_line_network` (called by
:func:`geoplan.read_network` for ``.shp``, ``.gpkg``, ``.geojson``, ``.json``
and ``.fgb`` files) turns such a layer into a :class:`~geoplan.network.Network`:

* the file must declare its CRS, and its coordinates must fit it; lon/lat
  files are projected to the local UTM zone, projected ones in metres are
  kept as they are;
* each line's class (an OSM ``highway`` or Geofabrik ``fclass`` value, or a
  Chinese class such as 主干路 or 快速路) decides whether the profile may use
  it (:mod:`geoplan.sources._road_classes`);
* lines are joined where they meet: at shared vertices, or also where they
  cross (``noding``), never across levels (bridges, tunnels, a ``layer``
  column) except where a line ends (:mod:`geoplan.sources._noding`);
* each edge keeps its street's ``name``, ``road_class``, ``level`` and
  ``source_row`` (the feature's position in the file) as edge attributes;
* driving and cycling follow a one-way column (``oneway``, ``单行``...: yes/no,
  1/0/-1, 单行/双向/反向) along the direction each line is drawn in; driving
  speeds come from a speed limit column (``maxspeed``, ``限速``...) or the road
  class (:func:`geoplan.sources.edge_speeds`);
* a network whose largest connected piece holds less than 90 % of the street
  length is reported with a :class:`~geoplan.GeoplanWarning` saying how to mend
  it (:func:`geoplan.network.connectivity`).

Examples
--------
>>> import tempfile, pathlib
>>> import geopandas as gpd, shapely
>>> streets = shapely.from_wkt(["LINESTRING (0 0, 100 0, 200 0)",   # crossing at an
...                              "LINESTRING (100 -100, 100 0, 100 100)"])  # interior vertex
>>> roads = gpd.GeoDataFrame(
...     {"道路名称": ["人民大街", "解放大路"], "道路等级": ["主干路", "次干路"]},
...     geometry=shapely.transform(streets, lambda xy: xy + (500000, 4850000)),
...     crs="EPSG:32651")
>>> path = pathlib.Path(tempfile.mkdtemp()) / "roads.gpkg"
>>> roads.to_file(path)
>>> net = read_line_network(path)
>>> net.n_edges, net.n_components
(4, 1)
>>> sorted(net.edge_attrs["name"].unique())
['人民大街', '解放大路']
"""

from __future__ import annotations

import logging
import re
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely
from numpy.typing import NDArray

from geoplan._errors import (
    CRSError,
    DataSourceError,
    DroppedFeaturesWarning,
    GeoplanWarning,
    InputError,
    NetworkError,
)
from geoplan.network import Network, connectivity
from geoplan.sources._inputs import check_crs_range
from geoplan.sources._noding import GRID_M, node_lines, unjoined
from geoplan.sources._profiles import way_filter
from geoplan.sources._road_classes import decide, osm_tag_columns
from geoplan.sources._speeds import Travel, travel_columns
from geoplan.sources._vectors import drop_empty_geometries, read_vector_file

__all__ = [
    "CLASS_COLUMNS",
    "LEVEL_COLUMNS",
    "MAXSPEED_COLUMNS",
    "NAME_COLUMNS",
    "NODING",
    "ONEWAY_COLUMNS",
    "read_line_network",
]

log = logging.getLogger(__name__)

Noding = Literal["vertices", "planar"]
NODING: tuple[str, ...] = ("vertices", "planar")
UNKNOWN_CLASSES: tuple[str, ...] = ("keep", "drop")
#: Columns taken as the road class when ``class_column`` is not given, in this order.
CLASS_COLUMNS = (
    "highway",
    "fclass",
    "class",
    "road_class",
    "道路等级",
    "等级",
    "道路类别",
    "道路类型",
    "type",
)
#: Columns taken as the street name when ``name_column`` is not given, in this order.
NAME_COLUMNS = ("name", "名称", "道路名称", "路名", "道路名", "road_name", "name_zh")
#: Columns taken as the level (z order) when ``level_column`` is not given, in this order.
LEVEL_COLUMNS = ("layer", "level", "z_level", "zlevel", "z", "层", "层级", "层次")
#: Columns taken as one-way (along the line's drawing direction) when ``oneway_column`` is not
#: given, in this order.
ONEWAY_COLUMNS = ("oneway", "one_way", "单行", "单向", "是否单行", "单行道")
#: Columns taken as the speed limit (km/h) when ``maxspeed_column`` is not given, in this order.
MAXSPEED_COLUMNS = ("maxspeed", "max_speed", "speed_limit", "限速", "最高限速", "限制速度")
#: Columns saying a line is a bridge (level 1 unless the level column says otherwise).
BRIDGE_COLUMNS = ("bridge", "桥梁", "是否桥梁")
#: Columns saying a line is a tunnel (level -1 unless the level column says otherwise).
TUNNEL_COLUMNS = ("tunnel", "隧道", "是否隧道")
#: Cell values that say "no" in a bridge or tunnel column (case ignored); any other is "yes".
_NO = frozenset({"", "no", "false", "f", "n", "0", "0.0", "否", "无", "非", "none", "nan", "null"})
#: Words of a level column, and the level they stand for.
_LEVEL_WORDS = {
    "地面": 0.0,
    "地上": 0.0,
    "平面": 0.0,
    "高架": 1.0,
    "桥": 1.0,
    "桥梁": 1.0,
    "天桥": 1.0,
    "地下": -1.0,
    "隧道": -1.0,
    "地道": -1.0,
}
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
#: A column found by its name (``z``, ``level``) whose values are not whole numbers within
#: this is taken for heights, not levels, and not used. A geoplan default: road decks are
#: stacked a few deep at most.
MAX_LEVEL = 10
_LINES = ("LineString", "MultiLineString")
_WHAT = "road network file"


@dataclass(frozen=True)
class _Columns:
    """The columns of a road file that hold the class, name, level, bridge and tunnel."""

    road_class: str | None
    name: str | None
    level: str | None
    bridge: str | None
    tunnel: str | None
    level_named: bool = False
    oneway: str | None = None
    maxspeed: str | None = None


def read_line_network(
    path: Path,
    *,
    profile: Literal["walk", "bike", "drive"] = "walk",
    area: shapely.Geometry | None = None,
    crs: Any = None,
    speed_m_s: float | None = None,
    largest_component: bool = False,
    layer: str | None = None,
    noding: Noding = "vertices",
    class_column: str | None = None,
    name_column: str | None = None,
    level_column: str | None = None,
    unknown_classes: Literal["keep", "drop"] = "keep",
    name: str | None = None,
    oneway: bool = True,
    speeds: bool = True,
    class_speeds_kmh: Mapping[str, float] | None = None,
    maxspeed_factor: float | None = None,
    oneway_column: str | None = None,
    maxspeed_column: str | None = None,
) -> Network:
    """Read a road network from a file of lines (road centre lines).

    Parameters
    ----------
    path
        A ``.shp``, ``.gpkg``, ``.geojson``/``.json`` or ``.fgb`` file of
        (Multi)LineStrings with a CRS.
    profile
        ``"walk"``, ``"bike"`` or ``"drive"``: which road classes are used.
    area
        Keep only lines intersecting this (Multi)Polygon in EPSG:4326 (whole
        lines: nothing is cut).
    crs
        Projected CRS of the network; the file's own when it is projected in
        metres, else the local UTM zone.
    speed_m_s
        Travel speed; the profile's setting when omitted.
    largest_component
        Keep only the largest connected piece.
    layer
        The layer of a GeoPackage (or other file) with several layers.
    noding
        ``"vertices"``: join lines at every vertex they share (end points and
        interior vertices); ``"planar"``: also where they cross or touch
        without a shared vertex. Lines of different levels join only where
        one of them ends.
    class_column, name_column, level_column
        The columns holding the road class, the street name and the level
        (``layer``/``level``/``z``/``层``); found among :data:`CLASS_COLUMNS`,
        :data:`NAME_COLUMNS` and :data:`LEVEL_COLUMNS` (case ignored) when
        omitted. ``bridge``/``tunnel`` columns put a line at level 1/-1 when
        its level is not given.
    unknown_classes
        ``"keep"`` (with a warning counting them) or ``"drop"`` the lines
        whose class no vocabulary knows, and lines without a class.
    name
        The network's name; the file name without its suffix when omitted.
    oneway, speeds, class_speeds_kmh, maxspeed_factor
        As for :func:`geoplan.read_network`: one-way lines (driving and
        cycling) and driving speeds.
    oneway_column, maxspeed_column
        The columns saying a line is one-way along the direction it is drawn
        in (``yes``/``no``, ``1``/``0``/``-1``, 单行/单向/是, 双向/否, 反向) and
        its speed limit in km/h; found among :data:`ONEWAY_COLUMNS` and
        :data:`MAXSPEED_COLUMNS` when omitted.

    Returns
    -------
    geoplan.Network
        With :attr:`~geoplan.Network.edge_attrs` ``name``, ``road_class``,
        ``level`` and ``source_row`` (and ``speed_source`` for driving).

    Raises
    ------
    DataSourceError
        The file is missing or unreadable, or holds several layers and
        ``layer`` is not given (or names none of them).
    CRSError
        The file has no CRS, or its coordinates do not fit it.
    InputError
        A named column is missing, ``noding`` or ``unknown_classes`` is
        unknown, or the file holds no lines.
    NetworkError
        No line is usable for the profile, or none intersects ``area``.

    Warns
    -----
    GeoplanWarning
        Lines of unknown classes were kept; the largest connected piece
        holds less than :data:`~geoplan.network.MIN_CONNECTED_SHARE` of the
        street length.
    """
    if noding not in NODING:
        msg = f"noding must be 'vertices' or 'planar', got {noding!r}; e.g. noding='planar'"
        raise InputError(msg)
    if unknown_classes not in UNKNOWN_CLASSES:
        msg = f"unknown_classes must be 'keep' or 'drop', got {unknown_classes!r}"
        raise InputError(msg)
    rules = way_filter(profile)
    label = name or path.name.split(".", 1)[0]
    started = time.perf_counter()
    frame = _read_lines(path, layer)
    target = _target_crs(frame, crs, path)
    columns = _find_columns(
        frame,
        path,
        class_column,
        name_column,
        level_column,
        oneway_column=oneway_column,
        maxspeed_column=maxspeed_column,
    )
    frame = _for_profile(frame, columns, profile, unknown_classes, path)
    if area is not None:
        frame = frame.loc[_intersects(frame, area)]
        if len(frame) == 0:
            msg = (
                f"no {rules.adjective} road of {path.name} intersects the clip area (bounds "
                f"{tuple(round(b, 5) for b in area.bounds)} in lon/lat); check that the area "
                "and the file cover the same place"
            )
            raise NetworkError(msg)
    parts = frame.to_crs(target).explode(index_parts=False)
    levels = _levels(parts, columns, path)
    graph = node_lines(parts.geometry.to_numpy(), levels, planar=noding == "planar")
    row = graph.edge_line
    attrs = pd.DataFrame(
        {
            "name": _texts(parts, columns.name)[row],
            "road_class": _texts(parts, columns.road_class)[row],
            "level": levels[row],
            "source_row": parts.index.to_numpy()[row],
        }
    )
    travel = _travel(
        parts,
        row,
        columns,
        profile,
        oneway=oneway,
        speeds=speeds,
        class_speeds_kmh=class_speeds_kmh,
        maxspeed_factor=maxspeed_factor,
        default_m_s=speed_m_s,
    )
    if travel.speed_source is not None:
        attrs["speed_source"] = travel.speed_source
    net = Network(
        x=graph.x,
        y=graph.y,
        edge_u=graph.edge_u,
        edge_v=graph.edge_v,
        geometry=graph.geometry,
        crs=target,
        profile=profile,
        speed_m_s=speed_m_s,
        name=label,
        edge_attrs=attrs,
        oneway=travel.oneway,
        forward_speed_m_s=travel.speed_m_s,
    )
    log.info(
        "%s: %d lines noded at %s into %d nodes, %d edges, %d pieces for %r in %.2f s "
        "(%d lines of one point left out)",
        path.name,
        len(parts),
        "shared vertices" if noding == "vertices" else "crossings and shared vertices",
        net.n_nodes,
        net.n_edges,
        net.n_components,
        profile,
        time.perf_counter() - started,
        graph.n_dropped,
    )
    return _connected(net, noding=noding, largest_component=largest_component, path=path)


# ------------------------------------------------------------------ reading
def _read_lines(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    """Read the lines of the file (its one layer, or ``layer``), leaving out the rest."""
    if layer is None:
        _check_one_layer(path)
    frame = read_vector_file(path, layer=layer, what=_WHAT)
    if len(frame) == 0:
        msg = f"the {_WHAT} {path} has no features (it is empty); give the layer of road lines"
        raise InputError(msg)
    frame = drop_empty_geometries(frame, path, _WHAT)
    kinds = frame.geom_type
    lines = np.asarray(kinds.isin(_LINES), dtype=bool)
    if not lines.any():
        found = ", ".join(f"{n} {kind}" for kind, n in kinds.value_counts().items())
        msg = (
            f"the {_WHAT} {path} holds no lines ({found}); a road network is a layer of road "
            "centre lines (LineString): give that layer (layer=... for a GeoPackage)"
        )
        raise InputError(msg)
    if not lines.all():
        found = ", ".join(f"{n} {kind}" for kind, n in kinds[~lines].value_counts().items())
        msg = (
            f"{path.name}: {int((~lines).sum())} of {len(frame)} features of the {_WHAT} are "
            f"not lines ({found}) and were left out; draw them as lines or delete them"
        )
        warnings.warn(msg, DroppedFeaturesWarning, stacklevel=4)
    return frame.loc[lines]


def _check_one_layer(path: Path) -> None:
    """Refuse a file of several layers when no layer is named, listing them with their shapes."""
    try:
        layers = pyogrio.list_layers(path)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError):
        return  # read_vector_file says what is wrong with the file
    if len(layers) <= 1:
        return
    listed = ", ".join(f"{name!r} ({kind or 'no geometry'})" for name, kind in layers)
    lines = [str(name) for name, kind in layers if kind and "LineString" in str(kind)]
    example = lines[0] if lines else str(layers[0, 0])
    msg = (
        f"the {_WHAT} {path} holds {len(layers)} layers: {listed}; say which one holds the "
        f'roads: read_network(..., layer="{example}"), or in the study file [network] '
        f'layer = "{example}"'
    )
    raise DataSourceError(msg)


def _find_columns(
    frame: gpd.GeoDataFrame,
    path: Path,
    class_column: str | None,
    name_column: str | None,
    level_column: str | None,
    *,
    oneway_column: str | None = None,
    maxspeed_column: str | None = None,
) -> _Columns:
    """Return the columns named, or found among the usual names (case ignored)."""
    found = _Columns(
        road_class=_column(frame, path, class_column, CLASS_COLUMNS, "class_column"),
        name=_column(frame, path, name_column, NAME_COLUMNS, "name_column"),
        level=_column(frame, path, level_column, LEVEL_COLUMNS, "level_column"),
        bridge=_column(frame, path, None, BRIDGE_COLUMNS, "bridge"),
        tunnel=_column(frame, path, None, TUNNEL_COLUMNS, "tunnel"),
        level_named=level_column is not None,
        oneway=_column(frame, path, oneway_column, ONEWAY_COLUMNS, "oneway_column"),
        maxspeed=_column(frame, path, maxspeed_column, MAXSPEED_COLUMNS, "maxspeed_column"),
    )
    log.info(
        "%s: class column %r, name column %r, level column %r, bridge %r, tunnel %r, "
        "one-way %r, speed limit %r",
        path.name,
        found.road_class,
        found.name,
        found.level,
        found.bridge,
        found.tunnel,
        found.oneway,
        found.maxspeed,
    )
    return found


def _column(
    frame: gpd.GeoDataFrame,
    path: Path,
    given: str | None,
    usual: Sequence[str],
    option: str,
) -> str | None:
    columns = [str(c) for c in frame.columns if c != frame.geometry.name]
    if given is not None:
        if given in columns:
            return given
        folded = {c.casefold(): c for c in columns}
        if given.casefold() in folded:
            return folded[given.casefold()]
        msg = (
            f"{option}={given!r} is not a column of {path.name}; its columns are {columns}: "
            f"give one of them as {option}"
        )
        raise InputError(msg)
    folded = {c.casefold(): c for c in columns}
    for candidate in usual:
        if candidate.casefold() in folded:
            return folded[candidate.casefold()]
    return None


# ------------------------------------------------------------------ classes
def _for_profile(
    frame: gpd.GeoDataFrame,
    columns: _Columns,
    profile: str,
    unknown_classes: str,
    path: Path,
) -> gpd.GeoDataFrame:
    """Keep the lines the profile may use, by their class; count the unknown classes."""
    rules = way_filter(profile)
    if columns.road_class is None:
        log.info(
            "%s: no road class column (looked for %s); every line is used for %r",
            path.name,
            ", ".join(CLASS_COLUMNS),
            profile,
        )
        return frame
    values = frame[columns.road_class]
    tags = frame[osm_tag_columns([str(c) for c in frame.columns], profile)]
    verdict = decide(values, profile=profile, tags=tags)
    unknown = verdict == "unknown"
    if unknown.any():
        counts = values[unknown].fillna("(blank)").astype(str).value_counts()
        shown = ", ".join(f"{v!r} ({n})" for v, n in counts.head(8).items())
        more = f" and {len(counts) - 8} more" if len(counts) > 8 else ""
        fate = "kept" if unknown_classes == "keep" else "left out"
        msg = (
            f"{path.name}: {int(unknown.sum())} of {len(frame)} lines have a road class geoplan "
            f"does not know in column {columns.road_class!r}: {shown}{more}; they were {fate} "
            f"for {profile!r}. Known: OSM highway/fclass values and the Chinese classes of "
            "geoplan/standards/road_classes.toml (快速路, 主干路, 次干路, 支路, 街巷...); "
            "rename those classes in the file, name another column (class_column=...), or "
            f"pass unknown_classes={'drop' if fate == 'kept' else 'keep'!r}"
        )
        warnings.warn(msg, GeoplanWarning, stacklevel=4)
    keep = (verdict == "yes") | (unknown & (unknown_classes == "keep"))
    if not keep.any():
        counts = values.astype(str).value_counts()
        msg = (
            f"none of the {len(frame)} lines of {path.name} is {rules.adjective}: their classes "
            f"in column {columns.road_class!r} are {dict(counts.head(10))}; check the profile "
            f"({profile!r}) and class_column"
        )
        raise NetworkError(msg)
    log.info(
        "%s: %d of %d lines are %s by class (%d of unknown class)",
        path.name,
        int(keep.sum()),
        len(frame),
        rules.adjective,
        int(unknown.sum()),
    )
    return frame.loc[keep]


# ------------------------------------------------------------------ directions, speeds
def _travel(
    parts: gpd.GeoDataFrame,
    row: NDArray[np.int64],
    columns: _Columns,
    profile: str,
    **options: Any,
) -> Travel:
    """One-way codes and speeds of the edges, from the class, one-way and limit columns."""
    tags = pd.DataFrame(
        {
            key: parts[column].to_numpy(dtype=object)[row]
            for key, column in (
                ("highway", columns.road_class),
                ("oneway", columns.oneway),
                ("maxspeed", columns.maxspeed),
                ("junction", "junction" if "junction" in parts.columns else None),
            )
            if column is not None
        },
        index=pd.RangeIndex(len(row)),
    )
    return travel_columns(tags, profile, **options)


# ------------------------------------------------------------------ levels, names
def _levels(frame: gpd.GeoDataFrame, columns: _Columns, path: Path) -> NDArray[np.float64]:
    """Return each line's level: the level column, else 1 for bridges, -1 for tunnels, else 0."""
    level = np.zeros(len(frame))
    given = np.zeros(len(frame), dtype=bool)
    if columns.level is not None:
        parsed = np.array([_level(v) for v in frame[columns.level]], dtype=np.float64)
        bad = np.isnan(parsed) & frame[columns.level].notna().to_numpy()
        if bad.any():
            shown = sorted({str(v) for v in frame[columns.level][bad]})[:5]
            msg = (
                f"{path.name}: {int(bad.sum())} cells of the level column {columns.level!r} are "
                f"neither numbers nor 地面/高架/地下 ({', '.join(shown)}); those lines were put "
                "on the ground (level 0). Write the level as a number (0 ground, 1 bridge, -1 "
                "tunnel), or name the right column with level_column=..."
            )
            warnings.warn(msg, GeoplanWarning, stacklevel=4)
        level = np.nan_to_num(parsed)
        if not columns.level_named and _heights(level):
            msg = (
                f"{path.name}: the column {columns.level!r} holds values such as "
                f"{', '.join(f'{v:g}' for v in np.unique(level)[-3:])}, heights rather than "
                f"levels (whole numbers within ±{MAX_LEVEL}: 0 ground, 1 bridge, -1 tunnel); "
                f"it was not used as the level. Name it with level_column={columns.level!r} "
                "to use it anyway"
            )
            warnings.warn(msg, GeoplanWarning, stacklevel=4)
            level = np.zeros(len(frame))
        given = level != 0
    for column, value in ((columns.bridge, 1.0), (columns.tunnel, -1.0)):
        if column is not None:
            flagged = _yes(frame[column]) & ~given & (level == 0)
            level = np.where(flagged, value, level)
    return level


def _heights(level: NDArray[np.float64]) -> bool:
    """Whether a level column's values look like heights (fractions, or beyond ±MAX_LEVEL)."""
    return bool(np.any(level != np.round(level)) or np.any(np.abs(level) > MAX_LEVEL))


def _level(value: object) -> float:
    """Read a level cell as a number (``1``, ``"-1层"``, ``"高架"``); NaN when unreadable."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return 0.0
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    if not text:
        return 0.0
    if text in _LEVEL_WORDS:
        return _LEVEL_WORDS[text]
    match = _NUMBER.search(text)
    return float(match.group()) if match else float("nan")


def _yes(values: pd.Series[Any]) -> NDArray[np.bool_]:
    """Whether each bridge/tunnel cell says yes (``yes``, ``T``, ``1``, ``viaduct``, 是...)."""
    text = values.map(lambda v: "" if v is None or v is False else str(v).strip().casefold())
    return np.asarray(~text.isin(_NO), dtype=bool)


def _texts(frame: gpd.GeoDataFrame, column: str | None) -> NDArray[np.object_]:
    """Return a text column as an object array (None for blank cells), or all None."""
    if column is None:
        return np.full(len(frame), None, dtype=object)
    values = frame[column].to_numpy(dtype=object)
    return np.array(
        [None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in values],
        dtype=object,
    )


# ------------------------------------------------------------------ CRS and area
def _target_crs(frame: gpd.GeoDataFrame, crs: Any, path: Path) -> pyproj.CRS:
    """Check that the coordinates fit the file's CRS; return the CRS to build the network in."""
    declared = pyproj.CRS.from_user_input(frame.crs)
    xy = shapely.get_coordinates(frame.geometry.to_numpy())
    found = check_crs_range(xy[:, 0], xy[:, 1], declared)
    if found.outside.any():
        first = int(np.flatnonzero(found.outside)[0])
        msg = (
            f"the {_WHAT} {path} says its CRS is {declared.to_string()} but "
            f"{int(found.outside.sum())} of {len(xy)} vertices do not fit it (e.g. "
            f"x={xy[first, 0]:g}, y={xy[first, 1]:g}): {found.explain(declared)}. Declare "
            f"{found.declare} and save again (in QGIS: Layer > Set CRS; for a shapefile, "
            "its .prj file)"
        )
        raise CRSError(msg)
    if crs is not None:
        try:
            target = pyproj.CRS.from_user_input(crs)
        except pyproj.exceptions.CRSError:
            msg = f"crs={crs!r} is not a CRS pyproj knows; give a projected CRS, e.g. crs=32651"
            raise CRSError(msg) from None
        return target  # Network refuses a CRS that is not projected, saying how to fix it
    if declared.is_projected and _in_metres(declared):
        return declared
    try:
        utm = frame.estimate_utm_crs()
    except RuntimeError:
        msg = (
            f"no UTM zone fits the {_WHAT} {path} (bounds {tuple(frame.total_bounds)}); check "
            "its CRS, or pass crs= (e.g. crs=32651)"
        )
        raise CRSError(msg) from None
    log.info("%s: projecting to the local UTM zone %s", path.name, utm.to_string())
    return pyproj.CRS.from_user_input(utm)


def _in_metres(crs: pyproj.CRS) -> bool:
    return all(axis.unit_name in ("metre", "meter") for axis in crs.axis_info)


def _intersects(frame: gpd.GeoDataFrame, area: shapely.Geometry) -> NDArray[np.bool_]:
    """Which lines intersect ``area`` (EPSG:4326)."""
    target = gpd.GeoSeries([area], crs="EPSG:4326").to_crs(frame.crs).iloc[0]
    shapely.prepare(target)
    return np.asarray(shapely.intersects(target, frame.geometry.to_numpy()), dtype=bool)


# ------------------------------------------------------------------ connectivity
def _connected(net: Network, *, noding: str, largest_component: bool, path: Path) -> Network:
    """Warn about a network in pieces (or keep its largest piece, when asked)."""
    facts = connectivity(net)
    if largest_component and net.n_components > 1:
        whole = net
        net = net.largest_component()
        log.info(
            "%s: kept the largest piece, %d of %d nodes, %.0f %% of the street length "
            "(%d pieces dropped)",
            path.name,
            net.n_nodes,
            whole.n_nodes,
            100 * float(net.length_m.sum() / whole.length_m.sum()),
            whole.n_components - 1,
        )
        return net
    if facts["connected"]:
        return net
    assert net.edge_attrs is not None
    found = unjoined(
        net.geometry, net.edge_u, net.edge_v, net.edge_attrs["level"].to_numpy(), grid_m=GRID_M
    )
    hints = []
    if found["crossings"] or found["ends_touching"]:
        hints.append(
            f"{found['crossings']} crossings of streets of one level and "
            f"{found['ends_touching']} line ends touching another street have no shared vertex"
            + ("; noding='planar' joins them" if noding == "vertices" else "")
        )
    if found["crossings_other_level"]:
        hints.append(
            f"{found['crossings_other_level']} crossings are of lines at different levels "
            "(bridges, tunnels): check the level/bridge/tunnel columns"
        )
    msg = (
        f"{path.name}: the largest connected piece of the road network holds only "
        f"{facts['largest_piece_length_share']:.0%} of its {facts['total_km']:.1f} km of "
        f"streets ({facts['pieces']} pieces); nobody can travel between the pieces, so "
        "coverage and travel times beyond the largest one are missing. "
        + ("; ".join(hints) + ". " if hints else "")
        + "Check how the lines meet (noding='vertices' joins shared vertices, 'planar' also "
        "crossings; [network] noding in a study file) and the level columns, or keep only "
        "the largest piece with largest_component=True"
    )
    warnings.warn(msg, GeoplanWarning, stacklevel=4)
    return net
