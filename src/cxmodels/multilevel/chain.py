"""``cx.service_profit_chain``: staff satisfaction by branch carried into customer outcomes."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .._format import fmt_ci, fmt_count, fmt_num, fmt_pct, label
from .._results import Findings, Result, result_dataclass
from .._validation import as_list, check_level, fail
from ..i18n import t
from .fit import INTERCEPT, MultilevelResult, fit_multilevel, model_frame

#: Harter, Schmidt and Hayes (2002), Table 3: true-score correlation of business-unit employee
#: engagement with customer satisfaction-loyalty, .32 (and .33 in their composite).
HARTER_R = (0.32, 0.33)


def _branch_correlation(data, outcome, employee, group, level):
    """Correlation across groups of staff satisfaction with the group's mean outcome, with
    Fisher's z interval (:math:`\\tanh(\\operatorname{atanh} r \\pm z/\\sqrt{G-3})`)."""
    df = model_frame(data, [outcome, employee, group], group)
    g = df[[group, outcome, employee]].dropna().groupby(group, observed=True)
    means = g.agg(y=(outcome, "mean"), x=(employee, "first"))
    G = len(means)
    if G < 4 or means["x"].std() == 0 or means["y"].std() == 0:
        return np.nan, np.nan, np.nan, G
    r = float(np.corrcoef(means["x"], means["y"])[0, 1])
    h = stats.norm.ppf(0.5 + level / 2) / np.sqrt(G - 3)
    z = np.arctanh(np.clip(r, -0.999999, 0.999999))
    return r, float(np.tanh(z - h)), float(np.tanh(z + h)), G


def service_profit_chain(
    data,
    outcome: str = "overall_sat",
    employee: str = "employee_sat",
    predictors=(),
    group: str = "branch_id",
    method: str | None = None,
    level: float = 0.95,
    family: str = "gaussian",
) -> ChainResult:
    """The cross-level effect of branch staff satisfaction on a customer outcome.

    Parameters
    ----------
    data : CXData or DataFrame
        A data set with a ``branches`` table (``branch_id``, ``employee_sat``), or a table with
        the outcome, the group and the staff-satisfaction column.
    outcome : str
        Customer outcome (``overall_sat``, ``nps``, ``csat``).
    employee : str
        Branch-level staff satisfaction.
    predictors : list of str, optional
        Customer-level controls (``segment``, ...), in both models.
    group, method, level, family
        As in :func:`fit_multilevel` (``family="binomial"`` for a 0/1 outcome: the effect is on
        the log-odds scale and the share explained on the latent scale).

    Returns
    -------
    ChainResult
        ``table`` (one row: ``effect``, ``se``, ``ci_low``, ``ci_high``, ``df``, ``p``,
        ``explained`` share of the between-branch variance, ``r``, ``r_low``, ``r_high``,
        ``groups``, ``n``), ``full`` and ``null`` (the two :class:`MultilevelResult`).

    Notes
    -----
    ``full`` adds ``employee`` to the random-intercept model ``null``; the share explained is
    :math:`1 - \\tau_{00}^{full} / \\tau_{00}^{null}` (Raudenbush and Bryk 2002, eq. 4.12; it can
    be below 0 or the intercept variance can be 0 in small samples). ``r`` is the correlation
    of staff satisfaction with the branches' mean outcome, the business-unit correlation of
    Harter, Schmidt and Hayes (2002), whose meta-analytic .32/.33 is corrected for measurement
    error and range restriction (an observed r is expected to be lower).

    References
    ----------
    Harter, J. K., Schmidt, F. L. and Hayes, T. L. (2002). Business-unit-level relationship
    between employee satisfaction, employee engagement, and business outcomes: a meta-analysis.
    *Journal of Applied Psychology* 87(2), 268-279. Heskett, J. L. et al. (1994). Putting the
    service-profit chain to work. *Harvard Business Review* 72(2). Raudenbush, S. W. and Bryk,
    A. S. (2002). *Hierarchical Linear Models*, 2nd ed. Sage.
    """
    level = check_level(level)
    predictors = as_list(predictors)
    branches = getattr(data, "branches", None)
    if not isinstance(data, pd.DataFrame) and (branches is None or employee not in branches):
        fail("branches", employee, "no branch table with staff satisfaction",
             f"add a branches table with {group} and {employee}")  # fmt: skip
    kw = {"method": method, "level": level, "family": family}
    full = fit_multilevel(data, outcome, [employee, *predictors], group, **kw)
    if full.fixed(employee)["level"] != "branch":
        fail("responses", employee, f"varies within {group}", f"give one value per {group}")
    null = fit_multilevel(data, outcome, predictors, group, **kw)
    tau0, tau1 = null.tau(INTERCEPT), full.tau(INTERCEPT)
    r, lo, hi, G = _branch_correlation(data, outcome, employee, group, level)
    e = full.fixed(employee)
    row = {
        "effect": e["estimate"], "se": e["se"], "ci_low": e["ci_low"], "ci_high": e["ci_high"],
        "df": e["df"], "p": e["p"], "explained": 1 - tau1 / tau0 if tau0 > 0 else np.nan,
        "r": r, "r_low": lo, "r_high": hi, "groups": full.n_groups, "n": full.n,
    }  # fmt: skip
    return ChainResult(pd.DataFrame([row]), full, null, outcome, employee, level)


@result_dataclass
class ChainResult(Result):
    """The service-profit chain; see :func:`service_profit_chain`."""

    table: pd.DataFrame
    full: MultilevelResult
    null: MultilevelResult
    outcome: str
    employee: str
    level: float

    @property
    def effect(self) -> pd.Series:
        return self.table.iloc[0]

    def _summary_parts(self):
        facts = {"outcome": self.outcome, "Staff satisfaction column": self.employee,
                 **self.full._facts()}  # fmt: skip
        tables = {"Cross-level effect": self.table, "Fixed effects": self.full.table,
                  "Variance components": self.full.variance}  # fmt: skip
        return "Service-profit chain", facts, tables, list(self.findings().caveats)

    def _harter(self, r) -> str:
        if not np.isfinite(r["r_low"]):
            return t("chain.harter_na")
        if r["r_high"] < HARTER_R[0]:
            return t("chain.harter_below")
        if r["r_low"] > HARTER_R[1]:
            return t("chain.harter_above")
        return t("chain.harter_within")

    def findings(self) -> Findings:
        """The effect with its interval, the share explained, the correlation against Harter."""
        r, pct = self.effect, fmt_num(100 * self.level, 0)
        f = [self.full.fixed_sentence(self.employee)]
        if np.isfinite(r["explained"]):
            key = "chain.explained"
            if self.full.singular and not self.null.singular:  # 100% by a boundary fit
                key = "chain.explained_boundary"
            f.append(t(key, share=fmt_pct(r["explained"], 0), employee=label(self.employee)))
        f.append(t(
            "chain.harter", outcome=label(self.outcome), r=fmt_num(r["r"], 2), level=pct,
            ci=fmt_ci(r["r_low"], r["r_high"], 2), groups=fmt_count(r["groups"]),
            verdict=self._harter(r),
        ))  # fmt: skip
        return Findings(tuple(f), self.full.findings().caveats)
