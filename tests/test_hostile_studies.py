"""Hostile and careless study files through every subcommand: a clear exit, nothing hurt.

Hypothesis builds study files from a small valid synthetic study and mutates
them: names and ids with path separators, ``..``, NUL, ANSI escapes and 300
characters; sources that are folders, devices, empty, broken or in the wrong
encoding; values that are NaN, infinite, negative, huge or of the wrong kind.
Each is run through one of the study subcommands. Every exit must be 0, 2, 3
or 4 — never 1 with a traceback — and no file outside a run folder geoplan
made (and listed in its manifest) may appear or change: the whole temporary
tree is listed before and after.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geoplan.cli import cli
from geoplan.outputs.run_folder import RUN_MARKER, read_manifest

HOSTILE_TEXT = [
    "x/../../victim",
    "../outside",
    "..",
    "/etc/passwd",
    "a\\b",
    "nul\x00byte",
    "hash#tag?q",
    "\x1b[31mred\x1b[0m",
    "a" * 300,
    "社区/食堂",
    '=HYPERLINK("x")',
    "",
    " ",
    "~root/x",
]

HOSTILE_VALUES: list[Any] = [
    float("nan"),
    float("inf"),
    -1,
    0,
    10**400,
    1e308,
    "15",
    [],
    {},
    True,
    "abc",
]


def toml_value(value: Any) -> str:
    """Write a value as TOML (strings escaped; NaN and inf as TOML writes them)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:
            return "nan"
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        escaped = "".join(
            c if c.isprintable() and c not in '"\\' else f"\\u{ord(c):04x}" for c in value
        )
        return f'"{escaped}"'
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(value)


def toml_key(key: str) -> str:
    return (
        key
        if key.replace("_", "").replace("-", "").isalnum() and key.isascii()
        else toml_value(key)
    )


def render(study: dict[str, Any]) -> str:
    lines = []
    for table, values in study.items():
        if table == "sites":
            for site in values:
                lines.append("[[sites]]")
                lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in site.items()]
            continue
        if table == "facilities":
            for type_id, spec in values.items():
                lines.append(f"[facilities.types.{toml_key(type_id)}]")
                lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in spec.items()]
            continue
        lines.append(f"[{table}]")
        lines += [f"{toml_key(k)} = {toml_value(v)}" for k, v in values.items()]
    return "\n".join(lines) + "\n"


def base_study() -> dict[str, Any]:
    return {
        "study": {"name": "hostile"},
        "network": {"source": "synthetic"},
        "synthetic": {"area_km2": 0.3, "seed": 2},
        "communities": {"source": "synthetic"},
        "population": {"source": "synthetic"},
        "life_circles": {"enabled": True},
        "service_areas": {"minutes": [5, 10]},
        "outputs": {"maps": False, "rasters": False, "basemap": "none"},
        "facilities": {"community_canteen": {}},
        "register": {"source": "synthetic"},
        "sites": [{"facility_type": "community_canteen", "p": 1, "solver": "greedy"}],
    }


def make_inputs(folder: Path) -> dict[str, str]:
    """Bad files a careless user points a study at; their paths relative to the study."""
    (folder / "inputs").mkdir()
    files = {
        "empty.gpkg": b"",
        "broken.geojson": b'{"type": "FeatureCollection", "features": [{"type": "Fea',
        "picture.gpkg": b"\x89PNG\r\n\x1a\n" + bytes(200),
        "text.osm.pbf": b"not a pbf at all",
        "cut.osm": b"<osm><node id='1' lat='nan' lon='inf'/><way id='2'><nd ref='1'/>",
        "gbk.csv": "名称,经度,纬度\n食堂,125.3,43.8\n".encode("gbk"),
        "numbers.csv": b"name,lon,lat\nx,abc,\n",
        "utf16.csv": "name,lon,lat\nx,1,2\n".encode("utf-16"),
    }
    for name, data in files.items():
        (folder / "inputs" / name).write_bytes(data)
    (folder / "inputs" / "a_folder").mkdir()
    (folder / "inputs" / "link.gpkg").symlink_to(folder / "inputs" / "broken.geojson")
    return {name: f"inputs/{name}" for name in [*files, "a_folder", "link.gpkg"]} | {
        "dev_zero": "/dev/zero",
        "missing": "inputs/missing.gpkg",
    }


#: Odd but valid changes: (table, key, value); the run must succeed with them.
CAREFUL: list[tuple[str, str, Any]] = [
    ("study", "name", "南关区-2025"),
    ("study", "title", "<b>=1+1</b> 社区"),
    ("study", "lang", "en"),
    ("outputs", "output_dir", "../runs"),
    ("outputs", "maps", True),
    ("outputs", "rasters", True),
    ("communities", "source", "street_blocks"),
    ("service_areas", "minutes", [3]),
    ("synthetic", "seed", 7),
    ("settings", "walk_speed_m_s", 0.8),
]

# One mutation: (table, key or None, value or a marker) applied to the base study.
Mutation = tuple[str, Any]


