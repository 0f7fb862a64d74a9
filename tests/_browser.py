"""Open local HTML files (folium maps) in a real headless Chromium with the network blocked.

Usage in a test::

    from tests._browser import open_map, require_browser, text_js

    def test_map_renders(tmp_path):
        require_browser()  # skips when Chromium or playwright is missing
        report = open_map(tmp_path / "map.html", evaluate={"name": text_js(".popup b")})
        assert report.page_errors == [] and report.dialogs == []

The browser is Debian's ``chromium`` (``.ci/browser-setup`` installs it), driven through the
``playwright`` Python package; playwright's own browser download (``playwright install``) is
never used. One browser is launched lazily per process and closed at exit; every
:func:`open_map` call gets a fresh, isolated context.

The network is blocked three times over:

* ``--host-resolver-rules=MAP * ~NOTFOUND`` makes every host name *and IP literal*
  unresolvable inside Chromium, so no TCP connection can be opened at all (this also covers
  the connections Chromium opens outside of page requests, e.g. the early connect it makes for
  an ``<iframe>`` navigation, which request routing alone does not stop);
* the context is ``offline=True``, which also fails WebSockets (routing does not see them);
  ``file://`` pages still load normally when offline;
* every request whose URL is not ``file:``, ``data:``, ``about:`` or ``blob:`` is aborted by
  a route handler and recorded in :attr:`PageReport.blocked_requests`.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import (
        Browser,
        ConsoleMessage,
        Dialog,
        Error,
        Playwright,
        Route,
        WebSocket,
    )

ENV_VAR = "GEOPLAN_CHROMIUM"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)
VIEWPORT = (1200, 800)
LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")
LAYER_LABELS = ".leaflet-control-layers-list label"
INSTALL_HINT = (
    "install Debian's Chromium with `apt-get install chromium` (or run .ci/browser-setup) "
    "and the Python package with `pip install playwright`; `playwright install` is not needed "
    f"(set {ENV_VAR} to use another Chromium binary)"
)


def chromium_path() -> str | None:
    """The Chromium binary to drive, or None when there is none.

    ``$GEOPLAN_CHROMIUM`` wins when set (a path or a command name); if it names nothing
    executable, Chromium counts as absent (no fallback), so setting it to a missing file is
    the way to exercise the skip path.
    """
    env = os.environ.get(ENV_VAR)
    if env:
        return shutil.which(env)
    if os.access(DEFAULT_CHROMIUM, os.X_OK) and Path(DEFAULT_CHROMIUM).is_file():
        return DEFAULT_CHROMIUM
    return shutil.which("chromium")


def playwright_available() -> bool:
    """Whether ``playwright.sync_api`` imports (the package and its greenlet are installed)."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


def require_browser() -> str:
    """Skip the calling test unless Chromium and playwright are both there; return Chromium."""
    path = chromium_path()
    if path is None:
        pytest.skip(f"no Chromium found: {INSTALL_HINT}")
    if not playwright_available():
        pytest.skip(f"the playwright package is not installed: {INSTALL_HINT}")
    return path


@dataclass
class PageReport:
    """What happened while a page was open."""

    url: str
    title: str = ""
    page_errors: list[str] = field(default_factory=list)
    """Uncaught exceptions and unhandled rejections (``pageerror``), as ``Name: message``."""
    console_errors: list[str] = field(default_factory=list)
    """``console.error`` and other error-level console messages, except the ones below."""
    blocked_load_errors: list[str] = field(default_factory=list)
    """Error-level console messages caused by our own blocking of a remote load."""
    blocked_requests: list[str] = field(default_factory=list)
    """Every remote URL the page tried to reach (requests and WebSockets), all blocked."""
    dialogs: list[str] = field(default_factory=list)
    """``alert``/``confirm``/``prompt``/``beforeunload`` dialogs, as ``type: message``;
    each one was dismissed. A non-empty list after injecting a payload means XSS."""
    layer_names: list[str] = field(default_factory=list)
    """Trimmed text of each entry of the Leaflet layer control (read even when collapsed)."""
    legend_count: int = 0
    """Number of elements matching ``legend_selector``."""
    screenshot: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    """Result of each JS expression passed as ``evaluate``, under its name."""

    @property
    def problems(self) -> list[str]:
        """Page errors, console errors and dialogs, prefixed by kind: empty for a clean page."""
        return (
            [f"pageerror: {e}" for e in self.page_errors]
            + [f"console: {e}" for e in self.console_errors]
            + [f"dialog: {e}" for e in self.dialogs]
        )

    def assert_clean(self) -> None:
        assert not self.problems, "\n".join(self.problems)


def text_js(selector: str) -> str:
    """JS expression: ``textContent`` of the first match of ``selector`` (null if none)."""
    sel = json.dumps(selector)
    return (
        f"(() => {{ const e = document.querySelector({sel}); return e ? e.textContent : null; }})()"
    )


