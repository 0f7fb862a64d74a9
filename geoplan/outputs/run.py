"""A run's results as a run folder: layers, tables, workbook, rasters, maps, report, run.json.

:func:`write_run` writes a :class:`~geoplan.study.StudyResult` into a
:class:`~geoplan.outputs.run_folder.RunFolder` (staged beside its final place,
moved in complete); every file inside is written atomically.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import html
import json
import logging
import os
import platform
import re
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan._background import (
    GivenJob,
    Job,
    SharedWork,
    Task,
    can_fork,
    shared_counter,
    start_given,
)
from geoplan._background import start as start_job
from geoplan._errors import OutputError
from geoplan._gc import fewer_collections
from geoplan._i18n import describe_cutoff, facility_type_label, level_name
from geoplan._io import atomic_path, safe_name, sha256
from geoplan._study_groups import groups_table
from geoplan._version import __version__
from geoplan.coverage import write_travel_time_raster
from geoplan.outputs import maps
from geoplan.outputs.qgis import style_geopackage
from geoplan.outputs.run_folder import RunFolder
from geoplan.outputs.sites import locate_sites, write_sites
from geoplan.outputs.tables import write_layers, write_table, write_workbook
from geoplan.population import write_population_raster
from geoplan.settings import settings
from geoplan.standards import using_standards
from geoplan.study import Study, StudyResult, study_settings, study_totals

__all__ = ["PrintAhead", "preparations", "print_ahead", "write_all", "write_run", "write_run_json"]

log = logging.getLogger(__name__)

Written = dict[str, list[str]]

#: Libraries whose versions run.json records.
_LIBRARIES = (
    "numpy",
    "scipy",
    "pandas",
    "shapely",
    "pyproj",
    "geopandas",
    "pyogrio",
    "rasterio",
    "networkx",
    "osmnx",
    "pyrosm",
    "folium",
)

#: Population points above this many are left out of layers.gpkg (the raster holds them).
MAX_DEMAND_POINTS_IN_LAYERS = 200_000


def write_all(
    result: StudyResult,
    folder: Path,
    *,
    offline_maps: bool | None = None,
    network_map: bool = False,
    print_outputs: bool | None = None,
    ahead: PrintAhead | None = None,
) -> Written:
    """Write layers, tables, rasters, maps, print maps, report.pdf and report.html.

    ``print_outputs`` writes ``print/*.png|pdf`` and ``report.pdf``; by default
    when the study's ``[outputs] maps`` and ``print`` are on. They are written
    by a second process while this one writes the rest, where that is safe
    (``settings.parallel``, :mod:`geoplan._background`): ``ahead``'s when
    given (:func:`print_ahead`), else one forked now; the tables, layers and
    rasters by whichever process is free first. The files are the same either
    way.

    Returns
    -------
    dict
        Relative paths written, by kind (``layers``, ``tables``, ``sites``, ``rasters``,
        ``maps``, ``print``, ``report``).
    """
    from geoplan.outputs.report_page import write_report_page

    written: Written = {"layers": [], "tables": [], "sites": [], "rasters": [], "maps": []}
    config = result.study.config
    if print_outputs is None:
        print_outputs = config is None or (config.maps and config.print_outputs)
    # tables, layers and rasters: by whichever process is free first (_shared_pieces)
    counter = ahead.counter if ahead is not None else None
    work = SharedWork(
        _shared_pieces(result, folder),
        across_processes=print_outputs and can_fork(),
        counter=counter if print_outputs else None,
    )
    notes_at = len(result.notes)  # the print writer's notes go here, as if written first
    printing = _start_print(result, folder, work, ahead) if print_outputs else None
    if ahead is not None and printing is not ahead.job:
        ahead.cancel()  # not wanted, or made for another study
    seconds: dict[str, float] = {}
    try:
        start = time.perf_counter()
        written["sites"] = _sites(result, folder)
        seconds["sites"] = time.perf_counter() - start
        if config is None or config.maps:
            start = time.perf_counter()
            written["maps"] = _maps(result, folder, offline_maps, network_map)
            seconds["maps"] = time.perf_counter() - start
        done, took = work.do_the_rest()
        if printing is not None:
            printed = printing.result()
            printed.tell(result, notes_at)
            written["print"] = printed.paths
            seconds["print"] = printing.seconds - sum(printed.seconds.values())
            done, took = {**done, **printed.shared}, {**took, **printed.seconds}
    except BaseException:  # a failure or Ctrl-C: the print writer writes nothing more
        if printing is not None:
            printing.cancel()
        raise
    # the workbook is listed, and timed, with the CSV tables
    written.update({kind: paths for kind, paths in done.items() if kind != "workbook"})
    written["tables"] = written["tables"] + done["workbook"]
    seconds.update(took)
    seconds["tables"] = seconds["tables"] + seconds.pop("workbook")
    result.timings.update(
        {f"write_{kind}": round(seconds[kind], 3) for kind in written if kind in seconds}
    )
    written["report"] = [write_report_page(result, folder, written).name]
    return written


#: The print writer's task, for its messages.
_PRINTING = Task(
    "writing the print maps and report.pdf (and tables, layers or rasters, when free first)",
    "set `[settings] parallel = false` to write them in one process, or "
    "`[outputs] print = false` to leave the print maps and report.pdf out",
    OutputError,
)


@dataclass(frozen=True)
class _Printed:
    """What the print writer did: its files, the notes and warnings it left, the shared pieces."""

    paths: list[str]
    notes: list[str]
    warned: list[tuple[str, type[Warning]]]
    shared: dict[str, Any]
    seconds: dict[str, float]

    def tell(self, result: StudyResult, at: int) -> None:
        """Insert the notes into ``result.notes`` at ``at``; raise the warnings in this process."""
        result.notes[at:at] = self.notes
        for text, kind in self.warned:
            warnings.warn(text, kind, stacklevel=3)


def _shared_pieces(result: StudyResult, folder: Path) -> dict[str, Callable[[], Any]]:
    """Return the writing either process may do, longest first (see :func:`write_all`)."""
    # tables, layers and rasters are written by whichever process is free first: the
    # print writer's (print maps and report.pdf, in a second process where it may fork,
    # _background.py) once its own files are written, or this one once it has written
    # the sites and HTML maps (on a big city the maps outlast the print maps). The
    # longest piece is handed out first, so the two end close together: layers.gpkg
    # (a 200k-node city's: 8.6 s), then the workbook, the rasters and the CSV tables.
    config = result.study.config
    tables = _Tables(result)
    shared = {
        "layers": lambda: _layers(result, folder),
        "workbook": lambda: tables.workbook(folder),
    }
    if config is None or config.rasters:
        shared["rasters"] = lambda: _rasters(result, folder)
    shared["tables"] = lambda: tables.csv(folder)
    return shared


def _start_print(
    result: StudyResult, folder: Path, work: SharedWork, ahead: PrintAhead | None
) -> Job[_Printed]:
    """Start writing the print maps and report.pdf, then what is left of ``work``.

    See :func:`~.report_pdf.write_print`. The typeface is chosen by the
    process that writes them (finding the fonts and loading matplotlib took
    Harbin's run 0.6 s before the second process could start); the note a
    missing Chinese font leaves, and its warning, come back with the files
    for :meth:`_Printed.tell` to add where this process chose it before.
    ``ahead``, when it was started for this study, is given the results
    instead of a process being forked now.
    """
    if ahead is not None and ahead.study is result.study and _bytes(result) <= _GIVEN_AT_MOST:
        # without the study, which the writer holds, nor the work done ahead for the maps
        given = dataclasses.replace(result, study=cast(Study, None), prepared={}, preparing=None)
        try:
            ahead.job.give(_Given(given, folder, settings.as_dict()))
        except OSError:  # it was stopped (the machine's memory): one is forked now
            log.debug("the print writer started ahead is gone; forking one now", exc_info=True)
        else:
            return ahead.job
    return start_job(lambda: _print_then_share(result, folder, work), _PRINTING)


#: Networks larger than this (nodes) get no print writer started ahead: their results are
#: too large to send (:data:`_GIVEN_AT_MOST`), and a process forked before the run holds
#: copies of the pages the run changes (a 200k-node city's process tree 0.2-0.3 GB more).
_AHEAD_AT_MOST_NODES = 100_000

#: Results larger than this (estimated, in bytes) are not given to a print writer started
#: ahead: one forked now shares them instead. Pickling, sending and reading back a 200k-node
#: city's results (122 MB) took about 2 s, more than the second the writer saves by loading
#: ahead; Harbin's (22 MB) about 0.3 s.
_GIVEN_AT_MOST = 48_000_000


def _bytes(value: Any, depth: int = 0) -> int:
    """Estimate the bytes of the frames in ``value`` (a result, its parts), without the study.

    Each frame counts its columns' memory (8 bytes per text or geometry) and 16
    bytes per geometry coordinate; what holds frames (dataclasses, dicts,
    lists) counts theirs. A quick bound on the pickled size, not a measure of it.
    """
    if isinstance(value, pd.DataFrame):
        found = int(value.memory_usage(index=True, deep=False).sum())
        for column in value.columns[(value.dtypes == "geometry").to_numpy()]:
            found += 16 * int(shapely.get_num_coordinates(value[column].to_numpy()).sum())
        return found
    parts: Any = ()
    if depth > 4 or isinstance(value, Study):
        parts = ()
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        parts = [getattr(value, f.name) for f in dataclasses.fields(value)]
    elif isinstance(value, dict):
        parts = value.values()
    elif isinstance(value, list | tuple):
        parts = value
    return sum(_bytes(part, depth + 1) for part in parts)


def _print_then_share(result: StudyResult, folder: Path, work: SharedWork) -> _Printed:
    """Write the print maps and report.pdf, then what is left of ``work`` (the print writer)."""
    from geoplan.outputs.report_pdf import write_print

    before = len(result.notes)
    with warnings.catch_warnings(record=True) as raised:
        # every warning comes back: this process's filters were copied when it was forked,
        # the filters in force where they are raised (_Printed.tell) decide
        warnings.simplefilter("always")
        paths = write_print(result, folder)
    notes = result.notes[before:]
    del result.notes[before:]  # this process's result, where it is not a copy
    warned = [(str(w.message), w.category) for w in raised]
    return _Printed(paths, notes, warned, *work.do_the_rest())


@dataclass(frozen=True)
class _Given:
    """What a print writer started ahead is given: the results, the folder, the settings.

    The results come without the study: the writer holds its own copy of it.
    """

    result: StudyResult
    folder: Path
    settings: dict[str, Any]


@dataclass(frozen=True)
class PrintAhead:
    """A study's print writer, forked before its run (see :func:`print_ahead`).

    Attributes
    ----------
    study
        The study it was forked with (it holds its own copy).
    job
        The forked child, waiting for the run's results.
    counter
        The counter of the writing the two processes share, made before the fork.
    """

    study: Study = field(repr=False)
    job: GivenJob[_Printed]
    counter: Any

    def cancel(self) -> None:
        """Stop it (nothing it wrote stays: it writes only once given the results)."""
        self.job.cancel()


@contextlib.contextmanager
def print_ahead(study: Study) -> Iterator[PrintAhead | None]:
    """Fork the print writer of ``study``'s run now, to load what it needs while the run goes on.

    The print writer (print maps and report.pdf, then the writing left) spends
    its first second loading matplotlib, fpdf and the fonts; forked before
    :func:`~geoplan.run_study`, it does that in the time the run's processes
    leave (at a lower priority), then waits for :func:`write_run`'s
    ``print_ahead=`` to give it the results. Yields None (and
    :func:`write_run` forks one as before) where no second process may be
    forked, when the study prints nothing, for a network of more than
    100,000 nodes (whose results are better shared by a writer forked when
    they are written), or when other work keeps the machine's other cores
    busy (:func:`~geoplan._background.start_given`: the writer, getting ready
    at a lower priority, would not be ready in time and would hold the pages
    up); the writer is stopped on leaving the block if it was not used.

    Examples
    --------
    >>> with print_ahead(study) as ahead:  # doctest: +SKIP
    ...     result = geoplan.run_study(study, meanwhile=preparations(study))
    ...     write_run(result, "out/harbin", print_ahead=ahead)
    """
    config = study.config
    prints = config is None or (config.maps and config.print_outputs)
    if not prints or study.network.n_nodes > _AHEAD_AT_MOST_NODES:
        yield None
        return
    counter = shared_counter()  # made before the fork, to share the writing with it
    # forked with fewer collections, which it keeps for its life: loading matplotlib and
    # reading the fonts make many objects (0.1-0.2 s of collections with Python's thresholds)
    with fewer_collections():
        job = start_given(
            functools.partial(_print_given, study, counter), _PRINTING, ready=_ready_to_print
        )
    ahead = PrintAhead(study, job, counter) if job is not None else None
    try:
        yield ahead
    finally:
        if ahead is not None:
            ahead.cancel()


def _print_given(study: Study, counter: Any, given: _Given) -> _Printed:
    """Write the print maps, report.pdf and the writing left, from the results given."""
    result = dataclasses.replace(given.result, study=study)
    with (
        fewer_collections(),
        settings.override(**given.settings),
        using_standards(study.standards),
    ):
        work = SharedWork(
            _shared_pieces(result, given.folder), across_processes=True, counter=counter
        )
        return _print_then_share(result, given.folder, work)


def _ready_to_print() -> None:
    """Load what the print writer uses: matplotlib, fpdf, fontTools, the typefaces."""
    from geoplan.outputs.report_pdf import ready_to_print

    ready_to_print()


@fewer_collections()
def write_run(
    result: StudyResult,
    target: str | os.PathLike[str] | RunFolder,
    *,
    force: bool = False,
    offline_maps: bool | None = None,
    network_map: bool = False,
    print_ahead: PrintAhead | None = None,
) -> Path:
    """Write a study's results as a run folder.

    The folder holds ``maps/*.html``, ``layers.gpkg`` (every result layer,
    styled for QGIS), ``tables/*.csv``, ``sites/`` (each request's proposed
    sites as xlsx, GeoJSON and KML), ``rasters/*.tif`` (population and travel
    times), ``report.html`` (key figures, tables, charts, links to the maps)
    and ``run.json`` (inputs with checksums, versions, parameters, timings).

    Parameters
    ----------
    result
        From :func:`geoplan.run_study`.
    target
        The run folder (``<settings.output_dir>/<study name>`` in the CLI), or
        a :class:`~geoplan.outputs.run_folder.RunFolder` the caller already
        holds (the command reserves it before loading the study).
    force
        Replace an earlier geoplan run in ``target`` — only when it holds
        nothing but the files that run wrote; a folder geoplan did not make,
        and any file in it geoplan did not write, is never touched.
    offline_maps
        Write Leaflet beside the maps from the local asset cache, so they open
        without the internet; default ``settings.offline_maps``.
    network_map
        Also draw the network (large for a big city).
    print_ahead
        The print writer forked before the run (:func:`print_ahead`), which
        then writes the print maps and report.pdf; the files are the same.

    Returns
    -------
    pathlib.Path
        ``target``.

    Raises
    ------
    OutputError
        ``target`` exists and is not an earlier geoplan run (or is one and
        ``force`` is not set, or it holds files geoplan did not write), another
        run is writing it, or it cannot be written.
    """
    folder = (
        target
        if isinstance(target, RunFolder)
        else RunFolder(target, force=force, study=result.study.name)
    )
    with (
        _settings_of(result),
        folder.staging() as staging,
    ):
        written = write_all(
            result,
            staging,
            offline_maps=offline_maps,
            network_map=network_map,
            ahead=print_ahead,
        )
        # the whole run, from the moment the study began to load
        write_run_json(result, staging, written, started=result.study.started)
    return folder.target


@contextlib.contextmanager
def _settings_of(result: StudyResult) -> Iterator[None]:
    with study_settings(result.study.config), using_standards(result.study.standards):
        yield


def _relative(paths: list[Path], folder: Path) -> list[str]:
    return [p.relative_to(folder).as_posix() for p in paths]


# ---------------------------------------------------------------------------- layers


def _layers(result: StudyResult, folder: Path) -> list[str]:
    study = result.study
    _, edges = study.network.to_gdfs()
    layers: dict[str, gpd.GeoDataFrame] = {
        "network": edges,
        "communities": _communities_layer(result),
    }
    if len(study.demand) <= MAX_DEMAND_POINTS_IN_LAYERS:
        layers["population"] = study.demand
    if len(study.facilities):
        layers["facilities"] = study.facilities
    for type_id in study.type_ids:
        sites = study.sites(type_id)
        if len(sites):
            layers[f"facilities_{type_id}"] = sites
    circles = result.life_circles
    if circles is not None and circles.circles is not None:
        layers["life_circle_areas"] = circles.circles
    if result.service_areas is not None:
        layers["service_areas"] = result.service_areas
    if result.coverage is not None:
        layers["coverage_gaps"] = result.coverage.gaps
        layers["population_coverage"] = result.coverage.demand
    for type_id, capacity in result.capacity.items():
        sites = study.sites(type_id).loc[capacity.facilities.index]
        frame = sites[[sites.geometry.name]].copy()
        for column in ("capacity", "assigned", "utilisation"):
            frame[column] = capacity.facilities[column].to_numpy()
        layers[f"capacity_{type_id}"] = frame
    for type_id, answer in result.proposals.items():
        layers[f"proposed_{type_id}"] = locate_sites(
            answer.proposal, study.network, study.communities
        )
        layers[f"newly_covered_{type_id}"] = answer.new_area
    for name, scenario in result.scenarios.items():  # what each scenario changed
        layers[f"scenario_{name}"] = scenario.edited.layer()
    indicator_layer = _indicator_layer(result)
    if indicator_layer is not None:
        layers["indicators"] = indicator_layer
    plain = {k: _plain(v) for k, v in layers.items()}
    path = write_layers(folder / "layers.gpkg", plain)
    style_geopackage(path, plain)  # QGIS's layer_styles (outputs.qgis)
    return [path.name]


def _communities_layer(result: StudyResult) -> gpd.GeoDataFrame:
    """Communities with their life-circle scores and covered share of each type."""
    study = result.study
    frame = study.communities.copy()
    if result.life_circles is not None:
        scores = result.life_circles.communities.drop(columns=["geometry"], errors="ignore")
        for column in scores.columns:
            if column not in frame.columns:
                frame[column] = scores[column].reindex(frame.index).to_numpy()
    cover = result.coverage
    if cover is not None and cover.by_community is not None:
        for type_id in sorted(cover.by_community["facility_type"].astype(str).unique()):
            shares = cover.by_community_of(type_id)["share"]
            frame[f"share_{type_id}"] = shares.reindex(frame.index).to_numpy(dtype=float)
    return frame


def _indicator_layer(result: StudyResult) -> gpd.GeoDataFrame | None:
    """Join each indicator's value and whether it is met to the register's communities."""
    register = result.study.register
    if result.indicators is None or not isinstance(register, gpd.GeoDataFrame):
        return None
    values = result.indicators.by_community
    extra = values.drop(columns=[c for c in values.columns if c in register.columns])
    return gpd.GeoDataFrame(register.join(extra), crs=register.crs)


def _plain(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Return a layer GDAL can store: a named index becomes a column, and names are unique."""
    out = frame
    if out.index.name is not None and out.index.name not in out.columns:
        out = out.reset_index()
    elif out.index.name is not None:
        out = out.reset_index(drop=True)
    return out


# ---------------------------------------------------------------------------- tables


def _tables(result: StudyResult, folder: Path) -> list[str]:
    """Write every table as ``tables/<name>.csv`` and all of them as ``tables.xlsx``."""
    tables = _Tables(result)
    return tables.csv(folder) + tables.workbook(folder)


class _Tables:
    """A run's tables, made once in each process that writes them (as CSV, as a workbook)."""

    def __init__(self, result: StudyResult) -> None:
        self.result = result

    @functools.cached_property
    def frames(self) -> dict[str, pd.DataFrame]:
        """The tables by name, in the order they are written."""
        return _table_frames(self.result)

    def csv(self, folder: Path) -> list[str]:
        """Write each table as ``tables/<name>.csv``; return their paths."""
        paths = [
            write_table(folder / "tables" / f"{safe_name(name)}.csv", t)
            for name, t in self.frames.items()
        ]
        return _relative(paths, folder)

    def workbook(self, folder: Path) -> list[str]:
        """Write every table as a sheet of ``tables.xlsx``; return its path."""
        path = write_workbook(folder / "tables.xlsx", self.frames, lang=settings.lang)
        return _relative([path], folder)


def _table_frames(result: StudyResult) -> dict[str, pd.DataFrame]:
    """Return the run's tables by name."""
    tables: dict[str, pd.DataFrame] = {"summary": _summary_table(result)}
    study = result.study
    tables["facility_types"] = pd.DataFrame([t.row() for t in study.types])
    circles = result.life_circles
    if circles is not None:
        tables["life_circles"] = pd.DataFrame(circles.communities.drop(columns="geometry"))
        tables["life_circle_coverage"] = circles.coverage
        tables["life_circle_types"] = circles.types
    cover = result.coverage
    if study.groups:  # the speed of everyone and of each group, with its source
        tables["population_groups"] = groups_table(study.groups, study.network)
    if cover is not None:
        tables["coverage_totals"] = _coverage_totals(result)
        if cover.by_community is not None:
            tables["coverage_by_community"] = _with_community_names(cover.by_community, study)
            tables["coverage_equity"] = cover.equity().reset_index()
    for type_id, capacity in result.capacity.items():
        tables[f"capacity_{type_id}"] = capacity.facilities
    if result.indicators is not None:
        found = result.indicators
        tables["indicators"] = found.summary(settings.lang).reset_index(drop=True)
        tables["indicators_all"] = found.table
        tables["indicators_by_community"] = found.by_community
        tables["indicators_by_district"] = found.by_district
        if len(found.unsupported):
            tables["indicators_unsupported"] = found.unsupported
    unmatched = result.study.register_unmatched
    if unmatched is not None and len(unmatched):
        tables["register_unmatched"] = unmatched
    for type_id, answer in result.proposals.items():
        proposal = answer.proposal
        located = locate_sites(proposal, study.network, study.communities)
        tables[f"sites_{type_id}"] = pd.DataFrame(located.drop(columns="geometry"))
        before_after = proposal.before.rename(
            columns={"covered": "covered_before", "share": "share_before"}
        )
        before_after["covered_after"] = proposal.after["covered"]
        before_after["share_after"] = proposal.after["share"]
        tables[f"sites_{type_id}_before_after"] = before_after
    for name, scenario in result.scenarios.items():
        tables[f"scenario_{name}"] = scenario_table(scenario.table)
    return tables


def scenario_table(table: pd.DataFrame) -> pd.DataFrame:
    """Return a scenario's before/after table with each subject's names (a type's, a level's)."""
    out = table.copy()
    position = list(out.columns).index("subject") + 1
    for lang in ("en", "zh"):
        names = [
            level_name(subject, lang)
            if topic == "life_circle"
            else facility_type_label(subject, lang)
            for topic, subject in zip(out["topic"], out["subject"], strict=True)
        ]
        out.insert(position, f"name_{lang}", names)
    return out


def _coverage_totals(result: StudyResult) -> pd.DataFrame:
    """Coverage of every measured type, with its names, source, stand-in and note."""
    assert result.coverage is not None
    totals = result.coverage.totals.copy()
    types = {t.id: t for t in result.study.types}

    def of(attribute: str) -> list[Any]:
        return [getattr(types[i], attribute) if i in types else "" for i in totals.index]

    totals.insert(0, "name_en", of("name_en"))
    totals.insert(0, "name_zh", of("name_zh"))
    totals["source"] = of("source")
    totals["stand_in"] = of("stand_in")
    totals["note"] = [note or old for note, old in zip(of("note"), totals["note"], strict=True)]
    return totals


def _with_community_names(table: pd.DataFrame, study: Any) -> pd.DataFrame:
    """Add each community's name (where the communities have names) beside its id."""
    if "name" not in study.communities.columns or "community" not in table.columns:
        return table
    names = study.communities["name"]
    position = list(table.columns).index("community") + 1
    out = table.copy()
    out.insert(position, "community_name", out["community"].map(names).astype(object))
    return out


def _summary_table(result: StudyResult) -> pd.DataFrame:
    """Return the key figures, exactly as report.html shows them (each names its row here)."""
    totals = study_totals(result)
    rows: list[tuple[str, str, Any]] = [
        ("network", "nodes", totals["nodes"]),
        ("network", "edges", totals["edges"]),
        ("network", "pieces", totals["connectivity"]["pieces"]),
        (
            "network",
            "largest_piece_length_share",
            totals["connectivity"]["largest_piece_length_share"],
        ),
        ("study", "communities", totals["communities"]),
        ("study", "population", totals["population"]),
        ("study", "outside_population", totals["outside_population"]),
    ]
    rows += [("facilities", t, n) for t, n in totals["facility_sites"].items()]
    rows += [("coverage_share", t, s) for t, s in totals.get("coverage", {}).items()]
    rows += [("mean_completeness", level, s) for level, s in totals.get("completeness", {}).items()]
    for type_id, capacity in result.capacity.items():
        rows += [
            (f"capacity_{type_id}", item, float(capacity.totals[item]))
            for item in ("capacity", "assigned", "population")
        ]
    for type_id, summary in totals["proposals"].items():
        rows += [
            ("proposal_" + type_id, "sites", summary["sites"]),
            ("proposal_" + type_id, "share_before", summary["share_before"]),
            ("proposal_" + type_id, "share_after", summary["share_after"]),
        ]
    return pd.DataFrame(rows, columns=["section", "item", "value"])


# ----------------------------------------------------------------------------- sites


def _sites(result: StudyResult, folder: Path) -> list[str]:
    """sites/: every request's sites as a workbook, GeoJSON and KML (outputs.sites)."""
    return _relative(write_sites(result, folder), folder)


# --------------------------------------------------------------------------- rasters


def _rasters(result: StudyResult, folder: Path) -> list[str]:
    study = result.study
    config = study.config
    resolution = config.raster_resolution_m if config is not None else 50.0
    paths: list[Path] = []
    people = study.demand[study.demand["population"].fillna(0) > 0]
    if len(people):
        paths.append(
            Path(
                write_population_raster(
                    people, folder / "rasters" / "population.tif", resolution_m=resolution
                )
            )
        )
    for type_id in study.type_ids:
        points = study.sites(type_id)
        if len(points) == 0:
            continue
        raster = folder / "rasters" / f"travel_time_{safe_name(type_id)}.tif"
        paths.append(
            Path(write_travel_time_raster(raster, study.network, points, resolution_m=resolution))
        )
    return _relative(paths, folder)


# ------------------------------------------------------------------------------ maps


def _maps(result: StudyResult, folder: Path, offline: bool | None, network_map: bool) -> list[str]:
    study = result.study
    made: dict[str, Callable[[], Any]] = {}
    if result.life_circles is not None:
        circles = result.life_circles
        made["life_circles"] = lambda: maps.life_circle_map(circles)
    cover = result.coverage
    if cover is not None:
        for type_id in cover.totals.index:
            sites = study.sites(str(type_id))
            areas = None
            if result.service_areas is not None:
                areas = result.service_areas[
                    result.service_areas["facility_type"].astype(str) == str(type_id)
                ]
            made[f"coverage_{type_id}"] = _bind_coverage(
                cover, sites, str(type_id), study.communities, areas
            )
    if result.service_areas is not None and len(result.service_areas):
        made["service_areas"] = lambda: maps.service_area_map(result.service_areas)
    for type_id, answer in result.proposals.items():
        made[f"sites_{type_id}"] = _bind_site(answer, study.communities, type_id)
    for name, scenario in result.scenarios.items():
        made[f"scenario_{name}"] = _bind_scenario(scenario.edited.layer())
    register = study.register
    if result.indicators is not None and isinstance(register, gpd.GeoDataFrame):
        found = result.indicators
        made["indicators"] = lambda: maps.indicator_map(found, register)
    if network_map:
        made["network"] = lambda: maps.network_map(study.network)
    paths = []
    # streets, water, green, buildings: one for every map (lib/base-*.js), made ahead where
    # the run had spare time (preparations), taken once the first map is built
    base: str | None = None
    with maps.shared_coordinates(study.communities):  # on most maps: converted once
        for name, build in made.items():
            path = folder / "maps" / f"{safe_name(name)}.html"
            m = build()
            if base is None:
                base = _prepared_base(result)
            if base is None:
                base = maps.base_layer_json(study.network, m, study.base_layers)
            maps.add_base_layer(m, study.network, data=base)
            maps.add_title(m, *_map_title(result, name, m))
            paths.append(maps.save_map(m, path, offline=offline))
    return _relative(paths, folder)


def preparations(study: Study) -> dict[str, Callable[[], Any]]:
    """Return the work for :func:`write_run` a run may do ahead, in its spare time.

    Give it to :func:`geoplan.run_study` as ``meanwhile``: the maps' base layer
    (the study's streets, water, green and buildings merged and simplified for
    the maps; up to a sixth of the maps' time on a large city), when the study
    draws maps. :func:`write_run` uses what was done, and makes the rest.
    """
    config = study.config
    if config is not None and not config.maps:
        return {}
    return {"map_base": lambda: _map_base(study)}


def _map_base(study: Study) -> tuple[tuple[str, float], str]:
    """Make the maps' base layer on this run's base map; return it with what it was made for."""
    basemap = settings.basemap
    return _map_base_key(), maps.base_layer_json(study.network, basemap, study.base_layers)


def _map_base_key() -> tuple[str, float]:
    """Return what the base layer depends on besides the study: base map and detail."""
    return settings.basemap, float(settings.map_tolerance_m)


def _prepared_base(result: StudyResult) -> str | None:
    """Return the base layer the run made ahead, if it was made for the maps written now."""
    prepared = result.finish_preparing().get("map_base")
    if prepared is None or prepared[0] != _map_base_key():
        return None
    return str(prepared[1])


def _map_title(result: StudyResult, name: str, m: Any) -> tuple[str, str]:
    """Return a map's title (its subject) and subtitle (study, threshold, date)."""
    study = result.study
    lang = settings.lang
    state = getattr(m, "_geoplan_state", None)
    subject = state.title.html if state is not None and state.title is not None else ""
    subject = html.unescape(re.sub(r"<[^>]+>", "", subject))
    parts = [study.config.title if study.config is not None else study.name]
    type_id = name.split("_", 1)[1] if name.startswith(("coverage_", "sites_")) else None
    types = {t.id: t for t in study.types}
    if type_id in types:
        parts.append(describe_cutoff(types[type_id].cutoff, lang))
    parts.append(time.strftime("%Y-%m-%d", time.localtime(study.started)))
    return subject, " · ".join(parts)


def _bind_coverage(
    cover: Any,
    sites: gpd.GeoDataFrame | None,
    type_id: str,
    communities: gpd.GeoDataFrame,
    areas: gpd.GeoDataFrame | None,
) -> Callable[[], Any]:
    return lambda: maps.coverage_map(
        cover, sites, facility_type=type_id, communities=communities, service_areas=areas
    )


def _bind_scenario(edits: gpd.GeoDataFrame) -> Callable[[], Any]:
    return lambda: maps.scenario_map(edits)


def _bind_site(answer: Any, communities: gpd.GeoDataFrame, type_id: str) -> Callable[[], Any]:
    return lambda: maps.site_map(
        answer.proposal,
        existing=answer.existing,
        new_area=answer.new_area,
        communities=communities,
        facility_type=type_id,
    )


# -------------------------------------------------------------------------- run.json


def write_run_json(result: StudyResult, folder: Path, written: Written, *, started: float) -> Path:
    """Write run.json: inputs with checksums, versions, parameters, timings, outputs."""
    study = result.study
    config = study.config
    record = {
        "study": study.name,
        "title": config.title if config is not None else study.name,
        "geoplan": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "libraries": {name: _version(name) for name in _LIBRARIES},
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "seconds": round(time.time() - started, 3),
        "steps": list(result.steps),
        "timings_s": {**result.timings, "whole_run": round(time.time() - started, 3)},
        "inputs": [_input_record(path) for path in study.inputs],
        "config_file": str(config.source_file) if config and config.source_file else None,
        "config": _jsonable(config.raw) if config is not None else None,
        "settings": _jsonable(settings.as_dict()),
        "totals": _jsonable(study_totals(result)),
        "facility_types": _jsonable([t.row() for t in study.types]),
        "population_method": _jsonable(study.population_method),
        "coordinate_checks": _jsonable(study.coordinate_checks),
        "scenarios": [
            {"name": name, "changes": answer.edited.counts()}
            for name, answer in result.scenarios.items()
        ],
        "population_groups": _jsonable(
            groups_table(study.groups, study.network).to_dict("records") if study.groups else []
        ),
        "outputs": written,
        "caveats": [c.as_record() for c in result.caveats],
        "notes": result.notes,
    }
    path = folder / "run.json"
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def _input_record(path: Path) -> dict[str, Any]:
    return {
        "path": str(path),
        "bytes": path.stat().st_size if path.is_file() else None,
        "sha256": sha256(path),
    }


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _jsonable(value: Any) -> Any:
    """Plain JSON types (paths and numpy numbers as text and floats; NaN as null)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        number = float(value)
        return number if np.isfinite(number) else None
    return value
