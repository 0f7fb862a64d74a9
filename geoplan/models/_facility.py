"""Choose at most p sites maximising f(S) = sum_i v_i max(0, max_{j in S} s_ij).

The engine behind :func:`~geoplan.models.mclp` (s = 1 on covered pairs) and
:func:`~geoplan.models.p_median` (s = time saved), in four steps that each keep the
deadline:

1. lazy greedy (CELF) and swap search (:mod:`geoplan.models._interchange`);
2. the Lagrangian bound (:mod:`geoplan.models._lagrange`), whose subproblem sites
   are tried as solutions too -- a better one is improved by swaps in turn;
3. with the exact solver, candidates the Lagrangian multipliers prove out of (or
   into) every better solution are fixed, and what is left goes to HiGHS
   (:mod:`geoplan.models._highs`) with the best sites so far as its start;
4. the bound reported is the tightest valid one: the Lagrangian bound, or the
   larger of the best value and HiGHS's bound on what the fixing left open.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from geoplan.models._arrays import _TOL, BoolArray, FloatArray, IntArray
from geoplan.models._by_point import _ByPoint
from geoplan.models._greedy import _celf, _fl_value, _online_bound, _Savings
from geoplan.models._highs import _run_milp
from geoplan.models._interchange import _interchange
from geoplan.models._lagrange import _Dual, _facility_dual, _fixed_sites
from geoplan.models._perturb import _iterated_swaps
from geoplan.models._program import _Program, _site_flags
from geoplan.models._solve import (
    AUTO_EXACT_NONZEROS,
    _bound_deadline,
    _count_row,
    _pair_columns,
)

#: Seconds per program nonzero of building a program for HiGHS, twice what was measured
#: (1.9 s for the 7.5 million nonzeros of a dense 5,000 x 500 p-median): the program is
#: not built when less time than that is left, so building it does not overrun the limit.
_BUILD_SECONDS = 5e-7

#: Programs up to this many nonzeros go straight to HiGHS (``"exact"``/``"auto"``), after a
#: short Lagrangian search (a better start and a valid bound should HiGHS not finish).
_DIRECT_NONZEROS = 50_000

#: The greedy solver's bound search stops once it proves this relative gap: on the 20,000 x
#: 1,500 coverage benchmark at p = 100, 50 steps prove 0.049 % where 500 prove 0.031 %
#: and take 0.6 s more.
_GREEDY_GAP = 1e-3

#: What the Lagrangian fixing leaves open goes straight to HiGHS up to this many nonzeros;
#: a bigger remainder first gets more swaps and subgradient steps and is fixed again. On
#: the 50k-node synthetic city's MCLP (p = 3) the fixing left 92,894 nonzeros, which HiGHS
#: proved optimal in 1.8 s after a search of 14 s had cut it to 50,499; on the hard 20,000 x
#: 1,500 benchmark it leaves either under 4,000 or all 554,359.
_SEARCH_NONZEROS = 200_000

#: Subgradient steps of the bound reported with ``solver="greedy"`` (about 0.5 s on the
#: 20,000 x 1,500 coverage benchmark) and of each search with the exact solver.
_GREEDY_STEPS = 500
_STEPS = 3_000

#: Perturb-and-swap rounds of the iterated swap search (or its share of the time).
_ROUNDS = 200


@dataclass(frozen=True)
class _Choice:
    """The sites chosen (positions in s), their value f, an upper bound on max f, provenance."""

    sites: list[int]
    value: float
    upper: float
    solver: str
    status: str
    nonzeros: int = 0


def _size(s: sp.csr_array) -> int:
    """Nonzeros of the program of savings ``s`` (coverage form, or one variable per pair)."""
    if np.all(s.data == 1.0):
        reached = int(np.count_nonzero(np.bincount(s.indices, minlength=s.shape[1])))
        return int(s.nnz) + reached + int(s.shape[0])
    return 3 * int(s.nnz) + int(s.shape[0])


class _Model:
    """The model (s, v, p) with ``s`` grouped by point (built once, when savings vary)."""

    def __init__(self, s: sp.csr_array, v: FloatArray, p: int) -> None:
        self.s = s
        self.v = v
        self.p = p
        self.unit = bool(np.all(s.data == 1.0))
        self.by = None if self.unit else _ByPoint(s)
        self._pairs = self.by
        self._swapped: dict[tuple[int, ...], list[int]] = {}

    def pairs(self) -> _ByPoint:
        """``s`` grouped by point for the swap searches (coverage too: built once, when asked)."""
        if self._pairs is None:
            self._pairs = _ByPoint(self.s)
        return self._pairs

    @property
    def size(self) -> int:
        """Nonzeros of the model's program."""
        return _size(self.s)

    def value(self, sites: list[int]) -> float:
        """f(sites)."""
        return _fl_value(self.s, self.v, sites)

    def swap(self, sites: list[int], deadline: float) -> list[int]:
        """Swap search from ``sites`` (kept: the same start gives the same sites)."""
        start = tuple(int(j) for j in sites)
        if start not in self._swapped:
            found = _interchange(self.s, self.v, sites, deadline, self.pairs())
            if time.perf_counter() > deadline:  # perhaps cut short: not kept
                return found
            self._swapped[start] = found
        return list(self._swapped[start])

    def best_of(self, options: list[list[int]], deadline: float) -> tuple[list[int], float]:
        """Pick the best of ``options``, each but the first swapped until no exchange helps."""
        best = options[0]
        value = self.value(best)
        for sites in options[1:]:
            if not sites or sorted(sites) == sorted(best):
                continue
            swapped = self.swap(sites, deadline)
            found = self.value(swapped)
            if found > value:
                best, value = swapped, found
        return best, value


