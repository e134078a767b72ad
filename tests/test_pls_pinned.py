"""Pinned PLS bootstrap outputs (issue 11): replicates now come from ``cxmodels._bootstrap``.

tests/reference/pls_pinned.csv was written by tests/reference/make_pls_pinned.py from the code
before the move; every number must stay the same (relative 1e-9).
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd

from tests.reference.make_pls_pinned import outputs

PINNED = Path(__file__).parent / "reference" / "pls_pinned.csv"


def test_pls_bootstrap_pinned():
    want = pd.read_csv(PINNED)
    buf = io.StringIO()
    outputs().to_csv(buf, index=False, float_format="%.17g")
    buf.seek(0)
    got = pd.read_csv(buf)
    assert list(got.columns) == list(want.columns)
    pd.testing.assert_frame_equal(got, want, check_dtype=False, rtol=1e-9, atol=1e-12)
