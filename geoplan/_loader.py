"""Reading a study's inputs from its configuration (the ``geoplan run`` path).

:class:`Loader` reads what a :class:`~geoplan.config.StudyConfig` names — the
network, the communities, where people live, the points of interest and each
measured type's own sites, the register — and times every step. It only
reads: :meth:`geoplan.Study.from_config` hands what it read to the one
resolution every study goes through.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan._background import Job, Task, can_fork
from geoplan._background import start as start_job
from geoplan._errors import ConfigError, GeoplanWarning, InputError, NetworkError
from geoplan._validate import containing
from geoplan.config import FacilitySource, StudyConfig, is_line_file
from geoplan.coords import convert_frame
from geoplan.facilities import classify_facilities
from geoplan.landuse import read_landuse
from geoplan.life_circles import street_blocks
from geoplan.network import Network
from geoplan.population import (
    calibrate_population,
    population_from_buildings,
    population_from_parcels,
    population_from_raster,
)
from geoplan.settings import settings
from geoplan.slopes import with_slopes
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
from geoplan.sources._coordinate_evidence import check_coordinates
from geoplan.sources._sites import SITE_TABLE_SUFFIXES, read_site_table
from geoplan.sources._vectors import (
    drop_empty_geometries,
    people_counts,
    polygon_features,
    read_vector_file,
    require_features,
)
from geoplan.sources.context import read_context
from geoplan.standards import current_standards

__all__ = ["SYNTHETIC_PERSONS_PER_HOUSEHOLD", "Loaded", "Loader"]

log = logging.getLogger(__name__)

_T = TypeVar("_T")

#: What the second process read from the extract, by name: the frame (or None), the
#: warnings its reading raised (text, category) and the exception it raised, if any.
_Reads = dict[str, tuple[Any, list[tuple[str, type[Warning]]], Exception | None]]

#: The extract reads' task, for the messages of the process that may make them.
_READING = Task(
    "reading the extract's buildings, land use and points of interest",
    "set `[settings] parallel = false` to read them in one process",
)

_RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".img")
_POPULATION_FIX = "give points (or areas) of where people live with a population column"
#: People per household of the invented register of a demo's street blocks.
SYNTHETIC_PERSONS_PER_HOUSEHOLD = 2.6
#: Columns taken as a community's id or name when the study does not name them.
ID_COLUMNS = ("community_id", "code", "社区代码", "社区编码", "id")
NAME_COLUMNS = ("name", "name_zh", "社区名称", "名称")


@dataclass
class Loaded:
    """What a study's configuration named, as read (before the study resolves it).

    Attributes
    ----------
    network, communities, demand
        The network; communities indexed by their id; people with ``population``.
    classified
        Every point of interest classified into the standard types (OSM's and
        the POI file's), as found.
    own_sites
        The sites of each measured type that has its own tags or file.
    register, register_unmatched
        The community register and what did not match.
    inputs
        Every file read.
    notes
        Warnings raised while reading.
    timings
        Seconds per loading step (``load_network``, ``load_communities``...).
    coordinate_checks
        The coordinate-system check of each lon/lat input.
    base_layers
        Water, green space and buildings for the maps' base layer (``kind``),
        when the study writes maps from an OSM extract.
    """

    network: Network
    communities: gpd.GeoDataFrame
    demand: gpd.GeoDataFrame
    classified: gpd.GeoDataFrame
    own_sites: dict[str, gpd.GeoDataFrame]
    register: pd.DataFrame | None
    register_unmatched: pd.DataFrame | None
    inputs: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    coordinate_checks: list[dict[str, Any]] = field(default_factory=list)
    base_layers: gpd.GeoDataFrame | None = None


class Loader:
    """Reads a study's inputs from its configuration.

    Parameters
    ----------
    config
        A validated study.
    """

    def __init__(self, config: StudyConfig) -> None:
        self.config = config
        self.inputs: list[Path] = []
        self.timings: dict[str, float] = {}
        self.coordinate_checks: list[dict[str, Any]] = []
        self._city: bundled.SyntheticCity | None = None
        self._extract: Path | None = None
        self._area: Any = None
        self._buildings: gpd.GeoDataFrame | None = None
        self._caught: list[warnings.WarningMessage] = []
        self._reading: Job[_Reads] | None = None
        self._read: _Reads = {}

    @contextmanager
    def _timed(self, step: str) -> Iterator[None]:
        start = time.perf_counter()
        yield
        self.timings[f"load_{step}"] = round(time.perf_counter() - start, 3)

    def load(self) -> Loaded:
        """Read every input the configuration names."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", GeoplanWarning)
            self._caught = caught
            self._reading = self._start_extract_reads()
            try:
                loaded = self._load()
            except BaseException:  # a failure or Ctrl-C: the second process's reads are not wanted
                if self._reading is not None:
                    self._reading.cancel()
                raise
        _check_people(loaded.demand, self.config)
        return loaded

    def _load(self) -> Loaded:
        with self._timed("network"):
            network = self.network()
        with self._timed("communities"):
            communities = self.communities(network)
        with self._timed("population"):
            demand = self.demand(network)
        with self._timed("facilities"):
            classified = self.classified(network)
            own = {
                source.type_id: self.own_sites(source, network)
                for source in self.config.facility_sources
                if source.file is not None or source.tags is not None
            }
        with self._timed("register"):
            register, unmatched = self.register(communities, demand)
        with self._timed("base_layers"):
            base_layers = self.base_layers(network)
        self._extract_frames()  # the second process is done with (and waited for)
        return Loaded(
            network=network,
            communities=communities,
            demand=demand,
            classified=classified,
            own_sites=own,
            register=register,
            register_unmatched=unmatched,
            inputs=list(dict.fromkeys(self.inputs)),
            notes=[str(w.message) for w in self._caught],
            timings=dict(self.timings),
            coordinate_checks=list(self.coordinate_checks),
            base_layers=base_layers,
        )

    def base_layers(self, network: Network) -> gpd.GeoDataFrame | None:
        """Read what the maps draw beneath their layers: water, green space, buildings.

        Only for a study that writes maps from an OSM extract; the buildings are
        those the population was estimated from (none are read for this alone).
        """
        osm = self.osm
        if not self.config.maps or osm is None:
            return None
        context = self._from_extract(
            "context", lambda: read_context(osm, clip=self.clip_or_none())
        ).to_crs(network.crs)
        if self._buildings is None:
            return context
        buildings = self._buildings[["geometry"]].assign(kind="building")
        return pd.concat([context, buildings[["kind", "geometry"]]], ignore_index=True)

    # ------------------------------------------------ reading the extract meanwhile
    def _start_extract_reads(self) -> Job[_Reads] | None:
        """Start reading what the study takes from its OSM extract besides the network.

        A second process (where it may fork, :mod:`geoplan._background`) reads
        the buildings, land use, points of interest and the maps' context while
        this one reads the network and makes the communities; each is taken
        from it, with the warnings its reading raised, when the loading comes
        to it. The frames are those this process would read.
        """
        reads = self._extract_reads() if can_fork() else {}
        if not reads:  # nothing to read, or no second process: each is read when needed
            return None

        def read_all() -> _Reads:
            done: _Reads = {}
            with settings.override(progress=False):  # the progress bars are this process's
                for name, read in reads.items():
                    with warnings.catch_warnings(record=True) as raised:
                        warnings.simplefilter("always", GeoplanWarning)
                        frame, error = None, None
                        try:
                            frame = read()
                        except Exception as exc:  # raised here when the loading comes to it
                            error = exc
                    done[name] = (frame, [(str(w.message), w.category) for w in raised], error)
            return done

        return start_job(read_all, _READING)

    def _extract_reads(self) -> dict[str, Callable[[], Any]]:
        """Return the reads of the extract the loading will make besides the network's, by name."""
        cfg = self.config
        if cfg.network_source == "synthetic" or is_line_file(cfg.network_source):
            return {}
        osm = self.osm
        if osm is None or osm.suffix.lower() != ".pbf":
            return {}
        clip = self.clip_or_none()
        reads: dict[str, Callable[[], Any]] = {}
        source = cfg.population_source
        if source == "buildings" or (
            isinstance(source, Path) and cfg.population_class_column is not None
        ):
            reads["buildings"] = lambda: read_buildings(osm, clip=clip)
        landuse = cfg.population_landuse  # None: OpenStreetMap's
        if source == "buildings" and landuse != "none" and not isinstance(landuse, Path):
            reads["landuse"] = lambda: read_landuse(osm, clip=clip)
        if cfg.classify:
            tags = current_standards().osm_filter()
            reads["pois"] = lambda: read_facilities(osm, tags=tags, clip=clip)
        for facility in cfg.facility_sources:
            if facility.file is None and facility.tags is not None:
                reads[f"tags:{facility.type_id}"] = partial(
                    read_facilities, osm, tags=facility.tags, clip=clip
                )
        if cfg.maps:
            reads["context"] = lambda: read_context(osm, clip=clip)
        return reads

    def _extract_frames(self) -> _Reads:
        """Return what the second process read (waiting for it the first time)."""
        if self._reading is not None:
            self._read, self._reading = self._reading.result(), None
        return self._read

    def _from_extract(self, name: str, read: Callable[[], _T]) -> _T:
        """``read()``, or what the second process read for ``name``, with its warnings."""
        found = self._extract_frames().pop(name, None)
        if found is None:
            return read()
        frame, raised, error = found
        self._caught += [warnings.WarningMessage(text, kind, "", 0) for text, kind in raised]
        if error is not None:
            raise error
        return frame  # type: ignore[no-any-return]

    # ----------------------------------------------------------------- sources
    @property
    def city(self) -> bundled.SyntheticCity:
        """The synthetic city of a ``source = "synthetic"`` study (made once)."""
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
            return None if is_line_file(source) else source
        return None

    def clip(self) -> Any:
        """Return the study area (a bbox, a polygon in EPSG:4326 or a place name)."""
        if self._area is None:
            self._area = self._study_area()
        return self._area

    def clip_or_none(self) -> Any:
        """Return the study area, or ``None`` for the bundled sample (read whole)."""
        return None if self.config.network_source == "sample" else self.clip()

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

    # ----------------------------------------------------------------- readers
    def network(self) -> Network:
        """Read the network of the study area, with slopes when the study names a DEM."""
        return self._with_slopes(self._network())

    def _with_slopes(self, network: Network) -> Network:
        """Return the network with walking times up and down hill from [network] dem."""
        dem = self.config.network_dem
        if dem is None:
            return network
        self.inputs.append(dem)
        return with_slopes(network, dem)

    def _network(self) -> Network:
        cfg = self.config
        travel: dict[str, Any] = cfg.network_travel  # one-way streets and speeds
        if cfg.network_source == "synthetic":
            return self.city.network()
        if cfg.network_source == "online":
            return read_network(self.clip(), profile=cfg.profile, **travel)  # type: ignore[arg-type]
        if is_line_file(cfg.network_source):
            assert isinstance(cfg.network_source, Path)
            self.inputs.append(cfg.network_source)
            return read_network(
                cfg.network_source,
                profile=cfg.profile,  # type: ignore[arg-type]
                clip=self.clip(),
                **cfg.network_lines,  # type: ignore[arg-type]
                **travel,
            )
        osm = self.osm
        assert osm is not None
        self.inputs.append(osm)
        network = read_network(osm, profile=cfg.profile, clip=self.clip(), **travel)  # type: ignore[arg-type]
        if network.n_edges == 0:
            msg = (
                f"the study area has no {cfg.profile} roads in {osm.name}: check [area] "
                "(bbox is left, bottom, right, top in lon/lat) and that the extract covers it"
            )
            raise NetworkError(msg)
        return network

    def communities(self, network: Network) -> gpd.GeoDataFrame:
        """Read the communities, indexed by their id, with a ``name`` where the file has one."""
        cfg = self.config
        source = cfg.communities_source
        if source == "street_blocks":
            return street_blocks(network)
        if source == "synthetic":
            frame = self.city.communities
        else:
            assert isinstance(source, Path)
            self.inputs.append(source)
            frame = _community_file(source, cfg.communities_layer)
            frame = self._in_wgs84(frame, network, cfg.communities_coordinates, source.name)
            frame = frame.to_crs(network.crs)
            _check_overlap(frame, network, source)
        return _community_ids(frame, cfg, source)

    def _in_wgs84(
        self, frame: gpd.GeoDataFrame, network: Network, declared: str, name: str
    ) -> gpd.GeoDataFrame:
        """Check a lon/lat layer's system against the streets; return it in WGS-84.

        Chinese layers are often digitised over Amap or Baidu imagery, so their
        lon/lat numbers are GCJ-02 or BD-09 although tagged EPSG:4326. A layer in
        a projected CRS is taken as it is.
        """
        if frame.crs is None or not frame.crs.is_geographic:
            return frame
        check = check_coordinates(frame, network, coordinates=declared, what=name)
        self.coordinate_checks.append({"file": name, **check.as_dict()})
        system = check.system or declared
        if system in ("wgs84", "auto"):
            return frame
        return convert_frame(frame, source=system, target="wgs84")

    def demand(self, network: Network) -> gpd.GeoDataFrame:
        """Read where people live, scaled to ``[population] total`` when the study gives one."""
        demand = self._demand(network)
        if self.config.population_total is None:
            return demand
        groups = [g.column for g in self.config.population_groups if g.share is None]
        scaled, _ = calibrate_population(
            demand,
            self.config.population_total,
            columns=[c for c in groups if c in demand.columns],  # groups count people too
        )
        return scaled

    def _demand(self, network: Network) -> gpd.GeoDataFrame:
        """Read where people live: points (or areas) with a ``population`` column."""
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
            buildings = self._from_extract(
                "buildings", lambda: read_buildings(osm, clip=self.clip_or_none())
            ).to_crs(network.crs)
            self._buildings = buildings
            landuse, classes = self._landuse(osm, network)
            return population_from_buildings(
                buildings,
                landuse=landuse,
                class_column=classes,
                scheme=cfg.population_class_scheme,
                max_untagged_footprint_m2=cfg.population_max_untagged_footprint_m2,
            )
        assert isinstance(source, Path)
        self.inputs.append(source)
        if source.suffix.lower() in _RASTER_SUFFIXES:
            nodes, _ = network.to_gdfs()
            area = shapely.box(*nodes.total_bounds)
            return population_from_raster(source, area=area, crs=network.crs)
        what = "population file" if cfg.population_class_column is None else "parcel file"
        frame = read_vector_file(source, what=what)
        require_features(frame, source, what, _POPULATION_FIX)
        frame = drop_empty_geometries(frame, source, what).to_crs(network.crs)
        if cfg.population_class_column is not None:
            osm = self.osm
            homes = (
                None
                if osm is None
                else self._from_extract(
                    "buildings", lambda: read_buildings(osm, clip=self.clip_or_none())
                )
            )
            self._buildings = None if homes is None else homes.to_crs(network.crs)
            return population_from_parcels(
                frame,
                class_column=cfg.population_class_column,
                far_column=cfg.population_far_column,
                scheme=cfg.population_class_scheme,
                buildings=None if homes is None else homes.to_crs(network.crs),
            )
        column = cfg.population_column
        if column not in frame.columns:
            msg = (
                f"[population] column = {column!r} is not a column of "
                f"{source.name}; its columns are {list(frame.columns)}"
            )
            raise ConfigError(msg)
        people = people_counts(frame[column], source, column)
        return frame.drop(columns=column).assign(population=people)

    def _landuse(self, osm: Path, network: Network) -> tuple[gpd.GeoDataFrame | None, str | None]:
        """Read the land use that leaves buildings out (OSM's, a file or none), its classes."""
        cfg = self.config
        if cfg.population_landuse == "none":
            return None, None
        if isinstance(cfg.population_landuse, Path):
            path = cfg.population_landuse
            self.inputs.append(path)
            frame = read_vector_file(path, what="land-use file")
            require_features(frame, path, "land-use file", "give land-use polygons")
            frame = drop_empty_geometries(frame, path, "land-use file")
            return frame.to_crs(network.crs), cfg.population_class_column
        land = self._from_extract("landuse", lambda: read_landuse(osm, clip=self.clip_or_none()))
        return (land.to_crs(network.crs) if len(land) else None), None

    def classified(self, network: Network) -> gpd.GeoDataFrame:
        """Every point of interest classified into the standard types: OSM's and the POI file's."""
        parts = [self._osm_pois(network)]
        if self.config.poi_file is not None:
            parts.append(self._file_pois(network))
        parts = [p for p in parts if len(p)]
        if not parts:
            return empty_points(network)
        return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=network.crs)

    def _osm_pois(self, network: Network) -> gpd.GeoDataFrame:
        cfg = self.config
        if not cfg.classify:
            return empty_points(network)
        if cfg.network_source == "synthetic":
            found = self.city.facilities.rename(columns={"category": "facility_type"})
            return found.assign(source="synthetic city")
        osm = self.osm
        if osm is None:
            return empty_points(network)
        tags = current_standards().osm_filter()
        found = self._from_extract(
            "pois", lambda: read_facilities(osm, tags=tags, clip=self.clip_or_none())
        )
        classified = classify_facilities(found.to_crs(network.crs))
        return classified.assign(source=f"OpenStreetMap ({osm.name}), classified")

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
            self.coordinate_checks.append({"file": cfg.poi_file.name, **check})
        points = pois[pois["facility_type"].notna()].to_crs(network.crs)
        return points.assign(source=f"{cfg.poi_file.name}, classified")

    def own_sites(self, source: FacilitySource, network: Network) -> gpd.GeoDataFrame:
        """Read the sites of a type defined by its own OSM tags or file."""
        if source.file is not None:
            self.inputs.append(source.file)
            sites = _read_sites(source, network)
            check = sites.attrs.get("coordinate_check")
            if check:
                self.coordinate_checks.append({"file": source.file.name, **check})
            elif sites.crs is not None and sites.crs.is_geographic:  # a vector file in lon/lat
                sites = self._in_wgs84(sites, network, source.coordinates, source.file.name)
            sites = sites.to_crs(network.crs)
            sites = sites.assign(source_row=sites.index)  # the row in the user's file
            described = f"file {source.file.name}"
        else:
            assert source.tags is not None
            osm = self.osm
            if osm is None:
                msg = (
                    f"[facilities.types.{source.type_id}] tags need an OSM file as the "
                    "network source; give file = ... instead"
                )
                raise ConfigError(msg)
            tags = source.tags
            sites = self._from_extract(
                f"tags:{source.type_id}",
                lambda: read_facilities(osm, tags=tags, clip=self.clip_or_none()),
            )
            sites = sites.to_crs(network.crs)
            described = f"OpenStreetMap tags {tag_text(source.tags)}"
        return sites.assign(facility_type=source.type_id, source=described)

    def register(
        self, communities: gpd.GeoDataFrame, demand: gpd.GeoDataFrame
    ) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
        """Read the community register, joined to the communities where they can be matched."""
        cfg = self.config
        if cfg.register_source is None:
            return None, None
        if cfg.register_source == "synthetic":
            return _synthetic_register(cfg, communities, demand), None
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


