"""``geoplan demo``: the whole path on the bundled sample, from OSM to GIS layers and tables."""

from __future__ import annotations

import logging
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan import datasets
from geoplan._errors import GeoplanWarning
from geoplan.coverage import (
    Capacity,
    Coverage,
    coverage,
    shelter_capacity,
    write_travel_time_raster,
)
from geoplan.facilities import classification_report, classify_facilities, facility_points
from geoplan.life_circles import LifeCircles, life_circles, street_blocks
from geoplan.network import Network
from geoplan.population import population_from_buildings, write_population_raster
from geoplan.report import write_layers, write_table
from geoplan.service_areas import service_areas
from geoplan.settings import settings
from geoplan.siting import SiteProposal, candidates, propose_sites
from geoplan.sources import read_buildings, read_facilities, read_network
from geoplan.standards import load_standards

__all__ = ["DemoResult", "demo", "run_demo"]

log = logging.getLogger(__name__)

#: OSM tags standing in for "a clinic, a pharmacy or whatever health facility the extract has".
HEALTH_TAGS: dict[str, bool | str | list[str]] = {
    "amenity": ["clinic", "doctors", "hospital", "pharmacy", "dentist"],
    "healthcare": True,
}


@dataclass(frozen=True)
class DemoResult:
    """What the demo computed and where it wrote it."""

    gpkg: Path
    tables: list[Path]
    n_nodes: int
    n_edges: int
    n_buildings: int
    n_facilities: int
    median_minutes: float
    share_within: dict[int, float]
    n_communities: int
    mean_scores: dict[str, float]
    most_missing: list[tuple[str, str, int]]
    n_types_found: int
    population: float
    coverage_shares: dict[str, float]
    sheltered: dict[str, Any]
    proposal: dict[str, Any]
    seconds: float
    notes: list[str] = field(default_factory=list)


