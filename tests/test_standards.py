"""The planning standards: package data checked against the compiled reference, and the API."""

from __future__ import annotations

import math
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from geoplan._errors import ConfigError, DataSourceError, InputError
from geoplan.standards import (
    FacilityType,
    Standards,
    Value,
    facility_type,
    facility_types,
    level,
    levels,
    load_standards,
    search,
)
from geoplan.standards._standards import DATA_FILES, read_package_data

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference" / "standards.toml"
# the reference's id of the rural township level
LEVEL_IDS = {"village_township": "township"}
# the reference files the township health centre under "village"; its own basis names 乡集镇
LEVEL_MOVED = {"township_health_center": ("village", "township")}
VERIFICATIONS = {"verified_primary", "verified_secondary", "weak_secondary", "local", "default"}
# the Jilin plan's convenience services the compiled reference lacks (facilities.toml)
PLAN_TYPES = ("bank", "telecom_service", "gas_service_point", "power_service_point")
N_TYPES = 47 + len(PLAN_TYPES)


@pytest.fixture(scope="module")
def std() -> Standards:
    return load_standards()


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    if not REFERENCE.exists():
        pytest.skip("the compiled reference ../shared/reference/standards.toml is absent")
    return tomllib.loads(REFERENCE.read_text(encoding="utf-8"))


# ---------------------------------------------------------------- the reference
def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _numeric(value: object) -> bool:
    return _is_number(value) or (
        isinstance(value, list) and len(value) == 2 and all(map(_is_number, value))
    )


def _numbers(entry: dict[str, Any]) -> dict[str, Any]:
    """The numeric fields of a reference entry; tables of numbers flattened to key_sub."""
    found = {}
    for key, value in entry.items():
        if _numeric(value):
            found[key] = value
        elif isinstance(value, dict) and all(map(_numeric, value.values())):
            found.update({f"{key}_{sub}": v for sub, v in value.items()})
    return found


def _same(mine: Value, theirs: object) -> bool:
    expected = tuple(map(float, theirs)) if isinstance(theirs, list) else float(theirs)  # type: ignore[arg-type]
    return mine.value == expected


def _reference_pairs(
    reference: dict[str, Any], std: Standards
) -> list[tuple[tuple[str, str, str], Value, object, str]]:
    """Every reference number with the value geoplan stores for it: (key, mine, theirs, status)."""
    pairs = []
    types = {t.id: t for t in std.all_types}
    for entry in reference["facility"]:
        t = types[entry["id"]]
        for key, theirs in _numbers(entry).items():
            if key == "walk_minutes":
                mine, owner_key = t.threshold, ("facility", t.id, "walk_minutes")
            else:
                mine, owner_key = t.figures[key], ("facility", t.id, key)
            pairs.append((owner_key, mine, theirs, _status(entry, key)))
    for entry in reference["life_circle"]:
        lv = std.level(LEVEL_IDS.get(entry["id"], entry["id"]))
        for key, number in _numbers(entry).items():
            owner, name = _level_home(lv.id, key)
            mine = lv.minutes if name == "minutes" else _figure(std, owner, name)
            # the park's minimum area is stored in m2
            theirs = number * 10000 if key == "park_min_area_ha" else number
            pairs.append((owner, mine, theirs, _status(entry, key)))
    for entry in reference["shelter_class"]:
        shelter = std.shelter_class(entry["id"])
        for key, theirs in _numbers(entry).items():
            pairs.append((("shelter_class", shelter.id, key), shelter.figures[key], theirs, ""))
        for band in entry.get("buffer_width_m", []):
            name = f"min_buffer_width_m_up_to_{band['persons_max']}_persons"
            pairs.append(
                (
                    ("shelter_class", shelter.id, name),
                    shelter.figures[name],
                    band["width_min_m"],
                    "",
                )
            )
    # the shelter facility's own time is the emergency class's local walking time
    emergency = next(s for s in reference["shelter_class"] if s["id"] == "emergency")
    shelter_type = types["emergency_shelter"]
    assert shelter_type.walk_minutes is not None
    pairs.append(
        (
            ("facility", "emergency_shelter", "walk_minutes"),
            shelter_type.walk_minutes,
            emergency["local_walk_minutes"],
            "local",
        )
    )
    return pairs


