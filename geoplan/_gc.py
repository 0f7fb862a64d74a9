"""Fewer cyclic garbage collections while a study loads, runs and is written.

Python's collector runs a young collection every 700 net allocations of
container objects (lists, dicts, frames' and maps' objects), and an older one
every ten of those, each walking every object of its generations. A study
makes millions of such objects (map features, table cells, life-circle tiles)
and frees nearly all of them by reference counting, not by the collector;
the collections found little and cost time. Inside :func:`fewer_collections`
a young collection runs every :data:`THRESHOLDS` ``[0]`` allocations and the
older ones rarely, so cyclic garbage is still collected, later. Measured on
Harbin's whole study, ten pairs alternately (2026-12-04, bench/README.md):
10.93 -> 10.51 s on average, CPU 18.5 -> 17.7 s, peak PSS of the process tree
unchanged within its spread. A forked child (:mod:`geoplan._background`)
inherits the setting, so it also touches fewer of the pages it shares with
this process (the 200k city's tree peaked 60-80 MB lower).

The previous thresholds come back on leaving: a notebook's own work is
collected as before. The setting is the process's, not a thread's.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

__all__ = ["THRESHOLDS", "fewer_collections"]

#: The collector's thresholds inside :func:`fewer_collections` (Python's are 700, 10, 10).
THRESHOLDS = (100_000, 50, 100)


@contextlib.contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect cyclic garbage less often inside a ``with`` block (or a decorated function)."""
    before = gc.get_threshold()
    gc.set_threshold(*THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
