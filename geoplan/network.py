"""The travel network: a projected street graph held as CSR arrays.

A :class:`Network` is built once from OpenStreetMap (see :mod:`geoplan.sources`),
from GeoDataFrames, or from a networkx graph, and then answers every
shortest-path question the analyses ask:

* :meth:`Network.snap` attaches points (homes, buildings, facility entrances)
  to the nearest *edge*, keeping the distance along the edge and the straight
  access leg; points beyond the snap limit are flagged, never dropped.
* :meth:`Network.nearest` gives every node and every target point the distance
  and time to the nearest of many sources within a cutoff, in one bounded
  multi-source Dijkstra search, and which source that is.
* :meth:`Network.reach` gives, per source, everything reached within a cutoff
  as a sparse matrix, computed in spatial batches so that memory follows what
  is reached and never grows as sources x nodes.

Distances are metres along the network, including the access legs at both
ends; times are distances divided by the profile's speed.

**Directions and speeds.** An edge may be one-way (:attr:`Network.oneway`:
``1`` only from ``u`` to ``v``, ``-1`` only from ``v`` to ``u``) and may have
its own speed each way (:attr:`Network.forward_speed_m_s`,
:attr:`Network.backward_speed_m_s`: a street's speed limit, or a walker's pace
up and down a slope). Such a network is *time-weighted*: every search runs on
travel time, and results keep the one unit the analyses use, the **cost in
metres at the network's reference speed** ``speed_m_s`` (a minute is
``60 * speed_m_s`` cost metres on every network). So ``minutes=`` cutoffs
and every ``*_minutes`` are exact travel times, and on a network without
speeds (walking) a cost metre is a metre of street: nothing changes there. A
``distance_m=`` cutoff on a time-weighted network is therefore a time budget,
the time to cover that distance at the reference speed;
:meth:`Network.by_distance` gives the same network with every edge at the
reference speed, whose costs are metres again (one-way streets kept). A point
on an edge costs the part of the edge it travels at that edge's pace each way
(the edge's time spread evenly along it); the access leg costs its length.

On a directed network, which way a search runs matters: ``direction=
"to_sources"`` (the default) measures the trip from every node and target *to*
the nearest source (residents going to a facility), ``"from_sources"`` the trip
*from* the source (an ambulance leaving its station).

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import Point
>>> net = Network.from_edges([(0, 0, 100, 0), (100, 0, 100, 100)], crs=32651)
>>> shops = gpd.GeoSeries([Point(0, 10)], crs=32651)
>>> homes = gpd.GeoSeries([Point(110, 50)], crs=32651)
>>> result = net.nearest(shops, distance_m=1000, targets=homes)
>>> float(result.target_distance_m[0])  # 10 access + 100 + 50 + 10 access
170.0

A one-way street (u to v only) at twice the reference speed: going from the
shop to the home takes the half-price street, going back must not use it.

>>> one_way = Network.from_edges([(0, 0, 100, 0)], crs=32651, speed_m_s=10.0,
...                              oneway=[1], forward_speed_m_s=[20.0])
>>> out = one_way.nearest(np.array([0]), minutes=60, direction="from_sources")
>>> out.node_distance_m.tolist(), out.node_minutes.round(4).tolist()
([0.0, 50.0], [0.0, 0.0833])
>>> one_way.nearest(np.array([0]), minutes=60).node_distance_m.tolist()  # to node 0
[0.0, inf]
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import pyproj
import scipy.sparse as sp
import shapely
from numpy.typing import NDArray
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from geoplan._errors import CRSError, InputError, NetworkError, UnreachablePointsWarning
from geoplan._segments import SegmentIndex, expand_ranges, sorted_unique
from geoplan.settings import Settings, settings

if TYPE_CHECKING:
    import geopandas as gpd
    import networkx as nx

__all__ = [
    "DIRECTIONS",
    "MIN_CONNECTED_SHARE",
    "Direction",
    "Nearest",
    "Network",
    "Profile",
    "Reach",
    "SnappedPoints",
    "connectivity",
]

log = logging.getLogger(__name__)

Profile = Literal["walk", "bike", "drive"]
FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

_PROFILES = ("walk", "bike", "drive")
#: Which way a search runs on a directed network: from every node and target *to* the
#: nearest source (residents visiting a facility: the default), or *from* the sources
#: (a service that travels out, such as an ambulance).
Direction = Literal["to_sources", "from_sources"]
DIRECTIONS: tuple[str, ...] = ("to_sources", "from_sources")


# ----------------------------------------------------------------- results
@dataclass(frozen=True)
class SnappedPoints:
    """Points attached to the nearest network edge.

    Attributes
    ----------
    index : pandas.Index
        The index of the points as given.
    x, y : numpy.ndarray
        The points' own coordinates in the network CRS.
    edge : numpy.ndarray
        Position of the edge each point snaps to; -1 where unreachable.
    offset_m : numpy.ndarray
        Distance along that edge from its ``u`` end to the snap location.
    access_m : numpy.ndarray
        Straight distance from the point to its snap location (the access leg);
        NaN where unreachable.
    reachable : numpy.ndarray
        False for points farther than ``max_snap_m`` from every edge.
    max_snap_m : float
        The snap limit used.
    """

    index: pd.Index
    x: FloatArray
    y: FloatArray
    edge: IntArray
    offset_m: FloatArray
    access_m: FloatArray
    reachable: BoolArray
    max_snap_m: float

    def __len__(self) -> int:
        return len(self.index)

    @property
    def n_unreachable(self) -> int:
        """Number of points farther than the snap limit from every edge."""
        return int((~self.reachable).sum())

    def take(self, positions: Any) -> SnappedPoints:
        """Return the points at the given positions (or boolean mask)."""
        pos = (
            np.flatnonzero(positions)
            if np.asarray(positions).dtype == bool
            else np.asarray(positions)
        )
        return SnappedPoints(
            index=self.index[pos],
            x=self.x[pos],
            y=self.y[pos],
            edge=self.edge[pos],
            offset_m=self.offset_m[pos],
            access_m=self.access_m[pos],
            reachable=self.reachable[pos],
            max_snap_m=self.max_snap_m,
        )

    def to_frame(self) -> pd.DataFrame:
        """Return the snap result as a DataFrame indexed like the input points."""
        return pd.DataFrame(
            {
                "edge": self.edge,
                "offset_m": self.offset_m,
                "access_m": self.access_m,
                "reachable": self.reachable,
            },
            index=self.index,
        )


@dataclass(frozen=True)
class Nearest:
    """Distance and time from every node and target to its nearest source.

    Unreached nodes and targets (beyond the cutoff, in another component, or
    not snapped) have distance ``inf`` and source ``-1``. Sources are numbered
    by their position in the sources given. Where two sources are exactly as
    near, which one is named is deterministic but unspecified. On a
    time-weighted network the distances are cost metres (travel time at
    ``speed_m_s``; see :mod:`geoplan.network`), so the minutes are exact.
    ``direction`` says which way the trips run (``"to_sources"``: from each
    node or target to its source).
    """

    node_distance_m: FloatArray
    node_source: IntArray
    target_distance_m: FloatArray | None
    target_source: IntArray | None
    cutoff_m: float
    speed_m_s: float
    direction: Direction = "to_sources"

    @property
    def node_minutes(self) -> FloatArray:
        """Travel time in minutes from each node to its nearest source."""
        return self.node_distance_m / self.speed_m_s / 60.0

    @property
    def target_minutes(self) -> FloatArray | None:
        """Travel time in minutes from each target to its nearest source."""
        if self.target_distance_m is None:
            return None
        return self.target_distance_m / self.speed_m_s / 60.0


@dataclass(frozen=True)
class Reach:
    """What each source reaches within a cutoff, as sparse matrices of metres.

    Row ``i`` of :attr:`nodes` holds the network distance from source ``i`` to
    every node it reaches; row ``i`` of :attr:`targets` the same for target
    points. Every stored entry is a reached pair, *including explicit zeros*
    (a source standing on a node): test membership with the sparsity pattern,
    never with ``matrix != 0``, and do not call ``eliminate_zeros``. On a
    time-weighted network the entries are cost metres (travel time at
    ``speed_m_s``); ``direction`` says which way the trips run.
    """

    nodes: sp.csr_matrix
    targets: sp.csr_matrix | None
    cutoff_m: float
    speed_m_s: float
    direction: Direction = "to_sources"

    def reached_nodes(self, source: int) -> IntArray:
        """Return the positions of the nodes reached by one source."""
        start, stop = self.nodes.indptr[source], self.nodes.indptr[source + 1]
        return np.asarray(self.nodes.indices[start:stop], dtype=np.int64)

    def reached_targets(self, source: int) -> IntArray:
        """Return the positions of the target points reached by one source."""
        if self.targets is None:
            msg = "this Reach was computed without targets; pass targets= to Network.reach"
            raise InputError(msg)
        start, stop = self.targets.indptr[source], self.targets.indptr[source + 1]
        return np.asarray(self.targets.indices[start:stop], dtype=np.int64)


@dataclass(frozen=True)
class _Seeds:
    """Sources as starting entries of a search: (source, node, initial distance)."""

    source: IntArray
    node: IntArray
    dist: FloatArray
    # per source: where it stands, for spatial windows and same-edge shortcuts
    x: FloatArray
    y: FloatArray
    edge: IntArray
    offset_m: FloatArray
    access_m: FloatArray
    valid: BoolArray = field(repr=False)


# ----------------------------------------------------------------- network
#: Cutoffs beyond a day (minutes) or 1,000 km (metres) are refused as mistakes.
MAX_CUTOFF_MINUTES = 24 * 60 - 1
MAX_CUTOFF_M = 1_000_000.0
#: Network speeds outside this range (m/s) make minute cutoffs meaningless and are refused
#: when minutes are turned into metres: a crawl of 6 m a minute, or 250 km/h.
MIN_SPEED_M_S = 0.1
MAX_SPEED_M_S = 70.0
_SPEED_WORDS = {"walk": "walking", "bike": "cycling", "drive": "driving"}


#: Seconds to set up one search window (its subgraph, seeds and targets) and to search
#: one source over one node of a window: measured on the proposals of Harbin and of the
#: 200k-node synthetic city (bench/README.md, stop 29); only their ratio chooses.
_WINDOW_SECONDS = 6e-4
_SOURCE_NODE_SECONDS = 8.6e-8


class Network:
    """A projected travel network held as compressed sparse arrays.

    Parameters
    ----------
    x, y
        Node coordinates in ``crs`` (metres).
    edge_u, edge_v
        Positions of each edge's end nodes.
    crs
        A projected CRS with metre units.
    geometry
        One LineString per edge, running from ``u`` to ``v``; straight lines
        when omitted. Edge lengths are the geometry's length (never shorter
        than the straight distance between the ends).
    node_id
        Identifiers of the nodes (OSM ids); positions when omitted.
    profile
        ``"walk"``, ``"bike"`` or ``"drive"``.
    speed_m_s
        Travel speed; the profile's setting when omitted.
    name
        A label used in messages and outputs.
    edge_attrs
        Attributes of the edges (a street's ``name``, its ``road_class``...),
        one row per edge in edge order (its index is dropped; no column may be
        named ``u``, ``v``, ``length_m`` or ``geometry``); carried through
        :meth:`subgraph` and :meth:`largest_component` and added to the edges
        of :meth:`to_gdfs`.
    oneway
        Per edge, ``1`` where travel runs only from ``u`` to ``v``, ``-1``
        only from ``v`` to ``u``, ``0`` both ways (the default for every edge).
    forward_speed_m_s, backward_speed_m_s
        Per edge, the speed from ``u`` to ``v`` and from ``v`` to ``u``
        (positive, finite); ``backward_speed_m_s`` defaults to the forward one,
        and both to ``speed_m_s``. With either given the network is
        time-weighted, ``speed_m_s`` its reference speed (see
        :mod:`geoplan.network`).
    length_m
        Per edge, its length in metres (finite, not negative), for edges whose
        length is known better than their drawn line's (a contracted chain's
        is the sum of its parts: :mod:`geoplan.contraction`), kept by
        :meth:`subgraph` and :meth:`with_edges`; the geometry's length when
        omitted.
    """

    def __init__(
        self,
        *,
        x: Sequence[float] | FloatArray,
        y: Sequence[float] | FloatArray,
        edge_u: Sequence[int] | IntArray,
        edge_v: Sequence[int] | IntArray,
        crs: Any,
        geometry: Sequence[Any] | NDArray[Any] | None = None,
        node_id: Sequence[Any] | NDArray[Any] | None = None,
        profile: Profile = "walk",
        speed_m_s: float | None = None,
        name: str = "network",
        edge_attrs: pd.DataFrame | None = None,
        oneway: Sequence[int] | NDArray[Any] | None = None,
        forward_speed_m_s: Sequence[float] | FloatArray | None = None,
        backward_speed_m_s: Sequence[float] | FloatArray | None = None,
        length_m: Sequence[float] | FloatArray | None = None,
    ) -> None:
        if profile not in _PROFILES:
            msg = f"profile must be one of {_PROFILES}, got {profile!r}"
            raise InputError(msg)
        self.crs = _projected_crs(crs)
        self.x = np.ascontiguousarray(x, dtype=np.float64)
        self.y = np.ascontiguousarray(y, dtype=np.float64)
        self.edge_u = np.ascontiguousarray(edge_u, dtype=np.int64)
        self.edge_v = np.ascontiguousarray(edge_v, dtype=np.int64)
        self.profile: Profile = profile
        self.speed_m_s = float(speed_m_s) if speed_m_s is not None else settings.speed_m_s(profile)
        self.name = name
        n = len(self.x)
        if len(self.y) != n or len(self.edge_u) != len(self.edge_v):
            msg = "x and y, and edge_u and edge_v, must have equal lengths"
            raise InputError(msg)
        if n < 2 or len(self.edge_u) == 0:
            msg = (
                f"{name}: the network has {n} nodes and {len(self.edge_u)} edges; it needs at "
                "least two nodes joined by an edge. Check that the source covers the study area "
                f"and has ways for the {profile!r} profile."
            )
            raise NetworkError(msg)
        if not (np.isfinite(self.x).all() and np.isfinite(self.y).all()):
            msg = f"{name}: node coordinates contain NaN or inf; drop or repair those nodes"
            raise NetworkError(msg)
        if self.edge_u.min() < 0 or max(self.edge_u.max(), self.edge_v.max()) >= n:
            msg = f"{name}: edge_u/edge_v must be node positions in 0..{n - 1}"
            raise NetworkError(msg)
        self.node_id = np.arange(n) if node_id is None else np.asarray(node_id)
        chord = np.hypot(
            self.x[self.edge_u] - self.x[self.edge_v], self.y[self.edge_u] - self.y[self.edge_v]
        )
        if geometry is None:
            coords = np.stack(
                [
                    self.x[self.edge_u],
                    self.y[self.edge_u],
                    self.x[self.edge_v],
                    self.y[self.edge_v],
                ],
                axis=1,
            ).reshape(-1, 2, 2)
            self.geometry = shapely.linestrings(coords)
            self.length_m = chord
        else:
            self.geometry = _orient(np.asarray(geometry, dtype=object), self)
            self.length_m = np.maximum(shapely.length(self.geometry), chord)
        #: whether the lengths were given (kept by subgraph and with_edges) or measured
        self._lengths_given = length_m is not None
        if length_m is not None:
            self.length_m = _edge_lengths(length_m, self.n_edges, name)
        self.edge_attrs = _edge_table(edge_attrs, self.n_edges, name)
        self.oneway = _oneway_codes(oneway, self.n_edges, name)
        self.forward_speed_m_s = _edge_speeds(
            forward_speed_m_s, self.speed_m_s, self.n_edges, name, "forward_speed_m_s"
        )
        self.backward_speed_m_s = (
            self.forward_speed_m_s
            if backward_speed_m_s is None
            else _edge_speeds(
                backward_speed_m_s, self.speed_m_s, self.n_edges, name, "backward_speed_m_s"
            )
        )

    # ------------------------------------------------------------ builders
    @classmethod
    def from_edges(
        cls,
        segments: Sequence[tuple[float, float, float, float]],
        *,
        crs: Any,
        profile: Profile = "walk",
        speed_m_s: float | None = None,
        oneway: Sequence[int] | NDArray[Any] | None = None,
        forward_speed_m_s: Sequence[float] | FloatArray | None = None,
        backward_speed_m_s: Sequence[float] | FloatArray | None = None,
    ) -> Network:
        """Build a network from straight segments ``(x0, y0, x1, y1)``.

        Ends that share coordinates become one node. Meant for small examples
        and tests.

        Parameters
        ----------
        segments
            Straight edges as ``(x0, y0, x1, y1)`` in ``crs``, each running
            from ``u`` (its first end) to ``v``.
        crs
            A projected CRS with metre units.
        profile, speed_m_s, oneway, forward_speed_m_s, backward_speed_m_s
            As for :class:`Network`, one value per segment.

        Returns
        -------
        Network
        """
        ends = np.asarray(segments, dtype=np.float64).reshape(-1, 2)
        unique, inverse = np.unique(ends, axis=0, return_inverse=True)
        inverse = inverse.reshape(-1, 2)
        return cls(
            x=unique[:, 0],
            y=unique[:, 1],
            edge_u=inverse[:, 0],
            edge_v=inverse[:, 1],
            crs=crs,
            profile=profile,
            speed_m_s=speed_m_s,
            oneway=oneway,
            forward_speed_m_s=forward_speed_m_s,
            backward_speed_m_s=backward_speed_m_s,
        )

    @classmethod
    def from_gdfs(
        cls,
        nodes: gpd.GeoDataFrame,
        edges: gpd.GeoDataFrame | pd.DataFrame,
        *,
        profile: Profile = "walk",
        crs: Any = None,
        speed_m_s: float | None = None,
        name: str = "network",
        oneway: Sequence[int] | NDArray[Any] | None = None,
        forward_speed_m_s: Sequence[float] | FloatArray | None = None,
        backward_speed_m_s: Sequence[float] | FloatArray | None = None,
        edge_attrs: pd.DataFrame | None = None,
    ) -> Network:
        """Build a network from node and edge GeoDataFrames (osmnx/pyrosm layout).

        Parameters
        ----------
        nodes
            Point geometries indexed by node id (or with an ``id``/``osmid`` column).
        edges
            Columns ``u`` and ``v`` with node ids, and optionally LineString
            geometries (a plain DataFrame gives straight edges). Edges whose
            ends are not among the nodes (truncated extracts) are dropped and
            counted in the log.
        profile, speed_m_s, name
            As for :class:`Network`.
        crs
            Target projected CRS; the local UTM zone when omitted.
        oneway, forward_speed_m_s, backward_speed_m_s, edge_attrs
            As for :class:`Network`, one value (row) per row of ``edges``;
            they follow the edges that are kept.

        Returns
        -------
        Network
        """
        if nodes.crs is None:
            msg = f"{name}: the nodes have no CRS; set it, e.g. nodes.set_crs(4326)"
            raise CRSError(msg)
        target = _projected_crs(crs) if crs is not None else _local_utm(nodes)
        nodes = nodes.to_crs(target)
        ids = _node_ids(nodes)
        pos = pd.Index(ids)
        if not pos.is_unique:
            nodes = nodes.loc[~pos.duplicated()]
            pos = pos[~pos.duplicated()]
        u = pos.get_indexer(np.asarray(edges["u"]))
        v = pos.get_indexer(np.asarray(edges["v"]))
        keep = (u >= 0) & (v >= 0)
        if not keep.all():
            log.info("%s: dropped %d edges whose end nodes are missing", name, int((~keep).sum()))
        geometry = _edge_geometry(edges, target)
        if geometry is not None:
            geometry = geometry[keep]
        xy = shapely.get_coordinates(np.asarray(nodes.geometry.values))
        return cls(
            x=xy[:, 0],
            y=xy[:, 1],
            edge_u=u[keep],
            edge_v=v[keep],
            geometry=geometry,
            node_id=np.asarray(pos),
            crs=target,
            profile=profile,
            speed_m_s=speed_m_s,
            name=name,
            oneway=_kept(oneway, keep, name, "oneway"),
            forward_speed_m_s=_kept(forward_speed_m_s, keep, name, "forward_speed_m_s"),
            backward_speed_m_s=_kept(backward_speed_m_s, keep, name, "backward_speed_m_s"),
            edge_attrs=None if edge_attrs is None else _kept_rows(edge_attrs, keep, name),
        )

    @classmethod
    def from_networkx(
        cls,
        graph: nx.Graph[Any],
        *,
        profile: Profile = "walk",
        crs: Any = None,
        speed_m_s: float | None = None,
        name: str = "network",
    ) -> Network:
        """Build a network from an osmnx-style networkx graph.

        Nodes need ``x`` and ``y`` attributes and the graph a ``crs`` in
        ``graph.graph["crs"]``; edge ``geometry`` is used when present.

        Parameters
        ----------
        graph
            A networkx (Multi)(Di)Graph as made by osmnx.
        profile, crs, speed_m_s, name
            As for :meth:`from_gdfs`.

        Returns
        -------
        Network
        """
        import geopandas as gpd

        graph_crs = graph.graph.get("crs")
        if graph_crs is None:
            msg = (
                f"{name}: the graph has no graph.graph['crs']; "
                "set it, e.g. graph.graph['crs'] = 'EPSG:4326'"
            )
            raise CRSError(msg)
        ids = list(graph.nodes)
        nodes = gpd.GeoDataFrame(
            index=pd.Index(ids, name="id"),
            geometry=gpd.points_from_xy(
                [graph.nodes[i]["x"] for i in ids], [graph.nodes[i]["y"] for i in ids]
            ),
            crs=graph_crs,
        )
        rows = [(u, v, d.get("geometry")) for u, v, d in graph.edges(data=True)]
        has_geometry = bool(rows) and all(g is not None for _, _, g in rows)
        ends = {"u": [r[0] for r in rows], "v": [r[1] for r in rows]}
        edges = (
            gpd.GeoDataFrame(ends, geometry=[r[2] for r in rows], crs=graph_crs)
            if has_geometry
            else pd.DataFrame(ends)
        )
        return cls.from_gdfs(nodes, edges, profile=profile, crs=crs, speed_m_s=speed_m_s, name=name)

    # ------------------------------------------------------------ properties
    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.x)

    @property
    def n_edges(self) -> int:
        """Number of edges."""
        return len(self.edge_u)

    @cached_property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(left, bottom, right, top)`` of the nodes and edges in the network CRS."""
        left, bottom, right, top = shapely.total_bounds(self.geometry)
        return (
            min(float(left), float(self.x.min())),
            min(float(bottom), float(self.y.min())),
            max(float(right), float(self.x.max())),
            max(float(top), float(self.y.max())),
        )

    # ------------------------------------------------------------ directions and costs
    @cached_property
    def pace(self) -> tuple[FloatArray, FloatArray]:
        """Cost metres per metre of each edge, from u to v and from v to u.

        ``speed_m_s / speed`` of the edge that way; ``inf`` where the edge is
        closed that way (one-way). ``1.0`` on every open edge of a network
        without speeds.
        """
        forward = np.where(self.oneway >= 0, self.speed_m_s / self.forward_speed_m_s, np.inf)
        backward = np.where(self.oneway <= 0, self.speed_m_s / self.backward_speed_m_s, np.inf)
        return forward, backward

    @cached_property
    def forward_cost_m(self) -> FloatArray:
        """Cost of each edge from u to v in cost metres (``inf`` where closed that way)."""
        return _edge_cost(self.length_m, self.pace[0])

    @cached_property
    def backward_cost_m(self) -> FloatArray:
        """Cost of each edge from v to u in cost metres (``inf`` where closed that way)."""
        return _edge_cost(self.length_m, self.pace[1])

    @cached_property
    def directed(self) -> bool:
        """Whether some edge costs differ by direction (one-way streets, slopes)."""
        forward, backward = self.pace
        return not np.array_equal(forward, backward)

    @cached_property
    def time_weighted(self) -> bool:
        """Whether some edge has its own speed, so that costs are times, not lengths."""
        return bool(
            np.any(self.forward_speed_m_s != self.speed_m_s)
            or np.any(self.backward_speed_m_s != self.speed_m_s)
        )

    @cached_property
    def _stretch(self) -> float:
        """The most street a cost metre covers (fastest speed / reference speed, at least 1).

        A trip of cost ``c`` stays within ``c * _stretch`` of where it starts,
        which bounds the windows of :meth:`reach`.
        """
        forward, backward = self.pace
        paces = np.concatenate([forward, backward])
        paces = paces[np.isfinite(paces) & (paces > 0)]
        return 1.0 if paces.size == 0 else max(1.0, float(1.0 / paces.min()))

    def point_legs(
        self, edge: IntArray, offset: FloatArray, *, leaving: bool
    ) -> tuple[FloatArray, FloatArray]:
        """Return the costs between points on edges and the edges' ends, in cost metres.

        A point at ``offset`` metres from ``u`` costs the part of the edge it
        travels at the edge's pace that way (:attr:`pace`). Searches toward
        sources use ``leaving=True`` for points reached (they leave their edge),
        searches from sources ``leaving=False``.

        Parameters
        ----------
        edge, offset
            The edge of each point and its distance along it from ``u``.
        leaving
            ``True``: from the points to ``u`` and to ``v``; ``False``: from
            ``u`` and from ``v`` to the points.

        Returns
        -------
        tuple of numpy.ndarray
            The costs at the ``u`` end and at the ``v`` end; ``inf`` where the
            edge is closed that way, ``0`` for a point standing on that end.
        """
        forward, backward = self.pace
        to_u, to_v = offset, self.length_m[edge] - offset
        pace_u, pace_v = (backward, forward) if leaving else (forward, backward)
        return _part_cost(to_u, pace_u[edge]), _part_cost(to_v, pace_v[edge])

    def along_edge(self, edge: IntArray, start: FloatArray, end: FloatArray) -> FloatArray:
        """Return the cost along edges from offset ``start`` to offset ``end``, in cost metres.

        At the edge's pace toward ``v`` when ``end > start``, toward ``u``
        otherwise; ``inf`` where the edge is closed that way, ``0`` for no way.
        """
        forward, backward = self.pace
        ahead = end - start
        cost = _part_cost(ahead, forward[edge])
        back = ahead < 0
        cost[back] = _part_cost(start[back] - end[back], backward[edge[back]])
        return cost

    @cached_property
    def csr(self) -> sp.csr_matrix:
        """The n x n matrix of edge costs, row = from, column = to (cheapest of parallel edges).

        Symmetric, in metres, on a network without one-way streets or speeds.
        """
        u, v = self.edge_u, self.edge_v
        loop = u == v
        rows = np.concatenate([u[~loop], v[~loop]])
        cols = np.concatenate([v[~loop], u[~loop]])
        data = np.concatenate([self.forward_cost_m[~loop], self.backward_cost_m[~loop]])
        open_ = np.isfinite(data)
        rows, cols, data = rows[open_], cols[open_], data[open_]
        order = np.lexsort((data, cols, rows))
        rows, cols, data = rows[order], cols[order], data[order]
        first = np.ones(len(rows), dtype=bool)
        first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
        n = self.n_nodes
        matrix = sp.csr_matrix((data[first], (rows[first], cols[first])), shape=(n, n))
        matrix.sort_indices()
        return matrix

    @cached_property
    def csr_reverse(self) -> sp.csr_matrix:
        """The transpose of :attr:`csr` (row = to, column = from): searches toward sources."""
        if not self.directed:
            return self.csr
        matrix = sp.csr_matrix(self.csr.T)
        matrix.sort_indices()
        return matrix

    def _graph(self, direction: Direction) -> sp.csr_matrix:
        return self.csr if direction == "from_sources" else self.csr_reverse

    @cached_property
    def components(self) -> IntArray:
        """Connected-component label of every node (one-way streets join both ways)."""
        _, labels = connected_components(self.csr, directed=False)
        return np.asarray(labels, dtype=np.int64)

    @property
    def n_components(self) -> int:
        """Number of connected components (1 for a fully connected network)."""
        return int(self.components.max()) + 1

    @cached_property
    def _incidence(self) -> tuple[IntArray, IntArray]:
        """``(indptr, edges)``: the edges at node i are ``edges[indptr[i]:indptr[i + 1]]``."""
        ends = np.concatenate([self.edge_u, self.edge_v])
        order = np.argsort(ends, kind="stable")
        edges = np.concatenate([np.arange(self.n_edges), np.arange(self.n_edges)])[order]
        indptr = np.searchsorted(ends[order], np.arange(self.n_nodes + 1)).astype(np.int64)
        return indptr, edges.astype(np.int64)

    def incident_edges(self, nodes: IntArray) -> IntArray:
        """Return the sorted unique edges that touch any of the given nodes."""
        indptr, edges = self._incidence
        starts = indptr[nodes]
        return sorted_unique(edges[expand_ranges(starts, indptr[nodes + 1] - starts)])

    @cached_property
    def _segments(self) -> SegmentIndex:
        return SegmentIndex.build(self.geometry)

    @cached_property
    def _node_tree(self) -> cKDTree:
        return cKDTree(np.column_stack([self.x, self.y]))

    def __repr__(self) -> str:
        return (
            f"Network({self.name!r}, profile={self.profile!r}, nodes={self.n_nodes}, "
            f"edges={self.n_edges}, components={self.n_components}, crs={self.crs.to_string()!r})"
        )

    def summary(self) -> dict[str, Any]:
        """Return the network's size, extent and connectivity as a dictionary.

        ``largest_component_share`` is the share of the nodes in the largest
        piece, ``largest_component_length_share`` its share of the street
        length (see :func:`connectivity`).
        """
        sizes = np.bincount(self.components)
        return {
            "name": self.name,
            "profile": self.profile,
            "crs": self.crs.to_string(),
            "nodes": self.n_nodes,
            "edges": self.n_edges,
            "length_km": float(self.length_m.sum() / 1000.0),
            "components": self.n_components,
            "largest_component_share": float(sizes.max() / self.n_nodes),
            "largest_component_length_share": connectivity(self)["largest_piece_length_share"],
            "speed_m_s": self.speed_m_s,
            "bounds": self.bounds,
            **self.travel_summary(),
        }

    def travel_summary(self) -> dict[str, Any]:
        """Return how travel is measured: directions and speeds, as plain numbers.

        ``directed`` and ``time_weighted`` (see :mod:`geoplan.network`);
        ``oneway_edge_share`` and ``oneway_length_share``, the share of the
        edges (of the street length) open one way only; ``speed_min_m_s`` and
        ``speed_max_m_s`` over the open directions of every edge.
        """
        one_way = self.oneway != 0
        total = float(self.length_m.sum())
        speeds = np.concatenate(
            [self.forward_speed_m_s[self.oneway >= 0], self.backward_speed_m_s[self.oneway <= 0]]
        )
        return {
            "directed": self.directed,
            "time_weighted": self.time_weighted,
            "oneway_edge_share": float(one_way.mean()),
            "oneway_length_share": float(self.length_m[one_way].sum() / total) if total else 0.0,
            "speed_min_m_s": float(speeds.min()) if speeds.size else self.speed_m_s,
            "speed_max_m_s": float(speeds.max()) if speeds.size else self.speed_m_s,
        }

    # ------------------------------------------------------------ conversions
    def to_gdfs(self) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
        """Return ``(nodes, edges)`` GeoDataFrames in the network CRS.

        Returns
        -------
        tuple of geopandas.GeoDataFrame
            Nodes indexed by node id; edges with ``u``, ``v`` (node ids),
            ``length_m``, on a directed or time-weighted network ``oneway``,
            ``forward_speed_m_s`` and ``backward_speed_m_s``, and the columns
            of :attr:`edge_attrs`, if any.
        """
        import geopandas as gpd

        nodes = gpd.GeoDataFrame(
            {"component": self.components},
            index=pd.Index(self.node_id, name="id"),
            geometry=shapely.points(self.x, self.y),
            crs=self.crs,
        )
        columns: dict[str, Any] = {
            "u": self.node_id[self.edge_u],
            "v": self.node_id[self.edge_v],
            "length_m": self.length_m,
            **self._travel_columns(),
        }
        if self.edge_attrs is not None:
            columns.update((str(k), v) for k, v in self.edge_attrs.items())
        edges = gpd.GeoDataFrame(
            columns,
            geometry=self.geometry,
            crs=self.crs,
        )
        return nodes, edges

    def _travel_columns(self) -> dict[str, Any]:
        """Return the edge columns of one-way streets and speeds, when the network has them."""
        if not (self.directed or self.time_weighted):
            return {}
        return {
            "oneway": self.oneway,
            "forward_speed_m_s": self.forward_speed_m_s,
            "backward_speed_m_s": self.backward_speed_m_s,
        }

    def to_networkx(self) -> nx.MultiGraph[Any]:
        """Return a networkx MultiGraph with ``length`` in metres (a MultiDiGraph if directed).

        Node keys are node positions (0..n-1) with ``x``, ``y`` and ``id``
        attributes; ``graph.graph["crs"]`` is set. A directed network gives a
        MultiDiGraph with one edge per open direction; a time-weighted one
        adds ``cost`` (cost metres) and ``seconds`` to every edge.
        """
        import networkx as nx

        graph: nx.MultiGraph[Any] = (
            nx.MultiDiGraph(crs=self.crs) if self.directed else nx.MultiGraph(crs=self.crs)
        )
        graph.add_nodes_from(
            (i, {"x": float(self.x[i]), "y": float(self.y[i]), "id": self.node_id[i]})
            for i in range(self.n_nodes)
        )
        ways = [(self.edge_u, self.edge_v, self.forward_cost_m)]
        if self.directed:
            ways.append((self.edge_v, self.edge_u, self.backward_cost_m))
        for start, end, cost in ways:
            graph.add_edges_from(
                (int(a), int(b), self._nx_edge(float(w), float(c)))
                for a, b, w, c in zip(start, end, self.length_m, cost, strict=True)
                if math.isfinite(c)
            )
        return graph

    def _nx_edge(self, length: float, cost: float) -> dict[str, float]:
        if not self.time_weighted:
            return {"length": length}
        return {"length": length, "cost": cost, "seconds": cost / self.speed_m_s}

    def largest_component(self) -> Network:
        """Return a new network holding only the largest connected component."""
        keep_nodes = self.components == np.bincount(self.components).argmax()
        return self.subgraph(keep_nodes)

    def subgraph(self, keep_nodes: BoolArray) -> Network:
        """Return a new network of the given nodes and the edges between them."""
        keep_nodes = np.asarray(keep_nodes, dtype=bool)
        new_pos = np.cumsum(keep_nodes) - 1
        keep_edges = keep_nodes[self.edge_u] & keep_nodes[self.edge_v]
        return Network(
            x=self.x[keep_nodes],
            y=self.y[keep_nodes],
            edge_u=new_pos[self.edge_u[keep_edges]],
            edge_v=new_pos[self.edge_v[keep_edges]],
            geometry=self.geometry[keep_edges],
            node_id=self.node_id[keep_nodes],
            crs=self.crs,
            profile=self.profile,
            speed_m_s=self.speed_m_s,
            name=self.name,
            edge_attrs=None if self.edge_attrs is None else self.edge_attrs.loc[keep_edges],
            oneway=self.oneway[keep_edges],
            forward_speed_m_s=self.forward_speed_m_s[keep_edges],
            backward_speed_m_s=self.backward_speed_m_s[keep_edges],
            length_m=self.length_m[keep_edges] if self._lengths_given else None,
        )

    def with_edges(
        self,
        *,
        oneway: Sequence[int] | NDArray[Any] | None = None,
        forward_speed_m_s: Sequence[float] | FloatArray | None = None,
        backward_speed_m_s: Sequence[float] | FloatArray | None = None,
    ) -> Network:
        """Return the same network with new one-way codes or edge speeds.

        What is not given is kept; give ``backward_speed_m_s`` with
        ``forward_speed_m_s`` where the directions differ (else the backward
        speed is the forward one).
        """
        forward = self.forward_speed_m_s if forward_speed_m_s is None else forward_speed_m_s
        backward = (
            backward_speed_m_s
            if backward_speed_m_s is not None
            else forward
            if forward_speed_m_s is not None
            else self.backward_speed_m_s
        )
        return Network(
            x=self.x,
            y=self.y,
            edge_u=self.edge_u,
            edge_v=self.edge_v,
            geometry=self.geometry,
            node_id=self.node_id,
            crs=self.crs,
            profile=self.profile,
            speed_m_s=self.speed_m_s,
            name=self.name,
            edge_attrs=self.edge_attrs,
            oneway=self.oneway if oneway is None else oneway,
            forward_speed_m_s=forward,
            backward_speed_m_s=backward,
            length_m=self.length_m if self._lengths_given else None,
        )

    def by_distance(self) -> Network:
        """Return the same network with every edge at the reference speed.

        Its costs are metres of street again, one-way streets kept: the
        network on which ``distance_m=`` cutoffs measure distance (on a
        time-weighted network they are time budgets; see :mod:`geoplan.network`).
        """
        speeds = np.full(self.n_edges, self.speed_m_s)
        return self.with_edges(forward_speed_m_s=speeds, backward_speed_m_s=speeds)

    # ------------------------------------------------------------ cutoffs
    def cutoff_m(self, *, minutes: float | None = None, distance_m: float | None = None) -> float:
        """Return a cutoff in metres from minutes (at the network speed) or metres.

        Exactly one of ``minutes`` and ``distance_m`` must be given. Zero is
        allowed; ``inf`` means no cutoff. Minutes need a travel speed between
        :data:`MIN_SPEED_M_S` and :data:`MAX_SPEED_M_S`: a speed set outside it
        (``settings.walk_speed_m_s = 1e-6``) is refused, naming the setting.

        On a time-weighted network (edge speeds, slopes) the result is in cost
        metres, travel time at the reference speed ``speed_m_s``: minutes are
        exact travel times, and ``distance_m`` is the time to cover that
        distance at the reference speed (:meth:`by_distance` measures metres
        of street instead).
        """
        if (minutes is None) == (distance_m is None):
            msg = "give exactly one cutoff: minutes=15 or distance_m=1000"
            raise InputError(msg)
        name, value = ("minutes", minutes) if minutes is not None else ("distance_m", distance_m)
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            msg = f"cutoff {name}={value!r} is not a number; e.g. {name}=15"
            raise InputError(msg) from None
        if math.isnan(number) or number < 0:
            msg = f"cutoff {name}={value!r} must be zero or positive (and not NaN); e.g. {name}=15"
            raise InputError(msg)
        day = MAX_CUTOFF_MINUTES if name == "minutes" else MAX_CUTOFF_M
        if math.isfinite(number) and number > day:
            msg = (
                f"cutoff {name}={value!r} is a day's travel or more, not a trip to a service; "
                f"give the threshold in {name} (e.g. {name}=15), or inf for no cutoff"
            )
            raise InputError(msg)
        if name == "distance_m":
            return number
        metres = number * 60.0 * self.speed_m_s
        if 0 < number < math.inf:
            self._check_speed(number, metres)
        return metres

    def _check_speed(self, minutes: float, metres: float) -> None:
        """Refuse a travel speed that turns minutes into no distance or into a day's travel."""
        speed = self.speed_m_s
        if MIN_SPEED_M_S <= speed <= MAX_SPEED_M_S and metres <= MAX_CUTOFF_M:
            return
        setting = f"{self.profile}_speed_m_s"
        usual = Settings.default(setting)
        if speed == settings.speed_m_s(self.profile):
            given = f"settings.{setting} = {speed:g}"
            fix = f"set {setting} to a {_SPEED_WORDS[self.profile]} speed such as {usual!r}"
        else:
            given = f"the network's speed_m_s = {speed:g}"
            fix = (
                f"build the network with a {_SPEED_WORDS[self.profile]} speed such as "
                f"speed_m_s={usual!r}"
            )
        msg = (
            f"{given} makes {minutes:g} minutes {metres:,.6g} m, not a trip to a service "
            f"(travel speeds lie between {MIN_SPEED_M_S:g} and {MAX_SPEED_M_S:g} m/s); {fix} "
            "(in metres per second)"
        )
        raise InputError(msg)

    # ------------------------------------------------------------ snapping
    def snap(self, points: Any, *, max_snap_m: float | None = None) -> SnappedPoints:
        """Attach points to their nearest edge.

        Parameters
        ----------
        points
            A GeoSeries or GeoDataFrame in the network CRS. Non-point
            geometries (building footprints, parks) are represented by their
            centroid.
        max_snap_m
            Points farther than this from every edge are flagged unreachable
            (and reported with a warning). Defaults to ``settings.max_snap_m``.

        Returns
        -------
        SnappedPoints

        Raises
        ------
        CRSError
            Points without a CRS, in another CRS, or with longitude and
            latitude swapped.
        InputError
            NaN coordinates, or no point within reach of the network at all.
        """
        if isinstance(points, SnappedPoints):
            return points
        limit = float(settings.max_snap_m if max_snap_m is None else max_snap_m)
        if not math.isfinite(limit) or limit < 0:
            msg = f"max_snap_m={max_snap_m!r} must be a positive number of metres"
            raise InputError(msg)
        index, x, y = self._point_coordinates(points)
        inside = self._near_bounds(x, y, limit)
        if len(x) and not inside.any():
            self._raise_far_away(x, y, limit)
        snapped = self.snap_xy(x, y, max_snap_m=limit, index=index)
        if snapped.n_unreachable:
            msg = (
                f"{snapped.n_unreachable} of {len(x)} points lie more than {limit:g} m from the "
                f"network {self.name!r} and are flagged unreachable (distance inf). Raise "
                "max_snap_m, or extend the network to cover them."
            )
            warnings.warn(msg, UnreachablePointsWarning, stacklevel=2)
        return snapped

    def snap_xy(
        self,
        x: FloatArray,
        y: FloatArray,
        *,
        max_snap_m: float,
        index: pd.Index | None = None,
    ) -> SnappedPoints:
        """Attach raw coordinates (network CRS, finite) to their nearest edge, silently.

        The building block of :meth:`snap` for callers that check their own
        input, such as raster cells; points beyond ``max_snap_m`` are flagged
        unreachable without a warning.
        """
        x = np.ascontiguousarray(x, dtype=np.float64)
        y = np.ascontiguousarray(y, dtype=np.float64)
        edge, access, offset = self._segments.nearest(x, y, max_snap_m)
        reachable = edge >= 0
        # lengths are never shorter than the chord: keep offsets on the edge
        offset[reachable] = np.clip(offset[reachable], 0.0, self.length_m[edge[reachable]])
        return SnappedPoints(
            index=pd.RangeIndex(len(x)) if index is None else index,
            x=x,
            y=y,
            edge=edge,
            offset_m=offset,
            access_m=access,
            reachable=reachable,
            max_snap_m=float(max_snap_m),
        )

    def _point_coordinates(self, points: Any) -> tuple[pd.Index, FloatArray, FloatArray]:
        import geopandas as gpd

        if isinstance(points, gpd.GeoDataFrame):
            points = points.geometry
        if not isinstance(points, gpd.GeoSeries):
            msg = (
                f"points must be a GeoSeries or GeoDataFrame, got {type(points).__name__}; "
                "build one with geopandas.GeoSeries.from_xy(x, y, crs=...)"
            )
            raise InputError(msg)
        if points.crs is None:
            msg = (
                "the points have no CRS; set the one they are in, e.g. points.set_crs(4326) "
                f"for longitude/latitude, then points.to_crs({self.crs.to_string()!r})"
            )
            raise CRSError(msg)
        if not _same_crs(points.crs, self.crs):
            msg = (
                f"the points are in {points.crs.to_string()} but the network {self.name!r} is in "
                f"{self.crs.to_string()}; reproject them first: "
                f"points.to_crs({self.crs.to_string()!r})"
            )
            raise CRSError(msg)
        geoms = np.asarray(points.values)
        empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        not_point = ~empty & (shapely.get_type_id(geoms) != 0)
        if not_point.any():
            geoms = geoms.copy()
            geoms[not_point] = shapely.centroid(geoms[not_point])
        xy = np.full((len(geoms), 2), np.nan)
        if (~empty).any():
            xy[~empty] = shapely.get_coordinates(geoms[~empty])[:, :2]
        infinite = np.isinf(xy).any(axis=1)
        if infinite.any():
            labels = list(points.index[infinite][:5])
            msg = (
                f"{int(infinite.sum())} of {len(xy)} points have infinite coordinates (first: "
                f"{labels}): to_crs() gives inf for a latitude beyond +-90, which means longitude "
                "and latitude were swapped. Build the points with x = longitude and y = latitude "
                "(geopandas.points_from_xy(lon, lat)) before reprojecting."
            )
            raise CRSError(msg)
        missing = np.isnan(xy).any(axis=1)
        if missing.any():
            labels = list(points.index[missing][:5])
            msg = (
                f"{int(missing.sum())} of {len(xy)} points have missing, empty or NaN coordinates "
                f"(first: {labels}). Repair or drop them first, e.g. "
                "points[~points.is_empty & points.notna()]."
            )
            raise InputError(msg)
        return points.index, xy[:, 0].copy(), xy[:, 1].copy()

    def _near_bounds(self, x: FloatArray, y: FloatArray, margin: float) -> BoolArray:
        left, bottom, right, top = self.bounds
        return (
            (x >= left - margin)
            & (x <= right + margin)
            & (y >= bottom - margin)
            & (y <= top + margin)
        )

    def _raise_far_away(self, x: FloatArray, y: FloatArray, limit: float) -> None:
        to_geo = pyproj.Transformer.from_crs(self.crs, 4326, always_xy=True)
        from_geo = pyproj.Transformer.from_crs(4326, self.crs, always_xy=True)
        lon, lat = to_geo.transform(x, y)
        with np.errstate(all="ignore"):
            sx, sy = from_geo.transform(lat, lon)
        sx, sy = np.asarray(sx, dtype=float), np.asarray(sy, dtype=float)
        ok = np.isfinite(sx) & np.isfinite(sy)
        if ok.any() and self._near_bounds(sx[ok], sy[ok], limit).mean() > 0.5:
            msg = (
                "the points lie far outside the network, but would fall inside it with "
                "longitude and latitude swapped: build them with x = longitude and y = latitude "
                "(geopandas.points_from_xy(lon, lat)) before reprojecting."
            )
            raise CRSError(msg)
        left, bottom, right, top = self.bounds
        msg = (
            f"none of the {len(x)} points lies within {limit:g} m of the network {self.name!r} "
            f"(network bounds {left:.0f}, {bottom:.0f}, {right:.0f}, {top:.0f}; first point "
            f"{x[0]:.0f}, {y[0]:.0f} in {self.crs.to_string()}). Check that the points belong to "
            "this study area and that their CRS was declared correctly."
        )
        raise InputError(msg)

    # ------------------------------------------------------------ sources
    def _seeds(self, sources: Any, direction: Direction) -> _Seeds:
        """Turn sources (points, snapped points or node positions) into search seeds.

        A seed is the cost between a source and an end of its edge: from the
        source to the end (``"from_sources"``), or from the end to the source
        (``"to_sources"``, searched on the reversed graph).
        """
        if isinstance(sources, np.ndarray | list | tuple | pd.Index) and not _is_geo(sources):
            return self._node_seeds(np.asarray(sources))
        snapped = self.snap(sources)
        if len(snapped) == 0:
            msg = "the source set is empty: pass at least one facility"
            raise InputError(msg)
        if not snapped.reachable.any():
            msg = (
                f"none of the {len(snapped)} sources lies within {snapped.max_snap_m:g} m of the "
                "network; raise max_snap_m or check the facilities' locations"
            )
            raise InputError(msg)
        ids = np.flatnonzero(snapped.reachable)
        e = snapped.edge[ids]
        t = snapped.offset_m[ids]
        a = snapped.access_m[ids]
        leg_u, leg_v = self.point_legs(e, t, leaving=direction == "from_sources")
        source = np.concatenate([ids, ids])
        node = np.concatenate([self.edge_u[e], self.edge_v[e]])
        dist = np.concatenate([a + leg_u, a + leg_v])
        usable = np.isfinite(dist)
        source, node, dist = source[usable], node[usable], dist[usable]
        return _Seeds(
            source=source,
            node=node,
            dist=dist,
            x=snapped.x,
            y=snapped.y,
            edge=snapped.edge,
            offset_m=snapped.offset_m,
            access_m=snapped.access_m,
            valid=snapped.reachable,
        )

    def _node_seeds(self, nodes: NDArray[Any]) -> _Seeds:
        if nodes.size == 0:
            msg = "the source set is empty: pass at least one node position"
            raise InputError(msg)
        if not np.issubdtype(nodes.dtype, np.integer):
            msg = "node sources must be integer node positions (0..n_nodes-1)"
            raise InputError(msg)
        nodes = nodes.astype(np.int64)
        if nodes.min() < 0 or nodes.max() >= self.n_nodes:
            msg = f"node sources must be positions in 0..{self.n_nodes - 1}"
            raise InputError(msg)
        k = len(nodes)
        return _Seeds(
            source=np.arange(k),
            node=nodes,
            dist=np.zeros(k),
            x=self.x[nodes],
            y=self.y[nodes],
            edge=np.full(k, -1, dtype=np.int64),
            offset_m=np.full(k, np.nan),
            access_m=np.zeros(k),
            valid=np.ones(k, dtype=bool),
        )

    # ------------------------------------------------------------ searches
    def nearest(
        self,
        sources: Any,
        *,
        minutes: float | None = None,
        distance_m: float | None = None,
        targets: Any = None,
        direction: Direction = "to_sources",
    ) -> Nearest:
        """Distance and time from every node (and target) to the nearest source.

        One bounded multi-source Dijkstra search over the whole network.

        Parameters
        ----------
        sources
            Facilities: a GeoSeries/GeoDataFrame in the network CRS,
            :class:`SnappedPoints`, or an integer array of node positions.
        minutes, distance_m
            The cutoff, exactly one of them (see :meth:`cutoff_m`).
        targets
            Optional demand points (GeoSeries/GeoDataFrame or
            :class:`SnappedPoints`) that also get their nearest source.
        direction
            ``"to_sources"`` (trips from each node and target to a source:
            residents visiting) or ``"from_sources"`` (trips out of the
            sources: a service that travels); the same on a network without
            one-way streets or slopes.

        Returns
        -------
        Nearest
        """
        direction = _direction(direction)
        cutoff = self.cutoff_m(minutes=minutes, distance_m=distance_m)
        seeds = self._seeds(sources, direction)
        node_dist, node_source = self._nearest_search(self._graph(direction), seeds, cutoff)
        target_dist: FloatArray | None = None
        target_source: IntArray | None = None
        if targets is not None:
            snapped = self.snap(targets)
            target_dist, target_source = self._targets_from_nodes(
                snapped, node_dist, node_source, direction
            )
            _same_edge_nearest(
                self, seeds, snapped, target_dist, target_source, direction=direction
            )
            beyond = target_dist > cutoff
            target_dist[beyond] = np.inf
            target_source[beyond] = -1
        return Nearest(
            node_distance_m=node_dist,
            node_source=node_source,
            target_distance_m=target_dist,
            target_source=target_source,
            cutoff_m=cutoff,
            speed_m_s=self.speed_m_s,
            direction=direction,
        )

    def _nearest_search(
        self, graph: sp.csr_matrix, seeds: _Seeds, cutoff: float
    ) -> tuple[FloatArray, IntArray]:
        """Each node's distance to its nearest seed within ``cutoff``, and that seed's source.

        Searched on the part of the network within the cutoff's straight radius
        of the sources when that part is small (a few homes of one community on
        a city's network): nothing beyond it is reached within the cutoff, the
        part keeps the nodes' order and each node's edges in order, so the search
        does the same steps and gives the same distances and sources, ties
        included, without the work that grows with the whole network.
        """
        window, found, source = self._nearest_window(graph, seeds, cutoff)
        if window is None:
            return found, source
        node_dist = np.full(self.n_nodes, np.inf)
        node_source = np.full(self.n_nodes, -1, dtype=np.int64)
        node_dist[window], node_source[window] = found, source
        return node_dist, node_source

    def _nearest_reached(
        self, sources: SnappedPoints, distance_m: float
    ) -> tuple[IntArray, FloatArray, IntArray]:
        """Return the nodes within ``distance_m`` of their nearest source (trips to it).

        What :meth:`nearest` gives for those nodes (``node_distance_m``,
        ``node_source``), without arrays the size of the network: for the many
        small searches of one community each.

        Returns
        -------
        nodes : numpy.ndarray
            The reached nodes, sorted.
        distance : numpy.ndarray
            Each one's distance to its nearest source.
        source : numpy.ndarray
            That source's position in ``sources``.
        """
        cutoff = self.cutoff_m(distance_m=distance_m)
        seeds = self._seeds(sources, "to_sources")
        window, found, source = self._nearest_window(self._graph("to_sources"), seeds, cutoff)
        reached = np.flatnonzero(np.isfinite(found))
        nodes = reached if window is None else window[reached]
        return nodes, found[reached], source[reached]

    def _nearest_window(
        self, graph: sp.csr_matrix, seeds: _Seeds, cutoff: float
    ) -> tuple[IntArray | None, FloatArray, IntArray]:
        """Search as :meth:`_nearest_search` does, on its window (None: the whole network).

        Returns the window's nodes (sorted), their distances and sources.
        """
        k = len(seeds.valid)
        window = self._search_area(seeds, cutoff)
        if window is None:
            sub, rows, nodes, dist = graph, seeds.source, seeds.node, seeds.dist
        else:
            local = np.full(self.n_nodes, -1, dtype=np.int64)
            local[window] = np.arange(len(window))
            sub = _subgraph(graph, window, local)
            inside = local[seeds.node] >= 0  # a seed's node outside is beyond the cutoff
            rows, nodes, dist = seeds.source[inside], local[seeds.node[inside]], seeds.dist[inside]
        w = sub.shape[0]
        found, _, origin = dijkstra(
            _with_seed_rows(sub, rows, nodes, dist, k),
            directed=True,
            indices=np.arange(w, w + k),
            limit=cutoff,
            min_only=True,
            return_predecessors=True,
        )
        source = np.where(origin[:w] >= 0, origin[:w] - w, -1).astype(np.int64)
        return window, np.asarray(found[:w], dtype=np.float64), source

    def _search_area(self, seeds: _Seeds, cutoff: float) -> IntArray | None:
        """Return the nodes a search from the seeds may reach within ``cutoff`` (None: most)."""
        valid = np.flatnonzero(seeds.valid)
        if not (math.isfinite(cutoff) and len(valid)):
            return None
        ball = _around(self._node_tree, seeds.x[valid], seeds.y[valid], cutoff * self._stretch)
        return None if 2 * len(ball) > self.n_nodes else ball

    def _targets_from_nodes(
        self,
        snapped: SnappedPoints,
        node_dist: FloatArray,
        node_source: IntArray,
        direction: Direction,
    ) -> tuple[FloatArray, IntArray]:
        """Distance of snapped points through either end of their edge."""
        n = len(snapped)
        dist = np.full(n, np.inf)
        source = np.full(n, -1, dtype=np.int64)
        ok = snapped.reachable
        e = snapped.edge[ok]
        t = snapped.offset_m[ok]
        leg_u, leg_v = self.point_legs(e, t, leaving=direction == "to_sources")
        via_u = node_dist[self.edge_u[e]] + leg_u
        via_v = node_dist[self.edge_v[e]] + leg_v
        use_u = via_u <= via_v
        dist[ok] = np.where(use_u, via_u, via_v) + snapped.access_m[ok]
        source[ok] = np.where(use_u, node_source[self.edge_u[e]], node_source[self.edge_v[e]])
        source[~np.isfinite(dist)] = -1
        return dist, source

    def reach(
        self,
        sources: Any,
        *,
        minutes: float | None = None,
        distance_m: float | None = None,
        targets: Any = None,
        batch_mb: float | None = None,
        direction: Direction = "to_sources",
    ) -> Reach:
        """Per-source reach within a cutoff, as sparse matrices of metres.

        Each source's search only needs the nodes within the cutoff's straight
        radius (a network distance is never shorter than the straight one; on
        a time-weighted network the radius is the street the cutoff covers at
        the fastest edge speed), so sources are grouped by location and each
        group is searched on the part of the network around it. Memory grows
        with what is reached, never with sources x nodes.

        Parameters
        ----------
        sources
            As for :meth:`nearest`.
        minutes, distance_m
            The cutoff, exactly one of them (see :meth:`cutoff_m`).
        targets
            Optional demand points; their reach matrix is returned too.
        batch_mb
            Memory budget of one batch; ``settings.reach_batch_mb`` by default.
        direction
            As for :meth:`nearest`.

        Returns
        -------
        Reach
        """
        direction = _direction(direction)
        cutoff = self.cutoff_m(minutes=minutes, distance_m=distance_m)
        nodes, target_matrix = self._reach_matrices(
            sources, targets, cutoff, batch_mb, direction, keep_nodes=True
        )
        assert nodes is not None
        return Reach(
            nodes=nodes,
            targets=target_matrix,
            cutoff_m=cutoff,
            speed_m_s=self.speed_m_s,
            direction=direction,
        )

    def reach_targets(
        self,
        sources: Any,
        targets: Any,
        *,
        minutes: float | None = None,
        distance_m: float | None = None,
        batch_mb: float | None = None,
        direction: Direction = "to_sources",
    ) -> sp.csr_matrix:
        """Per-source reach of target points only: :meth:`reach`'s ``targets`` matrix.

        The same matrix, found by the same searches, without keeping the pairs
        of sources and nodes: what a coverage or access model needs, in less
        time and memory when there are many sources.

        Parameters
        ----------
        sources, targets
            As for :meth:`reach` (``targets`` required).
        minutes, distance_m, batch_mb, direction
            As for :meth:`reach`.

        Returns
        -------
        scipy.sparse.csr_matrix
            Sources x targets, metres (cost metres on a time-weighted network);
            every stored entry is a reached pair, explicit zeros included.
        """
        if targets is None:
            msg = "reach_targets needs target points: net.reach_targets(clinics, homes, minutes=15)"
            raise InputError(msg)
        direction = _direction(direction)
        cutoff = self.cutoff_m(minutes=minutes, distance_m=distance_m)
        _, matrix = self._reach_matrices(
            sources, targets, cutoff, batch_mb, direction, keep_nodes=False
        )
        assert matrix is not None  # targets were given
        return matrix

    def _reach_matrices(
        self,
        sources: Any,
        targets: Any,
        cutoff: float,
        batch_mb: float | None,
        direction: Direction,
        *,
        keep_nodes: bool,
    ) -> tuple[sp.csr_matrix | None, sp.csr_matrix | None]:
        """Search every batch of sources; assemble the node and target matrices asked for."""
        seeds = self._seeds(sources, direction)
        graph = self._graph(direction)
        snapped = self.snap(targets) if targets is not None else None
        budget = float(settings.reach_batch_mb if batch_mb is None else batch_mb) * 2**20
        node_parts: list[tuple[IntArray, IntArray, FloatArray]] = []
        target_parts: list[tuple[IntArray, IntArray, FloatArray]] = []
        target_tree = (
            cKDTree(np.column_stack([snapped.x[snapped.reachable], snapped.y[snapped.reachable]]))
            if snapped is not None and snapped.reachable.any()
            else None
        )
        target_ids = np.flatnonzero(snapped.reachable) if snapped is not None else None
        local = np.full(self.n_nodes, -1, dtype=np.int64)  # node -> position in the window
        for batch, window in self._reach_batches(seeds, cutoff, budget):
            local[window] = np.arange(len(window))
            local_dist = self._search_window(
                graph, seeds, batch, window=window, local=local, cutoff=cutoff
            )
            if keep_nodes:
                r, c = np.nonzero(np.isfinite(local_dist))
                node_parts.append((batch[r], window[c], local_dist[r, c]))
            if snapped is not None and target_tree is not None and target_ids is not None:
                target_parts.append(
                    self._window_targets(
                        seeds,
                        batch,
                        local=local,
                        local_dist=local_dist,
                        snapped=snapped,
                        tree=target_tree,
                        target_ids=target_ids,
                        cutoff=cutoff,
                        direction=direction,
                    )
                )
            local[window] = -1
        k = len(seeds.valid)
        nodes = _assemble(node_parts, (k, self.n_nodes)) if keep_nodes else None
        target_matrix = _assemble(target_parts, (k, len(snapped))) if snapped is not None else None
        return nodes, target_matrix

    def _reach_batches(
        self, seeds: _Seeds, cutoff: float, budget: float
    ) -> Iterator[tuple[IntArray, IntArray]]:
        """Yield (sources, window nodes) groups: nearby sources share one window."""
        valid = np.flatnonzero(seeds.valid)
        cutoff = cutoff * self._stretch  # the street a trip of this cost may cover
        if not math.isfinite(cutoff):
            window = np.arange(self.n_nodes)
            size = max(1, int(budget // (8 * 3 * self.n_nodes)))
            for start in range(0, len(valid), size):
                yield valid[start : start + size], window
            return
        cell = self._cell_side(seeds.x[valid], seeds.y[valid], cutoff)
        cx = np.floor(seeds.x[valid] / cell).astype(np.int64)
        cy = np.floor(seeds.y[valid] / cell).astype(np.int64)
        order = np.lexsort((cy, cx))
        valid, cx, cy = valid[order], cx[order], cy[order]
        breaks = np.flatnonzero((np.diff(cx) != 0) | (np.diff(cy) != 0)) + 1
        for group in np.split(np.arange(len(valid)), breaks):
            members = valid[group]
            window = _around(self._node_tree, seeds.x[members], seeds.y[members], cutoff)
            size = max(1, int(budget // (8 * 3 * max(len(window), 1))))
            for start in range(0, len(members), size):
                yield members[start : start + size], window

    def _cell_side(self, x: FloatArray, y: FloatArray, reach: float) -> float:
        """Return the side of the grid cells whose sources share one search window.

        A window holds the nodes within ``reach`` of its cell's sources, so a
        bigger cell makes fewer windows, each wider: of one to four reaches, the
        side with the least estimated work (the windows' setup against each
        source's search over its window's nodes, at the density of nodes around
        the sources). Sources far apart (a city's candidate sites) share windows
        of a few cells; dense ones keep cells of one reach. The distances are
        the same whichever side is chosen.
        """
        if len(x) == 0:
            return max(reach, 50.0)
        density = self._density_around(x, y, max(reach, 50.0))
        best, least = max(reach, 50.0), math.inf
        for side in (max(reach * k, 50.0) for k in (1, 2, 3, 4)):
            cx = np.floor(x / side).astype(np.int64)
            cy = np.floor(y / side).astype(np.int64)
            cells = len(np.unique((cx - cx.min()) * (int(cy.max() - cy.min()) + 1) + cy - cy.min()))
            window_nodes = density * math.pi * (reach + side / math.sqrt(2)) ** 2
            work = cells * _WINDOW_SECONDS + len(x) * window_nodes * _SOURCE_NODE_SECONDS
            if work < least:
                best, least = side, work
        return best

    def _density_around(self, x: FloatArray, y: FloatArray, radius: float) -> float:
        """Return the nodes per square metre within ``radius`` of (up to 64 of) the points.

        Where the sources are, not over the whole extract: a province's cities
        are as dense as a city's, whatever the countryside between them.
        """
        sample = np.unique(np.linspace(0, len(x) - 1, min(len(x), 64)).astype(np.int64))
        counts = self._node_tree.query_ball_point(
            np.column_stack([x[sample], y[sample]]), radius, return_length=True
        )
        return float(np.mean(counts)) / (math.pi * radius**2)

    def _search_window(
        self,
        graph: sp.csr_matrix,
        seeds: _Seeds,
        batch: IntArray,
        *,
        window: IntArray,
        local: IntArray,
        cutoff: float,
    ) -> FloatArray:
        """Search the sources of one batch on the subgraph of one window: batch x window metres."""
        sub = graph if len(window) == self.n_nodes else _subgraph(graph, window, local)
        in_batch = np.full(len(seeds.valid), -1, dtype=np.int64)
        in_batch[batch] = np.arange(len(batch))
        pick = (in_batch[seeds.source] >= 0) & (local[seeds.node] >= 0)
        graph = _with_seed_rows(
            sub,
            in_batch[seeds.source[pick]],
            local[seeds.node[pick]],
            seeds.dist[pick],
            len(batch),
        )
        w = len(window)
        dist = dijkstra(graph, directed=True, indices=np.arange(w, w + len(batch)), limit=cutoff)
        return np.asarray(dist[:, :w], dtype=np.float64).reshape(len(batch), w)

    def _window_targets(
        self,
        seeds: _Seeds,
        batch: IntArray,
        *,
        local: IntArray,
        local_dist: FloatArray,
        snapped: SnappedPoints,
        tree: cKDTree,
        target_ids: IntArray,
        cutoff: float,
        direction: Direction,
    ) -> tuple[IntArray, IntArray, FloatArray]:
        """Reach of one batch's sources to the target points near them."""
        near = target_ids[_around(tree, seeds.x[batch], seeds.y[batch], cutoff * self._stretch)]
        if near.size == 0:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty, np.empty(0)
        padded = np.concatenate([local_dist, np.full((len(batch), 1), np.inf)], axis=1)
        e = snapped.edge[near]
        lu, lv = local[self.edge_u[e]], local[self.edge_v[e]]
        t = snapped.offset_m[near]
        leg_u, leg_v = self.point_legs(e, t, leaving=direction == "to_sources")
        via_u = padded[:, lu] + leg_u
        via_v = padded[:, lv] + leg_v
        dist = np.minimum(via_u, via_v) + snapped.access_m[near]
        # along the shared edge, without passing an end node
        for j, s in enumerate(batch):
            if seeds.edge[s] < 0:
                continue
            same = e == seeds.edge[s]
            if same.any():
                at_source = np.full(int(same.sum()), seeds.offset_m[s])
                along = (
                    self.along_edge(e[same], at_source, t[same])
                    if direction == "from_sources"
                    else self.along_edge(e[same], t[same], at_source)
                )
                direct = seeds.access_m[s] + along + snapped.access_m[near][same]
                dist[j, same] = np.minimum(dist[j, same], direct)
        r, c = np.nonzero(np.isfinite(dist) & (dist <= cutoff))
        return batch[r], near[c], dist[r, c]


# ----------------------------------------------------------------- helpers
def _part_cost(part: FloatArray, pace: FloatArray) -> FloatArray:
    """Cost of ``part`` metres at ``pace`` (``inf`` pace: closed); nothing for no metres.

    A point standing on an end of its edge is at that end whichever way the
    edge is open, so a part of zero metres costs zero even where closed.
    """
    part = np.asarray(part, dtype=np.float64)
    cost = np.zeros(part.shape)
    moving = part > 0
    cost[moving] = part[moving] * pace[moving]
    return cost


def _edge_cost(length: FloatArray, pace: FloatArray) -> FloatArray:
    """Cost of whole edges: ``length * pace``, ``inf`` where the edge is closed that way."""
    cost = np.full(length.shape, np.inf)
    open_ = np.isfinite(pace)
    cost[open_] = length[open_] * pace[open_]
    return cost


def _direction(direction: object) -> Direction:
    if direction not in DIRECTIONS:
        msg = (
            f"direction must be 'to_sources' (trips from each node and target to the nearest "
            f"source: residents visiting) or 'from_sources' (trips out of the sources: a "
            f"service that travels), got {direction!r}"
        )
        raise InputError(msg)
    return direction  # type: ignore[return-value]


def _oneway_codes(values: Any, n_edges: int, name: str) -> NDArray[np.int8]:
    """Check one-way codes: one of -1, 0, 1 per edge (all 0 when None)."""
    if values is None:
        return np.zeros(n_edges, dtype=np.int8)
    codes = np.asarray(values)
    if codes.shape != (n_edges,):
        msg = (
            f"{name}: oneway has shape {codes.shape} but the network has {n_edges} edges; "
            "give one code per edge (1: u to v only, -1: v to u only, 0: both ways)"
        )
        raise NetworkError(msg)
    valid = np.isin(codes, (-1, 0, 1)) if codes.size else np.ones(0, dtype=bool)
    if not valid.all():
        shown = sorted({str(c) for c in codes[~valid]})[:5]
        msg = (
            f"{name}: oneway codes must be 1 (u to v only), -1 (v to u only) or 0 (both ways); "
            f"got {', '.join(shown)}. Read OSM oneway tags with "
            "geoplan.sources.oneway_codes, which knows yes/true/1/-1/reverse/no"
        )
        raise NetworkError(msg)
    return codes.astype(np.int8)


def _edge_speeds(values: Any, reference: float, n_edges: int, name: str, what: str) -> FloatArray:
    """Check per-edge speeds: positive and finite, one per edge (the reference when None)."""
    if values is None:
        return np.full(n_edges, reference)
    speeds = np.asarray(values, dtype=np.float64)
    if speeds.shape != (n_edges,):
        msg = (
            f"{name}: {what} has shape {speeds.shape} but the network has {n_edges} edges; "
            "give one speed (m/s) per edge"
        )
        raise NetworkError(msg)
    bad = ~(np.isfinite(speeds) & (speeds > 0))
    if bad.any():
        msg = (
            f"{name}: {int(bad.sum())} of {n_edges} edges have a {what} that is not a positive "
            f"finite number of metres per second (first: {speeds[bad][0]!r}); fill them with a "
            "default speed (geoplan.sources.edge_speeds does, by road class)"
        )
        raise NetworkError(msg)
    return speeds


def _edge_lengths(values: Any, n_edges: int, name: str) -> FloatArray:
    """Check given edge lengths: finite and not negative, one per edge."""
    lengths = np.array(values, dtype=np.float64)
    if lengths.shape != (n_edges,):
        msg = (
            f"{name}: length_m has shape {lengths.shape} but the network has {n_edges} edges; "
            "give one length (metres) per edge, or leave length_m out to measure the geometry"
        )
        raise NetworkError(msg)
    bad = ~(np.isfinite(lengths) & (lengths >= 0))
    if bad.any():
        msg = (
            f"{name}: {int(bad.sum())} of {n_edges} edges have a length_m that is not a finite "
            f"number of metres, zero or more (first: {lengths[bad][0]!r}); repair them, or "
            "leave length_m out to measure the geometry"
        )
        raise NetworkError(msg)
    return lengths


def _kept(values: Any, keep: BoolArray, name: str, what: str) -> NDArray[Any] | None:
    """Per-edge values of the edges kept (None stays None)."""
    if values is None:
        return None
    array = np.asarray(values)
    if len(array) != len(keep):
        msg = f"{name}: {what} has {len(array)} values for {len(keep)} edges; give one per edge"
        raise NetworkError(msg)
    return array[keep]


def _kept_rows(table: pd.DataFrame, keep: BoolArray, name: str) -> pd.DataFrame:
    """Rows of edge attributes of the edges kept."""
    if len(table) != len(keep):
        msg = (
            f"{name}: edge_attrs has {len(table)} rows for {len(keep)} edges; give one row per "
            "edge, in the order of the edges"
        )
        raise InputError(msg)
    return table.iloc[np.flatnonzero(keep)]


def _around(tree: cKDTree, x: FloatArray, y: FloatArray, radius: float) -> IntArray:
    """Return the tree's points (sorted positions) within ``radius`` of the box of (x, y).

    A ball around the box's centre: every point within ``radius`` of any of (x, y), and a few more.
    """
    centre = ((x.min() + x.max()) / 2, (y.min() + y.max()) / 2)
    half_diag = math.hypot(x.max() - x.min(), y.max() - y.min()) / 2
    ball = tree.query_ball_point(centre, radius + half_diag + 1e-6)
    return np.sort(np.asarray(ball, dtype=np.int64))


def _subgraph(graph: sp.csr_matrix, window: IntArray, local: IntArray) -> sp.csr_matrix:
    """Rows and columns ``window`` of a CSR matrix; ``local`` maps nodes to window positions."""
    starts = graph.indptr[window]
    counts = graph.indptr[window + 1] - starts
    entries = expand_ranges(starts.astype(np.int64), counts.astype(np.int64))
    cols = local[graph.indices[entries]]
    keep = cols >= 0
    rows = np.repeat(np.arange(len(window)), counts)[keep]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=len(window)))])
    return sp.csr_matrix((graph.data[entries][keep], cols[keep], indptr), shape=(len(window),) * 2)


