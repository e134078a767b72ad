"""``fit_drivers``: the drivers model, its relative importance and its result class."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property, partial

import numpy as np
import pandas as pd
import statsmodels.api as sm
from threadpoolctl import threadpool_limits

from .. import _importance as imp
from .._bootstrap import make_rng, multinomial_weights, percentile_ci
from .._format import fmt_count, fmt_num, fmt_pct, join_words, label
from .._results import Findings, Result, result_dataclass
from .._validation import check_level, check_number, check_option, fail
from ..i18n import is_english, t
from ..i18n import label as catalogue_label
from ..plots import importance_bars, quadrant_map
from ._logit import MAX_LOGIT_DRIVERS, logit_fits
from ._ols import ols_hc3
from ._prepare import (
    IMPORTANCE_METHODS,
    MODELS,
    TARGETS,
    DriverData,
    binary_outcome,
    prepare,
    responses,
    segment_rows,
)

#: Measures that need an OLS model without controls or groups.
_PLAIN_OLS = ("relative_weights", "beta_squared", "pratt")
_ALIAS = {"lmg": "shapley", "dominance": "shapley"}
#: Measures whose driver values add up to the (drivers') R² of a linear model.
_DECOMPOSE_R2 = ("shapley", "relative_weights", "pratt")


@result_dataclass
class DriversResult(Result):
    """Result of :func:`fit_drivers`.

    Attributes
    ----------
    table : DataFrame
        One row per driver (player), ranked: ``driver``; ``coef`` (slope, or log-odds for the
        logit models); ``std_coef`` (slope x sd(driver) / sd(outcome), weighted SDs with
        ``weights``); ``se`` (HC3 for OLS); ``p_value`` (OLS: normal or Student's t on the
        residual df, by ``use_t``); ``shapley`` (exact Shapley/LMG value); ``first``
        (:math:`R^2` of the driver alone, beyond the controls); ``last`` (drop in
        :math:`R^2` when it leaves the full model); ``beta_squared``, ``pratt`` and ``relative_weights`` (OLS without controls or
        groups); ``importance`` (the chosen measure); ``share`` (percent of the decomposed
        part); ``ci_low``, ``ci_high`` (bootstrap percentile interval of ``importance`` at
        ``level``, NaN without bootstrap); ``rank``; ``sign`` (of ``coef``); ``performance``
        (mean rating on 0-100 of the codebook scale, weighted with ``weights``).
    outcome, model, importance_method : str
    r2 : float
        :math:`R^2` (OLS) or McFadden pseudo-:math:`R^2` (logit models) of the full model.
    r2_controls : float
        The part of ``r2`` the controls explain alone (not decomposed).
    n, n_dropped : int
        Rows used, and rows dropped for a missing value.
    vif : Series
        Variance inflation factors of the driver columns.
    warnings : tuple of str
        Caveats found while fitting (small sample, collinearity, convergence).
    subset_r2 : array or None
        :math:`R^2` of every subset of drivers (subset ``S`` at index :math:`\\sum_{j\\in S}
        2^j`), kept up to 20 drivers.
    players : tuple of str
    conditional : DataFrame
        Conditional dominance: mean :math:`R^2` increment of each driver over subsets of the
        others of size ``k0 .. k{p-1}`` (Azen & Budescu 2003); their mean is ``shapley``.
    bootstrap : int
        Bootstrap replicates behind ``ci_low``/``ci_high``.
    level : float
        Level of the bootstrap intervals.
    seconds : float
        Wall time of the whole call.
    use_t : bool
        OLS p-values from Student's t (True) or the normal (False, the default).
    lattice_seconds, lattice_mb : float
        Time and working memory of the walk over the subsets of drivers.

    Notes
    -----
    Shapley/LMG: :math:`\\phi_j = \\sum_{S \\subseteq P\\setminus j} \\frac{|S|!(p-|S|-1)!}{p!}
    [R^2(S \\cup j) - R^2(S)]`, which sums to :math:`R^2` less the controls' part.

    References
    ----------
    Grömping, U. (2007). *The American Statistician* 61(2), 139-147. Azen, R., & Budescu, D. V.
    (2003). *Psychological Methods* 8(2), 129-148.
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
    _fit: object = field(default=None)  # the engine, or a picklable recipe that builds it
    subset_r2: np.ndarray | None = None
    players: tuple[str, ...] = ()
    conditional: pd.DataFrame | None = None
    bootstrap: int = 0
    level: float = 0.95
    seconds: float = float("nan")
    lattice_seconds: float = float("nan")
    lattice_mb: float = float("nan")
    use_t: bool = False

    @cached_property
    def fit(self):
        """The fitted engine: statsmodels results (OLS/WLS with HC3, ``OrderedModel`` or
        ``Logit``), built on first use. ``fit`` is the engine's name on every result."""
        return self._fit() if callable(self._fit) else self._fit

    def _summary_parts(self):
        facts = {
            "outcome": self.outcome,
            "model": self.model,
            "importance": self.importance_method,
            "R² / pseudo-R²": self.r2,
            "n": self.n,
            "rows dropped (missing)": self.n_dropped,
            "bootstrap replicates": self.bootstrap,
            "time (s)": self.seconds,
        }
        if self.r2_controls:
            facts["R² of controls"] = self.r2_controls
        if np.isfinite(self.lattice_seconds):
            facts["subset walk"] = t(
                "summary.drivers.subset_walk",
                subsets=f"{2 ** len(self.players):,}",
                seconds=f"{self.lattice_seconds:.2f}",
                mb=f"{self.lattice_mb:,.1f}",
            )
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
        coefs = (
            t("summary.drivers.coefs_ols")
            if self.model == "ols"
            else t("summary.drivers.coefs_logit", model=self.model)
        )
        notes = list(self.warnings) + [self._importance_note(coefs)]
        table = self.table[[c for c in cols if c in self.table]].set_index("driver")
        title = t("summary.drivers.title", outcome=self._outcome_name())
        return title, facts, {"Drivers": table}, notes

    def _importance_note(self, coefs: str) -> str:
        """What ``importance`` and ``share`` are: a decomposition of R² only when it is one."""
        key = _ALIAS.get(self.importance_method, self.importance_method)
        if key == "shapley" and self.decomposes_variance:
            return t("summary.drivers.note", coefs=coefs)
        which = "note_decomposes" if self.decomposes_variance else "note_total"
        return t(f"summary.drivers.{which}", measure=catalogue_label(key), coefs=coefs)

    def _outcome_name(self) -> str:
        """The outcome as the title names it: the column in English, its label otherwise."""
        return self.outcome if is_english() else label(self.outcome)

    @property
    def decomposes_variance(self) -> bool:
        """Whether the shares are shares of the explained variance: an OLS fit and a measure
        that decomposes R² (Shapley/LMG, relative weights, Pratt); not first, last, squared
        beta, nor any measure on a logit or ordinal pseudo-R²."""
        key = _ALIAS.get(self.importance_method, self.importance_method)
        return self.model == "ols" and key in _DECOMPOSE_R2

    def findings(self) -> Findings:
        """The drivers' story: who leads, with what share, where to invest; caveats. "Of the
        explained variance" only when :attr:`decomposes_variance`; otherwise "of the total
        importance"."""
        tab = self.table
        top = tab.iloc[0]
        total = tab["importance"].sum()
        band = ""
        if np.isfinite(top["ci_low"]) and total > 0:
            lo, hi = top["ci_low"] / total, top["ci_high"] / total
            band = t("drivers.band", level=fmt_pct(self.level), low=fmt_pct(lo), high=fmt_pct(hi))
        out = label(self.outcome)
        share = fmt_pct(top["share"] / 100)
        key = "drivers.leads" if self.decomposes_variance else "drivers.leads_total"
        f = [t(key, driver=label(top["driver"]), share=share, outcome=out, band=band)]
        if len(tab) > 1:
            nxt = [
                t("drivers.next_item", driver=label(r.driver), share=fmt_pct(r.share / 100))
                for r in tab.iloc[1:3].itertuples()
            ]
            f.append(t("drivers.next", names=join_words(nxt)))
        key = "drivers.explain" if self.model == "ols" else "drivers.explain_pseudo"
        f.append(t(key, r2=fmt_num(self.r2), outcome=out, n=fmt_count(self.n)))
        weak = tab[
            (tab["share"] >= tab["share"].mean()) & (tab["performance"] < tab["performance"].mean())
        ]
        if len(weak):
            names = join_words(f"**{label(d)}**" for d in weak["driver"])
            f.append(t("drivers.invest", names=names))
        c = list(self.warnings)
        if self.n_dropped:
            c.append(t("drivers.dropped", n=fmt_count(self.n_dropped)))
        return Findings(tuple(f), tuple(c))

    def complete_dominance(self) -> pd.DataFrame:
        """Boolean matrix: the row driver completely dominates the column driver."""
        if self.subset_r2 is None:
            fail(
                "drivers",
                "complete_dominance",
                f"every subset's R² is kept for up to {imp.KEEP_MAX_PLAYERS} drivers only "
                f"({len(self.players)} here)",
                "use conditional dominance (.conditional) or fewer drivers",
            )
        D = imp.complete_dominance(self.subset_r2)
        return pd.DataFrame(D, index=list(self.players), columns=list(self.players))

    def plot_importance(self, ax=None):
        title = t("fig.drivers_of", outcome=self._outcome_name())
        return importance_bars(self.table, ax=ax, title=title)

    def plot_quadrants(self, ax=None, x_cross=None, y_cross=None):
        """Importance-performance map; crosshair at the means unless given."""
        return quadrant_map(self.table, ax=ax, x_cross=x_cross, y_cross=y_cross)


