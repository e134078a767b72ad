"""Ordinal and binary logit drivers models: one fit per subset of drivers, convergence checked.

Importance for these models is general dominance over McFadden's pseudo-R²,
:math:`R^2_{McF}(S) = 1 - \\ell(S) / \\ell(\\varnothing)`, from one fit per subset of players
(Azen & Traxel 2009). The reported model is statsmodels' ``OrderedModel`` (logit link, Newton)
or ``Logit`` (Newton); the :math:`2^p` subset fits use the numeric core's logistic fit
(:func:`cxmodels._numeric.logit`, Newton) for a 0/1 outcome and :func:`ordinal_loglik`, a BFGS
fit with the analytic gradient, for the ordinal model. Every fit's convergence is
checked, and a fit that did not converge is reported in the result's caveats.

Azen, R., & Traxel, N. (2009). Using dominance analysis to determine predictor importance in
logistic regression. *Journal of Educational and Behavioral Statistics* 34(3), 319-347.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.optimize import minimize
from statsmodels.miscmodels.ordinal_model import OrderedModel

from .._numeric import logit

#: Most drivers a logit or ordinal model decomposes (2**12 = 4,096 fits).
MAX_LOGIT_DRIVERS = 12


def _sigmoid(z):
    return 0.5 * (1 + np.tanh(0.5 * z))


def _ordinal_nll(X, yi, K):
    """Negative log-likelihood and gradient of the cumulative logit in (beta, c)."""
    p = X.shape[1]
    onehot = np.eye(K)[yi]
    hi, lo = onehot[:, :-1], onehot[:, 1:]  # y == j (upper threshold j), y == j+1 (lower)
    J = np.tril(np.ones((K - 1, K - 1)))  # d theta / d (c_1, e^{c_2}, ...)

    def nll(z):
        beta, c = z[:p], z[p:]
        th = np.cumsum(np.concatenate([[c[0]], np.exp(c[1:])]))
        eta = X @ beta
        ext = np.concatenate([[-np.inf], th, [np.inf]])
        Fa, Fb = _sigmoid(ext[yi + 1] - eta), _sigmoid(ext[yi] - eta)
        P = np.maximum(Fa - Fb, 1e-300)
        fa, fb = Fa * (1 - Fa), Fb * (1 - Fb)
        g_th = -(hi * (fa / P)[:, None] - lo * (fb / P)[:, None]).sum(axis=0)
        dc = J.T @ g_th
        dc[1:] *= np.exp(c[1:])
        return -np.log(P).sum(), np.concatenate([X.T @ ((fa - fb) / P), dc])

    return nll


def ordinal_fit(X: np.ndarray, y: np.ndarray) -> tuple[float, bool]:
    """Maximised log-likelihood of a proportional-odds model, and whether BFGS converged.

    :math:`P(Y \\le j \\mid x) = F(\\theta_j - x^\\top\\beta)`, :math:`F` logistic, thresholds
    :math:`\\theta_1 = c_1`, :math:`\\theta_j = \\theta_{j-1} + e^{c_j}` (ordered by
    construction), fitted by BFGS with the analytic gradient (gtol 1e-6). Converged means
    BFGS succeeded, or stopped for precision loss with every gradient component below 1e-3.
    """
    cats, yi = np.unique(y, return_inverse=True)
    K, n = len(cats), len(y)
    cum = np.cumsum(np.bincount(yi, minlength=K))[:-1] / n
    th0 = np.log(cum / (1 - cum))
    c0 = np.concatenate([[th0[0]], np.log(np.maximum(np.diff(th0), 1e-3))])
    res = minimize(
        _ordinal_nll(X, yi, K),
        np.concatenate([np.zeros(X.shape[1]), c0]),
        jac=True,
        method="BFGS",
        options={"gtol": 1e-6, "maxiter": 1000},
    )
    # BFGS stops with "precision loss" (status 2) at an optimum it cannot improve in floating
    # point: that is convergence when the gradient is negligible
    converged = res.success or (res.status == 2 and np.abs(res.jac).max() < 1e-3)
    return float(-res.fun), bool(converged)


def ordinal_loglik(X: np.ndarray, y: np.ndarray) -> float:
    """Maximised log-likelihood of a proportional-odds (cumulative logit) model.

    See :func:`ordinal_fit`; used for the :math:`2^p` subset fits of dominance analysis, where
    statsmodels' ``OrderedModel`` (numerical derivatives) would take minutes.
    """
    return ordinal_fit(X, y)[0]


def _reported_fit(frame: pd.DataFrame, cols: list[str], outcome: str, model: str):
    """The full model through statsmodels, with its warnings recorded (not silenced)."""
    y = frame[outcome]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if model == "ordinal":
            fit = OrderedModel(y.astype(int), frame[cols], distr="logit").fit(
                method="newton", disp=False, maxiter=200
            )
        else:
            X = sm.add_constant(frame[cols], has_constant="add")
            fit = sm.Logit(y, X).fit(method="newton", disp=False, maxiter=100)
    notes = [
        f"statsmodels: {w.message}"
        for w in caught
        if "converge" in str(w.message).lower() or "separation" in str(w.message).lower()
    ]
    if not fit.mle_retvals.get("converged", True):
        notes.append(
            f"The full {model} model did not converge (Newton, {fit.mle_retvals.get('iterations')} "
            "iterations): its coefficients are not reliable."
        )
    return fit, notes


def _subset_loglik(frame, cols, outcome, model):
    y = frame[outcome]
    if model == "ordinal":
        yy = y.to_numpy().astype(int)
        if not cols:  # thresholds only: the log-likelihood of the category frequencies
            freq = y.astype(int).value_counts(normalize=True)
            return float(np.log(y.astype(int).map(freq)).sum()), True
        return ordinal_fit(frame[cols].to_numpy(), yy)
    X = np.column_stack([np.ones(len(frame)), frame[cols].to_numpy(float)])
    r = logit(X, y.to_numpy(float), max_iter=100)
    return r.llf, r.converged and not r.regularised


def logit_fits(dd, model: str):
    """Fit the full model and every subset model; McFadden pseudo-R² per subset.

    Returns ``(params, bse, pvalues, fit, r2 (2**p,), notes)``.
    """
    frame = dd.frame()
    players, cols_of = dd.players, {pl: dd.groups.get(pl, [pl]) for pl in dd.players}
    p = len(players)
    llf = np.empty(2**p)
    failed = 0
    for mask in range(2**p - 1):  # one model per subset (at most 2^12), not per row
        cols = list(dd.controls) + [
            c for j, pl in enumerate(players) if mask >> j & 1 for c in cols_of[pl]
        ]
        llf[mask], ok = _subset_loglik(frame, cols, dd.outcome, model)
        failed += not ok
    fit, notes = _reported_fit(frame, list(dd.controls) + list(dd.columns), dd.outcome, model)
    llf[-1] = fit.llf
    null = llf[0] if not dd.controls else _subset_loglik(frame, [], dd.outcome, model)[0]
    if failed:
        notes.append(
            f"{failed} of {2**p:,} subset fits did not converge; the importance of the "
            "drivers involved is approximate."
        )
    return fit.params, fit.bse, fit.pvalues, fit, 1.0 - llf / null, notes
