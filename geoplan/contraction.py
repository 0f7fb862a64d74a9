"""Contraction: chains of degree-2 nodes merged into single edges, distances kept exact.

Most nodes of a street network read from OpenStreetMap join just two edges: the
bends of a street, or the place where one way ends and the next begins. A search
visits each of them although nothing branches there. :func:`contract` merges
every chain of such nodes into one edge, with the chain's drawn line and the sum
of its lengths, and keeps where each removed node lies on its new edge (the
offset from the new edge's ``u`` end) and where each old edge lies on it.

Two edges are merged only where travel along them is alike: the same one-way
direction and the same speed each way (taken along the chain), and, unless
``attributes=False``, the same :attr:`Network.edge_attrs`. The cost of a part of
a merged edge is then its length at the one pace of the chain, the cost of the
same part on the old edges, so distances are the same, up to the rounding of
adding the lengths in another order (at most a relative 5e-14 on the Harbin and
Chengdu extracts; not bit for bit, which is why the study does not use it).

Two thirds of the nodes of real streets go, and a search alone on the contracted
network takes 0.6-1.07x the time; measuring the removed nodes again as points on
their edges costs about as much (``bench/contraction.py``). When only the targets
matter, search :attr:`Contraction.network` with points moved by
:meth:`Contraction.snap`.

:class:`Contraction` answers the questions of :meth:`Network.nearest` and
:meth:`Network.reach` in terms of the *original* network: points are snapped on
the original edges (snapping is unchanged) and moved onto the merged edges by
their offsets, the search runs on the contracted network, and every removed node
is measured as a point standing on its merged edge.

Examples
--------
>>> from geoplan.network import Network
>>> street = Network.from_edges(
...     [(0, 0, 100, 0), (100, 0, 200, 0), (200, 0, 300, 0), (200, 0, 200, 50)], crs=32651
... )
>>> small = contract(street)
>>> (street.n_nodes, street.n_edges), (small.network.n_nodes, small.network.n_edges)
((5, 4), (4, 3))
>>> found = small.nearest(np.array([0]), distance_m=1000)
>>> found.node_distance_m.tolist()  # every original node, the removed one (100, 0) too
[0.0, 100.0, 200.0, 250.0, 300.0]
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely
from numpy.typing import NDArray

from geoplan._errors import InputError
from geoplan.network import (
    BoolArray,
    Direction,
    FloatArray,
    IntArray,
    Nearest,
    Network,
    Reach,
    SnappedPoints,
    _direction,
)

__all__ = ["Contraction", "contract"]


@dataclass(frozen=True)
class Contraction:
    """A network and its contracted twin, with where every node and edge went.

    Attributes
    ----------
    original : Network
        The network as given.
    network : Network
        The contracted network: the original's nodes that are kept (in their
        order, with their ids) and one edge per chain of merged edges, running
        from the chain's first end to its last; its lengths are the sums of
        the chains' lengths.
    node_position : numpy.ndarray
        Per original node, its position in :attr:`network`; -1 where removed.
    node_edge, node_offset_m : numpy.ndarray
        Per original node removed, the merged edge it lies on and its distance
        from that edge's ``u`` end; -1 and NaN for nodes kept.
    edge_chain, edge_start_m : numpy.ndarray
        Per original edge, the merged edge it became part of and the distance
        along the merged edge to the old edge's first end along the chain.
    edge_reversed : numpy.ndarray
        Per original edge, whether it runs from ``v`` to ``u`` along its chain.
    """

    original: Network
    network: Network
    node_position: IntArray
    node_edge: IntArray
    node_offset_m: FloatArray
    edge_chain: IntArray
    edge_start_m: FloatArray
    edge_reversed: BoolArray

    @cached_property
    def removed(self) -> BoolArray:
        """Whether each original node was removed (it lies inside a merged edge)."""
        return self.node_position < 0

    def summary(self) -> dict[str, int]:
        """Return the node and edge counts before and after, as plain numbers."""
        return {
            "nodes": self.original.n_nodes,
            "edges": self.original.n_edges,
            "contracted_nodes": self.network.n_nodes,
            "contracted_edges": self.network.n_edges,
        }

    # ------------------------------------------------------------ points
    def on_contracted(self, snapped: SnappedPoints) -> SnappedPoints:
        """Move points snapped on the original edges onto the merged edges.

        Parameters
        ----------
        snapped
            Points snapped on :attr:`original` (:meth:`Network.snap`).

        Returns
        -------
        SnappedPoints
            The same points, coordinates, access legs and flags, each on the
            merged edge its old edge became part of, at the distance from the
            merged edge's ``u`` end.
        """
        ok = snapped.reachable
        old, at = snapped.edge[ok], snapped.offset_m[ok]
        length = self.original.length_m[old]
        new = self.edge_chain[old]
        moved = self.edge_start_m[old] + np.where(self.edge_reversed[old], length - at, at)
        edge = snapped.edge.copy()
        offset = snapped.offset_m.copy()
        edge[ok] = new
        offset[ok] = _inside(moved, self.network.length_m[new], (at > 0) & (at < length))
        return SnappedPoints(
            index=snapped.index,
            x=snapped.x,
            y=snapped.y,
            edge=edge,
            offset_m=offset,
            access_m=snapped.access_m,
            reachable=snapped.reachable,
            max_snap_m=snapped.max_snap_m,
        )

    def snap(self, points: Any, *, max_snap_m: float | None = None) -> SnappedPoints:
        """Snap points on the original network and move them onto the merged edges.

        The same edges, offsets and access legs as :meth:`Network.snap` on
        :attr:`original` (with its warnings), on :attr:`network`.
        """
        if isinstance(points, SnappedPoints):
            return self.on_contracted(points)
        return self.on_contracted(self.original.snap(points, max_snap_m=max_snap_m))

    def _node_points(self, nodes: IntArray) -> SnappedPoints:
        """Original nodes as points standing on the contracted network (no access leg)."""
        nodes = np.asarray(nodes, dtype=np.int64)
        kept = self.node_position[nodes]
        edge = self.node_edge[nodes].copy()
        offset = self.node_offset_m[nodes].copy()
        first_edge, at_u = self._an_edge_of_kept
        has = kept >= 0
        edge[has] = first_edge[kept[has]]
        offset[has] = np.where(
            at_u[kept[has]], 0.0, self.network.length_m[np.maximum(edge[has], 0)]
        )
        reachable = edge >= 0
        offset[~reachable] = np.nan
        return SnappedPoints(
            index=pd.RangeIndex(len(nodes)),
            x=self.original.x[nodes],
            y=self.original.y[nodes],
            edge=edge,
            offset_m=offset,
            access_m=np.where(reachable, 0.0, np.nan),
            reachable=reachable,
            max_snap_m=0.0,
        )

    @cached_property
    def _an_edge_of_kept(self) -> tuple[IntArray, BoolArray]:
        """Per contracted node, one merged edge at it (-1: none) and whether it is its ``u``."""
        net = self.network
        edge = np.full(net.n_nodes, -1, dtype=np.int64)
        at_u = np.zeros(net.n_nodes, dtype=bool)
        every = np.arange(net.n_edges)
        edge[net.edge_v[::-1]] = every[::-1]  # the first edge ending at the node ...
        edge[net.edge_u[::-1]] = every[::-1]  # ... unless one starts there
        at_u[net.edge_u] = True
        return edge, at_u

    @cached_property
    def _removed_points(self) -> SnappedPoints:
        """The removed nodes as points on their merged edges, in node order."""
        return self._node_points(np.flatnonzero(self.removed))

    def _sources(self, sources: Any) -> tuple[SnappedPoints, IntArray]:
        """Return the sources on the contracted network, and which stand alone on a node."""
        if isinstance(sources, np.ndarray | list | tuple | pd.Index) and not hasattr(
            sources, "crs"
        ):
            nodes = np.asarray(sources)
            n = self.original.n_nodes
            if nodes.size == 0 or not np.issubdtype(nodes.dtype, np.integer):
                msg = (
                    f"node sources must be integer positions of original nodes, got "
                    f"{nodes.size} values of type {nodes.dtype}; pass at least one, e.g. "
                    "np.array([0, 5])"
                )
                raise InputError(msg)
            if nodes.min() < 0 or nodes.max() >= n:
                msg = (
                    f"node sources must be positions in 0..{n - 1} of the original network "
                    "(Contraction.original), not of the contracted one; map a contracted "
                    "node back with np.flatnonzero(contraction.node_position == k)"
                )
                raise InputError(msg)
            points = self._node_points(nodes)
            return points, np.flatnonzero(~points.reachable)
        return self.snap(sources), np.empty(0, dtype=np.int64)

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
        """:meth:`Network.nearest` of the original network, searched on the contracted one.

        Parameters
        ----------
        sources
            Points (GeoSeries/GeoDataFrame, :class:`SnappedPoints` snapped on
            the original network) or integer positions of original nodes.
        minutes, distance_m, targets, direction
            As for :meth:`Network.nearest` (targets snapped on the original).

        Returns
        -------
        Nearest
            Distances and sources of every *original* node and of the targets.
        """
        points, alone = self._sources(sources)
        removed = np.flatnonzero(self.removed)
        snapped = self.snap(targets) if targets is not None else None
        stops = _concat_points(self._removed_points, snapped)
        found = (
            self.network.nearest(
                points, minutes=minutes, distance_m=distance_m, targets=stops, direction=direction
            )
            if points.reachable.any()
            else _nothing_near(
                self.network,
                len(stops),
                cutoff=self.network.cutoff_m(minutes=minutes, distance_m=distance_m),
                direction=direction,
            )
        )
        assert found.target_distance_m is not None
        assert found.target_source is not None
        n = self.original.n_nodes
        kept = np.flatnonzero(~self.removed)
        node_dist = np.full(n, np.inf)
        node_source = np.full(n, -1, dtype=np.int64)
        node_dist[kept] = found.node_distance_m
        node_source[kept] = found.node_source
        node_dist[removed] = found.target_distance_m[: len(removed)]
        node_source[removed] = found.target_source[: len(removed)]
        _alone_sources(sources, alone, node_dist, node_source)
        return Nearest(
            node_distance_m=node_dist,
            node_source=node_source,
            target_distance_m=None if snapped is None else found.target_distance_m[len(removed) :],
            target_source=None if snapped is None else found.target_source[len(removed) :],
            cutoff_m=found.cutoff_m,
            speed_m_s=found.speed_m_s,
            direction=found.direction,
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
        """:meth:`Network.reach_targets` of the original network: :meth:`reach`'s targets."""
        found = self.reach(
            sources,
            minutes=minutes,
            distance_m=distance_m,
            targets=targets,
            batch_mb=batch_mb,
            direction=direction,
        )
        assert found.targets is not None
        return found.targets

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
        """:meth:`Network.reach` of the original network, searched on the contracted one.

        Parameters are as for :meth:`nearest` and :meth:`Network.reach`; the
        node matrix has one column per *original* node.
        """
        points, alone = self._sources(sources)
        removed = np.flatnonzero(self.removed)
        snapped = self.snap(targets) if targets is not None else None
        stops = _concat_points(self._removed_points, snapped)
        found = (
            self.network.reach(
                points,
                minutes=minutes,
                distance_m=distance_m,
                targets=stops,
                batch_mb=batch_mb,
                direction=direction,
            )
            if points.reachable.any()
            else _nothing_reached(
                self.network,
                len(points),
                len(stops),
                cutoff=self.network.cutoff_m(minutes=minutes, distance_m=distance_m),
                direction=direction,
            )
        )
        assert found.targets is not None
        k, n = found.nodes.shape[0], self.original.n_nodes
        kept_nodes, stop = found.nodes.tocoo(), found.targets.tocoo()
        on_edges = stop.col < len(removed)
        rows = np.concatenate([kept_nodes.row, stop.row[on_edges], alone])
        cols = np.concatenate(
            [
                np.flatnonzero(~self.removed)[kept_nodes.col],
                removed[stop.col[on_edges]],
                _alone_nodes(sources, alone),
            ]
        )
        vals = np.concatenate([kept_nodes.data, stop.data[on_edges], np.zeros(len(alone))])
        nodes = _csr(rows, cols, vals, (k, n))
        target_matrix = None
        if snapped is not None:
            beyond = ~on_edges
            target_matrix = _csr(
                stop.row[beyond],
                stop.col[beyond] - len(removed),
                stop.data[beyond],
                (k, len(snapped)),
            )
        return Reach(
            nodes=nodes,
            targets=target_matrix,
            cutoff_m=found.cutoff_m,
            speed_m_s=found.speed_m_s,
            direction=found.direction,
        )


