"""Writing a study's results as a run folder.

:func:`write_run` writes everything a run produced into a
:class:`~geoplan.outputs.run_folder.RunFolder`: staged beside its final place,
moved in complete, never touching files geoplan did not write. The writers it
uses live in :mod:`geoplan.outputs`; their names stay importable from here.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from geoplan._io import atomic_path, sha256
from geoplan.outputs.run_folder import RUN_MARKER, RunFolder
from geoplan.outputs.tables import write_layers, write_table, write_workbook

if TYPE_CHECKING:
    from geoplan.study import StudyResult

__all__ = [
    "RUN_MARKER",
    "RunFolder",
    "atomic_path",
    "sha256",
    "write_layers",
    "write_run",
    "write_table",
    "write_workbook",
]


def write_run(
    result: StudyResult,
    target: str | os.PathLike[str] | RunFolder,
    *,
    force: bool = False,
    offline_maps: bool | None = None,
    network_map: bool = False,
) -> Path:
    """Write a study's results as a run folder.

    The folder holds ``maps/*.html``, ``layers.gpkg`` (every result layer,
    for QGIS), ``tables/*.csv``, ``rasters/*.tif`` (population and travel
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
    from geoplan import _run_outputs

    folder = (
        target
        if isinstance(target, RunFolder)
        else RunFolder(target, force=force, study=result.study.name)
    )
    started = time.time()
    with (
        _settings_of(result),
        folder.staging() as staging,
    ):
        written = _run_outputs.write_all(
            result, staging, offline_maps=offline_maps, network_map=network_map
        )
        _run_outputs.write_run_json(result, staging, written, started=started)
    return folder.target


@contextlib.contextmanager
def _settings_of(result: StudyResult) -> Iterator[None]:
    from geoplan.study import study_settings

    with study_settings(result.study.config):
        yield
