"""Classifying POIs into the standards' facility types, and facility points on the network."""

from __future__ import annotations

import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, Polygon, box

from geoplan._errors import CRSError, InputError
from geoplan.facilities import (
    best_types,
    classification_report,
    classify_facilities,
    facility_points,
)
from geoplan.network import Network
from geoplan.standards import load_standards

CRS = "EPSG:32651"

# name, tags, expected [(type, rule)] -- Chinese OSM data tag inconsistently
POIS = {
    "chc": (
        "朝阳社区卫生服务中心",
        {"amenity": "hospital"},
        [("community_health_center", "tag+name:amenity=hospital+社区卫生服务中心")],
    ),
    "station": (
        "桂林社区卫生服务站",
        {"amenity": "doctors"},
        [("community_health_station", "tag+name:amenity=doctors+社区卫生服务站")],
    ),
    "noodles": (
        "张记面馆",
        {"amenity": "restaurant"},
        [("specialty_dining", "tag:amenity=restaurant")],
    ),
    "canteen": (
        "幸福里长者食堂",
        {"amenity": "restaurant"},
        [("community_canteen", "tag+name:amenity=restaurant+长者食堂")],
    ),
    "kindergarten": (
        "阳光幼儿园",
        {"amenity": "kindergarten"},
        [("kindergarten", "tag+name:amenity=kindergarten+幼儿园")],
    ),
    "primary": (
        "第一小学",
        {"amenity": "school"},
        [("primary_school", "tag+name:amenity=school+小学")],
    ),
    "park": (
        "人民公园",
        {"leisure": "park"},
        [
            ("park_15min", "tag+name:leisure=park+公园"),
            ("park_10min", "tag+name:leisure=park+公园"),
        ],
    ),
    "pharmacy": (None, {"amenity": "pharmacy"}, [("pharmacy", "tag:amenity=pharmacy")]),
    "drugstore": ("益丰大药房", {}, [("pharmacy", "name:大药房")]),  # 药房 lies inside 大药房
    "high_school": ("长春市第十一高级中学", {"amenity": "school"}, []),  # 高级中学 excluded
    "nine_year": (
        "东方红九年一贯制学校",
        {"amenity": "school"},
        [
            ("junior_middle_school", "tag+name:amenity=school+九年一贯制"),
            ("primary_school", "tag+name:amenity=school+九年一贯制"),
        ],
    ),
    "elderly": (
        "红旗街养老服务驿站",
        {},
        [("elderly_day_care", "name:养老服务驿站")],
    ),  # not a parcel 驿站
    "shop": ("老王超市", {"shop": "convenience"}, [("convenience_store", "tag:shop=convenience")]),
    "shelter": (
        "人民广场应急避难场所",
        {"place": "square"},
        [("emergency_shelter", "tag+name:place=square+避难场所")],
    ),
    "bus_shelter": (None, {"amenity": "shelter"}, []),  # a roofed shelter, not a disaster shelter
    "traffic_police": ("朝阳交警大队", {"amenity": "police"}, []),  # excluded by name, tags too
    "english": ("Sunshine Kindergarten", {}, [("kindergarten", "name:kindergarten")]),
}


def _pois() -> gpd.GeoDataFrame:
    """The POIs as read_facilities gives them: name, tags dict, geometry (the park a polygon)."""
    names = [name for name, _, _ in POIS.values()]
    tags = [{**t, **({"name": n} if n else {})} for n, t, _ in POIS.values()]
    geometry = [box(0, 0, 120, 80) if key == "park" else Point(i, 0) for i, key in enumerate(POIS)]
    return gpd.GeoDataFrame(
        {"osm_id": range(len(POIS)), "name": names, "tags": tags},
        geometry=geometry,
        crs=CRS,
        index=list(POIS),
    )


def _expected() -> list[tuple[str, str, str]]:
    return [(key, t, rule) for key, (_, _, found) in POIS.items() for t, rule in found]


def _found(result: gpd.GeoDataFrame) -> list[tuple[str, str, str]]:
    return list(zip(result.index, result["facility_type"], result["match_rule"], strict=True))


# ---------------------------------------------------------------- classification
def test_classification_by_name_and_tags():
    assert _found(classify_facilities(_pois())) == _expected()


def test_classification_from_plain_tag_columns():
    pois = _pois()
    columns = pd.DataFrame(list(pois["tags"]), index=pois.index).drop(columns="name")
    plain = gpd.GeoDataFrame(
        pd.concat([pois.drop(columns="tags"), columns], axis=1), geometry="geometry", crs=CRS
    )
    assert _found(classify_facilities(plain)) == _expected()


