"""QGIS styles inside layers.gpkg: every layer opens styled as on the HTML maps.

QGIS keeps the styles of a GeoPackage's layers in the package itself, in a table
``layer_styles`` it creates (through GDAL) on "Save style → In database" and reads when
a layer is added: the style marked ``useAsDefault`` of the row whose ``f_table_name``
and ``f_geometry_column`` are the layer's is applied (QGIS source,
``src/core/providers/ogr/qgsogrprovidermetadata.cpp``: ``saveStyle``, ``loadStyle``).
:func:`write_layer_styles` writes that table with the standard library's :mod:`sqlite3`
after the layers are written, as QGIS would:

* the columns ``id`` (INTEGER PRIMARY KEY AUTOINCREMENT), ``f_table_catalog``,
  ``f_table_schema``, ``f_table_name``, ``f_geometry_column`` (TEXT(256)),
  ``styleName`` (TEXT(30)), ``styleQML``, ``styleSLD`` (TEXT), ``useAsDefault``
  (BOOLEAN), ``description`` (TEXT), ``owner``, ``ui`` (TEXT(30)) and ``update_time``
  (DATETIME, default now), catalog and schema ``''``, owner ``''``, ``ui`` NULL;
* registered in ``gpkg_contents`` as an ``attributes`` table, with its row in
  GDAL's ``gpkg_ogr_contents`` and GDAL's two feature-count triggers, so GDAL (and so
  QGIS, pyogrio and geopandas) sees it as GDAL had made it.

The styles (:func:`layer_styles`) are QGIS 3 QML, minimal but complete: a
``renderer-v2`` of type ``graduatedSymbol`` (communities by covered share, one style
per measured type, the first the default), ``categorizedSymbol`` (facilities and
service areas by ``facility_type``) or ``singleSymbol`` (the rest), with simple
marker, line and fill symbol layers whose properties are written both as QGIS 3.18+
``<Option type="Map">`` and as the ``<prop k v>`` older QGIS 3 reads.

Covered shares use the maps' class breaks (:data:`geoplan.outputs.maps.SHARE_BINS`)
with ColorBrewer's colour-blind-safe RdYlBu ramp; a community without people (no
share) is drawn grey. QGIS puts a value in the first range, in the style's order,
whose bounds hold it (both ends included); the ranges are listed from the highest
down, so a share on a break (exactly 20 %) falls in the class above, as on the maps.

Examples
--------
>>> import geopandas as gpd, shapely
>>> communities = gpd.GeoDataFrame(
...     {"share_clinic": [0.25]}, geometry=[shapely.box(0, 0, 1, 1)], crs=32651
... )
>>> [(s.layer, s.name, s.default) for s in layer_styles({"communities": communities})]
[('communities', 'share_clinic', True)]
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import sqlite3
import time
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from geoplan._errors import OutputError
from geoplan._i18n import facility_type_label, label, resolve_lang
from geoplan.outputs.maps import SHARE_BINS

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "NO_DATA_COLOUR",
    "SHARE_COLOURS",
    "STYLE_TIME",
    "LayerStyle",
    "Symbol",
    "categorized_qml",
    "graduated_qml",
    "layer_styles",
    "single_symbol_qml",
    "style_geopackage",
    "write_layer_styles",
]

log = logging.getLogger(__name__)

#: ColorBrewer 2.0 RdYlBu, 5 classes (marked colour-blind safe), lowest share first.
SHARE_COLOURS = ("#d7191c", "#fdae61", "#ffffbf", "#abd9e9", "#2c7bb6")
NO_DATA_COLOUR = "#bdbdbd"
#: What a missing share counts as in the style (``coalesce(share, -1)``): the grey class.
NO_DATA_VALUE = -1.0
#: Colours of the facility types, in the order of their sorted ids (as on the maps).
TYPE_COLOURS = (
    "#1f78b4",
    "#e31a1c",
    "#33a02c",
    "#ff7f00",
    "#6a3d9a",
    "#b15928",
    "#a6cee3",
    "#fb9a99",
    "#b2df8a",
    "#fdbf6f",
    "#cab2d6",
    "#8dd3c7",
)
_PROPOSED = "#d7191c"
_NEW_AREA = "#7b3294"
_GAP = "#542788"
_OUTLINE = "#555555"
#: The QGIS version whose QML this is (both property forms, so any QGIS 3 reads it).
QGIS_VERSION = "3.22.0"
#: Every style's update_time (seconds since the epoch): fixed, so that two runs write the same
#: GeoPackage. QGIS uses it only to order the styles that are not the default.
STYLE_TIME = 0.0
#: QGIS declares styleName 30 characters wide.
_STYLE_NAME_MAX = 30
_TABLE = "layer_styles"
_CREATE = f"""CREATE TABLE "{_TABLE}" (
 "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
 "f_table_catalog" TEXT(256),
 "f_table_schema" TEXT(256),
 "f_table_name" TEXT(256),
 "f_geometry_column" TEXT(256),
 "styleName" TEXT(30),
 "styleQML" TEXT,
 "styleSLD" TEXT,
 "useAsDefault" BOOLEAN,
 "description" TEXT,
 "owner" TEXT(30),
 "ui" TEXT(30),
 "update_time" DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))"""
#: GDAL keeps gpkg_ogr_contents.feature_count right with these (as for every table it makes).
_COUNT_TRIGGERS = (
    'CREATE TRIGGER "trigger_insert_feature_count_layer_styles" AFTER INSERT ON "layer_styles" '
    "BEGIN UPDATE gpkg_ogr_contents SET feature_count = feature_count + 1 "
    "WHERE lower(table_name) = lower('layer_styles'); END",
    'CREATE TRIGGER "trigger_delete_feature_count_layer_styles" AFTER DELETE ON "layer_styles" '
    "BEGIN UPDATE gpkg_ogr_contents SET feature_count = feature_count - 1 "
    "WHERE lower(table_name) = lower('layer_styles'); END",
)
_COLUMNS = (
    "f_table_catalog",
    "f_table_schema",
    "f_table_name",
    "f_geometry_column",
    "styleName",
    "styleQML",
    "styleSLD",
    "useAsDefault",
    "description",
    "owner",
    "ui",
    "update_time",
)

Kind = Literal["marker", "line", "fill"]


# ----------------------------------------------------------------------------- QML


@dataclass(frozen=True)
class Symbol:
    """A one-layer QGIS symbol: a simple marker, line or fill.

    Attributes
    ----------
    kind
        ``"marker"`` (points), ``"line"`` or ``"fill"`` (polygons).
    colour
        ``#rrggbb``: the marker's or fill's colour, or the line's.
    opacity
        Of the fill or marker colour, 0 to 1.
    outline
        ``#rrggbb`` of the marker's or fill's outline; None for none.
    width_mm
        The line's width, or the outline's.
    size_mm
        The marker's diameter.
    shape
        The marker's shape (``circle``, ``square``, ``star``, ...).
    filled
        False draws a fill symbol as its outline only (in ``colour``).
    """

    kind: Kind
    colour: str
    opacity: float = 1.0
    outline: str | None = _OUTLINE
    width_mm: float = 0.26
    size_mm: float = 2.0
    shape: str = "circle"
    filled: bool = True

    def properties(self) -> dict[str, str]:
        """Return the symbol layer's properties, as QGIS names them."""
        if self.kind == "line":
            return {
                "line_color": _rgba(self.colour),
                "line_style": "solid",
                "line_width": _number(self.width_mm),
                "line_width_unit": "MM",
                "capstyle": "round",
                "joinstyle": "round",
            }
        outline = {
            "outline_color": _rgba(self.outline or "#000000", 1.0 if self.outline else 0.0),
            "outline_style": "solid" if self.outline else "no",
            "outline_width": _number(self.width_mm),
            "outline_width_unit": "MM",
        }
        if self.kind == "marker":
            return {
                "name": self.shape,
                "color": _rgba(self.colour, self.opacity),
                **outline,
                "size": _number(self.size_mm),
                "size_unit": "MM",
                "angle": "0",
                "scale_method": "diameter",
            }
        if not self.filled:
            outline = {**outline, "outline_color": _rgba(self.colour), "outline_style": "solid"}
        return {
            "color": _rgba(self.colour, self.opacity),
            "style": "solid" if self.filled else "no",
            **outline,
            "joinstyle": "bevel",
        }


