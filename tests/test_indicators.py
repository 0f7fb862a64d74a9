"""The plan's indicators: the package table against the plan, and every figure by hand."""

from __future__ import annotations

import math
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import geoplan
from geoplan._errors import ConfigError, CRSError, InputError
from geoplan.datasets import SYNTHETIC_DISTRICTS, synthetic_city, synthetic_register
from geoplan.indicators import (
    _FORMULAS,
    COMPREHENSIVE_FACILITY_TYPES,
    REGISTER_COLUMNS,
    IndicatorResult,
    evaluate_indicators,
)
from geoplan.standards import _parse_plan, plan_facts, plan_indicators
from geoplan.standards._model import parse_sources

PLAN = Path(__file__).resolve().parents[2] / "shared" / "reference" / "plan.md"
TYPES = {"预期性": "expected", "约束性": "binding"}

# The plan's indicator table, as plan.md gives it:
# (number, id, name_zh, 2020 cell, 2025 cell, 2020 number, 2025 number, type)
EXPECTED = [
    (
        1,
        "rural_facility_coverage",
        "农村社区综合服务设施覆盖率",
        "100%",
        "100%",
        1.0,
        1.0,
        "expected",
    ),
    (
        2,
        "urban_facility_coverage",
        "城市社区综合服务设施覆盖率",
        "100%",
        "100%",
        1.0,
        1.0,
        "expected",
    ),
    (
        3,
        "commercial_service_floor_share",
        "社区商业和综合服务设施面积占社区总建筑面积的比例",
        "\u2014",
        "≥10%",
        math.nan,
        0.10,
        "expected",
    ),
    (
        4,
        "service_area_per_100_households",
        "每百户居民拥有社区综合服务设施面积",
        "30 m²",
        "≥30 m²",
        30.0,
        30.0,
        "expected",
    ),
    (
        5,
        "activity_area_share",
        "居民活动区域面积占社区综合服务设施总建筑面积比例",
        "\u2014",
        "≥60%",
        math.nan,
        0.60,
        "expected",
    ),
    (
        6,
        "urban_self_service_coverage",
        "城市社区政务通用自助服务覆盖率",
        "\u2014",
        "100%",
        math.nan,
        1.0,
        "expected",
    ),
    (
        7,
        "workers_per_10000_urban_residents",
        "城镇每万常住人口拥有社区工作者人数",
        "14.6",
        "18",
        14.6,
        18.0,
        "expected",
    ),
    (
        8,
        "certified_workers_per_urban_community",
        "平均每个城市社区获得\u201c社工证书\u201d的工作人员数",
        "2.7",
        "≥3",
        2.7,
        3.0,
        "binding",
    ),
]


@pytest.fixture(scope="module")
def spec() -> pd.DataFrame:
    return plan_indicators()


def _same_number(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-12)


def _cell_number(cell: str) -> float:
    """A plan cell as a number: '100%' -> 1.0, '≥30 m²' -> 30, '—' -> NaN."""
    text = cell.replace("≥", "").strip()
    if text == "\u2014":
        return math.nan
    if text.endswith("%"):
        return float(text[:-1]) / 100
    return float(text.removesuffix("m²").strip())


# ---------------------------------------------------------------- the table against the plan
def test_toml_matches_the_hard_coded_plan_table(spec):
    assert list(spec.index) == [row[1] for row in EXPECTED]
    for number, ind, name_zh, cell_2020, cell_2025, v2020, v2025, kind in EXPECTED:
        row = spec.loc[ind]
        assert row["number"] == number
        assert row["name_zh"] == name_zh
        assert (row["plan_baseline_2020"], row["plan_target_2025"]) == (cell_2020, cell_2025)
        assert _same_number(row["baseline_2020"], v2020), ind
        assert _same_number(row["target_2025"], v2025), ind
        assert _same_number(_cell_number(cell_2020), v2020)
        assert _same_number(_cell_number(cell_2025), v2025)
        assert row["type"] == kind
        assert row["comparison"] == ">="
        assert (row["source"], row["verification"]) == ("jilin_14th_plan", "verified_secondary")
    assert spec.loc[EXPECTED[7][1], "type_zh"] == "约束性"
    assert (spec["type"] == "binding").sum() == 1


def _plan_md_rows() -> list[list[str]]:
    """The rows of plan.md's 'The main indicators' table, cells stripped."""
    lines = PLAN.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("## The main indicators"))
    rows = []
    for line in lines[start + 1 :]:
        if line.startswith("## "):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0].isdigit():
            rows.append(cells)
    return rows


