"""One piece of a run done in a second process while this one does another.

Three pairs of a run's pieces need nothing of each other: the extract's
buildings and points of interest and its network (``Loader``), the site
proposals and the life circles (``run_study``), and the print maps and
report.pdf against the rest of the run folder (``write_all``, which shares
the tables, layers and rasters through :class:`SharedWork`). :func:`start`
forks a child that runs a function and sends back what it returns;
:meth:`Job.result` waits for it. The child may then use its spare time for
work given as ``afterwards`` (the maps' base layer, once the proposals are
sent), which :meth:`Job.stop_afterwards` collects as far as it got. The
child is a copy of this process at the moment of the fork (the study's frames
are shared, not pickled), so what it computes or writes is byte for byte what
this process would.

A job may also be forked before what it works on exists (:func:`start_given`):
the child gets ready (the print writer loads matplotlib, fpdf and the fonts
while the run's steps go on) and then waits for this process to
:meth:`~GivenJob.give` it its input, which is pickled (the run's results).

The child is forked only where that is known to be safe: on Linux, with free
memory for a copy of this whole process (the child shares its pages until it
writes them; Harbin's child held 0.32 GB of its own beside the parent's 0.94),
from a process that is not itself a daemonic worker and runs no other Python
thread (a notebook's kernel or a Dask worker runs threads whose locks a child
could inherit held). The only other threads of a ``geoplan run`` are then the
OpenBLAS pools of numpy and scipy, which prepare themselves for a fork (Python
3.12 and 3.13 fork such a process without their warning about threads), and
tqdm's progress-bar monitor, which is stopped first and restarts with the next
bar. Anywhere else, or with ``settings.parallel`` off, the function runs in
this process when its result is asked for, as it always did.

Kill-safety: the child ignores Ctrl-C (this process stops it and waits for it,
before a run's staging folder is removed) and is stopped by the kernel when
this process dies, so a killed run leaves only its staging folder, which the
next run removes.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import logging
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.reduction import ForkingPickler
from pathlib import Path
from typing import Any, Generic, TypeVar

from geoplan._errors import GeoplanError
from geoplan.settings import settings

__all__ = ["GivenJob", "Job", "SharedWork", "Task", "can_fork", "start", "start_given"]

T = TypeVar("T")

log = logging.getLogger(__name__)

#: prctl(2) option asking the kernel to signal a child when its parent dies.
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Task:
    """What a job does, for its messages.

    Attributes
    ----------
    doing
        "writing the print maps and report.pdf": an error's note says it was
        raised while doing this.
    remedy
        What a user can do when the job's process is killed ("set ... to leave them out").
    error
        The error raised when the process is killed or its exception does not pickle.
    """

    doing: str
    remedy: str
    error: type[GeoplanError] = GeoplanError


class Job(Generic[T]):
    """A function's result, computed in this process when asked for.

    Parameters
    ----------
    function
        What to run (no arguments).
    task
        What it does, for messages.
    """

    #: Whether the function runs in a forked child.
    forked = False

    def __init__(self, function: Callable[[], T], task: Task) -> None:
        self._function = function
        self.task = task
        self.seconds = 0.0

    def result(self) -> T:
        """Run the function and return what it returns (its time in :attr:`seconds`)."""
        begin = time.perf_counter()
        value = self._function()
        self.seconds = time.perf_counter() - begin
        return value

    def cancel(self) -> None:
        """Give up the result (nothing runs)."""

    def pending(self) -> bool:
        """Whether the result is still being made elsewhere; here never (it is made when asked)."""
        return False

    def stop_afterwards(self) -> dict[str, Any]:
        """Return what the job did after its result; here none (see :func:`start`)."""
        return {}


class _ForkedJob(Job[T]):
    """A function running in a forked child process."""

    forked = True

    def __init__(
        self,
        function: Callable[[], T],
        task: Task,
        afterwards: Mapping[str, Callable[[], Any]] | None = None,
    ) -> None:
        super().__init__(function, task)
        context = multiprocessing.get_context("fork")
        receive, send = context.Pipe(duplex=False)
        parent = os.getpid()
        self._receive = receive
        self._afterwards = dict(afterwards or {})
        self._process = context.Process(
            target=_child,
            args=(function, send, parent, self._afterwards),
            name="geoplan-job",
            daemon=True,
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
        if message is None or message[0] == "error" or not self._afterwards:
            self._process.join()
            self._receive.close()
        if message is None:
            code = self._process.exitcode
            msg = (
                f"the process {self.task.doing} ended without a result (exit code {code}; "
                "a negative code is the signal that stopped it, e.g. -9 when the machine "
                f"ran out of memory); run again, or {self.task.remedy}"
            )
            raise self.task.error(msg)
        kind, value, seconds = message
        self.seconds = seconds
        if kind == "error":
            raise _exception(value, self.task)
        return value  # type: ignore[no-any-return]

    def pending(self) -> bool:
        """Whether the child is still making the result (it has sent nothing yet)."""
        if self._receive.closed:
            return False
        try:
            return not self._receive.poll()
        except OSError:  # the pipe is gone: the child ended
            return False

    def cancel(self) -> None:
        """Stop the child and wait for it (so it writes nothing more)."""
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._receive.close()

    def stop_afterwards(self) -> dict[str, Any]:
        """Return the pieces of work done after the result so far; stop the child doing more.

        Call it after :meth:`result`. A piece finished is kept, one under way is
        abandoned (the child is stopped), one not begun is never done.
        """
        done: dict[str, Any] = {}
        if self._receive.closed:
            return done
        with contextlib.suppress(EOFError, OSError):  # the child ended meanwhile
            while self._receive.poll():
                name, value = self._receive.recv()
                done[name] = value
        self.cancel()
        return done


#: How much lower than this process's the priority of a child getting ready is (nice(2)):
#: it then uses the time the run's own processes leave, not theirs.
_READYING_NICENESS = 10


class GivenJob(_ForkedJob[Any], Generic[T]):
    """A forked child that gets ready, waits for its input, then runs a function of it.

    Made by :func:`start_given`. It gets ready in a thread of its own at nice
    10 (in the time other processes leave) and runs the function at the
    usual priority as soon as it has the input. :meth:`give` sends the input
    (pickled; the child reads it while it is still getting ready, so this
    process never waits for it); :meth:`~Job.result` and :meth:`~Job.cancel`
    are a forked job's.
    """

    def __init__(
        self,
        function: Callable[[Any], T],
        task: Task,
        ready: Callable[[], None] | None = None,
    ) -> None:
        context = multiprocessing.get_context("fork")
        inbox, outbox = context.Pipe(duplex=False)
        self._outbox: Connection | None = outbox

        def when_given() -> tuple[T, float]:
            outbox.close()  # this child's copy: only this process's closing ends the wait
            given: list[Any] = []
            reader = threading.Thread(target=_read_into, args=(inbox, given), daemon=True)
            reader.start()
            if ready is not None:  # its own thread: the function runs at the usual priority
                threading.Thread(target=_get_ready, args=(ready,), daemon=True).start()
            reader.join()
            if not given:
                msg = f"{task.doing}: the run ended before its results were given"
                raise task.error(msg)
            begin = time.perf_counter()
            return function(given[0]), time.perf_counter() - begin

        super().__init__(when_given, task)
        inbox.close()

    def result(self) -> T:
        """Wait for the child; return its result (its time, once given, in :attr:`seconds`)."""
        timed: tuple[T, float] = super().result()
        value, self.seconds = timed
        return value

    def give(self, value: Any) -> None:
        """Send the child its input (once); it then runs the function of it."""
        if self._outbox is None:
            msg = "a given job's input is given once"
            raise RuntimeError(msg)
        outbox, self._outbox = self._outbox, None
        try:
            outbox.send_bytes(ForkingPickler.dumps(value))
        finally:
            outbox.close()

    def cancel(self) -> None:
        """Stop the child, given its input or not."""
        if self._outbox is not None:
            self._outbox.close()
            self._outbox = None
        super().cancel()


def _read_into(inbox: Connection, given: list[Any]) -> None:
    """Append what ``inbox`` receives to ``given`` (nothing when it is closed unsent)."""
    with contextlib.suppress(EOFError, OSError):
        given.append(pickle.loads(inbox.recv_bytes()))  # noqa: S301 - our own process's bytes
    inbox.close()


def _get_ready(ready: Callable[[], None]) -> None:
    """Run ``ready`` in this thread at a lower priority (Linux's nice is a thread's own).

    The function given the input then runs at the usual priority, on a busy
    machine too; should it need a module this thread is still importing,
    Python's import lock makes it wait for that import. A failure here leaves
    the work to be done when needed.
    """
    with contextlib.suppress(OSError):
        os.nice(_READYING_NICENESS)
    try:
        ready()
    except Exception:  # done again, and reported, where it is needed
        log.debug("getting ready failed; it is left to the job", exc_info=True)


class SharedWork:
    """Pieces of work either of two processes may do: each is done once, by the first to ask.

    A forked job and this process both call :meth:`do_the_rest` when they are
    done with their own work; a shared counter hands each piece to one of them,
    so the one that finishes first takes more. Within one process (no fork) a
    plain counter does the same.

    Parameters
    ----------
    pieces
        Name to function (no arguments), in the order they are handed out.
    across_processes
        Whether a forked child will share them (a counter in shared memory).
    counter
        The shared counter to use, made before a child was forked
        (:func:`shared_counter`); it implies ``across_processes``.

    Examples
    --------
    >>> work = SharedWork({"a": lambda: 1, "b": lambda: 2}, across_processes=False)
    >>> done, seconds = work.do_the_rest()
    >>> done
    {'a': 1, 'b': 2}
    >>> work.do_the_rest()
    ({}, {})
    """

    def __init__(
        self,
        pieces: dict[str, Callable[[], Any]],
        *,
        across_processes: bool,
        counter: Any = None,
    ) -> None:
        self._pieces = list(pieces.items())
        self._counter: Any = counter
        if counter is None and across_processes:
            self._counter = shared_counter()
        self._taken = 0

    def _take(self) -> int:
        if self._counter is None:
            self._taken += 1
            return self._taken - 1
        with self._counter.get_lock():
            index = int(self._counter.value)
            self._counter.value = index + 1
        return index

    def do_the_rest(self) -> tuple[dict[str, Any], dict[str, float]]:
        """Do every piece no process has taken yet; return their results and seconds by name."""
        done: dict[str, Any] = {}
        seconds: dict[str, float] = {}
        while (index := self._take()) < len(self._pieces):
            name, function = self._pieces[index]
            begin = time.perf_counter()
            done[name] = function()
            seconds[name] = time.perf_counter() - begin
        return done, seconds


def shared_counter() -> Any:
    """Return a counter at 0 in shared memory, for a :class:`SharedWork` of a child forked later."""
    return multiprocessing.get_context("fork").Value("i", 0)


def can_fork() -> bool:
    """Whether :func:`start` may run work in a forked child here (see the module's notes)."""
    return _fork_allowed() and _no_other_threads()


def _fork_allowed() -> bool:
    """Every condition of :func:`can_fork` but the threads."""
    return (
        settings.parallel
        and sys.platform.startswith("linux")
        and "fork" in multiprocessing.get_all_start_methods()
        and not multiprocessing.current_process().daemon
        and _room_for_a_copy()
    )


def _no_other_threads() -> bool:
    """Whether no other thread runs here but tqdm's progress monitors (:func:`start` stops them).

    A command's progress bar starts one; counting it made every ``geoplan run``
    do its work in one process, while benchmarks without a bar forked.
    """
    monitor_type = _progress_monitor_type()
    here = threading.current_thread()
    return all(
        thread is here or (monitor_type is not None and isinstance(thread, monitor_type))
        for thread in threading.enumerate()
    )


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


def spare_core() -> bool:
    """Whether the machine has a core that no other process keeps busy, besides this one's.

    A child forked ahead gets ready at a lower priority (:func:`start_given`,
    which forks none without a spare core); where other work keeps every other
    core busy it gets little time, is not ready when its input comes, and its
    function then waits for what it is still loading (a Harbin run beside two
    busy processes on two cores: 17 s with a print writer started ahead, 12 s
    with one forked when writing). Counted from the tasks runnable now
    (``/proc/loadavg``), at the fewest of three looks 2 ms apart (a task
    running for a moment is not busy work); True where that cannot be read.
    """
    counts = []
    for look in range(3):
        if look:
            time.sleep(0.002)
        runnable = _runnable_tasks()
        if runnable is None:
            return True
        counts.append(runnable)
    others = min(counts) - 1  # this thread, reading, is runnable too
    return others < _usable_cores() - 1


def _runnable_tasks() -> int | None:
    """Return how many tasks the machine can run now (``/proc/loadavg``), None if unknown."""
    try:
        fields = Path("/proc/loadavg").read_text(encoding="ascii").split()
        return int(fields[3].split("/")[0])
    except (OSError, IndexError, ValueError):
        return None


def _usable_cores() -> int:
    """Return the cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _kilobytes(path: Path, key: str) -> int:
    for line in path.read_text(encoding="ascii", errors="replace").splitlines():
        if line.startswith(key):
            return int(line.split()[1])
    msg = f"no {key} in {path}"
    raise ValueError(msg)


def start(
    function: Callable[[], T],
    task: Task,
    *,
    afterwards: Mapping[str, Callable[[], Any]] | None = None,
) -> Job[T]:
    """Start ``function`` in a forked child where :func:`can_fork`; else run it when asked.

    Parameters
    ----------
    function
        What to run (no arguments); what it returns must pickle.
    task
        What it does, for messages.
    afterwards
        Work for the child once it has sent the result, by name, in order (no
        arguments; what it returns must pickle): the child's spare time while
        this process goes on. :meth:`Job.stop_afterwards` collects the pieces
        finished and stops the child; a piece that raises is left out. Not done
        where the function runs in this process.

    Examples
    --------
    >>> job = start(lambda: 6 * 7, Task("multiplying", "multiply by hand"))
    >>> job.result()
    42
    """
    if not _ready_to_fork():
        return Job(function, task)
    return _ForkedJob(function, task, afterwards)


def start_given(
    function: Callable[[Any], T],
    task: Task,
    *,
    ready: Callable[[], None] | None = None,
) -> GivenJob[T] | None:
    """Fork a child that runs ``ready`` now and ``function(input)`` once given its input.

    Returns None where :func:`can_fork` does not hold, or where other work
    keeps every core but this process's busy (:func:`spare_core`: the child
    would get ready only after its input came, and hold its function up): the
    caller then does the work itself, when it has the input.

    Parameters
    ----------
    function
        What to run on the input :meth:`GivenJob.give` sends (it must pickle);
        what it returns must pickle.
    task
        What it does, for messages.
    ready
        Work that makes ``function`` quicker (imports, files read), done in
        a thread of the child meanwhile at a lower priority (nice 10); a
        failure in it is ignored.

    Examples
    --------
    >>> job = start_given(lambda n: n * 7, Task("multiplying", "multiply by hand"))
    >>> if job is None:  # no second process here: the caller does it
    ...     answer = 6 * 7
    ... else:
    ...     job.give(6)
    ...     answer = job.result()
    >>> answer
    42
    """
    return GivenJob(function, task, ready) if spare_core() and _ready_to_fork() else None


def _ready_to_fork() -> bool:
    """Whether :func:`can_fork`, once tqdm's monitors are stopped for the fork."""
    if not can_fork():
        return False
    _stop_progress_monitors()
    return _no_other_threads()  # False: a thread started meanwhile


