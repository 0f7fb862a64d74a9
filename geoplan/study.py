"""A study: network, communities, demand and facilities in one CRS, and its analyses.

:class:`Study` gathers the inputs, from a :class:`~geoplan.config.StudyConfig`
(the ``geoplan run`` path) or from objects a notebook already has.
:func:`run_study` runs the analyses the study asks for — life circles, service
areas, coverage, capacity, site proposals — and returns a :class:`StudyResult`;
:mod:`geoplan.report` writes it as a run folder. Analyses never read files
here: this module reads, then calls the same functions a notebook calls.

Examples
--------
>>> import geoplan
>>> from geoplan.config import parse_config
>>> cfg = parse_config({"study": {"name": "tiny"}, "network": {"source": "synthetic"},
...                     "synthetic": {"area_km2": 1, "seed": 1},
...                     "communities": {"source": "synthetic"},
...                     "population": {"source": "synthetic"},
...                     "outputs": {"maps": False}})
>>> result = geoplan.run_study(geoplan.Study.from_config(cfg), steps=["coverage"])
>>> sorted(result.coverage.totals.index)[:1]
['community_canteen']
"""

from __future__ import annotations

import contextlib
import logging
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan._errors import ConfigError, GeoplanWarning, InputError, NetworkError
from geoplan._validate import containing
from geoplan.config import FacilitySource, SiteRequest, StudyConfig
from geoplan.coverage import Capacity, Coverage, coverage, shelter_capacity
from geoplan.facilities import classify_facilities, facility_points
from geoplan.indicators import IndicatorResult, evaluate_indicators
from geoplan.life_circles import LifeCircles, life_circles, street_blocks
from geoplan.network import Network
from geoplan.population import population_from_buildings, population_from_raster
from geoplan.service_areas import service_areas
from geoplan.settings import settings
from geoplan.siting import SiteProposal, candidates, propose_sites
from geoplan.sources import (
    bundled,
    district_boundary,
    fetch_extract,
    join_register,
    read_buildings,
    read_facilities,
    read_network,
    read_poi_table,
    read_register,
)
from geoplan.sources._sites import SITE_TABLE_SUFFIXES, read_site_table
from geoplan.sources._vectors import (
    drop_empty_geometries,
    people_counts,
    polygon_features,
    read_vector_file,
    require_features,
)
from geoplan.standards import Standards, load_standards

__all__ = [
    "STEPS",
    "Proposal",
    "Study",
    "StudyResult",
    "run_study",
    "study_settings",
    "study_totals",
]

log = logging.getLogger(__name__)

#: The analyses of a run, in order.
STEPS = ("network", "life_circles", "service_areas", "coverage", "indicators", "sites")

_RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".img")