def test_classification_from_json_tags_and_name_columns():
    pois = _pois()
    pois["tags"] = [json.dumps(t, ensure_ascii=False) for t in pois["tags"]]
    assert _found(classify_facilities(pois)) == _expected()
    # a name only in name:zh is read too
    only_zh = gpd.GeoDataFrame({"name:zh": ["阳光幼儿园"]}, geometry=[Point(0, 0)], crs=CRS)
    assert classify_facilities(only_zh)["match_rule"].tolist() == ["name:幼儿园"]


def test_plain_columns_win_over_the_tags_dict():
    pois = gpd.GeoDataFrame(
        {"amenity": ["pharmacy"], "tags": [{"amenity": "restaurant"}]},
        geometry=[Point(0, 0)],
        crs=CRS,
    )
    assert classify_facilities(pois)["facility_type"].tolist() == ["pharmacy"]


def test_result_keeps_index_columns_geometry_and_crs():
    pois = _pois()
    result = classify_facilities(pois)
    assert list(result.columns[:5]) == [
        "facility_type",
        "facility_name_zh",
        "facility_name_en",
        "match_rule",
        "confidence",
    ]
    assert list(result.columns[5:]) == list(pois.columns)
    assert result.crs == pois.crs
    assert list(result.index).count("park") == 2
    assert result.loc["park"].geometry.iloc[0].equals(pois.loc["park", "geometry"])
    assert (
        result.loc["chc", "facility_name_zh"]
        == load_standards().facility_type("community_health_center").name_zh
    )
    assert result.loc["chc", "facility_name_zh"].startswith("社区卫生服务中心")
    assert result.loc["chc", "facility_name_en"] == "Community health service centre"
    assert result.loc["noodles", "osm_id"] == 2


def test_a_poi_with_two_unrelated_keywords_gets_both_types():
    pois = gpd.GeoDataFrame(
        {"name": ["人民公园应急避难场所"], "leisure": ["park"]}, geometry=[Point(0, 0)], crs=CRS
    )
    assert classify_facilities(pois)["facility_type"].tolist() == [
        "park_15min",
        "park_10min",
        "emergency_shelter",
    ]


def test_types_filter_keeps_the_full_classification():
    result = classify_facilities(_pois(), types=["specialty_dining", "药店"])
    # the canteen stays a canteen (left out), not a restaurant
    assert _found(result) == [
        ("noodles", "specialty_dining", "tag:amenity=restaurant"),
        ("pharmacy", "pharmacy", "tag:amenity=pharmacy"),
        ("drugstore", "pharmacy", "name:大药房"),
    ]
    with pytest.raises(InputError, match="close matches: pharmacy"):
        classify_facilities(_pois(), types=["pharmcy"])


def test_given_facility_type_column_is_validated():
    pois = gpd.GeoDataFrame(
        {"facility_type": ["pharmacy", "幼儿园", None], "name": ["a", "b", "c"]},
        geometry=[Point(0, 0), Point(1, 1), Point(2, 2)],
        crs=CRS,
    )
    result = classify_facilities(pois)
    assert _found(result) == [(0, "pharmacy", "given"), (1, "kindergarten", "given")]
    assert list(result.columns) == [
        "facility_type",
        "facility_name_zh",
        "facility_name_en",
        "match_rule",
        "confidence",
        "name",
        "geometry",
    ]
    assert set(result["confidence"]) == {"high"}  # what the user gives
    pois.loc[2, "facility_type"] = "kindergarden"
    with pytest.raises(InputError, match=r"kindergarden.*close matches: kindergarten"):
        classify_facilities(pois)


def test_custom_standards_classify_new_types():
    std = load_standards().with_overrides(
        {
            "facility": {
                "village_committee": {
                    "name_zh": "村民委员会",
                    "level": "village",
                    "name_keywords_zh": ["村委会"],
                }
            }
        }
    )
    pois = gpd.GeoDataFrame({"name": ["前进村村委会"]}, geometry=[Point(0, 0)], crs=CRS)
    assert classify_facilities(pois, standards=std)["facility_type"].tolist() == [
        "village_committee"
    ]
    assert classify_facilities(pois).empty


def test_empty_and_bad_inputs():
    empty = classify_facilities(_pois().iloc[:0])
    assert empty.empty
    assert "facility_type" in empty.columns
    with pytest.raises(InputError, match="must be a GeoDataFrame"):
        classify_facilities(pd.DataFrame({"name": ["x"]}))