# ----------------------------------------------------------------- building
def contract(network: Network, *, attributes: bool = True) -> Contraction:
    """Merge the chains of degree-2 nodes of a network into single edges.

    Parameters
    ----------
    network
        Any network (one-way streets, speeds and edge attributes included).
    attributes
        Merge only edges whose :attr:`Network.edge_attrs` rows are equal, so
        that the contracted network keeps them (the default); ``False`` merges
        regardless of them and the contracted network has none.

    Returns
    -------
    Contraction
        The contracted network and where every node and edge went. A node is
        removed where exactly two distinct edges meet and travel along them is
        alike; a component that is one ring of such nodes keeps its lowest
        node, and the ring becomes an edge from that node back to itself (a
        network that is one ring keeps its two lowest nodes, as a network
        needs two).
    """
    walk = _Walk(network, _removable(network, attributes=attributes))
    walk.run()
    if (~walk.removable).sum() < 2:  # a network that is one ring: a network needs two nodes
        removable = walk.removable.copy()
        removable[np.flatnonzero(removable)[0]] = False
        walk = _Walk(network, removable)
        walk.run()
    return _assemble(network, walk, attributes=attributes)


def _same_attributes(network: Network, a: IntArray, b: IntArray, attributes: bool) -> BoolArray:
    """Return, per pair of edges, whether their attributes are equal (missing equals missing)."""
    same = np.ones(len(a), dtype=bool)
    table = network.edge_attrs
    if not attributes or table is None:
        return same
    for column in table.columns:
        values = table[column].to_numpy()
        first, second = values[a], values[b]
        missing = pd.isna(first) & pd.isna(second)
        same &= missing | np.asarray(first == second, dtype=bool)
    return same


