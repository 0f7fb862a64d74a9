"""Land use: what the land under a building, or a whole parcel, is used for.

Two kinds of land-use polygons are understood:

* **OpenStreetMap** land use: ``landuse=*`` areas and the grounds of schools,
  hospitals, airports, barracks, power stations and sports grounds
  (:data:`OSM_LANDUSE_TAGS`, read by :func:`read_landuse`). Their kind comes
  from the tags (:func:`osm_land_use`).
* **Land-use parcel files** with a class column, in one of three Chinese
  classifications (:func:`parcel_land_use`):

  - ``"euluc"``: EULUC-China (Gong et al. 2020, *Science Bulletin* 65(3)):
    level I ``01`` Residential ... ``05`` Public management and service, level
    II ``0101`` Residential, ``0201`` Business office, ``0202`` Commercial
    service, ``0301`` Industrial, ``0401``-``0403`` road, transport stations,
    airport, ``0501``-``0505`` administrative, educational, medical, sport and
    cultural, park and greenspace. Integer columns (``101``) are read as
    ``0101``.
  - ``"gb50137"``: GB 50137-2011 城市用地分类与规划建设用地标准: ``R`` 居住用地,
    ``R1``/``R11`` 一类 (low-rise), ``R2``/``R21`` 二类, ``R3``/``R31`` 三类
    (old, to be rebuilt); ``R12``/``R22``/``R32`` are 服务设施用地 (no homes);
    ``H14`` 村庄建设用地; every other letter code is not housing.
  - ``"guotu"``: the 2020 国土空间调查、规划、用途管制用地用海分类指南: ``07``
    居住用地, ``0701`` 城镇住宅用地 (``070101`` 一类, low-rise; ``070102`` 二类;
    ``070103`` 三类, old), ``0702``/``0704`` 社区服务设施用地 (no homes),
    ``0703`` 农村宅基地; every other code is not housing.

  Chinese class names (一类居住用地, 城镇住宅用地, 农村宅基地, 工业用地, ...) and
  the English EULUC names (``Residential``, ``Industrial``, ...) are
  understood in any scheme. The meanings of the codes above are recalled from
  the published classifications, not verified here from a stored copy of each.

Every polygon gets one **kind**: ``residential``, ``residential_low_rise``,
``residential_old``, ``rural_homestead`` (the four housing kinds,
:data:`HOUSING_KINDS`), ``non_residential``, ``other`` (OSM land use that says
neither, such as grass) or ``unknown`` (a parcel class not recognised).
:func:`land_use_under` finds the kind of the land under each point: the
smallest polygon of a telling kind (housing or not housing) containing it, so
a school's grounds inside a residential area count as a school's.

Examples
--------
>>> import pandas as pd
>>> parcel_land_use(pd.Series([101, 301, "0101"])).kinds.tolist()
['residential', 'non_residential', 'residential']
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from numpy.typing import NDArray

from geoplan._errors import InputError

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = [
    "HOUSING_KINDS",
    "KINDS",
    "NON_RESIDENTIAL_OSM_LAND_USE",
    "OSM_LANDUSE_TAGS",
    "SCHEMES",
    "LandUse",
    "land_use_kinds",
    "land_use_under",
    "osm_land_use",
    "parcel_land_use",
    "read_landuse",
]

log = logging.getLogger(__name__)

#: The kinds of land where people live, each with its own floor-area-ratio parameter.
HOUSING_KINDS: tuple[str, ...] = (
    "residential",
    "residential_low_rise",
    "residential_old",
    "rural_homestead",
)
#: Every kind a land-use polygon can have.
KINDS: tuple[str, ...] = (*HOUSING_KINDS, "non_residential", "other", "unknown")
#: The classification schemes of a parcel file's class column.
SCHEMES: tuple[str, ...] = ("auto", "euluc", "gb50137", "guotu")

#: OSM tag values marking ground where nobody lives (the OSM wiki's meaning of each
#: value: land for industry, commerce, railways, the army, schools, hospitals...).
NON_RESIDENTIAL_OSM_LAND_USE: dict[str, frozenset[str]] = {
    "landuse": frozenset(
        {
            "commercial",
            "retail",
            "industrial",
            "railway",
            "military",
            "port",
            "garages",
            "depot",
            "quarry",
            "landfill",
            "religious",
            "cemetery",
            "education",
            "institutional",
        }
    ),
    "amenity": frozenset(
        {
            "school",
            "university",
            "college",
            "kindergarten",
            "hospital",
            "prison",
            "bus_station",
            "marketplace",
            "parking",
        }
    ),
    "aeroway": frozenset({"aerodrome"}),
    "power": frozenset({"plant", "substation"}),
    "leisure": frozenset({"stadium", "sports_centre"}),
}

#: What :func:`read_landuse` reads from OSM: every ``landuse=*`` area (residential
#: areas say where villages are; grass says nothing) and the grounds above.
OSM_LANDUSE_TAGS: dict[str, bool | list[str]] = {
    "landuse": True,
    "military": True,
    **{
        key: sorted(values)
        for key, values in NON_RESIDENTIAL_OSM_LAND_USE.items()
        if key != "landuse"
    },
}

_OSM_VILLAGE = frozenset({"farmyard"})  # OSM wiki: farm buildings, farmhouses, dwellings

# ------------------------------------------------------------------ parcel classes
_EULUC_RESIDENTIAL = frozenset({"01", "0101"})
_EULUC_OTHER = frozenset(
    {"02", "0201", "0202", "03", "0301", "04", "0401", "0402", "0403"}
    | {"05", "0501", "0502", "0503", "0504", "0505"}
)
_EULUC_NAMES = {
    "RESIDENTIAL": "residential",
    **dict.fromkeys(
        (
            "COMMERCIAL",
            "BUSINESSOFFICE",
            "COMMERCIALSERVICE",
            "INDUSTRIAL",
            "TRANSPORTATION",
            "ROAD",
            "TRANSPORTATIONSTATIONS",
            "TRANSPORTATIONSTATION",
            "AIRPORTFACILITIES",
            "PUBLICMANAGEMENTANDSERVICE",
            "ADMINISTRATIVE",
            "EDUCATIONAL",
            "MEDICAL",
            "SPORTANDCULTURAL",
            "PARKANDGREENSPACE",
        ),
        "non_residential",
    ),
}
_GUOTU = {
    "07": "residential",
    "0701": "residential",
    "070101": "residential_low_rise",
    "070102": "residential",
    "070103": "residential_old",
    "0703": "rural_homestead",
    "070301": "rural_homestead",
    "070302": "rural_homestead",
}
_GUOTU_CODE = re.compile(r"^(0[1-9]|1[0-9]|2[0-4])(\d{2}){0,2}$")
_GB50137 = {
    "R": "residential",
    "R1": "residential_low_rise",
    "R11": "residential_low_rise",
    "R2": "residential",
    "R21": "residential",
    "R3": "residential_old",
    "R31": "residential_old",
    "H14": "rural_homestead",
}
_GB50137_MIXED = frozenset({"H", "H1", "H11", "H12", "H13"})  # whole towns: cannot tell
_GB50137_CODE = re.compile(r"^[ABEGHMRSUW]\d{0,3}$")
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class LandUse:
    """The kind of each land-use polygon, and how it was read.

    Attributes
    ----------
    kinds
        One of :data:`KINDS` per polygon, indexed like the polygons.
    scheme
        ``"osm"`` or the parcel classification read (``"euluc"``,
        ``"gb50137"``, ``"guotu"``; ``"names"`` when the classes are names,
        several joined by ``+`` when mixed).
    unknown
        Parcel class values not recognised (their parcels are ``unknown``).
    """

    kinds: pd.Series
    scheme: str
    unknown: tuple[str, ...] = ()


def read_landuse(source: Any, *, clip: Any = None) -> gpd.GeoDataFrame:
    """Read OSM land-use areas and the grounds of non-residential uses.

    Parameters
    ----------
    source
        An OSM PBF or XML file (or anything :func:`geoplan.read_facilities` reads).
    clip
        Keep areas intersecting this area (Polygon in EPSG:4326, GeoDataFrame,
        or a lon/lat bbox).

    Returns
    -------
    geopandas.GeoDataFrame
        Polygons with a column per key of :data:`OSM_LANDUSE_TAGS` and ``tags``,
        ready for :func:`osm_land_use`.

    Examples
    --------
    >>> from geoplan.datasets import sample_pbf
    >>> land = read_landuse(sample_pbf())
    >>> "industrial" in set(osm_land_use(land).kinds.map(str)) or len(land) > 0
    True
    """
    from geoplan.sources import read_facilities

    frame = read_facilities(source, tags=OSM_LANDUSE_TAGS, clip=clip)
    polygons = frame.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    return frame[polygons]


def osm_land_use(frame: gpd.GeoDataFrame | pd.DataFrame) -> LandUse:
    """Tell the kind of each OSM land-use polygon from its tags.

    ``landuse=residential`` is ``residential`` (``rural_homestead`` with
    ``residential=rural``, and ``landuse=farmyard`` too); the values of
    :data:`NON_RESIDENTIAL_OSM_LAND_USE` are ``non_residential``; any other
    value is ``other``. Tags are read from columns named after the keys, or
    else from a ``tags`` column of dicts.

    Parameters
    ----------
    frame
        Polygons with OSM tag columns (e.g. from :func:`read_landuse`).

    Returns
    -------
    LandUse

    Examples
    --------
    >>> import pandas as pd
    >>> land = pd.DataFrame({"landuse": ["industrial", "residential", "grass", None],
    ...                      "amenity": [None, None, None, "school"]})
    >>> osm_land_use(land).kinds.tolist()
    ['non_residential', 'residential', 'other', 'non_residential']
    """
    keys = ("landuse", "residential", "military", *NON_RESIDENTIAL_OSM_LAND_USE)
    tags = {key: _tag_column(frame, key) for key in dict.fromkeys(keys)}
    kinds = np.full(len(frame), "other", dtype=object)
    landuse = tags["landuse"]
    kinds[(landuse == "residential").to_numpy()] = "residential"
    rural = ((landuse == "residential") & (tags["residential"] == "rural")) | landuse.isin(
        _OSM_VILLAGE
    )
    kinds[rural.to_numpy()] = "rural_homestead"
    military = tags["military"].notna() & (tags["military"] != "no")
    not_housing = military.to_numpy().copy()
    for key, values in NON_RESIDENTIAL_OSM_LAND_USE.items():
        not_housing |= tags[key].isin(values).to_numpy()
    kinds[not_housing] = "non_residential"
    return LandUse(pd.Series(kinds, index=frame.index, dtype=object), "osm")


def _tag_column(frame: pd.DataFrame, key: str) -> pd.Series:
    """One OSM key's values (lower case, stripped), from its column or the ``tags`` dicts."""
    if key in frame.columns:
        raw = frame[key]
    elif "tags" in frame.columns:
        raw = frame["tags"].map(lambda t: t.get(key) if isinstance(t, Mapping) else None)
    else:
        raw = pd.Series(None, index=frame.index, dtype=object)
    return raw.astype("string").str.strip().str.lower().astype(object).where(raw.notna(), None)


