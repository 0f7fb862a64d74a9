"""The notebooks in notebooks/: stored clean, bilingual, no typed figures; they run offline.

Every ``notebooks/*.ipynb`` present is checked (whoever wrote it), so a new notebook is
picked up without touching this file:

* stored clean: valid nbformat 4, kernel ``python3``, no outputs, execution counts null;
* at least one markdown heading in Chinese and English (CJK characters and Latin letters);
* no figure typed into markdown (:data:`TYPED_FIGURE`): figures are computed and printed;
* executed top to bottom with nbclient in a fresh ``python3`` kernel running this
  interpreter, in ``notebooks/`` as Jupyter does: no cell raises, no cell takes longer
  than :data:`CELL_TIMEOUT_S`, the whole notebook finishes within :data:`NOTEBOOK_BUDGET_S`;
* the kernel cannot reach the internet: a ``sitecustomize`` put on its ``PYTHONPATH``
  (:data:`_KERNEL_SITECUSTOMIZE`) refuses every socket connection and name lookup beyond
  the local machine (checked by :func:`test_kernel_harness`). The kernel also gets its
  own IPython and Jupyter folders, so no user start-up script runs;
* nothing is written into the repository (outputs belong in ``tempfile.mkdtemp()``): the
  same ``sitecustomize`` records, with an audit hook, every file the kernel's Python opens
  for writing, creates, renames or deletes inside the repository; and files that appear
  or change in ``notebooks/``, ``data/`` or ``studies/`` (where relative paths and
  geoplan's default output folder lead) are caught even when a C library wrote them.
  The rest of the repository is not compared file by file, so that people editing the
  code while the tests run do not fail them;
* maps display inline: every cell ending in ``geoplan.maps.show(...)`` shows an
  ``<iframe srcdoc=...>``, and the notebooks in :data:`MAP_NOTEBOOKS` show at least one.

Warnings are errors in this process (the repository's pytest configuration), not in the
kernel: a notebook may show a library's warning to its reader.
"""

from __future__ import annotations

import ast
import json
import os
import re
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason='install the dev extra: pip install ".[dev]"')
nbclient = pytest.importorskip("nbclient", reason='install the dev extra: pip install ".[dev]"')
pytest.importorskip("ipykernel", reason='install the dev extra: pip install ".[dev]"')

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))

#: Seconds any one cell may run (nbclient's timeout).
CELL_TIMEOUT_S = 170
#: Seconds a whole notebook may take, kernel start included (the issue: under 3 minutes).
NOTEBOOK_BUDGET_S = 180
#: Notebooks that must display at least one map.
MAP_NOTEBOOKS = {"01_quickstart", "02_life_circles", "03_coverage"}

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+)$", re.MULTILINE)

#: Removed from markdown before the typed-figure check: fenced code blocks, inline code
#: (`5.4`, `0.025`: code-like text may hold any digits), link targets and bare URLs, HTML
#: tags, and the section number that starts a heading ("## 1.", "### 2.3 ").
_NOT_PROSE = (
    (re.compile(r"^ {0,3}(```|~~~).*?^ {0,3}\1", re.MULTILINE | re.DOTALL), " "),
    (re.compile(r"`[^`\n]*`"), " "),
    (re.compile(r"\]\([^)\s]*\)"), "]"),
    (re.compile(r"https?://\S+"), " "),
    (re.compile(r"<[^>\n]+>"), " "),
    (re.compile(r"^( {0,3}#{1,6}[ \t]+)\d+(?:\.\d+)*\.?", re.MULTILINE), r"\1"),
)

#: A figure typed into markdown prose, which goes stale when the data or the code change:
#: figures belong in code, printed with f-strings from computed values. The heuristic
#: flags what quoted results look like and leaves alone what explanations need.
#:
#: Flagged:
#:
#: * a percentage: "26%" (full-width too), "2.5 percent", "百分之二十六";
#: * a count of people or households: "14496 residents", "300 人", "12 户";
#: * a count in 万/亿: "5.6万", "3 亿";
#: * a number with a thousands separator: "56,235", "56，235";
#: * a decimal number: "0.26", "25.8", "1.5 m2" (dotted references with three parts or
#:   more pass, e.g. "GB 50180-2018 2.0.4"; put a two-part one such as a section "5.4"
#:   in backticks).
#:
#: Allowed: the section number of a heading ("## 1.", "### 2.3"), minutes and distances
#: ("5/10/15", "15-minute", "15 分钟", "0–5", "300 m"), ages ("60 岁"), standard codes and
#: years ("GB 50180-2018", "TD/T 1062-2021"), notebook numbers ("notebook 04"), and
#: anything in `backticks`, code blocks or link targets.
TYPED_FIGURE = re.compile(
    r"""
      \d+(?:\.\d+)?\s*(?:%|\uff05|‰|percent\b|per\s?cent\b)
    | 百分之
    | \d+(?:\.\d+)?\s*(?:people|persons|residents|inhabitants|households|人|户)
    | \d+(?:\.\d+)?\s*(?:万|亿)
    | (?<![\d.])\d{1,3}(?:[,，]\d{3})+(?!\d)
    | (?<![\w.])\d+\.\d+(?!\w|\.\d)
    """,
    re.VERBOSE | re.IGNORECASE,
)

