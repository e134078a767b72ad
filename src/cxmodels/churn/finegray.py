r"""Fine-Gray subdistribution hazards for one exit cause, in linear time, with the robust variance
of R cmprsk ``crr``.

For cause 1, customers who left for another cause stay in the risk set with the weight
:math:`w_j(s) = \hat G(s-)/\hat G(T_j-)`, :math:`\hat G` the Kaplan-Meier estimate of the
censoring distribution; Breslow ties:

.. math::

    \ell(\beta) = \sum_{i:\,\varepsilon_i = 1} \Bigl[Z_i^\top\beta - \log S^{(0)}(T_i)\Bigr],
    \qquad S^{(0)}(s) = \sum_{T_j \ge s} e^{Z_j^\top\beta}
      + \hat G(s-) \sum_{T_j < s,\ \varepsilon_j = 2} \frac{e^{Z_j^\top\beta}}{\hat G(T_j-)}.

Both sums are running sums over the sorted times, so the likelihood, score and information cost
:math:`O(n p^2)` (Kawaguchi et al. 2020's forward-backward scan). The variance is Fine and
Gray's sandwich :math:`\Omega^{-1} \sum_i (\eta_i + \psi_i)^{\otimes 2} \Omega^{-1}`, with
:math:`\eta_i` the score residual of customer :math:`i` and :math:`\psi_i` the term for the
estimated censoring distribution; every per-customer term is a difference of running sums, so
it is linear too (cmprsk's ``crrvv`` loops over pairs and triples of customers).

References
----------
Fine and Gray (1999), JASA 94, 496-509; Kawaguchi, Shen, Suchard et al. (2020), "Scalable
algorithms for large competing risks data", J. Comput. Graph. Statist. 30, 685-693.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from .._design import build_design
from .._format import fmt_ci, fmt_num, fmt_pct, join_words, label
from .._results import Findings, Result, result_dataclass
from .._validation import as_list, check_level
from ..i18n import t
from .competing import TABLE, cause_codes, exit_times


def _censoring_km_left(T: np.ndarray, cens: np.ndarray) -> np.ndarray:
    """G(T_i-): Kaplan-Meier of the censoring times just before each (sorted) time."""
    times, first, counts = np.unique(T, return_index=True, return_counts=True)
    c = np.add.reduceat(cens, first)
    at_risk = len(T) - first
    G = np.cumprod(1 - c / at_risk)
    before = np.r_[1.0, G[:-1]]
    return np.repeat(before, counts)


def _suffix_at(values: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """``values[i:].sum(axis=0)`` for each ``i`` of the sorted ``idx`` (0 <= i <= n): one pass of
    segment sums between the wanted indices, then a cumulative sum over the few segments (no
    n x p running sum is formed)."""
    u, inv = np.unique(idx, return_inverse=True)
    inside = u < len(values)
    out = np.zeros((len(u),) + values.shape[1:])
    if inside.any():
        seg = np.add.reduceat(values, u[inside], axis=0)
        out[inside] = np.cumsum(seg[::-1], axis=0)[::-1]
    return out[inv]


def _risk_sums(eZ, Z, T, eps, Gleft, fail_times, buf):
    """S0 and S1 of the weighted risk set at each distinct failure time (rows); ``buf`` is an
    (n x p) work array (a fresh 80 MB array per call costs more in page faults than the sums)."""
    n = len(T)
    start = np.searchsorted(T, fail_times, side="left")  # first customer with T_j >= s
    suf0 = _suffix_at(eZ, start)
    suf1 = _suffix_at(np.multiply(Z, eZ[:, None], out=buf), start)
    # other-cause exits with T_j < s, times G(s-): the total minus the suffix
    oth = np.flatnonzero(eps == 2)
    v = eZ[oth] / Gleft[oth]
    at = np.searchsorted(oth, start)  # first other-cause exit at or after each start
    pre0 = v.sum() - _suffix_at(v, at)
    vZ = v[:, None] * Z[oth]
    pre1 = vZ.sum(axis=0) - _suffix_at(vZ, at)
    Gs = Gleft[np.minimum(start, n - 1)]
    S0 = suf0 + Gs * pre0
    S1 = suf1 + Gs[:, None] * pre1
    return S0, S1, Gs, start


def _exposure(eZ, T, eps, Gleft, fail_times, a, Gs):
    """Each customer's total weight in the risk sets, sum over s of w_j(s) e^(Z_j b) d_s/S0(s):
    failure times s <= T_j, and for other-cause exits also s > T_j with G(s-)/G(T_j-)."""
    k = np.searchsorted(fail_times, T, side="right")  # failure times <= T_j
    A = np.r_[0.0, np.cumsum(a)]
    A2 = np.r_[0.0, np.cumsum(a * Gs)]
    later = np.where(eps == 2, (A2[-1] - A2[k]) / Gleft, 0.0)
    return eZ * (A[k] + later), k


def _loglik(beta, Z, T, eps, Gleft, fail_times, d, work):
    """Log pseudo-likelihood, score and information at ``beta``; ``work`` holds the (n x p)
    work array and the covariate sum of this cause's exits."""
    buf, zsum = work
    eZ = np.exp(Z @ beta)
    S0, S1, Gs, _ = _risk_sums(eZ, Z, T, eps, Gleft, fail_times, buf)
    Zbar = S1 / S0[:, None]
    ll = float(zsum @ beta - d @ np.log(S0))
    score = zsum - d @ Zbar
    # sum_s d_s S2(s)/S0(s) = Z' diag(exposure) Z: no n x p x p array
    c, _ = _exposure(eZ, T, eps, Gleft, fail_times, d / S0, Gs)
    info = np.multiply(Z, c[:, None], out=buf).T @ Z - (Zbar * d[:, None]).T @ Zbar
    return ll, score, info


