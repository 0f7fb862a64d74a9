"""The run folder's writers under their first names (they live in :mod:`geoplan.outputs`).

``geoplan.report.write_run`` and the other names here stay importable for code
written against geoplan 0.1; new code imports them from :mod:`geoplan.outputs`.
"""

from __future__ import annotations

from geoplan._io import atomic_path, sha256
from geoplan.outputs.run import write_run
from geoplan.outputs.run_folder import RUN_MARKER, RunFolder
from geoplan.outputs.tables import write_layers, write_table, write_workbook

__all__ = [
    "RUN_MARKER",
    "RunFolder",
    "atomic_path",
    "sha256",
    "write_layers",
    "write_run",
    "write_table",
    "write_workbook",
]
