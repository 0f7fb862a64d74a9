"""Study configuration: a TOML file that describes one study, validated up front.

Every key is checked before anything is read or computed. An error names the
key, says what was wrong and shows a right value, e.g.::

    study.toml: [network] profile = 'walking' is not one of walk, bike, drive;
    e.g. profile = "walk"

A minimal study (see ``studies/`` for complete, commented examples)::

    [study]
    name = "nanguan"

    [network]
    source = "data/raw/jilin-latest.osm.pbf"

    [area]
    bbox = [125.30, 43.85, 125.38, 43.91]

    [facilities.types.community_health_station]
    tags = { amenity = ["clinic", "doctors"] }

Relative paths are relative to the folder of the TOML file.
"""

from __future__ import annotations

import difflib
import math
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from geoplan._errors import ConfigError, InputError
from geoplan._io import SAFE_NAME
from geoplan.groups import PopulationGroup, check_walk_speed, population_group
from geoplan.settings import BASEMAPS, Settings

__all__ = [
    "FacilitySource",
    "ScenarioSource",
    "SiteRequest",
    "StudyConfig",
    "load_config",
    "parse_config",
    "with_sites",
]

#: Network/communities/population sources that are words rather than files.
NETWORK_SOURCES = ("sample", "synthetic", "online")
COMMUNITY_SOURCES = ("street_blocks", "synthetic")
POPULATION_SOURCES = ("buildings", "synthetic")
PROFILES = ("walk", "bike", "drive")
MODELS = ("mclp", "lscp", "p_median", "p_center")
#: A study's name becomes its run folder's name: word characters of any script, '-', '_', '.'.
STUDY_NAME = re.compile(r"^\w[\w.-]{0,63}$")


@dataclass(frozen=True)
class FacilitySource:
    """Where one facility type's sites come from, and how it is measured.

    Attributes
    ----------
    type_id
        A facility type of the standards (or a user's own name).
    tags
        OSM tags selecting the type from the study's OSM source; ``None`` uses
        the sites the standards' classification finds.
    file
        A vector file or CSV with the sites instead of OSM.
    x, y, crs
        Coordinate columns and their CRS, for a CSV file.
    type_column, type_value
        Keep only rows of the file whose ``type_column`` equals ``type_value``.
    minutes, distance_m
        The type's threshold in minutes or in metres along the network (one
        of them); ``None`` uses the standards' rule
        (:class:`~geoplan.standards.Cutoff`).
    polygons_only
        Keep only areas (e.g. parks standing in for shelters).
    capacity
        Measure capacity (shelters: from their area).
    name_zh, name_en
        The names of a type of the user's own (a standard type has its own).
    coordinates
        The system lon/lat numbers of the file are in: ``"wgs84"`` (default),
        ``"gcj02"`` (Amap, Tencent), ``"bd09"`` (Baidu) or ``"auto"``; checked
        against the streets either way.
    """

    type_id: str
    tags: dict[str, bool | str | list[str]] | None = None
    file: Path | None = None
    x: str = "lon"
    y: str = "lat"
    crs: str = "EPSG:4326"
    type_column: str | None = None
    type_value: str | None = None
    minutes: float | None = None
    distance_m: float | None = None
    polygons_only: bool = False
    capacity: bool = False
    name_zh: str | None = None
    name_en: str | None = None
    coordinates: str = "wgs84"

    @property
    def custom(self) -> bool:
        """Whether this is a type of the user's own, not one of the standards."""
        return self.type_id not in _standard_type_ids()


@dataclass(frozen=True)
class SiteRequest:
    """One ``[[sites]]`` request: where to build ``p`` new facilities of a type."""

    facility_type: str
    model: str = "mclp"
    p: int | None = 3
    minutes: float | None = None
    candidate_spacing_m: float = 150.0
    target: float = 1.0
    solver: str = "auto"
    time_limit_s: float = 60.0


@dataclass(frozen=True)
class StudyConfig:
    """A validated study description; see :func:`load_config`."""

    name: str
    title: str
    lang: str | None
    base_dir: Path
    network_source: str | Path
    profile: str
    network_region: str | None = None
    network_lines: dict[str, str] = field(default_factory=dict)
    invented: bool = False
    network_travel: dict[str, Any] = field(default_factory=dict)
    network_dem: Path | None = None
    bbox: tuple[float, float, float, float] | None = None
    area_file: Path | None = None
    place: str | None = None
    district: str | None = None
    district_admin_level: int | None = None
    district_within: str | None = None
    synthetic: dict[str, Any] = field(default_factory=dict)
    communities_source: str | Path = "street_blocks"
    communities_layer: str | None = None
    communities_id_column: str | None = None
    communities_coordinates: str = "wgs84"
    communities_name_column: str | None = None
    population_source: str | Path = "buildings"
    population_column: str = "population"
    population_total: float | None = None
    population_landuse: str | Path | None = None
    population_class_column: str | None = None
    population_far_column: str | None = None
    population_class_scheme: str = "auto"
    population_max_untagged_footprint_m2: float | None = None
    population_groups: tuple[PopulationGroup, ...] = ()
    classify: bool = True
    poi_file: Path | None = None
    poi_coordinates: str = "auto"
    poi_sheet: str | None = None
    register_source: str | Path | None = None
    register_sheet: str | None = None
    register_join: str = "code"
    register_boundary_code: str | None = None
    register_boundary_name: str | None = None
    register_spatial: bool = False
    facility_sources: tuple[FacilitySource, ...] = ()
    life_circles: bool = True
    life_circle_levels: tuple[str, ...] = ("15min", "10min", "5min")
    service_area_minutes: tuple[float, ...] = ()
    service_areas: bool = True
    sites: tuple[SiteRequest, ...] = ()
    scenarios: tuple[ScenarioSource, ...] = ()
    maps: bool = True
    print_outputs: bool = True
    offline_maps: bool | None = None
    basemap: str | None = None
    rasters: bool = True
    raster_resolution_m: float = 50.0
    output_dir: Path | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    source_file: Path | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def coverage_types(self) -> list[str]:
        """The facility types whose coverage the study measures."""
        return [source.type_id for source in self.facility_sources]


