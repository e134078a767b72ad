"""CX metrics with honest uncertainty: NPS, CSAT, CES, means, churn and retention, repeat ratio.

* **NPS** :math:`= 100(p_P - p_D)` with promoters 9-10, passives 7-8, detractors 0-6 (one
  definition, :mod:`cxmodels.data.scales`). Its variance is the multinomial variance of a
  difference of two shares, :math:`\\mathrm{Var} = 100^2 [p_P + p_D - (p_P - p_D)^2] / n`
  (e.g. Rocks 2016, "The Net Promoter Score's margin of error"); with weights ``n`` is Kish's
  effective sample size :math:`(\\sum w)^2/\\sum w^2`. A percentile bootstrap is the alternative.
* **CSAT**: top-2-box share (the two best points of the column's scale) with a Wilson score
  interval (Wilson 1927).
* **CES** and any mean: weighted mean with a t interval.
* Every metric is the mean of a per-answer score :math:`u` (NPS: :math:`100(P - D)`; CSAT:
  :math:`100\\cdot` top-box; means: the answer), so a change between waves answered partly by
  the same customers has :math:`\\mathrm{Var}(\\bar u_b - \\bar u_a) = \\mathrm{Var}(\\bar u_a) +
  \\mathrm{Var}(\\bar u_b) - 2 n_{ab} s_{ab} / (n_a n_b)`, with :math:`s_{ab}` the covariance of
  the paired customers' scores (Kish 1965, section 12.4, overlapping samples).

Scales come from the codebook (or the contract's defaults): ``cx.nps`` refuses a CSAT column and
a 1-10 question, CSAT's top box follows the column's scale, text scores are refused. Cells
below ``min_n`` are flagged ``small``; an interval that cannot be estimated (a single answer,
or every answer the same) is NaN and said to be unavailable, never zero-width.

References
----------
Rocks, B. (2016). Interval estimation for the "net promoter score". *The American Statistician*
70(4), 365-372. Wilson, E. B. (1927). Probable inference, the law of succession, and
statistical inference. *JASA* 22(158), 209-212. Kish, L. (1965). *Survey Sampling*. Wiley.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
from scipy import stats

from ._bootstrap import effective_n, multinomial_weights, percentile_ci
from ._format import (
    excludes,
    fmt_ci,
    fmt_count,
    fmt_level,
    fmt_num,
    interval_digits,
    label,
)
from ._results import Findings, Result, result_dataclass
from ._validation import (
    DataQualityWarning,
    check_level,
    check_number,
    check_option,
    check_weights,
    fail,
    require_columns,
)
from .data.joins import responses_with_customers
from .data.scales import NPS_SCALE, Scale, nps_codes, scale_for, top_box
from .data.waves import ordered_waves as _ordered_waves
from .i18n import is_english, t

__all__ = [
    "MetricResult",
    "by",
    "ces",
    "change",
    "channel_mix",
    "churn_rate",
    "csat",
    "kpi_findings",
    "kpis",
    "mean_score",
    "nps",
    "repeat_ratio",
    "responses_with_customers",
    "sentiment_by_channel",
]


@result_dataclass
class MetricResult(Result):
    """One metric with its interval.

    Attributes
    ----------
    table : DataFrame
        One row: ``metric``, ``value``, ``ci_low``, ``ci_high`` (NaN when the interval cannot be
        estimated), ``se``, ``n`` (answers), ``n_eff`` (Kish effective n), ``small`` (``n``
        below ``min_n``) and metric-specific columns (NPS: ``promoters``, ``passives``,
        ``detractors`` as shares).
    level : float
        Confidence level of the interval.
    """

    table: pd.DataFrame
    level: float = 0.95

    def _estimate(self) -> str:
        """``7.2 (90% CI 7.1 to 7.3)`` at the result's level."""
        r = self.table.iloc[0]
        ci = fmt_ci(r["ci_low"], r["ci_high"], 1)
        return t("metrics.estimate", est=fmt_num(r["value"], 1), level=fmt_level(self.level), ci=ci)

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
            f"{metric_name(r['metric'])}: {self._estimate()}",
            dict(r),
            {},
            list(self.findings().caveats),
        )

    def findings(self) -> Findings:
        """The metric with its interval and n; small or unavailable intervals as caveats."""
        r = self.table.iloc[0]
        name, n = metric_name(r["metric"]), fmt_count(r["n"])
        f = t("metrics.value", metric=name, estimate=self._estimate(), n=n)
        c = []
        if not np.isfinite(r["ci_low"]):
            key = "metrics.no_interval_single" if r["n"] < 2 else "metrics.no_interval_same"
            c.append(t(key, metric=name))
        elif bool(r.get("small", False)):
            c.append(t("metrics.small", metric=name, n=n))
        return Findings((f,), tuple(c))

    def __format__(self, spec):
        spec = spec or ".1f"
        return f"{self.value:{spec}} ({self.ci_low:{spec}} to {self.ci_high:{spec}})"