def _newton(Z, T, eps, Gleft, fail_times, d, buf, tol=1e-9, max_iter=50):
    beta = np.zeros(Z.shape[1])
    work = (buf, Z[eps == 1].sum(axis=0))
    ll, score, info = _loglik(beta, Z, T, eps, Gleft, fail_times, d, work)
    for it in range(max_iter):
        step = np.linalg.solve(info, score)
        k = 0
        while True:  # step halving keeps the accepted point's values
            cand = beta + step
            ll_c, score_c, info_c = _loglik(cand, Z, T, eps, Gleft, fail_times, d, work)
            if np.isfinite(ll_c) and ll_c >= ll - 1e-12 or k > 30:
                break
            step, k = step / 2, k + 1
        beta, ll, score, info = cand, ll_c, score_c, info_c
        if np.max(np.abs(step)) < tol:
            return beta, ll, info, it + 1, True
    return beta, ll, info, max_iter, False


def _sandwich(beta, Z, T, eps, Gleft, fail_times, d, info, buf):
    """Fine and Gray's robust variance (as cmprsk crr), every sum a running sum; the residuals
    are built in place in ``buf`` (n x p)."""
    n, p = Z.shape
    eZ = np.exp(Z @ beta)
    S0, S1, Gs, start = _risk_sums(eZ, Z, T, eps, Gleft, fail_times, buf)
    Zbar = S1 / S0[:, None]
    # eta_i = dN part - compensator over failure times s <= T_i (and s > T_i for other causes)
    a, b = d / S0, (d / S0)[:, None] * Zbar
    A, B = np.cumsum(a), np.cumsum(b, axis=0)
    k = np.searchsorted(fail_times, T, side="right")  # failure times <= T_i
    eta = np.multiply(Z, (-eZ * np.r_[0.0, A][k])[:, None], out=buf)
    tmp = np.take(np.vstack([np.zeros(p), B]), k, axis=0)
    tmp *= eZ[:, None]
    eta += tmp
    own = np.flatnonzero(eps == 1)
    j = np.searchsorted(fail_times, T[own])
    eta[own] += Z[own] - Zbar[j]
    a2, b2 = a * Gs, b * Gs[:, None]
    A2, B2 = np.cumsum(a2), np.cumsum(b2, axis=0)
    oth = np.flatnonzero(eps == 2)
    ko = k[oth]
    rest_a = A2[-1] - np.r_[0.0, A2][ko]
    rest_b = B2[-1] - np.vstack([np.zeros(p), B2])[ko]
    eta[oth] -= (eZ[oth] / Gleft[oth])[:, None] * (Z[oth] * rest_a[:, None] - rest_b)
    # psi_i: q(u) / Y(u) dM^c_i(u) at the censoring times u
    times, first = np.unique(T, return_index=True)
    cens_at = np.add.reduceat((eps == 0).astype(float), first)
    Y = n - first
    v = np.where(eps == 2, eZ / Gleft, 0.0)
    U0 = np.r_[0.0, np.cumsum(v)][first]  # other-cause exits before u
    vZ = v[oth, None] * Z[oth]
    U1 = vZ.sum(axis=0) - _suffix_at(vZ, np.searchsorted(oth, first))
    fs = np.searchsorted(fail_times, times, side="left")  # failure times >= u
    C0 = np.r_[np.cumsum(a2[::-1])[::-1], 0.0][fs]
    C1 = np.vstack([np.cumsum(b2[::-1], axis=0)[::-1], np.zeros(p)])[fs]
    q = U1 * C0[:, None] - U0[:, None] * C1
    comp = np.cumsum(q * (cens_at / Y**2)[:, None], axis=0)
    u_i = np.searchsorted(times, T)
    r = eta
    r -= np.take(comp, u_i, axis=0, out=tmp)  # psi_i, then the censored customers' own term
    cz = np.flatnonzero(eps == 0)
    r[cz] += q[u_i[cz]] / Y[u_i[cz]][:, None]
    inv = np.linalg.inv(info)
    return inv @ (r.T @ r) @ inv