def test_toml_matches_plan_md_when_present(spec):
    if not PLAN.exists():
        pytest.skip("../shared/reference/plan.md is absent")
    rows = _plan_md_rows()
    assert len(rows) == 8
    for cells in rows:
        number, indicator, cell_2020, cell_2025, kind = cells
        row = spec[spec["number"] == int(number)].iloc[0]
        assert row["name_zh"] == indicator.split(" (")[0]
        assert row["plan_baseline_2020"] == cell_2020
        assert row["plan_target_2025"] == cell_2025
        assert _same_number(row["baseline_2020"], _cell_number(cell_2020))
        assert _same_number(row["target_2025"], _cell_number(cell_2025))
        assert row["type"] == TYPES[kind.split()[0]]
        if "≥" in cell_2025:
            assert row["comparison"] == ">="


def test_every_number_of_indicators_toml_has_a_source():
    folder = resources.files("geoplan.standards")
    sources = {
        s["id"]: s["verification"]
        for s in tomllib.loads(folder.joinpath("sources.toml").read_text("utf-8"))["source"]
    }
    assert sources["jilin_14th_plan"] == "verified_secondary"
    data = tomllib.loads(folder.joinpath("indicators.toml").read_text("utf-8"))
    values: list[dict[str, Any]] = []

    def walk(node: object, path: str) -> None:
        if isinstance(node, dict):
            if "value" in node:
                values.append(node)
                return
            for key, child in node.items():
                if key != "number":  # the row number is an ordinal, not a figure
                    walk(child, f"{path}.{key}")
        elif isinstance(node, list):
            for i, child in enumerate(node):
                walk(child, f"{path}[{i}]")
        else:
            assert not isinstance(node, int | float) or isinstance(node, bool), path

    walk(data, "indicators.toml")
    assert len(values) == 8 + 5 + 4  # targets, baselines given, facts
    for value in values:
        assert value["source"] in sources
        assert value["verification"] == sources[value["source"]]


def test_needs_are_register_columns_and_every_indicator_has_a_formula(spec):
    for needs in spec["needs"]:
        assert set(needs) <= set(REGISTER_COLUMNS)
    assert set(_FORMULAS) == set(spec.index)
    assert spec.loc["workers_per_10000_urban_residents", "levels"] == ("district", "study")
    assert spec.loc["workers_per_10000_urban_residents", "scope"] == "urban_towns"


def test_plan_facts():
    facts = plan_facts()
    assert {k: v.value for k, v in facts.items()} == {
        "urban_facility_typical_min_area_m2": 500,
        "urban_facility_mean_area_m2": 828,
        "rural_facility_typical_min_area_m2": 200,
        "rural_facility_mean_area_m2": 283,
    }
    assert {v.source for v in facts.values()} == {"jilin_14th_plan"}


def _raw_plan() -> tuple[dict[str, Any], dict[str, Any]]:
    folder = resources.files("geoplan.standards")
    raw = tomllib.loads(folder.joinpath("indicators.toml").read_text("utf-8"))
    sources = tomllib.loads(folder.joinpath("sources.toml").read_text("utf-8"))["source"]
    return raw, parse_sources(sources)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r["indicator"][0].update(colour="red"), "unknown key 'colour'"),
        (lambda r: r["indicator"][0]["target_2025"].update(source="nowhere"), "unknown source"),
        (lambda r: r["indicator"][0]["target_2025"].update(unit="m2"), "indicator's unit"),
        (lambda r: r["indicator"][1].update(number=1), "duplicate indicator number"),
        (lambda r: r["indicator"][0].update(comparison=">"), "'comparison' must be one of"),
        (lambda r: r["indicator"][0].update(levels=["city"]), "'levels' must be"),
    ],
)
def test_malformed_indicator_data_is_refused(change, message):
    raw, sources = _raw_plan()
    _parse_plan(raw, sources)  # the package data itself is fine
    change(raw)
    with pytest.raises(ConfigError, match=message):
        _parse_plan(raw, sources)


