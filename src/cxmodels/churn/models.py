"""Fitting the churn models: :func:`fit_churn` checks every option and input, builds the design
once (:func:`cxmodels._design.build_design`) and hands one float block to the fitter."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter, CoxTimeVaryingFitter
from lifelines.exceptions import ConvergenceWarning
from scipy.stats import norm

from .._design import Design, build_design
from .._threads import one_thread
from .._validation import as_list, check_number, check_option, fail, require_columns
from ..i18n import t
from ._aft import fit_aft
from ._checks import check_start_stop, check_survival
from ._cox import BASELINES, fit_cox
from .results import AFTResult, ChurnResult, CoxResult, TimeVaryingCoxResult, _coef_table
from .tables import UNITS

MODELS = ("cox", "weibull", "lognormal", "loglogistic")
TABLE = "survival table"
#: Newton-Raphson tolerances for lifelines' penalized Cox (the unpenalized fit is
#: :func:`cxmodels.churn._cox.fit_cox`, iterated to R's optimum).
COX_FIT_OPTIONS = {"precision": 1e-14, "r_precision": 1e-14}


def _record_fit(fn):
    """Run a fit, turning its warnings into notes (never silenced); returns (result, notes, ok)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = fn()
    notes, ok = [], True
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            ok = False
            notes.append(f"The fit reports a convergence problem: {str(w.message).splitlines()[0]}")
        elif not issubclass(w.category, DeprecationWarning | FutureWarning):
            notes.append(str(w.message).splitlines()[0])
    return out, notes, ok


def _strata_codes(table: pd.DataFrame, strata: list[str], keep) -> tuple[np.ndarray | None, tuple]:
    if not strata:
        return None, ()
    sub = table[strata] if keep is None else table.loc[keep, strata]
    if sub.isna().any().any():
        fail(TABLE, ", ".join(strata), "missing strata values", "fill them or drop those rows")
    keys = sub.astype(str)
    if len(strata) == 1:
        codes, uniq = pd.factorize(keys.iloc[:, 0], sort=True)
        return codes.astype(np.int64), tuple(uniq)
    mi = pd.MultiIndex.from_frame(keys)
    codes, uniq = pd.factorize(mi, sort=True)
    return codes.astype(np.int64), tuple(uniq)


def _cox_penalized(X, T, E, codes, penalizer: float, names):
    """lifelines' penalized Cox (its penalty convention), for ``penalizer > 0``."""
    frame = pd.DataFrame(X, columns=list(names), copy=False).assign(_duration=T, _event=E)
    strata = None
    if codes is not None:
        frame["_stratum"], strata = codes, ["_stratum"]
    f = CoxPHFitter(penalizer=penalizer)
    f.fit(frame, "_duration", "_event", strata=strata, fit_options=dict(COX_FIT_OPTIONS))
    return (
        f.params_.to_numpy(),
        f.variance_matrix_.to_numpy(),
        float(f.log_likelihood_),
        float(f._ll_null_),
    )


def _shared(design, table, events, dcol, strata, notes, ok, common) -> tuple:
    """The :class:`ChurnResult` fields after ``table``, in order."""
    return (
        design,
        table,
        design.n,
        int(events),
        dcol,
        common["event_col"],
        tuple(strata),
        (*common["notes"], *notes),
        bool(ok),
        common["alpha"],
        common["unit"],
        common["spec"],
        fit_churn,
    )


def _hr_table(design: Design, coef, cov, alpha: float) -> pd.DataFrame:
    with np.errstate(invalid="ignore", over="ignore"):
        tab = _coef_table(design.columns, coef, np.sqrt(np.diag(cov)), alpha)
        tab["hr"], tab["hr_low"], tab["hr_high"] = (
            np.exp(tab["coef"]),
            np.exp(tab["coef_low"]),
            np.exp(tab["coef_high"]),
        )
    return tab


