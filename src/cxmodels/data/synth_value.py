"""Synthetic purchases for the value models: BG/NBD purchasing with Gamma-Gamma amounts.

Every customer's first purchase falls on the signup day. While active she buys at Poisson rate
:math:`\\lambda_i \\sim \\mathrm{Gamma}(r, \\alpha_i)` (per week) and drops out after each repeat
purchase with probability :math:`p_i \\sim \\mathrm{Beta}(a, b_i)`, with the covariate link of
Fader and Hardie (2007): :math:`\\alpha_i = \\alpha e^{-\\gamma_p' x_i}`,
:math:`b_i = b e^{\\gamma_d' x_i}`, :math:`x_i` = (satisfaction - 7, club membership, followed up), where
satisfaction is the mean ``overall_sat`` of the customer's survey answers (7 when she has none)
and *followed up* is 1 when a follow-up contact came within 14 days of her first (onboarding)
purchase. Satisfied customers, club members and followed-up customers therefore buy more often
and drop out later; the follow-up also raises satisfaction, so its total effect on purchasing is
the direct one plus the one through satisfaction. Each purchase
is worth :math:`z \\sim \\mathrm{Gamma}(p, \\nu_i)`, :math:`\\nu_i \\sim \\mathrm{Gamma}(q, \\gamma)`
(rate parameterisation; mean spend :math:`p\\gamma/(q-1)`).

This purchase dropout is the non-contractual one of the BTYD models: it is independent of the
contractual ``churn_date`` of the world (purchases can follow a recorded churn).
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

PURCHASE_TRUTH = {
    "unit": "weeks",
    "r": 0.8,
    "alpha": 8.0,
    "a": 0.6,
    "b": 3.0,
    "purchase_covariates": {"satisfaction": 0.15, "loyalty_member": 0.3, "followed_up": 0.25},
    "dropout_covariates": {"satisfaction": 0.25, "loyalty_member": 0.4, "followed_up": 0.35},
    "satisfaction_centre": 7.0,
}
SPEND_TRUTH = {"p": 6.0, "q": 4.0, "gamma": 20.0}
DAY_NS = 86_400 * 10**9


def _ids(prefix: str, n: int, width: int) -> pd.Series:
    """``P000000001``-style ids built by Arrow compute kernels (no Python string per row)."""
    s = pc.utf8_lpad(pc.cast(pa.array(np.arange(1, n + 1)), pa.string()), width=width, padding="0")
    return pd.Series(pd.arrays.ArrowStringArray(pc.binary_join_element_wise(prefix, s, "")))


def customer_satisfaction(customers: pd.DataFrame, responses: pd.DataFrame, centre: float = 7.0):
    """Mean ``overall_sat`` of each customer's answers, ``centre`` where she has none."""
    m = responses.groupby("customer_id", observed=True)["overall_sat"].mean()
    return customers["customer_id"].map(m).fillna(centre).to_numpy(dtype=float)


def _repeat_times(rng, lam, p, T):
    """Repeat purchase times in (0, T] of a BG/NBD customer: (customer index, time)."""
    n_poisson = rng.poisson(lam * T)
    n_life = rng.geometric(np.clip(p, 1e-12, 1))  # repeat purchases before dropout
    k = np.minimum(n_poisson, n_life)
    who = np.repeat(np.arange(T.size), k)
    gaps = rng.exponential(1.0, who.size)
    csum = np.cumsum(gaps)
    start = np.cumsum(k) - k
    base = np.repeat(np.r_[0.0, csum][start], k)
    partial = csum - base  # cumulative gaps within each customer
    last = np.zeros(T.size)
    has = k > 0
    last[has] = partial[start[has] + k[has] - 1]
    # the first k of n_poisson uniform order statistics: spacings over a Gamma(n + 1) total
    total = last + rng.gamma(np.maximum(n_poisson - k + 1, 1e-12), 1.0)
    return who, T[who] * partial / total[who]


