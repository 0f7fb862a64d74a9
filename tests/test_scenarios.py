"""Scenarios on the network: links added, streets closed, barriers drawn.

Hand-built grids with people at known distances, networks built without the
closed streets as the oracle, networkx for the lengths of split streets, and
the invariants (a link never lowers coverage, a closure or barrier never raises it).
"""

from __future__ import annotations

import itertools
import re

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import LineString, Point, box

from geoplan import InputError, Network
from geoplan.coverage import coverage
from geoplan.scenarios import Scenario, add_link, barrier, close

CRS = "EPSG:32651"


def points(xy, **columns):
    return gpd.GeoDataFrame(columns, geometry=[Point(p) for p in xy], crs=CRS)


def grid_segments(xs, ys):
    segments = [(a, y, b, y) for y in ys for a, b in itertools.pairwise(xs)]
    segments += [(x, a, x, b) for x in xs for a, b in itertools.pairwise(ys)]
    return segments


def river_city() -> Network:
    """Two grids of 100 m blocks, x 0-400 and 600-1000, with a river between them."""
    ys = [0, 100, 200, 300, 400]
    segments = grid_segments([0, 100, 200, 300, 400], ys)
    segments += grid_segments([600, 700, 800, 900, 1000], ys)
    return Network.from_edges(segments, crs=CRS, speed_m_s=1.0)


CLINIC = points([(200, 200)], category=["community_health_station"])
HOMES = points(
    [(250, 210), (650, 210), (750, 210), (850, 210)], population=[100.0, 30.0, 40.0, 50.0]
)


def covered(net: Network, minutes: float = 10) -> pd.Series:
    result = coverage(net, CLINIC, HOMES, minutes=minutes)
    return result.totals.loc["community_health_station"]


# ------------------------------------------------------------------ footbridge
def test_a_footbridge_over_the_river_covers_a_hand_counted_number_of_people():
    net = river_city()
    assert net.n_components == 2
    before = covered(net)
    assert before["covered"] == 100  # only the west bank (60 m)
    bridged = add_link(net, LineString([(400, 200), (600, 200)]))
    assert bridged.n_components == 1
    assert bridged.n_edges == net.n_edges + 1
    after = covered(bridged)
    # 10 minutes = 600 m: 200 to the bank + 200 over the bridge, then 50 + 10 m to the home at
    # x = 650 (460 m) and 150 + 10 m to x = 750 (560 m); x = 850 is 660 m away
    assert after["covered"] == 100 + 30 + 40
    assert net.n_edges == 80  # the input network is not changed


def test_a_footbridge_ending_mid_street_splits_the_street_there():
    net = river_city()
    bridged = add_link(net, LineString([(400, 250), (600, 250)]))
    assert bridged.n_edges == net.n_edges + 3  # two streets split, one bridge
    assert bridged.length_m.sum() == pytest.approx(net.length_m.sum() + 200)
    # networkx agrees on the path over the bridge: 200 + 50 + 200 + 50 m
    graph = bridged.to_networkx()
    where = {(float(bridged.x[i]), float(bridged.y[i])): i for i in range(bridged.n_nodes)}
    length = nx.shortest_path_length(
        graph, where[(200.0, 200.0)], where[(600.0, 200.0)], weight="length"
    )
    assert length == pytest.approx(500.0)
    # 560 m to x = 650; x = 750 (660 m) stays out
    assert covered(bridged)["covered"] == 100 + 30


def test_an_end_near_a_node_joins_it_and_the_link_keeps_the_stretch():
    net = river_city()
    bridged = add_link(net, LineString([(410, 205), (590, 195)]), snap_m=25)
    nodes, edges = bridged.to_gdfs()
    link = edges.iloc[-1]
    ends = {
        tuple(nodes.geometry.loc[link["u"]].coords[0]),
        tuple(nodes.geometry.loc[link["v"]].coords[0]),
    }
    assert ends == {(400.0, 200.0), (600.0, 200.0)}
    assert link["length_m"] > 180  # the joins to the nodes count