def _with_seed_rows(
    graph: sp.csr_matrix, rows: IntArray, nodes: IntArray, dist: FloatArray, k: int
) -> sp.csr_matrix:
    """Append k virtual source rows with edges to their seed nodes.

    The virtual rows have only outgoing edges, so no path passes through
    them; they stand for sources located on edges or nodes.
    """
    n = graph.shape[0]
    # one entry per (row, node): the shortest seed distance
    order = np.lexsort((dist, nodes, rows))
    rows, nodes, dist = rows[order], nodes[order], dist[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = (rows[1:] != rows[:-1]) | (nodes[1:] != nodes[:-1])
    rows, nodes, dist = rows[first], nodes[first], dist[first]
    counts = np.bincount(rows, minlength=k)
    indptr = np.concatenate([graph.indptr, graph.indptr[-1] + np.cumsum(counts)])
    indices = np.concatenate([graph.indices, nodes.astype(graph.indices.dtype)])
    data = np.concatenate([graph.data, dist])
    return sp.csr_matrix((data, indices, indptr), shape=(n + k, n + k))


def _same_edge_nearest(
    net: Network,
    seeds: _Seeds,
    snapped: SnappedPoints,
    dist: FloatArray,
    source: IntArray,
    *,
    direction: Direction,
) -> None:
    """Improve target distances with paths along an edge shared with a source."""
    src = np.flatnonzero(seeds.valid & (seeds.edge >= 0))
    tgt = np.flatnonzero(snapped.reachable)
    if src.size == 0 or tgt.size == 0:
        return
    # only targets on an edge some source stands on (a mask is cheaper than searching all)
    with_source = np.zeros(net.n_edges, dtype=bool)
    with_source[seeds.edge[src]] = True
    tgt = tgt[with_source[snapped.edge[tgt]]]
    if tgt.size == 0:
        return
    order = np.argsort(seeds.edge[src], kind="stable")
    src = src[order]
    src_edge = seeds.edge[src]
    lo = np.searchsorted(src_edge, snapped.edge[tgt], side="left")
    hi = np.searchsorted(src_edge, snapped.edge[tgt], side="right")
    counts = hi - lo
    if not counts.any():
        return
    pair_tgt = np.repeat(tgt, counts)
    pair_src = src[expand_ranges(lo, counts)]
    edge, at_source, at_target = (
        seeds.edge[pair_src],
        seeds.offset_m[pair_src],
        snapped.offset_m[pair_tgt],
    )
    along = (
        net.along_edge(edge, at_source, at_target)
        if direction == "from_sources"
        else net.along_edge(edge, at_target, at_source)
    )
    direct = seeds.access_m[pair_src] + along + snapped.access_m[pair_tgt]
    # keep, per target, the shortest direct path (ties: lowest source number)
    order = np.lexsort((pair_src, direct, pair_tgt))
    pair_tgt, pair_src, direct = pair_tgt[order], pair_src[order], direct[order]
    first = np.ones(len(pair_tgt), dtype=bool)
    first[1:] = pair_tgt[1:] != pair_tgt[:-1]
    pair_tgt, pair_src, direct = pair_tgt[first], pair_src[first], direct[first]
    better = direct < dist[pair_tgt]
    dist[pair_tgt[better]] = direct[better]
    source[pair_tgt[better]] = pair_src[better]


def _assemble(
    parts: list[tuple[IntArray, IntArray, FloatArray]], shape: tuple[int, int]
) -> sp.csr_matrix:
    """Stack (row, col, value) parts into one CSR matrix, keeping explicit zeros."""
    if parts:
        rows = np.concatenate([p[0] for p in parts])
        cols = np.concatenate([p[1] for p in parts])
        vals = np.concatenate([p[2] for p in parts])
    else:
        rows = cols = np.empty(0, dtype=np.int64)
        vals = np.empty(0)
    # each source lies in one batch, whose entries come sorted by column: a stable
    # sort by row is enough (and much faster than a lexsort on millions of entries),
    # and none is needed when the batches came in row order
    if len(rows) > 1 and np.any(rows[1:] < rows[:-1]):
        cols, vals = _in_row_order(rows, cols, vals)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=shape[0]))])
    return sp.csr_matrix((vals, cols, indptr), shape=shape)