# --------------------------------------------------------------------------- inputs
def _as_series(scores) -> pd.Series:
    return scores if isinstance(scores, pd.Series) else pd.Series(np.asarray(scores))


def _clean(scores, weights, name: str, scale: Scale | None) -> tuple[np.ndarray, np.ndarray]:
    """Non-missing numeric scores and their validated weights; text and off-scale refused."""
    s = _as_series(scores)
    if pd.api.types.is_bool_dtype(s) or not (pd.api.types.is_numeric_dtype(s) or s.isna().all()):
        num = pd.to_numeric(s, errors="coerce")
        text = s.notna() & (num.isna() | s.map(lambda v: isinstance(v, str | bool)))
        fail(
            "responses",
            name,
            "scores are text or yes/no, not numbers",
            "convert the column to numbers (e.g. pd.to_numeric) or map the labels to points",
            [f"row {i}" for i in s.index[text.to_numpy()]] or None,
        )
    x = s.to_numpy(dtype=float, na_value=np.nan)
    ok = ~np.isnan(x)
    if weights is not None:
        w_all = np.asarray(weights, dtype=float)
        if w_all.ndim != 1 or len(w_all) != len(x):
            check_weights(w_all, len(x), "responses", "weights")
        w = check_weights(w_all[ok], int(ok.sum()), "responses", "weights")
    else:
        w = np.ones(int(ok.sum()))
    if not ok.any():
        fail("responses", name, "no non-missing scores", "check the column and the filter")
    x = x[ok]
    if scale is not None:
        off = (x < scale.low) | (x > scale.high)
        if off.any():
            fail(
                "responses",
                name,
                f"scores outside {scale}",
                f"{label(name)} is on a {scale} scale (codebook); fix the coding or the codebook",
                [f"row {i}" for i in s.index[ok][off]],
            )
    return x, w


def _declared_scale(scores, scale, default: str | None, codebook=None) -> Scale | None:
    """The scale the caller declared, else the column's (by the Series name), else a default."""
    if isinstance(scale, Scale):
        return scale
    if scale is not None:
        lo, hi = scale
        return Scale(float(lo), float(hi))
    name = getattr(scores, "name", None)
    return scale_for(name, codebook) or scale_for(default, codebook)


def _interval_or_nan(lo, hi, n_eff: float, se: float) -> tuple[float, float]:
    return (lo, hi) if n_eff >= 2 and se > 0 else (np.nan, np.nan)


def _row(
    metric: str, value, lo, hi, se, n: int, n_eff: float, min_n: int, level: float, **extra
) -> MetricResult:
    return MetricResult(
        pd.DataFrame(
            [
                {
                    "metric": metric,
                    "value": value,
                    "ci_low": lo,
                    "ci_high": hi,
                    "se": se,
                    "n": n,
                    **extra,
                    "n_eff": n_eff,
                    "small": n < min_n,
                }
            ]
        ),
        level,
    )


