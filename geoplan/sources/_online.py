"""Online OpenStreetMap queries through osmnx, guarded against a missing connection.

Before any query, :func:`require_internet` fails at once when
``geoplan.settings.offline`` is True, and otherwise tries a 3-second TCP
connection to the Overpass host; without one it fails at once with a message
telling the user to download an extract and pass the file instead, rather than
letting osmnx retry for minutes.

Examples
--------
>>> import geoplan
>>> with geoplan.settings.override(offline=True):
...     try:
...         require_internet("the walk network of 'Harbin'")
...     except geoplan.DataSourceError:
...         print("refused")
refused
"""

from __future__ import annotations

import logging
import socket
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import geopandas as gpd

from geoplan._errors import DataSourceError, NetworkError
from geoplan.settings import settings
from geoplan.sources._inputs import Source

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["CONNECT_TIMEOUT_S", "features", "graph", "require_internet"]

log = logging.getLogger(__name__)

#: Seconds to wait for the Overpass host before declaring the machine offline.
CONNECT_TIMEOUT_S = 3.0

_DOWNLOAD_HINT = (
    "download an OSM extract of the area instead (e.g. from https://download.geofabrik.de/asia/"
    "china.html, or a city extract from https://extract.bbbike.org) and pass the file path, "
    "e.g. geoplan.read_network('city.osm.pbf', clip=(left, bottom, right, top))"
)


def _overpass_host() -> tuple[str, int]:
    import osmnx as ox

    url = urlparse(str(ox.settings.overpass_url))
    port = url.port or (80 if url.scheme == "http" else 443)
    return url.hostname or "overpass-api.de", port


def require_internet(what: str) -> None:
    """Raise DataSourceError at once unless the Overpass API can be reached.

    Parameters
    ----------
    what
        What was to be downloaded, for the message.

    Raises
    ------
    DataSourceError
        ``settings.offline`` is True, or a connection to the Overpass host
        failed within :data:`CONNECT_TIMEOUT_S` seconds.
    """
    if settings.offline:
        msg = (
            f"cannot download {what}: geoplan.settings.offline is True. Either "
            f"{_DOWNLOAD_HINT}, or allow online queries with geoplan.settings.offline = False"
        )
        raise DataSourceError(msg)
    host, port = _overpass_host()
    try:
        connection = socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S)
    except OSError as exc:
        msg = (
            f"cannot download {what}: no internet connection (could not reach the Overpass "
            f"API at {host}:{port} within {CONNECT_TIMEOUT_S:g} s: {exc}). {_DOWNLOAD_HINT}"
        )
        raise DataSourceError(msg) from None
    connection.close()


def _network_type(profile: str) -> str:
    return {"walk": "walk", "bike": "bike", "drive": "drive"}[profile]


def graph(source: Source, profile: str) -> nx.MultiDiGraph:
    """Download the network of an online source with osmnx.

    Parameters
    ----------
    source
        A place name, polygon or bbox source.
    profile
        ``walk``, ``bike`` or ``drive`` (osmnx's network types of those names).

    Returns
    -------
    networkx.MultiDiGraph
        osmnx's graph, all components retained.
    """
    require_internet(f"the {profile} network of {source.name!r}")
    import osmnx as ox
    from osmnx._errors import (
        InsufficientResponseError,
        ResponseStatusCodeError,
    )

    options: dict[str, Any] = {"network_type": _network_type(profile), "retain_all": True}
    log.info("querying OSM (Overpass) for the %s network of %s", profile, source.name)
    query = source.query
    try:
        if isinstance(query, str):
            return ox.graph_from_place(query, **options)
        if isinstance(query, tuple):
            return ox.graph_from_bbox(query, **options)
        return ox.graph_from_polygon(query, **options)
    except InsufficientResponseError as exc:
        msg = (
            f"no {profile} ways found online for {source.name!r} ({exc}); check the place "
            "name or area, and the profile"
        )
        raise NetworkError(msg) from None
    except (OSError, ResponseStatusCodeError) as exc:
        msg = f"the online query for {source.name!r} failed ({exc}); {_DOWNLOAD_HINT}"
        raise DataSourceError(msg) from None


def features(source: Source, tags: dict[str, bool | str | list[str]]) -> gpd.GeoDataFrame | None:
    """Download features having any of ``tags`` with osmnx, or None when there are none.

    Returns
    -------
    geopandas.GeoDataFrame or None
        osmnx's frame, indexed by ``(element, id)``.
    """
    require_internet(f"OSM features {sorted(tags)} of {source.name!r}")
    import osmnx as ox
    from osmnx._errors import (
        InsufficientResponseError,
        ResponseStatusCodeError,
    )

    log.info("querying OSM (Overpass) for %s in %s", sorted(tags), source.name)
    query = source.query
    try:
        if isinstance(query, str):
            return ox.features_from_place(query, tags)
        if isinstance(query, tuple):
            return ox.features_from_bbox(query, tags)
        return ox.features_from_polygon(query, tags)
    except InsufficientResponseError:
        return None
    except (OSError, ResponseStatusCodeError) as exc:
        msg = f"the online query for {source.name!r} failed ({exc}); {_DOWNLOAD_HINT}"
        raise DataSourceError(msg) from None
