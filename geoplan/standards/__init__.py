"""Planning standards as data: life-circle levels, facility types, shelter classes.

The package data (TOML files beside this module) hold what the compiled
sources say about 15-minute life circles (GB 50180-2018, TD/T 1062-2021), the
convenience life circle (商务部 2021/2023), health, elderly care, meal aid and
emergency shelters (GB 51143-2015, GB 21734-2008). Every number is a
:class:`Value` with its source and verification level (``verified_primary``,
``verified_secondary``, ``weak_secondary``, ``local``); where an analysis needs
a number no source gives, it is a documented ``default``, and every value can
be overridden by the user (verification ``user``).

Examples
--------
>>> from geoplan import standards
>>> t = standards.facility_type("社区卫生服务站")
>>> t.figures["min_building_area_m2"].value, t.figures["min_building_area_m2"].verification
(150.0, 'verified_primary')
>>> standards.facility_type("pharmacy").threshold_minutes
8.0
>>> standards.levels().loc["15min", "minutes"]
np.float64(15.0)
"""

from __future__ import annotations

import os
from functools import lru_cache

import pandas as pd

from geoplan.standards._model import (
    FacilityType,
    LifeCircleLevel,
    OsmTags,
    Profile,
    ShelterClass,
    Source,
    Value,
    Verification,
)
from geoplan.standards._standards import Standards, read_package_data

__all__ = [
    "FacilityType",
    "LifeCircleLevel",
    "OsmTags",
    "Profile",
    "ShelterClass",
    "Source",
    "Standards",
    "Value",
    "Verification",
    "facility_type",
    "facility_types",
    "level",
    "levels",
    "load_standards",
    "search",
]


@lru_cache(maxsize=1)
def _package_standards() -> Standards:
    return Standards(read_package_data())


def load_standards(path: str | os.PathLike[str] | None = None) -> Standards:
    """Return the package's standards, with a user's overrides file applied if given.

    Parameters
    ----------
    path
        A TOML file of overrides (see :meth:`Standards.with_overrides`).

    Returns
    -------
    Standards

    Examples
    --------
    >>> std = load_standards()
    >>> len(std.all_types)
    47
    """
    standards = _package_standards()
    return standards if path is None else standards.with_overrides(path)


def facility_types(*, level: str | None = None, required: bool | None = None) -> pd.DataFrame:
    """Return the facility types of the package's standards (:meth:`Standards.facility_types`).

    Examples
    --------
    >>> facility_types(required=False).shape[0]
    6
    """
    return load_standards().facility_types(level=level, required=required)


def facility_type(key: str) -> FacilityType:
    """Return a facility type by id or name (:meth:`Standards.facility_type`).

    Examples
    --------
    >>> facility_type("kindergarten").service_radius_m
    300.0
    """
    return load_standards().facility_type(key)


def levels() -> pd.DataFrame:
    """Return the life-circle levels of the package's standards (:meth:`Standards.levels`).

    Examples
    --------
    >>> list(levels().index[:4])
    ['15min', '10min', '5min', 'block']
    """
    return load_standards().levels()


def level(key: str) -> LifeCircleLevel:
    """Return a life-circle level by id or name (:meth:`Standards.level`).

    Examples
    --------
    >>> level("village").profile
    'bike'
    """
    return load_standards().level(key)


def search(text: str) -> pd.DataFrame:
    """Find facility types by name, keyword or OSM tag (:meth:`Standards.search`).

    Examples
    --------
    >>> "community_canteen" in search("食堂").index
    True
    """
    return load_standards().search(text)
