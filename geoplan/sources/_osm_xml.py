"""Streaming reader of OpenStreetMap XML (``.osm``, ``.xml``, ``.osm.bz2``, ``.osm.gz``).

The file is fed in chunks to expat, the parser that :mod:`xml.etree` wraps,
with element handlers and no tree, so memory holds node coordinates and the
elements asked for, never the document. Compression is recognised from the
file's first bytes (bzip2, gzip or none), whatever its name.

Safety: OSM XML never needs a document type, so any ``<!DOCTYPE``, entity
declaration or external entity reference is refused with
:class:`~geoplan.DataSourceError` *before* expat processes it; entities are
never expanded (no "billion laughs", no reading of local files). Handlers on
the expat parser do this; ``xml.etree.iterparse`` offers no hook that runs
before the declarations are processed.

Extracts cut with a plain bounding box have ways whose nodes are missing from
the file; the readers here never raise on that: a way is cut at the gap and
its parts kept (see :func:`way_segments`).

Examples
--------
>>> from pathlib import Path
>>> fixture = Path(__file__).parents[2] / "tests" / "data" / "tiny_city.osm"
>>> data = parse_osm_xml(fixture, keep_way=lambda tags: "highway" in tags)
>>> len(data.ways) > 0
True
"""

from __future__ import annotations

import bz2
import gzip
import logging
import warnings
import zlib
from array import array
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn, Protocol
from xml.parsers import expat

import numpy as np
import shapely
from numpy.typing import NDArray

from geoplan._errors import DataSourceError, DroppedFeaturesWarning

__all__ = [
    "MAX_BAD_NODE_SHARE",
    "NodeTable",
    "OsmXml",
    "Relation",
    "Way",
    "check_plain_xml",
    "closed_way_polygon",
    "parse_osm_xml",
    "relation_polygon",
    "usable_nodes",
    "way_segments",
]

log = logging.getLogger(__name__)

Tags = dict[str, str]
TagTest = Callable[[Mapping[str, str]], bool]
IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

_CHUNK = 1 << 20
_BZ2_MAGIC = b"BZh"
_GZIP_MAGIC = b"\x1f\x8b"
_FIX = (
    "download the extract again (e.g. from https://download.geofabrik.de), or give an "
    "OSM PBF file (.osm.pbf), which geoplan reads with pyrosm"
)


@dataclass(frozen=True)
class Way:
    """An OSM way: its id, node references in order, and tags."""

    id: int
    refs: list[int]
    tags: Tags


@dataclass(frozen=True)
class Relation:
    """An OSM relation: its id, members as ``(type, ref, role)``, and tags."""

    id: int
    members: list[tuple[str, int, str]]
    tags: Tags


@dataclass(frozen=True)
class NodeTable:
    """Coordinates of every node in a file, sorted by id for vectorised look-ups."""

    ids: IntArray
    lon: FloatArray
    lat: FloatArray

    @classmethod
    def from_arrays(cls, ids: array[int], lon: array[float], lat: array[float]) -> NodeTable:
        """Build the table; of nodes repeated in a file the first one counts."""
        raw = np.frombuffer(ids, dtype=np.int64) if len(ids) else np.empty(0, np.int64)
        unique, first = np.unique(raw, return_index=True)
        lons = np.frombuffer(lon, dtype=np.float64) if len(lon) else np.empty(0)
        lats = np.frombuffer(lat, dtype=np.float64) if len(lat) else np.empty(0)
        return cls(ids=unique, lon=lons[first], lat=lats[first])

    def __len__(self) -> int:
        return len(self.ids)

    def locate(self, refs: Sequence[int] | IntArray) -> tuple[IntArray, BoolArray]:
        """Return the table positions of node ids and whether each is present."""
        wanted = np.asarray(refs, dtype=np.int64)
        if len(self.ids) == 0:
            return np.zeros(len(wanted), np.int64), np.zeros(len(wanted), bool)
        pos = np.minimum(np.searchsorted(self.ids, wanted), len(self.ids) - 1)
        return pos.astype(np.int64), self.ids[pos] == wanted

    def coords(self, refs: Sequence[int]) -> FloatArray | None:
        """Return ``(n, 2)`` lon/lat of the nodes, or None when one is missing."""
        pos, found = self.locate(refs)
        if not found.all():
            return None
        return np.column_stack([self.lon[pos], self.lat[pos]])


