"""Folium maps of life circles, coverage, site proposals and service areas.

Every builder takes results computed elsewhere (maps never compute), returns a
:class:`folium.Map` and accepts ``m=`` to draw onto an existing map, so layers
compose::

    m = geoplan.maps.coverage_map(result, clinics)
    m = geoplan.maps.site_map(proposal, m=m)

This is the only module that converts to EPSG:4326, or to GCJ-02 when the base
map is Amap (Gaode), whose tiles are drawn in GCJ-02. Text that came from OSM
or a user's file is escaped before it reaches a popup, tooltip, legend or
layer name. Geometry is simplified to ``settings.map_tolerance_m`` and
coordinates are rounded to 1e-6 degrees (about 0.1 m), which keeps the map of a
large city small.

Examples
--------
>>> import geoplan
>>> city = geoplan.datasets.synthetic_city(area_km2=1, seed=1)
>>> m = geoplan.maps.base_map(city.communities, basemap="none")
>>> type(m).__name__
'Map'
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import html
import itertools
import json
import logging
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import folium
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, Figure, MacroElement
from folium.plugins import FastMarkerCluster
from jinja2 import Template
from numpy.typing import NDArray
from pandas.api.types import is_numeric_dtype as is_numeric

from geoplan._errors import ConfigError, CRSError, DataSourceError, InputError
from geoplan._i18n import facility_type_label, label, level_name, resolve_lang
from geoplan.outputs._geojson import geo_dict
from geoplan.outputs._polyline import DECODER_JS, encode_joined
from geoplan.outputs._render import LiteralElement, render_page
from geoplan.outputs.cartography import (
    EXISTING_COLOUR,
    GAP_COLOUR,
    MAP_CSS,
    NEW_AREA_COLOUR,
    NO_DATA_COLOUR,
    PROPOSED_COLOUR,
    RING_COLOUR,
    SHARE_BINS,
    SHARE_COLOURS,
    BoundLegend,
    MapTitle,
    legend_html,
    numbered_badge,
    ring_dash,
    share_colour,
    smooth,
    type_symbol_html,
)
from geoplan.settings import BASEMAPS, settings

if TYPE_CHECKING:
    import geopandas as gpd

    from geoplan.coverage import Coverage
    from geoplan.indicators import IndicatorResult
    from geoplan.life_circles import LifeCircles
    from geoplan.network import Network
    from geoplan.siting import SiteProposal

__all__ = [
    "ASSET_URLS",
    "CLUSTER_ABOVE",
    "SHARE_BINS",
    "InlineMap",
    "add_base_layer",
    "add_layer",
    "add_title",
    "base_layer_json",
    "base_map",
    "coverage_map",
    "indicator_map",
    "life_circle_map",
    "map_html",
    "network_map",
    "save_map",
    "scenario_map",
    "service_area_map",
    "show",
    "site_map",
    "study_map",
]

log = logging.getLogger(__name__)

_PROPOSED_COLOUR = PROPOSED_COLOUR
_EXISTING_COLOUR = EXISTING_COLOUR
_NEW_AREA_COLOUR = NEW_AREA_COLOUR
_GAP_COLOUR = GAP_COLOUR

#: The Leaflet assets every geoplan map needs; folium's jQuery, Bootstrap and
#: Font Awesome are left out (no geoplan layer uses them), so a map loads less.
_LEAFLET_JS = ("leaflet", "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js")
_LEAFLET_CSS = ("leaflet_css", "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css")

_CLUSTER = "https://cdn.jsdelivr.net/npm/leaflet.markercluster@1.4.1/dist/"
_CLUSTER_JS = [("markerclusterjs", _CLUSTER + "leaflet.markercluster.js")]
_CLUSTER_CSS = [
    ("markerclustercss", _CLUSTER + "MarkerCluster.css"),
    ("markerclusterdefaultcss", _CLUSTER + "MarkerCluster.Default.css"),
]

#: Every script and stylesheet a geoplan map loads: Leaflet, and Leaflet.markercluster for
#: layers of many points. Both ship with geoplan's dependencies (the XStatic-Leaflet and
#: XStatic-Leaflet-MarkerCluster packages), so maps open without the internet.
ASSET_URLS = (
    _LEAFLET_JS[1],
    _LEAFLET_CSS[1],
    *(url for _, url in _CLUSTER_JS),
    *(url for _, url in _CLUSTER_CSS),
)

_AMAP_TILES = (
    "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8"
    "&x={x}&y={y}&z={z}"
)
_TIANDITU_TILES = (
    "https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
    "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles"
    "&TILEMATRIX={{z}}&TILEROW={{y}}&TILECOL={{x}}&tk={key}"
)
TIANDITU_KEY_VARIABLE = "GEOPLAN_TIANDITU_KEY"


@dataclass
class _MapState:
    """What geoplan remembers about a map it drew: its coordinates, language, control."""

    system: str
    lang: str
    control: folium.LayerControl | None = None
    title: MapTitle | None = None
    fitted: bool = False
    layer_names: set[str] = field(default_factory=set)


_STATE_ATTRIBUTE = "_geoplan_state"


# --------------------------------------------------------------------------- base map


def base_map(
    frame: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    *,
    basemap: str | None = None,
    lang: str | None = None,
    tianditu_key: str | None = None,
) -> folium.Map:
    """Return an empty map, framed on ``frame`` when given.

    Parameters
    ----------
    frame
        Anything with a CRS whose bounds the map should show.
    basemap
        ``"osm"`` (OpenStreetMap), ``"amap"`` (Gaode, GCJ-02: every layer is
        shifted into GCJ-02 to line up), ``"tianditu"`` (needs ``tianditu_key``
        or the ``GEOPLAN_TIANDITU_KEY`` environment variable) or ``"none"``
        (no tiles: for offline use). Default: ``settings.basemap``.
    lang
        ``"zh"`` or ``"en"`` for labels; default ``settings.lang``.
    tianditu_key
        The Tianditu key. It is written into the map's tile URLs (the browser
        needs it), never into run.json or tables.

    Returns
    -------
    folium.Map
    """
    choice = settings.basemap if basemap is None else basemap
    if choice not in BASEMAPS:
        msg = f"basemap={choice!r} is not one of {', '.join(BASEMAPS)}; e.g. basemap='osm'"
        raise ConfigError(msg)
    m = folium.Map(tiles=None, control_scale=True)
    m.options["maxZoom"] = 19  # marker clustering needs the map's own maximum zoom
    m.default_js = [_LEAFLET_JS]
    m.default_css = [_LEAFLET_CSS]
    state = _MapState(system=_system(choice), lang=resolve_lang(lang))
    setattr(m, _STATE_ATTRIBUTE, state)
    _add_tiles(m, choice, tianditu_key, state.lang)
    _root(m).header.add_child(Element(MAP_CSS), name="geoplan_css")
    if frame is not None:
        _fit(m, frame)
    return m


def _add_tiles(m: folium.Map, choice: str, key: str | None, lang: str) -> None:
    if choice == "osm":
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap", control=False).add_to(m)
    elif choice == "amap":
        folium.TileLayer(
            _AMAP_TILES,
            attr="&copy; 高德地图 AutoNavi",
            name="高德地图" if lang == "zh" else "Amap",
            subdomains="1234",
            max_zoom=18,
            control=False,
        ).add_to(m)
    elif choice == "tianditu":
        key = key or os.environ.get(TIANDITU_KEY_VARIABLE)
        if not key:
            msg = (
                "the Tianditu base map needs a key: set the environment variable "
                f"{TIANDITU_KEY_VARIABLE} (or pass tianditu_key=); get one from the Tianditu "
                "developer site, or use basemap='osm' or 'none'"
            )
            raise ConfigError(msg)
        for layer in ("vec", "cva"):
            folium.TileLayer(
                _TIANDITU_TILES.format(layer=layer, key=key),
                attr="&copy; 天地图 Tianditu",
                name=f"天地图 {layer}",
                subdomains="01234567",
                max_zoom=18,
                overlay=layer == "cva",
                control=False,
            ).add_to(m)


def _state(m: folium.Map | None, basemap: str | None, lang: str | None) -> folium.Map:
    """Return ``m`` (adopting a plain folium map) or a new base map."""
    if m is None:
        return base_map(basemap=basemap, lang=lang)
    if getattr(m, _STATE_ATTRIBUTE, None) is None:
        setattr(m, _STATE_ATTRIBUTE, _MapState(system="wgs84", lang=resolve_lang(lang)))
        _root(m).header.add_child(Element(MAP_CSS), name="geoplan_css")
    return m


def _root(m: folium.Map) -> Any:
    """Return the map's HTML page (a branca Figure)."""
    return m.get_root()


