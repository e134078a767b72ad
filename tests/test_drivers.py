"""Satisfaction drivers (issue 3): published numbers, synthetic truth, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cxmodels as cx
from cxmodels.drivers import compare_segments, fit_drivers, penalty_reward

from .reference.datasets import attitude, mtcars, wine

ATT = ["complaints", "privileges", "learning", "raises", "critical", "advance"]


def test_attitude_lmg_matches_relaimpo():
    # R: relaimpo::calc.relimp(lm(rating ~ ., attitude), type = "lmg") (Grömping 2006, JSS 17(1))
    res = fit_drivers(attitude(), "rating", ATT)
    lmg = res.table.set_index("driver")["importance"]
    expected = {
        "complaints": 0.3708,
        "privileges": 0.0509,
        "learning": 0.1558,
        "raises": 0.1203,
        "critical": 0.0066,
        "advance": 0.0282,
    }
    for k, v in expected.items():
        assert lmg[k] == pytest.approx(v, abs=6e-5), k
    assert res.r2 == pytest.approx(0.7326, abs=6e-5)
    assert lmg.sum() == pytest.approx(res.r2, abs=1e-12)
    D = res.complete_dominance()
    assert D.loc["complaints"].drop("complaints").all()  # complaints completely dominates


def test_mtcars_lmg_and_relative_weights():
    # relaimpo lmg: am .1774892, vs .2027032, cyl .3817849, R² .7619773
    res = fit_drivers(mtcars(), "mpg", ["am", "vs", "cyl"])
    lmg = res.table.set_index("driver")["importance"]
    for k, v in {"am": 0.1774892, "vs": 0.2027032, "cyl": 0.3817849}.items():
        assert lmg[k] == pytest.approx(v, abs=5e-7)
    assert res.r2 == pytest.approx(0.7619773, abs=5e-7)
    # Johnson's relative weights, mpg ~ cyl + disp + hp + gear (rwa / relativeImp in R)
    rw = fit_drivers(mtcars(), "mpg", ["cyl", "disp", "hp", "gear"], importance="relative_weights")
    got = rw.table.set_index("driver")["importance"]
    for k, v in {"cyl": 0.2284797, "disp": 0.2221469, "hp": 0.2321744, "gear": 0.0963886}.items():
        assert got[k] == pytest.approx(v, abs=5e-7)


def test_wine_ordinal_logit_matches_clm():
    # R: ordinal::clm(rating ~ temp + contact, data = wine) (Christensen 2019)
    res = fit_drivers(wine(), "rating", ["tempwarm", "contactyes"], model="ordinal")
    p = res.fit.params
    assert p["tempwarm"] == pytest.approx(2.5031, abs=1e-4)
    assert p["contactyes"] == pytest.approx(1.5278, abs=1e-4)
    th = res.fit.model.transform_threshold_params(res.fit.params)[1:-1]
    np.testing.assert_allclose(th, [-1.3444, 1.2508, 3.4669, 5.0064], atol=1e-4)
    assert res.fit.llf == pytest.approx(-86.49, abs=5e-3)
    assert res.table["importance"].sum() == pytest.approx(res.r2)


def test_other_measures_add_up_and_agree_with_definitions():
    df = attitude()
    res = fit_drivers(df, "rating", ATT)
    t = res.table.set_index("driver")
    assert t["pratt"].sum() == pytest.approx(res.r2)
    assert t["relative_weights"].sum() == pytest.approx(res.r2)
    assert t.loc["complaints", "first"] == pytest.approx(
        df[["rating", "complaints"]].corr().iloc[0, 1] ** 2
    )
    assert t["share"].sum() == pytest.approx(100)
    # Shapley itself is checked against brute-force subset fits in test_drivers_reference.py


def test_groups_and_controls():
    df = mtcars().assign(
        cyl6=lambda d: (d.cyl == 6).astype(float), cyl8=lambda d: (d.cyl == 8).astype(float)
    )
    res = fit_drivers(df, "mpg", ["am", "vs", "cyl6", "cyl8"], groups={"cyl": ["cyl6", "cyl8"]})
    assert set(res.table["driver"]) == {"am", "vs", "cyl"}
    assert res.table["importance"].sum() == pytest.approx(res.r2)
    ctl = fit_drivers(df, "mpg", ["am", "vs"], controls=["hp"])
    assert ctl.table["importance"].sum() == pytest.approx(ctl.r2 - ctl.r2_controls)
    assert ctl.r2_controls == pytest.approx(df[["mpg", "hp"]].corr().iloc[0, 1] ** 2)


def test_bootstrap_is_seeded():
    a = fit_drivers(attitude(), "rating", ATT, bootstrap=300, seed=1)
    b = fit_drivers(attitude(), "rating", ATT, bootstrap=300, seed=1)
    c = fit_drivers(attitude(), "rating", ATT, bootstrap=300, seed=2)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert not np.allclose(a.table["ci_low"], c.table["ci_low"])


def test_bootstrap_intervals_cover_the_population_shapley():
    # two independent drivers, y = 0.6 x1 + 0.3 x2 + e (var e = 1): population Shapley values
    # are b_j^2 / var(y) = 0.36 / 1.45 and 0.09 / 1.45; 95% intervals over 40 seeds
    truth = np.array([0.36, 0.09]) / 1.45
    hits = np.zeros(2)
    for seed in range(40):  # loop over simulated data sets
        rng = np.random.default_rng(seed)
        X = rng.normal(size=(300, 2))
        df = pd.DataFrame(X, columns=["x1", "x2"]).assign(y=X @ [0.6, 0.3] + rng.normal(size=300))
        t = fit_drivers(df, "y", ["x1", "x2"], bootstrap=200, seed=seed).table.set_index("driver")
        hits += (t.loc[["x1", "x2"], "ci_low"] <= truth) & (truth <= t.loc[["x1", "x2"], "ci_high"])
    assert (hits >= 33).all() and (hits <= 40).all(), hits  # 95% of 40: 38; binomial 1% tail 33


def test_bootstrap_level_widens_intervals():
    a = fit_drivers(attitude(), "rating", ATT, bootstrap=300, seed=1, level=0.8).table
    b = fit_drivers(attitude(), "rating", ATT, bootstrap=300, seed=1, level=0.99).table
    assert ((b["ci_high"] - b["ci_low"]) > (a["ci_high"] - a["ci_low"])).all()


def test_weights_equal_replication():
    df = attitude()
    w = np.where(np.arange(len(df)) % 2 == 0, 2.0, 1.0)
    rep = pd.concat([df, df.iloc[::2]], ignore_index=True)
    a = fit_drivers(df.assign(w=w), "rating", ATT, weights="w").table.set_index("driver")[
        "importance"
    ]
    b = fit_drivers(rep, "rating", ATT).table.set_index("driver")["importance"]
    pd.testing.assert_series_equal(a, b.loc[a.index], atol=1e-10)


def test_logit_promoter_importance(world):
    res = fit_drivers(world, "nps", world.attributes[:5], model="logit")
    assert 0 < res.r2 < 1 and res.table["importance"].sum() == pytest.approx(res.r2)


# ------------------------------------------------------------------ synthetic truth
def test_ranking_and_weights_match_the_truth(big_world):
    truth = pd.Series(big_world.truth["driver_weights"])
    res = fit_drivers(big_world, "overall_sat", list(truth.index))
    got = res.table.set_index("driver")["importance"]
    assert list(got.sort_values(ascending=False).index) == list(
        truth.sort_values(ascending=False).index
    )
    # all attributes in the model: every slope within 0.02 of its true weight, tighter than the
    # smallest true weight (0.03), so a swapped or missing driver would fail
    full = fit_drivers(big_world, "overall_sat", big_world.attributes)
    coef = full.table.set_index("driver")["coef"][truth.index]
    assert np.abs(coef - truth).max() < 0.02
    assert np.abs(coef - truth).max() < truth.min()


def test_penalty_reward_classifies_basic_and_excitement(big_world):
    pr = penalty_reward(big_world, "overall_sat")
    cls = pr.table.set_index("driver")["classification"]
    truth = big_world.truth["driver_classes"]
    assert cls["attr_delivery_reliability"] == "basic"
    assert cls["attr_digital_experience"] == "excitement"
    for a, c in truth.items():
        if c == "performance" and big_world.truth["driver_weights"][a] >= 0.1:
            assert cls[a] == "performance", a


def test_compare_segments(world):
    cols = world.attributes[:4]
    cmp_ = compare_segments(world, "overall_sat", cols, bootstrap=50, seed=2)
    t = cmp_.table
    assert set(t["segment"]) == {"consumer", "premium", "small_business"}
    ref = t[t.segment == cmp_.reference]
    assert (ref["diff"] == 0).all() and ref["diff_low"].isna().all()
    # shares and differences agree with separate fits per segment
    shares = {
        s: fit_drivers(world, "overall_sat", cols, segment=s).table.set_index("driver")["share"]
        for s in ["consumer", "premium", "small_business"]
    }
    for r in t.itertuples():
        assert r.share == pytest.approx(shares[r.segment][r.driver], rel=1e-10)
        assert r.diff == pytest.approx(
            shares[r.segment][r.driver] - shares[cmp_.reference][r.driver], abs=1e-9
        )
    other = t[t.segment != cmp_.reference]
    assert (other["diff_high"] - other["diff_low"] > 0).all()


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    "kwargs,phrase",
    [
        (dict(outcome="nope"), "nope: column(s) missing"),
        (dict(drivers=["complaints", "zzz"]), "zzz: column(s) missing"),
        (dict(drivers=["complaints", "const"]), "const: constant"),
        (dict(drivers=["complaints", "text"]), "text: column(s) are not numeric"),
        (dict(drivers=["complaints", "dup"]), "perfectly collinear"),
    ],
)
def test_bad_input_names_columns(kwargs, phrase):
    df = attitude().assign(const=1.0, text="a", dup=lambda d: 2 * d.complaints + 1)
    args = dict(outcome="rating", drivers=ATT) | kwargs
    with pytest.raises(cx.InputError, match="Fix:") as e:
        fit_drivers(df, **args)
    assert phrase in str(e.value)


def test_too_few_rows():
    with pytest.raises(cx.InputError, match="complete rows"):
        fit_drivers(attitude().head(12), "rating", ATT)


def test_missing_rows_dropped_out_loud():
    df = attitude()
    df.loc[[1, 4], "learning"] = np.nan
    res = fit_drivers(df, "rating", ATT)
    assert res.n == 28 and res.n_dropped == 2
    assert "rows dropped" in res.summary().as_text()


def test_fast_ordinal_loglik_matches_statsmodels():
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    from cxmodels.drivers import ordinal_loglik

    w = wine()
    for cols in (["tempwarm"], ["tempwarm", "contactyes"]):
        ref = OrderedModel(w["rating"], w[cols], distr="logit").fit(method="newton", disp=False).llf
        assert ordinal_loglik(w[cols].to_numpy(), w["rating"].to_numpy()) == pytest.approx(
            ref, abs=1e-6
        )
    assert ordinal_loglik(
        w[["tempwarm", "contactyes"]].to_numpy(), w["rating"].to_numpy()
    ) == pytest.approx(-86.49, abs=5e-3)


def test_findings_live_with_their_results(world):
    res = fit_drivers(world, "overall_sat", world.attributes[:4], bootstrap=50, seed=1)
    pr = penalty_reward(world, "overall_sat")
    seg = compare_segments(world, "overall_sat", world.attributes[:3], bootstrap=30, seed=1)
    f = res.findings()
    assert len(f) >= 3 and "leads" in f.findings[0] and "attr_" not in f.as_text()
    assert "overall satisfaction" in f.findings[0] and "95% interval" in f.findings[0]
    both = res.findings() + pr.findings() + seg.findings()
    # the old prose module reads the same results and says the same things
    old_f, old_c = cx.narrative.drivers(res, pr, seg)
    assert len(old_f) == len(both.findings)
    assert any("basic factor" in s for s in pr.findings())
    assert res == res and res != fit_drivers(world, "overall_sat", world.attributes[:4])
    assert repr(res).startswith("<DriversResult: Satisfaction drivers of overall_sat")