@dataclass(frozen=True, eq=False)
class _Estimates:
    """What a model fit hands to the table: coefficients and the subset-R² statistics."""

    params: pd.Series | dict
    bse: pd.Series | dict
    pvalues: pd.Series | dict
    fit: object
    r2: float
    r2_controls: float
    shapley: np.ndarray
    conditional: np.ndarray
    subset_r2: np.ndarray | None
    first: np.ndarray
    last: np.ndarray
    notes: list
    lattice_seconds: float = float("nan")
    lattice_mb: float = float("nan")


def _check_options(model, importance, target, bootstrap, seed, level):
    check_option("model", model, MODELS)
    check_option("importance", importance, IMPORTANCE_METHODS)
    check_option("target", target, TARGETS)
    check_number("bootstrap", bootstrap, low=0, integer=True)
    if seed is not None:
        check_number("seed", seed, low=0, integer=True)
    check_level(level)


def _check_model_fits(dd: DriverData, model: str, importance: str, bootstrap: int, weights):
    """Refuse what the chosen model cannot do, before any fitting."""
    key = _ALIAS.get(importance, importance)
    if key in _PLAIN_OLS and (model != "ols" or dd.controls or dd.groups):
        fail(
            "argument",
            "importance",
            f"{importance!r} needs an OLS model without controls or groups",
            "use importance='shapley', or drop controls/groups",
        )
    p = len(dd.players)
    if model != "ols":
        if p > MAX_LOGIT_DRIVERS:
            fail(
                dd.table,
                dd.outcome,
                f"{p} drivers need 2^{p} {model} fits",
                f"use at most {MAX_LOGIT_DRIVERS} drivers for logit models, or model='ols'",
            )
        if weights is not None:
            fail(
                "argument",
                "weights",
                f"weights are not supported by model={model!r}",
                "use model='ols' for weighted data, or drop the weights",
            )
        if model == "ordinal" and not np.all(np.mod(dd.y, 1) == 0):
            fail(
                dd.table,
                dd.outcome,
                "model='ordinal' needs whole-number categories",
                "round or recode the outcome, or use model='ols'",
            )
        return
    if key == "shapley" or p <= imp.KEEP_MAX_PLAYERS:
        _check_lattice(p, max(1, bootstrap) if key == "shapley" else 1, dd.Z.shape[1])


