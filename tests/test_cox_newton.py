"""Cox Newton-Raphson: the log-likelihood returned is the one of the coefficients returned
(issue 27), checked against a brute-force Efron partial likelihood written here."""

from __future__ import annotations

import numpy as np

from cxmodels.churn._cox import fit_cox


def efron_loglik(X: np.ndarray, T: np.ndarray, E: np.ndarray, beta: np.ndarray) -> float:
    """Efron's log partial likelihood, one event time at a time (no strata)."""
    eta = (X - X.mean(axis=0)) @ beta
    r = np.exp(eta)
    ll = 0.0
    for t in np.unique(T[E == 1]):
        dead = (T == t) & (E == 1)
        d, risk, tied = dead.sum(), r[T >= t].sum(), r[dead].sum()
        ll += eta[dead].sum() - sum(np.log(risk - k / d * tied) for k in range(d))
    return float(ll)


def test_loglik_is_that_of_the_returned_point_when_no_step_helps():
    # two identical columns: the information is singular and no Newton step raises the
    # log-likelihood once the fit has reached the ridge; the fit stops at the last accepted
    # point and says it did not converge (the old code returned NaN coefficients after 50
    # iterations: the log-likelihood of a point it never evaluated)
    rng = np.random.default_rng(0)
    n = 200
    x = rng.normal(size=n)
    X = np.c_[x, x, rng.normal(size=n)]
    T, E = rng.exponential(size=n), (rng.random(n) < 0.7).astype(np.int64)
    beta, _, ll, ll0, _, ok, _ = fit_cox(X.copy(), T, E)
    assert np.isfinite(beta).all() and not ok
    np.testing.assert_allclose(ll, efron_loglik(X, T, E, beta), rtol=1e-12)
    assert ll >= ll0


def test_loglik_is_that_of_the_returned_point_on_a_regular_fit():
    rng = np.random.default_rng(1)
    n = 300
    X = rng.normal(size=(n, 3))
    T = np.ceil(rng.exponential(size=n) * 10 / np.exp(X @ [0.5, -0.3, 0.0]))  # ties
    E = (rng.random(n) < 0.8).astype(np.int64)
    beta, _, ll, ll0, _, ok, _ = fit_cox(X.copy(), T, E)
    assert ok
    np.testing.assert_allclose(ll, efron_loglik(X, T, E, beta), rtol=1e-12)
    np.testing.assert_allclose(ll0, efron_loglik(X, T, E, np.zeros(3)), rtol=1e-12)


def test_risk_set_order_is_lexsorts_with_few_distinct_times():
    # from 4,096 rows with few distinct times the order comes from one packed-key sort: it must be
    # the permutation of np.lexsort((E, T, strata)), with and without strata, for whole and
    # fractional times, and with many distinct times (the lexsort path)
    from cxmodels.churn._cox import risk_sets

    rng = np.random.default_rng(2)
    n = 6000
    E = (rng.random(n) < 0.6).astype(np.int64)
    s = rng.integers(0, 3, n)
    for T in (
        rng.integers(1, 40, n).astype(float),
        rng.integers(1, 900, n) / 4.0,
        np.ceil(rng.exponential(size=n) * 3000.0),
        rng.exponential(size=n),
    ):
        for strata in (None, s):
            ref = np.lexsort((E, T, np.zeros(n, np.int64) if strata is None else strata))
            np.testing.assert_array_equal(risk_sets(T, E, strata).order, ref)
