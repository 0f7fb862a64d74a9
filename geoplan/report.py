"""Writing outputs safely: every file goes to a temporary name and is moved into place.

A run that is killed half-way leaves the earlier version of each file intact
and never a half-written one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from geoplan._errors import DataSourceError, OutputError

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

    from geoplan.study import StudyResult

__all__ = [
    "RUN_MARKER",
    "RunFolder",
    "atomic_path",
    "sha256",
    "write_layers",
    "write_run",
    "write_table",
]

log = logging.getLogger(__name__)

_Frame = TypeVar("_Frame", bound="pd.DataFrame")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    r"""Yield a temporary path beside ``path``; move it onto ``path`` on success.

    Parameters
    ----------
    path
        The file to write. Its folder is created when missing.

    Yields
    ------
    pathlib.Path
        Where to write; it becomes ``path`` only when the block ends without error.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "table.csv"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("a,b\\n1,2\\n")
    >>> target.read_text()
    'a,b\\n1,2\\n'
    """
    final = Path(path)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{final.stem}-", suffix=final.suffix, dir=final.parent)
    except OSError as exc:
        msg = f"cannot write into {final.parent}: {exc.strerror}. Choose a writable output folder."
        raise DataSourceError(msg) from exc
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # writers such as GDAL want to create the file themselves
    try:
        yield tmp
        try:
            os.replace(tmp, final)
        except OSError as exc:
            msg = f"cannot write {final}: {exc.strerror}. Choose another output path."
            raise DataSourceError(msg) from exc
    finally:
        if tmp.exists():
            tmp.unlink()


def write_layers(path: str | os.PathLike[str], layers: Mapping[str, gpd.GeoDataFrame]) -> Path:
    """Write several GeoDataFrames as layers of one GeoPackage, atomically.

    Parameters
    ----------
    path
        The GeoPackage to (re)write.
    layers
        Layer name to GeoDataFrame; empty frames are skipped.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    final = Path(path)
    with atomic_path(final) as tmp:
        for name, frame in layers.items():
            if len(frame) == 0:
                log.info("layer %s is empty; not written", name)
                continue
            _storable(frame).to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
    return final


def write_table(path: str | os.PathLike[str], frame: pd.DataFrame) -> Path:
    """Write a table as UTF-8 CSV (with a byte-order mark, so Excel reads Chinese), atomically.

    Parameters
    ----------
    path
        The CSV file to (re)write.
    frame
        The table; its index is written when it is named.

    Returns
    -------
    pathlib.Path
        The path written.
    """
    final = Path(path)
    with atomic_path(final) as tmp:
        _storable(frame).to_csv(tmp, index=frame.index.name is not None, encoding="utf-8-sig")
    return final


def _storable(frame: _Frame) -> _Frame:
    """Encode dict and list cells (OSM tags) as JSON text, which every format can hold."""
    nested = [
        column
        for column in frame.columns
        if frame[column].dtype == object
        and any(isinstance(v, dict | list | tuple) for v in frame[column].to_numpy())
    ]
    if not nested:
        return frame
    out = frame.copy()
    for column in nested:
        out[column] = out[column].map(
            lambda v: (
                json.dumps(v, ensure_ascii=False, sort_keys=True)
                if isinstance(v, dict | list | tuple)
                else v
            )
        )
    return out


# ------------------------------------------------------------------------ run folder

#: A file in every folder a geoplan run made; without it geoplan never touches a folder.
RUN_MARKER = ".geoplan-run"
_STAGING_MARKER = ".geoplan-partial"


class RunFolder:
    """A run's output folder, written beside its final place and moved in when complete.

    ``geoplan`` never deletes or overwrites a folder it did not create (one
    without :data:`RUN_MARKER`), and replaces its own earlier run only when
    asked (``force``). Everything is written into a hidden staging folder next
    to the target; only a complete run is moved into place, so a run killed
    half-way leaves the earlier run as it was.

    Parameters
    ----------
    target
        The run folder, e.g. ``data/processed/<study>``.
    force
        Replace an earlier geoplan run in ``target``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "study"
    >>> with RunFolder(target).staging() as folder:
    ...     _ = (folder / "a.txt").write_text("done")
    >>> sorted(p.name for p in target.iterdir())
    ['.geoplan-run', 'a.txt']
    """

    def __init__(self, target: str | os.PathLike[str], *, force: bool = False) -> None:
        self.target = Path(target)
        self.force = force

    def check(self) -> None:
        """Raise unless the run may be written (before any work is done)."""
        target = self.target
        if target.exists() and not target.is_dir():
            msg = f"{target} exists and is a file; choose another study name or output folder"
            raise OutputError(msg)
        if target.is_dir() and any(target.iterdir()):
            if not (target / RUN_MARKER).is_file():
                msg = (
                    f"{target} exists and was not made by geoplan, so geoplan will not write "
                    "into it; choose another [study] name or --out folder"
                )
                raise OutputError(msg)
            if not self.force:
                msg = (
                    f"{target} holds an earlier run; pass --force to replace it "
                    "(or choose another --out folder)"
                )
                raise OutputError(msg)
        parent = target.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            msg = f"cannot create {parent}: {exc.strerror}; choose a writable output folder"
            raise OutputError(msg) from exc
        if not os.access(parent, os.W_OK):
            msg = f"cannot write into {parent}; choose a writable output folder"
            raise OutputError(msg)

    @contextlib.contextmanager
    def staging(self) -> Iterator[Path]:
        """Yield a staging folder; move it into place when the block ends without error."""
        self.check()
        self._remove_stale_staging()
        staging = Path(
            tempfile.mkdtemp(prefix=f".{self.target.name}.partial-", dir=self.target.parent)
        )
        (staging / _STAGING_MARKER).write_text("geoplan staging folder\n", encoding="utf-8")
        try:
            yield staging
            (staging / _STAGING_MARKER).unlink()
            (staging / RUN_MARKER).write_text("made by geoplan\n", encoding="utf-8")
            self._swap_in(staging)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)

    def _swap_in(self, staging: Path) -> None:
        target = self.target
        if not target.exists():
            os.replace(staging, target)
            return
        self.check()  # still ours (nothing changed it while we ran)
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        old.rmdir()
        os.replace(target, old)
        os.replace(staging, target)
        if (old / RUN_MARKER).is_file() or not any(old.iterdir()):
            shutil.rmtree(old, ignore_errors=True)

    def _remove_stale_staging(self) -> None:
        """Remove staging folders that killed runs of this study left behind."""
        for stale in self.target.parent.glob(f".{self.target.name}.partial-*"):
            if (stale / _STAGING_MARKER).is_file():
                log.info("removing %s, left by an interrupted run", stale)
                shutil.rmtree(stale, ignore_errors=True)


def sha256(path: str | os.PathLike[str]) -> str:
    """Return the SHA-256 of a file (or of every file under a folder, in name order)."""
    digest = hashlib.sha256()
    target = Path(path)
    files = sorted(p for p in target.rglob("*") if p.is_file()) if target.is_dir() else [target]
    for file in files:
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


# -------------------------------------------------------------------------- a whole run


def write_run(
    result: StudyResult,
    target: str | os.PathLike[str],
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
        The run folder (``<settings.output_dir>/<study name>`` in the CLI).
    force
        Replace an earlier geoplan run in ``target``; a folder geoplan did not
        make is never touched.
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
    DataSourceError
        ``target`` exists and is not an earlier geoplan run (or is one and
        ``force`` is not set), or it cannot be written.
    """
    from geoplan import _run_outputs

    folder = RunFolder(target, force=force)
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
