"""``cx.fit_uplift``: per-customer effects of a follow-up, their ranking and its value."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm

from .._format import fmt_ci, fmt_level, fmt_num, fmt_pct, interval_digits, join_words, label
from .._results import Findings, Result, result_dataclass
from .._validation import check_level, check_number, check_option, fail, require_columns
from ..effects import OUTCOMES, SAT_OUTCOMES, better_direction, effect_digits
from ..i18n import t
from . import curves
from ._learners import LEARNERS, cross_fit, default_models, predict_new
from ._units import Units, covariate_matrix, units_from_data, units_from_table
from .plots import calibration_plot, effect_hist, qini_plot, trait_plot
from .policy import policy_value


@dataclass(frozen=True)
class UpliftSpec:
    """What was asked for: the options of :func:`fit_uplift` (a refit rebuilds from them)."""

    outcome: str
    learner: str
    covariates: tuple[str, ...]
    folds: int
    trim: float
    seed: int
    level: float
    window_days: int | None = None
    horizon_days: int | None = None
    treatment: str | None = None


@result_dataclass
class UpliftResult(Result):
    r"""Result of :func:`fit_uplift`.

    Attributes
    ----------
    table : DataFrame
        The average effect: rows ``aipw`` (cross-fitted AIPW, the mean DR score, with a
        customer-clustered normal interval) and ``mean_effect`` (mean of ``effects``), columns
        ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``n``, ``n_treated``.
    effects : Series
        Each row's estimated effect :math:`\hat\tau(x_i)` (cross-fitted), aligned with the rows
        of ``units`` (the input rows for a plain table).
    by_trait : DataFrame
        ``covariate``, ``level`` (numeric covariates in quartile bands), ``n``, ``predicted_effect``
        (mean effect), ``estimated_effect`` (mean DR score) with ``estimated_effect_low``,
        ``estimated_effect_high``.
    spec : UpliftSpec
    units : DataFrame
        The analysis rows (identifiers are never shown in summaries).
    scores : DataFrame
        Per row: ``treated``, ``outcome``, ``propensity``, ``mu0``, ``mu1``, ``dr_score``,
        ``fold``, ``cluster``.
    """

    table: pd.DataFrame
    effects: pd.Series
    by_trait: pd.DataFrame
    spec: UpliftSpec
    units: pd.DataFrame = field(repr=False)
    scores: pd.DataFrame = field(repr=False)
    n_clipped: int = 0
    models: list = field(repr=False, default_factory=list)
    levels: dict = field(repr=False, default_factory=dict)

    @property
    def better(self) -> str:
        """``"lower"`` when a smaller outcome is better (churn, effort), else ``"higher"``."""
        return better_direction(self.spec.outcome)

    @property
    def benefit(self) -> np.ndarray:
        """The effect in the improving direction (minus the effect on churn), per row."""
        s = -1.0 if self.better == "lower" else 1.0
        return s * self.effects.to_numpy()

    def predict(self, frame: pd.DataFrame) -> pd.Series:
        """Effects of new rows with the covariate columns (mean of the fold models)."""
        require_columns(frame, self.spec.covariates, "data")
        X, _, _ = covariate_matrix(frame, self.spec.covariates, self.levels)
        return pd.Series(predict_new(self.models, X, self.spec.learner, self.spec.trim),
                         index=frame.index, name="effect")  # fmt: skip

    # ------------------------------------------------------------------ evaluation
    def qini(self, kind: str = "dr", *, bootstrap: int = 200, seed: int | None = 0,
             points: int = 21) -> QiniResult:  # fmt: skip
        """Qini, uplift or DR gain curve of the ranking with bands and area vs random.

        See :mod:`cxmodels.uplift.curves`; ``kind`` is ``"dr"`` (default: bias-corrected on
        observational data), ``"qini"`` or ``"uplift"`` (raw outcomes, as scikit-uplift).
        """
        check_option("kind", kind, curves.KINDS)
        check_number("bootstrap", bootstrap, low=0, integer=True)
        s = self.scores
        y = s["dr_score"] if kind == "dr" else s["outcome"]
        sign = -1.0 if self.better == "lower" else 1.0
        grid = np.linspace(0, 1, int(points))
        table, area = curves.curve_table(
            sign * y.to_numpy(), self.benefit, s["treated"].to_numpy(), s["cluster"].to_numpy(),
            kind, grid, bootstrap, seed, self.spec.level,
        )  # fmt: skip
        return QiniResult(table, kind, area, self.spec, bootstrap)

    def calibration(self, n_bins: int = 10) -> pd.DataFrame:
        """Predicted vs DR-estimated effect by decile of the predicted effect
        (:func:`cxmodels.uplift.curves.calibration`)."""
        s = self.scores
        return curves.calibration(self.effects.to_numpy(), s["dr_score"].to_numpy(),
                                  s["cluster"].to_numpy(), n_bins, self.spec.level)  # fmt: skip

    def policy(self, budget, *, cost_per_contact: float = 0.0, value=None,
               bootstrap: int = 200, seed: int | None = 0):  # fmt: skip
        """Value of calling the top ``budget`` against everyone and no one
        (:func:`cxmodels.uplift.policy.policy_value`)."""
        return policy_value(self, budget, cost_per_contact=cost_per_contact, value=value,
                            bootstrap=bootstrap, seed=seed)  # fmt: skip

    # ------------------------------------------------------------------ presentation
    def _unit(self) -> str:
        return t(
            "effects.unit.points" if self.spec.outcome in SAT_OUTCOMES else "effects.unit.share"
        )

    def _summary_parts(self):
        a = self.table.set_index("method")
        facts = {
            "outcome": self.spec.outcome,
            "learner": self.spec.learner,
            "folds (cross-fitting by customer)": self.spec.folds,
            "units": int(a.loc["aipw", "n"]),
            "followed up": int(a.loc["aipw", "n_treated"]),
            "propensities clipped": self.n_clipped,
            "adjusted for": ", ".join(self.spec.covariates) or "nothing",
        }
        tables = {"Average effect": a, "Effect by trait": self.by_trait}
        notes = [t("uplift.note.no_unit_interval")]
        return t("summary.uplift.title", outcome=label(self.spec.outcome)), facts, tables, notes

    def findings(self) -> Findings:
        """The average effect (AIPW) with its interval, the spread of the per-customer effects,
        the traits with the largest effects, and the share the top fifth of the ranking
        captures of the total effect."""
        a = self.table.set_index("method").loc["aipw"]
        d = interval_digits(a.ci_low, a.ci_high, 0.0, effect_digits(self.spec.outcome))
        e = self.effects
        f = [
            t("uplift.ate", outcome=label(self.spec.outcome), unit=self._unit(),
              estimate=fmt_num(a.estimate, d, signed=True),
              ci=fmt_ci(a.ci_low, a.ci_high, d, signed=True), level=fmt_level(self.spec.level),
              mean=fmt_num(float(e.mean()), d, signed=True)),
            t("uplift.spread", p10=fmt_num(float(e.quantile(0.1)), d, signed=True),
              p90=fmt_num(float(e.quantile(0.9)), d, signed=True), unit=self._unit()),
        ]  # fmt: skip
        top = _top_traits(self.by_trait, self.better, float(a.estimate))
        level = fmt_level(self.spec.level)
        if top:
            f.append(t("uplift.top_traits", traits=join_words(top), level=level))
        elif not self.by_trait.empty:
            f.append(t("uplift.top_traits_none", level=level))
        share = _top_share(self.scores["dr_score"].to_numpy(), self.benefit, self.better)
        if np.isfinite(share):
            f.append(t("uplift.top_fifth", share=fmt_pct(share)))
        caveats = [t("uplift.note.no_unit_interval")]
        if self.n_clipped:
            caveats.append(t("uplift.note.clipped", n=self.n_clipped, low=self.spec.trim))
        return Findings(tuple(f), tuple(caveats))

    def plot(self, ax=None):
        """Histogram of the per-customer effects with the average effect marked."""
        return effect_hist(self.effects.to_numpy(), float(self.table["estimate"].iloc[0]),
                           self.spec.outcome, ax=ax)  # fmt: skip

    def plot_calibration(self, ax=None):
        return calibration_plot(self.calibration(), self.spec.outcome, ax=ax)

    def plot_by_trait(self, ax=None, top: int = 12):
        return trait_plot(self.by_trait, self.spec.outcome, top, ax=ax)


@result_dataclass
class QiniResult(Result):
    """A Qini, uplift or DR gain curve with bands, and its area against random targeting.

    Attributes
    ----------
    table : DataFrame
        ``share`` targeted, ``value`` (curve), ``random`` (random targeting), ``ci_low``,
        ``ci_high`` (percentile bands, customers resampled).
    kind : str
    area : dict
        ``area`` between the curve and random targeting with ``ci_low``, ``ci_high``; the same
        divided by the number of units (``per_unit``, ``per_unit_ci_low``,
        ``per_unit_ci_high``): the mean extra gain over random targeting across budgets.
    """

    table: pd.DataFrame
    kind: str
    area: dict
    spec: UpliftSpec
    bootstrap: int

    def _summary_parts(self):
        facts = {"curve": self.kind, "area vs random targeting": self.area["area"],
                 "bootstrap replicates (customers resampled)": self.bootstrap}  # fmt: skip
        return t("summary.uplift.qini_title"), facts, {"Curve": self.table}, []

    def findings(self) -> Findings:
        """The area against random targeting with its interval, and whether it excludes 0."""
        a = self.area
        lo, hi = a["per_unit_ci_low"], a["per_unit_ci_high"]
        d = interval_digits(lo, hi, 0.0, 1)
        f = [t(f"uplift.qini.{self.kind}", gain=fmt_num(a["per_unit"], d), ci=fmt_ci(lo, hi, d),
               level=fmt_level(self.spec.level))]  # fmt: skip
        beats = np.isfinite(a["ci_low"]) and a["ci_low"] > 0
        f.append(t("uplift.qini.beats" if beats else "uplift.qini.no_better"))
        return Findings(tuple(f), ())

    def plot(self, ax=None):
        return qini_plot(self.table, self.kind, ax=ax)


def fit_uplift(
    data,
    *,
    outcome: str = "overall_sat",
    learner: str = "dr",
    treatment: str | None = None,
    covariates=None,
    cluster: str | None = None,
    window_days: int = 14,
    horizon_days: int = 180,
    events=("purchase", "complaint"),
    folds: int = 5,
    regressor=None,
    classifier=None,
    trim: float = 0.01,
    max_fit_rows: int | None = 200_000,
    seed: int = 0,
    level: float = 0.95,
) -> UpliftResult:
    r"""Per-customer effects of a follow-up with cross-fitted meta-learners.

    Parameters
    ----------
    data : CXData or DataFrame
        A data set (follow-up and outcome defined as in :func:`cxmodels.follow_up_effect`) or
        a plain table with ``treatment``, ``outcome`` and ``covariates`` columns.
    outcome : str
        Data set: ``"overall_sat"``, ``"nps"``, ``"csat"``, ``"ces"`` or ``"churn_within"``;
        plain table: the outcome column.
    learner : {"dr", "x", "t"}
        DR-learner (default), X-learner or T-learner (:mod:`cxmodels.uplift._learners`).
    treatment : str, optional
        Plain table: the 0/1 treatment column.
    covariates : list of str, optional
        Data set default: the confounders of ``cx.follow_up_effect`` (segment, club, region,
        age, income, acquisition channel, event kind, tenure at the event; those present) and
        the prior satisfaction answers (``prior_overall_sat``, ``prior_overall_sat_mean``).
        Missing values are allowed (the boosting models route them).
    cluster : str, optional
        Plain table: the column whose rows belong together (a customer); folds and intervals
        keep a cluster together. Default: each row alone.
    window_days, horizon_days, events : see :func:`cxmodels.follow_up_effect`.
    folds : int
        Cross-fitting folds (clusters are never split).
    regressor, classifier : scikit-learn estimators, optional
        Default: ``HistGradientBoostingRegressor`` / ``Classifier`` seeded with ``seed``.
    trim : float
        Propensities are clipped to ``[trim, 1 - trim]``.
    max_fit_rows : int, optional
        Each model is fitted on at most this many of its training rows (a seeded random
        subset; every row is still predicted and scored), which bounds the time on very large
        tables. ``None``: all rows.
    seed : int
    level : float
        Confidence level of the intervals.

    Returns
    -------
    UpliftResult
        ``effects`` aligned with the rows of ``units``; ``table`` with the cross-fitted AIPW
        average effect (``aipw``) and the mean of the effects (``mean_effect``).

    Notes
    -----
    The cross-fitted AIPW average is :math:`n^{-1}\sum_i \hat\varphi_i` with
    :math:`\hat\varphi_i = \hat\mu_1 - \hat\mu_0 + T(Y-\hat\mu_1)/\hat e -
    (1-T)(Y-\hat\mu_0)/(1-\hat e)`; its standard error treats customers as clusters.
    Per-customer intervals are not given: the meta-learners have no valid pointwise interval.

    References
    ----------
    Künzel et al. (2019), *PNAS*; Kennedy (2023), *EJS*; Chernozhukov et al. (2018), *EJ*.

    Examples
    --------
    >>> import cxmodels as cx
    >>> d = cx.generate(n_customers=1500, seed=1, uplift=True)
    >>> res = cx.fit_uplift(d, folds=3)
    >>> len(res.effects) == len(res.units)
    True
    """
    check_option("learner", learner, LEARNERS, "uplift")
    check_number("folds", folds, low=2, integer=True)
    check_number("trim", trim, low=0, high=0.5, high_open=True)
    if max_fit_rows is not None:
        check_number("max_fit_rows", max_fit_rows, low=100, integer=True)
    level = check_level(level)
    u = _units(data, outcome, treatment, covariates, cluster, window_days, horizon_days, events)
    if len(np.unique(u.groups)) < folds:
        fail("data", cluster or "customer_id", f"fewer clusters than folds ({folds})",
             "lower folds= or add data")  # fmt: skip
    reg, clf = default_models(seed, u.categorical)
    binary = bool(np.isin(u.Y, (0.0, 1.0)).all())
    cf = cross_fit(u.X, u.T, u.Y, u.groups, learner, folds, trim, seed,
                   regressor or reg, classifier or clf, binary, max_fit_rows)  # fmt: skip
    spec = UpliftSpec(outcome, learner, u.covariates, folds, trim, seed, level,
                      window_days if treatment is None else None,
                      horizon_days if treatment is None else None, treatment)  # fmt: skip
    effects = pd.Series(cf.tau, index=u.frame.index, name="effect")
    scores = pd.DataFrame(
        {"treated": u.T, "outcome": u.Y, "propensity": cf.e, "mu0": cf.mu0, "mu1": cf.mu1,
         "dr_score": cf.phi, "fold": cf.fold, "cluster": u.groups}, index=u.frame.index,
    )  # fmt: skip
    table = _average_table(cf, u, level)
    by_trait = trait_table(u.frame, u.covariates, cf.tau, cf.phi, u.groups, level)
    clipped = int(((cf.e <= trim) | (cf.e >= 1 - trim)).sum())
    return UpliftResult(table, effects, by_trait, spec, u.frame, scores, clipped, cf.models,
                        u.levels)  # fmt: skip


def _units(
    data, outcome, treatment, covariates, cluster, window_days, horizon_days, events
) -> Units:
    if isinstance(data, pd.DataFrame):
        return units_from_table(data, outcome, treatment, covariates, cluster)
    check_option("outcome", outcome, OUTCOMES, "uplift")
    return units_from_data(data, outcome, covariates, window_days, horizon_days, events)


def _average_table(cf, u: Units, level: float) -> pd.DataFrame:
    z = norm.ppf((1 + level) / 2)
    rows = []
    for name, x in (("aipw", cf.phi), ("mean_effect", cf.tau)):  # two rows
        est, se = curves.clustered_mean(x, u.groups)
        rows.append({"method": name, "estimate": est, "se": se, "ci_low": est - z * se,
                     "ci_high": est + z * se, "n": len(x), "n_treated": int(u.T.sum())})  # fmt: skip
    return pd.DataFrame(rows)


def trait_table(frame, covariates, tau, phi, groups, level) -> pd.DataFrame:
    """Mean predicted and DR-estimated effect by level of each covariate (numeric ones in
    quartile bands), with normal intervals from clustered standard errors."""
    z = norm.ppf((1 + level) / 2)
    rows = []
    for c in covariates:  # a few covariates
        lev = _levels(frame[c])
        for v in lev.dropna().unique():  # a few levels
            sel = (lev == v).to_numpy()
            est, se = curves.clustered_mean(phi[sel], groups[sel])
            rows.append({"covariate": c, "level": str(v), "n": int(sel.sum()),
                         "predicted_effect": float(tau[sel].mean()), "estimated_effect": est,
                         "estimated_effect_low": est - z * se, "estimated_effect_high": est + z * se})  # fmt: skip
    return pd.DataFrame(rows)


def _levels(s: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(s):  # "yes"/"no", which the catalogue names in each language
        return s.map({True: "yes", False: "no"}).astype("object").where(s.notna())
    if not pd.api.types.is_numeric_dtype(s) or s.nunique() <= 4:
        return s.astype("object").where(s.notna())
    q = s.quantile([0, 0.25, 0.5, 0.75, 1]).to_numpy()
    edges = np.unique(q)
    if len(edges) < 3:
        return s.astype("object").where(s.notna())
    names = [f"{a:g}-{b:g}" for a, b in zip(edges[:-1], edges[1:])]
    cut = pd.cut(s, edges, labels=names, include_lowest=True)
    return cut.astype("object").where(s.notna())


def _top_traits(by_trait: pd.DataFrame, better: str, average: float, k: int = 3) -> list[str]:
    """Up to ``k`` trait levels whose doubly robust effect is clearly larger than the average
    effect in the better direction (its interval, at the result's level, lies wholly beyond
    ``average``), largest first, among levels holding at least 5% of the units.

    The predicted (model) effects rank customers; a sentence about groups rests on the
    intervals printed beside it, so levels whose intervals overlap the average are not named.
    """
    if by_trait.empty:
        return []
    n_all = by_trait.groupby("covariate")["n"].sum().max()
    b = by_trait[by_trait["n"] >= 0.05 * n_all]
    lower = better == "lower"
    benefit = -b["estimated_effect"] if lower else b["estimated_effect"]
    clear = b["estimated_effect_high"] < average if lower else b["estimated_effect_low"] > average
    b = b.assign(benefit=benefit)[clear].nlargest(k, "benefit")
    return [f"{label(c)}: {label(str(v))}" for c, v in zip(b["covariate"], b["level"])]


def _top_share(phi: np.ndarray, benefit: np.ndarray, better: str, top: float = 0.2) -> float:
    """Share of the total DR-estimated benefit that the top fifth of the ranking holds."""
    s = -1.0 if better == "lower" else 1.0
    order = np.argsort(-benefit, kind="stable")
    k = int(np.ceil(top * len(phi)))
    total = s * phi.sum()
    return float(s * phi[order[:k]].sum() / total) if total > 0 else np.nan
