"""Where to build: site proposals for new facilities, exactly, on the walking network.

1. Candidates (:func:`candidates`): a user's parcels, OSM land uses suited to the
   type (parks, squares and school grounds for shelters; vacant land; public
   buildings), or network nodes thinned to a spacing; polygons become their
   entrance or nearest network point; exclusion zones are removed.
2. A sparse coverage matrix candidates x demand within the threshold
   (:func:`coverage_matrix`), from the engine's reach sets, never dense.
3. Models with existing facilities held fixed (:func:`propose_sites`): maximal
   covering (MCLP), set covering (LSCP), p-median, p-center, capacitated
   covering, a budget form and an equity form, solved exactly with HiGHS (with
   the bound and gap reported) or by lazy greedy for large instances.
4. Results: the chosen sites ranked by marginal gain with the people they newly
   cover and the communities they serve, before/after coverage, and scenario
   diffs (:func:`scenario`): "add these 5 canteens" or "close this clinic".

Examples
--------
>>> import geoplan
>>> city = geoplan.datasets.synthetic_city(area_km2=1.0, seed=1)
>>> net = city.network()
>>> sites = geoplan.siting.candidates(net, spacing_m=200)
>>> proposal = geoplan.propose_sites(net, sites, city.demand(), minutes=5, p=2)
>>> len(proposal.sites)
2
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from numpy.typing import NDArray

from geoplan import equity, models
from geoplan._errors import InputError
from geoplan._validate import check_crs, containing, weight_column
from geoplan.facilities import facility_points
from geoplan.network import Network, SnappedPoints

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "Model",
    "ScenarioDiff",
    "SiteProposal",
    "candidates",
    "coverage_matrix",
    "propose_sites",
    "scenario",
]

log = logging.getLogger(__name__)

Model = Literal["mclp", "lscp", "p_median", "p_center", "capacitated", "equity"]
_MODELS = ("mclp", "lscp", "p_median", "p_center", "capacitated", "equity")

#: OSM features suited as candidate sites, by facility type (others: public buildings and
#: vacant land). Shelters are adapted from parks, squares and school grounds (the plan, GB 51143).
SUITABLE_LAND: dict[str, dict[str, list[str]]] = {
    "emergency_shelter": {
        "leisure": ["park", "pitch", "stadium", "playground"],
        "place": ["square"],
        "amenity": ["school"],
    },
    "default": {
        "landuse": ["brownfield", "greenfield", "construction", "vacant"],
        "amenity": ["community_centre", "townhall", "social_facility"],
        "building": ["public", "civic", "government"],
    },
}


# ----------------------------------------------------------------- candidates
def candidates(
    network: Network,
    *,
    sites: gpd.GeoDataFrame | None = None,
    spacing_m: float | None = None,
    exclude: Any = None,
    cost: str | float | None = None,
    capacity: str | float | None = None,
) -> gpd.GeoDataFrame:
    """Candidate sites for new facilities.

    Parameters
    ----------
    network
        The travel network.
    sites
        Parcels or OSM land uses (polygons or points, network CRS); polygons
        become their entrance or the point nearest the network.
    spacing_m
        Also (or only) network nodes thinned so that candidates are about this
        far apart (the node nearest the centre of each grid square).
    exclude
        Polygons (GeoDataFrame/GeoSeries in the network CRS) where no site may go.
    cost, capacity
        A column of ``sites`` or one number for every candidate.

    Returns
    -------
    geopandas.GeoDataFrame
        Candidate points with ``source`` ("site" or "node"), ``cost`` and
        ``capacity`` (when given), indexed ``K0001``, ``K0002``, ...
    """
    import geopandas as gpd

    parts = []
    if sites is not None:
        check_crs(sites, network, "sites")
        points = facility_points(sites, network)
        parts.append(points.assign(source="site"))
    if spacing_m is not None:
        parts.append(_thinned_nodes(network, spacing_m))
    if not parts:
        msg = "give candidate sites (sites=...) or a node spacing (spacing_m=...), or both"
        raise InputError(msg)
    frame = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=network.crs)
    if exclude is not None:
        frame = _outside(frame, exclude, network)
    if len(frame) == 0:
        msg = "no candidate site is left (every one lies in an exclusion zone?)"
        raise InputError(msg)
    for name, value in (("cost", cost), ("capacity", capacity)):
        if isinstance(value, str):
            frame[name] = pd.to_numeric(frame[value], errors="coerce")
        elif value is not None:
            frame[name] = float(value)
    frame.index = pd.Index([f"K{i + 1:04d}" for i in range(len(frame))], name="candidate")
    return frame


def _thinned_nodes(network: Network, spacing_m: float) -> gpd.GeoDataFrame:
    import geopandas as gpd

    if not (math.isfinite(spacing_m) and spacing_m > 0):
        msg = f"spacing_m={spacing_m!r} must be a positive number of metres"
        raise InputError(msg)
    cx = np.floor(network.x / spacing_m)
    cy = np.floor(network.y / spacing_m)
    off = np.hypot(network.x - (cx + 0.5) * spacing_m, network.y - (cy + 0.5) * spacing_m)
    order = np.lexsort((np.arange(network.n_nodes), off, cy, cx))
    first = np.ones(len(order), dtype=bool)
    first[1:] = (cx[order][1:] != cx[order][:-1]) | (cy[order][1:] != cy[order][:-1])
    nodes = np.sort(order[first])
    return gpd.GeoDataFrame(
        {"source": "node", "node": network.node_id[nodes]},
        geometry=shapely.points(network.x[nodes], network.y[nodes]),
        crs=network.crs,
    )


def _outside(frame: gpd.GeoDataFrame, exclude: Any, network: Network) -> gpd.GeoDataFrame:
    check_crs(exclude, network, "exclusion zones")
    zones = shapely.union_all(np.asarray(exclude.geometry.values))
    inside = shapely.intersects(zones, np.asarray(frame.geometry.values))
    log.info("removed %d candidates inside exclusion zones", int(inside.sum()))
    return frame.loc[~inside]


# ----------------------------------------------------------------- matrix
def coverage_matrix(
    network: Network,
    candidates: gpd.GeoDataFrame,
    demand: Any,
    *,
    minutes: float | None = None,
    distance_m: float | None = None,
) -> sp.csr_matrix:
    """Candidates x demand travel times in minutes, for pairs within the threshold (sparse).

    Parameters
    ----------
    network
        The travel network.
    candidates
        Candidate points (network CRS).
    demand
        Demand points or :class:`~geoplan.network.SnappedPoints`.
    minutes, distance_m
        The threshold (exactly one).

    Returns
    -------
    scipy.sparse.csr_matrix
        Explicit entries (zeros included) are the pairs within reach.
    """
    matrix = network.reach_targets(candidates, demand, minutes=minutes, distance_m=distance_m)
    matrix.data = matrix.data / network.speed_m_s / 60.0
    return matrix


# ----------------------------------------------------------------- proposals
@dataclass(frozen=True)
class SiteProposal:
    """Proposed sites and what they change.

    Attributes
    ----------
    sites : geopandas.GeoDataFrame
        The chosen candidates in order of choice: ``rank``, ``marginal_gain``,
        ``newly_covered`` (population), ``communities_served``.
    before, after : pandas.DataFrame
        Coverage of each community (``population``, ``covered``, ``share``)
        before and after, when communities are given; else one "study" row.
    totals : dict
        Population and people covered before and after, over all demand.
    solution : geoplan.models.Solution
        Objective, bound, gap, solver, status and time.
    uncoverable : pandas.Index
        Demand no candidate (and no existing facility) can reach.
    """

    sites: gpd.GeoDataFrame
    before: pd.DataFrame
    after: pd.DataFrame
    solution: Any
    uncoverable: pd.Index
    totals: dict[str, float]

    @property
    def summary(self) -> dict[str, Any]:
        """The key figures: sites, coverage before and after, objective, gap, solver."""
        pop = self.totals["population"]
        before, after = self.totals["covered_before"], self.totals["covered_after"]
        return {
            "sites": len(self.sites),
            "population": pop,
            "covered_before": before,
            "covered_after": after,
            "share_before": before / pop if pop else math.nan,
            "share_after": after / pop if pop else math.nan,
            "objective": self.solution.objective,
            "gap": self.solution.gap,
            "solver": self.solution.solver,
            "seconds": self.solution.seconds,
        }


def propose_sites(
    network: Network,
    candidates: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    *,
    minutes: float | None = None,
    distance_m: float | None = None,
    model: Model = "mclp",
    p: int | None = None,
    existing: gpd.GeoDataFrame | None = None,
    communities: gpd.GeoDataFrame | None = None,
    target: float = 1.0,
    budget: float | None = None,
    floor: float | None = None,
    population: str = "population",
    solver: Literal["auto", "exact", "greedy"] = "auto",
    time_limit: float = 60.0,
) -> SiteProposal:
    """Choose new sites among candidates, with existing facilities held fixed.

    Parameters
    ----------
    network
        The travel network.
    candidates
        From :func:`candidates` (``cost`` and ``capacity`` columns are used
        by the budget and capacitated forms).
    demand
        Demand points with a population column.
    minutes, distance_m
        The threshold within which a facility covers a person (exactly one).
    model
        ``"mclp"`` (p sites, most people newly covered; with ``budget``: any
        number of sites within the budget), ``"lscp"`` (fewest sites to reach
        ``target`` coverage), ``"p_median"`` (least total travel time),
        ``"p_center"`` (least worst travel time), ``"capacitated"`` (most
        people served within each site's capacity), ``"equity"`` (raise the
        worst-served community first; with ``floor``, a minimum share for
        every community).
    p
        Number of new sites (all models but LSCP and the budget form).
    existing
        Existing facilities of the type (network CRS), held fixed.
    communities
        Community polygons (indexed by id) for before/after tables and the
        equity model.
    target
        LSCP's coverage target (share of coverable population).
    budget
        Total budget for the MCLP budget form (uses the ``cost`` column).
    floor
        The equity model's minimum community share.
    population
        The population column of ``demand``.
    solver
        ``"auto"`` (exact when the reduced model is small), ``"exact"`` or ``"greedy"``.
    time_limit
        Seconds for the exact solver; the bound and gap are reported.

    Returns
    -------
    SiteProposal
    """
    if model not in _MODELS:
        msg = f"model={model!r} is not one of {', '.join(_MODELS)}"
        raise InputError(msg)
    check_crs(candidates, network, "candidates")
    check_crs(demand, network, "demand")
    weights = weight_column(demand, population)
    snapped = network.snap(demand)
    cost = coverage_matrix(network, candidates, snapped, minutes=minutes, distance_m=distance_m)
    cover = cost.copy()
    cover.data = np.ones_like(cover.data)
    cutoff = network.cutoff_m(minutes=minutes, distance_m=distance_m)
    time0 = _existing_times(network, existing, snapped, cutoff)
    covered0 = np.isfinite(time0)
    home = _home(communities, demand, network)
    inst = _Instance(cover, cost, weights, covered0, time0, home, candidates)
    solution = _solve(
        model,
        inst,
        p=p,
        target=target,
        budget=budget,
        floor=floor,
        solver=solver,
        time_limit=time_limit,
    )
    chosen = np.asarray(solution.chosen, dtype=np.int64)
    covered1 = covered0 | _covered_by(cover, chosen)
    return SiteProposal(
        sites=_site_table(inst, chosen, communities, solution),
        before=_coverage_table(weights, covered0, home, communities),
        after=_coverage_table(weights, covered1, home, communities),
        solution=solution,
        uncoverable=demand.index[~covered0 & (np.diff(cover.tocsc().indptr) == 0)],
        totals={
            "population": float(weights.sum()),
            "covered_before": float(weights[covered0].sum()),
            "covered_after": float(weights[covered1].sum()),
        },
    )


@dataclass(frozen=True)
class _Instance:
    cover: sp.csr_matrix
    cost: sp.csr_matrix
    weights: NDArray[np.float64]
    covered0: NDArray[np.bool_]
    time0: NDArray[np.float64]
    home: NDArray[np.int64] | None
    candidates: gpd.GeoDataFrame


def _solve(
    model: str,
    inst: _Instance,
    *,
    p: int | None,
    target: float,
    budget: float | None,
    floor: float | None,
    solver: str,
    time_limit: float,
) -> Any:
    solver_name = cast("models.SolverName", solver)
    if model == "lscp":
        return models.lscp(
            inst.cover,
            inst.weights,
            covered0=inst.covered0,
            target=target,
            solver=solver_name,
            time_limit=time_limit,
        )
    if model == "mclp" and budget is not None:
        costs = _column(inst.candidates, "cost", "the budget form")
        return models.mclp(
            inst.cover,
            inst.weights,
            p,
            covered0=inst.covered0,
            cost=costs,
            budget=budget,
            solver=solver_name,
            time_limit=time_limit,
        )
    p = _needs_p(p, model)
    if model == "equity":
        if inst.home is None:
            msg = "the equity model needs communities= (whose worst-served are raised first)"
            raise InputError(msg)
        return models.equity_mclp(
            inst.cover,
            inst.weights,
            p,
            inst.home,
            covered0=inst.covered0,
            floor=floor,
            objective="floor" if floor is not None else "maxmin",
            solver=solver_name,
            time_limit=time_limit,
        )
    calls = {
        "mclp": lambda: models.mclp(
            inst.cover,
            inst.weights,
            p,
            covered0=inst.covered0,
            solver=solver_name,
            time_limit=time_limit,
        ),
        "p_median": lambda: models.p_median(
            inst.cost, inst.weights, p, cost0=inst.time0, solver=solver_name, time_limit=time_limit
        ),
        "p_center": lambda: models.p_center(
            inst.cost, inst.weights, p, cost0=inst.time0, solver=solver_name, time_limit=time_limit
        ),
        "capacitated": lambda: models.capacitated_mclp(
            inst.cover,
            inst.weights,
            p,
            _column(inst.candidates, "capacity", "the capacitated model"),
            covered0=inst.covered0,
            solver=solver_name,
            time_limit=time_limit,
        ),
    }
    return calls[model]()


def _needs_p(p: int | None, model: str) -> int:
    if p is None:
        msg = f"the {model} model needs p, the number of new sites (e.g. p=5)"
        raise InputError(msg)
    return int(p)


def _column(frame: gpd.GeoDataFrame, name: str, what: str) -> NDArray[np.float64]:
    if name not in frame.columns:
        msg = f"{what} needs a {name!r} column on the candidates (candidates(..., {name}=...))"
        raise InputError(msg)
    values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float)
    if (~np.isfinite(values) | (values < 0)).any():
        msg = f"every candidate needs a finite, non-negative {name!r}"
        raise InputError(msg)
    return np.asarray(values, dtype=np.float64)


def _existing_times(
    network: Network, existing: gpd.GeoDataFrame | None, snapped: SnappedPoints, cutoff: float
) -> NDArray[np.float64]:
    """Return minutes to the nearest existing facility (inf beyond the threshold)."""
    if existing is None or len(existing) == 0:
        return np.full(len(snapped), np.inf)
    result = network.nearest(existing, distance_m=cutoff, targets=snapped)
    assert result.target_distance_m is not None
    return np.asarray(result.target_distance_m / network.speed_m_s / 60.0, dtype=np.float64)


def _covered_by(cover: sp.csr_matrix, chosen: NDArray[np.int64]) -> NDArray[np.bool_]:
    if chosen.size == 0:
        return np.zeros(cover.shape[1], dtype=bool)
    return np.asarray(cover[chosen].sum(axis=0)).ravel() > 0


def _home(
    communities: gpd.GeoDataFrame | None, demand: gpd.GeoDataFrame, network: Network
) -> NDArray[np.int64] | None:
    if communities is None:
        return None
    check_crs(communities, network, "communities")
    return containing(
        np.asarray(communities.geometry.values),
        shapely.centroid(np.asarray(demand.geometry.values)),
    )


def _site_table(
    inst: _Instance, chosen: NDArray[np.int64], communities: gpd.GeoDataFrame | None, solution: Any
) -> gpd.GeoDataFrame:
    """Return the chosen sites in order, with what each newly covers after those before it."""
    cover, weights, home = inst.cover, inst.weights, inst.home
    covered0 = inst.covered0
    sites = inst.candidates.iloc[chosen].copy()
    sites.insert(0, "rank", np.arange(1, len(chosen) + 1))
    covered = covered0.copy()
    newly, served = [], []
    for j in chosen:
        reach = cover.indices[cover.indptr[j] : cover.indptr[j + 1]]
        new = reach[~covered[reach]]
        newly.append(float(weights[new].sum()))
        covered[reach] = True
        if home is not None and communities is not None:
            ids = np.unique(home[reach][home[reach] >= 0])
            served.append(", ".join(str(c) for c in communities.index[ids]))
    sites["newly_covered"] = newly
    sites["marginal_gain"] = np.asarray(getattr(solution, "marginal_gain", newly), dtype=float)[
        : len(chosen)
    ]
    if served:
        sites["communities_served"] = served
    return sites


def _coverage_table(
    weights: NDArray[np.float64],
    covered: NDArray[np.bool_],
    home: NDArray[np.int64] | None,
    communities: gpd.GeoDataFrame | None,
) -> pd.DataFrame:
    if home is None or communities is None:
        total, reached = float(weights.sum()), float(weights[covered].sum())
        return pd.DataFrame(
            {
                "population": [total],
                "covered": [reached],
                "share": [reached / total if total else math.nan],
            },
            index=pd.Index(["study"], name="community"),
        )
    inside = home >= 0
    pop = np.bincount(home[inside], weights=weights[inside], minlength=len(communities))
    cov = np.bincount(home[inside], weights=(weights * covered)[inside], minlength=len(communities))
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(pop > 0, cov / pop, np.nan)
    return pd.DataFrame(
        {"population": pop, "covered": cov, "share": share},
        index=pd.Index(communities.index, name="community"),
    )


# ----------------------------------------------------------------- scenarios
@dataclass(frozen=True)
class ScenarioDiff:
    """Coverage and equity before and after adding or closing facilities.

    Attributes
    ----------
    communities : pandas.DataFrame
        Per community: ``share_before``, ``share_after``, ``change``.
    totals : dict
        Population, covered before and after, and the Gini index of community
        shares before and after.
    """

    communities: pd.DataFrame
    totals: dict[str, float]


def scenario(
    network: Network,
    facilities: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    *,
    minutes: float | None = None,
    distance_m: float | None = None,
    add: gpd.GeoDataFrame | None = None,
    close: Sequence[Any] = (),
    communities: gpd.GeoDataFrame | None = None,
    population: str = "population",
) -> ScenarioDiff:
    """Compare coverage before and after adding facilities or closing some.

    Parameters
    ----------
    network
        The travel network.
    facilities
        The existing facilities of one type (network CRS).
    demand
        Demand points with a population column.
    minutes, distance_m
        The coverage threshold (exactly one).
    add
        New facilities (network CRS).
    close
        Index labels of ``facilities`` to close.
    communities
        Community polygons for the per-community table and equity.
    population
        The population column of ``demand``.

    Returns
    -------
    ScenarioDiff
    """
    import geopandas as gpd

    missing = [c for c in close if c not in facilities.index]
    if missing:
        msg = f"cannot close {missing}: not in the facilities' index"
        raise InputError(msg)
    weights = weight_column(demand, population)
    snapped = network.snap(demand)
    cutoff = network.cutoff_m(minutes=minutes, distance_m=distance_m)
    before = np.isfinite(_existing_times(network, facilities, snapped, cutoff))
    kept = facilities.drop(index=list(close))
    after_sites = kept if add is None else gpd.GeoDataFrame(pd.concat([kept, add]), crs=network.crs)
    after = np.isfinite(_existing_times(network, after_sites, snapped, cutoff))
    home = _home(communities, demand, network)
    table_before = _coverage_table(weights, before, home, communities)
    table_after = _coverage_table(weights, after, home, communities)
    per = pd.DataFrame(
        {
            "population": table_before["population"],
            "share_before": table_before["share"],
            "share_after": table_after["share"],
        }
    )
    per["change"] = per["share_after"] - per["share_before"]
    lived = per[per["population"] > 0]
    totals = {
        "population": float(weights.sum()),
        "covered_before": float(weights[before].sum()),
        "covered_after": float(weights[after].sum()),
        "gini_before": equity.gini(lived["share_before"], lived["population"]),
        "gini_after": equity.gini(lived["share_after"], lived["population"]),
    }
    return ScenarioDiff(per, totals)