def parcel_land_use(classes: pd.Series, *, scheme: str = "auto") -> LandUse:
    """Tell the kind of each parcel from its land-use class.

    Parameters
    ----------
    classes
        The class of each parcel: a code (``0101``, ``101``, ``R2``,
        ``070102``) or a name (``Residential``, ``二类居住用地``).
    scheme
        How numeric codes are read: ``"euluc"``, ``"guotu"`` (the 2020
        国土空间 classification), ``"gb50137"`` (letter codes only; numeric
        codes are then unknown) or ``"auto"``: EULUC-China when every numeric
        code is an EULUC code, else the 2020 classification. Letter codes are
        always GB 50137 and names are always names.

    Returns
    -------
    LandUse
        ``unknown`` lists the values not recognised, ``"(blank)"`` for missing
        ones (logged; their parcels are ``unknown``: nobody is counted on them,
        and they exclude nothing).

    Raises
    ------
    InputError
        ``scheme`` is not one of :data:`SCHEMES`.

    Examples
    --------
    >>> import pandas as pd
    >>> parcel_land_use(pd.Series(["R2", "R12", "H14", "M1"])).kinds.tolist()
    ['residential', 'non_residential', 'rural_homestead', 'non_residential']
    >>> parcel_land_use(pd.Series(["070101", "0702", "一类居住用地"])).kinds.tolist()
    ['residential_low_rise', 'non_residential', 'residential_low_rise']
    """
    if scheme not in SCHEMES:
        msg = f"scheme={scheme!r} is not one of {', '.join(SCHEMES)}; e.g. scheme='auto'"
        raise InputError(msg)
    texts = [_class_text(v) for v in classes]
    numeric = {t for t in texts if t is not None and t.isdigit()}
    numeric_scheme = scheme
    if scheme == "auto":
        numeric_scheme = "euluc" if numeric <= _EULUC_RESIDENTIAL | _EULUC_OTHER else "guotu"
    used: set[str] = set()
    kinds: list[str] = []
    for text in texts:
        kind, read_as = _class_kind(text, numeric_scheme)
        kinds.append(kind)
        if read_as:
            used.add(read_as)
    unknown = tuple(
        sorted(
            {
                "(blank)" if t is None else str(v)
                for v, t, k in zip(classes, texts, kinds, strict=True)
                if k == "unknown"
            }
        )
    )
    if unknown:
        log.warning(
            "%d land-use classes are not recognised (nobody is counted on them): %s",
            len(unknown),
            list(unknown[:20]),
        )
    return LandUse(
        pd.Series(kinds, index=classes.index, dtype=object),
        "+".join(sorted(used)) or scheme,
        unknown,
    )


