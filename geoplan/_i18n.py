"""Labels of maps, reports and command output in Chinese and English."""

from __future__ import annotations

from geoplan._errors import ConfigError
from geoplan.settings import settings

__all__ = ["facility_type_label", "label", "level_name", "resolve_lang"]

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
    "outside_population": ("社区外人口", "people outside every community"),
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
