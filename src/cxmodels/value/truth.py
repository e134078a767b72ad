"""The synthetic world's true value of a programme, to check :mod:`cxmodels.value.programme`
against (tests and ``bench/bench_value.py --part coverage``)."""

from __future__ import annotations

import numpy as np

from ._base import discount_steps
from .bgnbd import expected_purchases_new
from .covariates import onboarding_follow_up


def true_programme_gain(data, treatment: str, horizon: float, rate: float = 0.1,
                        margin: float = 0.3) -> float:  # fmt: skip
    """The programme's true CLV gain per treated customer, from truth.json's parameters.

    Parameters
    ----------
    data : CXData
        A world of :func:`cxmodels.generate` with ``purchases=True`` (it carries ``truth``).
    treatment : {"followed_up", "loyalty_member"}
    horizon : float
        Weeks.
    rate, margin : float
        Annual discount rate and profit share of spend.

    Returns
    -------
    float
        Mean over the treated customers of margin x true mean spend x (discounted new-customer
        purchases with the treatment - without it).

    Notes
    -----
    New-customer BG/NBD expectations (FHL 2005 eq. 7) with the true coefficients, quarterly
    discounting, Gamma-Gamma mean spend; for the follow-up the satisfaction covariate also
    drops by the true effect on the onboarding answer (truth's follow_up_ate_overall_sat)
    divided by the customer's number of answers (it is their mean).
    """
    tp, ts = data.truth["purchase_model"], data.truth["spend_model"]
    cust, r = data.customers, data.responses
    g = r.groupby("customer_id")
    n_ans = cust["customer_id"].map(g.size()).fillna(0).to_numpy()
    first = cust["customer_id"].map(g["survey_date"].min())
    onboarding = ((first - cust["signup_date"]).dt.days <= 46).fillna(False).to_numpy()
    sat = cust["customer_id"].map(g["overall_sat"].mean()).fillna(7).to_numpy() - 7
    fu = onboarding_follow_up(data)
    loyal = cust["loyalty_member"].to_numpy(float)
    names = ("satisfaction", "loyalty_member", "followed_up")
    gp = np.array([tp["purchase_covariates"][k] for k in names])
    gd = np.array([tp["dropout_covariates"][k] for k in names])
    t, disc = discount_steps(horizon, rate, "weeks", int(np.ceil(horizon / 13)))

    def discounted(X):
        al, b = tp["alpha"] * np.exp(-X @ gp), tp["b"] * np.exp(X @ gd)
        ey = expected_purchases_new(t[:, None], (tp["r"], al[None], tp["a"], b[None]))
        return disc @ np.diff(np.vstack([np.zeros(ey.shape[1]), ey]), axis=0)

    treated = (fu if treatment == "followed_up" else loyal) == 1
    X1 = np.column_stack([sat, loyal, fu])[treated]
    X0 = X1.copy()
    X0[:, names.index(treatment)] = 0
    if treatment == "followed_up":
        X0[:, 0] -= (data.truth["follow_up_ate_overall_sat"] * onboarding[treated]
                     / np.maximum(n_ans[treated], 1))  # fmt: skip
    mean_spend = ts["p"] * ts["gamma"] / (ts["q"] - 1)
    return margin * mean_spend * float(np.mean(discounted(X1) - discounted(X0)))