def _stop_progress_monitors() -> None:
    """Stop tqdm's monitor threads, so that they hold no lock at a fork.

    A progress bar starts one (it wakes every 10 s to redraw slow bars); tqdm
    starts a new one with its next bar.
    """
    monitor_type = _progress_monitor_type()
    if monitor_type is None:
        return
    for thread in threading.enumerate():
        if isinstance(thread, monitor_type):
            thread.exit()
            owner = getattr(thread, "tqdm_cls", None)
            if owner is not None and getattr(owner, "monitor", None) is thread:
                owner.monitor = None


def _progress_monitor_type() -> Any:
    """Return the class of tqdm's monitor threads (None when tqdm is not in use)."""
    return getattr(sys.modules.get("tqdm._monitor"), "TMonitor", None)


def _child(
    function: Callable[[], Any],
    send: Connection,
    parent: int,
    afterwards: Mapping[str, Callable[[], Any]],
) -> None:
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
        message = ForkingPickler.dumps((kind, value, seconds))
    except Exception as exc:  # a result that does not pickle
        kind = "error"
        message = ForkingPickler.dumps(("error", "".join(traceback.format_exception(exc)), seconds))
    if kind != "ok" or not afterwards:
        send.send_bytes(message)
    else:
        _send_then_do_afterwards(message, afterwards, send)
    send.close()