@result_dataclass
class FineGrayResult(Result):
    """Fine-Gray subdistribution hazard model for one exit cause.

    Attributes
    ----------
    table : DataFrame
        ``covariate``, ``coef``, ``se`` (robust, as cmprsk ``crr``), ``coef_low``,
        ``coef_high``, ``z``, ``p_value``, ``shr`` (subdistribution hazard ratio), ``shr_low``,
        ``shr_high``.
    cause : str
        The modelled cause.
    n, events, competing : int
        Customers, exits of this cause, exits of other causes.
    loglik : float
        The log pseudo-likelihood at the estimate.
    converged : bool
        Whether Newton-Raphson converged.
    alpha : float
        1 - confidence level.
    """

    table: pd.DataFrame
    cause: str
    n: int
    events: int
    competing: int
    loglik: float
    converged: bool
    alpha: float

    def _summary_parts(self):
        facts = {
            t("churn.fg.cause"): self.cause,
            t("churn.fg.n"): self.n,
            t("churn.fg.events"): self.events,
            t("churn.fg.competing"): self.competing,
        }
        return t("churn.fg.title"), facts, {t("churn.fg.title"): self.table}, []

    def findings(self) -> Findings:
        """One sentence per covariate whose interval excludes 1, one naming the rest."""
        clear, unclear = [], []
        for _, r in self.table.iterrows():
            if r["shr_low"] > 1 or r["shr_high"] < 1:
                key = "churn.fg.raises" if r["shr"] > 1 else "churn.fg.lowers"
                clear.append(
                    t(
                        key,
                        x=label(r["covariate"]),
                        cause=label(self.cause),
                        shr=fmt_num(r["shr"]),
                        ci=fmt_ci(r["shr_low"], r["shr_high"]),
                        level=fmt_pct(1 - self.alpha),
                    )
                )
            else:
                unclear.append(label(r["covariate"]))
        if unclear:
            clear.append(t("churn.fg.unclear", names=join_words(unclear)))
        return Findings(tuple(clear), ())


def fit_fine_gray(
    table: pd.DataFrame,
    covariates,
    *,
    cause,
    duration_col: str = "duration",
    event_col: str = "event",
    cause_col: str | None = None,
    causes: dict | None = None,
    reference: dict | None = None,
    alpha: float = 0.05,
    missing: str = "drop",
) -> FineGrayResult:
    """Fine-Gray model of the subdistribution hazard of one exit cause (as R cmprsk ``crr``).

    Parameters
    ----------
    table : DataFrame
        As :func:`cumulative_incidence`.
    covariates : str or list of str
        Numeric, boolean or categorical columns (categoricals one-hot, first level the
        reference, as :func:`fit_churn`).
    cause : int or str
        The cause code, or its name.
    duration_col, event_col, cause_col, causes
        As :func:`cumulative_incidence`.
    reference : dict, optional
        Categorical covariate -> reference level.
    alpha : float
        1 - confidence level.
    missing : {"drop", "error"}
        Rows with a missing covariate dropped and counted, or refused.

    Returns
    -------
    FineGrayResult

    Notes
    -----
    See the module docstring. Breslow ties and the censoring distribution estimated on all
    customers, as ``crr`` with one censoring group; coefficients and robust standard errors
    agree with ``crr`` (tests/reference/competing_r.R).
    """
    a = check_level(alpha, "alpha")
    e, names, code = cause_codes(table, cause, event_col, cause_col, causes, "fit_fine_gray")
    design = build_design(
        table, as_list(covariates), reference=reference, missing=missing, table=TABLE
    )
    keep = np.ones(len(table), bool) if design.keep is None else design.keep
    T = exit_times(table, e, duration_col, event_col)
    T, e, Z = T[keep], e[keep], design.X
    eps = np.where(e == code, 1, np.where(e > 0, 2, 0))
    order = np.argsort(T, kind="stable")
    T, eps, Z = T[order], eps[order], np.asarray(Z, dtype=float)[order]
    Gleft = _censoring_km_left(T, (eps == 0).astype(float))
    fail_times, d = np.unique(T[eps == 1], return_counts=True)
    buf = np.empty_like(Z)
    beta, ll, info, _, ok = _newton(Z, T, eps, Gleft, fail_times, d.astype(float), buf)
    cov = _sandwich(beta, Z, T, eps, Gleft, fail_times, d.astype(float), info, buf)
    se = np.sqrt(np.diag(cov))
    zq = norm.ppf(1 - a / 2)
    tab = pd.DataFrame(
        {
            "covariate": list(design.columns),
            "coef": beta,
            "se": se,
            "coef_low": beta - zq * se,
            "coef_high": beta + zq * se,
            "z": beta / se,
            "p_value": 2 * norm.sf(np.abs(beta / se)),
        }
    )
    tab["shr"], tab["shr_low"], tab["shr_high"] = (
        np.exp(tab["coef"]),
        np.exp(tab["coef_low"]),
        np.exp(tab["coef_high"]),
    )
    return FineGrayResult(
        tab, names[code], len(T), int((eps == 1).sum()), int((eps == 2).sum()), ll, ok, a
    )
