"""``python -m bench.coordinates``: the coordinate check's evidence, measured (docs/COORDINATES.md).

Not a timing suite: it measures how well the street-distance test tells WGS-84,
GCJ-02 and BD-09 apart, and what the null distribution of randomly shifted
points looks like, on

* synthetic grids of 60-500 m streets (``geoplan.datasets.synthetic_city``,
  placed in Changchun, seeds 1-3), and
* the 2017 OpenStreetMap walking networks of Harbin and Chengdu in
  ../shared/data/osm, when they are there,

with points 5-30 m and 5-40 m beside random streets (points of interest in
buildings), the synthetic city's facilities (4-12 % of a spacing beside a
street), OpenStreetMap's own points of interest (real networks), and points
placed at random (no signal: any pick is false). Every point set is written
in each of the three systems. Two rules decide on the same figures:

* **share** (the rule geoplan uses): the share of points near a street, scored
  against the shifted points' shares (:mod:`geoplan.sources._coordinate_evidence`);
* **median**: the median distance to a street, scored the same way against
  the shifted points' medians (below their 5th percentile by a unit, the unit
  their lower spread, median - 5th percentile, at least 0.5 m).

Both pick a system at a score of 2 with a lead of 1 over the others. The
table also shows what geoplan did before (**smallest median**: the system with
the smallest median distance, always).

The address test is measured on named streets: the 80 m and 400 m grids with
their rows and columns named (建设N街, 人民N路) and the OpenStreetMap names of
the real networks, with points 5-40 m beside named streets whose address
names their street (长春市南关区建设3街12号). ``--quick`` runs one seed of three
grids and no real network.
"""

from __future__ import annotations

import argparse
import collections
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyproj
import shapely

from geoplan import coords
from geoplan.datasets import synthetic_city
from geoplan.network import Network
from geoplan.sources import read_facilities, read_network
from geoplan.sources._coordinate_evidence import (
    CHECK_GAP_SCORE,
    CHECK_STRONG_SCORE,
    SYSTEMS,
    Evidence,
    EvidenceRule,
    check_points,
    street_names,
)

from .readers import SHARED

#: The check's figures without its decision (no score is ever this strong).
MEASURE_ONLY = EvidenceRule(strong_score=1e9)
GRIDS = ((60, 9), (80, 9), (150, 9), (200, 16), (300, 25), (400, 25), (500, 36))
QUICK_GRIDS = ((80, 9), (200, 16), (400, 25))


@dataclass(frozen=True)
class Case:
    network: str
    kind: str  # "dense" (< 100 m), "mid" (150-200 m), "sparse" (300-500 m), "real"
    points: str
    truth: str | None  # None: points at random, no true system
    evidence: Evidence


