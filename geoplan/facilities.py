"""Facilities: sort points of interest into the standards' types and place them on the network.

* :func:`classify_facilities` gives every POI the facility type(s) it belongs
  to, from its name keywords and OSM tags, and says which rule decided.
* :func:`classification_report` counts what was found per type, listing types
  with none.
* :func:`facility_points` turns polygons (parks, schools, squares) into the
  points travel is measured from: their entrances, or the point nearest to the
  network.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import Point
>>> pois = gpd.GeoDataFrame(
...     {"name": ["朝阳社区卫生服务中心", None], "amenity": ["hospital", "pharmacy"]},
...     geometry=[Point(0, 0), Point(1, 1)], crs=32651)
>>> found = classify_facilities(pois)
>>> found["facility_type"].tolist()
['community_health_center', 'pharmacy']
>>> found["match_rule"].tolist()
['tag+name:amenity=hospital+社区卫生服务中心', 'tag:amenity=pharmacy']
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import NDArray

from geoplan._errors import CRSError, InputError
from geoplan.network import Network
from geoplan.settings import settings
from geoplan.standards import FacilityType, OsmTags, Standards, current_standards

__all__ = ["access_points", "classification_report", "classify_facilities", "facility_points"]

log = logging.getLogger(__name__)

_RESULT_COLUMNS = ("facility_type", "facility_name_zh", "facility_name_en", "match_rule")
_POINT_COLUMNS = ("area_m2", "point_rule")
_NAME_KEYS = ("name", "alt_name", "official_name", "short_name", "brand")
_RULE_KINDS = {"name": "by_name", "tag+name": "by_tag_and_name", "tag": "by_tag", "given": "given"}
_POINT, _POLYGON, _MULTIPOLYGON = 0, 3, 6

ObjectArray = NDArray[np.object_]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.intp]


@dataclass(frozen=True)
class _Match:
    position: int
    type_id: str
    rule: str


# ====================================================================== classify
def classify_facilities(
    pois: gpd.GeoDataFrame,
    *,
    types: Iterable[str] | None = None,
    standards: Standards | None = None,
) -> gpd.GeoDataFrame:
    """Sort points of interest into the facility types of the standards.

    Rules, in order:

    1. **Name.** A name keyword of a type (``name_keywords_zh``/``_en``) found
       in the POI's ``name``, ``name:*``, ``alt_name``, ``official_name``,
       ``short_name`` or ``brand`` decides. A keyword lying inside a longer
       matched keyword does not count (社区卫生服务中心 makes a health centre,
       not also a 卫生服务中心-only match; 养老服务驿站 is elderly care, not a
       parcel 驿站), so the most specific names win, and a POI whose name has
       two unrelated keywords (人民公园应急避难场所) gets both types. The rule
       reads ``tag+name:<tags>+<keyword>`` when one of the type's tag sets
       (``osm_tags`` or ``osm_tags_with_name``) also matches, else
       ``name:<keyword>``.
    2. **Tags.** Only when no name keyword matched: every type one of whose
       ``osm_tags`` sets matches (``tag:<tags>``). ``osm_tags_with_name`` never
       decide on their own.

    A word of a type's ``name_excludes`` in the name rules that type out.
    Chinese OSM data tag inconsistently: a 社区卫生服务中心 tagged
    ``amenity=clinic``, ``hospital`` or ``doctors`` is a community health centre
    by its name; a 长者食堂 tagged ``amenity=restaurant`` is a canteen.

    Parameters
    ----------
    pois
        Points of interest, e.g. from :func:`geoplan.read_facilities`: tags in a
        ``tags`` dict column (or its JSON text), in plain columns (``amenity``,
        ``shop``, ...; these win over the dict), or both. A ``facility_type``
        column, when present, is taken as given: its values (ids or names)
        are checked against the standards and nothing is inferred.
    types
        Keep only these types (ids or names). The POIs are still classified
        against all types first, so a 长者食堂 is not a restaurant even when
        ``community_canteen`` is left out.
    standards
        The standards to use; :func:`geoplan.standards.current_standards` when
        omitted.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per (POI, type), the POI's index repeated where it has several
        types, POIs without a type left out: ``facility_type`` (id),
        ``facility_name_zh``, ``facility_name_en``, ``match_rule`` (``name:..``,
        ``tag+name:..``, ``tag:..`` or ``given``), then the POI's columns and
        geometry. Rows follow the POIs' order, then the standards' type order.

    Raises
    ------
    InputError
        ``pois`` is not a GeoDataFrame; an unknown type in ``types`` or in a
        ``facility_type`` column (the message lists close matches).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> pois = gpd.GeoDataFrame({"name": ["幸福长者食堂", "张记面馆"],
    ...                          "amenity": ["restaurant", "restaurant"]},
    ...                         geometry=[Point(0, 0), Point(5, 5)], crs=32651)
    >>> classify_facilities(pois)["match_rule"].tolist()
    ['tag+name:amenity=restaurant+长者食堂', 'tag:amenity=restaurant']
    """
    if not isinstance(pois, gpd.GeoDataFrame):
        msg = (
            f"pois must be a GeoDataFrame, got {type(pois).__name__}; read one with "
            "geoplan.read_facilities(...) or geopandas.read_file(...)"
        )
        raise InputError(msg)
    std = current_standards() if standards is None else standards
    wanted = None if types is None else {t.id for t in _resolve_types(std, types)}
    if "facility_type" in pois.columns:
        matches = _given_matches(pois["facility_type"], std)
    else:
        matches = _inferred_matches(pois, std)
    if wanted is not None:
        matches = [m for m in matches if m.type_id in wanted]
    result = _assemble(pois, matches, std)
    log.info(
        "classified %d of %d POIs into %d facility types (%d rows)",
        result.index.nunique(),
        len(pois),
        result["facility_type"].nunique(),
        len(result),
    )
    return result


def _resolve_types(std: Standards, types: Iterable[str]) -> list[FacilityType]:
    keys = [types] if isinstance(types, str) else list(types)
    return [std.facility_type(key, exact=True) for key in keys]


def _given_matches(column: pd.Series[Any], std: Standards) -> list[_Match]:
    """Take the types of a ``facility_type`` column, every value checked against the standards."""
    values = [_text(v) for v in column]
    resolved: dict[str, str] = {}
    problems: list[str] = []
    for value in dict.fromkeys(v for v in values if v is not None):
        try:
            resolved[value] = std.facility_type(value, exact=True).id
        except InputError as exc:
            problems.append(str(exc))
    if problems:
        msg = (
            "the facility_type column holds values that are not facility types of the "
            "standards (use ids or names; drop the column to classify by tags and names): "
            + " | ".join(problems)
        )
        raise InputError(msg)
    n_blank = values.count(None)
    if n_blank:
        log.info("%d POIs have no facility_type and are left out", n_blank)
    return [_Match(i, resolved[v], "given") for i, v in enumerate(values) if v is not None]


def _inferred_matches(pois: gpd.GeoDataFrame, std: Standards) -> list[_Match]:
    """Match by name keywords, else by sufficient tags (see classify_facilities)."""
    types = std.all_types
    tag_dicts = _tag_dicts(pois)
    texts = _name_texts(pois, tag_dicts)
    names = pd.Series(texts, dtype=object)
    tags = _Tags(pois, tag_dicts, {k for t in types for s in _tag_sets(t) for k in s})
    excluded = _excluded(names, types)
    hits = _keyword_hits(names, types)
    any_tags: dict[str, ObjectArray] = {}
    matches: list[_Match] = []
    for position, candidates in hits.items():
        for t, word in _name_winners(texts[position], candidates, excluded.get(position, set())):
            if t.id not in any_tags:
                any_tags[t.id] = _tag_labels(tags, _tag_sets(t))
            tag = any_tags[t.id][position]
            rule = f"tag+name:{tag}+{word}" if tag else f"name:{word}"
            matches.append(_Match(position, t.id, rule))
    named = {m.position for m in matches}
    for t in types:
        labels = _tag_labels(tags, t.osm_tags)
        for position in map(int, np.flatnonzero(labels != "")):
            if position not in named and t.id not in excluded.get(position, set()):
                matches.append(_Match(position, t.id, f"tag:{labels[position]}"))
    order = {t.id: i for i, t in enumerate(types)}
    return sorted(matches, key=lambda m: (m.position, order[m.type_id]))


def _assemble(
    pois: gpd.GeoDataFrame, matches: Sequence[_Match], std: Standards
) -> gpd.GeoDataFrame:
    by_id = {t.id: t for t in std.all_types}
    kept = [c for c in pois.columns if c not in _RESULT_COLUMNS]
    result = pois[kept].iloc[[m.position for m in matches]].copy()
    found = [by_id[m.type_id] for m in matches]
    result.insert(0, "facility_type", [t.id for t in found])
    result.insert(1, "facility_name_zh", [t.name_zh for t in found])
    result.insert(2, "facility_name_en", [t.name_en for t in found])
    result.insert(3, "match_rule", [m.rule for m in matches])
    return result


# ---------------------------------------------------------------------- names
def _is_name_key(key: object) -> bool:
    return isinstance(key, str) and any(
        key == base or key.startswith(f"{base}:") for base in _NAME_KEYS
    )


def _name_texts(pois: gpd.GeoDataFrame, tag_dicts: Sequence[Mapping[str, str]]) -> list[str]:
    """Every POI's names (columns and tags), casefolded, one per line."""
    columns = [pois[c].tolist() for c in pois.columns if _is_name_key(c)]
    texts = []
    for i, tags in enumerate(tag_dicts):
        names = [_text(column[i]) for column in columns]
        names += [v for k, v in tags.items() if _is_name_key(k)]
        texts.append("\n".join(dict.fromkeys(n.casefold() for n in names if n)))
    return texts