def _check_lattice(p: int, batch: int, m: int):
    """Refuse an exact decomposition that would take too long or not fit in memory."""
    need = imp.plan(p, batch, m)
    too_big = p > imp.MAX_EXACT_PLAYERS or need["seconds"] > 600
    if too_big or need["block_bytes"] > imp.available_bytes() // 2:
        fail(
            "argument",
            "drivers",
            f"an exact decomposition over {p} drivers x {batch:,} replicate(s) means "
            f"{need['subsets']:,} subset regressions: about {need['seconds']:,.0f} s and "
            f"{need['block_bytes'] / 2**20:,.0f} MiB a block on this machine (limits: "
            f"{imp.MAX_EXACT_PLAYERS} drivers, 600 s, half the free memory)",
            "use importance='relative_weights' (Johnson 2000: one eigen-decomposition), group "
            "related drivers with groups={...}, or fewer bootstrap replicates",
        )


def _player_columns(dd: DriverData) -> list[np.ndarray]:
    start = len(dd.controls) + np.r_[0, np.cumsum(dd.sizes)[:-1]].astype(int)
    return [np.arange(s, s + b) for s, b in zip(start, dd.sizes)]


def r2_of(R: np.ndarray, idx) -> np.ndarray:
    """R² of the last column on the columns ``idx`` of a correlation matrix (batch allowed)."""
    idx = np.asarray(idx, dtype=int)
    if not len(idx):
        return np.zeros(R.shape[:-2])
    A = R[..., idx, :][..., :, idx]
    b = R[..., idx, -1]
    return (b * np.linalg.solve(A, b[..., None])[..., 0]).sum(axis=-1) / R[..., -1, -1]


