"""Proposed sites a bureau can find: coordinates, street, communities; xlsx, GeoJSON, KML.

Every site of every ``[[sites]]`` request (:class:`geoplan.siting.SiteProposal`, in the
network's projected CRS) is located (:func:`locate_sites`):

* its longitude and latitude in WGS-84 (GPS, OpenStreetMap, Google Earth), GCJ-02
  (Amap/Gaode, Tencent, most government portals) and BD-09 (Baidu), rounded to 6
  decimals (about 0.1 m; RFC 7946 section 11.2) with :mod:`geoplan.coords`;
* the nearest street's name, when the network carries names
  (``network.edge_attrs["name"]``, one row per edge): the name of the edge the site
  snaps to, else of the nearest named edge within :data:`NAMED_STREET_WITHIN_M`,
  else ``""``;
* the communities it serves, by name: the communities it reaches whose coverage the
  proposal raises (``communities_served`` of the proposal, kept where ``after`` covers
  more people than ``before``);
* the people it newly covers (``newly_covered``, as the proposal counts them).

:func:`write_sites` writes ``sites/sites_<type>.xlsx`` (Chinese headers in ``zh``),
``sites/sites_<type>.geojson`` (RFC 7946: WGS-84 lon/lat, no ``crs`` member) and
``sites/sites_<type>.kml`` (KML 2.2: ``lon,lat`` in WGS-84) into a run folder. Every text
is spreadsheet-safe (:func:`geoplan.outputs.tables.spreadsheet_safe`); KML text is also
HTML-escaped, because Google Earth renders a placemark's text as HTML, and XML-escaped.

Examples
--------
>>> import geoplan
>>> city = geoplan.datasets.synthetic_city(area_km2=1.0, seed=1)
>>> net = city.network()
>>> options = geoplan.siting.candidates(net, spacing_m=200)
>>> proposal = geoplan.propose_sites(net, options, city.demand(), minutes=5, p=2)
>>> located = locate_sites(proposal, net)
>>> located[["lon_wgs84", "lat_wgs84", "lon_gcj02", "lat_gcj02"]].shape
(2, 4)
"""

from __future__ import annotations

import html
import json
import logging
import math
import re
import warnings
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from geoplan._errors import UnreachablePointsWarning
from geoplan._i18n import facility_type_label, label, resolve_lang
from geoplan._io import atomic_path, safe_name
from geoplan.coords import wgs84_to_bd09, wgs84_to_gcj02
from geoplan.outputs.tables import spreadsheet_safe, write_workbook

if TYPE_CHECKING:
    import geopandas as gpd

    from geoplan.network import Network
    from geoplan.siting import SiteProposal
    from geoplan.study import StudyResult

__all__ = [
    "COLUMNS",
    "NAMED_STREET_WITHIN_M",
    "locate_sites",
    "nearest_streets",
    "site_sheet",
    "write_site_geojson",
    "write_site_kml",
    "write_sites",
]

log = logging.getLogger(__name__)

#: A site whose own edge has no name takes the name of the nearest named edge this close
#: (metres): about one short block. A geoplan default, not from a standard.
NAMED_STREET_WITHIN_M = 100.0
#: Decimals of every longitude and latitude (1e-6 degrees is about 0.1 m).
DECIMALS = 6
#: The columns :func:`locate_sites` adds, and the headers of the exported sheet, by language.
COLUMNS: dict[str, tuple[str, str]] = {
    "rank": ("序号", "rank"),
    "lon_wgs84": ("经度(WGS-84)", "longitude (WGS-84)"),
    "lat_wgs84": ("纬度(WGS-84)", "latitude (WGS-84)"),
    "lon_gcj02": ("经度(GCJ-02/高德)", "longitude (GCJ-02, Amap)"),
    "lat_gcj02": ("纬度(GCJ-02/高德)", "latitude (GCJ-02, Amap)"),
    "lon_bd09": ("经度(BD-09/百度)", "longitude (BD-09, Baidu)"),
    "lat_bd09": ("纬度(BD-09/百度)", "latitude (BD-09, Baidu)"),
    "street": ("最近道路", "nearest street"),
    "community_names": ("服务社区", "communities served"),
    "newly_covered": ("新增覆盖人口", "people newly covered"),
    "communities_served": ("服务社区代码", "community ids"),
    "candidate": ("候选点编号", "candidate"),
    "facility_type": ("设施类型", "facility type"),
}
_ADDED = ("lon_wgs84", "lat_wgs84", "lon_gcj02", "lat_gcj02", "lon_bd09", "lat_bd09")
#: KML 2.2 (OGC 07-147r2): its namespace; colours are aabbggrr (#d7191c, the maps' red).
KML_NAMESPACE = "http://www.opengis.net/kml/2.2"
_KML_RED = "ff1c19d7"
#: Characters XML 1.0 does not allow (section 2.2): C0 controls but tab, LF, CR; U+FFFE/F.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


