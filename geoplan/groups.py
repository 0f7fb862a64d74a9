"""Population groups and the speed each walks at: the elderly and young children (一老一小).

Coverage is reported for the whole population and, beside it, for groups of
people counted in columns of the demand (the people aged 60 and over at each
point, the pre-school children). A group that walks slower reaches less within
the same minutes, so each group is measured at its own walking speed:

* **the elderly** (``elderly``) at 0.92 m/s, the 15th-percentile crossing speed
  of older pedestrians in two US field studies (standards parameter
  ``walk_speed_elderly_m_s``, verified secondary);
* **young children** (``children``) at 0.88 m/s, the mean walking speed of
  pre-school children measured at crosswalks (``walk_speed_children_m_s``,
  verified secondary);
* a group of the user's own, or a plain column name, at the network's speed
  unless a speed is given.

No Chinese standard consulted gives either speed; both are measurements abroad,
said as such in every run's caveats.

How a group's speed is applied
------------------------------
A group walking at ``v_g`` on a network whose speed is ``v`` takes ``v / v_g``
times as long on every edge, so it reaches within ``T`` minutes exactly what
everybody reaches within ``T * v_g / v`` minutes. Coverage therefore gives
each group its own cutoff in *minutes* (never a rebuilt network), which is
right on a network of lengths (``T * 60 * v_g`` metres) as on one whose edges
carry their own times (slopes, one-way paths). A threshold that is a distance
(小学 500 m) is the same distance for everyone: speed plays no part in it.

Examples
--------
>>> g = population_group("elderly", column="age_60_plus")
>>> g.id, g.column, g.speed_m_s, g.source
('elderly', 'age_60_plus', 0.92, 'walk_speed_older_us')
>>> g.minutes_at(15.0, network_speed_m_s=1.0)
13.8
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from geoplan._errors import InputError
from geoplan._i18n import GROUP_NAMES
from geoplan.standards import Standards, current_standards

__all__ = ["GROUP_SPEED_PARAMETERS", "PopulationGroup", "as_groups", "population_group"]

#: The standards parameter giving each known group's walking speed.
GROUP_SPEED_PARAMETERS = {
    "elderly": "walk_speed_elderly_m_s",
    "children": "walk_speed_children_m_s",
}
#: A group's id names table columns (``share_<id>``): word characters, as a column name.
GROUP_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,39}$")
#: Walking speeds outside this range are refused as a mistake in units (km/h, ft/s).
MIN_WALK_SPEED_M_S, MAX_WALK_SPEED_M_S = 0.1, 3.0


@dataclass(frozen=True)
class PopulationGroup:
    """A group of people counted in a demand column, and the speed it walks at.

    Attributes
    ----------
    id
        Names the group's table columns: ``share_<id>``, ``speed_m_s_<id>``...
        (``elderly``, ``children``, or the user's own).
    column
        The demand column holding the group's people at each point.
    speed_m_s
        Its walking speed; ``None`` walks at the network's speed.
    source, verification
        Where the speed comes from: a source of the standards, ``user`` when
        set by the study or the caller, ``""`` at the network's speed.
    name_zh, name_en
        The group's names in tables, maps and the report.
    share
        When the population counts no column of the group's own: the share of
        every point's people the group is taken to be (a study makes its
        ``column`` as population x share, and says so in its caveats);
        ``None`` when ``column`` counts the group.
    """

    id: str
    column: str
    speed_m_s: float | None = None
    source: str = ""
    verification: str = ""
    name_zh: str = ""
    name_en: str = ""
    share: float | None = None

    def label(self, lang: str) -> str:
        """Return the group's name in ``lang`` (its id when it has none)."""
        name = self.name_zh if lang == "zh" else self.name_en
        return name or self.id

    def speed_at(self, network_speed_m_s: float) -> float:
        """Return the speed the group walks at on a network of this speed."""
        return network_speed_m_s if self.speed_m_s is None else self.speed_m_s

    def minutes_at(self, minutes: float, *, network_speed_m_s: float) -> float:
        """Return the minutes at the network's speed that the group covers in ``minutes``.

        Parameters
        ----------
        minutes
            A threshold in minutes (of the group's own walking).
        network_speed_m_s
            The speed the network's times are measured at.

        Returns
        -------
        float
            ``minutes * v_g / v``: the same cutoff on a network of lengths and on
            one whose edges carry their own times.
        """
        return minutes * self.speed_at(network_speed_m_s) / network_speed_m_s

    def row(self) -> dict[str, Any]:
        """Return the group as a plain record (run.json, tables)."""
        return {
            "group": self.id,
            "column": self.column,
            "name_zh": self.name_zh,
            "name_en": self.name_en,
            "walk_speed_m_s": self.speed_m_s,
            "speed_source": self.source,
            "speed_verification": self.verification,
            "assumed_share": self.share,
        }


