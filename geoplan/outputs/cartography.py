"""Cartography a bureau can sign: colours, symbols, titles, legends and smooth outlines.

What every map shares, decided once:

* **Colours that do not blend.** Shares (completeness, covered share) use
  ColorBrewer's RdYlBu in five classes, a scheme ColorBrewer marks safe for
  colour-blind readers; "no data" is a light grey with a dashed outline, never a
  colour of the scale, so 0 % (red) and no data cannot be confused. Service-area
  rings are outlines (no fill), drawn over the shares in a dark purple with one
  dash pattern per ring; uncovered areas are a dark hatch-like shade.
* **One symbol and colour per facility type.** Each type belongs to a family
  with its own glyph (a cross for health, a mortarboard for schools, a bowl for
  canteens, a tent for shelters...) and takes a colour of Paul Tol's
  colour-blind-safe qualitative palettes by its place in the family, so no two
  standard types share both, and a type looks the same on every map.
* **A title and subtitle on every map** (study, type, threshold, date), and
  **legends bound to their layers**: a legend shows while its layer is on and
  hides when the layer is switched off.
* **Smooth outlines**: polygons traced on a grid (service areas, gaps) are
  simplified and their corners rounded, so they do not show as staircases.
"""

from __future__ import annotations

import html
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from branca.element import MacroElement
from jinja2 import Template

__all__ = [
    "GAP_COLOUR",
    "NO_DATA_COLOUR",
    "RING_COLOUR",
    "SHARE_BINS",
    "SHARE_COLOURS",
    "BoundLegend",
    "MapTitle",
    "legend_html",
    "numbered_badge",
    "ring_dash",
    "share_colour",
    "smooth",
    "type_style",
    "type_symbol_html",
]

#: Bins of every share colour scale (completeness, covered share): 0-20 %, ..., 80-100 %.
SHARE_BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
#: ColorBrewer RdYlBu, 5 classes (colour-blind safe per ColorBrewer): low shares red.
SHARE_COLOURS = ("#d7191c", "#fdae61", "#ffffbf", "#abd9e9", "#2c7bb6")
NO_DATA_COLOUR = "#e0e0e0"
#: Service-area rings: outlines in one dark purple, told apart by their dashes.
RING_COLOUR = "#542788"
GAP_COLOUR = "#252525"
PROPOSED_COLOUR = "#e7298a"
EXISTING_COLOUR = "#4d4d4d"
NEW_AREA_COLOUR = "#1b9e77"

#: Paul Tol's bright and muted qualitative palettes (colour-blind safe), greys left out.
TYPE_COLOURS = (
    "#4477AA",
    "#EE6677",
    "#228833",
    "#AA3377",
    "#332288",
    "#44AA99",
    "#999933",
    "#882255",
    "#117733",
    "#CC6677",
    "#66CCEE",
    "#CCBB44",
)