def _send_then_do_afterwards(
    message: Any, afterwards: Mapping[str, Callable[[], Any]], send: Connection
) -> None:
    """Send the result while doing each piece of ``afterwards``; send each as ``(name, result)``.

    A large result fills the pipe until the parent reads it, which it does only
    once it wants the result: a thread of this child sends it, then each piece
    in turn once it is done, so that every piece is made in the time between
    (none waits for the one before it to be read). A piece that fails is left out.
    """
    outgoing: queue.SimpleQueue[bytes | memoryview | None] = queue.SimpleQueue()
    sender = threading.Thread(target=_send_each, args=(outgoing, send), daemon=True)
    sender.start()
    outgoing.put(message)
    for name, piece in afterwards.items():
        try:
            outgoing.put(ForkingPickler.dumps((name, piece())))
        except Exception:  # made again, and reported, where it is used
            log.debug("%r, done after the result, failed; it is left out", name, exc_info=True)
    outgoing.put(None)
    sender.join()


def _send_each(outgoing: queue.SimpleQueue[bytes | memoryview | None], send: Connection) -> None:
    """Send what is put on ``outgoing``, in order, until None."""
    while (message := outgoing.get()) is not None:
        send.send_bytes(message)


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


def _exception(value: BaseException | str, task: Task) -> BaseException:
    if isinstance(value, BaseException):
        value.add_note(f"(raised while {task.doing} in a second process)")
        return value
    msg = f"{task.doing} failed:\n{value}"
    return task.error(msg)
