"""Writing the run folder, writer by writer, the new code beside the code it replaced.

One synthetic study (80 m streets, three measured types, a canteen request) is run
once; then each writer of the run folder is timed on it, and right after it the
same writer with the old code put back (in the same process, so the machine's load
is the same for both):

- tables: ``tables.xlsx`` through pandas' ``to_excel`` and openpyxl (the fallback kept
  for dates), against the worksheets written as text (``outputs._xlsx``);
- maps: every map rendered from a deep copy with its text recompiled as templates
  (folium's own render), against ``outputs._render``;
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


OLD: dict[str, Callable[[], contextlib.AbstractContextManager[Any]]] = {
    "tables": lambda: mock.patch.object(tables, "write_sheets", return_value=False),
    "maps": lambda: mock.patch.object(maps, "_render", deep_copy_render),
    "print maps": lambda: mock.patch.object(print_maps, "_streets", remade_streets),
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
            sides = {"geoplan": unchanged, "old code": OLD.get(name)}
            seconds: dict[str, list[float]] = {tool: [] for tool, p in sides.items() if p}
            for attempt in range(repeat):
                for tool, times in seconds.items():
                    folder = Path(tmp) / f"{name}-{tool}-{attempt}"
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
