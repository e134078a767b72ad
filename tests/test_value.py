"""The value of loyalty: BTYD models against published numbers, closed forms against numerical
integration, the synthetic truth, the money questions and bad input."""

from __future__ import annotations

import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats
from scipy.special import betaln, gammaln

import cxmodels as cx
from cxmodels._validation import DataQualityWarning
from cxmodels.value import bgnbd, gammagamma, paretonbd
from cxmodels.value._mle import ConvergenceWarning
from cxmodels.value.truth import true_programme_gain

from .reference import cdnow


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def cd_summary():
    return cdnow.summary()


@pytest.fixture(scope="module")
def cd_bgnbd(cd_summary):
    return cx.fit_bgnbd(cd_summary)


@pytest.fixture(scope="module")
def cd_pnbd(cd_summary):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        return cx.fit_pareto_nbd(cd_summary)


@pytest.fixture(scope="module")
def cd_gg():
    return cx.fit_gamma_gamma(cdnow.summary_with_value())


@pytest.fixture(scope="module")
def vworld():
    """The synthetic world: ``cx.generate`` makes BG/NBD purchases with Gamma-Gamma amounts."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cx.validate(cx.generate(6000, seed=5, purchases=True))


@pytest.fixture(scope="module")
def vmodel(vworld):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return cx.value.fit_value_model(vworld)


def _params(table):
    return table.set_index("parameter")["estimate"]


# ------------------------------------------------------- published numbers: CDNOW and sBG
@pytest.mark.reference("CDNOW calibration summary of Fader, Hardie & Lee (2005)")
def test_rfm_summary_reproduces_the_published_cdnow_summary(cd_summary):
    rfm = cx.rfm_summary(
        cdnow.transactions(),
        calibration_end=cdnow.CALIBRATION_END,
        observation_end=cdnow.OBSERVATION_END,
    )
    # cdnow_customers_summary.csv (FHL 2005 calibration summary, rounded to 2 decimals)
    assert len(rfm) == 2357
    assert (rfm["frequency"].to_numpy() == cd_summary["frequency"].to_numpy()).all()
    assert np.abs(rfm["recency"].to_numpy() - cd_summary["recency"].to_numpy()).max() < 0.0051
    assert np.abs(rfm["T"].to_numpy() - cd_summary["T"].to_numpy()).max() < 0.0051
    assert (rfm["duration_holdout"] == 39).all()
    # mean repeat value as in cdnow_customers_summary_with_transactions.csv (2 decimals)
    ref = cdnow.summary_with_value()["monetary_value"].to_numpy()
    mine = rfm["monetary_value"].to_numpy()
    rep = rfm["frequency"].to_numpy() > 0
    assert rep.sum() == 946
    assert np.abs(mine[rep] - ref[rep]).max() < 0.0051


def test_bgnbd_matches_fader_hardie_lee_2005(cd_bgnbd):
    # FHL (2005) "Counting your customers the easy way", CDNOW: r = 0.243, alpha = 4.414,
    # a = 0.793, b = 2.426, LL = -9582.4 (3 decimals / 1 decimal as published)
    p = _params(cd_bgnbd.table)
    for k, v in {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}.items():
        assert p[k] == pytest.approx(v, abs=6e-4), k
    assert cd_bgnbd.loglik == pytest.approx(-9582.4, abs=0.05)
    assert cd_bgnbd.converged
    assert (cd_bgnbd.table["se"] > 0).all()
    assert (cd_bgnbd.table["ci_low"] < p.to_numpy()).all()


def test_pareto_nbd_matches_published(cd_pnbd):
    # Fader & Hardie (2005) Pareto/NBD note / FHL 2005 comparison, CDNOW: r = 0.553,
    # alpha = 10.578, s = 0.606, beta = 11.669, LL = -9595.0. beta is weakly identified
    # (se about 6), so its third decimal differs by 1 between optimisers.
    p = _params(cd_pnbd.table)
    for k, v in {"r": 0.553, "alpha": 10.578, "s": 0.606}.items():
        assert p[k] == pytest.approx(v, abs=6e-4), k
    assert p["beta"] == pytest.approx(11.669, abs=2e-3)
    assert cd_pnbd.loglik == pytest.approx(-9595.0, abs=0.05)


def test_gamma_gamma_matches_fader_hardie(cd_gg):
    # Fader & Hardie (2013) "The Gamma-Gamma model of monetary value" (946 CDNOW repeat
    # buyers): p = 6.25, q = 3.74, gamma = 15.44 (2 decimals; Excel solver)
    p = _params(cd_gg.table)
    assert cd_gg.n_customers == 946
    assert p["p"] == pytest.approx(6.25, abs=0.006)
    assert p["q"] == pytest.approx(3.74, abs=0.006)
    assert p["gamma"] == pytest.approx(15.44, abs=0.01)
    ind = cd_gg.independence.iloc[0]
    assert ind["n"] == 946 and ind["ci_low"] < ind["correlation"] < ind["ci_high"]
    r = stats.pearsonr(
        cdnow.summary_with_value().query("frequency > 0")["frequency"],
        cdnow.summary_with_value().query("frequency > 0")["monetary_value"],
    )
    assert ind["correlation"] == pytest.approx(r.statistic, rel=1e-12)


def test_sbg_matches_fader_hardie_2007():
    # Fader & Hardie (2007) "How to project customer retention", regular cohort:
    # alpha = 0.704, beta = 1.182
    res = cx.fit_sbg([1000, 631, 468, 382, 326, 289, 262, 241])
    p = res.params
    assert p["alpha"] == pytest.approx(0.704, abs=6e-4)
    assert p["beta"] == pytest.approx(1.182, abs=6e-4)
    ret = res.retention(12)
    # retention r_t = (beta + t - 1) / (alpha + beta + t - 1) and survivors = 1000 S(t)
    t = np.arange(1, 13)
    assert np.allclose(
        ret["retention"].iloc[1:], (p["beta"] + t - 1) / (p["alpha"] + p["beta"] + t - 1)
    )
    assert np.allclose(ret["survival"].iloc[1:].to_numpy(), np.cumprod(ret["retention"].iloc[1:]))
    assert ret["observed"].iloc[7] == 241 and np.isnan(ret["observed"].iloc[8])


def test_sbg_derl_and_del_equal_their_direct_sums():
    res = cx.fit_sbg([1000, 631, 468, 382, 326, 289, 262, 241])
    a, b, d = res.params["alpha"], res.params["beta"], 0.1
    _, s = cx.value.sbg.churn_probabilities(a, b, 20000)
    disc = (1 + d) ** -np.arange(s.size)
    assert res.expected_lifetime(d) == pytest.approx(np.sum(s * disc), rel=1e-9)
    for n in (0, 3):  # n renewals so far: the next payment (period n + 1) undiscounted
        direct = np.sum(s[n + 1 :] * disc[: s.size - n - 1]) / s[n]
        assert res.derl(d, renewals=n) == pytest.approx(direct, rel=1e-9)


def test_sbg_from_a_customer_level_survival_table():
    # 1,000 customers from the cohort above: lost in period t = drop in survivors, 241 censored
    surv = np.array([1000, 631, 468, 382, 326, 289, 262, 241])
    lost = -np.diff(surv)
    d = np.concatenate([np.repeat(np.arange(1, 8) * 12 - 6, lost), np.full(241, 7 * 12 + 0.5)])
    e = np.r_[np.ones(lost.sum()), np.zeros(241)]
    res = cx.fit_sbg(table=pd.DataFrame({"duration": d, "event": e}), period=12)
    assert res.params["alpha"] == pytest.approx(0.704, abs=6e-4)
    assert res.params["beta"] == pytest.approx(1.182, abs=6e-4)


# ------------------------------------------ closed forms against independent integration
# The closed forms integrate the heterogeneity analytically (Gauss hypergeometric functions);
# here the purchase-rate integral is done by hand (Gamma conjugacy) and the dropout integral by
# adaptive quadrature (scipy.integrate.quad), as in the derivations of FHL (2005) and
# Schmittlein et al. (1987).
CUSTOMERS = [(0, 0.0, 38.86), (2, 30.43, 38.86), (7, 35.0, 38.0), (3, 10.0, 38.0)]


def _nbd(r, al, x, tau):
    """int lambda^x exp(-lambda tau) Gamma(lambda; r, al) d lambda."""
    return np.exp(gammaln(r + x) - gammaln(r) + r * np.log(al) - (r + x) * np.log(al + tau))


def _quad(f, lo=0.0, hi=1.0, **kw):
    return integrate.quad(f, lo, hi, epsabs=0, epsrel=1e-10, limit=500, **kw)[0]


def _slope(f, p, h=1e-7):
    """(f(0) - f(p)) / p, its limit -f'(0) at p = 0 (quadrature may evaluate the endpoint)."""
    return (f(0.0) - f(p)) / p if p > h else (f(0.0) - f(h)) / h