#: The kernel's sitecustomize. It refuses connections and name lookups beyond this machine
#: (Jupyter's own traffic is ZeroMQ, in C, and does not pass through Python's socket module),
#: and logs to ``$GEOPLAN_TEST_WRITES`` every path inside ``$GEOPLAN_TEST_REPO`` that the
#: kernel's Python opens for writing, creates, renames, copies to or deletes.
_KERNEL_SITECUSTOMIZE = '''
"""Installed by tests/test_notebooks.py: no internet, and a log of writes into the repository."""
import ipaddress
import os
import socket
import sys

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}


def _is_local(host):
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).split("%")[0]
    if host.lower() in _LOCAL_NAMES:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _refuse(what):
    raise OSError(f"tests/test_notebooks.py: no internet for notebooks; refused {what}")


def _guard(method, where):
    def guarded(self, *args, **kwargs):
        address = args[where] if args else None
        if (
            self.family in (socket.AF_INET, socket.AF_INET6)
            and isinstance(address, tuple)
            and not _is_local(address[0])
        ):
            _refuse(f"{method.__name__} to {address!r}")
        return method(self, *args, **kwargs)

    guarded.__name__ = method.__name__
    return guarded


socket.socket.connect = _guard(socket.socket.connect, 0)
socket.socket.connect_ex = _guard(socket.socket.connect_ex, 0)
socket.socket.sendto = _guard(socket.socket.sendto, -1)  # sendto(data[, flags], address)
_getaddrinfo = socket.getaddrinfo


def getaddrinfo(host, *args, **kwargs):
    if not _is_local(host):
        _refuse(f"a name lookup of {host!r}")
    return _getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = getaddrinfo

_REPO = os.environ.get("GEOPLAN_TEST_REPO")
_LOG = open(os.environ["GEOPLAN_TEST_WRITES"], "a", encoding="utf-8") if _REPO else None
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
_CHANGES = {"os.mkdir", "os.remove", "os.rmdir", "os.truncate", "os.symlink", "os.link",
            "os.rename", "shutil.copyfile", "shutil.move"}
_WATCHED_EVENTS = _CHANGES | {"open"}


def _targets(event, args):
    """(path, dir_fd) of what the event writes; a relative path is relative to dir_fd."""
    if event == "open":
        path, mode, flags = args
        writes = any(c in mode for c in "wax+") if isinstance(mode, str) else flags & _WRITE_FLAGS
        return [(path, None)] if writes else []
    if event in ("os.rename", "shutil.move"):  # (src, dst, src_dir_fd, dst_dir_fd): both change
        fds = list(args[2:4]) + [None, None]
        return [(args[0], fds[0]), (args[1], fds[1])]
    if event == "shutil.copyfile":  # (src, dst)
        return [(args[1], None)]
    if event == "os.link":  # (src, dst, src_dir_fd, dst_dir_fd)
        return [(args[1], args[3])]
    if event == "os.symlink":  # (src, dst, dir_fd)
        return [(args[1], args[2])]
    if event in ("os.remove", "os.rmdir"):  # (path, dir_fd), e.g. from shutil.rmtree
        return [(args[0], args[1])]
    if event == "os.mkdir":  # (path, mode, dir_fd)
        return [(args[0], args[2])]
    return [(args[0], None)]  # os.truncate (path, length)


def _full_path(path, dir_fd):
    path = os.fsdecode(path)
    if os.path.isabs(path):
        return os.path.normpath(path)
    if isinstance(dir_fd, int) and dir_fd >= 0:
        try:
            base = os.readlink(f"/proc/self/fd/{dir_fd}")
        except OSError:
            return None  # cannot tell where: not judged
    else:
        base = os.getcwd()
    return os.path.normpath(os.path.join(base, path))


def _record(event, args):
    if event not in _WATCHED_EVENTS:
        return
    for path, dir_fd in _targets(event, args):
        if path is None or isinstance(path, int):
            continue
        try:
            full = _full_path(path, dir_fd)
        except (TypeError, ValueError):
            continue
        if full and full.startswith(_REPO + os.sep) and "__pycache__" not in full:
            _LOG.write(f"{event} {full}\\n")
            _LOG.flush()


if _LOG is not None:
    sys.addaudithook(_record)
'''

