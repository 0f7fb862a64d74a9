"""HiGHS through its own Python binding (``highspy``): MILPs with a starting solution, LPs.

scipy's :func:`~scipy.optimize.milp` takes no starting solution, so a greedy answer
could not seed HiGHS's search; ``highspy`` (the HiGHS project's binding) takes one
(``setSolution``). Every run gets the time left before the caller's deadline as
HiGHS's ``time_limit`` and, as a second guard, interrupt callbacks (simplex, interior
point, branch and bound) that stop HiGHS once the deadline has passed -- HiGHS
checks its time limit only at some points of a solve.

The binding's pybind class ``_Highs`` is used rather than its Python subclass
``Highs``: the subclass registers its callbacks on construction, which prints HiGHS's
banner to standard output before ``output_flag`` can be switched off.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from highspy import HighsModelStatus, MatrixFormat, ObjSense, cb
from highspy._core import _Highs

from geoplan.models._arrays import FloatArray

if TYPE_CHECKING:
    from geoplan.models._program import _Program

#: HiGHS model statuses that mean "stopped by a limit or by us", not "failed".
_STOPPED = {
    HighsModelStatus.kTimeLimit,
    HighsModelStatus.kInterrupt,
    HighsModelStatus.kIterationLimit,
    HighsModelStatus.kSolutionLimit,
}

#: HiGHS's MIP presolve checks the time limit at only some of its steps (HiGHS issues
#: #1501, #2226): on the 554,359-nonzero coverage program of the 20,000 x 1,500
#: benchmark it ran 22 s past a 5 s limit, so larger MILPs are solved without it
#: (geoplan's own reduction has merged rows and dropped dominated candidates already).
_PRESOLVE_NONZEROS = 100_000

#: HiGHS does not check the deadline inside a MIP's root LP (a 683,000-nonzero p-median
#: program given 8 s returned after 14 s; a capacitated p-median given 2 s after 16 s),
#: though it does in a plain LP. So MILPs above this many nonzeros get their LP
#: relaxation solved first, and the MIP starts only with _ROOT_LP_SHARES times that
#: LP's time left.
_ROOT_LP_NONZEROS = 50_000
_ROOT_LP_SHARES = 1.5

#: Seconds per nonzero that HiGHS spends taking a program in and setting up before it
#: first checks the deadline: twice the 0.4 us measured (a 2.4-million-nonzero
#: capacitated p-median LP given 1 s returned after 1.8-2.2 s). A solve is not
#: started with less time left than that.
_SETUP_SECONDS = 8e-7

#: HiGHS's ``simplex_strategy`` value for the primal simplex method.
_PRIMAL_SIMPLEX = 4

#: The interrupt callbacks that carry the deadline.
_INTERRUPTS = (
    cb.HighsCallbackType.kCallbackSimplexInterrupt,
    cb.HighsCallbackType.kCallbackIpmInterrupt,
    cb.HighsCallbackType.kCallbackMipInterrupt,
)


@dataclass(frozen=True)
class _Run:
    """What HiGHS returned, in the model's units: status, values, objective and bound.

    ``x`` is None when HiGHS holds no feasible solution (``objective`` is then
    the worst value); ``bound`` is HiGHS's proven bound on the optimum (upper
    when the model maximises), infinite when it proved nothing.
    """

    status: str
    x: FloatArray | None
    objective: float
    bound: float


def _interrupt_at(deadline: float) -> Any:
    """Build a HiGHS callback that interrupts the solve once ``deadline`` has passed."""

    def callback(
        kind: Any, message: str, data_out: Any, data_in: Any, user_data: Any
    ) -> None:  # the signature HiGHS calls back with
        if data_in is not None and time.perf_counter() > deadline:
            data_in.user_interrupt = True

    return callback


#: Whether this process has made a HiGHS instance: HiGHS then keeps a pool of worker
#: threads, which a forked child does not have, so a child that solved with HiGHS would
#: wait for them forever (seen: a child spinning at 100 % CPU). See :func:`highs_started`.
_started = False


def highs_started() -> bool:
    """Whether HiGHS's worker threads may be running in this process (no fork may use HiGHS).

    Examples
    --------
    >>> isinstance(highs_started(), bool)
    True
    """
    return _started


def _solver(deadline: float, **options: Any) -> _Highs:
    """Make a silent HiGHS instance that stops at ``deadline`` (``perf_counter`` seconds)."""
    global _started  # noqa: PLW0603 - one flag for the process, read before a fork
    _started = True
    h = _Highs()
    h.setOptionValue("output_flag", False)
    for name, value in options.items():
        h.setOptionValue(name, value)
    if not math.isinf(deadline):
        h.setOptionValue("time_limit", max(deadline - time.perf_counter(), 1e-3))
        h.setCallback(_interrupt_at(deadline), None)
        for kind in _INTERRUPTS:
            h.startCallback(kind)
    return h


def _pass_program(h: _Highs, prog: _Program, *, integral: bool) -> None:
    """Hand ``prog`` to HiGHS, row-wise, as: minimise sign * (its objective).

    HiGHS then minimises c @ x + sign * offset, which is the model's objective
    (minimising models) or its negative (maximising ones), so that HiGHS's
    relative gap is the model's.
    """
    a = prog.a
    inf = math.inf
    integrality = (
        prog.integrality.astype(np.int32) if integral else np.zeros(prog.c.size, dtype=np.int32)
    )
    h.passModel(
        int(prog.c.size),
        int(a.shape[0]),
        int(a.nnz),
        int(MatrixFormat.kRowwise),
        int(ObjSense.kMinimize),
        float(prog.sign * prog.offset),
        np.ascontiguousarray(prog.c, dtype=np.float64),
        np.ascontiguousarray(np.nan_to_num(prog.lb, neginf=-inf), dtype=np.float64),
        np.ascontiguousarray(prog.ub, dtype=np.float64),
        np.ascontiguousarray(prog.lo, dtype=np.float64),
        np.ascontiguousarray(prog.hi, dtype=np.float64),
        np.ascontiguousarray(a.indptr, dtype=np.int32),
        np.ascontiguousarray(a.indices, dtype=np.int32),
        np.ascontiguousarray(a.data, dtype=np.float64),
        integrality,
    )


def _status(h: _Highs) -> str:
    status = h.getModelStatus()
    if status == HighsModelStatus.kOptimal:
        return "optimal"
    if status in (HighsModelStatus.kInfeasible, HighsModelStatus.kObjectiveBound):
        return "infeasible"
    if status in _STOPPED:
        return "time limit"
    return "failed"


def _values(h: _Highs, width: int) -> FloatArray | None:
    """Return the solution HiGHS holds (None when it has no feasible one)."""
    info = h.getInfo()
    if info.primal_solution_status != 2:  # kSolutionStatusFeasible
        return None
    x = np.asarray(h.getSolution().col_value, dtype=np.float64)
    return x if x.size == width else None


def _no_time(prog: _Program, deadline: float) -> bool:
    """Whether too little time is left before ``deadline`` for HiGHS to take ``prog`` in."""
    return deadline - time.perf_counter() < _SETUP_SECONDS * prog.nonzeros


def _run_milp(
    prog: _Program, deadline: float, mip_gap: float, *, start: list[int] | None = None
) -> _Run:
    """Solve ``prog`` as a MILP, from a starting solution when given.

    ``start`` lists the integer columns at 1 in a feasible solution (the others
    at 0; HiGHS completes the continuous ones). A program of more than
    :data:`_ROOT_LP_NONZEROS` with a deadline gets its LP relaxation solved
    first; the MIP is started only with :data:`_ROOT_LP_SHARES` times that LP's
    time left, else the LP's bound is returned (status ``"time limit"``, no
    solution).
    """
    if _no_time(prog, deadline):
        return _Run("time limit", None, prog.sign * math.inf, prog.sign * -math.inf)
    if prog.nonzeros > _ROOT_LP_NONZEROS and not math.isinf(deadline):
        started = time.perf_counter()
        lp = _run_lp(prog, deadline)
        if lp.status == "infeasible" or (
            lp.status in ("optimal", "time limit")
            and deadline - time.perf_counter() < _ROOT_LP_SHARES * (time.perf_counter() - started)
        ):
            return replace(lp, status="time limit" if lp.status == "optimal" else lp.status)
    options: dict[str, Any] = {"mip_rel_gap": float(mip_gap)}
    if prog.nonzeros > _PRESOLVE_NONZEROS:
        options["presolve"] = "off"
    h = _solver(deadline, **options)
    _pass_program(h, prog, integral=True)
    if start is not None:
        columns = np.flatnonzero(prog.integrality > 0).astype(np.int32)
        values = np.zeros(columns.size)
        values[np.isin(columns, np.asarray(start, dtype=np.int64))] = 1.0
        h.setSolution(int(columns.size), columns, values)
    h.run()
    status = _status(h)
    x = _values(h, prog.c.size)
    info = h.getInfo()
    low = float(info.mip_dual_bound)
    low = low if math.isfinite(low) else -math.inf
    high = float(info.objective_function_value) if x is not None else math.inf
    if status == "optimal" and x is not None:
        low = min(low, high) if low > -math.inf else high
    return _Run(status, x, prog.sign * high, prog.sign * low)


def _run_lp(prog: _Program, deadline: float, *, method: str = "choose") -> _Run:
    """Solve the LP relaxation of ``prog``: its optimum bounds the model's; its values."""
    if _no_time(prog, deadline):
        return _Run("time limit", None, prog.sign * math.inf, prog.sign * -math.inf)
    h = _solver(deadline, solver=method)
    _pass_program(h, prog, integral=False)
    h.run()
    status = _status(h)
    if status == "optimal":
        value = prog.sign * float(h.getInfo().objective_function_value)
        return _Run(status, _values(h, prog.c.size), value, value)
    return _Run(status, None, prog.sign * math.inf, prog.sign * -math.inf)