def _first_last(R: np.ndarray, dd: DriverData):
    """Each player alone (beyond the controls) and each player last, from direct solves."""
    ctrl = np.arange(len(dd.controls))
    cols = _player_columns(dd)
    every = np.concatenate([ctrl, *cols])
    r2_ctrl, r2_full = r2_of(R, ctrl), r2_of(R, every)
    first = np.stack([r2_of(R, np.r_[ctrl, c]) - r2_ctrl for c in cols], axis=-1)
    last = np.stack([r2_full - r2_of(R, np.setdiff1d(every, c)) for c in cols], axis=-1)
    return r2_full, r2_ctrl, first, last


def _ols_estimates(dd: DriverData, need_lattice: bool, use_t: bool = False) -> _Estimates:
    names = [*dd.controls, *dd.columns]
    ols = ols_hc3(dd.Zc, dd.gram, dd.w, dd.mean, names, use_t=use_t)
    R = dd.corr
    r2_full, r2_ctrl, first, last = _first_last(R, dd)
    p = len(dd.players)
    if need_lattice:
        lat = imp.lattice(R, dd.sizes, len(dd.controls))
        shap, cond, sub = lat.shapley, lat.conditional, lat.r2
        secs, mb = lat.seconds, lat.peak_bytes / 2**20
    else:
        shap, cond, sub = np.full(p, np.nan), np.full((p, p), np.nan), None
        secs = mb = float("nan")

    return _Estimates(
        ols.params.to_dict(),  # looked up by name: dicts, no pandas reindexing
        ols.bse.to_dict(),
        ols.pvalues.to_dict(),
        partial(statsmodels_ols, dd, use_t),  # a module function: the result pickles
        float(r2_full),
        float(r2_ctrl),
        shap,
        cond,
        sub,
        first,
        last,
        [],
        secs,
        mb,
    )


def statsmodels_ols(dd: DriverData, use_t: bool = False):
    """The statsmodels OLS (WLS with weights) of the drivers model, HC3, built on demand."""
    exog = sm.add_constant(np.column_stack([dd.X, dd.Z[:, : len(dd.controls)]]), has_constant="add")
    model = sm.WLS(dd.y, exog, weights=dd.w) if dd.w is not None else sm.OLS(dd.y, exog)
    return model.fit(cov_type="HC3", use_t=use_t)


