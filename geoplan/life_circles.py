"""Life circles: what each community's residents reach within 5, 10 and 15 minutes.

For every community and every facility type of the requested life-circle
levels (GB 50180-2018, TD/T 1062-2021, the MOFCOM convenience-circle guide; see
:mod:`geoplan.standards`), the share of its residents within the type's
threshold of at least one such facility: its *completeness*. A level's score
is the mean share over its required types; types whose share falls below
``missing_below`` are listed as missing, by Chinese and English name.

Communities come from a boundary file (polygons), from villages (points, for
rural studies), or, when none are given, from street blocks made by
polygonising the network (:func:`street_blocks`).

Examples
--------
>>> import geoplan
>>> city = geoplan.datasets.synthetic_city(area_km2=1.0, seed=1)
>>> result = geoplan.life_circles(
...     city.network(), city.communities.set_index("community_id"), city.facilities,
...     demand=city.buildings, circles=False)
>>> "score_15min" in result.communities.columns
True
"""

from __future__ import annotations

import functools
import hashlib
import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from geoplan._errors import GeoplanWarning, InputError
from geoplan._validate import (
    OUTSIDE_COMMUNITIES,
    check_crs,
    check_geometries,
    containing,
    find_type_column,
    weight_column,
)
from geoplan.facilities import access_points
from geoplan.network import Network, SnappedPoints
from geoplan.service_areas import group_areas
from geoplan.standards import FacilityType, Standards, current_standards

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["LifeCircles", "life_circles", "street_blocks"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LifeCircles:
    """The results of :func:`life_circles`.

    Attributes
    ----------
    communities : geopandas.GeoDataFrame
        One row per community (index as given): ``name`` and ``name_zh``
        when the communities have them, ``population``, one
        ``score_<level>`` column per level (0-1), ``n_missing``,
        ``missing_zh`` and ``missing_en`` (joined names), geometry.
    coverage : pandas.DataFrame
        One row per community and facility type: ``level``, ``required``,
        ``threshold_minutes``, ``n_facilities``, ``population``,
        ``covered_population``, ``share`` and ``missing``.
    types : pandas.DataFrame
        One row per facility type: facilities found, study-wide covered share
        and a ``note`` (e.g. that no facility of the type exists).
    circles : geopandas.GeoDataFrame or None
        Each community's 5/10/15-minute circles (``community``,
        ``cutoff_minutes``, geometry).
    unassigned_population : float
        Demand that lies in no community (left out of every share).
    """

    communities: gpd.GeoDataFrame
    coverage: pd.DataFrame
    types: pd.DataFrame
    circles: gpd.GeoDataFrame | None
    unassigned_population: float


def life_circles(
    network: Network,
    communities: gpd.GeoDataFrame | None,
    facilities: gpd.GeoDataFrame,
    *,
    demand: gpd.GeoDataFrame | None = None,
    population: str = "population",
    levels: Sequence[str] = ("15min", "10min", "5min"),
    types: Sequence[str] | None = None,
    type_column: str | None = None,
    standards: Standards | None = None,
    missing_below: float | None = None,
    circles: bool = True,
) -> LifeCircles:
    """Completeness of each community's life circles against the standards.

    Parameters
    ----------
    network
        The travel network (walk for urban levels; bike or drive for rural ones).
    communities
        Community polygons (or village points) in the network CRS, indexed
        by community id; ``None`` uses :func:`street_blocks`.
    facilities
        Facility points in the network CRS with a facility-type column
        (``facility_type`` as made by :func:`geoplan.facilities.classify_facilities`,
        or ``category``).
    demand
        Residents: building footprints or points, with a ``population``
        column when known (otherwise each counts equally). Defaults to one
        point per community carrying the community's ``population``.
    population
        The population column of ``demand`` (or of ``communities``).
    levels
        Life-circle level ids, e.g. ``("15min", "10min", "5min")`` or
        ``("township", "village")``.
    types
        Restrict to these facility types (ids, Chinese or English names).
    type_column
        The facility-type column of ``facilities``.
    standards
        The standards to measure against; the package's by default.
    missing_below
        A required type is missing for a community when less than this
        share of its residents reach one; the standards' parameter
        ``missing_below_share`` (0.5, a documented default) when omitted.
    circles
        Also trace each community's circles at the levels' minutes.

    Returns
    -------
    LifeCircles
    """
    std = standards if standards is not None else current_standards()
    if missing_below is None:
        missing_below = std.parameter("missing_below_share").high
    if communities is None:
        communities = street_blocks(network)
    communities = _valid_communities(communities, network)
    column = find_type_column(facilities, type_column)
    check_crs(facilities, network, "facilities")
    facilities = access_points(facilities, network)
    evaluated = _types_to_evaluate(std, levels, types, network)
    people = _demand(communities, demand, population, network)
    snapped = network.snap(people.points) if len(people.points) else None
    rows = []
    type_rows = []
    for ftype in evaluated:
        mask = (facilities[column] == ftype.id).to_numpy()
        covered = _covered(network, facilities.loc[mask], snapped, ftype)
        described = _describe(ftype, network)
        rows.append(_by_community(people, covered, described, int(mask.sum()), missing_below))
        type_rows.append(_type_row(people, covered, described, int(mask.sum())))
    coverage = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()
    circle_frame = None
    if circles and snapped is not None:
        minutes = sorted({std.level(level).threshold_minutes for level in levels})
        assigned = people.home >= 0
        circle_frame = group_areas(
            network,
            snapped.take(assigned),
            np.asarray(communities.index)[people.home[assigned]],
            minutes=minutes,
        ).rename(columns={"group": "community"})
    return LifeCircles(
        communities=_community_table(communities, coverage, levels, people),
        coverage=coverage,
        types=pd.DataFrame(type_rows),
        circles=circle_frame,
        unassigned_population=float(people.weights[people.home < 0].sum()),
    )


def street_blocks(network: Network, *, min_area_m2: float = 2000.0) -> gpd.GeoDataFrame:
    """Communities as street blocks: the faces of the network, polygonised.

    Parameters
    ----------
    network
        The travel network.
    min_area_m2
        Faces smaller than this (traffic islands, slivers) are left out.

    Returns
    -------
    geopandas.GeoDataFrame
        Blocks indexed ``B00001``, ``B00002``, ... in the network CRS.
    """
    import geopandas as gpd

    noded = shapely.get_parts(shapely.union_all(network.geometry))  # split where streets cross
    faces = shapely.get_parts(shapely.polygonize(noded))
    faces = faces[shapely.area(faces) >= min_area_m2]
    order = np.lexsort(
        (shapely.get_x(shapely.centroid(faces)), shapely.get_y(shapely.centroid(faces)))
    )
    faces = faces[order]
    index = pd.Index([f"B{i + 1:05d}" for i in range(len(faces))], name="community")
    log.info("made %d street blocks of at least %g m2 as communities", len(faces), min_area_m2)
    blocks = gpd.GeoDataFrame(geometry=faces, index=index, crs=network.crs)
    blocks.attrs[_STREET_BLOCKS] = _fingerprint(faces)  # faces of one plane never overlap
    return blocks


#: ``attrs`` key of street blocks: the fingerprint of the polygons as made.
_STREET_BLOCKS = "geoplan_street_blocks"


def _fingerprint(polygons: np.ndarray) -> str:
    """Return a digest of the polygons' exact coordinates (their WKB), in order."""
    return hashlib.sha256(b"".join(shapely.to_wkb(polygons).tolist())).hexdigest()


# ----------------------------------------------------------------- inputs
def _valid_communities(communities: gpd.GeoDataFrame, network: Network) -> gpd.GeoDataFrame:
    check_crs(communities, network, "communities")
    if len(communities) == 0:
        msg = "the community layer is empty; pass boundaries, villages, or None for street blocks"
        raise InputError(msg)
    if not communities.index.is_unique:
        dupes = list(communities.index[communities.index.duplicated()][:5])
        msg = f"community ids must be unique; duplicated: {dupes}. Index the layer by a unique id."
        raise InputError(msg)
    check_geometries(communities, "communities")
    geoms = np.asarray(communities.geometry.values)
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        fixed = communities.copy()
        fixed.loc[invalid, fixed.geometry.name] = shapely.make_valid(geoms[invalid])
        ids = list(communities.index[invalid][:5])
        warnings.warn(
            f"{int(invalid.sum())} community geometries were invalid and have been repaired "
            f"with make_valid (first: {ids}); check them in a GIS.",
            GeoplanWarning,
            stacklevel=3,
        )
        communities = fixed
    _report_overlaps(communities)
    return communities


def _report_overlaps(communities: gpd.GeoDataFrame) -> None:
    polys = np.asarray(communities.geometry.values)
    if not np.isin(shapely.get_type_id(polys), (3, 6)).all():  # villages as points
        return
    # street blocks, unchanged since made, are faces of one noded plane: none overlaps another
    # (Harbin's 2,849: the pairwise test took 0.2 s, the digest 0.01 s)
    if communities.attrs.get(_STREET_BLOCKS) == _fingerprint(polys):
        return
    tree = shapely.STRtree(polys)
    left, right = tree.query(polys, predicate="overlaps")
    pairs = int((left < right).sum())
    if pairs:
        warnings.warn(
            f"{pairs} pairs of community polygons overlap; residents in an overlap count "
            "for the first community only. Fix the boundaries to remove the overlaps.",
            GeoplanWarning,
            stacklevel=4,
        )


def _types_to_evaluate(
    std: Standards, levels: Sequence[str], types: Sequence[str] | None, network: Network
) -> list[FacilityType]:
    for level_id in levels:
        level = std.level(level_id)  # raises with close matches when unknown
        if level.profile != network.profile:
            warnings.warn(
                f"level {level.id!r} is defined for the {level.profile!r} profile but the network "
                f"is {network.profile!r}; read the network with profile={level.profile!r}",
                GeoplanWarning,
                stacklevel=3,
            )
    if types is not None:
        return [std.facility_type(t) for t in types]
    return [ftype for level in levels for ftype in std.types_of_level(level)]


@dataclass(frozen=True)
class _People:
    """Demand points, their weights, and the position of each one's community (-1: none)."""

    points: Any
    weights: np.ndarray
    home: np.ndarray
    communities: pd.Index

    @functools.cached_property
    def labels(self) -> tuple[Any, ...]:
        """The communities' ids as Python values, read once (a table per type lists them)."""
        return tuple(self.communities)

    def per_community(self, values: np.ndarray) -> np.ndarray:
        """Sum ``values`` (one per point) by community."""
        assigned = self.home >= 0
        return np.bincount(
            self.home[assigned], weights=values[assigned], minlength=len(self.communities)
        )

    def outside(self, values: np.ndarray) -> float:
        """Sum ``values`` over the points in no community."""
        return float(values[self.home < 0].sum())

    @property
    def any_outside(self) -> bool:
        """Whether anybody lives in no community."""
        return bool((self.weights[self.home < 0] > 0).any())


def _demand(
    communities: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame | None,
    population: str,
    network: Network,
) -> _People:
    """Residents as weighted points, each tied to its community."""
    import geopandas as gpd

    polygons = np.asarray(communities.geometry.values)
    point_communities = bool((shapely.get_type_id(polygons) == 0).all())
    if demand is None or point_communities:
        source = communities
        home = np.arange(len(communities))
    else:
        check_crs(demand, network, "demand")
        source = demand
        home = containing(polygons, shapely.centroid(np.asarray(demand.geometry.values)))
    points = gpd.GeoSeries(shapely.centroid(np.asarray(source.geometry.values)), crs=network.crs)
    return _People(points, weight_column(source, population), home, communities.index)


# ----------------------------------------------------------------- computations
def _covered(
    network: Network, facilities: Any, snapped: SnappedPoints | None, ftype: FacilityType
) -> np.ndarray:
    if snapped is None:
        return np.zeros(0, dtype=bool)
    if len(facilities) == 0:
        return np.zeros(len(snapped), dtype=bool)
    cutoff = ftype.cutoff
    distance_m = network.cutoff_m(minutes=cutoff.minutes, distance_m=cutoff.distance_m)
    result = network.nearest(facilities, distance_m=distance_m, targets=snapped)
    assert result.target_distance_m is not None
    return np.isfinite(result.target_distance_m)


def _describe(ftype: FacilityType, network: Network) -> dict[str, Any]:
    """Return the columns that name a facility type and its threshold (as coverage does)."""
    cutoff = ftype.cutoff
    return {
        "facility_type": ftype.id,
        "name_zh": ftype.name_zh,
        "name_en": ftype.name_en,
        "level": ftype.level.id,
        "required": ftype.required,
        "threshold_minutes": cutoff.minutes if cutoff.minutes is not None else float("nan"),
        "threshold_m": network.cutoff_m(minutes=cutoff.minutes, distance_m=cutoff.distance_m),
        "threshold_basis": cutoff.basis,
    }


def _by_community(
    people: _People,
    covered: np.ndarray,
    described: dict[str, Any],
    n_facilities: int,
    missing_below: float,
) -> pd.DataFrame:
    """One row per community, and one for the people in none (never counted as missing)."""
    pop = people.per_community(people.weights)
    cov = people.per_community(people.weights * covered)
    labels: list[Any] = list(people.labels)
    inside = np.ones(len(pop), dtype=bool)
    if people.any_outside:
        pop = np.append(pop, people.outside(people.weights))
        cov = np.append(cov, people.outside(people.weights * covered))
        labels.append(OUTSIDE_COMMUNITIES)
        inside = np.append(inside, False)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(pop > 0, cov / pop, np.nan)
    return pd.DataFrame(
        {
            "community": labels,
            **described,
            "n_facilities": n_facilities,
            "population": pop,
            "covered_population": cov,
            "share": share,
            "missing": described["required"] & inside & (pop > 0) & ~(share >= missing_below),
        }
    )


def _type_row(
    people: _People, covered: np.ndarray, described: dict[str, Any], n: int
) -> dict[str, Any]:
    """Return a type's study-wide share: of everybody, in a community or not (as coverage)."""
    total = float(people.weights.sum())
    reached = float((people.weights * covered).sum())
    return {
        **described,
        "n_facilities": n,
        "covered_share": reached / total if total > 0 else float("nan"),
        "note": "no facilities of this type in the data" if n == 0 else "",
    }


def _community_table(
    communities: gpd.GeoDataFrame, coverage: pd.DataFrame, levels: Sequence[str], people: _People
) -> gpd.GeoDataFrame:
    names = [c for c in ("name", "name_zh") if c in communities.columns]
    table = communities[[*names, communities.geometry.name]].copy()
    table["population"] = people.per_community(people.weights)
    if coverage.empty:
        return table
    required = coverage[coverage["required"]]
    for level in levels:
        scores = (
            required[required["level"] == level].groupby("community", sort=False)["share"].mean()
        )
        table[f"score_{level}"] = scores.reindex(table.index).to_numpy()
    missing = required[required["missing"]]
    table["n_missing"] = (
        missing.groupby("community").size().reindex(table.index, fill_value=0).to_numpy()
    )
    table["missing_zh"] = (
        missing.groupby("community")["name_zh"].agg("、".join).reindex(table.index, fill_value="")
    )
    table["missing_en"] = (
        missing.groupby("community")["name_en"].agg("; ".join).reindex(table.index, fill_value="")
    )
    return table