def test_edge_attributes_travel_with_the_edges_and_the_link_takes_its_own():
    segments = [(0, 0, 100, 0), (100, 0, 200, 0), (0, 100, 200, 100)]
    base = Network.from_edges(segments, crs=CRS)
    named = Network(
        x=base.x,
        y=base.y,
        edge_u=base.edge_u,
        edge_v=base.edge_v,
        crs=CRS,
        edge_attrs=pd.DataFrame(
            {"name": ["南街", "南街", "北街"], "road_class": ["residential"] * 3, "level": 0}
        ),
    )
    link = gpd.GeoDataFrame(
        {"name": ["人行天桥"], "level": [1]}, geometry=[LineString([(50, 0), (50, 100)])], crs=CRS
    )
    edited = add_link(named, link)
    _, edges = edited.to_gdfs()
    assert edited.edge_attrs is not None
    assert sorted(edges["name"]) == ["人行天桥", "北街", "北街", "南街", "南街", "南街"]
    bridge = edges[edges["name"] == "人行天桥"].iloc[0]
    assert bridge["level"] == 1
    assert pd.isna(bridge["road_class"])
    assert set(edges.loc[edges["name"] != "人行天桥", "road_class"]) == {"residential"}


# ------------------------------------------------------------------ barrier
def straight_street() -> Network:
    xs = np.arange(0, 1001, 100)
    return Network.from_edges(
        [(a, 0.0, b, 0.0) for a, b in itertools.pairwise(xs)], crs=CRS, speed_m_s=1.0
    )


SHOP = points([(0, 0)], category=["pharmacy"])
STREET_HOMES = points([(150, 10), (450, 10), (650, 10)], population=[10.0, 20.0, 40.0])


@pytest.mark.parametrize("x", [300.0, 350.0])  # through a junction, through a street
def test_a_barrier_across_the_street_lowers_coverage_by_hand(x):
    net = straight_street()
    before = coverage(net, SHOP, STREET_HOMES, minutes=10).totals.iloc[0]
    assert before["covered"] == 30  # 160 and 460 m within 600 m; 660 m not
    fenced = barrier(net, LineString([(x, -50), (x, 50)]))
    assert fenced.n_components == 2
    assert fenced.length_m.sum() == pytest.approx(net.length_m.sum())  # cut, not removed
    result = coverage(fenced, SHOP, STREET_HOMES, minutes=10)
    assert result.totals.iloc[0]["covered"] == 10
    # the home at x = 450 stays on its side of the railway: out of reach, not snapped across
    assert np.isinf(result.demand["pharmacy_distance_m"].iloc[1])


def test_a_bridge_passes_over_the_barrier():
    base = straight_street()
    levels = np.zeros(base.n_edges, dtype=int)
    levels[3] = 1  # the street from 300 to 400 is a bridge
    net = Network(
        x=base.x,
        y=base.y,
        edge_u=base.edge_u,
        edge_v=base.edge_v,
        crs=CRS,
        edge_attrs=pd.DataFrame({"level": levels}),
    )
    wall = LineString([(350, -50), (350, 50)])
    with pytest.raises(InputError, match="crosses no street at ground level"):
        barrier(net, wall)
    assert barrier(net, wall, level_column="none").n_components == 2


def test_a_footbridge_over_a_fenced_railway_in_one_scenario_keeps_its_crossing():
    net = straight_street()
    railway = gpd.GeoDataFrame(geometry=[LineString([(350, -50), (350, 50)])], crs=CRS)
    fenced = Scenario("railway", barrier=railway).apply(net)
    assert fenced.network.n_components == 2
    assert fenced.counts() == {"added": 0, "closed": 0, "cut": 1}
    footbridge = LineString([(300, 0), (300, 20), (400, 20), (400, 0)])
    both = Scenario("railway-footbridge", barrier=railway, add=footbridge).apply(net)
    assert both.network.n_components == 1
    assert both.counts() == {"added": 1, "closed": 0, "cut": 1}
    layer = both.layer()
    assert sorted(layer["change"]) == ["added", "barrier"]
    assert layer.crs == net.crs


