"""Work done in a second process (the site proposals beside the life circles, the print
maps and report.pdf beside the rest of the run folder): the same results and files,
errors raised here, nothing written after a failure, nothing left running after a kill."""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import html
import json
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal

import geoplan
from geoplan import _background
from geoplan import _loader as loader_module
from geoplan import study as study_module
from geoplan._background import SharedWork, _ForkedJob, can_fork, shared_counter, start_given
from geoplan._background import start as start_job
from geoplan._errors import DataSourceError, GeoplanWarning, InputError, OutputError
from geoplan._gc import THRESHOLDS
from geoplan._loader import Loader
from geoplan.cli.demo import demo_config
from geoplan.config import parse_config
from geoplan.outputs import run as run_module
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
    """Fork even though earlier tests of the suite left idle threads behind (Dask's).

    And start print writers ahead on a busy machine too (the tests' own, or CI's).
    """
    monkeypatch.setattr(_background, "_no_other_threads", lambda: True)
    monkeypatch.setattr(_background, "spare_core", lambda: True)


def started_jobs(monkeypatch, module) -> list:
    """Keep the jobs ``module`` starts (through its ``start_job``), in order."""
    started: list = []
    real_start = module.start_job

    def start_and_keep(function, task, **options):
        started.append(real_start(function, task, **options))
        return started[-1]

    monkeypatch.setattr(module, "start_job", start_and_keep)
    return started


@pytest.fixture
def jobs(monkeypatch) -> list:
    """The print jobs the runs of a test start."""
    return started_jobs(monkeypatch, run_module)


# ------------------------------------------------------------------------ the job itself


def start(function):
    """Start ``function`` as the print writer is started."""
    return start_job(function, run_module._PRINTING)


def test_a_forked_job_returns_its_value_and_time(forks):
    job = start(lambda: sum(range(1_000)))
    assert job.forked
    assert job.result() == 499_500
    assert job.seconds >= 0.0


def raising(error: type[Exception], message: str):
    """A function that raises ``error(message)``, whatever it is called with."""

    def fails(*args, **kwargs):
        raise error(message)

    return fails


def test_the_childs_exception_is_raised_here_with_its_type_and_a_note(forks):
    job = start(raising(OutputError, "no room on the disk"))
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

    job = _ForkedJob(dies, run_module._PRINTING)  # never in this process
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
    with geoplan.settings.override(parallel=False):
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


