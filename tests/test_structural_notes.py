"""The PLS summary states its missing-value rule beside seminr's default (issue 27)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxmodels.structural import fit_pls

MODEL = """
A =~ a1 + a2 + a3
B =~ b1 + b2 + b3
B ~ A
"""


def _data(n: int = 120, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    b = 0.6 * a + rng.normal(scale=0.8, size=n)
    cols = {f"a{i}": a + rng.normal(scale=0.5, size=n) for i in (1, 2, 3)}
    cols |= {f"b{i}": b + rng.normal(scale=0.5, size=n) for i in (1, 2, 3)}
    df = pd.DataFrame(cols)
    df.loc[:4, "a2"] = np.nan  # five answers missing one item
    return df


def test_summary_states_the_missing_rule_and_seminrs_default():
    df = _data()
    listwise = fit_pls(df, MODEL).summary().facts
    mean = fit_pls(df, MODEL, missing="mean").summary().facts
    assert listwise["missing items"].startswith("listwise deletion")
    assert listwise["rows dropped (missing items)"] == 5
    assert mean["missing items"].startswith("item-mean replacement")
    assert "seminr's default: item-mean replacement" in listwise["missing items"]