@dataclass
class OsmXml:
    """What :func:`parse_osm_xml` kept of a file."""

    path: Path
    nodes: NodeTable
    tagged_nodes: list[tuple[int, Tags]] = field(default_factory=list)
    ways: list[Way] = field(default_factory=list)
    way_refs: dict[int, list[int]] = field(default_factory=dict)
    relations: list[Relation] = field(default_factory=list)
    n_ways: int = 0
    n_relations: int = 0


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class _Collector:
    """Expat handlers that collect nodes, ways and relations as they stream by."""

    def __init__(
        self,
        path: Path,
        parser: expat.XMLParserType,
        *,
        keep_node: TagTest | None,
        keep_way: TagTest | None,
        keep_relation: TagTest | None,
        all_way_refs: bool,
    ) -> None:
        self.path = path
        self.parser = parser
        self.keep_node = keep_node
        self.keep_way = keep_way
        self.keep_relation = keep_relation
        self.all_way_refs = all_way_refs
        self.ids: array[int] = array("q")
        self.lon: array[float] = array("d")
        self.lat: array[float] = array("d")
        self.tagged_nodes: list[tuple[int, Tags]] = []
        self.ways: list[Way] = []
        self.way_refs: dict[int, list[int]] = {}
        self.relations: list[Relation] = []
        self.n_ways = 0
        self.n_relations = 0
        self.root: str | None = None
        self.kind: str | None = None
        self.skip = False
        self.id = 0
        self.tags: Tags = {}
        self.refs: list[int] = []
        self.members: list[tuple[str, int, str]] = []

    def fail(self, what: str) -> NoReturn:
        line = self.parser.CurrentLineNumber
        msg = f"{self.path}, line {line}: {what}; the file is not valid OSM XML: {_FIX}"
        raise DataSourceError(msg)

    def start(self, name: str, attrs: dict[str, str]) -> None:
        if self.root is None:
            self.root = name
            if name != "osm":
                self.fail(f"the root element is <{name}>, not <osm>")
            return
        try:
            if name == "tag":
                if self.kind is not None and "k" in attrs:
                    self.tags[attrs["k"]] = attrs.get("v", "")
            elif name == "nd":
                if self.kind == "way":
                    self.refs.append(int(attrs["ref"]))
            elif name == "node":
                self._start_element("node", attrs)
                if not self.skip and "lat" in attrs and "lon" in attrs:
                    self.ids.append(self.id)
                    self.lat.append(float(attrs["lat"]))
                    self.lon.append(float(attrs["lon"]))
            elif name == "member":
                if self.kind == "relation":
                    self.members.append(
                        (attrs.get("type", ""), int(attrs["ref"]), attrs.get("role", ""))
                    )
            elif name in ("way", "relation"):
                self._start_element(name, attrs)
        except (KeyError, ValueError) as exc:
            self.fail(f"<{name}> has a missing or malformed attribute ({exc})")

    def _start_element(self, kind: str, attrs: dict[str, str]) -> None:
        self.kind = kind
        self.id = int(attrs["id"])
        # deleted objects of JOSM files and of history extracts
        self.skip = attrs.get("action") == "delete" or attrs.get("visible") == "false"
        self.tags = {}
        self.refs = []
        self.members = []

    def end(self, name: str) -> None:
        if name != self.kind:
            return
        self.kind = None
        if self.skip:
            return
        if name == "node":
            if self.tags and self.keep_node is not None and self.keep_node(self.tags):
                self.tagged_nodes.append((self.id, self.tags))
        elif name == "way":
            self.n_ways += 1
            if self.all_way_refs:
                self.way_refs[self.id] = self.refs
            if self.keep_way is not None and self.keep_way(self.tags):
                self.ways.append(Way(self.id, self.refs, self.tags))
        else:
            self.n_relations += 1
            if self.keep_relation is not None and self.keep_relation(self.tags):
                self.relations.append(Relation(self.id, self.members, self.tags))