@dataclass
class Study:
    """The inputs of one study, all in the network's CRS.

    Attributes
    ----------
    name
        The study's name (its output folder).
    network
        The travel network.
    communities
        Community polygons indexed by community id (street blocks when the
        study has no boundaries).
    demand
        Where people live, with a ``population`` column.
    facilities
        The sites of each measured facility type, by type id, as found
        (points or polygons).
    pois
        Every point of interest classified into the standard facility types
        (``facility_type`` column, points on the network), for life circles.
    config
        The configuration the study was built from, when it was.
    inputs
        The files the study read (recorded in run.json with checksums).
    notes
        Warnings raised while reading, for the report.
    register
        The community register (canonical columns, see
        :func:`geoplan.read_register`), indexed like ``communities`` where it
        was joined to them; the plan's indicators are measured from it.
    register_unmatched
        Register rows without a community and communities without a register
        row (:func:`geoplan.join_register`).
    """

    name: str
    network: Network
    communities: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    facilities: dict[str, gpd.GeoDataFrame]
    pois: gpd.GeoDataFrame
    config: StudyConfig | None = None
    inputs: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    register: pd.DataFrame | None = None
    register_unmatched: pd.DataFrame | None = None

    @classmethod
    def from_config(cls, config: StudyConfig) -> Study:
        """Read everything a study configuration names.

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
        return _Loader(config).study()

    def facility_points(self, type_id: str) -> gpd.GeoDataFrame:
        """Return the sites of ``type_id`` as points (polygons give a point inside)."""
        sites = self.facilities[type_id]
        return sites.set_geometry(sites.geometry.representative_point())


class _Loader:
    """Reads a study's inputs from its configuration."""

    def __init__(self, config: StudyConfig) -> None:
        self.config = config
        self.inputs: list[Path] = []
        self._city: bundled.SyntheticCity | None = None
        self._extract: Path | None = None
        self._area: Any = None

    @property
    def city(self) -> bundled.SyntheticCity:
        if self._city is None:
            self._city = bundled.synthetic_city(
                area_km2=self.config.synthetic["area_km2"],
                spacing_m=self.config.synthetic["spacing_m"],
                seed=self.config.synthetic["seed"],
            )
        return self._city

    @property
    def osm(self) -> Path | None:
        """The OSM file the network came from (facilities and buildings come from it too)."""
        source = self.config.network_source
        if source == "sample":
            return bundled.sample_pbf()
        if self.config.network_region is not None:
            if self._extract is None:
                log.info(
                    "the %s extract (downloaded once, then cached)", self.config.network_region
                )
                self._extract = fetch_extract(self.config.network_region)
            return self._extract
        if isinstance(source, Path):
            return source
        return None

    def clip(self) -> Any:
        if self._area is None:
            self._area = self._study_area()
        return self._area

    def _study_area(self) -> Any:
        cfg = self.config
        if cfg.district is not None:
            osm = self.osm
            if osm is None:
                msg = "[area] district needs an OSM file or region as the network source"
                raise ConfigError(msg)
            return district_boundary(
                osm, cfg.district, admin_level=cfg.district_admin_level, within=cfg.district_within
            )
        if cfg.bbox is not None:
            return cfg.bbox
        if cfg.area_file is not None:
            self.inputs.append(cfg.area_file)
            area = read_vector_file(cfg.area_file, what="study area file")
            area = drop_empty_geometries(area, cfg.area_file, "study area file")
            require_features(
                area, cfg.area_file, "study area file", "give the outline of the study area"
            )
            return area.to_crs("EPSG:4326").geometry.union_all()
        return cfg.place

    def study(self) -> Study:
        network = self.network()
        notes: list[str] = []
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", GeoplanWarning)
            communities = self.communities(network)
            demand = self.demand(network)
            pois = self.pois(network)
            facilities = {
                source.type_id: self.facility_sites(source, network, pois)
                for source in self.config.facility_sources
            }
            register, unmatched = self.register(communities, demand)
        notes += [str(w.message) for w in caught]
        people = demand["population"].to_numpy(dtype=float) if "population" in demand else []
        if len(demand) == 0 or not np.nansum(people) > 0:
            msg = (
                f"the study has no population: [population] source = "
                f"{self.config.population_source!s} gave no people in the study area; give a "
                "population raster or a file of points with a population column"
            )
            raise InputError(msg)
        return Study(
            name=self.config.name,
            network=network,
            communities=communities,
            demand=demand,
            facilities=facilities,
            pois=pois,
            config=self.config,
            inputs=list(dict.fromkeys(self.inputs)),
            notes=notes,
            register=register,
            register_unmatched=unmatched,
        )

    def network(self) -> Network:
        cfg = self.config
        if cfg.network_source == "synthetic":
            return self.city.network()
        if cfg.network_source == "online":
            return read_network(self.clip(), profile=cfg.profile)  # type: ignore[arg-type]
        osm = self.osm
        assert osm is not None
        self.inputs.append(osm)
        clip = self.clip()
        network = read_network(osm, profile=cfg.profile, clip=clip)  # type: ignore[arg-type]
        if network.n_edges == 0:
            msg = (
                f"the study area has no {cfg.profile} roads in {osm.name}: check [area] "
                "(bbox is left, bottom, right, top in lon/lat) and that the extract covers it"
            )
            raise NetworkError(msg)
        return network

    def communities(self, network: Network) -> gpd.GeoDataFrame:
        cfg = self.config
        source = cfg.communities_source
        if source == "street_blocks":
            return street_blocks(network)
        if source == "synthetic":
            return self.city.communities.set_index("community_id", drop=False)
        assert isinstance(source, Path)
        self.inputs.append(source)
        frame = _community_file(source, cfg.communities_layer).to_crs(network.crs)
        _check_overlap(frame, network, source)
        if cfg.communities_name_column is not None:
            if cfg.communities_name_column not in frame.columns:
                msg = (
                    f"[communities] name_column = {cfg.communities_name_column!r} is not a "
                    f"column of {source.name}; its columns are {list(frame.columns)}"
                )
                raise ConfigError(msg)
            frame = frame.rename(columns={cfg.communities_name_column: "name"})
        return frame

    def demand(self, network: Network) -> gpd.GeoDataFrame:
        cfg = self.config
        source = cfg.population_source
        if source == "synthetic":
            return self.city.demand()
        if source == "buildings":
            osm = self.osm
            if osm is None:
                msg = (
                    "[population] source = 'buildings' needs an OSM file as the network "
                    "source; give a population raster or file instead"
                )
                raise ConfigError(msg)
            buildings = read_buildings(osm, clip=self.clip_or_none()).to_crs(network.crs)
            return population_from_buildings(buildings)
        assert isinstance(source, Path)
        self.inputs.append(source)
        if source.suffix.lower() in _RASTER_SUFFIXES:
            return population_from_raster(source, area=self.area_of(network), crs=network.crs)
        frame = read_vector_file(source, what="population file")
        require_features(frame, source, "population file", _POPULATION_FIX)
        frame = drop_empty_geometries(frame, source, "population file").to_crs(network.crs)
        column = cfg.population_column
        if column not in frame.columns:
            msg = (
                f"[population] column = {column!r} is not a column of "
                f"{source.name}; its columns are {list(frame.columns)}"
            )
            raise ConfigError(msg)
        people = people_counts(frame[column], source, column)
        return frame.drop(columns=column).assign(population=people)

    def clip_or_none(self) -> Any:
        return None if self.config.network_source == "sample" else self.clip()

    def area_of(self, network: Network) -> Any:
        nodes, _ = network.to_gdfs()
        return shapely.box(*nodes.total_bounds)

    def pois(self, network: Network) -> gpd.GeoDataFrame:
        """Every point of interest classified into the standard types: OSM's and the POI file's."""
        parts = [self._osm_pois(network)]
        if self.config.poi_file is not None:
            parts.append(self._file_pois(network))
        parts = [p for p in parts if len(p)]
        if not parts:
            return _empty_points(network)
        return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=network.crs)

    def _osm_pois(self, network: Network) -> gpd.GeoDataFrame:
        cfg = self.config
        if not cfg.classify:
            return _empty_points(network)
        if cfg.network_source == "synthetic":
            return self.city.facilities.rename(columns={"category": "facility_type"})
        osm = self.osm
        if osm is None:
            return _empty_points(network)
        found = read_facilities(osm, tags=load_standards().osm_filter(), clip=self.clip_or_none())
        classified = classify_facilities(found.to_crs(network.crs))
        return facility_points(classified, network)

    def _file_pois(self, network: Network) -> gpd.GeoDataFrame:
        """Read a POI table exported from Amap or Baidu, checked against the streets."""
        cfg = self.config
        assert cfg.poi_file is not None
        self.inputs.append(cfg.poi_file)
        pois = read_poi_table(
            cfg.poi_file, coordinates=cfg.poi_coordinates, network=network, sheet=cfg.poi_sheet
        )
        check = pois.attrs.get("coordinate_check")
        if check:
            log.info("%s: coordinates %s", cfg.poi_file.name, check)
        points = pois[pois["facility_type"].notna()].to_crs(network.crs)
        return points.assign(source_file=cfg.poi_file.name)

    def register(
        self, communities: gpd.GeoDataFrame, demand: gpd.GeoDataFrame
    ) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
        """Read the community register, joined to the communities where they can be matched."""
        cfg = self.config
        if cfg.register_source is None:
            return None, None
        if cfg.register_source == "synthetic":
            return _synthetic_register(self, communities, demand), None
        assert isinstance(cfg.register_source, Path)
        self.inputs.append(cfg.register_source)
        register = read_register(cfg.register_source, sheet=cfg.register_sheet)
        if cfg.communities_source == "street_blocks":
            log.info("the register is not joined to street blocks; indicators from the register")
            return register, None
        options: dict[str, Any] = {"on": cfg.register_join}
        if cfg.register_boundary_code is not None:
            options["boundary_code"] = cfg.register_boundary_code
        if cfg.register_boundary_name is not None:
            options["boundary_name"] = cfg.register_boundary_name
        joined, unmatched = join_register(register, communities, **options)
        return joined, unmatched

    def facility_sites(
        self, source: FacilitySource, network: Network, pois: gpd.GeoDataFrame
    ) -> gpd.GeoDataFrame:
        if source.file is not None:
            self.inputs.append(source.file)
            sites = _read_sites(source).to_crs(network.crs)
        elif source.tags is not None:
            osm = self.osm
            if osm is None:
                msg = (
                    f"[facilities.types.{source.type_id}] tags need an OSM file as the "
                    "network source; give file = ... instead"
                )
                raise ConfigError(msg)
            sites = read_facilities(osm, tags=source.tags, clip=self.clip_or_none())
            sites = sites.to_crs(network.crs)
        else:
            sites = pois[pois["facility_type"].astype(str) == source.type_id]
        if source.polygons_only:
            sites = sites[sites.geom_type.isin(["Polygon", "MultiPolygon"])]
        sites = sites.copy()
        sites["facility_type"] = source.type_id
        if len(sites) == 0:
            log.warning("no %s found; its coverage will be zero", source.type_id)
        return sites


