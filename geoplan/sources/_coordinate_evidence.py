r"""Decide the coordinate system of points (WGS-84, GCJ-02, BD-09) on evidence from the streets.

Points exported from Amap (GCJ-02), Baidu (BD-09) or a GPS (WGS-84) carry no
label saying which system their numbers are in, and the systems differ by
0.3-1.5 km in Chinese cities. Converted with the right system, the points
fit the study area's streets; with a wrong one they are shifted by several
hundred metres. Whether a shift *shows* depends on the network: on a dense
city-centre grid a point shifted 1.4 km still lands as close to some street
as a correctly placed one. So the fit of each candidate system is compared
with a **null distribution**: the same points shifted at random by
:data:`CHECK_SHIFT_MIN_M`-:data:`CHECK_SHIFT_MAX_M` in random directions
(:data:`CHECK_SHIFTS` seeded shifts, none within :data:`CHECK_SHIFT_MIN_M`
of a candidate system's placement) — how well *wrongly placed* points
still fit this network.

**Street-distance test.** The figure of a placement is the share of its
points within ``near_m`` of a street, where ``near_m`` is the larger of
:data:`CHECK_NEAR_M` (30 m: a point of interest lies in a building on the
street frontage) and :data:`CHECK_NEAR_FRACTION` x the median distance of the
shifted points (on sparse networks, where wrongly placed points lie 60-100 m
from a street, the frontage zone widens with the blocks). Each placement's
median distance is reported too, but it is not the test: measured on
synthetic grids of 60-500 m and on OpenStreetMap networks of Harbin and
Chengdu (docs/COORDINATES.md), the share singled out the true system about
three times as often as the median did, and neither ever picked a wrong one.

**Address test.** Amap and Baidu exports give each point an address
(``人民大街1234号``, ``解放大路与亚泰大街交汇处``). Where the network's edges carry
street names, the street of each address is found (:func:`street_names`),
and the figure of a placement is the share of those points lying within
:data:`ADDRESS_RADIUS_M` of an edge of that name.

**Scores and the rule** (:class:`EvidenceRule`). Each test scores each
system: ``score = 1 + (share - null high) / unit``, where the null high is
the shifted shares' :data:`CHECK_NULL_QUANTILE` quantile and the unit their
upper spread (high - median), kept between :data:`CHECK_MIN_SPREAD` and
:data:`CHECK_MAX_SPREAD` of the points. A score of 1 is as good as the best
5 % of random shifts; more is better than them. A test **singles out** a
system whose score is at least :data:`CHECK_STRONG_SCORE` (2: beyond the
null's 95th percentile by a unit) and at least :data:`CHECK_GAP_SCORE` (a
unit) above every other system's. Then:

* evidence is **strong** when a test singles out a system and no test singles
  out another; **weak** when no test does but a system scores more than
  :data:`CHECK_WEAK_SCORE` (or the tests single out different systems);
  **none** otherwise;
* ``"auto"`` takes the system only on strong evidence, and otherwise refuses
  with a :class:`~geoplan.CRSError` that states every figure;
* a declared system is **confirmed** by strong evidence for it; it is
  **refused** when strong evidence singles out another system and the
  declared one scores no more than :data:`CHECK_WEAK_SCORE` in that test (no
  better than wrongly placed points); otherwise it is kept: **contradicted**
  (weak evidence; noted in ``caveat``) when another system scores more than
  both :data:`CHECK_WEAK_SCORE` and the declared one in a test, else **kept**.

Examples
--------
>>> street_names(["长春市南关区人民大街1234号", "解放大路与亚泰大街交汇处", "南湖公园内"])
[('长春市南关区人民大街',), ('解放大路', '与亚泰大街'), ()]
"""

from __future__ import annotations

import logging
import re
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final

import numpy as np
import pyproj
import shapely
from numpy.typing import NDArray

from geoplan._errors import CRSError, InputError
from geoplan.coords import convert, normalize_system
from geoplan.network import Network
from geoplan.sources._tables import normalize_text

__all__ = [
    "ADDRESS_MIN_POINTS",
    "ADDRESS_RADIUS_M",
    "CHECK_GAP_SCORE",
    "CHECK_LINE_STEP_M",
    "CHECK_MAX_DISTANCE_M",
    "CHECK_MAX_SPREAD",
    "CHECK_MIN_POINTS",
    "CHECK_MIN_SHIFTS",
    "CHECK_MIN_SPREAD",
    "CHECK_NEAR_FRACTION",
    "CHECK_NEAR_M",
    "CHECK_NULL_MAX_DISTANCE_M",
    "CHECK_NULL_QUANTILE",
    "CHECK_SEED",
    "CHECK_SHIFTS",
    "CHECK_SHIFT_MAX_M",
    "CHECK_SHIFT_MIN_M",
    "CHECK_STRONG_SCORE",
    "CHECK_WEAK_SCORE",
    "LABELS",
    "PROVIDERS",
    "SYSTEMS",
    "CoordinateCheck",
    "Evidence",
    "EvidenceRule",
    "check_coordinates",
    "check_points",
    "decide_table_system",
    "guess_from_headers",
    "header_hint",
    "street_names",
]

log = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

SYSTEMS: Final = ("wgs84", "gcj02", "bd09")
LABELS: Final[Mapping[str, str]] = {"wgs84": "WGS-84", "gcj02": "GCJ-02", "bd09": "BD-09"}
PROVIDERS: Final[Mapping[str, str]] = {
    "wgs84": "GPS, OpenStreetMap",
    "gcj02": "Amap/Gaode, Tencent",
    "bd09": "Baidu",
}

