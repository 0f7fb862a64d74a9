"""A small study's maps, byte for byte, as the code before the writers' speed-up wrote them.

The hashes were made by geoplan at commit 9058a08 (before maps were rendered without
deep copies, and their layers converted and encoded at once), and checked to be the
same on two runs. They hold for the library versions of the project's environment
(folium 0.20, branca, shapely 2.x): after an upgrade of one of those, regenerate them
with the old code rather than with the code under test.

Pages have since been given an HTML ``<title>`` (the map's title) and their
language (``<html lang="zh-CN">``): each page must hold exactly one title and say
Chinese, and both are taken out before hashing, so the rest of the page is still
held to the old code's bytes.
"""

# ruff: noqa: E501 - the hashes are long
from __future__ import annotations

import dataclasses
import hashlib
import re
import time
from importlib.metadata import version
from pathlib import Path

import pytest

import geoplan
from geoplan.config import parse_config
from geoplan.outputs import run

GOLDEN = {
    "maps/coverage_community_canteen.html": "b42601295aadc65bc9c1696054ee1c25b658ebffbce21d28975e59d4f43a22ed",
    "maps/coverage_elderly_day_care.html": "82757426ee35ce4e419b22af4c81241538bc9b82c73f05d0a0c9c1ba4f926abe",
    "maps/lib/base-bb7c6c8b4671fcb5.js": "bb7c6c8b4671fcb58645f88ca4d6ad9622e06d1a96325df814641319c65132bd",
    "maps/life_circles.html": "5f3cb53bfa4aacdf9d67278d1445cb839790b2764a02ae2791235760c3b64061",
    "maps/network.html": "8b9b04ecd8b111718fa875543bf177819e210ec6710f7348ad7b11378f53fde5",
    "maps/service_areas.html": "077a5273daa93a07aba96af69571bfe4d43cd134c0abc9204ce151df52cdeb08",
    "maps/sites_community_canteen.html": "b1a6e0f352845dfee04159961e4827184047d697e9202b6b799922a41745e5a0",
}


#: The library versions the hashes were made with: other versions write other bytes.
MADE_WITH = {
    "folium": "0.20.0",
    "branca": "0.8.2",
    "shapely": "2.2.0",
    "jinja2": "3.1.6",
    "numpy": "2.4.6",
    "pandas": "3.1.1",
    "geopandas": "1.2.0",
}


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, str]:
    other = {n: version(n) for n, v in MADE_WITH.items() if version(n) != v}
    if other:  # tests/test_map_render.py still compares with the old render, on any version
        pytest.skip(f"the golden hashes were made with {MADE_WITH}; installed: {other}")
    config = parse_config(
        {
            "study": {"name": "golden"},
            "network": {"source": "synthetic"},
            "synthetic": {"area_km2": 1.5, "seed": 7},
            "communities": {"source": "synthetic"},
            "population": {"source": "synthetic"},
            "facilities": {"types": {"community_canteen": {}, "elderly_day_care": {}}},
            "sites": [{"facility_type": "community_canteen", "p": 2}],
            "outputs": {"basemap": "none", "rasters": False},
        }
    )
    study = geoplan.Study.from_config(config)
    # the subtitles carry the run's date: the day the hashes were made, at local noon
    study = dataclasses.replace(study, started=time.mktime((2026, 12, 2, 12, 0, 0, 0, 0, -1)))
    result = geoplan.run_study(study)
    folder = tmp_path_factory.mktemp("golden")
    with run._settings_of(result):
        run._maps(result, folder, False, True)
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(without_title(p)).hexdigest()
        for p in sorted(Path(folder).rglob("*"))
        if p.is_file()
    }


def without_title(path: Path) -> bytes:
    """The file's bytes; a page's without its title and language (newer than the hashes)."""
    data = path.read_bytes()
    if path.suffix != ".html":
        return data
    titles = re.findall(rb"<title>[^<]*</title>", data)
    assert len(titles) == 1, path
    assert data.count(b'<html lang="zh-CN">') == 1, path
    return data.replace(titles[0], b"", 1).replace(b'<html lang="zh-CN">', b"<html>", 1)


def test_the_same_files_are_written(written):
    assert sorted(written) == sorted(GOLDEN)


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_each_file_is_the_old_code_s_bytes(written, name):
    assert written[name] == GOLDEN[name]