def _removable(network: Network, *, attributes: bool) -> BoolArray:
    """Nodes where exactly two distinct edges meet with alike travel along them."""
    indptr, incident = network._incidence
    degree = np.diff(indptr)
    nodes = np.flatnonzero(degree == 2)
    a, b = incident[indptr[nodes]], incident[indptr[nodes] + 1]
    ok = a != b
    arriving = _along(network, a, network.edge_v[a] == nodes)
    leaving = _along(network, b, network.edge_u[b] == nodes)
    for first, second in zip(arriving, leaving, strict=True):
        ok &= first == second
    ok &= _same_attributes(network, a, b, attributes)
    removable = np.zeros(network.n_nodes, dtype=bool)
    removable[nodes[ok]] = True
    return removable


def _along(
    network: Network, edge: IntArray, forward: BoolArray
) -> tuple[NDArray[Any], FloatArray, FloatArray]:
    """One-way code and speeds of edges taken one way (``forward``: from u to v)."""
    oneway = network.oneway[edge].astype(np.int64)
    ahead, back = network.forward_speed_m_s[edge], network.backward_speed_m_s[edge]
    return (
        np.where(forward, oneway, -oneway),
        np.where(forward, ahead, back),
        np.where(forward, back, ahead),
    )


class _Walk:
    """Walk every chain from a node kept to the next, recording where things lie."""

    def __init__(self, network: Network, removable: BoolArray) -> None:
        self.net = network
        self.removable = removable.copy()
        self.u: list[int] = network.edge_u.tolist()
        self.v: list[int] = network.edge_v.tolist()
        self.length: list[float] = network.length_m.tolist()
        indptr, incident = network._incidence
        self.indptr: list[int] = indptr.tolist()
        self.incident: list[int] = incident.tolist()
        n, m = network.n_nodes, network.n_edges
        self.edge_chain = [-1] * m
        self.edge_start = [0.0] * m
        self.edge_reversed = [False] * m
        self.node_edge = [-1] * n
        self.node_offset = [float("nan")] * n
        self.chain_ends: list[tuple[int, int]] = []
        self.chain_length: list[float] = []
        self.pieces: list[int] = []  # edges in chain order
        self.piece_chain: list[int] = []

    def run(self) -> None:
        removable = self.removable.tolist()
        for node in np.flatnonzero(~self.removable).tolist():
            for k in range(self.indptr[node], self.indptr[node + 1]):
                edge = self.incident[k]
                if self.edge_chain[edge] < 0:
                    self._chain(node, edge, removable)
        # rings of removable nodes alone: keep each ring's lowest node
        left = [e for e in range(len(self.u)) if self.edge_chain[e] < 0]
        for edge in left:
            if self.edge_chain[edge] >= 0:
                continue
            ring = self._ring_nodes(edge)
            anchor = min(ring)
            removable[anchor] = False
            self.removable[anchor] = False
            at = self.indptr[anchor]
            self._chain(anchor, self.incident[at], removable)

    def _ring_nodes(self, edge: int) -> list[int]:
        start = self.u[edge]
        nodes, node = [start], self.v[edge]
        while node != start:
            nodes.append(node)
            edge = self._other_edge(node, edge)
            node = self.u[edge] + self.v[edge] - node
        return nodes

    def _other_edge(self, node: int, edge: int) -> int:
        at = self.indptr[node]
        first = self.incident[at]
        return self.incident[at + 1] if first == edge else first

    def _chain(self, start: int, edge: int, removable: list[bool]) -> None:
        chain = len(self.chain_ends)
        offset = 0.0
        node = start
        while True:
            reverse = self.u[edge] != node
            self.edge_chain[edge] = chain
            self.edge_start[edge] = offset
            self.edge_reversed[edge] = reverse
            self.pieces.append(edge)
            self.piece_chain.append(chain)
            offset += self.length[edge]
            node = self.u[edge] if reverse else self.v[edge]
            if not removable[node]:
                break
            self.node_edge[node] = chain
            self.node_offset[node] = offset
            edge = self._other_edge(node, edge)
        self.chain_ends.append((start, node))
        self.chain_length.append(offset)


