"""Turn road lines into a graph: where lines meet, they share a node.

Road layers of planning institutes and bureaus are drawn as lines that run
through junctions: two streets cross at a vertex both lines have (an
*interior* vertex of each), or merely cross, or one ends on the other. Joining
lines only at their end points leaves such a network in hundreds of pieces.

Two ways of noding, both level-aware:

``"vertices"``
    A line is split into edges at every vertex it shares with another line
    (its end points, and any interior vertex another line of the same level
    also has).
``"planar"``
    Also where lines cross or touch without a shared vertex: every
    intersection of two lines of the same level becomes a vertex of both,
    and then they are noded as above.

Levels keep bridges off the streets they pass over: lines of different
levels (a bridge at level 1, a tunnel at -1, the street at 0) are never joined
where they merely cross, or where both have an interior vertex; they join
only where one of them *ends* (a bridge's end lands on the street). Points
closer than :data:`GRID_M` are taken as the same point.

Examples
--------
>>> import shapely
>>> lines = shapely.from_wkt(["LINESTRING (0 0, 50 0, 100 0)", "LINESTRING (50 -50, 50 0, 50 50)"])
>>> graph = node_lines(lines, np.zeros(2), planar=False)
>>> len(graph.x), len(graph.edge_u)  # the shared vertex (50, 0) joins the two streets
(5, 4)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray

__all__ = ["GRID_M", "Noded", "node_lines", "unjoined"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

#: Points closer than this (metres, in the projected CRS) are one point: the grid vertices
#: are compared on. A geoplan default: far below any drawing precision of a road layer.
GRID_M = 0.001


@dataclass(frozen=True)
class Noded:
    """The graph of noded lines.

    Attributes
    ----------
    x, y
        Node coordinates.
    edge_u, edge_v
        Node positions of each edge's ends.
    geometry
        One LineString per edge, from ``u`` to ``v``.
    edge_line
        The input line each edge is a part of.
    n_dropped
        Input lines left out because they have fewer than two distinct vertices.
    """

    x: FloatArray
    y: FloatArray
    edge_u: IntArray
    edge_v: IntArray
    geometry: NDArray[Any]
    edge_line: IntArray
    n_dropped: int


def node_lines(
    lines: NDArray[Any], level: FloatArray, *, planar: bool, grid_m: float = GRID_M
) -> Noded:
    """Split lines into edges at the points where they meet, and join them there.

    Parameters
    ----------
    lines
        LineStrings in a projected CRS (metres).
    level
        The level of each line (0 on the ground, 1 a bridge, -1 a tunnel...).
    planar
        Also node where lines of the same level cross or touch without a
        shared vertex.
    grid_m
        Points closer than this are one point.

    Returns
    -------
    Noded
    """
    lines = np.asarray(lines, dtype=object)
    level = np.asarray(level, dtype=np.float64)
    coords, owner = shapely.get_coordinates(lines, return_index=True)
    owner = owner.astype(np.int64)
    if planar and len(lines) > 1:
        coords, owner = _with_crossings(lines, level, coords, owner, grid_m)
    key = np.round(coords / grid_m).astype(np.int64)
    repeat = np.zeros(len(coords), dtype=bool)
    repeat[1:] = (owner[1:] == owner[:-1]) & (key[1:] == key[:-1]).all(axis=1)
    coords, owner, key = coords[~repeat], owner[~repeat], key[~repeat]
    counts = np.bincount(owner, minlength=len(lines))
    usable = counts[owner] >= 2
    coords, owner, key = coords[usable], owner[usable], key[usable]
    n_dropped = int((np.bincount(owner, minlength=len(lines)) == 0).sum())  # < 2 vertices
    return _graph(
        coords=coords,
        owner=owner,
        key=key,
        is_end=_line_ends(owner),
        level=level,
        n_dropped=n_dropped,
    )


def _line_ends(owner: IntArray) -> BoolArray:
    """Return which vertices are the first or last of their line (vertices grouped by line)."""
    change = owner[1:] != owner[:-1]
    return np.r_[True, change] | np.r_[change, True] if len(owner) else np.zeros(0, dtype=bool)


def _graph(
    *,
    coords: FloatArray,
    owner: IntArray,
    key: IntArray,
    is_end: BoolArray,
    level: FloatArray,
    n_dropped: int,
) -> Noded:
    """Find the nodes among the vertices, and the edges between them."""
    if len(coords) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Noded(np.zeros(0), np.zeros(0), empty, empty, np.zeros(0, object), empty, n_dropped)
    _, xy = np.unique(key, axis=0, return_inverse=True)
    xy = xy.reshape(-1).astype(np.int64)
    _, level_code = np.unique(level[owner], return_inverse=True)
    _, xyl = np.unique(np.column_stack([xy, level_code.reshape(-1)]), axis=0, return_inverse=True)
    xyl = xyl.reshape(-1).astype(np.int64)
    n_xy = int(xy.max()) + 1
    end_here = np.bincount(xy, weights=is_end.astype(np.float64), minlength=n_xy) > 0
    shared = np.bincount(xyl)[xyl] >= 2
    is_node = is_end | shared | end_here[xy]
    # where a line ends, every line there joins it; elsewhere only lines of one level
    node_key = np.where(end_here[xy], xy, n_xy + xyl)
    _, first, node = np.unique(node_key[is_node], return_index=True, return_inverse=True)
    node_of_vertex = np.full(len(coords), -1, dtype=np.int64)
    node_of_vertex[is_node] = node.reshape(-1)
    first_at = np.flatnonzero(is_node)[first]  # the first vertex of each node
    # segments j -> j+1 within a line; an edge is a run of segments between node vertices
    seg = np.flatnonzero(owner[:-1] == owner[1:])
    edge_of_seg = np.cumsum(is_node)[seg] - 1
    closing = is_node[seg + 1]
    vertex = np.concatenate([seg, seg[closing] + 1])
    edge_raw = np.concatenate([edge_of_seg, edge_of_seg[closing]])
    order = np.lexsort((vertex, edge_raw))
    vertex, edge_raw = vertex[order], edge_raw[order]
    _, edge = np.unique(edge_raw, return_inverse=True)
    edge = edge.reshape(-1)
    geometry = shapely.linestrings(coords[vertex], indices=edge)
    head = np.r_[True, edge[1:] != edge[:-1]]
    tail = np.r_[edge[1:] != edge[:-1], True]
    return Noded(
        x=coords[first_at, 0],
        y=coords[first_at, 1],
        edge_u=node_of_vertex[vertex[head]],
        edge_v=node_of_vertex[vertex[tail]],
        geometry=np.asarray(geometry, dtype=object),
        edge_line=owner[vertex[head]],
        n_dropped=n_dropped,
    )


def _with_crossings(
    lines: NDArray[Any],
    level: FloatArray,
    coords: FloatArray,
    owner: IntArray,
    grid_m: float,
) -> tuple[FloatArray, IntArray]:
    """Add, to both lines, the points where two lines of one level cross or touch.

    Two lines of different levels get only the points where one of them ends
    (a ramp or a bridge landing on the other line between its vertices).
    Intersection points within ``grid_m`` of a line's end are moved onto it.
    """
    tree = shapely.STRtree(lines)
    a, b = tree.query(lines, predicate="intersects")
    pair = a < b
    a, b = a[pair], b[pair]
    points, which = shapely.get_coordinates(
        shapely.intersection(lines[a], lines[b]), return_index=True
    )
    a, b = a[which], b[which]
    heads = shapely.get_coordinates(shapely.get_point(lines, 0))
    tails = shapely.get_coordinates(shapely.get_point(lines, -1))
    candidates = np.stack([heads[a], tails[a], heads[b], tails[b]], axis=1)
    gap = np.hypot(*(candidates - points[:, None, :]).transpose(2, 0, 1))
    nearest = gap.argmin(axis=1)
    at_end = gap[np.arange(len(points)), nearest] <= grid_m
    points = np.where(at_end[:, None], candidates[np.arange(len(points)), nearest], points)
    keep = (level[a] == level[b]) | at_end
    points, a, b = points[keep], a[keep], b[keep]
    new_points = np.concatenate([points, points])
    new_owner = np.concatenate([a, b]).astype(np.int64)
    along_new = shapely.line_locate_point(lines[new_owner], shapely.points(new_points))
    step = np.zeros(len(coords))
    step[1:] = np.hypot(*(coords[1:] - coords[:-1]).T)
    step[np.r_[True, owner[1:] != owner[:-1]]] = 0.0
    along = np.cumsum(step)
    first = np.r_[True, owner[1:] != owner[:-1]]
    along -= along[np.flatnonzero(first)[np.cumsum(first) - 1]]
    all_coords = np.concatenate([coords, new_points])
    all_owner = np.concatenate([owner, new_owner])
    all_along = np.concatenate([along, along_new])
    # originals before inserted points at the same place; a line's last vertex stays last
    last = _line_ends(owner) & ~first
    rank = np.concatenate([np.where(last, 2, 0), np.ones(len(new_points))])
    order = np.lexsort((rank, all_along, all_owner))
    return all_coords[order], all_owner[order]


def unjoined(
    geometry: NDArray[Any],
    edge_u: IntArray,
    edge_v: IntArray,
    level: FloatArray,
    *,
    grid_m: float = GRID_M,
) -> dict[str, int]:
    """Count the places where streets meet on the drawing but not in the graph.

    Parameters
    ----------
    geometry, edge_u, edge_v
        The edges of a noded network.
    level
        The level of each edge.
    grid_m
        Points closer than this are one point.

    Returns
    -------
    dict
        ``crossings``: pairs of edges of the same level that cross without a
        junction; ``crossings_other_level``: the same for edges of different
        levels (bridges and tunnels: expected); ``ends_touching``: dead ends
        lying on another edge without a junction (a T-junction drawn without
        a vertex on the through street).
    """
    tree = shapely.STRtree(geometry)
    a, b = tree.query(geometry, predicate="crosses")
    pair = a < b
    a, b = a[pair], b[pair]
    same = level[a] == level[b]
    end_node = np.concatenate([edge_u, edge_v])
    end_edge = np.concatenate([np.arange(len(edge_u)), np.arange(len(edge_v))])
    end_point = np.concatenate([shapely.get_point(geometry, 0), shapely.get_point(geometry, -1)])
    dead = np.bincount(end_node)[end_node] == 1
    p, e = tree.query(end_point[dead], predicate="dwithin", distance=grid_m)
    touching = e != end_edge[dead][p]
    return {
        "crossings": int(same.sum()),
        "crossings_other_level": int((~same).sum()),
        "ends_touching": len(np.unique(p[touching])),
    }
