r"""CSV tables written column by column: the bytes pandas' ``to_csv`` writes, each value once.

pandas formats every cell of a table and hands the rows to :mod:`csv`; a city's
life-circle table (134,000 rows of communities x types) repeats the same few
hundred values in most columns. Here each column's distinct values are
formatted once, as pandas formats them (numbers with numpy's ``str``, missing
values as empty text) and quoted by :mod:`csv` itself, then spread over the
rows and joined: the same bytes, in about half the time. Columns this writer
does not know (objects, dates, categories) return ``None`` so the caller can
fall back to pandas.

Examples
--------
>>> frame = pd.DataFrame({"name": ["a", "b,c", None], "n": [1.5, float("nan"), 2.0]})
>>> print(csv_text(frame, index=False).replace("\r\n", "|"))
name,n|a,1.5|"b,c",|,2.0|
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

__all__ = ["csv_text", "distinct"]

_LINE_END = "\r\n"


def csv_text(frame: pd.DataFrame, *, index: bool) -> str | None:
    r"""Return ``frame.to_csv(index=index, lineterminator="\r\n")``'s text, or None.

    None when a column holds values this writer does not format as pandas
    does (objects, dates, categories, extension numbers), when the columns
    are a :class:`~pandas.MultiIndex`, or when the table has fewer than two
    columns (:mod:`csv` quotes a row's only empty field).
    """
    if index:
        if isinstance(frame.index, pd.MultiIndex) or frame.index.name is None:
            return None
        try:
            frame = frame.reset_index()
        except ValueError:  # the index's name is a column's too
            return None
    if isinstance(frame.columns, pd.MultiIndex) or frame.shape[1] < 2:
        return None
    columns = [_column_fields(frame.iloc[:, j]) for j in range(frame.shape[1])]
    if any(column is None for column in columns):
        return None
    header = ",".join(_fields(_label(c) for c in frame.columns))
    rows = map(",".join, zip(*columns, strict=True))
    body = "".join([row + _LINE_END for row in rows])
    return header + _LINE_END + body


def _column_fields(series: pd.Series) -> list[str] | None:
    """Return a column's fields as pandas writes them (each distinct value formatted once)."""
    dtype = series.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
        codes, values = distinct(series.to_numpy())
        texts = values.astype(str).astype(object)
        if dtype.kind == "f":  # missing values as empty text (pandas' na_rep)
            texts[np.isnan(values)] = ""
        return list(texts[codes])
    if isinstance(dtype, pd.StringDtype):  # text: quoted by csv itself; missing values empty
        codes, found = pd.factorize(series, use_na_sentinel=True)
        fields = np.array([*_fields(found), ""], dtype=object)
        return list(fields[codes])  # a missing value's code, -1, takes the last: ""
    return None


def _label(value: Any) -> str:
    """Return a column's header as pandas writes it: a missing label (None, NaN, NA) empty."""
    try:
        missing = bool(pd.isna(value))
    except (TypeError, ValueError):  # a tuple or list label: never missing
        missing = False
    return "" if missing else str(value)


def distinct(values: NDArray[Any]) -> tuple[NDArray[np.intp], NDArray[Any]]:
    """Return each value's code and the distinct values (of a boolean or number array).

    Numbers are told apart by their bits, as they are written: ``-0.0`` is not
    ``0.0``, and every NaN is one of its own kind (written alike).

    Examples
    --------
    >>> codes, values = distinct(np.array([0.5, -0.0, 0.5, 0.0]))
    >>> codes.tolist(), values.tolist()
    ([0, 1, 0, 2], [0.5, -0.0, 0.0])
    """
    bits = values.view(f"i{values.itemsize}") if values.dtype.kind == "f" else values
    codes, found = pd.factorize(bits)
    return codes, np.asarray(found).view(values.dtype)


def _fields(texts: Iterable[str]) -> list[str]:
    """Return each text as :mod:`csv` writes it as a field (quoted where it must be)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=_LINE_END)  # a field holding "\r" is quoted
    fields = []
    for text in texts:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([text, ""])  # beside another field: an empty text is not quoted
        fields.append(buffer.getvalue()[: -len("," + _LINE_END)])
    return fields
