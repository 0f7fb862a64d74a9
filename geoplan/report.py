"""Writing outputs safely: every file goes to a temporary name and is moved into place.

A run that is killed half-way leaves the earlier version of each file intact
and never a half-written one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from geoplan._errors import DataSourceError

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["atomic_path", "write_layers"]

log = logging.getLogger(__name__)


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
            frame.to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
    return final