# ---------------------------------------------------------------- the rule's defaults
#: Random shifts that make the null distribution.
CHECK_SHIFTS: Final = 200
#: Shortest random shift, and the least distance of a shift from every candidate system's
#: placement (a shift nearer than this is not a wrong placement). GCJ-02 lies 300-700 m from
#: WGS-84 in China, BD-09 a further 700-900 m, so systems are never closer than this.
CHECK_SHIFT_MIN_M: Final = 100.0
#: Longest random shift: WGS-84 to BD-09 is at most about 1.5 km in China.
CHECK_SHIFT_MAX_M: Final = 1500.0
#: Seed of the shifts and of the sample of points measured.
CHECK_SEED: Final = 20240601
#: A point lies "near a street" within this distance of its centre line at least: the
#: street frontage, where points of interest (shops, clinics, the doors of buildings) sit.
CHECK_NEAR_M: Final = 30.0
#: ... or within this fraction of the median distance of randomly shifted points, when that
#: is larger (sparse networks, where blocks and frontages are larger).
CHECK_NEAR_FRACTION: Final = 0.75
#: The null's "high" quantile: a figure beyond it is as good as the best 5 % of shifts.
CHECK_NULL_QUANTILE: Final = 0.95
#: A score's unit is the null's upper spread (high - median), as a share of the points, but
#: at least CHECK_MIN_SPREAD ...
CHECK_MIN_SPREAD: Final = 0.02
#: ... and at most CHECK_MAX_SPREAD: a share 25 points above the null's high quantile is
#: clearly better however wide the null (the address test's null is bimodal on grid-like
#: cities: shifts along a main street keep its points on it, so its spread reaches 0.5).
CHECK_MAX_SPREAD: Final = 0.25
#: A test singles out a system whose score is at least this ...
CHECK_STRONG_SCORE: Final = 2.0
#: ... and at least this much above every other system's.
CHECK_GAP_SCORE: Final = 1.0
#: A score of more than this (beyond the null's high quantile) is weak evidence; a declared
#: system scoring no more than this is "no better than the null".
CHECK_WEAK_SCORE: Final = 1.0
#: Fewer measurable points than this (within the network's bounding box under every system)
#: and the check is skipped, and said so.
CHECK_MIN_POINTS: Final = 5
#: Fewer usable shifts than this (shifts that keep CHECK_MIN_POINTS points inside the
#: network's bounding box) and the network is too small to calibrate the check: skipped.
CHECK_MIN_SHIFTS: Final = 20
#: Distances of the placements to the nearest street are capped here (a point farther from
#: every street is far beyond any "near").
CHECK_MAX_DISTANCE_M: Final = 1000.0
#: ... and those of the shifted points here: "near" is at most 0.75 of their median, so the
#: shares are exact; only a null median beyond 300 m (blocks over a kilometre) is cut to
#: 300 m. Searching 300 m instead of 5 km cuts the time by 3 or more (Harbin: 1.2 s, not
#: 4.5 s, for 2,000 points and 200 shifts).
CHECK_NULL_MAX_DISTANCE_M: Final = 300.0
#: Lines and polygon boundaries are measured at points this far apart.
CHECK_LINE_STEP_M: Final = 25.0
#: A point is "on the street of its address" within this distance of an edge of that name.
ADDRESS_RADIUS_M: Final = 100.0
#: Fewer points with an address naming a street of the network than this: no address test.
ADDRESS_MIN_POINTS: Final = 5

_STREET_END = "(?:胡同|路|街|道|巷)"
_STREET = re.compile(
    r"([\u3400-\u9fff0-9A-Za-z]+?" + _STREET_END + r")"
    r"(?=[0-9]|[一二三四五六七八九十百千零〇]+[号號段弄]|与|和|交汇|交叉|路口|口)"
)
_KEY = re.compile(r"[\u3400-\u9fff0-9]*" + _STREET_END)
_BARE: Final = frozenset({"路", "街", "道", "巷", "胡同", "大街", "大路", "大道", "马路"})
_HINTS: Final = (
    ("bd09", ("bd09", "bd", "baidu", "百度")),
    ("gcj02", ("gcj02", "gcj", "amap", "gaode", "高德", "火星", "mars", "tencent", "腾讯")),
    ("wgs84", ("wgs84", "wgs", "gps", "epsg4326")),
)


# ====================================================================== the rule
@dataclass(frozen=True)
class EvidenceRule:
    """The parameters of the coordinate check; the defaults are the module's constants.

    Attributes
    ----------
    shifts, shift_min_m, shift_max_m, seed
        The null distribution: how many random shifts, their range in metres,
        the seed (:data:`CHECK_SHIFTS`, :data:`CHECK_SHIFT_MIN_M`,
        :data:`CHECK_SHIFT_MAX_M`, :data:`CHECK_SEED`).
    near_m, near_fraction
        A point is near a street within ``max(near_m, near_fraction x the
        shifted points' median distance)`` (:data:`CHECK_NEAR_M`,
        :data:`CHECK_NEAR_FRACTION`).
    null_quantile, min_spread, max_spread
        The null's high quantile, and the bounds of a score's unit.
    strong_score, gap_score, weak_score
        Scores that single out a system, set it apart from the others, and
        count as weak evidence.
    min_points, min_shifts
        Least measurable points and usable shifts for a check.
    address_radius_m, address_min_points
        The address test's distance to the named street, and its least number
        of points.

    Examples
    --------
    >>> EvidenceRule().strong_score
    2.0
    >>> EvidenceRule(strong_score=0.5)
    Traceback (most recent call last):
    ...
    geoplan._errors.InputError: EvidenceRule: strong_score=0.5 must be at least weak_score=1.0
    """

    shifts: int = CHECK_SHIFTS
    shift_min_m: float = CHECK_SHIFT_MIN_M
    shift_max_m: float = CHECK_SHIFT_MAX_M
    seed: int = CHECK_SEED
    near_m: float = CHECK_NEAR_M
    near_fraction: float = CHECK_NEAR_FRACTION
    null_quantile: float = CHECK_NULL_QUANTILE
    min_spread: float = CHECK_MIN_SPREAD
    max_spread: float = CHECK_MAX_SPREAD
    strong_score: float = CHECK_STRONG_SCORE
    gap_score: float = CHECK_GAP_SCORE
    weak_score: float = CHECK_WEAK_SCORE
    min_points: int = CHECK_MIN_POINTS
    min_shifts: int = CHECK_MIN_SHIFTS
    address_radius_m: float = ADDRESS_RADIUS_M
    address_min_points: int = ADDRESS_MIN_POINTS

    def __post_init__(self) -> None:
        problems = [
            f"{name}={value!r} must be {what}"
            for name, value, ok, what in (
                ("shifts", self.shifts, self.shifts >= 20, "at least 20"),
                ("shift_min_m", self.shift_min_m, self.shift_min_m > 0, "positive"),
                (
                    "shift_max_m",
                    self.shift_max_m,
                    self.shift_max_m > self.shift_min_m,
                    f"more than shift_min_m={self.shift_min_m!r}",
                ),
                ("near_m", self.near_m, self.near_m > 0, "positive"),
                ("near_fraction", self.near_fraction, self.near_fraction >= 0, "0 or more"),
                ("null_quantile", self.null_quantile, 0.5 < self.null_quantile < 1, "in (0.5, 1)"),
                ("min_spread", self.min_spread, self.min_spread > 0, "positive"),
                (
                    "max_spread",
                    self.max_spread,
                    self.max_spread >= self.min_spread,
                    f"at least min_spread={self.min_spread!r}",
                ),
                ("weak_score", self.weak_score, self.weak_score > 0, "positive"),
                (
                    "strong_score",
                    self.strong_score,
                    self.strong_score >= self.weak_score,
                    f"at least weak_score={self.weak_score!r}",
                ),
                ("gap_score", self.gap_score, self.gap_score > 0, "positive"),
                ("min_points", self.min_points, self.min_points >= 3, "at least 3"),
                ("min_shifts", self.min_shifts, 10 <= self.min_shifts <= self.shifts, "10..shifts"),
                ("address_radius_m", self.address_radius_m, self.address_radius_m > 0, "positive"),
                (
                    "address_min_points",
                    self.address_min_points,
                    self.address_min_points >= 3,
                    "at least 3",
                ),
            )
            if not ok
        ]
        if problems:
            msg = f"EvidenceRule: {'; '.join(problems)}"
            raise InputError(msg)