# glyphs on a 20 x 20 canvas, drawn in white on the type's colour
_GLYPHS = {
    "health": '<path d="M8 4h4v4h4v4h-4v4H8v-4H4V8h4z"/>',
    "pharmacy": '<rect x="3" y="7.5" width="14" height="5" rx="2.5" '
    'transform="rotate(-45 10 10)"/>',
    "education": '<path d="M2 8l8-4 8 4-8 4zM5 10v4c2 2 8 2 10 0v-4l-5 2.5z"/>',
    "elderly": '<path d="M10 16.5S3.5 12.5 3.5 8a3.2 3.2 0 0 1 6.5-1 '
    '3.2 3.2 0 0 1 6.5 1c0 4.5-6.5 8.5-6.5 8.5z"/>',
    "food": '<path d="M3 9h14c0 4-3 7-7 7s-7-3-7-7zM7 3h1.5v4H7zM11.5 3H13v4h-1.5z"/>',
    "service": '<path d="M10 3l7.5 6.5H15V16H5V9.5H2.5z"/>',
    "culture": '<path d="M10 2.5l2.2 4.8 5.3.6-3.9 3.6 1.1 5.2L10 14l-4.7 2.7 '
    '1.1-5.2L2.5 7.9l5.3-.6z"/>',
    "safety": '<path d="M10 2.5l6.5 2.3V10c0 4-3 6.3-6.5 7.5C6.5 16.3 3.5 14 3.5 10V4.8z"/>',
    "shelter": '<path d="M10 3l8 14h-6l-2-4-2 4H2z"/>',
    "green": '<circle cx="10" cy="8" r="5.5"/><rect x="9" y="12" width="2" height="5.5"/>',
    "sport": '<path d="M2.5 8h2v4h-2zM5 6.5h2.2v7H5zM7.2 9h5.6v2H7.2zM12.8 6.5H15v7h-2.2z'
    'M15.5 8h2v4h-2z"/>',
    "shop": '<path d="M2.5 4h3l2 8h8.5l1.5-6h-11" fill="none" stroke="#fff" stroke-width="2"/>'
    '<circle cx="8.5" cy="15.5" r="1.6"/><circle cx="14.5" cy="15.5" r="1.6"/>',
    "daily": '<path d="M5 4l4 4-1.2 1.2L3.8 5.2zM15 4l-9 9 2 2 9-9zM12 13l3 3" fill="#fff"'
    ' stroke="#fff" stroke-width="1.2"/>',
    "post": '<path d="M3 5.5h14v9H3z" fill="none" stroke="#fff" stroke-width="1.8"/>'
    '<path d="M3 5.5l7 5.5 7-5.5" fill="none" stroke="#fff" stroke-width="1.8"/>',
    "recycle": '<path d="M10 3.5l6.5 11.5h-13z" fill="none" stroke="#fff" stroke-width="2.2"/>',
    "transport": '<rect x="5" y="3" width="10" height="12" rx="2"/><rect x="6" y="15" width="2.2"'
    ' height="2.5"/><rect x="11.8" y="15" width="2.2" height="2.5"/>',
    "money": '<text x="10" y="15" font-size="13" text-anchor="middle" fill="#fff"'
    ' font-family="sans-serif" font-weight="bold">¥</text>',
    "toilet": '<text x="10" y="14" font-size="8.5" text-anchor="middle" fill="#fff"'
    ' font-family="sans-serif" font-weight="bold">WC</text>',
    "telecom": '<path d="M7 2.5h6v15H7z" fill="none" stroke="#fff" stroke-width="1.8"/>'
    '<circle cx="10" cy="14.5" r="1.2"/>',
    "community": '<circle cx="7" cy="7" r="2.5"/><circle cx="13" cy="7" r="2.5"/>'
    '<path d="M2.5 16c0-3 2-5 4.5-5s4.5 2 4.5 5zM8.5 16c0-3 2-5 4.5-5s4.5 2 4.5 5z"/>',
    "utility": '<path d="M11.5 2.5L5 11h4.5l-1.5 6.5L15 9h-4.5z"/>',
    "other": '<circle cx="10" cy="10" r="4.5"/>',
}

#: Facility types by family, in the order that gives each its colour.
FAMILIES: dict[str, tuple[str, ...]] = {
    "health": (
        "community_health_center",
        "community_health_station",
        "township_health_center",
        "village_clinic",
        "health_wellness",
    ),
    "pharmacy": ("pharmacy",),
    "education": ("junior_middle_school", "primary_school", "kindergarten", "nursery_childcare"),
    "elderly": ("elderly_day_care", "elderly_service_center_subdistrict", "nursing_home"),
    "food": ("community_canteen", "breakfast_shop", "specialty_dining"),
    "service": (
        "community_service_station",
        "embedded_service_complex",
        "subdistrict_service_center",
        "subdistrict_office",
    ),
    "culture": ("culture_activity_center", "culture_activity_station", "culture_leisure"),
    "safety": ("police_station",),
    "shelter": ("emergency_shelter",),
    "green": (
        "park_15min",
        "park_10min",
        "park_5min",
        "block_central_green",
        "children_elderly_playground",
    ),
    "sport": (
        "sports_field_large",
        "sports_field_medium",
        "sports_field_small",
        "outdoor_fitness",
        "fitness_centre",
    ),
    "shop": ("convenience_store", "comprehensive_supermarket", "fresh_market"),
    "daily": ("laundry", "hair_beauty", "photo_print", "housekeeping", "repair_point"),
    "post": ("post_express_point",),
    "recycle": ("recycling_point",),
    "transport": ("bus_stop",),
    "toilet": ("public_toilet",),
    "money": ("bank",),
    "telecom": ("telecom_service",),
    "utility": ("gas_service_point", "power_service_point"),
}
#: Words in a type id that place a type missing from FAMILIES (a newer or a user's type).
_FAMILY_WORDS = (
    ("bank", "money"),
    ("atm", "money"),
    ("telecom", "telecom"),
    ("mobile", "telecom"),
    ("committee", "community"),
    ("residents", "community"),
    ("health", "health"),
    ("clinic", "health"),
    ("school", "education"),
    ("elderly", "elderly"),
    ("canteen", "food"),
    ("park", "green"),
    ("sport", "sport"),
    ("shop", "shop"),
    ("market", "shop"),
    ("post", "post"),
    ("express", "post"),
    ("parcel", "post"),
    ("police", "safety"),
    ("shelter", "shelter"),
)


