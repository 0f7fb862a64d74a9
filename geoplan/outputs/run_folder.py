"""The run folder: staged beside its final place, moved in complete, never touching others' files.

A run folder is the one place a run writes. geoplan

* writes everything into a hidden staging folder next to the target and moves
  it into place only when complete, so a run that is stopped half-way leaves
  the earlier run as it was;
* records every file it wrote, with its SHA-256, in a manifest
  (:data:`RUN_MARKER`); a folder without one is never written into, and
  ``--force`` replaces an earlier run only when the folder holds nothing but
  those files, unchanged — a user's notes, a sub-folder of analysis or a
  table edited since are listed and the run is refused, never deleted;
* holds a lock beside the target while it works, so a second run of the same
  folder is refused with a clear message instead of racing the first;
* restores the earlier run if a run was killed between the two renames that
  swap the new one in;
* refuses, before any work, targets that are symbolic links, inside another
  run folder, around the current directory, inside ``data/raw`` or too long
  for the file system.

Examples
--------
>>> import tempfile, pathlib
>>> target = pathlib.Path(tempfile.mkdtemp()) / "study"
>>> with RunFolder(target).staging() as folder:
...     _ = (folder / "a.txt").write_text("done")
>>> sorted(p.name for p in target.iterdir())
['.geoplan-run', 'a.txt']
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from geoplan._errors import OutputError
from geoplan._io import folder_mode, sha256

try:  # POSIX: the lock is released by the kernel when its holder dies, even by SIGKILL
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["OS_METADATA", "RUN_MARKER", "Manifest", "RunFolder", "read_manifest"]

log = logging.getLogger(__name__)

#: The manifest in every folder a geoplan run made; without it geoplan never touches a folder.
RUN_MARKER = ".geoplan-run"
_STAGING_MARKER = ".geoplan-partial"
#: Files an operating system's file browser leaves in folders; carried over, never refused.
OS_METADATA = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
#: What a wave-1 run folder (a marker without a manifest) may hold.
_LEGACY_PATTERNS = (
    "report.html",
    "run.json",
    "layers.gpkg",
    "tables/*.csv",
    "rasters/*.tif",
    "maps/*.html",
    "maps/lib/**/*",
)
#: Room kept below PATH_MAX for the deepest file a run writes inside its folder.
_INNER_PATH_ROOM = 160
#: SQLite's limit on the path of a database it opens (SQLITE_MAX_PATHNAME), and the
#: deepest GeoPackage file a run writes while it stages (with SQLite's journal suffix).
_SQLITE_PATH_MAX = 511
_DEEPEST_GEOPACKAGE = ".layers-12345678.gpkg-journal"
_LISTED = 12


@dataclass(frozen=True)
class Manifest:
    """What an earlier run wrote into its folder.

    Attributes
    ----------
    study
        The study's name.
    command
        What made it: ``run``, ``demo``, ``run-many``, a step subcommand.
    files
        Relative path to SHA-256 of every file the run wrote.
    legacy
        A folder from before manifests (wave 1): its files are recognised by name.
    """

    study: str | None
    command: str | None
    files: dict[str, str] = field(default_factory=dict)
    legacy: bool = False


def read_manifest(folder: Path) -> Manifest | None:
    """Return the manifest of a run folder, or ``None`` when geoplan did not make it."""
    marker = folder / RUN_MARKER
    if not marker.is_file() or marker.is_symlink():
        return None
    try:
        record = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        record = None
    if isinstance(record, dict) and isinstance(record.get("files"), dict):
        files = {str(k): str(v) for k, v in record["files"].items()}
        return Manifest(record.get("study"), record.get("command"), files)
    return _legacy_manifest(folder)


def _legacy_manifest(folder: Path) -> Manifest:
    """Recognise a wave-1 folder's own files by their kinds, and the demo by its run.json."""
    files = {
        p.relative_to(folder).as_posix(): ""
        for pattern in _LEGACY_PATTERNS
        for p in folder.glob(pattern)
        if p.is_file() and not p.is_symlink()
    }
    study = command = None
    with contextlib.suppress(OSError, ValueError, AttributeError):
        record = json.loads((folder / "run.json").read_text(encoding="utf-8"))
        study = record.get("study")
        command = "demo" if study == "demo" and record.get("config_file") is None else "run"
    return Manifest(study, command, files, legacy=True)


