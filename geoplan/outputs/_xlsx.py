r"""Worksheets written as text: the cells openpyxl writes, without a cell object each.

pandas writes a workbook through openpyxl one cell object at a time, and openpyxl
serialises each through an XML tree: 40,000 rows of a city's life-circle table
took most of the run's table time. Here openpyxl still makes the workbook (its
styles, properties, theme), but each sheet's ``<sheetData>`` is written as text,
cell for cell what pandas and openpyxl would have written: the same types
(numbers, booleans, inline strings, error codes, formulas), the same number text
(``%.16g``), the same empty cells for missing values and the same percent style
on share columns. Values this writer does not know (dates, decimals) return
``None`` so the caller can fall back to pandas.

Examples
--------
>>> frame = pd.DataFrame({"name": ["a", 1, None, 0.25]})
>>> print(_sheet_data(Sheet("s", frame, ()), None).replace("<row", "\n<row"))
<sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c></row>
<row r="2"><c r="A2" t="inlineStr"><is><t>a</t></is></c></row>
<row r="3"><c r="A3" t="n"><v>1</v></c></row>
<row r="4"><c r="A4" t="inlineStr" /></row>
<row r="5"><c r="A5" t="n"><v>0.25</v></c></row></sheetData>
"""

from __future__ import annotations

import importlib
import io
import math
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geoplan.outputs._csv_writer import distinct

__all__ = ["Sheet", "write_sheets"]

#: openpyxl's error values: strings that are written as errors, not text.
_ERROR_CODES = frozenset(("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"))
#: Characters openpyxl refuses in a cell (it raises: the caller's fallback does too).
_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
#: Excel's longest cell text; openpyxl (and pandas, with a warning) cut longer text.
_MAX_TEXT = 32767
_PERCENT = "0.0%"


@dataclass(frozen=True)
class Sheet:
    """One worksheet: its name, its header row and its columns (shares shown as percentages)."""

    name: str
    frame: pd.DataFrame
    shares: Sequence[int]


class _NotHereError(Exception):
    """A value this writer does not write as pandas would (the caller falls back)."""


def _letter(column: int) -> str:
    """Return the letters of a 1-based column number (1 is A, 27 is AA)."""
    utils: Any = importlib.import_module("openpyxl.utils")
    letter: str = utils.get_column_letter(column)
    return letter


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _text_tail(text: str) -> str:
    """Return a text cell after its reference (``<c r="A1"`` + this)."""
    if _ILLEGAL.search(text):
        raise _NotHereError(text)
    text = text[:_MAX_TEXT]
    if text == "":
        return ' t="inlineStr" />'
    if len(text) > 1 and text.startswith("="):
        return f"><f>{_escape(text[1:])}</f><v /></c>"
    if text in _ERROR_CODES:
        return f' t="e"><v>{_escape(text)}</v></c>'
    stripped = text.strip()
    space = ' xml:space="preserve"' if stripped and stripped != text else ""
    return f' t="inlineStr"><is><t{space}>{_escape(text)}</t></is></c>'


def _float_tail(number: float, style: str) -> str:
    if math.isnan(number):  # pandas writes missing values as empty text
        return ' t="inlineStr" />'
    if math.isinf(number):  # and infinities as text
        return _text_tail("inf" if number > 0 else "-inf")
    return f'{style} t="n"><v>{number:.16g}</v></c>'


def _tail(value: Any, style: str) -> str:
    """Return the cell pandas' ``to_excel`` would write through openpyxl for ``value``.

    Everything after the cell's reference: ``<c r="B2"`` + this is the cell.
    """
    if isinstance(value, bool | np.bool_):
        return f'{style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, Integral):
        return f'{style} t="n"><v>{int(value):.16g}</v></c>'
    if isinstance(value, float | np.floating):
        return _float_tail(float(value), style)
    if value is None or value is pd.NA or value is pd.NaT:
        return ' t="inlineStr" />'
    if isinstance(value, str):
        return _text_tail(value)
    raise _NotHereError(type(value).__name__)


def _value_tails(values: Sequence[Any], attribute: str) -> list[str]:
    """Return each cell after its reference; a text met again reuses its cell's text."""
    known: dict[str, str] = {}
    tails = []
    for value in values:
        if type(value) is str:
            tail = known.get(value)
            if tail is None:
                tail = known[value] = _text_tail(value)
        else:
            tail = _tail(value, attribute)
        tails.append(tail)
    return tails


