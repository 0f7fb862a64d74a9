"""A bureau's own input files for the stand-in district: road lines, parcels, Baidu, a study.

A Chinese bureau's study stands on its own data, not OpenStreetMap: the road
centre lines of a planning institute (道路中心线), land-use parcels (用地地块),
POI exports from Amap (GCJ-02) and Baidu (BD-09), the community boundaries
and the community register. :func:`geoplan.datasets._standin.write_standin`
writes the Amap export, the register and the boundaries; this module makes
the other three files and the study that uses them, from the same seeded
synthetic city. **Everything is invented**: every name carries 示例
("example").

``roads.gpkg`` (layer ``道路中心线``, EPSG:4530, CGCS2000 / 3-degree Gauss-Kruger zone 42)
    The streets as a planning institute draws them: one line per run of a
    grid row or column (long lines that cross at shared *interior*
    vertices, broken only where the synthetic city lacks a link), each
    diagonal shortcut a line of its own. Columns 道路名称, 道路等级 and 层:
    grid line ``k`` (0-based, rows east-west, columns north-south) is a
    主干路 when ``k % 6 == 3`` (示例N街 / 示例N路, the OSM extract's tertiary
    roads and names), a 次干路 when ``k % 6 == 0`` (示例N大街 / 示例N大路), a
    支路 when ``k`` is odd (示例纬K路 / 示例经K路, ``K = k + 1``) and a 街巷
    otherwise (示例纬K巷 / 示例经K巷); the diagonals are 步行道 (示例N号步道).
    The three bridges are lines of their own with 层 = 1. A riverside
    footpath (示例滨河步道, 步行道, 层 = 0) runs along the west bank under the
    bridges without a vertex where it crosses them, reached by a flight of
    steps (梯道) from the west end of each bridge: only its ends join a
    bridge to the streets. Coordinates are rounded to the millimetre.
``parcels.gpkg`` (layer ``用地地块``, EPSG:4530)
    Land-use parcels tiling the city's land (the river left out): the cells
    between the nominal street lines, the city's edge and the river banks,
    so that none straddles two communities. Columns 地块编号 (示例-0001 ...),
    EULUC-China's ``Level1`` and ``Level2`` codes (integers, as the EULUC-China
    files store them), 用地名称 and 容积率 (floor-area ratio). A cell holding
    the city's buildings is 0101 居住用地 with the buildings' floor area over
    the cell's area as its 容积率 (2 decimals; blank on every fifth housing
    parcel, which then takes geoplan's default); a cell holding a kindergarten
    or a primary school is 0502 教育科研用地; an empty cell holding a clinic or
    health centre is 0503 医疗卫生用地, one holding the shelter, a diagonal
    path, or lying along the city's edge or the river is 0505 公园与绿地用地;
    the other empty cells are 0202 商业服务用地 or 0505, by a seeded draw.
``baidu_pois.csv`` (UTF-8 with a byte-order mark, as Excel-friendly exports are)
    A Baidu-style export of every community health station, elderly day care
    centre and pharmacy of the city (both districts: the Amap export holds
    南关区（示例） only) and five shops, with Baidu's columns 名称 (示例第1药店
    ...), 标签 (:data:`BAIDU_TAGS`: ``医疗;诊所``, ``政府机构;福利机构``,
    ``医疗;药店``; the shops ``美食;中餐厅`` ...), 地址 (the district and the grid
    street nearest the point with a house number: ``南关区（示例）示例经20路38号``,
    so that the coordinate check's address test has streets to match),
    ``lng``, ``lat`` in **BD-09** (6 decimals) and ``uid``.
``study.toml``
    A complete study on these files and the stand-in's Amap export, register
    and community boundaries alone (no OSM extract), with relative paths
    (:data:`STUDY_TOML`): the network from the road lines, people from the
    parcels, canteens and kindergartens from the Amap export, health
    stations, day care centres and pharmacies from the Baidu export (by 标签),
    the register joined by code, two new canteens proposed.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray

from geoplan.coords import wgs84_to_bd09
from geoplan.sources.bundled import SyntheticCity

__all__ = [
    "BAIDU_TAGS",
    "BUREAU_CRS",
    "PARCEL_CLASSES",
    "PARCEL_LAYER",
    "ROAD_LAYER",
    "STUDY_TOML",
    "GridRun",
    "baidu_csv",
    "diagonals",
    "grid_runs",
    "parcels",
    "road_class",
    "road_lines",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
LonLat = Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]

#: The CRS of the road and parcel files: CGCS2000 / 3-degree Gauss-Kruger zone 42 (CM 126E).
BUREAU_CRS: Final = "EPSG:4530"
ROAD_LAYER: Final = "道路中心线"
PARCEL_LAYER: Final = "用地地块"
#: EULUC-China level II codes of the parcels and their names (Gong et al. 2020).
PARCEL_CLASSES: Final = {
    101: "居住用地",
    202: "商业服务用地",
    502: "教育科研用地",
    503: "医疗卫生用地",
    505: "公园与绿地用地",
}
_MAIN_EVERY = 6  # grid line k is a 主干路 when k % 6 == 3 (the OSM extract's tertiary roads)
_PATH_FROM_BANK_M = 12.0  # the riverside footpath, east of the river's west bank
_PATH_END_M = 20.0  # ... ending this far inside the city's edge
_STEPS_BELOW_M = 20.0  # the foot of a bridge's steps, south of the bridge on the path
_FAR_BLANK_EVERY = 5  # every fifth housing parcel has no 容积率 (geoplan's default applies)
_COMMERCIAL_P = 0.5  # an empty cell in the city's interior is commercial with this chance
_EDUCATION = ("kindergarten", "primary_school")
_HEALTH = ("community_health_station", "community_health_center")
_SHOP_OFFSET_M = 8.0  # the shops stand this far beside a street
#: Baidu's 标签 of the facility types its export holds (the city's every site of them); a
#: community health station is filed as a clinic, an elderly day care centre as a welfare
#: institution (see geoplan/standards/poi_categories.toml).
BAIDU_TAGS: Final = {
    "community_health_station": "医疗;诊所",
    "elderly_day_care": "政府机构;福利机构",
    "pharmacy": "医疗;药店",
}
#: The shops of the Baidu export beside the facilities: (name, Baidu 标签).
_BAIDU_SHOPS: Final = (
    ("示例家常菜馆", "美食;中餐厅"),
    ("示例银行营业厅", "金融;银行"),
    ("示例洗衣店", "生活服务;洗衣店"),
    ("示例文具店", "购物;文具用品店"),
    ("示例理发店", "丽人;美发"),
)


# ----------------------------------------------------------------- the street grid
@dataclass(frozen=True)
class GridRun:
    """A run of consecutive street links along one grid row or column.

    Attributes
    ----------
    kind
        ``"row"`` (east-west) or ``"col"`` (north-south).
    line
        The row's or column's number, from the south or the west (0-based).
    nodes
        The synthetic city's node ids along the run, in order.
    bridge
        Whether the run is a bridge (always a single link).
    """

    kind: str
    line: int
    nodes: tuple[int, ...]
    bridge: bool


def grid_runs(city: SyntheticCity) -> list[GridRun]:
    """Return the streets of the grid as runs of consecutive links, bridges apart.

    Rows first, then columns; each by its number, then from the south-west.
    A run ends where the city lacks a link; a bridge is a run of its own.
    """
    m = round(math.sqrt(len(city.nodes)))
    u = city.edges["u"].to_numpy(dtype=np.int64)
    v = city.edges["v"].to_numpy(dtype=np.int64)
    row_u, col_u = np.divmod(u, m)
    row_v, col_v = np.divmod(v, m)
    bridge = shapely.intersects(city.edges.geometry.to_numpy(), city.river)
    runs: list[GridRun] = []
    for kind, line_of, along in (("row", row_u, col_u), ("col", col_u, row_u)):
        on_line = (row_u == row_v) if kind == "row" else (col_u == col_v)
        picked = np.flatnonzero(on_line)
        order = picked[np.lexsort((along[picked], line_of[picked]))].tolist()
        run: list[int] = []
        run_line = -1
        for k in order:
            line = int(line_of[k])
            if bridge[k]:
                runs.append(GridRun(kind, line, (int(u[k]), int(v[k])), bridge=True))
                continue
            if run and (line != run_line or int(u[k]) != run[-1]):
                runs.append(GridRun(kind, run_line, tuple(run), bridge=False))
                run = []
            if not run:
                run, run_line = [int(u[k])], line
            run.append(int(v[k]))
        if run:
            runs.append(GridRun(kind, run_line, tuple(run), bridge=False))
    return runs


def diagonals(city: SyntheticCity) -> list[tuple[int, int]]:
    """Return the diagonal shortcuts as (u, v) node ids, in the city's edge order."""
    m = round(math.sqrt(len(city.nodes)))
    u = city.edges["u"].to_numpy(dtype=np.int64)
    v = city.edges["v"].to_numpy(dtype=np.int64)
    row_u, col_u = np.divmod(u, m)
    row_v, col_v = np.divmod(v, m)
    picked = np.flatnonzero((row_u != row_v) & (col_u != col_v))
    return [(int(u[k]), int(v[k])) for k in picked]


