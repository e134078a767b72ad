"""Follow-up effects: honest sentences, clean errors, Austin-Stuart balance, coverage (issue 13)."""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import cxmodels as cx
from cxmodels import effects
from cxmodels.effects import effect_by_channel, follow_up_effect


def test_no_bootstrap_means_no_interval_in_words_not_nan(world):
    res = follow_up_effect(world, bootstrap=0)
    text = res.conclusion()
    assert "nan" not in text.lower() and "interval not available" in text
    assert "No interval is available" in " ".join(res.findings())


def test_adjustment_sentence_names_the_covariates_used(world):
    res = follow_up_effect(world, covariates=["segment", "loyalty_member"], bootstrap=0)
    assert res.covariates == ("segment", "loyalty_member")
    text = " ".join(res.findings())
    assert "adjust for segment and club membership." in text and "region" not in text
    rt = effects.response_time_effect(world, covariates=["region"])
    assert rt.findings().caveats == ("Adjusted for region (OLS, HC3).",)
    assert rt.summary().notes == ("Adjusted for region (OLS, HC3).",)


def test_missing_and_unknown_covariates_are_clean_errors(world):
    cust = world.customers.copy()
    cust.loc[cust.index[:50], "region"] = np.nan
    with pytest.raises(cx.InputError, match=r"units\.region: missing values.*Fix: fill them"):
        follow_up_effect(replace(world, customers=cust), bootstrap=0)
    with pytest.raises(cx.InputError, match="did you mean 'segment'"):
        follow_up_effect(world, covariates=["segmnt"], bootstrap=0)
    with pytest.raises(cx.InputError, match="window_days"):
        follow_up_effect(world, window_days=-5, bootstrap=0)
    with pytest.raises(cx.InputError, match="trim"):
        follow_up_effect(world, trim=0.7, bootstrap=0)


def test_effect_by_channel_does_not_hide_numerical_failures(world, monkeypatch):
    def broken(*a, **k):
        raise np.linalg.LinAlgError("Singular matrix")

    monkeypatch.setattr(effects, "_estimate", broken)
    with pytest.raises(np.linalg.LinAlgError):
        effect_by_channel(world, bootstrap=0)


def test_effect_by_channel_notes_a_channel_without_follow_ups(world):
    t = effect_by_channel(world, channels=("carrier_pigeon",), bootstrap=0)
    assert np.isnan(t["estimate"][0]) and "no treated units" in t["note"][0]


def test_weighted_smd_uses_the_unweighted_pooled_sd():
    """Austin & Stuart (2015), section 4.1: weighting changes only the numerator."""
    X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0, 1.0, 5.0]})
    T = np.array([1, 1, 1, 0, 0, 0])
    w = np.array([1.0, 2.0, 1.0, 1.0, 3.0, 1.0])
    b = effects._balance(X, T, w)
    # by hand: pooled SD from the unweighted group variances (ddof 0)
    sd = np.sqrt((np.var([0, 1, 2]) + np.var([3, 1, 5])) / 2)
    m1, m0 = (0 + 2 * 1 + 2) / 4, (3 + 3 * 1 + 5) / 5
    assert b["smd_weighted"][0] == pytest.approx((m1 - m0) / sd, rel=1e-12)
    assert b["smd_unweighted"][0] == pytest.approx((1 - 3) / sd, rel=1e-12)


def test_logit_matches_statsmodels_and_convergence_is_reported(world, monkeypatch):
    import statsmodels.api as sm

    rng = np.random.default_rng(1)
    X = np.column_stack([np.ones(500), rng.normal(size=(500, 2))])
    y = (rng.random(500) < 1 / (1 + np.exp(-(X @ [0.3, 1.0, -0.5])))).astype(float)
    fit = effects.logit(X, y)  # the numeric core's fit, unpenalised unless it fails
    ref = sm.Logit(y, X).fit(disp=0).params  # statsmodels 0.14 Logit (Newton)
    np.testing.assert_allclose(fit.params, ref, rtol=1e-10)
    np.testing.assert_allclose(effects.logit_fit(X, y), ref, rtol=1e-10)
    assert fit.converged and fit.ridge == 0 and not effects.logit(X, y, max_iter=1).converged

    real = effects.logit
    monkeypatch.setattr(effects, "logit", lambda *a, **k: replace(real(*a, **k), converged=False))
    with pytest.warns(effects.ConvergenceWarning):
        res = follow_up_effect(world, bootstrap=3)
    assert not res.converged and any("did not converge" in n for n in res.notes)


