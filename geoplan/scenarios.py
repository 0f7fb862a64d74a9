"""Scenarios on the network: a footbridge built, a road closed, a railway fenced off.

What a plan changes in the streets changes who reaches what. The edits here
return a *new* network (the input is never changed), built through the public
round trip :meth:`Network.to_gdfs` → edit the frames → :class:`Network`, so
every per-edge column (names, road classes, levels, and whatever the engine
carries per edge) travels with the edges:

* :func:`add_link` adds a walkable link (a footbridge, an underpass, a new
  path) joined to the network **at its two ends only**: an end within
  ``snap_m`` of a node joins that node, else the nearest street within
  ``snap_m`` is split where the end meets it; the link crosses whatever lies
  between without a junction (a bridge over a river, a tunnel under a road).
  A new street meeting others along its way is given as one link per stretch.
* :func:`close` removes streets: by position (the rows of ``to_gdfs()[1]``),
  by name, or those a polygon or line touches. Removing whole edges is what
  closing means: the people along them walk from the next open street.
* :func:`barrier` cuts every street crossing a line (a railway, a fenced
  expressway): each crossing edge is split where it meets the line and the
  pieces are left unjoined there, so the homes along them stay on their own
  side. Streets at another level (an edge attribute ``level`` other than 0:
  bridges, tunnels) pass over or under it and are kept.

A :class:`Scenario` bundles the edits of one "what if" (closed, then cut, then
added, so a footbridge over a railway that the same scenario fences off
survives); :func:`before_after` compares two runs of one study, the base and
the scenario, figure by figure.

Examples
--------
>>> from shapely.geometry import LineString
>>> net = Network.from_edges([(0, 0, 100, 0), (0, 50, 100, 50)], crs=32651)
>>> net.n_components
2
>>> add_link(net, LineString([(50, 0), (50, 50)])).n_components
1
"""

from __future__ import annotations

import difflib
import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree
from shapely.ops import substring

from geoplan._errors import InputError
from geoplan._io import SAFE_NAME
from geoplan._validate import weight_column
from geoplan.network import Network

if TYPE_CHECKING:
    import geopandas as gpd

    from geoplan.coverage import Coverage
    from geoplan.life_circles import LifeCircles
    from geoplan.siting import SiteProposal

__all__ = [
    "DEFAULT_SNAP_M",
    "Edited",
    "Scenario",
    "ScenarioResult",
    "add_link",
    "barrier",
    "before_after",
    "close",
]

#: How far an end of an added link may lie from the streets it joins. A geoplan default,
#: not from a standard: about the width of a street with its pavements, so a link drawn by
#: hand on a map meets the street it was drawn to and no other.
DEFAULT_SNAP_M = 25.0
#: Pieces shorter than this (metres) are no street: a cut at a node, rounding.
_TINY_M = 1e-6
_CORE = ("u", "v", "length_m")