# ----------------------------------------------------------------- roads.gpkg
def road_class(kind: str, line: int) -> tuple[str, str]:
    """Return the (道路等级, 道路名称) of a grid row or column."""
    row = kind == "row"
    if line % _MAIN_EVERY == _MAIN_EVERY // 2:
        return "主干路", f"示例{line // _MAIN_EVERY + 1}{'街' if row else '路'}"
    if line % _MAIN_EVERY == 0:
        return "次干路", f"示例{line // _MAIN_EVERY + 1}{'大街' if row else '大路'}"
    direction = "纬" if row else "经"
    if line % 2 == 1:
        return "支路", f"示例{direction}{line + 1}路"
    return "街巷", f"示例{direction}{line + 1}巷"


def road_lines(city: SyntheticCity) -> gpd.GeoDataFrame:
    """Return the stand-in city's streets as a planning institute's road lines (EPSG:4530).

    Parameters
    ----------
    city
        The stand-in's synthetic city.

    Returns
    -------
    geopandas.GeoDataFrame
        道路名称, 道路等级, 层 (0 on the ground, 1 a bridge) and LineStrings in
        :data:`BUREAU_CRS`, rounded to the millimetre.
    """
    xy = shapely.get_coordinates(city.nodes.geometry.to_numpy())
    names: list[str] = []
    classes: list[str] = []
    levels: list[int] = []
    lines: list[FloatArray] = []
    for run in grid_runs(city):
        grade, name = road_class(run.kind, run.line)
        classes.append(grade)
        names.append(name)
        levels.append(1 if run.bridge else 0)
        lines.append(xy[list(run.nodes)])
    for number, (a, b) in enumerate(diagonals(city), start=1):
        classes.append("步行道")
        names.append(f"示例{number}号步道")
        levels.append(0)
        lines.append(xy[[a, b]])
    path, steps = _riverside(city, xy)
    for name, grade, coords in (("示例滨河步道", "步行道", path), *steps):
        classes.append(grade)
        names.append(name)
        levels.append(0)
        lines.append(coords)
    geometry = _linestrings(lines)
    frame = gpd.GeoDataFrame(
        {"道路名称": names, "道路等级": classes, "层": np.asarray(levels, dtype=np.int64)},
        geometry=geometry,
        crs=city.crs,
    ).to_crs(BUREAU_CRS)
    frame.geometry = shapely.set_precision(frame.geometry.to_numpy(), 0.001)
    return frame


