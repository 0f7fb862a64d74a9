"""Self-contained folium maps from the local asset cache (geoplan.outputs.assets).

Every test is offline: the asset cache is a fake one written into tmp_path, and
``npm`` is replaced by a stand-in. One test really runs ``npm pack``; it is
skipped unless GEOPLAN_NPM_TESTS=1.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import subprocess
import tarfile
from pathlib import Path

import folium
import pytest
from folium import plugins

from geoplan._errors import DataSourceError, InputError
from geoplan.outputs import assets as _assets
from geoplan.outputs.assets import (
    BUILTIN_PACKAGE,
    FOLIUM_PACKAGE,
    UNAVAILABLE,
    AssetCache,
    asset_urls,
    make_self_contained,
    npm_source,
)
from geoplan.settings import settings

GLYPHICONS = "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css"
FOLIUM_VERSION = folium.__version__
FONT = b"wOF2\x00\x01fake-font\xff"
PNG = b"\x89PNG\r\n\x1a\nfake"

# what each fake package holds: {package@version: {path: contents}}
FAKE_FILES: dict[str, dict[str, bytes | str]] = {
    "leaflet@1.9.3": {
        "package.json": '{"name": "leaflet", "version": "1.9.3", "main": "dist/leaflet-src.js"}',
        "dist/leaflet.js": "window.FAKE_LEAFLET = 'leaflet 1.9.3';\n"
        "var endTag = '</script>'; var upper = '</SCRIPT >'; var open = '<!--';\n",
        "dist/leaflet-src.js": "window.FAKE_LEAFLET_SRC = 1;\n",
        "dist/leaflet.css": ".leaflet-default-icon-path"
        "{background-image:url(images/marker-icon.png)}\n"
        ".leaflet-control-layers-toggle{background-image:url('images/layers.png?v=1')}\n"
        ".x{behavior:url(#default#VML)}\n",
        "dist/images/marker-icon.png": PNG + b"icon",
        "dist/images/marker-icon-2x.png": PNG + b"icon2x",
        "dist/images/marker-shadow.png": PNG + b"shadow",
        "dist/images/layers.png": PNG + b"layers",
    },
    "jquery@3.7.1": {"dist/jquery.min.js": "window.FAKE_JQUERY = '3.7.1';\n"},
    "bootstrap@5.2.2": {
        "dist/js/bootstrap.bundle.min.js": "window.FAKE_BOOTSTRAP_JS = 1;\n",
        "dist/css/bootstrap.min.css": "/* FAKE_BOOTSTRAP_CSS */ body{margin:0}\n",
    },
    "drmonty-leaflet-awesome-markers@2.0.2": {
        "js/leaflet.awesome-markers.js": "window.FAKE_AWESOME = 1;\n",
        "css/leaflet.awesome-markers.css": (
            ".awesome-marker{background:url('images/markers-soft.png')}\n"
        ),
        "css/images/markers-soft.png": PNG + b"soft",
    },
    "@fortawesome/fontawesome-free@6.2.0": {
        "css/all.min.css": '/* FAKE_FONTAWESOME */ @font-face{font-family:"Font Awesome 6 Free";'
        'src:url(../webfonts/fa.woff2) format("woff2"),'
        'url(../webfonts/fa.ttf) format("truetype")}\n'
        ".fa-solid{font-weight:900}\n",
        "webfonts/fa.woff2": FONT,
        "webfonts/fa.ttf": b"\x00\x01\x00\x00fake-ttf",
    },
    "leaflet.markercluster@1.1.0": {
        "dist/leaflet.markercluster.js": "window.FAKE_MARKERCLUSTER = 1;\n",
        "dist/MarkerCluster.css": "/* FAKE_MC_CSS </style> inside a comment */ .mc{opacity:1}\n",
        "dist/MarkerCluster.Default.css": "/* FAKE_MC_DEFAULT_CSS */ .mcd{opacity:1}\n",
    },
}


def write_fake_cache(root: Path, files: dict[str, dict[str, bytes | str]] = FAKE_FILES) -> Path:
    for spec, contents in files.items():
        for path, data in contents.items():
            target = root / spec / path
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, str):
                target.write_text(data, encoding="utf-8")
            else:
                target.write_bytes(data)
    return root


@pytest.fixture(autouse=True)
def npm_cache_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests exercise the npm asset cache: the pip-installed Leaflet is set aside."""
    monkeypatch.setattr(_assets, "PYTHON_PACKAGES", {})