def test_a_progress_bar_does_not_keep_a_command_from_forking():
    # a command's bar starts tqdm's monitor thread: counted as another thread, it kept
    # every `geoplan run` from forking its extract reads (and its shared writes unshared)
    code = (
        "import os, threading, tqdm\n"
        "from geoplan._background import can_fork, start, Task\n"
        "bar = tqdm.tqdm(total=2, disable=None)\n"
        "assert threading.active_count() == 2, threading.enumerate()\n"
        "assert can_fork()\n"
        "job = start(os.getpid, Task('testing', 'nothing'))\n"
        "assert job.forked and job.result() != os.getpid()\n"
        "print('forked')\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "forked"


def test_shared_work_is_done_once_by_whichever_process_asks_first(tmp_path, forks):
    def piece(name: str):
        def write() -> int:
            time.sleep(0.05)
            (tmp_path / f"{name}-{os.getpid()}").write_text(name)
            return os.getpid()

        return write

    names = [f"piece{i}" for i in range(12)]
    work = SharedWork({n: piece(n) for n in names}, across_processes=True)
    job = start(work.do_the_rest)
    assert job.forked
    here, _ = work.do_the_rest()
    there, seconds = job.result()
    assert sorted([*here, *there]) == sorted(names)  # each piece once
    assert set(here.values()) == {os.getpid()}
    assert here  # both took some
    assert there
    assert os.getpid() not in there.values()
    assert set(seconds) == set(there)
    assert sorted(p.name.split("-")[0] for p in tmp_path.iterdir()) == sorted(names)


def test_a_job_given_its_input_later_gets_ready_meanwhile_then_runs_on_it(tmp_path, forks):
    ready = tmp_path / "ready"

    def get_ready() -> None:
        time.sleep(0.3)
        ready.write_text(str(os.nice(0)))  # its priority while getting ready

    def add_up(given: list[int]) -> tuple[int, int, int]:
        wait_for(ready)
        return sum(given), os.getpid(), os.nice(0)

    job = start_given(add_up, run_module._PRINTING, ready=get_ready)
    assert job is not None
    assert job.forked
    begin = time.perf_counter()
    job.give(list(range(1_000_000)))  # read while the child gets ready: no wait here
    assert time.perf_counter() - begin < 0.3
    total, pid, niceness = job.result()
    assert total == 499_999_500_000
    assert pid == job._process.pid != os.getpid()
    assert int(ready.read_text()) == os.nice(0) + 10  # it got ready at a lower priority
    assert niceness == os.nice(0)  # and works at the usual one
    with pytest.raises(RuntimeError, match="given once"):
        job.give([1])


def test_a_given_jobs_time_is_its_own_once_given(forks):
    job = start_given(lambda given: given * 2, run_module._PRINTING, ready=lambda: time.sleep(2))
    assert job is not None
    time.sleep(0.2)
    job.give(21)
    assert job.result() == 42
    assert job.seconds < 0.5  # not the time it spent getting ready, nor waiting


def test_a_job_given_nothing_is_stopped_and_a_failure_getting_ready_is_ignored(forks):
    job = start_given(lambda given: given, run_module._PRINTING)
    assert job is not None
    job.cancel()
    assert not job._process.is_alive()
    job = start_given(
        lambda given: given * 2, run_module._PRINTING, ready=raising(ValueError, "no fonts")
    )
    assert job is not None
    job.give(21)
    assert job.result() == 42


@pytest.mark.parametrize(
    ("looks", "cores", "spare"),
    [
        ([1, 1, 1], 2, True),  # this process alone on two cores
        ([3, 3, 3], 2, False),  # two busy processes beside it
        ([2, 2, 2], 2, False),  # one: the child, getting ready at a lower priority, starves
        ([2, 2, 2], 4, True),
        ([3, 1, 3], 2, True),  # the fewest of the looks: a task runs for a moment
        ([None], 2, True),  # unknown: as before
    ],
)
def test_a_spare_core_is_one_no_other_process_keeps_busy(monkeypatch, looks, cores, spare):
    seen = iter(looks)
    monkeypatch.setattr(_background, "_runnable_tasks", lambda: next(seen))
    monkeypatch.setattr(_background, "_usable_cores", lambda: cores)
    assert _background.spare_core() is spare


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/loadavg is Linux's")
def test_the_runnable_tasks_are_read_from_the_kernel():
    runnable = _background._runnable_tasks()
    assert runnable is not None
    assert runnable >= 1  # this test, running
    assert _background._usable_cores() >= 1


def test_no_print_writer_is_started_ahead_on_a_busy_machine(tmp_path, forks, jobs, monkeypatch):
    # it would get ready at its lower priority only after the run, holding the pages up
    monkeypatch.setattr(_background, "spare_core", lambda: False)
    study = geoplan.Study.from_config(parse_config(synthetic_config()))
    with run_module.print_ahead(study) as ahead:
        assert ahead is None
        result = geoplan.run_study(study)
        folder = geoplan.write_run(result, tmp_path / "busy", print_ahead=ahead)
    assert [job.forked for job in jobs] == [True]  # the print writer forked when writing
    assert (folder / "report.pdf").is_file()


def test_no_job_given_its_input_later_where_no_child_may_be_forked():
    with geoplan.settings.override(parallel=False):
        assert start_given(lambda given: given, run_module._PRINTING) is None


def test_shared_work_may_use_a_counter_made_before_the_fork(forks):
    counter = shared_counter()
    job = start(
        lambda: SharedWork({"a": lambda: 1}, across_processes=True, counter=counter).do_the_rest()
    )
    there, _ = job.result()
    assert there == {"a": 1}
    here, _ = SharedWork({"a": lambda: 2}, across_processes=True, counter=counter).do_the_rest()
    assert here == {}  # taken by the child


def test_a_forked_child_holds_no_copy_of_the_run_folders_lock(tmp_path, forks):
    from geoplan.outputs import run_folder

    def lock_files_open() -> list[str]:
        found = []
        for fd in Path("/proc/self/fd").iterdir():
            with contextlib.suppress(OSError):
                target = os.readlink(fd)
                if target.endswith(".run.lock"):
                    found.append(target)
        return found

    with run_folder._locked(tmp_path / "run"):
        assert lock_files_open()  # this process holds it
        job = start(lock_files_open)
        assert job.forked
        # a child outliving a killed run by a moment would keep the next run out
        assert job.result() == []
        assert lock_files_open()


def wait_for(path: Path, seconds: float = 60.0) -> None:
    """Wait until ``path`` exists (another process writes it)."""
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} was never written"
        time.sleep(0.01)


