"""Survival-based churn: who leaves, when, and what satisfaction has to do with it.

Churn is time-to-event data with censoring (most customers are still active at the observation
end), so cxmodels models it with survival analysis on top of lifelines:

* :func:`survival_table` builds one row per customer (``duration``, ``event`` and covariates
  measured at or before the time origin, the customer's baseline survey) or start-stop rows whose
  survey covariates change over time.
* :func:`kaplan_meier` gives retention curves with confidence bands, medians with intervals,
  retention at chosen horizons and the log-rank test.
* :func:`fit_churn` fits Cox proportional hazards (Efron ties), time-varying Cox, or Weibull,
  log-normal and log-logistic AFT models and returns a :class:`ChurnResult`.
* :func:`evaluate` scores a fit out of sample: concordance, the Brier score at a horizon with
  inverse-probability-of-censoring weights (Graf et al. 1999) and a calibration table by risk decile.

The Cox model: :math:`h(t \\mid x) = h_0(t) \\exp(x^\\top\\beta)`; a hazard ratio
:math:`e^{\\beta_j}` is the multiplicative change of the churn hazard per unit of :math:`x_j`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from ._linalg import centred_gram, collinear_columns, constant_columns
from ._results import ResultMixin
from ._validation import InputError, fail, require_columns
from .data.contract import CUSTOMER_ATTRIBUTES

UNITS = {"days": 1.0, "weeks": 7.0, "months": 30.4375, "years": 365.25}
CUSTOMER_COVARIATES = list(CUSTOMER_ATTRIBUTES)
SURVEY_COVARIATES = ["overall_sat", "nps", "csat", "ces"]
MODELS = ("cox", "weibull", "lognormal", "loglogistic")


def nps_group(scores) -> pd.Series:
    """promoter (9-10), passive (7-8), detractor (0-6)."""
    s = pd.Series(scores)
    return pd.Series(
        np.select([s >= 9, s >= 7, s >= 0], ["promoter", "passive", "detractor"], None),
        index=s.index,
        dtype=object,
    ).where(s.notna())


def survival_table(
    data,
    *,
    unit: str = "months",
    as_of=None,
    covariates: list[str] | None = None,
    from_wave: str | None = None,
    baseline_within_days: int | None = None,
    follow_up_window_days: int | None = None,
    time_varying: bool = False,
) -> pd.DataFrame:
    """One survival row per customer (or start-stop rows with ``time_varying=True``).

    The time origin is each customer's **baseline survey**: the first answer (in or after
    ``from_wave``; within ``baseline_within_days`` of signup if given, e.g. an onboarding survey).
    Customers without one are left out. ``duration`` runs from the origin to churn or the
    observation end (``as_of``) in ``unit``; ``event`` is 1 for churn.

    Columns: ``duration``, ``event``, the customer columns, the baseline answers ``overall_sat``,
    ``nps``, ``csat``, ``ces``, ``nps_group``, ``followed_up`` (a follow-up contact between signup
    and the origin, or within ``follow_up_window_days`` before it) and ``tenure_at_origin`` (days).
    The ``customer_id`` column is kept for joins; reports never print it.

    With ``time_varying=True`` rows are ``(customer_id, start, stop, event)`` intervals that
    begin at each later survey answer, carrying that answer's values.
    """
    if unit not in UNITS:
        fail("survival_table", "unit", f"unknown unit {unit!r}", f"use one of {list(UNITS)}")
    scale = UNITS[unit]
    cust = data.customers
    end = pd.Timestamp(as_of) if as_of is not None else data.observation_end
    r = data.responses.sort_values(["customer_id", "survey_date"], kind="stable")
    if from_wave is not None:
        r = r[r["wave"] >= from_wave]
    c = cust.set_index("customer_id")
    if baseline_within_days is not None:
        age = (r["survey_date"] - r["customer_id"].map(c["signup_date"])).dt.days
        first_ok = r[age <= baseline_within_days]
    else:
        first_ok = r
    base = first_ok.drop_duplicates("customer_id", keep="first")
    base = base[base["survey_date"] <= end]
    if base.empty:
        fail(
            "responses",
            "survey_date",
            "no customer has a baseline survey answer in the chosen window",
            "choose an earlier from_wave or a later as_of",
        )
    out = pd.DataFrame({"customer_id": base["customer_id"].to_numpy()})
    origin = base["survey_date"].to_numpy()
    churn = out["customer_id"].map(c["churn_date"]).to_numpy()
    churned = ~pd.isna(churn) & (churn <= np.datetime64(end))
    stop = np.where(churned, churn, np.datetime64(end))
    days = (stop - origin) / np.timedelta64(1, "D")
    out["duration"] = days / scale
    out["event"] = churned.astype(int)
    for col in CUSTOMER_COVARIATES:
        if col in c:
            out[col] = out["customer_id"].map(c[col]).to_numpy()
    for col in SURVEY_COVARIATES + [
        a for a in data.responses.columns if str(a).startswith("attr_")
    ]:
        if col in base:
            out[col] = base[col].to_numpy()
    if "nps" in out:
        out["nps_group"] = nps_group(out["nps"]).to_numpy()
    signup = out["customer_id"].map(c["signup_date"]).to_numpy()
    out["tenure_at_origin"] = (origin - signup) / np.timedelta64(1, "D")
    out["followed_up"] = _followed_up_before(
        data, out["customer_id"], origin, signup, follow_up_window_days
    )
    out["origin_date"] = origin
    if covariates is not None:
        require_columns(out, covariates, "survival_table")
    bad = out["duration"] < 0
    if bad.any():
        fail(
            "customers",
            "churn_date",
            "churn before the baseline survey",
            "check churn_date against survey_date",
            out.loc[bad, "customer_id"],
        )
    if not time_varying:
        return out.reset_index(drop=True)
    return _start_stop(out, r, end, scale)


def _followed_up_before(data, ids, origin, signup, window):
    inter = data.interactions
    if inter is None:
        return np.zeros(len(ids), dtype=int)
    fu = inter.loc[inter["kind"] == "follow_up", ["customer_id", "timestamp"]]
    pos = pd.Series(np.arange(len(ids)), index=pd.Index(ids))
    j = fu["customer_id"].map(pos)
    fu = fu[j.notna()]
    j = j[j.notna()].astype(int).to_numpy()
    t = fu["timestamp"].to_numpy()
    lo = signup[j] if window is None else origin[j] - np.timedelta64(int(window), "D")
    hit = (t >= lo) & (t <= origin[j] + np.timedelta64(1, "D"))
    out = np.zeros(len(ids), dtype=int)
    out[j[hit]] = 1
    return out


def _start_stop(base: pd.DataFrame, r: pd.DataFrame, end, scale) -> pd.DataFrame:
    """Start-stop intervals: a new interval at every survey answer after the origin."""
    later = r.merge(base[["customer_id", "origin_date", "duration"]], on="customer_id")
    later = later[later["survey_date"] >= later["origin_date"]]
    later["start"] = (later["survey_date"] - later["origin_date"]).dt.days / scale
    later = later[later["start"] < later["duration"]]
    later = later.sort_values(["customer_id", "start"], kind="stable")
    later = later.drop_duplicates(["customer_id", "start"], keep="last")
    later["stop"] = later.groupby("customer_id")["start"].shift(-1)
    last = later["stop"].isna()
    later.loc[last, "stop"] = later.loc[last, "duration"]
    ev = base.set_index("customer_id")["event"]
    later["event"] = np.where(last, later["customer_id"].map(ev), 0)
    keep_cust = [
        c
        for c in base.columns
        if c not in SURVEY_COVARIATES + ["duration", "event", "nps_group"]
        and not str(c).startswith("attr_")
        and c != "origin_date"
    ]
    rows = later[
        ["customer_id", "start", "stop", "event"] + [c for c in SURVEY_COVARIATES if c in later]
    ].merge(base[keep_cust], on="customer_id")
    if "nps" in rows:
        rows["nps_group"] = nps_group(rows["nps"]).to_numpy()
    return rows[rows["stop"] > rows["start"]].reset_index(drop=True)


def _check_survival(df, duration_col, event_col, table="survival table"):
    require_columns(df, [duration_col, event_col], table)
    d = pd.to_numeric(df[duration_col], errors="coerce")
    bad = ~(d > 0)
    if bad.any():
        keys = (
            df["customer_id"][bad]
            if "customer_id" in df
            else [f"row {i}" for i in np.flatnonzero(bad)]
        )
        fail(
            table,
            duration_col,
            "durations that are zero, negative or missing",
            "durations must be positive; drop same-day churners or add a small offset",
            keys,
        )
    vals = df[event_col]
    ok = vals.isin([0, 1, True, False])
    if not ok.all():
        fail(
            table,
            event_col,
            "event indicator is not 0/1",
            "code churn as 1 and still-active as 0",
            [f"row {i}" for i in np.flatnonzero(~ok.to_numpy())],
        )
    if vals.astype(int).sum() == 0:
        fail(
            table,
            event_col,
            "no events (nobody churned)",
            "a churn model needs churners: widen the window",
        )


# --------------------------------------------------------------------------- Kaplan-Meier
@dataclass(frozen=True)
class KMResult(ResultMixin):
    """Kaplan-Meier curves. ``table`` is tidy: ``group``, ``time``, ``survival``, ``ci_low``,
    ``ci_high``, ``at_risk``; ``medians`` has ``group``, ``median``, ``ci_low``, ``ci_high``;
    ``logrank`` the test across groups (``test_statistic``, ``df``, ``p_value``)."""

    table: pd.DataFrame
    medians: pd.DataFrame
    logrank: pd.DataFrame | None
    by: str | None
    unit: str
    fitters: dict = field(repr=False)

    def survival_at(self, times, group=None) -> pd.DataFrame:
        """Retention (survival probability) at chosen horizons, per group, with intervals."""
        times = np.atleast_1d(times).astype(float)
        rows = []
        for g, kmf in self.fitters.items():
            if group is not None and g != group:
                continue
            s = kmf.survival_function_at_times(times).to_numpy()
            ci = kmf.confidence_interval_survival_function_
            idx = np.searchsorted(ci.index.to_numpy(), times, side="right") - 1
            lo = ci.iloc[np.maximum(idx, 0), 0].to_numpy()
            hi = ci.iloc[np.maximum(idx, 0), 1].to_numpy()
            rows += [
                {"group": g, "time": t, "survival": v, "ci_low": a, "ci_high": b}
                for t, v, a, b in zip(times, s, lo, hi)
            ]
        return pd.DataFrame(rows)

    def _summary_parts(self):
        tables = {"Median survival": self.medians.set_index("group")}
        if self.logrank is not None:
            tables["Log-rank test"] = self.logrank
        return (
            f"Kaplan-Meier retention{' by ' + self.by if self.by else ''}",
            {"time unit": self.unit},
            tables,
            [],
        )

    def plot(self, ax=None):
        from .plots import km_curves

        return km_curves(
            self.table,
            ax=ax,
            unit=self.unit,
            title=f"Retention{' by ' + self.by if self.by else ''}",
        )


def kaplan_meier(
    table: pd.DataFrame,
    by: str | None = None,
    *,
    duration_col: str = "duration",
    event_col: str = "event",
    alpha: float = 0.05,
    unit: str = "months",
) -> KMResult:
    """Kaplan-Meier retention curves (Greenwood/exponential Greenwood bands), medians with their
    intervals (Brookmeyer & Crowley 1982), and the log-rank test across ``by`` groups."""
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import multivariate_logrank_test
    from lifelines.utils import median_survival_times

    _check_survival(table, duration_col, event_col)
    if by is not None:
        require_columns(table, [by], "survival table")
    groups = (
        [("all", table)]
        if by is None
        else [(g, d) for g, d in table.groupby(by, observed=True, sort=True)]
    )
    fitters, curves, meds = {}, [], []
    for g, d in groups:  # loop over a few groups
        kmf = KaplanMeierFitter(alpha=alpha).fit(d[duration_col], d[event_col], label=str(g))
        fitters[g] = kmf
        sf = kmf.survival_function_.iloc[:, 0]
        ci = kmf.confidence_interval_survival_function_
        curves.append(
            pd.DataFrame(
                {
                    "group": g,
                    "time": sf.index.to_numpy(),
                    "survival": sf.to_numpy(),
                    "ci_low": ci.iloc[:, 0].to_numpy(),
                    "ci_high": ci.iloc[:, 1].to_numpy(),
                    "at_risk": kmf.event_table["at_risk"].reindex(sf.index).to_numpy(),
                }
            )
        )
        mci = median_survival_times(kmf.confidence_interval_)
        meds.append(
            {
                "group": g,
                "n": len(d),
                "events": int(d[event_col].sum()),
                "median": kmf.median_survival_time_,
                "ci_low": float(mci.iloc[0, 0]),
                "ci_high": float(mci.iloc[0, 1]),
            }
        )
    lr = None
    if by is not None and len(groups) > 1:
        t = multivariate_logrank_test(table[duration_col], table[by].astype(str), table[event_col])
        lr = pd.DataFrame(
            [{"test_statistic": t.test_statistic, "df": t.degrees_of_freedom, "p_value": t.p_value}]
        )
    return KMResult(pd.concat(curves, ignore_index=True), pd.DataFrame(meds), lr, by, unit, fitters)


# --------------------------------------------------------------------------- models
@dataclass(frozen=True)
class ChurnResult(ResultMixin):
    """Result of :func:`fit_churn`.

    ``table``: one row per covariate level with ``covariate``, ``coef``, ``se``, ``coef_low``,
    ``coef_high``, ``hr`` (hazard ratio; for AFT models the time ratio is ``time_ratio``),
    ``hr_low``, ``hr_high``, ``z``, ``p_value``. ``concordance`` is Harrell's C; ``aic`` the AIC
    (partial AIC for Cox)."""

    table: pd.DataFrame
    model: str
    aic: float
    n: int
    events: int
    covariates: tuple[str, ...]
    design_columns: tuple[str, ...]
    levels: dict
    fitter: object = field(repr=False)
    data: pd.DataFrame = field(repr=False)
    duration_col: str = "duration"
    event_col: str = "event"
    strata: tuple[str, ...] = ()
    time_varying: bool = False
    notes: tuple[str, ...] = ()
    _concordance: float | None = field(default=None, repr=False)

    @cached_property
    def concordance(self) -> float:
        """Harrell's C on the fitting data (computed on first use; lifelines' definition)."""
        if self._concordance is not None:
            return self._concordance
        if self.time_varying:
            return float("nan")
        lp = self.data[list(self.design_columns)].to_numpy(float) @ self.table["coef"].to_numpy()
        return concordance_index(self.data[self.duration_col], -lp, self.data[self.event_col])

    def _summary_parts(self):
        facts = {
            "model": self.model,
            "n": self.n,
            "events": self.events,
            "concordance": self.concordance,
            "AIC" + (" (partial)" if self.model == "cox" else ""): self.aic,
        }
        if self.strata:
            facts["strata"] = ", ".join(self.strata)
        cols = ["covariate", "coef", "se", "hr", "hr_low", "hr_high", "p_value"]
        if self.model != "cox":
            cols = ["covariate", "coef", "se", "time_ratio", "p_value"] + (
                ["hr"] if "hr" in self.table else []
            )
        return (
            f"Churn model ({self.model})",
            facts,
            {"Covariates": self.table[cols].set_index("covariate")},
            list(self.notes),
        )

    def encode(self, table: pd.DataFrame) -> pd.DataFrame:
        """The design matrix of ``table`` with this fit's encoding (same dummies, same reference)."""
        return _encode(table, list(self.covariates), self.levels)[0].reindex(
            columns=list(self.design_columns), fill_value=0.0
        )

    def _design(self, table):
        X = self.encode(table)
        for s in self.strata:
            X[s] = table[s].to_numpy()
        return X

    def check_assumptions(self, p_threshold: float = 0.05) -> pd.DataFrame:
        """Schoenfeld-residual tests of proportional hazards, one row per covariate, with advice."""
        from lifelines.statistics import proportional_hazard_test

        if self.model != "cox" or self.time_varying:
            fail(
                "churn",
                "model",
                "the proportional-hazards check applies to the Cox model",
                "fit with model='cox' (time_varying=False)",
            )
        frame = self.data
        res = proportional_hazard_test(self.fitter, frame, time_transform="rank")
        s = res.summary
        s = s.reset_index().rename(columns={"index": "covariate", "p": "p_value"})
        s = s.rename(columns={s.columns[0]: "covariate"})
        s["violated"] = s["p_value"] < p_threshold
        s["advice"] = np.where(
            s["violated"],
            "hazard ratio changes over time: stratify on it (strata=[...]) if categorical, "
            "or add an interaction with time; with very large n small departures are flagged too",
            "no evidence against proportional hazards",
        )
        return s[["covariate", "test_statistic", "p_value", "violated", "advice"]]

    def stratify_violations(self, p_threshold: float = 0.05) -> tuple[ChurnResult, str]:
        """Refit with categorical covariates that break proportional hazards moved to strata.

        Returns the (possibly unchanged) fit and a sentence saying what was done. Numeric
        covariates that break the assumption are named, with the advice to add a time interaction.
        """
        ph = self.check_assumptions(p_threshold)
        bad = ph.loc[ph["violated"], "covariate"].tolist()
        cats = sorted({c.split("[")[0] for c in bad if "[" in c})
        nums = [c for c in bad if "[" not in c]
        msg = []
        fit = self
        if cats:
            fit = fit_churn(
                self.data_table,
                [c for c in self.covariates if c not in cats],
                model="cox",
                strata=sorted(set(self.strata) | set(cats)),
                duration_col=self.duration_col,
                event_col=self.event_col,
            )
            msg.append(
                f"Proportional hazards fail for {', '.join(cats)}: refitted with "
                f"{'it' if len(cats) == 1 else 'them'} as strata (separate baseline hazards)."
            )
        if nums:
            msg.append(
                f"The effect of {', '.join(nums)} changes over time; read its hazard ratio as an average "
                "over follow-up, or add an interaction with time."
            )
        return fit, " ".join(
            msg
        ) or "No covariate breaks proportional hazards; the model is kept as fitted."

    def predict_survival(self, table: pd.DataFrame, times) -> pd.DataFrame:
        """Survival probabilities, rows = times, columns = rows of ``table``."""
        X = self._design(table)
        return self.fitter.predict_survival_function(X, times=np.atleast_1d(times))

    def predict_risk(self, horizon: float, table: pd.DataFrame | None = None) -> pd.Series:
        """Probability of churn by ``horizon`` (in the table's time unit), per row."""
        table = self.data_table if table is None else table
        s = self.predict_survival(table, [horizon]).to_numpy()[0]
        return pd.Series(1 - s, index=table.index, name=f"risk_{horizon:g}")

    def expected_remaining_tenure(
        self, horizon: float, table: pd.DataFrame | None = None, grid: int = 200
    ) -> pd.Series:
        """Restricted mean survival time up to ``horizon``: :math:`\\int_0^h S(t \\mid x) dt`."""
        table = self.data_table if table is None else table
        t = np.linspace(0, horizon, grid + 1)
        S = self.predict_survival(table, t).to_numpy()
        return pd.Series(np.trapezoid(S, t, axis=0), index=table.index, name=f"rmst_{horizon:g}")

    @property
    def data_table(self) -> pd.DataFrame:
        src = self.data.attrs.get("source_table", self.data)
        return src.loc[self.data.index]

    def plot_forest(self, ax=None):
        from .plots import forest

        if self.model == "cox":
            return forest(
                self.table,
                "hr",
                "hr_low",
                "hr_high",
                "covariate",
                ax=ax,
                title="Hazard ratios",
                xlabel="hazard ratio (log scale)",
            )
        t = self.table.assign(
            tr_low=np.exp(self.table["coef_low"]), tr_high=np.exp(self.table["coef_high"])
        )
        return forest(
            t,
            "time_ratio",
            "tr_low",
            "tr_high",
            "covariate",
            ax=ax,
            title="Time ratios",
            xlabel="time ratio (log scale)",
        )

    def plot_profiles(
        self, profiles: pd.DataFrame, horizon: float | None = None, ax=None, labels=None
    ):
        """Predicted survival curves for chosen covariate profiles (one row each)."""
        from .plots import survival_profiles

        h = (
            horizon or float(self.data[self.duration_col].max())
            if not self.time_varying
            else horizon
        )
        t = np.linspace(0, h, 100)
        S = self.predict_survival(profiles, t)
        return survival_profiles(t, S.to_numpy(), labels or [str(i) for i in profiles.index], ax=ax)


