r"""Repeat events: recurring complaints or purchases, Andersen-Gill and PWP models with robust
standard errors clustered by customer (R ``coxph(Surv(start, stop, event) ~ x + cluster(id))``).

Each customer contributes one counting-process row per episode, :math:`(start, stop]`, ending
in an event (a complaint) or in censoring (churn or the observation end):

* **Andersen-Gill** (``"ag"``): one baseline rate for every episode, total time;
* **PWP total time** (``"pwp_total"``): Prentice, Williams and Peterson's conditional model,
  stratified by event number (the k-th episode is at risk only of the k-th event), total time;
* **PWP gap time** (``"pwp_gap"``): the same strata, time since the previous event.

The coefficients are Cox's (Efron ties) from :func:`cxmodels.churn.fit_churn`. Episodes of one
customer are not independent, so the variance is the sandwich
:math:`D_c^\top D_c` with :math:`D_c = \sum_{i \in c} U_i \mathcal{I}^{-1}`, :math:`U_i` the
score residual of row :math:`i` (Efron ties, as R ``residuals(fit, "score")``):

.. math::

    U_i = \delta_i (x_i - \bar x(t_i)) - r_i \int_{start_i}^{stop_i} (x_i - \bar x(t))\, d\hat\Lambda_0(t),

computed for every row at once from cumulative sums over the event times (each row's integral is
a difference of two cumulative sums), so it is linear in the number of rows.

References
----------
Andersen and Gill (1982), Ann. Statist. 10, 1100-1120; Prentice, Williams and Peterson (1981),
Biometrika 68, 373-379; Lin and Wei (1989), JASA 84, 1074-1078; Therneau and Grambsch (2000),
*Modeling Survival Data*, ch. 8.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._format import fmt_ci, fmt_num, fmt_pct, join_words, label
from .._results import Findings, Result, result_dataclass
from .._validation import as_list, check_level, check_number, check_option, fail, require_columns
from ..i18n import t, unit_word
from ._checks import check_start_stop
from .models import fit_churn
from .results import _coef_table
from .tables import UNITS, survival_table

#: The repeat-event models: Andersen-Gill, PWP total time, PWP gap time.
RECURRENT_MODELS = ("ag", "pwp_total", "pwp_gap")
TABLE = "recurrent-event table"


def _efron_terms(stop, e, r, x, start_at):
    """Per event time of one stratum: cumulative hazard ``H`` and ``XH`` (sum of h * xbar),
    and the Efron corrections of the churners there (``mh1``, ``mh2``, ``mh3``)."""
    tt = np.unique(stop[e == 1])
    d = np.bincount(np.searchsorted(tt, stop[e == 1]), minlength=len(tt)).astype(float)
    p = x.shape[1]
    # at risk at t: start < t <= stop, i.e. stop >= t minus start >= t
    R0, R1 = start_at(tt, r), start_at(tt, r[:, None] * x)
    dead = e == 1
    j = np.searchsorted(tt, stop[dead])
    D0 = np.bincount(j, weights=r[dead], minlength=len(tt))
    D1 = np.vstack(
        [np.bincount(j, weights=(r * x[:, c])[dead], minlength=len(tt)) for c in range(p)]
    ).T
    # Efron: d pseudo-events per time, the k-th with weights k/d taken off the churners
    g = np.repeat(np.arange(len(tt)), d.astype(np.int64))
    k = (np.arange(len(g)) - np.repeat(np.cumsum(d) - d, d.astype(np.int64))) / d[g]
    den = R0[g] - k * D0[g]
    h = 1.0 / den
    xbar = (R1[g] - k[:, None] * D1[g]) / den[:, None]

    def per_time(v):
        return np.vstack(
            [np.bincount(g, weights=v[:, c], minlength=len(tt)) for c in range(v.shape[1])]
        ).T

    hz = np.bincount(g, weights=h, minlength=len(tt))
    xh = per_time(xbar * h[:, None])
    mh1 = np.bincount(g, weights=h * k, minlength=len(tt))
    mh2 = per_time(xbar * (h * k)[:, None])
    mh3 = per_time(xbar / d[g][:, None])
    return (
        tt,
        np.r_[0.0, np.cumsum(hz)],
        np.vstack([np.zeros(p), np.cumsum(xh, axis=0)]),
        mh1,
        mh2,
        mh3,
    )


def score_residuals(start, stop, event, X, beta, strata=None) -> np.ndarray:
    """Score residuals (n x p) of a counting-process Cox model with Efron ties, as R
    ``residuals(coxph(Surv(start, stop, event) ~ X + strata(...)), type = "score")``."""
    n, p = X.shape
    s = np.zeros(n, dtype=np.int64) if strata is None else np.asarray(strata)
    x = X - X.mean(axis=0)
    eta = x @ beta
    r = np.exp(eta - eta.max())
    U = np.zeros((n, p))
    for code in np.unique(s):  # a loop over strata (event numbers), not rows
        idx = np.flatnonzero(s == code)
        U[idx] = _stratum_residuals(start[idx], stop[idx], event[idx], x[idx], r[idx])
    return U


def _stratum_residuals(start, stop, e, x, r) -> np.ndarray:
    o_stop, o_start = np.argsort(stop, kind="stable"), np.argsort(start, kind="stable")
    s_stop, s_start = stop[o_stop], start[o_start]

    def at_risk(tt, v):
        flat = v.ndim == 1
        v = v.reshape(len(v), -1)
        suf = lambda o: np.vstack([np.cumsum(v[o][::-1], axis=0)[::-1], np.zeros(v.shape[1])])  # noqa: E731
        a = suf(o_stop)[np.searchsorted(s_stop, tt, side="left")]
        b = suf(o_start)[np.searchsorted(s_start, tt, side="left")]
        out = a - b
        return out[:, 0] if flat else out

    tt, H, XH, mh1, mh2, mh3 = _efron_terms(stop, e, r, x, at_risk)
    hi = np.searchsorted(tt, stop, side="right")  # event times <= stop
    lo = np.searchsorted(tt, start, side="right")  # event times <= start
    U = -r[:, None] * (x * (H[hi] - H[lo])[:, None] - (XH[hi] - XH[lo]))
    dead = np.flatnonzero(e == 1)
    j = hi[dead] - 1
    U[dead] += (x[dead] - mh3[j]) + r[dead][:, None] * (x[dead] * mh1[j][:, None] - mh2[j])
    return U


def cluster_variance(U: np.ndarray, cov: np.ndarray, cluster) -> np.ndarray:
    """Robust variance clustered by ``cluster``: :math:`D_c^\\top D_c`, :math:`D = U\\,cov`
    summed within clusters (R ``coxph``'s ``cluster()``; rows alone when every id is its own)."""
    codes = pd.factorize(pd.Series(cluster), sort=False)[0]
    D = U @ cov
    Dc = np.vstack([np.bincount(codes, weights=D[:, c]) for c in range(D.shape[1])]).T
    return Dc.T @ Dc


@result_dataclass
class RecurrentResult(Result):
    """A repeat-event Cox model (Andersen-Gill or PWP) with customer-clustered standard errors.

    Attributes
    ----------
    table : DataFrame
        ``covariate``, ``coef``, ``se`` (robust, clustered by customer), ``coef_low``,
        ``coef_high``, ``z``, ``p_value`` (from the robust ``se``), ``hr`` (rate ratio of the
        next event), ``hr_low``, ``hr_high``, ``se_naive`` (the model-based standard error,
        which treats a customer's episodes as independent).
    model : str
        ``"ag"``, ``"pwp_total"`` or ``"pwp_gap"``.
    customers, rows, events : int
        Customers (clusters), episodes (rows) and events.
    strata : int
        Event-number strata (1 for Andersen-Gill).
    loglik : float
        Log partial likelihood.
    cov : ndarray
        Robust covariance of the coefficients.
    alpha : float
        1 - confidence level.
    unit : str
        Time unit.
    event_word : str
        What recurs (a catalogue key's label, e.g. ``"complaint"``).
    """

    table: pd.DataFrame
    model: str
    customers: int
    rows: int
    events: int
    strata: int
    loglik: float
    cov: np.ndarray
    alpha: float
    unit: str
    event_word: str = "event"

    def _summary_parts(self):
        facts = {
            t("churn.rec.model"): t(f"churn.rec.{self.model}"),
            t("churn.rec.customers"): self.customers,
            t("churn.rec.rows"): self.rows,
            t("churn.rec.events"): self.events,
            t("churn.rec.strata"): self.strata,
        }
        return t("churn.rec.title"), facts, {t("churn.rec.title"): self.table}, []

    def findings(self) -> Findings:
        """One sentence per covariate whose interval excludes 1, one naming the rest."""
        said, unclear = [], []
        for _, r in self.table.iterrows():
            if r["hr_low"] > 1 or r["hr_high"] < 1:
                key = "churn.rec.raises" if r["hr"] > 1 else "churn.rec.lowers"
                said.append(
                    t(
                        key,
                        x=label(r["covariate"]),
                        what=label(self.event_word),
                        hr=fmt_num(r["hr"]),
                        ci=fmt_ci(r["hr_low"], r["hr_high"]),
                        level=fmt_pct(1 - self.alpha),
                    )
                )
            else:
                unclear.append(label(r["covariate"]))
        if unclear:
            said.append(
                t("churn.rec.unclear", names=join_words(unclear), what=label(self.event_word))
            )
        return Findings(tuple(said), (t("churn.rec.clustered", unit=unit_word(self.unit)),))


def _episodes(table, model, cols, max_stratum):
    """The rows to fit: start/stop (gap time from 0), stratum codes (event number, capped)."""
    id_col, start_col, stop_col, event_col, number_col = cols
    start = pd.to_numeric(table[start_col]).to_numpy(dtype=float)
    stop = pd.to_numeric(table[stop_col]).to_numpy(dtype=float)
    strata = None
    if model != "ag":
        require_columns(table, [number_col], TABLE)
        k = pd.to_numeric(table[number_col], errors="coerce")
        if k.isna().any() or (k < 1).any():
            fail(TABLE, number_col, "event numbers missing or below 1", "number episodes 1, 2, ...")
        k = k.to_numpy(dtype=np.int64)
        strata = np.minimum(k, max_stratum) if max_stratum else k
    if model == "pwp_gap":
        start, stop = np.zeros(len(stop)), stop - start
    return start, stop, strata


def fit_recurrent(
    table: pd.DataFrame,
    covariates,
    *,
    model: str = "ag",
    id_col: str = "customer_id",
    start_col: str = "start",
    stop_col: str = "stop",
    event_col: str = "event",
    number_col: str = "event_number",
    max_stratum: int | None = None,
    reference: dict | None = None,
    alpha: float = 0.05,
    unit: str = "months",
    event_word: str = "event",
) -> RecurrentResult:
    """Andersen-Gill or PWP model of a recurring event, with robust standard errors clustered by
    customer (as R ``coxph(... + cluster(id))``).

    Parameters
    ----------
    table : DataFrame
        Counting-process rows, one per episode (:func:`recurrent_table`): ``customer_id``,
        ``start``, ``stop`` (total time since the origin), ``event`` (1 = the episode ended in
        an event), ``event_number`` (1 for the first episode), covariates.
    covariates : str or list of str
        As :func:`fit_churn` (categoricals one-hot, first level the reference).
    model : {"ag", "pwp_total", "pwp_gap"}
        Andersen-Gill; PWP stratified by event number, in total time or in gap time.
    id_col, start_col, stop_col, event_col, number_col : str
        Column names.
    max_stratum : int, optional
        PWP: episodes from this event number on share one stratum (few customers reach high
        numbers; R users write ``strata(pmin(enum, k))``).
    reference : dict, optional
        Categorical covariate -> reference level.
    alpha : float
        1 - confidence level.
    unit : str
        Time unit.
    event_word : str
        What recurs, for the sentences (``"complaint"``, ``"purchase"``).

    Returns
    -------
    RecurrentResult

    Notes
    -----
    See the module docstring. Coefficients, model-based and robust standard errors agree with R
    ``coxph(Surv(start, stop, event) ~ x + strata(enum) + cluster(id))`` (Efron ties; for
    ``"pwp_gap"`` ``Surv(stop - start, event)``), tests/reference/recurrent_r.R.
    """
    check_option("model", model, RECURRENT_MODELS, "fit_recurrent")
    check_option("unit", unit, list(UNITS), "fit_recurrent")
    a = check_level(alpha, "alpha")
    if max_stratum is not None:
        check_number("max_stratum", max_stratum, low=1)
    covariates = as_list(covariates)
    check_start_stop(table, id_col, start_col, stop_col, event_col, TABLE)
    require_columns(table, covariates, TABLE)
    cols = (id_col, start_col, stop_col, event_col, number_col)
    start, stop, strata = _episodes(table, model, cols, max_stratum)
    fit = _fit(table, covariates, start, stop, strata, event_col, reference, a, unit)
    keep = np.ones(len(table), bool) if fit.design.keep is None else fit.design.keep
    E = table[event_col].to_numpy().astype(np.int64)[keep]
    beta = fit.table["coef"].to_numpy()
    naive = np.asarray(fit.cov if hasattr(fit, "cov") else _cov_of(fit), dtype=float)
    s = None if strata is None else strata[keep]
    U = score_residuals(start[keep], stop[keep], E, fit.design.X, beta, s)
    cov = cluster_variance(U, naive, table[id_col].to_numpy()[keep])
    tab = _coef_table(fit.design.columns, beta, np.sqrt(np.diag(cov)), a)
    tab["hr"], tab["hr_low"], tab["hr_high"] = (
        np.exp(tab["coef"]),
        np.exp(tab["coef_low"]),
        np.exp(tab["coef_high"]),
    )
    tab["se_naive"] = np.sqrt(np.diag(naive))
    n_strata = 1 if s is None else len(np.unique(s))
    customers = table[id_col][keep].nunique()
    return RecurrentResult(
        tab,
        model,
        customers,
        int(keep.sum()),
        int(E.sum()),
        n_strata,
        fit.loglik,
        cov,
        a,
        unit,
        event_word,
    )


def _fit(table, covariates, start, stop, strata, event_col, reference, alpha, unit):
    """Cox coefficients through :func:`fit_churn`: right-censored when every start is 0 (its own
    engine), counting process otherwise."""
    data = table[covariates].assign(
        _start=start, _stop=stop, _event=table[event_col].to_numpy(), _row=np.arange(len(table))
    )
    kw = {"event_col": "_event", "reference": reference, "alpha": alpha, "unit": unit}
    if strata is not None:
        data["_stratum"], kw["strata"] = strata, "_stratum"
    if np.all(start == 0):
        return fit_churn(data, covariates, duration_col="_stop", **kw)
    return fit_churn(
        data,
        covariates,
        time_varying=True,
        id_col="_row",
        start_col="_start",
        stop_col="_stop",
        **kw,
    )


def _cov_of(fit) -> np.ndarray:
    """The model-based covariance of a time-varying fit (lifelines' variance matrix)."""
    f = fit.fit
    pos = f.params_.index.get_indexer(list(fit.design.columns))
    return np.asarray(f.variance_matrix_, dtype=float)[np.ix_(pos, pos)]


def recurrent_table(
    data, kind: str = "complaint", *, unit: str = "months", as_of=None
) -> pd.DataFrame:
    """Counting-process rows of a recurring interaction (complaints, purchases), one per episode.

    Parameters
    ----------
    data : CXData
        With ``interactions`` (``customer_id``, ``timestamp``, ``kind``).
    kind : str
        The interaction kind that recurs (``"complaint"``, ``"purchase"``, ...).
    unit : {"days", "weeks", "months", "years"}
        Time unit of ``start`` and ``stop``.
    as_of : date-like, optional
        Observation end, as :func:`survival_table`.

    Returns
    -------
    DataFrame
        ``customer_id``, ``start``, ``stop`` (time since the customer's origin, the baseline
        survey of :func:`survival_table`), ``event`` (1 = the episode ended with an interaction
        of ``kind``), ``event_number`` (1 for the first episode), ``gap`` (``stop - start``),
        then the covariates of :func:`survival_table`. Follow-up ends at churn or the
        observation end; the last episode is censored there. Interactions of one customer at
        the same moment count once; customers with no follow-up time have no rows.
    """
    check_option("unit", unit, list(UNITS), "recurrent_table")
    inter = data.interactions
    require_columns(inter, ["customer_id", "timestamp", "kind"], "interactions")
    kinds = sorted(inter["kind"].dropna().astype(str).unique())
    if kind not in kinds:
        fail("interactions", "kind", f"no interactions of kind {kind!r}", f"use one of {kinds}")
    base = survival_table(data, unit=unit, as_of=as_of)
    ev = inter.loc[inter["kind"] == kind, ["customer_id", "timestamp"]].merge(
        base[["customer_id", "origin_date", "duration"]], on="customer_id"
    )
    ev["time"] = (ev["timestamp"] - ev["origin_date"]).dt.total_seconds() / 86400 / UNITS[unit]
    ev = ev[(ev["time"] > 0) & (ev["time"] <= ev["duration"])].drop_duplicates(
        ["customer_id", "time"]
    )
    ends = base[["customer_id", "duration"]].rename(columns={"duration": "time"})
    rows = pd.concat([ev[["customer_id", "time"]].assign(event=1), ends.assign(event=0)])
    rows = rows.sort_values(["customer_id", "time", "event"], ascending=[True, True, False])
    rows["start"] = rows.groupby("customer_id")["time"].shift(fill_value=0.0)
    rows["event_number"] = rows.groupby("customer_id").cumcount() + 1
    rows = rows[rows["time"] > rows["start"]].rename(columns={"time": "stop"})
    rows["gap"] = rows["stop"] - rows["start"]
    covs = base.drop(columns=["duration", "event", "origin_date"], errors="ignore")
    out = rows[["customer_id", "start", "stop", "event", "event_number", "gap"]].merge(
        covs, on="customer_id", how="left"
    )
    return out.reset_index(drop=True)
