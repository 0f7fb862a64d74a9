r"""Read community registers (社区台账) and join them to community boundaries.

A register is the spreadsheet a civil-affairs bureau (民政局) keeps of its
communities: names and codes, households and population, the floor areas of
the community service facilities, the staff. :func:`read_register` reads one
(CSV in UTF-8 or GBK, or Excel; a title row, a two-row header with merged
cells, full-width digits, units in the cells and summary rows are all
handled) into fixed canonical columns; :func:`join_register` attaches it to
the community boundary polygons by code or by name and lists what did not
match on either side.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> text = "社区名称,社区代码,常住人口\n朝阳社区,001,3200\n合计,,3200\n"
>>> _ = (folder / "register.csv").write_text(text, encoding="gbk")
>>> register = read_register(folder / "register.csv")
>>> register[["community_name", "community_code", "population"]].values.tolist()
[['朝阳社区', '001', 3200.0]]
"""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, Literal

import geopandas as gpd
import pandas as pd

from geoplan._errors import InputError
from geoplan.sources._tables import (
    UnreadableCellsWarning,
    header_key,
    normalize_text,
    read_table,
    row_list,
    to_number,
)

__all__ = [
    "NAME_SUFFIXES",
    "REGISTER_COLUMNS",
    "join_register",
    "name_key",
    "read_register",
]

log = logging.getLogger(__name__)

#: Canonical register columns and the header texts accepted for them (compared after
#: :func:`geoplan.sources._tables.header_key`: case, spaces, full-width forms and
#: bracketed units such as （㎡） ignored).
REGISTER_COLUMNS: Final[Mapping[str, tuple[str, ...]]] = {
    "community_name": (
        "社区名称",
        "社区",
        "名称",
        "社区(村)名称",
        "社区(村)",
        "村(社区)",
        "村(社区)名称",
        "村社区名称",
        "社区居委会名称",
        "居委会名称",
        "community",
        "name",
    ),
    "community_code": (
        "社区代码",
        "统一代码",
        "编码",
        "代码",
        "code",
        "社区编码",
        "社区编号",
        "区划代码",
        "统计用区划代码",
        "行政区划代码",
    ),
    "district": (
        "所属区县",
        "区县",
        "区",
        "县",
        "县区",
        "县(市、区)",
        "所属区",
        "district",
        "county",
    ),
    "subdistrict": (
        "街道",
        "乡镇",
        "所属街道",
        "街道(乡镇)",
        "乡镇(街道)",
        "街道乡镇",
        "所属街道(乡镇)",
        "subdistrict",
        "town",
    ),
    "urban_rural": ("类型", "城乡", "城乡类型", "城乡属性", "城乡分类", "社区类型", "urban_rural"),
    "households": ("户数", "常住户数", "总户数", "住户数", "households"),
    "population": ("人口", "常住人口", "总人口", "人口数", "常住人口数", "population"),
    "total_floor_area_m2": (
        "社区总建筑面积",
        "总建筑面积",
        "建筑面积",
        "total_floor_area",
    ),
    "service_floor_area_m2": (
        "综合服务设施面积",
        "社区综合服务设施建筑面积",
        "社区综合服务设施面积",
        "综合服务设施建筑面积",
        "服务用房面积",
        "服务设施面积",
        "社区服务用房面积",
        "service_floor_area",
    ),
    "commercial_floor_area_m2": (
        "商业服务设施面积",
        "商业面积",
        "商业服务设施建筑面积",
        "商业用房面积",
        "commercial_floor_area",
    ),
    "activity_area_m2": (
        "居民活动区域面积",
        "活动用房面积",
        "居民活动用房面积",
        "活动区域面积",
        "居民活动场所面积",
        "activity_area",
    ),
    "self_service_terminal": (
        "政务通用自助服务",
        "自助终端",
        "政务通用自助服务终端",
        "政务自助服务终端",
        "自助服务终端",
        "是否配备政务通用自助服务终端",
        "是否配备自助终端",
    ),
    "workers": (
        "社区工作者人数",
        "工作人员数",
        "社区工作者",
        "社区工作者数",
        "工作人员",
        "工作人员人数",
        "workers",
    ),
    "certified_workers": (
        "持证社工",
        "取得社工证书人数",
        "持证社工人数",
        "持证社工数",
        "社工持证人数",
        "取得社会工作者职业资格证书人数",
        "certified_workers",
    ),
}