@pytest.fixture
def cache(tmp_path: Path) -> AssetCache:
    return AssetCache(write_fake_cache(tmp_path / "assets"))


@pytest.fixture
def no_npm(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make sure no test runs the real npm."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a test tried to run a subprocess")

    monkeypatch.setattr(_assets.subprocess, "run", refuse)


def map_page(*, heat: bool = False) -> str:
    m = folium.Map(tiles=None)
    folium.TileLayer(
        "https://tiles.example.invalid/{z}/{x}/{y}.png", attr="fake tiles", max_zoom=18
    ).add_to(m)
    cluster = plugins.MarkerCluster().add_to(m)
    folium.Marker([31.23, 121.47], icon=folium.Icon(prefix="fa", icon="house")).add_to(cluster)
    if heat:
        plugins.HeatMap([[31.23, 121.47, 1.0]]).add_to(m)
    return str(m.get_root().render())


REMOTE_TAG = re.compile(r"<(?:script|link)\b[^>]*(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.I)


# ------------------------------------------------------------------------------ URL table


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js",
            ("leaflet", "1.9.3", "dist/leaflet.js"),
        ),
        (
            "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css",
            ("@fortawesome/fontawesome-free", "6.2.0", "css/all.min.css"),
        ),
        (
            "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js",
            ("bootstrap", "5.2.2", "dist/js/bootstrap.bundle.min.js"),
        ),
        ("https://cdn.jsdelivr.net/npm//vega@5", ("vega", "5", "")),
        (
            "https://cdn.jsdelivr.net/npm/leaflet-tag-filter-button/src/leaflet-tag-filter-button.js",
            ("leaflet-tag-filter-button", "latest", "src/leaflet-tag-filter-button.js"),
        ),
        (
            "https://unpkg.com/leaflet.featuregroup.subgroup@1.0.2/dist/leaflet.featuregroup.subgroup.js",
            ("leaflet.featuregroup.subgroup", "1.0.2", "dist/leaflet.featuregroup.subgroup.js"),
        ),
        (
            "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/leaflet.markercluster.js",
            ("leaflet.markercluster", "1.1.0", "dist/leaflet.markercluster.js"),
        ),
        (
            "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.1.0/MarkerCluster.Default.css",
            ("leaflet.markercluster", "1.1.0", "dist/MarkerCluster.Default.css"),
        ),
        (
            "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js",
            ("drmonty-leaflet-awesome-markers", "2.0.2", "js/leaflet.awesome-markers.js"),
        ),
        (
            "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css",
            ("drmonty-leaflet-awesome-markers", "2.0.2", "css/leaflet.awesome-markers.css"),
        ),
        (
            "https://cdnjs.cloudflare.com/ajax/libs/d3/3.5.5/d3.min.js",
            ("d3", "3.5.5", "d3.min.js"),
        ),
        (
            "https://cdnjs.cloudflare.com/ajax/libs/vega/2.6.5/vega.js",
            ("vega", "2.6.5", "vega.js"),
        ),
        (
            "https://cdnjs.cloudflare.com/ajax/libs/leaflet-dvf/0.3.0/leaflet-dvf.markers.min.js",
            ("leaflet-dvf", "0.3.0", "dist/leaflet-dvf.markers.min.js"),
        ),
        (
            "https://cdnjs.cloudflare.com/ajax/libs/highlight.js/8.4/styles/default.min.css",
            ("highlight.js", "8.4.0", "styles/default.min.css"),
        ),
        (
            "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.2.0/css/all.min.css",
            ("@fortawesome/fontawesome-free", "6.2.0", "css/all.min.css"),
        ),
        (
            "https://code.jquery.com/jquery-3.7.1.min.js",
            ("jquery", "3.7.1", "dist/jquery.min.js"),
        ),
        ("//code.jquery.com/jquery-1.12.4.js", ("jquery", "1.12.4", "dist/jquery.js")),
        ("https://d3js.org/d3.v3.min.js", ("d3", "3.5.17", "d3.min.js")),
        ("https://d3js.org/d3.v4.min.js", ("d3", "4.13.0", "build/d3.min.js")),
        (
            "https://maxcdn.bootstrapcdn.com/font-awesome/4.6.3/css/font-awesome.min.css",
            ("font-awesome", "4.6.3", "css/font-awesome.min.css"),
        ),
        (
            "https://cdn.jsdelivr.net/gh/python-visualization/folium@main/folium/templates/leaflet_heat.min.js",
            (FOLIUM_PACKAGE, FOLIUM_VERSION, "templates/leaflet_heat.min.js"),
        ),
        (
            "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/pa7_hm.min.js",
            (FOLIUM_PACKAGE, FOLIUM_VERSION, "templates/pa7_hm.min.js"),
        ),
        (
            "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/leaflet.awesome.rotate.min.css",
            (BUILTIN_PACKAGE, "builtin", "leaflet.awesome.rotate.min.css"),
        ),
        (GLYPHICONS, None),
        ("https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap.min.css", None),
        ("https://cdnjs.cloudflare.com/ajax/libs/no-such-lib/1.0.0/x.js", None),
        ("https://example.invalid/lib.js", None),
        ("ftp://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js", None),
    ],
)
def test_npm_source(url: str, expected: tuple[str, str, str] | None) -> None:
    assert npm_source(url) == expected