def _level_home(level_id: str, key: str) -> tuple[tuple[str, str, str], str]:
    """Where geoplan keeps a number of a reference life circle: ((section, owner, name), name)."""
    moved = {
        "park_min_area_ha": ("park_10min", "min_land_area_m2"),
        "park_min_width_m": ("park_10min", "min_width_m"),
        "park_sports_share_pct": ("park_10min", "sports_share_pct"),
        "central_green_per_capita_m2_new": ("block_central_green", "per_capita_area_m2"),
        "central_green_per_capita_m2_old_area": (
            "block_central_green",
            "per_capita_area_m2_old_area",
        ),
        "central_green_min_width_m": ("block_central_green", "min_width_m"),
    }
    if key in moved:
        owner, name = moved[key]
        return ("facility", owner, name), name
    if key.startswith("land_use_shares_pct_"):
        name = f"land_use_{key.removeprefix('land_use_shares_pct_')}_pct"
        return ("level", level_id, name), name
    name = "minutes" if key == "walk_minutes" else key
    return ("level", level_id, name), name


def _figure(std: Standards, owner: tuple[str, str, str], name: str) -> Value:
    section, owner_id, _ = owner
    if section == "facility":
        return std.facility_type(owner_id).figures[name]
    return std.level(owner_id).figures[name]


def _status(entry: dict[str, Any], key: str) -> str:
    """The reference's status text for a number, where it has one."""
    status_key = {
        "service_radius_m": "radius_status",
        "min_building_area_m2": "area_status",
        "per_100_households_m2": "area_status",
        "per_capita_area_m2": "area_status",
        "min_site_effective_area_m2": "area_status",
        "per_capita_living_area_m2": "area_status",
        "walk_minutes": "walk_status",
        "distance_m": "distance_status",
        "population": "population_status",
        "dwellings": "population_status",
        "public_green_per_capita_m2": "public_green_status",
        "land_area_ha": "land_area_status",
    }.get(key, "local_status" if key.startswith("local_") else "")
    return str(entry.get(status_key, ""))


def test_every_reference_type_is_present_with_its_chinese_name(reference, std):
    ours = {t.id: t for t in std.all_types}
    assert len(reference["facility"]) == 47
    assert sorted(ours) == sorted([*(f["id"] for f in reference["facility"]), *PLAN_TYPES])
    for entry in reference["facility"]:
        t = ours[entry["id"]]
        assert t.name_zh == entry["name_zh"]
        assert t.name_en == entry["name_en"]
        assert (t.required, t.required_status) == (entry["required"], entry["required_status"])
        assert (entry["life_circle"], t.level.id) in {
            (entry["life_circle"], entry["life_circle"]),
            LEVEL_MOVED.get(t.id),
        }


def test_the_plan_types_cite_the_plan_and_take_the_15_minute_level(reference, std):
    in_reference = {f["id"] for f in reference["facility"]}
    for t in std.all_types:
        if t.id in PLAN_TYPES:
            assert (t.source, t.verification) == ("jilin_14th_plan", "verified_secondary")
            assert std.sources().loc[t.source, "verification"] == t.verification
            # the plan gives no time, radius or figure: the level's 15 minutes, not required
            assert (t.level.id, t.walk_minutes, dict(t.figures)) == ("15min", None, {})
            assert (t.threshold_minutes, t.threshold_basis) == (15.0, "from level")
            assert (t.required, t.required_status) == (False, "verified")
            assert "jilin_14th_plan" in t.required_basis
            assert t.keywords, t.id
        else:
            assert t.id in in_reference
            assert (t.source, t.verification) == ("", "")
    assert std.facility_type("bank").osm_tags == ({"amenity": "bank"},)


def test_a_type_source_is_checked_against_the_sources():
    data = read_package_data()
    bank = next(f for f in data["facility"] if f["id"] == "bank")
    bank["verification"] = "verified_primary"
    with pytest.raises(ConfigError, match="write verification = 'verified_secondary'"):
        Standards(data)
    bank["source"] = "nowhere"
    with pytest.raises(ConfigError, match="unknown source 'nowhere'"):
        Standards(data)


def test_every_reference_level_and_shelter_class_is_present(reference, std):
    assert sorted(lv.id for lv in std.all_levels) == sorted(
        LEVEL_IDS.get(c["id"], c["id"]) for c in reference["life_circle"]
    )
    for entry in reference["life_circle"]:
        assert std.level(LEVEL_IDS.get(entry["id"], entry["id"])).name_zh == entry["name_zh"]
    assert [s["id"] for s in reference["shelter_class"]] == list(std.shelter_classes().index)