# ---------------------------------------------------------------- a register by hand
@pytest.fixture
def register() -> pd.DataFrame:
    """Five communities in two districts; 戊 lacks households, service area and terminal."""
    return pd.DataFrame(
        {
            "community_name": ["甲", "乙", "丙", "丁", "戊"],
            "community_code": ["a", "b", "c", "d", "e"],
            "district": ["A区", "A区", "B区", "B区", "B区"],
            "subdistrict": ["A1", "A1", "B1", "B1", "B2"],
            "urban_rural": ["urban", "urban", "urban", "rural", "rural"],
            "households": [1000, 3000, 2000, 500, np.nan],
            "population": [2600, 7800, 5200, 1300, 900],
            "total_floor_area_m2": [100_000, 300_000, 200_000, 50_000, 40_000],
            "service_floor_area_m2": [600, 300, 0, 250, np.nan],
            "commercial_floor_area_m2": [9_400, 20_000, 25_000, 1_000, 500],
            "activity_area_m2": [400, 150, 0, 100, 80],
            "self_service_terminal": [True, False, True, False, None],
            "workers": [5, 14, 10, 2, 1],
            "certified_workers": [3, 2, 4, 1, 0],
        },
        index=pd.Index([10, 11, 12, 13, 14], name="row"),
    )


def _figure(result: IndicatorResult, ind: str, level: str, area: object) -> pd.Series:
    table = result.table
    found = table[
        (table["indicator"] == ind) & (table["area_level"] == level) & (table["area_id"] == area)
    ]
    assert len(found) == 1, (ind, level, area)
    return found.iloc[0]


def _check(result, ind, level, area, value, meets, *, n=None, missing=None, gap=None):
    row = _figure(result, ind, level, area)
    if value is None:
        assert math.isnan(row["value"])
        assert row["meets"] is pd.NA
    else:
        assert row["value"] == pytest.approx(value, rel=1e-12)
        assert bool(row["meets"]) is meets
    if n is not None:
        assert row["n_communities"] == n
    if missing is not None:
        assert row["n_missing"] == missing
    if gap is not None:
        assert row["gap"] == pytest.approx(gap, rel=1e-12)