# ================================================================ the network's frames
@dataclass
class _Frames:
    """A network as plain tables being edited: nodes (id -> x, y) and edges."""

    base: Network
    ids: list[Any]
    x: list[float]
    y: list[float]
    edges: pd.DataFrame  # u, v (node ids), geometry, and the edge attributes
    touched: set[Any] = field(default_factory=set)  # nodes whose edges an edit removed

    @classmethod
    def of(cls, network: Network) -> _Frames:
        nodes, edges = network.to_gdfs()
        geometry = np.asarray(edges.geometry.array, dtype=object)
        table = pd.DataFrame(edges.drop(columns=[edges.geometry.name, "length_m"]))
        table["geometry"] = geometry
        xy = shapely.get_coordinates(np.asarray(nodes.geometry.array, dtype=object))
        return cls(network, list(nodes.index), list(xy[:, 0]), list(xy[:, 1]), table)

    def new_node(self, x: float, y: float) -> Any:
        """Add a node and return its id (the next integer, or a text id)."""
        ids = self.ids
        node: Any
        if all(isinstance(i, int | np.integer) for i in ids):
            node = int(max(ids)) + 1 if ids else 0
        else:
            taken = {str(i) for i in ids}
            number = len(ids)
            while f"scenario-{number}" in taken:
                number += 1
            node = f"scenario-{number}"
        ids.append(node)
        self.x.append(float(x))
        self.y.append(float(y))
        return node

    def xy(self, node: Any) -> tuple[float, float]:
        k = self.ids.index(node)
        return self.x[k], self.y[k]

    def drop_edges(self, mask: NDArray[np.bool_]) -> None:
        dropped = self.edges.loc[mask]
        self.touched |= set(dropped["u"]) | set(dropped["v"])
        self.edges = self.edges.loc[~mask].reset_index(drop=True)

    def append_edges(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            added = pd.DataFrame(rows, columns=self.edges.columns)
            self.edges = pd.concat([self.edges, added], ignore_index=True)

    def network(self) -> Network:
        """Build the edited network: the base's profile, speed, name and edge columns."""
        if len(self.edges) == 0:
            msg = (
                f"{self.base.name}: the scenario leaves no street at all; close or cut fewer "
                "streets (check the polygons and lines of the scenario)"
            )
            raise InputError(msg)
        used = set(self.edges["u"]) | set(self.edges["v"])
        keep = [k for k, i in enumerate(self.ids) if i in used or i not in self.touched]
        ids = pd.Index([self.ids[k] for k in keep])
        attrs = self.edges.drop(columns=["u", "v", "geometry"])
        return Network(
            x=np.asarray(self.x)[keep],
            y=np.asarray(self.y)[keep],
            edge_u=ids.get_indexer(self.edges["u"]),
            edge_v=ids.get_indexer(self.edges["v"]),
            geometry=np.asarray(self.edges["geometry"], dtype=object),
            node_id=ids.to_numpy(),
            crs=self.base.crs,
            profile=self.base.profile,
            speed_m_s=self.base.speed_m_s,
            name=self.base.name,
            edge_attrs=attrs if len(attrs.columns) else None,
        )


def _geometries(value: Any, network: Network, what: str) -> NDArray[np.object_]:
    """Shapely geometries in the network's CRS from a geometry, GeoSeries or GeoDataFrame."""
    import geopandas as gpd

    if isinstance(value, gpd.GeoDataFrame | gpd.GeoSeries):
        if value.crs is None:
            msg = f"the {what} have no CRS; set it, e.g. frame.set_crs(4326)"
            raise InputError(msg)
        geoms = np.asarray(value.to_crs(network.crs).geometry.array, dtype=object)
    elif isinstance(value, shapely.Geometry):
        geoms = np.asarray([value], dtype=object)
    elif isinstance(value, Iterable) and not isinstance(value, str):
        geoms = np.asarray(list(value), dtype=object)
    else:
        msg = f"the {what} must be shapely geometries or a GeoDataFrame, got {type(value).__name__}"
        raise InputError(msg)
    if not all(isinstance(g, shapely.Geometry) for g in geoms):
        msg = f"the {what} must be shapely geometries (in the network's CRS)"
        raise InputError(msg)
    return np.asarray([g for g in geoms if not g.is_empty], dtype=object)


def _lines(value: Any, network: Network, what: str) -> list[Any]:
    """Single LineStrings (the parts of multi-lines) in the network's CRS."""
    parts = []
    for geom in _geometries(value, network, what):
        if geom.geom_type not in ("LineString", "MultiLineString"):
            msg = (
                f"the {what} must be lines, got a {geom.geom_type}; draw each as a line "
                "(a polyline in QGIS)"
            )
            raise InputError(msg)
        parts += list(getattr(geom, "geoms", [geom]))
    if not parts:
        msg = f"the {what} hold no line; draw at least one"
        raise InputError(msg)
    return parts


# ================================================================ adding links
def add_link(
    network: Network,
    line: Any,
    *,
    snap_m: float = DEFAULT_SNAP_M,
    attrs: Mapping[str, Any] | None = None,
) -> Network:
    """Return the network with a walkable link added, joined at its two ends.

    Parameters
    ----------
    network
        The network (not changed).
    line
        The link(s): a LineString, lines, or a GeoDataFrame of lines (any
        CRS; shapely geometries are in the network's CRS). A GeoDataFrame's
        columns named like the network's edge attributes (``name``,
        ``road_class``, ``level``) give the new edges theirs.
    snap_m
        How far each end may lie from the streets: within it of a node, the
        end joins the node; else the nearest street within it is split where
        the end meets it.
    attrs
        Edge attributes of every new link (``{"name": "人行天桥"}``).

    Returns
    -------
    Network

    Raises
    ------
    InputError
        An end lies farther than ``snap_m`` from every street, or both ends
        join the same node.
    """
    edited, _ = _add(network, line, snap_m=snap_m, attrs=attrs)
    return edited


def _add(
    network: Network, line: Any, *, snap_m: float, attrs: Mapping[str, Any] | None
) -> tuple[Network, list[Any]]:
    """Add links; return the network and the links as built (with their joins)."""
    _check_snap(snap_m)
    frames = _Frames.of(network)
    rows = _attribute_rows(line, frames.edges.columns, attrs)
    built = []
    for piece, extra in zip(_lines(line, network, "added links"), rows, strict=True):
        start, start_xy = _join(frames, shapely.get_coordinates(piece)[0], snap_m)
        end, end_xy = _join(frames, shapely.get_coordinates(piece)[-1], snap_m)
        if start == end:
            msg = (
                f"both ends of the added link {piece.wkt[:60]}... join the same node "
                f"{start!r}; draw the link from one street to another"
            )
            raise InputError(msg)
        coords = [start_xy, *shapely.get_coordinates(piece).tolist(), end_xy]
        geometry = shapely.linestrings(_without_repeats(coords))
        frames.append_edges([{**extra, "u": start, "v": end, "geometry": geometry}])
        built.append(geometry)
    return frames.network(), built


def _check_snap(snap_m: float) -> None:
    if not (isinstance(snap_m, int | float) and math.isfinite(snap_m) and snap_m > 0):
        msg = f"snap_m={snap_m!r} must be a positive number of metres; e.g. snap_m=25"
        raise InputError(msg)


def _attribute_rows(
    line: Any, columns: pd.Index, attrs: Mapping[str, Any] | None
) -> list[dict[str, Any]]:
    """Each link's edge attributes: the frame's own columns, then ``attrs``."""
    import geopandas as gpd

    own = [c for c in columns if c not in ("u", "v", "geometry")]
    if isinstance(line, gpd.GeoDataFrame):
        frame = line[~line.geometry.is_empty & line.geometry.notna()]
        rows = []
        for _, row in frame.iterrows():
            parts = len(getattr(row.geometry, "geoms", [row.geometry]))
            base = {c: row[c] for c in own if c in frame.columns}
            rows += [base | dict(attrs or {})] * parts
        return [{c: r.get(c) for c in own} for r in rows]
    count = len(_line_parts(line))
    return [{c: (attrs or {}).get(c) for c in own} for _ in range(count)]


def _line_parts(line: Any) -> list[Any]:
    import geopandas as gpd

    if isinstance(line, gpd.GeoDataFrame | gpd.GeoSeries):
        geoms = [g for g in line.geometry if g is not None and not g.is_empty]
    elif isinstance(line, shapely.Geometry):
        geoms = [line]
    else:
        geoms = [g for g in line if not g.is_empty]
    return [p for g in geoms for p in getattr(g, "geoms", [g])]


def _without_repeats(coords: Sequence[Sequence[float]]) -> NDArray[np.float64]:
    points = np.asarray(coords, dtype=np.float64)
    keep = np.ones(len(points), dtype=bool)
    keep[1:] = np.any(np.abs(np.diff(points, axis=0)) > 0, axis=1)
    return np.asarray(points[keep], dtype=np.float64)


def _join(frames: _Frames, point: NDArray[np.float64], snap_m: float) -> tuple[Any, list[float]]:
    """Join one end to a node within ``snap_m``, else split the nearest street there."""
    x, y = float(point[0]), float(point[1])
    tree = cKDTree(np.column_stack([frames.x, frames.y]))
    distance, k = tree.query([x, y])
    if distance <= snap_m:
        node = frames.ids[int(k)]
        return node, list(frames.xy(node))
    geometry = np.asarray(frames.edges["geometry"], dtype=object)
    end = shapely.points(x, y)
    gaps = shapely.distance(geometry, end)
    nearest = int(np.argmin(gaps))
    if gaps[nearest] > snap_m:
        msg = (
            f"an end of an added link, at ({x:.1f}, {y:.1f}) in {frames.base.crs.to_string()}, "
            f"is {gaps[nearest]:,.0f} m from the nearest street, more than snap_m = {snap_m:g}: "
            "draw the link to a street, or raise snap_m (a file drawn on Amap or Baidu is in "
            'GCJ-02/BD-09: give coordinates = "gcj02")'
        )
        raise InputError(msg)
    return _split(frames, nearest, end)


def _split(frames: _Frames, row: int, point: Any) -> tuple[Any, list[float]]:
    """Split edge ``row`` where ``point`` projects onto it; return the node there."""
    edge = frames.edges.iloc[row]
    line = edge["geometry"]
    at = float(shapely.line_locate_point(line, point))
    if at <= _TINY_M:
        return edge["u"], list(frames.xy(edge["u"]))
    if at >= line.length - _TINY_M:
        return edge["v"], list(frames.xy(edge["v"]))
    foot = shapely.line_interpolate_point(line, at)
    node = frames.new_node(foot.x, foot.y)
    row_values = {str(k): v for k, v in edge.items()}
    first = {**row_values, "v": node, "geometry": substring(line, 0.0, at)}
    second = {**row_values, "u": node, "geometry": substring(line, at, line.length)}
    mask = np.zeros(len(frames.edges), dtype=bool)
    mask[row] = True
    frames.edges = frames.edges.loc[~mask].reset_index(drop=True)
    frames.append_edges([first, second])
    return node, [foot.x, foot.y]


# ================================================================ closing streets
def close(
    network: Network,
    *,
    edges: Sequence[int] | None = None,
    names: Sequence[str] | None = None,
    where: Any = None,
) -> Network:
    """Return the network without the streets closed.

    Parameters
    ----------
    network
        The network (not changed).
    edges
        Edge positions (rows of ``network.to_gdfs()[1]``).
    names
        Street names (``network.edge_attrs["name"]``, matched exactly).
    where
        Polygons or lines (a geometry, or a GeoDataFrame in any CRS): every
        street they touch is closed.

    Returns
    -------
    Network

    Raises
    ------
    InputError
        Nothing chosen, a position out of range, a name no street has, or
        streets chosen that do not exist.
    """
    edited, _ = _close(network, edges=edges, names=names, where=where)
    return edited


def _close(
    network: Network,
    *,
    edges: Sequence[int] | None = None,
    names: Sequence[str] | None = None,
    where: Any = None,
) -> tuple[Network, list[Any]]:
    """Close streets; return the network and the closed streets' geometries."""
    if edges is None and names is None and where is None:
        msg = "say which streets to close: edges=[...], names=[...] or where=polygon"
        raise InputError(msg)
    frames = _Frames.of(network)
    chosen = np.zeros(network.n_edges, dtype=bool)
    if edges is not None:
        chosen |= _by_position(network, edges)
    if names is not None:
        chosen |= _by_name(network, names)
    if where is not None:
        shapes = _geometries(where, network, "streets to close")
        area = shapely.union_all(shapes)
        shapely.prepare(area)
        touched = np.asarray(shapely.intersects(network.geometry, area), dtype=bool)
        if not touched.any():
            msg = (
                "the streets to close touch no street of the network; check that they lie on "
                "the streets (and their coordinates: a file drawn on Amap is in GCJ-02)"
            )
            raise InputError(msg)
        chosen |= touched
    closed = list(network.geometry[chosen])
    frames.drop_edges(chosen)
    return frames.network(), closed


def _by_position(network: Network, edges: Sequence[int]) -> NDArray[np.bool_]:
    positions = np.asarray(list(edges))
    if positions.size and (
        positions.dtype.kind not in "iu"
        or positions.min() < 0
        or positions.max() >= network.n_edges
    ):
        msg = (
            f"edges must be positions 0..{network.n_edges - 1} (rows of network.to_gdfs()[1]), "
            f"got {list(edges)[:5]}"
        )
        raise InputError(msg)
    chosen = np.zeros(network.n_edges, dtype=bool)
    chosen[positions.astype(np.int64)] = True
    return chosen


def _by_name(network: Network, names: Sequence[str]) -> NDArray[np.bool_]:
    table = network.edge_attrs
    if table is None or "name" not in table.columns:
        msg = (
            "the network carries no street names (edge_attrs has no 'name' column); close "
            "streets by where= (a polygon or line) or by edges= instead"
        )
        raise InputError(msg)
    known = table["name"].astype(str)
    for name in names:
        if not (known == str(name)).any():
            close_names = difflib.get_close_matches(str(name), sorted(set(known)), n=3)
            hint = f"; did you mean {', '.join(close_names)}?" if close_names else ""
            msg = f"no street is named {name!r}{hint} (names are matched exactly)"
            raise InputError(msg)
    return np.asarray(known.isin([str(n) for n in names]).to_numpy(), dtype=bool)


# ================================================================ barriers
def barrier(network: Network, line: Any, *, level_column: str = "level") -> Network:
    """Return the network with every street crossing ``line`` cut where it crosses.

    Parameters
    ----------
    network
        The network (not changed).
    line
        The barrier: lines (a geometry, or a GeoDataFrame in any CRS).
    level_column
        Edge attribute of the street's level: streets at a level other than
        0 (bridges, tunnels) pass over or under the barrier and are kept.
        Without it every crossing street is cut.

    Returns
    -------
    Network

    Raises
    ------
    InputError
        The barrier is not lines, or crosses no street.
    """
    edited, _ = _barrier(network, line, level_column=level_column)
    return edited


def _barrier(network: Network, line: Any, *, level_column: str) -> tuple[Network, int]:
    """Cut streets; return the network and how many streets were cut."""
    wall = shapely.union_all(np.asarray(_lines(line, network, "barrier"), dtype=object))
    crossing = shapely.intersects(network.geometry, wall)
    table = network.edge_attrs
    if table is not None and level_column in table.columns:
        level = pd.to_numeric(table[level_column], errors="coerce").fillna(0).to_numpy()
        crossing &= level == 0
    if not crossing.any():
        msg = (
            "the barrier crosses no street at ground level; check that it lies across the "
            "streets (and its coordinates: a file drawn on Amap is in GCJ-02)"
        )
        raise InputError(msg)
    frames = _Frames.of(network)
    pieces: list[dict[str, Any]] = []
    for row in np.flatnonzero(crossing):
        edge = {str(k): v for k, v in frames.edges.iloc[int(row)].items()}
        pieces += _cut(frames, edge, wall)
    frames.drop_edges(crossing)
    frames.append_edges(pieces)
    return frames.network(), int(crossing.sum())


def _cut(frames: _Frames, edge: dict[str, Any], wall: Any) -> list[dict[str, Any]]:
    """Return the pieces of one street on either side of the wall, unjoined where it crosses."""
    line = edge["geometry"]
    length = float(line.length)
    meets = shapely.get_coordinates(shapely.intersection(line, wall))
    at: list[float] = (
        sorted(float(a) for a in shapely.line_locate_point(line, shapely.points(meets)))
        if len(meets)
        else []
    )
    stops = [0.0, *[a for a in at if _TINY_M < a < length - _TINY_M], length]
    cut_u = any(a <= _TINY_M for a in at)
    cut_v = any(a >= length - _TINY_M for a in at)
    out = []
    for a, b in itertools.pairwise(stops):
        piece = substring(line, a, b)
        middle = shapely.line_interpolate_point(line, (a + b) / 2)
        if b - a <= _TINY_M or shapely.distance(middle, wall) <= _TINY_M:
            continue  # no street, or the stretch that runs along the wall
        u = edge["u"] if a == 0.0 and not cut_u else frames.new_node(*_start(piece))
        v = edge["v"] if b == length and not cut_v else frames.new_node(*_end(piece))
        out.append({**edge, "u": u, "v": v, "geometry": piece})
    return out


def _start(piece: Any) -> tuple[float, float]:
    x, y = shapely.get_coordinates(piece)[0]
    return float(x), float(y)


def _end(piece: Any) -> tuple[float, float]:
    x, y = shapely.get_coordinates(piece)[-1]
    return float(x), float(y)


# ================================================================ scenarios
@dataclass(frozen=True)
class Scenario:
    """One "what if" on the network: links added, streets closed, barriers drawn.

    Attributes
    ----------
    name
        Names the scenario's table and map (``scenario_<name>``): letters of
        any script, digits, ``_`` or ``-``.
    add
        Links to add (lines), joined to the streets at their two ends.
    close
        Polygons or lines: every street they touch is closed.
    barrier
        Lines that cut every street crossing them (bridges and tunnels kept).
    snap_m
        How far an added link's end may lie from the streets.
    close_names
        Streets closed by name (the network's ``edge_attrs["name"]``).
    """

    name: str
    add: Any = None
    close: Any = None
    barrier: Any = None
    snap_m: float = DEFAULT_SNAP_M
    close_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not SAFE_NAME.fullmatch(self.name):
            msg = (
                f"scenario name {self.name!r} names files of the run (scenario_<name>.csv): use "
                "letters (any script), digits, '_' or '-' (at most 64), e.g. 'footbridge'"
            )
            raise InputError(msg)
        if (
            self.add is None
            and self.close is None
            and self.barrier is None
            and not self.close_names
        ):
            msg = (
                f"scenario {self.name!r} changes nothing: give add=, close=, close_names= or "
                "barrier="
            )
            raise InputError(msg)

    def apply(self, network: Network) -> Edited:
        """Return the network edited: closed first, then cut, then the links added.

        In that order a footbridge drawn over a railway that the same scenario
        fences off keeps the crossing it adds.
        """
        out, cut = network, 0
        closed: list[Any] = []
        added: list[Any] = []
        if self.close is not None or self.close_names:
            out, closed = _close(
                out, where=self.close, names=list(self.close_names) if self.close_names else None
            )
        if self.barrier is not None:
            out, cut = _barrier(out, self.barrier, level_column="level")
        if self.add is not None:
            out, added = _add(out, self.add, snap_m=self.snap_m, attrs=None)
        return Edited(self, out, closed=closed, cut=cut, added=added)


@dataclass(frozen=True)
class Edited:
    """A scenario's network and what was changed.

    Attributes
    ----------
    scenario
        The scenario.
    network
        The edited network.
    closed
        The closed streets' geometries.
    cut
        How many streets the barriers cut.
    added
        The added links as built (with the stretches joining them to the streets).
    """

    scenario: Scenario
    network: Network
    closed: list[Any]
    cut: int
    added: list[Any]

    def counts(self) -> dict[str, int]:
        """Return how many links were added, streets closed and streets cut."""
        return {"added": len(self.added), "closed": len(self.closed), "cut": self.cut}

    def layer(self) -> gpd.GeoDataFrame:
        """Return the edits as one layer: ``change`` (added, closed, barrier) and geometry."""
        import geopandas as gpd

        crs = self.network.crs
        walls = (
            _lines(self.scenario.barrier, self.network, "barrier")
            if self.scenario.barrier is not None
            else []
        )
        parts = [("added", g) for g in self.added]
        parts += [("closed", g) for g in self.closed]
        parts += [("barrier", g) for g in walls]
        return gpd.GeoDataFrame(
            {"scenario": self.scenario.name, "change": [p[0] for p in parts]},
            geometry=[p[1] for p in parts],
            crs=crs,
        )


@dataclass(frozen=True)
class ScenarioResult:
    """A scenario run as the same study on the edited network, compared with the base.

    Attributes
    ----------
    edited
        The edited network and what changed.
    table
        :func:`before_after` of the base run and the scenario's run.
    """

    edited: Edited
    table: pd.DataFrame

    @property
    def name(self) -> str:
        """The scenario's name."""
        return self.edited.scenario.name

    def caveat(self) -> tuple[str, str]:
        """Return what the scenario assumes, in Chinese and English."""
        name, table = self.name, f"tables/scenario_{self.name}.csv"
        return (
            f"情景“{name}”：{self.text('zh')}后，同一研究在修改后的路网上重新计算；人口与设施"
            "重新吸附到最近的路段（新增连线也可吸附），面状设施的接入点不变。前后对比见 "
            f"{table}。",
            f"Scenario '{name}': {self.text('en')}; the same study was run again on the edited "
            "network, people and facilities snapped anew to their nearest street (an added link "
            f"included), the access points of areas unchanged. Before and after: {table}.",
        )

    def text(self, lang: str) -> str:
        """Return what the scenario changed, in ``lang`` (for the report and the caveats)."""
        n = self.edited.counts()
        if lang == "zh":
            parts = [
                f"增加 {n['added']} 条连线（两端接入路网）" if n["added"] else "",
                f"封闭 {n['closed']} 条路段" if n["closed"] else "",
                f"屏障切断 {n['cut']} 条路段" if n["cut"] else "",
            ]
            return "、".join(p for p in parts if p)
        parts = [
            f"{_count(n['added'], 'link')} added (joined at their ends)" if n["added"] else "",
            f"{_count(n['closed'], 'street')} closed" if n["closed"] else "",
            f"{_count(n['cut'], 'street')} cut by barriers" if n["cut"] else "",
        ]
        return ", ".join(p for p in parts if p)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


#: Columns of the before/after table.
COLUMNS = ("topic", "subject", "measure", "before", "after", "change", "newly_covered", "lost")


def before_after(
    before: Coverage | None,
    after: Coverage | None,
    *,
    circles_before: LifeCircles | None = None,
    circles_after: LifeCircles | None = None,
    proposals_before: Mapping[str, SiteProposal] | None = None,
    proposals_after: Mapping[str, SiteProposal] | None = None,
    groups: Sequence[str] = (),
) -> pd.DataFrame:
    """Compare two runs of one study, the base and a scenario, figure by figure.

    Parameters
    ----------
    before, after
        Coverage of the same types and people on the two networks.
    circles_before, circles_after
        Life circles of both runs.
    proposals_before, proposals_after
        Site proposals by facility type.
    groups
        Population groups whose shares are compared (``share_<group>``).

    Returns
    -------
    pandas.DataFrame
        One row per figure: ``topic`` (``coverage``, ``life_circle``,
        ``proposal``), ``subject`` (a facility type or a level), ``measure``
        (``share``, ``covered``, ``share_<group>``, ``completeness``,
        ``sites``, ``share_existing``, ``share_with_new_sites``), ``before``,
        ``after``, ``change`` and, for ``covered``, ``newly_covered`` and
        ``lost`` (people covered only after, only before). ``before`` is the
        base run's own figure, exactly.
    """
    rows: list[dict[str, Any]] = []
    if before is not None and after is not None:
        rows += _coverage_rows(before, after, groups)
    if circles_before is not None and circles_after is not None:
        old, new = _completeness(circles_before), _completeness(circles_after)
        rows += [
            _row("life_circle", level, "completeness", (old[level], new[level])) for level in old
        ]
    for type_id, proposal in (proposals_before or {}).items():
        other = (proposals_after or {}).get(type_id)
        if other is None:
            continue
        for measure, key in (
            ("sites", "sites"),
            ("share_existing", "share_before"),
            ("share_with_new_sites", "share_after"),
        ):
            rows.append(
                _row("proposal", type_id, measure, (proposal.summary[key], other.summary[key]))
            )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _row(
    topic: str,
    subject: str,
    measure: str,
    values: tuple[Any, Any],
    *,
    newly: float = math.nan,
    lost: float = math.nan,
) -> dict[str, Any]:
    before, after = values
    old, new = float(before), float(after)
    return {
        "topic": topic,
        "subject": str(subject),
        "measure": measure,
        "before": old,
        "after": new,
        "change": new - old,
        "newly_covered": newly,
        "lost": lost,
    }


def _coverage_rows(
    before: Coverage, after: Coverage, groups: Sequence[str]
) -> list[dict[str, Any]]:
    weights = weight_column(before.demand, "population")
    rows = []
    for label, old in before.totals.iterrows():
        type_id = str(label)
        if type_id not in after.totals.index:
            continue
        new = after.totals.loc[type_id]
        was = before.demand[f"{type_id}_covered"].to_numpy(dtype=bool)
        now = after.demand[f"{type_id}_covered"].to_numpy(dtype=bool)
        newly = float(weights[now & ~was].sum())
        lost = float(weights[was & ~now].sum())
        rows.append(_row("coverage", type_id, "share", (old["share"], new["share"])))
        rows.append(
            _row(
                "coverage",
                type_id,
                "covered",
                (old["covered"], new["covered"]),
                newly=newly,
                lost=lost,
            )
        )
        rows += [
            _row("coverage", type_id, f"share_{g}", (old[f"share_{g}"], new[f"share_{g}"]))
            for g in groups
        ]
    return rows


def _completeness(circles: LifeCircles) -> dict[str, float]:
    """Mean score per level, as the study's totals compute it."""
    table = circles.communities
    return {
        str(c).removeprefix("score_"): float(table[c].mean())
        for c in table.columns
        if str(c).startswith("score_")
    }
