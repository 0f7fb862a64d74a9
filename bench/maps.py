"""Writing the maps of a whole study, and their size, beside the plain folium recipe.

The recipe is what a notebook does without geoplan: ``folium.GeoJson`` of the
community polygons (all columns, full precision) and of the service areas,
with a GeoJsonTooltip. Run ``python -m bench maps`` or ``--quick``.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import folium

import geoplan
from geoplan.config import parse_config
from geoplan.datasets import area_for_nodes
from geoplan.report import write_run

from ._harness import Table

SPACING_M = 80.0


def study_config(n_nodes: int) -> dict:
    return {
        "study": {"name": f"maps-{n_nodes}"},
        "network": {"source": "synthetic"},
        "synthetic": {"area_km2": area_for_nodes(n_nodes, spacing_m=SPACING_M), "seed": 0},
        "communities": {"source": "synthetic"},
        "population": {"source": "synthetic"},
        "facilities": {
            "types": {
                "community_health_station": {},
                "community_canteen": {},
                "elderly_day_care": {},
            }
        },
        "sites": [{"facility_type": "community_canteen", "p": 5}],
        "outputs": {"basemap": "none", "rasters": False},
    }


def recipe_map(result: geoplan.StudyResult, path: Path) -> None:
    """The plain folium recipe for the same coverage map (no simplification, all columns)."""
    communities = result.study.communities.to_crs("EPSG:4326")
    m = folium.Map(tiles=None)
    folium.GeoJson(
        communities,
        tooltip=folium.GeoJsonTooltip(fields=["name", "population"]),
    ).add_to(m)
    areas = result.service_areas
    if areas is not None:
        folium.GeoJson(areas.to_crs("EPSG:4326")).add_to(m)
    m.save(str(path))


def run(quick: bool = False) -> Table:
    table = Table()
    sizes = [5_000] if quick else [50_000, 200_000]
    for n in sizes:
        config = parse_config(study_config(n))
        start = time.perf_counter()
        study = geoplan.Study.from_config(config)
        result = geoplan.run_study(study)
        label = f"{study.network.n_nodes:,} nodes, {len(study.communities):,} communities"
        table.record(
            "whole study (no writing)", label, "geoplan run_study", time.perf_counter() - start
        )
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "run"
            start = time.perf_counter()
            write_run(result, out)
            seconds = time.perf_counter() - start
            maps = sorted((out / "maps").glob("*.html"))
            biggest = max(maps, key=lambda p: p.stat().st_size)
            mb = biggest.stat().st_size / 2**20
            total = sum(p.stat().st_size for p in maps) / 2**20
            # the base layer (streets...) every map of the run loads from lib/
            base = sum(p.stat().st_size for p in (out / "maps" / "lib").glob("base-*.js")) / 2**20
            pdf = (out / "report.pdf").stat().st_size / 2**20
            table.record(
                "write run folder",
                label,
                "geoplan write_run",
                seconds,
                note=(
                    f"{len(maps)} maps, {total:.1f} MB; largest {biggest.name} {mb:.1f} MB "
                    f"+ shared base layer {base:.1f} MB; report.pdf {pdf:.1f} MB"
                ),
            )
            coverage_map = out / "maps" / "coverage_community_canteen.html"
            start = time.perf_counter()
            geoplan.maps.save_map(
                geoplan.maps.coverage_map(
                    result.coverage,
                    study.sites("community_canteen"),
                    facility_type="community_canteen",
                    communities=study.communities,
                    service_areas=result.service_areas[
                        result.service_areas["facility_type"] == "community_canteen"
                    ],
                ),
                coverage_map,
            )
            table.record(
                "coverage map",
                label,
                "geoplan maps.coverage_map",
                time.perf_counter() - start,
                note=f"{coverage_map.stat().st_size / 2**20:.2f} MB",
            )
            recipe = Path(tmp) / "recipe.html"
            start = time.perf_counter()
            recipe_map(result, recipe)
            table.record(
                "coverage map",
                label,
                "folium GeoJson recipe",
                time.perf_counter() - start,
                note=f"{recipe.stat().st_size / 2**20:.2f} MB",
            )
    return table