def _foreign_files(folder: Path, manifest: Manifest) -> list[str]:
    """Paths in ``folder`` geoplan did not write, or that changed since it wrote them."""
    known_dirs = {str(Path(p).parent.as_posix()) for p in manifest.files}
    known_dirs |= {d.as_posix() for p in manifest.files for d in Path(p).parents}
    found = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if relative == RUN_MARKER or path.name in OS_METADATA:
            continue
        if path.is_dir() and not path.is_symlink():
            if relative not in known_dirs:
                found.append(relative + "/")
            continue
        digest = manifest.files.get(relative)
        if digest is None or path.is_symlink():
            found.append(relative)
        elif digest and sha256(path) != digest:
            found.append(f"{relative} (changed since geoplan wrote it)")
    # a foreign folder is listed once, not with every file inside it
    return [f for f in found if not any(f.startswith(d) and f != d for d in found if d[-1] == "/")]


# -------------------------------------------------------------------------- locking

_HELD: dict[str, tuple[IO[str], int]] = {}
#: Staging folders this process is writing (never cleared as stale, even by a nested run).
_ACTIVE: set[Path] = set()


@contextlib.contextmanager
def _locked(target: Path) -> Iterator[None]:
    """Hold ``.<name>.lock`` beside ``target`` (re-entrant within this process)."""
    lock = target.parent / f".{target.name}.lock"
    key = str(lock)
    if key in _HELD:
        handle, depth = _HELD[key]
        _HELD[key] = (handle, depth + 1)
        try:
            yield
        finally:
            handle, depth = _HELD[key]
            _HELD[key] = (handle, depth - 1)
        return
    handle = _acquire(lock, target)
    _HELD[key] = (handle, 1)
    try:
        yield
    finally:
        del _HELD[key]
        with contextlib.suppress(OSError):
            lock.unlink()
        handle.close()


def _let_go_in_child() -> None:
    """Close a forked child's copies of the held locks: only the run that took one holds it.

    A lock (flock) lasts while any copy of its file is open; a child of the run
    (the print writer, forked before the run or during it) that outlived a
    killed run by a few milliseconds made the next run of the folder refuse.
    """
    for handle, _ in _HELD.values():
        with contextlib.suppress(OSError):
            handle.close()
    _HELD.clear()


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_let_go_in_child)


def _acquire(lock: Path, target: Path) -> IO[str]:
    """Take the lock file, or refuse naming the run that holds it."""
    for _ in range(20):
        try:
            handle = lock.open("a+", encoding="utf-8")
        except OSError as exc:
            msg = f"cannot create {lock}: {exc.strerror}; choose a writable output folder"
            raise OutputError(msg) from exc
        if not _try_lock(handle):
            holder = _read_holder(lock)
            handle.close()
            msg = (
                f"another geoplan run is writing {target} ({holder}); wait until it has "
                "finished, or give this run another --out folder"
            )
            raise OutputError(msg)
        try:
            same = os.fstat(handle.fileno()).st_ino == lock.stat().st_ino
        except OSError:
            same = False
        if same:  # not a lock file its previous holder unlinked while we waited
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
            handle.flush()
            return handle
        handle.close()
    msg = f"cannot take the lock {lock}; retry, or give this run another --out folder"
    raise OutputError(msg)