# --------------------------------------------------------------------------- metrics
def nps(
    scores,
    weights=None,
    *,
    level: float = 0.95,
    method: str = "multinomial",
    n_boot: int = 2000,
    seed: int | None = 0,
    scale=None,
    min_n: int = 30,
    codebook: dict | None = None,
) -> MetricResult:
    """Net Promoter Score (-100..100) with its confidence interval.

    Parameters
    ----------
    scores : array-like of 0-10 likelihood-to-recommend answers
    weights : array-like, optional
        Survey weights (finite, >= 0, not all zero) for the rows with a score.
    level : float
        Confidence level of the interval.
    method : "multinomial" (default) or "bootstrap" (percentile, ``n_boot`` replicates)
    seed : int, optional
        Seed of the bootstrap.
    scale : (low, high) or Scale, optional
        The question's scale when it is not known from the column name; anything but 0-10 is
        refused, since the promoter / detractor cut-offs are defined on 0-10 only.
    min_n : int
        Fewer answers flag the result ``small``.
    codebook : dict, optional
        Column scales (``CXData.codebook``) used to recognise the column.

    Returns
    -------
    MetricResult
        ``table``: ``metric``, ``value``, ``ci_low``, ``ci_high``, ``se``, ``n``,
        ``promoters``, ``passives``, ``detractors``, ``n_eff``, ``small``.

    Notes
    -----
    :math:`\\mathrm{NPS} = 100(p_P - p_D)`, :math:`\\mathrm{SE} = 100\\sqrt{(p_P + p_D - (p_P -
    p_D)^2)/n_{eff}}`, interval :math:`\\pm z\\,\\mathrm{SE}` clipped to [-100, 100].

    References
    ----------
    Rocks (2016); Reichheld (2003), see :mod:`cxmodels.data.scales`.
    """
    level = check_level(level)
    check_option("method", method, ("multinomial", "bootstrap"))
    check_number("n_boot", n_boot, low=1, integer=True)
    x, w = _clean(scores, weights, _name(scores, "nps"), None)
    _check_nps_scale(scores, x, scale, codebook)
    g = nps_codes(x)
    pro, det = (g == 2).astype(float), (g == 0).astype(float)
    sw = w.sum()
    pp, pd_ = (w * pro).sum() / sw, (w * det).sum() / sw
    value = 100 * (pp - pd_)
    n_eff = effective_n(w)
    se = 100 * np.sqrt(max(pp + pd_ - (pp - pd_) ** 2, 0) / n_eff)
    z = stats.norm.ppf(0.5 + level / 2)
    lo, hi = value - z * se, value + z * se
    if method == "bootstrap":
        cnt = multinomial_weights(len(x), n_boot, seed) * w
        boot = 100 * (cnt @ (pro - det)) / cnt.sum(axis=1)
        lo, hi = percentile_ci(boot, level)
        se = boot.std(ddof=1) if n_boot > 1 else np.nan
    lo, hi = _interval_or_nan(max(lo, -100), min(hi, 100), n_eff, se)
    return _row(
        "NPS", value, lo, hi, se, len(x), n_eff, min_n, level,
        promoters=pp, passives=1 - pp - pd_, detractors=pd_,
    )  # fmt: skip


def _name(scores, default: str) -> str:
    n = getattr(scores, "name", None)
    return str(n) if n is not None else default


