"""Deprecated: the location models moved to the public package :mod:`geoplan.models`.

``import geoplan._models`` still works and gives the same functions, with a
:class:`DeprecationWarning`; import :mod:`geoplan.models` instead.
"""

from __future__ import annotations

import warnings

from geoplan.models import *  # noqa: F403 -- the whole public API, under the old name
from geoplan.models import __all__  # noqa: F401 -- the same names, re-exported

warnings.warn(
    "geoplan._models is deprecated; import geoplan.models instead "
    "(from geoplan import models; models.mclp(...))",
    DeprecationWarning,
    stacklevel=2,
)