def test_work_afterwards_is_kept_when_finished_and_stopped_when_not(tmp_path, forks):
    def second() -> int:
        (tmp_path / "second-began").write_text("")
        wait_for(tmp_path / "never", seconds=120)
        return 2

    def third() -> int:
        (tmp_path / "third-began").write_text("")
        return 3

    afterwards = {"first": os.getpid, "second": second, "third": third}
    job = start_job(lambda: 42, run_module._PRINTING, afterwards=afterwards)
    assert job.forked
    assert job.result() == 42  # sent before the work afterwards
    wait_for(tmp_path / "second-began")  # the first is done and sent
    done = job.stop_afterwards()
    assert list(done) == ["first"]
    assert done["first"] != os.getpid()  # done by the child
    assert not job._process.is_alive()  # stopped inside the second: never waited for
    assert not (tmp_path / "third-began").exists()
    assert job.stop_afterwards() == {}


def test_work_afterwards_is_done_before_a_large_result_is_read(tmp_path, forks):
    # a result larger than the pipe holds: the child must not wait for it to be read
    def piece() -> int:
        (tmp_path / "done").write_text("")
        return 1

    job = start_job(lambda: b"x" * 2**22, run_module._PRINTING, afterwards={"piece": piece})
    assert job.forked
    wait_for(tmp_path / "done")  # before this process reads anything
    assert job.result() == b"x" * 2**22
    job._process.join(60)
    assert job.stop_afterwards() == {"piece": 1}


def test_every_piece_afterwards_is_done_before_a_large_result_is_read(tmp_path, forks):
    # the pieces go on one after the other at once: none waits for the result to be read
    def piece(name: str) -> Callable[[], str]:
        def made() -> str:
            (tmp_path / name).write_text("")
            return name

        return made

    afterwards = {"first": piece("first"), "second": piece("second")}
    job = start_job(lambda: b"x" * 2**22, run_module._PRINTING, afterwards=afterwards)
    assert job.forked
    wait_for(tmp_path / "second")  # before this process reads anything
    assert job.result() == b"x" * 2**22
    job._process.join(60)
    assert job.stop_afterwards() == {"first": "first", "second": "second"}


def test_work_afterwards_that_fails_is_left_out_and_the_rest_is_done(forks):
    def fails() -> int:
        raise RuntimeError("failed afterwards")

    job = start_job(
        lambda: 42, run_module._PRINTING, afterwards={"fails": fails, "fine": lambda: 1}
    )
    assert job.result() == 42
    job._process.join(60)  # the child ends once it has sent everything
    assert job.stop_afterwards() == {"fine": 1}


def test_no_work_afterwards_without_a_child_or_after_a_failure(forks, monkeypatch):
    def fails() -> int:
        raise ValueError("the job failed")

    job = start_job(fails, run_module._PRINTING, afterwards={"never": lambda: 1})
    assert job.forked
    with pytest.raises(ValueError, match="the job failed"):
        job.result()
    assert job.stop_afterwards() == {}
    with geoplan.settings.override(parallel=False):
        here = start_job(lambda: 42, run_module._PRINTING, afterwards={"never": lambda: 1})
    assert not here.forked
    assert here.result() == 42
    assert here.stop_afterwards() == {}


# ------------------------------------------------------------------------ the extract's reads


@pytest.fixture
def reads(monkeypatch) -> list:
    """The extract-reading jobs the loadings of a test start."""
    return started_jobs(monkeypatch, loader_module)


def test_the_extract_read_beside_the_network_is_the_serial_read(forks, reads):
    config = demo_config()
    parallel = Loader(config).load()
    with geoplan.settings.override(parallel=False):
        serial = Loader(config).load()
    assert [job.forked for job in reads] == [True]  # none started with parallel off
    for name in ("network", "communities", "demand", "classified", "base_layers"):
        ours, theirs = getattr(parallel, name), getattr(serial, name)
        if name == "network":
            ours, theirs = ours.to_gdfs()[1], theirs.to_gdfs()[1]
        assert_geodataframe_equal(ours, theirs)
    assert list(parallel.own_sites) == list(serial.own_sites)
    assert len(parallel.own_sites) == 3
    for type_id, sites in parallel.own_sites.items():
        assert_geodataframe_equal(sites, serial.own_sites[type_id])
    assert parallel.notes == serial.notes
    assert parallel.inputs == serial.inputs
    assert list(parallel.timings) == list(serial.timings)


def test_a_warning_or_error_of_a_read_comes_where_the_loading_reads_it(forks, reads, monkeypatch):
    real_context = loader_module.read_context

    def warns(*args, **kwargs):
        warnings.warn("context read", GeoplanWarning, stacklevel=1)
        return real_context(*args, **kwargs)

    monkeypatch.setattr(loader_module, "read_context", warns)
    loaded = Loader(demo_config()).load()
    assert reads[0].forked
    assert loaded.notes[-1:] == ["context read"]  # the base layers are read last

    fails = raising(DataSourceError, "the extract has no water")
    monkeypatch.setattr(loader_module, "read_context", fails)
    with pytest.raises(DataSourceError, match="the extract has no water"):
        Loader(demo_config()).load()
    assert reads[1].forked