def _check_nps_scale(scores, x: np.ndarray, scale, codebook) -> None:
    name = _name(scores, "nps")
    declared = _declared_scale(scores, scale, None, codebook)
    if declared is not None and (declared.low, declared.high) != (NPS_SCALE.low, NPS_SCALE.high):
        fail(
            "responses",
            name,
            f"NPS needs the 0-10 likelihood-to-recommend question; {label(name)} is on a "
            f"{declared} scale",
            "pass the 0-10 nps column (a 1-10 or 1-5 answer cannot be split into promoters "
            "and detractors); for other ratings use cx.csat, cx.ces or cx.metrics.mean_score",
        )
    off = (x < 0) | (x > 10)
    if off.any():
        fail(
            "responses",
            name,
            "scores outside 0-10",
            "NPS needs the 0-10 likelihood-to-recommend answer",
            [f"row {i}" for i in np.flatnonzero(off)],
        )
    if declared is None and len(x) >= 30 and x.min() >= 1 and x.max() <= 5:
        fail(
            "responses",
            name,
            f"all {len(x)} scores lie in 1-5: this looks like a 1-5 rating, not the 0-10 question",
            "pass the 0-10 nps column, or scale=(0, 10) if these really are 0-10 answers",
        )


def csat(
    scores,
    weights=None,
    *,
    scale=None,
    scale_max: int | None = None,
    top: int = 2,
    level: float = 0.95,
    min_n: int = 30,
    codebook: dict | None = None,
) -> MetricResult:
    """CSAT: top-``top``-box share in percent with a Wilson interval.

    Parameters
    ----------
    scores : array-like of ratings
    weights : array-like, optional
    scale : (low, high) or Scale, optional
        The rating scale; default the column's (by name, from the codebook), else CSAT's 1-5.
    scale_max : int, optional
        Old form of ``scale=(1, scale_max)``.
    top : int
        Number of best scale points that count (2: top-2-box).
    level, min_n, codebook : see :func:`nps`.

    Returns
    -------
    MetricResult
        ``table``: ``metric``, ``value`` (%), ``ci_low``, ``ci_high``, ``se``, ``n``, ``n_eff``,
        ``small``.

    Notes
    -----
    With :math:`p` the (weighted) top-box share and :math:`n` the effective n, the Wilson
    interval is :math:`[p + z^2/2n \\pm z\\sqrt{p(1-p)/n + z^2/4n^2}]/(1 + z^2/n)`.
    """
    level = check_level(level)
    if scale is None and scale_max is not None:
        scale = (1, scale_max)
    sc = _declared_scale(scores, scale, "csat", codebook)
    check_number("top", top, low=1, high=sc.points - 1, integer=True)
    x, w = _clean(scores, weights, _name(scores, "csat"), sc)
    hit = top_box(x, sc, top)
    p = (w * hit).sum() / w.sum()
    n = effective_n(w)
    z = stats.norm.ppf(0.5 + level / 2)
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return _row(
        f"CSAT (top-{top}-box %)", 100 * p, 100 * (centre - half), 100 * (centre + half),
        100 * np.sqrt(p * (1 - p) / n), len(x), n, min_n, level,
    )  # fmt: skip


def mean_score(
    scores,
    weights=None,
    *,
    name: str = "mean",
    level: float = 0.95,
    scale=None,
    min_n: int = 30,
    codebook: dict | None = None,
) -> MetricResult:
    """Weighted mean with a t interval (Kish effective n); scores checked against the scale.

    Returns
    -------
    MetricResult
        ``table``: ``metric`` (``name``), ``value``, ``ci_low``, ``ci_high``, ``se``, ``n``,
        ``n_eff``, ``small``.

    Notes
    -----
    :math:`\\bar x = \\sum w x / \\sum w`, :math:`s^2 = \\frac{n}{n-1}\\sum w (x - \\bar x)^2 /
    \\sum w`, interval :math:`\\bar x \\pm t_{n-1} s/\\sqrt n` with :math:`n` the effective n.
    """
    level = check_level(level)
    sc = _declared_scale(scores, scale, None, codebook)
    x, w = _clean(scores, weights, _name(scores, name), sc)
    m = (w * x).sum() / w.sum()
    n = effective_n(w)
    sd = np.sqrt((w * (x - m) ** 2).sum() / w.sum() * n / max(n - 1, 1))
    se = sd / np.sqrt(n)
    t = stats.t.ppf(0.5 + level / 2, max(n - 1, 1))
    lo, hi = _interval_or_nan(m - t * se, m + t * se, n, se)
    return _row(name, m, lo, hi, se, len(x), n, min_n, level)


