r"""Out-of-sample evaluation of a churn model: concordance, IPCW Brier score, calibration.

The Brier score at horizon :math:`h` with inverse-probability-of-censoring weights
(Graf et al. 1999):

.. math::

    BS(h) = \frac1n \sum_i \Bigl[ \frac{\hat S(h \mid x_i)^2\, 1\{T_i \le h, \delta_i = 1\}}
    {\hat G(T_i-)} + \frac{(1 - \hat S(h \mid x_i))^2\, 1\{T_i > h\}}{\hat G(h)} \Bigr]

where :math:`\hat G` is the Kaplan-Meier estimate of the censoring distribution, with churn
taken to come before censoring at tied times (so a churner at :math:`t` is not at risk of being
censored at :math:`t`), as in ``pec`` and scikit-survival.

**Where a churner's weight reads** :math:`\hat G` (``ipcw``): by default just before the churn
time, :math:`\hat G(T_i-)` (``ipcw="pec"``: Graf et al.'s formula and ``pec``'s
``ipcw(..., subjectTimesLag = 1)``); ``ipcw="scikit-survival"`` reads it at the churn time,
:math:`\hat G(T_i)`, as scikit-survival's ``brier_score`` does, so a customer censored on the
day of a churn lowers that churner's :math:`\hat G` and raises its weight, and a weight whose
:math:`\hat G` is 0 counts as 0 there (it is floored at 1e-12 under ``"pec"``). The two agree
when no churn time is also a censoring time; with tied censoring they differ by a few 1e-5 on
the sample world.

**Which sample estimates** :math:`\hat G`: by default the test sample itself (``pec``'s
``ipcw(cens.model = "marginal")`` on the data it scores; :func:`evaluate` with
``censoring="test"``). ``censoring="train"`` estimates it on the training rows the model was
fitted to, as scikit-survival's ``brier_score(survival_train, survival_test, ...)`` does; the
two differ by the sampling noise of :math:`\hat G`. The result states which was used (``Evaluation.censoring``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._format import fmt_num, fmt_pct
from .._results import Findings, Result, result_dataclass
from .._validation import check_number, check_option, fail
from ..i18n import t, unit_word
from ..plots import calibration_plot
from ._checks import check_survival
from .concordance import concordance_index
from .nonparametric import km_curve


def split(table: pd.DataFrame, test_size: float = 0.3, seed: int = 0, id_col: str = "customer_id"):
    """Customer-level train/test split (all rows of a customer on one side).

    Parameters
    ----------
    table : DataFrame
    test_size : float
        Share of customers in the test part, strictly between 0 and 1.
    seed : int
        Seed of the random split.
    id_col : str
        Customer column (rows are split individually when it is absent).

    Returns
    -------
    (DataFrame, DataFrame)
        Train and test rows.
    """
    check_number(
        "test_size", test_size, low=0, high=1, low_open=True, high_open=True, table="split"
    )
    check_number("seed", seed, low=0, integer=True, table="split")
    ids = table[id_col].unique() if id_col in table else np.arange(len(table))
    k = int(round(test_size * len(ids)))
    if k == 0 or k == len(ids):
        fail(
            "split",
            "test_size",
            f"{test_size} leaves one side empty for {len(ids)} customers",
            "choose a test_size that puts customers on both sides",
        )
    rng = np.random.default_rng(seed)
    test_ids = rng.choice(ids, size=k, replace=False)
    is_test = table[id_col].isin(test_ids).to_numpy() if id_col in table else np.isin(ids, test_ids)
    return table[~is_test], table[is_test]


#: Where a churner's IPCW weight reads the censoring survival: just before (``pec``) or at the
#: churn time (scikit-survival's ``brier_score``); see the module Notes.
IPCW = ("pec", "scikit-survival")


def censoring_survival(T: np.ndarray, E: np.ndarray):
    """:math:`\\hat G(t)` and :math:`\\hat G(t-)` (Kaplan-Meier of censoring, churn first at ties)."""
    t, inv = np.unique(T, return_inverse=True)
    cens = np.bincount(inv, weights=1 - E, minlength=len(t))
    dead = np.bincount(inv, weights=E, minlength=len(t))
    n = len(T) - np.r_[0, np.cumsum(np.bincount(inv, minlength=len(t)))[:-1]] - dead
    with np.errstate(divide="ignore", invalid="ignore"):
        G = np.cumprod(np.where(n > 0, 1 - cens / np.where(n > 0, n, 1), 1.0))

    def at(x, left=False):
        idx = np.searchsorted(t, x, side="left" if left else "right")
        return np.r_[1.0, G][idx]

    return at


def brier_ipcw(T, E, surv_h, horizon, censoring: tuple | None = None, ipcw: str = "pec") -> float:
    """IPCW Brier score at ``horizon`` for predicted survival ``surv_h`` (see module Notes).

    Parameters
    ----------
    T, E : arrays
        Durations and churn indicators of the rows scored.
    surv_h : array
        Predicted survival at ``horizon`` of those rows.
    horizon : float
    censoring : (T, E), optional
        The sample the censoring distribution :math:`\\hat G` is estimated on (e.g. the
        training rows); default the scored rows themselves.
    ipcw : {"pec", "scikit-survival"}
        A churner's weight is :math:`1/\\hat G(T_i-)` (default, ``pec``) or
        :math:`1/\\hat G(T_i)` (scikit-survival's ``brier_score``).
    """
    check_option("ipcw", ipcw, IPCW, "brier_ipcw")
    G = censoring_survival(*(censoring if censoring is not None else (T, E)))
    before = (T <= horizon) & (E == 1)
    after = T > horizon
    if ipcw == "pec":
        w_before = 1 / np.clip(G(T, left=True), 1e-12, None)
        w_after = 1 / max(float(G(np.array([horizon]))[0]), 1e-12)
    else:  # scikit-survival: G at the churn time, and a zero G gives a zero weight
        w_before, w_after = _inverse_or_zero(G(T)), _inverse_or_zero(G(np.array([horizon])))[0]
    w = np.where(before, w_before, np.where(after, w_after, 0.0))
    resid = np.where(before, surv_h**2, np.where(after, (1 - surv_h) ** 2, 0.0))
    return float((w * resid).mean())


def _inverse_or_zero(g: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.where(g > 0, 1 / g, 0.0)


@result_dataclass
class Evaluation(Result):
    """Out-of-sample accuracy of a churn model.

    Attributes
    ----------
    table : DataFrame
        Calibration by risk decile: ``decile``, ``n``, ``predicted`` (mean predicted churn by the
        horizon), ``observed`` (Kaplan-Meier churn by the horizon).
    concordance : float
        Harrell's C on the test rows.
    brier : float
        IPCW Brier score at ``horizon``.
    brier_null : float
        The same for the Kaplan-Meier prediction (everyone alike).
    horizon : float
    n : int
        Test rows used.
    unit : str
        Time unit of the horizon.
    censoring : {"test", "train"}
        The sample the IPCW censoring distribution was estimated on.
    ipcw : {"pec", "scikit-survival"}
        Where a churner's weight reads the censoring survival (:data:`IPCW`).
    """

    table: pd.DataFrame
    concordance: float
    brier: float
    brier_null: float
    horizon: float
    n: int
    unit: str = ""
    censoring: str = "test"
    ipcw: str = "pec"

    def _summary_parts(self):
        return (
            "Out-of-sample evaluation",
            {
                "n (test)": self.n,
                "horizon": self.horizon,
                "concordance": self.concordance,
                "Brier score (IPCW)": self.brier,
                "Brier score of the Kaplan-Meier null": self.brier_null,
                t("churn.fact.censoring"): t(f"churn.censoring.{self.censoring}"),
                t("churn.fact.ipcw"): t(f"churn.ipcw.{self.ipcw}"),
            },
            {"Calibration by risk decile": self.table.set_index("decile")},
            [],
        )

    def findings(self) -> Findings:
        f = [
            t(
                "churn.evaluation",
                c=fmt_pct(self.concordance),
                h=fmt_num(self.horizon, 0),
                unit=unit_word(self.unit),
                brier=fmt_num(self.brier, 3),
                null=fmt_num(self.brier_null, 3),
            )
        ]
        gap = (self.table["predicted"] - self.table["observed"]).abs().max()
        c = [t("churn.calibration", points=fmt_num(100 * gap, 0))]
        return Findings(tuple(f), tuple(c) if gap > 0.05 else ())

    def plot_calibration(self, ax=None):
        return calibration_plot(self.table, ax=ax)


def _km_at(T, E, h) -> float:
    c = km_curve(T, E)
    return float(c["survival"].to_numpy()[np.searchsorted(c["time"].to_numpy(), h, "right") - 1])


def evaluate(
    result, test_table: pd.DataFrame, horizon: float, censoring: str = "test", ipcw: str = "pec"
) -> Evaluation:
    """Concordance, IPCW Brier score at ``horizon`` (Graf et al. 1999) and calibration by decile.

    Parameters
    ----------
    result : CoxResult or AFTResult
        A fit on the training rows.
    test_table : DataFrame
        Held-out rows with the same columns.
    horizon : float
        In the table's time unit; at most the longest training follow-up.
    censoring : {"test", "train"}
        Where the IPCW weights' censoring distribution is estimated: on the test rows
        (default, as ``pec`` on the data it scores) or on the training rows of ``result``
        (as scikit-survival's ``brier_score(survival_train, survival_test, ...)``).
    ipcw : {"pec", "scikit-survival"}
        A churner's IPCW weight reads the censoring survival just before its churn time
        (default, ``pec`` and Graf et al.) or at it (scikit-survival). With
        ``censoring="train", ipcw="scikit-survival"`` the Brier scores are scikit-survival's
        ``brier_score`` exactly.

    Returns
    -------
    Evaluation
        ``table`` with ``decile``, ``n``, ``predicted``, ``observed``.

    References
    ----------
    Graf, Schmoor, Sauerbrei and Schumacher (1999), Statistics in Medicine 18, 2529-2545.
    """
    check_option("censoring", censoring, ("test", "train"), "evaluate")
    check_option("ipcw", ipcw, IPCW, "evaluate")
    if result.time_varying:
        fail(
            "evaluate",
            "result",
            "a time-varying fit has no risk predictions",
            "evaluate a baseline fit",
        )
    dcol, ecol = result.duration_col, result.event_col
    result._check_horizon(horizon)
    check_survival(test_table, dcol, ecol, "test table")
    X = result.design.transform(test_table, "test table")
    tt = test_table[~np.isnan(X).any(axis=1)]
    T = tt[dcol].to_numpy(float)
    E = tt[ecol].to_numpy(int)
    risk = result.predict_risk(horizon, tt).to_numpy()
    conc = concordance_index(T, result._score(tt), E)
    cens = (
        (np.asarray(result.T, float), np.asarray(result.E, int)) if censoring == "train" else None
    )
    brier = brier_ipcw(T, E, 1 - risk, horizon, cens, ipcw)
    s_null = _km_at(T, E, horizon)
    brier_null = brier_ipcw(T, E, np.full(len(T), s_null), horizon, cens, ipcw)
    dec = pd.qcut(pd.Series(risk).rank(method="first"), 10, labels=False).to_numpy()
    rows = [
        {
            "decile": k + 1,
            "n": int((dec == k).sum()),
            "predicted": float(risk[dec == k].mean()),
            "observed": 1 - _km_at(T[dec == k], E[dec == k], horizon),
        }
        for k in range(10)  # loop over deciles
    ]
    return Evaluation(
        pd.DataFrame(rows),
        float(conc),
        brier,
        brier_null,
        float(horizon),
        len(tt),
        result.unit,
        censoring,
        ipcw,
    )


def risk_by(result, table: pd.DataFrame, horizon: float, by: str) -> pd.DataFrame:
    """Mean predicted churn by ``horizon`` per group (e.g. segment), highest first.

    Returns
    -------
    DataFrame
        ``<by>``, ``mean_risk``, ``median_risk``, ``n``; no identifiers.
    """
    risk = result.predict_risk(horizon, table)
    out = pd.DataFrame({by: table[by].to_numpy(), "risk": risk.to_numpy()}).groupby(
        by, observed=True
    )["risk"]
    return (
        out.agg(["mean", "median", "count"])
        .rename(columns={"mean": "mean_risk", "median": "median_risk", "count": "n"})
        .sort_values("mean_risk", ascending=False)
        .reset_index()
    )