def test_a_failing_network_read_stops_the_extract_reads(forks, reads, monkeypatch):
    fails = raising(DataSourceError, "the network could not be read")
    monkeypatch.setattr(Loader, "_network", fails)
    with pytest.raises(DataSourceError, match="the network could not be read"):
        Loader(demo_config()).load()
    assert reads[0].forked
    assert not reads[0]._process.is_alive()


# ------------------------------------------------------------------------ the proposals


def two_requests(solver: str = "greedy") -> dict:
    config = synthetic_config()
    config["sites"] = [
        {"facility_type": "community_canteen", "p": 2, "solver": solver},
        {"facility_type": "kindergarten", "model": "p_median", "p": 1, "solver": solver},
    ]
    return config


@pytest.fixture
def proposals(monkeypatch) -> list:
    """The proposal jobs the runs of a test start.

    Earlier tests of the suite have run HiGHS in this process, after which no child
    may use it (see the last test of this section); these proposals are greedy, so
    their child never does.
    """
    monkeypatch.setattr(study_module, "highs_started", lambda: False)
    return started_jobs(monkeypatch, study_module)


def proposing(jobs: list) -> list:
    """The jobs that made proposals, without helpers making work aside while they waited."""
    return [job for job in jobs if job.task is study_module._PROPOSING]


def same_proposal(a, b) -> None:
    assert_geodataframe_equal(a.proposal.sites, b.proposal.sites)
    pd.testing.assert_frame_equal(a.proposal.before, b.proposal.before)
    pd.testing.assert_frame_equal(a.proposal.after, b.proposal.after)
    assert a.proposal.totals == b.proposal.totals
    assert a.proposal.solution.objective == b.proposal.solution.objective
    assert a.proposal.solution.bound == b.proposal.solution.bound
    assert_geodataframe_equal(a.new_area, b.new_area)


def test_proposals_made_beside_the_life_circles_are_the_serial_ones(forks, proposals):
    study = geoplan.Study.from_config(parse_config(two_requests()))
    parallel = geoplan.run_study(study)
    with geoplan.settings.override(parallel=False):
        serial = geoplan.run_study(study)
    assert [job.forked for job in proposing(proposals)] == [True, False]
    assert (
        list(parallel.proposals) == list(serial.proposals) == ["community_canteen", "kindergarten"]
    )
    for type_id in serial.proposals:
        same_proposal(parallel.proposals[type_id], serial.proposals[type_id])
    assert list(parallel.timings) == list(serial.timings)
    assert parallel.timings["sites"] > 0
    assert parallel.notes == serial.notes


def test_a_warning_raised_making_the_proposals_reaches_the_notes_in_order(
    forks, proposals, monkeypatch
):
    real_propose = study_module._propose

    def warns(study, request):
        warnings.warn(f"proposing {request.facility_type}", GeoplanWarning, stacklevel=1)
        return real_propose(study, request)

    def life_warns(study):
        warnings.warn("life circles", GeoplanWarning, stacklevel=1)
        return real_life_circles(study)

    real_life_circles = study_module._life_circles
    monkeypatch.setattr(study_module, "_propose", warns)
    monkeypatch.setattr(study_module, "_life_circles", life_warns)
    result = geoplan.run_study(geoplan.Study.from_config(parse_config(two_requests())))
    assert proposals[0].forked
    ours = [n for n in result.notes if n.startswith(("proposing", "life circles"))]
    # the order a run making them in one process gives: life circles first
    assert ours == ["life circles", "proposing community_canteen", "proposing kindergarten"]


def test_an_error_making_the_proposals_is_raised_with_its_type(forks, proposals, monkeypatch):
    def fails(study, request):
        msg = f"no candidates for {request.facility_type}"
        raise InputError(msg)

    monkeypatch.setattr(study_module, "_propose", fails)
    study = geoplan.Study.from_config(parse_config(two_requests()))
    with pytest.raises(InputError, match="no candidates for community_canteen") as caught:
        geoplan.run_study(study)
    assert proposals[0].forked
    assert "while proposing sites in a second process" in " ".join(caught.value.__notes__)


def test_a_failing_life_circle_step_stops_the_proposals(forks, proposals, monkeypatch):
    def fails(study):
        time.sleep(0.2)  # the proposals are under way
        msg = "the life circles failed"
        raise InputError(msg)

    monkeypatch.setattr(study_module, "_life_circles", fails)
    with pytest.raises(InputError, match="the life circles failed"):
        geoplan.run_study(geoplan.Study.from_config(parse_config(two_requests())))
    assert proposals[0].forked
    assert not proposals[0]._process.is_alive()