_TEXT_COLUMNS: Final = ("community_name", "district", "subdistrict")
_NUMBER_COLUMNS: Final = (
    "households",
    "population",
    "total_floor_area_m2",
    "service_floor_area_m2",
    "commercial_floor_area_m2",
    "activity_area_m2",
    "workers",
    "certified_workers",
)
#: The canonical columns, in the order a register is returned.
_ORDER: Final = tuple(REGISTER_COLUMNS)
_URBAN_RURAL: Final = {
    **dict.fromkeys(
        ("城市", "城镇", "社区", "城市社区", "城镇社区", "城", "居委会", "urban", "city"), "urban"
    ),
    **dict.fromkeys(
        ("农村", "村", "乡村", "农村社区", "行政村", "村委会", "乡", "rural", "village"), "rural"
    ),
}
_YES_NO: Final = {
    **dict.fromkeys(
        ("是", "有", "1", "true", "yes", "y", "t", "√", "✓", "✔", "已配备", "配备", "已安装"),
        True,
    ),
    **dict.fromkeys(
        ("否", "无", "0", "false", "no", "n", "f", "\u00d7", "✗", "✘", "未配备", "没有", "未安装"),
        False,
    ),
}
_BLANKS: Final = frozenset({"", "-", "--", "—", "——", "/", "n/a", "na", "nan", "none", "null"})
#: Name endings removed before names are compared, longest first (see :func:`name_key`).
NAME_SUFFIXES: Final = (
    "社区居民委员会",
    "村民委员会",
    "居民委员会",
    "社区居委会",
    "居委会",
    "村委会",
    "社区",
    "村",
)
_MAX_LISTED: Final = 20
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?e\+?\d+$", re.IGNORECASE)
_WHOLE_FLOAT = re.compile(r"^(\d+)\.0+$")


