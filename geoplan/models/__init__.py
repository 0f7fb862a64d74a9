"""Location-allocation core: which new sites to open, on sparse matrices.

Everything here works on plain arrays, independent of maps and networks:

* ``cover`` -- a candidates x demand sparse matrix; a *stored* entry means the
  candidate covers that demand point within the threshold;
* ``cost`` -- a candidates x demand sparse matrix of travel times whose stored
  entries are the pairs reached within the search limit (absent = unreachable);
* ``w`` -- demand weights (population, >= 0);
* existing facilities, held fixed: ``covered0`` (demand already covered) or
  ``cost0`` (current time to the nearest existing facility, ``inf`` when none).

New sites only add to what exists. Six models share one result type,
:class:`Solution`:

==========================  ==================================================
:func:`mclp`                maximal covering (p sites, or a budget)
:func:`lscp`                set covering: fewest / cheapest sites for a target
:func:`p_median`            minimum total weighted travel time
:func:`p_center`            minimum worst travel time
:func:`capacitated_mclp`    maximal covering with site capacities
:func:`equity_mclp`         max-min community coverage, or coverage floors
==========================  ==================================================

Solvers
-------
``solver="exact"`` solves a mixed-integer program with HiGHS through
:func:`scipy.optimize.milp` and reports HiGHS's proven bound (``mip_dual_bound``)
and gap. ``solver="greedy"`` runs a lazy greedy (CELF) heuristic -- followed,
for fixed-p coverage and p-median, by a swap (interchange) local search -- and
reports its gap to the LP relaxation (:func:`scipy.optimize.linprog`, HiGHS) or
to the submodular bound f(S) + the p largest marginal gains, whichever is
tighter. ``solver="auto"`` (the default) solves exactly when the reduced
program has at most :data:`AUTO_EXACT_NONZEROS` constraint nonzeros and
greedily otherwise; ``time_limit`` caps the exact solve either way.

Every exact run starts from the greedy solution. HiGHS is skipped when the
greedy value already meets the submodular bound (``solver="greedy"``,
``status="optimal"``). When HiGHS does not beat the greedy solution within the
time limit, the greedy solution is returned with HiGHS's bound
(``solver="highs+greedy"``). scipy's ``milp`` takes no starting solution; an
objective cut at the greedy value (covered weight >= greedy) was tried as a
substitute and left out: on clustered 100,000-point MCLPs it halved HiGHS's
time at p = 50 but tripled it at p = 20.

Ties: the greedy heuristics break ties towards the lowest candidate position.
HiGHS is deterministic for the same input, but among several optimal sets it
returns its own choice, not necessarily the lowest positions.

Model reduction
---------------
Before solving, demand that cannot change the answer is left out (zero
weight, already covered by an existing facility, or reached by no candidate --
the last reported as ``uncoverable``); demand points whose covering-candidate
sets are identical are merged (weights summed); candidates that cover nothing
new are dropped; and, for the pure coverage models, candidates whose cover
set is a subset of another candidate's at no lower cost are dropped
(``reduce=False`` keeps every candidate and demand point). None of this
changes the optimum.

Examples
--------
>>> import numpy as np
>>> import scipy.sparse as sp
>>> cover = sp.csr_array(np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]]))
>>> sol = mclp(cover, np.array([10.0, 5.0, 5.0, 10.0]), 2)
>>> sol.chosen.tolist(), sol.objective, sol.status
([0, 2], 30.0, 'optimal')
"""

from __future__ import annotations

from geoplan.models._solve import AUTO_BOUND_SECONDS, AUTO_EXACT_NONZEROS, SolverName
from geoplan.models.capacitated import capacitated_mclp
from geoplan.models.center import p_center
from geoplan.models.coverage import lscp, mclp
from geoplan.models.equity import equity_mclp
from geoplan.models.median import p_median
from geoplan.models.solution import Reduction, Solution

__all__ = [
    "AUTO_BOUND_SECONDS",
    "AUTO_EXACT_NONZEROS",
    "Reduction",
    "Solution",
    "SolverName",
    "capacitated_mclp",
    "equity_mclp",
    "lscp",
    "mclp",
    "p_center",
    "p_median",
]
