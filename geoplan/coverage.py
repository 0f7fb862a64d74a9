"""Who is covered: population-weighted coverage of every facility type.

For each facility type and threshold (the standards' threshold by default),
every demand point gets its network travel time and distance to the nearest
facility and which one it is; communities get the covered share of their
population (and of each age group); the study gets totals; and the people
left out become polygons of *gaps* with the population each holds.

Where capacity matters, :func:`capacity_coverage` assigns people to reachable
facilities without exceeding capacity (emergency shelters hold effective area
/ per-capita area; clinics serve a service population), and reports who is
covered, who is in reach but over capacity, and who is out of reach.

Examples
--------
>>> import geoplan
>>> city = geoplan.datasets.synthetic_city(area_km2=1.0, seed=1)
>>> result = geoplan.coverage(city.network(), city.facilities, city.demand(),
...                           types=["pharmacy"])
>>> float(result.totals.loc["pharmacy", "share"]) <= 1.0
True
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import rasterio
import scipy.sparse as sp
import shapely
from numpy.typing import NDArray
from rasterio.features import shapes
from rasterio.transform import Affine
from scipy import ndimage
from scipy.optimize import linprog

from geoplan import equity
from geoplan._errors import InputError
from geoplan._io import atomic_path
from geoplan._validate import (
    OUTSIDE_COMMUNITIES,
    check_crs,
    check_geometries,
    check_memory,
    containing,
    find_type_column,
    weight_column,
)
from geoplan.facilities import access_points
from geoplan.groups import PopulationGroup, as_groups
from geoplan.network import Network, SnappedPoints
from geoplan.settings import settings
from geoplan.standards import Standards, current_standards

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "OUTSIDE_COMMUNITIES",
    "Capacity",
    "Coverage",
    "capacity_coverage",
    "clinic_capacity",
    "coverage",
    "shelter_capacity",
    "travel_time_raster",
    "write_travel_time_raster",
]

log = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


# ----------------------------------------------------------------- coverage
@dataclass(frozen=True)
class Coverage:
    """The results of :func:`coverage`.

    Attributes
    ----------
    demand : geopandas.GeoDataFrame
        The demand points (index as given) with, per facility type ``t``:
        ``t_minutes``, ``t_distance_m`` (inf beyond the threshold),
        ``t_facility`` (the nearest facility's index label) and ``t_covered``.
    by_community : pandas.DataFrame or None
        Community x type: ``population``, ``covered``, ``share``, and for each
        population group ``share_<group>``, ``population_<group>``,
        ``covered_<group>`` and the speed it was measured at,
        ``speed_m_s_<group>`` (NaN where the threshold is a distance).
    totals : pandas.DataFrame
        Per type: threshold, facilities, population, covered, share, per
        group its share, people, people covered, speed (``speed_m_s_<group>``)
        and cutoff in metres (``threshold_m_<group>``), unreachable
        population, and a note.
    gaps : geopandas.GeoDataFrame
        Polygons of uncovered population per type (``facility_type``,
        ``population``), built on a ``gap_cell_m`` grid.
    """

    demand: gpd.GeoDataFrame
    by_community: pd.DataFrame | None
    totals: pd.DataFrame
    gaps: gpd.GeoDataFrame

    def by_community_of(self, type_id: str) -> pd.DataFrame:
        """One facility type's rows of ``by_community``, indexed by community.

        Parameters
        ----------
        type_id
            A measured facility type.

        Returns
        -------
        pandas.DataFrame
            ``population``, ``covered``, ``share`` (and group shares) per community.
        """
        if self.by_community is None:
            msg = "per-community figures need communities: pass communities= to geoplan.coverage"
            raise InputError(msg)
        table = self.by_community
        rows = table[table["facility_type"].astype(str) == str(type_id)]
        keyed = rows.set_index("community") if "community" in rows.columns else rows
        return keyed[~keyed.index.duplicated()]

    def equity(self) -> pd.DataFrame:
        """Inequality of the covered share across communities and across people.

        For each facility type, the Gini, Palma and Theil indices of the
        communities' covered shares: once with every community counting the
        same (``across = "communities"``) and once weighted by population, so
        that every person counts the same (``across = "people"``); see
        :mod:`geoplan.equity`. Needs ``communities`` in :func:`coverage`.

        Returns
        -------
        pandas.DataFrame
            Indexed by (facility_type, across).
        """
        if self.by_community is None:
            msg = "equity needs per-community shares: pass communities= to geoplan.coverage"
            raise InputError(msg)
        rows = []
        for type_id, group in self.by_community.groupby("facility_type", sort=False):
            lived = group[group["population"] > 0]
            shares = lived["share"].to_numpy(dtype=float)
            for across, weight in (
                ("communities", None),
                ("people", lived["population"].to_numpy()),
            ):
                rows.append(
                    {
                        "facility_type": type_id,
                        "across": across,
                        "gini": equity.gini(shares, weight),
                        "palma": equity.palma(shares, weight),
                        "theil": equity.theil(shares, weight),
                    }
                )
        return pd.DataFrame(rows).set_index(["facility_type", "across"])


def coverage(
    network: Network,
    facilities: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    *,
    types: Sequence[str] | None = None,
    minutes: float | None = None,
    distance_m: float | None = None,
    type_column: str | None = None,
    population: str = "population",
    groups: Sequence[str | PopulationGroup] = (),
    communities: gpd.GeoDataFrame | None = None,
    exclude_unreachable: bool = False,
    gap_cell_m: float = 100.0,
    standards: Standards | None = None,
) -> Coverage:
    """Population-weighted coverage of facility types.

    Parameters
    ----------
    network
        The travel network.
    facilities
        Facility points in the network CRS with a type column
        (``facility_type`` or ``category``).
    demand
        Demand points (or polygons, taken at their centroid) in the network
        CRS, with a population column (each point counts 1 without one).
    types
        Facility types to measure (ids, Chinese or English names); every type
        present in ``facilities`` by default.
    minutes, distance_m
        One threshold for every type; by default each type's threshold from
        the standards (e.g. pharmacy 8 minutes).
    type_column
        The type column of ``facilities``.
    population
        The population column of ``demand``.
    groups
        Population groups whose coverage is reported next to the total
        (一老一小): :func:`geoplan.groups.population_group` s, each measured at
        its own walking speed (the elderly at 0.92 m/s, young children at
        0.88 m/s by default: a threshold of ``T`` minutes becomes ``T * v_g /
        v`` minutes of the network's speed ``v``, see :mod:`geoplan.groups`),
        or plain columns of ``demand`` (e.g. ``age_60_plus``) measured at the
        network's speed. A threshold that is a distance is the same for all.
    communities
        Community polygons (indexed by id) for per-community shares.
    exclude_unreachable
        Leave demand points farther than ``settings.max_snap_m`` from the
        network out of the denominators (they count as uncovered otherwise).
    gap_cell_m
        Grid size of the gap polygons.
    standards
        The standards giving each type's threshold.

    Returns
    -------
    Coverage
    """
    std = standards if standards is not None else current_standards()
    check_crs(facilities, network, "facilities")
    if len(facilities) == 0 and types is None:
        msg = (
            "there are no facilities to measure coverage of: the facility layer is empty; "
            "check its source (tags, file, or the study area), or name the types= to "
            "report them as not covered"
        )
        raise InputError(msg)
    check_crs(demand, network, "demand")
    column = find_type_column(facilities, type_column) if len(facilities) else "facility_type"
    type_ids = _type_ids(facilities, column, types, std)
    facilities = access_points(facilities, network)
    people = _People.of(
        demand, population, as_groups(groups), network, exclude_unreachable=exclude_unreachable
    )
    home = _home(communities, demand, network) if communities is not None else None
    out = demand.copy()
    totals, gaps, community_rows = [], [], []
    for type_id in type_ids:
        if column in facilities.columns:
            group = facilities.loc[(facilities[column] == type_id).to_numpy()]
        else:
            group = facilities.iloc[:0]
        threshold = _threshold(network, std, type_id, minutes, distance_m)
        threshold_min, cutoff_m = threshold.minutes, threshold.metres
        dist, nearest = _nearest(network, group, people.snapped, cutoff_m)
        covered = np.isfinite(dist)
        out[f"{type_id}_distance_m"] = dist
        out[f"{type_id}_minutes"] = dist / network.speed_m_s / 60.0
        out[f"{type_id}_facility"] = _labels(group.index, nearest)
        out[f"{type_id}_covered"] = covered
        reach = people.reach(network, group, threshold, covered)
        for group_id, found in reach.items():
            if found.own:
                out[f"{type_id}_covered_{group_id}"] = found.covered
        row = {
            "facility_type": type_id,
            "threshold_minutes": threshold_min,
            "threshold_m": cutoff_m,
            "threshold_basis": threshold.basis,
            "threshold_source": threshold.source,
        }
        totals.append(row | people.totals(covered, len(group), reach))
        uncovered = people.weights * (~covered & people.counted)
        gaps.append(_gap_polygons(people.snapped, uncovered, type_id, gap_cell_m, network))
        if home is not None and communities is not None:
            community_rows.append(
                people.by_community(communities.index, home, type_id, covered, reach)
            )
    gap_frame = _concat_frames(gaps, network)
    gap_frame.attrs["cell_m"] = float(gap_cell_m)  # the grid they were traced on (maps smooth it)
    return Coverage(
        demand=out,
        by_community=pd.concat(community_rows, ignore_index=True) if community_rows else None,
        totals=pd.DataFrame(totals).set_index("facility_type"),
        gaps=gap_frame,
    )


@dataclass(frozen=True)
class _GroupReach:
    """Who of one population group is covered by one type, at which speed and cutoff.

    ``speed_m_s`` is NaN where the threshold is a distance (speed plays no part);
    ``own`` says whether the group has a cutoff of its own (a speed other than
    the network's on a threshold in minutes) or shares everyone's.
    """

    covered: NDArray[np.bool_]
    speed_m_s: float
    cutoff_m: float
    own: bool


def _group_reach(
    network: Network,
    sites: Any,
    snapped: SnappedPoints,
    threshold: _Threshold,
    *,
    covered: NDArray[np.bool_],
    group: PopulationGroup,
) -> _GroupReach:
    """Measure one group at its own speed: ``T`` minutes become ``T * v_g / v`` (groups.py)."""
    if not math.isfinite(threshold.minutes):  # a distance is the same distance for everyone
        return _GroupReach(covered, math.nan, threshold.metres, own=False)
    speed = group.speed_at(network.speed_m_s)
    if speed == network.speed_m_s:
        return _GroupReach(covered, speed, threshold.metres, own=False)
    minutes = group.minutes_at(threshold.minutes, network_speed_m_s=network.speed_m_s)
    cutoff = network.cutoff_m(minutes=minutes)
    if len(sites) == 0:
        return _GroupReach(np.zeros(len(snapped), dtype=bool), speed, cutoff, own=True)
    found = network.nearest(sites, minutes=minutes, targets=snapped)
    assert found.target_distance_m is not None
    return _GroupReach(np.isfinite(found.target_distance_m), speed, cutoff, own=True)


@dataclass(frozen=True)
class _People:
    """Demand points snapped once, their weights, their groups, and which of them count."""

    snapped: SnappedPoints
    weights: FloatArray
    groups: dict[str, FloatArray]
    counted: NDArray[np.bool_]
    members: tuple[PopulationGroup, ...] = ()

    @classmethod
    def of(
        cls,
        demand: gpd.GeoDataFrame,
        population: str,
        groups: Sequence[PopulationGroup],
        network: Network,
        *,
        exclude_unreachable: bool,
    ) -> _People:
        for g in groups:
            if g.column not in demand.columns:
                msg = (
                    f"population group {g.id!r} counts its people in the column {g.column!r}, "
                    f"which the demand does not have (columns: {list(demand.columns)}); add "
                    "that column or name the right one, e.g. population_group("
                    f"{g.id!r}, column='age_60_plus')"
                )
                raise InputError(msg)
        snapped = network.snap(demand)
        counted = snapped.reachable if exclude_unreachable else np.ones(len(snapped), dtype=bool)
        return cls(
            snapped=snapped,
            weights=weight_column(demand, population),
            groups={g.id: weight_column(demand, g.column, required=True) for g in groups},
            counted=counted,
            members=tuple(groups),
        )

    def reach(
        self, network: Network, sites: Any, threshold: _Threshold, covered: NDArray[np.bool_]
    ) -> dict[str, _GroupReach]:
        """Each group's coverage of one type, at the group's own speed."""
        return {
            g.id: _group_reach(network, sites, self.snapped, threshold, covered=covered, group=g)
            for g in self.members
        }

    def totals(
        self, covered: NDArray[np.bool_], n_facilities: int, reach: dict[str, _GroupReach]
    ) -> dict[str, Any]:
        """Study totals of one facility type (and of each group, at its speed)."""
        row: dict[str, Any] = {
            "n_facilities": n_facilities,
            "population": float(self.weights[self.counted].sum()),
            "covered": float(self.weights[covered & self.counted].sum()),
        }
        row["share"] = _share(row["covered"], row["population"])
        for name, w in self.groups.items():
            found = reach[name]
            people = float(w[self.counted].sum())
            reached = float(w[found.covered & self.counted].sum())
            row[f"share_{name}"] = _share(reached, people)
            row[f"population_{name}"] = people
            row[f"covered_{name}"] = reached
            row[f"speed_m_s_{name}"] = found.speed_m_s
            row[f"threshold_m_{name}"] = found.cutoff_m
        row["unreachable_population"] = float(self.weights[~self.snapped.reachable].sum())
        row["note"] = "no facilities of this type: coverage 0" if n_facilities == 0 else ""
        return row

    def by_community(
        self,
        index: pd.Index,
        home: IntArray,
        type_id: str,
        covered: NDArray[np.bool_],
        reach: dict[str, _GroupReach],
    ) -> pd.DataFrame:
        """Covered share of each community's population (and of each group, at its speed).

        People in no community get a row of their own (:data:`OUTSIDE_COMMUNITIES`)
        whenever there are any, so that the rows add up to the study's total.
        """
        outside = bool(((home < 0) & self.counted & (self.weights > 0)).any())
        slot = np.where(home >= 0, home, len(index))  # the outside row after the communities
        size = len(index) + 1

        def per(values: FloatArray) -> FloatArray:
            sums = np.bincount(slot[self.counted], weights=values[self.counted], minlength=size)
            return np.asarray(sums if outside else sums[:-1], dtype=np.float64)

        labels = [*index, OUTSIDE_COMMUNITIES] if outside else list(index)
        pop, cov = per(self.weights), per(self.weights * covered)
        frame = pd.DataFrame(
            {"community": labels, "facility_type": type_id, "population": pop, "covered": cov}
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            frame["share"] = np.where(pop > 0, cov / pop, np.nan)
            for name, w in self.groups.items():
                found = reach[name]
                total, reached = per(w), per(w * found.covered)
                frame[f"share_{name}"] = np.where(total > 0, reached / total, np.nan)
                frame[f"population_{name}"] = total
                frame[f"covered_{name}"] = reached
                frame[f"speed_m_s_{name}"] = found.speed_m_s
        return frame


def _share(part: float, whole: float) -> float:
    return part / whole if whole > 0 else math.nan


def _nearest(
    network: Network, facilities: Any, snapped: SnappedPoints, cutoff_m: float
) -> tuple[FloatArray, IntArray]:
    if len(facilities) == 0:
        return np.full(len(snapped), np.inf), np.full(len(snapped), -1, dtype=np.int64)
    result = network.nearest(facilities, distance_m=cutoff_m, targets=snapped)
    assert result.target_distance_m is not None
    assert result.target_source is not None
    return result.target_distance_m, result.target_source


def _labels(index: pd.Index, positions: IntArray) -> NDArray[np.object_]:
    """Index labels at positions; None where the position is -1."""
    labels = np.full(len(positions), None, dtype=object)
    found = positions >= 0
    labels[found] = np.asarray(index, dtype=object)[positions[found]]
    return labels


@dataclass(frozen=True)
class _Threshold:
    """A type's threshold as measured: minutes (NaN for a distance), metres, basis, source."""

    minutes: float
    metres: float
    basis: str
    source: str


def _threshold(
    network: Network, std: Standards, type_id: str, minutes: float | None, distance_m: float | None
) -> _Threshold:
    """Return a type's threshold: the argument, else the standards' rule (:class:`Cutoff`)."""
    if minutes is not None or distance_m is not None:
        cutoff = network.cutoff_m(minutes=minutes, distance_m=distance_m)
        basis = "minutes" if minutes is not None else "distance"
        shown = float(minutes) if minutes is not None else math.nan
        return _Threshold(shown, cutoff, basis, "argument")
    rule = std.facility_type(type_id).cutoff
    cutoff = network.cutoff_m(minutes=rule.minutes, distance_m=rule.distance_m)
    shown = rule.minutes if rule.minutes is not None else math.nan
    source = f"{rule.value.source} ({rule.value.verification})"
    return _Threshold(float(shown), cutoff, rule.basis, source)


# ----------------------------------------------------------------- gaps
def _gap_polygons(
    snapped: SnappedPoints, uncovered: FloatArray, type_id: str, cell: float, network: Network
) -> gpd.GeoDataFrame:
    """Return connected patches of grid cells holding uncovered people, with their population."""
    import geopandas as gpd

    keep = uncovered > 0
    empty = gpd.GeoDataFrame({"facility_type": [], "population": []}, geometry=[], crs=network.crs)
    if not keep.any():
        return empty
    i = np.floor(-snapped.y[keep] / cell).astype(np.int64)
    j = np.floor(snapped.x[keep] / cell).astype(np.int64)
    i0, j0 = int(i.min()), int(j.min())
    shape = (int(i.max()) - i0 + 1, int(j.max()) - j0 + 1)
    check_memory(
        16.0 * shape[0] * shape[1],
        f"a {shape[0]:,} x {shape[1]:,} grid of {cell:g} m cells for the coverage gaps",
        "raise gap_cell_m",
    )
    people = np.zeros(shape)
    np.add.at(people, (i - i0, j - j0), uncovered[keep])
    patches, n = ndimage.label(people > 0, structure=np.ones((3, 3)))
    sums = ndimage.sum(people, patches, index=np.arange(1, n + 1))
    transform = Affine(cell, 0.0, j0 * cell, 0.0, -cell, -i0 * cell)
    pieces: dict[int, list[Any]] = {}
    with rasterio.Env():
        for geometry, value in shapes(
            patches.astype(np.int32), mask=patches > 0, connectivity=8, transform=transform
        ):
            pieces.setdefault(int(value), []).append(shapely.geometry.shape(geometry))
    labels = sorted(pieces)
    return gpd.GeoDataFrame(
        {"facility_type": type_id, "population": [float(sums[k - 1]) for k in labels]},
        geometry=[shapely.union_all(pieces[k]) for k in labels],
        crs=network.crs,
    ).sort_values("population", ascending=False, ignore_index=True)


# ----------------------------------------------------------------- capacity
@dataclass(frozen=True)
class Capacity:
    """The results of :func:`capacity_coverage`.

    Attributes
    ----------
    demand : pandas.DataFrame
        Per demand point (index as given): ``population``, ``assigned``
        (people with a place), ``over_capacity`` (in reach of a facility but
        every one in reach is full) and ``out_of_reach``.
    facilities : pandas.DataFrame
        Per facility (index as given): ``capacity``, ``assigned``,
        ``utilisation``.
    assignments : pandas.DataFrame
        ``demand``, ``facility``, ``people``, ``distance_m``: who goes where.
    totals : dict
        ``population``, ``assigned``, ``over_capacity``, ``out_of_reach``,
        ``capacity`` and ``rule``.
    """

    demand: pd.DataFrame
    facilities: pd.DataFrame
    assignments: pd.DataFrame
    totals: dict[str, Any]


def capacity_coverage(
    network: Network,
    facilities: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    *,
    capacity: str | float | Sequence[float] | FloatArray,
    minutes: float | None = None,
    distance_m: float | None = None,
    population: str = "population",
    rule: Literal["nearest", "optimal"] = "nearest",
) -> Capacity:
    """Assign people to facilities within reach without exceeding capacity.

    Parameters
    ----------
    network
        The travel network.
    facilities
        Facility points in the network CRS.
    demand
        Demand points in the network CRS with a population column.
    capacity
        A column of ``facilities``, one number for all, or one per facility
        (people each can take).
    minutes, distance_m
        How far people may travel (exactly one).
    population
        The population column of ``demand``.
    rule
        ``"nearest"``: pairs are served in order of distance, so everyone
        goes to the nearest facility that still has room (the nearest full →
        the second nearest). ``"optimal"``: as many people as possible get a
        place (a transportation problem solved exactly with HiGHS), and among
        such assignments the total distance is smallest.

    Returns
    -------
    Capacity
    """
    check_crs(facilities, network, "facilities")
    check_crs(demand, network, "demand")
    cap = _capacities(facilities, capacity)
    facilities = access_points(facilities, network)  # one point per site: capacity is per site
    people = weight_column(demand, population)
    cutoff = network.cutoff_m(minutes=minutes, distance_m=distance_m)
    pairs = network.reach_targets(facilities, demand, distance_m=cutoff).tocoo()
    fac, dem, dist = pairs.row.astype(np.int64), pairs.col.astype(np.int64), pairs.data
    if rule == "nearest":
        flow = _assign_nearest(fac, dem, dist, people, cap)
    elif rule == "optimal":
        flow = _assign_optimal(fac, dem, dist, people, cap)
    else:
        msg = f"rule={rule!r} must be 'nearest' or 'optimal'"
        raise InputError(msg)
    pairs = _Pairs(fac, dem, dist, flow, people, cap)
    return _capacity_result(demand, facilities, pairs, rule)


def shelter_capacity(
    network: Network,
    shelters: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    *,
    minutes: float | None = None,
    per_capita_m2: float | None = None,
    area: str = "effective_area_m2",
    usable_share: float | None = None,
    population: str = "population",
    rule: Literal["nearest", "optimal"] = "nearest",
    standards: Standards | None = None,
) -> Capacity:
    """Capacity-aware coverage of emergency shelters.

    Capacity = effective area / per-capita area. The effective area comes from
    the ``area`` column, else from the polygon's area (or an ``area_m2``
    column) times ``usable_share``. Defaults come from the standards: the
    per-capita area is GB 21734-2008 5.4's 1.5 m2 (verified primary); the
    threshold is the emergency_shelter type's (10 minutes, a Guangdong local
    rule); the usable share is the documented default ``shelter_usable_share``.

    Parameters
    ----------
    network, demand, population, rule
        As for :func:`capacity_coverage`.
    shelters
        Shelter sites (polygons or points) in the network CRS.
    minutes
        How far people walk to a shelter.
    per_capita_m2
        Effective area each person needs.
    area
        Column of effective area in m2.
    usable_share
        Share of a site's area that counts as effective where ``area`` is absent.
    standards
        The standards giving the defaults.

    Returns
    -------
    Capacity
    """
    std = standards if standards is not None else current_standards()
    shelter_type = std.facility_type("emergency_shelter")
    if per_capita_m2 is None:
        per_capita_m2 = float(shelter_type.figures["per_capita_living_area_m2"].high)
    if minutes is None:
        minutes = shelter_type.threshold_minutes
    if usable_share is None:
        usable_share = std.parameter("shelter_usable_share").high
    effective = _effective_area(shelters, area, usable_share)
    return capacity_coverage(
        network,
        shelters,
        demand,
        capacity=effective / per_capita_m2,
        minutes=minutes,
        population=population,
        rule=rule,
    )


def clinic_capacity(
    network: Network,
    clinics: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    *,
    facility_type: str = "community_health_center",
    minutes: float | None = None,
    bound: Literal["low", "high"] = "high",
    population: str = "population",
    rule: Literal["nearest", "optimal"] = "nearest",
    standards: Standards | None = None,
) -> Capacity:
    """Capacity-aware coverage of clinics, each serving the standards' service population.

    A community health service centre serves about 30,000-50,000 people
    (城市社区卫生服务机构设置原则, verified primary); ``bound`` picks which end
    is the capacity. A ``capacity`` column on ``clinics`` overrides it.

    Parameters
    ----------
    network, demand, population, rule
        As for :func:`capacity_coverage`.
    clinics
        Clinic points in the network CRS.
    facility_type
        The standard facility type whose service population applies.
    minutes
        How far people walk; the type's threshold by default (15 minutes).
    bound
        ``"high"`` (50,000) or ``"low"`` (30,000) end of the range.
    standards
        The standards giving the figures.

    Returns
    -------
    Capacity
    """
    std = standards if standards is not None else current_standards()
    ftype = std.facility_type(facility_type)
    figure = ftype.figures.get("service_population")
    if "capacity" in clinics.columns:
        capacity: str | float = "capacity"
    elif figure is None:
        msg = (
            f"the standards give no service population for {ftype.id}; add a 'capacity' column "
            "to the clinics"
        )
        raise InputError(msg)
    else:
        capacity = float(figure.high if bound == "high" else figure.low)
    return capacity_coverage(
        network,
        clinics,
        demand,
        capacity=capacity,
        minutes=ftype.threshold_minutes if minutes is None else minutes,
        population=population,
        rule=rule,
    )


def _effective_area(shelters: gpd.GeoDataFrame, column: str, usable_share: float) -> FloatArray:
    if column in shelters.columns:
        values = pd.to_numeric(shelters[column], errors="coerce").to_numpy(dtype=float)
    else:
        polygon_area = shelters.geometry.area.to_numpy(dtype=float)
        if "area_m2" in shelters.columns:
            polygon_area = np.where(
                polygon_area > 0, polygon_area, shelters["area_m2"].to_numpy(dtype=float)
            )
        values = polygon_area * usable_share
    missing = ~np.isfinite(values) | (values <= 0)
    if missing.any():
        labels = list(shelters.index[missing][:5])
        msg = (
            f"{int(missing.sum())} shelters have no area (first: {labels}): give their effective "
            f"area in a {column!r} column, or pass them as polygons"
        )
        raise InputError(msg)
    return np.asarray(values, dtype=np.float64)


def _capacities(
    facilities: gpd.GeoDataFrame, capacity: str | float | Sequence[float] | FloatArray
) -> FloatArray:
    if isinstance(capacity, str):
        if capacity not in facilities.columns:
            columns = list(facilities.columns)
            msg = f"capacity={capacity!r} is not a column of the facilities; columns: {columns}"
            raise InputError(msg)
        values = pd.to_numeric(facilities[capacity], errors="coerce").to_numpy(dtype=float)
    else:
        values = np.broadcast_to(np.asarray(capacity, dtype=float), (len(facilities),)).copy()
    if (~np.isfinite(values) | (values < 0)).any():
        msg = "capacities must be finite and not negative; fill the missing ones first"
        raise InputError(msg)
    return np.asarray(values, dtype=np.float64)


def _assign_nearest(
    fac: IntArray, dem: IntArray, dist: FloatArray, people: FloatArray, cap: FloatArray
) -> FloatArray:
    """Serve (demand, facility) pairs in order of distance; ties by facility, then demand."""
    order = np.lexsort((dem, fac, dist))
    left_people = people.copy()
    left_cap = cap.copy()
    flow = np.zeros(len(fac))
    for k in order:
        i, j = dem[k], fac[k]
        amount = min(left_people[i], left_cap[j])
        if amount > 0:
            flow[k] = amount
            left_people[i] -= amount
            left_cap[j] -= amount
    return flow


def _assign_optimal(
    fac: IntArray, dem: IntArray, dist: FloatArray, people: FloatArray, cap: FloatArray
) -> FloatArray:
    """Most people placed, then least total distance: a transportation LP (HiGHS)."""
    if len(fac) == 0:
        return np.zeros(0)
    n_pairs = len(fac)
    scale = float(dist.max()) + 1.0
    cost = -1.0 + dist / (scale * (people.sum() + 1.0))  # placing anyone beats any distance saved
    rows_dem = sp.csr_matrix(
        (np.ones(n_pairs), (dem, np.arange(n_pairs))), shape=(len(people), n_pairs)
    )
    rows_fac = sp.csr_matrix(
        (np.ones(n_pairs), (fac, np.arange(n_pairs))), shape=(len(cap), n_pairs)
    )
    result = linprog(
        cost,
        A_ub=sp.vstack([rows_dem, rows_fac]).tocsr(),
        b_ub=np.concatenate([people, cap]),
        bounds=(0, None),
        method="highs",
    )
    if not result.success:  # pragma: no cover - a bounded feasible LP always solves
        msg = f"the capacity assignment did not solve: {result.message}"
        raise InputError(msg)
    return np.asarray(np.maximum(result.x, 0.0), dtype=np.float64)


@dataclass(frozen=True)
class _Pairs:
    """Facility-demand pairs within reach, the people sent along each, and the totals."""

    facility: IntArray
    demand: IntArray
    distance_m: FloatArray
    flow: FloatArray
    people: FloatArray
    capacity: FloatArray


def _capacity_result(
    demand: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, pairs: _Pairs, rule: str
) -> Capacity:
    fac, dem, dist, flow = pairs.facility, pairs.demand, pairs.distance_m, pairs.flow
    people, cap = pairs.people, pairs.capacity
    assigned = np.bincount(dem, weights=flow, minlength=len(people))
    in_reach = np.bincount(dem, minlength=len(people)) > 0
    left = np.maximum(people - assigned, 0.0)
    per_demand = pd.DataFrame(
        {
            "population": people,
            "assigned": assigned,
            "over_capacity": np.where(in_reach, left, 0.0),
            "out_of_reach": np.where(in_reach, 0.0, people),
        },
        index=demand.index,
    )
    used = np.bincount(fac, weights=flow, minlength=len(cap))
    with np.errstate(invalid="ignore", divide="ignore"):
        utilisation = np.where(cap > 0, used / cap, np.nan)
    per_facility = pd.DataFrame(
        {"capacity": cap, "assigned": used, "utilisation": utilisation}, index=facilities.index
    )
    moved = flow > 0
    assignments = pd.DataFrame(
        {
            "demand": np.asarray(demand.index)[dem[moved]],
            "facility": np.asarray(facilities.index)[fac[moved]],
            "people": flow[moved],
            "distance_m": dist[moved],
        }
    )
    totals = {
        "population": float(people.sum()),
        "assigned": float(assigned.sum()),
        "over_capacity": float(per_demand["over_capacity"].sum()),
        "out_of_reach": float(per_demand["out_of_reach"].sum()),
        "capacity": float(cap.sum()),
        "rule": rule,
    }
    return Capacity(per_demand, per_facility, assignments, totals)


# ----------------------------------------------------------------- rasters
def travel_time_raster(
    network: Network,
    facilities: gpd.GeoDataFrame,
    *,
    resolution_m: float = 100.0,
    bounds: tuple[float, float, float, float] | None = None,
    max_minutes: float = 60.0,
) -> tuple[NDArray[np.float32], Affine]:
    """Travel time in minutes from each cell centre to the nearest facility.

    Parameters
    ----------
    network
        The travel network.
    facilities
        Facility points in the network CRS.
    resolution_m
        Cell size.
    bounds
        ``(left, bottom, right, top)`` in the network CRS; the network's by default.
    max_minutes
        Longer times (and cells beyond the snap limit) are NaN.

    Returns
    -------
    tuple
        The float32 grid (NaN where not reached) and its affine transform.
    """
    left, bottom, right, top = bounds if bounds is not None else network.bounds
    n_cols = max(1, math.ceil((right - left) / resolution_m))
    n_rows = max(1, math.ceil((top - bottom) / resolution_m))
    check_memory(
        120.0 * n_cols * n_rows,  # cell centres, their snapping and times
        f"a {n_rows:,} x {n_cols:,} travel-time raster at {resolution_m:g} m",
        "choose a coarser resolution_m",
    )
    cols, rows = np.meshgrid(np.arange(n_cols), np.arange(n_rows))
    x = np.asarray(left + (cols.ravel() + 0.5) * resolution_m, dtype=np.float64)
    y = np.asarray(top - (rows.ravel() + 0.5) * resolution_m, dtype=np.float64)
    cells = network.snap_xy(x, y, max_snap_m=settings.max_snap_m)
    result = network.nearest(facilities, minutes=max_minutes, targets=cells)
    minutes = result.target_minutes
    assert minutes is not None
    grid = (
        np.where(np.isfinite(minutes), minutes, np.nan).astype(np.float32).reshape(n_rows, n_cols)
    )
    return grid, Affine(resolution_m, 0.0, left, 0.0, -resolution_m, top)


def write_travel_time_raster(
    path: Any,
    network: Network,
    facilities: gpd.GeoDataFrame,
    **options: Any,
) -> Any:
    """Write :func:`travel_time_raster` as a GeoTIFF (atomically) and return its path."""
    grid, transform = travel_time_raster(network, facilities, **options)
    with (
        atomic_path(path) as tmp,
        rasterio.open(
            tmp,
            "w",
            driver="GTiff",
            height=grid.shape[0],
            width=grid.shape[1],
            count=1,
            dtype="float32",
            crs=network.crs.to_wkt(),
            transform=transform,
            nodata=np.nan,
            compress="deflate",
        ) as dst,
    ):
        dst.write(grid, 1)
        dst.set_band_description(1, "minutes to the nearest facility")
    return path


# ----------------------------------------------------------------- inputs
def _type_ids(
    facilities: gpd.GeoDataFrame, column: str, types: Sequence[str] | None, std: Standards
) -> list[str]:
    if types is None:
        present = sorted(str(t) for t in facilities[column].dropna().unique())
        return [std.facility_type(t, exact=True).id if _known(std, t) else t for t in present]
    return [std.facility_type(t).id for t in types]


def _known(std: Standards, type_id: str) -> bool:
    try:
        std.facility_type(type_id, exact=True)
    except InputError:
        return False
    return True


def _home(communities: gpd.GeoDataFrame, demand: gpd.GeoDataFrame, network: Network) -> IntArray:
    check_crs(communities, network, "communities")
    check_geometries(communities, "communities")
    return containing(
        np.asarray(communities.geometry.values),
        shapely.centroid(np.asarray(demand.geometry.values)),
    )


def _concat_frames(frames: list[gpd.GeoDataFrame], network: Network) -> gpd.GeoDataFrame:
    import geopandas as gpd

    frames = [f for f in frames if len(f)]
    if not frames:
        return gpd.GeoDataFrame(
            {"facility_type": [], "population": []}, geometry=[], crs=network.crs
        )
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=network.crs)
