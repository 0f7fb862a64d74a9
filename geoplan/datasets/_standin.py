"""A small, fully synthetic stand-in of a Chinese district's input files, for offline examples.

The path for a Chinese city (notebook ``05_your_city``,
``studies/changchun-nanguan.toml``) starts from files a planner gets
from elsewhere: a provincial OpenStreetMap extract
(:func:`geoplan.fetch_extract`), a POI export from Amap (高德) in GCJ-02, a
community register (社区台账) in Excel, and the community boundary polygons;
or, for a bureau that does not use OpenStreetMap, its own road lines and
land-use parcels and a Baidu export beside the Amap one.
None of them ships with geoplan and none can be downloaded in CI, so
:func:`write_standin` (public as :func:`geoplan.datasets.standin_district`)
writes small files of the same kinds, in the same formats, built from
:func:`geoplan.datasets.synthetic_city`.

**Everything is invented.** Every name carries 示例 ("example"): the city,
districts and POIs end in （示例）, streets, subdistricts and communities
start with it (示例2街, 示例第1街道, 示例第1社区); the streets, buildings,
boundaries, POIs and register figures describe no real place. The city
merely sits where Changchun is, so that the Chinese coordinate offsets
(GCJ-02) are those of Jilin.

The stand-in city is ``synthetic_city(area_km2=4.0, spacing_m=80.0,
seed=STANDIN_SEED, origin_lonlat=(125.32, 43.86))``: a street grid of about
2.2 x 2.0 km with a river crossed by three bridges, and 9 communities of
about 650 m in a 3 x 3 tiling. Its files:

``extract.osm`` (OSM XML, what :func:`geoplan.read_network`,
:func:`geoplan.read_buildings` and :func:`geoplan.sources.district_boundary`
read from a real extract)
    The streets as ways of consecutive street nodes (``highway=tertiary`` on
    every sixth grid line, named 示例N街 east-west and 示例N路 north-south;
    ``residential`` otherwise; the diagonals ``footway``; bridges
    ``tertiary`` with ``bridge=yes``); the buildings as closed ways
    (``building=residential``, ``building:levels``); and three
    ``boundary=administrative`` relations made of shared boundary ways, as
    OpenStreetMap maps them: 长春市（示例） (``admin_level=5``, the whole
    city), 南关区（示例） (``admin_level=6``: the six communities east of the
    city's first community column, with the river) and 朝阳区（示例）
    (``admin_level=6``: the western column of three). Coordinates are
    WGS-84 with 7 decimals.
``amap_pois.csv`` (what :func:`geoplan.read_poi_table` reads)
    An Amap-style export of the POIs inside 南关区（示例）: the synthetic city's
    facilities there, plus six other shops and services (only the phone
    repair shop among them is a facility type, 维修点, by its name), with
    Amap's columns 名称, 类型 (category paths such as
    ``医疗保健服务;诊所;社区卫生服务站``), 地址 and ``location`` (``"lng,lat"``
    in **GCJ-02**, 6 decimals), encoded in GB18030 as Chinese Windows
    exports are. Kindergartens are named without the word 幼儿园
    (小太阳N号园), so that their type comes from the category.
``register.xlsx`` (what :func:`geoplan.read_register` reads)
    :func:`geoplan.datasets.synthetic_register` of the 9 communities
    (示例第N社区), with each community's district (南关区（示例） or 朝阳区（示例）, from where it
    lies) and subdistrict (示例第N街道, three communities each), written
    as a bureau's workbook: a title row, a two-row header with merged cells
    (户数 and 常住人口 under 人口情况, the floor areas under 面积（㎡）, ...),
    城市社区/农村社区 and 是/否 in the cells, a 合计 row and a footnote.
``communities.gpkg`` (layer ``communities``, EPSG:4326)
    The 9 community polygons with ``code`` (the register's 社区代码,
    C001 ... C009, numbered row by row from the south-west) and ``name``
    (the register's name + 居民委员会).
``roads.gpkg``, ``parcels.gpkg``, ``baidu_pois.csv``, ``study.toml``
    A bureau's own inputs: the streets as a planning institute's road lines
    (道路名称, 道路等级, 层; the bridges on level 1), land-use parcels with
    EULUC-China codes and floor-area ratios, a Baidu export in BD-09 of the
    city's health stations, day care centres and pharmacies, and a study on
    these, the Amap export, the register and the boundaries alone (no OSM
    extract); see :mod:`geoplan.datasets._bureau`.

The CSV, OSM and TOML files are byte-for-byte the same on every call; the
workbook and the GeoPackages hold the same content (their containers record
write times).
"""