def purchase_arrays(signup, loyal, sat, observation_end, seed: int = 0, followed_up=None):
    """The purchase stream as arrays (no strings): the vectorized core of :func:`purchases`.

    Parameters
    ----------
    signup : array of datetime64
        Each customer's signup day (her first purchase).
    loyal : array of bool or 0/1
        Club membership.
    sat : array of float
        The satisfaction covariate before centring (mean ``overall_sat``; the centre for
        customers without answers).
    observation_end : date-like
        No purchase after it.
    seed : int
        The world's seed; the stream is ``default_rng([seed, 16])``.
    followed_up : array of bool or 0/1, optional
        A follow-up within 14 days of the first purchase (default none).

    Returns
    -------
    SimpleNamespace
        ``cust`` (customer index; the first ``n`` rows are the first purchases, in customer
        order), ``ns`` (timestamps, int64 ns), ``web`` (bool, channel web else store),
        ``amount`` (rounded to cents), ``truth`` (dict).
    """
    rng = np.random.default_rng([seed, 16])
    tp, ts = PURCHASE_TRUTH, SPEND_TRUTH
    sat = np.asarray(sat, dtype=float)
    n = sat.size
    fu = np.zeros(n) if followed_up is None else np.asarray(followed_up, dtype=float)
    X = np.column_stack([sat - tp["satisfaction_centre"], np.asarray(loyal, dtype=float), fu])
    gp = np.array(list(tp["purchase_covariates"].values()))
    gd = np.array(list(tp["dropout_covariates"].values()))
    lam = rng.gamma(tp["r"], 1 / (tp["alpha"] * np.exp(-X @ gp)))
    p = rng.beta(tp["a"], tp["b"] * np.exp(X @ gd))
    signup = np.asarray(signup).astype("datetime64[D]")
    end = np.datetime64(pd.Timestamp(observation_end).date(), "D")
    T_days = (end - signup).astype(np.int64)
    who, t = _repeat_times(rng, lam, p, np.maximum(T_days, 0) / 7.0)
    cust = np.concatenate([np.arange(n), who])
    day = np.concatenate([np.zeros(n, np.int64), np.minimum(np.floor(t * 7), T_days[who])])
    nu = rng.gamma(ts["q"], 1 / ts["gamma"], n)
    amount = np.round(rng.gamma(ts["p"], 1 / nu[cust]), 2)
    ns = (
        signup.astype("datetime64[ns]").astype(np.int64)[cust]
        + day.astype(np.int64) * DAY_NS
        + rng.integers(8 * 3600, 20 * 3600, cust.size) * 10**9
    )
    web = rng.random(cust.size) < 0.55
    truth = {
        "purchase_model": {
            "model": "BG/NBD with time-invariant covariates (alpha_i = alpha exp(-g_p'x), "
            "b_i = b exp(g_d'x))",
            **tp,
            "covariates": "satisfaction = mean overall_sat of the customer's answers minus 7 "
            "(0 without answers); loyalty_member 0/1; followed_up 0/1 (a follow-up within 14 "
            "days of the first purchase)",
        },
        "spend_model": {"model": "Gamma-Gamma (shape p, rate nu ~ Gamma(q, rate gamma))", **ts,
                        "mean_spend": ts["p"] * ts["gamma"] / (ts["q"] - 1)},
        "n_purchases": int(cust.size),
    }  # fmt: skip
    return SimpleNamespace(cust=cust, ns=ns, web=web, amount=amount, truth=truth)


def purchases(
    customers: pd.DataFrame,
    responses: pd.DataFrame,
    observation_end,
    seed: int = 0,
    followed_up=None,
) -> tuple[pd.DataFrame, dict]:
    """Purchase interactions (kind ``purchase`` with ``amount``) and their true parameters.

    Parameters
    ----------
    customers : DataFrame
        ``customer_id``, ``signup_date`` and ``loyalty_member``.
    responses : DataFrame
        ``customer_id`` and ``overall_sat`` (the satisfaction covariate).
    observation_end : date-like
        No purchase after it.
    seed : int
        The world's seed; the stream is ``default_rng([seed, 16])``, independent of the others.
    followed_up : array of bool or 0/1, optional
        Per customer: a follow-up within 14 days of the first purchase (default none).

    Returns
    -------
    (DataFrame, dict)
        Rows with the interactions columns (``interaction_id`` ``P...``, ``customer_id``,
        ``timestamp``, ``channel`` web/store, ``kind`` purchase, ``amount``) sorted by time, and
        the truth: ``purchase_model`` and ``spend_model`` parameters.
    """
    sat = customer_satisfaction(customers, responses, PURCHASE_TRUTH["satisfaction_centre"])
    signup = pd.to_datetime(customers["signup_date"]).to_numpy("datetime64[D]")
    pa = purchase_arrays(
        signup, customers["loyalty_member"], sat, observation_end, seed, followed_up
    )
    order = np.argsort(pa.ns, kind="stable")
    ids = customers["customer_id"].to_numpy()
    rows = pd.DataFrame(
        {
            "interaction_id": _ids("P", order.size, 9),
            "customer_id": ids[pa.cust[order]],
            "timestamp": pd.to_datetime(pa.ns[order]),
            "channel": np.where(pa.web[order], "web", "store"),
            "kind": "purchase",
            "amount": pa.amount[order],
        }
    )
    return rows, pa.truth