# ---------------------------------------------------------------- report
def test_report_counts_by_rule_and_lists_zeros():
    report = classification_report(classify_facilities(_pois()))
    assert len(report) == len(load_standards().all_types)
    assert report.loc[
        "pharmacy", ["n_facilities", "by_name", "by_tag", "by_tag_and_name"]
    ].tolist() == [
        2,
        1,
        1,
        0,
    ]
    assert report.loc["kindergarten", "rules"] == (
        "tag+name:amenity=kindergarten+幼儿园 (1); name:kindergarten (1)"
    )
    assert report.loc["park_10min", "by_tag_and_name"] == 1
    assert report.loc["nursing_home", "n_facilities"] == 0
    assert report.loc["nursing_home", "rules"] == ""
    assert report["n_facilities"].sum() == len(_expected())


def test_report_of_given_types_and_selected_types():
    pois = gpd.GeoDataFrame({"facility_type": ["pharmacy"]}, geometry=[Point(0, 0)], crs=CRS)
    report = classification_report(classify_facilities(pois), types=["pharmacy", "kindergarten"])
    assert report[["n_facilities", "given"]].to_numpy().tolist() == [[1, 1], [0, 0]]


def test_report_refuses_other_frames():
    with pytest.raises(InputError, match="lacks the column"):
        classification_report(pd.DataFrame({"name": ["x"]}))
    foreign = pd.DataFrame({"facility_type": ["spaceport"], "match_rule": ["given"]})
    with pytest.raises(InputError, match="spaceport"):
        classification_report(foreign)


def test_confidence_of_each_rule():
    found = classify_facilities(_pois())
    keys = zip(found.index, found["facility_type"], strict=True)
    confidence = dict(zip(keys, found["confidence"], strict=True))
    # a name keyword and a tag agree: high; one signal alone: medium
    assert confidence["chc", "community_health_center"] == "high"
    assert confidence["canteen", "community_canteen"] == "high"
    assert confidence["park", "park_10min"] == "high"
    assert confidence["noodles", "specialty_dining"] == "medium"  # tag alone
    assert confidence["pharmacy", "pharmacy"] == "medium"  # tag alone
    assert confidence["drugstore", "pharmacy"] == "medium"  # name alone
    assert confidence["english", "kindergarten"] == "medium"
    assert set(found["confidence"]) <= {"high", "medium", "low"}


# ---------------------------------------------------------------- provider categories
# name, provider category, expected [(type, rule, confidence)]
CATEGORISED = {
    # a category rules out what the name suggests
    "stop": ("实验小学站", "交通设施;公交车站", [("bus_stop", "category:公交车站", "medium")]),
    "mall_shop": ("优衣库(购物公园店)", "购物;商铺", []),
    "hotel": ("新华影院大酒店", "酒店;星级酒店", []),
    "metro": ("胜利公园站", "交通设施;地铁站", []),
    # a strong category decides, agreeing with the name: high
    "pharmacy": ("益丰大药房", "医疗;药店", [("pharmacy", "name+category:大药房+药店", "high")]),
    # ... and another type its name gives, which the category allows
    "store": (
        "好邻居便利店(菜鸟驿站)",
        "购物;便利店",
        [
            ("convenience_store", "name+category:便利店+便利店", "high"),
            ("post_express_point", "name:驿站", "medium"),
        ],
    ),
    # a category that gives no type leaves the name to decide
    "station": (
        "桂林社区卫生服务站",
        "医疗;诊所",
        [("community_health_station", "name:社区卫生服务站", "medium")],
    ),
    "clinic": ("李氏中医诊所", "医疗;诊所", []),
    # a weak category gives its type only when the name gives none
    "market": ("鲜丰生鲜超市", "购物;超市", [("fresh_market", "name:生鲜超市", "medium")]),
    "shop": ("老王超市", "购物;超市", [("convenience_store", "category:超市", "low")]),
    # name_excludes rule a category's type out too
    "high_school": ("第二高级中学", "教育培训;中学", []),
    # the park category confirms the park levels the name gives
    "park": (
        "南湖公园",
        "旅游景点;公园",
        [
            ("park_15min", "name+category:公园+公园", "high"),
            ("park_10min", "name+category:公园+公园", "high"),
        ],
    ),
    "unknown": ("张三工作室", "某某分类", []),
    "blank": ("无名", None, []),
}


def _categorised() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "name": [v[0] for v in CATEGORISED.values()],
            "类型": [v[1] for v in CATEGORISED.values()],
        },
        geometry=[Point(i, 0) for i in range(len(CATEGORISED))],
        crs=CRS,
        index=list(CATEGORISED),
    )


