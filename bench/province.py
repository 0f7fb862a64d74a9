"""A province of synthetic counties: run-many on a 2-worker LocalCluster against the serial run.

Run ``python -m bench province`` (60 counties) or ``--quick`` (4 counties).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd

from geoplan.datasets import synthetic_province
from geoplan.parallel import run_many

from ._harness import Table


def run(quick: bool = False) -> Table:
    table = Table()
    n = 4 if quick else 60
    with tempfile.TemporaryDirectory() as tmp:
        studies = synthetic_province(Path(tmp) / "studies", n_counties=n, seed=0)
        serial = run_many(studies, scheduler="serial", out_dir=Path(tmp) / "serial", name="prov")
        label = f"{n} counties"
        nodes = int(serial.table["nodes"].sum())
        table.record(
            "province run-many",
            label,
            "geoplan serial (one process)",
            serial.seconds,
            note=f"{nodes:,} nodes in all",
        )
        parallel = run_many(studies, n_workers=2, out_dir=Path(tmp) / "parallel", name="prov")
        columns = [c for c in serial.table.columns if c not in ("folder", "seconds")]
        pd.testing.assert_frame_equal(serial.table[columns], parallel.table[columns])
        table.record(
            "province run-many",
            label,
            "geoplan Dask LocalCluster, 2 workers",
            parallel.seconds,
            note=f"speed-up {serial.seconds / parallel.seconds:.2f}x; summaries equal",
        )
    return table