def _assemble(network: Network, walk: _Walk, *, attributes: bool) -> Contraction:
    """Build the contracted network and the maps from a finished walk."""
    kept = ~walk.removable
    position = np.full(network.n_nodes, -1, dtype=np.int64)
    position[kept] = np.arange(int(kept.sum()))
    ends = np.asarray(walk.chain_ends, dtype=np.int64).reshape(-1, 2)
    pieces = np.asarray(walk.pieces, dtype=np.int64)
    piece_chain = np.asarray(walk.piece_chain, dtype=np.int64)
    edge_reversed = np.asarray(walk.edge_reversed, dtype=bool)
    _keep_single_edges(walk, ends, pieces, piece_chain, edge_reversed)
    first = pieces[np.r_[0, np.flatnonzero(np.diff(piece_chain)) + 1]]
    oneway, ahead, back = _along(network, first, ~edge_reversed[first])
    table = network.edge_attrs
    contracted = Network(
        x=network.x[kept],
        y=network.y[kept],
        edge_u=position[ends[:, 0]],
        edge_v=position[ends[:, 1]],
        geometry=_chain_lines(network, pieces, piece_chain, edge_reversed, ends),
        node_id=network.node_id[kept],
        crs=network.crs,
        profile=network.profile,
        speed_m_s=network.speed_m_s,
        name=network.name,
        edge_attrs=None if table is None or not attributes else table.iloc[first],
        oneway=oneway,
        forward_speed_m_s=ahead,
        backward_speed_m_s=back,
        length_m=np.asarray(walk.chain_length, dtype=np.float64),
    )
    return Contraction(
        original=network,
        network=contracted,
        node_position=position,
        node_edge=np.asarray(walk.node_edge, dtype=np.int64),
        node_offset_m=np.asarray(walk.node_offset, dtype=np.float64),
        edge_chain=np.asarray(walk.edge_chain, dtype=np.int64),
        edge_start_m=np.asarray(walk.edge_start, dtype=np.float64),
        edge_reversed=edge_reversed,
    )