def _containing(names: pd.Series[Any], word: str) -> list[int]:
    """Positions of the names containing ``word`` (casefolded)."""
    found = names.str.contains(word.casefold(), regex=False).to_numpy(dtype=bool)
    return [int(i) for i in np.flatnonzero(found)]


def _keyword_hits(
    names: pd.Series[Any], types: Sequence[FacilityType]
) -> dict[int, list[tuple[FacilityType, str]]]:
    """For each POI with any, the (type, keyword) pairs whose keyword is in its names."""
    owners: dict[str, list[tuple[FacilityType, str]]] = {}
    for t in types:
        for keyword in t.keywords:
            owners.setdefault(keyword.casefold(), []).append((t, keyword))
    hits: dict[int, list[tuple[FacilityType, str]]] = {}
    for word, pairs in owners.items():
        for position in _containing(names, word):
            hits.setdefault(position, []).extend(pairs)
    return hits


def _excluded(names: pd.Series[Any], types: Sequence[FacilityType]) -> dict[int, set[str]]:
    """For each POI, the types ruled out by a word of their ``name_excludes``."""
    result: dict[int, set[str]] = {}
    for t in types:
        for word in t.name_excludes:
            for position in _containing(names, word):
                result.setdefault(position, set()).add(t.id)
    return result