def type_style(type_id: str) -> tuple[str, str]:
    """Return a facility type's (family, colour): the same on every map, unique per type.

    Examples
    --------
    >>> type_style("community_canteen")
    ('food', '#4477AA')
    >>> type_style("primary_school") != type_style("kindergarten")
    True
    """
    for family, members in FAMILIES.items():
        if type_id in members:
            return family, TYPE_COLOURS[members.index(type_id) % len(TYPE_COLOURS)]
    family = next((f for word, f in _FAMILY_WORDS if word in type_id.lower()), "other")
    colour = TYPE_COLOURS[zlib.crc32(type_id.encode("utf-8")) % len(TYPE_COLOURS)]
    return family, colour


def type_symbol_html(type_id: str, *, size: int = 22, colour: str | None = None) -> str:
    """Return a facility type's map symbol: its glyph in white on a round badge of its colour."""
    family, own = type_style(type_id)
    fill = colour or own
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 20 20" class="geoplan-symbol"><circle cx="10" cy="10" r="9.5" '
        f'fill="{fill}" stroke="#fff" stroke-width="1"/><g fill="#fff" '
        f'transform="translate(2 2) scale(0.8)">{_GLYPHS[family]}</g></svg>'
    )


def numbered_badge(number: int, colour: str = PROPOSED_COLOUR, *, size: int = 24) -> str:
    """Return a square badge with a number (a proposed site's rank), in SVG."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
        f'viewBox="0 0 20 20" class="geoplan-symbol"><rect x="1" y="1" width="18" height="18" '
        f'rx="3" fill="{colour}" stroke="#fff" stroke-width="1.2"/><text x="10" y="14.5" '
        'font-size="11" font-weight="bold" text-anchor="middle" fill="#fff" '
        f'font-family="sans-serif">{int(number)}</text></svg>'
    )


def share_colour(share: float) -> str:
    """Return the colour of a share (0-1) on the shared scale; no data for NaN."""
    if not np.isfinite(share):
        return NO_DATA_COLOUR
    index = int(np.searchsorted(SHARE_BINS[1:-1], share, side="right"))
    return SHARE_COLOURS[index]


def ring_dash(position: int) -> str:
    """Return the dash pattern of the ``position``-th ring, innermost first (solid)."""
    patterns = ("", "8 4", "3 4", "12 4 2 4", "1 3")
    return patterns[min(position, len(patterns) - 1)]


def smooth(geometry: np.ndarray, cell_m: float) -> np.ndarray:
    """Round the staircase outlines of polygons traced on a grid of ``cell_m`` cells.

    The steps are dropped (a simplification to three quarters of a cell: the
    corners of a one-cell staircase lie 0.71 cell from its slant), then every
    corner is cut twice (Chaikin's corner cutting, each cut at most half a cell
    from the corner), which leaves smooth curves within about a cell of the
    traced outline and keeps long straight
    edges straight (map precision; the GeoPackage keeps the exact outline).

    Examples
    --------
    >>> import shapely
    >>> stairs = shapely.Polygon([(0, 0), (10, 0), (10, 10), (20, 10), (20, 20), (0, 20)])
    >>> out = smooth(np.array([stairs]), 10.0)[0]
    >>> round(out.area / stairs.area, 2), out.is_valid
    (0.85, True)
    >>> big = smooth(np.array([shapely.box(0, 0, 1000, 1000)]), 10.0)[0]
    >>> round(big.area / 1e6, 4)  # only the corners of a large square are rounded
    0.9999
    """
    simplified = shapely.simplify(geometry, 0.75 * cell_m, preserve_topology=True)
    out = np.empty(len(geometry), dtype=object)
    for i, shape in enumerate(simplified):
        out[i] = _smooth_polygonal(shape, cell_m / 2)
    return out


def _smooth_polygonal(shape: Any, reach: float) -> Any:
    if shape is None or shape.geom_type not in ("Polygon", "MultiPolygon"):
        return shape
    parts = shape.geoms if shape.geom_type == "MultiPolygon" else [shape]
    smoothed = [
        shapely.Polygon(
            _chaikin(part.exterior.coords, reach),
            [_chaikin(h.coords, reach) for h in part.interiors],
        )
        for part in parts
    ]
    result = smoothed[0] if len(smoothed) == 1 else shapely.MultiPolygon(smoothed)
    if result.is_valid:
        return result
    repaired = shapely.get_parts(shapely.make_valid(result))
    areas = [p for p in repaired if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(areas) if areas else shape


def _chaikin(ring: Any, reach: float, iterations: int = 2) -> np.ndarray:
    """Cut the corners of a closed ring ``iterations`` times, each cut within ``reach``."""
    points = np.asarray(ring, dtype=float)[:-1, :2]
    for _ in range(iterations):
        following = np.roll(points, -1, axis=0)
        length = np.hypot(*(following - points).T)
        t = np.minimum(0.25, reach / np.maximum(length, 1e-12))[:, None]
        cut = np.empty((2 * len(points), 2))
        cut[0::2] = points + t * (following - points)
        cut[1::2] = following - t * (following - points)
        points = cut
    return np.vstack([points, points[:1]])


class MapTitle(MacroElement):
    """A title and subtitle at the top of a map (escaped here)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: "topleft"});
        {{ this.get_name() }}.onAdd = function () {
            var div = L.DomUtil.create("div", "geoplan-title");
            div.innerHTML = {{ this.html|tojson }};
            L.DomEvent.disableClickPropagation(div);
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}"""
    )

    def __init__(self, title: str, subtitle: str = "") -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "GeoplanTitle"
        sub = f'<div class="subtitle">{html.escape(subtitle)}</div>' if subtitle else ""
        self.html = f'<div class="title">{html.escape(title)}</div>{sub}'


class BoundLegend(MacroElement):
    """A legend control shown while its layer is on the map, hidden while it is off.

    Parameters
    ----------
    html_text
        The legend's HTML (escaped by the caller).
    layer
        The layer it belongs to (a folium FeatureGroup), or ``None`` for a
        legend that always shows.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
        {{ this.get_name() }}.onAdd = function () {
            var div = L.DomUtil.create("div", "geoplan-legend");
            div.innerHTML = {{ this.html|tojson }};
            return div;
        };
        {% if this.layer_name %}
        (function (map, legend, layer) {
            if (map.hasLayer(layer)) { legend.addTo(map); }
            map.on("overlayadd", function (e) { if (e.layer === layer) { legend.addTo(map); } });
            map.on("overlayremove", function (e) { if (e.layer === layer) { legend.remove(); } });
        })({{ this._parent.get_name() }}, {{ this.get_name() }}, {{ this.layer_name }});
        {% else %}
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endif %}
        {% endmacro %}"""
    )

    def __init__(self, html_text: str, layer: Any = None, position: str = "bottomright") -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self._name = "GeoplanLegend"
        self.html = html_text
        self.position = position
        self.layer = layer

    @property
    def layer_name(self) -> str:
        """The JavaScript name of the layer (empty for a legend that always shows)."""
        return "" if self.layer is None else str(self.layer.get_name())


def legend_html(title: str, rows: Sequence[tuple[str, str]], *, kind: str = "box") -> str:
    """Return a legend's HTML: an escaped title and (colour or symbol HTML, escaped label) rows.

    ``kind`` is ``"box"`` (a filled square), ``"line"`` (an outline sample;
    the colour may carry a dash pattern as ``"#colour|dashes"``) or
    ``"symbol"`` (the first item is ready-made symbol HTML).
    """
    items = []
    for swatch, text in rows:
        if kind == "symbol":
            mark = f'<span class="mark">{swatch}</span>'
        elif kind == "line":
            colour, _, dash = swatch.partition("|")
            mark = (
                f'<svg class="mark" width="26" height="12"><line x1="1" y1="6" x2="25" y2="6" '
                f'stroke="{colour}" stroke-width="2.5" stroke-dasharray="{dash}"/></svg>'
            )
        else:
            border = "dashed #888" if swatch == NO_DATA_COLOUR else "solid #666"
            mark = f'<i style="background:{swatch};border:1px {border}"></i>'
        items.append(f'<div class="row">{mark}{html.escape(text)}</div>')
    return f'<div class="title">{html.escape(title)}</div>{"".join(items)}'


#: Styles every geoplan map carries (titles, legends, symbols, popups set for Chinese text).
MAP_CSS = """<style>
.geoplan-title {background: rgba(255,255,255,0.94); padding: 6px 10px; border-radius: 4px;
  box-shadow: 0 0 6px rgba(0,0,0,0.3); max-width: 46vw;
  font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
  sans-serif;}
.geoplan-title .title {font-size: 16px; font-weight: bold; line-height: 1.35;}
.geoplan-title .subtitle {font-size: 12px; color: #444; line-height: 1.4;}
.geoplan-legend {background: rgba(255,255,255,0.94); padding: 6px 9px; border-radius: 4px;
  font: 12px/1.5 "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif;
  box-shadow: 0 0 6px rgba(0,0,0,0.3); max-width: 280px;}
.geoplan-legend .title {font-weight: bold; margin-bottom: 3px;}
.geoplan-legend i {width: 14px; height: 12px; float: left; margin: 3px 6px 0 0;}
.geoplan-legend .mark {float: left; margin: 0 6px 0 0; line-height: 0;}
.geoplan-legend .row {clear: both; min-height: 18px;}
.geoplan-symbol {display: block; filter: drop-shadow(0 0 1.5px rgba(0,0,0,0.6));}
.geoplan-popup {font: 13px/1.6 "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC",
  sans-serif; border-collapse: collapse;}
.geoplan-popup td {padding: 1px 8px 1px 0; vertical-align: top; white-space: nowrap;}
.leaflet-tooltip {font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif;}
</style>"""
