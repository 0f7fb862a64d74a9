"""Apply a user's overrides (a mapping or a TOML file) to the standards' raw data.

Overrides change the plain data the standards are parsed from; numbers set here
become values with source and verification ``"user"``::

    [facility.pharmacy]
    walk_minutes = 10          # the type's own threshold

    [level."15min"]
    minutes = 20

    [parameter]
    missing_below_share = 0.3

    [facility.village_committee]   # an unknown id with name_zh and level: a new type
    name_zh = "村民委员会"
    level = "village"
    name_keywords_zh = ["村委会", "村民委员会"]

A list of new types (``[[facility]]``) is accepted too. Unknown sections, ids and
keys raise :class:`~geoplan.ConfigError` naming them and listing the valid ones.
"""

from __future__ import annotations

import copy
import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geoplan._errors import ConfigError, DataSourceError
from geoplan.standards._model import FACILITY_KEYS

__all__ = ["apply_overrides", "read_overrides"]

_UNITS_BY_SUFFIX = (
    ("_minutes", "min"),
    ("_m2", "m2"),
    ("_km2", "km2"),
    ("_ha", "ha"),
    ("_m", "m"),
    ("_pct", "%"),
    ("_share", "share"),
)


@dataclass(frozen=True)
class _Section:
    """How the entries of one section (``facility`` or ``level``) may be overridden."""

    name: str
    plain_keys: frozenset[str]  # set as given; the parser checks their types
    time_key: str  # the value in minutes
    figure_units: Mapping[str, str]  # figures any entry may be given
    needed_for_new: tuple[str, ...]


_FACILITY = _Section(
    name="facility",
    # every key a package entry has, but those set with their own rules
    plain_keys=frozenset(FACILITY_KEYS) - {"id", "required_status", "walk_minutes", "figures"},
    time_key="walk_minutes",
    figure_units={"service_radius_m": "m"},
    needed_for_new=("name_zh", "level"),
)
_LEVEL = _Section(
    name="level",
    plain_keys=frozenset({"name_zh", "name_en", "setting", "profile", "standard", "notes"}),
    time_key="minutes",
    figure_units={"distance_m": "m", "population": "persons"},
    needed_for_new=("name_zh", "minutes", "profile", "setting"),
)
_SECTIONS = {"facility": _FACILITY, "level": _LEVEL}
_VALID_SECTIONS = ("facility", "level", "parameter")