def test_no_fork_for_proposals_once_highs_has_run_here(forks, monkeypatch):
    # HiGHS keeps worker threads a forked child lacks: a child solving with it waits
    # for them forever (seen: a child spinning at 100 % CPU for minutes)
    cover = np.random.default_rng(0).random((60, 300)) < 0.05
    assert geoplan.models.mclp(cover, np.ones(300), p=3, solver="exact").solver == "highs"
    assert study_module.highs_started()
    started = started_jobs(monkeypatch, study_module)
    result = geoplan.run_study(geoplan.Study.from_config(parse_config(two_requests("exact"))))
    assert started == []  # made in this process, when asked for
    assert list(result.proposals) == ["community_canteen", "kindergarten"]


def test_proposals_alone_are_made_in_this_process(forks, proposals):
    study = geoplan.Study.from_config(parse_config(two_requests()))
    result = geoplan.run_study(study, steps=["sites"])  # nothing to make them beside
    assert proposals == []  # made here when asked for
    assert list(result.proposals) == ["community_canteen", "kindergarten"]


def late_for(jobs: list):
    """Return an ``on_step`` that makes the run reach its proposals after their process ends.

    That process has then done all the work given meanwhile: deterministically
    the case where it had the spare time.
    """

    def on_step(step: str) -> None:
        if step == "sites":
            jobs[0]._process.join(60)

    return on_step


def test_work_given_meanwhile_is_done_by_the_proposals_process_when_done_first(
    tmp_path, forks, proposals
):
    names = ("first", "second", "third")
    meanwhile = {n: lambda n=n: (n, os.getpid()) for n in names}
    study = geoplan.Study.from_config(parse_config(two_requests()))
    result = geoplan.run_study(study, meanwhile=meanwhile, on_step=late_for(proposals))
    assert proposals[0].forked
    assert list(result.prepared) == list(names)  # each once, by the proposals' process
    for name, (done, pid) in result.prepared.items():
        assert done == name
        assert pid == proposals[0]._process.pid != os.getpid()
    assert result.timings["sites"] == round(proposals[0].seconds, 3)  # their own time
    with geoplan.settings.override(parallel=False):  # no spare time: nothing done ahead
        serial = geoplan.run_study(study, meanwhile=meanwhile)
    assert serial.prepared == {}
    assert serial.notes == result.notes


def test_work_given_meanwhile_is_made_by_a_helper_while_the_proposals_are_still_made(
    tmp_path, forks, proposals, monkeypatch
):
    # the proposals' process waits until the work given meanwhile has begun (the work lets
    # it go on): this process reached the proposals first, as the 200k-node city's does, so
    # a helper process makes the work, and the writing takes it when it needs it
    released = tmp_path / "released"
    real_propose = study_module._propose

    def propose_when_released(study, request):
        deadline = time.monotonic() + 60
        while not released.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        return real_propose(study, request)

    monkeypatch.setattr(study_module, "_propose", propose_when_released)

    def piece(name):
        def make():
            if not proposals:  # the proposals' process (forked before it was listed): too late
                time.sleep(60)
            released.touch()
            return name, os.getpid()

        return make

    meanwhile = {name: piece(name) for name in ("release", "then")}
    study = geoplan.Study.from_config(parse_config(two_requests()))
    result = geoplan.run_study(study, meanwhile=meanwhile)
    assert proposals[0].forked
    assert result.prepared == {}  # still the helper's
    helper = result.preparing
    assert helper is not None
    assert helper.forked
    made = result.finish_preparing()
    pids = {pid for _, pid in made.values()}
    assert list(made) == ["release", "then"]
    assert pids == {helper._process.pid}
    assert os.getpid() not in pids
    assert helper._process.pid != proposals[0]._process.pid
    assert result.preparing is None
    assert result.finish_preparing() is made
    assert not helper._process.is_alive()
    with geoplan.settings.override(parallel=False):  # the same proposals made here
        serial = geoplan.run_study(study)
    assert list(result.proposals) == list(serial.proposals)
    for type_id, proposal in result.proposals.items():
        same_proposal(proposal, serial.proposals[type_id])


def test_a_helper_nobody_waits_for_is_stopped_with_its_result(forks, proposals, monkeypatch):
    real_propose = study_module._propose

    def propose_slowly(study, request):
        time.sleep(1.0)  # this process reaches the proposals first
        return real_propose(study, request)

    monkeypatch.setattr(study_module, "_propose", propose_slowly)
    meanwhile = {"slow": lambda: time.sleep(60)}  # in either process: never done in time
    study = geoplan.Study.from_config(parse_config(two_requests()))
    result = geoplan.run_study(study, meanwhile=meanwhile)
    helper = result.preparing
    assert helper is not None
    assert helper._process.is_alive()
    del result
    gc.collect()
    helper._process.join(10)
    assert not helper._process.is_alive()


