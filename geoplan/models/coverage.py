"""Coverage models: maximal covering (:func:`mclp`) and set covering (:func:`lscp`)."""

from __future__ import annotations

import math
import numbers
import time
from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike

from geoplan.models._arrays import _TOL, FloatArray
from geoplan.models._covering import _Demand, _lscp_program
from geoplan.models._explain import _budget_note, _explained, _idle_note, _lscp_met
from geoplan.models._facility import _choose
from geoplan.models._greedy import _celf, _cover_value, _online_bound, _prune, _Savings, _swap
from geoplan.models._program import _Program, _site_flags
from geoplan.models._reduce import _Cover, _original_positions
from geoplan.models._solve import (
    SolverName,
    _count_row,
    _deadline,
    _exact_or_bound,
    _fewer_note,
    _finish,
    _improve_greedy,
    _Outcome,
)
from geoplan.models._validate import _as_pattern, _costs, _count, _fail, _flags, _weights
from geoplan.models.solution import Solution


def mclp(
    cover: Any,
    w: ArrayLike,
    p: int | None = None,
    *,
    covered0: ArrayLike | None = None,
    cost: ArrayLike | None = None,
    budget: float | None = None,
    radius: float | None = None,
    solver: SolverName = "auto",
    time_limit: float | None = 60.0,
    mip_gap: float = 1e-6,
    reduce: bool = True,
) -> Solution:
    """Maximal covering: open new sites that newly cover the most weight.

    Parameters
    ----------
    cover
        Candidates x demand matrix, dense or scipy sparse: boolean or 0/1
        (True/1 = "covers within the threshold"; a stored 0 or False does not
        cover), or -- with ``radius`` -- distances or times. A matrix holding
        other values without ``radius`` is refused: every nonzero distance
        would otherwise count as "covers".
    w
        Demand weight (population) per demand point, finite and >= 0.
    p
        Number of new sites. May be omitted when ``budget`` is given; with both,
        both limits hold. Sites that would add no newly covered weight are not
        proposed, so ``chosen`` can be shorter than ``p``.
    covered0
        True for demand already covered by existing facilities (held fixed);
        they count in ``covered_weight`` but not in the objective.
    cost, budget
        Cost per candidate and the total budget: the budget form (choose any
        number of sites whose costs sum to at most ``budget``).
    radius
        Read ``cover`` as distances or times: a pair covers when its value is
        <= ``radius``, zeros included (a dense 0 is "at the site"); ``np.inf``
        (dense) or an unstored pair (sparse) is out of reach.
    solver
        ``"auto"``, ``"exact"`` or ``"greedy"`` (see :mod:`geoplan.models`).
    time_limit
        Seconds for the whole solve (HiGHS stops and reports its gap); None for
        no limit.
    mip_gap
        Relative gap at which HiGHS stops and calls the solution optimal.
    reduce
        Merge identical demand rows and drop useless and dominated candidates
        before solving (never changes the optimum).

    Returns
    -------
    Solution
        ``objective`` = newly covered weight; ``uncoverable`` = uncovered demand
        no candidate covers.

    Notes
    -----
    The maximal covering location problem (Church & ReVelle, 1974). With
    x_j = 1 when candidate j opens and y_i the newly covered share of demand
    point i (over the demand no existing facility covers)::

        maximise    sum_i w_i y_i
        subject to  y_i <= sum_{j covers i} x_j    for every demand point i
                    sum_j x_j <= p                  (when p is given)
                    sum_j cost_j x_j <= budget      (the budget form)
                    x_j in {0, 1},  0 <= y_i <= 1

    The greedy solver is lazy greedy (CELF; Leskovec et al., 2007), followed
    for fixed p by a swap search (Teitz & Bart, 1968). In the budget form it
    keeps the best of the greedy by gain per unit cost, the greedy by gain
    that skips sites over the remaining budget, and the best single affordable
    site (as in Khuller, Moss & Naor, 1999).

    References
    ----------
    .. [1] Church, R. & ReVelle, C. (1974). The maximal covering location
       problem. Papers of the Regional Science Association 32(1), 101-118.
    .. [2] Leskovec, J., Krause, A., Guestrin, C., Faloutsos, C., VanBriesen, J.
       & Glance, N. (2007). Cost-effective outbreak detection in networks.
       Proceedings of the 13th ACM SIGKDD Conference, 420-429.
    .. [3] Teitz, M. B. & Bart, P. (1968). Heuristic methods for estimating the
       generalized vertex median of a weighted graph. Operations Research
       16(5), 955-961.
    .. [4] Khuller, S., Moss, A. & Naor, J. (1999). The budgeted maximum
       coverage problem. Information Processing Letters 70(1), 39-45.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> cover = sp.csr_array(np.array([[1, 1, 0], [0, 1, 1], [0, 0, 1]]))
    >>> sol = mclp(cover, [5.0, 1.0, 7.0], 1, covered0=[False, False, True])
    >>> sol.chosen.tolist(), sol.objective, sol.covered_weight
    ([0], 6.0, 13.0)
    """
    start = time.perf_counter()
    pattern = _as_pattern(cover, "cover", radius)
    m, n = pattern.shape
    weight = _weights(w, n)
    done = _flags(covered0, n, "covered0")
    limit, costs, cap = _mclp_limits(p, cost, budget, m)
    deadline = _deadline(start, solver=solver, time_limit=time_limit, mip_gap=mip_gap)
    demand = _Demand.of(pattern, weight, done)
    model = demand.model(costs, reduce=reduce)
    outcome = _solve_cover(
        model, p=limit, budget=cap, solver=solver, deadline=deadline, mip_gap=mip_gap
    )
    outcome = _explained(outcome, _idle_note(weight, done, demand.reachable, "cover"))
    order, gains = demand.order(outcome.chosen)
    objective = demand.newly_covered(order)
    return _finish(
        "mclp",
        start,
        outcome,
        objective=objective,
        maximise=True,
        order=order,
        marginal=gains,
        newly=gains,
        reduction=demand.reduction(model, outcome.nonzeros),
        uncoverable=demand.uncoverable,
        covered_weight=demand.existing + objective,
        total_weight=demand.total,
        notes=_fewer_note(limit, order.size) + _budget_note(costs, cap, order.size),
    )