def _name_winners(
    text: str, candidates: Sequence[tuple[FacilityType, str]], excluded: set[str]
) -> list[tuple[FacilityType, str]]:
    """Keep the types whose keyword is not inside a longer matched one, each with its longest."""
    kept = [(t, k) for t, k in candidates if t.id not in excluded]
    words = {k.casefold() for _, k in kept}
    best: dict[str, tuple[FacilityType, str]] = {}
    for t, keyword in kept:
        if _inside_longer(text, keyword.casefold(), words):
            continue
        if t.id not in best or len(keyword) > len(best[t.id][1]):
            best[t.id] = (t, keyword)
    return list(best.values())


def _spans(text: str, word: str) -> list[tuple[int, int]]:
    spans = []
    start = text.find(word)
    while start >= 0:
        spans.append((start, start + len(word)))
        start = text.find(word, start + 1)
    return spans


def _inside_longer(text: str, word: str, words: Iterable[str]) -> bool:
    """Whether every occurrence of ``word`` lies within an occurrence of a longer word."""
    longer = [s for w in words if len(w) > len(word) and word in w for s in _spans(text, w)]
    return bool(longer) and all(
        any(a <= start and end <= b for a, b in longer) for start, end in _spans(text, word)
    )


# ---------------------------------------------------------------------- tags
def _text(value: object) -> str | None:
    """Return a cell as stripped text, or None when missing or blank."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _as_tags(value: object) -> dict[str, str]:
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return {}
    if not isinstance(value, Mapping):
        return {}
    tags = {str(k): _text(v) for k, v in value.items()}
    return {k: v for k, v in tags.items() if v is not None}


def _tag_dicts(pois: gpd.GeoDataFrame) -> list[dict[str, str]]:
    if "tags" not in pois.columns:
        return [{} for _ in range(len(pois))]
    return [_as_tags(v) for v in pois["tags"]]


def _tag_sets(t: FacilityType) -> tuple[OsmTags, ...]:
    return (*t.osm_tags, *t.osm_tags_with_name)


def _tag_text(tags: OsmTags) -> str:
    return "&".join(f"{k}={v}" for k, v in tags.items())


class _Tags:
    """The POIs' tag values, key by key: a plain column wins over the ``tags`` dict."""

    def __init__(
        self, pois: gpd.GeoDataFrame, tag_dicts: Sequence[Mapping[str, str]], keys: Iterable[str]
    ) -> None:
        self.n = len(pois)
        self._values: dict[str, list[str | None]] = {}
        for key in keys:
            values = [tags.get(key) for tags in tag_dicts]
            if key in pois.columns:
                column = [_text(v) for v in pois[key]]
                values = [c if c is not None else v for c, v in zip(column, values, strict=True)]
            self._values[key] = values
        self._cache: dict[tuple[str, str], BoolArray] = {}

    def has(self, key: str, value: str) -> BoolArray:
        """Where the tag ``key`` is ``value`` (or lists it among ``;``-separated values)."""
        if (key, value) not in self._cache:
            self._cache[key, value] = np.fromiter(
                (
                    v is not None and (v == value or value in v.split(";"))
                    for v in self._values[key]
                ),
                dtype=bool,
                count=self.n,
            )
        return self._cache[key, value]

    def matches(self, tags: OsmTags) -> BoolArray:
        """Where every tag of the set is present."""
        result = np.ones(self.n, dtype=bool)
        for key, value in tags.items():
            result &= self.has(key, value)
        return result


