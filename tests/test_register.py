"""Tests of geoplan.sources.register and geoplan.sources._tables: community registers.

Offline and deterministic: every register is written into tmp_path by the test,
as an Excel workbook with a title, a merged two-row header, full-width digits and
a 合计 row, or as the CSV (UTF-8 or GBK) that such a workbook exports to.
"""

from __future__ import annotations

import csv
import logging
import math
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from geoplan import DataSourceError, GeoplanError, InputError
from geoplan.sources import join_register, read_register
from geoplan.sources._tables import (
    UnreadableCellsWarning,
    header_key,
    normalize_text,
    read_table,
    to_number,
)
from geoplan.sources.register import name_key

COLUMNS = [
    "community_name",
    "community_code",
    "district",
    "subdistrict",
    "urban_rural",
    "households",
    "population",
    "total_floor_area_m2",
    "service_floor_area_m2",
    "commercial_floor_area_m2",
    "activity_area_m2",
    "self_service_terminal",
    "workers",
    "certified_workers",
]


def fullwidth(text: str) -> str:
    """Write ASCII digits, letters and punctuation in their full-width forms (U+FF01-FF5E)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


# ---------------------------------------------------------------------- the register
Cell = object
TITLE = "长春市南关区社区基本情况台账（2024年）"
UPPER = [
    "序号",
    "社区名称",
    "社区代码",
    "所属区县",
    "街道",
    "城乡类型",
    "户数",
    "常住人口（人）",
    "面积（㎡）",
    None,
    None,
    None,
    "政务通用自助服务",
    "社区工作者人数",
    "持证社工",
]
LOWER = [None] * 8 + ["总建筑面积", "综合服务设施面积", "商业服务设施面积", "居民活动区域面积"]
LOWER += [None] * 3
# 序号, name, code, district, subdistrict, urban/rural, households, population,
# total, service, commercial and activity areas, terminal, workers, certified workers
DATA: list[list[Cell]] = [
    [
        1,
        "永吉社区",
        "220102001001",
        "南关区",
        "永吉街道",
        "城市",
        1200,
        3100,
        1500,
        650,
        120,
        300,
        "是",
        12,
        5,
    ],
    [
        2,
        "桃源社区",
        "220102001002",
        "南关区",
        "永吉街道",
        "城镇",
        fullwidth("1350"),
        "3,500",
        fullwidth("800") + "㎡",
        "520 m2",
        "—",
        200,
        "有",
        10,
        4,
    ],
    [
        3,
        "明珠社区居委会",
        "0101",
        "南关区",
        "明珠街道",
        "社区",
        900,
        2400,
        1100,
        400,
        80,
        150,
        "否",
        9,
        3,
    ],
    [
        4,
        "幸福村",
        fullwidth("220102201"),
        "南关区",
        "幸福乡",
        "农村",
        500,
        1300,
        300,
        200,
        "约50",
        100,
        0,
        5,
        1,
    ],
]
SUMMARY: list[Cell] = ["合计", None, None, None, None, None, 3950, 10300]
FOOTNOTE: list[Cell] = ["注：面积单位为平方米，数据截至2024年底。"]


def grid() -> list[list[Cell]]:
    """The register as a spreadsheet shows it: rows 1-2 titles, 3-4 header, 5-8 data."""
    return [
        [TITLE],
        ["填报单位：南关区民政局"],
        UPPER,
        LOWER,
        *DATA,
        [],
        SUMMARY,
        FOOTNOTE,
    ]


def write_xlsx(path: Path, rows: Sequence[Sequence[Cell]] | None = None) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows if rows is not None else grid():
        sheet.append(list(row))
    if rows is None:
        sheet.merge_cells("A1:O1")
        for col in "ABCDEFGHMNO":
            sheet.merge_cells(f"{col}3:{col}4")
        sheet.merge_cells("I3:L3")
    book.save(path)
    return path


def write_csv(path: Path, rows: Sequence[Sequence[Cell]], encoding: str = "utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows([["" if c is None else c for c in row] for row in rows])
    return path


EXPECTED = pd.DataFrame(
    {
        "community_name": ["永吉社区", "桃源社区", "明珠社区居委会", "幸福村"],
        "community_code": ["220102001001", "220102001002", "0101", "220102201"],
        "district": ["南关区"] * 4,
        "subdistrict": ["永吉街道", "永吉街道", "明珠街道", "幸福乡"],
        "urban_rural": ["urban", "urban", "urban", "rural"],
        "households": [1200.0, 1350.0, 900.0, 500.0],
        "population": [3100.0, 3500.0, 2400.0, 1300.0],
        "total_floor_area_m2": [1500.0, 800.0, 1100.0, 300.0],
        "service_floor_area_m2": [650.0, 520.0, 400.0, 200.0],
        "commercial_floor_area_m2": [120.0, np.nan, 80.0, np.nan],
        "activity_area_m2": [300.0, 200.0, 150.0, 100.0],
        "self_service_terminal": pd.array([True, True, False, False], dtype="boolean"),
        "workers": [12.0, 10.0, 9.0, 5.0],
        "certified_workers": [5.0, 4.0, 3.0, 1.0],
        "序号": ["1", "2", "3", "4"],
    },
    index=pd.Index([5, 6, 7, 8], name="row"),
)
EXPECTED[["community_name", "community_code", "district", "subdistrict", "urban_rural"]] = EXPECTED[
    ["community_name", "community_code", "district", "subdistrict", "urban_rural"]
].astype(object)
EXPECTED["序号"] = EXPECTED["序号"].astype(object)
PROBLEM = {
    "row": 8,
    "column": "commercial_floor_area_m2",
    "value": "约50",
    "problem": "not a number",
}


def _read(path: Path, **kwargs) -> pd.DataFrame:
    with pytest.warns(UnreadableCellsWarning) as record:
        register = read_register(path, **kwargs)
    assert len(record) == 1
    message = str(record[0].message)
    assert "1 cell(s) could not be read" in message
    assert "commercial_floor_area_m2 (not a number): row 8 '约50'" in message
    return register


# ---------------------------------------------------------------------- read_register
def test_excel_register_with_title_and_merged_header(tmp_path, caplog):
    path = write_xlsx(tmp_path / "台账.xlsx")
    with caplog.at_level(logging.INFO, logger="geoplan"):
        register = _read(path)
    assert list(register.columns[: len(COLUMNS)]) == COLUMNS
    pd.testing.assert_frame_equal(register, EXPECTED)
    assert register.attrs["problems"] == [PROBLEM]
    assert "dropped 1 summary row(s): 10" in caplog.text
    assert "dropped 1 footnote row(s): 11" in caplog.text
    assert "commercial_floor_area_m2 is blank in 1 of 4 rows: 6" in caplog.text


@pytest.mark.parametrize("encoding", ["gbk", "utf-8", "utf-8-sig"])
def test_csv_register_reads_like_the_workbook(tmp_path, encoding, caplog):
    path = write_csv(tmp_path / "台账.csv", grid(), encoding=encoding)
    with caplog.at_level(logging.INFO, logger="geoplan"):
        register = _read(path)
    pd.testing.assert_frame_equal(register, EXPECTED)
    assert ("gb18030" if encoding == "gbk" else "UTF-8") in caplog.text


def test_input_not_modified_and_nothing_written(tmp_path):
    path = write_xlsx(tmp_path / "台账.xlsx")
    data = path.read_bytes()
    _read(path)
    assert path.read_bytes() == data
    assert [p.name for p in tmp_path.iterdir()] == ["台账.xlsx"]


@pytest.mark.parametrize(
    ("cell", "code"),
    [
        ("001", "001"),
        ("0101", "0101"),
        (fullwidth("00220102"), "00220102"),
        ("2201 0200 1001", "220102001001"),
        ("220102001001.0", "220102001001"),
        (220102001001, "220102001001"),
        ("C-07", "C-07"),
        ("", None),
        ("-", None),
    ],
)
def test_codes_stay_text(tmp_path, cell, code):
    path = write_xlsx(tmp_path / "r.xlsx", [["社区名称", "社区代码"], ["永吉社区", cell]])
    assert read_register(path)["community_code"].tolist() == [code]


def test_code_cut_to_scientific_notation_is_reported(tmp_path):
    path = write_csv(tmp_path / "r.csv", [["社区名称", "社区代码"], ["永吉社区", "2.20102E+11"]])
    with pytest.warns(UnreadableCellsWarning, match=r"community_code \(cut to scientific"):
        register = read_register(path)
    assert register["community_code"].tolist() == [None]


def test_duplicate_codes(tmp_path):
    rows = [
        ["社区名称", "社区代码"],
        ["永吉", "001"],
        ["桃源", "002"],
        ["明珠", fullwidth("001")],
        ["幸福", "002"],
        ["新华", "003"],
    ]
    path = write_csv(tmp_path / "r.csv", rows)
    with pytest.raises(InputError, match="2 community code") as info:
        read_register(path)
    message = str(info.value)
    assert "'001' in rows 2, 4" in message
    assert "'002' in rows 3, 5" in message
    assert "unique" in message
    assert "on='name'" in message


def test_negative_figures(tmp_path):
    rows = [["社区名称", "人口", "户数"], ["永吉", "-5", "10"], ["桃源", "30", "-2"]]
    path = write_csv(tmp_path / "r.csv", rows)
    with pytest.raises(InputError, match="negative") as info:
        read_register(path)
    assert "households (row 3: -2)" in str(info.value)
    assert "population (row 2: -5)" in str(info.value)


def test_unparseable_cells_are_reported_with_rows(tmp_path):
    rows = [
        ["社区名称", "户数", "人口", "城乡", "自助终端"],
        ["永吉", "1.2万", "3000", "城市", "是"],
        ["桃源", "200", "约3000人", "郊区", "不知道"],
        ["明珠", "", "2000", "农村", ""],
    ]
    path = write_csv(tmp_path / "r.csv", rows)
    with pytest.warns(UnreadableCellsWarning) as record:
        register = read_register(path)
    message = str(record[0].message)
    assert "4 cell(s) could not be read" in message
    assert "households (not a number): row 2 '1.2万'" in message
    assert "population (not a number): row 3 '约3000人'" in message
    assert "urban_rural (not one of" in message
    assert "row 3 '郊区'" in message
    assert "self_service_terminal (not one of" in message
    assert register.attrs["problems"] == [
        {
            "row": 3,
            "column": "urban_rural",
            "value": "郊区",
            "problem": register.attrs["problems"][0]["problem"],
        },
        {"row": 2, "column": "households", "value": "1.2万", "problem": "not a number"},
        {"row": 3, "column": "population", "value": "约3000人", "problem": "not a number"},
        {
            "row": 3,
            "column": "self_service_terminal",
            "value": "不知道",
            "problem": register.attrs["problems"][3]["problem"],
        },
    ]
    assert register["households"].isna().tolist() == [True, False, True]
    assert register["urban_rural"].tolist() == ["urban", None, "rural"]
    assert register["self_service_terminal"].tolist() == [True, pd.NA, pd.NA]


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("城市", "urban"),
        ("城镇", "urban"),
        ("社区", "urban"),
        ("城市社区", "urban"),
        ("Urban", "urban"),
        (" 城 市 ", "urban"),
        ("农村", "rural"),
        ("村", "rural"),
        ("乡村", "rural"),
        ("农村社区", "rural"),
        ("RURAL", "rural"),
        ("", None),
    ],
)
def test_urban_rural(tmp_path, cell, value):
    path = write_csv(tmp_path / "r.csv", [["社区名称", "城乡类型"], ["永吉", cell]])
    assert read_register(path)["urban_rural"].tolist() == [value]


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        ("是", True),
        ("有", True),
        ("1", True),
        ("TRUE", True),
        ("√", True),
        ("否", False),
        ("无", False),
        ("0", False),
        ("false", False),
        ("", pd.NA),
    ],
)
def test_self_service_terminal(tmp_path, cell, value):
    path = write_csv(tmp_path / "r.csv", [["社区名称", "自助终端"], ["永吉", cell]])
    column = read_register(path)["self_service_terminal"]
    assert column.dtype == "boolean"
    assert column.tolist() == [value]


def test_excel_booleans_and_numbers(tmp_path):
    rows = [["社区名称", "自助终端", "人口"], ["永吉", True, 3000.0], ["桃源", False, 12.5]]
    register = read_register(write_xlsx(tmp_path / "r.xlsx", rows))
    assert register["self_service_terminal"].tolist() == [True, False]
    assert register["population"].tolist() == [3000.0, 12.5]


def test_columns_absent_from_the_file_are_missing(tmp_path, caplog):
    path = write_csv(tmp_path / "r.csv", [["社区", "备注"], ["永吉", "新建"]])
    with caplog.at_level(logging.INFO, logger="geoplan"):
        register = read_register(path)
    assert list(register.columns) == [*COLUMNS, "备注"]
    assert register["population"].isna().all()
    assert register["community_code"].tolist() == [None]
    assert "no column for community_code, district" in caplog.text


def test_neither_name_nor_code(tmp_path):
    path = write_csv(tmp_path / "r.csv", [["人口", "户数"], ["3000", "1000"]])
    with pytest.raises(InputError, match=r"neither a community name nor a code.*'人口', '户数'"):
        read_register(path)


def test_header_without_rows(tmp_path):
    path = write_csv(tmp_path / "r.csv", [["台账"], ["社区名称", "人口"], ["合计", "0"]])
    with pytest.raises(InputError, match=r"no data rows below the header \(row 2\)"):
        read_register(path)


def test_bad_files(tmp_path):
    with pytest.raises(InputError, match="empty"):
        read_register(write_csv(tmp_path / "e.csv", []))
    old = tmp_path / "r.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(DataSourceError, match=r"\.xls.*save it as \.xlsx"):
        read_register(old)
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"\x80\xff\xfe,\x81\n")
    with pytest.raises(DataSourceError, match="neither UTF-8 nor GBK"):
        read_register(latin)
    with pytest.raises(DataSourceError, match="folder"):
        read_register(tmp_path)


# ---------------------------------------------------------------------- join_register
@pytest.fixture
def register():
    return pd.DataFrame(
        {
            "community_name": ["永吉社区", "桃源社区", "明珠社区居委会", "幸福村", "新华社区"],
            "community_code": ["001", "002", "003", "004", None],
            "population": [3100.0, 3500.0, 2400.0, 1300.0, 900.0],
        },
        index=pd.Index([5, 6, 7, 8, 9], name="row"),
    )


@pytest.fixture
def boundaries():
    return gpd.GeoDataFrame(
        {
            "社区代码": ["002", "001", "005", "003"],
            "name": ["桃源", "永吉社区居委会", "南岭社区", "明珠社区"],
            "population": [1, 2, 3, 4],
        },
        geometry=[box(i, 0, i + 1, 1) for i in range(4)],
        crs="EPSG:32651",
        index=pd.Index(["b1", "b2", "b3", "b4"]),
    )


def test_join_by_code(register, boundaries, caplog):
    reg_before, bnd_before = register.copy(), boundaries.copy()
    with caplog.at_level(logging.INFO, logger="geoplan"):
        joined, unmatched = join_register(register, boundaries, on="code")
    pd.testing.assert_frame_equal(register, reg_before)
    pd.testing.assert_frame_equal(boundaries, bnd_before)
    assert isinstance(joined, gpd.GeoDataFrame)
    assert joined.crs == boundaries.crs
    assert joined.index.tolist() == [5, 6, 7]
    assert joined.index.name == "row"
    assert joined["community_name"].tolist() == ["永吉社区", "桃源社区", "明珠社区居委会"]
    assert joined["社区代码"].tolist() == ["001", "002", "003"]
    assert joined["population"].tolist() == [3100.0, 3500.0, 2400.0]
    assert joined["population_boundary"].tolist() == [2, 1, 4]
    assert [g.bounds[0] for g in joined.geometry] == [1.0, 0.0, 3.0]
    expected = pd.DataFrame(
        {
            "side": ["register", "register", "boundary"],
            "label": [8, 9, "b3"],
            "community_code": ["004", None, "005"],
            "community_name": ["幸福村", "新华社区", "南岭社区"],
            "key": ["004", "", "005"],
            "reason": ["no boundary with this code", "no code", "no register row with this code"],
        },
        dtype=object,
    )
    pd.testing.assert_frame_equal(unmatched, expected)
    assert "joined 3 of 5 register rows to 4 boundaries by code" in caplog.text
    assert "2 register row(s) without a boundary, 1 boundary(ies)" in caplog.text


def test_join_by_name(register, boundaries):
    joined, unmatched = join_register(register, boundaries, on="name")
    assert joined.index.tolist() == [5, 6, 7]
    assert joined["name"].tolist() == ["永吉社区居委会", "桃源", "明珠社区"]
    expected = pd.DataFrame(
        {
            "side": ["register", "register", "boundary"],
            "label": [8, 9, "b3"],
            "community_code": ["004", None, "005"],
            "community_name": ["幸福村", "新华社区", "南岭社区"],
            "key": ["幸福", "新华", "南岭"],
            "reason": [
                "no boundary with this name",
                "no boundary with this name",
                "no register row with this name",
            ],
        },
        dtype=object,
    )
    pd.testing.assert_frame_equal(unmatched, expected)


def test_join_numeric_codes_and_named_columns(register, boundaries):
    numeric = boundaries.assign(code_num=[2, 1, 5, 3]).drop(columns=["社区代码"])
    register = register.assign(community_code=["1", "2", "3", "4", "5"])
    joined, unmatched = join_register(register, numeric, on="code", boundary_code="code_num")
    assert joined.index.tolist() == [5, 6, 7, 9]
    assert unmatched["label"].tolist() == [8]


def test_join_errors(register, boundaries):
    with pytest.raises(InputError, match="on must be"):
        join_register(register, boundaries, on="id")  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"pass boundary_code="):
        join_register(register, boundaries.drop(columns=["社区代码"]), on="code")
    with pytest.raises(InputError, match="not a column of the boundaries"):
        join_register(register, boundaries, boundary_code="代码")
    with pytest.raises(InputError, match="must be a GeoDataFrame"):
        join_register(register, pd.DataFrame(boundaries), on="code")
    with pytest.raises(InputError, match="no community_code column"):
        join_register(register.drop(columns=["community_code"]), boundaries, on="code")
    twins = boundaries.assign(name=["桃源", "永吉", "永吉社区", "明珠"])
    with pytest.raises(
        InputError, match=r"boundaries repeat a community name.*永吉/永吉社区"
    ) as info:
        join_register(register, twins, on="name")
    assert "on='code'" in str(info.value)
    village = register.assign(community_name=["永吉社区", "永吉村", "明珠", "幸福", "新华"])
    with pytest.raises(InputError, match=r"register repeat .*rows 5, 6"):
        join_register(village, boundaries, on="name")


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("朝阳社区", "朝阳"),
        ("朝阳社区居委会", "朝阳"),
        ("朝阳社区居民委员会", "朝阳"),
        ("朝阳居委会", "朝阳"),
        ("朝阳村", "朝阳"),
        ("朝阳村委会", "朝阳"),
        (" 朝 阳 ", "朝阳"),
        ("社区", "社区"),
        ("村", "村"),
        (None, ""),
        ("Chaoyang", "chaoyang"),
        (fullwidth("A") + "区1号社区", "a区1号"),
    ],
)
def test_name_key(name, key):
    assert name_key(name) == key


# ---------------------------------------------------------------------- _tables
@pytest.mark.parametrize(
    ("cell", "number"),
    [
        ("1,234", 1234.0),
        ("1,234,567.5", 1234567.5),
        (fullwidth("123.5"), 123.5),
        ("300㎡", 300.0),
        ("300 m2", 300.0),
        ("300平方米", 300.0),
        ("45%", 45.0),
        (fullwidth("45%"), 45.0),
        ("12人", 12.0),
        ("-3.5", -3.5),
        ("\u22123", -3.0),
        (" 7 ", 7.0),
        ("1e3", 1000.0),
        (".5", 0.5),
        (42, 42.0),
        (2.5, 2.5),
    ],
)
def test_to_number_parses(cell, number):
    values, failed = to_number(pd.Series([cell], dtype=object))
    assert values.tolist() == [number]
    assert failed == []


@pytest.mark.parametrize("cell", ["", "-", "—", "无", "N/A", None, float("nan"), "  "])
def test_to_number_blanks(cell):
    values, failed = to_number(pd.Series([cell], dtype=object))
    assert math.isnan(values.iloc[0])
    assert failed == []


@pytest.mark.parametrize("cell", ["约50", "1.2万", "1,2", "abc", "inf", "12 34", True, "3-4"])
def test_to_number_reports(cell):
    values, failed = to_number(pd.Series([cell], index=[7], dtype=object))
    assert math.isnan(values.iloc[0])
    assert failed == [7]


def test_normalize_text():
    assert normalize_text(fullwidth("123,ABC") + "\u3000 x\t y ") == "123,ABC x y"
    assert normalize_text("（㎡）") == "(m2)"
    assert normalize_text(None) == ""
    assert normalize_text(float("nan")) == ""
    assert normalize_text(pd.NA) == ""
    assert normalize_text(12) == "12"


def test_header_key():
    assert header_key("总建筑面积（㎡）") == header_key(" 总建筑面积 ") == "总建筑面积"
    assert header_key("POI 名称") == header_key("poi名称")
    assert header_key("gcj_lng") == "gcjlng"


def test_read_table_two_row_header_combines_upper_and_lower(tmp_path):
    rows = [
        ["社区", "社区综合服务设施", None, "人口"],
        [None, "建筑面积", "其中商业面积", None],
        ["永吉", "650", "120", "3000"],
    ]
    expected = {
        "name": ["社区"],
        "service": ["社区综合服务设施建筑面积"],
        "total": ["建筑面积"],
        "population": ["人口"],
    }
    table = read_table(write_csv(tmp_path / "t.csv", rows), expected=expected)
    # the upper cell is carried across the merged span: '社区综合服务设施 其中商业面积'
    assert list(table.columns) == ["name", "service", "社区综合服务设施 其中商业面积", "population"]
    assert table.attrs["header_rows"] == [1, 2]
    assert table.index.tolist() == [3]


def test_read_table_header_below_title_rows_and_tabs(tmp_path):
    path = tmp_path / "t.tsv"
    lines = ["说明", "", "", "社区名称\t人口\t", "永吉\t3000\t", "\t\t", "桃源\t2000\t"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    table = read_table(path, expected={"name": ["社区名称"], "population": ["人口"]})
    assert table.attrs["header_rows"] == [4]
    assert table.index.tolist() == [5, 7]
    assert table["population"].tolist() == ["3000", "2000"]
    assert list(table.columns) == ["name", "population"]


def test_read_table_repeated_and_blank_headers(tmp_path):
    rows = [["名称", "备注", "备注", None], ["甲", "a", "b", "c"]]
    table = read_table(write_csv(tmp_path / "t.csv", rows), expected={"name": ["名称"]})
    assert list(table.columns) == ["name", "备注", "备注_2", "column_4"]


def test_read_table_header_beyond_scan_rows(tmp_path):
    rows = [[f"说明{i}"] for i in range(15)] + [["社区名称"], ["永吉"]]
    with pytest.raises(InputError, match="no header row found"):
        read_table(write_csv(tmp_path / "t.csv", rows), expected={"name": ["社区名称"]})


# ---------------------------------------------------------------------- fuzz
TEXT_INPUTS = st.one_of(
    st.text(),
    st.none(),
    st.floats(),
    st.integers(),
    st.booleans(),
    st.sampled_from([fullwidth("123.5"), fullwidth("300") + "㎡", fullwidth("45%"), "—", "无"]),
)


@given(st.lists(TEXT_INPUTS, max_size=20))
def test_fuzz_normalize_and_to_number_never_raise(values):
    for value in values:
        text = normalize_text(value)
        assert isinstance(text, str)
        assert normalize_text(text) == text
        assert text == text.strip()
    numbers, failed = to_number(pd.Series(values, dtype=object))
    assert len(numbers) == len(values)
    assert numbers.dtype == np.float64
    assert set(failed) <= set(range(len(values)))
    assert all(math.isnan(numbers.iloc[i]) for i in failed)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_fuzz_numbers_round_trip(x):
    cells = [repr(x), str(x), fullwidth(repr(x))]
    if abs(x) < 1e15:
        cells += [f"{x:,.6f}", f"{x:.6f} ㎡", f"{x:.3f}%"]
    numbers, failed = to_number(pd.Series(cells, dtype=object))
    assert failed == []
    assert numbers.iloc[0] == x
    assert numbers.iloc[1] == x
    assert numbers.iloc[2] == x
    for i, cell in enumerate(cells[3:], start=3):
        assert numbers.iloc[i] == pytest.approx(float(cell.split()[0].rstrip("%").replace(",", "")))


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_fuzz_integers_with_thousands(n):
    numbers, failed = to_number(pd.Series([f"{n:,}", fullwidth(f"{n:,}"), f"{n}户"], dtype=object))
    assert failed == []
    assert numbers.tolist() == [float(n)] * 3


REGISTER_HEADERS = st.one_of(
    st.permutations(["社区名称", "社区代码", "人口", "城乡类型", "自助终端"]),
    st.lists(st.sampled_from(["社区", "代码", "户数", "合计", "持证社工", "备注", ""]), max_size=5),
)
REGISTER_CELLS = st.one_of(
    st.none(),
    st.integers(min_value=-5, max_value=10**6),
    st.sampled_from(["001", "001", "城市", "农村", "是", "否", "合计", "—", fullwidth("12")]),
    st.text(max_size=6),
)


@settings(max_examples=100, deadline=None)
@given(
    headers=REGISTER_HEADERS,
    rows=st.lists(st.lists(REGISTER_CELLS, min_size=5, max_size=5), max_size=5),
    encoding=st.sampled_from(["utf-8", "gbk"]),
)
def test_fuzz_read_register(headers, rows, encoding):
    """Random small registers give a DataFrame or a geoplan error, nothing else."""
    lines = [list(headers)] + [row[: len(headers)] for row in rows]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "r.csv"
        try:
            write_csv(path, lines, encoding=encoding)
        except UnicodeEncodeError:
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnreadableCellsWarning)
            try:
                register = read_register(path)
            except GeoplanError:
                return
    assert list(register.columns[: len(COLUMNS)]) == COLUMNS
    assert register["community_code"].dropna().is_unique
    assert (register["population"].dropna() >= 0).all()