def ces(
    scores, weights=None, *, level: float = 0.95, min_n: int = 30, codebook=None
) -> MetricResult:
    """Customer Effort Score: mean effort (1-7 by default, lower is easier) with a t interval."""
    sc = _declared_scale(scores, None, "ces", codebook)
    return mean_score(scores, weights, name="CES (mean effort)", level=level, scale=sc, min_n=min_n)


#: metric name -> function(scores, weights, codebook) -> MetricResult
METRICS = {
    "nps": lambda s, w, cb=None, level=0.95: nps(s, w, codebook=cb, level=level),
    "csat": lambda s, w, cb=None, level=0.95: csat(s, w, codebook=cb, level=level),
    "ces": lambda s, w, cb=None, level=0.95: ces(s, w, codebook=cb, level=level),
    "overall_sat": lambda s, w, cb=None, level=0.95: mean_score(
        s, w, name="overall satisfaction (mean)", codebook=cb, level=level
    ),
}


def _codebook(data) -> dict | None:
    return getattr(data, "codebook", None)


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
    Cells with fewer than ``min_n`` answers are kept but flagged ``small`` so that findings
    leave them out.

    Returns
    -------
    DataFrame
        The ``by`` columns, ``value``, ``ci_low``, ``ci_high``, ``se``, ``n``, ``small``.
    """
    check_option("metric", metric, sorted(METRICS))
    check_number("min_n", min_n, low=0, integer=True)
    df = responses_with_customers(data)
    keys = [by] if isinstance(by, str) else list(by)
    column = column or metric
    require_columns(df, keys + [column] + ([weights] if weights else []), "responses")
    fn, cb = METRICS[metric], _codebook(data)
    d = df[df[column].notna()]
    rows = []
    for key, g in d.groupby(keys, observed=True, sort=True):  # loop over cells, not rows
        r = fn(g[column], None if weights is None else g[weights], cb).table.iloc[0]
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
    out = pd.DataFrame(rows, columns=[*keys, "value", "ci_low", "ci_high", "se", "n"])
    out["small"] = out["n"] < min_n
    return out


def _unit_scores(metric: str, s: pd.Series, codebook) -> np.ndarray:
    """The per-answer score whose mean is the metric (NPS 100(P-D), CSAT 100 top-box, mean)."""
    x = s.to_numpy(dtype=float)
    if metric == "nps":
        g = nps_codes(x)
        return 100.0 * ((g == 2).astype(float) - (g == 0))
    if metric == "csat":
        return 100.0 * top_box(x, _declared_scale(s, None, "csat", codebook), 2)
    return x


def _paired_cov(data, metric, wave_from, wave_to, by_col) -> pd.DataFrame:
    """Per cell: customers answering both waves (``n_paired``) and the sum of their score
    cross-products about the paired means (``s_ab * (n_paired - 1)``)."""
    df = responses_with_customers(data)
    cols = pd.DataFrame(columns=["n_paired", "cross"], dtype=float)
    if "customer_id" not in df or metric not in df:
        return cols
    d = df[df["wave"].isin([wave_from, wave_to]) & df[metric].notna()]
    frame = pd.DataFrame(
        {
            "cell": d[by_col].to_numpy() if by_col else 0,
            "customer_id": d["customer_id"].to_numpy(),
            "wave": d["wave"].to_numpy(),
            "u": _unit_scores(metric, d[metric], _codebook(data)),
        }
    )
    per = frame.groupby(["cell", "customer_id", "wave"], observed=True)["u"].mean()
    per = per.unstack("wave")
    if wave_from not in per or wave_to not in per:
        return cols
    p = per[[wave_from, wave_to]].dropna()
    ca = p[wave_from] - p.groupby(level="cell")[wave_from].transform("mean")
    cb = p[wave_to] - p.groupby(level="cell")[wave_to].transform("mean")
    g = (ca * cb).groupby(level="cell")
    return pd.DataFrame({"n_paired": g.size(), "cross": g.sum()})


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

    Customers who answer both waves make the two waves' values correlated; their covariance
    is taken out of the standard error (paired where the same customers answer, independent
    otherwise).

    Returns
    -------
    DataFrame
        One row (or one per ``by_col`` value): ``from``, ``to``, ``value_from``, ``value_to``,
        ``diff``, ``ci_low``, ``ci_high``, ``p_value``, ``n_from``, ``n_to``, ``se``,
        ``n_paired`` (customers in both waves), ``se_independent`` (True where the paired
        variance estimate was not positive and the SE treats the waves as independent, with a
        warning), ``small``.

    Notes
    -----
    :math:`\\mathrm{SE}^2 = \\mathrm{SE}_a^2 + \\mathrm{SE}_b^2 - 2 n_{ab} s_{ab}/(n_a n_b)`
    with :math:`s_{ab}` the sample covariance (ddof 1) of the paired customers' per-answer
    scores (their mean within a wave); with every customer answering both waves once and a
    mean metric this is the paired t-test's standard error.
    """
    level = check_level(level)
    keys = ["wave"] + ([by_col] if by_col else [])
    t = by(data, metric, keys, min_n=min_n)
    waves = _ordered_waves(data, t["wave"])
    if len(waves) < 2:
        fail("responses", "wave", "fewer than two waves", "a change needs two waves of answers")
    wave_from = wave_from or waves[-2]
    wave_to = wave_to or waves[-1]
    for wv in (wave_from, wave_to):
        check_option("wave", wv, waves, "responses")
    a = t[t["wave"] == wave_from].set_index(by_col) if by_col else t[t["wave"] == wave_from]
    b = t[t["wave"] == wave_to].set_index(by_col) if by_col else t[t["wave"] == wave_to]
    if not by_col:
        a, b = a.reset_index(drop=True), b.reset_index(drop=True)
    pc = _paired_cov(data, metric, wave_from, wave_to, by_col)
    pc = pc.reindex(a.index if by_col else [0]).fillna(0.0)
    if not by_col:
        pc.index = a.index
    n_pair = pc["n_paired"]
    cov = pc["cross"] / (a["n"] * b["n"])  # n_ab s_ab / (n_a n_b), s_ab = cross / (n_ab - 1)
    cov = cov * np.where(n_pair > 1, n_pair / np.maximum(n_pair - 1, 1), 0.0)
    z = stats.norm.ppf(0.5 + level / 2)
    diff = b["value"] - a["value"]
    se, fallback = _change_se(a["se"], b["se"], cov, n_pair, metric, by_col)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_value = 2 * stats.norm.sf(np.abs(diff / se))
    out = pd.DataFrame(
        {
            "from": wave_from,
            "to": wave_to,
            "value_from": a["value"],
            "value_to": b["value"],
            "diff": diff,
            "ci_low": diff - z * se,
            "ci_high": diff + z * se,
            "p_value": p_value,
            "n_from": a["n"],
            "n_to": b["n"],
            "se": se,
            "n_paired": n_pair.astype(int),
            "se_independent": fallback,
        }
    )
    out["small"] = (out["n_from"] < min_n) | (out["n_to"] < min_n)
    return out.reset_index() if by_col else out


