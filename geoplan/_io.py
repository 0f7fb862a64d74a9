r"""The ground floor of writing: atomic files, hashes, safe names, spreadsheet-safe text.

Everything geoplan writes goes through here, so that

* a file is written under a temporary name and moved into place only when it
  is complete (:func:`atomic_path`), with the permissions the user's umask
  gives, never the private mode of a temporary file;
* a name that came from user text (a facility type id, a study name) becomes
  a file name that cannot leave its folder (:func:`safe_name`);
* a table cell a spreadsheet would evaluate as a formula is neutralised
  (:func:`neutralise`, after the OWASP CSV-injection guidance).

Only the standard library is imported here; every layer above may use it.

Examples
--------
>>> safe_name("community_canteen")
'community_canteen'
>>> safe_name("x/../../victim").startswith("x_.._.._victim-")
True
>>> neutralise('=HYPERLINK("http://x")')
'\'=HYPERLINK("http://x")'
>>> neutralise("-12.5"), neutralise("朝阳社区")
('-12.5', '朝阳社区')
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from geoplan._errors import DataSourceError

__all__ = [
    "FORMULA_PREFIXES",
    "SAFE_NAME",
    "atomic_path",
    "file_mode",
    "folder_mode",
    "neutralise",
    "safe_name",
    "sha256",
    "umask",
]

#: A name that may stand as a file name as it is: word characters (any script) and '-'.
SAFE_NAME = re.compile(r"^\w[\w-]{0,63}$")
#: Cell texts starting with one of these are formulas to a spreadsheet (OWASP; full-width
#: forms too, which some spreadsheets fold to ASCII).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
_UNSAFE_CHARACTER = re.compile(r"[^\w.-]")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_MAX_NAME = 64


def safe_name(text: str) -> str:
    r"""Return ``text`` as a file name that stays inside its folder.

    A name of word characters (letters of any script, digits, ``_``) and
    ``-`` of at most 64 characters is returned unchanged. Anything else
    (``/``, ``\\``, ``..``, NUL, ``#``, ``?``, control characters, a name
    that is too long) is replaced by ``_`` and followed by a short hash of the
    original, so two different names never share a file.

    Parameters
    ----------
    text
        A name from user text (a facility type id, a study name).

    Returns
    -------
    str
        A non-empty name without path separators, not starting with ``.``.

    Examples
    --------
    >>> safe_name("社区食堂")
    '社区食堂'
    >>> safe_name("a" * 300) == safe_name("a" * 301)
    False
    """
    if SAFE_NAME.fullmatch(text):
        return text
    cleaned = _UNSAFE_CHARACTER.sub("_", text).lstrip(".") or "_"
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{cleaned[: _MAX_NAME - 9]}-{digest}"


def neutralise(text: str) -> str:
    """Return a cell's text so that no spreadsheet evaluates it as a formula.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    (or their full-width forms) that is not a number gets a leading ``'``, as
    the OWASP CSV-injection guidance advises; everything else is returned as
    it is, so names stay readable.

    Parameters
    ----------
    text
        A cell's text.

    Returns
    -------
    str

    Examples
    --------
    >>> neutralise("@SUM(A1)"), neutralise("+86 431 8888 0000"), neutralise("+5")
    ("'@SUM(A1)", "'+86 431 8888 0000", '+5')
    """
    if not text.startswith(FORMULA_PREFIXES) or _NUMBER.fullmatch(text):
        return text
    return "'" + text


def umask() -> int:
    """Return the process's umask (read from /proc where it can be, without changing it)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    current = os.umask(0o022)
    os.umask(current)
    return current


def file_mode() -> int:
    """Return the mode a new file gets under the user's umask (0o644 under umask 022)."""
    return 0o666 & ~umask()


def folder_mode() -> int:
    """Return the mode a new folder gets under the user's umask (0o755 under umask 022)."""
    return 0o777 & ~umask()


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    r"""Yield a temporary path beside ``path``; move it onto ``path`` on success.

    The file gets the mode the user's umask gives a new file. A block that
    raises leaves ``path`` as it was and no temporary file behind.

    Parameters
    ----------
    path
        The file to write. Its folder is created when missing.

    Yields
    ------
    pathlib.Path
        Where to write; it becomes ``path`` only when the block ends without error.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "table.csv"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("a,b\\n1,2\\n")
    >>> target.read_text()
    'a,b\\n1,2\\n'
    """
    final = Path(path)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{final.stem}-", suffix=final.suffix, dir=final.parent)
    except OSError as exc:
        msg = f"cannot write into {final.parent}: {exc.strerror}. Choose a writable output folder."
        raise DataSourceError(msg) from exc
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # writers such as GDAL want to create the file themselves
    try:
        yield tmp
        try:
            if tmp.is_file():
                os.chmod(tmp, file_mode())
            os.replace(tmp, final)
        except OSError as exc:
            msg = f"cannot write {final}: {exc.strerror}. Choose another output path."
            raise DataSourceError(msg) from exc
    finally:
        if tmp.exists():
            tmp.unlink()


def sha256(path: str | os.PathLike[str]) -> str:
    """Return the SHA-256 of a file (or of every file under a folder, in name order)."""
    digest = hashlib.sha256()
    target = Path(path)
    files = sorted(p for p in target.rglob("*") if p.is_file()) if target.is_dir() else [target]
    for file in files:
        with file.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()