def _info(m: folium.Map) -> _MapState:
    state: _MapState = getattr(m, _STATE_ATTRIBUTE)
    return state


def _system(m: folium.Map | str) -> str:
    """Return the coordinates ``m`` draws in, or a map on the base map named ``m`` would.

    ``"gcj02"`` on Amap's tiles (which are shifted), ``"wgs84"`` on the others.
    """
    if not isinstance(m, str):
        return _info(m).system
    if m not in BASEMAPS:
        msg = f"basemap={m!r} is not one of {', '.join(BASEMAPS)}; e.g. basemap='osm'"
        raise ConfigError(msg)
    return "gcj02" if m == "amap" else "wgs84"


def _fit(m: folium.Map, frame: gpd.GeoDataFrame | gpd.GeoSeries) -> None:
    shown = _to_map_coordinates(frame, m)
    if len(shown) == 0 or shown.geometry.is_empty.all():
        return
    left, bottom, right, top = shown.total_bounds
    m.fit_bounds([[bottom, left], [top, right]])
    _info(m).fitted = True


# ------------------------------------------------------------------ coordinates & size


def _to_map_coordinates(
    frame: gpd.GeoDataFrame | gpd.GeoSeries,
    m: folium.Map | str,
    *,
    simplify: bool = True,
    tolerance_m: float | None = None,
) -> gpd.GeoDataFrame:
    """Generalise to map precision, convert to the map's coordinates and round them.

    Lines and polygons are simplified to ``tolerance_m`` (at least
    ``settings.map_tolerance_m``); polygon holes and parts smaller than a few
    tolerances across are dropped, and coordinates are rounded to 1e-6 degrees
    (1e-5 when the tolerance is 5 m or more). The GeoPackage keeps the exact
    geometry; this is only what a map needs to draw. Inside
    :func:`shared_coordinates`, its layer is converted once.
    """
    if frame.crs is None:
        msg = (
            "a layer for the map has no CRS, so it cannot be placed: set it with "
            ".set_crs('EPSG:4326') for lon/lat or the CRS the data was made in"
        )
        raise CRSError(msg)
    out = frame.to_frame() if isinstance(frame, pd.Series) else frame.copy()
    out = out[~(out.geometry.isna() | out.geometry.is_empty)]
    shown = _shown_geometry(out.geometry, _system(m), simplify, tolerance_m)
    out = out.set_geometry(shown.to_numpy(), crs=shown.crs)
    if "coordinate_system" in shown.attrs:  # as convert_frame marks it
        out.attrs["coordinate_system"] = shown.attrs["coordinate_system"]
    return out[~out.geometry.is_empty]


@dataclass
class _Shared:
    """A layer many maps show (its geometries, by identity) and its conversions so far."""

    ids: tuple[int, ...]
    held: Any  # the geometries, so that their ids stay theirs while shared
    shown: dict[tuple[Any, ...], gpd.GeoSeries] = field(default_factory=dict)


#: The layer :func:`shared_coordinates` shares, in its block.
_SHARED: contextvars.ContextVar[_Shared | None] = contextvars.ContextVar(
    "geoplan_shared_layer", default=None
)


@contextlib.contextmanager
def shared_coordinates(layer: gpd.GeoDataFrame | gpd.GeoSeries) -> Iterator[None]:
    """Convert ``layer`` to map coordinates once in this block, however many maps show it.

    A run's coverage and site maps each show the study's communities (and fit
    the view to them): Harbin's 2,849 street blocks were generalised and
    converted six times (0.05 s each). A frame with the same geometries (the
    same shapely objects: a copy, other columns) is known as ``layer``; each
    way of showing it (coordinate system, detail) is made once, and kept
    until the block ends. The maps are the same either way.
    """
    present = layer.geometry
    held = present[~(present.isna() | present.is_empty)].to_numpy()  # as a map takes it
    token = _SHARED.set(_Shared(tuple(map(id, held)), held))
    try:
        yield
    finally:
        _SHARED.reset(token)


def _shown_geometry(
    geometry: gpd.GeoSeries, system: str, simplify: bool, tolerance_m: float | None
) -> gpd.GeoSeries:
    """Return ``geometry`` as :func:`_to_map_coordinates` shows it (the shared layer once)."""
    shared = _SHARED.get()
    if shared is None or len(geometry) != len(shared.ids):
        return _map_geometry(geometry, system, simplify, tolerance_m)
    if tuple(map(id, geometry.to_numpy())) != shared.ids:
        return _map_geometry(geometry, system, simplify, tolerance_m)
    key = (geometry.crs, system, settings.map_tolerance_m, tolerance_m, simplify)
    if key not in shared.shown:
        shared.shown[key] = _map_geometry(geometry, system, simplify, tolerance_m)
    return shared.shown[key]


def _map_geometry(
    geometry: gpd.GeoSeries, system: str, simplify: bool, tolerance_m: float | None
) -> gpd.GeoSeries:
    """Generalise, convert to the map's coordinate system and round (no missing nor empty)."""
    import geopandas as gpd

    # a grid-traced outline (cell tolerance_m) is smoothed, then simplified to a fifth of a cell
    tolerance = max(settings.map_tolerance_m, (tolerance_m or 0.0) / 5)
    speck = 4 * (tolerance_m if tolerance_m is not None else tolerance)
    out = geometry
    if simplify and len(out) and not out.geom_type.isin(["Point", "MultiPoint"]).all():
        metric = out if out.crs.is_projected else out.to_crs(out.estimate_utm_crs())
        shapes = _without_specks(metric.to_numpy(), speck**2)
        if tolerance_m is not None:
            shapes = smooth(shapes, tolerance_m)
        shapes = shapely.simplify(shapes, tolerance, preserve_topology=True)
        out = gpd.GeoSeries(shapes, index=out.index, crs=metric.crs).to_crs(out.crs)
    out = out.to_crs("EPSG:4326")
    if system == "gcj02" and len(out):
        from geoplan.coords import convert_frame

        out = convert_frame(out, source="wgs84", target="gcj02")
    decimals = 5 if tolerance >= 5 else 6
    rounded = shapely.transform(out.to_numpy(), lambda xy: np.round(xy, decimals))
    return gpd.GeoSeries(rounded, index=out.index, crs=out.crs).__finalize__(out)


def _without_specks(geometry: np.ndarray, min_area_m2: float) -> np.ndarray:
    """Drop polygon holes and parts smaller than ``min_area_m2`` (invisible on a map).

    A shape with no part that large keeps its largest part as it is (a small
    area still shows). Every shape's parts and rings are handled at once.
    """
    out = geometry.copy()
    types = shapely.get_type_id(geometry)
    which = np.flatnonzero(np.isin(types, (3, 6)) & ~shapely.is_empty(geometry))
    if not len(which):
        return out
    parts, owner = shapely.get_parts(geometry[which], return_index=True)
    area = shapely.area(parts)
    whole = _largest_where_none_is_kept(owner, area, area >= min_area_m2, len(which))
    keep = (area >= min_area_m2) | whole
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    shell = np.r_[True, ring_part[1:] != ring_part[:-1]]
    big_ring = shapely.area(shapely.polygons(rings)) >= min_area_m2
    kept_ring = keep[ring_part] & (shell | whole[ring_part] | big_ring)
    new_part = np.cumsum(keep) - 1
    polygons = shapely.polygons(rings[kept_ring], indices=new_part[ring_part[kept_ring]])
    owners = owner[keep]
    single = np.bincount(owners, minlength=len(which))[owners] == 1
    shapes = np.empty(len(which), dtype=object)
    shapes[owners[single]] = polygons[single]
    if not single.all():
        multi, position = np.unique(owners[~single], return_inverse=True)
        shapes[multi] = shapely.multipolygons(polygons[~single], indices=position)
    out[which] = shapes
    return out


def _largest_where_none_is_kept(
    owner: np.ndarray, area: np.ndarray, kept: np.ndarray, shapes: int
) -> np.ndarray:
    """Mark each shape's largest part (the first of equals) where none of its parts is kept."""
    largest = np.zeros(len(owner), dtype=bool)
    lacking = np.bincount(owner, weights=kept, minlength=shapes) == 0
    if lacking.any():
        order = np.lexsort((-area, owner))
        first = order[np.r_[True, owner[order][1:] != owner[order][:-1]]]
        largest[first[lacking[owner[first]]]] = True
    return largest