def _linestrings(lines: list[FloatArray]) -> NDArray[Any]:
    return np.asarray([shapely.LineString(coords) for coords in lines], dtype=object)


def _riverside(
    city: SyntheticCity, xy: FloatArray
) -> tuple[FloatArray, list[tuple[str, str, FloatArray]]]:
    """Return the footpath along the river's west bank and the steps up to each bridge."""
    _, bottom, _, top = city.bounds
    x = city.river.bounds[0] + _PATH_FROM_BANK_M
    feet: list[float] = []
    steps: list[tuple[str, str, FloatArray]] = []
    for run in grid_runs(city):
        if not run.bridge:
            continue
        (ax, ay), (bx, by) = xy[run.nodes[0]], xy[run.nodes[1]]
        crossing = ay + (x - ax) / (bx - ax) * (by - ay)
        foot = crossing - _STEPS_BELOW_M
        feet.append(foot)
        name = f"{road_class(run.kind, run.line)[1]}梯道"
        steps.append((name, "梯道", np.array([[x, foot], [ax, ay]])))
    ys = [bottom + _PATH_END_M, *sorted(feet), top - _PATH_END_M]
    return np.column_stack([np.full(len(ys), x), ys]), steps


# ----------------------------------------------------------------- parcels.gpkg
@dataclass(frozen=True)
class _Cells:
    """The lattice of parcels: cell edges in x and y, and which columns are the river."""

    xs: FloatArray
    ys: FloatArray
    river: NDArray[np.bool_]  # per column of cells

    @classmethod
    def of(cls, city: SyntheticCity) -> _Cells:
        """Cells between the nominal street lines, the city's edge and the river's banks."""
        left, bottom, right, top = city.bounds
        spacing = city.spacing_m
        m = round(math.sqrt(len(city.nodes)))
        river_left, _, river_right, _ = city.river.bounds
        lines = left + (np.arange(m) + 0.5) * spacing
        lines = np.where(lines > river_left, lines + (river_right - river_left), lines)
        edges = np.unique(np.round(np.r_[left, lines, river_left, river_right, right], 6))
        xs = np.asarray(edges, dtype=np.float64)
        ys = np.asarray(np.r_[bottom, bottom + (np.arange(m) + 0.5) * spacing, top], np.float64)
        centres = (xs[:-1] + xs[1:]) / 2
        return cls(xs, ys, (centres > river_left) & (centres < river_right))

    def locate(self, points: NDArray[Any]) -> IntArray:
        """Return the cell number (row-major, river columns included) of each point."""
        col = np.searchsorted(self.xs, shapely.get_x(points), side="right") - 1
        row = np.searchsorted(self.ys, shapely.get_y(points), side="right") - 1
        return np.asarray(row * (len(self.xs) - 1) + col, dtype=np.int64)

    def boxes(self) -> tuple[NDArray[Any], NDArray[np.bool_], IntArray]:
        """Return every cell's box, whether it is a narrow strip, and its number, river left out."""
        n_cols, n_rows = len(self.xs) - 1, len(self.ys) - 1
        row, col = np.divmod(np.arange(n_cols * n_rows, dtype=np.int64), n_cols)
        keep = ~self.river[col]
        row, col = row[keep], col[keep]
        width = self.xs[col + 1] - self.xs[col]
        height = self.ys[row + 1] - self.ys[row]
        boxes = shapely.box(self.xs[col], self.ys[row], self.xs[col + 1], self.ys[row + 1])
        narrow = np.minimum(width, height) < 0.75 * np.median(width)
        return boxes, narrow, row * n_cols + col