def test_every_indicator_by_hand(register):
    before = register.copy()
    result = evaluate_indicators(register)
    pd.testing.assert_frame_equal(register, before)  # the input is not mutated
    assert result.unsupported.empty

    # 1 rural coverage (register rule): 丁 has 250 m2 -> 1; 戊's area is NaN -> left out
    ind = "rural_facility_coverage"
    _check(result, ind, "community", 13, 1.0, True, n=1, missing=0)
    _check(result, ind, "community", 14, None, None, n=0, missing=1)
    _check(result, ind, "district", "B区", 1.0, True, n=1, missing=1)  # 1 / 1
    _check(result, ind, "study", "study", 1.0, True, n=1, missing=1)
    assert not ((result.table["indicator"] == ind) & (result.table["area_id"] == "A区")).any()

    # 2 urban coverage: 甲 600 > 0, 乙 300 > 0, 丙 0 -> 1, 1, 0
    ind = "urban_facility_coverage"
    _check(result, ind, "community", 12, 0.0, False, gap=1.0)
    _check(result, ind, "district", "A区", 1.0, True, n=2, gap=0.0)  # 2 / 2
    _check(result, ind, "district", "B区", 0.0, False, n=1, gap=1.0)  # 0 / 1
    _check(result, ind, "study", "study", 2 / 3, False, n=3, gap=1 / 3)

    # 3 (commercial + service) / total
    ind = "commercial_service_floor_share"
    _check(result, ind, "community", 10, 0.10, True, gap=0.0)  # (9400 + 600) / 100000
    _check(result, ind, "community", 11, 20_300 / 300_000, False, gap=0.1 - 20_300 / 300_000)
    _check(result, ind, "community", 12, 0.125, True)  # 25000 / 200000
    _check(result, ind, "community", 13, 0.025, False)  # 1250 / 50000
    _check(result, ind, "community", 14, None, None, missing=1)  # service area NaN
    _check(result, ind, "district", "A区", 0.07575, False, n=2)  # 30300 / 400000
    _check(result, ind, "district", "B区", 0.105, True, n=2, missing=1)  # 26250 / 250000
    _check(result, ind, "study", "study", 0.087, False, n=4, missing=1)  # 56550 / 650000

    # 4 100 x service area / households
    ind = "service_area_per_100_households"
    _check(result, ind, "community", 10, 60.0, True)  # 100 * 600 / 1000
    _check(result, ind, "community", 11, 10.0, False, gap=20.0)  # 100 * 300 / 3000
    _check(result, ind, "community", 12, 0.0, False, gap=30.0)
    _check(result, ind, "community", 13, 50.0, True)  # 100 * 250 / 500
    _check(result, ind, "district", "A区", 22.5, False, gap=7.5)  # 100 * 900 / 4000
    _check(result, ind, "district", "B区", 10.0, False, n=2, missing=1)  # 100 * 250 / 2500
    _check(result, ind, "study", "study", 100 * 1150 / 6500, False, n=4, missing=1)

    # 5 activity / service area; 丙 has no facility (0 / 0): no value, but it is not missing
    ind = "activity_area_share"
    _check(result, ind, "community", 10, 400 / 600, True)
    _check(result, ind, "community", 11, 0.5, False, gap=0.1)
    _check(result, ind, "community", 12, None, None, n=1, missing=0)
    _check(result, ind, "community", 13, 0.4, False)
    _check(result, ind, "district", "A区", 550 / 900, True)  # (400 + 150) / (600 + 300)
    _check(result, ind, "district", "B区", 0.4, False, n=2, missing=1)  # (0 + 100) / (0 + 250)
    _check(result, ind, "study", "study", 650 / 1150, False, n=4, missing=1)

    # 6 urban self-service terminals: 甲 yes, 乙 no, 丙 yes (戊's None is rural: not counted)
    ind = "urban_self_service_coverage"
    _check(result, ind, "district", "A区", 0.5, False, gap=0.5)
    _check(result, ind, "district", "B区", 1.0, True, missing=0)
    _check(result, ind, "study", "study", 2 / 3, False, n=3, missing=0)

    # 7 workers per 10,000 urban residents: districts and the study only
    ind = "workers_per_10000_urban_residents"
    _check(result, ind, "district", "A区", 1e4 * 19 / 10_400, True)  # (5 + 14) / (2600 + 7800)
    _check(result, ind, "district", "B区", 1e4 * 10 / 5_200, True)
    _check(result, ind, "study", "study", 1e4 * 29 / 15_600, True, n=3)
    assert set(result.table.loc[result.table["indicator"] == ind, "area_level"]) == {
        "district",
        "study",
    }
    assert ind not in result.by_community.columns

    # 8 certified workers per urban community (binding): 甲 3, 乙 2, 丙 4
    ind = "certified_workers_per_urban_community"
    _check(result, ind, "community", 11, 2.0, False, gap=1.0)  # for information
    _check(result, ind, "district", "A区", 2.5, False, gap=0.5)  # (3 + 2) / 2
    _check(result, ind, "district", "B区", 4.0, True)
    _check(result, ind, "study", "study", 3.0, True, n=3)  # 9 / 3 meets >= 3 exactly
    assert set(result.table.loc[result.table["indicator"] == ind, "type"]) == {"binding"}


def test_table_columns_and_names(register):
    result = evaluate_indicators(register)
    assert list(result.table.columns) == [
        "number",
        "indicator",
        "name_zh",
        "name_en",
        "area_level",
        "area_id",
        "area_name",
        "district",
        "value",
        "target",
        "comparison",
        "meets",
        "gap",
        "unit",
        "type",
        "n_communities",
        "n_missing",
        "method",
    ]
    assert str(result.table["meets"].dtype) == "boolean"
    row = _figure(result, "urban_facility_coverage", "community", 10)
    assert (row["area_name"], row["district"], row["name_zh"]) == ("甲", "A区", EXPECTED[1][2])
    assert row["method"] == "register: service_floor_area_m2 > 0"
    assert sorted(result.table["number"].unique()) == list(range(1, 9))


def test_district_figures_are_sums_over_sums_not_means_of_ratios(register):
    result = evaluate_indicators(register)
    by_community, by_district = result.by_community, result.by_district
    a = by_community["district"] == "A区"
    # A区: 100 x 600 / 1000 = 60 and 100 x 300 / 3000 = 10; their mean (35) would meet the
    # target of 30, but the district has 100 x 900 / 4000 = 22.5 m2 per 100 households
    ind = "service_area_per_100_households"
    assert by_community.loc[a, ind].mean() == pytest.approx(35.0)
    assert by_district.loc["A区", ind] == pytest.approx(22.5)
    assert not by_district.loc["A区", f"meets_{ind}"]
    # and the other way: activity shares 0.667 and 0.5 average 0.583 (short of 0.6), while
    # the district's 550 / 900 = 0.611 meets it
    ind = "activity_area_share"
    assert by_community.loc[a, ind].mean() == pytest.approx((400 / 600 + 0.5) / 2)
    assert by_district.loc["A区", ind] == pytest.approx(550 / 900)
    assert by_district.loc["A区", f"meets_{ind}"]


