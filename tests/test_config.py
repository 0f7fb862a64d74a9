"""Tests for geoplan.config: study TOML files are parsed and validated up front."""

from __future__ import annotations

import dataclasses
import math
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import geoplan
from geoplan.config import (
    FacilitySource,
    SiteRequest,
    StudyConfig,
    load_config,
    parse_config,
)
from geoplan.settings import Settings

REPO = Path(__file__).resolve().parents[1]
STUDIES = REPO / "studies"
PACKAGED = REPO / "geoplan" / "studies"
CHANGCHUN = STUDIES / "changchun-nanguan.toml"

MINIMAL = '[study]\nname = "x"\n[network]\nsource = "sample"\n'


def write(folder: Path, text: str, name: str = "study.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def raw_toml(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


# --------------------------------------------------------------- shipped studies


@pytest.mark.parametrize("name", ["demo.toml", "synthetic.toml"])
def test_packaged_studies_are_byte_identical_to_the_repo_copies(name):
    packaged = resources.files("geoplan").joinpath("studies", name).read_bytes()
    assert packaged == (PACKAGED / name).read_bytes()
    assert packaged == (STUDIES / name).read_bytes()


@pytest.mark.parametrize("folder", [STUDIES, PACKAGED])
def test_the_demo_study_parses_to_the_values_in_the_file(folder):
    path = folder / "demo.toml"
    config = load_config(path)
    raw = raw_toml(path)
    assert isinstance(config, StudyConfig)
    assert config.name == raw["study"]["name"] == "demo"
    assert config.title == raw["study"]["title"]
    assert config.lang is None
    assert config.network_source == "sample"
    assert config.profile == raw["network"]["profile"] == "walk"
    assert config.communities_source == "street_blocks"
    assert config.population_source == "buildings"
    assert config.classify is True
    assert config.base_dir == folder
    assert config.source_file == path
    assert config.raw == raw
    types = list(raw["facilities"]["types"])
    assert config.coverage_types == types
    assert types == ["community_health_station", "emergency_shelter", "community_canteen"]
    health, shelter, canteen = config.facility_sources
    assert health.tags == {"amenity": ["clinic", "doctors"]}
    assert (health.polygons_only, health.capacity, health.file) == (False, False, None)
    assert shelter.tags == {"leisure": ["park"], "place": ["square"]}
    assert (shelter.polygons_only, shelter.capacity) == (True, True)
    assert canteen.tags == raw["facilities"]["types"]["community_canteen"]["tags"]
    assert config.service_area_minutes == ()  # rings at each type's own threshold
    assert "service_areas" not in raw
    assert config.sites == (
        SiteRequest(
            facility_type="community_health_station", model="mclp", p=3, candidate_spacing_m=150.0
        ),
    )
    assert (config.maps, config.basemap, config.rasters) == (True, "osm", True)
    assert config.raster_resolution_m == 50.0
    assert config.offline_maps is None


@pytest.mark.parametrize("folder", [STUDIES, PACKAGED])
def test_the_synthetic_study_parses_to_the_values_in_the_file(folder):
    path = folder / "synthetic.toml"
    config = load_config(path)
    raw = raw_toml(path)
    assert config.name == "synthetic"
    assert config.title == raw["study"]["title"]
    assert config.lang == "zh"
    assert config.network_source == "synthetic"
    assert config.communities_source == "synthetic"
    assert config.population_source == "synthetic"
    assert config.synthetic == {"area_km2": 4.0, "spacing_m": 80.0, "seed": 1}
    assert config.coverage_types == list(raw["facilities"]["types"])
    assert config.coverage_types == [
        "community_health_station",
        "community_canteen",
        "elderly_day_care",
    ]
    assert all(source.tags is None and source.file is None for source in config.facility_sources)
    assert config.service_area_minutes == (5.0, 10.0, 15.0)
    canteen, day_care = config.sites
    assert (canteen.facility_type, canteen.model, canteen.p) == ("community_canteen", "mclp", 4)
    assert canteen.target == 1.0
    assert (day_care.facility_type, day_care.model) == ("elderly_day_care", "lscp")
    assert day_care.p is None  # lscp finds the number of sites itself
    assert day_care.target == pytest.approx(0.9)
    assert [s["facility_type"] for s in raw["sites"]] == [s.facility_type for s in config.sites]
    assert config.basemap == "none"
    assert config.maps is True


def test_the_demo_command_reads_the_packaged_demo():
    from geoplan.cli.demo import demo_config

    assert demo_config() == dataclasses.replace(
        load_config(PACKAGED / "demo.toml"),
        base_dir=Path("."),
        source_file=None,
    )


def test_the_changchun_template_names_its_region_and_district():
    config = load_config(CHANGCHUN)
    assert config.name == "changchun-nanguan"
    assert config.title == "长春市南关区 社区服务设施分析"
    assert config.lang == "zh"
    assert (config.network_region, config.network_source) == ("jilin", "region")
    assert (config.district, config.district_within) == ("南关区", "长春市")
    assert (config.bbox, config.area_file, config.place) == (None, None, None)
    assert config.coverage_types == [
        "community_health_station",
        "community_canteen",
        "elderly_day_care",
        "kindergarten",
        "emergency_shelter",
    ]
    assert config.sites == (SiteRequest(facility_type="community_canteen", model="mclp", p=5),)
    assert (config.offline_maps, config.basemap) == (False, "osm")


def test_a_missing_network_file_names_the_key_and_where_it_looked(tmp_path):
    study = tmp_path / "studies" / "city.toml"
    study.parent.mkdir()
    study.write_text(
        '[study]\nname = "city"\n[network]\nsource = "../data/raw/jilin-latest.osm.pbf"\n',
        encoding="utf-8",
    )
    with pytest.raises(geoplan.ConfigError) as info:
        load_config(study)
    message = str(info.value)
    assert "[network] source" in message
    assert "does not exist" in message
    assert str(study.parent / "../data/raw/jilin-latest.osm.pbf") in message
    assert "relative to the TOML file" in message
    assert "e.g." in message
    pbf = study.parent / ".." / "data" / "raw" / "jilin-latest.osm.pbf"
    pbf.parent.mkdir(parents=True)
    pbf.write_bytes(b"")
    config = load_config(study)
    assert isinstance(config.network_source, Path)
    assert config.network_source.resolve() == pbf.resolve()


# ------------------------------------------------------------------- defaults


def test_a_minimal_study_gets_the_documented_defaults():
    config = parse_config({"study": {"name": "x"}, "network": {"source": "sample"}})
    assert config.name == config.title == "x"
    assert config.lang is None
    assert config.network_source == "sample"
    assert config.profile == "walk"
    assert config.communities_source == "street_blocks"
    assert config.population_source == "buildings"
    assert config.population_column == "population"
    assert config.service_area_minutes == ()  # each type's own threshold
    assert config.service_areas is True
    assert config.maps is True
    assert config.rasters is True
    assert config.offline_maps is None
    assert config.basemap is None
    assert config.sites == ()
    assert config.facility_sources == ()
    assert config.coverage_types == []
    assert config.classify is True
    assert config.life_circles is True
    assert config.life_circle_levels == ("15min", "10min", "5min")
    assert (config.bbox, config.area_file, config.place) == (None, None, None)
    assert config.synthetic == {"area_km2": 4.0, "spacing_m": 80.0, "seed": 0}
    assert config.settings == {}
    assert config.output_dir is None
    assert config.source_file is None


def test_a_minimal_study_file_loads(tmp_path):
    path = write(tmp_path, MINIMAL)
    config = load_config(path)
    assert config.name == "x"
    assert config.source_file == path
    assert config.base_dir == tmp_path.resolve()


def test_site_and_facility_defaults():
    config = parse_config(
        {
            "study": {"name": "x"},
            "network": {"source": "sample"},
            "facilities": {"types": {"community_health_station": {}}},
            "sites": [
                {"facility_type": "community_health_station"},
                {"facility_type": "community_health_station", "model": "lscp"},
            ],
        }
    )
    assert config.facility_sources == (FacilitySource(type_id="community_health_station"),)
    (clinic,) = config.facility_sources
    assert (clinic.x, clinic.y, clinic.crs, clinic.minutes) == ("lon", "lat", "EPSG:4326", None)
    mclp, lscp = config.sites
    assert mclp == SiteRequest(facility_type="community_health_station")
    assert (mclp.model, mclp.p, mclp.solver, mclp.target) == ("mclp", 3, "auto", 1.0)
    assert (mclp.candidate_spacing_m, mclp.time_limit_s) == (150.0, 60.0)
    assert (lscp.model, lscp.p) == ("lscp", None)


def test_good_values_are_kept():
    config = parse_config(
        {
            "study": {"name": "nanguan-2025.v1", "title": "T", "lang": "en", "description": "d"},
            "network": {"source": "online", "profile": "bike"},
            "area": {"place": "Nanguan District, Changchun"},
            "synthetic": {"area_km2": 2, "spacing_m": 100, "seed": 7},
            "life_circles": {"enabled": False, "levels": ["5min"]},
            "service_areas": {"enabled": False, "minutes": [3, 7.5]},
            "facilities": {"types": {"kindergarten": {}}},
            "sites": [
                {"facility_type": "kindergarten", "model": "p_center", "p": 2, "target": 0.5}
            ],
            "outputs": {"maps": False, "offline_maps": True, "basemap": "amap", "rasters": False},
            "settings": {"walk_speed_m_s": 1.2, "lang": "en"},
        },
        base_dir="/somewhere",
    )
    assert (config.name, config.title, config.lang) == ("nanguan-2025.v1", "T", "en")
    assert (config.network_source, config.profile) == ("online", "bike")
    assert config.place == "Nanguan District, Changchun"
    assert config.synthetic == {"area_km2": 2.0, "spacing_m": 100.0, "seed": 7}
    assert (config.life_circles, config.life_circle_levels) == (False, ("5min",))
    assert (config.service_areas, config.service_area_minutes) == (False, (3.0, 7.5))
    assert config.sites == (
        SiteRequest(facility_type="kindergarten", model="p_center", p=2, target=0.5),
    )
    assert (config.maps, config.offline_maps, config.basemap, config.rasters) == (
        False,
        True,
        "amap",
        False,
    )
    assert config.settings == {"walk_speed_m_s": 1.2, "lang": "en"}


def test_a_64_character_name_is_the_longest_allowed():
    config = parse_config({"study": {"name": "a" * 64}, "network": {"source": "sample"}})
    assert config.name == "a" * 64


def test_the_config_is_frozen():
    config = parse_config({"study": {"name": "x"}, "network": {"source": "sample"}})
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.name = "y"  # type: ignore[misc]


# ------------------------------------------------------------ relative paths


def test_relative_paths_resolve_against_the_toml_folder_not_the_cwd(tmp_path, monkeypatch):
    study_dir = tmp_path / "study"
    elsewhere = tmp_path / "elsewhere"
    study_dir.mkdir()
    elsewhere.mkdir()
    (study_dir / "net.osm").write_bytes(b"")
    (study_dir / "blocks.gpkg").write_bytes(b"")
    (study_dir / "clinics.csv").write_bytes(b"")
    (elsewhere / "net.osm").write_bytes(b"")  # a decoy in the working directory
    text = (
        '[study]\nname = "x"\n[network]\nsource = "net.osm"\n'
        '[communities]\nsource = "blocks.gpkg"\n'
        '[facilities.types.community_health_station]\nfile = "clinics.csv"\n'
        '[outputs]\noutput_dir = "out"\n'
    )
    path = write(study_dir, text)
    monkeypatch.chdir(elsewhere)
    config = load_config(path)
    assert config.network_source == study_dir / "net.osm"
    assert isinstance(config.network_source, Path)
    assert config.network_source.is_absolute()
    assert config.communities_source == study_dir / "blocks.gpkg"
    assert config.facility_sources[0].file == study_dir / "clinics.csv"
    assert config.output_dir == study_dir / "out"  # need not exist yet

    monkeypatch.chdir(tmp_path)
    config = load_config(Path("study") / "study.toml")  # a relative path to the TOML itself
    assert config.network_source == study_dir.resolve() / "net.osm"
    assert config.network_source.is_absolute()


def test_a_file_only_in_the_cwd_is_not_found(tmp_path, monkeypatch):
    study_dir = tmp_path / "study"
    study_dir.mkdir()
    (tmp_path / "net.osm").write_bytes(b"")
    path = write(study_dir, '[study]\nname = "x"\n[network]\nsource = "net.osm"\n')
    monkeypatch.chdir(tmp_path)
    with pytest.raises(geoplan.ConfigError, match="does not exist"):
        load_config(path)


def test_parse_config_resolves_against_base_dir(tmp_path):
    (tmp_path / "net.osm").write_bytes(b"")
    config = parse_config(
        {"study": {"name": "x"}, "network": {"source": "net.osm"}}, base_dir=tmp_path
    )
    assert config.network_source == tmp_path / "net.osm"
    assert config.base_dir == tmp_path


def test_absolute_paths_are_kept(tmp_path):
    net = tmp_path / "net.osm"
    net.write_bytes(b"")
    config = parse_config(
        {"study": {"name": "x"}, "network": {"source": str(net)}}, base_dir="/nonexistent"
    )
    assert config.network_source == net


# ---------------------------------------------------------------- bad configs

HEAD = '[study]\nname = "x"\n'
NET = '[network]\nsource = "sample"\n'
BASE = HEAD + NET
EXAMPLE = "e.g."
RIGHT_VALUE_MARKERS = (
    EXAMPLE,
    "the keys of [",  # unknown keys: the valid keys of the table
    "known settings:",
    "must be one of",  # [settings] basemap
    "must be 'zh' or 'en'",  # [settings] lang
)

# (id, TOML text, fragments the message must hold). Every message must also
# start with the file's name and be a ConfigError (and so a ValueError).
BAD_CONFIGS = [
    (
        "unknown top-level key",
        BASE + "[netwrok]\nprofile = 'walk'\n",
        ["unknown key 'netwrok'", "[top level]", "did you mean 'network'", "are: study, area"],
    ),
    (
        "unknown key in a table",
        BASE.replace(NET, '[network]\nsource = "sample"\nprofil = "walk"\n'),
        ["unknown key 'profil'", "[network]", "did you mean 'profile'", "source, region, profile"],
    ),
    (
        "unknown key in a site",
        BASE + '[[sites]]\nfacility_type = "t"\nmodle = "mclp"\n',
        ["unknown key 'modle'", "[sites #1]", "did you mean 'model'"],
    ),
    (
        "unknown key in a facility type",
        BASE + '[facilities.types.kindergarten]\ntag = { amenity = "clinic" }\n',
        ["unknown key 'tag'", "[facilities.types.kindergarten]", "did you mean 'tags'"],
    ),
    (
        "profile not a string",
        HEAD + '[network]\nsource = "sample"\nprofile = 5\n',
        ["[network] profile", "= 5 is not one of walk, bike, drive", 'e.g. profile = "walk"'],
    ),
    (
        "profile unknown",
        HEAD + '[network]\nsource = "sample"\nprofile = "walking"\n',
        ["[network] profile", "'walking' is not one of", 'e.g. profile = "walk"'],
    ),
    (
        "p zero",
        BASE + '[[sites]]\nfacility_type = "t"\np = 0\n',
        ["[sites #1] p", "whole number of at least 1, got 0", "e.g. p = 3"],
    ),
    (
        "p fractional",
        BASE + '[[sites]]\nfacility_type = "t"\np = 2.5\n',
        ["[sites #1] p", "whole number of at least 1, got 2.5", "e.g. p = 3"],
    ),
    (
        "p boolean",
        BASE + '[[sites]]\nfacility_type = "t"\np = true\n',
        ["[sites #1] p", "whole number of at least 1, got True", "e.g. p = 3"],
    ),
    (
        "site minutes a string",
        BASE + '[[sites]]\nfacility_type = "t"\nminutes = "15"\n',
        ["[sites #1] minutes", "must be a number, got '15'", "e.g. minutes = 15"],
    ),
    (
        "site minutes negative",
        BASE + '[[sites]]\nfacility_type = "t"\nminutes = -5\n',
        ["[sites #1] minutes", "must be positive, got -5", "e.g. minutes = 15"],
    ),
    (
        "site minutes nan",
        BASE + '[[sites]]\nfacility_type = "t"\nminutes = nan\n',
        ["[sites #1] minutes", "must be a number, got nan", "e.g. minutes = 15"],
    ),
    (
        "facility type minutes a string",
        BASE + '[facilities.types.kindergarten]\nminutes = "15"\n',
        [
            "[facilities.types.kindergarten] minutes",
            "must be a number, got '15'",
            "e.g. minutes = 15",
        ],
    ),
    (
        "service area minutes a string",
        BASE + '[service_areas]\nminutes = "15"\n',
        ["[service_areas] minutes", "must be a list of minutes, got '15'", "e.g. minutes = [5"],
    ),
    (
        "service area minutes decreasing",
        BASE + "[service_areas]\nminutes = [15, 10, 5]\n",
        ["[service_areas] minutes", "must increase, got [15, 10, 5]", "e.g. minutes = [5"],
    ),
    (
        "service area minutes repeated",
        BASE + "[service_areas]\nminutes = [5, 5]\n",
        ["[service_areas] minutes", "must increase", "e.g. minutes = [5"],
    ),
    (
        "service area minutes empty",
        BASE + "[service_areas]\nminutes = []\n",
        ["[service_areas] minutes", "must be a list of minutes, got []", "e.g. minutes = [5"],
    ),
    (
        "service area minutes zero",
        BASE + "[service_areas]\nminutes = [0, 5]\n",
        ["[service_areas] minutes", "must be positive, got 0", "e.g. minutes = 15"],
    ),
    (
        "bbox of three numbers",
        BASE + "[area]\nbbox = [125.3, 43.8, 125.4]\n",
        ["[area] bbox", "must be four numbers", "e.g. bbox = [125.30, 43.85, 125.38, 43.91]"],
    ),
    (
        "bbox of strings",
        BASE + '[area]\nbbox = ["125.3", "43.8", "125.4", "43.9"]\n',
        ["[area] bbox", "must be four numbers", "e.g. bbox = ["],
    ),
    (
        "bbox with lon and lat swapped",
        BASE + "[area]\nbbox = [43.8, 125.3, 43.9, 125.4]\n",
        ["[area] bbox", "not (left, bottom, right, top)", "swapped", "e.g. bbox = ["],
    ),
    (
        "bbox left of right",
        BASE + "[area]\nbbox = [125.4, 43.8, 125.3, 43.9]\n",
        ["[area] bbox", "not (left, bottom, right, top)", "e.g. bbox = ["],
    ),
    (
        "unknown basemap",
        BASE + '[outputs]\nbasemap = "google"\n',
        [
            "[outputs] basemap",
            "'google' is not one of osm, amap, tianditu, none",
            'e.g. basemap = "osm"',
        ],
    ),
    (
        "unknown lang",
        '[study]\nname = "x"\nlang = "fr"\n' + NET,
        ["[study] lang", "'fr' is not one of zh, en", 'e.g. lang = "zh"'],
    ),
    (
        "maps not a boolean",
        BASE + '[outputs]\nmaps = "yes"\n',
        ["[outputs] maps", "must be true or false, got 'yes'", "e.g. maps = true"],
    ),
    (
        "raster resolution zero",
        BASE + "[outputs]\nraster_resolution_m = 0\n",
        ["[outputs] raster_resolution_m", "must be positive", "e.g. raster_resolution_m = 15"],
    ),
    (
        "synthetic seed negative",
        HEAD + '[network]\nsource = "synthetic"\n[synthetic]\nseed = -1\n',
        ["[synthetic] seed", "whole number >= 0, got -1", "e.g. seed = 1"],
    ),
    (
        "life circle levels not strings",
        BASE + "[life_circles]\nlevels = [15]\n",
        ["[life_circles] levels", "must be a list of strings", 'e.g. levels = ["15min"]'],
    ),
    (
        "settings not a table",
        BASE.replace(HEAD, 'settings = 3\n[study]\nname = "x"\n'),
        ["[settings] must be a table", "e.g. walk_speed_m_s = 1.0"],
    ),
    (
        "unknown setting",
        BASE + "[settings]\nwalk_sped = 1.0\n",
        ["[settings]", "unknown setting 'walk_sped'", "known settings:", "walk_speed_m_s"],
    ),
    (
        "setting of the wrong type",
        BASE + '[settings]\nwalk_speed_m_s = "fast"\n',
        ["[settings]", "'walk_speed_m_s' must be a number, got 'fast'", "e.g. walk_speed_m_s="],
    ),
    (
        "setting lang unknown",
        BASE + '[settings]\nlang = "fr"\n',
        ["[settings]", "'lang' must be 'zh' or 'en', got 'fr'"],
    ),
    (
        "setting basemap unknown",
        BASE + '[settings]\nbasemap = "google"\n',
        ["[settings]", "'basemap' must be one of osm, amap, tianditu, none; got 'google'"],
    ),
    (
        "missing study name",
        '[study]\ntitle = "T"\n' + NET,
        ["[study] name is missing", 'e.g. name = "my-district"'],
    ),
    (
        "missing study table",
        NET,
        ["[study] name is missing", 'e.g. name = "my-district"'],
    ),
    (
        "study not a table",
        'study = "x"\n' + NET,
        ["[study] must be a table, got 'x'", "e.g. [study]"],
    ),
    (
        "study name not a string",
        "[study]\nname = 5\n" + NET,
        ["[study] name", "must be a non-empty string, got 5", "e.g. name = "],
    ),
    (
        "missing network source",
        HEAD + '[network]\nprofile = "walk"\n',
        [
            "[network] source or region must be given",
            'e.g. source = "data/raw/jilin-latest.osm.pbf"',
        ],
    ),
    (
        "missing network table",
        HEAD,
        ["[network] source or region must be given", "e.g. source = "],
    ),
    (
        "network source empty",
        HEAD + '[network]\nsource = ""\n',
        ["[network] source", "must be a non-empty string, got ''", 'e.g. source = "sample"'],
    ),
    (
        "missing network file",
        HEAD + '[network]\nsource = "nowhere.osm.pbf"\n',
        ["[network] source", "names a file that does not exist", "nowhere.osm.pbf", "e.g."],
    ),
    (
        "missing communities file",
        BASE + '[communities]\nsource = "communities.gpkg"\n',
        ["[communities] source", "does not exist", "communities.gpkg", "e.g."],
    ),
    (
        "missing population file",
        BASE + '[population]\nsource = "population.tif"\n',
        ["[population] source", "does not exist", "population.tif", "e.g."],
    ),
    (
        "population source of another kind",
        BASE + '[population]\nsource = "street_blocks"\n',
        ["[population] source", "does not exist", "street_blocks", "e.g."],
    ),
    (
        "missing facility file",
        BASE + '[facilities.types.community_health_station]\nfile = "clinics.csv"\n',
        [
            "[facilities.types.community_health_station] file",
            "does not exist",
            "clinics.csv",
            "e.g.",
        ],
    ),
    (
        "missing area file",
        BASE + '[area]\nfile = "district.gpkg"\n',
        ["[area] file", "does not exist", "district.gpkg", "e.g."],
    ),
    (
        "tags and file both given",
        BASE + "[facilities.types.community_health_station]\n"
        'tags = { amenity = "clinic" }\nfile = "c.csv"\n',
        [
            "[facilities.types.community_health_station] tags / file",
            "are alternatives: give one",
            "e.g. file = ",
        ],
    ),
    (
        "tags of the wrong shape",
        BASE + "[facilities.types.community_health_station]\ntags = {amenity = 3}\n",
        [
            "[facilities.types.community_health_station] tags.amenity",
            "must be true, a value or a list of values, got 3",
            "e.g. tags = { amenity = ",
        ],
    ),
    (
        "tags a list of numbers",
        BASE + "[facilities.types.community_health_station]\ntags = {amenity = [1, 2]}\n",
        ["[facilities.types.community_health_station] tags.amenity", "got [1, 2]", "e.g. tags = "],
    ),
    (
        "tags not a table",
        BASE + '[facilities.types.community_health_station]\ntags = "amenity=clinic"\n',
        [
            "[facilities.types.community_health_station] tags",
            "must be a table of OSM tags",
            "e.g. tags = ",
        ],
    ),
    (
        "tags empty",
        BASE + "[facilities.types.community_health_station]\ntags = {}\n",
        [
            "[facilities.types.community_health_station] tags",
            "must be a table of OSM tags, got {}",
            "e.g. tags = ",
        ],
    ),
    (
        "facility type not a table",
        BASE + "[facilities.types]\ncommunity_health_station = 3\n",
        ["[facilities.types.community_health_station] must be a table", "e.g. tags = "],
    ),
    (
        "facility types not a table",
        BASE + "[facilities]\ntypes = 3\n",
        ["[facilities.types] must hold one table per facility type", "e.g. [facilities.types."],
    ),
    (
        "site without a facility type",
        BASE + '[[sites]]\nmodel = "mclp"\n',
        ["[sites #1] facility_type is missing", 'e.g. facility_type = "community_canteen"'],
    ),
    (
        "second site without a facility type",
        BASE + '[[sites]]\nfacility_type = "t"\n[[sites]]\np = 2\n',
        ["[sites #2] facility_type is missing", "e.g. facility_type = "],
    ),
    (
        "unknown model",
        BASE + '[[sites]]\nfacility_type = "t"\nmodel = "kmeans"\n',
        ["[sites #1] model", "'kmeans' is not one of mclp, lscp, p_median, p_center", "e.g. model"],
    ),
    (
        "unknown solver",
        BASE + '[[sites]]\nfacility_type = "t"\nsolver = "gurobi"\n',
        ["[sites #1] solver", "'gurobi' is not one of auto, exact, greedy", 'e.g. solver = "auto"'],
    ),
    (
        "target above one",
        BASE + '[[sites]]\nfacility_type = "t"\ntarget = 1.5\n',
        ["[sites #1] target", "must be a share between 0 and 1, got 1.5", "e.g. target = 0.9"],
    ),
    (
        "target zero",
        BASE + '[[sites]]\nfacility_type = "t"\ntarget = 0\n',
        ["[sites #1] target", "must be positive, got 0", "e.g. target = "],
    ),
    (
        "sites not a list",
        BASE.replace(HEAD, 'sites = 3\n[study]\nname = "x"\n'),
        ["sites must be a list of [[sites]] tables", 'e.g. [[sites]] facility_type = "'],
    ),
    (
        "a site not a table",
        BASE.replace(HEAD, 'sites = [3]\n[study]\nname = "x"\n'),
        ["[sites #1]", "must be a table", "e.g. [[sites]] facility_type = "],
    ),
    (
        "area with two alternatives",
        BASE + '[area]\nbbox = [125.30, 43.85, 125.38, 43.91]\nplace = "Nanguan"\n',
        ["[area] bbox / place", "are alternatives: give one", "e.g. bbox = ["],
    ),
    (
        "online network without an area",
        HEAD + '[network]\nsource = "online"\n',
        ["[area] bbox is needed for an online network", 'e.g. place = "'],
    ),
]

BAD_NAMES = ["../x", "a/b", "", " ", ".", "..", "a" * 65, "my study", "-x", ".hidden", "a\\b"]


def error_of(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(geoplan.ConfigError) as info:
        load_config(path)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, geoplan.GeoplanError)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message
    return message


@pytest.mark.parametrize(
    ("text", "fragments"),
    [case[1:] for case in BAD_CONFIGS],
    ids=[case[0] for case in BAD_CONFIGS],
)
def test_bad_configs_name_the_key_the_problem_and_a_right_value(tmp_path, text, fragments):
    message = error_of(tmp_path, text)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    # A right value is shown: an example, or the list of the valid keys or values.
    assert any(marker in message for marker in RIGHT_VALUE_MARKERS), message


@pytest.mark.parametrize("name", BAD_NAMES, ids=repr)
def test_study_names_that_cannot_name_a_folder_are_refused(tmp_path, name):
    text = f"[study]\nname = {tomllib_string(name)}\n" + NET
    message = error_of(tmp_path, text)
    assert "[study] name" in message
    assert "cannot name a folder" in message or "must be a non-empty string" in message
    assert "e.g. name = " in message


def tomllib_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    encoded = f'"{escaped}"'
    assert tomllib.loads(f"v = {encoded}")["v"] == text
    return encoded


def test_invalid_toml_is_refused(tmp_path):
    path = write(tmp_path, '[study\nname = "x"\n')
    with pytest.raises(geoplan.ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message
    assert "is not valid TOML" in message
    assert "line 1" in message
    assert "check quotes, brackets" in message


def test_a_missing_toml_file_is_refused(tmp_path):
    path = tmp_path / "nowhere.toml"
    with pytest.raises(geoplan.ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert f"study file {path} does not exist" in message
    assert "see studies/" in message


def test_a_folder_instead_of_a_toml_file_is_refused(tmp_path):
    with pytest.raises(geoplan.ConfigError, match="cannot read study file"):
        load_config(tmp_path)


def test_a_non_utf8_file_is_refused(tmp_path):
    path = tmp_path / "study.toml"
    path.write_bytes('[study]\nname = "南关"\n'.encode("gb18030"))
    with pytest.raises(geoplan.ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert f"cannot read study file {path}" in message
    assert "save it as UTF-8 text" in message


def test_parse_config_names_its_origin():
    with pytest.raises(
        geoplan.ConfigError, match=r"^my.toml: \[network\] source or region must be given"
    ):
        parse_config({"study": {"name": "x"}}, origin="my.toml")


def test_the_first_unknown_key_is_reported_before_any_other_problem(tmp_path):
    message = error_of(tmp_path, '[study]\nname = "../x"\n[netwrok]\n')
    assert "unknown key 'netwrok'" in message


def test_a_far_fetched_unknown_key_gets_no_suggestion(tmp_path):
    message = error_of(tmp_path, BASE + "[zzzzzz]\n")
    assert "unknown key 'zzzzzz'" in message
    assert "did you mean" not in message
    assert "the keys of [top level] are: study, area, network" in message


# ------------------------------------------------ bugs found by these tests (fixed)


def test_a_name_with_a_trailing_newline_is_refused(tmp_path):
    error_of(tmp_path, '[study]\nname = "abc\\n"\n' + NET)


def test_a_negative_setting_shows_a_right_value(tmp_path):
    message = error_of(tmp_path, BASE + "[settings]\nwalk_speed_m_s = -1\n")
    assert "[settings]" in message
    assert "'walk_speed_m_s' must be a positive finite number, got -1" in message
    assert EXAMPLE in message


def test_a_negative_setting_is_refused(tmp_path):
    message = error_of(tmp_path, BASE + "[settings]\nwalk_speed_m_s = -1\n")
    assert "[settings] setting 'walk_speed_m_s' must be a positive finite number" in message


def test_infinite_life_circle_minutes_setting_is_a_config_error(tmp_path):
    error_of(tmp_path, BASE + "[settings]\nlife_circle_minutes = [inf]\n")


def test_a_string_of_life_circle_minutes_is_refused(tmp_path):
    error_of(tmp_path, BASE + '[settings]\nlife_circle_minutes = "15"\n')


@pytest.mark.parametrize(
    "extra",
    [
        "[service_areas]\nminutes = [1" + "0" * 400 + "]\n",
        "[area]\nbbox = [1" + "0" * 400 + ", 1, 2, 3]\n",
        "[settings]\nwalk_speed_m_s = 1" + "0" * 400 + "\n",
    ],
    ids=["minutes", "bbox", "setting"],
)
def test_huge_integers_are_config_errors(tmp_path, extra):
    error_of(tmp_path, BASE + extra)


@pytest.mark.parametrize(
    "text",
    [
        HEAD + '[network]\nsource = "~no-such-user-geoplan/net.osm"\n',
        BASE + '[outputs]\noutput_dir = "~no-such-user-geoplan/out"\n',
        BASE + '[settings]\ncache_dir = "~no-such-user-geoplan/cache"\n',
    ],
    ids=["network source", "output_dir", "settings cache_dir"],
)
def test_a_home_folder_of_an_unknown_user_is_a_config_error(tmp_path, text):
    error_of(tmp_path, text)


def test_a_too_long_file_name_is_a_config_error(tmp_path):
    error_of(tmp_path, HEAD + f'[network]\nsource = "{"a" * 300}.osm.pbf"\n')


# ------------------------------------------------------------------- fuzzing

TOP_LEVEL = (
    "study",
    "area",
    "network",
    "synthetic",
    "communities",
    "population",
    "facilities",
    "life_circles",
    "service_areas",
    "sites",
    "outputs",
    "settings",
)
TABLE_KEYS = {
    "study": ("name", "title", "lang", "description", "invented"),
    "area": ("bbox", "file", "place"),
    "network": ("source", "profile"),
    "synthetic": ("area_km2", "seed", "spacing_m"),
    "communities": ("source", "layer", "name_column"),
    "population": ("source", "column"),
    "facilities": ("classify", "types"),
    "life_circles": ("enabled", "levels"),
    "service_areas": ("enabled", "minutes"),
    "outputs": (
        "maps",
        "print",
        "offline_maps",
        "basemap",
        "rasters",
        "raster_resolution_m",
        "output_dir",
    ),
    "settings": tuple(Settings._validators),
}
TYPE_KEYS = (
    "tags",
    "file",
    "x",
    "y",
    "crs",
    "type_column",
    "type_value",
    "minutes",
    "polygons_only",
    "capacity",
)
SITE_KEYS = (
    "facility_type",
    "model",
    "p",
    "minutes",
    "candidate_spacing_m",
    "target",
    "solver",
    "time_limit_s",
)
ALL_KEYS = sorted(
    {*TOP_LEVEL, *TYPE_KEYS, *SITE_KEYS, *(k for v in TABLE_KEYS.values() for k in v)}
)
UNKNOWN = ("netwrok", "Study", "site", "output", "", "types", "x y", "名称")
WORDS = (
    "sample",
    "synthetic",
    "online",
    "street_blocks",
    "buildings",
    "walk",
    "bike",
    "drive",
    "mclp",
    "lscp",
    "p_median",
    "p_center",
    "auto",
    "greedy",
    "zh",
    "en",
    "osm",
    "none",
    "x",
    "..",
    ".",
    "../x",
    "/",
)

leaves = st.one_of(
    st.booleans(),
    # TOML's integer range (larger ones: test_huge_integers_are_config_errors).
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),  # TOML has inf and nan
    # No '~' (see test_a_home_folder_of_an_unknown_user_is_a_config_error).
    st.text(st.characters(exclude_characters="~"), max_size=10),
    st.sampled_from(WORDS),
    st.sampled_from([5, 10, 15, 0.5, 1, 3, -1, 0]),
)
keys = st.one_of(st.sampled_from(ALL_KEYS), st.sampled_from(UNKNOWN), st.text(max_size=6))
values = st.recursive(
    leaves,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(keys, children, max_size=4),
    ),
    max_leaves=10,
)


FUZZ_DIR = REPO / "tests" / "data"  # holds tiny_city.osm and tiny_areas.osm
BOOLS = [True, False]
#: Right values of the keys, by "table.key" or by key, so that many fuzzed
#: configs get past the first table and every check is reached.
GOOD: dict[str, list[Any]] = {
    "name": ["fuzz", "a.b-c_1"],
    "title": ["T"],
    "lang": ["zh", "en"],
    "description": ["d"],
    "invented": BOOLS,
    "print": BOOLS,
    "bbox": [[125.30, 43.85, 125.38, 43.91], [-1, -1, 1, 1]],
    "file": ["tiny_city.osm", str(FUZZ_DIR / "tiny_areas.osm")],
    "place": ["Nanguan"],
    "network.source": ["sample", "synthetic", "online", "tiny_city.osm"],
    "communities.source": ["street_blocks", "synthetic", "tiny_areas.osm"],
    "population.source": ["buildings", "synthetic", "tiny_areas.osm"],
    "profile": ["walk", "bike", "drive"],
    "area_km2": [1, 4.0],
    "seed": [0, 1],
    "spacing_m": [80],
    "layer": ["l"],
    "name_column": ["n"],
    "column": ["population"],
    "classify": BOOLS,
    "enabled": BOOLS,
    "levels": [["15min", "5min"], []],
    "service_areas.minutes": [[5, 10, 15], [7.5]],
    "minutes": [10, 7.5],
    "maps": BOOLS,
    "offline_maps": BOOLS,
    "basemap": ["osm", "amap", "tianditu", "none"],
    "rasters": BOOLS,
    "raster_resolution_m": [50],
    "output_dir": ["out", "/tmp/out"],
    "tags": [{"amenity": ["clinic", "doctors"]}, {"leisure": True}, {"shop": "bakery"}],
    "x": ["lon"],
    "y": ["lat"],
    "crs": ["EPSG:4326"],
    "type_column": ["kind"],
    "type_value": ["clinic"],
    "polygons_only": BOOLS,
    "capacity": BOOLS,
    "facility_type": ["community_canteen", "community_health_station"],
    "model": ["mclp", "lscp", "p_median", "p_center"],
    "p": [1, 3],
    "candidate_spacing_m": [150],
    "target": [0.9, 1],
    "solver": ["auto", "exact", "greedy"],
    "time_limit_s": [60],
    "walk_speed_m_s": [1.2],
    "bike_speed_m_s": [4],
    "drive_speed_m_s": [8.33],
    "max_snap_m": [500],
    "life_circle_minutes": [[5, 10, 15]],
    "settings.lang": ["zh", "en"],
    "cache_dir": ["cache"],
    "offline": BOOLS,
    "progress": BOOLS,
    "reach_batch_mb": [256],
    "service_area_buffer_m": [100],
    "service_area_cell_m": [10],
    "map_tolerance_m": [2],
}


def sometimes(share: int) -> st.SearchStrategy[bool]:
    """True about one time in ``share``."""
    return st.sampled_from([False] * (share - 1) + [True])  # hypothesis favours the first


@st.composite
def mostly(draw: st.DrawFn, strategy: st.SearchStrategy[Any]) -> Any:
    """Draw from ``strategy``, but now and then any value instead."""
    return draw(values if draw(sometimes(15)) else strategy)


def table_of(table: str, names: tuple[str, ...], most: int = 4) -> st.SearchStrategy[Any]:
    """A table of some of ``names`` with mostly right values, now and then an unknown key."""
    right = {
        key: mostly(st.sampled_from(GOOD.get(f"{table}.{key}", GOOD.get(key, ["x"]))))
        for key in names
    }
    chosen = st.lists(st.sampled_from(names), unique=True, max_size=min(len(names), most))
    odd_key = sometimes(20)

    @st.composite
    def draw_table(draw: st.DrawFn) -> dict[str, Any]:
        out = {key: draw(right[key]) for key in draw(chosen)}
        if draw(odd_key):
            out[draw(keys)] = draw(values)
        return out

    return draw_table()


def known_table(name: str) -> st.SearchStrategy[Any]:
    """A value for a top-level table: mostly a table of its own keys."""
    if name == "sites":
        site = table_of("sites", SITE_KEYS).map(
            lambda t: {"facility_type": "community_health_station", **t}
        )
        return mostly(st.lists(site, max_size=3))
    if name == "facilities":
        type_id = st.one_of(st.just("community_health_station"), keys)
        types = st.dictionaries(
            type_id, mostly(table_of("type", TYPE_KEYS)), min_size=1, max_size=3
        )
        classify = mostly(st.sampled_from(BOOLS))
        return mostly(
            st.fixed_dictionaries({"types": mostly(types)}, optional={"classify": classify})
        )
    # The keys of [area] are alternatives: mostly just one.
    return mostly(table_of(name, TABLE_KEYS[name], most=1 if name == "area" else 4))


KNOWN_TABLES = {name: known_table(name) for name in TOP_LEVEL}
LEAVE_OUT = sometimes(3)
OVERRIDE = sometimes(4)


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    """A nested dict of TOML-like values under known and unknown top-level keys."""
    raw: dict[str, Any] = {}
    if not draw(sometimes(8)):  # most configs get far enough to check every table
        raw["study"] = {"name": draw(st.sampled_from(GOOD["name"]))}
        raw["network"] = {"source": draw(st.sampled_from(GOOD["network.source"][:3]))}
        if draw(st.booleans()):
            raw["area"] = {"place": "Nanguan"}
    for name in TOP_LEVEL:
        if draw(LEAVE_OUT) or (name in raw and not draw(OVERRIDE)):
            continue  # leave the table out, or keep the right study, network and area
        value = draw(KNOWN_TABLES[name])
        if isinstance(raw.get(name), dict) and isinstance(value, dict):
            value = {**raw[name], **value}
        raw[name] = value
    if draw(sometimes(10)):  # now and then an unknown or random top-level key
        raw[draw(keys)] = draw(values)
    return raw


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    raw=st.one_of(
        configs(),
        st.dictionaries(st.one_of(st.sampled_from(TOP_LEVEL), keys), values, max_size=5),
    )
)
def test_any_toml_like_config_parses_or_raises_a_config_error(raw):
    try:
        config = parse_config(raw, base_dir=FUZZ_DIR, origin="fuzz.toml")
    except geoplan.ConfigError as exc:
        message = str(exc)
        assert message.startswith("fuzz.toml: ")
        return
    assert isinstance(config, StudyConfig)
    assert "/" not in config.name
    assert config.name not in ("", ".", "..")
    minutes = config.service_area_minutes
    assert all(math.isfinite(m) and m > 0 for m in minutes)
    assert list(minutes) == sorted(set(minutes))
    if config.bbox is not None:
        left, bottom, right, top = config.bbox
        assert -180 <= left < right <= 180
        assert -90 <= bottom < top <= 90
    for site in config.sites:
        assert site.p is None or site.p >= 1
        assert 0 < site.target <= 1
    if config.network_source == "online":
        assert config.bbox or config.area_file or config.place


def test_a_study_saved_as_utf16_by_notepad_is_read(tmp_path):
    text = '[study]\nname = "南关区"\n[network]\nsource = "sample"\n'
    for encoding in ("utf-16", "utf-16-le", "utf-8-sig"):
        data = text.encode(encoding)
        if encoding == "utf-16-le":
            data = b"\xff\xfe" + data
        path = tmp_path / f"{encoding}.toml"
        path.write_bytes(data)
        assert load_config(path).name == "南关区"


def test_a_site_crs_is_checked_when_the_study_is_read():
    with pytest.raises(geoplan.ConfigError) as info:
        parse_config(
            {
                "study": {"name": "x"},
                "network": {"source": "sample"},
                "facilities": {"types": {"kindergarten": {"crs": "EPSG:99999"}}},
            }
        )
    message = str(info.value)
    assert "[facilities.types.kindergarten] crs = 'EPSG:99999' is not a coordinate" in message
    assert 'e.g. crs = "EPSG:4326"' in message


def test_a_device_as_an_input_is_named_as_such(tmp_path):
    with pytest.raises(
        geoplan.ConfigError, match=r"names not a regular file \(a device or a pipe\)"
    ):
        parse_config(
            {"study": {"name": "x"}, "network": {"source": "/dev/zero"}}, base_dir=tmp_path
        )


@pytest.mark.parametrize(
    ("table", "key", "name", "wanted"),
    [
        ("network", "source", "roads.csv", "an OSM extract"),
        ("communities", "source", "blocks.csv", "a vector file"),
        ("population", "source", "people.xlsx", "a vector file .* or a raster"),
        ("pois", "file", "amap.gpkg", "a table"),
        ("register", "source", "register.shp", "a table"),
        ("area", "file", "area.csv", "a vector file"),
    ],
)
def test_the_kind_of_every_input_file_is_checked_when_the_study_is_read(
    tmp_path, table, key, name, wanted
):
    (tmp_path / name).write_text("x")
    raw = {"study": {"name": "x"}, "network": {"source": "sample"}, table: {key: name}}
    with pytest.raises(geoplan.ConfigError, match=rf"\[{table}\] {key} = '{name}' is not {wanted}"):
        parse_config(raw, base_dir=tmp_path)