#: A compressed OSM XML file that expands more than this many times is refused.
MAX_EXPANSION_RATIO = 200
_EXPANSION_FLOOR_BYTES = 64 * 2**20  # small files may expand more (headers dominate)


def _compressed(path: Path) -> bool:
    with path.open("rb") as raw:
        head = raw.read(3)
    return head.startswith(_BZ2_MAGIC) or head.startswith(_GZIP_MAGIC)


@contextmanager
def _open(path: Path) -> Iterator[_Readable]:
    """Open a plain, bzip2 or gzip file for reading bytes, by its first bytes."""
    with path.open("rb") as raw:
        head = raw.read(3)
        raw.seek(0)
        if head.startswith(_BZ2_MAGIC):
            with bz2.BZ2File(raw) as f:
                yield f
        elif head.startswith(_GZIP_MAGIC):
            with gzip.GzipFile(fileobj=raw) as f:
                yield f
        else:
            yield raw


def _guarded_parser(path: Path) -> expat.XMLParserType:
    """Return an expat parser that refuses DOCTYPE and entity declarations."""
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse(*_: object) -> NoReturn:
        msg = (
            f"{path} declares a DOCTYPE or entities (line {parser.CurrentLineNumber}); "
            "geoplan refuses them because expanding entities can exhaust memory or read "
            "local files, and OSM XML never needs them: remove the <!DOCTYPE ...> block, "
            "or export the data again (e.g. osmium cat in.osm -o out.osm.pbf)"
        )
        raise DataSourceError(msg)

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    return parser


def _feed(path: Path, parser: expat.XMLParserType, *, stop: type[Exception] | None = None) -> None:
    """Stream a file through a parser, turning read and syntax errors into DataSourceError."""
    try:
        compressed = _compressed(path)
        limit = max(MAX_EXPANSION_RATIO * path.stat().st_size, _EXPANSION_FLOOR_BYTES)
        with _open(path) as f:
            read = 0
            while chunk := f.read(_CHUNK):
                read += len(chunk)
                if compressed and read > limit:
                    msg = (
                        f"{path} expands to more than {MAX_EXPANSION_RATIO} times its size; "
                        "OSM XML compresses about 10-20 times, so this is a decompression bomb "
                        "or not OSM data, and geoplan stops reading it. If the file is genuine, "
                        "decompress it yourself and give the .osm file"
                    )
                    raise DataSourceError(msg)
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except DataSourceError:
        raise
    except expat.ExpatError as exc:
        reason = expat.errors.messages.get(exc.code, str(exc))
        msg = (
            f"{path} is not valid XML ({reason}, line {exc.lineno}); it may be truncated or "
            f"corrupt: {_FIX}. Supported network formats: .osm.pbf, .osm, .xml, .osm.bz2, "
            ".osm.gz, .graphml"
        )
        raise DataSourceError(msg) from None
    except (OSError, EOFError, zlib.error) as exc:
        msg = f"cannot read {path} ({exc}); the compressed file may be truncated: {_FIX}"
        raise DataSourceError(msg) from None
    except Exception as exc:
        if stop is not None and isinstance(exc, stop):
            return
        raise


