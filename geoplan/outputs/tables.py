"""Tables and layers as files: CSV and Excel that spreadsheets open safely, GeoPackage layers.

Every text cell (and header) a spreadsheet would evaluate as a formula is
neutralised (:func:`geoplan._io.neutralise`); numbers stay numbers. Dict and
list cells (OSM tags) are stored as JSON text. Every file is written
atomically.

Examples
--------
>>> import pandas as pd
>>> spreadsheet_safe(pd.DataFrame({"name": ["=1+1", "朝阳"]}))["name"].tolist()
["'=1+1", '朝阳']
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pandas as pd

from geoplan._i18n import column_label, is_share_column, table_label
from geoplan._io import atomic_path, neutralise
from geoplan.outputs._csv_writer import csv_text
from geoplan.outputs._xlsx import Sheet, write_sheets

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["spreadsheet_safe", "write_layers", "write_table", "write_workbook"]

log = logging.getLogger(__name__)

_Frame = TypeVar("_Frame", bound=pd.DataFrame)
#: Excel's limit on a sheet name, and the characters it does not allow in one.
_SHEET_NAME_MAX = 31
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
#: C0 control characters but tab, line feed and carriage return (not allowed in a cell).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def write_table(path: str | os.PathLike[str], frame: pd.DataFrame) -> Path:
    """Write a table as UTF-8 CSV (with a byte-order mark, so Excel reads Chinese), atomically.

    Parameters
    ----------
    path
        The CSV file to (re)write.
    frame
        The table; its index is written when it is named.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    final = Path(path)
    safe = spreadsheet_safe(_storable(frame))
    index = frame.index.name is not None
    text = csv_text(safe, index=index)  # pandas' bytes, each distinct value formatted once
    with atomic_path(final) as tmp:
        if text is not None:
            with open(tmp, "w", encoding="utf-8-sig", newline="") as out:
                out.write(text)
        else:
            # CRLF line ends (RFC 4180, as Excel writes): a carriage return inside a cell is
            # then quoted too, which pandas does not do with its default "\n"
            safe.to_csv(tmp, index=index, encoding="utf-8-sig", lineterminator="\r\n")
    return final


def write_workbook(
    path: str | os.PathLike[str],
    tables: Mapping[str, pd.DataFrame],
    *,
    lang: str | None = None,
) -> Path:
    """Write several tables as the sheets of one Excel workbook, atomically.

    The CSV files keep machine-readable English headers; the workbook is for
    people: with ``lang="zh"`` its sheet names and headers are Chinese
    (:func:`geoplan._i18n.column_label`), and shares are formatted as
    percentages in either language.

    Parameters
    ----------
    path
        The ``.xlsx`` file to (re)write.
    tables
        Table name to table; sheet names are cut to Excel's 31 characters and kept unique.
    lang
        ``"zh"`` or ``"en"``; default ``settings.lang``.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    final = Path(path)
    sheets = _sheets(tables, lang)
    with atomic_path(final) as tmp:
        if not write_sheets(tmp, sheets):  # a date or a decimal: pandas writes it
            _pandas_workbook(tmp, sheets)
    return final


def _sheets(tables: Mapping[str, pd.DataFrame], lang: str | None) -> list[Sheet]:
    """Each table as a sheet: a unique name, labelled headers, safe cells, its share columns."""
    names: set[str] = set()
    sheets = []
    for name, frame in tables.items():
        sheet = _sheet_name(table_label(name, lang), names)
        shown = _storable(frame)
        if shown.index.name is not None:
            shown = shown.reset_index()
        shares = [i for i, c in enumerate(shown.columns) if is_share_column(str(c))]
        headers = [column_label(str(c), lang) for c in shown.columns]
        shown = shown.set_axis(headers, axis=1)  # a new frame: the result is not changed
        sheets.append(Sheet(sheet, _without_control_characters(spreadsheet_safe(shown)), shares))
    return sheets


def _pandas_workbook(path: Path, sheets: Sequence[Sheet]) -> None:
    """Write the sheets cell by cell through pandas and openpyxl (any value pandas writes)."""
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for sheet in sheets:
            sheet.frame.to_excel(writer, sheet_name=sheet.name, index=False)
            _percent_columns(writer.sheets[sheet.name], sheet.shares)


def _percent_columns(sheet: Any, columns: Sequence[int]) -> None:
    """Show share columns (0-1) as percentages with one decimal."""
    for column in columns:
        for (cell,) in sheet.iter_rows(min_row=2, min_col=column + 1, max_col=column + 1):
            if isinstance(cell.value, int | float):
                cell.number_format = "0.0%"


def _without_control_characters(frame: _Frame) -> _Frame:
    """Drop the control characters a worksheet cannot hold from cells, headers and index.

    A cell is XML 1.0 text, which allows no C0 control character but tab, line feed
    and carriage return; openpyxl refuses the others, so one name holding one would
    stop the whole workbook.
    """
    out = _mend_text_columns(frame, _has_control_character, _without_control)
    if any(_has_control_character(c) for c in out.columns):
        out = out.copy() if out is frame else out
        out.columns = pd.Index([_without_control(c) for c in out.columns])
    index_text = _may_hold_text(out.index.dtype) and any(map(_has_control_character, out.index))
    if index_text or _has_control_character(out.index.name):
        out = out.copy() if out is frame else out
        out.index = pd.Index(
            [_without_control(v) for v in out.index], name=_without_control(out.index.name)
        )
    return out


def _has_control_character(value: Any) -> bool:
    return isinstance(value, str) and _CONTROL.search(value) is not None


def _without_control(value: Any) -> Any:
    return _CONTROL.sub("", value) if isinstance(value, str) else value


def _sheet_name(name: str, taken: set[str]) -> str:
    base = _SHEET_FORBIDDEN.sub("_", neutralise(name).lstrip("'")) or "sheet"
    sheet = base[:_SHEET_NAME_MAX]
    number = 2
    while sheet.lower() in taken:
        suffix = f"~{number}"
        sheet = base[: _SHEET_NAME_MAX - len(suffix)] + suffix
        number += 1
    taken.add(sheet.lower())
    return sheet


def write_layers(path: str | os.PathLike[str], layers: Mapping[str, gpd.GeoDataFrame]) -> Path:
    """Write several GeoDataFrames as layers of one GeoPackage, atomically.

    Parameters
    ----------
    path
        The GeoPackage to (re)write.
    layers
        Layer name to GeoDataFrame; empty frames are skipped.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    final = Path(path)
    with atomic_path(final) as tmp:
        for name, frame in layers.items():
            if len(frame) == 0:
                log.info("layer %s is empty; not written", name)
                continue
            _storable(frame).to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
    return final