# ====================================================================== read
def read_register(path: str | os.PathLike[str], *, sheet: str | int | None = None) -> pd.DataFrame:
    r"""Read a community register (社区台账) from a CSV or Excel file.

    The header may sit below a title row and span two rows with merged cells
    (see :func:`geoplan.sources._tables.read_table`); summary rows (合计,
    总计, 小计) and empty rows are dropped. Headers are matched in Chinese or
    English, ignoring case, spaces, full-width forms and bracketed units (all
    aliases in :data:`REGISTER_COLUMNS`):

    ========================== ===================================================
    column                     headers (some of them)
    ========================== ===================================================
    community_name             社区名称, 社区, 名称, 社区（村）
    community_code             社区代码, 统一代码, 编码, 代码, code
    district                   所属区县, 区县, 区, 县
    subdistrict                街道, 乡镇, 所属街道, 街道（乡镇）
    urban_rural                类型, 城乡, 城乡类型
    households                 户数, 常住户数
    population                 人口, 常住人口
    total_floor_area_m2        社区总建筑面积, 总建筑面积
    service_floor_area_m2      综合服务设施面积, 社区综合服务设施建筑面积, 服务用房面积
    commercial_floor_area_m2   商业服务设施面积, 商业面积
    activity_area_m2           居民活动区域面积, 活动用房面积
    self_service_terminal      政务通用自助服务, 自助终端
    workers                    社区工作者人数, 工作人员数
    certified_workers          持证社工, 取得社工证书人数
    ========================== ===================================================

    Values:

    * ``community_code`` stays text: leading zeros are kept, full-width
      digits folded, spaces removed, a ``.0`` that a spreadsheet appended to
      a whole number dropped. A code Excel has cut to scientific notation
      (``2.20102E+11``) cannot be restored and is reported.
    * Names, district and subdistrict: :func:`~geoplan.sources._tables.normalize_text`.
    * ``urban_rural``: ``"urban"`` for 城市/城镇/社区/城市社区/urban, ``"rural"``
      for 农村/村/乡村/农村社区/行政村/rural.
    * Figures: :func:`~geoplan.sources._tables.to_number` (``'1,234'``,
      ``'300㎡'``, full-width digits; ``'-'``/``'—'``/``'无'`` are blank), as
      float64.
    * ``self_service_terminal``: True for 是/有/1/true/yes/√, False for
      否/无/0/false/no/✗, as pandas' nullable ``boolean``.

    **Problems.** Cells that cannot be read (a figure that is not a number,
    an unknown urban/rural or yes/no value, a code in scientific notation)
    become missing and are reported together, with their row numbers, in one
    :class:`~geoplan.UnreadableCellsWarning` (``warnings.warn``)
    and in ``attrs["problems"]`` (a list of ``{"row", "column", "value",
    "problem"}``). Blank figures are logged (``logging`` warning) with their
    rows. Negative figures and repeated community codes raise
    :class:`~geoplan.InputError`.

    Parameters
    ----------
    path
        A ``.csv`` (UTF-8 or GBK), ``.tsv``/``.txt`` or ``.xlsx`` file.
    sheet
        Excel only: the sheet name or 0-based position (default: the first).

    Returns
    -------
    pandas.DataFrame
        Indexed by the row number in the file (index name ``"row"``), with
        every canonical column above in that order (all missing where the file
        has no such column; those are logged), then the file's other columns
        as text.

    Raises
    ------
    InputError
        An empty file, no data rows, neither a name nor a code column, a
        negative figure, repeated community codes (the message lists them and
        their rows).
    DataSourceError
        A missing or unreadable file, an ``.xls`` workbook.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> text = ("长春市南关区社区台账\n社区名称,社区代码,城乡类型,户数,自助终端\n"
    ...         "永吉社区,0101,城市,\"1,200\",是\n合计,,,1200,\n")
    >>> _ = (folder / "r.csv").write_text(text, encoding="utf-8")
    >>> r = read_register(folder / "r.csv")
    >>> row = r.loc[3]
    >>> row["community_code"], row["urban_rural"], float(row["households"])
    ('0101', 'urban', 1200.0)
    >>> bool(row["self_service_terminal"])
    True
    """
    file = Path(path)
    table = read_table(file, sheet=sheet, expected=REGISTER_COLUMNS)
    if table.empty:
        rows = "-".join(map(str, table.attrs.get("header_rows", [])))
        msg = (
            f"{file}: no data rows below the header (row {rows}); fill in the communities, "
            "or check that the right sheet was read (sheet=)"
        )
        raise InputError(msg)
    headers: dict[str, str] = dict(table.attrs.get("headers", {}))
    if "community_name" not in table.columns and "community_code" not in table.columns:
        found = ", ".join(repr(headers.get(str(c), str(c))) for c in table.columns)
        msg = (
            f"{file}: the register has neither a community name nor a code column (its header "
            f"has {found}); name one 社区名称 (or 社区, 名称) or 社区代码 (or 统一代码, 编码, code)"
        )
        raise InputError(msg)
    absent = [c for c in _ORDER if c not in table.columns]
    if absent:
        log.info("%s: the register has no column for %s", file.name, ", ".join(absent))
    problems: list[dict[str, Any]] = []
    out = pd.DataFrame(index=table.index)
    for column in _ORDER:
        cells = table[column] if column in table.columns else None
        out[column] = _convert(column, cells, table.index, problems)
    rest = [c for c in table.columns if c not in _ORDER]
    result = pd.concat([out, table[rest]], axis=1)
    _check_negative(result, file)
    _check_duplicate_codes(result, file)
    _report(result, problems, file)
    result.attrs = {"source": str(file), "problems": problems}
    log.info("%s: read %d communities", file.name, len(result))
    return result


