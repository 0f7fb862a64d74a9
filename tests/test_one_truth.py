"""One study, one truth: every figure of a run agrees with every other.

Invariants checked on many seeded synthetic studies (hypothesis) and on the demo:

* every figure in report.html equals the table cell it names;
* per community, people + the "(outside)" row = the study's total, for every type,
  in the coverage tables and in the life-circle tables;
* a type's covered share in each community is the same in the life circles as in
  the coverage tables (the same facilities, people and threshold): a type the
  coverage finds is never reported missing where it covers the residents;
* every type the study asks for appears in the tables and the report, with 0 and
  the reason when it has no site;
* the same inputs give the same coverage through ``geoplan run`` and the Python API.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import geoplan
from geoplan.cli import cli
from geoplan.config import parse_config
from geoplan.coverage import OUTSIDE_COMMUNITIES
from geoplan.outputs.report_page import FORMATS

FIGURE = re.compile(
    r'<span class="figure" data-table="([^"]*)" data-key="([^"]*)" data-column="([^"]*)" '
    r'data-value="([^"]*)" data-format="([^"]*)" title="[^"]*">([^<]*)</span>'
)
#: Types the synthetic city has, and two it has none of.
PRESENT = ["community_canteen", "kindergarten", "pharmacy", "elderly_day_care"]
ABSENT = ["junior_middle_school", "police_station"]


def table(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / "tables" / f"{name}.csv", encoding="utf-8-sig", keep_default_na=False)


def cell(out: Path, name: str, key: str, column: str) -> float:
    frame = table(out, name)
    rows = np.ones(len(frame), dtype=bool)
    for pair in key.split(";"):
        k, v = pair.split("=", 1)
        rows &= (frame[k].astype(str) == v).to_numpy()
    assert rows.sum() == 1, (name, key, int(rows.sum()))
    return float(frame.loc[rows, column].iloc[0])


def assert_report_figures_equal_tables(out: Path) -> int:
    page = (out / "report.html").read_text(encoding="utf-8")
    found = FIGURE.findall(page)
    for name, raw_key, column, value, fmt, raw_shown in found:
        key, shown = html.unescape(raw_key), html.unescape(raw_shown)
        number = float(value)
        expected = cell(out, name, key, column)
        assert number == pytest.approx(expected, rel=1e-9, abs=1e-9), (name, key, column)
        assert shown == FORMATS[fmt](number), (name, key, shown)
    return len(found)


def assert_people_add_up(out: Path) -> None:
    totals = table(out, "coverage_totals").set_index("facility_type")
    by_community = table(out, "coverage_by_community")
    for type_id, rows in by_community.groupby("facility_type"):
        people = rows["population"].astype(float).sum()
        assert people == pytest.approx(float(totals.loc[type_id, "population"]), rel=1e-9)
        covered = rows["covered"].astype(float).sum()
        assert covered == pytest.approx(float(totals.loc[type_id, "covered"]), rel=1e-9, abs=1e-9)
    summary = table(out, "summary")
    population = float(
        summary[(summary["section"] == "study") & (summary["item"] == "population")]["value"].iloc[
            0
        ]
    )
    outside = float(
        summary[(summary["section"] == "study") & (summary["item"] == "outside_population")][
            "value"
        ].iloc[0]
    )
    rows = by_community[by_community["facility_type"] == by_community["facility_type"].iloc[0]]
    shown_outside = rows.loc[rows["community"] == OUTSIDE_COMMUNITIES, "population"].astype(float)
    assert float(shown_outside.sum()) == pytest.approx(outside, abs=1e-6)
    assert float(rows["population"].astype(float).sum()) == pytest.approx(population, rel=1e-9)
    if (out / "tables" / "life_circle_coverage.csv").is_file():
        circles = table(out, "life_circle_coverage")
        for _, rows in circles.groupby("facility_type"):
            assert rows["population"].astype(float).sum() == pytest.approx(population, rel=1e-9)


def assert_life_circles_agree_with_coverage(out: Path) -> int:
    if not (out / "tables" / "life_circle_coverage.csv").is_file():
        return 0
    circles = table(out, "life_circle_coverage")
    cover = table(out, "coverage_by_community")
    joined = circles.merge(cover, on=["community", "facility_type"], suffixes=("_lc", "_cov"))
    for row in joined.itertuples():
        assert float(row.population_lc) == pytest.approx(float(row.population_cov), rel=1e-9)
        assert float(row.covered_population) == pytest.approx(float(row.covered), rel=1e-9)
        if float(row.covered) > 0 and float(row.share_cov) >= 0.5:
            assert str(row.missing) != "True", (row.community, row.facility_type)
    return len(joined)


def assert_every_type_is_shown(out: Path, types: list[str]) -> None:
    totals = table(out, "coverage_totals").set_index("facility_type")
    assert sorted(totals.index) == sorted(types)
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert sorted(t["facility_type"] for t in record["facility_types"]) == sorted(types)
    page = (out / "report.html").read_text(encoding="utf-8")
    for type_id in types:
        assert f'data-key="facility_type={type_id}"' in page
        if int(totals.loc[type_id, "n_facilities"]) == 0:
            assert float(totals.loc[type_id, "share"]) == 0.0
            assert "coverage 0" in totals.loc[type_id, "note"]
            assert any(c["topic"] == "no_sites" for c in record["caveats"])


def check_run(out: Path, types: list[str]) -> None:
    assert assert_report_figures_equal_tables(out) >= 8
    assert_people_add_up(out)
    assert_life_circles_agree_with_coverage(out)
    assert_every_type_is_shown(out, types)


def synthetic_study(seed: int, area: float, types: dict[str, Any], partial: bool) -> dict[str, Any]:
    return {
        "study": {"name": f"truth-{seed}", "lang": "zh"},
        "network": {"source": "synthetic"},
        "synthetic": {"area_km2": area, "seed": seed},
        "communities": {"source": "synthetic"},
        "population": {"source": "synthetic"},
        "facilities": {"types": types},
        "register": {"source": "synthetic"},
        "service_areas": {"enabled": False},
        "outputs": {"maps": False, "rasters": False, "basemap": "none"},
    } | ({"life_circles": {"levels": ["15min", "10min", "5min"]}} if not partial else {})


@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 50),
    area=st.sampled_from([0.6, 1.0, 1.5]),
    chosen=st.lists(st.sampled_from(PRESENT + ABSENT), min_size=1, max_size=4, unique=True),
    minutes=st.sampled_from([None, 3, 12]),
    drop_a_community=st.booleans(),
)
def test_synthetic_studies_agree_with_themselves(
    tmp_path_factory, seed, area, chosen, minutes, drop_a_community
):
    types: dict[str, Any] = {t: {} for t in chosen}
    if minutes is not None:
        types[chosen[0]] = {"minutes": minutes}
    config = parse_config(synthetic_study(seed, area, types, drop_a_community))
    study = geoplan.Study.from_config(config)
    if drop_a_community and len(study.communities) > 1:  # people outside every community
        kept = study.communities.iloc[1:]
        study = geoplan.Study.from_frames(
            study.network,
            demand=study.demand.drop(columns="community"),
            facilities=study.facilities,
            communities=kept,
            types=chosen,
            name=study.name,
            standards=study.standards,
        )
        assert study.outside_population > 0
    result = geoplan.run_study(study)
    out = geoplan.write_run(result, tmp_path_factory.mktemp("truth") / study.name)
    check_run(out, chosen)
    if minutes is not None:  # the study's own threshold reaches the life circles too
        circles = table(out, "life_circle_coverage")
        rows = circles[circles["facility_type"] == chosen[0]]
        assert set(rows["threshold_minutes"].astype(float)) <= {float(minutes)}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "demo"
    result = CliRunner().invoke(cli, ["-q", "demo", "--out", str(out), "--basemap", "none"])
    assert result.exit_code == 0, result.output
    return out


def test_the_demo_agrees_with_itself(demo_run):
    check_run(demo_run, ["community_health_station", "emergency_shelter", "community_canteen"])
    assert assert_life_circles_agree_with_coverage(demo_run) > 0


def test_the_demo_says_what_stood_in_and_who_is_outside(demo_run):
    record = json.loads((demo_run / "run.json").read_text(encoding="utf-8"))
    topics = {c["topic"] for c in record["caveats"]}
    assert {"stand_in", "invented", "estimated", "communities", "outside"} <= topics
    stand_ins = " ".join(c["en"] for c in record["caveats"] if c["topic"] == "stand_in")
    assert "amenity=restaurant" in stand_ins
    assert "leisure=park" in stand_ins
    page = (demo_run / "report.html").read_text(encoding="utf-8")
    assert 'id="caveats"' in page
    outside = next(c["zh"] for c in record["caveats"] if c["topic"] == "outside")
    assert outside in page  # the report is in Chinese (lang zh): the Chinese caveat is shown
    summary = table(demo_run, "summary")
    assert float(summary.loc[summary["item"] == "outside_population", "value"].iloc[0]) > 0
    timings = record["timings_s"]
    assert {"load_network", "load_population", "load_facilities", "whole_run"} <= set(timings)
    assert record["seconds"] >= timings["load_network"] + timings["write_maps"]


def test_the_command_and_the_api_give_the_same_coverage(tmp_path):
    raw = synthetic_study(3, 1.0, {t: {} for t in PRESENT + ABSENT[:1]}, False)
    path = tmp_path / "study.toml"
    lines = []
    for name, values in raw.items():
        if name == "facilities":
            lines += [f"[facilities.types.{t}]" for t in values["types"]]
            continue
        lines.append(f"[{name}]")
        lines += [f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in values.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["-q", "run", str(path), "--out", str(tmp_path / "cli")])
    assert result.exit_code == 0, result.output
    api = geoplan.run_study(geoplan.Study.from_config(geoplan.load_config(path)))
    assert api.coverage is not None
    command = table(tmp_path / "cli", "coverage_totals").set_index("facility_type")
    for type_id, row in api.coverage.totals.iterrows():
        assert float(command.loc[type_id, "covered"]) == pytest.approx(float(row["covered"]))
        assert float(command.loc[type_id, "share"]) == pytest.approx(float(row["share"]))


def test_a_network_in_pieces_is_said_in_the_caveats_and_the_summary(tmp_path):
    import geopandas as gpd
    from shapely.geometry import Point

    # two streets 1 km apart that never meet: the larger holds 2/3 of the length
    net = geoplan.Network.from_edges(
        [(0, 0, 100, 0), (100, 0, 200, 0), (1200, 0, 1300, 0)], crs="EPSG:32651"
    )
    demand = gpd.GeoDataFrame(
        {"population": [10.0, 20.0]}, geometry=[Point(50, 5), Point(1250, 5)], crs=32651
    )
    sites = gpd.GeoDataFrame({"facility_type": ["pharmacy"]}, geometry=[Point(150, 5)], crs=32651)
    study = geoplan.Study.from_frames(net, demand=demand, facilities=sites, name="pieces")
    (caveat,) = [c for c in study.caveats if c.topic == "network"]
    assert "67%" in caveat.en
    assert "2 pieces" in caveat.en
    result = geoplan.run_study(study, steps=["coverage"])
    with geoplan.settings.override(basemap="none"):
        out = geoplan.write_run(result, tmp_path / "pieces")
    summary = table(out, "summary").set_index("item")
    assert float(summary.loc["pieces", "value"]) == 2
    assert float(summary.loc["largest_piece_length_share", "value"]) == pytest.approx(2 / 3)
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["totals"]["connectivity"]["pieces"] == 2