def _logit_estimates(dd: DriverData, model: str) -> _Estimates:
    params, bse, pvals, fit, r2, notes = logit_fits(dd, model)
    cond = imp.conditional_contributions(r2)
    p = len(dd.players)
    full = (1 << p) - 1
    first = np.array([r2[1 << j] - r2[0] for j in range(p)])
    last = np.array([r2[full] - r2[full ^ (1 << j)] for j in range(p)])
    return _Estimates(
        params,
        bse,
        pvals,
        fit,
        float(r2[-1]),
        float(r2[0]),
        cond.mean(axis=-1),
        cond,
        r2,
        first,
        last,
        notes,
    )


def _performance(dd: DriverData) -> list[float]:
    """(Weighted) mean rating of each ungrouped driver on 0-100 of its codebook scale (NaN for
    groups)."""
    k = len(dd.controls)
    mean = dict(zip(dd.columns, dd.mean_sd()[0][k:-1]))
    lo_hi = dict(zip(dd.columns, zip(dd.low[k:-1], dd.high[k:-1])))
    out = []
    for d in dd.players:  # loop over drivers
        if d not in mean:
            out.append(np.nan)
            continue
        scale = dd.codebook.get(d)
        lo, hi = (scale["min"], scale["max"]) if scale and "min" in scale else lo_hi[d]
        out.append(float(100 * (mean[d] - lo) / (hi - lo)) if hi > lo else np.nan)
    return out


def _measures(dd: DriverData, est: _Estimates, model: str) -> pd.DataFrame:
    players = list(dd.players)
    k = len(dd.controls)
    sds = dd.mean_sd()[1]
    sd, sd_y = dict(zip(dd.columns, sds[k:-1])), sds[-1]
    coef = [est.params.get(d, np.nan) for d in players]
    table = pd.DataFrame({"driver": players, "coef": coef})
    table["std_coef"] = [c * sd[d] / sd_y if d in sd else np.nan for c, d in zip(coef, players)]
    table["se"] = [est.bse.get(d, np.nan) for d in players]
    table["p_value"] = [est.pvalues.get(d, np.nan) for d in players]
    table["shapley"] = est.shapley
    table["first"] = est.first
    table["last"] = est.last
    if model == "ols" and not dd.controls and not dd.groups:
        R = dd.corr
        rxy = R[:-1, -1]
        beta = np.linalg.solve(R[:-1, :-1], rxy)
        table["beta_squared"] = beta**2
        table["pratt"] = beta * rxy
        table["relative_weights"] = imp.relative_weights(R)
    return table


def _replicate_stats(R: np.ndarray, dd: DriverData, key: str) -> np.ndarray:
    """The chosen measure on a batch of replicate correlation matrices (B, m, m)."""
    if key == "relative_weights":
        return np.array([imp.relative_weights(r) for r in R])  # loop over replicates
    if key == "shapley":
        return imp.lattice(R, dd.sizes, len(dd.controls), keep=False).shapley
    if key in ("first", "last"):
        _, _, first, last = _first_last(R, dd)
        return first if key == "first" else last
    rxy = R[:, :-1, -1]
    beta = np.linalg.solve(R[:, :-1, :-1], rxy[..., None])[..., 0]
    return beta**2 if key == "beta_squared" else beta * rxy


def _bootstrap_ci(dd: DriverData, key: str, B: int, seed, level: float, chunk: int = 250):
    """Percentile intervals from ``B`` row-resampled replicates, batched (replicates, not rows)."""
    rng = make_rng(seed)
    draws = []
    for start in range(0, B, chunk):  # loop over chunks of replicates (one stream)
        counts = multinomial_weights(dd.n, min(chunk, B - start), rng)
        if dd.w is not None:
            counts = counts * dd.w
        draws.append(_replicate_stats(_weighted_corr(dd.Z, counts), dd, key))
    return percentile_ci(np.concatenate(draws), level)


