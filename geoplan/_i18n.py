"""Labels of maps, reports and command output in Chinese and English."""

from __future__ import annotations

from typing import TYPE_CHECKING

from geoplan._errors import ConfigError
from geoplan.settings import settings

if TYPE_CHECKING:
    from geoplan.standards import Cutoff

__all__ = [
    "COLUMN_LABELS",
    "GROUP_NAMES",
    "TABLE_LABELS",
    "column_label",
    "describe_cutoff",
    "facility_type_label",
    "is_share_column",
    "label",
    "level_name",
    "parameter_name",
    "profile_name",
    "resolve_lang",
    "table_label",
    "unit_name",
    "verification_name",
]

_LABELS: dict[str, tuple[str, str]] = {
    # key: (Chinese, English)
    "community": ("社区", "community"),
    "communities": ("社区", "communities"),
    "population": ("人口", "population"),
    "completeness": ("生活圈完整度", "life-circle completeness"),
    "missing": ("缺少", "missing"),
    "none_missing": ("无缺项", "nothing missing"),
    "covered_share": ("覆盖率", "covered share"),
    "covered": ("覆盖人口", "people covered"),
    "uncovered": ("未覆盖人口", "people not covered"),
    "facilities": ("设施", "facilities"),
    "existing": ("现有设施", "existing facilities"),
    "proposed": ("建议新建", "proposed sites"),
    "newly_covered_area": ("新增覆盖范围", "newly covered area"),
    "newly_covered": ("新增覆盖人口", "newly covered people"),
    "rank": ("序号", "rank"),
    "before": ("建设前", "before"),
    "after": ("建设后", "after"),
    "service_areas": ("服务范围", "service areas"),
    "minutes": ("分钟", "min"),
    "walk_minutes": ("步行分钟", "walking minutes"),
    "life_circle": ("生活圈", "life circle"),
    "minute_circle": ("分钟生活圈", "-minute circle"),
    "score": ("完整度", "completeness"),
    "level_15min": ("15分钟生活圈", "15-minute life circle"),
    "level_10min": ("10分钟生活圈", "10-minute life circle"),
    "level_5min": ("5分钟生活圈", "5-minute life circle"),
    "level_block": ("居住街坊", "residential block"),
    "no_data": ("无数据", "no data"),
    "network": ("路网", "network"),
    "share_before": ("建设前覆盖率", "covered before"),
    "share_after": ("建设后覆盖率", "covered after"),
    "sites": ("新建设施", "new sites"),
    "capacity": ("容量（人）", "capacity (people)"),
    "assigned": ("分配人数", "people assigned"),
    "name": ("名称", "name"),
    "type": ("类型", "type"),
    "nodes": ("节点", "nodes"),
    "edges": ("路段", "edges"),
    "report_title": ("社区服务设施规划分析报告", "Community service facility planning report"),
    "key_figures": ("主要指标", "Key figures"),
    "maps": ("地图", "Maps"),
    "tables": ("表格", "Tables"),
    "layers": ("GIS 图层", "GIS layers"),
    "rasters": ("栅格", "Rasters"),
    "charts": ("图表", "Charts"),
    "run_info": ("运行信息", "Run"),
    "coverage": ("设施覆盖", "Coverage"),
    "site_proposals": ("选址建议", "Site proposals"),
    "life_circles": ("生活圈", "Life circles"),
    "threshold": ("时间阈值（分钟）", "threshold (minutes)"),
    "solver": ("求解器", "solver"),
    "gap": ("最优间隙", "optimality gap"),
    "generated": ("生成时间", "generated"),
    "study": ("研究", "study"),
    "note": ("备注", "note"),
    "caveats": ("说明与局限", "Caveats"),
    "no_caveats": (
        "本次运行没有需要说明的假设。",
        "This run made no assumption that needs a caveat.",
    ),
    "technical_notes": ("技术提示（原文）", "Technical notes"),
    "methods": ("方法与假设", "Methods and assumptions"),
    "seconds": ("秒", "s"),
    "run_json": (
        "run.json 记录了全部输入（含校验值）、软件版本、参数、用时与以上说明。",
        "run.json records every input (with checksums), versions, parameters, timings "
        "and the caveats.",
    ),
    "outside_population": ("社区外人口", "people outside every community"),
    "network_pieces": ("路网连通片数", "network pieces"),
    "largest_piece": ("最大连通片占道路总长", "largest piece, share of street length"),
    "service_threshold": ("服务范围", "threshold"),
    "by_distance": ("按路网距离", "network distance"),
    "by_time": ("按步行时间", "walking time"),
    "indicators": ("规划主要指标", "The plan's indicators"),
    # print maps and report.pdf
    "print_maps": ("专题图", "Maps"),
    "data_sources": ("数据来源", "Data"),
    "osm_attribution": ("© OpenStreetMap 贡献者（ODbL）", "© OpenStreetMap contributors (ODbL)"),
    "synthetic_data": (
        "合成数据（示例，不代表真实地点）",
        "synthetic data (an example, no real place)",
    ),
    "population_from_buildings": ("人口由建筑轮廓估算", "population estimated from buildings"),
    "invented_register": ("社区台账为虚构示例", "invented community register"),
    "register": ("社区台账", "community register"),
    "user_data": ("用户提供的数据", "user-supplied data"),
    "made_with": ("制图", "made with"),
    "coordinate_system": ("坐标系", "CRS"),
    "north": ("北", "N"),
    "metres": ("米", "m"),
    "kilometres": ("千米", "km"),
    "run_started": ("运行时间", "run started"),
    "existing_sites": ("现有设施点", "existing sites"),
    "all_studied": ("全域", "whole study"),
    "population_groups": ("一老一小：各人群覆盖率", "The elderly and young children"),
    "everyone": ("全体", "everyone"),
    "walk_speeds": ("人群步行速度", "Walking speeds of population groups"),
    "scenario": ("情景", "scenario"),
    "scenarios": ("情景分析", "Scenarios"),
    "added_links": ("新增连线", "links added"),
    "closed_streets": ("封闭路段", "streets closed"),
    "barriers": ("屏障", "barriers"),
    "scenario_before": ("情景前", "before"),
    "scenario_after": ("情景后", "after"),
    "change": ("变化", "change"),
    "lost": ("失去覆盖人口", "people no longer covered"),
    "measure": ("指标", "measure"),
}


