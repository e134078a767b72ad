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
of one customer are not treated as independent (:mod:`cxmodels._bootstrap`). Propensities are
**clipped** to ``[trim, 1-trim]`` (no unit is dropped) and the number clipped is reported.
Diagnostics: overlap, standardised mean differences before and after weighting (flagged above
0.1; Austin 2011), with the unweighted pooled SD as the denominator of both, so that weighting
changes only the numerator (Austin & Stuart 2015), and Kish effective sample sizes. Every
logistic fit (propensity, binary outcome) is checked for convergence and a failure is reported.

The nuisance models are the numeric core's (:mod:`cxmodels._numeric`): plain maximum likelihood
for the logistic fits, with a ridge of ``LOGIT_RIDGE`` (1e-6) only for a fit whose unpenalised
version fails (aliased columns, separation, no convergence), and OLS with the minimum-norm
solution when an outcome design is rank-deficient. What they add is stated in the result
(``EffectResult.regularisation``, with the fits that needed the ridge and why) and in its
caveats, with the clipping.
A rank-deficient adjustment set (in all units or within one arm, where the outcome models are
fitted) is warned and its aliased columns named (``EffectResult.aliased``). Bootstrap replicates
that lose an arm or give a NaN are counted (``replicates_used``, ``replicates_lost``) and the call
is refused when fewer than ``min_used_share`` remain. Satisfaction outcomes are complete cases
(units whose customer answered within the horizon); the result says how many per arm.

External reference: statsmodels' ``TreatmentEffect`` (RA, IPW, AIPW) gives the same estimates on
the same design, to 1e-10 (tests/test_effects_spec.py, Cattaneo 2010 birth weights).