#: Sourced numbers from beyond the compiled reference, each with the figure its source gives
#: (checked in test_numbers_beyond_the_reference_equal_their_sources).
BEYOND_REFERENCE = {
    # 15th-percentile crossing speed of people older than 65 / 60: 3.02 and 3.03 ft/s
    ("parameter", "walk_speed_elderly_m_s", "walk_speed_elderly_m_s"): 3.02 * 0.3048,
    # mean walking speed of 48 pre-schoolers: 0.88 m/s
    ("parameter", "walk_speed_children_m_s", "walk_speed_children_m_s"): 0.88,
}


def test_numbers_beyond_the_reference_equal_their_sources(std):
    for (_, name, _), given in BEYOND_REFERENCE.items():
        value = std.parameter(name)
        assert value.value == pytest.approx(given, abs=0.005), name
        assert value.verification == "verified_secondary"
        cite = std.sources().loc[value.source, "cite"]
        assert f"{value.value:.2f} " in cite or f"{value.value:.2f} m/s" in cite, name


def test_every_number_equals_the_reference_and_every_stored_number_is_compared(reference, std):
    pairs = _reference_pairs(reference, std)
    wrong = [(key, str(mine), theirs) for key, mine, theirs, _ in pairs if not _same(mine, theirs)]
    assert wrong == []
    compared = {key for key, *_ in pairs} | set(BEYOND_REFERENCE)
    stored = std.values()
    sourced = stored[stored["verification"] != "default"]
    uncompared = {
        (row.section, row.owner, row.name)
        for row in sourced.itertuples()
        if (row.section, row.owner, row.name) not in compared
    }
    assert uncompared == set()


def test_verification_agrees_with_the_reference_status(reference, std):
    checked = 0
    for key, mine, _, status in _reference_pairs(reference, std):
        if status:
            assert mine.verification in status, (key, mine.verification, status)
            checked += 1
    assert checked >= 25


def test_sources_match_the_reference(reference, std):
    table = std.sources()
    for source in reference["source"]:
        assert table.loc[source["id"], "verification"] == source["level"]
        assert table.loc[source["id"], "cite"] == source["cite"]
    used = set(std.values()["source"])
    assert used <= set(table.index)


# ---------------------------------------------------------------- values by hand
def test_figures_quoted_in_the_brief(std):
    station = std.facility_type("community_health_station").figures["min_building_area_m2"]
    assert (station.value, station.unit, station.verification) == (150, "m2", "verified_primary")
    assert station.source == "chc_basic_std"
    assert std.facility_type("kindergarten").service_radius_m == 300
    pharmacy = std.facility_type("pharmacy").threshold
    assert (pharmacy.value, pharmacy.verification, pharmacy.source) == (
        8,
        "verified_secondary",
        "mofcom_site_2021",
    )
    shelter = std.facility_type("emergency_shelter").figures["per_capita_living_area_m2"]
    assert (shelter.value, shelter.unit, shelter.source) == (1.5, "m2/person", "gb21734_54")
    ten = std.level("10min").distance_m
    assert ten is not None
    assert (ten.value, ten.verification) == (500, "verified_secondary")


def test_threshold_is_the_types_own_figure_or_its_levels(std):
    pharmacy = std.facility_type("pharmacy")
    assert (pharmacy.threshold_minutes, pharmacy.threshold_basis) == (8.0, "own figure")
    school = std.facility_type("primary_school")
    assert (school.threshold_minutes, school.threshold_basis) == (10.0, "from level")
    assert school.threshold.source == "geipa_502"
    assert school.threshold.note.startswith("from level 10min")
    assert std.facility_type("village_clinic").profile == "bike"


def test_levels_urban_rural_and_defaults(std):
    assert [lv.id for lv in std.all_levels][:4] == ["15min", "10min", "5min", "block"]
    assert [std.level(i).threshold_minutes for i in ("15min", "10min", "5min")] == [15, 10, 5]
    block = std.level("block")
    assert (block.minutes.value, block.minutes.verification) == (5, "default")
    for rural, profile in (("township", "drive"), ("village", "bike")):
        lv = std.level(rural)
        assert (lv.setting, lv.profile, lv.minutes.verification) == ("rural", profile, "default")
    assert std.level("tdt_5_10min").minutes.value == (5.0, 10.0)
    assert std.level("tdt_5_10min").threshold_minutes == 10.0
    population = std.level("15min").population
    assert population is not None
    assert (population.low, population.high) == (50000, 100000)


