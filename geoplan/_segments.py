"""Exact nearest-edge queries for many points, through a KD-tree of short pieces.

GEOS's STRtree ``query_nearest`` costs about 10-15 microseconds a point; for a
million homes that is the slowest step of a study. Here every edge polyline
is cut into pieces no longer than ``piece_m``; a KD-tree over the pieces'
midpoints gives candidates, and the exact point-to-segment distance picks the
nearest. The answer is exact: a piece whose midpoint is farther than
``d + piece_m / 2`` cannot be closer than ``d``, and every point checks that
its candidates include all pieces within that bound.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

__all__ = ["SegmentIndex", "expand_ranges", "sorted_unique"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

_K_STAGES = (8, 48)
_CHUNK = 65_536


@dataclass(frozen=True)
class SegmentIndex:
    """Pieces of every edge: start, end, edge number and offset along the edge."""

    ax: FloatArray
    ay: FloatArray
    bx: FloatArray
    by: FloatArray
    edge: IntArray
    offset0: FloatArray
    half: float
    tree: cKDTree
    edge_start: IntArray  # pieces of edge e are edge_start[e]:edge_start[e + 1]

    @classmethod
    def build(cls, geometry: NDArray[np.object_], *, piece_m: float | None = None) -> SegmentIndex:
        """Cut edge geometries into pieces and index their midpoints.

        Parameters
        ----------
        geometry
            One LineString per edge.
        piece_m
            Longest piece; the median segment length (between 5 and 50 m)
            when omitted.

        Returns
        -------
        SegmentIndex
        """
        coords, part = shapely.get_coordinates(geometry, return_index=True)
        same = part[1:] == part[:-1]
        a, b, edge = coords[:-1][same], coords[1:][same], part[:-1][same].astype(np.int64)
        seg_len = np.hypot(b[:, 0] - a[:, 0], b[:, 1] - a[:, 1])
        ends = np.cumsum(seg_len)
        first = np.searchsorted(edge, edge, side="left")
        offset0 = ends - seg_len - (ends[first] - seg_len[first])
        if piece_m is None:
            piece_m = float(np.clip(np.median(seg_len) if len(seg_len) else 10.0, 5.0, 50.0))
        counts = np.maximum(np.ceil(seg_len / piece_m).astype(np.int64), 1)
        seg = np.repeat(np.arange(len(seg_len)), counts)
        k = np.arange(len(seg)) - np.repeat(np.cumsum(counts) - counts, counts)
        f0 = k / counts[seg]
        f1 = (k + 1) / counts[seg]
        dx, dy = b[seg, 0] - a[seg, 0], b[seg, 1] - a[seg, 1]
        ax, ay = a[seg, 0] + f0 * dx, a[seg, 1] + f0 * dy
        bx, by = a[seg, 0] + f1 * dx, a[seg, 1] + f1 * dy
        half = float(np.max(np.hypot(bx - ax, by - ay)) / 2) if len(seg) else 0.0
        tree = cKDTree(np.column_stack([(ax + bx) / 2, (ay + by) / 2]))
        return cls(
            ax=ax,
            ay=ay,
            bx=bx,
            by=by,
            edge=edge[seg],
            offset0=offset0[seg] + f0 * seg_len[seg],
            half=half,
            tree=tree,
            edge_start=np.searchsorted(edge[seg], np.arange(len(geometry) + 1)).astype(np.int64),
        )

    def samples(
        self, edges: IntArray, spacing: float
    ) -> tuple[FloatArray, FloatArray, IntArray, FloatArray]:
        """Points along the given edges, no farther apart than ``spacing``, ends included.

        Returns
        -------
        x, y : numpy.ndarray
            Coordinates of the samples.
        edge : numpy.ndarray
            The edge of each sample.
        offset : numpy.ndarray
            Distance along that edge from its start.
        """
        starts = self.edge_start[edges]
        counts = self.edge_start[edges + 1] - starts
        pieces = expand_ranges(starts, counts)
        dx, dy = self.bx[pieces] - self.ax[pieces], self.by[pieces] - self.ay[pieces]
        length = np.hypot(dx, dy)
        n = np.ceil(length / spacing).astype(np.int64) + 1
        p = np.repeat(np.arange(len(pieces)), n)
        k = np.arange(len(p)) - np.repeat(np.cumsum(n) - n, n)
        f = k / np.maximum(n[p] - 1, 1)
        piece = pieces[p]
        return (
            self.ax[piece] + f * dx[p],
            self.ay[piece] + f * dy[p],
            self.edge[piece],
            self.offset0[piece] + f * length[p],
        )

    def nearest(
        self, x: FloatArray, y: FloatArray, max_distance: float
    ) -> tuple[IntArray, FloatArray, FloatArray]:
        """Nearest edge of each point within ``max_distance``.

        Returns
        -------
        edge : numpy.ndarray
            Edge number, -1 where no edge lies within ``max_distance``.
        distance : numpy.ndarray
            Straight distance to that edge (NaN where none).
        offset : numpy.ndarray
            Distance along the edge from its start to the nearest location.
        """
        parts = [
            self._nearest_chunk(x[i : i + _CHUNK], y[i : i + _CHUNK], max_distance)
            for i in range(0, len(x), _CHUNK)
        ]
        if not parts:
            return np.empty(0, dtype=np.int64), np.empty(0), np.empty(0)
        return (
            np.concatenate([p[0] for p in parts]),
            np.concatenate([p[1] for p in parts]),
            np.concatenate([p[2] for p in parts]),
        )

    def _nearest_chunk(
        self, x: FloatArray, y: FloatArray, max_distance: float
    ) -> tuple[IntArray, FloatArray, FloatArray]:
        n = len(x)
        edge = np.full(n, -1, dtype=np.int64)
        dist = np.full(n, np.inf)
        off = np.full(n, np.nan)
        todo = np.arange(n)
        for stage_k in _K_STAGES:
            k = min(stage_k, len(self.ax))
            e, d, o, complete = self._candidates(x[todo], y[todo], max_distance, k)
            edge[todo], dist[todo], off[todo] = e, d, o
            todo = todo[~complete]
            if todo.size == 0 or k == len(self.ax):
                break
        for i in todo:
            edge[i], dist[i], off[i] = self._nearest_one(float(x[i]), float(y[i]), float(dist[i]))
        far = ~(dist <= max_distance)
        edge[far] = -1
        dist[far] = np.nan
        off[far] = np.nan
        return edge, dist, off

    def _candidates(
        self, x: FloatArray, y: FloatArray, max_distance: float, k: int
    ) -> tuple[IntArray, FloatArray, FloatArray, NDArray[np.bool_]]:
        """Best of the k nearest pieces, and whether those k provably include the nearest."""
        n = len(x)
        bound = max_distance + self.half
        dk, ik = self.tree.query(
            np.column_stack([x, y]), k=k, distance_upper_bound=bound * (1 + 1e-9) + 1e-9, workers=-1
        )
        dk = dk.reshape(n, k)
        ik = ik.reshape(n, k)
        found = np.isfinite(dk)
        safe = np.where(found, ik, 0)
        dist, offset = self._exact(x[:, None], y[:, None], safe)
        dist = np.where(found, dist, np.inf)
        best = _argmin_then_lowest_edge(
            dist, np.where(found, self.edge[safe], np.iinfo(np.int64).max)
        )
        rows = np.arange(n)
        d_best = dist[rows, best]
        edge = np.where(np.isfinite(d_best), self.edge[safe[rows, best]], -1)
        # complete when the k-th midpoint is beyond d + half, or fewer than k lie within the bound
        complete = ~found[:, -1] | (dk[:, -1] > d_best + self.half)
        return edge.astype(np.int64), d_best, offset[rows, best], complete

    def _nearest_one(self, x: float, y: float, bound: float) -> tuple[int, float, float]:
        ids = np.asarray(
            self.tree.query_ball_point((x, y), bound + self.half + 1e-9), dtype=np.int64
        )
        dist, offset = self._exact(np.array([[x]]), np.array([[y]]), ids[None, :])
        best = _argmin_then_lowest_edge(dist, self.edge[ids][None, :])[0]
        return int(self.edge[ids[best]]), float(dist[0, best]), float(offset[0, best])

    def _exact(
        self, px: FloatArray, py: FloatArray, ids: IntArray
    ) -> tuple[FloatArray, FloatArray]:
        """Distance from points to pieces ``ids`` and offset of the nearest location."""
        ax, ay, bx, by = self.ax[ids], self.ay[ids], self.bx[ids], self.by[ids]
        dx, dy = bx - ax, by - ay
        length2 = dx * dx + dy * dy
        with np.errstate(invalid="ignore", divide="ignore"):
            t = np.where(length2 > 0, ((px - ax) * dx + (py - ay) * dy) / length2, 0.0)
        t = np.clip(t, 0.0, 1.0)
        qx, qy = ax + t * dx, ay + t * dy
        dist = np.hypot(px - qx, py - qy)
        return dist, self.offset0[ids] + t * np.sqrt(length2)


def expand_ranges(starts: IntArray, counts: IntArray) -> IntArray:
    """Concatenate ``arange(start, start + count)`` for every pair, vectorised."""
    within = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    return np.asarray(np.repeat(starts, counts) + within, dtype=np.int64)


def sorted_unique(values: IntArray) -> IntArray:
    """Return the sorted distinct values: ``numpy.unique``'s answer, by one sort.

    ``numpy.unique`` hashes integers first (numpy 2.4, measured): five times
    slower on the few thousand edges of one community's search.

    Examples
    --------
    >>> sorted_unique(np.array([5, 1, 5, 3, 1])).tolist()
    [1, 3, 5]
    """
    ordered = np.sort(values)
    first = np.ones(len(ordered), dtype=bool)
    first[1:] = ordered[1:] != ordered[:-1]
    return ordered[first]


def _argmin_then_lowest_edge(dist: FloatArray, edge: NDArray[np.int64]) -> IntArray:
    """Column of the smallest distance per row; exact ties go to the lowest edge number."""
    best = np.argmin(dist, axis=1)
    d_min = dist[np.arange(len(dist)), best]
    tie = dist == d_min[:, None]
    if (tie.sum(axis=1) > 1).any():
        masked = np.where(tie, edge, np.iinfo(np.int64).max)
        best = np.argmin(masked, axis=1)
    return np.asarray(best, dtype=np.int64)
