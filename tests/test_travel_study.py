"""Studies with one-way streets, driving speeds and slopes: the study file, caveats, run.json."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine

from geoplan import ConfigError
from geoplan.config import parse_config
from geoplan.slopes import slope_summary
from geoplan.study import Study, run_study, study_totals

DATA = Path(__file__).parent / "data"


def config(tmp_path: Path, network: dict, **tables) -> dict:
    return {"study": {"name": "travel"}, "network": network, **tables}


def write_dem(path: Path, *, left: float, top: float, cols: int, rows: int) -> Path:
    """A plane rising 5 m per 100 m eastward, 20 m pixels, in UTM 51N."""
    values = (np.arange(cols) * 20.0 * 0.05)[None, :].repeat(rows, axis=0).astype(np.float32)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=cols,
        height=rows,
        count=1,
        dtype="float32",
        crs="EPSG:32651",
        transform=Affine(20.0, 0, left, 0, -20.0, top),
    ) as dst:
        dst.write(values, 1)
    return path


# ----------------------------------------------------------------- the study file
def test_the_study_file_takes_travel_keys_for_their_profiles(tmp_path):
    dem = write_dem(tmp_path / "dem.tif", left=0, top=0, cols=2, rows=2)
    walk = parse_config(
        config(tmp_path, {"source": "synthetic", "dem": "dem.tif"}), base_dir=tmp_path
    )
    assert walk.network_dem == dem
    drive = parse_config(
        config(
            tmp_path,
            {
                "source": "synthetic",
                "profile": "drive",
                "oneway": False,
                "class_speeds_kmh": {"主干路": 35, "primary": 45},
                "maxspeed_factor": 0.7,
            },
        ),
        base_dir=tmp_path,
    )
    assert drive.network_travel == {
        "oneway": False,
        "class_speeds_kmh": {"主干路": 35.0, "primary": 45.0},
        "maxspeed_factor": 0.7,
    }


@pytest.mark.parametrize(
    ("network", "message"),
    [
        ({"dem": "roads.gpkg"}, r"dem = 'roads.gpkg' is not a raster \(.tif\)"),
        ({"dem": "none.tif"}, "names a file that does not exist"),
        ({"dem": "dem.tif", "profile": "drive"}, 'dem applies to profile = "walk"'),
        ({"oneway": True}, 'oneway applies to profile = "bike" or profile = "drive"'),
        ({"speeds": True, "profile": "bike"}, 'speeds applies to profile = "drive"'),
        ({"class_speeds_kmh": {"景观路": 20}, "profile": "drive"}, "neither an OSM highway"),
        ({"class_speeds_kmh": {"primary": -1}, "profile": "drive"}, "must be positive"),
        ({"maxspeed_factor": 1.5, "profile": "drive"}, "must be a share between 0 and 1"),
        ({"oneway_column": "单行"}, "applies to road line files"),
    ],
)
def test_travel_keys_are_checked_when_the_study_is_read(tmp_path, network, message):
    write_dem(tmp_path / "dem.tif", left=0, top=0, cols=2, rows=2)
    (tmp_path / "roads.gpkg").write_bytes(b"")
    with pytest.raises(ConfigError, match=message):
        parse_config(config(tmp_path, {"source": "synthetic", **network}), base_dir=tmp_path)


# ----------------------------------------------------------------- studies
SYNTHETIC = {
    "synthetic": {"area_km2": 1.0, "seed": 2},
    "communities": {"source": "synthetic"},
    "population": {"source": "synthetic"},
    "facilities": {"types": {"community_canteen": {}}},
}


def test_a_study_with_a_dem_says_so_and_counts_the_streets_off_it(tmp_path):
    # the synthetic city spans x 686,752-687,812, y 4,861,957-4,862,859: the DEM covers
    # its western half only
    write_dem(tmp_path / "dem.tif", left=686_700, top=4_862_900, cols=28, rows=50)
    cfg = parse_config(
        config(tmp_path, {"source": "synthetic", "dem": "dem.tif"}, **SYNTHETIC),
        base_dir=tmp_path,
    )
    study = Study.from_config(cfg)
    facts = slope_summary(study.network)
    assert 0 < facts["edges_off_dem"] < study.network.n_edges
    assert study.network.directed
    slopes = [c for c in study.caveats if c.topic == "slopes"]
    assert len(slopes) == 1
    assert "dem.tif" in slopes[0].zh
    assert f"{facts['edges_off_dem']} 条路段" in slopes[0].zh
    assert f"{facts['edges_off_dem']} of {study.network.n_edges} segments" in slopes[0].en
    result = run_study(study, steps=["coverage"])
    travel = study_totals(result)["travel"]
    assert travel["slopes"]["edges_off_dem"] == facts["edges_off_dem"]
    assert travel["direction"] == "to_sources"
    assert result.coverage is not None


def test_a_driving_study_says_which_streets_are_one_way_and_how_fast(tmp_path):
    shutil.copy(DATA / "tiny_city.osm", tmp_path / "city.osm")
    cfg = parse_config(
        config(tmp_path, {"source": "city.osm", "profile": "drive"}, communities={}),
        base_dir=tmp_path,
    )
    study = Study.from_config(cfg)
    topics = {c.topic: c for c in study.caveats}
    assert "oneway" in topics  # the tiny city's motorway is one-way by implication
    assert "speeds" in topics
    facts = study.network.travel_summary()
    assert f"{facts['oneway_edge_share']:.0%}" in topics["oneway"].en
    assert "road_speeds.toml" in topics["speeds"].zh
    result = run_study(study, steps=["coverage"])
    travel = study_totals(result)["travel"]
    assert travel["time_weighted"]
    assert sum(travel["speed_sources"].values()) == pytest.approx(1.0)
    walk = Study.from_config(
        parse_config(config(tmp_path, {"source": "city.osm"}, communities={}), base_dir=tmp_path)
    )
    assert not {"oneway", "speeds", "slopes"} & {c.topic for c in walk.caveats}
