"""Planning standards as data: life-circle levels, facility types, shelter classes, the plan.

The package data (TOML files beside this module) hold what the compiled
sources say about 15-minute life circles (GB 50180-2018, TD/T 1062-2021), the
convenience life circle (商务部 2021/2023), health, elderly care, meal aid and
emergency shelters (GB 51143-2015, GB 21734-2008), and the main indicators of
Jilin province's 14th Five-Year community service plan (:func:`plan_indicators`).
Every number is a
:class:`Value` with its source and verification level (``verified_primary``,
``verified_secondary``, ``weak_secondary``, ``local``); where an analysis needs
a number no source gives, it is a documented ``default``, and every value can
be overridden by the user (verification ``user``).

Examples
--------
>>> from geoplan import standards
>>> t = standards.facility_type("社区卫生服务站")
>>> t.figures["min_building_area_m2"].value, t.figures["min_building_area_m2"].verification
(150.0, 'verified_primary')
>>> standards.facility_type("pharmacy").threshold_minutes
8.0
>>> standards.levels().loc["15min", "minutes"]
np.float64(15.0)
>>> standards.plan_indicators().loc["service_area_per_100_households", "target_2025"]
np.float64(30.0)
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import os
import tomllib
from collections.abc import Iterator, Mapping
from functools import lru_cache
from importlib import resources
from typing import Any

import pandas as pd

from geoplan._errors import ConfigError
from geoplan.standards._model import (
    Cutoff,
    FacilityType,
    LifeCircleLevel,
    OsmTags,
    Profile,
    ShelterClass,
    Source,
    Value,
    Verification,
    _Entry,
    parse_sources,
    parse_value,
)
from geoplan.standards._standards import Standards, read_package_data

__all__ = [
    "Cutoff",
    "FacilityType",
    "LifeCircleLevel",
    "OsmTags",
    "Profile",
    "ShelterClass",
    "Source",
    "Standards",
    "Value",
    "Verification",
    "current_standards",
    "facility_type",
    "facility_types",
    "level",
    "levels",
    "load_standards",
    "plan_facts",
    "plan_indicators",
    "search",
    "using_standards",
]


@lru_cache(maxsize=1)
def _package_standards() -> Standards:
    return Standards(read_package_data())


def load_standards(path: str | os.PathLike[str] | None = None) -> Standards:
    """Return the package's standards, with a user's overrides file applied if given.

    Parameters
    ----------
    path
        A TOML file of overrides (see :meth:`Standards.with_overrides`).

    Returns
    -------
    Standards

    Examples
    --------
    >>> std = load_standards()
    >>> len(std.all_types)
    51
    """
    standards = _package_standards()
    return standards if path is None else standards.with_overrides(path)


_ACTIVE: contextvars.ContextVar[Standards | None] = contextvars.ContextVar(
    "geoplan_standards", default=None
)


def current_standards() -> Standards:
    """Return the standards in force: a study's inside :func:`using_standards`, else the package's.

    A study's standards carry its own thresholds and its own facility types
    (their names and minutes); labels in its tables, maps and report come from
    them.

    Examples
    --------
    >>> current_standards() is load_standards()
    True
    """
    active = _ACTIVE.get()
    return active if active is not None else _package_standards()


@contextlib.contextmanager
def using_standards(standards: Standards) -> Iterator[Standards]:
    """Make ``standards`` the ones in force inside a ``with`` block (see :func:`current_standards`).

    Examples
    --------
    >>> own = load_standards().with_overrides({"facility": {"pharmacy": {"walk_minutes": 5}}})
    >>> with using_standards(own):
    ...     current_standards().facility_type("pharmacy").threshold_minutes
    5.0
    >>> current_standards().facility_type("pharmacy").threshold_minutes
    8.0
    """
    token = _ACTIVE.set(standards)
    try:
        yield standards
    finally:
        _ACTIVE.reset(token)


def facility_types(*, level: str | None = None, required: bool | None = None) -> pd.DataFrame:
    """Return the facility types of the package's standards (:meth:`Standards.facility_types`).

    Examples
    --------
    >>> facility_types(required=False).shape[0]
    10
    """
    return load_standards().facility_types(level=level, required=required)


def facility_type(key: str) -> FacilityType:
    """Return a facility type by id or name (:meth:`Standards.facility_type`).

    Examples
    --------
    >>> facility_type("kindergarten").service_radius_m
    300.0
    """
    return load_standards().facility_type(key)


def levels() -> pd.DataFrame:
    """Return the life-circle levels of the package's standards (:meth:`Standards.levels`).

    Examples
    --------
    >>> list(levels().index[:4])
    ['15min', '10min', '5min', 'block']
    """
    return load_standards().levels()


def level(key: str) -> LifeCircleLevel:
    """Return a life-circle level by id or name (:meth:`Standards.level`).

    Examples
    --------
    >>> level("village").profile
    'bike'
    """
    return load_standards().level(key)


def search(text: str) -> pd.DataFrame:
    """Find facility types by name, keyword or OSM tag (:meth:`Standards.search`).

    Examples
    --------
    >>> "community_canteen" in search("食堂").index
    True
    """
    return load_standards().search(text)


# ----------------------------------------------------------------- the plan's indicators
_INDICATOR_KEYS = (
    "number",
    "id",
    "name_zh",
    "name_en",
    "type",
    "scope",
    "unit",
    "comparison",
    "levels",
    "needs",
    "plan_baseline_2020",
    "plan_target_2025",
    "baseline_2020",
    "target_2025",
    "notes",
)
_INDICATOR_TYPES = ("expected", "binding")
_TYPE_ZH = {"expected": "预期性", "binding": "约束性"}
_SCOPES = ("rural", "urban", "all", "urban_towns")
_UNITS = ("share", "m2_per_100_households", "workers_per_10000", "workers_per_community")
_COMPARISONS = (">=", "==")
_AREA_LEVELS = ("community", "district", "study")


def plan_indicators() -> pd.DataFrame:
    """Return the main indicators of Jilin's 14th Five-Year community service plan.

    The eight indicators of the plan's table (主要指标) as package data
    (``indicators.toml``), each target and baseline a sourced number (source
    ``jilin_14th_plan``). :func:`geoplan.evaluate_indicators` measures them.

    Returns
    -------
    pandas.DataFrame
        Indexed by indicator id, in the plan's order: ``number``, ``name_zh``,
        ``name_en``, ``type`` (``expected`` 预期性 / ``binding`` 约束性),
        ``type_zh``, ``scope`` (``rural``, ``urban``, ``all``,
        ``urban_towns``), ``unit``, ``comparison`` (``">="`` or ``"=="``),
        ``levels`` and ``needs`` (tuples of area levels and register columns),
        ``plan_baseline_2020`` and ``plan_target_2025`` (the plan's cells,
        verbatim), ``baseline_2020`` (NaN where the plan gives "—") and
        ``target_2025`` as numbers in ``unit``, ``source``, ``verification``
        and ``notes``.

    Raises
    ------
    ConfigError
        The package data is malformed (a missing or unknown key, a number
        without a known source, a unit differing from the indicator's).

    Examples
    --------
    >>> table = plan_indicators()
    >>> row = table.loc["certified_workers_per_urban_community"]
    >>> row["number"], row["type"], row["target_2025"]
    (np.int64(8), 'binding', np.float64(3.0))
    >>> table["plan_target_2025"].tolist()[:4]
    ['100%', '100%', '≥10%', '≥30 m²']
    """
    return _plan_data()[0].copy()


def plan_facts() -> dict[str, Value]:
    """Return the plan's 2020 baseline facts that are not indicators, by name.

    Examples
    --------
    >>> str(plan_facts()["urban_facility_mean_area_m2"])
    '828 m2 [verified_secondary: jilin_14th_plan]'
    """
    return dict(_plan_data()[1])


@lru_cache(maxsize=1)
def _plan_data() -> tuple[pd.DataFrame, dict[str, Value]]:
    folder = resources.files("geoplan.standards")
    sources = parse_sources(
        tomllib.loads(folder.joinpath("sources.toml").read_text(encoding="utf-8"))["source"]
    )
    raw = tomllib.loads(folder.joinpath("indicators.toml").read_text(encoding="utf-8"))
    return _parse_plan(raw, sources)


def _parse_plan(
    raw: Mapping[str, Any], sources: Mapping[str, Source]
) -> tuple[pd.DataFrame, dict[str, Value]]:
    """Check and build the indicator table and the facts from ``indicators.toml`` data."""
    unknown = sorted(set(raw) - {"indicator", "fact"})
    if unknown:
        msg = f"indicators.toml: unknown section {unknown[0]!r}; sections: indicator, fact"
        raise ConfigError(msg)
    entries = raw.get("indicator")
    if not isinstance(entries, list) or not entries:
        msg = "indicators.toml needs a non-empty list of [[indicator]] tables"
        raise ConfigError(msg)
    rows = [_indicator_row(item, sources) for item in entries]
    for key in ("id", "number"):
        seen = [row[key] for row in rows]
        duplicated = sorted({str(v) for v in seen if seen.count(v) > 1})
        if duplicated:
            msg = f"indicators.toml: duplicate indicator {key} {duplicated[0]}; each must be unique"
            raise ConfigError(msg)
    facts = raw.get("fact", {})
    if not isinstance(facts, Mapping):
        msg = "indicators.toml: 'fact' must be a table of values ([fact.<name>])"
        raise ConfigError(msg)
    parsed = {str(k): parse_value(v, f"fact {k!r}", sources) for k, v in facts.items()}
    table = pd.DataFrame(rows).sort_values("number", kind="stable").set_index("id")
    return table, parsed


def _indicator_row(raw: object, sources: Mapping[str, Source]) -> dict[str, Any]:
    label = repr(raw.get("id", "?")) if isinstance(raw, Mapping) else "?"
    entry = _Entry(raw, f"indicator {label}", _INDICATOR_KEYS)
    number = entry.raw.get("number")
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise entry.fail("number", "a whole number from 1")
    unit = entry.choice("unit", _UNITS)
    levels = entry.texts("levels")
    if not levels or not set(levels) <= set(_AREA_LEVELS):
        raise entry.fail("levels", "a non-empty list of " + ", ".join(_AREA_LEVELS))
    needs = entry.texts("needs")
    if not needs:
        raise entry.fail("needs", "a non-empty list of register columns")
    values = {}
    for key in ("baseline_2020", "target_2025"):
        if key not in entry.raw and key == "baseline_2020":
            continue
        value = entry.value(key, sources)
        if value.unit != unit or isinstance(value.value, tuple):
            raise entry.fail(key, f"one number in the indicator's unit {unit!r}")
        values[key] = value
    target = values["target_2025"]
    baseline = values.get("baseline_2020")
    kind = entry.choice("type", _INDICATOR_TYPES)
    return {
        "id": entry.text("id"),
        "number": number,
        "name_zh": entry.text("name_zh"),
        "name_en": entry.text("name_en"),
        "type": kind,
        "type_zh": _TYPE_ZH[kind],
        "scope": entry.choice("scope", _SCOPES),
        "unit": unit,
        "comparison": entry.choice("comparison", _COMPARISONS),
        "levels": levels,
        "needs": needs,
        "plan_baseline_2020": entry.text("plan_baseline_2020"),
        "plan_target_2025": entry.text("plan_target_2025"),
        "baseline_2020": math.nan if baseline is None else baseline.low,
        "target_2025": target.low,
        "source": target.source,
        "verification": target.verification,
        "notes": entry.text("notes", default=""),
    }