def _in_row_order(rows: IntArray, *columns: NDArray[Any]) -> list[NDArray[Any]]:
    """Return ``columns`` stably sorted by ``rows``, moving runs of one row, not entries.

    What ``column[numpy.argsort(rows, kind="stable")]`` gives. A reach matrix's
    entries come in runs, one per source (a batch's rows one after another):
    the 200k city's 57,243 runs sort and copy in 0.6 s where a sort of its 21.8
    million entries took 1.3 s. Stable either way: runs of one row keep their
    order, and so do their entries.

    Examples
    --------
    >>> _in_row_order(np.array([2, 2, 0, 1, 1, 0]), np.arange(6))[0].tolist()
    [2, 5, 3, 4, 0, 1]
    """
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    ends = np.r_[starts[1:], len(rows)]
    runs = np.argsort(rows[starts], kind="stable")
    spans = list(zip(starts[runs].tolist(), ends[runs].tolist(), strict=True))
    return [np.concatenate([column[i:j] for i, j in spans]) for column in columns]


def _orient(geometry: NDArray[Any], net: Network) -> NDArray[Any]:
    """Reverse edge geometries that run from v to u, so offsets count from u."""
    starts = shapely.get_point(geometry, 0)
    sx, sy = shapely.get_x(starts), shapely.get_y(starts)
    from_u = np.hypot(sx - net.x[net.edge_u], sy - net.y[net.edge_u])
    from_v = np.hypot(sx - net.x[net.edge_v], sy - net.y[net.edge_v])
    flip = from_v < from_u
    if flip.any():
        geometry = geometry.copy()
        geometry[flip] = shapely.reverse(geometry[flip])
    return geometry


