"""Facilities: sort points of interest into the standards' types and place them on the network.

* :func:`classify_facilities` gives every POI the facility type(s) it belongs
  to, from its name keywords, its OSM tags and its provider category (Amap,
  Baidu), and says which rule decided (``match_rule``) and how sure that is
  (``confidence``).
* :func:`best_types` keeps one type per POI, as a table of POIs shows it.
* :func:`classification_report` counts what was found per type, listing types
  with none, and what was left unclassified by provider category.
* :func:`facility_points` turns polygons (parks, schools, squares) into the
  points travel is measured from: their entrances, or the point nearest to the
  network.

**Precedence.** One rule, for OSM data and provider exports alike:

1. **veto category**: a provider category rules out every type it neither
   gives, confirms nor allows (``geoplan/standards/poi_categories.toml``): a
   公交车站 named 实验小学站 is no school, a 酒店 named 电影大酒店 no cinema, a
   shop in a mall called 购物公园 no park;
2. **strong category**: a category that names its type decides it (便利店,
   药房, 幼儿园, 公交车站, 银行);
3. **name keyword**: the standards' name keywords, less a type's
   ``name_excludes``, the longest keyword winning where one lies inside another;
4. **OSM tag**: a tag set that identifies a type on its own;
5. **weak category**: a broad category (中学, 超市, 物流速递, 餐饮, 卫生院)
   gives its type only when nothing above did.

**Confidence.** ``"high"``: two independent signals agree on the type (a name
keyword and the provider category, a name keyword and an OSM tag) or the type
was given; ``"medium"``: one specific signal (a strong category, a name keyword,
a tag that identifies the type alone); ``"low"``: a weak category alone.

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
>>> found[["match_rule", "confidence"]].values.tolist()
[['tag+name:amenity=hospital+社区卫生服务中心', 'high'], ['tag:amenity=pharmacy', 'medium']]
"""

from __future__ import annotations

import json
import logging
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

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
from geoplan.standards._categories import STRENGTHS, CategoryMatch, category_key, category_table

__all__ = [
    "CONFIDENCES",
    "access_points",
    "best_types",
    "classification_report",
    "classify_facilities",
    "facility_points",
]

log = logging.getLogger(__name__)

#: The confidence levels of a classification, surest first (see the module docstring).
CONFIDENCES: Final = ("high", "medium", "low")
_RESULT_COLUMNS = (
    "facility_type",
    "facility_name_zh",
    "facility_name_en",
    "match_rule",
    "confidence",
)
_POINT_COLUMNS = ("area_m2", "point_rule")
_NAME_KEYS = ("name", "alt_name", "official_name", "short_name", "brand")
_RULE_KINDS = {
    "name": "by_name",
    "tag+name": "by_tag_and_name",
    "name+category": "by_name_and_category",
    "category": "by_category",
    "tag": "by_tag",
    "given": "given",
}
_NO_CATEGORY = "(none)"
# tiers of the precedence, to keep one type per POI: strong category, name, tag, weak category
_STRONG, _NAME, _TAG, _WEAK = range(4)
_POINT, _POLYGON, _MULTIPOLYGON = 0, 3, 6

ObjectArray = NDArray[np.object_]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.intp]
Categories = Sequence[tuple[CategoryMatch, ...]]


@dataclass(frozen=True)
class _Match:
    position: int
    type_id: str
    rule: str
    confidence: str = "high"
    tier: int = _NAME
    keyword: str = ""


@dataclass(frozen=True)
class _Evidence:
    """What one POI shows: name keywords, tags that identify a type, provider categories."""

    position: int
    names: tuple[tuple[FacilityType, str], ...]
    tags: tuple[tuple[FacilityType, str], ...]
    categories: tuple[CategoryMatch, ...]
    excluded: frozenset[str]


@dataclass(frozen=True)
class _Classification:
    matches: list[_Match]
    ruled_out: dict[int, str]
    categories: Categories | None


