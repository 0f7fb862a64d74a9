"""Read the messy spreadsheets Chinese offices and map services export.

Shared by :mod:`geoplan.sources.poi` (Amap/Baidu POI tables) and
:mod:`geoplan.sources.register` (community registers, 社区台账). Such files
come as CSV in UTF-8 or GBK, or as Excel workbooks with a title row above the
header, a header over two rows with merged cells (a merged "面积（㎡）" above
"总建筑面积 | 服务设施面积"), full-width digits (U+FF10-FF19), numbers with units
(``300㎡``) and summary rows (合计) below the data.

* :func:`read_table` finds the header row(s), renames the columns it knows to
  canonical names and returns the data rows as text, indexed by their row
  number in the file.
* :func:`normalize_text` folds full-width characters to ASCII and tidies
  whitespace.
* :func:`to_number` parses numbers written as people write them and says
  which cells were not numbers.

Examples
--------
>>> normalize_text("  朝阳社区（\uff11\uff12\uff13）  ")
'朝阳社区(123)'
>>> import pandas as pd
>>> values, failed = to_number(pd.Series(["1,234", "\uff11\uff12.5", "300㎡", "无", "约50"]))
>>> values.tolist()[:3], failed
([1234.0, 12.5, 300.0], [4])
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import math
import numbers
import os
import re
import unicodedata
import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from geoplan._errors import DataSourceError, InputError, UnreadableCellsWarning
from geoplan.sources._inputs import check_regular_file

__all__ = [
    "BLANK_MARKERS",
    "HEADER_SCAN_ROWS",
    "SUMMARY_WORDS",
    "UnreadableCellsWarning",
    "decode_text",
    "header_key",
    "normalize_text",
    "read_table",
    "row_list",
    "to_number",
]

log = logging.getLogger(__name__)

#: How many rows from the top are searched for the header.
HEADER_SCAN_ROWS: Final = 15
#: Rows whose first filled cell is one of these words are summary rows and are dropped.
SUMMARY_WORDS: Final = frozenset(
    {"合计", "总计", "小计", "共计", "总数", "total", "subtotal", "sum"}
)
#: Cell texts that mean "no value": they become NaN without being reported.
BLANK_MARKERS: Final = frozenset(
    {"", "-", "--", "---", "—", "——", "–", "/", "无", "暂无", "空", "n/a", "na", "nan", "none"}
    | {"null", "#n/a"}
)
# Footnotes under a table: rows with at most two filled cells starting with these.
_FOOTNOTE_PREFIXES: Final = ("注:", "注：", "说明", "备注:", "备注：", "填报", "制表", "审核")
_EXCEL_SUFFIXES: Final = (".xlsx", ".xlsm")
_CSV_SUFFIXES: Final = (".csv", ".tsv", ".txt", ".tab")
_BOMS: Final = (
    (b"\xef\xbb\xbf", "utf-8-sig", "utf-8"),
    (b"\xff\xfe", "utf-16", "utf-16"),
    (b"\xfe\xff", "utf-16", "utf-16"),
)
#: Tried in this order after UTF-8; the one whose text is most plausible Chinese wins.
_LEGACY_ENCODINGS: Final = ("gb18030", "big5")
_ENCODING_NAMES: Final = {"utf-8": "UTF-8", "utf-16": "UTF-16", "big5": "Big5"}
_MAX_LISTED: Final = 20

_SPACES = re.compile(r"\s+")
_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】|<[^<>]*>")
_KEY_DROP = re.compile(r"[\s_\-:/·.,;、'\"*#]+")
_UNIT_SUFFIX = re.compile(r"(m2|平方米|平米)$")
# A number: optional sign, digits with or without correct thousands groups, a
# fraction, an exponent; then an optional unit.
_NUMBER = re.compile(
    r"^(?P<num>[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|[+-]?\.\d+)"
    r"(?P<exp>e[+-]?\d+)?\s*"
    r"(?P<unit>%|m2|m\^2|m|平方米|平米|米|人|户|个|名|间|处|座|套|次)?$",
    re.IGNORECASE,
)
_MINUS_SIGNS = str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-"})


# ====================================================================== text
def normalize_text(value: object) -> str:
    """Return a cell as tidy text: full-width forms folded to ASCII, whitespace collapsed.

    Unicode NFKC folds full-width digits, letters and punctuation (U+FF01-FF5E:
    ``'\uff11\uff12\uff13'`` → ``'123'``, ``'，'`` → ``','``, ``'（'`` → ``'('``),
    the ideographic space,
    and compatibility forms such as ``'㎡'`` → ``'m2'``; then the text is
    stripped and every run of whitespace becomes one space. Missing values
    (None, NaN, ``pd.NA``) give ``''``; other objects their ``str()``.

    Parameters
    ----------
    value
        A cell: text, a number, None or NaN.

    Returns
    -------
    str
        The tidied text (``''`` for a missing value).

    Examples
    --------
    >>> normalize_text("Ａ区　１２号，东门")
    'A区 12号,东门'
    >>> normalize_text(float("nan"))
    ''
    """
    if _is_missing(value):
        return ""
    text = unicodedata.normalize("NFKC", value if isinstance(value, str) else str(value))
    return _SPACES.sub(" ", text).strip()


def header_key(text: object) -> str:
    """Return the form in which a header and an alias are compared.

    :func:`normalize_text`, case folded, without bracketed parts (units such as
    ``（㎡）``, ``(人)``), a trailing area unit, spaces and the punctuation
    ``_ - : / · . , ; 、``. So ``'总建筑面积（㎡）'``, ``'总建筑面积 m2'`` and
    ``'总建筑面积'`` compare equal, as do ``'POI 名称'`` and ``'poi名称'``.

    Parameters
    ----------
    text
        A header cell or an alias.

    Returns
    -------
    str

    Examples
    --------
    >>> header_key("总建筑面积（㎡）") == header_key("总建筑面积") == "总建筑面积"
    True
    >>> header_key(" GCJ_Lng ")
    'gcjlng'
    """
    key = normalize_text(text).casefold()
    previous = None
    while previous != key:  # nested brackets
        previous = key
        key = _BRACKETED.sub("", key)
    key = _KEY_DROP.sub("", key)
    stripped = _UNIT_SUFFIX.sub("", key)
    return stripped or key


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _is_blank(text: str) -> bool:
    return text.casefold() in BLANK_MARKERS


# ====================================================================== numbers
def to_number(values: pd.Series[Any]) -> tuple[pd.Series[float], list[Hashable]]:
    """Parse numbers as spreadsheets hold them; say which cells were not numbers.

    Accepted, after :func:`normalize_text`: plain numbers (``'12'``, ``'-3.5'``,
    ``'1e3'``), thousands separators in correct groups (``'1,234'``,
    ``'1,234.5'``), full-width digits and points (U+FF10-FF19, U+FF0E), and one
    trailing unit, which is dropped: ``'300㎡'``, ``'300 m2'``, ``'300平方米'``,
    ``'12人'``, ``'5户'``, ``'3个'``. A percent sign is dropped too, so
    ``'45%'`` gives ``45.0`` (percent units, not 0.45). Numbers pass through
    (booleans do not: they count as not numbers).

    Blank cells and the markers of :data:`BLANK_MARKERS` (``'-'``, ``'—'``,
    ``'无'``, ``'/'``, ``'N/A'`` ...) become NaN silently. Anything else
    (``'约50'``, ``'1.2万'``, ``'1,2'``, ``'inf'``) becomes NaN and its row
    label is returned in ``failed``; the caller reports it.

    Parameters
    ----------
    values
        The cells, any dtype. Not modified.

    Returns
    -------
    numbers : pandas.Series
        float64, same index and name as ``values``.
    failed : list
        The index labels of the cells that held something that is not a
        number, in order.

    Examples
    --------
    >>> s = pd.Series(["45%", " 1,234.5 ", "—", "abc"], index=[3, 4, 5, 6])
    >>> numbers, failed = to_number(s)
    >>> numbers.tolist()[:2], numbers.isna().tolist()[2:], failed
    ([45.0, 1234.5], [True, True], [6])
    """
    cache: dict[Any, float | None] = {}
    out = np.full(len(values), np.nan)
    failed: list[Hashable] = []
    for i, (label, value) in enumerate(values.items()):
        try:
            parsed = cache[value]
        except KeyError:
            parsed = _parse_number(value)
            cache[value] = parsed
        except TypeError:  # unhashable cell (a list): not a number
            parsed = None
        if parsed is None:
            failed.append(label)
        else:
            out[i] = parsed
    return pd.Series(out, index=values.index, name=values.name, dtype="float64"), failed


def _parse_number(value: object) -> float | None:
    """Return the number in a cell, NaN for a blank one, None for a cell that is not a number."""
    if _is_missing(value):
        return math.nan
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, numbers.Real):
        number = float(value)
        return number if math.isfinite(number) else None
    text = normalize_text(value).translate(_MINUS_SIGNS)
    if _is_blank(text):
        return math.nan
    match = _NUMBER.match(text)
    if match is None:
        return None
    number = float(match["num"].replace(",", "") + (match["exp"] or ""))
    return number if math.isfinite(number) else None


# ====================================================================== reading
@dataclass(frozen=True)
class _Header:
    """A header found in the grid: its rows, and per column the text and canonical name."""

    rows: tuple[int, ...]
    texts: list[str]
    canonical: list[str | None]

    @property
    def score(self) -> int:
        return sum(c is not None for c in self.canonical)


def read_table(
    path: str | os.PathLike[str],
    *,
    sheet: str | int | None = None,
    expected: Mapping[str, Sequence[str]],
) -> pd.DataFrame:
    r"""Read a CSV or Excel table whose header may sit below a title, over one or two rows.

    **Files.** CSV (``.csv``, ``.tsv``, ``.txt``; tab-separated when the first
    lines hold more tabs than commas) is decoded as UTF-8 or UTF-16 when it
    starts with their byte-order mark, else as UTF-8, else as GB18030 (the
    superset of the GBK that mainland Windows programs write) or Big5,
    whichever reads as more plausible Chinese (see :func:`decode_text`); the
    encoding used is logged. A text holding NUL bytes is refused. Excel
    workbooks are ``.xlsx``/``.xlsm``, read with openpyxl; an old ``.xls`` is
    refused with a request to save it as ``.xlsx``. Formula cells without a
    saved value (a workbook written by a program and never opened in Excel)
    are read as empty and reported in an
    :class:`~geoplan.UnreadableCellsWarning` naming each cell (``C5``).

    **Header.** Each of the first :data:`HEADER_SCAN_ROWS` rows, and each pair
    of consecutive rows among them, is matched against ``expected``; the one
    naming most canonical columns wins (on a tie one row beats a pair, then
    the upper one wins). A header cell matches an alias when both are equal
    after :func:`header_key` (case, spaces, full-width forms, bracketed units
    ignored). In a pair, a column's header is tried as upper + lower text
    (``'社区综合服务设施' + '建筑面积'``), then the lower cell alone, then the
    upper cell alone when the lower is empty (a cell merged down); an empty
    upper cell with a filled lower one takes the upper text from the left,
    which is how a merged cell spanning several columns reads (its value sits
    in the first column only). Rows above the header (titles) are dropped.

    **Rows.** Empty rows, summary rows (first filled cell is one of
    :data:`SUMMARY_WORDS`, e.g. 合计, 总计, 小计) and footnotes (at most two
    filled cells, the first starting with 注：/说明/填报/制表/审核) are dropped;
    the summary and footnote rows are logged with their row numbers. Columns
    without a header and without data are dropped.

    Parameters
    ----------
    path
        The file.
    sheet
        Excel only: the sheet name or 0-based position; the first sheet when
        omitted.
    expected
        Canonical column name → accepted header texts (Chinese and English).
        The canonical name itself is accepted too. Each canonical name is
        given to the first column that matches it.

    Returns
    -------
    pandas.DataFrame
        The data rows, indexed by their row number in the file (1-based, as
        a spreadsheet shows it; for CSV the record number), index name
        ``"row"``. Matched columns carry their canonical names, the others
        their header text (both rows joined by a space for a two-row header;
        ``column_<n>`` when empty; a ``_2`` suffix for a repeated name). Cells
        are text (str, stripped, as in the file; Excel numbers written as
        text, whole numbers without ``.0``) or None. ``attrs`` records
        ``source``, ``encoding`` (CSV) or ``sheet`` (Excel), ``header_rows``
        and ``headers`` (column → its header text in the file).

    Raises
    ------
    DataSourceError
        The file is missing, a folder or a device, unreadable, an ``.xls`` or
        of an unknown type, or a CSV in none of the encodings above (or
        holding NUL bytes).
    InputError
        The file is empty, the sheet does not exist, or no row of the top
        :data:`HEADER_SCAN_ROWS` names any expected column (the message lists
        the first row found and the accepted names).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> text = "社区台账\n社区名称,人口（人）\n朝阳,1200\n合计,1200\n"
    >>> _ = (folder / "t.csv").write_text(text, encoding="gbk")
    >>> expected = {"name": ["社区名称"], "population": ["人口"]}
    >>> table = read_table(folder / "t.csv", expected=expected)
    >>> table.index.tolist(), table.columns.tolist(), table.iloc[0].tolist()
    ([3], ['name', 'population'], ['朝阳', '1200'])
    """
    file = Path(path)
    grid, attrs = _read_grid(file, sheet)
    if not any(any(cell is not None for cell in row) for row in grid):
        msg = f"{file}: the file is empty (no cell holds anything); export the table again"
        raise InputError(msg)
    aliases = _alias_table(expected)
    header = _find_header(grid, aliases)
    if header.score == 0:
        first = next(row for row in grid if any(cell is not None for cell in row))
        found = ", ".join(repr(c) for c in first if c is not None) or "nothing"
        accepted = "; ".join(f"{name}: {', '.join(names)}" for name, names in expected.items())
        msg = (
            f"{file}: no header row found: none of the first {HEADER_SCAN_ROWS} rows names a "
            f"known column (the first row reads {found}). Give the table a header row with "
            f"some of these names: {accepted}"
        )
        raise InputError(msg)
    frame, texts = _data_frame(grid, header, file)
    record: dict[Hashable, Any] = {"source": str(file)}
    record.update(attrs)
    record["header_rows"] = [r + 1 for r in header.rows]
    record["headers"] = dict(zip(map(str, frame.columns), texts, strict=True))
    frame.attrs = record
    return frame


def row_list(labels: Sequence[Hashable]) -> str:
    """Return row labels as a short list for a message: the first 20, then how many more.

    Parameters
    ----------
    labels
        Row labels (row numbers of the file).

    Returns
    -------
    str

    Examples
    --------
    >>> row_list([3, 5, 9])
    '3, 5, 9'
    >>> row_list(list(range(1, 26)))
    '1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20 and 5 more'
    """
    shown = ", ".join(str(label) for label in labels[:_MAX_LISTED])
    more = len(labels) - _MAX_LISTED
    return f"{shown} and {more} more" if more > 0 else shown


# ---------------------------------------------------------------------- grids
def _read_grid(
    file: Path, sheet: str | int | None
) -> tuple[list[list[str | None]], dict[str, Any]]:
    """Return every row of the file as cell texts (None for empty cells), padded to one width."""
    if not file.exists():
        msg = f"{file}: no such file; check the path (relative paths start at {Path.cwd()})"
        raise DataSourceError(msg)
    check_regular_file(file, what="a CSV or Excel table")
    suffix = file.suffix.lower()
    if suffix == ".xls":
        msg = (
            f"{file}: old Excel 97-2003 (.xls) workbooks are not read; open it in Excel or WPS "
            "and save it as .xlsx (文件 → 另存为 → Excel 工作簿), or export it as CSV"
        )
        raise DataSourceError(msg)
    if suffix in _EXCEL_SUFFIXES:
        rows, attrs = _excel_rows(file, sheet)
    elif suffix in _CSV_SUFFIXES:
        if sheet is not None:
            log.info("%s: a CSV file has no sheets; sheet=%r is ignored", file, sheet)
        rows, attrs = _csv_rows(file)
    else:
        msg = (
            f"{file}: unknown table type {file.suffix!r}; geoplan reads CSV (.csv, .tsv, .txt) "
            "and Excel (.xlsx) files. Export the table as one of these"
        )
        raise DataSourceError(msg)
    width = max((len(r) for r in rows), default=0)
    return [list(r) + [None] * (width - len(r)) for r in rows], attrs


def _cell_text(value: object) -> str | None:
    """Return an Excel or CSV cell as stripped text; None when empty."""
    if _is_missing(value):
        return None
    if isinstance(value, str):
        text = value.strip()
    elif isinstance(value, bool | np.bool_):
        text = "true" if value else "false"
    elif isinstance(value, numbers.Integral):
        text = str(int(value))
    elif isinstance(value, numbers.Real):
        number = float(value)
        text = str(int(number)) if number.is_integer() and abs(number) < 2**53 else repr(number)
    elif isinstance(value, dt.datetime | dt.date | dt.time):
        text = value.isoformat()
    else:
        text = str(value).strip()
    return text or None


def _excel_rows(
    file: Path, sheet: str | int | None
) -> tuple[list[list[str | None]], dict[str, Any]]:
    import zipfile

    try:
        with pd.ExcelFile(file, engine="openpyxl") as book:
            names = [str(n) for n in book.sheet_names]
            chosen = _sheet_name(file, names, sheet)
            raw = pd.read_excel(book, sheet_name=chosen, header=None, dtype=object)
    except ImportError as exc:
        msg = (
            f"{file}: reading Excel files needs openpyxl ({exc}); install it with "
            "pip install openpyxl, or export the table as CSV"
        )
        raise DataSourceError(msg) from None
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        if isinstance(exc, InputError):
            raise
        msg = (
            f"{file}: not a readable .xlsx workbook ({type(exc).__name__}: {exc}); open it in "
            "Excel or WPS and save it again as .xlsx, or export it as CSV"
        )
        raise DataSourceError(msg) from None
    rows = [[_cell_text(v) for v in row] for row in raw.itertuples(index=False, name=None)]
    log.info("%s: read sheet %r (%d rows)", file.name, chosen, len(rows))
    _warn_unsaved_formulas(file, chosen)
    return rows, {"sheet": chosen}


def _warn_unsaved_formulas(file: Path, sheet: str) -> None:
    """Warn about formula cells that have no saved value (they read as empty)."""
    cells = unsaved_formulas(file, sheet)
    if not cells:
        return
    shown = [f"{ref} ({formula})" for ref, formula in cells]
    msg = (
        f"{file.name}, sheet {sheet!r}: {len(cells)} cell(s) hold a formula without a saved "
        f"value: {row_list(shown)}; geoplan does not compute formulas, so they were read as "
        "empty. Open the workbook in Excel or WPS and save it (this stores the values), or "
        "replace the formulas by their values"
    )
    warnings.warn(msg, UnreadableCellsWarning, stacklevel=5)


def unsaved_formulas(file: Path, sheet: str) -> list[tuple[str, str]]:
    """Return the cells of a sheet holding a formula but no saved value, as (``"C5"``, formula).

    A workbook written by a program (openpyxl, pandas) and never opened in
    Excel keeps formulas without their results; reading values gives None.

    Parameters
    ----------
    file
        An ``.xlsx``/``.xlsm`` workbook.
    sheet
        The sheet's name.

    Returns
    -------
    list of tuple
        In reading order.
    """
    import openpyxl  # type: ignore[import-untyped]  # no stubs installed

    formulas: dict[str, str] = {}
    book = openpyxl.load_workbook(file, read_only=True, data_only=False)
    try:
        for row in book[sheet].iter_rows():
            for cell in row:
                if getattr(cell, "data_type", None) == "f":
                    formulas[cell.coordinate] = str(cell.value)
    finally:
        book.close()
    if not formulas:
        return []
    values = openpyxl.load_workbook(file, read_only=True, data_only=True)
    try:
        return [
            (cell.coordinate, formulas[cell.coordinate])
            for row in values[sheet].iter_rows()
            for cell in row
            if getattr(cell, "coordinate", None) in formulas and cell.value is None
        ]
    finally:
        values.close()


def _sheet_name(file: Path, names: Sequence[str], sheet: str | int | None) -> str:
    if sheet is None:
        return names[0]
    if isinstance(sheet, int) and not isinstance(sheet, bool):
        if 0 <= sheet < len(names):
            return names[sheet]
    elif isinstance(sheet, str):
        if sheet in names:
            return sheet
        near = [n for n in names if normalize_text(n) == normalize_text(sheet)]
        if near:
            return near[0]
    listed = ", ".join(repr(n) for n in names)
    msg = (
        f"{file}: there is no sheet {sheet!r}; the workbook has {listed}. Pass one of these "
        "names (or a 0-based position) as sheet="
    )
    raise InputError(msg)


def _csv_rows(file: Path) -> tuple[list[list[str | None]], dict[str, Any]]:
    try:
        data = file.read_bytes()
    except OSError as exc:
        msg = f"{file}: cannot be read ({exc}); check its permissions"
        raise DataSourceError(msg) from None
    if not data.strip():
        msg = f"{file}: the file is empty; export the table again"
        raise InputError(msg)
    text, encoding = decode_text(data, file)
    log.info("%s: read as CSV in %s", file.name, _ENCODING_NAMES.get(encoding, encoding))
    head = text[:20000].splitlines()[:20]
    tabs = sum(line.count("\t") for line in head)
    commas = sum(line.count(",") for line in head)
    delimiter = "\t" if file.suffix.lower() in (".tsv", ".tab") or tabs > commas else ","
    _check_quotes(text, delimiter, file)
    try:
        rows = [
            [_cell_text(cell) for cell in record]
            for record in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        ]
    except csv.Error as exc:
        msg = f"{file}: not a readable CSV file ({exc}); export the table again"
        raise DataSourceError(msg) from None
    return rows, {"encoding": encoding}


def _check_quotes(text: str, delimiter: str, file: Path) -> None:
    """Refuse a CSV whose quoted cell never closes (it would swallow every row below it)."""
    if '"' not in text:
        return
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 1
    try:
        for _ in reader:
            start = reader.line_num + 1
    except csv.Error as exc:
        if "unexpected end of data" not in str(exc):
            return  # a stray quote inside a cell: the lenient reading keeps it as text
        msg = (
            f"{file}: a quoted cell opened on line {start} never closes, so every line below "
            'it would read as one cell; add the closing quote (") in the file, or export the '
            "table again"
        )
        raise DataSourceError(msg) from None


def decode_text(data: bytes, file: Path) -> tuple[str, str]:
    r"""Decode a text file in the encodings Chinese offices write; return it and the encoding.

    A byte-order mark decides (UTF-8 or UTF-16). Without one, strict UTF-8 is
    tried first; then GB18030 (the superset of GBK and GB2312, mainland
    Windows) and Big5 (Taiwan, Hong Kong) are both tried, and the decoding
    whose text is most plausible wins (:func:`_plausibility`): Big5 bytes
    always decode as GB18030 too, into rare characters and symbols, so the
    first decoding that succeeds is not enough. A tie goes to GB18030.

    Parameters
    ----------
    data
        The file's bytes.
    file
        The file, for messages.

    Returns
    -------
    text : str
    encoding : str
        ``"utf-8"``, ``"utf-16"``, ``"gb18030"`` or ``"big5"``.

    Raises
    ------
    DataSourceError
        No encoding decodes the bytes, or the text holds NUL characters (a
        binary file, or UTF-16 without its byte-order mark).

    Examples
    --------
    >>> decode_text("名稱,地址\n臺北市大安區衛生所,信義路\n".encode("big5"), Path("t.csv"))[1]
    'big5'
    >>> decode_text("名称,地址\n朝阳社区卫生服务站,人民大街\n".encode("gbk"), Path("t.csv"))[1]
    'gb18030'
    """
    text, encoding = _decoded(data)
    if text is None:
        msg = (
            f"{file}: the text is neither UTF-8 nor GBK/GB18030, Big5 or UTF-16 (with its "
            "byte-order mark); save the table again as 'CSV UTF-8' "
            "(Excel: 另存为 → CSV UTF-8(逗号分隔)) or as .xlsx"
        )
        raise DataSourceError(msg)
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        msg = (
            f"{file}: the text holds NUL bytes (first on line {line}), so it is not a plain "
            "text table: a binary file, or UTF-16 saved without its byte-order mark. Save the "
            "table again as 'CSV UTF-8' (Excel: 另存为 → CSV UTF-8(逗号分隔)) or as .xlsx"
        )
        raise DataSourceError(msg)
    return text, encoding


def _decoded(data: bytes) -> tuple[str | None, str]:
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), name
            except UnicodeDecodeError:
                return None, name
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return _utf8_or_gbk(text, data)
    return _legacy(data)


def _utf8_or_gbk(text: str, data: bytes) -> tuple[str, str]:
    """Return UTF-8 text, unless it is GBK Chinese whose bytes happen to be valid UTF-8.

    GBK pairs such as C2 B7 (路) or D0 A1 (小) are valid UTF-8 too (U+00B7, U+0421):
    a GBK file of only such characters reads in UTF-8 as Latin or Cyrillic symbols,
    standing apart from any ASCII word. Accented letters of real UTF-8 text (café,
    Müller) stand inside ASCII words, and that text stays UTF-8.
    """
    sample = text[:200_000]
    if sample.isascii() or any("\u4e00" <= c <= "\u9fff" for c in sample):
        return text, "utf-8"
    others = [i for i, c in enumerate(sample) if ord(c) > 127]
    inside_words = sum(
        1
        for i in others
        if (i > 0 and sample[i - 1].isascii() and sample[i - 1].isalpha())
        or (i + 1 < len(sample) and sample[i + 1].isascii() and sample[i + 1].isalpha())
    )
    if inside_words * 2 > len(others):
        return text, "utf-8"
    legacy, encoding = _legacy(data)
    if legacy is not None and _plausibility(legacy, encoding) >= 0.9:
        return legacy, encoding
    return text, "utf-8"


def _legacy(data: bytes) -> tuple[str | None, str]:
    """Decode as GB18030 or Big5, whichever reads as more plausible Chinese."""
    best: tuple[float, str, str] | None = None
    for encoding in _LEGACY_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        score = _plausibility(text, encoding)
        if best is None or score > best[0]:
            best = (score, text, encoding)
    return (None, "") if best is None else (best[1], best[2])


def _plausibility(text: str, encoding: str) -> float:
    """Score how much a decoding reads like Chinese: common characters up, oddities down.

    Common characters are those of GB2312 for a GB18030 decoding and of
    Big5's frequent set (lead byte 0xA4-0xC6) for a Big5 decoding; odd ones
    are private-use, unassigned and control characters, which a wrong
    decoding produces. The score is (common - 2 x odd) / (Chinese + odd).
    """
    chinese = common = odd = 0
    for char in text[:200_000]:
        if "\u4e00" <= char <= "\u9fff":
            chinese += 1
            common += _is_common(char, encoding)
        elif ord(char) > 127 and unicodedata.category(char) in ("Co", "Cn", "Cs", "Cc"):
            odd += 1
    return (common - 2 * odd) / max(chinese + odd, 1)


def _is_common(char: str, encoding: str) -> bool:
    try:
        code = char.encode("gb2312" if encoding == "gb18030" else "big5")
    except UnicodeEncodeError:
        return False
    return encoding == "gb18030" or 0xA4 <= code[0] <= 0xC6


# ---------------------------------------------------------------------- header
def _alias_table(expected: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Header key → canonical name; an alias listed twice belongs to its first name."""
    table: dict[str, str] = {}
    for name, aliases in expected.items():
        for alias in (name, *aliases):
            key = header_key(alias)
            if key:
                table.setdefault(key, name)
    return table


