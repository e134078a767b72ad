"""Pinned outputs of Kano, metrics and effects on the small synthetic world (issue 11).

The CSV files in tests/reference/kme_pinned/ were written by tests/reference/make_kme_pinned.py
from the code on main before the redesign (commit 25ac991). Every number must stay the same
(relative 1e-9), except the columns issue 13 asked to change, listed in ``CHANGED`` with why.
New columns are allowed.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from tests.reference.make_kme_pinned import outputs

PINNED = Path(__file__).parent / "reference" / "kme_pinned"

#: Columns whose numbers issue 13 asked to change (name -> {column: reason}).
_PAIRED = "issue 13: change() between waves is paired where the same customers answer both"
_SMD = "issue 13: weighted SMD over the unweighted pooled SD (Austin & Stuart 2015)"
CHANGED: dict[str, dict[str, str]] = {
    "effect_overall_sat_balance": {"smd_weighted": _SMD, "imbalanced": _SMD},
    "effect_churn_within_balance": {"smd_weighted": _SMD, "imbalanced": _SMD},
    "change": {"ci_low": _PAIRED, "ci_high": _PAIRED, "p_value": _PAIRED},
    "change_by": {"ci_low": _PAIRED, "ci_high": _PAIRED, "p_value": _PAIRED},
    "kpis": {"change_low": _PAIRED, "change_high": _PAIRED, "change_p": _PAIRED},
}


@pytest.fixture(scope="module")
def current(world):
    return outputs(world)


def _roundtrip(t: pd.DataFrame) -> pd.DataFrame:
    buf = io.StringIO()
    t.to_csv(buf, index=False, float_format="%.17g")
    buf.seek(0)
    return pd.read_csv(buf)


@pytest.mark.parametrize("name", sorted(p.stem for p in PINNED.glob("*.csv")))
def test_pinned(current, name):
    want = pd.read_csv(PINNED / f"{name}.csv")
    got = _roundtrip(current[name])
    skip = set(CHANGED.get(name, {}))
    cols = [c for c in want.columns if c not in skip]
    missing = [c for c in cols if c not in got.columns]
    assert not missing, f"{name}: columns gone: {missing}"
    pd.testing.assert_frame_equal(
        got[cols], want[cols], check_dtype=False, rtol=1e-9, atol=1e-12, obj=name
    )