@pytest.mark.parametrize("x, tx, T", CUSTOMERS)
def test_bgnbd_conditional_expectation_and_p_alive_by_integration(cd_bgnbd, x, tx, T):
    r, al, a, b = (cd_bgnbd.params[k] for k in ("r", "alpha", "a", "b"))
    t = 39.0
    w = {"weight": "alg", "wvar": (a - 1, b - 1)}  # Beta(a, b) density up to B(a, b)
    alive = _quad(lambda p: (1 - p) ** x * _nbd(r, al, x, T), **w)
    dead = _quad(lambda p: p * (1 - p) ** (x - 1) * _nbd(r, al, x, tx), **w) if x else 0.0
    ey = _quad(lambda p: (1 - p) ** x * _slope(lambda u: _nbd(r, al, x, T + u * t), p), **w)
    rfm = pd.DataFrame({"frequency": [x], "recency": [tx], "T": [T]})
    assert cd_bgnbd.prob_alive(rfm).iloc[0] == pytest.approx(alive / (alive + dead), rel=1e-7)
    assert cd_bgnbd.predict_purchases(t, rfm).iloc[0] == pytest.approx(
        ey / (alive + dead), rel=1e-7
    )
    ll = bgnbd.loglik_terms(r, al, a, b, np.array([x]), np.array([tx]), np.array([T]), False)[0]
    assert ll[0] == pytest.approx(np.log((alive + dead) / np.exp(betaln(a, b))), abs=1e-8)