def _find_header(grid: Sequence[Sequence[str | None]], aliases: Mapping[str, str]) -> _Header:
    best: _Header | None = None
    limit = min(HEADER_SCAN_ROWS, len(grid))
    for r in range(limit):
        if not any(cell is not None for cell in grid[r]):
            continue
        candidates = [_match_row(grid[r], r, aliases)]
        if r + 1 < limit:
            candidates.append(_match_pair(grid[r], grid[r + 1], r, aliases))
        for header in candidates:
            # more matches win; on a tie one row beats a pair (a title above the header
            # row, or the header above the first data row), then the upper one
            if best is None or (header.score, -len(header.rows)) > (best.score, -len(best.rows)):
                best = header
    if best is None:
        return _Header((0,), [], [])
    return best


def _assign(
    options: Sequence[Sequence[str]], aliases: Mapping[str, str]
) -> tuple[list[str | None], list[str]]:
    """Give each column the first canonical name one of its header texts matches."""
    taken: set[str] = set()
    canonical: list[str | None] = []
    texts: list[str] = []
    for column in options:
        found = None
        for text in column:
            name = aliases.get(header_key(text))
            if name is not None and name not in taken:
                found = name
                taken.add(name)
                break
        canonical.append(found)
        texts.append(column[0] if column else "")
    return canonical, texts


