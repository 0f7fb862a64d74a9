"""Coverage by population group at the group's own walking speed (一老一小).

A hand-built street with people at known distances, an oracle (a network built
at the group's speed), and the invariants: a slower group is never covered more,
a group at the network's speed is covered exactly as everyone is.
"""

from __future__ import annotations

import itertools

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
