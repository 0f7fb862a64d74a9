"""Deprecated: the location models moved to the public package :mod:`geoplan.models`.

``import geoplan._models`` still works and gives the same functions, with a
:class:`DeprecationWarning`; import :mod:`geoplan.models` instead.
"""

from __future__ import annotations

import warnings

from geoplan.models import (
    AUTO_BOUND_SECONDS,
    AUTO_EXACT_NONZEROS,
    Reduction,
    Solution,
    SolverName,
    capacitated_mclp,
    equity_mclp,
    lscp,
    mclp,
    p_center,
    p_median,
)

__all__ = [
    "AUTO_BOUND_SECONDS",
    "AUTO_EXACT_NONZEROS",
    "Reduction",
    "Solution",
    "SolverName",
    "capacitated_mclp",
    "equity_mclp",
    "lscp",
    "mclp",
    "p_center",
    "p_median",
]

warnings.warn(
    "geoplan._models is deprecated; import geoplan.models instead "
    "(from geoplan import models; models.mclp(...))",
    DeprecationWarning,
    stacklevel=2,
)