# ------------------------------------------------------------------ helpers


def empty_points(network: Network) -> gpd.GeoDataFrame:
    """Return an empty facility table in the network's CRS."""
    return gpd.GeoDataFrame({"facility_type": []}, geometry=[], crs=network.crs)


def tag_text(tags: dict[str, bool | str | list[str]]) -> str:
    """OSM tags as people write them: ``amenity=clinic|doctors, leisure=*``."""
    parts = []
    for key, wanted in tags.items():
        if wanted is True:
            parts.append(f"{key}=*")
        elif isinstance(wanted, list):
            parts.append(f"{key}={'|'.join(wanted)}")
        else:
            parts.append(f"{key}={wanted}")
    return ", ".join(parts)


def _check_people(demand: gpd.GeoDataFrame, config: StudyConfig) -> None:
    people = demand["population"].to_numpy(dtype=float) if "population" in demand else []
    if len(demand) == 0 or not np.nansum(people) > 0:
        msg = (
            f"the study has no population: [population] source = "
            f"{config.population_source!s} gave no people in the study area; give a "
            "population raster or a file of points with a population column"
        )
        raise InputError(msg)


def _community_ids(
    frame: gpd.GeoDataFrame, config: StudyConfig, source: str | Path
) -> gpd.GeoDataFrame:
    """Index communities by the id the study names (or one the file has), with a ``name``."""
    where = source.name if isinstance(source, Path) else f"the {source} communities"
    column = config.communities_id_column or next(
        (c for c in ID_COLUMNS if c in frame.columns and frame[c].is_unique), None
    )
    out = frame.copy()
    if column is not None:
        if column not in out.columns:
            msg = (
                f"[communities] id = {column!r} is not a column of {where}; its columns are "
                f"{list(out.columns)}"
            )
            raise ConfigError(msg)
        ids = out[column]
        if ids.isna().any() or not ids.is_unique:
            bad = list(ids[ids.isna() | ids.duplicated(keep=False)].astype(str).unique()[:5])
            msg = (
                f"[communities] id = {column!r} must identify every community of {where} once; "
                f"empty or repeated: {bad}. Fill them in, or name another column"
            )
            raise InputError(msg)
        out.index = pd.Index(ids.astype(str).to_numpy(), name="community")
    else:
        out.index = pd.Index([f"C{i + 1:04d}" for i in range(len(out))], name="community")
    name_column = config.communities_name_column or next(
        (c for c in NAME_COLUMNS if c in out.columns), None
    )
    if name_column is not None and name_column not in out.columns:
        msg = (
            f"[communities] name_column = {name_column!r} is not a column of {where}; its "
            f"columns are {list(out.columns)}"
        )
        raise ConfigError(msg)
    if name_column is not None and name_column != "name":
        out["name"] = out[name_column]
    return out


def _synthetic_register(
    config: StudyConfig, communities: gpd.GeoDataFrame, demand: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Invent a register for the study's communities (demos: no real register ships).

    The synthetic city's own communities keep their households and codes;
    other communities (the demo's street blocks) get their population from the
    demand inside them and an assumed 2.6 people per household (an invented
    figure for an invented register).
    """
    if config.communities_source == "synthetic":
        table = communities
    else:
        inside = containing(
            communities.geometry.to_numpy(), shapely.centroid(demand.geometry.to_numpy())
        )
        weights = demand["population"].to_numpy(dtype=float)
        people = np.bincount(
            inside[inside >= 0], weights=weights[inside >= 0], minlength=len(communities)
        )
        table = gpd.GeoDataFrame(
            {
                "community_id": list(communities.index.astype(str)),
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


def _read_sites(source: FacilitySource, network: Network) -> gpd.GeoDataFrame:
    assert source.file is not None
    where = f"[facilities.types.{source.type_id}]"
    if source.file.suffix.lower() in SITE_TABLE_SUFFIXES:
        frame = read_site_table(
            source.file,
            x=source.x,
            y=source.y,
            crs=source.crs,
            where=where,
            coordinates=source.coordinates,
            network=network,
        )
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