def read_overrides(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read an overrides TOML file.

    Raises
    ------
    DataSourceError
        The file does not exist or cannot be read.
    ConfigError
        The file is not valid TOML.
    """
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        msg = f"cannot read the standards overrides file {str(file)!r}: {exc.strerror or exc}"
        raise DataSourceError(msg) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = f"{str(file)!r} is not valid TOML: {exc}"
        raise ConfigError(msg) from None


def apply_overrides(data: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Return a copy of the raw standards ``data`` with ``overrides`` applied.

    Raises
    ------
    ConfigError
        An unknown section, id or key, or a value of the wrong kind.
    """
    if not isinstance(overrides, Mapping):
        msg = f"overrides must be a mapping or a TOML file path, got {type(overrides).__name__}"
        raise ConfigError(msg)
    result = copy.deepcopy(dict(data))
    for name, content in overrides.items():
        if name == "parameter":
            _override_parameters(result.setdefault("parameter", {}), content)
        elif name in _SECTIONS:
            _override_section(result[name], _SECTIONS[name], content)
        else:
            msg = f"unknown section {name!r} in the overrides; valid sections: " + ", ".join(
                _VALID_SECTIONS
            )
            raise ConfigError(msg)
    return result


def _override_section(entries: list[dict[str, Any]], section: _Section, content: object) -> None:
    by_id = {entry["id"]: entry for entry in entries}
    if isinstance(content, list):
        items = [(_list_id(item, section), item) for item in content]
    elif isinstance(content, Mapping):
        items = list(content.items())
    else:
        msg = f"[{section.name}] must be tables by id or a list of [[{section.name}]] tables"
        raise ConfigError(msg)
    for key, raw_fields in items:
        where = f"[{section.name}.{key}]"
        fields = _table(raw_fields, where)
        if key in by_id and not isinstance(content, list):
            _override_entry(by_id[key], fields, section, where)
        elif key not in by_id and all(k in fields for k in section.needed_for_new):
            entries.append(_new_entry(str(key), fields, section, where))
        else:
            raise _bad_id(key, by_id, section, exists=key in by_id)


def _override_entry(
    entry: dict[str, Any], fields: Mapping[str, Any], section: _Section, where: str
) -> None:
    figures = entry.setdefault("figures", {})
    units = {**section.figure_units, **{k: v.get("unit", "") for k, v in figures.items()}}
    for key, value in fields.items():
        if key in section.plain_keys:
            entry[key] = value
            if key == "required":
                entry["required_status"] = "user"
        elif key == section.time_key:
            entry[key] = _user_value(value, "min", f"{where} {key}")
        elif key in units:
            figures[key] = _user_value(value, units[key], f"{where} {key}")
        else:
            valid = sorted({*section.plain_keys, section.time_key, *units})
            msg = f"unknown key {key!r} in {where}; valid keys: {', '.join(valid)}"
            raise ConfigError(msg)


def _new_entry(
    key: str, fields: Mapping[str, Any], section: _Section, where: str
) -> dict[str, Any]:
    valid = {*section.plain_keys, section.time_key, "id", "figures"}
    unknown = sorted(set(fields) - valid)
    if unknown:
        msg = f"unknown key {unknown[0]!r} in {where}; valid keys: {', '.join(sorted(valid))}"
        raise ConfigError(msg)
    entry = {k: v for k, v in fields.items() if k in section.plain_keys}
    entry["id"] = key
    if section is _FACILITY:
        entry.setdefault("required", False)
        entry["required_status"] = "user"
    if section.time_key in fields:
        entry[section.time_key] = _user_value(fields[section.time_key], "min", where)
    figures = _table(fields.get("figures", {}), f"{where} figures")
    entry["figures"] = {
        name: _user_value(value, _unit_of(name), f"{where} figures.{name}")
        for name, value in figures.items()
    }
    return entry


def _override_parameters(parameters: dict[str, Any], content: object) -> None:
    for name, value in _table(content, "[parameter]").items():
        if name not in parameters:
            msg = f"unknown parameter {name!r}; valid parameters: {', '.join(sorted(parameters))}"
            raise ConfigError(msg)
        parameters[name] = _user_value(value, parameters[name].get("unit", ""), f"parameter {name}")


def _user_value(raw: object, unit: str, where: str) -> dict[str, Any]:
    """Build a user value from a number, a ``[low, high]`` range or ``{value, unit, note}``."""
    table = dict(raw) if isinstance(raw, Mapping) else {"value": raw}
    unknown = sorted(set(table) - {"value", "unit", "note"})
    if unknown or "value" not in table:
        msg = (
            f"{where} must be a number, a [low, high] range or {{ value, unit, note }}, got {raw!r}"
        )
        raise ConfigError(msg)
    table.setdefault("unit", unit)
    table.setdefault("note", "set by the user")
    return {**table, "source": "user", "verification": "user"}


def _unit_of(name: str) -> str:
    """Return the unit a figure's name ends with (``area_m2``: ``m2``), ``""`` for counts."""
    return next((unit for suffix, unit in _UNITS_BY_SUFFIX if name.endswith(suffix)), "")


def _list_id(item: object, section: _Section) -> str:
    key = _table(item, f"[[{section.name}]]").get("id")
    if not isinstance(key, str) or not key:
        msg = f'each [[{section.name}]] table needs an id, e.g. id = "my_{section.name}"'
        raise ConfigError(msg)
    return key


def _table(raw: object, where: str) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        msg = f"{where} must be a table of keys and values, got {raw!r}"
        raise ConfigError(msg)
    return raw


def _bad_id(
    key: object, known: Mapping[str, Any], section: _Section, *, exists: bool
) -> ConfigError:
    if exists:
        return ConfigError(
            f"{section.name} {key!r} already exists: change it with [{section.name}.{key}] "
            "instead of defining it again"
        )
    close = difflib.get_close_matches(str(key), list(known), n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(map(repr, close))}? " if close else ""
    return ConfigError(
        f"unknown {section.name} {key!r} in the overrides; {hint}valid ids: "
        f"{', '.join(known)}. To add a new {section.name}, give at least "
        f"{', '.join(section.needed_for_new)}."
    )
