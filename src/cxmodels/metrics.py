"""CX metrics with honest uncertainty: NPS, CSAT, CES, means, churn and retention, repeat ratio.

* **NPS** :math:`= 100(p_P - p_D)` with promoters 9-10, passives 7-8, detractors 0-6. Its variance
  is the multinomial variance of a difference of two shares,
  :math:`\\mathrm{Var} = 100^2 [p_P + p_D - (p_P - p_D)^2] / n` (e.g. Rocks 2016, "The Net
  Promoter Score's margin of error"); with weights ``n`` is Kish's effective sample size
  :math:`(\\sum w)^2/\\sum w^2`. A percentile bootstrap is the alternative.
* **CSAT**: top-2-box share (the two highest scale points) with a Wilson score interval.
* **CES** and any mean: weighted mean with a t interval.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ._results import ResultMixin
from ._validation import fail, require_columns


@dataclass(frozen=True)
class MetricResult(ResultMixin):
    """One metric with its interval. ``table`` has one row: ``metric``, ``value``, ``ci_low``,
    ``ci_high``, ``se``, ``n`` and metric-specific columns (NPS: ``promoters``, ``passives``,
    ``detractors`` as shares)."""

    table: pd.DataFrame

    @property
    def value(self) -> float:
        return float(self.table["value"].iloc[0])

    @property
    def ci_low(self) -> float:
        return float(self.table["ci_low"].iloc[0])

    @property
    def ci_high(self) -> float:
        return float(self.table["ci_high"].iloc[0])

    def _summary_parts(self):
        r = self.table.iloc[0]
        return (
            f"{r['metric']}: {r['value']:.1f} ({r['ci_low']:.1f} to {r['ci_high']:.1f})",
            dict(r),
            {},
            [],
        )

    def __format__(self, spec):
        return f"{self.value:{spec or '.1f'}} ({self.ci_low:{spec or '.1f'}} to {self.ci_high:{spec or '.1f'}})"


def _clean(scores, weights, name):
    s = (
        pd.Series(scores).astype(float)
        if not isinstance(scores, pd.Series)
        else scores.astype(float)
    )
    w = np.ones(len(s)) if weights is None else np.asarray(weights, dtype=float)
    ok = s.notna().to_numpy() & ~np.isnan(w)
    if ok.sum() == 0:
        fail("responses", name, "no non-missing scores", "check the column and the filter")
    return s.to_numpy()[ok], w[ok]


def _kish(w):
    return w.sum() ** 2 / (w**2).sum()


def nps(
    scores,
    weights=None,
    *,
    level: float = 0.95,
    method: str = "multinomial",
    n_boot: int = 2000,
    seed: int | None = 0,
) -> MetricResult:
    """Net Promoter Score (-100..100) with its confidence interval.

    Parameters
    ----------
    scores : array-like of 0-10 likelihood-to-recommend answers
    weights : array-like, optional
    method : "multinomial" (default) or "bootstrap" (percentile, ``n_boot`` replicates)
    """
    x, w = _clean(scores, weights, "nps")
    if ((x < 0) | (x > 10)).any():
        fail(
            "responses",
            "nps",
            "scores outside 0-10",
            "NPS needs the 0-10 likelihood-to-recommend answer",
            [f"row {i}" for i in np.flatnonzero((x < 0) | (x > 10))],
        )
    pro, det = (x >= 9).astype(float), (x <= 6).astype(float)
    sw = w.sum()
    pp, pd_ = (w * pro).sum() / sw, (w * det).sum() / sw
    value = 100 * (pp - pd_)
    n_eff = _kish(w)
    se = 100 * np.sqrt(max(pp + pd_ - (pp - pd_) ** 2, 0) / n_eff)
    z = stats.norm.ppf(0.5 + level / 2)
    lo, hi = value - z * se, value + z * se
    if method == "bootstrap":
        rng = np.random.default_rng(seed)
        cnt = rng.multinomial(len(x), np.full(len(x), 1 / len(x)), size=n_boot) * w
        boot = 100 * (cnt @ (pro - det)) / cnt.sum(axis=1)
        lo, hi = np.percentile(boot, [50 - 50 * level, 50 + 50 * level])
        se = boot.std(ddof=1)
    elif method != "multinomial":
        fail("nps", "method", f"unknown method {method!r}", "use 'multinomial' or 'bootstrap'")
    return MetricResult(
        pd.DataFrame(
            [
                {
                    "metric": "NPS",
                    "value": value,
                    "ci_low": max(lo, -100),
                    "ci_high": min(hi, 100),
                    "se": se,
                    "n": len(x),
                    "promoters": pp,
                    "passives": 1 - pp - pd_,
                    "detractors": pd_,
                }
            ]
        )
    )


def csat(
    scores, weights=None, *, scale_max: int = 5, top: int = 2, level: float = 0.95
) -> MetricResult:
    """CSAT: top-``top``-box share in percent (scores >= ``scale_max - top + 1``), Wilson interval."""
    x, w = _clean(scores, weights, "csat")
    hit = (x >= scale_max - top + 1).astype(float)
    p = (w * hit).sum() / w.sum()
    n = _kish(w)
    z = stats.norm.ppf(0.5 + level / 2)
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return MetricResult(
        pd.DataFrame(
            [
                {
                    "metric": f"CSAT (top-{top}-box %)",
                    "value": 100 * p,
                    "ci_low": 100 * (centre - half),
                    "ci_high": 100 * (centre + half),
                    "se": 100 * np.sqrt(p * (1 - p) / n),
                    "n": len(x),
                }
            ]
        )
    )


def mean_score(scores, weights=None, *, name: str = "mean", level: float = 0.95) -> MetricResult:
    """Weighted mean with a t interval (Kish effective n)."""
    x, w = _clean(scores, weights, name)
    m = (w * x).sum() / w.sum()
    n = _kish(w)
    sd = np.sqrt((w * (x - m) ** 2).sum() / w.sum() * n / max(n - 1, 1))
    se = sd / np.sqrt(n)
    t = stats.t.ppf(0.5 + level / 2, max(n - 1, 1))
    return MetricResult(
        pd.DataFrame(
            [
                {
                    "metric": name,
                    "value": m,
                    "ci_low": m - t * se,
                    "ci_high": m + t * se,
                    "se": se,
                    "n": len(x),
                }
            ]
        )
    )


def ces(scores, weights=None, *, level: float = 0.95) -> MetricResult:
    """Customer Effort Score: mean effort (1-7, lower is easier) with a t interval."""
    return mean_score(scores, weights, name="CES (mean effort)", level=level)


METRICS = {
    "nps": lambda s, w: nps(s, w),
    "csat": lambda s, w: csat(s, w),
    "ces": lambda s, w: ces(s, w),
    "overall_sat": lambda s, w: mean_score(s, w, name="overall satisfaction (mean)"),
}


def by(
    data,
    metric: str = "nps",
    by: list[str] | str = "wave",
    *,
    column: str | None = None,
    weights: str | None = None,
    min_n: int = 30,
) -> pd.DataFrame:
    """A metric per cell of ``by`` (e.g. ``["segment", "wave"]``), with intervals.

    ``data`` is a CXData (responses joined to the customer table) or a responses DataFrame.
    Cells with fewer than ``min_n`` answers are kept but flagged ``small`` so that narratives
    leave them out.

    Returns
    -------
    DataFrame: the ``by`` columns, ``value``, ``ci_low``, ``ci_high``, ``se``, ``n``, ``small``.
    """
    df = responses_with_customers(data)
    keys = [by] if isinstance(by, str) else list(by)
    column = column or metric
    require_columns(df, keys + [column], "responses")
    fn = METRICS.get(metric)
    if fn is None:
        fail("metrics", "metric", f"unknown metric {metric!r}", f"use one of {sorted(METRICS)}")
    d = df[df[column].notna()]
    rows = []
    for key, g in d.groupby(keys, observed=True, sort=True):  # loop over cells, not rows
        r = fn(g[column], None if weights is None else g[weights]).table.iloc[0]
        key = key if isinstance(key, tuple) else (key,)
        rows.append(
            {
                **dict(zip(keys, key)),
                "value": r["value"],
                "ci_low": r["ci_low"],
                "ci_high": r["ci_high"],
                "se": r["se"],
                "n": int(r["n"]),
            }
        )
    out = pd.DataFrame(rows)
    out["small"] = out["n"] < min_n
    return out


def change(
    data,
    metric: str = "nps",
    *,
    wave_from: str | None = None,
    wave_to: str | None = None,
    by_col: str | None = None,
    level: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """Change of a metric between two waves (default: the last two), with a z interval and p-value.

    Returns one row (or one per ``by_col`` value): ``from``, ``to``, ``value_from``, ``value_to``,
    ``diff``, ``ci_low``, ``ci_high``, ``p_value``, ``n_from``, ``n_to``, ``small``.
    """
    keys = ["wave"] + ([by_col] if by_col else [])
    t = by(data, metric, keys, min_n=min_n)
    waves = sorted(t["wave"].unique())
    if len(waves) < 2:
        fail("responses", "wave", "fewer than two waves", "a change needs two waves of answers")
    wave_from = wave_from or waves[-2]
    wave_to = wave_to or waves[-1]
    a = t[t["wave"] == wave_from].set_index(by_col) if by_col else t[t["wave"] == wave_from]
    b = t[t["wave"] == wave_to].set_index(by_col) if by_col else t[t["wave"] == wave_to]
    if not by_col:
        a, b = a.reset_index(drop=True), b.reset_index(drop=True)
    if a.empty or b.empty:
        fail(
            "responses",
            "wave",
            f"no answers in wave {wave_from if a.empty else wave_to}",
            f"choose from {waves}",
        )
    z = stats.norm.ppf(0.5 + level / 2)
    diff = b["value"] - a["value"]
    se = np.sqrt(a["se"] ** 2 + b["se"] ** 2)
    out = pd.DataFrame(
        {
            "from": wave_from,
            "to": wave_to,
            "value_from": a["value"],
            "value_to": b["value"],
            "diff": diff,
            "ci_low": diff - z * se,
            "ci_high": diff + z * se,
            "p_value": 2 * stats.norm.sf(np.abs(diff / se)),
            "n_from": a["n"],
            "n_to": b["n"],
        }
    )
    out["small"] = (out["n_from"] < min_n) | (out["n_to"] < min_n)
    return out.reset_index() if by_col else out


def responses_with_customers(data) -> pd.DataFrame:
    """The responses table with the customer columns joined (segment, region, ...)."""
    from .data import CXData

    if isinstance(data, CXData):
        cols = [
            c
            for c in data.customers.columns
            if c not in data.responses.columns or c == "customer_id"
        ]
        return data.responses.merge(data.customers[cols], on="customer_id", how="left")
    return data


def churn_rate(customers: pd.DataFrame, *, period: str = "Q", observation_end=None) -> pd.DataFrame:
    """Churn and retention per period.

    ``churn_rate = churned in the period / active at its start``; ``retention = 1 - churn_rate``.
    Periods run from the first signup to the observation end; the last, partial period is
    flagged ``partial``.
    """
    require_columns(customers, ["signup_date", "churn_date"], "customers")
    end = (
        pd.Timestamp(observation_end)
        if observation_end is not None
        else max(customers["signup_date"].max(), customers["churn_date"].max())
    )
    periods = pd.period_range(customers["signup_date"].min(), end, freq=period)
    starts = periods.start_time.to_numpy()
    stops = (periods.end_time + pd.Timedelta(1, "ns")).normalize().to_numpy()
    su = customers["signup_date"].to_numpy()[:, None]
    ch = customers["churn_date"].fillna(pd.Timestamp.max).to_numpy()[:, None]
    at_risk = (su < starts) & (ch >= starts)  # customers x periods
    active = at_risk.sum(axis=0)
    churned_in = (at_risk & (ch < stops)).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = churned_in / active
    out = pd.DataFrame(
        {
            "period": periods.astype(str),
            "active_start": active,
            "churned": churned_in,
            "churn_rate": rate,
            "retention": 1 - rate,
            "partial": stops > np.datetime64(end + pd.Timedelta(days=1)),
        }
    )
    return out[out["active_start"] > 0].reset_index(drop=True)


def repeat_ratio(interactions: pd.DataFrame, *, period: str = "Q") -> pd.DataFrame:
    """Repeat to new customer ratio per period: purchasers who had bought before over first-time buyers."""
    require_columns(interactions, ["customer_id", "timestamp", "kind"], "interactions")
    p = interactions.loc[interactions["kind"] == "purchase", ["customer_id", "timestamp"]]
    first = p.groupby("customer_id")["timestamp"].transform("min")
    per = p["timestamp"].dt.to_period(period)
    new = p["timestamp"] == first
    g = pd.DataFrame({"period": per, "new": new, "customer_id": p["customer_id"]})
    new_n = g[g["new"]].groupby("period")["customer_id"].nunique()
    rep_n = g[~g["new"]].groupby("period")["customer_id"].nunique()
    out = pd.DataFrame({"new_customers": new_n, "repeat_customers": rep_n}).fillna(0).astype(int)
    out["repeat_to_new"] = out["repeat_customers"] / out["new_customers"].replace(0, np.nan)
    out.index = out.index.astype(str)
    return out.rename_axis("period").reset_index()


def kpis(data, *, wave: str | None = None, min_n: int = 30) -> pd.DataFrame:
    """Headline KPI tiles: NPS, CSAT, CES, overall satisfaction for a wave (default the last),
    each with its interval and the change against the previous wave."""
    r = responses_with_customers(data)
    waves = sorted(r["wave"].dropna().unique())
    wave = wave or waves[-1]
    rows = []
    for m in ("nps", "csat", "ces", "overall_sat"):
        if m not in r:
            continue
        cur = METRICS[m](r.loc[r["wave"] == wave, m], None).table.iloc[0]
        row = {
            "metric": m,
            "label": cur["metric"],
            "wave": wave,
            "value": cur["value"],
            "ci_low": cur["ci_low"],
            "ci_high": cur["ci_high"],
            "n": int(cur["n"]),
        }
        i = waves.index(wave)
        if i > 0:
            ch = change(data, m, wave_from=waves[i - 1], wave_to=wave, min_n=min_n).iloc[0]
            row.update(
                change=ch["diff"],
                change_low=ch["ci_low"],
                change_high=ch["ci_high"],
                change_p=ch["p_value"],
            )
        rows.append(row)
    return pd.DataFrame(rows)
