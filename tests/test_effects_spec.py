"""Follow-up effects that state what they rest on (issue 27).

Replicates used, regularisation, aliased covariates, complete cases; and statsmodels'
``TreatmentEffect`` (0.15) as the external oracle of the regression, IPW and AIPW estimators on a
public data set (Cattaneo 2010 birth weights, shipped with statsmodels' own tests).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cxmodels as cx
from cxmodels import effects
from cxmodels.effects import follow_up_effect


# ------------------------------------------------------------------ external oracle
@pytest.fixture(scope="module")
def cattaneo():
    import statsmodels.treatment as tr

    path = Path(tr.__file__).parent / "tests" / "results" / "cataneo2.csv"
    if not path.exists():
        pytest.skip("statsmodels' test data (cataneo2.csv) is not installed")
    d = pd.read_csv(path)
    cols = ["mmarried_", "mage", "fbaby_", "medu", "prenatal1_"]
    X = np.column_stack([np.ones(len(d)), d[cols].to_numpy(float)])
    return (
        X,
        d["mbsmoke_"].to_numpy(int),
        d["bweight"].to_numpy(float),
        d["lbweight"].to_numpy(float),
    )


def test_estimators_match_statsmodels_treatment_effect(cattaneo):
    """RA, IPW and AIPW against statsmodels.treatment.TreatmentEffect (same X, logit
    propensity, OLS outcome per arm): ATE -233.911 (RA), -231.336 (IPW), -231.472 (AIPW) g."""
    from statsmodels.api import OLS, Logit
    from statsmodels.treatment.treatment_effects import TreatmentEffect

    X, T, Y, _ = cattaneo
    ps = Logit(T.astype(float), X).fit(disp=0)
    te = TreatmentEffect(OLS(Y, X), T, results_select=ps)
    ref = [te.ra(return_results=False)[0], te.ipw(return_results=False)[0],
           te.aipw(return_results=False)[0]]  # fmt: skip
    est = effects._estimate(X, T.astype(float), Y, np.ones(len(Y)), False, 0.0)[0]
    np.testing.assert_allclose(est[1:], ref, rtol=1e-10)  # no ridge: plain ML, as statsmodels
    assert est[1:] == pytest.approx([-233.9106, -231.3359, -231.4723], abs=1e-3)


def test_binary_outcome_matches_statsmodels_and_the_aipw_formula(cattaneo):
    """Low birth weight (binary): RA and IPW from TreatmentEffect with Logit outcome models;
    AIPW by the hand formula on statsmodels' fits (TreatmentEffect.aipw needs OLS residuals)."""
    from statsmodels.api import Logit
    from statsmodels.treatment.treatment_effects import TreatmentEffect

    X, T, _, Yb = cattaneo
    ps = Logit(T.astype(float), X).fit(disp=0)
    te = TreatmentEffect(Logit(Yb, X), T, results_select=ps)
    e = ps.predict(X)
    mu = [Logit(Yb[T == k], X[T == k]).fit(disp=0).predict(X) for k in (0, 1)]
    aipw = np.mean(mu[1] - mu[0] + T * (Yb - mu[1]) / e - (1 - T) * (Yb - mu[0]) / (1 - e))
    ref = [te.ra(return_results=False)[0], te.ipw(return_results=False)[0], aipw]
    est = effects._estimate(X, T.astype(float), Yb, np.ones(len(Yb)), True, 0.0)[0]
    np.testing.assert_allclose(est[1:], ref, rtol=1e-9)  # no ridge: plain ML, as statsmodels


# ------------------------------------------------------------------ replicates used
def test_replicates_that_lose_an_arm_are_counted():
    units = pd.DataFrame({"customer_id": [f"c{i}" for i in range(12)]})
    X = np.column_stack([np.ones(12), np.arange(12.0)])
    T = np.array([1.0] + [0.0] * 11)  # one treated customer: e^-1 of replicates lose the arm
    Y = np.linspace(5, 8, 12)
    draws, _, nc, lost = effects._cluster_bootstrap(units, X, T, Y, False, 0.01, 200, 1)
    assert nc == 12 and 40 < lost["lost_arm"] < 100
    assert np.isnan(draws).all(axis=1).sum() == lost["lost_arm"] + lost["nonfinite"]
    with pytest.raises(cx.InputError, match=r"effects\.bootstrap: only \d+ of 200 .*lower min"):
        effects._check_replicates(200, lost, nc, 0.9)
    assert effects._check_replicates(200, lost, nc, 0.5) == 200 - lost["lost_arm"]


