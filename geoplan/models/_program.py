"""A linear program as the models build it and HiGHS solves it (:mod:`geoplan.models._highs`).

The models build :class:`_Program` objects; :mod:`geoplan.models._solve` and
:mod:`geoplan.models._highs` solve them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from geoplan.models._arrays import FloatArray


@dataclass(frozen=True)
class _Program:
    """min c @ x subject to lo <= a @ x <= hi, lb <= x <= ub; objective = sign*c@x + offset."""

    c: FloatArray
    integrality: FloatArray
    a: sp.csr_array
    lo: FloatArray
    hi: FloatArray
    lb: FloatArray
    ub: FloatArray
    sign: float = 1.0
    offset: float = 0.0

    @property
    def nonzeros(self) -> int:
        return int(self.a.nnz)


def _site_flags(m: int, width: int) -> FloatArray:
    """1.0 for the ``m`` site variables (the first columns), 0.0 for the other ``width - m``."""
    return np.concatenate([np.ones(m), np.zeros(width - m)])