_NOT_SCANNED = {
    ".git",
    ".hypothesis",
    ".ipynb_checkpoints",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".venv",
    "__pycache__",
    "node_modules",
    "venv",
}


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _markdown(nb: nbformat.NotebookNode) -> list[str]:
    return [cell.source for cell in nb.cells if cell.cell_type == "markdown"]


def _prose(text: str) -> str:
    for pattern, replacement in _NOT_PROSE:
        text = pattern.sub(replacement, text)
    return text


def typed_figures(markdown: str) -> list[str]:
    """Return the typed figures :data:`TYPED_FIGURE` finds in a markdown text."""
    return [m.group(0) for m in TYPED_FIGURE.finditer(_prose(markdown))]


def _shows_map(source: str) -> bool:
    """Whether a code cell ends in ``show(...)`` (``geoplan.maps.show``), which Jupyter displays."""
    try:
        body = ast.parse(source).body
    except SyntaxError:  # IPython syntax (magics): not ours to judge
        return False
    last = body[-1] if body else None
    if not (isinstance(last, ast.Expr) and isinstance(last.value, ast.Call)):
        return False
    func = last.value.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return name == "show"


def _map_outputs(cell: nbformat.NotebookNode) -> int:
    return sum(
        "<iframe srcdoc=" in str(out.get("data", {}).get("text/html", ""))
        for out in cell.get("outputs", [])
    )


#: Folders compared file by file before and after a notebook runs.
_WATCHED = ("notebooks", "data", "studies")


def _snapshot() -> dict[str, tuple[int, int]]:
    """Size and mtime of every file in :data:`_WATCHED`, but the notebooks and their README."""
    found: dict[str, tuple[int, int]] = {}
    for top in _WATCHED:
        for folder, dirs, files in os.walk(ROOT / top):
            dirs[:] = [d for d in dirs if d not in _NOT_SCANNED]
            for name in files:
                path = Path(folder, name)
                relative = path.relative_to(ROOT).as_posix()
                if folder == str(NOTEBOOKS) and (name.endswith(".ipynb") or name == "README.md"):
                    continue  # edited by people while the tests run
                try:
                    stat = path.stat()
                except OSError:
                    continue
                found[relative] = (stat.st_size, stat.st_mtime_ns)
    return found