def test_wide_tables_keep_the_index(register):
    result = evaluate_indicators(register)
    by_community = result.by_community
    pd.testing.assert_index_equal(by_community.index, register.index)
    assert list(by_community.columns[:4]) == [
        "community_name",
        "community_code",
        "district",
        "urban_rural",
    ]
    assert math.isnan(by_community.loc[13, "urban_facility_coverage"])  # rural: out of scope
    assert by_community.loc[12, "meets_urban_facility_coverage"] is np.False_
    assert by_community["meets_urban_facility_coverage"].isna().tolist() == [
        False,
        False,
        False,
        True,
        True,
    ]
    assert list(result.by_district.index) == ["A区", "B区"]
    assert result.by_district.index.name == "district"
    assert result.by_district["n_communities"].tolist() == [2, 3]
    assert "workers_per_10000_urban_residents" in result.by_district.columns


# ---------------------------------------------------------------- missing data
def test_missing_columns_make_indicators_unsupported_with_reasons(register):
    small = register[["district", "urban_rural", "households", "service_floor_area_m2"]]
    result = evaluate_indicators(small)
    reasons = dict(zip(result.unsupported["indicator"], result.unsupported["reason"], strict=True))
    assert reasons == {
        "commercial_service_floor_share": "register has no commercial_floor_area_m2, "
        "total_floor_area_m2 columns",
        "activity_area_share": "register has no activity_area_m2 column",
        "urban_self_service_coverage": "register has no self_service_terminal column",
        "workers_per_10000_urban_residents": "register has no workers, population columns",
        "certified_workers_per_urban_community": "register has no certified_workers column",
    }
    assert set(result.table["indicator"]) == {
        "rural_facility_coverage",
        "urban_facility_coverage",
        "service_area_per_100_households",
    }
    assert "activity_area_share" not in result.by_community.columns
    assert result.unsupported["number"].tolist() == [3, 5, 6, 7, 8]


def test_empty_columns_no_kind_and_no_district(register):
    frame = register.drop(columns="district").assign(urban_rural="urban", certified_workers=np.nan)
    result = evaluate_indicators(frame)
    reasons = dict(zip(result.unsupported["indicator"], result.unsupported["reason"], strict=True))
    assert reasons["rural_facility_coverage"] == "no rural communities in the register"
    assert reasons["certified_workers_per_urban_community"] == (
        "register's certified_workers column is empty (all NaN)"
    )
    assert reasons["district_level"].startswith("register has no district column")
    assert result.by_district.empty
    assert set(result.table["area_level"]) == {"community", "study"}
    # without urban_rural the urban and rural indicators cannot be measured at all
    result = evaluate_indicators(register.drop(columns="urban_rural"))
    reasons = dict(zip(result.unsupported["indicator"], result.unsupported["reason"], strict=True))
    assert reasons["urban_facility_coverage"] == "register has no urban_rural column"
    assert "service_area_per_100_households" not in reasons


def test_nan_inputs_leave_the_community_out_and_are_counted(register):
    frame = register.copy()
    frame.loc[10, "households"] = np.nan  # 甲 out of indicator 4
    frame.loc[12, "urban_rural"] = None  # 丙: unknown kind, missing for urban/rural ones
    result = evaluate_indicators(frame)
    # 4: A区 is now 乙 alone: 100 x 300 / 3000 = 10; study 100 x (300 + 0 + 250) / 5500
    ind = "service_area_per_100_households"
    _check(result, ind, "district", "A区", 10.0, False, n=1, missing=1)
    _check(result, ind, "study", "study", 100 * 550 / 5500, False, n=3, missing=2)
    _check(result, ind, "community", 10, None, None, n=0, missing=1)
    # 2: 丙 of unknown kind is missing; B区 keeps a row with no value
    ind = "urban_facility_coverage"
    _check(result, ind, "district", "B区", None, None, n=0, missing=1)
    _check(result, ind, "study", "study", 1.0, True, n=2, missing=1)
    # 1: 丙 is missing for the rural indicator too (it might be rural)
    _check(result, "rural_facility_coverage", "district", "B区", 1.0, True, n=1, missing=2)
    # 7: A区 unaffected; B区 has no urban community with data
    ind = "workers_per_10000_urban_residents"
    _check(result, ind, "district", "B区", None, None, n=0, missing=1)
    assert math.isnan(result.by_community.loc[12, "urban_facility_coverage"])