def _class_text(value: Any) -> str | None:
    """Return a class value as comparable text: upper case, no spaces, codes zero-padded."""
    if value is None or isinstance(value, bool):
        return None if value is None else str(value).upper()
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return None
        text = str(int(value)) if float(value).is_integer() else str(value)
    elif isinstance(value, int | np.integer):
        text = str(int(value))
    else:
        text = str(value)
    text = re.sub(r"[\s_\-/&]+", "", text).upper()
    if not text or text in ("NAN", "NONE", "<NA>"):
        return None
    if text.isdigit() and len(text) % 2:
        text = "0" + text
    return text


def _class_kind(text: str | None, numeric_scheme: str) -> tuple[str, str]:
    """Return the kind of one class and the scheme that read it (empty when unknown)."""
    kind, read_as = "unknown", ""
    if text is None:
        pass
    elif _CJK.search(text):
        kind, read_as = _chinese_kind(text), "names"
    elif text in _EULUC_NAMES:
        kind, read_as = _EULUC_NAMES[text], "names"
    elif text.isdigit():
        kind = _numeric_kind(text, numeric_scheme)
        read_as = numeric_scheme if kind != "unknown" else ""
    elif _GB50137_CODE.match(text) and text not in _GB50137_MIXED:
        kind, read_as = _GB50137.get(text, "non_residential"), "gb50137"
    return kind, read_as