def test_a_helper_is_stopped_when_the_proposals_fail(forks, proposals, monkeypatch):
    def propose_then_fail(study, request):
        time.sleep(1.0)  # this process reaches the proposals first
        msg = "the proposals failed"
        raise InputError(msg)

    monkeypatch.setattr(study_module, "_propose", propose_then_fail)
    helpers: list = []
    real_aside = study_module._prepare_aside

    def recorded(proposing):
        helpers.append(real_aside(proposing))
        return helpers[-1]

    monkeypatch.setattr(study_module, "_prepare_aside", recorded)
    study = geoplan.Study.from_config(parse_config(two_requests()))
    with pytest.raises(InputError, match="the proposals failed"):
        geoplan.run_study(study, meanwhile={"slow": lambda: time.sleep(60)})
    assert helpers[0] is not None
    assert not helpers[0]._process.is_alive()


def test_a_warning_of_the_work_done_meanwhile_is_raised_after_the_run_not_noted(
    tmp_path, forks, proposals
):
    def warns():
        warnings.warn("a warning of the work done meanwhile", GeoplanWarning, stacklevel=1)
        return 1

    study = geoplan.Study.from_config(parse_config(two_requests()))
    with pytest.warns(GeoplanWarning, match="a warning of the work done meanwhile"):
        result = geoplan.run_study(study, meanwhile={"warns": warns}, on_step=late_for(proposals))
    assert result.prepared == {"warns": 1}
    assert not [n for n in result.notes if "meanwhile" in n]


def test_the_maps_base_layer_made_ahead_is_the_one_the_maps_make(tmp_path, forks, proposals):
    study = geoplan.Study.from_config(parse_config(two_requests()))
    meanwhile = run_module.preparations(study)
    result = geoplan.run_study(study, meanwhile=meanwhile, on_step=late_for(proposals))
    assert proposals[0].forked
    key, made_ahead = result.prepared["map_base"]
    with study_module.study_settings(study.config):  # made for the study's base map
        assert key == (geoplan.settings.basemap, geoplan.settings.map_tolerance_m)
    ahead = geoplan.write_run(result, tmp_path / "ahead")
    del result.prepared["map_base"]
    here = geoplan.write_run(result, tmp_path / "here")

    def shared_scripts(folder: Path) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted((folder / "maps" / "lib").glob("*.js"))}

    scripts = shared_scripts(ahead)
    assert [name for name in scripts if name.startswith("base-")]
    assert scripts == shared_scripts(here)
    # made for another base map (Amap's shifted coordinates), it is not used
    result.prepared["map_base"] = (key, made_ahead)
    with study_module.study_settings(study.config):
        assert run_module._prepared_base(result) == made_ahead
        with geoplan.settings.override(basemap="amap"):
            assert run_module._prepared_base(result) is None
            amap = geoplan.maps.base_layer_json(study.network, "amap", study.base_layers)
    assert amap != made_ahead


def test_no_base_layer_is_made_ahead_for_a_study_without_maps():
    config = synthetic_config()
    config["outputs"]["maps"] = False
    study = geoplan.Study.from_config(parse_config(config))
    assert run_module.preparations(study) == {}


# ------------------------------------------------------------------------ a whole run


def rasters(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((folder / "rasters").glob("*.tif"))
    }


def layers(folder: Path) -> dict[str, gpd.GeoDataFrame]:
    path = folder / "layers.gpkg"
    return {name: gpd.read_file(path, layer=name) for name in gpd.list_layers(path)["name"]}


def test_parallel_and_serial_runs_write_the_same_files(tmp_path, forks, jobs):
    config = synthetic_config()
    config["outputs"]["rasters"] = True
    result = geoplan.run_study(geoplan.Study.from_config(parse_config(config)))
    parallel = geoplan.write_run(result, tmp_path / "parallel")
    with geoplan.settings.override(parallel=False):
        serial = geoplan.write_run(result, tmp_path / "serial")
    assert [job.forked for job in jobs] == [True, False]
    files = printed(parallel)
    assert sum(p.startswith("print/") for p in files) >= 4
    assert "report.pdf" in files
    assert files == printed(serial)
    # written by whichever process was free first: the same either way
    assert len(rasters(parallel)) >= 2
    assert rasters(parallel) == rasters(serial)
    ours, theirs = layers(parallel), layers(serial)
    assert list(ours) == list(theirs)
    for name, frame in ours.items():
        if name == "layer_styles":  # QGIS's, with the time each was written
            pd.testing.assert_frame_equal(
                pd.DataFrame(frame).drop(columns="update_time"),
                pd.DataFrame(theirs[name]).drop(columns="update_time"),
            )
        else:
            assert_geodataframe_equal(frame, theirs[name])
    runs = [json.loads((f / "run.json").read_text(encoding="utf-8")) for f in (parallel, serial)]
    assert list(runs[0]["timings_s"]) == list(runs[1]["timings_s"])