def _edge_geometry(edges: Any, target: pyproj.CRS) -> NDArray[Any] | None:
    """Edge geometries projected to ``target``, or None when edges have none."""
    column = getattr(edges, "_geometry_column_name", None)
    if column is None or column not in edges.columns or len(edges) == 0:
        return None
    geoms = edges.geometry
    if geoms.isna().any() or geoms.crs is None:
        log.info("edges lack complete geometries with a CRS; using straight lines")
        return None
    return np.asarray(geoms.to_crs(target).values)


def _projected_crs(crs: Any) -> pyproj.CRS:
    try:
        result = pyproj.CRS.from_user_input(crs)
    except pyproj.exceptions.CRSError as exc:
        msg = f"{crs!r} is not a coordinate reference system pyproj understands: {exc}"
        raise CRSError(msg) from None
    if not result.is_projected:
        msg = (
            f"the network needs a projected CRS in metres, got {result.to_string()}; "
            "pass crs=None to use the local UTM zone, or e.g. crs='EPSG:32651'"
        )
        raise CRSError(msg)
    return result


def _local_utm(frame: gpd.GeoDataFrame) -> pyproj.CRS:
    bounds = np.asarray(frame.total_bounds, dtype=np.float64)
    xy = shapely.get_coordinates(np.asarray(frame.geometry.values))
    if len(xy) and not np.isfinite(xy).all():
        msg = (
            "the nodes have NaN or infinite coordinates, so no UTM zone can be chosen for "
            "them; drop or repair those nodes, or pass crs= (e.g. crs=32651)"
        )
        raise CRSError(msg)
    try:
        crs = frame.estimate_utm_crs()
    except RuntimeError:
        msg = (
            f"no UTM zone fits nodes spanning {tuple(round(float(b), 3) for b in bounds)} in "
            f"{frame.crs.to_string()}; check their coordinates and CRS, or pass crs= "
            "(e.g. crs=32651)"
        )
        raise CRSError(msg) from None
    log.info("projecting to the local UTM zone %s", crs.to_string())
    return pyproj.CRS.from_user_input(crs)


