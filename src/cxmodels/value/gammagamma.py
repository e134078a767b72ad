"""Gamma-Gamma: the value of a customer's purchases (Fader, Hardie & Lee 2005; Fader & Hardie 2013).

Each purchase of customer *i* has value :math:`z \\sim \\mathrm{Gamma}(p, \\nu_i)` with
:math:`\\nu_i \\sim \\mathrm{Gamma}(q, \\gamma)`; the mean repeat value :math:`\\bar z` of
``x`` repeat purchases then has a closed-form marginal density. The model assumes that value
is independent of purchase frequency: the correlation of the two is reported as a check.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import digamma, gammaln

from .._format import fmt_count, fmt_est, fmt_num
from .._results import Findings, Result, result_dataclass
from .._validation import fail
from ..i18n import t
from ._mle import Fit, maximise, param_table
from .rfm import check_rfm

NAMES = ["p", "q", "gamma"]


def _prepare(x, z):
    """Sufficient pieces of the data: distinct x with counts and the constant sums."""
    ux, inv = np.unique(x, return_inverse=True)
    lz, lx = np.log(z), np.log(x)
    const = {"sum_xlz_xlx": float(np.sum(x * (lz + lx))), "sum_lz": float(np.sum(lz))}
    return ux, np.bincount(inv).astype(float), const


def _negll(theta, x, z, prep=None):
    """Negative log-likelihood and gradient (x-only terms summed over the distinct x)."""
    ux, nu, const = prep or _prepare(x, z)
    p, q, g = np.exp(theta)
    n = x.size
    lg = np.log(g + x * z)
    ll = (
        np.sum(nu * (gammaln(p * ux + q) - gammaln(p * ux))) - n * gammaln(q) + n * q * np.log(g)
        + p * const["sum_xlz_xlx"] - const["sum_lz"] - p * np.sum(x * lg) - q * np.sum(lg)
    )  # fmt: skip
    if not np.isfinite(ll):
        return 1e300, np.zeros(3)
    dpq = digamma(p * ux + q)
    dp = np.sum(nu * ux * (dpq - digamma(p * ux))) + const["sum_xlz_xlx"] - np.sum(x * lg)
    dq = np.sum(nu * dpq) - n * digamma(q) + n * np.log(g) - np.sum(lg)
    dg = n * q / g - np.sum((p * x + q) / (g + x * z))
    return -ll, -np.array([dp * p, dq * q, dg * g])


def score_terms(thetas, x, z):
    """Per-customer log-likelihood and score at ``m`` parameter vectors (rows of ``thetas``).

    Returns ``ll`` of shape ``(m, n)`` and the parts ``(values, None)`` of the score in log p,
    log q, log gamma, as :mod:`cxmodels.value._refit` takes them (summed over customers they are
    minus the gradient of :func:`_negll`).
    """
    p, q, g = (np.exp(thetas[:, [j]]) for j in range(3))
    px, lg, lz, lx = p * x, np.log(g + x * z), np.log(z), np.log(x)
    dpq = digamma(px + q)
    ll = (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(g) + px * (lz + lx) - lz
          - (px + q) * lg)  # fmt: skip
    dp = x * (dpq - digamma(px) + lz + lx - lg)
    dq = dpq - digamma(q) + np.log(g) - lg
    dg = q / g - (px + q) / (g + x * z)
    return ll, [(dp * p, None), (dq * q, None), (dg * g, None)]


@result_dataclass
class GammaGammaResult(Result):
    """A fitted Gamma-Gamma spend model.

    Attributes
    ----------
    table : DataFrame
        ``parameter`` (p, q, gamma), ``estimate``, ``se``, ``ci_low``, ``ci_high``.
    params : dict
    loglik : float
    n_customers : int
        Repeat buyers used in the fit.
    independence : DataFrame
        ``correlation`` of frequency and mean repeat value among repeat buyers, ``ci_low``,
        ``ci_high`` (Fisher z), ``p_value``, ``n``.
    converged : bool
    fit : Fit

    References
    ----------
    Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM and CLV: using iso-value curves for
    customer base analysis. *Journal of Marketing Research* 42(4), 415-430; Fader & Hardie (2013),
    "The Gamma-Gamma model of monetary value".
    """

    table: pd.DataFrame
    params: dict
    loglik: float
    n_customers: int
    independence: pd.DataFrame
    converged: bool
    fit: Fit

    @property
    def population_mean(self) -> float:
        """Mean spend per purchase in the population, :math:`p\\gamma/(q-1)` (needs q > 1)."""
        p, q, g = (self.params[k] for k in NAMES)
        return p * g / (q - 1) if q > 1 else float("nan")

    def expected_spend(self, rfm: pd.DataFrame) -> pd.Series:
        """Conditional expected spend per purchase, :math:`(p(\\gamma + x\\bar z))/(px + q - 1)`.

        Customers without repeat purchases get the population mean.
        """
        check_rfm(rfm, monetary=True)
        p, q, g = (self.params[k] for k in NAMES)
        x = rfm["frequency"].to_numpy(dtype=float)
        z = rfm["monetary_value"].to_numpy(dtype=float)
        z = np.where(x > 0, z, 0.0)
        out = p * (g + x * z) / (p * x + q - 1)
        return pd.Series(out, index=rfm.index, name="expected_spend")

    def _summary_parts(self):
        facts = {
            "repeat buyers": self.n_customers,
            "log-likelihood": fmt_num(self.loglik, 2),
            "mean spend per purchase": self.population_mean,
            "converged": self.converged,
        }
        notes = ["Fitted on customers with at least one repeat purchase (their mean repeat value)."]
        tables = {"parameters": self.table, "independence check": self.independence}
        return "Gamma-Gamma spend model", facts, tables, notes

    def findings(self) -> Findings:
        ind = self.independence.iloc[0]
        r = fmt_est(ind["correlation"], ind["ci_low"], ind["ci_high"], 2, signed=True)
        f = [
            t(
                "value.spend",
                n=fmt_count(self.n_customers),
                mean=fmt_num(self.population_mean, 2),
            ),
            t("value.spend_correlation", r=r),
        ]
        cav = []
        if abs(ind["correlation"]) > 0.3:
            cav.append(t("value.spend_dependent"))
        if not self.converged:
            cav.append(t("value.optimiser_not_converged_cleanly"))
        return Findings(tuple(f), tuple(cav))


def independence_check(x: np.ndarray, z: np.ndarray) -> pd.DataFrame:
    """Pearson correlation of frequency and mean repeat value, with a Fisher-z 95% interval."""
    n = x.size
    if n < 4 or np.std(x) == 0 or np.std(z) == 0:
        return pd.DataFrame(
            {"correlation": [np.nan], "ci_low": [np.nan], "ci_high": [np.nan],
             "p_value": [np.nan], "n": [n]}
        )  # fmt: skip
    res = stats.pearsonr(x, z)
    zf, se = np.arctanh(res.statistic), 1 / np.sqrt(n - 3)
    return pd.DataFrame(
        {
            "correlation": [float(res.statistic)],
            "ci_low": [float(np.tanh(zf - 1.96 * se))],
            "ci_high": [float(np.tanh(zf + 1.96 * se))],
            "p_value": [float(res.pvalue)],
            "n": [n],
        }
    )


def fit_gamma_gamma(rfm: pd.DataFrame, *, start: dict | None = None) -> GammaGammaResult:
    """Fit the Gamma-Gamma model of spend per purchase to the repeat buyers of ``rfm``.

    Parameters
    ----------
    rfm : DataFrame
        ``frequency`` and ``monetary_value`` (mean repeat amount) per customer; customers with
        frequency 0 are skipped.
    start : dict, optional
        Starting values for ``p``, ``q``, ``gamma``.

    Returns
    -------
    GammaGammaResult
        ``.table``: ``parameter``, ``estimate``, ``se``, ``ci_low``, ``ci_high``.

    Notes
    -----
    :math:`f(\\bar z \\mid x) = \\frac{\\Gamma(px+q)}{\\Gamma(px)\\Gamma(q)}
    \\frac{\\gamma^q \\bar z^{px-1} x^{px}}{(\\gamma + x\\bar z)^{px+q}}`, maximised over the
    log-parameters with an analytic gradient.

    References
    ----------
    Fader, P. S. & Hardie, B. G. S. (2013). The Gamma-Gamma model of monetary value.
    http://brucehardie.com/notes/025/
    """
    if "monetary_value" in rfm and not rfm["monetary_value"].notna().any():
        fail("rfm", "monetary_value", "no purchase amounts at all",
             "add an amount column to the purchase interactions "
             "(cx.value.with_purchases(data) for the synthetic world)")  # fmt: skip
    check_rfm(rfm, monetary=True)
    rep = rfm["frequency"].to_numpy(dtype=float) > 0
    if rep.sum() < 10:
        fail("rfm", "frequency", f"only {int(rep.sum())} customers with repeat purchases",
             "Gamma-Gamma needs at least 10 repeat buyers; lengthen the calibration period")  # fmt: skip
    x = rfm["frequency"].to_numpy(dtype=float)[rep]
    z = rfm["monetary_value"].to_numpy(dtype=float)[rep]
    init = {"p": 1.0, "q": 1.0, "gamma": float(np.mean(z)), **(start or {})}
    theta0 = np.log([init[k] for k in NAMES])
    prep = _prepare(x, z)
    fit = maximise(lambda th: _negll(th, x, z, prep), theta0, NAMES, "Gamma-Gamma")
    table = param_table(fit, NAMES, [True] * 3)
    return GammaGammaResult(
        table=table,
        params=dict(zip(NAMES, table["estimate"], strict=True)),
        loglik=fit.loglik,
        n_customers=int(rep.sum()),
        independence=independence_check(x, z),
        converged=fit.converged,
        fit=fit,
    )
