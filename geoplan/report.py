"""Writing outputs safely: every file goes to a temporary name and is moved into place.

A run that is killed half-way leaves the earlier version of each file intact
and never a half-written one.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from geoplan._errors import DataSourceError

if TYPE_CHECKING:
    import geopandas as gpd
    import pandas as pd

__all__ = ["atomic_path", "write_layers", "write_table"]

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
        os.replace(tmp, final)
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
