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
estimates together; it does not cover confounders missing from the model. The refits run all
replicates at once: quasi-Newton steps on each replicate's weighted likelihood from the full
fit, to convergence (:mod:`cxmodels.value._refit`), the same estimates as a loop of refits.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from .._bootstrap import index_counts, percentile_ci
from .._threads import one_thread
from .._validation import DataQualityWarning, InputError, as_list, data_warnings_collected, fail
from . import bgnbd, gammagamma
from ._base import discount_steps, rfm_arrays
from ._mle import ConvergenceWarning
from ._refit import newton_refits
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
    with data_warnings_collected():  # the no-answer note concerns satisfaction, unused here
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


def gain_function(X: np.ndarray, k_treat: int, treated: np.ndarray, horizon: float,
                  discount_rate: float, margin: float, unit: str):  # fmt: skip
    """``gain(th_pm, th_gg, weights=None)``: mean CLV gain per treated customer at ``m`` fits.

    ``th_pm`` ``(m, k)`` and ``th_gg`` ``(m, 3)`` are unconstrained BG/NBD (purchase and
    dropout covariates both ``X``'s columns) and Gamma-Gamma estimates; ``weights`` ``(m,
    n_treated)`` the treated customers' resampling counts (each counted once when missing).
    The gain is margin x mean spend x (discounted new-customer purchases with the treatment -
    without it), averaged over the treated; it is computed once per distinct covariate row.
    """
    Xu, inv = np.unique(X[treated], axis=0, return_inverse=True)
    inv = inv.ravel()
    rows = sparse.csr_matrix((np.ones(inv.size), (np.arange(inv.size), inv)),
                             shape=(inv.size, len(Xu)))  # fmt: skip
    counts = np.bincount(inv, minlength=len(Xu)).astype(float)[None]
    steps = int(np.ceil(horizon / (13 * UNITS["weeks"] / UNITS[unit])))  # quarterly
    t, disc = discount_steps(horizon, discount_rate, unit, steps)
    kp = X.shape[1]

    def gain(th_pm: np.ndarray, th_gg: np.ndarray, weights=None) -> np.ndarray:
        r, alpha, a, b = (np.exp(th_pm[:, [j]]) for j in range(4))
        gp, gd = th_pm[:, 4 : 4 + kp], th_pm[:, 4 + kp :]
        w = counts if weights is None else np.asarray((rows.T @ weights.T).T)
        diff = 0.0
        for value, sign in ((1.0, 1.0), (0.0, -1.0)):  # with and without the treatment
            xu = Xu.copy()
            xu[:, k_treat] = value
            al, bi = alpha * np.exp(-(gp @ xu.T)), b * np.exp(gd @ xu.T)
            ey = expected_purchases_new(t[:, None, None], (r, al, a, bi))  # (steps, m, rows)
            diff = diff + sign * np.tensordot(disc, np.diff(ey, axis=0, prepend=0.0), axes=1)
        p, q, g = np.exp(th_gg).T
        return margin * p * g / (q - 1) * (w * diff).sum(axis=1) / w.sum(axis=1)

    return gain


def _natural(theta: np.ndarray, names, k_positive: int) -> dict:
    """Parameters by name on the natural scale (the first ``k_positive`` on the log scale)."""
    vals = np.where(np.arange(theta.size) < k_positive, np.exp(theta), theta)
    return dict(zip(names, vals, strict=True))


def _refit_one(rfm, counts, cov, pm, gg, th_pm, th_gg):
    """One replicate refitted by the models' own optimisers from ``th_pm``, ``th_gg`` (the
    replicates Newton steps gave up on): (theta BG/NBD, theta Gamma-Gamma, converged)."""
    rows = np.repeat(np.arange(len(rfm)), counts.astype(int))
    sub = rfm_frame(rfm.iloc[rows].reset_index(drop=True), like=rfm)
    # a replicate's data notes repeat the full data's; its non-convergence is returned and
    # counted in the result, so neither is warned once per replicate
    with data_warnings_collected(DataQualityWarning, ConvergenceWarning):
        try:
            b_pm = fit_bgnbd(sub, purchase_covariates=cov, dropout_covariates=cov, se=False,
                             start=_natural(th_pm, list(pm.params), 4), unit=pm.unit)  # fmt: skip
            b_gg = fit_gamma_gamma(sub, start=_natural(th_gg, GG_NAMES, 3))
        except InputError:  # e.g. a control level the replicate did not draw
            return th_pm, th_gg, False
    return b_pm.fit.theta, b_gg.fit.theta, b_pm.converged and b_gg.converged


def bootstrap_refits(rfm, cov, pm, gg, W: np.ndarray):
    """BG/NBD and Gamma-Gamma refitted on every replicate of resampling counts ``W``.

    Newton steps on the weighted likelihoods, all replicates at once from the full fits
    (:mod:`cxmodels.value._refit`); the few replicates they give up on are refitted one by one.

    Returns
    -------
    (th_pm, th_gg, converged) : unconstrained estimates ``(reps, k)``, ``(reps, 3)`` and a
    boolean per replicate.
    """
    x, tx, T = rfm_arrays(rfm)
    X = rfm[cov].to_numpy(float)
    ux, inv = np.unique(x, return_inverse=True)
    th_pm, ok_pm = newton_refits(
        lambda th: bgnbd.score_terms(th, x, tx, T, X, X, ux, inv), pm.fit.theta, W
    )
    rep = x > 0
    z = rfm["monetary_value"].to_numpy(float)[rep]
    th_gg, ok_gg = newton_refits(
        lambda th: gammagamma.score_terms(th, x[rep], z), gg.fit.theta, W[:, rep]
    )
    ok = ok_pm & ok_gg
    for b in np.flatnonzero(~ok):  # loop over the replicates Newton gave up on (rare)
        th_pm[b], th_gg[b], ok[b] = _refit_one(rfm, W[b], cov, pm, gg, th_pm[b], th_gg[b])
    return th_pm, th_gg, ok


@one_thread
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
    gain_of = gain_function(rfm[cov].to_numpy(float), 0, treated, horizon, discount_rate,
                            margin, unit)  # fmt: skip
    gain = float(gain_of(pm.fit.theta[None], gg.fit.theta[None])[0])
    W = index_counts(len(rfm), bootstrap, seed)  # the customers drawn, as counts
    th_pm, th_gg, ok = bootstrap_refits(rfm, cov, pm, gg, W)
    draws = gain_of(th_pm, th_gg, W[:, treated]) if bootstrap else np.array([])
    keys = [f"purchase:{treatment}", f"dropout:{treatment}"]
    coef = th_pm[:, [list(pm.params).index(k) for k in keys]]
    rows = []
    for j, (k, what) in enumerate(zip(keys, ("purchase_rate_ratio", "dropout_b_ratio"),
                                      strict=True)):  # fmt: skip
        lo, hi = percentile_ci(coef[:, j]) if len(coef) else (np.nan, np.nan)
        rows.append((what, float(np.exp(pm.params[k])), float(np.exp(lo)), float(np.exp(hi)),
                     "ratio"))  # fmt: skip
    return {
        "gain": gain,
        "gain_draws": np.asarray(draws),
        "rows": rows,
        "n_treated": int(treated.sum()),
        "model": pm,
        "converged": float(np.mean(ok)) if ok.size else float("nan"),
    }