def _numeric_kind(code: str, scheme: str) -> str:
    """Return the kind of a numeric code in EULUC-China or the 2020 classification."""
    if scheme == "euluc":
        if code in _EULUC_RESIDENTIAL:
            return "residential"
        return "non_residential" if code in _EULUC_OTHER else "unknown"
    if scheme != "guotu" or not _GUOTU_CODE.match(code):
        return "unknown"
    if code in _GUOTU:
        return _GUOTU[code]
    return "rural_homestead" if code.startswith("0703") else "non_residential"


_CHINESE_KINDS = (  # first match wins: (words, kind)
    (("服务设施",), "non_residential"),
    (("宅基地", "村庄"), "rural_homestead"),
    (("一类居住", "一类城镇住宅"), "residential_low_rise"),
    (("三类居住", "三类城镇住宅"), "residential_old"),
    (("居住", "住宅"), "residential"),
)


def _chinese_kind(text: str) -> str:
    """Return the kind of a Chinese class name (一类居住用地, 农村宅基地, 工业用地...)."""
    for words, kind in _CHINESE_KINDS:
        if any(word in text for word in words):
            return kind
    if text.endswith(("用地", "绿地", "水域", "广场")):
        return "non_residential"
    return "unknown"


def land_use_kinds(
    land: gpd.GeoDataFrame, *, class_column: str | None = None, scheme: str = "auto"
) -> LandUse:
    """Tell the kind of each land-use polygon: from a parcel file's classes, or OSM tags.

    Parameters
    ----------
    land
        Land-use polygons.
    class_column
        The column of land-use classes (a parcel file); OSM tags (a
        ``landuse`` column, or ``tags``) when omitted.
    scheme
        How numeric classes are read (see :func:`parcel_land_use`).

    Returns
    -------
    LandUse

    Raises
    ------
    InputError
        ``class_column`` is not a column, or neither it nor OSM tags are given.

    Examples
    --------
    >>> import pandas as pd
    >>> land_use_kinds(pd.DataFrame({"Level2": [101, 502]}), class_column="Level2").scheme
    'euluc'
    """
    if class_column is not None:
        if class_column not in land.columns:
            columns = [c for c in land.columns if c != "geometry"]
            msg = (
                f"land-use parcels have no class column {class_column!r}; their columns are "
                f"{columns}. Name the column of land-use classes, e.g. class_column="
                f"{_likely_class_column(columns)!r} ([population] class_column in a study)"
            )
            raise InputError(msg)
        return parcel_land_use(land[class_column], scheme=scheme)
    if "landuse" in land.columns or "tags" in land.columns:
        return osm_land_use(land)
    columns = [c for c in land.columns if c != "geometry"]
    msg = (
        f"land-use polygons need a class column or OSM tags (a 'landuse' column); their "
        f"columns are {columns}. Name the column of land-use classes, e.g. class_column="
        f"{_likely_class_column(columns)!r} ([population] class_column in a study)"
    )
    raise InputError(msg)