def _fit_cox(table, design, strata, penalizer, common) -> CoxResult:
    keep = design.keep
    T = table[common["duration_col"]].to_numpy(dtype=float)
    E = table[common["event_col"]].to_numpy().astype(np.int64)
    if keep is not None:
        T, E = T[keep], E[keep]
    codes, keys = _strata_codes(table, strata, keep)
    if penalizer:
        fit = lambda: _cox_penalized(design.X, T, E, codes, penalizer, design.columns)  # noqa: E731
        (coef, cov, ll, ll0), notes, ok = _record_fit(fit)
    else:
        coef, cov, ll, ll0, iters, ok, infinite = fit_cox(design.X, T, E, codes)
        notes = [] if ok else [f"Newton-Raphson did not converge in {iters} iterations."]
        if infinite.any():
            names = ", ".join(design.label(c) for c, bad in zip(design.columns, infinite) if bad)
            notes.append(t("churn.infinite", names=names))
    return CoxResult(
        _hr_table(design, coef, cov, common["alpha"]),
        *_shared(design, table, E.sum(), common["duration_col"], strata, notes, ok, common),
        coef,
        cov,
        ll,
        ll0,
        T,
        E,
        codes,
        keys,
    )


def _fit_time_varying(table, design, strata, penalizer, cols, common) -> TimeVaryingCoxResult:
    id_col, start_col, stop_col = cols
    sub = table if design.keep is None else table[design.keep]
    frame = design.frame(sub.index)
    for c in (id_col, start_col, stop_col, common["event_col"], *strata):
        frame[c] = sub[c].to_numpy()
    f = CoxTimeVaryingFitter(penalizer=penalizer, alpha=common["alpha"])
    _, notes, ok = _record_fit(
        lambda: f.fit(
            frame,
            id_col=id_col,
            start_col=start_col,
            stop_col=stop_col,
            event_col=common["event_col"],
            strata=strata or None,
            fit_options=dict(COX_FIT_OPTIONS),
        )
    )
    pos = f.params_.index.get_indexer(list(design.columns))
    coef = f.params_.to_numpy()[pos]
    cov = np.asarray(f.variance_matrix_, dtype=float)[np.ix_(pos, pos)]
    events = frame[common["event_col"]].sum()
    return TimeVaryingCoxResult(
        _hr_table(design, coef, cov, common["alpha"]),
        *_shared(design, table, events, stop_col, strata, notes, ok, common),
        f,
        float(f.log_likelihood_),
    )


def _fit_aft(table, design, model, common) -> AFTResult:
    dcol, ecol = common["duration_col"], common["event_col"]
    sub = table if design.keep is None else table[design.keep]
    T, E = sub[dcol].to_numpy(float), sub[ecol].to_numpy().astype(np.int64)
    fit = fit_aft(design.X, T, E, model)
    p = len(design.columns)
    se = np.sqrt(np.diag(fit.cov))
    t = _coef_table(design.columns, fit.coef[1:], se[1 : p + 1], common["alpha"])
    t["time_ratio"], t["tr_low"], t["tr_high"] = (
        np.exp(t["coef"]),
        np.exp(t["coef_low"]),
        np.exp(t["coef_high"]),
    )
    if model == "weibull":
        t["hr"], t["log_hr_se"], t["hr_low"], t["hr_high"] = weibull_hazard_ratios(
            fit.coef[1:], fit.log_scale, fit.cov, common["alpha"]
        )
    notes = () if fit.converged else ("The AFT likelihood did not converge: read with care.",)
    return AFTResult(
        t,
        *_shared(design, table, E.sum(), dcol, (), notes, fit.converged, common),
        model,
        float(fit.coef[0]),
        fit.log_scale,
        fit.cov,
        fit.loglik,
        T,
        E,
    )