#: Population groups whose coverage is reported beside everyone's (一老一小): (Chinese, English).
GROUP_NAMES: dict[str, tuple[str, str]] = {
    "elderly": ("老年人", "the elderly"),
    "children": ("儿童", "young children"),
}


def resolve_lang(lang: str | None) -> str:
    """Return ``lang`` checked, or the ``lang`` setting when None."""
    value = settings.lang if lang is None else lang
    if value not in ("zh", "en"):
        msg = f"lang must be 'zh' or 'en', got {value!r}"
        raise ConfigError(msg)
    return value


def label(key: str, lang: str | None = None) -> str:
    """Return the label ``key`` in Chinese (``zh``) or English (``en``).

    Examples
    --------
    >>> label("population", "en")
    'population'
    >>> label("population", "zh")
    '人口'
    """
    zh, en = _LABELS[key]
    return zh if resolve_lang(lang) == "zh" else en


#: How well a figure was checked, in words (the ``verification`` of the standards' values).
_VERIFICATION: dict[str, tuple[str, str]] = {
    "verified_primary": ("已核实（标准原文）", "verified (the text itself)"),
    "verified_secondary": ("已核实（权威转述）", "verified (a reputable restatement)"),
    "weak_secondary": ("弱来源", "weak source"),
    "local": ("地方规定", "local rule"),
    "default": ("geoplan 默认值", "geoplan default"),
    "user": ("本研究设定", "set by this study"),
}


def verification_name(verification: str, lang: str | None = None) -> str:
    """Return how well a figure was verified, in words in ``lang``."""
    return _named(_VERIFICATION, verification, lang)


#: Travel profiles: how people move on the network.
_PROFILES = {"walk": ("步行", "walk"), "bike": ("骑行", "bike"), "drive": ("驾车", "drive")}

#: The units of the standards' and geoplan's parameters (standards/*.toml).
_UNITS = {
    "persons/m2": ("人/平方米", "persons/m2"),
    "levels": ("层", "levels"),
    "m2": ("平方米", "m2"),
    "m": ("米", "m"),
    "m/s": ("米/秒", "m/s"),
    "min": ("分钟", "min"),
    "persons": ("人", "persons"),
    "share": ("比例", "share"),
    "ratio": ("比值", "ratio"),
}