def _rgba(colour: str, opacity: float = 1.0) -> str:
    """Return ``#rrggbb`` as QGIS's ``r,g,b,a`` (0-255 each)."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"{red},{green},{blue},{round(opacity * 255)}"


def _number(value: float) -> str:
    return f"{value:g}"


def _symbol_element(symbol: Symbol, name: str) -> ET.Element:
    element = ET.Element(
        "symbol",
        {"type": symbol.kind, "name": name, "alpha": "1", "clip_to_extent": "1", "force_rhr": "0"},
    )
    layer_class = {"marker": "SimpleMarker", "line": "SimpleLine", "fill": "SimpleFill"}
    layer = ET.SubElement(
        element,
        "layer",
        {"class": layer_class[symbol.kind], "enabled": "1", "locked": "0", "pass": "0"},
    )
    properties = symbol.properties()
    options = ET.SubElement(layer, "Option", type="Map")
    for key, value in properties.items():
        ET.SubElement(options, "Option", type="QString", name=key, value=value)
    for key, value in properties.items():
        ET.SubElement(layer, "prop", k=key, v=value)
    return element


def _document(renderer: ET.Element) -> str:
    """Return a QML document holding ``renderer`` (its symbology only)."""
    root = ET.Element("qgis", version=QGIS_VERSION, styleCategories="Symbology")
    root.append(renderer)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return f"<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n{body}\n"


def _renderer(kind: str, **attributes: str) -> ET.Element:
    return ET.Element(
        "renderer-v2",
        {
            "type": kind,
            **attributes,
            "symbollevels": "0",
            "forceraster": "0",
            "enableorderby": "0",
        },
    )


def single_symbol_qml(symbol: Symbol) -> str:
    """Return the QML of a single-symbol style.

    Parameters
    ----------
    symbol
        The symbol every feature is drawn with.

    Returns
    -------
    str
        A QGIS 3 QML document (``renderer-v2`` of type ``singleSymbol``).
    """
    renderer = _renderer("singleSymbol")
    symbols = ET.SubElement(renderer, "symbols")
    symbols.append(_symbol_element(symbol, "0"))
    return _document(renderer)


def categorized_qml(attribute: str, categories: Sequence[tuple[str, str, Symbol]]) -> str:
    """Return the QML of a style with one symbol per value of ``attribute``.

    Parameters
    ----------
    attribute
        The field categorised.
    categories
        ``(value, label, symbol)`` for each category, in the legend's order.

    Returns
    -------
    str
        A QGIS 3 QML document (``renderer-v2`` of type ``categorizedSymbol``).
    """
    renderer = _renderer("categorizedSymbol", attr=attribute)
    listed = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for index, (value, text, symbol) in enumerate(categories):
        ET.SubElement(listed, "category", value=value, label=text, symbol=str(index), render="true")
        symbols.append(_symbol_element(symbol, str(index)))
    return _document(renderer)


def graduated_qml(attribute: str, ranges: Sequence[tuple[float, float, str, Symbol]]) -> str:
    """Return the QML of a style with one symbol per range of ``attribute``.

    Parameters
    ----------
    attribute
        The field or QGIS expression classified.
    ranges
        ``(lower, upper, label, symbol)`` for each class, in the legend's order; QGIS
        puts a value in the first range holding it (both bounds included).

    Returns
    -------
    str
        A QGIS 3 QML document (``renderer-v2`` of type ``graduatedSymbol``, custom
        classes: QGIS keeps the breaks as they are).
    """
    renderer = _renderer("graduatedSymbol", attr=attribute, graduatedMethod="GraduatedColor")
    listed = ET.SubElement(renderer, "ranges")
    symbols = ET.SubElement(renderer, "symbols")
    for index, (lower, upper, text, symbol) in enumerate(ranges):
        ET.SubElement(
            listed,
            "range",
            lower=repr(float(lower)),
            upper=repr(float(upper)),
            label=text,
            symbol=str(index),
            render="true",
        )
        symbols.append(_symbol_element(symbol, str(index)))
    ET.SubElement(renderer, "classificationMethod", id="Custom")
    return _document(renderer)


# -------------------------------------------------------------------- the layers' styles


@dataclass(frozen=True)
class LayerStyle:
    """One row of ``layer_styles``: a layer's style.

    Attributes
    ----------
    layer
        The layer (``f_table_name``).
    name
        ``styleName`` (at most 30 characters, unique for the layer).
    qml
        ``styleQML``.
    default
        ``useAsDefault``: QGIS applies this one when the layer is added.
    description
        ``description``: what the style shows.
    """

    layer: str
    name: str
    qml: str
    default: bool
    description: str


def layer_styles(
    layers: Mapping[str, gpd.GeoDataFrame], *, lang: str | None = None
) -> list[LayerStyle]:
    """Return the styles of a run's layers, as on its HTML maps.

    ``communities``: graduated by ``share_<type>`` (one style per type, the first the
    default); ``facilities``: categorised by ``facility_type``; ``service_areas``:
    outlines by ``facility_type``; ``facilities_<type>``, ``capacity_<type>``: the
    type's colour; ``proposed_<type>``: red stars; ``newly_covered_<type>``,
    ``coverage_gaps``: translucent fills; ``life_circle_areas``, ``indicators``:
    outlines; ``network``: grey lines; ``population``, ``population_coverage``: plain
    small points. Layers without features, or of other names, get none.

    Parameters
    ----------
    layers
        Layer name to the frame written (as :func:`geoplan.outputs.run.write_run` builds them).
    lang
        The language of legends and descriptions (default: settings).

    Returns
    -------
    list of LayerStyle
        In the order of ``layers``; exactly one default per styled layer.
    """
    colours = _type_colours(layers)
    styles: list[LayerStyle] = []
    for name, frame in layers.items():
        kind = _kind(frame)
        if kind is None:
            continue
        if name == "communities":
            styles += _community_styles(frame, kind, lang)
            continue
        qml = _style_of(name, frame, kind, colours, lang)
        if qml is not None:
            styles.append(LayerStyle(name, "geoplan", qml, True, _description(name, lang)))
    return styles


def _kind(frame: gpd.GeoDataFrame) -> Kind | None:
    """Return the symbol kind of a layer's geometry (from its first geometry), or None."""
    if len(frame) == 0 or frame.geometry.name not in frame.columns:
        return None
    types = frame.geometry.geom_type.dropna()
    if len(types) == 0:
        return None
    first = str(types.iloc[0])
    if "Point" in first:
        return "marker"
    if "LineString" in first:
        return "line"
    return "fill" if "Polygon" in first else None