@dataclass(frozen=True)
class _Task:
    """A model and the solver's options for it."""

    model: _Model
    solver: str
    deadline: float
    mip_gap: float
    base: float | None

    def objective(self, value: float) -> float:
        """Return the objective at f = ``value``: f itself, or ``base`` - f (p-median)."""
        return value if self.base is None else self.base - value

    def slack(self, value: float) -> float:
        """How far above f = ``value`` a bound may lie and still prove it (``mip_gap``)."""
        size = abs(self.objective(value))
        return max(_TOL * max(1.0, size), self.mip_gap * size)

    def aim(self, value: float) -> float:
        """How close the bound search must bring a bound to f = ``value`` before it stops.

        The exact solvers aim for ``slack``; the greedy one stops at a proven gap of
        :data:`_GREEDY_GAP` (its answer is not improved by a tighter proof).
        """
        slack = self.slack(value)
        if self.solver != "greedy":
            return slack
        return max(slack, _GREEDY_GAP * abs(self.objective(value)))

    def proven(self, best: _Choice) -> bool:
        """Whether ``best``'s bound proves its value optimal within ``mip_gap``."""
        return best.upper <= best.value + self.slack(best.value)

    def dual(
        self,
        best: _Choice,
        *,
        steps: int,
        until: float,
        lam: FloatArray | None,
        capped: bool = True,
    ) -> _Dual:
        """Run the subgradient search from ``best`` (and ``lam``) until ``until`` at the latest.

        ``capped`` also stops it after ``AUTO_BOUND_SECONDS``.
        """
        m = self.model
        stop = min(self.deadline, until)
        return _facility_dual(
            m.s,
            m.v,
            m.p,
            incumbent=best.sites,
            deadline=_bound_deadline(stop) if capped else stop,
            gap=self.aim(best.value),
            max_steps=steps,
            lam=lam,
            by=m.by,
        )

    def upper(self, best: _Choice, bound: float) -> float:
        """Return ``best``'s upper bound on f tightened by a program's ``bound`` (model units)."""
        upper = bound if self.base is None else self.base - bound
        return min(best.upper, max(best.value, upper))

    def improve(self, best: _Choice, dual: _Dual, *options: list[int]) -> _Choice:
        """Tighten ``best``'s bound by ``dual``; keep better sites among ``options`` (swapped)."""
        sites, value = self.model.best_of([best.sites, *options], self.deadline)
        return _Choice(sites, value, min(best.upper, dual.bound), "greedy", best.status)


def _choose(
    s: sp.csr_array,
    v: FloatArray,
    p: int,
    *,
    solver: str,
    deadline: float,
    mip_gap: float,
    base: float | None = None,
) -> _Choice:
    """Choose at most ``p`` sites (rows of ``s``) by the solver rule; see the module notes.

    The model maximises f, or -- given ``base`` -- minimises ``base`` - f (the
    p-median's total time); ``mip_gap`` is relative to that objective.
    """
    task = _Task(_Model(s, v, p), solver, deadline, mip_gap, base)
    sites = task.model.swap(_celf(_Savings(s, v), limit=p, deadline=deadline), deadline)
    best = _Choice(sites, task.model.value(sites), _online_bound(s, v, sites, p=p), "greedy", "")
    if task.proven(best):
        return replace(best, status="optimal")
    direct = solver != "greedy" and task.model.size <= _DIRECT_NONZEROS
    if direct:
        until = time.perf_counter() + _share(deadline, 4.0)
        dual = task.dual(best, steps=_GREEDY_STEPS, until=until, lam=None)
    else:  # the greedy solver's search, whole: "auto" and "exact" only add to it
        dual = task.dual(best, steps=_GREEDY_STEPS, until=deadline, lam=None, capped=False)
    best = task.improve(best, dual, dual.best_sites, list(dual.sites))
    if task.proven(best):
        return replace(best, status="optimal")
    if direct:
        nothing = np.zeros(s.shape[0], dtype=bool)
        part = _Restricted.of(s, v, p, nothing, nothing)
        return _exact(task, part, part.program(base), best)
    if solver == "greedy":
        return replace(best, status=_unproven(deadline))
    more = task.dual(best, steps=_STEPS - _GREEDY_STEPS, until=math.inf, lam=dual.last)
    best = task.improve(best, more, more.best_sites, list(more.sites))
    if task.proven(best):
        return replace(best, status="optimal")
    return _search_and_solve(task, min(dual, more, key=lambda d: d.bound), best)