def _same_crs(a: Any, b: pyproj.CRS) -> bool:
    return bool(pyproj.CRS.from_user_input(a) == b)


def _node_ids(nodes: gpd.GeoDataFrame) -> NDArray[Any]:
    for column in ("id", "osmid"):
        if column in nodes.columns:
            return np.asarray(nodes[column])
    return np.asarray(nodes.index)


def _is_geo(obj: Any) -> bool:
    return hasattr(obj, "crs") and hasattr(obj, "geometry")


# ------------------------------------------------------------ edge attributes, connectivity
#: Columns :meth:`Network.to_gdfs` writes itself; edge attributes may not use these names.
_EDGE_COLUMNS = (
    "u",
    "v",
    "length_m",
    "geometry",
    "oneway",
    "forward_speed_m_s",
    "backward_speed_m_s",
)


def _edge_table(table: pd.DataFrame | None, n_edges: int, name: str) -> pd.DataFrame | None:
    """Check edge attributes: a DataFrame with one row per edge, in edge order.

    Returns a copy indexed ``0..n_edges-1`` (the row order is the edge order;
    the given index is dropped), or None.
    """
    if table is None:
        return None
    if not isinstance(table, pd.DataFrame):
        msg = (
            f"{name}: edge_attrs must be a pandas DataFrame with one row per edge, got "
            f"{type(table).__name__}; e.g. pd.DataFrame({{'name': names}})"
        )
        raise InputError(msg)
    if len(table) != n_edges:
        msg = (
            f"{name}: edge_attrs has {len(table)} rows but the network has {n_edges} edges; "
            "give one row per edge, in the order of edge_u/edge_v"
        )
        raise InputError(msg)
    clash = [c for c in table.columns if c in _EDGE_COLUMNS]
    if clash:
        msg = (
            f"{name}: edge_attrs may not have the columns {clash}: the network holds "
            f"{', '.join(_EDGE_COLUMNS)} itself; rename them (e.g. to 'source_{clash[0]}'), "
            "and give one-way codes and speeds as Network(oneway=..., forward_speed_m_s=...)"
        )
        raise InputError(msg)
    return table.reset_index(drop=True).copy()


