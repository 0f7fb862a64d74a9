"""Caveats: every assumption of a run that changes a result, said in Chinese and English.

A planner puts their name on what a run prints, so what stood in for what
(restaurants for canteens, parks for shelters), which data are invented or
estimated, who lives in no community, who is beyond the network, which types
were not found and which thresholds rest on weak or local sources are all
written into run.json and the report's "说明 / Caveats" section. The study
and the run make them; the outputs only print them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from geoplan.network import Network
from geoplan.slopes import slope_summary

__all__ = ["Caveat", "people_text", "travel_caveats", "travel_record"]


@dataclass(frozen=True)
class Caveat:
    """One assumption or limit of a run.

    Attributes
    ----------
    topic
        ``stand_in``, ``invented``, ``estimated``, ``communities``, ``outside``,
        ``unreachable``, ``no_sites``, ``threshold``, ``speed``, ``oneway``,
        ``speeds``, ``slopes`` or ``warning`` (a warning raised while reading
        or running, in its own words).
    zh, en
        The caveat in Chinese and in English.
    """

    topic: str
    zh: str
    en: str

    def text(self, lang: str) -> str:
        """Return the caveat in ``lang`` (``"zh"`` or ``"en"``)."""
        return self.zh if lang == "zh" else self.en

    def as_record(self) -> dict[str, Any]:
        """Return the caveat for run.json."""
        return {"topic": self.topic, "zh": self.zh, "en": self.en}


def people_text(number: float, total: float) -> tuple[str, str]:
    """Return ``number`` of people (and their share of ``total``) in Chinese and English."""
    share = number / total if total > 0 else 0.0
    return f"{number:,.0f} 人（占 {share:.1%}）", f"{number:,.0f} people ({share:.1%})"


# ----------------------------------------------------------------- travel on the network
def travel_record(network: Network) -> dict[str, Any]:
    """Return how travel times were measured, for run.json.

    The network's directions and speeds (:meth:`Network.travel_summary`),
    the share of the driving edges whose speed came from a speed limit, a
    road class or the default (``speed_sources``), the direction of every
    analysis's trips (from homes to facilities: ``to_sources``) and the
    slopes (:func:`geoplan.slopes.slope_summary`).
    """
    record: dict[str, Any] = {"profile": network.profile, **network.travel_summary()}
    attrs = network.edge_attrs
    if attrs is not None and "speed_source" in attrs.columns:
        counts = attrs["speed_source"].value_counts(normalize=True)
        record["speed_sources"] = {str(k): float(v) for k, v in counts.items()}
    record["direction"] = "to_sources"
    record["slopes"] = slope_summary(network)
    return record


def travel_caveats(network: Network, dem: str | None = None) -> list[Caveat]:
    """Say, in Chinese and English, which one-way streets, speeds and slopes a run used."""
    out: list[Caveat] = []
    facts = travel_record(network)
    mode_zh, mode_en = {"drive": ("驾车", "Driving"), "bike": ("骑行", "Cycling")}.get(
        network.profile, ("步行", "Walking")
    )
    if facts["oneway_edge_share"] > 0:
        share = facts["oneway_edge_share"]
        out.append(
            Caveat(
                "oneway",
                f"{mode_zh}：{share:.0%} 的路段为单行（按 OpenStreetMap 的 oneway、环岛和高速公路"
                "标签或道路文件的单行列），只能顺行；出行时间均按从居民点到设施的方向计算。",
                f"{mode_en}: {share:.0%} of the segments are one-way (OpenStreetMap oneway, "
                "roundabout and motorway tags, or the road file's one-way column) and are "
                "travelled one way only; every trip is measured from homes to facilities.",
            )
        )
    if "speed_sources" in facts:
        out.append(_speed_caveat(facts, network.speed_m_s))
    slopes = facts["slopes"]
    if slopes.get("slopes"):
        name = dem or "DEM"
        off = slopes["edges_off_dem"]
        out.append(
            Caveat(
                "slopes",
                f"坡度：步行时间按高程数据 {name} 与 Tobler 徒步函数（1993）计算，"
                "上坡慢、缓下坡快，平地仍取步行速度；"
                f"{off} 条路段（共 {slopes['edges']} 条）位于高程数据之外或无数据处，按平地计算。",
                f"Slopes: walking times follow the elevations of {name} and Tobler's hiking "
                "function (1993), slower uphill and faster gently downhill, at the walking speed "
                f"on the flat; {off} of {slopes['edges']} segments lie outside the DEM or on "
                "nodata and were kept flat.",
            )
        )
    return out


def _speed_caveat(facts: dict[str, Any], reference_m_s: float) -> Caveat:
    shares = facts["speed_sources"]
    limit, by_class, default = (shares.get(k, 0.0) for k in ("maxspeed", "class", "default"))
    kmh = reference_m_s * 3.6
    return Caveat(
        "speeds",
        f"车速：{limit:.0%} 的路段取限速的 0.8 倍，{by_class:.0%} 取道路等级的默认车速，"
        f"{default:.0%} 取默认车速 {kmh:.0f} 公里/小时（均为 geoplan 的默认值，来源见 "
        "standards/road_speeds.toml，并非规划标准；未计路口等待与拥堵）。按距离给出的阈值和表中的"
        f"距离均为按 {kmh:.0f} 公里/小时折算的时间。",
        f"Speeds: {limit:.0%} of the segments drive at 0.8 of their speed limit, "
        f"{by_class:.0%} at their road class's default, {default:.0%} at the default "
        f"{kmh:.0f} km/h (geoplan defaults with their sources in standards/road_speeds.toml, not "
        "planning standards; no waits at junctions or congestion). Thresholds given as "
        f"distances, and the distances in the tables, are travel times at {kmh:.0f} km/h.",
    )