# ====================================================================== classify
def classify_facilities(
    pois: gpd.GeoDataFrame,
    *,
    types: Iterable[str] | None = None,
    standards: Standards | None = None,
    category_column: str | None = None,
    typecode_column: str | None = None,
) -> gpd.GeoDataFrame:
    """Sort points of interest into the facility types of the standards.

    The rules and their precedence are those of the module docstring: a
    provider category rules types out and may decide one; else the name
    keywords decide (``name_keywords_zh``/``_en`` found in the POI's ``name``,
    ``name:*``, ``alt_name``, ``official_name``, ``short_name`` or ``brand``;
    a keyword lying inside a longer matched keyword does not count, so
    社区卫生服务中心 makes a health centre and 养老服务驿站 elderly care, not a
    parcel 驿站; a name with two unrelated keywords, 人民公园应急避难场所, gets
    both types); else the OSM tag sets that identify a type alone
    (``osm_tags``; ``osm_tags_with_name`` count only beside a name keyword);
    else a weak category. A word of a type's ``name_excludes`` in the name rules
    the type out whatever else says it. Chinese OSM data tag inconsistently:
    a 社区卫生服务中心 tagged ``amenity=clinic``, ``hospital`` or ``doctors`` is a
    community health centre by its name; a 长者食堂 tagged
    ``amenity=restaurant`` is a canteen.

    ``match_rule`` says what decided: ``name:<keyword>``,
    ``tag+name:<tags>+<keyword>``, ``name+category:<keyword>+<category>``,
    ``category:<category>`` (a category part such as ``幼儿园``, or an Amap
    code with its 小类, ``141204 幼儿园``), ``tag:<tags>`` or ``given``;
    ``confidence`` is ``"high"``, ``"medium"`` or ``"low"`` (module docstring).

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
    category_column, typecode_column
        The columns holding the provider's category path (Amap
        ``大类;中类;小类``, Baidu ``一级;二级``; several joined by ``|``) and
        Amap's six-digit type code, looked up in
        ``geoplan/standards/poi_categories.toml``; without them no category is
        used (as for OSM data).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per (POI, type), the POI's index repeated where it has several
        types, POIs without a type left out: ``facility_type`` (id),
        ``facility_name_zh``, ``facility_name_en``, ``match_rule``,
        ``confidence``, then the POI's columns and geometry. Rows follow the
        POIs' order, then the standards' type order. With a category column,
        ``attrs["unclassified_by_category"]`` counts the POIs left out by
        their category text (``"(none)"`` for a blank one), most first.

    Raises
    ------
    InputError
        ``pois`` is not a GeoDataFrame; an unknown type in ``types`` or in a
        ``facility_type`` column (the message lists close matches); a category
        or typecode column the POIs lack.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> pois = gpd.GeoDataFrame({"name": ["幸福长者食堂", "张记面馆", "实验小学站"],
    ...                          "amenity": ["restaurant", "restaurant", None],
    ...                          "类型": [None, None, "交通设施服务;公交车站;普通公交站"]},
    ...                         geometry=[Point(0, 0), Point(5, 5), Point(9, 9)], crs=32651)
    >>> found = classify_facilities(pois, category_column="类型")
    >>> found["facility_type"].tolist()
    ['community_canteen', 'specialty_dining', 'bus_stop']
    >>> found["match_rule"].tolist()
    ['tag+name:amenity=restaurant+长者食堂', 'tag:amenity=restaurant', 'category:普通公交站']
    """
    if not isinstance(pois, gpd.GeoDataFrame):
        msg = (
            f"pois must be a GeoDataFrame, got {type(pois).__name__}; read one with "
            "geoplan.read_facilities(...) or geopandas.read_file(...)"
        )
        raise InputError(msg)
    std = current_standards() if standards is None else standards
    wanted = None if types is None else {t.id for t in _resolve_types(std, types)}
    found = _classify(pois, std, category_column, typecode_column)
    matches = found.matches
    if wanted is not None:
        matches = [m for m in matches if m.type_id in wanted]
    result = _assemble(pois, matches, std)
    if found.categories is not None:
        classified = {m.position for m in found.matches}
        result.attrs["unclassified_by_category"] = _unclassified(
            pois[category_column] if category_column else None, classified, len(pois)
        )
    log.info(
        "classified %d of %d POIs into %d facility types (%d rows)",
        result.index.nunique(),
        len(pois),
        result["facility_type"].nunique(),
        len(result),
    )
    return result