References
----------
Austin, P. C. (2011). An introduction to propensity score methods for reducing the effects of
confounding in observational studies. *Multivariate Behavioral Research* 46(3), 399-424.
Austin, P. C., & Stuart, E. A. (2015). Moving towards best practice when using inverse
probability of treatment weighting (IPTW) using the propensity score to estimate causal
treatment effects in observational studies. *Statistics in Medicine* 34(28), 3661-3679.
Glynn, A. N., & Quinn, K. M. (2010). An introduction to the augmented inverse propensity
weighted estimator. *Political Analysis* 18(1), 36-56. Robins, J. M., Rotnitzky, A., & Zhao,
L. P. (1994). Estimation of regression coefficients when some regressors are not always
observed. *JASA* 89(427), 846-866.
"""

from __future__ import annotations

import warnings
from dataclasses import field

import numpy as np
import pandas as pd

from ._bootstrap import bootstrap_se, cluster_codes, effective_n, multinomial_weights, percentile_ci
from ._design import build_design, column_name
from ._format import (
    excludes,
    fmt_ci,
    fmt_count,
    fmt_level,
    fmt_num,
    interval_digits,
    join_words,
    label,
)
from ._linalg import collinear_columns
from ._numeric import RIDGE_WHEN_NEEDED, USE_T, ConvergenceWarning, LogitFit, logit, ols
from ._results import Findings, Result, result_dataclass
from ._threads import one_thread
from ._validation import (
    DataQualityWarning,
    InputError,
    as_list,
    check_level,
    check_number,
    check_option,
    fail,
    require_columns,
)
from .data.contract import CUSTOMER_ATTRIBUTES
from .data.joins import with_customer_columns
from .data.scales import LOWER_IS_BETTER
from .i18n import is_english, range_words, t
from .metrics import channel_mix, sentiment_by_channel  # noqa: F401  (moved; old home kept)
from .plots import balance_plot, forest, overlap_hist

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
RESPONSE_TIME_COVARIATES = ["segment", "loyalty_member", "region", "tenure_days_at_event"]
SAT_OUTCOMES = ("overall_sat", "nps", "csat", "ces")
OUTCOMES = (*SAT_OUTCOMES, "churn_within")
METHODS = ("naive", "regression", "ipw", "aipw")
SMD_FLAG = 0.1
#: ridge of a logistic fit (propensity, binary outcome) whose unpenalised fit fails
LOGIT_RIDGE = RIDGE_WHEN_NEEDED
#: least share of bootstrap replicates that must give all four estimates (else refused)
MIN_USED_SHARE = 0.9


def better_direction(outcome: str) -> str:
    """``"lower"`` when a smaller outcome is better (churn, customer effort), else ``"higher"``."""
    return "lower" if outcome == "churn_within" or outcome in LOWER_IS_BETTER else "higher"


def effect_digits(outcome: str) -> int:
    """Decimals of an effect on ``outcome`` in sentences: three for a proportion (churn), two
    for points on a rating scale (the unit of the table, in sentence and table alike)."""
    return 2 if outcome in SAT_OUTCOMES else 3


# --------------------------------------------------------------------------- nuisance fits
def logit_fit(X: np.ndarray, y: np.ndarray, w: np.ndarray | None = None, **options) -> np.ndarray:
    """Coefficients of the numeric core's logistic fit (kept for code written against 0.1).

    ``X`` includes the intercept; ``options`` go to :func:`cxmodels._numeric.logit` (``ridge``,
    ``max_iter``, ``tol``).
    """
    return logit(X, y, w, **options).params


def ols_fit(X: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """Weighted least-squares coefficients; ``X`` holds the intercept in its first column.

    The numeric core's OLS (:func:`cxmodels._numeric.ols`). A rank-deficient ``X`` gets the
    minimum-norm solution in the centred columns; its fitted values are unique, but predictions
    outside the rows fitted depend on that choice, so :func:`follow_up_effect` states it (see
    :func:`aliased_columns`).
    """
    return ols(X[:, 1:], y, w, cov_type=None).params.to_numpy()


def _expit(z):
    return 1 / (1 + np.exp(-np.clip(z, -30, 30)))


def design(df: pd.DataFrame, covariates: list[str], table: str = "units") -> pd.DataFrame:
    """Numeric design matrix from the one encoder, :func:`cxmodels._design.build_design`.

    Categoricals become indicators named ``"covariate: level"`` with the first level (sorted)
    as the reference, booleans 0/1. Missing covariate values are refused (naming the
    covariate, rows and fix); constant columns are left out (a covariate with one value
    cannot confound).
    """
    _check_missing(df, covariates, table)
    d = build_design(df, covariates, missing="error", table=table, check=False)
    X = d.frame(index=df.index)
    return X.loc[:, X.std() > 0]


def _check_missing(df: pd.DataFrame, covariates: list[str], table: str) -> None:
    for c in covariates:
        miss = df[c].isna().to_numpy()
        if miss.any():
            fail(
                table,
                c,
                f"missing values in covariate {c!r} ({miss.sum()} of {len(miss)} units)",
                "fill them (e.g. an 'unknown' level), drop those customers, or leave the "
                "covariate out with covariates=[...]",
                [f"row {i}" for i in df.index[miss]],
            )


def _covariate_names(Xdf: pd.DataFrame, covariates: list[str]) -> tuple[str, ...]:
    """The covariates that kept at least one column in the design (constant ones drop out)."""
    cols = [str(c) for c in Xdf.columns]
    return tuple(
        c for c in covariates if any(x == c or x.startswith(column_name(c, "")) for x in cols)
    )


def _estimate(X, T, Y, w, binary, trim):
    """All four estimators for one (possibly reweighted) sample; X has the intercept.

    Returns the estimates, the clipped propensities, the number clipped, whether every
    logistic fit converged, and the fits that needed the ridge (``{"propensity" | "treated" |
    "control": LogitFit}``).
    """
    ps = logit(X, T, w)
    e = _expit(X @ ps.params)
    clipped = int(((e < trim) | (e > 1 - trim)).sum())
    e = np.clip(e, trim, 1 - trim)
    t1, t0 = T == 1, T == 0
    w1, w0 = w[t1], w[t0]
    mu1, f1 = _fitted(X, t1, Y, w, binary)
    mu0, f0 = _fitted(X, t0, Y, w, binary)
    sw = w.sum()
    naive = (w1 * Y[t1]).sum() / w1.sum() - (w0 * Y[t0]).sum() / w0.sum()
    reg = (w * (mu1 - mu0)).sum() / sw
    a1, a0 = w * T / e, w * (1 - T) / (1 - e)
    ipw = (a1 * Y).sum() / a1.sum() - (a0 * Y).sum() / a0.sum()
    aipw = (w * (mu1 - mu0 + T * (Y - mu1) / e - (1 - T) * (Y - mu0) / (1 - e))).sum() / sw
    fits = {"propensity": ps, "treated": f1, "control": f0}
    fits = {k: f for k, f in fits.items() if f is not None}
    ok = all(f.converged for f in fits.values())
    ridged = {k: f for k, f in fits.items() if f.regularised}
    return np.array([naive, reg, ipw, aipw]), e, clipped, ok, ridged


def _fitted(X, arm, Y, w, binary) -> tuple[np.ndarray, LogitFit | None]:
    """Outcome model fitted on one arm, predicted for every unit (and the logistic fit)."""
    if binary:
        fit = logit(X[arm], Y[arm], w[arm])
        return _expit(X @ fit.params), fit
    return X @ ols_fit(X[arm], Y[arm], w[arm]), None


@result_dataclass
class EffectResult(Result):
    """Result of :func:`follow_up_effect`.

    Attributes
    ----------
    table : DataFrame
        One row per estimator (``method``: naive, regression, ipw, aipw) with ``estimate``,
        ``se`` (bootstrap SD), ``ci_low``, ``ci_high`` (percentile, customers resampled; NaN
        when not available), ``n_treated``, ``n_control``.
    balance : DataFrame
        Per design column: ``covariate``, ``smd_unweighted``, ``smd_weighted`` (both over the
        unweighted pooled SD), ``imbalanced`` (\\|weighted SMD\\| > 0.1).
    ess : dict
        Kish effective sample size of the ATE weights, ``treated`` and ``control``.
    n_trimmed : int
        Propensities clipped to ``[trim, 1 - trim]`` (no unit is dropped).
    covariates : tuple of str
        The covariates the models adjusted for (those present and not constant).
    converged : bool
        Every logistic fit on the full sample converged.
    units : DataFrame
        The analysis table (no identifiers are shown in summaries).
    level : float
        Confidence level of the bootstrap intervals (and of the verdict in ``findings()``).
    replicates_used : int
        Bootstrap replicates in the intervals (of ``bootstrap``).
    replicates_lost : dict
        ``lost_arm`` and ``nonfinite``: replicates left out, and why.
    regularisation : dict
        What the nuisance models add to plain likelihood / least squares (see
        :func:`regularisation`).
    aliased : dict
        Aliased design columns in ``all`` units and within the ``treated`` and ``control``
        arms (see :func:`aliased_columns`); empty when the adjustment set has full rank.
    eligible : dict or None
        Satisfaction outcomes: eligible events per arm before keeping those with an answer
        (complete cases); None for churn.

    Notes
    -----
    See :mod:`cxmodels.effects` for the estimators.
    """

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
    covariates: tuple[str, ...] = ()
    converged: bool = True
    n_customers: int = 0
    level: float = 0.95
    replicates_used: int = 0
    replicates_lost: dict = field(default_factory=dict)
    regularisation: dict = field(default_factory=dict)
    aliased: dict = field(default_factory=dict)
    eligible: dict | None = None

    @property
    def better(self) -> str:
        """Which direction of the effect is an improvement: ``"lower"`` (churn, effort) or
        ``"higher"``."""
        return better_direction(self.outcome)

    def estimate(self, method: str = "aipw") -> pd.Series:
        check_option("method", method, METHODS)
        return self.table.set_index("method").loc[method]

    def _summary_parts(self):
        facts = {
            "outcome": self.outcome,
            "follow-up window (days)": self.window_days,
            "horizon (days)": self.horizon_days,
            "bootstrap replicates (customers resampled)": self.bootstrap,
            "bootstrap replicates used": self.replicates_used,
            "regularisation": _regularisation_words(self.regularisation),
            "propensities clipped": t(
                "summary.value.clipped_at", n=self.n_trimmed, lo=self.trim, hi=1 - self.trim
            ),
            "effective n (treated, control)": f"{self.ess['treated']:.0f}, {self.ess['control']:.0f}",
            "max |SMD| after weighting": float(self.balance["smd_weighted"].abs().max()),
            "adjusted for": ", ".join(self.covariates) or "nothing",
            "fits converged": self.converged,
        }
        return (
            t("summary.effects.title", outcome=self._outcome_name()),
            facts,
            {
                "Estimates": self.table.set_index("method"),
                "Balance (standardised mean differences)": self.balance.set_index("covariate"),
            },
            list(self.notes),
        )

    def findings(self) -> Findings:
        """The AIPW effect with its interval at the result's level, the naive contrast, what
        was adjusted for, whether the interval excludes zero and whether weighting balanced the
        covariates. Effects are in the table's unit: points, or a proportion for churn."""
        a, n = self.estimate("aipw"), self.estimate("naive")
        unit = t("effects.unit.points" if self.outcome in SAT_OUTCOMES else "effects.unit.share")
        d = interval_digits(a.ci_low, a.ci_high, 0.0, effect_digits(self.outcome))
        covs = join_words(label(c) for c in self.covariates) or t("effects.no_covariates")
        f = [
            t(
                "effects.aipw",
                days=self.window_days,
                outcome=label(self.outcome),
                estimate=fmt_num(a.estimate, d, signed=True),
                unit=unit,
                level=fmt_level(self.level),
                ci=fmt_ci(a.ci_low, a.ci_high, d, signed=True),
            ),
            t("effects.naive", estimate=fmt_num(n.estimate, d, signed=True)),
            t("effects.adjusted_for", covariates=covs),
        ]
        clear = excludes(a.ci_low, a.ci_high)
        keys = {None: "effects.no_interval", True: "effects.excludes_zero"}
        f.append(t(keys.get(clear, "effects.includes_zero")))
        c = list(self.notes)
        if (self.balance["smd_weighted"].abs() <= SMD_FLAG).all():
            f.append(t("effects.balanced", smd=SMD_FLAG))
        else:
            c.append(t("effects.imbalanced"))
        return Findings(tuple(f), tuple(c))

    def _outcome_name(self) -> str:
        return self.outcome if is_english() else label(self.outcome)

    def conclusion(self) -> str:
        """The findings as one paragraph (kept for notebooks written against 0.1)."""
        fnd = self.findings()
        extra = [x for x in fnd.caveats if x == t("effects.imbalanced")]
        return " ".join([*fnd.findings, *extra])

    def plot_overlap(self, ax=None):
        return overlap_hist(self.propensity, self.units["treated"].to_numpy(), ax=ax)

    def plot_estimates(self, ax=None):
        return forest(
            self.table,
            "estimate",
            "ci_low",
            "ci_high",
            "method",
            ax=ax,
            ref=0.0,
            log=False,
            title=t("fig.effect_on", outcome=label(self.outcome)),
            xlabel=t("fig.average treatment effect"),
        )

    def plot_balance(self, ax=None):
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
    """The analysis table: one row per eligible event with ``treated``, ``outcome`` and covariates.

    Returns
    -------
    DataFrame
        ``customer_id``, ``event_time``, ``kind``, ``response_minutes``, ``fu_time``,
        ``fu_channel``, ``treated`` (0/1), ``next_event_time``, ``outcome``, the customer
        attributes, ``signup_date`` and ``tenure_days_at_event``.
    """
    return _units_and_eligible(
        data,
        window_days=window_days,
        outcome=outcome,
        horizon_days=horizon_days,
        events=events,
        channel=channel,
    )[0]


