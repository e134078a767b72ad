"""PLSpredict (Shmueli et al. 2016): out-of-sample prediction of the endogenous items."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._format import fmt_num, fmt_pct, join_words
from .._results import Findings, Result, result_dataclass
from .._validation import check_number
from ..i18n import t
from .algorithm import correlation_stack, estimate, total_effects


@result_dataclass
class PredictResult(Result):
    """k-fold PLSpredict of the endogenous constructs' items.

    Attributes
    ----------
    table : DataFrame
        ``construct, item, q2_predict, rmse_pls, rmse_lm, mae_pls, mae_lm, pls_beats_lm``.
    folds : int

    Notes
    -----
    Each fold is predicted by a model fitted on the others: exogenous scores from the test
    items with the training weights, endogenous scores from the total effects (earliest
    antecedents), items as ``mean + sd * loading * score``. ``Q²_predict = 1 - SSE / SSE of
    the training mean``; the linear benchmark regresses each item on every exogenous item.

    References
    ----------
    Shmueli, Ray, Velasquez Estrada and Chatla (2016) Journal of Business Research 69(10);
    Shmueli et al. (2019) European Journal of Marketing 53(11).
    """

    table: pd.DataFrame
    folds: int

    def _summary_parts(self):
        return "PLSpredict", {"folds": self.folds}, {"prediction": self.table}, []

    def findings(self) -> Findings:
        tab = self.table
        pos = (tab["q2_predict"] > 0).mean()
        beats = tab["pls_beats_lm"].mean()
        power = "high" if beats == 1 else "medium" if beats >= 0.5 else "low"
        q2 = fmt_num(tab["q2_predict"].median())
        out = [
            t("structural.predict", share=fmt_pct(pos), q2=q2),
            t(f"structural.beats_{power}", share=fmt_pct(beats)),
        ]
        worse = tab.loc[~tab["pls_beats_lm"], "item"]
        cav = [t("structural.lm_better", items=join_words(worse))] if len(worse) else []
        return Findings(tuple(out), tuple(cav))


def _fold_predictions(res, train, test):
    f = res.fit
    lay, X = f.lay, f.X
    o = f.options
    S = correlation_stack(X[train], f.w[train][None], o["standardise"])
    e = estimate(
        S, lay, scheme=o["scheme"], consistent=o["consistent"], tol=o["tol"], max_iter=o["max_iter"]
    )
    mu = X[train].mean(axis=0)
    sd = X[train].std(axis=0, ddof=1) if o["standardise"] else np.ones(X.shape[1])
    Z = (X[test] - mu) / sd
    exo = np.setdiff1d(np.arange(lay.P.shape[0]), lay.endogenous)
    Y_exo = Z @ e.W[0][:, exo]
    T = total_effects(e.beta)[0]
    Y_endo = Y_exo @ T[np.ix_(exo, lay.endogenous)]
    items = np.flatnonzero(lay.M[:, lay.endogenous].sum(axis=1))
    L = e.L[0][np.ix_(items, lay.endogenous)].sum(axis=1)
    owner = lay.M[np.ix_(items, lay.endogenous)].argmax(axis=1)
    pls = mu[items] + sd[items] * L * Y_endo[:, owner]
    xi = np.flatnonzero(lay.M[:, exo].sum(axis=1))
    A = np.column_stack([np.ones(train.size), X[train][:, xi]])
    coef, *_ = np.linalg.lstsq(A, X[train][:, items], rcond=None)
    lm = np.column_stack([np.ones(test.size), X[test][:, xi]]) @ coef
    return items, pls, lm, mu[items]


def predict_pls(res, folds: int = 10, seed: int | None = 1) -> PredictResult:
    """PLSpredict with ``folds``-fold cross-validation (see :class:`PredictResult`)."""
    check_number("folds", folds, low=2, high=len(res.fit.X), integer=True)
    X = res.fit.X
    fold = np.random.default_rng(seed).permutation(len(X)) % int(folds)
    sse = {"pls": 0.0, "lm": 0.0, "mean": 0.0}
    sae = {"pls": 0.0, "lm": 0.0}
    for k in range(int(folds)):  # loop over folds, not respondents
        test, train = np.flatnonzero(fold == k), np.flatnonzero(fold != k)
        items, pls, lm, mean = _fold_predictions(res, train, test)
        y = X[test][:, items]
        sse["pls"] = sse["pls"] + ((y - pls) ** 2).sum(axis=0)
        sse["lm"] = sse["lm"] + ((y - lm) ** 2).sum(axis=0)
        sse["mean"] = sse["mean"] + ((y - mean) ** 2).sum(axis=0)
        sae["pls"] = sae["pls"] + np.abs(y - pls).sum(axis=0)
        sae["lm"] = sae["lm"] + np.abs(y - lm).sum(axis=0)
    n = len(X)
    lay = res.fit.lay
    owner = lay.M[items].argmax(axis=1)
    rmse_pls, rmse_lm = np.sqrt(sse["pls"] / n), np.sqrt(sse["lm"] / n)
    table = pd.DataFrame(
        {
            "construct": np.array(res.model.constructs)[owner],
            "item": np.array(res.model.items)[items],
            "q2_predict": 1 - sse["pls"] / sse["mean"],
            "rmse_pls": rmse_pls,
            "rmse_lm": rmse_lm,
            "mae_pls": sae["pls"] / n,
            "mae_lm": sae["lm"] / n,
            "pls_beats_lm": rmse_pls < rmse_lm,
        }
    )
    return PredictResult(table, int(folds))
