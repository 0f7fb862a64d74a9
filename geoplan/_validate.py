"""Checks shared by the analyses: CRS, type columns, weights, and point-in-polygon homes."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geoplan._errors import CRSError, InputError
from geoplan.network import Network

__all__ = [
    "check_crs",
    "check_geometries",
    "check_memory",
    "containing",
    "find_type_column",
    "weight_column",
]


def check_crs(frame: Any, network: Network, what: str) -> None:
    """Raise CRSError unless ``frame`` is in the network's CRS; the message gives the fix."""
    if frame.crs is None:
        msg = (
            f"the {what} have no CRS; set it (e.g. .set_crs(4326)) "
            "and reproject with .to_crs(network.crs)"
        )
        raise CRSError(msg)
    if not network.crs.equals(frame.crs):
        msg = (
            f"the {what} are in {frame.crs.to_string()} but the network is in "
            f"{network.crs.to_string()}; reproject them: {what}.to_crs(network.crs)"
        )
        raise CRSError(msg)


def check_geometries(frame: Any, what: str) -> None:
    """Raise InputError when some rows have no geometry (None or empty); the message names them.

    Parameters
    ----------
    frame
        A GeoDataFrame.
    what
        What the rows are, for the message (``"communities"``).
    """
    geometry = frame.geometry
    empty = np.asarray(geometry.isna() | geometry.is_empty, dtype=bool)
    if not empty.any():
        return
    ids = list(frame.index[empty][:5])
    msg = (
        f"{int(empty.sum())} of {len(frame)} {what} have no geometry (None or empty; first "
        f"{ids}); draw them, or drop them first: "
        f"{what}[~({what}.geometry.isna() | {what}.geometry.is_empty)]"
    )
    raise InputError(msg)


def find_type_column(facilities: Any, given: str | None) -> str:
    """Return the facility-type column: ``given``, else ``facility_type`` or ``category``."""
    for candidate in [given] if given else ["facility_type", "category"]:
        if candidate in facilities.columns:
            return candidate
    msg = (
        "the facilities need a facility-type column (facility_type or category); classify OSM "
        "points with geoplan.classify_facilities(...) or pass type_column="
    )
    raise InputError(msg)


def weight_column(frame: Any, column: str, *, required: bool = False) -> NDArray[np.float64]:
    """Return a non-negative weight column (ones when absent and not required)."""
    if column not in frame.columns:
        if required:
            msg = f"there is no {column!r} column; columns: {list(frame.columns)}"
            raise InputError(msg)
        return np.ones(len(frame))
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        msg = (
            f"{int(bad.sum())} rows have a missing, NaN or negative {column!r}; fill or drop "
            f"them first (e.g. frame[{column!r}].fillna(0))"
        )
        raise InputError(msg)
    absurd = values > MAX_PEOPLE_PER_POINT
    if absurd.any():
        msg = (
            f"{int(absurd.sum())} rows have more than {MAX_PEOPLE_PER_POINT:,} in {column!r} "
            f"(largest {values.max():,.0f}): no one point holds that many people; check the "
            "units (a density per km2 or a city total instead of the people at that point?)"
        )
        raise InputError(msg)
    return np.asarray(values, dtype=np.float64)


#: More people than this at one demand point is refused as an error in the data (a geoplan
#: default: a 1 km2 raster cell of the densest Chinese districts holds about 50,000).
MAX_PEOPLE_PER_POINT = 1_000_000

#: The row of per-community tables that holds the people who live in no community.
OUTSIDE_COMMUNITIES = "(outside)"


def containing(
    polygons: NDArray[Any], points: NDArray[Any], *, predicate: str = "within"
) -> NDArray[np.int64]:
    """Position of the first polygon containing each point (``predicate``); -1 for none."""
    tree = shapely.STRtree(polygons)
    pts, polys = tree.query(points, predicate=predicate)
    home = np.full(len(points), -1, dtype=np.int64)
    order = np.lexsort((polys, pts))
    pts, polys = pts[order], polys[order]
    first = np.ones(len(pts), dtype=bool)
    first[1:] = pts[1:] != pts[:-1]
    home[pts[first]] = polys[first]
    return home


def check_memory(n_bytes: float, what: str, fix: str) -> None:
    """Refuse an allocation larger than ``settings.max_memory_mb`` before making it.

    The limit is also capped by the machine's physical memory: a user who
    raises ``settings.max_memory_mb`` beyond it would otherwise meet numpy's
    MemoryError (or the system's out-of-memory killer) instead of this message.

    Parameters
    ----------
    n_bytes
        The estimated size of what is about to be allocated.
    what
        What it is, for the message (e.g. "a 120,000 x 90,000 service-area grid").
    fix
        How to make it smaller.

    Raises
    ------
    InputError
        With the estimate, the limit and the fix.
    """
    from geoplan.settings import settings

    limit = settings.max_memory_mb * 2**20
    machine = physical_memory_bytes()
    if machine is not None and machine < limit and n_bytes > machine:
        msg = (
            f"{what} would need about {n_bytes / 2**30:,.1f} GB of memory, more than this "
            f"machine's {machine / 2**30:,.1f} GB of RAM (settings.max_memory_mb = "
            f"{settings.max_memory_mb:,.0f} MB is above it, so the machine is the limit); {fix}"
        )
        raise InputError(msg)
    if n_bytes > limit:
        msg = (
            f"{what} would need about {n_bytes / 2**30:,.1f} GB of memory, more than the "
            f"{settings.max_memory_mb:,.0f} MB limit (settings.max_memory_mb); {fix}"
        )
        raise InputError(msg)


def physical_memory_bytes() -> int | None:
    """Return the machine's physical memory in bytes, or None where the system does not say."""
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # no sysconf (Windows) or no such name
        return None
    return pages * size if pages > 0 and size > 0 else None