def spreadsheet_safe(frame: _Frame) -> _Frame:
    """Return ``frame`` with every text cell, header and index label a formula neutralised.

    Parameters
    ----------
    frame
        Any table; it is not changed.

    Returns
    -------
    pandas.DataFrame
        A copy when anything needed neutralising, else ``frame`` itself.
    """
    out = _mend_text_columns(frame, _needs_neutralising, _neutralised)
    columns = [_neutralised(c) for c in out.columns]
    if columns != list(out.columns):
        out = out.copy() if out is frame else out
        out.columns = pd.Index(columns)
    if _may_hold_text(out.index.dtype) and any(_needs_neutralising(v) for v in out.index):
        out = out.copy() if out is frame else out
        out.index = pd.Index(
            [_neutralised(v) for v in out.index], name=_neutralised(out.index.name)
        )
    return out


def _mend_text_columns(
    frame: _Frame, needs: Callable[[Any], bool], mend: Callable[[Any], Any]
) -> _Frame:
    """Return ``frame`` with ``mend`` applied to every text column holding a cell that ``needs`` it.

    By position, as two columns may share a header (two ids with the same Chinese
    label); each distinct value is tested once (a type's name is on thousands of
    rows). A copy when a column changed, else ``frame`` itself.
    """
    out = frame
    for position, dtype in enumerate(frame.dtypes):
        if not _may_hold_text(dtype):
            continue
        values = frame.iloc[:, position].to_numpy(dtype=object)
        with contextlib.suppress(TypeError):  # unhashable cells (OSM tags): each is tested
            values = pd.unique(values)
        if any(needs(v) for v in values):
            out = frame.copy() if out is frame else out
            mapped: Any = out.iloc[:, position].map(mend)  # keeps its dtype
            out.isetitem(position, mapped)
    return out


def _may_hold_text(dtype: Any) -> bool:
    return bool(pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype))


def _needs_neutralising(value: Any) -> bool:
    return isinstance(value, str) and neutralise(value) != value


def _neutralised(value: Any) -> Any:
    return neutralise(value) if isinstance(value, str) else value


def _storable(frame: _Frame) -> _Frame:
    """Encode dict and list cells (OSM tags) as JSON text, which every format can hold."""
    nested = [
        column
        for column in frame.columns
        if frame[column].dtype == object
        and any(isinstance(v, dict | list | tuple) for v in frame[column].to_numpy())
    ]
    if not nested:
        return frame
    out = frame.copy()
    for column in nested:
        out[column] = out[column].map(
            lambda v: (
                json.dumps(v, ensure_ascii=False, sort_keys=True)
                if isinstance(v, dict | list | tuple)
                else v
            )
        )
    return out