def _type_colours(layers: Mapping[str, gpd.GeoDataFrame]) -> dict[str, str]:
    """Each facility type's colour: the maps' palette in the order of the sorted type ids."""
    types: set[str] = set()
    facilities = layers.get("facilities")
    if facilities is not None and "facility_type" in facilities.columns:
        types |= {str(t) for t in facilities["facility_type"].dropna()}
    types |= {n.removeprefix("facilities_") for n in layers if n.startswith("facilities_")}
    ordered = sorted(types)
    return {t: TYPE_COLOURS[i % len(TYPE_COLOURS)] for i, t in enumerate(ordered)}


def _style_of(
    name: str,
    frame: gpd.GeoDataFrame,
    kind: Kind,
    colours: Mapping[str, str],
    lang: str | None,
) -> str | None:
    """Return the QML of a layer other than the communities, or None when it has none."""
    if name == "facilities":
        return _categorized(frame, Symbol(kind, "", size_mm=2.6, outline="#ffffff"), colours, lang)
    if name == "service_areas":
        return _categorized(frame, _outlined(kind, ""), colours, lang)
    fixed: dict[str, Symbol] = {
        "network": Symbol(kind, "#7f7f7f", width_mm=0.2, size_mm=1.0),
        "population": Symbol(kind, "#636363", size_mm=1.0, outline=None),
        "population_coverage": Symbol(kind, "#636363", size_mm=1.0, outline=None),
        "coverage_gaps": Symbol(kind, _GAP, opacity=0.45, outline=None),
        "life_circle_areas": _outlined(kind, "#3182bd"),
        "indicators": _outlined(kind, "#4d4d4d"),
    }
    if name in fixed:
        return single_symbol_qml(fixed[name])
    return _style_by_prefix(name, kind, colours)


