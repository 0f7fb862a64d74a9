"""The solve driver: programs for HiGHS, time limits, exact-or-bound, and the result.

A model builds a :class:`_Program` (min c @ x over linear constraints), and this module
solves it as a MILP (:func:`scipy.optimize.milp`) or bounds it by its LP relaxation
(:func:`scipy.optimize.linprog`), picks the better of that and the greedy answer
(:func:`_decide`), and turns the outcome into a :class:`~geoplan.models.Solution`
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
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from geoplan.models._arrays import _TOL, FloatArray, IntArray, _close
from geoplan.models._validate import _fail
from geoplan.models.solution import Reduction, Solution

log = logging.getLogger("geoplan.models")

SolverName = Literal["auto", "exact", "greedy"]


#: ``solver="auto"`` solves exactly when the reduced program's constraint
#: matrix has at most this many nonzeros, and greedily otherwise.
AUTO_EXACT_NONZEROS = 1_000_000


#: With ``solver="auto"`` on a model too big to solve exactly, the LP relaxation
#: that bounds the greedy answer may take at most this long; past it the looser
#: online bound is reported as the gap (measured: 39 s for the LP of a 441 x 100k
#: MCLP whose greedy answer the online bound already put within 0.0 %).
AUTO_BOUND_SECONDS = 5.0


#: LP relaxations with more nonzeros use HiGHS's interior-point method (3.5x faster
#: than dual simplex on a 12k-row MCLP relaxation).
_IPM_NONZEROS = 50_000


def _deadline(start: float, time_limit: float | None) -> float:
    if time_limit is None:
        return math.inf
    if isinstance(time_limit, bool) or not time_limit > 0:
        msg = f"time_limit must be a positive number of seconds (or None); got {time_limit!r}"
        raise _fail(msg)
    return start + float(time_limit)


def _bound_deadline(deadline: float) -> float:
    """Return the deadline of a bounding LP in auto mode (capped at AUTO_BOUND_SECONDS)."""
    return min(deadline, time.perf_counter() + AUTO_BOUND_SECONDS)


def _remaining(deadline: float) -> float | None:
    if math.isinf(deadline):
        return None
    return max(deadline - time.perf_counter(), 1e-3)


@dataclass(frozen=True)
class _Program:
    """min c @ x subject to lo <= a @ x <= hi, lb <= x <= ub; objective = sign*c@x + offset."""

    c: FloatArray
    integrality: FloatArray
    a: sp.csr_array
    lo: FloatArray
    hi: FloatArray
    lb: FloatArray
    ub: FloatArray
    sign: float = 1.0
    offset: float = 0.0

    @property
    def nonzeros(self) -> int:
        return int(self.a.nnz)

    def model_value(self, raw: float) -> float:
        return self.sign * raw + self.offset


@dataclass(frozen=True)
class _Milp:
    x: FloatArray | None
    bound: float
    status: str


def _solve_milp(prog: _Program, deadline: float, mip_gap: float) -> _Milp:
    options: dict[str, Any] = {"mip_rel_gap": mip_gap}
    limit = _remaining(deadline)
    if limit is not None:
        options["time_limit"] = limit
    res = milp(
        prog.c,
        integrality=prog.integrality,
        bounds=Bounds(prog.lb, prog.ub),
        constraints=LinearConstraint(prog.a, prog.lo, prog.hi),
        options=options,
    )
    raw_bound = res.get("mip_dual_bound")
    if raw_bound is None or not np.isfinite(raw_bound):
        raw_bound = -np.inf
    status = {0: "optimal", 1: "time limit", 2: "infeasible"}.get(int(res.status), "failed")
    x = None if res.x is None else np.asarray(res.x, dtype=np.float64)
    if status == "optimal" and x is not None:
        raw_bound = (
            min(float(raw_bound), float(prog.c @ x)) if raw_bound > -np.inf else float(prog.c @ x)
        )
    return _Milp(x=x, bound=prog.model_value(float(raw_bound)), status=status)


def _solve_lp(prog: _Program, deadline: float) -> float | None:
    """Solve the LP relaxation: its optimum in model units (a bound), or None."""
    a, lo, hi = prog.a, prog.lo, prog.hi
    eq = np.isfinite(lo) & np.isfinite(hi) & (lo == hi)
    upper = np.isfinite(hi) & ~eq
    lower = np.isfinite(lo) & ~eq
    a_ub = sp.vstack([a[np.flatnonzero(upper)], -a[np.flatnonzero(lower)]]).tocsr()
    b_ub = np.concatenate([hi[upper], -lo[lower]])
    options: dict[str, Any] = {}
    limit = _remaining(deadline)
    if limit is not None:
        options["time_limit"] = limit
    res = linprog(
        prog.c,
        A_ub=a_ub if a_ub.shape[0] else None,
        b_ub=b_ub if a_ub.shape[0] else None,
        A_eq=a[np.flatnonzero(eq)] if eq.any() else None,
        b_eq=lo[eq] if eq.any() else None,
        bounds=np.column_stack([prog.lb, prog.ub]),
        method="highs-ipm" if prog.nonzeros > _IPM_NONZEROS else "highs",
        options=options,
    )
    if res.status == 2:
        return math.inf * prog.sign
    if res.status != 0:
        return None
    return prog.model_value(float(res.fun))


def _picked(x: FloatArray | None, m: int) -> list[int]:
    if x is None:
        return []
    return [int(j) for j in np.flatnonzero(x[:m] > 0.5)]


@dataclass(frozen=True)
class _Exact:
    """A model's exact solve (``run``, its sites and their value) or, instead, its LP bound."""

    run: _Milp | None
    chosen: list[int]
    value: float | None
    lp_bound: float | None


def _exact_or_bound(
    prog: _Program,
    *,
    solver: str,
    deadline: float,
    mip_gap: float,
    n_candidates: int,
    value: Callable[[list[int]], float | None],
) -> _Exact:
    """Solve the MILP when the solver rule says so; otherwise bound the greedy answer by LP.

    ``value`` gives the objective of the sites the MILP chose (None: not usable).
    """
    if not _use_exact(solver, prog):
        return _Exact(None, [], None, _solve_lp(prog, _bound_deadline(deadline)))
    run = _solve_milp(prog, deadline, mip_gap)
    chosen = _picked(run.x, n_candidates)
    return _Exact(run, chosen, value(chosen) if run.x is not None else None, None)


def _use_exact(solver: str, prog: _Program) -> bool:
    return solver == "exact" or (solver == "auto" and prog.nonzeros <= AUTO_EXACT_NONZEROS)


def _decide(
    *,
    greedy: list[int],
    greedy_value: float,
    run: _Milp | None,
    milp_value: float | None,
    milp_chosen: list[int],
    maximise: bool,
    heuristic_bound: float | None,
) -> tuple[list[int], float, str, str]:
    """Pick the better of greedy and MILP and label the result."""
    sign = 1.0 if maximise else -1.0
    if run is None:
        bound = greedy_value if heuristic_bound is None else heuristic_bound
        status = "optimal" if _close(bound, greedy_value) else "heuristic"
        return greedy, bound, "greedy", status
    bound = run.bound
    status = "optimal" if run.status == "optimal" else "time limit"
    if milp_value is not None and sign * milp_value >= sign * greedy_value - _TOL * max(
        1.0, abs(greedy_value)
    ):
        return milp_chosen, bound, "highs", status
    if run.status == "infeasible":
        bound = greedy_value
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
    if status != "optimal" and _close(bound, objective):
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