def run_demo(out_dir: Path | None = None) -> DemoResult:
    """Run the demo study on the bundled sample and write its outputs.

    Walking network; every building's walking time to its nearest health
    facility; POIs classified into the standard facility types; life-circle
    completeness of every street block; 5/10/15-minute service areas of every
    facility type found.

    Parameters
    ----------
    out_dir
        Output folder; ``<settings.output_dir>/demo`` by default.

    Returns
    -------
    DemoResult
    """
    start = time.perf_counter()
    out_dir = Path(out_dir) if out_dir is not None else settings.output_dir / "demo"
    pbf = datasets.sample_pbf()
    net = read_network(pbf, profile="walk")
    buildings = read_buildings(pbf).to_crs(net.crs)
    health = read_facilities(pbf, tags=HEALTH_TAGS).to_crs(net.crs)
    access = _health_access(net, health, buildings)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GeoplanWarning)
        people = population_from_buildings(buildings)
        pois = read_facilities(pbf, tags=load_standards().osm_filter())
        classified = classify_facilities(pois.to_crs(net.crs))
        points = facility_points(classified, net)
        blocks = street_blocks(net)
        circles = life_circles(net, blocks, points, demand=people)
        served = _plan_services(net, pbf, people, blocks)
        proposal = _propose_for_least_covered(net, served, people, blocks)
    notes = [str(w.message) for w in caught]
    areas = _service_areas_by_type(net, points)
    _, edges = net.to_gdfs()
    gpkg = write_layers(
        out_dir / "demo.gpkg",
        {
            "buildings": access,
            "population": people[["population", "floor_area_m2", people.geometry.name]],
            "health_facilities": _columns(health, ["osm_id", "name", "amenity", "healthcare"]),
            "facilities": _columns(points, _FACILITY_COLUMNS),
            "life_circles": circles.communities.reset_index(),
            "life_circle_areas": circles.circles
            if circles.circles is not None
            else gpd.GeoDataFrame(),
            "service_areas": areas,
            "coverage_gaps": served.coverage.gaps,
            "shelters": served.shelters,
            "proposed_sites": proposal.sites,
            "walk_network": edges,
        },
    )
    tables = [
        write_table(out_dir / "life_circles.csv", circles.communities.drop(columns="geometry")),
        write_table(out_dir / "life_circle_coverage.csv", circles.coverage),
        write_table(out_dir / "facility_types.csv", circles.types),
        write_table(out_dir / "classification.csv", classification_report(classified)),
        write_table(out_dir / "coverage_totals.csv", served.coverage.totals),
        write_table(
            out_dir / "coverage_by_community.csv",
            served.coverage.by_community
            if served.coverage.by_community is not None
            else pd.DataFrame(),
        ),
        write_table(out_dir / "coverage_equity.csv", served.coverage.equity().reset_index()),
        write_table(out_dir / "shelter_capacity.csv", served.capacity.facilities),
        write_table(out_dir / "proposed_sites.csv", proposal.sites.drop(columns="geometry")),
        write_table(out_dir / "proposal_before_after.csv", _before_after(proposal)),
    ]
    rasters = [write_population_raster(people, out_dir / "population.tif", resolution_m=100.0)]
    rasters += [
        write_travel_time_raster(out_dir / f"travel_time_{kind}.tif", net, sites, resolution_m=50.0)
        for kind, sites in served.sites.items()
    ]
    minutes = access["walk_minutes"].to_numpy(dtype=float)
    finite = minutes[np.isfinite(minutes)]
    return DemoResult(
        gpkg=gpkg,
        tables=tables + [Path(r) for r in rasters],
        n_nodes=net.n_nodes,
        n_edges=net.n_edges,
        n_buildings=len(buildings),
        n_facilities=len(health),
        median_minutes=float(np.median(finite)) if finite.size else float("nan"),
        share_within={m: float((minutes <= m).mean()) for m in settings.life_circle_minutes},
        n_communities=len(circles.communities),
        mean_scores=_mean_scores(circles),
        most_missing=_most_missing(circles),
        n_types_found=int((circles.types["n_facilities"] > 0).sum()),
        population=float(people["population"].sum()),
        coverage_shares={str(k): float(v) for k, v in served.coverage.totals["share"].items()},
        sheltered=served.capacity.totals,
        proposal=proposal.summary
        | {"facility_type": str(proposal.sites.attrs.get("facility_type"))},
        seconds=time.perf_counter() - start,
        notes=notes,
    )


_FACILITY_COLUMNS = [
    "osm_id",
    "name",
    "facility_type",
    "facility_name_zh",
    "facility_name_en",
    "match_rule",
    "point_rule",
]

#: The sample's closest OpenStreetMap equivalents of the plan's three headline services.
STAND_INS: dict[str, tuple[str, dict[str, bool | str | list[str]]]] = {
    "clinic": ("community_health_station", {"amenity": ["clinic", "doctors"]}),
    "shelter": ("emergency_shelter", {"leisure": ["park"], "place": ["square"]}),
    "canteen": ("community_canteen", {"amenity": ["canteen", "restaurant", "fast_food"]}),
}


@dataclass(frozen=True)
class _Services:
    coverage: Coverage
    capacity: Capacity
    shelters: gpd.GeoDataFrame
    sites: dict[str, gpd.GeoDataFrame]

    @property
    def coverage_sites(self) -> dict[str, gpd.GeoDataFrame]:
        """The stand-in sites as points, by facility type id."""
        return {STAND_INS[kind][0]: points for kind, points in self.sites.items()}


#: New sites the demo proposes for its least-covered type (a demonstration figure).
DEMO_NEW_SITES = 3


def _propose_for_least_covered(
    net: Network, served: _Services, people: gpd.GeoDataFrame, blocks: gpd.GeoDataFrame
) -> SiteProposal:
    """MCLP: where DEMO_NEW_SITES new facilities of the least-covered type reach most people."""
    totals = served.coverage.totals
    type_id = str(totals["share"].idxmin())
    existing = served.coverage_sites[type_id]
    minutes = float(
        totals["threshold_minutes"].to_numpy(dtype=float)[totals.index.get_loc(type_id)]
    )
    sites = candidates(net, spacing_m=150.0)
    proposal = propose_sites(
        net, sites, people, minutes=minutes, p=DEMO_NEW_SITES, existing=existing, communities=blocks
    )
    proposal.sites.attrs["facility_type"] = type_id
    return proposal