def _change_se(se_a, se_b, cov, n_pair, metric: str, by_col: str | None):
    """SE of a change; where the paired variance is not positive, the independent SE (warned).

    The covariance term is a sample estimate and can exceed the two variances (for NPS, whose
    SE uses the proportions' ddof-0 variance, when nearly every customer gives the same answer
    in both waves): flooring at zero would give SE 0 and p 0. There the waves are treated as
    independent, :math:`\\sqrt{SE_a^2 + SE_b^2}`, which is conservative (the covariance is
    positive), flagged in ``se_independent`` and warned.
    """
    var = se_a**2 + se_b**2 - 2 * cov
    bad = (var <= 0) & (n_pair > 0) & (cov > 0)
    if bad.any():
        where = f" ({by_col}: {', '.join(map(str, var.index[bad]))})" if by_col else ""
        warnings.warn(
            f"change of {metric}{where}: the paired covariance makes the variance of the change "
            "not positive; the standard error treats the two waves as independent "
            "(conservative), flagged in se_independent",
            DataQualityWarning,
            stacklevel=3,
        )
    se = np.sqrt(np.where(bad, se_a**2 + se_b**2, np.maximum(var, 0)))
    return se, np.asarray(bad, dtype=bool)


def kpis(data, *, wave: str | None = None, min_n: int = 30, level: float = 0.95) -> pd.DataFrame:
    """Headline KPI tiles: NPS, CSAT, CES, overall satisfaction for a wave (default the last),
    each with its interval and the change against the previous wave.

    Parameters
    ----------
    data : CXData
    wave : str, optional
        Default: the last wave.
    min_n : int
        Cells with fewer answers are flagged ``small``.
    level : float
        Confidence level of every interval (and of the verdict on each change).

    Returns
    -------
    DataFrame
        One row per metric: ``metric``, ``label``, ``wave``, ``value``, ``ci_low``, ``ci_high``,
        ``n``, ``level`` and, after the first wave, ``change``, ``change_low``, ``change_high``,
        ``change_p`` (paired where customers answer both waves, see :func:`change`).
    """
    level = check_level(level)
    r = responses_with_customers(data)
    require_columns(r, ["wave"], "responses")
    waves = _ordered_waves(data, r["wave"])
    wave = check_option("wave", wave or waves[-1], waves, "responses")
    rows = []
    for m in ("nps", "csat", "ces", "overall_sat"):  # four metrics
        if m not in r:
            continue
        scores = r.loc[r["wave"] == wave, m]
        cur = METRICS[m](scores, None, _codebook(data), level=level).table.iloc[0]
        row = {
            "metric": m,
            "label": cur["metric"],
            "wave": wave,
            "value": cur["value"],
            "ci_low": cur["ci_low"],
            "ci_high": cur["ci_high"],
            "n": int(cur["n"]),
            "level": level,
        }
        i = waves.index(wave)
        if i > 0:
            ch = change(
                data, m, wave_from=waves[i - 1], wave_to=wave, min_n=min_n, level=level
            ).iloc[0]
            row.update(
                change=ch["diff"],
                change_low=ch["ci_low"],
                change_high=ch["ci_high"],
                change_p=ch["p_value"],
            )
        rows.append(row)
    return pd.DataFrame(rows)