#: The parameters a study's estimates use, named for a planner (standards/parameters.toml).
_PARAMETERS = {
    "persons_per_m2_floor": ("每平方米建筑面积人数", "persons per m2 of floor area"),
    "default_building_levels": ("未标注层数建筑的层数", "levels of buildings without levels"),
    "levels_single_storey_house": ("平房层数", "levels of a single-storey house"),
    "levels_house": ("独立住宅层数", "levels of a house"),
    "levels_village_house": ("村庄住宅层数", "levels of a village house"),
    "max_untagged_footprint_m2": (
        "未标注用途建筑的最大基底面积",
        "largest footprint of an untagged building",
    ),
    "far_residential": ("居住用地容积率", "floor area ratio, residential"),
    "far_residential_low_rise": ("低层居住用地容积率", "floor area ratio, low-rise residential"),
    "far_residential_old": ("老旧居住区容积率", "floor area ratio, old residential"),
    "far_rural_homestead": ("农村宅基地容积率", "floor area ratio, rural homesteads"),
    "walk_speed_elderly_m_s": ("老年人步行速度", "walking speed of the elderly"),
    "walk_speed_children_m_s": ("儿童步行速度", "walking speed of young children"),
}


def profile_name(profile: str, lang: str | None = None) -> str:
    """Return a travel profile (``walk``, ``bike``, ``drive``) in words in ``lang``."""
    return _named(_PROFILES, profile, lang)


def unit_name(unit: str, lang: str | None = None) -> str:
    """Return a parameter's unit in ``lang`` (the unit itself when unknown).

    Examples
    --------
    >>> unit_name("persons/m2", "zh"), unit_name("persons/m2", "en"), unit_name("ha", "zh")
    ('人/平方米', 'persons/m2', 'ha')
    """
    return _named(_UNITS, unit, lang)


def parameter_name(name: str, lang: str | None = None) -> str:
    """Return a parameter by its name for a planner in ``lang`` (the id itself when unknown)."""
    return _named(_PARAMETERS, name, lang)


def _named(names: dict[str, tuple[str, str]], key: str, lang: str | None) -> str:
    """Return ``key``'s (Chinese, English) name in ``lang``, or ``key`` when it has none."""
    found = names.get(key)
    return key if found is None else found[0 if resolve_lang(lang) == "zh" else 1]


def level_name(level: str, lang: str | None = None) -> str:
    """Return a life-circle level's name (``15min`` -> 15分钟生活圈), or the id if unknown."""
    key = f"level_{level}"
    return label(key, lang) if key in _LABELS else level


def facility_type_label(type_id: object, lang: str | None = None) -> str:
    """Return a facility type's name in Chinese or English (the id itself when not standard).

    Examples
    --------
    >>> facility_type_label("kindergarten", "zh")
    '幼儿园'
    """
    from geoplan.standards import current_standards

    try:
        found = current_standards().facility_type(str(type_id), exact=True)
    except (KeyError, ValueError, LookupError):
        return str(type_id)
    return found.name_zh if resolve_lang(lang) == "zh" else found.name_en