def _share(deadline: float, parts: float) -> float:
    """Return one of ``parts`` equal shares of the time left before ``deadline`` (seconds)."""
    return max(deadline - time.perf_counter(), 0.0) / parts


def _unproven(deadline: float) -> str:
    """Status of an answer not proven optimal: ``"time limit"`` once the deadline passed."""
    return "time limit" if time.perf_counter() >= deadline else "heuristic"


def _search_and_solve(task: _Task, dual: _Dual, best: _Choice) -> _Choice:
    """Run HiGHS on what the Lagrangian fixing leaves open, after more search when that is big.

    When the fixing leaves a program of more than :data:`_SEARCH_NONZEROS`, a
    quarter of the time left goes to iterated swaps and a quarter (at most
    ``AUTO_BOUND_SECONDS``) to more subgradient steps aimed at the better value,
    then the fixing is tried again; HiGHS gets the rest.
    """
    model = task.model
    part = _Restricted.fix(model, dual, best.value)
    if part.size > _SEARCH_NONZEROS:
        share = _share(task.deadline, 4.0)
        sites = _iterated_swaps(
            model.s,
            model.v,
            best.sites,
            rounds=_ROUNDS,
            deadline=time.perf_counter() + share,
            by=model.pairs(),
        )
        dual = task.dual(best, steps=_STEPS, until=time.perf_counter() + share, lam=dual.last)
        best = task.improve(best, dual, sites, dual.best_sites)
        if task.proven(best):
            return replace(best, status="optimal")
        part = _Restricted.fix(model, dual, best.value)
    if not part.open:
        upper = min(best.upper, max(best.value, part.offset))
        return replace(best, upper=upper, status="optimal")
    if _share(task.deadline, 1.0) < _BUILD_SECONDS * part.size:
        return replace(best, status="time limit", nonzeros=part.size)
    prog = part.program(task.base)
    exact = task.solver == "exact" or prog.nonzeros <= AUTO_EXACT_NONZEROS
    if not exact or time.perf_counter() >= task.deadline:
        return replace(best, status=_unproven(task.deadline), nonzeros=prog.nonzeros)
    return _exact(task, part, prog, best)


def _exact(task: _Task, part: _Restricted, prog: _Program, best: _Choice) -> _Choice:
    """Solve what the fixing left open with HiGHS, from ``best``'s sites when they obey it.

    HiGHS may stop after the program's LP relaxation (:func:`_run_milp`): its
    bound then tightens ``best``'s.
    """
    run = _run_milp(prog, task.deadline, task.mip_gap, start=part.start(best.sites))
    upper = task.upper(best, run.bound)
    status = "optimal" if run.status in ("optimal", "infeasible") else "time limit"
    ran = replace(best, upper=upper, solver="highs+greedy", status=status, nonzeros=prog.nonzeros)
    found = part.sites(run.x)
    if found is not None:
        value = task.model.value(found)
        if value >= best.value - _TOL * max(1.0, abs(best.value)):
            return replace(ran, sites=found, value=value, solver="highs")
    return ran