def _convert(
    column: str, cells: pd.Series[Any] | None, index: pd.Index, problems: list[dict[str, Any]]
) -> pd.Series[Any]:
    if column in _NUMBER_COLUMNS:
        return _numbers(column, cells, index, problems)
    if cells is None:
        dtype = "boolean" if column == "self_service_terminal" else object
        return pd.Series([None] * len(index), index=index, dtype=dtype)
    if column == "community_code":
        codes = [_code(v, label, problems) for label, v in cells.items()]
        return pd.Series(codes, index=index, dtype=object)
    if column == "urban_rural":
        values = [_lookup(v, label, _URBAN_RURAL, column, problems) for label, v in cells.items()]
        return pd.Series(values, index=index, dtype=object)
    if column == "self_service_terminal":
        values = [_lookup(v, label, _YES_NO, column, problems) for label, v in cells.items()]
        return pd.Series(values, index=index, dtype="boolean")
    return pd.Series([normalize_text(v) or None for v in cells], index=index, dtype=object)


def _numbers(
    column: str, cells: pd.Series[Any] | None, index: pd.Index, problems: list[dict[str, Any]]
) -> pd.Series[Any]:
    if cells is None:
        return pd.Series(float("nan"), index=index, dtype="float64")
    numbers, failed = to_number(cells)
    values = dict(zip(cells.index, cells, strict=True))
    problems.extend(_problem(label, column, values[label], "not a number") for label in failed)
    return numbers


def _problem(label: Hashable, column: str, value: object, problem: str) -> dict[str, Any]:
    return {"row": label, "column": column, "value": value, "problem": problem}


def _code(value: object, label: Hashable, problems: list[dict[str, Any]]) -> str | None:
    text = re.sub(r"\s+", "", normalize_text(value))
    if text.casefold() in _BLANKS:
        return None
    whole = _WHOLE_FLOAT.match(text)
    if whole:
        return whole[1]
    if _SCIENTIFIC.match(text):
        problems.append(
            _problem(
                label,
                "community_code",
                value,
                "cut to scientific notation by a spreadsheet; format the column as text and "
                "type the codes again",
            )
        )
        return None
    return text


def _lookup(
    value: object,
    label: Hashable,
    table: Mapping[str, Any],
    column: str,
    problems: list[dict[str, Any]],
) -> Any:
    text = re.sub(r"\s+", "", normalize_text(value)).casefold()
    if text in table:
        return table[text]
    if text in _BLANKS:
        return None
    accepted = "/".join(k for k in table if not k.isascii())
    problems.append(_problem(label, column, value, f"not one of {accepted}"))
    return None


def _check_negative(frame: pd.DataFrame, file: Path) -> None:
    parts = []
    for column in _NUMBER_COLUMNS:
        negative = frame.index[frame[column] < 0]
        if len(negative):
            values = ", ".join(
                f"row {r}: {float(frame.loc[r, column]):g}" for r in list(negative)[:_MAX_LISTED]
            )
            parts.append(f"{column} ({values})")
    if parts:
        msg = (
            f"{file}: negative figures, which a register cannot hold: {'; '.join(parts)}. "
            "Correct them in the file (a blank cell is read as missing)"
        )
        raise InputError(msg)


def _check_duplicate_codes(frame: pd.DataFrame, file: Path) -> None:
    codes = frame["community_code"]
    repeated = codes[codes.notna() & codes.duplicated(keep=False)]
    if repeated.empty:
        return
    groups = [
        f"{code!r} in rows {row_list(list(rows.index))}"
        for code, rows in repeated.groupby(repeated, sort=False)
    ]
    msg = (
        f"{file}: {len(groups)} community code(s) repeated: {'; '.join(groups)}. Make the codes "
        "unique (each community has its own), or leave them out and join by name "
        "(join_register(..., on='name'))"
    )
    raise InputError(msg)


