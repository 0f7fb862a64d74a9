"""Life circles traced fast are the life circles traced one by one (wave 2, step 6).

The reference below is the tracing before step 6, rebuilt from its parts: one
nearest search per community, a Euclidean distance transform per community and
cutoff, and one ``rasterio.features.shapes`` call per community and cutoff with
the window's transform. The fast path (an exact disk dilation, all tiles traced
in few mosaics) must give the same polygons, coordinate for coordinate.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import pytest
import shapely
from rasterio.features import shapes
from rasterio.transform import Affine
from scipy.ndimage import distance_transform_edt

import geoplan
from geoplan.network import Network
from geoplan.service_areas import (
    _Grid,
    _on_shelves,
    _reached_samples,
    _Samples,
    _shelves,
    _Tile,
    _Tracer,
    disk_dilation,
    group_areas,
)


# ----------------------------------------------------------------- the reference
def _shapes_one_call(labels: np.ndarray, transform: Affine) -> dict[int, Any]:
    """One rasterio ``shapes`` call with the window's transform (as before step 6)."""
    pieces: dict[int, list[Any]] = {}
    for geometry, value in shapes(labels, mask=labels > 0, connectivity=4, transform=transform):
        rings = [np.asarray(r) for r in geometry["coordinates"]]
        holes = np.empty(len(rings) - 1, dtype=object)
        holes[:] = [shapely.linearrings(r) for r in rings[1:]]
        polygon = shapely.polygons(rings[0], holes=holes if len(holes) else None)
        pieces.setdefault(int(value), []).append(polygon)
    return {k: v[0] if len(v) == 1 else shapely.MultiPolygon(v) for k, v in pieces.items()}


def _areas_one_by_one(grid: _Grid, samples: _Samples, cutoffs: list[float]) -> list[Any]:
    """Each cutoff's dissolved area: a distance transform and one tracing per window."""
    empty = shapely.Polygon()
    if len(samples.dist) == 0:
        return [empty for _ in cutoffs]
    margin = math.ceil(grid.reach_cells) + 1
    i = np.floor(-samples.y / grid.cell).astype(np.int64)
    j = np.floor(samples.x / grid.cell).astype(np.int64)
    i0, j0 = int(i.min()) - margin, int(j.min()) - margin
    shape = (int(i.max()) - i0 + margin + 1, int(j.max()) - j0 + margin + 1)
    dist = np.full(shape[0] * shape[1], np.inf)
    np.minimum.at(dist, (i - i0) * shape[1] + (j - j0), samples.dist)
    dist2 = dist.reshape(shape)
    areas = []
    for cutoff in cutoffs:
        inside = samples.dist <= cutoff
        if not inside.any():
            areas.append(empty)
            continue
        r0, r1 = int(i[inside].min()) - i0 - margin, int(i[inside].max()) - i0 + margin + 1
        c0, c1 = int(j[inside].min()) - j0 - margin, int(j[inside].max()) - j0 + margin + 1
        labels = distance_transform_edt(~(dist2[r0:r1, c0:c1] <= cutoff)) <= grid.reach_cells
        transform = Affine(
            grid.cell, 0.0, (j0 + c0) * grid.cell, 0.0, -grid.cell, -(i0 + r0) * grid.cell
        )
        areas.append(_shapes_one_call(labels.astype(np.int32), transform).get(1, empty))
    return areas


def _samples_alone(network: Network, members: Any, limit: float) -> _Samples:
    """A group's street samples from the public nearest search's whole-network arrays."""
    nearest = network.nearest(members, distance_m=limit)
    spacing = _Grid.make(None, None).spacing
    node_dist, node_source = nearest.node_distance_m, nearest.node_source
    return _reached_samples(network, node_dist, node_source, members, spacing=spacing, limit=limit)


def _reference_group_areas(
    network: Network, points: Any, groups: np.ndarray, minutes: list[float]
) -> dict[tuple[Any, float], Any]:
    """Each group's areas searched and traced on its own, keyed by (group, minutes)."""
    grid = _Grid.make(None, None)
    metres = [network.cutoff_m(minutes=m) for m in minutes]
    snapped = network.snap(points)
    found = {}
    for label in pd.unique(groups):
        members = snapped.take((groups == label) & snapped.reachable)
        if len(members) == 0:
            areas = [shapely.Polygon() for _ in minutes]
        else:
            areas = _areas_one_by_one(grid, _samples_alone(network, members, metres[-1]), metres)
        found.update({(label, m): a for m, a in zip(minutes, areas, strict=True)})
    return found


def _assert_same_polygons(frame: Any, expected: dict[tuple[Any, float], Any], key: str) -> None:
    assert len(frame) == len(expected)
    for label, minutes, geometry in zip(
        frame[key], frame["cutoff_minutes"], frame.geometry, strict=True
    ):
        want = expected[(label, minutes)]
        # coordinate for coordinate, ring order and part order included
        assert shapely.to_wkb(geometry) == shapely.to_wkb(want), (label, minutes)


# ----------------------------------------------------------------- the parts
@pytest.mark.parametrize(
    "radius", [0.0, 0.5, 1.0, 1.5, 2.0, 2.9, 5.0, 7.0, 8.585786437626905, 13.7, 30.0]
)
def test_disk_dilation_is_the_distance_transform_threshold(radius: float) -> None:
    rng = np.random.default_rng(7)
    for density in (0.002, 0.03, 0.3):
        marked = rng.random((61, 47)) < density
        marked[0, 5] = marked[-1, -1] = True  # marks on the border too
        expected = distance_transform_edt(~marked) <= radius
        assert np.array_equal(disk_dilation(marked, radius), expected)
        narrow = marked[:, 3:6]  # fewer columns than the radius (column 5 has a mark)
        assert np.array_equal(
            disk_dilation(narrow, radius), distance_transform_edt(~narrow) <= radius
        )


