"""One piece of a run's writing done in a second process while this one writes the rest.

A run folder's print maps and report.pdf take about as long as everything else
written (layers, tables, rasters, HTML maps), and neither half needs the other.
:func:`start` forks a child that runs the function and sends back what it
returns; :meth:`Job.result` waits for it. The child is a copy of this process
at the moment of the fork (the study's frames are shared, not pickled), so what
it writes is byte for byte what this process would write.

The child is forked only where that is known to be safe: on Linux, with free
memory for a copy of this whole process (the child shares its pages until it
writes them; Harbin's child held 0.32 GB of its own beside the parent's 0.94),
from a process that is not itself a daemonic worker and runs no other Python
thread (a notebook's kernel or a Dask worker runs threads whose locks a child
could inherit held). The only other threads of a ``geoplan run`` are then the
OpenBLAS pools of numpy and scipy, which prepare themselves for a fork (Python
3.12 and 3.13 fork such a process without their warning about threads), and
tqdm's progress-bar monitor, which is stopped first and restarts with the next
bar. Anywhere else, or with ``settings.write_in_parallel`` off, the function
runs in this process when its result is asked for, as it always did.

Kill-safety: the child ignores Ctrl-C (this process stops it and waits for it
before the run's staging folder is removed) and is stopped by the kernel when
this process dies, so a killed run leaves only its staging folder, which the
next run removes.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Generic, TypeVar

from geoplan._errors import OutputError
from geoplan.settings import settings

__all__ = ["Job", "can_fork", "start"]

T = TypeVar("T")

#: prctl(2) option asking the kernel to signal a child when its parent dies.
_PR_SET_PDEATHSIG = 1


class Job(Generic[T]):
    """A function's result, computed in this process when asked for.

    Parameters
    ----------
    function
        What to run (no arguments).
    """

    #: Whether the function runs in a forked child.
    forked = False

    def __init__(self, function: Callable[[], T]) -> None:
        self._function = function
        self.seconds = 0.0

    def result(self) -> T:
        """Run the function and return what it returns (its time in :attr:`seconds`)."""
        begin = time.perf_counter()
        value = self._function()
        self.seconds = time.perf_counter() - begin
        return value

    def cancel(self) -> None:
        """Give up the result (nothing runs)."""


class _ForkedJob(Job[T]):
    """A function running in a forked child process."""

    forked = True

    def __init__(self, function: Callable[[], T]) -> None:
        super().__init__(function)
        context = multiprocessing.get_context("fork")
        receive, send = context.Pipe(duplex=False)
        parent = os.getpid()
        self._receive = receive
        self._process = context.Process(
            target=_child, args=(function, send, parent), name="geoplan-print", daemon=True
        )
        was_enabled = gc.isenabled()
        gc.disable()
        # the study's objects move out of the collector's sight while the child starts,
        # so that its collections do not touch (and copy) every page they lie on
        gc.freeze()
        try:
            self._process.start()
        finally:
            gc.unfreeze()
            if was_enabled:
                gc.enable()
        send.close()

    def result(self) -> T:
        """Wait for the child; return its result or raise its exception here."""
        try:
            message = self._receive.recv()
        except EOFError:
            message = None
        self._process.join()
        self._receive.close()
        if message is None:
            code = self._process.exitcode
            msg = (
                f"the process writing the print maps and report.pdf ended without a result "
                f"(exit code {code}; a negative code is the signal that stopped it, e.g. "
                "-9 when the machine ran out of memory); run again, or set "
                "`[outputs] print = false` to leave them out"
            )
            raise OutputError(msg)
        kind, value, seconds = message
        self.seconds = seconds
        if kind == "error":
            raise _exception(value)
        return value  # type: ignore[no-any-return]

    def cancel(self) -> None:
        """Stop the child and wait for it (so it writes nothing more)."""
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._receive.close()


def can_fork() -> bool:
    """Whether :func:`start` may run work in a forked child here (see the module's notes)."""
    return _fork_allowed() and _no_other_threads()


def _fork_allowed() -> bool:
    """Every condition of :func:`can_fork` but the threads."""
    return (
        settings.write_in_parallel
        and sys.platform.startswith("linux")
        and "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon
        and _room_for_a_copy()
    )


def _no_other_threads() -> bool:
    return threading.active_count() == 1


def _room_for_a_copy() -> bool:
    """Whether the machine's free memory could hold a copy of this whole process.

    A forked child shares this process's pages until it writes them; at worst it
    copies them all. Where that could not fit, the files are written one after
    another, in this process, as before (no more memory than a serial run).
    """
    try:
        rss_kb = _kilobytes(Path("/proc/self/status"), "VmRSS:")
        available_kb = _kilobytes(Path("/proc/meminfo"), "MemAvailable:")
    except (OSError, ValueError):
        return False
    return available_kb >= rss_kb


def _kilobytes(path: Path, key: str) -> int:
    for line in path.read_text(encoding="ascii", errors="replace").splitlines():
        if line.startswith(key):
            return int(line.split()[1])
    msg = f"no {key} in {path}"
    raise ValueError(msg)


def start(function: Callable[[], T]) -> Job[T]:
    """Start ``function`` in a forked child where :func:`can_fork`; else run it when asked.

    Examples
    --------
    >>> job = start(lambda: 6 * 7)
    >>> job.result()
    42
    """
    if not _fork_allowed():
        return Job(function)
    _stop_progress_monitors()
    return _ForkedJob(function) if _no_other_threads() else Job(function)


def _stop_progress_monitors() -> None:
    """Stop tqdm's monitor threads, so that they hold no lock at a fork.

    A progress bar starts one (it wakes every 10 s to redraw slow bars); tqdm
    starts a new one with its next bar.
    """
    monitor_type = getattr(sys.modules.get("tqdm._monitor"), "TMonitor", None)
    if monitor_type is None:
        return
    for thread in threading.enumerate():
        if isinstance(thread, monitor_type):
            thread.exit()
            owner = getattr(thread, "tqdm_cls", None)
            if owner is not None and getattr(owner, "monitor", None) is thread:
                owner.monitor = None


def _child(function: Callable[[], Any], send: Connection, parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us, after cleaning up
    gc.enable()  # for what the child makes; the parent's objects stay frozen here
    _stop_with(parent)
    begin = time.perf_counter()
    kind, value = "ok", None
    try:
        value = function()
    except BaseException as exc:  # every failure goes back to the parent
        kind, value = "error", _portable(exc)
    seconds = time.perf_counter() - begin
    try:
        send.send((kind, value, seconds))
    except Exception as exc:  # a result that does not pickle
        send.send(("error", "".join(traceback.format_exception(exc)), seconds))
    send.close()


def _stop_with(parent: int) -> None:
    """Ask the kernel to stop this process when ``parent`` dies (Linux's prctl)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


def _portable(exc: BaseException) -> BaseException | str:
    """``exc`` if it survives pickling, else its traceback as text."""
    try:
        pickle.loads(pickle.dumps(exc))  # noqa: S301 - our own bytes, just made
    except Exception:  # any exception that does not pickle
        return "".join(traceback.format_exception(exc))
    return exc


def _exception(value: BaseException | str) -> BaseException:
    if isinstance(value, BaseException):
        value.add_note("(raised while writing the print maps and report.pdf)")
        return value
    msg = f"writing the print maps and report.pdf failed:\n{value}"
    return OutputError(msg)