#: A network whose largest connected piece holds less of the street length than this is
#: probably broken (lines not joined where they meet), not a city of separate islands:
#: readers of road line files warn below it. A geoplan default, not from a standard.
MIN_CONNECTED_SHARE = 0.9


def connectivity(network: Network, *, min_share: float = MIN_CONNECTED_SHARE) -> dict[str, Any]:
    """Tell how well the streets of a network hang together.

    A walking network of a city is one piece with a few crumbs (a courtyard
    path, a park's loop). When the largest piece holds much less of the
    street length, the lines were most likely not joined where they meet
    (see :func:`geoplan.read_network`'s ``noding``), and every travel time
    beyond that piece is missing.

    Parameters
    ----------
    network
        Any network.
    min_share
        The share of the street length the largest piece should hold.

    Returns
    -------
    dict
        ``pieces`` (connected components with at least one street),
        ``largest_piece_length_share``
        and ``largest_piece_node_share`` (of the piece with the most street
        length), ``largest_piece_km``, ``total_km``, ``min_share`` and
        ``connected`` (whether the share reaches ``min_share``). Plain
        Python numbers, ready for run.json.

    Examples
    --------
    >>> net = Network.from_edges([(0, 0, 90, 0), (500, 0, 510, 0)], crs=32651)
    >>> facts = connectivity(net)
    >>> facts["pieces"], facts["largest_piece_length_share"], facts["connected"]
    (2, 0.9, True)
    """
    labels = network.components
    n_labels = int(labels.max()) + 1
    length = np.bincount(labels[network.edge_u], weights=network.length_m, minlength=n_labels)
    nodes = np.bincount(labels, minlength=n_labels)
    with_streets = np.bincount(labels[network.edge_u], minlength=n_labels) > 0
    largest = int(length.argmax())
    total = float(length.sum())
    share = float(length[largest] / total) if total > 0 else 1.0
    return {
        "pieces": int(with_streets.sum()),  # nodes without an edge are no piece of street
        "largest_piece_length_share": share,
        "largest_piece_node_share": float(nodes[largest] / network.n_nodes),
        "largest_piece_km": float(length[largest] / 1000.0),
        "total_km": total / 1000.0,
        "min_share": float(min_share),
        "connected": share >= min_share,
    }