def best_types(
    pois: pd.DataFrame,
    *,
    standards: Standards | None = None,
    category_column: str | None = None,
    typecode_column: str | None = None,
) -> pd.DataFrame:
    """Return one facility type per POI, as a table of POIs shows it.

    The POIs are classified as :func:`classify_facilities` does; of several
    types the first by precedence is kept (a category that decides, then a name
    keyword, an OSM tag, a weak category), then the one of the longest keyword
    (人民公园应急避难场所 is a shelter), then the first in the standards' order
    (a 公园 is a ``park_15min``). Call ``classify_facilities`` to list them all.

    Parameters
    ----------
    pois
        Points of interest (any DataFrame with names, tags or categories; no
        geometry is needed).
    standards, category_column, typecode_column
        As for :func:`classify_facilities`.

    Returns
    -------
    pandas.DataFrame
        The POIs' index; ``facility_type`` (None for a POI of no type),
        ``facility_name_zh``, ``facility_name_en``, ``match_rule``,
        ``confidence`` and ``ruled_out`` (what a provider category ruled out,
        e.g. ``"primary_school (name:小学) ruled out by category:普通公交站"``;
        None where nothing was). ``attrs["unclassified_by_category"]`` as for
        :func:`classify_facilities`.

    Examples
    --------
    >>> import pandas as pd
    >>> pois = pd.DataFrame({"name": ["实验小学站", "人民公园应急避难场所"],
    ...                      "category": ["交通设施;公交车站", None]})
    >>> best = best_types(pois, category_column="category")
    >>> best[["facility_type", "confidence"]].values.tolist()
    [['bus_stop', 'medium'], ['emergency_shelter', 'medium']]
    >>> best["ruled_out"].iloc[0]
    'primary_school (name:小学) ruled out by category:公交车站'
    """
    std = current_standards() if standards is None else standards
    found = _classify(pois, std, category_column, typecode_column)
    best = _first_by_precedence(found.matches, std)
    by_id = {t.id: t for t in std.all_types}
    rows = [_best_row(best.get(i), by_id, found.ruled_out.get(i)) for i in range(len(pois))]
    result = pd.DataFrame(rows, index=pois.index, columns=[*_RESULT_COLUMNS, "ruled_out"])
    result = result.astype(object).where(result.notna(), None)
    if found.categories is not None:
        result.attrs["unclassified_by_category"] = _unclassified(
            pois[category_column] if category_column else None, set(best), len(pois)
        )
    return result


def _first_by_precedence(matches: Iterable[_Match], std: Standards) -> dict[int, _Match]:
    """Keep each POI's first match: by tier, then the longest keyword, then the standards' order."""
    order = {t.id: i for i, t in enumerate(std.all_types)}
    best: dict[int, _Match] = {}
    for m in sorted(matches, key=lambda m: (m.tier, -len(m.keyword), order[m.type_id])):
        best.setdefault(m.position, m)
    return best


def _best_row(m: _Match | None, by_id: Mapping[str, FacilityType], out: str | None) -> list[Any]:
    if m is None:
        return [None, None, None, None, None, out]
    t = by_id[m.type_id]
    return [t.id, t.name_zh, t.name_en, m.rule, m.confidence, out]


def _resolve_types(std: Standards, types: Iterable[str]) -> list[FacilityType]:
    keys = [types] if isinstance(types, str) else list(types)
    return [std.facility_type(key, exact=True) for key in keys]


def _classify(
    pois: pd.DataFrame, std: Standards, category_column: str | None, typecode_column: str | None
) -> _Classification:
    """Classify every POI: the given types, or the precedence of the module docstring."""
    categories = _category_matches(pois, std, category_column, typecode_column)
    if "facility_type" in pois.columns:
        return _Classification(_given_matches(pois["facility_type"], std), {}, categories)
    matches, ruled_out = _inferred_matches(pois, std, categories)
    return _Classification(matches, ruled_out, categories)


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


def _inferred_matches(
    pois: pd.DataFrame, std: Standards, categories: Categories | None
) -> tuple[list[_Match], dict[int, str]]:
    """Decide every POI with any evidence (see the module docstring for the precedence)."""
    types = std.all_types
    tag_dicts = _tag_dicts(pois)
    texts = _name_texts(pois, tag_dicts)
    names = pd.Series(texts, dtype=object)
    tags = _Tags(pois, tag_dicts, {k for t in types for s in _tag_sets(t) for k in s})
    excluded = _excluded(names, types)
    hits = _keyword_hits(names, types)
    sufficient = _sufficient_tags(tags, types)
    with_category = {i for i, c in enumerate(categories or ()) if c}
    tag_of = _AnyTag(tags)
    matches: list[_Match] = []
    ruled_out: dict[int, str] = {}
    for position in sorted(set(hits) | set(sufficient) | with_category):
        out = frozenset(excluded.get(position, set()))
        evidence = _Evidence(
            position=position,
            names=tuple(_name_winners(texts[position], hits.get(position, []), set(out))),
            tags=tuple((t, label) for t, label in sufficient.get(position, []) if t.id not in out),
            categories=categories[position] if categories is not None else (),
            excluded=out,
        )
        found, vetoed = _decide(evidence, tag_of)
        matches.extend(found)
        if vetoed:
            ruled_out[position] = vetoed
    order = {t.id: i for i, t in enumerate(types)}
    return sorted(matches, key=lambda m: (m.position, order[m.type_id])), ruled_out