def _style_by_prefix(name: str, kind: Kind, colours: Mapping[str, str]) -> str | None:
    """Return the QML of a layer of one facility type (``<what>_<type>``), or None."""
    for prefix, shape in (("facilities_", "circle"), ("capacity_", "square")):
        if name.startswith(prefix):
            colour = colours.get(name.removeprefix(prefix), TYPE_COLOURS[0])
            return single_symbol_qml(
                Symbol(kind, colour, size_mm=2.6, outline="#ffffff", shape=shape)
            )
    if name.startswith("proposed_"):
        star = Symbol(kind, _PROPOSED, size_mm=5.0, shape="star", outline="#000000", width_mm=0.2)
        return single_symbol_qml(star)
    if name.startswith("newly_covered_"):
        return single_symbol_qml(Symbol(kind, _NEW_AREA, opacity=0.35, outline=None))
    return None


def _outlined(kind: Kind, colour: str) -> Symbol:
    """Return a symbol drawing an area as its outline only (points and lines: plainly)."""
    return Symbol(kind, colour, filled=False, width_mm=0.4, outline=None)


def _categorized(
    frame: gpd.GeoDataFrame, template: Symbol, colours: Mapping[str, str], lang: str | None
) -> str | None:
    """Categories by ``facility_type``: ``template`` in each type's colour."""
    if "facility_type" not in frame.columns:
        return None
    values = sorted({str(v) for v in frame["facility_type"].dropna()})
    categories = [
        (
            value,
            facility_type_label(value, lang),
            replace(template, colour=colours.get(value, TYPE_COLOURS[0])),
        )
        for value in values
    ]
    return categorized_qml("facility_type", categories)


