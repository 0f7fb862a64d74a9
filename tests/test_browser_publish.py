"""Maps and the report a bureau can publish, opened as a planner would: offline, from nothing.

The demo is run in a fresh process whose home folder is empty (no asset cache, no npm,
nothing fetched) and every map and the report are opened in headless Chromium with
every network request aborted. Each map must load Leaflet (from the files pip installed
beside it), raise no script error, carry a title, and show one legend per layer that is
on (a legend hides with its layer). The facility symbols are checked on a screenshot
against the stored expectations (``tests/data/type_symbols.json``): every type keeps its
colour, and no two types share both symbol and colour.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from geoplan.outputs import maps
from geoplan.outputs.cartography import type_style
from geoplan.standards import load_standards
from tests._browser import open_map, require_browser

EXPECTED = Path(__file__).parent / "data" / "type_symbols.json"

LEGENDS_AND_TOGGLE = """(() => {
  const visible = () => document.querySelectorAll('.geoplan-legend').length;
  const boxes = Array.from(document.querySelectorAll('.leaflet-control-layers-overlays input'));
  const on = boxes.filter(b => b.checked);
  const result = {legends: visible(), checked: on.length, toggled: []};
  for (const box of on) {
    box.click();
    const off = visible();
    box.click();
    result.toggled.push([off, visible()]);
  }
  result.leaflet = typeof window.L === 'object' && typeof L.map === 'function';
  result.title = (document.querySelector('.geoplan-title .title') || {}).textContent || '';
  result.subtitle = (document.querySelector('.geoplan-title .subtitle') || {}).textContent || '';
  // the base layer (streets, water, green, buildings) is drawn on a canvas: count its ink
  const canvas = document.querySelector('.leaflet-geoplanBase-pane canvas');
  result.base = 0;
  if (canvas && canvas.width) {
    const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) result.base++;
  }
  return result;
})()"""


@pytest.fixture(scope="module")
def fresh_demo(tmp_path_factory):
    """The demo run by a user with an empty home folder and nothing cached."""
    require_browser()
    root = tmp_path_factory.mktemp("fresh")
    home = root / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "GEOPLAN_"))}
    env |= {"HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")}
    out = root / "demo"
    done = subprocess.run(
        [sys.executable, "-m", "geoplan", "-q", "demo", "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert not (home / ".cache" / "geoplan" / "assets").exists()  # nothing was fetched
    return out


def test_every_map_opens_from_nothing_with_a_title_and_a_legend_per_layer(fresh_demo):
    pages = sorted((fresh_demo / "maps").glob("*.html"))
    assert len(pages) == 7
    for page in pages:
        report = open_map(page, evaluate={"check": LEGENDS_AND_TOGGLE})
        report.assert_clean()
        check = report.extra["check"]
        assert check["leaflet"], page.name
        assert check["title"], page.name
        assert check["subtitle"], page.name  # study · threshold · date
        assert not re.search(r"verified|[a-z]+_[a-z0-9]+", check["subtitle"]), check["subtitle"]
        assert check["base"] > 10_000, page.name  # the study's own data shows without tiles
        # one legend per layer that is on, and each hides with its layer
        assert check["legends"] == check["checked"], (page.name, check)
        assert all(off == check["legends"] - 1 for off, _ in check["toggled"]), (page.name, check)
        assert all(back == check["legends"] for _, back in check["toggled"]), (page.name, check)
        # nothing but the (blocked) OpenStreetMap tiles was asked of the network
        assert all("tile.openstreetmap.org" in url for url in report.blocked_requests)


def test_the_report_opens_offline_in_chinese(fresh_demo):
    report = open_map(
        fresh_demo / "report.html",
        evaluate={
            "headings": "Array.from(document.querySelectorAll('h2'), e => e.textContent)",
            "figures": "document.querySelectorAll('span.figure').length",
        },
    )
    report.assert_clean()
    headings = report.extra["headings"]
    assert {"主要指标", "方法与假设", "说明与局限"} <= set(headings)
    assert report.extra["figures"] >= 10
    assert report.blocked_requests == []


def symbol_page(tmp_path: Path) -> tuple[Path, list[str]]:
    """A map with one point of every standard facility type, in a grid."""
    types = [t.id for t in load_standards().all_types]
    xs, ys = np.meshgrid(np.arange(9), np.arange(6))
    points = [
        Point(125.30 + 0.004 * x, 43.86 - 0.003 * y)
        for x, y in zip(xs.ravel(), ys.ravel(), strict=False)
    ]
    frame = gpd.GeoDataFrame(
        {"facility_type": types, "name": types}, geometry=points[: len(types)], crs="EPSG:4326"
    )
    m = maps.base_map(frame, basemap="none")
    maps._facility_layers(m, frame)
    path = maps.save_map(maps._finish(m, frame), tmp_path / "symbols.html")
    return path, types


def test_every_facility_type_keeps_its_own_symbol_and_colour(tmp_path):
    from PIL import Image

    path, types = symbol_page(tmp_path)
    shot = tmp_path / "symbols.png"
    # the controls and legends are hidden for the screenshot: every marker must show
    where = """(document.querySelector('.leaflet-control-container').style.display = 'none',
        Array.from(document.querySelectorAll('.leaflet-marker-icon svg > circle'), c => {
        const r = c.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2,
        c.getAttribute('fill'), c.closest('svg').innerHTML.length]; }))"""
    report = open_map(path, screenshot=shot, evaluate={"markers": where})
    report.assert_clean()
    markers = report.extra["markers"]
    assert len(markers) == len(types)
    image = Image.open(shot).convert("RGB")
    seen = {}
    for x, y, fill, _ in markers:
        # the badge's rim, between the white glyph and the white outline, is its colour:
        # most of the rim points 6-7 px from the centre show it (a glyph may reach one)
        expected = tuple(int(fill[i : i + 2], 16) for i in (1, 3, 5))
        rim = [
            image.getpixel((round(x) + dx, round(y) + dy))
            for dx, dy in ((0, -7), (0, 7), (-7, 0), (7, 0), (-6, -6), (6, 6), (-6, 6), (6, -6))
        ]
        close = [all(abs(a - b) <= 12 for a, b in zip(p, expected, strict=True)) for p in rim]
        assert sum(close) >= 5, (fill, rim)
        seen[fill] = seen.get(fill, 0) + 1
    expectations = json.loads(EXPECTED.read_text(encoding="utf-8"))
    styles = {t: list(type_style(t)) for t in types}
    assert styles == {t: expectations[t] for t in types}  # no type changed its look
    pairs = [tuple(s) for s in styles.values()]
    assert len(set(pairs)) == len(pairs)  # no two types share symbol and colour