@pytest.mark.parametrize("x, tx, T", CUSTOMERS)
def test_pareto_nbd_conditional_expectation_and_p_alive_by_integration(cd_pnbd, x, tx, T):
    r, al, s, be = (cd_pnbd.params[k] for k in ("r", "alpha", "s", "beta"))
    t = 39.0
    alive = _nbd(r, al, x, T) * (be / (be + T)) ** s
    # death at tau in (t_x, T]: int mu exp(-mu tau) Gamma(mu; s, beta) d mu = s beta^s / (beta + tau)^(s+1)
    dead = _quad(lambda tau: _nbd(r, al, x, tau) * s * be**s / (be + tau) ** (s + 1), tx, T)
    h = stats.gamma(s, scale=1 / be).pdf
    mu_part = _quad(lambda mu: (1 - np.exp(-mu * t)) / mu * np.exp(-mu * T) * h(mu), 0, np.inf)
    ey = _nbd(r, al, x + 1, T) * mu_part  # E[lambda / mu (1 - e^{-mu t}); alive]
    rfm = pd.DataFrame({"frequency": [x], "recency": [tx], "T": [T]})
    assert cd_pnbd.prob_alive(rfm).iloc[0] == pytest.approx(alive / (alive + dead), rel=1e-7)
    assert cd_pnbd.predict_purchases(t, rfm).iloc[0] == pytest.approx(ey / (alive + dead), rel=1e-6)
    ll = paretonbd.loglik(r, al, s, be, np.array([x]), np.array([tx]), np.array([T]))[0]
    assert ll == pytest.approx(np.log(alive + dead), abs=1e-8)


def test_gamma_gamma_expected_spend_by_integration(cd_gg):
    p, q, g = (cd_gg.params[k] for k in ("p", "q", "gamma"))
    x, zbar = 3.0, 42.0

    def post(nu):  # prior of nu times the density of the total spend x * zbar given nu
        return stats.gamma.pdf(nu, q, scale=1 / g) * stats.gamma.pdf(x * zbar, p * x, scale=1 / nu)

    num = _quad(lambda nu: p / nu * post(nu), 0, np.inf)
    den = _quad(post, 0, np.inf)
    rfm = pd.DataFrame({"frequency": [x, 0.0], "recency": [5.0, 0.0], "T": [9.0, 9.0],
                        "monetary_value": [zbar, np.nan]})  # fmt: skip
    es = cd_gg.expected_spend(rfm)
    assert es.iloc[0] == pytest.approx(num / den, rel=1e-7)
    assert es.iloc[1] == pytest.approx(cd_gg.population_mean, rel=1e-12)


def test_expected_purchases_new_customer_by_integration(cd_bgnbd, cd_pnbd):
    r, al, a, b = (cd_bgnbd.params[k] for k in ("r", "alpha", "a", "b"))
    t = 20.0
    w = {"weight": "alg", "wvar": (a - 1, b - 1)}
    ref = _quad(lambda p: _slope(lambda u: (al / (al + u * t)) ** r, p), **w) / np.exp(betaln(a, b))
    assert bgnbd.expected_purchases_new(t, (r, al, a, b)) == pytest.approx(ref, rel=1e-7)
    r, al, s, be = (cd_pnbd.params[k] for k in ("r", "alpha", "s", "beta"))
    h = stats.gamma(s, scale=1 / be).pdf
    ref = r / al * _quad(lambda mu: (1 - np.exp(-mu * t)) / mu * h(mu), 0, np.inf)
    assert paretonbd.expected_purchases_new(t, (r, al, s, be)) == pytest.approx(ref, rel=1e-7)


def test_analytic_gradients_match_finite_differences(cd_summary):
    rng = np.random.default_rng(1)
    x, tx, T = (cd_summary[k].to_numpy(float) for k in ("frequency", "recency", "T"))
    Z = rng.normal(size=(x.size, 2))
    ux, inv = np.unique(x, return_inverse=True)
    th = np.array([-1.4, 1.5, -0.2, 0.9, 0.1, -0.2, 0.3, 0.05])
    f = lambda v: bgnbd._negll(v, x, tx, T, Z, Z, ux, inv)  # noqa: E731
    num = [(f(th + e)[0] - f(th - e)[0]) / 2e-6 for e in np.eye(th.size) * 1e-6]
    assert np.allclose(f(th)[1], num, rtol=1e-5, atol=1e-4)
    m = cdnow.summary_with_value().query("frequency > 0")
    xg, zg = m["frequency"].to_numpy(float), m["monetary_value"].to_numpy(float)
    th = np.array([1.5, 1.2, 2.5])
    g = lambda v: gammagamma._negll(v, xg, zg)  # noqa: E731
    num = [(g(th + e)[0] - g(th - e)[0]) / 2e-6 for e in np.eye(3) * 1e-6]
    assert np.allclose(g(th)[1], num, rtol=1e-5, atol=1e-4)