# ------------------------------------------------------------------------- locating


def locate_sites(
    proposal: SiteProposal,
    network: Network,
    communities: gpd.GeoDataFrame | None = None,
    *,
    lang: str | None = None,
) -> gpd.GeoDataFrame:
    """Return the proposal's sites with what a bureau needs to find them.

    Parameters
    ----------
    proposal
        From :func:`geoplan.propose_sites`; its sites are in ``network``'s CRS.
    network
        The travel network (its ``edge_attrs["name"]``, when present, names the streets).
    communities
        The communities, indexed by id, with ``name`` where known.
    lang
        The language of the list separator of ``community_names`` (default: settings).

    Returns
    -------
    geopandas.GeoDataFrame
        ``proposal.sites`` (every column kept) with ``lon_wgs84``, ``lat_wgs84``,
        ``lon_gcj02``, ``lat_gcj02``, ``lon_bd09``, ``lat_bd09`` (6 decimals),
        ``street`` (``""`` when the network has no names) and ``community_names``.
    """
    sites = proposal.sites
    out = sites.copy()
    lonlat = _lonlat(sites)
    for column, values in zip(_ADDED, lonlat, strict=True):
        out[column] = np.round(values, DECIMALS)
    out["street"] = nearest_streets(network, sites)
    out["community_names"] = _served_names(proposal, communities, resolve_lang(lang))
    return out


def _lonlat(sites: gpd.GeoDataFrame) -> tuple[np.ndarray, ...]:
    """Return lon/lat of the sites in WGS-84, GCJ-02 and BD-09 (six arrays)."""
    points = sites.geometry.to_crs(4326)
    lon = np.asarray(points.x, dtype=float)
    lat = np.asarray(points.y, dtype=float)
    gcj_lon, gcj_lat = wgs84_to_gcj02(lon, lat)
    bd_lon, bd_lat = wgs84_to_bd09(lon, lat)
    return lon, lat, gcj_lon, gcj_lat, bd_lon, bd_lat


def nearest_streets(network: Network, points: gpd.GeoDataFrame | gpd.GeoSeries) -> list[str]:
    """Return the name of the street nearest each point (``""`` where none is known).

    The point's own edge (:meth:`geoplan.network.Network.snap`) names it; when that
    edge has no name, the nearest named edge within :data:`NAMED_STREET_WITHIN_M`
    does (the lowest edge position among equally near ones).

    Parameters
    ----------
    network
        The network; names come from ``network.edge_attrs["name"]`` (one row per
        edge, in edge order), when the network has them.
    points
        Points in the network's CRS.

    Returns
    -------
    list of str
        One name per point, ``""`` when the network has no names or none is near.
    """
    names = _edge_names(network)
    if names is None or len(points) == 0:
        return [""] * len(points)
    with warnings.catch_warnings():
        # a site beyond the snap limit simply has no street; the analyses warned already
        warnings.simplefilter("ignore", UnreachablePointsWarning)
        snapped = network.snap(points)
    found = [names[e] if e >= 0 else "" for e in snapped.edge]
    missing = [i for i, name in enumerate(found) if not name]
    if missing:
        xy = np.column_stack([snapped.x[missing], snapped.y[missing]])
        for i, name in zip(missing, _nearest_named(network, names, xy), strict=True):
            found[i] = name
    return found


def _edge_names(network: Network) -> list[str] | None:
    """Return the name of every edge (``""`` for none), or None when the network has none."""
    attrs = getattr(network, "edge_attrs", None)
    if not isinstance(attrs, pd.DataFrame) or "name" not in attrs.columns:
        return None
    if len(attrs) != network.n_edges:
        log.warning(
            "the network's edge_attrs has %d rows for %d edges; street names are left out",
            len(attrs),
            network.n_edges,
        )
        return None
    names = [_text(v) for v in attrs["name"].tolist()]
    return names if any(names) else None


def _text(value: Any) -> str:
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return ""
    return str(value).strip()


def _nearest_named(network: Network, names: Sequence[str], xy: np.ndarray) -> list[str]:
    """Return the nearest named edge's name within NAMED_STREET_WITHIN_M of each point."""
    named = np.flatnonzero([bool(n) for n in names])
    tree = shapely.STRtree(network.geometry[named])
    points = shapely.points(xy)
    hits = tree.query_nearest(points, max_distance=NAMED_STREET_WITHIN_M, all_matches=True)
    best: dict[int, int] = {}
    for point, position in zip(hits[0].tolist(), hits[1].tolist(), strict=True):
        edge = int(named[position])
        best[point] = min(best.get(point, edge), edge)
    return [names[best[i]] if i in best else "" for i in range(len(xy))]