def _features(
    frame: gpd.GeoDataFrame,
    m: folium.Map,
    properties: Mapping[str, Sequence[Any]],
    *,
    tolerance_m: float | None = None,
) -> dict[str, Any]:
    """GeoJSON of ``frame``'s geometry in map coordinates with only ``properties``."""
    import geopandas as gpd

    table = gpd.GeoDataFrame(
        {name: list(values) for name, values in properties.items()},
        geometry=frame.geometry.to_numpy(),
        crs=frame.crs,
    )
    shown = _to_map_coordinates(table, m, tolerance_m=tolerance_m)
    # the features as they are (no JSON text made and parsed again): folium writes them once
    return geo_dict(shown)


# ------------------------------------------------------------------------ text & legends


def _text(value: Any) -> str:
    """User or OSM text made safe for HTML (None and NaN become '')."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def _number(value: Any, digits: int = 0) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return _text(value)
    if not np.isfinite(number):
        return "–"
    return f"{number:,.{digits}f}"


def _percent(value: Any) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "–"
    return "–" if not np.isfinite(number) else f"{number:.0%}"


def _table(rows: Iterable[tuple[str, str]]) -> str:
    """Return an HTML table of (escaped label, escaped value) rows for a popup."""
    body = "".join(f"<tr><td>{name}</td><td><b>{value}</b></td></tr>" for name, value in rows)
    return f'<table class="geoplan-popup">{body}</table>'


def _share_colour(share: float) -> str:
    return share_colour(share)


def _legend(
    m: folium.Map,
    title: str,
    rows: Sequence[tuple[str, str]],
    *,
    layer: folium.FeatureGroup | None = None,
    kind: str = "box",
) -> None:
    """Add a legend bound to ``layer`` (shown while it is on): title and (colour, label) rows."""
    m.add_child(BoundLegend(legend_html(title, rows, kind=kind), layer))


def _share_legend(m: folium.Map, title: str, layer: folium.FeatureGroup | None = None) -> None:
    lang = _info(m).lang
    rows = [
        (colour, f"{low:.0%}–{high:.0%}")
        for colour, low, high in zip(SHARE_COLOURS, SHARE_BINS[:-1], SHARE_BINS[1:], strict=True)
    ]
    rows.append((NO_DATA_COLOUR, label("no_data", lang)))
    _legend(m, title, rows, layer=layer)


def _default_title(m: folium.Map, title: str) -> None:
    """Give a map a title unless it has one (a map drawn onto keeps its first title)."""
    if _info(m).title is None:
        add_title(m, title)


def add_layer(
    m: folium.Map,
    frame: gpd.GeoDataFrame,
    name: str,
    *,
    colour: str = "#e6550d",
    tooltip: str | None = None,
    show: bool = True,
) -> folium.Map:
    """Add a user's own layer to a finished map, in the map's coordinates.

    The layer is converted the way every geoplan layer is (to GCJ-02 on an
    Amap base map, so it lines up), its names are escaped, it gets a legend
    bound to it, and the map keeps exactly one layer control, last.

    Parameters
    ----------
    m
        A map made by a geoplan builder (or any folium map).
    frame
        Points, lines or polygons in any CRS.
    name
        The layer's name in the control and its legend.
    colour
        Its colour.
    tooltip
        A column whose values show on hover (escaped).
    show
        Whether the layer is on when the map opens.

    Returns
    -------
    folium.Map
        ``m``.

    Examples
    --------
    >>> import geoplan
    >>> city = geoplan.datasets.synthetic_city(area_km2=1, seed=1)
    >>> m = geoplan.maps.base_map(city.communities, basemap="amap")
    >>> m = geoplan.maps.add_layer(m, city.communities.head(1), "规划用地")
    >>> sorted(m._geoplan_state.layer_names)
    ['规划用地']
    """
    m = _state(m, None, None)
    tips = [_text(v) for v in frame[tooltip]] if tooltip is not None else [_text(name)] * len(frame)
    layer = _layer(m, name, show=show)
    points = frame.geom_type.isin(["Point", "MultiPoint"]).to_numpy()
    if points.any():
        symbol = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="14" height="14"><circle cx="7" cy="7" '
            f'r="6" fill="{colour}" stroke="#fff" stroke-width="1.5"/></svg>'
        )
        _points(
            layer,
            frame[points],
            m,
            icon_html=symbol,
            tooltip=[t for t, p in zip(tips, points, strict=True) if p],
        )
    if (~points).any():
        shapes = frame[~points]
        _polygons(
            layer,
            shapes,
            m,
            fill=[colour] * len(shapes),
            tooltip=[t for t, p in zip(tips, points, strict=True) if not p],
            opacity=0.25,
            line=colour,
            weight=2.0,
        )
    layer.add_to(m)
    _legend(m, name, [(colour, name)], layer=layer)
    return _finish(m, frame)


def add_title(m: folium.Map, title: str, subtitle: str = "") -> folium.Map:
    """Put a title (and a subtitle) at the top of a map, replacing any earlier one.

    The title also names the page (its HTML ``<title>``: the browser tab, a
    bookmark, what a screen reader announces first).

    Parameters
    ----------
    m
        The map.
    title, subtitle
        Text (escaped here): e.g. the study and the facility type; the threshold and date.

    Returns
    -------
    folium.Map
        ``m``.
    """
    state = _info(m)
    if state.title is not None:
        m._children.pop(state.title.get_name(), None)
    state.title = MapTitle(title, subtitle)
    m.add_child(state.title)
    root = m.get_root()
    if isinstance(root, Figure):
        root.title = html.escape(title)  # branca writes it into the page as it is
    return m


def _layer(m: folium.Map, name: str, *, show: bool = True) -> folium.FeatureGroup:
    """Return a new overlay whose escaped name is unique on the map (the control needs it)."""
    state = _info(m)
    unique, n = name, 1
    while unique in state.layer_names:
        n += 1
        unique = f"{name} ({n})"
    state.layer_names.add(unique)
    return folium.FeatureGroup(name=_text(unique), show=show)


def _finish(m: folium.Map, frame: gpd.GeoDataFrame | gpd.GeoSeries | None) -> folium.Map:
    """Frame the map on its first layer and keep one layer control, added last."""
    state = _info(m)
    if not state.fitted and frame is not None and len(frame):
        _fit(m, frame)
    if state.control is not None:
        m._children.pop(state.control.get_name(), None)
        # a map already rendered (saved, shown) holds the old control's script too
        _root(m).script._children.pop(state.control.get_name(), None)
    state.control = folium.LayerControl(collapsed=False)
    m.add_child(state.control)
    return m


# -------------------------------------------------------------------- drawing helpers


def _polygons(
    group: folium.FeatureGroup,
    frame: gpd.GeoDataFrame,
    m: folium.Map,
    *,
    fill: Sequence[str],
    tooltip: Sequence[str],
    popup: Sequence[str] | None = None,
    weight: float = 1.0,
    opacity: float = 0.6,
    line: str | None = "#555555",
    tolerance_m: float | None = None,
    dash: Sequence[str] | None = None,
) -> None:
    """Draw polygons with per-feature fill colours and escaped tooltip/popup HTML.

    ``tolerance_m`` is the cell of the grid polygons were traced on (service
    areas, gaps): their staircase outlines are smoothed at that size
    (:func:`geoplan.outputs.cartography.smooth`). ``dash`` gives each outline a
    dash pattern (rings drawn as outlines, with ``opacity=0``).
    """
    if len(frame) == 0:
        return
    properties: dict[str, Sequence[Any]] = {"fill": fill, "tip": tooltip}
    if dash is not None:
        properties["dash"] = dash
    if popup is not None:
        properties["pop"] = popup
    data = _features(frame, m, properties, tolerance_m=tolerance_m)
    if not data["features"]:
        return

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        colour = feature["properties"]["fill"]
        out = {
            "fillColor": colour,
            "color": line or colour,
            "weight": weight,
            "fillOpacity": opacity,
        }
        if feature["properties"].get("dash"):
            out["dashArray"] = feature["properties"]["dash"]
        if colour == NO_DATA_COLOUR:
            out |= {"color": "#888888", "dashArray": "3 3"}
        return out

    folium.GeoJson(
        data,
        style_function=style,
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
        popup=folium.GeoJsonPopup(fields=["pop"], labels=False) if popup is not None else None,
    ).add_to(group)


def _points(
    group: folium.FeatureGroup,
    frame: gpd.GeoDataFrame,
    m: folium.Map,
    *,
    icon_html: str,
    tooltip: Sequence[str],
    popup: Sequence[str] | None = None,
) -> None:
    """Draw points with a symbol (SVG made here from geoplan's own glyphs).

    Up to :data:`CLUSTER_ABOVE` points are one GeoJSON layer; more are
    clustered (Leaflet.markercluster), their data sent as compact arrays.
    """
    if len(frame) == 0:
        return
    points = frame.set_geometry(frame.geometry.representative_point())
    if len(points) > CLUSTER_ABOVE:
        _clustered_points(group, points, m, icon_html=icon_html, tooltip=tooltip, popup=popup)
        return
    properties: dict[str, Sequence[Any]] = {"tip": tooltip}
    if popup is not None:
        properties["pop"] = popup
    data = _features(points, m, properties)
    icon = folium.DivIcon(
        html=icon_html, icon_size=(22, 22), icon_anchor=(11, 11), class_name="geoplan-marker"
    )
    folium.GeoJson(
        data,
        marker=folium.Marker(icon=icon),
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
        popup=folium.GeoJsonPopup(fields=["pop"], labels=False) if popup is not None else None,
    ).add_to(group)


#: Layers with more points than this are clustered.
CLUSTER_ABOVE = 500


def _clustered_points(
    group: folium.FeatureGroup,
    points: gpd.GeoDataFrame,
    m: folium.Map,
    *,
    icon_html: str,
    tooltip: Sequence[str],
    popup: Sequence[str] | None,
) -> None:
    shown = _to_map_coordinates(points, m, simplify=False)
    keep = points.index.get_indexer(shown.index)
    xy = shapely.get_coordinates(shown.geometry.to_numpy())
    rows = [
        [float(y), float(x), tooltip[i], popup[i] if popup is not None else ""]
        for (x, y), i in zip(xy, keep, strict=True)
    ]
    # the icon HTML is geoplan's own (the symbol in it is escaped); JSON keeps it a string
    icon = json.dumps(icon_html).replace("</", "<\\/")
    callback = (
        "function (row) {"
        f" var icon = L.divIcon({{html: {icon}, iconSize: [22, 22], iconAnchor: [11, 11],"
        " className: 'geoplan-marker'});"
        " var marker = L.marker(new L.LatLng(row[0], row[1]), {icon: icon});"
        " marker.bindTooltip(row[2]);"
        " if (row[3]) { marker.bindPopup(row[3]); }"
        " return marker; }"
    )
    cluster = FastMarkerCluster(rows, callback=callback, control=False)  # type: ignore[no-untyped-call]
    cluster.default_js = _CLUSTER_JS  # the version the installed XStatic package carries
    cluster.default_css = _CLUSTER_CSS
    cluster.add_to(group)


def _names(frame: pd.DataFrame) -> list[str]:
    for column in ("name", "名称", "name_zh", "name_en"):
        if column in frame.columns:
            return [_text(v) for v in frame[column].tolist()]
    return [_text(v) for v in frame.index.tolist()]


def _type_column(frame: pd.DataFrame) -> str | None:
    for column in ("facility_type", "category", "type"):
        if column in frame.columns:
            return column
    return None


def _facility_layers(
    m: folium.Map,
    facilities: gpd.GeoDataFrame,
    *,
    only: Iterable[Any] | None = None,
    show: bool = True,
) -> None:
    """One layer per facility type, each with its own colour and symbol."""
    lang = _info(m).lang
    column = _type_column(facilities)
    if column is None:
        groups: list[tuple[Any, gpd.GeoDataFrame]] = [("facilities", facilities)]
    else:
        wanted = None if only is None else {str(t) for t in only}
        groups = [
            (type_id, group)
            for type_id, group in facilities.groupby(column, sort=True)
            if wanted is None or str(type_id) in wanted
        ]
    for type_id, group in groups:
        type_name = facility_type_label(type_id, lang) if column else label("facilities", lang)
        layer = _layer(m, f"{type_name} ({len(group)})", show=show)
        names = _names(group)
        symbol = type_symbol_html(str(type_id))
        _points(
            layer,
            group,
            m,
            icon_html=symbol,
            tooltip=[f"{n or _text(type_name)}" for n in names],
            popup=[
                _table([(label("name", lang), n), (label("type", lang), _text(type_name))])
                for n in names
            ],
        )
        layer.add_to(m)
        _legend(m, label("facilities", lang), [(symbol, type_name)], layer=layer, kind="symbol")


# ------------------------------------------------------------------------ map builders


def life_circle_map(
    circles: LifeCircles,
    *,
    level: str | None = None,
    community: Any = None,
    facilities: gpd.GeoDataFrame | None = None,
    m: folium.Map | None = None,
    lang: str | None = None,
    basemap: str | None = None,
) -> folium.Map:
    """Communities coloured by life-circle completeness, and one community's circles.

    Parameters
    ----------
    circles
        From :func:`geoplan.life_circles`.
    level
        Which ``score_<level>`` colours the communities (the first level by default).
    community
        The community whose 5/10/15-minute circles are drawn; by default the
        most populous one. Every community's circles are in the GeoPackage.
    facilities
        Facility points to show by type (optional).
    m, lang, basemap
        Draw onto ``m``; otherwise a new :func:`base_map`.

    Returns
    -------
    folium.Map
    """
    m = _state(m, basemap, lang)
    lang = _info(m).lang
    table = circles.communities
    score_columns = [c for c in table.columns if str(c).startswith("score_")]
    if not score_columns:
        msg = "the life circles have no score_<level> columns; make them with geoplan.life_circles"
        raise InputError(msg)
    chosen = f"score_{level}" if level is not None else score_columns[0]
    if chosen not in table.columns:
        levels = ", ".join(c.removeprefix("score_") for c in score_columns)
        msg = f"level {level!r} was not measured; choose one of {levels}"
        raise InputError(msg)
    chosen_name = level_name(chosen.removeprefix("score_"), lang)
    layer = _layer(m, f"{label('completeness', lang)}: {chosen_name}")
    _polygons(
        layer,
        table,
        m,
        fill=[_share_colour(float(v)) for v in table[chosen].to_numpy(dtype=float)],
        tooltip=[
            f"{_text(name)}: {_percent(score)}"
            for name, score in zip(_community_names(table), table[chosen], strict=True)
        ],
        popup=[_community_popup(row, score_columns, lang) for row in _rows(table)],
    )
    layer.add_to(m)
    _share_legend(m, f"{label('completeness', lang)} ({chosen_name})", layer)
    _draw_circles(m, circles, community, lang)
    if facilities is not None:
        _facility_layers(m, facilities, show=False)
    _default_title(m, f"{label('completeness', lang)}: {chosen_name}")
    return _finish(m, table)


class _Row:
    """A table's row as :meth:`pandas.DataFrame.iterrows` gives it, without a Series each.

    Its values are the row of ``frame.values``, which is what ``iterrows`` makes
    its Series of (the same upcast values); a city's popups made thousands of
    Series (Harbin: 0.7 s of its maps).
    """

    __slots__ = ("_positions", "_values", "name")

    def __init__(self, name: Any, values: NDArray[Any], positions: dict[Any, int]) -> None:
        self.name = name
        self._values = values
        self._positions = positions

    @property
    def index(self) -> Any:
        """The column names (``"x" in row.index``, as for a Series)."""
        return self._positions.keys()

    def __getitem__(self, column: Any) -> Any:
        return self._values[self._positions[column]]

    def get(self, column: Any, default: Any = None) -> Any:
        """Return the value in ``column``, or ``default`` when the table has no such column."""
        position = self._positions.get(column)
        return default if position is None else self._values[position]


def _rows(frame: pd.DataFrame) -> Iterator[_Row | pd.Series]:
    """Each row of ``frame`` as ``iterrows`` gives it (a Series where column names repeat)."""
    if not frame.columns.is_unique:
        yield from (row for _, row in frame.iterrows())
        return
    positions = {column: j for j, column in enumerate(frame.columns)}
    for name, values in zip(frame.index, frame.values, strict=True):
        yield _Row(name, values, positions)


def _community_names(table: pd.DataFrame) -> list[Any]:
    for column in ("name", "community_name", "名称"):
        if column in table.columns:
            return table[column].tolist()
    if "community" in table.columns:
        return table["community"].tolist()
    return table.index.tolist()


def _community_popup(row: _Row | pd.Series, score_columns: Sequence[str], lang: str) -> str:
    rows = [(label("community", lang), _text(_row_name(row)))]
    if "population" in row.index:
        rows.append((label("population", lang), _number(row["population"])))
    for column in score_columns:
        rows.append((_text(level_name(column.removeprefix("score_"), lang)), _percent(row[column])))
    missing = row.get("missing_zh" if lang == "zh" else "missing_en", "")
    rows.append((label("missing", lang), _text(missing) or label("none_missing", lang)))
    return _table(rows)


def _row_name(row: _Row | pd.Series) -> Any:
    for column in ("name", "community_name", "名称", "community"):
        if column in row.index and not pd.isna(row[column]):
            return row[column]
    return row.name


def _draw_circles(m: folium.Map, circles: LifeCircles, community: Any, lang: str) -> None:
    if circles.circles is None or len(circles.circles) == 0:
        return
    table = circles.communities
    if community is None:
        if "population" in table.columns and len(table):
            community = table["population"].astype(float).idxmax()
        else:
            community = table.index[0]
    rings = circles.circles[circles.circles["community"] == community]
    if len(rings) == 0:
        log.info("community %r has no life circles to draw", community)
        return
    rings = rings.sort_values("cutoff_minutes", ascending=False)
    name = _row_name(table.loc[community]) if community in table.index else community
    minutes = rings["cutoff_minutes"].to_numpy(dtype=float)
    dashes = _ring_dashes(minutes)
    minutes_label = label("minute_circle", lang)
    group = _layer(m, f"{name} {label('life_circle', lang)}")
    _rings(
        group,
        rings,
        m,
        cutoffs=minutes,
        dashes=dashes,
        tooltip=[f"{_text(name)}: {_number(v)}{minutes_label}" for v in minutes],
    )
    group.add_to(m)
    _legend(
        m,
        f"{name} {label('life_circle', lang)}",
        [(f"{RING_COLOUR}|{dashes[v]}", f"{_number(v)}{minutes_label}") for v in sorted(dashes)],
        layer=group,
        kind="line",
    )


def _rings(
    group: folium.FeatureGroup,
    rings: gpd.GeoDataFrame,
    m: folium.Map,
    *,
    cutoffs: np.ndarray,
    dashes: dict[float, str],
    tooltip: Sequence[str],
) -> None:
    """Draw service areas or life circles as outlines (no fill: the shares below show)."""
    _polygons(
        group,
        rings,
        m,
        fill=[RING_COLOUR] * len(rings),
        tooltip=tooltip,
        opacity=0.0,
        line=RING_COLOUR,
        weight=2.0,
        tolerance_m=settings.service_area_cell_m,
        dash=[dashes[float(v)] for v in cutoffs],
    )


def _ring_dashes(cutoffs: np.ndarray) -> dict[float, str]:
    """One dash pattern per cutoff, the smallest solid."""
    values = sorted({float(v) for v in cutoffs})
    return {v: ring_dash(i) for i, v in enumerate(values)}


def coverage_map(
    result: Coverage,
    facilities: gpd.GeoDataFrame | None = None,
    *,
    facility_type: str | None = None,
    communities: gpd.GeoDataFrame | None = None,
    service_areas: gpd.GeoDataFrame | None = None,
    m: folium.Map | None = None,
    lang: str | None = None,
    basemap: str | None = None,
) -> folium.Map:
    """Coverage of one facility type: shares by community, facilities, service area, gaps.

    Parameters
    ----------
    result
        From :func:`geoplan.coverage`.
    facilities
        The facilities measured (points or polygons with a type column).
    facility_type
        Which type to draw; the first measured type by default.
    communities
        The community polygons used in :func:`geoplan.coverage` (their index
        matches ``result.by_community``), coloured by covered share.
    service_areas
        Service-area polygons of this type to draw (from :func:`geoplan.service_areas`).
    m, lang, basemap
        Draw onto ``m``; otherwise a new :func:`base_map`.

    Returns
    -------
    folium.Map
    """
    m = _state(m, basemap, lang)
    lang = _info(m).lang
    totals = result.totals
    type_id = str(totals.index[0]) if facility_type is None else facility_type
    if type_id not in {str(t) for t in totals.index}:
        known = ", ".join(str(t) for t in totals.index)
        msg = f"facility type {type_id!r} was not measured; measured types: {known}"
        raise InputError(msg)
    type_name = facility_type_label(type_id, lang)
    frame: gpd.GeoDataFrame | None = None
    # the service areas first, so that the communities' shares are drawn over them
    if service_areas is not None and len(service_areas):
        _area_layer(m, service_areas, f"{type_name} {label('service_areas', lang)}")
    if communities is not None and result.by_community is not None:
        frame = _community_shares(result, communities, type_id)
        layer = _layer(m, f"{type_name}: {label('covered_share', lang)}")
        _polygons(
            layer,
            frame,
            m,
            fill=[_share_colour(v) for v in frame["share"].to_numpy(dtype=float)],
            tooltip=[
                f"{_text(n)}: {_percent(s)}"
                for n, s in zip(_community_names(frame), frame["share"], strict=True)
            ],
            popup=[
                _table(
                    [
                        (label("community", lang), _text(_row_name(row))),
                        (label("population", lang), _number(row["population"])),
                        (label("covered", lang), _number(row["covered"])),
                        (label("covered_share", lang), _percent(row["share"])),
                    ]
                )
                for row in _rows(frame)
            ],
        )
        layer.add_to(m)
        _share_legend(m, f"{type_name}: {label('covered_share', lang)}", layer)
    gaps = result.gaps[result.gaps["facility_type"].astype(str) == type_id]
    if len(gaps):
        layer = _layer(m, f"{type_name}: {label('uncovered', lang)}")
        _polygons(
            layer,
            gaps,
            m,
            fill=[_GAP_COLOUR] * len(gaps),
            tooltip=[f"{label('uncovered', lang)}: {_number(p)}" for p in gaps["population"]],
            opacity=0.35,
            line=_GAP_COLOUR,
            weight=1.0,
            tolerance_m=float(result.gaps.attrs.get("cell_m", settings.service_area_cell_m)),
        )
        layer.add_to(m)
        _legend(m, type_name, [(_GAP_COLOUR, label("uncovered", lang))], layer=layer)
    if facilities is not None and len(facilities):
        column = _type_column(facilities)
        _facility_layers(m, facilities, only=[type_id] if column else None)
    _default_title(m, f"{type_name}: {label('covered_share', lang)}")
    return _finish(m, frame if frame is not None else facilities)


def _community_shares(
    result: Coverage, communities: gpd.GeoDataFrame, type_id: str
) -> gpd.GeoDataFrame:
    keyed = result.by_community_of(type_id)
    frame = communities[[communities.geometry.name]].copy()
    for column in ("population", "covered", "share"):
        frame[column] = keyed[column].reindex(frame.index).to_numpy(dtype=float)
    for column in ("name", "community_name", "名称"):
        if column in communities.columns:
            frame[column] = communities[column]
    return frame


def _area_layer(m: folium.Map, areas: gpd.GeoDataFrame, name: str, *, legend: bool = True) -> None:
    """Service areas: rings by cutoff (largest first, so smaller ones stay on top)."""
    lang = _info(m).lang
    column = "cutoff_minutes" if "cutoff_minutes" in areas.columns else None
    if column is None or areas[column].isna().all():
        cutoffs = areas["cutoff_m"].to_numpy(dtype=float)
        unit = "m"
    else:
        cutoffs = areas[column].to_numpy(dtype=float)
        unit = label("minutes", lang)
    order = np.argsort(-cutoffs, kind="stable")
    shown = areas.iloc[order]
    values = cutoffs[order]
    dashes = _ring_dashes(values)
    layer = _layer(m, name)
    tips = [f"{_text(name)}: ≤ {_number(v)} {unit}" for v in values]
    _rings(layer, shown, m, cutoffs=values, dashes=dashes, tooltip=tips)
    layer.add_to(m)
    if legend:
        _legend(
            m,
            name,
            [(f"{RING_COLOUR}|{dashes[v]}", f"≤ {_number(v)} {unit}") for v in sorted(dashes)],
            layer=layer,
            kind="line",
        )


def service_area_map(
    areas: gpd.GeoDataFrame,
    *,
    facilities: gpd.GeoDataFrame | None = None,
    by: str | None = None,
    m: folium.Map | None = None,
    lang: str | None = None,
    basemap: str | None = None,
) -> folium.Map:
    """Service areas as rings, one layer per group (e.g. facility type).

    Parameters
    ----------
    areas
        From :func:`geoplan.service_areas` (``cutoff_minutes`` or ``cutoff_m``).
    facilities
        Facility points to show by type (optional).
    by
        A column of ``areas`` giving one layer per value (default
        ``facility_type`` when present).
    m, lang, basemap
        Draw onto ``m``; otherwise a new :func:`base_map`.

    Returns
    -------
    folium.Map
    """
    m = _state(m, basemap, lang)
    lang = _info(m).lang
    column = by if by is not None else ("facility_type" if "facility_type" in areas else None)
    if column is not None and column not in areas.columns:
        msg = f"by={column!r} is not a column of the service areas; columns: {list(areas.columns)}"
        raise InputError(msg)
    if column is None:
        _area_layer(m, areas, label("service_areas", lang))
    else:
        for value, group in areas.groupby(column, sort=True):
            name = facility_type_label(value, lang) if column == "facility_type" else str(value)
            _area_layer(m, group, f"{name} {label('service_areas', lang)}")
    if facilities is not None and len(facilities):
        _facility_layers(m, facilities, show=False)
    _default_title(m, label("service_areas", lang))
    return _finish(m, areas)


def site_map(
    proposal: SiteProposal,
    *,
    existing: gpd.GeoDataFrame | None = None,
    new_area: gpd.GeoDataFrame | None = None,
    communities: gpd.GeoDataFrame | None = None,
    facility_type: str | None = None,
    m: folium.Map | None = None,
    lang: str | None = None,
    basemap: str | None = None,
) -> folium.Map:
    """Existing and proposed sites, the newly covered area, coverage before and after.

    Parameters
    ----------
    proposal
        From :func:`geoplan.propose_sites`.
    existing
        The existing facilities of the type (optional).
    new_area
        Polygons newly within reach thanks to the proposed sites (optional;
        the study run computes them).
    communities
        Community polygons, indexed as ``proposal.after`` is, coloured by the
        covered share after building.
    facility_type
        The type's id, for labels.
    m, lang, basemap
        Draw onto ``m``; otherwise a new :func:`base_map`.

    Returns
    -------
    folium.Map
    """
    m = _state(m, basemap, lang)
    lang = _info(m).lang
    type_id = facility_type or proposal.sites.attrs.get("facility_type")
    type_name = facility_type_label(type_id, lang) if type_id else label("facilities", lang)
    if communities is not None and "share" in proposal.after.columns:
        frame = communities[[communities.geometry.name]].copy()
        before = proposal.before["share"].reindex(frame.index).to_numpy(dtype=float)
        after = proposal.after["share"].reindex(frame.index).to_numpy(dtype=float)
        layer = _layer(m, f"{type_name}: {label('share_after', lang)}")
        names = _community_names(communities)
        _polygons(
            layer,
            frame,
            m,
            fill=[_share_colour(v) for v in after],
            tooltip=[
                f"{_text(n)}: {_percent(b)} → {_percent(a)}"
                for n, b, a in zip(names, before, after, strict=True)
            ],
            popup=[
                _table(
                    [
                        (label("community", lang), _text(n)),
                        (label("share_before", lang), _percent(b)),
                        (label("share_after", lang), _percent(a)),
                    ]
                )
                for n, b, a in zip(names, before, after, strict=True)
            ],
        )
        layer.add_to(m)
        _share_legend(m, f"{type_name}: {label('share_after', lang)}", layer)
    if new_area is not None and len(new_area):
        layer = _layer(m, label("newly_covered_area", lang))
        _polygons(
            layer,
            new_area,
            m,
            fill=[_NEW_AREA_COLOUR] * len(new_area),
            tooltip=[label("newly_covered_area", lang)] * len(new_area),
            opacity=0.35,
            line=None,
            tolerance_m=settings.service_area_cell_m,
        )
        layer.add_to(m)
        _legend(
            m,
            label("newly_covered_area", lang),
            [(_NEW_AREA_COLOUR, label("newly_covered_area", lang))],
            layer=layer,
        )
    if existing is not None and len(existing):
        layer = _layer(m, f"{label('existing', lang)} ({len(existing)})")
        names = _names(existing)
        existing_symbol = type_symbol_html(str(type_id or ""), colour=_EXISTING_COLOUR)
        _points(
            layer,
            existing,
            m,
            icon_html=existing_symbol,
            tooltip=[n or _text(type_name) for n in names],
        )
        layer.add_to(m)
        _legend(
            m, label("existing", lang), [(existing_symbol, type_name)], layer=layer, kind="symbol"
        )
    sites = proposal.sites
    layer = _layer(m, f"{label('proposed', lang)} ({len(sites)})")
    for rank, site in sites.groupby("rank", sort=True):
        _points(
            layer,
            site,
            m,
            icon_html=numbered_badge(int(rank)),
            tooltip=[
                f"{label('proposed', lang)} #{int(r)}: +{_number(g)}"
                for r, g in zip(site["rank"], site["newly_covered"], strict=True)
            ],
            popup=[
                _table(
                    [
                        (label("rank", lang), _number(r)),
                        (label("newly_covered", lang), _number(g)),
                    ]
                )
                for r, g in zip(site["rank"], site["newly_covered"], strict=True)
            ],
        )
    layer.add_to(m)
    summary = proposal.summary
    _legend(
        m,
        f"{type_name}: {label('site_proposals', lang)}",
        [
            (
                numbered_badge(1),
                f"{label('proposed', lang)}: {summary['sites']} · {label('covered_share', lang)}: "
                f"{_percent(summary['share_before'])} → {_percent(summary['share_after'])}",
            )
        ],
        layer=layer,
        kind="symbol",
    )
    _default_title(m, f"{type_name}: {label('site_proposals', lang)}")
    return _finish(m, communities if communities is not None else sites)


def indicator_map(
    result: IndicatorResult,
    communities: gpd.GeoDataFrame,
    *,
    m: folium.Map | None = None,
    lang: str | None = None,
    basemap: str | None = None,
) -> folium.Map:
    """Map the plan's indicators by community: the share of its indicators each meets.

    Parameters
    ----------
    result
        From :func:`geoplan.evaluate_indicators`.
    communities
        Community polygons indexed like ``result.by_community`` (the register
        joined to its boundaries).
    m, lang, basemap
        Draw onto ``m``; otherwise a new :func:`base_map`.

    Returns
    -------
    folium.Map
    """
    from geoplan.standards import plan_indicators

    m = _state(m, basemap, lang)
    lang = _info(m).lang
    table = result.by_community
    shown = communities[communities.index.isin(table.index)]
    rows = table.reindex(shown.index)
    spec = plan_indicators()
    ids = [i for i in spec.index if f"meets_{i}" in rows.columns]
    met = np.zeros(len(rows))
    evaluated = np.zeros(len(rows))
    for indicator in ids:
        flags = rows[f"meets_{indicator}"]
        met += flags.fillna(False).astype(bool).to_numpy()
        evaluated += flags.notna().to_numpy()
    share = np.divide(met, evaluated, out=np.full(len(rows), np.nan), where=evaluated > 0)
    title = "规划指标达标比例" if lang == "zh" else "share of the plan's indicators met"
    names = _community_names(rows) if "community_name" not in rows else rows["community_name"]
    title_column = "name_zh" if lang == "zh" else "name_en"
    facts = {  # looked up once, not for every community
        i: (spec.loc[i, "unit"], spec.loc[i, "target_2025"], spec.loc[i, title_column]) for i in ids
    }
    layer = _layer(m, title)
    _polygons(
        layer,
        shown,
        m,
        fill=[_share_colour(v) for v in share],
        tooltip=[
            f"{_text(n)}: {int(a)}/{int(b)}" for n, a, b in zip(names, met, evaluated, strict=True)
        ],
        popup=[
            _indicator_popup(row, facts, lang, name)
            for row, name in zip(_rows(rows), names, strict=True)
        ],
    )
    layer.add_to(m)
    _share_legend(m, title, layer)
    _default_title(m, title)
    return _finish(m, shown)


def _indicator_popup(
    row: _Row | pd.Series, facts: dict[str, tuple[Any, Any, Any]], lang: str, name: Any
) -> str:
    """Return a community's indicators as a popup; ``facts``: each one's unit, target, title."""
    lines = [(label("community", lang), _text(name))]
    for indicator, (unit, target, title) in facts.items():
        value, meets = row.get(indicator), row.get(f"meets_{indicator}")
        if value is None or pd.isna(value):
            continue
        shown = _percent(value) if unit == "share" else _number(value, 1)
        goal = _percent(target) if unit == "share" else _number(target, 1)
        mark = "✓" if meets is True else ("✗" if meets is False else "")
        lines.append((_text(title), f"{shown} (≥ {goal}) {mark}"))
    return _table(lines)


def study_map(
    studies: gpd.GeoDataFrame,
    column: str,
    *,
    m: folium.Map | None = None,
    lang: str | None = None,
    basemap: str | None = None,
) -> folium.Map:
    """Map many studies (e.g. a province's counties) coloured by one of their shares.

    Parameters
    ----------
    studies
        One polygon per study, indexed by study name, with numeric columns
        (as :func:`geoplan.parallel.run_many` makes them).
    column
        The share (0-1) that colours the studies, e.g. ``share_community_canteen``.
    m, lang, basemap
        Draw onto ``m``; otherwise a new :func:`base_map`.

    Returns
    -------
    folium.Map
    """
    m = _state(m, basemap, lang)
    lang = _info(m).lang
    if column not in studies.columns:
        msg = f"column {column!r} is not in the studies; columns: {list(studies.columns)}"
        raise InputError(msg)
    numeric = [c for c in studies.columns if c != studies.geometry.name and is_numeric(studies[c])]
    layer = _layer(m, column)
    _polygons(
        layer,
        studies,
        m,
        fill=[_share_colour(v) for v in studies[column].to_numpy(dtype=float)],
        tooltip=[
            f"{_text(n)}: {_percent(v)}"
            for n, v in zip(studies.index, studies[column], strict=True)
        ],
        popup=[
            _table(
                [(label("study", lang), _text(name))]
                + [(_text(c), _number(row[c], 3)) for c in numeric]
            )
            for name, row in studies.iterrows()
        ],
    )
    layer.add_to(m)
    _share_legend(m, column, layer)
    _default_title(m, column)
    return _finish(m, studies)


#: Each change of a scenario's edits layer: (label key, colour).
_SCENARIO_CHANGES = {
    "added": ("added_links", "#1a9850"),
    "closed": ("closed_streets", "#d73027"),
    "barrier": ("barriers", "#252525"),
}


def scenario_map(
    edits: gpd.GeoDataFrame,
    *,
    m: folium.Map | None = None,
    lang: str | None = None,
    basemap: str | None = None,
) -> folium.Map:
    """Draw a scenario's changes to the network: links added, streets closed, barriers.

    Parameters
    ----------
    edits
        :meth:`geoplan.scenarios.Edited.layer`: ``change`` (``added``,
        ``closed``, ``barrier``) and lines.
    m, lang, basemap
        Draw onto ``m``; otherwise a new :func:`base_map`.

    Returns
    -------
    folium.Map
    """
    m = _state(m, basemap, lang)
    lang = _info(m).lang
    for change, (key, colour) in _SCENARIO_CHANGES.items():
        rows = edits[edits["change"] == change]
        if len(rows):
            add_layer(m, rows, label(key, lang), colour=colour)
    name = str(edits["scenario"].iloc[0]) if len(edits) else ""
    _default_title(m, f"{label('scenario', lang)}: {name}")
    return _finish(m, edits)


def network_map(
    network: Network,
    *,
    m: folium.Map | None = None,
    lang: str | None = None,
    basemap: str | None = None,
) -> folium.Map:
    """Draw the travel network's edges as one thin line layer.

    Parameters
    ----------
    network
        The network to draw.
    m, lang, basemap
        Draw onto ``m``; otherwise a new :func:`base_map`.

    Returns
    -------
    folium.Map
    """
    import geopandas as gpd

    m = _state(m, basemap, lang)
    lang = _info(m).lang
    _, edges = network.to_gdfs()
    merged = shapely.line_merge(shapely.union_all(edges.geometry.to_numpy()))
    frame = gpd.GeoDataFrame(geometry=[merged], crs=edges.crs)
    data = _features(frame, m, {})
    layer = _layer(m, f"{label('network', lang)} ({network.n_edges:,} {label('edges', lang)})")
    folium.GeoJson(
        data, style_function=lambda _: {"color": "#3182bd", "weight": 1, "opacity": 0.7}
    ).add_to(layer)
    layer.add_to(m)
    _legend(m, label("network", lang), [("#3182bd", network.profile)], layer=layer, kind="line")
    _default_title(m, label("network", lang))
    return _finish(m, edges)


# ------------------------------------------------------------------------------ saving


def map_html(m: folium.Map, *, offline: bool | None = None) -> str:
    """Return the map as one HTML page; with ``offline`` every asset is embedded.

    Parameters
    ----------
    m
        The map.
    offline
        Embed Leaflet's JavaScript and CSS from the local asset cache (filled
        from the npm registry on first use) instead of linking public CDNs.
        Default: ``settings.offline_maps``.

    Returns
    -------
    str
    """
    page = _page(m)
    if offline if offline is not None else settings.offline_maps:
        from geoplan.outputs.assets import make_self_contained

        page = make_self_contained(page, mode="embed")
    return page


@dataclass(frozen=True)
class InlineMap:
    """A map for a notebook cell: shown in an iframe, with Leaflet embedded when it can be.

    Made by :func:`show`; Jupyter displays it through ``_repr_html_``.
    """

    page: str
    height: int = 520

    def _repr_html_(self) -> str:
        source = html.escape(self.page, quote=True)
        return (
            f'<iframe srcdoc="{source}" style="width:100%;height:{self.height}px;'
            'border:none;" allowfullscreen></iframe>'
        )


def show(m: folium.Map, *, height: int = 520, offline: bool | None = None) -> InlineMap:
    """Show a map in a notebook, working without the internet when it can.

    Parameters
    ----------
    m
        The map.
    height
        Height of the map in the notebook, in pixels.
    offline
        Embed Leaflet from the local asset cache (``True``), or link the
        public CDNs (``False``). By default: embedded when ``geoplan assets``
        has filled the cache (or ``settings.offline_maps`` asks for it), so a
        notebook shows its maps on a laptop without the internet.

    Returns
    -------
    InlineMap
        Displays itself in Jupyter; ``.page`` is the whole HTML page.

    Examples
    --------
    >>> import geoplan
    >>> city = geoplan.datasets.synthetic_city(area_km2=1, seed=1)
    >>> shown = geoplan.maps.show(geoplan.maps.base_map(city.communities, basemap="none"),
    ...                           offline=False)
    >>> shown._repr_html_().startswith("<iframe")
    True
    """
    if offline is None:
        offline = settings.offline_maps or _assets_cached()
    return InlineMap(map_html(m, offline=offline), height=height)


def _assets_cached() -> bool:
    """Whether every asset a map loads is at hand (installed with geoplan, or cached)."""
    from geoplan.outputs.assets import AssetCache, npm_source, python_package_dir

    cache = AssetCache()
    sources = [npm_source(url) for url in ASSET_URLS]
    return all(
        s is not None and (python_package_dir(s[0], s[1]) is not None or cache.has(s[0], s[1]))
        for s in sources
    )


def save_map(
    m: folium.Map,
    path: str | os.PathLike[str],
    *,
    offline: bool | None = None,
) -> Path:
    """Write the map to an HTML file, atomically.

    Parameters
    ----------
    m
        The map.
    path
        The HTML file to write.
    offline
        Write Leaflet's JavaScript and CSS beside the map (``lib/``) from the
        local asset cache instead of linking public CDNs, so the map opens
        without the internet. Default: ``settings.offline_maps``.

    Returns
    -------
    pathlib.Path
    """
    from geoplan._io import atomic_path

    final = Path(path)
    if final.is_dir():
        msg = f"{final} is a folder; give the path of an .html file to write"
        raise DataSourceError(msg)
    page = _page(m)
    if offline if offline is not None else settings.offline_maps:
        from geoplan.outputs.assets import make_self_contained

        page = make_self_contained(page, mode="beside", out_dir=final.parent)
    page = _shared_data_beside(page, final.parent)
    with atomic_path(final) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return final


def _page(m: folium.Map) -> str:
    """Return the map's page, ids numbered in order (the same map, the same page).

    A map geoplan drew says its language on ``<html>`` (screen readers,
    translation, fonts); another map's language is unknown and left unsaid.
    """
    page = render_page(m)
    state: _MapState | None = getattr(m, _STATE_ATTRIBUTE, None)
    if state is None:
        return page
    code = "zh-CN" if state.lang == "zh" else "en"
    return page.replace("<html>", f'<html lang="{code}">', 1)


_SHARED_DATA = re.compile(r'<script id="geoplan-data-([a-z0-9_]+)">(.*?)</script>', re.DOTALL)


def _shared_data_beside(page: str, folder: Path) -> str:
    """Move data several maps share (the study's roads) into ``lib/``, written once.

    Each such script becomes ``lib/<name>-<hash>.js`` beside the maps, named by
    its content, so the maps of one run load one file and each map stays small.
    """
    from geoplan._io import atomic_path

    def beside(match: re.Match[str]) -> str:
        name, body = match.group(1), match.group(2)
        digest = hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]
        relative = f"lib/{name}-{digest}.js"
        target = folder / relative
        if not target.is_file():
            with atomic_path(target) as tmp:
                tmp.write_text(body, encoding="utf-8")
        return f'<script src="{relative}"></script>'

    return _SHARED_DATA.sub(beside, page)


class _BaseLayer(MacroElement):
    """The study's own data drawn light beneath every layer: a base map without tiles.

    The data is written into the page's head as a script that :func:`save_map`
    moves into ``lib/`` (shared by every map of a run). branca would compile a
    header's text once more as a template (the encoded lines may hold ``{{``),
    so this element puts its header on the page as a literal itself.
    """

    _template = Template(
        """{% macro header(this, kwargs) %}
        <script id="geoplan-data-base">window.geoplanBase = {{ this.raw_data }};</script>
        {% endmacro %}
        {% macro script(this, kwargs) %}
        (function (map) {
            {{ this.decoder }}
            var pane = map.createPane("geoplanBase");
            pane.style.zIndex = 250;
            pane.style.pointerEvents = "none";
            var renderer = L.canvas({pane: "geoplanBase"});
            var styles = {{ this.styles }};
            window.geoplanBase.features.forEach(function (f) {
                var style = Object.assign(
                    {pane: "geoplanBase", renderer: renderer, interactive: false}, styles[f.kind]);
                if (f.lines) {
                    L.polyline(f.lines.map(geoplanDecode), style).addTo(map);
                } else {
                    L.polygon(f.polygons.map(function (rings) {
                        return rings.map(geoplanDecode);
                    }), style).addTo(map);
                }
            });
        })({{ this._parent.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self, data: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "GeoplanBase"
        self.raw_data = data
        self.styles = json.dumps(BASE_STYLES)
        self.decoder = DECODER_JS

    def render(self, **kwargs: Any) -> Any:
        """Put the data in the page's head as it is, then the script as any element does."""
        page: Any = self.get_root()
        header = self._template.module.header(self, kwargs)
        page.header.add_child(LiteralElement(str(header)), name=self.get_name())
        script = self._template.module.script(self, kwargs)
        page.script.add_child(LiteralElement(str(script)), name=self.get_name())


#: How each kind of base-layer feature is drawn (Leaflet path options): light, beneath all.
BASE_STYLES: dict[str, dict[str, Any]] = {
    "water": {"stroke": False, "fillColor": "#c6dbef", "fillOpacity": 0.8},
    "green": {"stroke": False, "fillColor": "#d9f0d3", "fillOpacity": 0.8},
    "building": {"color": "#d4d4d4", "weight": 0.5, "fillColor": "#e8e8e8", "fillOpacity": 0.9},
    "road": {"color": "#bdbdbd", "weight": 1.2, "opacity": 0.9},
    "main_road": {"color": "#9e9e9e", "weight": 2.2, "opacity": 0.9},
}

#: Above this many buildings the base layer leaves them out (a city's would make maps heavy).
MAX_BUILDINGS_DRAWN = 20_000

#: Road classes drawn as main roads in the light base layer.
_MAIN_ROADS = frozenset(
    {
        "motorway",
        "trunk",
        "primary",
        "secondary",
        "快速路",
        "主干路",
        "次干路",
        "expressway",
        "arterial",
        "sub-arterial",
    }
)


def add_base_layer(
    m: folium.Map,
    network: Network,
    base_layers: gpd.GeoDataFrame | None = None,
    *,
    data: str | None = None,
) -> folium.Map:
    """Draw the study's streets, water, green space and buildings light beneath the layers.

    The map then shows where things are offline, or on a network that blocks the
    tile servers.

    Parameters
    ----------
    m
        The map.
    network
        The study's network; main roads (by ``edge_attrs["road_class"]`` where the
        network has it) are drawn a little stronger.
    base_layers
        Areas with ``kind`` ``"water"``, ``"green"`` or ``"building"``
        (:attr:`geoplan.Study.base_layers`); buildings are left out above
        :data:`MAX_BUILDINGS_DRAWN`.
    data
        The base layer as :func:`base_layer_json` gives it for this map's
        coordinates (maps of one run share it); made here when omitted.

    Returns
    -------
    folium.Map
        ``m``.
    """
    if data is None:
        data = base_layer_json(network, m, base_layers)
    m.add_child(_BaseLayer(data))
    return m


def base_layer_json(
    network: Network, m: folium.Map | str, base_layers: gpd.GeoDataFrame | None = None
) -> str:
    """Return the base layer as JSON text in ``m``'s coordinates, merged and simplified.

    One feature per kind (``road``, ``main_road``, ``water``, ``green``,
    ``building``), its lines or polygon rings as encoded polylines
    (:mod:`geoplan.outputs._polyline`, 1e-5 degrees): a city's streets take a
    fifth of their GeoJSON size. ``m`` is the map, or the name of the base map
    (``"osm"``, ``"amap"``, ...) of the maps it is for: the same text for all of them.
    """
    import geopandas as gpd

    parts = [_area_kinds(base_layers, network.crs), _street_kinds(network)]
    frame = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=network.crs)
    shown = _to_map_coordinates(frame, m)
    features = [
        _encoded(str(kind), shown.geometry.to_numpy()[(shown["kind"] == kind).to_numpy()])
        for kind in dict.fromkeys(shown["kind"])
    ]
    return json.dumps({"features": features}, separators=(",", ":"))


def _encoded(kind: str, geometries: NDArray[Any]) -> dict[str, Any]:
    """One base-layer feature: every line of a street kind, or every polygon's rings."""
    parts = shapely.get_parts(shapely.get_parts(geometries))  # collections too
    types = shapely.get_type_id(parts)
    if kind in ("road", "main_road"):
        return {"kind": kind, "lines": _encoded_lines(parts[types == 1])}
    # every ring at once (each polygon's exterior, then its holes), then cut by polygon
    polygons = parts[types == 3]
    encoded = _encoded_lines(shapely.get_rings(polygons))
    bounds = [0, *np.cumsum(shapely.get_num_interior_rings(polygons) + 1).tolist()]
    return {"kind": kind, "polygons": [encoded[a:b] for a, b in itertools.pairwise(bounds)]}


def _encoded_lines(lines: NDArray[Any]) -> list[str]:
    """Each line's (or ring's) polyline text, from one coordinate array for all of them."""
    return encode_joined(shapely.get_coordinates(lines), shapely.get_num_coordinates(lines))


def _street_kinds(network: Network) -> gpd.GeoDataFrame:
    """Merge the network's streets into one line per kind (``road``, ``main_road``)."""
    import geopandas as gpd

    _, edges = network.to_gdfs()
    main = np.zeros(len(edges), dtype=bool)
    if "road_class" in edges.columns:
        main = edges["road_class"].astype(str).str.lower().isin(_MAIN_ROADS).to_numpy()
    kinds, lines = [], []
    for flag, kind in ((False, "road"), (True, "main_road")):
        chosen = edges.geometry.to_numpy()[main == flag]
        if len(chosen):
            kinds.append(kind)
            lines.append(shapely.line_merge(shapely.union_all(chosen)))
    return gpd.GeoDataFrame({"kind": kinds}, geometry=lines, crs=edges.crs)


def _area_kinds(base_layers: gpd.GeoDataFrame | None, crs: Any) -> gpd.GeoDataFrame:
    """Merge water and green per kind; add the buildings when few enough to draw."""
    import geopandas as gpd

    if base_layers is None or not len(base_layers):
        return gpd.GeoDataFrame({"kind": []}, geometry=[], crs=crs)
    areas = base_layers.to_crs(crs)
    kinds, shapes = [], []
    for kind in ("water", "green"):
        chosen = areas.geometry.to_numpy()[(areas["kind"] == kind).to_numpy()]
        if len(chosen):
            kinds.append(kind)
            shapes.append(shapely.union_all(shapely.make_valid(chosen)))
    merged = gpd.GeoDataFrame({"kind": kinds}, geometry=shapes, crs=crs)
    buildings = areas[(areas["kind"] == "building").to_numpy()]
    if len(buildings) > MAX_BUILDINGS_DRAWN:
        log.info(
            "the maps' base layer leaves out %d buildings (more than %d)",
            len(buildings),
            MAX_BUILDINGS_DRAWN,
        )
        buildings = buildings.iloc[:0]
    return pd.concat([merged, buildings[["kind", "geometry"]]], ignore_index=True)
