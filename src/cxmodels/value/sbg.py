"""The shifted-beta-geometric (sBG) model of contractual retention (Fader & Hardie 2007, 2010).

Each customer renews at the end of every period with a constant probability :math:`1-\\theta`,
and :math:`\\theta \\sim \\mathrm{Beta}(\\alpha, \\beta)` across customers, so the cohort's
retention rate rises over time as the least loyal leave. For subscription and telecom customers
it sits next to the Cox model: a value model whose lifetime is observed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import betaln, hyp2f1

from .._format import fmt_count, fmt_est, fmt_num, fmt_pct
from .._results import Findings, Result, result_dataclass
from .._validation import check_number, fail, require_columns
from ..i18n import t
from ._mle import Fit, maximise, param_table

NAMES = ["alpha", "beta"]


def churn_probabilities(alpha, beta, t_max: int) -> tuple[np.ndarray, np.ndarray]:
    """``P(T = t)`` for t = 1..t_max and ``S(t)`` for t = 0..t_max (F&H 2007, eqs. 1-2)."""
    t = np.arange(1, t_max + 1)
    log_p = betaln(alpha + 1, beta + t - 1) - betaln(alpha, beta)
    log_s = betaln(alpha, beta + np.arange(t_max + 1)) - betaln(alpha, beta)
    return np.exp(log_p), np.exp(log_s)


def _negll(theta, lost, censored):
    a, b = np.exp(theta)
    t_max = len(lost)
    t = np.arange(1, t_max + 1)
    ll = np.sum(lost * (betaln(a + 1, b + t - 1) - betaln(a, b)))
    ll += np.sum(censored * (betaln(a, b + np.arange(t_max + 1)) - betaln(a, b)))
    return -ll if np.isfinite(ll) else 1e300


def _counts_from_survivors(survivors) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = np.asarray(survivors, dtype=float)
    if n.ndim != 1 or n.size < 3 or not np.all(np.isfinite(n)):
        fail("survivors", "", "need at least 3 finite counts (period 0 first)",
             "pass survivors per period, e.g. [1000, 631, 468, ...]")  # fmt: skip
    drop = np.diff(n)
    if (n < 0).any() or (drop > 0).any():
        fail("survivors", "", "counts must be >= 0 and never rise",
             "pass the number still active at the start of each period",
             np.flatnonzero(drop > 0) + 1)  # fmt: skip
    censored = np.zeros(n.size)
    censored[-1] = n[-1]
    return -drop, censored, n


def _counts_from_table(table, duration_col, event_col, period):
    require_columns(table, [duration_col, event_col], "survival table")
    d = pd.to_numeric(table[duration_col], errors="coerce").to_numpy(float)
    e = table[event_col].to_numpy()
    bad = ~np.isfinite(d) | (d < 0)
    if bad.any():
        fail("survival table", duration_col, "durations missing or negative",
             "drop or fix those rows", table.index[bad])  # fmt: skip
    e = e.astype(bool)
    t_lost = np.maximum(np.ceil(d[e] / period), 1).astype(int)
    k_cens = np.floor(d[~e] / period).astype(int)
    t_max = int(max(t_lost.max(initial=1), k_cens.max(initial=1)))
    lost = np.bincount(t_lost, minlength=t_max + 1)[1:].astype(float)
    censored = np.bincount(k_cens, minlength=t_max + 1).astype(float)
    at_risk = (
        len(d)
        - np.concatenate([[0], np.cumsum(lost)])
        - np.concatenate([[0], np.cumsum(censored[:-1])])
    )
    return lost, censored, at_risk


@result_dataclass
class SBGResult(Result):
    """A fitted sBG retention model.

    Attributes
    ----------
    table : DataFrame
        ``parameter`` (alpha, beta), ``estimate``, ``se``, ``ci_low``, ``ci_high``.
    params : dict
    loglik : float
    n_customers : float
    observed : DataFrame
        ``period``, ``at_risk`` (customers starting the period; for a customer table, those not
        yet lost or censored), ``lost``, ``censored``.
    converged : bool
    fit : Fit

    References
    ----------
    Fader, P. S. & Hardie, B. G. S. (2007). How to project customer retention. *Journal of
    Interactive Marketing* 21(1), 76-90. Fader & Hardie (2010). Customer-base valuation in a
    contractual setting: the perils of ignoring heterogeneity. *Marketing Science* 29(1), 85-93.
    """

    table: pd.DataFrame
    params: dict
    loglik: float
    n_customers: float
    observed: pd.DataFrame
    converged: bool
    fit: Fit

    def retention(self, periods: int = 12) -> pd.DataFrame:
        """Projected survival and retention per period.

        Returns
        -------
        DataFrame
            ``period`` (0..periods), ``survival`` S(t), ``retention`` r_t = S(t)/S(t-1)
            = (beta + t - 1)/(alpha + beta + t - 1), ``survivors`` (n_customers x S(t)),
            ``observed`` (actual survivors where the data has them; cohort input only).
        """
        check_number("periods", periods, low=1, integer=True)
        a, b = self.params["alpha"], self.params["beta"]
        _, s = churn_probabilities(a, b, int(periods))
        t = np.arange(int(periods) + 1)
        obs = np.full(t.size, np.nan)
        known = self.observed["at_risk"].to_numpy()[: t.size]
        obs[: known.size] = known
        return pd.DataFrame(
            {
                "period": t,
                "survival": s,
                "retention": np.r_[np.nan, (b + t[1:] - 1) / (a + b + t[1:] - 1)],
                "survivors": self.n_customers * s,
                "observed": obs,
            }
        )

    def derl(self, discount_rate: float, renewals: int = 0) -> float:
        """Discounted expected residual lifetime (periods) of a customer who has renewed
        ``renewals`` times, just before her next renewal decision (F&H 2010, eq. 6).

        Notes
        -----
        :math:`DERL = \\frac{\\beta + n}{\\alpha + \\beta + n}\\,
        {}_2F_1(1, \\beta + n + 1; \\alpha + \\beta + n + 1; \\frac{1}{1+d})` with n renewals so
        far. Payments fall at the start of each period, so the next renewal is counted
        undiscounted: :math:`DERL = \\sum_{t \\ge n} (1+d)^{-(t-n)} S(t)/S(n-1)`. Multiply by the
        margin per period for the residual value.
        """
        check_number("discount_rate", discount_rate, low=0, low_open=True)
        check_number("renewals", renewals, low=0, integer=True)
        a, b, n = self.params["alpha"], self.params["beta"], int(renewals) + 1
        return float(
            (b + n - 1) / (a + b + n - 1) * hyp2f1(1, b + n, a + b + n, 1 / (1 + discount_rate))
        )

    def expected_lifetime(self, discount_rate: float) -> float:
        """Discounted expected lifetime (periods, first payment included) of a new customer.

        Notes
        -----
        :math:`DEL = {}_2F_1(1, \beta; \alpha+\beta; \frac{1}{1+d})
        = \\sum_{t \\ge 0} S(t) (1+d)^{-t}` (Fader & Hardie 2010, eq. 4).
        """
        check_number("discount_rate", discount_rate, low=0, low_open=True)
        a, b = self.params["alpha"], self.params["beta"]
        return float(hyp2f1(1, b, a + b, 1 / (1 + discount_rate)))

    def _summary_parts(self):
        facts = {"customers": self.n_customers, "log-likelihood": fmt_num(self.loglik, 3)}
        tables = {"parameters": self.table, "retention": self.retention(len(self.observed) + 4)}
        notes = ["Shifted-beta-geometric model; retention rises as the least loyal leave."]
        return "sBG retention model", facts, tables, notes

    def findings(self) -> Findings:
        a, b = self.params["alpha"], self.params["beta"]
        ret = self.retention(len(self.observed) + 4)
        row = self.table.set_index("parameter")
        f = [
            t(
                "value.sbg_churn",
                n=fmt_count(self.n_customers),
                p=fmt_pct(a / (a + b), 1),
                alpha=fmt_est(a, row.loc["alpha", "ci_low"], row.loc["alpha", "ci_high"], 3),
                beta=fmt_est(b, row.loc["beta", "ci_low"], row.loc["beta", "ci_high"], 3),
            ),
            t(
                "value.sbg_retention",
                first=fmt_pct(ret["retention"].iloc[1], 1),
                last=fmt_pct(ret["retention"].iloc[-1], 1),
                period=int(ret["period"].iloc[-1]),
                life=fmt_num(self.expected_lifetime(0.1), 1),
            ),
        ]
        cav = () if self.converged else (t("value.optimiser_not_converged"),)
        return Findings(tuple(f), cav)


def fit_sbg(
    survivors_by_period=None,
    *,
    table: pd.DataFrame | None = None,
    duration_col: str = "duration",
    event_col: str = "event",
    period: float = 12.0,
) -> SBGResult:
    """Fit the sBG model to a cohort's survivors or to a customer-level survival table.

    Parameters
    ----------
    survivors_by_period : sequence of numbers, optional
        Customers still active at the start of periods 0, 1, 2, ... (period 0 = cohort size).
    table : DataFrame, optional
        Customer level instead: ``duration_col`` (time since the start, e.g. from
        :func:`cxmodels.survival_table`, in months) and ``event_col`` (1 = churned).
    duration_col, event_col : str
        Columns of ``table``.
    period : float
        Length of one renewal period in the units of ``duration_col`` (12 = yearly contracts
        on monthly durations). A churn inside period k counts as lost at k; a censored
        customer counts as having survived the completed periods.

    Returns
    -------
    SBGResult
        ``.table``: ``parameter``, ``estimate``, ``se``, ``ci_low``, ``ci_high``.

    Notes
    -----
    :math:`P(T=t) = B(\\alpha+1, \\beta+t-1)/B(\\alpha,\\beta)`, :math:`S(t) =
    B(\\alpha, \\beta+t)/B(\\alpha,\\beta)`;
    :math:`LL = \\sum_t n^{lost}_t \\ln P(T=t) + \\sum_t n^{cens}_t \\ln S(t)`.

    References
    ----------
    Fader, P. S. & Hardie, B. G. S. (2007). How to project customer retention. *Journal of
    Interactive Marketing* 21(1), 76-90.
    """
    if (survivors_by_period is None) == (table is None):
        fail("argument", "survivors_by_period", "pass either survivors_by_period or table",
             "give a cohort's survivors, or a survival table with table=")  # fmt: skip
    if table is not None:
        check_number("period", period, low=0, low_open=True)
        lost, censored, at_risk = _counts_from_table(table, duration_col, event_col, period)
        n = float(len(table))
    else:
        lost, censored, at_risk = _counts_from_survivors(survivors_by_period)
        n = float(at_risk[0])
    if lost.sum() == 0:
        fail("survivors", "", "no customer was lost", "the model needs some churn to fit")
    fit = maximise(lambda th: _negll(th, lost, censored), np.zeros(2), NAMES, "sBG", has_grad=False)
    tab = param_table(fit, NAMES, [True, True])
    observed = pd.DataFrame(
        {
            "period": np.arange(at_risk.size),
            "at_risk": at_risk,
            "lost": np.r_[0, lost][: at_risk.size],
            "censored": censored[: at_risk.size],
        }
    )
    return SBGResult(
        table=tab,
        params=dict(zip(NAMES, tab["estimate"], strict=True)),
        loglik=fit.loglik,
        n_customers=n,
        observed=observed,
        converged=fit.converged,
        fit=fit,
    )
