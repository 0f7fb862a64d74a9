"""The benchmark suite's smoke run: the same code paths on tiny data, so it cannot rot."""

from __future__ import annotations

import pytest

bench_engine = pytest.importorskip("bench.engine")


def test_quick_engine_benchmark_runs_and_agrees():
    # each case asserts geoplan and its peer agree before its time is recorded
    table = bench_engine.run(quick=True)
    text = table.markdown()
    assert "| nearest facility |" in text
    assert "networkx ego_graph per facility" in text
    geoplan_rows = [r for r in table.rows if r.tool.startswith("geoplan")]
    assert geoplan_rows
    assert all(r.seconds > 0 for r in geoplan_rows)
