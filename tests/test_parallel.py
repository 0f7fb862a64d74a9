"""run-many on a 2-worker LocalCluster gives what the serial run gives."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

import geoplan
from geoplan.cli import EXIT_BAD_INPUT, cli

distributed = pytest.importorskip("distributed", reason='run-many needs "geoplan[dask]"')

from geoplan.parallel import _local_cluster, coverage_matrix_blocks, run_many  # noqa: E402

STUDY = """
[study]
name = "county-{i}"
title = "示例县 {i}"

[network]
source = "synthetic"

[synthetic]
area_km2 = {area}
seed = {seed}

[communities]
source = "synthetic"

[population]
source = "synthetic"

[facilities.types.community_canteen]
[facilities.types.community_health_station]

[register]
source = "synthetic"

[[sites]]
facility_type = "community_canteen"
p = 1

[outputs]
basemap = "none"
rasters = false
"""


def write_studies(folder: Path, n: int) -> list[Path]:
    paths = []
    for i in range(n):
        path = folder / f"county-{i}.toml"
        path.write_text(STUDY.format(i=i, area=0.6 + 0.2 * i, seed=10 + i), encoding="utf-8")
        paths.append(path)
    return paths


def tables_of(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((folder / "tables").glob("*.csv"))}


@pytest.fixture(scope="module")
def serial_and_parallel(tmp_path_factory):
    root = tmp_path_factory.mktemp("many")
    studies = write_studies(root, 3)
    serial = run_many(studies, scheduler="serial", out_dir=root / "serial", name="province")
    parallel = run_many(studies, n_workers=2, out_dir=root / "parallel", name="province")
    return serial, parallel


def test_the_cluster_run_equals_the_serial_run(serial_and_parallel):
    serial, parallel = serial_and_parallel
    columns = [c for c in serial.table.columns if c not in ("folder", "seconds")]
    pd.testing.assert_frame_equal(serial.table[columns], parallel.table[columns])
    assert list(serial.table.index) == ["county-0", "county-1", "county-2"]
    for study in serial.table.index:
        a = Path(serial.table.loc[study, "folder"])
        b = Path(parallel.table.loc[study, "folder"])
        assert a != b
        assert tables_of(a) == tables_of(b)  # byte-identical CSV tables


def test_the_merged_folder_has_the_summary_map_and_report(serial_and_parallel):
    _, parallel = serial_and_parallel
    folder = parallel.folder
    assert folder.name == "province"
    names = {p.name for p in folder.iterdir()}
    assert {"summary.csv", "studies.gpkg", "map.html", "report.html"} <= names
    summary = pd.read_csv(folder / "summary.csv", encoding="utf-8-sig", index_col=0)
    assert list(summary.index) == ["county-0", "county-1", "county-2"]
    # each county's figures are its own run's
    for study, row in summary.iterrows():
        totals = pd.read_csv(
            Path(parallel.table.loc[study, "folder"]) / "tables" / "coverage_totals.csv",
            encoding="utf-8-sig",
            index_col=0,
        )
        share = float(totals.loc["community_canteen", "share"])
        assert row["share_community_canteen"] == pytest.approx(share, abs=1e-6)
    outlines = gpd.read_file(folder / "studies.gpkg")
    assert len(outlines) == 3
    page = (folder / "report.html").read_text(encoding="utf-8")
    for study in summary.index:
        assert f">{study}</a>" in page


def test_coverage_matrix_blocks_equal_the_serial_matrix():
    city = geoplan.datasets.synthetic_city(area_km2=1.0, seed=4)
    net = city.network()
    sites = geoplan.siting.candidates(net, spacing_m=120)
    demand = city.demand()
    serial = geoplan.siting.coverage_matrix(net, sites, demand, minutes=5)
    # started as run_many starts one: retried when a busy machine's workers are slow to start
    with (
        _local_cluster(distributed.LocalCluster, 2) as cluster,
        distributed.Client(cluster) as client,
    ):
        blocks = coverage_matrix_blocks(net, sites, demand, minutes=5, client=client, block_size=7)
    assert blocks.shape == serial.shape
    assert (blocks != serial).nnz == 0
    np.testing.assert_array_equal(blocks.indices, serial.indices)


def test_run_many_refuses_bad_input_before_any_work(tmp_path):
    studies = write_studies(tmp_path, 2)
    same = tmp_path / "same.toml"
    same.write_text(studies[0].read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(geoplan.ConfigError, match="county-0"):
        run_many([studies[0], same], scheduler="serial", out_dir=tmp_path / "out")
    with pytest.raises(geoplan.ConfigError, match="study files"):
        run_many([], scheduler="serial")
    with pytest.raises(geoplan.ConfigError, match="cannot name a folder"):
        run_many(studies, scheduler="serial", out_dir=tmp_path / "out", name="../escape")
    assert not (tmp_path / "out").exists()


def test_the_command(tmp_path):
    studies = write_studies(tmp_path, 2)
    args = ["-q", "run-many", *map(str, studies), "--scheduler", "serial", "--out", str(tmp_path)]
    result = CliRunner().invoke(cli, [*args, "--name", "jilin"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "jilin" / "summary.csv").is_file()
    again = CliRunner().invoke(cli, [*args, "--name", "jilin"])
    assert again.exit_code == 4  # the earlier runs are there: --force replaces them
    bad = CliRunner().invoke(cli, ["run-many", str(tmp_path / "missing.toml")])
    assert bad.exit_code == EXIT_BAD_INPUT
