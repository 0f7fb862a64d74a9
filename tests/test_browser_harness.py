"""The headless-Chromium harness (tests/_browser.py) sees what it claims to see, and can fail.

Every test but the first needs Chromium and playwright and skips cleanly without them.
"""

from __future__ import annotations

import html
import socket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._browser import (
    chromium_path,
    count_js,
    open_map,
    require_browser,
    text_js,
    texts_js,
)

FAST = 100  # ms to wait after load: these pages have no timers


def _write(tmp_path: Path, body: str, name: str = "page.html", title: str = "t") -> Path:
    path = tmp_path / name
    path.write_text(
        f'<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>'
        f"<body>{body}</body></html>",
        encoding="utf-8",
    )
    return path


def test_missing_chromium_skips(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GEOPLAN_CHROMIUM", str(tmp_path / "nonexistent"))
    assert chromium_path() is None
    with pytest.raises(pytest.skip.Exception, match="apt-get install chromium"):
        require_browser()
    with pytest.raises(pytest.skip.Exception, match="pip install playwright"):
        open_map(_write(tmp_path, "x"))


def test_clean_page_reports_nothing(tmp_path: Path) -> None:
    require_browser()
    report = open_map(_write(tmp_path, "<p>hello</p>", title="Clean"), wait_ms=FAST)
    assert report.title == "Clean"
    assert report.problems == []
    assert report.blocked_requests == []
    assert report.layer_names == []
    assert report.legend_count == 0
    report.assert_clean()


def test_uncaught_error_is_a_page_error(tmp_path: Path) -> None:
    require_browser()
    body = (
        "<script>throw new TypeError('kaboom')</script>"
        "<script>Promise.reject(new Error('rejected'))</script>"
        "<script>setTimeout(() => undefinedFunction(), 10)</script>"
    )
    report = open_map(_write(tmp_path, body), wait_ms=200)
    assert "TypeError: kaboom" in report.page_errors
    assert any("rejected" in e for e in report.page_errors)
    assert any("undefinedFunction" in e for e in report.page_errors)
    with pytest.raises(AssertionError, match="kaboom"):
        report.assert_clean()


def test_console_errors_apart_from_blocked_loads(tmp_path: Path) -> None:
    require_browser()
    body = (
        '<script src="https://example.invalid/x.js"></script>'
        "<script>console.error('boom'); console.warn('only a warning')</script>"
        '<img src="missing-local.png">'
    )
    report = open_map(_write(tmp_path, body), wait_ms=FAST)
    assert "boom" in report.console_errors
    assert "only a warning" not in report.console_errors
    # A missing *local* file is a real error; the blocked remote script is ours.
    assert any("ERR_FILE_NOT_FOUND" in e for e in report.console_errors)
    assert not any("BLOCKED_BY_CLIENT" in e for e in report.console_errors)
    assert any("BLOCKED_BY_CLIENT" in e for e in report.blocked_load_errors)
    assert report.page_errors == []


@pytest.fixture
def loopback_listener() -> Iterator[tuple[int, list[bytes]]]:
    """A TCP listener on 127.0.0.1 that records every connection it gets (it must get none)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    hits: list[bytes] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(0.5)
                try:
                    hits.append(conn.recv(200) or b"<connected, sent nothing>")
                except OSError:
                    hits.append(b"<connected, sent nothing>")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1], hits
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()


def test_remote_requests_are_blocked_and_recorded(
    tmp_path: Path, loopback_listener: tuple[int, list[bytes]]
) -> None:
    require_browser()
    port, hits = loopback_listener
    local = f"http://127.0.0.1:{port}"
    body = f"""
        <script src="https://example.invalid/x.js"></script>
        <link rel="stylesheet" href="{local}/style.css">
        <img src="{local}/tile.png">
        <iframe src="{local}/frame"></iframe>
        <script>
          fetch("{local}/fetch").catch(() => {{}});
          new WebSocket("ws://127.0.0.1:{port}/ws").onerror = () => {{}};
          navigator.sendBeacon("{local}/beacon", "x");
        </script>
        <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
    """
    report = open_map(_write(tmp_path, body), wait_ms=500)
    assert hits == [], f"the page reached the network: {hits}"
    assert "https://example.invalid/x.js" in report.blocked_requests
    for suffix in ("style.css", "tile.png", "frame", "fetch", "beacon"):
        assert f"{local}/{suffix}" in report.blocked_requests
    assert f"ws://127.0.0.1:{port}/ws" in report.blocked_requests
    assert not any(u.startswith(("file:", "data:")) for u in report.blocked_requests)
    # The x.js that never loaded leaves no page error; the failed loads are ours, not the page's.
    assert report.page_errors == []
    assert not any("ERR_" in e for e in report.console_errors), report.console_errors


XSS = "<img src=x onerror=alert(1)>"


def test_raw_injection_fires_a_dialog(tmp_path: Path) -> None:
    require_browser()
    report = open_map(_write(tmp_path, f"<div id='name'>{XSS}</div>"), wait_ms=FAST)
    assert report.dialogs == ["alert: 1"]
    with pytest.raises(AssertionError, match="dialog: alert: 1"):
        report.assert_clean()


def test_escaped_injection_is_inert_text(tmp_path: Path) -> None:
    require_browser()
    page = _write(tmp_path, f"<div id='name'>{html.escape(XSS)}</div>")
    report = open_map(
        page, wait_ms=FAST, evaluate={"name": text_js("#name"), "imgs": count_js("img")}
    )
    assert report.dialogs == []
    assert report.extra == {"name": XSS, "imgs": 0}
    report.assert_clean()


def _fake_layer_control(names: list[str], legends: int) -> str:
    """Leaflet 1.9's layer-control markup, collapsed (the list is display:none), plus legends."""
    items = "".join(
        '<label><span><input type="checkbox" class="leaflet-control-layers-selector" checked>'
        f"<span> {html.escape(n)}</span></span></label>"
        for n in names
    )
    legend = "".join(f'<div class="geoplan-legend">legend {i}</div>' for i in range(legends))
    return (
        "<style>.leaflet-control-layers-list { display: none }</style>"
        '<div class="leaflet-control-layers leaflet-control">'
        '<a class="leaflet-control-layers-toggle" href="#" title="Layers"></a>'
        '<section class="leaflet-control-layers-list">'
        '<div class="leaflet-control-layers-base"></div>'
        '<div class="leaflet-control-layers-separator"></div>'
        f'<div class="leaflet-control-layers-overlays">{items}</div>'
        "</section></div>"
        f"{legend}"
        '<div class="other-legend">not counted by default</div>'
    )


def test_layer_names_and_legends_are_read(tmp_path: Path) -> None:
    require_browser()
    names = ["幼儿园 15-min coverage", "Population <grid>", XSS]
    page = _write(tmp_path, _fake_layer_control(names, legends=2))
    report = open_map(page, wait_ms=FAST, evaluate={"legends": texts_js(".geoplan-legend")})
    assert report.layer_names == names
    assert report.legend_count == 2
    assert report.extra["legends"] == ["legend 0", "legend 1"]
    report.assert_clean()
    other = open_map(page, wait_ms=0, legend_selector=".other-legend")
    assert other.legend_count == 1


def test_real_folium_map_needs_its_cdn(tmp_path: Path) -> None:
    """folium loads Leaflet from a CDN: offline, the harness sees the blocked loads and L fail."""
    require_browser()
    folium = pytest.importorskip("folium")
    m = folium.Map(tiles=None, location=[43.88, 125.32], zoom_start=12)
    path = tmp_path / "folium.html"
    m.save(str(path))
    report = open_map(path, wait_ms=FAST)
    assert any(u.endswith("leaflet.js") for u in report.blocked_requests), report.blocked_requests
    assert all(u.startswith(("http://", "https://")) for u in report.blocked_requests)
    assert any("L is not defined" in e for e in report.page_errors), report.page_errors
    assert report.layer_names == []
    assert report.blocked_load_errors


def test_screenshot_is_a_png_of_the_viewport(tmp_path: Path) -> None:
    require_browser()
    body = (
        '<div style="height: 3000px; background: linear-gradient(#2a6, #fff)">'
        '<h1 style="font-family: sans-serif">长春市 15 分钟生活圈</h1></div>'
    )
    shot = tmp_path / "shots" / "page.png"
    report = open_map(_write(tmp_path, body), screenshot=shot, wait_ms=FAST)
    assert report.screenshot == shot
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (1200, 800)  # viewport, not the full page
    assert len(data) > 1000