def _encode(table, covariates, levels=None, reference=None):
    """One-hot encode categorical covariates with a named reference level (the first, or ``reference``).

    Returns one float block (a DataFrame without per-column copies) and the levels used.
    """
    levels = dict(levels or {})
    plain = [
        c
        for c in covariates
        if isinstance(table[c].dtype, np.dtype) and table[c].dtype.kind in "biuf"
    ]
    if len(plain) == len(
        covariates
    ):  # all plain numpy numbers: one conversion, no per-column copies
        A = table[list(covariates)].to_numpy(dtype=float)
        return pd.DataFrame(A, columns=list(covariates), index=table.index, copy=False), levels
    arrays, names = [], []
    for c in covariates:
        s = table[c]
        if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
            arrays.append(s.to_numpy(dtype=float, na_value=np.nan))
            names.append(c)
            continue
        if c not in levels:
            lv = sorted(s.dropna().astype(str).unique())
            ref = (reference or {}).get(c, lv[0] if lv else None)
            if ref not in lv:
                fail("survival table", c, f"reference level {ref!r} not found", f"use one of {lv}")
            levels[c] = [ref] + [v for v in lv if v != ref]
        ss = s.astype(str).to_numpy()
        missing = s.isna().to_numpy()
        for v in levels[c][1:]:
            a = (ss == v).astype(float)
            a[missing] = np.nan
            arrays.append(a)
            names.append(f"{c}[{v}]")
    A = np.column_stack(arrays) if arrays else np.empty((len(table), 0))
    return pd.DataFrame(A, columns=names, index=table.index, copy=False), levels


