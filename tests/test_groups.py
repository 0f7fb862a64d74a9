"""Coverage by population group at the group's own walking speed (一老一小).

A hand-built street with people at known distances, an oracle (a network built
at the group's speed), and the invariants: a slower group is never covered more,
a group at the network's speed is covered exactly as everyone is.
"""

from __future__ import annotations

import itertools
import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

import geoplan
from geoplan import InputError, Network
from geoplan._i18n import column_label
from geoplan.config import parse_config
from geoplan.coverage import coverage
from geoplan.groups import PopulationGroup, as_groups, population_group

CRS = "EPSG:32651"


def street(length: float = 2000.0, step: float = 100.0, speed: float = 1.0) -> Network:
    xs = np.arange(0, length + 1, step)
    return Network.from_edges(
        [(a, 0.0, b, 0.0) for a, b in itertools.pairwise(xs)], crs=CRS, speed_m_s=speed
    )


def points(xy, **columns):
    return gpd.GeoDataFrame(columns, geometry=[Point(p) for p in xy], crs=CRS)


ELDERLY = population_group("elderly", column="age_60_plus")
CHILDREN = population_group("children", column="age_0_6")


def test_the_standards_give_the_speeds_with_their_sources():
    assert (ELDERLY.speed_m_s, ELDERLY.source, ELDERLY.verification) == (
        0.92,
        "walk_speed_older_us",
        "verified_secondary",
    )
    assert (CHILDREN.speed_m_s, CHILDREN.source) == (0.88, "walk_speed_preschool")
    assert (ELDERLY.name_zh, CHILDREN.name_zh) == ("老年人", "儿童")
    own = population_group("elderly", column="age_65_plus", speed_m_s=0.8)
    assert (own.speed_m_s, own.source, own.verification) == (0.8, "user", "user")
    assert population_group("carers").speed_m_s is None  # the network's speed


def test_a_slower_group_falls_outside_by_hand():
    # a pharmacy at x = 0; homes 10 m off the street, so each is x + 10 m away.
    # 10 minutes: everyone 600 m, the elderly 10 x 60 x 0.92 = 552 m, children 528 m.
    homes = points(
        [(500, 10), (530, 10), (560, 10), (700, 10)],
        population=[100, 200, 300, 400],
        age_60_plus=[10, 20, 30, 40],
        age_0_6=[1, 2, 3, 4],
    )
    shops = points([(0, 0)], category=["pharmacy"])
    towns = gpd.GeoDataFrame(
        geometry=[box(0, -50, 550, 50), box(550, -50, 1000, 50)],
        index=pd.Index(["A", "B"]),
        crs=CRS,
    )
    result = coverage(
        street(), shops, homes, minutes=10, groups=[ELDERLY, CHILDREN], communities=towns
    )
    row = result.totals.loc["pharmacy"]
    # everyone: 510, 540, 570 m are within 600 m; 710 m is not
    assert row["covered"] == 600
    # the elderly: 510 and 540 m within 552 m
    assert row["covered_elderly"] == 30
    assert row["population_elderly"] == 100
    assert row["share_elderly"] == pytest.approx(0.3)
    assert row["speed_m_s_elderly"] == 0.92
    assert row["threshold_m_elderly"] == pytest.approx(552.0)
    # children: only 510 m within 528 m
    assert row["covered_children"] == 1
    assert row["share_children"] == pytest.approx(0.1)
    assert row["threshold_m_children"] == pytest.approx(528.0)
    demand = result.demand
    assert demand["pharmacy_covered_elderly"].tolist() == [True, True, False, False]
    assert demand["pharmacy_covered_children"].tolist() == [True, False, False, False]
    by = result.by_community.set_index("community")
    assert by.loc["A", "share_elderly"] == pytest.approx(1.0)  # x = 500, 530
    assert by.loc["B", "share_elderly"] == pytest.approx(0.0)  # x = 560, 700
    assert by.loc["A", "share_children"] == pytest.approx(1 / 3)
    assert by.loc["B", "speed_m_s_children"] == 0.88
    assert by["covered_elderly"].sum() == row["covered_elderly"]