def _keep_single_edges(
    walk: _Walk, ends: IntArray, pieces: IntArray, piece_chain: IntArray, reverse: BoolArray
) -> None:
    """Turn chains of one edge walked from ``v`` to ``u`` round, so they keep their edge."""
    sizes = np.bincount(piece_chain, minlength=len(ends))
    single = np.flatnonzero(sizes == 1)
    edge = pieces[np.searchsorted(piece_chain, single)]
    turn = reverse[edge]
    single, edge = single[turn], edge[turn]
    ends[single] = ends[single][:, ::-1]
    reverse[edge] = False


def _chain_lines(
    network: Network,
    pieces: IntArray,
    piece_chain: IntArray,
    reverse: BoolArray,
    ends: IntArray,
) -> NDArray[Any]:
    """One line per chain: its pieces end to end, from the chain's first node to its last.

    A chain of one edge keeps its line; longer chains start and end exactly on
    their end nodes (so the network keeps their direction), without repeating
    the points where pieces meet.
    """
    n_chains = len(ends)
    lines = np.empty(n_chains, dtype=object)
    sizes = np.bincount(piece_chain, minlength=n_chains)
    single = np.flatnonzero(sizes == 1)
    lines[single] = network.geometry[pieces[np.searchsorted(piece_chain, single)]]
    multi = np.isin(piece_chain, np.flatnonzero(sizes > 1))
    if not multi.any():
        return lines
    geoms = network.geometry[pieces[multi]].copy()
    flip = reverse[pieces[multi]]
    geoms[flip] = shapely.reverse(geoms[flip])
    coords, which = shapely.get_coordinates(geoms, return_index=True)
    chain_of = piece_chain[multi][which]
    chains = np.flatnonzero(sizes > 1)
    start_xy = np.column_stack([network.x[ends[chains, 0]], network.y[ends[chains, 0]]])
    end_xy = np.column_stack([network.x[ends[chains, 1]], network.y[ends[chains, 1]]])
    # place each chain's end nodes first and last (stable sort keeps the order within)
    rank = np.concatenate([np.zeros(len(chains)), np.ones(len(coords)), np.full(len(chains), 2)])
    owner = np.concatenate([chains, chain_of, chains])
    points = np.concatenate([start_xy, coords[:, :2], end_xy])
    order = np.lexsort((rank, owner))
    owner, points = owner[order], points[order]
    repeat = np.zeros(len(points), dtype=bool)
    repeat[1:] = (owner[1:] == owner[:-1]) & np.all(points[1:] == points[:-1], axis=1)
    owner, points = owner[~repeat], points[~repeat]
    lonely = np.flatnonzero(np.bincount(owner, minlength=n_chains)[chains] == 1)
    if lonely.size:  # a chain of zero length: a line of two equal points
        at = np.searchsorted(owner, chains[lonely])
        owner = np.insert(owner, at, chains[lonely])
        points = np.insert(points, at, points[at], axis=0)
    _, index = np.unique(owner, return_inverse=True)
    lines[chains] = shapely.linestrings(points, indices=index)
    return lines


