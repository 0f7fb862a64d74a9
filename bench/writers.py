"""Writing the run folder, writer by writer, the new code beside the code it replaced.

One synthetic study (80 m streets, three measured types, a canteen request) is run
once; then each writer of the run folder is timed on it, and right after it the
same writer with the old code put back (in the same process, so the machine's load
is the same for both):

- tables: ``tables.xlsx`` through pandas' ``to_excel`` and openpyxl (the fallback kept
  for dates), against the worksheets written as text (``outputs._xlsx``);
- maps: every map rendered from a deep copy with its text recompiled as templates
  (folium's own render), each layer's GeoJSON made as text and parsed again, and the
  base layer's streets taken line by line, against ``outputs._render`` and the rest;
- print maps: ``LineCollection`` remaking each street's path per map, against the
  paths made once;
- report.pdf: unchanged, timed for the record.

Both sides write the same bytes (tests/test_xlsx_writer.py, test_map_render.py,
test_print_shared_streets.py); here they are timed. ``python -m bench writers``
(50k nodes) or ``--quick`` (5k).
"""

from __future__ import annotations

import contextlib
import copy
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import geoplan
from geoplan.config import parse_config
from geoplan.outputs import maps, print_maps, tables
from geoplan.outputs import run as run_folder
from geoplan.outputs._render import elements
from geoplan.outputs.fonts import print_typeface
from geoplan.outputs.report_pdf import write_report_pdf

from ._harness import Table
from .maps import study_config


def deep_copy_render(m: Any) -> str:
    """The old render: a deep copy, ids numbered, every piece of text compiled again."""
    shown = copy.deepcopy(m)
    root = shown.get_root()
    for number, element in enumerate(elements(root)):
        element._id = f"{number:032x}"
    page: str = root.render()
    return page


def features_via_json(frame: Any, m: Any, properties: Any, *, tolerance_m: Any = None) -> Any:
    """The old layer features: GeoJSON text made by geopandas, then parsed again."""
    import json

    import geopandas as gpd

    table = gpd.GeoDataFrame(
        {name: list(values) for name, values in properties.items()},
        geometry=frame.geometry.to_numpy(),
        crs=frame.crs,
    )
    shown = maps._to_map_coordinates(table, m, tolerance_m=tolerance_m)
    return json.loads(shown.to_json(drop_id=True))


def encoded_line_by_line(kind: str, geometries: Any) -> Any:
    """The old base-layer encoding: each street's coordinates taken one line at a time."""
    import shapely

    from geoplan.outputs._polyline import encode_parts

    parts = shapely.get_parts(shapely.get_parts(geometries))
    types = shapely.get_type_id(parts)
    if kind in ("road", "main_road"):
        lines = parts[types == 1]
        return {"kind": kind, "lines": encode_parts([shapely.get_coordinates(p) for p in lines])}
    polygons = [
        encode_parts([shapely.get_coordinates(r) for r in (p.exterior, *p.interiors)])
        for p in parts[types == 3]
    ]
    return {"kind": kind, "polygons": polygons}


@contextlib.contextmanager
def old_maps() -> Iterator[None]:
    with (
        mock.patch.object(maps, "render_page", deep_copy_render),
        mock.patch.object(maps, "_features", features_via_json),
        mock.patch.object(maps, "_encoded", encoded_line_by_line),
    ):
        yield


def remade_streets(page: Any) -> Any:
    """The old print streets: matplotlib makes a path of every street, for every map."""
    from matplotlib.collections import LineCollection

    return LineCollection(
        page.network,
        colors=print_maps._NETWORK_COLOUR,
        linewidths=0.2,
        alpha=0.7,
        zorder=3,
        rasterized=len(page.network) > print_maps.RASTER_EDGES_ABOVE,
    )


#: Each writer's old code, by the name its row gets, and how to put it back for a while.
OLD: dict[str, tuple[str, Callable[[], contextlib.AbstractContextManager[Any]]]] = {
    "tables": (
        "old: xlsx by pandas to_excel + openpyxl",
        lambda: mock.patch.object(tables, "write_sheets", return_value=False),
    ),
    "maps": ("old: deep copies, text recompiled, JSON parsed again", old_maps),
    "print maps": (
        "old: a path per street per map",
        lambda: mock.patch.object(print_maps, "_streets", remade_streets),
    ),
}


@contextlib.contextmanager
def unchanged() -> Iterator[None]:
    yield


def writers(result: geoplan.StudyResult) -> dict[str, Callable[[Path], Any]]:
    typeface, lang, _ = print_typeface("zh")
    pngs: list[Path] = []

    def print_pages(folder: Path) -> None:
        written = print_maps.write_print_maps(result, folder, lang=lang, typeface=typeface)
        pngs[:] = [p for p in written if p.suffix == ".png"]

    return {
        "tables": lambda folder: run_folder._tables(result, folder),
        "maps": lambda folder: run_folder._maps(result, folder, None, False),
        "print maps": print_pages,
        "report.pdf": lambda folder: write_report_pdf(
            result, folder, figures=pngs, lang=lang, typeface=typeface
        ),
    }


#: Each side is timed this many times, alternating new and old, each into a fresh folder.
REPEAT = 2


def run_writers(table: Table, n_nodes: int, repeat: int = REPEAT) -> None:
    config = parse_config(study_config(n_nodes))
    result = geoplan.run_study(geoplan.Study.from_config(config))
    label = f"{result.study.network.n_nodes:,} nodes, {len(result.study.communities):,} communities"
    with run_folder._settings_of(result), tempfile.TemporaryDirectory() as tmp:
        for name, write in writers(result).items():
            sides = {"geoplan": unchanged}
            if name in OLD:
                sides[OLD[name][0]] = OLD[name][1]
            seconds: dict[str, list[float]] = {tool: [] for tool in sides}
            for attempt in range(repeat):
                for tool, times in seconds.items():
                    folder = Path(tmp) / f"{name}-{len(times)}-{attempt}-{tool[:3]}"
                    with sides[tool]():
                        start = time.perf_counter()
                        write(folder)
                        times.append(time.perf_counter() - start)
            for tool, times in seconds.items():
                note = f"best of {repeat}, alternating with the other side" if repeat > 1 else ""
                table.record(f"write {name}", label, f"{tool} ({name})", min(times), note=note)


def run(quick: bool = False) -> Table:
    table = Table()
    for n in [5_000] if quick else [50_000]:
        run_writers(table, n, repeat=1 if quick else REPEAT)
    return table