def texts_js(selector: str) -> str:
    """JS expression: list of the ``textContent`` of every match of ``selector``."""
    sel = json.dumps(selector)
    return f"Array.from(document.querySelectorAll({sel}), e => e.textContent)"


def count_js(selector: str) -> str:
    """JS expression: number of elements matching ``selector``."""
    return f"document.querySelectorAll({json.dumps(selector)}).length"


class _Session:
    """One playwright driver + one Chromium per process, started on first use."""

    def __init__(self) -> None:
        self.playwright: Playwright | None = None
        self.browser: Browser | None = None
        self.executable: str | None = None
        self._atexit = False

    def get(self, executable: str) -> Browser:
        if (
            self.browser is not None
            and self.browser.is_connected()
            and self.executable == executable
        ):
            return self.browser
        self.close()
        from playwright.sync_api import sync_playwright

        self.playwright = sync_playwright().start()
        try:
            self.browser = self.playwright.chromium.launch(
                executable_path=executable,
                args=list(CHROMIUM_ARGS),
                headless=True,
                timeout=60_000,
            )
        except BaseException:
            self.close()
            raise
        self.executable = executable
        if not self._atexit:
            atexit.register(self.close)
            self._atexit = True
        return self.browser

    def close(self) -> None:
        browser, pw = self.browser, self.playwright
        self.browser = self.playwright = self.executable = None
        try:
            if browser is not None and browser.is_connected():
                browser.close()
        finally:
            if pw is not None:
                pw.stop()


_SESSION = _Session()


def _is_local(url: str) -> bool:
    return url.startswith(LOCAL_SCHEMES)


def open_map(
    path: Path | str,
    *,
    screenshot: Path | None = None,
    wait_ms: int = 1500,
    legend_selector: str = ".geoplan-legend",
    evaluate: dict[str, str] | None = None,
    timeout_ms: int = 30_000,
) -> PageReport:
    """Open a local HTML file offline in headless Chromium and report what happened.

    Waits for the ``load`` event, then ``wait_ms`` more (for timers and animations), then
    reads the layer control, counts ``legend_selector``, evaluates each JS expression of
    ``evaluate`` into :attr:`PageReport.extra` (an expression that throws raises here), and
    takes a 1200x800 viewport screenshot to ``screenshot`` if given. Skips the test when no
    browser is available (see :func:`require_browser`).
    """
    executable = require_browser()
    file = Path(path).resolve()
    if not file.is_file():
        raise FileNotFoundError(file)
    browser = _SESSION.get(executable)
    report = PageReport(url=file.as_uri())
    raw_console_errors: list[tuple[str, str]] = []

    def on_route(route: Route) -> None:
        url = route.request.url
        if _is_local(url):
            route.continue_()
        else:
            report.blocked_requests.append(url)
            route.abort("blockedbyclient")

    def on_websocket(ws: WebSocket) -> None:
        report.blocked_requests.append(ws.url)

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            raw_console_errors.append((msg.text, str(msg.location.get("url", ""))))

    def on_pageerror(exc: Error) -> None:
        report.page_errors.append(f"{exc.name}: {exc.message}" if exc.name else exc.message)

    def on_dialog(dialog: Dialog) -> None:
        report.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    context = browser.new_context(
        offline=True,
        viewport={"width": VIEWPORT[0], "height": VIEWPORT[1]},
        service_workers="block",
        accept_downloads=False,
    )
    try:
        context.set_default_timeout(timeout_ms)
        context.route("**/*", on_route)
        page = context.new_page()
        page.on("websocket", on_websocket)
        page.on("console", on_console)
        page.on("pageerror", on_pageerror)
        page.on("dialog", on_dialog)
        page.goto(report.url, wait_until="load", timeout=timeout_ms)
        if wait_ms > 0:
            page.wait_for_timeout(wait_ms)
        report.title = page.title()
        report.layer_names = page.evaluate(
            "sel => Array.from(document.querySelectorAll(sel), e => e.textContent.trim())",
            LAYER_LABELS,
        )
        report.legend_count = page.evaluate(
            "sel => document.querySelectorAll(sel).length", legend_selector
        )
        for name, expression in (evaluate or {}).items():
            report.extra[name] = page.evaluate(expression)
        if screenshot is not None:
            screenshot = Path(screenshot)
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=screenshot, full_page=False)
            report.screenshot = screenshot
    finally:
        context.close()

    blocked = set(report.blocked_requests)
    for text, url in raw_console_errors:
        ours = "net::ERR_" in text and (
            url in blocked
            or any(f"'{b}'" in text for b in blocked)
            or (url != "" and not _is_local(url))
        )
        shown = f"{text} ({url})" if text.startswith("Failed to load resource") and url else text
        (report.blocked_load_errors if ours else report.console_errors).append(shown)
    return report