# ----------------------------------------------------------------- helpers
def _inside(offset: FloatArray, length: FloatArray, inside: BoolArray) -> FloatArray:
    """Offsets on their edges; those of points inside an old edge kept off the new edge's ends.

    A point a hair from the end of a one-way edge cannot reach that end node; the
    sum of the offsets must not round it onto the node, where it would.
    """
    offset = np.clip(offset, 0.0, length)
    start, end = inside & (offset <= 0.0), inside & (offset >= length)
    offset[start] = np.nextafter(0.0, 1.0)
    offset[end] = np.nextafter(length[end], 0.0)
    return offset


def _concat_points(first: SnappedPoints, second: SnappedPoints | None) -> SnappedPoints:
    """Two sets of snapped points as one, numbered first then second."""
    if second is None:
        return first
    return SnappedPoints(
        index=pd.RangeIndex(len(first) + len(second)),
        x=np.concatenate([first.x, second.x]),
        y=np.concatenate([first.y, second.y]),
        edge=np.concatenate([first.edge, second.edge]),
        offset_m=np.concatenate([first.offset_m, second.offset_m]),
        access_m=np.concatenate([first.access_m, second.access_m]),
        reachable=np.concatenate([first.reachable, second.reachable]),
        max_snap_m=max(first.max_snap_m, second.max_snap_m),
    )


