"""A catalogue of bad inputs: each gets geoplan's error class and a message naming the fix.

Every case asserts the error class (a :class:`geoplan.GeoplanError` that is also the
built-in exception a caller expects), that the message names the problem, and that it
says what to do; cases that write check that nothing is left behind.
"""

from __future__ import annotations

import bz2
import gzip
import itertools
import json
import re
import warnings
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

import geoplan
from geoplan import datasets
from geoplan.config import load_config, parse_config
from geoplan.coords import wgs84_to_gcj02
from geoplan.coverage import travel_time_raster
from geoplan.report import RunFolder


@pytest.fixture(scope="module")
def city():
    return datasets.synthetic_city(area_km2=1.0, seed=5)


@pytest.fixture(scope="module")
def net(city):
    return city.network()


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# Each case: (id, build(tmp, city, net) -> the failing call, error class, problem, fix).
# `problem` and `fix` are regular expressions searched in the message.
Case = tuple[str, Callable[..., Callable[[], object]], type[Exception], str, str]


def _truncated_pbf(tmp: Path) -> Path:
    sample = datasets.sample_pbf()
    path = tmp / "cut.osm.pbf"
    path.write_bytes(sample.read_bytes()[: sample.stat().st_size // 3])
    return path


def _bomb(tmp: Path) -> Path:
    path = tmp / "bomb.osm.bz2"
    path.write_bytes(bz2.compress(b"<osm>" + b" " * (80 * 2**20) + b"</osm>"))
    return path


def _truncated_gzip(tmp: Path) -> Path:
    data = gzip.compress(b"<osm>" + b"<node id='1' lat='1' lon='1'/>" * 5000 + b"</osm>")
    path = tmp / "cut.osm.gz"
    path.write_bytes(data[: len(data) // 2])
    return path


def _shapefile_without_crs(tmp: Path) -> Path:
    path = tmp / "nocrs.shp"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # writing without a CRS is the point
        gpd.GeoDataFrame({"a": [1]}, geometry=[Point(125.3, 43.8)]).to_file(path)
    return path


def _csv(tmp: Path, name: str, table: dict[str, list[object]]) -> Path:
    path = tmp / name
    pd.DataFrame(table).to_csv(path, index=False, encoding="utf-8-sig")
    return path


def _gcj_declared_wgs(tmp: Path) -> Callable[[], object]:
    city = datasets.synthetic_city(area_km2=2.0, seed=1, spacing_m=150.0)
    points = city.facilities.to_crs(4326)
    lon, lat = wgs84_to_gcj02(points.geometry.x.to_numpy(), points.geometry.y.to_numpy())
    path = _csv(
        tmp, "poi.csv", {"名称": list(points["name_zh"]), "lng": list(lon), "lat": list(lat)}
    )
    network = city.network()
    return lambda: geoplan.read_poi_table(path, coordinates="wgs84", network=network)


def _site(net, **options):
    sites = geoplan.siting.candidates(net, spacing_m=300)
    return sites, options


CASES: list[Case] = [
    # ---- readers
    (
        "missing file",
        lambda t, c, n: lambda: geoplan.read_network(t / "nope.osm.pbf"),
        geoplan.DataSourceError,
        "not found",
        "check the path",
    ),
    (
        "unknown format",
        lambda t, c, n: lambda: geoplan.read_network(write(t / "x.txt", "hi")),
        geoplan.DataSourceError,
        "unknown or unsupported file type",
        r"give OSM PBF",
    ),
    (
        "truncated PBF",
        lambda t, c, n: lambda: geoplan.read_network(_truncated_pbf(t)),
        geoplan.DataSourceError,
        "the file is truncated",
        "download it again",
    ),
    (
        "corrupt XML",
        lambda t, c, n: lambda: geoplan.read_network(write(t / "b.osm", "<osm><osm>")),
        geoplan.DataSourceError,
        "not valid XML",
        "download the extract again",
    ),
    (
        "XML with entities",
        lambda t, c, n: (
            lambda: geoplan.read_network(
                write(
                    t / "e.osm",
                    '<?xml version="1.0"?><!DOCTYPE osm [<!ENTITY a "aa">]><osm>&a;</osm>',
                )
            )
        ),
        geoplan.DataSourceError,
        "DOCTYPE or entities",
        r"remove the <!DOCTYPE",
    ),
    (
        "decompression bomb",
        lambda t, c, n: lambda: geoplan.read_network(_bomb(t)),
        geoplan.DataSourceError,
        "expands to more than 200 times",
        "decompress it yourself",
    ),
    (
        "truncated gzip XML",
        lambda t, c, n: lambda: geoplan.read_network(_truncated_gzip(t)),
        geoplan.DataSourceError,
        "may be truncated",
        "download the extract again",
    ),
    (
        "no ways for the profile",
        lambda t, c, n: (
            lambda: geoplan.read_network(
                write(
                    t / "n.osm",
                    "<?xml version='1.0'?><osm><node id='1' lat='43.8' lon='125.3'/></osm>",
                )
            )
        ),
        geoplan.NetworkError,
        "no walkable ways",
        "check the profile",
    ),
    (
        "vector file without CRS",
        lambda t, c, n: lambda: geoplan.read_facilities(_shapefile_without_crs(t)),
        geoplan.CRSError,
        "has no CRS",
        r"set_crs\(4326\)",
    ),
    # ---- network files: node coordinates, GraphML, PBF
    (
        "OSM XML node with NaN latitude",
        lambda t, c, n: lambda: geoplan.read_network(_osm_nodes(t, [("nan", 125.301)])),
        geoplan.DataSourceError,
        r"1 of 3 nodes have unusable coordinates \(node 2: lat=nan, lon=125.301\)",
        "download the extract again",
    ),
    (
        "OSM XML node at latitude 95",
        lambda t, c, n: lambda: geoplan.read_network(_osm_nodes(t, [(95, 125.301)])),
        geoplan.DataSourceError,
        r"node 2: lat=95, lon=125.301\); latitudes must be numbers within ±90",
        "download the extract again",
    ),
    (
        "OSM XML node at longitude 200",
        lambda t, c, n: lambda: geoplan.read_network(_osm_nodes(t, [(43.8, 200)])),
        geoplan.DataSourceError,
        r"node 2: lat=43.8, lon=200\);.*longitudes within ±180",
        "download the extract again",
    ),
    (
        "OSM XML node at infinite longitude",
        lambda t, c, n: lambda: geoplan.read_network(_osm_nodes(t, [(43.8, "inf")])),
        geoplan.DataSourceError,
        r"node 2: lat=43.8, lon=inf\)",
        "download the extract again",
    ),
    (
        "GraphML nodes without x/y",
        lambda t, c, n: lambda: geoplan.read_network(_graphml(t, "EPSG:4326", [{}, {}])),
        geoplan.DataSourceError,
        r"2 of 2 graph nodes have no numeric x/y coordinates \(node 0, 1\)",
        "save the graph with osmnx.save_graphml",
    ),
    (
        "GraphML saying EPSG:4326 holding metres",
        lambda t, c, n: (
            lambda: geoplan.read_network(
                _graph_of(t, "EPSG:4326", [(500000.0, 4850000.0), (500100.0, 4850000.0)])
            )
        ),
        geoplan.CRSError,
        r"says its crs is 'EPSG:4326' but 2 of 2 nodes do not fit it.*look projected \(metres\)",
        r"Set graph.graph\['crs'\] to the projected CRS",
    ),
    (
        "GraphML saying UTM holding degrees",
        lambda t, c, n: (
            lambda: geoplan.read_network(
                _graph_of(t, "EPSG:32651", [(125.3, 43.8), (125.301, 43.8)])
            )
        ),
        geoplan.CRSError,
        "look like longitude/latitude degrees, not the metres of EPSG:32651",
        r"Set graph.graph\['crs'\] to 'EPSG:4326'",
    ),
    (
        "GraphML without crs holding metres",
        lambda t, c, n: (
            lambda: geoplan.read_network(
                _graph_of(t, None, [(500000.0, 4850000.0), (500100.0, 4850000.0)])
            )
        ),
        geoplan.CRSError,
        "has no 'crs' attribute and its coordinates are not longitude/latitude",
        r"graph.graph\['crs'\] = 'EPSG:32651'",
    ),
    (
        "GraphML with an unknown crs",
        lambda t, c, n: (
            lambda: geoplan.read_network(_graph_of(t, "wgs", [(125.3, 43.8), (125.301, 43.8)]))
        ),
        geoplan.CRSError,
        "crs 'wgs' is not a CRS pyproj knows",
        "set it to the CRS the x/y are in",
    ),
    (
        "PBF cut at 100 bytes",
        lambda t, c, n: lambda: geoplan.read_network(_cut_pbf(t, 100)),
        geoplan.DataSourceError,
        r"the file is truncated \(its last block ends at byte 102 but the file has only 100\)",
        "download it again",
    ),
    (
        "empty PBF",
        lambda t, c, n: lambda: geoplan.read_network(_cut_pbf(t, 0)),
        geoplan.DataSourceError,
        "the file is empty",
        "download it again",
    ),
    (
        "/dev/zero as the network",
        lambda t, c, n: lambda: geoplan.read_network(_device(t, "zero.osm.pbf")),
        geoplan.DataSourceError,
        "is not a regular file",
        "saved on disk",
    ),
    # ---- networks
    (
        "empty network",
        lambda t, c, n: lambda: geoplan.Network.from_edges([], crs=c.crs),
        geoplan.NetworkError,
        "0 nodes and 0 edges",
        "Check that the source covers",
    ),
    (
        "one-node network",
        lambda t, c, n: lambda: geoplan.Network.from_edges([(0.0, 0.0, 0.0, 0.0)], crs=c.crs),
        geoplan.NetworkError,
        "1 nodes",
        "at least two nodes joined by an edge",
    ),
    (
        "network in degrees",
        lambda t, c, n: lambda: geoplan.Network.from_edges([(125.3, 43.8, 125.31, 43.8)], crs=4326),
        geoplan.CRSError,
        "needs a projected CRS in metres",
        "local UTM zone",
    ),
    # ---- coordinates
    (
        "demand without CRS",
        lambda t, c, n: (
            lambda: geoplan.coverage(n, c.facilities, c.demand().set_crs(None, allow_override=True))
        ),
        geoplan.CRSError,
        "have no CRS",
        r"set_crs",
    ),
    (
        "demand in another CRS",
        lambda t, c, n: lambda: geoplan.coverage(n, c.facilities, c.demand().to_crs(4326)),
        geoplan.CRSError,
        "but the network is in",
        r"to_crs\(network.crs\)",
    ),
    (
        "swapped bbox",
        lambda t, c, n: (
            lambda: parse_config(
                {
                    "study": {"name": "x"},
                    "network": {"source": "sample"},
                    "area": {"bbox": [43.8, 125.3, 43.9, 125.4]},
                }
            )
        ),
        geoplan.ConfigError,
        "swapped",
        r"e\.g\. bbox = \[125",
    ),
    (
        "POI lon/lat swapped",
        lambda t, c, n: (
            lambda: geoplan.read_poi_table(
                _csv(
                    t, "s.csv", {"名称": ["a", "b"], "lng": [43.8, 43.81], "lat": [125.3, 125.31]}
                ),
                coordinates="wgs84",
            )
        ),
        geoplan.CRSError,
        "look swapped",
        "swap the two headers",
    ),
    (
        "GCJ-02 declared as WGS-84",
        lambda t, c, n: _gcj_declared_wgs(t),
        geoplan.CRSError,
        "declared WGS-84",
        "pass coordinates='gcj02'",
    ),
    # ---- population
    (
        "NaN population",
        lambda t, c, n: (
            lambda: geoplan.coverage(n, c.facilities, c.demand().assign(population=np.nan))
        ),
        geoplan.InputError,
        "missing, NaN or negative",
        "fill or drop them",
    ),
    (
        "negative population",
        lambda t, c, n: (
            lambda: geoplan.coverage(n, c.facilities, c.demand().assign(population=-1.0))
        ),
        geoplan.InputError,
        "missing, NaN or negative",
        "fill or drop them",
    ),
    (
        "absurd population",
        lambda t, c, n: (
            lambda: geoplan.coverage(n, c.facilities, c.demand().assign(population=5e9))
        ),
        geoplan.InputError,
        "more than 1,000,000",
        "check the units",
    ),
    (
        "no facilities",
        lambda t, c, n: lambda: geoplan.coverage(n, c.facilities.iloc[:0], c.demand()),
        geoplan.InputError,
        "no facilities",
        "check its source",
    ),
    # ---- cutoffs
    (
        "zero cutoff",
        lambda t, c, n: lambda: geoplan.service_areas(n, c.facilities, minutes=0),
        geoplan.InputError,
        "reaches nothing",
        r"e\.g\. minutes=\[5, 10, 15\]",
    ),
    (
        "a day's cutoff",
        lambda t, c, n: lambda: n.nearest(c.facilities, minutes=24 * 60),
        geoplan.InputError,
        "a day's travel",
        r"e\.g\. minutes=15",
    ),
    (
        "negative cutoff",
        lambda t, c, n: lambda: n.reach(c.facilities, minutes=-5),
        geoplan.InputError,
        "must be zero or positive",
        r"e\.g\. minutes=15",
    ),
    # ---- siting
    (
        "p more than candidates",
        lambda t, c, n: (
            lambda: geoplan.propose_sites(
                n, geoplan.siting.candidates(n, spacing_m=300), c.demand(), minutes=10, p=10_000
            )
        ),
        geoplan.InputError,
        "larger than the number of candidate sites",
        "lower p or add candidates",
    ),
    (
        "p of zero",
        lambda t, c, n: (
            lambda: geoplan.propose_sites(
                n, geoplan.siting.candidates(n, spacing_m=300), c.demand(), minutes=10, p=0
            )
        ),
        geoplan.InputError,
        "at least 1",
        "got 0",
    ),
    # ---- communities
    (
        "duplicate community ids",
        lambda t, c, n: (
            lambda: geoplan.life_circles(
                n,
                c.communities.set_axis(["a"] * len(c.communities)),
                c.facilities,
                demand=c.demand(),
            )
        ),
        geoplan.InputError,
        "must be unique",
        "Index the layer by a unique id",
    ),
    (
        "empty community layer",
        lambda t, c, n: lambda: geoplan.life_circles(n, c.communities.iloc[:0], c.facilities),
        geoplan.InputError,
        "is empty",
        "pass boundaries",
    ),
    # ---- memory
    (
        "huge travel-time raster",
        lambda t, c, n: lambda: travel_time_raster(n, c.facilities, resolution_m=0.01),
        geoplan.InputError,
        r"would need about [\d,.]+ GB",
        "choose a coarser resolution_m",
    ),
    (
        "huge service-area grid",
        lambda t, c, n: (
            lambda: _with_cell(
                0.01, lambda: geoplan.service_areas(n, c.facilities.iloc[:1], minutes=15)
            )
        ),
        geoplan.InputError,
        r"would need about [\d,.]+ GB",
        "raise settings.service_area_cell_m",
    ),
    # ---- outputs
    (
        "output folder under a file",
        lambda t, c, n: lambda: RunFolder(write(t / "afile", "x") / "run").check(),
        geoplan.OutputError,
        "cannot create",
        "choose a writable output folder",
    ),
    (
        "output folder geoplan did not make",
        lambda t, c, n: lambda: _foreign(t),
        geoplan.OutputError,
        "not made by geoplan",
        "choose another",
    ),
    # ---- configuration
    (
        "unknown config key",
        lambda t, c, n: (
            lambda: parse_config(
                {"study": {"name": "x"}, "network": {"source": "sample", "speed": 3}}
            )
        ),
        geoplan.ConfigError,
        "unknown key 'speed'",
        "the keys of \\[network\\] are",
    ),
    (
        "wrong config type",
        lambda t, c, n: (
            lambda: parse_config(
                {"study": {"name": "x"}, "network": {"source": "sample", "profile": 5}}
            )
        ),
        geoplan.ConfigError,
        "is not one of walk",
        r'e\.g\. profile = "walk"',
    ),
    (
        "study name escaping the output folder",
        lambda t, c, n: (
            lambda: parse_config({"study": {"name": "../etc"}, "network": {"source": "sample"}})
        ),
        geoplan.ConfigError,
        "cannot name a folder",
        r"e\.g\. name =",
    ),
    (
        "missing study file",
        lambda t, c, n: lambda: load_config(t / "none.toml"),
        geoplan.ConfigError,
        "does not exist",
        "give the path of a study TOML",
    ),
    (
        "invalid TOML",
        lambda t, c, n: lambda: load_config(write(t / "bad.toml", "[study\nname=")),
        geoplan.ConfigError,
        "not valid TOML",
        "check quotes",
    ),
    (
        "unknown setting",
        lambda t, c, n: lambda: setattr(geoplan.settings, "walk_speed", 1.0),
        geoplan.ConfigError,
        "unknown setting 'walk_speed'",
        "known settings",
    ),
    (
        "unknown region",
        lambda t, c, n: lambda: geoplan.fetch_extract("jillin"),
        geoplan.ConfigError,
        "unknown region 'jillin'",
        "did you mean 'jilin'",
    ),
    (
        "unknown basemap",
        lambda t, c, n: lambda: geoplan.maps.base_map(basemap="google"),
        geoplan.ConfigError,
        "is not one of osm",
        r"e\.g\. basemap='osm'",
    ),
    # ---- tables from Excel and CSV
    (
        "old .xls workbook",
        lambda t, c, n: lambda: geoplan.read_register(_xls(t)),
        geoplan.DataSourceError,
        "old Excel 97-2003",
        "save it as .xlsx",
    ),
    (
        "duplicate register codes",
        lambda t, c, n: (
            lambda: geoplan.read_register(
                _csv(
                    t,
                    "r.csv",
                    {"社区名称": ["甲", "乙"], "社区代码": ["001", "001"], "户数": [10, 20]},
                )
            )
        ),
        geoplan.InputError,
        "repeated: '001'",
        "Make the codes unique",
    ),
    (
        "negative register figure",
        lambda t, c, n: (
            lambda: geoplan.read_register(
                _csv(t, "r2.csv", {"社区名称": ["甲"], "社区代码": ["001"], "户数": [-5]})
            )
        ),
        geoplan.InputError,
        "negative figures",
        "Correct them in the file",
    ),
    (
        "POI table without coordinates",
        lambda t, c, n: (
            lambda: geoplan.read_poi_table(
                _csv(t, "p.csv", {"名称": ["a"], "地址": ["b"]}), coordinates="gcj02"
            )
        ),
        geoplan.InputError,
        "no coordinate columns",
        "Name them either one 'location' column",
    ),
    # ---- maps and indicators
    (
        "map layer without CRS",
        lambda t, c, n: (
            lambda: geoplan.maps.base_map(c.communities.set_crs(None, allow_override=True))
        ),
        geoplan.CRSError,
        "has no CRS",
        r"set_crs\('EPSG:4326'\)",
    ),
    (
        "register with a duplicated index",
        lambda t, c, n: (
            lambda: geoplan.evaluate_indicators(
                datasets.synthetic_register(c).set_axis([0] * len(c.communities))
            )
        ),
        geoplan.InputError,
        "duplicated labels",
        "make it unique",
    ),
    (
        "synthetic city too small",
        lambda t, c, n: lambda: datasets.synthetic_city(area_km2=0.0001),
        geoplan.InputError,
        "area_km2 must be",
        "from 0.01 to 5000",
    ),
]


def _with_cell(cell: float, call: Callable[[], object]) -> object:
    with geoplan.settings.override(service_area_cell_m=cell):
        return call()


def _foreign(tmp: Path) -> None:
    folder = tmp / "foreign"
    folder.mkdir()
    (folder / "mine.txt").write_text("my work")
    RunFolder(folder, force=True).check()


def _xls(tmp: Path) -> Path:
    path = tmp / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    return path


def _osm_nodes(tmp: Path, middle: list[tuple[object, object]]) -> Path:
    """An OSM XML footway through (43.8, 125.3), the given nodes, and (43.81, 125.31)."""
    points = [(43.8, 125.3), *middle, (43.81, 125.31)]
    nodes = "".join(f"<node id='{i}' lat='{a}' lon='{o}'/>" for i, (a, o) in enumerate(points, 1))
    refs = "".join(f"<nd ref='{i}'/>" for i in range(1, len(points) + 1))
    way = f"<way id='10'>{refs}<tag k='highway' v='footway'/></way>"
    return write(tmp / "nodes.osm", f"<?xml version='1.0'?><osm>{nodes}{way}</osm>")


def _graphml(tmp: Path, crs: str | None, nodes: list[dict[str, float]]) -> Path:
    """A GraphML written by plain networkx: typed attributes, a chain of edges."""
    import networkx as nx

    graph = nx.MultiDiGraph() if crs is None else nx.MultiDiGraph(crs=crs)
    for i, data in enumerate(nodes):
        graph.add_node(i, **data)
    for i in range(len(nodes) - 1):
        graph.add_edge(i, i + 1, length=100.0)
    path = tmp / "graph.graphml"
    nx.write_graphml(graph, path)
    return path


def _graph_of(tmp: Path, crs: str | None, xy: list[tuple[float, float]]) -> Path:
    return _graphml(tmp, crs, [{"x": x, "y": y} for x, y in xy])


def _cut_pbf(tmp: Path, size: int) -> Path:
    path = tmp / "cut.osm.pbf"
    path.write_bytes(datasets.sample_pbf().read_bytes()[:size])
    return path


def _device(tmp: Path, name: str) -> Path:
    """A link named like an input file that leads to /dev/zero (endless zero bytes)."""
    path = tmp / name
    path.symlink_to("/dev/zero")
    return path


def test_the_catalogue_has_at_least_forty_cases():
    assert len(CASES) >= 40
    assert len({case[0] for case in CASES}) == len(CASES)


@pytest.mark.parametrize(
    ("name", "build", "error", "problem", "fix"), CASES, ids=[c[0] for c in CASES]
)
def test_bad_input(name, build, error, problem, fix, tmp_path, city, net):
    call = build(tmp_path, city, net)
    with pytest.raises(error) as info:
        call()
    assert isinstance(info.value, geoplan.GeoplanError)
    message = str(info.value)
    assert re.search(problem, message), message
    assert re.search(fix, message), message
    # nothing half-written: no hidden, temporary or partial file is left beside the inputs
    leftovers = [
        p
        for p in tmp_path.rglob("*")
        if p.name.startswith(".") or ".partial" in p.name or p.suffix in (".part", ".tmp")
    ]
    assert leftovers == []


def test_a_failed_run_leaves_no_output_folder(tmp_path):
    study = write(
        tmp_path / "study.toml",
        '[study]\nname = "x"\n[network]\nsource = "sample"\n'
        "[area]\nbbox = [125.30, 43.85, 125.38, 43.91]\n",  # the Helsinki sample has no roads here
    )
    from click.testing import CliRunner

    from geoplan.cli import cli

    result = CliRunner().invoke(cli, ["-q", "run", str(study), "--out", str(tmp_path / "out")])
    assert result.exit_code == 3
    assert not (tmp_path / "out").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study.toml"]


def test_secrets_stay_out_of_run_json(tmp_path, monkeypatch):
    monkeypatch.setenv("GEOPLAN_TIANDITU_KEY", "secret-key-123")
    config = parse_config(
        {
            "study": {"name": "keys"},
            "network": {"source": "synthetic"},
            "synthetic": {"area_km2": 1.0, "seed": 2},
            "communities": {"source": "synthetic"},
            "population": {"source": "synthetic"},
            "facilities": {"types": {"community_canteen": {}}},
            "outputs": {"basemap": "tianditu", "rasters": False},
        }
    )
    result = geoplan.run_study(geoplan.Study.from_config(config), steps=["coverage"])
    out = geoplan.write_run(result, tmp_path / "keys")
    assert "secret-key-123" not in (out / "run.json").read_text(encoding="utf-8")
    assert "secret-key-123" not in (out / "report.html").read_text(encoding="utf-8")
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["study"] == "keys"
    # the maps need it in their tile URLs (the user chose Tianditu), and only there
    assert "secret-key-123" in (out / "maps" / "coverage_community_canteen.html").read_text()


def test_self_intersecting_communities_are_repaired_and_reported(city, net):
    from shapely.geometry import Polygon

    left, bottom, right, top = city.communities.total_bounds
    bowtie = Polygon([(left, bottom), (right, top), (right, bottom), (left, top)])
    assert not bowtie.is_valid
    communities = city.communities.copy()
    communities.loc[communities.index[0], "geometry"] = bowtie
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = geoplan.life_circles(net, communities, city.facilities, demand=city.demand())
    messages = [str(w.message) for w in caught if issubclass(w.category, geoplan.GeoplanWarning)]
    assert any(re.search(r"invalid and have been repaired.*check them", m) for m in messages)
    assert any("overlap" in m and "Fix the boundaries" in m for m in messages)
    assert result.communities.geometry.is_valid.all()


# ---- inputs read with a warning instead of an error
def test_a_plain_networkx_graphml_in_lon_lat_is_read_as_epsg_4326(tmp_path):
    points = [(125.3, 43.8), (125.301, 43.8), (125.301, 43.801)]
    path = _graph_of(tmp_path, None, points)
    with pytest.warns(geoplan.GeoplanWarning, match=r"no 'crs' attribute.*read as EPSG:4326"):
        net = geoplan.read_network(path)
    assert net.n_nodes == 3
    assert net.n_edges == 2
    assert sorted(net.node_id.tolist()) == [0, 1, 2]
    # 0.001 degree of longitude at 43.8 N and of latitude, in metres (WGS-84 ellipsoid)
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    expected = sorted(
        geod.line_length([a[0], b[0]], [a[1], b[1]]) for a, b in itertools.pairwise(points)
    )
    assert sorted(net.length_m.tolist()) == pytest.approx(expected, rel=1e-3)


def test_a_few_osm_nodes_with_broken_coordinates_are_left_out_with_a_warning(tmp_path):
    # 199 good nodes along a line and one at latitude 95: 0.5 % of the nodes, under the 1 % limit
    middle: list[tuple[object, object]] = [
        (43.8 + i * 0.00005, 125.3 + i * 0.00005) for i in range(1, 198)
    ]
    middle[99] = (95, 125.305)
    path = _osm_nodes(tmp_path, middle)
    with pytest.warns(geoplan.DroppedFeaturesWarning) as record:
        net = geoplan.read_network(path)
    message = str(record[0].message)
    assert "1 of 199 nodes have unusable coordinates (node 101: lat=95, lon=125.305)" in message
    assert "Repair those nodes" in message
    assert 101 not in net.node_id.tolist()
    assert net.n_nodes == 198
    assert net.n_edges == 196  # the way is cut at the bad node: two parts
    assert net.n_components == 2
