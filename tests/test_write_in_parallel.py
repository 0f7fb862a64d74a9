"""The print maps and report.pdf written in a second process: the same files, errors
raised here, nothing written after a failure, nothing left running after a kill."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import geoplan
from geoplan._errors import OutputError
from geoplan.config import parse_config
from geoplan.outputs import _background
from geoplan.outputs import run as run_module
from geoplan.outputs._background import _ForkedJob, can_fork, start
from geoplan.report import RUN_MARKER
from tests.test_print import synthetic_config

pytestmark = [
    pytest.mark.skipif(
        not sys.platform.startswith("linux"), reason="the print writer forks on Linux only"
    ),
    # the `forks` fixture forks beside the idle threads earlier tests leave (Dask's), which
    # Python 3.12+ warns of; geoplan itself forks only without them
    pytest.mark.filterwarnings("ignore:.*fork:DeprecationWarning"),
]

REPO = Path(__file__).resolve().parents[1]
SYNTHETIC = REPO / "studies" / "synthetic.toml"


@pytest.fixture(scope="module")
def result():
    return geoplan.run_study(geoplan.Study.from_config(parse_config(synthetic_config())))


def printed(folder: Path) -> dict[str, str]:
    """The digests of what the print writer writes (the print maps and report.pdf).

    The other files are written by this process either way (tests/test_faults.py
    shows two runs write them alike; layers.gpkg and the workbooks hold the time
    they were written, report.html and run.json how long each step took).
    """
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and (p.name == "report.pdf" or p.parent.name == "print")
    }


@pytest.fixture
def forks(monkeypatch):
    """Fork even though earlier tests of the suite left idle threads behind (Dask's)."""
    monkeypatch.setattr(_background, "_no_other_threads", lambda: True)


@pytest.fixture
def jobs(monkeypatch) -> list:
    """The print jobs the runs of a test start."""
    started: list = []
    real_start = run_module.start_job

    def start_and_keep(function):
        started.append(real_start(function))
        return started[-1]

    monkeypatch.setattr(run_module, "start_job", start_and_keep)
    return started


# ------------------------------------------------------------------------ the job itself


def test_a_forked_job_returns_its_value_and_time(forks):
    job = start(lambda: sum(range(1_000)))
    assert job.forked
    assert job.result() == 499_500
    assert job.seconds >= 0.0


def test_the_childs_exception_is_raised_here_with_its_type_and_a_note(forks):
    def fails() -> None:
        msg = "no room on the disk"
        raise OutputError(msg)

    job = start(fails)
    assert job.forked
    with pytest.raises(OutputError, match="no room on the disk") as caught:
        job.result()
    assert "while writing the print maps and report.pdf" in " ".join(caught.value.__notes__)


def test_an_exception_that_does_not_pickle_arrives_as_its_traceback(forks):
    class LocalError(Exception):  # a class defined in a function cannot be pickled
        pass

    def fails() -> None:
        msg = "an odd failure"
        raise LocalError(msg)

    with pytest.raises(OutputError, match="an odd failure") as caught:
        start(fails).result()
    assert "Traceback" in str(caught.value)


def test_a_killed_child_is_an_error_that_names_its_exit_code():
    def dies() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    job = _ForkedJob(dies)  # never in this process
    with pytest.raises(OutputError, match=r"exit code -9.*\[outputs\] print = false"):
        job.result()


def test_cancel_stops_the_child_before_it_writes(tmp_path, forks):
    late = tmp_path / "late.txt"

    def slow() -> None:
        time.sleep(2)
        late.write_text("written after the run failed")

    job = start(slow)
    assert job.forked
    job.cancel()
    time.sleep(2.5)
    assert not late.exists()


def test_no_fork_without_free_memory_for_a_copy_of_the_process(monkeypatch):
    sizes = {"/proc/self/status": "VmRSS:\t 900000 kB", "/proc/meminfo": "MemAvailable: 800000 kB"}
    monkeypatch.setattr(_background, "_no_other_threads", lambda: True)
    monkeypatch.setattr(Path, "read_text", lambda self, **kw: sizes[str(self)])
    assert not can_fork()
    sizes["/proc/meminfo"] = "MemTotal: 9 kB\nMemAvailable: 900000 kB"
    assert can_fork()


def test_no_fork_when_switched_off_or_with_other_threads():
    with geoplan.settings.override(write_in_parallel=False):
        assert not can_fork()
        job = start(os.getpid)
        assert not job.forked
        assert job.result() == os.getpid()  # ran here, when asked for
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not can_fork()
    finally:
        stop.set()
        other.join()


def monitors() -> list[threading.Thread]:
    from tqdm._monitor import TMonitor

    return [t for t in threading.enumerate() if isinstance(t, TMonitor)]


def test_a_progress_bars_monitor_is_stopped_for_the_fork_and_comes_back(forks):
    from tqdm import tqdm

    with tqdm(total=2, mininterval=0, file=sys.stderr) as bar:
        bar.update(1)
    assert monitors()
    job = start(lambda: "forked")
    assert not monitors()  # stopped before the fork
    assert job.forked
    assert job.result() == "forked"
    with tqdm(total=1, file=sys.stderr) as bar:
        bar.update(1)
    assert monitors()


# ------------------------------------------------------------------------ a whole run


def test_parallel_and_serial_runs_write_the_same_files(result, tmp_path, forks, jobs):
    parallel = geoplan.write_run(result, tmp_path / "parallel")
    with geoplan.settings.override(write_in_parallel=False):
        serial = geoplan.write_run(result, tmp_path / "serial")
    assert [job.forked for job in jobs] == [True, False]
    files = printed(parallel)
    assert sum(p.startswith("print/") for p in files) >= 4
    assert "report.pdf" in files
    assert files == printed(serial)


def test_a_failure_here_stops_the_print_writer_and_leaves_nothing(
    result, tmp_path, monkeypatch, forks, jobs
):
    def failing_maps(*args, **kwargs):
        time.sleep(0.2)  # the print writer is under way
        msg = "the maps could not be written"
        raise OutputError(msg)

    monkeypatch.setattr(run_module, "_maps", failing_maps)
    with pytest.raises(OutputError, match="the maps could not be written"):
        geoplan.write_run(result, tmp_path / "failed")
    assert [job.forked for job in jobs] == [True]
    assert not jobs[0]._process.is_alive()
    time.sleep(1.0)  # a writer left running would add files now
    assert list(tmp_path.iterdir()) == []


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
def test_killing_the_run_stops_its_print_writer_and_the_next_run_cleans_up(tmp_path):
    out = tmp_path / "synthetic"
    command = [sys.executable, "-m", "geoplan", "-q", "run", str(SYNTHETIC), "--out", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    writers: list[int] = []
    while time.monotonic() < deadline and process.poll() is None and not writers:
        writers = children_of(process.pid)
        time.sleep(0.02)
    assert writers, "the run finished before its print writer could be seen"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(pid) for pid in writers):
        time.sleep(0.05)
    assert not any(alive(pid) for pid in writers), "the print writer outlived its run"
    assert not out.exists()
    # the next run clears the staging folder the killed run left and writes the study
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["synthetic"]
    assert (out / RUN_MARKER).is_file()
    assert (out / "report.pdf").is_file()