def weibull_hazard_ratios(beta, log_scale: float, cov: np.ndarray, alpha: float) -> tuple:
    r"""Hazard ratios implied by a Weibull AFT fit, with delta-method intervals.

    Parameters
    ----------
    beta : array (p,)
        AFT slopes (no intercept).
    log_scale : float
        :math:`\log\sigma`.
    cov : array (p + 2, p + 2)
        Covariance of (intercept, slopes, :math:`\log\sigma`), as :func:`._aft.fit_aft`
        returns it (R ``vcov(survreg)``).
    alpha : float
        1 - level of the intervals.

    Returns
    -------
    hr, log_hr_se, hr_low, hr_high : arrays (p,)

    Notes
    -----
    :math:`\log HR_j = -\beta_j/\sigma`. Its gradient in :math:`(\beta_j, \log\sigma)` is
    :math:`(-1/\sigma, \beta_j/\sigma)`, so
    :math:`\mathrm{Var} = \sigma^{-2}(V_{\beta\beta} - 2\beta_j V_{\beta s} + \beta_j^2
    V_{ss})`: the uncertainty of the scale is included (holding :math:`\sigma` fixed, as
    rescaling the coefficient's interval does, leaves the last two terms out). The interval is
    :math:`\exp(\log HR \pm z_{1-\alpha/2}\,se)`, as ``car::deltaMethod`` on R's
    ``survreg`` gives (tests/reference/weibull_hr_delta.R).
    """
    beta = np.asarray(beta, dtype=float)
    inv_s = np.exp(-log_scale)
    p = len(beta)
    v_bb = np.diag(cov)[1 : p + 1]
    v_bs, v_ss = cov[1 : p + 1, -1], cov[-1, -1]
    log_hr = -beta * inv_s
    se = inv_s * np.sqrt(np.clip(v_bb - 2 * beta * v_bs + beta**2 * v_ss, 0, None))
    z = norm.ppf(1 - alpha / 2)
    with np.errstate(over="ignore"):
        return np.exp(log_hr), se, np.exp(log_hr - z * se), np.exp(log_hr + z * se)


def _check_options(model, strata, penalizer, time_varying, alpha, unit, missing, baseline):
    check_option("model", model, MODELS, "fit_churn")
    check_option("baseline", baseline, list(BASELINES), "fit_churn")
    if baseline != "efron" and (model != "cox" or time_varying):
        fail(
            "fit_churn",
            "baseline",
            "a baseline hazard is chosen for Cox predictions only",
            "leave baseline='efron' (the default) for this model",
        )
    check_number("penalizer", penalizer, low=0, table="fit_churn")
    check_number("alpha", alpha, low=0, high=1, low_open=True, high_open=True, table="fit_churn")
    check_option("unit", unit, list(UNITS), "fit_churn")
    check_option("time_varying", time_varying, [False, True], "fit_churn")
    check_option("missing", missing, ["drop", "error"], "fit_churn")
    if model != "cox" and strata:
        fail(
            "fit_churn",
            "strata",
            f"strata are not supported for the {model} AFT model (lifelines fits one scale for all)",
            "fit model='cox' with strata, fit one AFT model per stratum, or add the stratum "
            "as a covariate",
        )
    if model != "cox" and time_varying:
        fail(
            "fit_churn",
            "time_varying",
            "time-varying covariates need model='cox'",
            "use model='cox'",
        )


#: The keywords of :func:`fit_churn` a result keeps, so a refit starts from the same model.
SPEC_KEYS = (
    "model",
    "strata",
    "penalizer",
    "time_varying",
    "duration_col",
    "event_col",
    "id_col",
    "start_col",
    "stop_col",
    "reference",
    "alpha",
    "unit",
    "missing",
    "baseline",
)


def _spec(args: dict) -> dict:
    """The specification of a fit: ``covariates`` and every keyword of :data:`SPEC_KEYS`."""
    spec = {k: args[k] for k in SPEC_KEYS}
    spec["covariates"] = list(args["covariates"])
    spec["strata"] = list(spec["strata"])
    spec["reference"] = dict(spec["reference"] or {})
    return spec


