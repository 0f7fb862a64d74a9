"""geoplan's version, on the ground floor so that every layer may name it."""

__version__ = "0.1.0"