def test_clv_is_margin_times_spend_times_discounted_purchases(cd_bgnbd, cd_gg):
    rfm = cdnow.summary_with_value()
    res = cd_bgnbd.clv(52, discount_rate=0.1, margin=0.3, spend=cd_gg, rfm=rfm, steps=12)
    z = cd_gg.expected_spend(rfm).to_numpy()
    t = 52 * np.arange(1, 13) / 12
    ey = np.column_stack([cd_bgnbd.predict_purchases(v, rfm) for v in t])
    inc = np.diff(np.c_[np.zeros(len(rfm)), ey], axis=1)
    disc = 1.1 ** (-t / (365.25 / 7))
    assert np.allclose(res["clv"], 0.3 * z * (inc @ disc), rtol=1e-10)
    assert np.allclose(res["expected_purchases"], ey[:, -1])
    assert (res["discounted_purchases"] <= res["expected_purchases"] + 1e-12).all()


def test_covariate_model_without_effects_equals_the_plain_model(cd_summary, cd_bgnbd):
    rng = np.random.default_rng(0)
    df = cd_summary.assign(noise=rng.normal(size=len(cd_summary)))
    m = cx.fit_bgnbd(df, purchase_covariates="noise", dropout_covariates=["noise"])
    assert m.loglik >= cd_bgnbd.loglik - 1e-6  # nested models
    assert m.loglik - cd_bgnbd.loglik < 6  # noise adds little (chi2 with 2 df)


# ----------------------------------------------------------------- the synthetic truth
def test_synthetic_truth_inside_the_intervals(vworld):
    truth = vworld.truth["purchase_model"]
    cal = vworld.observation_end - pd.Timedelta(days=364)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rfm = cx.rfm_summary(vworld, calibration_end=cal)
        rfm = cx.value.add_covariates(rfm, vworld)
    cov = ["satisfaction", "loyalty_member", "followed_up"]
    m = cx.fit_bgnbd(rfm, purchase_covariates=cov, dropout_covariates=cov)
    t = m.table.set_index("parameter")
    want = {k: truth[k] for k in ("r", "alpha", "a", "b")}
    want |= {f"purchase:{k}": v for k, v in truth["purchase_covariates"].items()}
    want |= {f"dropout:{k}": v for k, v in truth["dropout_covariates"].items()}
    for k, v in want.items():
        assert t.loc[k, "ci_low"] < v < t.loc[k, "ci_high"], (k, v, t.loc[k].to_dict())
    # holdout purchases predicted within 5% in total
    tot = m.holdout_totals().iloc[0]
    assert abs(tot["error_pct"]) < 5
    ch = m.calibration_holdout()
    assert ch["n_customers"].sum() == len(rfm)
    tr = m.tracking(vworld)
    assert tr["cumulative_actual"].iloc[-1] == pytest.approx(
        rfm["frequency"].sum() + rfm["frequency_holdout"].sum()
    )
    assert abs(tr["cumulative_expected"].iloc[-1] / tr["cumulative_actual"].iloc[-1] - 1) < 0.05