def _beside(
    net: Network, n: int, lo: float, hi: float, seed: int, among: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``n`` points lo-hi m beside the middle of random edges longer than 40 m (of ``among``).

    Returns x, y and the edge of each point.
    """
    rng = np.random.default_rng(seed)
    candidates = np.arange(net.n_edges) if among is None else among
    long_enough = candidates[net.length_m[candidates] > 40]
    edges = rng.choice(long_enough, size=min(n, len(long_enough)), replace=False)
    lines = net.geometry[edges]
    along = rng.uniform(0.3, 0.7, len(edges))
    middle = shapely.line_interpolate_point(lines, along, normalized=True)
    ahead = shapely.line_interpolate_point(lines, 10 / net.length_m[edges], normalized=True)
    start = shapely.get_coordinates(shapely.get_point(lines, 0))
    tangent = shapely.get_coordinates(ahead) - start
    normal = np.column_stack([-tangent[:, 1], tangent[:, 0]]) / np.hypot(*tangent.T)[:, None]
    offset = rng.uniform(lo, hi, len(edges)) * rng.choice([-1.0, 1.0], len(edges))
    xy = shapely.get_coordinates(middle) + normal * offset[:, None]
    return xy[:, 0], xy[:, 1], edges


def _random(net: Network, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    left, bottom, right, top = net.bounds
    return rng.uniform(left, right, n), rng.uniform(bottom, top, n)


def _point_sets(net: Network, seed: int) -> Iterator[tuple[str, tuple[np.ndarray, np.ndarray]]]:
    yield "beside 5-30 m", _beside(net, 200, 5, 30, seed)[:2]
    yield "beside 5-40 m", _beside(net, 200, 5, 40, seed)[:2]
    yield "random", _random(net, 200, seed)


def _networks(quick: bool) -> Iterator[tuple[str, str, Network, dict[str, tuple]]]:
    for spacing, area in QUICK_GRIDS if quick else GRIDS:
        for seed in (1,) if quick else (1, 2, 3):
            city = synthetic_city(
                area_km2=area,
                spacing_m=spacing,
                seed=seed,
                origin_lonlat=(125.32, 43.86),
                with_buildings=False,
            )
            net = city.network()
            kind = "dense" if spacing < 100 else ("mid" if spacing <= 200 else "sparse")
            facilities = city.facilities.geometry.to_numpy()
            sets = dict(_point_sets(net, seed))
            sets["facilities"] = (shapely.get_x(facilities), shapely.get_y(facilities))
            yield f"grid {spacing} m", kind, net, sets
    if quick or not SHARED.is_dir():
        return
    for path in sorted(SHARED.glob("*.osm.pbf")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            net = read_network(path)
            pois = read_facilities(path).to_crs(net.crs).geometry.representative_point()
        sets = dict(_point_sets(net, 1))
        sets["OSM points of interest"] = (pois.x.to_numpy(), pois.y.to_numpy())
        yield path.name.split("_")[0], "real", net, sets


def _cases(quick: bool) -> Iterator[Case]:
    for name, kind, net, sets in _networks(quick):
        to_geo = pyproj.Transformer.from_crs(net.crs, 4326, always_xy=True)
        for points, (x, y) in sets.items():
            lon, lat = to_geo.transform(x, y)
            truths = [None] if points == "random" else list(SYSTEMS)
            for truth in truths:
                numbers = coords.convert(lon, lat, source="wgs84", target=truth or "wgs84")
                check = check_points(*numbers, net, coordinates="wgs84", rule=MEASURE_ONLY)
                assert check.distance is not None
                yield Case(name, kind, points, truth, check.distance)


def _pick(scores: dict[str, float]) -> str | None:
    ranked = sorted(scores, key=lambda s: -np.nan_to_num(scores[s], nan=-np.inf))
    first, second = (np.nan_to_num(scores[s], nan=-np.inf) for s in ranked[:2])
    return ranked[0] if first >= CHECK_STRONG_SCORE and first - second >= CHECK_GAP_SCORE else None


def _median_scores(test: Evidence) -> dict[str, float]:
    low, mid = test.null_median_m["low"], test.null_median_m["median"]
    unit = max(mid - low, 0.5)
    return {s: 1.0 + (low - test.median_m[s]) / unit for s in SYSTEMS}


def _outcome(picked: str | None, truth: str | None) -> str:
    if picked is None:
        return "refused"
    if truth is None:
        return "false"
    return "right" if picked == truth else "WRONG"


def decisions(cases: list[Case]) -> str:
    """Markdown: how often each rule picks right, wrongly, or refuses, per kind of network."""
    counts: dict[tuple[str, str, str], collections.Counter[str]] = collections.defaultdict(
        collections.Counter
    )
    for case in cases:
        medians = case.evidence.median_m
        for rule, picked in (
            ("share", _pick(dict(case.evidence.score))),
            ("median", _pick(_median_scores(case.evidence))),
            ("smallest median", min(SYSTEMS, key=lambda s: np.nan_to_num(medians[s], nan=1e9))),
        ):
            points = "random" if case.truth is None else case.points
            counts[case.kind, points, rule][_outcome(picked, case.truth)] += 1
    lines = [
        "| network | points | rule | right | wrong | refused | false pick |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for (kind, points, rule), c in sorted(counts.items()):
        lines.append(
            f"| {kind} | {points} | {rule} | {c['right']} | {c['WRONG']} | {c['refused']} "
            f"| {c['false']} |"
        )
    return "\n".join(lines)


def nulls(cases: list[Case]) -> str:
    """Markdown: the null distribution and the true system's figures, per network (seed 1)."""
    lines = [
        "| network | points | near (m) | null share: median / 95 % / max | true share (score) "
        "| WGS-84, BD-09 shares (scores) | null median distance 5-95 % (m) | true median (m) |",
        "|---|---|---:|---|---|---|---|---:|",
    ]
    seen = set()
    for case in cases:
        key = (case.network, case.points)
        if case.truth != "gcj02" or key in seen:
            continue
        seen.add(key)
        t, truth = case.evidence, case.truth
        wrong = ", ".join(f"{t.share[s]:.0%} ({t.score[s]:.1f})" for s in SYSTEMS if s != truth)
        lines.append(
            f"| {case.network} | {case.points} | {t.within_m:.0f} | {t.null['median']:.0%} / "
            f"{t.null['high']:.0%} / {t.null['max']:.0%} | {t.share[truth]:.0%} "
            f"({t.score[truth]:.1f}) | {wrong} | {t.null_median_m['low']:.0f}-"
            f"{t.null_median_m['high']:.0f} | {t.median_m[truth]:.0f} |"
        )
    return "\n".join(lines)


def _grid_names(city) -> list[str | None]:
    """Rows 建设N街, columns 人民N路 (intersections are numbered row by row), diagonals None."""
    m = round(np.sqrt(len(city.nodes)))
    row_u, col_u = np.divmod(city.edges["u"].to_numpy(), m)
    row_v, col_v = np.divmod(city.edges["v"].to_numpy(), m)
    return [
        f"建设{ru + 1}街" if ru == rv else (f"人民{cu + 1}路" if cu == cv else None)
        for ru, cu, rv, cv in zip(row_u, col_u, row_v, col_v, strict=True)
    ]


def _osm_named(path) -> tuple[Network, list[str | None]]:
    """A real walking network with each edge's OpenStreetMap name (pyrosm's edge order)."""
    import pyrosm

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nodes, edges = pyrosm.OSM(str(path)).get_network(network_type="walking", nodes=True)
    known = set(nodes["id"])
    edges = edges[edges["u"].isin(known) & edges["v"].isin(known)].reset_index(drop=True)
    names = [n if isinstance(n, str) and n else None for n in edges["name"]]
    return Network.from_gdfs(nodes, edges, name=path.name.split("_")[0]), names


def _named_networks(quick: bool) -> Iterator[tuple[str, Network, list[str | None]]]:
    for spacing, area in ((80, 9), (400, 25)):
        city = synthetic_city(
            area_km2=area, spacing_m=spacing, seed=1, origin_lonlat=(125.32, 43.86),
            with_buildings=False,
        )  # fmt: skip
        yield f"grid {spacing} m", city.network(), _grid_names(city)
    if quick or not SHARED.is_dir():
        return
    for path in sorted(SHARED.glob("*.osm.pbf")):
        net, names = _osm_named(path)
        yield net.name, net, names


def addresses(quick: bool) -> str:
    """Markdown: the address test's null and figures on named streets."""
    lines = [
        "| network | named points | null share: median / 95 % / max | true system: share "
        "(score) | other systems: shares (scores) | decision |",
        "|---|---:|---|---|---|---|",
    ]
    for name, net, names in _named_networks(quick):
        named = np.flatnonzero([n is not None and street_names([f"{n}1号"]) != [()] for n in names])
        x, y, edges = _beside(net, 150, 5, 40, seed=1, among=named)
        texts = [f"长春市南关区{names[e]}{k + 1}号" for k, e in enumerate(edges)]
        lon, lat = pyproj.Transformer.from_crs(net.crs, 4326, always_xy=True).transform(x, y)
        for truth in SYSTEMS:
            numbers = coords.convert(lon, lat, source="wgs84", target=truth)
            check = check_points(
                *numbers, net, coordinates="wgs84", addresses=texts, edge_names=names,
                rule=MEASURE_ONLY,
            )  # fmt: skip
            t = check.address
            if t is None:
                continue
            others = ", ".join(
                f"{t.share[s]:.0%} ({t.score[s]:.1f})" for s in SYSTEMS if s != truth
            )
            picked = _pick(dict(t.score))
            lines.append(
                f"| {name} ({truth}) | {t.n_points} | {t.null['median']:.0%} / "
                f"{t.null['high']:.0%} / {t.null['max']:.0%} | {t.share[truth]:.0%} "
                f"({t.score[truth]:.1f}) | {others} | {_outcome(picked, truth)} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.coordinates")
    parser.add_argument("--quick", action="store_true", help="one seed of three grids")
    args = parser.parse_args()
    cases = list(_cases(args.quick))
    print("## The null distribution (points written in GCJ-02, first seed)\n")
    print(nulls(cases))
    print("\n## Decisions of the two rules (every seed and system)\n")
    print(decisions(cases))
    print("\n## The address test on named streets\n")
    print(addresses(args.quick))


if __name__ == "__main__":
    main()
