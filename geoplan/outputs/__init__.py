"""What a run writes: the run folder, tables and workbook, layers, maps and the report page.

The top floor of geoplan: it reads results and writes files; nothing below it
imports it.

* :mod:`geoplan.outputs.run` — :func:`write_run`: a study's results as a run folder;
* :mod:`geoplan.outputs.run_folder` — the folder itself: staged, locked, with a manifest;
* :mod:`geoplan.outputs.tables` — CSV, Excel and GeoPackage writers (spreadsheet-safe);
* :mod:`geoplan.outputs.sites` — proposed sites a bureau can find (xlsx, GeoJSON, KML);
* :mod:`geoplan.outputs.qgis` — QGIS styles inside layers.gpkg (``layer_styles``);
* :mod:`geoplan.outputs.maps` — folium maps (public as :mod:`geoplan.maps`);
* :mod:`geoplan.outputs.report_page` — report.html;
* :mod:`geoplan.outputs.print_maps` — static print maps (``print/*.png``, ``print/*.pdf``);
* :mod:`geoplan.outputs.report_pdf` — report.pdf (the page's content, the print maps as figures);
* :mod:`geoplan.outputs.fonts` — the Chinese typeface they print with;
* :mod:`geoplan.outputs.assets` — Leaflet and its plugins for maps that open offline.
"""

from __future__ import annotations

from geoplan.outputs import maps
from geoplan.outputs.run import write_run
from geoplan.outputs.run_folder import RUN_MARKER, RunFolder
from geoplan.outputs.tables import write_layers, write_table, write_workbook

__all__ = [
    "RUN_MARKER",
    "RunFolder",
    "maps",
    "write_layers",
    "write_run",
    "write_table",
    "write_workbook",
]