# ------------------------------------------------------------------ closing
def test_closing_streets_equals_a_network_built_without_them():
    rng = np.random.default_rng(5)
    segments = grid_segments(range(0, 801, 100), range(0, 801, 100))
    net = Network.from_edges(segments, crs=CRS)
    shut = sorted(rng.choice(net.n_edges, size=12, replace=False).tolist())
    _, edges = net.to_gdfs()
    kept = [
        tuple(np.asarray(g.coords).ravel())
        for i, g in enumerate(edges.geometry)
        if i not in set(shut)
    ]
    oracle = Network.from_edges(kept, crs=CRS)
    closed = close(net, edges=shut)
    assert closed.n_edges == oracle.n_edges
    homes = points(rng.uniform(0, 800, (80, 2)), population=rng.integers(1, 50, 80))
    shops = points(rng.uniform(0, 800, (3, 2)), category=["pharmacy"] * 3)
    ours = coverage(closed, shops, homes, minutes=6)
    theirs = coverage(oracle, shops, homes, minutes=6)
    np.testing.assert_allclose(
        ours.demand["pharmacy_distance_m"], theirs.demand["pharmacy_distance_m"]
    )
    assert ours.totals.loc["pharmacy", "covered"] == theirs.totals.loc["pharmacy", "covered"]


def test_closing_by_polygon_and_by_name():
    segments = grid_segments(range(0, 301, 100), range(0, 301, 100))
    base = Network.from_edges(segments, crs=CRS)
    names = [f"路{i}" for i in range(base.n_edges)]
    net = Network(
        x=base.x,
        y=base.y,
        edge_u=base.edge_u,
        edge_v=base.edge_v,
        crs=CRS,
        edge_attrs=pd.DataFrame({"name": names}),
    )
    square = box(120, 120, 180, 220)  # touches the street y = 200 from 100 to 200 only
    shut = close(net, where=square)
    assert shut.n_edges == net.n_edges - 1
    assert net.edge_attrs is not None
    inside = net.edge_attrs["name"][
        [i for i, g in enumerate(net.geometry) if g.intersects(square)]
    ].tolist()
    assert shut.edge_attrs is not None
    assert not set(inside) & set(shut.edge_attrs["name"])
    by_name = close(net, names=inside)
    assert by_name.n_edges == shut.n_edges
    named = Scenario("by-name", close_names=tuple(inside)).apply(net)
    assert named.network.n_edges == shut.n_edges
    assert named.counts() == {"added": 0, "closed": 1, "cut": 0}
    with pytest.raises(InputError, match=r"no street is named '路99'.*did you mean"):
        close(net, names=["路99"])
    with pytest.raises(InputError, match="touch no street"):
        close(net, where=box(5000, 5000, 5100, 5100))
    with pytest.raises(InputError, match="carries no street names"):
        close(base, names=["路1"])
    with pytest.raises(InputError, match=r"positions 0\.\.23"):
        close(net, edges=[24])


# ------------------------------------------------------------------ invariants
def node_distances(network: Network, sources: list[tuple[float, float]]) -> dict:
    """Network distance from the nearest source to every node, by the node's coordinates."""
    where = {
        (float(x), float(y)): i for i, (x, y) in enumerate(zip(network.x, network.y, strict=True))
    }
    seeds = np.asarray([where[s] for s in sources if s in where], dtype=np.int64)
    if len(seeds) == 0:  # the sources' streets are all closed
        return {}
    found = network.nearest(seeds, distance_m=np.inf).node_distance_m
    return {xy: float(found[i]) for xy, i in where.items()}


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_links_never_lengthen_and_closures_and_barriers_never_shorten_a_trip(seed):
    # between the streets' own junctions: people and facilities snap anew to an edited
    # network (to the next open street, or onto a new link), so per person it can go
    # either way; from junction to junction it cannot
    rng = np.random.default_rng(seed)
    segments = grid_segments(range(0, 601, 100), range(0, 601, 100))
    keep = rng.random(len(segments)) > 0.3
    net = Network.from_edges([s for s, k in zip(segments, keep, strict=True) if k], crs=CRS)
    used = np.unique(np.concatenate([net.edge_u, net.edge_v]))
    sources = [(float(net.x[i]), float(net.y[i])) for i in rng.choice(used, 2, replace=False)]
    base = node_distances(net, sources)
    a, b = rng.choice(used, 2, replace=False)
    link = LineString([(net.x[a], net.y[a]), (net.x[b], net.y[b])])
    linked = node_distances(add_link(net, link, snap_m=1), sources)
    assert all(linked[xy] <= d + 1e-9 for xy, d in base.items())
    shut = node_distances(close(net, edges=rng.choice(net.n_edges, 3).tolist()), sources)
    assert all(shut.get(xy, np.inf) >= d - 1e-9 for xy, d in base.items())
    x = float(rng.uniform(50, 550))
    try:
        fenced_net = barrier(net, LineString([(x, -10), (x, 610)]))
    except InputError:  # the line crossed no street
        return
    fenced = node_distances(fenced_net, sources)
    assert all(fenced[xy] >= d - 1e-9 for xy, d in base.items())
    assert fenced_net.length_m.sum() == pytest.approx(net.length_m.sum())


