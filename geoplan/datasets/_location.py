"""Seeded location-model instances that are hard for a MILP solver.

Two kinds, both in metres on a square study area with clustered demand and
skewed weights (most demand points small, a few large, as people in
buildings are):

* :func:`clustered_coverage`: a candidates x demand coverage pattern from
  planar distances, with the radius chosen so that a demand point has a given
  mean number of candidates within reach (the issue's 20,000 x 1,500
  instance has about 40);
* :func:`dense_median`: a dense candidates x demand distance matrix for the
  p-median (every pair reachable).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from geoplan._errors import InputError

FloatArray = NDArray[np.float64]

#: Side of the square study area, metres.
SIDE_M = 10_000.0


@dataclass(frozen=True, eq=False)
class CoverageInstance:
    """A seeded coverage instance (see :func:`clustered_coverage`).

    Attributes
    ----------
    cover
        Candidates x demand CSR array: 1.0 where the candidate lies within
        ``radius`` of the demand point.
    w
        Demand weight per demand point.
    radius
        The coverage radius, metres.
    candidates, demand
        Coordinates (metres), one row per candidate / demand point.
    seed
        The seed it was built from.
    """

    cover: sp.csr_array
    w: FloatArray
    radius: float
    candidates: FloatArray
    demand: FloatArray
    seed: int

    @property
    def per_point(self) -> float:
        """Mean number of candidates within reach of a demand point."""
        return float(self.cover.nnz) / int(self.cover.shape[1])


@dataclass(frozen=True, eq=False)
class MedianInstance:
    """A seeded p-median instance (see :func:`dense_median`).

    Attributes
    ----------
    cost
        Dense candidates x demand distances, metres (every pair finite).
    w
        Demand weight per demand point.
    candidates, demand
        Coordinates (metres).
    seed
        The seed it was built from.
    """

    cost: FloatArray
    w: FloatArray
    candidates: FloatArray
    demand: FloatArray
    seed: int


def _clustered_points(
    rng: np.random.Generator,
    n: int,
    *,
    clusters: int,
    spread_m: tuple[float, float],
    background: float,
) -> FloatArray:
    """``n`` points: Gaussian clusters (sd drawn from ``spread_m``) plus a uniform share."""
    centres = rng.uniform(0.1 * SIDE_M, 0.9 * SIDE_M, (clusters, 2))
    spread = rng.uniform(spread_m[0], spread_m[1], clusters)
    size = rng.dirichlet(np.full(clusters, 2.0))
    n_bg = round(background * n)
    pick = rng.choice(clusters, n - n_bg, p=size)
    around = centres[pick] + rng.normal(0.0, 1.0, (n - n_bg, 2)) * spread[pick, None]
    points = np.vstack([around, rng.uniform(0.0, SIDE_M, (n_bg, 2))])
    return np.clip(points, 0.0, SIDE_M)[rng.permutation(n)]


def _skewed_weights(rng: np.random.Generator, n: int) -> FloatArray:
    """Whole-number weights >= 1 from a lognormal (median 20, a long tail of large points)."""
    return np.maximum(1.0, np.round(rng.lognormal(np.log(20.0), 1.0, n)))


def _radius_for(tree: cKDTree, demand: FloatArray, per_point: float) -> float:
    """Radius at which demand points have ``per_point`` candidates within reach on average."""
    lo, hi = 0.0, SIDE_M * np.sqrt(2.0)
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        if float(np.mean(tree.query_ball_point(demand, mid, return_length=True))) < per_point:
            lo = mid
        else:
            hi = mid
    return float(hi)


def _check_sizes(n_demand: int, n_candidates: int) -> None:
    if n_demand < 1 or n_candidates < 1:
        msg = (
            f"an instance needs at least one demand point and one candidate; got "
            f"n_demand={n_demand}, n_candidates={n_candidates} (pass positive sizes)"
        )
        raise InputError(msg)


def clustered_coverage(
    n_demand: int = 20_000,
    n_candidates: int = 1_500,
    *,
    per_point: float = 40.0,
    clusters: int = 200,
    spread_m: tuple[float, float] = (100.0, 300.0),
    near_share: float = 0.8,
    seed: int = 0,
) -> CoverageInstance:
    """Build a clustered coverage instance that is hard for a MILP solver.

    Demand points lie in ``clusters`` Gaussian clusters (sd drawn uniformly
    from ``spread_m``, sizes from a Dirichlet) with 5 % spread uniformly over a
    10 km x 10 km square; a ``near_share`` of the candidates lie near demand (a
    demand point moved by up to 200 m), the rest anywhere. The radius is chosen
    so that a demand point has ``per_point`` candidates within reach on
    average (planar distance). Weights are lognormal (median 20, sigma 1,
    whole numbers >= 1).

    The defaults (neighbourhood-sized clusters, most candidates near people)
    give the 20,000 x 1,500 instance of the benchmarks, whose LP relaxation is
    0.5-1.5 % above the best known coverage at p = 20-50; fewer, wider
    clusters (``clusters=40, spread_m=(250, 900), near_share=0.5``) give one
    whose LP relaxation is about 2.7 % above it.

    Parameters
    ----------
    n_demand, n_candidates
        Sizes.
    per_point
        Mean number of candidates within reach of a demand point.
    clusters, spread_m
        Number of demand clusters and the range of their standard deviations (m).
    near_share
        Share of the candidates placed near demand points.
    seed
        Seed of :func:`numpy.random.default_rng`: the same seed, the same instance.

    Returns
    -------
    CoverageInstance
        ``cover`` (candidates x demand), ``w``, ``radius`` and the coordinates.

    Examples
    --------
    >>> inst = clustered_coverage(2_000, 150, per_point=10.0, seed=1)
    >>> inst.cover.shape, round(inst.per_point)
    ((150, 2000), 10)
    """
    _check_sizes(n_demand, n_candidates)
    rng = np.random.default_rng(seed)
    demand = _clustered_points(rng, n_demand, clusters=clusters, spread_m=spread_m, background=0.05)
    w = _skewed_weights(rng, n_demand)
    near = round(near_share * n_candidates)
    anchor = demand[rng.choice(n_demand, near)] + rng.uniform(-200.0, 200.0, (near, 2))
    far = rng.uniform(0.0, SIDE_M, (n_candidates - near, 2))
    candidates = np.clip(np.vstack([anchor, far]), 0.0, SIDE_M)
    tree = cKDTree(candidates)
    radius = _radius_for(tree, demand, per_point)
    lists = tree.query_ball_point(demand, radius)
    cols = np.repeat(np.arange(n_demand), [len(x) for x in lists])
    rows = np.fromiter((j for x in lists for j in x), dtype=np.int64, count=cols.size)
    cover = sp.csr_array(
        (np.ones(cols.size), (rows, cols)), shape=(n_candidates, n_demand), dtype=np.float64
    )
    cover.sort_indices()
    return CoverageInstance(cover, w, float(radius), candidates, demand, seed)


def dense_median(
    n_demand: int = 5_000, n_candidates: int = 500, *, clusters: int = 30, seed: int = 0
) -> MedianInstance:
    """Build a dense p-median instance: every candidate reaches every demand point.

    Demand lies in ``clusters`` Gaussian clusters (sd 250-900 m) with 10 %
    spread uniformly over a 10 km x 10 km square; candidates are uniform;
    ``cost`` is the planar distance in metres.

    Parameters
    ----------
    n_demand, n_candidates
        Sizes.
    clusters
        Number of demand clusters.
    seed
        Seed of :func:`numpy.random.default_rng`.

    Returns
    -------
    MedianInstance
        ``cost`` (candidates x demand, dense), ``w`` and the coordinates.

    Examples
    --------
    >>> inst = dense_median(300, 40, seed=2)
    >>> inst.cost.shape, bool((inst.cost >= 0).all())
    ((40, 300), True)
    """
    _check_sizes(n_demand, n_candidates)
    rng = np.random.default_rng(seed)
    demand = _clustered_points(
        rng, n_demand, clusters=clusters, spread_m=(250.0, 900.0), background=0.1
    )
    w = _skewed_weights(rng, n_demand)
    candidates = rng.uniform(0.0, SIDE_M, (n_candidates, 2))
    cost = np.linalg.norm(candidates[:, None, :] - demand[None, :, :], axis=2)
    return MedianInstance(cost, w, candidates, demand, seed)