def test_unavailable_urls_map_to_none() -> None:
    for url, reason in UNAVAILABLE.items():
        assert npm_source(url) is None
        assert "npm" in reason


FOLIUM_SOURCES = [folium.folium, folium.map, folium.features]
# plugins whose every script and stylesheet has a known npm (or folium) source
COVERED_PLUGINS = [
    plugins.MarkerCluster,
    plugins.FastMarkerCluster,
    plugins.Fullscreen,
    plugins.HeatMap,
    plugins.HeatMapWithTime,
    plugins.Draw,
    plugins.MiniMap,
    plugins.LocateControl,
    plugins.GroupedLayerControl,
    plugins.Realtime,
    plugins.AntPath,
    plugins.Search,
    plugins.Geocoder,
    plugins.TimeSliderChoropleth,
    plugins.Timeline,
    plugins.TreeLayerControl,
]
CDN_LITERAL = re.compile(
    r"[\"'](https?://(?:cdn\.jsdelivr\.net|cdnjs\.cloudflare\.com|code\.jquery\.com|d3js\.org"
    r"|unpkg\.com|[a-z]+\.bootstrapcdn\.com)/[^\"']+)[\"']"
)


def folium_asset_urls() -> set[str]:
    """Every script/stylesheet URL of folium's core modules and the covered plugins."""
    urls: set[str] = set()
    classes = [c for mod in FOLIUM_SOURCES for c in vars(mod).values() if isinstance(c, type)]
    for cls in classes + COVERED_PLUGINS:
        for attr in ("default_js", "default_css"):
            urls.update(url for _, url in getattr(cls, attr, []))
    # JavascriptLink(...) calls in method bodies (vega, d3)
    for mod in FOLIUM_SOURCES:
        urls.update(CDN_LITERAL.findall(Path(str(mod.__file__)).read_text(encoding="utf-8")))
    return urls


def test_every_folium_asset_url_has_a_source() -> None:
    urls = folium_asset_urls()
    assert len(urls) > 30
    assert "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js" in urls
    missing = sorted(u for u in urls if npm_source(u) is None and u not in UNAVAILABLE)
    assert missing == []


def test_folium_files_exist_in_the_installed_package() -> None:
    folium_dir = Path(str(folium.__file__)).parent
    for url in folium_asset_urls():
        source = npm_source(url)
        if source is not None and source[0] == FOLIUM_PACKAGE:
            assert (folium_dir / source[2]).is_file(), url


# ------------------------------------------------------------------------------ pages


def test_asset_urls_finds_tags_in_any_attribute_style() -> None:
    page = """<html><head>
    <script defer src=https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js></script>
    <LINK href='https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css' REL="stylesheet">
    <link rel="icon" href="https://example.invalid/favicon.ico">
    <link href="//code.jquery.com/jquery-3.7.1.min.js.css">
    <script>var s = '<script src="https://example.invalid/in-a-string.js"></script>';</script>
    <!-- <script src="https://example.invalid/commented.js"></script> -->
    <script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"></script>
    <script src="local.js"></script>
    </head></html>"""
    assert asset_urls(page) == [
        "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js",
        "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css",
        "https://code.jquery.com/jquery-3.7.1.min.js.css",
    ]


def test_asset_urls_of_a_folium_page() -> None:
    urls = asset_urls(map_page())
    assert urls[0] == "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"
    assert GLYPHICONS in urls
    assert any("leaflet.markercluster" in u for u in urls)
    assert not any("tiles.example.invalid" in u for u in urls)


