"""Faults and determinism: a killed run loses nothing; two runs give the same tables and layers."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner
from geopandas.testing import assert_geodataframe_equal

from geoplan.cli import cli
from geoplan.report import RUN_MARKER

REPO = Path(__file__).resolve().parents[1]
SYNTHETIC = REPO / "studies" / "synthetic.toml"


def digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def run(out: Path, *extra: str) -> None:
    result = CliRunner().invoke(cli, ["-q", "run", str(SYNTHETIC), "--out", str(out), *extra])
    assert result.exit_code == 0, result.output


@pytest.mark.slow
def test_a_run_killed_mid_write_leaves_the_earlier_run_whole(tmp_path):
    out = tmp_path / "synthetic"
    run(out)
    before = digests(out)
    command = [sys.executable, "-m", "geoplan", "-q", "run", str(SYNTHETIC), "--out", str(out)]
    process = subprocess.Popen(
        [*command, "--force"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    # wait until the new run has started writing files into its staging folder, then kill it
    deadline = time.monotonic() + 120
    staged: list[Path] = []
    while time.monotonic() < deadline and process.poll() is None:
        # the staging folder exists from the first file written until the run is swapped in
        staged = [p for p in tmp_path.glob(".synthetic.partial-*") if any(p.iterdir())]
        if staged:
            break
        time.sleep(0.02)
    assert staged, "the run finished before it could be killed mid-write"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    # the earlier run is exactly as it was; nothing half-written is in it
    assert digests(out) == before
    assert (out / RUN_MARKER).is_file()
    # a rerun replaces it cleanly and clears what the killed run left behind
    run(out, "--force")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["synthetic"]
    assert (out / RUN_MARKER).is_file()


@pytest.mark.slow
def test_two_runs_write_identical_tables_layers_rasters_and_maps(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    run(first)
    run(second)
    tables = sorted((first / "tables").glob("*.csv"))
    assert tables
    for table in tables:
        assert table.read_bytes() == (second / "tables" / table.name).read_bytes(), table.name
    layers = pyogrio.list_layers(first / "layers.gpkg").tolist()
    assert layers == pyogrio.list_layers(second / "layers.gpkg").tolist()
    for layer, geometry in layers:
        a = gpd.read_file(first / "layers.gpkg", layer=layer)
        b = gpd.read_file(second / "layers.gpkg", layer=layer)
        if geometry is None:  # layer_styles, QGIS's styles
            pd.testing.assert_frame_equal(a, b)
        else:
            assert_geodataframe_equal(a, b, check_less_precise=False)
    for raster in sorted((first / "rasters").glob("*.tif")):
        assert raster.read_bytes() == (second / "rasters" / raster.name).read_bytes()
    maps = sorted((first / "maps").glob("*.html"))
    assert maps
    for page in maps:  # element ids are numbered, not random
        assert page.read_bytes() == (second / "maps" / page.name).read_bytes(), page.name