# ------------------------------------------------------------------ errors
def test_scenario_errors_name_the_problem_and_the_fix():
    net = river_city()
    with pytest.raises(InputError, match=r"is 316 m from the nearest street.*snap_m = 25.*GCJ-02"):
        add_link(net, LineString([(400, 200), (500, 700)]))
    with pytest.raises(InputError, match="join the same node"):
        add_link(net, LineString([(400, 200), (420, 200)]))
    with pytest.raises(InputError, match="must be lines"):
        add_link(net, box(0, 0, 1, 1))
    with pytest.raises(InputError, match="crosses no street"):
        barrier(net, LineString([(500, -50), (500, 450)]))  # along the river
    with pytest.raises(InputError, match="names files of the run"):
        Scenario("a/b", close=box(0, 0, 1, 1))
    with pytest.raises(InputError, match="changes nothing"):
        Scenario("nothing")
    with pytest.raises(InputError, match="snap_m=-1"):
        add_link(net, LineString([(400, 200), (600, 200)]), snap_m=-1)
    with pytest.raises(InputError, match="leaves no street at all"):
        close(net, where=box(-10, -10, 1010, 410))


# ------------------------------------------------------------------ in a study
RIVER_HOMES = points(
    [(50, 210), (250, 210), (650, 210), (850, 310), (995, 350)],
    population=[20.0, 100.0, 30.0, 40.0, 50.0],
)
CANTEEN = points([(200, 200)], facility_type=["community_canteen"])
BANKS = gpd.GeoDataFrame(
    {"name": ["西岸", "东岸"]},
    geometry=[box(-50, -50, 450, 450), box(550, -50, 1050, 450)],
    index=pd.Index(["W", "E"]),
    crs=CRS,
)


def river_study(*scenarios: Scenario):
    import geoplan

    return geoplan.Study.from_frames(
        river_city(),
        demand=RIVER_HOMES,
        facilities=CANTEEN,
        communities=BANKS,
        types=["community_canteen"],
        scenarios=scenarios,
    )


def test_a_study_compares_each_scenario_with_itself_by_hand():
    import geoplan

    footbridge = Scenario("footbridge", add=LineString([(400, 200), (600, 200)]))
    wall = Scenario("railway", barrier=LineString([(150, -50), (150, 450)]))
    study = river_study(footbridge, wall)
    result = geoplan.run_study(study, steps=["coverage", "scenarios"])
    assert result.coverage is not None
    base = result.coverage.totals.loc["community_canteen"]
    assert base["covered"] == 120  # the west bank: 160 m and 60 m; the east is cut off
    table = result.scenarios["footbridge"].table.set_index(["topic", "subject", "measure"])
    row = table.loc[("coverage", "community_canteen", "covered")]
    # 15 minutes = 900 m: 400 m to the far bank, then 60 m to x = 650 and 360 m to (850, 310);
    # (995, 350) is 400 + 550 + 5 = 955 m away
    assert (row["before"], row["after"], row["newly_covered"], row["lost"]) == (120, 190, 70, 0)
    share = table.loc[("coverage", "community_canteen", "share")]
    assert share["before"] == base["share"]  # the base run's own figure, exactly
    assert share["after"] == pytest.approx(190 / 240)
    fenced = result.scenarios["railway"].table.set_index(["topic", "subject", "measure"])
    row = fenced.loc[("coverage", "community_canteen", "covered")]
    assert (row["before"], row["after"], row["newly_covered"], row["lost"]) == (120, 100, 0, 20)
    assert result.scenarios["railway"].edited.counts() == {"added": 0, "closed": 0, "cut": 5}
    assert {c.topic for c in result.caveats} >= {"scenario"}
    assert study.network.n_edges == 80  # the study's own network is not changed