def _mclp_limits(
    p: int | None, cost: ArrayLike | None, budget: float | None, m: int
) -> tuple[int | None, FloatArray, float | None]:
    if budget is None:
        if cost is not None:
            msg = "cost= is used only with budget=; pass budget= (the total to spend) or drop cost"
            raise _fail(msg)
        if p is None:
            msg = "give p (the number of new sites) or cost= and budget= for the budget form"
            raise _fail(msg)
        return _count(p, m), np.ones(m), None
    if isinstance(budget, bool) or not (isinstance(budget, numbers.Real) and budget >= 0):
        msg = f"budget must be a number >= 0; got {budget!r}"
        raise _fail(msg)
    if cost is None:
        msg = "budget= needs cost= (one cost per candidate)"
        raise _fail(msg)
    return (None if p is None else _count(p, m)), _costs(cost, m), float(budget)


def _solve_cover(
    model: _Cover,
    *,
    p: int | None,
    budget: float | None,
    solver: str,
    deadline: float,
    mip_gap: float,
) -> _Outcome:
    """Maximise covered weight in a reduced coverage model."""
    if model.empty:
        return _Outcome.trivial(0.0, "nothing left to cover")
    if budget is None and p is not None:
        return _choose_cover(model, p, solver=solver, deadline=deadline, mip_gap=mip_gap)
    greedy = _greedy_cover(model, p, budget, deadline)
    cost = None if budget is None else model.cost
    return _improve_greedy(
        _cover_program(model, p, budget),
        greedy,
        value=_cover_value(model, greedy),
        cheap=_online_bound(model.a, model.v, greedy, p=p, cost=cost, budget=budget),
        objective=lambda c: _cover_value(model, c),
        maximise=True,
        cand=model.cand,
        solver=solver,
        deadline=deadline,
        mip_gap=mip_gap,
    )


def _choose_cover(
    model: _Cover, p: int, *, solver: str, deadline: float, mip_gap: float
) -> _Outcome:
    """Solve the fixed-p form: greedy, Lagrangian bound, HiGHS (:mod:`geoplan.models._facility`)."""
    choice = _choose(model.a, model.v, p, solver=solver, deadline=deadline, mip_gap=mip_gap)
    return _Outcome(
        _original_positions(model.cand, choice.sites),
        choice.upper,
        choice.solver,
        choice.status,
        nonzeros=choice.nonzeros,
    )


