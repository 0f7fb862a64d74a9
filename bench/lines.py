"""Reading and noding a road line file, as planning bureaus give their networks.

The data: a seeded synthetic city's streets (``geoplan.datasets.synthetic_city``,
70 m spacing) whose edges are chained into long lines that run straight on
through junctions, the way a bureau's layer is drawn, so that streets meet at
*interior* vertices. Written as a GeoPackage with a class and a name column,
then read by ``geoplan.read_network`` with ``noding="vertices"`` and
``noding="planar"``. Each read is checked against the city's own network
(street length, pieces, shortest distances from a few nodes). The naive glue
(joining lines at their end points only) is counted beside it.

When the Chinese extracts of ../shared/data/osm are there, their walkable ways
are also written as a line file (one line per OSM way, with its highway, name,
bridge, tunnel and layer, as an OSM-derived bureau layer would be) and read
back, beside geoplan's own OSM reader on the same extract. Run
``python -m bench lines`` (or ``--quick``).
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyrosm
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

import geoplan
from geoplan import Network
from geoplan.datasets import synthetic_city
from geoplan.network import connectivity

from ._harness import Table
from .readers import SHARED

#: Chained lines turn by at most this angle at a junction (degrees).
MAX_TURN_DEG = 35.0


def chained_lines(net: Network) -> list[shapely.LineString]:
    """Chain a network's edges into long lines that go straight on through junctions."""
    nodes, edges = net.to_gdfs()
    position = {node: i for i, node in enumerate(nodes.index)}
    u = np.array([position[a] for a in edges["u"]])
    v = np.array([position[b] for b in edges["v"]])
    coords = [np.asarray(g.coords) for g in edges.geometry]
    incident: dict[int, list[int]] = {}
    for e, (a, b) in enumerate(zip(u, v, strict=True)):
        incident.setdefault(int(a), []).append(e)
        incident.setdefault(int(b), []).append(e)
    used = np.zeros(len(edges), dtype=bool)
    limit = np.cos(np.radians(MAX_TURN_DEG))

    def oriented(e: int, start: int) -> np.ndarray:
        return coords[e] if u[e] == start else coords[e][::-1]

    def extend(path: list[np.ndarray], end: int) -> None:
        while True:
            heading = path[-1][-1] - path[-1][-2]
            heading /= np.hypot(*heading)
            best, best_cos = -1, limit
            for e in incident.get(end, []):
                if used[e]:
                    continue
                step = oriented(e, end)
                out = step[1] - step[0]
                cos = float(out @ heading / np.hypot(*out))
                if cos > best_cos:
                    best, best_cos = e, cos
            if best < 0:
                return
            used[best] = True
            path.append(oriented(best, end))
            end = int(v[best] if u[best] == end else u[best])

    lines = []
    for e in range(len(edges)):
        if used[e]:
            continue
        used[e] = True
        forward = [coords[e]]
        extend(forward, int(v[e]))
        backward = [coords[e][::-1]]
        extend(backward, int(u[e]))
        parts = [p[::-1] for p in backward[:0:-1]] + forward
        chain = np.concatenate([parts[0], *(p[1:] for p in parts[1:])])
        lines.append(shapely.LineString(chain))
    return lines


def end_point_pieces(lines: list[shapely.LineString]) -> tuple[int, float]:
    """Pieces and the largest piece's length share when lines join only at their ends."""
    ends = np.round(
        np.concatenate([shapely.get_coordinates(shapely.get_point(lines, i)) for i in (0, -1)]),
        3,
    )
    _, node = np.unique(ends, axis=0, return_inverse=True)
    node = node.reshape(-1)
    n = len(lines)
    graph = coo_matrix((np.ones(n), (node[:n], node[n:])), shape=(node.max() + 1,) * 2)
    count, label = connected_components(graph, directed=False)
    length = np.bincount(label[node[:n]], weights=shapely.length(lines))
    return int(count), float(length.max() / length.sum())


def check_against(read: Network, city: Network, sources: int = 5) -> None:
    """The read network has the city's length and pieces, and its distances."""
    assert abs(read.length_m.sum() - city.length_m.sum()) < 1e-3 * city.length_m.sum()
    assert connectivity(read)["pieces"] == connectivity(city)["pieces"]
    where = {
        (round(x, 3), round(y, 3)): i for i, (x, y) in enumerate(zip(read.x, read.y, strict=True))
    }
    common = [
        (i, where[(round(x, 3), round(y, 3))])
        for i, (x, y) in enumerate(zip(city.x, city.y, strict=True))
        if (round(x, 3), round(y, 3)) in where
    ]
    mine, theirs = np.array([c[1] for c in common]), np.array([c[0] for c in common])
    rng = np.random.default_rng(42)
    picks = rng.choice(len(common), size=sources, replace=False)
    got = dijkstra(read.csr, directed=False, indices=mine[picks])[:, mine]
    want = dijkstra(city.csr, directed=False, indices=theirs[picks])[:, theirs]
    assert np.allclose(got, want, rtol=1e-9, atol=1e-6, equal_nan=True)


