"""Whether two git revisions of geoplan write the same tables, rasters and layers.

``python -m bench.identical [--base REV] [--head REV] [--study FILE.toml]``
exports each revision (``git archive``, nothing in the repository changes)
into a temporary folder, runs the study with it in a fresh process
(``Study.from_config``, ``run_study``, ``write_run``; the demo study when no
file is given) and compares the two run folders:

* every table: CSV files byte for byte, xlsx workbooks cell value by cell value
  (their zip holds the time they were written);
* every raster (``*.tif``) byte for byte;
* every GeoPackage layer: the same columns, values and geometries (WKB).

Maps, report pages, print maps and ``run.json`` hold times and are not compared.
Exit status 1 when anything differs. A speed-up must change nothing a user sees.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_RUN = """
import sys
from pathlib import Path
import geoplan
from geoplan.outputs import write_run
from geoplan.study import study_settings
if sys.argv[1] == "demo":
    from geoplan.cli.demo import demo_config
    config = demo_config()
else:
    from geoplan.config import load_config
    config = load_config(sys.argv[1])
with study_settings(config):
    result = geoplan.run_study(geoplan.Study.from_config(config))
    write_run(result, Path(sys.argv[2]))
"""


def export(revision: str, into: Path) -> Path:
    """Write the files of ``revision`` into ``into`` (``git archive``); return it."""
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", revision], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def run_study(code: Path, study: str, out: Path) -> Path:
    """Run ``study`` with the geoplan in ``code`` in a fresh process; return the run folder."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    subprocess.run([sys.executable, "-c", _RUN, study, str(out)], check=True, env=env, cwd=code)
    return out


def _workbook_values(path: Path) -> list[tuple[str, list[tuple[object, ...]]]]:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    return [(sheet.title, list(sheet.iter_rows(values_only=True))) for sheet in book.worksheets]


def _layers_equal(left: Path, right: Path) -> list[str]:
    """Names of the GeoPackage layers (of ``left``) that differ in ``right``."""
    import geopandas as gpd
    import pyogrio
    import shapely

    names = [name for name, _ in pyogrio.list_layers(left)]
    if names != [name for name, _ in pyogrio.list_layers(right)]:
        return ["(the list of layers)"]
    differ = []
    for name in names:
        a, b = gpd.read_file(left, layer=name), gpd.read_file(right, layer=name)
        geometry = [a.geometry.name] if isinstance(a, gpd.GeoDataFrame) and "geometry" in a else []
        same_columns = list(a.columns) == list(b.columns) and len(a) == len(b)
        if not same_columns or not a.drop(columns=geometry).equals(b.drop(columns=geometry)):
            differ.append(name)
            continue
        if (
            geometry
            and (shapely.to_wkb(a.geometry.values) != shapely.to_wkb(b.geometry.values)).any()
        ):
            differ.append(f"{name} (geometry)")
    return differ


def compare(left: Path, right: Path) -> tuple[list[str], list[str]]:
    """Return the files compared and those that differ (relative paths)."""
    compared, differ = [], []
    ours = sorted(p.relative_to(left) for p in left.rglob("*") if p.is_file())
    theirs = {p.relative_to(right) for p in right.rglob("*") if p.is_file()}
    for rel in ours:
        if rel.suffix not in {".csv", ".tif", ".xlsx", ".gpkg"}:
            continue
        compared.append(str(rel))
        if rel not in theirs:
            differ.append(f"{rel} (missing)")
        elif rel.suffix in {".csv", ".tif"}:
            if (left / rel).read_bytes() != (right / rel).read_bytes():
                differ.append(str(rel))
        elif rel.suffix == ".xlsx":
            if _workbook_values(left / rel) != _workbook_values(right / rel):
                differ.append(str(rel))
        else:
            differ += [f"{rel}: {name}" for name in _layers_equal(left / rel, right / rel)]
    missing = {str(r) for r in theirs - set(ours) if r.suffix in {".csv", ".tif", ".xlsx"}}
    differ += [f"{r} (only in the second run)" for r in sorted(missing)]
    return compared, differ


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.identical")
    parser.add_argument("--base", default="9058a08", help="the revision before (default 9058a08)")
    parser.add_argument("--head", default="HEAD", help="the revision after (default HEAD)")
    parser.add_argument("--study", default="demo", help="a study TOML (absolute path) or demo")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        runs = []
        for name, revision in (("base", args.base), ("head", args.head)):
            code = export(revision, Path(tmp) / name)
            runs.append(run_study(code, args.study, Path(tmp) / f"run-{name}"))
        compared, differ = compare(*runs)
    print(f"{args.study}: {args.base} vs {args.head}: compared {len(compared)} files")
    for rel in compared:
        print(f"  {'DIFFERS' if any(d.startswith(rel) for d in differ) else 'same   '} {rel}")
    for line in differ:
        print(f"  differs: {line}")
    print("identical" if not differ else f"{len(differ)} differences")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
