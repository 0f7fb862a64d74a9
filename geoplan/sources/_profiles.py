"""Which OpenStreetMap ways each travel profile may use, written as data.

The filters decide, from a way's tags alone, whether it belongs to the walk,
bike or drive network read from OSM XML. They follow osmnx's ``walk``,
``bike`` and ``drive`` network filters (``osmnx._overpass._get_network_filter``)
in spirit, with these differences:

* They *allow* listed ``highway`` values instead of excluding listed ones, so a
  new or misspelt value (``highway=foo``) is left out rather than let in.
* ``highway=busway`` is left out of every profile (osmnx keeps it for walk
  and bike, and drive).
* OSM's access hierarchy decides: the most specific access tag a way carries
  wins (for walking ``foot``, then ``access``), so ``access=no`` with
  ``foot=yes`` is walkable, while osmnx drops every ``access=private`` way and
  keeps every ``access=no`` one. Values closing a way are ``no`` and
  ``private``, also as one of several (``private;delivery``).
* A cycleway is walkable only when it says ``foot=yes|designated|permissive``
  (osmnx never walks on cycleways); a footway is cyclable only when it says
  ``bicycle=yes|designated|permissive`` (osmnx never cycles on footways).
* ``motorroad=yes`` (expressways, often ``highway=trunk`` in Chinese cities)
  is excluded for walking and cycling.

PBF files are read by pyrosm, whose ``walking``, ``cycling`` and ``driving``
filters follow osmnx the same way (with the access hierarchy, but excluding
instead of allowing; geoplan also leaves out ``motorroad=yes`` ways for
walking and cycling, which pyrosm keeps); online queries use osmnx's own
filters. Pedestrians and cyclists are never on ``highway=motorway`` or
``motorway_link`` ways in any of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from geoplan._errors import InputError

__all__ = ["PROFILES", "WayFilter", "way_filter"]

Profile = Literal["walk", "bike", "drive"]

#: Values of an access tag that close a way to the mode.
CLOSED = frozenset({"no", "private"})
#: Values of a mode's own tag that open a way listed as permitted only.
OPEN = frozenset({"yes", "designated", "permissive"})

_ROADS = frozenset(
    {
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
        "unclassified",
        "residential",
        "living_street",
        "road",
    }
)


def _has(value: str | None, values: frozenset[str]) -> bool:
    """Whether a tag value, or one of its ``;``-separated values, is in ``values``."""
    if value is None:
        return False
    if value in values:
        return True
    return ";" in value and any(part.strip() in values for part in value.split(";"))


@dataclass(frozen=True)
class WayFilter:
    """The ways a travel profile may use.

    Attributes
    ----------
    profile : str
        ``"walk"``, ``"bike"`` or ``"drive"``.
    adjective : str
        ``"walkable"``, ... for messages.
    highway : frozenset of str
        ``highway`` values the profile uses.
    permitted_highway : frozenset of str
        ``highway`` values used only when the mode's own tag (the first of
        ``access_keys``) is ``yes``, ``designated`` or ``permissive``.
    access_keys : tuple of str
        The mode's access tags from the most specific to ``access``; the most
        specific one present decides, and ``no``/``private`` close the way.
    excluded : mapping of str to frozenset of str
        Other tags whose listed values exclude a way (``area=yes``, ...).

    Examples
    --------
    >>> way_filter("walk").accepts({"highway": "footway"})
    True
    >>> way_filter("walk").accepts({"highway": "residential", "access": "private"})
    False
    """

    profile: Profile
    adjective: str
    highway: frozenset[str]
    permitted_highway: frozenset[str]
    access_keys: tuple[str, ...]
    excluded: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def accepts(self, tags: Mapping[str, str]) -> bool:
        """Return whether a way with these tags belongs to the profile's network."""
        highway = tags.get("highway")
        if highway is None:
            return False
        permitted = highway in self.permitted_highway and tags.get(self.access_keys[0]) in OPEN
        if highway not in self.highway and not permitted:
            return False
        for key, values in self.excluded.items():
            if _has(tags.get(key), values):
                return False
        for key in self.access_keys:
            value = tags.get(key)
            if value is not None:
                return not _has(value, CLOSED)
        return True


_SEPARATE = frozenset({"separate"})
_YES = frozenset({"yes"})
_PRIVATE = frozenset({"private"})

PROFILES: Mapping[str, WayFilter] = MappingProxyType(
    {
        "walk": WayFilter(
            profile="walk",
            adjective="walkable",
            highway=_ROADS
            | {
                "service",
                "pedestrian",
                "footway",
                "path",
                "steps",
                "track",
                "bridleway",
                "corridor",
                "elevator",
                "escalator",
            },
            permitted_highway=frozenset({"cycleway"}),
            access_keys=("foot", "access"),
            excluded=MappingProxyType(
                {
                    "area": _YES,
                    "service": _PRIVATE,
                    "motorroad": _YES,
                    # the sidewalk is its own way: walk there, not twice
                    "sidewalk": _SEPARATE,
                    "sidewalk:both": _SEPARATE,
                    "sidewalk:left": _SEPARATE,
                    "sidewalk:right": _SEPARATE,
                }
            ),
        ),
        "bike": WayFilter(
            profile="bike",
            adjective="cyclable",
            highway=_ROADS | {"service", "cycleway", "path", "track", "bridleway", "pedestrian"},
            permitted_highway=frozenset({"footway"}),
            access_keys=("bicycle", "vehicle", "access"),
            excluded=MappingProxyType({"area": _YES, "service": _PRIVATE, "motorroad": _YES}),
        ),
        "drive": WayFilter(
            profile="drive",
            adjective="drivable",
            highway=_ROADS | {"motorway", "motorway_link"},
            permitted_highway=frozenset(),
            access_keys=("motorcar", "motor_vehicle", "vehicle", "access"),
            excluded=MappingProxyType(
                {
                    "area": _YES,
                    "service": frozenset(
                        {
                            "alley",
                            "driveway",
                            "emergency_access",
                            "parking",
                            "parking_aisle",
                            "private",
                        }
                    ),
                }
            ),
        ),
    }
)


def way_filter(profile: str) -> WayFilter:
    """Return the way filter of a profile, or raise InputError for an unknown one.

    Examples
    --------
    >>> way_filter("drive").accepts({"highway": "motorway"})
    True
    """
    try:
        return PROFILES[profile]
    except (KeyError, TypeError):
        msg = f"profile must be one of 'walk', 'bike', 'drive'; got {profile!r}"
        raise InputError(msg) from None