def _units_and_eligible(
    data, *, window_days: int, outcome: str, horizon_days: int, events, channel: str | None
) -> tuple[pd.DataFrame, dict | None]:
    """:func:`follow_up_units` and, for a satisfaction outcome, the eligible events per arm
    before the complete-case filter (``{"treated": n1, "control": n0}``; None for churn), so
    the share with an answer can be stated."""
    check_number("window_days", window_days, low=0, integer=True)
    check_number("horizon_days", horizon_days, low=0, integer=True, low_open=True)
    check_option("outcome", outcome, OUTCOMES, "effects")
    events = as_list(events, "events")
    if getattr(data, "interactions", None) is None:
        fail(
            "interactions",
            "",
            "the interactions table is missing",
            "load a data set with CRM interactions",
        )
    inter = data.interactions
    require_columns(inter, ["customer_id", "timestamp", "kind", "channel"], "interactions")
    m = _treatment(inter, events, window_days)
    m = m.sort_values(["customer_id", "event_time"])
    m["next_event_time"] = m.groupby("customer_id")["event_time"].shift(-1)
    eligible = None
    if outcome in SAT_OUTCOMES:
        eligible = _arm_counts(_of_channel(m, channel))
        m = _next_answer(m, data.responses, outcome, window_days, horizon_days)
    else:
        m = _churn_outcome(m, data, window_days, horizon_days)
    if m.empty:
        fail(
            "interactions",
            "timestamp",
            f"no eligible events with an observed {outcome} in a {window_days}-day "
            f"window and {horizon_days}-day horizon",
            "widen window_days or horizon_days",
        )
    cols = [c for c in (*CUSTOMER_ATTRIBUTES, "signup_date") if c in data.customers]
    m = with_customer_columns(m, data.customers, cols, table="interactions")
    if "signup_date" in m:
        m["tenure_days_at_event"] = (m["event_time"] - m["signup_date"]).dt.days.astype(float)
    return _of_channel(m, channel).reset_index(drop=True), eligible