# ====================================================================== results
@dataclass(frozen=True)
class Evidence:
    """What one test found: each system's figure beside the null of randomly shifted points.

    Attributes
    ----------
    test
        ``"distance"`` (share of the points near a street) or ``"address"``
        (share of the points near an edge of the street their address names).
    n_points
        Points the test measured (inside the network's bounding box under at
        least one system; for the address test, with an address naming one of
        its streets).
    counts
        Each system's measured points: those its placement puts inside the
        network's bounding box. A system with too few is not measured: its
        share and score are NaN.
    within_m
        The distance that counts as near: ``near_m`` of the rule (distance) or
        its ``address_radius_m`` (address).
    share
        Each system's figure, a share of the points (0-1).
    score
        Each system's score: ``1 + (share - null high) / unit``.
    null
        The shifted points' figures: ``low`` (5 %), ``median``, ``high`` (the
        rule's ``quantile``), ``max``; the score's ``unit``; the ``shifts``
        used, of ``shift_min_m``-``shift_max_m``.
    picked
        The system the test singles out, or None.
    median_m
        The distance test: each system's median distance to a street; the
        address test: each system's median distance to the named street.
    null_median_m
        The shifted points' median distances: ``low``, ``median``, ``high``.
    """

    test: str
    n_points: int
    counts: Mapping[str, int]
    within_m: float
    share: Mapping[str, float]
    score: Mapping[str, float]
    null: Mapping[str, float]
    picked: str | None
    median_m: Mapping[str, float]
    null_median_m: Mapping[str, float]

    @property
    def best(self) -> str:
        """The system with the highest score (the first in WGS-84, GCJ-02, BD-09 on a tie)."""
        return max(SYSTEMS, key=lambda s: (_finite(self.score[s]), -SYSTEMS.index(s)))

    def as_dict(self) -> dict[str, Any]:
        """Return the figures as plain numbers (for run.json), rounded."""
        record = asdict(self)
        for key in ("share", "score", "null", "median_m", "null_median_m"):
            record[key] = {k: _rounded(v) for k, v in record[key].items()}
        record["within_m"] = round(self.within_m, 1)
        return record

    def _share_text(self, system: str) -> str:
        count = self.counts[system]
        if np.isfinite(self.share[system]):
            return f"{self.share[system]:.0%} of {count}"
        return f"not measured ({count} points inside the network's extent)"

    def text(self) -> str:
        """Return the figures as one English sentence for messages."""
        if self.test == "distance":
            what = f"share of the points within {self.within_m:.0f} m of a street"
        else:
            what = (
                f"share of the points within {self.within_m:.0f} m of the street their address "
                "names"
            )
        shares = ", ".join(f"{LABELS[s]} {self._share_text(s)}" for s in SYSTEMS)
        null = (
            f"points shifted at random by {self.null['shift_min_m']:,.0f}-"
            f"{self.null['shift_max_m']:,.0f} m: median {self.null['median']:.0%}, "
            f"{self.null['quantile'] * 100:g}th percentile {self.null['high']:.0%}, "
            f"max {self.null['max']:.0%} of {self.null['shifts']:.0f} shifts"
        )
        text = f"{what}: {shares} ({null})"
        if self.test == "distance":
            medians = ", ".join(f"{LABELS[s]} {_metres(self.median_m[s])}" for s in SYSTEMS)
            text += (
                f"; median distance to a street: {medians} (shifted: "
                f"{self.null_median_m['low']:.0f}-{self.null_median_m['high']:.0f} m)"
            )
        return text


def _rounded(value: float) -> float | None:
    """Return a figure rounded for run.json; None for NaN (not measured)."""
    return round(float(value), 4) if np.isfinite(value) else None


def _metres(value: float) -> str:
    return f"{value:.0f} m" if np.isfinite(value) else "not measured"


@dataclass(frozen=True)
class CoordinateCheck:
    """The evidence about the coordinate system of a set of points, and what was decided.

    Attributes
    ----------
    declared
        The system declared (``"wgs84"``, ``"gcj02"``, ``"bd09"``) or ``"auto"``.
    system
        The system to read the points in; None when ``"auto"`` could not be
        checked (too few points near the network).
    decision
        ``"detected"`` (``auto``, on strong evidence), ``"confirmed"`` (the
        declared system, on strong evidence), ``"contradicted"`` (the declared
        system kept, though another fits better: see ``caveat``), ``"kept"``
        (the declared system, not contradicted) or ``"unchecked"``.
    evidence
        ``"strong"``, ``"weak"`` or ``"none"`` (see the module's rule).
    detected
        The system strong evidence singles out, or None.
    n_points
        Points measured.
    network
        The network's name.
    distance, address
        The two tests (None when not made: too few points, no street names).
    favoured
        The system weak evidence favours over the declared one
        (``"contradicted"``), else None.
    reason
        Why the check was not made (``"unchecked"``), else ``""``.
    what
        The points' name in messages (a file name).
    """

    declared: str
    system: str | None
    decision: str
    evidence: str
    detected: str | None
    n_points: int
    network: str
    distance: Evidence | None = None
    address: Evidence | None = None
    favoured: str | None = None
    reason: str = ""
    what: str = "the points"

    @property
    def best(self) -> str | None:
        """The system that fits best: the one singled out, else the highest score."""
        if self.detected is not None:
            return self.detected
        tests = [t for t in (self.distance, self.address) if t is not None]
        if not tests:
            return None
        top = max(tests, key=lambda t: _finite(t.score[t.best]))
        return top.best

    def summary(self) -> str:
        """Return every figure of the check as English text."""
        if self.decision == "unchecked":
            return self.reason
        parts = [t.text() for t in (self.distance, self.address) if t is not None]
        return "; ".join(parts)

    def caveat(self) -> dict[str, str] | None:
        """Return what a report should say about the check, in Chinese and English.

        Returns
        -------
        dict or None
            ``{"zh": ..., "en": ...}`` when the system was kept without
            confirmation, contradicted or not checked; None when the evidence
            decided (``"detected"``, ``"confirmed"``).
        """
        if self.decision in ("detected", "confirmed") or self.system is None:
            return None
        used = LABELS[self.system]
        if self.decision == "unchecked":
            return {
                "zh": f"{self.what}：坐标按{used}读取，未能用路网核对（{self.reason}）。",
                "en": f"{self.what}: coordinates read as {used}, not checked against the "
                f"streets ({self.reason}).",
            }
        if self.decision == "contradicted" and self.favoured is not None:
            other = LABELS[self.favoured]
            return {
                "zh": f"{self.what}：坐标按声明的{used}读取，但按{other}与路网更吻合"
                f"（证据较弱）；请核实坐标系。",
                "en": f"{self.what}: coordinates read as the declared {used}, although they fit "
                f"the streets better as {other} (weak evidence; {self.summary()}); check "
                "the coordinate system of the file.",
            }
        found = "weak evidence for it" if self.evidence == "weak" else "no evidence either way"
        return {
            "zh": f"{self.what}：坐标按声明的{used}读取；路网未能证实该坐标系"
            f"（{'证据较弱' if self.evidence == 'weak' else '无法区分'}）。",
            "en": f"{self.what}: coordinates read as the declared {used}; the streets could not "
            f"confirm it ({found}; {self.summary()}).",
        }

    def as_dict(self) -> dict[str, Any]:
        """Return the check as plain data (``attrs["coordinate_check"]``, run.json).

        Keys: ``declared``, ``system``, ``decision``, ``evidence``, ``detected``,
        ``best``, ``favoured``, ``n_points``, ``network``, ``median_offset_m`` (each system's
        median distance to a street), ``distance`` and ``address`` (see
        :meth:`Evidence.as_dict`, or None), ``summary``, ``reason`` and
        ``caveat`` (see :meth:`caveat`).
        """
        medians = {} if self.distance is None else dict(self.distance.as_dict()["median_m"])
        medians = {s: None if m is None else round(m, 2) for s, m in medians.items()}
        return {
            "declared": self.declared,
            "system": self.system,
            "decision": self.decision,
            "evidence": self.evidence,
            "detected": self.detected,
            "best": self.best,
            "favoured": self.favoured,
            "n_points": self.n_points,
            "network": self.network,
            "median_offset_m": medians,
            "distance": None if self.distance is None else self.distance.as_dict(),
            "address": None if self.address is None else self.address.as_dict(),
            "summary": self.summary(),
            "reason": self.reason,
            "caveat": self.caveat(),
        }


