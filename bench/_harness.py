"""Timing, peak memory and the Markdown table shared by the benchmark suites."""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Row:
    case: str
    data: str
    tool: str
    seconds: float
    peak_mb: float | None = None
    note: str = ""
    ratio: float | None = None


@dataclass
class Table:
    rows: list[Row] = field(default_factory=list)

    def time(
        self,
        case: str,
        data: str,
        tool: str,
        fn: Callable[[], Any],
        *,
        repeat: int = 3,
        memory: bool = False,
        scale: float = 1.0,
        note: str = "",
    ) -> Any:
        """Run fn `repeat` times; record the median (times `scale` for extrapolated runs)."""
        times = []
        result = None
        for _ in range(repeat):
            gc.collect()
            start = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - start)
        peak = None
        if memory:
            gc.collect()
            tracemalloc.start()
            fn()
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        row = Row(case, data, tool, statistics.median(times) * scale, peak, note)
        self.rows.append(row)
        print(f"  {case:<28} {data:<22} {tool:<34} {row.seconds:9.4f} s {note}", flush=True)
        return result

    def record(
        self,
        case: str,
        data: str,
        tool: str,
        seconds: float,
        note: str = "",
        peak_mb: float | None = None,
    ) -> None:
        """Add a row timed elsewhere (one-off steps such as building an index)."""
        self.rows.append(Row(case, data, tool, seconds, peak_mb, note))
        print(f"  {case:<28} {data:<22} {tool:<34} {seconds:9.4f} s {note}", flush=True)

    def note(self, case: str, data: str, tool: str, note: str) -> None:
        """Add a row that is a figure rather than a time (e.g. a fitted exponent)."""
        self.rows.append(Row(case, data, tool, float("nan"), None, note))
        print(f"  {case:<28} {data:<22} {tool:<34}   {note}", flush=True)

    def skip(self, case: str, data: str, tool: str, note: str) -> None:
        self.rows.append(Row(case, data, tool, float("nan"), None, note))
        print(f"  {case:<28} {data:<22} {tool:<34}   skipped: {note}", flush=True)

    def markdown(self) -> str:
        """Rows grouped by case and data; ratio = tool time / geoplan time."""
        lines = [
            "| case | data | tool | median time | peak memory | x geoplan | note |",
            "|---|---|---|---:|---:|---:|---|",
        ]
        base: dict[tuple[str, str], float] = {}
        for row in self.rows:
            if row.tool.startswith("geoplan") and (row.case, row.data) not in base:
                base[(row.case, row.data)] = row.seconds
        for row in self.rows:
            ref = base.get((row.case, row.data))
            ratio = row.seconds / ref if ref and row.seconds == row.seconds else None
            seconds = "—" if row.seconds != row.seconds else _fmt(row.seconds)
            peak = "" if row.peak_mb is None else f"{row.peak_mb:,.0f} MB"
            lines.append(
                f"| {row.case} | {row.data} | {row.tool} | {seconds} | {peak} | "
                f"{'' if ratio is None else f'{ratio:,.2f}'} | {row.note} |"
            )
        return "\n".join(lines)


def _fmt(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:,.1f} ms"
    return f"{seconds:,.2f} s"
