"""CSV tables written column by column are the bytes pandas' ``to_csv`` writes.

The oracle is pandas itself (``to_csv`` with the run's CRLF line ends, the
fallback for what the fast writer does not know): random tables with every
kind of value the run's tables hold, and the awkward ones (quotes, commas,
line breaks, -0.0, NaN, infinities, float32, missing text).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geoplan.outputs._csv_writer import csv_text
from geoplan.outputs.tables import write_table

TEXT = ["", "a", " lead", "trail ", '"quoted"', "a,b", "x\ny", "x\rz", "长春", "=1+1", "'", "\t"]


def awkward_frame(seed: int, rows: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    floats = rng.normal(size=rows) * 10.0 ** rng.integers(-20, 20, size=rows)
    floats[rng.random(rows) < 0.1] = np.nan
    floats[rng.random(rows) < 0.05] = np.inf
    floats[rng.random(rows) < 0.05] = -np.inf
    floats[rng.random(rows) < 0.05] = -0.0
    floats[rng.random(rows) < 0.05] = 0.0
    repeated = rng.choice([0.0, 1000.0, 0.1, 1 / 3, np.nan, 2.5e-7], size=rows)
    labels = [TEXT[i] if i < len(TEXT) else None for i in rng.integers(0, len(TEXT) + 2, rows)]
    return pd.DataFrame(
        {
            "name": pd.Series(labels, dtype="str"),
            "value": floats,
            "repeated": repeated,
            "float32": (rng.random(rows) * 100).astype(np.float32),
            "count": rng.integers(-(2**62), 2**62, size=rows),
            "small": rng.integers(0, 5, size=rows).astype(np.int8),
            "unsigned": rng.integers(0, 2**64 - 1, size=rows, dtype=np.uint64),
            "flag": rng.random(rows) < 0.5,
            "label_na": pd.Series(labels, dtype="string"),
            "a,b": rng.random(rows),  # a header csv must quote
        }
    )


def pandas_text(frame: pd.DataFrame, index: bool) -> str:
    text: str = frame.to_csv(index=index, lineterminator="\r\n")
    return text


@pytest.mark.parametrize("seed", range(6))
def test_every_kind_of_value_is_written_as_pandas_writes_it(seed):
    frame = awkward_frame(seed)
    assert csv_text(frame, index=False) == pandas_text(frame, index=False)


def test_a_named_index_is_the_first_column_as_in_pandas():
    frame = awkward_frame(7).set_index("count")
    assert csv_text(frame, index=True) == pandas_text(frame, index=True)
    frame = frame.iloc[:0]  # no rows: the header alone
    assert csv_text(frame, index=True) == pandas_text(frame, index=True)


@pytest.mark.parametrize(
    "labels", [[None, "a"], [np.nan, "a"], [pd.NA, "b"], [1, 2.5], [("x", "y"), "a"], [True, "c"]]
)
def test_headers_are_written_as_pandas_writes_them(labels):
    frame = pd.DataFrame([[1, 2]], columns=pd.Index(labels, dtype=object))
    assert csv_text(frame, index=False) == pandas_text(frame, index=False)


def test_what_it_does_not_know_is_left_to_pandas():
    frame = awkward_frame(8, rows=12)
    assert csv_text(frame.assign(objects=[1, "x", None, 2.5] * 3), index=False) is None
    assert csv_text(frame.assign(when=pd.Timestamp("2026-12-04")), index=False) is None
    assert (
        csv_text(frame.assign(nullable=pd.array([1, None] * 6, dtype="Int64")), index=False) is None
    )
    assert csv_text(frame[["name"]], index=False) is None  # one column: csv quotes an empty row
    assert csv_text(frame.set_index("name", append=True), index=True) is None
    clash = frame.set_index(frame["flag"].rename("value"))
    assert csv_text(clash, index=True) is None  # the index's name is a column's too


def test_write_table_writes_the_same_bytes_either_way(tmp_path):
    frame = awkward_frame(9)
    fast = write_table(tmp_path / "fast.csv", frame).read_bytes()
    objects = frame.astype({"small": object})  # not known here: pandas writes it
    slow = write_table(tmp_path / "slow.csv", objects).read_bytes()
    assert fast == slow
    assert fast.startswith("\ufeff".encode())
    assert b'"x\ny"' in fast
    assert b'"x\rz"' in fast