@one_thread
def fit_churn(
    table: pd.DataFrame,
    covariates,
    *,
    model: str = "cox",
    strata=None,
    penalizer: float = 0.0,
    time_varying: bool = False,
    duration_col: str = "duration",
    event_col: str = "event",
    id_col: str = "customer_id",
    start_col: str = "start",
    stop_col: str = "stop",
    reference: dict | None = None,
    alpha: float = 0.05,
    unit: str = "months",
    missing: str = "drop",
    baseline: str = "efron",
) -> ChurnResult:
    """Fit a churn hazard model.

    Parameters
    ----------
    table : DataFrame
        From :func:`survival_table` or any survival data (``duration``, ``event`` or other names);
        durations >= 0 (zero is accepted for Cox, refused for AFT).
    covariates : str or list of str
        Numeric, boolean or categorical columns; categoricals are one-hot encoded with the first
        level (or ``reference[col]``) as the named reference, columns named ``"segment: premium"``.
    model : {"cox", "weibull", "lognormal", "loglogistic"}
        Cox proportional hazards (Efron ties) or an AFT model.
    strata : str or list of str, optional
        Cox strata (separate baseline hazards) for covariates that break proportional hazards.
        Refused for AFT models.
    penalizer : float
        Ridge penalty (lifelines' convention), >= 0.
    time_varying : bool
        Start-stop table (``start``, ``stop``, ``event``, ``customer_id``): time-varying Cox.
    duration_col, event_col, id_col, start_col, stop_col : str
        Column names.
    reference : dict, optional
        Categorical covariate -> reference level.
    alpha : float
        1 - confidence level of the intervals.
    unit : str
        Time unit of the durations, for the prose ("days", "weeks", "months", "years").
    missing : {"drop", "error"}
        Rows with a missing covariate are dropped and counted (default) or refused.
    baseline : {"efron", "breslow"}
        Baseline hazard of the Cox predictions: Efron's (default, R ``survfit.coxph``'s
        ``ctype = 2`` for Efron ties) or Breslow's (``ctype = 1``, lifelines'
        ``baseline_survival_``); they differ only where churners tie. Cox only.

    Returns
    -------
    CoxResult, AFTResult or TimeVaryingCoxResult
        ``table`` with ``covariate``, ``coef``, ``se``, ``coef_low``, ``coef_high``, ``z``,
        ``p_value`` and ``hr``, ``hr_low``, ``hr_high`` (Cox) or ``time_ratio``, ``tr_low``,
        ``tr_high`` (AFT; Weibull adds the implied ``hr``).

    Notes
    -----
    Cox: :math:`h(t \\mid x) = h_0(t) e^{x^\\top\\beta}`, Efron's partial likelihood, fitted by
    :func:`cxmodels.churn._cox.fit_cox` (vectorized Newton-Raphson; coefficients agree with R
    ``coxph`` to 1e-8; with ``penalizer > 0`` lifelines' penalized fit). Time-varying Cox:
    lifelines ``CoxTimeVaryingFitter``. AFT: R ``survreg``'s likelihood
    (:mod:`cxmodels.churn._aft`).
    AFT: :math:`\\log T = x^\\top\\beta + \\sigma\\varepsilon`.

    References
    ----------
    Therneau and Grambsch (2000), *Modeling Survival Data: Extending the Cox Model*, Springer.
    """
    strata = as_list(strata)
    covariates = as_list(covariates)
    _check_options(model, strata, penalizer, time_varying, alpha, unit, missing, baseline)
    require_columns(table, covariates + strata, TABLE)
    if time_varying:
        check_start_stop(table, id_col, start_col, stop_col, event_col, TABLE)
    else:
        check_survival(table, duration_col, event_col, TABLE, positive=model != "cox")
    design = build_design(table, covariates, reference=reference, missing=missing, table=TABLE)
    note = design.missing_note()
    common = {
        "duration_col": duration_col,
        "event_col": event_col,
        "alpha": float(alpha),
        "unit": unit,
        "notes": (note,) if note else (),
        "spec": _spec(locals()),
    }
    if time_varying:
        return _fit_time_varying(
            table, design, strata, penalizer, (id_col, start_col, stop_col), common
        )
    if model == "cox":
        return _fit_cox(table, design, strata, penalizer, common)
    if penalizer:
        fail("fit_churn", "penalizer", "a penalty is not offered for AFT models", "use penalizer=0")
    return _fit_aft(table, design, model, common)