def test_disk_dilation_of_one_cell_is_the_disk_of_integer_offsets() -> None:
    marked = np.zeros((21, 21), dtype=bool)
    marked[10, 10] = True
    di, dj = np.mgrid[-10:11, -10:11]
    # sqrt(1 + 4) = 2.236: the knight's move is in at 2.3, out at 2.2
    assert np.array_equal(disk_dilation(marked, 2.3), di**2 + dj**2 <= 5)
    assert np.array_equal(disk_dilation(marked, 2.2), di**2 + dj**2 <= 4)
    assert disk_dilation(marked, 2.3).sum() == 21  # 1 + 4 + 4 + 4 + 8 cells by hand


def test_mosaic_tracing_gives_each_tile_s_shapes_coordinate_for_coordinate() -> None:
    rng = np.random.default_rng(3)
    tiles = []
    for k in range(12):
        rows, cols = rng.integers(8, 40, size=2)
        labels = np.zeros((rows, cols), dtype=np.int32)
        core = rng.random((rows - 2, cols - 2)) < 0.55  # parts, holes, islands
        labels[1:-1, 1:-1] = np.where(core, rng.integers(1, 4, size=core.shape), 0)
        cell = 7.3 if k % 2 else 10.0  # cell sizes that are not whole numbers too
        x0, y0 = rng.uniform(-5e5, 5e5), rng.uniform(-5e6, 5e6)
        if k % 3 == 0:  # a whole area: a boolean tile, label 1 where marked
            labels = labels > 0
        tiles.append(_Tile(labels, Affine(cell, 0.0, x0, 0.0, -cell, y0)))
    tiles.insert(4, None)
    tracer = _Tracer(max_cells=2_000)  # several mosaics
    handles = [tracer.add(tile) for tile in tiles]
    for handle, tile in zip(handles, tiles, strict=True):
        traced = tracer.traced(handle)
        if tile is None:
            assert traced == {}
            continue
        expected = _shapes_one_call(tile.labels.astype(np.int32), tile.transform)
        assert sorted(traced) == sorted(expected)
        for label, polygon in expected.items():
            assert shapely.to_wkb(traced[label]) == shapely.to_wkb(polygon)


def test_shelves_place_every_tile_inside_the_mosaic_without_overlap() -> None:
    rng = np.random.default_rng(5)
    sizes = [(int(r), int(c)) for r, c in rng.integers(1, 60, size=(40, 2))]
    corners, shape = _shelves(sizes)
    cover = np.zeros(shape, dtype=np.int64)
    for (top, left), (rows, cols) in zip(corners, sizes, strict=True):
        assert top + rows <= shape[0]
        assert left + cols <= shape[1]
        cover[top : top + rows, left : left + cols] += 1
    assert cover.max() == 1
    assert cover.sum() == sum(r * c for r, c in sizes)
    assert cover.size < 1.2 * cover.sum()  # little empty space to trace (1.19 for these sizes)
    # never more cells than shelves as wide as the square of the same area
    order = sorted(range(len(sizes)), key=lambda k: -sizes[k][0])
    square = max(math.isqrt(int(cover.sum())), *(cols for _, cols in sizes))
    assert cover.size <= _on_shelves(sizes, order, square)[1] * square


# ----------------------------------------------------------------- whole life circles
def test_group_areas_on_a_synthetic_city_are_the_one_by_one_tracing() -> None:
    city = geoplan.datasets.synthetic_city(area_km2=1.5, seed=11)
    net = city.network()
    homes = city.buildings
    groups = np.asarray([f"g{i % 9}" for i in range(len(homes))], dtype=object)
    minutes = [5.0, 10.0, 15.0]
    frame = group_areas(net, homes, groups, minutes=minutes)
    expected = _reference_group_areas(net, homes, groups, minutes)
    assert frame["group"].nunique() == 9
    _assert_same_polygons(frame, expected, "group")
    assert (frame["area_m2"] > 0).all()


def test_life_circles_of_the_demo_are_the_one_by_one_tracing() -> None:
    from geoplan.cli.demo import demo_config
    from geoplan.life_circles import _demand

    study = geoplan.Study.from_config(demo_config())
    result = geoplan.life_circles(
        study.network,
        study.communities,
        study.facilities,
        demand=study.demand,
        standards=study.standards,
    )
    assert result.circles is not None
    people = _demand(study.communities, study.demand, "population", study.network)
    assigned = people.home >= 0
    groups = np.asarray(study.communities.index)[people.home[assigned]]
    points = people.points[assigned]
    minutes = sorted(set(result.circles["cutoff_minutes"]))
    expected = _reference_group_areas(study.network, points, groups, minutes)
    assert len(result.circles) == 3 * len(pd.unique(groups)) > 60
    _assert_same_polygons(result.circles, expected, "community")


@pytest.mark.parametrize("homes_taken", [3, 40, 10_000])
def test_a_groups_reached_nodes_are_the_nearest_search_where_finite(homes_taken: int) -> None:
    city = geoplan.datasets.synthetic_city(area_km2=1.5, seed=11)
    net = city.network()
    members = net.snap(city.buildings.iloc[:homes_taken])  # few: a window; many: the whole
    for limit in (150.0, 600.0, 5_000.0):
        nodes, dist, source = net._nearest_reached(members, limit)
        whole = net.nearest(members, distance_m=limit)
        expected = np.flatnonzero(np.isfinite(whole.node_distance_m))
        assert len(expected) > 0
        assert np.array_equal(nodes, expected)
        assert np.array_equal(dist, whole.node_distance_m[expected])
        assert np.array_equal(source, whole.node_source[expected])
