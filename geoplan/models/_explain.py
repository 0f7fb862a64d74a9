"""Plain words for answers with nothing to optimise: why no site helps, and when none can.

A model whose reduced program is empty returns no sites (solver ``"trivial"``). The
note says why -- every weight is 0, existing facilities already serve everyone, or no
candidate reaches the demand left -- so that "0 sites, optimal" is never read as a
finding about the city when it is a finding about the inputs. When the model's own
requirement cannot be met for anybody (LSCP with no coverable demand; p-center with
no reachable demand) the status is ``"infeasible"``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import scipy.sparse as sp

from geoplan.models._arrays import _TOL, BoolArray, FloatArray
from geoplan.models._covering import _Demand
from geoplan.models._solve import _Outcome
from geoplan.models._travel import _Travel


def _idle_note(weight: FloatArray, done: BoolArray, reachable: BoolArray, verb: str) -> str:
    """Why no new site can gain anything, or "" when something is left to gain.

    ``done`` is the demand existing facilities already serve, ``reachable`` the
    demand some candidate reaches, ``verb`` what a site does ("cover", "serve", "reach").
    """
    total = float(weight.sum())
    if not total > 0:
        return (
            f"every demand weight is 0 ({weight.size} demand points): no site can {verb} "
            "anyone; pass the population (or other demand) of each point as w"
        )
    open_ = (weight > 0) & ~done
    if not open_.any():
        return (
            f"existing facilities already {verb} all the demand (weight {total:.6g}): "
            "no new site is needed"
        )
    if not (open_ & reachable).any():
        return _out_of_reach(weight, open_, verb)
    return ""


def _out_of_reach(weight: FloatArray, open_: BoolArray, verb: str) -> str:
    """Note for demand no candidate reaches: how much, and what to change."""
    left = "" if open_.all() else " left unserved by existing facilities"
    return (
        f"no candidate can {verb} any of the {int(open_.sum())} demand points "
        f"(weight {float(weight[open_].sum()):.6g}){left}: check the matrix (a radius, "
        "threshold or search limit too small?) or add candidates near that demand"
    )


def _explained(outcome: _Outcome, note: str) -> _Outcome:
    """``outcome`` with ``note`` in place of its generic one, when it had nothing to do."""
    if outcome.solver != "trivial" or not note:
        return outcome
    return replace(outcome, notes=(note,))


def _infeasible(bound: float, note: str) -> _Outcome:
    """No sites, status ``"infeasible"``: the requirement cannot be met for anybody."""
    return replace(_Outcome.trivial(bound, note), status="infeasible")


def _unreached(weight: FloatArray, reachable: BoolArray) -> tuple[int, float]:
    """Count and weigh the demand points with weight that nothing reaches."""
    lost = (weight > 0) & ~reachable
    return int(np.count_nonzero(lost)), float(weight[lost].sum())


def _lscp_met(demand: _Demand, need: float, *, relaxed: bool, target: float) -> _Outcome | None:
    """Return the outcome of an LSCP whose target needs no new site (None: it needs some).

    ``need`` is the weight new sites must cover; ``relaxed`` says the uncoverable
    weight was left out of the target's denominator. With no coverable weight at
    all (none covered already, none any candidate reaches) the target cannot be met
    for anybody: status ``"infeasible"``.
    """
    if need > _TOL * max(1.0, abs(need)):
        return None
    total, existing = demand.total, demand.existing
    if not total > 0:
        return _Outcome.trivial(
            0.0, _idle_note(demand.weight, demand.done, demand.reachable, "cover")
        )
    if relaxed and not existing > 0:
        note = _out_of_reach(demand.weight, demand.eligible, "cover")
        return _infeasible(0.0, f"the target cannot be met for anybody: {note}")
    if relaxed:
        note = (
            f"existing facilities already cover all the coverable weight ({existing:.6g} of "
            f"{total:.6g}); the rest is out of reach of every candidate"
        )
    else:
        note = (
            f"existing facilities already cover {existing:.6g} of {total:.6g} weight, "
            f"meeting the target {target:g}: no new site is needed"
        )
    return _Outcome.trivial(0.0, note)


def _travel_note(travel: _Travel) -> str:
    """Why no new site shortens any trip (p-median): no weight, no reach, or nearer already."""
    by_candidate = np.diff(sp.csr_array(travel.costs.T).indptr) > 0
    note = _idle_note(
        travel.weight, np.zeros(travel.weight.size, dtype=bool), by_candidate, "reach"
    )
    return note or (
        "no candidate is nearer than the existing facilities for any demand point with "
        "weight: no new site shortens a trip"
    )


def _nobody_counted(travel: _Travel) -> _Outcome:
    """Return the p-center outcome when no demand with weight is reached by anything."""
    if not travel.total > 0:
        note = _idle_note(
            travel.weight, np.zeros(travel.weight.size, dtype=bool), travel.reachable, "reach"
        )
        return _Outcome.trivial(0.0, note)
    count, weight = _unreached(travel.weight, travel.reachable)
    return _infeasible(
        0.0,
        f"no candidate and no existing facility reaches any of the {count} demand points "
        f"(weight {weight:.6g}), so there is no worst travel time to minimise: check cost "
        "(its search limit) or add candidates near that demand",
    )


def _budget_note(cost: FloatArray, budget: float | None, chosen: int) -> tuple[str, ...]:
    """Say so when no site was chosen because no candidate fits the budget."""
    if budget is None or chosen or not cost.size or cost.min() <= budget * (1 + 1e-12):
        return ()
    return (
        f"no candidate fits the budget {budget:.6g} (the cheapest costs {cost.min():.6g}): "
        "raise budget or add cheaper candidates",
    )
