"""tables.xlsx written as text holds what pandas and openpyxl write, cell for cell.

The oracle is the old path, pandas' ``to_excel`` through openpyxl (kept as the
fallback for values the fast writer does not know): each worksheet's XML must be
the same bytes, and every cell's value and number format the same when read back.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import geoplan
from geoplan.config import parse_config
from geoplan.outputs import run
from geoplan.outputs.tables import _pandas_workbook, _sheets, write_workbook

TEXT = ["", "a", " lead", "trail ", "  ", "a&b<c>d", "=1+1", "=", "#N/A", "#DIV/0!", "长春", "x\ny"]


def mixed_frame(seed: int, rows: int = 60) -> pd.DataFrame:
    """A table with every kind of value the run's tables hold, and some they might."""
    rng = np.random.default_rng(seed)
    floats = rng.normal(size=rows) * 10.0 ** rng.integers(-8, 12, size=rows)
    floats[rng.random(rows) < 0.1] = np.nan
    floats[rng.random(rows) < 0.05] = np.inf
    floats[rng.random(rows) < 0.05] = -np.inf
    shares = rng.random(rows)
    shares[::7] = np.nan
    counts = pd.array(rng.integers(-(2**60), 2**60, size=rows), dtype="Int64")
    counts[::5] = pd.NA
    labels = [TEXT[i] if i < len(TEXT) else None for i in rng.integers(0, len(TEXT) + 2, rows)]
    return pd.DataFrame(
        {
            "name": [TEXT[i] for i in rng.integers(0, len(TEXT), size=rows)],
            "value": floats,
            "share": shares,
            "count": counts,
            "small": rng.integers(0, 100, size=rows),
            "big": rng.integers(-(2**62), 2**62, size=rows),
            "unsigned": rng.integers(0, 2**64 - 1, size=rows, dtype=np.uint64),
            "finite": rng.normal(size=rows) / 3,
            "utilisation": rng.random(rows),
            "score_15min": rng.random(rows) < 0.3,
            "flag": rng.random(rows) < 0.5,
            "share_mixed": pd.Series([True, 0.5, "n/a", None] * (rows // 4), dtype=object),
            "objects": pd.Series([1, 2.5, "x", None] * (rows // 4), dtype=object),
            "float32": rng.random(rows).astype(np.float32),
            "label": pd.Series(labels, dtype="str"),  # text with missing values (NaN)
            "label_na": pd.Series(labels, dtype="string"),  # and with pd.NA
        }
    )


def sheet_xml(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as book:
        return {n: book.read(n) for n in book.namelist() if n.startswith("xl/worksheets/")}


def cells(path: Path) -> dict[str, list[list[tuple[object, str]]]]:
    book = openpyxl.load_workbook(path)
    return {
        sheet.title: [[(c.value, c.number_format) for c in row] for row in sheet.iter_rows()]
        for sheet in book.worksheets
    }


def both(tmp_path: Path, tables: dict[str, pd.DataFrame], lang: str = "en") -> tuple[Path, Path]:
    fast = write_workbook(tmp_path / "fast.xlsx", tables, lang=lang)
    oracle = tmp_path / "pandas.xlsx"
    _pandas_workbook(oracle, _sheets(tables, lang))
    return fast, oracle


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_kind_of_cell_is_written_as_pandas_writes_it(tmp_path, seed):
    tables = {
        "coverage_by_community": mixed_frame(seed),
        "summary": mixed_frame(seed + 10, rows=8).set_index("name"),
        "empty": mixed_frame(seed).iloc[:0],
        "no_columns": pd.DataFrame(index=range(3)),
    }
    fast, oracle = both(tmp_path, tables, lang="zh")
    assert sheet_xml(fast) == sheet_xml(oracle)  # the same bytes, sheet for sheet
    assert cells(fast) == cells(oracle)
    read = cells(fast)
    shares = [row[2] for row in next(iter(read.values()))[1:]]
    assert {f for v, f in shares if isinstance(v, float)} == {"0.0%"}


def test_a_study_s_workbook_is_the_same_cells(tmp_path, monkeypatch):
    config = parse_config(
        {
            "study": {"name": "xlsx"},
            "network": {"source": "synthetic"},
            "synthetic": {"area_km2": 2.0, "seed": 4},
            "communities": {"source": "synthetic"},
            "population": {"source": "synthetic"},
            "facilities": {"types": {"community_canteen": {}, "elderly_day_care": {}}},
            "sites": [{"facility_type": "community_canteen", "p": 2}],
            "outputs": {"basemap": "none", "rasters": False},
        }
    )
    result = geoplan.run_study(geoplan.Study.from_config(config))
    given: dict[str, pd.DataFrame] = {}

    def capture(path, tables, *, lang=None):  # the tables exactly as the run hands them over
        given.update(tables)
        return write_workbook(path, tables, lang=lang)

    monkeypatch.setattr(run, "write_workbook", capture)
    with run._settings_of(result):
        written = run._tables(result, tmp_path)
    assert "tables.xlsx" in written
    assert len(given) >= 8
    oracle = tmp_path / "pandas.xlsx"
    _pandas_workbook(oracle, _sheets(given, "zh"))
    fast = tmp_path / "tables.xlsx"
    assert sheet_xml(fast) == sheet_xml(oracle)
    assert cells(fast) == cells(oracle)
    assert len(cells(fast)) == len(given)


def test_dates_are_left_to_pandas(tmp_path):
    tables = {"dated": pd.DataFrame({"day": [dt.date(2026, 12, 2)], "n": [1]})}
    fast, oracle = both(tmp_path, tables)
    assert cells(fast) == cells(oracle)
    assert cells(fast)["dated"][1][0][0] == dt.datetime(2026, 12, 2)


def test_control_characters_are_dropped_from_a_text_index_and_its_name(tmp_path):
    frame = pd.DataFrame({"v": [1, 2]}, index=pd.Index(["a\x01b", "c"], name="key\x02"))
    path = write_workbook(tmp_path / "c.xlsx", {"t": frame}, lang="en")
    rows = [[c.value for c in row] for row in openpyxl.load_workbook(path).active.iter_rows()]
    assert rows == [["key", "v"], ["ab", 1], ["c", 2]]
    numbered = pd.DataFrame({"v": [1.5]}, index=pd.RangeIndex(1, name="n\x03"))
    path = write_workbook(tmp_path / "n.xlsx", {"t": numbered}, lang="en")
    rows = [[c.value for c in row] for row in openpyxl.load_workbook(path).active.iter_rows()]
    assert rows == [["n", "v"], [0, 1.5]]