def parse_osm_xml(
    path: Path,
    *,
    keep_node: TagTest | None = None,
    keep_way: TagTest | None = None,
    keep_relation: TagTest | None = None,
    all_way_refs: bool = False,
) -> OsmXml:
    """Read an OSM XML file, keeping the elements whose tags pass the tests.

    Parameters
    ----------
    path
        The file; plain, bzip2 or gzip compressed.
    keep_node, keep_way, keep_relation
        Tests on an element's tags; elements passing them are kept with their
        tags. Nodes without tags are never kept as elements, but the
        coordinates of every node are.
    all_way_refs
        Also keep the node references of every way (to assemble relations).

    Returns
    -------
    OsmXml

    Raises
    ------
    DataSourceError
        The file is not OSM XML, is truncated or corrupt, or declares a DOCTYPE.

    Examples
    --------
    >>> from pathlib import Path
    >>> fixture = Path(__file__).parents[2] / "tests" / "data" / "tiny_city.osm"
    >>> data = parse_osm_xml(fixture, keep_node=lambda tags: "amenity" in tags)
    >>> sorted(tags["amenity"] for _, tags in data.tagged_nodes)
    ['clinic', 'pharmacy']
    """
    parser = _guarded_parser(path)
    collector = _Collector(
        path,
        parser,
        keep_node=keep_node,
        keep_way=keep_way,
        keep_relation=keep_relation,
        all_way_refs=all_way_refs,
    )
    parser.StartElementHandler = collector.start
    parser.EndElementHandler = collector.end
    _feed(path, parser)
    return OsmXml(
        path=path,
        nodes=usable_nodes(
            path, NodeTable.from_arrays(collector.ids, collector.lon, collector.lat)
        ),
        tagged_nodes=collector.tagged_nodes,
        ways=collector.ways,
        way_refs=collector.way_refs,
        relations=collector.relations,
        n_ways=collector.n_ways,
        n_relations=collector.n_relations,
    )


#: Nodes with unusable coordinates are left out (with a warning) when they are at most this
#: share of a file's nodes; more, and the file is refused as corrupt.
MAX_BAD_NODE_SHARE = 0.01
_LISTED_NODES = 5


def usable_nodes(path: Path, nodes: NodeTable) -> NodeTable:
    """Return the nodes whose coordinates are usable; refuse a file with many that are not.

    A node is unusable when its latitude or longitude is NaN or infinite, or
    beyond ±90 / ±180. A few such nodes (at most :data:`MAX_BAD_NODE_SHARE`
    of the file's) are left out with a :class:`~geoplan.DroppedFeaturesWarning`
    naming them, and the ways through them are cut there, as at nodes missing
    from the file; more, and the file is refused as corrupt.

    Parameters
    ----------
    path
        The file, for messages.
    nodes
        Every node read from it.

    Returns
    -------
    NodeTable

    Raises
    ------
    DataSourceError
        More than :data:`MAX_BAD_NODE_SHARE` of the nodes are unusable.
    """
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(nodes.lat) <= 90.0) | ~(np.abs(nodes.lon) <= 180.0)  # NaN fails both
    n_bad = int(bad.sum())
    if n_bad == 0:
        return nodes
    shown = "; ".join(
        f"node {nodes.ids[i]}: lat={nodes.lat[i]:g}, lon={nodes.lon[i]:g}"
        for i in np.flatnonzero(bad)[:_LISTED_NODES]
    )
    more = f" and {n_bad - _LISTED_NODES} more" if n_bad > _LISTED_NODES else ""
    counted = f"{n_bad} of {len(nodes)} nodes have unusable coordinates ({shown}{more})"
    if n_bad > MAX_BAD_NODE_SHARE * len(nodes):
        msg = (
            f"{path}: {counted}; latitudes must be numbers within ±90 and longitudes within "
            f"±180, so the file is corrupt or was not written by an OSM tool: {_FIX}"
        )
        raise DataSourceError(msg)
    msg = (
        f"{path.name}: {counted}; they were left out and the ways through them cut there. "
        "Repair those nodes in the file to keep them"
    )
    warnings.warn(msg, DroppedFeaturesWarning, stacklevel=3)
    keep = ~bad
    return NodeTable(ids=nodes.ids[keep], lon=nodes.lon[keep], lat=nodes.lat[keep])


class _RootSeen(Exception):  # noqa: N818 - a signal, not an error
    """Stops :func:`check_plain_xml` once the root element starts."""


