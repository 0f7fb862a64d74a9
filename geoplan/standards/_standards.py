"""The :class:`Standards` object: levels, facility types, shelter classes and their sources."""

from __future__ import annotations

import copy
import difflib
import math
import os
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from importlib import resources
from typing import Any, Protocol, TypeVar

import pandas as pd

from geoplan._errors import ConfigError, InputError
from geoplan.standards._model import (
    FacilityType,
    LifeCircleLevel,
    ShelterClass,
    Source,
    Value,
    parse_facility,
    parse_level,
    parse_parameters,
    parse_shelter_class,
    parse_sources,
    parse_table,
)
from geoplan.standards._overrides import apply_overrides, read_overrides

__all__ = ["DATA_FILES", "Standards", "read_package_data"]

#: The package data files, read in this order and merged.
DATA_FILES = ("sources.toml", "levels.toml", "facilities.toml", "shelters.toml", "parameters.toml")

# separators of name parts: / ( ) , and their full-width forms, and the enumeration comma
_NAME_PARTS = re.compile(r"[/()\uff0f\uff08\uff09\u3001,\uff0c]+")


class _Named(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def name_zh(self) -> str: ...
    @property
    def name_en(self) -> str: ...


_N = TypeVar("_N", bound=_Named)


def read_package_data() -> dict[str, Any]:
    """Return the raw standards data: the package's TOML files merged into one dict."""
    folder = resources.files("geoplan.standards")
    data: dict[str, Any] = {}
    for name in DATA_FILES:
        data.update(tomllib.loads(folder.joinpath(name).read_text(encoding="utf-8")))
    return data


class Standards:
    """Planning standards: life-circle levels, facility types, shelter classes, sources.

    Build it with :func:`geoplan.standards.load_standards` (the package data,
    optionally with a user's overrides); ``Standards(data)`` takes raw data of
    the same shape as the package's TOML files merged into one dict.

    Parameters
    ----------
    data
        ``{"source": [...], "level": [...], "facility": [...],
        "shelter_class": [...], "parameter": {...}}``.

    Raises
    ------
    ConfigError
        Malformed data: a missing or unknown key, a number without a known
        source, a verification differing from its source's, an unknown level.

    Examples
    --------
    >>> from geoplan.standards import load_standards
    >>> std = load_standards()
    >>> std.facility_type("药店").threshold_minutes
    8.0
    >>> std.level("10min").distance_m.value
    500.0
    """

    def __init__(self, data: Mapping[str, Any]) -> None:
        missing = [key for key in ("source", "level", "facility") if key not in data]
        if missing:
            msg = f"standards data lacks {', '.join(missing)}; it needs source, level, facility"
            raise ConfigError(msg)
        self._data = copy.deepcopy(dict(data))
        sources = parse_sources(data["source"])
        levels = parse_table(data["level"], "level", lambda raw: parse_level(raw, sources))
        self._sources: dict[str, Source] = sources
        self._levels: dict[str, LifeCircleLevel] = levels
        self._types: dict[str, FacilityType] = parse_table(
            data["facility"], "facility", lambda raw: parse_facility(raw, levels, sources)
        )
        self._shelters: dict[str, ShelterClass] = parse_table(
            data.get("shelter_class", []),
            "shelter_class",
            lambda raw: parse_shelter_class(raw, sources),
        )
        self._parameters: dict[str, Value] = parse_parameters(data.get("parameter", {}), sources)

    def __repr__(self) -> str:
        return (
            f"Standards({len(self._types)} facility types, {len(self._levels)} levels, "
            f"{len(self._shelters)} shelter classes)"
        )

    # ------------------------------------------------------------ objects
    @property
    def all_types(self) -> tuple[FacilityType, ...]:
        """Every facility type, in the order of the data."""
        return tuple(self._types.values())

    @property
    def all_levels(self) -> tuple[LifeCircleLevel, ...]:
        """Every life-circle level, in the order of the data."""
        return tuple(self._levels.values())

    def facility_type(self, key: str, *, exact: bool = False) -> FacilityType:
        """Return a facility type by id, Chinese name or English name.

        Parameters
        ----------
        key
            The id, the Chinese or English name or one of its parts (case and
            ``_``/``-``/space differences ignored); unless ``exact``, also a
            text found in only one type's id, names or name keywords.
        exact
            Accept only whole ids and names.

        Returns
        -------
        FacilityType

        Raises
        ------
        InputError
            No type matches (the message lists close matches), or the text
            matches several (the message lists them).

        Examples
        --------
        >>> from geoplan.standards import load_standards
        >>> std = load_standards()
        >>> std.facility_type("Community health service station").id
        'community_health_station'
        >>> std.facility_type("老年食堂").id
        'community_canteen'
        """
        return _find(
            self.all_types,
            key,
            what="facility type",
            loose=None if exact else (lambda t: (t.id, t.name_zh, t.name_en, *t.keywords)),
            listing="geoplan.standards.facility_types() lists them all",
        )

    def level(self, key: str) -> LifeCircleLevel:
        """Return a life-circle level by id or name (or a unique part of one).

        Examples
        --------
        >>> from geoplan.standards import load_standards
        >>> load_standards().level("居住街坊").minutes.verification
        'default'
        """
        return _find(
            self.all_levels,
            key,
            what="life-circle level",
            loose=lambda lv: (lv.id, lv.name_zh, lv.name_en),
            listing="geoplan.standards.levels() lists them all",
        )

    def types_of_level(self, level: str) -> list[FacilityType]:
        """Return the facility types of a level (id or name).

        Examples
        --------
        >>> from geoplan.standards import load_standards
        >>> [t.id for t in load_standards().types_of_level("block")]
        ['block_central_green', 'children_elderly_playground']
        """
        wanted = self.level(level).id
        return [t for t in self.all_types if t.level.id == wanted]

    def shelter_class(self, key: str) -> ShelterClass:
        """Return an emergency-shelter class by id or name (or a unique part of one).

        Examples
        --------
        >>> from geoplan.standards import load_standards
        >>> load_standards().shelter_class("中心避难场所").figures["max_service_population"].value
        500000.0
        """
        return _find(
            tuple(self._shelters.values()),
            key,
            what="shelter class",
            loose=lambda s: (s.id, s.name_zh, s.name_en),
            listing="Standards.shelter_classes() lists them all",
        )

    @property
    def parameters(self) -> dict[str, Value]:
        """Every analysis parameter (documented defaults the standards do not give), by name."""
        return dict(self._parameters)

    def parameter(self, name: str) -> Value:
        """Return an analysis parameter (e.g. ``missing_below_share``).

        Examples
        --------
        >>> from geoplan.standards import load_standards
        >>> load_standards().parameter("missing_below_share").verification
        'default'
        """
        try:
            return self._parameters[name]
        except KeyError:
            msg = f"unknown parameter {name!r}; parameters: {', '.join(sorted(self._parameters))}"
            raise InputError(msg) from None

    # ------------------------------------------------------------ tables
    def facility_types(
        self, *, level: str | None = None, required: bool | None = None
    ) -> pd.DataFrame:
        """Return one row per facility type, indexed by its id.

        Parameters
        ----------
        level
            Only the types of this level (id or name).
        required
            Only required (True) or optional (False) types.

        Returns
        -------
        pandas.DataFrame
            ``name_zh``, ``name_en``, ``level``, ``profile``, ``required``,
            ``required_status``, ``threshold_minutes`` with its
            ``threshold_basis`` (own figure / from level),
            ``threshold_verification`` and ``threshold_source``,
            ``service_radius_m`` with ``radius_verification``, and ``figures``
            (the other numbers, as text).

        Examples
        --------
        >>> from geoplan.standards import load_standards
        >>> table = load_standards().facility_types(level="5min")
        >>> table.loc["kindergarten", "service_radius_m"]
        np.float64(300.0)
        """
        types = self.all_types
        if level is not None:
            level_id = self.level(level).id
            types = tuple(t for t in types if t.level.id == level_id)
        if required is not None:
            types = tuple(t for t in types if t.required is bool(required))
        rows = [_type_row(t) for t in types]
        return pd.DataFrame(rows, columns=_TYPE_COLUMNS).set_index("facility_type")

    def levels(self) -> pd.DataFrame:
        """Return one row per life-circle level, indexed by its id.

        Returns
        -------
        pandas.DataFrame
            ``name_zh``, ``name_en``, ``setting`` (urban/rural), ``profile``,
            ``minutes`` (threshold) with ``minutes_verification`` and
            ``minutes_source``, ``distance_m_min``/``_max`` and
            ``population_min``/``_max`` (NaN where no source gives them),
            ``n_facility_types`` and ``figures`` (all numbers, as text).

        Examples
        --------
        >>> from geoplan.standards import load_standards
        >>> load_standards().levels().loc["10min", "distance_m_max"]
        np.float64(500.0)
        """
        counts = pd.Series([t.level.id for t in self.all_types]).value_counts()
        rows = [_level_row(lv, int(counts.get(lv.id, 0))) for lv in self.all_levels]
        return pd.DataFrame(rows).set_index("level")

    def shelter_classes(self) -> pd.DataFrame:
        """Return one row per emergency-shelter class, indexed by its id.

        Examples
        --------
        >>> from geoplan.standards import load_standards
        >>> len(load_standards().shelter_classes())
        9
        """
        rows = [
            {
                "shelter_class": s.id,
                "name_zh": s.name_zh,
                "name_en": s.name_en,
                "standard": s.standard,
                "function": s.function,
                "figures": _figures_text(s.figures),
            }
            for s in self._shelters.values()
        ]
        return pd.DataFrame(rows).set_index("shelter_class")

    def search(self, text: str) -> pd.DataFrame:
        """Find facility types whose id, names, name keywords or OSM tags contain ``text``.

        Returns
        -------
        pandas.DataFrame
            Indexed by type id: ``name_zh``, ``name_en``, ``level`` and
            ``matched`` (where the text was found).

        Examples
        --------
        >>> from geoplan.standards import load_standards
        >>> list(load_standards().search("药房").index)
        ['pharmacy']
        """
        needle = _norm(text) if isinstance(text, str) else ""
        if not needle:
            msg = f"search text must be a non-empty string, got {text!r}"
            raise InputError(msg)
        rows = []
        for t in self.all_types:
            found = [
                f"{field} {value}" for field, value in _searchable(t) if needle in _norm(value)
            ]
            if found:
                row = {"facility_type": t.id, "name_zh": t.name_zh, "name_en": t.name_en}
                rows.append({**row, "level": t.level.id, "matched": "; ".join(found)})
        columns = ["facility_type", "name_zh", "name_en", "level", "matched"]
        return pd.DataFrame(rows, columns=columns).set_index("facility_type")

    def values(self) -> pd.DataFrame:
        """Return every number of the standards with its source and verification.

        Returns
        -------
        pandas.DataFrame
            One row per number: ``section`` (level / facility / shelter_class /
            parameter), ``owner`` (the id), ``name``, ``value`` (a number or a
            ``(low, high)`` tuple), ``text``, ``unit``, ``source``,
            ``verification`` and ``note``. Facility thresholds taken from their
            level are not repeated.

        Examples
        --------
        >>> from geoplan.standards import load_standards
        >>> table = load_standards().values()
        >>> sorted(table["verification"].unique())
        ['default', 'local', 'verified_primary', 'verified_secondary', 'weak_secondary']
        """
        rows = [
            {
                "section": section,
                "owner": owner,
                "name": name,
                "value": v.value,
                "text": v.text,
                "unit": v.unit,
                "source": v.source,
                "verification": v.verification,
                "note": v.note,
            }
            for section, owner, name, v in self._stored_values()
        ]
        return pd.DataFrame(rows)

    def source(self, source_id: str) -> Source:
        """Return the source a value cites, by its id.

        Examples
        --------
        >>> from geoplan.standards import load_standards
        >>> load_standards().source("gb21734_54").name_in("en")
        'GB 21734-2008 §5.4'
        """
        try:
            return self._sources[source_id]
        except KeyError:
            known = ", ".join(sorted(self._sources))
            msg = f"unknown source {source_id!r}; the standards cite: {known}"
            raise KeyError(msg) from None

    def sources(self) -> pd.DataFrame:
        """Return the sources, indexed by id, with how many numbers cite each.

        Returns
        -------
        pandas.DataFrame
            ``cite``, ``verification``, ``urls`` (space-separated) and
            ``n_values``. The ``user`` source is listed once overrides use it.

        Examples
        --------
        >>> from geoplan.standards import load_standards
        >>> load_standards().sources().loc["chc_basic_std", "verification"]
        'verified_primary'
        """
        counts = pd.Series([v.source for *_, v in self._stored_values()]).value_counts()
        rows = [
            {
                "source": s.id,
                "cite": s.cite,
                "verification": s.verification,
                "urls": " ".join(s.urls),
                "n_values": int(counts.get(s.id, 0)),
            }
            for s in self._sources.values()
            if s.id != "user" or s.id in counts
        ]
        return pd.DataFrame(rows).set_index("source")

    def osm_filter(self, types: Iterable[str] | None = None) -> dict[str, list[str]]:
        """Return the OSM tags to read facilities with, for ``read_facilities(tags=...)``.

        The first tag of every tag set of the types, so that everything the
        classification can use is read. Types found by name only (e.g.
        ``housekeeping``) add nothing: read ``shop``/``office`` broadly for them.

        Examples
        --------
        >>> from geoplan.standards import load_standards
        >>> load_standards().osm_filter(["pharmacy"])
        {'amenity': ['pharmacy'], 'healthcare': ['pharmacy']}
        """
        selected = self.all_types if types is None else [self.facility_type(t) for t in types]
        wanted: dict[str, set[str]] = {}
        for t in selected:
            for tags in (*t.osm_tags, *t.osm_tags_with_name):
                key, value = next(iter(tags.items()))
                wanted.setdefault(key, set()).add(value)
        return {key: sorted(values) for key, values in sorted(wanted.items())}

    # ------------------------------------------------------------ overrides
    def with_overrides(self, overrides: Mapping[str, Any] | str | os.PathLike[str]) -> Standards:
        """Return new standards with a user's values and types.

        Parameters
        ----------
        overrides
            A mapping, or the path of a TOML file, such as::

                [facility.pharmacy]
                walk_minutes = 10
                [level."15min"]
                minutes = 20
                [parameter]
                missing_below_share = 0.3

            ``[facility.<id>]`` may set ``walk_minutes``, ``service_radius_m``,
            any figure the type has, ``level``, ``required``, names, keywords
            and tags; an id that does not exist, given ``name_zh`` and ``level``,
            defines a new type (as does a ``[[facility]]`` list). Levels
            likewise (``minutes``, ``profile``, ``distance_m``, ...). Numbers
            set here get source and verification ``"user"``.

        Returns
        -------
        Standards

        Raises
        ------
        ConfigError
            An unknown section, id or key (the message lists the valid ones),
            or a value of the wrong kind.
        DataSourceError
            The file cannot be read.

        Examples
        --------
        >>> from geoplan.standards import load_standards
        >>> std = load_standards().with_overrides({"facility": {"pharmacy": {"walk_minutes": 10}}})
        >>> std.facility_type("pharmacy").threshold.verification
        'user'
        """
        if isinstance(overrides, str | os.PathLike):
            overrides = read_overrides(overrides)
        return Standards(apply_overrides(self._data, overrides))

    # ------------------------------------------------------------ helpers
    def _stored_values(self) -> Iterator[tuple[str, str, str, Value]]:
        for level in self.all_levels:
            for name, v in level.values().items():
                yield "level", level.id, name, v
        for t in self.all_types:
            own = {"walk_minutes": t.walk_minutes} if t.walk_minutes is not None else {}
            for name, v in {**own, **t.figures}.items():
                yield "facility", t.id, name, v
        for s in self._shelters.values():
            for name, v in s.figures.items():
                yield "shelter_class", s.id, name, v
        for name, v in self._parameters.items():
            yield "parameter", name, name, v


# ----------------------------------------------------------------- rows
_TYPE_COLUMNS = [
    "facility_type",
    "name_zh",
    "name_en",
    "level",
    "profile",
    "required",
    "required_status",
    "threshold_minutes",
    "threshold_basis",
    "threshold_verification",
    "threshold_source",
    "service_radius_m",
    "radius_verification",
    "figures",
]


def _type_row(t: FacilityType) -> dict[str, Any]:
    threshold = t.threshold
    radius = t.figures.get("service_radius_m")
    return {
        "facility_type": t.id,
        "name_zh": t.name_zh,
        "name_en": t.name_en,
        "level": t.level.id,
        "profile": t.profile,
        "required": t.required,
        "required_status": t.required_status,
        "threshold_minutes": threshold.high,
        "threshold_basis": t.threshold_basis,
        "threshold_verification": threshold.verification,
        "threshold_source": threshold.source,
        "service_radius_m": math.nan if radius is None else radius.high,
        "radius_verification": None if radius is None else radius.verification,
        "figures": _figures_text(t.figures),
    }


def _level_row(level: LifeCircleLevel, n_types: int) -> dict[str, Any]:
    distance, population = level.distance_m, level.population
    return {
        "level": level.id,
        "name_zh": level.name_zh,
        "name_en": level.name_en,
        "setting": level.setting,
        "profile": level.profile,
        "minutes": level.threshold_minutes,
        "minutes_verification": level.minutes.verification,
        "minutes_source": level.minutes.source,
        "distance_m_min": math.nan if distance is None else distance.low,
        "distance_m_max": math.nan if distance is None else distance.high,
        "population_min": math.nan if population is None else population.low,
        "population_max": math.nan if population is None else population.high,
        "n_facility_types": n_types,
        "figures": _figures_text(level.values()),
    }


def _figures_text(figures: Mapping[str, Value]) -> str:
    return "; ".join(f"{name} = {value}" for name, value in figures.items())


def _searchable(t: FacilityType) -> Iterator[tuple[str, str]]:
    yield "id", t.id
    yield "name_zh", t.name_zh
    yield "name_en", t.name_en
    for keyword in t.keywords:
        yield "keyword", keyword
    for tags in (*t.osm_tags, *t.osm_tags_with_name):
        yield "osm tag", "&".join(f"{k}={v}" for k, v in tags.items())


# ----------------------------------------------------------------- lookup
def _norm(text: str) -> str:
    return " ".join(text.casefold().replace("_", " ").replace("-", " ").split())


def _names(item: _Named) -> list[str]:
    parts = [p for name in (item.name_zh, item.name_en) for p in _NAME_PARTS.split(name)]
    return [item.id, item.name_zh, item.name_en, *parts]


def _label(item: _Named) -> str:
    return f"{item.id} ({item.name_zh}, {item.name_en})"


def _find(
    items: Sequence[_N],
    key: object,
    *,
    what: str,
    loose: Callable[[_N], Iterable[str]] | None,
    listing: str,
) -> _N:
    """Find one item by id or name; else by a text found in only one item's ``loose`` texts."""
    wanted = _norm(key) if isinstance(key, str) else ""
    if not wanted:
        msg = f"{what} must be a non-empty string (an id or a name), got {key!r}"
        raise InputError(msg)
    hits = [item for item in items if wanted in {_norm(n) for n in _names(item) if n}]
    if not hits and loose is not None:
        hits = [item for item in items if any(wanted in _norm(t) for t in loose(item) if t)]
    if len(hits) == 1:
        return hits[0]
    if hits:
        msg = (
            f"{what} {key!r} is ambiguous: it matches {', '.join(map(_label, hits))}; "
            "pass one of these ids"
        )
        raise InputError(msg)
    raise InputError(f"unknown {what} {key!r}; {_close_matches(items, wanted)}; {listing}")


def _close_matches(items: Sequence[_N], wanted: str) -> str:
    by_text = {_norm(n): item for item in items for n in _names(item) if n}
    close = difflib.get_close_matches(wanted, list(by_text), n=8, cutoff=0.5)
    found: dict[str, _N] = {}  # closest first
    for text in close:
        found.setdefault(by_text[text].id, by_text[text])
    if not found:
        return "no close matches"
    return "close matches: " + ", ".join(map(_label, found.values()))