def test_synthetic_spend_truth_inside_the_intervals(vworld):
    truth = vworld.truth["spend_model"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = cx.fit_gamma_gamma(cx.rfm_summary(vworld))
    t = g.table.set_index("parameter")
    for k in ("p", "q", "gamma"):
        assert t.loc[k, "ci_low"] < truth[k] < t.loc[k, "ci_high"], k
    assert abs(g.independence["correlation"].iloc[0]) < 0.1  # amounts independent by design


def test_pareto_nbd_with_covariates_finds_the_satisfaction_link(vworld):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rfm = cx.value.add_covariates(cx.rfm_summary(vworld), vworld)
    m = cx.fit_pareto_nbd(
        rfm, purchase_covariates="satisfaction", dropout_covariates="satisfaction"
    )
    t = m.table.set_index("parameter")
    assert t.loc["purchase:satisfaction", "ci_low"] > 0  # satisfied customers buy more often
    assert t.loc["dropout:satisfaction", "ci_low"] > 0  # ... and stay longer


def test_value_of_satisfaction_covers_the_true_gain(vworld, vmodel):
    res = cx.value_of_satisfaction(vworld, model=vmodel, horizon=104, bootstrap=40, seed=1)
    a = res.table.iloc[0]
    assert a["segment"] == "all" and a["n_customers"] == len(vmodel.rfm)
    assert 0 < a["ci_low"] < a["delta_clv"] < a["ci_high"]
    assert set(res.table["segment"]) == {"all", "consumer", "small_business", "premium"}
    # the true gain: the same what-if with the true parameters of the world
    tp, ts = vworld.truth["purchase_model"], vworld.truth["spend_model"]
    params = dict(vmodel.purchases.params)
    params.update({k: tp[k] for k in ("r", "alpha", "a", "b")})
    params.update({k: 0.0 for k in params if ":" in k})
    params.update({f"purchase:{k}": v for k, v in tp["purchase_covariates"].items()})
    params.update({f"dropout:{k}": v for k, v in tp["dropout_covariates"].items()})
    true_vm = replace(
        vmodel,
        purchases=replace(vmodel.purchases, params=params),
        spend=replace(vmodel.spend, params=dict(ts)),
    )
    true = cx.value_of_satisfaction(vworld, model=true_vm, horizon=104, bootstrap=0)
    assert a["ci_low"] < true.table.iloc[0]["delta_clv"] < a["ci_high"]
    one = cx.value_of_satisfaction(
        vworld, model=vmodel, horizon=104, bootstrap=0, segment="premium"
    )
    assert len(one.table) == 1 and one.table["segment"].iloc[0] == "premium"


def test_follow_up_value_through_satisfaction_multiplies_effect_and_value(vworld, vmodel):
    v = cx.value_of_satisfaction(vworld, model=vmodel, horizon=104, bootstrap=30)
    effect = pd.Series({"estimate": 0.5, "se": 0.05, "ci_low": 0.4, "ci_high": 0.6})
    res = cx.follow_up_value(vworld, cost_per_contact=0.5, effect=effect, value=v, horizon=104,
                             through="satisfaction")  # fmt: skip
    t = res.table.set_index("metric")
    gain = 0.5 * v.table.iloc[0]["delta_clv"]
    assert t.loc["clv_gain", "estimate"] == pytest.approx(gain)
    assert t.loc["break_even_cost", "estimate"] == pytest.approx(gain)
    assert t.loc["roi", "estimate"] == pytest.approx((gain - 0.5) / 0.5)
    assert t.loc["clv_gain", "ci_low"] < gain < t.loc["clv_gain", "ci_high"]
    n_fu = int((vworld.interactions["kind"] == "follow_up").sum())
    assert t.loc["n_units", "estimate"] == n_fu
    assert t.loc["net_value_total", "estimate"] == pytest.approx((gain - 0.5) * n_fu)
    assert "CLV" in " ".join(res.findings())
    eff = cx.follow_up_effect(vworld, bootstrap=10, seed=1)
    res = cx.follow_up_value(vworld, cost_per_contact=1.0, effect=eff, value=v, horizon=104,
                             through="satisfaction")  # fmt: skip
    assert res.row("effect_on_satisfaction")["estimate"] == pytest.approx(
        eff.estimate("aipw")["estimate"]
    )


def test_follow_up_value_through_purchases_covers_the_true_value(vworld):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = cx.follow_up_value(vworld, cost_per_contact=5.0, horizon=104, bootstrap=40, seed=2)
    t = res.table.set_index("metric")
    true = true_programme_gain(vworld, "followed_up", 104)
    g = t.loc["clv_gain"]
    assert g["ci_low"] < true < g["ci_high"], (true, g.to_dict())
    assert res.bootstrap == 40 and res.method == "purchases"
    # the direct effects on the two processes (the mediated part is small): true inside
    tp = vworld.truth["purchase_model"]
    for metric, key in (("purchase_rate_ratio", "purchase_covariates"),
                        ("dropout_b_ratio", "dropout_covariates")):  # fmt: skip
        lo, hi = t.loc[metric, ["ci_low", "ci_high"]]
        assert lo < np.exp(tp[key]["followed_up"]) < hi, metric
    assert t.loc["roi", "estimate"] == pytest.approx((g["estimate"] - 5) / 5)
    assert t.loc["break_even_cost", "estimate"] == g["estimate"]
    assert "not randomised" in " ".join(res.findings().caveats)
    with pytest.raises(cx.InputError, match="through"):
        cx.follow_up_value(vworld, cost_per_contact=1.0, through="retention")


def test_club_value_through_purchases_and_through_the_value_model(vworld, vmodel):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = cx.club_value(vworld, cost_per_member=1.0, horizon=104, bootstrap=20, seed=3)
        old = cx.club_value(vworld, cost_per_member=1.0, horizon=104, bootstrap=30, model=vmodel)
    members = int(vworld.customers["loyalty_member"].sum())
    t = res.table.set_index("metric")
    # the direct effect of membership is the true part of its total effect (members are also
    # followed up more often, which adds to it): the interval lies above the direct truth's
    # lower part and covers the total
    direct = true_programme_gain(vworld, "loyalty_member", 104)
    assert t.loc["clv_gain", "ci_low"] > 0.5 * direct and t.loc["n_units", "estimate"] == members
    assert res.by_segment is None and res.method == "purchases"
    to = old.table.set_index("metric")
    assert to.loc["clv_gain", "ci_low"] > 0  # members buy more and stay longer in the world
    assert old.by_segment.iloc[0]["n_customers"] == members and old.method == "value_model"


# -------------------------------------------------------------------------- bad input
def _tx(**over):
    df = pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "c"],
            "timestamp": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-01-05", "2024-03-01"]),
            "amount": [10.0, 12.0, 8.0, 5.0],
        }
    )
    for k, v in over.items():
        df[k] = v
    return df