def _report(frame: pd.DataFrame, problems: Sequence[Mapping[str, Any]], file: Path) -> None:
    if problems:
        by_column: dict[str, list[str]] = {}
        for p in problems:
            by_column.setdefault(str(p["column"]), []).append(f"row {p['row']} {str(p['value'])!r}")
        kinds = {str(p["column"]): str(p["problem"]) for p in problems}
        parts = [
            f"{column} ({kinds[column]}): {row_list(cells)}" for column, cells in by_column.items()
        ]
        msg = (
            f"{file.name}: {len(problems)} cell(s) could not be read and are left missing: "
            + "; ".join(parts)
            + ". Correct them in the file"
        )
        warnings.warn(msg, UnreadableCellsWarning, stacklevel=3)
    unreadable = {(p["row"], p["column"]) for p in problems}
    for column in _NUMBER_COLUMNS:
        blank = [r for r in frame.index[frame[column].isna()] if (r, column) not in unreadable]
        if blank and len(blank) < len(frame):
            log.warning(
                "%s: %s is blank in %d of %d rows: %s",
                file.name,
                column,
                len(blank),
                len(frame),
                row_list(blank),
            )
    if {"workers", "certified_workers"} <= set(frame.columns):
        more = frame.index[frame["certified_workers"] > frame["workers"]]
        if len(more):
            log.warning(
                "%s: more certified social workers than workers in rows %s",
                file.name,
                row_list(list(more)),
            )


# ====================================================================== join
def name_key(name: object) -> str:
    """Return the form in which community names are compared.

    :func:`~geoplan.sources._tables.normalize_text`, case folded, spaces
    removed, and one ending of :data:`NAME_SUFFIXES` removed (the longest
    that fits: 社区居民委员会, 村民委员会, 居民委员会, 社区居委会, 居委会,
    村委会, 社区, 村), unless nothing would be left. So 朝阳社区, 朝阳社区居委会
    and 朝阳 compare equal; so do 朝阳村 and 朝阳 (a community and a village
    of the same name in one table make the join by name ambiguous, which
    :func:`join_register` reports).

    Parameters
    ----------
    name
        A community name.

    Returns
    -------
    str
        ``''`` for a missing name.

    Examples
    --------
    >>> name_key(" 朝阳社区居委会 "), name_key("朝阳"), name_key("社区")
    ('朝阳', '朝阳', '社区')
    """
    text = re.sub(r"\s+", "", normalize_text(name)).casefold()
    for suffix in NAME_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text


def _code_key(code: object) -> str:
    text = re.sub(r"\s+", "", normalize_text(code))
    if text.casefold() in _BLANKS:
        return ""
    whole = _WHOLE_FLOAT.match(text)
    return whole[1] if whole else text


def _find_column(frame: pd.DataFrame, canonical: str) -> str | None:
    if canonical in frame.columns:
        return canonical
    keys = {header_key(a) for a in (canonical, *REGISTER_COLUMNS[canonical])}
    return next((str(c) for c in frame.columns if header_key(c) in keys), None)