def _greedy_cover(model: _Cover, p: int | None, budget: float | None, deadline: float) -> list[int]:
    """Best greedy coverage solution (positions within ``model``)."""
    if budget is None:
        chosen = _celf(_Savings(model.a, model.v), limit=p)
        return _swap(model.a, model.v, chosen, deadline)
    options = [
        _celf(_Savings(model.a, model.v), limit=p, cost=model.cost, budget=budget),
        _budget_plain(model, p, budget),
    ]
    gains = np.asarray(model.a @ model.v, dtype=np.float64)
    affordable = np.flatnonzero(model.cost <= budget * (1 + 1e-12))
    if affordable.size:
        options.append([int(affordable[np.argmax(gains[affordable])])])
    values = [_cover_value(model, c) for c in options]
    return options[int(np.argmax(values))]


def _budget_plain(model: _Cover, p: int | None, budget: float) -> list[int]:
    """Plain largest-gain greedy that skips sites over the remaining budget."""
    f = _Savings(model.a, model.v)
    chosen: list[int] = []
    spent = 0.0
    while p is None or len(chosen) < p:
        gains = np.asarray(model.a @ (model.v * (f.best == 0)), dtype=np.float64)
        gains[model.cost + spent > budget * (1 + 1e-12)] = 0.0
        gains[chosen] = 0.0
        j = int(np.argmax(gains))
        if gains[j] <= 0:
            break
        chosen.append(j)
        f.add(j)
        spent += float(model.cost[j])
    return chosen


def _cover_program(model: _Cover, p: int | None, budget: float | None) -> _Program:
    """Build: max sum v y  s.t.  y_i <= sum_j a_ji x_j,  sum x <= p,  cost @ x <= budget."""
    m, n = model.a.shape
    link = sp.hstack([-model.a.T, sp.eye_array(n)]).tocsr()
    rows = [link]
    hi = [np.zeros(n)]
    if p is not None:
        rows.append(_count_row(m, m + n))
        hi.append(np.array([float(p)]))
    if budget is not None:
        rows.append(sp.csr_array(np.concatenate([model.cost, np.zeros(n)])[None, :]))
        hi.append(np.array([float(budget)]))
    upper = np.concatenate(hi)
    return _Program(
        c=np.concatenate([np.zeros(m), -model.v]),
        integrality=_site_flags(m, m + n),
        a=sp.vstack(rows).tocsr(),
        lo=np.full(upper.shape, -np.inf),
        hi=upper,
        lb=np.zeros(m + n),
        ub=np.ones(m + n),
        sign=-1.0,
    )


def lscp(
    cover: Any,
    w: ArrayLike | None = None,
    *,
    covered0: ArrayLike | None = None,
    target: float = 1.0,
    cost: ArrayLike | None = None,
    radius: float | None = None,
    solver: SolverName = "auto",
    time_limit: float | None = 60.0,
    mip_gap: float = 1e-6,
    reduce: bool = True,
) -> Solution:
    """Set covering: the fewest (or cheapest) new sites that reach a coverage target.

    The covered share is (weight covered by existing facilities + weight
    covered by new sites) / total weight. Demand with positive weight that no
    candidate covers and no existing facility covers is reported in
    ``uncoverable`` and never makes the call fail: when ``target`` x total
    weight is more than the coverable weight (total minus uncoverable), the
    uncoverable weight is removed from the denominator -- the target then
    applies to the coverable weight, so ``target=1.0`` means "everyone who can
    be covered" -- and a note says so. Otherwise the denominator is the total
    weight.

    Parameters
    ----------
    cover
        Candidates x demand matrix: boolean or 0/1, or distances with
        ``radius`` (see :func:`mclp`).
    w
        Demand weights (>= 0); None counts every demand point once.
    covered0
        True for demand already covered by existing facilities.
    target
        Covered-weight share to reach, in (0, 1].
    cost
        Cost per candidate: minimise total cost instead of the number of sites.
    radius
        Read ``cover`` as distances or times (see :func:`mclp`).
    solver, time_limit, mip_gap, reduce
        As in :func:`mclp`.

    Returns
    -------
    Solution
        ``objective`` = number of new sites (or their total cost);
        ``marginal_gain`` and ``newly_covered`` = newly covered weight per site.

    Notes
    -----
    The location set covering problem (Toregas et al., 1971). With x_j = 1
    when candidate j opens and c_j its cost (1 without ``cost``), a target
    that asks for every coverable point not yet covered is::

        minimise    sum_j c_j x_j
        subject to  sum_{j covers i} x_j >= 1    for every such demand point i
                    x_j in {0, 1}

    A partial target asks for weight instead, with y_i the newly covered share
    of point i and ``need`` = target x total weight - weight covered already
    (the total without the uncoverable weight when the target needs that)::

        minimise    sum_j c_j x_j
        subject to  y_i <= sum_{j covers i} x_j    for every demand point i
                    sum_i w_i y_i >= need
                    x_j in {0, 1},  0 <= y_i <= 1

    The greedy solver adds the site with the most newly covered weight per
    unit cost (lazy greedy) until the target is met, then drops the sites the
    target does not need, most expensive first. Without ``cost`` the reported
    bound is rounded up to a whole number of sites.

    References
    ----------
    .. [1] Toregas, C., Swain, R., ReVelle, C. & Bergman, L. (1971). The
       location of emergency service facilities. Operations Research 19(6),
       1363-1373.

    Examples
    --------
    >>> import numpy as np
    >>> cover = np.array([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 0]])
    >>> sol = lscp(cover)
    >>> sol.chosen.tolist(), sol.objective, sol.uncoverable.tolist()
    ([0, 1], 2.0, [3])
    """
    start = time.perf_counter()
    pattern = _as_pattern(cover, "cover", radius)
    m, n = pattern.shape
    weight = _weights(w, n)
    done = _flags(covered0, n, "covered0")
    share = _lscp_target(target)
    costs = _costs(cost, m)
    deadline = _deadline(start, solver=solver, time_limit=time_limit, mip_gap=mip_gap)
    demand = _Demand.of(pattern, weight, done)
    lost = float(weight[demand.uncoverable].sum())
    need, notes = _lscp_need(demand.total, demand.existing, lost, share, demand.uncoverable.size)
    model = demand.model(costs, reduce=reduce)
    outcome = _lscp_met(demand, need, relaxed=bool(notes), target=share) or _solve_lscp(
        model, need, unit=cost is None, solver=solver, deadline=deadline, mip_gap=mip_gap
    )
    order, gains = demand.order(outcome.chosen)
    return _finish(
        "lscp",
        start,
        outcome,
        objective=float(costs[order].sum()),
        maximise=False,
        order=order,
        marginal=gains,
        newly=gains,
        reduction=demand.reduction(model, outcome.nonzeros),
        uncoverable=demand.uncoverable,
        covered_weight=demand.existing + demand.newly_covered(order),
        total_weight=demand.total,
        notes=notes,
    )


