"""``PLSResult``: the tables of a fitted PLS path model, its findings and its methods."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._format import fmt_num, join_words
from .._results import Findings, Result, result_dataclass
from ..i18n import t
from .algorithm import Estimate, Layout, total_effects
from .indices import ipma, satisfaction_index
from .plots import path_diagram
from .predict import predict_pls
from .quality import (
    THRESHOLDS,
    discriminant,
    f_squared,
    fornell_larcker,
    gof,
    htmt,
    reliability,
)
from .replicates import interval
from .spec import PLSModel
from .words import findings


@dataclass(frozen=True)
class _Fit:
    """What methods of a result need to recompute: data, weights, sample estimate, bootstrap."""

    lay: Layout
    S: np.ndarray
    est: Estimate
    boot: dict | None
    X: np.ndarray
    rows: pd.Index
    w: np.ndarray
    mu: np.ndarray
    sd: np.ndarray
    ranges: dict
    frame: Any
    options: dict = field(default_factory=dict)


@result_dataclass
class PLSResult(Result):
    """A fitted PLS path model (from :func:`cxmodels.fit_pls`).

    Attributes
    ----------
    paths : DataFrame
        ``source, target, coef, std_error, ci_low, ci_high, p_value`` (also ``.table``).
    r2 : DataFrame
        ``construct, r2, r2_adj, ci_low, ci_high`` for each endogenous construct.
    loadings, weights : DataFrame
        ``construct, item, loading`` (or ``weight``), ``std_error, ci_low, ci_high, p_value``.
    scores : DataFrame
        Construct scores (unit variance) per respondent, indexed like the input rows used.
    effects : DataFrame
        ``source, target, direct, indirect, total`` with ``indirect_ci_low/high``,
        ``total_ci_low/high``, ``indirect_p_value``, ``total_p_value`` for every connected pair.
    reliability : DataFrame
        ``construct, mode, n_items, alpha, rho_c, rho_a, ave``.
    discriminant : DataFrame
        Pairs: ``construct_a, construct_b, htmt, correlation, htmt_ok, fornell_larcker_ok``;
        the square tables are ``htmt`` and ``fornell_larcker``.
    f2 : DataFrame
        ``source, target, f2, size`` (Cohen's f²).
    gof : float
        Tenenhaus' goodness of fit.

    Notes
    -----
    Path coefficients are standardised (standard deviations of the target per standard
    deviation of the source); indirect effects are products of paths summed over routes,
    total = direct + indirect, ``T = B + B^2 + ...``.
    """

    model: PLSModel
    paths: pd.DataFrame
    r2: pd.DataFrame
    loadings: pd.DataFrame
    weights: pd.DataFrame
    scores: pd.DataFrame
    effects: pd.DataFrame
    reliability: pd.DataFrame
    htmt: pd.DataFrame
    fornell_larcker: pd.DataFrame
    discriminant: pd.DataFrame
    f2: pd.DataFrame
    gof: float
    n: int
    n_dropped: int
    n_iter: int
    converged: bool
    level: float
    fit: _Fit

    @property
    def table(self) -> pd.DataFrame:
        return self.paths

    @property
    def options(self) -> dict:
        return dict(self.fit.options)

    # -- presentation -------------------------------------------------------------------
    def _summary_parts(self):
        o = self.fit.options
        title = "PLS path model" + (" (PLSc)" if o["consistent"] else "")
        facts = {
            "respondents": self.n,
            "missing items": _missing_rule(o.get("missing", "listwise")),
            "rows dropped (missing items)": self.n_dropped,
            "constructs": len(self.model.constructs),
            "inner weighting scheme": o["scheme"],
            "iterations": self.n_iter,
            "converged": "yes" if self.converged else "no",
            "bootstrap replicates": o["bootstrap"],
            "GoF": self.gof,
        }
        tables = {
            "paths": self.paths,
            "R²": self.r2,
            "reliability and convergent validity": self.reliability,
            "discriminant validity": self.discriminant,
            "effects": self.effects,
            "loadings": self.loadings,
            "f²": self.f2,
        }
        return title, facts, tables, self.measurement_checks()

    def measurement_checks(self) -> list[str]:
        """The thresholds researchers check, flagged in words (Hair et al. 2019)."""
        return [sentence for _, sentence in self.measurement_items()]

    def measurement_items(self) -> list[tuple[bool, str]]:
        """``(passed, sentence)`` per threshold check: loadings, AVE, rho_C, HTMT."""
        th, out = THRESHOLDS, []
        refl = self.reliability[self.reliability["ave"].notna()]
        low = self.loadings[
            self.loadings["construct"].isin(refl["construct"])
            & (self.loadings["loading"] < th["loading"])
        ]
        items = join_words(f"{r.item} ({fmt_num(r.loading)})" for r in low.itertuples())
        out.append(
            (True, t("structural.loadings_ok"))
            if low.empty
            else (False, t("structural.loadings_low", items=items))
        )
        for col, test in (
            ("ave", lambda v: v < th["ave"]),
            ("rho_c", lambda v: (v < th["rho_c_low"]) | (v > th["rho_c_high"])),
        ):
            bad = refl[test(refl[col])]
            items = join_words(
                f"{r.construct} ({fmt_num(getattr(r, col))})" for r in bad.itertuples()
            )
            out.append(
                (False, t(f"structural.{col}_bad", items=items))
                if len(bad)
                else (True, t(f"structural.{col}_ok"))
            )
        d = self.discriminant.dropna(subset=["htmt"])
        hi = d[d["htmt"] >= th["htmt_strict"]]
        items = join_words(
            f"{r.construct_a}-{r.construct_b} ({fmt_num(r.htmt)})" for r in hi.itertuples()
        )
        out.append(
            (True, t("structural.htmt_ok"))
            if hi.empty
            else (False, t("structural.htmt_high", items=items))
        )
        return out

    def findings(self) -> Findings:
        return findings(self)

    # -- methods ----------------------------------------------------------------------
    def index(self, construct: str, scale=(0, 100), by=None):
        """The construct's index (ACSI method) with its bootstrap interval, overall or by group.

        See :func:`cxmodels.structural.indices.satisfaction_index`.
        """
        return satisfaction_index(self, construct, scale, by)

    def ipma(self, target: str):
        """Importance-performance map analysis for ``target`` (Ringle and Sarstedt 2016)."""
        return ipma(self, target)

    def predict(self, folds: int = 10, seed: int | None = 1):
        """PLSpredict (Shmueli et al. 2016): k-fold Q²_predict and RMSE against a linear model."""
        return predict_pls(self, folds, seed)

    def plot(self, ax=None):
        """The path diagram: constructs as nodes, coefficients with stars on the edges."""
        return path_diagram(self, ax=ax)


# -- building the result ---------------------------------------------------------------
def _paths_table(model, est, boot, level):
    src, tgt = np.nonzero(model.path_matrix())
    c = model.constructs
    coef = est.beta[0, src, tgt]
    se, lo, hi, p = interval(coef, None if boot is None else boot["beta"][:, src, tgt], level)
    return pd.DataFrame(
        {
            "source": np.array(c)[src],
            "target": np.array(c)[tgt],
            "coef": coef,
            "std_error": se,
            "ci_low": lo,
            "ci_high": hi,
            "p_value": p,
        }
    )


def _outer_table(model, arr, boot_arr, name, level):
    M = model.block_matrix()
    ii, jj = np.nonzero(M)
    est = arr[0, ii, jj]
    se, lo, hi, p = interval(est, None if boot_arr is None else boot_arr[:, ii, jj], level)
    single = M.sum(axis=0)[jj] == 1  # a single item's loading and weight are 1 by definition
    se, lo, hi, p = (np.where(single, np.nan, v) for v in (se, lo, hi, p))
    return pd.DataFrame(
        {
            "construct": np.array(model.constructs)[jj],
            "item": np.array(model.items)[ii],
            name: est,
            "std_error": se,
            "ci_low": lo,
            "ci_high": hi,
            "p_value": p,
        }
    )


def _r2_table(model, est, boot, n, level):
    endo = [model.constructs.index(c) for c in model.endogenous]
    r2 = est.r2[0, endo]
    k = np.array([len(model.predecessors(model.constructs[j])) for j in endo])
    adj = 1 - (1 - r2) * (n - 1) / (n - k - 1)
    _, lo, hi, _ = interval(r2, None if boot is None else boot["r2"][:, endo], level)
    return pd.DataFrame(
        {"construct": list(model.endogenous), "r2": r2, "r2_adj": adj, "ci_low": lo, "ci_high": hi}
    )


def _effects_table(model, est, boot, level):
    T = total_effects(est.beta)[0]
    src, tgt = np.nonzero(np.abs(T) > 0)
    c = np.array(model.constructs)
    direct, total = est.beta[0, src, tgt], T[src, tgt]
    out = {
        "source": c[src],
        "target": c[tgt],
        "direct": direct,
        "indirect": total - direct,
        "total": total,
    }
    bT = bI = None
    if boot is not None:
        bT = boot["T"][:, src, tgt]
        bI = bT - boot["beta"][:, src, tgt]
    _, out["indirect_ci_low"], out["indirect_ci_high"], out["indirect_p_value"] = interval(
        total - direct, bI, level
    )
    _, out["total_ci_low"], out["total_ci_high"], out["total_p_value"] = interval(total, bT, level)
    return pd.DataFrame(out)


def _scores(X, rows, mu, sd, est, model, standardise):
    """``Y = ((X - mu) / sd) W`` as one product with ``W / sd`` (no standardised copy of X)."""
    Ws = est.W[0] / (sd[:, None] if standardise else 1.0)
    return pd.DataFrame(X @ Ws - mu @ Ws, index=rows, columns=list(model.constructs))


def build_result(
    *, model, lay, S, est, boot, X, rows, w, mu, sd, ranges, frame, n_dropped, level, options
) -> PLSResult:
    """Assemble a :class:`PLSResult` from the sample estimate and the bootstrap arrays."""
    c = list(model.constructs)
    modes = [model.mode(k) for k in c]
    rel = reliability(S, est.L[0], est.rho_a[0], lay, c, modes)
    H = htmt(S, lay, c)
    FL = fornell_larcker(est.R[0], rel["ave"], c)
    return PLSResult(
        model=model,
        paths=_paths_table(model, est, boot, level),
        r2=_r2_table(model, est, boot, len(X), level),
        loadings=_outer_table(model, est.L, None if boot is None else boot["L"], "loading", level),
        weights=_outer_table(model, est.W, None if boot is None else boot["W"], "weight", level),
        scores=_scores(X, rows, mu, sd, est, model, options["standardise"]),
        effects=_effects_table(model, est, boot, level),
        reliability=rel,
        htmt=H,
        fornell_larcker=FL,
        discriminant=discriminant(H, FL),
        f2=f_squared(est.R[0], lay, c),
        gof=gof(rel, est.r2[0], lay, est.L[0]),
        n=len(X),
        n_dropped=n_dropped,
        n_iter=est.n_iter,
        converged=bool(est.converged[0]),
        level=level,
        fit=_Fit(lay, S, est, boot, X, rows, w, mu, sd, ranges, frame, options),
    )


def _missing_rule(rule: str) -> str:
    """The missing-item rule in the summary, beside seminr's default (mean replacement)."""
    words = {"listwise": "listwise deletion", "mean": "item-mean replacement"}
    return f"{words.get(rule, rule)} (seminr's default: item-mean replacement)"