from __future__ import annotations

import csv
import importlib
import io
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from xml.sax.saxutils import quoteattr

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
from numpy.typing import NDArray

from geoplan._errors import OutputError
from geoplan.coords import wgs84_to_gcj02
from geoplan.datasets._bureau import (
    PARCEL_LAYER,
    ROAD_LAYER,
    STUDY_TOML,
    baidu_csv,
    diagonals,
    grid_runs,
    parcels,
    road_lines,
)
from geoplan.sources.bundled import SyntheticCity, synthetic_city, synthetic_register

__all__ = [
    "STANDIN_AREA_KM2",
    "STANDIN_ORIGIN",
    "STANDIN_SEED",
    "STANDIN_SPACING_M",
    "StandinDistrict",
    "write_standin",
]

#: Seed of the stand-in city (plus one: its register and extra POIs; two: the parcels; three:
#: the Baidu shops).
STANDIN_SEED: Final = 38
#: Land area of the stand-in city in km^2.
STANDIN_AREA_KM2: Final = 4.0
#: Street spacing of the stand-in city in metres.
STANDIN_SPACING_M: Final = 80.0
#: Longitude and latitude of its south-west corner: where Changchun is.
STANDIN_ORIGIN: Final = (125.32, 43.86)

_DISTRICT = ("南关区（示例）", "Nanguan District (example)")
_NEIGHBOUR = ("朝阳区（示例）", "Chaoyang District (example)")
_CITY = ("长春市（示例）", "Changchun (example)")
_FILES: Final = (
    "extract.osm",
    "amap_pois.csv",
    "register.xlsx",
    "communities.gpkg",
    "roads.gpkg",
    "parcels.gpkg",
    "baidu_pois.csv",
    "study.toml",
)
_NOTE = "synthetic stand-in written by geoplan; not real data"

_TERTIARY_EVERY = 6  # every sixth grid line is a tertiary road
_SEGMENT_M = 100.0  # boundary vertices at most this far apart (straight in UTM, not lon/lat)
_NODE_BASE = {"boundary": 1_000_000, "building": 2_000_000}
_WAY_BASE = {"boundary": 1_000_000, "building": 2_000_000}

#: Amap-like category paths (大类;中类;小类) of the synthetic facility types.
_AMAP_TYPES: Final = {
    "community_health_station": "医疗保健服务;诊所;社区卫生服务站",
    "community_health_center": "医疗保健服务;综合医院;社区卫生服务中心",
    "pharmacy": "医疗保健服务;医药保健销售店;药房",
    "kindergarten": "科教文化服务;学校;幼儿园",
    "community_canteen": "餐饮服务;中餐厅;社区食堂",
    "emergency_shelter": "公共设施;紧急避难场所;紧急避难场所",
    "convenience_store": "购物服务;便民商店/便利店;便利店",
    "elderly_day_care": "生活服务;养老服务;老年人日间照料中心",
    "primary_school": "科教文化服务;学校;小学",
}
#: Other POIs beside the facilities, (name, Amap category path): only the repair shop
#: is a facility type (维修点, by its name).
_OTHER_POIS: Final = (
    ("老街饺子馆（示例）", "餐饮服务;中餐厅;中餐厅"),
    ("示例银行南关支行（示例）", "金融保险服务;银行;银行"),
    ("示例花园停车场（示例）", "交通设施服务;停车场;停车场"),
    ("示例手机维修（示例）", "生活服务;生活服务场所;生活服务场所"),
    ("示例大厦（示例）", "商务住宅;楼宇;商务写字楼"),
    ("示例茶庄（示例）", "购物服务;专卖店;茶叶"),
)
_OTHER_OFFSET_M = 8.0  # from the street
_FOOTNOTE = "注：本表由 geoplan 生成，社区、街道、区县名称与全部数字均为虚构，不代表任何真实社区。"

