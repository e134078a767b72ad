"""Survival-based churn (issue 4)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from lifelines.datasets import load_rossi

import cxmodels as cx
from cxmodels.churn import (
    evaluate,
    fit_churn,
    hazard_ratio_sentence,
    kaplan_meier,
    risk_by,
    split,
    survival_table,
)

ROSSI = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]


def test_rossi_matches_r_survival():
    # R: coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio, data = Rossi)
    # (Fox & Weisberg, "Cox proportional-hazards regression for survival data in R", 2018)
    res = fit_churn(load_rossi(), ROSSI, duration_col="week", event_col="arrest")
    coef = res.table.set_index("covariate")["coef"]
    expected = {
        "fin": -0.379,
        "age": -0.057,
        "race": 0.314,
        "wexp": -0.150,
        "mar": -0.434,
        "paro": -0.085,
        "prio": 0.091,
    }
    for k, v in expected.items():
        assert coef[k] == pytest.approx(v, abs=6e-4), k
    assert res.concordance == pytest.approx(0.64, abs=5e-3)
    ph = res.check_assumptions()
    assert set(ph["covariate"]) == {*ROSSI, "GLOBAL"} and "advice" in ph
    # age and wexp are the textbook non-proportional covariates in this data
    assert ph.set_index("covariate").loc["age", "violated"]


@pytest.fixture(scope="module")
def onboarding(big_world):
    return survival_table(big_world, baseline_within_days=60)


def test_true_log_hazard_ratios_inside_intervals(onboarding, big_world):
    res = fit_churn(onboarding, ["overall_sat", "loyalty_member", "followed_up", "segment"])
    t = res.table.set_index("covariate")
    for key, beta in big_world.truth["log_hazard_ratios"].items():
        name = key.replace("[", ": ").rstrip("]")  # truth.json names levels segment[premium]
        assert t.loc[name, "coef_low"] <= beta <= t.loc[name, "coef_high"], (name, beta)
    assert "segment: premium" in t.index  # consumer is the named reference
    s = hazard_ratio_sentence(res, "overall_sat", "monthly")
    assert s.startswith(
        "each extra point of overall satisfaction lowers the monthly churn hazard by"
    )
    f = res.findings().findings
    assert any(x.startswith("Customers with club membership churn") for x in f), f
    assert any("segment premium churn" in x and "segment consumer" in x for x in f), f
    assert not any("loyalty_member" in x or "e-" in x for x in f), f


def test_km_median_of_exponential_case():
    rng = np.random.default_rng(0)
    rate = 0.05
    T = rng.exponential(1 / rate, 3000)
    C = rng.uniform(0, 60, 3000)
    df = pd.DataFrame({"duration": np.minimum(T, C), "event": (T <= C).astype(int)})
    km = kaplan_meier(df)
    m = km.medians.iloc[0]
    assert m["ci_low"] <= np.log(2) / rate <= m["ci_high"]
    at = km.survival_at([12], "all").iloc[0]
    assert at["ci_low"] <= np.exp(-rate * 12) <= at["ci_high"]


def test_km_by_group_and_logrank(onboarding):
    km = kaplan_meier(onboarding, by="nps_group")
    assert set(km.medians["group"]) == {"promoter", "passive", "detractor"}
    assert km.logrank["p_value"][0] < 1e-6
    r = km.survival_at([3, 6, 12, 24]).pivot(index="time", columns="group", values="survival")
    assert (r["promoter"] > r["detractor"]).all()


def test_aft_models_and_weibull_hazard_ratio(onboarding):
    cox = fit_churn(onboarding, ["overall_sat", "loyalty_member"])
    for m in ("weibull", "lognormal", "loglogistic"):
        res = fit_churn(onboarding, ["overall_sat", "loyalty_member"], model=m)
        assert np.isfinite(res.aic) and 0.5 < res.concordance < 1
        assert (
            res.table.set_index("covariate").loc["overall_sat", "time_ratio"] > 1
        )  # satisfied stay longer
    w = fit_churn(onboarding, ["overall_sat", "loyalty_member"], model="weibull").table.set_index(
        "covariate"
    )
    assert w.loc["overall_sat", "hr"] == pytest.approx(
        cox.table.set_index("covariate").loc["overall_sat", "hr"], abs=0.01
    )


def test_time_varying_and_strata(big_world):
    tv = survival_table(big_world, time_varying=True)
    assert {"start", "stop", "event", "customer_id"} <= set(tv.columns)
    assert (tv["stop"] > tv["start"]).all()
    assert tv.groupby("customer_id")["event"].sum().max() == 1
    res = fit_churn(tv, ["overall_sat", "loyalty_member"], time_varying=True)
    assert res.table.set_index("covariate").loc["overall_sat", "coef"] < 0
    st = survival_table(big_world)
    s = fit_churn(st, ["overall_sat", "loyalty_member"], strata=["segment"])
    assert s.strata == ("segment",) and len(s.table) == 2


def test_predictions_and_evaluation(onboarding):
    train, test = split(onboarding, test_size=0.3, seed=1)
    assert not set(train["customer_id"]) & set(test["customer_id"])
    res = fit_churn(train, ["overall_sat", "loyalty_member", "followed_up", "segment"])
    risk = res.predict_risk(12, test)
    assert risk.between(0, 1).all() and len(risk) == len(test)
    rmst = res.expected_remaining_tenure(24, test)
    assert rmst.between(0, 24).all()
    assert np.corrcoef(risk, rmst)[0, 1] < -0.9
    ev = evaluate(res, test, 12)
    assert 0.55 < ev.concordance < 0.75 and ev.brier < ev.brier_null
    cal = ev.table
    assert np.abs(cal["predicted"] - cal["observed"]).mean() < 0.03
    rb = risk_by(res, test, 12, "segment")
    assert list(rb.columns) == ["segment", "mean_risk", "median_risk", "n"]


# ------------------------------------------------------------------ bad input
def _df():
    return pd.DataFrame(
        {
            "duration": [1.0, 2, 3, 4, 5, 6],
            "event": [1, 0, 1, 0, 1, 1],
            "x": [1.0, 2, 3, 1, 2, 3],
            "svc": ["no", "yes", "none", "no", "yes", "none"],
        }
    )


def test_bad_durations_events_and_covariates():
    df = _df()
    with pytest.raises(cx.InputError, match=r"duration: durations that are negative.*row 1"):
        fit_churn(df.assign(duration=[1.0, -1, 3, 4, 5, 6]), ["x"])
    with pytest.raises(cx.InputError, match=r"duration: durations that are negative.*row 2"):
        fit_churn(df.assign(duration=[1.0, 2, np.nan, 4, 5, 6]), ["x"])
    with pytest.raises(cx.InputError, match="zero durations"):
        fit_churn(df.assign(duration=[1.0, 0, 3, 4, 5, 6]), ["x"], model="loglogistic")
    fit_churn(df.assign(duration=[1.0, 0, 3, 4, 5, 6]), ["x"])  # accepted, as R coxph
    with pytest.raises(cx.InputError, match="event indicator is not 0/1"):
        fit_churn(df.assign(event=[1, 2, 0, 0, 1, 1]), ["x"])
    with pytest.raises(cx.InputError, match="no events"):
        fit_churn(df.assign(event=0), ["x"])
    with pytest.raises(cx.InputError, match="zzz: column"):
        fit_churn(df, ["zzz"])


def test_collinear_levels_named_before_lifelines():
    # the IBM Telco trap: a "No internet service" level repeated across service columns
    df = _df().assign(svc2=lambda d: d["svc"])
    with pytest.raises(cx.InputError, match=r"svc2: none.*collinear"):
        fit_churn(df, ["svc", "svc2"])
    with pytest.raises(cx.InputError, match="constant"):
        fit_churn(df.assign(k=1.0), ["x", "k"])


def test_survival_table_rows(world):
    st = survival_table(world, unit="days")
    assert (st["duration"] >= 0).all() and set(st["event"]) <= {0, 1}
    assert st["customer_id"].is_unique
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(cx.InputError, match="unit: unknown value 'fortnights'"):
            survival_table(world, unit="fortnights")


def test_concordance_matches_lifelines_with_ties():
    from lifelines.utils import concordance_index as lifelines_c

    from cxmodels.churn import concordance_index

    rng = np.random.default_rng(5)
    for n, k in [(40, 4), (600, 30), (2000, 2000)]:
        T = rng.integers(1, k + 1, n).astype(float)
        P = rng.integers(0, 8, n).astype(float)
        E = rng.random(n) < 0.6
        assert concordance_index(T, P, E) == pytest.approx(lifelines_c(T, P, E), abs=1e-12)


def test_stratify_violations_refits_on_categorical():
    rng = np.random.default_rng(3)
    n = 4000
    g = rng.integers(0, 2, n)
    x = rng.normal(size=n)
    # group 1 has a Weibull shape of 3, group 0 of 0.7: hazards cross, PH fails for g
    shape = np.where(g == 1, 3.0, 0.7)
    T = 10 * (rng.exponential(size=n) / np.exp(0.5 * x)) ** (1 / shape)
    C = rng.uniform(0, 20, n)
    df = pd.DataFrame(
        {
            "duration": np.minimum(T, C),
            "event": (T <= C).astype(int),
            "x": x,
            "g": np.where(g == 1, "b", "a"),
        }
    )
    fit = fit_churn(df, ["x", "g"])
    assert fit.check_assumptions().set_index("covariate").loc["g", "violated"]
    new, msg = fit.stratify_violations()
    assert new.strata == ("g",) and list(new.table["covariate"]) == ["x"]
    assert "refitted" in msg and new.table["coef"][0] == pytest.approx(0.5, abs=0.1)


def test_survival_table_from_wave_and_as_of(world):
    waves = sorted(world.responses["wave"].unique())
    later = survival_table(world, from_wave=waves[4])
    assert (
        pd.to_datetime(later["origin_date"])
        >= world.responses.loc[world.responses["wave"] == waves[4], "survey_date"].min()
    ).all()
    early_end = pd.Timestamp("2024-06-30")
    st = survival_table(world, as_of=early_end, unit="days")
    cens = st[st["event"] == 0]
    assert (
        pd.to_datetime(cens["origin_date"]) + pd.to_timedelta(cens["duration"], unit="D")
        == early_end
    ).all()
    assert st["event"].mean() < survival_table(world)["event"].mean()


@pytest.mark.parametrize("scale", [1.0, 30.4375])
def test_cox_newton_raphson_equals_lifelines_with_heavy_ties(scale):
    # cxmodels' own vectorized Efron Newton-Raphson against lifelines' CoxPHFitter (batch and
    # single modes), on daily and monthly durations (many ties), with strata
    from lifelines import CoxPHFitter

    rng = np.random.default_rng(7)
    n = 5000
    X = rng.normal(size=(n, 3))
    T = np.ceil(400 * rng.exponential(size=n) / np.exp(X @ [0.4, -0.2, 0.1]) / scale)
    E = (rng.random(n) < 0.7).astype(int)
    df = pd.DataFrame(X, columns=["a", "b", "c"]).assign(
        duration=T, event=E, s=rng.integers(0, 2, n)
    )
    for strata in (None, ["s"]):
        ours = fit_churn(df, ["a", "b", "c"], strata=strata)
        for batch in (True, False):
            ref = CoxPHFitter().fit(
                df if strata else df.drop(columns="s"),
                "duration",
                "event",
                strata=strata,
                batch_mode=batch,
                fit_options={"precision": 1e-14, "r_precision": 1e-14},
            )
            np.testing.assert_allclose(ours.table["coef"], ref.params_, atol=1e-9)
            np.testing.assert_allclose(ours.table["se"], ref.standard_errors_, rtol=1e-7)
            assert ours.loglik == pytest.approx(ref.log_likelihood_, rel=1e-12)


def test_risk_set_sums_against_brute_force():
    # the per-group sums behind the Cox fit: groups without churners or without censored rows,
    # strata, a last group without churners (reduceat's empty-segment quirk)
    from cxmodels.churn import _cox

    rng = np.random.default_rng(1)
    for trial in range(200):
        n = int(rng.integers(1, 40))
        T = rng.integers(0, 5, n).astype(float)
        E = (rng.random(n) < rng.random()).astype(int)
        s = rng.integers(0, 2, n) if trial % 2 else None
        rs = _cox.risk_sets(T, E, s)
        es = E[rs.order].astype(float)
        v = rng.normal(size=(n, 3))
        total, churn = _cox._group_parts(v, _cox._segments(rs, es))
        g = rs.group
        for k in range(len(rs.time)):  # brute force, group by group
            np.testing.assert_allclose(total[k], v[g == k].sum(0), atol=1e-12)
            np.testing.assert_allclose(churn[k], v[(g == k) & (es == 1)].sum(0), atol=1e-12)


def test_every_option_validated_before_work(onboarding):
    st = onboarding
    covs = ["overall_sat"]
    cases = [
        (dict(model="coxx"), r"model: unknown value 'coxx' \(did you mean 'cox'\?\)"),
        (dict(penalizer=-1.0), "penalizer: got -1.0"),
        (dict(alpha=1.5), "alpha: got 1.5"),
        (dict(unit="fortnight"), "unit: unknown value"),
        (dict(missing="omit"), "missing: unknown value"),
        (dict(model="weibull", strata="segment"), "strata are not supported for the weibull"),
        (dict(model="weibull", time_varying=True), "time-varying covariates need model='cox'"),
    ]
    for kw, msg in cases:
        with pytest.raises(cx.InputError, match=msg):
            fit_churn(st, covs, **kw)
    fit = fit_churn(st, covs)
    top = st["duration"].max()
    with pytest.raises(cx.InputError, match="horizon: .* past the longest follow-up"):
        fit.predict_risk(top + 1)
    with pytest.raises(cx.InputError, match="horizon: got -1"):
        fit.expected_remaining_tenure(-1)
    train, test = split(st, seed=2)
    with pytest.raises(cx.InputError, match="past the longest follow-up"):
        evaluate(fit_churn(train, covs), test, top + 5)
    for bad in (0.0, 1.0, -0.2):
        with pytest.raises(cx.InputError, match="test_size"):
            split(st, test_size=bad)
    with pytest.raises(cx.InputError, match="p_threshold"):
        fit.check_assumptions(p_threshold=2)
    with pytest.raises(cx.InputError, match="transform: unknown value 'log'"):
        fit.ph_test("log")


def test_missing_covariates_dropped_and_counted(onboarding):
    st = onboarding.copy()
    st.loc[st.index[:7], "overall_sat"] = np.nan
    fit = fit_churn(st, ["overall_sat", "segment"])
    assert fit.n == len(st) - 7 and fit.design.missing["overall_sat"] == 7
    assert "7 rows with a missing covariate dropped" in fit.notes[0]
    assert fit.notes[0] in fit.findings().caveats
    with pytest.raises(cx.InputError, match="missing covariate values"):
        fit_churn(st, ["overall_sat"], missing="error")


def test_ipcw_brier_hand_computation_and_scikit_survival():
    from cxmodels.churn import brier_ipcw

    # by hand: censoring KM with churn before censoring at ties: G(1) = 1, G(2) = 1 - 1/3,
    # G(3) = 2/3 * 1/2; at h = 2.5 the churners at 1 and 2 weigh 1/G(t-) = 1/G(1) = 1 (the
    # censoring at 2 comes after the churn at 2), the subjects at 3 and 4 weigh 1/G(2.5) = 3/2:
    # (0.81 + 0.64 + 1.5 * 0.16 + 1.5 * 0.25) / 5 = 0.413
    T = np.array([1.0, 2, 2, 3, 4])
    E = np.array([1, 1, 0, 0, 1])
    S = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    assert brier_ipcw(T, E, S, 2.5) == pytest.approx(0.413, abs=1e-12)
    sksurv = pytest.importorskip("sksurv.metrics")  # GPL: a test-only oracle, never in src/
    from sksurv.util import Surv

    rng = np.random.default_rng(3)
    n = 500
    E = (rng.random(n) < 0.6).astype(int)
    T = rng.integers(1, 30, n) + 0.5 * (E == 0)  # churn-churn ties, no churn-censoring ties
    S = rng.uniform(0.2, 0.9, n)
    y = Surv.from_arrays(E.astype(bool), T)
    for h in (5, 10.0, 17):
        ref = sksurv.brier_score(y, y, S, h)[1][0]  # scikit-survival 0.28 brier_score
        assert brier_ipcw(T, E, S, h) == pytest.approx(ref, abs=1e-14)
    # with churn and censoring on the same day scikit-survival takes G(t), pec and Graf G(t-)


def test_stratified_concordance_counts_pairs_within_strata():
    from lifelines.utils import concordance_index as lifelines_c

    from cxmodels.churn import concordance_index

    rng = np.random.default_rng(11)
    n = 900
    T = rng.integers(1, 60, n).astype(float)
    P = rng.normal(size=n) + 0.02 * T
    E = rng.random(n) < 0.6
    g = rng.integers(0, 3, n)
    pairs = {}
    for k in range(3):  # lifelines on each stratum, pooled by its comparable pairs
        sel = g == k
        from lifelines.utils.concordance import _concordance_summary_statistics

        c, t, p = _concordance_summary_statistics(T[sel], P[sel], E[sel])
        pairs[k] = (c, t, p)
        assert concordance_index(T[sel], P[sel], E[sel]) == pytest.approx(
            lifelines_c(T[sel], P[sel], E[sel]), abs=1e-12
        )
    c, t, p = (sum(v[i] for v in pairs.values()) for i in range(3))
    assert concordance_index(T, P, E, strata=g) == pytest.approx((c + 0.5 * t) / p, abs=1e-12)
    assert concordance_index(T, P, E, strata=g) != pytest.approx(concordance_index(T, P, E))
