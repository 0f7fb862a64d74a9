"""``python -m bench [SUITE] [--quick] [--out FILE]``: run a suite, print and save its table."""

from __future__ import annotations

import argparse
import datetime as dt
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


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument(
        "suite",
        nargs="?",
        default="engine",
        choices=["engine", "service-areas", "coverage", "siting", "maps"],
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one repeat (CI smoke)")
    parser.add_argument("--out", type=Path, default=None, help="write the Markdown table here")
    args = parser.parse_args()
    if args.suite == "service-areas":
        from . import service_areas as suite
    elif args.suite == "coverage":
        from . import coverage as suite
    elif args.suite == "siting":
        from . import siting as suite
    elif args.suite == "maps":
        from . import maps as suite
    else:
        from . import engine as suite

    table = suite.run(quick=args.quick)
    text = f"{args.suite} benchmark, {dt.date.today()}, {machine()}\n\n{table.markdown()}\n"
    print("\n" + text)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)


if __name__ == "__main__":
    main()
