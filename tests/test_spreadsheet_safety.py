"""Tables a run writes open safely in Excel: no cell a spreadsheet would evaluate (OWASP)."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import geoplan
from geoplan._io import FORMULA_PREFIXES, neutralise
from geoplan.config import parse_config
from geoplan.outputs.tables import spreadsheet_safe, write_table, write_workbook

PAYLOADS = [
    '=HYPERLINK("http://evil.example","点我")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\uff1d1+1",  # a full-width equals sign
]


def evaluable(text: str) -> bool:
    """Would a spreadsheet treat this cell text as a formula?"""
    if not text.startswith(FORMULA_PREFIXES):
        return False
    try:
        float(text)
    except ValueError:
        return True
    return False


@pytest.mark.parametrize("payload", PAYLOADS)
def test_each_payload_is_neutralised_and_stays_readable(payload):
    safe = neutralise(payload)
    assert not evaluable(safe)
    assert safe == "'" + payload


@pytest.mark.parametrize("number", ["-12.5", "+3", "-0.25e3", "42"])
def test_numbers_written_as_text_stay_numbers(number):
    assert neutralise(number) == number


def test_headers_index_and_cells_are_neutralised_without_changing_the_frame():
    frame = pd.DataFrame(
        {"=bad": ["=1+1", "ok"], "n": [1, -2]}, index=pd.Index(["@x", "y"], name="id")
    )
    safe = spreadsheet_safe(frame)
    assert list(safe.columns) == ["'=bad", "n"]
    assert list(safe.index) == ["'@x", "y"]
    assert safe["'=bad"].tolist() == ["'=1+1", "ok"]
    assert safe["n"].tolist() == [1, -2]
    assert list(frame.columns) == ["=bad", "n"]  # the input is not changed


def test_csv_and_workbook_cells_are_never_formulas(tmp_path):
    frame = pd.DataFrame({"name": PAYLOADS, "value": range(len(PAYLOADS))})
    csv_path = write_table(tmp_path / "t.csv", frame)
    book = write_workbook(tmp_path / "t.xlsx", {"=sheet": frame, "t": frame})
    assert_no_formulas_in_csv(csv_path)
    assert_no_formulas_in_workbook(book)
    sheets = openpyxl.load_workbook(book).sheetnames
    assert sheets == ["=sheet", "t"] or all(not evaluable(s) for s in sheets)


def assert_no_formulas_in_csv(path: Path) -> int:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    bad = [cell for cell in cells if evaluable(cell)]
    assert bad == [], (path.name, bad)
    return len(cells)


def assert_no_formulas_in_workbook(path: Path) -> int:
    book = openpyxl.load_workbook(path)
    count = 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                count += 1
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not evaluable(cell.value), (sheet.title, cell.coordinate, cell.value)
    return count


@pytest.fixture(scope="module")
def hostile_names_run(tmp_path_factory):
    """A study whose community, facility and register names are formula payloads."""
    config = parse_config(
        {
            "study": {"name": "payloads"},
            "network": {"source": "synthetic"},
            "synthetic": {"area_km2": 1.0, "seed": 4},
            "communities": {"source": "synthetic"},
            "population": {"source": "synthetic"},
            "facilities": {"types": {"community_canteen": {}, "kindergarten": {}}},
            "register": {"source": "synthetic"},
            "sites": [{"facility_type": "community_canteen", "p": 1}],
            "outputs": {"basemap": "none", "rasters": False, "maps": False},
        }
    )
    study = geoplan.Study.from_config(config)
    n = len(study.communities)
    study.communities["name"] = [PAYLOADS[i % len(PAYLOADS)] for i in range(n)]
    for column in ("name", "name_zh"):
        if column in study.facilities.columns:
            study.facilities[column] = [
                PAYLOADS[i % len(PAYLOADS)] for i in range(len(study.facilities))
            ]
    assert study.register is not None
    for column in ("name", "name_zh", "community_name"):
        if column in study.register.columns:
            study.register[column] = [
                PAYLOADS[i % len(PAYLOADS)] for i in range(len(study.register))
            ]
    result = geoplan.run_study(study)
    return geoplan.write_run(result, tmp_path_factory.mktemp("payloads") / "payloads")


def test_no_cell_of_any_table_of_a_run_is_a_formula(hostile_names_run):
    out = hostile_names_run
    tables = sorted((out / "tables").glob("*.csv"))
    assert len(tables) >= 8
    payload_cells = 0
    for path in tables:
        assert_no_formulas_in_csv(path)
        text = path.read_text(encoding="utf-8-sig")
        payload_cells += sum(
            text.count("'" + p.strip()[:8]) for p in PAYLOADS if p[0] not in "\t\r"
        )
    assert payload_cells > 0  # the names did reach the tables, neutralised
    assert assert_no_formulas_in_workbook(out / "tables.xlsx") > 100
    sheets = openpyxl.load_workbook(out / "tables.xlsx").sheetnames
    assert len(sheets) == len(tables)


def test_the_workbook_speaks_chinese_and_shows_shares_as_percentages(hostile_names_run):
    book = openpyxl.load_workbook(hostile_names_run / "tables.xlsx")
    assert "覆盖率汇总" in book.sheetnames
    assert "分社区覆盖率" in book.sheetnames
    sheet = book["覆盖率汇总"]
    headers = [cell.value for cell in next(sheet.iter_rows(max_row=1))]
    assert headers[:3] == ["设施类型", "中文名称", "英文名称"]
    assert "覆盖率" in headers
    share = headers.index("覆盖率") + 1
    cells = [row[0] for row in sheet.iter_rows(min_row=2, min_col=share, max_col=share)]
    assert cells
    assert all(cell.number_format == "0.0%" for cell in cells)
    # the CSV keeps machine-readable headers and the same numbers
    totals = pd.read_csv(hostile_names_run / "tables" / "coverage_totals.csv", encoding="utf-8-sig")
    assert list(totals.columns[:3]) == ["facility_type", "name_zh", "name_en"]
    assert [c.value for c in cells] == pytest.approx(totals["share"].tolist())


def test_columns_that_share_a_header_are_each_neutralised():
    """Two ids with the same Chinese label give one header twice: both columns are made safe."""
    import pandas as pd

    from geoplan.outputs.tables import spreadsheet_safe

    frame = pd.DataFrame([["=1+1", "@SUM(A1)", 3]], columns=["名称", "名称", "n"])
    safe = spreadsheet_safe(frame)
    assert list(safe.columns) == ["名称", "名称", "n"]
    assert [safe.iloc[0, 0][0], safe.iloc[0, 1][0]] == ["'", "'"]
    assert safe.iloc[0, 2] == 3
    assert frame.iloc[0, 0] == "=1+1"  # the caller's frame is not changed
