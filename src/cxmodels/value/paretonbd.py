"""Pareto/NBD: Poisson purchasing with exponential lifetimes (Schmittlein, Morrison & Colombo 1987).

While active a customer buys at rate :math:`\\lambda \\sim \\mathrm{Gamma}(r, \\alpha)` and
drops out at rate :math:`\\mu \\sim \\mathrm{Gamma}(s, \\beta)`. Covariates (Fader and Hardie
2007) scale :math:`\\alpha_i = \\alpha_0 e^{-\\gamma_p' x_i}` (positive: more purchases) and
:math:`\\beta_i = \\beta_0 e^{\\gamma_d' z_i}` (positive: lower dropout rate, longer lifetimes; the
sign is the opposite of CLVTools' so that both models read the same way).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import gammaln, hyp2f1

from .._results import result_dataclass
from .._validation import as_list
from ._base import PurchaseModel, build_result, covariate_matrix, rfm_arrays
from ._mle import maximise

BASE = ["r", "alpha", "s", "beta"]


def _log_terms(r, al, s, be, x, tx, T):
    """(log of the 'alive to T' term, log of the 'died in (t_x, T]' term) of the likelihood."""
    c = r + s + x
    big_a = al >= be
    m = np.where(big_a, al, be)
    bb = np.where(big_a, s + 1, r + x)
    d = np.abs(al - be)
    l1, l2 = np.log(m + tx), np.log(m + T)
    f1 = hyp2f1(c, bb, c + 1, d / (m + tx))
    f2 = hyp2f1(c, bb, c + 1, d / (m + T))
    with np.errstate(divide="ignore"):  # A0 = 0 when t_x = T: the customer is surely alive
        log_a0 = -c * l1 + np.log(np.maximum(f1 - f2 * np.exp(-c * (l2 - l1)), 0.0))
    term1 = -(r + x) * np.log(al + T) - s * np.log(be + T)
    term2 = np.log(s / c) + log_a0
    return term1, term2


def loglik(r, al, s, be, x, tx, T) -> np.ndarray:
    """Per-customer Pareto/NBD log-likelihood (Fader & Hardie 2005 note, eq. 22)."""
    t1, t2 = _log_terms(r, al, s, be, x, tx, T)
    return gammaln(r + x) - gammaln(r) + r * np.log(al) + s * np.log(be) + np.logaddexp(t1, t2)


def _negll(theta, x, tx, T, Xp, Xd):
    kp = Xp.shape[1]
    r, al, s, be = np.exp(theta[:4])
    if kp:
        al = al * np.exp(-Xp @ theta[4 : 4 + kp])
    if Xd.shape[1]:
        be = be * np.exp(Xd @ theta[4 + kp :])
    with np.errstate(all="ignore"):
        v = -float(np.sum(loglik(r, al, s, be, x, tx, T)))
    return v if np.isfinite(v) else 1e300


def prob_alive(x, tx, T, params) -> np.ndarray:
    r, al, s, be = params
    t1, t2 = _log_terms(r, al, s, be, x, tx, T)
    return 1 / (1 + np.exp(np.clip(t2 - t1, -700, 700)))


def given_alive(t, x, T, params) -> np.ndarray:
    """Expected purchases in ``(T, T+t]`` of a customer alive at ``T``."""
    r, al, s, be = params
    with np.errstate(all="ignore"):
        if np.isclose(s, 1.0):
            growth = np.log((be + T + t) / (be + T))
        else:
            growth = (1 - ((be + T) / (be + T + t)) ** (s - 1)) / (s - 1)
        return (r + x) * (be + T) / (al + T) * growth


def conditional_purchases(t, x, tx, T, params) -> np.ndarray:
    """Expected purchases in ``(T, T+t]`` (Fader & Hardie 2005 note, eq. 41)."""
    return given_alive(t, x, T, params) * prob_alive(x, tx, T, params)


def expected_purchases_new(t, params) -> np.ndarray:
    """Expected repeat purchases of a new customer in ``(0, t]`` (Fader & Hardie 2005 note, eq. 17)."""
    r, al, s, be = params
    if np.isclose(s, 1.0):
        return r / al * be * np.log1p(t / be)
    return r * be / (al * (s - 1)) * (1 - (be / (be + t)) ** (s - 1))


@result_dataclass
class ParetoNBDResult(PurchaseModel):
    """A fitted Pareto/NBD model (attributes as :class:`~cxmodels.value.bgnbd.BGNBDResult`).

    ``.table`` columns: ``parameter`` (r, alpha, s, beta, covariate effects), ``estimate``,
    ``se``, ``ci_low``, ``ci_high``.

    References
    ----------
    Schmittlein, Morrison & Colombo (1987), *Management Science* 33(1), 1-24; Fader & Hardie
    (2005), "A note on deriving the Pareto/NBD model and related expressions".
    """

    model_name = "Pareto/NBD"
    base_names = tuple(BASE)
    dropout_name = "beta"

    def _given_alive(self, t, x, T, params):
        return given_alive(t, x, T, params)

    def _alive(self, x, tx, T, params):
        return prob_alive(x, tx, T, params)

    def _new(self, t, params):
        return expected_purchases_new(t, params)


def fit_pareto_nbd(
    rfm: pd.DataFrame,
    *,
    purchase_covariates=None,
    dropout_covariates=None,
    start: dict | None = None,
    unit: str | None = None,
) -> ParetoNBDResult:
    """Fit the Pareto/NBD model by maximum likelihood (optionally with covariates).

    Parameters
    ----------
    rfm : DataFrame
        ``frequency``, ``recency``, ``T`` (from :func:`cxmodels.rfm_summary`).
    purchase_covariates, dropout_covariates : str or list of str, optional
        Numeric columns of ``rfm`` scaling alpha (purchase rate) and beta (lifetime).
    start : dict, optional
        Starting values by name.
    unit : str, optional
        Time unit label; default the RFM table's ``unit`` or ``"weeks"``.

    Returns
    -------
    ParetoNBDResult
        ``.table``: ``parameter``, ``estimate``, ``se``, ``ci_low``, ``ci_high``.

    Notes
    -----
    :math:`L = \\frac{\\Gamma(r+x)\\alpha^r\\beta^s}{\\Gamma(r)}\\left[\\frac{1}{(\\alpha+T)^{r+x}
    (\\beta+T)^s} + \\frac{s}{r+s+x} A_0\\right]` with :math:`A_0` the Gauss hypergeometric
    difference of Fader & Hardie (2005). Maximised over log-parameters (Nelder-Mead, then BFGS);
    standard errors from a central-difference Hessian of the log-likelihood.

    References
    ----------
    Schmittlein, D. C., Morrison, D. G. & Colombo, R. (1987). Counting your customers: who are
    they and what will they do next? *Management Science* 33(1), 1-24.
    """
    pc, dc = as_list(purchase_covariates), as_list(dropout_covariates)
    x, tx, T = rfm_arrays(rfm)
    Xp, Xd = covariate_matrix(rfm, pc, fitting=True), covariate_matrix(rfm, dc, fitting=True)
    names = BASE + [f"purchase:{c}" for c in pc] + [f"dropout:{c}" for c in dc]
    init = {
        "r": 0.5,
        "alpha": max(float(np.mean(T)) / 4, 1.0),
        "s": 0.5,
        "beta": max(float(np.mean(T)) / 4, 1.0),
        **(start or {}),
    }
    theta0 = np.concatenate([np.log([init[k] for k in BASE]), np.zeros(len(pc) + len(dc))])
    fit = maximise(
        lambda th: _negll(th, x, tx, T, Xp, Xd), theta0, names, "Pareto/NBD", has_grad=False
    )
    return build_result(ParetoNBDResult, fit, names, rfm, pc, dc, unit)
