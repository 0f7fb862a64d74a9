"""What every model returns: :class:`Solution`, and :class:`Reduction` (how much it shrank)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import scipy.sparse as sp
from numpy.typing import NDArray

from geoplan.models._arrays import FloatArray, IntArray, _empty_float, _empty_int


@dataclass(frozen=True, eq=False)
class Reduction:
    """How much the model shrank before it was solved.

    Attributes
    ----------
    demand_in, demand_out
        Demand points given; demand rows in the solved model (after merging).
    candidates_in, candidates_out
        Candidate sites given; candidates in the solved model.
    nonzeros
        Nonzeros of the solved program's constraint matrix (what ``solver="auto"``
        looks at); 0 when no program was built.
    """

    demand_in: int
    demand_out: int
    candidates_in: int
    candidates_out: int
    nonzeros: int = 0


@dataclass(frozen=True, eq=False)
class Solution:
    """The sites a model proposes, with the evidence for them.

    Attributes
    ----------
    model
        ``"mclp"``, ``"lscp"``, ``"lscp_b"``, ``"p_median"``, ``"p_center"``,
        ``"capacitated_mclp"``, ``"capacitated_p_median"`` or ``"equity_mclp"``.
    chosen
        Candidate positions (rows of ``cover``/``cost``), in the order a greedy
        pass over them adds the most: largest marginal gain first, ties to the
        lowest position.
    objective
        The model's objective for ``chosen`` (recomputed from the inputs, not
        taken from the solver): newly covered weight (``mclp``), number of
        sites or total cost (``lscp``), backed-up weight (``lscp_b``), total
        weighted travel time (``p_median``, ``capacitated_p_median``), worst
        travel time (``p_center``), newly served weight
        (``capacitated_mclp``), minimum community share (``equity_mclp``,
        ``"maxmin"``) or newly covered weight (``equity_mclp``, ``"floor"``).
    bound
        Best proven bound on the optimum: an upper bound for maximising models,
        a lower bound for minimising ones.
    gap
        ``|bound - objective| / |objective|`` (0 when they agree; ``inf`` when
        the objective is 0 and the bound is not).
    solver
        ``"highs"`` (HiGHS's MILP solution), ``"greedy"`` (the heuristic's),
        ``"highs+greedy"`` (the greedy solution, kept because HiGHS did not beat
        it within the time limit, with HiGHS's bound) or ``"trivial"`` (nothing
        to optimise).
    status
        ``"optimal"`` (within ``mip_gap`` of the proven bound), ``"time limit"``
        (stopped early; see ``gap``), ``"heuristic"`` (greedy, not proven) or
        ``"infeasible"`` (the model's requirement cannot be met for anybody --
        :func:`lscp` and :func:`lscp_b` with no coverable demand,
        :func:`p_center` with no reachable demand; no sites, and ``notes``
        says why and what to change).
    seconds
        Wall-clock time of the whole call, reduction included.
    marginal_gain
        Per chosen site, in order: the objective's improvement when it is added
        to the sites before it (for ``lscp``, ``lscp_b`` and ``equity_mclp``
        the newly covered weight instead; for ``capacitated_p_median`` the
        weight it serves).
    newly_covered
        Per chosen site, in order: weight it brings within reach for the first
        time (coverage models: within the threshold; ``p_median``/``p_center``:
        within the search limit).
    served
        Per chosen site: weight allocated to it (nearest site for
        ``p_median``/``p_center``, the flow for ``capacitated_mclp``, the
        assignment for ``capacitated_p_median``); empty for the other models.
    uncoverable
        Demand positions with positive weight that no candidate and no existing
        facility reaches.
    covered_weight, total_weight
        Weight covered (existing plus new; for ``capacitated_mclp`` served) and
        the total weight; ``covered_share`` is their ratio.
    mean_time
        ``p_median``/``p_center``: weight-averaged travel time, unreached demand
        counted at the penalty (the search limit).
    group_labels, group_share, below_floor, shortfall
        ``equity_mclp``: community labels, each community's coverage share,
        the communities below ``floor`` and the weight short of the floors.
    reduction
        Sizes before and after model reduction.
    allocation
        ``capacitated_p_median``: candidates x demand (scipy sparse), the
        weight of each demand point each site serves (one site per point
        unless ``split=True``); None for the other models.
    notes
        Plain-language remarks (fewer sites than asked, relaxed targets, ...).
    """

    model: str
    chosen: IntArray
    objective: float
    bound: float
    gap: float
    solver: str
    status: str
    seconds: float
    marginal_gain: FloatArray
    newly_covered: FloatArray
    served: FloatArray = field(default_factory=_empty_float)
    uncoverable: IntArray = field(default_factory=_empty_int)
    covered_weight: float = math.nan
    total_weight: float = math.nan
    mean_time: float = math.nan
    group_labels: NDArray[Any] | None = None
    group_share: FloatArray | None = None
    below_floor: tuple[Any, ...] = ()
    shortfall: float = math.nan
    reduction: Reduction | None = None
    allocation: sp.csr_array | None = None
    notes: tuple[str, ...] = ()

    @property
    def covered_share(self) -> float:
        """Covered weight / total weight (NaN when there is no weight)."""
        if not self.total_weight > 0:
            return math.nan
        return self.covered_weight / self.total_weight

    def __repr__(self) -> str:
        return (
            f"Solution(model={self.model!r}, chosen={self.chosen.tolist()}, "
            f"objective={self.objective:.6g}, bound={self.bound:.6g}, gap={self.gap:.3g}, "
            f"solver={self.solver!r}, status={self.status!r}, seconds={self.seconds:.3f})"
        )
