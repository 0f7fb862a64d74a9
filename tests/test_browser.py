"""Every map the demo writes, opened in headless Chromium with the network cut off.

These tests need Debian's ``chromium`` and the ``playwright`` package (see
``tests/_browser.py``; ``.ci/browser-setup`` installs Chromium); without them they
skip and say why. Leaflet comes from the packages pip installs with geoplan.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from click.testing import CliRunner
from shapely.geometry import Point

from geoplan.cli import cli
from geoplan.outputs import maps
from geoplan.outputs.assets import AssetCache, npm_source, python_package_dir
from tests._browser import count_js, open_map, require_browser, text_js

XSS = "<img src=x onerror=alert(1)>"
SCRIPT = '"><script>alert(2)</script>'


def require_assets() -> None:
    """Leaflet ships with geoplan's dependencies (XStatic); the npm cache is not needed."""
    cache = AssetCache()
    for url in maps.ASSET_URLS:
        source = npm_source(url)
        assert source is not None
        shipped = python_package_dir(source[0], source[1]) is not None
        assert shipped or cache.has(source[0], source[1]), f"{source[0]} is not installed"


@pytest.fixture(scope="module")
def offline_demo(tmp_path_factory):
    require_browser()
    require_assets()
    out = tmp_path_factory.mktemp("browser") / "demo"
    result = CliRunner().invoke(cli, ["-q", "demo", "--out", str(out), "--offline-maps"])
    assert result.exit_code == 0, result.output
    return out


def expected_layers(name: str) -> list[str]:
    """Words that must appear among the layer control's names of each demo map."""
    return {
        "life_circles": ["生活圈完整度"],
        "service_areas": ["服务范围"],
        "coverage_community_health_station": ["社区卫生服务站", "覆盖率"],
        "coverage_emergency_shelter": ["避难场所"],
        "coverage_community_canteen": ["社区食堂"],
        "sites_community_health_station": ["建议新建", "现有设施", "新增覆盖范围"],
        "indicators": ["规划指标达标比例"],
    }[name]


def test_every_demo_map_opens_offline_without_errors(offline_demo, tmp_path):
    pages = sorted((offline_demo / "maps").glob("*.html"))
    assert len(pages) == 7
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert not re.search(r'<script[^>]+src="https?:', html), page.name
        shot = tmp_path / f"{page.stem}.png"
        report = open_map(
            page, screenshot=shot, evaluate={"paths": count_js("path.leaflet-interactive")}
        )
        report.assert_clean()
        assert report.legend_count >= 1, page.name
        names = " ".join(report.layer_names)
        for word in expected_layers(page.stem):
            assert word in names, (page.name, report.layer_names)
        assert report.extra["paths"] > 0, page.name  # something was drawn
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        # the only requests that left the page were base-map tiles, all blocked
        assert all("tile.openstreetmap.org" in url for url in report.blocked_requests)


def test_the_report_opens_and_links_every_map(offline_demo):
    report = open_map(
        offline_demo / "report.html",
        legend_selector="svg.chart",
        evaluate={"links": "Array.from(document.querySelectorAll('a')).map(a => a.href)"},
    )
    report.assert_clean()
    assert report.legend_count >= 2  # the charts
    links = set(report.extra["links"])
    for page in (offline_demo / "maps").glob("*.html"):
        assert page.resolve().as_uri() in links


def hostile_facilities(crs: str = "EPSG:4326") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "name": [XSS, SCRIPT, "普通诊所"],
            "facility_type": [XSS, XSS, XSS],
        },
        geometry=[Point(125.32, 43.88), Point(125.33, 43.881), Point(125.325, 43.885)],
        crs=crs,
    )


def test_hostile_names_show_as_text_and_run_nothing(tmp_path):
    require_browser()
    require_assets()
    sites = hostile_facilities()
    m = maps.base_map(sites, basemap="none")
    maps._facility_layers(m, sites)
    maps._finish(m, sites)
    page = maps.save_map(m, tmp_path / "hostile.html", offline=True)
    click_first = (
        "(() => { const icons = document.querySelectorAll('.geoplan-marker');"
        " icons[0].dispatchEvent(new MouseEvent('click', {bubbles: true}));"
        " return document.querySelector('.leaflet-popup-content')?.textContent || ''; })()"
    )
    report = open_map(
        page,
        evaluate={
            "popup": click_first,
            "legend": text_js(".geoplan-legend"),
            "images": count_js(".leaflet-container img[src='x']"),
            "scripts": "document.querySelectorAll('script').length",
        },
    )
    assert report.dialogs == []
    assert report.page_errors == []
    assert report.extra["images"] == 0
    assert any(XSS in name for name in report.layer_names)
    assert XSS in report.extra["legend"]
    assert XSS in report.extra["popup"] or SCRIPT in report.extra["popup"]
    # no script element came from a name: the page has the ones folium wrote
    plain = maps.base_map(sites, basemap="none")
    maps._facility_layers(plain, sites.assign(name="a", facility_type="b"))
    maps._finish(plain, sites)
    expected_scripts = maps.save_map(plain, tmp_path / "plain.html", offline=True)
    assert report.extra["scripts"] == expected_scripts.read_text().count("<script")


def test_run_json_of_the_offline_demo_records_offline_maps(offline_demo):
    record = json.loads((offline_demo / "run.json").read_text(encoding="utf-8"))
    assert record["settings"]["offline_maps"] is True
    assert (offline_demo / "maps" / "lib" / "leaflet@1.9.3" / "leaflet.js").is_file()
    assert Path(offline_demo / "maps" / "lib").is_dir()


def test_many_points_are_clustered_and_names_stay_text(tmp_path):
    require_browser()
    require_assets()
    n = maps.CLUSTER_ABOVE + 100
    rng = np.random.default_rng(0)
    sites = gpd.GeoDataFrame(
        {"name": [XSS if i == 0 else f"站点 {i}" for i in range(n)], "facility_type": "pharmacy"},
        geometry=gpd.points_from_xy(
            125.3 + rng.uniform(0, 0.05, n), 43.85 + rng.uniform(0, 0.05, n)
        ),
        crs="EPSG:4326",
    )
    m = maps.base_map(sites, basemap="none")
    maps._facility_layers(m, sites)
    maps._finish(m, sites)
    page = maps.save_map(m, tmp_path / "many.html", offline=True)
    html = page.read_text(encoding="utf-8")
    assert html.count('"type": "Feature"') == 0  # sent as compact rows, not GeoJSON features
    report = open_map(
        page,
        evaluate={
            "clusters": count_js(".marker-cluster"),
            "markers": count_js(".geoplan-marker"),
        },
    )
    report.assert_clean()
    assert report.extra["clusters"] > 0
    assert report.extra["clusters"] + report.extra["markers"] < n  # aggregated on screen
    assert report.dialogs == []