def _decide(e: _Evidence, tag_of: _AnyTag) -> tuple[list[_Match], str]:
    """Apply the precedence to one POI: its matches, and what its category ruled out."""

    def compatible(type_id: str) -> bool:
        return not e.categories or any(m.entry.compatible(type_id) for m in e.categories)

    names = [(t, word) for t, word in e.names if compatible(t.id)]
    tags = [(t, label) for t, label in e.tags if compatible(t.id)]
    vetoed = [f"{t.id} (name:{word})" for t, word in e.names if not compatible(t.id)]
    vetoed += [f"{t.id} (tag:{label})" for t, label in e.tags if not compatible(t.id)]
    primary = _primary(e.categories)
    own = (
        [] if primary is None else [i for i in primary.entry.facility_types if i not in e.excluded]
    )
    if primary is not None and primary.entry.strength == "strong" and own:
        found = [_category_match(e.position, i, primary, names) for i in own]
        found += [_name_match(e, t, word, tag_of) for t, word in names if t.id not in own]
    elif names:
        found = [_name_match(e, t, word, tag_of) for t, word in names]
    elif tags:
        found = [_Match(e.position, t.id, f"tag:{label}", "medium", _TAG) for t, label in tags]
    elif primary is not None and primary.entry.strength == "weak" and own:
        found = [_Match(e.position, i, f"category:{primary.text}", "low", _WEAK) for i in own]
    else:
        found = []
    by = "|".join(dict.fromkeys(m.text for m in e.categories))
    return found, (f"{', '.join(vetoed)} ruled out by category:{by}" if vetoed else "")


def _primary(categories: Sequence[CategoryMatch]) -> CategoryMatch | None:
    """Return the category that speaks loudest: strong, weak, none, then the first."""
    if not categories:
        return None
    return min(categories, key=lambda m: STRENGTHS.index(m.entry.strength))


def _category_match(
    position: int, type_id: str, match: CategoryMatch, names: Sequence[tuple[FacilityType, str]]
) -> _Match:
    """Return a type a strong category decides: high when the name says so too."""
    word = next((w for t, w in names if t.id == type_id), "")
    if word:
        return _Match(
            position, type_id, f"name+category:{word}+{match.text}", "high", _STRONG, word
        )
    return _Match(position, type_id, f"category:{match.text}", "medium", _STRONG)


def _name_match(e: _Evidence, t: FacilityType, word: str, tag_of: _AnyTag) -> _Match:
    """Return a type a name keyword gives: high when a category or a tag says so too."""
    support = next((m for m in e.categories if m.entry.supports(t.id)), None)
    if support is not None:
        rule, confidence = f"name+category:{word}+{support.text}", "high"
    elif tag := tag_of(t, e.position):
        rule, confidence = f"tag+name:{tag}+{word}", "high"
    else:
        rule, confidence = f"name:{word}", "medium"
    return _Match(e.position, t.id, rule, confidence, _NAME, word)


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
    result.insert(4, "confidence", [m.confidence for m in matches])
    return result


# ---------------------------------------------------------------------- categories
def _category_matches(
    pois: pd.DataFrame, std: Standards, category_column: str | None, typecode_column: str | None
) -> Categories | None:
    """Each POI's provider categories found in ``poi_categories.toml``; None without columns."""
    if category_column is None and typecode_column is None:
        return None
    missing = [c for c in (category_column, typecode_column) if c and c not in pois.columns]
    if missing:
        msg = (
            f"the POIs have no column {', '.join(map(repr, missing))}; their columns are "
            f"{', '.join(map(repr, map(str, pois.columns)))}: name the category column "
            "(category_column=) and the Amap type-code column (typecode_column=), or leave them out"
        )
        raise InputError(msg)
    table = category_table([t.id for t in std.all_types])
    n = len(pois)
    texts = [None] * n if category_column is None else [_text(v) for v in pois[category_column]]
    codes = [None] * n if typecode_column is None else [_text(v) for v in pois[typecode_column]]
    seen: dict[tuple[str | None, str | None], tuple[CategoryMatch, ...]] = {}
    found = []
    for key in zip(texts, codes, strict=True):
        if key not in seen:
            seen[key] = table.lookup(*key)
        found.append(seen[key])
    return found


