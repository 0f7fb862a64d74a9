"""Errors and warnings raised by geoplan.

Every error is a :class:`GeoplanError` and also the built-in exception a
caller would naturally catch (``ValueError``, ``OSError``, ...), so both
``except geoplan.GeoplanError`` and ``except ValueError`` work. Every message
names what was wrong and how to fix it.
"""

from __future__ import annotations

__all__ = [
    "CRSError",
    "ConfigError",
    "DataSourceError",
    "DroppedFeaturesWarning",
    "GeoplanError",
    "GeoplanWarning",
    "InputError",
    "NetworkError",
    "OutputError",
    "UnreachablePointsWarning",
    "UnreadableCellsWarning",
]


class GeoplanError(Exception):
    """Base class of every error geoplan raises on purpose."""


class DataSourceError(GeoplanError, OSError):
    """A file or online source is missing, unreadable, or of an unknown format."""


class OutputError(DataSourceError):
    """An output folder cannot be written: not made by geoplan, an earlier run, or read-only."""


class CRSError(GeoplanError, ValueError):
    """Coordinates lack a CRS, are in the wrong CRS, or have their axes swapped."""


class InputError(GeoplanError, ValueError):
    """An argument has an invalid value (NaN coordinates, empty sets, bad cutoffs, ...)."""


class NetworkError(GeoplanError, ValueError):
    """A travel network cannot be built or used (no ways for the profile, too few nodes, ...)."""


class ConfigError(GeoplanError, ValueError):
    """A setting or configuration key is unknown or has a value of the wrong kind."""


class GeoplanWarning(UserWarning):
    """Base class of geoplan's warnings: something was repaired or left out, and said so."""


class UnreachablePointsWarning(GeoplanWarning):
    """Some points lie farther from the network than the snap limit and were flagged."""


class UnreadableCellsWarning(GeoplanWarning):
    """Cells or rows of an input table could not be read: they were set to NaN or left out."""


class DroppedFeaturesWarning(GeoplanWarning):
    """Features of an input (nodes, geometries) were unusable and were left out, and said so."""