def _tag_labels(tags: _Tags, sets: Sequence[OsmTags]) -> ObjectArray:
    """Per POI, the first tag set that matches (as ``k=v&k2=v2``), or ``""``."""
    labels = np.full(tags.n, "", dtype=object)
    for tag_set in reversed(sets):  # earlier sets overwrite later ones
        labels[tags.matches(tag_set)] = _tag_text(tag_set)
    return labels


# ====================================================================== report
def classification_report(
    classified: pd.DataFrame,
    *,
    types: Iterable[str] | None = None,
    standards: Standards | None = None,
) -> pd.DataFrame:
    """Count the facilities found per type, and by which rule.

    Parameters
    ----------
    classified
        The result of :func:`classify_facilities`.
    types
        The types to report (ids or names); all types of the standards when
        omitted. Types with no facility are listed with 0.
    standards
        The standards used to classify; the package's when omitted.

    Returns
    -------
    pandas.DataFrame
        Indexed by type id: ``name_zh``, ``name_en``, ``level``, ``required``,
        ``n_facilities``, the counts ``by_name``, ``by_tag_and_name``,
        ``by_tag`` and ``given``, and ``rules`` (each rule with its count,
        most used first).

    Raises
    ------
    InputError
        ``classified`` lacks ``facility_type``/``match_rule``, or holds types
        the standards do not know.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> pois = gpd.GeoDataFrame({"amenity": ["pharmacy"]}, geometry=[Point(0, 0)], crs=32651)
    >>> report = classification_report(classify_facilities(pois))
    >>> report.loc[["pharmacy", "kindergarten"], ["n_facilities", "by_tag"]].values.tolist()
    [[1, 1], [0, 0]]
    """
    missing = [c for c in ("facility_type", "match_rule") if c not in classified.columns]
    if missing:
        msg = (
            f"classified lacks the column(s) {', '.join(missing)}; pass the result of "
            "geoplan.facilities.classify_facilities(...)"
        )
        raise InputError(msg)
    std = current_standards() if standards is None else standards
    known = {t.id: t for t in std.all_types}
    unknown = sorted(set(classified["facility_type"].dropna()) - set(known))
    if unknown:
        msg = (
            f"classified holds types the standards do not know: {', '.join(map(str, unknown))}; "
            "pass the standards it was classified with (standards=...)"
        )
        raise InputError(msg)
    selected = std.all_types if types is None else _resolve_types(std, types)
    groups = dict(tuple(classified.groupby("facility_type", sort=False)["match_rule"]))
    rows = [_report_row(t, groups.get(t.id)) for t in selected]
    return pd.DataFrame(rows).set_index("facility_type")


def _report_row(t: FacilityType, rules: pd.Series[Any] | None) -> dict[str, Any]:
    rules = pd.Series([], dtype=object) if rules is None else rules
    kinds = rules.map(lambda rule: _RULE_KINDS.get(str(rule).split(":", 1)[0], "other"))
    counts = rules.value_counts()
    return {
        "facility_type": t.id,
        "name_zh": t.name_zh,
        "name_en": t.name_en,
        "level": t.level.id,
        "required": t.required,
        "n_facilities": len(rules),
        **{kind: int((kinds == kind).sum()) for kind in _RULE_KINDS.values()},
        "rules": "; ".join(f"{rule} ({n})" for rule, n in counts.items()),
    }


