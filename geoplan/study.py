"""A study: one resolved set of inputs, and the analyses it runs.

A :class:`Study` is the single source of truth of a run. It resolves its
inputs once:

* **communities**, indexed by their id (a column the study names, or one the
  file has), with their names; people who live in none of them are counted in
  an explicit "outside" row (:data:`~geoplan.coverage.OUTSIDE_COMMUNITIES`);
* **demand**, with the community each point falls in;
* **one facility table**: every facility of every type, as the one point
  travel to it is measured from (polygons at their point nearest the network).
  A measured type defined by its own OSM tags or file replaces the classified
  points of interest of that type, for the life circles as for coverage;
* **the measured types** (:class:`MeasuredType`): names, the one threshold
  (minutes, or the standard's distance where it gives one), where the sites
  came from, what stood in for what, how many were found and, when none, why;
* **the standards** in force: the package's, with the study's own thresholds
  and types;
* **caveats**: every assumption that changes a result.

:func:`run_study` runs the analyses on that and returns a
:class:`StudyResult`; every table, layer, map and report section is written
from it (:func:`geoplan.outputs.write_run`). Nothing downstream re-derives an
input.

Examples
--------
>>> import geoplan
>>> from geoplan.config import parse_config
>>> cfg = parse_config({"study": {"name": "tiny"}, "network": {"source": "synthetic"},
...                     "synthetic": {"area_km2": 1, "seed": 1},
...                     "communities": {"source": "synthetic"},
...                     "population": {"source": "synthetic"},
...                     "facilities": {"types": {"community_canteen": {}}},
...                     "outputs": {"maps": False}})
>>> result = geoplan.run_study(geoplan.Study.from_config(cfg), steps=["coverage"])
>>> list(result.coverage.totals.index)
['community_canteen']
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
import os
import time
import warnings
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan._background import Job, Task
from geoplan._background import start as start_job
from geoplan._caveats import Caveat, people_text, travel_caveats, travel_record
from geoplan._errors import ConfigError, GeoplanWarning, InputError
from geoplan._gc import fewer_collections
from geoplan._loader import Loaded, Loader, empty_points, tag_text
from geoplan._scenario_inputs import read_scenarios
from geoplan._study_groups import group_caveats, resolve_groups
from geoplan._validate import OUTSIDE_COMMUNITIES, check_crs, containing
from geoplan.config import FacilitySource, SiteRequest, StudyConfig
from geoplan.coverage import Capacity, Coverage, coverage, shelter_capacity
from geoplan.facilities import access_points
from geoplan.groups import PopulationGroup
from geoplan.indicators import IndicatorResult, evaluate_indicators
from geoplan.life_circles import LifeCircles, life_circles, street_blocks
from geoplan.models._highs import highs_started
from geoplan.network import Network, connectivity
from geoplan.scenarios import Scenario, ScenarioResult, before_after
from geoplan.service_areas import service_areas
from geoplan.settings import settings
from geoplan.siting import SiteProposal, candidates, propose_sites
from geoplan.standards import Cutoff, Standards, current_standards, load_standards, using_standards

__all__ = [
    "STEPS",
    "MeasuredType",
    "Proposal",
    "Study",
    "StudyResult",
    "run_study",
    "study_settings",
    "study_totals",
]

log = logging.getLogger(__name__)

#: The analyses of a run, in order.
STEPS = (
    "network",
    "life_circles",
    "service_areas",
    "coverage",
    "indicators",
    "sites",
    "scenarios",
)
#: Columns every row of a study's facility table has.
FACILITY_COLUMNS = ("facility_type", "name", "source", "point_rule", "area_m2")
_STRONG = ("verified_primary", "verified_secondary", "user")


# ================================================================== measured types
@dataclass(frozen=True)
class MeasuredType:
    """One facility type a study measures, resolved once for every table, map and page.

    Attributes
    ----------
    id, name_zh, name_en
        The type and its names (a type of the user's own has the names it declared).
    cutoff
        Its one threshold: minutes, or the standard's distance where it gives
        one, with the source and verification of the figure.
    source
        Where its sites came from: ``classified points of interest``, OSM tags,
        or a file.
    stand_in
        What stands in for the type when its definition is not the standards'
        (``amenity=restaurant|fast_food`` for community canteens), else ``""``.
    capacity
        Whether its capacity is measured (shelters, from their area).
    n_sites
        How many sites were found (0 is reported, never dropped).
    note
        Why there are none, when there are none.
    custom
        A type of the user's own (not one of the standards).
    source_zh, note_zh
        ``source`` and ``note`` in Chinese.
    """

    id: str
    name_zh: str
    name_en: str
    cutoff: Cutoff
    source: str
    stand_in: str = ""
    capacity: bool = False
    n_sites: int = 0
    note: str = ""
    custom: bool = False
    source_zh: str = ""
    note_zh: str = ""

    def label(self, lang: str) -> str:
        """Return the type's name in ``lang``."""
        return self.name_zh if lang == "zh" else self.name_en

    def source_in(self, lang: str) -> str:
        """Return where its sites came from, in ``lang``."""
        return self.source_zh if lang == "zh" and self.source_zh else self.source

    def note_in(self, lang: str) -> str:
        """Return why there are none (when there are none), in ``lang``."""
        return self.note_zh if lang == "zh" and self.note_zh else self.note

    def row(self) -> dict[str, Any]:
        """Return the type as a row of the ``facility_types`` table."""
        value = self.cutoff.value
        return {
            "facility_type": self.id,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "threshold_minutes": self.cutoff.minutes if self.cutoff.minutes else math.nan,
            "threshold_distance_m": self.cutoff.distance_m or math.nan,
            "threshold_basis": self.cutoff.basis,
            "threshold_source": value.source,
            "threshold_verification": value.verification,
            "sites": self.n_sites,
            "source": self.source,
            "stand_in": self.stand_in,
            "note": self.note,
        }


# ========================================================================== study
@dataclass
class Study:
    """One study's resolved inputs, all in the network's CRS (see the module docstring).

    Build one with :meth:`from_config` (what ``geoplan run`` does) or
    :meth:`from_frames` (a notebook's objects); both resolve the same way.

    Attributes
    ----------
    name
        The study's name (its output folder).
    network
        The travel network.
    communities
        Community polygons indexed by community id (index name ``community``),
        with ``name`` where known; street blocks when the study has none.
    demand
        Where people live: ``population`` and ``community`` (the id of the
        community each point falls in, or ``"(outside)"``).
    facilities
        Every facility of every type as the point travel is measured from:
        ``facility_type``, ``name``, ``source``, ``point_rule``, ``area_m2``.
    types
        The measured types, in the study's order.
    standards
        The standards in force: the package's with the study's thresholds and types.
    config
        The configuration the study was built from, when it was.
    inputs
        The files the study read (recorded in run.json with checksums).
    notes
        Warnings raised while reading.
    caveats
        Assumptions of the inputs that change results (stand-ins, invented
        or estimated data, thresholds on weak sources...).
    register, register_unmatched
        The community register (indexed like ``communities`` where joined)
        and what did not match (:func:`geoplan.join_register`).
    timings
        Seconds per loading step.
    started
        When loading began (seconds since the epoch).
    population_method
        How the population was estimated (method, defaults with their sources,
        what was left out and why, calibration), when it was estimated.
    coordinate_checks
        The evidence about the coordinate system of every lon/lat input checked
        against the streets (POI tables, facility files, community boundaries).
    base_layers
        Water, green space and buildings (``kind``) the maps draw light beneath
        their layers, from the OSM extract; ``None`` when there are none.
    groups
        Population groups whose coverage is reported beside everyone's (the
        elderly, young children), each with its demand column and walking speed.
    scenarios
        "What if"s on the network (:class:`geoplan.scenarios.Scenario`: links
        added, streets closed, barriers): each is run as this study on its
        edited network and compared with it.
    """

    name: str
    network: Network
    communities: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    types: tuple[MeasuredType, ...]
    standards: Standards
    config: StudyConfig | None = None
    inputs: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    caveats: list[Caveat] = field(default_factory=list)
    register: pd.DataFrame | None = None
    register_unmatched: pd.DataFrame | None = None
    timings: dict[str, float] = field(default_factory=dict)
    started: float = field(default_factory=time.time)
    population_method: dict[str, Any] | None = None
    coordinate_checks: list[dict[str, Any]] = field(default_factory=list)
    base_layers: gpd.GeoDataFrame | None = None
    groups: tuple[PopulationGroup, ...] = ()
    scenarios: tuple[Scenario, ...] = ()

    @classmethod
    @fewer_collections()
    def from_config(cls, config: StudyConfig) -> Study:
        """Read everything a study configuration names and resolve it.

        Parameters
        ----------
        config
            From :func:`geoplan.config.load_config`.

        Returns
        -------
        Study

        Raises
        ------
        NetworkError
            The study area has no roads of the profile.
        DataSourceError, CRSError, InputError
            An input cannot be read or used; the message says which and why.
        """
        started = time.time()
        standards = study_standards(config.facility_sources)
        with study_settings(config), using_standards(standards):
            loaded = Loader(config).load()
            start = time.perf_counter()
            study = _resolve(loaded, config, standards, started)
            study.timings["resolve"] = round(time.perf_counter() - start, 3)
            study.scenarios, files = read_scenarios(config.scenarios, study.network)
            study.inputs += files
        return study

    @classmethod
    def from_frames(
        cls,
        network: Network,
        *,
        demand: gpd.GeoDataFrame,
        facilities: gpd.GeoDataFrame,
        communities: gpd.GeoDataFrame | None = None,
        types: Sequence[str] | None = None,
        name: str = "study",
        register: pd.DataFrame | None = None,
        standards: Standards | None = None,
        groups: Sequence[str | PopulationGroup] = (),
        scenarios: Sequence[Scenario] = (),
    ) -> Study:
        """Resolve a study from objects a notebook already has.

        Parameters
        ----------
        network
            The travel network.
        demand
            Where people live, with a ``population`` column.
        facilities
            Facilities of every type with a ``facility_type`` column (points or
            polygons), e.g. from :func:`geoplan.classify_facilities`.
        communities
            Community polygons indexed by id; street blocks when omitted.
        types
            The types to measure; every type in ``facilities`` when omitted.
            A type named here with no facility is measured as 0 with the reason.
        name
            The study's name.
        register
            A community register (for the plan's indicators).
        standards
            The standards to measure against; the package's by default.
        groups
            Population groups (:func:`geoplan.groups.population_group`: the
            elderly, young children) whose coverage is reported beside
            everyone's, each at its own walking speed; or demand columns.
        scenarios
            "What if"s on the network (:class:`geoplan.scenarios.Scenario`), each
            run as this study on its edited network and compared with it.

        Returns
        -------
        Study

        Examples
        --------
        >>> import geoplan
        >>> city = geoplan.datasets.synthetic_city(area_km2=1.0, seed=1)
        >>> study = geoplan.Study.from_frames(
        ...     city.network(), demand=city.demand(),
        ...     facilities=city.facilities.rename(columns={"category": "facility_type"}),
        ...     types=["community_canteen", "kindergarten"])
        >>> [t.id for t in study.types], study.types[1].cutoff.text
        (['community_canteen', 'kindergarten'], '300 m')
        """
        std = standards if standards is not None else current_standards()
        check_crs(demand, network, "demand")
        check_crs(facilities, network, "facilities")
        if "facility_type" not in facilities.columns:
            msg = (
                "facilities need a facility_type column (the standards' type ids, as "
                "geoplan.classify_facilities gives); rename your type column to it"
            )
            raise InputError(msg)
        present = sorted(str(t) for t in facilities["facility_type"].dropna().unique())
        wanted = list(types) if types is not None else present
        sources = tuple(FacilitySource(type_id=t) for t in wanted)
        loaded = Loaded(
            network=network,
            communities=_indexed(communities)
            if communities is not None
            else street_blocks(network),
            demand=demand,
            classified=facilities.assign(source=facilities.get("source", "given")),
            own_sites={},
            register=register,
            register_unmatched=None,
        )
        with using_standards(std):
            study = _resolve(
                loaded, None, std, time.time(), name=name, sources=sources, groups=tuple(groups)
            )
        study.scenarios = tuple(scenarios)
        return study

    # ------------------------------------------------------------------ access
    @property
    def type_ids(self) -> list[str]:
        """The measured types' ids, in the study's order."""
        return [t.id for t in self.types]

    def measured(self, type_id: str) -> MeasuredType:
        """Return a measured type by id."""
        for found in self.types:
            if found.id == type_id:
                return found
        msg = f"{type_id!r} is not a type this study measures; it measures {self.type_ids}"
        raise InputError(msg)

    def sites(self, type_id: str) -> gpd.GeoDataFrame:
        """Return the facilities of one type (points where travel is measured from)."""
        return self.facilities[self.facilities["facility_type"].astype(str) == type_id]

    def facility_points(self, type_id: str) -> gpd.GeoDataFrame:
        """Return the facilities of one type (the same as :meth:`sites`)."""
        return self.sites(type_id)

    @property
    def pois(self) -> gpd.GeoDataFrame:
        """Every facility of every type (the same table as :attr:`facilities`)."""
        return self.facilities

    @property
    def outside_population(self) -> float:
        """People who live in no community."""
        outside = self.demand["community"] == OUTSIDE_COMMUNITIES
        return float(self.demand.loc[outside, "population"].sum())


def study_standards(sources: Iterable[FacilitySource]) -> Standards:
    """Return the package's standards with a study's own thresholds and types.

    Parameters
    ----------
    sources
        The study's ``[facilities.types]``: ``minutes`` or ``distance_m`` set a
        type's threshold (verification ``user``); a type of the user's own is
        added with its names (not required, so it changes no life-circle score).

    Returns
    -------
    Standards
    """
    std = load_standards()
    known = {t.id for t in std.all_types}
    facility: dict[str, dict[str, Any]] = {}
    for source in sources:
        entry: dict[str, Any] = {}
        if source.minutes is not None:
            entry["walk_minutes"] = source.minutes
        if source.distance_m is not None:
            entry["service_radius_m"] = source.distance_m
        if source.type_id not in known:
            entry |= {
                "name_zh": source.name_zh or source.name_en or source.type_id,
                "name_en": source.name_en or source.name_zh or source.type_id,
                "level": "15min",
                "required": False,
            }
        if entry:
            facility[source.type_id] = entry
    return std.with_overrides({"facility": facility}) if facility else std


# ====================================================================== resolving
def _resolve(
    loaded: Loaded,
    config: StudyConfig | None,
    standards: Standards,
    started: float,
    *,
    name: str | None = None,
    sources: tuple[FacilitySource, ...] | None = None,
    groups: tuple[str | PopulationGroup, ...] = (),
) -> Study:
    """Resolve what was read into the study every analysis and output reads."""
    network = loaded.network
    sources = config.facility_sources if config is not None else (sources or ())
    communities = _indexed(loaded.communities)
    demand = _with_communities(loaded.demand, communities)
    given = config.population_groups if config is not None else groups
    resolved_groups, demand = resolve_groups(given, demand, network)
    facilities = _facility_table(loaded, sources, network)
    types = tuple(_measured(source, facilities, loaded, standards) for source in sources)
    method = loaded.demand.attrs.get("population_method")
    caveats = _input_caveats(config, types, network)
    if method:  # the population estimate says itself what it assumed and left out
        caveats = [c for c in caveats if c.topic != "estimated"]
        caveats += [Caveat("estimated", c["zh"], c["en"]) for c in method.get("caveats", [])]
    caveats += [
        Caveat("coordinates", check["caveat"]["zh"], check["caveat"]["en"])
        for check in loaded.coordinate_checks
        if check.get("caveat")
    ]
    caveats += group_caveats(resolved_groups, network)
    return Study(
        name=name if name is not None else (config.name if config is not None else "study"),
        network=network,
        communities=communities,
        demand=demand,
        facilities=facilities,
        types=types,
        standards=standards,
        config=config,
        inputs=list(loaded.inputs),
        notes=list(loaded.notes),
        caveats=caveats,
        register=loaded.register,
        register_unmatched=loaded.register_unmatched,
        timings=dict(loaded.timings),
        started=started,
        population_method=method,
        coordinate_checks=list(loaded.coordinate_checks),
        base_layers=loaded.base_layers,
        groups=resolved_groups,
    )


def _indexed(communities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Communities with a unique index named ``community`` (their ids)."""
    if not communities.index.is_unique:
        dupes = list(communities.index[communities.index.duplicated()][:5])
        msg = f"community ids must be unique; duplicated: {dupes}. Index the layer by a unique id."
        raise InputError(msg)
    if communities.index.name == "community":
        return communities
    out = communities.copy()
    out.index = out.index.rename("community")
    return out


def _with_communities(demand: gpd.GeoDataFrame, communities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Give every demand point the id of the community it lies in (or "(outside)")."""
    polygons = np.asarray(communities.geometry.values)
    points = shapely.centroid(np.asarray(demand.geometry.values))
    home = containing(polygons, points)
    ids = np.asarray(communities.index, dtype=object)
    if len(ids) == 0:  # no community at all (a network without street blocks)
        return demand.assign(community=OUTSIDE_COMMUNITIES)
    labels = np.where(home >= 0, ids[np.maximum(home, 0)], OUTSIDE_COMMUNITIES)
    return demand.assign(community=labels)


def _facility_table(
    loaded: Loaded, sources: Sequence[FacilitySource], network: Network
) -> gpd.GeoDataFrame:
    """One table of every facility: classified points, a type's own sites replacing its own."""
    classified = loaded.classified
    own = loaded.own_sites
    if len(classified) and "facility_type" in classified.columns:
        classified = classified[~classified["facility_type"].astype(str).isin(own.keys())]
    parts = [classified, *own.values()]
    only_areas = {s.type_id for s in sources if s.polygons_only}
    parts = [_areas_only(part, only_areas) for part in parts if len(part)]
    if not parts:
        return _with_columns(empty_points(network))
    table = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=network.crs)
    table = table[table["facility_type"].notna()]
    points = access_points(table, network)
    points = _with_columns(points)
    points.index = pd.RangeIndex(len(points), name="facility")
    return points


def _areas_only(frame: gpd.GeoDataFrame, types: set[str]) -> gpd.GeoDataFrame:
    """Leave out the points and lines of types that count only as areas (parks as shelters)."""
    if not types or "facility_type" not in frame.columns:
        return frame
    chosen = frame["facility_type"].astype(str).isin(types)
    areas = frame.geom_type.isin(["Polygon", "MultiPolygon"])
    return frame[~chosen | areas]


def _with_columns(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    out = frame.copy()
    if "name" not in out.columns:
        out["name"] = out["name_zh"] if "name_zh" in out.columns else None
    for column in ("source", "point_rule"):
        if column not in out.columns:
            out[column] = ""
    if "area_m2" not in out.columns:
        out["area_m2"] = math.nan
    out["facility_type"] = out["facility_type"].astype(str) if len(out) else out["facility_type"]
    return out


def _measured(
    source: FacilitySource, facilities: gpd.GeoDataFrame, loaded: Loaded, standards: Standards
) -> MeasuredType:
    """Resolve one measured type: names, threshold, where its sites came from, how many."""
    ftype = standards.facility_type(source.type_id, exact=True)
    count = int((facilities["facility_type"] == source.type_id).sum())
    described, described_zh = _described(source)
    return MeasuredType(
        id=ftype.id,
        name_zh=ftype.name_zh,
        name_en=ftype.name_en,
        cutoff=ftype.cutoff,
        source=described,
        stand_in=_stand_in(source, ftype.osm_tags),
        capacity=source.capacity,
        n_sites=count,
        note=_why_none(source)[1] if count == 0 else "",
        custom=source.custom,
        source_zh=described_zh,
        note_zh=_why_none(source)[0] if count == 0 else "",
    )


def _described(source: FacilitySource) -> tuple[str, str]:
    """Return where a type's sites come from, in English and in Chinese."""
    if source.file is not None:
        en, zh = f"file {source.file.name}", f"文件 {source.file.name}"
    elif source.tags is not None:
        tags = tag_text(source.tags)
        en, zh = f"OpenStreetMap tags {tags}", f"OpenStreetMap 标签 {tags}"
    else:
        en, zh = (
            "classified points of interest (names and OSM tags)",
            "按名称与 OSM 标签分类的兴趣点",
        )
    if source.polygons_only:
        en, zh = f"{en}; areas only", f"{zh}（仅面状要素）"
    return en, zh


def _stand_in(source: FacilitySource, standard_tags: Sequence[Any]) -> str:
    """Return the study's OSM tags that are not the standards' own for the type (stand-ins)."""
    if source.tags is None or source.custom:
        return ""
    own = {(k, v) for tags in standard_tags for k, v in tags.items()}
    extra = []
    for key, wanted in source.tags.items():
        values = wanted if isinstance(wanted, list) else [wanted]
        extra += [f"{key}={v}" for v in values if (key, v) not in own and v is not True]
        extra += [f"{key}=*" for v in values if v is True]
    return ", ".join(extra)


def _why_none(source: FacilitySource) -> tuple[str, str]:
    """Return why a type has no sites, in Chinese and in English."""
    if source.file is not None:
        name = source.file.name
        return (
            f"研究范围内 {name} 中没有该类设施：覆盖率为 0",
            f"none in {name} within the study area: coverage 0",
        )
    if source.tags is not None:
        tags = tag_text(source.tags)
        return (
            f"研究范围内 OpenStreetMap 没有标注为 {tags} 的设施：覆盖率为 0",
            f"OpenStreetMap has none tagged {tags} in the study area: coverage 0",
        )
    return (
        "研究范围内没有兴趣点被归入该类型：覆盖率为 0",
        "no point of interest was classified as this type in the study area: coverage 0",
    )


def _input_caveats(
    config: StudyConfig | None, types: Sequence[MeasuredType], network: Network
) -> list[Caveat]:
    """List the assumptions the inputs bring: stand-ins, invented or estimated data, thresholds."""
    out = [_stand_in_caveat(t) for t in types if t.stand_in]
    facts = connectivity(network)
    if not facts["connected"]:
        share = facts["largest_piece_length_share"]
        out.append(
            Caveat(
                "network",
                f"路网连通性不足：最大连通片只占道路总长的 {share:.0%}（共 {facts['pieces']} 片），"
                "片外的人与设施彼此不可达；请检查道路线是否在交点处连接（noding），或只用最大连通片。",
                f"The network hangs together poorly: its largest piece holds {share:.0%} of the "
                f"street length ({facts['pieces']} pieces), and people and facilities on other "
                "pieces cannot reach each other; check that road lines are joined where they meet "
                "(noding), or keep the largest piece only.",
            )
        )
    out += [_threshold_caveat(t) for t in types if t.cutoff.value.verification not in _STRONG]
    if config is not None:
        out += _source_caveats(config)
    out += _travel_caveats(config, network)
    speed = settings.walk_speed_m_s if network.profile == "walk" else network.speed_m_s
    if network.profile == "walk" and speed == settings.default("walk_speed_m_s"):
        out.append(
            Caveat(
                "speed",
                f"步行速度取 {speed:g} 米/秒（geoplan 的默认值，并非标准规定）；"
                "老人和儿童步行更慢。",
                f"Walking speed {speed:g} m/s (geoplan's default, not from a standard); the "
                "elderly and children walk slower.",
            )
        )
    return out


def _travel_caveats(config: StudyConfig | None, network: Network) -> list[Caveat]:
    """One-way streets, speeds and slopes the network was read with (see geoplan._caveats)."""
    dem = config.network_dem if config is not None else None
    return travel_caveats(network, dem.name if dem is not None else None)


def _stand_in_caveat(t: MeasuredType) -> Caveat:
    return Caveat(
        "stand_in",
        f"{t.name_zh}：以 OpenStreetMap 的 {t.stand_in} 代替（标准中的识别方式不同）。",
        f"{t.name_en}: OpenStreetMap {t.stand_in} stand in for it (the standards identify it "
        "otherwise).",
    )


def _threshold_caveat(t: MeasuredType) -> Caveat:
    value = t.cutoff.value
    levels = {
        "local": ("地方规定", "a local rule"),
        "weak_secondary": ("弱来源", "a weak source"),
        "default": ("geoplan 默认值", "geoplan's default"),
    }
    zh, en = levels.get(value.verification, (value.verification, value.verification))
    try:
        cited = current_standards().source(value.source).name_in("zh")
    except KeyError:  # a source the standards in force do not hold
        cited = value.source
    return Caveat(
        "threshold",
        f"{t.name_zh}的服务范围 {t.cutoff.text_in('zh')} 来自{zh}（{cited}），未经国家标准核实。",
        f"{t.name_en}: its threshold of {t.cutoff.text} comes from {en} ({value.source}), not a "
        "verified national standard.",
    )


def _source_caveats(config: StudyConfig) -> list[Caveat]:
    out = []
    if config.invented and config.network_source != "synthetic":
        out.append(
            Caveat(
                "invented",
                "本研究的输入数据为虚构的示例数据（示例），不代表任何真实地点；结果仅示意方法。",
                "The study's inputs are invented (an example) and describe no real place; the "
                "results only show the method.",
            )
        )
    if config.network_source == "synthetic":
        out.append(
            Caveat(
                "invented",
                "路网、社区、人口和设施均为合成数据（示例），不代表任何真实地点。",
                "The network, communities, people and facilities are synthetic (an example); "
                "they describe no real place.",
            )
        )
    if config.register_source == "synthetic":
        out.append(
            Caveat(
                "invented",
                "社区台账为虚构数据（示例），规划指标仅示意计算方法。",
                "The community register is invented (an example); the plan's indicators only "
                "show how they are computed.",
            )
        )
    if config.population_source == "buildings":
        out.append(
            Caveat(
                "estimated",
                "人口由建筑轮廓估算：占地面积 × 层数 × 每平方米人数（默认参数），非普查数据。",
                "Population is estimated from building footprints: area × levels × persons "
                "per m² (default figures), not census counts.",
            )
        )
    if config.communities_source == "street_blocks":
        out.append(
            Caveat(
                "communities",
                "未提供社区边界：以路网围合的街坊代替社区。",
                "No community boundaries were given: street blocks stand in for communities.",
            )
        )
    return out


# ========================================================================= running


@dataclass(frozen=True)
class Proposal:
    """One site request's answer: the proposal and the area it newly brings within reach."""

    request: SiteRequest
    proposal: SiteProposal
    new_area: gpd.GeoDataFrame
    existing: gpd.GeoDataFrame


@dataclass
class StudyResult:
    """Everything a run computed; :func:`geoplan.outputs.write_run` writes it.

    Attributes
    ----------
    study
        The inputs.
    steps
        The steps that ran.
    life_circles
        Completeness of every community (``None`` when not run).
    service_areas
        Rings of every measured facility type (``facility_type``, cutoffs).
    coverage
        Population coverage of every measured type (0 with the reason for a
        type without sites).
    capacity
        Capacity-aware coverage of types with ``capacity = true`` (shelters).
    proposals
        Site proposals, by facility type.
    indicators
        The plan's indicators, when the study has a register.
    scenarios
        Each scenario's edited network and its figures before and after, by name.
    timings
        Seconds per step, loading included.
    notes
        Warnings raised on the way, in their own words.
    caveats
        Every assumption of the run that changes a result (the study's and the run's).
    prepared
        The work given as ``run_study(meanwhile=...)`` that was done in the run's
        spare time, by name (see :func:`run_study`); what a helper process is
        still making is added by :meth:`finish_preparing`.
    """

    study: Study
    steps: tuple[str, ...]
    life_circles: LifeCircles | None = None
    service_areas: gpd.GeoDataFrame | None = None
    coverage: Coverage | None = None
    capacity: dict[str, Capacity] = field(default_factory=dict)
    proposals: dict[str, Proposal] = field(default_factory=dict)
    indicators: IndicatorResult | None = None
    scenarios: dict[str, ScenarioResult] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    caveats: list[Caveat] = field(default_factory=list)
    prepared: dict[str, Any] = field(default_factory=dict)
    #: The helper process still making some of ``meanwhile``'s work (see run_study).
    preparing: Job[dict[str, tuple[Any, list[_Warning]]]] | None = field(
        default=None, repr=False, compare=False
    )

    def finish_preparing(self) -> dict[str, Any]:
        """Return :attr:`prepared`, with what the run's helper process made, once it is done.

        Waits for the helper (see :func:`run_study`); its warnings are raised
        here. Work it could not make is left out: it is made where it is used.
        """
        helper, self.preparing = self.preparing, None
        if helper is None:
            return self.prepared
        try:
            made = helper.result()
        except Exception:  # made again, and reported, where it is used
            log.debug("the work prepared aside failed; it is made where used", exc_info=True)
            made = {}
        for name, (value, warned) in made.items():
            self.prepared.setdefault(name, value)
            for text, kind in warned:
                warnings.warn(text, kind, stacklevel=2)
        return self.prepared


@fewer_collections()
def run_study(
    study: Study,
    *,
    steps: Iterable[str] | None = None,
    on_step: Callable[[str], None] | None = None,
    meanwhile: Mapping[str, Callable[[], Any]] | None = None,
) -> StudyResult:
    """Run a study's analyses.

    Parameters
    ----------
    study
        From :meth:`Study.from_config` or :meth:`Study.from_frames`.
    steps
        Which of :data:`STEPS` to run (default all). ``sites`` and
        ``scenarios`` also run ``coverage``, whose figures they compare with.
    on_step
        Called with each step's name as it starts (progress bars).
    meanwhile
        Work for later to do in the run's spare time, by name (no arguments;
        what it returns must pickle): where the site proposals are made in a
        second process beside the life circles and are done first, that process
        then does this work, in order, until this process has computed the rest
        and asks for the proposals; it keeps what is finished by then and stops
        the rest (never waiting for it). Where this process reaches the
        proposals first, a helper process makes the work while it waits, and
        :meth:`StudyResult.finish_preparing` takes it when it is needed. Its
        results are in :attr:`StudyResult.prepared`; without a second process
        none of it is done, and work that fails is left out. ``geoplan run``
        prepares the maps' base layer this way
        (:func:`geoplan.outputs.run.preparations`).

    Returns
    -------
    StudyResult
    """
    chosen = _steps(steps)
    result = StudyResult(
        study=study, steps=chosen, notes=list(study.notes), timings=dict(study.timings)
    )
    config = study.config
    running = _running(study, chosen)
    proposing: _Proposing | None = None
    with (
        study_settings(config),
        using_standards(study.standards),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always", GeoplanWarning)
        if "sites" in running:
            # the proposals need nothing of the steps before them: a second process makes
            # them while this one computes the life circles, where it may (_background.py)
            beside = "life_circles" in running or "service_areas" in running
            requests = config.sites if config is not None else ()
            proposing = _start_proposals(study, requests, fork=beside, meanwhile=meanwhile or {})
        try:
            _run_steps(study, result, running, on_step=on_step, proposing=proposing, caught=caught)
        except BaseException:  # a failure or Ctrl-C: the proposals are not wanted
            if proposing is not None:
                proposing.job.cancel()
            raise
    # the work done meanwhile warns as it would where it is used, not in the run's notes
    for text, kind in proposing.aside if proposing is not None else []:
        warnings.warn(text, kind, stacklevel=2)
    result.notes += [str(w.message) for w in caught]
    result.caveats = [*study.caveats, *_run_caveats(result)]
    return result


def _running(study: Study, chosen: tuple[str, ...]) -> tuple[str, ...]:
    """Return the chosen steps the study runs: not those it switches off or has no input for."""
    config = study.config
    skipped = {
        "life_circles": config is not None and not config.life_circles,
        "service_areas": config is not None and not config.service_areas,
        "indicators": study.register is None,
        "scenarios": not study.scenarios,
    }
    return tuple(step for step in chosen if not skipped.get(step, False))


def _run_steps(
    study: Study,
    result: StudyResult,
    running: tuple[str, ...],
    *,
    on_step: Callable[[str], None] | None,
    proposing: _Proposing | None,
    caught: list[warnings.WarningMessage],
) -> None:
    """Run the steps in order, into ``result`` (the proposals from ``proposing``).

    ``caught`` records the run's warnings; those raised making the proposals are
    added to it in the order a run making them here would record them.
    """
    if "life_circles" in running:
        with _timed(result, "life_circles", on_step):
            result.life_circles = _life_circles(study)
    if "service_areas" in running:
        with _timed(result, "service_areas", on_step):
            result.service_areas = _service_areas(study)
    if "coverage" in running:  # _steps adds it to sites and scenarios
        with _timed(result, "coverage", on_step):
            _coverage(study, result)
    if "indicators" in running:
        with _timed(result, "indicators", on_step):
            result.indicators = _indicators(study)
    if proposing is not None:
        with _timed(result, "sites", on_step):
            helper = _prepare_aside(proposing)
            try:
                proposals, raised = proposing.job.result()
            except BaseException:  # the run fails: nothing it prepared is wanted
                if helper is not None:
                    helper.cancel()
                raise
            caught += [warnings.WarningMessage(text, kind, "", 0) for text, kind in raised]
            result.proposals = proposals
            # what their process has made since, while this one computed the rest; it is
            # stopped there: the rest is made where it is used, never while waiting here
            for name, (made, warned) in proposing.job.stop_afterwards().items():
                result.prepared[name] = made
                proposing.aside += warned
            if helper is not None and set(proposing.meanwhile) - set(result.prepared):
                result.preparing = helper
                # not wanted once the result is gone (in this process: not in a forked copy)
                weakref.finalize(result, _stop_helper, helper, os.getpid())
            elif helper is not None:
                helper.cancel()
        result.timings["sites"] = round(proposing.job.seconds, 3)  # their own time
    if "scenarios" in running:
        with _timed(result, "scenarios", on_step):
            for scenario in study.scenarios:
                result.scenarios[scenario.name] = _scenario(study, result, scenario)


#: A warning raised in another process, or put aside: its text and category.
_Warning = tuple[str, type[Warning]]
#: The proposals by facility type, and the warnings raised making them.
_Proposals = tuple[dict[str, Proposal], list[_Warning]]


@dataclass
class _Proposing:
    """The proposals under way, the work for their spare time, the warnings that work raised."""

    job: Job[_Proposals]
    meanwhile: Mapping[str, Callable[[], tuple[Any, list[_Warning]]]] = field(default_factory=dict)
    aside: list[_Warning] = field(default_factory=list)


#: The helper's task, for its messages.
_PREPARING = Task(
    "preparing the maps' base layer while the site proposals are made",
    "set `[settings] parallel = false` to make it in one process",
)


def _prepare_aside(proposing: _Proposing) -> Job[Any] | None:
    """Fork a helper making the work for the proposals' spare time, if they are still made.

    Where this process's steps end first (the 200k-node city's: 23 s against
    the proposals' 31 s) it would wait idle, and the proposals' process would
    have no spare time for the work: the maps' base layer (about 8 s there) was
    made in the writing. The helper uses the core this process leaves while it
    waits, and the writing takes what it made when it needs it
    (:meth:`StudyResult.finish_preparing`). None where nothing is left to do
    or no process may be forked.
    """
    if not proposing.meanwhile or not proposing.job.pending():
        return None
    pieces = dict(proposing.meanwhile)
    helper = start_job(lambda: _made_aside(pieces), _PREPARING)
    return helper if helper.forked else None  # never made here: this process has its steps


def _stop_helper(helper: Job[Any], parent: int) -> None:
    """Stop ``helper`` from the process that started it (a forked copy leaves it be)."""
    if os.getpid() == parent:
        helper.cancel()


def _made_aside(pieces: Mapping[str, Callable[[], Any]]) -> dict[str, Any]:
    """Make ``pieces`` in order; leave out those that fail.

    At the run's own priority: this process may soon wait for what it makes
    (a lower one left it starved behind the writing on a busy machine).
    """
    done: dict[str, Any] = {}
    for name, piece in pieces.items():
        try:
            done[name] = piece()
        except Exception:  # made again, and reported, where it is used
            log.debug("%r, prepared aside, failed; it is left out", name, exc_info=True)
    return done


def _with_warnings(function: Callable[[], Any]) -> Callable[[], tuple[Any, list[_Warning]]]:
    """Return ``function`` giving what it returns and the warnings it raised (to raise later)."""

    def done() -> tuple[Any, list[_Warning]]:
        with warnings.catch_warnings(record=True) as raised:
            warnings.simplefilter("always")
            made = function()
        return made, [(str(w.message), w.category) for w in raised]

    return done


#: The site proposals' task, for the messages of the process that may make them.
_PROPOSING = Task(
    "proposing sites", "set `[settings] parallel = false` to propose them in one process"
)


def _start_proposals(
    study: Study,
    requests: Sequence[SiteRequest],
    *,
    fork: bool,
    meanwhile: Mapping[str, Callable[[], Any]],
) -> _Proposing:
    """Start proposing sites for ``requests``, in a forked child where it may (and ``fork``).

    Otherwise they are made in this process when asked for. A forked child,
    once it has sent the proposals, does ``meanwhile`` until this process asks
    for them (see :meth:`~geoplan._background.Job.stop_afterwards`).

    The warnings raised are returned with the proposals, so that they reach the
    run's notes (in the order a run making them in this process would give).
    """

    def propose() -> _Proposals:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", GeoplanWarning)
            proposals = {r.facility_type: _propose(study, r) for r in requests}
        return proposals, [(str(w.message), w.category) for w in caught]

    # a child cannot use HiGHS once this process has started its worker threads
    forked = fork and requests and not highs_started()
    if not forked:
        return _Proposing(Job(propose, _PROPOSING))
    afterwards = {name: _with_warnings(function) for name, function in meanwhile.items()}
    return _Proposing(start_job(propose, _PROPOSING, afterwards=afterwards), afterwards)


def _steps(steps: Iterable[str] | None) -> tuple[str, ...]:
    if steps is None:
        return STEPS
    chosen = tuple(steps)
    unknown = [s for s in chosen if s not in STEPS]
    if unknown:
        msg = f"unknown step(s) {', '.join(unknown)}; the steps are {', '.join(STEPS)}"
        raise ConfigError(msg)
    if {"sites", "scenarios"} & set(chosen) and "coverage" not in chosen:
        chosen += ("coverage",)
    return tuple(s for s in STEPS if s in chosen or s == "network")


@contextlib.contextmanager
def study_settings(config: StudyConfig | None) -> Iterator[None]:
    """Apply a study's [settings], language and map options inside a ``with`` block."""
    values: dict[str, Any] = dict(config.settings) if config is not None else {}
    if config is not None:
        if config.lang is not None:
            values.setdefault("lang", config.lang)
        if config.basemap is not None:
            values.setdefault("basemap", config.basemap)
        if config.offline_maps is not None:
            values.setdefault("offline_maps", config.offline_maps)
    with settings.override(**values):
        yield


@contextlib.contextmanager
def _timed(
    result: StudyResult, step: str, on_step: Callable[[str], None] | None = None
) -> Iterator[None]:
    if on_step is not None:
        on_step(step)
    start = time.perf_counter()
    log.info("%s: %s ...", result.study.name, step)
    yield
    result.timings[step] = round(time.perf_counter() - start, 3)


def _life_circles(study: Study) -> LifeCircles:
    levels = study.config.life_circle_levels if study.config is not None else None
    options: dict[str, Any] = {"demand": study.demand, "standards": study.standards}
    if levels is not None:
        options["levels"] = levels
    return life_circles(study.network, study.communities, study.facilities, **options)


def _indicators(study: Study) -> IndicatorResult:
    """Measure the plan's indicators from the register (or facilities inside communities)."""
    register = study.register
    assert register is not None
    spatial = study.config is not None and study.config.register_spatial
    if spatial and isinstance(register, gpd.GeoDataFrame) and len(study.facilities):
        return evaluate_indicators(
            pd.DataFrame(register.drop(columns=register.geometry.name)),
            communities=register,
            facilities=study.facilities,
        )
    frame = register.drop(columns="geometry") if "geometry" in register.columns else register
    return evaluate_indicators(pd.DataFrame(frame))


def _ring_cutoffs(study: Study, measured: MeasuredType) -> dict[str, Any]:
    """Return the cutoffs of a type's rings: the study's [service_areas] minutes, else its own."""
    if study.config is not None and study.config.service_area_minutes:
        return {"minutes": list(study.config.service_area_minutes)}
    cutoff = measured.cutoff
    if cutoff.distance_m is not None:
        return {"distance_m": [cutoff.distance_m]}
    return {"minutes": [cutoff.minutes]}


def _service_areas(study: Study) -> gpd.GeoDataFrame | None:
    """Service areas of every measured type with sites, at its own threshold (rings)."""
    parts = []
    for measured in study.types:
        points = study.sites(measured.id)
        if len(points) == 0:
            continue
        cutoffs = _ring_cutoffs(study, measured)
        rings = service_areas(study.network, points, **cutoffs, mode="rings")
        rings.insert(0, "facility_type", measured.id)
        parts.append(rings.drop(columns="facility"))
    if not parts:
        return None
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=study.network.crs)


def _coverage(study: Study, result: StudyResult) -> None:
    """Coverage of every measured type, those without sites included (0, with the reason)."""
    if not study.types:
        return
    measured = study.facilities[study.facilities["facility_type"].isin(study.type_ids)]
    result.coverage = coverage(
        study.network,
        measured,
        study.demand,
        types=study.type_ids,
        communities=study.communities,
        standards=study.standards,
        groups=study.groups,
    )
    for t in study.types:
        if not t.capacity:
            continue
        sites = study.sites(t.id)
        sites = sites[np.isfinite(sites["area_m2"].to_numpy(dtype=float))]
        if len(sites):
            result.capacity[t.id] = shelter_capacity(study.network, sites, study.demand)


def _cutoff_of(study: Study, request: SiteRequest) -> dict[str, float]:
    """Return the threshold a site request is measured at: its own minutes, else the type's."""
    if request.minutes is not None:
        return {"minutes": request.minutes}
    cutoff = study.measured(request.facility_type).cutoff
    if cutoff.distance_m is not None:
        return {"distance_m": cutoff.distance_m}
    assert cutoff.minutes is not None
    return {"minutes": cutoff.minutes}


def _propose(study: Study, request: SiteRequest) -> Proposal:
    type_id = request.facility_type
    existing = study.sites(type_id)
    cutoff = _cutoff_of(study, request)
    sites = candidates(study.network, spacing_m=request.candidate_spacing_m)
    options: dict[str, Any] = {
        **cutoff,
        "model": request.model,
        "existing": existing if len(existing) else None,
        "communities": study.communities,
        "solver": request.solver,
        "time_limit": request.time_limit_s,
    }
    if request.model == "lscp":
        options["target"] = request.target
    else:
        options["p"] = request.p
    proposal = propose_sites(study.network, sites, study.demand, **options)
    proposal.sites.attrs["facility_type"] = type_id
    new_area = _newly_covered_area(study, proposal, existing, cutoff)
    return Proposal(request, proposal, new_area, existing)


def _newly_covered_area(
    study: Study, proposal: SiteProposal, existing: gpd.GeoDataFrame, cutoff: dict[str, float]
) -> gpd.GeoDataFrame:
    """Return the area within the threshold of a proposed site and of no existing one."""
    crs = study.network.crs
    if len(proposal.sites) == 0:
        return gpd.GeoDataFrame({"facility_type": []}, geometry=[], crs=crs)
    minutes, distance_m = cutoff.get("minutes"), cutoff.get("distance_m")
    new = service_areas(
        study.network, proposal.sites, minutes=minutes, distance_m=distance_m, mode="dissolved"
    )
    area = shapely.union_all(new.geometry.to_numpy())
    if len(existing):
        old = service_areas(
            study.network, existing, minutes=minutes, distance_m=distance_m, mode="dissolved"
        )
        area = shapely.difference(area, shapely.union_all(old.geometry.to_numpy()))
    type_id = proposal.sites.attrs.get("facility_type")
    frame = gpd.GeoDataFrame(
        {"facility_type": [type_id], "area_m2": [float(shapely.area(area))]},
        geometry=[area],
        crs=crs,
    )
    return frame[~frame.geometry.is_empty]


def _scenario(study: Study, result: StudyResult, scenario: Scenario) -> ScenarioResult:
    """Run the study again on a scenario's network and compare it with the run so far.

    The same people, facilities, communities, types and requests, snapped anew
    to the edited network; the base run's figures are the "before" as they are.
    """
    try:
        edited = scenario.apply(study.network)
    except InputError as exc:
        msg = f"[[scenarios]] name = {scenario.name!r}: {exc}"
        raise InputError(msg) from None
    again = dataclasses.replace(study, network=edited.network, scenarios=(), caveats=[])
    steps = [s for s in ("life_circles", "coverage", "sites") if s in result.steps]
    after = run_study(again, steps=steps)
    result.notes += [f"{scenario.name}: {n}" for n in after.notes if n not in result.notes]
    table = before_after(
        result.coverage,
        after.coverage,
        circles_before=result.life_circles,
        circles_after=after.life_circles,
        proposals_before={t: p.proposal for t, p in result.proposals.items()},
        proposals_after={t: p.proposal for t, p in after.proposals.items()},
        groups=[g.id for g in study.groups],
    )
    return ScenarioResult(edited, table)


def _run_caveats(result: StudyResult) -> list[Caveat]:
    """List the limits the run found: people outside communities, beyond reach, no sites."""
    study = result.study
    total = float(np.nansum(study.demand["population"].to_numpy(dtype=float)))
    out = []
    outside = study.outside_population
    if outside > 0:
        zh, en = people_text(outside, total)
        out.append(
            Caveat(
                "outside",
                f"{zh}居住在任何社区边界之外：计入全域合计，并在各分社区表中单列为“(outside)”行。",
                f"{en} live outside every community: they count in the study's totals and in "
                "a row of their own, '(outside)', in every per-community table.",
            )
        )
    if result.coverage is not None and len(result.coverage.totals):
        unreachable = float(result.coverage.totals["unreachable_population"].iloc[0])
        if unreachable > 0:
            zh, en = people_text(unreachable, total)
            limit = settings.max_snap_m
            out.append(
                Caveat(
                    "unreachable",
                    f"{zh}距路网超过 {limit:g} 米，按未覆盖计（见图层 population_coverage 的 "
                    "reachable 列）。",
                    f"{en} live more than {limit:g} m from the network and count as not "
                    "covered (layer population_coverage, column reachable).",
                )
            )
    for t in study.types:
        if t.n_sites == 0:
            out.append(
                Caveat(
                    "no_sites",
                    f"{t.name_zh}：研究范围内未找到设施（来源：{t.source_in('zh')}），"
                    "覆盖率记为 0。",
                    f"{t.name_en}: {t.note} (source: {t.source}).",
                )
            )
    out += [Caveat("scenario", *answer.caveat()) for answer in result.scenarios.values()]
    return out


def study_totals(result: StudyResult) -> dict[str, Any]:
    """Return the key figures of a run, for the report, run.json and the command's summary."""
    study = result.study
    totals: dict[str, Any] = {
        "nodes": study.network.n_nodes,
        "edges": study.network.n_edges,
        "communities": len(study.communities),
        "population": float(np.nansum(study.demand["population"].to_numpy(dtype=float))),
        "outside_population": study.outside_population,
        "facility_sites": {t.id: t.n_sites for t in study.types},
        "connectivity": connectivity(study.network),
        "travel": travel_record(study.network),
    }
    if result.coverage is not None:
        totals["coverage"] = {str(t): float(s) for t, s in result.coverage.totals["share"].items()}
        if study.groups:  # each group at its own walking speed (coverage_totals share_<group>)
            shares = result.coverage.totals
            totals["group_coverage"] = {
                g.id: {str(t): float(s) for t, s in shares[f"share_{g.id}"].items()}
                for g in study.groups
            }
    if result.life_circles is not None:
        table = result.life_circles.communities
        totals["completeness"] = {
            str(c).removeprefix("score_"): float(table[c].mean())
            for c in table.columns
            if str(c).startswith("score_")
        }
    totals["proposals"] = {t: p.proposal.summary for t, p in result.proposals.items()}
    return totals