def _synthetic_register(
    loader: _Loader, communities: gpd.GeoDataFrame, demand: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Invent a register for the study's communities (demos: no real register ships).

    The synthetic city's own communities keep their households and codes;
    other communities (the demo's street blocks) get their population from the
    demand inside them and an assumed 2.6 people per household (an invented
    figure for an invented register).
    """
    if loader.config.communities_source == "synthetic":
        table = communities
    else:
        inside = containing(
            communities.geometry.to_numpy(), demand.geometry.representative_point().to_numpy()
        )
        weights = demand["population"].to_numpy(dtype=float)
        people = np.bincount(
            inside[inside >= 0], weights=weights[inside >= 0], minlength=len(communities)
        )
        table = gpd.GeoDataFrame(
            {
                "community_id": [f"B{i + 1:05d}" for i in range(len(communities))],
                "name_zh": [f"街坊{i + 1}" for i in range(len(communities))],
                "population": np.round(people).astype(np.int64),
                "households": np.round(people / SYNTHETIC_PERSONS_PER_HOUSEHOLD).astype(np.int64),
            },
            geometry=communities.geometry.to_numpy(),
            index=communities.index,
            crs=communities.crs,
        )
    register = bundled.synthetic_register(table)
    return gpd.GeoDataFrame(register, geometry=communities.geometry.to_numpy(), crs=communities.crs)


#: People per household of the invented register of a demo's street blocks.
SYNTHETIC_PERSONS_PER_HOUSEHOLD = 2.6


def _empty_points(network: Network) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"facility_type": []}, geometry=[], crs=network.crs)


_POPULATION_FIX = "give points (or areas) of where people live with a population column"


def _community_file(path: Path, layer: str | None) -> gpd.GeoDataFrame:
    """Read community boundaries: polygons only, each with a geometry."""
    what = "communities file"
    frame = read_vector_file(path, layer=layer, what=what)
    require_features(
        frame,
        path,
        what,
        "give the community boundaries, or leave [communities] source out to use street blocks",
    )
    return polygon_features(drop_empty_geometries(frame, path, what), path, what)


def _check_overlap(communities: gpd.GeoDataFrame, network: Network, path: Path) -> None:
    """Refuse communities that all lie off the network; warn about those that do."""
    area = shapely.box(*network.bounds).buffer(settings.max_snap_m)
    inside = np.asarray(communities.intersects(area), dtype=bool)
    if inside.all():
        return
    if not inside.any():
        bounds = tuple(round(float(b)) for b in communities.total_bounds)
        msg = (
            f"none of the {len(communities)} communities of {path.name} lies within reach of "
            f"the network {network.name!r} (communities' bounds {bounds}, network's "
            f"{tuple(round(b) for b in network.bounds)} in {network.crs.to_string()}"
            "): check the file's CRS, and that [network] and [area] cover the communities"
        )
        raise InputError(msg)
    msg = (
        f"{path.name}: {int((~inside).sum())} of {len(communities)} communities lie beyond "
        f"{settings.max_snap_m:g} m of the network's extent; nobody in them reaches a "
        "facility. Extend [area] to cover them, or delete them from the file"
    )
    warnings.warn(msg, GeoplanWarning, stacklevel=3)


def _read_sites(source: FacilitySource) -> gpd.GeoDataFrame:
    assert source.file is not None
    where = f"[facilities.types.{source.type_id}]"
    if source.file.suffix.lower() in SITE_TABLE_SUFFIXES:
        frame = read_site_table(source.file, x=source.x, y=source.y, crs=source.crs, where=where)
    else:
        what = f"{where} file"
        frame = read_vector_file(source.file, what=what)
        frame = drop_empty_geometries(frame, source.file, what)
    if source.type_column is not None:
        if source.type_column not in frame.columns:
            msg = (
                f"[facilities.types.{source.type_id}] type_column = {source.type_column!r} "
                f"is not a column of {source.file.name}"
            )
            raise ConfigError(msg)
        frame = frame[frame[source.type_column].astype(str) == str(source.type_value)]
    return frame


# ------------------------------------------------------------------------------ running


@dataclass(frozen=True)
class Proposal:
    """One site request's answer: the proposal and the area it newly brings within reach."""

    request: SiteRequest
    proposal: SiteProposal
    new_area: gpd.GeoDataFrame
    existing: gpd.GeoDataFrame


@dataclass
class StudyResult:
    """Everything a run computed; :func:`geoplan.report.write_run` writes it.

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
        Population coverage of every measured type.
    capacity
        Capacity-aware coverage of types with ``capacity = true`` (shelters).
    proposals
        Site proposals, by facility type.
    indicators
        The plan's indicators, when the study has a register.
    timings
        Seconds per step.
    notes
        Warnings raised on the way (e.g. unreachable points), for the report.
    """

    study: Study
    steps: tuple[str, ...]
    life_circles: LifeCircles | None = None
    service_areas: gpd.GeoDataFrame | None = None
    coverage: Coverage | None = None
    capacity: dict[str, Capacity] = field(default_factory=dict)
    proposals: dict[str, Proposal] = field(default_factory=dict)
    indicators: IndicatorResult | None = None
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def run_study(
    study: Study,
    *,
    steps: Iterable[str] | None = None,
    on_step: Callable[[str], None] | None = None,
) -> StudyResult:
    """Run a study's analyses.

    Parameters
    ----------
    study
        From :meth:`Study.from_config` or built from objects.
    steps
        Which of :data:`STEPS` to run (default all). ``sites`` also runs
        ``coverage``, whose figures it compares with.
    on_step
        Called with each step's name as it starts (progress bars).

    Returns
    -------
    StudyResult
    """
    chosen = _steps(steps)
    result = StudyResult(study=study, steps=chosen, notes=list(study.notes))
    config = study.config
    with study_settings(config), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GeoplanWarning)
        if "life_circles" in chosen and (config is None or config.life_circles):
            with _timed(result, "life_circles", on_step):
                result.life_circles = _life_circles(study)
        if "service_areas" in chosen and (config is None or config.service_areas):
            with _timed(result, "service_areas", on_step):
                result.service_areas = _service_areas(study)
        if "coverage" in chosen or "sites" in chosen:
            with _timed(result, "coverage", on_step):
                _coverage(study, result)
        if "indicators" in chosen and study.register is not None:
            with _timed(result, "indicators", on_step):
                result.indicators = _indicators(study)
        if "sites" in chosen:
            with _timed(result, "sites", on_step):
                for request in config.sites if config is not None else ():
                    result.proposals[request.facility_type] = _propose(study, result, request)
    result.notes += [str(w.message) for w in caught]
    return result


def _steps(steps: Iterable[str] | None) -> tuple[str, ...]:
    if steps is None:
        return STEPS
    chosen = tuple(steps)
    unknown = [s for s in chosen if s not in STEPS]
    if unknown:
        msg = f"unknown step(s) {', '.join(unknown)}; the steps are {', '.join(STEPS)}"
        raise ConfigError(msg)
    if "sites" in chosen and "coverage" not in chosen:
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
    options: dict[str, Any] = {"demand": study.demand}
    if levels is not None:
        options["levels"] = levels
    return life_circles(study.network, study.communities, study.pois, **options)


def _indicators(study: Study) -> IndicatorResult:
    """Measure the plan's indicators from the register (or facilities inside communities)."""
    register = study.register
    assert register is not None
    spatial = study.config is not None and study.config.register_spatial
    if spatial and isinstance(register, gpd.GeoDataFrame) and len(study.pois):
        return evaluate_indicators(
            pd.DataFrame(register.drop(columns=register.geometry.name)),
            communities=register,
            facilities=study.pois,
        )
    frame = register.drop(columns="geometry") if "geometry" in register.columns else register
    return evaluate_indicators(pd.DataFrame(frame))


def _minutes(study: Study) -> list[float]:
    if study.config is not None:
        return list(study.config.service_area_minutes)
    return [float(m) for m in settings.life_circle_minutes]


def _service_areas(study: Study) -> gpd.GeoDataFrame | None:
    parts = []
    for type_id in study.facilities:
        points = study.facility_points(type_id)
        if len(points) == 0:
            continue
        rings = service_areas(study.network, points, minutes=_minutes(study), mode="rings")
        rings.insert(0, "facility_type", type_id)
        parts.append(rings.drop(columns="facility"))
    if not parts:
        return None
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=study.network.crs)


