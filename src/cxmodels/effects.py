"""The causal effect of customer follow-up on satisfaction and retention.

A **unit** is a purchase or complaint (an eligible event). It is **treated** when the same
customer got a follow-up contact within ``window_days`` after it. The **outcome** is the next
survey answer after the window closes (within ``horizon_days`` and before the customer's next
eligible event, so that an answer is never credited to an earlier event), or churn within
``horizon_days`` of the event (``outcome="churn_within"``; then the unit is each customer's first
eligible event, since a customer churns once, and customers who churn inside the window are left
out because they could not be followed up).

Follow-up is never randomised, so four estimators of the average treatment effect (ATE) are
reported side by side, with the propensity :math:`e(x) = P(T=1 \\mid x)` from a logistic model
and outcome models :math:`\\mu_t(x)` fitted in each arm (OLS; logistic for binary outcomes):

* naive: :math:`\\bar Y_1 - \\bar Y_0`;
* regression adjustment: :math:`n^{-1}\\sum_i [\\hat\\mu_1(x_i) - \\hat\\mu_0(x_i)]`;
* IPW (Hájek, normalised weights :math:`T/e`, :math:`(1-T)/(1-e)`);
* AIPW, doubly robust (Robins, Rotnitzky & Zhao 1994; Glynn & Quinn 2010):
  :math:`n^{-1}\\sum_i [\\hat\\mu_1 - \\hat\\mu_0 + T(Y-\\hat\\mu_1)/\\hat e - (1-T)(Y-\\hat\\mu_0)/(1-\\hat e)]`.

Intervals are percentile bootstraps that resample **customers** (clusters), so repeated events
of one customer are not treated as independent. Propensities are clipped to ``[trim, 1-trim]``
and the number clipped is reported. Diagnostics: overlap, standardised mean differences before
and after weighting (flagged above 0.1; Austin 2011) and effective sample sizes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._results import ResultMixin
from ._validation import fail, require_columns
from .data.contract import CUSTOMER_ATTRIBUTES

DEFAULT_COVARIATES = [
    "segment",
    "loyalty_member",
    "region",
    "age_band",
    "income_band",
    "acquisition_channel",
    "kind",
    "tenure_days_at_event",
]
SAT_OUTCOMES = ("overall_sat", "nps", "csat", "ces")


# --------------------------------------------------------------------------- small exact fitters
def logit_fit(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray | None = None,
    ridge: float = 1e-6,
    max_iter: int = 50,
) -> np.ndarray:
    """Weighted logistic regression by Newton-Raphson (IRLS); ``X`` includes the intercept."""
    w = np.ones(len(y)) if w is None else w
    beta = np.zeros(X.shape[1])
    for _ in range(max_iter):
        eta = np.clip(X @ beta, -30, 30)
        p = 1 / (1 + np.exp(-eta))
        W = w * p * (1 - p)
        H = (X * W[:, None]).T @ X + ridge * np.eye(X.shape[1])
        g = X.T @ (w * (y - p)) - ridge * beta
        step = np.linalg.solve(H, g)
        beta += step
        if np.abs(step).max() < 1e-8:
            break
    return beta


def ols_fit(X: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    sw = np.ones(len(y)) if w is None else w
    s = np.sqrt(sw)
    return np.linalg.lstsq(X * s[:, None], y * s, rcond=None)[0]


def _expit(z):
    return 1 / (1 + np.exp(-np.clip(z, -30, 30)))


def design(df: pd.DataFrame, covariates: list[str]) -> pd.DataFrame:
    """Numeric design matrix: categoricals one-hot with the first level dropped, bools as 0/1."""
    parts = []
    for c in covariates:
        s = df[c]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            parts.append(s.astype(float).rename(c))
        else:
            parts.append(
                pd.get_dummies(
                    s.astype(str), prefix=c, prefix_sep="=", drop_first=True, dtype=float
                )
            )
    X = pd.concat(parts, axis=1)
    return X.loc[:, X.std() > 0]


def _estimate(X, T, Y, w, binary, trim):
    """All four estimators for one (possibly reweighted) sample; X has the intercept."""
    e = _expit(X @ logit_fit(X, T, w))
    clipped = int(((e < trim) | (e > 1 - trim)).sum())
    e = np.clip(e, trim, 1 - trim)
    t1, t0 = T == 1, T == 0
    w1, w0 = w[t1], w[t0]
    mu1 = _fitted(X, t1, Y, w, binary)
    mu0 = _fitted(X, t0, Y, w, binary)
    sw = w.sum()
    naive = (w1 * Y[t1]).sum() / w1.sum() - (w0 * Y[t0]).sum() / w0.sum()
    reg = (w * (mu1 - mu0)).sum() / sw
    a1, a0 = w * T / e, w * (1 - T) / (1 - e)
    ipw = (a1 * Y).sum() / a1.sum() - (a0 * Y).sum() / a0.sum()
    aipw = (w * (mu1 - mu0 + T * (Y - mu1) / e - (1 - T) * (Y - mu0) / (1 - e))).sum() / sw
    return np.array([naive, reg, ipw, aipw]), e, clipped


def _fitted(X, arm, Y, w, binary):
    """Outcome model fitted on one arm, predicted for every unit."""
    if binary:
        return _expit(X @ logit_fit(X[arm], Y[arm], w[arm]))
    return X @ ols_fit(X[arm], Y[arm], w[arm])


METHODS = ("naive", "regression", "ipw", "aipw")


@dataclass(frozen=True)
class EffectResult(ResultMixin):
    """Result of :func:`follow_up_effect`.

    ``table``: one row per estimator (``method``: naive, regression, ipw, aipw) with
    ``estimate``, ``se`` (bootstrap SD), ``ci_low``, ``ci_high``, ``n_treated``, ``n_control``.
    ``balance``: per covariate, standardised mean difference before and after weighting and a
    flag above 0.1. ``units``: the analysis table (no identifiers are shown in summaries)."""

    table: pd.DataFrame
    outcome: str
    window_days: int
    horizon_days: int
    balance: pd.DataFrame
    ess: dict
    n_trimmed: int
    trim: float
    bootstrap: int
    notes: tuple[str, ...]
    units: pd.DataFrame = field(repr=False)
    propensity: np.ndarray = field(repr=False)

    def estimate(self, method: str = "aipw") -> pd.Series:
        return self.table.set_index("method").loc[method]

    def _summary_parts(self):
        facts = {
            "outcome": self.outcome,
            "follow-up window (days)": self.window_days,
            "horizon (days)": self.horizon_days,
            "bootstrap replicates (customers resampled)": self.bootstrap,
            "propensities clipped": f"{self.n_trimmed} at [{self.trim}, {1 - self.trim}]",
            "effective n (treated, control)": f"{self.ess['treated']:.0f}, {self.ess['control']:.0f}",
            "max |SMD| after weighting": float(self.balance["smd_weighted"].abs().max()),
        }
        return (
            f"Effect of follow-up on {self.outcome}",
            facts,
            {
                "Estimates": self.table.set_index("method"),
                "Balance (standardised mean differences)": self.balance.set_index("covariate"),
            },
            list(self.notes),
        )

    def conclusion(self) -> str:
        """The finding in plain words, with how sure it is."""
        a = self.estimate("aipw")
        n = self.estimate("naive")
        unit = "points" if self.outcome in SAT_OUTCOMES else "percentage points"
        k = 1 if self.outcome in SAT_OUTCOMES else 100
        sure = (
            "The interval excludes zero: the data support an effect."
            if a.ci_low > 0 or a.ci_high < 0
            else "The interval includes zero: the data cannot rule out no effect."
        )
        bal = (
            "Weighting balanced every covariate (all |SMD| <= 0.1)."
            if (self.balance["smd_weighted"].abs() <= 0.1).all()
            else "Some covariates remain imbalanced after weighting; treat the estimate with caution."
        )
        what = "churn within the horizon" if self.outcome == "churn_within" else self.outcome
        return (
            f"Following up within {self.window_days} days changes {what} by {k * a.estimate:+.2f} {unit} "
            f"(95% interval {k * a.ci_low:+.2f} to {k * a.ci_high:+.2f}; doubly robust AIPW). "
            f"The naive comparison says {k * n.estimate:+.2f}; the difference is the confounding the "
            f"adjustment removes. {sure} {bal}"
        )

    def plot_overlap(self, ax=None):
        from .plots import overlap_hist

        return overlap_hist(self.propensity, self.units["treated"].to_numpy(), ax=ax)

    def plot_estimates(self, ax=None):
        from .plots import forest

        return forest(
            self.table,
            "estimate",
            "ci_low",
            "ci_high",
            "method",
            ax=ax,
            ref=0.0,
            log=False,
            title=f"Effect of follow-up on {self.outcome}",
            xlabel="average treatment effect",
        )

    def plot_balance(self, ax=None):
        from .plots import balance_plot

        return balance_plot(self.balance, ax=ax)


def follow_up_units(
    data,
    *,
    window_days: int = 14,
    outcome: str = "overall_sat",
    horizon_days: int = 180,
    events=("purchase", "complaint"),
    channel: str | None = None,
) -> pd.DataFrame:
    """The analysis table: one row per eligible event with ``treated``, ``outcome`` and covariates."""
    if data.interactions is None:
        fail(
            "interactions",
            "",
            "the interactions table is missing",
            "load a data set with CRM interactions",
        )
    inter = data.interactions
    require_columns(inter, ["customer_id", "timestamp", "kind", "channel"], "interactions")
    ev = inter.loc[
        inter["kind"].isin(list(events)), ["customer_id", "timestamp", "kind", "response_minutes"]
    ]
    if ev.empty:
        fail("interactions", "kind", f"no events of kind {list(events)}", "check the kind column")
    fu = inter.loc[inter["kind"] == "follow_up", ["customer_id", "timestamp", "channel"]]
    ev = (
        ev.sort_values("timestamp")
        .rename(columns={"timestamp": "event_time"})
        .reset_index(drop=True)
    )
    fu = fu.sort_values("timestamp").rename(
        columns={"timestamp": "fu_time", "channel": "fu_channel"}
    )
    # treatment: a follow-up within (event, event + window]
    m = pd.merge_asof(
        ev,
        fu,
        left_on="event_time",
        right_on="fu_time",
        by="customer_id",
        direction="forward",
        tolerance=pd.Timedelta(days=window_days),
        allow_exact_matches=False,
    )
    m["treated"] = m["fu_time"].notna().astype(int)
    # the customer's next eligible event: an outcome after it belongs to that event, not this one
    m = m.sort_values(["customer_id", "event_time"])
    m["next_event_time"] = m.groupby("customer_id")["event_time"].shift(-1)
    cust = data.customers.set_index("customer_id")
    end = data.observation_end
    if outcome in SAT_OUTCOMES:
        r = data.responses[["customer_id", "survey_date", outcome]].dropna()
        r = r.sort_values("survey_date").rename(columns={outcome: "outcome"})
        m["window_end"] = m["event_time"] + pd.Timedelta(days=window_days)
        m = pd.merge_asof(
            m.sort_values("window_end"),
            r,
            left_on="window_end",
            right_on="survey_date",
            by="customer_id",
            direction="forward",
            tolerance=pd.Timedelta(days=horizon_days),
        )
        m = m[m["outcome"].notna() & ~(m["survey_date"] >= m["next_event_time"])]
    elif outcome == "churn_within":
        m = m.sort_values("event_time").drop_duplicates("customer_id", keep="first")
        churn = m["customer_id"].map(cust["churn_date"])
        days = (churn - m["event_time"].dt.normalize()).dt.days
        # only units whose whole horizon is observed: keeping late units because they already
        # churned would select on the outcome
        observable = m["event_time"] + pd.Timedelta(days=horizon_days) <= end
        inside_window = days <= window_days
        m = m[observable & ~inside_window].copy()
        m["outcome"] = (days[m.index] <= horizon_days).astype(float)
    else:
        fail(
            "effects",
            "outcome",
            f"unknown outcome {outcome!r}",
            f"use one of {SAT_OUTCOMES} or 'churn_within'",
        )
    if m.empty:
        fail(
            "interactions",
            "timestamp",
            f"no eligible events with an observed {outcome} in a {window_days}-day "
            f"window and {horizon_days}-day horizon",
            "widen window_days or horizon_days",
        )
    for c in (*CUSTOMER_ATTRIBUTES, "signup_date"):
        if c in cust:
            m[c] = m["customer_id"].map(cust[c]).to_numpy()
    if "signup_date" in m:
        m["tenure_days_at_event"] = (m["event_time"] - m["signup_date"]).dt.days.astype(float)
    if channel is not None:
        m = m[(m["treated"] == 0) | (m["fu_channel"] == channel)]
    return m.reset_index(drop=True)


def follow_up_effect(
    data,
    *,
    window_days: int = 14,
    outcome: str = "overall_sat",
    horizon_days: int = 180,
    covariates: list[str] | None = None,
    method: str = "aipw",
    events=("purchase", "complaint"),
    channel: str | None = None,
    bootstrap: int = 200,
    trim: float = 0.01,
    seed: int | None = 0,
) -> EffectResult:
    """Average effect of a follow-up contact on the next satisfaction answer or on churn.

    Parameters
    ----------
    data : CXData
    window_days : int
        A follow-up counts when it comes within this many days after the event.
    outcome : "overall_sat", "nps", "csat", "ces" or "churn_within"
    horizon_days : int
        Satisfaction: the next answer must come within this many days after the window; churn:
        churn within this many days of the event.
    covariates : list of str
        Confounders for the propensity and outcome models (default: segment, club membership,
        region, age, income, acquisition channel, event kind, tenure at the event).
    method : str
        The estimator the narrative leads with; every estimator is in ``table``.
    channel : str, optional
        Compare follow-ups through this channel against none.
    bootstrap : int
        Customer-cluster bootstrap replicates for the intervals.
    trim : float
        Propensities are clipped to ``[trim, 1 - trim]``.

    Returns
    -------
    EffectResult
    """
    if method not in METHODS:
        fail("effects", "method", f"unknown method {method!r}", f"use one of {METHODS}")
    units = follow_up_units(
        data,
        window_days=window_days,
        outcome=outcome,
        horizon_days=horizon_days,
        events=events,
        channel=channel,
    )
    covariates = [c for c in (covariates or DEFAULT_COVARIATES) if c in units.columns]
    if outcome == "churn_within":
        covariates = [c for c in covariates if c != "kind"]
    T = units["treated"].to_numpy(float)
    n1, n0 = int(T.sum()), int(len(T) - T.sum())
    if n1 == 0 or n0 == 0:
        fail(
            "interactions",
            "kind=follow_up",
            f"no {'treated' if n1 == 0 else 'untreated'} units ({n1} followed up, {n0} not)",
            "widen the window, or check that follow_up contacts are recorded",
        )
    Y = units["outcome"].to_numpy(float)  # units without an observed outcome were left out above
    binary = outcome == "churn_within"
    Xdf = design(units, covariates)
    X = np.column_stack([np.ones(len(units)), Xdf.to_numpy(float)])
    w = np.ones(len(units))
    est, e, clipped = _estimate(X, T, Y, w, binary, trim)
    # customer-cluster bootstrap: multinomial counts per customer become row weights
    rng = np.random.default_rng(seed)
    cl, cl_index = pd.factorize(units["customer_id"])
    nc = len(cl_index)
    draws = np.empty((bootstrap, 4))
    for b in range(bootstrap):  # loop over replicates, vectorized inside
        wb = rng.multinomial(nc, np.full(nc, 1 / nc)).astype(float)[cl]
        if wb[T == 1].sum() == 0 or wb[T == 0].sum() == 0:
            draws[b] = np.nan
            continue
        draws[b] = _estimate(X, T, Y, wb, binary, trim)[0]
    lo, hi = (
        np.nanpercentile(draws, [2.5, 97.5], axis=0) if bootstrap else (np.full(4, np.nan),) * 2
    )
    table = pd.DataFrame(
        {
            "method": METHODS,
            "estimate": est,
            "se": np.nanstd(draws, axis=0, ddof=1) if bootstrap > 1 else np.nan,
            "ci_low": lo,
            "ci_high": hi,
            "n_treated": n1,
            "n_control": n0,
        }
    )
    # balance before / after ATE weighting
    aw = np.where(T == 1, 1 / e, 1 / (1 - e))
    bal = _balance(Xdf, T, aw)
    ess = {"treated": _ess(aw[T == 1]), "control": _ess(aw[T == 0])}
    notes = []
    if clipped:
        notes.append(
            f"{clipped} propensities were clipped to [{trim}, {1 - trim}] (extreme weights trimmed)."
        )
    if (bal["smd_weighted"].abs() > 0.1).any():
        notes.append(
            "Imbalance after weighting (|SMD| > 0.1): "
            + ", ".join(bal.loc[bal["smd_weighted"].abs() > 0.1, "covariate"])
        )
    if min(n1, n0) < 100:
        notes.append(f"Few units in one arm ({n1} treated, {n0} control): intervals are wide.")
    return EffectResult(
        table,
        outcome,
        window_days,
        horizon_days,
        bal,
        ess,
        clipped,
        trim,
        bootstrap,
        tuple(notes),
        units.drop(columns=["fu_time"], errors="ignore"),
        e,
    )


def _ess(w):
    return float(w.sum() ** 2 / (w**2).sum()) if len(w) else 0.0


def _balance(Xdf: pd.DataFrame, T: np.ndarray, aw: np.ndarray) -> pd.DataFrame:
    X = Xdf.to_numpy(float)
    t1, t0 = T == 1, T == 0

    def smd(weights):
        def mv(sel):
            ww = weights[sel]
            m = (ww[:, None] * X[sel]).sum(0) / ww.sum()
            v = (ww[:, None] * (X[sel] - m) ** 2).sum(0) / ww.sum()
            return m, v

        (m1, v1), (m0, v0) = mv(t1), mv(t0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (m1 - m0) / np.sqrt((v1 + v0) / 2)

    before = smd(np.ones(len(T)))
    after = smd(aw)
    return pd.DataFrame(
        {
            "covariate": Xdf.columns,
            "smd_unweighted": before,
            "smd_weighted": after,
            "imbalanced": np.abs(after) > 0.1,
        }
    )


def effect_by_channel(
    data, *, channels=("phone", "email", "sms"), min_treated: int = 50, **kwargs
) -> pd.DataFrame:
    """AIPW effect of follow-up through each channel against no follow-up, where n allows."""
    rows = []
    for ch in channels:  # loop over a few channels
        try:
            res = follow_up_effect(data, channel=ch, **kwargs)
        except ValueError as exc:
            rows.append(
                {
                    "channel": ch,
                    "estimate": np.nan,
                    "ci_low": np.nan,
                    "ci_high": np.nan,
                    "n_treated": 0,
                    "note": str(exc),
                }
            )
            continue
        a = res.estimate("aipw")
        ok = a.n_treated >= min_treated
        rows.append(
            {
                "channel": ch,
                "estimate": a.estimate if ok else np.nan,
                "ci_low": a.ci_low if ok else np.nan,
                "ci_high": a.ci_high if ok else np.nan,
                "n_treated": int(a.n_treated),
                "note": "" if ok else f"fewer than {min_treated} followed-up units",
            }
        )
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class ResponseTimeResult(ResultMixin):
    """Complaint response time in bands against the next outcome, adjusted for covariates.

    ``table``: one row per band with ``n``, ``mean_outcome`` (raw) and ``adjusted_diff`` against
    the fastest band with ``ci_low``, ``ci_high`` (HC3) and ``p_value``."""

    table: pd.DataFrame
    outcome: str

    def _summary_parts(self):
        return (
            f"Complaint response time and {self.outcome}",
            {},
            {"Bands": self.table.set_index("band")},
            ["Adjusted for segment, club membership, region and tenure (OLS, HC3)."],
        )

    def plot(self, ax=None):
        from .plots import forest

        t = self.table.iloc[1:]
        return forest(
            t,
            "adjusted_diff",
            "ci_low",
            "ci_high",
            "band",
            ax=ax,
            ref=0.0,
            log=False,
            title=f"{self.outcome} by complaint response time",
            xlabel=f"difference vs {self.table['band'].iloc[0]}",
        )


def response_time_effect(
    data,
    *,
    outcome: str = "overall_sat",
    bands=(0, 60, 240, 1440, np.inf),
    horizon_days: int = 180,
    covariates=None,
) -> ResponseTimeResult:
    """Next satisfaction (or churn within the horizon) by complaint response-time band, adjusted."""
    import statsmodels.api as sm

    units = follow_up_units(
        data, window_days=0, outcome=outcome, horizon_days=horizon_days, events=("complaint",)
    )
    units = units[units["response_minutes"].notna()]
    if units.empty:
        fail(
            "interactions",
            "response_minutes",
            "no complaints with a response time and an outcome",
            "record response_minutes for complaints",
        )
    labels = [_band_label(a, b) for a, b in zip(bands[:-1], bands[1:])]
    units["band"] = pd.cut(units["response_minutes"], list(bands), labels=labels, right=False)
    covs = [
        c
        for c in (covariates or ["segment", "loyalty_member", "region", "tenure_days_at_event"])
        if c in units
    ]
    D = pd.get_dummies(units["band"], drop_first=True, dtype=float)
    X = sm.add_constant(pd.concat([D, design(units, covs)], axis=1))
    fit = sm.OLS(units["outcome"].astype(float), X).fit(cov_type="HC3")
    ci = fit.conf_int()
    rows = []
    for lab in labels:
        sel = units["band"] == lab
        base = lab == labels[0]
        rows.append(
            {
                "band": lab,
                "n": int(sel.sum()),
                "mean_outcome": units.loc[sel, "outcome"].mean(),
                "adjusted_diff": 0.0 if base else fit.params.get(lab, np.nan),
                "ci_low": 0.0 if base else ci.loc[lab, 0] if lab in ci.index else np.nan,
                "ci_high": 0.0 if base else ci.loc[lab, 1] if lab in ci.index else np.nan,
                "p_value": np.nan if base else fit.pvalues.get(lab, np.nan),
            }
        )
    return ResponseTimeResult(pd.DataFrame(rows), outcome)


def _band_label(a, b):
    def f(m):
        return f"{m / 60:g}h" if m >= 60 else f"{m:g}min"

    return f"over {f(a)}" if np.isinf(b) else f"{f(a)}-{f(b)}"


def channel_mix(interactions: pd.DataFrame, *, period: str = "Q") -> pd.DataFrame:
    """Interactions per period, channel and kind (tidy counts with shares within period)."""
    require_columns(interactions, ["timestamp", "channel", "kind"], "interactions")
    t = interactions.assign(period=interactions["timestamp"].dt.to_period(period).astype(str))
    out = t.groupby(["period", "channel", "kind"], observed=True).size().rename("n").reset_index()
    out["share"] = out["n"] / out.groupby("period")["n"].transform("sum")
    return out


def sentiment_by_channel(interactions: pd.DataFrame) -> pd.DataFrame:
    """Mean sentiment (-1..1) per channel with a 95% interval."""
    require_columns(interactions, ["channel", "sentiment"], "interactions")
    g = interactions.dropna(subset=["sentiment"]).groupby("channel", observed=True)["sentiment"]
    out = g.agg(["mean", "std", "count"]).rename(columns={"count": "n"})
    half = 1.96 * out["std"] / np.sqrt(out["n"])
    out["ci_low"], out["ci_high"] = out["mean"] - half, out["mean"] + half
    return out.drop(columns="std").reset_index()