def _unclassified(column: pd.Series[Any] | None, classified: set[int], n: int) -> dict[str, int]:
    """Count the POIs of no type by their category text, most first (``"(none)"`` if blank)."""
    texts = [None] * n if column is None else [_text(v) for v in column]
    counts = Counter(
        category_key(t) if t else _NO_CATEGORY for i, t in enumerate(texts) if i not in classified
    )
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


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


def _sufficient_tags(
    tags: _Tags, types: Sequence[FacilityType]
) -> dict[int, list[tuple[FacilityType, str]]]:
    """For each POI with any, the types one of whose ``osm_tags`` sets it carries, with the set."""
    found: dict[int, list[tuple[FacilityType, str]]] = {}
    for t in types:
        labels = _tag_labels(tags, t.osm_tags)
        for position in map(int, np.flatnonzero(labels != "")):
            found.setdefault(position, []).append((t, str(labels[position])))
    return found


class _AnyTag:
    """A POI's first tag set of a type (``osm_tags`` or ``osm_tags_with_name``), or ``""``."""

    def __init__(self, tags: _Tags) -> None:
        self._tags = tags
        self._labels: dict[str, ObjectArray] = {}

    def __call__(self, t: FacilityType, position: int) -> str:
        if t.id not in self._labels:
            self._labels[t.id] = _tag_labels(self._tags, _tag_sets(t))
        return str(self._labels[t.id][position])


# ====================================================================== report
def classification_report(
    classified: pd.DataFrame,
    *,
    types: Iterable[str] | None = None,
    standards: Standards | None = None,
) -> pd.DataFrame:
    """Count the facilities found per type, by which rule and how surely.

    Parameters
    ----------
    classified
        The result of :func:`classify_facilities`, :func:`best_types` or
        :func:`geoplan.read_poi_table` (rows without a type are not counted as
        facilities).
    types
        The types to report (ids or names); all types of the standards when
        omitted. Types with no facility are listed with 0.
    standards
        The standards used to classify; the package's when omitted.

    Returns
    -------
    pandas.DataFrame
        Indexed by type id: ``name_zh``, ``name_en``, ``level``, ``required``,
        ``n_facilities``, the counts by rule (``by_name``,
        ``by_tag_and_name``, ``by_name_and_category``, ``by_category``,
        ``by_tag``, ``given``) and by confidence (``high``, ``medium``,
        ``low``; 0 without a ``confidence`` column), and ``rules`` (each rule
        with its count, most used first). ``attrs["unclassified_by_category"]``:
        the POIs of no type counted by their provider category, from the rows
        without a type and a ``category`` column, else as ``classified``
        carries it; empty when neither says.

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
    >>> columns = ["n_facilities", "by_tag", "medium"]
    >>> report.loc[["pharmacy", "kindergarten"], columns].values.tolist()
    [[1, 1, 1], [0, 0, 0]]
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
    found = classified[classified["facility_type"].notna()].reset_index(drop=True)
    if "confidence" not in found.columns:
        found = found.assign(confidence=None)
    groups = dict(tuple(found.groupby("facility_type", sort=False)))
    rows = [_report_row(t, groups.get(t.id)) for t in selected]
    report = pd.DataFrame(rows).set_index("facility_type")
    report.attrs["unclassified_by_category"] = _unclassified_of(classified)
    return report


def _report_row(t: FacilityType, found: pd.DataFrame | None) -> dict[str, Any]:
    """Count one type's facilities by rule kind and confidence."""
    rules = pd.Series([], dtype=object) if found is None else found["match_rule"]
    sure = pd.Series([], dtype=object) if found is None else found["confidence"]
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
        **{level: int((sure == level).sum()) for level in CONFIDENCES},
        "rules": "; ".join(f"{rule} ({n})" for rule, n in counts.items()),
    }


def _unclassified_of(classified: pd.DataFrame) -> dict[str, int]:
    """Count the POIs of no type by category: from the frame's rows, else its attrs."""
    blank = classified["facility_type"].isna().to_numpy()
    if blank.any() and "category" in classified.columns:
        column = classified["category"].reset_index(drop=True)
        return _unclassified(column, set(map(int, np.flatnonzero(~blank))), len(classified))
    return dict(classified.attrs.get("unclassified_by_category", {}))


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