def test_a_distance_threshold_is_the_same_distance_for_every_group():
    # kindergarten: GB 50180-93's 300 m service radius, a network distance
    homes = points([(280, 10), (295, 10)], population=[5, 5], age_60_plus=[1, 1], age_0_6=[2, 2])
    schools = points([(0, 0)], category=["kindergarten"])
    row = coverage(street(), schools, homes, groups=[ELDERLY, CHILDREN]).totals.loc["kindergarten"]
    assert row["threshold_m"] == 300
    assert row["covered"] == 5  # 290 m in, 305 m out
    assert row["covered_children"] == 2
    assert np.isnan(row["speed_m_s_children"])  # speed plays no part
    assert row["threshold_m_children"] == 300


def test_a_plain_column_walks_at_the_network_speed():
    homes = points([(560, 10)], population=[10], age_60_plus=[4])
    shops = points([(0, 0)], category=["pharmacy"])
    row = coverage(street(), shops, homes, minutes=10, groups=["age_60_plus"]).totals.iloc[0]
    assert row["share_age_60_plus"] == 1.0
    assert row["speed_m_s_age_60_plus"] == 1.0


def random_study(seed: int, n_homes: int = 60):
    rng = np.random.default_rng(seed)
    size, step = 1200.0, 100.0
    xs = np.arange(0, size + 1, step)
    segments = [(a, y, b, y) for y in xs for a, b in itertools.pairwise(xs)]
    segments += [(x, a, x, b) for x in xs for a, b in itertools.pairwise(xs)]
    keep = rng.random(len(segments)) > 0.15  # a few streets missing
    segments = [s for s, k in zip(segments, keep, strict=True) if k]
    xy = rng.uniform(0, size, size=(n_homes, 2))
    people = rng.integers(0, 200, n_homes)
    homes = points(
        xy,
        population=people,
        age_60_plus=np.floor(people * rng.random(n_homes)),
        everyone=people,
    )
    shops = points(rng.uniform(0, size, size=(3, 2)), category=["pharmacy"] * 3)
    return segments, homes, shops


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    minutes=st.floats(2.0, 15.0),
    slow=st.floats(0.3, 1.5),
    fast=st.floats(0.3, 1.5),
)
def test_invariants_slower_never_covers_more_and_the_network_speed_covers_as_everyone(
    seed, minutes, slow, fast
):
    slow, fast = sorted((slow, fast))
    segments, homes, shops = random_study(seed)
    net = Network.from_edges(segments, crs=CRS, speed_m_s=1.0)
    groups = [
        population_group("slow", column="age_60_plus", speed_m_s=slow),
        population_group("fast", column="age_60_plus", speed_m_s=fast),
        population_group("all_slow", column="everyone", speed_m_s=slow),
        population_group("same", column="everyone", speed_m_s=1.0),
    ]
    result = coverage(net, shops, homes, minutes=minutes, groups=groups)
    row = result.totals.loc["pharmacy"]
    assert row["covered_slow"] <= row["covered_fast"]
    if row["population_slow"] > 0:
        assert row["share_slow"] <= row["share_fast"]
    assert (row["share_same"], row["covered_same"]) == (row["share"], row["covered"])
    demand = result.demand  # per point too: whoever the slow reach, the fast reach
    slow_points = demand.get("pharmacy_covered_slow", demand["pharmacy_covered"])
    fast_points = demand.get("pharmacy_covered_fast", demand["pharmacy_covered"])
    assert not (slow_points & ~fast_points).any()
    # the oracle: everyone on a network built at the slow speed
    oracle = coverage(
        Network.from_edges(segments, crs=CRS, speed_m_s=slow), shops, homes, minutes=minutes
    )
    assert row["covered_all_slow"] == pytest.approx(oracle.totals.loc["pharmacy", "covered"])


def test_group_errors_name_the_problem_and_the_fix():
    homes = points([(100, 10)], population=[5])
    shops = points([(0, 0)], category=["pharmacy"])
    with pytest.raises(InputError, match=r"'elderly'.*'age_60_plus'.*add that column"):
        coverage(street(), shops, homes, groups=[ELDERLY])
    with pytest.raises(InputError, match=r"not a walking speed.*e\.g\. 0\.92"):
        population_group("elderly", speed_m_s=3.3 * 1000 / 60)  # m/min given as m/s
    with pytest.raises(InputError, match="given twice"):
        as_groups(["elderly", ELDERLY])
    with pytest.raises(InputError, match="cannot name table columns"):
        population_group("老年 人")
    with pytest.raises(InputError, match="PopulationGroup"):
        as_groups([0.92])  # type: ignore[list-item]