def test_every_default_says_why(std):
    table = std.values()
    defaults = table[table["verification"] == "default"]
    assert set(defaults["source"]) == {"geoplan_default"}
    assert set(zip(defaults["owner"], defaults["name"], strict=True)) == {
        ("block", "minutes"),
        ("township", "minutes"),
        ("village", "minutes"),
        ("missing_below_share", "missing_below_share"),
        ("shelter_usable_share", "shelter_usable_share"),
        ("persons_per_m2_floor", "persons_per_m2_floor"),
        ("default_building_levels", "default_building_levels"),
        ("levels_single_storey_house", "levels_single_storey_house"),
        ("levels_house", "levels_house"),
        ("levels_village_house", "levels_village_house"),
        ("max_untagged_footprint_m2", "max_untagged_footprint_m2"),
        ("far_residential", "far_residential"),
        ("far_residential_low_rise", "far_residential_low_rise"),
        ("far_residential_old", "far_residential_old"),
        ("far_rural_homestead", "far_rural_homestead"),
    }
    assert all(len(note) > 80 for note in defaults["note"])
    assert std.parameter("missing_below_share").value == 0.5


# ---------------------------------------------------------------- no number without a source
def _walk(node: object, path: str, found: list[tuple[str, dict[str, Any]]]) -> None:
    """Collect every value table; fail on a number outside one."""
    if isinstance(node, dict):
        if "value" in node:
            found.append((path, node))
            return
        for key, child in node.items():
            _walk(child, f"{path}.{key}", found)
    elif isinstance(node, list):
        for i, child in enumerate(node):
            _walk(child, f"{path}[{i}]", found)
    else:
        assert not _is_number(node), f"{path} = {node!r} has no source"


def test_every_number_in_the_data_files_has_a_source_and_verification():
    folder = resources.files("geoplan.standards")
    sources = {
        s["id"]: s["verification"]
        for s in tomllib.loads(folder.joinpath("sources.toml").read_text("utf-8"))["source"]
    }
    found: list[tuple[str, dict[str, Any]]] = []
    for name in DATA_FILES[1:]:
        _walk(tomllib.loads(folder.joinpath(name).read_text("utf-8")), name, found)
    assert len(found) > 70
    for path, value in found:
        assert set(value) <= {"value", "unit", "source", "verification", "note"}, path
        assert value["source"] in sources, path
        assert value["verification"] == sources[value["source"]], path
        assert value["verification"] in VERIFICATIONS, path
        assert "unit" in value, path


def test_every_parsed_value_carries_a_known_source(std):
    table = std.values()
    assert len(table) == len(
        [v for lv in std.all_levels for v in lv.values().values()]
        + [v for t in std.all_types for v in t.figures.values()]
        + [t for t in std.all_types if t.walk_minutes is not None]
        + [v for s in std.shelter_classes().index for v in std.shelter_class(s).figures.values()]
        + list(std.parameters.values())
    )
    sources = std.sources()
    for row in table.itertuples():
        assert sources.loc[row.source, "verification"] == row.verification
    assert sources["n_values"].sum() == len(table)


def test_type_sources_list_the_sources_of_its_numbers(std):
    assert std.facility_type("community_health_station").sources() == [
        "chc_basic_std",
        "geipa_502",
        "gh_tdt_comment",
    ]
    assert std.facility_type("pharmacy").sources() == ["mofcom_site_2021"]


def test_malformed_data_is_refused():
    data = read_package_data()
    data["facility"][0]["figures"]["service_radius_m"]["source"] = "nowhere"
    with pytest.raises(ConfigError, match="unknown source 'nowhere'"):
        Standards(data)
    data = read_package_data()
    data["facility"][0]["figures"]["service_radius_m"]["verification"] = "verified_secondary"
    with pytest.raises(ConfigError, match="differs from that of its source"):
        Standards(data)
    data = read_package_data()
    data["facility"][0]["figures"]["service_radius_m"] = 1000
    with pytest.raises(ConfigError, match="must be a table"):
        Standards(data)
    data = read_package_data()
    data["facility"].append(dict(data["facility"][0]))
    with pytest.raises(ConfigError, match="duplicate facility id 'junior_middle_school'"):
        Standards(data)