def test_negative_amounts_are_refused_naming_rows():
    with pytest.raises(cx.InputError, match=r"transactions\.amount.*negative.*e\.g\. 1"):
        cx.rfm_summary(_tx(amount=[10.0, -3.0, 8.0, 5.0]))


def test_purchases_after_the_observation_end_are_refused():
    with pytest.raises(cx.InputError, match="after the observation end 2024-02-15"):
        cx.rfm_summary(_tx(), observation_end="2024-02-15")


def test_holdout_outside_the_data_is_refused():
    with pytest.raises(cx.InputError, match="holdout is outside the data"):
        cx.rfm_summary(_tx(), calibration_end="2024-06-01", observation_end="2024-03-31")
    with pytest.raises(cx.InputError, match="before the first purchase"):
        cx.rfm_summary(_tx(), calibration_end="2023-06-01")


def test_customers_without_a_calibration_purchase_are_named():
    with pytest.warns(cx.DataQualityWarning, match=r"1 customer\(s\).*e\.g\. c"):
        rfm = cx.rfm_summary(_tx(), calibration_end="2024-02-15", observation_end="2024-03-31")
    assert list(rfm["customer_id"]) == ["a", "b"]
    assert rfm["frequency_holdout"].tolist() == [0.0, 0.0]


def test_unknown_unit_and_bad_rfm_tables_are_refused():
    with pytest.raises(cx.InputError, match="did you mean 'weeks'"):
        cx.rfm_summary(_tx(), unit="week")
    bad = pd.DataFrame({"frequency": [1, 2], "recency": [5.0, 9.0], "T": [4.0, 10.0]})
    with pytest.raises(cx.InputError, match=r"rfm\.recency.*\[0, T\]"):
        cx.fit_bgnbd(bad)
    with pytest.raises(cx.InputError, match="frequency: column.*did you mean 'frequncy'"):
        cx.fit_bgnbd(bad.rename(columns={"frequency": "frequncy"}))
    with pytest.raises(cx.InputError, match="monetary_value"):
        cx.fit_gamma_gamma(bad.assign(recency=[1.0, 2.0]))


def test_non_convergence_is_reported_with_the_parameters_reached():
    # nobody ever buys again: the dropout parameters are not identified
    rfm = pd.DataFrame(
        {"frequency": np.zeros(50), "recency": np.zeros(50), "T": np.linspace(5, 40, 50)}
    )
    with pytest.warns(ConvergenceWarning, match=r"parameters reached.*r = .*alpha = "):
        res = cx.fit_bgnbd(rfm)
    assert not res.converged
    assert "did not converge" in " ".join(res.findings().caveats)


def test_programme_arguments_are_checked(vworld, vmodel):
    with pytest.raises(cx.InputError, match="cost_per_contact"):
        cx.follow_up_value(vworld, cost_per_contact=-1)
    with pytest.raises(cx.InputError, match="margin"):
        cx.value_of_satisfaction(vworld, model=vmodel, margin=1.5)
    with pytest.raises(cx.InputError, match="segment"):
        cx.value_of_satisfaction(vworld, model=vmodel, bootstrap=0, segment="gold")
    with pytest.raises(cx.InputError, match="survivors"):
        cx.fit_sbg([100, 120, 90])


def test_data_without_amounts_gets_a_clear_error():
    with pytest.raises(cx.InputError, match="no purchase amounts.*with_purchases"):
        cx.fit_gamma_gamma(cx.rfm_summary(_tx().drop(columns="amount").assign(customer_id="a")))


def test_data_without_purchases_gets_a_clear_error(vworld):
    inter = vworld.interactions.loc[vworld.interactions["kind"] != "purchase"]
    with pytest.raises(cx.InputError, match="no interactions of kind 'purchase'"):
        cx.rfm_summary(replace(vworld, interactions=inter))