# register.xlsx: (upper header, lower header or None when merged down, canonical column)
_REGISTER_LAYOUT: Final = (
    ("社区名称", None, "community_name"),
    ("社区代码", None, "community_code"),
    ("所属区县", None, "district"),
    ("街道", None, "subdistrict"),
    ("城乡类型", None, "urban_rural"),
    ("人口情况", "户数", "households"),
    ("", "常住人口", "population"),
    ("面积（㎡）", "社区总建筑面积", "total_floor_area_m2"),
    ("", "综合服务设施面积", "service_floor_area_m2"),
    ("", "商业服务设施面积", "commercial_floor_area_m2"),
    ("", "居民活动区域面积", "activity_area_m2"),
    ("政务通用自助服务终端", None, "self_service_terminal"),
    ("人员（人）", "社区工作者人数", "workers"),
    ("", "持证社工人数", "certified_workers"),
)
_SUMMED: Final = frozenset(
    {
        "households",
        "population",
        "total_floor_area_m2",
        "service_floor_area_m2",
        "commercial_floor_area_m2",
        "activity_area_m2",
        "workers",
        "certified_workers",
    }
)

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class StandinDistrict:
    """The files of a synthetic stand-in district, from :func:`write_standin`.

    Attributes
    ----------
    folder : pathlib.Path
        Where the files were written.
    extract : pathlib.Path
        ``extract.osm``: OSM XML with streets, buildings and the boundaries
        of 长春市（示例）, 南关区（示例） and 朝阳区（示例）.
    amap_pois : pathlib.Path
        ``amap_pois.csv``: an Amap-style POI export of 南关区（示例）, GCJ-02, GB18030.
    register : pathlib.Path
        ``register.xlsx``: the community register (社区台账) of both districts.
    communities : pathlib.Path
        ``communities.gpkg``: the community polygons with ``code`` and ``name``.
    roads : pathlib.Path
        ``roads.gpkg``: the streets as a planning institute's road lines (layer
        ``道路中心线``, EPSG:4530) with 道路名称, 道路等级 and 层.
    parcels : pathlib.Path
        ``parcels.gpkg``: land-use parcels (layer ``用地地块``, EPSG:4530) with
        EULUC-China ``Level1``/``Level2`` codes, 用地名称 and 容积率.
    baidu_pois : pathlib.Path
        ``baidu_pois.csv``: a Baidu-style export of the city's pharmacies and
        five shops in BD-09 (UTF-8 with a byte-order mark).
    study : pathlib.Path
        ``study.toml``: a study on the bureau-style files alone (no OSM
        extract), with paths relative to the folder.
    district, district_en : str
        The district's name in the extract: ``南关区（示例）``, ``Nanguan District (example)``.
    city, city_en : str
        The city around it: ``长春市（示例）``, ``Changchun (example)``.
    seed : int
        The seed of the synthetic city.
    """

    folder: Path
    extract: Path
    amap_pois: Path
    register: Path
    communities: Path
    roads: Path
    parcels: Path
    baidu_pois: Path
    study: Path
    district: str
    district_en: str
    city: str
    city_en: str
    seed: int


def write_standin(folder: str | os.PathLike[str]) -> StandinDistrict:
    """Write the synthetic stand-in district's files into ``folder``.

    Parameters
    ----------
    folder
        A folder to write into (made when missing), e.g. ``tempfile.mkdtemp()``;
        it must not hold files of the stand-in's names already.

    Returns
    -------
    StandinDistrict
        The paths of the files and the names of the district and the city.

    Raises
    ------
    OutputError
        ``folder`` is a file, cannot be made, or already holds one of
        ``extract.osm``, ``amap_pois.csv``, ``register.xlsx``, ``communities.gpkg``,
        ``roads.gpkg``, ``parcels.gpkg``, ``baidu_pois.csv``, ``study.toml``.
    TypeError
        ``folder`` is not a path.
    """
    out = _prepare(folder)
    city = synthetic_city(
        area_km2=STANDIN_AREA_KM2,
        spacing_m=STANDIN_SPACING_M,
        seed=STANDIN_SEED,
        origin_lonlat=STANDIN_ORIGIN,
    )
    layout = _Layout.of(city)
    paths = {name: out / name for name in _FILES}
    paths["extract.osm"].write_text(_osm_xml(city, layout), encoding="utf-8", newline="\n")
    paths["amap_pois.csv"].write_bytes(_amap_csv(city, layout).encode("gb18030"))
    _register_xlsx(_register(city, layout), paths["register.xlsx"])
    _communities(city).to_file(paths["communities.gpkg"], layer="communities", driver="GPKG")
    _write_bureau_files(city, layout, paths)
    return StandinDistrict(
        folder=out,
        extract=paths["extract.osm"],
        amap_pois=paths["amap_pois.csv"],
        register=paths["register.xlsx"],
        communities=paths["communities.gpkg"],
        roads=paths["roads.gpkg"],
        parcels=paths["parcels.gpkg"],
        baidu_pois=paths["baidu_pois.csv"],
        study=paths["study.toml"],
        district=_DISTRICT[0],
        district_en=_DISTRICT[1],
        city=_CITY[0],
        city_en=_CITY[1],
        seed=STANDIN_SEED,
    )


