"""``python -m bench [SUITE] [--quick] [--out FILE]``: run one suite or all, print and save."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import platform
from pathlib import Path

import numpy as np
import scipy


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores; Python {platform.python_version()}, "
        f"numpy {np.__version__}, scipy {scipy.__version__}"
    )


SUITES = (
    "readers",
    "lines",
    "engine",
    "drive",
    "contraction",
    "service_areas",
    "coverage",
    "siting",
    "hard_location",
    "maps",
    "writers",
    "scaling",
    "study_ratio",
    "province",
)


def run_all(quick: bool) -> str:
    """Every suite in turn (every heavy step of a study beside its peer), one Markdown text."""
    parts = [f"# geoplan benchmark suite, {dt.date.today()}, {machine()}\n"]
    for name in SUITES:
        suite = importlib.import_module(f"bench.{name}")
        print(f"== {name}", flush=True)
        table = suite.run(quick=quick)
        parts.append(f"## {name}\n\n{table.markdown()}\n")
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument(
        "suite",
        nargs="?",
        default="all",
        choices=["all", *(s.replace("_", "-") for s in SUITES)],
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repeat (CI smoke)")
    parser.add_argument("--out", type=Path, default=None, help="write the Markdown table here")
    args = parser.parse_args()
    if args.suite == "all":
        text = run_all(quick=args.quick)
    else:
        suite = importlib.import_module(f"bench.{args.suite.replace('-', '_')}")
        table = suite.run(quick=args.quick)
        text = f"{args.suite} benchmark, {dt.date.today()}, {machine()}\n\n{table.markdown()}\n"
    print("\n" + text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)


if __name__ == "__main__":
    main()