def population_group(
    group_id: str,
    *,
    column: str | None = None,
    speed_m_s: float | None = None,
    name_zh: str | None = None,
    name_en: str | None = None,
    standards: Standards | None = None,
) -> PopulationGroup:
    """Return a population group with its walking speed.

    Parameters
    ----------
    group_id
        ``"elderly"`` or ``"children"`` (whose speeds the standards give), or a
        name of your own (word characters; it names table columns).
    column
        The demand column of the group's people; ``group_id`` when omitted.
    speed_m_s
        The group's walking speed; for ``elderly`` and ``children`` the
        standards' figure by default (0.92 and 0.88 m/s), for others the
        network's speed.
    name_zh, name_en
        Names of a group of your own (the known groups have theirs).
    standards
        The standards giving the default speeds.

    Returns
    -------
    PopulationGroup

    Raises
    ------
    InputError
        An id that cannot name a column, or a speed that is no walking speed.

    Examples
    --------
    >>> population_group("children", column="age_0_6").speed_m_s
    0.88
    >>> population_group("elderly", column="age_65_plus", speed_m_s=0.8).source
    'user'
    """
    if not isinstance(group_id, str) or not GROUP_ID.fullmatch(group_id):
        msg = (
            f"population group {group_id!r} cannot name table columns: use letters, digits "
            "and '_' (at most 40, not starting with a digit), e.g. 'elderly'"
        )
        raise InputError(msg)
    known_zh, known_en = GROUP_NAMES.get(group_id, ("", ""))
    source, verification = "", ""
    if speed_m_s is not None:
        speed_m_s = check_walk_speed(speed_m_s, f"the walking speed of group {group_id!r}")
        source, verification = "user", "user"
    elif group_id in GROUP_SPEED_PARAMETERS:
        std = standards if standards is not None else current_standards()
        value = std.parameter(GROUP_SPEED_PARAMETERS[group_id])
        speed_m_s, source, verification = value.high, value.source, value.verification
    return PopulationGroup(
        id=group_id,
        column=column or group_id,
        speed_m_s=speed_m_s,
        source=source,
        verification=verification,
        name_zh=name_zh or known_zh,
        name_en=name_en or known_en,
    )


def check_walk_speed(value: Any, what: str) -> float:
    """Return a walking speed in m/s, or raise naming ``what`` and a right value."""
    number = float("nan")
    if not isinstance(value, bool) and isinstance(value, int | float):
        number = float(value)
    if not (MIN_WALK_SPEED_M_S <= number <= MAX_WALK_SPEED_M_S):
        msg = (
            f"{what} = {value!r} is not a walking speed in metres per second (between "
            f"{MIN_WALK_SPEED_M_S:g} and {MAX_WALK_SPEED_M_S:g}); e.g. 0.92 (3.3 km/h: divide "
            "km/h by 3.6, multiply ft/s by 0.3048)"
        )
        raise InputError(msg)
    return number


def as_groups(groups: Iterable[str | PopulationGroup]) -> tuple[PopulationGroup, ...]:
    """Return groups given as column names or :class:`PopulationGroup` s, checked.

    A column name is a group of that name walking at the network's speed.

    Raises
    ------
    InputError
        A group that is neither, or two groups of one id.
    """
    out: list[PopulationGroup] = []
    for group in groups:
        if isinstance(group, str):
            out.append(PopulationGroup(id=group, column=group))
        elif isinstance(group, PopulationGroup):
            out.append(group)
        else:
            msg = (
                f"groups must be column names or geoplan.groups.PopulationGroup, got {group!r}; "
                "e.g. groups=[population_group('elderly', column='age_60_plus')]"
            )
            raise InputError(msg)
    ids = [g.id for g in out]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        msg = f"population groups {twice} are given twice; give each group once"
        raise InputError(msg)
    return tuple(out)


def speeds_text(groups: Sequence[PopulationGroup], network_speed_m_s: float, lang: str) -> str:
    """Return e.g. "老年人 0.92 米/秒、儿童 0.88 米/秒" (for captions and caveats)."""
    zh = lang == "zh"
    parts = [
        f"{g.label(lang)} {g.speed_at(network_speed_m_s):g} {'米/秒' if zh else 'm/s'}"
        for g in groups
        if math.isfinite(g.speed_at(network_speed_m_s))
    ]
    return ("、" if zh else ", ").join(parts)
