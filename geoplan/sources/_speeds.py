"""One-way streets and driving speeds, from OSM tags or the columns of a road line file.

* :func:`oneway_codes` turns ``oneway`` tags (and what implies them) into the
  codes of :attr:`geoplan.Network.oneway`: ``1`` travel only in the way's
  direction, ``-1`` only against it, ``0`` both ways. Following the OSM wiki
  (Key:oneway, Tag:oneway=-1, Key:junction): ``yes``/``true``/``1`` are one-way,
  ``-1``/``reverse`` one-way against the way, ``no``/``false``/``0`` two-way;
  ``junction=roundabout|circular`` and ``highway=motorway|motorway_link`` imply
  one-way unless ``oneway=no`` says otherwise (as OSRM's car profile reads
  them). ``reversible`` and ``alternating`` ways (one direction at a time)
  count as two-way. Cyclists follow ``oneway:bicycle`` where the way has it
  (``no``: both ways on a one-way street) and ride both ways where
  ``cycleway=opposite*`` marks a contraflow lane. Walking is never one-way.
  Road line files say the same with words such as 单行/单向/是 (one-way),
  反向 (against the line) and 双向/否 (two-way).
* :func:`edge_speeds` gives each driving edge a speed: its speed limit
  (:func:`parse_maxspeed`: km/h, ``mph``, ``knots``, zone values such as
  ``CN:urban``) times a factor, else its road class's default, else the
  profile's speed; every figure comes from ``geoplan/standards/road_speeds.toml``
  with its source and verification (:func:`speed_table`).

Examples
--------
>>> oneway_codes(["yes", None, "-1", "no", None], junction=[None, "roundabout", None,
...              "roundabout", None], profile="drive").tolist()
[1, 1, -1, 0, 0]
>>> parse_maxspeed(["50", "30 mph", "CN:urban", "60;80", "signals"]).round(2).tolist()
[50.0, 48.28, 30.0, 60.0, nan]
>>> found = edge_speeds(["primary", "主干路", "footway"], ["60", None, None])
>>> (found.speed_m_s * 3.6).round(1).tolist(), found.source.tolist()
([48.0, 40.0, 30.0], ['maxspeed', 'class', 'default'])
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from geoplan._errors import ConfigError, InputError
from geoplan.settings import settings
from geoplan.sources._road_classes import normalize_class, road_class_table

__all__ = [
    "TRAVEL_TAGS",
    "EdgeSpeeds",
    "SpeedTable",
    "Travel",
    "edge_speeds",
    "oneway_codes",
    "parse_maxspeed",
    "speed_table",
    "travel_columns",
]

_DATA = "road_speeds.toml"
_VERIFICATION = frozenset({"verified_primary", "verified_secondary", "weak_secondary", "default"})

#: Tag values (and line-file words) that make a way one-way along its direction.
ONEWAY_YES = frozenset(
    {"yes", "true", "1", "t", "y", "是", "单行", "单向", "单行道", "正向", "顺向"}
)
#: ... one-way against its direction.
ONEWAY_REVERSE = frozenset({"-1", "reverse", "反向", "逆向"})
#: ... two-way, also where something else implies one-way.
ONEWAY_NO = frozenset({"no", "false", "0", "f", "n", "否", "双向", "双行", "非单行"})
#: junction values that imply one-way (OSM wiki Key:junction).
ONEWAY_JUNCTIONS = frozenset({"roundabout", "circular"})
#: highway values that imply one-way (OSM wiki Key:oneway: "highway=motorway and others").
ONEWAY_HIGHWAYS = frozenset({"motorway", "motorway_link"})
#: cycleway values of a contraflow lane: cyclists ride both ways (OSM wiki Key:cycleway).
CONTRAFLOW = frozenset({"opposite", "opposite_lane", "opposite_track", "opposite_share_busway"})

_NUMBER = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(km/h|kmh|kph|mph|knots)?$")
_ZONE = re.compile(r"^([a-z]{2}(?:-[a-z0-9]+)?):([a-z_0-9]+)$", re.IGNORECASE)
#: Speed limits above this (km/h) are taken for typing errors and not used.
MAX_PLAUSIBLE_KMH = 300.0


# ----------------------------------------------------------------- one-way streets
def _words(values: Sequence[object] | pd.Series[Any] | NDArray[Any] | None, n: int) -> pd.Series:
    """Cells as lower-case text without spaces ("" for blanks; 1.0 reads as "1")."""
    if values is None:
        return pd.Series([""] * n, dtype=object)
    cells = list(values)
    if len(cells) != n:
        msg = f"got {len(cells)} tag values for {n} ways; give one per way (None where untagged)"
        raise InputError(msg)
    return pd.Series([normalize_class(c).casefold() for c in cells], dtype=object)


def oneway_codes(
    oneway: Sequence[object] | pd.Series[Any] | NDArray[Any],
    *,
    junction: Sequence[object] | pd.Series[Any] | NDArray[Any] | None = None,
    highway: Sequence[object] | pd.Series[Any] | NDArray[Any] | None = None,
    oneway_bicycle: Sequence[object] | pd.Series[Any] | NDArray[Any] | None = None,
    cycleway: Sequence[object] | pd.Series[Any] | NDArray[Any] | None = None,
    profile: str = "drive",
) -> NDArray[np.int8]:
    """Return the one-way code of each way: 1 along it, -1 against it, 0 both ways.

    Parameters
    ----------
    oneway
        The ``oneway`` tag (or a line file's one-way cell) of each way; None
        where it has none.
    junction, highway
        The ``junction`` and ``highway`` tags, where the reader has them:
        roundabouts and motorways are one-way unless ``oneway=no``.
    oneway_bicycle, cycleway
        The ``oneway:bicycle`` and ``cycleway`` tags, read for cycling only.
    profile
        ``"walk"`` (never one-way), ``"bike"`` or ``"drive"``.

    Returns
    -------
    numpy.ndarray of int8
    """
    n = len(oneway)
    if profile == "walk":
        return np.zeros(n, dtype=np.int8)
    tag = _words(oneway, n)
    implied = _words(junction, n).isin(ONEWAY_JUNCTIONS) | _words(highway, n).isin(ONEWAY_HIGHWAYS)
    codes = np.where(implied.to_numpy(), 1, 0).astype(np.int8)
    codes[tag.isin(ONEWAY_YES).to_numpy()] = 1
    codes[tag.isin(ONEWAY_REVERSE).to_numpy()] = -1
    codes[tag.isin(ONEWAY_NO).to_numpy()] = 0
    if profile == "bike":
        codes[_words(cycleway, n).isin(CONTRAFLOW).to_numpy()] = 0
        own = _words(oneway_bicycle, n)
        codes[own.isin(ONEWAY_YES).to_numpy()] = 1
        codes[own.isin(ONEWAY_REVERSE).to_numpy()] = -1
        codes[own.isin(ONEWAY_NO).to_numpy()] = 0
    return codes


# ----------------------------------------------------------------- the speed table
@dataclass(frozen=True)
class SpeedRule:
    """One figure of the speed table: km/h (or a factor), source, verification, note."""

    value: float
    source: str
    verification: str
    note: str = ""


@dataclass(frozen=True)
class SpeedTable:
    """The figures of ``road_speeds.toml``, with a study's changes.

    Attributes
    ----------
    factor : SpeedRule
        Share of a speed limit a trip averages.
    zones : mapping of str to SpeedRule
        Zone values of maxspeed (``CN:urban``...) in km/h, keys upper-cased.
    osm : mapping of str to SpeedRule
        Default km/h of OSM highway values.
    classes : mapping of str to SpeedRule
        Default km/h of the road classes of ``road_classes.toml``, by id.
    mph_kmh, knots_kmh : float
        Units of speed limits in km/h.
    """

    factor: SpeedRule
    zones: Mapping[str, SpeedRule]
    osm: Mapping[str, SpeedRule]
    classes: Mapping[str, SpeedRule]
    mph_kmh: float
    knots_kmh: float

    def class_rule(self, value: object) -> SpeedRule | None:
        """Return the default of a road class cell (OSM value or Chinese class), or None."""
        text = normalize_class(value)
        if not text:
            return None
        table = road_class_table()
        word = table.osm_aliases.get(text.lower(), text.lower())
        if word in self.osm:
            return self.osm[word]
        found = table.lookup(text)
        return None if found is None else self.classes.get(found.id)

    def with_changes(
        self,
        class_speeds_kmh: Mapping[str, float] | None = None,
        maxspeed_factor: float | None = None,
    ) -> SpeedTable:
        """Return the table with a study's class speeds (km/h) and speed-limit factor.

        Keys of ``class_speeds_kmh`` are OSM highway values (``primary``), road
        class ids (``arterial``) or any name of a class (``主干路``, ``主干道``).
        """
        table = self
        if maxspeed_factor is not None:
            factor = _checked(maxspeed_factor, "maxspeed_factor", upper=1.0)
            table = replace(table, factor=SpeedRule(factor, "user", "user"))
        if not class_speeds_kmh:
            return table
        osm, classes = dict(table.osm), dict(table.classes)
        for key, kmh in class_speeds_kmh.items():
            rule = SpeedRule(_checked(kmh, f"class_speeds_kmh[{key!r}]"), "user", "user")
            word = normalize_class(key).lower()
            found = road_class_table().lookup(key)
            if word in osm or word in _osm_highways():
                osm[word] = rule
            elif found is not None:
                classes[found.id] = rule
            elif word in {c.id for c in road_class_table().classes}:
                classes[word] = rule
            else:
                msg = (
                    f"class_speeds_kmh names {key!r}, which is neither an OSM highway value "
                    "(primary, residential...) nor a road class of "
                    "geoplan/standards/road_classes.toml (主干路, 次干路, 支路, 街巷...); "
                    "spell it as one of them"
                )
                raise InputError(msg)
        return replace(table, osm=MappingProxyType(osm), classes=MappingProxyType(classes))


def _checked(value: object, what: str, *, upper: float = MAX_PLAUSIBLE_KMH) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        number = math.nan
    if not (math.isfinite(number) and 0 < number <= upper):
        msg = f"{what} = {value!r} must be a positive number no larger than {upper:g}"
        raise InputError(msg)
    return number


def _osm_highways() -> frozenset[str]:
    from geoplan.sources._profiles import PROFILES

    return frozenset(PROFILES["drive"].highway)


@lru_cache(maxsize=1)
def speed_table() -> SpeedTable:
    """Read and check ``geoplan/standards/road_speeds.toml``.

    Raises
    ------
    ConfigError
        The package data is malformed (an unknown source, class or
        verification, a speed that is not a positive number).
    """
    text = resources.files("geoplan.standards").joinpath(_DATA).read_text(encoding="utf-8")
    return _parse(tomllib.loads(text))


def _rule(entry: Mapping[str, Any], key: str, sources: Mapping[str, str]) -> SpeedRule:
    value = entry.get(key)
    source, verification = entry.get("source"), entry.get("verification")
    if (
        source not in sources
        or verification not in _VERIFICATION
        or not isinstance(value, int | float)
        or not value > 0
    ):
        msg = (
            f"{_DATA}: entry {dict(entry)!r} needs a positive {key}, a known source and a "
            f"verification among {sorted(_VERIFICATION)}"
        )
        raise ConfigError(msg)
    return SpeedRule(float(value), str(source), str(verification), str(entry.get("note", "")))


def _parse(data: Mapping[str, Any]) -> SpeedTable:
    sources = {s["id"]: s["verification"] for s in data["source"]}
    known = {c.id for c in road_class_table().classes}
    osm: dict[str, SpeedRule] = {}
    classes: dict[str, SpeedRule] = {}
    for entry in data["speed"]:
        rule = _rule(entry, "drive_kmh", sources)
        if "osm" in entry:
            osm[str(entry["osm"])] = rule
        elif entry.get("class") in known:
            classes[str(entry["class"])] = rule
        else:
            msg = f"{_DATA}: speed entry {dict(entry)!r} names no OSM value or known class id"
            raise ConfigError(msg)
    limits = data["maxspeed"]
    return SpeedTable(
        factor=_rule(limits, "factor", sources),
        zones=MappingProxyType(
            {str(z["value"]).upper(): _rule(z, "kmh", sources) for z in data["zone"]}
        ),
        osm=MappingProxyType(osm),
        classes=MappingProxyType(classes),
        mph_kmh=float(limits["mph_kmh"]),
        knots_kmh=float(limits["knots_kmh"]),
    )


# ----------------------------------------------------------------- speed limits
def parse_maxspeed(
    values: Sequence[object] | pd.Series[Any] | NDArray[Any], table: SpeedTable | None = None
) -> NDArray[np.float64]:
    """Read speed limits as km/h; NaN where a cell gives no number.

    ``50`` is km/h (OSM's default unit); ``50 mph`` and ``10 knots`` are
    converted; ``CN:urban``-style zone values take the table's figure; of
    several values (``60;80``) the lowest counts; ``none``, ``signals``,
    ``walk``, ``variable``, unknown zones and figures above
    :data:`MAX_PLAUSIBLE_KMH` give NaN (the class default is used instead).

    Parameters
    ----------
    values
        One cell per way (OSM ``maxspeed``, or a line file's limit column).
    table
        The speed table; :func:`speed_table` when omitted.

    Returns
    -------
    numpy.ndarray of float
    """
    table = table or speed_table()
    cells = pd.Series(list(values), dtype=object)
    unique = pd.unique(cells)
    read = {cell: _limit(cell, table) for cell in unique if not _blank(cell)}
    return np.array([read.get(c, math.nan) if not _blank(c) else math.nan for c in cells])


def _blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, float) and math.isnan(cell))


def _limit(cell: object, table: SpeedTable) -> float:
    """One cell's speed limit in km/h, or NaN."""
    if isinstance(cell, int | float | np.integer | np.floating) and not isinstance(cell, bool):
        return _plausible(float(cell))
    found = [_one_limit(part.strip(), table) for part in str(cell).split(";")]
    numbers = [f for f in found if not math.isnan(f)]
    return min(numbers) if numbers else math.nan


def _one_limit(text: str, table: SpeedTable) -> float:
    zone = _ZONE.match(text)
    if zone:
        rule = table.zones.get(text.upper())
        return rule.value if rule is not None else math.nan
    match = _NUMBER.match(text.casefold().replace("km/hr", "km/h"))
    if not match:
        return math.nan
    number = float(match.group(1).replace(",", "."))
    unit = match.group(2)
    if unit == "mph":
        number *= table.mph_kmh
    elif unit == "knots":
        number *= table.knots_kmh
    return _plausible(number)


def _plausible(kmh: float) -> float:
    return kmh if math.isfinite(kmh) and 0 < kmh <= MAX_PLAUSIBLE_KMH else math.nan


# ----------------------------------------------------------------- speeds of edges
@dataclass(frozen=True)
class EdgeSpeeds:
    """Driving speed of each way and where it came from.

    Attributes
    ----------
    speed_m_s : numpy.ndarray
        Metres per second.
    source : numpy.ndarray of str
        ``"maxspeed"`` (a speed limit times the factor), ``"class"`` (the
        road class's default) or ``"default"`` (the profile's speed: no
        limit and no known class).
    """

    speed_m_s: NDArray[np.float64]
    source: NDArray[np.str_]

    def shares(self) -> dict[str, float]:
        """Share of the ways whose speed came from each source."""
        n = max(len(self.source), 1)
        return {k: float((self.source == k).sum() / n) for k in ("maxspeed", "class", "default")}


def edge_speeds(
    classes: Sequence[object] | pd.Series[Any] | NDArray[Any] | None,
    maxspeed: Sequence[object] | pd.Series[Any] | NDArray[Any] | None,
    *,
    class_speeds_kmh: Mapping[str, float] | None = None,
    maxspeed_factor: float | None = None,
    default_m_s: float | None = None,
) -> EdgeSpeeds:
    """Give each driving way a speed: its limit, else its class's default, else the profile's.

    Parameters
    ----------
    classes
        The road class of each way: an OSM highway value or a class of
        ``road_classes.toml`` (主干路...); None when there is no class.
    maxspeed
        The speed limit of each way (see :func:`parse_maxspeed`); None when
        there is none.
    class_speeds_kmh, maxspeed_factor
        A study's changes to the table (see :meth:`SpeedTable.with_changes`).
    default_m_s
        Speed of ways with neither; ``settings.drive_speed_m_s`` by default.

    Returns
    -------
    EdgeSpeeds
    """
    n = len(classes) if classes is not None else len(maxspeed) if maxspeed is not None else 0
    table = speed_table().with_changes(class_speeds_kmh, maxspeed_factor)
    fallback = float(settings.drive_speed_m_s if default_m_s is None else default_m_s)
    kmh = np.full(n, math.nan)
    source = np.full(n, "default", dtype="<U8")
    if classes is not None:
        cells = pd.Series(list(classes), dtype=object)
        found = {c: table.class_rule(c) for c in pd.unique(cells) if not _blank(c)}
        defaults = {c: rule.value for c, rule in found.items() if rule is not None}
        by_class = np.array([math.nan if _blank(c) else defaults.get(c, math.nan) for c in cells])
        known = ~np.isnan(by_class) if n else np.zeros(0, dtype=bool)
        kmh[known] = by_class[known]
        source[known] = "class"
    if maxspeed is not None:
        limit = parse_maxspeed(maxspeed, table) * table.factor.value
        tagged = ~np.isnan(limit)
        kmh[tagged] = limit[tagged]
        source[tagged] = "maxspeed"
    speed = np.where(np.isnan(kmh), fallback, kmh / 3.6)
    return EdgeSpeeds(speed_m_s=speed.astype(np.float64), source=source)


# ----------------------------------------------------------------- a reader's edges
#: OSM tags the readers carry onto the edges for :func:`travel_columns`.
TRAVEL_TAGS = ("highway", "oneway", "junction", "maxspeed", "oneway:bicycle", "cycleway")


@dataclass(frozen=True)
class Travel:
    """What a reader hands the network about directions and speeds (None: not used)."""

    oneway: NDArray[np.int8] | None
    speed_m_s: NDArray[np.float64] | None
    speed_source: NDArray[np.str_] | None

    def edge_attrs(self) -> pd.DataFrame | None:
        """Return the ``speed_source`` edge attribute, when speeds were given."""
        if self.speed_source is None:
            return None
        return pd.DataFrame({"speed_source": self.speed_source})


def travel_columns(
    edges: pd.DataFrame,
    profile: str,
    *,
    oneway: bool = True,
    speeds: bool = True,
    class_speeds_kmh: Mapping[str, float] | None = None,
    maxspeed_factor: float | None = None,
    default_m_s: float | None = None,
) -> Travel:
    """One-way codes and speeds of a reader's edges, from their OSM tag columns.

    Parameters
    ----------
    edges
        One row per edge, running from ``u`` to ``v`` in the way's direction,
        with any of the columns :data:`TRAVEL_TAGS` (missing ones count as
        untagged; ``oneway:bicycle`` is also looked up in a pyrosm ``tags``
        column).
    profile
        ``"walk"``: neither; ``"bike"``: one-way streets (cyclists' rules);
        ``"drive"``: one-way streets and speeds.
    oneway, speeds
        Turn either off (``False``): every edge two-way, one speed.
    class_speeds_kmh, maxspeed_factor, default_m_s
        As for :func:`edge_speeds`.

    Returns
    -------
    Travel
    """
    n = len(edges)

    def column(name: str) -> pd.Series | None:
        if name in edges.columns:
            return edges[name].map(lambda c: _one_value(c, join=name == "maxspeed"))
        if name == "oneway:bicycle" and "tags" in edges.columns:
            return edges["tags"].map(lambda t: _extra_tag(t, name))
        return None

    codes = None
    if oneway and profile in ("bike", "drive"):
        tag = column("oneway")
        codes = oneway_codes(
            tag if tag is not None else [None] * n,
            junction=column("junction"),
            highway=column("highway"),
            oneway_bicycle=column("oneway:bicycle"),
            cycleway=column("cycleway"),
            profile=profile,
        )
    if not (speeds and profile == "drive"):
        return Travel(codes, None, None)
    highway = column("highway")
    found = edge_speeds(
        highway if highway is not None else [None] * n,
        column("maxspeed"),
        class_speeds_kmh=class_speeds_kmh,
        maxspeed_factor=maxspeed_factor,
        default_m_s=default_m_s,
    )
    return Travel(codes, found.speed_m_s, found.source)


def _one_value(cell: object, *, join: bool) -> object:
    """Return a tag cell as one value; NaN is no tag.

    osmnx merges the tags of simplified ways into lists: speed limits are
    joined (``60;80``, whose lowest counts), of other tags the first counts.
    """
    if isinstance(cell, list | tuple | np.ndarray):
        values = [c for c in cell if not _blank(c)]
        if not values:
            return None
        return ";".join(str(c) for c in values) if join else values[0]
    return None if _blank(cell) else cell


def _extra_tag(tags: object, key: str) -> object:
    """Return a tag from pyrosm's ``tags`` column (a JSON text or a dict), or None."""
    if isinstance(tags, dict):
        return tags.get(key)
    if not isinstance(tags, str) or key not in tags:
        return None
    try:
        parsed = json.loads(tags)
    except ValueError:
        return None
    return parsed.get(key) if isinstance(parsed, dict) else None