# ------------------------------------------------------------ synthetic purchases, surface
def test_generate_makes_the_purchase_history_and_with_purchases_is_a_no_op(vworld, tmp_path):
    inter = vworld.interactions
    p = inter.loc[inter["kind"] == "purchase"]
    hist = p.loc[p["amount"].notna()]
    assert (hist["amount"] >= 0).all()
    assert inter.loc[inter["kind"] != "purchase", "amount"].isna().all()
    assert cx.value.with_purchases(vworld) is vworld
    # first purchase on the signup day, one per customer, and it is the onboarding event
    first = hist.groupby("customer_id")["timestamp"].min().dt.normalize()
    signup = vworld.customers.set_index("customer_id")["signup_date"]
    assert (first == signup.loc[first.index]).all() and len(first) == len(signup)
    # the history is the purchase stream of data.synth_value (same draws, same customers)
    fu = cx.value.covariates.onboarding_follow_up(vworld)
    a, truth = cx.data.synth_value.purchases(
        vworld.customers, vworld.responses, vworld.observation_end, 5, fu
    )
    assert len(hist) == len(a) == vworld.truth["n_purchases"] == truth["n_purchases"]
    np.testing.assert_array_equal(np.sort(hist["amount"]), np.sort(a["amount"]))
    pd.testing.assert_series_equal(  # loaded ids are Arrow strings, generated ones objects
        hist["customer_id"].value_counts().sort_index(),
        a["customer_id"].value_counts().sort_index(),
        check_index_type=False,
    )
    # the service-event purchases (follow-ups and surveys hang on them) carry no amount and
    # are left out of the history, with a warning that names them
    with pytest.warns(DataQualityWarning, match="purchase row.*no amount.*left out"):
        rfm = cx.rfm_summary(vworld)
    assert (
        rfm["n_transactions"].sum()
        == hist["timestamp"].dt.normalize().groupby(hist["customer_id"]).nunique().sum()
    )
    cx.save(vworld, tmp_path)
    back = cx.load(tmp_path)
    assert back.interactions["amount"].sum() == pytest.approx(inter["amount"].sum())
    assert back.truth["spend_model"]["p"] == vworld.truth["spend_model"]["p"]
    b, _ = cx.data.synth_value.purchases(
        vworld.customers, vworld.responses, vworld.observation_end, 5, fu
    )
    pd.testing.assert_frame_equal(a, b)  # seeded
    # a world without amounts still gets them from with_purchases
    bare = replace(vworld, interactions=inter.drop(columns="amount"))
    filled = cx.value.with_purchases(bare)
    assert (
        filled.interactions.loc[filled.interactions["kind"] == "purchase", "amount"].notna().all()
    )


def test_rfm_table_carries_its_time_frame_without_attrs(vworld):
    cal = vworld.observation_end - pd.Timedelta(days=364)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rfm = cx.rfm_summary(vworld, unit="days", calibration_end=cal)
        cov = cx.value.add_covariates(rfm, vworld)
    assert rfm.attrs == {}
    want = ("days", str(cal.date()), str(vworld.observation_end.date()))
    for t in (rfm, cov, rfm[rfm["frequency"] > 0], rfm.copy(), cov.head(100)):
        assert (t.unit, t.calibration_end, t.observation_end) == want
    m = cx.fit_bgnbd(rfm.loc[rfm["frequency"] >= 0])
    assert (m.unit, m.calibration_end, m.observation_end) == want
    m.rfm.attrs.clear()
    assert m.tracking(vworld, period=7)["holdout"].any()  # the calibration end from the result
    plain = cx.fit_bgnbd(pd.DataFrame(rfm[["frequency", "recency", "T"]]), unit="days")
    assert plain.unit == "days" and plain.observation_end is None


def test_value_results_share_the_result_surface(cd_bgnbd, cd_pnbd, cd_gg, vworld, vmodel):
    v = cx.value_of_satisfaction(vworld, model=vmodel, horizon=52, bootstrap=5)
    effect = pd.Series({"estimate": 0.5, "se": 0.05, "ci_low": 0.4, "ci_high": 0.6})
    results = [
        cd_bgnbd,
        cd_pnbd,
        cd_gg,
        cx.fit_sbg([1000, 631, 468, 382, 326, 289, 262, 241]),
        v,
        cx.follow_up_value(vworld, cost_per_contact=1.0, effect=effect, value=v, horizon=52),
    ]
    for r in results:  # the table, summary and dict: tests/test_interface.py, for every class
        for c in r.table.columns:
            assert str(c).isidentifier(), (type(r).__name__, c)
        f = r.findings()
        text = " ".join(f.findings + f.caveats)
        assert "e-" not in text and "nan" not in text.lower() and "_" not in text, text
        assert repr(r).startswith(f"<{type(r).__name__}:")


def test_plots_draw_hand_counted_numbers(cd_bgnbd, vworld, vmodel):
    import matplotlib

    matplotlib.use("Agg")
    from cxmodels.value import plots

    tx = cdnow.transactions()
    rfm = cx.rfm_summary(tx, calibration_end=cdnow.CALIBRATION_END)
    m = cx.fit_bgnbd(rfm)
    # by hand from the transactions: purchase days per customer, split at the calibration end
    days = tx.drop_duplicates(["customer_id", "date"])
    cal = (days["timestamp"] <= pd.Timestamp(cdnow.CALIBRATION_END)).groupby(days["customer_id"])
    repeats, holdout = cal.sum() - 1, cal.size() - cal.sum()
    actual = m.plot_calibration_holdout().lines[0].get_ydata()
    assert actual[:2] == pytest.approx([holdout[repeats == k].mean() for k in (0, 1)], rel=1e-12)
    weekly = m.plot_tracking(tx, cumulative=False).lines[0].get_ydata()
    assert weekly.sum() == len(days) - days["customer_id"].nunique() == 4339  # repeat purchases
    # 2,357 customers, 946 with a repeat purchase (Fader, Hardie & Lee 2005)
    heights = [sum(p.get_height() for p in a.patches) for a in plots.rfm_histograms(rfm)]
    assert heights == [2357, 2357, 946]
    clv = m.clv(52, 0.1, 0.3)
    assert sum(p.get_height() for p in plots.clv_histogram(clv["clv"]).patches) == 2357
    v = cx.value_of_satisfaction(vworld, model=vmodel, horizon=52, bootstrap=5)
    bars = [p.get_width() for p in plots.gain_bars(v.table).patches]
    assert sorted(bars) == pytest.approx(sorted(v.table["delta_clv"]))
    ax = plots.retention_plot(cx.fit_sbg([1000, 631, 468, 382]).retention(8))
    assert list(ax.lines[1].get_ydata()[:4]) == [1000, 631, 468, 382]  # the counts given


