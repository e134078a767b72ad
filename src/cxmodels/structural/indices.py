"""The satisfaction index as ACSI computes it, and importance-performance map analysis."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._format import fmt_est, fmt_num, label
from .._results import Findings, Result, result_dataclass
from .._validation import check_option, fail
from ..i18n import is_english, t
from .algorithm import Layout, structural, total_effects
from .plots import ipma_map
from .replicates import interval, replicate_chunks


def _index_weights(W: np.ndarray, sd: np.ndarray) -> np.ndarray:
    """Unstandardised outer weights rescaled to sum to one per construct (ACSI):
    ``w~_k = (w_k / s_k) / sum_l (w_l / s_l)``; ``W`` (..., p, q), ``sd`` (..., p)."""
    raw = W / sd[..., :, None]
    return raw / raw.sum(axis=-2, keepdims=True)


def _item_scale(res, blk):
    items = np.array(res.model.items)[blk]
    lo = np.array([res.fit.ranges[i][0] for i in items])
    hi = np.array([res.fit.ranges[i][1] for i in items])
    return lo, hi


def rescaled_scores(res, scale=(0, 100)) -> np.ndarray:
    """Every construct's score per respondent on ``scale`` (n, q), from the index weights."""
    f = res.fit
    Wt = _index_weights(f.est.W[0], f.sd)
    lo = np.array([f.ranges[i][0] for i in res.model.items])
    hi = np.array([f.ranges[i][1] for i in res.model.items])
    U = (f.X - lo) / (hi - lo)
    return scale[0] + (scale[1] - scale[0]) * (U @ Wt)


def _groups(res, by):
    """Group labels aligned with the rows used by the fit (column of responses or customers)."""
    f = res.fit
    frame = f.frame
    if isinstance(by, pd.Series):
        return by.reindex(f.rows).to_numpy()
    if by in frame.columns:
        return frame.loc[f.rows, by].to_numpy()
    src = f.options.get("source")
    if src is not None and hasattr(src, "customers") and by in src.customers.columns:
        m = src.customers.set_index("customer_id")[by]
        return frame.loc[f.rows, "customer_id"].map(m).to_numpy()
    fail("responses", str(by), "no such column to group by", "pass a column of the data")


@result_dataclass
class IndexResult(Result):
    """A construct index on 0-100 (ACSI method), overall and by group.

    Attributes
    ----------
    table : DataFrame
        ``group, n, index, ci_low, ci_high`` (``group`` is "all" for the whole sample).
    construct : str

    Notes
    -----
    ``index = 100 * sum_k w~_k (xbar_k - min_k) / (max_k - min_k)`` with ``w~`` the
    unstandardised outer weights rescaled to sum to one (Fornell et al. 1996). The interval
    is the bootstrap percentile interval of the same statistic (weights re-estimated in every
    replicate); groups use the weights of the whole sample, as ACSI does for sectors.

    References
    ----------
    Fornell, Johnson, Anderson, Cha and Bryant (1996) Journal of Marketing 60(4), 7-18.
    """

    table: pd.DataFrame
    construct: str
    scale: tuple

    def _summary_parts(self):
        return f"{label(self.construct)} index (0-100)", {}, {"index": self.table}, []

    def findings(self) -> Findings:
        tab = self.table
        first = tab.iloc[0]
        name = label(self.construct).lower() if is_english() else label(self.construct)
        est = fmt_est(first["index"], first["ci_low"], first["ci_high"], 1)
        out = [t("structural.index", construct=name, estimate=est)]
        if len(tab) > 1:
            g = tab.iloc[1:].sort_values("index")
            out.append(
                t(
                    "structural.index_groups",
                    low=fmt_num(g["index"].iloc[0], 1),
                    low_group=label(g["group"].iloc[0]),
                    high=fmt_num(g["index"].iloc[-1], 1),
                    high_group=label(g["group"].iloc[-1]),
                )
            )
        cav = [] if np.isfinite(first["ci_low"]) else [t("structural.index_no_bootstrap")]
        return Findings(tuple(out), tuple(cav))


