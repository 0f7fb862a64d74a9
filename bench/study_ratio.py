"""A whole study against the time it takes to read its network (wave 2, step 6).

What ``geoplan run`` does, in one run per dataset: read the study's inputs
(``Study.from_config``), run every step (``run_study``) and write the run
folder (``write_run``, to a temporary folder). The ratio is the whole time over
the run's own ``load_network`` step (reading the extract and building the
network; for the synthetic cities, generating it). Datasets: the real extracts
in ``../shared/data/osm`` (skipped when absent) studied as the demo studies
Helsinki (street blocks, population from buildings, every POI classified, one
MCLP), and synthetic cities of about 50k and 200k nodes (``--quick``: 3k only).
Run ``python -m bench study-ratio``; ``python -m bench.study_ratio [NAME...]``
prints one JSON row per dataset with the process's peak resident memory (one
dataset per process gives each its own peak; how bench/README.md's
before/after figures were taken, once per git revision).
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import geoplan
from geoplan.config import StudyConfig, parse_config
from geoplan.datasets import area_for_nodes
from geoplan.outputs import write_run
from geoplan.outputs.run import preparations, print_ahead
from geoplan.study import study_settings

from ._harness import Table

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm"
SYNTHETIC_SIZES = (50_000, 200_000)


def real_config(path: Path) -> StudyConfig:
    """The demo's study (street blocks, buildings, every POI classified, one MCLP) on ``path``."""
    return parse_config(
        {
            "study": {"name": path.name.split(".")[0]},
            "network": {"source": str(path), "profile": "walk"},
            "communities": {"source": "street_blocks"},
            "population": {"source": "buildings"},
            "facilities": {
                "classify": True,
                "types": {
                    "community_health_station": {
                        "tags": {"amenity": ["clinic", "doctors", "hospital"]}
                    },
                },
            },
            "sites": [{"facility_type": "community_health_station", "model": "mclp", "p": 3}],
        }
    )


def synthetic_config(nodes: int) -> StudyConfig:
    """The scaling suite's synthetic study of about ``nodes`` nodes."""
    return parse_config(
        {
            "study": {"name": f"synthetic-{nodes}"},
            "network": {"source": "synthetic"},
            "synthetic": {"area_km2": area_for_nodes(nodes, spacing_m=80.0), "seed": 0},
            "communities": {"source": "synthetic"},
            "population": {"source": "synthetic"},
            "facilities": {"types": {"community_canteen": {}, "community_health_station": {}}},
            "register": {"source": "synthetic"},
            "sites": [{"facility_type": "community_canteen", "p": 3}],
        }
    )


def whole_study(config: StudyConfig) -> dict[str, Any]:
    """Read, run and write one study as ``geoplan run`` does; return its timings."""
    with tempfile.TemporaryDirectory() as tmp, study_settings(config):
        start, cpu = time.perf_counter(), _cpu_seconds()
        study = geoplan.Study.from_config(config)
        with print_ahead(study) as ahead:
            result = geoplan.run_study(study, meanwhile=preparations(study))
            written = time.perf_counter()
            write_run(result, Path(tmp) / config.name, print_ahead=ahead)
        end, cpu = time.perf_counter(), _cpu_seconds() - cpu
    steps = dict(result.timings)
    steps["write"] = round(end - written, 3)
    return {
        "nodes": result.study.network.n_nodes,
        "read_network_s": steps["load_network"],
        "whole_s": end - start,
        # CPU time of this process and the print writer it forks: steadier than wall
        # time on a busy machine
        "whole_cpu_s": cpu,
        "ratio": (end - start) / steps["load_network"],
        "steps": steps,
    }


def _cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended."""
    usage = [resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage)


def datasets(quick: bool) -> list[tuple[str, StudyConfig]]:
    found: list[tuple[str, StudyConfig]] = []
    if not quick and SHARED.is_dir():
        found += [(p.name, real_config(p)) for p in sorted(SHARED.glob("*.osm.pbf"))]
    sizes = (3_000,) if quick else SYNTHETIC_SIZES
    found += [(f"synthetic ~{n:,} nodes", synthetic_config(n)) for n in sizes]
    return found


def run(quick: bool = False) -> Table:
    table = Table()
    for name, config in datasets(quick):
        row = whole_study(config)
        label = f"{name}: {row['nodes']:,} nodes"
        steps = ", ".join(f"{k} {v:.1f} s" for k, v in row["steps"].items())
        table.record("read network", label, "geoplan load_network", row["read_network_s"])
        table.record("whole study", label, "geoplan run (read, run, write)", row["whole_s"])
        table.note("whole / read", label, "geoplan", f"{row['ratio']:.1f}x; {steps}")
    return table


if __name__ == "__main__":  # one JSON row per dataset, for comparing git revisions
    quick = "--quick" in sys.argv
    only = [a for a in sys.argv[1:] if not a.startswith("--")]
    for name, config in datasets(quick):
        if only and not any(o in name for o in only):
            continue
        row = {"dataset": name, **whole_study(config)}
        row["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        # the print writer's own peak (a fork shares the study's pages until written)
        row["peak_rss_children_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(json.dumps(row), flush=True)