def kpi_findings(kpis: pd.DataFrame, by_segment: pd.DataFrame | None = None) -> Findings:
    """Sentences for the KPI tiles (from :func:`kpis`) and NPS by segment (from :func:`by`).

    Cells flagged ``small`` are not interpreted and are counted in a caveat. A change is
    called clear when its interval (at the table's ``level``, default 0.95) excludes zero.
    """
    f, c = [], []
    for _, r in kpis.iterrows():  # one row per metric
        level = fmt_level(r.get("level", 0.95))
        moved = _kpi_change(r, level) if "change" in r else ""
        ci = fmt_ci(r["ci_low"], r["ci_high"], 1)
        est = t("metrics.estimate", est=fmt_num(r["value"], 1), level=level, ci=ci)
        name, n = metric_name(r["label"]), fmt_count(r["n"])
        f.append(t("metrics.kpi", metric=name, wave=r["wave"], estimate=est, n=n, change=moved))
    if by_segment is not None and len(by_segment):
        ok = by_segment[~by_segment["small"]]
        if len(ok) > 1:
            hi, lo = ok.loc[ok["value"].idxmax()], ok.loc[ok["value"].idxmin()]
            name = str if is_english() else label
            f.append(
                t(
                    "metrics.nps_range",
                    high=name(hi.iloc[0]),
                    high_value=fmt_num(hi["value"], 0),
                    low=name(lo.iloc[0]),
                    low_value=fmt_num(lo["value"], 0),
                )
            )
        small = by_segment[by_segment["small"]]
        if len(small):
            c.append(t("metrics.small_cells", n=len(small)))
    return Findings(tuple(f), tuple(c))


