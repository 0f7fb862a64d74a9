"""Which road classes of a line file each travel profile may use.

A road line file names each line's class in one column. Three vocabularies
are understood, value by value (a file may mix them):

* OpenStreetMap ``highway`` values, and Geofabrik's ``fclass`` values (the same
  words, plus ``track_grade1``..``track_grade5``): decided by the profile
  filters of :mod:`geoplan.sources._profiles`, with the access tags the file
  carries as columns (``foot``, ``access``, ``motorroad``...);
* Chinese classes: CJJ 37-2012's 快速路, 主干路, 次干路, 支路, highway grades
  (高速公路...), and the bureaus' words for lanes, estate roads, footways and
  cycle tracks, from the table ``geoplan/standards/road_classes.toml``, whose
  every row names its source and verification;
* anything else, or a blank cell, is an unknown class: kept (or left out,
  as the caller chooses) and counted, so that the caller can warn.

Examples
--------
>>> table = road_class_table()
>>> table.lookup("主干道").id, table.lookup("Ⅱ级主干路").id, table.lookup("快速路").walk
('arterial', 'arterial', False)
>>> decide(["支路", "快速路", "footway", "景观路"], profile="walk").tolist()
['yes', 'no', 'yes', 'unknown']
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from geoplan._errors import ConfigError
from geoplan.sources._profiles import PROFILES, way_filter

__all__ = ["RoadClass", "RoadClassTable", "decide", "normalize_class", "road_class_table"]

_DATA = "road_classes.toml"
_FIELDS = frozenset({"id", "name_zh", "names", "walk", "bike", "drive", "source", "note"})
# Grade marks around a class (Ⅰ级主干路, 主干路Ⅱ级, 主干路(一级)...), stripped when no name matches.
_MARK = r"[（(]?(?:[\u2160-\u2163IV]+|[一二三四])级[）)]?"
_GRADE = re.compile(f"^{_MARK}|{_MARK}$")
_SPACES = re.compile(r"[\s\u3000]+")


@dataclass(frozen=True)
class RoadClass:
    """One class of the table: its names and which profiles may use it."""

    id: str
    name_zh: str
    names: tuple[str, ...]
    walk: bool
    bike: bool
    drive: bool
    source: str
    verification: str
    note: str

    def allows(self, profile: str) -> bool:
        """Return whether the profile (walk, bike, drive) may use roads of this class."""
        return bool(getattr(self, profile))


@dataclass(frozen=True)
class RoadClassTable:
    """The road classes of the package data, by every name they are written with."""

    classes: tuple[RoadClass, ...]
    by_name: Mapping[str, RoadClass]
    osm_not_roads: frozenset[str]
    osm_aliases: Mapping[str, str]

    def lookup(self, value: object) -> RoadClass | None:
        """Return the class a cell names (spaces and grade marks ignored), or None."""
        text = normalize_class(value)
        if not text:
            return None
        found = self.by_name.get(text)
        if found is None:
            stripped = _GRADE.sub("", text)
            found = self.by_name.get(stripped) if stripped else None
        return found


def normalize_class(value: object) -> str:
    """Return a class cell as text without spaces (full-width too); ``""`` for a blank cell."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _SPACES.sub("", str(value))


@lru_cache(maxsize=1)
def road_class_table() -> RoadClassTable:
    """Read and check ``geoplan/standards/road_classes.toml``.

    Raises
    ------
    ConfigError
        The package data is malformed (an unknown field or source, a name
        given to two classes).
    """
    text = resources.files("geoplan.standards").joinpath(_DATA).read_text(encoding="utf-8")
    return _parse(tomllib.loads(text))


def _parse(data: Mapping[str, Any]) -> RoadClassTable:
    sources = {s["id"]: s["verification"] for s in data["source"]}
    classes: list[RoadClass] = []
    by_name: dict[str, RoadClass] = {}
    for entry in data["road_class"]:
        unknown = set(entry) - _FIELDS
        if unknown or entry.get("source") not in sources:
            msg = (
                f"{_DATA}: road class {entry.get('id')!r} has unknown fields {sorted(unknown)} "
                f"or an unknown source {entry.get('source')!r}"
            )
            raise ConfigError(msg)
        road = RoadClass(
            id=entry["id"],
            name_zh=entry["name_zh"],
            names=tuple(normalize_class(n) for n in entry["names"]),
            walk=bool(entry["walk"]),
            bike=bool(entry["bike"]),
            drive=bool(entry["drive"]),
            source=entry["source"],
            verification=sources[entry["source"]],
            note=entry.get("note", ""),
        )
        for name in road.names:
            if name in by_name:
                msg = f"{_DATA}: {name!r} names both {by_name[name].id!r} and {road.id!r}"
                raise ConfigError(msg)
            by_name[name] = road
        classes.append(road)
    osm = data.get("osm", {})
    return RoadClassTable(
        classes=tuple(classes),
        by_name=by_name,
        osm_not_roads=frozenset(osm.get("not_roads", ())),
        osm_aliases=dict(osm.get("aliases", {})),
    )


def _osm_values() -> frozenset[str]:
    """Every OSM highway value some profile may use."""
    values: set[str] = set()
    for rules in PROFILES.values():
        values |= rules.highway | rules.permitted_highway
    return frozenset(values)


def decide(
    values: Sequence[object] | pd.Series[Any],
    *,
    profile: str,
    tags: pd.DataFrame | None = None,
) -> NDArray[np.str_]:
    """Decide, line by line, whether a profile may use a road of this class.

    Parameters
    ----------
    values
        The class cell of each line.
    profile
        ``"walk"``, ``"bike"`` or ``"drive"``.
    tags
        OSM access columns of the same lines (``foot``, ``access``,
        ``motorroad``...), used for OSM classes; optional.

    Returns
    -------
    numpy.ndarray of str
        ``"yes"``, ``"no"`` or ``"unknown"`` (a class none of the
        vocabularies knows, or a blank cell) per line.
    """
    rules = way_filter(profile)
    table = road_class_table()
    osm = _osm_values()
    cells = list(values)
    extra = tags.to_dict("records") if tags is not None and len(tags.columns) else None
    out = np.empty(len(cells), dtype="<U7")
    for i, cell in enumerate(cells):
        text = normalize_class(cell)
        word = table.osm_aliases.get(text.lower(), text.lower())
        if word in osm:
            row = {"highway": word}
            if extra is not None:
                row.update({str(k): str(v) for k, v in extra[i].items() if normalize_class(v)})
            out[i] = "yes" if rules.accepts(row) else "no"
        elif word in table.osm_not_roads:
            out[i] = "no"
        else:
            found = table.lookup(text)
            out[i] = "unknown" if found is None else "yes" if found.allows(profile) else "no"
    return out


def osm_tag_columns(columns: Sequence[str], profile: str) -> list[str]:
    """Return the columns that are OSM access tags the profile's filter reads."""
    rules = way_filter(profile)
    keys = set(rules.access_keys) | set(rules.excluded)
    return [c for c in columns if c in keys]
