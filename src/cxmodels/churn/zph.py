r"""The proportional-hazards test of R ``survival::cox.zph`` (survival 3.x).

For each covariate term :math:`j` the model is widened to
:math:`\beta_j(t) = \beta_j + \theta_j\, g(t)` and the score test of :math:`\theta_j = 0` is taken
at the fitted :math:`\hat\beta` with the full information matrix of :math:`(\beta, \theta)`
(Grambsch and Therneau 1994). With :math:`\bar x_k` and :math:`V_k` the (Efron-weighted) mean and
covariance of the covariates over the risk set at churn :math:`k`:

.. math::

    U_\theta = \sum_k g(t_k)\,(x_k - \bar x_k), \qquad
    \mathcal I = \sum_k \begin{pmatrix} V_k & g_k V_k \\ g_k V_k & g_k^2 V_k \end{pmatrix},

and the statistic is :math:`u^\top \mathcal I_{[\beta,\theta_j]}^{-1} u` with
:math:`u = (0, U_{\theta_j})`, on as many degrees of freedom as the term has columns; ``GLOBAL``
uses every :math:`\theta` at once. :math:`g` is centred on the churners' mean of the transform of
time: ``"km"`` (the default, :math:`1 - \hat S_{KM}(t-)`), ``"rank"`` or ``"identity"``.

References
----------
Grambsch, P. M. and Therneau, T. M. (1994). Proportional hazards tests and diagnostics based on
weighted residuals. Biometrika 81, 515-526. Therneau, T. M., ``survival`` 3.x, ``cox.zph``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import chi2, rankdata

from .._format import fmt_num, fmt_p, join_words, label
from .._results import Findings, Result, result_dataclass
from .._validation import check_level, check_option, fail
from ..i18n import t
from . import _cox, prose

TRANSFORMS = ("km", "rank", "identity")


@result_dataclass
class PHTest(Result):
    """Grambsch-Therneau test of proportional hazards (R ``cox.zph``).

    Attributes
    ----------
    table : DataFrame
        One row per covariate and a ``GLOBAL`` row: ``covariate``, ``test_statistic``
        (chi-square), ``df``, ``p_value``, ``violated`` (p below the threshold), ``advice``.
    transform : str
        Transform of time: ``"km"``, ``"rank"`` or ``"identity"``.
    p_threshold : float
        The p-value below which a covariate is flagged.
    n_events : int
        Churn events in the fit.
    """

    table: pd.DataFrame
    transform: str
    p_threshold: float
    n_events: int

    def _summary_parts(self):
        return (
            "Proportional-hazards test (Grambsch-Therneau, as R cox.zph)",
            {"time transform": self.transform, "events": self.n_events},
            {"Tests": self.table.set_index("covariate")},
            [],
        )

    def findings(self) -> Findings:
        tab = self.table[self.table["covariate"] != "GLOBAL"]
        bad = tab[tab["violated"]]
        glob = self.table[self.table["covariate"] == "GLOBAL"].iloc[0]
        if bad.empty:
            chi2, df, p = fmt_num(glob["test_statistic"]), int(glob["df"]), fmt_p(glob["p_value"])
            key = "churn.zph_global_only" if glob["violated"] else "churn.zph_none"
            f = [t(key, chi2=chi2, df=df, p=p)]
        else:
            f = [
                t(
                    "churn.zph_bad",
                    x=label(r["covariate"]),
                    chi2=fmt_num(r["test_statistic"]),
                    df=int(r["df"]),
                    p=fmt_p(r["p_value"]),
                    advice=r["advice"],
                )
                for _, r in bad.iterrows()
            ]
        c = []
        if self.n_events > 5000 and not bad.empty:
            c.append(t("churn.zph_many_events", n=f"{self.n_events:,}"))
        ok = tab.loc[~tab["violated"], "covariate"].tolist()
        if ok and not bad.empty:
            c.append(t("churn.zph_ok_for", names=join_words(map(label, ok))))
        return Findings(tuple(f), tuple(c))


def _time_transform(T: np.ndarray, E: np.ndarray, transform: str) -> np.ndarray:
    if transform == "km":
        return 1 - _cox.km_left(T, E, T)
    if transform == "rank":
        return rankdata(T)
    return T.astype(float)


def cox_zph(res, transform: str = "km", p_threshold: float = 0.05) -> PHTest:
    """Test proportional hazards for a :class:`~cxmodels.churn.CoxResult` as R ``cox.zph`` does.

    Parameters
    ----------
    res : CoxResult
        A Cox fit (not time-varying).
    transform : {"km", "rank", "identity"}
        Transform of time; ``"km"`` is R's default.
    p_threshold : float
        Flag covariates with a p-value below this.

    Returns
    -------
    PHTest
        ``table`` with ``covariate``, ``test_statistic``, ``df``, ``p_value``, ``violated``,
        ``advice`` (per covariate term, then ``GLOBAL``).
    """
    check_option("transform", transform, TRANSFORMS)
    check_level(p_threshold, "p_threshold")
    if getattr(res, "model", None) != "cox":
        fail(
            "churn",
            "model",
            "the proportional-hazards test applies to the Cox model",
            "fit with model='cox' (time_varying=False)",
        )
    T, E, X = res.T, res.E, res.design.X
    tt = _time_transform(T, E, transform)
    g = tt - tt[E == 1].mean()
    u, imat = _cox.zph_score(T, E, X, res.eta - res.eta.mean(), res.strata_codes, g)
    p = X.shape[1]
    cols = list(res.design.columns)
    rows = []
    for term, tcols in res.design.terms.items():  # loop over covariate terms
        jj = [p + cols.index(c) for c in tcols]
        kk = list(range(p)) + jj
        uu = np.r_[np.zeros(p), u[jj]]
        rows.append((term, float(uu @ np.linalg.solve(imat[np.ix_(kk, kk)], uu)), len(jj)))
    uu = np.r_[np.zeros(p), u[p:]]
    rows.append(("GLOBAL", float(uu @ np.linalg.solve(imat, uu)), p))
    t = pd.DataFrame(rows, columns=["covariate", "test_statistic", "df"])
    t["p_value"] = chi2.sf(t["test_statistic"], t["df"])
    t["violated"] = t["p_value"] < p_threshold
    t["advice"] = [
        prose.ph_advice(c, c in res.design.levels, v) for c, v in zip(t["covariate"], t["violated"])
    ]
    return PHTest(t, transform, float(p_threshold), int(E.sum()))
