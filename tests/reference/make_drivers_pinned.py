"""The frozen drivers answers and the calls ``tests/test_drivers_pinned.py`` checks on them.

``python -m tests.reference.make_drivers_pinned`` wrote the input data once
(``drivers_pinned_input.csv.gz``, a frozen copy of ``cx.generate(3000, seed=3)``'s answers with
the customer segment, issue 11), so the tests do not depend on the synthetic generator staying
the same. Issue 27 replaced the outputs pinned from cxmodels' own earlier code by R
(``drivers_r.R`` and its ``drivers_r.json``) and an independent bootstrap in the test.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import cxmodels as cx
from cxmodels.drivers import IMPORTANCE_METHODS

HERE = Path(__file__).parent
INPUT = HERE / "drivers_pinned_input.csv.gz"
ATTRS = [
    "attr_product_quality",
    "attr_value_for_money",
    "attr_staff_competence",
    "attr_delivery_reliability",
    "attr_digital_experience",
]


def frozen_input() -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = cx.validate(cx.generate(3000, seed=3))
    df = w.responses.merge(w.customers[["customer_id", "segment"]], on="customer_id", how="left")
    cols = ["overall_sat", "nps", "segment", *[a for a in w.attributes]]
    return df[cols]


def cases(df: pd.DataFrame) -> dict:
    """Every pinned call: name -> (function name, kwargs)."""
    a4 = ATTRS[:4]
    out = {}
    for imp in IMPORTANCE_METHODS:
        out[f"ols_{imp}"] = (
            "fit_drivers",
            dict(outcome="overall_sat", drivers=ATTRS, importance=imp),
        )
    out["ols_bootstrap"] = (
        "fit_drivers",
        dict(outcome="overall_sat", drivers=ATTRS, bootstrap=200, seed=7),
    )
    out["ols_weights"] = ("fit_drivers", dict(outcome="overall_sat", drivers=ATTRS, weights="wt"))
    out["ols_controls"] = (
        "fit_drivers",
        dict(outcome="overall_sat", drivers=a4, controls=[ATTRS[4]]),
    )
    out["ols_groups"] = (
        "fit_drivers",
        dict(outcome="overall_sat", drivers=ATTRS, groups={"service": ATTRS[1:3]}),
    )
    out["ordinal"] = ("fit_drivers", dict(outcome="overall_sat", drivers=a4, model="ordinal"))
    out["logit_promoter"] = ("fit_drivers", dict(outcome="nps", drivers=a4, model="logit"))
    out["logit_detractor"] = (
        "fit_drivers",
        dict(outcome="nps", drivers=a4, model="logit", target="detractor"),
    )
    out["penalty_reward"] = ("penalty_reward", dict(outcome="overall_sat"))
    out["compare_segments"] = (
        "compare_segments",
        dict(outcome="overall_sat", drivers=a4[:3], bootstrap=50, seed=2),
    )
    return out


def with_weights(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(wt=np.where(np.arange(len(df)) % 3 == 0, 2.0, 1.0))


def run(df: pd.DataFrame) -> dict:
    df = with_weights(df)
    out = {}
    for name, (fn, kw) in cases(df).items():
        data = df.drop(columns="segment") if fn != "compare_segments" else df
        r = getattr(cx, fn)(data, **kw)
        num = r.table.select_dtypes("number")
        entry = {"table": {c: [None if pd.isna(v) else float(v) for v in num[c]] for c in num}}
        key = "driver" if "driver" in r.table else None
        entry["driver"] = list(map(str, r.table[key])) if key else []
        for extra in ("segment", "classification"):
            if extra in r.table:
                entry[extra] = list(map(str, r.table[extra]))
        for attr in ("r2", "r2_controls", "n", "n_dropped", "low", "high"):
            if hasattr(r, attr):
                entry[attr] = float(getattr(r, attr))
        out[name] = entry
    return out


if __name__ == "__main__":
    frozen_input().to_csv(INPUT, index=False)
    print("wrote", INPUT)