def parcels(city: SyntheticCity, *, seed: int) -> gpd.GeoDataFrame:
    """Return land-use parcels tiling the stand-in city's land, in EPSG:4530.

    Parameters
    ----------
    city
        The stand-in's synthetic city.
    seed
        Seed of the draw between commercial land and green space for empty cells.

    Returns
    -------
    geopandas.GeoDataFrame
        地块编号, ``Level1``, ``Level2`` (EULUC-China codes as integers), 用地名称,
        容积率 (NaN where the plan gives none) and the parcel polygons.
    """
    cells = _Cells.of(city)
    boxes, narrow, number = cells.boxes()
    size = (len(cells.xs) - 1) * (len(cells.ys) - 1)
    homes = city.buildings
    floor = np.bincount(
        cells.locate(shapely.centroid(homes.geometry.to_numpy())),
        weights=homes.geometry.area.to_numpy() * homes["levels"].to_numpy(dtype=float),
        minlength=size,
    )[number]
    found = city.facilities
    where = cells.locate(found.geometry.to_numpy())
    school = np.isin(number, where[found["category"].isin(_EDUCATION).to_numpy()])
    health = np.isin(number, where[found["category"].isin(_HEALTH).to_numpy()])
    park = np.isin(number, where[(found["category"] == "emergency_shelter").to_numpy()])
    crossed = _crossed_by_diagonals(city, boxes)
    rng = np.random.default_rng(seed)
    commercial = rng.random(len(boxes)) < _COMMERCIAL_P
    empty = floor == 0
    code = np.select(
        [school, ~empty, health, park | crossed | narrow, commercial],
        [502, 101, 503, 505, 202],
        default=505,
    ).astype(np.int64)
    area = shapely.area(boxes)
    ratio = np.where(code == 101, np.round(floor / area, 2), np.nan)
    housing = np.flatnonzero(code == 101)
    ratio[housing[_FAR_BLANK_EVERY - 1 :: _FAR_BLANK_EVERY]] = np.nan
    frame = gpd.GeoDataFrame(
        {
            "地块编号": [f"示例-{i:04d}" for i in range(1, len(boxes) + 1)],
            "Level1": code // 100,
            "Level2": code,
            "用地名称": [PARCEL_CLASSES[int(c)] for c in code],
            "容积率": ratio,
        },
        geometry=boxes,
        crs=city.crs,
    ).to_crs(BUREAU_CRS)
    frame.geometry = shapely.set_precision(frame.geometry.to_numpy(), 0.001)
    return frame