def _thresholds(study: Study) -> dict[str, float] | None:
    if study.config is None:
        return None
    given = {s.type_id: s.minutes for s in study.config.facility_sources if s.minutes is not None}
    return {k: float(v) for k, v in given.items()} or None


def _with_thresholds(thresholds: dict[str, float]) -> Standards:
    """Return the standards with a study's own thresholds (``[facilities.types.x] minutes``)."""
    std = load_standards()
    known = {t.id for t in std.all_types}
    facility: dict[str, dict[str, Any]] = {}
    for type_id, minutes in thresholds.items():
        facility[type_id] = {"walk_minutes": minutes}
        if type_id not in known:  # a type of the user's own
            facility[type_id] |= {"name_zh": type_id, "name_en": type_id, "level": "15min"}
    return std.with_overrides({"facility": facility})


def _coverage(study: Study, result: StudyResult) -> None:
    if not study.facilities:
        return
    points = [study.facility_points(t) for t in study.facilities]
    sites = gpd.GeoDataFrame(pd.concat(points, ignore_index=True), crs=study.network.crs)
    if len(sites) == 0:
        note = "no facility of any measured type was found in the study area; coverage skipped"
        log.warning(note)
        result.notes.append(note)
        return
    options: dict[str, Any] = {"communities": study.communities}
    thresholds = _thresholds(study)
    if thresholds:
        options["standards"] = _with_thresholds(thresholds)
    result.coverage = coverage(study.network, sites, study.demand, **options)
    capacity_types = (
        [s.type_id for s in study.config.facility_sources if s.capacity]
        if study.config is not None
        else []
    )
    for type_id in capacity_types:
        polygons = study.facilities[type_id]
        polygons = polygons[polygons.geom_type.isin(["Polygon", "MultiPolygon"])]
        if len(polygons):
            result.capacity[type_id] = shelter_capacity(study.network, polygons, study.demand)


