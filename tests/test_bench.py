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


# (the province suite's run-many paths are tested in test_parallel.py)
@pytest.mark.parametrize(
    "suite",
    ["readers", "lines", "drive", "maps", "writers", "scaling", "hard_location", "study_ratio"],
)
def test_quick_suites_run(suite):
    module = pytest.importorskip(f"bench.{suite}")
    table = module.run(quick=True)
    assert table.rows
    assert "| case | data | tool |" in table.markdown()
    timed = [r for r in table.rows if r.tool.startswith("geoplan") and r.seconds == r.seconds]
    assert all(r.seconds > 0 for r in timed)


def test_the_fitted_exponent_of_a_power_law_is_recovered():
    scaling = pytest.importorskip("bench.scaling")
    sizes = [1e4, 1e5, 1e6]
    assert scaling.fitted_exponent(sizes, [2e-6 * s**1.1 for s in sizes]) == pytest.approx(1.1)