@dataclass(frozen=True)
class _Restricted:
    """What is left to decide once candidates are fixed in (``fixed``) and out.

    ``s`` holds the free candidates' savings beyond what the fixed-in sites
    already give (``free``: their positions in the full model), ``offset`` is
    f(fixed) and ``p`` the number of sites still to choose.
    """

    s: sp.csr_array
    v: FloatArray
    p: int
    free: IntArray
    fixed: list[int]
    offset: float

    @classmethod
    def of(
        cls, s: sp.csr_array, v: FloatArray, p: int, out_: BoolArray, in_: BoolArray
    ) -> _Restricted:
        """Fix ``in_`` sites in and ``out_`` sites out of the model (s, v, p)."""
        fixed = [int(j) for j in np.flatnonzero(in_)]
        base = np.zeros(s.shape[1])
        for j in fixed:
            lo, hi = s.indptr[j], s.indptr[j + 1]
            np.maximum.at(base, s.indices[lo:hi], s.data[lo:hi])
        free = np.flatnonzero(~out_ & ~in_).astype(np.int64)
        rest = sp.csr_array(s[free])
        rest.data = np.maximum(rest.data - base[rest.indices], 0.0)
        rest.eliminate_zeros()
        return cls(rest, v, p - len(fixed), free, fixed, float(np.multiply(v, base).sum()))

    @classmethod
    def fix(cls, model: _Model, dual: _Dual, value: float) -> _Restricted:
        """Fix what ``dual`` proves about every solution better than ``value``."""
        out_, in_ = _fixed_sites(dual, model.p, value)
        return cls.of(model.s, model.v, model.p, out_, in_)

    @property
    def size(self) -> int:
        """Nonzeros of :meth:`program` (0 when nothing is left open)."""
        return _size(self.s) if self.open else 0

    @property
    def open(self) -> bool:
        """Whether anything is left to decide."""
        return self.p > 0 and self.s.nnz > 0

    def program(self, base: float | None) -> _Program:
        """Build the restricted model as a MILP: maximise f, or minimise ``base`` - f."""
        sign, offset = (-1.0, self.offset) if base is None else (1.0, base - self.offset)
        if np.all(self.s.data == 1.0):
            return _coverage_program(self.s, self.v, self.p, sign=sign, offset=offset)
        return _savings_program(self.s, self.v, self.p, sign=sign, offset=offset)

    def start(self, sites: list[int]) -> list[int] | None:
        """``sites`` as positions among the free candidates, or None when they break the fixing."""
        if not set(self.fixed) <= set(sites):
            return None
        slot = {int(j): k for k, j in enumerate(self.free)}
        rest = [j for j in sites if j not in self.fixed]
        if any(j not in slot for j in rest):
            return None
        return [slot[j] for j in rest]

    def sites(self, x: FloatArray | None) -> list[int] | None:
        """Map a HiGHS solution to the full model's sites (None without one)."""
        if x is None:
            return None
        chosen = np.flatnonzero(x[: self.free.size] > 0.5)
        return sorted(self.fixed + [int(j) for j in self.free[chosen]])


def _coverage_program(
    s: sp.csr_array, v: FloatArray, p: int, *, sign: float, offset: float
) -> _Program:
    """Build: max sum v_i y_i s.t. y_i <= sum_{j covers i} x_j, sum x <= p (points reached).

    The program's objective is ``offset`` + ``-sign`` x (that sum).
    """
    reached = np.flatnonzero(np.bincount(s.indices, minlength=s.shape[1]) > 0)
    a = sp.csr_array(s[:, reached])
    m, n = a.shape
    link = sp.hstack([-a.T, sp.eye_array(n)]).tocsr()
    upper = np.concatenate([np.zeros(n), [float(p)]])
    return _Program(
        c=np.concatenate([np.zeros(m), -v[reached]]),
        integrality=_site_flags(m, m + n),
        a=sp.vstack([link, _count_row(m, m + n)]).tocsr(),
        lo=np.full(upper.shape, -math.inf),
        hi=upper,
        lb=np.zeros(m + n),
        ub=np.ones(m + n),
        sign=sign,
        offset=offset,
    )


def _savings_program(
    s: sp.csr_array, v: FloatArray, p: int, *, sign: float, offset: float
) -> _Program:
    """Build: max sum v_i s_e z_e s.t. sum_{e in i} z_e <= 1, z_e <= x_j, sum x <= p.

    The program's objective is ``offset`` + ``-sign`` x (that sum).
    """
    m, n = s.shape
    e = s.nnz
    j_of, i_of, demand = _pair_columns(s)
    ids = np.arange(e)
    link = sp.csr_array(
        (
            np.concatenate([-np.ones(e), np.ones(e)]),
            (np.tile(ids, 2), np.concatenate([j_of, m + ids])),
        ),
        shape=(e, m + e),
    )
    upper = np.concatenate([np.ones(n), np.zeros(e), [float(p)]])
    return _Program(
        c=np.concatenate([np.zeros(m), -v[i_of] * s.data]),
        integrality=_site_flags(m, m + e),
        a=sp.vstack([demand, link, _count_row(m, m + e)]).tocsr(),
        lo=np.full(upper.shape, -math.inf),
        hi=upper,
        lb=np.zeros(m + e),
        ub=np.ones(m + e),
        sign=sign,
        offset=offset,
    )