def _write_bureau_files(city: SyntheticCity, layout: _Layout, paths: dict[str, Path]) -> None:
    """Write the road lines, the parcels, the Baidu export and the study that uses them."""
    road_lines(city).to_file(paths["roads.gpkg"], layer=ROAD_LAYER, driver="GPKG")
    land = parcels(city, seed=STANDIN_SEED + 2)
    land.to_file(paths["parcels.gpkg"], layer=PARCEL_LAYER, driver="GPKG")
    baidu = baidu_csv(
        city,
        to_lonlat=layout.lonlat,
        east_of=layout.split,
        districts=(_DISTRICT[0], _NEIGHBOUR[0]),
        seed=STANDIN_SEED + 3,
    )
    paths["baidu_pois.csv"].write_bytes(baidu.encode("utf-8-sig"))
    paths["study.toml"].write_text(STUDY_TOML, encoding="utf-8", newline="\n")


def _prepare(folder: str | os.PathLike[str]) -> Path:
    if not isinstance(folder, str | os.PathLike):
        msg = f"folder must be a path such as tempfile.mkdtemp(), got {type(folder).__name__}"
        raise TypeError(msg)
    out = Path(folder)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        msg = f"cannot make the folder {out} for the stand-in ({exc}); choose another folder"
        raise OutputError(msg) from exc
    taken = [name for name in _FILES if (out / name).exists()]
    if taken:
        msg = (
            f"{out} already holds {', '.join(taken)}; the stand-in never overwrites files: "
            "give an empty folder, e.g. tempfile.mkdtemp()"
        )
        raise OutputError(msg)
    return out


# ----------------------------------------------------------------- layout
@dataclass(frozen=True)
class _Layout:
    """The districts of the city (in its UTM CRS) and the transformer to lon/lat."""

    left: float
    bottom: float
    right: float
    top: float
    split: float  # x of the boundary between the two districts
    to_lonlat: Any  # pyproj.Transformer

    @classmethod
    def of(cls, city: SyntheticCity) -> _Layout:
        left, bottom, right, top = city.bounds
        lefts = np.unique(np.round(city.communities.bounds["minx"].to_numpy(dtype=float), 6))
        transformer = pyproj.Transformer.from_crs(city.crs, "EPSG:4326", always_xy=True)
        return cls(left, bottom, right, top, float(lefts[1]), transformer)

    @property
    def district(self) -> shapely.Polygon:
        """南关区（示例）: east of the split."""
        return shapely.box(self.split, self.bottom, self.right, self.top)

    def lonlat(self, x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        lon, lat = self.to_lonlat.transform(np.asarray(x, float), np.asarray(y, float))
        return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)


# ----------------------------------------------------------------- extract.osm
def _tags(tags: Sequence[tuple[str, str]]) -> str:
    return "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags)


def _refs(refs: Sequence[int]) -> str:
    return "".join(f'<nd ref="{r}"/>' for r in refs)


def _node_lines(ids: Sequence[int], lon: FloatArray, lat: FloatArray) -> list[str]:
    return [
        f'  <node id="{i}" lat="{y:.7f}" lon="{x:.7f}"/>'
        for i, x, y in zip(ids, lon.tolist(), lat.tolist(), strict=True)
    ]