def test_a_print_writer_started_ahead_writes_the_same_files(tmp_path, forks, jobs, proposals):
    config = synthetic_config()
    config["outputs"]["rasters"] = True
    study = geoplan.Study.from_config(parse_config(config))
    with run_module.print_ahead(study) as ahead:
        assert ahead is not None
        result = geoplan.run_study(study, meanwhile=run_module.preparations(study))
        early = geoplan.write_run(result, tmp_path / "ahead", print_ahead=ahead)
        assert ahead.job.result  # used: given the results, its result taken
        assert not ahead.job._process.is_alive()
    assert jobs == []  # no print writer forked while writing
    # the proposals forked (a helper may have been forked too, had the run reached them first)
    assert [job.forked for job in proposing(proposals)] == [True]
    with geoplan.settings.override(parallel=False):
        serial = geoplan.write_run(result, tmp_path / "serial")
    files = printed(early)
    assert sum(p.startswith("print/") for p in files) >= 4
    assert files == printed(serial)
    assert rasters(early) == rasters(serial)
    for name in ("tables", "sites"):
        assert {p.name: p.read_bytes() for p in sorted((early / name).glob("*.csv"))} == {
            p.name: p.read_bytes() for p in sorted((serial / name).glob("*.csv"))
        }
    assert list(layers(early)) == list(layers(serial))
    runs = [json.loads((f / "run.json").read_text(encoding="utf-8")) for f in (early, serial)]
    assert runs[0]["notes"] == runs[1]["notes"]
    assert list(runs[0]["timings_s"]) == list(runs[1]["timings_s"])


def test_a_print_writer_started_ahead_and_not_used_is_stopped(tmp_path, forks, jobs):
    study = geoplan.Study.from_config(parse_config(synthetic_config()))
    with run_module.print_ahead(study) as ahead:
        assert ahead is not None
        process = ahead.job._process
        assert process.is_alive()
    assert not process.is_alive()
    # started for another study, it is stopped and a writer is forked for this one
    other = geoplan.Study.from_config(parse_config(synthetic_config()))
    result = geoplan.run_study(other)
    with run_module.print_ahead(study) as ahead:
        folder = geoplan.write_run(result, tmp_path / "other", print_ahead=ahead)
        assert not ahead.job._process.is_alive()
    assert [job.forked for job in jobs] == [True]
    assert (folder / "report.pdf").is_file()


def test_a_print_writer_started_ahead_gets_ready_with_fewer_collections(forks, monkeypatch):
    # its readying (matplotlib, the fonts) makes many objects: it collects them less often
    # for its whole life, while this process keeps its own thresholds
    seen: list[tuple[int, ...]] = []
    readied = threading.Event()

    def ready() -> None:  # in the child's readying thread
        seen.append(gc.get_threshold())
        readied.set()

    def given(*_: object) -> tuple[list[tuple[int, ...]], tuple[int, ...]]:
        assert readied.wait(60)
        return seen, gc.get_threshold()

    monkeypatch.setattr(run_module, "_ready_to_print", ready)
    monkeypatch.setattr(run_module, "_print_given", given)
    study = geoplan.Study.from_config(parse_config(synthetic_config()))
    before = gc.get_threshold()
    assert before != THRESHOLDS
    with run_module.print_ahead(study) as ahead:
        assert ahead is not None
        assert gc.get_threshold() == before
        ahead.job.give(None)
        readying, given = ahead.job.result()
    assert readying == [THRESHOLDS]
    assert given == THRESHOLDS
    assert gc.get_threshold() == before


def test_results_too_large_to_send_are_written_by_a_writer_forked_now(
    tmp_path, forks, jobs, monkeypatch
):
    study = geoplan.Study.from_config(parse_config(synthetic_config()))
    result = geoplan.run_study(study)
    given = dataclasses.replace(result, study=None, prepared={})
    sent = len(pickle.dumps(given))
    estimate = run_module._bytes(result)
    assert sent / 2 < estimate < sent * 2  # the estimate bounds what would be sent
    monkeypatch.setattr(run_module, "_GIVEN_AT_MOST", estimate - 1)
    with run_module.print_ahead(study) as ahead:
        folder = geoplan.write_run(result, tmp_path / "large", print_ahead=ahead)
        assert not ahead.job._process.is_alive()  # stopped, never given the results
    assert [job.forked for job in jobs] == [True]
    with geoplan.settings.override(parallel=False):
        serial = geoplan.write_run(result, tmp_path / "serial")
    assert printed(folder) == printed(serial)


