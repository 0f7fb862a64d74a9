"""Iterated swap search: leave a swap-optimal set of sites by random exchanges, swap again.

A swap search stops at a local optimum; iterated local search (Lourenco, Martin &
Stuetzle, 2003) perturbs that optimum -- here k = max(1, p/10) exchanges of a random
chosen site for one of the three best candidates to replace it -- runs the swap
search again and keeps the result when it is better, else undoes the round. Each
exchange updates the swap tables of :mod:`geoplan.models._interchange` in place,
so a round costs a few exchanges rather than a rebuild. The random choices come
from a fixed seed: the same input gives the same rounds.

With one exchange a round (p < 15) there are at most 3p different kicks from a
local optimum, and an undone round leaves the sites as they were: once each of
them has been tried without a better result, every further round would repeat
one, so the search stops there (p = 3 on the 200k-node city: after 18 rounds,
where its share of the time limit allowed 41).
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from geoplan.models._arrays import _TOL, FloatArray, IntArray
from geoplan.models._by_point import _ByPoint
from geoplan.models._greedy import _fl_value
from geoplan.models._interchange import _Interchange

#: Candidates each perturbing exchange picks from (the best replacements of the site).
_CHOICES = 3


def _climb(state: _Interchange, scale: float, log: list[tuple[int, int]]) -> None:
    """Best-improvement exchanges until none improves, recorded in ``log`` (position, old site)."""
    for _ in range(10 * len(state.current) + 10):
        gain, pos, j = state.best()
        if gain <= _TOL * scale:
            return
        log.append((pos, state.current[pos]))
        state.exchange(pos, j)


def _options(state: _Interchange, pos: int) -> IntArray:
    """Return the candidates a kick may bring in for the site at ``pos`` (its best replacements)."""
    k = len(state.current)
    row = state.extra.reshape(k, state.m)[pos] + state.gains - state.loss[pos]
    row[state.current] = -np.inf
    options: IntArray = np.argsort(-row, kind="stable")[:_CHOICES]
    finite: IntArray = options[np.isfinite(row[options])]
    return finite


def _kick(state: _Interchange, rng: np.random.Generator, log: list[tuple[int, int]]) -> None:
    """One perturbing exchange: a random chosen site for one of its best replacements."""
    pos = int(rng.integers(len(state.current)))
    options = _options(state, pos)
    if options.size == 0:
        return
    log.append((pos, state.current[pos]))
    state.exchange(pos, int(rng.choice(options)))


def _every_kick(state: _Interchange) -> set[tuple[int, int]]:
    """Return every single kick from the current sites: (position, candidate brought in)."""
    return {(pos, int(j)) for pos in range(len(state.current)) for j in _options(state, pos)}


def _iterated_swaps(
    s: sp.csr_array,
    v: FloatArray,
    sites: list[int],
    *,
    rounds: int,
    deadline: float,
    by: _ByPoint | None = None,
    seed: int = 0,
) -> list[int]:
    """Improve the swap-optimal ``sites`` by up to ``rounds`` perturb-and-swap rounds.

    Stops at ``deadline`` (``perf_counter`` seconds) too; returns the best sites met.
    """
    if not sites or len(sites) >= s.shape[0]:
        return list(sites)
    state = _Interchange(s, v, sites, by)
    rng = np.random.default_rng(seed)
    scale = max(1.0, float(v.sum()) * float(s.data.max(initial=0.0)))
    best, best_value = list(sites), _fl_value(s, v, sites)
    kicks = max(1, round(0.1 * len(sites)))
    # single kicks from the current sites not yet tried (None: more than one a round)
    untried = _every_kick(state) if kicks == 1 else None
    for round_ in range(rounds):
        if time.perf_counter() > deadline or untried == set():
            break
        if round_ and round_ % 20 == 0:
            state._rebuild()  # the tables drift a little with every exchange
        log: list[tuple[int, int]] = []
        for _ in range(kicks):
            _kick(state, rng, log)
        kicked = (log[0][0], int(state.current[log[0][0]])) if log else None
        _climb(state, scale, log)
        value = _fl_value(s, v, state.current)
        if value > best_value + _TOL * scale:
            best, best_value = list(state.current), value
            untried = _every_kick(state) if untried is not None else None
        else:
            for pos, old in reversed(log):
                state.exchange(pos, old)
            if untried is not None and kicked is not None:
                untried.discard(kicked)
    return best