def _before_after(proposal: SiteProposal) -> pd.DataFrame:
    table = proposal.before.rename(columns={"covered": "covered_before", "share": "share_before"})
    table["covered_after"] = proposal.after["covered"]
    table["share_after"] = proposal.after["share"]
    return table


def _plan_services(
    net: Network, pbf: Path, people: gpd.GeoDataFrame, blocks: gpd.GeoDataFrame
) -> _Services:
    """Coverage of clinics, shelters and canteens (OSM stand-ins), and shelter capacity.

    Helsinki maps no community canteens or designated shelters: restaurants and
    fast food stand in for canteens (amenity=canteen where mapped), and parks and
    squares, the sites the plan adapts as shelters, stand in for shelters, with
    their area giving capacity (effective share and 1.5 m2 per person from the
    standards).
    """
    sites = {}
    for kind, (type_id, tags) in STAND_INS.items():
        found = read_facilities(pbf, tags=tags).to_crs(net.crs)
        if kind == "shelter":
            found = found[found.geom_type.isin(["Polygon", "MultiPolygon"])]
        sites[kind] = found.assign(facility_type=type_id)
    facilities = gpd.GeoDataFrame(pd.concat(list(sites.values()), ignore_index=True), crs=net.crs)
    points = facilities.copy()
    points[points.geometry.name] = facilities.geometry.representative_point()
    result = coverage(net, points, people, communities=blocks)
    capacity = shelter_capacity(net, sites["shelter"], people)
    shelters = sites["shelter"][["osm_id", "name", sites["shelter"].geometry.name]].copy()
    shelters["capacity"] = capacity.facilities["capacity"].to_numpy()
    shelters["assigned"] = capacity.facilities["assigned"].to_numpy()
    centred = {k: v.set_geometry(v.geometry.representative_point()) for k, v in sites.items()}
    return _Services(result, capacity, shelters, centred)


def _health_access(
    net: Network, health: gpd.GeoDataFrame, buildings: gpd.GeoDataFrame
) -> gpd.GeoDataFrame:
    """Each building's walking time to its nearest health facility (within an hour)."""
    result = net.nearest(health, minutes=60, targets=buildings)
    minutes, source = result.target_minutes, result.target_source
    assert minutes is not None
    assert source is not None
    names = health["name"].fillna("").to_numpy() if "name" in health else np.full(len(health), "")
    kinds = _facility_kind(health)
    out = _columns(buildings, ["osm_id", "name", "building"])
    reached = np.isfinite(minutes)
    out["walk_minutes"] = np.where(reached, np.round(minutes, 2), np.nan)
    out["distance_m"] = np.where(reached, np.round(minutes * 60 * net.speed_m_s, 1), np.nan)
    out["nearest_facility"] = np.where(source >= 0, names[np.maximum(source, 0)], "")
    out["nearest_kind"] = np.where(source >= 0, kinds[np.maximum(source, 0)], "")
    return out


def _service_areas_by_type(net: Network, points: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """5/10/15-minute rings of every facility type present."""
    parts = []
    for ftype, group in points.groupby("facility_type", sort=True):
        rings = service_areas(net, group, minutes=list(settings.life_circle_minutes), mode="rings")
        rings.insert(0, "facility_type", ftype)
        parts.append(rings.drop(columns="facility"))
    if not parts:
        return gpd.GeoDataFrame()
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=net.crs)


def _columns(frame: gpd.GeoDataFrame, names: list[str]) -> gpd.GeoDataFrame:
    keep = [c for c in names if c in frame.columns] + [frame.geometry.name]
    return frame[keep].copy()


