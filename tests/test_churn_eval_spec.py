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
