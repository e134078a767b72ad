"""What a CX programme (follow-up contacts, the customer club) is worth through purchasing.

The programme is a customer-level treatment: *followed up* (a follow-up contact within 14 days of
the customer's first purchase, the unit ``cx.follow_up_effect`` uses for retention) or *club
member*. It enters both processes of a BG/NBD model with time-invariant covariates, next to the
confounders ``cx.follow_up_effect`` adjusts for (segment, club membership, region, age band,
income band, acquisition channel), so its coefficients are the regression-adjusted causal effects
on the purchase rate and on dropout (retention). Satisfaction is a *mediator* (the follow-up
raises it) and is left out, so the effect is the total one: directly and through satisfaction.

The gain per treated customer is her expected CLV from her first purchase (a new customer's
discounted expected repeat purchases x the Gamma-Gamma mean spend x margin) with the treatment
minus without it, averaged over the treated (the effect on the treated). The interval is a
nonparametric bootstrap that resamples **customers** and refits both models in every replicate
(:mod:`cxmodels._bootstrap`), so it covers the sampling error of the purchase, dropout and spend
estimates together; it does not cover confounders missing from the model.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._bootstrap import bootstrap_indices, percentile_ci
from .._validation import DataQualityWarning, as_list, fail
from ._base import discount_steps
from ._mle import ConvergenceWarning
from .bgnbd import expected_purchases_new, fit_bgnbd
from .covariates import customer_covariates
from .gammagamma import NAMES as GG_NAMES
from .gammagamma import fit_gamma_gamma
from .rfm import UNITS, rfm_frame, rfm_summary

#: the confounders of cx.follow_up_effect that are customer attributes (its ``kind`` and
#: ``tenure_days_at_event`` are constant for the first purchase)
EFFECT_CONTROLS = ("segment", "loyalty_member", "region", "age_band", "income_band",
                   "acquisition_channel")  # fmt: skip


def control_columns(rfm: pd.DataFrame, data, controls) -> tuple[pd.DataFrame, list]:
    """``rfm`` with 0/1 columns ``<control>_<level>`` (all levels but the largest) per control."""
    cust = data.customers.set_index("customer_id")
    names = []
    cols = {}
    for c in as_list(controls):
        if c not in cust:
            fail("customers", c, "control column missing", "drop it from controls")
        col = rfm["customer_id"].map(cust[c]).astype(str)
        for level in col.value_counts().index[1:]:
            cols[f"{c}_{level}"] = (col == level).astype(float).to_numpy()
            names.append(f"{c}_{level}")
    out = rfm.assign(**cols) if cols else rfm
    return rfm_frame(out, like=rfm), names


def programme_design(data, treatment: str, controls, unit: str):
    """(RFM table with the treatment and control columns, covariate names, treated mask)."""
    rfm = rfm_summary(data, unit=unit)
    with warnings.catch_warnings():
        # the no-answer note concerns satisfaction, unused here
        warnings.simplefilter("ignore", DataQualityWarning)
        cov = customer_covariates(data, segments=False)
    if treatment not in cov:
        fail("customers", treatment, "the programme's treatment is missing",
             "add interactions with follow-ups" if treatment == "followed_up"
             else "add loyalty_member to customers")  # fmt: skip
    t = rfm["customer_id"].map(cov.set_index("customer_id")[treatment]).to_numpy(float)
    rfm = rfm_frame(rfm.assign(**{treatment: t}), like=rfm)
    rfm, names = control_columns(rfm, data, [c for c in as_list(controls) if c != treatment])
    names = [c for c in names if rfm[c].std() > 0]
    treated = t == 1
    if treated.all() or not treated.any():
        fail("customers", treatment, "every customer or none is treated: no contrast",
             "use data with treated and untreated customers")  # fmt: skip
    return rfm, [treatment, *names], treated


def _new_clv_gain(pm_params, gg_params, X, k_treat, treated, horizon, discount_rate, margin,
                  unit):  # fmt: skip
    """Mean over the treated of margin x mean spend x (discounted new-customer purchases with
    the treatment - without it)."""
    r, alpha, a, b = (pm_params[k] for k in ("r", "alpha", "a", "b"))
    gp = np.array([pm_params[f"purchase:{c}"] for c in X.columns])
    gd = np.array([pm_params[f"dropout:{c}"] for c in X.columns])
    x = X.to_numpy(float)[treated]
    steps = int(np.ceil(horizon / (13 * UNITS["weeks"] / UNITS[unit])))  # quarterly
    t, disc = discount_steps(horizon, discount_rate, unit, steps)
    out = []
    for value in (1.0, 0.0):  # with and without the treatment
        x[:, k_treat] = value
        al, bi = alpha * np.exp(-x @ gp), b * np.exp(x @ gd)
        ey = expected_purchases_new(t[:, None], (r, al[None, :], a, bi[None, :]))
        out.append(disc @ np.diff(np.vstack([np.zeros(ey.shape[1]), ey]), axis=0))
    p, q, g = (gg_params[k] for k in GG_NAMES)
    return float(margin * p * g / (q - 1) * np.mean(out[0] - out[1]))


def programme_effect(data, *, treatment: str, controls=EFFECT_CONTROLS, horizon: float = 156,
                     discount_rate: float = 0.1, margin: float = 0.3, unit: str = "weeks",
                     bootstrap: int = 100, seed: int = 0) -> dict:  # fmt: skip
    """The programme's effects on purchasing, dropout and CLV per treated customer, with draws.

    Returns
    -------
    dict
        ``gain`` (CLV gained per treated customer), ``gain_draws`` (one per bootstrap refit),
        ``rows`` (effect rows ``(metric, estimate, ci_low, ci_high, unit)`` for the purchase-rate
        and dropout coefficients), ``n_treated``, ``model`` (the BG/NBD fit), ``converged``
        (share of replicates whose refits converged).
    """
    rfm, cov, treated = programme_design(data, treatment, controls, unit)
    pm = fit_bgnbd(rfm, purchase_covariates=cov, dropout_covariates=cov, unit=unit)
    gg = fit_gamma_gamma(rfm)
    X = rfm[cov]
    args = (0, horizon, discount_rate, margin, unit)
    gain = _new_clv_gain(pm.params, gg.params, X, args[0], treated, *args[1:])
    keys = [f"purchase:{treatment}", f"dropout:{treatment}"]
    draws, coef, ok = [], [], []
    for idx in bootstrap_indices(len(rfm), bootstrap, seed):  # loop over replicates
        sub = rfm_frame(rfm.iloc[idx].reset_index(drop=True), like=rfm)
        with warnings.catch_warnings():  # a replicate's data notes and non-convergence: counted
            warnings.simplefilter("ignore", DataQualityWarning)
            warnings.simplefilter("ignore", ConvergenceWarning)
            b_pm = fit_bgnbd(sub, purchase_covariates=cov, dropout_covariates=cov,
                             start=pm.params, unit=unit, se=False)  # fmt: skip
            b_gg = fit_gamma_gamma(sub, start=gg.params)
        draws.append(_new_clv_gain(b_pm.params, b_gg.params, sub[cov], args[0], treated[idx],
                                   *args[1:]))  # fmt: skip
        coef.append([b_pm.params[k] for k in keys])
        ok.append(b_pm.converged and b_gg.converged)
    coef = np.array(coef).reshape(-1, 2)
    rows = []
    for j, (k, what) in enumerate(zip(keys, ("purchase_rate_ratio", "dropout_b_ratio"),
                                      strict=True)):  # fmt: skip
        lo, hi = percentile_ci(coef[:, j]) if len(coef) else (np.nan, np.nan)
        rows.append((what, float(np.exp(pm.params[k])), float(np.exp(lo)), float(np.exp(hi)),
                     "ratio"))  # fmt: skip
    return {
        "gain": gain,
        "gain_draws": np.array(draws),
        "rows": rows,
        "n_treated": int(treated.sum()),
        "model": pm,
        "converged": float(np.mean(ok)) if ok else float("nan"),
    }