def _community_styles(frame: gpd.GeoDataFrame, kind: Kind, lang: str | None) -> list[LayerStyle]:
    """Graduated styles by each ``share_<type>`` column, or one outline style without any."""
    columns = [str(c) for c in frame.columns if str(c).startswith("share_")]
    if not columns:
        qml = single_symbol_qml(_outlined(kind, _OUTLINE))
        return [LayerStyle("communities", "geoplan", qml, True, _description("communities", lang))]
    styles: list[LayerStyle] = []
    taken: set[str] = set()
    for position, column in enumerate(columns):
        type_name = facility_type_label(column.removeprefix("share_"), lang)
        description = f"{label('covered_share', lang)}{_colon(lang)}{type_name} (geoplan)"
        qml = graduated_qml(_coalesced(column), _share_ranges(kind, lang))
        name = _style_name(column, taken)
        styles.append(LayerStyle("communities", name, qml, position == 0, description))
    return styles


def _coalesced(column: str) -> str:
    """Return a QGIS expression: the field, or NO_DATA_VALUE where it is NULL."""
    quoted = '"' + column.replace('"', '""') + '"'
    return f"coalesce({quoted}, {NO_DATA_VALUE:g})"


def _share_ranges(kind: Kind, lang: str | None) -> list[tuple[float, float, str, Symbol]]:
    """Return the share classes, highest first (a share on a break takes the class above)."""
    bounds = list(itertools.pairwise(SHARE_BINS))
    ranges = [
        (low, high, f"{low * 100:.0f}% – {high * 100:.0f}%", _share_symbol(kind, colour))
        for (low, high), colour in zip(bounds, SHARE_COLOURS, strict=True)
    ]
    no_data = _share_symbol(kind, NO_DATA_COLOUR)
    return [*reversed(ranges), (NO_DATA_VALUE, NO_DATA_VALUE, label("no_data", lang), no_data)]


def _share_symbol(kind: Kind, colour: str) -> Symbol:
    return Symbol(kind, colour, opacity=0.8, outline=_OUTLINE, width_mm=0.2)


def _colon(lang: str | None) -> str:
    return "：" if resolve_lang(lang) == "zh" else ": "


def _style_name(text: str, taken: set[str]) -> str:
    """``text`` cut to QGIS's 30 characters, unique among ``taken`` (which it joins)."""
    name = text[:_STYLE_NAME_MAX]
    number = 2
    while name in taken:
        suffix = f"~{number}"
        name = text[: _STYLE_NAME_MAX - len(suffix)] + suffix
        number += 1
    taken.add(name)
    return name


_DESCRIPTIONS: dict[str, tuple[str, str]] = {
    "communities": ("社区边界", "community boundaries"),
    "facilities": ("设施（按类型）", "facilities by type"),
    "service_areas": ("服务范围（按类型）", "service areas by type"),
    "network": ("路网", "network"),
    "population": ("人口点", "population points"),
    "population_coverage": ("人口点（覆盖）", "population points (coverage)"),
    "coverage_gaps": ("未覆盖区域", "coverage gaps"),
    "life_circle_areas": ("生活圈范围", "life-circle areas"),
    "indicators": ("社区台账", "community register"),
}


#: Layers of one facility type, ``<prefix><type>``, and the label of what they hold.
_PREFIXES = (
    ("facilities_", "facilities"),
    ("capacity_", "capacity"),
    ("proposed_", "proposed"),
    ("newly_covered_", "newly_covered_area"),
)


def _description(name: str, lang: str | None) -> str:
    """Return what a layer's style shows, in ``lang``."""
    known = _DESCRIPTIONS.get(name)
    if known is None:
        for prefix, key in _PREFIXES:
            if name.startswith(prefix):
                type_name = facility_type_label(name.removeprefix(prefix), lang)
                return f"{label(key, lang)}{_colon(lang)}{type_name} (geoplan)"
        return f"{name} (geoplan)"
    zh, en = known
    return f"{zh if resolve_lang(lang) == 'zh' else en} (geoplan)"


