"""The ``geoplan`` command through its entry point."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
from click.testing import CliRunner

from geoplan.cli import EXIT_BAD_INPUT, EXIT_OUTPUT, cli
from geoplan.datasets import sample_pbf
from geoplan.report import RUN_MARKER

REPO = Path(__file__).resolve().parents[1]
SYNTHETIC = REPO / "studies" / "synthetic.toml"


def invoke(*args: str):
    return CliRunner().invoke(cli, ["-q", *args])


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "demo"
    result = invoke("--lang", "en", "demo", "--out", str(out))
    assert result.exit_code == 0, result.output
    return out, result.output


def test_demo_writes_the_whole_run_folder(demo_run):
    out, output = demo_run
    # the closing line lists what the folder holds, the report first
    listed = output.split(f"wrote {out} (")[1].split(")")[0].split(", ")
    assert listed[:4] == ["report.html", "report.pdf", "maps/", "print/"]
    assert set(listed) == {
        p.name + ("/" if p.is_dir() else "") for p in out.iterdir() if p.name[0] != "."
    }
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert {
        RUN_MARKER,
        "report.html",
        "report.pdf",
        "print/life_circles_15min.png",
        "sites/sites_community_health_station.xlsx",
        "run.json",
        "layers.gpkg",
        "maps/life_circles.html",
        "maps/service_areas.html",
        "maps/coverage_community_health_station.html",
        "maps/coverage_emergency_shelter.html",
        "maps/coverage_community_canteen.html",
        "maps/sites_community_health_station.html",
        "maps/indicators.html",
        "tables/summary.csv",
        "tables/indicators.csv",
        "tables/indicators_by_community.csv",
        "tables/indicators_by_district.csv",
        "tables/coverage_totals.csv",
        "tables/coverage_by_community.csv",
        "tables/coverage_equity.csv",
        "tables/life_circles.csv",
        "tables/life_circle_coverage.csv",
        "tables/capacity_emergency_shelter.csv",
        "tables/sites_community_health_station.csv",
        "tables/sites_community_health_station_before_after.csv",
        "rasters/population.tif",
        "rasters/travel_time_community_health_station.tif",
    } <= names
    # nothing half-written or temporary, in the folder or beside it
    assert not [n for n in names if Path(n).name.startswith(".") and n != RUN_MARKER]
    assert [p.name for p in out.parent.iterdir()] == ["demo"]
    layers = {name for name, _ in pyogrio.list_layers(out / "layers.gpkg")}
    assert {
        "network",
        "communities",
        "population",
        "population_coverage",
        "coverage_gaps",
        "service_areas",
        "life_circle_areas",
        "proposed_community_health_station",
        "newly_covered_community_health_station",
        "capacity_emergency_shelter",
        "indicators",
    } <= layers


def test_report_links_every_map_and_file(demo_run):
    out, _ = demo_run
    page = (out / "report.html").read_text(encoding="utf-8")
    links = set(re.findall(r'href="([^"]+)"', page))
    maps = {p.relative_to(out).as_posix() for p in (out / "maps").glob("*.html")}
    assert maps <= links
    for link in links:
        assert (out / link).is_file(), link
    assert "Key figures" in page  # --lang en
    assert "<script" not in page  # a plain page: figures, tables, inline SVG charts
    assert page.count("<svg") >= 2


def test_run_json_records_inputs_versions_and_timings(demo_run):
    out, _ = demo_run
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    pbf = sample_pbf()
    expected = hashlib.sha256(pbf.read_bytes()).hexdigest()
    assert record["inputs"] == [{"path": str(pbf), "bytes": pbf.stat().st_size, "sha256": expected}]
    assert record["libraries"]["folium"]
    assert set(record["timings_s"]) >= {"life_circles", "coverage", "sites", "write_maps"}
    assert record["config"]["study"]["name"] == "demo"
    # people on OSM commercial/railway/university land are not counted as residents
    assert record["totals"]["coverage"]["community_health_station"] == pytest.approx(
        0.2927, abs=5e-4
    )


def test_demo_coverage_outputs_agree(demo_run):
    out, output = demo_run
    gpkg = out / "layers.gpkg"
    people = gpd.read_file(gpkg, layer="population")
    with rasterio.open(out / "rasters" / "population.tif") as src:
        band = src.read(1, masked=True)
        assert float(band.sum()) == pytest.approx(people["population"].sum(), rel=1e-5)
    totals = pd.read_csv(out / "tables/coverage_totals.csv", encoding="utf-8-sig", index_col=0)
    gaps = gpd.read_file(gpkg, layer="coverage_gaps")
    for type_id, row in totals.iterrows():
        uncovered = gaps.loc[gaps["facility_type"] == type_id, "population"].sum()
        assert uncovered == pytest.approx(row["population"] - row["covered"], rel=1e-6)
    shelters = pd.read_csv(out / "tables/capacity_emergency_shelter.csv", encoding="utf-8-sig")
    assert (shelters["assigned"] <= shelters["capacity"] + 1e-6).all()
    sites = pd.read_csv(out / "tables/sites_community_health_station.csv", encoding="utf-8-sig")
    assert list(sites["rank"]) == [1, 2, 3]
    # every new person is counted once, by the site that reaches them first
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    summary = record["totals"]["proposals"]["community_health_station"]
    gained = summary["covered_after"] - summary["covered_before"]
    assert gained == pytest.approx(sites["newly_covered"].sum(), rel=1e-6)
    # communities' before/after cover only people inside a community: never more
    before_after = pd.read_csv(
        out / "tables/sites_community_health_station_before_after.csv", encoding="utf-8-sig"
    )
    in_communities = before_after["covered_after"].sum() - before_after["covered_before"].sum()
    assert 0 < in_communities <= gained + 1e-6
    assert "29.3% → 58.2%" in output
    with rasterio.open(out / "rasters/travel_time_community_health_station.tif") as src:
        assert np.nanmin(src.read(1)) >= 0


def test_demo_walking_distances_are_never_shorter_than_straight_lines(demo_run):
    out, _ = demo_run
    gpkg = out / "layers.gpkg"
    demand = gpd.read_file(gpkg, layer="population_coverage")
    clinics = gpd.read_file(gpkg, layer="facilities_community_health_station")
    reached = demand[np.isfinite(demand["community_health_station_distance_m"])]
    assert len(reached) > 10
    straight = reached.geometry.apply(lambda p: clinics.distance(p).min())
    assert (reached["community_health_station_distance_m"] + 0.1 >= straight).all()


def test_demo_life_circles_are_consistent(demo_run):
    out, _ = demo_run
    blocks = gpd.read_file(out / "layers.gpkg", layer="communities")
    for level in ("15min", "10min", "5min"):
        assert blocks[f"score_{level}"].dropna().between(0, 1).all()
    coverage = pd.read_csv(out / "tables/life_circle_coverage.csv", encoding="utf-8-sig")
    required = coverage[coverage["required"] & (coverage["level"] == "15min")]
    expected = required.groupby("community")["share"].mean()
    got = blocks.set_index("community")["score_15min"].dropna()
    np.testing.assert_allclose(got, expected.reindex(got.index))
    rings = gpd.read_file(out / "layers.gpkg", layer="service_areas")
    for _, group in rings.groupby("facility_type"):
        total = group.geometry.area.sum()
        assert group.geometry.union_all().area == pytest.approx(total, rel=1e-6)


# ----------------------------------------------------------------- run folder rules


def test_run_refuses_to_replace_an_earlier_run_without_force(tmp_path):
    out = tmp_path / "synthetic"
    first = invoke("run", str(SYNTHETIC), "--out", str(out), "--no-maps")
    assert first.exit_code == 0, first.output
    before = (out / "run.json").read_bytes()
    again = invoke("run", str(SYNTHETIC), "--out", str(out), "--no-maps")
    assert again.exit_code == EXIT_OUTPUT
    assert "--force" in again.output
    assert (out / "run.json").read_bytes() == before
    forced = invoke("run", str(SYNTHETIC), "--out", str(out), "--no-maps", "--force")
    assert forced.exit_code == 0, forced.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["synthetic"]


def test_run_never_writes_into_a_folder_it_did_not_make(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("my own work")
    for args in ([], ["--force"]):
        result = invoke("run", str(SYNTHETIC), "--out", str(out), "--no-maps", *args)
        assert result.exit_code == EXIT_OUTPUT
        assert "not made by geoplan" in result.output
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert (out / "notes.txt").read_text() == "my own work"


def test_step_subcommands_write_their_own_folders(tmp_path):
    study = tmp_path / "synthetic.toml"
    text = SYNTHETIC.read_text(encoding="utf-8")
    study.write_text(text.replace("[outputs]", f'[outputs]\noutput_dir = "{tmp_path / "out"}"'))
    expected_maps = {
        "network": {"network.html"},
        "life-circles": {"life_circles.html"},
        "service-areas": {"service_areas.html"},
        "coverage": {
            "coverage_community_health_station.html",
            "coverage_community_canteen.html",
            "coverage_elderly_day_care.html",
        },
        "site": {
            "coverage_community_health_station.html",
            "coverage_community_canteen.html",
            "coverage_elderly_day_care.html",
            "sites_community_canteen.html",
            "sites_elderly_day_care.html",
        },
        "indicators": {"indicators.html"},
    }
    for command, maps in expected_maps.items():
        result = invoke(command, str(study))
        assert result.exit_code == 0, (command, result.output)
        folder = tmp_path / "out" / f"synthetic-{command.replace('site', 'sites')}"
        assert {p.name for p in (folder / "maps").glob("*.html")} == maps, command
        assert (folder / "maps" / "lib" / "leaflet@1.9.3" / "leaflet.js").is_file()  # offline
        assert (folder / "report.html").is_file()


def test_coverage_and_site_options(tmp_path):
    out = tmp_path / "c"
    result = invoke(
        "coverage", str(SYNTHETIC), "--type", "community_canteen", "--out", str(out), "--no-maps"
    )
    assert result.exit_code == 0, result.output
    totals = pd.read_csv(out / "tables/coverage_totals.csv", encoding="utf-8-sig", index_col=0)
    assert list(totals.index) == ["community_canteen"]
    bad = invoke("coverage", str(SYNTHETIC), "--type", "nope", "--out", str(tmp_path / "x"))
    assert bad.exit_code == EXIT_BAD_INPUT
    assert "nope" in bad.output
    assert "community_canteen" in bad.output
    out = tmp_path / "s"
    result = invoke(
        "site", str(SYNTHETIC), "--type", "community_health_station", "--p", "2", "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    sites = pd.read_csv(out / "tables/sites_community_health_station.csv", encoding="utf-8-sig")
    assert list(sites["rank"]) == [1, 2]
    orphan = invoke("site", str(SYNTHETIC), "--p", "2", "--out", str(tmp_path / "y"))
    assert orphan.exit_code == EXIT_BAD_INPUT
    assert "--type" in orphan.output


def test_standards_lists_the_facility_types():
    result = CliRunner().invoke(cli, ["--lang", "en", "standards", "--level", "5min"])
    assert result.exit_code == 0, result.output
    assert "Kindergarten" in result.output or "kindergarten" in result.output
    as_csv = CliRunner().invoke(cli, ["standards", "--csv"])
    rows = as_csv.output.strip().splitlines()
    assert rows[0].startswith("facility_type,name_zh,level")
    assert len(rows) > 40


# ------------------------------------------------------------------- bad configs


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "study.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[study]\nname = "x"\n[network]\nsource = "sample"\nspeed = 3\n', "unknown key 'speed'"),
        ('[study]\nname = "x"\n[network]\nsource = "sample"\nprofile = 5\n', "profile"),
        ('[study]\nname = "x"\n[network]\nsource = "nowhere.osm.pbf"\n', "does not exist"),
        ('[study]\nname = "x"\n[network\nsource = "sample"\n', "not valid TOML"),
        ('[study]\nname = "../x"\n[network]\nsource = "sample"\n', "cannot name a folder"),
    ],
)
def test_bad_configs_exit_3_with_the_key_named(tmp_path, text, expected):
    result = invoke("run", str(_config(tmp_path, text)), "--out", str(tmp_path / "out"))
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert expected in result.output
    assert not (tmp_path / "out").exists()


def test_a_study_area_with_no_roads_is_refused(tmp_path):
    pbf = tmp_path / "sample.osm.pbf"
    shutil.copy(sample_pbf(), pbf)
    text = (
        '[study]\nname = "nowhere"\n[network]\nsource = "sample.osm.pbf"\n'
        "[area]\nbbox = [125.30, 43.85, 125.38, 43.91]\n"  # Changchun: not in the Helsinki sample
    )
    result = invoke("run", str(_config(tmp_path, text)), "--out", str(tmp_path / "out"))
    assert result.exit_code == EXIT_BAD_INPUT, result.output
    assert "bbox" in result.output or "no" in result.output
    assert not (tmp_path / "out").exists()


def test_a_missing_study_file_is_a_usage_error(tmp_path):
    result = invoke("run", str(tmp_path / "missing.toml"))
    assert result.exit_code == EXIT_BAD_INPUT
    assert "does not exist" in result.output


def geoplan_command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "geoplan", *args], capture_output=True, text=True, check=False
    )


def test_entry_point_exit_codes(tmp_path):
    ok = geoplan_command("--version")
    assert ok.returncode == 0
    assert "geoplan" in ok.stdout
    bad = geoplan_command("no-such-command")
    assert bad.returncode == 2
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    fail = geoplan_command("-q", "run", str(SYNTHETIC), "--out", str(blocker / "run"))
    assert fail.returncode == EXIT_OUTPUT, fail.stderr
    assert "cannot create" in fail.stderr
    config = geoplan_command("-q", "run", str(_config(tmp_path, "[study]\n")))
    assert config.returncode == EXIT_BAD_INPUT
    assert "[study] name is missing" in config.stderr


def test_the_demo_measures_the_plans_indicators_from_its_invented_register(demo_run):
    out, output = demo_run
    assert "the plan's indicators met" in output
    table = pd.read_csv(out / "tables/indicators.csv", encoding="utf-8-sig")
    assert list(table.iloc[:, 0]) == [1, 2, 3, 4, 5, 6, 7, 8]
    layer = gpd.read_file(out / "layers.gpkg", layer="indicators")
    by_community = pd.read_csv(out / "tables/indicators_by_community.csv", encoding="utf-8-sig")
    assert len(layer) == len(by_community) == 83  # one register row per street block
    # a community meets indicator 4 exactly when its area per 100 households reaches 30 m2
    values = layer["service_area_per_100_households"]
    known = values.notna()
    assert (
        layer.loc[known, "meets_service_area_per_100_households"] == (values[known] >= 30)
    ).all()


def test_indicators_need_a_register(tmp_path):
    text = '[study]\nname = "x"\n[network]\nsource = "sample"\n'
    result = invoke("indicators", str(_config(tmp_path, text)), "--out", str(tmp_path / "o"))
    assert result.exit_code == EXIT_BAD_INPUT
    assert "[register]" in result.output


def test_the_run_summary_reads_in_chinese(tmp_path):
    """With --lang zh the lines a planner reads are Chinese: the proposal's solver and gap too."""
    out = tmp_path / "zh"
    result = invoke("--lang", "zh", "run", str(SYNTHETIC), "--out", str(out))
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("  ")]
    proposal = next(line for line in lines if "→" in line)
    assert "求解器" in proposal
    assert "最优间隙" in proposal
    # beyond the solver's name and file names, no English word is left
    words = {w.lower() for line in lines for w in re.findall(r"[A-Za-z]{3,}", line)}
    assert words <= {
        "highs",
        "greedy",
        "tables",
        "indicators",
        "csv",
        "report",
        "html",
        "pdf",
        "maps",
        "print",
        "xlsx",
        "layers",
        "gpkg",
        "rasters",
        "run",
        "json",
        "sites",
        "tmp",
        "pytest",
        "root",
        "zh",
    } | {w.lower() for w in re.findall(r"[A-Za-z]{3,}", str(out))}
