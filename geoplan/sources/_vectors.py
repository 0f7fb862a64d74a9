"""Read vector files (GeoPackage, GeoJSON, shapefile, FlatGeobuf) with errors that say what to do.

Every vector input goes through :func:`read_vector_file`: facilities and
boundaries given as files, a study's communities, population points, site
files and study area. It refuses what GDAL would read badly or not at all: a
folder or a device, a shapefile missing its index (``.shx``) or attribute
table (``.dbf``), a truncated or non-vector file, a missing layer, a layer
without CRS; :func:`drop_empty_geometries` leaves out features without a
geometry, and says how many.

Examples
--------
>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "cut.geojson"
>>> _ = path.write_text('{"type": "FeatureCollection", "features": [{"type": "Fea')
>>> read_vector_file(path, what="communities file")
Traceback (most recent call last):
...
geoplan._errors.DataSourceError: cannot read .../cut.geojson as a communities file ...
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors

from geoplan._errors import CRSError, DataSourceError, DroppedFeaturesWarning, InputError
from geoplan.sources._inputs import check_regular_file
from geoplan.sources._tables import row_list, to_number

__all__ = [
    "drop_empty_geometries",
    "people_counts",
    "polygon_features",
    "read_vector_file",
    "require_features",
]

log = logging.getLogger(__name__)

#: The files a shapefile cannot be read without, and what each holds.
SHAPEFILE_PARTS = {".shx": "the index of its shapes", ".dbf": "its attribute table"}
_READABLE = ".gpkg, .geojson, .json, .shp (with .shx, .dbf, .prj), .fgb"
#: What GDAL raises on a file it cannot read as vectors (a CSV in GBK gives UnicodeDecodeError).
_PYOGRIO_ERRORS = (
    pyogrio.errors.DataSourceError,
    pyogrio.errors.DataLayerError,
    UnicodeDecodeError,
)


def read_vector_file(
    path: Path, *, layer: str | None = None, what: str = "vector file"
) -> gpd.GeoDataFrame:
    """Read a vector file, refusing what cannot be read well with a message naming the fix.

    Parameters
    ----------
    path
        A ``.gpkg``, ``.geojson``/``.json``, ``.shp`` or ``.fgb`` file.
    layer
        The layer to read (GeoPackage); the first when omitted.
    what
        What the file is, for messages (``"communities file"``).

    Returns
    -------
    geopandas.GeoDataFrame
        As GDAL reads it: possibly empty, possibly with empty geometries
        (see :func:`drop_empty_geometries`).

    Raises
    ------
    DataSourceError
        The file is missing, a folder or a device, a shapefile without its
        ``.shx`` or ``.dbf``, truncated, not a vector file, or lacks ``layer``.
    CRSError
        The layer has no CRS.
    """
    if not path.exists():
        msg = f"the {what} {path} does not exist; check the path and its spelling"
        raise DataSourceError(msg)
    check_regular_file(path, what=f"a {what}")
    _check_shapefile_parts(path, what)
    if layer is None:
        _check_single_layer(path, what)
    try:
        frame = gpd.read_file(path, layer=layer) if layer else gpd.read_file(path)
    except _PYOGRIO_ERRORS as exc:
        if layer and isinstance(exc, pyogrio.errors.DataLayerError):
            _refuse_layer(path, layer, what)
        msg = (
            f"cannot read {path} as a {what} ({_first_line(exc)}); the file is truncated, "
            f"corrupt or not a vector file: save it again (e.g. in QGIS: Export > Save "
            f"Features As... GeoPackage). Readable: {_READABLE}"
        )
        raise DataSourceError(msg) from None
    if frame.crs is None:
        msg = (
            f"the {what} {path} has no CRS; set it and save again, e.g. in QGIS: Layer > Set "
            f"CRS, or gpd.read_file({str(path)!r}).set_crs(4326).to_file(...) for lon/lat "
            "(for a shapefile, the .prj file next to it is missing)"
        )
        raise CRSError(msg)
    log.info("%s: read %d features (CRS %s)", path.name, len(frame), frame.crs.to_string())
    return frame


def _check_single_layer(path: Path, what: str) -> None:
    """Refuse a file of several layers when no layer is named (GDAL would take the first)."""
    try:
        layers = pyogrio.list_layers(path)
    except _PYOGRIO_ERRORS:
        return  # read_file says what is wrong with the file
    if len(layers) > 1:
        names = ", ".join(str(name) for name in layers[:, 0])
        msg = (
            f"the {what} {path} holds {len(layers)} layers ({names}), and which one is meant "
            "is not said; name it in the study file, e.g. layer = "
            f'"{layers[0, 0]}" under the table that gives this file'
        )
        raise DataSourceError(msg)


def drop_empty_geometries(frame: gpd.GeoDataFrame, path: Path, what: str) -> gpd.GeoDataFrame:
    """Leave out features without a geometry (None or empty), with a warning naming them.

    Parameters
    ----------
    frame
        From :func:`read_vector_file` (indexed by position in the file).
    path, what
        The file and what it is, for the message.

    Returns
    -------
    geopandas.GeoDataFrame
        The features that have a geometry.

    Raises
    ------
    InputError
        No feature has a geometry.
    """
    geometry = frame.geometry
    empty = np.asarray(geometry.isna() | geometry.is_empty, dtype=bool)
    if not empty.any():
        return frame
    numbers = [int(label) + 1 for label in frame.index[empty]]
    if empty.all():
        msg = (
            f"none of the {len(frame)} features of the {what} {path} has a geometry (all are "
            "empty or missing); draw the features again, or export the layer with its geometry"
        )
        raise InputError(msg)
    msg = (
        f"{path.name}: {len(numbers)} of {len(frame)} features of the {what} have no geometry "
        f"(feature {row_list(numbers)}, counted from 1) and were left out; draw or delete them "
        "in the file"
    )
    warnings.warn(msg, DroppedFeaturesWarning, stacklevel=3)
    return frame.loc[~empty]


def require_features(frame: gpd.GeoDataFrame, path: Path, what: str, fix: str) -> None:
    """Refuse a file without any feature.

    Raises
    ------
    InputError
        ``frame`` is empty; the message ends with ``fix``.
    """
    if len(frame) == 0:
        msg = f"the {what} {path} has no features (it is empty); {fix}"
        raise InputError(msg)


def polygon_features(frame: gpd.GeoDataFrame, path: Path, what: str) -> gpd.GeoDataFrame:
    """Keep the areas (or, in a layer of villages, the points); leave out the rest with a warning.

    A layer with polygons keeps its (Multi)Polygons: points and lines among
    them are left out. A layer without polygons but with points is a layer of
    villages (:func:`geoplan.life_circles` takes them): its points are kept
    and lines left out. Each leaving out is said in a
    :class:`~geoplan.DroppedFeaturesWarning` with how many and which.

    Parameters
    ----------
    frame
        Features with a geometry each (see :func:`drop_empty_geometries`),
        indexed by their position in the file (as read).
    path, what
        The file and what it is, for messages.

    Returns
    -------
    geopandas.GeoDataFrame

    Raises
    ------
    InputError
        No feature is a polygon or a point (lines only).
    """
    kinds = frame.geom_type
    polygonal = np.asarray(kinds.isin(["Polygon", "MultiPolygon"]), dtype=bool)
    points = np.asarray(kinds == "Point", dtype=bool)
    keep = polygonal if polygonal.any() else points
    if keep.all():
        return frame
    counts = kinds[~keep].value_counts()
    found = ", ".join(f"{n} {kind}" for kind, n in counts.items())
    if not keep.any():
        msg = (
            f"the {what} {path} holds neither polygons nor points ({found}); it needs the "
            "areas' boundaries as polygons (or villages as points): give such a layer (with "
            "layer = ... for a GeoPackage)"
        )
        raise InputError(msg)
    numbers = [int(label) + 1 for label in frame.index[~keep]]
    kept = "polygons" if polygonal.any() else "points (villages)"
    msg = (
        f"{path.name}: {len(numbers)} of {len(frame)} features of the {what} are not "
        f"{kept} ({found}; feature {row_list(numbers)}, counted from 1) and were left out; "
        "draw them as polygons or delete them in the file"
    )
    warnings.warn(msg, DroppedFeaturesWarning, stacklevel=3)
    return frame.loc[keep]


def people_counts(values: pd.Series[Any], path: Path, column: str) -> pd.Series[float]:
    """Parse a population column: numbers as people write them; refuse what is not a count.

    ``"1,200"``, ``"1200人"`` and full-width digits are read as numbers (see
    :func:`geoplan.sources._tables.to_number`).

    Parameters
    ----------
    values
        The column, indexed by feature position (0-based, as read).
    path, column
        The file and the column, for messages.

    Returns
    -------
    pandas.Series
        float64, same index.

    Raises
    ------
    InputError
        Cells that are not numbers, infinite, blank or negative, with their
        feature numbers.
    """
    numbers, failed = to_number(values)
    problems = []
    labels: dict[str, list[Any]] = {
        "not numbers (or infinite)": failed,
        "blank": [i for i in values.index[numbers.isna()] if i not in set(failed)],
        "negative": list(values.index[numbers < 0]),
    }
    for what, rows in labels.items():
        if rows:
            shown = row_list([int(r) + 1 for r in rows])
            problems.append(f"{what} in feature {shown} (e.g. {_shown(values.loc[rows[0]])})")
    if problems:
        msg = (
            f"{path.name}: the population column {column!r} holds values that are not counts "
            f"of people: {'; '.join(problems)}, features counted from 1. Correct those "
            "cells (0 where nobody lives), or delete the features"
        )
        raise InputError(msg)
    return numbers


def _check_shapefile_parts(path: Path, what: str) -> None:
    if path.suffix.lower() != ".shp":
        return
    for suffix, role in SHAPEFILE_PARTS.items():
        if not (path.with_suffix(suffix).exists() or path.with_suffix(suffix.upper()).exists()):
            msg = (
                f"the {what} {path} is a shapefile without its {suffix} file ({role}): "
                f"{path.stem}{suffix} is not next to it. Copy every file of the shapefile "
                "(.shp, .shx, .dbf, .prj, .cpg) together, or save it as one GeoPackage (.gpkg)"
            )
            raise DataSourceError(msg)


def _refuse_layer(path: Path, layer: str, what: str) -> None:
    try:
        names = [str(name) for name, _ in pyogrio.list_layers(path)]
    except _PYOGRIO_ERRORS:
        names = []
    listed = ", ".join(repr(n) for n in names) or "none that GDAL can list"
    msg = (
        f"the {what} {path} has no layer {layer!r}; its layers are {listed}: give one of "
        "them as the layer"
    )
    raise DataSourceError(msg)


def _shown(value: object) -> str:
    if isinstance(value, float | np.floating):
        return f"{float(value):g}"
    return repr(value)


def _first_line(exc: BaseException) -> str:
    text = str(exc).split("; It might help", 1)[0]
    return text.splitlines()[0] if text else type(exc).__name__