#: Table columns a run writes: (Chinese, English) headers of the workbook and the report.
COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "section": ("类别", "section"),
    "item": ("项目", "item"),
    "value": ("数值", "value"),
    "community": ("社区编号", "community id"),
    "community_name": ("社区名称", "community name"),
    "community_code": ("社区代码", "community code"),
    "facility_type": ("设施类型", "facility type"),
    "facility": ("设施编号", "facility id"),
    "name_zh": ("中文名称", "Chinese name"),
    "name_en": ("英文名称", "English name"),
    "threshold_minutes": ("时间阈值（分钟）", "threshold (minutes)"),
    "threshold_m": ("距离阈值（米）", "threshold (m)"),
    "threshold_distance_m": ("距离阈值（米）", "threshold (m)"),
    "threshold_basis": ("阈值类型", "threshold basis"),
    "threshold_source": ("阈值依据", "threshold source"),
    "threshold_verification": ("依据核实程度", "source verification"),
    "n_facilities": ("设施数", "facilities"),
    "sites": ("设施数", "sites"),
    "population": ("人口", "population"),
    "covered": ("覆盖人口", "people covered"),
    "covered_population": ("覆盖人口", "people covered"),
    "share": ("覆盖率", "covered share"),
    "covered_share": ("覆盖率", "covered share"),
    "unreachable_population": ("路网不可达人口", "people beyond the network"),
    "note": ("备注", "note"),
    "source": ("来源", "source"),
    "stand_in": ("替代数据", "stand-in"),
    "level": ("生活圈层级", "life-circle level"),
    "required": ("标准要求", "required"),
    "missing": ("缺项", "missing"),
    "n_missing": ("缺项数", "types missing"),
    "missing_zh": ("缺少的设施", "missing (Chinese)"),
    "missing_en": ("缺少的设施（英文）", "missing"),
    "capacity": ("容量（人）", "capacity (people)"),
    "assigned": ("分配人数", "people assigned"),
    "utilisation": ("利用率", "utilisation"),
    "across": ("比较单元", "across"),
    "gini": ("基尼系数", "Gini"),
    "palma": ("帕尔玛比值", "Palma ratio"),
    "theil": ("泰尔指数", "Theil index"),
    "candidate": ("候选点编号", "candidate"),
    "rank": ("序号", "rank"),
    "node": ("路网节点", "network node"),
    "newly_covered": ("新增覆盖人口", "newly covered people"),
    "marginal_gain": ("边际增益", "marginal gain"),
    "communities_served": ("服务社区", "communities served"),
    "covered_before": ("建设前覆盖人口", "covered before"),
    "share_before": ("建设前覆盖率", "covered share before"),
    "covered_after": ("建设后覆盖人口", "covered after"),
    "share_after": ("建设后覆盖率", "covered share after"),
    "district": ("区县", "district"),
    "urban_rural": ("城乡属性", "urban or rural"),
    "n_communities": ("社区数", "communities"),
    "number": ("序号", "number"),
    "indicator": ("指标", "indicator"),
    "area_level": ("统计层级", "area level"),
    "area_id": ("统计单元编号", "area id"),
    "area_name": ("统计单元", "area"),
    "target": ("目标值", "target"),
    "comparison": ("比较", "comparison"),
    "meets": ("是否达标", "met"),
    "gap": ("差距", "gap"),
    "unit": ("单位", "unit"),
    "type": ("指标属性", "type"),
    "n_missing_data": ("缺数据社区数", "communities without data"),
    "method": ("计算方法", "method"),
    "side": ("所在表", "side"),
    "group": ("人群", "group"),
    "column": ("人口列", "column"),
    "walk_speed_m_s": ("步行速度（米/秒）", "walking speed (m/s)"),
    "speed_source": ("速度依据", "speed source"),
    "speed_verification": ("依据核实程度", "source verification"),
    "assumed_share": ("占人口比例（设定）", "assumed share of the people"),
    "topic": ("主题", "topic"),
    "subject": ("对象", "subject"),
    "measure": ("指标", "measure"),
    "before": ("情景前", "before"),
    "after": ("情景后", "after"),
    "change": ("变化", "change"),
    "lost": ("失去覆盖人口", "people no longer covered"),
    "scenario": ("情景", "scenario"),
}

#: Tables a run writes: (Chinese, English) sheet names of the workbook.
TABLE_LABELS: dict[str, tuple[str, str]] = {
    "summary": ("主要指标", "summary"),
    "facility_types": ("设施类型", "facility types"),
    "life_circles": ("生活圈完整度", "life circles"),
    "life_circle_coverage": ("生活圈分项覆盖", "life-circle coverage"),
    "life_circle_types": ("生活圈设施类型", "life-circle types"),
    "coverage_totals": ("覆盖率汇总", "coverage totals"),
    "coverage_by_community": ("分社区覆盖率", "coverage by community"),
    "coverage_equity": ("覆盖公平性", "coverage equity"),
    "indicators": ("规划指标", "indicators"),
    "indicators_all": ("规划指标明细", "indicators, all"),
    "indicators_by_community": ("分社区规划指标", "indicators by community"),
    "indicators_by_district": ("分区县规划指标", "indicators by district"),
    "indicators_unsupported": ("无法评估的指标", "indicators unsupported"),
    "register_unmatched": ("台账未匹配", "register unmatched"),
    "population_groups": ("人群与步行速度", "population groups and speeds"),
}