def _threshold_of(result: StudyResult, type_id: str, request: SiteRequest) -> float:
    if request.minutes is not None:
        return request.minutes
    assert result.coverage is not None
    totals = result.coverage.totals
    if type_id in totals.index:
        return float(
            totals["threshold_minutes"].to_numpy(dtype=float)[totals.index.get_loc(type_id)]
        )
    return float(load_standards().facility_type(type_id).threshold_minutes)


def _propose(study: Study, result: StudyResult, request: SiteRequest) -> Proposal:
    type_id = request.facility_type
    if type_id not in study.facilities:
        known = ", ".join(study.facilities) or "none"
        msg = (
            f"[[sites]] facility_type = {type_id!r} is not a measured type; add "
            f"[facilities.types.{type_id}] (measured now: {known})"
        )
        raise ConfigError(msg)
    existing = study.facility_points(type_id)
    minutes = _threshold_of(result, type_id, request)
    sites = candidates(study.network, spacing_m=request.candidate_spacing_m)
    options: dict[str, Any] = {
        "minutes": minutes,
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
    new_area = _newly_covered_area(study, proposal, existing, minutes)
    return Proposal(request, proposal, new_area, existing)


def _newly_covered_area(
    study: Study, proposal: SiteProposal, existing: gpd.GeoDataFrame, minutes: float
) -> gpd.GeoDataFrame:
    """Return the area within ``minutes`` of a proposed site and of no existing one."""
    crs = study.network.crs
    if len(proposal.sites) == 0:
        return gpd.GeoDataFrame({"facility_type": []}, geometry=[], crs=crs)
    new = service_areas(study.network, proposal.sites, minutes=minutes, mode="dissolved")
    area = shapely.union_all(new.geometry.to_numpy())
    if len(existing):
        old = service_areas(study.network, existing, minutes=minutes, mode="dissolved")
        area = shapely.difference(area, shapely.union_all(old.geometry.to_numpy()))
    type_id = proposal.sites.attrs.get("facility_type")
    frame = gpd.GeoDataFrame(
        {"facility_type": [type_id], "area_m2": [float(shapely.area(area))]},
        geometry=[area],
        crs=crs,
    )
    return frame[~frame.geometry.is_empty]


def study_totals(result: StudyResult) -> dict[str, Any]:
    """Return the key figures of a run, for the report and the command's summary."""
    study = result.study
    totals: dict[str, Any] = {
        "nodes": study.network.n_nodes,
        "edges": study.network.n_edges,
        "communities": len(study.communities),
        "population": float(np.nansum(study.demand["population"].to_numpy(dtype=float))),
        "facility_sites": {t: len(f) for t, f in study.facilities.items()},
    }
    if result.coverage is not None:
        totals["coverage"] = {str(t): float(s) for t, s in result.coverage.totals["share"].items()}
    if result.life_circles is not None:
        table = result.life_circles.communities
        totals["completeness"] = {
            str(c).removeprefix("score_"): float(table[c].mean())
            for c in table.columns
            if str(c).startswith("score_")
        }
    totals["proposals"] = {t: p.proposal.summary for t, p in result.proposals.items()}
    return totals