def _osm_xml(city: SyntheticCity, layout: _Layout) -> str:
    nodes = city.nodes
    x = shapely.get_x(nodes.geometry.to_numpy())
    y = shapely.get_y(nodes.geometry.to_numpy())
    lon, lat = layout.lonlat(x, y)
    street_ids = (nodes.index.to_numpy(dtype=np.int64) + 1).tolist()
    node_lines = _node_lines(street_ids, lon, lat)
    way_lines = _street_ways(city)
    boundary_nodes, boundary_ways, relations = _boundaries(layout)
    building_nodes, building_ways = _buildings(city, layout)
    all_lon = np.concatenate([lon, *(b[1] for b in boundary_nodes)])
    all_lat = np.concatenate([lat, *(b[2] for b in boundary_nodes)])
    for ids, b_lon, b_lat in boundary_nodes:
        node_lines += _node_lines(ids, b_lon, b_lat)
    node_lines += building_nodes
    header = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        "<!-- A synthetic stand-in of a district in Jilin, written by geoplan "
        "(geoplan.datasets.standin_district). NOT OpenStreetMap data: every street, "
        "building, name and boundary is invented; the names carry （示例） (example). -->",
        '<osm version="0.6" generator="geoplan standin (synthetic)">',
        f'  <bounds minlat="{all_lat.min():.7f}" minlon="{all_lon.min():.7f}" '
        f'maxlat="{all_lat.max():.7f}" maxlon="{all_lon.max():.7f}"/>',
    ]
    body = node_lines + way_lines + boundary_ways + building_ways + relations
    return "\n".join([*header, *body, "</osm>", ""])


def _street_ways(city: SyntheticCity) -> list[str]:
    """Streets as ways: runs of consecutive edges along a grid row or column; bridges apart."""
    lines: list[str] = []

    def add(refs: list[int], tags: list[tuple[str, str]]) -> None:
        lines.append(f'  <way id="{len(lines) + 1}">{_refs(refs)}{_tags(tags)}</way>')

    def road(kind: str, line: int) -> list[tuple[str, str]]:
        if line % _TERTIARY_EVERY != _TERTIARY_EVERY // 2:
            return [("highway", "residential")]
        name = f"示例{line // _TERTIARY_EVERY + 1}{'街' if kind == 'row' else '路'}"
        return [("highway", "tertiary"), ("name", name)]

    for run in grid_runs(city):
        refs = [node + 1 for node in run.nodes]
        if run.bridge:
            named = [t for t in road(run.kind, run.line) if t[0] == "name"]
            add(refs, [("highway", "tertiary"), *named, ("bridge", "yes"), ("layer", "1")])
        else:
            add(refs, road(run.kind, run.line))
    for u, v in diagonals(city):
        add([u + 1, v + 1], [("highway", "footway")])
    return lines


def _admin(level: int, names: tuple[str, str]) -> list[tuple[str, str]]:
    return [
        ("type", "boundary"),
        ("boundary", "administrative"),
        ("admin_level", str(level)),
        ("name", names[0]),
        ("name:zh", names[0]),
        ("name:en", names[1]),
        ("note", _NOTE),
    ]


def _boundaries(
    layout: _Layout,
) -> tuple[list[tuple[list[int], FloatArray, FloatArray]], list[str], list[str]]:
    """Boundary ways shared by the relations of the city and its two districts."""
    lo, hi = (layout.split, layout.bottom), (layout.split, layout.top)
    paths = {  # way id offset: (corners, admin_level of the lowest relation using it)
        1: ([lo, hi], 6),  # between the districts
        2: ([hi, (layout.right, layout.top), (layout.right, layout.bottom), lo], 5),  # east
        3: ([lo, (layout.left, layout.bottom), (layout.left, layout.top), hi], 5),  # west
    }
    ids: dict[tuple[float, float], int] = {}
    nodes: list[tuple[list[int], FloatArray, FloatArray]] = []
    ways: list[str] = []
    for offset, (corners, level) in paths.items():
        line = shapely.segmentize(shapely.LineString(corners), _SEGMENT_M)
        xy = shapely.get_coordinates(line)
        refs: list[int] = []
        new: list[int] = []
        for x, y in xy.tolist():
            key = (round(x, 3), round(y, 3))
            if key not in ids:
                ids[key] = _NODE_BASE["boundary"] + len(ids) + 1
                new.append(len(refs))
            refs.append(ids[key])
        fresh = np.asarray(new, dtype=np.int64)
        lon, lat = layout.lonlat(xy[fresh, 0], xy[fresh, 1])
        nodes.append(([refs[i] for i in new], lon, lat))
        tags = [("boundary", "administrative"), ("admin_level", str(level))]
        way_id = _WAY_BASE["boundary"] + offset
        ways.append(f'  <way id="{way_id}">{_refs(refs)}{_tags(tags)}</way>')
    relations = []
    for rel_id, (members, level, names) in enumerate(
        (((2, 3), 5, _CITY), ((1, 2), 6, _DISTRICT), ((1, 3), 6, _NEIGHBOUR)), start=1
    ):
        listed = "".join(
            f'<member type="way" ref="{_WAY_BASE["boundary"] + k}" role="outer"/>' for k in members
        )
        text = _tags(_admin(level, names))
        relations.append(f'  <relation id="{rel_id}">{listed}{text}</relation>')
    return nodes, ways, relations