_CLASS_WORDS = ("level", "class", "cls", "type", "code", "use", "zone", "dlbm", "用地", "类")


def _likely_class_column(columns: list[Any]) -> str:
    for column in columns:
        name = str(column).lower()
        if any(word in name for word in _CLASS_WORDS):
            return str(column)
    return "Level2"


def land_use_under(
    points: NDArray[Any], polygons: NDArray[Any], kinds: pd.Series | NDArray[Any]
) -> NDArray[np.object_]:
    """Find the kind of land under each point: the smallest telling polygon containing it.

    Polygons of kind ``other`` or ``unknown`` say nothing and are passed over,
    so a lawn drawn inside an industrial estate leaves the estate's kind.

    Parameters
    ----------
    points
        Shapely points (e.g. buildings' representative points).
    polygons
        Land-use polygons, in the same CRS.
    kinds
        The kind of each polygon (:class:`LandUse` ``kinds``).

    Returns
    -------
    numpy.ndarray
        A kind per point, or None where no telling polygon contains it.

    Examples
    --------
    >>> import numpy as np, shapely
    >>> polys = np.array([shapely.box(0, 0, 100, 100), shapely.box(10, 10, 20, 20)])
    >>> pts = shapely.points([[5, 5], [15, 15], [500, 500]])
    >>> land_use_under(pts, polys, ["residential", "non_residential"]).tolist()
    ['residential', 'non_residential', None]
    """
    kind = np.asarray(kinds, dtype=object)
    result = np.full(len(points), None, dtype=object)
    telling = ~np.isin(kind, ["other", "unknown"])
    if not telling.any() or len(points) == 0:
        return result
    position = np.flatnonzero(telling)
    chosen = np.asarray(polygons)[telling]
    tree = shapely.STRtree(chosen)
    pts, polys = tree.query(np.asarray(points), predicate="within")
    if len(pts) == 0:
        return result
    area = shapely.area(chosen[polys])
    order = np.lexsort((area, pts))  # by point, then smallest polygon first
    pts, polys = pts[order], polys[order]
    first = np.ones(len(pts), dtype=bool)
    first[1:] = pts[1:] != pts[:-1]
    result[pts[first]] = kind[position[polys[first]]]
    return result