def test_classification_with_provider_categories():
    found = classify_facilities(_categorised(), category_column="类型")
    got = list(
        zip(
            found.index,
            found["facility_type"],
            found["match_rule"],
            found["confidence"],
            strict=True,
        )
    )
    assert got == [(k, *m) for k, (_, _, ms) in CATEGORISED.items() for m in ms]
    # without the category column, the names decide alone
    plain = classify_facilities(_categorised())
    assert plain.loc["stop", "facility_type"] == "primary_school"
    assert plain.loc["hotel", "facility_type"] == "culture_leisure"
    # the POIs left out, counted by category, most first
    assert found.attrs["unclassified_by_category"] == {
        "(none)": 1,
        "交通设施;地铁站": 1,
        "医疗;诊所": 1,
        "教育培训;中学": 1,
        "某某分类": 1,
        "购物;商铺": 1,
        "酒店;星级酒店": 1,
    }


def test_best_types_keep_one_type_per_poi_and_say_what_was_ruled_out():
    best = best_types(_categorised(), category_column="类型")
    assert list(best.index) == list(CATEGORISED)
    assert best.loc["store", ["facility_type", "confidence"]].tolist() == [
        "convenience_store",
        "high",
    ]
    assert best.loc["park", "facility_type"] == "park_15min"  # the standards' order
    assert best.loc["hotel"].tolist() == [
        None,
        None,
        None,
        None,
        None,
        "culture_leisure (name:影院) ruled out by category:星级酒店",
    ]
    assert (
        best.loc["stop", "ruled_out"] == "primary_school (name:小学) ruled out by category:公交车站"
    )
    assert best.loc["mall_shop", "ruled_out"] == (
        "park_15min (name:公园), park_10min (name:公园) ruled out by category:商铺"
    )
    assert best.loc["pharmacy", "ruled_out"] is None
    assert best.loc["shop", "facility_name_en"] == "Convenience store"
    # the longest keyword, then the standards' order
    shelter = pd.DataFrame({"name": ["人民公园应急避难场所"]})
    assert best_types(shelter)["facility_type"].tolist() == ["emergency_shelter"]


def test_an_amap_typecode_column():
    pois = pd.DataFrame({"name": ["阳光宝贝", "实验小学站"], "typecode": ["141204", "150702"]})
    best = best_types(pois, typecode_column="typecode")
    assert best["match_rule"].tolist() == ["category:141204 幼儿园", "category:150702 普通公交站"]


def test_missing_category_columns_are_named():
    with pytest.raises(InputError, match=r"no column 'type'.*'name'.*category_column="):
        classify_facilities(_categorised(), category_column="type")


def test_report_counts_categories_confidence_and_the_unclassified():
    found = classify_facilities(_categorised(), category_column="类型")
    report = classification_report(found)
    assert report.loc["pharmacy", ["by_name_and_category", "high"]].tolist() == [1, 1]
    assert report.loc["convenience_store", ["n_facilities", "by_category", "low"]].tolist() == [
        2,
        1,
        1,
    ]
    assert report.loc["bus_stop", ["by_category", "medium"]].tolist() == [1, 1]
    assert report.attrs["unclassified_by_category"] == found.attrs["unclassified_by_category"]
    # one row per POI, its type or None, as read_poi_table gives: the blank rows are counted
    best = best_types(_categorised(), category_column="类型")
    table = pd.concat([best, _categorised()[["类型"]].rename(columns={"类型": "category"})], axis=1)
    again = classification_report(table)
    assert again["n_facilities"].sum() == best["facility_type"].notna().sum() == 7
    assert again.attrs["unclassified_by_category"]["酒店;星级酒店"] == 1


# ---------------------------------------------------------------- facility points
@pytest.fixture
def net() -> Network:
    # an L: (0,0)-(100,0) and (100,0)-(100,100)
    return Network.from_edges([(0, 0, 100, 0), (100, 0, 100, 100)], crs=CRS)


@pytest.fixture
def sites() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": ["diamond", "square", "kiosk", "east diamond", "path"]},
        geometry=[
            # nearest vertex (50, 10) is 10 m above the bottom edge (and 30 m from the other)
            Polygon([(50, 10), (70, 30), (50, 50), (30, 30)]),
            box(20, -60, 60, -20),  # 40 x 40, below the bottom edge; top side 20 m from it
            Point(5, 5),
            # nearest vertex (115, 60) is 15 m right of the vertical edge
            Polygon([(130, 45), (145, 60), (130, 75), (115, 60)]),
            LineString([(-30, 40), (-10, 40), (-10, 70)]),  # nearest point (-10, 40)
        ],
        crs=CRS,
        index=[10, 11, 12, 13, 14],
    )