def concordance_index(durations, scores, events) -> float:
    r"""Harrell's C: the share of comparable pairs whose predicted scores are ordered like their times.

    ``scores`` are predicted survival (higher = expected to stay longer). A subject is compared
    with every churner who left strictly before it (or at the same time, for a censored subject);
    ties in ``scores`` count one half. Same definition as :func:`lifelines.utils.concordance_index`.

    The comparison set of each subject is a time-ordered *prefix* of the churners, so the counts
    are prefix-rank queries, answered with :math:`\sqrt{n}` blocks: a merged sorted prefix at each
    block boundary plus a broadcast comparison within the block. :math:`O(n\sqrt{n})` vectorized
    work, no loop over subjects.
    """
    T = np.asarray(durations, dtype=float)
    P = np.asarray(scores, dtype=float)
    E = np.asarray(events).astype(bool)
    order = np.argsort(T[E], kind="stable")
    dT, dP = T[E][order], P[E][order]
    nd = len(dT)
    if nd == 0:
        return float("nan")
    k = np.where(E, np.searchsorted(dT, T, side="left"), np.searchsorted(dT, T, side="right"))
    m = max(64, int(np.sqrt(nd)))
    block = k // m
    qorder = np.argsort(block, kind="stable")
    bounds = np.searchsorted(block[qorder], np.arange(nd // m + 2))
    S = np.empty(0)
    correct = tied = 0.0
    for j in range(nd // m + 1):  # loop over ~sqrt(n) blocks of churners, not subjects
        if j:
            new = np.sort(dP[(j - 1) * m : j * m])
            S = np.insert(S, np.searchsorted(S, new), new)
        q = qorder[bounds[j] : bounds[j + 1]]
        if q.size == 0:
            continue
        v = P[q]
        lo, hi = np.searchsorted(S, v, "left"), np.searchsorted(S, v, "right")
        correct += lo.sum()
        tied += (hi - lo).sum()
        part = dP[j * m : (j + 1) * m]
        inside = np.arange(part.size)[None, :] < (k[q] - j * m)[:, None]
        correct += (inside & (part[None, :] < v[:, None])).sum()
        tied += (inside & (part[None, :] == v[:, None])).sum()
    pairs = k.sum()
    return float((correct + 0.5 * tied) / pairs) if pairs else float("nan")


def _choose_batch_mode(durations: pd.Series) -> bool:
    """Batch mode pays off with heavy ties (few distinct times); measured in bench/bench_churn.py."""
    return durations.nunique() / len(durations) < 0.01


def fit_churn(
    table: pd.DataFrame,
    covariates: list[str],
    *,
    model: str = "cox",
    strata: list[str] | None = None,
    penalizer: float = 0.0,
    time_varying: bool = False,
    duration_col: str = "duration",
    event_col: str = "event",
    id_col: str = "customer_id",
    start_col: str = "start",
    stop_col: str = "stop",
    reference: dict | None = None,
    alpha: float = 0.05,
) -> ChurnResult:
    """Fit a churn hazard model.

    Parameters
    ----------
    table : DataFrame
        From :func:`survival_table` or any survival data (``duration``, ``event`` or other names).
    covariates : list of str
        Numeric, boolean or categorical columns; categoricals are one-hot encoded with the first
        level (or ``reference[col]``) as the named reference.
    model : "cox", "weibull", "lognormal", "loglogistic"
        Cox proportional hazards (Efron ties) or an AFT model.
    strata : list of str
        Cox strata (separate baseline hazards) for covariates that break proportional hazards.
    time_varying : bool
        Start-stop table (``start``, ``stop``, ``event``, ``customer_id``) for CoxTimeVaryingFitter.

    Returns
    -------
    ChurnResult
    """
    from lifelines import (
        CoxPHFitter,
        CoxTimeVaryingFitter,
        LogLogisticAFTFitter,
        LogNormalAFTFitter,
        WeibullAFTFitter,
    )

    if model not in MODELS:
        fail("churn", "model", f"unknown model {model!r}", f"use one of {MODELS}")
    strata = list(strata or [])
    require_columns(table, list(covariates) + strata, "survival table")
    if time_varying:
        require_columns(table, [id_col, start_col, stop_col, event_col], "survival table")
        bad = ~(table[stop_col] > table[start_col])
        if bad.any():
            fail(
                "survival table",
                stop_col,
                "intervals with stop <= start",
                "drop or fix these intervals",
                [f"row {i}" for i in np.flatnonzero(bad)],
            )
        if table[event_col].sum() == 0:
            fail(
                "survival table",
                event_col,
                "no events (nobody churned)",
                "a churn model needs churners",
            )
    else:
        _check_survival(table, duration_col, event_col)
    X, levels = _encode(table, list(covariates), reference=reference)
    cols = list(X.columns)
    A = X.to_numpy(dtype=float)  # one float block: no per-column copies below
    miss = np.isnan(A).any(axis=1)
    notes = []
    keep = None
    if miss.any():
        notes.append(f"{int(miss.sum())} rows with missing covariates dropped.")
        keep = ~miss
        A = A[keep]
    G = centred_gram(A)
    const = constant_columns(G, cols)
    if const:
        fail(
            "survival table",
            ", ".join(const),
            "constant covariate column(s) (a level nobody or everybody has)",
            "drop the covariate or merge rare levels",
        )
    coll = collinear_columns(A, names=cols, gram=G)
    if coll:
        fail(
            "survival table",
            ", ".join(coll),
            "covariates are perfectly collinear with others "
            "(lifelines would only say 'singular matrix')",
            "drop one of each collinear set or merge levels",
        )

    def col(name):
        v = table[name].to_numpy()
        return v if keep is None else v[keep]

    frame = pd.DataFrame(
        A, columns=cols, index=table.index if keep is None else table.index[keep], copy=False
    )
    for s in strata:
        frame[s] = col(s)
    if time_varying:
        for c in (id_col, start_col, stop_col, event_col):
            frame[c] = col(c)
        f = CoxTimeVaryingFitter(penalizer=penalizer, alpha=alpha)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            f.fit(
                frame,
                id_col=id_col,
                start_col=start_col,
                stop_col=stop_col,
                event_col=event_col,
                strata=strata or None,
            )
        conc = float("nan")
        aic = float("nan")
    else:
        frame[duration_col] = col(duration_col).astype(float)
        frame[event_col] = col(event_col).astype(int)
        if model == "cox":
            f = CoxPHFitter(penalizer=penalizer, alpha=alpha)
            f.fit(
                frame,
                duration_col,
                event_col,
                strata=strata or None,
                batch_mode=_choose_batch_mode(frame[duration_col]),
            )
            aic = float(f.AIC_partial_)
        else:
            cls = {
                "weibull": WeibullAFTFitter,
                "lognormal": LogNormalAFTFitter,
                "loglogistic": LogLogisticAFTFitter,
            }[model]
            f = cls(penalizer=penalizer, alpha=alpha)
            f.fit(frame.drop(columns=strata), duration_col, event_col)
            aic = float(f.AIC_)
        conc = None if model == "cox" else float(f.concordance_index_)  # Cox: computed on first use
    frame.attrs["source_table"] = table
    s = f.summary
    if model != "cox":
        main = {"weibull": "lambda_", "lognormal": "mu_", "loglogistic": "alpha_"}[model]
        s = s.loc[main].drop(index="Intercept", errors="ignore")
    lo = [c for c in s.columns if c.startswith("coef lower")][0]
    hi = [c for c in s.columns if c.startswith("coef upper")][0]
    t = pd.DataFrame(
        {
            "covariate": s.index.astype(str),
            "coef": s["coef"].to_numpy(),
            "se": s["se(coef)"].to_numpy(),
            "coef_low": s[lo].to_numpy(),
            "coef_high": s[hi].to_numpy(),
            "z": s["z"].to_numpy(),
            "p_value": s["p"].to_numpy(),
        }
    )
    if model == "cox":
        t["hr"], t["hr_low"], t["hr_high"] = (
            np.exp(t["coef"]),
            np.exp(t["coef_low"]),
            np.exp(t["coef_high"]),
        )
    else:
        t["time_ratio"] = np.exp(t["coef"])
        if model == "weibull":
            rho = float(np.exp(f.params_.loc[("rho_", "Intercept")]))
            t["hr"] = np.exp(-t["coef"] * rho)
            t["hr_low"], t["hr_high"] = np.exp(-t["coef_high"] * rho), np.exp(-t["coef_low"] * rho)
    t = t.set_index("covariate").loc[cols].reset_index()
    events = int(frame[event_col].sum())
    return ChurnResult(
        t,
        model if not time_varying else "cox (time-varying)",
        aic,
        len(frame),
        events,
        tuple(covariates),
        tuple(cols),
        levels,
        f,
        frame,
        duration_col,
        event_col,
        tuple(strata),
        time_varying,
        tuple(notes),
        conc,
    )


def hazard_ratio_sentence(
    result: ChurnResult, covariate: str, unit_label: str = "", per: str = "point"
) -> str:
    """'each extra point of overall_sat lowers the monthly churn hazard by 12% (8-15%)'."""
    r = result.table.set_index("covariate").loc[covariate]
    change = 100 * (r["hr"] - 1)
    lo, hi = sorted([100 * (r["hr_low"] - 1), 100 * (r["hr_high"] - 1)])
    verb = "lowers" if change < 0 else "raises"
    a, b = sorted([abs(lo), abs(hi)])
    spans_one = r["hr_low"] < 1 < r["hr_high"]
    interval = f"{lo:+.0f}% to {hi:+.0f}%" if spans_one else f"{a:.0f}-{b:.0f}%"
    what = (
        f"each extra {per} of {covariate}"
        if "[" not in covariate
        else covariate.replace("[", " = ").rstrip("]")
    )
    s = f"{what} {verb} the {unit_label + ' ' if unit_label else ''}churn hazard by {abs(change):.0f}% ({interval})"
    return s + ("; the interval includes no effect" if spans_one else "")


# --------------------------------------------------------------------------- evaluation
def split(table: pd.DataFrame, test_size: float = 0.3, seed: int = 0, id_col: str = "customer_id"):
    """Customer-level train/test split (all rows of a customer on one side)."""
    ids = table[id_col].unique() if id_col in table else np.arange(len(table))
    rng = np.random.default_rng(seed)
    test_ids = set(rng.choice(ids, size=int(round(test_size * len(ids))), replace=False))
    is_test = (
        table[id_col].isin(test_ids)
        if id_col in table
        else pd.Series(np.isin(np.arange(len(table)), list(test_ids)), index=table.index)
    )
    return table[~is_test], table[is_test]


@dataclass(frozen=True)
class Evaluation(ResultMixin):
    """Out-of-sample accuracy: ``concordance``, ``brier`` at ``horizon`` (IPCW), ``brier_null``
    (the Kaplan-Meier prediction for everyone), and ``table``: calibration by risk decile with
    ``predicted`` (mean predicted churn by the horizon) and ``observed`` (Kaplan-Meier churn)."""

    table: pd.DataFrame
    concordance: float
    brier: float
    brier_null: float
    horizon: float
    n: int

    def _summary_parts(self):
        return (
            "Out-of-sample evaluation",
            {
                "n (test)": self.n,
                "horizon": self.horizon,
                "concordance": self.concordance,
                "Brier score (IPCW)": self.brier,
                "Brier score of the Kaplan-Meier null": self.brier_null,
            },
            {"Calibration by risk decile": self.table.set_index("decile")},
            [],
        )

    def plot_calibration(self, ax=None):
        from .plots import calibration_plot

        return calibration_plot(self.table, ax=ax)


def evaluate(result: ChurnResult, test_table: pd.DataFrame, horizon: float) -> Evaluation:
    """Concordance, IPCW Brier score at ``horizon`` (Graf et al. 1999) and calibration by decile."""
    from lifelines import KaplanMeierFitter

    dcol, ecol = result.duration_col, result.event_col
    _check_survival(test_table, dcol, ecol, "test table")
    X = result.encode(test_table)
    ok = ~X.isna().any(axis=1)
    tt = test_table[ok.to_numpy()]
    T = tt[dcol].to_numpy(float)
    E = tt[ecol].to_numpy(int)
    risk = result.predict_risk(horizon, tt).to_numpy()
    if result.model == "cox":
        score = -result.fitter.predict_partial_hazard(result._design(tt)).to_numpy().ravel()
    else:
        score = result.fitter.predict_median(result._design(tt)).to_numpy().ravel()
    conc = concordance_index(T, score, E)
    # censoring distribution G(t) by reverse Kaplan-Meier
    g = KaplanMeierFitter().fit(T, 1 - E)

    def G(t):
        return np.clip(g.survival_function_at_times(t).to_numpy(), 1e-8, None)

    surv = 1 - risk
    before = (T <= horizon) & (E == 1)
    after = T > horizon
    G_T = G(np.nextafter(T, -np.inf))
    w = np.where(before, 1 / G_T, np.where(after, 1 / G(np.array([horizon]))[0], 0.0))
    resid = np.where(before, surv**2, np.where(after, (1 - surv) ** 2, 0.0))
    brier = float((w * resid).mean())
    km = KaplanMeierFitter().fit(T, E)
    s_null = float(km.survival_function_at_times([horizon]).iloc[0])
    brier_null = float(
        (w * np.where(before, s_null**2, np.where(after, (1 - s_null) ** 2, 0))).mean()
    )
    dec = pd.qcut(pd.Series(risk).rank(method="first"), 10, labels=False).to_numpy()
    rows = []
    for k in range(10):  # loop over deciles
        sel = dec == k
        kk = KaplanMeierFitter().fit(T[sel], E[sel])
        rows.append(
            {
                "decile": k + 1,
                "n": int(sel.sum()),
                "predicted": float(risk[sel].mean()),
                "observed": float(1 - kk.survival_function_at_times([horizon]).iloc[0]),
            }
        )
    return Evaluation(pd.DataFrame(rows), float(conc), brier, brier_null, float(horizon), len(tt))


def risk_by(result: ChurnResult, table: pd.DataFrame, horizon: float, by: str) -> pd.DataFrame:
    """Mean predicted churn by ``horizon`` per group (e.g. segment), highest first; no identifiers."""
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


__all__ = [
    "ChurnResult",
    "Evaluation",
    "InputError",
    "KMResult",
    "evaluate",
    "fit_churn",
    "hazard_ratio_sentence",
    "kaplan_meier",
    "nps_group",
    "risk_by",
    "split",
    "survival_table",
]
