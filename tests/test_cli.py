"""The ``geoplan`` command through its entry point."""

from __future__ import annotations

import subprocess
import sys

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
from click.testing import CliRunner

from geoplan.cli import cli
from geoplan.cli.demo import HEALTH_TAGS
from geoplan.datasets import sample_pbf
from geoplan.sources import read_facilities


def test_demo_writes_a_geopackage_with_walking_times(tmp_path):
    result = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    gpkg = tmp_path / "demo.gpkg"
    assert f"wrote {gpkg}" in result.output
    layers = {name for name, _ in pyogrio.list_layers(gpkg)}
    assert layers == {
        "buildings",
        "population",
        "coverage_gaps",
        "shelters",
        "proposed_sites",
        "health_facilities",
        "facilities",
        "life_circles",
        "life_circle_areas",
        "service_areas",
        "walk_network",
    }
    buildings = gpd.read_file(gpkg, layer="buildings")
    facilities = gpd.read_file(gpkg, layer="health_facilities")
    assert len(buildings) > 100
    assert len(facilities) > 0
    # no walk can be shorter than the straight line to the nearest facility
    reached = buildings[buildings["walk_minutes"].notna()]
    straight = reached.geometry.centroid.apply(lambda p: facilities.distance(p).min())
    assert (reached["distance_m"] + 0.1 >= straight).all()
    minutes = reached["distance_m"] / 60  # 1 m/s
    np.testing.assert_allclose(minutes, reached["walk_minutes"], rtol=1e-3, atol=0.01)
    # the nearest facility named is one of the facilities
    assert set(reached["nearest_facility"]) <= set(facilities["name"].fillna(""))
    # no temporary file is left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "classification.csv",
        "coverage_by_community.csv",
        "coverage_equity.csv",
        "coverage_totals.csv",
        "demo.gpkg",
        "facility_types.csv",
        "life_circle_coverage.csv",
        "life_circles.csv",
        "population.tif",
        "proposal_before_after.csv",
        "proposed_sites.csv",
        "shelter_capacity.csv",
        "travel_time_canteen.tif",
        "travel_time_clinic.tif",
        "travel_time_shelter.tif",
    ]


def test_demo_coverage_outputs_agree(tmp_path):
    result = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    gpkg = tmp_path / "demo.gpkg"
    people = gpd.read_file(gpkg, layer="population")
    with rasterio.open(tmp_path / "population.tif") as src:
        band = src.read(1, masked=True)
        assert float(band.sum()) == pytest.approx(people["population"].sum(), rel=1e-5)
    totals = pd.read_csv(tmp_path / "coverage_totals.csv", encoding="utf-8-sig", index_col=0)
    gaps = gpd.read_file(gpkg, layer="coverage_gaps")
    for type_id, row in totals.iterrows():
        uncovered = gaps.loc[gaps["facility_type"] == type_id, "population"].sum()
        assert uncovered == pytest.approx(row["population"] - row["covered"], rel=1e-6)
    shelters = pd.read_csv(tmp_path / "shelter_capacity.csv", encoding="utf-8-sig")
    assert (shelters["assigned"] <= shelters["capacity"] + 1e-6).all()
    # the proposal: ranked sites whose new coverage adds up to the before/after change
    sites = pd.read_csv(tmp_path / "proposed_sites.csv", encoding="utf-8-sig")
    assert list(sites["rank"]) == [1, 2, 3]
    assert "would raise coverage" in result.output
    with rasterio.open(tmp_path / "travel_time_clinic.tif") as src:
        minutes = src.read(1)
        assert np.nanmin(minutes) >= 0


def test_demo_life_circles_and_service_areas_are_consistent(tmp_path):
    result = CliRunner().invoke(cli, ["--lang", "en", "demo", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    gpkg = tmp_path / "demo.gpkg"
    blocks = gpd.read_file(gpkg, layer="life_circles")
    for level in ("15min", "10min", "5min"):
        assert blocks[f"score_{level}"].dropna().between(0, 1).all()
    coverage = pd.read_csv(tmp_path / "life_circle_coverage.csv", encoding="utf-8-sig")
    assert set(coverage["community"]) == set(blocks["community"])
    # a block's score is the mean share of its level's required types
    required = coverage[coverage["required"] & (coverage["level"] == "15min")]
    expected = required.groupby("community")["share"].mean()
    got = blocks.set_index("community")["score_15min"].dropna()
    np.testing.assert_allclose(got, expected.reindex(got.index))
    # the rings of each facility type do not overlap
    rings = gpd.read_file(gpkg, layer="service_areas")
    for _, group in rings.groupby("facility_type"):
        total = group.geometry.area.sum()
        assert group.geometry.union_all().area == pytest.approx(total, rel=1e-6)
    assert "missing in" in result.output


def test_demo_counts_match_the_sample(tmp_path):
    result = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path)])
    expected = len(read_facilities(sample_pbf(), tags=HEALTH_TAGS))
    assert f"healthcare=*): {expected}\n" in result.output


def geoplan_command(*args):
    return subprocess.run(
        [sys.executable, "-m", "geoplan", *args], capture_output=True, text=True, check=False
    )


def test_entry_point_exit_codes(tmp_path):
    ok = geoplan_command("--version")
    assert ok.returncode == 0
    assert "geoplan" in ok.stdout
    bad = geoplan_command("no-such-command")
    assert bad.returncode == 2
    unwritable = tmp_path / "file"
    unwritable.write_text("not a folder")
    fail = geoplan_command("demo", "--out", str(unwritable / "demo"))
    assert fail.returncode == 3
    assert "cannot write into" in fail.stderr