def test_group_columns_read_in_chinese_and_english():
    assert column_label("share_elderly", "zh") == "覆盖率：老年人"
    assert column_label("speed_m_s_children", "zh") == "步行速度（米/秒）：儿童"
    assert column_label("threshold_m_elderly", "zh") == "距离阈值（米）：老年人"
    assert column_label("covered_children", "en") == "people covered: young children"
    assert column_label("share_age_60_plus", "zh") == "覆盖率：age_60_plus"


def test_minutes_scale_by_the_ratio_of_speeds():
    group = PopulationGroup("g", "g", speed_m_s=0.9)
    assert group.minutes_at(15, network_speed_m_s=1.2) == pytest.approx(15 * 0.9 / 1.2)
    with geoplan.settings.override(walk_speed_m_s=1.2):
        net = street(speed=1.2)
    assert net.cutoff_m(minutes=group.minutes_at(15, network_speed_m_s=1.2)) == pytest.approx(
        15 * 60 * 0.9
    )


# ------------------------------------------------------------------ in a study
def group_study(seed: int = 3, lang: str = "zh", **population: object) -> dict[str, object]:
    return {
        "study": {"name": f"groups-{seed}", "lang": lang},
        "network": {"source": "synthetic"},
        "synthetic": {"area_km2": 1.0, "seed": seed},
        "communities": {"source": "synthetic"},
        "population": {
            "source": "synthetic",
            "groups": {"elderly": {"share": 0.2}, "children": {"share": 0.05}},
        }
        | population,
        "facilities": {
            "types": {"pharmacy": {}, "kindergarten": {}, "community_canteen": {"minutes": 10}}
        },
        "service_areas": {"enabled": False},
        "outputs": {"maps": False, "rasters": False, "print": False, "basemap": "none"},
    }


@pytest.mark.parametrize("seed", [3, 11])
def test_a_study_reports_each_group_at_its_speed_and_agrees_with_itself(tmp_path, seed):
    from tests.test_one_truth import check_run, table

    study = geoplan.Study.from_config(parse_config(group_study(seed)))
    assert [g.id for g in study.groups] == ["elderly", "children"]
    assert study.demand["elderly_people"].sum() == pytest.approx(
        0.2 * study.demand["population"].sum()
    )
    result = geoplan.run_study(study)
    out = geoplan.write_run(result, tmp_path / study.name)
    check_run(out, ["pharmacy", "kindergarten", "community_canteen"])
    speeds = table(out, "population_groups").set_index("group")
    assert speeds.loc["everyone", "walk_speed_m_s"] == 1.0
    assert speeds.loc["elderly", "walk_speed_m_s"] == 0.92
    assert speeds.loc["elderly", "speed_source"] == "walk_speed_older_us"
    assert speeds.loc["children", "walk_speed_m_s"] == 0.88
    totals = table(out, "coverage_totals").set_index("facility_type")
    canteen = totals.loc["community_canteen"]
    assert float(canteen["threshold_m_elderly"]) == pytest.approx(10 * 60 * 0.92)
    # a share of every point walks slower: never covered more than everyone
    assert float(canteen["share_elderly"]) <= float(canteen["share"]) + 1e-12
    assert float(canteen["share_children"]) <= float(canteen["share_elderly"]) + 1e-12
    # the kindergarten's 300 m is a distance: the same for every group
    school = totals.loc["kindergarten"]
    assert float(school["share_children"]) == pytest.approx(float(school["share"]))
    assert str(school["speed_m_s_children"]) == ""  # NaN: speed plays no part
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    by_id = {g["group"]: g for g in record["population_groups"]}
    assert by_id["elderly"]["walk_speed_m_s"] == 0.92
    assert by_id["elderly"]["assumed_share"] == 0.2
    assert {"group_speed", "group_share"} <= {c["topic"] for c in record["caveats"]}
    share = record["totals"]["group_coverage"]["elderly"]["community_canteen"]
    assert share == pytest.approx(float(canteen["share_elderly"]))


