"""Satisfaction drivers: regression and relative importance that adds up.

``fit_drivers`` fits the outcome on the driver ratings and decomposes the explained variance:

* **Shapley / LMG / general dominance** (Lindeman, Merenda & Gold 1980; Budescu 1993; Grömping
  2007): :math:`\\phi_j = \\sum_{S \\subseteq P \\setminus j} \\frac{|S|!(p-|S|-1)!}{p!}
  [R^2(S \\cup j) - R^2(S)]`, exact over all :math:`2^p` subsets (see :mod:`cxmodels._importance`).
  Sums to the model R² (less the controls' part when ``controls`` are given).
* **Relative weights** (Johnson 2000), **first** (:math:`r_{jy}^2`), **last** (drop in R² when j
  leaves the full model), **beta-squared**, **Pratt** (:math:`\\beta_j r_{jy}`, Thomas et al. 1998).
* **Dominance** (Azen & Budescu 2003): complete and conditional dominance from the same subsets.

Models: OLS with HC3 standard errors; ordinal (proportional-odds) logit for Likert outcomes;
logit for promoters (NPS 9-10) or detractors (0-6). For the logit models importance is general
dominance over McFadden's pseudo-R² (one fit per subset; at most 12 drivers).

Penalty-reward contrast analysis (Brandt 1987; Matzler & Sauerwein 2002) is
:func:`penalty_reward`; segment comparison is :func:`compare_segments`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm

from . import _importance as imp
from ._linalg import collinear_columns
from ._results import ResultMixin
from ._validation import InputError, fail, require_columns, require_numeric
from .data.contract import default_codebook

IMPORTANCE_METHODS = (
    "shapley",
    "lmg",
    "dominance",
    "relative_weights",
    "first",
    "last",
    "beta_squared",
    "pratt",
)
MODELS = ("ols", "ordinal", "logit")
MAX_LOGIT_DRIVERS = 12


def _responses(data) -> tuple[pd.DataFrame, dict]:
    from .data import CXData

    if isinstance(data, CXData):
        return data.responses, data.codebook
    if not isinstance(data, pd.DataFrame):
        raise InputError(
            f"[error] data: expected a DataFrame or CXData, got {type(data).__name__}."
        )
    return data, default_codebook()


def _weighted_cov(Z: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    """Covariance of columns of Z; ``w`` (..., n) frequency/probability weights."""
    if w is None:
        return np.cov(Z, rowvar=False)
    w = np.asarray(w, dtype=float)
    sw = w.sum(axis=-1, keepdims=True)
    mu = (w @ Z) / sw
    S2 = np.einsum("...n,ni,nj->...ij", w, Z, Z, optimize=True) / sw[..., None]
    return S2 - mu[..., :, None] * mu[..., None, :]


@dataclass(frozen=True)
class DriversResult(ResultMixin):
    """Result of :func:`fit_drivers`.

    Attributes
    ----------
    table : DataFrame
        One row per driver: ``driver``, ``coef``, ``std_coef``, ``se``, ``p_value``,
        ``importance`` (sums to ``r2`` less the controls' part), ``share`` (percent of the
        decomposed part), ``ci_low``, ``ci_high`` (bootstrap percentile intervals of
        ``importance``, NaN without bootstrap), ``rank``, ``sign``, ``performance`` (mean rating
        on 0-100), and every other importance measure computed (``first``, ``last``,
        ``beta_squared``, ``pratt``, ``relative_weights``).
    r2 : float
        R² (OLS) or McFadden pseudo-R² (logit models).
    n, n_dropped : int
        Rows used, and rows dropped for missing values.
    vif : Series
        Variance inflation factors of the drivers.
    """

    table: pd.DataFrame
    outcome: str
    model: str
    importance_method: str
    r2: float
    r2_controls: float
    n: int
    n_dropped: int
    vif: pd.Series
    warnings: tuple[str, ...]
    fit: object = field(repr=False)
    subset_r2: np.ndarray = field(repr=False)
    players: tuple[str, ...] = ()
    conditional: pd.DataFrame | None = field(default=None, repr=False)
    bootstrap: int = 0

    def _summary_parts(self):
        facts = {
            "outcome": self.outcome,
            "model": self.model,
            "importance": self.importance_method,
            "R² / pseudo-R²": self.r2,
            "n": self.n,
            "rows dropped (missing)": self.n_dropped,
            "bootstrap replicates": self.bootstrap,
        }
        if self.r2_controls:
            facts["R² of controls"] = self.r2_controls
        cols = [
            "driver",
            "coef",
            "se",
            "p_value",
            "importance",
            "share",
            "ci_low",
            "ci_high",
            "rank",
            "performance",
        ]
        notes = list(self.warnings) + [
            "importance: exact Shapley/LMG decomposition of R² (sums to R²); share: percent of the "
            "explained part. Coefficients: "
            + (
                "OLS with HC3 standard errors."
                if self.model == "ols"
                else f"{self.model} logit (log-odds)."
            )
        ]
        return (
            f"Satisfaction drivers of {self.outcome}",
            facts,
            {"Drivers": self.table[[c for c in cols if c in self.table]].set_index("driver")},
            notes,
        )

    def complete_dominance(self) -> pd.DataFrame:
        """Boolean matrix: row driver completely dominates column driver."""
        D = imp.complete_dominance(self.subset_r2)
        return pd.DataFrame(D, index=list(self.players), columns=list(self.players))

    def plot_importance(self, ax=None):
        from .plots import importance_bars

        return importance_bars(self.table, ax=ax, title=f"Drivers of {self.outcome}")

    def plot_quadrants(self, ax=None, x_cross=None, y_cross=None):
        """Importance-performance map; crosshair at the means unless given."""
        from .plots import quadrant_map

        return quadrant_map(self.table, ax=ax, x_cross=x_cross, y_cross=y_cross)


def _prepare(df, outcome, drivers, controls, groups, weights, table_name="responses"):
    if not isinstance(df, pd.DataFrame):
        raise InputError(f"[error] {table_name}: expected a DataFrame.")
    if drivers is None:
        drivers = [c for c in df.columns if str(c).startswith("attr_")]
        if not drivers:
            fail(
                table_name,
                "drivers",
                "no drivers given and no attr_* columns found",
                "pass drivers=[...] naming the rating columns",
            )
    drivers = list(drivers)
    controls = list(controls or [])
    groups = dict(groups or {})
    grouped = [c for cols in groups.values() for c in cols]
    players = [d for d in drivers if d not in grouped] + list(groups)
    cols_x = [d for d in drivers if d not in grouped] + grouped
    needed = [outcome] + cols_x + controls + ([weights] if isinstance(weights, str) else [])
    require_columns(df, needed, table_name)
    require_numeric(df, [outcome] + cols_x + controls, table_name)
    sub = df[needed]
    ok = sub.notna().all(axis=1)
    n_dropped = int((~ok).sum())
    sub = sub[ok]
    if len(sub) < len(cols_x) + len(controls) + 10:
        fail(
            table_name,
            ", ".join(cols_x),
            f"only {len(sub)} complete rows for {len(cols_x)} drivers",
            "use fewer drivers or more data (at least drivers + 10 complete rows)",
        )
    const = [c for c in [outcome] + cols_x + controls if sub[c].nunique() < 2]
    if const:
        fail(
            table_name,
            ", ".join(const),
            "constant column(s): no variation to explain or to explain with",
            "drop them from the model",
        )
    coll = collinear_columns(sub[cols_x + controls].astype(float))
    if coll:
        fail(
            table_name,
            ", ".join(coll),
            "drivers are perfectly collinear with the others",
            "drop one of each collinear set, or combine them with groups={...}",
        )
    w = (
        None
        if weights is None
        else (
            sub[weights].to_numpy(float)
            if isinstance(weights, str)
            else np.asarray(weights, dtype=float)[ok.to_numpy()]
        )
    )
    sizes = [1] * len([d for d in drivers if d not in grouped]) + [len(v) for v in groups.values()]
    return sub, drivers, controls, groups, players, cols_x, sizes, w, n_dropped


def fit_drivers(
    data,
    outcome: str = "overall_sat",
    drivers: list[str] | None = None,
    *,
    model: str = "ols",
    importance: str = "shapley",
    controls: list[str] | None = None,
    groups: dict[str, list[str]] | None = None,
    weights: str | np.ndarray | None = None,
    segment: str | None = None,
    target: str = "promoter",
    bootstrap: int = 0,
    seed: int | None = None,
) -> DriversResult:
    """Fit a satisfaction-drivers model and decompose its R².

    Parameters
    ----------
    data : DataFrame or CXData
        Survey answers (a ``CXData`` means its ``responses``).
    outcome : str
        Outcome column (``overall_sat``, ``nps``, ``csat``, ...).
    drivers : list of str, optional
        Driver columns; default every ``attr_*`` column.
    model : {"ols", "ordinal", "logit"}
        OLS (HC3 errors); proportional-odds logit; logit of ``target`` (``"promoter"``: NPS 9-10,
        ``"detractor"``: NPS 0-6; or an outcome already coded 0/1).
    importance : str
        Which measure fills ``importance``: ``shapley`` (= ``lmg`` = ``dominance``),
        ``relative_weights``, ``first``, ``last``, ``beta_squared``, ``pratt``.
    controls : list of str
        Always in the model; only the remaining R² is decomposed.
    groups : dict
        ``{name: [columns]}`` treated as one player (e.g. a categorical driver's dummies).
    weights : str or array
        Survey weights (column name or array).
    segment : str, optional
        Restrict to ``data.responses`` of customers in this segment (CXData only).
    bootstrap : int
        Bootstrap replicates (rows resampled) for percentile intervals of importance.
    seed : int
        Seed for the bootstrap.

    Returns
    -------
    DriversResult

    References
    ----------
    Grömping, U. (2007). Estimators of relative importance in linear regression based on variance
    decomposition. *The American Statistician* 61(2), 139-147.
    Azen, R., & Budescu, D. V. (2003). The dominance analysis approach for comparing predictors in
    multiple regression. *Psychological Methods* 8(2), 129-148.
    """
    from .data import CXData

    if model not in MODELS:
        raise InputError(
            f"[error] model: {model!r} is not one of {MODELS}. Fix: choose one of them."
        )
    if importance not in IMPORTANCE_METHODS:
        raise InputError(f"[error] importance: {importance!r} is not one of {IMPORTANCE_METHODS}.")
    if segment is not None and isinstance(data, CXData):
        data = data.subset(segment=segment)
    df, codebook = _responses(data)
    if model == "logit" and outcome in df and not set(df[outcome].dropna().unique()) <= {0, 1}:
        cut = df[outcome]
        df = df.assign(
            **{
                outcome: np.where(
                    cut.isna(), np.nan, (cut >= 9) if target == "promoter" else (cut <= 6)
                ).astype(float)
            }
        )
    sub, drivers, controls, groups, players, cols_x, sizes, w, n_dropped = _prepare(
        df, outcome, drivers, controls, groups, weights
    )
    y = sub[outcome].to_numpy(float)
    X = sub[cols_x].to_numpy(float)
    Cc = sub[controls].to_numpy(float) if controls else np.empty((len(sub), 0))
    Z = np.column_stack([Cc, X, y])
    notes = []
    p = len(players)
    if len(sub) < 10 * len(cols_x):
        notes.append(
            f"Small sample: {len(sub)} rows for {len(cols_x)} drivers (fewer than 10 per driver); "
            "importance estimates are unstable."
        )
    R = np.corrcoef(Z, rowvar=False) if w is None else _cov_to_corr(_weighted_cov(Z, w))
    Rx = np.corrcoef(X, rowvar=False) if X.shape[1] > 1 else np.ones((1, 1))
    vif = pd.Series(np.diag(np.linalg.inv(Rx)), index=cols_x, name="vif")
    if (vif > 5).any():
        notes.append(
            "Collinearity: VIF above 5 for "
            + ", ".join(vif.index[vif > 5])
            + "; coefficients are unstable, Shapley shares remain interpretable."
        )

    if model == "ols":
        exog = sm.add_constant(np.column_stack([X, Cc]), has_constant="add")
        names = ["const"] + cols_x + controls
        res = (sm.WLS(y, exog, weights=w) if w is not None else sm.OLS(y, exog)).fit(cov_type="HC3")
        params = pd.Series(res.params, index=names)
        bse = pd.Series(res.bse, index=names)
        pvals = pd.Series(res.pvalues, index=names)
        r2_sub = imp.subset_r2(R, sizes, len(controls))
        r2_full = float(r2_sub[-1])
        r2_ctrl = float(r2_sub[0])
    else:
        params, bse, pvals, res, r2_sub = _logit_fits(
            sub, outcome, players, groups, controls, model, w
        )
        r2_full, r2_ctrl = float(r2_sub[-1]), float(r2_sub[0])
    cond = imp.conditional_contributions(r2_sub)
    shap = cond.mean(axis=-1)

    table = pd.DataFrame({"driver": players})
    coef = [params.get(d, np.nan) for d in players]
    table["coef"] = coef
    sd_y = y.std(ddof=1)
    table["std_coef"] = [
        params.get(d, np.nan) * sub[d].std(ddof=1) / sd_y if d in sub else np.nan for d in players
    ]
    table["se"] = [bse.get(d, np.nan) for d in players]
    table["p_value"] = [pvals.get(d, np.nan) for d in players]
    table["shapley"] = shap
    full = (1 << p) - 1
    table["first"] = [r2_sub[1 << j] - r2_sub[0] for j in range(p)]
    table["last"] = [r2_sub[full] - r2_sub[full ^ (1 << j)] for j in range(p)]
    if model == "ols" and not controls and not groups:
        rxy = R[:-1, -1]
        beta = np.linalg.solve(R[:-1, :-1], rxy)
        table["beta_squared"] = beta**2
        table["pratt"] = beta * rxy
        table["relative_weights"] = imp.relative_weights(R)
    key = {"lmg": "shapley", "dominance": "shapley"}.get(importance, importance)
    if key not in table:
        fail(
            "drivers",
            importance,
            "this importance measure needs an OLS model without controls or groups",
            "use importance='shapley', or drop controls/groups",
        )
    table["importance"] = table[key]
    total = table["importance"].sum()
    table["share"] = 100 * table["importance"] / total if total > 0 else np.nan
    table["ci_low"] = np.nan
    table["ci_high"] = np.nan
    if bootstrap:
        if model != "ols":
            notes.append("Bootstrap intervals are computed for OLS models only.")
        else:
            lo, hi = _bootstrap_importance(
                Z, w, sizes, len(controls), bootstrap, seed, key, R.shape[0]
            )
            table["ci_low"], table["ci_high"] = lo, hi
    table["rank"] = table["importance"].rank(ascending=False, method="min").astype(int)
    table["sign"] = np.sign(table["coef"]).astype("Int64")
    table["performance"] = [
        _performance(sub[d], codebook, d) if d in sub else np.nan for d in players
    ]
    table = table.sort_values("rank", kind="stable").reset_index(drop=True)
    cond_df = pd.DataFrame(cond, index=players, columns=[f"k{k}" for k in range(p)])
    return DriversResult(
        table=table,
        outcome=outcome,
        model=model,
        importance_method=importance,
        r2=r2_full,
        r2_controls=r2_ctrl,
        n=len(sub),
        n_dropped=n_dropped,
        vif=vif,
        warnings=tuple(notes),
        fit=res,
        subset_r2=r2_sub,
        players=tuple(players),
        conditional=cond_df,
        bootstrap=bootstrap,
    )


def _cov_to_corr(C):
    d = np.sqrt(np.diagonal(C, axis1=-2, axis2=-1))
    return C / d[..., :, None] / d[..., None, :]


def _performance(s: pd.Series, codebook: dict, name: str) -> float:
    scale = codebook.get(name)
    lo, hi = (scale["min"], scale["max"]) if scale else (s.min(), s.max())
    return float(100 * (s.mean() - lo) / (hi - lo)) if hi > lo else np.nan


def _bootstrap_importance(Z, w, sizes, n_controls, B, seed, key, m, chunk=250):
    """Percentile intervals from ``B`` row-resampled replicates, batched through one pass."""
    rng = np.random.default_rng(seed)
    n = len(Z)
    draws = []
    for start in range(0, B, chunk):  # loop over chunks of replicates, not rows
        b = min(chunk, B - start)
        counts = rng.multinomial(n, np.full(n, 1 / n), size=b).astype(float)
        if w is not None:
            counts = counts * w
        R = _cov_to_corr(_weighted_cov(Z, counts))
        if key == "relative_weights":
            draws.append(np.array([imp.relative_weights(r) for r in R]))
            continue
        r2 = imp.subset_r2(R, sizes, n_controls)
        if key == "shapley":
            draws.append(imp.shapley(r2))
        else:
            p = len(sizes)
            full = (1 << p) - 1
            if key == "first":
                draws.append(np.stack([r2[:, 1 << j] - r2[:, 0] for j in range(p)], axis=1))
            elif key == "last":
                draws.append(
                    np.stack([r2[:, full] - r2[:, full ^ (1 << j)] for j in range(p)], axis=1)
                )
            else:
                rxy = R[:, :-1, -1]
                beta = np.linalg.solve(R[:, :-1, :-1], rxy[..., None])[..., 0]
                draws.append(beta**2 if key == "beta_squared" else beta * rxy)
    D = np.concatenate(draws)
    return np.percentile(D, 2.5, axis=0), np.percentile(D, 97.5, axis=0)


def ordinal_loglik(X: np.ndarray, y: np.ndarray) -> float:
    """Maximised log-likelihood of a proportional-odds (cumulative logit) model.

    :math:`P(Y \\le j \\mid x) = F(\theta_j - x^\top\beta)`, :math:`F` logistic, thresholds
    :math:`\theta_1 = c_1`, :math:`\theta_j = \theta_{j-1} + e^{c_j}` (ordered by construction).
    Fitted by BFGS with the analytic gradient; used for the :math:`2^p` subset fits of dominance
    analysis, where statsmodels' ``OrderedModel`` (numerical derivatives) would take minutes.
    """
    from scipy.optimize import minimize

    cats, yi = np.unique(y, return_inverse=True)
    K = len(cats)
    n, p = X.shape
    cum = np.cumsum(np.bincount(yi, minlength=K))[:-1] / n
    th0 = np.log(cum / (1 - cum))
    c0 = np.concatenate([[th0[0]], np.log(np.maximum(np.diff(th0), 1e-3))])
    onehot_hi = np.eye(K)[yi][:, :-1]  # y == j  (upper threshold j)
    onehot_lo = np.eye(K)[yi][:, 1:]  # y == j+1 (lower threshold j)

    def unpack(z):
        beta, c = z[:p], z[p:]
        return beta, np.cumsum(np.concatenate([[c[0]], np.exp(c[1:])]))

    def nll(z):
        beta, th = unpack(z)
        eta = X @ beta
        ext = np.concatenate([[-np.inf], th, [np.inf]])
        a, b = ext[yi + 1] - eta, ext[yi] - eta
        Fa, Fb = _sigmoid(a), _sigmoid(b)
        P = np.maximum(Fa - Fb, 1e-300)
        fa, fb = Fa * (1 - Fa), Fb * (1 - Fb)
        g_eta = (fa - fb) / P  # d(-ll)/d eta
        g_th = -(onehot_hi * (fa / P)[:, None] - onehot_lo * (fb / P)[:, None]).sum(axis=0)
        J = np.tril(np.ones((K - 1, K - 1)))  # d theta / d (c_1, e^{c_2}, ...)
        dc = J.T @ g_th
        dc[1:] *= np.exp(z[p + 1 :])
        return -np.log(P).sum(), np.concatenate([X.T @ g_eta, dc])

    res = minimize(
        nll,
        np.concatenate([np.zeros(p), c0]),
        jac=True,
        method="BFGS",
        options={"gtol": 1e-6, "maxiter": 1000},
    )
    return float(-res.fun)


def _sigmoid(z):
    return 0.5 * (1 + np.tanh(0.5 * z))


def _logit_fits(sub, outcome, players, groups, controls, model, w):
    """Fit the full logit model and every subset model; McFadden pseudo-R² per subset."""
    from statsmodels.miscmodels.ordinal_model import OrderedModel

    if len(players) > MAX_LOGIT_DRIVERS:
        fail(
            "responses",
            outcome,
            f"{len(players)} drivers need 2^{len(players)} logit fits",
            f"use at most {MAX_LOGIT_DRIVERS} drivers for logit models, or model='ols'",
        )
    if w is not None:
        warnings.warn("weights are ignored by the logit models", stacklevel=3)
    y = sub[outcome]
    cols_of = {pl: groups.get(pl, [pl]) for pl in players}

    def fit(cols, full=False):
        X = sub[cols].astype(float)
        if model == "ordinal":
            yy = y.astype(int)
            if not cols:
                # thresholds only: the log-likelihood of the observed category frequencies
                freq = yy.value_counts(normalize=True)
                return float(np.log(yy.map(freq)).sum()), None
            if not full:
                return ordinal_loglik(X.to_numpy(), yy.to_numpy()), None
            # the reported model: statsmodels, logit link, Newton (its defaults, probit and
            # Nelder-Mead, are wrong here)
            m = OrderedModel(yy, X, distr="logit")
            r = m.fit(method="newton", disp=False, maxiter=200)
            return float(r.llf), r
        Xc = sm.add_constant(X, has_constant="add")
        r = sm.Logit(y.astype(float), Xc).fit(method="newton", disp=False, maxiter=100)
        return float(r.llf), r

    p = len(players)
    llf = np.empty(2**p)
    null_ll, _ = fit([])
    for mask in range(2**p):  # one model per subset (at most 2^12)
        cols = list(controls) + [
            c for j, pl in enumerate(players) if mask >> j & 1 for c in cols_of[pl]
        ]
        llf[mask], res = fit(cols, full=mask == 2**p - 1) if cols else (null_ll, None)
    r2 = 1.0 - llf / null_ll
    params, bse, pvals = res.params, res.bse, res.pvalues
    return params, bse, pvals, res, r2


# --------------------------------------------------------------------------- penalty-reward
@dataclass(frozen=True)
class PenaltyRewardResult(ResultMixin):
    """Penalty-reward contrast analysis; ``table`` has one row per attribute with ``penalty``,
    ``reward`` (points of the outcome versus a middle rating), their p-values, ``impact_asymmetry``
    and ``classification`` (basic / performance / excitement)."""

    table: pd.DataFrame
    outcome: str
    low: float
    high: float
    n: int
    r2: float

    def _summary_parts(self):
        return (
            f"Penalty-reward contrast analysis of {self.outcome}",
            {
                "n": self.n,
                "R²": self.r2,
                "low ratings": f"<= {self.low:g}",
                "high ratings": f">= {self.high:g}",
            },
            {"Attributes": self.table.set_index("driver")},
            [
                "Impact asymmetry = (reward - |penalty|) / (reward + |penalty|) (Mittal, Ross & Baldasare "
                "1998). Basic: the penalty dominates; excitement: the reward dominates."
            ],
        )

    def plot(self, ax=None):
        from .plots import penalty_reward_bars

        return penalty_reward_bars(self.table, ax=ax)


def penalty_reward(
    data,
    outcome: str = "overall_sat",
    drivers: list[str] | None = None,
    *,
    low: float | None = None,
    high: float | None = None,
    threshold: float = 0.3,
) -> PenaltyRewardResult:
    """Penalty-reward contrast analysis (Brandt 1987; Matzler & Sauerwein 2002).

    Each attribute becomes two dummies, ``low`` (rating <= ``low``) and ``high`` (rating >=
    ``high``), against a middle reference; the outcome is regressed (OLS, HC3) on all dummies.
    The low coefficient is the **penalty**, the high coefficient the **reward**. The impact
    asymmetry index :math:`IA = (r - |p|)/(r + |p|)` classifies an attribute as **basic**
    (:math:`IA < -t`), **excitement** (:math:`IA > t`) or **performance**, with ``t`` =
    ``threshold``. Defaults for ``low``/``high``: 40% and 70% of the codebook scale (a 1-10
    scale: <= 4 and >= 8).

    References
    ----------
    Brandt, D. R. (1987). A procedure for identifying value-enhancing service components using
    customer satisfaction survey data. Matzler, K., & Sauerwein, E. (2002). *International Journal
    of Service Industry Management* 13(4), 314-332.
    """
    df, codebook = _responses(data)
    sub, drivers, _, _, players, cols_x, _, _, _ = _prepare(df, outcome, drivers, None, None, None)
    scale = codebook.get(
        cols_x[0], {"min": sub[cols_x].min().min(), "max": sub[cols_x].max().max()}
    )
    lo = low if low is not None else np.floor(scale["min"] + 0.4 * (scale["max"] - scale["min"]))
    hi = high if high is not None else np.ceil(scale["min"] + 0.7 * (scale["max"] - scale["min"]))
    D = {}
    for d in cols_x:
        D[f"{d}__low"] = (sub[d] <= lo).astype(float)
        D[f"{d}__high"] = (sub[d] >= hi).astype(float)
    Xd = pd.DataFrame(D)
    empty = [c for c in Xd if Xd[c].nunique() < 2]
    if empty:
        fail(
            "responses",
            ", ".join(empty),
            "no (or only) ratings in this band",
            "choose other low/high cut-offs",
        )
    res = sm.OLS(sub[outcome].astype(float), sm.add_constant(Xd)).fit(cov_type="HC3")
    pen = res.params[[f"{d}__low" for d in cols_x]].to_numpy()
    rew = res.params[[f"{d}__high" for d in cols_x]].to_numpy()
    ia = (rew - np.abs(pen)) / (rew + np.abs(pen))
    cls = np.where(ia < -threshold, "basic", np.where(ia > threshold, "excitement", "performance"))
    table = pd.DataFrame(
        {
            "driver": cols_x,
            "penalty": pen,
            "penalty_p": res.pvalues[[f"{d}__low" for d in cols_x]].to_numpy(),
            "reward": rew,
            "reward_p": res.pvalues[[f"{d}__high" for d in cols_x]].to_numpy(),
            "impact_asymmetry": ia,
            "classification": cls,
            "share_low": [float((sub[d] <= lo).mean()) for d in cols_x],
            "share_high": [float((sub[d] >= hi).mean()) for d in cols_x],
        }
    )
    return PenaltyRewardResult(table, outcome, float(lo), float(hi), len(sub), float(res.rsquared))


# --------------------------------------------------------------------------- segments
@dataclass(frozen=True)
class SegmentComparison(ResultMixin):
    """Driver shares per segment and differences against a reference segment.

    ``table``: one row per driver and segment with ``share`` and ``diff`` (percentage points
    against ``reference``) and the bootstrap interval of the difference ``diff_low``, ``diff_high``.
    """

    table: pd.DataFrame
    reference: str
    bootstrap: int

    def _summary_parts(self):
        wide = self.table.pivot(index="driver", columns="segment", values="share")
        return (
            "Driver shares by segment (percent of explained variance)",
            {"reference segment": self.reference, "bootstrap replicates": self.bootstrap},
            {
                "Shares": wide,
                "Differences": self.table[self.table.segment != self.reference].set_index(
                    ["driver", "segment"]
                )[["diff", "diff_low", "diff_high"]],
            },
            [],
        )


def compare_segments(
    data,
    outcome: str = "overall_sat",
    drivers: list[str] | None = None,
    *,
    segment: str = "segment",
    reference: str | None = None,
    bootstrap: int = 200,
    seed: int | None = 0,
) -> SegmentComparison:
    """Shapley shares per segment and their differences with bootstrap intervals.

    ``data`` is a CXData (segment from the customers table) or a DataFrame with a ``segment``
    column. Replicates resample rows within each segment independently.
    """
    from .data import CXData

    if isinstance(data, CXData):
        df = data.responses.merge(
            data.customers[["customer_id", segment]], on="customer_id", how="left"
        )
    else:
        df = data
    require_columns(df, [segment], "responses")
    rng = np.random.default_rng(seed)
    segs = sorted(df[segment].dropna().unique())
    reference = reference if reference is not None else segs[0]
    shares, draws = {}, {}
    for s in segs:  # loop over a few segments
        part = df[df[segment] == s]
        sub, drivers_, _, _, players, cols_x, sizes, _, _ = _prepare(
            part, outcome, drivers, None, None, None
        )
        Z = sub[cols_x + [outcome]].to_numpy(float)
        shap = imp.shapley(imp.subset_r2(np.corrcoef(Z, rowvar=False), sizes))
        shares[s] = 100 * shap / shap.sum()
        if bootstrap:
            counts = rng.multinomial(len(Z), np.full(len(Z), 1 / len(Z)), size=bootstrap).astype(
                float
            )
            sh = imp.shapley(imp.subset_r2(_cov_to_corr(_weighted_cov(Z, counts)), sizes))
            draws[s] = 100 * sh / sh.sum(axis=1, keepdims=True)
    rows = []
    for s in segs:
        d = shares[s] - shares[reference]
        lo = hi = np.full(len(players), np.nan)
        if bootstrap and s != reference:
            dd = draws[s] - draws[reference]
            lo, hi = np.percentile(dd, 2.5, axis=0), np.percentile(dd, 97.5, axis=0)
        for j, pl in enumerate(players):
            rows.append(
                {
                    "driver": pl,
                    "segment": s,
                    "share": shares[s][j],
                    "diff": d[j],
                    "diff_low": lo[j],
                    "diff_high": hi[j],
                }
            )
    return SegmentComparison(pd.DataFrame(rows), reference, bootstrap)


__all__ = [
    "DriversResult",
    "PenaltyRewardResult",
    "SegmentComparison",
    "compare_segments",
    "fit_drivers",
    "penalty_reward",
]