def test_clipping_is_called_clipping(world):
    import statsmodels.api as sm

    res = follow_up_effect(world, trim=0.2, bootstrap=0)
    u = res.units
    # the propensities outside [0.2, 0.8], counted from statsmodels' Logit on the same design
    cats = {c: str for c in res.covariates if c != "tenure_days_at_event"}
    X = sm.add_constant(
        pd.get_dummies(u[list(res.covariates)].astype(cats), drop_first=True, dtype=float)
    )
    p = sm.Logit(u["treated"].astype(float), X).fit(disp=0).predict(X)
    assert res.n_trimmed == ((p < 0.2) | (p > 0.8)).sum() > 0
    note = next(n for n in res.notes if "clipped" in n)
    assert note.startswith(f"{res.n_trimmed} propensities") and "not trimming" in note
    # every unit stays: the table counts the units' treated and control rows
    n_t = int(u["treated"].sum())
    assert (res.table["n_treated"][0], res.table["n_control"][0]) == (n_t, len(u) - n_t)


@pytest.mark.slow
def test_aipw_interval_covers_truth_over_seeds():
    """Coverage over eight small worlds (2,500 customers), not one lucky world.

    Observed when this test was written: the realised truth (``follow_up_ate_overall_sat``,
    0.55-0.57) lay inside the 95% interval in 6 of 8 worlds; the two misses (seeds 101 and 102)
    were 2.3 and 2.6 bootstrap SEs below it. Nominal coverage expects 7.6 of 8, so this is a
    possible small-sample under-coverage of AIPW here (reported, not tuned away); the test
    guards against anything worse. At 20,000 customers the interval covers (test_metrics_effects).
    """
    hits = 0
    for seed in range(8):  # eight independent synthetic worlds
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", cx.DataQualityWarning)
            w = cx.validate(cx.generate(2500, seed=100 + seed))
        a = follow_up_effect(w, bootstrap=60, seed=seed).estimate("aipw")
        hits += a.ci_low <= w.truth["follow_up_ate_overall_sat"] <= a.ci_high
    assert hits >= 6


def test_my_result_classes_share_the_surface(world):
    from cxmodels import kano, metrics

    results = [
        kano.analyze_kano(world.kano_answers, bootstrap=5, seed=1),
        metrics.nps(world.responses["nps"]),
        follow_up_effect(world, bootstrap=3),
        effects.response_time_effect(world),
    ]
    for r in results:
        # types, identity and repr: tests/test_interface.py, for every result class
        f = r.findings()
        assert all("nan" not in s.lower() for s in (*f.findings, *f.caveats))
        assert r.to_dict()["findings"] == list(f.findings)


def test_one_customer_gives_a_note_not_an_interval():
    units = pd.DataFrame({"customer_id": ["c1"] * 6})
    X = np.column_stack([np.ones(6), np.arange(6.0)])
    T = np.array([1.0, 0, 1, 0, 1, 0])
    Y = np.array([7.0, 5, 8, 6, 7, 5])
    draws, bad, nc, lost = effects._cluster_bootstrap(units, X, T, Y, False, 0.01, 20, 1)
    assert nc == 1 and np.isnan(draws).all() and bad == 0 and sum(lost.values()) == 0
    bal = pd.DataFrame({"covariate": ["x"], "smd_weighted": [0.0]})
    notes = effects._effect_notes(0, 0.01, bal, 3, 3, nc, True, 0, 20)
    assert any(n.startswith("Only 1 customer") for n in notes)