def test_a_study_file_runs_its_scenarios_and_the_report_agrees_with_the_tables(tmp_path):
    import json

    import geoplan
    from geoplan.config import parse_config
    from tests.test_one_truth import check_run, table

    raw = {
        "study": {"name": "what-if", "lang": "zh"},
        "network": {"source": "synthetic"},
        "synthetic": {"area_km2": 1.0, "seed": 4},
        "communities": {"source": "synthetic"},
        "population": {
            "source": "synthetic",
            "groups": {"elderly": {"share": 0.2}},
        },
        "facilities": {"types": {"pharmacy": {}, "community_canteen": {}}},
        "sites": [{"facility_type": "pharmacy", "p": 2}],
        "service_areas": {"enabled": False},
        "outputs": {"maps": True, "print": False, "rasters": False, "basemap": "none"},
    }
    plain = geoplan.Study.from_config(parse_config(raw))
    nodes, _ = plain.network.to_gdfs()
    left, bottom, right, top = nodes.total_bounds
    middle_x, middle_y = (left + right) / 2, (bottom + top) / 2
    wall = gpd.GeoDataFrame(
        geometry=[LineString([(middle_x + 7, bottom - 50), (middle_x + 7, top + 50)])],
        crs=nodes.crs,
    )
    wall.to_crs(4326).to_file(tmp_path / "railway.geojson")
    square = gpd.GeoDataFrame(
        geometry=[box(middle_x - 60, middle_y - 60, middle_x + 60, middle_y + 60)], crs=nodes.crs
    )
    square.to_crs(4326).to_file(tmp_path / "closed.gpkg")
    raw["scenarios"] = [
        {"name": "铁路", "barrier": "railway.geojson"},
        {"name": "closed", "close": "closed.gpkg"},
    ]
    config = parse_config(raw, base_dir=tmp_path)
    study = geoplan.Study.from_config(config)
    assert [s.name for s in study.scenarios] == ["铁路", "closed"]
    assert tmp_path / "railway.geojson" in study.inputs
    result = geoplan.run_study(study)
    out = geoplan.write_run(result, tmp_path / "run")
    check_run(out, ["pharmacy", "community_canteen"])
    totals = table(out, "coverage_totals").set_index("facility_type")
    summary = table(out, "summary")
    for name in ("铁路", "closed"):
        compared = table(out, f"scenario_{name}")
        rows = compared.set_index(["topic", "subject", "measure"])
        for type_id in ("pharmacy", "community_canteen"):  # before: the base run, exactly
            assert float(rows.loc[("coverage", type_id, "share"), "before"]) == float(
                totals.loc[type_id, "share"]
            )
            assert float(rows.loc[("coverage", type_id, "share_elderly"), "before"]) == float(
                totals.loc[type_id, "share_elderly"]
            )
            people = rows.loc[("coverage", type_id, "covered")]
            assert float(people["after"]) - float(people["before"]) == pytest.approx(
                float(people["newly_covered"]) - float(people["lost"])
            )
            if name == "铁路":  # a barrier cuts, so nobody is newly covered
                assert float(people["newly_covered"]) == 0
        completeness = summary[summary["section"] == "mean_completeness"]
        for level, value in zip(completeness["item"], completeness["value"], strict=True):
            assert float(rows.loc[("life_circle", level, "completeness"), "before"]) == float(value)
        proposal = summary[summary["section"] == "proposal_pharmacy"].set_index("item")["value"]
        assert float(rows.loc[("proposal", "pharmacy", "share_with_new_sites"), "before"]) == (
            float(proposal["share_after"])
        )
        assert set(compared["name_zh"]) >= {"药店"}
        assert (out / "maps" / f"scenario_{name}.html").is_file()
    from tests.test_maps import legend_text

    shown = (out / "maps" / "scenario_铁路.html").read_text(encoding="utf-8")
    assert any("屏障" in text for text in legend_text(shown))  # the map's legend in Chinese
    with pd.ExcelFile(out / "tables.xlsx") as book:
        assert "情景：铁路" in book.sheet_names
        sheet = pd.read_excel(book, sheet_name="情景：铁路")
    assert {"情景前", "情景后", "新增覆盖人口", "失去覆盖人口"} <= set(sheet.columns)
    layers = gpd.list_layers(out / "layers.gpkg")["name"].tolist()
    assert {"scenario_铁路", "scenario_closed"} <= set(layers)
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert [s["name"] for s in record["scenarios"]] == ["铁路", "closed"]
    assert record["scenarios"][0]["changes"]["cut"] > 0
    assert sum(c["topic"] == "scenario" for c in record["caveats"]) == 2
    page = (out / "report.html").read_text(encoding="utf-8")
    section = page[page.index('id="scenarios"') : page.index('id="methods"')]
    assert "情景：铁路" in section or "情景: 铁路" in section
    assert "屏障切断" in section
    assert 'data-table="scenario_铁路"' in section
    assert "情景前" in section
    assert "newly" not in re.sub(r"<[^>]+>", "", section)