def column_label(column: str, lang: str | None = None) -> str:
    """Return a table column's header in ``lang`` (the column itself when unknown).

    Patterns are read too: a population group's ``share_<group>``,
    ``speed_m_s_<group>``, ``threshold_m_<group>``, ``covered_<group>`` and
    ``population_<group>``; ``score_<level>``, ``meets_<indicator>`` and the
    plan's indicator ids.

    Examples
    --------
    >>> column_label("share", "zh"), column_label("score_15min", "zh")
    ('覆盖率', '15分钟生活圈完整度')
    >>> column_label("share_elderly", "zh"), column_label("speed_m_s_children", "en")
    ('覆盖率：老年人', 'walking speed (m/s): young children')
    >>> column_label("meets_activity_area_share", "zh")
    '是否达标：居民活动区域面积占社区综合服务设施总建筑面积比例'
    """
    zh = resolve_lang(lang) == "zh"
    if column in COLUMN_LABELS:
        return COLUMN_LABELS[column][0 if zh else 1]
    if column.startswith("score_"):
        level = level_name(column.removeprefix("score_"), lang)
        return f"{level}{'完整度' if zh else ' completeness'}"
    group_label = _group_column_label(column, zh)
    if group_label is not None:
        return group_label
    indicator = _indicator_name(column.removeprefix("meets_"), zh)
    if indicator is not None:
        if column.startswith("meets_"):
            return f"是否达标：{indicator}" if zh else f"met: {indicator}"
        return indicator
    return column


#: Columns a population group adds to coverage tables: prefix -> (Chinese, English) header.
_GROUP_COLUMNS = {
    "share_": ("覆盖率", "covered share"),
    "speed_m_s_": ("步行速度（米/秒）", "walking speed (m/s)"),
    "threshold_m_": ("距离阈值（米）", "threshold (m)"),
    "covered_": ("覆盖人口", "people covered"),
    "population_": ("人口", "population"),
}


def _group_column_label(column: str, zh: bool) -> str | None:
    """Headers of a group's columns, e.g. ``share_elderly`` -> 覆盖率：老年人."""
    for prefix, (text_zh, text_en) in _GROUP_COLUMNS.items():
        if column.startswith(prefix) and len(column) > len(prefix):
            group = column.removeprefix(prefix)
            names = GROUP_NAMES.get(group, (group, group))
            return f"{text_zh}：{names[0]}" if zh else f"{text_en}: {names[1]}"
    return None


def _indicator_name(indicator: str, zh: bool) -> str | None:
    from geoplan.standards import plan_indicators

    table = plan_indicators()
    if indicator not in table.index:
        return None
    return str(table.loc[indicator, "name_zh" if zh else "name_en"])


def table_label(table: str, lang: str | None = None) -> str:
    """Return a table's name in ``lang`` (its file name when unknown)."""
    zh = resolve_lang(lang) == "zh"
    if table in TABLE_LABELS:
        return TABLE_LABELS[table][0 if zh else 1]
    if table.startswith("scenario_"):
        return f"{'情景：' if zh else 'scenario: '}{table.removeprefix('scenario_')}"
    for prefix, (name_zh, name_en) in (
        ("capacity_", ("容量", "capacity")),
        ("sites_", ("选址建议", "proposed sites")),
    ):
        if table.startswith(prefix):
            type_id = table.removeprefix(prefix).removesuffix("_before_after")
            extra = (
                ("（前后对比）" if zh else " (before/after)") if table.endswith("_after") else ""
            )
            name = name_zh if zh else name_en
            return f"{facility_type_label(type_id, lang)}{name}{extra}"
    return table


def is_share_column(column: str) -> bool:
    """Whether a column holds shares (0-1), shown as percentages in spreadsheets."""
    return (
        column in ("share", "covered_share", "utilisation", "share_before", "share_after")
        or column.startswith(("share_", "score_"))
        or column.endswith(("_share", "_coverage"))
    )


def describe_cutoff(cutoff: Cutoff, lang: str) -> str:
    """Return a threshold with its basis, source and verification, in words.

    Parameters
    ----------
    cutoff
        A type's threshold (:attr:`geoplan.study.MeasuredType.cutoff`).
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    str
        E.g. ``"500 米（按路网距离；GB 50180-93（2002 年版）附表，已核实（标准原文））"``;
        the source is named by :meth:`Source.name_in` in the standards in force.

    Examples
    --------
    >>> from geoplan.standards import facility_type
    >>> cutoff = facility_type("kindergarten").cutoff
    >>> describe_cutoff(cutoff, "en")
    '300 m (network distance; GB 50180-93 (2002 rev.) table, verified (the text itself))'
    """
    from geoplan.standards import current_standards

    basis = label("by_distance" if cutoff.basis == "distance" else "by_time", lang)
    value = cutoff.value
    try:
        source = current_standards().source(value.source).name_in(lang)
    except KeyError:
        source = value.source
    checked = verification_name(value.verification, lang)
    if lang == "zh":
        return f"{cutoff.text_in(lang)}（{basis}；{source}，{checked}）"
    return f"{cutoff.text_in(lang)} ({basis}; {source}, {checked})"
