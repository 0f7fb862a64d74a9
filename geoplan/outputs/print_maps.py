"""Static print maps: coverage, life circles and site proposals as PNG and PDF pages.

A print map is an A4 landscape page drawn with matplotlib from the same result
layers the HTML maps show (:mod:`geoplan.outputs.maps`): communities coloured
by the covered share of a facility type, by life-circle completeness, or by the
covered share after the proposed sites are built, with the existing and
proposed sites and the area they newly reach. Every page has a title (the
study's), a subtitle (what is shown, the threshold and its basis, the date), a
legend, a scale bar, a north arrow, and a footer with the data sources, the
coordinate system and the date.

Shares use the same colours as the HTML maps and the QGIS styles (ColorBrewer's
RdYlBu in five classes, colour-blind safe: :mod:`geoplan.outputs.cartography`);
communities without a figure are white with grey hatching, never the colour of 0 %.
Pages are deterministic: the date is the run's, and the files carry no creation time,
so the same result gives the same bytes.

Words are in the run's language (``settings.lang``), drawn with the typeface
:func:`geoplan.outputs.fonts.print_typeface` chooses; the maps never compute,
they draw what the result holds.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import itertools
import math
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np

from geoplan._i18n import facility_type_label, label, level_name, resolve_lang
from geoplan._io import atomic_path, safe_name
from geoplan._version import __version__
from geoplan.outputs.cartography import SHARE_COLOURS as CARTOGRAPHY_SHARE_COLOURS
from geoplan.outputs.fonts import Typeface, print_typeface
from geoplan.outputs.maps import SHARE_BINS
from geoplan.outputs.report_page import FORMATS
from geoplan.study import StudyResult, study_totals

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from numpy.typing import NDArray

    from geoplan.standards import Cutoff
    from geoplan.study import Proposal, Study

__all__ = [
    "DPI",
    "NO_DATA_HATCH",
    "PAGE_INCHES",
    "SHARE_COLOURS",
    "PrintMap",
    "Sites",
    "draw_print_map",
    "figure_text",
    "print_maps",
    "share_colour",
    "write_print_maps",
]

#: One colour per share bin, as on the HTML maps (ColorBrewer RdYlBu, colour-blind safe).
SHARE_COLOURS = CARTOGRAPHY_SHARE_COLOURS
#: Communities without a figure: white, hatched in grey (never the colour of 0 %).
NO_DATA_FACE = "#ffffff"
NO_DATA_HATCH = "////"
NO_DATA_EDGE = "#8c8c8c"
_EXISTING_COLOUR = "#252525"
_PROPOSED_COLOUR = "#d95f02"  # ColorBrewer Dark2: apart from the blues for either vision
_NEW_AREA_COLOUR = "#7570b3"
_NEW_AREA_HATCH = "\\\\\\"
_NETWORK_COLOUR = "#969696"
_PANEL_X = 0.745
#: Where the map is drawn on the page (left, bottom, width, height, as page fractions).
_MAP_BOX = (0.03, 0.075, 0.69, 0.8)
#: A4 landscape, in inches.
PAGE_INCHES = (297 / 25.4, 210 / 25.4)
#: Pixels per inch of the PNG pages (and of the network where a PDF page rasterises it).
DPI = 200
#: zlib level of the PNG pages: on a Harbin page level 3 wrote 881 KB in 0.13 s where
#: Pillow's default 6 wrote 927 KB in 0.21 s (flat map colours compress well either way).
_PNG_COMPRESSION = 3
#: The footer's line length, in Latin characters (a Chinese one counts two).
FOOTER_WIDTH = 190
#: Networks with more edges than this are rasterised inside the PDF pages (smaller files).
RASTER_EDGES_ABOVE = 5000


@dataclass(frozen=True)
class Sites:
    """A layer of points on a print map, with its legend entry."""

    frame: gpd.GeoDataFrame
    label: str
    colour: str
    marker: str
    size: float


@dataclass(frozen=True)
class PrintMap:
    """One print map: what it draws and its words, in the run's language.

    Attributes
    ----------
    name
        The file stem (``coverage_<type>``, ``life_circles_<level>``, ``sites_<type>``).
    title, subtitle
        The page's title (the study's) and what the map shows, its threshold and date.
    value_title
        The legend title of the community colours.
    communities
        Community polygons with ``value``: a share from 0 to 1, NaN where none.
    sites
        Point layers drawn over the communities.
    area, area_label
        An area drawn hatched (the area proposed sites newly reach) and its legend entry.
    figures
        Lines of key figures beside the legend.
    """

    name: str
    title: str
    subtitle: str
    value_title: str
    communities: gpd.GeoDataFrame
    sites: tuple[Sites, ...] = ()
    area: gpd.GeoDataFrame | None = None
    area_label: str = ""
    figures: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Page:
    """What every map of a run shares: language, typeface, footer, the network drawn beneath."""

    lang: str
    typeface: Typeface
    footer: str
    network: list[np.ndarray]
    #: The streets as one matplotlib path, made once for every map (:func:`_street_paths`).
    paths: list[Any] = field(default_factory=list)


def figure_text(value: Any, fmt: str) -> str:
    """Return a figure as report.html shows it: its format, or ``—`` when it is not a number.

    Examples
    --------
    >>> figure_text(0.25, "percent"), figure_text(56235.0, "count"), figure_text(None, "count")
    ('25.0%', '56,235', '—')
    """
    number = float(value) if value is not None else math.nan
    if not math.isfinite(number):
        return "—"
    shown: str = FORMATS[fmt](number)
    return shown


def share_colour(share: float) -> str | None:
    """Return the colour of a share (the bins of :data:`~geoplan.outputs.maps.SHARE_BINS`).

    Returns None for NaN (no data: drawn hatched).

    Examples
    --------
    >>> share_colour(0.0), share_colour(0.2), share_colour(1.0), share_colour(float("nan"))
    ('#d7191c', '#fdae61', '#2c7bb6', None)
    """
    if not math.isfinite(share):
        return None
    index = int(np.searchsorted(SHARE_BINS[1:-1], share, side="right"))
    return SHARE_COLOURS[index]


# ------------------------------------------------------------------------ what to draw


def print_maps(result: StudyResult, lang: str | None = None) -> list[PrintMap]:
    """Return the print maps of a run: coverage of each type, life circles, site proposals.

    Parameters
    ----------
    result
        From :func:`geoplan.run_study`.
    lang
        ``"zh"`` or ``"en"``; default ``settings.lang``.

    Returns
    -------
    list of PrintMap
    """
    lang = resolve_lang(lang)
    study = result.study
    title = study.config.title if study.config is not None else study.name
    date = _date(study.started)
    totals = study_totals(result)
    maps: list[PrintMap] = []
    cover = result.coverage
    if cover is not None and cover.by_community is not None:
        for type_id in cover.totals.index:
            maps.append(_coverage_map(result, str(type_id), title=title, date=date, lang=lang))
    circles = result.life_circles
    if circles is not None:
        for column in circles.communities.columns:
            if str(column).startswith("score_"):
                level = str(column).removeprefix("score_")
                mean = totals["completeness"][level]
                maps.append(
                    _life_circle_map(
                        circles.communities, level, mean, title=title, date=date, lang=lang
                    )
                )
    for type_id, answer in result.proposals.items():
        maps.append(_site_map(study, type_id, answer, title=title, date=date, lang=lang))
    return maps


def _coverage_map(
    result: StudyResult, type_id: str, *, title: str, date: str, lang: str
) -> PrintMap:
    study = result.study
    assert result.coverage is not None
    type_name = facility_type_label(type_id, lang)
    shares = result.coverage.by_community_of(type_id)["share"]
    communities = _valued(study.communities, shares.reindex(study.communities.index))
    row = result.coverage.totals.loc[type_id]
    sites = study.sites(type_id)
    threshold = (
        _threshold(study.measured(type_id).cutoff, lang) if type_id in study.type_ids else ""
    )
    return PrintMap(
        name=f"coverage_{type_id}",
        title=title,
        subtitle=_join(
            [f"{type_name}{_colon(lang)}{label('covered_share', lang)}", threshold, date]
        ),
        value_title=label("covered_share", lang),
        communities=communities,
        sites=(
            Sites(
                sites,
                label("existing", lang) + _brackets(str(len(sites)), lang),
                _EXISTING_COLOUR,
                "o",
                22.0,
            ),
        )
        if len(sites)
        else (),
        figures=(
            f"{label('covered_share', lang)}{_colon(lang)}{figure_text(row['share'], 'percent')}",
            f"{label('covered', lang)}{_colon(lang)}{figure_text(row['covered'], 'count')}",
            f"{label('population', lang)}{_colon(lang)}{figure_text(row['population'], 'count')}",
        ),
    )


def _life_circle_map(
    communities: gpd.GeoDataFrame, level: str, mean: float, *, title: str, date: str, lang: str
) -> PrintMap:
    name = level_name(level, lang)
    return PrintMap(
        name=f"life_circles_{level}",
        title=title,
        subtitle=_join([f"{label('completeness', lang)}{_colon(lang)}{name}", date]),
        value_title=label("completeness", lang),
        communities=_valued(communities, communities[f"score_{level}"]),
        figures=(
            f"{label('completeness', lang)}{_brackets(name, lang)}{_colon(lang)}"
            f"{figure_text(mean, 'percent')}",
        ),
    )


def _site_map(
    study: Study, type_id: str, answer: Proposal, *, title: str, date: str, lang: str
) -> PrintMap:
    type_name = facility_type_label(type_id, lang)
    proposal = answer.proposal
    after = proposal.after["share"].reindex(study.communities.index)
    summary = proposal.summary
    request = answer.request
    if request.minutes is not None:
        threshold = _threshold_minutes(request.minutes, lang)
    else:
        threshold = _threshold(study.measured(type_id).cutoff, lang)
    sites = []
    if len(answer.existing):
        sites.append(
            Sites(
                answer.existing,
                label("existing", lang) + _brackets(str(len(answer.existing)), lang),
                _EXISTING_COLOUR,
                "o",
                22.0,
            )
        )
    sites.append(
        Sites(
            proposal.sites,
            label("proposed", lang) + _brackets(str(len(proposal.sites)), lang),
            _PROPOSED_COLOUR,
            "*",
            170.0,
        )
    )
    before, after_share = summary["share_before"], summary["share_after"]
    return PrintMap(
        name=f"sites_{type_id}",
        title=title,
        subtitle=_join(
            [f"{type_name}{_colon(lang)}{label('site_proposals', lang)}", threshold, date]
        ),
        value_title=label("share_after", lang),
        communities=_valued(study.communities, after),
        sites=tuple(sites),
        area=answer.new_area if len(answer.new_area) else None,
        area_label=label("newly_covered_area", lang),
        figures=(
            f"{label('sites', lang)}{_colon(lang)}{figure_text(summary['sites'], 'count')}",
            f"{label('covered_share', lang)}{_colon(lang)}"
            f"{figure_text(before, 'percent')} → {figure_text(after_share, 'percent')}",
        ),
    )


def _valued(communities: gpd.GeoDataFrame, values: Any) -> gpd.GeoDataFrame:
    frame = communities[[communities.geometry.name]].copy()
    frame["value"] = np.asarray(values, dtype=float)
    return frame


def _threshold(cutoff: Cutoff, lang: str) -> str:
    """E.g. "服务范围 500 米（按路网距离；gb50180_93_table）"."""
    basis = label("by_distance" if cutoff.basis == "distance" else "by_time", lang)
    if cutoff.distance_m is not None:
        amount = f"{cutoff.distance_m:g} {label('metres', lang)}"
    else:
        amount = f"{cutoff.minutes:g} {label('minutes', lang)}"
    source = cutoff.value.source
    inner = f"{basis}；{source}" if lang == "zh" else f"{basis}; {source}"
    return f"{label('service_threshold', lang)} {amount}{_brackets(inner, lang)}"


def _threshold_minutes(minutes: float, lang: str) -> str:
    basis = label("by_time", lang)
    return f"{label('service_threshold', lang)} {minutes:g} {label('minutes', lang)}" + _brackets(
        basis, lang
    )


def _brackets(text: str, lang: str) -> str:
    return f"（{text}）" if lang == "zh" else f" ({text})"


def _colon(lang: str) -> str:
    return "：" if lang == "zh" else ": "


def _join(parts: Sequence[str]) -> str:
    return " · ".join(p for p in parts if p)


def _date(started: float) -> str:
    return time.strftime("%Y-%m-%d", time.localtime(started))


def _footer(study: Study, lang: str, date: str) -> str:
    """Return the footer: data sources, coordinate system, maker and date."""
    separator = "；" if lang == "zh" else "; "
    parts = [
        f"{label('data_sources', lang)}{_colon(lang)}{separator.join(data_sources(study, lang))}",
        f"{label('coordinate_system', lang)}{_colon(lang)}{_crs_name(study)}",
        f"{label('made_with', lang)}{_colon(lang)}geoplan {__version__}",
        date,
    ]
    return _join(parts)


def _crs_name(study: Study) -> str:
    crs = study.network.crs
    if crs is None:
        return "?"
    found = crs.to_epsg()
    return f"EPSG:{found}" if found else str(crs.name)


_OSM_SUFFIXES = (".pbf", ".osm", ".o5m", ".bz2")


def data_sources(study: Study, lang: str) -> list[str]:
    """Return where a study's data came from, for a map's footer and report.pdf.

    OpenStreetMap is credited as its licence asks ("© OpenStreetMap
    contributors"); a synthetic study says it is synthetic; files are named
    (their names only, never their folders).

    Parameters
    ----------
    study
        The study.
    lang
        ``"zh"`` or ``"en"``.

    Returns
    -------
    list of str
    """
    config = study.config
    if config is None:
        return [label("user_data", lang), *sorted({p.name for p in study.inputs})]
    colon = _colon(lang)
    network = config.network_source
    if network == "synthetic":
        out = [label("synthetic_data", lang)]
    elif network in ("sample", "online") or Path(str(network)).suffix.lower() in _OSM_SUFFIXES:
        out = [label("osm_attribution", lang)]
    else:
        out = [f"{label('network', lang)}{colon}{Path(str(network)).name}"]
    files: list[tuple[str, Any]] = [
        ("communities", config.communities_source),
        ("population", config.population_source),
    ]
    files += [("facilities", source.file) for source in config.facility_sources if source.file]
    if config.poi_file is not None:
        files.append(("facilities", config.poi_file))
    files.append(("register", config.register_source))
    for key, source in files:
        if isinstance(source, Path):
            out.append(f"{label(key, lang)}{colon}{source.name}")
    if config.population_source == "buildings":
        out.append(label("population_from_buildings", lang))
    if config.register_source == "synthetic":
        out.append(label("invented_register", lang))
    return list(dict.fromkeys(out))


# ----------------------------------------------------------------------------- drawing


@contextlib.contextmanager
def _style(typeface: Typeface) -> Iterator[None]:
    """Apply the settings of a print page: the typeface, Type 3 font subsets, thin hatching."""
    import matplotlib

    with matplotlib.rc_context(
        {
            "font.family": typeface.families,
            "pdf.fonttype": 3,  # subsets of any font (CFF-based CJK fonts too), text kept
            "axes.unicode_minus": False,
            "hatch.linewidth": 0.6,
            "path.simplify": True,
        }
    ):
        yield


def draw_print_map(
    spec: PrintMap,
    typeface: Typeface,
    *,
    lang: str = "zh",
    footer: str = "",
    network: gpd.GeoDataFrame | None = None,
) -> Figure:
    """Draw one print map as an A4 landscape matplotlib figure.

    Parameters
    ----------
    spec
        What to draw (:func:`print_maps`).
    typeface
        The typeface (:func:`geoplan.outputs.fonts.print_typeface`).
    lang
        The language of the words drawn here (the north arrow, units).
    footer
        The footer's text (data sources, coordinate system, date).
    network
        Streets to draw thinly over the communities, for orientation.

    Returns
    -------
    matplotlib.figure.Figure
    """
    with _style(typeface):
        return _draw(spec, _page(lang, typeface, footer, _lines(network, spec.communities)))


def _page(lang: str, typeface: Typeface, footer: str, lines: list[np.ndarray]) -> _Page:
    """Return what every map shares, the streets made into paths once (inside :func:`_style`)."""
    return _Page(lang, typeface, footer, lines, _street_paths(lines))


def _street_paths(lines: list[np.ndarray]) -> list[Any]:
    """Return the streets as one compound matplotlib path (in a list, as a collection holds it).

    One path draws 95,000 streets in 0.76 s a page (PNG) where one path each took
    1.23 s (and 0.61 s against 1.24 s in the PDF). Where streets overlap at a
    junction the half-transparent ink is laid once, not twice: the only change
    from a path per street (0.75 % of a 50k-node city's page within 39 of 255
    levels). A path decides at birth whether to simplify (``path.simplify``), so
    this runs inside :func:`_style`; the path serves every map of a run.
    """
    if not lines:
        return []
    xy = np.concatenate([np.asarray(line, float).reshape(-1, 2) for line in lines])
    street = np.repeat(np.arange(len(lines)), [len(line) for line in lines])
    return [_compound_path(xy, street)]


def _streets(page: _Page) -> Any:
    """Return the streets' lines for one map, drawn from the page's shared paths."""
    from matplotlib.collections import Collection, LineCollection

    lines = LineCollection(
        [],
        colors=_NETWORK_COLOUR,
        linewidths=0.2,
        alpha=0.7,
        zorder=3,
        rasterized=len(page.network) > RASTER_EDGES_ABOVE,
    )
    Collection.set_paths(lines, page.paths)  # LineCollection's own would remake every path
    return lines


def _lines(network: gpd.GeoDataFrame | None, communities: gpd.GeoDataFrame) -> list[np.ndarray]:
    """Return the network's lines as coordinate arrays, in the CRS the map is drawn in."""
    import shapely

    if network is None or len(network) == 0:
        return []
    crs = communities.crs
    if crs is not None and not crs.is_projected:
        network = network.to_crs(communities.estimate_utm_crs())
    parts = shapely.get_parts(network.geometry.to_numpy())
    parts = parts[shapely.get_type_id(parts) == 1]  # LineString
    coordinates = shapely.get_coordinates(parts)  # every line's at once, then cut per line
    bounds = [0, *np.cumsum(shapely.get_num_coordinates(parts)).tolist()]
    return [coordinates[a:b] for a, b in itertools.pairwise(bounds)]


def _draw(spec: PrintMap, page: _Page) -> Figure:
    from matplotlib.figure import Figure

    clean = page.typeface.clean
    figure = Figure(figsize=PAGE_INCHES, dpi=DPI)
    figure.text(0.03, 0.945, clean(spec.title), size=16, weight="bold", parse_math=False)
    figure.text(0.03, 0.905, clean(spec.subtitle), size=11, color="#333333", parse_math=False)
    # wrapped here: matplotlib's own wrapping parses "$...$" as mathematics
    footer = _wrapped(clean(page.footer), FOOTER_WIDTH)
    figure.text(0.03, 0.015, footer, size=7.5, color="#555555", parse_math=False, va="bottom")
    axes = figure.add_axes(_MAP_BOX)
    axes.set_xticks([])
    axes.set_yticks([])
    for spine in axes.spines.values():
        spine.set_linewidth(0.6)
        spine.set_color("#666666")
    layers = _metric(spec)
    communities = layers["communities"]
    _draw_communities(axes, communities)
    if page.network:
        axes.add_collection(_streets(page), autolim=False)
    area = layers.get("area")
    if area is not None and len(area):
        area.plot(
            ax=axes,
            facecolor="none",
            edgecolor=_NEW_AREA_COLOUR,
            hatch=_NEW_AREA_HATCH,
            linewidth=0.9,
            zorder=4,
        )
    for index, sites in enumerate(spec.sites):
        points = layers[f"sites_{index}"]
        if len(points):
            xy = np.column_stack([points.geometry.x, points.geometry.y])
            axes.scatter(
                xy[:, 0],
                xy[:, 1],
                s=sites.size,
                c=sites.colour,
                marker=sites.marker,
                edgecolors="black" if sites.marker == "*" else "white",
                linewidths=0.5,
                zorder=5,
            )
    axes.set_xlabel("")  # geopandas names the CRS's axes (in English)
    axes.set_ylabel("")
    _frame(axes, communities)
    _scale_bar(axes, page.lang)
    _north_arrow(axes, page)
    _legends(figure, spec, page)
    return figure


def text_width(text: str) -> int:
    """Return the width of ``text`` in Latin characters (a Chinese one counts two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _wrapped(text: str, width: int) -> str:
    """Break ``text`` into lines of at most ``width`` (:func:`text_width`), at " · " if it can."""
    lines: list[str] = []
    line = ""
    for part in text.split(" · "):
        joined = f"{line} · {part}" if line else part
        if text_width(joined) <= width:
            line = joined
            continue
        if line:
            lines.append(line)
        line = ""
        for character in part:
            if text_width(line + character) > width:
                lines.append(line)
                line = ""
            line += character
    lines.append(line)
    return "\n".join(lines)


def _metric(spec: PrintMap) -> dict[str, gpd.GeoDataFrame]:
    """Return the layers in one metric CRS (the study's, or UTM when it is in degrees)."""
    layers: dict[str, gpd.GeoDataFrame] = {"communities": spec.communities}
    if spec.area is not None:
        layers["area"] = spec.area
    for index, sites in enumerate(spec.sites):
        frame = sites.frame[~(sites.frame.geometry.isna() | sites.frame.geometry.is_empty)]
        layers[f"sites_{index}"] = frame.set_geometry(frame.geometry.representative_point())
    crs = spec.communities.crs
    if crs is None or crs.is_projected:
        return layers
    target = spec.communities.estimate_utm_crs()
    return {name: frame.to_crs(target) for name, frame in layers.items()}


def _draw_communities(axes: Any, communities: gpd.GeoDataFrame) -> None:
    """Fill the communities by share class, those without a value hatched; outline each.

    Each class is one compound path: Agg hatches (and matplotlib bounds) every path
    on its own, so one path per community took 3.5 s a page for Harbin's 2,849
    street blocks, one per class 0.6 s.
    """
    values = communities["value"].to_numpy(dtype=float)
    geometry = communities.geometry.to_numpy()
    colours = np.array([share_colour(v) or "" for v in values])
    present = set(colours)
    for colour in [c for c in SHARE_COLOURS if c in present]:
        style = {"facecolor": colour, "edgecolor": "#ffffff"}
        axes.add_artist(_class_patch(geometry[colours == colour], style))
    if (colours == "").any():
        style = {
            "facecolor": NO_DATA_FACE,
            "edgecolor": NO_DATA_EDGE,
            "hatch": NO_DATA_HATCH,
            "hatchcolor": NO_DATA_EDGE,
        }
        axes.add_artist(_class_patch(geometry[colours == ""], style))


def _class_patch(geometries: np.ndarray, style: dict[str, str]) -> Any:
    """Return the polygons of one class as one patch, outlined 0.3 pt, under the streets."""
    from matplotlib.patches import PathPatch

    return PathPatch(_rings_path(geometries), linewidth=0.3, zorder=1, **style)


def _rings_path(geometries: np.ndarray) -> Any:
    """Return every ring of the polygons in ``geometries`` as one compound matplotlib path.

    Rings are normalised (outer rings clockwise, holes the other way), so the
    non-zero winding rule leaves the holes empty.
    """
    import shapely

    parts = shapely.get_parts(geometries)
    parts = shapely.normalize(parts[shapely.get_type_id(parts) == 3])  # Polygon
    xy, ring = shapely.get_coordinates(shapely.get_rings(parts), return_index=True)
    return _compound_path(xy, ring)


def _compound_path(xy: np.ndarray, run: np.ndarray) -> Any:
    """Return one matplotlib path of the runs of ``xy`` (``run``: each vertex's run, ascending).

    Each run starts anew (a move, then lines), as a path per run would draw it.
    """
    from matplotlib.path import Path as Polyline

    codes = np.full(len(xy), Polyline.LINETO, dtype=Polyline.code_type)
    codes[np.flatnonzero(np.diff(run, prepend=-1))] = Polyline.MOVETO
    return Polyline(np.asarray(xy, float).reshape(-1, 2), codes)


def _frame(axes: Any, communities: gpd.GeoDataFrame) -> None:
    """Frame the map on the communities with a margin, widened to fill the map's box."""
    left, bottom, right, top = communities.total_bounds
    if not np.all(np.isfinite([left, bottom, right, top])):
        left, bottom, right, top = 0.0, 0.0, 1.0, 1.0
    margin = 0.04 * max(right - left, top - bottom, 1.0)
    width, height = right - left + 2 * margin, top - bottom + 2 * margin
    box = (_MAP_BOX[2] * PAGE_INCHES[0]) / (_MAP_BOX[3] * PAGE_INCHES[1])
    width, height = max(width, height * box), max(height, width / box)
    x, y = (left + right) / 2, (bottom + top) / 2
    axes.set_xlim(x - width / 2, x + width / 2)
    axes.set_ylim(y - height / 2, y + height / 2)
    axes.set_aspect("equal", adjustable="box")


def nice_length(width_m: float) -> float:
    """Return a round scale-bar length near a fifth of ``width_m`` (1, 2 or 5 times 10^k).

    Examples
    --------
    >>> nice_length(2600), nice_length(900), nice_length(12_000)
    (500.0, 100.0, 2000.0)
    """
    target = max(width_m / 5, 1e-9)
    power = 10.0 ** math.floor(math.log10(target))
    return float(max(step * power for step in (1, 2, 5) if step * power <= target))


def _distance(metres: float, lang: str) -> str:
    if metres >= 1000:
        return f"{metres / 1000:g} {label('kilometres', lang)}"
    return f"{metres:g} {label('metres', lang)}"


def _scale_bar(axes: Any, lang: str) -> None:
    """Two-part black and white bar at the lower left, labelled 0, half and its length."""
    from matplotlib.patches import Rectangle

    left, right = axes.get_xlim()
    bottom, top = axes.get_ylim()
    width, height = right - left, top - bottom
    length = nice_length(width)
    x, y, bar = left + 0.03 * width, bottom + 0.035 * height, 0.01 * height
    axes.add_patch(
        Rectangle(
            (x - 0.012 * width, y - 0.02 * height),
            length + 0.05 * width,
            0.075 * height,
            facecolor="#ffffff",
            edgecolor="none",
            alpha=0.85,
            zorder=6,
        )
    )
    for part, colour in enumerate(("#000000", "#ffffff")):
        axes.add_patch(
            Rectangle(
                (x + part * length / 2, y),
                length / 2,
                bar,
                facecolor=colour,
                edgecolor="#000000",
                linewidth=0.6,
                zorder=7,
            )
        )
    for position, text in ((0.0, "0"), (0.5, f"{length / 2:g}"), (1.0, _distance(length, lang))):
        axes.text(
            x + position * length,
            y + bar * 1.6,
            text,
            size=8,
            ha="left" if position == 1.0 else "center",
            va="bottom",
            zorder=7,
            parse_math=False,
        )


def _north_arrow(axes: Any, page: _Page) -> None:
    axes.annotate(
        "",
        xy=(0.965, 0.955),
        xytext=(0.965, 0.865),
        xycoords="axes fraction",
        arrowprops={"arrowstyle": "-|>,head_width=0.45,head_length=1.1", "lw": 2.2, "color": "k"},
        zorder=7,
    )
    axes.text(
        0.965,
        0.84,
        page.typeface.clean(label("north", page.lang)),
        transform=axes.transAxes,
        size=12,
        weight="bold",
        ha="center",
        va="top",
        zorder=7,
        parse_math=False,
    )


def _legend_text(typeface: Typeface, text: str) -> str:
    """Text for a legend: drawable, and with ``$`` kept literal (not mathtext)."""
    return typeface.clean(text).replace("$", r"\$")


def _legends(figure: Figure, spec: PrintMap, page: _Page) -> None:
    """Add the share classes and no data, the sites, area and streets, and key figures."""
    canvas: Any = figure  # matplotlib's stubs leave legend()'s **kwargs untyped
    text = functools.partial(_legend_text, page.typeface)
    shares = canvas.legend(
        handles=_share_handles(spec.communities["value"].to_numpy(dtype=float), page),
        loc="upper left",
        bbox_to_anchor=(_PANEL_X, 0.88),
        title=text(spec.value_title + _brackets(label("communities", page.lang), page.lang)),
        frameon=False,
        fontsize=9,
        title_fontsize=10,
        alignment="left",
        handlelength=2.2,
        handleheight=1.3,
    )
    shares.set_zorder(8)
    symbols = _symbol_handles(spec, page)
    if symbols:
        canvas.legend(
            handles=symbols,
            loc="upper left",
            bbox_to_anchor=(_PANEL_X, 0.56),
            frameon=False,
            fontsize=9,
            alignment="left",
            handlelength=2.2,
        )
    if spec.figures:
        figure.text(
            _PANEL_X + 0.007,
            0.33,
            page.typeface.clean("\n".join(spec.figures)),
            size=10,
            va="top",
            linespacing=1.7,
            parse_math=False,
        )


def _share_handles(values: np.ndarray, page: _Page) -> list[Any]:
    """Return a legend entry per share class, and no data, each with its count of communities."""
    from matplotlib import patches

    patch: Any = patches.Patch  # its **kwargs are untyped in matplotlib's stubs
    text = functools.partial(_legend_text, page.typeface)
    bins = np.searchsorted(SHARE_BINS[1:-1], values[np.isfinite(values)], side="right")
    handles = [
        patch(
            facecolor=colour,
            edgecolor="#666666",
            linewidth=0.5,
            label=text(f"{low:.0%}–{high:.0%}" + _brackets(str(int((bins == i).sum())), page.lang)),
        )
        for i, (colour, low, high) in enumerate(
            zip(SHARE_COLOURS, SHARE_BINS[:-1], SHARE_BINS[1:], strict=True)
        )
    ]
    missing = int((~np.isfinite(values)).sum())
    handles.append(
        patch(
            facecolor=NO_DATA_FACE,
            edgecolor=NO_DATA_EDGE,
            hatch=NO_DATA_HATCH,
            linewidth=0.5,
            label=text(label("no_data", page.lang) + _brackets(str(missing), page.lang)),
        )
    )
    return handles


def _symbol_handles(spec: PrintMap, page: _Page) -> list[Any]:
    """Return the legend entries of the sites, the hatched area and the streets."""
    from matplotlib import lines, patches

    line_2d: Any = lines.Line2D  # their **kwargs are untyped in matplotlib's stubs
    patch: Any = patches.Patch
    text = functools.partial(_legend_text, page.typeface)
    handles = [
        line_2d(
            [],
            [],
            linestyle="none",
            marker=s.marker,
            markersize=math.sqrt(s.size) * (1.0 if s.marker == "*" else 1.2),
            markerfacecolor=s.colour,
            markeredgecolor="black" if s.marker == "*" else "white",
            label=text(s.label),
        )
        for s in spec.sites
    ]
    if spec.area is not None:
        handles.append(
            patch(
                facecolor="none",
                edgecolor=_NEW_AREA_COLOUR,
                hatch=_NEW_AREA_HATCH,
                label=text(spec.area_label),
            )
        )
    if page.network:
        network = text(label("network", page.lang))
        handles.append(line_2d([], [], color=_NETWORK_COLOUR, lw=0.8, label=network))
    return handles


# ----------------------------------------------------------------------------- writing


def write_print_maps(
    result: StudyResult,
    folder: Path,
    *,
    lang: str | None = None,
    typeface: Typeface | None = None,
    dpi: int = DPI,
    on_pixels: Callable[[Path, NDArray[np.uint8]], None] | None = None,
) -> list[Path]:
    """Write every print map of a run as ``print/<name>.png`` and ``print/<name>.pdf``.

    Parameters
    ----------
    result
        From :func:`geoplan.run_study`.
    folder
        The run folder (``print/`` is made in it).
    lang
        ``"zh"`` or ``"en"``; default ``settings.lang``.
    typeface
        What to draw with; by default :func:`~geoplan.outputs.fonts.print_typeface`
        chooses (English, with a warning, when Chinese is asked for and the
        machine has no Chinese font).
    dpi
        Pixels per inch of the PNG pages.
    on_pixels
        Called with each PNG page's path and its pixels (see :func:`save_page`: in the
        thread that encodes the page).

    Returns
    -------
    list of pathlib.Path
        The files written, PNG then PDF of each map.
    """
    lang = resolve_lang(lang)
    if typeface is None:
        typeface, lang, _ = print_typeface(lang)
    study = result.study
    footer = _footer(study, lang, _date(study.started))
    _, edges = study.network.to_gdfs()
    paths: list[Path] = []
    with _style(typeface):
        page = _page(lang, typeface, footer, _lines(edges, study.communities))
    with _pdf_images_encoded_once():
        for spec in print_maps(result, lang):
            with _style(typeface):
                figure = _draw(spec, page)
                stem = folder / "print" / safe_name(spec.name)
                paths += save_page(figure, stem, spec.title, dpi=dpi, on_pixels=on_pixels)
    return paths


@contextlib.contextmanager
def _pdf_images_encoded_once() -> Iterator[None]:
    """Encode each distinct image of the PDF pages written inside the block once.

    matplotlib's PDF backend encodes a page's images as PNG data when it writes
    the page (``PdfFile._writePng``, Pillow's PNG encoder). The streets a large
    network's pages rasterise (:data:`RASTER_EDGES_ABOVE`) are the same image on
    every page, encoded again for each (0.27 s of Harbin's five pages' 1.2 s). The
    encoding is a function of the image alone (mode, size, pixels, palette,
    info), so inside this block it is kept by the image's content and reused:
    the pages' bytes are the same. Where matplotlib has no such method (another
    version), or the block is already in force, nothing changes.
    """
    from matplotlib.backends.backend_pdf import PdfFile

    original = PdfFile.__dict__.get("_writePng")
    if not callable(original) or getattr(original, "_geoplan_once", False):
        yield
        return
    encoded: dict[tuple[Any, ...], Any] = {}

    def write_png(pdf: Any, image: Any) -> Any:
        key = (
            image.mode,
            image.size,
            hashlib.blake2b(image.tobytes(), digest_size=20).digest(),
            bytes(image.getpalette() or ()),
            repr(sorted(image.info.items())),
        )
        if key not in encoded:
            encoded[key] = original(pdf, image)
        return encoded[key]

    write_png._geoplan_once = True  # type: ignore[attr-defined]
    PdfFile._writePng = write_png  # type: ignore[method-assign]
    try:
        yield
    finally:
        PdfFile._writePng = original  # type: ignore[method-assign]


def save_page(
    figure: Figure,
    stem: Path,
    title: str,
    *,
    dpi: int = DPI,
    on_pixels: Callable[[Path, NDArray[np.uint8]], None] | None = None,
) -> list[Path]:
    """Write a figure as ``<stem>.png`` and ``<stem>.pdf``, atomically and reproducibly.

    Neither file records when it was made (no creation date, no software
    version in the PNG), so the same figure gives the same bytes.

    Parameters
    ----------
    figure, stem, title
        The page, where to write it (without suffix) and its title (the PDF's).
    dpi
        Pixels per inch of the PNG.
    on_pixels
        Called with the PNG's path and its pixels (rows x columns x RGBA, the
        array the PNG was written from; valid only during the call), so that a
        caller needs not read the PNG back. It is called in the thread that
        encodes the PNG while this one draws the PDF: it must not draw.

    Returns
    -------
    list of pathlib.Path
        The PNG and the PDF.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    png, pdf = stem.with_suffix(".png"), stem.with_suffix(".pdf")
    canvas = FigureCanvasAgg(figure)
    # drawn here (as savefig draws a PNG), encoded beside the PDF's drawing
    figure.savefig(io.BytesIO(), format="rgba", dpi=dpi)
    pixels = np.array(canvas.buffer_rgba())  # type: ignore[no-untyped-call]
    with ThreadPoolExecutor(1, thread_name_prefix="geoplan-png") as encoder:
        encoded = encoder.submit(_encode_png, pixels, png, dpi, on_pixels)
        _save_pdf(figure, pdf, title, dpi)
        encoded.result()
    return [png, pdf]


def _encode_png(
    pixels: NDArray[np.uint8],
    png: Path,
    dpi: int,
    on_pixels: Callable[[Path, NDArray[np.uint8]], None] | None,
) -> None:
    """Write a drawn page's pixels as ``png``, as matplotlib's ``savefig`` writes a PNG.

    Pillow's encoder leaves Python's lock while it compresses, so a second
    thread encodes one page while matplotlib draws its PDF (0.1 s a page).
    """
    from matplotlib.image import imsave

    with atomic_path(png) as tmp:
        imsave(
            tmp,
            pixels,
            format="png",
            origin="upper",
            dpi=dpi,
            metadata={"Software": None},  # type: ignore[dict-item]  # None: left out
            pil_kwargs={"compress_level": _PNG_COMPRESSION},
        )
    if on_pixels is not None:
        on_pixels(png, pixels)


def _save_pdf(figure: Figure, pdf: Path, title: str, dpi: int) -> None:
    """Write the page as a PDF that records no date nor software version."""
    with atomic_path(pdf) as tmp:
        figure.savefig(
            tmp,
            format="pdf",
            dpi=dpi,
            metadata={
                "Title": title,
                "Creator": f"geoplan {__version__}",
                "Producer": None,
                "CreationDate": None,
            },
        )