def test_with_lang_zh_the_groups_read_in_chinese(tmp_path):
    result = geoplan.run_study(geoplan.Study.from_config(parse_config(group_study())))
    out = geoplan.write_run(result, tmp_path / "zh")
    page = (out / "report.html").read_text(encoding="utf-8")
    section = page[page.index('id="groups"') : page.index('id="methods"')]
    assert "一老一小" in section
    assert "老年人" in section
    assert "儿童" in section
    assert "各人群按自己的步行速度计算覆盖率" in section
    shown = re.sub(r"<[^>]+>", "", section)  # what a reader sees, not the cells' keys
    assert not re.search(r"elderly|children|walking speed", shown)
    assert "人群步行速度" in page
    assert "老年人（列 elderly_people）的覆盖率按步行速度 0.92 米/秒 计算" in page
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    zh = [c["zh"] for c in record["caveats"] if c["topic"].startswith("group_")]
    assert len(zh) == 4  # the speed and the share of each group
    for text in zh:  # Chinese but for the column's and the source's ids
        words = re.sub(r"elderly_people|children_people|walk_speed_\w+", "", text)
        assert not re.search(r"[A-Za-z]{4,}", words), text
    sheet = pd.read_excel(out / "tables.xlsx", sheet_name="人群与步行速度")
    assert list(sheet.columns[:2]) == ["人群", "人口列"]
    assert "步行速度（米/秒）" in sheet.columns
    totals = pd.read_excel(out / "tables.xlsx", sheet_name="覆盖率汇总")
    assert {"覆盖率：老年人", "步行速度（米/秒）：儿童"} <= set(totals.columns)


def test_a_population_file_names_its_group_columns(tmp_path):
    city = geoplan.datasets.synthetic_city(area_km2=1.0, seed=2)
    demand = city.demand()
    rng = np.random.default_rng(2)
    demand["age_60_plus"] = np.floor(demand["population"] * rng.uniform(0, 0.4, len(demand)))
    demand.to_file(tmp_path / "people.gpkg")
    toml = tmp_path / "study.toml"
    toml.write_text(
        "\n".join(
            [
                '[study]\nname = "file-groups"',
                '[network]\nsource = "synthetic"',
                "[synthetic]\narea_km2 = 1.0\nseed = 2",
                '[population]\nsource = "people.gpkg"',
                '[population.groups.elderly]\ncolumn = "age_60_plus"\nwalk_speed_m_s = 0.8',
                "[facilities.types.pharmacy]",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    study = geoplan.Study.from_config(geoplan.load_config(toml))
    (elderly,) = study.groups
    assert (elderly.column, elderly.speed_m_s, elderly.source) == ("age_60_plus", 0.8, "user")
    result = geoplan.run_study(study, steps=["coverage"])
    assert result.coverage is not None
    row = result.coverage.totals.loc["pharmacy"]
    assert row["population_elderly"] == pytest.approx(demand["age_60_plus"].sum())
    assert row["threshold_m_elderly"] == pytest.approx(8 * 60 * 0.8)  # pharmacy: 8 minutes
    caveat = next(c for c in result.caveats if c.topic == "group_speed")
    assert "0.8 m/s" in caveat.en
    assert "measured abroad" not in caveat.en  # the study's own figure
    bad = toml.read_text(encoding="utf-8").replace('"age_60_plus"', '"age_65_plus"')
    toml.write_text(bad, encoding="utf-8")
    with pytest.raises(InputError, match=r"\[population.groups.elderly\] column = 'age_65_plus'"):
        geoplan.Study.from_config(geoplan.load_config(toml))


@pytest.mark.parametrize(
    ("groups", "source", "words"),
    [
        ({"elderly": {"column": "a"}}, "synthetic", ["column", "population file", "share = "]),
        ({"elderly": {}}, "synthetic", ["column / share", "give one of them"]),
        ({"elderly": {"share": 0.2, "column": "a"}}, "synthetic", ["column / share"]),
        ({"elderly": {"share": 1.5}}, "synthetic", ["share", "between 0 and 1"]),
        (
            {"elderly": {"share": 0.2, "walk_speed_m_s": 55}},
            "synthetic",
            ["walk_speed_m_s", "0.92"],
        ),
        ({"elderly": {"share": 0.2, "speed": 0.9}}, "synthetic", ["unknown key 'speed'"]),
        ({"老 人": {"share": 0.2}}, "synthetic", ["cannot name table columns"]),
        ({"elderly": 0.2}, "synthetic", ["[population.groups.elderly] must be a table"]),
        ("elderly", "synthetic", ["[population.groups] must hold one table per group"]),
    ],
)
def test_group_keys_are_checked_naming_the_key_and_a_fix(groups, source, words):
    raw = {
        "study": {"name": "g"},
        "network": {"source": "synthetic"},
        "population": {"source": source, "groups": groups},
    }
    with pytest.raises(geoplan.ConfigError) as caught:
        parse_config(raw)
    for word in words:
        assert word in str(caught.value), (word, str(caught.value))