# ------------------------------------------------------------------------- checks


class _Where:
    """Names the place of a value in the file, for messages."""

    def __init__(self, origin: str, table: str) -> None:
        self.origin = origin
        self.table = table

    def fail(self, key: str, problem: str, example: str) -> ConfigError:
        where = f"[{self.table}] {key}" if self.table else key
        return ConfigError(f"{self.origin}: {where} {problem}; e.g. {example}")


_Check = Callable[[_Where, str, Any], Any]


def _string(where: _Where, key: str, value: Any, example: str = '"text"') -> str:
    if not isinstance(value, str) or not value.strip():
        raise where.fail(key, f"must be a non-empty string, got {value!r}", f"{key} = {example}")
    return value


def _choice(options: tuple[str, ...]) -> _Check:
    def check(where: _Where, key: str, value: Any) -> str:
        if value not in options:
            raise where.fail(
                key,
                f"= {value!r} is not one of {', '.join(options)}",
                f'{key} = "{options[0]}"',
            )
        return str(value)

    return check


def _boolean(where: _Where, key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise where.fail(key, f"must be true or false, got {value!r}", f"{key} = true")
    return value


def _number(value: Any) -> float | None:
    """Return the value as a finite float; None for bools, text, inf, NaN, huge integers."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _positive(where: _Where, key: str, value: Any) -> float:
    number = _number(value)
    if number is None:
        raise where.fail(key, f"must be a number, got {_short(value)}", f"{key} = 15")
    if number <= 0:
        raise where.fail(key, f"must be positive, got {value!r}", f"{key} = 15")
    return number


def _count(where: _Where, key: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise where.fail(key, f"must be a whole number of at least 1, got {value!r}", f"{key} = 3")
    return value


def _share(where: _Where, key: str, value: Any) -> float:
    number = _positive(where, key, value)
    if number > 1:
        raise where.fail(key, f"must be a share between 0 and 1, got {value!r}", f"{key} = 0.9")
    return number


def _minutes_list(where: _Where, key: str, value: Any) -> tuple[float, ...]:
    if not isinstance(value, list) or not value:
        raise where.fail(key, f"must be a list of minutes, got {value!r}", f"{key} = [5, 10, 15]")
    numbers = tuple(_positive(where, key, v) for v in value)
    if list(numbers) != sorted(set(numbers)):
        raise where.fail(key, f"must increase, got {value!r}", f"{key} = [5, 10, 15]")
    return numbers


def _strings(where: _Where, key: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise where.fail(key, f"must be a list of strings, got {value!r}", f'{key} = ["15min"]')
    return tuple(value)


def _bbox(where: _Where, key: str, value: Any) -> tuple[float, float, float, float]:
    example = f"{key} = [125.30, 43.85, 125.38, 43.91]  # left, bottom, right, top in lon/lat"
    numbers = [_number(v) for v in value] if isinstance(value, list) else []
    if len(numbers) != 4 or any(n is None for n in numbers):
        raise where.fail(key, f"must be four numbers, got {_short(value)}", example)
    left, bottom, right, top = (float(n) for n in numbers if n is not None)
    if not (-180 <= left < right <= 180 and -90 <= bottom < top <= 90):
        problem = f"= {value!r} is not (left, bottom, right, top) in lon/lat degrees"
        if -90 <= left <= 90 and -180 <= bottom <= 180 and abs(bottom) > 90:
            problem += " (are longitude and latitude swapped?)"
        raise where.fail(key, problem, example)
    return left, bottom, right, top


def _crs(where: _Where, key: str, value: Any) -> str:
    """Check a CRS when the study is read (not only when its file is): pyproj must know it."""
    from geoplan.sources._sites import site_crs

    text = _string(where, key, value, '"EPSG:4326"')
    origin = f"{where.origin}: [{where.table}]"
    site_crs(text, where=origin)
    return text


def _tags(where: _Where, key: str, value: Any) -> dict[str, bool | str | list[str]]:
    example = f'{key} = {{ amenity = ["clinic", "doctors"] }}'
    if not isinstance(value, dict) or not value:
        raise where.fail(key, f"must be a table of OSM tags, got {value!r}", example)
    for tag, wanted in value.items():
        ok = isinstance(wanted, bool | str) or (
            isinstance(wanted, list) and bool(wanted) and all(isinstance(v, str) for v in wanted)
        )
        if not ok:
            raise where.fail(
                f"{key}.{tag}",
                f"must be true, a value or a list of values, got {wanted!r}",
                example,
            )
    return dict(value)


#: The kinds of file each input takes, by suffix (checked when the study is read).
VECTOR_FILES = (".gpkg", ".geojson", ".json", ".shp", ".fgb")
#: OSM extracts, GraphML, and the road line files of planning bureaus.
NETWORK_FILES = (
    ".osm.pbf",
    ".pbf",
    ".osm",
    ".xml",
    ".osm.bz2",
    ".osm.gz",
    ".graphml",
    *VECTOR_FILES,
)
RASTER_FILES = (".tif", ".tiff", ".vrt", ".img")
TABLE_FILES = (".csv", ".tsv", ".txt", ".tab", ".xlsx", ".xlsm")
_KIND_NAMES = {
    NETWORK_FILES: (
        "an OSM extract (.osm.pbf, .osm, .osm.bz2, .osm.gz), GraphML (.graphml) or road lines "
        "(.gpkg, .shp, .geojson, .fgb)"
    ),
    VECTOR_FILES: "a vector file (.gpkg, .geojson, .shp, .fgb)",
    RASTER_FILES: "a raster (.tif)",
    TABLE_FILES: "a table (.csv, .xlsx)",
}


def _check_kind(where: _Where, key: str, path: Path, kinds: tuple[tuple[str, ...], ...]) -> None:
    name = path.name.lower()
    if any(name.endswith(suffix) for kind in kinds for suffix in kind):
        return
    wanted = " or ".join(_KIND_NAMES[kind] for kind in kinds)
    hint = "; an old Excel .xls: save it as .xlsx" if name.endswith(".xls") else ""
    stem = path.name.split(".", 1)[0] or "file"
    example = f'{key} = "{stem}{kinds[0][0]}" (save the data in that format, e.g. in QGIS)'
    raise where.fail(key, f"= {path.name!r} is not {wanted}{hint}", example)


def _path(
    where: _Where,
    key: str,
    value: Any,
    base: Path,
    *,
    must_exist: bool = True,
    kinds: tuple[tuple[str, ...], ...] = (),
) -> Path:
    text = _string(where, key, value, '"data/raw/city.osm.pbf"')
    example = f'{key} = "{text}" with the file in place (paths are relative to the TOML file)'
    try:
        path = Path(text).expanduser()
    except RuntimeError:
        raise where.fail(key, f"= {text!r} starts with '~' of an unknown user", example) from None
    path = path if path.is_absolute() else base / path
    if not must_exist:
        return path
    try:
        exists, is_file = path.exists(), path.is_file()
    except OSError as exc:
        raise where.fail(
            key, f"= {text!r} is not a usable path ({exc.strerror})", example
        ) from None
    if not exists:
        raise where.fail(key, f"names a file that does not exist: {path}", example)
    if not is_file:
        what = "a folder" if path.is_dir() else "not a regular file (a device or a pipe)"
        raise where.fail(key, f"names {what}, not a file: {path}", example)
    if kinds:
        _check_kind(where, key, path, kinds)
    return path


def _source(
    where: _Where,
    key: str,
    value: Any,
    words: tuple[str, ...],
    base: Path,
    *,
    kinds: tuple[tuple[str, ...], ...] = (),
) -> str | Path:
    text = _string(where, key, value, f'"{words[0]}"')
    if text in words:
        return text
    return _path(where, key, text, base, kinds=kinds)


def _known_keys(where: _Where, table: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            valid = ", ".join(allowed)
            raise ConfigError(
                f"{where.origin}: unknown key {key!r} in [{where.table}]; {hint}"
                f"the keys of [{where.table}] are: {valid}"
            )


def _table(origin: str, raw: Mapping[str, Any], name: str, allowed: tuple[str, ...]) -> _Table:
    value = raw.get(name, {})
    where = _Where(origin, name)
    if not isinstance(value, dict):
        raise ConfigError(f"{origin}: [{name}] must be a table, got {value!r}; e.g. [{name}]")
    _known_keys(where, value, allowed)
    return _Table(where, value)


@dataclass
class _Table:
    where: _Where
    values: dict[str, Any]

    def get(self, key: str, check: _Check, default: Any = None) -> Any:
        if key not in self.values:
            return default
        return check(self.where, key, self.values[key])


# ------------------------------------------------------------------------- parsing

_TOP_LEVEL = (
    "study",
    "area",
    "network",
    "synthetic",
    "communities",
    "population",
    "facilities",
    "pois",
    "register",
    "life_circles",
    "service_areas",
    "sites",
    "scenarios",
    "outputs",
    "settings",
)


def load_config(path: str | Path) -> StudyConfig:
    """Read and validate a study TOML file.

    Parameters
    ----------
    path
        The study file. Relative paths inside it are relative to its folder.

    Returns
    -------
    StudyConfig

    Raises
    ------
    ConfigError
        The file is missing or not TOML, or a key is unknown, of the wrong type
        or out of range; the message names the key and shows a right value.

    Examples
    --------
    >>> from geoplan.config import parse_config
    >>> cfg = parse_config({"study": {"name": "demo"}, "network": {"source": "sample"}})
    >>> cfg.name, cfg.profile
    ('demo', 'walk')
    """
    file = Path(path)
    try:
        text = _study_text(file.read_bytes())
    except FileNotFoundError:
        msg = f"study file {file} does not exist; give the path of a study TOML (see studies/)"
        raise ConfigError(msg) from None
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"cannot read study file {file}: {exc}; save it as UTF-8 text"
        raise ConfigError(msg) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = f"{file} is not valid TOML: {exc}; check quotes, brackets and '=' on that line"
        raise ConfigError(msg) from None
    return parse_config(raw, base_dir=file.resolve().parent, origin=str(file), source_file=file)


def _study_text(data: bytes) -> str:
    """Decode a study file: UTF-8, with or without a BOM, or UTF-16 with its BOM (Notepad)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    return data.decode("utf-8").removeprefix("\ufeff")


def parse_config(
    raw: Mapping[str, Any],
    *,
    base_dir: str | Path = ".",
    origin: str = "study",
    source_file: Path | None = None,
) -> StudyConfig:
    """Validate a study description given as a dictionary (the parsed TOML).

    Parameters
    ----------
    raw
        The parsed TOML.
    base_dir
        Relative paths are resolved against this folder.
    origin
        How messages name the configuration (the file name).
    source_file
        The TOML file, recorded in run.json.

    Returns
    -------
    StudyConfig
    """
    base = Path(base_dir)
    _known_keys(_Where(origin, "top level"), raw, _TOP_LEVEL)
    study = _table(origin, raw, "study", ("name", "title", "lang", "description", "invented"))
    study.get("description", _string)
    if "name" not in study.values:
        raise study.where.fail("name", "is missing", 'name = "my-district" (the output folder)')
    name = study.get("name", _string)
    if not STUDY_NAME.fullmatch(name) or name in (".", ".."):
        raise study.where.fail(
            "name",
            f"= {name!r} cannot name a folder: use letters (any script), digits, '-', '_' "
            "or '.' (at most 64, no '/')",
            'name = "nanguan-2025"',
        )
    network = _table(
        origin, raw, "network", ("source", "region", "profile", *LINE_KEYS, *TRAVEL_KEYS)
    )
    if ("source" in network.values) == ("region" in network.values):
        raise network.where.fail(
            "source",
            "or region must be given (one of them)",
            'source = "data/raw/jilin-latest.osm.pbf", or region = "jilin" (a provincial '
            'extract, downloaded once by `geoplan fetch`), or source = "sample"',
        )
    region = network.get("region", _region)
    network_source = (
        network.get(
            "source",
            lambda w, k, v: _source(w, k, v, NETWORK_SOURCES, base, kinds=(NETWORK_FILES,)),
        )
        if region is None
        else "region"
    )
    area = _table(
        origin, raw, "area", ("bbox", "file", "place", "district", "admin_level", "within")
    )
    district_keys = {"district", "admin_level", "within"}
    if district_keys & set(area.values) - {"district"} and "district" not in area.values:
        raise area.where.fail(
            "admin_level / within", "refine a district: give district too", 'district = "南关区"'
        )
    if len(set(area.values) - (district_keys - {"district"})) > 1:
        raise area.where.fail(
            " / ".join(area.values),
            "are alternatives: give one",
            "bbox = [125.30, 43.85, 125.38, 43.91]",
        )
    if network_source == "online" and not area.values:
        raise area.where.fail(
            "bbox", "is needed for an online network", 'place = "Nanguan District, Changchun"'
        )
    synthetic = _table(origin, raw, "synthetic", ("area_km2", "seed", "spacing_m"))
    communities = _table(
        origin, raw, "communities", ("source", "layer", "id", "name_column", "coordinates")
    )
    population = _table(origin, raw, "population", POPULATION_KEYS)
    facilities_raw = raw.get("facilities", {})
    facilities = _table(origin, raw, "facilities", ("classify", "types"))
    pois = _table(origin, raw, "pois", ("file", "coordinates", "sheet"))
    if pois.values and "file" not in pois.values:
        raise pois.where.fail("file", "is missing", 'file = "amap_pois.xlsx"')
    register = _table(
        origin,
        raw,
        "register",
        ("source", "sheet", "join", "boundary_code", "boundary_name", "spatial"),
    )
    if register.values and "source" not in register.values:
        raise register.where.fail(
            "source", "is missing", 'source = "register.xlsx" (or "synthetic")'
        )
    life = _table(origin, raw, "life_circles", ("enabled", "levels"))
    areas = _table(origin, raw, "service_areas", ("enabled", "minutes"))
    outputs = _table(
        origin,
        raw,
        "outputs",
        (
            "maps",
            "print",
            "offline_maps",
            "basemap",
            "rasters",
            "raster_resolution_m",
            "output_dir",
        ),
    )
    settings_table = raw.get("settings", {})
    if not isinstance(settings_table, dict):
        raise ConfigError(f"{origin}: [settings] must be a table; e.g. walk_speed_m_s = 1.0")
    _check_settings(origin, settings_table)
    population_source = population.get(
        "source",
        lambda w, k, v: _source(
            w, k, v, POPULATION_SOURCES, base, kinds=(VECTOR_FILES, RASTER_FILES)
        ),
        "buildings",
    )
    _check_population(population, population_source)
    groups = _population_groups(origin, population.values.get("groups"), population_source)
    sources = _facility_sources(origin, facilities_raw.get("types", {}), base)
    site_requests = _site_requests(origin, raw.get("sites", []))
    _check_site_types(origin, site_requests, sources)
    scenarios = _scenario_sources(origin, raw.get("scenarios", []), base)
    return StudyConfig(
        name=name,
        title=study.get("title", _string, name),
        lang=study.get("lang", _choice(("zh", "en"))),
        invented=study.get("invented", _boolean, False),
        base_dir=base,
        network_source=network_source,
        profile=network.get("profile", _choice(PROFILES), "walk"),
        bbox=area.get("bbox", _bbox),
        area_file=area.get("file", lambda w, k, v: _path(w, k, v, base, kinds=(VECTOR_FILES,))),
        place=area.get("place", _string),
        district=area.get("district", _string),
        district_admin_level=area.get("admin_level", _count),
        district_within=area.get("within", _string),
        network_region=region,
        network_lines=_line_options(network, network_source),
        network_travel=_travel_options(network),
        network_dem=_dem(network, base),
        synthetic=_synthetic(synthetic),
        communities_source=communities.get(
            "source",
            lambda w, k, v: _source(w, k, v, COMMUNITY_SOURCES, base, kinds=(VECTOR_FILES,)),
            "street_blocks",
        ),
        communities_layer=communities.get("layer", _string),
        communities_id_column=communities.get("id", _string),
        communities_coordinates=communities.get("coordinates", _coordinate_system, "wgs84"),
        communities_name_column=communities.get("name_column", _string),
        population_source=population_source,
        population_column=population.get("column", _string, "population"),
        population_total=population.get("total", _census_total),
        population_landuse=population.get(
            "landuse",
            lambda w, k, v: _source(w, k, v, ("osm", "none"), base, kinds=(VECTOR_FILES,)),
        ),
        population_class_column=population.get("class_column", _string),
        population_far_column=population.get("far_column", _string),
        population_class_scheme=population.get(
            "class_scheme", _choice(("auto", "euluc", "gb50137", "guotu")), "auto"
        ),
        population_max_untagged_footprint_m2=population.get("max_untagged_footprint_m2", _positive),
        population_groups=groups,
        classify=facilities.get("classify", _boolean, True),
        poi_file=pois.get("file", lambda w, k, v: _path(w, k, v, base, kinds=(TABLE_FILES,))),
        poi_coordinates=pois.get("coordinates", _coordinate_system, "auto"),
        poi_sheet=pois.get("sheet", _string),
        register_source=register.get(
            "source", lambda w, k, v: _source(w, k, v, ("synthetic",), base, kinds=(TABLE_FILES,))
        ),
        register_sheet=register.get("sheet", _string),
        register_join=register.get("join", _choice(("code", "name")), "code"),
        register_boundary_code=register.get("boundary_code", _string),
        register_boundary_name=register.get("boundary_name", _string),
        register_spatial=register.get("spatial", _boolean, False),
        facility_sources=sources,
        life_circles=life.get("enabled", _boolean, True),
        life_circle_levels=life.get("levels", _strings, ("15min", "10min", "5min")),
        service_areas=areas.get("enabled", _boolean, True),
        service_area_minutes=areas.get("minutes", _minutes_list, ()),
        sites=site_requests,
        scenarios=scenarios,
        maps=outputs.get("maps", _boolean, True),
        print_outputs=outputs.get("print", _boolean, True),
        offline_maps=outputs.get("offline_maps", _boolean),
        basemap=outputs.get("basemap", _choice(BASEMAPS)),
        rasters=outputs.get("rasters", _boolean, True),
        raster_resolution_m=outputs.get("raster_resolution_m", _positive, 50.0),
        output_dir=outputs.get(
            "output_dir", lambda w, k, v: _path(w, k, v, base, must_exist=False)
        ),
        settings=dict(settings_table),
        source_file=source_file,
        raw=dict(raw),
    )


#: [network] keys of road line files, passed to geoplan.read_network as they are.
LINE_KEYS = (
    "layer",
    "noding",
    "class_column",
    "name_column",
    "level_column",
    "oneway_column",
    "maxspeed_column",
)
#: [network] keys of one-way streets and driving speeds (passed to geoplan.read_network), and
#: the DEM of slopes (geoplan.with_slopes), each with the profiles it applies to.
TRAVEL_KEYS = ("oneway", "speeds", "class_speeds_kmh", "maxspeed_factor", "dem")
_TRAVEL_PROFILES = {
    "oneway": ("bike", "drive"),
    "speeds": ("drive",),
    "class_speeds_kmh": ("drive",),
    "maxspeed_factor": ("drive",),
    "dem": ("walk",),
}


def is_line_file(source: str | Path) -> bool:
    """Whether a network source is a file of road lines (not OSM, GraphML or a word)."""
    return isinstance(source, Path) and source.name.lower().endswith(VECTOR_FILES)


def _line_options(table: _Table, source: str | Path) -> dict[str, str]:
    """Check the [network] keys of road line files: only with such a file as the source."""
    given = [key for key in LINE_KEYS if key in table.values]
    if given and not is_line_file(source):
        shown = source.name if isinstance(source, Path) else source
        raise table.where.fail(
            given[0],
            f"applies to road line files (.gpkg, .shp, .geojson, .fgb), not to source = "
            f"{shown!r}; leave it out",
            'source = "roads.gpkg" with noding = "planar"',
        )
    checks = {"noding": _choice(("vertices", "planar"))}
    return {key: table.get(key, checks.get(key, _string)) for key in given}


def _travel_options(table: _Table) -> dict[str, Any]:
    """Check [network] oneway, speeds, class_speeds_kmh and maxspeed_factor against the profile."""
    profile = table.values.get("profile", "walk")
    for key in TRAVEL_KEYS:
        if key in table.values and profile not in _TRAVEL_PROFILES[key]:
            wanted = " or ".join(f'profile = "{p}"' for p in _TRAVEL_PROFILES[key])
            why = (
                "slopes change walking times (Tobler's hiking function)"
                if key == "dem"
                else "walking is never one-way and keeps one speed"
                if key == "oneway"
                else "only driving has speeds per road"
            )
            raise table.where.fail(
                key, f"applies to {wanted}, not to profile = {profile!r}: {why}", wanted
            )
    checks: dict[str, _Check] = {
        "oneway": _boolean,
        "speeds": _boolean,
        "class_speeds_kmh": _class_speeds,
        "maxspeed_factor": _share,
    }
    return {key: table.get(key, check) for key, check in checks.items() if key in table.values}


def _class_speeds(where: _Where, key: str, value: Any) -> dict[str, float]:
    """Check a table of road class -> km/h against the classes geoplan knows."""
    from geoplan.sources._speeds import speed_table

    example = f"{key} = {{ 主干路 = 35, primary = 45 }}"
    if not isinstance(value, dict) or not value:
        raise where.fail(key, f"must be a table of road class = km/h, got {_short(value)}", example)
    speeds = {str(name): _positive(where, f"{key}.{name}", kmh) for name, kmh in value.items()}
    try:
        speed_table().with_changes(speeds)
    except InputError as exc:
        raise where.fail(key, str(exc), example) from None
    return speeds


def _dem(table: _Table, base: Path) -> Path | None:
    """Return the [network] dem: a raster, relative to the study file (profile walk only)."""
    return table.get(  # type: ignore[no-any-return]
        "dem", lambda w, k, v: _path(w, k, v, base, kinds=(RASTER_FILES,))
    )


# [population]: a census total, and keys that apply to one kind of source only
POPULATION_KEYS = (
    "source",
    "column",
    "total",
    "landuse",
    "class_column",
    "far_column",
    "class_scheme",
    "max_untagged_footprint_m2",
    "groups",
)


# [population.groups.<id>]: the people of a group (一老一小) and the speed they walk at


_GROUP_KEYS = ("column", "share", "walk_speed_m_s", "name_zh", "name_en")
_GROUP_EXAMPLE = '[population.groups.elderly] column = "age_60_plus"'


def _population_groups(origin: str, value: Any, source: str | Path) -> tuple[PopulationGroup, ...]:
    """Check ``[population.groups.<id>]``: a column of the population file, or a share.

    Each group walks at the standards' speed (``elderly`` 0.92, ``children``
    0.88 m/s) unless ``walk_speed_m_s`` sets its own; a group given by ``share``
    is that share of every point's people (the study makes its column).
    """
    if value is None:
        return ()
    if not isinstance(value, dict):
        msg = (
            f"{origin}: [population.groups] must hold one table per group; e.g. "
            f"{_GROUP_EXAMPLE}, walk_speed_m_s = 0.92"
        )
        raise ConfigError(msg)
    return tuple(_group_source(origin, str(gid), spec, source) for gid, spec in value.items())


def _group_source(origin: str, group_id: str, spec: Any, source: str | Path) -> PopulationGroup:
    name = f"population.groups.{group_id[:40]}"
    if not isinstance(spec, dict):
        msg = f"{origin}: [{name}] must be a table; e.g. {_GROUP_EXAMPLE}"
        raise ConfigError(msg)
    where = _Where(origin, name)
    _known_keys(where, spec, _GROUP_KEYS)
    table = _Table(where, spec)
    if ("column" in spec) == ("share" in spec):
        raise where.fail(
            "column / share",
            "give one of them: the population file's column counting the group's people, or "
            "the group's share of every point's people",
            'column = "age_60_plus", or share = 0.2 (the census share of people 60+, say)',
        )
    files = isinstance(source, Path) and source.name.lower().endswith(VECTOR_FILES)
    if "column" in spec and not files:
        shown = source.name if isinstance(source, Path) else source
        raise where.fail(
            "column",
            f"needs a population file with that column (points or areas: .gpkg, .geojson, "
            f".shp, .fgb); [population] source = {str(shown)!r} has no column per group",
            "share = 0.2 (the group's share of every point's people, e.g. from the census)",
        )
    column = table.get("column", _string) or f"{group_id}_people"
    speed = table.get("walk_speed_m_s", _walk_speed)
    share = table.get("share", _share)
    try:
        group = population_group(
            group_id,
            column=column,
            speed_m_s=speed,
            name_zh=table.get("name_zh", _string),
            name_en=table.get("name_en", _string),
        )
    except InputError as exc:
        raise ConfigError(f"{origin}: [{name}] {exc}") from None
    return replace(group, share=share)


def _walk_speed(where: _Where, key: str, value: Any) -> float:
    try:
        return check_walk_speed(value, key)
    except InputError:
        raise where.fail(
            key,
            f"= {_short(value)} is not a walking speed in metres per second (0.1 to 3)",
            f"{key} = 0.92 (km/h / 3.6; ft/s x 0.3048)",
        ) from None


def _census_total(where: _Where, key: str, value: Any) -> float:
    number = _number(value)
    if number is None or number <= 0:
        raise where.fail(
            key,
            f"must be a positive number of people (the study area's census population), got "
            f"{_short(value)}",
            f"{key} = 1234567",
        )
    return number


def _check_population(table: _Table, source: str | Path) -> None:
    """Refuse keys that do not apply to the kind of population source given."""
    parcels = isinstance(source, Path) and source.suffix.lower() in VECTOR_FILES
    landuse_file = table.values.get("landuse", "osm") not in ("osm", "none")
    only = {
        "landuse": source == "buildings",
        "max_untagged_footprint_m2": source == "buildings",
        "far_column": parcels and "class_column" in table.values,
        "class_column": parcels or (source == "buildings" and landuse_file),
        "class_scheme": "class_column" in table.values,
    }
    for key, applies in only.items():
        if key in table.values and not applies:
            raise table.where.fail(
                key,
                f"does not apply to source = {str(source)!r}: landuse and "
                'max_untagged_footprint_m2 refine source = "buildings"; class_column (with '
                "far_column, class_scheme) names the classes of a parcel file or of landuse",
                'source = "parcels.gpkg" with class_column = "Level2"',
            )


def _coordinate_system(where: _Where, key: str, value: Any) -> str:
    from geoplan.coords import normalize_system

    text = _string(where, key, value, '"gcj02"')
    if text == "auto":
        return text
    try:
        return normalize_system(text)
    except ConfigError:
        raise where.fail(
            key, f"= {text!r} is not auto, wgs84, gcj02 or bd09", f'{key} = "gcj02" (Amap)'
        ) from None


def _region(where: _Where, key: str, value: Any) -> str:
    from geoplan.sources.extracts import resolve_region

    text = _string(where, key, value, '"jilin"')
    try:
        return resolve_region(text).slug
    except ConfigError as exc:
        raise ConfigError(f"{where.origin}: [{where.table}] {key}: {exc}") from None


def _synthetic(table: _Table) -> dict[str, Any]:
    out: dict[str, Any] = {
        "area_km2": table.get("area_km2", _positive, 4.0),
        "spacing_m": table.get("spacing_m", _positive, 80.0),
    }
    seed = table.values.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise table.where.fail("seed", f"must be a whole number >= 0, got {seed!r}", "seed = 1")
    out["seed"] = seed
    return out


def _check_settings(origin: str, table: Mapping[str, Any]) -> None:
    if "output_dir" in table:
        msg = (
            f"{origin}: [settings] output_dir is not read from a study file (a run's folder "
            'is set in one place); write [outputs] output_dir = "runs" (relative to this file) '
            "or give --out on the command line"
        )
        raise ConfigError(msg)
    probe = Settings()
    for key, value in table.items():
        try:
            setattr(probe, key, value)
        except ConfigError as exc:
            raise ConfigError(f"{origin}: [settings] {exc}") from None
        except (TypeError, ValueError, OverflowError, RuntimeError) as exc:
            msg = f"{origin}: [settings] {key} = {_short(value)} is not usable ({exc})"
            raise ConfigError(msg) from None


def _short(value: Any, limit: int = 60) -> str:
    """Return a value's repr, cut short (a 400-digit number is not worth printing)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


_TYPE_KEYS = (
    "tags",
    "file",
    "x",
    "y",
    "crs",
    "type_column",
    "type_value",
    "minutes",
    "distance_m",
    "polygons_only",
    "capacity",
    "name_zh",
    "name_en",
    "coordinates",
)
#: The longest threshold a study may set: a day (longer is a mistake in units).
MAX_MINUTES = 24 * 60


def _standard_type_ids() -> tuple[str, ...]:
    from geoplan.standards import load_standards

    return tuple(t.id for t in load_standards().all_types)


def _minutes(where: _Where, key: str, value: Any) -> float:
    number = _positive(where, key, value)
    if number > MAX_MINUTES:
        raise where.fail(
            key, f"= {value!r} is more than a day's walk (is it in seconds?)", f"{key} = 15"
        )
    return number


#: The longest distance threshold a study may set (a day's walk; longer is a mistake in units).
MAX_DISTANCE_M = 100_000.0


def _distance(where: _Where, key: str, value: Any) -> float:
    number = _positive(where, key, value)
    if number > MAX_DISTANCE_M:
        raise where.fail(
            key, f"= {value!r} is more than a day's walk (is it in millimetres?)", f"{key} = 500"
        )
    return number


def _type_id(origin: str, type_id: str) -> str:
    """Refuse type ids that cannot name a file of the run (maps, tables, rasters are named so)."""
    if SAFE_NAME.fullmatch(type_id):
        return type_id
    shown = _short(type_id)
    msg = (
        f"{origin}: [facilities.types.{shown}] cannot be a facility type id: it names files "
        "of the run, so use letters (any script), digits, '_' or '-' (at most 64); e.g. "
        "[facilities.types.community_canteen]"
    )
    raise ConfigError(msg)


def _check_custom_type(where: _Where, type_id: str, spec: Mapping[str, Any]) -> None:
    """Refuse a type not in the standards unless it declares its minutes, a name and its sites."""
    known = _standard_type_ids()
    if type_id in known:
        return
    missing = [] if "minutes" in spec or "distance_m" in spec else ["minutes"]
    if "name_zh" not in spec and "name_en" not in spec:
        missing.append("name_zh")
    if "tags" not in spec and "file" not in spec:
        missing.append("tags or file")
    if not missing:
        return
    close = difflib.get_close_matches(type_id, known, n=1, cutoff=0.75)
    hint = f"did you mean [facilities.types.{close[0]}]? " if close else ""
    raise ConfigError(
        f"{where.origin}: [{where.table}] is not a facility type of the standards; {hint}"
        "`geoplan standards` lists them. To measure a type of your own, declare it: "
        f'add {", ".join(missing)} (e.g. minutes = 15, name_zh = "快递驿站", '
        'tags = { amenity = ["parcel_locker"] })'
    )


def _facility_sources(origin: str, types: Any, base: Path) -> tuple[FacilitySource, ...]:
    if not isinstance(types, dict):
        msg = (
            f"{origin}: [facilities.types] must hold one table per facility type; "
            "e.g. [facilities.types.community_health_station]"
        )
        raise ConfigError(msg)
    out = []
    for type_id, spec in types.items():
        _type_id(origin, str(type_id))
        table_name = f"facilities.types.{type_id}"
        if not isinstance(spec, dict):
            msg = f"{origin}: [{table_name}] must be a table; e.g. tags = {{ amenity = 'clinic' }}"
            raise ConfigError(msg)
        where = _Where(origin, table_name)
        _known_keys(where, spec, _TYPE_KEYS)
        table = _Table(where, spec)
        if "tags" in spec and "file" in spec:
            raise where.fail("tags / file", "are alternatives: give one", 'file = "clinics.gpkg"')
        if "minutes" in spec and "distance_m" in spec:
            raise where.fail(
                "minutes / distance_m", "are alternatives: give one", "distance_m = 500"
            )
        source = FacilitySource(
            type_id=str(type_id),
            tags=table.get("tags", _tags),
            file=table.get(
                "file", lambda w, k, v: _path(w, k, v, base, kinds=(VECTOR_FILES, TABLE_FILES))
            ),
            x=table.get("x", _string, "lon"),
            y=table.get("y", _string, "lat"),
            crs=table.get("crs", _crs, "EPSG:4326"),
            type_column=table.get("type_column", _string),
            type_value=table.get("type_value", _string),
            minutes=table.get("minutes", _minutes),
            distance_m=table.get("distance_m", _distance),
            polygons_only=table.get("polygons_only", _boolean, False),
            capacity=table.get("capacity", _boolean, False),
            name_zh=table.get("name_zh", _string),
            name_en=table.get("name_en", _string),
            coordinates=table.get("coordinates", _coordinate_system, "wgs84"),
        )
        _check_custom_type(where, source.type_id, spec)
        out.append(source)
    return tuple(out)


_SITE_KEYS = (
    "facility_type",
    "model",
    "p",
    "minutes",
    "candidate_spacing_m",
    "target",
    "solver",
    "time_limit_s",
)


def with_sites(
    config: StudyConfig, specs: list[dict[str, Any]], *, origin: str = "sites"
) -> StudyConfig:
    """Return ``config`` with these site requests instead of its own, validated as in a file.

    Parameters
    ----------
    config
        A validated study.
    specs
        ``[[sites]]`` tables (``facility_type``, ``model``, ``p``, ...).
    origin
        How messages name where the requests came from.

    Returns
    -------
    StudyConfig
    """
    requests = _site_requests(origin, specs)
    _check_site_types(origin, requests, config.facility_sources)
    return replace(config, sites=requests)


def _check_site_types(
    origin: str, requests: tuple[SiteRequest, ...], sources: tuple[FacilitySource, ...]
) -> None:
    """Every [[sites]] request must name a type the study measures (its existing sites)."""
    measured = [s.type_id for s in sources]
    for number, request in enumerate(requests, start=1):
        if request.facility_type in measured:
            continue
        close = difflib.get_close_matches(request.facility_type, measured, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        msg = (
            f"{origin}: [sites #{number}] facility_type = {_short(request.facility_type)} is "
            f"not a type the study measures; {hint}add [facilities.types."
            f"{_short(request.facility_type, 40)}] (measured now: {', '.join(measured) or 'none'})"
        )
        raise ConfigError(msg)


def _site_requests(origin: str, value: Any) -> tuple[SiteRequest, ...]:
    if not isinstance(value, list):
        msg = (
            f"{origin}: sites must be a list of [[sites]] tables; "
            'e.g. [[sites]] facility_type = "community_canteen"'
        )
        raise ConfigError(msg)
    out = []
    for number, spec in enumerate(value, start=1):
        where = _Where(origin, f"sites #{number}")
        if not isinstance(spec, dict):
            raise ConfigError(
                f"{origin}: [sites #{number}] must be a table; "
                'e.g. [[sites]] facility_type = "community_canteen"'
            )
        _known_keys(where, spec, _SITE_KEYS)
        table = _Table(where, spec)
        if "facility_type" not in spec:
            raise where.fail("facility_type", "is missing", 'facility_type = "community_canteen"')
        model = table.get("model", _choice(MODELS), "mclp")
        out.append(
            SiteRequest(
                facility_type=table.get("facility_type", _string),
                model=model,
                p=table.get("p", _count, 3 if model != "lscp" else None),
                minutes=table.get("minutes", _minutes),
                candidate_spacing_m=table.get("candidate_spacing_m", _positive, 150.0),
                target=table.get("target", _share, 1.0),
                solver=table.get("solver", _choice(("auto", "exact", "greedy")), "auto"),
                time_limit_s=table.get("time_limit_s", _positive, 60.0),
            )
        )
    return tuple(out)


# ----------------------------------------------------------------- [[scenarios]]


@dataclass(frozen=True)
class ScenarioSource:
    """One ``[[scenarios]]`` table: the files of one "what if" on the network.

    Attributes
    ----------
    name
        Names the scenario's table and map (``scenario_<name>``).
    add, close, barrier
        Vector files of links to add (lines), of streets to close (polygons or
        lines touching them) and of barriers (lines cutting every street they
        cross); at least one.
    snap_m
        How far an added link's end may lie from the streets.
    coordinates
        The system lon/lat files are in: ``wgs84`` (default), ``gcj02``
        (drawn on Amap) or ``bd09`` (Baidu).
    close_names
        Streets closed by name (the network's street names, matched exactly).
    """

    name: str
    add: Path | None = None
    close: Path | None = None
    barrier: Path | None = None
    snap_m: float = 25.0
    coordinates: str = "wgs84"
    close_names: tuple[str, ...] = ()

    def files(self) -> dict[str, Path]:
        """Return the scenario's files by key (``add``, ``close``, ``barrier``)."""
        found = {"close": self.close, "barrier": self.barrier, "add": self.add}
        return {key: path for key, path in found.items() if path is not None}


_SCENARIO_KEYS = ("name", "add", "close", "close_names", "barrier", "snap_m", "coordinates")
_SCENARIO_EXAMPLE = '[[scenarios]] name = "footbridge", add = "footbridge.geojson"'


def _scenario_sources(origin: str, value: Any, base: Path) -> tuple[ScenarioSource, ...]:
    """Check ``[[scenarios]]``: a unique file-safe name and at least one file of edits."""
    if not isinstance(value, list):
        msg = (
            f"{origin}: scenarios must be a list of [[scenarios]] tables; e.g. {_SCENARIO_EXAMPLE}"
        )
        raise ConfigError(msg)
    out: list[ScenarioSource] = []
    for number, spec in enumerate(value, start=1):
        where = _Where(origin, f"scenarios #{number}")
        if not isinstance(spec, dict):
            msg = f"{origin}: [scenarios #{number}] must be a table; e.g. {_SCENARIO_EXAMPLE}"
            raise ConfigError(msg)
        _known_keys(where, spec, _SCENARIO_KEYS)
        table = _Table(where, spec)
        name = _scenario_name(where, spec)
        if any(s.name == name for s in out):
            raise where.fail("name", f"= {name!r} names two scenarios", f'name = "{name}-2"')
        if not {"add", "close", "close_names", "barrier"} & set(spec):
            raise where.fail(
                "add / close / close_names / barrier",
                "are all missing: a scenario changes the network with at least one of them",
                'add = "footbridge.geojson" (lines), close = "closed.geojson" (polygons or '
                'lines), barrier = "railway.geojson" (lines)',
            )

        def vector(w: _Where, k: str, v: Any) -> Path:
            return _path(w, k, v, base, kinds=(VECTOR_FILES,))

        out.append(
            ScenarioSource(
                name=name,
                add=table.get("add", vector),
                close=table.get("close", vector),
                barrier=table.get("barrier", vector),
                snap_m=table.get("snap_m", _positive, 25.0),
                coordinates=table.get("coordinates", _drawn_in, "wgs84"),
                close_names=_street_names(table),
            )
        )
    return tuple(out)


def _street_names(table: _Table) -> tuple[str, ...]:
    if "close_names" not in table.values:
        return ()
    names = table.values["close_names"]
    ok = isinstance(names, list) and names and all(isinstance(n, str) and n.strip() for n in names)
    if not ok:
        raise table.where.fail(
            "close_names",
            f"must be a list of street names, got {_short(names)}",
            'close_names = ["人民大街", "解放大路"] (as the network names them)',
        )
    return tuple(names)


def _drawn_in(where: _Where, key: str, value: Any) -> str:
    """Return the system a scenario's lon/lat files are in: said, not guessed (no ``auto``)."""
    system = _coordinate_system(where, key, value)
    if system == "auto":
        raise where.fail(
            key,
            "= 'auto' cannot be decided for lines drawn by hand; say what they were drawn on",
            f'{key} = "gcj02" (Amap, Tencent), "bd09" (Baidu) or "wgs84" (GPS, OSM)',
        )
    return system


def _scenario_name(where: _Where, spec: Mapping[str, Any]) -> str:
    if "name" not in spec:
        raise where.fail("name", "is missing", 'name = "footbridge" (names its table and map)')
    name = _string(where, "name", spec["name"], '"footbridge"')
    if not SAFE_NAME.fullmatch(name):
        raise where.fail(
            "name",
            f"= {_short(name)} cannot name the scenario's files (tables/scenario_<name>.csv): "
            "use letters (any script), digits, '_' or '-' (at most 64)",
            'name = "人行天桥" or name = "footbridge"',
        )
    return name