# ---------------------------------------------------------------- lookups
@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("pharmacy", "pharmacy"),
        ("药店", "pharmacy"),
        ("Pharmacy", "pharmacy"),
        ("PHARMACY", "pharmacy"),
        ("Community health service station", "community_health_station"),
        ("community health station", "community_health_station"),
        ("社区医院", "community_health_center"),  # a part of the Chinese name
        ("老年食堂", "community_canteen"),
        ("长者食堂", "community_canteen"),  # a keyword
        ("药", "pharmacy"),  # a unique substring
    ],
)
def test_facility_type_lookup(key, expected):
    assert facility_type(key).id == expected


def test_ambiguous_lookup_lists_the_candidates(std):
    with pytest.raises(InputError, match="ambiguous") as info:
        std.facility_type("clinic")
    assert "community_health_station" in str(info.value)
    assert "village_clinic" in str(info.value)


def test_unknown_type_lists_close_matches(std):
    with pytest.raises(
        InputError, match=r"unknown facility type 'pharmcy'; close matches: pharmacy"
    ):
        std.facility_type("pharmcy")
    with pytest.raises(InputError, match="kindergarten"):
        std.facility_type("kindergarden")
    with pytest.raises(InputError, match="no close matches"):
        std.facility_type("xyzzy")
    with pytest.raises(InputError, match="non-empty string"):
        std.facility_type("  ")


def test_exact_lookup_refuses_parts(std):
    assert std.facility_type("药店", exact=True).id == "pharmacy"
    with pytest.raises(InputError, match="close matches: pharmacy"):
        std.facility_type("药", exact=True)


def test_level_lookup_and_types_of_level(std):
    assert level("居住街坊").id == "block"
    assert level("10-minute life circle").id == "10min"
    assert [t.id for t in std.types_of_level("block")] == [
        "block_central_green",
        "children_elderly_playground",
    ]
    assert [t.id for t in std.types_of_level("township")] == ["township_health_center"]
    with pytest.raises(InputError, match="unknown life-circle level"):
        std.level("20min")


def test_facility_types_table(std):
    table = facility_types()
    assert table.shape[0] == N_TYPES
    assert table.loc["pharmacy", "threshold_minutes"] == 8
    assert table.loc["pharmacy", "threshold_verification"] == "verified_secondary"
    assert table.loc["primary_school", "threshold_basis"] == "from level"
    assert table.loc["kindergarten", "service_radius_m"] == 300
    assert math.isnan(table.loc["pharmacy", "service_radius_m"])
    assert "min_building_area_m2 = 150 m2" in table.loc["community_health_station", "figures"]
    ten = std.facility_types(level="10min")
    assert set(ten["level"]) == {"10min"}
    assert "pharmacy" in ten.index
    optional = std.facility_types(required=False)
    assert not optional["required"].any()
    assert "specialty_dining" in optional.index
    assert std.facility_types(level="tdt_15min").empty


def test_levels_table():
    table = levels()
    assert table.loc["10min", "distance_m_max"] == 500
    assert table.loc["15min", "population_min"] == 50000
    assert table.loc["block", "minutes_verification"] == "default"
    assert table.loc["village", "setting"] == "rural"
    assert table["n_facility_types"].sum() == N_TYPES


def test_search_finds_names_keywords_and_tags():
    assert list(search("药房").index) == ["pharmacy"]
    assert "community_canteen" in search("食堂").index
    found = search("amenity=clinic")
    assert {"community_health_station", "village_clinic"} <= set(found.index)
    assert "osm tag" in found.loc["village_clinic", "matched"]
    assert search("no such thing").empty
    with pytest.raises(InputError):
        search("")


def test_shelter_classes(std):
    table = std.shelter_classes()
    assert len(table) == 9
    central = std.shelter_class("central")
    assert central.figures["max_service_population"].value == 500000
    assert (
        std.shelter_class("Ⅰ类地震应急避难场所").figures["per_capita_living_area_m2"].value == 1.5
    )


def test_osm_filter_reads_every_tag_the_classification_uses(std):
    tags = std.osm_filter()
    assert "pharmacy" in tags["amenity"]
    assert "bus_stop" in tags["highway"]
    assert std.osm_filter(["pharmacy"]) == {"amenity": ["pharmacy"], "healthcare": ["pharmacy"]}


