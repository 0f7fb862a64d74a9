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
import shapely
from shapely.geometry import Point, box

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
    # sparse streets (400 m), where GCJ-02 points fit clearly better than shifted ones
    city = datasets.synthetic_city(area_km2=16.0, seed=1, spacing_m=400.0, with_buildings=False)
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
        r"2 of 2 graph nodes have no finite numeric x/y coordinates \(node 0, 1\)",
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
        "GraphML node at NaN",
        lambda t, c, n: (
            lambda: geoplan.read_network(
                _graph_of(t, "EPSG:4326", [(float("nan"), 43.8), (125.301, 43.8)])
            )
        ),
        geoplan.DataSourceError,
        r"1 of 2 graph nodes have no finite numeric x/y coordinates \(node 0\)",
        "give each node x",
    ),
    (
        "GraphML edge geometry that is not WKT",
        lambda t, c, n: lambda: geoplan.read_network(_graph_with_bad_geometry(t)),
        geoplan.DataSourceError,
        "an edge's geometry 'LINESTRING garbage' is not WKT",
        "drop the edges' geometry attribute",
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
    (
        "walking speed of a micrometre a second",
        lambda t, c, n: lambda: _at_speed(1e-6, c, lambda net: net.reach(c.facilities, minutes=15)),
        geoplan.InputError,
        r"settings\.walk_speed_m_s = 1e-06 makes 15 minutes 0\.0009 m, not a trip to a service",
        r"set walk_speed_m_s to a walking speed such as 1\.0",
    ),
    (
        "walking speed of a thousand km a second",
        lambda t, c, n: (
            lambda: _at_speed(1e6, c, lambda net: geoplan.coverage(net, c.facilities, c.demand()))
        ),
        geoplan.InputError,
        r"settings\.walk_speed_m_s = 1e\+06 makes 15 minutes 9e\+08 m",
        r"set walk_speed_m_s to a walking speed such as 1\.0",
    ),
    (
        "network built at an absurd speed",
        lambda t, c, n: lambda: c.network(speed_m_s=500.0).nearest(c.facilities, minutes=10),
        geoplan.InputError,
        r"the network's speed_m_s = 500 makes 10 minutes 300,000 m",
        r"build the network with a walking speed such as speed_m_s=1\.0",
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
        "community without geometry",
        lambda t, c, n: (
            lambda: geoplan.life_circles(n, _without_geometry(c.communities), c.facilities)
        ),
        geoplan.InputError,
        r"1 of 2 communities have no geometry \(None or empty; first \[0\]\)",
        r"draw them, or drop them first",
    ),
    (
        "community without geometry in coverage",
        lambda t, c, n: (
            lambda: geoplan.coverage(
                n, c.facilities, c.demand(), communities=_without_geometry(c.communities)
            )
        ),
        geoplan.InputError,
        "1 of 2 communities have no geometry",
        "drop them first",
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
    (
        "huge service-area grid with max_memory_mb raised",
        lambda t, c, n: (
            lambda: _with_settings(
                {"service_area_cell_m": 0.001, "max_memory_mb": 1e9},
                lambda: geoplan.service_areas(n, c.facilities.iloc[:1], minutes=15),
            )
        ),
        geoplan.InputError,
        r"would need about [\d,.]+ GB of memory, more than this machine's [\d,.]+ GB of RAM "
        r"\(settings\.max_memory_mb = 1,000,000,000 MB is above it",
        "raise settings.service_area_cell_m",
    ),
    (
        "huge travel-time raster with max_memory_mb raised",
        lambda t, c, n: (
            lambda: _with_settings(
                {"max_memory_mb": 1e9},
                lambda: travel_time_raster(n, c.facilities, resolution_m=0.001),
            )
        ),
        geoplan.InputError,
        r"more than this machine's [\d,.]+ GB of RAM",
        "choose a coarser resolution_m",
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
    # ---- road line files
    (
        "road lines without CRS",
        lambda t, c, n: lambda: geoplan.read_network(_roads_without_crs(t, n)),
        geoplan.CRSError,
        "road network file .* has no CRS",
        r"Layer > Set CRS",
    ),
    (
        "road lines in metres declared lon/lat",
        lambda t, c, n: lambda: geoplan.read_network(_roads(t, n, crs=4326)),
        geoplan.CRSError,
        "vertices do not fit it .* look projected",
        r"Declare the projected CRS .* Layer > Set CRS",
    ),
    (
        "road GeoPackage of several layers",
        lambda t, c, n: lambda: geoplan.read_network(_roads_two_layers(t, n)),
        geoplan.DataSourceError,
        r"holds 2 layers: 'roads' \(LineString\), 'blocks' \(Polygon\)",
        r'layer="roads"\), or in the study file \[network\] layer = "roads"',
    ),
    (
        "road layer of polygons",
        lambda t, c, n: lambda: geoplan.read_network(_roads_two_layers(t, n), layer="blocks"),
        geoplan.InputError,
        "holds no lines",
        "give that layer",
    ),
    (
        "road class column missing",
        lambda t, c, n: lambda: geoplan.read_network(_roads(t, n), class_column="道路等级"),
        geoplan.InputError,
        "class_column='道路等级' is not a column",
        "give one of them as class_column",
    ),
    (
        "unknown noding",
        lambda t, c, n: lambda: geoplan.read_network(_roads(t, n), noding="snap"),
        geoplan.InputError,
        "noding must be 'vertices' or 'planar'",
        "noding='planar'",
    ),
    (
        "no walkable road class",
        lambda t, c, n: lambda: geoplan.read_network(_roads(t, n, 道路等级="快速路")),
        geoplan.NetworkError,
        "none of the 240 lines of roads.gpkg is walkable",
        "check the profile",
    ),
    (
        "road line option for an OSM extract",
        lambda t, c, n: lambda: geoplan.read_network(datasets.sample_pbf(), layer="roads"),
        geoplan.InputError,
        "layer= applies to road line files",
        "leave it out",
    ),
    (
        "study noding for an OSM extract",
        lambda t, c, n: (
            lambda: parse_config(
                {"study": {"name": "x"}, "network": {"source": "sample", "noding": "planar"}}
            )
        ),
        geoplan.ConfigError,
        r"\[network\] noding applies to road line files",
        "leave it out",
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
    (
        "/dev/zero as a POI table",
        lambda t, c, n: lambda: geoplan.read_poi_table(_device(t, "zero.csv"), coordinates="gcj02"),
        geoplan.DataSourceError,
        r"zero.csv is not a regular file \(a device, pipe or socket",
        "give a CSV or Excel table saved on disk",
    ),
    (
        "/dev/zero as a register",
        lambda t, c, n: lambda: geoplan.read_register(_device(t, "zero.xlsx")),
        geoplan.DataSourceError,
        "is not a regular file",
        "saved on disk",
    ),
    (
        "a folder as a register",
        lambda t, c, n: lambda: geoplan.read_register(t),
        geoplan.DataSourceError,
        "is a folder, not a CSV or Excel table",
        "give the file inside it",
    ),
    (
        "CSV with NUL bytes",
        lambda t, c, n: (
            lambda: geoplan.read_poi_table(
                _bytes(t, "nul.csv", "名称,lng,lat\n".encode() + b"a\x00b,125.3,43.8\n"),
                coordinates="gcj02",
            )
        ),
        geoplan.DataSourceError,
        r"holds NUL bytes \(first on line 2\)",
        "Save the table again as 'CSV UTF-8'",
    ),
    (
        "CSV in no known encoding",
        lambda t, c, n: (
            lambda: geoplan.read_poi_table(
                _bytes(t, "latin.csv", b"\x80\xff\xfe,\x81\n"), coordinates="gcj02"
            )
        ),
        geoplan.DataSourceError,
        "neither UTF-8 nor GBK/GB18030, Big5 or UTF-16",
        "save the table again as 'CSV UTF-8'",
    ),
    (
        "CSV with a quote that never closes",
        lambda t, c, n: (
            lambda: geoplan.read_poi_table(
                write(t / "q.csv", '名称,lng,lat\n"甲,125.3,43.8\n乙,125.31,43.81\n'),
                coordinates="gcj02",
            )
        ),
        geoplan.DataSourceError,
        "a quoted cell opened on line 2 never closes",
        r"add the closing quote \(\"\)",
    ),
    (
        "header-only POI table",
        lambda t, c, n: (
            lambda: geoplan.read_poi_table(
                write(t / "h.csv", "名称,lng,lat\n"), coordinates="gcj02"
            )
        ),
        geoplan.InputError,
        r"no data rows below the header \(row 1\)",
        "export the POIs again",
    ),
    (
        "xlsx that is a zip of junk",
        lambda t, c, n: lambda: geoplan.read_register(_junk_zip(t)),
        geoplan.DataSourceError,
        r"not a readable \.xlsx workbook",
        r"save it again as \.xlsx",
    ),
    (
        "xlsx that is CSV text",
        lambda t, c, n: (
            lambda: geoplan.read_register(write(t / "r.xlsx", "社区名称,户数\n甲,10\n"))
        ),
        geoplan.DataSourceError,
        r"not a readable \.xlsx workbook \(BadZipFile",
        r"save it again as \.xlsx",
    ),
    # ---- vector files
    (
        "shapefile without its .shx",
        lambda t, c, n: lambda: geoplan.read_facilities(_shapefile_without(t, c, ".shx")),
        geoplan.DataSourceError,
        r"is a shapefile without its \.shx file \(the index of its shapes\)",
        "Copy every file of the shapefile",
    ),
    (
        "shapefile without its .dbf",
        lambda t, c, n: lambda: geoplan.read_facilities(_shapefile_without(t, c, ".dbf")),
        geoplan.DataSourceError,
        r"without its \.dbf file \(its attribute table\)",
        r"save it as one GeoPackage \(\.gpkg\)",
    ),
    (
        "/dev/zero as a vector file",
        lambda t, c, n: lambda: geoplan.read_facilities(_device(t, "zero.gpkg")),
        geoplan.DataSourceError,
        "is not a regular file",
        "saved on disk",
    ),
    # ---- a study's communities
    (
        "truncated GeoJSON communities",
        lambda t, c, n: _with_communities(t, _cut_geojson(t, c)),
        geoplan.DataSourceError,
        r"cannot read .*cut.geojson as a communities file \(.*Unterminated",
        r"save it again \(e\.g\. in QGIS",
    ),
    (
        "a text file as communities",
        lambda t, c, n: _with_communities(t, write(t / "communities.txt", "朝阳社区")),
        geoplan.ConfigError,
        r"\[communities\] source = 'communities.txt' is not a vector file \(\.gpkg",
        r'e\.g\. source = "communities\.gpkg"',
    ),
    (
        "a PNG named .gpkg as communities",
        lambda t, c, n: _with_communities(
            t, _bytes(t, "c.gpkg", b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
        ),
        geoplan.DataSourceError,
        "as a communities file .*not a vector file",
        "save it again",
    ),
    (
        "communities outside the network",
        lambda t, c, n: _with_communities(t, _vector(t, "far.gpkg", _moved(c.communities))),
        geoplan.InputError,
        "none of the 2 communities of far.gpkg lies within reach of the network",
        r"check the file's CRS, and that \[network\] and \[area\] cover",
    ),
    (
        "communities that are lines",
        lambda t, c, n: _communities_of(t, c, c.communities.geometry.boundary),
        geoplan.InputError,
        r"holds neither polygons nor points \(2 LineString\)",
        "needs the areas' boundaries as polygons",
    ),
    (
        "communities without geometries",
        lambda t, c, n: _communities_of(t, c, [None, None]),
        geoplan.InputError,
        "none of the 2 features of the communities file .* has a geometry",
        "draw the features again",
    ),
    (
        "GeoJSON communities without features",
        lambda t, c, n: _with_communities(
            t, write(t / "none.geojson", '{"type":"FeatureCollection","features":[]}')
        ),
        geoplan.InputError,
        "has no features",
        r"leave \[communities\] source out to use street blocks",
    ),
    (
        "GeoPackage communities without features",
        lambda t, c, n: _with_communities(t, _vector(t, "none.gpkg", c.communities.iloc[:0])),
        geoplan.InputError,
        "has no features",
        "give the community boundaries",
    ),
    (
        "communities layer that is not there",
        lambda t, c, n: _with_communities(
            t, _vector(t, "c.gpkg", c.communities), layer="boundaries"
        ),
        geoplan.DataSourceError,
        "has no layer 'boundaries'; its layers are 'c'",
        "give one of them as the layer",
    ),
    (
        "communities without CRS",
        lambda t, c, n: _with_communities(t, _shapefile_without_crs(t)),
        geoplan.CRSError,
        "communities file .* has no CRS",
        "Layer > Set CRS",
    ),
    (
        "study area file without features",
        lambda t, c, n: (
            lambda: geoplan.Study.from_config(
                parse_config(
                    {
                        "study": {"name": "area"},
                        "network": {"source": "sample"},
                        "area": {"file": "area.geojson"},
                    },
                    base_dir=_folder_with(t, "area.geojson", _NO_FEATURES),
                )
            )
        ),
        geoplan.InputError,
        "the study area file .*area.geojson has no features",
        "give the outline of the study area",
    ),
    (
        "population raster with an infinite cell",
        lambda t, c, n: (
            lambda: geoplan.population.population_from_raster(_raster(t, np.inf), crs=n.crs)
        ),
        geoplan.InputError,
        r"0 negative cells \(lowest nan\), 0 NaN cells and 1 infinite cells inside the study",
        "declare that value as nodata",
    ),
    # ---- a study's population file
    (
        "population that is text",
        lambda t, c, n: _with_population(t, _population(t, c, "abc")),
        geoplan.InputError,
        r"column 'pop' holds values that are not counts of people: not numbers "
        r"\(or infinite\) in feature 1, 2, 3 \(e\.g\. 'abc'\)",
        "Correct those cells",
    ),
    (
        "infinite population",
        lambda t, c, n: _with_population(t, _population(t, c, np.inf)),
        geoplan.InputError,
        r"not numbers \(or infinite\) in feature 1, 2, 3 \(e\.g\. inf\)",
        "Correct those cells",
    ),
    (
        "negative population in a file",
        lambda t, c, n: _with_population(t, _population(t, c, -5.0)),
        geoplan.InputError,
        r"negative in feature 1, 2, 3 \(e\.g\. -5\)",
        r"Correct those cells \(0 where nobody lives\), or delete the features",
    ),
    (
        "blank population in a file",
        lambda t, c, n: _with_population(t, _population(t, c, np.nan)),
        geoplan.InputError,
        r"blank in feature 1, 2, 3",
        r"0 where nobody lives",
    ),
    (
        "population file without features",
        lambda t, c, n: _with_population(t, _vector(t, "p.gpkg", c.demand().iloc[:0])),
        geoplan.InputError,
        "population file .* has no features",
        "give points",
    ),
    (
        "population column not in the file",
        lambda t, c, n: _with_population(t, _population(t, c, 1.0), column="人口"),
        geoplan.ConfigError,
        r"\[population\] column = '人口' is not a column of pop.gpkg",
        "its columns are",
    ),
    # ---- population from land-use parcels, and a census total
    (
        "census total of zero",
        lambda t, c, n: lambda: geoplan.population.calibrate_population(c.demand(), 0),
        geoplan.InputError,
        "the census total must be a positive number of people, got 0",
        r"total=1234567",
    ),
    (
        "negative census total in a study",
        lambda t, c, n: lambda: _study(t, population={"source": "synthetic", "total": -5}),
        geoplan.ConfigError,
        r"\[population\] total must be a positive number of people .*got -5",
        "e.g. total = 1234567",
    ),
    (
        "unknown class column of parcels",
        lambda t, c, n: (
            lambda: geoplan.population.population_from_parcels(_parcels(c), class_column="用地代码")
        ),
        geoplan.InputError,
        r"no class column '用地代码'; their columns are \['cls', 'far'\]",
        r"class_column='cls'",
    ),
    (
        "unknown class column of a study's parcel file",
        lambda t, c, n: (
            lambda: _study(
                t,
                population={
                    "source": _vector(t, "parcels.gpkg", _parcels(c)).name,
                    "class_column": "DLBM",
                },
            )
        ),
        geoplan.InputError,
        "land-use parcels have no class column 'DLBM'",
        r"\[population\] class_column",
    ),
    (
        "parcels without a CRS",
        lambda t, c, n: (
            lambda: geoplan.population.population_from_parcels(
                _parcels(c).set_crs(None, allow_override=True), class_column="cls"
            )
        ),
        geoplan.CRSError,
        "parcels have no CRS",
        r"set_crs\(",
    ),
    (
        "negative floor-area ratio",
        lambda t, c, n: (
            lambda: geoplan.population.population_from_parcels(
                _parcels(c).assign(far=[-1.0, 2.0]), class_column="cls", far_column="far"
            )
        ),
        geoplan.InputError,
        r"1 parcels have a floor-area ratio in 'far' that is not a number >= 0",
        "correct them, or blank them",
    ),
    (
        "no housing parcel",
        lambda t, c, n: (
            lambda: geoplan.population.population_from_parcels(
                _parcels(c).assign(cls=["M1", "B1"]), class_column="cls"
            )
        ),
        geoplan.InputError,
        r"none of the 2 parcels is housing land in 'cls' \(classes found: \['B1', 'M1'\]",
        "scheme='euluc', 'guotu' or 'gb50137'",
    ),
    (
        "floor-area-ratio column for buildings",
        lambda t, c, n: lambda: _study(t, population={"source": "synthetic", "far_column": "far"}),
        geoplan.ConfigError,
        r"\[population\] far_column does not apply to source = 'synthetic'",
        'e.g. source = "parcels.gpkg" with class_column',
    ),
    # ---- a study's facility files
    (
        "empty facility CSV",
        lambda t, c, n: _with_sites(t, _bytes(t, "sites.csv", b"")),
        geoplan.InputError,
        "the file is empty",
        "export the table again",
    ),
    (
        "facility CSV with a header only",
        lambda t, c, n: _with_sites(t, write(t / "sites.csv", "名称,经度,纬度\n")),
        geoplan.InputError,
        "has a header but no rows of sites",
        "fill it in",
    ),
    (
        "facility coordinates that are not numbers",
        lambda t, c, n: _with_sites(t, _sites(t, lon=["125.3", "东经125", "125.31"])),
        geoplan.InputError,
        r"1 of 3 sites have coordinates that are not numbers in row\(s\) 3 "
        r"\(row 3: lon='东经125', lat='43.81'\)",
        "Correct or delete those rows",
    ),
    (
        "blank facility coordinates",
        lambda t, c, n: _with_sites(t, _sites(t, lat=["43.8", "", "43.82"])),
        geoplan.InputError,
        r"no coordinates in row\(s\) 3 \(row 3: lon='125.31', lat=None\)",
        "every site needs a number in both coordinate columns",
    ),
    (
        "facility crs that does not exist",
        lambda t, c, n: _with_sites(t, _sites(t), crs="EPSG:99999"),
        geoplan.ConfigError,
        r"\[facilities.types.community_canteen\] crs = 'EPSG:99999' is not a coordinate "
        "reference system",
        r'e\.g\. crs = "EPSG:4326"',
    ),
    (
        "facility crs that is a word",
        lambda t, c, n: _with_sites(t, _sites(t), crs="wgs"),
        geoplan.ConfigError,
        "crs = 'wgs' is not a coordinate reference system pyproj knows",
        r'e\.g\. crs = "EPSG:4326"',
    ),
    (
        "facility lon/lat swapped",
        lambda t, c, n: _with_sites(t, _sites(t, lon=["43.8"] * 3, lat=["125.3"] * 3)),
        geoplan.CRSError,
        "3 of 3 sites lie outside the range of EPSG:4326.*look swapped",
        r"Swap the two headers \('lon' and 'lat'\) in the file, or set x = 'lat'",
    ),
    (
        "facility metres declared as EPSG:4326",
        lambda t, c, n: _with_sites(t, _sites(t, lon=["687000"] * 3, lat=["4862000"] * 3)),
        geoplan.CRSError,
        r"look projected \(metres\), not the degrees of EPSG:4326",
        r'Set crs to the CRS the numbers are in \(e\.g\. crs = "EPSG:32651"\)',
    ),
    (
        "facility degrees declared as UTM",
        lambda t, c, n: _with_sites(t, _sites(t), crs="EPSG:32651"),
        geoplan.CRSError,
        "look like longitude/latitude degrees, not the metres of EPSG:32651",
        'Set crs = "EPSG:4326"',
    ),
    (
        "facility CSV without coordinate columns",
        lambda t, c, n: _with_sites(t, write(t / "sites.csv", "名称,东,北\n甲,125.3,43.8\n")),
        geoplan.ConfigError,
        "has no coordinate column for x = 'lon' and y = 'lat'; its columns are '名称', '东', '北'",
        r"Set x = \.\.\. and y = \.\.\.",
    ),
    (
        "facility table as .xls",
        lambda t, c, n: _with_sites(t, _xls(t)),
        geoplan.ConfigError,
        "file = 'old.xls' is not a vector file .* or a table .*an old Excel .xls",
        "save it as .xlsx",
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


def _without_geometry(communities: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frame = communities.copy()
    frame.loc[frame.index[0], frame.geometry.name] = None
    return frame


def _with_settings(values: dict[str, object], call: Callable[[], object]) -> object:
    with geoplan.settings.override(**values):
        return call()


def _at_speed(speed: float, city, use: Callable[[geoplan.Network], object]) -> object:
    """Build the city's network and use it with settings.walk_speed_m_s set to ``speed``."""
    with geoplan.settings.override(walk_speed_m_s=speed):
        return use(city.network())


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


_NO_FEATURES = '{"type": "FeatureCollection", "features": []}'


def _folder_with(tmp: Path, name: str, text: str) -> Path:
    write(tmp / name, text)
    return tmp


def _graph_with_bad_geometry(tmp: Path) -> Path:
    import networkx as nx

    graph = nx.MultiDiGraph(crs="EPSG:4326")
    graph.add_node(1, x=125.3, y=43.8)
    graph.add_node(2, x=125.301, y=43.8)
    graph.add_edge(1, 2, geometry="LINESTRING garbage")
    path = tmp / "bad.graphml"
    nx.write_graphml(graph, path)
    return path


def _raster(tmp: Path, value: float) -> Path:
    """A 4 x 4 GeoTIFF of 10 people per cell in EPSG:32651, one cell holding ``value``."""
    import rasterio
    from affine import Affine

    data = np.full((4, 4), 10.0, dtype=np.float32)
    data[1, 2] = value
    path = tmp / "pop.tif"
    profile = {"driver": "GTiff", "width": 4, "height": 4, "count": 1, "dtype": "float32"}
    transform = Affine(100.0, 0.0, 686800.0, 0.0, -100.0, 4862800.0)
    with rasterio.open(path, "w", crs="EPSG:32651", transform=transform, nodata=-1, **profile) as f:
        f.write(data, 1)
    return path


def _bytes(tmp: Path, name: str, data: bytes) -> Path:
    path = tmp / name
    path.write_bytes(data)
    return path


def _junk_zip(tmp: Path) -> Path:
    import zipfile

    path = tmp / "junk.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("junk.txt", "not a workbook")
    return path


def _vector(tmp: Path, name: str, frame: gpd.GeoDataFrame) -> Path:
    path = tmp / name
    frame.to_file(path)
    return path


def _shapefile_without(tmp: Path, city, suffix: str) -> Path:
    folder = tmp / "shp"
    folder.mkdir()
    path = folder / "sites.shp"
    city.facilities[["geometry"]].assign(id=1).to_file(path)
    path.with_suffix(suffix).unlink()
    return path


def _cut_geojson(tmp: Path, city) -> Path:
    path = _vector(tmp, "whole.geojson", city.communities)
    text = path.read_text(encoding="utf-8")
    path.unlink()
    return write(tmp / "cut.geojson", text[: len(text) // 2])


def _moved(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The frame 1,000 km north-east of where it was."""
    return frame.set_geometry(frame.geometry.translate(1e6, 1e6))


def _communities_of(tmp: Path, city, geometry) -> Callable[[], object]:
    frame = gpd.GeoDataFrame(
        city.communities.drop(columns="geometry"), geometry=list(geometry), crs=city.crs
    )
    return _with_communities(tmp, _vector(tmp, "c.gpkg", frame))


def _population(tmp: Path, city, value: object) -> Path:
    demand = city.demand()
    people: list[object] = [float(v) for v in demand["population"]]
    people[:3] = [value] * 3
    if isinstance(value, str):
        people = [str(v) for v in people]
    frame = demand.drop(columns="population").assign(pop=people)
    return _vector(tmp, "pop.gpkg", frame)


def _parcels(city) -> gpd.GeoDataFrame:
    """Two land-use parcels over the synthetic city: housing (R2) west, industry (M1) east."""
    left, bottom, right, top = city.communities.total_bounds
    middle = (left + right) / 2
    return gpd.GeoDataFrame(
        {"cls": ["R2", "M1"], "far": [1.5, None]},
        geometry=[box(left, bottom, middle, top), box(middle, bottom, right, top)],
        crs=city.crs,
    )


def _sites(tmp: Path, *, lon: list[str] | None = None, lat: list[str] | None = None) -> Path:
    """Three sites near the synthetic city, in lon/lat, with names."""
    table = {
        "name": ["甲", "乙", "丙"],
        "lon": lon or ["125.3", "125.31", "125.32"],
        "lat": lat or ["43.8", "43.81", "43.82"],
    }
    return _csv(tmp, "sites.csv", table)


def _study(tmp: Path, **tables: object) -> geoplan.Study:
    raw: dict[str, object] = {
        "study": {"name": "inputs"},
        "network": {"source": "synthetic"},
        "synthetic": {"area_km2": 1.0, "seed": 5},
        "communities": {"source": "synthetic"},
        "population": {"source": "synthetic"},
    }
    raw.update(tables)
    return geoplan.Study.from_config(parse_config(raw, base_dir=tmp))


def _with_communities(tmp: Path, path: Path, **more: object) -> Callable[[], object]:
    return lambda: _study(tmp, communities={"source": path.name, **more})


def _with_population(tmp: Path, path: Path, column: str = "pop") -> Callable[[], object]:
    return lambda: _study(tmp, population={"source": path.name, "column": column})


def _roads(tmp: Path, net, *, crs: object = None, **columns: object) -> Path:
    """The synthetic city's streets as a road line file (one line per edge)."""
    _, edges = net.to_gdfs()
    frame = edges[["geometry"]].assign(**columns)
    if crs is not None:
        frame = frame.set_crs(crs, allow_override=True)
    return _vector(tmp, "roads.gpkg", frame)


def _roads_without_crs(tmp: Path, net) -> Path:
    _, edges = net.to_gdfs()
    path = tmp / "roads.shp"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # writing without a CRS is the point
        gpd.GeoDataFrame(geometry=list(edges.geometry)).to_file(path)
    return path


def _roads_two_layers(tmp: Path, net) -> Path:
    nodes, edges = net.to_gdfs()
    path = tmp / "city.gpkg"
    edges[["geometry"]].to_file(path, layer="roads")
    gpd.GeoDataFrame(geometry=[shapely.box(*nodes.total_bounds)], crs=nodes.crs).to_file(
        path, layer="blocks"
    )
    return path


def _with_sites(tmp: Path, path: Path, **more: object) -> Callable[[], object]:
    types = {"community_canteen": {"file": path.name, **more}}
    return lambda: _study(tmp, facilities={"classify": False, "types": types})


def test_the_catalogue_has_at_least_a_hundred_cases():
    assert len(CASES) >= 100
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


# ---- tables: every encoding, Excel, headers
NAMES = ["朝阳社区卫生服务站", "幸福里社区养老服务驿站", "南关区明珠街道卫生服务中心"]
TRADITIONAL = ["臺北市大安區衛生所", "幸福里社區長照服務據點", "新北市板橋區圖書館"]
LON = ["125.3245", "125.3301", "125.3187"]
LAT = ["43.8868", "43.8902", "43.8811"]


@pytest.mark.parametrize(
    ("encoding", "header", "names"),
    [
        ("utf-8", "名称,lng,lat", NAMES),
        ("utf-8-sig", "名称,经度,纬度", NAMES),
        ("utf-16", "名称,经度,纬度", NAMES),  # with its byte-order mark (Excel's Unicode text)
        ("gbk", "名称,经度,纬度", NAMES),
        ("gb18030", "名称,经度,纬度", NAMES),
        ("big5", "名稱,經度,緯度", TRADITIONAL),
        ("gbk", "名稱,經度,緯度", TRADITIONAL),  # GBK holds traditional characters too
    ],
)
def test_a_facility_file_in_any_encoding_reads_its_names_exactly(tmp_path, encoding, header, names):
    from geoplan.sources._sites import read_site_table

    rows = "".join(f"{n},{x},{y}\n" for n, x, y in zip(names, LON, LAT, strict=True))
    path = _bytes(tmp_path, "sites.csv", f"{header}\n{rows}".encode(encoding))
    sites = read_site_table(path, x="lon", y="lat", crs="EPSG:4326")
    name = header.split(",")[0]
    assert sites[name].tolist() == names
    assert sites.geometry.x.tolist() == [float(v) for v in LON]
    assert sites.geometry.y.tolist() == [float(v) for v in LAT]
    assert sites.index.tolist() == [2, 3, 4]
    study = _with_sites(tmp_path, path)()
    assert study.sites("community_canteen")[name].tolist() == names


@pytest.mark.parametrize(
    ("headers", "options"),
    [
        (["名称", "经度", "纬度"], {}),
        (["name", "lng", "lat"], {}),
        (["name", "x", "y"], {}),
        (["机构名称", "东经", "北纬"], {"x": "东经", "y": "北纬"}),
    ],
)
def test_a_facility_workbook_reads_with_chinese_or_english_headers(tmp_path, headers, options):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["社区卫生服务站名录（2024年）"])  # a title above the header
    sheet.append(headers)
    for name, x, y in zip(NAMES, LON, LAT, strict=True):
        sheet.append([name, float(x), float(y)])
    path = tmp_path / "sites.xlsx"
    book.save(path)
    sites = _with_sites(tmp_path, path, **options)().sites("community_canteen")
    assert sites[headers[0]].tolist() == NAMES
    back = sites.to_crs(4326)
    assert back.geometry.x.tolist() == pytest.approx([float(v) for v in LON], abs=1e-9)
    assert back.geometry.y.tolist() == pytest.approx([float(v) for v in LAT], abs=1e-9)
    assert sites["source_row"].tolist() == [3, 4, 5]  # rows of the workbook


def test_excel_formulas_without_saved_values_are_named_not_silently_blank(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "台账"
    sheet.append(["社区名称", "社区代码", "户数", "人口"])
    sheet.append(["甲", "001", 10, 30])
    sheet.append(["乙", "002", 20, 50])
    sheet.append(["丙", "003", "=C2+C3", "=SUM(D2:D3)"])
    path = tmp_path / "register.xlsx"
    book.save(path)  # openpyxl saves formulas without their values
    with pytest.warns(geoplan.UnreadableCellsWarning) as record:
        register = geoplan.read_register(path)
    message = str(record[0].message)
    assert "sheet '台账': 2 cell(s) hold a formula without a saved value" in message
    assert "C4 (=C2+C3), D4 (=SUM(D2:D3))" in message
    assert "Open the workbook in Excel or WPS and save it" in message
    assert register["households"].tolist()[:2] == [10.0, 20.0]
    assert register["population"].tolist()[:2] == [30.0, 50.0]
    assert np.isnan(register["population"].iloc[2])


def test_a_poi_table_without_a_name_column_says_which_headers_it_knows(tmp_path):
    path = _csv(
        tmp_path,
        "p.csv",
        {"店铺": ["幸福幼儿园", "b"], "lng": [125.3, 125.31], "lat": [43.8, 43.81]},
    )
    with pytest.warns(geoplan.UnreadableCellsWarning) as record:
        pois = geoplan.read_poi_table(path, coordinates="wgs84")
    message = str(record[0].message)
    assert "no column of names: the header has '店铺', 'lng', 'lat'" in message
    assert "names are recognised under 名称, name" in message
    assert "rename the name column to 名称" in message
    assert len(pois) == 2
    assert pois["name"].isna().all()


# ---- a study's files read with a warning
def _quarters(city) -> list[object]:
    from shapely.geometry import box

    left, bottom, right, top = city.communities.total_bounds
    mid_x, mid_y = (left + right) / 2, (bottom + top) / 2
    return [
        box(left, bottom, mid_x, mid_y),
        box(mid_x, bottom, right, mid_y),
        box(left, mid_y, mid_x, top),
        box(mid_x, mid_y, right, top),
    ]


def test_points_lines_and_empty_features_among_communities_are_left_out_and_named(tmp_path, city):
    from shapely.geometry import LineString

    quarters = _quarters(city)
    extra = [None, quarters[0].centroid, LineString(list(quarters[1].exterior.coords)[:2])]
    frame = gpd.GeoDataFrame(
        {"name": ["a", "b", "c", "d", "e", "f", "g"]}, geometry=quarters + extra, crs=city.crs
    )
    study = _with_communities(tmp_path, _vector(tmp_path, "c.gpkg", frame))()
    assert study.communities["name"].tolist() == ["a", "b", "c", "d"]
    notes = "\n".join(study.notes)
    assert "1 of 7 features of the communities file have no geometry (feature 5" in notes
    assert (
        "2 of 6 features of the communities file are not polygons (1 Point, 1 LineString; "
        "feature 6, 7, counted from 1) and were left out" in notes
    )


def test_a_communities_file_of_points_is_read_as_villages(tmp_path, city):
    from shapely.geometry import LineString

    points = list(city.communities.geometry.representative_point())
    line = LineString([(0, 0), (1, 1)])
    frame = gpd.GeoDataFrame(
        {"name": ["甲村", "乙村", "丙"]}, geometry=[*points, line], crs=city.crs
    )
    study = _with_communities(tmp_path, _vector(tmp_path, "villages.gpkg", frame))()
    assert study.communities["name"].tolist() == ["甲村", "乙村"]
    assert study.communities.geom_type.tolist() == ["Point", "Point"]
    assert any(
        "1 of 3 features of the communities file are not points (villages) (1 LineString; "
        "feature 3, counted from 1)" in note
        for note in study.notes
    )


def test_communities_partly_beyond_the_network_are_kept_with_a_warning(tmp_path, city):
    frame = city.communities.copy()
    frame.loc[frame.index[1], "geometry"] = _moved(frame.iloc[[1]]).geometry.iloc[0]
    study = _with_communities(tmp_path, _vector(tmp_path, "c.gpkg", frame))()
    assert len(study.communities) == 2
    assert any(
        "1 of 2 communities lie beyond 500 m of the network's extent" in note
        and "Extend [area]" in note
        for note in study.notes
    )


def test_population_written_with_thousands_separators_is_read_as_numbers(tmp_path, city):
    demand = city.demand()
    people = [f"{int(v):,}" for v in demand["population"]]
    people[:2] = ["1,200", "１２００人"]  # full-width digits and a unit
    path = _vector(tmp_path, "p.gpkg", demand.drop(columns="population").assign(人口=people))
    study = _with_population(tmp_path, path, column="人口")()
    values = study.demand["population"].tolist()
    assert values[:2] == [1200.0, 1200.0]
    assert values[2:] == [float(int(v)) for v in demand["population"].iloc[2:]]


def test_a_bad_facility_file_ends_the_command_with_exit_3_and_the_fix(tmp_path):
    from click.testing import CliRunner

    from geoplan.cli import cli

    _sites(tmp_path, lon=["43.8"] * 3, lat=["125.3"] * 3)
    study = write(
        tmp_path / "study.toml",
        '[study]\nname = "x"\n[network]\nsource = "synthetic"\n'
        "[synthetic]\narea_km2 = 1.0\nseed = 5\n"
        '[communities]\nsource = "synthetic"\n[population]\nsource = "synthetic"\n'
        '[facilities.types.community_canteen]\nfile = "sites.csv"\n',
    )
    result = CliRunner().invoke(cli, ["-q", "run", str(study), "--out", str(tmp_path / "out")])
    assert result.exit_code == 3
    assert "look swapped" in result.output
    assert "Swap the two headers ('lon' and 'lat')" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


MOSCOW = "\u041c\u043e\u0441\u043a\u0432\u0430"  # in Cyrillic letters
KYIV = "\u041a\u0438\u0457\u0432"


@pytest.mark.parametrize(
    ("text", "encoding", "found"),
    [
        ("陆梅,路\n陆毛,卢茂\n", "gbk", "gb18030"),  # GBK bytes that are valid UTF-8 as well
        ("name,city\nCafé Crème,Besançon\nMüller,Straße\n", "utf-8", "utf-8"),
        (f"{MOSCOW},名称\n{MOSCOW},朝阳\n", "utf-8", "utf-8"),
        (f"{MOSCOW},{KYIV}\n", "utf-8", "utf-8"),
        ("名稱,地址\n臺北市大安區衛生所,信義路\n", "big5", "big5"),
        ("名称,地址\n朝阳社区卫生服务站,人民大街\n", "gb18030", "gb18030"),
        ("name,lng\nA,125.3\n", "utf-16-le", "holds NUL bytes"),  # UTF-16 without its mark
        ("名称\n朝阳\n", "utf-16-le", "neither UTF-8 nor GBK"),
    ],
)
def test_text_is_decoded_in_the_encoding_it_was_written_in(tmp_path, text, encoding, found):
    from geoplan.sources._tables import decode_text

    data = text.encode(encoding)
    if found not in ("utf-8", "gb18030", "big5"):
        with pytest.raises(geoplan.DataSourceError, match=found):
            decode_text(data, tmp_path / "t.csv")
        return
    assert decode_text(data, tmp_path / "t.csv") == (text, found)
