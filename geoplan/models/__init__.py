"""Location models on your own matrix: which new sites to open.

Six classic location-allocation models, solved on plain arrays. Nothing here
needs a map, a network or any other part of geoplan: build the candidates x
demand matrix however you like -- network travel times, straight-line
distances, the output of another tool -- and pass it in.
(:func:`geoplan.propose_sites` is the network-level front end that builds the
matrix from a street network and calls these functions.)

Inputs
------
``cover``
    A candidates x demand matrix: one row per candidate site, one column per
    demand point, dense or :mod:`scipy.sparse`. Boolean or 0/1: ``True``/1
    means "this candidate covers this demand point within the threshold"
    (e.g. ``dist <= 800``; in a sparse matrix a stored ``False``/0 does not
    cover). A matrix of distances or times needs ``radius=``: a pair covers
    when its value is <= ``radius``, zeros included (a 0 is "at the site"),
    and ``np.inf`` (dense) or an unstored pair (sparse) is out of reach. A
    matrix with values other than 0 and 1 and no ``radius`` is refused --
    read as flags, every nonzero distance would "cover".
``cost``
    A candidates x demand matrix of travel times (or distances), for the
    travel-time models. As a sparse matrix, the stored entries are the pairs
    reached within the search limit, absent pairs are unreachable and a
    stored 0 is a real time of 0; as a dense array, ``np.inf`` marks the
    unreachable pairs. Of duplicate entries for one pair the shortest counts.
``w``
    Demand weight per demand point (usually population), finite and >= 0;
    demand of weight 0 never changes the answer.
Existing facilities
    Held fixed: new sites only add to them. The coverage models take
    ``covered0`` (True for demand an existing facility already covers); the
    travel-time models take ``cost0`` (each demand point's time to its nearest
    existing facility, ``np.inf`` where none is reached).

Results refer to positions: ``Solution.chosen`` holds rows of ``cover`` or
``cost`` (candidates), ``Solution.uncoverable`` columns (demand points).

Models
------
==========================  ==================================================
:func:`mclp`                maximal covering: the p sites (or the sites within
                            a budget) that newly cover the most weight
:func:`lscp`                set covering: the fewest (or cheapest) sites that
                            reach a coverage target
:func:`lscp_b`              backup covering: the fewest sites covering all
                            demand, then the most demand covered twice
:func:`p_median`            p sites minimising total weighted travel time
:func:`p_center`            p sites minimising the worst travel time
:func:`capacitated_mclp`    maximal covering where each site serves at most
                            its capacity
:func:`capacitated_p_median` p sites within their capacities serving all
                            demand at least total weighted travel time
:func:`equity_mclp`         raise the worst-covered community first (max-min),
                            or coverage floors per community
==========================  ==================================================

Each function's docstring states its formulation and a reference. All return
a :class:`Solution`.

Solvers
-------
``solver="exact"`` solves a mixed-integer program with HiGHS (through its own
binding, ``highspy``, which takes a starting solution and stops at the deadline
by callback) and reports HiGHS's proven bound and gap. ``solver="greedy"`` runs
a lazy greedy (CELF) heuristic and reports its gap to the tightest cheap bound.
``solver="auto"`` (the default) solves exactly when the reduced program has at
most :data:`AUTO_EXACT_NONZEROS` constraint nonzeros and greedily otherwise.
``time_limit`` caps the whole call, whichever solver runs.

Fixed-p :func:`mclp` and :func:`p_median` share one engine
(``geoplan.models._facility``): greedy and fast swaps (Whitaker, 1983; Resende &
Werneck, 2004), then a Lagrangian bound by subgradient steps (Beasley, 1993)
whose multipliers also prove candidates in or out of every better solution;
``"exact"`` and ``"auto"`` hand what is left open to HiGHS, started from the best
sites so far. The greedy solver reports the Lagrangian bound too, so its gap is
honest. The other models bound a greedy answer by their LP relaxation (at most
:data:`AUTO_BOUND_SECONDS`) and start HiGHS from the greedy sites. See
``docs/MODELS.md`` for every formulation and for what the statuses mean.

The greedy solution is always computed first. HiGHS is skipped when the
greedy value already meets a bound that costs nothing (the submodular bound;
for :func:`capacitated_mclp`, the p largest capacities): the result is then
``solver="greedy"``, ``status="optimal"``. When HiGHS does not beat the
greedy solution within the time limit, the greedy solution is returned with
HiGHS's bound (``solver="highs+greedy"``).

Bound and gap
-------------
``Solution.objective`` is recomputed from your inputs for the sites chosen,
never taken from a solver. ``Solution.bound`` is the best proven bound on the
optimum -- an upper bound for the maximising models (:func:`mclp`,
:func:`capacitated_mclp`, :func:`equity_mclp`), a lower bound for the
minimising ones (:func:`lscp`, :func:`p_median`, :func:`p_center`) -- and
``Solution.gap`` is ``|bound - objective| / |objective|`` (0 when they agree,
``inf`` when the objective is 0 and the bound is not). ``status`` is
``"optimal"`` (proven, within ``mip_gap``), ``"time limit"`` (HiGHS stopped
early; see the gap), ``"heuristic"`` (greedy, not proven) or ``"infeasible"``
(the model's requirement cannot be met for anybody: an LSCP whose demand no
candidate covers, a p-center whose demand nothing reaches); ``solver`` says
whose sites they are (``"highs"``, ``"greedy"``, ``"highs+greedy"`` or
``"trivial"`` when there was nothing to optimise). A ``"trivial"`` answer's
note says why: every weight is 0, existing facilities already serve everyone,
no candidate reaches the demand left, or no candidate fits the budget.

Model reduction
---------------
Before solving, demand that cannot change the answer is left out (zero
weight, already covered by an existing facility, or reached by no candidate --
the last reported as ``uncoverable``); demand points whose covering-candidate
sets are identical are merged (weights summed); candidates that cover nothing
new are dropped; and, for the pure coverage models, candidates whose cover
set is a subset of another candidate's at no lower cost are dropped
(``reduce=False`` keeps every candidate and demand point). None of this
changes the optimum; ``Solution.reduction`` reports the sizes before and after.

Ties
----
The greedy heuristics break ties towards the lowest candidate position, and
``Solution.chosen`` lists the sites in the order a greedy pass over them adds
the most (ties again to the lowest position). HiGHS is deterministic for the
same input, but among several optimal sets it returns its own choice, not
necessarily the lowest positions.

Examples
--------
A dense boolean matrix (3 candidates x 4 demand points) and two new sites:

>>> import numpy as np
>>> from geoplan import models
>>> cover = np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]], dtype=bool)
>>> sol = models.mclp(cover, [10.0, 5.0, 5.0, 10.0], 2)
>>> sol.chosen.tolist(), sol.objective, sol.bound, sol.gap, sol.status
([0, 2], 30.0, 30.0, 0.0, 'optimal')

The same matrix as a scipy sparse array gives the same answer:

>>> import scipy.sparse as sp
>>> models.mclp(sp.csr_array(cover), [10.0, 5.0, 5.0, 10.0], 2).chosen.tolist()
[0, 2]
"""

from __future__ import annotations

from geoplan.models._solve import AUTO_BOUND_SECONDS, AUTO_EXACT_NONZEROS, SolverName
from geoplan.models.backup import lscp_b
from geoplan.models.capacitated import capacitated_mclp
from geoplan.models.capacitated_median import capacitated_p_median
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
    "capacitated_p_median",
    "equity_mclp",
    "lscp",
    "lscp_b",
    "mclp",
    "p_center",
    "p_median",
]