@pytest.mark.parametrize(
    ("scenario", "words"),
    [
        ({"add": "x.geojson"}, ["[scenarios #1] name is missing", 'name = "footbridge"']),
        ({"name": "a/b", "add": "x.geojson"}, ["cannot name the scenario's files"]),
        ({"name": "s"}, ["add / close / close_names / barrier", "are all missing", "barrier = "]),
        ({"name": "s", "add": "missing.geojson"}, ["[scenarios #1] add", "does not exist"]),
        ({"name": "s", "add": "x.csv"}, ["[scenarios #1] add", "is not a vector file"]),
        ({"name": "s", "add": "x.geojson", "snap": 5}, ["unknown key 'snap'", "snap_m"]),
        ({"name": "s", "add": "x.geojson", "snap_m": -2}, ["snap_m must be positive"]),
        ({"name": "s", "add": "x.geojson", "coordinates": "auto"}, ["gcj02", "drawn by hand"]),
        ({"name": "s", "close_names": "人民大街"}, ["close_names", "list of street names"]),
        ({"name": "s", "close_names": []}, ["close_names", "list of street names"]),
    ],
)
def test_scenario_keys_are_checked_naming_the_key_and_a_fix(tmp_path, scenario, words):
    import geoplan
    from geoplan.config import parse_config

    (tmp_path / "x.geojson").write_text('{"type": "FeatureCollection", "features": []}')
    (tmp_path / "x.csv").write_text("a\n1\n")
    raw = {"study": {"name": "s"}, "network": {"source": "synthetic"}, "scenarios": [scenario]}
    with pytest.raises(geoplan.ConfigError) as caught:
        parse_config(raw, base_dir=tmp_path)
    for word in words:
        assert word in str(caught.value), (word, str(caught.value))


def test_two_scenarios_of_one_name_and_a_file_of_the_wrong_shapes_are_refused(tmp_path):
    import geoplan
    from geoplan.config import parse_config

    gpd.GeoDataFrame(geometry=[box(125.3, 43.85, 125.31, 43.86)], crs=4326).to_file(
        tmp_path / "area.geojson"
    )
    base = {"study": {"name": "s"}, "network": {"source": "synthetic"}}
    twice = [{"name": "s", "close": "area.geojson"}, {"name": "s", "close": "area.geojson"}]
    with pytest.raises(geoplan.ConfigError, match=r"\[scenarios #2\] name = 's' names two"):
        parse_config(base | {"scenarios": twice}, base_dir=tmp_path)
    wrong = parse_config(
        base
        | {
            "synthetic": {"area_km2": 1.0},
            "population": {"source": "synthetic"},
            "scenarios": [{"name": "s", "add": "area.geojson"}],
        },
        base_dir=tmp_path,
    )
    with pytest.raises(InputError, match=r"name = 's': add = 'area.geojson' holds Polygon.*lines"):
        geoplan.Study.from_config(wrong)
