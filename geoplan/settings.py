"""Validated package-wide defaults.

Every function that takes one of these as an optional argument falls back to
the value here when the argument is left as ``None``. Values are checked when
set; an unknown name raises :class:`~geoplan.ConfigError`.

Settings and their defaults
---------------------------
walk_speed_m_s : float, 1.0
    Walking speed. 1.0 m/s = 60 m/min, so 5/10/15 minutes are 300/600/900 m,
    matching the 300 m (5-min) and 800-1000 m (15-min) radii quoted for
    GB 50180-2018 (weak secondary source). No verified national figure fixes
    the speed: set it for your population (elderly residents walk slower).
bike_speed_m_s : float, 4.0
    Cycling speed (14.4 km/h); a documented default, not from a standard.
drive_speed_m_s : float, 8.33
    Driving speed (30 km/h, a typical urban and village-road average); a
    documented default, not from a standard.
max_snap_m : float, 500.0
    Points farther than this from the nearest network edge are flagged as
    unreachable (and reported), never silently dropped.
life_circle_minutes : tuple of int, (5, 10, 15)
    The life-circle thresholds of GB 50180-2018.
lang : {"zh", "en"}, "zh"
    Language of labels in maps, tables and reports.
output_dir : pathlib.Path, ``data/processed``
    Where runs write their outputs.
cache_dir : pathlib.Path, ``~/.cache/geoplan``
    Downloaded extracts and map assets.
offline : bool, False
    When True, online queries fail at once instead of trying the network.
progress : bool, True
    Show progress bars on long steps.
reach_batch_mb : float, 256.0
    Memory budget of one batch of the per-source reach search.
service_area_buffer_m : float, 100.0
    How far a service area extends beside the reached streets (ArcGIS Network
    Analyst's default trim distance is also 100 m). A documented default, not
    from a standard.
service_area_cell_m : float, 10.0
    Resolution of the grid service-area polygons are traced on.
basemap : {"osm", "amap", "tianditu", "none"}, "osm"
    Base map of folium maps. ``amap`` (Gaode) tiles are in GCJ-02, so every
    layer drawn on them is shifted into GCJ-02; ``tianditu`` needs a key
    (environment variable ``GEOPLAN_TIANDITU_KEY``); ``none`` draws no tiles.
offline_maps : bool, True
    Make every saved map open without the internet: Leaflet's JavaScript and
    CSS are written beside the map (``maps/lib/``) from the XStatic packages
    geoplan depends on, instead of loaded from public CDNs (which many
    networks block). ``False`` links the CDNs (smaller run folders).
max_memory_mb : float, 4096.0
    The largest single array (a grid, a raster) geoplan allocates; larger
    requests are refused before allocating, with the estimate and the fix.
    A documented default for a 16-24 GB machine; raise it on a bigger one.
parallel : bool, True
    Do independent pieces of a run at once, in a second process: the extract's
    buildings and points of interest read while the network is, the site
    proposals made while the life circles are computed, and the print maps and
    report.pdf written while the rest of the run folder is (on Linux, from a
    process running no other Python thread; elsewhere everything runs in this
    process). The results and files are the same either way; ``False`` does
    them one after another.
map_tolerance_m : float, 2.0
    Polygons and lines are simplified to this precision before they go into
    a map (map precision, not analysis precision).

Examples
--------
>>> import geoplan
>>> geoplan.settings.walk_speed_m_s
1.0
>>> with geoplan.settings.override(walk_speed_m_s=1.2):
...     geoplan.settings.walk_speed_m_s
1.2
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

from geoplan._errors import ConfigError

__all__ = ["Settings", "settings"]


def _positive_float(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        msg = f"setting {name!r} must be a number, got {value!r}; e.g. {name}=1.0"
        raise ConfigError(msg)
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number) or number <= 0:
        msg = f"setting {name!r} must be a positive finite number, got {value!r}; e.g. {name}=1.0"
        raise ConfigError(msg)
    return number


def _minutes(name: str, value: Any) -> tuple[int, ...]:
    if not isinstance(value, list | tuple) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        msg = f"setting {name!r} must be a list of whole minutes, e.g. (5, 10, 15); got {value!r}"
        raise ConfigError(msg)
    try:
        values = tuple(int(v) for v in value)
    except (TypeError, ValueError, OverflowError):
        msg = f"setting {name!r} must be a list of whole minutes, e.g. (5, 10, 15); got {value!r}"
        raise ConfigError(msg) from None
    if not values or any(v <= 0 for v in values) or list(values) != sorted(set(values)):
        msg = (
            f"setting {name!r} must be increasing positive minutes, e.g. (5, 10, 15); got {value!r}"
        )
        raise ConfigError(msg)
    return values


def _lang(name: str, value: Any) -> str:
    if value not in ("zh", "en"):
        msg = f"setting {name!r} must be 'zh' or 'en', got {value!r}"
        raise ConfigError(msg)
    return str(value)


def _path(name: str, value: Any) -> Path:
    if not isinstance(value, str | Path):
        msg = f"setting {name!r} must be a folder path, got {value!r}"
        raise ConfigError(msg)
    try:
        return Path(value).expanduser()
    except RuntimeError:
        msg = f"setting {name!r} = {value!r} starts with '~' of an unknown user; give a full path"
        raise ConfigError(msg) from None


BASEMAPS = ("osm", "amap", "tianditu", "none")


def _basemap(name: str, value: Any) -> str:
    if value not in BASEMAPS:
        msg = f"setting {name!r} must be one of {', '.join(BASEMAPS)}; got {value!r}"
        raise ConfigError(msg)
    return str(value)


def _bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        msg = f"setting {name!r} must be True or False, got {value!r}"
        raise ConfigError(msg)
    return value


class Settings:
    """Package-wide defaults; see the module docstring for each one."""

    _validators: ClassVar[dict[str, Callable[[str, Any], Any]]] = {
        "walk_speed_m_s": _positive_float,
        "bike_speed_m_s": _positive_float,
        "drive_speed_m_s": _positive_float,
        "max_snap_m": _positive_float,
        "life_circle_minutes": _minutes,
        "lang": _lang,
        "output_dir": _path,
        "cache_dir": _path,
        "offline": _bool,
        "progress": _bool,
        "reach_batch_mb": _positive_float,
        "service_area_buffer_m": _positive_float,
        "service_area_cell_m": _positive_float,
        "basemap": _basemap,
        "offline_maps": _bool,
        "parallel": _bool,
        "map_tolerance_m": _positive_float,
        "max_memory_mb": _positive_float,
    }
    _defaults: ClassVar[dict[str, Any]] = {
        "walk_speed_m_s": 1.0,
        "bike_speed_m_s": 4.0,
        "drive_speed_m_s": 8.33,
        "max_snap_m": 500.0,
        "life_circle_minutes": (5, 10, 15),
        "lang": "zh",
        "output_dir": Path("data/processed"),
        "cache_dir": Path("~/.cache/geoplan").expanduser(),
        "offline": False,
        "progress": True,
        "reach_batch_mb": 256.0,
        "service_area_buffer_m": 100.0,
        "service_area_cell_m": 10.0,
        "basemap": "osm",
        "offline_maps": True,
        "parallel": True,
        "map_tolerance_m": 2.0,
        "max_memory_mb": 4096.0,
    }

    walk_speed_m_s: float
    bike_speed_m_s: float
    drive_speed_m_s: float
    max_snap_m: float
    life_circle_minutes: tuple[int, ...]
    lang: str
    output_dir: Path
    cache_dir: Path
    offline: bool
    progress: bool
    reach_batch_mb: float
    service_area_buffer_m: float
    service_area_cell_m: float
    basemap: str
    offline_maps: bool
    parallel: bool
    map_tolerance_m: float
    max_memory_mb: float

    def __init__(self) -> None:
        self.reset()

    def __setattr__(self, name: str, value: Any) -> None:
        validator = self._validators.get(name)
        if validator is None:
            msg = f"unknown setting {name!r}; known settings: {', '.join(sorted(self._validators))}"
            raise ConfigError(msg)
        object.__setattr__(self, name, validator(name, value))

    def reset(self) -> None:
        """Restore every setting to its default."""
        for name, value in self._defaults.items():
            setattr(self, name, value)

    @classmethod
    def default(cls, name: str) -> Any:
        """Return a setting's default value.

        Examples
        --------
        >>> Settings.default("walk_speed_m_s")
        1.0
        """
        if name not in cls._defaults:
            msg = f"unknown setting {name!r}; known settings: {', '.join(sorted(cls._defaults))}"
            raise ConfigError(msg)
        return cls._defaults[name]

    def as_dict(self) -> dict[str, Any]:
        """Return the current settings as a plain dictionary."""
        return {name: getattr(self, name) for name in self._validators}

    def speed_m_s(self, profile: str) -> float:
        """Return the travel speed of a profile (``walk``, ``bike`` or ``drive``)."""
        if profile not in ("walk", "bike", "drive"):
            msg = f"profile must be 'walk', 'bike' or 'drive', got {profile!r}"
            raise ConfigError(msg)
        return float(getattr(self, f"{profile}_speed_m_s"))

    @contextlib.contextmanager
    def override(self, **values: Any) -> Iterator[Settings]:
        """Temporarily change settings inside a ``with`` block.

        Parameters
        ----------
        **values
            Settings to change, by name.

        Yields
        ------
        Settings
            This object, with the new values in force.
        """
        saved = self.as_dict()
        try:
            for name, value in values.items():
                setattr(self, name, value)
            yield self
        finally:
            for name, value in saved.items():
                object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        items = ", ".join(f"{k}={v!r}" for k, v in self.as_dict().items())
        return f"Settings({items})"


settings = Settings()
