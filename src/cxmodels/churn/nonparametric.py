r"""Kaplan-Meier retention curves with R ``survfit``'s three kinds of bands, medians, log-rank.

.. math::

    \hat S(t) = \prod_{t_j \le t} \Bigl(1 - \frac{d_j}{n_j}\Bigr), \qquad
    \hat V(t) = \sum_{t_j \le t} \frac{d_j}{n_j (n_j - d_j)} \quad\text{(Greenwood)}

Bands (``conf_type``, with :math:`z = \Phi^{-1}(1 - \alpha/2)`, as R ``survfit``):
``"log-log"`` (the default here, as lifelines; bands stay inside (0, 1)):
:math:`\exp(-\exp(\log(-\log\hat S) \pm z \sqrt{\hat V} / \log \hat S))`;
``"log"`` (R's default): :math:`\hat S \exp(\pm z \sqrt{\hat V})`, capped at 1;
``"plain"``: :math:`\hat S (1 \pm z \sqrt{\hat V})`, clipped to [0, 1].
The median's interval runs from the first time the lower band reaches 0.5 to the first time the
upper band does (Brookmeyer and Crowley 1982). Medians and their limits follow R
``quantile.survfit``: the first time the curve falls to 0.5 or below, except where the curve is
flat at exactly 0.5 (within :math:`\sqrt{\epsilon}`), where the median is the midpoint of the flat
(from the time it reached 0.5 to the next event time, or to the last follow-up time when the
curve ends on the flat).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from lifelines.statistics import multivariate_logrank_test
from scipy.stats import norm

from .._format import fmt_count, fmt_level, fmt_num, fmt_p, fmt_pct, label
from .._results import Findings, Result, result_dataclass
from .._validation import check_level, check_option, require_columns
from ..i18n import is_english, t, unit_word
from ..plots import km_curves
from ._checks import check_survival
from .tables import UNITS

CONF_TYPES = ("log-log", "log", "plain")


def _bands(S, V, z, conf_type):
    se = np.sqrt(V)
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "plain":
            lo, hi = np.clip(S - z * S * se, 0, 1), np.clip(S + z * S * se, 0, 1)
        elif conf_type == "log":
            lo, hi = S * np.exp(-z * se), np.minimum(S * np.exp(z * se), 1)
        else:
            xx = np.log(-np.log(S))
            w = z * se / np.log(S)
            lo, hi = np.exp(-np.exp(xx - w)), np.exp(-np.exp(xx + w))
    one = S >= 1
    lo, hi = np.where(one, 1.0, lo), np.where(one, 1.0, hi)
    zero = S <= 0
    return np.where(zero, 0.0, lo), np.where(zero, 0.0, hi)


def km_curve(T, E, alpha=0.05, conf_type="log-log") -> pd.DataFrame:
    """One Kaplan-Meier curve: ``time`` (0 and every observed time), ``survival``, ``ci_low``,
    ``ci_high``, ``at_risk``, ``events``."""
    t, inv = np.unique(np.r_[0.0, T], return_inverse=True)
    inv = inv[1:]
    d = np.bincount(inv, weights=E, minlength=len(t))
    n = len(T) - np.r_[0, np.cumsum(np.bincount(inv, minlength=len(t)))[:-1]]
    with np.errstate(divide="ignore", invalid="ignore"):
        S = np.cumprod(1 - d / np.where(n > 0, n, 1))
        V = np.cumsum(np.where(d > 0, d / (n * (n - d)), 0.0))
    lo, hi = _bands(S, V, norm.ppf(1 - alpha / 2), conf_type)
    return pd.DataFrame(
        {"time": t, "survival": S, "ci_low": lo, "ci_high": hi, "at_risk": n, "events": d}
    )


def _group_name(by: str, group) -> str:
    """'detractors' for NPS groups, 'segment premium' otherwise."""
    name = str if is_english() else label
    if by == "nps_group":
        return t("churn.km_nps_group", group=name(group))
    return t("churn.km_group", by=label(by), group=name(group))


#: R ``quantile.survfit``'s tolerance for a curve that is flat exactly at the quantile.
QUANTILE_TOL = float(np.sqrt(np.finfo(float).eps))


def km_quantile(t, s, p: float = 0.5, tol: float = QUANTILE_TOL) -> float:
    """The time at which a survival step curve ``s`` (at times ``t``) falls to ``1 - p``.

    R ``quantile.survfit``'s rule: the first time the distribution function :math:`1 - S`
    reaches ``p``; where it is flat at ``p`` (within ``tol``), the midpoint of the flat (to the
    next jump, or to the last time when the curve ends on the flat). ``inf`` when not reached.
    """
    t, y = np.asarray(t, dtype=float), 1 - np.asarray(s, dtype=float)
    ok = ~np.isnan(y)
    t, y, last = t[ok], y[ok], float(np.asarray(t, dtype=float)[-1])
    first = np.r_[True, np.diff(y) != 0]  # one point per level (censored times add none)
    t, y = t[first], y[first]
    i1 = np.flatnonzero(y >= p - tol)
    if not i1.size:
        return float("inf")
    i2 = np.flatnonzero(y >= p + tol)
    if i2.size:
        return float((t[i1[0]] + t[i2[0]]) / 2)
    return float((t[i1[0]] + last) / 2) if abs(p - y[-1]) < tol else float("inf")


def _median_row(curve: pd.DataFrame) -> dict:
    """The median and its limits (R: bands where the curve has reached 0 are missing)."""
    t, S = curve["time"].to_numpy(), curve["survival"].to_numpy()
    gone = S <= 0
    band = {k: np.where(gone, np.nan, curve[k].to_numpy()) for k in ("ci_low", "ci_high")}
    return {"median": km_quantile(t, S), **{k: km_quantile(t, b) for k, b in band.items()}}


@result_dataclass
class KMResult(Result):
    """Kaplan-Meier curves.

    Attributes
    ----------
    table : DataFrame
        Tidy curves: ``group``, ``time``, ``survival``, ``ci_low``, ``ci_high``, ``at_risk``.
    medians : DataFrame
        ``group``, ``n``, ``events``, ``median``, ``ci_low``, ``ci_high`` (inf: not reached).
    logrank : DataFrame or None
        The log-rank test across groups: ``test_statistic``, ``df``, ``p_value``.
    by : str or None
        The grouping column.
    unit : str
        Time unit.
    conf_type : str
        Band type: ``"log-log"``, ``"log"`` or ``"plain"``.
    alpha : float
        1 - the confidence level of the bands; the log-rank verdict is decided at ``alpha``.
    dropped : int
        Rows left out because their ``by`` group is missing (counted, and said in the caveats).
    """

    table: pd.DataFrame
    medians: pd.DataFrame
    logrank: pd.DataFrame | None
    by: str | None
    unit: str
    conf_type: str
    alpha: float = 0.05
    dropped: int = 0

    def survival_at(self, times, group=None) -> pd.DataFrame:
        """Retention (survival probability) at chosen horizons, per group, with intervals:
        ``group``, ``time``, ``survival``, ``ci_low``, ``ci_high`` (step function)."""
        times = np.atleast_1d(np.asarray(times, dtype=float))
        parts = []
        for g, c in self.table.groupby("group", sort=False):  # loop over a few groups
            if group is not None and g != group:
                continue
            idx = np.searchsorted(c["time"].to_numpy(), times, side="right") - 1
            sel = c.iloc[np.maximum(idx, 0)]
            parts.append(
                pd.DataFrame(
                    {
                        "group": g,
                        "time": times,
                        "survival": sel["survival"].to_numpy(),
                        "ci_low": sel["ci_low"].to_numpy(),
                        "ci_high": sel["ci_high"].to_numpy(),
                    }
                )
            )
        return pd.concat(parts, ignore_index=True)

    def _summary_parts(self):
        tables = {"Median survival": self.medians.set_index("group")}
        if self.logrank is not None:
            tables["Log-rank test"] = self.logrank
        return (
            t("summary.km.title_by", by=label(self.by)) if self.by else t("summary.km.title"),
            {"time unit": self.unit, "confidence bands": self.conf_type},
            tables,
            [],
        )

    def findings(self, horizon: float | None = None) -> Findings:
        """Retention at ``horizon`` (default: 12 months in the table's unit) per group, the
        medians, and the log-rank test."""
        h = horizon if horizon is not None else 12 * UNITS["months"] / UNITS[self.unit]
        at = self.survival_at([h])
        f = []
        for _, r in at.iterrows():  # loop over a few groups
            who = t("churn.km_customers") if self.by is None else _group_name(self.by, r["group"])
            f.append(
                t(
                    "churn.km_after",
                    h=fmt_num(h, 0),
                    unit=unit_word(self.unit),
                    share=fmt_pct(r["survival"]),
                    who=who,
                    low=fmt_pct(r["ci_low"]),
                    high=fmt_pct(r["ci_high"]),
                    level=fmt_level(1 - self.alpha),
                )
            )
        if self.logrank is not None:
            lr = self.logrank.iloc[0]
            key = "churn.logrank_differ" if lr["p_value"] < self.alpha else "churn.logrank_same"
            f.append(t(key, p=fmt_p(lr["p_value"]), alpha=f"{self.alpha:.10g}"))
        c = []
        small = self.medians[self.medians["n"] < 30]
        if len(small):
            name = str if is_english() else label
            c.append(t("churn.km_small", groups=", ".join(map(name, small["group"]))))
        if self.dropped:
            c.append(t("churn.km_missing_group", n=fmt_count(self.dropped), by=label(self.by)))
        return Findings(tuple(f), tuple(c))

    def plot(self, ax=None):
        return km_curves(
            self.table,
            ax=ax,
            unit=self.unit,
            title=t("fig.retention_by", x=label(self.by)) if self.by else t("fig.Retention"),
        )


def kaplan_meier(
    table: pd.DataFrame,
    by: str | None = None,
    *,
    duration_col: str = "duration",
    event_col: str = "event",
    alpha: float = 0.05,
    unit: str = "months",
    conf_type: str = "log-log",
) -> KMResult:
    """Kaplan-Meier retention curves with Greenwood bands, medians and the log-rank test.

    Parameters
    ----------
    table : DataFrame
        Survival data; durations >= 0 (zero durations are accepted, as in R ``survfit``).
    by : str, optional
        Column whose groups get one curve each (and the log-rank test).
    duration_col, event_col : str
        Column names.
    alpha : float
        1 - confidence level of the bands.
    unit : str
        Time unit of the durations.
    conf_type : {"log-log", "log", "plain"}
        Band type. The default, "log-log", is lifelines' (and cxmodels' before 0.2); R
        ``survfit``'s default is "log". Each matches R ``survfit(conf.type=...)``.

    Returns
    -------
    KMResult
        ``table`` with ``group``, ``time``, ``survival``, ``ci_low``, ``ci_high``, ``at_risk``.

    Notes
    -----
    See the module docstring for the estimator, the Greenwood variance and the bands.

    References
    ----------
    Kaplan and Meier (1958), JASA 53, 457-481; Brookmeyer and Crowley (1982), Biometrics 38, 29-41.
    """
    check_option("conf_type", conf_type, CONF_TYPES, "kaplan_meier")
    check_option("unit", unit, list(UNITS), "kaplan_meier")
    a = check_level(alpha, "alpha")
    T, E = check_survival(table, duration_col, event_col, "survival table")
    if by is not None:
        require_columns(table, [by], "survival table")
        codes, groups = pd.factorize(table[by], sort=True)
    else:
        codes, groups = np.zeros(len(table), dtype=int), ["all"]
    curves, meds = [], []
    for k, g in enumerate(groups):  # loop over a few groups
        sel = codes == k
        c = km_curve(T[sel], E[sel], a, conf_type)
        curves.append(c.drop(columns="events").assign(group=g))
        meds.append(
            {
                "group": g,
                "n": int(sel.sum()),
                "events": int(E[sel].sum()),
                **_median_row(c),
            }
        )
    lr = None
    if by is not None and len(groups) > 1:
        ok = codes >= 0
        t = multivariate_logrank_test(T[ok], codes[ok], E[ok])
        lr = pd.DataFrame(
            [{"test_statistic": t.test_statistic, "df": t.degrees_of_freedom, "p_value": t.p_value}]
        )
    cols = ["group", "time", "survival", "ci_low", "ci_high", "at_risk"]
    table_ = pd.concat(curves, ignore_index=True)[cols]
    dropped = int((codes < 0).sum())
    return KMResult(table_, pd.DataFrame(meds), lr, by, unit, conf_type, a, dropped)
