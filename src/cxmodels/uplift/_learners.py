r"""Cross-fitted meta-learners of the conditional average treatment effect.

Units are split into ``folds`` by cluster (customer); every nuisance model is fitted on the
other folds and predicts the held-out fold, so no unit's prediction uses its own outcome:

* propensity :math:`\hat e(x) = P(T=1 \mid x)` (classifier, clipped to ``[trim, 1-trim]``);
* outcome models :math:`\hat\mu_t(x) = E[Y \mid T=t, x]` (regressor fitted in each arm);
* the doubly robust score of unit :math:`i`:
  :math:`\hat\varphi_i = \hat\mu_1 - \hat\mu_0 + T(Y-\hat\mu_1)/\hat e - (1-T)(Y-\hat\mu_0)/(1-\hat e)`,
  whose mean is the cross-fitted AIPW estimate of the average effect (Chernozhukov et al.
  2018).

Learners of :math:`\tau(x)`:

* ``"t"``: :math:`\hat\tau = \hat\mu_1 - \hat\mu_0`;
* ``"dr"``: regress :math:`\hat\varphi` on :math:`x` (Kennedy 2023);
* ``"x"``: regress :math:`D_1 = Y - \hat\mu_0(x)` on the treated and :math:`D_0 = \hat\mu_1(x) - Y`
  on the controls, then :math:`\hat\tau = \hat e\,\hat\tau_0 + (1-\hat e)\,\hat\tau_1`
  (Künzel et al. 2019).

The second stage is cross-fitted too: a unit's effect comes from the models of the other folds,
and new rows get the mean of the ``folds`` models.

References
----------
Chernozhukov, V., et al. (2018). Double/debiased machine learning for treatment and structural
parameters. *The Econometrics Journal* 21(1), C1-C68. Kennedy, E. H. (2023). Towards optimal
doubly robust estimation of heterogeneous causal effects. *Electronic Journal of Statistics*
17(2), 3008-3049. Künzel, S. R., Sekhon, J. S., Bickel, P. J., & Yu, B. (2019). Metalearners
for estimating heterogeneous treatment effects using machine learning. *PNAS* 116(10),
4156-4165.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

LEARNERS = ("dr", "x", "t")


def default_models(seed: int, categorical: np.ndarray):
    """Histogram gradient boosting (regressor, classifier), seeded, with early stopping."""
    opts = dict(
        max_iter=150, learning_rate=0.1, max_leaf_nodes=15, min_samples_leaf=40,
        l2_regularization=1.0, early_stopping=True, validation_fraction=0.15,
        n_iter_no_change=5, random_state=seed,
        categorical_features=categorical if categorical.any() else None,
    )  # fmt: skip
    return HistGradientBoostingRegressor(**opts), HistGradientBoostingClassifier(**opts)


@dataclass
class CrossFit:
    """Out-of-fold nuisances, scores and effects, and the fold models for new rows."""

    fold: np.ndarray
    e: np.ndarray
    mu0: np.ndarray
    mu1: np.ndarray
    phi: np.ndarray
    tau: np.ndarray
    models: list = field(default_factory=list)


def fold_of(groups: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Fold of each row: clusters shuffled (seeded) and dealt round-robin."""
    codes, uniq = pd.factorize(pd.Series(groups), sort=False)
    perm = np.random.default_rng([seed, 7]).permutation(len(uniq))
    return (perm % folds)[codes]


def cross_fit(X, T, Y, groups, learner, folds, trim, seed, regressor, classifier, binary,
              max_fit_rows=None):  # fmt: skip
    """Fit the nuisances and the learner's second stage fold by fold (see the module notes).

    Fits run with one OpenMP thread: on a shared machine the boosting's threads otherwise
    wait on each other (measured 20 times slower on 2 busy cores). With ``max_fit_rows``,
    each model is fitted on at most that many of its training rows (a seeded random subset);
    every row is still predicted.
    """
    cap = _Cap(max_fit_rows, seed)
    with threadpool_limits(limits=1, user_api="openmp"):
        return _cross_fit(X, T, Y, groups, learner, folds, trim, seed, regressor, classifier,
                          binary, cap)  # fmt: skip


