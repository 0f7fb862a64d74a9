"""The standards' data model: sourced values, levels, facility types, shelter classes.

Every number is a :class:`Value` naming its source and how well that source was
verified. The objects are built from plain dictionaries (the parsed TOML files)
by the ``parse_*`` functions, which check the data and raise
:class:`~geoplan.ConfigError` naming the entry and the key at fault.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal, Protocol, TypeAlias, TypeVar, get_args

from geoplan._errors import ConfigError

__all__ = [
    "FACILITY_KEYS",
    "RADIUS_VERIFICATIONS",
    "USER_SOURCE",
    "Cutoff",
    "FacilityType",
    "LifeCircleLevel",
    "OsmTags",
    "Profile",
    "ShelterClass",
    "Source",
    "Value",
    "Verification",
]

Verification: TypeAlias = Literal[
    "verified_primary", "verified_secondary", "weak_secondary", "local", "default", "user"
]
Profile: TypeAlias = Literal["walk", "bike", "drive"]
Setting: TypeAlias = Literal["urban", "rural"]
RequiredStatus: TypeAlias = Literal["verified", "assumed", "user"]
#: One OSM tag set: every ``key=value`` of it must be present.
OsmTags: TypeAlias = Mapping[str, str]
Figures: TypeAlias = Mapping[str, "Value"]


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


_T = TypeVar("_T", bound=_HasId)

VERIFICATIONS: tuple[str, ...] = get_args(Verification)
PROFILES: tuple[str, ...] = get_args(Profile)
SETTINGS: tuple[str, ...] = get_args(Setting)
REQUIRED_STATUSES: tuple[str, ...] = get_args(RequiredStatus)


# ----------------------------------------------------------------- objects
@dataclass(frozen=True)
class Source:
    """A document a figure comes from.

    Attributes
    ----------
    id
        Short identifier that values cite.
    cite
        What the source is and what it says.
    verification
        How well the source was checked (see :class:`Value`).
    urls
        Where the stored copy was read.
    short_zh, short_en
        The document's short name, as a report or map subtitle cites it.
    """

    id: str
    cite: str
    verification: Verification
    urls: tuple[str, ...] = ()
    short_zh: str = ""
    short_en: str = ""

    def name_in(self, lang: str) -> str:
        """Return the short name in ``lang`` (``"zh"`` or ``"en"``), else the id."""
        return (self.short_zh if lang == "zh" else self.short_en) or self.id


#: The source of every value set with :meth:`Standards.with_overrides`.
USER_SOURCE = Source(
    "user", "set by the user (Standards.with_overrides)", "user", (), "本研究设定", "this study"
)


@dataclass(frozen=True)
class Value:
    """A number with its unit, source and verification level.

    Attributes
    ----------
    value
        The number, or a ``(low, high)`` range.
    unit
        ``"min"``, ``"m"``, ``"m2"``, ``"m2/person"``, ``"persons"``, ``"share"``, ...
    source
        Id of the :class:`Source`; ``"geoplan_default"`` for defaults, ``"user"``
        for overrides.
    verification
        ``verified_primary`` (the standard's text was seen), ``verified_secondary``
        (a reputable source restating it), ``weak_secondary`` (code comment or
        popular article), ``local`` (a provincial or municipal rule), ``default``
        (no source; geoplan's choice, reason in ``note``) or ``user``.
    note
        Context: the clause, caveats, or why a default was chosen.

    Examples
    --------
    >>> v = Value((800, 1000), "m", "gh_lc_docstring", "weak_secondary")
    >>> v.low, v.high, str(v)
    (800.0, 1000.0, '800-1000 m [weak_secondary: gh_lc_docstring]')
    """

    value: float | tuple[float, float]
    unit: str
    source: str
    verification: Verification
    note: str = ""

    @property
    def low(self) -> float:
        """The number, or the low end of a range."""
        return float(self.value[0] if isinstance(self.value, tuple) else self.value)

    @property
    def high(self) -> float:
        """The number, or the high end of a range."""
        return float(self.value[1] if isinstance(self.value, tuple) else self.value)

    @property
    def text(self) -> str:
        """The number or range with its unit, e.g. ``"800-1000 m"``."""
        numbers = self.value if isinstance(self.value, tuple) else (self.value,)
        unit = f" {self.unit}" if self.unit else ""
        return "-".join(f"{n:g}" for n in numbers) + unit

    def __str__(self) -> str:
        return f"{self.text} [{self.verification}: {self.source}]"


@dataclass(frozen=True)
class LifeCircleLevel:
    """A life-circle level: its travel time and the figures that describe it.

    Attributes
    ----------
    id
        ``"15min"``, ``"10min"``, ``"5min"``, ``"block"``, ``"township"``, ...
    name_zh, name_en
        Names.
    setting
        ``"urban"`` or ``"rural"``.
    profile
        Travel mode the minutes refer to: ``"walk"``, ``"bike"`` or ``"drive"``.
    minutes
        Travel time of the level (a range for e.g. TD/T 1062's 5-10 minutes).
    standard
        The standard and clause defining the level.
    figures
        Other numbers: ``distance_m``, ``population``, ``dwellings``, ...
    notes
        Context and caveats.
    """

    id: str
    name_zh: str
    name_en: str
    setting: Setting
    profile: Profile
    minutes: Value
    standard: str = ""
    figures: Figures = field(default_factory=lambda: MappingProxyType({}))
    notes: str = ""

    @property
    def threshold_minutes(self) -> float:
        """Travel time that counts as within the level (the high end of a range)."""
        return self.minutes.high

    @property
    def distance_m(self) -> Value | None:
        """The distance figure of the level, where a source gives one."""
        return self.figures.get("distance_m")

    @property
    def population(self) -> Value | None:
        """The population range of the level, where a source gives one."""
        return self.figures.get("population")

    def values(self) -> dict[str, Value]:
        """Return every number of the level by name (``minutes`` first)."""
        return {"minutes": self.minutes, **self.figures}


#: Verification levels strong enough for a service radius to stand as a type's threshold.
RADIUS_VERIFICATIONS: tuple[str, ...] = ("verified_primary", "verified_secondary", "user")


@dataclass(frozen=True)
class Cutoff:
    """How far a facility type's service reaches: a travel time or a network distance.

    One rule for every analysis (coverage, life circles, site proposals):

    1. a time the user set for the type (``walk_minutes``, verification ``user``);
    2. a service radius the user set (``service_radius_m``, ``user``);
    3. the type's own time figure from a source;
    4. the standard's service radius in metres, when verified (primary or
       secondary: e.g. 小学 500 m, 幼儿园 300 m in GB 50180-93), measured as
       walking distance along the network;
    5. the time of the type's life-circle level.

    Attributes
    ----------
    minutes
        The travel time, or ``None`` when the threshold is a distance.
    distance_m
        The network distance, or ``None`` when the threshold is a time.
    basis
        ``"minutes"`` or ``"distance"``: which of the two the threshold is.
    value
        The sourced figure it comes from (source, verification, note).
    """

    minutes: float | None
    distance_m: float | None
    basis: Literal["minutes", "distance"]
    value: Value

    def metres(self, speed_m_s: float) -> float:
        """Return the cutoff in metres at a travel speed (a distance is returned as it is)."""
        if self.distance_m is not None:
            return self.distance_m
        assert self.minutes is not None
        return self.minutes * 60.0 * speed_m_s

    @property
    def text(self) -> str:
        """E.g. ``"15 min"`` or ``"500 m"``."""
        return self.text_in("en")

    def text_in(self, lang: str) -> str:
        """E.g. ``"15 分钟"``/``"500 米"`` in Chinese, ``"15 min"``/``"500 m"`` in English."""
        zh = lang == "zh"
        if self.distance_m is not None:
            return f"{self.distance_m:g} {'米' if zh else 'm'}"
        return f"{self.minutes:g} {'分钟' if zh else 'min'}"


@dataclass(frozen=True)
class FacilityType:
    """A facility type of the standards, with its threshold and how to find it in OSM.

    Attributes
    ----------
    id, name_zh, name_en
        Identifier and names.
    level
        The life-circle level the type belongs to.
    required
        Whether the type is a standard (required) item.
    required_status
        ``"verified"`` (a cited source makes it required), ``"assumed"`` (believed
        ▲ in GB 50180-2018 App. B, table not seen) or ``"user"``.
    required_basis
        The source text behind ``required``.
    references
        The documents the type and its figures come from.
    walk_minutes
        The type's own time figure, when a source gives one.
    figures
        Other numbers: ``service_radius_m``, ``min_building_area_m2``,
        ``per_capita_area_m2``, ... (``local_`` names are local rules).
    osm_tags
        OSM tag sets that identify the type on their own.
    osm_tags_with_name
        Tag sets that count only together with a name keyword.
    name_keywords_zh, name_keywords_en
        Words in a name that identify the type.
    name_excludes
        Words in a name that rule the type out.
    notes
        Context and caveats.
    source, verification
        For a type the compiled reference lacks: the source (an id of
        ``sources.toml``) that makes it a type of the standards, and that
        source's verification level; empty for the reference's types.
    """

    id: str
    name_zh: str
    name_en: str
    level: LifeCircleLevel
    required: bool
    required_status: RequiredStatus
    required_basis: str = ""
    references: str = ""
    walk_minutes: Value | None = None
    figures: Figures = field(default_factory=lambda: MappingProxyType({}))
    osm_tags: tuple[OsmTags, ...] = ()
    osm_tags_with_name: tuple[OsmTags, ...] = ()
    name_keywords_zh: tuple[str, ...] = ()
    name_keywords_en: tuple[str, ...] = ()
    name_excludes: tuple[str, ...] = ()
    notes: str = ""
    source: str = ""
    verification: str = ""

    @property
    def threshold(self) -> Value:
        """The travel time within which the type counts as reachable.

        The type's own figure where a source gives one, else its level's minutes
        (the high end of a range), noted as ``"from level ..."``.
        """
        if self.walk_minutes is not None:
            return self.walk_minutes
        minutes = self.level.minutes
        return replace(
            minutes,
            value=minutes.high,
            note=f"from level {self.level.id}" + (f": {minutes.note}" if minutes.note else ""),
        )

    @property
    def threshold_minutes(self) -> float:
        """The threshold in minutes (see :attr:`threshold`).

        Examples
        --------
        >>> from geoplan.standards import facility_type
        >>> facility_type("pharmacy").threshold_minutes
        8.0
        """
        return self.threshold.high

    @property
    def threshold_basis(self) -> str:
        """``"own figure"`` or ``"from level"``."""
        return "own figure" if self.walk_minutes is not None else "from level"

    @property
    def cutoff(self) -> Cutoff:
        """How far the type's service reaches, by the one rule every analysis uses.

        See :class:`Cutoff` for the order of precedence.

        Examples
        --------
        >>> from geoplan.standards import facility_type
        >>> facility_type("primary_school").cutoff.text  # GB 50180-93, verified
        '500 m'
        >>> facility_type("pharmacy").cutoff.text  # its own time figure
        '8 min'
        >>> facility_type("community_health_station").cutoff.text  # 500 m is weak: the level
        '5 min'
        """
        radius = self.figures.get("service_radius_m")
        own = self.walk_minutes
        if own is not None and own.verification == "user":
            return Cutoff(own.high, None, "minutes", own)
        if radius is not None and radius.verification == "user":
            return Cutoff(None, radius.high, "distance", radius)
        if own is not None:
            return Cutoff(own.high, None, "minutes", own)
        if radius is not None and radius.verification in RADIUS_VERIFICATIONS:
            return Cutoff(None, radius.high, "distance", radius)
        return Cutoff(self.threshold.high, None, "minutes", self.threshold)

    @property
    def profile(self) -> Profile:
        """Travel mode of the threshold (the level's)."""
        return self.level.profile

    @property
    def service_radius_m(self) -> float | None:
        """The national service radius in metres, where a source gives one.

        Local radii (``local_service_radius_m``) are in :attr:`figures` only.
        """
        radius = self.figures.get("service_radius_m")
        return None if radius is None else radius.high

    @property
    def keywords(self) -> tuple[str, ...]:
        """Chinese and English name keywords."""
        return self.name_keywords_zh + self.name_keywords_en

    def values(self) -> dict[str, Value]:
        """Return every number of the type by name, the threshold first."""
        return {"threshold_minutes": self.threshold, **self.figures}

    def sources(self) -> list[str]:
        """Return the ids of the sources behind the type's numbers.

        Examples
        --------
        >>> from geoplan.standards import facility_type
        >>> facility_type("community_health_station").sources()
        ['chc_basic_std', 'geipa_502', 'gh_tdt_comment']
        """
        return sorted({v.source for v in self.values().values()})


@dataclass(frozen=True)
class ShelterClass:
    """A class of emergency shelter (GB 51143-2015, GB 21734-2008, GB/T 44013-2024).

    Attributes
    ----------
    id, name_zh, name_en
        Identifier and names.
    standard
        The standard and clause.
    function
        What the class is for.
    required_facilities
        Facilities the class must provide.
    figures
        Its numbers (capacity shares, areas, entrances, ...).
    notes
        Context and what is unverified.
    """

    id: str
    name_zh: str
    name_en: str
    standard: str
    function: str
    required_facilities: tuple[str, ...] = ()
    figures: Figures = field(default_factory=lambda: MappingProxyType({}))
    notes: str = ""


# ----------------------------------------------------------------- parsing
class _Entry:
    """One table of the data, read key by key with checks; unknown keys are refused."""

    def __init__(self, raw: object, where: str, allowed: Collection[str]) -> None:
        if not isinstance(raw, Mapping):
            msg = f"{where} must be a table of keys and values, got {raw!r}"
            raise ConfigError(msg)
        unknown = sorted(set(raw) - set(allowed))
        if unknown:
            msg = f"unknown key {unknown[0]!r} in {where}; valid keys: {', '.join(sorted(allowed))}"
            raise ConfigError(msg)
        self.raw: Mapping[str, Any] = raw
        self.where = where

    def fail(self, key: str, wanted: str) -> ConfigError:
        """Return the error for a key whose value is not what was ``wanted``."""
        return ConfigError(f"{self.where}: {key!r} must be {wanted}, got {self.raw.get(key)!r}")

    def text(self, key: str, *, default: str | None = None) -> str:
        value = self.raw.get(key, default)
        if not isinstance(value, str) or (default is None and not value.strip()):
            raise self.fail(key, "a non-empty string" if default is None else "a string")
        return value

    def choice(self, key: str, options: tuple[str, ...]) -> Any:
        value = self.raw.get(key)
        if value not in options:
            raise self.fail(key, "one of " + ", ".join(options))
        return value

    def flag(self, key: str) -> bool:
        value = self.raw.get(key)
        if not isinstance(value, bool):
            raise self.fail(key, "true or false")
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(key, "a list of non-empty strings")
        return tuple(value)

    def tag_sets(self, key: str) -> tuple[OsmTags, ...]:
        value = self.raw.get(key, [])
        ok = isinstance(value, list) and all(
            isinstance(t, Mapping)
            and t
            and all(isinstance(k, str) and isinstance(v, str) for k, v in t.items())
            for t in value
        )
        if not ok:
            raise self.fail(key, 'a list of tag tables such as [{ amenity = "pharmacy" }]')
        return tuple(MappingProxyType(dict(t)) for t in value)

    def value(self, key: str, sources: Mapping[str, Source]) -> Value:
        return parse_value(self.raw.get(key), f"{self.where}, {key!r}", sources)

    def figures(self, sources: Mapping[str, Source]) -> Figures:
        raw = self.raw.get("figures", {})
        if not isinstance(raw, Mapping):
            raise self.fail("figures", "a table of values")
        where = f"{self.where}, figures"
        return MappingProxyType(
            {str(k): parse_value(v, f"{where}, {k!r}", sources) for k, v in raw.items()}
        )


_VALUE_KEYS = ("value", "unit", "source", "verification", "note")


def _number(raw: object) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        return None
    return float(raw)


def _number_or_range(raw: object) -> float | tuple[float, float] | None:
    if isinstance(raw, list) and len(raw) == 2:
        low, high = _number(raw[0]), _number(raw[1])
        return (low, high) if low is not None and high is not None and low <= high else None
    return _number(raw)


def parse_value(raw: object, where: str, sources: Mapping[str, Source]) -> Value:
    """Build a :class:`Value` from ``{value, unit, source, verification, note}``.

    Raises
    ------
    ConfigError
        A missing or malformed field, an unknown source, or a verification level
        that differs from the source's.
    """
    entry = _Entry(raw, where, _VALUE_KEYS)
    number = _number_or_range(entry.raw.get("value"))
    if number is None:
        raise entry.fail("value", "a finite number or a [low, high] range")
    source_id = entry.text("source")
    source = sources.get(source_id)
    if source is None:
        msg = f"{where}: unknown source {source_id!r}; known sources: {', '.join(sorted(sources))}"
        raise ConfigError(msg)
    verification = entry.choice("verification", VERIFICATIONS)
    if verification != source.verification:
        msg = (
            f"{where}: verification {verification!r} differs from that of its source "
            f"{source_id!r} ({source.verification!r})"
        )
        raise ConfigError(msg)
    return Value(
        value=number,
        unit=entry.text("unit", default=""),
        source=source_id,
        verification=verification,
        note=entry.text("note", default=""),
    )


def parse_sources(raw: object) -> dict[str, Source]:
    """Build the sources table (``[[source]]`` entries) keyed by id, plus ``user``."""
    result = parse_table(raw, "source", _source)
    _add(result, USER_SOURCE, "source")
    return result


def _source(raw: object) -> Source:
    allowed = ("id", "cite", "urls", "verification", "short_zh", "short_en")
    entry = _Entry(raw, f"source {_label(raw)}", allowed)
    return Source(
        id=entry.text("id"),
        cite=entry.text("cite"),
        verification=entry.choice("verification", VERIFICATIONS),
        urls=entry.texts("urls"),
        short_zh=entry.text("short_zh", default=""),
        short_en=entry.text("short_en", default=""),
    )


def parse_level(raw: object, sources: Mapping[str, Source]) -> LifeCircleLevel:
    """Build a :class:`LifeCircleLevel` from one ``[[level]]`` entry."""
    allowed = ("id", "name_zh", "name_en", "setting", "profile", "standard", "minutes")
    entry = _Entry(raw, f"level {_label(raw)}", (*allowed, "figures", "notes"))
    return LifeCircleLevel(
        id=entry.text("id"),
        name_zh=entry.text("name_zh"),
        name_en=entry.text("name_en", default=""),
        setting=entry.choice("setting", SETTINGS),
        profile=entry.choice("profile", PROFILES),
        minutes=entry.value("minutes", sources),
        standard=entry.text("standard", default=""),
        figures=entry.figures(sources),
        notes=entry.text("notes", default=""),
    )


FACILITY_KEYS = (
    "id",
    "name_zh",
    "name_en",
    "level",
    "required",
    "required_status",
    "required_basis",
    "references",
    "walk_minutes",
    "figures",
    "osm_tags",
    "osm_tags_with_name",
    "name_keywords_zh",
    "name_keywords_en",
    "name_excludes",
    "notes",
    "source",
    "verification",
)


def parse_facility(
    raw: object, levels: Mapping[str, LifeCircleLevel], sources: Mapping[str, Source]
) -> FacilityType:
    """Build a :class:`FacilityType` from one ``[[facility]]`` entry."""
    entry = _Entry(raw, f"facility {_label(raw)}", FACILITY_KEYS)
    level_id = entry.text("level")
    if level_id not in levels:
        msg = f"{entry.where}: unknown level {level_id!r}; known levels: {', '.join(levels)}"
        raise ConfigError(msg)
    return FacilityType(
        id=entry.text("id"),
        name_zh=entry.text("name_zh"),
        name_en=entry.text("name_en", default=""),
        level=levels[level_id],
        required=entry.flag("required"),
        required_status=entry.choice("required_status", REQUIRED_STATUSES),
        required_basis=entry.text("required_basis", default=""),
        references=entry.text("references", default=""),
        walk_minutes=entry.value("walk_minutes", sources) if "walk_minutes" in entry.raw else None,
        figures=entry.figures(sources),
        osm_tags=entry.tag_sets("osm_tags"),
        osm_tags_with_name=entry.tag_sets("osm_tags_with_name"),
        name_keywords_zh=entry.texts("name_keywords_zh"),
        name_keywords_en=entry.texts("name_keywords_en"),
        name_excludes=entry.texts("name_excludes"),
        notes=entry.text("notes", default=""),
        **_type_source(entry, sources),
    )


def _type_source(entry: _Entry, sources: Mapping[str, Source]) -> dict[str, str]:
    """Return a type's own ``source`` and ``verification``, checked against ``sources.toml``."""
    if "source" not in entry.raw and "verification" not in entry.raw:
        return {}
    source_id = entry.text("source")
    source = sources.get(source_id)
    if source is None:
        msg = (
            f"{entry.where}: unknown source {source_id!r}; use an id of sources.toml: "
            f"{', '.join(sorted(sources))}"
        )
        raise ConfigError(msg)
    verification = entry.choice("verification", VERIFICATIONS)
    if verification != source.verification:
        msg = (
            f"{entry.where}: verification {verification!r} differs from that of its source "
            f"{source_id!r}; write verification = {source.verification!r}"
        )
        raise ConfigError(msg)
    return {"source": source_id, "verification": verification}


def parse_shelter_class(raw: object, sources: Mapping[str, Source]) -> ShelterClass:
    """Build a :class:`ShelterClass` from one ``[[shelter_class]]`` entry."""
    allowed = ("id", "name_zh", "name_en", "standard", "function", "required_facilities")
    entry = _Entry(raw, f"shelter_class {_label(raw)}", (*allowed, "figures", "notes"))
    return ShelterClass(
        id=entry.text("id"),
        name_zh=entry.text("name_zh"),
        name_en=entry.text("name_en", default=""),
        standard=entry.text("standard", default=""),
        function=entry.text("function", default=""),
        required_facilities=entry.texts("required_facilities"),
        figures=entry.figures(sources),
        notes=entry.text("notes", default=""),
    )


def parse_parameters(raw: object, sources: Mapping[str, Source]) -> dict[str, Value]:
    """Build the analysis parameters (``[parameter.<name>]`` values) by name."""
    if not isinstance(raw, Mapping):
        msg = f"'parameter' must be a table of values, got {raw!r}"
        raise ConfigError(msg)
    return {str(k): parse_value(v, f"parameter {k!r}", sources) for k, v in raw.items()}


def parse_table(raw: object, section: str, build: Callable[[object], _T]) -> dict[str, _T]:
    """Build the objects of a ``[[section]]`` list, keyed by their (unique) ids."""
    result: dict[str, _T] = {}
    for item in _entries(raw, section):
        _add(result, build(item), section)
    return result


def _entries(raw: object, section: str) -> Iterator[object]:
    if not isinstance(raw, list):
        msg = f"{section!r} must be a list of tables ([[{section}]]), got {type(raw).__name__}"
        raise ConfigError(msg)
    yield from raw


def _label(raw: object) -> str:
    return repr(raw.get("id", "?")) if isinstance(raw, Mapping) else "?"


def _add(table: dict[str, _T], item: _T, what: str) -> None:
    if item.id in table:
        msg = f"duplicate {what} id {item.id!r}"
        raise ConfigError(msg)
    table[item.id] = item