def satisfaction_index(res, construct, scale=(0, 100), by=None) -> IndexResult:
    """The ACSI-style index of ``construct`` with bootstrap intervals (see :class:`IndexResult`)."""
    check_option("construct", construct, res.model.constructs)
    f = res.fit
    j = res.model.constructs.index(construct)
    blk = f.lay.blocks[j]
    lo, hi = _item_scale(res, blk)
    span = scale[1] - scale[0]
    groups = [("all", np.ones(len(f.X), dtype=bool))]
    if by is not None:
        g = _groups(res, by)
        groups += [(v, g == v) for v in pd.unique(g[pd.notna(g)])]
    wt = _index_weights(f.est.W[0], f.sd)[blk, j]
    rows = []
    boot_w = None
    if f.boot is not None:
        boot_w = _index_weights(f.boot["W"], f.boot["sd"])[:, blk, j]
    boot_means = _boot_group_means(res, [m for _, m in groups]) if boot_w is not None else None
    for gi, (name, mask) in enumerate(groups):
        xbar = f.w[mask] @ f.X[mask][:, blk] / f.w[mask].sum()
        est = scale[0] + span * float(((xbar - lo) / (hi - lo)) @ wt)
        b = None
        if boot_means is not None:
            ub = (boot_means[gi][:, blk] - lo) / (hi - lo)
            b = scale[0] + span * (ub * boot_w).sum(axis=1)
        _, low, high, _ = interval(np.array(est), b, res.level)
        rows.append(
            {
                "group": name,
                "n": int(mask.sum()),
                "index": est,
                "ci_low": float(low),
                "ci_high": float(high),
            }
        )
    return IndexResult(pd.DataFrame(rows), construct, tuple(scale))


def _boot_group_means(res, masks) -> list[np.ndarray]:
    """Item means per group in every bootstrap replicate, from the fit's replicate draws
    (the same seed and chunks redraw the same resamples)."""
    f = res.fit
    out = [[] for _ in masks]
    for counts in replicate_chunks(len(f.X), f.options["bootstrap"], f.options["seed"], f.w):
        for k, m in enumerate(masks):
            c = counts * m
            out[k].append(c @ f.X / c.sum(axis=1, keepdims=True))
    return [np.concatenate(o) for o in out]


@result_dataclass
class IPMAResult(Result):
    """Importance-performance map for one target construct.

    Attributes
    ----------
    table : DataFrame
        ``construct, importance, performance, total_effect``: importance is the unstandardised
        total effect on the target (points of the target's 0-100 score per point of the
        construct's), performance the mean 0-100 score, total_effect the standardised one.
    target : str

    Notes
    -----
    Scores are rescaled to 0-100 with the index weights; the structural regressions are rerun
    on the rescaled scores and their total effects are the importances.

    References
    ----------
    Ringle and Sarstedt (2016) Industrial Management & Data Systems 116(9), 1865-1886.
    """

    table: pd.DataFrame
    target: str
    target_performance: float

    def _summary_parts(self):
        facts = {"target": self.target, "target performance (0-100)": self.target_performance}
        return f"IPMA for {label(self.target)}", facts, {"ipma": self.table}, []

    def priorities(self) -> pd.DataFrame:
        """Constructs above the mean importance and below the mean performance, first."""
        t = self.table
        hi_imp = t["importance"] >= t["importance"].mean()
        lo_perf = t["performance"] < t["performance"].mean()
        return t.assign(priority=hi_imp & lo_perf).sort_values(
            ["priority", "importance"], ascending=[False, False]
        )

    def findings(self) -> Findings:
        """The advice follows :meth:`priorities`: "improve X first" only for a construct it
        flags (above-mean importance, below-mean performance); otherwise it says that no
        construct is a priority and names the most important one."""
        top = self.priorities().iloc[0]
        target = label(self.target).lower() if is_english() else label(self.target)
        out = [
            t(
                "structural.ipma" if top["priority"] else "structural.ipma_none",
                target=target,
                construct=label(top["construct"]),
                gain=fmt_num(top["importance"]),
                performance=fmt_num(top["performance"], 1),
            )
        ]
        return Findings(tuple(out), ())

    def plot(self, ax=None):
        return ipma_map(self, ax=ax)


def ipma(res, target: str) -> IPMAResult:
    """Importance-performance map analysis (see :class:`IPMAResult`)."""
    check_option("target", target, res.model.endogenous)
    f = res.fit
    Y = rescaled_scores(res)
    Yc = Y - f.w @ Y / f.w.sum()
    C = (Yc * f.w[:, None]).T @ Yc / (f.w.sum() - 1)
    lay = Layout(f.lay.M, f.lay.P, f.lay.mode_b)
    beta_u, _ = structural(C[None], lay)
    T_u = total_effects(beta_u)[0]
    T_s = total_effects(f.est.beta)[0]
    t = res.model.constructs.index(target)
    src = np.flatnonzero(np.abs(T_s[:, t]) > 0)
    perf = f.w @ Y / f.w.sum()
    table = pd.DataFrame(
        {
            "construct": np.array(res.model.constructs)[src],
            "importance": T_u[src, t],
            "performance": perf[src],
            "total_effect": T_s[src, t],
        }
    )
    return IPMAResult(
        table.sort_values("importance", ascending=False, ignore_index=True), target, float(perf[t])
    )