# ====================================================================== points
def facility_points(
    facilities: gpd.GeoDataFrame,
    network: Network,
    *,
    entrances: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    max_entrance_distance_m: float = 20.0,
) -> gpd.GeoDataFrame:
    """Turn facility polygons into the points travel is measured from.

    Points stay as they are. A polygon (park, school, square) becomes its
    entrances: every entrance point within ``max_entrance_distance_m`` of its
    boundary, one row each; a polygon without one becomes the point of the
    polygon nearest to the network (lines are treated like polygons).

    Parameters
    ----------
    facilities
        Facilities in the network's CRS, e.g. from :func:`classify_facilities`.
    network
        The travel network.
    entrances
        Entrance points (gates, e.g. OSM ``entrance=*`` nodes) in the network's
        CRS.
    max_entrance_distance_m
        How far from a polygon's boundary an entrance may lie (a geoplan
        default of 20 m: gates are mapped on or just beside the fence).

    Returns
    -------
    geopandas.GeoDataFrame
        The facilities' columns and index (repeated for a polygon with several
        entrances), point geometries, ``area_m2`` (the original polygon's area;
        NaN for points and lines; count it once per index label) and
        ``point_rule``: ``"point"``, ``"entrance"`` or ``"nearest to network"``.

    Raises
    ------
    CRSError
        ``facilities`` or ``entrances`` without a CRS or in another CRS than
        the network.
    InputError
        Missing or empty geometries; entrances that are not points; a bad
        ``max_entrance_distance_m``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Polygon
    >>> net = Network.from_edges([(0, 0, 100, 0)], crs="EPSG:32651")
    >>> park = gpd.GeoDataFrame(geometry=[Polygon([(50, 10), (70, 30), (50, 50), (30, 30)])],
    ...                         crs="EPSG:32651")
    >>> out = facility_points(park, net)
    >>> out.geometry.iloc[0].wkt, out["area_m2"].iloc[0], out["point_rule"].iloc[0]
    ('POINT (50 10)', np.float64(800.0), 'nearest to network')
    """
    if not isinstance(facilities, gpd.GeoDataFrame):
        msg = f"facilities must be a GeoDataFrame, got {type(facilities).__name__}"
        raise InputError(msg)
    limit = float(max_entrance_distance_m)
    if not math.isfinite(limit) or limit < 0:
        msg = f"max_entrance_distance_m must be a non-negative number of metres, got {limit!r}"
        raise InputError(msg)
    geoms = _geometries(facilities, network, "facilities")
    type_ids = shapely.get_type_id(geoms)
    polygonal = (type_ids == _POLYGON) | (type_ids == _MULTIPOLYGON)
    shapes = np.flatnonzero(type_ids != _POINT)
    gate_at, gates = _entrance_points(geoms[shapes], entrances, network, limit)
    rest = np.setdiff1d(np.arange(len(shapes)), gate_at)
    positions = np.concatenate([np.flatnonzero(type_ids == _POINT), shapes[gate_at], shapes[rest]])
    points = np.concatenate(
        [geoms[type_ids == _POINT], gates, _nearest(geoms[shapes[rest]], network)]
    )
    rules = np.repeat(
        np.array(["point", "entrance", "nearest to network"], dtype=object),
        [int((type_ids == _POINT).sum()), len(gate_at), len(rest)],
    )
    order = np.argsort(positions, kind="stable")
    positions = positions[order]
    kept = [c for c in facilities.columns if c not in _POINT_COLUMNS]
    result = facilities[kept].iloc[positions]
    result = result.set_geometry(gpd.array.from_shapely(points[order], crs=facilities.crs))
    result["area_m2"] = np.where(polygonal, shapely.area(geoms), np.nan)[positions]
    result["point_rule"] = rules[order]
    return result