def _buildings(city: SyntheticCity, layout: _Layout) -> tuple[list[str], list[str]]:
    """Return the buildings as nodes and closed ways of their four corners."""
    footprints = city.buildings
    rings = shapely.get_exterior_ring(footprints.geometry.to_numpy())
    xy, owner = shapely.get_coordinates(rings, return_index=True)
    first = np.r_[True, owner[1:] != owner[:-1]]
    last = np.r_[owner[1:] != owner[:-1], True]
    keep = ~last  # the closing vertex repeats the first
    lon, lat = layout.lonlat(xy[keep, 0], xy[keep, 1])
    ids = (_NODE_BASE["building"] + 1 + np.arange(int(keep.sum()))).tolist()
    nodes = _node_lines(ids, lon, lat)
    starts = np.flatnonzero(first[keep])
    ends = np.r_[starts[1:], len(ids)]
    levels = footprints["levels"].to_numpy(dtype=np.int64).tolist()
    ways = []
    for k, (a, b) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
        refs = [*ids[a:b], ids[a]]
        tags = [("building", "residential"), ("building:levels", str(levels[k]))]
        ways.append(f'  <way id="{_WAY_BASE["building"] + k + 1}">{_refs(refs)}{_tags(tags)}</way>')
    return nodes, ways


# ----------------------------------------------------------------- amap_pois.csv
def _amap_csv(city: SyntheticCity, layout: _Layout) -> str:
    """Return the POIs inside the district as an Amap export: 名称, 类型, 地址, location."""
    district = layout.district
    facilities = city.facilities
    points = facilities.geometry.to_numpy()
    inside = shapely.contains(district, points)
    chosen = facilities.loc[inside]
    names: list[str] = []
    for category, name in zip(chosen["category"], chosen["name_zh"], strict=True):
        if category == "kindergarten":  # no 幼儿园 in the name: the category decides
            names.append(f"小太阳{name.removeprefix('第').removesuffix('幼儿园')}号园（示例）")
        else:
            names.append(f"{name}（示例）")
    types = [_AMAP_TYPES[str(c)] for c in chosen["category"]]
    x = shapely.get_x(points[inside])
    y = shapely.get_y(points[inside])
    ox, oy = _other_points(city, layout)
    names += [name for name, _ in _OTHER_POIS]
    types += [path for _, path in _OTHER_POIS]
    lon, lat = layout.lonlat(np.concatenate([x, ox]), np.concatenate([y, oy]))
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["名称", "类型", "地址", "location"])
    for k, (name, path, px, py) in enumerate(
        zip(names, types, g_lon.tolist(), g_lat.tolist(), strict=True)
    ):
        address = f"{_DISTRICT[0]}示例路{(k * 7) % 97 + 1}号"
        writer.writerow([name, path, address, f"{px:.6f},{py:.6f}"])
    return buffer.getvalue()


def _other_points(city: SyntheticCity, layout: _Layout) -> tuple[FloatArray, FloatArray]:
    """Seeded points a few metres beside streets inside the district, for the other POIs."""
    edges = city.edges.geometry.to_numpy()
    inner = np.flatnonzero(shapely.contains(layout.district.buffer(-100.0), edges))
    rng = np.random.default_rng(STANDIN_SEED + 1)
    pick = np.sort(rng.choice(inner, size=len(_OTHER_POIS), replace=False))
    start = shapely.get_coordinates(shapely.get_point(edges[pick], 0))
    end = shapely.get_coordinates(shapely.get_point(edges[pick], -1))
    along = end - start
    normal = np.column_stack([-along[:, 1], along[:, 0]]) / np.hypot(*along.T)[:, None]
    point = (start + end) / 2 + _OTHER_OFFSET_M * normal
    return point[:, 0], point[:, 1]