def test_embed_makes_the_page_self_contained(cache: AssetCache, no_npm: None) -> None:
    page = map_page()
    out = make_self_contained(page, mode="embed", cache=cache, fetch=False)
    assert asset_urls(out) == []
    assert not REMOTE_TAG.search(out)
    for marker in (
        "FAKE_LEAFLET",
        "FAKE_JQUERY",
        "FAKE_BOOTSTRAP_JS",
        "FAKE_BOOTSTRAP_CSS",
        "FAKE_AWESOME",
        "FAKE_FONTAWESOME",
        "FAKE_MARKERCLUSTER",
        "FAKE_MC_CSS",
        "FAKE_MC_DEFAULT_CSS",
    ):
        assert marker in out, marker
    # the generated rotate rules replace folium's leaflet.awesome.rotate.min.css
    assert ".fa-rotate-45{transform:rotate(45deg)}" in out
    # the glyphicons stylesheet exists on no npm package: it is left out
    assert "bootstrap-glyphicons.css -->" in out
    assert "netdna" not in out
    # tile URL templates and the rest of the page are untouched
    assert "https://tiles.example.invalid/{z}/{x}/{y}.png" in out
    assert out.count("L.marker(") == page.count("L.marker(")
    assert 'data-geoplan-asset="leaflet@1.9.3/dist/leaflet.js"' in out


def test_embed_turns_css_files_into_data_uris(cache: AssetCache) -> None:
    out = make_self_contained(map_page(), cache=cache, fetch=False)
    woff2 = "data:font/woff2;base64," + base64.b64encode(FONT).decode()
    assert f'url("{woff2}")' in out
    assert "../webfonts" not in out
    # only the WOFF2 source of a @font-face rule is kept
    assert "data:font/ttf" not in out
    assert 'format("woff2")' in out
    png = "data:image/png;base64," + base64.b64encode(PNG + b"soft").decode()
    assert png in out
    # a query string is dropped, a same-document reference is kept
    layers = "data:image/png;base64," + base64.b64encode(PNG + b"layers").decode()
    assert f'url("{layers}")' in out
    assert "url(#default#VML)" in out
    # Leaflet's default marker images, which it finds through leaflet.css's URL
    shadow = "data:image/png;base64," + base64.b64encode(PNG + b"shadow").decode()
    assert "L.Icon.Default.mergeOptions(" in out
    assert shadow in out


def test_embed_escapes_end_tags(cache: AssetCache) -> None:
    out = make_self_contained(map_page(), cache=cache, fetch=False)
    assert r"var endTag = '<\/script>'; var upper = '<\/SCRIPT >'" in out
    assert r"var open = '<\!--'" in out
    assert r"FAKE_MC_CSS <\/style> inside a comment" in out
    # every element ends where it should: as many end tags as start tags
    assert len(re.findall(r"<script\b", out, re.I)) == len(re.findall(r"</script\s*>", out, re.I))
    assert len(re.findall(r"<style\b", out, re.I)) == len(re.findall(r"</style\s*>", out, re.I))


def test_escape_end() -> None:
    assert _assets._escape_end("a</script>b</Script", "script") == r"a<\/script>b<\/Script"
    assert _assets._escape_end("x<!--y", "script") == r"x<\!--y"
    assert _assets._escape_end("</style></script>", "style") == r"<\/style></script>"


def test_embed_reads_folium_files_from_the_installed_package(cache: AssetCache) -> None:
    out = make_self_contained(map_page(heat=True), cache=cache, fetch=False)
    heat = Path(str(folium.__file__)).parent / "templates" / "leaflet_heat.min.js"
    assert heat.read_text(encoding="utf-8").strip()[:200] in out
    assert f'data-geoplan-asset="folium@{FOLIUM_VERSION}/templates/leaflet_heat.min.js"' in out