@st.composite
def mutation(draw: st.DrawFn, inputs: list[str]) -> Mutation:
    kind = draw(
        st.sampled_from(
            [
                "careful",
                "careful",
                "careful",
                "study_name",
                "type_id",
                "site_type",
                "source",
                "value",
                "output_dir",
                "settings",
                "type_file",
            ]
        )
    )
    if kind == "careful":  # odd but valid: the run must go all the way through
        return kind, draw(st.sampled_from(CAREFUL))
    if kind in ("study_name", "type_id", "site_type"):
        return kind, draw(st.sampled_from(HOSTILE_TEXT))
    if kind == "source":
        table = draw(st.sampled_from(["network", "communities", "population", "register"]))
        return kind, (table, draw(st.sampled_from(inputs)))
    if kind == "type_file":
        return kind, draw(st.sampled_from(inputs))
    if kind == "value":
        where = draw(
            st.sampled_from(
                [
                    ("synthetic", "area_km2"),
                    ("synthetic", "seed"),
                    ("service_areas", "minutes"),
                    ("outputs", "raster_resolution_m"),
                    ("sites", "p"),
                    ("sites", "minutes"),
                    ("sites", "time_limit_s"),
                    ("facilities", "minutes"),
                ]
            )
        )
        return kind, (*where, draw(st.sampled_from(HOSTILE_VALUES)))
    if kind == "output_dir":
        return kind, draw(
            st.sampled_from(["../outside", "runs", "inputs", "/dev/null", "data/raw"])
        )
    key = draw(st.sampled_from(["walk_speed_m_s", "max_memory_mb", "lang", "max_snap_m"]))
    return kind, (key, draw(st.sampled_from([*HOSTILE_VALUES, 1e-9, 10**9, "fr"])))


def mutate(study: dict[str, Any], change: Mutation) -> None:
    kind, value = change
    if kind == "careful":
        table, key, setting = value
        study.setdefault(table, {})[key] = setting
    elif kind == "study_name":
        study["study"]["name"] = value
    elif kind == "type_id":
        study["facilities"] = {value: {}}
    elif kind == "site_type":
        study["sites"][0]["facility_type"] = value
    elif kind == "source":
        table, path = value
        study.setdefault(table, {})["source"] = path
    elif kind == "type_file":
        study["facilities"]["community_canteen"] = {"file": value}
    elif kind == "value":
        table, key, number = value
        if table == "sites":
            study["sites"][0][key] = number
        elif table == "facilities":
            study["facilities"]["community_canteen"][key] = number
        else:
            study[table][key] = number
    elif kind == "output_dir":
        study["outputs"]["output_dir"] = value
    elif kind == "settings":
        key, number = value
        study.setdefault("settings", {})[key] = number


COMMANDS = [
    ["run"],
    ["network"],
    ["life-circles"],
    ["service-areas"],
    ["coverage"],
    ["coverage", "--type", "community_canteen"],
    ["indicators"],
    ["site"],
    ["site", "--type", "community_canteen", "--p", "2", "--model", "p_median"],
    ["standards", "--level", "15min"],
    ["run-many", "--scheduler", "serial", "--name", "province"],
]


def listing(root: Path) -> dict[str, tuple[bool, int, int]]:
    """Every path under ``root``: (is a folder, size, mtime in ns); folders by name only."""
    out = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        folder = path.is_dir() and not path.is_symlink()
        entry = (True, 0, 0) if folder else (False, info.st_size, info.st_mtime_ns)
        out[path.relative_to(root).as_posix()] = entry
    return out


def run_folders(root: Path) -> list[tuple[Path, set[str]]]:
    """Run folders under ``root`` and the files their manifests list."""
    found = []
    for marker in root.rglob(RUN_MARKER):
        manifest = read_manifest(marker.parent)
        if manifest is not None and not manifest.legacy:
            found.append((marker.parent, set(manifest.files) | {RUN_MARKER}))
    return found


def assert_only_run_folders_changed(root: Path, before: dict[str, Any]) -> None:
    after = listing(root)
    folders = run_folders(root)
    for relative, entry in after.items():
        if before.get(relative) == entry:
            continue
        path = root / relative
        inside = [
            (folder, files) for folder, files in folders if path == folder or folder in path.parents
        ]
        if entry[0]:  # a new folder: a run folder, inside one, or an (empty) parent of one
            ok = (
                inside
                or any(path in folder.parents for folder, _ in folders)
                or not any(path.iterdir())
            )
            assert ok, f"geoplan made the folder {relative} outside any run folder"
            continue
        assert inside, f"geoplan wrote {relative} outside any run folder"
        folder, files = inside[0]
        assert path.relative_to(folder).as_posix() in files, f"{relative} is not in the manifest"
    for relative in before:
        assert relative in after, f"geoplan deleted {relative}"


@pytest.fixture
def sandbox(tmp_path_factory):
    return tmp_path_factory


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_hostile_studies_exit_cleanly_and_write_only_run_folders(sandbox, data):
    root = sandbox.mktemp("hostile")
    home = root / "work" / "studies"
    home.mkdir(parents=True)
    inputs = make_inputs(home)
    study = base_study()
    changes = data.draw(st.lists(mutation(list(inputs.values())), min_size=1, max_size=2))
    for change in changes:
        mutate(study, change)
    text = render(study)
    encoding = data.draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-8-sig", "utf-16", "gbk"]))
    path = home / "study.toml"
    try:
        path.write_bytes(text.encode(encoding))
    except UnicodeEncodeError:
        path.write_bytes(text.encode("utf-8"))
    second = home / "second.toml"
    second.write_text(render(base_study() | {"study": {"name": "second"}}), encoding="utf-8")
    command = data.draw(st.sampled_from(COMMANDS))
    args = [*command[:1], str(path)]
    if command[0] == "run-many":
        args = [*command[:1], str(path), str(second), *command[1:], "--out", str(root / "many")]
    elif command[0] == "standards":
        args = command
    else:
        args += command[1:]
    before = listing(root)
    cwd = os.getcwd()
    os.chdir(root / "work")
    try:
        result = CliRunner().invoke(cli, ["-q", *args])
    finally:
        os.chdir(cwd)
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not crashed, (changes, command, result.output, result.exc_info)
    assert result.exit_code in (0, 2, 3, 4), (changes, command, result.output)
    if result.exit_code in (3, 4):
        assert result.output.startswith("error: "), result.output
    assert_only_run_folders_changed(root, before)
