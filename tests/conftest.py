"""Test-wide settings: hypothesis runs are derandomized, so every run tests the same cases."""

from __future__ import annotations

from hypothesis import settings

settings.register_profile("geoplan", derandomize=True, database=None, print_blob=True)
settings.load_profile("geoplan")