def _match_row(row: Sequence[str | None], r: int, aliases: Mapping[str, str]) -> _Header:
    options = [[cell] if cell is not None else [] for cell in row]
    canonical, texts = _assign(options, aliases)
    return _Header((r,), texts, canonical)


def _match_pair(
    upper: Sequence[str | None],
    lower: Sequence[str | None],
    r: int,
    aliases: Mapping[str, str],
) -> _Header:
    options: list[list[str]] = []
    carry: str | None = None
    for top, bottom in zip(upper, lower, strict=True):
        if top is not None:
            carry = top if bottom is not None else None
        elif bottom is None:
            carry = None
        above = top if top is not None else carry
        if above is not None and bottom is not None:
            joined = f"{above} {bottom}" if above != bottom else bottom
            options.append([joined, bottom] if joined != bottom else [bottom])
        elif bottom is not None:
            options.append([bottom])
        elif above is not None:
            options.append([above])
        else:
            options.append([])
    canonical, texts = _assign(options, aliases)
    return _Header((r, r + 1), texts, canonical)


# ---------------------------------------------------------------------- rows
def _row_kind(row: Sequence[str | None]) -> str:
    filled = [c for c in row if c is not None]  # cells are stripped; None when empty
    if not filled:
        return "empty"
    head = normalize_text(filled[0])
    if re.sub(r"[\s:：]+", "", head).casefold() in SUMMARY_WORDS:
        return "summary"
    if len(filled) <= 2 and head.startswith(_FOOTNOTE_PREFIXES):
        return "footnote"
    return "data"