# ====================================================================== addresses
def street_names(addresses: Sequence[object]) -> list[tuple[str, ...]]:
    """Return the street texts each address names before a house number or a crossing.

    A street text ends in 路, 街 (大街), 道 (大道), 巷 or 胡同 and is followed by a
    number (``1234号``, ``一段``) or by 与/和/交汇/交叉/路口/口. It keeps what
    precedes it in the address (``长春市南关区人民大街``); the network's street
    names are matched against its end.

    Parameters
    ----------
    addresses
        Address texts (full-width forms are folded; None and NaN give ``()``).

    Returns
    -------
    list of tuple of str
        The street texts of each address, in order.

    Examples
    --------
    >>> street_names(["人民大街１２３４号", "南关区解放大路与亚泰大街交汇处", "人民中路一段8号"])
    [('人民大街',), ('南关区解放大路', '与亚泰大街'), ('人民中路',)]
    >>> street_names(["南湖公园", None, "东三胡同5号"])
    [(), (), ('东三胡同',)]
    """
    found = []
    for address in addresses:
        text = re.sub(r"\s+", "", normalize_text(address))
        found.append(tuple(m.group(1) for m in _STREET.finditer(text)))
    return found


def _street_key(name: object) -> str | None:
    """Return a network street name as matched against addresses, or None.

    The leading Chinese name up to its last street ending: ``人民中路 Renmin
    Road`` and ``人民中路第一`` are ``人民中路``; a name without such an ending
    (``万福桥``) or a bare ending (``大街``) gives None.
    """
    text = re.sub(r"\s+", "", normalize_text(name))
    match = _KEY.match(text)
    if match is None:
        return None
    key = match.group(0)
    return key if len(key) >= 2 and key not in _BARE else None


def _match_key(street: str, keys: Mapping[str, int]) -> int | None:
    """Return the id of the longest network street name that ``street`` ends with."""
    for start in range(len(street) - 1):
        key = keys.get(street[start:])
        if key is not None:
            return key
    return None


@dataclass(frozen=True)
class _Named:
    """Points whose addresses name streets of the network, and the edges of those streets."""

    point: IntArray  # one row per (point, street) pair: the point's position
    key: IntArray  # ... and the street's id
    edges: IntArray  # edges carrying a street some address names
    edge_key: IntArray  # ... and that street's id
    n_points: int  # points with at least one such street


def _named_points(
    addresses: Sequence[object] | None, edge_names: Sequence[object] | None
) -> _Named | None:
    """Pair each point with the network streets its address names (None if there are none)."""
    if addresses is None or edge_names is None:
        return None
    keys: dict[str, int] = {}
    edge_key = np.full(len(edge_names), -1, dtype=np.int64)
    for i, name in enumerate(edge_names):
        found = _street_key(name)
        if found is not None:
            edge_key[i] = keys.setdefault(found, len(keys))
    if not keys:
        return None
    pairs = sorted(
        {
            (i, street_id)
            for i, streets in enumerate(street_names(addresses))
            for street in streets
            if (street_id := _match_key(street, keys)) is not None
        }
    )
    if not pairs:
        return None
    point = np.array([p for p, _ in pairs], dtype=np.int64)
    key = np.array([k for _, k in pairs], dtype=np.int64)
    used = np.flatnonzero(np.isin(edge_key, np.unique(key)))
    return _Named(point, key, used, edge_key[used], len(np.unique(point)))


def _edge_names(network: Network, edge_names: Sequence[object] | None) -> Sequence[object] | None:
    """Return one street name per edge: as given, else the network's ``edge_attrs['name']``."""
    if edge_names is None:
        table = getattr(network, "edge_attrs", None)
        if table is None or "name" not in getattr(table, "columns", ()):
            return None
        edge_names = list(table["name"])
    if len(edge_names) != network.n_edges:
        msg = (
            f"edge_names has {len(edge_names)} names but the network {network.name!r} has "
            f"{network.n_edges} edges; give one name (or None) per edge, in edge order"
        )
        raise InputError(msg)
    return edge_names