def _facility_kind(facilities: pd.DataFrame) -> np.ndarray:
    kind = pd.Series("health", index=facilities.index, dtype=object)
    for column in ("healthcare", "amenity"):
        if column in facilities:
            kind = facilities[column].where(facilities[column].notna(), kind)
    return kind.astype(str).to_numpy()


def _mean_scores(circles: LifeCircles) -> dict[str, float]:
    table = circles.communities
    return {
        column.removeprefix("score_"): float(table[column].mean())
        for column in table.columns
        if column.startswith("score_")
    }


def _most_missing(circles: LifeCircles, n: int = 5) -> list[tuple[str, str, int]]:
    """Return the required types missing in most communities as (Chinese, English, count)."""
    missing = circles.coverage[circles.coverage["missing"]]
    counts = missing.groupby(["name_zh", "name_en"]).size().reset_index(name="n")
    counts = counts.sort_values(["n", "name_en"], ascending=[False, True])
    top = counts.head(n)
    return [
        (str(zh), str(en), int(k))
        for zh, en, k in zip(top["name_zh"], top["name_en"], top["n"].to_numpy(), strict=True)
    ]


_STAND_IN_LABELS = {
    "community_health_station": "clinics (amenity=clinic/doctors)",
    "emergency_shelter": "shelters (parks and squares stand in)",
    "community_canteen": "canteens (restaurants and fast food stand in)",
}


def _echo_result(result: DemoResult) -> None:
    lang = settings.lang
    click.echo(f"  network: {result.n_nodes:,} nodes, {result.n_edges:,} edges")
    click.echo(
        "  health facilities (clinic, doctors, hospital, pharmacy, dentist, healthcare=*): "
        f"{result.n_facilities}"
    )
    click.echo(
        f"  buildings: {result.n_buildings:,}; "
        f"median walk to the nearest: {result.median_minutes:.1f} min"
    )
    for minutes, share in result.share_within.items():
        click.echo(f"  within {minutes:>2} min: {share:6.1%} of buildings")
    click.echo(
        f"  life circles: {result.n_communities} street blocks; "
        f"{result.n_types_found} standard facility types found in the data"
    )
    scores = ", ".join(f"{level} {score:.0%}" for level, score in result.mean_scores.items())
    click.echo(f"  mean completeness: {scores}")
    for zh, en, count in result.most_missing:
        click.echo(f"    missing in {count} blocks: {zh if lang == 'zh' else en}")
    click.echo(
        f"  population (estimated from buildings, see parameters.toml): {result.population:,.0f}"
    )
    for type_id, share in result.coverage_shares.items():
        click.echo(f"  covered by {_STAND_IN_LABELS.get(type_id, type_id)}: {share:6.1%} of people")
    click.echo(
        f"  shelters hold {result.sheltered['capacity']:,.0f} people; "
        f"{result.sheltered['assigned']:,.0f} of {result.sheltered['population']:,.0f} get a "
        f"place within reach, {result.sheltered['over_capacity']:,.0f} in reach but over capacity"
    )
    p = result.proposal
    click.echo(
        f"  {p['sites']} new {_STAND_IN_LABELS.get(p['facility_type'], p['facility_type'])} "
        f"({p['solver']}, gap {p['gap']:.1%}) would raise coverage from {p['share_before']:.1%} "
        f"to {p['share_after']:.1%}"
    )
    click.echo(
        f"  wrote {result.gpkg} (layers: buildings, facilities, life_circles, service_areas, ...)"
    )
    for table in result.tables:
        click.echo(f"  wrote {table}")
    click.echo(f"  done in {result.seconds:.1f} s")


@click.command()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder (default: data/processed/demo).",
)
def demo(out_dir: Path | None) -> None:
    """Run the demo on the bundled OpenStreetMap sample of central Helsinki."""
    click.echo("geoplan demo: central Helsinki (OpenStreetMap contributors, ODbL), walking network")
    result = run_demo(out_dir)
    _echo_result(result)
    for note in result.notes:
        log.warning(note)
