"""A study's population groups (一老一小): their people, their speeds, what they assume.

A study names its groups in ``[population.groups.<id>]`` (or
``Study.from_frames(groups=...)``). Resolving them once gives every group a
column of the demand (a share of every point's people where the population has
no column for it) and the speed it walks at; the caveats say the speeds, their
sources, and what a share assumes. Coverage reports each group at its speed
(:func:`geoplan.coverage`); the life circles and the site proposals stay at
everyone's speed: the standards define the life circles for all residents
(GB 50180-2018, TD/T 1062-2021), and the plan names no life circle of the
elderly's own walking.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import pandas as pd

from geoplan._caveats import Caveat
from geoplan._errors import InputError
from geoplan.groups import PopulationGroup, as_groups
from geoplan.settings import Settings

if TYPE_CHECKING:
    import geopandas as gpd

    from geoplan.network import Network

__all__ = ["group_caveats", "groups_table", "resolve_groups"]

_CHECKED = {
    "verified_secondary": ("已核实（权威转述）", "verified from a reputable restatement"),
    "verified_primary": ("已核实（原文）", "verified from the text itself"),
    "user": ("本研究设定", "set by this study"),
}


def resolve_groups(
    groups: Sequence[str | PopulationGroup], demand: gpd.GeoDataFrame, network: Network
) -> tuple[tuple[PopulationGroup, ...], gpd.GeoDataFrame]:
    """Give each group its demand column and the speed it walks at on this network.

    Parameters
    ----------
    groups
        The study's groups (column names walk at the network's speed).
    demand
        Where people live, with ``population``.
    network
        The study's network: on a bike or drive network groups move at its speed.

    Returns
    -------
    tuple
        The groups, and the demand with a column for every group given by a share.

    Raises
    ------
    InputError
        A group's column is not in the demand.
    """
    out = []
    for group in as_groups(groups):
        if group.share is not None:
            people = pd.to_numeric(demand["population"], errors="coerce").to_numpy(dtype=float)
            demand = demand.assign(**{group.column: people * group.share})
        elif group.column not in demand.columns:
            msg = (
                f"[population.groups.{group.id}] column = {group.column!r} is not a column of "
                f"the population (its columns: {list(demand.columns)}); name the column that "
                "counts the group's people, or give share = 0.2 (its share of every point's "
                "people) instead"
            )
            raise InputError(msg)
        walking = network.profile == "walk" or group.speed_m_s is None
        out.append(group if walking else replace(group, speed_m_s=None, source="", verification=""))
    return tuple(out), demand


def groups_table(groups: Sequence[PopulationGroup], network: Network) -> pd.DataFrame:
    """Return the ``population_groups`` table: everyone and each group, column, speed, source.

    The first row, ``everyone``, is the network's own speed (the setting
    ``walk_speed_m_s`` on a walking network); ``walk_speed_m_s`` of a group is
    the speed it was measured at (the network's where it has none of its own).
    """
    default = Settings.default(f"{network.profile}_speed_m_s")
    everyone = PopulationGroup(
        id="everyone",
        column="population",
        speed_m_s=network.speed_m_s,
        source=f"settings.{network.profile}_speed_m_s",
        verification="default" if network.speed_m_s == default else "user",
        name_zh="全体",
        name_en="everyone",
    )
    rows = []
    for group in (everyone, *groups):
        row = group.row()
        row["walk_speed_m_s"] = group.speed_at(network.speed_m_s)
        if group.speed_m_s is None:
            row["speed_source"] = "network"
        rows.append(row)
    return pd.DataFrame(rows, columns=list(everyone.row()))


def group_caveats(groups: Sequence[PopulationGroup], network: Network) -> list[Caveat]:
    """Return what measuring the groups assumes: their speeds and sources, and any share."""
    out = []
    speed = network.speed_m_s
    for group in groups:
        if group.share is not None:
            out.append(_share_caveat(group))
        if network.profile != "walk":
            out.append(
                Caveat(
                    "group_speed",
                    f"{group.label('zh')}：路网为 {network.profile}，按路网速度 {speed:g} 米/秒 "
                    "计算（人群步行速度只用于步行网络）。",
                    f"{_capital(group.label('en'))}: the network is for {network.profile}, so "
                    f"the group moves at its speed, {speed:g} m/s (group walking speeds apply "
                    "to walking).",
                )
            )
        elif group.speed_m_s is not None and group.speed_m_s != speed:
            out.append(_speed_caveat(group, speed))
    return out


def _speed_caveat(group: PopulationGroup, speed: float) -> Caveat:
    own = group.speed_at(speed)
    checked_zh, checked_en = _CHECKED.get(
        group.verification, (group.verification, group.verification)
    )
    abroad = group.source != "user"
    metres, everyone = 15 * 60 * own, 15 * 60 * speed
    return Caveat(
        "group_speed",
        f"{group.label('zh')}（列 {group.column}）的覆盖率按步行速度 {own:g} 米/秒 计算"
        f"（全体为 {speed:g} 米/秒；依据：{group.source}，{checked_zh}"
        f"{'；国外实测值，非中国标准' if abroad else ''}）：同样的分钟数走得更近，"
        f"15 分钟为 {metres:,.0f} 米（全体 {everyone:,.0f} 米）。以路网距离为服务范围的类型"
        "（如幼儿园 300 米）对各人群相同；生活圈完整度与选址按全体的步行速度计算。",
        f"{_capital(group.label('en'))} (column {group.column}): coverage at a walking speed "
        f"of {own:g} m/s (everyone {speed:g} m/s; source {group.source}, {checked_en}"
        f"{'; measured abroad, not a Chinese standard' if abroad else ''}): the same minutes "
        f"reach less far, 15 minutes being {metres:,.0f} m (everyone {everyone:,.0f} m). Types "
        "whose threshold is a network distance (a kindergarten's 300 m) are the same for every "
        "group; the life circles and the site proposals use everyone's speed.",
    )


def _share_caveat(group: PopulationGroup) -> Caveat:
    assert group.share is not None
    share = float(group.share)
    return Caveat(
        "group_share",
        f"{group.label('zh')}按每个人口点人口的 {share:.1%} 估算（本研究设定），分布与全体相同："
        "其覆盖率与全体的差别只来自步行速度，不反映老人或儿童住在哪里。",
        f"{_capital(group.label('en'))} are taken as {share:.1%} of every point's people (set by "
        "this study), spread like everyone: their coverage differs from everyone's only by their "
        "walking speed, not by where they live.",
    )


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
