r"""Competing risks: customers leave for different reasons (cause 1, 2, ...).

Cumulative incidence (Aalen-Johansen) by cause, with R survival's multi-state ``survfit``
handling of ties and its infinitesimal-jackknife standard errors, and cause-specific Cox models.

With distinct times :math:`t_j`, :math:`n_j` at risk, :math:`d_{jk}` exits of cause :math:`k`
and :math:`d_j = \sum_k d_{jk}`:

.. math::

    \hat S(t) = \prod_{t_j \le t} \Bigl(1 - \frac{d_j}{n_j}\Bigr), \qquad
    \hat F_k(t) = \sum_{t_j \le t} \hat S(t_{j-1}) \frac{d_{jk}}{n_j}

(the Aalen-Johansen estimate from one starting state; tied exits of several causes at one time
are handled exactly, as R does, with no random tie-breaking). The variance is the
infinitesimal jackknife :math:`\sum_i U_i(t)^2`, :math:`U_i` the derivative of
:math:`\hat F_k(t)` with respect to customer :math:`i`'s case weight, which is what R
``survfit`` reports for multi-state curves; it is computed in closed form in
:math:`O(n + T)` from prefix sums (each customer's influence depends only on the time and kind
of their exit). Bands on the log scale, as R's default ``conf.type = "log"``:
:math:`\hat F \exp(\pm z\, \mathrm{se} / \hat F)`, capped at 1.

Gray's test compares one cause's incidence across :math:`K` groups: the score
:math:`s_k = \int W(t) \{ d\hat F_k(t) / (1 - \hat F_k(t-)) - d\hat F^0(t) / (1 - \hat F^0(t-))
\}` weighted by :math:`R_k(t) = n_k(t) (1 - \hat F_k(t-)) / \hat S_k(t-)`, with
:math:`W = (1 - \hat F^0(t-))^\rho` and :math:`\hat F^0` the pooled estimate; the statistic
:math:`s^\top \hat V^{-1} s` on the first :math:`K - 1` groups is chi-squared with :math:`K - 1`
degrees of freedom, summed over strata, with Gray's (1988) variance estimate; it is computed
in one vectorized pass over the distinct times, as cmprsk ``cuminc``'s ``Tests``.

References
----------
Aalen and Johansen (1978), Scand. J. Statist. 5, 141-150; Therneau, Crowson and Atkinson,
"Multi-state models and competing risks", R survival vignette (``compete``); Putter, Fiocco and
Geskus (2007), Stat. Med. 26, 2389-2430; Gray (1988), "A class of K-sample tests for comparing
the cumulative incidence of a competing risk", Ann. Statist. 16, 1141-1154.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy.stats import chi2, norm

from .._format import fmt_count, fmt_num, fmt_p, fmt_pct, label
from .._results import Findings, Result, result_dataclass
from .._validation import (
    check_level,
    check_number,
    check_option,
    fail,
    fail_rows,
    require_columns,
)
from ..i18n import is_english, t, unit_word
from ..plots import localize_figure
from ._checks import check_survival
from .models import fit_churn
from .tables import UNITS

TABLE = "survival table"


def _codes(
    table: pd.DataFrame, event_col: str, cause_col: str | None, causes: dict | None
) -> tuple[np.ndarray, dict]:
    """Event codes as ints (0 censored, 1.. causes) and ``{code: cause name}``.

    Either ``event_col`` holds the codes (0, 1, 2, ...), named by ``causes``; or ``event_col``
    is the 0/1 exit indicator and ``cause_col`` names each exit's cause (as
    :func:`survival_table`'s ``exit_cause``), coded in sorted order.
    """
    if cause_col is not None:
        return _named_codes(table, event_col, cause_col)
    require_columns(table, [event_col], TABLE)
    v = pd.to_numeric(table[event_col], errors="coerce")
    bad = (v.isna() | (v < 0) | (v % 1 != 0)).to_numpy()
    fail_rows(
        bad,
        TABLE,
        event_col,
        "exit cause is not 0 (still a customer) or a cause code 1, 2, ...",
        "code each exit cause as 1, 2, ... and customers still active as 0, or pass "
        "cause_col= with the name of each exit's cause",
        _rows,
    )
    e = v.to_numpy().astype(np.int64)
    found = sorted(set(np.unique(e).tolist()) - {0})
    if not found:
        fail(TABLE, event_col, "no exits of any cause", "a competing-risks model needs exits")
    names = {k: str(k) for k in found}
    if causes:
        unknown = sorted(set(found) - set(causes))
        if unknown:
            fail(
                TABLE,
                event_col,
                f"cause codes {unknown} have no name in causes=",
                f"name every cause code: causes={{{', '.join(f'{k}: ...' for k in found)}}}",
            )
        names = {k: str(causes[k]) for k in found}
    return e, names


def cause_codes(table, cause, event_col, cause_col, causes, where: str):
    """``(codes, names, code of cause)``: :func:`_codes` and the modelled cause, or an error."""
    e, names = _codes(table, event_col, cause_col, causes)
    code = next((k for k, v in names.items() if v == str(cause)), cause)
    if code not in names:
        fail(where, "cause", f"{cause!r} is not a cause", f"use one of {list(names.values())}")
    return e, names, code


def exit_times(table: pd.DataFrame, e: np.ndarray, duration_col: str, event_col: str):
    """The checked durations, with the exit indicator of the cause codes ``e`` (a two-column
    frame is checked: the table is never copied)."""
    require_columns(table, [duration_col], TABLE)
    frame = pd.DataFrame(
        {duration_col: table[duration_col], event_col: (e > 0).astype(int)}, index=table.index
    )
    return check_survival(frame, duration_col, event_col, TABLE)[0]


def _rows(mask: np.ndarray) -> list[str]:
    return [f"row {i}" for i in np.flatnonzero(mask)]


def _named_codes(table: pd.DataFrame, event_col: str, cause_col: str) -> tuple[np.ndarray, dict]:
    require_columns(table, [event_col, cause_col], TABLE)
    exit_ = pd.to_numeric(table[event_col], errors="coerce").to_numpy() == 1
    cause = table[cause_col].astype(object).where(table[cause_col].notna())
    named = cause.notna().to_numpy()
    fail_rows(
        exit_ & ~named,
        TABLE,
        cause_col,
        "exits without a cause",
        f"give every exit ({event_col} = 1) its cause, or code unknown causes as 'unknown'",
        _rows,
    )
    levels = sorted(set(cause[exit_].astype(str)))
    if not levels:
        fail(TABLE, event_col, "no exits of any cause", "a competing-risks model needs exits")
    code = {c: k for k, c in enumerate(levels, start=1)}
    e = np.where(exit_, cause.map(lambda c: code.get(str(c), 0)).to_numpy(), 0).astype(np.int64)
    return e, {k: c for c, k in code.items()}


def _incidence(T: np.ndarray, E: np.ndarray, causes: list[int], z: float) -> pd.DataFrame:
    """One group's Aalen-Johansen curves: time, at_risk, then per cause incidence, se, bands."""
    times, inv = np.unique(T, return_inverse=True)
    m = len(times)
    exits = np.bincount(inv, minlength=m)
    n = len(T) - np.r_[0, np.cumsum(exits)[:-1]]
    d = np.bincount(inv, weights=(E > 0).astype(float), minlength=m)
    cens = exits - d
    lam = d / n
    S = np.cumprod(1 - lam)
    prev = np.r_[1.0, S[:-1]]
    g = np.where(lam < 1, 1 / np.where(lam < 1, (1 - lam) * n, 1), 0.0)
    G1 = np.cumsum(g * lam)
    after = n - exits  # at risk after t_j
    out = {"time": times, "at_risk": n, "event_free": S}
    for k in causes:
        dk = np.bincount(inv, weights=(E == k).astype(float), minlength=m)
        lamk = dk / n
        F = np.cumsum(prev * lamk)
        h, B = F * g, prev / n
        Q = np.cumsum(h * lam + B * lamk)
        # influence of a customer leaving at t_e: alpha * F(t) + beta, by kind of exit
        kinds = (
            (cens, G1, -Q),
            (dk, G1 - g, h + B - Q),
            (d - dk, G1 - g, h - Q),
        )
        p2 = sum(np.cumsum(w * a * a) for w, a, _ in kinds)
        p1 = sum(np.cumsum(w * a * b) for w, a, b in kinds)
        p0 = sum(np.cumsum(w * b * b) for w, _, b in kinds)
        var = F * F * p2 + 2 * F * p1 + p0 + after * (G1 * F - Q) ** 2
        se = np.sqrt(np.maximum(var, 0))
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.exp(z * se / F)
            lo = np.where(F > 0, F / w, np.nan)
            hi = np.where(F > 0, np.minimum(F * w, 1), np.nan)
        out[f"incidence_{k}"], out[f"se_{k}"] = F, se
        out[f"low_{k}"], out[f"high_{k}"] = lo, hi
    return pd.DataFrame(out)