def _of_channel(m: pd.DataFrame, channel: str | None) -> pd.DataFrame:
    """Units followed up through ``channel`` and units not followed up (all units for None)."""
    return m if channel is None else m[(m["treated"] == 0) | (m["fu_channel"] == channel)]


def _arm_counts(m: pd.DataFrame) -> dict:
    """Units per arm: ``{"treated": n1, "control": n0}``."""
    n1 = int(m["treated"].sum())
    return {"treated": n1, "control": len(m) - n1}


def _treatment(inter: pd.DataFrame, events: list, window_days: int) -> pd.DataFrame:
    """Eligible events with their first follow-up within ``(event, event + window]``."""
    cols = [c for c in ("customer_id", "timestamp", "kind", "response_minutes") if c in inter]
    ev = inter.loc[inter["kind"].isin(events), cols]
    if ev.empty:
        fail("interactions", "kind", f"no events of kind {events}", "check the kind column")
    if "response_minutes" not in ev:
        ev = ev.assign(response_minutes=np.nan)
    fu = inter.loc[inter["kind"] == "follow_up", ["customer_id", "timestamp", "channel"]]
    ev = (
        ev.sort_values("timestamp")
        .rename(columns={"timestamp": "event_time"})
        .reset_index(drop=True)
    )
    fu = fu.sort_values("timestamp").rename(
        columns={"timestamp": "fu_time", "channel": "fu_channel"}
    )
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
    return m


def _next_answer(m, responses, outcome, window_days, horizon_days) -> pd.DataFrame:
    """The next survey answer after the window, within the horizon and before the next event."""
    require_columns(responses, ["customer_id", "survey_date", outcome], "responses")
    r = responses[["customer_id", "survey_date", outcome]].dropna()
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
    return m[m["outcome"].notna() & ~(m["survey_date"] >= m["next_event_time"])]


def _churn_outcome(m, data, window_days, horizon_days) -> pd.DataFrame:
    """Churn within the horizon of each customer's first eligible event, fully observed units."""
    cust = data.customers.set_index("customer_id")
    m = m.sort_values("event_time").drop_duplicates("customer_id", keep="first")
    churn = m["customer_id"].map(cust["churn_date"])
    days = (churn - m["event_time"].dt.normalize()).dt.days
    # only units whose whole horizon is observed: keeping late units because they already
    # churned would select on the outcome
    observable = m["event_time"] + pd.Timedelta(days=horizon_days) <= data.observation_end
    inside_window = days <= window_days
    m = m[observable & ~inside_window].copy()
    m["outcome"] = (days[m.index] <= horizon_days).astype(float)
    return m


