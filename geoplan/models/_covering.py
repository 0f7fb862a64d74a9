"""What the coverage-family models share: the demand split, site order, the set-cover program."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from geoplan.models._arrays import BoolArray, FloatArray, IntArray
from geoplan.models._greedy import _order_by_gain, _Reach
from geoplan.models._program import _Program, _site_flags
from geoplan.models._reduce import _Cover, _reduce_cover
from geoplan.models.solution import Reduction


@dataclass(frozen=True)
class _Demand:
    """The demand of a coverage model, split by what new sites can do for it.

    ``eligible`` demand has positive weight and no existing facility covers it
    (new sites can gain it); ``reachable`` demand is covered by some candidate;
    ``gainable`` is the weight of eligible demand and 0 elsewhere.
    """

    pattern: sp.csr_array
    weight: FloatArray
    done: BoolArray
    rows: sp.csr_array
    eligible: BoolArray
    reachable: BoolArray
    gainable: FloatArray

    @classmethod
    def of(cls, pattern: sp.csr_array, weight: FloatArray, done: BoolArray) -> _Demand:
        """Split the demand of ``pattern`` (candidates x demand; ``done``: covered already)."""
        rows = sp.csr_array(pattern.T)
        eligible = (weight > 0) & ~done
        reachable = np.diff(rows.indptr) > 0
        gainable = np.where(eligible, weight, 0.0)
        return cls(pattern, weight, done, rows, eligible, reachable, gainable)

    @property
    def uncoverable(self) -> IntArray:
        """Eligible demand no candidate covers (positions)."""
        return np.flatnonzero(self.eligible & ~self.reachable).astype(np.int64)

    @property
    def existing(self) -> float:
        """Weight the existing facilities cover."""
        return float(self.weight[self.done].sum())

    @property
    def total(self) -> float:
        return float(self.weight.sum())

    def model(
        self,
        cost: FloatArray,
        *,
        reduce: bool,
        extra: IntArray | None = None,
        dominance: bool = True,
    ) -> _Cover:
        """Build the coverage model of the demand new sites can gain and reach (reduced)."""
        active = self.eligible & self.reachable
        return _reduce_cover(
            self.rows, self.weight, active, cost, reduce=reduce, extra=extra, dominance=dominance
        )

    def order(self, chosen: IntArray) -> tuple[IntArray, FloatArray]:
        """Order sites by newly covered weight (largest first, ties to the lowest position)."""
        reach = _Reach(self.pattern, self.gainable)
        return _order_by_gain(chosen, reach.gains, reach.add)

    def newly_covered(self, chosen: IntArray) -> float:
        """Eligible weight the sites ``chosen`` cover."""
        return float(self.gainable[_reached(self.pattern, chosen)].sum())

    def reduction(self, model: _Cover, nonzeros: int) -> Reduction:
        """Sizes of the demand and candidates given, and of ``model``."""
        m, n = self.pattern.shape
        return Reduction(n, model.a.shape[1], m, model.a.shape[0], nonzeros)


def _reached(pattern: sp.csr_array, chosen: IntArray) -> BoolArray:
    if chosen.size == 0:
        return np.zeros(pattern.shape[1], dtype=bool)
    sub = pattern[chosen]
    hit = np.zeros(pattern.shape[1], dtype=bool)
    hit[sub.indices] = True
    return hit


def _lscp_program(model: _Cover, need: float) -> _Program:
    """Build: min cost @ x s.t. every row covered (full target) or sum v y >= need (partial)."""
    m, n = model.a.shape
    if need >= float(model.v.sum()) * (1 - 1e-12):
        return _Program(
            c=model.cost.astype(np.float64),
            integrality=np.ones(m),
            a=sp.csr_array(model.a.T),
            lo=np.ones(n),
            hi=np.full(n, np.inf),
            lb=np.zeros(m),
            ub=np.ones(m),
        )
    link = sp.hstack([-model.a.T, sp.eye_array(n)])
    total = sp.csr_array(np.concatenate([np.zeros(m), model.v])[None, :])
    return _Program(
        c=np.concatenate([model.cost, np.zeros(n)]),
        integrality=_site_flags(m, m + n),
        a=sp.vstack([link, total]).tocsr(),
        lo=np.concatenate([np.full(n, -np.inf), [need]]),
        hi=np.concatenate([np.zeros(n), [np.inf]]),
        lb=np.zeros(m + n),
        ub=np.ones(m + n),
    )
