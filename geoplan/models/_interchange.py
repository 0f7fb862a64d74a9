"""Swap (interchange) local search for f(S) = sum_i v_i max(0, max_{j in S} s_ij), fast.

Every exchange of a chosen site r for a candidate j is priced at once (the fast
interchange of Whitaker, 1983, as refined by Resende & Werneck, 2007): with b1, b2
each point's best and second-best saving among the chosen sites and ``own`` the
position of the site giving b1, the exchange changes f by

    gain_j - loss_r + extra_rj

where gain_j = sum_i v_i max(0, s_ij - b1_i) is what j adds, loss_r = sum over
the points r serves of v_i (b1_i - b2_i) what dropping r costs, and extra_rj =
sum over those points of v_i (max(0, s_ij - b2_i) - max(0, s_ij - b1_i))
corrects gain_j where r no longer serves. An exchange touches only the points
that r or j reach, so the three tables are updated from those points' pairs
alone (subtract their old share, recompute their b1, b2, ``own``, add the new).
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from geoplan.models._arrays import _TOL, FloatArray, IntArray, _sums
from geoplan.models._by_point import _ByPoint

#: Exchanges between two recomputations of the tables from scratch (bounds drift).
_REFRESH = 100


class _Interchange:
    """The tables of :mod:`geoplan.models._interchange` for a current set of sites."""

    def __init__(
        self, s: sp.csr_array, v: FloatArray, chosen: list[int], by: _ByPoint | None = None
    ) -> None:
        self.s = s
        self.m, self.n = s.shape
        self.v = v
        self.by = _ByPoint(s) if by is None else by
        # coverage (every saving 1) with each candidate's points in order: what a point
        # adds to ``gains`` is one sparse product (see _rebuild)
        self.unit = bool(np.all(s.data == 1.0)) and bool(s.has_sorted_indices)
        self.current = list(chosen)
        self._rebuild()

    def _rebuild(self) -> None:
        k = len(self.current)
        self.slot = np.full(self.m, -1, dtype=np.int64)
        self.slot[self.current] = np.arange(k)
        self.b1 = np.zeros(self.n)
        self.b2 = np.zeros(self.n)
        self.own = np.full(self.n, -1, dtype=np.int64)
        self.gains = np.zeros(self.m)
        self.loss = np.zeros(k)
        self.extra = np.zeros(k * self.m)
        everyone = np.arange(self.n)
        self._rank(everyone)
        if not self.unit:
            self._add(everyone, 1.0)
            return
        # coverage: a point no chosen site covers adds v_i to the gain of each candidate
        # reaching it, in point order as _add sums them (1.0 * v_i is v_i, a covered
        # point adds 0): s @ (v where uncovered), the same sums without every pair's
        # arrays; the covered points' shares of loss and extra as _add gives them
        self.gains = np.asarray(self.s @ np.where(self.b1 > 0, 0.0, self.v), dtype=np.float64)
        self._add(np.flatnonzero(self.own >= 0), 1.0)

    def _rank(self, points: IntArray) -> None:
        """Recompute b1, b2 and ``own`` (position of the best site) of ``points``."""
        block = sp.csr_array(self.s[self.current])[:, points].toarray()
        cols = np.arange(points.size)
        first = np.argmax(block, axis=0)  # ties: the lowest position
        best = block[first, cols]
        self.b1[points] = best
        self.own[points] = np.where(best > 0, first, -1)
        block[first, cols] = -np.inf
        self.b2[points] = np.maximum(block.max(axis=0), 0.0) if len(self.current) > 1 else 0.0

    def _add(self, points: IntArray, sign: float) -> None:
        """Add (``sign`` 1) or remove (-1) the share of ``points`` in the three tables.

        Only pairs with a saving above the point's b2 count in any table.
        """
        at = self.by.above(points, self.b2[points])
        i, j, s = self.by.point[at], self.by.site[at], self.by.saving[at]
        w = self.v[i]
        b1 = self.b1[i]
        self.gains += sign * _sums(j, w * np.maximum(s - b1, 0.0), self.m)
        owned = points[self.own[points] >= 0]
        k = self.loss.size
        self.loss += sign * _sums(
            self.own[owned], self.v[owned] * (self.b1[owned] - self.b2[owned]), k
        )
        r = self.own[i]
        hit = r >= 0
        extra = w[hit] * ((s[hit] - self.b2[i[hit]]) - np.maximum(s[hit] - b1[hit], 0.0))
        self.extra += sign * _sums(r[hit] * self.m + j[hit], extra, k * self.m)

    def best(self) -> tuple[float, int, int]:
        """Find the best exchange: (change in f, position in the current sites, candidate in).

        Ties go to the lowest position, then the lowest candidate.
        """
        table = self.extra.reshape(self.loss.size, self.m) + (
            self.gains[None, :] - self.loss[:, None]
        )
        table[:, self.current] = -np.inf
        flat = int(np.argmax(table))
        pos, j = divmod(flat, self.m)
        return float(table[pos, j]), pos, j

    def exchange(self, pos: int, j: int) -> None:
        """Replace the site at ``pos`` by candidate ``j``, updating the tables."""
        r = self.current[pos]
        touched = np.union1d(self._reach(r), self._reach(j)).astype(np.int64)
        self._add(touched, -1.0)
        self.current[pos] = j
        self.slot[r] = -1
        self.slot[j] = pos
        self._rank(touched)
        self._add(touched, 1.0)

    def _reach(self, j: int) -> IntArray:
        lo, hi = self.s.indptr[j], self.s.indptr[j + 1]
        return np.asarray(self.s.indices[lo:hi], dtype=np.int64)


def _interchange(
    s: sp.csr_array,
    v: FloatArray,
    chosen: list[int],
    deadline: float,
    by: _ByPoint | None = None,
) -> list[int]:
    """Best-improvement swap search from ``chosen`` until no exchange improves f.

    Stops early, keeping the exchanges made, once ``perf_counter()`` passes
    ``deadline``. ``by`` is ``s`` grouped by point, when already built.
    """
    if not chosen or len(chosen) >= s.shape[0]:
        return list(chosen)
    state = _Interchange(s, v, chosen, by)
    scale = max(1.0, float(v.sum()) * float(s.data.max(initial=0.0)))
    for step in range(10 * len(chosen) + 10):
        if time.perf_counter() > deadline:
            break
        if step and step % _REFRESH == 0:
            state._rebuild()
        gain, pos, j = state.best()
        if gain <= _TOL * scale:
            break
        state.exchange(pos, j)
    return state.current