def test_polygons_become_their_point_nearest_to_the_network(net, sites):
    points = facility_points(sites, net)
    assert list(points.index) == [10, 11, 12, 13, 14]
    xy = [(g.x, g.y) for g in points.geometry]
    assert xy[0] == (50, 10)
    # every point of the square's top side (y = -20, x 20..60) is 20 m from the bottom edge
    assert xy[1][1] == -20
    assert 20 <= xy[1][0] <= 60
    assert xy[2:] == [(5, 5), (115, 60), (-10, 40)]
    assert points["point_rule"].tolist() == [
        "nearest to network",
        "nearest to network",
        "point",
        "nearest to network",
        "nearest to network",
    ]
    area = points["area_m2"].tolist()
    assert area[:2] == [800.0, 1600.0]  # diagonals 40 x 40 / 2; 40 x 40
    assert area[3] == 450.0  # diagonals 30 x 30 / 2
    assert math.isnan(area[2])
    assert math.isnan(area[4])
    assert points.crs == sites.crs
    assert points["name"].tolist() == sites["name"].tolist()


def test_polygons_become_their_entrances(net, sites):
    entrances = gpd.GeoSeries(
        [Point(40, -18), Point(100, -100), Point(20, -40), Point(50, 9)], crs=CRS
    )
    points = facility_points(sites, net, entrances=entrances)
    assert list(points.index) == [10, 11, 11, 12, 13, 14]
    assert [(g.x, g.y) for g in points.geometry] == [
        (50, 9),  # 1 m outside the diamond's bottom vertex
        (40, -18),  # 2 m outside the square's top side
        (20, -40),  # on its left side
        (5, 5),
        (115, 60),
        (-10, 40),
    ]
    assert points["point_rule"].tolist() == [
        "entrance",
        "entrance",
        "entrance",
        "point",
        "nearest to network",
        "nearest to network",
    ]
    assert points.loc[11, "area_m2"].tolist() == [1600.0, 1600.0]


def test_entrance_distance_limit(net, sites):
    entrances = gpd.GeoSeries([Point(30, -5)], crs=CRS)  # 15 m above the square's top side
    near = facility_points(sites, net, entrances=entrances)
    assert near.loc[11, "point_rule"] == "entrance"
    far = facility_points(sites, net, entrances=entrances, max_entrance_distance_m=10)
    assert far.loc[11, "point_rule"] == "nearest to network"
    with pytest.raises(InputError, match="max_entrance_distance_m"):
        facility_points(sites, net, max_entrance_distance_m=-1)


def test_facility_points_checks_crs_and_geometries(net, sites):
    with pytest.raises(CRSError, match=r"to_crs\('EPSG:32651'\)"):
        facility_points(sites.to_crs(4326), net)
    with pytest.raises(CRSError, match="no CRS"):
        facility_points(sites.set_crs(None, allow_override=True), net)
    with pytest.raises(CRSError, match="entrances"):
        facility_points(sites, net, entrances=gpd.GeoSeries([Point(0, 0)], crs=4326))
    with pytest.raises(InputError, match="must be points"):
        facility_points(sites, net, entrances=gpd.GeoSeries([box(0, 0, 1, 1)], crs=CRS))
    broken = sites.copy()
    broken.loc[12, "geometry"] = None
    with pytest.raises(InputError, match=r"missing or empty.*\[12\]"):
        facility_points(broken, net)


def test_facility_points_of_classified_facilities(net):
    pois = _pois()
    pois.loc["park", "geometry"] = box(10, 5, 90, 60)
    classified = classify_facilities(pois)
    points = facility_points(classified.loc[["park"]], net)
    assert points["facility_type"].tolist() == ["park_15min", "park_10min"]
    assert points["area_m2"].tolist() == [4400.0, 4400.0]
    assert np.allclose([g.y for g in points.geometry], 5.0)


def test_estates_named_after_parks_are_not_parks():
    pois = gpd.GeoDataFrame(
        {"name": ["万科公园小区", "人民公园"]}, geometry=[Point(0, 0), Point(1, 1)], crs=CRS
    )
    assert _found(classify_facilities(pois)) == [
        (1, "park_15min", "name:公园"),
        (1, "park_10min", "name:公园"),
    ]
