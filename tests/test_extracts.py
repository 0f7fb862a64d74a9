"""Tests of geoplan.sources.extracts: the region table, fetch_extract, district_boundary.

Offline: downloads come from a local HTTP server on 127.0.0.1 started by a
fixture (any other connection fails the test), serving a seeded random payload
under Geofabrik's layout. Boundaries come from OSM XML written in tmp_path.
"""

from __future__ import annotations

import hashlib
import logging
import random
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner

import geoplan.sources
from geoplan import ConfigError, DataSourceError, InputError, settings
from geoplan.cli import EXIT_BAD_INPUT, cli
from geoplan.sources import REGIONS, district_boundary, extracts, fetch_extract
from geoplan.sources.extracts import resolve_region

PAYLOAD = random.Random(20261113).randbytes(300_000)
PAYLOAD_MD5 = hashlib.md5(PAYLOAD).hexdigest()
JILIN = "/asia/china/jilin-latest.osm.pbf"
OTHER = "/extracts/changchun.osm.pbf"  # published without an .md5
FILE = "jilin-latest.osm.pbf"
CUT = 123_457  # where a dropped connection stops
DATA = Path(__file__).parent / "data"


# ====================================================================== the server
class _Server(HTTPServer):
    """Serves PAYLOAD with Range support; behaviours are switched by attributes."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.files = {JILIN: PAYLOAD, OTHER: PAYLOAD[:1000]}
        self.md5_of = {JILIN: PAYLOAD_MD5}
        self.drop_after: int | None = None  # cut the next file response after N bytes (once)
        self.stall_s = 0.0  # wait before the next file body (once)
        self.statuses: list[int] = []  # error statuses for the next file requests
        self.ignore_range = False
        self.wrong_md5 = False
        # (path, Range header, status, body bytes sent)
        self.log: list[tuple[str, str | None, int, int]] = []

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def ranges(self, path: str = JILIN) -> list[str | None]:
        return [r for p, r, _, _ in self.log if p == path]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet

    def _send(self, status: int, body: bytes, headers: dict[str, str], cut: int | None) -> None:
        sent = body if cut is None else body[:cut]
        # logged before anything is sent, so the client cannot finish before the log has it
        self.server.log.append((self.path, self.headers.get("Range"), status, len(sent)))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.server.stall_s and status in (200, 206) and not self.path.endswith(".md5"):
            time.sleep(self.server.stall_s)
            self.server.stall_s = 0.0
        try:
            self.wfile.write(sent)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)
        self.close_connection = True

    def do_GET(self) -> None:
        server = self.server
        if self.path.endswith(".md5") and self.path[:-4] in server.md5_of:
            digest = "0" * 32 if server.wrong_md5 else server.md5_of[self.path[:-4]]
            name = self.path[:-4].rsplit("/", 1)[-1]
            self._send(200, f"{digest}  {name}\n".encode(), {"Content-Type": "text/plain"}, None)
            return
        data = server.files.get(self.path)
        if data is None:
            self._send(404, b"not found", {}, None)
            return
        if server.statuses:
            self._send(server.statuses.pop(0), b"busy", {}, None)
            return
        headers = {"Accept-Ranges": "bytes", "Content-Type": "application/octet-stream"}
        status, start = 200, 0
        wanted = self.headers.get("Range")
        if wanted and not server.ignore_range:
            start = int(re.fullmatch(r"bytes=(\d+)-", wanted).group(1))
            if start >= len(data):
                self._send(416, b"", {"Content-Range": f"bytes */{len(data)}"}, None)
                return
            status = 206
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
        cut, server.drop_after = server.drop_after, None
        self._send(status, data[start:], headers, cut)


@pytest.fixture(autouse=True)
def only_localhost(monkeypatch):
    """Refuse every connection except to 127.0.0.1; no proxies; no waiting between retries."""
    real = socket.create_connection

    def local_only(address, *args, **kwargs):
        if address[0] not in ("127.0.0.1", "localhost"):
            pytest.fail(f"a test tried to reach {address}")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", local_only)
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.delenv(extracts.BASE_URL_ENV, raising=False)
    monkeypatch.setattr(extracts, "RETRY_BACKOFF_S", 0.0)
    monkeypatch.setattr(extracts, "TIMEOUT_S", 5.0)


@pytest.fixture
def server():
    httpd = _Server()
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()


@pytest.fixture
def cache(tmp_path):
    return tmp_path / "cache"


def fetch(server, cache, region="jilin", **options):
    return fetch_extract(region, cache_dir=cache, base_url=server.base, progress=False, **options)


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# ====================================================================== regions
def test_region_table_has_every_province_level_extract():
    provinces = {
        *("anhui", "beijing", "chongqing", "fujian", "gansu", "guangdong", "guangxi"),
        *("guizhou", "hainan", "hebei", "heilongjiang", "henan", "hubei", "hunan"),
        *("inner-mongolia", "jiangsu", "jiangxi", "jilin", "liaoning", "ningxia", "qinghai"),
        *("shaanxi", "shandong", "shanghai", "shanxi", "sichuan", "tianjin", "tibet"),
        *("xinjiang", "yunnan", "zhejiang"),
    }
    assert len(provinces) == 31
    assert provinces | {"china", "hong-kong", "macau"} == set(REGIONS)
    jilin = REGIONS["jilin"]
    assert (jilin.name_zh, jilin.short_zh, jilin.name_en) == ("吉林省", "吉林", "Jilin")
    assert jilin.url() == "https://download.geofabrik.de/asia/china/jilin-latest.osm.pbf"
    assert REGIONS["china"].url() == "https://download.geofabrik.de/asia/china-latest.osm.pbf"
    assert (
        REGIONS["inner-mongolia"]
        .url("http://m.example/")
        .endswith("/asia/china/inner-mongolia-latest.osm.pbf")
    )


def test_no_name_means_two_regions():
    owner: dict[str, str] = {}
    for region in REGIONS.values():
        for name in region.names:
            key = extracts._key(name)
            assert owner.setdefault(key, region.slug) == region.slug, name


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("jilin", "jilin"),
        ("JILIN", "jilin"),
        ("吉林省", "jilin"),
        ("吉林", "jilin"),
        ("Jilin Province", "jilin"),
        (" jilin-province ", "jilin"),
        ("内蒙古", "inner-mongolia"),
        ("inner mongolia", "inner-mongolia"),
        ("Nei Mongol", "inner-mongolia"),
        ("西藏自治区", "tibet"),
        ("Xizang", "tibet"),
        ("陕西", "shaanxi"),
        ("山西省", "shanxi"),
        ("北京市", "beijing"),
        ("Beijing Municipality", "beijing"),
        ("中国", "china"),
        ("Hong Kong", "hong-kong"),
    ],
)
def test_names_resolve(name, slug):
    assert resolve_region(name).slug == slug


def test_unknown_region_suggests_the_close_ones():
    with pytest.raises(ConfigError, match=r"did you mean 'jilin' \(吉林省\).*geoplan fetch --list"):
        resolve_region("jillin")
    with pytest.raises(ConfigError, match="geoplan fetch --list"):
        fetch_extract("atlantis", cache_dir="unused")


# ====================================================================== downloads
def test_download_then_cache_hit_without_network(server, cache):
    path = fetch(server, cache)
    assert path == cache / "extracts" / FILE
    assert path.read_bytes() == PAYLOAD
    assert files_in(path.parent) == [FILE, f"{FILE}.md5"]  # no .part, no stamp
    assert path.with_name(f"{FILE}.md5").read_text() == f"{PAYLOAD_MD5}  {FILE}\n"
    assert [p for p, *_ in server.log] == [f"{JILIN}.md5", JILIN]
    requests = len(server.log)
    assert fetch(server, cache) == path
    assert fetch(server, cache, region="吉林省") == path
    assert len(server.log) == requests  # the server was not asked again


def test_force_downloads_again(server, cache):
    fetch(server, cache)
    n = len(server.log)
    assert fetch(server, cache, force=True).read_bytes() == PAYLOAD
    assert len(server.log) == n + 2


def test_a_dropped_connection_resumes_with_a_range_request(server, cache, caplog):
    server.drop_after = CUT
    with caplog.at_level(logging.WARNING, logger="geoplan.sources.extracts"):
        path = fetch(server, cache)
    assert path.read_bytes() == PAYLOAD
    assert server.ranges() == [None, f"bytes={CUT}-"]
    sent = [n for p, _, _, n in server.log if p == JILIN]
    assert sent == [CUT, len(PAYLOAD) - CUT]  # only the rest was fetched again
    assert "retrying" in caplog.text
    assert files_in(path.parent) == [FILE, f"{FILE}.md5"]


def test_a_partial_download_of_an_earlier_call_resumes(server, cache):
    folder = cache / "extracts"
    folder.mkdir(parents=True)
    (folder / f"{FILE}.part").write_bytes(PAYLOAD[:CUT])
    (folder / f"{FILE}.part.md5").write_text(PAYLOAD_MD5)
    assert fetch(server, cache).read_bytes() == PAYLOAD
    assert server.ranges() == [f"bytes={CUT}-"]


def test_a_partial_download_of_another_version_is_discarded(server, cache):
    folder = cache / "extracts"
    folder.mkdir(parents=True)
    (folder / f"{FILE}.part").write_bytes(b"x" * CUT)
    (folder / f"{FILE}.part.md5").write_text("f" * 32)
    assert fetch(server, cache).read_bytes() == PAYLOAD
    assert server.ranges() == [None]


def test_a_complete_partial_download_is_finished_after_a_416(server, cache):
    folder = cache / "extracts"
    folder.mkdir(parents=True)
    (folder / f"{FILE}.part").write_bytes(PAYLOAD)
    assert fetch(server, cache).read_bytes() == PAYLOAD
    assert [s for p, _, s, _ in server.log if p == JILIN] == [416]


def test_a_server_that_ignores_range_is_read_from_the_start(server, cache):
    server.drop_after = CUT
    server.ignore_range = True
    path = fetch_extract("jilin", cache_dir=cache, base_url=server.base, progress=True)
    assert path.read_bytes() == PAYLOAD  # not the first bytes twice
    assert server.ranges() == [None, f"bytes={CUT}-"]
    assert [s for p, _, s, _ in server.log if p == JILIN] == [200, 200]


def test_server_errors_are_retried(server, cache):
    server.statuses = [503, 502]
    assert fetch(server, cache).read_bytes() == PAYLOAD
    assert [s for p, _, s, _ in server.log if p == JILIN] == [503, 502, 200]


def test_a_stalled_transfer_times_out_and_is_retried(server, cache, monkeypatch, caplog):
    monkeypatch.setattr(extracts, "TIMEOUT_S", 0.2)
    server.stall_s = 0.3  # once, after the headers of the file
    with caplog.at_level(logging.WARNING, logger="geoplan.sources.extracts"):
        assert fetch(server, cache).read_bytes() == PAYLOAD
    assert "timed out" in caplog.text
    assert 2 <= len(server.ranges()) <= extracts.MAX_RETRIES + 1


def test_retries_are_bounded(server, cache):
    server.statuses = [503] * (extracts.MAX_RETRIES + 1)
    with pytest.raises(DataSourceError, match=r"HTTP 503.*gave up after 3 retries"):
        fetch(server, cache)
    assert len(server.ranges()) == extracts.MAX_RETRIES + 1
    assert files_in(cache / "extracts") == []  # no empty .part or stamp left behind


def test_an_interrupted_download_keeps_its_part_for_the_next_call(server, cache, monkeypatch):
    server.drop_after = CUT
    with monkeypatch.context() as patch:
        patch.setattr(extracts, "MAX_RETRIES", 0)  # the first cut ends the call
        with pytest.raises(DataSourceError, match="closed after"):
            fetch(server, cache)
    assert files_in(cache / "extracts") == [f"{FILE}.part", f"{FILE}.part.md5"]
    assert (cache / "extracts" / f"{FILE}.part").read_bytes() == PAYLOAD[:CUT]
    assert fetch(server, cache).read_bytes() == PAYLOAD
    assert server.ranges() == [None, f"bytes={CUT}-"]


def test_md5_mismatch_leaves_nothing_and_says_to_retry(server, cache):
    server.wrong_md5 = True
    with pytest.raises(DataSourceError, match=r"does not match its published MD5.*deleted.*again"):
        fetch(server, cache)
    assert files_in(cache / "extracts") == []
    server.wrong_md5 = False
    assert fetch(server, cache).read_bytes() == PAYLOAD


def test_a_corrupt_cached_file_is_downloaded_again(server, cache, caplog):
    path = fetch(server, cache)
    path.write_bytes(PAYLOAD[:-1] + b"!")
    with caplog.at_level(logging.WARNING, logger="geoplan.sources.extracts"):
        assert fetch(server, cache).read_bytes() == PAYLOAD
    assert "does not match its .md5 sidecar" in caplog.text


def test_server_down_is_a_clear_error(cache):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    with pytest.raises(DataSourceError) as info:
        fetch_extract("jilin", cache_dir=cache, base_url=base, progress=False)
    message = str(info.value)
    assert f"{base}{JILIN}" in message
    assert "by hand" in message
    assert str(cache / "extracts") in message


def test_offline_refuses_unless_cached(server, cache):
    with settings.override(offline=True), pytest.raises(DataSourceError, match="offline"):
        fetch(server, cache)
    assert server.log == []
    path = fetch(server, cache)
    n = len(server.log)
    with settings.override(offline=True):
        assert fetch(server, cache) == path
    assert len(server.log) == n


def test_a_file_downloaded_by_hand_is_used(server, cache):
    folder = cache / "extracts"
    folder.mkdir(parents=True)
    (folder / FILE).write_bytes(PAYLOAD)
    (folder / f"{FILE}.md5").write_text(f"{PAYLOAD_MD5}  {FILE}\n")  # Geofabrik's .md5
    assert fetch(server, cache).read_bytes() == PAYLOAD
    assert server.log == []


def test_the_environment_names_the_server(server, cache, monkeypatch):
    monkeypatch.setenv(extracts.BASE_URL_ENV, server.base + "/")
    path = fetch_extract("Jilin", cache_dir=cache, progress=False)
    assert path.read_bytes() == PAYLOAD
    monkeypatch.setenv(extracts.BASE_URL_ENV, "download.example")
    with pytest.raises(ConfigError, match="GEOPLAN_EXTRACTS_URL"):
        fetch_extract("jilin", cache_dir=cache / "other", progress=False)


def test_urls(server, cache, caplog):
    path = fetch_extract(server.base + JILIN, cache_dir=cache, progress=False)
    assert path.name == FILE
    with caplog.at_level(logging.WARNING, logger="geoplan.sources.extracts"):
        other = fetch_extract(server.base + OTHER, cache_dir=cache, progress=False)
    assert other.read_bytes() == PAYLOAD[:1000]
    assert "publishes no MD5" in caplog.text
    with pytest.raises(DataSourceError, match="not on the server"):
        fetch_extract(server.base + "/missing.osm.pbf", cache_dir=cache, progress=False)
    with pytest.raises(ConfigError, match="names no plain file"):
        fetch_extract(server.base + "/", cache_dir=cache)
    for sneaky in ("/a%2F..%2F..%2Fvictim.osm.pbf", "/%2E%2E", "/.hidden.pbf", "/x%00y.pbf"):
        with pytest.raises(ConfigError, match="names no plain file"):
            fetch_extract(server.base + sneaky, cache_dir=cache)
    with pytest.raises(ConfigError, match="http"):
        fetch_extract("ftp://example.invalid/x.osm.pbf", cache_dir=cache)


def test_a_region_needs_its_published_md5(server, cache):
    del server.md5_of[JILIN]
    with pytest.raises(DataSourceError, match=r"jilin-latest\.osm\.pbf\.md5 is not on the server"):
        fetch(server, cache)


def test_exports():
    assert geoplan.sources.fetch_extract is fetch_extract
    assert geoplan.sources.REGIONS is REGIONS
    assert geoplan.sources.district_boundary is district_boundary


# ====================================================================== the command
def test_cli_fetch(server, cache):
    runner = CliRunner()
    env = {extracts.BASE_URL_ENV: server.base}
    args = ["-q", "fetch", "--region", "jilin", "--cache-dir", str(cache)]
    result = runner.invoke(cli, args, env=env)
    assert result.exit_code == 0, result.output
    path = cache / "extracts" / FILE
    assert result.output.strip() == str(path)
    assert path.read_bytes() == PAYLOAD
    with settings.override(cache_dir=cache):
        again = runner.invoke(cli, ["-q", "fetch", "--region", "吉林省"], env=env)
    assert again.exit_code == 0, again.output
    assert again.output.strip() == str(path)
    assert len(server.ranges()) == 1


def test_cli_list_and_errors(cache):
    runner = CliRunner()
    listing = runner.invoke(cli, ["fetch", "--list"])
    assert listing.exit_code == 0
    lines = listing.output.splitlines()
    assert lines[0].split() == ["slug", "中文", "English"]
    assert any(line.split()[:3] == ["jilin", "吉林省", "Jilin"] for line in lines)
    assert len(lines) == len(REGIONS) + 1
    unknown = runner.invoke(cli, ["fetch", "--region", "jillin", "--cache-dir", str(cache)])
    assert unknown.exit_code == EXIT_BAD_INPUT
    assert "did you mean 'jilin'" in unknown.output
    assert runner.invoke(cli, ["fetch"]).exit_code == 2
    assert runner.invoke(cli, ["fetch", "--region", "jilin", "--url", "http://x/y"]).exit_code == 2


# ====================================================================== boundaries
def _ring(nodes: list[int]) -> str:
    return "".join(f'<nd ref="{n}"/>' for n in nodes)


def _tags(tags: dict[str, str]) -> str:
    return "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())


def _admin(level: int, name: str, **more: str) -> dict[str, str]:
    return {"boundary": "administrative", "admin_level": str(level), "name": name, **more}


@pytest.fixture
def districts(tmp_path):
    """长春市 (5) holding 南关区 (6, a relation) and 朝阳区 (6); Beijing's 朝阳区; a 南关区 at 8."""
    boxes = {  # way id: (bounds, tags)
        10: ((125.0, 43.6, 125.6, 44.1), _admin(5, "长春市", **{"name:en": "Changchun"})),
        12: (
            (125.20, 43.80, 125.30, 43.90),
            _admin(6, "朝阳区", **{"name:en": "Chaoyang District"}),
        ),
        13: ((116.40, 39.90, 116.60, 40.00), _admin(6, "朝阳区")),
        14: ((125.33, 43.85, 125.35, 43.86), _admin(8, "南关区")),
    }
    nodes, ways = [], []
    node_id = 1
    for way_id, (bounds, tags) in boxes.items():
        left, bottom, right, top = bounds
        corners = [(left, bottom), (right, bottom), (right, top), (left, top)]
        ids = list(range(node_id, node_id + 4))
        nodes += [
            f'<node id="{i}" lat="{y}" lon="{x}"/>' for i, (x, y) in zip(ids, corners, strict=True)
        ]
        ways.append(f'<way id="{way_id}">{_ring([*ids, ids[0]])}{_tags(tags)}</way>')
        node_id += 4
    # 南关区 as a relation of two open ways
    corners = [(125.30, 43.80), (125.42, 43.80), (125.42, 43.90), (125.30, 43.90)]
    a, b, c, d = range(node_id, node_id + 4)
    nodes += [
        f'<node id="{i}" lat="{y}" lon="{x}"/>'
        for i, (x, y) in zip((a, b, c, d), corners, strict=True)
    ]
    ways.append(f'<way id="20">{_ring([a, b, c])}</way>')
    ways.append(f'<way id="21">{_ring([c, d, a])}</way>')
    relation = (
        '<relation id="30"><member type="way" ref="20" role="outer"/>'
        '<member type="way" ref="21" role="outer"/>'
        + _tags(
            {
                "type": "boundary",
                **_admin(6, "南关区", **{"name:zh": "南关区", "name:en": "Nanguan District"}),
            }
        )
        + "</relation>"
    )
    path = tmp_path / "districts.osm"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6">\n'
        + "\n".join([*nodes, *ways, relation])
        + "\n</osm>\n",
        encoding="utf-8",
    )
    return path