@one_thread
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
    level: float = 0.95,
    min_used_share: float = MIN_USED_SHARE,
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
        region, age, income, acquisition channel, event kind, tenure at the event, those
        present). Named covariates must exist; missing values in them are refused.
    method : str
        The estimator the narrative leads with; every estimator is in ``table``.
    events : list of str
        Interaction kinds that make a unit.
    channel : str, optional
        Compare follow-ups through this channel against none.
    bootstrap : int
        Customer-cluster bootstrap replicates for the intervals.
    trim : float
        Propensities are clipped to ``[trim, 1 - trim]`` (clipping: no unit is dropped).
    seed : int, optional
        Seed of the bootstrap.
    level : float
        Confidence level of the percentile intervals (and of the verdict in ``findings()``).
    min_used_share : float
        Least share of the ``bootstrap`` replicates that must give all four estimates.
        Replicates that lose the treated or the control arm, or give a NaN, are left out of
        the interval and counted (``replicates_used``, ``replicates_lost``); below this share
        the call is refused, since the interval would rest on a selected subset of replicates.
        Fewer than two usable replicates give no interval.

    Returns
    -------
    EffectResult
        ``table`` columns: ``method``, ``estimate``, ``se``, ``ci_low``, ``ci_high``,
        ``n_treated``, ``n_control``.

    Notes
    -----
    AIPW: :math:`n^{-1}\\sum_i [\\hat\\mu_1 - \\hat\\mu_0 + T(Y-\\hat\\mu_1)/\\hat e -
    (1-T)(Y-\\hat\\mu_0)/(1-\\hat e)]`; see :mod:`cxmodels.effects`.

    References
    ----------
    Robins, Rotnitzky & Zhao (1994); Glynn & Quinn (2010); Austin & Stuart (2015).
    """
    check_option("method", method, METHODS, "effects")
    check_number("bootstrap", bootstrap, low=0, integer=True)
    check_number("trim", trim, low=0, high=0.5, high_open=True)
    check_number("min_used_share", min_used_share, low=0, high=1)
    level = check_level(level)
    units, eligible = _units_and_eligible(
        data,
        window_days=window_days,
        outcome=outcome,
        horizon_days=horizon_days,
        events=events,
        channel=channel,
    )
    covs = _choose_covariates(units, covariates, DEFAULT_COVARIATES)
    if outcome == "churn_within":
        covs = [c for c in covs if c != "kind"]
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
    Xdf = design(units, covs)
    X = np.column_stack([np.ones(len(units)), Xdf.to_numpy(float)])
    est, e, clipped, converged, ridged = _estimate(X, T, Y, np.ones(len(units)), binary, trim)
    draws, n_bad_fits, nc, lost = _cluster_bootstrap(units, X, T, Y, binary, trim, bootstrap, seed)
    used = _check_replicates(bootstrap, lost, nc, min_used_share)
    lo, hi = percentile_ci(draws, level) if used > 1 else (np.nan, np.nan)
    se = bootstrap_se(draws) if used > 1 else np.nan
    table = pd.DataFrame(
        {"method": METHODS, "estimate": est, "se": se, "ci_low": lo, "ci_high": hi,
         "n_treated": n1, "n_control": n0}
    )  # fmt: skip
    aw = np.where(T == 1, 1 / e, 1 / (1 - e))  # ATE weights
    bal = _balance(Xdf, T, aw)
    ess = {"treated": effective_n(aw[T == 1]), "control": effective_n(aw[T == 0])}
    aliased = aliased_columns(Xdf, T)
    notes = _effect_notes(clipped, trim, bal, n1, n0, nc, converged, n_bad_fits, bootstrap)
    notes += _trust_notes(used, bootstrap, lost, nc, aliased, binary)
    notes += _ridge_notes(ridged, aliased, ["const", *map(str, Xdf.columns)])
    if eligible is not None:
        notes.append(_complete_case_note(eligible, n1, n0))
    units = units.drop(columns=["fu_time"], errors="ignore")
    return EffectResult(
        table, outcome, window_days, horizon_days, bal, ess, clipped, trim, bootstrap,
        tuple(notes), units, e, _covariate_names(Xdf, covs), converged, nc, level,
        used, lost, regularisation(binary, trim, ridged), aliased, eligible,
    )  # fmt: skip


def regularisation(binary: bool, trim: float, ridged: dict | None = None) -> dict:
    """What the nuisance models do beyond plain maximum likelihood / least squares.

    Parameters
    ----------
    binary : bool
        Logistic outcome models (churn) instead of OLS.
    trim : float
        Propensities clipped to ``[trim, 1 - trim]``.
    ridged : dict, optional
        The full-sample fits that needed the ridge (``{"propensity" | "treated" | "control":
        LogitFit}``, from :func:`cxmodels._numeric.logit`); default none.

    Returns
    -------
    dict
        ``propensity_ridge`` (the logistic ridge :math:`\\lambda`, 0 when the unpenalised fit
        succeeded), ``outcome_model`` (``"logistic"``, ``"logistic, ridge"`` when an arm's fit
        needed it, or ``"OLS, minimum-norm if rank-deficient"``), ``outcome_ridge``,
        ``propensity_clip`` (the clipping bounds) and ``ridge_needed`` (``{fit: reason}``:
        ``"singular"``, ``"separation"`` or ``"not_converged"``).
    """
    ridged = ridged or {}
    outcome_ridge = LOGIT_RIDGE if binary and {"treated", "control"} & set(ridged) else 0.0
    logistic = "logistic, ridge" if outcome_ridge else "logistic"
    return {
        "propensity_ridge": LOGIT_RIDGE if "propensity" in ridged else 0.0,
        "outcome_model": logistic if binary else "OLS, minimum-norm if rank-deficient",
        "outcome_ridge": outcome_ridge,
        "propensity_clip": (trim, 1 - trim),
        "ridge_needed": {k: f.reason for k, f in ridged.items()},
    }


def aliased_columns(Xdf: pd.DataFrame, T: np.ndarray) -> dict[str, tuple[str, ...]]:
    """Design columns that are linear combinations of others, in all units and in each arm.

    The outcome models are fitted in one arm and predicted for the other, so a column that is
    aliased (collinear, or constant) within an arm makes those predictions depend on the
    regularisation (minimum norm, ridge) rather than on the data.

    Returns
    -------
    dict
        Keys ``all``, ``treated``, ``control`` with the aliased columns (only non-empty keys),
        from :func:`cxmodels._linalg.collinear_columns` (tolerance 1e-9 on :math:`1 - R^2`).
    """
    names = [str(c) for c in Xdf.columns]
    A = Xdf.to_numpy(float)
    if not names:
        return {}
    parts = {"all": np.ones(len(T), bool), "treated": T == 1, "control": T == 0}
    out = {k: tuple(collinear_columns(A[sel], names=names)) for k, sel in parts.items()}
    return {k: v for k, v in out.items() if v}


def _complete_case_note(eligible: dict, n1: int, n0: int) -> str:
    """Satisfaction is known only where a customer answered: say how many, per arm."""
    return t(
        "effects.note.complete_cases",
        n1=fmt_count(n1), e1=fmt_count(eligible["treated"]),
        n0=fmt_count(n0), e0=fmt_count(eligible["control"]),
    )  # fmt: skip


def _trust_notes(used, B, lost, nc, aliased, binary) -> list[str]:
    """Notes on the replicates used and on rank deficiency (also warned)."""
    notes = []
    if B and nc >= 2 and used < B:  # all used: stated in the summary facts only
        notes.append(
            t("effects.note.replicates", used=fmt_count(used), b=fmt_count(B),
              arm=fmt_count(lost["lost_arm"]), nan=fmt_count(lost["nonfinite"]))
        )  # fmt: skip
    if aliased:
        key = "effects.note.aliased_logit" if binary else "effects.note.aliased_ols"
        where = "; ".join(
            t(f"effects.aliased_in.{k}", columns=join_words(label(c) for c in cols))
            for k, cols in aliased.items()
        )
        msg = t(key, where=where, ridge=fmt_num(LOGIT_RIDGE, 6))
        notes.append(msg)
        warnings.warn(msg, DataQualityWarning, stacklevel=3)
    return notes


def _ridge_notes(ridged: dict, aliased: dict, names: list[str]) -> list[str]:
    """A note (and a warning) for each fit refitted with the ridge, with its aliased columns.

    Fits whose aliased columns are already named by the rank-deficiency note are not repeated.
    """
    notes = []
    for model, fit in ridged.items():  # at most three fits
        if fit.reason == "singular" and aliased:
            continue
        cols = join_words(label(names[j]) for j in fit.aliased)
        msg = t(
            "effects.note.ridge_needed",
            model=t(f"effects.model.{model}"),
            reason=t(f"effects.ridge_reason.{fit.reason}", columns=cols),
            ridge=fmt_num(fit.ridge, 6),
        )
        notes.append(msg)
        warnings.warn(msg, DataQualityWarning, stacklevel=3)
    return notes


def _choose_covariates(units: pd.DataFrame, covariates, default: list[str]) -> list[str]:
    """Named covariates must exist (with did-you-mean); the default list keeps those present."""
    if covariates is None:
        return [c for c in default if c in units.columns]
    covs = as_list(covariates, "covariates")
    require_columns(units, covs, "units")
    bad = [c for c in covs if c in ("treated", "outcome")]
    if bad:
        fail("effects", "covariates", f"{bad} cannot adjust for itself", "leave it out")
    return covs


def _regularisation_words(reg: dict) -> str:
    """The regularisation dict as one line of the summary."""
    if not reg:
        return ""
    lo, hi = reg["propensity_clip"]
    logistic = reg["outcome_model"].startswith("logistic")
    if not (reg["propensity_ridge"] or reg["outcome_ridge"]):
        key = "summary.value.outcome_logit_ml" if logistic else "summary.value.outcome_ols"
        return t("summary.value.regularisation_ml", outcome=t(key), lo=f"{lo:g}", hi=f"{hi:g}")
    return t(
        "summary.value.regularisation",
        ridge=np.format_float_positional(reg["propensity_ridge"], trim="-"),
        outcome=t("summary.value.outcome_logit" if logistic else "summary.value.outcome_ols"),
        outcome_ridge=np.format_float_positional(reg["outcome_ridge"], trim="-"),
        lo=f"{lo:g}",
        hi=f"{hi:g}",
    )


def _cluster_bootstrap(units, X, T, Y, binary, trim, B, seed):
    """Customer-cluster bootstrap: multinomial counts per customer become row weights.

    Returns
    -------
    draws : ndarray ``(B, 4)``
        NaN rows for replicates that lost an arm or gave a non-finite estimate.
    bad_fits : int
        Replicates whose logistic fits did not converge (kept, and stated).
    n_customers : int
    lost : dict
        ``lost_arm`` (replicates without a treated or a control unit) and ``nonfinite``
        (replicates with a NaN or infinite estimate); neither is in the interval.
    """
    codes, nc = cluster_codes(units["customer_id"])
    draws = np.full((B, len(METHODS)), np.nan)
    lost = {"lost_arm": 0, "nonfinite": 0}
    if nc < 2:
        return draws, 0, nc, lost
    W = multinomial_weights(len(units), B, seed, clusters=codes)
    bad_fits = 0
    for b in range(B):  # loop over replicates; each is a weighted fit, vectorized inside
        wb = W[b]
        if wb[T == 1].sum() == 0 or wb[T == 0].sum() == 0:
            lost["lost_arm"] += 1
            continue
        with np.errstate(all="ignore"):
            d, _, _, ok, _ = _estimate(X, T, Y, wb, binary, trim)
        if not np.isfinite(d).all():
            lost["nonfinite"] += 1
            continue
        draws[b] = d
        bad_fits += not ok
    return draws, bad_fits, nc, lost


def _check_replicates(B: int, lost: dict, nc: int, min_used_share: float) -> int:
    """The number of replicates used; refuses when fewer than ``min_used_share`` of B remain."""
    if nc < 2:  # one customer: no replicate can be drawn (stated in its own note)
        return 0
    used = B - lost["lost_arm"] - lost["nonfinite"]
    if B == 0 or used >= min_used_share * B:
        return used
    fail(
        "effects",
        "bootstrap",
        f"only {used} of {B} bootstrap replicates gave all four estimates "
        f"({lost['lost_arm']} lost the treated or the control arm, {lost['nonfinite']} gave "
        f"NaN); at least {min_used_share:.0%} must remain for the interval to mean its level",
        "widen window_days or horizon_days so both arms hold more customers, adjust for fewer "
        "covariates, or lower min_used_share (the interval then rests on fewer replicates)",
    )


def _effect_notes(clipped, trim, bal, n1, n0, nc, converged, bad_fits, B) -> list[str]:
    notes = []
    if clipped:
        notes.append(t("effects.note.clipped", n=clipped, low=trim, high=1 - trim))
    flagged = bal.loc[bal["smd_weighted"].abs() > SMD_FLAG, "covariate"]
    if len(flagged):
        names = join_words(label(c) for c in flagged)
        notes.append(t("effects.note.imbalance", limit=SMD_FLAG, covariates=names))
    if min(n1, n0) < 100:
        notes.append(t("effects.note.few_units", n1=fmt_count(n1), n0=fmt_count(n0)))
    if nc < 2:
        notes.append(t("effects.note.one_customer", n=fmt_count(nc)))
    if not converged:
        msg = t("effects.note.not_converged")
        notes.append(msg)
        warnings.warn(msg, ConvergenceWarning, stacklevel=3)
    if bad_fits:
        notes.append(t("effects.note.bad_replicates", bad=bad_fits, b=B))
    return notes


def _balance(Xdf: pd.DataFrame, T: np.ndarray, aw: np.ndarray) -> pd.DataFrame:
    """Standardised mean differences before and after ATE weighting.

    Notes
    -----
    :math:`d = (\\bar x_1^w - \\bar x_0^w)/\\sqrt{(s_1^2 + s_0^2)/2}` with weighted means in
    the numerator and the **unweighted** variances of the two groups in the denominator for
    both the weighted and the unweighted SMD (Austin & Stuart 2015, section 4.1), so weighting
    can only change the numerator.
    """
    X = Xdf.to_numpy(float)
    t1, t0 = T == 1, T == 0

    def mean(weights, sel):
        ww = weights[sel]
        return (ww[:, None] * X[sel]).sum(0) / ww.sum()

    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt((X[t1].var(axis=0) + X[t0].var(axis=0)) / 2)
        ones = np.ones(len(T))
        before = (mean(ones, t1) - mean(ones, t0)) / sd
        after = (mean(aw, t1) - mean(aw, t0)) / sd
    return pd.DataFrame(
        {
            "covariate": Xdf.columns,
            "smd_unweighted": before,
            "smd_weighted": after,
            "imbalanced": np.abs(after) > SMD_FLAG,
        }
    )


def effect_by_channel(
    data, *, channels=("phone", "email", "sms"), min_treated: int = 50, **kwargs
) -> pd.DataFrame:
    """AIPW effect of follow-up through each channel against no follow-up, where n allows.

    Only input problems of a channel (e.g. no follow-ups through it) become a row with a
    ``note``; numerical failures are raised, never turned into NaN rows.

    Returns
    -------
    DataFrame
        ``channel``, ``estimate``, ``ci_low``, ``ci_high``, ``n_treated``, ``note``; its
        ``attrs`` hold ``outcome``, ``level`` and ``better`` (the improving direction), which
        :func:`cxmodels.reports.widgets.channel_findings` reads.
    """
    check_number("min_treated", min_treated, low=0, integer=True)
    rows = []
    for ch in as_list(channels, "channels"):  # loop over a few channels
        try:
            res = follow_up_effect(data, channel=ch, **kwargs)
        except InputError as exc:
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
    out = pd.DataFrame(rows)
    outcome = kwargs.get("outcome", "overall_sat")
    level = kwargs.get("level", 0.95)
    out.attrs.update(outcome=outcome, level=level, better=better_direction(outcome))
    return out


@result_dataclass
class ResponseTimeResult(Result):
    """Complaint response time in bands against the next outcome, adjusted for covariates.

    Attributes
    ----------
    table : DataFrame
        One row per band with ``band``, ``n``, ``mean_outcome`` (raw) and ``adjusted_diff``
        against the fastest band with ``ci_low``, ``ci_high`` (OLS, HC3) and ``p_value``.
    covariates : tuple of str
        The covariates the regression adjusted for.
    use_t : bool
        Intervals and p-values from Student's t (True) or the normal (False, the default).

    Notes
    -----
    :math:`Y = \\alpha + \\sum_b \\delta_b [\\text{band} = b] + x'\\gamma + \\varepsilon`, HC3
    covariance (MacKinnon & White 1985).
    """

    table: pd.DataFrame
    outcome: str
    covariates: tuple[str, ...] = ()
    use_t: bool = False

    def _summary_parts(self):
        return (
            t("summary.response_time.title", outcome=self._outcome_name()),
            {},
            {"Bands": self.table.set_index("band")},
            [self._adjustment()],
        )

    def _outcome_name(self) -> str:
        return self.outcome if is_english() else label(self.outcome)

    def _adjustment(self) -> str:
        covs = join_words(label(c) for c in self.covariates) or t("effects.no_covariates")
        return t("effects.adjustment", covariates=covs)

    def findings(self) -> Findings:
        """Each slower band against the fastest, with its interval; the adjustment as a caveat."""
        base = self.table["band"].iloc[0]
        f = []
        for _, r in self.table.iloc[1:].iterrows():  # a few bands
            f.append(
                t(
                    "effects.response_band",
                    band=_band_words(r["band"]),
                    outcome=label(self.outcome),
                    diff=fmt_num(r["adjusted_diff"], 2, signed=True),
                    base=_band_words(base),
                    ci=fmt_ci(r["ci_low"], r["ci_high"], 2, signed=True),
                    n=fmt_count(r["n"]),
                )
            )
        return Findings(tuple(f), (self._adjustment(),))

    def plot(self, ax=None):
        rows = self.table.iloc[1:]
        return forest(
            rows,
            "adjusted_diff",
            "ci_low",
            "ci_high",
            "band",
            ax=ax,
            ref=0.0,
            log=False,
            title=t("fig.response_title", outcome=label(self.outcome)),
            xlabel=t("fig.difference_vs", band=_band_words(self.table["band"].iloc[0])),
        )


def response_time_effect(
    data,
    *,
    outcome: str = "overall_sat",
    bands=(0, 60, 240, 1440, np.inf),
    horizon_days: int = 180,
    covariates=None,
    use_t: bool = USE_T,
) -> ResponseTimeResult:
    """Next satisfaction (or churn within the horizon) by complaint response-time band, adjusted.

    Parameters
    ----------
    data : CXData
    outcome : see :func:`follow_up_effect`
    bands : increasing band edges in minutes (the first band is the reference)
    horizon_days : int
    covariates : list of str, optional
        Default: segment, club membership, region, tenure at the event (those present).
    use_t : bool
        Intervals and p-values from Student's t on the residual df instead of the normal
        (default :data:`cxmodels._numeric.USE_T`, as statsmodels' ``cov_type="HC3"``); the same
        option and default as :func:`cxmodels.drivers.fit_drivers` and
        :func:`cxmodels.drivers.penalty_reward`. The fit is the numeric core's OLS with HC3
        errors (:func:`cxmodels._numeric.ols`).

    Returns
    -------
    ResponseTimeResult
        ``table`` columns: ``band``, ``n``, ``mean_outcome``, ``adjusted_diff``, ``ci_low``,
        ``ci_high``, ``p_value``.
    """
    edges = np.asarray(bands, dtype=float)
    if len(edges) < 3 or not (np.diff(edges) > 0).all():
        fail(
            "effects",
            "bands",
            f"{list(bands)} are not increasing edges",
            "pass at least three increasing edges",
        )
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
    # the reference is the fastest band that occurs: an empty first band merges into the next
    while len(edges) > 3 and not (units["response_minutes"] < edges[1]).any():
        edges = np.delete(edges, 1)
    labels = [_band_label(a, b) for a, b in zip(edges[:-1], edges[1:])]
    units["band"] = pd.cut(units["response_minutes"], list(edges), labels=labels, right=False)
    covs = _choose_covariates(units, covariates, RESPONSE_TIME_COVARIATES)
    if not (units["band"] == labels[0]).any():
        fail(
            "interactions",
            "response_minutes",
            f"no complaint in the first (reference) band {labels[0]}",
            "start the bands at a response time that occurs",
        )
    ref = {"band": labels[0]}
    D = build_design(units, ["band"], reference=ref, table="units", check=False)
    Xc = design(units, covs)
    X = pd.concat([D.frame(index=units.index), Xc], axis=1)
    y = units["outcome"].to_numpy(float)
    fit = ols(X.to_numpy(float), y, names=[str(c) for c in X.columns], use_t=bool(use_t))
    ci = fit.conf_int(0.95).set_axis([0, 1], axis=1)
    rows = []
    key = {lab: column_name("band", lab) for lab in labels}.get
    for lab in labels:  # a few bands
        sel = units["band"] == lab
        base = lab == labels[0]
        rows.append(
            {
                "band": lab,
                "n": int(sel.sum()),
                "mean_outcome": units.loc[sel, "outcome"].mean(),
                "adjusted_diff": 0.0 if base else fit.params.get(key(lab), np.nan),
                "ci_low": 0.0 if base else ci.loc[key(lab), 0] if key(lab) in ci.index else np.nan,
                "ci_high": 0.0 if base else ci.loc[key(lab), 1] if key(lab) in ci.index else np.nan,
                "p_value": np.nan if base else fit.pvalues.get(key(lab), np.nan),
            }
        )
    return ResponseTimeResult(pd.DataFrame(rows), outcome, _covariate_names(Xc, covs), bool(use_t))


def _band_words(band) -> str:
    """A response-time band (``4h-24h``, ``over 24h``) in the current language."""
    return range_words(str(band))


def _band_label(a, b):
    def f(m):
        return f"{m / 60:g}h" if m >= 60 else f"{m:g}min"

    return f"over {f(a)}" if np.isinf(b) else f"{f(a)}-{f(b)}"