def _crossed_by_diagonals(city: SyntheticCity, boxes: NDArray[Any]) -> NDArray[np.bool_]:
    """Whether a diagonal path crosses the middle of each cell (a block kept green)."""
    xy = shapely.get_coordinates(city.nodes.geometry.to_numpy())
    middles = shapely.points([(xy[a] + xy[b]) / 2 for a, b in diagonals(city)])
    return np.asarray(shapely.intersects(boxes[:, None], middles[None, :]).any(axis=1))


# ----------------------------------------------------------------- baidu_pois.csv
def baidu_csv(
    city: SyntheticCity,
    *,
    to_lonlat: LonLat,
    east_of: float,
    districts: tuple[str, str],
    seed: int,
) -> str:
    """Return a Baidu-style export of some of the city's facilities and five shops, in BD-09.

    The facilities are every community health station, elderly day care
    centre and pharmacy of the city (both districts), with Baidu's 标签 of
    each (:data:`BAIDU_TAGS`).

    Parameters
    ----------
    city
        The stand-in's synthetic city.
    to_lonlat
        Converts the city's x/y to WGS-84 longitude and latitude.
    east_of
        x of the boundary between the districts.
    districts
        The names of the district east of ``east_of`` and of the one west of it.
    seed
        Seed of the streets the shops stand on.

    Returns
    -------
    str
        The CSV text (Windows line ends): 名称, 标签, 地址, lng, lat, uid.
    """
    found = city.facilities
    rank = found["category"].map({c: k for k, c in enumerate(BAIDU_TAGS)})
    chosen = found[rank.notna().to_numpy()].assign(rank=rank).sort_values("rank", kind="stable")
    names = [f"示例{name}" for name in chosen["name_zh"]]
    tags = [BAIDU_TAGS[str(c)] for c in chosen["category"]]
    points = chosen.geometry.to_numpy()
    sx, sy = _shop_points(city, len(_BAIDU_SHOPS), seed=seed)
    names += [name for name, _ in _BAIDU_SHOPS]
    tags += [tag for _, tag in _BAIDU_SHOPS]
    x = np.concatenate([shapely.get_x(points), sx])
    y = np.concatenate([shapely.get_y(points), sy])
    addresses = _addresses(city, x, y, east_of=east_of, districts=districts)
    lon, lat = wgs84_to_bd09(*to_lonlat(x, y))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["名称", "标签", "地址", "lng", "lat", "uid"])
    rows = zip(names, tags, addresses, lon.tolist(), lat.tolist(), strict=True)
    for k, (name, tag, address, px, py) in enumerate(rows, start=1):
        writer.writerow([name, tag, address, f"{px:.6f}", f"{py:.6f}", f"{seed:08x}{k:016x}"])
    return buffer.getvalue()


def _shop_points(city: SyntheticCity, count: int, *, seed: int) -> tuple[FloatArray, FloatArray]:
    """Seeded points a few metres beside grid streets (no bridge) away from the city's edge."""
    m = round(math.sqrt(len(city.nodes)))
    row_u, col_u = np.divmod(city.edges["u"].to_numpy(dtype=np.int64), m)
    row_v, col_v = np.divmod(city.edges["v"].to_numpy(dtype=np.int64), m)
    edges = city.edges.geometry.to_numpy()
    inner = shapely.box(*city.bounds).buffer(-150.0)
    usable = np.flatnonzero(
        ((row_u == row_v) | (col_u == col_v))
        & shapely.contains(inner, edges)
        & ~shapely.intersects(edges, city.river)
    )
    pick = np.sort(np.random.default_rng(seed).choice(usable, size=count, replace=False))
    start = shapely.get_coordinates(shapely.get_point(edges[pick], 0))
    end = shapely.get_coordinates(shapely.get_point(edges[pick], -1))
    along = end - start
    normal = np.column_stack([-along[:, 1], along[:, 0]]) / np.hypot(*along.T)[:, None]
    point = (start + end) / 2 + _SHOP_OFFSET_M * normal
    return point[:, 0], point[:, 1]


