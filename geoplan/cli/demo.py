"""``geoplan demo``: the whole path on the bundled sample, from OSM to a GeoPackage."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import click
import numpy as np
import pandas as pd

from geoplan import datasets
from geoplan.report import write_layers
from geoplan.settings import settings
from geoplan.sources import read_buildings, read_facilities, read_network

__all__ = ["DemoResult", "demo", "run_demo"]

#: OSM tags standing in for "a clinic, a pharmacy or whatever health facility the extract has".
HEALTH_TAGS: dict[str, bool | str | list[str]] = {
    "amenity": ["clinic", "doctors", "hospital", "pharmacy", "dentist"],
    "healthcare": True,
}


@dataclass(frozen=True)
class DemoResult:
    """What the demo computed and where it wrote it."""

    gpkg: Path
    n_nodes: int
    n_edges: int
    n_buildings: int
    n_facilities: int
    median_minutes: float
    share_within: dict[int, float]
    seconds: float


def run_demo(out_dir: Path | None = None) -> DemoResult:
    """Compute every sample building's walking time to its nearest health facility.

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
    facilities = read_facilities(pbf, tags=HEALTH_TAGS).to_crs(net.crs)
    buildings = read_buildings(pbf).to_crs(net.crs)
    result = net.nearest(facilities, minutes=60, targets=buildings)
    minutes = result.target_minutes
    assert minutes is not None
    source = result.target_source
    assert source is not None
    names = (
        facilities["name"].fillna("").to_numpy()
        if "name" in facilities
        else np.full(len(facilities), "")
    )
    kinds = _facility_kind(facilities)
    out = buildings[
        [c for c in ("osm_id", "name", "building", "geometry") if c in buildings]
    ].copy()
    out["walk_minutes"] = np.where(np.isfinite(minutes), np.round(minutes, 2), np.nan)
    out["distance_m"] = np.where(
        np.isfinite(minutes), np.round(minutes * 60 * net.speed_m_s, 1), np.nan
    )
    out["nearest_facility"] = np.where(source >= 0, names[np.maximum(source, 0)], "")
    out["nearest_kind"] = np.where(source >= 0, kinds[np.maximum(source, 0)], "")
    _, edges = net.to_gdfs()
    fac = facilities[[c for c in ("osm_id", "name", "geometry") if c in facilities]].copy()
    fac["kind"] = kinds
    gpkg = write_layers(
        out_dir / "demo.gpkg",
        {"buildings": out, "health_facilities": fac, "walk_network": edges},
    )
    finite = minutes[np.isfinite(minutes)]
    return DemoResult(
        gpkg=gpkg,
        n_nodes=net.n_nodes,
        n_edges=net.n_edges,
        n_buildings=len(buildings),
        n_facilities=len(facilities),
        median_minutes=float(np.median(finite)) if finite.size else float("nan"),
        share_within={m: float((minutes <= m).mean()) for m in settings.life_circle_minutes},
        seconds=time.perf_counter() - start,
    )


def _facility_kind(facilities: pd.DataFrame) -> np.ndarray:
    kind = pd.Series("health", index=facilities.index, dtype=object)
    for column in ("healthcare", "amenity"):
        if column in facilities:
            kind = facilities[column].where(facilities[column].notna(), kind)
    return kind.astype(str).to_numpy()


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
    click.echo(f"  wrote {result.gpkg} (layers: buildings, health_facilities, walk_network)")
    click.echo(f"  done in {result.seconds:.1f} s")