def join_register(
    register: pd.DataFrame,
    boundaries: gpd.GeoDataFrame,
    *,
    on: Literal["code", "name"] = "code",
    boundary_code: str | None = None,
    boundary_name: str | None = None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Attach a register to the community boundary polygons, by code or by name.

    Codes are compared as text (full-width digits folded, spaces and a
    trailing ``.0`` removed, so a code column that became numbers still
    matches unless it lost leading zeros). Names are compared with
    :func:`name_key`: after :func:`~geoplan.sources._tables.normalize_text`,
    case folding, and without a suffix 社区居委会, 居委会, 村委会, 社区, 村 (and
    居民委员会, 村民委员会), so 朝阳社区 in the register finds 朝阳社区居委会 in
    the boundaries.

    Parameters
    ----------
    register
        The result of :func:`read_register` (or any table with
        ``community_code``/``community_name``). Not modified.
    boundaries
        The community polygons, in any CRS. Not modified.
    on
        ``"code"`` or ``"name"``.
    boundary_code, boundary_name
        The boundaries' code and name columns; when omitted, a column called
        ``community_code``/``community_name`` or by one of the register's
        header names (社区代码, code, 社区名称, name ...) is used.

    Returns
    -------
    joined : geopandas.GeoDataFrame
        One row per register row that found its boundary, in the register's
        order and index: the register's columns, then the boundaries' other
        columns (a ``_boundary`` suffix where a name is taken), and the
        boundary geometry, in the boundaries' CRS.
    unmatched : pandas.DataFrame
        ``side`` (``"register"`` or ``"boundary"``), ``label`` (the register's
        row label or the boundary's index label), ``community_code``,
        ``community_name``, ``key`` (the compared form) and ``reason``;
        register rows first, each side in its own order.

    Raises
    ------
    InputError
        A bad ``on``; ``boundaries`` not a GeoDataFrame; the key column missing
        on either side; a key repeated on either side (the message lists them:
        join by code instead, or make them unique).

    Examples
    --------
    >>> import geopandas as gpd, pandas as pd
    >>> from shapely.geometry import box
    >>> register = pd.DataFrame({"community_name": ["朝阳社区", "永吉社区"],
    ...                          "population": [3200.0, 2800.0]})
    >>> areas = gpd.GeoDataFrame({"name": ["朝阳社区居委会", "桃源社区居委会"]},
    ...                          geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=32651)
    >>> joined, unmatched = join_register(register, areas, on="name")
    >>> joined[["community_name", "name"]].values.tolist()
    [['朝阳社区', '朝阳社区居委会']]
    >>> unmatched[["side", "label", "community_name"]].values.tolist()
    [['register', 1, '永吉社区'], ['boundary', 1, '桃源社区居委会']]
    >>> unmatched["reason"].tolist()
    ['no boundary with this name', 'no register row with this name']
    """
    if on not in ("code", "name"):
        msg = f"on must be 'code' or 'name', got {on!r}"
        raise InputError(msg)
    if not isinstance(register, pd.DataFrame):
        msg = f"register must be a DataFrame (from read_register), got {type(register).__name__}"
        raise InputError(msg)
    if not isinstance(boundaries, gpd.GeoDataFrame):
        msg = (
            f"boundaries must be a GeoDataFrame of community polygons, got "
            f"{type(boundaries).__name__}; read them with geoplan.read_boundaries(...)"
        )
        raise InputError(msg)
    canonical = "community_code" if on == "code" else "community_name"
    if canonical not in register.columns:
        msg = (
            f"the register has no {canonical} column to join on={on!r}; its columns are "
            f"{list(map(str, register.columns))}. Read it with read_register(...), or join "
            f"on={'name' if on == 'code' else 'code'!r}"
        )
        raise InputError(msg)
    b_code = _given_column(boundaries, boundary_code, "boundary_code") or _find_column(
        boundaries, "community_code"
    )
    b_name = _given_column(boundaries, boundary_name, "boundary_name") or _find_column(
        boundaries, "community_name"
    )
    b_key = b_code if on == "code" else b_name
    if b_key is None:
        which = "boundary_code" if on == "code" else "boundary_name"
        msg = (
            f"no {on} column found in the boundaries (columns: "
            f"{[str(c) for c in boundaries.columns if c != boundaries.geometry.name]}); pass "
            f"{which}='<column>'"
        )
        raise InputError(msg)
    keyer = _code_key if on == "code" else name_key
    r_keys = [keyer(v) for v in register[canonical]]
    b_keys = [keyer(v) for v in boundaries[b_key]]
    _check_unique(r_keys, register[canonical], "register", on)
    _check_unique(b_keys, boundaries[b_key], "boundaries", on)
    joined = _joined(register, boundaries, r_keys, b_keys)
    unmatched = _unmatched(register, boundaries, r_keys, b_keys, on=on, b_columns=(b_code, b_name))
    n_reg = int((unmatched["side"] == "register").sum())
    n_bnd = int((unmatched["side"] == "boundary").sum())
    log.info(
        "joined %d of %d register rows to %d boundaries by %s; %d register row(s) without a "
        "boundary, %d boundary(ies) without a register row",
        len(joined),
        len(register),
        len(boundaries),
        on,
        n_reg,
        n_bnd,
    )
    if n_reg or n_bnd:
        log.warning("unmatched by %s: %s", on, _unmatched_text(unmatched))
    return joined, unmatched


def _unmatched_text(unmatched: pd.DataFrame) -> str:
    items = [
        f"{side} {label} ({name or code or 'blank'})"
        for side, label, code, name in unmatched[
            ["side", "label", "community_code", "community_name"]
        ].itertuples(index=False, name=None)
    ]
    return row_list(items)


def _given_column(frame: pd.DataFrame, column: str | None, argument: str) -> str | None:
    if column is None:
        return None
    if column not in frame.columns:
        msg = (
            f"{argument}={column!r} is not a column of the boundaries; they have "
            f"{[str(c) for c in frame.columns if c != frame.geometry.name]}"
        )
        raise InputError(msg)
    return column


def _check_unique(keys: Sequence[str], values: pd.Series[Any], side: str, on: str) -> None:
    where: dict[str, list[int]] = {}
    for i, key in enumerate(keys):
        if key:
            where.setdefault(key, []).append(i)
    repeated = [positions for positions in where.values() if len(positions) > 1]
    if not repeated:
        return
    groups = [
        f"{'/'.join(dict.fromkeys(str(values.iloc[i]) for i in positions))} (rows "
        f"{row_list([values.index[i] for i in positions])})"
        for positions in repeated
    ]
    fix = (
        "join by code instead (on='code')"
        if on == "name"
        else "make the codes unique (each community has its own)"
    )
    msg = (
        f"the {side} repeat a community {on} after normalising, so the join is ambiguous: "
        f"{'; '.join(groups)}. {fix[0].upper()}{fix[1:]}, or rename the duplicates"
    )
    raise InputError(msg)


def _joined(
    register: pd.DataFrame,
    boundaries: gpd.GeoDataFrame,
    r_keys: Sequence[str],
    b_keys: Sequence[str],
) -> gpd.GeoDataFrame:
    position = {key: i for i, key in enumerate(b_keys) if key}
    r_pos = [i for i, key in enumerate(r_keys) if key and key in position]
    b_pos = [position[r_keys[i]] for i in r_pos]
    geometry_name = boundaries.geometry.name
    others = [c for c in boundaries.columns if c != geometry_name]
    left = register.iloc[r_pos]
    right = pd.DataFrame(boundaries[others].iloc[b_pos]).reset_index(drop=True)
    right.columns = pd.Index([f"{c}_boundary" if c in register.columns else c for c in others])
    data = pd.concat([left.reset_index(drop=True), right], axis=1).set_axis(left.index)
    geometry = boundaries.geometry.iloc[b_pos].to_numpy()
    return gpd.GeoDataFrame(data, geometry=list(geometry), crs=boundaries.crs)


def _unmatched(
    register: pd.DataFrame,
    boundaries: gpd.GeoDataFrame,
    r_keys: Sequence[str],
    b_keys: Sequence[str],
    *,
    on: str,
    b_columns: tuple[str | None, str | None],
) -> pd.DataFrame:
    b_set = {k for k in b_keys if k}
    r_set = {k for k in r_keys if k}
    rows: list[dict[str, Any]] = []
    for i, key in enumerate(r_keys):
        if key and key in b_set:
            continue
        rows.append(
            {
                "side": "register",
                "label": register.index[i],
                "community_code": _cell(register, i, "community_code"),
                "community_name": _cell(register, i, "community_name"),
                "key": key,
                "reason": f"no boundary with this {on}" if key else f"no {on}",
            }
        )
    b_code, b_name = b_columns
    for i, key in enumerate(b_keys):
        if key and key in r_set:
            continue
        rows.append(
            {
                "side": "boundary",
                "label": boundaries.index[i],
                "community_code": _cell(boundaries, i, b_code),
                "community_name": _cell(boundaries, i, b_name),
                "key": key,
                "reason": f"no register row with this {on}" if key else f"no {on}",
            }
        )
    columns = ["side", "label", "community_code", "community_name", "key", "reason"]
    return pd.DataFrame(rows, columns=columns, dtype=object)


def _cell(frame: pd.DataFrame, position: int, column: str | None) -> str | None:
    if column is None or column not in frame.columns:
        return None
    text = normalize_text(frame[column].iloc[position])
    return text or None