def test_beside_writes_files_and_relative_tags(cache: AssetCache, tmp_path: Path) -> None:
    out_dir = tmp_path / "site"
    out = make_self_contained(map_page(heat=True), mode="beside", out_dir=out_dir, cache=cache)
    assert asset_urls(out) == []
    assert not REMOTE_TAG.search(out)
    assert '<script src="lib/leaflet@1.9.3/dist/leaflet.js"></script>' in out
    assert '<link rel="stylesheet" href="lib/leaflet@1.9.3/dist/leaflet.css"/>' in out
    assert 'href="lib/@fortawesome/fontawesome-free@6.2.0/css/all.min.css"' in out
    assert 'href="lib/geoplan@builtin/leaflet.awesome.rotate.min.css"' in out
    assert f'src="lib/folium@{FOLIUM_VERSION}/templates/leaflet_heat.min.js"' in out
    lib = out_dir / "lib"
    assert (
        (lib / "leaflet@1.9.3/dist/leaflet.js")
        .read_text(encoding="utf-8")
        .startswith("window.FAKE_LEAFLET")
    )
    # files a stylesheet refers to keep their layout (both font formats are copied)
    fa = lib / "@fortawesome/fontawesome-free@6.2.0"
    assert (fa / "css/all.min.css").read_text(encoding="utf-8") == FAKE_FILES[
        "@fortawesome/fontawesome-free@6.2.0"
    ]["css/all.min.css"]
    assert (fa / "webfonts/fa.woff2").read_bytes() == FONT
    assert (fa / "webfonts/fa.ttf").is_file()
    assert (lib / "drmonty-leaflet-awesome-markers@2.0.2/css/images/markers-soft.png").is_file()
    # Leaflet's run-time marker images and the layers image
    for name in ("marker-icon.png", "marker-icon-2x.png", "marker-shadow.png", "layers.png"):
        assert (lib / "leaflet@1.9.3/dist/images" / name).is_file(), name
    assert "fa-rotate-90{" in (lib / "geoplan@builtin/leaflet.awesome.rotate.min.css").read_text(
        encoding="utf-8"
    )
    # every relative tag points at a file that exists
    for ref in re.findall(r'(?:src|href)="(lib/[^"]+)"', out):
        assert (out_dir / ref).is_file(), ref


def test_beside_needs_out_dir(cache: AssetCache) -> None:
    with pytest.raises(InputError, match="out_dir"):
        make_self_contained(map_page(), mode="beside", cache=cache)


def test_unknown_mode_and_online_mode(cache: AssetCache) -> None:
    page = map_page()
    with pytest.raises(InputError, match="mode"):
        make_self_contained(page, mode="inline", cache=cache)
    assert make_self_contained(page, mode="online", cache=cache) == page


def test_deterministic(cache: AssetCache, tmp_path: Path) -> None:
    page = map_page(heat=True)
    first = make_self_contained(page, cache=cache, fetch=False)
    assert make_self_contained(page, cache=cache, fetch=False) == first
    # a second, separately built cache gives the same bytes
    other = AssetCache(write_fake_cache(tmp_path / "other"))
    assert make_self_contained(page, cache=other, fetch=False) == first
    a = make_self_contained(page, mode="beside", out_dir=tmp_path / "a", cache=cache)
    b = make_self_contained(page, mode="beside", out_dir=tmp_path / "b", cache=cache)
    assert a == b
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*"))
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*"))
    assert files_a == files_b


def test_unknown_url_is_an_error(cache: AssetCache) -> None:
    page = '<head><script src="https://example.invalid/plugin.js"></script></head>'
    with pytest.raises(DataSourceError) as info:
        make_self_contained(page, cache=cache, fetch=False)
    message = str(info.value)
    assert "https://example.invalid/plugin.js" in message
    assert "cannot make" in message
    assert "offline" in message
    assert "mode='online'" in message
    assert "Remove the plugin" in message


def test_missing_file_in_a_cached_package(cache: AssetCache) -> None:
    page = '<script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/nope.js"></script>'
    with pytest.raises(DataSourceError, match=re.escape("no file 'dist/nope.js'")):
        make_self_contained(page, cache=cache, fetch=False)


def test_minified_and_entry_files_fall_back_like_the_cdn(tmp_path: Path) -> None:
    files: dict[str, dict[str, bytes | str]] = {
        "leaflet.fullscreen@3.0.0": {"Control.FullScreen.js": "window.FAKE_FULLSCREEN = 1;"},
        "vega@5": {
            "package.json": '{"name": "vega", "version": "5.30.0", '
            '"jsdelivr": "build/vega.min.js", "main": "build/vega-node.js"}',
            "build/vega.min.js": "window.FAKE_VEGA = 5;",
        },
    }
    cache = AssetCache(write_fake_cache(tmp_path / "assets", files))
    page = (
        '<script src="https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/'
        'Control.FullScreen.min.js"></script>\n'
        '<script src="https://cdn.jsdelivr.net/npm//vega@5"></script>'
    )
    out = make_self_contained(page, cache=cache, fetch=False)
    assert "FAKE_FULLSCREEN" in out
    assert "FAKE_VEGA" in out
    assert 'data-geoplan-asset="vega@5/build/vega.min.js"' in out