def _alone_nodes(sources: Any, alone: IntArray) -> IntArray:
    """Return the original nodes of the sources standing on no edge."""
    if alone.size == 0:
        return np.empty(0, dtype=np.int64)
    return np.asarray(sources, dtype=np.int64)[alone]


def _alone_sources(
    sources: Any, alone: IntArray, node_dist: FloatArray, node_source: IntArray
) -> None:
    """Let sources on nodes without edges reach themselves only, at no cost."""
    nodes = _alone_nodes(sources, alone)
    if nodes.size == 0:
        return
    # the lowest-numbered source standing on a node names it, as on the original
    order = np.argsort(alone, kind="stable")[::-1]
    node_dist[nodes[order]] = 0.0
    node_source[nodes[order]] = alone[order]


def _nothing_near(net: Network, n_stops: int, *, cutoff: float, direction: Any) -> Nearest:
    """Return the search of sources that all stand on nodes without edges: nothing reached."""
    return Nearest(
        node_distance_m=np.full(net.n_nodes, np.inf),
        node_source=np.full(net.n_nodes, -1, dtype=np.int64),
        target_distance_m=np.full(n_stops, np.inf),
        target_source=np.full(n_stops, -1, dtype=np.int64),
        cutoff_m=cutoff,
        speed_m_s=net.speed_m_s,
        direction=_direction(direction),
    )


def _nothing_reached(
    net: Network, n_sources: int, n_stops: int, *, cutoff: float, direction: Any
) -> Reach:
    """Return the reach of sources that all stand on nodes without edges: nothing reached."""
    return Reach(
        nodes=sp.csr_matrix((n_sources, net.n_nodes)),
        targets=sp.csr_matrix((n_sources, n_stops)),
        cutoff_m=cutoff,
        speed_m_s=net.speed_m_s,
        direction=_direction(direction),
    )


def _csr(rows: IntArray, cols: IntArray, vals: FloatArray, shape: tuple[int, int]) -> sp.csr_matrix:
    """Return a CSR matrix of the entries, sorted by row then column, explicit zeros kept."""
    order = np.lexsort((cols, rows))
    rows, cols, vals = rows[order], cols[order], vals[order]
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=shape[0]))])
    return sp.csr_matrix((vals, cols, indptr), shape=shape)