# --------------------------------------------------------------------------- writing


def write_layer_styles(
    path: str | os.PathLike[str],
    styles: Sequence[LayerStyle],
    *,
    update_time: float = STYLE_TIME,
) -> int:
    """Write ``styles`` into the GeoPackage's ``layer_styles`` table, as QGIS does.

    Parameters
    ----------
    path
        A GeoPackage whose layers are written (GDAL's: with ``gpkg_contents``,
        ``gpkg_geometry_columns`` and ``gpkg_ogr_contents``).
    styles
        From :func:`layer_styles`; styles of layers the package lacks are left out.
    update_time
        The ``update_time`` of every row, in seconds since the epoch; fixed by default
        (:data:`STYLE_TIME`), so that two runs write the same rows.

    Returns
    -------
    int
        The number of styles written.

    Raises
    ------
    OutputError
        The file is not a GeoPackage geoplan can add styles to.
    """
    stamp = _timestamp(update_time)
    try:
        with contextlib.closing(sqlite3.connect(path)) as connection, connection:
            geometry = _geometry_columns(connection)
            rows = [
                _row(style, geometry[style.layer], stamp)
                for style in styles
                if style.layer in geometry
            ]
            _create_table(connection, stamp)
            placeholders = ", ".join("?" * len(_COLUMNS))
            names = ", ".join(f'"{c}"' for c in _COLUMNS)
            connection.executemany(
                f'INSERT INTO "{_TABLE}" ({names}) VALUES ({placeholders})',  # noqa: S608
                rows,
            )
    except sqlite3.Error as exc:
        msg = (
            f"cannot add the QGIS styles to {path}: {exc}. It must be a GeoPackage written "
            "by GDAL without a layer_styles table; write the layers again."
        )
        raise OutputError(msg) from exc
    log.info("wrote %d QGIS styles into %s", len(rows), path)
    return len(rows)


def _timestamp(seconds: float) -> str:
    """Return a GeoPackage DATETIME: ISO 8601 UTC, ``YYYY-MM-DDTHH:MM:SS.SSSZ``."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(int(seconds)))


def _geometry_columns(connection: sqlite3.Connection) -> dict[str, str]:
    """Layer name to its geometry column (``gpkg_geometry_columns``)."""
    cursor = connection.execute("SELECT table_name, column_name FROM gpkg_geometry_columns")
    return {str(table): str(column) for table, column in cursor.fetchall()}


def _row(style: LayerStyle, geometry_column: str, stamp: str) -> tuple[object, ...]:
    values: dict[str, object] = {
        "f_table_catalog": "",
        "f_table_schema": "",
        "f_table_name": style.layer,
        "f_geometry_column": geometry_column,
        "styleName": style.name,
        "styleQML": style.qml,
        "styleSLD": "",
        "useAsDefault": 1 if style.default else 0,
        "description": style.description,
        "owner": "",
        "ui": None,
        "update_time": stamp,
    }
    return tuple(values[c] for c in _COLUMNS)


def _create_table(connection: sqlite3.Connection, stamp: str) -> None:
    """Create layer_styles and register it as GDAL registers an attributes table."""
    connection.execute(_CREATE)
    connection.execute(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, "
        "last_change, srs_id) VALUES (?, 'attributes', ?, '', ?, 0)",
        (_TABLE, _TABLE, stamp),
    )
    found = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'gpkg_ogr_contents'"
    ).fetchone()
    if found:
        connection.execute(
            "INSERT INTO gpkg_ogr_contents (table_name, feature_count) VALUES (?, 0)", (_TABLE,)
        )
        for trigger in _COUNT_TRIGGERS:
            connection.execute(trigger)


def style_geopackage(
    path: str | os.PathLike[str],
    layers: Mapping[str, gpd.GeoDataFrame],
    *,
    update_time: float = STYLE_TIME,
    lang: str | None = None,
) -> Path:
    """Style the layers of a GeoPackage for QGIS (:func:`layer_styles`, then write them).

    Parameters
    ----------
    path
        The GeoPackage the layers were written to.
    layers
        Layer name to the frame written.
    update_time
        Seconds since the epoch recorded as every style's ``update_time`` (fixed by
        default: :data:`STYLE_TIME`).
    lang
        The language of legends and descriptions (default: settings).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    write_layer_styles(path, layer_styles(layers, lang=lang), update_time=update_time)
    return Path(path)