def _series_tails(series: pd.Series, style: int | None) -> list[str]:
    """Return a column's cells after their references: numbers and booleans at once."""
    attribute = "" if style is None else f' s="{style}"'
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf":  # each distinct value once
        codes, values = distinct(series.to_numpy())
        if dtype.kind == "b":
            cells = [f'{attribute} t="b"><v>{int(v)}</v></c>' for v in values.tolist()]
        elif dtype.kind in "iu":
            cells = [f'{attribute} t="n"><v>{v:.16g}</v></c>' for v in values.tolist()]
        else:
            cells = [_float_tail(v, attribute) for v in values.tolist()]
        return list(np.array(cells, dtype=object)[codes])
    if isinstance(dtype, pd.StringDtype):  # text and missing values: each text made once
        codes, texts = pd.factorize(series, use_na_sentinel=True)
        tails = np.array([*(_text_tail(t) for t in texts), ' t="inlineStr" />'], dtype=object)
        return list(tails[codes])  # a missing value's code, -1, takes the last: an empty cell
    return _value_tails(series.tolist(), attribute)


def _sheet_data(sheet: Sheet, style: int | None) -> str:
    """Return the sheet's ``<sheetData>``: a header row, then one row per frame row.

    The body is one join of pieces laid out row by row (a row's opening, then
    per cell its column's letter, the row's number and the cell's text, then the
    row's end), each kind placed with one slice assignment, so that no cell's
    text is formatted or joined on its own.
    """
    frame = sheet.frame
    letters = [_letter(j + 1) for j in range(frame.shape[1])]
    if not letters:
        return "<sheetData></sheetData>"
    header = "".join(
        f'<c r="{letter}1"{_tail(str(c), "")}'
        for letter, c in zip(letters, frame.columns, strict=True)
    )
    rows = len(frame)
    numbers = range(2, rows + 2)
    references = [f'{i}"' for i in numbers]  # a cell's row after its column's letter
    stride = 3 * len(letters) + 2
    pieces = [""] * (rows * stride)
    pieces[0::stride] = [f'<row r="{i}">' for i in numbers]
    for j, letter in enumerate(letters):
        tails = _series_tails(frame.iloc[:, j], style if j in sheet.shares else None)
        pieces[1 + 3 * j :: stride] = [f'<c r="{letter}'] * rows
        pieces[2 + 3 * j :: stride] = references
        pieces[3 + 3 * j :: stride] = tails
    pieces[stride - 1 :: stride] = ["</row>"] * rows
    return f'<sheetData><row r="1">{header}</row>{"".join(pieces)}</sheetData>'


def _dimension(frame: pd.DataFrame) -> str:
    if frame.shape[1] == 0:
        return "A1:A1"
    return f"A1:{_letter(frame.shape[1])}{len(frame) + 1}"


#: zlib level of the workbook's parts: Harbin's 88 MB coverage sheet took 0.32 s at level 3
#: (7.4 MB) against 1.09 s at zlib's default 6 (6.8 MB); the cells are the same.
_ZIP_LEVEL = 3

_SHEET_DATA = re.compile(r"<sheetData\s*/>|<sheetData>.*?</sheetData>", re.DOTALL)
_DIMENSION = re.compile(r'<dimension ref="[^"]*" />')


def write_sheets(path: Path, sheets: Sequence[Sheet]) -> bool:
    """Write the sheets as one workbook at ``path``; False (writing nothing) if one cannot be.

    A sheet cannot be written here when it holds a value pandas writes with a
    format of its own (a date, a decimal) or a character a worksheet cannot hold.
    """
    openpyxl: Any = importlib.import_module("openpyxl")  # untyped
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    style: int | None = None
    for sheet in sheets:
        worksheet = workbook.create_sheet(sheet.name)
        if sheet.shares and style is None:  # the style's id, as openpyxl numbers it
            cell = worksheet.cell(row=2, column=1)
            cell.number_format = _PERCENT
            style = int(cell.style_id)
    if any(isinstance(sheet.frame.columns, pd.MultiIndex) for sheet in sheets):
        return False  # pandas merges the header cells of such columns
    try:
        bodies = [_sheet_data(sheet, style) for sheet in sheets]
    except _NotHereError:
        return False
    skeleton = io.BytesIO()
    workbook.save(skeleton)
    parts = {f"xl/worksheets/sheet{i + 1}.xml": i for i in range(len(sheets))}
    with (
        zipfile.ZipFile(skeleton) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=_ZIP_LEVEL) as out,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename in parts:
                i = parts[info.filename]
                text = data.decode("utf-8")
                text = _DIMENSION.sub(
                    f'<dimension ref="{_dimension(sheets[i].frame)}" />', text, count=1
                )
                # the skeleton's empty sheetData replaced by the body, written in three
                # pieces: a city's sheet is never copied into one text
                found = _SHEET_DATA.search(text)
                if found is not None:
                    large = 4 * len(bodies[i]) >= zipfile.ZIP64_LIMIT  # up to 4 bytes a character
                    with out.open(info.filename, "w", force_zip64=large) as part:
                        for piece in (text[: found.start()], bodies[i], text[found.end() :]):
                            part.write(piece.encode("utf-8"))
                    continue
                data = text.encode("utf-8")
            out.writestr(info.filename, data)
    return True
