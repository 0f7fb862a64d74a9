"""The solve driver: programs for HiGHS, time limits, exact-or-bound, and the result.

A model builds a :class:`_Program` (min c @ x over linear constraints), and this module
solves it as a MILP (:func:`scipy.optimize.milp`) or bounds it by its LP relaxation
(:func:`scipy.optimize.linprog`), picks the better of that and the greedy answer
(:func:`_exact_or_bound`), and turns the outcome into a :class:`~geoplan.models.Solution`
(:func:`_finish`: objective from the inputs, bound, gap, status, timing).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

from geoplan.models._arrays import _TOL, FloatArray, IntArray, _close, _empty_int
from geoplan.models._highs import _run_lp, _run_milp
from geoplan.models._program import _Program, _site_flags
from geoplan.models._reduce import _original_positions
from geoplan.models._validate import _solver
from geoplan.models.solution import Reduction, Solution

log = logging.getLogger("geoplan.models")

#: The solvers every model takes: see the package notes.
SolverName = Literal["auto", "exact", "greedy"]

#: ``solver="auto"`` solves exactly when the reduced program's constraint
#: matrix has at most this many nonzeros, and greedily otherwise.
AUTO_EXACT_NONZEROS = 1_000_000

#: The LP relaxation that bounds a greedy answer (``solver="greedy"``, or ``"auto"``
#: on a model too big to solve exactly) may take at most this long; past it the
#: looser online bound is reported as the gap (measured: 39 s for the LP of a 441 x 100k
#: MCLP whose greedy answer the online bound already put within 0.0 %).
AUTO_BOUND_SECONDS = 5.0

#: LP relaxations with more nonzeros use HiGHS's interior-point method (3.5x faster
#: than dual simplex on a 12k-row MCLP relaxation).
_IPM_NONZEROS = 50_000


def _deadline(start: float, *, solver: str, time_limit: float | None, mip_gap: float) -> float:
    """Check the solver options; the clock time (``perf_counter``) the solve must end by."""
    _solver(solver, time_limit, mip_gap)
    return math.inf if time_limit is None else start + float(time_limit)


def _bound_deadline(deadline: float) -> float:
    """Return the deadline of an LP that bounds a greedy answer (AUTO_BOUND_SECONDS at most)."""
    return min(deadline, time.perf_counter() + AUTO_BOUND_SECONDS)


def _count_row(m: int, width: int) -> sp.csr_array:
    """Build the row ``sum_j x_j`` (the number of sites) of a program ``width`` columns wide."""
    return sp.csr_array(_site_flags(m, width)[None, :])


def _pair_columns(s: sp.csr_array) -> tuple[IntArray, IntArray, sp.csr_array]:
    """One variable per stored pair of ``s`` (candidates x demand), after the m site variables.

    Returns each pair's candidate and demand point, and the rows (one per demand
    point) that sum its pairs' variables.
    """
    m, n = s.shape
    e = s.nnz
    j_of = np.repeat(np.arange(m), np.diff(s.indptr))
    i_of = s.indices
    per_point = sp.csr_array((np.ones(e), (i_of, m + np.arange(e))), shape=(n, m + e))
    return j_of, i_of, per_point


@dataclass(frozen=True)
class _Milp:
    x: FloatArray | None
    bound: float
    status: str


def _solve_milp(
    prog: _Program, deadline: float, mip_gap: float, start: list[int] | None = None
) -> _Milp:
    """Solve ``prog`` with HiGHS (``highspy``), from the sites ``start`` when given."""
    run = _run_milp(prog, deadline, mip_gap, start=start)
    return _Milp(x=run.x, bound=run.bound, status=run.status)


def _solve_lp(prog: _Program, deadline: float) -> float | None:
    """Solve the LP relaxation: its optimum in model units (a bound), or None."""
    run = _run_lp(prog, deadline, method="ipm" if prog.nonzeros > _IPM_NONZEROS else "choose")
    if run.status == "infeasible":
        return math.inf * prog.sign
    if run.status != "optimal":
        return None
    return run.objective


def _picked(x: FloatArray | None, m: int) -> list[int]:
    if x is None:
        return []
    return [int(j) for j in np.flatnonzero(x[:m] > 0.5)]


def _use_exact(solver: str, nonzeros: int) -> bool:
    """Whether to solve exactly: ``"exact"``, or ``"auto"`` on a program this small."""
    return solver == "exact" or (solver == "auto" and nonzeros <= AUTO_EXACT_NONZEROS)


def _exact_or_bound(
    prog: _Program,
    greedy: list[int],
    *,
    value: float,
    objective: Callable[[list[int]], float | None],
    maximise: bool,
    lp_bound: Callable[[float | None], float],
    n_candidates: int,
    solver: str,
    deadline: float,
    mip_gap: float,
) -> tuple[list[int], float, str, str]:
    """Solve the MILP when the solver rule says so, else bound the greedy sites by LP.

    Returns the sites kept (positions in the program), the bound, the solver's
    name and the status. ``value`` is the greedy sites' objective; ``objective``
    gives that of the sites HiGHS chose (None: not usable, e.g. a timed-out run
    short of a target), and HiGHS's sites are kept when they are at least as
    good. ``lp_bound`` turns the LP relaxation's optimum (None: the LP failed)
    into the bound reported for the greedy sites.
    """
    if not _use_exact(solver, prog.nonzeros):
        bound = lp_bound(_solve_lp(prog, _bound_deadline(deadline)))
        return greedy, bound, "greedy", "optimal" if _close(bound, value) else "heuristic"
    run = _solve_milp(prog, deadline, mip_gap, start=greedy)
    chosen = _picked(run.x, n_candidates)
    found = objective(chosen) if run.x is not None else None
    status = "optimal" if run.status == "optimal" else "time limit"
    sign = 1.0 if maximise else -1.0
    if found is not None and sign * found >= sign * value - _TOL * max(1.0, abs(value)):
        return chosen, run.bound, "highs", status
    bound = value if run.status == "infeasible" else run.bound
    return greedy, bound, "highs+greedy", status


@dataclass(frozen=True)
class _Outcome:
    """What an engine decided: chosen original positions, bound, provenance."""

    chosen: IntArray
    bound: float
    solver: str
    status: str
    notes: tuple[str, ...] = ()
    nonzeros: int = 0

    @classmethod
    def trivial(cls, bound: float, note: str) -> _Outcome:
        """Nothing to optimise: no sites, ``bound`` as the value, ``note`` saying why."""
        return cls(_empty_int(), bound, "trivial", "optimal", (note,))


def _improve_greedy(
    prog: _Program,
    greedy: list[int],
    *,
    value: float,
    cheap: float,
    objective: Callable[[list[int]], float | None],
    maximise: bool,
    cand: IntArray,
    solver: str,
    deadline: float,
    mip_gap: float,
) -> _Outcome:
    """Keep the greedy sites when a bound that cost nothing proves them; else solve or bound.

    ``value`` is the greedy sites' objective and ``cheap`` a bound on the optimum
    (upper when maximising); ``objective`` gives the value of other sites
    (positions in the reduced model, whose candidates are ``cand``). When
    ``cheap`` does not meet ``value``, the MILP is solved (or, for ``solver``
    ``"greedy"`` and big ``"auto"`` programs, its LP relaxation bounds the
    greedy answer), the better sites are kept, and the bound is the tighter of
    ``cheap`` and the solver's.
    """
    sign = 1.0 if maximise else -1.0
    tighter = min if maximise else max
    if sign * cheap <= sign * value + _TOL * max(1.0, abs(value)):
        return _Outcome(
            _original_positions(cand, greedy), cheap, "greedy", "optimal", nonzeros=prog.nonzeros
        )
    chosen, bound, name, status = _exact_or_bound(
        prog,
        greedy,
        value=value,
        objective=objective,
        maximise=maximise,
        lp_bound=lambda lp: cheap if lp is None else tighter(cheap, lp),
        n_candidates=cand.size,
        solver=solver,
        deadline=deadline,
        mip_gap=mip_gap,
    )
    sites = _original_positions(cand, chosen)
    return _Outcome(sites, tighter(bound, cheap), name, status, nonzeros=prog.nonzeros)


def _gap(objective: float, bound: float) -> float:
    if _close(objective, bound):
        return 0.0
    if objective == 0:
        return math.inf
    return abs(bound - objective) / abs(objective)


def _clamp(bound: float, objective: float, *, maximise: bool) -> float:
    return max(bound, objective) if maximise else min(bound, objective)


def _finish(
    model: str,
    start: float,
    outcome: _Outcome,
    *,
    objective: float,
    maximise: bool,
    order: IntArray,
    marginal: FloatArray,
    newly: FloatArray,
    reduction: Reduction,
    **extra: Any,
) -> Solution:
    bound = _clamp(outcome.bound, objective, maximise=maximise)
    status = outcome.status
    if status in ("time limit", "heuristic") and _close(bound, objective):
        status = "optimal"
    notes = outcome.notes + tuple(extra.pop("notes", ()))
    log.info(
        "%s: %d -> %d demand rows, %d -> %d candidates; %s (%s), objective %.6g, gap %.3g",
        model,
        reduction.demand_in,
        reduction.demand_out,
        reduction.candidates_in,
        reduction.candidates_out,
        outcome.solver,
        status,
        objective,
        _gap(objective, bound),
    )
    return Solution(
        model=model,
        chosen=order,
        objective=float(objective),
        bound=float(bound),
        gap=_gap(objective, bound),
        solver=outcome.solver,
        status=status,
        seconds=time.perf_counter() - start,
        marginal_gain=marginal,
        newly_covered=newly,
        reduction=reduction,
        notes=notes,
        **extra,
    )


def _fewer_note(p: int | None, k: int) -> tuple[str, ...]:
    if p is not None and k < p:
        return (f"{k} of {p} sites proposed: more sites would cover nothing new",)
    return ()