def _run_lp_opening(prog: _Program, rows: list[int]) -> list[float]:
    """Solve the LP relaxation of ``prog`` with ``rows`` closed, then after opening each in turn.

    Closed, a row's upper limit is 0; opening gives it back its own. Opening a
    row keeps the solution before feasible, so each solve is primal simplex from
    the basis of the one before and a run of small changes costs little more than
    one solve (30 capacity rows of a 14,500-pair flow LP: 0.4 s, where closing
    them one by one from the full LP with dual simplex took 2.1 s). Returns the
    optimum (model units) with every row closed and after each opening.
    """
    closed = prog.hi.copy()
    closed[rows] = np.minimum(closed[rows], 0.0)
    h = _solver(math.inf, solver="simplex", simplex_strategy=_PRIMAL_SIMPLEX)
    _pass_program(h, replace(prog, hi=closed), integral=False)
    values: list[float] = []
    for k in [-1, *range(len(rows))]:
        if k >= 0:
            row = int(rows[k])
            h.changeRowBounds(row, float(prog.lo[row]), float(prog.hi[row]))
        h.run()
        if _status(h) != "optimal":
            msg = f"an LP HiGHS should always solve ended {_status(h)}"
            raise RuntimeError(msg)
        values.append(prog.sign * float(h.getInfo().objective_function_value))
    return values