def _lscp_target(target: float) -> float:
    if isinstance(target, bool) or not isinstance(target, numbers.Real) or not 0 < target <= 1:
        msg = f"target must be a covered-weight share in (0, 1] (1.0 = everyone); got {target!r}"
        raise _fail(msg)
    return float(target)


def _lscp_need(
    total: float, already: float, unreachable: float, target: float, points: int
) -> tuple[float, tuple[str, ...]]:
    """Weight new sites must cover, and a note when uncoverable demand was set aside."""
    if target * total <= (total - unreachable) * (1 + 1e-12):
        return target * total - already, ()
    note = (
        f"{points} demand points (weight {unreachable:.6g}) that no candidate covers were "
        f"left out of the target's denominator: the target {target:g} applies to the "
        f"coverable weight {total - unreachable:.6g}; add candidates near them (or a larger "
        "radius) to cover them"
    )
    return target * (total - unreachable) - already, (note,)


def _solve_lscp(
    model: _Cover, need: float, *, unit: bool, solver: str, deadline: float, mip_gap: float
) -> _Outcome:
    if need <= _TOL * max(1.0, abs(need)) or model.empty:
        return _Outcome.trivial(0.0, "existing facilities already meet the target")
    greedy = _prune(
        model, _celf(_Savings(model.a, model.v), limit=None, cost=model.cost, need=need), need
    )
    greedy_cost = float(model.cost[greedy].sum())
    prog = _lscp_program(model, need)

    def covering_cost(sites: list[int]) -> float | None:
        """Return the sites' cost when they cover what is needed (a timed-out run may not)."""
        covers = _cover_value(model, sites) >= need - _TOL * max(1.0, need)
        return float(model.cost[sites].sum()) if covers else None

    chosen, bound, name, status = _exact_or_bound(
        prog,
        greedy,
        value=greedy_cost,
        objective=covering_cost,
        maximise=False,
        lp_bound=lambda lp: 0.0 if lp is None else lp,
        n_candidates=model.a.shape[0],
        solver=solver,
        deadline=deadline,
        mip_gap=mip_gap,
    )
    if unit and math.isfinite(bound):
        bound = float(math.ceil(bound - 1e-6))
    return _Outcome(
        _original_positions(model.cand, chosen), bound, name, status, nonzeros=prog.nonzeros
    )