# ------------------------------------------------------------------------------ notebook
NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "05_value_of_loyalty.ipynb"


def test_notebook_parameters_are_an_interface():
    import nbformat
    import papermill as pm

    params = pm.inspect_notebook(str(NOTEBOOK))
    want = {"data_path", "segment", "unit", "calibration_end", "horizon", "discount_rate",
            "margin", "cost_per_contact"}  # fmt: skip
    assert want <= set(params)
    assert all(p["default"] not in ("", None) for p in params.values())
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")


@pytest.mark.slow  # a notebook execution: the end-to-end step
def test_notebook_runs_with_defaults_and_another_segment(tmp_path):
    import papermill as pm

    data = cx.save(cx.generate(1200, seed=4), tmp_path / "small")
    runs = [
        {"data_path": str(data)},
        {"data_path": str(data), "segment": "premium", "unit": "months", "horizon": 36,
         "bootstrap": 10, "cost_per_contact": 0.5},
    ]  # fmt: skip
    for i, params in enumerate(runs):
        out = tmp_path / f"out{i}.ipynb"
        pm.execute_notebook(str(NOTEBOOK), str(out), parameters=params, kernel_name="python3",
                            progress_bar=False, cwd=str(tmp_path))  # fmt: skip
        text = out.read_text()
        assert "CLV" in text and "Traceback" not in text


def test_fast_likelihood_equals_the_general_one(cd_summary):
    x, tx, T = (cd_summary[k].to_numpy(float) for k in ("frequency", "recency", "T"))
    ux, inv = np.unique(x, return_inverse=True)
    none = np.zeros((x.size, 0))
    for th in (np.array([-1.4, 1.5, -0.2, 0.9]), np.array([0.3, 0.1, 0.5, -0.4])):
        f0, g0 = bgnbd._negll(th, x, tx, T, none, none, ux, inv)
        f1, g1 = bgnbd._negll_plain(th, x, tx, T, ux, inv, np.bincount(inv).astype(float), x > 0)
        assert f1 == pytest.approx(f0, rel=1e-12)
        assert np.allclose(g1, g0, rtol=1e-10, atol=1e-8)


# ------------------------------------------------------------ batched bootstrap refits
def test_newton_refits_reach_the_weighted_maximum_in_closed_form():
    from cxmodels.value._refit import newton_refits

    # Poisson counts with log-rate theta: a replicate's estimate is log(weighted mean count)
    y = np.random.default_rng(3).poisson(2.5, 400).astype(float)

    def terms(th):
        rate = np.exp(th[:, [0]])
        return y * th[:, [0]] - rate, [(y - rate, None)]

    W = cx._bootstrap.index_counts(y.size, 7, seed=4)
    W[0, y == 0] = 0  # a replicate without zero counts
    th, ok = newton_refits(terms, np.array([np.log(y.mean())]), W)
    assert ok.all()
    assert np.allclose(th[:, 0], np.log(W @ y / W.sum(axis=1)), rtol=0, atol=1e-9)


def test_batched_refits_equal_refits_one_by_one(vworld):
    from cxmodels.value import programme as pg

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rfm, cov, _ = pg.programme_design(vworld, "followed_up", pg.EFFECT_CONTROLS, "weeks")
        pm = cx.fit_bgnbd(rfm, purchase_covariates=cov, dropout_covariates=cov)
        gg = cx.fit_gamma_gamma(rfm)
        W = cx._bootstrap.index_counts(len(rfm), 2, seed=8)
        th_pm, th_gg, ok = pg.bootstrap_refits(rfm, cov, pm, gg, W)
        for b in range(len(W)):  # the way before: refit on the resampled customers
            sub = cx.value.rfm.rfm_frame(
                rfm.iloc[np.repeat(np.arange(len(rfm)), W[b].astype(int))], like=rfm
            )
            one = cx.fit_bgnbd(sub, purchase_covariates=cov, dropout_covariates=cov,
                               start=pm.params, se=False)  # fmt: skip
            one_gg = cx.fit_gamma_gamma(sub, start=gg.params)
            assert np.abs(th_pm[b] - one.fit.theta).max() < 1e-3
            assert np.abs(th_gg[b] - one_gg.fit.theta).max() < 1e-3
            x, tx, T = (sub[k].to_numpy(float) for k in ("frequency", "recency", "T"))
            X = sub[cov].to_numpy(float)
            ux, inv = np.unique(x, return_inverse=True)
            # the batched refit is at least as high on the replicate's likelihood
            assert bgnbd._negll(th_pm[b], x, tx, T, X, X, ux, inv)[0] <= -one.loglik + 1e-6
    assert ok.all()
