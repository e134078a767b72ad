"""The public churn outputs on the sample world, against R survival (issue 27).

:func:`compute_pins` names every number. Those R computes (Kaplan-Meier with its log-log bands
and medians, the log-rank test, ``coxph``, ``survfit.coxph`` predictions and their exact RMST,
``survreg``, the concordance, the IPCW Brier score and calibration sums on the held-out part,
the start-stop ``coxph``) are compared with ``tests/reference/churn_pinned_r.csv``, written by
``tests/reference/churn_pinned_r.R`` from the tables ``churn_pinned_input.csv.gz`` and
``churn_pinned_tv.csv.gz`` (``tests/reference/make_churn_pinned_r.py``). The numbers issue 13
corrected (predictions as ``survfit.coxph`` step functions, the exact RMST, AFT at ``survreg``'s
optimum, Cox iterated to convergence, the censoring Kaplan-Meier with churn first and
:math:`G(t-)`) are so checked against R, not against their earlier values.

Only the counts of the survival tables (``st.*``, ``tv.rows``) have no outside reference: they stay pinned to
the values recorded before the churn refactor (commit 25ac991).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cxmodels import churn

COVS = ["overall_sat", "loyalty_member", "followed_up", "segment"]


def compute_pins(world) -> dict[str, float]:
    """The pinned numbers, by name (run this file as a script to print them)."""
    out: dict[str, float] = {}
    st = churn.survival_table(world)
    out["st.n"] = len(st)
    out["st.duration_sum"] = float(st["duration"].sum())
    out["st.events"] = int(st["event"].sum())
    out["st.tenure_sum"] = float(st["tenure_at_origin"].sum())
    out["st.followed_up"] = int(st["followed_up"].sum())
    km = churn.kaplan_meier(st, by="nps_group")
    for _, r in km.medians.iterrows():
        for c in ("median", "ci_low", "ci_high"):
            out[f"km.{r['group']}.{c}"] = float(r[c])
    at = km.survival_at([3, 6, 12, 24])
    for _, r in at.iterrows():
        for c in ("survival", "ci_low", "ci_high"):
            out[f"km.{r['group']}.{c}@{r['time']:g}"] = float(r[c])
    out["km.logrank"] = float(km.logrank["test_statistic"][0])
    cox = churn.fit_churn(st, COVS)
    for _, r in cox.table.iterrows():
        out[f"cox.coef.{r['covariate']}"] = float(r["coef"])
        out[f"cox.se.{r['covariate']}"] = float(r["se"])
    out["cox.concordance"] = float(cox.concordance)
    out["cox.aic"] = float(cox.aic)
    out["cox.risk12.mean"] = float(cox.predict_risk(12).mean())
    out["cox.rmst24.mean"] = float(cox.expected_remaining_tenure(24).mean())
    for m in ("weibull", "lognormal", "loglogistic"):
        aft = churn.fit_churn(st, ["overall_sat", "loyalty_member"], model=m)
        for _, r in aft.table.iterrows():
            out[f"{m}.coef.{r['covariate']}"] = float(r["coef"])
        out[f"{m}.aic"] = float(aft.aic)
    tv = churn.survival_table(world, time_varying=True)
    out["tv.rows"] = len(tv)
    tvf = churn.fit_churn(tv, ["overall_sat", "loyalty_member"], time_varying=True)
    for _, r in tvf.table.iterrows():
        out[f"tv.coef.{r['covariate']}"] = float(r["coef"])
        out[f"tv.se.{r['covariate']}"] = float(r["se"])
    train, test = churn.split(st, test_size=0.3, seed=1)
    ev = churn.evaluate(churn.fit_churn(train, COVS), test, 12)
    out["ev.concordance"] = ev.concordance
    out["ev.brier"] = ev.brier
    out["ev.brier_null"] = ev.brier_null
    out["ev.predicted.sum"] = float(ev.table["predicted"].sum())
    out["ev.observed.sum"] = float(ev.table["observed"].sum())
    return out


R_VALUES = Path(__file__).parent / "reference" / "churn_pinned_r.csv"

#: Counts of the survival tables, recorded before the churn refactor (commit 25ac991).
PINNED: dict[str, float] = {
    "st.n": 2773.0,
    "st.duration_sum": 52442.41478439425,
    "st.events": 901.0,
    "st.tenure_sum": 212476.0,
    "st.followed_up": 1083.0,
    "tv.rows": 5750.0,
}

#: How far from R: R's ``coxph`` stops when the log-likelihood changes by less than 1e-9
#: (relative), so its coefficients sit within ~1e-9 of the optimum cxmodels iterates to (as the
#: ``survreg`` ones); every other number agrees to 1e-9 relative (measured: 5e-12 at most).
COEF_ABS = 1e-8
R_REL = 1e-9


def _r_values() -> pd.Series:
    return pd.read_csv(R_VALUES).set_index("name")["value"]


def _tolerance(name: str) -> dict:
    coef = name.split(".")[1] in ("coef", "se")
    return {"abs": COEF_ABS} if coef else {"rel": R_REL, "abs": 1e-12}


@pytest.fixture(scope="module")
def pins(world):
    return compute_pins(world)


def test_every_pin_has_a_reference(pins):
    assert set(pins) == set(PINNED) | set(_r_values().index)


def test_r_reads_the_tables_the_code_builds(world):
    from tests.reference.make_churn_pinned_r import INPUT, INPUT_TV, r_input, r_input_tv

    for path, table in ((INPUT, r_input(world)), (INPUT_TV, r_input_tv(world))):
        pd.testing.assert_frame_equal(
            pd.read_csv(path), table, check_dtype=False, rtol=1e-15, obj=path.name
        )


@pytest.mark.reference(
    "R survival: survfit, quantile.survfit, survdiff, coxph, survfit.coxph, survreg, concordance"
    " (tests/reference/churn_pinned_r.R)"
)
def test_pins_match_r_survival(pins):
    off = {
        k: (pins[k], v)
        for k, v in _r_values().items()
        if pins[k] != pytest.approx(v, **_tolerance(k))
    }
    assert not off, off


def test_survival_table_counts_pinned(pins):
    off = {k: (pins[k], v) for k, v in PINNED.items() if pins[k] != pytest.approx(v, rel=1e-12)}
    assert not off, off


@pytest.mark.reference("R survival (tests/reference/churn_pinned_r.R, run live)")
@pytest.mark.skipif(shutil.which("Rscript") is None, reason="needs R with survival")
def test_r_values_are_what_the_r_script_prints(tmp_path):
    ref = R_VALUES.parent
    out = tmp_path / "churn_pinned_r.csv"
    subprocess.run(
        [
            "Rscript",
            str(ref / "churn_pinned_r.R"),
            str(ref / "churn_pinned_input.csv.gz"),
            str(ref / "churn_pinned_tv.csv.gz"),
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    pd.testing.assert_frame_equal(pd.read_csv(out), pd.read_csv(R_VALUES), rtol=1e-12)


if __name__ == "__main__":  # pragma: no cover - prints the pins
    import warnings

    import cxmodels as cx

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = cx.validate(cx.generate(3000, seed=3))
    p = compute_pins(w)
    print("{")
    for k, v in p.items():
        print(f"    {k!r}: {np.float64(v)!r},".replace("np.float64(", "").replace("),", ","))
    print("}")