def test_nullable_dtypes_are_read(register):
    frame = register.astype(
        {
            "households": "Float64",
            "urban_rural": "string",
            "self_service_terminal": "boolean",
            "certified_workers": "Int64",
        }
    )
    frame.loc[13, "certified_workers"] = pd.NA
    expected = evaluate_indicators(register).table.drop(columns="n_missing")
    pd.testing.assert_frame_equal(
        evaluate_indicators(frame).table.drop(columns="n_missing"), expected
    )


def test_a_target_met_exactly_is_not_failed_by_rounding():
    # (0.1 + 0.5) / 6.0 is 0.09999999999999999 in floating point
    frame = pd.DataFrame(
        {
            "commercial_floor_area_m2": [0.1, 0.1],
            "service_floor_area_m2": [0.5, 0.4],
            "total_floor_area_m2": [6.0, 6.0],
        }
    )
    result = evaluate_indicators(frame, indicators=[3])
    assert (0.1 + 0.5) / 6.0 < 0.1
    _check(result, "commercial_service_floor_share", "community", 0, 0.1, True, gap=0.0)
    _check(result, "commercial_service_floor_share", "community", 1, 0.5 / 6, False)


# ---------------------------------------------------------------- indicators 1/2 from points
CRS = "EPSG:32651"


def _squares() -> gpd.GeoDataFrame:
    """Four 100 m squares in a row: a | b | c | d (x from 0 to 400)."""
    return gpd.GeoDataFrame(
        {"community_code": ["a", "b", "c", "d"]},
        geometry=[shapely.box(100 * i, 0, 100 * (i + 1), 100) for i in range(4)],
        crs=CRS,
    )


def _points() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "facility_type": [
                "community_service_station",  # inside a
                "pharmacy",  # inside b: not a comprehensive service facility
                "embedded_service_complex",  # on the c | d boundary: counts for both
                "community_service_station",  # outside every square
            ]
        },
        geometry=shapely.points([(50, 50), (150, 50), (300, 50), (900, 900)]),
        crs=CRS,
    )


@pytest.fixture
def spatial_register() -> pd.DataFrame:
    # the register's areas say the opposite of the points: a 0 m2, b 500 m2
    return pd.DataFrame(
        {
            "community_code": ["a", "b", "c", "d"],
            "district": ["X区"] * 4,
            "urban_rural": ["urban", "urban", "rural", "rural"],
            "service_floor_area_m2": [0.0, 500.0, np.nan, 0.0],
        },
        index=[101, 102, 103, 104],
    )


def test_coverage_from_facility_points(spatial_register):
    communities, facilities = _squares(), _points()
    before = (communities.copy(), facilities.copy())
    result = evaluate_indicators(spatial_register, communities=communities, facilities=facilities)
    pd.testing.assert_frame_equal(communities, before[0])
    pd.testing.assert_frame_equal(facilities, before[1])
    # urban: a has a station (1), b only a pharmacy (0) -> 1/2
    _check(result, "urban_facility_coverage", "community", 101, 1.0, True)
    _check(result, "urban_facility_coverage", "community", 102, 0.0, False)
    _check(result, "urban_facility_coverage", "study", "study", 0.5, False, n=2, gap=0.5)
    # rural: the complex on the c | d boundary serves both -> 2/2 (c's NaN area is not used)
    _check(result, "rural_facility_coverage", "district", "X区", 1.0, True, n=2, missing=0)
    assert set(result.table.loc[result.table["number"] <= 2, "method"]) == {
        "spatial: a community_service_station, embedded_service_complex or "
        "subdistrict_service_center facility inside (or on the boundary of) the community polygon"
    }
    assert result.summary("en").loc["urban_facility_coverage", "note"].startswith("spatial")
    # the register rule on the same register: a 0, b 500 -> 1/2 the other way round
    plain = evaluate_indicators(spatial_register)
    _check(plain, "urban_facility_coverage", "community", 101, 0.0, False)
    _check(plain, "urban_facility_coverage", "community", 102, 1.0, True)
    _check(plain, "rural_facility_coverage", "study", "study", 0.0, False, n=1, missing=1)