def _served_names(
    proposal: SiteProposal, communities: gpd.GeoDataFrame | None, lang: str
) -> list[str]:
    """Return, for each site, the names of the communities it reaches whose coverage rises."""
    sites = proposal.sites
    if "communities_served" not in sites.columns or communities is None:
        return [""] * len(sites)
    rose = _communities_raised(proposal)
    known = {str(c) for c in communities.index}
    names = _community_names(communities)
    separator = "、" if lang == "zh" else ", "
    out = []
    for text in sites["communities_served"].tolist():
        ids = [c for c in split_ids(_text(text), known) if c in rose]
        out.append(separator.join(names.get(c, c) for c in ids))
    return out


def _communities_raised(proposal: SiteProposal) -> set[str]:
    """Ids of the communities the proposal covers more people of (by ``before``/``after``)."""
    before = proposal.before["covered"]
    after = proposal.after["covered"].reindex(before.index)
    return {str(c) for c in before.index[(after > before).to_numpy()]}


def _community_names(communities: gpd.GeoDataFrame) -> dict[str, str]:
    """Id to name, where the community has a name."""
    if "name" not in communities.columns:
        return {}
    pairs = zip(communities.index, communities["name"].tolist(), strict=True)
    return {str(c): _text(n) for c, n in pairs if _text(n)}


def split_ids(text: str, known: Iterable[str]) -> list[str]:
    """Split a proposal's ``communities_served`` (ids joined by ``", "``) back into ids.

    An id that itself holds ``", "`` is kept whole: at each place the longest run of
    parts that is a known id is taken.

    Examples
    --------
    >>> split_ids("C1, 南关区, 曙光社区, C3", {"C1", "南关区, 曙光社区", "C3"})
    ['C1', '南关区, 曙光社区', 'C3']
    """
    ids = set(known)
    parts = text.split(", ") if text else []
    out: list[str] = []
    start = 0
    while start < len(parts):
        for end in range(len(parts), start, -1):
            candidate = ", ".join(parts[start:end])
            if candidate in ids or end == start + 1:
                out.append(candidate)
                start = end
                break
    return out


# ------------------------------------------------------------------------- the sheet


def site_sheet(
    located: gpd.GeoDataFrame, facility_type: str = "", *, lang: str | None = None
) -> pd.DataFrame:
    """Return the located sites as the table a bureau reads, with headers in ``lang``.

    Parameters
    ----------
    located
        From :func:`locate_sites`.
    facility_type
        The type's name, for the ``facility_type`` column.
    lang
        ``"zh"`` (Chinese headers) or ``"en"``; default: settings.

    Returns
    -------
    pandas.DataFrame
        One row per site, spreadsheet-safe, columns in the order of :data:`COLUMNS`.
    """
    chosen = resolve_lang(lang)
    frame = pd.DataFrame(
        {column: _column(located, column, facility_type) for column in COLUMNS},
        index=pd.RangeIndex(len(located)),
    )
    frame.columns = pd.Index([COLUMNS[c][0 if chosen == "zh" else 1] for c in COLUMNS])
    return spreadsheet_safe(frame)


def _column(located: gpd.GeoDataFrame, column: str, facility_type: str) -> list[Any]:
    if column == "candidate":
        return [str(c) for c in located.index]
    if column == "facility_type":
        return [facility_type] * len(located)
    if column not in located.columns:
        return [""] * len(located)
    return [_plain(v) for v in located[column].tolist()]