def write_roads(lines: list[shapely.LineString], crs: object, folder: Path) -> Path:
    rng = np.random.default_rng(0)
    grades = rng.choice(
        ["支路", "次干路", "主干路", "街巷"], size=len(lines), p=[0.6, 0.2, 0.1, 0.1]
    )
    frame = gpd.GeoDataFrame(
        {"道路名称": [f"{i}号路" for i in range(len(lines))], "道路等级": grades},
        geometry=lines,
        crs=crs,
    )
    path = folder / "roads.gpkg"
    frame.to_file(path, layer="roads")
    return path


def run(quick: bool = False) -> Table:
    table = Table()
    area = 0.5 if quick else 150.0
    city = synthetic_city(area_km2=area, spacing_m=70.0, seed=3, with_buildings=False).network()
    lines = chained_lines(city)
    data = f"{city.n_edges:,} segments in {len(lines):,} lines"
    pieces, share = end_point_pieces(lines)
    table.note(
        "join at end points only",
        data,
        "the naive glue",
        f"{pieces:,} pieces, {share:.1%} of the length in the largest "
        f"(the city: {connectivity(city)['pieces']})",
    )
    with tempfile.TemporaryDirectory() as folder:
        path = write_roads(lines, city.crs, Path(folder))
        for noding in ("vertices", "planar"):
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # a connected city: no warning
                net = table.time(
                    "read + node road lines",
                    data,
                    f"geoplan read_network noding={noding}",
                    lambda n=noding: geoplan.read_network(path, noding=n, layer="roads"),
                    repeat=1 if quick else 3,
                )
            check_against(net, city)
            table.rows[
                -1
            ].note = f"{net.n_nodes:,} nodes, {net.n_edges:,} edges, {net.n_components} pieces"
    if not quick and SHARED.is_dir():
        for pbf in sorted(SHARED.glob("*.osm.pbf")):
            real_city(table, pbf)
    return table


#: OSM tags an OSM-derived road layer keeps as columns.
OSM_COLUMNS = (
    "highway",
    "name",
    "bridge",
    "tunnel",
    "layer",
    "foot",
    "access",
    "service",
    "motorroad",
)


def osm_ways_as_lines(pbf: Path, folder: Path) -> Path:
    """Write an extract's walkable ways as a road line file, one line per way."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyrosm's own deprecation warnings
        ways = pyrosm.OSM(str(pbf)).get_network(network_type="walking")
    columns = [c for c in OSM_COLUMNS if c in ways.columns]
    path = folder / f"{pbf.name.split('.')[0]}.gpkg"
    ways[[*columns, "geometry"]].to_file(path)
    return path


def real_city(table: Table, pbf: Path) -> None:
    """A real city's ways as lines: end-point glue, both nodings, and the OSM reader."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        osm = geoplan.read_network(pbf)
    facts = connectivity(osm)
    with tempfile.TemporaryDirectory() as folder:
        path = osm_ways_as_lines(pbf, Path(folder))
        lines = list(gpd.read_file(path).to_crs(osm.crs).explode().geometry)
        data = f"{pbf.name}: {len(lines):,} ways as lines"
        pieces, share = end_point_pieces(lines)
        table.note(
            "join at end points only",
            data,
            "the naive glue",
            f"{pieces:,} pieces, {share:.1%} of the length in the largest",
        )
        table.note(
            "read OSM (reference)",
            data,
            "geoplan read_network(.osm.pbf)",
            f"{facts['pieces']} pieces, {facts['largest_piece_length_share']:.1%} in the largest",
        )
        for noding in ("vertices", "planar"):
            net = table.time(
                "read + node road lines",
                data,
                f"geoplan read_network noding={noding}",
                lambda n=noding: geoplan.read_network(path, noding=n),
                repeat=3,
            )
            found = connectivity(net)
            table.rows[-1].note = (
                f"{found['pieces']} pieces, {found['largest_piece_length_share']:.1%} in the "
                f"largest, {found['total_km']:,.0f} km (OSM reader {facts['total_km']:,.0f} km)"
            )
