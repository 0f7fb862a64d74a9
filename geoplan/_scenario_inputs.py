"""Reading a study's ``[[scenarios]]``: the files of each "what if" on the network.

Each scenario's files (links to add, streets to close, barriers) are read
once, when the study is, moved from the system they were drawn in (WGS-84,
or GCJ-02 / BD-09 for lines drawn on Amap or Baidu) into the network's CRS,
checked for the kind of geometry each key takes, and recorded among the
study's inputs (run.json keeps their checksums).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from geoplan._errors import InputError
from geoplan.config import ScenarioSource
from geoplan.coords import convert_frame
from geoplan.scenarios import Scenario
from geoplan.sources._vectors import drop_empty_geometries, read_vector_file, require_features

if TYPE_CHECKING:
    import geopandas as gpd

    from geoplan.network import Network

__all__ = ["read_scenarios"]

#: The geometries each key of a scenario takes, and how to say it.
_KINDS = {
    "add": (("LineString", "MultiLineString"), "lines (each link from one street to another)"),
    "close": (
        ("LineString", "MultiLineString", "Polygon", "MultiPolygon"),
        "polygons or lines (every street they touch is closed)",
    ),
    "barrier": (("LineString", "MultiLineString"), "lines (a railway, a fenced road)"),
}


def read_scenarios(
    sources: Sequence[ScenarioSource], network: Network
) -> tuple[tuple[Scenario, ...], list[Path]]:
    """Read every scenario's files into the network's CRS.

    Parameters
    ----------
    sources
        The study's ``[[scenarios]]``.
    network
        The study's network (its CRS).

    Returns
    -------
    tuple
        The scenarios, and the files read (the study's inputs).

    Raises
    ------
    InputError
        A file is empty or holds geometries its key does not take.
    DataSourceError, CRSError
        A file cannot be read, or has no CRS.
    """
    scenarios, files = [], []
    for source in sources:
        frames = {key: _frame(source, key, path, network) for key, path in source.files().items()}
        files += list(source.files().values())
        scenarios.append(
            Scenario(
                name=source.name,
                add=frames.get("add"),
                close=frames.get("close"),
                barrier=frames.get("barrier"),
                snap_m=source.snap_m,
                close_names=source.close_names,
            )
        )
    return tuple(scenarios), files


def _frame(source: ScenarioSource, key: str, path: Path, network: Network) -> gpd.GeoDataFrame:
    what = f"[[scenarios]] {source.name} {key} file"
    kinds, described = _KINDS[key]
    frame = read_vector_file(path, what=what)
    require_features(frame, path, what, f"draw the {described} in it")
    frame = drop_empty_geometries(frame, path, what)
    wrong = sorted(set(frame.geom_type) - set(kinds))
    if wrong:
        msg = (
            f"[[scenarios]] name = {source.name!r}: {key} = {path.name!r} holds "
            f"{', '.join(wrong)}; {key} takes {described}: redraw them so"
        )
        raise InputError(msg)
    if source.coordinates != "wgs84":
        frame = convert_frame(frame.to_crs(4326), source=source.coordinates)
    return frame.to_crs(network.crs)