def test_missing_package_without_fetch_says_how_to_fill(tmp_path: Path) -> None:
    root = tmp_path / "empty"
    with pytest.raises(DataSourceError) as info:
        make_self_contained(map_page(), cache=AssetCache(root), fetch=False)
    message = str(info.value)
    folder = root / "leaflet@1.9.3"
    assert "leaflet@1.9.3" in message
    assert "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js" in message
    assert "npm pack leaflet@1.9.3" in message
    assert f"{folder}/" in message
    assert str(folder / "package.json") in message
    assert "--strip-components=1" in message


def test_npm_missing_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_npm: None
) -> None:
    monkeypatch.setattr(_assets.shutil, "which", lambda name: None)
    cache = AssetCache(tmp_path / "assets")
    with pytest.raises(DataSourceError) as info:
        cache.fetch("leaflet", "1.9.3")
    message = str(info.value)
    assert "`npm` client was not found on PATH" in message
    assert "npm pack leaflet@1.9.3" in message
    assert str(tmp_path / "assets" / "leaflet@1.9.3") in message
    # the same through make_self_contained, which fetches by default
    with pytest.raises(DataSourceError, match="not found on PATH"):
        make_self_contained(map_page(), cache=cache)
    assert not (tmp_path / "assets" / "leaflet@1.9.3").exists()


def test_npm_missing_from_an_empty_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-bin"))
    with pytest.raises(DataSourceError, match="not found on PATH"):
        AssetCache(tmp_path / "assets").fetch("jquery", "3.7.1")


def test_offline_setting_stops_fetching(tmp_path: Path, no_npm: None) -> None:
    with settings.override(offline=True), pytest.raises(DataSourceError, match="offline"):
        AssetCache(tmp_path / "assets").fetch("leaflet", "1.9.3")


def test_default_root_is_in_the_cache_dir(tmp_path: Path) -> None:
    with settings.override(cache_dir=tmp_path):
        assert AssetCache().root == tmp_path / "assets"


def test_cache_layout(tmp_path: Path) -> None:
    cache = AssetCache(tmp_path)
    assert cache.path("leaflet", "1.9.3", "dist/leaflet.js") == (
        tmp_path / "leaflet@1.9.3" / "dist" / "leaflet.js"
    )
    assert cache.path("@fortawesome/fontawesome-free", "6.2.0", "css/all.min.css") == (
        tmp_path / "@fortawesome" / "fontawesome-free@6.2.0" / "css" / "all.min.css"
    )
    assert not cache.has("leaflet", "1.9.3")
    (tmp_path / "leaflet@1.9.3").mkdir()
    assert cache.has("leaflet", "1.9.3")
    for package, version, file in [
        ("../evil", "1.0.0", "x.js"),
        ("leaflet", "../1", "x.js"),
        ("leaflet", "1.9.3", "../x.js"),
        ("leaflet", "1.9.3", "/etc/passwd"),
    ]:
        with pytest.raises(InputError):
            cache.path(package, version, file)


# ------------------------------------------------------------------------------ fetching


def npm_tarball(files: dict[str, bytes | str], top: str = "package") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            raw = data.encode() if isinstance(data, str) else data
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(raw)
            archive.addfile(info, io.BytesIO(raw))
    return buffer.getvalue()


class FakeNpm:
    """Stands in for ``npm pack``: writes a tarball and reports it as npm does."""

    def __init__(self, tarball: bytes, *, integrity: str | None = None, code: int = 0) -> None:
        self.tarball = tarball
        self.integrity = integrity
        self.code = code
        self.calls: list[list[str]] = []

    def __call__(self, command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        self.calls.append(command)
        assert kwargs["check"] is False
        assert kwargs["capture_output"] is True
        assert "shell" not in kwargs
        if self.code:
            return subprocess.CompletedProcess(command, self.code, "", "npm error code ENOTFOUND")
        dest = Path(command[command.index("--pack-destination") + 1])
        name = command[2].lstrip("@").replace("/", "-").rsplit("@", 1)[0] + ".tgz"
        (dest / name).write_bytes(self.tarball)
        digest = base64.b64encode(hashlib.sha512(self.tarball).digest()).decode()
        report = [{"filename": name, "integrity": self.integrity or f"sha512-{digest}"}]
        return subprocess.CompletedProcess(command, 0, json.dumps(report), "")


@pytest.fixture
def fake_npm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_assets.shutil, "which", lambda name: "/fake/bin/npm")