def _by_time_group(inv, g, m, ng, w):
    """(m, ng) sums of ``w`` per distinct time and group."""
    return np.bincount(inv * ng + g, weights=w, minlength=m * ng).reshape(m, ng)


def _gray_stratum(T, eps, g, ng: int, rho: float) -> tuple[np.ndarray, np.ndarray]:
    """Score (ng - 1) and its covariance for one stratum (Gray 1988), one pass over the times.

    ``eps``: 1 the cause of interest, 2 another cause, 0 censored; ``g``: group 0..ng-1.
    """
    times, inv = np.unique(T, return_inverse=True)
    m = len(times)
    d1 = _by_time_group(inv, g, m, ng, (eps == 1).astype(float))
    d2 = _by_time_group(inv, g, m, ng, (eps == 2).astype(float))
    left = _by_time_group(inv, g, m, ng, np.ones(len(T)))
    rs = np.bincount(g, minlength=ng) - np.vstack([np.zeros(ng), np.cumsum(left, 0)[:-1]])
    pos = rs > 0
    safe = np.where(pos, rs, 1.0)
    S = np.cumprod(1 - np.where(pos, (d1 + d2) / safe, 0.0), axis=0)  # S_k(t), per group
    Sm = np.vstack([np.ones(ng), S[:-1]])  # S_k(t-)
    F1 = np.cumsum(Sm * d1 / safe, axis=0)
    F1m = np.vstack([np.zeros(ng), F1[:-1]])
    ev = (d1 + d2).sum(1) > 0
    d1, d2, rs, pos, safe, S, Sm, F1m = (x[ev] for x in (d1, d2, rs, pos, safe, S, Sm, F1m))
    nd1 = d1.sum(1)
    h = np.where(pos, rs / np.where(pos, Sm, 1.0), 0.0)  # R_k / S_k(t-)
    tr = h.sum(1)
    tq = (h * (1 - F1m)).sum(1)
    F = np.cumsum(nd1 / tr)  # pooled subdistribution estimate
    Fm = np.r_[0.0, F[:-1]]
    fb = (1 - Fm) ** rho
    score = (fb[:, None] * (d1 - nd1[:, None] * h * (1 - F1m) / tq[:, None])).sum(0)
    A = fb[:, None, None] * (
        h[:, :, None] * np.eye(ng) - h[:, :, None] * h[:, None, :] / tr[:, None, None]
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(nd1 > 0, nd1 / (tr * (1 - Fm)), 0.0)
    C = np.cumsum(A * rate[:, None, None], axis=0)
    # failures of the cause of interest
    on = pos & (nd1 > 0)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        t4 = np.where(S > 0, 1 - (1 - F)[:, None] / np.where(S > 0, S, 1), 1.0)
        t5 = np.where(nd1[:, None] > 1, 1 - (nd1[:, None] - 1) / (tr[:, None] * Sm - 1), 1.0)
        t3 = np.where(on, t5 * Sm * nd1[:, None] / (tr[:, None] * safe), 0.0)
    U = A - t4[:, None, :] * C  # (time, i, k)
    v3 = (t4**2 * t3).sum(0)
    v2 = np.einsum("tik,tk->ik", U, t4 * t3)
    V = np.einsum("tk,tik,tjk->ij", t3, U, U)
    # failures of other causes
    on2 = (S > 0) & (d2 > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        u4 = np.where(on2, (1 - F)[:, None] / np.where(S > 0, S, 1), 0.0)
        u5 = np.where(d2 > 1, 1 - (d2 - 1) / (safe - 1), 1.0)
        u3 = np.where(on2, u5 * Sm**2 * d2 / safe**2, 0.0)
    w2 = u4**2 * u3
    v3 += w2.sum(0)
    v2 -= np.einsum("tik,tk->ik", C, w2)
    V += np.einsum("tk,tik,tjk->ij", w2, C, C)
    Cn = C[-1]
    V += (Cn * v3) @ Cn.T + Cn @ v2.T + v2 @ Cn.T
    return score[:-1], V[:-1, :-1]


def gray_test(T, e, group, causes, strata=None, rho: float = 0.0) -> pd.DataFrame:
    """Gray's k-sample test of each cause's cumulative incidence across ``group`` (codes
    0..ng-1), stratified by ``strata`` codes: ``cause`` (code), ``statistic``, ``df``,
    ``p_value`` (as cmprsk ``cuminc``'s ``Tests``; ``statistic`` missing where the covariance
    is singular, where cmprsk reports -1)."""
    _, group = np.unique(group, return_inverse=True)  # groups present, coded 0..ng-1
    ng = int(group.max()) + 1
    st = np.zeros(len(T), dtype=np.int64) if strata is None else strata
    rows = []
    for k in causes:
        eps = np.where(e == k, 1, np.where(e > 0, 2, 0))
        s, V = np.zeros(ng - 1), np.zeros((ng - 1, ng - 1))
        for code in np.unique(st):  # a few strata
            sel = st == code
            ds, dV = _gray_stratum(T[sel], eps[sel], group[sel], ng, rho)
            s, V = s + ds, V + dV
        stat = np.nan
        if np.linalg.matrix_rank(V) == ng - 1:
            stat = float(s @ np.linalg.solve(V, s))
        rows.append({"cause": k, "statistic": stat, "df": ng - 1, "p_value": chi2.sf(stat, ng - 1)})
    return pd.DataFrame(rows)


def _long(wide: pd.DataFrame, names: dict, group) -> pd.DataFrame:
    parts = []
    for k, name in names.items():
        parts.append(
            pd.DataFrame(
                {
                    "group": group,
                    "cause": name,
                    "time": wide["time"],
                    "at_risk": wide["at_risk"],
                    "incidence": wide[f"incidence_{k}"],
                    "se": wide[f"se_{k}"],
                    "ci_low": wide[f"low_{k}"],
                    "ci_high": wide[f"high_{k}"],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


@result_dataclass
class IncidenceResult(Result):
    """Cumulative incidence of each exit cause (Aalen-Johansen), by group.

    Attributes
    ----------
    table : DataFrame
        ``group``, ``cause``, ``time`` (every observed time), ``at_risk``, ``incidence``
        (probability of having left for that cause by ``time``), ``se`` (R survfit's
        infinitesimal jackknife), ``ci_low``, ``ci_high`` (log bands; missing where the
        incidence is 0).
    event_free : DataFrame
        ``group``, ``time``, ``event_free``: the probability of no exit of any cause
        (Kaplan-Meier of all exits); with the incidences it sums to 1.
    causes : dict
        Cause code -> name.
    by : str or None
        The grouping column.
    unit : str
        Time unit.
    alpha : float
        1 - confidence level of the bands.
    dropped : int
        Rows left out because their group is missing.
    tests : DataFrame or None
        Gray's test per cause across the groups (``by`` with two groups or more): ``cause``
        (name), ``statistic``, ``df``, ``p_value``, as cmprsk ``cuminc``'s ``Tests``.
    """

    table: pd.DataFrame
    event_free: pd.DataFrame
    causes: dict
    by: str | None
    unit: str
    alpha: float
    dropped: int = 0
    tests: pd.DataFrame | None = None

    def at(self, times) -> pd.DataFrame:
        """Incidence at chosen horizons (step function): ``group``, ``cause``, ``time``,
        ``incidence``, ``se``, ``ci_low``, ``ci_high``."""
        times = np.atleast_1d(np.asarray(times, dtype=float))
        rows = []
        for (g, c), part in self.table.groupby(["group", "cause"], sort=False):
            idx = np.searchsorted(part["time"].to_numpy(), times, side="right") - 1
            sel = part.iloc[np.maximum(idx, 0)]
            zero = idx < 0
            rows.append(
                pd.DataFrame(
                    {
                        "group": g,
                        "cause": c,
                        "time": times,
                        "incidence": np.where(zero, 0.0, sel["incidence"].to_numpy()),
                        "se": np.where(zero, 0.0, sel["se"].to_numpy()),
                        "ci_low": np.where(zero, np.nan, sel["ci_low"].to_numpy()),
                        "ci_high": np.where(zero, np.nan, sel["ci_high"].to_numpy()),
                    }
                )
            )
        return pd.concat(rows, ignore_index=True)

    def _summary_parts(self):
        h = self._horizon()
        return (
            t("churn.cif.title"),
            {t("churn.cif.causes"): ", ".join(self.causes.values())},
            {
                t("churn.cif.at_horizon"): self.at([h]),
                **({} if self.tests is None else {t("churn.cif.gray_title"): self.tests}),
            },
            [],
        )

    def _horizon(self) -> float:
        return 12 * UNITS["months"] / UNITS[self.unit]

    def findings(self, horizon: float | None = None) -> Findings:
        """The share who left for each cause by ``horizon`` (default 12 months), per group."""
        h = self._horizon() if horizon is None else horizon
        level = fmt_pct(1 - self.alpha)
        f = []
        for _, r in self.at([h]).iterrows():
            f.append(
                t(
                    "churn.cif.after",
                    h=fmt_num(h, 0),
                    unit=unit_word(self.unit),
                    share=fmt_pct(r["incidence"], 1),
                    cause=label(r["cause"]),
                    who=t("churn.km_customers") if self.by is None else label(str(r["group"])),
                    level=level,
                    low=fmt_pct(r["ci_low"], 1),
                    high=fmt_pct(r["ci_high"], 1),
                )
            )
        c = []
        if self.dropped:
            c.append(t("churn.km_missing_group", n=self.dropped, by=label(self.by)))
        return Findings(tuple(f) + self._gray_findings(), tuple(c))

    def _gray_findings(self) -> tuple[str, ...]:
        """One sentence per cause: do the groups' incidences differ (Gray's test)?"""
        if self.tests is None:
            return ()
        out = []
        for _, r in self.tests.iterrows():
            if not np.isfinite(r["statistic"]):
                out.append(t("churn.cif.gray_singular", cause=label(r["cause"])))
                continue
            key = "churn.cif.gray_differ" if r["p_value"] < self.alpha else "churn.cif.gray_same"
            out.append(
                t(
                    key,
                    cause=label(r["cause"]),
                    by=label(self.by),
                    stat=fmt_num(r["statistic"], 2),
                    df=fmt_count(r["df"]),
                    p=fmt_p(r["p_value"]),
                    alpha=fmt_num(self.alpha, 2),
                )
            )
        return tuple(out)

    def plot(self, group=None, ax=None):
        """Stacked probabilities: each cause's incidence and the event-free share, over time
        (the first group unless ``group`` is given), drawn while at least :data:`MIN_AT_RISK`
        customers and :data:`MIN_AT_RISK_SHARE` of the group are at risk; returns the ``Axes``."""
        ax = self._draw(group, ax)
        if not is_english():
            localize_figure(ax)
        return ax

    def _draw(self, group, ax):
        g = self.table["group"].iloc[0] if group is None else group
        part = self.table[self.table["group"] == g]
        free = self.event_free[self.event_free["group"] == g]
        ax = ax or plt.subplots(figsize=(7, 4))[1]
        first = next(iter(self.causes.values()))
        n = _shown(part.loc[part["cause"] == first, "at_risk"].to_numpy())
        times, free = free["time"].to_numpy()[:n], free.iloc[:n]
        layers = [
            part.loc[part["cause"] == c, "incidence"].to_numpy()[:n] for c in self.causes.values()
        ]
        names = [label(c) for c in self.causes.values()]
        ax.stackplot(
            times,
            *layers,
            free["event_free"].to_numpy(),
            labels=[*names, t("churn.cif.event_free")],
            step="post",
            alpha=0.8,
        )
        ax.set_xlim(0, times.max())
        ax.set_ylim(0, 1)
        ax.set_xlabel(t("churn.cif.time", unit=unit_word(self.unit)))
        ax.set_ylabel(t("churn.cif.probability"))
        ax.set_title(t("churn.cif.title"))
        ax.legend(loc="upper left", fontsize=8)  # over the early still-customer share
        return ax


#: The curves are drawn while at least this many customers, and this share of the group's
#: start, are still at risk: past that the estimate rests on a handful of customers.
MIN_AT_RISK, MIN_AT_RISK_SHARE = 10, 0.05


def _shown(at_risk: np.ndarray) -> int:
    """How many of the leading times to draw: up to the last time with at least
    :data:`MIN_AT_RISK` customers and :data:`MIN_AT_RISK_SHARE` of the start at risk (at
    least one time)."""
    if at_risk.size == 0:
        return 0
    floor = max(MIN_AT_RISK, MIN_AT_RISK_SHARE * at_risk[0])
    ok = np.flatnonzero(at_risk >= floor)
    return int(ok[-1]) + 1 if ok.size else 1


def cumulative_incidence(
    table: pd.DataFrame,
    by: str | None = None,
    *,
    duration_col: str = "duration",
    event_col: str = "event",
    cause_col: str | None = None,
    causes: dict | None = None,
    alpha: float = 0.05,
    unit: str = "months",
    strata: str | None = None,
    rho: float = 0.0,
) -> IncidenceResult:
    """Cumulative incidence of each exit cause (Aalen-Johansen), with R survival's standard
    errors and log bands.

    Parameters
    ----------
    table : DataFrame
        One row per customer: ``duration`` (>= 0) and ``event``, 0 for customers still active
        (censored) and 1, 2, ... for the cause of exit.
    by : str, optional
        Column whose groups get their own curves.
    duration_col, event_col : str
        Column names.
    cause_col : str, optional
        A column naming each exit's cause (e.g. :func:`survival_table`'s ``exit_cause``); then
        ``event_col`` is the 0/1 exit indicator.
    causes : dict, optional
        Cause code -> name, e.g. ``{1: "cancelled", 2: "non-payment"}``.
    alpha : float
        1 - confidence level of the bands.
    unit : str
        Time unit of the durations.
    strata : str, optional
        Column whose levels stratify Gray's test (as cmprsk ``cuminc(strata=)``); the curves are
        not stratified.
    rho : float
        Power of the weight (1 - F0(t-)) ** rho in Gray's test, F0 the pooled incidence (cmprsk's ``rho``;
        0, the default, is a log-rank-like weight).

    Returns
    -------
    IncidenceResult
        ``table`` with ``group``, ``cause``, ``time``, ``at_risk``, ``incidence``, ``se``,
        ``ci_low``, ``ci_high``; ``tests`` with Gray's test per cause when ``by`` has two groups
        or more.

    Notes
    -----
    See the module docstring. Matches R ``survfit(Surv(time, factor(event)) ~ by)``'s
    ``pstate``, ``std.err``, ``lower`` and ``upper``, and Gray's test cmprsk
    ``cuminc(time, event, by, strata, rho)$Tests`` (tests/reference/competing_r.R).
    """
    check_option("unit", unit, list(UNITS), "cumulative_incidence")
    a = check_level(alpha, "alpha")
    e, names = _codes(table, event_col, cause_col, causes)
    T = exit_times(table, e, duration_col, event_col)
    if by is not None:
        require_columns(table, [by], TABLE)
        codes, groups = pd.factorize(table[by], sort=True)
    else:
        codes, groups = np.zeros(len(table), dtype=int), ["all"]
    z = float(norm.ppf(1 - a / 2))
    curves, free = [], []
    for k, g in enumerate(groups):
        sel = codes == k
        wide = _incidence(T[sel], e[sel], list(names), z)
        curves.append(_long(wide, names, g))
        free.append(wide[["time", "event_free"]].assign(group=g))
    event_free = pd.concat(free, ignore_index=True)[["group", "time", "event_free"]]
    dropped = int((codes < 0).sum())
    tests = None
    if len(groups) > 1:
        tests = _tests(table, T, e, codes, names, strata, rho)
    return IncidenceResult(
        pd.concat(curves, ignore_index=True), event_free, names, by, unit, a, dropped, tests
    )


def _tests(table, T, e, codes, names, strata, rho) -> pd.DataFrame:
    """Gray's test on the rows with a group (and a stratum), causes named."""
    check_number("rho", rho, low=0)
    ok = codes >= 0
    st = None
    if strata is not None:
        require_columns(table, [strata], TABLE)
        st = pd.factorize(table[strata], sort=True)[0]
        ok &= st >= 0
        st = st[ok]
    res = gray_test(T[ok], e[ok], codes[ok], list(names), st, float(rho))
    return res.assign(cause=res["cause"].map(names))


def fit_cause_specific(
    table: pd.DataFrame,
    covariates,
    *,
    cause,
    event_col: str = "event",
    cause_col: str | None = None,
    causes: dict | None = None,
    **fit_kw,
):
    """Cause-specific Cox model: the hazard of leaving for ``cause``, other exits censored.

    Parameters
    ----------
    table : DataFrame
        As :func:`cumulative_incidence` (``event`` 0 censored, 1, 2, ... causes).
    covariates : str or list of str
        As :func:`cxmodels.churn.fit_churn`.
    cause : int or str
        The cause code, or its name in ``causes``.
    event_col, cause_col : str
        As :func:`cumulative_incidence`.
    causes : dict, optional
        Cause code -> name.
    **fit_kw
        Every other keyword of :func:`cxmodels.churn.fit_churn` (``alpha``, ``strata``,
        ``penalizer``, ``unit``, ...).

    Returns
    -------
    CoxResult
        As :func:`fit_churn`, on the 0/1 indicator of this cause (column ``event_<cause>``).

    Notes
    -----
    :math:`h_k(t \\mid x) = h_{k0}(t) e^{x^\\top\\beta_k}`: the Cox partial likelihood with exits
    of other causes treated as censored (Prentice et al. 1978), as R
    ``coxph(Surv(time, event == k) ~ x)``.
    """
    e, names, code = cause_codes(table, cause, event_col, cause_col, causes, "fit_cause_specific")
    col = f"event_{names[code]}"
    data = table.assign(**{col: (e == code).astype(np.int64)})
    return fit_churn(data, covariates, event_col=col, model="cox", **fit_kw)