def _plain(value: Any) -> Any:
    """Return a cell as a plain Python value: numpy numbers as int/float, NaN and NA as None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is not None and not isinstance(value, str | int | float) and pd.isna(value):
        return None
    return value


# ------------------------------------------------------------------------- the files


def write_sites(result: StudyResult, folder: Path) -> list[Path]:
    """Write ``sites/sites_<type>.{xlsx,geojson,kml}`` for every site request of a run.

    Parameters
    ----------
    result
        The run's results; every entry of ``result.proposals`` is written.
    folder
        The run folder (its staging folder while it is written).

    Returns
    -------
    list of pathlib.Path
        The files written, three per request.
    """
    study = result.study
    types = {t.id: t for t in study.types}
    paths: list[Path] = []
    for type_id, answer in result.proposals.items():
        known = types.get(type_id)
        name = known.label(resolve_lang(None)) if known else facility_type_label(type_id)
        located = locate_sites(answer.proposal, study.network, study.communities)
        sheet = site_sheet(located, name)
        stem = folder / "sites" / f"sites_{safe_name(type_id)}"
        sheets = {label("site_proposals"): sheet}
        paths.append(write_workbook(stem.with_suffix(".xlsx"), sheets))
        paths.append(write_site_geojson(stem.with_suffix(".geojson"), located, name))
        title = f"{_study_title(result)}: {label('proposed')} {name}"
        paths.append(write_site_kml(stem.with_suffix(".kml"), sheet, title=title))
    return paths


def _study_title(result: StudyResult) -> str:
    config = result.study.config
    return config.title if config is not None else result.study.name


def write_site_geojson(path: Path, located: gpd.GeoDataFrame, facility_type: str = "") -> Path:
    """Write the located sites as an RFC 7946 GeoJSON FeatureCollection, atomically.

    Positions are ``[longitude, latitude]`` in WGS-84 (RFC 7946 sections 3.1.1 and 4;
    no ``crs`` member); properties are the columns of :data:`COLUMNS` by their ids,
    spreadsheet-safe.

    Parameters
    ----------
    path
        The ``.geojson`` file.
    located
        From :func:`locate_sites`.
    facility_type
        The type's name, for the ``facility_type`` property.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    table = spreadsheet_safe(
        pd.DataFrame({c: _column(located, c, facility_type) for c in COLUMNS}, dtype=object)
    )
    records = table.to_dict(orient="records")
    features = [
        {
            "type": "Feature",
            "geometry": {
                "type": "Point",
                "coordinates": [record["lon_wgs84"], record["lat_wgs84"]],
            },
            "properties": {str(k): _plain(v) for k, v in record.items()},
        }
        for record in records
    ]
    collection = {"type": "FeatureCollection", "features": features}
    text = json.dumps(collection, ensure_ascii=False, indent=1, allow_nan=False)
    with atomic_path(path) as tmp:
        tmp.write_text(text + "\n", encoding="utf-8")
    return Path(path)


def write_site_kml(path: Path, sheet: pd.DataFrame, *, title: str) -> Path:
    """Write the sites of :func:`site_sheet` as a KML 2.2 document, atomically.

    One Placemark per site: its name (the rank), a description (an HTML table of the
    sheet's row), ExtendedData (every column) and a Point at ``lon,lat`` in WGS-84.
    Text is HTML-escaped (Google Earth renders it as HTML) and XML-escaped; characters
    XML 1.0 forbids are dropped.

    Parameters
    ----------
    path
        The ``.kml`` file.
    sheet
        From :func:`site_sheet` (its first columns are the rank and WGS-84 lon/lat).
    title
        The document's name.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    root = ET.Element("kml", xmlns=KML_NAMESPACE)
    document = ET.SubElement(root, "Document")
    ET.SubElement(document, "name").text = _kml_text(title)
    style = ET.SubElement(document, "Style", id="proposed")
    icon = ET.SubElement(style, "IconStyle")
    ET.SubElement(icon, "color").text = _KML_RED
    ET.SubElement(icon, "scale").text = "1.2"
    headers = [str(h) for h in sheet.columns]
    for row in sheet.itertuples(index=False, name=None):
        document.append(_placemark(headers, list(row)))
    ET.indent(root)
    data = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data + b"\n")
    return Path(path)


def _placemark(headers: list[str], row: list[Any]) -> ET.Element:
    """One site: rank, description, data, and its WGS-84 point (columns 0, 1, 2 of the sheet)."""
    rank, lon, lat = row[0], row[1], row[2]
    placemark = ET.Element("Placemark")
    ET.SubElement(placemark, "name").text = _kml_text(rank)
    rows = "".join(
        f"<tr><th>{_kml_text(h)}</th><td>{_kml_text(v)}</td></tr>"
        for h, v in zip(headers, row, strict=True)
    )
    ET.SubElement(placemark, "description").text = f"<table>{rows}</table>"
    ET.SubElement(placemark, "styleUrl").text = "#proposed"
    extended = ET.SubElement(placemark, "ExtendedData")
    for key, header, value in zip(COLUMNS, headers, row, strict=True):
        data = ET.SubElement(extended, "Data", name=key)
        ET.SubElement(data, "displayName").text = _kml_text(header)
        ET.SubElement(data, "value").text = _kml_text(value)
    point = ET.SubElement(placemark, "Point")
    ET.SubElement(point, "coordinates").text = f"{lon:.{DECIMALS}f},{lat:.{DECIMALS}f}"
    return placemark


def _kml_text(value: Any) -> str:
    """Return text for KML: HTML-escaped (``&``, ``<``, ``>``), no XML-forbidden characters."""
    if value is None:
        return ""
    return html.escape(_NOT_XML.sub("", str(value)), quote=False)