# ---------------------------------------------------------------- overrides
OVERRIDES = """
[facility.pharmacy]
walk_minutes = 10

[facility.kindergarten]
service_radius_m = 500
required = false

[facility.village_committee]
name_zh = "村民委员会"
name_en = "Village committee"
level = "village"
name_keywords_zh = ["村委会", "村民委员会"]
figures = { min_building_area_m2 = 200 }

[level."15min"]
minutes = 20

[parameter]
missing_below_share = 0.3
"""


@pytest.fixture
def overridden(tmp_path: Path) -> Standards:
    path = tmp_path / "my_standards.toml"
    path.write_text(OVERRIDES, encoding="utf-8")
    return load_standards(path)


def test_overrides_change_values_and_mark_them_user(overridden, std):
    pharmacy = overridden.facility_type("pharmacy").threshold
    assert (pharmacy.value, pharmacy.verification, pharmacy.source) == (10, "user", "user")
    kindergarten = overridden.facility_type("kindergarten")
    assert kindergarten.service_radius_m == 500
    assert kindergarten.figures["service_radius_m"].verification == "user"
    assert (kindergarten.required, kindergarten.required_status) == (False, "user")
    park = overridden.facility_type("park_15min")
    assert (park.threshold_minutes, park.threshold.verification) == (20, "user")
    assert overridden.parameter("missing_below_share").value == 0.3
    assert overridden.sources().loc["user", "n_values"] == 5
    # the package's standards are untouched
    assert std.facility_type("pharmacy").threshold_minutes == 8
    assert "user" not in std.sources().index


def test_overrides_add_a_new_type(overridden):
    committee = overridden.facility_type("村民委员会")
    assert (committee.id, committee.level.id, committee.profile) == (
        "village_committee",
        "village",
        "bike",
    )
    area = committee.figures["min_building_area_m2"]
    assert (area.value, area.unit, area.verification) == (200, "m2", "user")
    assert (committee.required, committee.required_status) == (False, "user")
    assert len(overridden.all_types) == N_TYPES + 1


def test_overrides_accept_a_list_of_new_types_and_a_mapping(std):
    changed = std.with_overrides(
        {
            "facility": [
                {
                    "id": "cage_football",
                    "name_zh": "笼式足球场",
                    "level": "10min",
                    "walk_minutes": 12,
                }
            ]
        }
    )
    cage = changed.facility_type("cage_football")
    assert (cage.threshold_minutes, cage.threshold.verification) == (12, "user")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"facility": {"pharmacy": {"walk_minute": 10}}},
            r"unknown key 'walk_minute'.*walk_minutes",
        ),
        ({"facilities": {}}, r"unknown section 'facilities'.*facility, level, parameter"),
        (
            {"facility": {"pharmcy": {"walk_minutes": 10}}},
            r"unknown facility 'pharmcy'.*'pharmacy'",
        ),
        ({"level": {"20min": {"minutes": 20}}}, r"unknown level '20min'"),
        ({"level": {"15min": {"minute": 20}}}, r"unknown key 'minute'.*minutes"),
        ({"parameter": {"missing_share": 0.2}}, r"unknown parameter.*missing_below_share"),
        ({"facility": {"pharmacy": {"walk_minutes": "ten"}}}, r"'value' must be a finite number"),
        ({"facility": {"pharmacy": {"level": "11min"}}}, r"unknown level '11min'"),
        ({"facility": [{"id": "pharmacy", "name_zh": "药店", "level": "10min"}]}, "already exists"),
        ({"facility": [{"name_zh": "无名", "level": "10min"}]}, "needs an id"),
    ],
)
def test_bad_overrides_raise_config_errors(std, overrides, message):
    with pytest.raises(ConfigError, match=message):
        std.with_overrides(overrides)


def test_bad_override_files(tmp_path):
    with pytest.raises(DataSourceError, match="cannot read"):
        load_standards(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[facility.pharmacy\nwalk_minutes = 10", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_standards(broken)


def test_value_text():
    value = Value((800, 1000), "m", "gh_lc_docstring", "weak_secondary")
    assert (value.low, value.high, value.text) == (800.0, 1000.0, "800-1000 m")
    assert str(Value(8, "min", "mofcom_site_2021", "verified_secondary")) == (
        "8 min [verified_secondary: mofcom_site_2021]"
    )


def test_facility_type_objects_are_frozen(std):
    t: FacilityType = std.facility_type("pharmacy")
    with pytest.raises(AttributeError):
        t.required = False  # type: ignore[misc]
