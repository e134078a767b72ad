r"""Qini and uplift curves, their areas against random targeting, and calibration by decile.

Rank units by predicted effect, highest first; at each distinct score threshold with
:math:`N` units targeted, :math:`N_t, N_c` of them treated and untreated and
:math:`Y_t, Y_c` the sums of their outcomes:

* Qini curve (Radcliffe 2007): :math:`Q(N) = Y_t - Y_c\,N_t/N_c`;
* uplift curve (Rzepakowski & Jaroszewicz 2012):
  :math:`U(N) = (Y_t/N_t - Y_c/N_c)\,N`,

both starting at (0, 0) with a ratio of 0 when a group is empty (the definitions of
scikit-uplift 0.5.1, ``sklift.metrics.qini_curve`` and ``uplift_curve``). Random targeting is
the straight line from (0, 0) to the curve's end; the **area** reported is the trapezoid area
between the curve and that line (positive: the ranking beats random targeting).

On observational data the raw curves compare treated and untreated units that differ; the
**doubly robust** gain curve :math:`G(N) = \sum_{i \le N} \hat\varphi_i` (the DR scores of the
top :math:`N`) estimates the total effect of treating the top :math:`N` without that bias
(the TOC of Yadlowsky et al. 2024, in totals). Bands resample customers (seeded).

References
----------
Radcliffe, N. J. (2007). Using control groups to target on predicted lift. *Direct Marketing
Analytics Journal* 1, 14-21. Rzepakowski, P., & Jaroszewicz, S. (2012). Decision trees for
uplift modeling with single and multiple treatments. *Knowledge and Information Systems* 32,
303-327. Yadlowsky, S., Fleming, S., Shah, N., Brunskill, E., & Wager, S. (2024). Evaluating
treatment prioritization rules via rank-weighted average treatment effects. *JASA*.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from .._validation import check_option

KINDS = ("qini", "uplift", "dr")


def _cumulative(y, score, treatment, w=None):
    """Sorted cumulative sums at each distinct score threshold (highest score first)."""
    y, s, t = (np.asarray(a, float) for a in (y, score, treatment))
    w = np.ones(len(y)) if w is None else np.asarray(w, float)
    order = np.argsort(s, kind="mergesort")[::-1]
    y, s, t, w = y[order], s[order], t[order], w[order]
    idx = np.r_[np.flatnonzero(np.diff(s)), s.size - 1]
    n = np.cumsum(w)[idx]
    nt = np.cumsum(w * t)[idx]
    yt = np.cumsum(w * y * t)[idx]
    yc = np.cumsum(w * y * (1 - t))[idx]
    return n, nt, n - nt, yt, yc


def curve(y, score, treatment, kind: str = "qini", weights=None):
    """Points ``(n_targeted, value)`` of the Qini, uplift or DR gain curve (see the module).

    For ``kind="dr"``, ``y`` holds the DR scores and ``treatment`` is ignored.
    """
    check_option("kind", kind, KINDS)
    if kind == "dr":
        t = np.ones(len(y))
        n, _, _, yt, _ = _cumulative(y, score, t, weights)
        value = yt
    else:
        n, nt, nc, yt, yc = _cumulative(y, score, treatment, weights)
        with np.errstate(divide="ignore", invalid="ignore"):
            if kind == "qini":
                value = yt - yc * np.where(nc != 0, nt / nc, 0.0)
            else:
                value = (np.where(nt != 0, yt / nt, 0.0) - np.where(nc != 0, yc / nc, 0.0)) * n
    if n.size == 0 or n[0] != 0 or value[0] != 0:
        n, value = np.r_[0.0, n], np.r_[0.0, value]
    return n, value


def area_vs_random(n, value) -> float:
    """Trapezoid area between the curve and the random-targeting line to its end point."""
    return float(np.trapezoid(value, n) - n[-1] * value[-1] / 2)


def on_grid(n, value, grid) -> np.ndarray:
    """The curve at shares ``grid`` of the units (linear between thresholds)."""
    return np.interp(np.asarray(grid) * n[-1], n, value)


def curve_table(y, score, treatment, groups, kind, grid, bootstrap, seed, level):
    """The curve on ``grid`` with percentile bands over customers resampled, and its area.

    Returns a table (``share``, ``value``, ``random``, ``ci_low``, ``ci_high``) and the area
    with its interval (``area``, ``ci_low``, ``ci_high``), also divided by the number of units
    (``per_unit``, ``per_unit_ci_low``, ``per_unit_ci_high``): the mean distance between the
    curve and random targeting over every budget, in the curve's unit.
    """
    n, v = curve(y, score, treatment, kind)
    g = np.asarray(grid, float)
    base = on_grid(n, v, g)
    draws, areas = _bootstrap_curves(y, score, treatment, groups, kind, g, bootstrap, seed)
    lo, hi = _quantiles(draws, level)
    alo, ahi = _quantiles(areas[:, None], level)
    table = pd.DataFrame(
        {"share": g, "value": base, "random": g * v[-1], "ci_low": lo, "ci_high": hi}
    )
    area = {"area": area_vs_random(n, v), "ci_low": float(alo[0]), "ci_high": float(ahi[0]),
            "per_unit": area_vs_random(n, v) / n[-1], "per_unit_ci_low": float(alo[0]) / n[-1],
            "per_unit_ci_high": float(ahi[0]) / n[-1]}  # fmt: skip
    return table, area


def _bootstrap_curves(y, score, treatment, groups, kind, grid, B, seed):
    codes, nc = pd.factorize(pd.Series(np.asarray(groups)), sort=False)[0], None
    nc = codes.max() + 1
    rng = np.random.default_rng([0 if seed is None else seed, 41])
    draws, areas = np.full((B, len(grid)), np.nan), np.full(B, np.nan)
    for b in range(B):  # loop over replicates; each curve is vectorized
        w = rng.multinomial(nc, np.full(nc, 1 / nc)).astype(float)[codes]
        keep = w > 0
        n, v = curve(np.asarray(y)[keep], np.asarray(score)[keep], np.asarray(treatment)[keep],
                     kind, w[keep])  # fmt: skip
        draws[b], areas[b] = on_grid(n, v, grid), area_vs_random(n, v)
    return draws, areas


def _quantiles(draws, level):
    if len(draws) == 0:
        k = draws.shape[1]
        return np.full(k, np.nan), np.full(k, np.nan)
    q = [50 * (1 - level), 50 * (1 + level)]
    lo, hi = np.nanpercentile(draws, q, axis=0)
    return lo, hi


def calibration(tau, phi, groups, n_bins: int = 10, level: float = 0.95) -> pd.DataFrame:
    r"""Predicted against DR-estimated effect in each decile of the predicted effect.

    In decile :math:`g`: ``predicted_effect`` is :math:`\bar{\hat\tau}_g`, ``estimated_effect`` is the mean
    DR score :math:`\bar{\hat\varphi}_g` (an AIPW estimate of the decile's average effect),
    with a normal interval (``estimated_effect_low``, ``estimated_effect_high``) from the
    customer-clustered standard error of the mean.
    """
    tau, phi = np.asarray(tau, float), np.asarray(phi, float)
    rank = pd.Series(tau).rank(method="first").to_numpy()
    decile = np.minimum((rank - 1) * n_bins // len(tau), n_bins - 1).astype(int)
    z = norm.ppf((1 + level) / 2)
    rows = []
    for g in range(n_bins):  # ten deciles
        sel = decile == g
        est, se = clustered_mean(phi[sel], np.asarray(groups)[sel])
        rows.append({"decile": g + 1, "n": int(sel.sum()), "predicted_effect": tau[sel].mean(),
                     "estimated_effect": est, "estimated_effect_low": est - z * se, "estimated_effect_high": est + z * se})  # fmt: skip
    return pd.DataFrame(rows)


def clustered_mean(x, groups) -> tuple[float, float]:
    """Mean of ``x`` and its standard error with clusters (customers) as the sampling units:
    :math:`\\sqrt{\\sum_c (\\sum_{i \\in c} (x_i - \\bar x))^2}/n` with the small-sample factor
    :math:`\\sqrt{C/(C-1)}`."""
    x = np.asarray(x, float)
    n = len(x)
    if n == 0:
        return np.nan, np.nan
    m = x.mean()
    codes = pd.factorize(pd.Series(np.asarray(groups)), sort=False)[0]
    s = np.bincount(codes, weights=x - m)
    c = len(s)
    se = np.sqrt((s**2).sum() * c / max(c - 1, 1)) / n if c > 1 else np.nan
    return float(m), float(se)
