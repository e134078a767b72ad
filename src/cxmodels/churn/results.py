r"""Result classes of the churn models: one per model, sharing :class:`ChurnResult`.

* :class:`CoxResult`: Cox proportional hazards (Efron ties); predictions are R ``survfit.coxph``
  step functions (Efron baseline by default, Breslow's as an option), the proportional-hazards
  test is R ``cox.zph``'s.
* :class:`TimeVaryingCoxResult`: Cox on start-stop (counting-process) rows.
* :class:`AFTResult`: Weibull, log-normal and log-logistic accelerated failure time models.

The Cox model: :math:`h(t \mid x) = h_0(t) \exp(x^\top\beta)`; a hazard ratio
:math:`e^{\beta_j}` is the multiplicative change of the churn hazard per unit of :math:`x_j`.
An AFT model: :math:`\log T = x^\top\beta + \sigma\varepsilon`; a time ratio :math:`e^{\beta_j}`
stretches the time to churn.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

import numpy as np
import pandas as pd
from scipy.stats import norm

from .._design import Design
from .._results import Findings, Result, _value_label, result_dataclass
from .._validation import check_number, fail
from ..i18n import t
from ..plots import forest, survival_profiles
from . import _cox, prose
from ._aft import MEDIAN_Z, survival
from .concordance import concordance_index
from .zph import cox_zph


def _coef_table(names, coef, se, alpha: float) -> pd.DataFrame:
    z = norm.ppf(1 - alpha / 2)
    coef, se = np.asarray(coef, float), np.asarray(se, float)
    zz = coef / se
    return pd.DataFrame(
        {
            "covariate": list(names),
            "coef": coef,
            "se": se,
            "coef_low": coef - z * se,
            "coef_high": coef + z * se,
            "z": zz,
            "p_value": 2 * norm.sf(np.abs(zz)),
        }
    )


@result_dataclass
class ChurnResult(Result):
    """What every churn model result has (the base of :class:`CoxResult`, :class:`AFTResult` and
    :class:`TimeVaryingCoxResult`).

    Attributes
    ----------
    table : DataFrame
        One row per design column: ``covariate``, ``coef``, ``se``, ``coef_low``, ``coef_high``,
        ``z``, ``p_value`` and the model's ratios (``hr``, ``hr_low``, ``hr_high`` for Cox;
        ``time_ratio``, ``tr_low``, ``tr_high`` for AFT).
    design : Design
        The encoding (levels, references, missing rows) from :func:`cxmodels._design.build_design`.
    source : DataFrame
        The table passed to :func:`fit_churn` (not copied).
    n, events : int
        Rows and churn events used.
    strata : tuple of str
        Strata columns (Cox only).
    notes : tuple of str
        What happened on the way (rows dropped, convergence).
    converged : bool
        Whether the optimiser reported convergence.
    alpha : float
        1 - confidence level of the intervals.
    unit : str
        Time unit of the durations.
    spec : dict
        The specification the fit was built from (``covariates`` and every keyword of
        :func:`fit_churn`: model, strata, penalizer, alpha, missing, reference, ...); refits such
        as :meth:`CoxResult.stratify_violations` start from it, so no option is lost
        (statsmodels' ``_init_keys``).
    fit_function : callable
        The function that built the result (:func:`fit_churn`); :meth:`refit` calls it again
        with :attr:`spec`, as statsmodels' results keep their ``model``, so this module never
        imports the fitting code that imports it.
    """

    table: pd.DataFrame
    design: Design
    source: pd.DataFrame
    n: int
    events: int
    duration_col: str
    event_col: str
    strata: tuple[str, ...]
    notes: tuple[str, ...]
    converged: bool
    alpha: float
    unit: str
    spec: dict
    fit_function: Callable[..., ChurnResult]

    model = "churn"
    time_varying = False

    # ---------------------------------------------------------------- the shared surface
    def refit(self, **changes) -> ChurnResult:
        """The same model fitted again on the same table with some keywords changed.

        Every keyword of the original :func:`fit_churn` call (``alpha``, ``penalizer``,
        ``missing``, ``reference``, ``strata``, column names, ...) is kept unless given here.
        """
        spec = {**self.spec, **changes}
        return self.fit_function(self.source, spec.pop("covariates"), **spec)

    @property
    def covariates(self) -> tuple[str, ...]:
        return self.design.covariates

    @property
    def design_columns(self) -> tuple[str, ...]:
        return self.design.columns

    @property
    def levels(self) -> dict:
        return self.design.levels

    @property
    def data_table(self) -> pd.DataFrame:
        """The rows of the source table that the fit used."""
        keep = self.design.keep
        return self.source if keep is None else self.source[keep]

    @cached_property
    def data(self) -> pd.DataFrame:
        """Design columns, strata, duration and event of the rows used."""
        t = self.data_table
        frame = self.design.frame(t.index).copy()
        for c in (*self.strata, self.duration_col, self.event_col):
            if c in t:
                frame[c] = t[c].to_numpy()
        return frame

    def encode(self, table: pd.DataFrame) -> pd.DataFrame:
        """The design matrix of ``table`` with this fit's encoding (same levels, same reference)."""
        return pd.DataFrame(
            self.design.transform(table), columns=list(self.design.columns), index=table.index
        )

    @property
    def concordance(self) -> float:  # pragma: no cover - every subclass defines it
        return float("nan")

    def _facts(self) -> dict:
        facts = {"model": self.model, "n": self.n, "events": self.events}
        facts["concordance"] = self.concordance
        if self.strata:
            facts["strata"] = ", ".join(self.strata)
        return facts

    def _summary_parts(self):
        cols = ["covariate", "coef", "se", *self._ratio_columns, "p_value"]
        return (
            t("summary.churn.title", model=_value_label(self.model)),
            self._facts(),
            {"Covariates": self.table[cols].set_index("covariate")},
            list(self.notes),
        )

    _ratio_columns = ("hr", "hr_low", "hr_high")

    def _caveats(self) -> list[str]:
        c = [n for n in self.notes]
        k = max(1, len(self.design.columns))
        if self.events < 10 * k:
            c.append(t("churn.few_events", events=f"{self.events:,}", k=k))
        return c

    def _check_horizon(self, horizon, name: str = "horizon") -> float:
        check_number(name, horizon, low=0, low_open=True)
        top = float(self.data_table[self.duration_col].max()) if not self.time_varying else None
        if top is not None and horizon > top:
            fail(
                "argument",
                name,
                f"{horizon:g} is past the longest follow-up ({top:g} {self.unit})",
                f"choose a horizon up to {top:g}; the model cannot see beyond the data",
            )
        return float(horizon)

    def predict_survival(self, table: pd.DataFrame, times) -> pd.DataFrame:  # pragma: no cover
        raise NotImplementedError

    def predict_risk(self, horizon: float, table: pd.DataFrame | None = None) -> pd.Series:
        """Probability of churn by ``horizon`` (in the table's time unit), per row."""
        table = self.data_table if table is None else table
        self._check_horizon(horizon)
        s = self.predict_survival(table, [horizon]).to_numpy()[0]
        return pd.Series(1 - s, index=table.index, name=f"risk_{horizon:g}")

    #: (estimate, low, high, title, axis label) of the forest plot
    _forest = ("hr", "hr_low", "hr_high", "Hazard ratios", "hazard ratio (log scale)")

    def plot_forest(self, ax=None):
        """Forest plot of the ratios with their intervals (log scale)."""
        est, lo, hi, title, xlabel = self._forest
        return forest(self.table, est, lo, hi, "covariate", ax=ax, title=title, xlabel=xlabel)

    def _sentences(self) -> list[str]:
        return prose.hazard_findings(self)

    def findings(self) -> Findings:
        """One sentence per covariate whose ratio's interval (at the fit's level) excludes 1,
        labels not names."""
        return Findings(tuple(self._sentences()), tuple(self._caveats()))

    def plot_profiles(
        self, profiles: pd.DataFrame, horizon: float | None = None, ax=None, labels=None
    ):
        """Predicted survival curves for chosen covariate profiles (one row each)."""
        h = horizon or float(self.data_table[self.duration_col].max())
        t = np.linspace(0, h, 100)
        S = self.predict_survival(profiles, t)
        return survival_profiles(t, S.to_numpy(), labels or [str(i) for i in profiles.index], ax=ax)


@result_dataclass
class _HazardModel(ChurnResult):
    """Shared by the two Cox results: hazard ratios, forest plot, findings."""


@result_dataclass
class CoxResult(_HazardModel):
    """Cox proportional-hazards fit (Efron ties), R ``coxph``-compatible.

    ``table`` columns: ``covariate``, ``coef``, ``se``, ``coef_low``, ``coef_high``, ``z``,
    ``p_value``, ``hr``, ``hr_low``, ``hr_high``.

    Notes
    -----
    Predictions follow R ``survfit.coxph`` (``stype = 2``):
    :math:`S(t \\mid x) = \\exp(-H_0(t) e^{x^\\top\\beta})`, a step function, with the
    baseline cumulative hazard :math:`H_0` chosen by :func:`fit_churn`'s ``baseline`` and kept in
    ``spec["baseline"]`` (:attr:`baseline_method`): ``"efron"`` (default; R's default for Efron
    ties, ``ctype = 2``) or ``"breslow"`` (``ctype = 1``, lifelines' ``baseline_survival_``);
    see :func:`cxmodels.churn._cox.baseline_hazard`. The two differ only where churners tie.
    The restricted mean survival time is the exact integral of the step function.
    """

    params: np.ndarray
    cov: np.ndarray
    loglik: float
    loglik_null: float
    T: np.ndarray
    E: np.ndarray
    strata_codes: np.ndarray | None
    strata_keys: tuple

    model = "cox"

    @property
    def aic(self) -> float:
        """Partial AIC: :math:`-2 \\ell + 2p`."""
        return float(-2 * self.loglik + 2 * len(self.params))

    @property
    def baseline_method(self) -> str:
        """The baseline hazard of the predictions: ``"efron"`` (R ``ctype = 2``, the default)
        or ``"breslow"`` (R ``ctype = 1``, lifelines)."""
        return self.spec.get("baseline", "efron")

    def _facts(self) -> dict:
        facts = {**super()._facts(), "AIC (partial)": self.aic}
        facts[t("churn.fact.baseline")] = t(f"churn.baseline.{self.baseline_method}")
        return facts

    @cached_property
    def eta(self) -> np.ndarray:
        """Linear predictor of the rows used."""
        return self.design.X @ self.params

    @cached_property
    def concordance(self) -> float:
        """Harrell's C on the fitting data, pairs within strata (R ``concordance``)."""
        return concordance_index(self.T, -self.eta, self.E, self.strata_codes)

    @cached_property
    def baseline(self) -> pd.DataFrame:
        """Baseline cumulative hazard (:attr:`baseline_method`) at the mean linear predictor:
        ``stratum``, ``time``, ``hazard``, ``cumhaz``."""
        eta = self.eta - self.eta.mean()
        return _cox.baseline_hazard(self.T, self.E, eta, self.strata_codes, self.baseline_method)

    def _strata_of(self, table: pd.DataFrame) -> np.ndarray:
        if not self.strata:
            return np.zeros(len(table), dtype=np.int64)
        keys = pd.MultiIndex.from_frame(table[list(self.strata)].astype(str))
        lookup = pd.Index(self.strata_keys)
        code = lookup.get_indexer(keys if len(self.strata) > 1 else keys.get_level_values(0))
        if (code < 0).any():
            fail(
                "table",
                ", ".join(self.strata),
                "strata values the fit did not see",
                f"use one of {list(self.strata_keys)}",
                table.index[code < 0],
            )
        return code

    def _linear(self, table: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        eta = self.design.transform(table) @ self.params - self.eta.mean()
        return eta, self._strata_of(table)

    def predict_survival(self, table: pd.DataFrame, times) -> pd.DataFrame:
        """Survival probabilities (rows = times, columns = rows of ``table``), step functions of
        the :attr:`baseline_method` baseline (R ``survfit.coxph``, ``ctype = 2`` or ``1``)."""
        times = np.atleast_1d(np.asarray(times, dtype=float))
        eta, code = self._linear(table)
        H = np.empty((len(times), len(table)))
        for k in np.unique(code):  # loop over strata
            sel = code == k
            H[:, sel] = np.outer(_cox.step_cumhaz(self.baseline, k, times), np.exp(eta[sel]))
        return pd.DataFrame(np.exp(-H), index=times, columns=table.index)

    def expected_remaining_tenure(
        self, horizon: float, table: pd.DataFrame | None = None
    ) -> pd.Series:
        """Restricted mean survival time :math:`\\int_0^h S(t \\mid x)\\,dt`, exact for the step
        function (R: the area under ``survfit.coxph`` up to ``h``)."""
        table = self.data_table if table is None else table
        h = self._check_horizon(horizon)
        eta, code = self._linear(table)
        out = np.empty(len(table))
        for k in np.unique(code):  # loop over strata
            b = self.baseline[self.baseline["stratum"] == k]
            t = b["time"].to_numpy()
            t = t[t <= h]
            H = np.r_[0.0, b["cumhaz"].to_numpy()[: len(t)]]
            dt = np.diff(np.r_[0.0, t, h])
            sel = code == k
            out[sel] = np.exp(-np.outer(np.exp(eta[sel]), H)) @ dt
        return pd.Series(out, index=table.index, name=f"rmst_{horizon:g}")

    def _score(self, table: pd.DataFrame) -> np.ndarray:
        return -self._linear(table)[0]

    def ph_test(self, transform: str = "km", p_threshold: float | None = None):
        """R ``cox.zph``: Grambsch-Therneau score test of proportional hazards; see
        :func:`cxmodels.churn.zph.cox_zph` (``p_threshold`` defaults to the fit's ``alpha``)."""
        p = self.alpha if p_threshold is None else p_threshold
        return cox_zph(self, transform=transform, p_threshold=p)

    def check_assumptions(
        self, p_threshold: float | None = None, transform: str = "km"
    ) -> pd.DataFrame:
        """The proportional-hazards test as a table: ``covariate``, ``test_statistic``, ``df``,
        ``p_value``, ``violated``, ``advice`` (one row per covariate and ``GLOBAL``)."""
        return self.ph_test(transform, p_threshold).table

    def stratify_violations(self, p_threshold: float | None = None, transform: str = "km"):
        """Refit with categorical covariates that break proportional hazards moved to strata.

        Returns the (possibly unchanged) fit and a sentence saying what was done. Numeric
        covariates that break the assumption are named, with the advice to add a time interaction.
        The refit keeps every option of the original fit (level, penalizer, missing rule, ...).
        """
        ph = self.check_assumptions(p_threshold, transform)
        bad = ph.loc[ph["violated"] & (ph["covariate"] != "GLOBAL"), "covariate"].tolist()
        cats = [c for c in bad if c in self.design.levels]
        nums = [c for c in bad if c not in self.design.levels]
        fit = self
        if cats:
            keep = [c for c in self.covariates if c not in cats]
            fit = self.refit(
                covariates=keep,
                strata=sorted(set(self.strata) | set(cats)),
                reference={k: v for k, v in self.design.reference.items() if k in keep},
            )
        return fit, prose.stratify_message(cats, nums)


@result_dataclass
class TimeVaryingCoxResult(_HazardModel):
    """Cox model on start-stop rows (lifelines ``CoxTimeVaryingFitter``, Efron ties; matches
    R ``coxph(Surv(start, stop, event) ~ ...)`` on ``tmerge`` data).

    ``table`` columns as :class:`CoxResult`. Predictions need a covariate path, so this result
    offers none; concordance is not defined for start-stop rows.
    """

    fit: object  # the lifelines CoxTimeVaryingFitter
    loglik: float

    model = "cox (time-varying)"
    time_varying = True

    @property
    def aic(self) -> float:
        return float(-2 * self.loglik + 2 * len(self.table))

    @property
    def concordance(self) -> float:
        return float("nan")

    def predict_survival(self, table, times):
        fail(
            "churn",
            "time_varying",
            "predictions from a time-varying Cox model need each customer's future covariates",
            "fit the baseline model (time_varying=False) for risk predictions",
        )


@result_dataclass
class AFTResult(ChurnResult):
    """Accelerated failure time fit (Weibull, log-normal or log-logistic), R ``survreg``'s
    likelihood and optimum (coefficients agree with ``survreg`` to 1e-8).

    ``table`` columns: ``covariate``, ``coef``, ``se``, ``coef_low``, ``coef_high``, ``z``,
    ``p_value``, ``time_ratio``, ``tr_low``, ``tr_high`` (and for Weibull the implied hazard
    ratios ``hr``, ``hr_low``, ``hr_high``: :math:`e^{-\\beta/\\sigma}`, with ``log_hr_se``,
    the delta-method standard error of :math:`-\\beta/\\sigma` that includes the scale's
    uncertainty; see :func:`cxmodels.churn.models.weibull_hazard_ratios`). ``log_scale`` is
    :math:`\\log\\sigma` (R's ``log(scale)``), ``intercept`` the intercept.

    Notes
    -----
    :math:`S(t \\mid x) = S_\\varepsilon((\\log t - x^\\top\\beta)/\\sigma)`; see
    :mod:`cxmodels.churn._aft`.
    """

    distribution: str
    intercept: float
    log_scale: float
    cov: np.ndarray
    loglik: float
    T: np.ndarray
    E: np.ndarray

    _ratio_columns = ("time_ratio", "tr_low", "tr_high")

    @property
    def model(self) -> str:  # type: ignore[override]
        return self.distribution

    @property
    def aic(self) -> float:
        """:math:`-2\\ell + 2k` with :math:`k` = coefficients + intercept + scale."""
        return float(-2 * self.loglik + 2 * (len(self.table) + 2))

    def _facts(self) -> dict:
        return {**super()._facts(), "AIC": self.aic, "log(scale)": self.log_scale}

    def _eta(self, X: np.ndarray) -> np.ndarray:
        return self.intercept + X @ self.table["coef"].to_numpy()

    @cached_property
    def concordance(self) -> float:
        """Harrell's C of the predicted median times on the fitting data."""
        return concordance_index(self.T, self._eta(self.design.X), self.E)

    def predict_survival(self, table: pd.DataFrame, times) -> pd.DataFrame:
        """Survival probabilities (rows = times, columns = rows of ``table``)."""
        times = np.atleast_1d(np.asarray(times, dtype=float))
        eta = self._eta(self.design.transform(table))
        with np.errstate(divide="ignore"):
            z = (np.log(times)[:, None] - eta[None, :]) / np.exp(self.log_scale)
        return pd.DataFrame(survival(self.distribution, z), index=times, columns=table.index)

    def predict_median(self, table: pd.DataFrame) -> pd.Series:
        """Median time to churn per row."""
        eta = self._eta(self.design.transform(table))
        q = MEDIAN_Z[self.distribution]
        return pd.Series(np.exp(eta + np.exp(self.log_scale) * q), index=table.index)

    def expected_remaining_tenure(
        self, horizon: float, table: pd.DataFrame | None = None, grid: int = 200
    ) -> pd.Series:
        """Restricted mean survival time up to ``horizon`` (trapezoid rule on a fine grid; the
        AFT survival curve is smooth)."""
        table = self.data_table if table is None else table
        self._check_horizon(horizon)
        t = np.linspace(0, horizon, grid + 1)
        S = self.predict_survival(table, t).to_numpy()
        return pd.Series(np.trapezoid(S, t, axis=0), index=table.index, name=f"rmst_{horizon:g}")

    def _score(self, table: pd.DataFrame) -> np.ndarray:
        return self.predict_median(table).to_numpy()

    _forest = ("time_ratio", "tr_low", "tr_high", "Time ratios", "time ratio (log scale)")

    def _sentences(self) -> list[str]:
        return prose.time_ratio_findings(self)