# ====================================================================== placements
@dataclass(frozen=True)
class _Placements:
    """The sampled points placed with each candidate system and with the random shifts."""

    picked: IntArray  # positions (among the finite input points) of the sampled points
    xy: Mapping[str, tuple[FloatArray, FloatArray]]  # each system's placement, network CRS
    inside: Mapping[str, BoolArray]  # ... inside the network's bounding box
    shifts: FloatArray  # (k, 2) metres, applied to the WGS-84 placement
    shifted_inside: BoolArray  # (k, n) shifted point inside the network's bounding box

    @property
    def n_measured(self) -> int:
        """Points inside the network's bounding box under at least one system."""
        return int(np.logical_or.reduce([self.inside[s] for s in SYSTEMS]).sum())

    def shifted(self) -> tuple[FloatArray, FloatArray]:
        """Return the (k, n) shifted coordinates."""
        x, y = self.xy["wgs84"]
        return x[None, :] + self.shifts[:, :1], y[None, :] + self.shifts[:, 1:]


def _place(
    lon: FloatArray, lat: FloatArray, network: Network, sample: int, rule: EvidenceRule
) -> _Placements:
    """Project a seeded sample of the points under every system and under random shifts."""
    n = len(lon)
    rng = np.random.default_rng(rule.seed)
    pick = np.sort(rng.choice(n, size=sample, replace=False)) if n > sample else np.arange(n)
    to_net = pyproj.Transformer.from_crs("EPSG:4326", network.crs, always_xy=True)
    xy: dict[str, tuple[FloatArray, FloatArray]] = {}
    for system in SYSTEMS:
        w_lon, w_lat = convert(lon[pick], lat[pick], source=system, target="wgs84")
        with np.errstate(all="ignore"):
            x, y = to_net.transform(w_lon, w_lat)
        xy[system] = (np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    inside = {s: _in_bounds(network, x, y) for s, (x, y) in xy.items()}
    base_x, base_y = xy["wgs84"]
    finite = np.isfinite(base_x) & np.isfinite(base_y)
    offsets = [
        (float(np.mean((x - base_x)[finite])), float(np.mean((y - base_y)[finite])))
        if finite.any()
        else (0.0, 0.0)
        for x, y in xy.values()
    ]
    shifts = _shifts(rule, offsets)
    sx = base_x[None, :] + shifts[:, :1]
    sy = base_y[None, :] + shifts[:, 1:]
    return _Placements(pick, xy, inside, shifts, _in_bounds(network, sx, sy))


def _in_bounds(network: Network, x: FloatArray, y: FloatArray) -> BoolArray:
    """Finite points inside the network's bounding box (NaN compares False)."""
    left, bottom, right, top = network.bounds
    return np.asarray((x >= left) & (x <= right) & (y >= bottom) & (y <= top), dtype=bool)


def _shifts(rule: EvidenceRule, avoid: Sequence[tuple[float, float]]) -> FloatArray:
    """Seeded shifts of shift_min_m-shift_max_m in random directions, none near a candidate."""
    rng = np.random.default_rng(rule.seed)
    found: list[FloatArray] = []
    count = 0
    while count < rule.shifts:
        radius = rng.uniform(rule.shift_min_m, rule.shift_max_m, rule.shifts)
        angle = rng.uniform(0.0, 2.0 * np.pi, rule.shifts)
        shift = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
        far = np.ones(len(shift), dtype=bool)
        for ax, ay in avoid:
            far &= np.hypot(shift[:, 0] - ax, shift[:, 1] - ay) >= rule.shift_min_m
        found.append(shift[far])
        count += int(far.sum())
    return np.concatenate(found)[: rule.shifts]


# ====================================================================== the tests
def _street_distance(
    network: Network, x: FloatArray, y: FloatArray, cap: float = CHECK_MAX_DISTANCE_M
) -> FloatArray:
    """Distance to the nearest street, ``cap`` for points farther than it."""
    snapped = network.snap_xy(x, y, max_snap_m=cap)
    return np.where(snapped.reachable, snapped.access_m, cap)


def _usable_shifts(places: _Placements, rule: EvidenceRule) -> BoolArray:
    return np.asarray(places.shifted_inside.sum(axis=1) >= rule.min_points, dtype=bool)


def _score(
    test: str,
    share: Mapping[str, float],
    null_share: FloatArray,
    rule: EvidenceRule,
    **extra: Any,
) -> Evidence:
    """Score each system's share against the null of shifted shares; pick one if clear."""
    low, median, high = np.quantile(null_share, [0.05, 0.5, rule.null_quantile])
    unit = min(max(float(high - median), rule.min_spread), rule.max_spread)
    score = {s: 1.0 + (share[s] - float(high)) / unit for s in SYSTEMS}  # NaN: not measured
    ranked = sorted(SYSTEMS, key=lambda s: -_finite(score[s]))
    first, second = _finite(score[ranked[0]]), _finite(score[ranked[1]])
    clear = first >= rule.strong_score and first - second >= rule.gap_score
    null = {
        "low": float(low),
        "median": float(median),
        "high": float(high),
        "max": float(null_share.max()),
        "unit": unit,
        "shifts": float(len(null_share)),
        "quantile": rule.null_quantile,
        "shift_min_m": rule.shift_min_m,
        "shift_max_m": rule.shift_max_m,
    }
    return Evidence(
        test=test,
        share=share,
        score=score,
        null=null,
        picked=ranked[0] if clear else None,
        **extra,
    )


def _finite(value: float) -> float:
    """Return a score for ranking: NaN (a system that puts too few points inside) ranks last."""
    return value if np.isfinite(value) else -np.inf


def _distance_test(network: Network, places: _Placements, rule: EvidenceRule) -> Evidence:
    """Share of the points near a street, per system and per random shift.

    Each placement is measured on its points inside the network's bounding box;
    a system that puts fewer than ``min_points`` there is not measured (NaN).
    """
    usable = _usable_shifts(places, rule)
    sx, sy = places.shifted()
    inside = places.shifted_inside[usable]
    distance = np.full(inside.shape, np.nan)
    distance[inside] = _street_distance(
        network, sx[usable][inside], sy[usable][inside], cap=CHECK_NULL_MAX_DISTANCE_M
    )
    null_median = np.nanmedian(distance, axis=1)
    near = max(rule.near_m, rule.near_fraction * float(np.median(null_median)))
    null_share = (np.nan_to_num(distance, nan=np.inf) <= near).sum(axis=1) / inside.sum(axis=1)
    share: dict[str, float] = {}
    median: dict[str, float] = {}
    for system, (x, y) in places.xy.items():
        mine = places.inside[system]
        d = _street_distance(network, x[mine], y[mine])
        enough = len(d) >= rule.min_points
        share[system] = float(np.mean(d <= near)) if enough else np.nan
        median[system] = float(np.median(d)) if enough else np.nan
    low, mid, high = np.quantile(null_median, [0.05, 0.5, rule.null_quantile])
    return _score(
        "distance",
        share,
        null_share,
        rule,
        n_points=places.n_measured,
        counts={s: int(places.inside[s].sum()) for s in SYSTEMS},
        within_m=near,
        median_m=median,
        null_median_m={"low": float(low), "median": float(mid), "high": float(high)},
    )


def _address_test(
    network: Network, places: _Placements, named: _Named, rule: EvidenceRule
) -> Evidence | None:
    """Share of the points near an edge of the street their address names."""
    n = len(places.picked)
    position = np.full(int(max(places.picked.max(initial=-1), named.point.max())) + 1, -1)
    position[places.picked] = np.arange(n)
    sampled = position[named.point] >= 0
    point, key = position[named.point][sampled], named.key[sampled]
    if len(np.unique(point)) < rule.address_min_points:
        return None
    tree = shapely.STRtree(network.geometry[named.edges])
    street_of = named.edge_key

    def near_share(x: FloatArray, y: FloatArray, valid: BoolArray) -> FloatArray:
        """(rows,) share of each row's valid named points within the radius of their street."""
        rows, pairs = np.nonzero(valid[:, point])
        query = shapely.points(x[rows, point[pairs]], y[rows, point[pairs]])
        hit_q, hit_e = tree.query(query, predicate="dwithin", distance=rule.address_radius_m)
        good = street_of[hit_e] == key[pairs[hit_q]]
        hits = np.zeros((len(x), n), dtype=bool)
        hits[rows[hit_q[good]], point[pairs[hit_q[good]]]] = True
        on = np.zeros((len(x), n), dtype=bool)
        on[:, point] = valid[:, point]
        counted = on.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            shares = hits.sum(axis=1) / counted
        return np.where(counted >= rule.address_min_points, shares, np.nan)

    usable = _usable_shifts(places, rule)
    sx, sy = places.shifted()
    null_share = near_share(sx[usable], sy[usable], places.shifted_inside[usable])
    null_share = null_share[np.isfinite(null_share)]
    if len(null_share) < rule.min_shifts:
        return None
    share = {
        s: float(near_share(x[None, :], y[None, :], places.inside[s][None, :])[0])
        for s, (x, y) in places.xy.items()
    }
    counts = {s: int(np.unique(point[places.inside[s][point]]).size) for s in SYSTEMS}
    distance = {
        s: _named_distance(network, places.xy[s], point, key, named) if counts[s] else np.nan
        for s in SYSTEMS
    }
    return _score(
        "address",
        share,
        null_share,
        rule,
        n_points=len(np.unique(point)),
        counts=counts,
        within_m=rule.address_radius_m,
        median_m=distance,
        null_median_m={},
    )


def _named_distance(
    network: Network,
    xy: tuple[FloatArray, FloatArray],
    point: IntArray,
    key: IntArray,
    named: _Named,
) -> float:
    """Median distance from the named points to the nearest edge of their street."""
    geoms = network.geometry[named.edges]
    best = np.full(int(point.max()) + 1, np.inf)
    for street in np.unique(key):
        lines = shapely.multilinestrings(list(geoms[named.edge_key == street]))
        mine = point[key == street]
        d = shapely.distance(shapely.points(xy[0][mine], xy[1][mine]), lines)
        best[mine] = np.minimum(best[mine], d)
    return float(np.median(best[np.unique(point)]))


# ====================================================================== the decision
def check_points(
    lon: Sequence[float] | FloatArray,
    lat: Sequence[float] | FloatArray,
    network: Network,
    *,
    coordinates: str = "auto",
    addresses: Sequence[object] | None = None,
    edge_names: Sequence[object] | None = None,
    sample: int = 2000,
    rule: EvidenceRule | None = None,
    what: str = "the points",
) -> CoordinateCheck:
    """Decide the coordinate system of lon/lat points from how they fit a street network.

    Parameters
    ----------
    lon, lat
        The numbers as the file gives them, in an unknown (or declared)
        system; NaN rows are ignored.
    network
        The study area's streets (:class:`geoplan.Network`).
    coordinates
        ``"auto"`` or the declared system (any name
        :func:`geoplan.coords.normalize_system` accepts).
    addresses
        One address per point (Amap's 地址), for the address test; None for none.
    edge_names
        One street name (or None) per network edge; by default the network's
        ``edge_attrs["name"]`` when it has one. Without names there is no
        address test.
    sample
        At most this many points are measured (a seeded sample).
    rule
        The thresholds (:class:`EvidenceRule`); the module's defaults when None.
    what
        The points' name in messages and caveats (a file name).

    Returns
    -------
    CoordinateCheck
        The evidence and the decision (``system``: the system to read the
        points in).

    Raises
    ------
    CRSError
        ``"auto"`` without strong evidence for one system; a declared system
        that strong evidence contradicts. The message gives every figure and
        the fix.
    InputError
        Arrays of different lengths, a bad ``sample``, ``edge_names`` of the
        wrong length.
    ConfigError
        An unknown ``coordinates`` name.
    """
    rule = EvidenceRule() if rule is None else rule
    declared = "auto" if _is_auto(coordinates) else normalize_system(coordinates)
    lon_a, lat_a, rows = _lonlat(lon, lat, sample)
    names = _edge_names(network, edge_names)
    texts = None if addresses is None else [addresses[int(i)] for i in rows]
    places = _place(lon_a, lat_a, network, sample, rule)
    reason = _unmeasurable(places, network, rule)
    if reason:
        log.warning("%s: coordinate check skipped: %s", what, reason)
        system = None if declared == "auto" else declared
        return CoordinateCheck(
            declared, system, "unchecked", "none", None, places.n_measured, network.name,
            reason=reason, what=what,
        )  # fmt: skip
    distance = _distance_test(network, places, rule)
    named = _named_points(texts, names)
    address = None if named is None else _address_test(network, places, named, rule)
    return _decide(declared, distance, address, network=network, rule=rule, what=what)


def _is_auto(coordinates: object) -> bool:
    return isinstance(coordinates, str) and coordinates.strip().lower() == "auto"


def _lonlat(
    lon: Sequence[float] | FloatArray, lat: Sequence[float] | FloatArray, sample: int
) -> tuple[FloatArray, FloatArray, IntArray]:
    """Return the finite lon/lat and their positions; check the arguments."""
    lon_a = np.asarray(lon, dtype=np.float64).ravel()
    lat_a = np.asarray(lat, dtype=np.float64).ravel()
    if lon_a.shape != lat_a.shape:
        msg = f"lon has {len(lon_a)} values but lat {len(lat_a)}; give one of each per point"
        raise InputError(msg)
    if isinstance(sample, bool) or not isinstance(sample, int | np.integer) or sample < 1:
        msg = f"sample must be a whole number of points, at least 1; got {sample!r}"
        raise InputError(msg)
    rows = np.flatnonzero(np.isfinite(lon_a) & np.isfinite(lat_a))
    return lon_a[rows], lat_a[rows], rows


def _unmeasurable(places: _Placements, network: Network, rule: EvidenceRule) -> str:
    """Return why the points cannot be checked against this network, or ``''``."""
    n = places.n_measured
    if n < rule.min_points:
        return (
            f"only {n} of the points lie within the bounding box of the network "
            f"{network.name!r} under any system (at least {rule.min_points} are needed); "
            "the points and the network cover different areas"
        )
    usable = int(_usable_shifts(places, rule).sum())
    if usable < rule.min_shifts:
        return (
            f"the network {network.name!r} is too small to calibrate the check: only {usable} "
            f"of {rule.shifts} random shifts of {rule.shift_min_m:g}-{rule.shift_max_m:g} m "
            f"keep {rule.min_points} points inside it (at least {rule.min_shifts} are needed); "
            "use a network that extends about 1.5 km beyond the points"
        )
    return ""


def _decide(
    declared: str,
    distance: Evidence,
    address: Evidence | None,
    *,
    network: Network,
    rule: EvidenceRule,
    what: str,
) -> CoordinateCheck:
    tests = [t for t in (distance, address) if t is not None]
    picks = {t.picked for t in tests if t.picked is not None}
    detected = next(iter(picks)) if len(picks) == 1 else None
    hinted = any(t.score[s] > rule.weak_score for t in tests for s in SYSTEMS)
    evidence = "strong" if detected else ("weak" if hinted or len(picks) > 1 else "none")
    check = CoordinateCheck(
        declared, None, "kept", evidence, detected, distance.n_points, network.name,
        distance=distance, address=address, what=what,
    )  # fmt: skip
    if declared == "auto":
        if detected is None:
            raise CRSError(_refusal(check))
        log.info("%s: coordinates detected as %s (%s)", what, LABELS[detected], check.summary())
        return _with(check, system=detected, decision="detected")
    if detected == declared:
        return _with(check, system=declared, decision="confirmed")
    if detected is not None:
        deciding = [t for t in tests if t.picked == detected]
        if not any(t.score[declared] > rule.weak_score for t in deciding):
            raise CRSError(_contradiction(check, declared, detected))
        return _contradicted(check, declared, detected)
    rival = _rival(tests, declared, rule)
    if rival is not None:
        return _contradicted(check, declared, rival)
    return _with(check, system=declared, decision="kept")


def _rival(tests: Sequence[Evidence], declared: str, rule: EvidenceRule) -> str | None:
    """Return the system beating the null and the declared one in some test, or None."""
    found = [
        (t.score[s], s)
        for t in tests
        for s in SYSTEMS
        if s != declared and t.score[s] > rule.weak_score and t.score[s] > t.score[declared]
    ]
    return max(found)[1] if found else None


def _contradicted(check: CoordinateCheck, declared: str, favoured: str) -> CoordinateCheck:
    """Keep the declared system against weak evidence, and say so."""
    kept = _with(
        check, system=declared, decision="contradicted", evidence="weak", favoured=favoured
    )
    log.warning(
        "%s: coordinates declared %s fit the streets of the network %r better as %s (weak "
        "evidence: %s); the declared %s is used",
        check.what,
        LABELS[declared],
        check.network,
        LABELS[favoured],
        check.summary(),
        LABELS[declared],
    )
    return kept


def _with(check: CoordinateCheck, **changes: Any) -> CoordinateCheck:
    values = {**vars(check), **changes}
    return CoordinateCheck(**values)


_DECLARE: Final = (
    "coordinates='gcj02' (Amap/Gaode, Tencent), 'bd09' (Baidu) or 'wgs84' (GPS, "
    'OpenStreetMap); in a study file, coordinates = "gcj02" in the file\'s section, '
    "e.g. [pois]"
)


def _refusal(check: CoordinateCheck) -> str:
    if check.evidence == "weak" and len({t.picked for t in _tests(check) if t.picked}) > 1:
        verdict = "The street distances and the addresses point to different systems"
    else:
        verdict = (
            "No system fits the streets clearly better than the others and than points placed "
            "wrongly at random"
        )
    more = (
        " (an address column, 地址, adds a second test where the network's streets have names)"
        if check.address is None
        else ""
    )
    return (
        f"{check.what}: cannot tell the coordinate system from the streets of the network "
        f"{check.network!r}: {check.summary()}. {verdict}, so a guess could move every point "
        f"by 0.3-1.5 km{more}. Declare the system: {_DECLARE}"
    )


def _contradiction(check: CoordinateCheck, declared: str, detected: str) -> str:
    distance = check.distance
    assert distance is not None
    return (
        f"{check.what}: coordinates declared {LABELS[declared]} but the points lie "
        f"{_metres(distance.median_m[declared])} (median) from the streets of the network "
        f"{check.network!r} in {LABELS[declared]} and {_metres(distance.median_m[detected])} "
        f"in {LABELS[detected]}, and fit them no better than points placed wrongly at random "
        f"({check.summary()}): they look like {LABELS[detected]} ({PROVIDERS[detected]}); "
        f"pass coordinates='{detected}' (in a study file, coordinates = \"{detected}\")"
    )


def _tests(check: CoordinateCheck) -> list[Evidence]:
    return [t for t in (check.distance, check.address) if t is not None]


# ====================================================================== frames
def check_coordinates(
    frame: Any,
    network: Network,
    *,
    coordinates: str = "wgs84",
    address_column: Hashable | None = None,
    edge_names: Sequence[object] | None = None,
    sample: int = 2000,
    rule: EvidenceRule | None = None,
    what: str | None = None,
) -> CoordinateCheck:
    """Check the coordinate system of a GeoDataFrame in lon/lat against a street network.

    Community boundaries, facility files, POIs: any geometries in a geographic
    CRS (EPSG:4326 numbers that may really be GCJ-02 or BD-09). Points are
    measured as they are; lines and polygon *boundaries* at points every
    :data:`CHECK_LINE_STEP_M` along them (community boundaries run along
    streets, their centroids do not).

    Parameters
    ----------
    frame
        A GeoDataFrame or GeoSeries in a geographic CRS.
    network
        The study area's streets.
    coordinates
        The declared system of the numbers (default ``"wgs84"``) or ``"auto"``.
    address_column
        A column of addresses, for the address test (point features only).
    edge_names, sample, rule
        As for :func:`check_points`.
    what
        The frame's name in messages; ``frame.attrs["source"]`` or "the features".

    Returns
    -------
    CoordinateCheck
        Convert the frame with ``geoplan.coords.convert_frame(frame,
        source=check.system)`` when ``check.system`` is not ``"wgs84"``.

    Raises
    ------
    CRSError
        No CRS or a projected one; see :func:`check_points` for the check's own.
    InputError
        Not a GeoDataFrame/GeoSeries; an unknown ``address_column``.
    """
    import geopandas as gpd

    if not isinstance(frame, gpd.GeoDataFrame | gpd.GeoSeries):
        msg = f"frame must be a GeoDataFrame or GeoSeries in lon/lat, got {type(frame).__name__}"
        raise InputError(msg)
    name = str(frame.attrs.get("source", "the features")) if what is None else what
    _require_lonlat(frame.crs, name)
    geoms = np.asarray(frame.geometry.values)
    lon, lat, owner = _measure_points(geoms)
    addresses = None
    if address_column is not None:
        if not isinstance(frame, gpd.GeoDataFrame) or address_column not in frame.columns:
            msg = f"{name}: no column {address_column!r} of addresses"
            raise InputError(msg)
        values = frame[address_column].tolist()
        addresses = [values[int(i)] if i >= 0 else None for i in owner]
    return check_points(
        lon, lat, network, coordinates=coordinates, addresses=addresses,
        edge_names=edge_names, sample=sample, rule=rule, what=name,
    )  # fmt: skip


def _require_lonlat(crs: Any, name: str) -> None:
    if crs is None:
        msg = (
            f"{name} has no CRS; the coordinate check needs longitude/latitude: set it with "
            "frame.set_crs(4326) when the numbers are degrees"
        )
        raise CRSError(msg)
    if not pyproj.CRS.from_user_input(crs).is_geographic:
        msg = (
            f"{name} is in {pyproj.CRS.from_user_input(crs).to_string()}, a projected CRS; "
            "WGS-84, GCJ-02 and BD-09 are longitude/latitude systems: check the frame as it "
            "was read (in EPSG:4326), before projecting it"
        )
        raise CRSError(msg)


def _measure_points(geoms: NDArray[Any]) -> tuple[FloatArray, FloatArray, IntArray]:
    """Points to measure: points as they are, lines and boundaries every CHECK_LINE_STEP_M.

    Returns lon, lat and, per measured point, the feature it comes from when the
    feature is a point (-1 for points along lines and boundaries).
    """
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    kind = np.where(present, shapely.get_type_id(geoms), -1)
    single = np.flatnonzero(kind == 0)
    xy = shapely.get_coordinates(geoms[single]) if len(single) else np.empty((0, 2))
    others = geoms[present & (kind != 0)]
    lines = np.where(shapely.get_dimensions(others) == 2, shapely.boundary(others), others)
    step_deg = CHECK_LINE_STEP_M / 111_320.0
    along = shapely.get_coordinates(shapely.segmentize(lines, step_deg)) if len(lines) else xy[:0]
    lon = np.concatenate([xy[:, 0], along[:, 0]])
    lat = np.concatenate([xy[:, 1], along[:, 1]])
    owner = np.concatenate([single, np.full(len(along), -1)]).astype(np.int64)
    return lon, lat, owner


# ====================================================================== headers
def header_hint(header_texts: Sequence[str], columns: Sequence[str]) -> str | None:
    """Return the system coordinate headers name, ``"location"`` for Amap's column, or None.

    Parameters
    ----------
    header_texts
        The coordinate columns' headers as the file writes them (``bd_lng``).
    columns
        Their canonical names (``("lon", "lat")`` or ``("location",)``).

    Raises
    ------
    CRSError
        The headers name different systems.

    Examples
    --------
    >>> header_hint(["bd_lng", "bd_lat"], ["lon", "lat"]), header_hint(["location"], ["location"])
    ('bd09', 'location')
    """
    found = set()
    for text in header_texts:
        key = re.sub(r"[\W_]+", "", normalize_text(text).casefold())
        for system, words in _HINTS:
            if any(word in key for word in words):
                found.add(system)
                break
    if len(found) > 1:
        listed = ", ".join(repr(t) for t in header_texts)
        msg = (
            f"the coordinate headers {listed} name different systems "
            f"({', '.join(LABELS[s] for s in sorted(found))}); pass coordinates= to say which"
        )
        raise CRSError(msg)
    if found:
        return found.pop()
    return "location" if tuple(columns) == ("location",) else None


def guess_from_headers(hint: str | None, header_texts: Sequence[str]) -> str:
    """Return the system a header hint stands for (without a network to check it), or refuse.

    Raises
    ------
    CRSError
        No hint: the message asks for ``coordinates=`` or ``network=``.
    """
    headers = ", ".join(repr(t) for t in header_texts)
    if hint is None:
        msg = (
            f"cannot tell the coordinate system of the columns {headers}: pass "
            "coordinates='gcj02' (Amap/Gaode, Tencent), 'bd09' (Baidu) or 'wgs84' (GPS, "
            "OpenStreetMap), or network=geoplan.read_network(...) to detect it from the streets"
        )
        raise CRSError(msg)
    system = "gcj02" if hint == "location" else hint
    reason = "an Amap-style location column" if hint == "location" else f"the header {headers}"
    log.warning(
        "coordinates guessed as %s from %s; confirm it with network=geoplan.read_network(...) "
        "or declare it with coordinates='%s'",
        LABELS[system],
        reason,
        system,
    )
    return system


# ====================================================================== tables
def decide_table_system(
    coordinates: str,
    *,
    header_texts: Sequence[str],
    columns: Sequence[str],
    lon: FloatArray,
    lat: FloatArray,
    network: Network | None,
    sample: int,
    addresses: Sequence[object] | None = None,
    what: str = "the table",
) -> tuple[str, CoordinateCheck | None]:
    """Return the system to read a table's coordinates in, and the network check (or None).

    With a network, :func:`check_points` decides (and refuses what the
    evidence does not support). Without one, or when the points cannot be
    measured against it, a declared system is used as it is and ``"auto"`` is
    guessed from the headers (:func:`header_hint`, :func:`guess_from_headers`).

    Parameters
    ----------
    coordinates
        ``"auto"`` or the declared system.
    header_texts, columns
        The coordinate columns' headers as written, and their canonical names.
    lon, lat
        The coordinates as the file gives them.
    network, sample, addresses, what
        As for :func:`check_points`.

    Raises
    ------
    CRSError
        See :func:`check_points` and :func:`guess_from_headers`.
    """
    declared = "auto" if _is_auto(coordinates) else normalize_system(coordinates)
    hint = header_hint(header_texts, columns)
    if declared != "auto" and hint not in (None, "location", declared):
        log.warning(
            "coordinates=%r but the header %s suggests %s; the declared %s is used",
            coordinates,
            ", ".join(repr(t) for t in header_texts),
            LABELS[str(hint)],
            LABELS[declared],
        )
    check = None
    if network is not None:
        check = check_points(
            lon, lat, network, coordinates=declared, addresses=addresses, sample=sample, what=what
        )
        if check.system is not None:
            return check.system, check
    if declared != "auto":
        return declared, check
    system = guess_from_headers(hint, header_texts)
    return system, None if check is None else _with(check, system=system)