class _Cap:
    """Training rows of one model: all, or a seeded random subset of ``limit`` rows."""

    def __init__(self, limit, seed):
        self.limit, self.rng = limit, np.random.default_rng([seed, 11])

    def __call__(self, mask: np.ndarray) -> np.ndarray:
        idx = np.flatnonzero(mask)
        if self.limit is None or idx.size <= self.limit:
            return idx
        return np.sort(self.rng.choice(idx, self.limit, replace=False))


def _cross_fit(X, T, Y, groups, learner, folds, trim, seed, regressor, classifier, binary, cap):
    fold = fold_of(groups, folds, seed)
    n = len(Y)
    e, mu0, mu1 = np.empty(n), np.empty(n), np.empty(n)
    models = []
    for k in range(folds):  # a few folds; each fit is vectorized inside scikit-learn
        test, train = fold == k, fold != k
        tr, tr1, tr0 = cap(train), cap(train & (T == 1)), cap(train & (T == 0))
        pm = clone(classifier).fit(X[tr], T[tr])
        m1 = clone(regressor).fit(X[tr1], Y[tr1])
        m0 = clone(regressor).fit(X[tr0], Y[tr0])
        e[test] = pm.predict_proba(X[test])[:, 1]
        mu1[test], mu0[test] = m1.predict(X[test]), m0.predict(X[test])
        models.append({"e": pm, "mu1": m1, "mu0": m0})
    e = np.clip(e, trim, 1 - trim)
    if binary:
        mu0, mu1 = np.clip(mu0, 0, 1), np.clip(mu1, 0, 1)
    phi = mu1 - mu0 + T * (Y - mu1) / e - (1 - T) * (Y - mu0) / (1 - e)
    cf = CrossFit(fold, e, mu0, mu1, phi, mu1 - mu0, models)
    if learner == "dr":
        _second_stage(cf, X, {"tau": (np.ones(n, bool), phi)}, regressor, cap)
        cf.tau = _predict_oof(cf, X, "tau")
    elif learner == "x":
        d1, d0 = Y - mu0, mu1 - Y
        _second_stage(cf, X, {"tau1": (T == 1, d1), "tau0": (T == 0, d0)}, regressor, cap)
        cf.tau = e * _predict_oof(cf, X, "tau0") + (1 - e) * _predict_oof(cf, X, "tau1")
    return cf


def _second_stage(cf: CrossFit, X, targets: dict, regressor, cap) -> None:
    for k, m in enumerate(cf.models):  # a few folds
        train = cf.fold != k
        for name, (rows, target) in targets.items():
            sel = cap(train & rows)
            m[name] = clone(regressor).fit(X[sel], target[sel])


def _predict_oof(cf: CrossFit, X, name: str) -> np.ndarray:
    out = np.empty(len(X))
    for k, m in enumerate(cf.models):  # a few folds
        test = cf.fold == k
        out[test] = m[name].predict(X[test])
    return out


def predict_new(models: list, X: np.ndarray, learner: str, trim: float) -> np.ndarray:
    """Effects of new rows: the mean over the fold models."""
    with threadpool_limits(limits=1, user_api="openmp"):
        return _predict_new(models, X, learner, trim)


def _predict_new(models, X, learner, trim):
    out = np.zeros(len(X))
    for m in models:  # a few folds
        if learner == "dr":
            out += m["tau"].predict(X)
        elif learner == "t":
            out += m["mu1"].predict(X) - m["mu0"].predict(X)
        else:
            e = np.clip(m["e"].predict_proba(X)[:, 1], trim, 1 - trim)
            out += e * m["tau0"].predict(X) + (1 - e) * m["tau1"].predict(X)
    return out / len(models)