def _kpi_change(r: pd.Series, level: str) -> str:
    """``; +2.1 against the previous wave (95% CI +0.4 to +3.8), a clear change`` or ``""``."""
    clear = excludes(r["change_low"], r["change_high"])
    if clear is None:
        return ""
    d = interval_digits(r["change_low"], r["change_high"], 0.0, 1)
    return t(
        "metrics.kpi_change_sig" if clear else "metrics.kpi_change_none",
        change=fmt_num(r["change"], d, signed=True),
        level=level,
        interval=fmt_ci(r["change_low"], r["change_high"], d, signed=True),
    )


def metric_name(name: str) -> str:
    """A metric's name (``NPS``, ``CSAT (top-2-box %)``, ...) in the current language."""
    name = str(name)
    if is_english():
        return name
    fixed = {"NPS": "nps", "CES (mean effort)": "ces", "overall satisfaction (mean)": "overall_sat"}
    if name in fixed:
        return t(f"metrics.name.{fixed[name]}")
    m = re.fullmatch(r"CSAT \(top-(\d+)-box %\)", name)
    if m:
        return t("metrics.name.csat", top=m.group(1))
    m = re.fullmatch(r"(.+) \(mean\)", name)
    return t("metrics.name.mean", name=label(m.group(1))) if m else label(name)


# --------------------------------------------------------------------------- CRM metrics
def churn_rate(customers: pd.DataFrame, *, period: str = "Q", observation_end=None) -> pd.DataFrame:
    """Churn and retention per period.

    ``churn_rate = churned in the period / active at its start``; ``retention = 1 - churn_rate``.
    Periods run from the first signup to the observation end; the last, partial period is
    flagged ``partial``.

    Returns
    -------
    DataFrame
        ``period``, ``active_start``, ``churned``, ``churn_rate``, ``retention``, ``partial``.
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
    """Repeat to new customer ratio per period: purchasers who had bought before over first-time buyers.

    Returns
    -------
    DataFrame
        ``period``, ``new_customers``, ``repeat_customers``, ``repeat_to_new``.
    """
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


def channel_mix(interactions: pd.DataFrame, *, period: str = "Q") -> pd.DataFrame:
    """Interactions per period, channel and kind (tidy counts with shares within period).

    Returns
    -------
    DataFrame
        ``period``, ``channel``, ``kind``, ``n``, ``share`` (of the period's interactions).
    """
    require_columns(interactions, ["timestamp", "channel", "kind"], "interactions")
    t = interactions.assign(period=interactions["timestamp"].dt.to_period(period).astype(str))
    out = t.groupby(["period", "channel", "kind"], observed=True).size().rename("n").reset_index()
    out["share"] = out["n"] / out.groupby("period")["n"].transform("sum")
    return out


def sentiment_by_channel(interactions: pd.DataFrame, *, level: float = 0.95) -> pd.DataFrame:
    """Mean sentiment (-1..1) per channel with a normal interval (NaN for a single answer).

    Returns
    -------
    DataFrame
        ``channel``, ``mean``, ``n``, ``ci_low``, ``ci_high``.
    """
    level = check_level(level)
    require_columns(interactions, ["channel", "sentiment"], "interactions")
    g = interactions.dropna(subset=["sentiment"]).groupby("channel", observed=True)["sentiment"]
    out = g.agg(["mean", "std", "count"]).rename(columns={"count": "n"})
    q = stats.norm.ppf(0.5 + level / 2)
    half = q * out["std"] / np.sqrt(out["n"])
    out["ci_low"], out["ci_high"] = out["mean"] - half, out["mean"] + half
    return out.drop(columns="std").reset_index()
