"""Scale-out on Dask distributed: many studies at once, and big coverage matrices in blocks.

A province is many counties. :func:`run_many` runs one study per county as
tasks on a Dask cluster — a :class:`distributed.LocalCluster` on this machine by
default, or any scheduler by address — and merges their summaries into one
table, map and report. Each study is written to its own run folder exactly as
``geoplan run`` writes it; the tasks are independent, so the results are the
ones a serial run gives (:func:`run_many` with ``scheduler="serial"`` is that
serial run, used by the tests to prove it).

:func:`coverage_matrix_blocks` splits the candidates of a large siting problem
into blocks whose reach is computed on the workers; the blocks are stacked
into the same sparse matrix :func:`geoplan.siting.coverage_matrix` returns.

Dask is optional: ``pip install "geoplan[dask]"``.

Examples
--------
>>> import geoplan.parallel  # doctest: +SKIP
>>> merged = geoplan.parallel.run_many(["a.toml", "b.toml"])  # doctest: +SKIP
>>> merged.table  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from geoplan._errors import ConfigError, DataSourceError
from geoplan.settings import settings

if TYPE_CHECKING:
    from geoplan.network import Network

__all__ = ["ManyResult", "coverage_matrix_blocks", "run_many", "run_one"]

log = logging.getLogger(__name__)

#: Settings a worker takes from the process that starts the run.
_PASSED_SETTINGS = (
    "walk_speed_m_s",
    "bike_speed_m_s",
    "drive_speed_m_s",
    "max_snap_m",
    "life_circle_minutes",
    "lang",
    "offline",
    "reach_batch_mb",
    "service_area_buffer_m",
    "service_area_cell_m",
    "basemap",
    "offline_maps",
    "map_tolerance_m",
    "cache_dir",
)


@dataclass(frozen=True)
class ManyResult:
    """The merged outcome of :func:`run_many`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per study (by name): network size, communities, population,
        covered share of each facility type, mean completeness, indicators
        met, seconds, and the study's run folder.
    outlines : geopandas.GeoDataFrame
        Each study's area (the hull of its network) in EPSG:4326 with the
        figures of ``table``.
    folder : pathlib.Path
        The merged run folder (summary.csv, studies.gpkg, map.html, report.html).
    seconds : float
        Wall time of the whole run.
    """

    table: pd.DataFrame
    outlines: gpd.GeoDataFrame
    folder: Path
    seconds: float


def run_one(
    study_file: str,
    out_dir: str | None,
    force: bool,
    passed: dict[str, Any],
) -> dict[str, Any]:
    """Run and write one study; return its summary (a task of :func:`run_many`).

    Parameters
    ----------
    study_file
        The study TOML.
    out_dir
        The folder its run folder goes into (``<out_dir>/<study name>``);
        default the study's own output folder.
    force
        Replace an earlier run of this study.
    passed
        Settings of the starting process, applied here (workers are other
        processes with their own settings).

    Returns
    -------
    dict
        Plain values (pickled back to the client).
    """
    from geoplan.config import load_config
    from geoplan.outputs.run import preparations, write_run
    from geoplan.study import Study, run_study, study_settings, study_totals

    start = time.perf_counter()
    with settings.override(**passed):
        config = load_config(study_file)
        base = Path(out_dir) if out_dir is not None else (config.output_dir or settings.output_dir)
        with study_settings(config):
            study = Study.from_config(config)
            result = run_study(study, meanwhile=preparations(study))
            folder = write_run(result, base / config.name, force=force)
            totals = study_totals(result)
    nodes, _ = result.study.network.to_gdfs()
    hull = shapely.convex_hull(shapely.multipoints(nodes.to_crs("EPSG:4326").geometry.to_numpy()))
    met = None
    if result.indicators is not None:
        table = result.indicators.table
        flags = table.loc[table["area_level"] == "study", "meets"].dropna().astype(bool)
        met = (int(flags.sum()), len(flags))
    return {
        "study": config.name,
        "title": config.title,
        "folder": str(folder),
        "totals": totals,
        "indicators_met": met,
        "outline_wkt": shapely.to_wkt(hull, rounding_precision=6),
        "seconds": round(time.perf_counter() - start, 3),
    }


def run_many(
    study_files: Sequence[str | os.PathLike[str]],
    *,
    scheduler: str | None = None,
    n_workers: int = 2,
    out_dir: str | os.PathLike[str] | None = None,
    name: str = "many",
    force: bool = False,
) -> ManyResult:
    """Run many studies as tasks on a Dask cluster and merge their summaries.

    Parameters
    ----------
    study_files
        Study TOML files (each with its own ``[study] name``).
    scheduler
        ``None``: a LocalCluster of ``n_workers`` single-threaded worker
        processes on this machine; ``"serial"``: no Dask, one after the other
        in this process; otherwise the address of a running Dask scheduler
        (``tcp://host:8786``) whose workers can read the study files and write
        ``out_dir``.
    n_workers
        Workers of the LocalCluster.
    out_dir
        Where each study's run folder goes (``<out_dir>/<study name>``) and
        the merged folder (``<out_dir>/<name>``); default ``settings.output_dir``.
    name
        The merged folder's name (e.g. the province).
    force
        Replace earlier runs (only geoplan's own folders, as ``geoplan run``).

    Returns
    -------
    ManyResult

    Raises
    ------
    ConfigError
        No study files, two studies with one name, or a study file that does
        not validate (all checked before any work starts).
    DataSourceError
        Dask is not installed (``pip install "geoplan[dask]"``).
    """
    from geoplan.config import STUDY_NAME, load_config
    from geoplan.outputs.run_folder import RunFolder

    if not STUDY_NAME.fullmatch(name) or name in (".", ".."):
        msg = (
            f"name={name!r} cannot name a folder: use letters, digits, '-', '_' or '.' "
            "(at most 64, no '/'), e.g. name='jilin'"
        )
        raise ConfigError(msg)
    files = [str(Path(f)) for f in study_files]
    if not files:
        msg = "run-many needs study files, e.g. geoplan run-many studies/*.toml"
        raise ConfigError(msg)
    configs = [load_config(f) for f in files]  # every file validated before any work
    names = [c.name for c in configs]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        msg = f"several studies are named {', '.join(duplicated)}; give each a unique [study] name"
        raise ConfigError(msg)
    if name in names:
        msg = (
            f"--name {name!r} is also the name of a study, and the merged folder would "
            f"overwrite that study's run folder; give the merged folder another name, e.g. "
            f"--name {name}-all"
        )
        raise ConfigError(msg)
    base = Path(out_dir) if out_dir is not None else settings.output_dir
    for config in configs:
        RunFolder(base / config.name, force=force, study=config.name).check()
    merged = RunFolder(base / name, force=force, study=name, command="run-many")
    merged.check()
    passed = {key: getattr(settings, key) for key in _PASSED_SETTINGS}
    start = time.perf_counter()
    target = str(base)
    if scheduler == "serial":
        summaries = [run_one(f, target, force, passed) for f in files]
    else:
        with _client(scheduler, n_workers) as client:
            futures = client.map(
                run_one, files, out_dir=target, force=force, passed=passed, pure=False
            )
            summaries = client.gather(futures)
    seconds = time.perf_counter() - start
    table, outlines = _merge(summaries)
    folder = _write_merged(merged, table, outlines, name)
    return ManyResult(table=table, outlines=outlines, folder=folder, seconds=seconds)


@contextlib.contextmanager
def _client(scheduler: str | None, n_workers: int) -> Iterator[Any]:
    """Open a Dask client: to a LocalCluster (closed afterwards) or a scheduler's address."""
    try:
        from distributed import Client, LocalCluster  # untyped: Any at the boundary
    except ImportError:
        msg = 'Dask is not installed: pip install "geoplan[dask]" (or use scheduler="serial")'
        raise DataSourceError(msg) from None
    if scheduler is None:
        if isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1:
            msg = f"n_workers must be a whole number of at least 1, got {n_workers!r}"
            raise ConfigError(msg)
        with _local_cluster(LocalCluster, n_workers) as cluster, Client(cluster) as client:  # type: ignore[no-untyped-call]
            yield client
        return
    try:
        client = Client(scheduler, timeout="10s")  # type: ignore[no-untyped-call]
    except OSError as exc:
        msg = f"cannot reach the Dask scheduler at {scheduler}: {exc}; check the address"
        raise DataSourceError(msg) from None
    with client:
        yield client


#: Starting worker processes on a busy machine can time out; it is tried this many times.
_CLUSTER_ATTEMPTS = 3


def _local_cluster(factory: Any, n_workers: int) -> Any:
    """Start a LocalCluster of single-threaded worker processes, retrying a failed start."""
    import dask

    for attempt in range(1, _CLUSTER_ATTEMPTS + 1):
        try:
            with dask.config.set({"distributed.comm.timeouts.connect": "60s"}):
                return factory(
                    n_workers=n_workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                )
        except (RuntimeError, TimeoutError, OSError) as exc:
            if attempt == _CLUSTER_ATTEMPTS:
                msg = f"the local Dask cluster did not start ({exc}); retry, or scheduler='serial'"
                raise DataSourceError(msg) from exc
            log.warning("the local Dask cluster did not start (%s); trying again", exc)
    raise AssertionError("unreachable")


def _merge(summaries: Sequence[dict[str, Any]]) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """One row per study: size, coverage shares, completeness, indicators met."""
    rows = []
    for s in sorted(summaries, key=lambda s: s["study"]):
        totals = s["totals"]
        row: dict[str, Any] = {
            "study": s["study"],
            "title": s["title"],
            "nodes": totals["nodes"],
            "edges": totals["edges"],
            "communities": totals["communities"],
            "population": round(totals["population"], 1),
        }
        for type_id, share in sorted(totals.get("coverage", {}).items()):
            row[f"share_{type_id}"] = round(share, 6)
        for level, score in totals.get("completeness", {}).items():
            row[f"completeness_{level}"] = round(score, 6)
        if s["indicators_met"] is not None:
            row["indicators_met"], row["indicators_evaluated"] = s["indicators_met"]
        row["folder"] = s["folder"]
        row["seconds"] = s["seconds"]
        rows.append(row)
    table = pd.DataFrame(rows).set_index("study")
    outlines = gpd.GeoDataFrame(
        table.drop(columns=["folder", "seconds"]),
        geometry=shapely.from_wkt(
            [s["outline_wkt"] for s in sorted(summaries, key=lambda s: s["study"])]
        ),
        crs="EPSG:4326",
    )
    return table, outlines


def _write_merged(folder: Any, table: pd.DataFrame, outlines: gpd.GeoDataFrame, name: str) -> Path:
    from geoplan.outputs import maps
    from geoplan.outputs.tables import write_layers, write_table

    shares = [c for c in table.columns if c.startswith("share_")]
    with folder.staging() as staging:
        write_table(staging / "summary.csv", table.drop(columns=["seconds"]))
        write_layers(staging / "studies.gpkg", {"studies": outlines.reset_index()})
        if shares:
            m = maps.study_map(outlines, shares[0])
            maps.save_map(m, staging / "map.html")
        _write_index(staging / "report.html", table, name, bool(shares))
    return Path(folder.target)


def _write_index(path: Path, table: pd.DataFrame, name: str, has_map: bool) -> None:
    """Write a plain page: the merged table, and a link to each study's own report."""
    import html

    from geoplan._io import atomic_path

    rows = []
    for study, row in table.iterrows():
        report = Path(str(row["folder"])) / "report.html"
        link = os.path.relpath(report, path.parent)
        cells = "".join(
            f"<td>{html.escape(_fmt(row[c]))}</td>" for c in table.columns if c not in ("folder",)
        )
        rows.append(
            f'<tr><td><a href="{html.escape(link)}">{html.escape(str(study))}</a></td>{cells}</tr>'
        )
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns if c != "folder")
    page = (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{html.escape(name)}</title>"
        "<style>body{font:14px sans-serif;margin:2em}td,th{border:1px solid #ddd;"
        "padding:3px 8px}table{border-collapse:collapse}</style></head><body>"
        f"<h1>{html.escape(name)}</h1>"
        + ('<p><a href="map.html">map.html</a></p>' if has_map else "")
        + f"<table><tr><th>study</th>{head}</tr>{''.join(rows)}</table></body></html>"
    )
    with atomic_path(path) as tmp:
        tmp.write_text(page, encoding="utf-8")


def _fmt(value: Any) -> str:
    if isinstance(value, float | np.floating):
        return f"{float(value):,.3f}" if abs(float(value)) < 10 else f"{float(value):,.0f}"
    return str(value)


# ------------------------------------------------------------------- matrices in blocks


def coverage_matrix_blocks(
    network: Network,
    candidates: gpd.GeoDataFrame,
    demand: gpd.GeoDataFrame,
    *,
    minutes: float,
    client: Any,
    block_size: int = 500,
) -> sp.csr_matrix:
    """:func:`geoplan.siting.coverage_matrix`, its candidate blocks computed on Dask workers.

    Parameters
    ----------
    network, candidates, demand, minutes
        As for :func:`geoplan.siting.coverage_matrix`.
    client
        A :class:`distributed.Client`; the network and demand are scattered
        to the workers once.
    block_size
        Candidates per task.

    Returns
    -------
    scipy.sparse.csr_matrix
        Identical to the serial matrix (candidates x demand, minutes).
    """
    if block_size < 1:
        msg = f"block_size must be at least 1, got {block_size!r}"
        raise ConfigError(msg)
    shared_network, shared_demand = client.scatter([network, demand], broadcast=True)
    starts = range(0, len(candidates), block_size)
    blocks = [candidates.iloc[i : i + block_size] for i in starts]
    futures = [
        client.submit(_block, shared_network, block, shared_demand, minutes, pure=False)
        for block in blocks
    ]
    parts = client.gather(futures)
    if not parts:
        return sp.csr_matrix((0, len(demand)))
    return sp.vstack(parts, format="csr")


def _block(
    network: Network, candidates: gpd.GeoDataFrame, demand: gpd.GeoDataFrame, minutes: float
) -> sp.csr_matrix:
    from geoplan.siting import coverage_matrix

    return coverage_matrix(network, candidates, demand, minutes=minutes)
