"""A synthetic province: many county studies for run-many (see ``datasets.synthetic_province``)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from geoplan._errors import InputError
from geoplan._io import atomic_path

__all__ = ["synthetic_province"]

_COUNTY = """# A synthetic county of a synthetic province (geoplan.datasets.synthetic_province):
# invented streets, communities, people, facilities and register; no real place.
[study]
name = "{name}"
title = "示例县 {number:02d} (synthetic county {number:02d})"

[network]
source = "synthetic"

[synthetic]
area_km2 = {area:.2f}
spacing_m = 80.0
seed = {seed}

[communities]
source = "synthetic"

[population]
source = "synthetic"

[facilities.types.community_health_station]
[facilities.types.community_canteen]
[facilities.types.elderly_day_care]

[register]
source = "synthetic"

[[sites]]
facility_type = "community_canteen"
p = 2

[outputs]
basemap = "none"
rasters = false
"""


def synthetic_province(
    folder: str | os.PathLike[str],
    *,
    n_counties: int = 60,
    seed: int = 0,
    area_km2: tuple[float, float] = (1.0, 4.0),
) -> list[Path]:
    """Write one study file per county of a synthetic province; return their paths.

    Each county is a :func:`synthetic_city` of its own seed and of an area
    drawn between ``area_km2`` (the urban core a county's walking study
    covers; a whole county is far larger but mostly rural roads), with its
    communities, people, three facility types, an invented register and a
    siting request. ``geoplan run-many folder/*.toml`` runs them.

    Parameters
    ----------
    folder
        Where the files go (created); never a folder of real data.
    n_counties
        How many counties (Jilin has about 60 county-level divisions).
    seed
        Seed of the areas and of each county's own seed.
    area_km2
        The range of the counties' study areas.

    Returns
    -------
    list of pathlib.Path
        ``county-01.toml`` ... in order.

    Examples
    --------
    >>> import tempfile
    >>> paths = synthetic_province(tempfile.mkdtemp(), n_counties=3)
    >>> [p.name for p in paths]
    ['county-01.toml', 'county-02.toml', 'county-03.toml']
    """
    if isinstance(n_counties, bool) or not isinstance(n_counties, int) or n_counties < 1:
        msg = f"n_counties must be a whole number of at least 1, got {n_counties!r}"
        raise InputError(msg)
    low, high = area_km2
    if not 0 < low <= high:
        msg = f"area_km2 must be (low, high) with 0 < low <= high, got {area_km2!r}"
        raise InputError(msg)
    rng = np.random.default_rng(seed)
    areas = rng.uniform(low, high, n_counties)
    seeds = rng.integers(0, 2**31 - 1, n_counties)
    target = Path(folder)
    paths = []
    for i in range(n_counties):
        path = target / f"county-{i + 1:02d}.toml"
        text = _COUNTY.format(
            name=f"county-{i + 1:02d}", number=i + 1, area=areas[i], seed=int(seeds[i])
        )
        with atomic_path(path) as tmp:
            tmp.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
