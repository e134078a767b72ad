"""BG/NBD: the beta-geometric / negative binomial model of repeat purchasing.

While active, a customer buys at Poisson rate :math:`\\lambda \\sim \\mathrm{Gamma}(r, \\alpha)`;
after every purchase she drops out with probability :math:`p \\sim \\mathrm{Beta}(a, b)`.
Time-invariant covariates (Fader and Hardie 2007) scale the purchase rate,
:math:`\\alpha_i = \\alpha_0 e^{-\\gamma_p' x_i}` (so a positive coefficient means more purchases),
and the dropout, :math:`b_i = b_0 e^{\\gamma_d' z_i}` (a positive coefficient means a lower
dropout probability :math:`E[p] = a/(a+b_i)`). CLVTools puts dropout covariates on both ``a``
and ``b``; one coefficient per covariate on ``b`` is used here, which is identified with fewer
repeat buyers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import digamma, gammaln, hyp2f1

from .._results import result_dataclass
from .._validation import as_list
from ._base import PurchaseModel, build_result, covariate_matrix, rfm_arrays
from ._mle import maximise

BASE = ["r", "alpha", "a", "b"]


def _by_x(fn, shift, x, ux, inv):
    """``fn(shift + x)`` evaluated once per distinct ``x`` when ``shift`` is the same for every
    customer (a scalar, or one value per row of parameter vectors, shape ``(m, 1)``)."""
    if np.ndim(shift) == 0 or np.shape(shift)[-1] == 1:
        return fn(shift + ux)[..., inv]
    return fn(shift + x)


def loglik_terms(r, al, a, b, x, tx, T, grad: bool = True, ux=None, inv=None):
    """Per-customer log-likelihood of BG/NBD and its partials in (r, alpha_i, a, b_i).

    Notes
    -----
    :math:`L = \\frac{B(a,b+x)}{B(a,b)} \\frac{\\Gamma(r+x)\\alpha^r}{\\Gamma(r)(\\alpha+T)^{r+x}}
    + \\delta_{x>0} \\frac{B(a+1,b+x-1)}{B(a,b)}
    \\frac{\\Gamma(r+x)\\alpha^r}{\\Gamma(r)(\\alpha+t_x)^{r+x}}` (FHL 2005, eq. 6).
    """
    if ux is None:
        ux, inv = np.unique(x, return_inverse=True)
    pos = x > 0
    bx1 = np.where(pos, b + x - 1, 1.0)
    l_at, l_atx = np.log(al + T), np.log(al + tx)
    A1 = _by_x(gammaln, r, x, ux, inv) - gammaln(r) + r * np.log(al)
    A2 = gammaln(a + b) - gammaln(b) + _by_x(gammaln, b, x, ux, inv)
    A2 = A2 - _by_x(gammaln, a + b, x, ux, inv)
    A3 = -(r + x) * l_at
    A4 = np.where(pos, np.log(a) - np.log(bx1) - (r + x) * l_atx, -np.inf)
    mx = np.maximum(A3, A4)
    lse = mx + np.log(np.exp(A3 - mx) + np.exp(A4 - mx))
    ll = A1 + A2 + lse
    if not grad:
        return ll, None
    pi = np.exp(A4 - lse)
    dr = _by_x(digamma, r, x, ux, inv) - digamma(r) + np.log(al) - (1 - pi) * l_at - pi * l_atx
    dal = r / al - (r + x) * ((1 - pi) / (al + T) + pi / (al + tx))
    dab = digamma(a + b) - _by_x(digamma, a + b, x, ux, inv)
    da = dab + pi / a
    db = dab + _by_x(digamma, b, x, ux, inv) - digamma(b) - np.where(pos, pi / bx1, 0.0)
    return ll, (dr, dal, da, db)


def _negll(theta, x, tx, T, Xp, Xd, ux, inv):
    kp = Xp.shape[1]
    r, al0, a, b0 = np.exp(theta[:4])
    gp, gd = theta[4 : 4 + kp], theta[4 + kp :]
    al = al0 * np.exp(-Xp @ gp) if kp else al0
    b = b0 * np.exp(Xd @ gd) if gd.size else b0
    ll, (dr, dal, da, db) = loglik_terms(r, al, a, b, x, tx, T, True, ux, inv)
    s = ll.sum()
    if not np.isfinite(s):
        return 1e300, np.zeros_like(theta)
    g = [np.sum(dr) * r, np.sum(dal * al), np.sum(da) * a, np.sum(db * b)]
    g_p = -(Xp.T @ (dal * al)) if kp else np.zeros(0)
    g_d = Xd.T @ (db * b) if gd.size else np.zeros(0)
    return -s, -np.concatenate([g, g_p, g_d])


def score_terms(thetas, x, tx, T, Xp, Xd, ux, inv):
    """Per-customer log-likelihood and score at ``m`` parameter vectors (rows of ``thetas``).

    Returns ``ll`` of shape ``(m, n)`` and the score as parts ``(values, design)`` in the order
    of the parameters (log r, log alpha, log a, log b, purchase and dropout coefficients), as
    :mod:`cxmodels.value._refit` takes them; summed over customers they are minus the
    gradient of :func:`_negll`.
    """
    kp = Xp.shape[1]
    r, al0, a, b0 = (np.exp(thetas[:, [j]]) for j in range(4))
    al = al0 * np.exp(-(thetas[:, 4 : 4 + kp] @ Xp.T))
    b = b0 * np.exp(thetas[:, 4 + kp :] @ Xd.T)
    ll, (dr, dal, da, db) = loglik_terms(r, al, a, b, x, tx, T, True, ux, inv)
    dal, db = dal * al, db * b
    parts = [(dr * r, None), (dal, None), (da * a, None), (db, None), (-dal, Xp), (db, Xd)]
    return ll, parts


def given_alive(t, x, T, params):
    """Expected purchases in ``(T, T+t]`` of a customer alive at ``T`` (FHL 2005, eq. 10 numerator)."""
    r, al, a, b = params
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        f = hyp2f1(r + x, b + x, a + b + x - 1, t / (al + T + t))
        return (a + b + x - 1) / (a - 1) * (1 - ((al + T) / (al + T + t)) ** (r + x) * f)


def _negll_plain(theta, x, tx, T, ux, inv, nu, pos):
    """Negative log-likelihood and gradient without covariates: x-only terms summed by count.

    Same value as :func:`_negll` with no covariates; per customer only two logs, one exp and
    one log1p remain (``lse = A3 + log(1 + e^{A4 - A3})``).
    """
    r, al, a, b = np.exp(theta)
    ab = a + b
    # terms that depend on x only, weighted by the number of customers with that x
    s_x = np.sum(nu * (gammaln(r + ux) + gammaln(b + ux) - gammaln(ab + ux)))
    s_x += x.size * (r * np.log(al) - gammaln(r) + gammaln(ab) - gammaln(b))
    l_at, l_atx = np.log(al + T), np.log(al + tx)
    rx = r + x
    cu = np.where(ux > 0, b + ux - 1, 1.0)  # b + x - 1 per distinct x (unused at x = 0)
    d = (np.log(a) - np.log(cu))[inv] + rx * (l_at - l_atx)
    e = np.where(pos, np.exp(np.minimum(d, 700.0)), 0.0)
    ll = s_x + np.sum(np.log1p(e) - rx * l_at)
    if not np.isfinite(ll):
        return 1e300, np.zeros(4)
    pi = e / (1 + e)
    dr = np.sum(nu * digamma(r + ux)) + x.size * (np.log(al) - digamma(r))
    dr -= np.sum(l_at + pi * (l_atx - l_at))
    dal = x.size * r / al - np.sum(rx * ((1 - pi) / (al + T) + pi / (al + tx)))
    dab = x.size * digamma(ab) - np.sum(nu * digamma(ab + ux))
    da = dab + np.sum(pi) / a
    db = dab + np.sum(nu * digamma(b + ux)) - x.size * digamma(b) - np.sum(pi * (1 / cu)[inv])
    return -ll, -np.array([dr * r, dal * al, da * a, db * b])


def conditional_purchases(t, x, tx, T, params):
    """FHL (2005) eq. 10: expected purchases in ``(T, T + t]`` given ``(x, t_x, T)``."""
    return given_alive(t, x, T, params) / _odds_dead(x, tx, T, params)


def _odds_dead(x, tx, T, params):
    r, al, a, b = params
    pos = x > 0
    return 1 + np.where(
        pos, a / np.where(pos, b + x - 1, 1.0) * ((al + T) / (al + tx)) ** (r + x), 0.0
    )


def expected_purchases_new(t, params) -> np.ndarray:
    """FHL (2005) eq. 7: expected repeat purchases of a new customer in ``(0, t]``."""
    r, al, a, b = params
    t = np.asarray(t, dtype=float)
    return (
        (a + b - 1) / (a - 1) * (1 - (al / (al + t)) ** r * hyp2f1(r, b, a + b - 1, t / (al + t)))
    )


@result_dataclass
class BGNBDResult(PurchaseModel):
    """A fitted BG/NBD model.

    Attributes
    ----------
    table : DataFrame
        ``parameter`` (r, alpha, a, b, then ``purchase:<covariate>`` and ``dropout:<covariate>``),
        ``estimate``, ``se``, ``ci_low``, ``ci_high`` (95% Wald; log scale for r, alpha, a, b).
    params : dict
        Natural-scale estimates by name.
    loglik : float
    n_customers : int
    converged : bool
    rfm : DataFrame
        The customers the model was fitted on.
    purchase_covariates, dropout_covariates : tuple of str
    unit : str
    fit : Fit
        Raw optimiser output (unconstrained estimates and covariance).

    References
    ----------
    Fader, Hardie & Lee (2005), *Marketing Science* 24(2), 275-284; Fader & Hardie (2007),
    "Incorporating time-invariant covariates into the Pareto/NBD and BG/NBD models".
    """

    model_name = "BG/NBD"
    base_names = tuple(BASE)
    dropout_name = "b"

    def _given_alive(self, t, x, T, params):
        return given_alive(t, x, T, params)

    def _alive(self, x, tx, T, params):
        return 1 / _odds_dead(x, tx, T, params)

    def _new(self, t, params):
        return expected_purchases_new(t, params)

    def expected_purchases_new(self, t) -> np.ndarray:
        """Expected repeat purchases of a new (average-covariate) customer by time ``t``."""
        r, al, a, b = self._customer_params(self.rfm)
        return expected_purchases_new(t, (r, float(np.mean(al)), a, float(np.mean(b))))


def fit_bgnbd(
    rfm: pd.DataFrame,
    *,
    purchase_covariates=None,
    dropout_covariates=None,
    start: dict | None = None,
    unit: str | None = None,
    se: bool = True,
) -> BGNBDResult:
    """Fit BG/NBD by maximum likelihood (optionally with time-invariant covariates).

    Parameters
    ----------
    rfm : DataFrame
        From :func:`cxmodels.rfm_summary`: ``frequency``, ``recency``, ``T`` (and covariate
        columns when covariates are named).
    purchase_covariates, dropout_covariates : str or list of str, optional
        Numeric columns of ``rfm`` that shift the purchase rate (through alpha) and the dropout
        probability (through b). Centre them for interpretable alpha and b.
    start : dict, optional
        Starting values by parameter name.
    unit : str, optional
        Time unit label; default the RFM table's ``unit`` or ``"weeks"``.
    se : bool
        Compute standard errors (the Hessian); ``False`` for fast refits (bootstrap): no
        Hessian (standard errors NaN) and a relative tolerance of 1e-10 instead of 1e-14.

    Returns
    -------
    BGNBDResult
        ``.table`` columns: ``parameter``, ``estimate``, ``se``, ``ci_low``, ``ci_high``.

    Notes
    -----
    The log-likelihood (FHL 2005, eq. 6) is maximised over log r, log alpha, log a, log b and
    the raw covariate coefficients with an analytic gradient (L-BFGS-B); standard errors from
    the central-difference Hessian of that gradient.

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy way.
    *Marketing Science* 24(2), 275-284.
    """
    pc, dc = as_list(purchase_covariates), as_list(dropout_covariates)
    x, tx, T = rfm_arrays(rfm)
    Xp, Xd = covariate_matrix(rfm, pc, fitting=True), covariate_matrix(rfm, dc, fitting=True)
    names = BASE + [f"purchase:{c}" for c in pc] + [f"dropout:{c}" for c in dc]
    init = {"r": 1.0, "alpha": max(float(np.mean(T)), 1.0), "a": 1.0, "b": 1.0, **(start or {})}
    theta0 = np.concatenate(
        [np.log([init[k] for k in BASE]), [float(init.get(k, 0.0)) for k in names[4:]]]
    )
    ux, inv = np.unique(x, return_inverse=True)
    if pc or dc:
        fit = maximise(lambda th: _negll(th, x, tx, T, Xp, Xd, ux, inv), theta0, names, "BG/NBD",
                       hessian=se, ftol=1e-14 if se else 1e-10)  # fmt: skip
    else:
        nu, pos = np.bincount(inv).astype(float), x > 0
        f = lambda th: _negll_plain(th, x, tx, T, ux, inv, nu, pos)  # noqa: E731
        fit = maximise(f, theta0, names, "BG/NBD", hessian=se, ftol=1e-14 if se else 1e-10)
    return build_result(BGNBDResult, fit, names, rfm, pc, dc, unit)