# ----------------------------------------------------------------- register.xlsx
def _register(city: SyntheticCity, layout: _Layout) -> pd.DataFrame:
    """Return the synthetic register of every community, with its district and subdistrict."""
    register = synthetic_register(city, seed=STANDIN_SEED + 1)
    centre = shapely.centroid(city.communities.geometry.to_numpy())
    east = shapely.get_x(centre) > layout.split
    register["community_name"] = [f"示例{name}" for name in city.communities["name_zh"]]
    register["district"] = np.where(east, _DISTRICT[0], _NEIGHBOUR[0]).astype(object)
    order = np.lexsort((np.arange(len(east)), east))  # the neighbour first, then in code order
    subdistrict = np.empty(len(east), dtype=object)
    for rank, position in enumerate(order.tolist()):
        subdistrict[position] = f"示例第{rank // 3 + 1}街道"
    register["subdistrict"] = subdistrict
    return register


def _register_xlsx(register: pd.DataFrame, path: Path) -> None:
    """Write the register as a bureau's workbook: title, merged two-row header, totals."""
    openpyxl: Any = importlib.import_module("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "社区台账"
    _register_header(sheet)
    kinds = {"urban": "城市社区", "rural": "农村社区"}
    first = 4
    for i, record in enumerate(register.to_dict("records")):
        for j, (_, _, column) in enumerate(_REGISTER_LAYOUT, start=1):
            value = record[column]
            if column == "urban_rural":
                value = kinds[str(value)]
            elif column == "self_service_terminal":
                value = "是" if bool(value) else "否"
            elif column in _SUMMED:
                value = round(float(value))
            sheet.cell(row=first + i, column=j, value=value)
    total_row = first + len(register)
    sheet.cell(row=total_row, column=1, value="合计")
    for j, (_, _, column) in enumerate(_REGISTER_LAYOUT, start=1):
        if column in _SUMMED:
            total = int(np.round(register[column].to_numpy(dtype=float)).sum())
            sheet.cell(row=total_row, column=j, value=total)
    sheet.cell(row=total_row + 1, column=1, value=_FOOTNOTE)
    for j, (upper, lower, _) in enumerate(_REGISTER_LAYOUT, start=1):
        letter = openpyxl.utils.get_column_letter(j)
        sheet.column_dimensions[letter].width = max(8, 2 * len(lower or upper) + 2)
    book.save(path)


def _register_header(sheet: Any) -> None:
    """Write the title row and the two header rows, merged as a bureau's sheet merges them."""
    styles: Any = importlib.import_module("openpyxl.styles")
    width = len(_REGISTER_LAYOUT)
    title = f"{_CITY[0]}社区服务设施台账（合成示例数据，非真实统计）"
    sheet.cell(row=1, column=1, value=title)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    groups: list[list[int]] = []  # columns under one upper header cell
    for j, (upper, lower, _) in enumerate(_REGISTER_LAYOUT, start=1):
        if upper:
            sheet.cell(row=2, column=j, value=upper)
            groups.append([j])
        else:
            groups[-1].append(j)
        if lower is None:  # merged down over both header rows
            sheet.merge_cells(start_row=2, start_column=j, end_row=3, end_column=j)
        else:
            sheet.cell(row=3, column=j, value=lower)
    for group in groups:
        if len(group) > 1:
            sheet.merge_cells(start_row=2, start_column=group[0], end_row=2, end_column=group[-1])
    bold = styles.Font(bold=True)
    centred = styles.Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in (1, 2, 3):
        for j in range(1, width + 1):
            sheet.cell(row=row, column=j).font = bold
            sheet.cell(row=row, column=j).alignment = centred


# ----------------------------------------------------------------- communities.gpkg
def _communities(city: SyntheticCity) -> gpd.GeoDataFrame:
    communities = city.communities
    polygons = shapely.segmentize(communities.geometry.to_numpy(), _SEGMENT_M)
    return gpd.GeoDataFrame(
        {
            "code": communities["community_id"].astype(str).to_numpy(dtype=object),
            "name": [f"示例{n}居民委员会" for n in communities["name_zh"]],
        },
        geometry=polygons,
        crs=city.crs,
    ).to_crs("EPSG:4326")
