"""IPCW Brier score: the censoring distribution from the test rows (default) or the training
rows (issue 27), checked by hand."""

from __future__ import annotations

import numpy as np
import pytest
from lifelines.datasets import load_lung

import cxmodels as cx
from cxmodels.churn import brier_ipcw, evaluate, fit_churn, split


def test_brier_with_censoring_from_another_sample_by_hand():
    # training censoring KM (churn first at ties): G(2) = 1 - 1/3, so G(3) = 2/3.
    # test rows: a churner at 1.5 (weight 1/G(1.5-) = 1, residual 0.8^2) and a survivor past
    # h = 3 (weight 1/G(3) = 3/2, residual 0.4^2): (0.64 + 1.5 * 0.16) / 2 = 0.44.
    # From the test rows alone G(3) = 1 (their only censoring is at 3.5): (0.64 + 0.16) / 2.
    train = (np.array([1.0, 2, 3, 4]), np.array([1, 0, 1, 0]))
    T, E, S = np.array([1.5, 3.5]), np.array([1, 0]), np.array([0.8, 0.6])
    assert brier_ipcw(T, E, S, 3.0, train) == pytest.approx(0.44, abs=1e-12)
    assert brier_ipcw(T, E, S, 3.0) == pytest.approx(0.40, abs=1e-12)


def test_evaluate_states_and_offers_the_censoring_sample():
    lung = load_lung()
    tr, te = split(lung.assign(customer_id=np.arange(len(lung))), seed=2)
    fit = fit_churn(tr, ["age", "sex"], duration_col="time", event_col="status")
    test_default = evaluate(fit, te, 300)
    train = evaluate(fit, te, 300, censoring="train")
    assert test_default.censoring == "test" and train.censoring == "train"
    T, E = te["time"].to_numpy(float), te["status"].to_numpy(int)
    S = 1 - fit.predict_risk(300, te).to_numpy()
    assert train.brier == pytest.approx(brier_ipcw(T, E, S, 300, (fit.T, fit.E)), abs=1e-14)
    assert train.brier != test_default.brier
    assert "the training rows" in train.summary().as_text()
    with pytest.raises(cx.InputError, match="censoring"):
        evaluate(fit, te, 300, censoring="both")


def test_brier_ipcw_conventions_by_hand_with_tied_censoring():
    # churners at 1, 2, 4; censored at 2 (the same day as a churn) and 3. Churn first at ties:
    # G(2-) = 1, G(2) = 1 - 1/3 = 2/3 (3 at risk of censoring after the churn at 2).
    # pec: the churner at 2 weighs 1/G(2-) = 1 -> (0.81 + 0.64 + 1.5 (0.16 + 0.25)) / 5 = 0.413;
    # scikit-survival: 1/G(2) = 3/2 -> (0.81 + 1.5 * 0.64 + 1.5 (0.16 + 0.25)) / 5 = 0.477.
    T = np.array([1.0, 2, 2, 3, 4])
    E = np.array([1, 1, 0, 0, 1])
    S = np.array([0.9, 0.8, 0.7, 0.6, 0.5])
    assert brier_ipcw(T, E, S, 2.5) == pytest.approx(0.413, abs=1e-12)
    assert brier_ipcw(T, E, S, 2.5, ipcw="scikit-survival") == pytest.approx(0.477, abs=1e-12)
    # without a churn on a censoring day the two conventions agree
    T2 = np.array([1.0, 2, 2.5, 3, 4])
    assert brier_ipcw(T2, E, S, 2.5, ipcw="scikit-survival") == brier_ipcw(T2, E, S, 2.5)
    with pytest.raises(cx.InputError, match="ipcw: unknown value 'sksurv'"):
        brier_ipcw(T, E, S, 2.5, ipcw="sksurv")


@pytest.mark.reference("scikit-survival 0.28 brier_score")
def test_brier_scikit_survival_convention_is_scikit_survival_with_tied_censoring():
    sksurv = pytest.importorskip("sksurv.metrics")  # GPL: a test-only oracle, never in src/
    from sksurv.util import Surv

    rng = np.random.default_rng(5)
    n = 400
    E = (rng.random(n) < 0.6).astype(int)
    T = rng.integers(1, 25, n).astype(float)  # churn and censoring on the same days
    S = rng.uniform(0.2, 0.9, n)
    train_T, train_E = rng.integers(1, 30, 300).astype(float), (rng.random(300) < 0.5).astype(int)
    y, y_train = (
        Surv.from_arrays(E.astype(bool), T),
        Surv.from_arrays(train_E.astype(bool), train_T),
    )
    for h in (4, 9.5, 16):
        same = sksurv.brier_score(y, y, S, h)[1][0]
        other = sksurv.brier_score(y_train, y, S, h)[1][0]
        assert brier_ipcw(T, E, S, h, ipcw="scikit-survival") == pytest.approx(same, abs=1e-14)
        got = brier_ipcw(T, E, S, h, (train_T, train_E), ipcw="scikit-survival")
        assert got == pytest.approx(other, abs=1e-14)
        assert abs(brier_ipcw(T, E, S, h) - same) > 1e-5  # pec's convention is another number


@pytest.mark.reference("scikit-survival 0.28 brier_score")
def test_evaluate_reproduces_scikit_survival_and_states_the_convention(world):
    sksurv = pytest.importorskip("sksurv.metrics")
    from sksurv.util import Surv

    st = cx.survival_table(world)
    tr, te = split(st, test_size=0.3, seed=1)
    fit = fit_churn(tr, ["overall_sat", "loyalty_member", "followed_up", "segment"])
    S = 1 - fit.predict_risk(12, te).to_numpy()
    y_tr = Surv.from_arrays(tr["event"].astype(bool), tr["duration"])
    y_te = Surv.from_arrays(te["event"].astype(bool), te["duration"])
    ev = evaluate(fit, te, 12, censoring="train", ipcw="scikit-survival")
    assert ev.brier == pytest.approx(sksurv.brier_score(y_tr, y_te, S, 12)[1][0], abs=1e-14)
    ev_test = evaluate(fit, te, 12, ipcw="scikit-survival")
    assert ev_test.brier == pytest.approx(sksurv.brier_score(y_te, y_te, S, 12)[1][0], abs=1e-14)
    pec = evaluate(fit, te, 12)
    assert pec.ipcw == "pec" and ev.ipcw == "scikit-survival"
    assert 1e-5 < ev_test.brier - pec.brier < 1e-4  # 6.4e-5: 70 churn days with a censoring
    assert "G(t), censoring survival at the churn time" in ev.summary().as_text()
    assert "1 / G(t-)" in pec.summary().as_text()