def _try_lock(handle: IO[str]) -> bool:
    if fcntl is None:  # pragma: no cover - Windows: the lock file's content is the lock
        handle.seek(0)
        return not handle.read().strip()
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _read_holder(lock: Path) -> str:
    try:
        text = lock.read_text(encoding="utf-8").strip()
    except OSError:
        text = ""
    return text or "a run that is starting"


# ----------------------------------------------------------------------- the folder


class RunFolder:
    """A run's output folder, written beside its final place and moved in when complete.

    Parameters
    ----------
    target
        The run folder, e.g. ``data/processed/<study>``.
    force
        Replace an earlier geoplan run in ``target`` — only when it holds
        nothing but the files that run wrote, unchanged.
    study
        The study's name, recorded in the manifest.
    command
        What writes it (``run``, ``demo``, ...), recorded in the manifest.
    replaces_only
        Replace only a run made by this command (the demo replaces its own
        runs, never a user's study that happens to be named ``demo``).
    """

    def __init__(
        self,
        target: str | os.PathLike[str],
        *,
        force: bool = False,
        study: str | None = None,
        command: str = "run",
        replaces_only: str | None = None,
    ) -> None:
        self.target = Path(os.path.abspath(target))  # "." has no name to stage beside
        self.force = force
        self.study = study if study is not None else self.target.name
        self.command = command
        self.replaces_only = replaces_only

    # ---------------------------------------------------------------- checks

    def check(self) -> None:
        """Raise :class:`OutputError` unless the run may be written (before any work)."""
        self._check_path()
        earlier = self._earlier()
        if earlier is not None:
            self._check_earlier(earlier)
        self._make_parent()

    def _make_parent(self) -> list[Path]:
        """Create the target's parent folders; return those that did not exist."""
        parent = self.target.parent
        missing = [p for p in (parent, *parent.parents) if not p.exists()]
        try:
            parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            msg = f"cannot create {parent}: {exc.strerror}; choose a writable output folder"
            raise OutputError(msg) from exc
        if not os.access(parent, os.W_OK):
            msg = f"cannot write into {parent}; choose a writable output folder"
            raise OutputError(msg)
        return missing

    def _check_path(self) -> None:
        target = self.target
        if target.is_symlink():
            msg = (
                f"{target} is a symbolic link; geoplan writes only into real folders: give "
                f"the folder it points to ({os.path.realpath(target)}) or another --out"
            )
            raise OutputError(msg)
        if target.exists() and not target.is_dir():
            msg = f"{target} exists and is a file; choose another study name or output folder"
            raise OutputError(msg)
        resolved = Path(os.path.abspath(target))
        real = Path(os.path.realpath(target))
        for ancestor in real.parents:
            if (ancestor / RUN_MARKER).is_file():
                msg = (
                    f"{target} is inside the run folder {ancestor}, which geoplan replaces "
                    "as a whole; choose an --out folder outside it"
                )
                raise OutputError(msg)
        here = _current_folder()
        if here is not None and (here == real or real in here.parents):
            msg = (
                f"{target} is the current folder or holds it, and a run replaces its "
                "folder as a whole; choose an --out folder beside or below the current one"
            )
            raise OutputError(msg)
        parts = [p.lower() for p in real.parts]
        if any(a == "data" and b == "raw" for a, b in itertools.pairwise(parts)):
            msg = (
                f"{target} is inside data/raw, which holds inputs and is never written by "
                "geoplan; write runs to data/processed (the default) or another --out folder"
            )
            raise OutputError(msg)
        self._check_length(resolved)

    def _check_length(self, resolved: Path) -> None:
        try:
            path_max = os.pathconf(resolved.anchor or "/", "PC_PATH_MAX")
            name_max = os.pathconf(resolved.anchor or "/", "PC_NAME_MAX")
        except (OSError, ValueError, AttributeError):
            path_max, name_max = 4096, 255
        staging = f".{resolved.name}.partial-12345678"
        # the GeoPackage is written inside the staging folder, and SQLite opens no path
        # longer than 512 bytes
        geopackage = len(f"{resolved.parent}/{staging}/{_DEEPEST_GEOPACKAGE}".encode())
        longest = len(str(resolved).encode()) + _INNER_PATH_ROOM
        if geopackage > _SQLITE_PATH_MAX or longest > path_max or len(staging) > name_max:
            msg = (
                f"the output path is too long ({len(str(resolved))} characters): the run's "
                f"files need up to {_INNER_PATH_ROOM} more, GeoPackage (SQLite) files open "
                f"only at paths of at most {_SQLITE_PATH_MAX} bytes and a name may have "
                f"{name_max}; choose a shorter --out folder or study name"
            )
            raise OutputError(msg)

    def _earlier(self) -> Path | None:
        """Return the earlier run to evaluate: the target, or one an interrupted swap set aside."""
        target = self.target
        if target.is_dir() and any(target.iterdir()):
            return target
        if not target.exists():
            set_aside = self._set_aside()
            return set_aside[-1] if set_aside else None
        return None

    def _check_earlier(self, folder: Path) -> None:
        manifest = read_manifest(folder)
        target = self.target
        if manifest is None:
            msg = (
                f"{target} exists and was not made by geoplan, so geoplan will not write "
                "into it; choose another [study] name or --out folder"
            )
            raise OutputError(msg)
        if self.replaces_only is not None and manifest.command != self.replaces_only:
            made_by = f"geoplan {manifest.command}" if manifest.command else "another command"
            msg = (
                f"{target} holds a run of the study {manifest.study!r} made by {made_by}, "
                f"not by geoplan {self.replaces_only}, which will not replace it; give "
                f"another folder, e.g. --out {target.parent / (target.name + '-2')}"
            )
            raise OutputError(msg)
        if not self.force and self.replaces_only is None:
            msg = (
                f"{target} holds an earlier run; pass --force to replace it "
                "(or choose another --out folder)"
            )
            raise OutputError(msg)
        foreign = _foreign_files(folder, manifest)
        if foreign:
            listed = ", ".join(foreign[:_LISTED]) + (" ..." if len(foreign) > _LISTED else "")
            msg = (
                f"{target} holds files geoplan did not write: {listed}; --force replaces "
                "only geoplan's own files, so move these out of the folder (or give "
                "another --out folder) and run again"
            )
            raise OutputError(msg)

    # --------------------------------------------------------------- writing

    @contextlib.contextmanager
    def reserve(self) -> Iterator[None]:
        """Hold the folder's lock and check it; the work of the run goes inside."""
        self._check_path()
        created = self._make_parent()
        try:
            with _locked(self.target):
                self._recover()
                self.check()
                yield
        except BaseException:
            for folder in created:  # a failed run leaves no empty folders of its own behind
                with contextlib.suppress(OSError):
                    folder.rmdir()
            raise

    @contextlib.contextmanager
    def staging(self) -> Iterator[Path]:
        """Yield a staging folder; move it into place when the block ends without error."""
        with self.reserve():
            self._remove_stale_staging()
            staging = Path(
                tempfile.mkdtemp(prefix=f".{self.target.name}.partial-", dir=self.target.parent)
            )
            (staging / _STAGING_MARKER).write_text(f"pid {os.getpid()}\n", encoding="utf-8")
            _ACTIVE.add(staging)
            try:
                yield staging
                (staging / _STAGING_MARKER).unlink()
                self._write_manifest(staging)
                _set_folder_modes(staging)
                self._swap_in(staging)
            finally:
                _ACTIVE.discard(staging)
                if staging.exists():
                    _remove_ours(staging, _staged_files(staging))

    def _write_manifest(self, staging: Path) -> None:
        record: dict[str, Any] = {
            "made_by": "geoplan",
            "study": self.study,
            "command": self.command,
            "files": {
                p.relative_to(staging).as_posix(): sha256(p)
                for p in sorted(staging.rglob("*"))
                if p.is_file()
            },
        }
        text = json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        (staging / RUN_MARKER).write_text(text, encoding="utf-8")

    def _swap_in(self, staging: Path) -> None:
        target = self.target
        if target.is_dir() and not target.is_symlink() and not any(target.iterdir()):
            target.rmdir()  # an empty folder holds nothing to keep
        if not target.exists():
            os.replace(staging, target)
            return
        self.check()  # still ours and still only ours (nothing changed it while we ran)
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        old.rmdir()
        os.replace(target, old)
        os.replace(staging, target)
        self._discard(old)

    def _discard(self, old: Path) -> None:
        """Delete an earlier run's own files; anything else stays, in a visible folder."""
        manifest = read_manifest(old)
        if manifest is None:  # pragma: no cover - checked just before
            return
        for name in OS_METADATA:
            for found in old.rglob(name):
                destination = self.target / found.relative_to(old)
                if not destination.exists() and destination.parent.is_dir():
                    os.replace(found, destination)
        _remove_ours(old, [*manifest.files, RUN_MARKER])
        if old.exists():
            kept = old.with_name(f"{self.target.name}-kept-{time.strftime('%Y%m%d-%H%M%S')}")
            os.replace(old, kept)
            log.warning(
                "files that appeared in %s while geoplan replaced it were kept in %s",
                self.target,
                kept,
            )

    def _set_aside(self) -> list[Path]:
        """Earlier runs a swap set aside (``.<name>.old-*`` with a manifest), oldest first."""
        found = [
            p
            for p in self.target.parent.glob(f".{self.target.name}.old-*")
            if p.is_dir() and not p.is_symlink() and read_manifest(p) is not None
        ]
        return sorted(found, key=lambda p: p.stat().st_mtime)

    def _recover(self) -> None:
        """Restore an earlier run a killed swap left set aside; discard the replaced ones."""
        set_aside = self._set_aside()
        if not set_aside:
            return
        if not self.target.exists():
            newest = set_aside.pop()
            os.replace(newest, self.target)
            log.warning(
                "restored the earlier run of %s, which an interrupted run had set aside",
                self.target,
            )
        for old in set_aside:
            self._discard(old)

    def _remove_stale_staging(self) -> None:
        """Remove staging folders that killed runs of this study left behind (we hold the lock)."""
        for stale in self.target.parent.glob(f".{self.target.name}.partial-*"):
            if stale in _ACTIVE or stale.is_symlink():
                continue
            if (stale / _STAGING_MARKER).is_file():
                log.info("removing %s, left by an interrupted run", stale)
                _remove_ours(stale, _staged_files(stale))


def _current_folder() -> Path | None:
    try:
        return Path(os.path.realpath(Path.cwd()))
    except OSError:  # the current folder was deleted
        return None


def _staged_files(staging: Path) -> list[str]:
    """Every file of a staging folder (all of them are geoplan's own)."""
    return [p.relative_to(staging).as_posix() for p in staging.rglob("*") if not p.is_dir()]


def _remove_ours(folder: Path, files: list[str]) -> None:
    """Delete ``files`` (relative to ``folder``), then the folders they leave empty."""
    for relative in files:
        path = folder / relative
        with contextlib.suppress(FileNotFoundError, IsADirectoryError):
            path.unlink()
    for directory in sorted((p for p in folder.rglob("*") if p.is_dir()), reverse=True):
        with contextlib.suppress(OSError):
            directory.rmdir()
    with contextlib.suppress(OSError):
        folder.rmdir()


def _set_folder_modes(staging: Path) -> None:
    """Give the run folder the mode the user's umask gives a new folder (mkdtemp makes 0700)."""
    mode = folder_mode()
    os.chmod(staging, mode)
    for directory in staging.rglob("*"):
        if directory.is_dir():
            os.chmod(directory, mode)