NANGUAN = shapely.box(125.30, 43.80, 125.42, 43.90)
CHAOYANG_CHANGCHUN = shapely.box(125.20, 43.80, 125.30, 43.90)


def same(a, b) -> bool:
    return a.normalize().equals(b.normalize())


def test_district_by_chinese_and_english_name(districts):
    assert same(district_boundary(districts, "南关区", admin_level=6), NANGUAN)
    assert same(district_boundary(districts, "Nanguan District"), NANGUAN)
    assert same(district_boundary(districts, " nanguan  district "), NANGUAN)
    city = district_boundary(districts, "长春市")
    assert same(city, shapely.box(125.0, 43.6, 125.6, 44.1))
    assert same(district_boundary(districts, "Changchun"), city)


def test_a_typo_gets_a_suggestion(districts):
    typo = r"no boundary named '南官区'; did you mean 南关区"
    with pytest.raises(InputError, match=typo) as info:
        district_boundary(districts, "南官区")
    assert "admin_level 6" in str(info.value)
    assert "admin_level 8" in str(info.value)
    with pytest.raises(InputError, match="did you mean Nanguan District"):
        district_boundary(districts, "Nanguan Distrcit")


def test_ambiguous_names(districts):
    with pytest.raises(InputError, match="2 boundaries are named '南关区'") as info:
        district_boundary(districts, "南关区")
    assert "admin_level 6" in str(info.value)
    assert "admin_level 8" in str(info.value)
    assert "admin_level=" in str(info.value)
    assert same(
        district_boundary(districts, "南关区", admin_level=8).envelope,
        shapely.box(125.33, 43.85, 125.35, 43.86),
    )
    with pytest.raises(InputError, match="within="):
        district_boundary(districts, "朝阳区", admin_level=6)
    chaoyang = district_boundary(districts, "朝阳区", within="长春市")
    assert same(chaoyang, CHAOYANG_CHANGCHUN)
    with pytest.raises(InputError, match="not at admin_level 7"):
        district_boundary(districts, "南关区", admin_level=7)
    with pytest.raises(InputError, match="lies within"):
        district_boundary(districts, "南关区", admin_level=8, within="Chaoyang District")