def check_plain_xml(path: Path) -> None:
    """Refuse an XML file (e.g. GraphML) that declares a DOCTYPE or entities.

    Only the prolog is read: a DOCTYPE must come before the root element.

    Raises
    ------
    DataSourceError
        The file declares a DOCTYPE or entities, or its prolog is not XML.
    """
    parser = _guarded_parser(path)

    def root(*_: object) -> NoReturn:
        raise _RootSeen

    parser.StartElementHandler = root
    _feed(path, parser, stop=_RootSeen)


# ------------------------------------------------------------------ geometry
def way_segments(
    ways: Sequence[Way], nodes: NodeTable
) -> tuple[IntArray, IntArray, IntArray, FloatArray, int]:
    """Split ways into edges between consecutive nodes, cutting at missing nodes.

    Parameters
    ----------
    ways
        The ways, each with its node references in order.
    nodes
        The coordinates of the nodes in the file.

    Returns
    -------
    way, u, v : numpy.ndarray
        For each edge, the position of its way in ``ways`` and its end node ids.
    coords : numpy.ndarray
        ``(n_edges, 2, 2)`` lon/lat of the two ends.
    n_missing : int
        Number of node references not found in the file.
    """
    counts = np.fromiter((len(w.refs) for w in ways), dtype=np.int64, count=len(ways))
    refs = np.fromiter((r for w in ways for r in w.refs), dtype=np.int64, count=int(counts.sum()))
    owner = np.repeat(np.arange(len(ways), dtype=np.int64), counts)
    pos, found = nodes.locate(refs)
    if len(refs) < 2:
        empty = np.empty(0, np.int64)
        return empty, empty, empty, np.empty((0, 2, 2)), int((~found).sum())
    pair = (owner[:-1] == owner[1:]) & found[:-1] & found[1:] & (refs[:-1] != refs[1:])
    first = np.flatnonzero(pair)
    coords = np.stack(
        [
            np.column_stack([nodes.lon[pos[first]], nodes.lat[pos[first]]]),
            np.column_stack([nodes.lon[pos[first + 1]], nodes.lat[pos[first + 1]]]),
        ],
        axis=1,
    )
    return owner[first], refs[first], refs[first + 1], coords, int((~found).sum())


def closed_way_polygon(way: Way | list[int], nodes: NodeTable) -> shapely.Polygon | None:
    """Return the Polygon of a closed way, or None (open, too short, nodes missing).

    Examples
    --------
    >>> table = NodeTable(np.array([1, 2, 3]), np.array([0.0, 1, 1]), np.array([0.0, 0, 1]))
    >>> closed_way_polygon([1, 2, 3, 1], table).area
    0.5
    """
    refs = way.refs if isinstance(way, Way) else way
    if len(refs) < 4 or refs[0] != refs[-1]:
        return None
    coords = nodes.coords(refs)
    if coords is None:
        return None
    return shapely.Polygon(coords)


def relation_polygon(
    relation: Relation, way_refs: Mapping[int, list[int]], nodes: NodeTable
) -> shapely.Geometry | None:
    """Assemble a multipolygon or boundary relation from its member ways.

    Member ways with role ``inner`` make holes; all others make the outer
    area. Rings are formed with :func:`shapely.polygonize`, so a ring may be
    split over several ways in any order and direction. Members missing from
    the file are left out, and rings they leave open are lost.

    Returns
    -------
    shapely.Polygon or shapely.MultiPolygon or None
        None when no closed ring can be formed.
    """
    outer: list[shapely.LineString] = []
    inner: list[shapely.LineString] = []
    for kind, ref, role in relation.members:
        if kind != "way" or ref not in way_refs:
            continue
        coords = nodes.coords(way_refs[ref])
        if coords is None or len(coords) < 2:
            continue
        (inner if role == "inner" else outer).append(shapely.LineString(coords))
    if not outer:
        return None
    area = shapely.union_all(shapely.get_parts(shapely.polygonize(outer)))
    if inner:
        holes = shapely.union_all(shapely.get_parts(shapely.polygonize(inner)))
        area = shapely.difference(area, holes)
    if area.is_empty:
        return None
    return area