def test_polygons_matched_by_index_and_missing_polygons(spatial_register):
    squares = _squares().drop(columns="community_code")
    squares.index = [101, 102, 103, 999]  # d has no polygon
    result = evaluate_indicators(
        spatial_register.drop(columns="community_code"),
        communities=squares,
        facilities=_points(),
    )
    _check(result, "rural_facility_coverage", "community", 103, 1.0, True)
    _check(result, "rural_facility_coverage", "community", 104, None, None, missing=1)
    _check(result, "rural_facility_coverage", "study", "study", 1.0, True, n=1, missing=1)
    # the category column of synthetic facilities is accepted as the type column
    points = _points().rename(columns={"facility_type": "category"})
    again = evaluate_indicators(
        spatial_register.drop(columns="community_code"), communities=squares, facilities=points
    )
    pd.testing.assert_frame_equal(again.table, result.table)


def test_spatial_inputs_are_checked(spatial_register):
    with pytest.raises(InputError, match=r"need both communities= .* and facilities="):
        evaluate_indicators(spatial_register, communities=_squares())
    with pytest.raises(CRSError, match=r"facilities.to_crs\(communities.crs\)"):
        evaluate_indicators(
            spatial_register, communities=_squares(), facilities=_points().to_crs(4326)
        )
    with pytest.raises(InputError, match="no community polygon matches"):
        evaluate_indicators(
            spatial_register,
            communities=_squares().assign(community_code=list("wxyz")),
            facilities=_points(),
        )
    with pytest.raises(InputError, match="duplicated"):
        evaluate_indicators(
            spatial_register,
            communities=_squares().assign(community_code=list("aabc")),
            facilities=_points(),
        )


def test_spatial_path_with_a_network_checks_its_crs():
    city = synthetic_city(1.0, seed=0)
    network = city.network()
    register = synthetic_register(city)
    station = gpd.GeoDataFrame(
        {"facility_type": ["subdistrict_service_center"]},
        geometry=[city.communities.geometry.iloc[0].centroid],
        crs=city.crs,
    )
    facilities = pd.concat([city.facilities, station], ignore_index=True)
    result = evaluate_indicators(
        register, communities=city.communities, facilities=facilities, network=network
    )
    # only the first community has a comprehensive service facility (the synthetic city's
    # own facilities are clinics, shops, schools...: none of the three types)
    by_community = result.by_community
    coverage = by_community["urban_facility_coverage"].where(
        register["urban_rural"] == "urban", by_community["rural_facility_coverage"]
    )
    assert coverage.tolist() == [1.0] + [0.0] * (len(register) - 1)
    with pytest.raises(CRSError, match=r"communities.to_crs\(network.crs\)"):
        evaluate_indicators(
            register,
            communities=city.communities.to_crs(4326),
            facilities=facilities,
            network=network,
        )


# ---------------------------------------------------------------- options and errors
def test_choosing_indicators(register):
    result = evaluate_indicators(register, indicators=["activity_area_share", 8])
    assert sorted(result.table["number"].unique()) == [5, 8]
    assert list(result.summary("en").index) == [
        "activity_area_share",
        "certified_workers_per_urban_community",
    ]
    with pytest.raises(InputError, match="unknown indicator 9; pass ids or numbers 1-8"):
        evaluate_indicators(register, indicators=[9])
    with pytest.raises(InputError, match="unknown indicator 'coverage'"):
        evaluate_indicators(register, indicators=["coverage"])


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda r: r.assign(households=-r["households"]), "negative or infinite"),
        (lambda r: r.assign(households=["1000", "多", 3, 4, 5]), "not numbers"),
        (lambda r: r.assign(urban_rural="城市"), "must be 'urban' or 'rural'"),
        (lambda r: r.assign(self_service_terminal="是"), "must be true/false"),
        (lambda r: r.set_axis([1, 1, 2, 3, 4]), "duplicated labels"),
        (lambda r: r.iloc[:0], "no rows"),
        (lambda r: r.to_dict(), "must be a pandas DataFrame"),
    ],
)
def test_impossible_registers_are_refused(register, change, error):
    with pytest.raises(InputError, match=error):
        evaluate_indicators(change(register))


