r"""The value of a budgeted follow-up policy, estimated with doubly robust scores.

Rank units by predicted benefit and contact the top :math:`k`. With the cross-fitted DR scores
:math:`\hat\varphi_i` (:mod:`cxmodels.uplift._learners`), the total effect of contacting a set
:math:`S` instead of no one is estimated by :math:`\hat G(S) = \sum_{i \in S} \hat\varphi_i`
(in the improving direction: minus the sum for churn), an AIPW estimate of
:math:`\sum_{i \in S} \tau(x_i)` (Athey & Wager 2021). The money value is
:math:`v\,\hat G(S) - c\,|S|` for a value :math:`v` per unit of the outcome (money per point of
satisfaction, or per customer kept) and a cost :math:`c` per contact; the **break-even cost**
is :math:`v\,\hat G(S)/|S|`, the cost per contact at which the policy just pays. Intervals are
percentiles of customer-cluster bootstrap replicates with the ranking held fixed (the ranking
was cross-fitted, so no unit's score ranked itself).

References
----------
Athey, S., & Wager, S. (2021). Policy learning with observational data. *Econometrica* 89(1),
133-161.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._format import fmt_ci, fmt_count, fmt_level, fmt_num, interval_digits
from .._results import Findings, Result, result_dataclass
from .._validation import check_number, fail
from ..i18n import t
from .plots import policy_plot

POLICIES = ("top_k", "everyone", "no_one")


@result_dataclass
class PolicyResult(Result):
    """Value of calling the top ``k`` against everyone eligible and no one.

    Attributes
    ----------
    table : DataFrame
        One row per ``policy`` (``top_k``, ``everyone``, ``no_one``): ``n_contacted``,
        ``gain`` (total effect in the outcome's improving direction: points of satisfaction,
        or customers kept for churn) with ``gain_low``, ``gain_high``,
        ``gain_per_contact``; with a ``value``: ``money_gain``, ``cost``, ``net_value`` with
        ``net_value_low``, ``net_value_high`` and ``break_even_cost`` with ``break_even_cost_low``,
        ``break_even_cost_high``.
    ranking : Series
        Rank of each unit (1 = first to call), aligned with the result's rows.
    """

    table: pd.DataFrame
    ranking: pd.Series
    outcome: str
    budget: int
    cost_per_contact: float
    value_per_unit: float
    bootstrap: int
    level: float

    def _summary_parts(self):
        facts = {"budget (contacts)": self.budget, "cost per contact": self.cost_per_contact,
                 "value per unit of the outcome": self.value_per_unit,
                 "bootstrap replicates (customers resampled)": self.bootstrap}  # fmt: skip
        return t("summary.uplift.policy_title"), facts, {"Policies": self.table}, []

    def findings(self) -> Findings:
        """Gain of the top ``k`` and of everyone with intervals; net money value and
        break-even cost when a value was given."""
        r = self.table.set_index("policy")
        top, allp = r.loc["top_k"], r.loc["everyone"]
        key = "uplift.policy.gain_churn" if self.outcome == "churn_within" else "uplift.policy.gain"
        d = interval_digits(top.gain_low, top.gain_high, 0.0, 1)
        f = [
            t(key, k=fmt_count(top.n_contacted), gain=fmt_num(top.gain, d),
              ci=fmt_ci(top.gain_low, top.gain_high, d), level=fmt_level(self.level),
              n=fmt_count(allp.n_contacted), gain_all=fmt_num(allp.gain, d)),
        ]  # fmt: skip
        caveats = []
        if np.isfinite(self.value_per_unit):
            dm = interval_digits(top.net_value_low, top.net_value_high, 0.0, 0)
            f.append(t("uplift.policy.money", net=fmt_num(top.net_value, dm),
                       ci=fmt_ci(top.net_value_low, top.net_value_high, dm),
                       net_all=fmt_num(allp.net_value, dm),
                       cost=fmt_num(self.cost_per_contact, 2),
                       breakeven=fmt_num(top.break_even_cost, 2),
                       be_ci=fmt_ci(top.break_even_cost_low, top.break_even_cost_high, 2)))  # fmt: skip
        else:
            caveats.append(t("uplift.policy.no_value"))
        caveats.append(t("uplift.policy.assumption"))
        return Findings(tuple(f), tuple(caveats))

    def plot(self, ax=None):
        return policy_plot(self.table, ax=ax)


def policy_value(res, budget, *, cost_per_contact=0.0, value=None, bootstrap=200, seed=0):
    """Value of contacting the top ``budget`` units of an :class:`UpliftResult`.

    Parameters
    ----------
    res : UpliftResult
    budget : int or float
        Number of contacts, or a share of the units when below 1.
    cost_per_contact : float
        Money cost of one follow-up contact.
    value : float or ValueOfChangeResult, optional
        Money per unit of the outcome: per point of satisfaction, or per customer kept for
        churn. A ``cx.value_of_satisfaction`` result gives its CLV gained per point (its
        ``delta_clv``; for churn, its mean CLV, the value of a customer kept).
    bootstrap : int
        Customer-cluster bootstrap replicates for the intervals.
    seed : int, optional

    Returns
    -------
    PolicyResult
    """
    check_number("cost_per_contact", cost_per_contact, low=0)
    check_number("bootstrap", bootstrap, low=0, integer=True)
    n = len(res.effects)
    k = _contacts(budget, n)
    v = _value_per_unit(value, res.spec.outcome)
    s = res.scores
    sign = -1.0 if res.better == "lower" else 1.0
    phi = sign * s["dr_score"].to_numpy()
    order = np.argsort(-res.benefit, kind="stable")
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(1, n + 1)
    sets = {"top_k": rank <= k, "everyone": np.ones(n, bool), "no_one": np.zeros(n, bool)}
    draws = _bootstrap_gains(phi, s["cluster"].to_numpy(), sets, bootstrap, seed)
    rows = [_row(p, sel, phi, draws[p], v, cost_per_contact, res.spec.level)
            for p, sel in sets.items()]  # fmt: skip
    ranking = pd.Series(rank, index=res.effects.index, name="rank")
    return PolicyResult(pd.DataFrame(rows), ranking, res.spec.outcome, k, float(cost_per_contact),
                        v, bootstrap, res.spec.level)  # fmt: skip


def _contacts(budget, n: int) -> int:
    check_number("budget", budget, low=0, low_open=True)
    k = int(round(budget * n)) if budget < 1 else int(budget)
    return min(max(k, 1), n)


def _value_per_unit(value, outcome: str) -> float:
    if value is None:
        return float("nan")
    if hasattr(value, "table") and "delta_clv" in value.table:
        col = "clv" if outcome == "churn_within" else "delta_clv"
        return float(value.table[col].iloc[0])
    try:
        return float(value)
    except (TypeError, ValueError):
        fail("policy", "value", f"{type(value).__name__} is not a money value",
             "pass a number or cx.value_of_satisfaction(data)")  # fmt: skip


def _bootstrap_gains(phi, groups, sets, B, seed) -> dict:
    codes = pd.factorize(pd.Series(groups), sort=False)[0]
    nc = codes.max() + 1
    sums = {p: np.bincount(codes, weights=phi * sel, minlength=nc) for p, sel in sets.items()}
    rng = np.random.default_rng([0 if seed is None else seed, 43])
    W = rng.multinomial(nc, np.full(nc, 1 / nc), size=B).astype(float) if B else np.zeros((0, nc))
    return {p: W @ a for p, a in sums.items()}


def _row(policy, sel, phi, draws, v, cost, level) -> dict:
    q = [50 * (1 - level), 50 * (1 + level)]
    k = int(sel.sum())
    gain = float(phi[sel].sum())
    lo, hi = np.percentile(draws, q) if len(draws) else (np.nan, np.nan)
    row = {"policy": policy, "n_contacted": k, "gain": gain, "gain_low": lo,
           "gain_high": hi, "gain_per_contact": gain / k if k else np.nan}  # fmt: skip
    if np.isfinite(v):
        net = v * draws - cost * k
        nlo, nhi = np.percentile(net, q) if len(draws) else (np.nan, np.nan)
        be = v * draws / k if k else np.full(len(draws), np.nan)
        blo, bhi = np.percentile(be, q) if len(draws) and k else (np.nan, np.nan)
        row.update(money_gain=v * gain, cost=cost * k, net_value=v * gain - cost * k,
                   net_value_low=nlo, net_value_high=nhi,
                   break_even_cost=v * gain / k if k else np.nan,
                   break_even_cost_low=blo, break_even_cost_high=bhi)  # fmt: skip
    return row