def test_no_print_writer_ahead_for_a_study_that_prints_nothing_or_where_none_may_fork(forks):
    config = synthetic_config()
    config["outputs"]["print"] = False
    with run_module.print_ahead(geoplan.Study.from_config(parse_config(config))) as ahead:
        assert ahead is None
    study = geoplan.Study.from_config(parse_config(synthetic_config()))
    with geoplan.settings.override(parallel=False), run_module.print_ahead(study) as ahead:
        assert ahead is None
    with pytest.MonkeyPatch.context() as patch:  # a network too large
        patch.setattr(run_module, "_AHEAD_AT_MOST_NODES", study.network.n_nodes - 1)
        with run_module.print_ahead(study) as ahead:
            assert ahead is None
    with run_module.print_ahead(study) as ahead:
        assert ahead is not None


def test_a_missing_chinese_font_is_noted_once_by_a_print_writer_started_ahead(
    tmp_path, monkeypatch, forks
):
    from geoplan.outputs import fonts

    monkeypatch.setattr(fonts, "cjk_typeface", lambda: None)  # before the fork: it copies it
    study = geoplan.Study.from_config(parse_config(synthetic_config()))
    with geoplan.settings.override(lang="zh"), run_module.print_ahead(study) as ahead:
        result = geoplan.run_study(study)
        with pytest.warns(fonts.MissingFontWarning, match="fonts-noto-cjk") as warned:
            folder = geoplan.write_run(result, tmp_path / "run", print_ahead=ahead)
    written = json.loads((folder / "run.json").read_text(encoding="utf-8"))["notes"]
    assert len([n for n in written if "English" in n and "fonts-noto-cjk" in n]) == 1
    assert sum(w.category is fonts.MissingFontWarning for w in warned) == 1


@pytest.mark.parametrize("parallel", [True, False])
def test_a_missing_chinese_font_is_noted_and_warned_here_by_either_process(
    result, tmp_path, monkeypatch, forks, jobs, parallel
):
    from geoplan.outputs import fonts

    monkeypatch.setattr(fonts, "cjk_typeface", lambda: None)  # the fork copies it too
    notes_before = list(result.notes)
    try:
        with (
            geoplan.settings.override(parallel=parallel, lang="zh"),
            pytest.warns(fonts.MissingFontWarning, match="fonts-noto-cjk") as warned,
        ):
            folder = geoplan.write_run(result, tmp_path / "run")
        assert [job.forked for job in jobs] == [parallel]
        written = json.loads((folder / "run.json").read_text(encoding="utf-8"))["notes"]
        # once, after the notes the run had before writing, in run.json and report.html
        english = [n for n in written if "English" in n and "fonts-noto-cjk" in n]
        assert len(english) == 1
        assert written[: len(notes_before)] == notes_before
        assert written[len(notes_before)] == english[0]
        assert html.escape(english[0]) in (folder / "report.html").read_text(encoding="utf-8")
        assert sum(w.category is fonts.MissingFontWarning for w in warned) == 1
        assert result.notes.count(english[0]) == 1
    finally:
        result.notes[:] = notes_before


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
@pytest.mark.parametrize("stage", ["proposing", "writing"])
def test_killing_the_run_stops_its_second_process_and_the_next_run_cleans_up(tmp_path, stage):
    out = tmp_path / "synthetic"
    command = [sys.executable, "-m", "geoplan", "-q", "run", str(SYNTHETIC), "--out", str(out)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 180
    children: list[int] = []
    while time.monotonic() < deadline and process.poll() is None and not children:
        # the proposals' process starts before anything is written, the print writer's
        # once the run's staging folder is there
        staging = any(p.name.startswith(".synthetic.partial") for p in tmp_path.iterdir())
        if (stage == "writing") == staging:
            children = children_of(process.pid)
        time.sleep(0.02)
    assert children, f"the run finished before its second process ({stage}) could be seen"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(alive(pid) for pid in children):
        time.sleep(0.05)
    assert not any(alive(pid) for pid in children), "the second process outlived its run"
    assert not out.exists()
    # the next run clears the staging folder the killed run left and writes the study
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["synthetic"]
    assert (out / RUN_MARKER).is_file()
    assert (out / "report.pdf").is_file()