def test_district_from_a_vector_file_in_another_crs(tmp_path):
    frame = gpd.GeoDataFrame(
        {"name": ["南关区", "朝阳区"], "admin_level": ["6", "6"]},
        geometry=[NANGUAN, CHAOYANG_CHANGCHUN],
        crs=4326,
    ).to_crs(32651)
    path = tmp_path / "districts.gpkg"
    frame.to_file(path)
    found = district_boundary(path, "南关区", admin_level=6)
    assert found.normalize().equals_exact(NANGUAN.normalize(), tolerance=1e-6)
    unnamed = tmp_path / "unnamed.geojson"
    gpd.GeoDataFrame({"code": [1]}, geometry=[NANGUAN], crs=4326).to_file(unnamed)
    with pytest.raises(InputError, match="no name column"):
        district_boundary(unnamed, "南关区")


def test_a_source_without_boundaries(caplog):
    with (
        caplog.at_level(logging.ERROR),
        pytest.raises(InputError, match="has no administrative boundaries"),
    ):
        district_boundary(DATA / "tiny_city.osm", "南关区")


@pytest.mark.parametrize(
    ("options", "match"),
    [({"name": ""}, "non-empty"), ({"name": "南关区", "admin_level": "6"}, "whole number")],
)
def test_bad_boundary_arguments(districts, options, match):
    with pytest.raises(InputError, match=match):
        district_boundary(districts, **options)


def test_district_from_a_pbf(districts, tmp_path):
    from test_sources import write_pbf  # pyrosm's writer, as the sources tests use it

    pbf = write_pbf(districts, tmp_path / "districts.osm.pbf")
    assert same(district_boundary(pbf, "Nanguan District"), NANGUAN)
    assert same(district_boundary(pbf, "朝阳区", within="长春市"), CHAOYANG_CHANGCHUN)
    with pytest.raises(InputError, match="did you mean 南关区"):
        district_boundary(pbf, "南官区")