def _data_frame(
    grid: Sequence[Sequence[str | None]], header: _Header, file: Path
) -> tuple[pd.DataFrame, list[str]]:
    """Return the data rows below the header, and the header text of each kept column."""
    start = header.rows[-1] + 1
    body = grid[start:]
    kinds = [_row_kind(row) for row in body]
    keep = [i for i, kind in enumerate(kinds) if kind == "data"]
    for kind in ("summary", "footnote"):
        rows = [start + i + 1 for i, k in enumerate(kinds) if k == kind]
        if rows:
            log.info("%s: dropped %d %s row(s): %s", file.name, len(rows), kind, row_list(rows))
    width = len(header.canonical)
    columns = []
    for j in range(width):
        has_data = any(body[i][j] is not None for i in keep)
        named = header.canonical[j] is not None or header.texts[j]
        if named or has_data:
            columns.append(j)
    names = _column_names(header, columns)
    data = {name: [body[i][j] for i in keep] for name, j in zip(names, columns, strict=True)}
    index = pd.Index([start + i + 1 for i in keep], name="row", dtype="int64")
    frame = pd.DataFrame(data, index=index, columns=names, dtype=object)
    return frame, [header.texts[j] for j in columns]


def _column_names(header: _Header, columns: Sequence[int]) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    for j in columns:
        base = header.canonical[j] or normalize_text(header.texts[j]) or f"column_{j + 1}"
        name, n = base, 1
        while name in seen:
            n += 1
            name = f"{base}_{n}"
        seen.add(name)
        names.append(name)
    return names