@pytest.fixture
def kernel_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A python3 kernel of this interpreter: no internet or user start-up files; writes logged."""
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "Python 3 (tests)",
                "language": "python",
            }
        ),
        encoding="utf-8",
    )
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(_KERNEL_SITECUSTOMIZE, encoding="utf-8")
    python_path = [str(site), *filter(None, [os.environ.get("PYTHONPATH")])]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(python_path))
    monkeypatch.setenv("GEOPLAN_TEST_REPO", str(ROOT))
    monkeypatch.setenv("GEOPLAN_TEST_WRITES", str(tmp_path / "writes.log"))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))  # searched first
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    return tmp_path


def _execute(nb: nbformat.NotebookNode) -> None:
    client = nbclient.NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        startup_timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},  # the working folder, as in Jupyter
    )
    client.execute()


# ------------------------------------------------------------------ stored notebooks


def test_notebooks_exist() -> None:
    assert PATHS, f"no notebooks in {NOTEBOOKS}"
    assert {p.stem for p in PATHS} >= MAP_NOTEBOOKS, "a notebook of MAP_NOTEBOOKS is missing"


@pytest.mark.parametrize("path", PATHS, ids=_ids(PATHS))
def test_stored_without_outputs(path: Path) -> None:
    nb = _read(path)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", (
        f"{path.name}: set the kernel to python3 (metadata.kernelspec.name)"
    )
    dirty = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, (
        f"{path.name}: cells {dirty} are stored with outputs or execution counts; clear them "
        "(jupyter nbconvert --clear-output --inplace, or Edit > Clear Outputs of All Cells)"
    )


@pytest.mark.parametrize("path", PATHS, ids=_ids(PATHS))
def test_has_a_bilingual_heading(path: Path) -> None:
    headings = [h for text in _markdown(_read(path)) for h in _HEADING.findall(text)]
    assert any(_CJK.search(h) and _LATIN.search(h) for h in headings), (
        f"{path.name}: no markdown heading in both Chinese and English, "
        "e.g. '## 1. 读取路网 Read the network'"
    )


@pytest.mark.parametrize("path", PATHS, ids=_ids(PATHS))
def test_no_typed_figures_in_markdown(path: Path) -> None:
    found = {
        i: typed_figures(cell.source)
        for i, cell in enumerate(_read(path).cells)
        if cell.cell_type == "markdown"
    }
    found = {i: figures for i, figures in found.items() if figures}
    assert not found, (
        f"{path.name}: figures typed into markdown cells {found}; compute them and print "
        "them from code (f-strings), or put code-like text in `backticks`"
    )


@pytest.mark.parametrize(
    ("text", "figures"),
    [
        ("26% of residents", ["26%"]),
        ("覆盖率为 26 \uff05", ["26 \uff05"]),
        ("about 26 percent", ["26 percent"]),
        ("百分之二十六", ["百分之"]),
        ("a share of 0.26", ["0.26"]),
        ("1.5 m2 per person", ["1.5"]),
        ("56,235 residents", ["56,235"]),
        ("约 5.6万人", ["5.6万"]),
        ("14496 residents live", ["14496 residents"]),
        ("300 人，12 户", ["300 人", "12 户"]),
        ("the share is 0.26.", ["0.26"]),
        ("ODbL 1.0", ["1.0"]),
        ("## 1. 读取路网 Read the network", []),
        ("### 2.3 小节 Section", []),
        ("5/10/15-minute life circles, 15 分钟, 300 m", []),
        ("GB 50180-2018 2.0.4 and TD/T 1062-2021.", []),
        ("老年人（60 岁及以上）, under 6, 0–5 and 5–10 minutes", []),
        ("see notebook 04", []),
        ("in code: `0.025` and `5.4`", []),
        ("```python\nshare = 0.26  # 26%\n```", []),
        ("[docs](https://example.invalid/v1.2/page)", []),
    ],
)
def test_typed_figure_heuristic(text: str, figures: list[str]) -> None:
    assert typed_figures(text) == figures


# ------------------------------------------------------------------ execution


def _writes(kernel_env: Path) -> list[str]:
    log = kernel_env / "writes.log"
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return sorted({line.split(" ", 1)[1] for line in lines})


def test_kernel_harness(kernel_env: Path) -> None:
    """The kernel runs this interpreter, refuses the internet and logs writes into the repo."""
    probe = ROOT / "notebooks" / ".probe-test-notebooks.txt"
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        nbformat.v4.new_code_cell(
            "import os, socket, sys, urllib.request\n"
            "def refused(attempt):\n"
            "    try:\n"
            "        attempt()\n"
            "    except OSError as exc:\n"
            "        return 'no internet for notebooks' in str(exc)\n"
            "    return False\n"
            "print(sys.executable)\n"
            "print(refused(lambda: socket.socket().connect(('192.0.2.1', 80))),\n"
            "      refused(lambda: socket.getaddrinfo('example.com', 443)),\n"
            "      refused(lambda: urllib.request.urlopen('https://example.com', timeout=1)))\n"
            f"open({str(probe)!r}, 'w').close()\n"
            f"os.remove({str(probe)!r})"
        )
    ]
    try:
        _execute(nb)
    finally:
        probe.unlink(missing_ok=True)
    lines = nb.cells[0].outputs[0]["text"].splitlines()
    assert lines == [sys.executable, "True True True"], lines
    assert _writes(kernel_env) == [str(probe)]


@pytest.mark.slow
@pytest.mark.parametrize("path", PATHS, ids=_ids(PATHS))
def test_notebook_runs(path: Path, kernel_env: Path) -> None:
    nb = _read(path)
    before = _snapshot()
    started = time.perf_counter()
    _execute(nb)  # raises CellExecutionError, naming the cell, when a cell fails
    seconds = time.perf_counter() - started
    after = _snapshot()
    changed = sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )
    print(f"{path.name}: {seconds:.1f} s")

    assert seconds < NOTEBOOK_BUDGET_S, (
        f"{path.name} took {seconds:.0f} s; the budget is {NOTEBOOK_BUDGET_S} s"
    )
    written = _writes(kernel_env) + [str(ROOT / name) for name in changed]
    assert not written, (
        f"{path.name} wrote into the repository: {written[:10]}; write outputs into "
        "tempfile.mkdtemp()"
    )
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    silent = [
        i for i, cell in enumerate(code) if _shows_map(cell.source) and not _map_outputs(cell)
    ]
    assert not silent, f"{path.name}: code cells {silent} end in show(...) but display no map"
    if path.stem in MAP_NOTEBOOKS:
        assert sum(_map_outputs(cell) for cell in code), f"{path.name} displays no map"
