"""The run folder: staged writing, --force, never touching other folders; report.html."""

from __future__ import annotations

import json
import re

import pytest

import geoplan
from geoplan.config import parse_config
from geoplan.outputs.report_page import bar_chart
from geoplan.report import RUN_MARKER, RunFolder, write_run

XSS = "<img src=x onerror=alert(1)>"


def test_a_complete_run_appears_at_once_with_its_marker(tmp_path):
    target = tmp_path / "study"
    with RunFolder(target).staging() as staging:
        (staging / "a.csv").write_text("1")
        assert not target.exists()  # nothing is visible until the run completes
    assert sorted(p.name for p in target.iterdir()) == [RUN_MARKER, "a.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study"]


def test_a_failed_run_leaves_the_earlier_run_untouched(tmp_path):
    target = tmp_path / "study"
    with RunFolder(target).staging() as staging:
        (staging / "a.csv").write_text("first")

    def interrupted_run() -> None:
        with RunFolder(target, force=True).staging() as staging:
            (staging / "a.csv").write_text("second")
            raise RuntimeError("killed half-way")

    with pytest.raises(RuntimeError):
        interrupted_run()
    assert (target / "a.csv").read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study"]


def test_force_replaces_only_its_own_runs(tmp_path):
    target = tmp_path / "study"
    with RunFolder(target).staging() as staging:
        (staging / "old.csv").write_text("old")
    with pytest.raises(geoplan.OutputError, match="--force"):
        RunFolder(target).check()
    with RunFolder(target, force=True).staging() as staging:
        (staging / "new.csv").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == [RUN_MARKER, "new.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study"]
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "work.txt").write_text("precious")
    with pytest.raises(geoplan.OutputError, match="not made by geoplan"):
        RunFolder(foreign, force=True).check()
    assert (foreign / "work.txt").read_text() == "precious"


def test_staging_left_by_a_killed_run_is_cleared_but_foreign_folders_are_not(tmp_path):
    stale = tmp_path / ".study.partial-abc"
    stale.mkdir()
    (stale / ".geoplan-partial").write_text("")
    lookalike = tmp_path / ".study.partial-xyz"  # same name pattern, not ours
    lookalike.mkdir()
    (lookalike / "keep.txt").write_text("keep")
    with RunFolder(tmp_path / "study").staging() as staging:
        (staging / "a.csv").write_text("1")
    assert not stale.exists()
    assert (lookalike / "keep.txt").read_text() == "keep"


def test_an_output_path_through_a_file_is_refused(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(geoplan.OutputError, match="cannot create"):
        RunFolder(blocker / "study").check()
    with pytest.raises(geoplan.OutputError, match="is a file"):
        RunFolder(blocker).check()


def test_bar_chart_widths_and_escaping():
    svg = bar_chart([("a", 0.25, "25%"), (XSS, 1.5, "150%")])
    widths = [float(w) for w in re.findall(r'<rect[^>]*width="([0-9.]+)"', svg)]
    assert widths == [75.0, 300.0]  # a quarter of 300 px; capped at the full width
    assert "<img" not in svg
    assert "&lt;img src=x onerror=alert(1)&gt;" in svg


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    """A small synthetic study whose title and community names are hostile."""
    config = parse_config(
        {
            "study": {"name": "hostile", "title": XSS},
            "network": {"source": "synthetic"},
            "synthetic": {"area_km2": 1.0, "seed": 3},
            "communities": {"source": "synthetic"},
            "population": {"source": "synthetic"},
            "facilities": {"types": {"community_canteen": {}}},
            "sites": [{"facility_type": "community_canteen", "p": 1}],
            "outputs": {"basemap": "none", "rasters": False},
        }
    )
    study = geoplan.Study.from_config(config)
    study.communities["name"] = XSS
    result = geoplan.run_study(study)
    out = write_run(result, tmp_path_factory.mktemp("hostile") / "hostile")
    return result, out


def test_hostile_text_is_escaped_in_the_report_and_maps(hostile_run):
    _, out = hostile_run
    page = (out / "report.html").read_text(encoding="utf-8")
    assert XSS not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    for map_page in (out / "maps").glob("*.html"):
        assert XSS not in map_page.read_text(encoding="utf-8"), map_page.name


def test_run_json_and_summary_agree_with_the_results(hostile_run):
    result, out = hostile_run
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["study"] == "hostile"
    share = float(result.coverage.totals.loc["community_canteen", "share"])
    assert record["totals"]["coverage"]["community_canteen"] == pytest.approx(share)
    summary = (out / "tables" / "summary.csv").read_text(encoding="utf-8-sig")
    assert f"coverage_share,community_canteen,{round(share, 4)}" in summary
    assert set(record["outputs"]) == {
        "layers",
        "tables",
        "sites",
        "rasters",
        "maps",
        "print",
        "report",
    }
    assert record["outputs"]["sites"] == [
        f"sites/sites_community_canteen.{e}" for e in ("xlsx", "geojson", "kml")
    ]
    assert record["outputs"]["rasters"] == []  # rasters = false