def test_fetch_with_npm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_npm: None) -> None:
    tarball = npm_tarball(
        {
            "package.json": '{"name": "leaflet", "version": "1.9.3"}',
            "dist/leaflet.js": "window.REAL_ENOUGH = 1;",
        }
    )
    npm = FakeNpm(tarball)
    monkeypatch.setattr(_assets.subprocess, "run", npm)
    cache = AssetCache(tmp_path / "assets")
    folder = cache.fetch("leaflet", "1.9.3")
    assert folder == tmp_path / "assets" / "leaflet@1.9.3"
    assert (folder / "dist" / "leaflet.js").read_text() == "window.REAL_ENOUGH = 1;"
    source = json.loads((folder / ".geoplan-source.json").read_text())
    assert source["version"] == "1.9.3"
    assert source["integrity"].startswith("sha512-")
    assert npm.calls[0][:4] == ["/fake/bin/npm", "pack", "leaflet@1.9.3", "--pack-destination"]
    # the staging folder is gone; a second fetch does not run npm again
    assert sorted(p.name for p in (tmp_path / "assets").iterdir()) == ["leaflet@1.9.3"]
    cache.fetch("leaflet", "1.9.3")
    assert len(npm.calls) == 1


def test_fetch_scoped_and_partial_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_npm: None
) -> None:
    tarball = npm_tarball({"package.json": '{"name": "@scope/pkg", "version": "5.30.1"}'})
    monkeypatch.setattr(_assets.subprocess, "run", FakeNpm(tarball))
    folder = AssetCache(tmp_path).fetch("@scope/pkg", "5")
    assert folder == tmp_path / "@scope" / "pkg@5"
    assert (folder / "package.json").is_file()
    with pytest.raises(DataSourceError, match="not the requested version 4"):
        AssetCache(tmp_path).fetch("@scope/pkg", "4")


def test_fetch_checks_integrity_and_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_npm: None
) -> None:
    good = npm_tarball({"package.json": '{"name": "leaflet", "version": "1.9.3"}'})
    monkeypatch.setattr(_assets.subprocess, "run", FakeNpm(good, integrity="sha512-AAAA"))
    with pytest.raises(DataSourceError, match="integrity mismatch"):
        AssetCache(tmp_path).fetch("leaflet", "1.9.3")
    wrong = npm_tarball({"package.json": '{"name": "not-leaflet", "version": "1.9.3"}'})
    monkeypatch.setattr(_assets.subprocess, "run", FakeNpm(wrong))
    with pytest.raises(DataSourceError, match=re.escape("holds not-leaflet@1.9.3")):
        AssetCache(tmp_path).fetch("leaflet", "1.9.3")
    monkeypatch.setattr(_assets.subprocess, "run", FakeNpm(b"not a tarball"))
    with pytest.raises(DataSourceError, match="not a readable package tarball"):
        AssetCache(tmp_path).fetch("leaflet", "1.9.3")
    # nothing half-done is left in the cache
    assert list(tmp_path.iterdir()) == []


def test_fetch_reports_npm_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_npm: None
) -> None:
    monkeypatch.setattr(_assets.subprocess, "run", FakeNpm(b"", code=1))
    with pytest.raises(DataSourceError) as info:
        AssetCache(tmp_path).fetch("leaflet", "1.9.3")
    message = str(info.value)
    assert "exit code 1" in message
    assert "ENOTFOUND" in message
    assert "--strip-components=1" in message
    assert list(tmp_path.iterdir()) == []


def test_fetch_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_npm: None) -> None:
    def slow(command: list[str], **kwargs: object) -> None:
        raise subprocess.TimeoutExpired(command, 1.0)

    monkeypatch.setattr(_assets.subprocess, "run", slow)
    with pytest.raises(DataSourceError, match="took longer than"):
        AssetCache(tmp_path, timeout_s=1.0).fetch("leaflet", "1.9.3")