def test_result_states_replicates_used_and_refuses_too_few(world, monkeypatch):
    res = follow_up_effect(world, bootstrap=10, seed=3)
    assert res.replicates_used == 10 and res.replicates_lost == {"lost_arm": 0, "nonfinite": 0}
    assert res.summary().facts["bootstrap replicates used"] == 10
    assert not any("bootstrap replicates are in" in n for n in res.notes)
    real, calls = effects._estimate, []

    def nan_in_every_other_replicate(X, T, Y, w, *a):
        out = real(X, T, Y, w, *a)
        calls.append(1)
        bad = len(calls) % 2 == 0  # call 1 is the full sample
        return (out[0] * np.nan if bad else out[0], *out[1:])

    monkeypatch.setattr(effects, "_estimate", nan_in_every_other_replicate)
    with pytest.raises(cx.InputError, match=r"only 5 of 10 .* 5 gave NaN"):
        follow_up_effect(world, bootstrap=10, seed=3)
    calls.clear()
    res = follow_up_effect(world, bootstrap=10, seed=3, min_used_share=0.5)
    assert res.replicates_used == 5 and res.replicates_lost["nonfinite"] == 5
    assert "5 of 10 bootstrap replicates are in the intervals (0 lost" in " ".join(res.notes)


def test_one_replicate_gives_no_interval(world):
    """bootstrap=1 used to print an interval of width 0 that could exclude its own estimate."""
    res = follow_up_effect(world, bootstrap=1)
    assert res.table["ci_low"].isna().all() and res.table["se"].isna().all()
    assert "No interval is available" in " ".join(res.findings())


# ------------------------------------------------------------------ regularisation, aliasing
def test_aliased_columns_in_all_units_and_within_an_arm():
    Xdf = pd.DataFrame({"a": [0.0, 1, 2, 3, 4, 5], "b": [1.0, 1, 1, 0, 2, 5]})
    T = np.array([1, 1, 1, 0, 0, 0])
    assert effects.aliased_columns(Xdf, T) == {"treated": ("b",)}  # constant among treated
    Xdf["c"] = 2 * Xdf["a"] - Xdf["b"]
    out = effects.aliased_columns(Xdf, T)
    assert out["all"] == ("c",) and out["treated"] == ("b", "c")


def test_rank_deficient_adjustment_is_warned_and_regularisation_stated(world, monkeypatch):
    real = effects.design

    def with_copy(df, covs, table="units"):
        X = real(df, covs, table)
        return X.assign(tenure_copy=2 * X["tenure_days_at_event"] + 1)

    monkeypatch.setattr(effects, "design", with_copy)
    with pytest.warns(cx.DataQualityWarning, match=r"rank-deficient.*minimum-norm.*\(0\.000001\)"):
        res = follow_up_effect(world, bootstrap=0)
    assert "tenure_copy" in res.aliased["all"]
    assert res.regularisation["propensity_ridge"] == effects.LOGIT_RIDGE
    assert res.regularisation["outcome_model"].startswith("OLS, minimum-norm")
    assert "ridge 0.000001" in res.summary().as_text()


def test_full_rank_adjustment_gives_no_warning_and_a_complete_case_caveat(world):
    with warnings.catch_warnings():
        warnings.simplefilter("error", cx.DataQualityWarning)
        res = follow_up_effect(world, bootstrap=0)
    assert res.aliased == {}
    n1, n0 = res.table["n_treated"][0], res.table["n_control"][0]
    assert res.eligible["treated"] >= n1 and res.eligible["control"] > n0
    note = next(n for n in res.notes if "complete cases" in n)
    assert f"{n1:,} of {res.eligible['treated']:,} followed-up events" in note


def test_no_ridge_unless_a_fit_fails(world):
    """The logistic fits are plain maximum likelihood (statsmodels' Logit on the same design)
    unless the unpenalised fit fails; the summary says which."""
    import statsmodels.api as sm

    res = follow_up_effect(world, outcome="churn_within", bootstrap=0)
    reg = res.regularisation
    assert reg["propensity_ridge"] == 0 and reg["outcome_ridge"] == 0 and not reg["ridge_needed"]
    assert reg["outcome_model"] == "logistic" and "no ridge" in res.summary().as_text()
    u = res.units
    X = np.column_stack([np.ones(len(u)), effects.design(u, list(res.covariates)).to_numpy(float)])
    ps = sm.Logit(u["treated"].to_numpy(float), X).fit(method="newton", disp=0)
    np.testing.assert_allclose(res.propensity, np.clip(ps.predict(X), 0.01, 0.99), rtol=1e-10)


def test_separation_gets_the_ridge_and_says_so(world, monkeypatch):
    real = effects.design

    def with_separator(df, covs, table="units"):
        return real(df, covs, table).assign(separator=df["treated"].to_numpy(float))

    monkeypatch.setattr(effects, "design", with_separator)
    with pytest.warns(cx.DataQualityWarning, match=r"propensity model's unpenalised .*separate"):
        res = follow_up_effect(world, bootstrap=0)
    assert res.regularisation["ridge_needed"] == {"propensity": "separation"}
    assert res.regularisation["propensity_ridge"] == effects.LOGIT_RIDGE
    assert any("ridge of 0.000001" in n for n in res.findings().caveats)