def _weighted_corr(Z: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Correlation matrices of the columns of ``Z`` under each row of weights ``w`` (B, n)."""
    sw = w.sum(axis=-1, keepdims=True)
    mu = (w @ Z) / sw
    S2 = np.einsum("...n,ni,nj->...ij", w, Z, Z, optimize=True) / sw[..., None]
    C = S2 - mu[..., :, None] * mu[..., None, :]
    d = np.sqrt(np.diagonal(C, axis1=-2, axis2=-1))
    return C / d[..., :, None] / d[..., None, :]


def _notes(dd: DriverData, vif: pd.Series) -> list[str]:
    notes = []
    if dd.n < 10 * len(dd.columns):
        notes.append(t("drivers.note.small_sample", n=dd.n, k=len(dd.columns)))
    if (vif > 5).any():
        names = join_words(label(c) for c in vif.index[vif > 5])
        notes.append(t("drivers.note.collinearity", drivers=names))
    return notes


def _vif(dd: DriverData) -> pd.Series:
    k = len(dd.controls)
    Rx = dd.corr[k:-1, k:-1]
    return pd.Series(np.diag(np.linalg.inv(Rx)), index=list(dd.columns), name="vif")


def _table(dd: DriverData, est: _Estimates, model: str, key: str, boot: tuple, notes: list):
    """The ranked driver table: every measure, the chosen importance, its share and interval."""
    bootstrap, seed, level = boot
    table = _measures(dd, est, model)
    table["importance"] = table[key]
    total = table["importance"].sum()
    table["share"] = 100 * table["importance"] / total if total > 0 else np.nan
    table["ci_low"] = table["ci_high"] = np.nan
    if bootstrap and model != "ols":
        notes.append(t("drivers.note.bootstrap_ols"))
    elif bootstrap:
        table["ci_low"], table["ci_high"] = _bootstrap_ci(dd, key, bootstrap, seed, level)
    table["rank"] = table["importance"].rank(ascending=False, method="min").astype(int)
    table["sign"] = np.sign(table["coef"]).astype("Int64")
    table["performance"] = _performance(dd)
    return table.sort_values("rank", kind="stable").reset_index(drop=True)


def fit_drivers(
    data,
    outcome: str = "overall_sat",
    drivers: list[str] | str | None = None,
    *,
    model: str = "ols",
    importance: str = "shapley",
    controls: list[str] | str | None = None,
    groups: dict[str, list[str]] | None = None,
    weights: str | np.ndarray | None = None,
    segment: str | None = None,
    target: str = "promoter",
    bootstrap: int = 0,
    seed: int | None = None,
    level: float = 0.95,
    use_t: bool = False,
) -> DriversResult:
    """Fit a satisfaction-drivers model and decompose its R².

    Parameters
    ----------
    data : DataFrame or CXData
        Survey answers (a ``CXData`` means its ``responses``).
    outcome : str
        Outcome column (``overall_sat``, ``nps``, ``csat``, ...).
    drivers : str or list of str, optional
        Driver columns (a string is one driver); default every ``attr_*`` column. Boolean
        columns count as 0/1.
    model : {"ols", "ordinal", "logit"}
        OLS (HC3 errors; WLS with ``weights``); proportional-odds logit (whole-number outcome);
        logit of a 0/1 outcome, or of ``target`` on a 0-10 NPS answer. Any other outcome is
        refused for ``logit``.
    importance : {"shapley", "lmg", "dominance", "relative_weights", "first", "last", \
"beta_squared", "pratt"}
        The measure in ``importance`` (``shapley`` = ``lmg`` = ``dominance`` = general
        dominance). The last three need an OLS model without controls or groups.
    controls : str or list of str
        Always in the model; only the remaining R² is decomposed.
    groups : dict
        ``{name: [columns]}`` treated as one player (e.g. a categorical driver's dummies).
    weights : str or array
        Survey weights (column name or one weight a row; finite, >= 0, not all zero); OLS only.
    segment : str, optional
        One customer segment: through the customers of a ``CXData``, or a DataFrame's
        ``segment`` column (refused when it has none).
    target : {"promoter", "detractor"}
        For ``model="logit"`` on a 0-10 answer: 9-10 or 0-6.
    bootstrap : int
        Bootstrap replicates (rows resampled) for percentile intervals of ``importance``.
    seed : int, optional
        Seed of the bootstrap.
    level : float
        Level of the bootstrap intervals, in (0, 1).
    use_t : bool
        OLS p-values from Student's t on the residual df (R's ``lmtest::coeftest``) instead
        of the normal (default, as statsmodels' ``cov_type="HC3"``); the same option and
        default as :func:`penalty_reward` and :func:`cxmodels.effects.response_time_effect`.
        The logit models' p-values are Wald z in either case.

    Returns
    -------
    DriversResult
        ``.table`` has one row per driver: ``driver``, ``coef``, ``std_coef``, ``se``,
        ``p_value``, ``shapley``, ``first``, ``last``, (``beta_squared``, ``pratt``,
        ``relative_weights``), ``importance``, ``share``, ``ci_low``, ``ci_high``, ``rank``,
        ``sign``, ``performance``; see :class:`DriversResult`.

    Notes
    -----
    Every subset's R² comes from one correlation matrix by Schur complements, walked in blocks
    of bounded memory (:func:`cxmodels._importance.lattice`): about :math:`12 \\cdot 2^p`
    operations, seconds for 24 drivers. Above 30 drivers, or when it would take more than
    10 minutes, the exact decomposition is refused with its cost and the alternatives.

    References
    ----------
    Grömping, U. (2007). Estimators of relative importance in linear regression based on
    variance decomposition. *The American Statistician* 61(2), 139-147.
    Azen, R., & Budescu, D. V. (2003). The dominance analysis approach for comparing predictors
    in multiple regression. *Psychological Methods* 8(2), 129-148.
    Johnson, J. W. (2000). *Multivariate Behavioral Research* 35(1), 1-19.
    """
    t0 = time.perf_counter()
    _check_options(model, importance, target, bootstrap, seed, level)
    # one BLAS thread: the products here are tall and thin, and several BLAS threads on a busy
    # machine are slower than one (the subset walk runs its own threads)
    with threadpool_limits(1):
        return _fit(
            data,
            outcome,
            drivers,
            model,
            importance,
            controls,
            groups,
            weights,
            segment,
            target,
            (bootstrap, seed, level),
            t0,
            bool(use_t),
        )


def _fit(
    data,
    outcome,
    drivers,
    model,
    importance,
    controls,
    groups,
    weights,
    segment,
    target,
    boot,
    t0,
    use_t=False,
):
    bootstrap, seed, level = boot
    df, codebook = responses(segment_rows(data, segment))
    note = None
    if model == "logit":
        df, note = binary_outcome(df, outcome, target, codebook, "responses")
    dd = prepare(df, outcome, drivers, controls, groups, weights, codebook=codebook)
    _check_model_fits(dd, model, importance, bootstrap, weights)
    key = _ALIAS.get(importance, importance)
    if model == "ols":
        lattice = key == "shapley" or len(dd.players) <= imp.KEEP_MAX_PLAYERS
        est = _ols_estimates(dd, lattice, use_t)
    else:
        est = _logit_estimates(dd, model)
    vif = _vif(dd)
    notes = _notes(dd, vif) + est.notes + ([f"Outcome: {note}."] if note else [])
    table = _table(dd, est, model, key, (bootstrap, seed, level), notes)
    p = len(dd.players)
    cond = pd.DataFrame(
        est.conditional, index=list(dd.players), columns=[f"k{k}" for k in range(p)]
    )
    return DriversResult(
        table=table,
        outcome=outcome,
        model=model,
        importance_method=importance,
        r2=est.r2,
        r2_controls=est.r2_controls,
        n=dd.n,
        n_dropped=dd.n_dropped,
        vif=vif,
        warnings=tuple(notes),
        _fit=est.fit,
        subset_r2=est.subset_r2,
        players=dd.players,
        conditional=cond,
        bootstrap=int(bootstrap),
        level=float(level),
        seconds=time.perf_counter() - t0,
        lattice_seconds=est.lattice_seconds,
        lattice_mb=est.lattice_mb,
        use_t=bool(use_t) and model == "ols",
    )