def access_points(facilities: gpd.GeoDataFrame, network: Network) -> gpd.GeoDataFrame:
    """Return one point per facility, where travel to it is measured from.

    The one rule every analysis uses for facilities that are areas or lines
    (parks, squares, school grounds): the point of the shape nearest to the
    network (:func:`facility_points` without entrances). Points are returned
    as they are, and a frame of points only is returned unchanged.

    Parameters
    ----------
    facilities
        Facilities in the network's CRS.
    network
        The travel network.

    Returns
    -------
    geopandas.GeoDataFrame
        The same rows and index, point geometries; ``area_m2`` holds the
        area of each polygon (NaN for points) when any shape was converted.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point, Polygon
    >>> net = Network.from_edges([(0, 0, 100, 0)], crs="EPSG:32651")
    >>> park = Polygon([(50, 10), (70, 30), (50, 50), (30, 30)])
    >>> sites = gpd.GeoDataFrame(geometry=[Point(10, 5), park], crs=32651)
    >>> [g.wkt for g in access_points(sites, net).geometry]
    ['POINT (10 5)', 'POINT (50 10)']
    """
    if len(facilities) == 0:
        return facilities
    kinds = shapely.get_type_id(np.asarray(facilities.geometry.values))
    if (kinds == _POINT).all():
        return facilities
    return facility_points(facilities, network)


def _geometries(frame: Any, network: Network, what: str) -> ObjectArray:
    """Return the geometries of a GeoDataFrame/GeoSeries, checked against the network CRS."""
    if not isinstance(frame, gpd.GeoDataFrame | gpd.GeoSeries):
        msg = f"{what} must be a GeoDataFrame or GeoSeries, got {type(frame).__name__}"
        raise InputError(msg)
    target = network.crs.to_string()
    if frame.crs is None:
        msg = (
            f"the {what} have no CRS; set the one they are in, e.g. {what}.set_crs(4326) for "
            f"longitude/latitude, then {what}.to_crs({target!r})"
        )
        raise CRSError(msg)
    if pyproj.CRS.from_user_input(frame.crs) != network.crs:
        msg = (
            f"the {what} are in {frame.crs.to_string()} but the network {network.name!r} is in "
            f"{target}; reproject them first: {what}.to_crs({target!r})"
        )
        raise CRSError(msg)
    geoms = np.asarray(frame.geometry.values, dtype=object)
    bad = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if bad.any():
        labels = list(frame.index[bad][:5])
        msg = (
            f"{int(bad.sum())} of {len(geoms)} {what} have missing or empty geometries (first: "
            f"{labels}); drop them first, e.g. {what}[~{what}.is_empty & {what}.geometry.notna()]"
        )
        raise InputError(msg)
    return geoms


def _entrance_points(
    shapes: ObjectArray, entrances: Any, network: Network, limit: float
) -> tuple[IntArray, ObjectArray]:
    """For each shape, the entrances within ``limit`` of its outline: (shape positions, points)."""
    if entrances is None or len(shapes) == 0:
        return np.array([], dtype=np.intp), np.array([], dtype=object)
    gates = _geometries(entrances, network, "entrances")
    if (shapely.get_type_id(gates) != _POINT).any():
        msg = "entrances must be points (e.g. OSM entrance=* nodes)"
        raise InputError(msg)
    type_ids = shapely.get_type_id(shapes)
    polygonal = (type_ids == _POLYGON) | (type_ids == _MULTIPOLYGON)
    outline = np.where(polygonal, shapely.boundary(shapes), shapes)
    shape_at, gate_at = shapely.STRtree(gates).query(outline, predicate="dwithin", distance=limit)
    order = np.lexsort((gate_at, shape_at))
    return shape_at[order].astype(np.intp), gates[gate_at[order]]


def _nearest(shapes: ObjectArray, network: Network) -> ObjectArray:
    """Return the point of each shape nearest to the network's main piece, else to any edge.

    A park often holds paths of its own that no street joins (a piece of the
    network apart from the rest); its entrance is where it meets the connected
    streets. So the point is the one nearest to the largest connected piece
    when that lies within ``settings.max_snap_m``, and the one nearest to any
    edge otherwise (a site on an island of the network).
    """
    points = np.empty(len(shapes), dtype=object)
    if not len(shapes):
        return points
    main = network.components[network.edge_u] == np.bincount(network.components).argmax()
    lines = _shortest_lines(shapes, network.geometry[main])
    near = shapely.length(lines) <= settings.max_snap_m
    if not near.all():
        lines[~near] = _shortest_lines(shapes[~near], network.geometry)
    points[:] = shapely.get_point(lines, 0)
    return points


def _shortest_lines(shapes: ObjectArray, edges: ObjectArray) -> ObjectArray:
    """Return the shortest line from each shape to the nearest of ``edges``."""
    shape_at, edge_at = shapely.STRtree(edges).query_nearest(shapes, all_matches=False)
    lines = np.empty(len(shapes), dtype=object)
    lines[shape_at] = shapely.shortest_line(shapes[shape_at], edges[edge_at])
    return lines
