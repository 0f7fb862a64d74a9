"""The plan's indicators: Jilin's 14th Five-Year targets measured per community and district.

:func:`evaluate_indicators` takes a community register (one row per community,
the canonical columns below) and measures the eight main indicators of
吉林省“十四五”城乡社区服务体系建设规划 (:func:`geoplan.standards.plan_indicators`)
per community, per district and for the whole study, against the plan's 2025
targets.

Every district and study figure is a ratio of sums over the communities that
have the indicator's inputs (e.g. 100 x total service floor area / total
households), never a mean of the communities' ratios: a large community weighs
more than a small one, as in the plan's provincial figures. A community whose
inputs are missing (NaN) is left out of that indicator's district and study
figures and counted in ``n_missing``. Indicators the register cannot support
(a column missing or empty, no communities of the indicator's kind) are listed
in :attr:`IndicatorResult.unsupported` with the reason; nothing is guessed or
filled with defaults.

The register's canonical columns (any may be missing or hold NaN):

============================= ==================================================
``community_name``            name (社区名称)
``community_code``            code (社区代码); matches community polygons
``district``, ``subdistrict`` 区/县, 街道/乡镇
``urban_rural``               ``"urban"`` (城市社区) or ``"rural"`` (农村社区)
``households``                户数
``population``                常住人口
``total_floor_area_m2``       the community's total floor area (社区总建筑面积)
``service_floor_area_m2``     floor area of its comprehensive service facilities
``commercial_floor_area_m2``  floor area of its commercial facilities
``activity_area_m2``          residents' activity area in the service facilities
``self_service_terminal``     has a government self-service terminal (bool)
``workers``                   community workers (社区工作者)
``certified_workers``         workers holding the social-work certificate (社工证书)
============================= ==================================================

Examples
--------
>>> import pandas as pd
>>> register = pd.DataFrame({
...     "district": ["A区", "A区"], "urban_rural": ["urban", "urban"],
...     "households": [1000, 3000], "service_floor_area_m2": [600.0, 0.0]})
>>> result = evaluate_indicators(register)
>>> float(result.by_district.loc["A区", "service_area_per_100_households"])  # 100*600/4000
15.0
>>> float(result.by_district.loc["A区", "urban_facility_coverage"])  # 1 of 2 has one
0.5
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geoplan._errors import CRSError, InputError
from geoplan._i18n import resolve_lang
from geoplan._validate import check_crs, find_type_column
from geoplan.sources.register import REGISTER_COLUMNS as _REGISTER_ALIASES
from geoplan.standards import plan_indicators

if TYPE_CHECKING:
    import geopandas as gpd

    from geoplan.network import Network

__all__ = [
    "COMPREHENSIVE_FACILITY_TYPES",
    "REGISTER_COLUMNS",
    "IndicatorResult",
    "evaluate_indicators",
]

log = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]

#: The canonical columns of a community register.
REGISTER_COLUMNS: tuple[str, ...] = tuple(_REGISTER_ALIASES)

#: Facility types that count as a community's comprehensive service facility
#: (社区综合服务设施) when indicators 1 and 2 are measured from facility points.
COMPREHENSIVE_FACILITY_TYPES: tuple[str, ...] = (
    "community_service_station",
    "embedded_service_complex",
    "subdistrict_service_center",
)

_NUMBER_COLUMNS = (
    "households",
    "population",
    "total_floor_area_m2",
    "service_floor_area_m2",
    "commercial_floor_area_m2",
    "activity_area_m2",
    "workers",
    "certified_workers",
)
_KINDS = ("urban", "rural")
_TOLERANCE = 1e-9  # relative: sums that meet a target exactly are not failed by rounding
_COVERAGE_IDS = ("rural_facility_coverage", "urban_facility_coverage")
_REGISTER_METHOD = "register: service_floor_area_m2 > 0"
_SPATIAL_METHOD = (
    "spatial: a "
    + ", ".join(COMPREHENSIVE_FACILITY_TYPES[:-1])
    + f" or {COMPREHENSIVE_FACILITY_TYPES[-1]} facility inside (or on the boundary of) "
    "the community polygon"
)
#: The two methods in Chinese, for the summary a Chinese report shows.
_METHODS_ZH = {
    _REGISTER_METHOD: "台账：服务用房面积（service_floor_area_m2）大于 0",
    _SPATIAL_METHOD: "空间判定：社区边界内（或边界上）有社区综合服务设施",
}
_STUDY = "study"

_TABLE_COLUMNS = [
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

_SUMMARY_LABELS: dict[str, tuple[str, str]] = {
    "number": ("序号", "number"),
    "indicator": ("指标", "indicator"),
    "type": ("指标属性", "type"),
    "value": ("现状值", "value"),
    "target": ("2025年目标值", "2025 target"),
    "plan_target": ("规划目标", "plan target"),
    "comparison": ("比较", "comparison"),
    "meets": ("是否达标", "meets target"),
    "gap": ("差距", "gap"),
    "unit": ("单位", "unit"),
    "n_communities": ("参评社区数", "communities evaluated"),
    "n_missing": ("缺数据社区数", "communities missing data"),
    "note": ("说明", "note"),
}
_UNIT_LABELS: dict[str, tuple[str, str]] = {
    "share": ("比例", "share"),
    "m2_per_100_households": ("平方米/百户", "m² per 100 households"),
    "workers_per_10000": ("人/万人", "workers per 10,000 residents"),
    "workers_per_community": ("人/社区", "workers per community"),
}
_TYPE_LABELS: dict[str, tuple[str, str]] = {
    "expected": ("预期性", "expected"),
    "binding": ("约束性", "binding"),
}


# ----------------------------------------------------------------- result
@dataclass(frozen=True)
class IndicatorResult:
    """The results of :func:`evaluate_indicators`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per indicator and area: ``number``, ``indicator`` (id),
        ``name_zh``, ``name_en``, ``area_level`` (``community``, ``district``
        or ``study``), ``area_id`` (the register's index label, the district,
        or ``"study"``), ``area_name``, ``district``, ``value``, ``target``,
        ``comparison``, ``meets`` (boolean, NA where there is no value),
        ``gap`` (target - value where the target is not met, else 0; in the
        indicator's unit), ``unit``, ``type`` (``expected`` / ``binding``),
        ``n_communities`` (communities whose inputs entered the value),
        ``n_missing`` (communities of the indicator's scope left out for
        missing inputs) and ``method``.
    by_community : pandas.DataFrame
        One row per register row, with the register's index: the register's
        ``community_name``, ``community_code``, ``district`` and
        ``urban_rural`` where present, then ``<id>`` (the value; NaN outside
        the indicator's scope or without data) and ``meets_<id>`` for every
        indicator evaluated per community.
    by_district : pandas.DataFrame
        One row per district (index ``district``): ``n_communities`` (register
        rows) and ``<id>`` and ``meets_<id>`` of every indicator; empty
        without a district column.
    unsupported : pandas.DataFrame
        ``number``, ``indicator`` and ``reason``: the indicators (or the
        district level) the data cannot support.
    """

    table: pd.DataFrame
    by_community: pd.DataFrame
    by_district: pd.DataFrame
    unsupported: pd.DataFrame

    def summary(self, lang: str | None = "zh") -> pd.DataFrame:
        """Return the study-level figures of every indicator, labelled in Chinese or English.

        Parameters
        ----------
        lang
            ``"zh"`` or ``"en"``; ``None`` takes ``geoplan.settings.lang``.

        Returns
        -------
        pandas.DataFrame
            Indexed by indicator id, in the plan's order, with localised
            column names: number, indicator name, type (预期性/约束性), value,
            target, the plan's target text, comparison, meets, gap, unit,
            communities evaluated and missing, and a note (the method of
            indicators 1 and 2, in ``lang``; the reason an indicator is
            unsupported, in English). Unsupported indicators have no value.

        Examples
        --------
        >>> import pandas as pd
        >>> register = pd.DataFrame({"urban_rural": ["urban"], "certified_workers": [4]})
        >>> summary = evaluate_indicators(register).summary("en")
        >>> summary.loc["certified_workers_per_urban_community", "meets target"]
        np.True_
        >>> evaluate_indicators(register).summary("zh").columns[1]
        '指标'
        """
        k = 0 if resolve_lang(lang) == "zh" else 1
        spec = plan_indicators()
        study = self.table[self.table["area_level"] == _STUDY]
        figures = {str(r["indicator"]): r for _, r in study.iterrows()}
        reasons = dict(zip(self.unsupported["indicator"], self.unsupported["reason"], strict=True))
        rows = []
        for ind, row in spec.iterrows():
            found = figures.get(str(ind))
            if found is None and ind not in reasons:
                continue  # not asked for
            note = str(found["method"]) if found is not None and ind in _COVERAGE_IDS else ""
            note = _METHODS_ZH.get(note, note) if k == 0 else note
            rows.append(
                {
                    "id": ind,
                    "number": int(row["number"]),
                    "indicator": row["name_zh"] if k == 0 else row["name_en"],
                    "type": _TYPE_LABELS[row["type"]][k],
                    "value": math.nan if found is None else float(found["value"]),
                    "target": float(row["target_2025"]),
                    "plan_target": row["plan_target_2025"],
                    "comparison": row["comparison"],
                    "meets": pd.NA if found is None else found["meets"],
                    "gap": math.nan if found is None else float(found["gap"]),
                    "unit": _UNIT_LABELS[row["unit"]][k],
                    "n_communities": 0 if found is None else int(found["n_communities"]),
                    "n_missing": 0 if found is None else int(found["n_missing"]),
                    "note": reasons.get(str(ind), note),
                }
            )
        frame = pd.DataFrame(rows, columns=["id", *_SUMMARY_LABELS]).set_index("id")
        frame["meets"] = frame["meets"].astype("boolean")
        frame.index.name = None
        return frame.rename(columns={key: labels[k] for key, labels in _SUMMARY_LABELS.items()})


# ----------------------------------------------------------------- evaluation
def evaluate_indicators(
    register: pd.DataFrame,
    *,
    communities: gpd.GeoDataFrame | None = None,
    facilities: gpd.GeoDataFrame | None = None,
    network: Network | None = None,
    indicators: Sequence[str | int] | None = None,
) -> IndicatorResult:
    """Measure the plan's main indicators per community, per district and for the study.

    The eight indicators of :func:`geoplan.standards.plan_indicators`:

    1. rural and 2. urban communities with a comprehensive service facility:
       the share of the rural (urban) communities that have one. From the
       register, a community has one when ``service_floor_area_m2 > 0``.
       Given ``communities`` and ``facilities``, a community has one when a
       facility of a :data:`COMPREHENSIVE_FACILITY_TYPES` type lies inside
       its polygon or on its boundary (a facility on a shared boundary counts
       for both communities; polygons and lines count at a point on their
       surface); the register's floor area is then not used. ``method`` in
       the table says which rule was used.
    3. (commercial + service floor area) / total floor area;
    4. 100 x service floor area / households;
    5. activity area / service floor area (a community without a facility
       has no value of its own; its zeros still enter the sums);
    6. the share of urban communities with a self-service terminal;
    7. 10,000 x community workers / population over the urban communities,
       per district and for the study only (the plan's 城镇常住人口, the
       resident population of cities and towns, is approximated by the
       population of the register's urban communities);
    8. the mean number of certified social workers per urban community;
       each community's own number is compared with 3 for information.

    Districts and the study get the ratio of the sums over the communities
    with complete inputs (sum/sum, not a mean of ratios). Shares are
    fractions (1.0 = 100 %). Every target is met when the value is at least
    the target (``comparison`` ``">="``; a share of 1.0 for the 100 %
    targets means every community), with a relative tolerance of 1e-9.

    Parameters
    ----------
    register
        One row per community with the canonical columns of
        :data:`REGISTER_COLUMNS` (any may be missing or hold NaN); other
        columns are ignored. Its index must be unique.
    communities
        Community polygons, with a ``community_code`` column matching the
        register's, or else indexed like the register. Only with
        ``facilities``.
    facilities
        Facility points with a ``facility_type`` (or ``category``) column, in
        the CRS of ``communities``. Only with ``communities``.
    network
        The study's network, if any: ``communities`` and ``facilities`` must
        then be in its CRS. Travel times do not enter the plan's indicators.
    indicators
        Ids or numbers (1-8) of the indicators to evaluate; all by default.

    Returns
    -------
    IndicatorResult

    Raises
    ------
    InputError
        The register is not a DataFrame, is empty, has a duplicated index, or
        holds impossible values (negative or non-numeric numbers, an
        ``urban_rural`` other than urban/rural, a non-boolean
        ``self_service_terminal``); an unknown indicator; only one of
        ``communities`` and ``facilities``, or polygons matching no register
        row.
    CRSError
        ``communities`` and ``facilities`` lack a CRS or are in different
        CRSs (or not in the network's).

    Examples
    --------
    >>> import pandas as pd
    >>> register = pd.DataFrame(
    ...     {"district": ["A区", "A区", "B区"], "urban_rural": ["urban", "urban", "rural"],
    ...      "workers": [8, 10, 3], "population": [5000, 5000, 2000]})
    >>> result = evaluate_indicators(register)
    >>> study = result.table.set_index(["indicator", "area_level"])
    >>> float(study.loc[("workers_per_10000_urban_residents", "study"), "value"])  # 1e4*18/1e4
    18.0
    >>> result.unsupported["indicator"].tolist()[:2]
    ['rural_facility_coverage', 'urban_facility_coverage']
    """
    spec = _select(plan_indicators(), indicators)
    reg = _Register.check(register)
    presence = _facility_presence(reg, communities, facilities, network)
    measures: dict[str, _Measure] = {}
    unsupported: list[dict[str, Any]] = []
    for ind, row in spec.iterrows():
        measured = _measure(str(ind), row, reg, presence)
        if isinstance(measured, str):
            unsupported.append({"number": int(row["number"]), "indicator": ind, "reason": measured})
        else:
            measures[str(ind)] = measured
    if reg.district_codes is None:
        unsupported.append(
            {
                "number": pd.NA,
                "indicator": "district_level",
                "reason": "register has no district column (or it is empty): "
                "no district figures; the community and study figures remain",
            }
        )
    parts = [_rows(row, measures[str(ind)], reg) for ind, row in spec.iterrows() if ind in measures]
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=_TABLE_COLUMNS)
    table["meets"] = table["meets"].astype("boolean")
    return IndicatorResult(
        table=table,
        by_community=_by_community(register, spec, measures, reg),
        by_district=_by_district(spec, measures, reg),
        unsupported=pd.DataFrame(unsupported, columns=["number", "indicator", "reason"]),
    )


def _select(spec: pd.DataFrame, indicators: Sequence[str | int] | None) -> pd.DataFrame:
    """Return the rows of the indicators asked for, in the plan's order."""
    if indicators is None:
        return spec
    wanted = [indicators] if isinstance(indicators, str | int) else list(indicators)
    by_number = {int(n): str(i) for i, n in spec["number"].items()}
    chosen = set()
    for key in wanted:
        if isinstance(key, str) and key in spec.index:
            chosen.add(key)
        elif isinstance(key, int | np.integer) and not isinstance(key, bool) and key in by_number:
            chosen.add(by_number[int(key)])
        else:
            msg = f"unknown indicator {key!r}; pass ids or numbers 1-{len(spec)}: " + ", ".join(
                f"{n} {i}" for n, i in by_number.items()
            )
            raise InputError(msg)
    return spec.loc[[i for i in spec.index if i in chosen]]


# ----------------------------------------------------------------- the register
@dataclass(frozen=True)
class _Register:
    """The register's columns, checked: numbers as floats (NaN missing), kinds, districts."""

    index: pd.Index
    present: frozenset[str]  # canonical columns with at least one value
    empty: frozenset[str]  # canonical columns that exist but hold no value
    numbers: Mapping[str, FloatArray]
    kind: NDArray[np.object_]  # "urban", "rural" or None
    terminal: FloatArray  # 1.0 / 0.0 / NaN
    district_codes: IntArray | None  # position in districts; -1 for a missing district
    districts: pd.Index
    codes: pd.Index  # community_code (empty without one)
    names: NDArray[np.object_]  # community_name (None without one)

    @property
    def n(self) -> int:
        return len(self.index)

    def of_kind(self, kind: str | None) -> BoolArray:
        """Return which communities are ``"urban"``, ``"rural"`` or (None) of unknown kind."""
        return np.array([k == kind if kind else k is None for k in self.kind], dtype=bool)

    @classmethod
    def check(cls, register: object) -> _Register:
        if not isinstance(register, pd.DataFrame):
            msg = (
                "register must be a pandas DataFrame of communities (one row each), "
                f"got {type(register).__name__}"
            )
            raise InputError(msg)
        if len(register) == 0:
            msg = "the register has no rows; it needs one row per community"
            raise InputError(msg)
        if not register.index.is_unique:
            msg = (
                "the register's index has duplicated labels; results keep the index, so make "
                "it unique, e.g. register.reset_index(drop=True) or .set_index('community_code')"
            )
            raise InputError(msg)
        present = {c for c in REGISTER_COLUMNS if c in register.columns}
        empty = {c for c in present if not register[c].notna().to_numpy().any()}
        numbers = {c: _numbers(register, c) for c in _NUMBER_COLUMNS if c in present - empty}
        n = len(register)
        kind = (
            _kinds(register["urban_rural"])
            if "urban_rural" in present - empty
            else np.full(n, None, dtype=object)
        )
        terminal = (
            _flags(register["self_service_terminal"])
            if "self_service_terminal" in present - empty
            else np.full(n, np.nan)
        )
        codes: IntArray | None = None
        districts = pd.Index([], name="district")
        if "district" in present - empty:
            raw_codes, uniques = pd.factorize(register["district"], use_na_sentinel=True)
            codes = np.asarray(raw_codes, dtype=np.int64)
            districts = pd.Index(uniques, name="district")
            if (codes < 0).any():
                log.warning(
                    "%d communities have no district: they count in the study figures only",
                    int((codes < 0).sum()),
                )
        names = np.full(n, None, dtype=object)
        if "community_name" in present - empty:
            given = register["community_name"]
            names = _blank(given.astype(object).to_numpy(), given.notna().to_numpy())
        return cls(
            index=register.index,
            present=frozenset(present - empty),
            empty=frozenset(empty),
            numbers=numbers,
            kind=kind,
            terminal=terminal,
            district_codes=codes,
            districts=districts,
            codes=pd.Index(register["community_code"])
            if "community_code" in present
            else pd.Index([]),
            names=names,
        )

    def lacking(self, columns: Sequence[str]) -> str | None:
        """Return the reason the register cannot give ``columns``, or None."""
        missing = [c for c in columns if c not in self.present and c not in self.empty]
        empty = [c for c in columns if c in self.empty]
        parts = []
        if missing:
            parts.append(f"register has no {', '.join(missing)} column{'s' * (len(missing) > 1)}")
        if empty:
            parts.append(
                f"register's {', '.join(empty)} column{'s' * (len(empty) > 1)} "
                f"{'are' if len(empty) > 1 else 'is'} empty (all NaN)"
            )
        return "; ".join(parts) if parts else None


def _numbers(register: pd.DataFrame, column: str) -> FloatArray:
    raw = register[column]
    converted = pd.to_numeric(raw, errors="coerce")
    values = np.asarray(converted.astype("float64").to_numpy(), dtype=np.float64)
    bad = np.isnan(values) & raw.notna().to_numpy()
    if bad.any():
        examples = ", ".join(repr(v) for v in raw[bad].unique()[:3])
        msg = (
            f"register column {column!r} holds {int(bad.sum())} values that are not numbers "
            f"({examples}); convert them (e.g. pd.to_numeric(register[{column!r}], "
            "errors='coerce') turns them into NaN, which leaves those communities out)"
        )
        raise InputError(msg)
    negative = (values < 0) | np.isinf(values)
    if negative.any():
        labels = ", ".join(map(str, register.index[negative][:5]))
        msg = (
            f"register column {column!r} has {int(negative.sum())} negative or infinite "
            f"values (rows {labels}); correct them, or set them to NaN to leave those "
            "communities out"
        )
        raise InputError(msg)
    return values


def _kinds(column: pd.Series[Any]) -> NDArray[np.object_]:
    known = column.notna().to_numpy()
    values = np.asarray(column.astype(object).to_numpy(), dtype=object)
    bad = [v for v, k in zip(values, known, strict=True) if k and v not in _KINDS]
    if bad:
        examples = ", ".join(repr(v) for v in list(dict.fromkeys(bad))[:3])
        msg = (
            f"register column 'urban_rural' must be 'urban' or 'rural' (or NaN), got {examples}; "
            "map your labels first, e.g. register['urban_rural'].map({'城市': 'urban', "
            "'农村': 'rural'})"
        )
        raise InputError(msg)
    return _blank(values, known)


def _blank(values: NDArray[Any], keep: BoolArray) -> NDArray[np.object_]:
    """Return ``values`` as objects with None where ``keep`` is false."""
    out = np.asarray(values, dtype=object).copy()
    out[~np.asarray(keep, dtype=bool)] = None
    return out


def _flags(column: pd.Series[Any]) -> FloatArray:
    out = np.full(len(column), np.nan)
    bad = []
    for i, value in enumerate(column.astype(object).to_numpy()):
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            continue
        if isinstance(value, bool | np.bool_) or (
            isinstance(value, int | float | np.integer | np.floating) and value in (0, 1)
        ):
            out[i] = float(value)
        else:
            bad.append(value)
    if bad:
        examples = ", ".join(repr(v) for v in bad[:3])
        msg = (
            f"register column 'self_service_terminal' must be true/false (or 1/0, or NaN), "
            f"got {examples}; map your labels first, e.g. "
            "register['self_service_terminal'].map({'是': True, '否': False})"
        )
        raise InputError(msg)
    return out


# ----------------------------------------------------------------- facilities in polygons
@dataclass(frozen=True)
class _Presence:
    """Whether each register row has a comprehensive service facility (1/0/NaN), by points."""

    has: FloatArray
    method: str


def _facility_presence(
    reg: _Register,
    communities: gpd.GeoDataFrame | None,
    facilities: gpd.GeoDataFrame | None,
    network: Network | None,
) -> _Presence | None:
    if communities is None and facilities is None:
        return None
    if communities is None or facilities is None:
        msg = (
            "indicators 1 and 2 from facility points need both communities= (polygons) and "
            "facilities= (points); pass both, or neither to use the register's "
            "service_floor_area_m2"
        )
        raise InputError(msg)
    for frame, what in ((communities, "communities"), (facilities, "facilities")):
        if not hasattr(frame, "geometry") or not hasattr(frame, "crs"):
            msg = f"{what} must be a GeoDataFrame, got {type(frame).__name__}"
            raise InputError(msg)
    if network is not None:
        check_crs(communities, network, "communities")
        check_crs(facilities, network, "facilities")
    elif communities.crs is None or facilities.crs is None:
        msg = (
            "communities and facilities both need a CRS; set it (e.g. .set_crs(4547)) and "
            "reproject one into the other's with .to_crs(...)"
        )
        raise CRSError(msg)
    elif not communities.crs.equals(facilities.crs):
        msg = (
            f"the facilities are in {facilities.crs.to_string()} but the communities are in "
            f"{communities.crs.to_string()}; reproject them: facilities.to_crs(communities.crs)"
        )
        raise CRSError(msg)
    column = find_type_column(facilities, None)
    position = _polygon_positions(reg, communities)
    polygons = np.asarray(communities.geometry.to_numpy(), dtype=object)
    usable = ~(shapely.is_missing(polygons) | shapely.is_empty(polygons))
    chosen = facilities[facilities[column].isin(COMPREHENSIVE_FACILITY_TYPES).to_numpy()]
    geoms = np.asarray(chosen.geometry.to_numpy(), dtype=object)
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    points = shapely.point_on_surface(geoms)  # a point stays itself
    hit = np.zeros(len(polygons), dtype=bool)
    if len(points):
        tree = shapely.STRtree(_blank(polygons, usable))
        _, inside = tree.query(points, predicate="intersects")
        hit[inside] = True
    has = np.full(reg.n, np.nan)
    matched = position >= 0
    matched[matched] = usable[position[matched]]
    has[matched] = hit[position[matched]].astype(np.float64)
    if not matched.all():
        log.warning(
            "%d register communities have no polygon: indicators 1 and 2 leave them out",
            int((~matched).sum()),
        )
    return _Presence(has=has, method=_SPATIAL_METHOD)


def _polygon_positions(reg: _Register, communities: gpd.GeoDataFrame) -> IntArray:
    """Position of each register row's polygon in ``communities``; -1 for none."""
    if "community_code" in communities.columns and "community_code" in reg.present:
        keys = pd.Index(communities["community_code"])
        wanted = reg.codes
        how = "community_code"
    else:
        keys = communities.index
        wanted = reg.index
        how = "index"
    if not keys.is_unique:
        msg = (
            f"the communities' {how} has duplicated values; each polygon must be one "
            "community (dissolve them first, e.g. communities.dissolve(by='community_code'))"
        )
        raise InputError(msg)
    position = np.asarray(keys.get_indexer(wanted), dtype=np.int64)
    if not (position >= 0).any():
        msg = (
            f"no community polygon matches a register row by {how}; give the polygons a "
            "community_code column like the register's, or index them like the register"
        )
        raise InputError(msg)
    return position


# ----------------------------------------------------------------- measures
@dataclass(frozen=True)
class _Measure:
    """An indicator as a ratio: per community ``num / den``; per area ``sum(num) / sum(den)``.

    ``scope`` marks the communities the indicator is about (including those of
    unknown kind for an urban or rural indicator); ``ok`` those of them whose
    inputs are all present.
    """

    num: FloatArray
    den: FloatArray
    scope: BoolArray
    ok: BoolArray
    method: str


def _measure(
    ind: str, row: pd.Series[Any], reg: _Register, presence: _Presence | None
) -> _Measure | str:
    """Return the indicator's measure, or the reason the register cannot give it."""
    needs = list(row["needs"])
    if ind in _COVERAGE_IDS and presence is not None:
        needs = ["urban_rural"]
    reason = reg.lacking(needs)
    if reason is not None:
        return reason
    scope_name = str(row["scope"])
    if scope_name == "all":
        scope = np.ones(reg.n, dtype=bool)
        known = scope
    else:
        kind = "rural" if scope_name == "rural" else "urban"
        known = reg.of_kind(kind)
        unknown = reg.of_kind(None)
        if not known.any():
            extra = f"; {int(unknown.sum())} without urban_rural" if unknown.any() else ""
            return f"no {kind} communities in the register{extra}"
        scope = known | unknown
    formula = _FORMULAS[ind]
    num, den, method = formula(reg, presence)
    ok = scope & known & np.isfinite(num) & np.isfinite(den)
    return _Measure(num=num, den=den, scope=scope, ok=ok, method=method)


def _n(reg: _Register, column: str) -> FloatArray:
    return np.asarray(reg.numbers[column], dtype=np.float64)


def _ones(reg: _Register) -> FloatArray:
    return np.ones(reg.n, dtype=np.float64)


def _coverage(reg: _Register, presence: _Presence | None) -> tuple[FloatArray, FloatArray, str]:
    if presence is not None:
        return presence.has, _ones(reg), presence.method
    area = _n(reg, "service_floor_area_m2")
    has = np.where(np.isnan(area), np.nan, (area > 0).astype(np.float64))
    return has, _ones(reg), _REGISTER_METHOD


_Formula = Callable[[_Register, "_Presence | None"], tuple[FloatArray, FloatArray, str]]

_FORMULAS: dict[str, _Formula] = {
    "rural_facility_coverage": _coverage,
    "urban_facility_coverage": _coverage,
    "commercial_service_floor_share": lambda reg, _: (
        _n(reg, "commercial_floor_area_m2") + _n(reg, "service_floor_area_m2"),
        _n(reg, "total_floor_area_m2"),
        "(commercial_floor_area_m2 + service_floor_area_m2) / total_floor_area_m2; "
        "areas: sum / sum",
    ),
    "service_area_per_100_households": lambda reg, _: (
        100.0 * _n(reg, "service_floor_area_m2"),
        _n(reg, "households"),
        "100 x service_floor_area_m2 / households; areas: sum / sum",
    ),
    "activity_area_share": lambda reg, _: (
        _n(reg, "activity_area_m2"),
        _n(reg, "service_floor_area_m2"),
        "activity_area_m2 / service_floor_area_m2; areas: sum / sum",
    ),
    "urban_self_service_coverage": lambda reg, _: (
        reg.terminal,
        _ones(reg),
        "share of urban communities with self_service_terminal true",
    ),
    "workers_per_10000_urban_residents": lambda reg, _: (
        1e4 * _n(reg, "workers"),
        _n(reg, "population"),
        "10000 x sum(workers) / sum(population) over urban communities "
        "(城镇常住人口 approximated by the register's urban population)",
    ),
    "certified_workers_per_urban_community": lambda reg, _: (
        _n(reg, "certified_workers"),
        _ones(reg),
        "mean certified_workers per urban community (sum / count); "
        "per community: its own number, for information",
    ),
}


# ----------------------------------------------------------------- tables
def _ratio(num: FloatArray, den: FloatArray) -> FloatArray:
    out = np.full(len(num), np.nan)
    positive = den > 0
    out[positive] = num[positive] / den[positive]
    return out


def _meets(value: FloatArray, target: float, comparison: str) -> pd.arrays.BooleanArray:
    tol = _TOLERANCE * max(1.0, abs(target))
    with np.errstate(invalid="ignore"):
        met = value >= target - tol if comparison == ">=" else np.abs(value - target) <= tol
    return pd.arrays.BooleanArray(np.asarray(met, dtype=bool), np.isnan(value))


def _gap(value: FloatArray, target: float, met: pd.arrays.BooleanArray) -> FloatArray:
    reached = np.asarray(met.to_numpy(dtype=bool, na_value=False), dtype=bool)
    return np.where(np.isnan(value), np.nan, np.where(reached, 0.0, target - value))


def _area_sums(m: _Measure, reg: _Register) -> tuple[FloatArray, FloatArray, IntArray, IntArray]:
    """Per district: sum(num), sum(den), communities used, communities missing."""
    assert reg.district_codes is not None
    codes, k = reg.district_codes, len(reg.districts)
    used = m.ok & (codes >= 0)
    missing = m.scope & ~m.ok & (codes >= 0)

    def count(mask: BoolArray, weights: FloatArray | None = None) -> FloatArray:
        return np.asarray(np.bincount(codes[mask], weights=weights, minlength=k), dtype=float)

    return (
        count(used, m.num[used]),
        count(used, m.den[used]),
        count(used).astype(np.int64),
        count(missing).astype(np.int64),
    )


def _rows(row: pd.Series[Any], m: _Measure, reg: _Register) -> pd.DataFrame:
    """Return the long-table rows of one indicator: its communities, districts, the study."""
    target, comparison = float(row["target_2025"]), str(row["comparison"])
    levels = set(row["levels"])
    district_names = (
        np.asarray(reg.districts, dtype=object)[reg.district_codes]
        if reg.district_codes is not None
        else np.full(reg.n, None, dtype=object)
    )
    if reg.district_codes is not None:
        district_names = _blank(district_names, reg.district_codes >= 0)
    frames = []
    if "community" in levels:
        pick = m.scope
        value = np.where(m.ok, _ratio(m.num, m.den), np.nan)[pick]
        frames.append(
            pd.DataFrame(
                {
                    "area_level": "community",
                    "area_id": np.asarray(reg.index, dtype=object)[pick],
                    "area_name": reg.names[pick],
                    "district": district_names[pick],
                    "value": value,
                    "n_communities": m.ok[pick].astype(np.int64),
                    "n_missing": (~m.ok[pick]).astype(np.int64),
                }
            )
        )
    if "district" in levels and reg.district_codes is not None:
        num, den, used, missing = _area_sums(m, reg)
        keep = (used + missing) > 0
        names = np.asarray(reg.districts, dtype=object)
        frames.append(
            pd.DataFrame(
                {
                    "area_level": "district",
                    "area_id": names[keep],
                    "area_name": names[keep],
                    "district": names[keep],
                    "value": _ratio(num, den)[keep],
                    "n_communities": used[keep],
                    "n_missing": missing[keep],
                }
            )
        )
    if _STUDY in levels:
        frames.append(
            pd.DataFrame(
                {
                    "area_level": [_STUDY],
                    "area_id": [_STUDY],
                    "area_name": ["study area"],
                    "district": [None],
                    "value": _ratio(np.array([m.num[m.ok].sum()]), np.array([m.den[m.ok].sum()])),
                    "n_communities": [int(m.ok.sum())],
                    "n_missing": [int((m.scope & ~m.ok).sum())],
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    value = out["value"].to_numpy(dtype=np.float64)
    met = _meets(value, target, comparison)
    out["meets"] = met
    out["gap"] = _gap(value, target, met)
    out["number"] = int(row["number"])
    out["indicator"] = str(row.name)
    for key, column in (
        ("name_zh", "name_zh"),
        ("name_en", "name_en"),
        ("unit", "unit"),
        ("type", "type"),
        ("comparison", "comparison"),
    ):
        out[key] = row[column]
    out["target"] = target
    out["method"] = m.method
    return out[_TABLE_COLUMNS]


def _by_community(
    register: pd.DataFrame, spec: pd.DataFrame, measures: Mapping[str, _Measure], reg: _Register
) -> pd.DataFrame:
    context = ("community_name", "community_code", "district", "urban_rural")
    out = pd.DataFrame(register[[c for c in context if c in register.columns]].copy())
    for ind, row in spec.iterrows():
        m = measures.get(str(ind))
        if m is None or "community" not in row["levels"]:
            continue
        value = np.where(m.ok, _ratio(m.num, m.den), np.nan)
        out[ind] = value
        out[f"meets_{ind}"] = _meets(value, float(row["target_2025"]), str(row["comparison"]))
    return out


def _by_district(
    spec: pd.DataFrame, measures: Mapping[str, _Measure], reg: _Register
) -> pd.DataFrame:
    if reg.district_codes is None:
        return pd.DataFrame(index=pd.Index([], name="district"), columns=["n_communities"])
    codes = reg.district_codes
    out = pd.DataFrame(
        {"n_communities": np.bincount(codes[codes >= 0], minlength=len(reg.districts))},
        index=reg.districts,
    )
    for ind, row in spec.iterrows():
        m = measures.get(str(ind))
        if m is None or "district" not in row["levels"]:
            continue
        num, den, _, _ = _area_sums(m, reg)
        value = _ratio(num, den)
        out[ind] = value
        out[f"meets_{ind}"] = _meets(value, float(row["target_2025"]), str(row["comparison"]))
    return out