def test_fill_fetches_each_package_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_npm: None
) -> None:
    fetched: list[tuple[str, str]] = []

    def fetch(self: AssetCache, package: str, version: str) -> Path:
        fetched.append((package, version))
        return self.package_dir(package, version)

    monkeypatch.setattr(AssetCache, "fetch", fetch)
    urls = asset_urls(map_page(heat=True))
    folders = AssetCache(tmp_path).fill([*urls, *urls])
    assert fetched == [
        ("leaflet", "1.9.3"),
        ("jquery", "3.7.1"),
        ("bootstrap", "5.2.2"),
        ("drmonty-leaflet-awesome-markers", "2.0.2"),
        ("@fortawesome/fontawesome-free", "6.2.0"),
        ("leaflet.markercluster", "1.1.0"),
    ]
    assert folders[0] == tmp_path / "leaflet@1.9.3"
    with pytest.raises(DataSourceError, match="cannot make"):
        AssetCache(tmp_path).fill(["https://example.invalid/x.js"])


# ------------------------------------------------------------------------------ unpacking


def add_member(archive: tarfile.TarFile, info: tarfile.TarInfo, data: bytes = b"") -> None:
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data) if data else None)


def write_tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes]]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for info, data in members:
            add_member(archive, info, data)
    return path


def file_member(name: str) -> tarfile.TarInfo:
    return tarfile.TarInfo(name)


def link_member(name: str, target: str, kind: bytes = tarfile.SYMTYPE) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = target
    return info


@pytest.mark.parametrize(
    ("member", "why"),
    [
        (file_member("package/../evil.txt"), "'..' component"),
        (file_member("../evil.txt"), "'..' component"),
        (file_member("/tmp/evil.txt"), "absolute"),
        (file_member("package\\..\\evil.txt"), "absolute or non-POSIX"),
        (link_member("package/link", "../../evil.txt"), "outside the package"),
        (link_member("package/link", "/etc/passwd"), "absolute path"),
        (link_member("package/hard", "package/../../x", tarfile.LNKTYPE), "outside"),
        (link_member("package/fifo", "", tarfile.FIFOTYPE), "not a regular file"),
    ],
)
def test_extraction_refuses_unsafe_members(
    tmp_path: Path, member: tarfile.TarInfo, why: str
) -> None:
    tarball = write_tar(
        tmp_path / "evil.tgz",
        [(file_member("package/package.json"), b"{}"), (member, b"evil")],
    )
    dest = tmp_path / "out" / "pkg@1.0.0"
    with pytest.raises(DataSourceError, match=re.escape(why)) as info:
        _assets._extract_tarball(tarball, dest)
    assert "refusing to unpack evil.tgz" in str(info.value)
    assert not dest.exists()
    assert not (tmp_path / "evil.txt").exists()
    assert not (tmp_path / "out" / "evil.txt").exists()


def test_extraction_strips_the_top_folder_and_skips_inner_links(tmp_path: Path) -> None:
    tarball = write_tar(
        tmp_path / "ok.tgz",
        [
            (file_member("package/package.json"), b'{"name": "x"}'),
            (file_member("package/dist/a.js"), b"A"),
            (link_member("package/dist/b.js", "a.js"), b""),
        ],
    )
    dest = tmp_path / "x@1.0.0"
    _assets._extract_tarball(tarball, dest)
    assert (dest / "package.json").read_bytes() == b'{"name": "x"}'
    assert (dest / "dist" / "a.js").read_bytes() == b"A"
    assert not (dest / "dist" / "b.js").exists()


def test_extraction_of_a_file_that_is_no_tarball(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tgz"
    bad.write_bytes(b"\x1f\x8bnot really gzip")
    with pytest.raises(DataSourceError, match="not a readable package tarball"):
        _assets._extract_tarball(bad, tmp_path / "out")


# ------------------------------------------------------------------------------ real npm


@pytest.mark.skipif(
    os.environ.get("GEOPLAN_NPM_TESTS") != "1",
    reason="runs the real `npm pack` against the npm registry; set GEOPLAN_NPM_TESTS=1",
)
def test_real_npm_pack_of_leaflet(tmp_path: Path) -> None:
    cache = AssetCache(tmp_path / "assets")
    folder = cache.fetch("leaflet", "1.9.3")
    assert (folder / "dist" / "leaflet.js").stat().st_size > 100_000
    assert json.loads((folder / "package.json").read_text())["version"] == "1.9.3"
    page = (
        '<script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"></script>\n'
        '<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"/>'
    )
    out = make_self_contained(page, cache=cache, fetch=False)
    assert "Leaflet 1.9.3" in out
    assert "data:image/png;base64," in out
    assert asset_urls(out) == []