# ---------------------------------------------------------------- summary
def test_summary_in_chinese_and_english(register):
    frame = register.drop(columns=["workers"])
    result = evaluate_indicators(frame)
    zh = result.summary("zh")
    assert list(zh.columns) == [
        "序号",
        "指标",
        "指标属性",
        "现状值",
        "2025年目标值",
        "规划目标",
        "比较",
        "是否达标",
        "差距",
        "单位",
        "参评社区数",
        "缺数据社区数",
        "说明",
    ]
    assert list(zh.index) == [row[1] for row in EXPECTED]
    assert zh["指标"].tolist() == [row[2] for row in EXPECTED]
    assert zh.loc["certified_workers_per_urban_community", "指标属性"] == "约束性"
    assert zh.loc["service_area_per_100_households", "单位"] == "平方米/百户"
    assert zh.loc["service_area_per_100_households", "现状值"] == pytest.approx(100 * 1150 / 6500)
    assert zh.loc["service_area_per_100_households", "规划目标"] == "≥30 m²"
    # the unsupported indicator is listed with its reason and no value
    row = zh.loc["workers_per_10000_urban_residents"]
    assert math.isnan(row["现状值"])
    assert row["是否达标"] is pd.NA
    assert row["说明"] == "register has no workers column"
    en = result.summary("en")
    assert en.loc["certified_workers_per_urban_community", "type"] == "binding"
    assert en.loc["urban_facility_coverage", "indicator"] == (
        "Urban communities with a comprehensive service facility"
    )
    assert en["meets target"].tolist()[:3] == [True, False, False]
    assert en.loc["workers_per_10000_urban_residents", "unit"] == "workers per 10,000 residents"
    with pytest.raises(ConfigError, match="lang must be 'zh' or 'en'"):
        result.summary("fr")


# ---------------------------------------------------------------- the synthetic register
def test_synthetic_register_is_seeded_and_canonical():
    city = synthetic_city(9.0, seed=0)
    first = synthetic_register(city, seed=3)
    pd.testing.assert_frame_equal(first, synthetic_register(city, seed=3))
    assert not first.equals(synthetic_register(city, seed=4))
    assert tuple(first.columns) == REGISTER_COLUMNS
    pd.testing.assert_index_equal(first.index, city.communities.index)
    assert first["community_code"].tolist() == city.communities["community_id"].tolist()
    assert (first["households"].to_numpy() == city.communities["households"].to_numpy()).all()
    assert set(first["district"]) <= set(SYNTHETIC_DISTRICTS)
    assert first["district"].nunique() >= 2
    assert set(first["urban_rural"]) == {"urban", "rural"}
    assert first["self_service_terminal"].dtype == bool
    assert not first.isna().any().any()
    with_facility = first[first["service_floor_area_m2"] > 0]
    urban = with_facility["urban_rural"] == "urban"
    assert (with_facility.loc[urban, "service_floor_area_m2"] >= 500).all()
    assert (with_facility.loc[~urban, "service_floor_area_m2"] >= 200).all()
    assert (first["activity_area_m2"] <= first["service_floor_area_m2"]).all()
    assert (first["certified_workers"] <= first["workers"]).all()
    # a table of communities works as well as the city (the demo's street blocks)
    assert synthetic_register(city.communities, seed=3).equals(synthetic_register(city, seed=3))
    with pytest.raises(InputError, match="SyntheticCity"):
        synthetic_register(city.communities.drop(columns="households"))
    with pytest.raises(InputError, match="seed must be a whole number"):
        synthetic_register(city, seed=1.5)  # type: ignore[arg-type]


def test_indicators_on_the_synthetic_register_pass_and_fail():
    city = synthetic_city(9.0, seed=0)
    result = geoplan.evaluate_indicators(geoplan.datasets.synthetic_register(city, seed=0))
    assert result.unsupported.empty
    assert sorted(result.table["number"].unique()) == list(range(1, 9))
    for level in ("community", "district"):
        meets = result.table.loc[result.table["area_level"] == level, "meets"].dropna()
        assert meets.any()
        assert not meets.all()
    summary = result.summary("zh")
    assert len(summary) == 8
    assert summary["参评社区数"].gt(0).all()
    assert summary["缺数据社区数"].eq(0).all()
    assert set(result.by_district.index) <= set(SYNTHETIC_DISTRICTS)


def test_public_entry_points():
    assert geoplan.evaluate_indicators is evaluate_indicators
    assert geoplan.IndicatorResult is IndicatorResult
    assert "evaluate_indicators" in geoplan.__all__
    assert set(COMPREHENSIVE_FACILITY_TYPES) <= set(
        geoplan.standards.load_standards().facility_types().index
    )