def _addresses(
    city: SyntheticCity, x: FloatArray, y: FloatArray, *, east_of: float, districts: tuple[str, str]
) -> list[str]:
    """Return each point's address: the district, the nearest grid street, a house number."""
    runs = [run for run in grid_runs(city) if not run.bridge]
    xy = shapely.get_coordinates(city.nodes.geometry.to_numpy())
    lines = _linestrings([xy[list(run.nodes)] for run in runs])
    points = shapely.points(x, y)
    nearest = shapely.STRtree(lines).query_nearest(points, all_matches=False)[1]
    out = []
    for k, line in enumerate(nearest.tolist()):
        run = runs[line]
        metres = float(shapely.line_locate_point(lines[line], points[k]))
        number = 2 * int(metres // 20) + 1 + (k % 2)
        district = districts[0] if x[k] > east_of else districts[1]
        out.append(f"{district}{road_class(run.kind, run.line)[1]}{number}号")
    return out


# ----------------------------------------------------------------- study.toml
#: The stand-in's study on a bureau's own files alone (no OpenStreetMap), relative paths.
STUDY_TOML: Final = """\
# 示例研究：只用一个区县自己的数据——规划院道路中心线、用地地块、高德与百度兴趣点导出、
# 社区边界和社区台账，不用 OpenStreetMap。全部文件由 geoplan.datasets.standin_district
# 写出，是虚构的合成示例数据（名称均带“示例”），不代表任何真实地方。
# A study on a bureau's own data alone: a planning institute's road centre lines, land-use
# parcels, POI exports from Amap and Baidu, community boundaries and a community register;
# no OpenStreetMap. Every file was written by geoplan.datasets.standin_district: synthetic
# stand-ins, invented (every name carries 示例, "example"), describing no real place.
# Paths are relative to this file: the folder can be moved. Run it with
#     geoplan run study.toml --out <folder>

[study]
name = "standin-bureau"
title = "长春市（示例）社区服务设施评估：局方数据合成示例"
description = "合成示例数据（示例），不代表任何真实地方 / synthetic stand-in data, invented"
lang = "zh"
invented = true                    # 虚构示例数据，说明与局限中写明 / the caveats say so

[network]                          # 规划院道路中心线 road centre lines (EPSG:4530)
source = "roads.gpkg"
layer = "道路中心线"
noding = "planar"                  # also where lines cross; 层 keeps bridges apart
class_column = "道路等级"
name_column = "道路名称"
level_column = "层"

[communities]                      # 社区边界 community boundaries, joined to the register
source = "communities.gpkg"
id = "code"
name_column = "name"

[population]                       # 用地地块 land-use parcels: area x 容积率 x persons per m2
source = "parcels.gpkg"
class_column = "Level2"            # EULUC-China level II codes (0101 居住用地 ...)
class_scheme = "euluc"
far_column = "容积率"               # blank: geoplan's default ratio of housing land

[pois]                             # 高德 Amap export (GB18030 CSV), classified into the types
file = "amap_pois.csv"
coordinates = "gcj02"              # declared: an 80 m grid cannot tell the systems apart

[register]                         # 社区台账 community register
source = "register.xlsx"
join = "code"

# 高德导出表只含南关区（示例）的兴趣点；百度导出表含全市的社区卫生服务站、日间照料中心和药店，
# 这三类取自百度（按“标签”筛选：该表中“医疗;诊所”均为社区卫生服务站——真实数据中私人诊所
# 也用此标签，须先核对）。社区食堂和幼儿园取自高德的分类结果。
# The Amap export holds 南关区（示例） only; the Baidu export holds the city's every health
# station, day care centre and pharmacy, so those three types come from it, picked by 标签
# (here every 医疗;诊所 row is a community health station: in real exports private clinics
# share that tag, so check). Canteens and kindergartens are the Amap export's, classified.
[facilities.types.community_canteen]
[facilities.types.kindergarten]

[facilities.types.community_health_station]
file = "baidu_pois.csv"
coordinates = "bd09"               # 百度 Baidu: BD-09, checked against the streets
type_column = "标签"
type_value = "医疗;诊所"

[facilities.types.elderly_day_care]
file = "baidu_pois.csv"
coordinates = "bd09"
type_column = "标签"
type_value = "政府机构;福利机构"

[facilities.types.pharmacy]
file = "baidu_pois.csv"
coordinates = "bd09"
type_column = "标签"
type_value = "医疗;药店"

[[sites]]
facility_type = "community_canteen"
p = 2

[outputs]
basemap = "none"                   # no map tiles: the study runs offline
"""
