"""Run folders can never hurt the user: names, --force, the demo, locks, swaps, modes, paths."""

from __future__ import annotations

import hashlib
import json
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import geoplan
from geoplan._io import safe_name
from geoplan.cli import cli
from geoplan.config import parse_config
from geoplan.outputs import run_folder
from geoplan.outputs.run_folder import RUN_MARKER, RunFolder, read_manifest
from geoplan.outputs.tables import write_table

HOSTILE_IDS = [
    "x/../../victim",
    "..",
    "a\\b",
    "nul\x00byte",
    "hash#tag",
    "what?",
    "\x1b[31mred\x1b[0m",
    "a" * 300,
    ".hidden",
]


def tree(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` with its content (None for folders)."""
    return {
        p.relative_to(root).as_posix(): (None if p.is_dir() else p.read_bytes())
        for p in sorted(root.rglob("*"))
    }


def made(target: Path, files: dict[str, str], **options: object) -> Path:
    with RunFolder(target, **options).staging() as staging:  # type: ignore[arg-type]
        for name, text in files.items():
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            (staging / name).write_text(text)
    return target


def synthetic_toml(folder: Path, name: str = "s", extra: str = "") -> Path:
    path = folder / f"{name}.toml"
    path.write_text(
        textwrap.dedent(
            f"""\
            [study]
            name = "{name}"
            [network]
            source = "synthetic"
            [synthetic]
            area_km2 = 0.5
            seed = 3
            [communities]
            source = "synthetic"
            [population]
            source = "synthetic"
            [life_circles]
            enabled = false
            [service_areas]
            enabled = false
            [outputs]
            maps = false
            rasters = false
            """
        )
        + extra,
        encoding="utf-8",
    )
    return path


def invoke(*args: str) -> object:
    return CliRunner().invoke(cli, ["-q", *args])


# ----------------------------------------------------------------------- safe names


@pytest.mark.parametrize("name", HOSTILE_IDS)
def test_safe_names_stay_in_their_folder_and_do_not_collide(name, tmp_path):
    slug = safe_name(name)
    assert "/" not in slug
    assert "\\" not in slug
    assert "\x00" not in slug
    assert not slug.startswith(".")
    assert len(slug) <= 64
    assert (tmp_path / f"{slug}.csv").resolve().parent == tmp_path.resolve()
    assert safe_name(name + "x") != slug


@pytest.mark.parametrize("name", HOSTILE_IDS)
def test_hostile_facility_type_ids_are_refused_before_any_work(name):
    with pytest.raises(geoplan.ConfigError, match="cannot be a facility type id") as info:
        parse_config(
            {
                "study": {"name": "x"},
                "network": {"source": "sample"},
                "facilities": {"types": {name: {}}},
            }
        )
    assert "e.g. [facilities.types.community_canteen]" in str(info.value)


def test_hostile_type_ids_through_the_api_write_only_inside_the_run_folder(tmp_path):
    """A researcher's own standards can name types anything; their files stay in the run."""
    city = geoplan.datasets.synthetic_city(area_km2=0.5, seed=3)
    hostile = ["x/../../victim", "..", "../../../etc/passwd"]
    own = geoplan.standards.load_standards().with_overrides(
        {"facility": {h: {"name_zh": "恶意", "level": "15min", "walk_minutes": 5} for h in hostile}}
    )
    facilities = city.facilities.rename(columns={"category": "facility_type"})
    canteens = facilities[facilities["facility_type"] == "community_canteen"]
    facilities = pd.concat([canteens.assign(facility_type=h) for h in hostile])
    study = geoplan.Study.from_frames(
        city.network(),
        demand=city.demand(),
        facilities=facilities,
        communities=city.communities.set_index("community_id"),
        types=hostile,
        name="api",
        standards=own,
    )
    result = geoplan.run_study(study, steps=["coverage", "service_areas"])
    (tmp_path / "victim").write_text("precious")
    before = tree(tmp_path)
    with geoplan.settings.override(basemap="none"):
        out = geoplan.write_run(result, tmp_path / "runs" / "api")
    after = tree(tmp_path)
    changed = {p for p in set(before) | set(after) if before.get(p, 0) != after.get(p, 0)}
    assert changed
    assert all(p == "runs" or p.startswith("runs/") for p in changed), sorted(changed)
    assert (tmp_path / "victim").read_text() == "precious"
    for kind, count in (("rasters", 4), ("maps", 4)):  # population + 3 types; 3 types + areas
        files = sorted((out / kind).glob("*.*"))
        assert len(files) == count, files
        assert all(p.resolve().parent == (out / kind).resolve() for p in files)


# ---------------------------------------------------------------- --force and files


def test_force_refuses_a_run_folder_holding_a_users_files_and_lists_them(tmp_path):
    target = made(tmp_path / "study", {"a.csv": "1", "maps/m.html": "<p>"})
    (target / "notes.docx").write_text("my notes")
    (target / "analysis").mkdir()
    (target / "analysis" / "mine.py").write_text("print(1)")
    before = tree(tmp_path)
    with pytest.raises(geoplan.OutputError) as info:
        made(target, {"a.csv": "2"}, force=True)
    message = str(info.value)
    assert "did not write: analysis/, notes.docx" in message
    assert "move these out of the folder" in message
    assert tree(tmp_path) == before


def test_force_refuses_a_table_the_user_edited_since(tmp_path):
    target = made(tmp_path / "study", {"a.csv": "1"})
    (target / "a.csv").write_text("edited in Excel")
    with pytest.raises(geoplan.OutputError, match=r"a\.csv \(changed since geoplan wrote it\)"):
        RunFolder(target, force=True).check()
    assert (target / "a.csv").read_text() == "edited in Excel"


def test_force_replaces_geoplans_own_files_and_carries_os_metadata_over(tmp_path):
    target = made(tmp_path / "study", {"a.csv": "1", "maps/old.html": "<p>"})
    (target / ".DS_Store").write_bytes(b"finder")
    made(target, {"b.csv": "2"}, force=True)
    assert sorted(tree(target)) == [".DS_Store", RUN_MARKER, "b.csv"]
    assert (target / ".DS_Store").read_bytes() == b"finder"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study"]


def test_the_manifest_lists_every_file_with_its_hash(tmp_path):
    target = made(tmp_path / "study", {"a.csv": "1", "maps/m.html": "<p>"}, study="st")
    manifest = read_manifest(target)
    assert manifest is not None
    assert (manifest.study, manifest.command, manifest.legacy) == ("st", "run", False)
    assert manifest.files == {
        "a.csv": hashlib.sha256(b"1").hexdigest(),
        "maps/m.html": hashlib.sha256(b"<p>").hexdigest(),
    }


def test_a_wave_one_run_folder_is_recognised_by_its_file_kinds(tmp_path):
    target = tmp_path / "old"
    (target / "tables").mkdir(parents=True)
    (target / RUN_MARKER).write_text("made by geoplan\n")
    (target / "tables" / "summary.csv").write_text("x")
    (target / "report.html").write_text("x")
    made(target, {"report.html": "new"}, force=True)
    assert sorted(tree(target)) == [RUN_MARKER, "report.html"]
    (target / "mine.txt").write_text("x")
    legacy = tmp_path / "legacy"
    legacy.mkdir()
    (legacy / RUN_MARKER).write_text("made by geoplan\n")
    (legacy / "mine.txt").write_text("x")
    with pytest.raises(geoplan.OutputError, match=r"did not write: mine\.txt"):
        RunFolder(legacy, force=True).check()


# --------------------------------------------------------------------------- the demo


def test_the_demo_never_replaces_a_users_study_named_demo(tmp_path):
    study = synthetic_toml(tmp_path, name="demo")
    out = tmp_path / "processed" / "demo"
    assert invoke("run", str(study), "--out", str(out)).exit_code == 0
    before = tree(out)
    result = invoke("demo", "--out", str(out))
    assert result.exit_code == 4, result.output
    assert "made by geoplan run, not by geoplan demo" in result.output
    assert f"--out {out.parent / 'demo-2'}" in result.output
    assert tree(out) == before


def test_the_demo_replaces_its_own_runs_and_only_those(tmp_path):
    target = made(tmp_path / "demo", {"a.csv": "1"}, command="demo")
    made(target, {"b.csv": "2"}, command="demo", replaces_only="demo")
    assert sorted(tree(target)) == [RUN_MARKER, "b.csv"]
    other = made(tmp_path / "other", {"a.csv": "1"}, command="run")
    with pytest.raises(geoplan.OutputError, match="not by geoplan demo"):
        RunFolder(other, command="demo", replaces_only="demo").check()


# ------------------------------------------------------------------------ two at once


def test_a_second_run_of_the_same_folder_is_refused_while_the_first_holds_it(tmp_path):
    target = tmp_path / "study"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from geoplan.outputs.run_folder import RunFolder\n"
            f"with RunFolder({str(target)!r}).reserve():\n"
            "    print('held', flush=True)\n"
            "    time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        study = synthetic_toml(tmp_path)
        result = invoke("run", str(study), "--out", str(target))
        assert result.exit_code == 4, result.output
        assert "another geoplan run is writing" in result.output
        assert f"pid {holder.pid}" in result.output
        assert "wait until it has finished, or give this run another --out folder" in result.output
    finally:
        holder.kill()  # SIGKILL: the kernel releases the lock
        holder.wait()
        holder.stdout.close()
    result = invoke("run", str(study), "--out", str(target))
    assert result.exit_code == 0, result.output
    # the killed holder's lock file is taken over, and removed with the lock
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml", "study"]


def test_a_run_does_not_remove_a_staging_folder_another_run_is_writing(tmp_path):
    target = tmp_path / "study"
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time\n"
            "from geoplan.outputs.run_folder import RunFolder\n"
            f"with RunFolder({str(target)!r}).staging() as s:\n"
            "    (s / 'a.csv').write_text('1')\n"
            "    print(s, flush=True)\n"
            "    time.sleep(60)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None
        staging = Path(writer.stdout.readline().strip())
        with pytest.raises(geoplan.OutputError, match="another geoplan run is writing"):
            made(target, {"b.csv": "2"})
        assert (staging / "a.csv").read_text() == "1"
        # within one process too: a nested run never clears the staging folder in use
        with RunFolder(tmp_path / "other").staging() as outer:
            (outer / "a.csv").write_text("1")
            made(tmp_path / "other-2", {"b.csv": "2"})
            with RunFolder(tmp_path / "other").reserve():
                RunFolder(tmp_path / "other")._remove_stale_staging()
            assert (outer / "a.csv").read_text() == "1"
    finally:
        writer.kill()
        writer.wait()
        writer.stdout.close()


# -------------------------------------------------------------- a swap killed midway


def test_a_run_killed_between_the_two_renames_is_restored_at_the_next_start(tmp_path, monkeypatch):
    target = made(tmp_path / "study", {"a.csv": "first"})
    real_replace = os.replace
    calls: list[tuple[str, str]] = []

    def killed_after_first_rename(src, dst):
        calls.append((str(src), str(dst)))
        real_replace(src, dst)
        if len(calls) == 1 and ".old-" in str(dst):
            raise KeyboardInterrupt  # the process dies between the two renames

    monkeypatch.setattr(run_folder.os, "replace", killed_after_first_rename)
    with pytest.raises(KeyboardInterrupt):
        made(target, {"a.csv": "second"}, force=True)
    monkeypatch.setattr(run_folder.os, "replace", real_replace)
    assert not target.exists()
    assert [p.name.startswith(".study.old-") for p in tmp_path.iterdir()] == [True]
    # the next start, even one that is then refused for want of --force, restores it
    with pytest.raises(geoplan.OutputError, match="--force"), RunFolder(target).reserve():
        pass
    assert (target / "a.csv").read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study"]


def test_a_swap_killed_after_both_renames_leaves_the_new_run_and_clears_the_old(tmp_path):
    target = made(tmp_path / "study", {"a.csv": "new"})
    old = made(tmp_path / ".study.old-abc", {"a.csv": "old"})
    with RunFolder(target, force=True).reserve():
        pass
    assert not old.exists()
    assert (target / "a.csv").read_text() == "new"


# ------------------------------------------------------------------ modes and places


@pytest.mark.parametrize(("mask", "folder", "file"), [(0o022, 0o755, 0o644), (0o077, 0o700, 0o600)])
def test_run_folders_follow_the_umask(tmp_path, mask, folder, file):
    previous = os.umask(mask)
    try:
        target = made(tmp_path / "study", {"tables/a.csv": "1"})
        with RunFolder(target, force=True).staging() as staging:
            write_table(staging / "tables" / "b.csv", pd.DataFrame({"a": [1]}))
    finally:
        os.umask(previous)
    assert stat.S_IMODE(target.stat().st_mode) == folder
    assert stat.S_IMODE((target / "tables").stat().st_mode) == folder
    assert stat.S_IMODE((target / "tables" / "b.csv").stat().st_mode) == file


def test_output_folders_that_could_hurt_are_refused_before_any_work(tmp_path, monkeypatch):
    study = synthetic_toml(tmp_path)
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    earlier = made(tmp_path / "earlier", {"a.csv": "1"})
    raw = tmp_path / "data" / "raw"
    raw.mkdir(parents=True)
    cases = [
        (link, "is a symbolic link", "give the folder it points to"),
        (earlier / "inner", "is inside the run folder", "outside it"),
        (raw / "run", "inside data/raw", "write runs to data/processed"),
        (tmp_path / ("z" * 250), "too long", "choose a shorter --out"),
    ]
    for out, problem, fix in cases:
        before = tree(tmp_path)
        result = invoke("run", str(study), "--out", str(out))
        assert result.exit_code == 4, (out, result.output)
        assert problem in result.output, result.output
        assert fix in result.output, result.output
        assert tree(tmp_path) == before
    for depth in (3, 18):  # over SQLite's 512 bytes; over PATH_MAX
        long_parent = tmp_path
        for _ in range(depth):
            long_parent = long_parent / ("d" * 200)
        result = invoke("run", str(study), "--out", str(long_parent / "run"))
        assert result.exit_code == 4, result.output
        assert "too long" in result.output
    monkeypatch.chdir(earlier)
    result = invoke("run", str(study), "--out", ".", "--force")
    assert result.exit_code == 4
    assert "current folder" in result.output
    assert (earlier / "a.csv").read_text() == "1"


def test_settings_output_dir_in_a_study_is_refused_naming_the_key_that_works(tmp_path):
    study = synthetic_toml(tmp_path, extra='[settings]\noutput_dir = "elsewhere"\n')
    result = invoke("run", str(study))
    assert result.exit_code == 3
    assert "[settings] output_dir is not read from a study file" in result.output
    assert '[outputs] output_dir = "runs"' in result.output


def test_outputs_output_dir_is_honoured_relative_to_the_study(tmp_path, monkeypatch):
    study = synthetic_toml(tmp_path, extra='output_dir = "runs"\n')  # under [outputs]
    monkeypatch.chdir(tmp_path.parent)
    assert invoke("run", str(study)).exit_code == 0
    assert (tmp_path / "runs" / "s" / "run.json").is_file()


def test_run_many_refuses_a_merged_name_equal_to_a_study(tmp_path):
    a = synthetic_toml(tmp_path, name="changchun")
    b = synthetic_toml(tmp_path, name="jilin")
    before = tree(tmp_path)
    result = invoke(
        "run-many",
        str(a),
        str(b),
        "--name",
        "jilin",
        "--scheduler",
        "serial",
        "--out",
        str(tmp_path / "out"),
    )
    assert result.exit_code == 3, result.output
    assert "is also the name of a study" in result.output
    assert "--name jilin-all" in result.output
    assert tree(tmp_path) == before


def test_a_study_toml_saved_with_a_bom_is_read(tmp_path):
    study = synthetic_toml(tmp_path)
    study.write_bytes(b"\xef\xbb\xbf" + study.read_bytes())
    assert geoplan.load_config(study).name == "s"


def test_a_type_of_ones_own_must_declare_itself(tmp_path):
    base = {"study": {"name": "x"}, "network": {"source": "sample"}}
    with pytest.raises(geoplan.ConfigError) as info:
        parse_config({**base, "facilities": {"types": {"community_helth_station": {}}}})
    message = str(info.value)
    assert "did you mean [facilities.types.community_health_station]?" in message
    assert "add minutes, name_zh, tags or file" in message
    with pytest.raises(geoplan.ConfigError, match="add minutes"):
        parse_config(
            {
                **base,
                "facilities": {
                    "types": {
                        "parcel_point": {"tags": {"amenity": "parcel_locker"}, "name_zh": "快递"}
                    }
                },
            }
        )
    config = parse_config(
        {
            **base,
            "facilities": {
                "types": {
                    "parcel_point": {
                        "tags": {"amenity": "parcel_locker"},
                        "name_zh": "快递驿站",
                        "minutes": 10,
                    }
                }
            },
        }
    )
    (source,) = config.facility_sources
    assert (source.custom, source.name_zh, source.minutes) == (True, "快递驿站", 10.0)


def test_minutes_beyond_a_day_are_refused_naming_the_key():
    base = {"study": {"name": "x"}, "network": {"source": "sample"}}
    with pytest.raises(geoplan.ConfigError, match=r"minutes = 1800 is more than a day's walk"):
        parse_config({**base, "facilities": {"types": {"kindergarten": {"minutes": 1800}}}})
    with pytest.raises(geoplan.ConfigError, match=r"\[sites #1\] minutes = 1800 is more"):
        parse_config(
            {
                **base,
                "facilities": {"types": {"kindergarten": {}}},
                "sites": [{"facility_type": "kindergarten", "minutes": 1800}],
            }
        )


def test_sites_must_name_a_measured_type_up_front():
    with pytest.raises(geoplan.ConfigError) as info:
        parse_config(
            {
                "study": {"name": "x"},
                "network": {"source": "sample"},
                "facilities": {"types": {"community_canteen": {}}},
                "sites": [{"facility_type": "community_canten"}],
            }
        )
    assert "did you mean 'community_canteen'?" in str(info.value)
    assert "measured now: community_canteen" in str(info.value)


def test_lock_files_are_not_left_behind(tmp_path):
    made(tmp_path / "study", {"a": "1"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["study"]
    assert json.loads((tmp_path / "study" / RUN_MARKER).read_text())["made_by"] == "geoplan"
